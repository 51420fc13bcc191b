/*
 * The access log's escaping, request ids and line bound: tables of
 * hostile fields (more bad than good), every JSON line checked with
 * jansson, and the longest line any fields can make.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "../../mcpproxyd/mcpproxyd.h"
#include "unit.h"

static const struct {
	const char	*in;
	const char	*text;		/* escaped for the text format */
	const char	*json;		/* escaped inside JSON quotes */
} esc[] = {
	{ "/mcp", "/mcp", "/mcp" },
	{ "caf\xc3\xa9", "caf\\xc3\\xa9", "caf\xc3\xa9" },
	{ "\xf0\x9f\x98\x80", "\\xf0\\x9f\\x98\\x80", "\xf0\x9f\x98\x80" },
	/* hostile */
	{ "a\"b", "a\\x22b", "a\\\"b" },
	{ "a\\b", "a\\x5cb", "a\\\\b" },
	{ "a b", "a\\x20b", "a b" },
	{ "\n\r\t\x01\x1f\x7f", "\\x0a\\x0d\\x09\\x01\\x1f\\x7f",
	    "\\u000a\\u000d\\u0009\\u0001\\u001f\\u007f" },
	{ "\xff", "\\xff", "\\ufffd" },
	{ "\x80x", "\\x80x", "\\ufffdx" },
	{ "\xc0\xaf", "\\xc0\\xaf", "\\ufffd\\ufffd" },		/* overlong */
	{ "\xe0\x80\xaf", "\\xe0\\x80\\xaf", "\\ufffd\\ufffd\\ufffd" },
	{ "\xed\xa0\x80", "\\xed\\xa0\\x80", "\\ufffd\\ufffd\\ufffd" },	/* surrogate */
	{ "\xf4\x90\x80\x80", "\\xf4\\x90\\x80\\x80",
	    "\\ufffd\\ufffd\\ufffd\\ufffd" },			/* > U+10FFFF */
	{ "\xe2\x82", "\\xe2\\x82", "\\ufffd" },	/* cut: one U+FFFD */
	{ "\xe2\x82x", "\\xe2\\x82x", "\\ufffdx" },
	{ "\xf0\x9f\x98", "\\xf0\\x9f\\x98", "\\ufffd" },
	{ "\xc3", "\\xc3", "\\ufffd" },
	{ "x\xf8\x88\x80\x80\x80", "x\\xf8\\x88\\x80\\x80\\x80",
	    "x\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd" },
	{ "\"}{\"evil\":1", "\\x22}{\\x22evil\\x22:1", "\\\"}{\\\"evil\\\":1" },
};

static const struct {
	const char	*id;
	int		 max;
	int		 ok;
} ids[] = {
	{ "0f8fad5b-d9cb-469f-a165-70867728950e", 64, 1 },
	{ "01ARZ3NDEKTSV4RRFFQ69G5FAV", 64, 1 },
	{ "Root=1-5759e988:a.b_c+d/e@f", 64, 1 },
	{ "", 64, 0 },
	{ "a b", 64, 0 },
	{ "a\"b", 64, 0 },
	{ "a\\b", 64, 0 },
	{ "a\nb", 64, 0 },
	{ "a\x01", 64, 0 },
	{ "\xc3\xa9", 64, 0 },
	{ "a;b", 64, 0 },
	{ "a,b", 64, 0 },
	{ "<script>", 64, 0 },
	{ "abcdefghi", 8, 0 },
	{ "abcdefgh", 8, 1 },
	{ "x", 0, 0 },
};

/* A field of n bytes that escapes as badly as it can in both formats. */
static char *
worst(size_t n)
{
	char	*s = malloc(n + 1);

	memset(s, '\x01', n);
	s[n] = '\0';
	return (s);
}

/* Check one formatted JSON line: valid, one line, and fields as given. */
static void
check_json(const char *line, size_t n, const char *what)
{
	json_t		*j;
	json_error_t	 e;

	CHECK(n <= ACCESSLOG_LINE_MAX && line[n - 1] == '\n' &&
	    memchr(line, '\n', n - 1) == NULL, "%s: %zu bytes", what, n);
	j = json_loadb(line, n, JSON_DECODE_INT_AS_REAL, &e);
	CHECK(j != NULL && json_is_object(j), "%s: not JSON: %s: %.*s",
	    what, e.text, (int)n, line);
	json_decref(j);
}

int
main(void)
{
	char		 out[512], line[ACCESSLOG_LINE_MAX];
	struct logrec	 r;
	struct timespec	 end;
	struct http_request req;
	size_t		 i, n;
	json_t		*j;
	char		*big;
	char		 h0[] = "X-Request-Id", v0[] = "abc-123";
	char		 h1[] = "x_request_id", v1[] = "other", v2[] = "bad id";

	for (i = 0; i < sizeof(esc) / sizeof(esc[0]); i++) {
		n = accesslog_escape(out, sizeof(out), esc[i].in, 0);
		CHECK(n == strlen(esc[i].text) && !memcmp(out, esc[i].text, n),
		    "esc %zu text: %.*s", i, (int)n, out);
		n = accesslog_escape(out, sizeof(out), esc[i].in, 1);
		CHECK(n == strlen(esc[i].json) && !memcmp(out, esc[i].json, n),
		    "esc %zu json: %.*s", i, (int)n, out);
	}
	/* a budget never cuts an escape or a character */
	CHECK(accesslog_escape(out, 5, "ab\"", 0) == 2, "cut text escape");
	CHECK(accesslog_escape(out, 3, "ab\xc3\xa9", 1) == 2, "cut UTF-8");
	CHECK(accesslog_escape(out, 6, "a\x01", 1) == 1, "cut \\u escape");

	for (i = 0; i < sizeof(ids) / sizeof(ids[0]); i++)
		CHECK(accesslog_id_ok(ids[i].id, ids[i].max) == ids[i].ok,
		    "id %zu \"%s\"", i, ids[i].id);

	/* request ids: one well-formed header is taken, else one is made */
	memset(&req, 0, sizeof(req));
	memset(&r, 0, sizeof(r));
	req.hdr[0].name = h0;
	req.hdr[0].value = v0;
	req.nhdr = 1;
	accesslog_request_id(&r, &req);
	CHECK(!strcmp(r.reqid, "abc-123"), "taken: %s", r.reqid);
	req.hdr[1].name = h1;
	req.hdr[1].value = v1;
	req.nhdr = 2;
	accesslog_request_id(&r, &req);
	CHECK(strcmp(r.reqid, "abc-123") && strlen(r.reqid) == 18,
	    "two copies: %s", r.reqid);
	req.hdr[0].value = v2;
	req.nhdr = 1;
	accesslog_request_id(&r, &req);
	CHECK(strcmp(r.reqid, "bad id") && accesslog_id_ok(r.reqid, 64),
	    "bad: %s", r.reqid);
	strcpy(line, r.reqid);
	accesslog_request_id(&r, NULL);
	CHECK(strcmp(line, r.reqid) != 0 && !strncmp(line, r.reqid, 17),
	    "made ids: %s then %s", line, r.reqid);

	/* an ordinary line, in both formats */
	memset(&r, 0, sizeof(r));
	r.client = "127.0.0.1";
	r.method = "POST";
	r.path = "/mcp";
	r.status = 200;
	r.bytes = 42;
	r.upstream = "127.0.0.1:8000";
	strcpy(r.rpc, "tools/call");
	strcpy(r.tool, "ec\"ho");
	strcpy(r.reqid, "id1");
	strcpy(r.authz, "allow");
	end.tv_sec = 1764660704;
	end.tv_nsec = 123000000;
	r.start.tv_sec = end.tv_sec - 1;
	r.start.tv_nsec = end.tv_nsec;
	n = accesslog_format(&r, &end, 0, line);
	CHECK(n == strlen("2025-12-02T07:31:44.123Z 127.0.0.1 \"POST /mcp\" 200 "
	    "42 1.000 id=id1 upstream=127.0.0.1:8000 rpc=tools/call "
	    "tool=ec\\x22ho authz=allow session=- sub=-\n") && !memcmp(line,
	    "2025-12-02T07:31:44.123Z 127.0.0.1 \"POST /mcp\" 200 42 1.000 "
	    "id=id1 upstream=127.0.0.1:8000 rpc=tools/call tool=ec\\x22ho "
	    "authz=allow session=- sub=-\n", n), "text: %.*s", (int)n, line);
	n = accesslog_format(&r, &end, 1, line);
	check_json(line, n, "ordinary");
	j = json_loadb(line, n, 0, NULL);
	CHECK(j && !strcmp(json_string_value(json_object_get(j, "tool")),
	    "ec\"ho") && json_integer_value(json_object_get(j, "status")) ==
	    200 && json_is_null(json_object_get(j, "sub")) &&
	    json_real_value(json_object_get(j, "duration")) == 1.0,
	    "json fields: %.*s", (int)n, line);
	json_decref(j);

	/* the longest line: every field full of bytes that escape to 6 */
	big = worst(4096);
	r.client = r.method = r.path = r.upstream = big;
	memset(r.rpc, '\x01', sizeof(r.rpc) - 1);
	memset(r.tool, '\xff', sizeof(r.tool) - 1);
	memset(r.session, '"', sizeof(r.session) - 1);
	memset(r.sub, '\\', sizeof(r.sub) - 1);
	memset(r.reqid, 'z', sizeof(r.reqid) - 1);
	memset(r.authz, '"', sizeof(r.authz) - 1);
	r.status = -2147483647;
	r.bytes = UINT64_MAX;
	r.start.tv_sec = 0;
	n = accesslog_format(&r, &end, 1, line);
	check_json(line, n, "worst json");
	n = accesslog_format(&r, &end, 0, line);
	CHECK(n <= ACCESSLOG_LINE_MAX && line[n - 1] == '\n' &&
	    memchr(line, '\n', n - 1) == NULL, "worst text: %zu", n);
	free(big);
	return (unit_done("mcpproxyd_accesslog"));
}
