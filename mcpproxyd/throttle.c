/*
 * Rate-limit stages: charge the route's [ratelimit NAME] zones
 * (ratelimit.c) and answer 429 with Retry-After over a limit.
 *
 * One unit is one HTTP request on the route: one JSON-RPC call (or
 * notification, or response) per POST, one GET event stream when it
 * is opened (however long it lasts), one DELETE.  Zones keyed by
 * address charge every request before its token's signature is
 * checked, so a flood of forged tokens costs no signature checks
 * beyond the limit; zones keyed by caller charge after the body is
 * read, by (issuer, subject) when a token was verified and by address
 * when none was, and may count only tools/call of one tool or of each
 * tool apart.  Addresses are the one client identity of ident.c, IPv6
 * by its /64.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <stdio.h>
#include <string.h>

#include "mcpproxyd.h"
#include "ratelimit.h"

/* The JSON-RPC error code of a refused call (implementation-defined). */
#define THROTTLE_RPC_CODE	(-32029)

/* The client address as a key: IPv4 whole, IPv6 by its /64. */
static size_t
address_key(const struct exchange *x, unsigned char *buf)
{
	const struct sockaddr_storage	*ss = &x->client;

	buf[0] = 'a';
	if (ss->ss_family == AF_INET) {
		memcpy(buf + 1, &((const struct sockaddr_in *)ss)->sin_addr,
		    4);
		return (5);
	}
	if (ss->ss_family == AF_INET6) {
		buf[0] = 'A';
		memcpy(buf + 1, &((const struct sockaddr_in6 *)ss)->sin6_addr,
		    8);
		return (9);
	}
	return (1);		/* no address: one bucket for all such */
}

/*
 * The key of x in a caller zone: its issuer and verified subject, or
 * its address; with a per-tool zone, then the tool's name.  Returns
 * its length, 0 when the zone does not count this request.
 */
static size_t
caller_key(const struct exchange *x, const struct rlzone *z,
    unsigned char *buf, size_t size)
{
	const char	*tool = NULL;
	size_t		 n, sl, tl = 0;

	if (z->tool != NULL) {
		if (!x->rpcok || x->rpc.kind != JSONRPC_REQUEST ||
		    x->rpc.method == NULL ||
		    strcmp(x->rpc.method, "tools/call") != 0 ||
		    (tool = x->rpc.name) == NULL)
			return (0);
		if (strcmp(z->tool, "*") != 0 && strcmp(z->tool, tool) != 0)
			return (0);
		tl = strlen(tool);
	}
	if (x->rt->auth != NULL && x->authed) {
		const char *iss = x->rt->auth->iss->name;

		sl = strlen(x->sub);
		n = strlen(iss);
		/* bounded: issuer names 64, subjects sizeof(x->sub) */
		if (1 + n + 1 + sl + 1 > size)
			return (0);
		buf[0] = 's';
		memcpy(buf + 1, iss, n + 1);
		memcpy(buf + 2 + n, x->sub, sl + 1);
		n += 3 + sl;
	} else
		n = address_key(x, buf);
	/* a long tool name counts as its prefix: max_rpc_name bounds it */
	if (tl > size - n)
		tl = size - n;
	if (tl > 0)
		memcpy(buf + n, tool, tl);
	return (n + tl);
}

/* Answer 429 for zone z: Retry-After, and a JSON-RPC error. */
static enum xresult
refuse(struct exchange *x, const struct rlzone *z, const struct rlresult *r)
{
	size_t		 n = strlen(x->extra);
	enum xresult	 rv;

	snprintf(x->extra + n, sizeof(x->extra) - n, "Retry-After: %u\r\n",
	    r->retry);
	snprintf(x->log.authz, sizeof(x->log.authz), "rate:%.10s", z->name);
	rv = reply_rpc_error(x, 429, THROTTLE_RPC_CODE,
	    "rate limit exceeded; retry later");
	x->extra[n] = '\0';
	return (rv);
}

/* Charge the route's zones keyed so (or by caller); 429 over one. */
static enum xresult
charge(struct exchange *x, enum ratelimit_key key)
{
	unsigned char	 buf[1 + 64 + 1 + sizeof(x->sub) + 256];
	struct rlresult	 r;
	uint64_t	 now = 0;
	size_t		 i, n;

	for (i = 0; x->rt != NULL && i < x->rt->nratelimits; i++) {
		const struct rlzone *z = x->rt->ratelimits[i];

		if (z->key != key)
			continue;
		n = key == RL_KEY_ADDRESS ? address_key(x, buf) :
		    caller_key(x, z, buf, sizeof(buf));
		if (n == 0)
			continue;
		if (now == 0)
			now = ratelimit_now();
		ratelimit_charge(z, ratelimit_tag(z, buf, n), now, &r);
		if (!r.allowed)
			return (refuse(x, z, &r));
	}
	return (XR_NEXT);
}

/*
 * Stage: the route's address zones, before the token is checked (CPU
 * protection: a refused request costs no signature check).
 */
enum xresult
throttle_address(struct exchange *x)
{
	return (charge(x, RL_KEY_ADDRESS));
}

/*
 * Stage: the route's caller zones, after the token is verified and the
 * JSON-RPC message read (the tool of a per-tool zone).
 */
enum xresult
throttle_caller(struct exchange *x)
{
	return (charge(x, RL_KEY_CALLER));
}
