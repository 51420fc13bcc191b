#!/bin/bash
# The proxy's HTTP behaviour against a recording upstream: routing and
# path mapping, hop-by-hop and X-Forwarded-*, CORS (preflight, one
# Access-Control-Allow-Origin, errors too), Origin/Host checks, framing
# rejected not guessed, chunked bodies, 100-continue, keep-alive,
# close-delimited answers, 404/502/504 with JSON bodies.
. "${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
need proxy node_modules curl

UP=$(free_port) || fail "no port"
DEAD=$(free_port) || fail "no port"
spawn "$T/upstream.log" "$NODE" "$TOP/tests/mcp/echo-upstream.mjs" "$UP"
wait_port 127.0.0.1 "$UP" || fail "echo upstream did not start"
P=$(free_port) || fail "no port"
write_proxy_conf "$P" "$UP" \
    "route = /api http://localhost:$UP/echo" \
    "route = /slow http://127.0.0.1:$UP/slow" \
    "route = /close http://127.0.0.1:$UP/close" \
    "route = /sse http://127.0.0.1:$UP/sse" \
    "route = /dead http://127.0.0.1:$DEAD/mcp" \
    "allowed_origins = http://localhost:6274" \
    "allowed_hosts = localhost 127.0.0.1 ::1"
sed -i 's/^cors_allow_origins = \*$/cors_allow_origins = http:\/\/localhost:6274/' "$PROXY_CONF"
printf '[mcpproxyd]\nupstream_timeout = 1\n' >>"$PROXY_CONF"
"$MCPPROXYD" -n -f "$PROXY_CONF" 2>&1 | grep -qx "configuration OK" ||
    fail "config check: $("$MCPPROXYD" -n -f "$PROXY_CONF" 2>&1)"
start_proxy "$PROXY_CONF"
B=http://127.0.0.1:$P
O="Origin: http://localhost:6274"

# raw REQUEST: send bytes, print the answer (connection closed by us after 3s)
raw() {
	exec 3<>/dev/tcp/127.0.0.1/"$P" || return 1
	printf "$1" >&3
	timeout 3 cat <&3
	exec 3<&-
}
status_of() { head -n 1 | tr -d '\r' | cut -d' ' -f2; }

# --- routing, path mapping, forwarded headers ---------------------------
out=$(curl -s -H 'Connection: keep-alive, X-Secret' -H 'X-Secret: hop' \
    -H 'X-Forwarded-For: 10.9.9.9' "$B/api/sub?q=1")
echo "$out" | grep -q '"url":"/echo/sub?q=1"' || fail "path mapping: $out"
echo "$out" | grep -q "\"host\":\"localhost:$UP\"" || fail "Host to upstream: $out"
# the client's own X-Forwarded-For is dropped: 127.0.0.1 is no trusted proxy
echo "$out" | grep -q '"x-forwarded-for":"127.0.0.1"' || fail "XFF: $out"
echo "$out" | grep -q '"x-forwarded-proto":"http"' || fail "XFP: $out"
echo "$out" | grep -q "\"x-forwarded-host\":\"127.0.0.1:$P\"" || fail "XFH: $out"
echo "$out" | grep -qi 'x-secret' && fail "Connection-listed header forwarded: $out"
pass "path mapped, Host rewritten, X-Forwarded-* set, hop-by-hop removed"
hdrs=$(curl -s -D- -o /dev/null "$B/api")
echo "$hdrs" | grep -qi '^x-hop:' && fail "upstream's Connection-listed header passed: $hdrs"
pass "response hop-by-hop headers removed"
out=$(curl -s -D- "$B/apix")
[ "$(echo "$out" | status_of)" = 404 ] || fail "prefix must end at a segment: $out"
echo "$out" | grep -q '"error":{"code":-32000,"message":"no route for this path"}' ||
    fail "404 body: $out"
pass "404 with a JSON body for /apix (prefix /api)"

# --- CORS --------------------------------------------------------------------
n=$(curl -s -D- -o /dev/null -H "$O" "$B/api" | grep -ci '^access-control-allow-origin:')
[ "$n" = 1 ] || fail "expected one Access-Control-Allow-Origin, got $n"
hdrs=$(curl -s -D- -o /dev/null -H "$O" "$B/api")
echo "$hdrs" | grep -qi '^access-control-allow-origin: http://localhost:6274' ||
    fail "ACAO: $hdrs"
echo "$hdrs" | grep -qi '^access-control-expose-headers: Mcp-Session-Id, MCP-Protocol-Version, Mcp-Method, Mcp-Name, Last-Event-ID, WWW-Authenticate' ||
    fail "the upstream's expose list must be replaced: $hdrs"
echo "$hdrs" | grep -qi '^vary: origin' || fail "Vary: $hdrs"
pass "upstream CORS replaced by exactly one set of ours"
hdrs=$(curl -s -D- -o /dev/null -X OPTIONS -H "$O" \
    -H 'Access-Control-Request-Method: POST' \
    -H 'Access-Control-Request-Headers: authorization, content-type, mcp-session-id' "$B/mcp")
[ "$(echo "$hdrs" | status_of)" = 204 ] || fail "preflight: $hdrs"
echo "$hdrs" | grep -qi '^access-control-allow-methods: GET, POST, DELETE, OPTIONS' ||
    fail "preflight methods: $hdrs"
grep -c '"OPTIONS /mcp"' "$ACCESS_LOG" >/dev/null || fail "preflight not logged"
pass "preflight answered by the proxy"
hdrs=$(curl -s -D- -o /dev/null "$B/dead" -H "$O")
[ "$(echo "$hdrs" | status_of)" = 502 ] || fail "dead upstream: $hdrs"
echo "$hdrs" | grep -qi '^access-control-allow-origin: http://localhost:6274' ||
    fail "502 without CORS: $hdrs"
curl -s "$B/dead" | grep -q '"message":"upstream unavailable"' || fail "502 body"
pass "502 with JSON body and CORS when the upstream is down"

# --- Origin and Host checks (DNS rebinding) ----------------------------------
c=$(curl -s -o /dev/null -w '%{http_code}' -H 'Origin: http://evil.example' "$B/api")
[ "$c" = 403 ] || fail "foreign Origin: $c"
c=$(curl -s -o /dev/null -w '%{http_code}' -H "Origin: http://127.0.0.1:$P" "$B/api")
[ "$c" = 200 ] || fail "same-origin request: $c"
c=$(curl -s -o /dev/null -w '%{http_code}' -H 'Host: evil.example' "$B/api")
[ "$c" = 403 ] || fail "foreign Host: $c"
c=$(curl -s -o /dev/null -w '%{http_code}' -H "Host: [::1]:$P" "$B/api")
[ "$c" = 200 ] || fail "Host [::1]: $c"
pass "foreign Origin and Host refused with 403"

# --- framing -------------------------------------------------------------------
out=$(raw "POST /api HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n")
[ "$(echo "$out" | status_of)" = 400 ] || fail "CL+TE: $out"
out=$(raw "POST /api HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello")
[ "$(echo "$out" | status_of)" = 400 ] || fail "two CL: $out"
out=$(raw "POST /api HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n")
[ "$(echo "$out" | status_of)" = 501 ] || fail "TE gzip: $out"
out=$(raw "GET /api HTTP/1.1\r\nHost: localhost\r\nX-A: 1\r\n folded\r\n\r\n")
[ "$(echo "$out" | status_of)" = 400 ] || fail "obs-fold: $out"
out=$(raw "POST /api HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n")
[ "$(echo "$out" | status_of)" = 400 ] || fail "bad chunk size: $out"
out=$(raw "GET /$(head -c 9000 /dev/zero | tr '\0' a) HTTP/1.1\r\nHost: localhost\r\n\r\n")
[ "$(echo "$out" | status_of)" = 414 ] || fail "long request line: $(echo "$out" | head -1)"
big=$(head -c 4000 /dev/zero | tr '\0' b)
out=$(raw "GET /api HTTP/1.1\r\nHost: localhost\r\nX-1: $big\r\nX-2: $big\r\nX-3: $big\r\nX-4: $big\r\nX-5: $big\r\n\r\n")
[ "$(echo "$out" | status_of)" = 431 ] || fail "big head: $(echo "$out" | head -1)"
out=$(raw "GET /api HTTP/1.1\r\n\r\n")
[ "$(echo "$out" | status_of)" = 400 ] || fail "no Host: $out"
out=$(raw "GET /api HTTP/2.0\r\nHost: localhost\r\n\r\n")
[ "$(echo "$out" | status_of)" = 505 ] || fail "HTTP/2.0: $out"
pass "ambiguous or oversized requests rejected (400, 414, 431, 501, 505)"

# --- bodies -------------------------------------------------------------------
out=$(curl -s -H 'Transfer-Encoding: chunked' -H 'Content-Type: application/json' \
    --data-binary '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo"}}' "$B/api")
echo "$out" | grep -q '"content-length":"71"' || fail "chunked body not de-chunked: $out"
echo "$out" | grep -q 'tools/call' || fail "chunked body lost: $out"
wait_grep "$ACCESS_LOG" 5 -q 'rpc=tools/call tool=echo' || fail "rpc/tool not logged"
pass "chunked request body forwarded with Content-Length; rpc and tool logged"
v=$(curl -s -v -H 'Expect: 100-continue' --data-binary "$(head -c 2000 /dev/zero | tr '\0' x)" "$B/api" 2>&1)
echo "$v" | grep -q '< HTTP/1.1 100 Continue' || fail "no 100 Continue: $v"
echo "$v" | grep -q '"content-length":"2000"' || fail "body after 100-continue: $(echo "$v" | tail -3)"
pass "Expect: 100-continue answered"
big=$(head -c 5000000 /dev/zero | tr '\0' y)
c=$(printf '%s' "$big" | curl -s -o /dev/null -w '%{http_code}' --data-binary @- "$B/api")
[ "$c" = 413 ] || fail "body over max_body_size: $c"
pass "413 over max_body_size"

# --- keep-alive, close-delimited, streams ----------------------------------------
v=$(curl -s -v "$B/api" "$B/api" 2>&1)
echo "$v" | grep -q 'Re-using existing connection' || fail "client keep-alive: $v"
pass "client connection kept alive"
hdrs=$(curl -s -D- "$B/close")
echo "$hdrs" | grep -q 'close-delimited body' || fail "close-delimited body: $hdrs"
echo "$hdrs" | grep -qi '^transfer-encoding: chunked' || fail "not re-framed: $hdrs"
pass "close-delimited upstream answer re-framed as chunked"
out=$(curl -s -N "$B/sse")
[ "$(echo "$out" | grep -c '^data: event')" = 5 ] || fail "sse: $out"
pass "event stream relayed"
curl -s -N -m 1 "$B/sse?n=50" >/dev/null
wait_grep "$T/upstream.log" 5 -q "sse closed by the peer after" ||
    fail "the upstream stream went on after the client left"
pass "a client that leaves ends its upstream request"

# --- 504 -------------------------------------------------------------------------
out=$(curl -s -D- "$B/slow")
[ "$(echo "$out" | status_of)" = 504 ] || fail "slow upstream: $out"
echo "$out" | grep -q '"message":"upstream timed out"' || fail "504 body: $out"
pass "504 with JSON body after upstream_timeout"

# the whole line: time to the millisecond, client, request, status, bytes,
# seconds with three decimals, then the fields
grep -Eq '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z 127\.0\.0\.1 "GET /api/sub" 200 [0-9]+ [0-9]+\.[0-9]{3} id=[0-9a-f]{16}-[0-9a-f]+ upstream=(127\.0\.0\.1|\[::1\]):'"$UP"' rpc=- tool=- authz=- session=- sub=-$' "$ACCESS_LOG" ||
    fail "access log line: $(head -3 "$ACCESS_LOG")"
grep -q 'q=1' "$ACCESS_LOG" && fail "query string logged"
pass "access log lines (no query strings)"
kill -0 "$(cat "$T/mcpproxyd.pid")" || fail "proxy died"
exit 0
