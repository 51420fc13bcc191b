/*
 * Filtering of tools/list, prompts/list, resources/list and
 * resources/templates/list answers,
 * and the SSE event assembler the relay feeds with an upstream's
 * stream so that it holds back only the event that carries the answer.
 *
 * The filter cuts refused elements out of the upstream's own text:
 * every byte it keeps is the upstream's (numbers, escapes and member
 * order stay as they were), so the client reads what the server wrote,
 * minus what the caller may not use.  It fails closed: an answer that
 * is not strict JSON, is over the bound, or has a list element without
 * a readable name gives LISTFILTER_ERROR, never the unfiltered body.
 * Every one of the lists found in a result is filtered, whatever
 * the request asked for.
 *
 * Events follow WHATWG HTML "Server-sent events" (interpreting an event
 * stream): lines end in CRLF, LF or CR; a block ends at an empty line;
 * "data" lines are joined with LF; a leading BOM is skipped; comments
 * and unknown fields are kept in the raw block only.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonrpc.h"

static const struct {
	const char	*method;
	const char	*member;	/* the list in the result */
	const char	*kind;		/* what keep() is told */
	const char	*field;		/* the element's name */
} lists[] = {
	{ "tools/list",		"tools",	"tool",		"name" },
	{ "prompts/list",	"prompts",	"prompt",	"name" },
	{ "resources/list",	"resources",	"resource",	"uri" },
	/* a template by its text, which the rules match as a URI */
	{ "resources/templates/list", "resourceTemplates", "resource",
	    "uriTemplate" },
};
#define NLISTS	(sizeof(lists) / sizeof(lists[0]))

/* One replacement of the text [start, end) by rep[0..replen). */
struct edit {
	size_t	 start, end;
	char	*rep;
	size_t	 replen;
};

/*
 * Rebuild the array node a of doc holding only what keep() allows, as
 * an edit.  Returns 0, or -1 with *why.
 */
static int
filter_array(const struct listfilter *lf, const struct jscan_doc *doc,
    size_t a, size_t which, struct edit *e, const char **why)
{
	const struct jscan_node	*arr = &doc->node[a], *el;
	size_t			 c, f, n, o = 0;
	char			*name, *rep;

	if ((rep = malloc(arr->end - arr->start + 1)) == NULL) {
		*why = "out of memory";
		return (-1);
	}
	rep[o++] = '[';
	for (c = arr->first; c != 0; c = doc->node[c].next) {
		el = &doc->node[c];
		if (el->type != JV_OBJECT ||
		    (f = jscan_member(doc, c, lists[which].field)) == 0 ||
		    doc->node[f].type != JV_STRING) {
			*why = "a list element without a name";
			free(rep);
			return (-1);
		}
		if ((name = jscan_string(doc->text, doc->node[f].start,
		    doc->node[f].end, &n)) == NULL ||
		    memchr(name, '\0', n) != NULL) {
			*why = name ? "NUL in a list element's name" :
			    "out of memory";
			free(name);
			free(rep);
			return (-1);
		}
		if (lf->keep(lf->arg, lists[which].kind, name)) {
			if (o > 1)
				rep[o++] = ',';
			memcpy(rep + o, doc->text + el->start,
			    el->end - el->start);
			o += el->end - el->start;
		}
		free(name);
	}
	rep[o++] = ']';
	e->start = arr->start;
	e->end = arr->end;
	e->rep = rep;
	e->replen = o;
	return (0);
}

static int
editcmp(const void *a, const void *b)
{
	const struct edit	*x = a, *y = b;

	return (x->start < y->start ? -1 : x->start > y->start);
}

/* Apply the edits (sorted, disjoint) to the text into a new *out. */
static int
apply(const struct jscan_doc *doc, struct edit *e, size_t ne, char **out,
    size_t *outlen)
{
	size_t	 i, at = 0, o = 0, max = doc->len + 1;
	char	*b;

	qsort(e, ne, sizeof(*e), editcmp);
	for (i = 0; i < ne; i++)
		max += e[i].replen;
	if ((b = malloc(max)) == NULL)
		return (-1);
	for (i = 0; i < ne; i++) {
		memcpy(b + o, doc->text + at, e[i].start - at);
		o += e[i].start - at;
		memcpy(b + o, e[i].rep, e[i].replen);
		o += e[i].replen;
		at = e[i].end;
	}
	memcpy(b + o, doc->text + at, doc->len - at);
	o += doc->len - at;
	b[o] = '\0';
	*out = b;
	*outlen = o;
	return (0);
}

/* The edit that makes result's cacheScope "private". */
static int
mark_private(const struct jscan_doc *doc, size_t res, struct edit *e)
{
	static const char	 priv[] = "\"private\"";
	static const char	 member[] = "\"cacheScope\":\"private\",";
	size_t			 cs;
	const char		*s;

	if ((cs = jscan_member(doc, res, "cacheScope")) != 0) {
		e->start = doc->node[cs].start;
		e->end = doc->node[cs].end;
		s = priv;
	} else {
		/* result holds its list, so a comma can follow */
		e->start = e->end = doc->node[res].start + 1;
		s = member;
	}
	e->replen = strlen(s);
	if ((e->rep = strdup(s)) == NULL)
		return (-1);
	return (0);
}

/*
 * Filter the answer body[0..len) to the request method (NULL: any
 * response, as on a resumed stream).  Returns LISTFILTER_FILTERED with
 * a new *out of *outlen bytes, LISTFILTER_ASIS when it is no list
 * answer (an error response, another method, a notification), or
 * LISTFILTER_ERROR with *why: the caller must not pass the body on.
 */
enum listfilter_result
listfilter_body(const struct listfilter *lf, const char *method,
    const char *body, size_t len, char **out, size_t *outlen,
    const char **why)
{
	struct jscan_doc		 doc;
	struct edit		 e[NLISTS + 1];
	enum listfilter_result	 r = LISTFILTER_ERROR;
	size_t			 res, a, i, ne = 0, want = NLISTS;

	*out = NULL;
	*outlen = 0;
	*why = NULL;
	if (method != NULL) {
		for (want = 0; want < NLISTS; want++)
			if (!strcmp(method, lists[want].method))
				break;
		if (want == NLISTS)
			return (LISTFILTER_ASIS);
	}
	if (len > lf->max) {
		*why = "list answer over the bound";
		return (LISTFILTER_ERROR);
	}
	if (jscan(body, len, lf->maxdepth, 5, &doc, why) != JSCAN_OK)
		goto done;
	if (doc.node[0].type != JV_OBJECT) {
		*why = "list answer is not an object";
		goto done;
	}
	/* an error answer, a request or a notification: no list */
	if ((res = jscan_member(&doc, 0, "result")) == 0) {
		r = LISTFILTER_ASIS;
		goto done;
	}
	if (doc.node[res].type != JV_OBJECT) {
		if (method == NULL)
			r = LISTFILTER_ASIS;
		else
			*why = "list answer's result is not an object";
		goto done;
	}
	for (i = 0; i < NLISTS; i++) {
		if ((a = jscan_member(&doc, res, lists[i].member)) == 0) {
			if (i == want) {
				*why = "list answer without its list";
				goto done;
			}
			continue;
		}
		if (doc.node[a].type != JV_ARRAY) {
			*why = "list answer's list is not an array";
			goto done;
		}
		if (filter_array(lf, &doc, a, i, &e[ne], why) == -1)
			goto done;
		ne++;
	}
	if (ne == 0) {
		r = LISTFILTER_ASIS;
		goto done;
	}
	if (lf->private && mark_private(&doc, res, &e[ne++]) == -1) {
		*why = "out of memory";
		goto done;
	}
	if (apply(&doc, e, ne, out, outlen) == -1)
		*why = "out of memory";
	else
		r = LISTFILTER_FILTERED;
 done:
	for (i = 0; i < ne; i++)
		free(e[i].rep);
	jscan_free(&doc);
	return (r);
}

/* Start assembling events of at most max bytes each. */
void
sse_init(struct sse *s, size_t max)
{
	memset(s, 0, sizeof(*s));
	s->max = max;
	s->empty = 1;
}

void
sse_free(struct sse *s)
{
	free(s->buf);
	free(s->data);
	free(s->id);
	free(s->event);
	memset(s, 0, sizeof(*s));
}

void
sse_event_free(struct sse_event *ev)
{
	free(ev->data);
	free(ev->id);
	free(ev->event);
	memset(ev, 0, sizeof(*ev));
}

/* A copy of p[0..n) as a string, or NULL. */
static char *
dupn(const char *p, size_t n)
{
	char	*s;

	if ((s = malloc(n + 1)) == NULL)
		return (NULL);
	memcpy(s, p, n);
	s[n] = '\0';
	return (s);
}

/* Interpret the line buf[line..end) (WHATWG: process the field). */
static int
sse_line(struct sse *s, size_t end)
{
	const char	*l = s->buf + s->line, *colon, *v;
	size_t		 n = end - s->line, fl, vl;
	char		*d, **slot;

	if (n == 0 || l[0] == ':')
		return (0);
	if ((colon = memchr(l, ':', n)) == NULL) {
		fl = n;
		v = l + n;
		vl = 0;
	} else {
		fl = colon - l;
		v = colon + 1;
		vl = n - fl - 1;
		if (vl > 0 && *v == ' ') {
			v++;
			vl--;
		}
	}
	if (fl == 4 && memcmp(l, "data", 4) == 0) {
		if (s->datalen + vl + 1 > s->datacap) {
			if ((d = realloc(s->data, s->datalen + vl + 1 + 64)) ==
			    NULL)
				return (-1);
			s->data = d;
			s->datacap = s->datalen + vl + 1 + 64;
		}
		memcpy(s->data + s->datalen, v, vl);
		s->datalen += vl;
		s->data[s->datalen++] = '\n';
		s->hasdata = 1;
		return (0);
	}
	if (fl == 2 && memcmp(l, "id", 2) == 0) {
		if (memchr(v, '\0', vl) != NULL)
			return (0);
		slot = &s->id;
	} else if (fl == 5 && memcmp(l, "event", 5) == 0)
		slot = &s->event;
	else
		return (0);
	free(*slot);
	if ((*slot = dupn(v, vl)) == NULL)
		return (-1);
	return (0);
}

/* Hand the complete block out as ev. */
static void
sse_dispatch(struct sse *s, struct sse_event *ev)
{
	ev->raw = s->buf;
	ev->rawlen = s->len;
	if (s->hasdata) {
		/* WHATWG: the data buffer's last LF goes */
		ev->data = s->data;
		ev->datalen = s->datalen - 1;
		ev->data[ev->datalen] = '\0';
		s->data = NULL;
		s->datalen = s->datacap = 0;
	}
	ev->id = s->id;
	ev->event = s->event;
	s->id = s->event = NULL;
	s->hasdata = 0;
	s->datalen = 0;
	s->done = 1;
}

/*
 * Take bytes in[0..len) of the stream; *used gets how many were taken.
 * Returns SSE_EVENT with ev filled (ev->raw valid until the next call;
 * sse_event_free(ev) after) when a block ended, SSE_MORE when all was
 * taken, SSE_ERROR when a block outgrew the bound (every later call
 * fails too).
 */
enum sse_result
sse_feed(struct sse *s, const char *in, size_t len, size_t *used,
    struct sse_event *ev)
{
	static const char	 bom[] = "\xef\xbb\xbf";
	size_t			 i;
	char			*nb, c;

	memset(ev, 0, sizeof(*ev));
	*used = 0;
	if (s->error)
		return (SSE_ERROR);
	if (s->done) {
		s->len = s->line = 0;
		s->done = 0;
	}
	for (i = 0; i < len; i++) {
		c = in[i];
		if (s->len == s->max) {
			s->error = 1;
			return (SSE_ERROR);
		}
		if (s->len == s->cap) {
			if ((nb = realloc(s->buf, s->cap ? s->cap * 2 : 256))
			    == NULL) {
				s->error = 1;
				return (SSE_ERROR);
			}
			s->buf = nb;
			s->cap = s->cap ? s->cap * 2 : 256;
		}
		s->buf[s->len++] = c;
		if (s->seen < 3 && s->seen == s->len - 1 && c == bom[s->seen]) {
			if (++s->seen == 3)
				s->line = s->len;
			continue;
		}
		s->seen = 3;
		if (s->cr && c == '\n') {	/* the LF of a CRLF */
			s->cr = 0;
			s->line = s->len;
			continue;
		}
		s->cr = c == '\r';
		if (c != '\n' && c != '\r') {
			s->empty = 0;
			continue;
		}
		if (sse_line(s, s->len - 1) == -1) {
			s->error = 1;
			return (SSE_ERROR);
		}
		s->line = s->len;
		if (s->empty) {
			*used = i + 1;
			sse_dispatch(s, ev);
			return (SSE_EVENT);
		}
		s->empty = 1;
	}
	*used = len;
	return (SSE_MORE);
}

/*
 * Write ev again with data[0..len) as its data (one "data:" line per
 * LF-separated line), keeping its event and id fields, into a new *out
 * of *outlen bytes.  Returns 0 or -1.
 */
int
sse_event_build(const struct sse_event *ev, const char *data, size_t len,
    char **out, size_t *outlen)
{
	size_t	 max, o = 0, i, lines = 1;
	char	*b;

	for (i = 0; i < len; i++)
		lines += data[i] == '\n';
	max = len + 7 * lines + 2 + (ev->event ? strlen(ev->event) + 8 : 0) +
	    (ev->id ? strlen(ev->id) + 5 : 0) + 1;
	if ((b = malloc(max)) == NULL)
		return (-1);
	if (ev->event != NULL)
		o += sprintf(b + o, "event: %s\n", ev->event);
	if (ev->id != NULL)
		o += sprintf(b + o, "id: %s\n", ev->id);
	memcpy(b + o, "data: ", 6);
	o += 6;
	for (i = 0; i < len; i++) {
		b[o++] = data[i];
		if (data[i] == '\n') {
			memcpy(b + o, "data: ", 6);
			o += 6;
		}
	}
	memcpy(b + o, "\n\n", 3);
	*out = b;
	*outlen = o + 2;
	return (0);
}
