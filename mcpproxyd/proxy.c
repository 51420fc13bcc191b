/*
 * One exchange with the upstream: forward the request, then stream the
 * response back as it arrives.  Nothing of the response is held back
 * but a list answer on a route with a policy (relayfilter.c): each read from the upstream is written to the client at once, so
 * every SSE event reaches the client when the server sends it.  Both
 * sides are read and written through conn.c; the upstream connection
 * comes in the exchange (x->up); errors are answered by reply.c.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "log.h"
#include "mcpproxyd.h"
#include "metrics.h"
#include "relayfilter.h"

static const struct {
	const char	*name;
	size_t		 len;
} hop_headers[] = {
#define H(s)	{ s, sizeof(s) - 1 }
	H("Connection"), H("Keep-Alive"), H("Proxy-Connection"), H("TE"),
	H("Trailer"), H("Transfer-Encoding"), H("Upgrade"),
	H("Proxy-Authorization"), H("Proxy-Authenticate"),
	H("Content-Length")
#undef H
};

/*
 * The list answer being filtered (one exchange at a time per worker),
 * and whether its request asks the upstream for an uncoded body: a
 * compressed list cannot be filtered.
 */
static struct relayfilter	 rf;
static int			 identity_only;

/* Is this header for this hop only (RFC 9110 7.6.1)? */
static int
hop_by_hop(const char *name, const char *connection)
{
	size_t	 i, len = strlen(name);

	/* the length first: most headers are not hop-by-hop */
	for (i = 0; i < sizeof(hop_headers) / sizeof(hop_headers[0]); i++)
		if (hop_headers[i].len == len &&
		    !strcasecmp(name, hop_headers[i].name))
			return (1);
	return (connection != NULL && http_list_has(connection, name));
}

/* Append "name: value\r\n" at *off; -1 when it does not fit. */
static int
put_header(char *buf, size_t size, size_t *off, const char *name,
    const char *value)
{
	size_t	 nl = strlen(name), vl = strlen(value);

	if (nl + vl + 4 >= size - *off)
		return (-1);
	memcpy(buf + *off, name, nl);
	buf[*off + nl] = ':';
	buf[*off + nl + 1] = ' ';
	memcpy(buf + *off + nl + 2, value, vl);
	buf[*off + nl + 2 + vl] = '\r';
	buf[*off + nl + 3 + vl] = '\n';
	*off += nl + vl + 4;
	return (0);
}

/*
 * Append the NUL-terminated strings given, up to a NULL, at *off;
 * -1 when they do not fit (room is left for a NUL, as snprintf would).
 * Heads are built from copies, not printf: the format interpreter cost
 * a sixth of a proxied request (bench/PROFILE.md).
 */
static int
put(char *buf, size_t size, size_t *off, ...)
    __attribute__((sentinel));

static int
put(char *buf, size_t size, size_t *off, ...)
{
	va_list		 ap;
	const char	*s;
	size_t		 o = *off, n;

	va_start(ap, off);
	while ((s = va_arg(ap, const char *)) != NULL) {
		n = strlen(s);
		if (n >= size - o) {
			va_end(ap);
			return (-1);
		}
		memcpy(buf + o, s, n);
		o += n;
	}
	va_end(ap);
	*off = o;
	return (0);
}

/* v in decimal, in a caller's buffer of 21 bytes. */
static const char *
decimal(unsigned long long v, char d[21])
{
	int	 i = 20;

	d[i] = '\0';
	do {
		d[--i] = '0' + v % 10;
		v /= 10;
	} while (v > 0);
	return (d + i);
}

/*
 * The request line for the upstream, the route's path in place of its
 * prefix, written at *off (no copy on the stack: a worker's stack pages,
 * once touched, stay its own for good).
 */
static int
upstream_request_line(const struct exchange *x, char *buf, size_t size,
    size_t *off)
{
	const char	*rest = x->req.target + x->rt->prefixlen;
	const char	*base = x->rt->path;
	size_t		 bl = strlen(base);

	if (x->rt->prefixlen == 1)	/* prefix "/" keeps the whole path */
		rest = x->req.target;
	if (bl > 0 && base[bl - 1] == '/' && rest[0] == '/')
		rest++;
	return (put(buf, size, off, x->req.method, " ", base, rest,
	    " HTTP/1.1\r\nHost: ", x->rt->authority, "\r\n", NULL));
}

/*
 * Count a client field dropped for the '_' in its name (the total is
 * kept in the worker's scoreboard slot) and log, at most once a minute
 * per worker, how many.
 */
static void
underscore_dropped(const struct exchange *x, const char *name)
{
	static time_t		 last;
	static unsigned long	 pending;
	time_t			 now = time(NULL);

	x->sb->slot[x->slot].underscores++;
	pending++;
	if (now - last < 60)
		return;
	log_info("%s: dropped %lu client header field%s with '_' in the "
	    "name since the last report, \"%.64s\" last "
	    "(underscores_in_headers = no)", x->clienttext, pending,
	    pending == 1 ? "" : "s", name);
	last = now;
	pending = 0;
}

/*
 * X-Forwarded-For for the upstream: from a trusted proxy, its list
 * (every line, in order) with the peer appended; from anyone else, the
 * peer alone.
 */
static int
put_xff(const struct exchange *x, char *buf, size_t size, size_t *off)
{
	const struct http_request	*r = &x->req;
	size_t				 i;
	int				 first = 1;

	if (put(buf, size, off, "X-Forwarded-For: ", NULL) == -1)
		return (-1);
	for (i = 0; x->trusted && i < r->nhdr; i++) {
		if (strcasecmp(r->hdr[i].name, "X-Forwarded-For") != 0 ||
		    r->hdr[i].value[0] == '\0')
			continue;
		if (put(buf, size, off, first ? "" : ", ", r->hdr[i].value,
		    NULL) == -1)
			return (-1);
		first = 0;
	}
	return (put(buf, size, off, first ? "" : ", ", x->peertext, "\r\n",
	    NULL));
}

/*
 * X-Forwarded-Proto and -Host: a trusted proxy's own if it sent them,
 * else this hop's (https on TLS, else http; and the request's Host).
 */
static int
put_xfp_xfh(const struct exchange *x, char *buf, size_t size, size_t *off)
{
	const struct http_request	*r = &x->req;
	const char			*proto = NULL, *host = NULL;

	if (x->trusted) {
		proto = http_header_get(r->hdr, r->nhdr, "X-Forwarded-Proto");
		host = http_header_get(r->hdr, r->nhdr, "X-Forwarded-Host");
	}
	if (proto == NULL || (strcmp(proto, "http") && strcmp(proto, "https")))
		proto = x->tls != NULL ? "https" : "http";
	if (host == NULL || *host == '\0')
		host = r->host ? r->host : "";
	return (put(buf, size, off, "X-Forwarded-Proto: ", proto,
	    "\r\nX-Forwarded-Host: ", host, "\r\n", NULL));
}

/*
 * Build the request head for the upstream.  Returns its length or -1.
 * Of the client's fields, identity headers of every policy, '_'
 * spellings (see ident.c) and, unless the peer is a trusted proxy,
 * Forwarded, X-Real-IP and X-Forwarded-* never pass.  Not static:
 * tests/unit/mcpproxyd_proxy.c runs it on a table.
 */
int
build_request(const struct exchange *x, char *buf, size_t size)
{
	const struct http_request	*r = &x->req;
	const struct auth		*a = x->rt->auth;
	const char			*conn;
	char				 num[21];
	size_t				 off = 0, i;

	conn = http_header_get(r->hdr, r->nhdr, "Connection");
	if (upstream_request_line(x, buf, size, &off) == -1)
		return (-1);
	for (i = 0; i < r->nhdr; i++) {
		const char *name = r->hdr[i].name;

		int first = name[0] | 0x20;	/* ASCII lower case */

		if (hop_by_hop(name, conn) ||
		    (first == 'h' && !strcasecmp(name, "Host")) ||
		    (first == 'e' && !strcasecmp(name, "Expect")) ||
		    (identity_only && first == 'a' &&
		    !strcasecmp(name, "Accept-Encoding")))
			continue;
		switch (header_verdict(x->conf, x->srv, x->rt, name,
		    x->trusted)) {
		case HDR_KEEP:
			break;
		case HDR_UNDERSCORE:
			underscore_dropped(x, name);
			continue;
		case HDR_DROP:
			continue;
		}
		if (put_header(buf, size, &off, name, r->hdr[i].value) == -1)
			return (-1);
	}
	if (a != NULL && x->authed && a->subject_header &&
	    put_header(buf, size, &off, a->subject_header, x->sub) == -1)
		return (-1);
	if (a != NULL && x->authed && a->scopes_header &&
	    put_header(buf, size, &off, a->scopes_header, x->scope) == -1)
		return (-1);
	if (identity_only && put_header(buf, size, &off, "Accept-Encoding",
	    "identity") == -1)
		return (-1);
	if (x->log.reqid[0] != '\0' && put_header(buf, size, &off,
	    "X-Request-Id", x->log.reqid) == -1)
		return (-1);
	if (put_xff(x, buf, size, &off) == -1 ||
	    put_xfp_xfh(x, buf, size, &off) == -1)
		return (-1);
	if ((r->framing != HTTP_BODY_NONE || !strcmp(r->method, "POST") ||
	    !strcmp(r->method, "PUT") || !strcmp(r->method, "PATCH")) &&
	    put(buf, size, &off, "Content-Length: ", decimal(x->bodylen, num),
	    "\r\n", NULL) == -1)
		return (-1);
	if (put(buf, size, &off, "\r\n", NULL) == -1)
		return (-1);
	return ((int)off);
}


/* How an attempt to get the upstream's answer ended. */
enum upstream_result {
	UP_OK,			/* a response head */
	UP_RETRY,		/* a reused connection was closed before any
				   byte came: the request may go again on a
				   new one */
	UP_BAD,			/* 502 */
	UP_TIMEOUT		/* 504 */
};

/*
 * Read the upstream's response head (skipping 1xx) within
 * upstream_timeout, *hlen its length.
 */
static enum upstream_result
read_response(struct exchange *x, struct upstream *u,
    struct http_response *resp, size_t *hlen)
{
	struct conn	*c = &u->in;
	long long	 deadline = conn_now_ms() + x->conf->upstream_timeout * 1000LL;
	const char	*why;
	int		 n, got = 0;

	for (;;) {
		if ((*hlen = http_head_end(c->buf + c->off, c->len - c->off))) {
			if (http_parse_response(c->buf + c->off, *hlen,
			    !strcmp(x->req.method, "HEAD"),
			    x->conf->lim.max_headers, resp, &why) == -1) {
				log_warnx("upstream %s: bad response: %s",
				    x->rt->url, why);
				return (UP_BAD);
			}
			if (resp->status >= 100 && resp->status < 200 &&
			    resp->status != 101) {
				c->off += *hlen;
				continue;
			}
			if (resp->status == 101) {
				log_warnx("upstream %s: protocol switch "
				    "refused", x->rt->url);
				return (UP_BAD);
			}
			return (UP_OK);
		}
		if (c->len - c->off >= c->size) {
			log_warnx("upstream %s: response head too large",
			    x->rt->url);
			return (UP_BAD);
		}
		if (deadline <= conn_now_ms()) {
			log_warnx("upstream %s: no response within %ds",
			    x->rt->url, x->conf->upstream_timeout);
			return (UP_TIMEOUT);
		}
		c->wait_first = got == 0;	/* saves a recv that fails */
		n = conn_fill(c, (int)(deadline - conn_now_ms()));
		c->wait_first = 0;
		if (n > 0) {
			got += n;
			continue;
		}
		if (n == -1 && errno == ETIMEDOUT) {
			log_warnx("upstream %s: no response within %ds",
			    x->rt->url, x->conf->upstream_timeout);
			return (UP_TIMEOUT);
		}
		if (got == 0 && u->reused)
			return (UP_RETRY);
		log_warnx("upstream %s: connection closed before a response",
		    x->rt->url);
		return (UP_BAD);
	}
}

/* Send the head and body; returns 0 or -1. */
static int
send_request(struct exchange *x, struct upstream *u, char *head, int hl)
{
	struct iovec	 iov[2];

	iov[0].iov_base = head;
	iov[0].iov_len = hl;
	iov[1].iov_base = x->body;
	iov[1].iov_len = x->bodylen;
	return (conn_send(&u->in, iov, 2, x->conf->upstream_timeout * 1000));
}

/*
 * Write the response head to the client: hop-by-hop and CORS headers of
 * the upstream removed, ours added.  *chunk_out says whether the body
 * goes out chunked.  Returns 0 or -1.
 */
/*
 * The response head waits here until the first body bytes (or the end)
 * can go out with it in one write; before the proxy waits for more from
 * the upstream it is flushed, so a stream's head is never held back.
 */
static char	 head_buf[16384 + 2048];
static size_t	 head_pending;

static int
send_response_head(struct exchange *x, const struct http_response *resp,
    int *chunk_out)
{
	char		*buf = head_buf;
	const char	*conn, *sid;
	char		 num[21];
	size_t		 off = 0, i;

	conn = http_header_get(resp->hdr, resp->nhdr, "Connection");
	*chunk_out = 0;
	if (rf.mode != RF_JSON && (resp->framing == HTTP_BODY_CHUNKED ||
	    resp->framing == HTTP_BODY_CLOSE)) {
		if (x->req.minor >= 1)
			*chunk_out = 1;
		else
			x->keepalive = 0;
	}
	if (worker_graceful)
		x->keepalive = 0;	/* finishing: this answer is the last */
	if (put(buf, sizeof(head_buf), &off, "HTTP/1.1 ",
	    decimal(resp->status, num), " ", resp->reason && *resp->reason ?
	    resp->reason : http_reason(resp->status), "\r\n", NULL) == -1)
		return (-1);
	for (i = 0; i < resp->nhdr; i++) {
		const char *name = resp->hdr[i].name;

		if (hop_by_hop(name, conn) || cors_header_owned(name))
			continue;
		if (rf.mode != RF_OFF && !strcasecmp(name, "Cache-Control"))
			continue;
		if (put_header(buf, sizeof(head_buf), &off, name,
		    resp->hdr[i].value) == -1)
			return (-1);
	}
	/* a filtered list is the caller's own */
	if (rf.mode != RF_OFF && put(buf, sizeof(head_buf), &off,
	    "Cache-Control: private\r\n", NULL) == -1)
		return (-1);
	if (rf.mode != RF_JSON && (resp->framing == HTTP_BODY_LENGTH ||
	    (resp->framing ==
	    HTTP_BODY_NONE && !strcmp(x->req.method, "HEAD") &&
	    http_header_get(resp->hdr, resp->nhdr, "Content-Length")))) {
		if (put(buf, sizeof(head_buf), &off, "Content-Length: ",
		    decimal(resp->content_length, num), "\r\n", NULL) == -1)
			return (-1);
	}
	if (*chunk_out && put(buf, sizeof(head_buf), &off,
	    "Transfer-Encoding: chunked\r\n", NULL) == -1)
		return (-1);
	if (!x->keepalive && put(buf, sizeof(head_buf), &off,
	    "Connection: close\r\n", NULL) == -1)
		return (-1);
	if (x->keepalive && x->req.minor == 0 && put(buf, sizeof(head_buf), &off,
	    "Connection: keep-alive\r\n", NULL) == -1)
		return (-1);
	if (x->origin != NULL)
		off += cors_headers(x->srv, x->origin, buf + off,
		    sizeof(head_buf) - off - 2);
	if (x->tls != NULL && x->srv->hsts > 0 && put(buf, sizeof(head_buf),
	    &off, "Strict-Transport-Security: max-age=", decimal(x->srv->hsts,
	    num), "\r\n", NULL) == -1)
		return (-1);
	/* a held JSON answer's head ends with its length (filter_flush) */
	if (rf.mode != RF_JSON && put(buf, sizeof(head_buf), &off, "\r\n",
	    NULL) == -1)
		return (-1);
	if (x->log.session[0] == '\0' &&
	    (sid = http_header_get(resp->hdr, resp->nhdr, "Mcp-Session-Id")))
		accesslog_session(&x->log, sid);
	x->log.status = resp->status;
	head_pending = off;
	return (0);
}

/* Write what is pending of the head, then iov (may be empty). */
static int
send_with_head(struct exchange *x, struct iovec *iov, int n)
{
	struct iovec	 all[4];
	int		 k = 0, i;

	if (head_pending > 0) {
		all[k].iov_base = head_buf;
		all[k++].iov_len = head_pending;
		head_pending = 0;
	}
	for (i = 0; i < n && k < 4; i++)
		all[k++] = iov[i];
	if (k == 0)
		return (0);
	return (conn_send(x->cl, all, k, x->conf->send_timeout * 1000));
}

/* Write len body bytes to the client, as one chunk when chunking. */
static int
send_data(struct exchange *x, const char *p, size_t len, int chunk_out)
{
	struct iovec	 iov[3];
	char		 size[24];

	if (len == 0)
		return (0);
	x->log.bytes += len;
	if (!chunk_out) {
		iov[0].iov_base = (void *)(uintptr_t)p;
		iov[0].iov_len = len;
		return (send_with_head(x, iov, 1));
	}
	iov[0].iov_base = size;
	iov[0].iov_len = snprintf(size, sizeof(size), "%zx\r\n", len);
	iov[1].iov_base = (void *)(uintptr_t)p;
	iov[1].iov_len = len;
	iov[2].iov_base = (void *)(uintptr_t)"\r\n";
	iov[2].iov_len = 2;
	return (send_with_head(x, iov, 3));
}

/*
 * Send what the filter gave: a held JSON answer with the end of its
 * head (its length), or events as they are, then for a stream that
 * failed closed, its end.
 */
static int
filter_flush(struct exchange *x, int chunk_out)
{
	struct iovec	 tail;
	char		 num[21];

	if (rf.mode != RF_JSON) {
		if (send_data(x, rf.out, rf.outlen, chunk_out) == -1)
			return (-1);
		tail.iov_base = (void *)(uintptr_t)"0\r\n\r\n";
		tail.iov_len = 5;
		return (send_with_head(x, &tail, chunk_out ? 1 : 0));
	}
	if (put(head_buf, sizeof(head_buf), &head_pending, "Content-Length: ",
	    decimal(rf.outlen, num), "\r\n\r\n", NULL) == -1)
		return (-1);
	if (rf.outlen == 0)
		return (send_with_head(x, NULL, 0));
	return (send_data(x, rf.out, rf.outlen, 0));
}

/*
 * Body bytes for the client: as they are, or through the list filter.
 * Returns 0, 1 when the answer failed closed (stop reading), or -1.
 */
static int
relay_data(struct exchange *x, const char *p, size_t len, int chunk_out)
{
	int	 rc;

	if (rf.mode == RF_OFF)
		return (send_data(x, p, len, chunk_out));
	if ((rc = relayfilter_feed(&rf, p, len)) == -1)
		return (-1);
	if (rf.mode == RF_SSE && rf.outlen > 0 &&
	    send_data(x, rf.out, rf.outlen, chunk_out) == -1)
		return (-1);
	return (rc);
}

/*
 * Pass what the upstream buffer holds to the client.  Returns 1 when
 * the response is complete, 0 when more is needed, -1 on an error.
 */
static int
relay_buffered(struct exchange *x, struct upstream *u,
    const struct http_response *resp, struct chunked *ch, uint64_t *left,
    int chunk_out)
{
	struct conn	*c = &u->in;
	const char	*why;
	size_t		 take, used, dlen;
	int		 rc, sent;

	switch (resp->framing) {
	case HTTP_BODY_NONE:
		return (1);
	case HTTP_BODY_LENGTH:
		take = c->len - c->off;
		if (take > *left)
			take = *left;
		if ((rc = relay_data(x, c->buf + c->off, take,
		    chunk_out)) != 0)
			return (rc);
		c->off += take;
		*left -= take;
		return (*left == 0);
	case HTTP_BODY_CHUNKED:
		while (c->off < c->len) {
			rc = chunked_decode(ch, c->buf + c->off,
			    c->len - c->off, &used, &dlen, &why);
			if (rc < 0) {
				log_warnx("upstream %s: bad chunked body: %s",
				    x->rt->url, why);
				return (-1);
			}
			if ((sent = relay_data(x, c->buf + c->off, dlen,
			    chunk_out)) != 0)
				return (sent);
			c->off += used;
			if (rc == 1)
				return (1);
			if (used == 0)
				break;
		}
		conn_compact(c);
		return (0);
	case HTTP_BODY_CLOSE:
		take = c->len - c->off;
		if ((rc = relay_data(x, c->buf + c->off, take,
		    chunk_out)) != 0)
			return (rc);
		c->off += take;
		return (0);
	}
	return (-1);
}

/* What waiting on both sides during a response found. */
enum relay_wait {
	RW_READ,		/* the upstream has something: read it */
	RW_AGAIN,		/* nothing yet: wait again */
	RW_END,			/* stopping: end an event stream cleanly */
	RW_FAIL			/* idle too long, or the client went away */
};

/*
 * Wait for the upstream within stream_idle_timeout, watching the
 * client too: a client that goes away ends the upstream request at
 * once.  A worker told to finish lets its listening sockets go here
 * (listen.c), and ends an event stream: the client reconnects
 * (Last-Event-ID) to another process.
 */
static enum relay_wait
relay_wait(struct exchange *x, struct upstream *u)
{
	struct pollfd	 pfd[2];
	int		 n;

	pfd[0].fd = u->in.fd;
	pfd[0].events = POLLIN;
	pfd[1].fd = x->cl->fd;
	pfd[1].events = POLLRDHUP;
	n = poll(pfd, 2, x->conf->stream_idle_timeout * 1000);
	if (n == -1 && errno == EINTR) {
		listen_release_on_stop();
		if (worker_quit && x->stream) {
			x->keepalive = 0;
			return (RW_END);
		}
		return (RW_AGAIN);
	}
	if (n == 0) {
		log_info("%s: %s %s: no data for %ds; closing",
		    x->peertext, x->req.method, x->logpath,
		    x->conf->stream_idle_timeout);
		return (RW_FAIL);
	}
	if (n == -1)
		return (RW_FAIL);
	if (pfd[1].revents & (POLLRDHUP | POLLHUP | POLLERR)) {
		log_debug("%s: client went away during the response",
		    x->peertext);
		return (RW_FAIL);
	}
	if (!(pfd[0].revents & (POLLIN | POLLHUP | POLLERR)))
		return (RW_AGAIN);
	return (RW_READ);
}

/*
 * Stream the response body.  Returns 0 when the whole body was passed
 * on, -1 otherwise.
 */
static int
relay_body(struct exchange *x, struct upstream *u,
    const struct http_response *resp, int chunk_out)
{
	struct iovec	 tail;
	struct chunked	 ch;
	uint64_t	 left = resp->content_length;
	int		 rc, n;

	chunked_init(&ch, 0);
	for (;;) {
		if ((rc = relay_buffered(x, u, resp, &ch, &left,
		    chunk_out)) != 0)
			break;
		if (u->in.off == u->in.len)
			u->in.off = u->in.len = 0;
		if (head_pending > 0 && rf.mode != RF_JSON &&
		    send_with_head(x, NULL, 0) == -1)
			return (-1);
		/* bytes the transport holds decoded need no wait */
		if (conn_pending(&u->in) == u->in.len - u->in.off) {
			switch (relay_wait(x, u)) {
			case RW_READ:
				break;
			case RW_AGAIN:
				continue;
			case RW_END:
				rc = 1;
				goto done;
			case RW_FAIL:
				return (-1);
			}
		}
		n = conn_fill(&u->in, 1);
		if (n > 0)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == ETIMEDOUT))
			continue;
		if (n == 0 && resp->framing == HTTP_BODY_CLOSE) {
			rc = 1;
			break;
		}
		log_warnx("upstream %s: response cut short", x->rt->url);
		return (-1);
	}
done:
	if (rc == -1)
		return (-1);
	if (rf.mode == RF_JSON && (relayfilter_end(&rf) == -1 ||
	    filter_flush(x, chunk_out) == -1))
		return (-1);
	tail.iov_base = (void *)(uintptr_t)"0\r\n\r\n";
	tail.iov_len = 5;
	return (send_with_head(x, &tail, chunk_out ? 1 : 0));
}

/* May this request be sent twice (RFC 9110 9.2.2)? */
static int
idempotent(const char *method)
{
	return (!strcmp(method, "GET") || !strcmp(method, "HEAD") ||
	    !strcmp(method, "OPTIONS") || !strcmp(method, "DELETE") ||
	    !strcmp(method, "PUT"));
}

/*
 * Send the request (head of hl bytes) on x->up, once more on a new
 * connection when a kept-alive one was found closed before it answered
 * (and the method allows).  UP_OK with resp and *hlen, else why not.
 */
static enum upstream_result
exchange_head(struct exchange *x, char *head, int hl,
    struct http_response *resp, size_t *hlen)
{
	struct upstream		*u = x->up;
	enum upstream_result	 st;
	long long		 t0;
	int			 tries;

	for (tries = 0; ; tries++) {
		if (upstream_get(u, x->srv, x->rt, 0,
		    x->conf->upstream_timeout * 1000) == -1)
			return (UP_BAD);
		x->log.upstream = u->peer;
		if (send_request(x, u, head, hl) == -1) {
			/* refused before it was taken: safe to send again */
			st = u->reused && tries == 0 ? UP_RETRY : UP_BAD;
			if (st == UP_BAD)
				log_warn("upstream %s: send", x->rt->url);
		} else {
			t0 = metrics_now_us();
			st = read_response(x, u, resp, hlen);
			if (st == UP_OK)
				metrics_upstream(x->srv, x->rt,
				    metrics_now_us() - t0);
			/* the upstream may have run it: never repeat a POST */
			if (st == UP_RETRY && !idempotent(x->req.method)) {
				log_warnx("upstream %s: kept-alive connection "
				    "closed without an answer; not repeating "
				    "%s", x->rt->url, x->req.method);
				st = UP_BAD;
			}
		}
		if (st != UP_RETRY || tries > 0)
			return (st == UP_RETRY ? UP_BAD : st);
		upstream_close(u);
	}
}

/*
 * Stage: forward the request in x to its route's upstream (x->up) and
 * stream back the answer.  XR_KEEP when the client connection may go
 * on, XR_CLOSE if not.
 */
enum xresult
proxy_forward(struct exchange *x)
{
	static char		*head;	/* one per worker, not per request */
	struct upstream		*u = x->up;
	struct http_response	 resp;
	size_t			 size = x->conf->lim.max_head + 1024, hlen;
	enum upstream_result	 st;
	int			 hl, chunk_out;

	relayfilter_free(&rf);
	relayfilter_request(&rf, x);
	identity_only = rf.want;
	if ((head == NULL && (head = malloc(size)) == NULL) ||
	    (hl = build_request(x, head, size)) == -1) {
		identity_only = 0;
		reply_error(x, 500, "cannot build the upstream request");
		return (XR_CLOSE);
	}
	identity_only = 0;
	if ((st = exchange_head(x, head, hl, &resp, &hlen)) != UP_OK) {
		upstream_close(u);
		return (reply_error(x, st == UP_TIMEOUT ? 504 : 502,
		    st == UP_TIMEOUT ? "upstream timed out" :
		    "upstream unavailable"));
	}
	head_pending = 0;
	if (relayfilter_start(&rf, x, &resp) == -1 ||
	    send_response_head(x, &resp, &chunk_out) == -1) {
		upstream_close(u);
		metrics_request(x);
		accesslog_write(&x->log);
		return (XR_CLOSE);
	}
	u->in.off += hlen;
	if (rf.failed) {		/* a coded body: not read at all */
		upstream_close(u);
		if (filter_flush(x, chunk_out) == -1)
			x->keepalive = 0;
		metrics_request(x);
		accesslog_write(&x->log);
		return (x->keepalive ? XR_KEEP : XR_CLOSE);
	}
	if (relay_body(x, u, &resp, chunk_out) == -1) {
		upstream_close(u);
		if (head_pending > 0) {	/* nothing sent yet: say so */
			head_pending = 0;
			x->log.bytes = 0;
			x->keepalive = 0;
			reply_error(x, 502, "bad response from the upstream");
			return (XR_CLOSE);
		}
		metrics_request(x);
		accesslog_write(&x->log);
		return (XR_CLOSE);
	}
	if (!resp.keepalive || u->in.off != u->in.len || rf.failed)
		upstream_close(u);
	metrics_request(x);
	accesslog_write(&x->log);
	return (x->keepalive ? XR_KEEP : XR_CLOSE);
}
