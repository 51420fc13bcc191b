#!/bin/bash
# TLS listeners (tests/tls/mkca.sh's test CA, trusted with --cacert, never
# -k): curl through the TLS listener; SNI and Host choose among the servers
# of one address (each name reaches its server's routes; a Host naming
# another server than SNI chose is 421; an unknown SNI gets the default
# server's certificate); plain HTTP on the TLS port gets a short 400; a
# failed handshake is one log line; keep-alive, an event stream,
# 100-continue and a POST body work over TLS; on plain HTTP the Host
# chooses; the MCP SDK client walks a session over https
# (NODE_EXTRA_CA_CERTS) to server-everything.
. "${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
need proxy openssl curl node_modules

"$TOP/tests/tls/mkca.sh" "$T/pki" >"$T/mkca.log" 2>&1 ||
    fail "mkca.sh: $(cat "$T/mkca.log")"
K=$T/pki
chmod 755 "$K"
UP=$(free_port) || fail "no port"
spawn "$T/upstream.log" "$NODE" "$TOP/tests/mcp/echo-upstream.mjs" "$UP"
wait_port 127.0.0.1 "$UP" || fail "echo upstream did not start"
EV=$(free_port) || fail "no port"
start_everything "$EV"
P=$(free_port) || fail "no port"
HP=$(free_port) || fail "no port"
write_proxy_conf "$P" "$EV" "route = /api http://127.0.0.1:$UP/echo" \
    "route = /sse http://127.0.0.1:$UP/sse" \
    "tls_certificate = $K/localhost.pem" "tls_key = $K/localhost.key"
cat >>"$PROXY_CONF" <<EOT
[server b]
listen = 127.0.0.1:$P
allowed_hosts = b.test
tls_certificate = $K/b.test.pem
tls_key = $K/b.test.key
route = /bapi http://127.0.0.1:$UP/echo
EOT
start_proxy "$PROXY_CONF"

# a plain twin for the Host rows: a second proxy, no TLS
HC=$T/plain.conf
cat >"$HC" <<EOT
[mcpproxyd]
user = nobody
pid_file = $T/plain.pid
[server test]
listen = 127.0.0.1:$HP
route = /api http://127.0.0.1:$UP/echo
[server b]
listen = 127.0.0.1:$HP
allowed_hosts = b.test
route = /bapi http://127.0.0.1:$UP/echo
EOT
chmod 644 "$HC"
spawn "$T/plain.log" "$MCPPROXYD" -d -f "$HC"
wait_port 127.0.0.1 "$HP" || fail "plain proxy did not start"

C="curl -s -m 20 --cacert $K/ca.pem"
R="--resolve b.test:$P:127.0.0.1 --resolve c.test:$P:127.0.0.1"
B=https://localhost:$P

# code URL [CURL-ARGS...]: the status
code() { _u=$1; shift; $C $R -o /dev/null -w '%{http_code}' "$@" "$_u"; }

# --- SNI and Host rows ----------------------------------------------------
row() {	# NAME WANT URL [CURL-ARGS...]
	_n=$1 _w=$2; shift 2
	_c=$(code "$@")
	[ "$_c" = "$_w" ] || fail "$_n: $_c, want $_w"
	pass "$_n: $_c"
}
row "localhost: server test's /api" 200 "$B/api"
row "localhost: no /bapi on server test" 404 "$B/bapi"
row "SNI b.test: server b's /bapi" 200 "https://b.test:$P/bapi"
row "SNI b.test: no /api on server b" 404 "https://b.test:$P/api"
row "no SNI (an address): the default server" 200 "https://127.0.0.1:$P/api"
row "SNI localhost, Host b.test: 421" 421 "$B/api" -H "Host: b.test"
row "SNI b.test, Host localhost: server b (not a name of another)" 403 \
    "https://b.test:$P/bapi" -H "Host: localhost:$P"
# an unknown SNI: the default server's certificate (CN localhost)
cn=$(openssl s_client -connect 127.0.0.1:$P -servername c.test </dev/null 2>/dev/null |
    sed -n 's/^subject=.*CN *= *//p')
[ "$cn" = localhost ] || fail "unknown SNI got certificate \"$cn\""
cn=$(openssl s_client -connect 127.0.0.1:$P -servername b.test </dev/null 2>/dev/null |
    sed -n 's/^subject=.*CN *= *//p')
[ "$cn" = b.test ] || fail "SNI b.test got certificate \"$cn\""
pass "unknown SNI: the default server's certificate; b.test: b's"
# without --cacert the test CA is not trusted: curl refuses
curl -s -m 10 -o /dev/null "$B/api" && fail "curl trusted the test CA unasked"
pass "the test CA is trusted only by --cacert"

# --- plain HTTP chooses by Host -------------------------------------------
HB=http://127.0.0.1:$HP
row "plain, Host b.test: server b's /bapi" 200 "$HB/bapi" -H "Host: b.test"
row "plain, Host b.test: no /api" 404 "$HB/api" -H "Host: b.test"
row "plain, no name: the default server" 200 "$HB/api"

# --- plain HTTP on the TLS port, a broken handshake -------------------------
out=$(curl -s -m 10 -w ' %{http_code}' "http://127.0.0.1:$P/api")
[ "$out" = "this port speaks TLS: use an https URL
 400" ] || fail "plain HTTP on the TLS port: $out"
pass "plain HTTP on the TLS port: 400, closed"
exec 3<>"/dev/tcp/127.0.0.1/$P" || fail "connect"
printf '\026\003\001\000\005garbage' >&3
timeout 10 cat <&3 >/dev/null
exec 3<&-
wait_grep "$T/mcpproxyd.log" 5 -q "tls handshake from 127.0.0.1 (sni \"\") failed" ||
    fail "no log line for a broken handshake"
pass "a broken handshake: $(grep -m1 'tls handshake from' "$T/mcpproxyd.log")"

# --- keep-alive, stream, body, 100-continue over TLS ------------------------
v=$($C -v "$B/api" "$B/api" 2>&1 >/dev/null)
echo "$v" | grep -q "Re-using existing connection" ||
    fail "keep-alive over TLS: $v"
echo "$v" | grep -q "ALPN: server accepted http/1.1" || fail "no ALPN http/1.1: $v"
pass "two requests on one TLS connection (ALPN http/1.1)"
n=$($C -N "$B/sse?n=6" | grep -c '^data: event')
[ "$n" = 6 ] || fail "event stream over TLS: $n of 6 events"
pass "an event stream over TLS: 6 events"
head -c 200000 /dev/urandom | base64 -w0 >"$T/big"
out=$($C -H 'Expect: 100-continue' --data-binary @"$T/big" -H 'Content-Type: text/plain' "$B/api" -w '\n%{http_code}')
[ "$(echo "$out" | tail -n 1)" = 200 ] || fail "100-continue POST: $(echo "$out" | tail -c 300)"
echo "$out" | head -n 1 | grep -qF "$(head -c 100 "$T/big")" || fail "body not relayed"
$C -v -H 'Expect: 100-continue' --data-binary @"$T/big" "$B/api" -o /dev/null 2>&1 |
    grep -q "HTTP/1.1 100 Continue" || fail "no 100 Continue over TLS"
pass "a 270 KB body with Expect: 100-continue over TLS"

# --- the MCP SDK client over https -------------------------------------------
out=$(NODE_EXTRA_CA_CERTS=$K/ca.pem "$NODE" "$TOP/tests/mcp/client.mjs" \
    "$B/mcp" --duration 2 --steps 4 --timeout 60 2>&1) ||
    fail "MCP SDK client over https: $out"
pass "MCP SDK client over https: $(echo "$out" | tail -n 1 | head -c 200)"
out=$("$NODE" "$TOP/tests/mcp/client.mjs" "$B/mcp" --timeout 20 --quiet 2>&1) &&
    fail "the SDK client trusted the test CA without NODE_EXTRA_CA_CERTS"
pass "without NODE_EXTRA_CA_CERTS the SDK refuses the certificate"
exit 0
