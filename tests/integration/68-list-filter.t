#!/bin/sh
# 68-list-filter.t: list answers filtered in the relay (relayfilter.c).
# A route with a policy lets eitan (realm_access.roles holds mcp-echo)
# see echo, and everyone see get-secret (it needs mcp:admin, a scope the
# caller can still obtain), and nobody see add.  The upstream is
# tests/mcp/scripted-list-upstream.mjs, a SCRIPTED server (fixed
# answers after the MCP specification's examples), in every framing:
#
#   - tools/list as a JSON body (Content-Length recomputed, nextCursor
#     kept, Cache-Control: private), chunked, and as an event stream,
#     per user;
#   - over SSE, the progress notification before the answer reaches the
#     client while the upstream still holds the answer back;
#   - an answer over max_list_size (JSON and SSE) and a gzip-coded one
#     fail closed with a JSON-RPC error carrying the request's id; the
#     upstream is asked for Accept-Encoding: identity;
#   - a resumed stream (GET with Last-Event-ID) replaying the answer is
#     filtered too, and so is a body the strict reading refuses (method
#     given twice) that the upstream takes for tools/list;
#   - a 2026-07-28 request gets result.cacheScope "private".
# Every row runs; the test fails with the count of failed rows.
. "${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
. "$TOP/tests/as/as.sh"
need_as

start_as "$T/as"
sp=$(free_port) || fail "no free port"
spawn "$T/scripted.log" "$NODE" "$TOP/tests/mcp/scripted-list-upstream.mjs" \
    "$sp" 20000
wait_port 127.0.0.1 "$sp" 10 || fail "scripted upstream did not start"

pp=$(free_port) || fail "no free port"
URL=http://127.0.0.1:$pp/mcp
auth_route_conf "$pp" "$sp" a
sed -i "s|auth=a\$|& policy=tools|" "$PROXY_CONF"
proxy_global "max_list_size = 4k"
cat >>"$PROXY_CONF" <<EOC

[auth a]
issuer = local
audiences = $URL
resource = $URL
scopes_supported = mcp:tools mcp:admin
required_scopes = mcp:tools

[policy tools]
allow = tool:echo if realm_access.roles has mcp-echo
allow = tool:get-* scope=mcp:admin
deny = tool:*

$(issuer_local)
EOC
# jwksd reads the same file but knows no [policy]
out=$("$MCPPROXYD" -n -f "$PROXY_CONF" 2>&1) || fail "mcpproxyd -n: $out"
sed '/^\[policy /,/^$/d' "$PROXY_CONF" >"$T/jwksd.conf"
start_jwksd "$T/jwksd.conf"
start_proxy "$PROXY_CONF"
pass "AS, jwksd, mcpproxyd on :$pp, scripted upstream on :$sp"

te=$(as_token "$URL" "mcp:tools" eitan) || fail "no token for eitan"
tn=$(as_token "$URL" "mcp:tools" noa) || fail "no token for noa"

bad=0
row() {	# row NAME CONDITION-OUTPUT... : ok when the check printed nothing
	if [ -z "$2" ]; then pass "$1"; else
		_say "not ok - $1: $2"; bad=$((bad + 1)); fi
}
# post PATH TOKEN ID [HEADER...]: tools/list; head in $T/h, body in $T/b
post() {
	_p=$1 _t=$2 _id=$3; shift 3
	curl -s -m 20 -D "$T/h" -o "$T/b" -H "Authorization: Bearer $_t" \
	    -H 'Content-Type: application/json' \
	    -H 'Accept: application/json, text/event-stream' "$@" \
	    --data "{\"jsonrpc\":\"2.0\",\"id\":$_id,\"method\":\"tools/list\",\"params\":{}}" \
	    "$URL/$_p"
}
# names FILE: the tool names in a JSON body or the data of SSE events
names() {
	"$NODE" -e '
	    const t = require("fs").readFileSync(process.argv[1], "utf8");
	    const docs = /^\s*[{[]/.test(t) ? [t] : t.split(/\r?\n/)
		.filter((l) => l.startsWith("data:")).map((l) => l.slice(5));
	    const n = [];
	    for (const d of docs) {
		    let j; try { j = JSON.parse(d); } catch { continue; }
		    for (const x of j?.result?.tools ?? []) n.push(x.name);
	    }
	    console.log(n.join(","))' "$1"
}
hdr() { tr -d '\r' <"$T/h" | sed -n "s/^$1: //Ip" | tail -n 1; }
expect() {	# expect WHAT GOT WANT
	[ "$2" = "$3" ] || echo "$1: got \"$2\", want \"$3\""
}

# JSON, per user
post json "$te" 1
row "JSON, eitan: echo and get-secret" "$(expect names "$(names "$T/b")" \
    echo,get-secret)"
row "JSON: nextCursor kept" "$(grep -q '"nextCursor":"next-page-cursor"' \
    "$T/b" || echo "body: $(head -c 300 "$T/b")")"
row "JSON: Content-Length is the filtered body's" "$(expect length \
    "$(hdr Content-Length)" "$(wc -c <"$T/b" | tr -d ' ')")"
row "JSON: Cache-Control: private, the upstream's dropped" "$(expect \
    cache-control "$(tr -d '\r' <"$T/h" | grep -i '^cache-control:' |
    tr '\n' ' ')" "Cache-Control: private ")"
post json "$tn" 2
row "JSON, noa: get-secret only" "$(expect names "$(names "$T/b")" \
    get-secret)"
post chunked "$tn" 3
row "chunked JSON from the upstream, noa: get-secret only" \
    "$(expect names "$(names "$T/b")" get-secret)"

# a body the strict reading refuses (method twice) that the upstream
# reads as tools/list (the last member wins): any list is filtered
curl -s -m 20 -o "$T/b" -H "Authorization: Bearer $tn" \
    -H 'Content-Type: application/json' \
    -H 'Accept: application/json, text/event-stream' \
    --data '{"jsonrpc":"2.0","id":11,"method":"tools/call","method":"tools/list","params":{}}' \
    "$URL/json"
row "method given twice: no unfiltered list" "$(grep -q '"add"' "$T/b" &&
    echo "body: $(head -c 300 "$T/b")")"

# SSE: the notification comes at once, the answer when released
rm -f "$T/sse"
curl -sN -m 30 -H "Authorization: Bearer $te" \
    -H 'Content-Type: application/json' \
    -H 'Accept: application/json, text/event-stream' \
    --data '{"jsonrpc":"2.0","id":4,"method":"tools/list","params":{}}' \
    -o "$T/sse" "$URL/sse" &
cpid=$!
if wait_grep "$T/sse" 10 -q notifications/progress; then
	row "SSE: the progress notification arrives before the answer" \
	    "$(grep -q '"tools"' "$T/sse" && echo "the answer came too early")"
else
	row "SSE: the progress notification arrives before the answer" \
	    "not within 10 s: $(head -c 300 "$T/sse")"
fi
curl -s -m 5 "http://127.0.0.1:$sp/release" >/dev/null
wait $cpid
row "SSE, eitan: echo and get-secret" "$(expect names "$(names "$T/sse")" \
    echo,get-secret)"
row "SSE: event id 7 kept" "$(grep -qx 'id: 7' "$T/sse" ||
    echo "$(head -c 300 "$T/sse")")"
post sse "$tn" 5
row "SSE, noa: get-secret only" "$(expect names "$(names "$T/b")" \
    get-secret)"
row "SSE: Cache-Control: private" "$(expect cache-control \
    "$(hdr Cache-Control)" private)"

# over the bound, and compressed: fail closed with the request's id
post big "$te" '"big-1"'
row "JSON over max_list_size: error with the request's id" "$(grep -q \
    '^{"jsonrpc":"2.0","id":"big-1","error":{"code":-32003,' "$T/b" ||
    echo "body: $(head -c 300 "$T/b")")"
row "JSON over max_list_size: no list passes" "$(grep -q get-secret "$T/b" \
    && echo "the list passed")"
post bigsse "$te" 123456789012345678901234567890
row "SSE over max_list_size: error event with the request's id" "$(grep -q \
    '^data: {"jsonrpc":"2.0","id":123456789012345678901234567890,"error":{"code":-32003,' \
    "$T/b" || echo "body: $(head -c 300 "$T/b")")"
post gzip "$te" 9 -H 'Accept-Encoding: gzip'
row "gzip-coded answer: error with the request's id" "$(grep -q \
    '^{"jsonrpc":"2.0","id":9,"error":{"code":-32003,' "$T/b" ||
    echo "body: $(head -c 300 "$T/b" | od -c | head -3)")"
row "a list request asks the upstream for identity" "$(grep -q \
    '^ae POST /mcp/gzip identity$' "$T/scripted.log" ||
    echo "$(grep ' /mcp/gzip ' "$T/scripted.log")")"

# a resumed stream replaying the answer
curl -s -m 20 -D "$T/h" -o "$T/b" -H "Authorization: Bearer $tn" \
    -H 'Accept: text/event-stream' -H 'Last-Event-ID: 6' "$URL/sse"
row "resumed stream, noa: the replayed list holds get-secret only" \
    "$(expect names "$(names "$T/b")" get-secret)"

# 2026-07-28: cacheScope private
# (the headers must match the body's _meta: mcp.c answers -32020 if not)
curl -s -m 20 -D "$T/h" -o "$T/b" -H "Authorization: Bearer $tn" \
    -H 'Content-Type: application/json' \
    -H 'Accept: application/json, text/event-stream' \
    -H 'MCP-Protocol-Version: 2026-07-28' -H 'Mcp-Method: tools/list' \
    --data '{"jsonrpc":"2.0","id":10,"method":"tools/list","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28"}}}' \
    "$URL/json"
row "2026-07-28: result.cacheScope \"private\"" "$(grep -q \
    '"result":{"cacheScope":"private",' "$T/b" ||
    echo "body: $(head -c 300 "$T/b")")"

[ $bad -eq 0 ] || fail "$bad rows failed"
