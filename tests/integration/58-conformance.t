#!/bin/sh
# 58-conformance.t: the MCP project's own conformance suite
# (@modelcontextprotocol/conformance, `conformance server --suite all`, on
# the Node 22 binary from npm) against server-everything directly and
# through mcpproxyd with the tutorial's configuration (etc/mcpproxyd.conf:
# no [auth], liberal CORS, allowed_hosts and allowed_origins left to their
# defaults).  Asserts:
#   - every check of every scenario gets the same verdict both ways, but
#     dns-rebinding-protection (most scenarios fail against
#     server-everything for lack of the suite's test tools, prompts and
#     resources: the verdicts are compared, the passes are not counted);
#   - dns-rebinding-protection passes through the proxy (a request with
#     Host: evil.example.com and Origin: http://evil.example.com gets a
#     4xx, one with the URL's own Host and Origin is served), whatever
#     server-everything itself does (its verdict is logged);
#   - the proxied run went through mcpproxyd (its access log) and no
#     worker died.
# Both verdict tables are printed in the log.
#
# The tutorial listens on 0.0.0.0:9000 and [::]:9000; tests bind loopback
# only, so here the one listener is 127.0.0.1 on a free port.  The proxy
# decides about DNS rebinding by each connection's local address, not the
# listener's, so a connection to 127.0.0.1 through a 0.0.0.0 listener gets
# the same verdicts as this one.
. "$(cd "$(dirname "$0")/../.." && pwd)/tests/lib.sh"
CONFORMANCE=$NM/@modelcontextprotocol/conformance/dist/index.js
VERDICTS=$TOP/tests/mcp/conformance-verdicts.mjs
need node_modules node22 proxy timeout "$CONFORMANCE"

up=$(free_port) || fail "no free port"
start_everything "$up"
pass "server-everything on 127.0.0.1:$up"

# The tutorial's configuration, with what a test must change: the user,
# files in $T, the listener on 127.0.0.1 at a free port, the backend's port.
pp=$(free_port) || fail "no free port"
PROXY_CONF=$T/mcpproxyd.conf
ACCESS_LOG=$T/access.log
sed -e 's/^user = .*/user = nobody/' \
    -e "s|^pid_file = .*|pid_file = $T/mcpproxyd.pid|" \
    -e "s|^access_log = .*|access_log = $ACCESS_LOG|" \
    -e '/^listen = \[::\]:9000$/d' \
    -e "s/^listen = 0\.0\.0\.0:9000\$/listen = 127.0.0.1:$pp/" \
    -e "s|^route = /mcp http://localhost:8000/mcp\$|route = /mcp http://127.0.0.1:$up/mcp|" \
    "$TOP/etc/mcpproxyd.conf" >"$PROXY_CONF" || fail "sed etc/mcpproxyd.conf"
chmod 644 "$PROXY_CONF"
grep -v '^;' "$PROXY_CONF" | grep . | sed 's/^/    conf: /'
# exactly the six lines above changed: one listener, the tutorial's others
n=$(diff "$TOP/etc/mcpproxyd.conf" "$PROXY_CONF" | grep -c '^[<>]')
[ "$n" = 11 ] || fail "etc/mcpproxyd.conf no longer has the tutorial's lines this test rewrites ($n lines differ, want 6 removed and 5 written)"
grep -qx 'cors_allow_origins = \*' "$PROXY_CONF" ||
    fail "etc/mcpproxyd.conf lost the tutorial's cors_allow_origins = *"
grep -q '^[[:space:]]*allowed_' "$PROXY_CONF" &&
    fail "etc/mcpproxyd.conf sets allowed_hosts or allowed_origins: the tutorial leaves them to their defaults"
start_proxy "$PROXY_CONF"
pass "mcpproxyd with the tutorial's configuration on 127.0.0.1:$pp"

# conformance NAME URL: the whole server suite, verdicts to $T/verdicts-NAME
conformance() {
	# a throwaway HOME: the suite writes nothing of ours
	env HOME="$T/home" timeout 90 "$NODE22" "$CONFORMANCE" server \
	    --url "$2" --suite all -o "$T/out-$1" >"$T/conformance-$1.log" 2>&1
	_rc=$?
	# 1: some scenario failed (expected against server-everything)
	[ $_rc -le 1 ] || fail "conformance against $2 exited $_rc"
	"$NODE" "$VERDICTS" "$T/out-$1" >"$T/verdicts-$1.tmp" ||
	    fail "conformance against $2 saved no verdicts"
	LC_ALL=C sort "$T/verdicts-$1.tmp" >"$T/verdicts-$1"
	"$NODE" "$VERDICTS" "$T/out-$1" --messages >"$T/messages-$1"
	grep -qx 'server-initialize/server-initialize SUCCESS' "$T/verdicts-$1" ||
	    fail "conformance could not initialize a session at $2"
	_say "    $1: $(sed -n 's/^Total: //p' "$T/conformance-$1.log")"
}

conformance direct "http://127.0.0.1:$up/mcp"
pass "conformance suite against server-everything: $(wc -l <"$T/verdicts-direct") checks"
: >"$ACCESS_LOG"
conformance proxy "http://127.0.0.1:$pp/mcp"
pass "conformance suite through mcpproxyd: $(wc -l <"$T/verdicts-proxy") checks"

# the verdict table: check, direct, through the proxy
LC_ALL=C join -a 1 -a 2 -e MISSING -o 0,1.2,2.2 "$T/verdicts-direct" \
    "$T/verdicts-proxy" >"$T/verdicts"
awk '{ printf "    %-66s %-14s %s\n", $1, $2, $3 }
    BEGIN { printf "    %-66s %-14s %s\n", "scenario/check", "direct", "proxy" }' \
    "$T/verdicts"
_say "    error messages (direct):"
grep ' | ' "$T/messages-direct" | sed 's/^/    /'
_say "    error messages that differ through the proxy (diff direct proxy):"
diff "$T/messages-direct" "$T/messages-proxy" | grep '^[<>]' | sed 's/^/    /'

diffs=$(awk '$1 !~ /^dns-rebinding-protection\// && $2 != $3 {
    printf "%s ", $1 }' "$T/verdicts")
[ -z "$diffs" ] || fail "verdicts differ direct and through mcpproxyd: $diffs"
n=$(grep -vc '^dns-rebinding-protection/' "$T/verdicts")
pass "the same verdicts direct and through mcpproxyd ($n checks, dns-rebinding-protection aside)"

dd=$(awk '$1 ~ /^dns-rebinding-protection\// { printf "%s=%s ", $1, $2 }' \
    "$T/verdicts")
_say "    server-everything itself: $dd"
rows=$(grep -c '^dns-rebinding-protection/' "$T/verdicts")
[ "$rows" -ge 2 ] ||
    fail "dns-rebinding-protection has $rows checks (want its rebinding and its valid-Host check)"
grep '^dns-rebinding-protection/' "$T/messages-proxy" | sed 's/^/    proxy: /'
bad=$(awk '$1 ~ /^dns-rebinding-protection\// && $3 != "SUCCESS" {
    printf "%s=%s ", $1, $3 }' "$T/verdicts")
[ -z "$bad" ] || fail "dns-rebinding-protection through mcpproxyd: $bad"
pass "dns-rebinding-protection passes through mcpproxyd ($rows checks)"

# the proxied run went through the proxy: one access log line at least
# per scenario run
wait_grep "$ACCESS_LOG" 5 POST || true
n=$(grep -c POST "$ACCESS_LOG")
s=$(find "$T/out-proxy" -mindepth 1 -maxdepth 1 -type d | wc -l)
[ "$n" -ge "$s" ] ||
    fail "access log has $n POST lines for $s scenarios run through mcpproxyd"
pass "access log: $n POST lines for $s scenarios"

kill -0 "$PROXY_PID" 2>/dev/null || fail "mcpproxyd is gone after the suite"
if grep -E 'killed by|exited with|die at birth|all [0-9]+ workers busy' \
    "$T/mcpproxyd.log"; then
	fail "mcpproxyd's log shows workers dying or all busy"
fi
pass "mcpproxyd still running, no worker died or ran out"
exit 0
