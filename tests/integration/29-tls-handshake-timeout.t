#!/bin/sh
# 29-tls-handshake-timeout.t: a TLS handshake counts against
# header_timeout, so a slow or silent TLS client cannot hold a worker.
# A proxy with two workers (max_workers = 2), header_timeout = 3 and
# defer_accept = 0 (every connection goes to a worker at once), and five
# clients of tests/mcp/slow-client.mjs at the same time: one that sends
# nothing, one that sends the first 40 bytes of a ClientHello and stops,
# one that drips a ClientHello a byte every 250 ms (the bound is on the whole
# handshake, not on each read), one that finishes the handshake and sends
# no request (the handshake and the first head share the bound), and a
# second silent one.  A request sent while the two workers are held is
# answered 200 (a worker was freed; curl gives up after 30 s); each slow
# client is closed by the proxy, none has to give up (after 60 s: both
# liveness bounds, not timing ones); the slow handshakes are logged, the
# silent connections are not.
# It runs twice: with waitroom = off (every connection on its worker:
# the worker's own deadline), then with the waiting room, which takes a
# ClientHello not complete after waitroom_after and holds it to the same
# bound, logs it the same way and closes it with a FIN.
# Negative control (by hand, tests/RESULTS.md): a build whose
# connection_tls() (worker.c) sets no deadline (head_deadline = LLONG_MAX)
# makes the handshake clients give up and the request time out.
. "${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
need proxy openssl curl node_modules

"$TOP/tests/tls/mkca.sh" "$T/pki" >"$T/mkca.log" 2>&1 ||
    fail "mkca.sh: $(cat "$T/mkca.log")"
K=$T/pki
UP=$(free_port) || fail "no port"
spawn "$T/upstream.log" "$NODE" "$TOP/tests/mcp/echo-upstream.mjs" "$UP"
wait_port 127.0.0.1 "$UP" || fail "echo upstream did not start"
P=$(free_port) || fail "no port"
write_proxy_conf "$P" "$UP" "route = /api http://127.0.0.1:$UP/echo" \
    "tls_certificate = $K/localhost.pem" "tls_key = $K/localhost.key"
sed -i '/^min_spare =/d; /^max_workers =/d' "$PROXY_CONF"
proxy_pool() {	# proxy_pool on|off: the pool above, the waiting room on or off
	sed -i "/^waitroom = /d" "$PROXY_CONF"
	sed -i "s|^\[mcpproxyd\]\$|&\nwaitroom = $1|" "$PROXY_CONF"
}
sed -i "s|^\[mcpproxyd\]\$|&\nstart_workers = 2\nmin_spare = 1\nmax_spare = 2\nmax_workers = 2\nheader_timeout = 3\ndefer_accept = 0|" \
    "$PROXY_CONF"
B=

# rows WHERE: the five slow clients and the request, the log lines
rows() {
where=$1
L0=$(grep -c 'not done within header_timeout' "$T/mcpproxyd.log" 2>/dev/null)
# --- five slow clients at once, against two workers
pids=""
for m in idle tls-partial tls-drip tls-idle idle; do
	n=$(echo $pids | wc -w)
	"$NODE" "$TOP/tests/mcp/slow-client.mjs" --port "$P" --mode "$m" \
	    --interval 250 --give-up 60000 --ca "$K/ca.pem" \
	    >"$T/slow-$where-$n-$m.json" 2>&1 &
	pids="$pids $!"
done
# the clients connect first, so both workers hold one when the request
# comes (and then the other slow clients are queued ahead of it)
sleep 1
# a normal request meanwhile: served once a worker is free
code=$(curl -s -m 30 -o /dev/null -w '%{http_code}' --cacert "$K/ca.pem" "$B/api")
[ "$code" = 200 ] || fail "$where: a request while slow TLS clients held both workers: $code"
pass "$where: a request sent while slow TLS clients held both workers: 200"
for p in $pids; do
	wait "$p"
done
for f in "$T"/slow-"$where"-*.json; do
	r=$(tail -n 1 "$f")
	case $r in *'"closedBy":"server"'*) ;;
	*) fail "$where: $(basename "$f" .json): not closed by the proxy: $r" ;;
	esac
	pass "$where: $(basename "$f" .json | sed "s/^slow-$where-[0-9]*-//"): closed by the proxy ($r)"
done

# --- the log: one line per slow handshake, none for silent connections
wait_grep "$T/mcpproxyd.log" 5 -q 'tls handshake from 127.0.0.1 .* not done within header_timeout' ||
    fail "$where: no log line for a slow handshake"
n=$(( $(grep -c 'not done within header_timeout' "$T/mcpproxyd.log") - ${L0:-0} ))
[ "$n" = 2 ] || fail "$where: $n lines for slow handshakes, want 2 (tls-partial, tls-drip): $(grep 'tls handshake' "$T/mcpproxyd.log")"
pass "$where: logged: $(grep -m1 'not done within header_timeout' "$T/mcpproxyd.log" | sed 's/^[^ ]* //')"

kill -0 "$PROXY_PID" 2>/dev/null || fail "$where: mcpproxyd is gone"
curl -sf -m 20 --cacert "$K/ca.pem" "$B/api" >/dev/null ||
    fail "$where: the proxy does not answer after the slow clients"
pass "$where: the proxy answers after the slow clients"
}

# the worker's own bound: every connection stays on its worker
proxy_pool off
start_proxy "$PROXY_CONF"
B=https://localhost:$P
curl -sf -m 20 --cacert "$K/ca.pem" "$B/api" >/dev/null ||
    fail "the proxy does not answer over TLS"
pass "proxy on $B: max_workers 2, header_timeout 3, defer_accept 0, waitroom = off"
rows worker
stop_proxy
# the waiting room's: a ClientHello not complete waits there, peeked
proxy_pool on
start_proxy "$PROXY_CONF"
rows room
exit 0
