/*
 * Tool authorization on the request path (issue 13): the stage after
 * mcp_read applies the route's [policy] (policy.c) to the message mcp.c
 * read once, with the claims and scopes of the token auth.c verified.
 * A call the claims forbid gets HTTP 200 and a JSON-RPC error with the
 * request's id, so a client shows it as that call's error; a call that
 * lacks only a scope gets 403 insufficient_scope naming the scopes to
 * ask for (step-up).  Every denial is logged with the rule that decided
 * it and the caller's subject; the access log shows the verdict.
 */
#include <sys/types.h>

#include <stdio.h>
#include <string.h>

#include "log.h"
#include "mcpproxyd.h"
#include "metrics.h"

#define AUTHZ_DENY_MESSAGE	"forbidden by the proxy's policy"

/* s escaped for a log line (accesslog.c's text escaping), in buf. */
static const char *
loggable(const char *s, char *buf, size_t len)
{
	size_t	 n;

	if (s == NULL || *s == '\0')
		return ("-");
	n = accesslog_escape(buf, len - 1, s, 0);
	buf[n] = '\0';
	return (buf);
}

/* Log a denial (or what permissive mode let through) with its rule. */
static void
authz_log(const struct exchange *x, const struct policy *pol,
    const struct policy_decision *d)
{
	char	 rule[600], method[100], name[200], sub[200];

	log_info("%s: %s %s: %s %s: %s by %s (policy %s, sub %s)%s",
	    x->clienttext, x->req.method, x->logpath,
	    loggable(x->rpc.method, method, sizeof(method)),
	    loggable(jsonrpc_target(&x->rpc), name, sizeof(name)),
	    policy_verdict_text(d->verdict),
	    policy_decider(pol, d, rule, sizeof(rule)), pol->name,
	    loggable(x->authed ? x->sub : NULL, sub, sizeof(sub)),
	    d->enforce ? "" : "; passing (permissive)");
}

/*
 * Stage: decide the request's JSON-RPC message by the route's policy.
 * XR_NEXT when it may go on (no policy, not governed, allowed, or
 * permissive mode); else the result of the answer sent: 403
 * insufficient_scope (401 without a token) or 200 with JSON-RPC error
 * AUTHZ_DENY_CODE.
 */
enum xresult
authz_decide(struct exchange *x)
{
	const struct policy	*pol = x->rt != NULL ? x->rt->policy : NULL;
	struct policy_ctx	 c;
	struct policy_decision	 d;

	/* mcp.c refused what it could not read on a route with a policy */
	if (pol == NULL || !x->rpcok || x->rpc.kind == JSONRPC_RESPONSE)
		return (XR_NEXT);
	memset(&c, 0, sizeof(c));
	c.pol = pol;
	c.auth = x->rt->auth;
	c.claims = x->authed ? x->claims : NULL;
	c.scope = x->authed ? x->scope : NULL;
	policy_decide(&c, x->rpc.method, jsonrpc_target(&x->rpc), &d);
	if (d.verdict == POLICY_PASS || d.verdict == POLICY_ALLOW) {
		snprintf(x->log.authz, sizeof(x->log.authz), "%s",
		    policy_verdict_text(d.verdict));
		return (XR_NEXT);
	}
	authz_log(x, pol, &d);
	metrics_denied(pol->name, d.rule != NULL ? d.rule->line : 0,
	    (int)d.verdict);
	snprintf(x->log.authz, sizeof(x->log.authz), "%s%s",
	    d.enforce ? "" : "log-", policy_verdict_text(d.verdict));
	if (!d.enforce)
		return (XR_NEXT);
	if (d.verdict == POLICY_NEED_SCOPE)
		return (auth_challenge(x, x->authed ? 403 : 401,
		    x->authed ? "insufficient_scope" : NULL,
		    "the call needs another scope", d.scope));
	/* a notification has no id to answer: refuse it over HTTP */
	return (reply_rpc_error(x, x->rpc.kind == JSONRPC_REQUEST ? 200 : 403,
	    AUTHZ_DENY_CODE, AUTHZ_DENY_MESSAGE));
}
