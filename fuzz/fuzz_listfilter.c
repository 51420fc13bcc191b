/*
 * libFuzzer target: list filtering and the SSE event assembler
 * (mcpproxyd/listfilter.c).
 *
 * Input: byte 0: bits 0-1 the request's method (tools/list,
 * prompts/list, resources/list, none: a resumed stream), bit 2
 * cacheScope "private", bit 3 the rest is an SSE stream (else one JSON
 * body), bit 4 (JSON body) the rest is the inside of a tools list,
 * wrapped in an answer (so that more inputs reach the filter); byte 1: which names keep() allows (a hash of the name with
 * this seed), and in SSE mode where the stream is split; the rest is
 * the input.  Invariants:
 * - the filter is deterministic;
 * - a filtered answer is strict JSON whose lists hold only names keep()
 *   allows, as many as the input held, and filtering it again changes
 *   nothing; with "private" its result.cacheScope is "private";
 * - LISTFILTER_ERROR always says why; nothing is written then;
 * - the SSE blocks are the stream's bytes in order, and the same
 *   whether the stream came whole, in two pieces or byte by byte;
 *   every block's data goes through the filter with the same promises.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../mcpproxyd/jsonrpc.h"

#include "require.h"

static const char *methods[] = { "tools/list", "prompts/list",
    "resources/list", NULL };
static const char *members[] = { "tools", "prompts", "resources" };
static const char *fields[] = { "name", "name", "uri" };
static const char *kinds[] = { "tool", "prompt", "resource" };

static unsigned	 seed;
static unsigned	 kept[3];	/* what keep() allowed, by list */

static unsigned
hash(const char *s)
{
	unsigned	 h = 2166136261u;

	while (*s != '\0')
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return (h);
}

static int
allowed(const char *kind, const char *name)
{
	return (((hash(name) ^ hash(kind)) + seed) % 3 != 0);
}

static int
keep(void *arg, const char *kind, const char *name)
{
	int	 k, i;

	(void)arg;
	k = allowed(kind, name);
	for (i = 0; i < 3; i++)
		if (!strcmp(kind, kinds[i]))
			kept[i] += k;
	return (k);
}

/* Every element of out's lists is allowed; counts as keep() said. */
static void
check_output(const char *out, size_t len, int priv, const unsigned *want)
{
	struct jscan_doc	 doc;
	const char		*why;
	size_t			 res, a, e, f, n, cs;
	char			*name;
	int			 i;

	REQUIRE(jscan(out, len, JSONRPC_DEPTH_MAX, 5, &doc, &why) ==
	    JSCAN_OK);
	res = jscan_member(&doc, 0, "result");
	REQUIRE(res != 0 && doc.node[res].type == JV_OBJECT);
	for (i = 0; i < 3; i++) {
		if ((a = jscan_member(&doc, res, members[i])) == 0) {
			REQUIRE(want[i] == 0);
			continue;
		}
		REQUIRE(doc.node[a].count == want[i]);
		for (e = doc.node[a].first; e != 0; e = doc.node[e].next) {
			f = jscan_member(&doc, e, fields[i]);
			REQUIRE(f != 0 && doc.node[f].type == JV_STRING);
			name = jscan_string(out, doc.node[f].start,
			    doc.node[f].end, &n);
			REQUIRE(name != NULL && allowed(kinds[i], name));
			free(name);
		}
	}
	if (priv) {
		cs = jscan_member(&doc, res, "cacheScope");
		REQUIRE(cs != 0 && doc.node[cs].end - doc.node[cs].start == 9 &&
		    memcmp(out + doc.node[cs].start, "\"private\"", 9) == 0);
	}
	jscan_free(&doc);
}

/* Filter one body and check every promise. */
static void
one(const char *method, int priv, const char *body, size_t len)
{
	struct listfilter	 lf = { keep, NULL, 1 << 16, 24, priv };
	enum listfilter_result	 r, r2;
	const char		*why;
	char			*copy, *out, *out2, *out3;
	size_t			 outlen, outlen2, outlen3;
	unsigned		 first[3];

	if ((copy = malloc(len ? len : 1)) == NULL)
		abort();
	memcpy(copy, body, len);
	memset(kept, 0, sizeof(kept));
	r = listfilter_body(&lf, method, copy, len, &out, &outlen, &why);
	memcpy(first, kept, sizeof(first));
	memset(kept, 0, sizeof(kept));
	r2 = listfilter_body(&lf, method, copy, len, &out2, &outlen2, &why);
	REQUIRE(r == r2);
	REQUIRE(memcmp(first, kept, sizeof(kept)) == 0);
	if (r != LISTFILTER_FILTERED) {
		REQUIRE(out == NULL && out2 == NULL);
		REQUIRE(r == LISTFILTER_ERROR ? why != NULL : 1);
		free(copy);
		return;
	}
	REQUIRE(outlen == outlen2 && memcmp(out, out2, outlen) == 0);
	REQUIRE(strlen(out) == outlen);
	check_output(out, outlen, priv, first);
	/* idempotent: the filtered answer filters to itself */
	memset(kept, 0, sizeof(kept));
	REQUIRE(listfilter_body(&lf, method, out, outlen, &out3, &outlen3,
	    &why) == LISTFILTER_FILTERED);
	REQUIRE(outlen3 == outlen && memcmp(out3, out, outlen) == 0);
	free(out);
	free(out2);
	free(out3);
	free(copy);
}

/* Assemble the stream; fill dump with the blocks, filter their data. */
static size_t
stream(const char *s, size_t len, size_t first, size_t step,
    const char *method, int priv, char *dump, int filter)
{
	struct sse		 a;
	struct sse_event	 ev;
	enum sse_result		 r = SSE_MORE;
	size_t			 pos = 0, n, used, raw = 0, d = 0;

	sse_init(&a, 4096);
	while (pos < len && r != SSE_ERROR) {
		n = pos == 0 ? first : step;
		if (n > len - pos)
			n = len - pos;
		while (n > 0) {
			r = sse_feed(&a, s + pos, n, &used, &ev);
			REQUIRE(used <= n);
			if (r == SSE_ERROR)
				break;
			pos += used;
			n -= used;
			if (r == SSE_EVENT) {
				REQUIRE(ev.rawlen > 0 && ev.rawlen <= 4096);
				REQUIRE(!memcmp(ev.raw, s + raw, ev.rawlen));
				raw += ev.rawlen;
				d += sprintf(dump + d, "%zu/%zu/%d/%d;",
				    ev.rawlen, ev.data ? ev.datalen : 0,
				    ev.id != NULL, ev.event != NULL);
				if (filter && ev.data != NULL)
					one(method, priv, ev.data, ev.datalen);
			} else
				REQUIRE(n == 0);
			sse_event_free(&ev);
		}
	}
	sse_free(&a);
	d += sprintf(dump + d, "%d", r == SSE_ERROR);
	return (d);
}

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char	*method;
	char		*whole, *split, *bytes;
	size_t		 len, at;
	int		 priv;

	if (size < 2 || size > 8192)
		return (0);
	method = methods[data[0] & 3];
	priv = (data[0] >> 2) & 1;
	seed = data[1];
	len = size - 2;
	if (!(data[0] & 8) && (data[0] & 16)) {
		static const char	 pre[] = "{\"jsonrpc\":\"2.0\",\"id\":1,"
		    "\"result\":{\"tools\":[", post[] = "]}}";

		if ((whole = malloc(len + sizeof(pre) + sizeof(post))) == NULL)
			abort();
		memcpy(whole, pre, sizeof(pre) - 1);
		memcpy(whole + sizeof(pre) - 1, data + 2, len);
		memcpy(whole + sizeof(pre) - 1 + len, post, sizeof(post) - 1);
		one(method, priv, whole, len + sizeof(pre) + sizeof(post) - 2);
		free(whole);
		return (0);
	}
	if (!(data[0] & 8)) {
		one(method, priv, (const char *)data + 2, len);
		return (0);
	}
	/* a dump line per block: at most len blocks of < 48 bytes */
	whole = malloc(48 * (len + 1));
	split = malloc(48 * (len + 1));
	bytes = malloc(48 * (len + 1));
	if (whole == NULL || split == NULL || bytes == NULL)
		abort();
	at = (size_t)data[1] * (len + 1) / 256;
	stream((const char *)data + 2, len, len, len, method, priv, whole, 1);
	stream((const char *)data + 2, len, at ? at : 1, len, method, priv,
	    split, 0);
	stream((const char *)data + 2, len, 1, 1, method, priv, bytes, 0);
	REQUIRE(strcmp(whole, split) == 0);
	REQUIRE(strcmp(whole, bytes) == 0);
	free(whole);
	free(split);
	free(bytes);
	return (0);
}
