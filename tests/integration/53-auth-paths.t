#!/bin/sh
# 53-auth-paths.t: a protected route cannot be reached through another
# route's prefix.  The proxy picks the route (and so the auth policy) from
# the raw request path; a backend that resolves the path differently must
# not end up serving the protected path without a token.
#
#   - dot segments: routes /mcp (auth) and /health (none) on one backend
#     that resolves "/health/../mcp" and "/health/%2e%2e/mcp" to /mcp
#     (tests/mcp/normalizing-upstream.mjs, like WHATWG URL parsing);
#   - letter case: routes /mcp (auth) and / (none) in front of
#     server-everything, whose Express router matches /MCP as /mcp.
# Either way the proxy must refuse, or apply the /mcp policy; what it
# must not do is deliver the request to the protected endpoint with no
# token.  Negative controls: each backend, asked directly, does serve the
# protected endpoint for these paths (so the checks can see a bypass).
. "${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
. "$TOP/tests/as/as.sh"
need_as

start_as "$T/as"
np=$(free_port) || fail "no free port"
spawn "$T/normalizing.log" "$NODE" "$TOP/tests/mcp/normalizing-upstream.mjs" "$np"
wait_port 127.0.0.1 "$np" 10 || fail "normalizing-upstream did not start"
up=$(free_port) || fail "no free port"
start_everything "$up"

pp=$(free_port) || fail "no free port"
BASE=http://127.0.0.1:$pp
auth_route_conf "$pp" "$np" strict \
    "route = /health http://127.0.0.1:$np/health"
cat >>"$PROXY_CONF" <<EOC

[server everything]
listen = 127.0.0.1:$(free_port)
route = /mcp http://127.0.0.1:$up/mcp auth=strict
route = / http://127.0.0.1:$up/

[auth strict]
issuer = local
audiences = $BASE/mcp
resource = $BASE/mcp
scopes_supported = mcp:tools
subject_header = X-Auth-Subject

$(issuer_local)
EOC
EP=$(sed -n '/^\[server everything\]/,/^$/s/^listen = 127.0.0.1:\([0-9]*\)$/\1/p' "$PROXY_CONF")
out=$("$MCPPROXYD" -n -f "$PROXY_CONF" 2>&1) || fail "mcpproxyd -n: $out"
start_jwksd "$PROXY_CONF"
start_proxy "$PROXY_CONF"
wait_port 127.0.0.1 "$EP" 10 || fail "no listener on $EP"
pass "mcpproxyd: :$pp -> normalizing upstream (/mcp auth, /health open); :$EP -> server-everything (/mcp auth, / open)"

reached() {	# reached URL: the path the backend resolved, or "status N"
	code=$(curl -s -m 10 --path-as-is -o "$T/n.json" -w '%{http_code}' "$1")
	if [ "$code" = 200 ] && grep -q '"path"' "$T/n.json"; then
		sed 's/.*"path":"\([^"]*\)".*/\1/' "$T/n.json"
	else
		echo "status $code"
	fi
}
bad=0
# negative control: the backend itself resolves these to /mcp
for p in "/health/../mcp" "/health/%2e%2e/mcp"; do
	[ "$(reached "http://127.0.0.1:$np$p")" = /mcp ] ||
	    fail "negative control: the backend resolves $p to $(reached "http://127.0.0.1:$np$p")"
done
pass "negative control: the backend, asked directly, serves /mcp for /health/../mcp and /health/%2e%2e/mcp"
[ "$(reached "$BASE/mcp")" = "status 401" ] || fail "/mcp without a token is not 401"
for p in "/health/../mcp" "/health/%2e%2e/mcp" "/health/%2E%2E/mcp" \
    "/health/.%2e/mcp" "/health/./../mcp"; do
	r=$(reached "$BASE$p")
	case $r in
	/mcp*) echo "not ok - $p through the proxy reached the backend's $r with no token"
	       bad=$((bad + 1)) ;;
	*) pass "$p: $r (did not reach /mcp)" ;;
	esac
done

INIT='{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"c","version":"1"}}}'
init() {	# init URL: status of an initialize POST
	curl -s -m 10 --path-as-is -o "$T/i.out" -w '%{http_code}' -X POST \
	    -H 'Content-Type: application/json' \
	    -H 'Accept: application/json, text/event-stream' --data "$INIT" "$1"
}
[ "$(init "http://127.0.0.1:$up/MCP")" = 200 ] ||
    fail "negative control: server-everything does not serve /MCP"
pass "negative control: server-everything, asked directly, answers initialize on /MCP"
[ "$(init "http://127.0.0.1:$EP/mcp")" = 401 ] || fail "/mcp without a token is not 401"
for p in /MCP /Mcp /mCp/; do
	c=$(init "http://127.0.0.1:$EP$p")
	case $c in
	2*) echo "not ok - POST $p initialize through the proxy: $c from server-everything with no token"
	    bad=$((bad + 1)) ;;
	*) pass "POST $p initialize: $c" ;;
	esac
done
[ $bad -eq 0 ] || fail "$bad paths reached the protected endpoint without a token"
exit 0
