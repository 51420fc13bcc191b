/*
 * mcphdr.c on tables: Mcp-Name values decoded (the spec's examples,
 * and base64 that is not quite right), and the check of a request's
 * Mcp-Method, Mcp-Name and MCP-Protocol-Version against its body, with
 * more rows that must fail than rows that must pass.
 *
 * Built with -DNAIVE_CHECK, the check is replaced by the obvious one
 * (a header that is there equals the body's value as sent) and the
 * table counts what that gets wrong.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../mcpproxyd/jsonrpc.h"
#include "unit.h"

static const struct {
	const char	*value;
	const char	*want;		/* NULL: refused */
} decodes[] = {
	{ "echo", "echo" },
	{ "file:///projects/myapp/config.json",
	    "file:///projects/myapp/config.json" },
	{ "a b", "a b" },
	{ "=?base64?SGVsbG8sIOS4lueVjA==?=", "Hello, \xe4\xb8\x96\xe7\x95\x8c" },
	{ "=?base64?IHBhZGRlZCA=?=", " padded " },
	{ "=?base64?bGluZTEKbGluZTI=?=", "line1\nline2" },
	{ "=?base64?PT9iYXNlNjQ/bGl0ZXJhbD89?=", "=?base64?literal?=" },
	{ "=?base64?ZWNobw==?=", "echo" },
	{ "=?base64?" "?=", "" },
	/* not the sentinel (case-sensitive, both ends): the value itself */
	{ "=?BASE64?ZWNobw==?=", "=?BASE64?ZWNobw==?=" },
	{ "=?base64?ZWNobw==", "=?base64?ZWNobw==" },
	/* refused */
	{ "=?base64?SGVsbG8sIOS4lueVjA=?=", NULL },
	{ "=?base64?SGVsbG8sIOS4lueVjA?=", NULL },
	{ "=?base64?ZWNobw=?=", NULL },
	{ "=?base64?ZWNobw===?=", NULL },
	{ "=?base64?ZWNoba==?=", NULL },		/* pad bits set */
	{ "=?base64?ZWNobx==?=", NULL },
	{ "=?base64?ZWNobyE=?=", "echo!" },		/* (good: control) */
	{ "=?base64?ZWNobyF=?=", NULL },
	{ "=?base64?ZW=obw==?=", NULL },
	{ "=?base64?====?=", NULL },
	{ "=?base64?Z===?=", NULL },
	{ "=?base64?ZWNo_w==?=", NULL },		/* base64url */
	{ "=?base64?ZWNo-w==?=", NULL },
	{ "=?base64?ZWNo bw==?=", NULL },
	{ "=?base64?ZWNobw==\n?=", NULL },
	{ "=?base64?/w==?=", NULL },		/* 0xff: not UTF-8 */
	{ "=?base64?AA==?=", NULL },		/* NUL */
	{ "=?base64?ZWMAaG8=?=", NULL },		/* ec NUL ho */
	{ "=?base64?7aCA?=", NULL },		/* encoded surrogate */
	{ "=?base64?wK8=?=", NULL },		/* overlong */
	{ "=?base64?9JCAgA==?=", NULL },		/* past U+10FFFF */
	{ "Hello, \xe4\xb8\x96\xe7\x95\x8c", NULL },	/* non-ASCII plain */
	{ "ec\tho", NULL },
	{ "ec\x01ho", NULL },
	{ "ec\x7fho", NULL },
	{ "ech\xc3\xa9", NULL },
};

/* request bodies */
#define META(v)	",\"_meta\":{\"io.modelcontextprotocol/protocolVersion\":\"" \
		v "\"}"
static const char *bodies[] = {
#define B_CALL	0
	"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":"
	    "{\"name\":\"echo\"" META("2026-07-28") "}}",
#define B_OLD	1
	"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":"
	    "{\"name\":\"echo\"}}",
#define B_PING	2
	"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\",\"params\":{"
	    "\"x\":1" META("2026-07-28") "}}",
#define B_NOTE	3
	"{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\"}",
#define B_READ	4
	"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"resources/read\",\"params\":"
	    "{\"uri\":\"file:///a\"" META("2026-07-28") "}}",
#define B_UNI	5
	"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":"
	    "{\"name\":\"Hello, \\u4e16\\u754c\"" META("2026-07-28") "}}",
#define B_RESP	6
	"{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}}",
#define B_V25	7
	"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":"
	    "{\"name\":\"echo\"" META("2025-11-25") "}}",
};

#define TWICE	"\001"	/* prefix: the header came twice */
#define V	"2026-07-28"

static const struct {
	int		 body;
	const char	*version, *method, *name;	/* NULL: absent */
	int		 ok;
} checks[] = {
	{ B_CALL, V, "tools/call", "echo", 1 },
	{ B_CALL, V, "tools/call", "=?base64?ZWNobw==?=", 1 },
	{ B_READ, V, "resources/read", "file:///a", 1 },
	{ B_UNI, V, "tools/call", "=?base64?SGVsbG8sIOS4lueVjA==?=", 1 },
	{ B_PING, V, "ping", NULL, 1 },
	{ B_OLD, NULL, NULL, NULL, 1 },
	{ B_OLD, "2025-06-18", NULL, NULL, 1 },
	{ B_OLD, "2025-11-25", "tools/call", "echo", 1 },
	{ B_NOTE, V, NULL, NULL, 1 },
	{ B_NOTE, V, "notifications/cancelled", NULL, 1 },
	{ B_RESP, V, NULL, NULL, 1 },
	{ B_V25, "2025-11-25", NULL, NULL, 1 },
	/* must fail: 400 with -32020 */
	{ B_CALL, V, NULL, "echo", 0 },
	{ B_CALL, V, "tools/call", NULL, 0 },
	{ B_CALL, V, "tools/call", "rm", 0 },
	{ B_CALL, V, "tools/call", "Echo", 0 },
	{ B_CALL, V, "tools/call", "=?base64?cm0=?=", 0 },
	{ B_CALL, V, "tools/call", "=?base64?ZWNobw=?=", 0 },
	{ B_CALL, V, "tools/call", "=?base64?ZWNobw==", 0 },
	{ B_CALL, V, "tools/list", "echo", 0 },
	{ B_CALL, V, "Tools/call", "echo", 0 },
	{ B_CALL, V, "=?base64?dG9vbHMvY2FsbA==?=", "echo", 0 },
	{ B_CALL, V, "tools/call\t", "echo", 0 },
	{ B_CALL, NULL, "tools/call", "echo", 0 },
	{ B_CALL, "2025-11-25", "tools/call", "echo", 0 },
	{ B_CALL, "2026-07-29", "tools/call", "echo", 0 },
	{ B_CALL, TWICE V, "tools/call", "echo", 0 },
	{ B_CALL, V, TWICE "tools/call", "echo", 0 },
	{ B_CALL, V, "tools/call", TWICE "echo", 0 },
	{ B_OLD, V, "tools/call", "echo", 0 },
	{ B_OLD, NULL, "tools/call", "rm", 0 },
	{ B_OLD, "2025-11-25", "tools/list", NULL, 0 },
	{ B_V25, V, "tools/call", "echo", 0 },
	{ B_READ, V, "resources/read", "file:///b", 0 },
	{ B_READ, V, "resources/read", NULL, 0 },
	{ B_UNI, V, "tools/call", "Hello, \xe4\xb8\x96\xe7\x95\x8c", 0 },
	{ B_UNI, V, "tools/call", "Hello, ??", 0 },
	{ B_PING, V, "ping", "x", 0 },
	{ B_PING, V, NULL, NULL, 0 },
	{ B_NOTE, V, "notifications/initialized", NULL, 0 },
	{ B_RESP, V, "ping", NULL, 0 },
};

/* Fill one header from a table value (TWICE: given two times). */
static void
header(const char *v, const char **val, size_t *len, int *n)
{
	*n = 0;
	*val = NULL;
	*len = 0;
	if (v == NULL)
		return;
	*n = 1;
	if (v[0] == TWICE[0]) {
		v++;
		*n = 2;
	}
	*val = v;
	*len = strlen(v);
}

#ifdef NAIVE_CHECK
/* The obvious check: a header that is there equals the body, as sent. */
static enum mcphdr_result
check(const struct mcphdr *h, const struct jsonrpc *m, const char **why)
{
	const char	*t = jsonrpc_target(m);

	*why = "naive";
	if (h->nmethod && (m->method == NULL || h->methodlen !=
	    strlen(m->method) || memcmp(h->method, m->method, h->methodlen)))
		return (MCPHDR_MISMATCH);
	if (h->nname && t != NULL && (h->namelen != strlen(t) ||
	    memcmp(h->name, t, h->namelen)))
		return (MCPHDR_MISMATCH);
	return (MCPHDR_OK);
}
#else
#define check	mcphdr_check
#endif

int
main(void)
{
	struct jsonrpc_limits	 lim = { 16, 256, 64 };
	struct jsonrpc		 m;
	struct mcphdr		 h;
	const char		*why, *b;
	char			*out;
	size_t			 i, n;
	int			 rv, wrong = 0;

	for (i = 0; i < sizeof(decodes) / sizeof(decodes[0]); i++) {
		rv = mcphdr_decode(decodes[i].value, strlen(decodes[i].value),
		    &out, &n);
		CHECK(decodes[i].want == NULL ? rv == -1 : rv == 0 &&
		    n == strlen(decodes[i].want) && !strcmp(out,
		    decodes[i].want), "decode row %zu (%s): %d %s", i,
		    decodes[i].value, rv, rv == 0 ? out : "-");
		free(out);
	}
	for (i = 0; i < sizeof(checks) / sizeof(checks[0]); i++) {
		b = bodies[checks[i].body];
		if (jsonrpc_parse(b, strlen(b), &lim, &m, &why) != JSONRPC_OK) {
			CHECK(0, "check row %zu: body refused: %s", i, why);
			continue;
		}
		header(checks[i].version, &h.version, &h.versionlen,
		    &h.nversion);
		header(checks[i].method, &h.method, &h.methodlen, &h.nmethod);
		header(checks[i].name, &h.name, &h.namelen, &h.nname);
		rv = check(&h, &m, &why) == MCPHDR_OK;
		if (rv != checks[i].ok)
			wrong++;
		CHECK(rv == checks[i].ok, "check row %zu: %s (%s)", i,
		    rv ? "passed" : "refused", why ? why : "-");
		CHECK(rv ? why == NULL : why != NULL, "check row %zu: why", i);
		jsonrpc_free(&m);
	}
	printf("%zu decode rows, %zu check rows, %d checked wrong\n",
	    sizeof(decodes) / sizeof(decodes[0]),
	    sizeof(checks) / sizeof(checks[0]), wrong);
	CHECK(mcphdr_modern("2026-07-28", 10) && mcphdr_modern("2027-01-01",
	    10) && !mcphdr_modern("2025-11-25", 10) &&
	    !mcphdr_modern("2026-07-2", 9) && !mcphdr_modern("2026/07/28",
	    10) && !mcphdr_modern("9999-99-9x", 10), "mcphdr_modern");
	return (unit_done("mcpproxyd_mcphdr"));
}
