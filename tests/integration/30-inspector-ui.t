#!/bin/sh
# 30-inspector-ui.t: the tutorial's check, in a real browser.  The MCP
# Inspector 1.x web UI (from tests/node_modules, on its Node 22 binary, on
# loopback) in headless Chromium driven by playwright-core
# (tests/mcp/inspector-ui.mjs): Streamable HTTP, Connection Type "Direct"
# (the browser itself talks to mcpproxyd, so its CORS must be right),
# URL http://localhost:PROXYPORT/mcp, Connect, Tools -> List Tools -> echo
# -> Run Tool, expect "Echo: ...".
#
# First a negative control (INSPECTOR_NEGATIVE=0 skips it): the same steps
# through a naive proxy that adds its own Access-Control-Allow-Origin on top
# of server-everything's must fail (the browser refuses "*, *").
# On failure the screenshot is in the kept temp dir (see the log).
. "$(cd "$(dirname "$0")/../.." && pwd)/tests/lib.sh"
need node_modules node22 chromium proxy
need "$NM/playwright-core/package.json" "$NM/@modelcontextprotocol/inspector/client/bin/start.js"

up=$(free_port) || fail "no free port"
start_everything "$up"
pp=$(free_port) || fail "no free port"
write_proxy_conf "$pp" "$up"
start_proxy "$PROXY_CONF"
pass "server-everything on $up, mcpproxyd on $pp"

# the Inspector: its UI (CLIENT_PORT) and its own proxy (SERVER_PORT), both
# on localhost, with a session token of ours rather than no auth
start_inspector
UI=$INSPECTOR_UI
pass "MCP Inspector $("$NODE" -p "require('$NM/@modelcontextprotocol/inspector/package.json').version") UI on ${UI%%\?*}"

if [ "${INSPECTOR_NEGATIVE:-1}" != 0 ]; then
	bp=$(free_port) || fail "no free port"
	spawn "$T/adding-proxy.log" "$NODE" "$TOP/tests/mcp/buffering-proxy.mjs" \
	    "$bp" "http://127.0.0.1:$up" --mode stream --add-cors
	wait_port 127.0.0.1 "$bp" 10 || fail "adding proxy did not start"
	if inspector_ui negative --mcp "http://localhost:$bp/mcp" --timeout 8; then
		cat "$T/negative.out"
		fail "negative control: the UI connected through a proxy that doubles Access-Control-Allow-Origin"
	fi
	grep -q 'multiple values' "$T/negative.out" ||
	    { cat "$T/negative.out";
	      fail "negative control failed, but not on the doubled Access-Control-Allow-Origin"; }
	grep 'multiple values' "$T/negative.out" | head -n 1 | cut -c1-220 |
	    sed 's/^ */    (expected) /'
	pass "negative control: Chromium refuses a doubled Access-Control-Allow-Origin"
fi

msg="hello from the inspector via mcpproxyd"
if ! inspector_ui positive --mcp "http://localhost:$pp/mcp" --message "$msg"; then
	sed 's/^/    /' "$T/positive.out"
	fail "Inspector UI (Direct) through mcpproxyd (screenshot in positive/)"
fi
sed 's/^/    /' "$T/positive.out"
pass "Inspector UI, Streamable HTTP, Direct, through mcpproxyd: Echo: $msg"
exit 0
