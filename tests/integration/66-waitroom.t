#!/bin/sh
# 66-waitroom.t: slow and idle clients hold no worker (issue 15).
#
# The proxy runs with the DEFAULT pool configuration (start_workers 4,
# min_spare 2, max_spare 10, max_workers 64: lib.sh's test values are
# removed) and the default timeouts.  For each mode, 300 slow connections
# (tests/mcp/slow-crowd.mjs) from 127.0.2.1 .. 127.0.2.100 (3 per address,
# so no per-address cap could pass the test), reopened whenever the
# proxy closes them, while a probe from 127.0.9.9 sends a GET on a new
# connection every 0.5 s for 15 s (5 s in the negative controls, which
# fail from the first probe; the issue asks for 30 s; 15 on this
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
# And TLS (the same server with a certificate, default pool), where the
# waiting room holds a connection whose ClientHello is not complete,
# peeking at it and leaving its bytes in the socket for OpenSSL:
#
#   12.  300 clients that send a TLS record header and then one byte of
#        their ClientHello every 500 ms, probes over HTTPS: every probe
#        answered;
#   13.  negative control: the same with waitroom = off leaves probes
#        unanswered.
#
# The rules the waiting room applies, its limits, reload and stop are in
# 66-waitroom-rules.t, which is short enough for the sanitizer build;
# this one, a load run of some 3 minutes, is not among SAN_TESTS (as
# 85-slowloris.t is not: under ASan the fast stop of 64 workers meets
# the kill escalation).
. "${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
need proxy node_modules curl openssl

waitroom_setup

# CROWD_SECS: how long a run with the room on lasts (15 s by default;
# a shorter one checks the test itself, not the issue's 30 s)
SECS=${CROWD_SECS:-15}

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
	    --every 500 --secs "${CROWD_SECS:-15}" --probe-timeout 5000 \
	    --ready "$T/$_name.ready" --out "$T/$_name.json" ${CROWD_EXTRA:-} &
	_crowd=$!
	if [ -n "$_fault" ]; then
		_n=0
		until [ -f "$T/$_name.ready" ]; do
			_n=$((_n + 1)); [ $_n -gt 400 ] && fail "$_name: crowd not ready"
			sleep 0.1
		done
		sleep $((SECS / 3))	# a third into the crowd's run
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

# all_answered NAME [MIN]: MIN probes or more (by default all but one of
# CROWD_SECS' probes, 29 of 15 s), every one answered 200
all_answered() {
	[ "$(json "$T/$1.json" j.probes)" -ge "${2:-$((SECS * 2 - 1))}" ] &&
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
# (5 s of probes: they fail from the first)
for m in head body keepalive; do
	CROWD_SECS=5 run "$CONF_OFF" "$m" "off-$m"
	[ "$(json "$T/off-$m.json" j.probes)" -ge 9 ] ||
	    fail "negative control ($m): too few probes to mean anything"
	all_answered "off-$m" 9 &&
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
waitroom_tls_setup
SCHEME=https CROWD_EXTRA="--tls 1" run "$CONF_TLS_ON" hello tls-on
all_answered tls-on ||
    fail "waiting room on, 300 slow ClientHellos: $(cat "$T/tls-on.json")"
pass "TLS, waiting room on, 300 slow ClientHellos from 100 addresses: $(json "$T/tls-on.json" j.answered) of $(json "$T/tls-on.json" j.probes) HTTPS probes answered 200 (p99 $(json "$T/tls-on.json" j.latency.p99) ms)"
SCHEME=https CROWD_EXTRA="--tls 1" CROWD_SECS=5 run "$CONF_TLS_OFF" hello tls-off
[ "$(json "$T/tls-off.json" j.probes)" -ge 9 ] ||
    fail "negative control (TLS): too few probes to mean anything"
all_answered tls-off 9 &&
    fail "negative control: with waitroom = off every HTTPS probe was answered: the TLS row proves nothing"
pass "negative control, TLS, waitroom = off: $(json "$T/tls-off.json" j.answered) of $(json "$T/tls-off.json" j.probes) HTTPS probes answered ($(json "$T/tls-off.json" j.probeErrors))"

exit 0
