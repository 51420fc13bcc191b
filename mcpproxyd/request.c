/*
 * One request from the client side: read its head and body within
 * their limits, apply the Host/Origin checks and CORS preflights, pick
 * the route, and answer errors with a short JSON body.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "log.h"
#include "mcpproxyd.h"


/* Discard CR/LF before a request line (RFC 9112 2.2). */
static void
skip_empty_lines(struct conn *c)
{
	while (c->off < c->len && (c->buf[c->off] == '\r' ||
	    c->buf[c->off] == '\n'))
		c->off++;
}

/*
 * Read a request head into the client buffer.  Returns 1 with *hlen
 * set, 0 when the client closed or idled out between requests, -1
 * after answering an error (408, 414, 431) or on a dead client.
 */
int
request_read_head(struct exchange *x, int first, size_t *hlen)
{
	struct conn		*c = x->cl;
	const struct config	*conf = x->conf;
	long long		 deadline = 0;
	size_t			 have;
	int			 n;

	for (;;) {
		skip_empty_lines(c);
		have = c->len - c->off;
		if (have > 0 && (*hlen = http_head_end(c->buf + c->off, have)))
			return (1);
		if (have > conf->lim.max_request_line &&
		    memchr(c->buf + c->off, '\n',
		    conf->lim.max_request_line) == NULL) {
			log_info("%s: bad request: request line too long",
			    x->peertext);
			request_error(x, 414, "request line too long");
			return (-1);
		}
		if (have >= conf->lim.max_head) {
			log_info("%s: bad request: request head too large",
			    x->peertext);
			request_error(x, 431, "request head too large");
			return (-1);
		}
		if (have == 0 && deadline == 0) {
			if (worker_quit)
				return (0);
			c->idle = 1;
			c->wait_first = !first;	/* the client reads our answer first */
			n = conn_fill(c, (first ? conf->header_timeout :
			    conf->keepalive_timeout) * 1000);
			c->idle = c->wait_first = 0;
		} else {
			/* the whole head within header_timeout: no slowloris */
			if (deadline == 0)
				deadline = conn_now_ms() +
				    conf->header_timeout * 1000LL;
			if (deadline <= conn_now_ms()) {
				errno = ETIMEDOUT;
				n = -1;
			} else
				n = conn_fill(c, (int)(deadline - conn_now_ms()));
		}
		if (n > 0) {
			if (deadline == 0)
				deadline = conn_now_ms() +
				    conf->header_timeout * 1000LL;
			continue;
		}
		if (n == -1 && errno == ETIMEDOUT && c->len > c->off) {
			log_info("%s: bad request: request head timed out",
			    x->peertext);
			request_error(x, 408, "request head timed out");
			return (-1);
		}
		return (c->len > c->off ? -1 : 0);
	}
}

/* Write len bytes to the client within send_timeout.  Returns 0 or -1. */
static int
client_write(struct exchange *x, const char *buf, size_t len)
{
	struct iovec	 iov;

	iov.iov_base = (void *)(uintptr_t)buf;
	iov.iov_len = len;
	return (conn_send(x->cl, &iov, 1, x->conf->send_timeout * 1000));
}

/* Append n bytes to the body buffer, growing it up to max_body. */
static int
body_append(struct exchange *x, const char *p, size_t n)
{
	size_t	 want = x->bodylen + n;

	if (want > x->conf->lim.max_body)
		return (-1);
	if (want > x->bodysize) {
		size_t	 size = x->bodysize ? x->bodysize : 4096;
		char	*nb;

		while (size < want)
			size *= 2;
		if (size > x->conf->lim.max_body)
			size = x->conf->lim.max_body;
		if ((nb = realloc(x->body, size)) == NULL)
			return (-1);
		x->body = nb;
		x->bodysize = size;
	}
	memcpy(x->body + x->bodylen, p, n);
	x->bodylen += n;
	return (0);
}

/*
 * Read more of the body: each wait at most header_timeout, the whole
 * body within body_timeout (a client dripping a byte at a time must not
 * hold a worker for long).  Returns 0, 408, or -1 when the client left.
 */
static int
body_fill(struct exchange *x, long long deadline)
{
	long long	 left = deadline - conn_now_ms();
	int		 n;

	if (left <= 0)
		return (408);
	if (left > x->conf->header_timeout * 1000LL)
		left = x->conf->header_timeout * 1000LL;
	if ((n = conn_fill(x->cl, (int)left)) > 0)
		return (0);
	return (n == -1 && errno == ETIMEDOUT ? 408 : -1);
}

/*
 * Read the request body (the proxy buffers it: MCP messages are small
 * JSON and a whole body can be checked before anything is forwarded).
 * Returns 0, or the status to answer (400, 408, 413), or -1 when the
 * client went away.
 */
int
request_read_body(struct exchange *x)
{
	struct conn	*c = x->cl;
	struct chunked	 ch;
	const char	*why;
	size_t		 used, dlen, take;
	uint64_t	 left;
	long long	 deadline = conn_now_ms() + x->conf->body_timeout * 1000LL;
	int		 rc;

	x->bodylen = 0;
	if (x->req.framing == HTTP_BODY_NONE ||
	    (x->req.framing == HTTP_BODY_LENGTH && x->req.content_length == 0))
		return (0);
	if (x->req.expect_continue && c->len == c->off &&
	    client_write(x, "HTTP/1.1 100 Continue\r\n\r\n", 25) == -1)
		return (-1);
	if (x->req.framing == HTTP_BODY_LENGTH) {
		left = x->req.content_length;
		while (left > 0) {
			if (c->len == c->off && (rc = body_fill(x, deadline)))
				return (rc);
			take = c->len - c->off;
			if (take > left)
				take = left;
			if (body_append(x, c->buf + c->off, take) == -1)
				return (413);
			c->off += take;
			left -= take;
		}
		return (0);
	}
	chunked_init(&ch, x->conf->lim.max_body);
	for (;;) {
		if (c->len == c->off && (rc = body_fill(x, deadline)))
			return (rc);
		rc = chunked_decode(&ch, c->buf + c->off, c->len - c->off,
		    &used, &dlen, &why);
		if (rc == -1) {
			log_info("%s: bad request: bad chunked body: %s",
			    x->peertext, why);
			return (400);
		}
		if (rc == -2 || body_append(x, c->buf + c->off, dlen) == -1)
			return (413);
		c->off += used;
		if (rc == 1)
			return (0);
		if (used == 0)
			conn_compact(c);
	}
}

/*
 * Send an answer the proxy makes itself: status, headers (each ending
 * in CRLF), x->extra, CORS headers (a browser must be able to read
 * errors too) and body; then log it.  The connection is closed
 * afterwards unless the request was fully read and may be kept alive.
 * Returns that keep-alive verdict.
 */
int
request_reply(struct exchange *x, int status, const char *headers,
    const char *body, size_t len)
{
	char		 head[4096 + 1024];
	struct iovec	 iov[2];
	size_t		 hl;
	int		 rc;

	if (worker_graceful)
		x->keepalive = 0;
	hl = snprintf(head, sizeof(head), "HTTP/1.1 %d %s\r\n%s"
	    "Content-Length: %zu\r\n%s%s", status, http_reason(status),
	    headers, len, x->keepalive ? "" : "Connection: close\r\n",
	    x->extra);
	if (hl >= sizeof(head) - 600)
		hl = sizeof(head) - 600;	/* never: extra is bounded */
	if (x->srv != NULL && x->origin != NULL)
		hl += cors_headers(x->srv, x->origin, head + hl,
		    sizeof(head) - hl - 3);
	hl += snprintf(head + hl, sizeof(head) - hl, "\r\n");
	iov[0].iov_base = head;
	iov[0].iov_len = hl;
	iov[1].iov_base = (void *)(uintptr_t)body;
	iov[1].iov_len = (x->req.method == NULL ||
	    strcmp(x->req.method, "HEAD")) ? len : 0;
	rc = conn_send(x->cl, iov, 2, x->conf->send_timeout * 1000);
	if (!x->keepalive)
		x->linger = 1;
	x->log.status = status;
	x->log.bytes = len;
	if (x->log.client == NULL) {
		clock_gettime(CLOCK_REALTIME, &x->log.start);
		x->log.client = x->peertext;
	}
	accesslog_write(&x->log);
	return (rc == 0 && x->keepalive);
}

/* Answer status with a JSON-RPC error object as the body. */
void
request_error(struct exchange *x, int status, const char *message)
{
	char	 body[512];
	int	 bl;

	bl = snprintf(body, sizeof(body), "{\"jsonrpc\":\"2.0\",\"error\":"
	    "{\"code\":-32000,\"message\":\"%s\"},\"id\":null}\n", message);
	request_reply(x, status, status == 503 ?
	    "Content-Type: application/json\r\nCache-Control: no-store\r\n"
	    "Retry-After: 5\r\n" :
	    "Content-Type: application/json\r\nCache-Control: no-store\r\n",
	    body, bl);
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
 * Admit a long-lived GET stream only within stream_share of the pool
 * and max_streams_per_client.  Returns 0, or the status to answer.
 */
static int
stream_admit(struct exchange *x)
{
	const struct config	*conf = x->conf;
	int			 cap;

	cap = conf->max_workers * conf->stream_share / 100;
	if (cap < 1)
		cap = 1;
	if (scoreboard_streams_from(x->sb, &x->client) >=
	    conf->max_streams_per_client)
		return (429);
	if (scoreboard_count(x->sb, SLOT_STREAM) >= cap)
		return (503);
	scoreboard_set(x->sb, x->slot, SLOT_STREAM);
	x->stream = 1;
	return (0);
}

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

/* Answer a CORS preflight (OPTIONS with Access-Control-Request-Method). */
static int
preflight(struct exchange *x)
{
	const struct http_request	*r = &x->req;
	char				 head[2048];
	size_t				 n;
	int				 hl;

	n = cors_preflight(x->srv, x->origin, http_header_get(r->hdr, r->nhdr,
	    "Access-Control-Request-Headers"), head + 64, sizeof(head) - 200);
	if (n == 0) {
		request_error(x, 403, "origin not allowed");
		return (x->keepalive);
	}
	hl = snprintf(head, 64, "HTTP/1.1 204 No Content\r\n");
	memmove(head + hl, head + 64, n);
	hl += n;
	hl += snprintf(head + hl, sizeof(head) - hl, "Content-Length: 0\r\n"
	    "%s\r\n", x->keepalive ? "" : "Connection: close\r\n");
	if (client_write(x, head, hl) == -1)
		return (0);
	x->log.status = 204;
	accesslog_write(&x->log);
	return (x->keepalive);
}

/*
 * Name the request's client (ident.c) and key the slot on it.  Behind
 * a trusted proxy, max_conns_per_client is checked here, per forwarded
 * client: at accept time only the proxy's address was known, and the
 * proxy's own connections are not capped.  Returns 0, or -1 after
 * answering 429.
 */
static int
client_admit(struct exchange *x)
{
	int	 max = x->conf->max_conns_per_client;

	ident_client(x);
	x->log.client = x->clienttext;
	x->sb->slot[x->slot].client = x->client;
	if (x->trusted && max > 0 &&
	    scoreboard_conns_from(x->sb, &x->client) > max) {
		x->keepalive = 0;
		request_error(x, 429, "too many connections from this address");
		return (-1);
	}
	return (0);
}

/*
 * Handle one request whose head is in x->head.  Returns 1 when the
 * connection may serve another request, 0 when it must be closed.
 */
int
request_handle(struct exchange *x)
{
	struct http_request	*r = &x->req;
	const char		*why, *accept;
	int			 status;

	memset(&x->log, 0, sizeof(x->log));
	x->extra[0] = '\0';
	clock_gettime(CLOCK_REALTIME, &x->log.start);
	x->log.client = x->peertext;
	x->origin = NULL;
	x->keepalive = 0;
	x->stream = 0;
	x->rt = NULL;
	memset(r, 0, sizeof(*r));
	status = http_parse_request(x->head, x->headlen, &x->conf->lim, r,
	    &why);
	if (status != 0) {
		log_info("%s: bad request: %s", x->peertext, why);
		request_error(x, status, why);
		return (0);
	}
	x->log.method = r->method;
	accesslog_request_id(&x->log, r);
	if (client_admit(x) == -1)
		return (0);
	if (strcmp(r->target, "*") != 0 && path_normalize(r->target,
	    x->srv->semicolons ? PATH_SEMICOLONS : 0, &why)) {
		log_info("%s: bad request: %s", x->peertext, why);
		request_error(x, 400, why);
		return (0);
	}
	set_logpath(x);
	x->origin = http_header_get(r->hdr, r->nhdr, "Origin");
	/* a body we will not read makes the connection unusable */
	x->keepalive = r->keepalive && r->framing == HTTP_BODY_NONE &&
	    !worker_graceful;

	if (!host_allowed(x->srv, r->host, x->loopback,
	    addr_port(&x->local))) {
		request_error(x, 403, "host not allowed");
		return (x->keepalive);
	}
	if (!origin_allowed(x->srv, x->origin, r->host, x->loopback)) {
		x->origin = NULL;	/* no CORS for a refused origin */
		request_error(x, 403, "origin not allowed");
		return (x->keepalive);
	}
	if (!strcmp(r->method, "OPTIONS") && x->origin != NULL &&
	    http_header_get(r->hdr, r->nhdr, "Access-Control-Request-Method"))
		return (preflight(x));
	if ((status = provider_handle(x)) != -1)
		return (status);
	switch ((status = auth_metadata(x))) {
	case -1:
		break;
	case -2:
		request_error(x, 404, "no protected resource here");
		return (x->keepalive);
	default:
		return (status);
	}
	if ((x->rt = route_find(x->srv, r->target, &why)) == NULL) {
		if (why != NULL) {
			log_info("%s: bad request: %s", x->peertext, why);
			request_error(x, 400, why);
		} else
			request_error(x, 404, "no route for this path");
		return (x->keepalive);
	}
	if (x->rt->auth != NULL && (status = auth_request(x)) != -1)
		return (status);
	if ((status = request_read_body(x)) != 0) {
		if (status > 0) {
			why = status == 413 ? "request body too large" :
			    status == 408 ? "request body timed out" :
			    "bad request body";
			if (status != 400)	/* 400: logged with its cause */
				log_info("%s: bad request: %s", x->peertext,
				    why);
			request_error(x, status, why);
		}
		return (0);
	}
	x->keepalive = r->keepalive && !worker_graceful;
	mcp_sniff(x->body, x->bodylen, x->log.rpc, sizeof(x->log.rpc),
	    x->log.tool, sizeof(x->log.tool));
	accesslog_session(&x->log, http_header_get(r->hdr, r->nhdr,
	    "Mcp-Session-Id"));
	accept = http_header_get(r->hdr, r->nhdr, "Accept");
	if (!strcmp(r->method, "GET") && accept != NULL &&
	    accepts(accept, "text/event-stream") &&
	    (status = stream_admit(x)) != 0) {
		request_error(x, status, status == 429 ?
		    "too many streams from this address" :
		    "stream capacity reached; retry later");
		return (x->keepalive);
	}
	if (!x->stream)
		scoreboard_set(x->sb, x->slot, SLOT_PROXY);
	return (proxy_forward(x, worker_upstream()));
}
