#!/bin/bash
# The process model: workers' scheduling policy (worker_sched); a killed
# worker is replaced and the next request
# succeeds; the pool grows past start_workers when streams hold workers;
# streams are capped per client address (429) and as a share of the
# pool (503) while ordinary requests still get through.
. "${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
need proxy node_modules curl

UP=$(free_port) || fail "no port"
spawn "$T/upstream.log" "$NODE" "$TOP/tests/mcp/echo-upstream.mjs" "$UP"
wait_port 127.0.0.1 "$UP" || fail "echo upstream did not start"
P=$(free_port) || fail "no port"
write_proxy_conf "$P" "$UP" "route = /api http://127.0.0.1:$UP/echo" \
    "route = /slow http://127.0.0.1:$UP/slow"
sed -i '/^min_spare =/d; /^max_workers =/d' "$PROXY_CONF"
cat >>"$PROXY_CONF" <<EOC
[mcpproxyd]
start_workers = 2
min_spare = 1
max_spare = 4
max_workers = 8
stream_share = 50
max_streams_per_client = 3
upstream_timeout = 60
stream_idle_timeout = 60
EOC
start_proxy "$PROXY_CONF"
B=http://127.0.0.1:$P
MASTER=$(cat "$T/mcpproxyd.pid")

workers() { proxy_workers "$MASTER" | sort; }

# --- worker_sched: workers SCHED_BATCH by default, the master not ---------------
policy() { chrt -p "$1" | sed -n 's/.*scheduling policy: *//p'; }
for w in $(workers); do
	[ "$(policy "$w")" = SCHED_BATCH ] || fail "worker $w: $(chrt -p "$w")"
done
[ "$(policy "$MASTER")" = SCHED_OTHER ] || fail "master: $(chrt -p "$MASTER")"
echo "worker_sched = other" >>"$PROXY_CONF"
kill -HUP "$MASTER"
wait_grep "$T/mcpproxyd.log" 10 -q "generation 2" || fail "no reload: $(tail -3 "$T/mcpproxyd.log")"
n=0
until [ -n "$(workers)" ] && ! workers | while read -r w; do
    [ "$(policy "$w")" = SCHED_OTHER ] || echo "$w"; done | grep -q .; do
	n=$((n + 1)); [ $n -gt 100 ] && fail "after worker_sched = other: $(for w in $(workers); do chrt -p "$w"; done)"
	sleep 0.1
done
pass "workers run SCHED_BATCH (worker_sched default), the master SCHED_OTHER; worker_sched = other on a reload gives SCHED_OTHER workers"

# --- a worker killed with SIGKILL is replaced ----------------------------------
curl -sf "$B/api" >/dev/null || fail "first request"
victim=$(workers | head -n 1)
[ -n "$victim" ] || fail "no workers under master $MASTER"
kill -KILL "$victim"
wait_grep "$T/mcpproxyd.log" 5 -qE "worker $victim \(gen [0-9]+\) killed by signal 9; respawning" ||
    fail "no log line for the killed worker"
for i in 1 2 3 4 5; do
	curl -sf "$B/api" >/dev/null || fail "request $i after the kill"
done
n=0
while workers | grep -qx "$victim"; do
	n=$((n + 1)); [ $n -gt 20 ] && fail "killed worker still listed"; sleep 0.1
done
[ "$(workers | wc -l)" -ge 1 ] || fail "no workers after the kill"
pass "killed worker replaced; requests go on"

# --- streams: per-client cap, pool share, and the pool grows -------------------
# /slow never answers, so each of these holds a worker as an open stream
streams=""
for i in 1 2 3; do
	curl -s -N -H 'Accept: text/event-stream' "$B/slow" >/dev/null 2>&1 &
	streams="$streams $!"
done
sleep 1
c=$(curl -s -o /dev/null -w '%{http_code}' -H 'Accept: text/event-stream' "$B/slow")
[ "$c" = 429 ] || fail "4th stream from one address: $c (want 429)"
pass "streams per client capped (429)"
# from another loopback address: the share (50% of 8 = 4) allows one more
curl -s -N --interface 127.0.0.2 -H 'Accept: text/event-stream' \
    "http://127.0.0.1:$P/slow" >/dev/null 2>&1 &
streams="$streams $!"
sleep 1
c=$(curl -s -o /dev/null -w '%{http_code}' --interface 127.0.0.3 \
    -H 'Accept: text/event-stream' "$B/slow")
[ "$c" = 503 ] || fail "stream beyond stream_share: $c (want 503)"
curl -s -D- -o /dev/null --interface 127.0.0.3 -H 'Accept: text/event-stream' \
    "$B/slow" | grep -qi '^retry-after:' || fail "503 without Retry-After"
pass "streams capped at stream_share of max_workers (503)"
for i in 1 2 3 4 5 6; do
	curl -sf -m 5 "$B/api" >/dev/null || fail "ordinary request $i while streams hold workers"
done
[ "$(workers | wc -l)" -gt 2 ] || fail "pool did not grow past start_workers: $(workers | wc -l)"
pass "pool grew to $(workers | wc -l) workers; ordinary requests still served"
# a worker holding a stream has left the listeners' wait queues (no epoll
# set: with thousands of streams every new connection would visit theirs)
no_epoll() {
	for w in $(workers); do
		ls -l "/proc/$w/fd" 2>/dev/null | grep -q 'anon_inode:\[eventpoll\]' ||
		    echo "$w"
	done | wc -l
}
[ "$(no_epoll)" = 4 ] || fail "workers without an epoll set: $(no_epoll), want the 4 holding streams"
pass "the 4 workers holding streams wait on no listener"
kill $streams 2>/dev/null
wait $streams 2>/dev/null
kill -0 "$MASTER" || fail "master died"

# --- all workers busy: a new connection waits in the backlog ------------------
P2=$(free_port) || fail "no port"
sed "s/127.0.0.1:$P/127.0.0.1:$P2/; s|pid_file = .*|pid_file = $T/second.pid|; s/^max_workers = 8/max_workers = 2/; s/^start_workers = 2/start_workers = 2/; s/^min_spare = 1/min_spare = 1/; s/^max_spare = 4/max_spare = 2/; s/^upstream_timeout = 60/upstream_timeout = 3/; s/^stream_share = 50/stream_share = 100/" \
    "$PROXY_CONF" >"$T/second.conf"
spawn "$T/second.log" "$MCPPROXYD" -d -f "$T/second.conf"
SECOND=$SPAWNED_PID
wait_port 127.0.0.1 "$P2" || fail "second proxy did not start"
curl -s -o /dev/null "http://127.0.0.1:$P2/slow" &
h1=$!
curl -s -o /dev/null "http://127.0.0.1:$P2/slow" &
h2=$!
sleep 1
c=$(curl -s -o /dev/null -m 20 -w '%{http_code}' "http://127.0.0.1:$P2/api")
wait $h1 $h2
[ "$c" = 200 ] || fail "request while both workers were busy: $c (want 200 after a wait)"
pass "with max_workers busy, a new connection waited in the backlog and was served"

# --- workers die with their master (a restart can bind again) -----------------
kids=$(pgrep -P "$(cat "$T/second.pid")")
[ -n "$kids" ] || fail "no workers under the second master"
kill -KILL "$(cat "$T/second.pid")"
n=0
for k in $kids; do
	while kill -0 "$k" 2>/dev/null; do
		n=$((n + 1)); [ $n -gt 100 ] && fail "worker $k outlived its master"
		sleep 0.1
	done
done
spawn "$T/third.log" "$MCPPROXYD" -d -f "$T/second.conf"
wait_port 127.0.0.1 "$P2" || fail "could not bind again after the master died: $(cat "$T/third.log")"
curl -sf "http://127.0.0.1:$P2/api" >/dev/null || fail "restarted proxy does not serve"
pass "workers died with their killed master; a new one binds at once"
exit 0
