#!/bin/sh
# 17-proctitle.t: ps -o args names each process as nginx and Postfix do:
# "mcpproxyd: master", "mcpproxyd: waiting room",
# "mcpproxyd: worker (generation N)" (N changes
# after a HUP), "jwksd: key fetcher (1 issuer)"; never request data (a
# request with a marker in its path and headers is in flight while ps
# looks).
. "${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
need proxy jwksd node_modules curl ps

. "$TOP/tests/as/as.sh"
start_echo_upstream
P=$(free_port) || fail "no port"
write_proxy_conf "$P" "$ep" "route = /sse http://127.0.0.1:$ep/sse"
start_proxy "$PROXY_CONF"
MASTER=$(cat "$T/mcpproxyd.pid")
args() { ps -o args= -p "$1" | sed 's/ *$//'; }
workers() { proxy_workers "$MASTER"; }
room() { pgrep -P "$MASTER" -f "^mcpproxyd: waiting room"; }

# a request in flight, its path and a header carrying a marker
curl -s -N -H 'X-Marker: SECRET-HEADER-7731' \
    "http://127.0.0.1:$P/sse/SECRET-PATH-7731?n=20" >/dev/null 2>&1 &
sleep 1
[ "$(args "$MASTER")" = "mcpproxyd: master" ] ||
    fail "master's title: '$(args "$MASTER")'"
n=0
for w in $(workers); do
	[ "$(args "$w")" = "mcpproxyd: worker (generation 1)" ] ||
	    fail "worker $w's title: '$(args "$w")'"
	n=$((n + 1))
done
[ $n -ge 2 ] || fail "only $n workers"
[ "$(room | wc -l)" = 1 ] || fail "waiting rooms: $(room | wc -l) (want 1)"
[ "$(args "$(room)")" = "mcpproxyd: waiting room" ] ||
    fail "waiting room's title: '$(args "$(room)")'"
for w in "$MASTER" $(room) $(workers); do args "$w"; done | grep -q 'SECRET-' &&
    fail "request data in a process title"
pass "master, waiting room and $n workers titled; no request data in ps"

kill -HUP "$MASTER"
wait_grep "$T/mcpproxyd.log" 10 -q 'generation 2 starts' ||
    fail "no reload"
n=0
until [ "$(for w in $(workers); do args "$w"; done | sort -u)" = \
    "mcpproxyd: worker (generation 2)" ]; do
	n=$((n + 1))
	[ $n -gt 100 ] && fail "titles after HUP: $(for w in $(workers); do args "$w"; done | sort | uniq -c)"
	sleep 0.2
done
[ "$(args "$MASTER")" = "mcpproxyd: master" ] ||
    fail "master's title after HUP: '$(args "$MASTER")'"
pass "after HUP every worker says generation 2"

# jwksd, reading a JWKS file
local_jwks k1 "$T/jwks.json"
mkdir -p "$T/lib"
{
	echo "[issuer local]"
	echo "issuer = http://127.0.0.1:1/local"
	echo "jwks_file = $T/jwks.json"
	echo
	if [ "$(id -u)" = 0 ]; then echo "[jwksd]"; echo "user = nobody"
	else echo "[jwksd]"; fi
	echo "pid_file = $T/jwksd.pid"
	echo "key_file = $T/lib/keys"
	echo "control_socket = $T/jwksd.sock"
} >"$T/jwksd.conf"
chmod 644 "$T/jwksd.conf"
spawn "$T/jwksd.log" "$JWKSD" -d -f "$T/jwksd.conf"
JPID=$SPAWNED_PID
wait_grep "$T/jwksd.log" 10 -q 'started' || fail "jwksd did not start"
[ "$(args "$JPID")" = "jwksd: key fetcher (1 issuer)" ] ||
    fail "jwksd's title: '$(args "$JPID")'"
pass "jwksd titled"
