/*
 * listfilter.c on tables: list answers and what the caller may see of
 * them (byte for byte: the filter keeps the upstream's text), answers
 * that must fail closed, and SSE streams cut into events, each fed
 * whole, split in two at every byte, and one byte at a time.
 *
 * Built with -DNAIVE_FILTER, the list rows run against the obvious
 * filter (jansson without duplicate checks, drop the elements whose
 * "name" is refused) and count, by the names it lets through, the rows
 * it gets wrong.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "../../mcpproxyd/jsonrpc.h"
#include "unit.h"

#define F	LISTFILTER_FILTERED
#define ASIS	LISTFILTER_ASIS
#define ERR	LISTFILTER_ERROR

#define R(x)	"{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{" x "}}"
#define T(n)	"{\"name\":\"" n "\",\"inputSchema\":{\"type\":\"object\"}}"

struct lrow {
	const char		*method;
	const char		*body;
	int			 priv;
	enum listfilter_result	 res;
	const char		*want;	/* the filtered body */
	const char		*names;	/* what the client sees, for -DNAIVE */
};

/* allowed: echo, add, the prompt greet, file:///ok */
static const struct lrow good[] = {
	{ "tools/list", R("\"tools\":[" T("echo") "," T("rm") "," T("add") "],"
	    "\"nextCursor\":\"c2\",\"ttlMs\":5"), 0, F,
	    R("\"tools\":[" T("echo") "," T("add") "],\"nextCursor\":\"c2\","
	    "\"ttlMs\":5"), "echo,add" },
	{ "tools/list", R("\"tools\":[" T("rm") "," T("echo") "]"), 1, F,
	    R("\"cacheScope\":\"private\",\"tools\":[" T("echo") "]"), "echo" },
	{ "tools/list", R("\"cacheScope\":\"public\",\"tools\":[" T("echo")
	    "]"), 1, F, R("\"cacheScope\":\"private\",\"tools\":[" T("echo")
	    "]"), "echo" },
	{ "tools/list", R("\"tools\":[ " T("rm") " , " T("rm2") " ]"), 0, F,
	    R("\"tools\":[]"), "" },
	{ "tools/list", R("\"tools\":[]"), 0, F, R("\"tools\":[]"), "" },
	/* the upstream's bytes stay: escapes, big numbers, spacing */
	{ "tools/list", R("\"tools\":[{\"name\":\"\\u0065cho\",\"x\":1e400,"
	    "\"y\":123456789012345678901234567890} ]"), 0, F,
	    R("\"tools\":[{\"name\":\"\\u0065cho\",\"x\":1e400,\"y\":"
	    "123456789012345678901234567890}]"), "echo" },
	{ "prompts/list", R("\"prompts\":[{\"name\":\"greet\"},{\"name\":"
	    "\"secret\"}],\"nextCursor\":\"n\""), 0, F,
	    R("\"prompts\":[{\"name\":\"greet\"}],\"nextCursor\":\"n\""),
	    "greet" },
	{ "resources/list", R("\"resources\":[{\"uri\":\"file:///ok\",\"name\":"
	    "\"echo\"},{\"uri\":\"file:///no\",\"name\":\"echo\"}]"), 0, F,
	    R("\"resources\":[{\"uri\":\"file:///ok\",\"name\":\"echo\"}]"),
	    "echo" },
	/* a list the request did not ask for is filtered too */
	{ "tools/list", R("\"tools\":[" T("echo") "],\"prompts\":[{\"name\":"
	    "\"secret\"}]"), 0, F, R("\"tools\":[" T("echo") "],\"prompts\":[]"),
	    "echo" },
	/* on a resumed stream, by shape */
	{ NULL, R("\"tools\":[" T("rm") "," T("echo") "]"), 0, F,
	    R("\"tools\":[" T("echo") "]"), "echo" },
	{ NULL, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\","
	    "\"params\":{\"progress\":1}}", 0, ASIS, NULL, NULL },
	{ NULL, R("\"content\":[]"), 0, ASIS, NULL, NULL },
	{ "tools/list", "{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{\"code\":-1,"
	    "\"message\":\"no\"}}", 0, ASIS, NULL, NULL },
	{ "tools/call", R("\"tools\":[" T("rm") "]"), 0, ASIS, NULL, NULL },
};

static const struct lrow bad[] = {
	{ "tools/list", "", 0, ERR, NULL, NULL },
	{ "tools/list", R("\"tools\":[" T("rm") "]") "x", 0, ERR, NULL, NULL },
	{ "tools/list", R("\"tools\":[{\"name\":\"echo\",\"name\":\"rm\"}]"), 0,
	    ERR, NULL, NULL },
	{ "tools/list", R("\"tools\":[{\"name\":\"rm\",\"n\\u0061me\":"
	    "\"echo\"}]"), 0, ERR, NULL, NULL },
	{ "tools/list", R("\"tools\":[" T("rm") "],\"tools\":[" T("echo") "]"),
	    0, ERR, NULL, NULL },
	{ "tools/list", "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"tools\":["
	    T("echo") "]},\"result\":{\"tools\":[" T("rm") "]}}", 0, ERR, NULL,
	    NULL },
	{ "tools/list", R("\"tools\":[{\"title\":\"rm\"}]"), 0, ERR, NULL,
	    NULL },
	{ "tools/list", R("\"tools\":[{\"name\":7}]"), 0, ERR, NULL, NULL },
	{ "tools/list", R("\"tools\":[\"rm\"]"), 0, ERR, NULL, NULL },
	{ "tools/list", R("\"tools\":{\"name\":\"rm\"}"), 0, ERR, NULL, NULL },
	{ "tools/list", R("\"nextCursor\":\"x\""), 0, ERR, NULL, NULL },
	{ "tools/list", "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":[" T("rm")
	    "]}", 0, ERR, NULL, NULL },
	{ "tools/list", R("\"tools\":[{\"name\":\"echo\\u0000rm\"}]"), 0, ERR,
	    NULL, NULL },
	{ "tools/list", R("\"tools\":[{\"name\":\"rm\\ud800\"}]"), 0, ERR,
	    NULL, NULL },
	{ "tools/list", R("\"tools\":[{\"name\":\"rm\xff\"}]"), 0, ERR, NULL,
	    NULL },
	{ "tools/list", R("\"tools\":[{\"name\":\"rm\",\"x\":[[[[[[[[[[[[[[[["
	    "[[[[]]]]]]]]]]]]]]]]]]]]}]"), 0, ERR, NULL, NULL },
	{ "tools/list", "[" R("\"tools\":[" T("rm") "]") "]", 0, ERR, NULL,
	    NULL },
	{ NULL, "[" R("\"tools\":[" T("rm") "]") "]", 0, ERR, NULL, NULL },
	{ NULL, R("\"tools\":[" T("rm") "],\"x\":\"\\x\""), 0, ERR, NULL,
	    NULL },
	{ "prompts/list", R("\"prompts\":[{\"uri\":\"secret\"}]"), 0, ERR,
	    NULL, NULL },
	{ "resources/list", R("\"resources\":[{\"name\":\"file:///ok\"}]"), 0,
	    ERR, NULL, NULL },
	{ "tools/list", R("\"tools\":[" T("echo") "," T("rm") "],\"pad\":\""
	    "0123456789012345678901234567890123456789012345678901234567890"
	    "12345678901234567890123456789012345678901234567890123456789"
	    "0123456789012345678901234567890123456789012345678901234567890\""),
	    0, ERR, NULL, NULL },
};

/* the bound the rows run under (the last bad row is over it) */
#define MAX	300

static int
keep(void *arg, const char *kind, const char *name)
{
	(void)arg;
	if (!strcmp(kind, "tool"))
		return (!strcmp(name, "echo") || !strcmp(name, "add"));
	if (!strcmp(kind, "prompt"))
		return (!strcmp(name, "greet"));
	return (!strcmp(kind, "resource") && !strcmp(name, "file:///ok"));
}

/* The names in out's lists, comma-separated (jansson, lenient). */
static void
names_of(const char *out, size_t len, char *buf, size_t buflen)
{
	static const char	*lists[] = { "tools", "prompts", "resources" };
	json_t			*j, *a, *e, *n;
	size_t			 i, k;

	buf[0] = '\0';
	if ((j = json_loadb(out, len, JSON_DECODE_ANY, NULL)) == NULL) {
		snprintf(buf, buflen, "(unreadable)");
		return;
	}
	for (k = 0; k < 3; k++) {
		a = json_object_get(json_object_get(j, "result"), lists[k]);
		json_array_foreach(a, i, e) {
			n = json_object_get(e, k == 2 ? "name" : "name");
			if (buf[0] != '\0')
				strncat(buf, ",", buflen - strlen(buf) - 1);
			strncat(buf, json_string_value(n) ? json_string_value(n)
			    : "?", buflen - strlen(buf) - 1);
		}
	}
	json_decref(j);
}

#ifdef NAIVE_FILTER
/* The obvious filter: jansson, drop what keep() refuses by "name". */
static enum listfilter_result
filter(const struct listfilter *lf, const char *method, const char *body,
    size_t len, char **out, size_t *outlen, const char **why)
{
	json_t	*j, *a, *e;
	size_t	 i;

	*why = "naive";
	if ((j = json_loadb(body, len, 0, NULL)) == NULL)
		return (LISTFILTER_ERROR);
	if (method == NULL || strcmp(method, "tools/list") != 0 ||
	    (a = json_object_get(json_object_get(j, "result"), "tools")) ==
	    NULL) {
		json_decref(j);
		return (LISTFILTER_ASIS);
	}
	for (i = 0; i < json_array_size(a); ) {
		e = json_array_get(a, i);
		if (!lf->keep(lf->arg, "tool", json_string_value(
		    json_object_get(e, "name")) ? json_string_value(
		    json_object_get(e, "name")) : ""))
			json_array_remove(a, i);
		else
			i++;
	}
	*out = json_dumps(j, JSON_COMPACT);
	*outlen = strlen(*out);
	json_decref(j);
	return (LISTFILTER_FILTERED);
}
#define NAIVE	1
#else
#define filter	listfilter_body
#define NAIVE	0
#endif

/* Run one list row; returns 1 when it came out right. */
static int
lrun(const struct lrow *r, const char *set, int i)
{
	struct listfilter	 lf = { keep, NULL, MAX, 16, r->priv };
	enum listfilter_result	 res;
	const char		*why;
	char			*copy, *out, names[256];
	size_t			 n = strlen(r->body), outlen;
	int			 ok;

	if ((copy = malloc(n ? n : 1)) == NULL)
		exit(2);
	memcpy(copy, r->body, n);
	res = filter(&lf, r->method, copy, n, &out, &outlen, &why);
	if (NAIVE) {
		/* refused rows: anything but an error lets a name through */
		if (r->res != F)
			ok = res == r->res;
		else {
			names_of(out, outlen, names, sizeof(names));
			ok = res == F && !strcmp(names, r->names);
		}
	} else
		ok = res == r->res && (res != F || (outlen == strlen(r->want) &&
		    !strcmp(out, r->want))) && (res != ERR || why != NULL);
	CHECK(ok, "%s row %d: result %d (%s) out %s", set, i, res,
	    why ? why : "-", res == F ? out : "-");
	if (res == F)
		free(out);
	free(copy);
	return (ok);
}

/* SSE streams and the blocks they hold (D data, I id, E event) */
static const struct {
	const char	*stream;
	const char	*want;
} sse[] = {
	{ "data: a\n\n", "D=a I=- E=-\n" },
	{ "data: a\r\n\r\n", "D=a I=- E=-\n" },
	{ "data: a\r\r", "D=a I=- E=-\n" },
	{ "data: a\r\n\r\ndata: b\r\r\ndata: c\n\r\n", "D=a I=- E=-\n"
	    "D=b I=- E=-\nD=c I=- E=-\n" },
	{ "data: a\ndata: b\n\n", "D=a\nb I=- E=-\n" },
	{ "data: a\r\ndata: b\rdata: c\n\n", "D=a\nb\nc I=- E=-\n" },
	{ ": keepalive\n\ndata: x\n: c\n\n", "D=- I=- E=-\nD=x I=- E=-\n" },
	{ "id: 7\nevent: message\ndata: {}\n\n", "D={} I=7 E=message\n" },
	{ "data:a\n\ndata:  a\n\n", "D=a I=- E=-\nD= a I=- E=-\n" },
	{ "data\n\n", "D= I=- E=-\n" },
	{ "data\ndata\n\n", "D=\n I=- E=-\n" },
	{ "event: x\n\n", "D=- I=- E=x\n" },
	{ "\xef\xbb\xbf" "data: a\n\n", "D=a I=- E=-\n" },
	{ "\xef\xbb" "data: a\n\n", "D=- I=- E=-\n" },
	{ "data: 1\n\ndata: 2\n\n", "D=1 I=- E=-\nD=2 I=- E=-\n" },
	{ "data: 1\n\ndata: 2\n", "D=1 I=- E=-\n" },
	{ "retry: 100\ndata: x\n\n", "D=x I=- E=-\n" },
	{ "id\ndata: x\n\n", "D=x I= E=-\n" },
	{ "id: a\0b\ndata: x\n\n", "D=x I=- E=-\n" },
	{ "data: a:b\n\n", "D=a:b I=- E=-\n" },
	{ "DATA: x\n\n", "D=- I=- E=-\n" },
	{ "data : x\n\n", "D=- I=- E=-\n" },
	{ " data: x\n\n", "D=- I=- E=-\n" },
	{ "\n\n\r\n", "D=- I=- E=-\nD=- I=- E=-\nD=- I=- E=-\n" },
	{ "data: x", "" },
};
/* lengths of the rows holding NUL */
static size_t
sse_len(size_t i)
{
	return (i == 18 ? 17 : strlen(sse[i].stream));
}

/* Feed s: first bytes, then step at a time; dump the blocks in out. */
static int
sse_run(const char *s, size_t len, size_t first, size_t step, size_t max,
    char *out, size_t outlen)
{
	struct sse		 a;
	struct sse_event	 ev;
	enum sse_result		 r = SSE_MORE;
	size_t			 pos = 0, n, used, rawlen = 0;
	char			 raw[256];

	out[0] = '\0';
	sse_init(&a, max);
	while (pos < len) {
		n = pos == 0 ? first : step;
		if (n > len - pos)
			n = len - pos;
		while (n > 0) {
			r = sse_feed(&a, s + pos, n, &used, &ev);
			if (r == SSE_ERROR)
				break;
			pos += used;
			n -= used;
			if (r == SSE_EVENT) {
				memcpy(raw + rawlen, ev.raw, ev.rawlen);
				rawlen += ev.rawlen;
				snprintf(out + strlen(out), outlen - strlen(out),
				    "D=%s I=%s E=%s\n", ev.data ? ev.data : "-",
				    ev.id ? ev.id : "-", ev.event ? ev.event :
				    "-");
			}
			sse_event_free(&ev);
		}
		if (r == SSE_ERROR)
			break;
	}
	sse_free(&a);
	if (r == SSE_ERROR)
		return (-1);
	/* the blocks are the stream's bytes, in order */
	return (memcmp(raw, s, rawlen) == 0 ? 0 : -2);
}

/*
 * The relay's use: a tools/list answered as SSE, a progress
 * notification first.  Fed byte by byte, the notification must be out
 * as soon as its block ended, the list filtered (its data on two
 * lines), nothing passed on unfiltered.
 */
static void
relay(void)
{
	static const char	 note[] = "event: message\r\nid: 1\r\ndata: "
	    "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\","
	    "\"params\":{\"progress\":1}}\r\n\r\n";
	static const char	 list[] = "id: 2\ndata: {\"jsonrpc\":\"2.0\","
	    "\"id\":1,\"result\":{\"tools\":[" T("echo") ",\ndata: " T("rm")
	    "]}}\n\n";
	static const char	 want[] = "id: 2\ndata: " R("\"tools\":["
	    T("echo") "]") "\n\n";
	enum listfilter_result	 r;
	struct listfilter	 lf = { keep, NULL, MAX, 16, 0 };
	struct sse		 a;
	struct sse_event	 ev;
	char			 in[1024], out[1024], *b, *e;
	size_t			 len, pos, used, o = 0, blen, elen, noteout = 0;
	const char		*why;

	len = snprintf(in, sizeof(in), "%s%s", note, list);
	sse_init(&a, 512);
	for (pos = 0; pos < len; pos++) {
		if (sse_feed(&a, in + pos, 1, &used, &ev) != SSE_EVENT)
			continue;
		r = ev.data == NULL ? ASIS : listfilter_body(&lf, "tools/list",
		    ev.data, ev.datalen, &b, &blen, &why);
		CHECK(r != ERR, "relay: %s", why);
		if (r == F) {
			CHECK(sse_event_build(&ev, b, blen, &e, &elen) == 0,
			    "relay build");
			free(b);	/* the event holds a copy */
			memcpy(out + o, e, elen);
			o += elen;
			free(e);
		} else {
			memcpy(out + o, ev.raw, ev.rawlen);
			o += ev.rawlen;
			if (noteout == 0)
				noteout = pos + 1;
		}
		sse_event_free(&ev);
	}
	sse_free(&a);
	out[o] = '\0';
	/* out at its blank line's CR; the LF goes with the next block */
	CHECK(noteout == strlen(note) - 1, "notification out after %zu bytes",
	    noteout);
	CHECK(o == strlen(note) - 1 + strlen(want) && !memcmp(out, note,
	    strlen(note) - 1) && !strcmp(out + strlen(note) - 1, want),
	    "relay: %s", out);
}

int
main(void)
{
	struct sse_event	 ev;
	char			 out[512], *b;
	size_t			 i, k, len, blen;
	int			 wrong = 0, rv;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		wrong += !lrun(&good[i], "good", (int)i);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		wrong += !lrun(&bad[i], "bad", (int)i);
	printf("%zu good list rows, %zu bad list rows, %d wrong\n",
	    sizeof(good) / sizeof(good[0]), sizeof(bad) / sizeof(bad[0]),
	    wrong);
	if (NAIVE)
		return (unit_done("mcpproxyd_listfilter (naive filter)"));

	for (i = 0; i < sizeof(sse) / sizeof(sse[0]); i++) {
		len = sse_len(i);
		for (k = 0; k <= len; k++) {
			rv = sse_run(sse[i].stream, len, k ? k : len, len, 64,
			    out, sizeof(out));
			CHECK(rv == 0 && !strcmp(out, sse[i].want), "sse row %zu "
			    "split at %zu: %d\n%s", i, k, rv, out);
		}
		rv = sse_run(sse[i].stream, len, 1, 1, 64, out, sizeof(out));
		CHECK(rv == 0 && !strcmp(out, sse[i].want), "sse row %zu byte "
		    "by byte: %d\n%s", i, rv, out);
	}
	/* the bound: a block of 14 bytes passes at 14, one of 15 does not */
	CHECK(sse_run("data: 123456\n\n", 14, 14, 14, 14, out, sizeof(out)) ==
	    0, "bound 14");
	CHECK(sse_run("data: 1234567\n\n", 15, 15, 15, 14, out, sizeof(out)) ==
	    -1, "bound 14 exceeded");
	CHECK(sse_run("data: 1\n\ndata: 1234567\n\n", 24, 1, 1, 14, out,
	    sizeof(out)) == -1, "bound 14 exceeded by the second block");

	relay();

	/* an event written again around filtered data */
	memset(&ev, 0, sizeof(ev));
	ev.id = (char *)"42";
	ev.event = (char *)"message";
	CHECK(sse_event_build(&ev, "{\"a\":\n1}", 8, &b, &blen) == 0 &&
	    !strcmp(b, "event: message\nid: 42\ndata: {\"a\":\ndata: 1}\n\n") &&
	    blen == strlen(b), "build: %s", b);
	free(b);
	return (unit_done("mcpproxyd_listfilter"));
}
