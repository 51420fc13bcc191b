#!/bin/sh
# 89-privsep-files.t: the files that root touches, as root.
#
#   - the key file is written by the jwksd user: under strace -f -e
#     trace=openat, the root master of mcpproxyd never opens it, neither
#     at start nor on a reload (HUP); the workers do, after dropping
#     root, when a request with a token first needs a key (the positive
#     control: strace sees the key file's openat);
#   - jwksd's control socket: a symlink planted at its path before the
#     start makes jwksd refuse (the link's target is left alone, the link
#     is not removed); a symlink swapped in while jwksd is inside bind()
#     (strace delays bind's return by 2 s, the test plants the link in
#     that window) does not get the link's target chmod'ed or chown'ed:
#     the socket ends at its path with its final mode and owner.
. "${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
need proxy jwksd curl strace
[ "$(id -u)" = 0 ] || skip "not root: the files root touches are tested as root"
getent passwd daemon >/dev/null || skip "no user daemon for jwksd"
WGROUP=$(id -gn nobody)

# a JWKS file with one RSA key: jwksd's issuer source, read locally
local_jwks files-test-1 "$T/jwks.json"

UP=$(free_port) || fail "no port"
spawn "$T/upstream.log" "$NODE" "$TOP/tests/mcp/echo-upstream.mjs" "$UP"
wait_port 127.0.0.1 "$UP" || fail "echo upstream did not start"
P=$(free_port) || fail "no port"
write_proxy_conf "$P" "$UP" "route = /open http://127.0.0.1:$UP/echo"
sed -i "s|^route = /mcp http://127.0.0.1:$UP/mcp\$|& auth=a|" "$PROXY_CONF"
KEYS=$T/lib/keys
cat >>"$PROXY_CONF" <<EOC

[auth a]
issuer = local
audiences = http://127.0.0.1:$P/mcp
resource = http://127.0.0.1:$P/mcp

[issuer local]
issuer = http://127.0.0.1:1/local
jwks_file = $T/jwks.json

[jwksd]
user = daemon
group = $WGROUP
pid_file = $T/jwksd.pid
key_file = $KEYS
control_socket = $T/jwksd.sock
refresh_default = 1h
EOC
spawn "$T/jwksd.log" "$JWKSD" -d -v -f "$PROXY_CONF"
JWKSD_PID=$SPAWNED_PID
n=0
until "$JWKSD" -l -f "$PROXY_CONF" 2>/dev/null | grep -q files-test-1; do
	n=$((n + 1)); [ $n -gt 100 ] && fail "jwksd published no key"
	kill -0 "$JWKSD_PID" 2>/dev/null || fail "jwksd exited"
	sleep 0.1
done
pass "jwksd $JWKSD_PID published key file $KEYS"

# --- the root master never opens the key file -------------------------------
spawn "$T/mcpproxyd.log" strace -f -e trace=openat -o "$T/strace.out" \
    "$MCPPROXYD" -d -f "$PROXY_CONF"
wait_port 127.0.0.1 "$P" 20 || fail "mcpproxyd under strace did not listen"
MASTER=$(cat "$T/mcpproxyd.pid")
B=http://127.0.0.1:$P
c=$(curl -s -m 10 -o /dev/null -w '%{http_code}' "$B/mcp")
[ "$c" = 401 ] || fail "protected route without token: $c (want 401)"
curl -sf -m 10 "$B/open" >/dev/null || fail "open route"
# a token (a bad one will do) makes the worker map the key file
c=$(curl -s -m 10 -o /dev/null -w '%{http_code}' -H 'Authorization: Bearer a.b.c' "$B/mcp")
[ "$c" = 401 ] || fail "protected route with a bad token: $c (want 401)"

# opens NAME: the key file's openat lines of the master, and of the others
opens() {
	grep -F "\"$KEYS\"" "$T/strace.out" >"$T/opens.txt"
	master_opens=$(grep -c "^$MASTER " "$T/opens.txt")
	worker_opens=$(grep -vc "^$MASTER " "$T/opens.txt")
	[ "$master_opens" = 0 ] ||
	    fail "$1: the root master $MASTER opened the key file: $(grep "^$MASTER " "$T/opens.txt" | head -n 3)"
	[ "$worker_opens" -gt 0 ] ||
	    fail "$1: no worker opened the key file (the control: strace sees no openat of $KEYS)"
	for w in $(grep -v "^$MASTER " "$T/opens.txt" | cut -d' ' -f1 | sort -u); do
		[ -d "/proc/$w" ] || continue
		[ "$(sed -n 's/^Uid:[[:space:]]*\([0-9]*\).*/\1/p' "/proc/$w/status")" = "$(id -u nobody)" ] ||
		    fail "$1: key file opened by $w, not a worker of user nobody"
	done
}
opens "start"
pass "start: the master $MASTER never opened $KEYS; $worker_opens openat by the workers (user nobody)"

before=$worker_opens
kill -HUP "$MASTER"
wait_grep "$T/mcpproxyd.log" 10 -q "generation 2 starts" || fail "no reload"
n=0
while opens "reload" && [ "$worker_opens" -le "$before" ]; do
	n=$((n + 1)); [ $n -gt 100 ] && fail "reload: no new worker opened the key file"
	curl -s -m 10 -o /dev/null -H 'Authorization: Bearer a.b.c' "$B/mcp"
	sleep 0.1
done
c=$(curl -s -m 10 -o /dev/null -w '%{http_code}' "$B/mcp")
[ "$c" = 401 ] || fail "protected route without token after the reload: $c"
pass "reload: the master never opened $KEYS; the new generation's workers did ($worker_opens openat in all)"

# --- jwksd's control socket and planted links --------------------------------
# a jwksd of its own, the same issuer, its files in $T/ctl
mkdir "$T/ctl"
sed "s|^pid_file = $T/jwksd.pid|pid_file = $T/ctl/jwksd.pid|; s|^key_file = .*|key_file = $T/ctl/lib/keys|; s|^control_socket = .*|control_socket = $T/ctl/jwksd.sock|" \
    "$PROXY_CONF" >"$T/ctl.conf"
grep -q "^control_socket = $T/ctl/jwksd.sock" "$T/ctl.conf" || fail "ctl.conf"
echo precious >"$T/target"
chmod 600 "$T/target"
target() { stat -c '%a %U:%G' "$T/target"; }
want_target="600 root:$(id -gn root)"
[ "$(target)" = "$want_target" ] || fail "target: $(target)"

# planted before the start
ln -s "$T/target" "$T/ctl/jwksd.sock"
"$JWKSD" -d -f "$T/ctl.conf" >"$T/ctl-refused.log" 2>&1 &
jp=$!
n=0
while kill -0 "$jp" 2>/dev/null; do
	n=$((n + 1))
	if [ $n -gt 50 ]; then
		kill "$jp"; wait "$jp"
		fail "jwksd started over a symlink at its socket path"
	fi
	sleep 0.1
done
wait "$jp" && fail "jwksd exited 0 over a symlink at its socket path"
[ -L "$T/ctl/jwksd.sock" ] || fail "the planted symlink was removed"
[ "$(target)" = "$want_target" ] && [ "$(cat "$T/target")" = precious ] ||
    fail "the symlink's target was changed: $(target)"
pass "a symlink at the socket path: jwksd refuses ($(tail -n 1 "$T/ctl-refused.log")); the link stays, its target untouched ($(target))"

# swapped in while jwksd is in bind(): bind returns 2 s late
rm -f "$T/ctl/jwksd.sock"
spawn "$T/ctl.log" strace -o "$T/ctl-strace.out" -e trace=bind \
    -e inject=bind:delay_exit=2000000 "$JWKSD" -d -v -f "$T/ctl.conf"
CTL_PID=$SPAWNED_PID
n=0
# the socket made: at its path, or in a directory beside it
until [ -S "$T/ctl/jwksd.sock" ] || ls -d "$T/ctl/".ctl.* >/dev/null 2>&1; do
	n=$((n + 1)); [ $n -gt 500 ] && fail "jwksd made no socket: $(tail -n 3 "$T/ctl.log")"
	sleep 0.01
done
rm -f "$T/ctl/jwksd.sock"
ln -s "$T/target" "$T/ctl/jwksd.sock"
planted=$(ls -l "$T/ctl/jwksd.sock")
n=0
until grep -q "started" "$T/ctl.log"; do
	n=$((n + 1)); [ $n -gt 100 ] && fail "jwksd did not start: $(tail -n 3 "$T/ctl.log")"
	kill -0 "$CTL_PID" 2>/dev/null || fail "jwksd exited: $(tail -n 3 "$T/ctl.log")"
	sleep 0.1
done
grep -q "bind(.*= 0" "$T/ctl-strace.out" || fail "no bind seen: $(cat "$T/ctl-strace.out")"
[ "$(target)" = "$want_target" ] && [ "$(cat "$T/target")" = precious ] ||
    fail "the target of a link planted during bind was changed: $(target)"
[ -S "$T/ctl/jwksd.sock" ] && [ ! -L "$T/ctl/jwksd.sock" ] ||
    fail "no socket at the path: $(ls -l "$T/ctl/jwksd.sock")"
sock=$(stat -c '%a %U:%G' "$T/ctl/jwksd.sock")
[ "$sock" = "660 daemon:$WGROUP" ] || fail "socket mode and owner: $sock (want 660 daemon:$WGROUP)"
ls -d "$T/ctl/".ctl.* >/dev/null 2>&1 && fail "a private directory was left behind"
pass "a symlink planted during bind ($planted): its target untouched ($(target)); the socket replaced it with mode and owner $sock"
exit 0
