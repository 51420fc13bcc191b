#!/bin/sh
# 49-auth-roles.t: what the tool authorization rules are tested with.
# The local authorization server (tests/as) issues Keycloak-like tokens
# whose realm_access.roles differ by user: eitan holds mcp-echo, noa
# does not; and it grants the extra scope mcp:admin only when asked
# (so a tool can require it and a client step up to it).  mcpproxyd -n
# accepts a policy written for them and names file:line of a bad rule;
# a reload (HUP) with a bad rule keeps the running configuration, one
# with good rules takes them.
. "${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
. "$TOP/tests/as/as.sh"
need_as

start_as "$T/as"
R=http://127.0.0.1:9/mcp
pass "AS $AS_ISSUER"

# claim TOKEN EXPR: EXPR on the payload p, printed
claim() {
	"$NODE" -e 'const p = JSON.parse(Buffer.from(process.argv[1]
	    .split(".")[1], "base64url")); console.log(eval(process.argv[2]))' \
	    "$1" "$2"
}

te=$(as_token "$R" "mcp:tools" eitan) || fail "no token for eitan"
tn=$(as_token "$R" "mcp:tools" noa) || fail "no token for noa"
[ "$(claim "$te" 'p.sub')" = eitan ] || fail "eitan's sub"
[ "$(claim "$tn" 'p.sub')" = noa ] || fail "noa's sub"
[ "$(claim "$te" 'p.realm_access.roles.includes("mcp-echo")')" = true ] ||
    fail "eitan lacks mcp-echo: $(claim "$te" 'JSON.stringify(p)')"
[ "$(claim "$tn" 'p.realm_access.roles.includes("mcp-echo")')" = false ] ||
    fail "noa holds mcp-echo"
[ "$(claim "$tn" 'p.realm_access.roles.includes("default-roles-my-realm")')" \
    = true ] || fail "noa lacks the default role"
pass "realm_access.roles: eitan holds mcp-echo, noa does not"

[ "$(claim "$te" 'p.scope')" = mcp:tools ] ||
    fail "scope without asking for mcp:admin: $(claim "$te" 'p.scope')"
ta=$(as_token "$R" "mcp:tools mcp:admin" eitan) || fail "no mcp:admin token"
[ "$(claim "$ta" 'p.scope')" = "mcp:tools mcp:admin" ] ||
    fail "step-up scope: $(claim "$ta" 'p.scope')"
pass "mcp:admin granted when asked for, not otherwise"

# mcpproxyd -n with a policy for those users, then a broken rule
pp=$(free_port) || fail "no free port"
cat >"$T/p.conf" <<EOC
[mcpproxyd]
user = nobody
pid_file = $T/mcpproxyd.pid
access_log = $T/access.log

[server s]
listen = 127.0.0.1:$pp
route = /mcp http://127.0.0.1:9/mcp auth=a policy=tools

[issuer local]
issuer = $AS_ISSUER

[auth a]
issuer = local
audiences = $R
scopes_supported = mcp:tools mcp:admin
required_scopes = mcp:tools

[policy tools]
allow = tool:echo if realm_access.roles has mcp-echo
allow = tool:get-* scope=mcp:admin
deny = tool:*
EOC
"$MCPPROXYD" -n -f "$T/p.conf" >"$T/n.out" 2>&1 ||
    fail "mcpproxyd -n: $(cat "$T/n.out")"
grep -q "configuration OK" "$T/n.out" || fail "-n said: $(cat "$T/n.out")"
sed 's/^allow = tool:get-\* scope=mcp:admin$/allow = tool:get-* scope=mcp:root/' \
    "$T/p.conf" >"$T/bad.conf"
if "$MCPPROXYD" -n -f "$T/bad.conf" >"$T/n.out" 2>&1; then
	fail "mcpproxyd -n accepted a scope outside scopes_supported"
fi
grep -q "bad.conf:21: allow: scope \"mcp:root\" is not in scopes_supported of \[auth a\] (route /mcp)" \
    "$T/n.out" || fail "-n said: $(cat "$T/n.out")"
pass "mcpproxyd -n: policy OK; a bad rule named by file:line"

# the running daemon: a reload with the bad rule is refused, then a good
# one with another policy is taken
cp "$T/p.conf" "$T/run.conf"
start_proxy "$T/run.conf"
wait_grep "$T/mcpproxyd.log" 5 -q "started, " || fail "no start line"
grep -q "checked but not enforced" "$T/mcpproxyd.log" &&
    fail "the policy is said not to be enforced"
cp "$T/bad.conf" "$T/run.conf"
kill -HUP "$PROXY_PID"
wait_grep "$T/mcpproxyd.log" 5 -q "reload failed: .*run.conf:21: allow: scope \"mcp:root\" is not in scopes_supported.*keeping the running configuration" ||
    fail "no log line for the bad rule's reload"
kill -0 "$PROXY_PID" || fail "master died on a bad rule"
sed 's/^\[policy tools\]$/[policy tools2]/; s/policy=tools$/policy=tools2/' \
    "$T/p.conf" >"$T/run.conf"
kill -HUP "$PROXY_PID"
wait_grep "$T/mcpproxyd.log" 5 -q "reloaded .*run.conf" ||
    fail "the good reload did not read [policy tools2]"
pass "HUP: a bad rule keeps the running configuration, good rules are read"
