#!/bin/sh
# 86-faults.t: the ordinary faults of production, under load.  A load
# client (tests/mcp/load-loop.mjs: 4 loops, a new connection per request,
# so one connection is one request) sends GET /mcp with a token the
# authorization server issued (tests/as/server.mjs), through jwksd and
# mcpproxyd to tests/mcp/echo-upstream.mjs.  For each fault, the requests
# and failures are counted and printed ("figures:" lines; tests/RESULTS.md
# has a run's); "accepted" is a request the proxy has read or a connection
# in its backlog, and none of those may be lost except the ones a killed
# worker held:
#
#   1. SIGKILL to 3 busy workers: at most one failed request per killed
#      worker, every other answer 200, the pool refilled;
#   2. SIGKILL to jwksd: every request 200 on the last published keys,
#      also in a worker forked after jwksd died; jwksd starts again over
#      its stale pid file and control socket;
#   3. the backend stopped, then started again: 502s with JSON-RPC error
#      bodies while it is down, no failed connection, and 200s once it
#      listens again, without restarting the proxy;
#   4. the authorization server stopped: jwksd's fetch fails (logged,
#      keys kept), every request 200;
#   5. the disk of the key file full (a 256 KiB tmpfs; RLIMIT_FSIZE when
#      mounting is not allowed): the AS rotates its key, jwksd fetches it
#      but cannot publish (logged), requests with the old key's token all
#      200, the new key's token 401; once space is freed and jwksd fetches
#      again, the new token is 200.
. "${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
. "$TOP/tests/as/as.sh"
need node_modules proxy jwksd curl
[ -f "$NM/oidc-provider/package.json" ] ||
    skip "oidc-provider missing (run: npm ci --prefix tests)"
PHASE_SECS=${PHASE_SECS:-3}
now_ms() { date +%s%3N; }

# the key file's directory: a small tmpfs of its own, when we may mount
mkdir -p "$T/lib"
MOUNTED=
if [ "$(id -u)" = 0 ] && mount -t tmpfs -o size=256k,mode=0755 tmpfs "$T/lib" 2>/dev/null; then
	MOUNTED=1
	# shellcheck disable=SC2154
	trap '_rc=$?; umount -l "$T/lib" 2>/dev/null; (exit $_rc); _cleanup' EXIT
	[ "$(id -u)" = 0 ] && chown nobody:"$(id -gn nobody)" "$T/lib"
else
	rmdir "$T/lib"
fi

start_as "$T/as"
EP=$(free_port) || fail "no free port"
start_backend() {
	spawn "$T/echo-upstream.log" "$NODE" "$TOP/tests/mcp/echo-upstream.mjs" "$EP"
	BACKEND_PID=$SPAWNED_PID
	wait_port 127.0.0.1 "$EP" 10 || fail "echo-upstream did not start"
}
start_backend
P=$(free_port) || fail "no free port"
URL=http://127.0.0.1:$P/mcp
auth_route_conf "$P" "$EP" a
sed -i '/^min_spare =/d; /^max_workers =/d' "$PROXY_CONF"
proxy_global "start_workers = 4" "min_spare = 2" "max_spare = 8" \
    "max_workers = 16" "upstream_timeout = 5" "token_cache = 1024" \
    "kid_wait_ms = 2000"
cat >>"$PROXY_CONF" <<EOC

$(tools_auth a "subject_header = X-Auth-Subject")

[issuer local]
issuer = $AS_ISSUER

$(jwksd_section 1h)
miss_debounce = 10s
EOC
start_jwksd "$PROXY_CONF"
start_proxy "$PROXY_CONF"
MASTER=$(cat "$T/mcpproxyd.pid")
workers() { proxy_workers "$MASTER"; }
TOK=$(as_token "$URL") || fail "no token"
c=$(curl -s -m 10 -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOK" "$URL")
[ "$c" = 200 ] || fail "first request: $c"
[ -n "$MOUNTED" ] && where="a 256k tmpfs" || where="the test's file system"
pass "AS $AS_ISSUER, jwksd (key file on $where), proxy :$P, backend :$EP; a token from the AS: 200"

# load NAME: start the load client; load_stop NAME: stop it, wait for it
load() {
	"$NODE" "$TOP/tests/mcp/load-loop.mjs" --url "$URL" --conc 4 \
	    --timeout 15000 --header "Authorization: Bearer $TOK" \
	    --out "$T/$1.json" --log "$T/$1.lines" &
	LOAD_PID=$!
	sleep 0.5
}
load_stop() {
	kill -TERM "$LOAD_PID"
	wait "$LOAD_PID"
	[ -s "$T/$1.json" ] || fail "$1: no figures from the load client"
	printf '    %s: %s\n' "$1" "$(cat "$T/$1.json")"
}
nerr() { json "$T/$1.json" 'Object.values(j.errors).reduce((a, b) => a + b, 0)'; }
n200() { json "$T/$1.json" 'j.statuses["200"] || 0'; }
nreq() { json "$T/$1.json" j.requests; }
all200() {	# all200 NAME: every request of the phase answered 200
	[ "$(nerr "$1")" = 0 ] || fail "$1: failed requests: $(json "$T/$1.json" j.errors) $(json "$T/$1.json" j.firstErrors)"
	[ "$(n200 "$1")" = "$(nreq "$1")" ] || fail "$1: not all 200: $(json "$T/$1.json" j.statuses)"
	[ "$(nreq "$1")" -gt 0 ] || fail "$1: no requests"
}
FIG=""
fig() { FIG="$FIG
figures: $*"; }

# --- baseline
load base; sleep "$PHASE_SECS"; load_stop base
all200 base
pass "baseline: $(nreq base) requests, all 200"
fig "baseline requests=$(nreq base) failed=0"

# --- 1. SIGKILL to busy workers
# a busy worker: one holding an established connection on the proxy port
busy_worker() {
	_i=0
	while [ $_i -lt 50 ]; do
		for _p in $(ss -tnpH state established "( sport = :$P )" 2>/dev/null |
		    grep -o 'pid=[0-9]*' | cut -d= -f2 | sort -u); do
			[ "$(ps -o ppid= -p "$_p" | tr -d ' ')" = "$MASTER" ] &&
			    { echo "$_p"; return; }
		done
		_i=$((_i + 1))
	done
	workers | head -n 1	# none caught busy: any worker
}
load kill
killed=""
for _k in 1 2 3; do
	v=$(busy_worker)
	[ -n "$v" ] || fail "no worker to kill"
	kill -KILL "$v"
	killed="$killed $v"
	sleep 1
done
sleep "$PHASE_SECS"
load_stop kill
for v in $killed; do
	grep -q "worker $v (gen 1) killed by signal 9; respawning" "$T/mcpproxyd.log" ||
	    fail "no log line for killed worker $v"
done
kfail=$(nerr kill)
[ "$kfail" -le 3 ] || fail "3 workers killed, $kfail requests failed: $(json "$T/kill.json" j.errors)"
[ "$(n200 kill)" = $(( $(nreq kill) - kfail )) ] ||
    fail "answers other than 200 while workers were killed: $(json "$T/kill.json" j.statuses)"
[ "$(workers | wc -l)" -ge 2 ] || fail "pool not refilled: $(workers | wc -l) workers"
pass "SIGKILL to 3 busy workers ($killed): $(nreq kill) requests, $kfail failed ($(json "$T/kill.json" j.errors)), the rest 200; pool refilled ($(workers | wc -l) workers)"
fig "kill-workers killed=3 requests=$(nreq kill) failed=$kfail errors=$(json "$T/kill.json" j.errors)"

# --- 2. SIGKILL to jwksd
kill -KILL "$JWKSD_PID"
n=0; while kill -0 "$JWKSD_PID" 2>/dev/null; do n=$((n + 1)); [ $n -gt 50 ] && fail "jwksd survived SIGKILL"; sleep 0.1; done
load jwksd
sleep 1
kill -KILL "$(workers | head -n 1)"	# its successor maps the file anew
sleep "$PHASE_SECS"
load_stop jwksd
[ "$(nerr jwksd)" -le 1 ] || fail "jwksd killed: $(json "$T/jwksd.json" j.errors)"
[ "$(n200 jwksd)" = $(( $(nreq jwksd) - $(nerr jwksd) )) ] ||
    fail "jwksd killed: not every answer 200: $(json "$T/jwksd.json" j.statuses)"
pass "jwksd killed: $(nreq jwksd) requests with a valid token, every answer 200 ($(nerr jwksd) lost to a worker killed meanwhile, whose successor serves on the last keys)"
fig "kill-jwksd requests=$(nreq jwksd) non200=$(( $(nreq jwksd) - $(n200 jwksd) - $(nerr jwksd) )) failed=$(nerr jwksd) (one worker killed too)"
start_jwksd "$PROXY_CONF"
pass "jwksd started again over its stale pid file and control socket"

# --- 3. the backend stopped, then started again
load backend
kill -TERM "-$BACKEND_PID" 2>/dev/null
n=0; while kill -0 "$BACKEND_PID" 2>/dev/null; do n=$((n + 1)); [ $n -gt 50 ] && fail "backend did not stop"; sleep 0.1; done
sleep "$PHASE_SECS"
start_backend
up_at=$(now_ms)
sleep "$PHASE_SECS"
load_stop backend
[ "$(nerr backend)" = 0 ] || fail "backend down: failed requests: $(json "$T/backend.json" j.errors)"
n502=$(json "$T/backend.json" 'j.statuses["502"] || 0')
[ "$n502" -gt 0 ] || fail "backend down: no 502: $(json "$T/backend.json" j.statuses)"
[ $((n502 + $(n200 backend))) = "$(nreq backend)" ] ||
    fail "backend down: answers other than 200 and 502: $(json "$T/backend.json" j.statuses)"
[ "$(json "$T/backend.json" j.nonJsonErrors)" = 0 ] ||
    fail "backend down: $(json "$T/backend.json" j.nonJsonErrors) error answers without a JSON-RPC body"
late=$(awk -v t="$up_at" '$1 > t' "$T/backend.lines")
[ -n "$late" ] || fail "no request after the backend came back"
bad=$(printf '%s\n' "$late" | awk '$2 != 200' | wc -l)
[ "$bad" = 0 ] || fail "after the backend listened again: $bad requests not 200"
pass "backend stopped: $n502 answers 502 with JSON-RPC bodies, no failed request; restarted: all $(printf '%s\n' "$late" | wc -l) requests after it listened are 200 (proxy not restarted)"
load backend2; sleep "$PHASE_SECS"; load_stop backend2
all200 backend2
fig "backend-stop-restart requests=$(nreq backend) 502=$n502 200=$(n200 backend) failed=0 after_restart_all_200=$(printf '%s\n' "$late" | wc -l) then=$(nreq backend2)/$(nreq backend2)"

# --- 4. the authorization server stopped
stop_as
kill -0 "$AS_PID" 2>/dev/null && fail "AS still running"
kill -USR2 "$JWKSD_PID"
wait_grep "$T/jwksd.log" 10 "issuer local: fetch failed .*keeping [0-9]* keys" ||
    fail "jwksd did not log a failed fetch with the AS down"
load as; sleep "$PHASE_SECS"; load_stop as
all200 as
pass "AS stopped: jwksd logs '$(grep -o 'issuer local: fetch failed.*' "$T/jwksd.log" | tail -n 1)'; $(nreq as) requests, all 200"
fig "as-stopped requests=$(nreq as) failed=0 non200=0"

# --- 5. the disk of the key file full
start_as "$T/as" "$AS_PORT"
OLD=$(as_kids sig | head -n 1)
sleep 11	# past miss_debounce since the last fetch
if [ -n "$MOUNTED" ]; then
	dd if=/dev/zero of="$T/lib/fill" bs=4k 2>/dev/null
	df -k "$T/lib" | tail -n 1 | sed 's/^/    /'
	how="a full 256k tmpfs"
else
	prlimit --pid "$JWKSD_PID" --fsize=64:64 ||
	    skip "neither mount nor prlimit: cannot fill the key file's disk"
	how="RLIMIT_FSIZE 64 bytes"
fi
pubs=$(grep -c 'published ' "$T/jwksd.log")
NEW=$(as_rotate)
[ -n "$NEW" ] && [ "$NEW" != "$OLD" ] || fail "rotation failed"
kill -USR2 "$JWKSD_PID"
wait_grep "$T/jwksd.log" 10 "publish: .*keys not replaced" ||
    fail "jwksd did not log a failed publish ($how)"
why=$(grep -o 'publish: .*keys not replaced.*' "$T/jwksd.log" | tail -n 1)
[ "$(grep -c 'published ' "$T/jwksd.log")" = "$pubs" ] || fail "jwksd published on $how"
kill -0 "$JWKSD_PID" || fail "jwksd died on $how"
load disk; sleep "$PHASE_SECS"; load_stop disk
all200 disk
TOK2=$(as_token "$URL") || fail "no token after the rotation"
# jwksd retries a failed publication every 5 s: when a retry found room
# (a tmpfs page freed by a failed temporary file), the new key is out
before=$(grep -c 'published ' "$T/jwksd.log")
c=$(curl -s -m 15 -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOK2" "$URL")
if [ "$before" = "$pubs" ] && [ "$(grep -c 'published ' "$T/jwksd.log")" = "$pubs" ]; then
	[ "$c" = 401 ] || fail "a token of the unpublished key $NEW: $c (want 401)"
else
	[ "$c" = 200 ] || fail "a token of the key $NEW published by a retry: $c (want 200)"
fi
pass "disk full ($how): jwksd says '$why'; the old key's token: $(nreq disk) requests all 200; the new key's ($NEW) token: $c"
fig "disk-full requests=$(nreq disk) failed=0 non200=0 new_kid_token=401 log=\"$why\""
if [ -n "$MOUNTED" ]; then
	rm -f "$T/lib/fill"
else
	prlimit --pid "$JWKSD_PID" --fsize=unlimited:unlimited
fi
sleep 11	# past miss_debounce
kill -USR2 "$JWKSD_PID"
n=0
until "$JWKSD" -l -f "$PROXY_CONF" 2>/dev/null | grep -q " $NEW "; do
	n=$((n + 1)); [ $n -gt 100 ] && fail "$NEW not published once space was freed"
	sleep 0.1
done
c=$(curl -s -m 15 -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOK2" "$URL")
[ "$c" = 200 ] || fail "the new key's token once published: $c"
c=$(curl -s -m 15 -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOK" "$URL")
[ "$c" = 200 ] || fail "the old key's token after: $c"
pass "space freed, jwksd fetched again (SIGUSR2): $NEW published, both tokens 200"

kill -0 "$MASTER" || fail "master died"
kill -0 "$JWKSD_PID" || fail "jwksd died"
printf '%s\n' "$FIG" | sed '/^$/d'
exit 0
