#!/bin/sh
# 85-slowloris.t: slow and greedy clients.  Latencies are measured and
# printed (the "figures:" lines; tests/RESULTS.md has a run's), never
# asserted.
#
#   - one slow client of each kind against header_timeout = 3 and
#     keepalive_timeout = 3: a connection that sends nothing, a head sent
#     one byte a second, a body that stops, an idle kept-alive connection:
#     each is closed by the proxy (408 where a request was begun); and a
#     body sent one byte a second is cut by body_timeout = 5 (408);
#   - max_conns_per_client = 8 (a second proxy, header_timeout 20 so that
#     held connections stay): 20 connections from 127.0.0.9 opened one by
#     one and held, each with a head begun: the 12 beyond 8 are answered
#     429 at once, the first 8 are then served (200), and so is 127.0.0.10
#     meanwhile;
#   - defer_accept: 40 connections that send nothing hold no worker of 32,
#     a request is answered at once (and waits with defer_accept = 0);
#   - a slowloris of 300 connections from 127.0.0.2 .. 127.0.0.51 (6 per
#     address, under the per-address cap), each sending a partial head one
#     line a second and reconnecting when closed, against max_workers = 64:
#     a normal client on 127.0.0.1 (4 loops, a new connection per request) and a
#     kept-alive one both get every request answered 200 within a client
#     timeout of 30 s; the pool grows to max_workers; the timeouts reclaim
#     the workers (408s to the slowloris, logged).
#
# Every proxy here runs with waitroom = off: this test is the worker
# pool's own defence (timeouts, caps, defer_accept), which the waiting
# room must not hide; 66-waitroom.t is the waiting room's.
. "${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
need proxy node_modules curl
# DRIP_BODY=report: only report a body sent one byte a second that is not
# cut within 20 s (the default fails: body_timeout bounds the whole body)
DRIP_BODY=${DRIP_BODY:-strict}
ATTACK_SECS=${ATTACK_SECS:-25}

UP=$(free_port) || fail "no port"
spawn "$T/upstream.log" "$NODE" "$TOP/tests/mcp/echo-upstream.mjs" "$UP"
wait_port 127.0.0.1 "$UP" || fail "echo upstream did not start"

# --- proxy A: the slowloris target
P=$(free_port) || fail "no port"
write_proxy_conf "$P" "$UP" "route = /api http://127.0.0.1:$UP/echo"
sed -i '/^min_spare =/d; /^max_workers =/d' "$PROXY_CONF"
cat >>"$PROXY_CONF" <<EOC
[mcpproxyd]
start_workers = 4
min_spare = 2
max_spare = 10
max_workers = 64
backlog = 511
header_timeout = 3
keepalive_timeout = 3
body_timeout = 5
max_conns_per_client = 8
defer_accept = 2
waitroom = off
EOC
start_proxy "$PROXY_CONF"
MASTER=$(cat "$T/mcpproxyd.pid")
CONF_A=$PROXY_CONF LOG_A=$ACCESS_LOG
B=http://127.0.0.1:$P

# --- proxy B: the per-address cap, with held connections
PB=$(free_port) || fail "no port"
CONF_B=$T/mcpproxyd-b.conf
copy_proxy_conf "$CONF_A" "$CONF_B" b "$PB" start_workers=24 max_spare=32 \
    max_workers=32 header_timeout=20 defer_accept=10
start_proxy "$CONF_B"
curl -sf -m 10 "$B/api" >/dev/null || fail "proxy A does not answer"
curl -sf -m 10 "http://127.0.0.1:$PB/api" >/dev/null || fail "proxy B does not answer"
pass "proxy A :$P (max_workers 64, header_timeout 3, keepalive_timeout 3, max_conns_per_client 8), proxy B :$PB (the same, header_timeout 20)"

# --- slow clients, one of each kind, against proxy A (in the background)
sc=""
for m in idle drip-head stall-body keepalive-idle drip-body; do
	"$NODE" "$TOP/tests/mcp/slow-client.mjs" --port "$P" --mode "$m" \
	    --interval 1000 --give-up 20000 >"$T/slow-$m.json" 2>&1 &
	sc="$sc $!"
done

# --- the per-address cap (proxy B)
"$NODE" "$TOP/tests/mcp/conn-cap.mjs" --port "$PB" --local 127.0.0.9 \
    --n 20 --gap 100 --wait 1500 >"$T/cap.json" ||
    fail "conn-cap.mjs: $(cat "$T/cap.json")"
# meanwhile (the 8 held ones are released by conn-cap.mjs only at its end)
cat "$T/cap.json"
[ "$(json "$T/cap.json" 'j.early["429"]')" = 12 ] ||
    fail "20 connections from 127.0.0.9, cap 8: refused $(json "$T/cap.json" j.early)"
[ "$(json "$T/cap.json" 'j.earlyIndexes.join(",")')" = "8,9,10,11,12,13,14,15,16,17,18,19" ] ||
    fail "refused connections: $(json "$T/cap.json" j.earlyIndexes) (want the 9th and later)"
[ "$(json "$T/cap.json" 'j.later["200"]')" = 8 ] ||
    fail "the 8 held connections then sent a request: $(json "$T/cap.json" j.later)"
n429=$(grep -c '^[^ ]* 127\.0\.0\.9 .* 429 ' "$T/access-b.log")
[ "$n429" = 12 ] || fail "access log B has $n429 429s from 127.0.0.9"
pass "max_conns_per_client 8: of 20 held connections from 127.0.0.9 the 12 beyond 8 got 429 at once (logged), the first 8 then got 200"
# the cap is per address and counts live connections only
"$NODE" -e '
    const net = require("net"), [port] = process.argv.slice(1);
    const held = [];
    let n = 0;
    for (let i = 0; i < 8; i++) { const s = net.connect({ host: "127.0.0.1",
	port: +port, localAddress: "127.0.0.9" }, () => {
	    s.write("GET /api HTTP/1.1\r\n"); if (++n === 8) go(); });
	held.push(s); }
    function go() { setTimeout(() => {
	require("child_process").execFile("curl", ["-s", "-o", "/dev/null",
	    "-w", "%{http_code}", "--interface", "127.0.0.10", "-m", "10",
	    `http://127.0.0.1:${port}/api`], (e, out) => {
		console.log(out); held.forEach((s) => s.destroy()); process.exit(0); });
    }, 500); }' "$PB" >"$T/other.txt"
[ "$(cat "$T/other.txt")" = 200 ] ||
    fail "127.0.0.10 while 127.0.0.9 holds 8 connections: $(cat "$T/other.txt")"
sleep 0.5
c=$(curl -s -o /dev/null -w '%{http_code}' -m 10 --interface 127.0.0.9 "http://127.0.0.1:$PB/api")
[ "$c" = 200 ] || fail "127.0.0.9 after its connections closed: $c"
pass "another address (127.0.0.10) is served while 127.0.0.9 holds 8; 127.0.0.9 is served again once they close"

# --- silent connections hold no worker (defer_accept; B has 10 s, the
# default, header_timeout 20, 32 workers): 40 connections that send nothing
# from 127.0.0.20-24, then an ordinary request must be answered at once.
# The negative control is B's configuration with defer_accept = 0 (C):
# the 32 workers each wait on a silent connection, the request waits.
silent() {	# silent PORT FILE: hold 40 silent connections, then curl
	"$NODE" -e '
	    const net = require("net"), [port] = process.argv.slice(1);
	    const held = []; let n = 0;
	    for (let a = 20; a < 25; a++) for (let i = 0; i < 8; i++)
		held.push(net.connect({ host: "127.0.0.1", port: +port,
		    localAddress: "127.0.0." + a }, () => { if (++n === 40) go(); }));
	    function go() { setTimeout(() => {
		require("child_process").execFile("curl", ["-s", "-o", "/dev/null",
		    "-w", "%{http_code} %{time_total}", "-m", "5",
		    `http://127.0.0.1:${port}/api`], (e, out) => {
			console.log(out || "timeout");
			held.forEach((s) => s.destroy()); process.exit(0); });
	    }, 1000); }' "$1" >"$2"
}
silent "$PB" "$T/silent-b.txt"
case "$(cat "$T/silent-b.txt")" in
200\ *) ;;
*) fail "40 silent connections, defer_accept 10: the request got $(cat "$T/silent-b.txt")" ;;
esac
PC=$(free_port) || fail "no port"
CONF_C=$T/mcpproxyd-c.conf
copy_proxy_conf "$CONF_B" "$CONF_C" c "$PC" defer_accept=0
start_proxy "$CONF_C"
curl -sf -m 10 "http://127.0.0.1:$PC/api" >/dev/null || fail "proxy C does not answer"
silent "$PC" "$T/silent-c.txt"
case "$(cat "$T/silent-c.txt")" in
200\ *) fail "negative control: with defer_accept = 0 the request was answered at once ($(cat "$T/silent-c.txt")): the check proves nothing" ;;
esac
kill "$(cat "$T/mcpproxyd-c.pid")"
pass "40 silent connections hold no worker: a request answered at once ($(cat "$T/silent-b.txt") s); with defer_accept = 0 it waits behind them ($(cat "$T/silent-c.txt"))"

# --- the slow clients' outcomes
# shellcheck disable=SC2086
wait $sc
for m in idle drip-head stall-body keepalive-idle drip-body; do
	printf '    %s\n' "$(cat "$T/slow-$m.json")"
done
for m in idle drip-head stall-body keepalive-idle; do
	[ "$(json "$T/slow-$m.json" j.closedBy)" = server ] ||
	    fail "$m: not closed by the proxy: $(cat "$T/slow-$m.json")"
done
for m in drip-head stall-body; do
	[ "$(json "$T/slow-$m.json" j.status)" = 408 ] ||
	    fail "$m: $(cat "$T/slow-$m.json") (want 408)"
done
[ "$(json "$T/slow-keepalive-idle.json" j.status)" = 200 ] ||
    fail "keepalive-idle: $(cat "$T/slow-keepalive-idle.json")"
grep -q 'request head timed out' "$T/mcpproxyd.log" || fail "no 'request head timed out' logged"
grep -q 'request body timed out' "$T/mcpproxyd.log" || fail "no 'request body timed out' logged"
pass "closed by the proxy: idle after $(json "$T/slow-idle.json" j.afterMs) ms, drip-head (408) after $(json "$T/slow-drip-head.json" j.afterMs) ms, stall-body (408) after $(json "$T/slow-stall-body.json" j.afterMs) ms, idle kept-alive after $(json "$T/slow-keepalive-idle.json" j.afterMs) ms"
if [ "$(json "$T/slow-drip-body.json" j.closedBy)" = server ]; then
	pass "drip-body (1 byte/s): cut after $(json "$T/slow-drip-body.json" j.afterMs) ms, status $(json "$T/slow-drip-body.json" j.status)"
elif [ "$DRIP_BODY" = strict ]; then
	fail "drip-body: a body sent one byte a second still holds its worker after 20 s"
else
	echo "not ok - drip-body: a body sent one byte a second still held its worker after 20 s ($(json "$T/slow-drip-body.json" j.sent) bytes sent): the body has a deadline per read, none overall # TODO (DRIP_BODY=strict to fail)"
fi

# --- baseline latency of the normal client, no attack
"$NODE" "$TOP/tests/mcp/load-loop.mjs" --url "$B/api" --local 127.0.0.1 \
    --duration 3 --out "$T/base.json" || fail "baseline load"
[ "$(json "$T/base.json" j.requests)" = "$(json "$T/base.json" j.ok)" ] ||
    fail "baseline: $(cat "$T/base.json")"
pass "baseline (no attack): $(json "$T/base.json" j.requests) requests, p50 $(json "$T/base.json" j.latency.p50) ms, p99 $(json "$T/base.json" j.latency.p99) ms"

# --- the slowloris
before408=$(grep -c '" 408 ' "$LOG_A")
spawn "$T/slowloris.log" "$NODE" "$TOP/tests/mcp/slowloris.mjs" --port "$P" \
    --conns 300 --from 2 --addrs 50 --interval 1000 --path /api \
    --status "$T/sl-status.json" --out "$T/sl.json"
SL_PID=$SPAWNED_PID
n=0
until [ -f "$T/sl-status.json" ] &&
    [ "$(json "$T/sl-status.json" j.connected)" -ge 300 ] 2>/dev/null; do
	n=$((n + 1)); [ $n -gt 100 ] && fail "slowloris did not connect: $(cat "$T/sl-status.json")"
	sleep 0.1
done
pass "slowloris: 300 connections from 127.0.0.2-51 open"
"$NODE" "$TOP/tests/mcp/load-loop.mjs" --url "$B/api" --local 127.0.0.1 \
    --conc 4 --timeout 30000 --out "$T/normal.json" --log "$T/normal.lines" &
NORMAL=$!
"$NODE" "$TOP/tests/mcp/load-loop.mjs" --url "$B/api" --local 127.0.0.1 \
    --keepalive --timeout 30000 --out "$T/normal-ka.json" &
NORMAL_KA=$!
maxw=0 i=0
while [ $i -lt $((ATTACK_SECS * 2)) ]; do
	w=$(pgrep -P "$MASTER" | wc -l)
	[ "$w" -gt "$maxw" ] && maxw=$w
	sleep 0.5; i=$((i + 1))
done
kill -TERM "$NORMAL" "$NORMAL_KA"
wait "$NORMAL" "$NORMAL_KA"	# each finishes its request in flight (<= 30 s)
cp "$T/sl-status.json" "$T/sl-during.json"
kill -TERM "$SL_PID"
n=0; until [ -s "$T/sl.json" ]; do n=$((n + 1)); [ $n -gt 50 ] && break; sleep 0.1; done
sleep 1
cat "$T/normal.json" "$T/normal-ka.json" "$T/sl.json" | sed 's/^/    /'

# every normal request answered 200
for f in normal normal-ka; do
	[ "$(json "$T/$f.json" j.requests)" -ge 1 ] || fail "$f: no request finished"
	[ "$(json "$T/$f.json" j.requests)" = "$(json "$T/$f.json" j.ok)" ] ||
	    fail "$f: not every request succeeded: $(cat "$T/$f.json")"
done
pass "normal client (4 loops, a connection per request): $(json "$T/normal.json" j.requests) requests, all 200 (p50 $(json "$T/normal.json" j.latency.p50) ms, p99 $(json "$T/normal.json" j.latency.p99) ms, max $(json "$T/normal.json" j.latency.max) ms)"
pass "normal client (kept alive): $(json "$T/normal-ka.json" j.requests) requests, all 200 (p50 $(json "$T/normal-ka.json" j.latency.p50) ms, p99 $(json "$T/normal-ka.json" j.latency.p99) ms, max $(json "$T/normal-ka.json" j.latency.max) ms)"
# the pool grew to max_workers
[ "$maxw" -ge 64 ] || fail "the pool grew to $maxw workers, not max_workers 64"
pass "the pool grew to $maxw workers (max_workers 64)"
# the timeouts reclaimed the workers, many times over
s408=$(json "$T/sl.json" 'j.answers["408"] || 0')
l408=$(( $(grep -c '" 408 ' "$LOG_A") - before408 ))
[ "$s408" -ge 128 ] || fail "the slowloris got $s408 408s (want >= 2 x max_workers)"
[ "$l408" -ge "$s408" ] || fail "access log: $l408 408s, the slowloris saw $s408"
[ "$(json "$T/sl.json" 'j.answers["429"] || 0')" = 0 ] ||
    fail "slowloris connections got 429 (6 per address, cap 8): $(json "$T/sl.json" j.answers)"
pass "workers reclaimed by header_timeout: $s408 slowloris connections answered 408 and closed ($l408 408s logged), lifetime p50 $(json "$T/sl.json" j.lifetime408.p50) ms, $(json "$T/sl.json" j.opened) connections opened in all"
# after the attack: the proxy serves at once, and shrinks its pool
curl -sf -m 10 "$B/api" >/dev/null || fail "request after the attack"
kill -0 "$MASTER" || fail "master died"
grep -E 'killed by|exited with|die at birth' "$T/mcpproxyd.log" &&
    fail "workers died"
sleep 5
after=$(pgrep -P "$MASTER" | wc -l)
pass "after the attack: served; $after workers 5 s later (max_spare 10: one idle worker stopped per second)"
echo "figures: baseline requests=$(json "$T/base.json" j.requests) p50=$(json "$T/base.json" j.latency.p50) p99=$(json "$T/base.json" j.latency.p99)"
echo "figures: attack ${ATTACK_SECS}s conns=300 slowloris_408=$s408 logged_408=$l408 opened=$(json "$T/sl.json" j.opened) lifetime408_p50=$(json "$T/sl.json" j.lifetime408.p50) max_workers_seen=$maxw workers_5s_after=$after"
echo "figures: normal(close) requests=$(json "$T/normal.json" j.requests) $(json "$T/normal.json" 'Object.entries(j.latency).map(([k,v])=>k+"="+v).join(" ")')"
echo "figures: normal(keepalive) requests=$(json "$T/normal-ka.json" j.requests) $(json "$T/normal-ka.json" 'Object.entries(j.latency).map(([k,v])=>k+"="+v).join(" ")')"
echo "figures: slow clients $(for m in idle drip-head stall-body keepalive-idle drip-body; do printf '%s=%s/%s/%sms ' $m "$(json "$T/slow-$m.json" j.closedBy)" "$(json "$T/slow-$m.json" j.status)" "$(json "$T/slow-$m.json" j.afterMs)"; done)"
exit 0
