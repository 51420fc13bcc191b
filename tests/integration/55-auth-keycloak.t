#!/bin/sh
# 55-auth-keycloak.t: provider = keycloak.  The authorization server
# (tests/as/server.mjs, oidc-provider made to look like Keycloak: OIDC
# discovery only, no CORS on client registration) behind the proxy's
# help:
#   - jwksd publishes the issuer's metadata through the key file;
#   - the protected resource metadata names the proxy (its origin and the
#     issuer's path) as the authorization server;
#   - the proxy serves RFC 8414 metadata there (path-suffixed and root),
#     with CORS, S256, the issuer's own endpoints and registration_endpoint
#     at the proxy;
#   - a registration POSTed to the proxy reaches the authorization server
#     (its own event says so) and comes back with CORS; the same POST
#     straight to the authorization server has none (negative control);
#   - preflights, 405, an oversize body (413), the server down (502);
#   - the real MCP SDK client's whole flow through the proxy's metadata
#     and registration relay, ending in tools/call echo.
. "${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
. "$TOP/tests/as/as.sh"
need node_modules proxy jwksd curl
[ -f "$NM/oidc-provider/package.json" ] ||
    skip "oidc-provider missing (run: npm ci --prefix tests)"

# an older Keycloak: no CORS on registration (provider = keycloak's case)
AS_ARGS="--registration-cors no" start_as "$T/as"
pass "authorization server $AS_ISSUER"
AS_PATH=/realms/my-realm
AS_REG=$(curl -sf "$AS_ISSUER/.well-known/openid-configuration" |
    "$NODE" -e 'let s = ""; process.stdin.on("data", (d) => s += d)
	.on("end", () => console.log(JSON.parse(s).registration_endpoint))')
case $AS_REG in
$AS_ISSUER/*) ;;
*) fail "no registration_endpoint in the AS's discovery: '$AS_REG'" ;;
esac
REG_PATH=${AS_REG#http://127.0.0.1:$AS_PORT}
curl -s -o /dev/null -w '%{http_code}' \
    "http://127.0.0.1:$AS_PORT/.well-known/oauth-authorization-server$AS_PATH" |
    grep -qx 404 || fail "the AS serves RFC 8414 metadata: not Keycloak-like"

up=$(free_port) || fail "no free port"
start_everything "$up"
pp=$(free_port) || fail "no free port"
P=http://localhost:$pp
ORIGIN=http://localhost:6274
auth_route_conf "$pp" "$up" kc
proxy_global "max_body_size = 16k" "upstream_timeout = 3"
cat >>"$PROXY_CONF" <<EOC

[auth kc]
issuer = local
audiences = $P/mcp, http://127.0.0.1:$pp/mcp
scopes_supported = mcp:tools
required_scopes = mcp:tools

[issuer local]
issuer = $AS_ISSUER
provider = keycloak

$(jwksd_section 1h)
EOC
out=$("$MCPPROXYD" -n -f "$PROXY_CONF" 2>&1) || fail "mcpproxyd -n: $out"
out=$("$JWKSD" -n -f "$PROXY_CONF" 2>&1) || fail "jwksd -n: $out"
start_jwksd "$PROXY_CONF"
wait_grep "$T/jwksd.log" 10 "issuer local: authorization server metadata from $AS_ISSUER/.well-known/openid-configuration" ||
    fail "jwksd did not take the discovery document"
pass "jwksd publishes keys and the issuer's metadata"
start_proxy "$PROXY_CONF"

# j FILE EXPR: evaluate a JavaScript expression on the JSON in FILE (as d)
j() {
	"$NODE" -e 'const d = JSON.parse(require("fs").readFileSync(process.argv[1]));
	    console.log(eval(process.argv[2]))' "$1" "$2"
}
# hdr FILE NAME: the value of a response header (last one)
hdr() {
	tr -d '\r' <"$1" | grep -i "^$2:" | tail -n 1 | cut -d' ' -f2-
}
# cors FILE: the response lets $ORIGIN read it (cors_allow_origins = *)
cors() {
	case $(hdr "$1" Access-Control-Allow-Origin) in
	"$ORIGIN"|"*") return 0 ;;
	esac
	return 1
}

# --- protected resource metadata: the proxy is the authorization server
curl -s -o "$T/prm.json" -H "Origin: $ORIGIN" \
    "$P/.well-known/oauth-protected-resource/mcp" || fail "no PRM"
got=$(j "$T/prm.json" 'JSON.stringify(d.authorization_servers)')
[ "$got" = "[\"$P$AS_PATH\"]" ] ||
    fail "PRM authorization_servers: $got, want [\"$P$AS_PATH\"]"
pass "PRM authorization_servers: $got"

# --- RFC 8414 metadata at the URL the MCP SDK builds from it
MD=$P/.well-known/oauth-authorization-server$AS_PATH
code=$(curl -s -o "$T/asm.json" -D "$T/asm.h" -w '%{http_code}' \
    -H "Origin: $ORIGIN" "$MD")
[ "$code" = 200 ] || fail "GET $MD: $code $(cat "$T/asm.json")"
cors "$T/asm.h" ||
    fail "no CORS on the AS metadata: $(cat "$T/asm.h")"
[ "$(tr -d '\r' <"$T/asm.h" | grep -ci '^access-control-allow-origin:')" = 1 ] ||
    fail "not exactly one Access-Control-Allow-Origin"
[ "$(j "$T/asm.json" d.registration_endpoint)" = "$P$REG_PATH" ] ||
    fail "registration_endpoint: $(j "$T/asm.json" d.registration_endpoint), want $P$REG_PATH"
[ "$(j "$T/asm.json" 'd.code_challenge_methods_supported.includes("S256")')" = true ] ||
    fail "no S256: $(cat "$T/asm.json")"
[ "$(j "$T/asm.json" d.issuer)" = "$AS_ISSUER" ] ||
    fail "issuer: $(j "$T/asm.json" d.issuer)"
[ "$(j "$T/asm.json" d.authorization_endpoint)" = "$AS_ISSUER/auth" ] ||
    fail "authorization_endpoint: $(j "$T/asm.json" d.authorization_endpoint)"
[ "$(j "$T/asm.json" d.token_endpoint)" = "$AS_ISSUER/token" ] ||
    fail "token_endpoint: $(j "$T/asm.json" d.token_endpoint)"
[ "$(j "$T/asm.json" d.jwks_uri)" = "$AS_ISSUER/jwks" ] ||
    fail "jwks_uri: $(j "$T/asm.json" d.jwks_uri)"
for f in response_types_supported grant_types_supported scopes_supported \
    token_endpoint_auth_methods_supported; do
	[ "$(j "$T/asm.json" "Array.isArray(d.$f) && d.$f.length > 0")" = true ] ||
	    fail "$f missing: $(cat "$T/asm.json")"
done
[ "$(j "$T/asm.json" 'd.scopes_supported.includes("mcp:tools")')" = true ] ||
    fail "scopes_supported lacks mcp:tools"
[ "$(j "$T/asm.json" 'd.userinfo_endpoint === undefined')" = true ] ||
    fail "an OIDC-only member leaked into the RFC 8414 document"
pass "AS metadata at the proxy: CORS, S256, issuer's endpoints, registration_endpoint $P$REG_PATH"

# the root form (one keycloak issuer: not ambiguous), and HEAD
code=$(curl -s -o "$T/asm-root.json" -w '%{http_code}' \
    "$P/.well-known/oauth-authorization-server")
[ "$code" = 200 ] && [ "$(j "$T/asm-root.json" d.registration_endpoint)" = "$P$REG_PATH" ] ||
    fail "root AS metadata: $code"
code=$(curl -s -o /dev/null -w '%{http_code}' \
    "$P/.well-known/oauth-authorization-server/realms/other")
[ "$code" = 404 ] || fail "AS metadata for another path: $code, want 404"
# the registration_endpoint follows the Host the client used
code=$(curl -s -o "$T/asm-127.json" -w '%{http_code}' \
    "http://127.0.0.1:$pp/.well-known/oauth-authorization-server$AS_PATH")
[ "$(j "$T/asm-127.json" d.registration_endpoint)" = "http://127.0.0.1:$pp$REG_PATH" ] ||
    fail "registration_endpoint for Host 127.0.0.1: $(j "$T/asm-127.json" d.registration_endpoint)"
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST "$MD")
[ "$code" = 405 ] || fail "POST to the metadata: $code, want 405"
pass "root form served, other paths 404, Host followed, POST 405"

# --- preflights of the browser for both endpoints
for u in "$MD" "$P$REG_PATH"; do
	curl -s -o /dev/null -D "$T/pre.h" -X OPTIONS -H "Origin: $ORIGIN" \
	    -H 'Access-Control-Request-Method: POST' \
	    -H 'Access-Control-Request-Headers: content-type,mcp-protocol-version' \
	    "$u"
	head -n 1 "$T/pre.h" | grep -q ' 204 ' ||
	    fail "preflight $u: $(head -n 1 "$T/pre.h")"
	cors "$T/pre.h" ||
	    fail "preflight $u without Access-Control-Allow-Origin"
done
pass "CORS preflights of the metadata and registration endpoints: 204"

# --- registration through the proxy, and straight to the AS
REG='{"redirect_uris":["http://localhost:6274/oauth/callback"],"token_endpoint_auth_method":"none","grant_types":["authorization_code","refresh_token"],"response_types":["code"],"client_name":"55-auth-keycloak","scope":"mcp:tools"}'
code=$(curl -s -o "$T/reg.json" -D "$T/reg.h" -w '%{http_code}' -X POST \
    -H "Origin: $ORIGIN" -H 'Content-Type: application/json' \
    --data "$REG" "$P$REG_PATH")
[ "$code" = 201 ] || fail "registration through the proxy: $code $(cat "$T/reg.json")"
cid=$(j "$T/reg.json" d.client_id)
[ -n "$cid" ] && [ "$cid" != undefined ] || fail "no client_id: $(cat "$T/reg.json")"
cors "$T/reg.h" ||
    fail "no CORS on the relayed registration: $(cat "$T/reg.h")"
[ "$(tr -d '\r' <"$T/reg.h" | grep -ci '^access-control-allow-origin:')" = 1 ] ||
    fail "not exactly one Access-Control-Allow-Origin on the registration"
wait_grep "$AS_LOG" 5 "registration_create.success.*$cid" ||
    fail "the AS did not see the registration of $cid"
grep -q "client registration relayed to issuer local" "$T/mcpproxyd.log" ||
    fail "no log line for the relay"
pass "registration through the proxy: 201, client_id $cid, CORS, the AS's own event"

code=$(curl -s -o "$T/reg-direct.json" -D "$T/reg-direct.h" -w '%{http_code}' \
    -X POST -H "Origin: $ORIGIN" -H 'Content-Type: application/json' \
    --data "$REG" "$AS_REG")
[ "$code" = 201 ] || fail "registration straight to the AS: $code"
tr -d '\r' <"$T/reg-direct.h" | grep -qi '^access-control-allow-origin:' &&
    fail "negative control: the AS itself sends CORS on registration"
pass "negative control: the same POST straight to the AS has no Access-Control-Allow-Origin"

code=$(curl -s -o /dev/null -w '%{http_code}' "$P$REG_PATH")
[ "$code" = 405 ] || fail "GET on the registration relay: $code, want 405"
big=$(head -c 20000 /dev/zero | tr '\0' a)
printf '{"client_name":"%s"}' "$big" >"$T/big.body"
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H "Origin: $ORIGIN" \
    -H 'Content-Type: application/json' --data-binary @"$T/big.body" \
    "$P$REG_PATH")
[ "$code" = 413 ] || fail "oversize registration (Content-Length): $code, want 413"
# chunked: the size is known only while reading, in the relay itself
code=$(curl -s -o "$T/big.json" -D "$T/big.h" -w '%{http_code}' -X POST \
    -H "Origin: $ORIGIN" -H 'Content-Type: application/json' \
    -H 'Transfer-Encoding: chunked' --data-binary @"$T/big.body" \
    "$P$REG_PATH")
[ "$code" = 413 ] || fail "oversize registration (chunked): $code, want 413"
cors "$T/big.h" || fail "no CORS on the relay's 413"
grep -c "registration_create.success" "$AS_LOG" | grep -qx 2 ||
    fail "an oversize registration reached the AS"
pass "GET on the relay 405; a registration over max_body_size 413 (with CORS)"

# --- the real MCP SDK client: PRM -> the proxy's AS metadata -> DCR
# through the relay -> login -> token -> echo
n0=$(grep -c "client registration relayed" "$T/mcpproxyd.log")
"$NODE" "$TOP/tests/mcp/oauth-client.mjs" "http://127.0.0.1:$pp/mcp" \
    --message "keycloak help" >"$T/sdk.out" 2>&1 ||
    { tail -n 20 "$T/sdk.out"; fail "MCP SDK flow through the provider help"; }
grep -q "Echo: keycloak help" "$T/sdk.out" ||
    fail "no echo in the SDK client's output: $(tail -n 5 "$T/sdk.out")"
n1=$(grep -c "client registration relayed" "$T/mcpproxyd.log")
[ "$n1" -gt "$n0" ] || fail "the SDK client did not register through the proxy"
grep -q "GET /.well-known/oauth-authorization-server$AS_PATH " "$ACCESS_LOG" ||
    grep -q "/.well-known/oauth-authorization-server$AS_PATH" "$ACCESS_LOG" ||
    fail "the SDK client did not read the proxy's AS metadata"
pass "MCP SDK client: metadata and registration through the proxy, token, Echo"

# --- the authorization server down: the relay answers 502, metadata stays
stop_as
code=$(curl -s -o "$T/down.json" -D "$T/down.h" -w '%{http_code}' -X POST \
    -H "Origin: $ORIGIN" -H 'Content-Type: application/json' \
    --data "$REG" "$P$REG_PATH")
[ "$code" = 502 ] || fail "registration with the AS down: $code, want 502"
cors "$T/down.h" ||
    fail "no CORS on the 502"
code=$(curl -s -o /dev/null -w '%{http_code}' "$MD")
[ "$code" = 200 ] || fail "AS metadata with the AS down: $code (workers must not wait on the network)"
pass "AS down: registration 502 with CORS; metadata still served from the key file"
exit 0
