#!/bin/sh
# 66-waitroom.t: slow and idle clients hold no worker (issue 15).
#
# The proxy runs with the DEFAULT pool configuration (start_workers 4,
# min_spare 2, max_spare 10, max_workers 64: lib.sh's test values are
# removed) and the default timeouts.  For each mode, 300 slow connections
# (tests/mcp/slow-crowd.mjs) from 127.0.2.1 .. 127.0.2.100 (3 per address,
# so no per-address cap could pass the test), reopened whenever the
# proxy closes them, while a probe from 127.0.9.9 sends a GET on a new
# connection every 0.5 s for 15 s (the issue asks for 30 s; 15 on this
# shared 2-core machine):
#
#   head       a request head sent one byte every 500 ms;
#   body       a whole head with Content-Length 2000, the body one byte
#              every 250 ms;
#   keepalive  one GET answered on a kept-alive connection, then idle.
#
# A probe not answered within 5 s (the probe client's own bound) counts
# as unanswered; latencies are printed ("figures:" lines, tests/RESULTS.md)
# and never asserted.  Rows:
#
#   1-3. waiting room on (the default): every probe answered, in each mode;
#   4-6. negative control: the same runs with waitroom = off must leave
#        probes unanswered (64 workers held by 300 slow clients), else the
#        rows above prove nothing;
#   7.   fault: the waiting room is killed (SIGKILL) in the middle of the
#        keepalive run: the master restarts it (logged, a new pid) and
#        every probe is still answered.
#
# Then its limits, reload and stop, with tests/mcp/parked.mjs (connections
# parked in the room, then asked for a request once the test says go);
# waitroom_min_rate = 0 there, so that a parked partial head waits:
#
#   8.   max_conns_per_client = 8: 20 idle kept-alive connections from
#        127.0.0.9: the room closes the 12 oldest, the 8 others are served
#        (negative control: with no cap none is closed);
#   9.   waitroom_max_conns = 16: 30 idle kept-alive connections from 5
#        addresses: the room closes the 14 oldest, the 16 others are
#        served;
#   10.  reload: 50 idle kept-alive connections and 20 partial heads
#        parked, SIGHUP, the old generation gone: every one is answered
#        200 by the new generation, none closed;
#   11.  graceful stop: 20 idle kept-alive connections and 10 partial
#        heads parked, SIGQUIT: the idle ones are closed at once, the
#        partial heads completed afterwards are answered 200.
#
# And TLS (the same server with a certificate, default pool), where the
# waiting room holds a connection whose ClientHello is not complete,
# peeking at it and leaving its bytes in the socket for OpenSSL:
#
#   12.  300 clients that send a TLS record header and then one byte of
#        their ClientHello every 500 ms, probes over HTTPS: every probe
#        answered;
#   13.  negative control: the same with waitroom = off leaves probes
#        unanswered;
#   14.  slow clients that finish (tests/mcp/slow-complete.mjs: a pause of
#        600 ms inside the head, inside the body, inside the ClientHello)
#        are handed back whole and answered 200, the body reaching the
#        upstream intact.
. "${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
need proxy node_modules curl openssl
json() {	# json FILE EXPR: a field of a JSON file (EXPR on object j)
	"$NODE" -e 'const j = JSON.parse(require("fs").readFileSync(
	    process.argv[1])); const v = eval(process.argv[2]);
	    console.log(typeof v === "object" ? JSON.stringify(v) : v)' "$1" "$2"
}

UP=$(free_port) || fail "no port"
spawn "$T/upstream.log" "$NODE" "$TOP/tests/mcp/echo-upstream.mjs" "$UP"
wait_port 127.0.0.1 "$UP" || fail "echo upstream did not start"

P=$(free_port) || fail "no port"
write_proxy_conf "$P" "$UP" "route = /api http://127.0.0.1:$UP/echo"
# the default pool: no test values
sed -i '/^min_spare =/d; /^max_workers =/d' "$PROXY_CONF"
CONF_ON=$PROXY_CONF
CONF_OFF=$T/mcpproxyd-off.conf
sed 's/^\[mcpproxyd\]$/[mcpproxyd]\nwaitroom = off/' "$CONF_ON" >"$CONF_OFF"
chmod 644 "$CONF_OFF"
grep -q '^waitroom = off' "$CONF_OFF" || fail "no waitroom = off line"

# room PID: the waiting room's pid under master PID (its process title)
room() { pgrep -P "$1" -f '^mcpproxyd: waiting room' | head -n 1; }

# run CONF MODE NAME [fault]: one run; its figures in $T/NAME.json
run() {
	_conf=$1 _mode=$2 _name=$3 _fault=${4:-}
	start_proxy "$_conf"
	_master=$PROXY_PID
	curl -skf -m 10 "${SCHEME:-http}://127.0.0.1:$P/api" >/dev/null ||
	    fail "$_name: the proxy does not answer"
	rm -f "$T/$_name.ready"
	"$NODE" "$TOP/tests/mcp/slow-crowd.mjs" --port "$P" --mode "$_mode" \
	    --conns 300 --addrnet 2 --addrs 100 --probe 127.0.9.9 \
	    --every 500 --secs 15 --probe-timeout 5000 \
	    --ready "$T/$_name.ready" --out "$T/$_name.json" ${CROWD_EXTRA:-} &
	_crowd=$!
	if [ -n "$_fault" ]; then
		_n=0
		until [ -f "$T/$_name.ready" ]; do
			_n=$((_n + 1)); [ $_n -gt 400 ] && fail "$_name: crowd not ready"
			sleep 0.1
		done
		sleep 5
		_old=$(room "$_master")
		[ -n "$_old" ] || fail "$_name: no waiting room under $_master"
		kill -KILL "$_old"
		_n=0
		until _new=$(room "$_master") && [ -n "$_new" ] &&
		    [ "$_new" != "$_old" ]; do
			_n=$((_n + 1)); [ $_n -gt 100 ] &&
			    fail "$_name: the waiting room was not restarted"
			sleep 0.1
		done
		echo "    waiting room $_old killed, $_new started"
	fi
	wait "$_crowd" || fail "$_name: slow-crowd.mjs failed"
	kill "$_master"
	_n=0; while kill -0 "$_master" 2>/dev/null; do
		_n=$((_n + 1)); [ $_n -gt 100 ] && fail "$_name: the proxy did not stop"
		sleep 0.1
	done
	printf '    %s\n' "$(cat "$T/$_name.json")"
	echo "figures: $_name probes=$(json "$T/$_name.json" j.probes) answered=$(json "$T/$_name.json" j.answered) p50=$(json "$T/$_name.json" j.latency.p50) p99=$(json "$T/$_name.json" j.latency.p99) max=$(json "$T/$_name.json" j.latency.max) crowd_opened=$(json "$T/$_name.json" j.crowd.opened) crowd_answers=$(json "$T/$_name.json" j.crowd.answers)"
}

all_answered() {	# all_answered NAME: every probe answered 200
	[ "$(json "$T/$1.json" j.probes)" -ge 29 ] &&
	    [ "$(json "$T/$1.json" j.answered)" = "$(json "$T/$1.json" j.probes)" ] &&
	    [ "$(json "$T/$1.json" 'j.statuses["200"]')" = "$(json "$T/$1.json" j.probes)" ]
}

for m in head body keepalive; do
	run "$CONF_ON" "$m" "on-$m"
	all_answered "on-$m" ||
	    fail "waiting room on, 300 slow clients ($m): $(cat "$T/on-$m.json")"
	pass "waiting room on, 300 slow clients ($m) from 100 addresses: $(json "$T/on-$m.json" j.answered) of $(json "$T/on-$m.json" j.probes) probes answered 200 (p99 $(json "$T/on-$m.json" j.latency.p99) ms)"
done

# negative control: the same without the waiting room must fail
for m in head body keepalive; do
	run "$CONF_OFF" "$m" "off-$m"
	all_answered "off-$m" &&
	    fail "negative control: with waitroom = off every probe was answered ($m): the rows above prove nothing"
	pass "negative control, waitroom = off ($m): $(json "$T/off-$m.json" j.answered) of $(json "$T/off-$m.json" j.probes) probes answered ($(json "$T/off-$m.json" j.probeErrors))"
done

# fault: the waiting room killed under load
run "$CONF_ON" keepalive kill-room fault
grep -q 'waiting room [0-9]* killed by signal 9; restarting' "$T/mcpproxyd.log" ||
    fail "the room's death was not logged"
all_answered kill-room ||
    fail "waiting room killed under load: $(cat "$T/kill-room.json")"
pass "waiting room killed (SIGKILL) under 300 idle kept-alive clients: restarted (logged), $(json "$T/kill-room.json" j.answered) of $(json "$T/kill-room.json" j.probes) probes answered 200 (p99 $(json "$T/kill-room.json" j.latency.p99) ms)"
grep -E 'worker .* (killed by|exited with)' "$T/mcpproxyd.log" &&
    fail "workers died"

# --- TLS: a slow ClientHello holds no worker
"$TOP/tests/tls/mkca.sh" "$T/pki" >"$T/mkca.log" 2>&1 ||
    fail "mkca.sh: $(cat "$T/mkca.log")"
chmod 755 "$T/pki"
CONF_TLS_ON=$T/mcpproxyd-tls.conf CONF_TLS_OFF=$T/mcpproxyd-tls-off.conf
for c in ON OFF; do
	eval "src=\$CONF_$c dst=\$CONF_TLS_$c"
	{ cat "$src"; echo "tls_certificate = $T/pki/localhost.pem";
	  echo "tls_key = $T/pki/localhost.key"; } >"$dst"
	chmod 644 "$dst"
done
SCHEME=https CROWD_EXTRA="--tls 1" run "$CONF_TLS_ON" hello tls-on
all_answered tls-on ||
    fail "waiting room on, 300 slow ClientHellos: $(cat "$T/tls-on.json")"
pass "TLS, waiting room on, 300 slow ClientHellos from 100 addresses: $(json "$T/tls-on.json" j.answered) of $(json "$T/tls-on.json" j.probes) HTTPS probes answered 200 (p99 $(json "$T/tls-on.json" j.latency.p99) ms)"
SCHEME=https CROWD_EXTRA="--tls 1" run "$CONF_TLS_OFF" hello tls-off
all_answered tls-off &&
    fail "negative control: with waitroom = off every HTTPS probe was answered: the TLS row proves nothing"
pass "negative control, TLS, waitroom = off: $(json "$T/tls-off.json" j.answered) of $(json "$T/tls-off.json" j.probes) HTTPS probes answered ($(json "$T/tls-off.json" j.probeErrors))"

# 14. slow but complete: handed back whole
start_proxy "$CONF_ON"
for m in head body; do
	"$NODE" "$TOP/tests/mcp/slow-complete.mjs" --port "$P" --mode "$m" \
	    >"$T/complete-$m.json" || fail "slow-complete $m"
done
kill "$PROXY_PID"; sleep 0.5
start_proxy "$CONF_TLS_ON"
"$NODE" "$TOP/tests/mcp/slow-complete.mjs" --port "$P" --mode hello \
    >"$T/complete-hello.json" || fail "slow-complete hello"
kill "$PROXY_PID"; sleep 0.5
for m in head body hello; do
	printf '    %s\n' "$(cat "$T/complete-$m.json")"
	[ "$(json "$T/complete-$m.json" j.status)" = 200 ] ||
	    fail "slow but complete $m: $(cat "$T/complete-$m.json")"
done
for m in body hello; do
	[ "$(json "$T/complete-$m.json" j.echoed)" = true ] ||
	    fail "slow but complete $m: the body did not reach the upstream whole"
done
pass "a head, a body and a ClientHello each paused 600 ms (past waitroom_after) are handed back whole: 200, the bodies reach the upstream intact"

# --- limits, reload, stop (parked.mjs)
# park NAME ARGS...: parked.mjs in the background, ready files $T/NAME.*
park() {
	_pn=$1; shift
	rm -f "$T/$_pn.ready" "$T/$_pn.go" "$T/$_pn.json"
	"$NODE" "$TOP/tests/mcp/parked.mjs" --port "$P" --ready "$T/$_pn.ready" \
	    --go "$T/$_pn.go" --out "$T/$_pn.json" "$@" &
	PARKED="$PARKED $!"
}
ready() {	# ready NAME...: wait until each is in place, then 0.5 s more
	for _pn; do
		_n=0; until [ -f "$T/$_pn.ready" ]; do
			_n=$((_n + 1)); [ $_n -gt 200 ] && fail "$_pn: not in place"
			sleep 0.1
		done
	done
	sleep 0.5	# past waitroom_after: in the room
}
go() { for _pn; do touch "$T/$_pn.go"; done; }
finish() {	# finish: wait for every parked.mjs
	# shellcheck disable=SC2086
	wait $PARKED || fail "parked.mjs failed"
	PARKED=""
}
field() { json "$T/$1.json" "$2"; }

CONF_Q=$T/mcpproxyd-q.conf
sed 's/^\[mcpproxyd\]$/[mcpproxyd]\nwaitroom_min_rate = 0\nmax_conns_per_client = 8\nwaitroom_max_conns = 16/' \
    "$CONF_ON" >"$CONF_Q"
CONF_R=$T/mcpproxyd-r.conf
sed 's/^\[mcpproxyd\]$/[mcpproxyd]\nwaitroom_min_rate = 0\nmax_conns_per_client = 0/' \
    "$CONF_ON" >"$CONF_R"
chmod 644 "$CONF_Q" "$CONF_R"

# 8. the per-client cap in the room, and its negative control
for conf in "$CONF_Q" "$CONF_R"; do
	start_proxy "$conf"
	park cap --n 20 --local 127.0.0.9 --kind idle --gap 30
	ready cap; go cap; finish
	kill "$PROXY_PID"; sleep 0.5
	printf '    %s\n' "$(cat "$T/cap.json")"
	if [ "$conf" = "$CONF_Q" ]; then
		[ "$(field cap j.closedEarly)" = 12 ] &&
		    [ "$(field cap 'j.answers["200"]')" = 8 ] ||
		    fail "max_conns_per_client 8, 20 idle from 127.0.0.9: $(cat "$T/cap.json")"
		capidx=$(field cap 'j.closedEarlyIndexes.join(",")')
	else
		[ "$(field cap j.closedEarly)" = 0 ] ||
		    fail "negative control: no cap, yet the room closed $(field cap j.closedEarly)"
	fi
done
pass "max_conns_per_client 8: of 20 idle kept-alive connections from 127.0.0.9 the room closed 12 (connections $capidx), the other 8 were served; with no cap it closed none"

# 9. waitroom_max_conns: the oldest idle go first
start_proxy "$CONF_Q"
for k in 1 2 3 4 5; do
	park "full$k" --n 6 --local "127.0.4.$k" --kind idle --gap 30
	ready "full$k"
done
go full1 full2 full3 full4 full5; finish
kill "$PROXY_PID"; sleep 0.5
closed=0 served=0
for k in 1 2 3 4 5; do
	closed=$((closed + $(field "full$k" j.closedEarly)))
	served=$((served + $(field "full$k" 'j.answers["200"] || 0')))
done
[ "$closed" = 14 ] && [ "$served" = 16 ] ||
    fail "waitroom_max_conns 16, 30 idle: $closed closed, $served served"
[ "$(field full5 j.closedEarly)" = 0 ] ||
    fail "the newest were closed: $(cat "$T/full5.json")"
pass "waitroom_max_conns 16: of 30 idle kept-alive connections the room closed the 14 oldest ($(for k in 1 2 3 4 5; do printf '%s ' "$(field "full$k" j.closedEarly)"; done)per batch of 6), the 16 others were served"

# 10. reload: parked connections go to the new generation
start_proxy "$CONF_R"
MASTER=$PROXY_PID
park rl-idle --n 50 --local 127.0.5.1 --kind idle --gap 10
park rl-part --n 20 --local 127.0.5.2 --kind partial --gap 10
ready rl-idle rl-part
kill -HUP "$MASTER"
wait_grep "$T/mcpproxyd.log" 10 -q 'generation 2 starts' || fail "no reload"
n=0
until [ "$(for w in $(proxy_workers "$MASTER"); do ps -o args= -p "$w"; done | sort -u)" = "mcpproxyd: worker (generation 2)" ]; do
	n=$((n + 1)); [ $n -gt 100 ] && fail "the old generation did not go"
	sleep 0.1
done
go rl-idle rl-part; finish
printf '    %s\n' "$(cat "$T/rl-idle.json")" "$(cat "$T/rl-part.json")"
[ "$(field rl-idle 'j.answers["200"]')" = 50 ] && [ "$(field rl-idle j.closedEarly)" = 0 ] ||
    fail "reload, 50 parked idle: $(cat "$T/rl-idle.json")"
[ "$(field rl-part 'j.answers["200"]')" = 20 ] && [ "$(field rl-part j.closedEarly)" = 0 ] ||
    fail "reload, 20 parked partial heads: $(cat "$T/rl-part.json")"
pass "reload with 50 idle kept-alive connections and 20 partial heads parked: after the old generation left, all 70 answered 200 (by generation 2), none closed"

# 11. graceful stop: idle ones closed, begun requests answered
park gs-idle --n 20 --local 127.0.6.1 --kind idle --gap 10
park gs-part --n 10 --local 127.0.6.2 --kind partial --gap 10
ready gs-idle gs-part
kill -QUIT "$MASTER"
sleep 1
go gs-idle gs-part; finish
printf '    %s\n' "$(cat "$T/gs-idle.json")" "$(cat "$T/gs-part.json")"
[ "$(field gs-idle j.closedEarly)" = 20 ] ||
    fail "graceful stop, 20 parked idle: $(cat "$T/gs-idle.json") (want all closed at once)"
[ "$(field gs-part 'j.answers["200"]')" = 10 ] ||
    fail "graceful stop, 10 parked partial heads: $(cat "$T/gs-part.json") (want all answered)"
n=0; while kill -0 "$MASTER" 2>/dev/null; do
	n=$((n + 1)); [ $n -gt 300 ] && fail "the proxy did not stop"
	sleep 0.1
done
pass "graceful stop (SIGQUIT) with 20 idle and 10 partial heads parked: the idle ones closed at once, the 10 heads completed after it were answered 200, then the proxy stopped"
exit 0
