#!/bin/bash
# https upstreams (node's https server in front of server-everything and
# of the echo upstream, tests/mcp/tls-front.mjs): the right certificate
# works (the MCP SDK client through the proxy, every check of it, its GET
# event stream opened and delivering a notification; SNI sent; an IP literal
# checked against the IP SAN); a wrong host name, an unknown CA, an
# expired certificate are each refused with 502 and a log line saying
# which; without upstream_tls_ca_file the system store does not trust the
# test CA; a client certificate is presented when configured (mutual
# TLS); a worker resumes its TLS session on its next connection.
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

# front NAME TARGET CERT [ARGS...]: an https front; sets its port in FP_NAME
front() {
	_n=$1 _t=$2 _c=$3; shift 3
	_p=$(free_port) || fail "no port"
	spawn "$T/front-$_n.log" "$NODE" "$TOP/tests/mcp/tls-front.mjs" "$_p" \
	    "$_t" "$K/$_c.pem" "$K/$_c.key" "$@"
	wait_port 127.0.0.1 "$_p" || fail "front $_n did not start"
	eval "FP_$_n=$_p"
}
front good "$EV" localhost
front echo "$UP" localhost --close
front ip "$UP" ip
front wrongname "$UP" a.test
front unknown "$UP" unknown
front expired "$UP" expired
front mtls "$UP" localhost --ca "$K/ca.pem" --require-client

P=$(free_port) || fail "no port"
P2=$(free_port) || fail "no port"
P3=$(free_port) || fail "no port"
write_proxy_conf "$P" "$FP_good" \
    "upstream_tls_ca_file = $K/ca.pem" \
    "upstream_tls_certificate = $K/client.pem" "upstream_tls_key = $K/client.key"
sed -i "s|^route = /mcp http://127.0.0.1:$FP_good/mcp|route = /mcp https://localhost:$FP_good/mcp|" "$PROXY_CONF"
cat >>"$PROXY_CONF" <<EOT
route = /echo https://localhost:$FP_echo/echo
route = /ip https://127.0.0.1:$FP_ip/echo
route = /wrongname https://localhost:$FP_wrongname/echo
route = /unknown https://localhost:$FP_unknown/echo
route = /expired https://localhost:$FP_expired/echo
route = /mtls https://localhost:$FP_mtls/echo
[server system]
listen = 127.0.0.1:$P2
route = /echo https://localhost:$FP_echo/echo
[server nocert]
listen = 127.0.0.1:$P3
upstream_tls_ca_file = $K/ca.pem
route = /mtls https://localhost:$FP_mtls/echo
EOT
start_proxy "$PROXY_CONF"
B=http://127.0.0.1:$P

code() { curl -s -m 20 -o /dev/null -w '%{http_code}' "$1"; }

# --- the right certificate ---------------------------------------------------
# every check of the SDK client, the GET event stream included: it opens
# (200 text/event-stream while idle) and delivers a server notification
out=$("$NODE" "$TOP/tests/mcp/client.mjs" "$B/mcp" --duration 2 --steps 4 \
    --timeout 60 2>&1)
echo "$out" | tail -n 1 | "$NODE" -e '
    const s = JSON.parse(require("fs").readFileSync(0, "utf8"));
    const bad = Object.entries(s.checks).filter(([k, v]) => v !== "ok");
    const need = ["GET stream opened", "GET stream delivers", "tools/call echo"];
    if (!s.ok || bad.length || need.some((k) => s.checks[k] !== "ok")) {
	console.log(JSON.stringify(bad)); process.exit(1); }' ||
    fail "MCP SDK client through an https upstream: $out"
echo "$out" | grep -E 'ok   GET stream' | sed 's/^/    /'
pass "MCP SDK client through an https upstream: $(echo "$out" | tail -n 1 | head -c 160)"
grep -q "sni=localhost" "$T/front-good.log" || fail "no SNI: $(cat "$T/front-good.log")"
pass "SNI localhost sent"
out=$(curl -s -m 20 "$B/ip")
echo "$out" | grep -q '"url":"/echo"' || fail "IP SAN upstream: $out"
pass "https://127.0.0.1 checked against the IP SAN"

# --- refusals: 502 and a clear line ---------------------------------------------
refused() {	# ROUTE WANT-LOG
	_c=$(code "$B/$1")
	[ "$_c" = 502 ] || fail "$1: $_c, want 502"
	wait_grep "$T/mcpproxyd.log" 5 -q "upstream https://localhost:[0-9]*/echo: TLS with .* refused: $2" ||
	    fail "$1: no log line \"$2\""
	pass "$1: 502; $(grep -m1 "refused: $2" "$T/mcpproxyd.log" | sed 's/.*worker: //')"
}
refused wrongname "certificate does not name localhost"
refused unknown "certificate from an unknown CA"
refused expired "certificate expired"
c=$(code "http://127.0.0.1:$P2/echo")
[ "$c" = 502 ] || fail "system store trusted the test CA: $c"
grep -q "refused: certificate from an unknown CA" "$T/mcpproxyd.log" || fail "no unknown-CA line"
pass "without upstream_tls_ca_file the system store does not trust the test CA: 502"

# --- mutual TLS ------------------------------------------------------------------
out=$(curl -s -m 20 "$B/mtls")
echo "$out" | grep -q '"url":"/echo"' || fail "mTLS with a client certificate: $out"
grep -q "client=client" "$T/front-mtls.log" || fail "no client certificate: $(cat "$T/front-mtls.log")"
c=$(code "http://127.0.0.1:$P3/mtls")
[ "$c" = 502 ] || fail "mTLS without a client certificate: $c"
pass "mutual TLS: the client certificate presented; without one, 502"

# --- resumption: the front closes after each answer ---------------------------------
for i in 1 2 3 4 5 6 7 8; do
	c=$(code "$B/echo")
	[ "$c" = 200 ] || fail "echo $i: $c"
done
grep -q "reused=true" "$T/front-echo.log" ||
    fail "no resumed session: $(cat "$T/front-echo.log")"
pass "client-side resumption: $(grep -c 'reused=true' "$T/front-echo.log") of $(grep -c '^tls ' "$T/front-echo.log") connections resumed"
exit 0
