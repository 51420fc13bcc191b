/*
 * Admission stages: one client may not take the pool.  Per request,
 * the client's identity (ident.c) keys the worker's scoreboard slot
 * and, behind a trusted proxy, max_conns_per_client is checked per
 * forwarded client; a long-lived event stream is admitted only within
 * stream_share of the pool and max_streams_per_client.
 */
#include <sys/types.h>

#include <string.h>
#include <strings.h>

#include "mcpproxyd.h"

/*
 * Stage: name the request's client (ident.c) and key the slot on it.
 * At accept time only the proxy's address was known, and the proxy's
 * own connections are not capped: behind a trusted proxy the cap is
 * checked here.  429 closes the connection.
 */
enum xresult
admit_client(struct exchange *x)
{
	int	 max = x->conf->max_conns_per_client;

	ident_client(x);
	x->log.client = x->clienttext;
	x->sb->slot[x->slot].client = x->client;
	if (x->trusted && max > 0 &&
	    scoreboard_conns_from(x->sb, &x->client) > max) {
		x->keepalive = 0;
		reply_error(x, 429, "too many connections from this address");
		return (XR_CLOSE);
	}
	return (XR_NEXT);
}

/* Does a comma list (Accept) name this media type? */
static int
accepts(const char *accept, const char *type)
{
	size_t		 n = strlen(type);
	const char	*p;

	for (p = accept; p != NULL && (p = strcasestr(p, type)) != NULL;
	    p += n)
		if ((p == accept || p[-1] == ',' || p[-1] == ' ') &&
		    (p[n] == '\0' || p[n] == ',' || p[n] == ';' || p[n] == ' '))
			return (1);
	return (0);
}

/*
 * Is the request a long-lived event stream?  A GET asking for
 * text/event-stream (2025-06-18, 2025-11-25), or a POST of
 * subscriptions/listen (2026-07-28), known from its method before it
 * is forwarded.  A tools/call answered as SSE is an ordinary exchange,
 * however long.
 */
static int
is_stream(const struct exchange *x)
{
	const struct http_request	*r = &x->req;
	const char			*accept;

	if (!strcmp(r->method, "POST"))
		return (x->rpcok && x->rpc.kind == JSONRPC_REQUEST &&
		    !strcmp(x->rpc.method, "subscriptions/listen"));
	accept = http_header_get(r->hdr, r->nhdr, "Accept");
	return (!strcmp(r->method, "GET") && accept != NULL &&
	    accepts(accept, "text/event-stream"));
}

/*
 * Stage: admit a long-lived event stream (429 over the client's
 * share, 503 over the pool's, before anything is forwarded); any other
 * request goes on as a plain exchange.
 */
enum xresult
admit_stream(struct exchange *x)
{
	const struct config		*conf = x->conf;
	int				 cap;

	if (!is_stream(x))
		return (XR_NEXT);
	cap = conf->max_workers * conf->stream_share / 100;
	if (cap < 1)
		cap = 1;
	if (scoreboard_streams_from(x->sb, &x->client) >=
	    conf->max_streams_per_client)
		return (reply_error(x, 429,
		    "too many streams from this address"));
	if (scoreboard_count(x->sb, SLOT_STREAM) >= cap)
		return (reply_error(x, 503,
		    "stream capacity reached; retry later"));
	scoreboard_set(x->sb, x->slot, SLOT_STREAM);
	x->stream = 1;
	if (x->on_stream != NULL)	/* the worker leaves the listeners */
		x->on_stream(x);
	return (XR_NEXT);
}
