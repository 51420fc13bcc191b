#!/bin/sh
# 52-auth-rotation.t: key rotation end to end.  jwksd refreshes every hour
# and gets no signal; the authorization server (tests/as/server.mjs)
# rotates its signing key; the next token it issues (new kid) is accepted
# on its FIRST request: the worker reports the unknown kid to jwksd and
# waits (up to kid_wait_ms) for the new key file.  jwksd's log must show
# the fetch caused by that kid.
#
#   - a junk kid on a token older than the last fetch is refused at once:
#     jwksd hears nothing of it;
#   - a junk kid on a fresh token right after a fetch: jwksd debounces it
#     (no second fetch);
#   - negative control: a second proxy on the same key file with
#     kid_wait_ms = 0 answers a newly rotated kid's first request 401, so
#     the "accepted on its first request" check can fail.
. "${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
. "$TOP/tests/as/as.sh"
need_as

start_as "$T/as"
start_echo_upstream

pp=$(free_port) || fail "no free port"
URL=http://127.0.0.1:$pp/mcp
auth_route_conf "$pp" "$ep" tutorial
proxy_global "token_cache = 1024" "kid_wait_ms = 2000"
cat >>"$PROXY_CONF" <<EOC

$(tools_auth tutorial "subject_header = X-Auth-Subject")

$(issuer_local)
EOC
# proxy B: the same file, its own port, no waiting for jwksd (and the
# audience of the resource as seen on proxy A: tokens are for $URL)
pb=$(free_port) || fail "no free port"
CONF_B=$T/mcpproxyd-b.conf
copy_proxy_conf "$PROXY_CONF" "$CONF_B" b "$pb" kid_wait_ms=0
chmod 644 "$CONF_B"

start_jwksd "$PROXY_CONF"
start_proxy "$PROXY_CONF"
PROXY_A=$PROXY_PID
start_proxy "$CONF_B"
PROXY_B=$PROXY_PID
OLD=$(as_kids sig | head -n 1)
pass "AS $AS_ISSUER (kid $OLD), jwksd (refresh 1h), proxy A :$pp (kid_wait_ms 2000), proxy B :$pb (kid_wait_ms 0)"

fetches() { grep -c 'keys fetched' "$T/jwksd.log"; }
kid_of() {
	printf '%s' "$1" | cut -d. -f1 | "$NODE" -e '
	    let s = ""; process.stdin.on("data", (c) => s += c).on("end", () =>
		console.log(JSON.parse(Buffer.from(s, "base64url")).kid))'
}
get() {		# get PORT TOKEN: status of GET /mcp
	curl -s -m 15 -o "$T/r.body" -D "$T/r.h" -w '%{http_code}' \
	    -H "Authorization: Bearer $2" "http://127.0.0.1:$1/mcp"
}

T1=$(as_token "$URL") || fail "no token"
[ "$(kid_of "$T1")" = "$OLD" ] || fail "first token's kid $(kid_of "$T1"), want $OLD"
[ "$(get "$pp" "$T1")" = 200 ] || fail "a token of the first key: $(cat "$T/r.h")"
pass "token signed by $OLD: 200"

# --- rotation: the next token, through the unknown-kid path
[ "$(fetches)" = 1 ] || fail "jwksd fetched $(fetches) times before the rotation"
NEW=$(as_rotate)
[ -n "$NEW" ] && [ "$NEW" != "$OLD" ] || fail "rotation failed"
T2=$(as_token "$URL") || fail "no token after the rotation"
[ "$(kid_of "$T2")" = "$NEW" ] || fail "token after the rotation has kid $(kid_of "$T2"), want $NEW"
"$JWKSD" -l -f "$PROXY_CONF" | grep -q " $NEW " && fail "jwksd knew $NEW before any request"
pass "AS rotated to $NEW; its new token is signed by $NEW; jwksd does not know it yet"
code=$(get "$pp" "$T2")
[ "$code" = 200 ] || fail "first request with the new kid: $code $(grep -i www-auth "$T/r.h")"
grep -q '"x-auth-subject":"eitan"' "$T/r.body" || fail "no subject upstream"
pass "first request with a token of the new key: 200 (sub eitan)"
grep -q "issuer local: unknown kid $NEW reported; fetching now" "$T/jwksd.log" ||
    fail "jwksd's log has no report of the unknown kid $NEW"
grep -q "keys fetched (unknown kid)" "$T/jwksd.log" ||
    fail "jwksd's log has no fetch caused by the unknown kid"
[ "$(fetches)" = 2 ] || fail "jwksd fetched $(fetches) times (want 2: start, unknown kid)"
grep -E "unknown kid|keys fetched|published" "$T/jwksd.log" | sed 's/^/    /'
"$JWKSD" -l -f "$PROXY_CONF" | grep -q "^local $NEW RSA RS256 $(as_fingerprint "$NEW")\$" ||
    fail "jwksd -l does not list $NEW"
pass "jwksd fetched because of the unknown kid $NEW (no signal, refresh 1h) and publishes it"
tail -n 1 "$ACCESS_LOG" | sed 's/^/    access: /'
[ "$(get "$pp" "$T1")" = 200 ] || fail "the old key's token is refused after the rotation"
pass "the old key's token still passes (its key stays in the JWKS)"

# --- junk kids: old iat refused at once, fresh iat debounced by jwksd
J1=$(mint --iss "$AS_ISSUER" --aud "$URL" --kid sig-JunkOldToken01 --iat -600) ||
    fail "mint"
code=$(get "$pp" "$J1")
[ "$code" = 401 ] || fail "junk kid, old iat: $code"
wait_grep "$T/mcpproxyd.log" 5 -F "token $(token_hash "$J1"))" || fail "no log line"
grep -F "token $(token_hash "$J1"))" "$T/mcpproxyd.log" |
    grep -q "unknown key id (token older than the last key fetch)" ||
    fail "junk kid, old iat: $(grep -F "$(token_hash "$J1")" "$T/mcpproxyd.log")"
sleep 0.5
grep -q "sig-JunkOldToken01" "$T/jwksd.log" &&
    fail "jwksd heard of a junk kid on a token older than its last fetch"
pass "junk kid, iat 10 min old: 401 'token older than the last key fetch', jwksd not asked"

J2=$(mint --iss "$AS_ISSUER" --aud "$URL" --kid sig-JunkFreshToken1) || fail "mint"
code=$(get "$pp" "$J2")
[ "$code" = 401 ] || fail "junk kid, fresh iat: $code"
wait_grep "$T/jwksd.log" 5 "kid sig-JunkFreshToken1 unknown; fetched [0-9]*s ago, not again" ||
    { grep JunkFresh "$T/jwksd.log"; fail "jwksd did not debounce the fresh junk kid"; }
[ "$(fetches)" = 2 ] || fail "a junk kid caused a fetch ($(fetches) fetches)"
pass "junk kid, fresh iat: 401; jwksd debounced it: $(grep -o 'kid sig-JunkFreshToken1 unknown.*' "$T/jwksd.log")"

# --- negative control: proxy B does not wait for jwksd
# (past jwksd's miss_debounce of 10 s since the last fetch)
sleep 10
NEW2=$(as_rotate)
T3=$(as_token "$URL") || fail "no token after the second rotation"
[ "$(kid_of "$T3")" = "$NEW2" ] || fail "kid $(kid_of "$T3"), want $NEW2"
code=$(get "$pb" "$T3")
[ "$code" = 401 ] ||
    fail "negative control: proxy B (kid_wait_ms 0) answered $code to a new kid's first request"
grep -q 'error_description="unknown signing key"' "$T/r.h" ||
    fail "negative control: $(grep -i www-auth "$T/r.h")"
pass "negative control: with kid_wait_ms = 0 the new kid's first request is 401 (the check above can fail)"
wait_grep "$T/jwksd.log" 5 "unknown kid $NEW2 reported; fetching now" ||
    fail "proxy B did not report $NEW2"
n=0
until "$JWKSD" -l -f "$PROXY_CONF" | grep -q " $NEW2 "; do
	n=$((n + 1)); [ $n -gt 50 ] && fail "$NEW2 never published"; sleep 0.1
done
[ "$(get "$pb" "$T3")" = 200 ] || fail "proxy B, $NEW2 published: still refused"
[ "$(get "$pp" "$T3")" = 200 ] || fail "proxy A: $NEW2 refused"
pass "once jwksd published $NEW2 (B's report), both proxies accept it"

for p in "$PROXY_A" "$PROXY_B" "$JWKSD_PID"; do
	kill -0 "$p" 2>/dev/null || fail "a daemon is gone ($p)"
done
grep -E 'killed by|exited with|die at birth' "$T/mcpproxyd.log" &&
    fail "mcpproxyd's log shows workers dying"
pass "daemons still running"
exit 0
