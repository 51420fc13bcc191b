/*
 * Tool authorization (policy.c) on configurations read by config_load:
 * [policy NAME] sections that must fail with exactly the golden
 * "file:line: message" (far more of them than good ones); decisions on
 * claims extracted from JSON payloads (nested, quoted paths, first
 * match, deny by default, scopes, permissive mode, claims cut short);
 * list visibility; the glob; the step-up scope string's stability.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "../../mcpproxyd/mcpproxyd.h"
#include "unit.h"
#include "unit_conftable.h"

/* lines 1-10; a [policy p] section's keys start at line 11 */
#define HEAD	"[server s]\nlisten = 127.0.0.1:9000\n" \
	"route = /mcp http://127.0.0.1:8000/mcp auth=a policy=p\n" \
	"[auth a]\nissuer = kc\naudiences = x\nrequired_scopes = mcp:tools\n" \
	"[issuer kc]\nissuer = https://kc.example\n[policy p]\n"
#define SRV	"[server s]\nlisten = 127.0.0.1:9000\n"
#define TAIL	"[issuer kc]\nissuer = https://kc.example\n" \
	"[auth a]\nissuer = kc\naudiences = x\n"

static const struct conf_case cases[] = {
	/* good */
	{ HEAD "allow = tool:echo\n", NULL },
	{ HEAD "allow = tool:echo if realm_access.roles has mcp-echo\n", NULL },
	{ HEAD "allow = tool:get-* scope=mcp:tools\n", NULL },
	{ HEAD "deny = tool:admin-*\nallow = prompt:* if groups has staff\n"
	    "allow = resource:file:///public/*\n", NULL },
	{ HEAD "allow = tool:x if resource_access.\"my-client.example\".roles"
	    " has r and azp eq my-client.example\n", NULL },
	{ HEAD "mode = permissive\ntasks = deny\nother_methods = pass\n"
	    "allow = tool:*\n", NULL },
	{ HEAD "mode = enforce\ntasks = pass\nother_methods = deny\n"
	    "allow = tool:*\n", NULL },
	/* agentgateway's documented examples */
	{ HEAD "allow = tool:echo\nallow = tool:add if sub eq test-user\n"
	    "allow = tool:printEnv if nested.key eq value\n", NULL },
	{ HEAD "allow = tool:echo if roles has admin\n", NULL },
	{ HEAD "allow = tool:x if groups has \"Data Science\"\n", NULL },
	{ HEAD "allow = tool:x if \"https://example.com/roles\" has a\n", NULL },
	{ HEAD "allow = tool:x scope=a,b,c if scope has d\n", NULL },
	{ HEAD "allow = tool:echo ; anyone may\n", NULL },
	{ "[mcpproxyd]\nmax_claim_values = 1\nmax_claim_bytes = 64\n" HEAD
	    "allow = tool:*\n", NULL },
	{ "[policy p]\nallow = tool:*\n" SRV
	    "route = /mcp http://127.0.0.1:8000/mcp policy=p auth=a\n" TAIL,
	    NULL },
	{ SRV "route = /mcp http://127.0.0.1:8000/mcp auth=a\n" TAIL
	    "[policy unused]\ndeny = tool:*\n", NULL },
	{ SRV "route = /mcp http://127.0.0.1:8000/mcp auth=a policy=p\n" TAIL
	    "scopes_supported = mcp:tools mcp:admin\n"
	    "[policy p]\nallow = tool:x scope=mcp:admin\n", NULL },
	/* bad */
	{ HEAD, "t.conf:10: [policy p]: no allow or deny rule" },
	{ HEAD "mode = permissive\n", "t.conf:10: [policy p]: no allow or deny rule" },
	{ HEAD "allow =\n", "t.conf:11: allow: empty rule" },
	{ HEAD "deny =  \n", "t.conf:11: deny: empty rule" },
	{ HEAD "allow = echo\n", "t.conf:11: allow: \"echo\": expected tool:NAME, prompt:NAME or resource:URI" },
	{ HEAD "allow = tools:echo\n", "t.conf:11: allow: \"tools:echo\": expected tool:NAME, prompt:NAME or resource:URI" },
	{ HEAD "allow = Tool:echo\n", "t.conf:11: allow: \"Tool:echo\": expected tool:NAME, prompt:NAME or resource:URI" },
	{ HEAD "allow = :echo\n", "t.conf:11: allow: \":echo\": expected tool:NAME, prompt:NAME or resource:URI" },
	{ HEAD "allow = method:tasks/get\n", "t.conf:11: allow: \"method:tasks/get\": expected tool:NAME, prompt:NAME or resource:URI" },
	{ HEAD "allow = tool:\n", "t.conf:11: allow: empty name after tool:" },
	{ HEAD "deny = resource:\n", "t.conf:11: deny: empty name after resource:" },
	{ HEAD "allow = tool:ech\"o\n", "t.conf:11: allow: unterminated quote" },
	{ HEAD "allow = tool:\"echo\"\n", "t.conf:11: allow: name pattern may hold only printable ASCII but \"" },
	{ HEAD "allow = tool:\xc3\xa9\n", "t.conf:11: allow: name pattern may hold only printable ASCII but \"" },
	{ HEAD "deny = tool:x scope=a\n", "t.conf:11: deny: scope= only on an allow rule" },
	{ HEAD "allow = tool:x scope=\n", "t.conf:11: allow: bad scope \"\"" },
	{ HEAD "allow = tool:x scope=a,,b\n", "t.conf:11: allow: bad scope \"\"" },
	{ HEAD "allow = tool:x scope=a,\n", "t.conf:11: allow: bad scope \"\"" },
	{ HEAD "allow = tool:x scope=a\\b\n", "t.conf:11: allow: bad scope \"a\\b\"" },
	{ HEAD "allow = tool:x scope=\xc3\xa9\n", "t.conf:11: allow: bad scope \"\xc3\xa9\"" },
	{ HEAD "allow = tool:x scope=a scope=b\n", "t.conf:11: allow: scope= given twice (write scope=A,B)" },
	{ HEAD "allow = tool:x scope=1,2,3,4,5,6,7,8,9\n", "t.conf:11: allow: more than 8 scopes" },
	{ HEAD "allow = tool:x when roles has a\n", "t.conf:11: allow: \"when\": expected scope=S or if CLAIM has|eq VALUE" },
	{ HEAD "allow = tool:x IF roles has a\n", "t.conf:11: allow: \"IF\": expected scope=S or if CLAIM has|eq VALUE" },
	{ HEAD "allow = tool:x tool:y\n", "t.conf:11: allow: \"tool:y\": expected scope=S or if CLAIM has|eq VALUE" },
	{ HEAD "allow = tool:x if\n", "t.conf:11: allow: expected CLAIM has VALUE or CLAIM eq VALUE" },
	{ HEAD "allow = tool:x if roles\n", "t.conf:11: allow: expected CLAIM has VALUE or CLAIM eq VALUE" },
	{ HEAD "allow = tool:x if roles has\n", "t.conf:11: allow: expected CLAIM has VALUE or CLAIM eq VALUE" },
	{ HEAD "allow = tool:x if roles contains a\n", "t.conf:11: allow: \"contains\": expected has or eq" },
	{ HEAD "allow = tool:x if roles == a\n", "t.conf:11: allow: \"==\": expected has or eq" },
	{ HEAD "allow = tool:x if roles HAS a\n", "t.conf:11: allow: \"HAS\": expected has or eq" },
	{ HEAD "allow = tool:x if roles has a or groups has b\n", "t.conf:11: allow: \"or\": expected and" },
	{ HEAD "allow = tool:x if roles has a && groups has b\n", "t.conf:11: allow: \"&&\": expected and" },
	{ HEAD "allow = tool:x if roles has a b\n", "t.conf:11: allow: \"b\": expected and" },
	{ HEAD "allow = tool:x if roles has a and\n", "t.conf:11: allow: expected CLAIM has VALUE or CLAIM eq VALUE" },
	{ HEAD "allow = tool:x if roles has a and and\n", "t.conf:11: allow: expected CLAIM has VALUE or CLAIM eq VALUE" },
	{ HEAD "allow = tool:x if roles has a scope=b\n", "t.conf:11: allow: \"scope=b\": expected and" },
	{ HEAD "allow = tool:x if roles has \"\"\n", "t.conf:11: allow: empty value" },
	{ HEAD "allow = tool:x if roles has a\"b\"\n", "t.conf:11: allow: value \"a\"b\"\": quote a value whole" },
	{ HEAD "allow = tool:x if roles has \"a\n", "t.conf:11: allow: unterminated quote" },
	{ HEAD "allow = tool:x if roles has \x01\n", "t.conf:11: allow: value holds a control character" },
	{ HEAD "allow = tool:x if .roles has a\n", "t.conf:11: allow: \".roles\": empty claim name (write \".\" inside quotes)" },
	{ HEAD "allow = tool:x if roles. has a\n", "t.conf:11: allow: \"roles.\": claim path ends with ." },
	{ HEAD "allow = tool:x if a..b has a\n", "t.conf:11: allow: \"a..b\": empty claim name (write \".\" inside quotes)" },
	{ HEAD "allow = tool:x if a/b has a\n", "t.conf:11: allow: \"a/b\": claim path: names are letters, digits, _ and -, or quoted, separated by ." },
	{ HEAD "allow = tool:x if a:b has a\n", "t.conf:11: allow: \"a:b\": claim path: names are letters, digits, _ and -, or quoted, separated by ." },
	{ HEAD "allow = tool:x if a[0] has a\n", "t.conf:11: allow: \"a[0]\": claim path: names are letters, digits, _ and -, or quoted, separated by ." },
	{ HEAD "allow = tool:x if \"a\"b has a\n", "t.conf:11: allow: \"\"a\"b\": claim path: names are letters, digits, _ and -, or quoted, separated by ." },
	{ HEAD "allow = tool:x if a.\"b has c\n", "t.conf:11: allow: unterminated quote" },
	{ HEAD "allow = tool:x if \"a\\b\" has c\n", "t.conf:11: allow: \"\"a\\b\"\": quoted claim name may hold only printable ASCII but \\" },
	{ HEAD "allow = tool:x if \"\" has a\n", "t.conf:11: allow: \"\"\"\": empty claim name (write \".\" inside quotes)" },
	{ HEAD "allow = tool:x if a.b.c.d.e.f.g.h.i has c\n", "t.conf:11: allow: \"a.b.c.d.e.f.g.h.i\": claim path deeper than 8" },
	{ HEAD "allow = tool:x if \xc3\xa9 has c\n", "t.conf:11: allow: \"\xc3\xa9\": claim path: names are letters, digits, _ and -, or quoted, separated by ." },
	{ HEAD "allow = tool:x if a has 1 and a has 2 and a has 3 and a has 4 "
	    "and a has 5 and a has 6 and a has 7 and a has 8 and a has 9\n",
	    "t.conf:11: allow: more than 8 conditions" },
	{ HEAD "mode = audit\nallow = tool:x\n", "t.conf:11: mode: \"audit\" is not enforce or permissive" },
	{ HEAD "mode = Enforce\nallow = tool:x\n", "t.conf:11: mode: \"Enforce\" is not enforce or permissive" },
	{ HEAD "tasks = allow\nallow = tool:x\n", "t.conf:11: tasks: \"allow\" is not pass or deny" },
	{ HEAD "other_methods = yes\nallow = tool:x\n", "t.conf:11: other_methods: \"yes\" is not pass or deny" },
	{ HEAD "mode = enforce\nmode = enforce\n", "t.conf:12: \"mode\" given twice in [policy p]" },
	{ HEAD "colour = blue\n", "t.conf:11: unknown key \"colour\" in [policy p]" },
	{ HEAD "rules = tool:x\n", "t.conf:11: unknown key \"rules\" in [policy p]" },
	{ HEAD "allow = tool:x\n[policy p]\n", "t.conf:12: [policy p] given twice" },
	{ HEAD "allow = tool:x\n[policy two words]\n", "t.conf:12: [policy NAME]: bad name \"two words\"" },
	{ HEAD "allow = tool:x\n[policy]\n", "t.conf:12: unknown section [policy]" },
	{ SRV "route = /mcp http://127.0.0.1:8000/mcp auth=a policy=q\n" TAIL,
	    "t.conf:1: [server s]: route /mcp: no [policy q]" },
	{ SRV "route = /mcp http://127.0.0.1:8000/mcp auth=a policy=\n" TAIL,
	    "t.conf:3: route: policy= needs the name of a [policy NAME] section" },
	{ SRV "route = /mcp http://127.0.0.1:8000/mcp policy=p\n",
	    "t.conf:3: route: policy= needs auth= (its rules read the verified token)" },
	{ SRV "route = /mcp http://127.0.0.1:8000/mcp auth=a policy=p policy=q\n",
	    "t.conf:3: route: expected \"PREFIX URL [auth=NAME] [policy=NAME] [ratelimit=NAME] [semicolons=allow]\"" },
	{ SRV "route = /mcp http://127.0.0.1:8000/mcp auth=a Policy=p\n",
	    "t.conf:3: route: expected \"PREFIX URL [auth=NAME] [policy=NAME] [ratelimit=NAME] [semicolons=allow]\"" },
	{ SRV "route = /mcp http://127.0.0.1:8000/mcp auth=a policy=p x=y\n",
	    "t.conf:3: route: expected \"PREFIX URL [auth=NAME] [policy=NAME] [ratelimit=NAME] [semicolons=allow]\"" },
	{ SRV "route = /mcp http://127.0.0.1:8000/mcp auth=a policy=p\n" TAIL
	    "scopes_supported = mcp:tools\n"
	    "[policy p]\nallow = tool:y\nallow = tool:x scope=mcp:admin\n",
	    "t.conf:12: allow: scope \"mcp:admin\" is not in scopes_supported of [auth a] (route /mcp)" },
	{ TAIL "allow = tool:x\n", "t.conf:6: unknown key \"allow\" in [auth a]" },
	{ "[mcpproxyd]\nmax_claim_values = 0\n" HEAD "allow = tool:x\n",
	    "t.conf:2: max_claim_values: \"0\" is not a number from 1 to 1024" },
	{ "[mcpproxyd]\nmax_claim_values = 1025\n" HEAD "allow = tool:x\n",
	    "t.conf:2: max_claim_values: \"1025\" is not a number from 1 to 1024" },
	{ "[mcpproxyd]\nmax_claim_bytes = 63\n" HEAD "allow = tool:x\n",
	    "t.conf:2: max_claim_bytes: \"63\" is not a number from 64 to 16384" },
	{ "[mcpproxyd]\nmax_claim_bytes = 16385\n" HEAD "allow = tool:x\n",
	    "t.conf:2: max_claim_bytes: \"16385\" is not a number from 64 to 16384" },
	{ "[mcpproxyd]\nmax_claim_bytes = 2k\n" HEAD "allow = tool:x\n",
	    "t.conf:2: max_claim_bytes: \"2k\" is not a number from 64 to 16384" },
};

static char	 dir[] = "/tmp/mcpproxyd-policy-XXXXXX";

/* The bounds on rules and claim paths, too long to write as rows. */
static void
test_limits(void)
{
	struct config	 conf;
	char		*text, err[1024], want[128];
	size_t		 i, off;

	text = malloc(64 * 1024);
	off = (size_t)sprintf(text, "%s", HEAD);
	for (i = 0; i < POLICY_MAX_RULES + 1; i++)
		off += (size_t)sprintf(text + off, "deny = tool:t%zu\n", i);
	CHECK(conf_load_text(text, &conf, err, sizeof(err)) == -1 && !strcmp(err,
	    "t.conf:139: [policy p]: more than 128 rules"), "rules: %s", err);
	off = (size_t)sprintf(text, "%s", HEAD);
	for (i = 0; i < CLAIMS_MAX_PATHS + 1; i++)
		off += (size_t)sprintf(text + off, "deny = tool:t if c%zu "
		    "has x\n", i % (CLAIMS_MAX_PATHS + 1));
	snprintf(want, sizeof(want), "t.conf:%d: deny: \"c32\": more than "
	    "32 claim paths in all policies", 11 + CLAIMS_MAX_PATHS);
	CHECK(conf_load_text(text, &conf, err, sizeof(err)) == -1 && !strcmp(err,
	    want), "paths: %s", err);
	/* the same path named twice is one path; a."b" is a.b */
	off = (size_t)sprintf(text, "%s", HEAD);
	for (i = 0; i < 40; i++)
		off += (size_t)sprintf(text + off, "deny = tool:t if %s "
		    "has x\n", i % 2 ? "a.b" : "a.\"b\"");
	CHECK(conf_load_text(text, &conf, err, sizeof(err)) == 0, "same path: %s", err);
	if (err[0] == '\0') {
		CHECK(conf.claimset.npaths == 1, "npaths %zu",
		    conf.claimset.npaths);
		config_free(&conf);
	}
	free(text);
}

/* The evaluation policy: rule N is on line 10 + N. */
#define EVAL	"[mcpproxyd]\nmax_claim_values = 64\n" \
	"[server s]\nlisten = 127.0.0.1:9000\n" \
	"route = /mcp http://127.0.0.1:8000/mcp auth=a policy=p\n" \
	"[auth a]\nissuer = kc\naudiences = x\nrequired_scopes = mcp:tools\n" \
	"[policy p]\n" \
	"allow = tool:echo if realm_access.roles has mcp-echo\n" \
	"allow = tool:get-* scope=mcp:tools\n" \
	"deny = tool:admin-wipe\n" \
	"allow = tool:admin-* scope=mcp:admin,mcp:tools if realm_access.roles has admin\n" \
	"allow = prompt:* if groups has staff\n" \
	"allow = resource:file:///public/*\n" \
	"allow = tool:add if sub eq test-user\n" \
	"allow = tool:printEnv if nested.key eq value\n" \
	"allow = tool:kc if resource_access.\"my-client.example\".roles has reader and azp eq my-client.example\n" \
	"deny = tool:* if groups has contractors\n" \
	"allow = tool:roles if roles has admin\n" \
	"allow = tool:flag if email_verified eq true and tenant eq 42\n" \
	"allow = tool:scp if scope has extra\n" \
	"[issuer kc]\nissuer = https://kc.example\n"

#define EITAN	"{\"sub\":\"eitan\",\"realm_access\":{\"roles\":[\"default-roles-my-realm\",\"mcp-echo\"]}}"
#define NOA	"{\"sub\":\"noa\",\"realm_access\":{\"roles\":[\"default-roles-my-realm\"]}}"
#define ADMIN	"{\"realm_access\":{\"roles\":[\"admin\"]}}"
#define NONE	NULL	/* no verified token */

static const struct {
	const char		*method, *name;
	const char		*payload;	/* NULL: no claims */
	const char		*scope;		/* granted */
	enum policy_verdict	 want;
	int			 rule;		/* 1..; 0: none decided */
	const char		*challenge;	/* NEED_SCOPE's scope */
} rows[] = {
	{ "tools/call", "echo", EITAN, "mcp:tools", POLICY_ALLOW, 1, NULL },
	{ "tools/call", "echo", NOA, "mcp:tools", POLICY_DENY, 0, NULL },
	{ "tools/call", "echo", NONE, NULL, POLICY_DENY, 0, NULL },
	{ "tools/call", "Echo", EITAN, "mcp:tools", POLICY_DENY, 0, NULL },
	{ "tools/call", "echo ", EITAN, "mcp:tools", POLICY_DENY, 0, NULL },
	{ "tools/call", "get-sum", EITAN, "", POLICY_NEED_SCOPE, 2, "mcp:tools" },
	{ "tools/call", "get-sum", NONE, NULL, POLICY_NEED_SCOPE, 2, "mcp:tools" },
	{ "tools/call", "get-sum", NOA, "openid mcp:tools", POLICY_ALLOW, 2, NULL },
	{ "tools/call", "get-sum", NOA, "mcp:toolsx", POLICY_NEED_SCOPE, 2, "mcp:tools" },
	{ "tools/call", "admin-wipe", ADMIN, "mcp:tools mcp:admin", POLICY_DENY, 3, NULL },
	{ "tools/call", "admin-x", ADMIN, "mcp:tools", POLICY_NEED_SCOPE, 4, "mcp:tools mcp:admin" },
	{ "tools/call", "admin-x", ADMIN, "", POLICY_NEED_SCOPE, 4, "mcp:tools mcp:admin" },
	{ "tools/call", "admin-x", ADMIN, "mcp:admin mcp:tools", POLICY_ALLOW, 4, NULL },
	{ "tools/call", "admin-x", NOA, "mcp:admin mcp:tools", POLICY_DENY, 0, NULL },
	{ "prompts/get", "greet", "{\"groups\":[\"staff\"]}", "", POLICY_ALLOW, 5, NULL },
	{ "prompts/get", "greet", "{\"groups\":\"devs staff\"}", "", POLICY_ALLOW, 5, NULL },
	{ "prompts/get", "greet", "{\"groups\":\"staffers\"}", "", POLICY_DENY, 0, NULL },
	{ "prompts/get", "greet", "{\"groups\":[\"devs staff\"]}", "", POLICY_DENY, 0, NULL },
	{ "prompts/get", "greet", EITAN, "", POLICY_DENY, 0, NULL },
	{ "tools/call", "greet", "{\"groups\":[\"staff\"]}", "", POLICY_DENY, 0, NULL },
	{ "resources/read", "file:///public/a.txt", NOA, "", POLICY_ALLOW, 6, NULL },
	{ "resources/subscribe", "file:///public/a.txt", NONE, NULL, POLICY_ALLOW, 6, NULL },
	{ "resources/read", "file:///private/a", EITAN, "", POLICY_DENY, 0, NULL },
	{ "resources/read", "file:///public/../etc/passwd", NOA, "", POLICY_DENY, 0, NULL },
	{ "resources/read", "file:///public/%2e%2E/etc/passwd", NOA, "", POLICY_DENY, 0, NULL },
	{ "resources/read", "file:///public/.%2e/x", NOA, "", POLICY_DENY, 0, NULL },
	{ "resources/read", "file:///public/./a", NOA, "", POLICY_DENY, 0, NULL },
	{ "resources/read", "file:///public/a/..", NOA, "", POLICY_DENY, 0, NULL },
	{ "resources/read", "file:///public/a/..?x", NOA, "", POLICY_DENY, 0, NULL },
	{ "resources/read", "file:///public/..\\x", NOA, "", POLICY_DENY, 0, NULL },
	{ "resources/read", "file:///public/a..b", NOA, "", POLICY_ALLOW, 6, NULL },
	{ "resources/read", "file:///public/.hidden", NOA, "", POLICY_ALLOW, 6, NULL },
	{ "resources/read", "file:///public/...", NOA, "", POLICY_ALLOW, 6, NULL },
	{ "resources/read", "file:///public/x#..", NOA, "", POLICY_ALLOW, 6, NULL },
	{ "prompts/get", "file:///public/a.txt", EITAN, "", POLICY_DENY, 0, NULL },
	{ "tools/call", "add", "{\"sub\":\"test-user\"}", "", POLICY_ALLOW, 7, NULL },
	{ "tools/call", "add", "{\"sub\":\"test-user2\"}", "", POLICY_DENY, 0, NULL },
	{ "tools/call", "add", "{\"sub\":[\"test-user\"]}", "", POLICY_DENY, 0, NULL },
	{ "tools/call", "printEnv", "{\"nested\":{\"key\":\"value\"}}", "", POLICY_ALLOW, 8, NULL },
	{ "tools/call", "printEnv", "{\"nested\":{\"key\":[\"value\"]}}", "", POLICY_DENY, 0, NULL },
	{ "tools/call", "printEnv", "{\"nested\":\"key\"}", "", POLICY_DENY, 0, NULL },
	{ "tools/call", "printEnv", "{\"nested.key\":\"value\"}", "", POLICY_DENY, 0, NULL },
	{ "tools/call", "kc", "{\"azp\":\"my-client.example\",\"resource_access\":{\"my-client.example\":{\"roles\":[\"reader\"]}}}", "", POLICY_ALLOW, 9, NULL },
	{ "tools/call", "kc", "{\"azp\":\"other\",\"resource_access\":{\"my-client.example\":{\"roles\":[\"reader\"]}}}", "", POLICY_DENY, 0, NULL },
	{ "tools/call", "kc", "{\"azp\":\"my-client.example\",\"resource_access\":{\"my-client\":{\"example\":{\"roles\":[\"reader\"]}}}}", "", POLICY_DENY, 0, NULL },
	{ "tools/call", "anything", "{\"groups\":[\"a\",\"contractors\"]}", "", POLICY_DENY, 10, NULL },
	{ "tools/call", "get-x", "{\"groups\":[\"contractors\"]}", "mcp:tools", POLICY_ALLOW, 2, NULL },
	{ "tools/call", "roles", "{\"roles\":[\"admin\"]}", "", POLICY_ALLOW, 11, NULL },
	{ "tools/call", "roles", "{\"roles\":\"admin\"}", "", POLICY_ALLOW, 11, NULL },
	{ "tools/call", "roles", "{\"roles\":\"superadmin\"}", "", POLICY_DENY, 0, NULL },
	{ "tools/call", "roles", "{\"roles\":[\"Admin\"]}", "", POLICY_DENY, 0, NULL },
	{ "tools/call", "roles", "{\"roles\":[\"admin \"]}", "", POLICY_DENY, 0, NULL },
	{ "tools/call", "roles", "{\"roles\":{\"admin\":true}}", "", POLICY_DENY, 0, NULL },
	{ "tools/call", "roles", "{\"realm_access\":{\"roles\":[\"admin\"]}}", "", POLICY_DENY, 0, NULL },
	{ "tools/call", "flag", "{\"email_verified\":true,\"tenant\":42}", "", POLICY_ALLOW, 12, NULL },
	{ "tools/call", "flag", "{\"email_verified\":false,\"tenant\":42}", "", POLICY_DENY, 0, NULL },
	{ "tools/call", "flag", "{\"email_verified\":true,\"tenant\":42.0}", "", POLICY_DENY, 0, NULL },
	{ "tools/call", "flag", "{\"email_verified\":true,\"tenant\":null}", "", POLICY_DENY, 0, NULL },
	{ "tools/call", "flag", "{\"email_verified\":true}", "", POLICY_DENY, 0, NULL },
	{ "tools/call", "scp", "{\"scope\":\"openid extra\"}", "", POLICY_ALLOW, 13, NULL },
	{ "tools/call", "scp", "{\"scope\":\"openid extras\"}", "", POLICY_DENY, 0, NULL },
	{ "tools/call", NULL, EITAN, "", POLICY_DENY, 0, NULL },
	/* not governed, or governed by method */
	{ "initialize", NULL, NONE, NULL, POLICY_PASS, 0, NULL },
	{ "ping", NULL, NONE, NULL, POLICY_PASS, 0, NULL },
	{ "notifications/initialized", NULL, NONE, NULL, POLICY_PASS, 0, NULL },
	{ "notifications/cancelled", NULL, NOA, NULL, POLICY_PASS, 0, NULL },
	{ "server/discover", NULL, NONE, NULL, POLICY_PASS, 0, NULL },
	{ "subscriptions/listen", NULL, NONE, NULL, POLICY_PASS, 0, NULL },
	{ "completion/complete", NULL, NONE, NULL, POLICY_PASS, 0, NULL },
	{ "logging/setLevel", NULL, NONE, NULL, POLICY_PASS, 0, NULL },
	{ "resources/unsubscribe", "file:///private/a", NOA, NULL, POLICY_PASS, 0, NULL },
	{ NULL, NULL, NONE, NULL, POLICY_PASS, 0, NULL },
	{ "", NULL, NONE, NULL, POLICY_PASS, 0, NULL },
	{ "tools/list", NULL, NOA, NULL, POLICY_PASS, 0, NULL },
	{ "prompts/list", NULL, NOA, NULL, POLICY_PASS, 0, NULL },
	{ "resources/list", NULL, NOA, NULL, POLICY_PASS, 0, NULL },
	{ "resources/templates/list", NULL, NOA, NULL, POLICY_PASS, 0, NULL },
	{ "tasks/get", NULL, NOA, NULL, POLICY_PASS, 0, NULL },
	{ "tasks/result", NULL, NOA, NULL, POLICY_PASS, 0, NULL },
	{ "tasks/list", NULL, NOA, NULL, POLICY_PASS, 0, NULL },
	{ "tasks/cancel", NULL, NOA, NULL, POLICY_PASS, 0, NULL },
	{ "tasks/other", NULL, NOA, NULL, POLICY_DENY, 0, NULL },
	{ "vendor/exec", "echo", EITAN, NULL, POLICY_DENY, 0, NULL },
	{ "Tools/call", "echo", EITAN, NULL, POLICY_DENY, 0, NULL },
	{ "tools/call/", "echo", EITAN, NULL, POLICY_DENY, 0, NULL },
	{ "notifications", NULL, EITAN, NULL, POLICY_DENY, 0, NULL },
};

/* A claims record of payload for conf (NULL for no payload). */
static struct claims *
claims_of(const struct config *conf, const char *payload)
{
	struct claims	*c;
	json_t		*j;

	if (payload == NULL)
		return (NULL);
	c = calloc(1, claims_size(&conf->claimset));
	j = json_loads(payload, JSON_REJECT_DUPLICATES, NULL);
	CHECK(j != NULL, "payload %s", payload);
	claims_extract(&conf->claimset, j, c);
	json_decref(j);
	return (c);
}

/* The decision rows on the evaluation policy. */
static void
test_decide(void)
{
	struct config		 conf;
	struct policy_ctx	 c;
	struct policy_decision	 d;
	struct claims		*cl;
	char			 err[1024];
	size_t			 i;
	int			 line;

	CHECK(conf_load_text(EVAL, &conf, err, sizeof(err)) == 0, "eval: %s", err);
	if (err[0] != '\0')
		return;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		cl = claims_of(&conf, rows[i].payload);
		c = (struct policy_ctx){ conf.policies[0], &conf.auths[0], cl,
		    rows[i].scope };
		policy_decide(&c, rows[i].method, rows[i].name, &d);
		line = d.rule ? d.rule->line - 10 : 0;
		CHECK(d.verdict == rows[i].want && line == rows[i].rule &&
		    d.enforce == 1, "row %zu (%s %s): got %s rule %d, want "
		    "%s rule %d", i, rows[i].method ? rows[i].method : "-",
		    rows[i].name ? rows[i].name : "-",
		    policy_verdict_text(d.verdict), line,
		    policy_verdict_text(rows[i].want), rows[i].rule);
		if (rows[i].challenge != NULL)
			CHECK(!strcmp(d.scope, rows[i].challenge), "row %zu: "
			    "scope \"%s\", want \"%s\"", i, d.scope,
			    rows[i].challenge);
		CHECK(d.why != NULL, "row %zu: no why", i);
		if (d.rule != NULL) {
			char want[256], got[256];

			snprintf(want, sizeof(want), "t.conf:%d: %s",
			    d.rule->line, d.rule->text);
			CHECK(!strcmp(policy_decider(c.pol, &d, got,
			    sizeof(got)), want) && !strncmp(d.rule->text,
			    d.rule->allow ? "allow = " : "deny = ",
			    d.rule->allow ? 8 : 7), "row %zu: decider %s", i,
			    got);
		}
		free(cl);
	}
	printf("decide: %zu rows\n", sizeof(rows) / sizeof(rows[0]));
	config_free(&conf);
}

static const struct {
	const char	*kind, *name, *payload, *scope;
	int		 keep;
} vis[] = {
	{ "tool", "echo", EITAN, "mcp:tools", 1 },
	{ "tool", "echo", NOA, "mcp:tools", 0 },
	{ "tool", "get-sum", NOA, "", 1 },		/* only a scope lacks */
	{ "tool", "get-sum", NONE, NULL, 1 },
	{ "tool", "admin-x", ADMIN, "mcp:tools", 1 },	/* step-up possible */
	{ "tool", "admin-x", NOA, "mcp:tools mcp:admin", 0 },	/* claims */
	{ "tool", "admin-wipe", ADMIN, "mcp:tools mcp:admin", 0 },
	{ "tool", "other", EITAN, "mcp:tools", 0 },
	{ "prompt", "greet", "{\"groups\":[\"staff\"]}", "", 1 },
	{ "prompt", "greet", NOA, "", 0 },
	{ "resource", "file:///public/a", NOA, "", 1 },
	{ "resource", "file:///public/{path}", NOA, "", 1 },	/* template */
	{ "resource", "file:///etc/passwd", NOA, "", 0 },
	{ "tool", "file:///public/a", NOA, "", 0 },
	{ "widget", "echo", EITAN, "mcp:tools", 0 },
	{ NULL, "echo", EITAN, "mcp:tools", 0 },
	{ "tool", NULL, EITAN, "mcp:tools", 0 },
	{ "Tool", "echo", EITAN, "mcp:tools", 0 },
};

/* List visibility: hidden when denied by claims, kept for a scope. */
static void
test_visible(void)
{
	struct config		 conf;
	struct policy_ctx	 c;
	struct claims		*cl;
	char			 err[1024];
	size_t			 i;

	CHECK(conf_load_text(EVAL, &conf, err, sizeof(err)) == 0, "eval: %s", err);
	if (err[0] != '\0')
		return;
	for (i = 0; i < sizeof(vis) / sizeof(vis[0]); i++) {
		cl = claims_of(&conf, vis[i].payload);
		c = (struct policy_ctx){ conf.policies[0], &conf.auths[0], cl,
		    vis[i].scope };
		CHECK(policy_keep(&c, vis[i].kind, vis[i].name) ==
		    vis[i].keep, "visible %zu: %s %s", i, vis[i].kind ?
		    vis[i].kind : "-", vis[i].name ? vis[i].name : "-");
		free(cl);
	}
	/* no policy: everything stays and passes */
	c = (struct policy_ctx){ NULL, NULL, NULL, NULL };
	CHECK(policy_keep(&c, "tool", "anything") == 1, "no policy keeps");
	config_free(&conf);
}

/* mode = permissive: the verdict stands, enforce is 0, lists whole. */
static void
test_permissive(void)
{
	struct config		 conf;
	struct policy_ctx	 c;
	struct policy_decision	 d;
	struct claims		*cl;
	char			 err[1024];

	CHECK(conf_load_text(HEAD "mode = permissive\ntasks = deny\n"
	    "allow = tool:echo if roles has admin\n", &conf, err,
	    sizeof(err)) == 0, "permissive: %s", err);
	if (err[0] != '\0')
		return;
	cl = claims_of(&conf, "{\"roles\":[\"user\"]}");
	c = (struct policy_ctx){ conf.policies[0], &conf.auths[0], cl, "" };
	policy_decide(&c, "tools/call", "echo", &d);
	CHECK(d.verdict == POLICY_DENY && d.enforce == 0, "permissive deny");
	policy_decide(&c, "tasks/get", NULL, &d);
	CHECK(d.verdict == POLICY_DENY && d.enforce == 0 && d.rule == NULL &&
	    !strcmp(d.why, "tasks = deny"), "permissive tasks");
	CHECK(!strcmp(policy_decider(c.pol, &d, err, sizeof(err)),
	    "tasks = deny"), "decider: %s", err);
	policy_decide(&c, "vendor/x", NULL, &d);
	CHECK(d.verdict == POLICY_DENY && !strcmp(d.why,
	    "other_methods = deny"), "other methods deny by default");
	CHECK(policy_keep(&c, "tool", "echo") == 1, "permissive keeps");
	free(cl);
	config_free(&conf);
}

/* Claims cut short by the bounds: a deny matches, an allow does not. */
static void
test_truncated(void)
{
	struct config		 conf;
	struct policy_ctx	 c;
	struct policy_decision	 d;
	struct claims		*cl;
	char			 err[1024];

	CHECK(conf_load_text("[mcpproxyd]\nmax_claim_values = 2\n" HEAD
	    "deny = tool:* if groups has contractors\n"
	    "allow = tool:* if groups has staff\n", &conf, err,
	    sizeof(err)) == 0, "truncated: %s", err);
	if (err[0] != '\0')
		return;
	cl = claims_of(&conf, "{\"groups\":[\"a\",\"staff\",\"contractors\"]}");
	c = (struct policy_ctx){ conf.policies[0], &conf.auths[0], cl, "" };
	policy_decide(&c, "tools/call", "x", &d);
	CHECK(d.verdict == POLICY_DENY && d.unknown == 1 && d.rule != NULL &&
	    d.rule->line == 13, "unknown claim: deny rule matches");
	free(cl);
	/* found among the values kept: a plain false, no unknown */
	cl = claims_of(&conf, "{\"groups\":[\"staff\",\"b\",\"c\"]}");
	c.claims = cl;
	policy_decide(&c, "tools/call", "x", &d);
	CHECK(d.verdict == POLICY_DENY && d.unknown == 1, "staff kept, rest "
	    "unknown: the deny still matches first");
	free(cl);
	cl = claims_of(&conf, "{\"groups\":[\"staff\"]}");
	c.claims = cl;
	policy_decide(&c, "tools/call", "x", &d);
	CHECK(d.verdict == POLICY_ALLOW && d.unknown == 0 && d.rule->line ==
	    14, "all kept: allowed");
	free(cl);
	config_free(&conf);
	/* an allow rule never matches on an unknown */
	CHECK(conf_load_text("[mcpproxyd]\nmax_claim_values = 1\n" HEAD
	    "allow = tool:* if groups has staff\n", &conf, err,
	    sizeof(err)) == 0, "truncated allow: %s", err);
	if (err[0] != '\0')
		return;
	cl = claims_of(&conf, "{\"groups\":[\"a\",\"staff\"]}");
	c = (struct policy_ctx){ conf.policies[0], &conf.auths[0], cl, "" };
	policy_decide(&c, "tools/call", "x", &d);
	CHECK(d.verdict == POLICY_DENY && d.rule == NULL, "unknown: no allow");
	free(cl);
	config_free(&conf);
}

/* The step-up scope: required_scopes then the rule's, each once. */
static void
test_scope_string(void)
{
	struct config		 conf;
	struct policy_ctx	 c;
	struct policy_decision	 d, d2;
	char			 err[1024];

	CHECK(conf_load_text(SRV "route = /mcp http://127.0.0.1:8000/mcp auth=a "
	    "policy=p\n" TAIL "required_scopes = b, a\n[policy p]\n"
	    "allow = tool:x scope=a,c,b,c\nallow = tool:y scope=d\n",
	    &conf, err, sizeof(err)) == 0, "scope: %s", err);
	if (err[0] != '\0')
		return;
	c = (struct policy_ctx){ conf.policies[0], &conf.auths[0], NULL,
	    "b" };
	policy_decide(&c, "tools/call", "x", &d);
	CHECK(d.verdict == POLICY_NEED_SCOPE && !strcmp(d.scope, "b a c"),
	    "scope \"%s\"", d.scope);
	/* another caller, other scopes granted: the same text */
	c.scope = "a c zz";
	policy_decide(&c, "tools/call", "x", &d2);
	CHECK(d2.verdict == POLICY_NEED_SCOPE && !strcmp(d.scope, d2.scope),
	    "stable: \"%s\" \"%s\"", d.scope, d2.scope);
	c.scope = NULL;
	policy_decide(&c, "tools/call", "y", &d);
	CHECK(!strcmp(d.scope, "b a d"), "scope y \"%s\"", d.scope);
	config_free(&conf);
}

static const struct {
	const char	*pattern, *name;
	int		 match;
} globs[] = {
	{ "*", "", 1 }, { "*", "anything/at all", 1 }, { "a*", "a", 1 },
	{ "*b", "ab", 1 }, { "a*c", "abc", 1 }, { "a*c", "ac", 1 },
	{ "a*c", "ab", 0 }, { "a*c", "abcd", 0 }, { "a*b*c", "aXbYc", 1 },
	{ "a*b*c", "aXcYb", 0 }, { "echo", "echo", 1 }, { "echo", "echo2", 0 },
	{ "echo", "ech", 0 }, { "echo", "", 0 }, { "", "", 1 }, { "", "a", 0 },
	{ "get-*", "get-", 1 }, { "get-*", "get", 0 }, { "**", "x", 1 },
	{ "a**b", "ab", 1 }, { "*a*a*a", "aaa", 1 }, { "*a*a*a", "aa", 0 },
	{ "Echo", "echo", 0 }, { "e?ho", "echo", 0 }, { "e[c]ho", "echo", 0 },
	{ "*ab", "aab", 1 }, { "*aab", "aaab", 1 }, { "a*", "ba", 0 },
};

/* '*' and nothing else is special. */
static void
test_glob(void)
{
	size_t	 i;

	for (i = 0; i < sizeof(globs) / sizeof(globs[0]); i++)
		CHECK(policy_glob(globs[i].pattern, globs[i].name) ==
		    globs[i].match, "glob \"%s\" \"%s\"", globs[i].pattern,
		    globs[i].name);
}

int
main(void)
{
	if (mkdtemp(dir) == NULL || chdir(dir) == -1)
		return (2);
	conf_table("parse", cases, sizeof(cases) / sizeof(cases[0]),
	    conf_load_text);
	test_limits();
	test_decide();
	test_visible();
	test_permissive();
	test_truncated();
	test_scope_string();
	test_glob();
	unlink("t.conf");
	rmdir(dir);
	return (unit_done("mcpproxyd_policy"));
}
