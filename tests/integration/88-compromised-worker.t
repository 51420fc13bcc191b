#!/bin/bash
# 88-compromised-worker.t: the root master trusts no worker.  Playing a
# worker that was taken, the test (root) writes into a worker's shared
# scoreboard through /proc/PID/mem, in every slot: the pid of a sleeping
# process the test started, then 0, 1, the master's own pid and -1 (of
# the current generation; free slots claim to be idle), then a huge slot
# count and generation in the scoreboard's header.  After each, it lets
# the pool grow (requests that hold workers) and trim (idle workers above
# max_spare are retired), reloads (HUP: the old generation is told to
# finish) and reopens the logs (USR1: the workers are told too).  Nothing is
# signalled but the master's own children: the sleepers live, pid 1 (this
# script: it runs in a PID namespace of its own, so that a kill(-1) of a
# master that does not hold can reach nothing outside) receives nothing,
# the master reopens its log once per USR1 (a master that signalled
# itself loops), does not spin (its CPU time over the row stays under a
# generous sanity bound, not a timing assert), does not crash, and
# service goes on.
if [ "${MCPPROXYD_PIDNS:-}" != 1 ]; then
	[ "$(id -u)" = 0 ] || { echo "skip: not root: writes /proc/PID/mem"; exit 77; }
	command -v unshare >/dev/null 2>&1 || { echo "skip: no unshare"; exit 77; }
	MCPPROXYD_PIDNS=1 exec unshare --pid --fork --mount-proc "$0" "$@"
fi
. "${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
need proxy curl python3 cc pgrep
[ $$ = 1 ] || fail "not pid 1 of a PID namespace (pid $$)"

# what pid 1 (this script) receives: recorded, never acted on
: >"$T/pid1.signals"
for s in HUP USR1 USR2 TERM INT QUIT; do
	# shellcheck disable=SC2064
	trap "echo $s >>'$T/pid1.signals'" "$s"
done

# the scoreboard's layout, from the header the daemon is built with
cat >"$T/layout.c" <<'EOC'
#include <stddef.h>
#include <stdio.h>
#include "mcpproxyd.h"
int
main(void)
{
	printf("%zu %zu %zu %zu %zu %zu %zu\n",
	    offsetof(struct scoreboard, nslots),
	    offsetof(struct scoreboard, generation),
	    offsetof(struct scoreboard, slot), sizeof(struct slot),
	    offsetof(struct slot, pid), offsetof(struct slot, generation),
	    offsetof(struct slot, state));
	return (0);
}
EOC
cc -I"$TOP/mcpproxyd" -I"$TOP/common" -o "$T/layout" "$T/layout.c" ||
    fail "cannot build the layout helper"
LAYOUT=$("$T/layout") || fail "layout helper"

# plant.py PID NSLOTS WHAT VALUE: write into the scoreboard mapped by PID
cat >"$T/plant.py" <<'EOP'
import struct, sys
pid, nslots, what, value = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
o_n, o_g, o_slot, size, o_pid, o_gen, o_state = map(int, sys.argv[5:12])
IDLE = 2
found = None
with open("/proc/%d/maps" % pid) as f:
    for line in f:
        fs = line.split()
        # an anonymous shared mapping: MAP_SHARED | MAP_ANONYMOUS
        if len(fs) >= 6 and fs[1] == "rw-s" and fs[5] == "/dev/zero":
            lo, hi = (int(x, 16) for x in fs[0].split("-"))
            found = (lo, hi)
if found is None:
    sys.exit("no shared anonymous mapping in /proc/%d/maps" % pid)
lo, hi = found
with open("/proc/%d/mem" % pid, "r+b", buffering=0) as m:
    m.seek(lo + o_n)
    n = struct.unpack("<i", m.read(4))[0]
    m.seek(lo + o_g)
    gen = struct.unpack("<I", m.read(4))[0]
    if n != nslots and not (what == "header" and n == value):
        sys.exit("mapping at %x holds %d slots, want %d" % (lo, n, nslots))
    if lo + o_slot + nslots * size > hi:
        sys.exit("mapping too small")
    if what == "pid":
        for i in range(nslots):
            s = lo + o_slot + i * size
            m.seek(s + o_pid); m.write(struct.pack("<i", value))
            m.seek(s + o_gen); m.write(struct.pack("<I", gen))
            # free slots claim an idle worker; busy ones keep their
            # state, so that the pool still grows under load
            m.seek(s + o_state)
            if struct.unpack("<i", m.read(4))[0] == 0:
                m.seek(s + o_state); m.write(struct.pack("<i", IDLE))
    elif what == "header":
        m.seek(lo + o_n); m.write(struct.pack("<i", value))
        m.seek(lo + o_g); m.write(struct.pack("<I", 0xffffffff))
print("wrote %s %d into %d slots of %d (generation %u)" % (what, value, nslots, pid, gen))
EOP

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
max_spare = 2
max_workers = 8
reload_grace = 2
upstream_timeout = 3
EOC
NSLOTS=16	# 2 * max_workers
start_proxy "$PROXY_CONF"
MASTER=$(cat "$T/mcpproxyd.pid")
B=http://127.0.0.1:$P
curl -sf -m 10 "$B/api" >/dev/null || fail "first request"

sleep 1000 &
PLANTED=$!
sleep 1000 &
BYSTANDER=$!

cpu() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
reopened() { grep -c "access log .* reopened" "$T/mcpproxyd.log"; }
gens() { grep -c "generation [0-9]* starts" "$T/mcpproxyd.log"; }

# plant WHAT VALUE: through the memory of one of the master's workers
plant() {
	_n=0
	while :; do
		w=$(proxy_workers "$MASTER" | head -n 1)
		# shellcheck disable=SC2086
		[ -n "$w" ] && python3 "$T/plant.py" "$w" "$NSLOTS" "$1" "$2" \
		    $LAYOUT >>"$T/plant.log" 2>&1 && return 0
		_n=$((_n + 1))
		[ $_n -gt 50 ] && fail "cannot write worker $w's scoreboard: $(tail -n 1 "$T/plant.log")"
		sleep 0.1
	done
}

# harm NAME STEP: fail if anything but the master's children was signalled
harm() {
	kill -0 "$MASTER" 2>/dev/null || fail "$1 ($2): the master died"
	kill -0 "$PLANTED" 2>/dev/null ||
	    fail "$1 ($2): the planted process $PLANTED was killed"
	kill -0 "$BYSTANDER" 2>/dev/null ||
	    fail "$1 ($2): a bystander process was killed"
	[ -s "$T/pid1.signals" ] &&
	    fail "$1 ($2): pid 1 received $(tr '\n' ' ' <"$T/pid1.signals")"
	[ "$(reopened)" = "$r0" ] ||
	    fail "$1 ($2): $(($(reopened) - r0)) log reopenings for $usr1 USR1 (the master signalled itself)"
	c1=$(cpu "$MASTER")
	[ $((c1 - c0)) -lt 300 ] ||
	    fail "$1 ($2): the master used $((c1 - c0)) ticks of CPU (spinning)"
}

# row NAME WHAT VALUE
row() {
	name=$1
	c0=$(cpu "$MASTER") r0=$(reopened) g0=$(gens) usr1=0
	# the trim with the planted slots (all free ones claim to be idle)
	plant "$2" "$3"
	sleep 2.5			# maintenance rounds (one a second)
	harm "$name" "trim rounds"
	# a reload: the old generation is told to finish
	kill -HUP "$MASTER"
	n=0
	until [ "$(gens)" -gt "$g0" ]; do
		n=$((n + 1)); [ $n -gt 100 ] && fail "$name: no reload"
		sleep 0.1
	done
	sleep 1
	harm "$name" "HUP"
	# the logs reopened: every worker is told
	plant "$2" "$3"			# over the new generation's slots
	sleep 2				# maintenance rounds
	kill -USR1 "$MASTER"
	usr1=1
	n=0
	until [ "$(reopened)" -gt "$r0" ]; do
		n=$((n + 1)); [ $n -gt 100 ] && fail "$name: no reopen"
		sleep 0.1
	done
	r0=$((r0 + 1))
	sleep 1.5
	harm "$name" "USR1"
	# eight requests hold workers ~3 s (504): the pool grows, then trims
	plant "$2" "$3"
	loads=""
	for i in 1 2 3 4 5 6 7 8; do
		curl -s -o /dev/null -m 20 "$B/slow" &
		loads="$loads $!"
	done
	n=0
	until [ "$(proxy_workers "$MASTER" | wc -l)" -ge 4 ]; do
		n=$((n + 1)); [ $n -gt 100 ] && fail "$name: the pool did not grow: $(proxy_workers "$MASTER" | wc -l)"
		sleep 0.1
	done
	# shellcheck disable=SC2086
	wait $loads
	plant "$2" "$3"			# over the slots of the workers forked
	n=0
	until [ "$(proxy_workers "$MASTER" | wc -l)" -le 2 ]; do
		n=$((n + 1)); [ $n -gt 200 ] && fail "$name: the pool did not trim: $(proxy_workers "$MASTER" | wc -l)"
		sleep 0.1
	done
	harm "$name" "pool grown and trimmed"
	for i in 1 2 3; do
		curl -sf -m 10 "$B/api" >/dev/null || fail "$name: request $i"
	done
	pass "$name: nothing signalled (planted $PLANTED, bystander, pid 1) on the trim, HUP, USR1, or as the pool grew and trimmed; master $MASTER alive, one reopen per USR1, $((c1 - c0)) ticks of CPU, requests served"
}

# ROW=N runs row N alone (to show each one failing on a master that trusts
# the scoreboard)
r=0
for spec in "slots naming a sleeping process|pid|$PLANTED" \
    "slots naming pid 0 (the master's group)|pid|0" \
    "slots naming pid 1|pid|1" \
    "slots naming the master|pid|$MASTER" \
    "slots naming pid -1 (every process)|pid|-1" \
    "a huge slot count and generation|header|2147483647"; do
	r=$((r + 1))
	[ -n "${ROW:-}" ] && [ "$ROW" != $r ] && continue
	IFS='|' read -r rname rwhat rvalue <<EOR
$spec
EOR
	row "$rname" "$rwhat" "$rvalue"
done
[ "$(proxy_workers "$MASTER" | wc -l)" -le 8 ] ||
    fail "more workers than max_workers: $(proxy_workers "$MASTER" | wc -l)"
grep -q "killed by signal" "$T/mcpproxyd.log" &&
    fail "a worker was killed: $(grep "killed by signal" "$T/mcpproxyd.log" | head -n 1)"
pass "no worker died of a signal; at most max_workers workers"
kill "$PLANTED" "$BYSTANDER"
exit 0
