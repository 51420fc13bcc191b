/*
 * relayfilter.c on tables: what the relay sends of a list answer fed
 * in pieces as the upstream's reads would come (whole, split in two at
 * every byte, one byte at a time).  Events before the answer come out
 * as soon as their block ends, before the answer's last byte is fed;
 * the answer comes out filtered; answers that cannot be filtered come
 * out as a JSON-RPC error with the request's id, never as the list.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../mcpproxyd/mcpproxyd.h"
#include "../../mcpproxyd/relayfilter.h"
#include "unit.h"

#define T(n)	"{\"name\":\"" n "\"}"
#define ANS(l)	"{\"jsonrpc\":\"2.0\",\"id\":7,\"result\":{\"tools\":[" l \
		    "],\"nextCursor\":\"c\"}}"
#define ERRB(id) "{\"jsonrpc\":\"2.0\",\"id\":" id ",\"error\":{\"code\":-32003,"

/* echo and add are kept */
static int
keep(void *arg, const char *kind, const char *name)
{
	(void)arg;
	return (!strcmp(kind, "tool") && (!strcmp(name, "echo") ||
	    !strcmp(name, "add")));
}

struct row {
	const char	*what;
	int		 sse;
	const char	*in;
	size_t		 max;
	int		 failed;	/* fails closed */
	const char	*want;		/* all output; for a failure, its
					   prefix */
	const char	*early;		/* out before the last byte is fed */
};

static const struct row rows[] = {
	{ "JSON list", 0, ANS(T("echo") "," T("rm") "," T("add")), 4096, 0,
	    ANS(T("echo") "," T("add")), "" },
	{ "SSE: priming, progress, list", 1,
	    "id: 1\ndata:\n\n"
	    "event: message\r\ndata: {\"jsonrpc\":\"2.0\",\"method\":"
	    "\"notifications/progress\",\"params\":{}}\r\n\r\n"
	    "id: 3\ndata: " ANS(T("rm") "," T("echo")) "\n\n", 4096, 0,
	    /*
	     * a block ends at the CR of its last CRLF: the LF goes with
	     * the next block, and a rebuilt event drops it (the CR ended
	     * the line already)
	     */
	    "id: 1\ndata:\n\n"
	    "event: message\r\ndata: {\"jsonrpc\":\"2.0\",\"method\":"
	    "\"notifications/progress\",\"params\":{}}\r\n\r"
	    "id: 3\ndata: " ANS(T("echo")) "\n\n",
	    "id: 1\ndata:\n\n"
	    "event: message\r\ndata: {\"jsonrpc\":\"2.0\",\"method\":"
	    "\"notifications/progress\",\"params\":{}}\r\n\r" },
	{ "SSE: an error answer passes", 1,
	    "data: {\"jsonrpc\":\"2.0\",\"id\":7,\"error\":{\"code\":1,"
	    "\"message\":\"x\"}}\n\n", 4096, 0,
	    "data: {\"jsonrpc\":\"2.0\",\"id\":7,\"error\":{\"code\":1,"
	    "\"message\":\"x\"}}\n\n", "" },
	/* bad: each must fail closed */
	{ "JSON over the bound", 0, ANS(T("echo") "," T("rm")), 40, 1,
	    ERRB("\"r-1\""), NULL },
	{ "JSON not JSON", 0, "{\"jsonrpc\":\"2.0\",\"id\":7,\"result\":{"
	    "\"tools\":[" T("rm") "]", 4096, 1, ERRB("\"r-1\""), NULL },
	{ "JSON element without a name", 0,
	    ANS(T("echo") ",{\"title\":\"rm\"}"), 4096, 1, ERRB("\"r-1\""),
	    NULL },
	{ "JSON name twice", 0,
	    ANS("{\"name\":\"echo\",\"name\":\"rm\"}"), 4096, 1,
	    ERRB("\"r-1\""), NULL },
	{ "JSON result not an object", 0,
	    "{\"jsonrpc\":\"2.0\",\"id\":7,\"result\":[" T("rm") "]}", 4096, 1,
	    ERRB("\"r-1\""), NULL },
	{ "SSE event over the bound", 1,
	    "data: " ANS(T("echo") "," T("rm")) "\n\n", 40, 1,
	    "event: message\ndata: " ERRB("\"r-1\""), NULL },
	{ "SSE data not JSON", 1, "data: {\"tools\":[\n\n", 4096, 1,
	    "event: message\ndata: " ERRB("\"r-1\""), NULL },
	{ "SSE list without its list", 1,
	    "data: {\"jsonrpc\":\"2.0\",\"id\":7,\"result\":{}}\n\n", 4096, 1,
	    "event: message\ndata: " ERRB("\"r-1\""), NULL },
};

/*
 * Feed row r in pieces: split at cut (0: whole), or one byte at a time
 * (cut == -1).  The output is in *out; *early what came out before the
 * last byte went in.  Returns the last feed or end result.
 */
static int
feed(const struct row *r, long cut, char **out, size_t *outlen,
    size_t *early)
{
	struct relayfilter	 rf;
	size_t			 len = strlen(r->in), pos = 0, n, o = 0;
	char			*b = malloc(len + 1024);
	int			 rc = 0;

	memset(&rf, 0, sizeof(rf));
	rf.mode = r->sse ? RF_SSE : RF_JSON;
	rf.method = strdup("tools/list");
	rf.id = strdup("\"r-1\"");
	rf.idlen = 5;
	rf.lf.keep = keep;
	rf.lf.max = r->max;
	rf.lf.maxdepth = 16;
	if (r->sse)
		sse_init(&rf.sse, r->max);
	*early = 0;
	while (pos < len && rc == 0) {
		n = cut == -1 ? 1 : cut == 0 || pos >= (size_t)cut ?
		    len - pos : (size_t)cut - pos;
		if (pos + n == len)
			*early = o;
		rc = relayfilter_feed(&rf, r->in + pos, n);
		pos += n;
		if (rc != -1 && rf.outlen > 0 && o + rf.outlen < len + 1024) {
			memcpy(b + o, rf.out, rf.outlen);
			o += rf.outlen;
		}
	}
	if (rc == 0) {
		rc = relayfilter_end(&rf);
		if (rc != -1 && rf.outlen > 0 && o + rf.outlen < len + 1024) {
			memcpy(b + o, rf.out, rf.outlen);
			o += rf.outlen;
		}
	}
	relayfilter_free(&rf);
	b[o] = '\0';
	*out = b;
	*outlen = o;
	return (rc);
}

int
main(void)
{
	const struct row	*r;
	size_t			 i, outlen, early, len;
	long			 cut;
	char			*out;
	int			 rc;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		r = &rows[i];
		len = strlen(r->in);
		for (cut = -1; cut < (long)len; cut++) {
			rc = feed(r, cut, &out, &outlen, &early);
			if (r->failed) {
				CHECK(rc == 1 && !strncmp(out, r->want,
				    strlen(r->want)) && strstr(out, "rm") ==
				    NULL, "%s (cut %ld): rc %d, %s", r->what,
				    cut, rc, out);
			} else {
				CHECK(rc == 0 && outlen == strlen(r->want) &&
				    !memcmp(out, r->want, outlen),
				    "%s (cut %ld): rc %d, %s", r->what, cut,
				    rc, out);
				/* what precedes the answer is not held */
				CHECK(!r->sse || cut != -1 ||
				    early == strlen(r->early),
				    "%s: %zu bytes out before the end, want "
				    "%zu", r->what, early, strlen(r->early));
			}
			free(out);
		}
	}
	return (unit_done("mcpproxyd_relayfilter"));
}
