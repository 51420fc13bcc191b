/*
 * The target stages: make the request target canonical (path.c) and
 * pick its route (path.c's route_find), answering 400 or 404.
 */
#include <sys/types.h>

#include <string.h>

#include "log.h"
#include "mcpproxyd.h"

/* Log path: the target without its query (it may hold secrets). */
static void
set_logpath(struct exchange *x)
{
	size_t	 n = strcspn(x->req.target, "?");

	if (n >= sizeof(x->logpath))
		n = sizeof(x->logpath) - 1;
	memcpy(x->logpath, x->req.target, n);
	x->logpath[n] = '\0';
	x->log.path = x->logpath;
}

/* Stage: the canonical target (RFC 3986 6.2.2); a bad one closes. */
enum xresult
route_target(struct exchange *x)
{
	const char	*why;

	if (strcmp(x->req.target, "*") != 0 && path_normalize(x->req.target,
	    x->srv->semicolons ? PATH_SEMICOLONS : 0, &why)) {
		log_info("%s: bad request: %s", x->peertext, why);
		reply_error(x, 400, why);
		return (XR_CLOSE);
	}
	set_logpath(x);
	return (XR_NEXT);
}

/*
 * Stage: the route for the target, in x->rt.  The server's health_path
 * (HAProxy's monitor-uri) is answered here, before any token: a load
 * balancer's check that the proxy answers on this listener.
 */
enum xresult
route_select(struct exchange *x)
{
	const char	*why;

	if (x->srv->health_path != NULL && !strcmp(x->req.target,
	    x->srv->health_path))
		return (reply_send(x, 200, "Content-Type: text/plain\r\n"
		    "Cache-Control: no-store\r\n", "ok\n", 3));
	if ((x->rt = route_find(x->srv, x->req.target, &why)) != NULL)
		return (XR_NEXT);
	if (why == NULL)
		return (reply_error(x, 404, "no route for this path"));
	log_info("%s: bad request: %s", x->peertext, why);
	return (reply_error(x, 400, why));
}
