#!/bin/sh
# 35-demo.t: demo/run, the README's main job, in its one-shot mode: it
# starts server-everything and mcpproxyd (access log on stderr), runs one
# MCP SDK client session through the proxy; then the tutorial's protected
# setup: the local authorization server (tests/as/server.mjs, user
# eitan / test), jwksd, the proxy reloaded into the protected
# configuration, a 401 with its WWW-Authenticate challenge, and the MCP SDK
# client through the whole OAuth flow; it exits 0; the proxy's log lines
# show both sessions, the second one as sub=eitan; nothing is left
# listening.  Free ports stand in for the tutorial's 8000, 9000 and 8080.
. "$(cd "$(dirname "$0")/../.." && pwd)/tests/lib.sh"
need node_modules proxy jwksd curl
[ -f "$NM/oidc-provider/package.json" ] ||
    skip "oidc-provider missing (run: npm ci --prefix tests)"
up=$(free_port) || fail "no free port"
pp=$(free_port) || fail "no free port"
ap=$(free_port) || fail "no free port"
DEMO_ONESHOT=1 DEMO_PORT=$pp DEMO_UPSTREAM_PORT=$up DEMO_AS_PORT=$ap \
    MCPPROXYD=$MCPPROXYD JWKSD=$JWKSD \
    timeout 120 "$TOP/demo/run" >"$T/demo.out" 2>&1
rc=$?
sed 's/^/    /' "$T/demo.out"
[ $rc -eq 0 ] || fail "demo/run exited $rc"
grep -q '^   client: every check passed' "$T/demo.out" ||
    fail "demo/run: the client session did not pass"
pass "demo/run: one MCP session through mcpproxyd on port $pp"
grep 'tools/call' "$T/demo.out" | grep 'sub=-$' | grep -q 'tool=echo ' ||
    fail "demo/run: no access log line for the plain tools/call echo on the terminal"
pass "demo/run: the proxy's access log shows the session"

# the protected part
grep -q "^   issuer http://localhost:$ap/realms/my-realm" "$T/demo.out" ||
    fail "demo/run: no authorization server at localhost:$ap/realms/my-realm"
grep -q 'reloaded .*generation 2' "$T/demo.out" ||
    fail "demo/run: the proxy was not reloaded (SIGHUP) into the protected configuration"
pass "demo/run: authorization server on port $ap, mcpproxyd reloaded into the protected configuration"
grep -q '^   < HTTP/1.1 401 ' "$T/demo.out" ||
    fail "demo/run: no 401 shown for a request without a token"
want="   < WWW-Authenticate: Bearer resource_metadata=\"http://localhost:$pp/.well-known/oauth-protected-resource/mcp\", scope=\"mcp:tools\""
grep -qxF "$want" "$T/demo.out" ||
    fail "demo/run: no WWW-Authenticate challenge shown (want '$want')"
pass "demo/run: 401 with WWW-Authenticate shown"
for c in 'first answer 401 with resource_metadata' \
    'protected resource metadata fetched' \
    'authorization server metadata fetched' 'dynamic client registration' \
    'authorization request with PKCE S256 and resource' 'login gave a code' \
    'access token received' 'initialize with the token' \
    'tools/call echo: "Echo: '; do
	grep 'oauth client: ' "$T/demo.out" | grep -qF "ok   $c" ||
	    fail "demo/run: the OAuth client's check '$c' did not pass"
done
grep 'oauth client: ' "$T/demo.out" | grep -q 'FAIL' &&
    fail "demo/run: the OAuth client shows a failure"
grep -q '"sub":"eitan"' "$T/demo.out" || fail "demo/run: the token is not eitan's"
grep -q '^   oauth client: every check passed' "$T/demo.out" ||
    fail "demo/run: the OAuth client run did not pass"
pass "demo/run: the MCP SDK client's OAuth flow passed (registration, PKCE, login as eitan, token, echo)"
grep -q '^     as: event login.success {"user":"eitan"}' "$T/demo.out" ||
    fail "demo/run: the authorization server saw no login of eitan"
grep -q '^     as: event authorization_code.consumed ' "$T/demo.out" ||
    fail "demo/run: the authorization server saw no code exchange"
pass "demo/run: the authorization server's events show the login and the code exchange"
grep -E '^     [0-9TZ:.-]+ 127\.0\.0\.1 "POST /mcp" 200 .*rpc=tools/call tool=echo .*sub=eitan$' \
    "$T/demo.out" >/dev/null ||
    fail "demo/run: no access log line for tools/call echo with sub=eitan"
pass "demo/run: the access log shows tools/call echo with sub=eitan"

for p in "$up" "$pp" "$ap"; do
	for h in 127.0.0.1 localhost; do
		wait_port "$h" "$p" 0.3 && fail "port $p still in use on $h after demo/run"
	done
done
pass "demo/run stopped what it started"
exit 0
