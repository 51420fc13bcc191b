#!/bin/bash
# Signals: HUP under load loses no request and no open stream, and the
# new settings are in force afterwards; a broken file keeps the running
# configuration; USR1 after moving the log writes to a new file; QUIT
# lets an open stream finish.
. "${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
need proxy node_modules curl wrk

UP=$(free_port) || fail "no port"
spawn "$T/upstream.log" "$NODE" "$TOP/tests/mcp/echo-upstream.mjs" "$UP"
wait_port 127.0.0.1 "$UP" || fail "echo upstream did not start"
P=$(free_port) || fail "no port"
write_proxy_conf "$P" "$UP" "route = /api http://127.0.0.1:$UP/echo" \
    "route = /sse http://127.0.0.1:$UP/sse"
printf '[mcpproxyd]\nreload_grace = 30\n' >>"$PROXY_CONF"
start_proxy "$PROXY_CONF"
B=http://127.0.0.1:$P
MASTER=$(cat "$T/mcpproxyd.pid")

# --- HUP under load, with a stream open across the reloads ----------------
curl -s -N "$B/sse?n=40" >"$T/stream.out" 2>&1 &
stream=$!
# --timeout: a slow answer on a loaded machine is not a lost request
wrk -t2 -c8 -d7s --timeout 20s "$B/api" >"$T/wrk.out" 2>&1 &
load=$!
sleep 1
for i in 1 2 3 4 5; do
	kill -HUP "$MASTER"
	sleep 1
done
wait "$load" || fail "wrk failed: $(cat "$T/wrk.out")"
wait "$stream"
cat "$T/wrk.out"
grep -q 'Socket errors' "$T/wrk.out" && fail "socket errors during reloads: $(grep 'Socket errors' "$T/wrk.out")"
grep -q 'Non-2xx' "$T/wrk.out" && fail "failed requests during reloads: $(grep 'Non-2xx' "$T/wrk.out")"
n=$(awk '/requests in/ {print $1}' "$T/wrk.out")
[ "${n:-0}" -gt 100 ] || fail "too few requests to mean anything: $n"
[ "$(grep -c '^data: event' "$T/stream.out")" = 40 ] ||
    fail "stream cut by the reloads: $(grep -c '^data: event' "$T/stream.out") of 40 events"
[ "$(grep -c 'reloaded .*generation' "$T/mcpproxyd.log")" = 5 ] ||
    fail "expected 5 reloads in the log"
pass "5 reloads under load: $n requests, none failed; a 40-event stream intact"

# --- new settings in force ---------------------------------------------------
c=$(curl -s -o /dev/null -w '%{http_code}' "$B/api2")
[ "$c" = 404 ] || fail "/api2 before the change: $c"
sed -i "s|^route = /api http|route = /api2 http://127.0.0.1:$UP/echo\nroute = /api http|" "$PROXY_CONF"
kill -HUP "$MASTER"
n=0
until [ "$(curl -s -o /dev/null -w '%{http_code}' "$B/api2")" = 200 ]; do
	n=$((n + 1)); [ $n -gt 50 ] && fail "/api2 not routed after the reload"
	sleep 0.1
done
pass "a route added by a reload is in force"

# --- a broken file keeps the running configuration -----------------------------
cp "$PROXY_CONF" "$T/good.conf"
echo "this is not INI" >>"$PROXY_CONF"
kill -HUP "$MASTER"
wait_grep "$T/mcpproxyd.log" 5 -q "reload failed: .*syntax error; keeping the running configuration" ||
    fail "no log line for the broken reload"
curl -sf "$B/api2" >/dev/null || fail "not serving after a broken reload"
kill -0 "$MASTER" || fail "master died on a broken reload"
cp "$T/good.conf" "$PROXY_CONF"
pass "a broken file is refused and the proxy keeps serving"

# --- USR1 reopens the access log --------------------------------------------------
curl -sf "$B/api?before-rotation" >/dev/null
mv "$ACCESS_LOG" "$ACCESS_LOG.1"
kill -USR1 "$MASTER"
wait_grep "$T/mcpproxyd.log" 5 -q "access log .* reopened" || fail "USR1 not handled"
sleep 0.3
for i in 1 2 3 4 5 6 7 8; do curl -sf "$B/api/after" >/dev/null; done
[ -f "$ACCESS_LOG" ] || fail "no new access log after USR1"
grep -q '"GET /api/after"' "$ACCESS_LOG" || fail "new lines not in the new file"
grep -q '"GET /api/after"' "$ACCESS_LOG.1" && fail "new lines still go to the moved file"
pass "USR1: new lines go to the new file"

# --- QUIT lets an open stream finish ----------------------------------------------
curl -s -N "$B/sse?n=10" >"$T/stream2.out" 2>&1 &
stream=$!
sleep 0.5
kill -QUIT "$MASTER"
wait "$stream"
[ "$(grep -c '^data: event' "$T/stream2.out")" = 10 ] ||
    fail "QUIT cut the stream: $(grep -c '^data: event' "$T/stream2.out") of 10"
n=0
while kill -0 "$MASTER" 2>/dev/null; do
	n=$((n + 1)); [ $n -gt 50 ] && fail "master did not stop after QUIT"
	sleep 0.1
done
c=$(curl -s -o /dev/null -w '%{http_code}' "$B/api")
[ "$c" = 000 ] || fail "still answering after QUIT: $c"
pass "QUIT: the open stream finished, then the proxy stopped"
exit 0
