#!/bin/sh
# 56-auth-inspector-ui.t: the tutorial's Guided OAuth Flow in the MCP
# Inspector 1.x web UI (headless Chromium, Connection Type "Direct": the
# browser itself talks to the proxy and to the authorization server)
# against a provider = keycloak issuer (tests/as/server.mjs: no RFC 8414
# metadata, no CORS on registration): metadata discovery through the
# proxy, registration through its relay, login as eitan / test on the
# AS's form, token at the AS (its own CORS), Connect, List Tools, echo
# (tests/mcp/inspector-oauth-ui.mjs).  The proxy then sees eitan's token
# on the echo call (access log sub=eitan).
. "${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
. "$TOP/tests/as/as.sh"
need node_modules node22 chromium proxy jwksd curl
need "$NM/playwright-core/package.json" "$NM/@modelcontextprotocol/inspector/client/bin/start.js" "$NM/oidc-provider/package.json"

# an older Keycloak: no CORS on registration (provider = keycloak's case)
AS_ARGS="--registration-cors no" start_as "$T/as"
up=$(free_port) || fail "no free port"
start_everything "$up"
pp=$(free_port) || fail "no free port"
P=http://localhost:$pp
auth_route_conf "$pp" "$up" kc
cat >>"$PROXY_CONF" <<EOC

[auth kc]
issuer = local
audiences = $P/mcp
resource = $P/mcp
scopes_supported = mcp:tools

[issuer local]
issuer = $AS_ISSUER
provider = keycloak

$(jwksd_section 1h)
EOC
start_jwksd "$PROXY_CONF"
wait_grep "$T/jwksd.log" 10 "issuer local: authorization server metadata" ||
    fail "jwksd published no metadata"
start_proxy "$PROXY_CONF"
pass "AS $AS_ISSUER, jwksd, mcpproxyd on $P/mcp (provider = keycloak)"

start_inspector
UI=$INSPECTOR_UI
pass "MCP Inspector UI on ${UI%%\?*}"

msg="hello through the guided oauth flow"
if ! "$NODE" "$TOP/tests/mcp/inspector-oauth-ui.mjs" --ui "$UI" \
    --mcp "$P/mcp" --message "$msg" --dir "$T/ui" >"$T/ui.out" 2>&1; then
	sed 's/^/    /' "$T/ui.out"
	rm -rf "$T/ui/chromium-profile"
	fail "Guided OAuth Flow through mcpproxyd (screenshot in ui/)"
fi
rm -rf "$T/ui/chromium-profile"
sed 's/^/    /' "$T/ui.out"
grep -q "client registration relayed to issuer local" "$T/mcpproxyd.log" ||
    fail "the Inspector did not register through the proxy"
grep -q "registration_create.success" "$AS_LOG" ||
    fail "the AS saw no registration"
grep -q "authorization_code.consumed" "$AS_LOG" ||
    fail "the AS saw no code exchange"
grep -q "\"sub\":\"eitan\",\"aud\":\"$P/mcp\"" "$T/ui.out" ||
    fail "the Inspector's token is not eitan's for $P/mcp: $(tail -n 1 "$T/ui.out")"
grep -q "tool=echo .*sub=eitan" "$ACCESS_LOG" ||
    fail "no tools/call echo of eitan in the access log"
pass "Guided OAuth Flow (metadata, registration via the proxy, login, token), Connect, echo: $msg"
exit 0
