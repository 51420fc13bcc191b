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

/* Copy a raw string into out, keeping only characters safe in a log. */
static void
safe_copy(char *out, size_t outlen, const char *s, size_t n)
{
	size_t	 i;

	for (i = 0; i < n && i + 1 < outlen; i++)
		out[i] = (s[i] >= 0x21 && s[i] <= 0x7e && s[i] != '"' &&
		    s[i] != '\\' && s[i] != '=') ? s[i] : '?';
	out[i] = '\0';
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

/*
 * Stage: read what the access log shows of the MCP message (method,
 * tool, session).  Never refuses: a stage that acts on the message
 * (tool rules) goes after this one.
 */
enum xresult
mcp_read(struct exchange *x)
{
	mcp_sniff(x->body, x->bodylen, x->log.rpc, sizeof(x->log.rpc),
	    x->log.tool, sizeof(x->log.tool));
	accesslog_session(&x->log, http_header_get(x->req.hdr, x->req.nhdr,
	    "Mcp-Session-Id"));
	return (XR_NEXT);
}
