#!/bin/sh
# 62-mcp-2026.t: an MCP 2026-07-28 exchange through the proxy, against
# tests/mcp/scripted-2026-peer.mjs, a SCRIPTED peer built from the
# revision's transport text (not an implementation of it), for the rows
# no real peer sends; 67-mcp-2026-sdk.t runs the v2 SDK client and
# server (real peers of that revision) through the proxy:
#   - the request metadata headers (MCP-Protocol-Version, Mcp-Method,
#     Mcp-Name, Mcp-Param-*) reach the upstream; no session anywhere;
#   - subscriptions/listen is an event stream from its method, before
#     it is forwarded: with max_streams_per_client = 1 a second one is
#     refused with 429 carrying the request's id, and never reaches the
#     upstream; the open one is relayed unbuffered (its first event
#     arrives while it is still open);
#   - a tools/call answered as an event stream is not a stream: it is
#     served while the client's one stream is taken.
# Without item 5 of issue 13 (the integ build of 2026-12-02) the second
# listen is forwarded and answered 200.
. "${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
need node_modules proxy curl

up=$(free_port) || fail "no free port"
spawn "$T/peer.log" "$NODE" "$TOP/tests/mcp/scripted-2026-peer.mjs" "$up"
wait_port 127.0.0.1 "$up" 10 || fail "the scripted peer did not start"
pp=$(free_port) || fail "no free port"
write_proxy_conf "$pp" "$up"
sed -i 's/^\[mcpproxyd\]$/&\nmax_streams_per_client = 1/' "$PROXY_CONF"
start_proxy "$PROXY_CONF"
URL=http://127.0.0.1:$pp/mcp

V=2026-07-28
META='"_meta":{"io.modelcontextprotocol/protocolVersion":"'$V'"}'
post() {	# post ID METHOD NAME-OR-EMPTY [curl args]: a 2026-07-28 request
	_id=$1 _m=$2 _n=$3
	shift 3
	if [ -n "$_n" ]; then
		_b='{"jsonrpc":"2.0","id":'$_id',"method":"'$_m'","params":{"name":"'$_n'","arguments":{"region":"eu"},'$META'}}'
		set -- -H "Mcp-Name: $_n" "$@"
	else
		_b='{"jsonrpc":"2.0","id":'$_id',"method":"'$_m'","params":{'$META'}}'
	fi
	curl -s -N -H 'Content-Type: application/json' \
	    -H 'Accept: application/json, text/event-stream' \
	    -H "MCP-Protocol-Version: $V" -H "Mcp-Method: $_m" "$@" \
	    --data "$_b" "$URL"
}

# the listen stream, held open in the background
post '"l1"' subscriptions/listen "" -D "$T/l1.h" >"$T/l1.out" &
L1=$!
wait_grep "$T/l1.out" 5 -q 'notifications/resources/list_changed' ||
    fail "no event on the open listen stream"
kill -0 $L1 2>/dev/null || fail "the listen stream ended"
pass "subscriptions/listen: the first event arrived while it is open"

# a second listen from the same client: refused before forwarding
seen=$(grep -c '"method":"subscriptions/listen"' "$T/peer.log")
out=$(post '"l2"' subscriptions/listen "" -m 5 -w ' %{http_code}' |
    tr -d '\n' | tail -c 300)
echo "$out" | grep -q '"id":"l2"} 429$' ||
    fail "a second listen was not refused with 429 and its id: $out"
[ "$(grep -c '"method":"subscriptions/listen"' "$T/peer.log")" = "$seen" ] ||
    fail "the refused listen reached the upstream"
pass "a second subscriptions/listen: 429 with its id, not forwarded"

# a tools/call answered as SSE while the one stream is taken
out=$(post 5 tools/call slow -m 20 -w ' %{http_code}' | tr -d '\n' |
    tail -c 300)
echo "$out" | grep -q 'slow done.* 200$' ||
    fail "a tools/call answered as SSE was refused: $out"
pass "a tools/call answered as an event stream is not a stream"

# headers forwarded, no session
post 6 tools/call weather -H 'Mcp-Param-Region: eu' >/dev/null ||
    fail "tools/call weather"
line=$(grep '"method":"tools/call"' "$T/peer.log" | tail -n 1)
for h in '"mcp-protocol-version":"2026-07-28"' '"mcp-method":"tools/call"' \
    '"mcp-name":"weather"' '"mcp-param-region":"eu"'; do
	echo "$line" | grep -q "$h" || fail "not forwarded: $h in $line"
done
pass "MCP-Protocol-Version, Mcp-Method, Mcp-Name, Mcp-Param-Region forwarded"
grep -qi 'mcp-session-id' "$T/peer.log" "$T/l1.h" &&
    fail "a session id appeared"
pass "no session"

kill $L1 2>/dev/null
wait $L1 2>/dev/null
grep -q '"POST /mcp" 200 .*rpc=subscriptions/listen' "$ACCESS_LOG" ||
    wait_grep "$ACCESS_LOG" 5 -q 'rpc=subscriptions/listen' ||
    fail "no access log line for the listen stream"
pass "the listen stream logged when it ended"
