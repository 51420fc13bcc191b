/*
 * jsonrpc.c on a table: bodies and what the one reading must make of
 * them (result, kind, raw id, method, governed name or uri, _meta
 * version), with more hostile rows than friendly.  Every proper prefix
 * of a body must be refused, and every body is read from a buffer of
 * exactly its length (ASan sees a read past it).
 *
 * Built with -DNAIVE_READER, the same table runs against mcp_sniff
 * (mcp.c), the reader this one replaces, comparing only what it can
 * say (accepted or not, method, tool); the rows it gets wrong are
 * the properties this reader adds (67 of the 108 rows on 2026-12-02):
 *
 *   cc -std=c11 -D_GNU_SOURCE -DNAIVE_READER -o naive \
 *       tests/unit/mcpproxyd_jsonrpc.c OBJECTS LIBS && ./naive
 *
 * with OBJECTS every object of build/obj/mcpproxyd but main.o and of
 * build/obj/common, and LIBS pkg-config --libs of the Makefile's PKGS.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../mcpproxyd/mcpproxyd.h"
#include "../../mcpproxyd/jsonrpc.h"
#include "unit.h"

#define OK	JSONRPC_OK
#define BATCH	JSONRPC_BATCH
#define PARSE	JSONRPC_PARSE
#define INVAL	JSONRPC_INVALID
#define LIMIT	JSONRPC_LIMIT
#define REQ	JSONRPC_REQUEST
#define NOTE	JSONRPC_NOTIFICATION
#define RESP	JSONRPC_RESPONSE

#define CALL(name)	"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":" \
			"\"tools/call\",\"params\":{\"name\":" name "}}"

struct row {
	const char		*body;
	enum jsonrpc_result	 res;
	int			 kind;		/* or batch elements */
	const char		*id;		/* raw, NULL: none */
	const char		*method;
	const char		*target;	/* name or uri */
	const char		*version;
};

static const struct row good[] = {
	{ "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}", OK, REQ, "1",
	    "ping", NULL, NULL },
	{ "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\",\"params\":"
	    "{\"name\":\"echo\",\"arguments\":{\"message\":\"hi\"}}}", OK, REQ,
	    "2", "tools/call", "echo", NULL },
	{ "{\"jsonrpc\":\"2.0\",\"id\":\"p\",\"method\":\"prompts/get\","
	    "\"params\":{\"name\":\"code_review\"}}", OK, REQ, "\"p\"",
	    "prompts/get", "code_review", NULL },
	{ "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"resources/read\","
	    "\"params\":{\"uri\":\"file:///a b\"}}", OK, REQ, "3",
	    "resources/read", "file:///a b", NULL },
	{ "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}",
	    OK, NOTE, NULL, "notifications/initialized", NULL, NULL },
	{ "{\"jsonrpc\":\"2.0\",\"id\":7,\"result\":{}}", OK, RESP, "7",
	    NULL, NULL, NULL },
	{ "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32700,"
	    "\"message\":\"x\"}}", OK, RESP, "null", NULL, NULL, NULL },
	/* ids kept byte for byte: huge integers, exponents, escapes */
	{ "{\"jsonrpc\":\"2.0\",\"id\":123456789012345678901234567890,"
	    "\"method\":\"ping\"}", OK, REQ, "123456789012345678901234567890",
	    "ping", NULL, NULL },
	{ "{\"jsonrpc\":\"2.0\",\"id\":-1.5e+3,\"method\":\"ping\"}", OK, REQ,
	    "-1.5e+3", "ping", NULL, NULL },
	{ "{\"jsonrpc\":\"2.0\",\"id\":\"a\\\"b\\u00e9\",\"method\":\"ping\"}",
	    OK, REQ, "\"a\\\"b\\u00e9\"", "ping", NULL, NULL },
	/* escapes decoded: the name the server runs */
	{ CALL("\"\\u0065cho\""), OK, REQ, "1", "tools/call", "echo", NULL },
	{ CALL("\"\\ud83d\\ude00\""), OK, REQ, "1", "tools/call",
	    "\xf0\x9f\x98\x80", NULL },
	{ CALL("\"\xe5\x90\x8d\""), OK, REQ, "1", "tools/call", "\xe5\x90\x8d",
	    NULL },
	{ " \r\n\t{ \"params\" : { \"name\" : \"echo\" } , \"method\" : "
	    "\"tools/call\" , \"id\" : 0 , \"jsonrpc\" : \"2.0\" } \n", OK,
	    REQ, "0", "tools/call", "echo", NULL },
	/* 2026-07-28 request metadata */
	{ "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":"
	    "{\"_meta\":{\"io.modelcontextprotocol/protocolVersion\":"
	    "\"2026-07-28\"},\"name\":\"execute_sql\"}}", OK, REQ, "1",
	    "tools/call", "execute_sql", "2026-07-28" },
	/* NUL may be in an argument, not in a name */
	{ "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":"
	    "{\"name\":\"echo\",\"arguments\":{\"m\":\"a\\u0000b\"}}}", OK, REQ,
	    "1", "tools/call", "echo", NULL },
	/* escapes count once decoded: 20 letters in 120 bytes */
	{ CALL("\"\\u0065\\u0065\\u0065\\u0065\\u0065\\u0065\\u0065\\u0065"
	    "\\u0065\\u0065\\u0065\\u0065\\u0065\\u0065\\u0065\\u0065\\u0065"
	    "\\u0065\\u0065\\u0065\""), OK, REQ, "1", "tools/call",
	    "eeeeeeeeeeeeeeeeeeee", NULL },
	{ "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\",\"params\":"
	    "{\"name\":\"ignored\"}}", OK, REQ, "1", "tools/list", NULL, NULL },
};

/* a refused row names only its body and result */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
static const struct row bad[] = {
	/* not JSON */
	{ "", PARSE },
	{ "  \n", PARSE },
	{ "not json", PARSE },
	{ "{", PARSE },
	{ "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"", PARSE },
	{ "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}x", PARSE },
	{ "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}{\"jsonrpc\":"
	    "\"2.0\",\"id\":2,\"method\":\"tools/call\",\"params\":{\"name\":"
	    "\"rm\"}}", PARSE },
	{ "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\",}", PARSE },
	{ "{'jsonrpc':'2.0','id':1,'method':'ping'}", PARSE },
	{ "{\"jsonrpc\":\"2.0\",\"id\":1,/*c*/\"method\":\"ping\"}", PARSE },
	{ "{\"jsonrpc\":\"2.0\",\"id\":01,\"method\":\"ping\"}", PARSE },
	{ "{\"jsonrpc\":\"2.0\",\"id\":1.,\"method\":\"ping\"}", PARSE },
	{ "{\"jsonrpc\":\"2.0\",\"id\":.5,\"method\":\"ping\"}", PARSE },
	{ "{\"jsonrpc\":\"2.0\",\"id\":+1,\"method\":\"ping\"}", PARSE },
	{ "{\"jsonrpc\":\"2.0\",\"id\":1e,\"method\":\"ping\"}", PARSE },
	{ "{\"jsonrpc\":\"2.0\",\"id\":-,\"method\":\"ping\"}", PARSE },
	{ "{\"jsonrpc\":\"2.0\",\"id\":NaN,\"method\":\"ping\"}", PARSE },
	{ "{\"jsonrpc\":\"2.0\",\"id\":tru,\"method\":\"ping\"}", PARSE },
	{ "{\"jsonrpc\":\"2.0\" \"id\":1,\"method\":\"ping\"}", PARSE },
	{ "\xef\xbb\xbf{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}",
	    PARSE },
	/* escapes and strings */
	{ CALL("\"\\x65cho\""), PARSE },
	{ CALL("\"\\u006\""), PARSE },
	{ CALL("\"\\ud800\""), PARSE },
	{ CALL("\"\\udc00echo\""), PARSE },
	{ CALL("\"\\ud800\\u0041\""), PARSE },
	{ CALL("\"ec\tho\""), PARSE },
	{ CALL("\"ec\nho\""), PARSE },
	{ CALL("\"echo"), PARSE },
	{ CALL("\"echo\\\""), PARSE },
	/* not UTF-8 */
	{ CALL("\"ech\xff\""), PARSE },
	{ CALL("\"\xc0\xaf" "echo\""), PARSE },
	{ CALL("\"\xed\xa0\x80\""), PARSE },
	{ CALL("\"\xe2\x82\""), PARSE },
	{ CALL("\"\xf4\x90\x80\x80\""), PARSE },
	{ CALL("\"\x80\""), PARSE },
	/* NUL in a name */
	{ CALL("\"ec\\u0000ho\""), INVAL },
	{ CALL("\"echo\\u0000\""), INVAL },
	{ "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\\u0000x\"}", INVAL },
	{ "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\",\"me\\u0000thod\":"
	    "\"tools/call\"}", INVAL },
	/* duplicate member names, at every depth, compared decoded */
	{ "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\",\"method\":"
	    "\"tools/call\"}", INVAL },
	{ CALL("\"echo\",\"name\":\"rm\""), INVAL },
	{ CALL("\"echo\",\"n\\u0061me\":\"rm\""), INVAL },
	{ CALL("\"echo\",\"name\":\"echo\""), INVAL },
	{ "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":"
	    "{\"name\":\"echo\"},\"params\":{\"name\":\"rm\"}}", INVAL },
	{ "{\"jsonrpc\":\"2.0\",\"id\":1,\"id\":2,\"method\":\"ping\"}",
	    INVAL },
	{ "{\"jsonrpc\":\"2.0\",\"jsonrpc\":\"1.0\",\"id\":1,\"method\":"
	    "\"ping\"}", INVAL },
	{ CALL("\"echo\",\"arguments\":{\"path\":\"/ok\",\"path\":\"/etc\"}"),
	    INVAL },
	{ CALL("\"echo\",\"arguments\":{\"a\":[{\"b\":1,\"c\":{\"d\":1,"
	    "\"\\u0064\":2}}]}"), INVAL },
	{ CALL("\"echo\",\"arguments\":{\"k0\":0,\"k1\":1,\"k2\":2,\"k3\":3,"
	    "\"k4\":4,\"k5\":5,\"k6\":6,\"k7\":7,\"k8\":8,\"k9\":9,\"k3\":3}"),
	    INVAL },
	/* batches: a strict array is told apart, whatever it holds */
	{ "[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":"
	    "{\"name\":\"echo\"}},{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":"
	    "\"tools/call\",\"params\":{\"name\":\"rm\"}}]", BATCH, 2 },
	{ "[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\"}]", BATCH,
	    1 },
	{ "[]", BATCH, 0 },
	{ "[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"},{\"a\":1,"
	    "\"a\":2}]", INVAL },
	{ "[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"},", PARSE },
	/* id types */
	{ "{\"jsonrpc\":\"2.0\",\"id\":{\"a\":1},\"method\":\"ping\"}", INVAL },
	{ "{\"jsonrpc\":\"2.0\",\"id\":[1],\"method\":\"ping\"}", INVAL },
	{ "{\"jsonrpc\":\"2.0\",\"id\":null,\"method\":\"ping\"}", INVAL },
	{ "{\"jsonrpc\":\"2.0\",\"id\":true,\"method\":\"ping\"}", INVAL },
	{ "{\"jsonrpc\":\"2.0\",\"id\":null,\"result\":{}}", INVAL },
	/* not one JSON-RPC message */
	{ "\"ping\"", INVAL },
	{ "42", INVAL },
	{ "{\"id\":1,\"method\":\"ping\"}", INVAL },
	{ "{\"jsonrpc\":\"1.0\",\"id\":1,\"method\":\"ping\"}", INVAL },
	{ "{\"jsonrpc\":2.0,\"id\":1,\"method\":\"ping\"}", INVAL },
	{ "{\"jsonrpc\":\"2.0 \",\"id\":1,\"method\":\"ping\"}", INVAL },
	{ "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":42}", INVAL },
	{ "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":null}", INVAL },
	{ "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":[\"ping\"]}", INVAL },
	{ "{\"jsonrpc\":\"2.0\",\"id\":1}", INVAL },
	{ "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\",\"result\":{}}",
	    INVAL },
	{ "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{},\"error\":{}}", INVAL },
	{ "{\"jsonrpc\":\"2.0\",\"result\":{}}", INVAL },
	{ "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\",\"params\":1}",
	    INVAL },
	{ "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\"}", INVAL },
	{ "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":"
	    "[\"echo\"]}", INVAL },
	{ CALL("42"), INVAL },
	{ CALL("[\"echo\"]"), INVAL },
	{ "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":"
	    "{\"arguments\":{\"name\":\"echo\"}}}", INVAL },
	{ "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"resources/read\","
	    "\"params\":{\"name\":\"file:///a\"}}", INVAL },
	{ "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"prompts/get\","
	    "\"params\":{}}", INVAL },
	{ CALL("\"echo\",\"_meta\":[]"), INVAL },
	{ CALL("\"echo\",\"_meta\":{\"io.modelcontextprotocol/"
	    "protocolVersion\":20260728}"), INVAL },
	/* bounds (max_name 64, max_id 64, depth 32: see main) */
	{ CALL("\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaa\""), LIMIT },
	{ "{\"jsonrpc\":\"2.0\",\"id\":1234567890123456789012345678901234567"
	    "8901234567890123456789012345,\"method\":\"ping\"}", LIMIT },
	{ CALL("\"echo\",\"arguments\":{\"x\":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["
	    "[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}"), LIMIT },
};

#ifdef NAIVE_READER
/*
 * The old reader: mcp_sniff says a method ("" when it cannot read the
 * body, "?" for a duplicate method) and the tool of a tools/call.
 */
static enum jsonrpc_result
reader(const char *body, size_t len, struct jsonrpc *m)
{
	char	 rpc[128], tool[128];

	memset(m, 0, sizeof(*m));
	mcp_sniff(body, len, rpc, sizeof(rpc), tool, sizeof(tool));
	if (rpc[0] == '\0')
		return (JSONRPC_PARSE);
	if (!strcmp(rpc, "?"))
		return (JSONRPC_INVALID);
	if (!strcmp(rpc, "response")) {
		m->kind = JSONRPC_RESPONSE;
		return (JSONRPC_OK);
	}
	m->method = strdup(rpc);
	if (tool[0] != '\0')
		m->name = strdup(!strcmp(tool, "?") ? "" : tool);
	return (JSONRPC_OK);
}
#define NAIVE	1
#else
static enum jsonrpc_result
reader(const char *body, size_t len, struct jsonrpc *m)
{
	struct jsonrpc_limits	 lim = { 32, 64, 64 };
	const char		*why;

	return (jsonrpc_parse(body, len, &lim, m, &why));
}
#define NAIVE	0
#endif

static int
streq(const char *a, const char *b)
{
	return (a == NULL ? b == NULL : b != NULL && !strcmp(a, b));
}

/* Is the class (accepted, batch, refused) and what was read right? */
static int
row_ok(const struct row *r, enum jsonrpc_result res, const struct jsonrpc *m)
{
	int	 refused = r->res != OK && r->res != BATCH;

	if (refused)
		return (res != OK && res != BATCH);
	if (res != r->res)
		return (0);
	if (res == BATCH)
		return (NAIVE || m->batch == (size_t)r->kind);
	if (!streq(m->method, r->method) || !streq(jsonrpc_target(m),
	    r->target))
		return (0);
	if (NAIVE)
		return (1);
	return ((int)m->kind == r->kind && streq(m->id, r->id) &&
	    streq(m->version, r->version) && (m->id == NULL ||
	    strlen(m->id) == m->idlen));
}

/* Run one row; returns 1 when it came out right. */
static int
run(const struct row *r, int i, const char *set)
{
	struct jsonrpc		 m;
	enum jsonrpc_result	 res;
	size_t			 n = strlen(r->body), k;
	char			*copy;
	int			 ok;

	if ((copy = malloc(n ? n : 1)) == NULL)
		exit(2);
	memcpy(copy, r->body, n);
	res = reader(copy, n, &m);
	ok = row_ok(r, res, &m);
	CHECK(ok, "%s row %d: result %d method %s target %s id %s, want %d "
	    "%s %s %s", set, i, res, m.method ? m.method : "-",
	    jsonrpc_target(&m) ? jsonrpc_target(&m) : "-",
	    m.id ? m.id : "-", r->res, r->method ? r->method : "-",
	    r->target ? r->target : "-", r->id ? r->id : "-");
	jsonrpc_free(&m);
	/* a proper prefix of one JSON text is never one */
	for (k = 0; k < n && !NAIVE && r->res == OK; k++) {
		if (r->body[n - 1] != '}' && r->body[n - 1] != ']')
			break;
		res = reader(copy, k, &m);
		CHECK(res != OK && res != BATCH, "%s row %d: prefix of %zu "
		    "bytes read as %d", set, i, k, res);
		jsonrpc_free(&m);
	}
	free(copy);
	return (ok);
}

/* A tools/call nested depth deep in its arguments. */
static char *
deep(int depth)
{
	char	*b;
	int	 i, o;

	if ((b = malloc(2 * depth + 128)) == NULL)
		exit(2);
	o = sprintf(b, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\","
	    "\"params\":");
	for (i = 0; i < depth - 1; i++)
		b[o++] = '[';
	for (i = 0; i < depth - 1; i++)
		b[o++] = ']';
	strcpy(b + o, "}");
	return (b);
}

/* A tools/call whose arguments have n members, the last one again. */
static char *
wide(int n, int dup)
{
	char	*b;
	int	 i, o;

	if ((b = malloc(16 * n + 128)) == NULL)
		exit(2);
	o = sprintf(b, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":"
	    "\"tools/call\",\"params\":{\"name\":\"echo\",\"arguments\":{");
	for (i = 0; i < n; i++)
		o += sprintf(b + o, "\"key%03d\":%d,", i, i);
	if (dup)
		o += sprintf(b + o, "\"key%03d\":0,", n - 1);
	strcpy(b + o - 1, "}}}");
	return (b);
}

int
main(void)
{
	struct row	 r;
	struct jsonrpc	 m;
	const char	*bigid;
	char		*body, *err;
	size_t		 i, elen;
	int		 wrong = 0;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		wrong += !run(&good[i], (int)i, "good");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		wrong += !run(&bad[i], (int)i, "bad");
	/* the depth bound, exactly: 32 levels pass, 33 do not */
	memset(&r, 0, sizeof(r));
	r.body = body = deep(32);
	r.res = OK;
	r.kind = REQ;
	r.id = "1";
	r.method = "ping";
	wrong += !run(&r, 0, "depth 32");
	free(body);
	r.body = body = deep(33);
	r.res = LIMIT;
	wrong += !run(&r, 0, "depth 33");
	free(body);
	/* deeper than any bound: refused without exhausting the stack */
	r.body = body = deep(100000);
	r.res = LIMIT;
	wrong += !run(&r, 0, "depth 100000");
	free(body);
	/* wide objects (more names than fit on the stack), bodies > 2 KB */
	r.body = body = wide(300, 0);
	r.res = OK;
	r.target = "echo";
	r.method = "tools/call";
	wrong += !run(&r, 0, "300 members");
	free(body);
	r.body = body = wide(300, 1);
	r.res = INVAL;
	wrong += !run(&r, 0, "300 members, one twice");
	free(body);
	printf("%zu good rows, %zu bad rows (+5 generated rows), %d read "
	    "wrong\n",
	    sizeof(good) / sizeof(good[0]), sizeof(bad) / sizeof(bad[0]),
	    wrong);
	if (NAIVE)
		return (unit_done("mcpproxyd_jsonrpc (naive reader)"));

	/* the error body echoes the id as sent */
	bigid = "{\"jsonrpc\":\"2.0\",\"id\":12345678901234567890123,"
	    "\"method\":\"ping\"}";
	CHECK(jsonrpc_parse(bigid, strlen(bigid), &(struct jsonrpc_limits){ 8,
	    64, 64 }, &m, &(const char *){ NULL }) == OK, "big id");
	CHECK(jsonrpc_error_body(m.id, m.idlen, -32001, "tool \"rm\"\n denied",
	    &err, &elen) == 0 && !strcmp(err, "{\"jsonrpc\":\"2.0\",\"id\":"
	    "12345678901234567890123,\"error\":{\"code\":-32001,\"message\":"
	    "\"tool \\\"rm\\\"\\u000a denied\"}}") && elen == strlen(err),
	    "error body %s", err);
	free(err);
	jsonrpc_free(&m);
	CHECK(jsonrpc_error_body(NULL, 0, -32700, "parse error", &err, &elen)
	    == 0 && !strcmp(err, "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":"
	    "{\"code\":-32700,\"message\":\"parse error\"}}"), "null id %s",
	    err);
	free(err);
	return (unit_done("mcpproxyd_jsonrpc"));
}
