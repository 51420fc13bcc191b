#!/bin/sh
# provider = keycloak with the realm on https (tests/as/server.mjs
# --tls-cert, the test CA): jwksd fetches its discovery over https
# (ca_file), and a client registration POSTed to the proxy is relayed
# to the https registration endpoint, its certificate verified against
# upstream_tls_ca_file; the AS sees it.  Without the CA file the relay
# is refused (502) with a log line.
. "${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
. "$TOP/tests/as/as.sh"
need node_modules proxy jwksd curl openssl
[ -f "$NM/oidc-provider/package.json" ] ||
    skip "oidc-provider missing (run: npm ci --prefix tests)"

"$TOP/tests/tls/mkca.sh" "$T/pki" >"$T/mkca.log" 2>&1 ||
    fail "mkca.sh: $(cat "$T/mkca.log")"
K=$T/pki
chmod 755 "$K"
chmod 644 "$K/ca.pem"
AS_ARGS="--tls-cert $K/localhost.pem --tls-key $K/localhost.key" start_as "$T/as"
case $AS_ISSUER in https://*) ;; *) fail "AS not on https: $AS_ISSUER" ;; esac
pass "authorization server $AS_ISSUER"
AS_PATH=/realms/my-realm
up=$(free_port) || fail "no free port"
start_everything "$up"
pp=$(free_port) || fail "no free port"
P=http://localhost:$pp
auth_route_conf "$pp" "$up" kc "upstream_tls_ca_file = $K/ca.pem"
cat >>"$PROXY_CONF" <<EOC

[auth kc]
issuer = local
audiences = $P/mcp
scopes_supported = mcp:tools

[issuer local]
issuer = $AS_ISSUER
provider = keycloak

$(jwksd_section 1h)
ca_file = $K/ca.pem
EOC
out=$("$MCPPROXYD" -n -f "$PROXY_CONF" 2>&1) || fail "mcpproxyd -n: $out"
start_jwksd "$PROXY_CONF"
wait_grep "$T/jwksd.log" 10 "issuer local: authorization server metadata from $AS_ISSUER/.well-known/openid-configuration" ||
    fail "jwksd did not take the https discovery document"
start_proxy "$PROXY_CONF"

curl -s "$P/.well-known/oauth-authorization-server$AS_PATH" >"$T/asm.json"
reg=$("$NODE" -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1])).registration_endpoint)' "$T/asm.json")
case $reg in "$P"/*) ;; *) fail "registration_endpoint at the proxy: $reg" ;; esac
REG='{"redirect_uris":["http://localhost:6274/oauth/callback"],"token_endpoint_auth_method":"none","grant_types":["authorization_code"],"response_types":["code"],"client_name":"26-tls-relay","scope":"mcp:tools"}'
code=$(curl -s -o "$T/reg.json" -w '%{http_code}' -X POST \
    -H 'Content-Type: application/json' --data "$REG" "$reg")
[ "$code" = 201 ] || fail "registration through the proxy: $code $(cat "$T/reg.json")"
cid=$("$NODE" -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1])).client_id)' "$T/reg.json")
wait_grep "$AS_LOG" 5 "registration_create.success.*$cid" ||
    fail "the AS did not see the registration of $cid"
pass "registration relayed to the https realm: 201, client $cid"

# without the CA file: the system store does not know the test CA
kill "$PROXY_PID"; sleep 1
sed -i "/^upstream_tls_ca_file = /d" "$PROXY_CONF"
start_proxy "$PROXY_CONF"
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST \
    -H 'Content-Type: application/json' --data "$REG" "$reg")
[ "$code" = 502 ] || fail "relay without the CA: $code"
wait_grep "$T/mcpproxyd.log" 5 -q "refused: certificate from an unknown CA" ||
    fail "no log line for the refused relay"
pass "without upstream_tls_ca_file: 502 and \"certificate from an unknown CA\""
exit 0
