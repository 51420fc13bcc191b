/*
 * The one reading of a JSON-RPC body: a strict JSON scanner that keeps
 * a tape of the shallow values, and the message read from that tape.
 *
 * Why our own scanner and not jansson: jansson refuses integers beyond
 * 64 bits (so an id such as 123456789012345678901234 could not be
 * echoed, and a tool's argument could make a valid body unreadable),
 * keeps no byte offsets (an error must echo the id byte for byte, and
 * the list filter cuts elements out of the upstream's own text), and
 * cost 13% of a proxied request when mcp_sniff was written.
 *
 * Decisions (RFC 8259 leaves them to the parser):
 * - UTF-8 only, no BOM; invalid UTF-8, overlong forms, encoded
 *   surrogates and code points past U+10FFFF are refused;
 * - \u escapes must pair surrogates; a lone one is refused;
 * - an object naming a member twice is refused, names compared after
 *   decoding ("\u0065cho" is "echo"), at every depth;
 * - a member name holding U+0000 is refused (a C reader would see a
 *   shorter name); string values may hold it;
 * - only whitespace may follow the value;
 * - nesting of arrays and objects is bounded by the caller, and never
 *   deeper than JSONRPC_DEPTH_MAX (the scanner recurses).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonrpc.h"

#define KEEP_NONE	((size_t)-1)
#define SMALL		2048	/* bodies this small scan without malloc */

struct name {
	const char	*s;
	size_t		 len;
};

struct scanner {
	const char		*t;
	size_t			 len, pos;
	int			 maxdepth;
	struct jscan_doc		*doc;
	char			*arena;		/* decoded member names */
	size_t			 alen;
	struct name		*names;		/* of the open objects */
	size_t			 nnames, ncap;
	char			 arena0[SMALL];
	struct name		 names0[SMALL / 16];
	enum jscan_result	 err;
	const char		*why;
};

static int	scan_value(struct scanner *, int, size_t, size_t, size_t *);

/* Record a failure (the first one wins); returns -1. */
static int
fail(struct scanner *sc, enum jscan_result err, const char *why)
{
	if (sc->err == JSCAN_OK) {
		sc->err = err;
		sc->why = why;
	}
	return (-1);
}

static void
skip_ws(struct scanner *sc)
{
	while (sc->pos < sc->len && (sc->t[sc->pos] == ' ' ||
	    sc->t[sc->pos] == '\t' || sc->t[sc->pos] == '\n' ||
	    sc->t[sc->pos] == '\r'))
		sc->pos++;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return (c - '0');
	if (c >= 'a' && c <= 'f')
		return (c - 'a' + 10);
	if (c >= 'A' && c <= 'F')
		return (c - 'A' + 10);
	return (-1);
}

/* The 4 hex digits at s (n bytes left), or -1. */
static long
hex4(const char *s, size_t n)
{
	long	 v = 0;
	int	 i, h;

	if (n < 4)
		return (-1);
	for (i = 0; i < 4; i++) {
		if ((h = hexval((unsigned char)s[i])) == -1)
			return (-1);
		v = v * 16 + h;
	}
	return (v);
}

/*
 * Length of the UTF-8 sequence at s (n bytes left), 0 when it is not
 * well formed (RFC 3629 section 4).
 */
static size_t
utf8_len(const unsigned char *s, size_t n)
{
	unsigned char	 lo = 0x80, hi = 0xbf;
	size_t		 len, i;

	if (s[0] < 0x80)
		return (1);
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		if (s[0] == 0xe0)
			lo = 0xa0;
		else if (s[0] == 0xed)
			hi = 0x9f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		if (s[0] == 0xf0)
			lo = 0x90;
		else if (s[0] == 0xf4)
			hi = 0x8f;
	} else
		return (0);
	if (n < len || s[1] < lo || s[1] > hi)
		return (0);
	for (i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return (0);
	return (len);
}

/* Is s[0..n) well-formed UTF-8?  Returns 1 or 0. */
int
jscan_utf8_valid(const char *s, size_t n)
{
	size_t	 i, l;

	for (i = 0; i < n; i += l)
		if ((l = utf8_len((const unsigned char *)s + i, n - i)) == 0)
			return (0);
	return (1);
}

/*
 * Check the string at sc->pos (its opening quote) and step past it.
 * Sets *start, *end to its bytes (quotes included).  Returns 0 or -1.
 */
static int
scan_string(struct scanner *sc, size_t *start, size_t *end)
{
	const unsigned char	*t = (const unsigned char *)sc->t;
	long			 u, lo;
	size_t			 n;

	if (sc->pos >= sc->len || t[sc->pos] != '"')
		return (fail(sc, JSCAN_SYNTAX, "string expected"));
	*start = sc->pos++;
	for (;;) {
		if (sc->pos >= sc->len)
			return (fail(sc, JSCAN_SYNTAX, "unterminated string"));
		if (t[sc->pos] == '"')
			break;
		if (t[sc->pos] < 0x20)
			return (fail(sc, JSCAN_SYNTAX,
			    "control character in a string"));
		if (t[sc->pos] >= 0x80) {
			if ((n = utf8_len(t + sc->pos, sc->len - sc->pos)) == 0)
				return (fail(sc, JSCAN_SYNTAX,
				    "invalid UTF-8"));
			sc->pos += n;
			continue;
		}
		if (t[sc->pos] != '\\') {
			sc->pos++;
			continue;
		}
		if (++sc->pos >= sc->len)
			return (fail(sc, JSCAN_SYNTAX, "unterminated escape"));
		if (strchr("\"\\/bfnrt", t[sc->pos]) != NULL &&
		    t[sc->pos] != '\0') {
			sc->pos++;
			continue;
		}
		if (t[sc->pos] != 'u')
			return (fail(sc, JSCAN_SYNTAX, "invalid escape"));
		u = hex4(sc->t + sc->pos + 1, sc->len - sc->pos - 1);
		if (u == -1)
			return (fail(sc, JSCAN_SYNTAX, "invalid \\u escape"));
		sc->pos += 5;
		if (u >= 0xdc00 && u <= 0xdfff)
			return (fail(sc, JSCAN_SYNTAX, "lone low surrogate"));
		if (u >= 0xd800 && u <= 0xdbff) {
			if (sc->pos + 1 >= sc->len || t[sc->pos] != '\\' ||
			    t[sc->pos + 1] != 'u' ||
			    (lo = hex4(sc->t + sc->pos + 2,
			    sc->len - sc->pos - 2)) < 0xdc00 || lo > 0xdfff)
				return (fail(sc, JSCAN_SYNTAX,
				    "lone high surrogate"));
			sc->pos += 6;
		}
	}
	*end = ++sc->pos;
	return (0);
}

/* Append code point u to out as UTF-8; returns the bytes written. */
static size_t
put_utf8(char *out, long u)
{
	if (u < 0x80) {
		out[0] = (char)u;
		return (1);
	}
	if (u < 0x800) {
		out[0] = (char)(0xc0 | (u >> 6));
		out[1] = (char)(0x80 | (u & 0x3f));
		return (2);
	}
	if (u < 0x10000) {
		out[0] = (char)(0xe0 | (u >> 12));
		out[1] = (char)(0x80 | ((u >> 6) & 0x3f));
		out[2] = (char)(0x80 | (u & 0x3f));
		return (3);
	}
	out[0] = (char)(0xf0 | (u >> 18));
	out[1] = (char)(0x80 | ((u >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((u >> 6) & 0x3f));
	out[3] = (char)(0x80 | (u & 0x3f));
	return (4);
}

/*
 * Decode the checked string s[0..n) (inside its quotes) into out,
 * which has room for n bytes: decoding never grows a string.
 * Returns the decoded length.
 */
static size_t
decode(const char *s, size_t n, char *out)
{
	size_t	 i = 0, o = 0;
	long	 u, lo;

	while (i < n) {
		if (s[i] != '\\') {
			out[o++] = s[i++];
			continue;
		}
		switch (s[++i]) {
		case 'b': out[o++] = '\b'; i++; break;
		case 'f': out[o++] = '\f'; i++; break;
		case 'n': out[o++] = '\n'; i++; break;
		case 'r': out[o++] = '\r'; i++; break;
		case 't': out[o++] = '\t'; i++; break;
		case 'u':
			u = hex4(s + i + 1, 4);
			i += 5;
			if (u >= 0xd800 && u <= 0xdbff) {
				lo = hex4(s + i + 2, 4);
				u = 0x10000 + ((u - 0xd800) << 10) +
				    (lo - 0xdc00);
				i += 6;
			}
			o += put_utf8(out + o, u);
			break;
		default:	/* " \ / */
			out[o++] = s[i++];
			break;
		}
	}
	return (o);
}

/*
 * Decode the checked string token text[start..end) (quotes included)
 * into a new NUL-terminated buffer; *n gets its length (it may hold
 * NUL).  Returns NULL when out of memory.
 */
char *
jscan_string(const char *text, size_t start, size_t end, size_t *n)
{
	char	*out;

	if ((out = malloc(end - start - 1)) == NULL)
		return (NULL);
	*n = decode(text + start + 1, end - start - 2, out);
	out[*n] = '\0';
	return (out);
}

static int
namecmp(const void *a, const void *b)
{
	const struct name	*x = a, *y = b;
	int			 c;

	c = memcmp(x->s, y->s, x->len < y->len ? x->len : y->len);
	if (c != 0)
		return (c);
	return (x->len < y->len ? -1 : x->len > y->len);
}

/*
 * Is a name among names[base..nnames) there twice?  Small objects are
 * compared pairwise, large ones sorted (the slice is dropped after).
 */
static int
has_duplicate(struct scanner *sc, size_t base)
{
	struct name	*v = sc->names + base;
	size_t		 n = sc->nnames - base, i, j;

	if (n <= 8) {
		for (i = 0; i < n; i++)
			for (j = i + 1; j < n; j++)
				if (namecmp(v + i, v + j) == 0)
					return (1);
		return (0);
	}
	qsort(v, n, sizeof(*v), namecmp);
	for (i = 1; i < n; i++)
		if (namecmp(v + i - 1, v + i) == 0)
			return (1);
	return (0);
}

/* Decode a member name into the arena and remember it. */
static int
add_name(struct scanner *sc, size_t start, size_t end)
{
	struct name	*nv;
	char		*s = sc->arena + sc->alen;
	size_t		 n;

	if (sc->nnames == sc->ncap) {
		if ((nv = reallocarray(sc->names == sc->names0 ? NULL :
		    sc->names, sc->ncap * 2, sizeof(*nv))) == NULL)
			return (fail(sc, JSCAN_NOMEM, "out of memory"));
		if (sc->names == sc->names0)
			memcpy(nv, sc->names0, sizeof(sc->names0));
		sc->names = nv;
		sc->ncap *= 2;
	}
	n = decode(sc->t + start + 1, end - start - 2, s);
	if (memchr(s, '\0', n) != NULL)
		return (fail(sc, JSCAN_NULNAME, "NUL in a member name"));
	sc->names[sc->nnames].s = s;
	sc->names[sc->nnames++].len = n;
	sc->alen += n;
	return (0);
}

/* Append a node at depth for the value starting at sc->pos. */
static size_t
add_node(struct scanner *sc, enum jscan_type type, int depth, size_t key,
    size_t keyend)
{
	struct jscan_doc		*d = sc->doc;
	struct jscan_node	*nv;

	if (depth > d->keep)
		return (KEEP_NONE);
	if (d->nnode == d->cap) {
		if ((nv = reallocarray(d->node, d->cap ? d->cap * 2 : 32,
		    sizeof(*nv))) == NULL) {
			fail(sc, JSCAN_NOMEM, "out of memory");
			return (KEEP_NONE);
		}
		d->node = nv;
		d->cap = d->cap ? d->cap * 2 : 32;
	}
	nv = &d->node[d->nnode];
	memset(nv, 0, sizeof(*nv));
	nv->type = type;
	nv->depth = depth;
	nv->start = sc->pos;
	nv->key = key;
	nv->keyend = keyend;
	return (d->nnode++);
}

/* Link child c (KEEP_NONE: not kept) after *last under parent p. */
static void
link_child(struct scanner *sc, size_t p, size_t c, size_t *last)
{
	if (p == KEEP_NONE || c == KEEP_NONE)
		return;
	if (*last == KEEP_NONE)
		sc->doc->node[p].first = c;
	else
		sc->doc->node[*last].next = c;
	*last = c;
}

/* An object or array at sc->pos, of nesting depth.  Returns 0 or -1. */
static int
scan_container(struct scanner *sc, int depth, size_t idx)
{
	char	 close = sc->t[sc->pos] == '{' ? '}' : ']';
	size_t	 base = sc->nnames, abase = sc->alen, last = KEEP_NONE;
	size_t	 ks = 0, ke = 0, c, count = 0;

	if (depth > sc->maxdepth)
		return (fail(sc, JSCAN_DEPTH, "nested too deep"));
	sc->pos++;
	skip_ws(sc);
	if (sc->pos < sc->len && sc->t[sc->pos] == close)
		goto done;
	for (;;) {
		skip_ws(sc);
		if (close == '}') {
			if (scan_string(sc, &ks, &ke) == -1 ||
			    add_name(sc, ks, ke) == -1)
				return (-1);
			skip_ws(sc);
			if (sc->pos >= sc->len || sc->t[sc->pos] != ':')
				return (fail(sc, JSCAN_SYNTAX, "':' expected"));
			sc->pos++;
		}
		if (scan_value(sc, depth + 1, ks, ke, &c) == -1)
			return (-1);
		link_child(sc, idx, c, &last);
		count++;
		skip_ws(sc);
		if (sc->pos < sc->len && sc->t[sc->pos] == close)
			break;
		if (sc->pos >= sc->len || sc->t[sc->pos] != ',')
			return (fail(sc, JSCAN_SYNTAX, "',' expected"));
		sc->pos++;
	}
	if (close == '}' && has_duplicate(sc, base))
		return (fail(sc, JSCAN_DUPLICATE, "duplicate member name"));
 done:
	sc->pos++;
	sc->nnames = base;
	sc->alen = abase;
	if (idx != KEEP_NONE)
		sc->doc->node[idx].count = count;
	return (0);
}

/* A number (RFC 8259 section 6) at sc->pos.  Returns 0 or -1. */
static int
scan_number(struct scanner *sc)
{
	const char	*t = sc->t;
	size_t		 d;

#define DIGITS() do {							\
	d = sc->pos;							\
	while (sc->pos < sc->len && t[sc->pos] >= '0' && t[sc->pos] <= '9') \
		sc->pos++;						\
	if (sc->pos == d)						\
		return (fail(sc, JSCAN_SYNTAX, "digit expected"));	\
} while (0)
	if (t[sc->pos] == '-')
		sc->pos++;
	if (sc->pos < sc->len && t[sc->pos] == '0')
		sc->pos++;
	else
		DIGITS();
	if (sc->pos < sc->len && t[sc->pos] == '.') {
		sc->pos++;
		DIGITS();
	}
	if (sc->pos < sc->len && (t[sc->pos] == 'e' || t[sc->pos] == 'E')) {
		sc->pos++;
		if (sc->pos < sc->len && (t[sc->pos] == '+' ||
		    t[sc->pos] == '-'))
			sc->pos++;
		DIGITS();
	}
#undef DIGITS
	return (0);
}

/* A literal (true, false, null) at sc->pos. */
static int
scan_literal(struct scanner *sc, const char *lit)
{
	size_t	 n = strlen(lit);

	if (sc->len - sc->pos < n || memcmp(sc->t + sc->pos, lit, n) != 0)
		return (fail(sc, JSCAN_SYNTAX, "unexpected character"));
	sc->pos += n;
	return (0);
}

/*
 * Any value at sc->pos (after whitespace), at depth; key: its member
 * name or 0.  *idx gets its node or KEEP_NONE.  Returns 0 or -1.
 */
static int
scan_value(struct scanner *sc, int depth, size_t key, size_t keyend,
    size_t *idx)
{
	enum jscan_type	 type;
	size_t		 s, e;
	int		 rv;

	*idx = KEEP_NONE;
	skip_ws(sc);
	if (sc->pos >= sc->len)
		return (fail(sc, JSCAN_SYNTAX, "value expected"));
	switch (sc->t[sc->pos]) {
	case '{': type = JV_OBJECT; break;
	case '[': type = JV_ARRAY; break;
	case '"': type = JV_STRING; break;
	case 't': type = JV_TRUE; break;
	case 'f': type = JV_FALSE; break;
	case 'n': type = JV_NULL; break;
	case '-': case '0': case '1': case '2': case '3': case '4':
	case '5': case '6': case '7': case '8': case '9':
		type = JV_NUMBER;
		break;
	default:
		return (fail(sc, JSCAN_SYNTAX, "unexpected character"));
	}
	*idx = add_node(sc, type, depth, key, keyend);
	if (sc->err != JSCAN_OK)
		return (-1);
	switch (type) {
	case JV_OBJECT:
	case JV_ARRAY:
		rv = scan_container(sc, depth, *idx);
		break;
	case JV_STRING:
		rv = scan_string(sc, &s, &e);
		break;
	case JV_NUMBER:
		rv = scan_number(sc);
		break;
	default:
		rv = scan_literal(sc, type == JV_TRUE ? "true" :
		    type == JV_FALSE ? "false" : "null");
		break;
	}
	if (rv == 0 && *idx != KEEP_NONE)
		sc->doc->node[*idx].end = sc->pos;
	return (rv);
}

/*
 * Check text[0..len) as one strict JSON text, nesting at most maxdepth
 * (clamped to 1..JSONRPC_DEPTH_MAX), keeping in doc the values of depth
 * keep or less.  Returns JSCAN_OK or the failure, *why saying which;
 * jscan_free(doc) in every case.
 */
enum jscan_result
jscan(const char *text, size_t len, int maxdepth, int keep,
    struct jscan_doc *doc, const char **why)
{
	struct scanner	 sc;
	size_t		 root;

	memset(doc, 0, sizeof(*doc));
	doc->text = text;
	doc->len = len;
	doc->keep = keep;
	memset(&sc, 0, sizeof(sc));
	sc.t = text;
	sc.len = len;
	sc.doc = doc;
	sc.maxdepth = maxdepth < 1 ? 1 : maxdepth > JSONRPC_DEPTH_MAX ?
	    JSONRPC_DEPTH_MAX : maxdepth;
	*why = NULL;
	/* decoded names never outgrow the text */
	sc.arena = len < SMALL ? sc.arena0 : malloc(len + 1);
	sc.names = sc.names0;
	sc.ncap = sizeof(sc.names0) / sizeof(sc.names0[0]);
	if (sc.arena == NULL) {
		*why = "out of memory";
		return (JSCAN_NOMEM);
	}
	if (scan_value(&sc, 1, 0, 0, &root) == 0) {
		skip_ws(&sc);
		if (sc.pos != len)
			fail(&sc, JSCAN_SYNTAX, "bytes after the value");
	}
	if (sc.arena != sc.arena0)
		free(sc.arena);
	if (sc.names != sc.names0)
		free(sc.names);
	*why = sc.why;
	return (sc.err);
}

void
jscan_free(struct jscan_doc *doc)
{
	free(doc->node);
	doc->node = NULL;
	doc->nnode = doc->cap = 0;
}

/*
 * The member called name of the object node obj: its node index, or 0
 * when there is none (0 is the top value, never a member).
 */
size_t
jscan_member(const struct jscan_doc *doc, size_t obj, const char *name)
{
	const struct jscan_node	*o = &doc->node[obj];
	size_t			 c, n, want = strlen(name);
	char			*k;
	int			 eq;

	if (o->type != JV_OBJECT)
		return (0);
	for (c = o->first; c != 0; c = doc->node[c].next) {
		const struct jscan_node	*m = &doc->node[c];

		if (memchr(doc->text + m->key, '\\', m->keyend - m->key)
		    == NULL) {
			if (m->keyend - m->key - 2 == want &&
			    memcmp(doc->text + m->key + 1, name, want) == 0)
				return (c);
			continue;
		}
		if ((k = jscan_string(doc->text, m->key, m->keyend, &n)) ==
		    NULL)
			return (0);
		eq = n == want && memcmp(k, name, n) == 0;
		free(k);
		if (eq)
			return (c);
	}
	return (0);
}

/*
 * Decode the string node i into *out, at most max bytes and no NUL.
 * Returns JSONRPC_OK, JSONRPC_INVALID (not a string, NUL), LIMIT.
 */
static enum jsonrpc_result
get_string(const struct jscan_doc *doc, size_t i, size_t max, char **out,
    const char **why, const char *what)
{
	const struct jscan_node	*n = &doc->node[i];
	size_t			 len;

	*why = what;
	if (n->type != JV_STRING)
		return (JSONRPC_INVALID);
	/* an escape is at most 6 bytes for a byte of UTF-8 */
	if (n->end - n->start - 2 > 6 * max)
		return (JSONRPC_LIMIT);
	if ((*out = jscan_string(doc->text, n->start, n->end, &len)) == NULL)
		return (JSONRPC_NOMEM);
	if (len <= max && memchr(*out, '\0', len) == NULL) {
		*why = NULL;
		return (JSONRPC_OK);
	}
	free(*out);
	*out = NULL;
	return (len > max ? JSONRPC_LIMIT : JSONRPC_INVALID);
}

/* The id member i of a message m of its kind; copies its raw bytes. */
static enum jsonrpc_result
get_id(const struct jscan_doc *doc, size_t i, int is_error,
    const struct jsonrpc_limits *lim, struct jsonrpc *m, const char **why)
{
	const struct jscan_node	*n = &doc->node[i];

	switch (n->type) {
	case JV_STRING:
		m->idtype = JSONRPC_ID_STRING;
		break;
	case JV_NUMBER:
		m->idtype = JSONRPC_ID_NUMBER;
		break;
	case JV_NULL:
		if (is_error) {
			m->idtype = JSONRPC_ID_NULL;
			break;
		}
		/* FALLTHROUGH */
	default:
		*why = "id is neither a string nor a number";
		return (JSONRPC_INVALID);
	}
	if (n->end - n->start > lim->max_id) {
		*why = "id too long";
		return (JSONRPC_LIMIT);
	}
	if ((m->id = malloc(n->end - n->start + 1)) == NULL)
		return (JSONRPC_NOMEM);
	m->idlen = n->end - n->start;
	memcpy(m->id, doc->text + n->start, m->idlen);
	m->id[m->idlen] = '\0';
	return (JSONRPC_OK);
}

/* params: the governed name or uri, and _meta's protocol version. */
static enum jsonrpc_result
get_params(const struct jscan_doc *doc, size_t p,
    const struct jsonrpc_limits *lim, struct jsonrpc *m, const char **why)
{
	enum jsonrpc_result	 r;
	size_t			 i, meta;
	const char		*field = NULL;
	char			**out = NULL;

	if (!strcmp(m->method, "tools/call") ||
	    !strcmp(m->method, "prompts/get")) {
		field = "name";
		out = &m->name;
	} else if (!strcmp(m->method, "resources/read")) {
		field = "uri";
		out = &m->uri;
	}
	if (p == 0 && field == NULL)
		return (JSONRPC_OK);
	if (p == 0 || (doc->node[p].type != JV_OBJECT &&
	    (field != NULL || doc->node[p].type != JV_ARRAY))) {
		*why = "params is not an object";
		return (JSONRPC_INVALID);
	}
	if (field != NULL) {
		if ((i = jscan_member(doc, p, field)) == 0) {
			*why = field[0] == 'n' ? "params.name missing" :
			    "params.uri missing";
			return (JSONRPC_INVALID);
		}
		if ((r = get_string(doc, i, lim->max_name, out, why,
		    "params.name or params.uri")) != JSONRPC_OK)
			return (r);
	}
	if ((meta = jscan_member(doc, p, "_meta")) == 0)
		return (JSONRPC_OK);
	if (doc->node[meta].type != JV_OBJECT) {
		*why = "params._meta is not an object";
		return (JSONRPC_INVALID);
	}
	if ((i = jscan_member(doc, meta, JSONRPC_META_VERSION)) == 0)
		return (JSONRPC_OK);
	return (get_string(doc, i, lim->max_name, &m->version, why,
	    "_meta protocol version"));
}

/* Read one message from the scanned object at node 0. */
static enum jsonrpc_result
read_message(const struct jscan_doc *doc, const struct jsonrpc_limits *lim,
    struct jsonrpc *m, const char **why)
{
	enum jsonrpc_result	 r;
	size_t			 jv, id, method, params, result, error;
	char			*v;

	if ((jv = jscan_member(doc, 0, "jsonrpc")) == 0 ||
	    get_string(doc, jv, 3, &v, why, "jsonrpc") != JSONRPC_OK) {
		*why = "jsonrpc is not \"2.0\"";
		return (JSONRPC_INVALID);
	}
	r = strcmp(v, "2.0") == 0 ? JSONRPC_OK : JSONRPC_INVALID;
	free(v);
	if (r != JSONRPC_OK) {
		*why = "jsonrpc is not \"2.0\"";
		return (r);
	}
	id = jscan_member(doc, 0, "id");
	method = jscan_member(doc, 0, "method");
	params = jscan_member(doc, 0, "params");
	result = jscan_member(doc, 0, "result");
	error = jscan_member(doc, 0, "error");
	if (method != 0) {
		if (result != 0 || error != 0) {
			*why = "method with result or error";
			return (JSONRPC_INVALID);
		}
		m->kind = id ? JSONRPC_REQUEST : JSONRPC_NOTIFICATION;
	} else {
		if ((result != 0) == (error != 0) || id == 0 || params != 0) {
			*why = "neither a request nor a response";
			return (JSONRPC_INVALID);
		}
		m->kind = JSONRPC_RESPONSE;
	}
	if (id != 0 && (r = get_id(doc, id, error != 0, lim, m, why)) !=
	    JSONRPC_OK)
		return (r);
	if (method == 0)
		return (JSONRPC_OK);
	if ((r = get_string(doc, method, lim->max_name, &m->method, why,
	    "method")) != JSONRPC_OK)
		return (r);
	return (get_params(doc, params, lim, m, why));
}

/*
 * Read body[0..len) as one JSON-RPC message under the limits.  Fills m
 * (jsonrpc_free it in every case).  Returns JSONRPC_OK, JSONRPC_BATCH
 * for a strict JSON array (m->batch: its elements, nothing else
 * read), or the failure with *why.
 */
enum jsonrpc_result
jsonrpc_parse(const char *body, size_t len, const struct jsonrpc_limits *lim,
    struct jsonrpc *m, const char **why)
{
	struct jscan_doc		 doc;
	enum jsonrpc_result	 r;

	memset(m, 0, sizeof(*m));
	switch (jscan(body, len, lim->max_depth, 4, &doc, why)) {
	case JSCAN_OK:
		break;
	case JSCAN_DEPTH:
		jscan_free(&doc);
		return (JSONRPC_LIMIT);
	case JSCAN_DUPLICATE:
	case JSCAN_NULNAME:
		jscan_free(&doc);
		return (JSONRPC_INVALID);
	case JSCAN_NOMEM:
		jscan_free(&doc);
		return (JSONRPC_NOMEM);
	default:
		jscan_free(&doc);
		return (JSONRPC_PARSE);
	}
	if (doc.node[0].type == JV_ARRAY) {
		m->batch = doc.node[0].count;
		*why = "batch";
		r = JSONRPC_BATCH;
	} else if (doc.node[0].type != JV_OBJECT) {
		*why = "not an object";
		r = JSONRPC_INVALID;
	} else
		r = read_message(&doc, lim, m, why);
	jscan_free(&doc);
	if (r == JSONRPC_OK)
		*why = NULL;
	return (r);
}

void
jsonrpc_free(struct jsonrpc *m)
{
	free(m->id);
	free(m->method);
	free(m->name);
	free(m->uri);
	free(m->version);
	memset(m, 0, sizeof(*m));
}

/*
 * The name a rule governs: params.name of tools/call and prompts/get,
 * params.uri of resources/read, else NULL.
 */
const char *
jsonrpc_target(const struct jsonrpc *m)
{
	return (m->name != NULL ? m->name : m->uri);
}

/*
 * Build {"jsonrpc":"2.0","id":ID,"error":{"code":CODE,"message":MSG}}
 * with the raw id (NULL: null) into a new buffer *out (*outlen bytes,
 * NUL-terminated).  msg is UTF-8 (a name jsonrpc_parse decoded is);
 * quotes, backslashes and controls are escaped.  Returns 0 or -1.
 */
int
jsonrpc_error_body(const char *id, size_t idlen, int code, const char *msg,
    char **out, size_t *outlen)
{
	static const char	 hex[] = "0123456789abcdef";
	size_t			 max, o;
	const unsigned char	*p;
	char			*b;
	int			 n;

	if (id == NULL) {
		id = "null";
		idlen = 4;
	}
	max = idlen + 6 * strlen(msg) + 96;
	if ((b = malloc(max)) == NULL)
		return (-1);
	o = 0;
	memcpy(b, "{\"jsonrpc\":\"2.0\",\"id\":", 22);
	o = 22;
	memcpy(b + o, id, idlen);
	o += idlen;
	n = snprintf(b + o, max - o, ",\"error\":{\"code\":%d,\"message\":\"",
	    code);
	o += n;
	for (p = (const unsigned char *)msg; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\') {
			b[o++] = '\\';
			b[o++] = (char)*p;
		} else if (*p < 0x20 || *p == 0x7f) {
			memcpy(b + o, "\\u00", 4);
			b[o + 4] = hex[*p >> 4];
			b[o + 5] = hex[*p & 0xf];
			o += 6;
		} else
			b[o++] = (char)*p;
	}
	memcpy(b + o, "\"}}", 4);
	*out = b;
	*outlen = o + 3;
	return (0);
}
