#!/bin/sh
# 20-mcp-sdk.t: a real MCP SDK client (tests/mcp/client.mjs) through
# mcpproxyd to server-everything: initialize, ping, tools/list, tools/call
# echo, the GET SSE stream, progress notifications that arrive as they are
# sent (no buffering), DELETE; exactly one Access-Control-Allow-Origin; and
# access log lines for the POST tools/call echo, the GET stream, the DELETE.
#
# First it proves the checks can fail: the same client through
# tests/mcp/buffering-proxy.mjs (buffers whole responses, adds its own CORS
# header on top of the backend's) must fail its streaming checks, and the
# CORS check must count two Access-Control-Allow-Origin headers there.
#   MCP_SDK_NEGATIVE=0  skips that part.
. "$(cd "$(dirname "$0")/../.." && pwd)/tests/lib.sh"
need node_modules curl
CLIENT=$TOP/tests/mcp/client.mjs

up=$(free_port) || fail "no free port"
start_everything "$up"
pass "server-everything on 127.0.0.1:$up"

n=$(acao_count "http://127.0.0.1:$up/mcp")
[ "$n" = 1 ] || fail "server-everything itself sends $n Access-Control-Allow-Origin"
pass "server-everything sends its own Access-Control-Allow-Origin (the proxy must replace it)"

if [ "${MCP_SDK_NEGATIVE:-1}" != 0 ]; then
	bp=$(free_port) || fail "no free port"
	spawn "$T/buffering-proxy.log" "$NODE" "$TOP/tests/mcp/buffering-proxy.mjs" \
	    "$bp" "http://127.0.0.1:$up" --add-cors
	wait_port 127.0.0.1 "$bp" 10 || fail "buffering-proxy did not start"
	"$NODE" "$CLIENT" "http://127.0.0.1:$bp/mcp" --quiet \
	    >"$T/client-buffering.out" 2>&1
	rc=$?
	[ $rc -ne 0 ] ||
	    fail "client.mjs passed through a buffering proxy: its streaming check proves nothing"
	grep -q '"progress streamed (spread)":"FAIL"' "$T/client-buffering.out" ||
	    fail "client.mjs failed through the buffering proxy, but not on the progress spread: $(tail -n 3 "$T/client-buffering.out")"
	grep '^FAIL' "$T/client-buffering.out" | sed 's/^/    (expected) /'
	pass "negative control: client.mjs fails through a buffering proxy (exit $rc)"

	n=$(acao_count "http://127.0.0.1:$bp/mcp")
	[ "$n" = 2 ] ||
	    fail "negative control: expected 2 Access-Control-Allow-Origin through the adding proxy, got $n"
	pass "negative control: the CORS check sees 2 Access-Control-Allow-Origin through a naive adding proxy"
fi

need proxy
pp=$(free_port) || fail "no free port"
write_proxy_conf "$pp" "$up"
start_proxy "$PROXY_CONF"
pass "mcpproxyd on 127.0.0.1:$pp"
URL=http://127.0.0.1:$pp/mcp

"$NODE" "$CLIENT" "$URL" >"$T/client.log" 2>&1
rc=$?
sed 's/^/    /' "$T/client.log" | grep -v '^    {'
[ $rc -eq 0 ] || fail "client.mjs through mcpproxyd failed (exit $rc)"
pass "MCP SDK client session through mcpproxyd (progress streamed, GET stream, DELETE)"

for m in POST OPTIONS; do
	n=$(acao_count "$URL" http://localhost:6274 $m)
	v=$(grep -i '^access-control-allow-origin:' "$T/acao-headers.txt" |
	    sed 's/^[^:]*:[[:space:]]*//')
	[ "$n" = 1 ] || { cat "$T/acao-headers.txt";
	    fail "$m through mcpproxyd: $n Access-Control-Allow-Origin headers (want 1)"; }
	case $v in
	'*'|http://localhost:6274) ;;
	*) fail "$m through mcpproxyd: Access-Control-Allow-Origin: $v" ;;
	esac
	pass "$m through mcpproxyd: exactly one Access-Control-Allow-Origin: $v"
done

# access log: the lines may be written when each exchange ends
wait_grep "$ACCESS_LOG" 5 DELETE || true
[ -s "$ACCESS_LOG" ] || fail "access log $ACCESS_LOG is empty or missing"
sed 's/^/    access: /' "$ACCESS_LOG" | head -n 30
grep 'POST' "$ACCESS_LOG" | grep 'tools/call' | grep -q 'echo' ||
    fail "access log has no POST line with tools/call and echo"
pass "access log: POST tools/call echo"
wait_grep "$ACCESS_LOG" 5 -E '(^|[^A-Za-z])GET([^A-Za-z]|$)' ||
    fail "access log has no GET (SSE stream) line"
pass "access log: GET stream"
grep -q DELETE "$ACCESS_LOG" || fail "access log has no DELETE line"
pass "access log: DELETE"

# Several sessions at once: each holds a GET stream and POSTs beside it, so
# at least two connections, two prefork workers, per session.
n=${MCP_SDK_PARALLEL:-4}
cps=""
i=1
while [ $i -le "$n" ]; do
	"$NODE" "$CLIENT" "$URL" --quiet --message "parallel $i" \
	    >"$T/client-par$i.out" 2>&1 &
	cps="$cps $!"
	i=$((i + 1))
done
i=1 bad=0
for p in $cps; do
	wait "$p" || { bad=$((bad + 1)); grep '^FAIL' "$T/client-par$i.out" |
	    sed "s/^/    client $i: /"; }
	i=$((i + 1))
done
[ $bad -eq 0 ] || fail "$bad of $n concurrent sessions through mcpproxyd failed"
pass "$n concurrent MCP sessions through mcpproxyd (streams, progress, DELETE)"

kill -0 "$PROXY_PID" 2>/dev/null || fail "mcpproxyd is gone after the sessions"
if grep -E 'killed by|exited with|die at birth|all [0-9]+ workers busy' \
    "$T/mcpproxyd.log"; then
	fail "mcpproxyd's log shows workers dying or all busy"
fi
pass "mcpproxyd still running, no worker died or ran out"
exit 0
