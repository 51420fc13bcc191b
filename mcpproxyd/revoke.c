/*
 * Revocation for a local issuer: a deny list of token ids (jti) and
 * subjects (sub), one "jti VALUE" or "sub VALUE" a line ('#' starts a
 * comment), in the file an [issuer] section names as revoked_file.
 * The master reads it at start and on every reload (a bad file fails
 * the reload, which keeps the running list); workers inherit it.  It
 * is consulted after a token passed every other check, whether it was
 * verified now or found in the token cache, so a revoked token is
 * refused even while the cache still holds it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "log.h"
#include "mcpproxyd.h"
#include "token.h"

#define REVOKED_LINE_MAX	1024	/* bytes in a line, newline included */
#define REVOKED_MAX		65536	/* entries in one file */

struct revoked {
	char	**jti;		/* sorted, for bsearch */
	size_t	  njti;
	char	**sub;
	size_t	  nsub;
};

/* strcmp for qsort and bsearch over arrays of strings. */
static int
cmp(const void *a, const void *b)
{
	return (strcmp(*(char *const *)a, *(char *const *)b));
}

/* Free a list from revoke_load (NULL is fine). */
void
revoke_free(struct revoked *r)
{
	size_t	 i;

	if (r == NULL)
		return;
	for (i = 0; i < r->njti; i++)
		free(r->jti[i]);
	for (i = 0; i < r->nsub; i++)
		free(r->sub[i]);
	free(r->jti);
	free(r->sub);
	free(r);
}

/* Append v to *list (of *n); 0 or -1. */
static int
add(char ***list, size_t *n, const char *v)
{
	char	**nl;

	if ((nl = reallocarray(*list, *n + 1, sizeof(*nl))) == NULL)
		return (-1);
	*list = nl;
	if ((nl[*n] = strdup(v)) == NULL)
		return (-1);
	(*n)++;
	return (0);
}

/*
 * Parse one line into kind and value, in place.  Returns 1 for an
 * entry, 0 for a blank or comment line, -1 with *why for a bad one.
 */
static int
parse_line(char *line, char **kind, char **value, const char **why)
{
	char	*p, *end;

	line[strcspn(line, "\n")] = '\0';
	for (p = line; *p == ' ' || *p == '\t'; p++)
		;
	if (*p == '\0' || *p == '#')
		return (0);
	*kind = p;
	p += strcspn(p, " \t");
	if (*p == '\0') {
		*why = "no value";
		return (-1);
	}
	*p++ = '\0';
	while (*p == ' ' || *p == '\t')
		p++;
	for (end = p + strlen(p); end > p && (end[-1] == ' ' ||
	    end[-1] == '\t' || end[-1] == '\r'); end--)
		;
	*end = '\0';
	*value = p;
	if (strcmp(*kind, "jti") && strcmp(*kind, "sub")) {
		*why = "not \"jti VALUE\" or \"sub VALUE\"";
		return (-1);
	}
	if (**value == '\0' || strpbrk(*value, " \t") != NULL) {
		*why = "the value is empty or holds a blank";
		return (-1);
	}
	for (p = *value; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f) {
			*why = "a control character in the value";
			return (-1);
		}
	return (1);
}

/*
 * Read the deny list at path into *out.  Returns 0, or -1 with the
 * reason in err as "path:line: why".
 */
int
revoke_load(const char *path, struct revoked **out, char *err,
    size_t errlen)
{
	struct revoked	*r;
	FILE		*fp;
	char		 line[REVOKED_LINE_MAX + 1], *kind, *value;
	const char	*why = NULL;
	int		 ln = 0, rc;

	*out = NULL;
	if ((fp = fopen(path, "re")) == NULL) {
		snprintf(err, errlen, "revoked_file %s: %s", path,
		    strerror(errno));
		return (-1);
	}
	if ((r = calloc(1, sizeof(*r))) == NULL)
		fatal("revoke_load");
	while (fgets(line, sizeof(line), fp) != NULL) {
		ln++;
		if (strchr(line, '\n') == NULL && !feof(fp))
			why = "line too long";
		else if ((rc = parse_line(line, &kind, &value, &why)) == 0)
			continue;
		else if (rc == 1 && r->njti + r->nsub >= REVOKED_MAX)
			why = "more than 65536 entries";
		else if (rc == 1 && add(kind[0] == 'j' ? &r->jti : &r->sub,
		    kind[0] == 'j' ? &r->njti : &r->nsub, value) == -1)
			fatal("revoke_load");
		if (why != NULL)
			break;
	}
	if (why == NULL && ferror(fp))
		why = strerror(errno);
	fclose(fp);
	if (why != NULL) {
		snprintf(err, errlen, "revoked_file %s:%d: %s", path, ln, why);
		revoke_free(r);
		return (-1);
	}
	if (r->njti > 0)
		qsort(r->jti, r->njti, sizeof(char *), cmp);
	if (r->nsub > 0)
		qsort(r->sub, r->nsub, sizeof(char *), cmp);
	*out = r;
	return (0);
}

/* Is v in the sorted list? */
static int
listed(char **list, size_t n, const char *v)
{
	return (v != NULL && n > 0 &&
	    bsearch(&v, list, n, sizeof(char *), cmp) != NULL);
}

/*
 * Is the (verified) token's jti or sub in r?  The payload is decoded
 * again here: the token cache keeps neither.  1 yes, 0 no.
 */
int
revoke_match(const struct revoked *r, const char *tok)
{
	const char	*p, *q;
	unsigned char	*bin;
	char		*b64;
	json_t		*claims;
	size_t		 n, i, pad;
	int		 len, hit = 0;

	if (r == NULL || (r->njti == 0 && r->nsub == 0) ||
	    (p = strchr(tok, '.')) == NULL || (q = strchr(++p, '.')) == NULL)
		return (0);
	n = q - p;
	pad = (4 - n % 4) % 4;
	if ((b64 = malloc(n + pad + 1)) == NULL ||
	    (bin = malloc(n + pad)) == NULL) {
		free(b64);
		return (1);	/* cannot tell: refuse, fail closed */
	}
	for (i = 0; i < n; i++)
		b64[i] = p[i] == '-' ? '+' : p[i] == '_' ? '/' : p[i];
	memset(b64 + n, '=', pad);
	b64[n + pad] = '\0';
	len = EVP_DecodeBlock(bin, (unsigned char *)b64, (int)(n + pad));
	if (len < 0 || (size_t)len < pad ||
	    (claims = json_loadb((char *)bin, len - pad, 0, NULL)) == NULL)
		hit = 1;	/* token.c parsed it: this cannot happen */
	else {
		hit = listed(r->jti, r->njti, json_string_value(
		    json_object_get(claims, "jti"))) || listed(r->sub, r->nsub,
		    json_string_value(json_object_get(claims, "sub")));
		json_decref(claims);
	}
	free(b64);
	free(bin);
	return (hit);
}

/*
 * After auth_decide: a token that passed, from the check or the cache,
 * but is on its issuer's deny list, is refused (TOKEN_REVOKED) and the
 * request loses its identity.
 */
void
revoke_apply(struct exchange *x, const char *tok, struct auth_result *r)
{
	if (r->status != TOKEN_OK ||
	    !revoke_match(x->rt->auth->iss->revoked, tok))
		return;
	r->status = TOKEN_REVOKED;
	r->why = token_status_text(TOKEN_REVOKED);
	x->authed = 0;
	x->sub[0] = x->scope[0] = x->log.sub[0] = '\0';
}
