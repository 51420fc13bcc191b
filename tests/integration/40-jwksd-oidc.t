#!/bin/sh
# jwksd against a real authorization server (oidc-provider, set up like
# the tutorial's Keycloak realm: issuer path /realms/my-realm, OIDC
# discovery only, a "use": "enc" key beside the signing key):
# discovery from the issuer alone; publication checked with jwksd -l;
# the server goes down and the last keys stay published; jwksd killed
# and restarted loses nothing; a rotated key arrives through a kid-miss
# report without waiting for the refresh interval.
. "${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
. "$TOP/tests/as/as.sh"
need jwksd "$NODE" curl
[ -f "$NM/oidc-provider/package.json" ] ||
    skip "oidc-provider missing (run: npm ci --prefix tests)"

start_as "$T/as"
SIG=$(as_kids sig)
ENC=$(as_kids enc)
[ -n "$SIG" ] && [ -n "$ENC" ] || fail "the server has no sig and enc keys"

user=; group=
if [ "$(id -u)" = 0 ]; then
	user=nobody
	group=$(id -gn nobody)
fi
CONF=$T/mcpproxyd.conf
cat >"$CONF" <<EOC
; the proxy's sections are jwksd's business only to skip
[mcpproxyd]
user = nobody
[server test]
listen = 127.0.0.1:9
route = /mcp http://127.0.0.1:9/mcp

[jwksd]
user = $user
group = $group
pid_file = $T/jwksd.pid
key_file = $T/lib/keys
control_socket = $T/jwksd.sock
refresh_default = 1h

[issuer realm]
issuer = $AS_ISSUER
audiences = http://127.0.0.1:9000/mcp
EOC
out=$("$JWKSD" -n -f "$CONF" 2>&1) || fail "-n: $out"
[ "$out" = "configuration OK" ] || fail "-n said: $out"
pass "configuration OK"

printf '[jwksd]\nrefresh_min = 5\n' >"$T/bad.conf"
out=$("$JWKSD" -n -f "$T/bad.conf" 2>&1) && fail "-n accepted a bad file"
case $out in "$T/bad.conf:2: "*) pass "bad file: $out" ;;
*) fail "bad file: $out" ;; esac

spawn "$T/jwksd.log" "$JWKSD" -d -v -f "$CONF"
JPID=$SPAWNED_PID
wait_grep "$T/jwksd.log" 15 "published 1 keys" ||
    fail "jwksd published nothing"
grep -q "discovered jwks_uri $AS_ISSUER/jwks from $AS_ISSUER/.well-known/openid-configuration" \
    "$T/jwksd.log" || fail "not discovered from the issuer"
pass "jwks_uri discovered from the issuer alone"

want="realm $SIG RSA RS256 $(as_fingerprint "$SIG")"
got=$("$JWKSD" -l -f "$CONF") || fail "-l failed"
[ "$got" = "$want" ] || fail "-l: '$got', want '$want'"
pass "published the signing key only: $got"
grep -q "key $ENC refused: not a signature key" "$T/jwksd.log" ||
    fail "the enc key was not refused in the log"
pass "the enc key refused with a log line"

if [ -n "$user" ]; then
	perm=$(stat -c '%a %U %G' "$T/lib/keys")
	[ "$perm" = "640 nobody $group" ] || fail "key file is $perm"
	grep -q "running as root" "$T/jwksd.log" && fail "did not drop root"
	[ "$(ps -o user= -p "$JPID")" = nobody ] || fail "jwksd not running as nobody"
	pass "key file $perm, jwksd runs as nobody"
fi

# the server goes down: a forced fetch fails and the keys stay
stop_as
kill -USR2 "$JPID"
wait_grep "$T/jwksd.log" 15 "fetch failed (forced).*keeping 1 keys" ||
    fail "no failed fetch logged"
got=$("$JWKSD" -l -f "$CONF")
[ "$got" = "$want" ] || fail "keys lost with the server down: '$got'"
pass "server down: the last keys stay published"

# jwksd killed and restarted (server still down): nothing lost
kill -KILL "$JPID"
sleep 0.2
sum=$(sha256sum <"$T/lib/keys")
spawn "$T/jwksd.log" "$JWKSD" -d -v -f "$CONF"
JPID=$SPAWNED_PID
wait_grep "$T/jwksd.log" 15 "1 keys taken back" || fail "restart took nothing back"
wait_grep "$T/jwksd.log" 15 "fetch failed (start)" || fail "no fetch at restart"
got=$("$JWKSD" -l -f "$CONF")
[ "$got" = "$want" ] || fail "keys lost over a restart: '$got'"
[ "$(sha256sum <"$T/lib/keys")" = "$sum" ] || fail "key file rewritten"
pass "jwksd killed and restarted: nothing lost"

# the server back on its port with its keys; rotation, then a worker's
# kid-miss report brings the new key at once (refresh is 1 h)
start_as "$T/as" "$AS_PORT"
kill -USR2 "$JPID"
wait_grep "$T/jwksd.log" 15 "1 keys fetched (forced)" || fail "no refetch"
NEW=$(as_rotate)
[ -n "$NEW" ] || fail "rotation failed"
python3 - "$T/jwksd.sock" "$AS_ISSUER" "$NEW" <<'EOP' || fail "cannot report a kid miss"
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.sendto(("miss\n%s\n%s\n" % (sys.argv[2], sys.argv[3])).encode(), sys.argv[1])
EOP
wait_grep "$T/jwksd.log" 15 "unknown kid $NEW reported; fetching now" ||
    fail "kid miss not acted on"
wait_grep "$T/jwksd.log" 15 "2 keys fetched (unknown kid)" ||
    fail "no fetch caused by the unknown kid"
"$JWKSD" -l -f "$CONF" | grep -q "^realm $NEW RSA RS256 $(as_fingerprint "$NEW")\$" ||
    fail "rotated key not published"
pass "rotated key published after a kid-miss report"

# a second report within miss_debounce fetches nothing
python3 - "$T/jwksd.sock" "$AS_ISSUER" nope <<'EOP'
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.sendto(("miss\n%s\n%s\n" % (sys.argv[2], sys.argv[3])).encode(), sys.argv[1])
EOP
sleep 1
n=$(grep -c "fetched (unknown kid)" "$T/jwksd.log")
[ "$n" = 1 ] || fail "debounce: $n fetches"
pass "kid-miss reports debounced"

kill -TERM "$JPID"
wait_grep "$T/jwksd.log" 5 "stopping" || fail "TERM did not stop jwksd"
pass "TERM stops jwksd"
exit 0
