#!/bin/bash
# Reload under load over TLS: wrk over https (the test CA) across 10 HUPs
# loses no request, and an event stream over TLS stays open through them;
# a reload with a mismatched key, or with a file that is no certificate,
# is refused and logged, and the running certificate still served.
. "${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
need proxy openssl curl wrk node_modules

"$TOP/tests/tls/mkca.sh" "$T/pki" >"$T/mkca.log" 2>&1 ||
    fail "mkca.sh: $(cat "$T/mkca.log")"
K=$T/pki
chmod 755 "$K"
UP=$(free_port) || fail "no port"
spawn "$T/upstream.log" "$NODE" "$TOP/tests/mcp/echo-upstream.mjs" "$UP"
wait_port 127.0.0.1 "$UP" || fail "echo upstream did not start"
P=$(free_port) || fail "no port"
write_proxy_conf "$P" "$UP" "route = /api http://127.0.0.1:$UP/echo" \
    "route = /sse http://127.0.0.1:$UP/sse" \
    "tls_certificate = $K/localhost.pem" "tls_key = $K/localhost.key"
printf '[mcpproxyd]\nreload_grace = 30\n' >>"$PROXY_CONF"
start_proxy "$PROXY_CONF"
MASTER=$(cat "$T/mcpproxyd.pid")
B=https://localhost:$P
C="curl -s -m 30 --cacert $K/ca.pem"

# wrk does not verify certificates: the curl rows above and below do
$C -N "$B/sse?n=70" >"$T/stream.out" 2>&1 &
stream=$!
wrk -t2 -c8 -d25s --timeout 20s "$B/api" >"$T/wrk.out" 2>&1 &
load=$!
sleep 1
# one HUP after the other's reload is logged: HUPs sent during a reload
# are one (a slow build, ASan, takes longer than a fixed pause)
for i in 1 2 3 4 5 6 7 8 9 10; do
	kill -HUP "$MASTER"
	n=0
	while [ "$(grep -c 'reloaded .*generation' "$T/mcpproxyd.log")" -lt $i ]; do
		n=$((n + 1)); [ $n -gt 100 ] && fail "reload $i not logged"
		sleep 0.1
	done
	sleep 0.3
done
kill -0 "$load" 2>/dev/null || fail "wrk ended before the 10 reloads: make -d longer"
wait "$load" || fail "wrk failed: $(cat "$T/wrk.out")"
wait "$stream"
cat "$T/wrk.out"
grep -q 'Socket errors' "$T/wrk.out" && fail "socket errors during reloads: $(grep 'Socket errors' "$T/wrk.out")"
grep -q 'Non-2xx' "$T/wrk.out" && fail "failed requests during reloads: $(grep 'Non-2xx' "$T/wrk.out")"
n=$(awk '/requests in/ {print $1}' "$T/wrk.out")
[ "${n:-0}" -gt 100 ] || fail "too few requests to mean anything: $n"
[ "$(grep -c '^data: event' "$T/stream.out")" = 70 ] ||
    fail "TLS stream cut by the reloads: $(grep -c '^data: event' "$T/stream.out") of 70 events"
[ "$(grep -c 'reloaded .*generation' "$T/mcpproxyd.log")" = 10 ] ||
    fail "expected 10 reloads in the log"
pass "10 reloads under TLS load: $n requests, none failed; a 70-event TLS stream intact"

# serial SUBJECT: what the listener shows now
subject() { openssl s_client -connect 127.0.0.1:$P -servername localhost \
    </dev/null 2>/dev/null | sed -n 's/^subject=.*CN *= *//p'; }
refused() {	# NAME SED WANT-LOG
	cp "$PROXY_CONF" "$T/good.conf"
	sed -i "$2" "$PROXY_CONF"
	kill -HUP "$MASTER"
	wait_grep "$T/mcpproxyd.log" 10 -q "reload failed: .*$3.*; keeping the running configuration" ||
	    fail "$1: no refusal logged"
	kill -0 "$MASTER" || fail "$1: the master died"
	c=$($C -o /dev/null -w '%{http_code}' "$B/api")
	[ "$c" = 200 ] || fail "$1: not serving after the refused reload: $c"
	[ "$(subject)" = localhost ] || fail "$1: certificate changed: $(subject)"
	cp "$T/good.conf" "$PROXY_CONF"
	pass "$1: reload refused and logged, the old certificate served"
}
refused "a mismatched key" "s|^tls_key = .*|tls_key = $K/mismatch.key|" \
    "tls_key $K/mismatch.key does not match tls_certificate"
refused "a key as certificate" "s|^tls_certificate = .*|tls_certificate = $K/localhost.key|" \
    "tls_certificate $K/localhost.key: not a PEM certificate chain"
# and a good change is taken: the RSA certificate after a reload
sed -i "s|^tls_certificate = .*|tls_certificate = $K/localhost-rsa.pem|; s|^tls_key = .*|tls_key = $K/localhost-rsa.key|" "$PROXY_CONF"
kill -HUP "$MASTER"
n=0
until openssl s_client -connect 127.0.0.1:$P </dev/null 2>/dev/null |
    grep -q "Server public key is 2048 bit"; do
	n=$((n + 1)); [ $n -gt 50 ] && fail "the RSA certificate not served after a reload"
	sleep 0.2
done
pass "a new certificate is served after a reload"
exit 0
