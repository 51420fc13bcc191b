#!/bin/sh
# The init script, as an operator uses it, as root, with everything in a
# scratch prefix under $T (the real /etc and /run are never touched):
# make install PREFIX=$T/prefix; the installed script is shellcheck-clean;
# start (jwksd first, then mcpproxyd), status 0 and a request through the
# proxy; reload puts a new route in force and keeps the master; a broken
# file fails configtest, reload and restart, and the running proxy keeps
# serving; logrotate with the installed snippet, then the next request is
# in the new access log; stop (mcpproxyd first), status 3; a stale pid
# file is status 1 and no obstacle to start; make uninstall removes the
# programs and keeps the configuration.
. "${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
[ "$(id -u)" = 0 ] || skip "not root (the init script starts daemons that drop to nobody)"
need make proxy jwksd curl flock shellcheck "$NODE"

shellcheck -s sh "$TOP/etc/init.d/mcpproxyd" >"$T/shellcheck.log" 2>&1 ||
    fail "shellcheck etc/init.d/mcpproxyd: $(head -20 "$T/shellcheck.log")"
pass "shellcheck -s sh etc/init.d/mcpproxyd"

P=$T/prefix
mk() {
	make -s -C "$TOP" BUILD="$BUILD" PREFIX="$P" logdir="$T/log" \
	    loguser=nobody "$@" >>"$T/make.log" 2>&1
}
mk install || fail "make install PREFIX=$P: $(tail -5 "$T/make.log")"
INIT=$P/etc/init.d/mcpproxyd
DEFAULTS=$P/etc/default/mcpproxyd
CONF=$P/etc/mcpproxyd/mcpproxyd.conf
for f in "$INIT" "$DEFAULTS" "$CONF" "$P/sbin/mcpproxyd" "$P/sbin/jwksd"; do
	[ -e "$f" ] || fail "not installed: $f"
done
grep -q "^CONFIG=$P/etc/mcpproxyd/mcpproxyd.conf\$" "$INIT" &&
    grep -q "^DAEMON=$P/sbin/mcpproxyd\$" "$INIT" &&
    grep -q "MCPPROXYD_DEFAULTS:-$DEFAULTS}" "$INIT" ||
    fail "paths not substituted into $INIT"
shellcheck -s sh "$INIT" >"$T/shellcheck.log" 2>&1 ||
    fail "shellcheck $INIT: $(head -20 "$T/shellcheck.log")"
pass "installed under $P, paths substituted, still shellcheck-clean"

UP=$(free_port) || fail "no port"
spawn "$T/upstream.log" "$NODE" "$TOP/tests/mcp/echo-upstream.mjs" "$UP"
wait_port 127.0.0.1 "$UP" || fail "echo upstream did not start"
PORT=$(free_port) || fail "no port"
mkdir -p "$T/run" "$T/log"
cp "$TOP/tests/fixtures/keycloak-jwks.json" "$T/certs.json"
chmod 644 "$T/certs.json"
# write_conf [LINE]: the configuration, LINE added to [server test]
write_conf() {
cat >"$CONF" <<EOC
; written by $TEST_NAME
[mcpproxyd]
user = nobody
pid_file = $T/run/mcpproxyd.pid
access_log = $T/log/access.log
min_spare = 2
max_workers = 8

[server test]
listen = 127.0.0.1:$PORT
route = /mcp http://127.0.0.1:$UP/echo
${1:-}

[jwksd]
user = nobody
group = $(id -gn nobody)
pid_file = $T/run/jwksd.pid
key_file = $T/lib/keys
control_socket = $T/run/jwksd.sock

[issuer keycloak]
issuer = http://localhost:8080/realms/my-realm
jwks_file = $T/certs.json
audiences = echo-mcp-server
EOC
}
write_conf
cp "$CONF" "$T/good.conf"
cat >>"$DEFAULTS" <<EOD
# $TEST_NAME
PIDFILE=$T/run/mcpproxyd.pid
JWKSD_PIDFILE=$T/run/jwksd.pid
EOD
PIDFILE=$T/run/mcpproxyd.pid

# init ACTION: run the installed script; output in $T/init.log, $OUT
init() {
	OUT=$("$INIT" "$@" 2>&1)
	RC=$?
	printf '$ %s %s (exit %s)\n%s\n' "$INIT" "$*" "$RC" "$OUT" >>"$T/init.log"
	return $RC
}
# req [PATH]: one request through the proxy; prints the status
req() {
	curl -s -m 10 -o /dev/null -w '%{http_code}' -X POST \
	    -H 'Content-Type: application/json' --data '{"jsonrpc":"2.0","id":1,"method":"ping"}' \
	    "http://127.0.0.1:$PORT${1:-/mcp}"
}
master() { sed -n 1p "$PIDFILE" 2>/dev/null; }

# whatever happens, stop what the script started
trap 'rc=$?; "$INIT" stop >/dev/null 2>&1
    for f in "$T"/run/*.pid; do
	    [ -s "$f" ] && kill -TERM "$(cat "$f")" 2>/dev/null
    done; (exit $rc); _cleanup' EXIT

init configtest || fail "configtest: $OUT"
[ "$OUT" = "configuration OK" ] || fail "configtest said: $OUT"
init status; [ $RC -eq 3 ] || fail "status before start: exit $RC, want 3 ($OUT)"
pass "configtest OK; status 3 before start"

init start || fail "start: exit $RC: $OUT"
case $OUT in
*"jwksd mcpproxyd."*) ;;
*) fail "start did not start jwksd, then mcpproxyd: $OUT" ;;
esac
init status || fail "status after start: exit $RC, want 0 ($OUT)"
echo "$OUT" | grep -q "^jwksd is running" || fail "status: $OUT"
code=$(req); [ "$code" = 200 ] || fail "request after start: $code"
wait_grep "$T/log/access.log" 5 '"POST /mcp" 200' ||
    fail "no access log line for the request"
flock -n "$T/run/jwksd.pid" true && fail "jwksd holds no lock on its pid file"
pass "start: jwksd, then mcpproxyd; status 0; POST /mcp 200"

init start || fail "second start: exit $RC: $OUT"
pass "start when running: exit 0 ($OUT)"

# reload: a new route comes into force, the master stays
M=$(master)
code=$(req /v2); [ "$code" = 404 ] || fail "/v2 before the reload: $code"
write_conf "route = /v2 http://127.0.0.1:$UP/echo"
init reload || fail "reload: exit $RC: $OUT"
n=0
while [ "$(req /v2)" != 200 ]; do
	n=$((n + 1)); [ $n -lt 50 ] || fail "/v2 not routed 5 s after the reload"
	sleep 0.1
done
init status || fail "status after reload: exit $RC ($OUT)"
[ "$(master)" = "$M" ] || fail "reload replaced the master ($M, now $(master))"
for i in 1 2 3 4 5; do
	code=$(req); [ "$code" = 200 ] || fail "request $i after reload: $code"
done
cp "$CONF" "$T/good.conf"
pass "reload: the new route in force, same master, status 0, requests 200"

# a broken file: configtest, reload and restart refuse; the proxy serves on
printf '\n[mcpproxyd]\nbogus_key = 1\n' >>"$CONF"
init configtest && fail "configtest accepted a broken file: $OUT"
case $OUT in *"$CONF:"[0-9]*) ;; *) fail "configtest: no file:line: $OUT" ;; esac
pass "configtest on a broken file: exit $RC, $OUT"
init reload && fail "reload accepted a broken file: $OUT"
[ $RC -eq 6 ] || fail "reload with a broken file: exit $RC, want 6"
init restart && fail "restart into a broken file: $OUT"
[ $RC -eq 6 ] || fail "restart with a broken file: exit $RC, want 6"
init status || fail "status after the refused restart: exit $RC ($OUT)"
[ "$(master)" = "$M" ] || fail "the refused restart replaced the master"
code=$(req); [ "$code" = 200 ] || fail "request after the refused restart: $code"
pass "reload and restart refuse a broken file (exit 6); the old proxy serves on"
cp "$T/good.conf" "$CONF"

# another settings file, named by MCPPROXYD_DEFAULTS
printf 'CONFIG=%s\n' "$T/nonexistent.conf" >"$T/other-defaults"
MCPPROXYD_DEFAULTS=$T/other-defaults init configtest &&
    fail "MCPPROXYD_DEFAULTS ignored: $OUT"
[ $RC -eq 6 ] || fail "configtest of a missing file: exit $RC, want 6"
pass "MCPPROXYD_DEFAULTS names the settings file"

# the logrotate snippet, forced (its postrotate runs "$INIT rotate")
if command -v logrotate >/dev/null 2>&1; then
	logrotate -v -f -s "$T/logrotate.state" "$P/etc/logrotate.d/mcpproxyd" \
	    >"$T/logrotate.log" 2>&1 ||
	    fail "logrotate: $(tail -5 "$T/logrotate.log")"
	grep -q "running postrotate script" "$T/logrotate.log" ||
	    fail "logrotate ran no postrotate script"
	[ -s "$T/log/access.log.1" ] || fail "logrotate did not rotate access.log"
	[ "$(stat -c '%U %a' "$T/log/access.log")" = "nobody 640" ] ||
	    fail "new access.log: $(stat -c '%U %a' "$T/log/access.log")"
	how="logrotate -f, its postrotate ran"
else
	mv "$T/log/access.log" "$T/log/access.log.1"
	how="no logrotate here"
fi
init rotate || fail "rotate: exit $RC: $OUT"
code=$(req /mcp?rotated); [ "$code" = 200 ] || fail "request after rotate: $code"
# USR1: the master and the workers reopen the file by its name
wait_grep "$T/log/access.log" 5 '"POST /mcp" 200' ||
    fail "no request logged in the new access.log after rotate"
pass "rotate ($how): USR1 sent; the next request logged in the new file"

init restart || fail "restart: exit $RC: $OUT"
init status || fail "status after restart: exit $RC ($OUT)"
[ "$(master)" != "$M" ] || fail "restart kept the old master"
code=$(req); [ "$code" = 200 ] || fail "request after restart: $code"
pass "restart: a new master, serving"

init stop || fail "stop: exit $RC: $OUT"
case $OUT in
*"mcpproxyd jwksd."*) ;;
*) fail "stop did not stop mcpproxyd, then jwksd: $OUT" ;;
esac
init status; [ $RC -eq 3 ] || fail "status after stop: exit $RC, want 3 ($OUT)"
code=$(req); [ "$code" = 000 ] || fail "a request after stop got $code"
[ -e "$PIDFILE" ] && fail "pid file left after stop"
init stop || fail "stop when stopped: exit $RC: $OUT"
init reload; [ $RC -eq 7 ] || fail "reload when stopped: exit $RC, want 7"
pass "stop: mcpproxyd, then jwksd; status 3; stop again 0; reload 7"

# a stale pid file (a crash): status 1, and start is not fooled
echo 999999 >"$PIDFILE"
init status; [ $RC -eq 1 ] || fail "status with a stale pid file: exit $RC, want 1"
init start || fail "start over a stale pid file: exit $RC: $OUT"
init status || fail "status: exit $RC ($OUT)"
code=$(req); [ "$code" = 200 ] || fail "request: $code"
init stop || fail "stop: exit $RC: $OUT"
pass "stale pid file: status 1; start over it works"

mk uninstall || fail "make uninstall: $(tail -5 "$T/make.log")"
for f in "$INIT" "$P/sbin/mcpproxyd" "$P/sbin/jwksd" \
    "$P/etc/logrotate.d/mcpproxyd" "$P/share/man/man8/mcpproxyd.8" \
    "$P/lib/systemd/system/mcpproxyd.service"; do
	[ -e "$f" ] && fail "left by make uninstall: $f"
done
for f in "$CONF" "$DEFAULTS" "$P/etc/mcpproxyd/mcpproxyd-oauth.conf"; do
	[ -e "$f" ] || fail "make uninstall removed the configuration $f"
done
cmp -s "$CONF" "$T/good.conf" || fail "make uninstall changed $CONF"
pass "make uninstall: programs gone, configuration kept"
exit 0
