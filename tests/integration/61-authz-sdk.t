#!/bin/sh
# 61-authz-sdk.t: tool authorization enforced (issue 13), end to end with
# real parts: the authorization server (tests/as, Keycloak-like roles in
# realm_access.roles), jwksd, server-everything behind the proxy with a
# policy, the real MCP SDK client (tests/mcp/authz-client.mjs).
#
#   - eitan (role mcp-echo) calls echo; noa's echo call surfaces in the
#     SDK as that call's JSON-RPC error -32001 over HTTP 200, and the
#     denial is logged with the rule and sub=noa; the access log shows
#     authz=allow / deny / need-scope;
#   - get-sum needs scope mcp:admin: 403 insufficient_scope whose scope
#     is the route's required scope and the rule's ("mcp:tools
#     mcp:admin", one stable string), the SDK re-authorizes (the AS
#     shows a second authorization code), the call succeeds, echo still
#     works;
#   - differential rows, decided on the name the server runs: header /
#     body mismatch (-32020), duplicate "name" members, \u0065cho-style
#     escapes, a batch hiding a forbidden call, tools/list in a batch;
#     the request's id byte for byte in the proxy's errors (a huge
#     integer, a string with escapes), a 502 included.
# Negative controls (see the report of issue 13 phase 2): a build whose
# rule check reads Mcp-Name instead of the body fails the mismatch row;
# one whose challenge names only the rule's scope fails the step-up row.
. "${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
. "$TOP/tests/as/as.sh"
need_as

start_as "$T/as"
up=$(free_port) || fail "no free port"
start_everything "$up"
pp=$(free_port) || fail "no free port"
URL=http://127.0.0.1:$pp/mcp
auth_route_conf "$pp" "$up" tools \
    "route = /dead http://127.0.0.1:9/mcp"
sed -i "s|^route = /mcp .* auth=tools\$|& policy=tools|" "$PROXY_CONF"
cat >>"$PROXY_CONF" <<EOC

[auth tools]
issuer = local
audiences = $URL
resource = $URL
scopes_supported = mcp:tools mcp:admin
required_scopes = mcp:tools

[policy tools]
allow = tool:echo if realm_access.roles has mcp-echo
allow = tool:get-sum scope=mcp:admin
deny = tool:*

$(issuer_local)
EOC
start_auth_proxy
grep -q "not enforced" "$T/mcpproxyd.log" &&
    fail "the daemon says the policy is not enforced"
pass "mcpproxyd with [policy tools] on $URL"

sdk() {
	(cd "$TOP/tests" && "$NODE" mcp/authz-client.mjs "$URL" "$@")
}
grants() {	# authorization codes the AS issued so far
	grep -c '^event authorization_code.saved ' "$AS_LOG"
}

# --- the SDK: allowed, denied by claims, step-up --------------------------
g0=$(grants)
sdk --user eitan --echo allow --stepup get-sum >"$T/eitan.out" 2>&1 ||
    { cat "$T/eitan.out"; fail "eitan's SDK session"; }
pass "eitan: echo allowed; get-sum stepped up and ran; echo after it"
g1=$(grants)
[ $((g1 - g0)) -eq 2 ] ||
    fail "the AS issued $((g1 - g0)) authorization codes for eitan, not 2"
pass "the AS shows a second authorization (step-up)"
tail -n 1 "$T/eitan.out" | grep -q '"challenge":"Bearer resource_metadata=\\"[^"]*\\", scope=\\"mcp:tools mcp:admin\\", error=\\"insufficient_scope\\"' ||
    fail "challenge: $(tail -n 1 "$T/eitan.out" | grep -o '"challenge":"[^}]*')"
tail -n 1 "$T/eitan.out" | grep -q '"stepup_scope":"mcp:tools mcp:admin"' ||
    fail "the SDK asked for another scope at step-up"
pass "challenge scope \"mcp:tools mcp:admin\": the route's, then the rule's"

sdk --user noa --echo deny --code -32001 >"$T/noa.out" 2>&1 ||
    { cat "$T/noa.out"; fail "noa's SDK session"; }
pass "noa: echo is that call's JSON-RPC error -32001 over HTTP 200"
wait_grep "$T/mcpproxyd.log" 5 -q 'tools/call echo: deny by .*mcpproxyd.conf:[0-9]*: deny = tool:\* (policy tools, sub noa)' ||
    fail "no denial line naming the rule and sub noa"
grep -q 'tools/call get-sum: need-scope by .*allow = tool:get-sum scope=mcp:admin (policy tools, sub eitan)' \
    "$T/mcpproxyd.log" || fail "no need-scope line naming the rule"
pass "denials logged with the rule and the subject"
grep -q 'rpc=tools/call tool=echo authz=deny .*sub=noa$' "$ACCESS_LOG" ||
    fail "access log: no authz=deny for noa's echo"
grep -q 'rpc=tools/call tool=echo authz=allow .*sub=eitan$' "$ACCESS_LOG" ||
    fail "access log: no authz=allow for eitan's echo"
grep -q '" 403 .*rpc=tools/call tool=get-sum authz=need-scope .*sub=eitan$' \
    "$ACCESS_LOG" || fail "access log: no 403 authz=need-scope"
grep -q '" 200 .*rpc=tools/call tool=get-sum authz=allow .*sub=eitan$' \
    "$ACCESS_LOG" || fail "access log: no allowed get-sum after step-up"
pass "the access log shows the decisions"

# --- differential rows ---------------------------------------------------
te=$(as_token "$URL" "mcp:tools" eitan) || fail "no token for eitan"
tn=$(as_token "$URL" "mcp:tools" noa) || fail "no token for noa"
V=2026-07-28
META='"_meta":{"io.modelcontextprotocol/protocolVersion":"'$V'"}'
# a session of eitan's on server-everything for the rows that pass
curl -s -D "$T/init.h" -o /dev/null -H "Authorization: Bearer $te" \
    -H 'Content-Type: application/json' \
    -H 'Accept: application/json, text/event-stream' \
    --data '{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"rows","version":"1"}}}' \
    "$URL" || fail "initialize"
SID=$(grep -i '^mcp-session-id:' "$T/init.h" | cut -d' ' -f2 | tr -d '\r')
[ -n "$SID" ] || fail "no session: $(cat "$T/init.h")"
curl -s -o /dev/null -H "Authorization: Bearer $te" -H "Mcp-Session-Id: $SID" \
    -H 'Content-Type: application/json' \
    -H 'Accept: application/json, text/event-stream' \
    --data '{"jsonrpc":"2.0","method":"notifications/initialized"}' "$URL"

bad=0
# row NAME TOKEN STATUS BODY-ERE BODY [HEADER...]: POST BODY, want STATUS
# and a body matching BODY-ERE
row() {
	_n=$1 _t=$2 _s=$3 _re=$4 _b=$5
	shift 5
	set -- -H "Authorization: Bearer $_t" -H "Mcp-Session-Id: $SID" \
	    -H 'Content-Type: application/json' \
	    -H 'Accept: application/json, text/event-stream' "$@"
	_out=$(curl -s -o "$T/row.body" -w '%{http_code}' "$@" \
	    --data-binary "$_b" "$URL")
	if [ "$_out" = "$_s" ] && grep -Eq -- "$_re" "$T/row.body" &&
	    ! grep -q 'get-env\|"PATH"\|NODE' "$T/row.body"; then
		pass "row $_n: $_out"
	else
		echo "not ok - row $_n: $_out $(head -c 300 "$T/row.body")"
		bad=$((bad + 1))
	fi
}
call() {	# call ID NAME-JSON: a tools/call body
	printf '{"jsonrpc":"2.0","id":%s,"method":"tools/call","params":{"name":%s,"arguments":{"message":"m"}}}' "$1" "$2"
}
call26() {	# the same declaring 2026-07-28
	printf '{"jsonrpc":"2.0","id":%s,"method":"tools/call","params":{"name":%s,"arguments":{"message":"m"},%s}}' "$1" "$2" "$META"
}
H26="MCP-Protocol-Version: $V"

# header/body mismatch: the header names echo, the body get-env
row "mismatch: Mcp-Name echo, body get-env" "$te" 400 \
    '"code":-32020.*"id":11\}' "$(call26 11 '"get-env"')" \
    -H "$H26" -H 'Mcp-Method: tools/call' -H 'Mcp-Name: echo'
row "mismatch at 2025-11-25: Mcp-Name echo, body get-env" "$te" 400 \
    '"code":-32020.*"id":10\}' "$(call 10 '"get-env"')" \
    -H 'MCP-Protocol-Version: 2025-11-25' -H 'Mcp-Method: tools/call' \
    -H 'Mcp-Name: echo'
row "mismatch: Mcp-Name base64 of echo, body get-env" "$te" 400 \
    '"code":-32020' "$(call26 12 '"get-env"')" \
    -H "$H26" -H 'Mcp-Method: tools/call' -H 'Mcp-Name: =?base64?ZWNobw==?='
row "2026-07-28 without Mcp-Name" "$te" 400 '"code":-32020' \
    "$(call26 13 '"echo"')" -H "$H26" -H 'Mcp-Method: tools/call'
row "MCP-Protocol-Version unlike _meta" "$te" 400 '"code":-32020' \
    "$(call26 14 '"echo"')" -H 'MCP-Protocol-Version: 2025-11-25' \
    -H 'Mcp-Method: tools/call' -H 'Mcp-Name: echo'
# (server-everything speaks 2025-11-25: matching headers, that version)
row "matching Mcp-Method and Mcp-Name: echo runs" "$te" 200 'Echo: m' \
    "$(call 15 '"echo"')" -H 'MCP-Protocol-Version: 2025-11-25' \
    -H 'Mcp-Method: tools/call' -H 'Mcp-Name: =?base64?ZWNobw==?='
# duplicate members: JSON.parse in the server takes the last one
row "duplicate name members (echo, get-env)" "$te" 400 \
    '"code":-32600' \
    '{"jsonrpc":"2.0","id":21,"method":"tools/call","params":{"name":"echo","name":"get-env","arguments":{}}}'
row "duplicate name spelt \\u006eame" "$te" 400 '"code":-32600' \
    '{"jsonrpc":"2.0","id":22,"method":"tools/call","params":{"name":"echo","\u006eame":"get-env","arguments":{}}}'
# escapes: decided on the decoded name, as the server reads it
row "noa: \\u0065cho is echo, denied" "$tn" 200 \
    '"code":-32001.*"id":31\}' "$(call 31 '"\u0065cho"')"
row "eitan: \\u0067et-env is get-env, denied" "$te" 200 \
    '"code":-32001' "$(call 32 '"\u0067et-env"')"
row "eitan: \\u0065cho is echo, runs" "$te" 200 'Echo: m' \
    "$(call 33 '"\u0065cho"')"
# batches: refused whole on a route with a policy
row "a batch hiding get-env behind echo" "$te" 400 '"code":-32600' \
    "[$(call 41 '"echo"'),$(call 42 '"get-env"')]"
row "tools/list in a batch" "$te" 400 '"code":-32600' \
    '[{"jsonrpc":"2.0","id":43,"method":"tools/list","params":{}}]'
# ids byte for byte
row "a huge integer id" "$tn" 200 \
    '"id":123456789012345678901234567890\}' \
    "$(call 123456789012345678901234567890 '"echo"')"
row "a string id with escapes" "$tn" 200 '"id":"a\\"b\\u00e9"\}' \
    "$(call '"a\"b\u00e9"' '"echo"')"
row "a body that is not JSON" "$te" 400 '"code":-32700' '{"jsonrpc":'
[ $bad -eq 0 ] || fail "$bad differential rows failed"

# the proxy's own errors carry the id: a 502 from a dead upstream
out=$(curl -s -w ' %{http_code}' -H 'Content-Type: application/json' \
    --data "$(call 77 '"echo"')" "http://127.0.0.1:$pp/dead" | tr -d '\n')
echo "$out" | grep -q '"id":77} 502$' || fail "502 without the id: $out"
pass "a 502 carries the request's id"
