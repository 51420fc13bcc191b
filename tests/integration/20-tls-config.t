#!/bin/bash
# TLS settings checked before anything is served: mcpproxyd -n builds
# every TLS context as root from the test PKI (tests/tls/mkca.sh): a key
# that does not match its certificate, a missing upstream CA file, a CA
# file that holds no certificate, a weak cipher are refused with the
# file named; a key only root may read is read (by root, the master),
# and refused to anyone else; certificate expiry is logged; protected
# routes in clear on addresses other than loopback are warned about.  A reload
# with a mismatched key is refused and the running configuration kept.
. "${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
need proxy openssl curl setpriv

P=$TOP/tests/tls/mkca.sh
"$P" "$T/pki" >"$T/mkca.log" 2>&1 || fail "mkca.sh: $(cat "$T/mkca.log")"
K=$T/pki
port=$(free_port) || fail "no port"

# conf FILE [LINE...]: a TLS server on $port, the lines added to it
conf() {
	_f=$1; shift
	{
		printf '[mcpproxyd]\nuser = nobody\n[server tls]\nlisten = 127.0.0.1:%s\n' "$port"
		printf 'route = /mcp http://127.0.0.1:9/mcp\n'
		for _l in "$@"; do printf '%s\n' "$_l"; done
	} >"$_f"
	chmod 644 "$_f"
}
# check NAME WANT-EXIT WANT-GREP [LINE...]: mcpproxyd -n on such a file
check() {
	_name=$1 _rc=$2 _want=$3; shift 3
	conf "$T/$_name.conf" "$@"
	out=$("$MCPPROXYD" -n -f "$T/$_name.conf" 2>&1); rc=$?
	[ "$rc" = "$_rc" ] || fail "$_name: exit $rc, want $_rc: $out"
	echo "$out" | grep -q -- "$_want" || fail "$_name: want \"$_want\" in: $out"
	pass "$_name: $(echo "$out" | tail -n 1)"
}
CERT="tls_certificate = $K/localhost.pem"
KEY="tls_key = $K/localhost.key"

check good 0 "configuration OK" "$CERT" "$KEY"
check mismatched-key 1 "tls_key $K/mismatch.key does not match tls_certificate $K/localhost.pem" \
    "$CERT" "tls_key = $K/mismatch.key"
check other-servers-key 1 "tls_key $K/a.test.key does not match" "$CERT" \
    "tls_key = $K/a.test.key"
check missing-key 1 "tls_key $K/nope.key: No such file or directory" "$CERT" \
    "tls_key = $K/nope.key"
check key-as-certificate 1 "tls_certificate $K/localhost.key: not a PEM certificate chain" \
    "tls_certificate = $K/localhost.key" "$KEY"
check weak-cipher 1 "tls_ciphers: AES256-SHA is not accepted" "$CERT" "$KEY" \
    "tls_ciphers = AES256-SHA"
check tls11 1 "tls_protocols: TLSv1.1 is not accepted" "$CERT" "$KEY" \
    "tls_protocols = TLSv1.1 TLSv1.2"
check wrong-ca-file 1 "upstream_tls_ca_file $K/nope.pem: No such file or directory" \
    "route = /u https://localhost:9/mcp" "upstream_tls_ca_file = $K/nope.pem"
check ca-file-no-cert 1 "upstream TLS: $K/localhost.key: " \
    "route = /u https://localhost:9/mcp" "upstream_tls_ca_file = $K/localhost.key"
check client-key-mismatch 1 "upstream_tls_key $K/mismatch.key does not match" \
    "route = /u https://localhost:9/mcp" "upstream_tls_ca_file = $K/ca.pem" \
    "upstream_tls_certificate = $K/client.pem" "upstream_tls_key = $K/mismatch.key"
check no-verify 1 "upstream_tls_verify: certificate verification cannot be turned off" \
    "route = /u https://localhost:9/mcp" "upstream_tls_verify = no"
check hsts-in-clear 1 "hsts without tls_certificate" "hsts = 300"
check redirect-on-tls 1 "https_redirect on a server with tls_certificate" \
    "$CERT" "$KEY" "https_redirect = 443"
check bad-redirect-port 1 "https_redirect: \"65536\" is not a port" \
    "https_redirect = 65536"
check bad-hsts 1 "hsts: \"-1\" is not a number of seconds" "$CERT" "$KEY" \
    "hsts = -1"
check expiring-soon 0 "tls_certificate $K/soon.pem expires in [0-9]* days" \
    "tls_certificate = $K/soon.pem" "tls_key = $K/soon.key"
check expired 0 "tls_certificate $K/expired.pem expired on .* 2020" \
    "tls_certificate = $K/expired.pem" "tls_key = $K/expired.key"
out=$("$MCPPROXYD" -n -f "$T/good.conf" 2>&1)
echo "$out" | grep -q "expire" && fail "a certificate a year away logged: $out"
pass "a certificate a year away: no expiry line"

# a protected route in clear on an address other than loopback: warned
AUTH="[auth a]
issuer = kc
audiences = x
[issuer kc]
issuer = https://kc.example/realms/r"
cleartext() {	# NAME LISTEN [LINE...]: the -n output, 2 servers' sections
	_n=$1 _l=$2; shift 2
	{
		printf '[mcpproxyd]\nuser = nobody\n[server p]\nlisten = %s\n' "$_l"
		printf 'allowed_hosts = mcp.example\n'
		printf 'route = /open http://127.0.0.1:9/mcp\n'
		printf 'route = /mcp http://127.0.0.1:9/mcp auth=a\n'
		for _x in "$@"; do printf '%s\n' "$_x"; done
		printf '%s\n' "$AUTH"
	} >"$T/$_n.conf"
	"$MCPPROXYD" -n -f "$T/$_n.conf" 2>&1
}
W="route /mcp takes bearer tokens in clear on an address other than loopback"
out=$(cleartext any "0.0.0.0:$port")
echo "$out" | grep -q "\[server p\] listen = 0.0.0.0:$port: $W" ||
    fail "no warning for tokens in clear on 0.0.0.0: $out"
[ "$(echo "$out" | grep -c "in clear")" = 1 ] || fail "one warning per listener: $out"
out=$(cleartext lo "127.0.0.1:$port")
echo "$out" | grep -q "in clear" && fail "warning on loopback: $out"
out=$(cleartext tls "0.0.0.0:$port" "$CERT" "$KEY")
echo "$out" | grep -q "in clear" && fail "warning with TLS: $out"
echo "$out" | grep -qx "configuration OK" || fail "tls: $out"
pass "protected routes in clear off loopback warned; not on loopback or TLS"

# the key is 0600 root: the master (root) reads it, nobody else can
[ "$(stat -c %a "$K/localhost.key")" = 600 ] || fail "mkca.sh: key not 0600"
chmod 755 "$K"
out=$(setpriv --reuid=65534 --regid=65534 --clear-groups \
    "$MCPPROXYD" -n -f "$T/good.conf" 2>&1) &&
    fail "a non-root reader read a 0600 root key: $out"
echo "$out" | grep -q "tls_key $K/localhost.key: Permission denied" ||
    fail "non-root: $out"
pass "a 0600 root key: read as root, refused to uid 65534 ($out)"

# --- reload: a mismatched upstream client key is refused, the old stays ---
UP=$(free_port) || fail "no port"
write_proxy_conf "$(free_port)" "$UP" "route = /u https://localhost:$UP/mcp" \
    "upstream_tls_ca_file = $K/ca.pem" \
    "upstream_tls_certificate = $K/client.pem" "upstream_tls_key = $K/client.key"
start_proxy "$PROXY_CONF"
MASTER=$PROXY_PID
sed -i "s|^upstream_tls_key = .*|upstream_tls_key = $K/mismatch.key|" "$PROXY_CONF"
kill -HUP "$MASTER"
wait_grep "$T/mcpproxyd.log" 5 -q "reload failed: .*upstream_tls_key $K/mismatch.key does not match upstream_tls_certificate .*; keeping the running configuration" ||
    fail "no refusal of the mismatched key on reload"
kill -0 "$MASTER" || fail "master died on the refused reload"
c=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PROXY_PORT/nothing")
[ "$c" = 404 ] || fail "not serving after the refused reload: $c"
pass "reload with a mismatched key refused; still serving"
exit 0
