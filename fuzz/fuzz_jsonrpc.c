/*
 * libFuzzer target: the one reading of a JSON-RPC body
 * (mcpproxyd/jsonrpc.c) and the 2026-07-28 header check (mcphdr.c).
 *
 * Input: byte 0 sets the bounds (depth 1..32 from its low 5 bits, names
 * and ids of 16 or 4096 bytes from bit 5), the rest is the body.
 * Invariants:
 * - the reading is deterministic (twice the same answer and fields);
 * - jscan agrees with jansson (JSON_REJECT_DUPLICATES, JSON_ALLOW_NUL):
 *   what jansson accepts, jscan accepts (or finds too deep); what
 *   jscan accepts and jansson does not holds a number jansson cannot
 *   hold (jansson refuses a NUL in a member name, as jscan does;
 *   bodies holding a NUL byte are left out: jansson stops there);
 * - an accepted message is consistent: a request has an id and a
 *   method, a notification a method only, a response an id only; its
 *   strings are within the bounds, UTF-8, without NUL; the raw id is
 *   in the body and is a JSON string or number;
 * - the headers a 2026-07-28 client sends for it (Mcp-Name plain when
 *   header-safe, always also as "=?base64?...?="), pass mcphdr_check,
 *   and a changed Mcp-Name does not;
 * - the error body built with its id is strict JSON echoing the id.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "../mcpproxyd/jsonrpc.h"

#include "require.h"

static int
streq(const char *a, const char *b)
{
	return (a == NULL ? b == NULL : b != NULL && !strcmp(a, b));
}

/* Check a string field of an accepted message. */
static void
field(const char *s, size_t max)
{
	if (s == NULL)
		return;
	REQUIRE(strlen(s) <= max);
	REQUIRE(jscan_utf8_valid(s, strlen(s)));
}

static char *
b64(const char *s)
{
	static const char	 a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t			 n = strlen(s), i, o = 0;
	unsigned		 v;
	char			*out;

	if ((out = malloc(n / 3 * 4 + 32)) == NULL)
		abort();
	o = sprintf(out, "=?base64?");
	for (i = 0; i < n; i += 3) {
		v = (unsigned char)s[i] << 16;
		if (i + 1 < n)
			v |= (unsigned char)s[i + 1] << 8;
		if (i + 2 < n)
			v |= (unsigned char)s[i + 2];
		out[o++] = a[v >> 18];
		out[o++] = a[(v >> 12) & 63];
		out[o++] = i + 1 < n ? a[(v >> 6) & 63] : '=';
		out[o++] = i + 2 < n ? a[v & 63] : '=';
	}
	strcpy(out + o, "?=");
	return (out);
}

/* The headers a conforming client sends for m pass; a wrong name not. */
static void
headers(const struct jsonrpc *m)
{
	struct mcphdr	 h;
	const char	*why, *t = jsonrpc_target(m), *p;
	char		*enc;
	int		 safe = 1;

	if (m->kind != JSONRPC_REQUEST || m->version == NULL ||
	    !mcphdr_modern(m->version, strlen(m->version)))
		return;
	for (p = m->method; *p != '\0'; p++)
		if (*p < 0x20 || *p > 0x7e)
			return;		/* no header can carry it */
	memset(&h, 0, sizeof(h));
	h.version = m->version;
	h.versionlen = strlen(m->version);
	h.nversion = 1;
	h.method = m->method;
	h.methodlen = strlen(m->method);
	h.nmethod = 1;
	REQUIRE(mcphdr_check(&h, m, &why) == (t == NULL ? MCPHDR_OK :
	    MCPHDR_MISMATCH));
	if (t == NULL)
		return;
	for (p = t; *p != '\0'; p++)
		if (*p < 0x20 || *p > 0x7e)
			safe = 0;
	if (safe && (strncmp(t, "=?base64?", 9) != 0 || strlen(t) < 11 ||
	    strcmp(t + strlen(t) - 2, "?=") != 0)) {
		h.name = t;
		h.namelen = strlen(t);
		h.nname = 1;
		REQUIRE(mcphdr_check(&h, m, &why) == MCPHDR_OK);
	}
	enc = b64(t);
	h.name = enc;
	h.namelen = strlen(enc);
	h.nname = 1;
	REQUIRE(mcphdr_check(&h, m, &why) == MCPHDR_OK);
	h.nname = 2;
	REQUIRE(mcphdr_check(&h, m, &why) == MCPHDR_MISMATCH);
	free(enc);
	enc = b64("\x01other");
	h.name = enc;
	h.namelen = strlen(enc);
	h.nname = 1;
	REQUIRE(mcphdr_check(&h, m, &why) == (strcmp(t, "\x01other") ?
	    MCPHDR_MISMATCH : MCPHDR_OK));
	free(enc);
}

/* The error body is JSON with the message's id, byte for byte. */
static void
error_body(const struct jsonrpc *m)
{
	struct jscan_doc	 doc;
	const char		*why;
	char			*b;
	size_t			 n, id;

	REQUIRE(jsonrpc_error_body(m->id, m->idlen, -32001, "denied \"x\"\n",
	    &b, &n) == 0);
	REQUIRE(jscan(b, n, 4, 2, &doc, &why) == JSCAN_OK);
	id = jscan_member(&doc, 0, "id");
	REQUIRE(id != 0);
	if (m->id != NULL)
		REQUIRE(doc.node[id].end - doc.node[id].start == m->idlen &&
		    memcmp(b + doc.node[id].start, m->id, m->idlen) == 0);
	jscan_free(&doc);
	free(b);
}

/* Does jansson read the text the same way jscan did? */
static void
differential(const char *body, size_t len, int depth)
{
	struct jscan_doc	 doc;
	enum jscan_result	 r;
	json_error_t		 e;
	json_t			*j;
	const char		*why;

	/* jansson takes a NUL byte for the end of its input */
	if (memchr(body, '\0', len) != NULL)
		return;
	r = jscan(body, len, depth, 1, &doc, &why);
	jscan_free(&doc);
	j = json_loadb(body, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY |
	    JSON_ALLOW_NUL, &e);
	if (j != NULL)
		REQUIRE(r == JSCAN_OK || r == JSCAN_DEPTH);
	else if (r == JSCAN_OK)
		REQUIRE(strstr(e.text, "too big") != NULL ||
		    strstr(e.text, "overflow") != NULL);
	json_decref(j);
}

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct jsonrpc_limits	 lim;
	struct jsonrpc		 a, b;
	enum jsonrpc_result	 ra, rb;
	const char		*why;
	char			*body;

	if (size < 1)
		return (0);
	lim.max_depth = 1 + (data[0] & 31);
	lim.max_name = lim.max_id = (data[0] & 32) ? 4096 : 16;
	size--;
	if ((body = malloc(size ? size : 1)) == NULL)
		abort();
	memcpy(body, data + 1, size);
	ra = jsonrpc_parse(body, size, &lim, &a, &why);
	REQUIRE(ra == JSONRPC_OK ? why == NULL : why != NULL);
	rb = jsonrpc_parse(body, size, &lim, &b, &why);
	REQUIRE(ra == rb && a.kind == b.kind && a.idtype == b.idtype &&
	    a.idlen == b.idlen && streq(a.id, b.id) && streq(a.method,
	    b.method) && streq(a.name, b.name) && streq(a.uri, b.uri) &&
	    streq(a.version, b.version) && a.batch == b.batch);
	differential(body, size, JSONRPC_DEPTH_MAX);
	if (ra == JSONRPC_OK) {
		switch (a.kind) {
		case JSONRPC_REQUEST:
			REQUIRE(a.id != NULL && a.method != NULL);
			break;
		case JSONRPC_NOTIFICATION:
			REQUIRE(a.id == NULL && a.method != NULL);
			break;
		case JSONRPC_RESPONSE:
			REQUIRE(a.id != NULL && a.method == NULL);
			break;
		default:
			REQUIRE(0);
		}
		REQUIRE(a.name == NULL || a.uri == NULL);
		field(a.method, lim.max_name);
		field(a.name, lim.max_name);
		field(a.uri, lim.max_name);
		field(a.version, lim.max_name);
		if (a.id != NULL) {
			REQUIRE(a.idlen <= lim.max_id && a.idlen <= size);
			REQUIRE(memmem(body, size, a.id, a.idlen) != NULL);
			REQUIRE(a.idtype == JSONRPC_ID_STRING ? a.id[0] == '"' :
			    a.idtype == JSONRPC_ID_NUMBER ? (a.id[0] == '-' ||
			    (a.id[0] >= '0' && a.id[0] <= '9')) :
			    !strcmp(a.id, "null"));
		}
		error_body(&a);
		headers(&a);
	}
	jsonrpc_free(&a);
	jsonrpc_free(&b);
	free(body);
	return (0);
}
