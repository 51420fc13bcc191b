/*
 * The host and origin stage: DNS rebinding and cross-origin checks
 * (cors.c decides, reply.c answers), and CORS preflights.
 */
#include <sys/types.h>

#include <string.h>

#include "mcpproxyd.h"

/*
 * Stage: refuse a Host or an Origin the server does not allow (403),
 * answer a CORS preflight (OPTIONS with Access-Control-Request-Method).
 * From here on, errors carry CORS headers for an allowed origin.
 */
enum xresult
origin_check(struct exchange *x)
{
	const struct http_request	*r = &x->req;

	x->origin = http_header_get(r->hdr, r->nhdr, "Origin");
	/* a body we will not read makes the connection unusable */
	x->keepalive = r->keepalive && r->framing == HTTP_BODY_NONE &&
	    !worker_graceful;
	if (!host_allowed(x->srv, r->host, x->loopback,
	    addr_port(&x->local)))
		return (reply_error(x, 403, "host not allowed"));
	if (!origin_allowed(x->srv, x->origin, r->host, x->loopback)) {
		x->origin = NULL;	/* no CORS for a refused origin */
		return (reply_error(x, 403, "origin not allowed"));
	}
	if (!strcmp(r->method, "OPTIONS") && x->origin != NULL &&
	    http_header_get(r->hdr, r->nhdr, "Access-Control-Request-Method"))
		return (reply_preflight(x));
	return (XR_NEXT);
}
