/*
 * The body stage: read the request body whole (MCP messages are small
 * JSON, and a whole body can be checked before anything is forwarded),
 * within max_body_size and body_timeout, and answer what goes wrong
 * (400, 408, 413) from one table.
 */
#include <sys/types.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "mcpproxyd.h"
#include "handoff.h"

/* How reading a body ended. */
enum body_status {
	BODY_OK,
	BODY_GONE,		/* the client went away: nothing to answer */
	BODY_BAD,		/* 400, logged with its cause */
	BODY_SLOW,		/* 408 */
	BODY_BIG,		/* 413 */
	BODY_PARKED		/* gone to the waiting room */
};

static const struct {
	int		 status;
	const char	*why;
} body_answer[] = {
	[BODY_BAD] = { 400, "bad request body" },
	[BODY_SLOW] = { 408, "request body timed out" },
	[BODY_BIG] = { 413, "request body too large" },
};

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
 * hold a worker for long); and not past park_at (0: no limit), where
 * BODY_SLOW means "time to park" while the deadline is not yet there.
 */
static enum body_status
body_fill(struct exchange *x, long long deadline, long long park_at)
{
	long long	 left = deadline - conn_now_ms();
	int		 n;

	if (left <= 0)
		return (BODY_SLOW);
	if (left > x->conf->header_timeout * 1000LL)
		left = x->conf->header_timeout * 1000LL;
	if (park_at != 0 && park_at - conn_now_ms() < left)
		left = park_at - conn_now_ms();
	if ((n = conn_fill(x->cl, (int)(left > 0 ? left : 0))) > 0)
		return (BODY_OK);
	return (n == -1 && errno == ETIMEDOUT ? BODY_SLOW : BODY_GONE);
}

/*
 * A body not all there after waitroom_after ms (at once when the pool
 * is short of spare workers) goes to the waiting room with its head,
 * when the two fit in one hand-off (max_header_size) and no 100
 * Continue was sent: the room waits for the rest and hands
 * the whole request back.  The bytes passed are the client's own, still
 * in the client buffer from raw on (x->head was parsed in place).
 * Returns 1 when it went, 0 when it is not time yet, -1 when the
 * hand-off failed and the worker keeps it (*park_at: when to try again,
 * 0 never).
 */
static int
body_park(struct exchange *x, size_t raw, long long deadline,
    long long *park_at)
{
	struct iovec	 pre;

	if (*park_at == 0 || conn_now_ms() < *park_at)
		return (0);
	pre.iov_base = x->cl->buf + raw;
	pre.iov_len = x->cl->off - raw;
	if (handoff_park(x->cl, HANDOFF_FIRST, deadline, &pre, 1) == 0)
		return (1);
	*park_at = errno == EAGAIN ? conn_now_ms() + x->conf->waitroom_after :
	    0;
	return (-1);
}

/* A body of Content-Length bytes. */
static enum body_status
body_length(struct exchange *x, long long deadline)
{
	struct conn		*c = x->cl;
	enum body_status	 st;
	uint64_t		 left = x->req.content_length;
	size_t			 take, raw = 0;
	long long		 park_at = 0;
	int			 refused = 0;

	/* the head just taken lies before c->off (head.c) */
	if (x->conf->waitroom && c->io == NULL && handoff_enabled() &&
	    !x->req.expect_continue && c->off >= x->headlen &&
	    x->headlen + x->req.content_length <= handoff_max()) {
		park_at = conn_now_ms() + x->conf->waitroom_after;
		raw = c->off - x->headlen;
	}
	while (left > 0) {
		if (c->len == c->off) {
			switch (body_park(x, raw, deadline, &park_at)) {
			case 1:
				return (BODY_PARKED);
			case -1:
				refused = 1;	/* waitroom_after from now on */
				break;
			}
		}
		if (c->len == c->size)
			park_at = 0;	/* conn_fill() will move the bytes */
		/*
		 * The pool short of spare workers: the read that left the
		 * body incomplete was the last here (a zero wait, then the
		 * room), asked at every wait (head.c, head_hurry).
		 */
		if (c->len == c->off && !refused && park_at > conn_now_ms() &&
		    scoreboard_short(x->sb, x->conf->min_spare))
			park_at = conn_now_ms();
		if (c->len == c->off &&
		    (st = body_fill(x, deadline, park_at))) {
			if (st == BODY_SLOW && park_at != 0 &&
			    conn_now_ms() < deadline)
				continue;
			return (st);
		}
		take = c->len - c->off;
		if (take > left)
			take = left;
		if (body_append(x, c->buf + c->off, take) == -1)
			return (BODY_BIG);
		c->off += take;
		left -= take;
	}
	return (BODY_OK);
}

/* A chunked body (chunked.c), bounded by max_body as it is decoded. */
static enum body_status
body_chunked(struct exchange *x, long long deadline)
{
	struct conn		*c = x->cl;
	struct chunked		 ch;
	enum body_status	 st;
	const char		*why;
	size_t			 used, dlen;
	int			 rc;

	chunked_init(&ch, x->conf->lim.max_body);
	for (;;) {
		if (c->len == c->off && (st = body_fill(x, deadline, 0)))
			return (st);
		rc = chunked_decode(&ch, c->buf + c->off, c->len - c->off,
		    &used, &dlen, &why);
		if (rc == -1) {
			log_info("%s: bad request: bad chunked body: %s",
			    x->peertext, why);
			return (BODY_BAD);
		}
		if (rc == -2 || body_append(x, c->buf + c->off, dlen) == -1)
			return (BODY_BIG);
		c->off += used;
		if (rc == 1)
			return (BODY_OK);
		if (used == 0)
			conn_compact(c);
	}
}

/* Read the body into x->body. */
static enum body_status
body_get(struct exchange *x)
{
	struct conn	*c = x->cl;
	long long	 deadline = conn_now_ms() + x->conf->body_timeout * 1000LL;

	x->bodylen = 0;
	if (x->req.framing == HTTP_BODY_NONE ||
	    (x->req.framing == HTTP_BODY_LENGTH && x->req.content_length == 0))
		return (BODY_OK);
	if (x->req.expect_continue && c->len == c->off &&
	    reply_continue(x) == -1)
		return (BODY_GONE);
	if (x->req.framing == HTTP_BODY_LENGTH)
		return (body_length(x, deadline));
	return (body_chunked(x, deadline));
}

/*
 * Stage: read the request body.  Once it is read, the connection may
 * go on as the client asked.  A body that cannot be read is answered
 * (400, 408, 413) and closes the connection.
 */
enum xresult
body_read(struct exchange *x)
{
	enum body_status	 st;

	if ((st = body_get(x)) == BODY_OK) {
		x->keepalive = x->req.keepalive && !worker_graceful;
		return (XR_NEXT);
	}
	if (st == BODY_GONE || st == BODY_PARKED)
		return (XR_CLOSE);
	if (st != BODY_BAD)	/* 400: logged with its cause */
		log_info("%s: bad request: %s", x->peertext,
		    body_answer[st].why);
	reply_error(x, body_answer[st].status, body_answer[st].why);
	return (XR_CLOSE);
}
