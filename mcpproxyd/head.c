/*
 * The first stages of a request: read its head within the limits
 * (408, 414, 431) and parse it (http.c).
 */
#include <sys/types.h>

#include <errno.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "mcpproxyd.h"
#include "handoff.h"

/* Discard CR/LF before a request line (RFC 9112 2.2). */
static void
skip_empty_lines(struct conn *c)
{
	while (c->off < c->len && (c->buf[c->off] == '\r' ||
	    c->buf[c->off] == '\n'))
		c->off++;
}

/*
 * Is the unread part of a head over a limit?  Answers 414 or 431 and
 * returns XR_CLOSE, else XR_NEXT.
 */
static enum xresult
head_limits(struct exchange *x, size_t have)
{
	const struct conn	*c = x->cl;

	switch (http_head_limit(c->buf + c->off, have, &x->conf->lim)) {
	case 414:
		log_info("%s: bad request: request line too long",
		    x->peertext);
		reply_error(x, 414, "request line too long");
		return (XR_CLOSE);
	case 431:
		log_info("%s: bad request: request head too large",
		    x->peertext);
		reply_error(x, 431, "request head too large");
		return (XR_CLOSE);
	}
	return (XR_NEXT);
}

/* Take the head of hlen bytes out of the client buffer into x->head. */
static void
head_take(struct exchange *x, size_t hlen)
{
	memcpy(x->head, x->cl->buf + x->cl->off, hlen);
	x->head[hlen] = '\0';
	x->headlen = hlen;
	x->cl->off += hlen;
}

/*
 * Past park_at, hand the connection to the waiting room (handoff.c)
 * with what it sent so far.  Returns 1 when it went (the worker is
 * free), 0 when it is not time yet, -1 when the hand-off failed and the
 * worker keeps it: a full channel is tried again waitroom_after later,
 * any other failure (TLS, no room) ends the tries for this head.
 */
static int
head_park(struct exchange *x, int first, long long deadline,
    long long idle_deadline, long long *park_at)
{
	if (*park_at == 0 || conn_now_ms() < *park_at)
		return (0);
	if (handoff_park(x->cl, first ? HANDOFF_FIRST : HANDOFF_NEXT,
	    deadline != 0 ? deadline : idle_deadline, NULL, 0) == 0)
		return (1);
	*park_at = errno == EAGAIN ? conn_now_ms() + x->conf->waitroom_after :
	    0;
	return (-1);
}

/*
 * Park at once rather than waitroom_after later?  When the pool is
 * short of spare workers (a new client would wait in the listen queue)
 * and a read brought some of the head but not all of it.  A connection
 * with nothing of its head keeps waitroom_after: a kept-alive client's
 * next request usually comes within it (parking each would send every
 * request of a busy client through the room), and a new one reaches
 * accept() with its first bytes (defer_accept).  Asked when a wait
 * would start, so again after every wake; a complete head never asks.
 */
static int
head_hurry(const struct exchange *x, size_t have, long long park_at)
{
	return (have > 0 && park_at > conn_now_ms() &&
	    scoreboard_short(x->sb, x->conf->min_spare));
}

/*
 * Read a request head into x->head: the first within header_timeout
 * (of the accept, on TLS: the handshake counts), a kept-alive client's
 * next within keepalive_timeout, and once a byte came, the whole head
 * within header_timeout (no slowloris).  With a waiting room, a head
 * not there after waitroom_after ms is waited for there instead, or at
 * once when the pool is short of spare workers (head_hurry).
 * Returns XR_NEXT with the head, XR_CLOSE when the client closed or
 * idled out between requests, after answering 408, 414 or 431, on a
 * dead client, or when the connection went to the waiting room (x->cl
 * then has no descriptor).
 */
enum xresult
head_read(struct exchange *x, int first)
{
	struct conn		*c = x->cl;
	const struct config	*conf = x->conf;
	long long		 deadline = 0, idle_deadline, park_at = 0;
	long long		 wait;
	size_t			 have, hlen;
	int			 n, refused = 0;

	/* on TLS the handshake came out of the first head's time */
	if (first && x->head_deadline != 0)
		deadline = x->head_deadline;
	idle_deadline = conn_now_ms() + (first ? conf->header_timeout :
	    conf->keepalive_timeout) * 1000LL;
	if (conf->waitroom && c->io == NULL && handoff_enabled())
		park_at = conn_now_ms() + conf->waitroom_after;
	for (;;) {
		skip_empty_lines(c);
		have = c->len - c->off;
		if (have > 0 && (hlen = http_head_end(c->buf + c->off, have))) {
			head_take(x, hlen);
			return (XR_NEXT);
		}
		if (head_limits(x, have) != XR_NEXT)
			return (XR_CLOSE);
		switch (head_park(x, first, deadline, idle_deadline, &park_at)) {
		case 1:
			return (XR_CLOSE);
		case -1:
			refused = 1;	/* no more hurry: waitroom_after */
			break;
		}
		/* a zero wait: the one read, then the room */
		if (!refused && head_hurry(x, have, park_at))
			park_at = conn_now_ms();
		if (have == 0 && deadline == 0) {
			if (worker_quit)
				return (XR_CLOSE);
			wait = idle_deadline;
			if (park_at != 0 && park_at < wait)
				wait = park_at;
			c->idle = 1;
			c->wait_first = !first;	/* the client reads our answer first */
			n = conn_fill(c, (int)(wait - conn_now_ms()));
			c->idle = c->wait_first = 0;
		} else if (deadline != 0 && deadline <= conn_now_ms()) {
			errno = ETIMEDOUT;
			n = -1;
		} else {
			if (deadline == 0)
				deadline = conn_now_ms() +
				    conf->header_timeout * 1000LL;
			wait = deadline;
			if (park_at != 0 && park_at < wait)
				wait = park_at;
			n = conn_fill(c, (int)(wait - conn_now_ms()));
		}
		if (n > 0) {
			if (deadline == 0)
				deadline = conn_now_ms() +
				    conf->header_timeout * 1000LL;
			continue;
		}
		/* our own shorter wait: time to park */
		if (n == -1 && errno == ETIMEDOUT && park_at != 0 &&
		    conn_now_ms() < (deadline != 0 ? deadline : idle_deadline))
			continue;
		if (n == -1 && errno == ETIMEDOUT && c->len > c->off) {
			log_info("%s: bad request: request head timed out",
			    x->peertext);
			reply_error(x, 408, "request head timed out");
		}
		return (XR_CLOSE);
	}
}

/*
 * The server that serves this request, on an address several share
 * (mcpproxyd.conf(5), SEVERAL SERVERS ON ONE ADDRESS): on plain HTTP
 * the one the Host names; on TLS the one SNI chose, and 421 when the
 * Host names another (its certificate was not the one shown).
 */
static enum xresult
head_server(struct exchange *x)
{
	const struct server	*named;
	const char		*h = x->req.host;
	size_t			 n;

	if (x->l == NULL || x->l->nsrvs < 2)
		return (XR_NEXT);
	n = h != NULL ? host_part(h) : 0;
	if (x->tls == NULL) {
		x->srv = listener_server(x->l, h, n);
		return (XR_NEXT);
	}
	if ((named = listener_named(x->l, h, n)) != NULL && named != x->srv) {
		log_info("%s: Host %.*s is not a name of [server %s] that "
		    "SNI chose", x->peertext, (int)(n > 255 ? 255 : n), h,
		    x->srv->name);
		reply_error(x, 421, "this connection serves another host "
		    "name: open a new one");
		return (XR_CLOSE);
	}
	return (XR_NEXT);
}

/* Stage: parse the head (http.c); a bad one is answered and closes. */
enum xresult
head_parse(struct exchange *x)
{
	const char	*why;
	int		 status;

	status = http_parse_request(x->head, x->headlen, &x->conf->lim,
	    &x->req, &why);
	if (status != 0) {
		log_info("%s: bad request: %s", x->peertext, why);
		reply_error(x, status, why);
		return (XR_CLOSE);
	}
	x->log.method = x->req.method;
	accesslog_request_id(&x->log, &x->req);
	return (head_server(x));
}
