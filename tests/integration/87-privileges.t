#!/bin/sh
# 87-privileges.t: least privilege, as root.  mcpproxyd (workers: user
# nobody) and jwksd (user daemon, group nogroup: a user of its own, as in
# production where jwksd and mcpproxyd are different users) started as
# root, with a jwks_file issuer (no network, no authorization server):
#
#   - the master keeps root (it binds new addresses on a reload and reopens
#     the access log); every worker runs as nobody/nogroup in all four
#     uid and gid slots, with no supplementary group other than its
#     primary one and no capabilities;
#   - every worker has NoNewPrivs 1 (PR_SET_NO_NEW_PRIVS);
#   - every worker is not dumpable (PR_SET_DUMPABLE 0): the kernel then
#     gives its /proc/PID files to root, so /proc/PID/environ is owned by
#     uid 0 and a process of the worker's own user cannot read it.  The
#     negative control (a dumpable process of user nobody) shows the check
#     can fail;
#   - jwksd runs as daemon (its own gid; the workers' group nogroup only
#     as a supplementary group, to give it the key file) without capabilities;
#   - the key file and its directory are not writable by the workers' user
#     (access(2) and real writes as nobody), but the key file is readable.
. "${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
need proxy jwksd curl setpriv
[ "$(id -u)" = 0 ] || skip "not root: the privilege drop is tested as root"
getent passwd daemon >/dev/null || skip "no user daemon for jwksd"
NOBODY_UID=$(id -u nobody) NOBODY_GID=$(id -g nobody)
WGROUP=$(id -gn nobody)
DAEMON_UID=$(id -u daemon)
as_nobody() {
	setpriv --reuid="$NOBODY_UID" --regid="$NOBODY_GID" --clear-groups "$@"
}

# a JWKS file with one RSA key: jwksd's issuer source, read locally
local_jwks priv-test-1 "$T/jwks.json"

UP=$(free_port) || fail "no port"
spawn "$T/upstream.log" "$NODE" "$TOP/tests/mcp/echo-upstream.mjs" "$UP"
wait_port 127.0.0.1 "$UP" || fail "echo upstream did not start"
P=$(free_port) || fail "no port"
write_proxy_conf "$P" "$UP" "route = /open http://127.0.0.1:$UP/echo"
sed -i "s|^route = /mcp http://127.0.0.1:$UP/mcp\$|& auth=a|" "$PROXY_CONF"
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
key_file = $T/lib/keys
control_socket = $T/jwksd.sock
refresh_default = 1h
EOC
spawn "$T/jwksd.log" "$JWKSD" -d -v -f "$PROXY_CONF"
JWKSD_PID=$SPAWNED_PID
n=0
until "$JWKSD" -l -f "$PROXY_CONF" 2>/dev/null | grep -q priv-test-1; do
	n=$((n + 1)); [ $n -gt 100 ] && fail "jwksd published no key"
	kill -0 "$JWKSD_PID" 2>/dev/null || fail "jwksd exited"
	sleep 0.1
done
start_proxy "$PROXY_CONF"
MASTER=$(cat "$T/mcpproxyd.pid")
B=http://127.0.0.1:$P
# every worker has served (or at least started): a few requests
for i in 1 2 3 4; do
	curl -sf -m 10 "$B/open" >/dev/null || fail "request $i"
done
c=$(curl -s -m 10 -o /dev/null -w '%{http_code}' "$B/mcp")
[ "$c" = 401 ] || fail "protected route without token: $c (want 401)"
pass "proxy :$P (master $MASTER), jwksd $JWKSD_PID, key file $T/lib/keys"

status() { sed -n "s/^$2:[[:space:]]*//p" "/proc/$1/status" | tr -s ' \t' ' '; }

# --- the master keeps root
[ "$(status "$MASTER" Uid)" = "0 0 0 0" ] ||
    fail "master Uid: $(status "$MASTER" Uid)"
pass "master keeps root (Uid 0 0 0 0): it binds new listen addresses on a reload and reopens the access log"

# --- every worker
WORKERS=$(pgrep -P "$MASTER")
[ -n "$WORKERS" ] || fail "no workers under $MASTER"
nw=0
for w in $WORKERS; do
	nw=$((nw + 1))
	u=$(status "$w" Uid) g=$(status "$w" Gid)
	[ "$u" = "$NOBODY_UID $NOBODY_UID $NOBODY_UID $NOBODY_UID" ] ||
	    fail "worker $w Uid: $u"
	[ "$g" = "$NOBODY_GID $NOBODY_GID $NOBODY_GID $NOBODY_GID" ] ||
	    fail "worker $w Gid: $g"
	case "$(status "$w" Groups)" in
	""|"$NOBODY_GID"|"$NOBODY_GID ") ;;
	*) fail "worker $w Groups: $(status "$w" Groups)" ;;
	esac
	for cap in CapInh CapPrm CapEff CapAmb; do
		[ "$(status "$w" $cap)" = 0000000000000000 ] ||
		    fail "worker $w $cap: $(status "$w" $cap)"
	done
	[ "$(status "$w" NoNewPrivs)" = 1 ] ||
	    fail "worker $w NoNewPrivs: $(status "$w" NoNewPrivs)"
	# not dumpable: the kernel makes /proc/PID/* root's
	[ "$(stat -c %u "/proc/$w/environ")" = 0 ] ||
	    fail "worker $w is dumpable: /proc/$w/environ owned by $(stat -c %U "/proc/$w/environ")"
	as_nobody cat "/proc/$w/environ" >/dev/null 2>&1 &&
	    fail "user nobody can read worker $w's environment"
	seccomp=$(status "$w" Seccomp)
done
pass "$nw workers: Uid/Gid nobody/$WGROUP (real, effective, saved, fs), no supplementary group but its own, no capabilities, NoNewPrivs 1, not dumpable (/proc/PID/environ root's, unreadable by nobody); Seccomp $seccomp"

# negative control: a dumpable process of user nobody
setpriv --reuid="$NOBODY_UID" --regid="$NOBODY_GID" --clear-groups sleep 30 &
ctl=$!
sleep 0.3
[ "$(stat -c %u "/proc/$ctl/environ")" = "$NOBODY_UID" ] ||
    fail "control: a dumpable nobody process's environ is owned by $(stat -c %U "/proc/$ctl/environ")"
as_nobody cat "/proc/$ctl/environ" >/dev/null 2>&1 ||
    fail "control: nobody cannot read its own dumpable process's environ"
[ "$(status "$ctl" NoNewPrivs)" = 0 ] || fail "control: NoNewPrivs $(status "$ctl" NoNewPrivs)"
kill "$ctl"; wait "$ctl" 2>/dev/null
pass "negative control: a dumpable nobody process (setpriv sleep) has its environ owned by nobody and readable, NoNewPrivs 0"

# --- jwksd
u=$(status "$JWKSD_PID" Uid) g=$(status "$JWKSD_PID" Gid)
[ "$u" = "$DAEMON_UID $DAEMON_UID $DAEMON_UID $DAEMON_UID" ] || fail "jwksd Uid: $u"
DAEMON_GID=$(id -g daemon)
[ "$g" = "$DAEMON_GID $DAEMON_GID $DAEMON_GID $DAEMON_GID" ] || fail "jwksd Gid: $g"
for cap in CapPrm CapEff CapAmb; do
	[ "$(status "$JWKSD_PID" $cap)" = 0000000000000000 ] ||
	    fail "jwksd $cap: $(status "$JWKSD_PID" $cap)"
done
pass "jwksd: Uid daemon, Gid daemon, Groups $(status "$JWKSD_PID" Groups)(the workers' group $WGROUP, for the key file), no capabilities (NoNewPrivs $(status "$JWKSD_PID" NoNewPrivs), /proc owner $(stat -c %U "/proc/$JWKSD_PID/environ"))"

# --- the key file and its directory, seen by the workers' user
ls -ld "$T/lib" "$T/lib/keys" | sed 's/^/    /'
as_nobody test -r "$T/lib/keys" || fail "the workers' user cannot read the key file"
as_nobody test -w "$T/lib/keys" && fail "the key file is writable by the workers' user"
as_nobody test -w "$T/lib" && fail "the key directory is writable by the workers' user"
as_nobody sh -c "echo x >>'$T/lib/keys'" 2>/dev/null &&
    fail "nobody appended to the key file"
as_nobody sh -c "echo x >'$T/lib/evil'" 2>/dev/null &&
    fail "nobody created a file in the key directory"
as_nobody mv "$T/lib/keys" "$T/lib/keys.x" 2>/dev/null &&
    fail "nobody renamed the key file"
"$JWKSD" -l -f "$PROXY_CONF" | grep -q priv-test-1 || fail "key file damaged"
pass "key file readable but not writable by nobody; its directory not writable (append, create, rename refused)"

# the control socket: workers may send to it (group), nobody else
ls -l "$T/jwksd.sock" | sed 's/^/    /'

for p in "$MASTER" "$JWKSD_PID"; do
	kill -0 "$p" 2>/dev/null || fail "a daemon died ($p)"
done
exit 0
