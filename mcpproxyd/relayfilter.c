/*
 * The list answers the relay filters: on a route with a policy, the
 * answer to tools/list, prompts/list, resources/list or
 * resources/templates/list (JSON or SSE),
 * and every answer replayed on a GET event stream (a resumed stream:
 * Last-Event-ID), hold only what the caller may use (listfilter.c with
 * policy_keep).  Only that one answer is held: in a JSON body, the
 * body; in an event stream, the event that carries it, while every
 * other event goes on as soon as its block ends.  An answer over
 * max_list_size, or one the filter cannot read (a compressed body
 * among them), fails closed: the client gets a JSON-RPC error with the
 * request's id instead, never the unfiltered list.
 *
 * No I/O here: proxy.c feeds the upstream's body (de-chunked) and sends
 * what rf->out holds after each call.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"
#include "mcpproxyd.h"
#include "relayfilter.h"

/* Append p[0..n) to what is to be sent; -1 when memory runs out. */
static int
out_add(struct relayfilter *rf, const char *p, size_t n)
{
	char	*b;
	size_t	 cap;

	if (rf->outlen + n > rf->outcap) {
		cap = rf->outlen + n + 256;
		if ((b = realloc(rf->out, cap)) == NULL)
			return (-1);
		rf->out = b;
		rf->outcap = cap;
	}
	memcpy(rf->out + rf->outlen, p, n);
	rf->outlen += n;
	return (0);
}

/*
 * Put the JSON-RPC error that replaces an answer in rf->out (an event
 * when streaming), and mark the exchange failed.  Returns 1, or -1.
 */
static int
fail_closed(struct relayfilter *rf, const char *why)
{
	char	*body;
	size_t	 len;
	int	 rc = 1;

	rf->failed = 1;
	rf->outlen = 0;
	if (jsonrpc_error_body(rf->id, rf->idlen, RELAYFILTER_CODE,
	    "the list answer cannot be filtered for this caller",
	    &body, &len) == -1)
		return (-1);
	log_warnx("list answer refused: %s", why ? why : "cannot read it");
	/* the body ends with a LF: one data line */
	while (len > 0 && body[len - 1] == '\n')
		len--;
	if (rf->mode == RF_SSE && (out_add(rf, "event: message\ndata: ", 21)
	    == -1 || out_add(rf, body, len) == -1 ||
	    out_add(rf, "\n\n", 2) == -1))
		rc = -1;
	else if (rf->mode != RF_SSE && (out_add(rf, body, len) == -1 ||
	    out_add(rf, "\n", 1) == -1))
		rc = -1;
	free(body);
	return (rc);
}

/* Is method one whose answer is a list the policy filters? */
static int
list_method(const char *method)
{
	return (!strcmp(method, "tools/list") ||
	    !strcmp(method, "prompts/list") ||
	    !strcmp(method, "resources/list") ||
	    !strcmp(method, "resources/templates/list"));
}

/*
 * Say whether the request's answer is to be filtered: a list method,
 * or a GET stream (any answer), on a route with an enforced policy.
 * The message is the MCP stage's one reading (x->rpc); a body it could
 * not read as one message (refused before forwarding on such routes)
 * counts as wanting any list filtered, as does running out of memory
 * for the method and id kept here.
 */
void
relayfilter_request(struct relayfilter *rf, const struct exchange *x)
{
	const struct jsonrpc	*m = &x->rpc;
	const char		*v;

	memset(rf, 0, sizeof(*rf));
	if (x->rt == NULL || x->rt->policy == NULL ||
	    x->rt->policy->mode == POLICY_PERMISSIVE ||
	    !strcmp(x->req.method, "HEAD"))
		return;
	v = http_header_get(x->req.hdr, x->req.nhdr, "MCP-Protocol-Version");
	rf->modern = v != NULL && mcphdr_modern(v, strlen(v));
	if (!strcmp(x->req.method, "GET")) {
		rf->want = 1;		/* method NULL: any list answer */
		return;
	}
	if (strcmp(x->req.method, "POST") != 0 || x->bodylen == 0)
		return;
	if (!x->rpcok) {
		rf->want = 1;
		return;
	}
	if (m->version != NULL)	/* the body's _meta says it too */
		rf->modern |= mcphdr_modern(m->version, strlen(m->version));
	if (m->kind != JSONRPC_REQUEST || m->method == NULL ||
	    !list_method(m->method))
		return;
	rf->want = 1;
	if ((rf->method = strdup(m->method)) == NULL ||
	    (m->id != NULL && (rf->id = malloc(m->idlen)) == NULL)) {
		free(rf->method);
		rf->method = NULL;	/* any list answer, as above */
		return;
	}
	if (m->id != NULL) {
		memcpy(rf->id, m->id, m->idlen);
		rf->idlen = m->idlen;
	}
}

/*
 * The upstream's head came: choose how its body goes.  Returns the
 * mode; 1 with rf->failed set and the error in rf->out when the body
 * cannot be filtered at all (a content coding other than identity).
 */
int
relayfilter_start(struct relayfilter *rf, const struct exchange *x,
    const struct http_response *resp)
{
	const char	*ct, *ce;

	rf->mode = RF_OFF;
	if (!rf->want || resp->status < 200 || resp->status > 299 ||
	    resp->status == 204 || resp->framing == HTTP_BODY_NONE)
		return (RF_OFF);
	ct = http_header_get(resp->hdr, resp->nhdr, "Content-Type");
	if (ct != NULL && !strncasecmp(ct, "text/event-stream", 17))
		rf->mode = RF_SSE;
	else if (rf->method == NULL && !strcmp(x->req.method, "GET"))
		return (RF_OFF);	/* a GET not answered by a stream */
	else
		rf->mode = RF_JSON;
	rf->pc.pol = x->rt->policy;
	rf->pc.auth = x->rt->auth;
	rf->pc.claims = x->claims;
	rf->pc.scope = x->authed ? x->scope : NULL;
	rf->lf.keep = policy_keep;
	rf->lf.arg = &rf->pc;
	rf->lf.max = x->conf->max_list_size;
	rf->lf.maxdepth = 64;
	rf->lf.private = rf->modern;
	if (rf->mode == RF_SSE)
		sse_init(&rf->sse, x->conf->max_list_size);
	ce = http_header_get(resp->hdr, resp->nhdr, "Content-Encoding");
	if (ce != NULL && strcasecmp(ce, "identity") != 0)
		return (fail_closed(rf, "a compressed answer") == -1 ? -1 :
		    (int)rf->mode);
	return (rf->mode);
}

/* Filter one complete event ev into rf->out.  Returns 0, 1 or -1. */
static int
sse_one(struct relayfilter *rf, struct sse_event *ev)
{
	char			*body, *e;
	size_t			 blen, elen;
	const char		*why;
	enum listfilter_result	 r;
	int			 rc;

	/* no data, or the empty data of a priming event: no answer */
	if (ev->data == NULL || ev->datalen == 0)
		return (out_add(rf, ev->raw, ev->rawlen));
	r = listfilter_body(&rf->lf, rf->method, ev->data, ev->datalen,
	    &body, &blen, &why);
	if (r == LISTFILTER_ASIS)
		return (out_add(rf, ev->raw, ev->rawlen));
	if (r == LISTFILTER_ERROR)
		return (fail_closed(rf, why));
	rc = sse_event_build(ev, body, blen, &e, &elen);
	free(body);
	if (rc == -1)
		return (-1);
	rc = out_add(rf, e, elen);
	free(e);
	return (rc);
}

/*
 * Take len bytes of the upstream's body.  rf->out gets what to send
 * now (nothing while a JSON answer is held).  Returns 0; 1 when the
 * answer failed closed (rf->out holds the error: send it and stop
 * reading); -1 when memory runs out.
 */
int
relayfilter_feed(struct relayfilter *rf, const char *p, size_t len)
{
	struct sse_event	 ev;
	enum sse_result		 r;
	size_t			 used, cap;
	char			*b;
	int			 rc;

	rf->outlen = 0;
	if (rf->failed)
		return (1);
	if (rf->mode == RF_JSON) {
		if (rf->len + len > rf->lf.max)
			return (fail_closed(rf, "list answer over "
			    "max_list_size"));
		if (rf->len + len > rf->cap) {
			cap = rf->len + len > 2 * rf->cap ? rf->len + len :
			    2 * rf->cap;
			if (cap > rf->lf.max)
				cap = rf->lf.max;
			if ((b = realloc(rf->buf, cap)) == NULL)
				return (-1);
			rf->buf = b;
			rf->cap = cap;
		}
		memcpy(rf->buf + rf->len, p, len);
		rf->len += len;
		return (0);
	}
	while (len > 0) {
		r = sse_feed(&rf->sse, p, len, &used, &ev);
		if (r == SSE_ERROR)
			return (fail_closed(rf, "an event over "
			    "max_list_size"));
		p += used;
		len -= used;
		if (r == SSE_MORE)
			break;
		rc = sse_one(rf, &ev);
		sse_event_free(&ev);
		if (rc != 0)
			return (rc);
	}
	return (0);
}

/*
 * The upstream's body ended: rf->out gets the filtered JSON answer (or
 * its error).  Returns 0, 1 (failed closed) or -1.
 */
int
relayfilter_end(struct relayfilter *rf)
{
	char			*body;
	size_t			 blen;
	const char		*why;
	enum listfilter_result	 r;
	int			 rc;

	if (rf->failed)		/* rf->out holds the error */
		return (1);
	rf->outlen = 0;
	if (rf->mode != RF_JSON)
		return (0);	/* an event cut short never counts */
	r = listfilter_body(&rf->lf, rf->method, rf->buf, rf->len, &body,
	    &blen, &why);
	if (r == LISTFILTER_ERROR)
		return (fail_closed(rf, why));
	if (r == LISTFILTER_ASIS)
		return (out_add(rf, rf->buf, rf->len));
	rc = out_add(rf, body, blen);
	free(body);
	return (rc);
}

void
relayfilter_free(struct relayfilter *rf)
{
	free(rf->method);
	free(rf->id);
	free(rf->buf);
	free(rf->out);
	if (rf->mode == RF_SSE)
		sse_free(&rf->sse);
	memset(rf, 0, sizeof(*rf));
}
