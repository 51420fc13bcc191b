/*
 * The request pipeline: the stages in order, each in its own module
 * and none calling back up.  A stage returns XR_NEXT to let the next
 * one run, or says how it ended the exchange (see enum xresult in
 * mcpproxyd.h); answers go out through reply.c, the exchange with the
 * upstream through proxy.c.
 */
#include <sys/types.h>

#include <string.h>
#include <time.h>

#include "mcpproxyd.h"
#include "tls.h"

/*
 * The stages after the head is read (head.c's head_read, called by
 * worker.c), in order.  A new stage goes in its place here: one that
 * acts on the MCP message (tool rules) after mcp_read.
 */
static enum xresult (*const stages[])(struct exchange *) = {
	head_parse,		/* head.c: the head, 400 and friends */
	admit_client,		/* admit.c: client identity, 429 */
	route_target,		/* route.c: the canonical target */
	origin_check,		/* origin.c: Host, Origin, preflight */
	provider_handle,	/* provider.c: AS metadata, registration */
	auth_metadata,		/* auth.c: protected resource metadata */
	route_select,		/* route.c: the route, 404 */
	throttle_address,	/* throttle.c: address rate limits, 429 */
	auth_request,		/* auth.c: the bearer token, 401/403 */
	body_read,		/* body.c: the body, 400/408/413 */
	mcp_read,		/* mcp.c: the JSON-RPC message, once; 400 */
	throttle_caller,	/* throttle.c: caller rate limits, 429 */
	authz_decide,		/* authz.c: the route's policy, 403 or a
				   JSON-RPC error */
	admit_stream,		/* admit.c: event streams, 429/503 */
};

/* Forget the previous request on the connection. */
static void
request_reset(struct exchange *x)
{
	memset(&x->log, 0, sizeof(x->log));
	x->extra[0] = '\0';
	clock_gettime(CLOCK_REALTIME, &x->log.start);
	x->log.client = x->peertext;
	x->log.tls = x->tls != NULL ? tls_version(x->tls) : NULL;
	x->origin = NULL;
	x->keepalive = 0;
	x->stream = 0;
	x->rt = NULL;
	memset(&x->req, 0, sizeof(x->req));
	mcp_forget(x);
}

/*
 * Serve the request whose head is in x->head: the stages in order,
 * until one answers or all let it pass (or provider.c hands over a
 * registration), then forward it (proxy.c).  Returns XR_KEEP when the
 * connection may serve another request, XR_CLOSE when it must close.
 */
enum xresult
request_handle(struct exchange *x)
{
	enum xresult	 rv = XR_NEXT;
	size_t		 i;

	request_reset(x);
	for (i = 0; i < sizeof(stages) / sizeof(stages[0]); i++)
		if ((rv = stages[i](x)) != XR_NEXT)
			break;
	if (rv != XR_NEXT && rv != XR_FORWARD)
		return (rv);
	if (!x->stream)
		scoreboard_set(x->sb, x->slot, SLOT_PROXY);
	return (proxy_forward(x));
}
