/*
 * What the access log shows of an MCP message: the JSON-RPC method and
 * the tool a tools/call names.  A small scanner instead of a JSON
 * library: it runs on every request and needs two strings, not a tree
 * (jansson cost 13% of a proxied request here).  It only reads; what
 * it cannot follow leaves the fields empty.  A key given twice marks
 * the field "?": the upstream's parser would take the last copy, and
 * the log must not be fooled into naming the first.
 */
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "mcpproxyd.h"

#define SNIFF_DEPTH	32

struct scan {
	const char	*p, *end;
};

static void
skip_ws(struct scan *s)
{
	while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' ||
	    *s->p == '\n' || *s->p == '\r'))
		s->p++;
}

/*
 * Scan a string at s->p (on its opening quote).  Sets *start and *len to
 * its raw contents (escapes left as they are).  Returns 0 or -1.
 */
static int
scan_string(struct scan *s, const char **start, size_t *len)
{
	const char	*q;

	if (s->p >= s->end || *s->p != '"')
		return (-1);
	q = ++s->p;
	while (s->p < s->end && *s->p != '"') {
		if ((unsigned char)*s->p < 0x20)
			return (-1);
		if (*s->p == '\\' && ++s->p >= s->end)
			return (-1);
		s->p++;
	}
	if (s->p >= s->end)
		return (-1);
	*start = q;
	*len = s->p - q;
	s->p++;
	return (0);
}

/* Skip any JSON value, nesting at most depth levels.  Returns 0 or -1. */
static int
skip_value(struct scan *s, int depth)
{
	const char	*str;
	size_t		 n;
	char		 close;

	skip_ws(s);
	if (s->p >= s->end || depth <= 0)
		return (-1);
	switch (*s->p) {
	case '"':
		return (scan_string(s, &str, &n));
	case '{':
	case '[':
		close = *s->p == '{' ? '}' : ']';
		s->p++;
		skip_ws(s);
		if (s->p < s->end && *s->p == close) {
			s->p++;
			return (0);
		}
		for (;;) {
			if (close == '}') {
				skip_ws(s);
				if (scan_string(s, &str, &n) == -1)
					return (-1);
				skip_ws(s);
				if (s->p >= s->end || *s->p++ != ':')
					return (-1);
			}
			if (skip_value(s, depth - 1) == -1)
				return (-1);
			skip_ws(s);
			if (s->p >= s->end)
				return (-1);
			if (*s->p == close) {
				s->p++;
				return (0);
			}
			if (*s->p++ != ',')
				return (-1);
		}
	default:	/* number, true, false, null */
		if (strchr("-0123456789tfn", *s->p) == NULL)
			return (-1);
		while (s->p < s->end && strchr(",}] \t\r\n", *s->p) == NULL)
			s->p++;
		return (0);
	}
}

/* The value of the 4 hex digits at s, or -1. */
static long
hex4(const char *s, size_t n)
{
	long	 v = 0;
	size_t	 i;

	if (n < 4)
		return (-1);
	for (i = 0; i < 4; i++) {
		v <<= 4;
		if (s[i] >= '0' && s[i] <= '9')
			v |= s[i] - '0';
		else if ((s[i] | 0x20) >= 'a' && (s[i] | 0x20) <= 'f')
			v |= (s[i] | 0x20) - 'a' + 10;
		else
			return (-1);
	}
	return (v);
}

/* Put code point c as UTF-8 at out[*o] if it fits below outlen. */
static void
put_utf8(char *out, size_t outlen, size_t *o, long c)
{
	char	 u[4];
	size_t	 n;

	if (c == 0 || (c >= 0xd800 && c <= 0xdfff))
		c = 0xfffd;		/* NUL, lone surrogate */
	if (c < 0x80)
		u[0] = c, n = 1;
	else if (c < 0x800)
		u[0] = 0xc0 | c >> 6, u[1] = 0x80 | (c & 63), n = 2;
	else if (c < 0x10000)
		u[0] = 0xe0 | c >> 12, u[1] = 0x80 | ((c >> 6) & 63),
		    u[2] = 0x80 | (c & 63), n = 3;
	else
		u[0] = 0xf0 | c >> 18, u[1] = 0x80 | ((c >> 12) & 63),
		    u[2] = 0x80 | ((c >> 6) & 63), u[3] = 0x80 | (c & 63),
		    n = 4;
	if (*o + n < outlen) {
		memcpy(out + *o, u, n);
		*o += n;
	}
}

/*
 * Copy a raw JSON string (as scan_string found it) into out with its
 * escapes decoded, as the upstream will read it; cut to outlen.  Bytes
 * are kept as they are, invalid UTF-8 too: accesslog.c escapes what it
 * writes.  \u0000 and lone surrogates become U+FFFD.
 */
static void
safe_copy(char *out, size_t outlen, const char *s, size_t n)
{
	size_t	 i = 0, o = 0;
	long	 c, lo;

	while (i < n && o + 1 < outlen) {
		if (s[i] != '\\' || i + 1 >= n) {
			out[o++] = s[i++];
			continue;
		}
		c = s[i + 1];
		i += 2;
		switch (c) {
		case 'b': c = '\b'; break;
		case 'f': c = '\f'; break;
		case 'n': c = '\n'; break;
		case 'r': c = '\r'; break;
		case 't': c = '\t'; break;
		case 'u':
			if ((c = hex4(s + i, n - i)) == -1) {
				c = 0xfffd;
				break;
			}
			i += 4;
			if (c >= 0xd800 && c <= 0xdbff && i + 6 <= n &&
			    s[i] == '\\' && s[i + 1] == 'u' &&
			    (lo = hex4(s + i + 2, n - i - 2)) >= 0xdc00 &&
			    lo <= 0xdfff) {
				c = 0x10000 + ((c - 0xd800) << 10) +
				    (lo - 0xdc00);
				i += 6;
			}
			break;
		}
		put_utf8(out, outlen, &o, c);
	}
	out[o] = '\0';
}

static int
key_is(const char *k, size_t n, const char *want)
{
	return (n == strlen(want) && !memcmp(k, want, n));
}

/*
 * Scan one object for the key want (a string value) at s->p; sets
  * *val and *vlen, or *dup when the key is there twice.  When params is
 * not NULL, the "params" object is scanned for "name" too.
 */
static int
scan_object(struct scan *s, int depth, const char *want, const char **val,
    size_t *vlen, int *dup, const char **name, size_t *nlen, int *ndup,
    int *response)
{
	const char	*k;
	size_t		 kl;

	skip_ws(s);
	if (s->p >= s->end || *s->p++ != '{')
		return (-1);
	skip_ws(s);
	if (s->p < s->end && *s->p == '}')
		return (0);
	for (;;) {
		skip_ws(s);
		if (scan_string(s, &k, &kl) == -1)
			return (-1);
		skip_ws(s);
		if (s->p >= s->end || *s->p++ != ':')
			return (-1);
		skip_ws(s);
		if (key_is(k, kl, want) && s->p < s->end && *s->p == '"') {
			*dup += *val != NULL;
			if (scan_string(s, val, vlen) == -1)
				return (-1);
		} else if (name != NULL && key_is(k, kl, "params") &&
		    s->p < s->end && *s->p == '{') {
			if (scan_object(s, depth - 1, "name", name, nlen, ndup,
			    NULL, NULL, NULL, NULL) == -1)
				return (-1);
		} else {
			if (response != NULL && (key_is(k, kl, "result") ||
			    key_is(k, kl, "error")))
				*response = 1;
			if (skip_value(s, depth - 1) == -1)
				return (-1);
		}
		skip_ws(s);
		if (s->p >= s->end)
			return (-1);
		if (*s->p == '}') {
			s->p++;
			return (0);
		}
		if (*s->p++ != ',')
			return (-1);
	}
}

/*
 * Fill rpc (and tool for tools/call) from a JSON-RPC body; both stay
 * "" when the body is not JSON-RPC.  A batch shows its first method.
 */
void
mcp_sniff(const char *body, size_t len, char *rpc, size_t rpclen,
    char *tool, size_t toollen)
{
	struct scan	 s;
	const char	*m = NULL, *nm = NULL;
	size_t		 ml = 0, nl = 0;
	int		 mdup = 0, ndup = 0, response = 0;

	rpc[0] = tool[0] = '\0';
	if (body == NULL || len == 0)
		return;
	s.p = body;
	s.end = body + len;
	skip_ws(&s);
	if (s.p < s.end && *s.p == '[') {	/* a batch: its first message */
		s.p++;
		skip_ws(&s);
	}
	if (scan_object(&s, SNIFF_DEPTH, "method", &m, &ml, &mdup, &nm, &nl,
	    &ndup, &response) == -1)
		return;
	if (mdup) {
		snprintf(rpc, rpclen, "?");
		return;
	}
	if (m == NULL) {
		if (response)
			snprintf(rpc, rpclen, "response");
		return;
	}
	safe_copy(rpc, rpclen, m, ml);
	if (key_is(m, ml, "tools/call") && nm != NULL)
		safe_copy(tool, toollen, ndup ? "?" : nm, ndup ? 1 : nl);
}

/* Forget the previous request's message (request.c, per request). */
void
mcp_forget(struct exchange *x)
{
	if (x->rpcok)
		jsonrpc_free(&x->rpc);
	memset(&x->rpc, 0, sizeof(x->rpc));
	x->rpcok = 0;
}

/* A header's value and how many times it came, for mcphdr_check. */
static void
header_count(const struct http_request *r, const char *name,
    const char **val, size_t *len, int *n)
{
	*n = (int)http_header_count(r->hdr, r->nhdr, name, val);
	*len = *val != NULL ? strlen(*val) : 0;
}

/*
 * The request's MCP headers against its body (mcphdr.c): 400 with
 * JSON-RPC error -32020 on a mismatch.  XR_NEXT when they agree.
 */
static enum xresult
mcp_headers(struct exchange *x)
{
	struct mcphdr	 h;
	const char	*why;

	header_count(&x->req, "MCP-Protocol-Version", &h.version,
	    &h.versionlen, &h.nversion);
	header_count(&x->req, "Mcp-Method", &h.method, &h.methodlen,
	    &h.nmethod);
	header_count(&x->req, "Mcp-Name", &h.name, &h.namelen, &h.nname);
	if (mcphdr_check(&h, &x->rpc, &why) == MCPHDR_OK)
		return (XR_NEXT);
	log_info("%s: %s %s: refused: %s", x->clienttext, x->req.method,
	    x->logpath, why);
	return (reply_rpc_error(x, 400, MCPHDR_MISMATCH_CODE, why));
}

/* The access log's rpc and tool fields from the message read. */
static void
mcp_log(struct exchange *x)
{
	const struct jsonrpc	*m = &x->rpc;

	if (m->kind == JSONRPC_RESPONSE) {
		snprintf(x->log.rpc, sizeof(x->log.rpc), "response");
		return;
	}
	safe_copy(x->log.rpc, sizeof(x->log.rpc), m->method,
	    strlen(m->method));
	if (m->name != NULL && !strcmp(m->method, "tools/call"))
		safe_copy(x->log.tool, sizeof(x->log.tool), m->name,
		    strlen(m->name));
}

/*
 * Stage: read the MCP message of a POST once (jsonrpc.c, strict and
 * bounded by max_rpc_depth, max_rpc_name and max_rpc_id) for the rules
 * (authz.c), the 2026-07-28 header check, the stream admission and the
 * access log.  On a route with a policy, what the rules cannot read is
 * refused (fail closed): a batch (the spec dropped them in 2025-06-18;
 * one could hide a forbidden call), a body that is not strict JSON or
 * not one JSON-RPC message, or one over a bound, all with 400.  On
 * other routes such a body passes as before, the log naming a batch's
 * first method (mcp_sniff).
 */
enum xresult
mcp_read(struct exchange *x)
{
	struct jsonrpc_limits	 lim;
	enum jsonrpc_result	 r;
	const char		*why = NULL;
	int			 governed = x->rt != NULL && x->rt->policy != NULL;

	accesslog_session(&x->log, http_header_get(x->req.hdr, x->req.nhdr,
	    "Mcp-Session-Id"));
	if (strcmp(x->req.method, "POST") || x->body == NULL ||
	    x->bodylen == 0)
		return (XR_NEXT);
	lim.max_depth = x->conf->max_rpc_depth;
	lim.max_name = x->conf->max_rpc_name;
	lim.max_id = x->conf->max_rpc_id;
	r = jsonrpc_parse(x->body, x->bodylen, &lim, &x->rpc, &why);
	if (r == JSONRPC_OK) {
		x->rpcok = 1;
		mcp_log(x);
		return (mcp_headers(x));
	}
	jsonrpc_free(&x->rpc);
	if (!governed) {
		mcp_sniff(x->body, x->bodylen, x->log.rpc, sizeof(x->log.rpc),
		    x->log.tool, sizeof(x->log.tool));
		return (XR_NEXT);
	}
	log_info("%s: %s %s: refused on a route with a policy: %s",
	    x->clienttext, x->req.method, x->logpath, why ? why : "-");
	snprintf(x->log.authz, sizeof(x->log.authz), "deny");
	switch (r) {
	case JSONRPC_BATCH:
		snprintf(x->log.rpc, sizeof(x->log.rpc), "batch");
		return (reply_rpc_error(x, 400, -32600,
		    "batches are not accepted here"));
	case JSONRPC_PARSE:
		return (reply_rpc_error(x, 400, -32700, "parse error"));
	case JSONRPC_LIMIT:
		return (reply_rpc_error(x, 400, -32600,
		    "message over the proxy's limits"));
	case JSONRPC_NOMEM:
		return (reply_rpc_error(x, 503, -32000, "out of memory"));
	default:
		return (reply_rpc_error(x, 400, -32600, "invalid request"));
	}
}
