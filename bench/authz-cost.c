/*
 * bench/authz-cost.c: the CPU cost per request of the one reading of a
 * tools/call body (jsonrpc_parse) and of the policy decision with the
 * eleven rules of bench/authz.env.  See bench/RESULTS.md for the command.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "mcpproxyd.h"
static const char *rules[] = {
 "1tool:admin-* scope=mcp:admin", "0tool:delete-* if realm_access.roles has guest",
 "1tool:get-* if groups has staff", "1tool:list-* if resource_access.\"mcp-client\".roles has reader",
 "1prompt:* if groups has staff", "1resource:file:///public/*", "1tool:search if azp eq mcp-client",
 "1tool:add if sub eq test-user", "1tool:printEnv if nested.key eq value", "1tool:echo", "0tool:*" };
static double now(void){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec+t.tv_nsec/1e9;}
int main(void){
	static struct policy pol; static struct claimset cs; char err[256];
	struct policy_ctx c; struct policy_decision d; struct jsonrpc m; const char *why;
	struct jsonrpc_limits lim = { 64, 2048, 256 };
	const char *b = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"echo\",\"arguments\":{\"message\":\"bench\"}}}";
	size_t i, n = 2000000; double t0, t1, t2;
	for (i = 0; i < 11; i++) if (policy_rule_parse(&pol.rule[pol.nrules++], rules[i][0]=='1', rules[i]+1, &cs, err, sizeof err)) { printf("%s\n", err); return 1; }
	pol.name = "p"; memset(&c,0,sizeof c); c.pol=&pol; c.scope="mcp:tools";
	t0 = now();
	for (i = 0; i < n; i++) { jsonrpc_parse(b, strlen(b), &lim, &m, &why); jsonrpc_free(&m); }
	t1 = now();
	jsonrpc_parse(b, strlen(b), &lim, &m, &why);
	for (i = 0; i < n; i++) policy_decide(&c, m.method, jsonrpc_target(&m), &d);
	t2 = now();
	printf("jsonrpc_parse %.3f us, policy_decide (11 rules, echo by the 10th: %s) %.3f us\n",
	    (t1-t0)/n*1e6, policy_verdict_text(d.verdict), (t2-t1)/n*1e6);
	return 0;
}
