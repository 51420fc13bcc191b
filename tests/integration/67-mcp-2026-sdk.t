#!/bin/sh
# 67-mcp-2026-sdk.t: a 2026-07-28 exchange between REAL peers through the
# proxy: the v2 client SDK pinned to 2026-07-28 (tests/mcp/mcp2026-client.mjs)
# and a v2 server SDK endpoint that serves only that revision
# (tests/mcp/mcp2026-server.mjs).  62-mcp-2026.t covers the same ground
# with a scripted peer, for the rows no SDK sends (mismatches, refusals).
#   - server/discover, tools/list, tools/call and subscriptions/listen
#     work through the proxy; no Mcp-Session-Id anywhere;
#   - the metadata headers the SDK sends (MCP-Protocol-Version,
#     Mcp-Method, Mcp-Name) reach the server;
#   - a progress notification of a tools/call answered as SSE arrives
#     before its result, and list_changed arrives on the OPEN listen
#     stream: relayed unbuffered;
#   - with tool rules on the token's realm roles and the local
#     authorization server's tokens: tools/list shows eitan echo alone
#     and noa nothing, and a denied call fails in the SDK as that call's
#     JSON-RPC error.
# Negative control: the same client through tests/mcp/buffering-proxy.mjs
# fails (the progress comes with the result, the listen is never
# acknowledged while the stream is open).
. "${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
need node_modules proxy curl
CLIENT=$TOP/tests/mcp/mcp2026-client.mjs

up=$(free_port) || fail "no free port"
spawn "$T/server.log" "$NODE" "$TOP/tests/mcp/mcp2026-server.mjs" "$up"
wait_port 127.0.0.1 "$up" 10 || fail "the 2026-07-28 server did not start"
CHANGED=http://127.0.0.1:$up/changed

"$NODE" "$CLIENT" "http://127.0.0.1:$up/mcp" "$CHANGED" >"$T/direct.out" 2>&1 ||
    fail "the client against the server directly: $(tail -n 2 "$T/direct.out")"
pass "the v2 SDK client and server speak 2026-07-28 directly"

bp=$(free_port) || fail "no free port"
spawn "$T/buffering.log" "$NODE" "$TOP/tests/mcp/buffering-proxy.mjs" \
    "$bp" "http://127.0.0.1:$up"
wait_port 127.0.0.1 "$bp" 10 || fail "buffering-proxy did not start"
"$NODE" "$CLIENT" "http://127.0.0.1:$bp/mcp" "$CHANGED" >"$T/buffering.out" 2>&1 &&
    fail "the client passed through a buffering proxy: its checks prove nothing"
grep -q '^error: progress held back' "$T/buffering.out" ||
    fail "the client failed through the buffering proxy, but not on the progress: $(tail -n 1 "$T/buffering.out")"
"$NODE" "$CLIENT" "http://127.0.0.1:$bp/mcp" "$CHANGED" no-slow \
    >"$T/buffering-listen.out" 2>&1 &&
    fail "the listen check passed through a buffering proxy: it proves nothing"
grep -q '^error: .*listen' "$T/buffering-listen.out" ||
    fail "the client failed through the buffering proxy, but not on the listen: $(tail -n 1 "$T/buffering-listen.out")"
pass "negative control: through a buffering proxy both fail ($(grep -h '^error' "$T/buffering.out" "$T/buffering-listen.out" | tr '\n' ';'))"

pp=$(free_port) || fail "no free port"
write_proxy_conf "$pp" "$up"
start_proxy "$PROXY_CONF"
URL=http://127.0.0.1:$pp/mcp
: >"$T/server.log.mark"
n0=$(wc -l <"$T/server.log")

"$NODE" "$CLIENT" "$URL" "$CHANGED" >"$T/proxy.out" 2>&1
rc=$?
sed 's/^/    /' "$T/proxy.out"
[ $rc -eq 0 ] || fail "the 2026-07-28 client through mcpproxyd failed"
grep -q '^ok connected era=modern version=2026-07-28 session=none' "$T/proxy.out" ||
    fail "not a 2026-07-28 connection: $(head -n 1 "$T/proxy.out")"
grep -q '^ok tools echo,slow$' "$T/proxy.out" || fail "tools/list"
grep -q '^ok slow slow done; progress' "$T/proxy.out" ||
    fail "slow: no progress before the result"
grep -q '^ok listen delivered list_changed while open' "$T/proxy.out" ||
    fail "list_changed not delivered on the open listen stream"
pass "discover, tools/list, echo, progress before the result, listen delivering while open"

tail -n +"$((n0 + 1))" "$T/server.log" >"$T/through.log"
for h in '"mcp-protocol-version":"2026-07-28"' '"mcp-method":"server/discover"' \
    '"mcp-method":"tools/call","mcp-name":"echo"' \
    '"mcp-method":"subscriptions/listen"'; do
	grep -q "$h" "$T/through.log" || fail "not forwarded: $h"
done
grep -qi 'mcp-session-id' "$T/through.log" "$T/proxy.out" &&
    fail "a session id appeared in a 2026-07-28 exchange"
pass "MCP-Protocol-Version, Mcp-Method and Mcp-Name forwarded; no session"

wait_grep "$ACCESS_LOG" 5 -q 'rpc=subscriptions/listen' ||
    fail "no access log line for the listen stream"
pass "the access log names each call (server/discover, tools/call echo, subscriptions/listen)"

# tool rules on the token's claims: echo for the mcp-echo realm role
# (eitan has it, noa does not), every other tool denied
. "$TOP/tests/as/as.sh"
need_as
start_as "$T/as"
stop_proxy
auth_route_conf "$pp" "$up" a
sed -i "s|auth=a\$|& policy=tools|" "$PROXY_CONF"
cat >>"$PROXY_CONF" <<EOC

$(tools_auth a)

[policy tools]
allow = tool:echo if realm_access.roles has mcp-echo
deny = tool:*

$(issuer_local)
EOC
sed '/^\[policy /,/^$/d' "$PROXY_CONF" >"$T/jwksd.conf"
start_jwksd "$T/jwksd.conf"
start_proxy "$PROXY_CONF"
te=$(as_token "$URL" "mcp:tools" eitan) || fail "no token for eitan"
tn=$(as_token "$URL" "mcp:tools" noa) || fail "no token for noa"

MCP_TOKEN=$te "$NODE" "$CLIENT" "$URL" "$CHANGED" >"$T/eitan.out" 2>&1
rc=$?
sed 's/^/    eitan: /' "$T/eitan.out"
[ $rc -eq 0 ] || fail "the client as eitan failed"
grep -q '^ok tools echo$' "$T/eitan.out" ||
    fail "eitan's tools/list not filtered to echo: $(grep '^ok tools' "$T/eitan.out")"
grep -q '^ok echo Echo: ' "$T/eitan.out" || fail "eitan's echo"
grep -q '^ok slow denied code=-320' "$T/eitan.out" ||
    fail "eitan's slow not denied as its own JSON-RPC error: $(grep 'slow' "$T/eitan.out")"
grep -q '^ok listen delivered' "$T/eitan.out" || fail "eitan's listen"
MCP_TOKEN=$tn "$NODE" "$CLIENT" "$URL" "$CHANGED" no-slow >"$T/noa.out" 2>&1
rc=$?
sed 's/^/    noa: /' "$T/noa.out"
[ $rc -eq 0 ] || fail "the client as noa failed"
grep -q '^ok tools $' "$T/noa.out" ||
    fail "noa's tools/list not emptied: $(grep '^ok tools' "$T/noa.out")"
grep -q '^ok echo denied code=-320' "$T/noa.out" ||
    fail "noa's echo not denied as its own JSON-RPC error: $(grep 'echo' "$T/noa.out")"
grep -q 'deny.*tool:\*' "$T/mcpproxyd.log" ||
    fail "the denials are not logged with their rule"
pass "rules on realm_access.roles: eitan sees and calls echo only, noa nothing; denials are the calls' JSON-RPC errors, logged with the rule; listen works for both"
exit 0
