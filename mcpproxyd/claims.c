/*
 * The claims of a verified token that the policies read.  At load the
 * configuration names every claim path its rules use (a claimset);
 * after a token verified, token.c hands its payload to
 * claims_extract(), which keeps the values at those paths, and nothing
 * else, in a flat record of claims_size() bytes that the token cache
 * holds beside the subject and the scopes (auth.c).
 *
 * Values: a string is one value; an array gives its strings, integers
 * and booleans, in order (other elements are skipped); an integer or a
 * boolean is kept as its JSON text ("42", "true"), so "eq 42" can
 * match.  A real (its text is not canonical: 1, 1.0, 1e0), null, an
 * object or a missing member is an absent claim.  The record is
 * bounded by max_claim_values values and max_claim_bytes bytes over
 * all paths; a path whose values did not all fit is marked truncated,
 * and the rules treat what it might hold as unknown (policy.c: an
 * allow rule does not match, a deny rule does).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "log.h"
#include "policy.h"

#define CLAIM_CHARS	"claim path: names are letters, digits, _ and -, " \
			"or quoted, separated by ."

/* A bare segment: letters, digits, '_' and '-'. */
static int
bare_char(int c)
{
	return ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_' || c == '-');
}

/*
 * Parse a claim path: segments separated by '.', each bare
 * ([A-Za-z0-9_-]+) or quoted ("..." of printable ASCII but '"' and
 * '\', so "my.client" or "https://example.com/roles" can be named).
 * Returns 0, or -1 with a static reason in *why.
 */
int
claimpath_parse(const char *text, size_t len, struct claimpath *p,
    const char **why)
{
	const char	*s = text, *end = text + len, *b;
	size_t		 n;

	memset(p, 0, sizeof(*p));
	if (len == 0) {
		*why = "empty claim path";
		return (-1);
	}
	for (;;) {
		if (p->nseg == CLAIM_PATH_DEPTH) {
			*why = "claim path deeper than 8";
			goto bad;
		}
		if (s < end && *s == '"') {
			for (b = ++s; s < end && *s != '"'; s++)
				if (*s < 0x20 || *s > 0x7e || *s == '\\') {
					*why = "quoted claim name may hold "
					    "only printable ASCII but \\";
					goto bad;
				}
			if (s == end) {
				*why = "unterminated quote in claim path";
				goto bad;
			}
			n = s++ - b;
		} else {
			for (b = s; s < end && bare_char((unsigned char)*s);
			    s++)
				;
			n = s - b;
		}
		if (n == 0 && s < end && *s != '.' && *s != '"') {
			*why = CLAIM_CHARS;
			goto bad;
		}
		if (n == 0) {
			*why = "empty claim name (write \".\" inside quotes)";
			goto bad;
		}
		if (n > CLAIM_SEG_MAX) {
			*why = "claim name longer than 128 bytes";
			goto bad;
		}
		if ((p->seg[p->nseg++] = strndup(b, n)) == NULL)
			fatal("strndup");
		if (s == end)
			break;
		if (*s != '.') {
			*why = CLAIM_CHARS;
			goto bad;
		}
		if (++s == end) {
			*why = "claim path ends with .";
			goto bad;
		}
	}
	if ((p->text = strndup(text, len)) == NULL)
		fatal("strndup");
	return (0);
bad:
	claimpath_free(p);
	return (-1);
}

/* Release a parsed path. */
void
claimpath_free(struct claimpath *p)
{
	size_t	 i;

	for (i = 0; i < p->nseg; i++)
		free(p->seg[i]);
	free(p->text);
	memset(p, 0, sizeof(*p));
}

/* Do two paths name the same member ("a.b" and a."b" do)? */
static int
claimpath_same(const struct claimpath *a, const struct claimpath *b)
{
	size_t	 i;

	if (a->nseg != b->nseg)
		return (0);
	for (i = 0; i < a->nseg; i++)
		if (strcmp(a->seg[i], b->seg[i]) != 0)
			return (0);
	return (1);
}

/*
 * Add the path text[0..len) to the set, once.  Returns its index, or
 * -1 with a static reason in *why.
 */
int
claimset_add(struct claimset *cs, const char *text, size_t len,
    const char **why)
{
	struct claimpath	 p;
	size_t			 i;

	if (claimpath_parse(text, len, &p, why) == -1)
		return (-1);
	for (i = 0; i < cs->npaths; i++)
		if (claimpath_same(&cs->path[i], &p)) {
			claimpath_free(&p);
			return ((int)i);
		}
	if (cs->npaths == CLAIMS_MAX_PATHS) {
		claimpath_free(&p);
		*why = "more than 32 claim paths in all policies";
		return (-1);
	}
	cs->path[cs->npaths] = p;
	return ((int)cs->npaths++);
}

/* Release the paths of a set. */
void
claimset_free(struct claimset *cs)
{
	size_t	 i;

	for (i = 0; i < cs->npaths; i++)
		claimpath_free(&cs->path[i]);
	cs->npaths = 0;
}

/* Bytes of one claims record for the set; 0 when no rule reads claims. */
size_t
claims_size(const struct claimset *cs)
{
	if (cs == NULL || cs->npaths == 0)
		return (0);
	return ((sizeof(struct claims) + cs->max_bytes + 7) & ~(size_t)7);
}

/* The member a path names in the payload, or NULL. */
static const json_t *
claim_at(const json_t *payload, const struct claimpath *p)
{
	const json_t	*v = payload;
	size_t		 i;

	for (i = 0; i < p->nseg && v != NULL; i++)
		v = json_is_object(v) ? json_object_get(v, p->seg[i]) : NULL;
	return (v);
}

/*
 * The text a value is kept as, in buf: a string as it is, an integer
 * in decimal, a boolean as true or false.  NULL for anything else.
 */
static const char *
value_text(const json_t *v, char *buf, size_t len, size_t *n)
{
	const char	*s;

	if (json_is_string(v)) {
		s = json_string_value(v);
		*n = json_string_length(v);
		return (strlen(s) == *n ? s : NULL);	/* no NUL inside */
	}
	if (json_is_integer(v))
		snprintf(buf, len, "%lld", (long long)json_integer_value(v));
	else if (json_is_boolean(v))
		snprintf(buf, len, "%s", json_is_true(v) ? "true" : "false");
	else
		return (NULL);
	*n = strlen(buf);
	return (buf);
}

/* Append one value within the bounds; -1 (nothing added) past them. */
static int
add_value(const struct claimset *cs, struct claims *c, size_t *nvalues,
    const char *s, size_t n)
{
	if (*nvalues >= cs->max_values || n + 1 > cs->max_bytes - c->used)
		return (-1);
	memcpy(c->data + c->used, s, n + 1);
	c->used += (uint16_t)(n + 1);
	(*nvalues)++;
	return (0);
}

/*
 * Fill c (claims_size(cs) bytes) with the values of the payload (a
 * verified token's, jansson) at the set's paths.
 */
void
claims_extract(const struct claimset *cs, const json_t *payload,
    struct claims *c)
{
	const json_t	*v, *e;
	const char	*s;
	char		 num[32];
	size_t		 i, j, n, nvalues = 0;

	if (cs->npaths == 0)
		return;
	memset(c, 0, sizeof(*c));
	for (i = 0; i < cs->npaths; i++) {
		c->off[i] = c->used;
		v = claim_at(payload, &cs->path[i]);
		if (json_is_array(v)) {
			c->kind[i] = CLAIM_ARRAY;
			for (j = 0; j < json_array_size(v); j++) {
				e = json_array_get(v, j);
				if ((s = value_text(e, num, sizeof(num),
				    &n)) == NULL)
					continue;
				if (add_value(cs, c, &nvalues, s, n) == -1) {
					c->truncated[i] = 1;
					break;
				}
				c->n[i]++;
			}
			continue;
		}
		if ((s = value_text(v, num, sizeof(num), &n)) == NULL) {
			/* a string with a NUL inside cannot be compared */
			if (json_is_string(v))
				c->kind[i] = CLAIM_STRING, c->truncated[i] = 1;
			continue;
		}
		c->kind[i] = json_is_string(v) ? CLAIM_STRING : CLAIM_SCALAR;
		if (add_value(cs, c, &nvalues, s, n) == -1)
			c->truncated[i] = 1;
		else
			c->n[i] = 1;
	}
}

/* token_policy's payload hook: fill sink->c from a verified payload. */
void
claims_payload(void *arg, const json_t *payload)
{
	struct claims_sink	*k = arg;

	if (k == NULL || k->cs == NULL || k->c == NULL)
		return;
	claims_extract(k->cs, payload, k->c);
	k->taken = 1;
}

/* The i-th value at a path, or NULL past the last. */
const char *
claims_value(const struct claims *c, int path, size_t i)
{
	const char	*s;

	if (c == NULL || path < 0 || path >= CLAIMS_MAX_PATHS ||
	    i >= c->n[path])
		return (NULL);
	for (s = c->data + c->off[path]; i > 0; i--)
		s += strlen(s) + 1;
	return (s);
}
