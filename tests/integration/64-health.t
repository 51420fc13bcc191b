#!/bin/bash
# Health (issue 16), on the metrics listener: /livez answers 200 while a
# worker answers; /readyz answers 503 naming the issuer while a
# protected route's issuer has no keys (jwksd not started), and 200 once
# jwksd published them.  jwksd's view of each issuer reaches the metrics
# through its status file (not the key file): keys held, last good
# fetch, next refresh, failures in a row (a broken JWKS file, fetched
# again on SIGUSR2, counts one).  A server's health_path answers 200 on
# the traffic listener without a token.
. "${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
. "$TOP/tests/as/as.sh"
TOOL=$TOP/$BUILD/mcpproxyd-token
need proxy jwksd node_modules curl python3 promtool "$TOOL"
EXPO="python3 $TOP/tests/metrics/expo.py"

UP=$(free_port) || fail "no port"
spawn "$T/upstream.log" "$NODE" "$TOP/tests/mcp/echo-upstream.mjs" "$UP"
wait_port 127.0.0.1 "$UP" || fail "echo upstream did not start"
P=$(free_port) || fail "no port"
M=$(free_port) || fail "no port"
"$TOOL" genkey -k "$T/k1.pem" -j "$T/jwks.json" >/dev/null || fail "genkey"
URL=http://127.0.0.1:$P/mcp
ISS=https://tokens.example.net/t64
auth_route_conf "$P" "$UP" svc "health_path = /healthz"
cat >>"$PROXY_CONF" <<EOC

$(tools_auth svc)

[issuer local]
issuer = $ISS
jwks_file = $T/jwks.json

$(jwksd_section)

[mcpproxyd]
metrics_listen = 127.0.0.1:$M
EOC
out=$("$MCPPROXYD" -n -f "$PROXY_CONF" 2>&1) || fail "mcpproxyd -n: $out"
start_proxy "$PROXY_CONF"
wait_port 127.0.0.1 "$M" || fail "no metrics listener"
H=http://127.0.0.1:$M
code() { curl -s -o "$T/body" -w '%{http_code}' "$@"; }

for bad in "health_path = healthz" "health_path = /a?b" "health_path = /a b" \
    "health_path = /%2e"; do
	sed "s|^health_path = .*|$bad|" "$PROXY_CONF" >"$T/bad.conf"
	out=$("$MCPPROXYD" -n -f "$T/bad.conf" 2>&1) && fail "accepted: $bad"
	echo "$out" | grep -q "health_path: " || fail "$bad: -n said: $out"
done
[ "$(code "http://127.0.0.1:$P/healthz")" = 200 ] && [ "$(cat "$T/body")" = ok ] ||
    fail "health_path: $(cat "$T/body")"
[ "$(code "http://127.0.0.1:$P/mcp")" = 401 ] || fail "the protected route without a token"
[ "$(code "http://127.0.0.1:$P/healthz/x")" = 404 ] || fail "health_path matched a longer path"
pass "health_path /healthz: 200 ok on the traffic listener with no token (the route beside it: 401); bad values refused"

# --- live, not ready: no keys yet ----------------------------------------------
[ "$(code "$H/livez")" = 200 ] && [ "$(cat "$T/body")" = ok ] || fail "livez: $(cat "$T/body")"
[ "$(code -I "$H/livez")" = 200 ] || fail "HEAD livez"
[ "$(code "$H/readyz")" = 503 ] || fail "readyz without keys: $(cat "$T/body")"
why=$(cat "$T/body")
[ "$why" = "issuer local: no keys" ] || fail "readyz says: $why"
[ "$(code "$H/nothing")" = 404 ] || fail "unknown path"
[ "$(code -X POST "$H/metrics")" = 405 ] || fail "POST"
[ "$(code "http://127.0.0.1:$P/livez")" = 404 ] || fail "the traffic listener answers /livez"
curl -s "$H/metrics" >"$T/m0"
[ "$($EXPO value "$T/m0" mcpproxyd_jwksd_status_ok)" = 0 ] || fail "status_ok without jwksd"
pass "live (200), not ready while issuer local has no keys (503: $why); only on the metrics listener"

# --- ready once jwksd published the keys ---------------------------------------
start_jwksd "$PROXY_CONF"
end=$((SECONDS + 30))
until [ "$(code "$H/readyz")" = 200 ]; do
	[ $SECONDS -gt $end ] && fail "not ready with keys: $(cat "$T/body")"
	sleep 0.1
done
[ "$(cat "$T/body")" = ready ] || fail "readyz body: $(cat "$T/body")"
pass "ready (200) once jwksd published the issuer's keys"

end=$((SECONDS + 30))
until curl -s "$H/metrics" >"$T/m1" &&
    [ "$($EXPO value "$T/m1" mcpproxyd_jwksd_status_ok)" = 1 ]; do
	[ $SECONDS -gt $end ] && fail "no jwksd status: $(grep jwksd "$T/m1")"
	sleep 0.1
done
promtool check metrics <"$T/m1" >"$T/promtool.out" 2>&1 ||
    fail "promtool: $(cat "$T/promtool.out")"
now=$(date +%s)
[ "$($EXPO value "$T/m1" mcpproxyd_jwksd_keys issuer=local)" = 1 ] ||
    fail "keys: $(grep jwksd "$T/m1")"
f=$($EXPO value "$T/m1" mcpproxyd_jwksd_last_fetch_timestamp_seconds issuer=local)
[ "$f" -gt $((now - 60)) ] && [ "$f" -le "$now" ] || fail "last fetch $f, now $now"
nx=$($EXPO value "$T/m1" mcpproxyd_jwksd_next_refresh_timestamp_seconds issuer=local)
[ "$nx" -gt "$now" ] || fail "next refresh $nx, now $now"
[ "$($EXPO value "$T/m1" mcpproxyd_jwksd_consecutive_failures issuer=local)" = 0 ] ||
    fail "failures: $(grep jwksd "$T/m1")"
[ -f "$T/lib/keys.status" ] || fail "no status file beside the key file"
pass "jwksd's status file: 1 key, last fetch $((now - f)) s ago, next refresh in $((nx - now)) s, no failure"

# --- a failed fetch counts -----------------------------------------------------
echo '{"keys": "not a list"}' >"$T/jwks.json"
kill -USR2 "$JWKSD_PID"
end=$((SECONDS + 30))
until curl -s "$H/metrics" >"$T/m2" &&
    [ "$($EXPO value "$T/m2" mcpproxyd_jwksd_consecutive_failures issuer=local)" -ge 1 ]; do
	[ $SECONDS -gt $end ] && fail "no failure counted: $(grep jwksd "$T/m2")"
	sleep 0.1
done
[ "$($EXPO value "$T/m2" mcpproxyd_jwksd_keys issuer=local)" = 1 ] ||
    fail "the last good key was dropped: $(grep jwksd "$T/m2")"
[ "$(code "$H/readyz")" = 200 ] || fail "not ready with the last good keys: $(cat "$T/body")"
pass "a broken JWKS file: consecutive_failures 1, the last good key kept, still ready"
exit 0
