#!/bin/sh
# 27-tls-auth-sdk.t: the MCP authorization flow of 50-auth-sdk.t, all of it
# over TLS: mcpproxyd on https (the test CA of tests/tls/mkca.sh), the
# authorization server (tests/as/server.mjs --tls-cert) on https too,
# jwksd fetching its discovery and keys over https (ca_file), and the real
# MCP SDK client (tests/mcp/oauth-client.mjs) trusting the test CA through
# NODE_EXTRA_CA_CERTS and nothing else: 401 -> protected resource metadata
# (https resource) -> AS metadata -> DCR -> PKCE login -> token ->
# initialize -> tools/call echo, the AS's own events, and the access log
# line of the call with the user and the TLS version.
# Negative control: the same client without NODE_EXTRA_CA_CERTS fails at
# the proxy's certificate (a certificate error, not something else).
. "${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
. "$TOP/tests/as/as.sh"
need_as openssl

"$TOP/tests/tls/mkca.sh" "$T/pki" >"$T/mkca.log" 2>&1 ||
    fail "mkca.sh: $(cat "$T/mkca.log")"
K=$T/pki
chmod 755 "$K"
AS_ARGS="--tls-cert $K/localhost.pem --tls-key $K/localhost.key" start_as "$T/as"
case $AS_ISSUER in https://*) ;; *) fail "AS not on https: $AS_ISSUER" ;; esac
pass "authorization server $AS_ISSUER"

up=$(free_port) || fail "no free port"
start_everything "$up"
pp=$(free_port) || fail "no free port"
URL=https://localhost:$pp/mcp
auth_route_conf "$pp" "$up" tutorial \
    "tls_certificate = $K/localhost.pem" "tls_key = $K/localhost.key"
cat >>"$PROXY_CONF" <<EOC

$(tools_auth tutorial)

$(issuer_local 1h)
ca_file = $K/ca.pem
EOC
start_auth_proxy
pass "jwksd took the https issuer's keys; mcpproxyd on $URL"

# the protected resource metadata names the https resource
curl -s -m 20 --cacert "$K/ca.pem" -o "$T/prm.json" \
    "https://localhost:$pp/.well-known/oauth-protected-resource/mcp" ||
    fail "no protected resource metadata over https"
got=$("$NODE" -e '
    const d = JSON.parse(require("fs").readFileSync(process.argv[1]))
    console.log(JSON.stringify([d.resource, d.authorization_servers]))
' "$T/prm.json")
[ "$got" = "[\"$URL\",[\"$AS_ISSUER\"]]" ] ||
    fail "PRM resource and authorization_servers: $got"
pass "PRM: resource $URL, authorization server $AS_ISSUER"

# --- negative control: no trust in the test CA
env -u NODE_EXTRA_CA_CERTS "$NODE" "$TOP/tests/mcp/oauth-client.mjs" "$URL" \
    --quiet >"$T/oauth-untrusted.out" 2>&1 &&
    fail "negative control: oauth-client.mjs passed without trusting the test CA"
grep -Eq '^FAIL first connect wants authorization.*(SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_GET_ISSUER_CERT|UNABLE_TO_VERIFY_LEAF_SIGNATURE)' \
    "$T/oauth-untrusted.out" ||
    fail "negative control failed otherwise: $(head -n 3 "$T/oauth-untrusted.out")"
pass "negative control: without NODE_EXTRA_CA_CERTS, $(grep -o 'fetch failed: [A-Z_]*' "$T/oauth-untrusted.out" | head -n 1)"

# --- the whole flow, the client trusting the test CA
oauth_sdk_flow "$URL" NODE_EXTRA_CA_CERTS="$K/ca.pem"
"$NODE" -e '
    const d = JSON.parse(require("fs").readFileSync(process.argv[1]))
    const plain = d.requests.filter((r) => !r.url.startsWith("https://"))
    if (plain.length) { console.log(JSON.stringify(plain)); process.exit(1) }
' "$T/oauth-summary.json" || fail "the SDK client made plain-HTTP requests"
pass "every request of the SDK client was https (proxy and authorization server)"

wait_grep "$ACCESS_LOG" 5 "tools/call.*sub=$SUB tls=TLSv1\\.[23]\$" ||
    { cat "$ACCESS_LOG"; fail "access log: no tools/call line with sub=$SUB tls="; }
pass "access log: $(grep -m1 'tools/call' "$ACCESS_LOG" | sed 's/.*\("POST\)/\1/')"

kill -0 "$PROXY_PID" 2>/dev/null || fail "mcpproxyd is gone"
grep -E 'killed by|exited with|die at birth' "$T/mcpproxyd.log" &&
    fail "mcpproxyd's log shows workers dying"
exit 0
