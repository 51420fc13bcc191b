#!/bin/sh
# 66-waitroom-rules.t: what the waiting room does with the connections it
# holds (issue 15): its limits, reload and stop, and clients that are slow
# but finish.  The load rows (300 slow clients against the default pool,
# with and without it) are in 66-waitroom.t.  The proxy runs with the
# default pool; waitroom_min_rate = 0 where a parked partial head must
# wait (tests/mcp/parked.mjs parks connections, then asks each for a
# request once the test says go):
#
#   1.  max_conns_per_client = 8: 20 idle kept-alive connections from
#        127.0.0.9: the room closes the 12 oldest, the 8 others are served
#        (negative control: with no cap none is closed);
#   2.  waitroom_max_conns = 16: 30 idle kept-alive connections from 5
#        addresses: the room closes the 14 oldest, the 16 others are
#        served;
#   3.  reload: 50 idle kept-alive connections and 20 partial heads
#        parked, SIGHUP, the old generation gone: every one is answered
#        200 by the new generation, none closed;
#   4.  graceful stop: 20 idle kept-alive connections and 10 partial
#        heads parked, SIGQUIT: the idle ones are closed at once, the
#        partial heads completed afterwards are answered 200;
#   6.  one kept-alive connection parked and handed back five times:
#        every request answered on it;
#   5.  slow clients that finish (tests/mcp/slow-complete.mjs: a pause of
#        600 ms inside the head, inside the body, inside the ClientHello)
#        are handed back whole and answered 200, the body reaching the
#        upstream intact.
#   7.  a pool short of spare workers parks at once: waitroom_after =
#        5000, a pool of 4 workers (min_spare 2) and 20 partial heads
#        from one address: well before waitroom_after (once all 20 are
#        open, 0.5 s) the room holds at least 16 of them
#        (mcpproxyd_waiting_connections; the workers could hold 4), and
#        all 20 are answered 200 when they finish.  Without the rule the
#        room holds none until 5 s have passed (main before it: 0).
. "${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
need proxy node_modules curl openssl

waitroom_setup
# --- the same server over TLS
waitroom_tls_setup

# 5. slow but complete: handed back whole
start_proxy "$CONF_ON"
for m in head body; do
	"$NODE" "$TOP/tests/mcp/slow-complete.mjs" --port "$P" --mode "$m" \
	    >"$T/complete-$m.json" || fail "slow-complete $m"
done
# 6. one kept-alive connection parked, handed back and parked again,
# five times: each request answered on the same connection (the room
# once left a handed-back descriptor in its epoll set, and dropped the
# connection the next time it came back under the same number)
U=http://127.0.0.1:$P/api
"$NODE" "$TOP/tests/mcp/http-seq.mjs" "$U" sleep:0.4 "$U" sleep:0.4 "$U" \
    sleep:0.4 "$U" sleep:0.4 "$U" >"$T/reparked.out" 2>&1 ||
    fail "parked again and again: $(cat "$T/reparked.out")"
[ "$(awk '$1 == 200 { print $2 }' "$T/reparked.out" | sort -u | wc -l)" = 1 ] &&
    [ "$(grep -c '^200 ' "$T/reparked.out")" = 5 ] ||
    fail "parked again and again: not five 200s on one connection: $(cat "$T/reparked.out")"
grep -q 'waiting room: epoll_ctl' "$T/mcpproxyd.log" &&
    fail "the room: $(grep 'waiting room: epoll_ctl' "$T/mcpproxyd.log" | head -n 1)"
pass "one kept-alive connection parked and handed back five times: five 200s on the one connection"
stop_proxy
start_proxy "$CONF_TLS_ON"
"$NODE" "$TOP/tests/mcp/slow-complete.mjs" --port "$P" --mode hello \
    >"$T/complete-hello.json" || fail "slow-complete hello"
stop_proxy
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

# 7. short of spare workers: parked at once, not waitroom_after later
M=$(free_port) || fail "no port"
CONF_H=$T/mcpproxyd-h.conf
sed "s/^\[mcpproxyd\]\$/[mcpproxyd]\nwaitroom_min_rate = 0\nmax_conns_per_client = 0\nwaitroom_after = 5000\nstart_workers = 4\nmax_workers = 4\nmetrics_listen = 127.0.0.1:$M/" \
    "$CONF_ON" >"$CONF_H"
chmod 644 "$CONF_H"
start_proxy "$CONF_H"
park hurry --n 20 --local 127.0.7.1 --kind partial --gap 10
ready hurry
# the metrics listener is served by a worker: none answers it when the
# four hold the heads
why=""
curl -sf -m 3 "http://127.0.0.1:$M/metrics" >"$T/hurry.metrics" ||
    why=" (the metrics listener did not answer in 3 s: every worker holds a head)"
waiting=$(awk '$1 == "mcpproxyd_waiting_connections" { print $2 }' \
    "$T/hurry.metrics")
waiting=${waiting:-0}
go hurry; finish
stop_proxy
printf '    waiting %s; %s\n' "$waiting" "$(cat "$T/hurry.json")"
[ "$waiting" -ge 16 ] ||
    fail "pool short of spares, waitroom_after 5000: $waiting of 20 partial heads in the room after 0.5 s$why (want 16 or more: parked at once)"
[ "$(field hurry 'j.answers["200"]')" = 20 ] ||
    fail "pool short of spares: not all 20 answered: $(cat "$T/hurry.json")"
pass "a pool of 4 workers short of spares parks at once: $waiting of 20 partial heads in the room 0.5 s after they came (waitroom_after 5000), all 20 answered 200 when finished"

# 1. the per-client cap in the room, and its negative control
for conf in "$CONF_Q" "$CONF_R"; do
	start_proxy "$conf"
	park cap --n 20 --local 127.0.0.9 --kind idle --gap 30
	ready cap; go cap; finish
	stop_proxy
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

# 2. waitroom_max_conns: the oldest idle go first
start_proxy "$CONF_Q"
for k in 1 2 3 4 5; do
	park "full$k" --n 6 --local "127.0.4.$k" --kind idle --gap 30
	ready "full$k"
done
go full1 full2 full3 full4 full5; finish
stop_proxy
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

# 3. reload: parked connections go to the new generation
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

# 4. graceful stop: idle ones closed, begun requests answered
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
