#!/bin/sh
# 69-list-filter-ui.t: the MCP Inspector 1.x web UI (headless Chromium,
# Connection Type "Direct", Guided OAuth Flow) lists only the tools the
# route's policy lets its user use.  The direct setup (no provider: the
# browser reads the authorization server's own metadata and registers
# with it, CORS included, as recent Keycloak releases); server-everything
# behind the proxy; the policy lets eitan (role mcp-echo) use echo and
# get-sum, noa get-sum only, and hides every other tool.  Each user logs
# in on the AS's form; List Tools shows eitan two tools, echo among them,
# and noa one, not echo.
. "${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
. "$TOP/tests/as/as.sh"
need node_modules node22 chromium proxy jwksd curl
need "$NM/playwright-core/package.json" "$NM/@modelcontextprotocol/inspector/client/bin/start.js" "$NM/oidc-provider/package.json"

start_as "$T/as"
up=$(free_port) || fail "no free port"
start_everything "$up"
pp=$(free_port) || fail "no free port"
P=http://localhost:$pp
auth_route_conf "$pp" "$up" a
sed -i "s|auth=a\$|& policy=tools|" "$PROXY_CONF"
cat >>"$PROXY_CONF" <<EOC

[auth a]
issuer = local
audiences = $P/mcp
resource = $P/mcp
scopes_supported = mcp:tools
bearer_methods_supported = header

[policy tools]
allow = tool:echo if realm_access.roles has mcp-echo
allow = tool:get-sum
deny = tool:*

$(issuer_local)
EOC
out=$("$MCPPROXYD" -n -f "$PROXY_CONF" 2>&1) || fail "mcpproxyd -n: $out"
# jwksd reads the same file but knows no [policy]
sed '/^\[policy /,/^$/d' "$PROXY_CONF" >"$T/jwksd.conf"
start_jwksd "$T/jwksd.conf"
start_proxy "$PROXY_CONF"
pass "AS $AS_ISSUER, jwksd, mcpproxyd on $P/mcp (direct, policy tools)"

start_inspector
UI=$INSPECTOR_UI
pass "MCP Inspector UI on ${UI%%\?*}"

bad=0
# listed USER: the tools the page lists for USER, one a line
listed() {
	if ! "$NODE" "$TOP/tests/mcp/inspector-oauth-ui.mjs" --ui "$UI" \
	    --mcp "$P/mcp" --user "$1" --list-only yes --dir "$T/ui-$1" \
	    >"$T/ui-$1.out" 2>&1; then
		sed 's/^/    /' "$T/ui-$1.out" >&2
		rm -rf "$T/ui-$1/chromium-profile"
		fail "Guided OAuth Flow as $1 (screenshot in ui-$1/)"
	fi
	rm -rf "$T/ui-$1/chromium-profile"
	tail -n 1 "$T/ui-$1.out" | "$NODE" -e '
	    let s = ""; process.stdin.on("data", (d) => s += d).on("end",
	    () => console.log(JSON.parse(s).tools.join("\n")))'
}
e=$(listed eitan)
n=$(printf '%s\n' "$e" | grep -c .)
if [ "$n" = 2 ] && printf '%s\n' "$e" | grep -Eqx 'echo|Echo Tool'; then
	pass "eitan: the Inspector lists 2 tools, echo among them: $(echo $e)"
else
	_say "not ok - eitan: the Inspector lists $n tools: $(echo $e)"
	bad=$((bad + 1))
fi
o=$(listed noa)
n=$(printf '%s\n' "$o" | grep -c .)
if [ "$n" = 1 ] && ! printf '%s\n' "$o" | grep -Eqx 'echo|Echo Tool'; then
	pass "noa: the Inspector lists 1 tool, not echo: $(echo $o)"
else
	_say "not ok - noa: the Inspector lists $n tools: $(echo $o)"
	bad=$((bad + 1))
fi
grep -q "registration_create.success" "$AS_LOG" ||
    fail "the AS saw no registration"
grep -q "client registration relayed" "$T/mcpproxyd.log" &&
    fail "a registration went through the proxy's relay (direct setup)"
grep -q "rpc=tools/list .*sub=noa" "$ACCESS_LOG" ||
    fail "no tools/list of noa in the access log"
[ $bad -eq 0 ] || fail "$bad rows failed"
