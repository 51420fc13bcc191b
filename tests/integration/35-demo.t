#!/bin/sh
# 35-demo.t: demo/run, the README's main job, in its one-shot mode: it
# starts server-everything and mcpproxyd (access log on stderr), runs one
# MCP SDK client session through the proxy and exits 0; the proxy's log
# lines show the session; nothing is left listening.  Free ports stand in
# for the tutorial's 8000 and 9000.
. "$(cd "$(dirname "$0")/../.." && pwd)/tests/lib.sh"
need node_modules proxy
up=$(free_port) || fail "no free port"
pp=$(free_port) || fail "no free port"
DEMO_ONESHOT=1 DEMO_PORT=$pp DEMO_UPSTREAM_PORT=$up MCPPROXYD=$MCPPROXYD \
    timeout 90 "$TOP/demo/run" >"$T/demo.out" 2>&1
rc=$?
sed 's/^/    /' "$T/demo.out"
[ $rc -eq 0 ] || fail "demo/run exited $rc"
grep -q 'client: every check passed' "$T/demo.out" ||
    fail "demo/run: the client session did not pass"
pass "demo/run: one MCP session through mcpproxyd on port $pp"
grep 'tools/call' "$T/demo.out" | grep -q echo ||
    fail "demo/run: no access log line for tools/call echo on the terminal"
pass "demo/run: the proxy's access log shows the session"
for p in "$up" "$pp"; do
	wait_port 127.0.0.1 "$p" 0.3 && fail "port $p still in use after demo/run"
done
pass "demo/run stopped what it started"
exit 0
