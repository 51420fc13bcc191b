/*
 * The host and origin stage: DNS rebinding and cross-origin checks
 * (cors.c decides, reply.c answers), and CORS preflights.
 */
#include <sys/types.h>

#include <stdio.h>
#include <string.h>

#include "mcpproxyd.h"

/*
 * https_redirect: send a plain-HTTP client to the same target on https
 * with 308 (RFC 9110 15.4.9: method and body kept), at the Host it
 * asked for (allowed_hosts checked it: no open redirect) and the port
 * configured.  The body is not read: the connection closes after.
 */
static enum xresult
https_redirect(struct exchange *x)
{
	const struct http_request	*r = &x->req;
	char				 loc[2048 + 300], port[8] = "";
	size_t				 n;

	if (r->host == NULL || (n = host_part(r->host)) == 0 || n > 255)
		return (reply_error(x, 400, "https_redirect needs a Host"));
	if (x->srv->https_redirect != 443)
		snprintf(port, sizeof(port), ":%d", x->srv->https_redirect);
	if ((size_t)snprintf(loc, sizeof(loc), "Location: https://%.*s%s%s"
	    "\r\n", (int)n, r->host, port, r->target) >= sizeof(loc))
		return (reply_error(x, 414, "target too long to redirect"));
	x->keepalive = 0;
	return (reply_send(x, 308, loc, "", 0));
}

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
	if (x->tls == NULL && x->srv->https_redirect > 0)
		return (https_redirect(x));
	if (!origin_allowed(x->srv, x->origin, r->host, x->loopback,
	    x->tls != NULL)) {
		x->origin = NULL;	/* no CORS for a refused origin */
		return (reply_error(x, 403, "origin not allowed"));
	}
	if (!strcmp(r->method, "OPTIONS") && x->origin != NULL &&
	    http_header_get(r->hdr, r->nhdr, "Access-Control-Request-Method"))
		return (reply_preflight(x));
	return (XR_NEXT);
}
