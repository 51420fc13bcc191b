/*
 * libFuzzer target: tool authorization rules and claims
 * (mcpproxyd/policy.c, mcpproxyd/claims.c).
 *
 * Input: three parts separated by newlines: a rule (byte 0 even: an
 * allow line, odd: deny; the rest is its value), a JSON payload, a
 * name.  A rule policy_rule_parse() refuses comes with a message.  For
 * one it accepts:
 *
 * - its text reads "allow = " or "deny = " and the value; its pattern,
 *   scopes and values are non-empty and hold no blank (but a quoted
 *   value) and no control character;
 * - the claims extracted from the payload stay within the bounds
 *   (values and bytes), and every value read back is within data;
 * - the decision on the name is one of the four verdicts; ALLOW and
 *   NEED_SCOPE name this rule; a NEED_SCOPE's scope holds each of the
 *   rule's scopes; visibility agrees with the verdict;
 * - policy_glob(pattern, name) equals the textbook matcher.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "../mcpproxyd/mcpproxyd.h"

#include "require.h"

/*
 * The textbook glob by dynamic programming ('*' is any run, all else
 * literal): m[i][j] says whether p[i..] matches n[j..].  -1 when
 * either is longer than 256.
 */
static int
glob_ref(const char *p, const char *n)
{
	static unsigned char	 m[258][258];
	size_t			 pl = strlen(p), nl = strlen(n), i, j;

	if (pl > 256 || nl > 256)
		return (-1);
	for (i = pl + 1; i-- > 0;)
		for (j = nl + 1; j-- > 0;) {
			if (i == pl)
				m[i][j] = j == nl;
			else if (p[i] == '*')
				m[i][j] = m[i + 1][j] || (j < nl && m[i][j + 1]);
			else
				m[i][j] = j < nl && p[i] == n[j] &&
				    m[i + 1][j + 1];
		}
	return (m[0][0]);
}

/* Is want a blank-separated word of list? */
static int
word_in(const char *list, const char *want)
{
	size_t	 n = strlen(want);
	const char *s;

	for (s = list; (s = strstr(s, want)) != NULL; s++)
		if ((s == list || s[-1] == ' ') && (s[n] == ' ' ||
		    s[n] == '\0'))
			return (1);
	return (0);
}

static void
check_claims(const struct claimset *cs, const struct claims *c)
{
	const char	*v;
	size_t		 i, j, total = 0;

	REQUIRE(c->used <= cs->max_bytes);
	for (i = 0; i < cs->npaths; i++)
		for (j = 0; (v = claims_value(c, (int)i, j)) != NULL; j++) {
			REQUIRE(v >= c->data && v + strlen(v) < c->data +
			    c->used);
			total++;
		}
	REQUIRE(total <= cs->max_values);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct claimset		 cs;
	struct policy		*pol;
	struct policy_rule	*r;
	struct policy_decision	 d;
	struct policy_ctx	 ctx;
	struct claims		*c = NULL;
	char			*buf, *rule, *payload, *name, *nl, err[256];
	json_t			*j = NULL;
	size_t			 i;

	if (size < 1 || size > 4096)
		return (0);
	if ((buf = malloc(size + 1)) == NULL)
		return (0);
	memcpy(buf, data, size);
	buf[size] = '\0';
	if (strlen(buf) != size) {	/* NULs: the config reader's lines */
		free(buf);
		return (0);
	}
	rule = buf + 1;
	payload = name = (char *)"";
	if ((nl = strchr(rule, '\n')) != NULL) {
		*nl = '\0';
		payload = nl + 1;
		if ((nl = strchr(payload, '\n')) != NULL) {
			*nl = '\0';
			name = nl + 1;
		}
	}
	memset(&cs, 0, sizeof(cs));
	cs.max_values = 4;
	cs.max_bytes = 64;
	pol = calloc(1, sizeof(*pol));
	r = &pol->rule[0];
	if (policy_rule_parse(r, buf[0] % 2 == 0, rule, &cs, err,
	    sizeof(err)) == -1) {
		REQUIRE(err[0] != '\0');
		goto done;
	}
	pol->nrules = 1;
	REQUIRE(strncmp(r->text, r->allow ? "allow = " : "deny = ",
	    r->allow ? 8 : 7) == 0);
	REQUIRE(r->pattern[0] != '\0' && strpbrk(r->pattern, " \t") == NULL);
	for (i = 0; i < r->nscopes; i++)
		REQUIRE(r->scopes[i][0] != '\0' &&
		    strpbrk(r->scopes[i], " \t,\"\\") == NULL);
	for (i = 0; i < r->nconds; i++) {
		REQUIRE(r->cond[i].value[0] != '\0');
		REQUIRE(r->cond[i].path >= 0 &&
		    (size_t)r->cond[i].path < cs.npaths);
	}
	if (cs.npaths > 0) {
		c = calloc(1, claims_size(&cs));
		if ((j = json_loads(payload, JSON_REJECT_DUPLICATES, NULL)) !=
		    NULL) {
			claims_extract(&cs, j, c);
			check_claims(&cs, c);
		}
	}
	ctx = (struct policy_ctx){ pol, NULL, c, "s1 s2" };
	policy_decide(&ctx, "tools/call", name, &d);
	REQUIRE(d.verdict == POLICY_ALLOW || d.verdict == POLICY_DENY ||
	    d.verdict == POLICY_NEED_SCOPE);
	REQUIRE(d.why != NULL);
	if (d.verdict != POLICY_DENY)
		REQUIRE(d.rule == r && r->allow);
	if (d.verdict == POLICY_NEED_SCOPE)
		for (i = 0; i < r->nscopes; i++)
			REQUIRE(word_in(d.scope, r->scopes[i]));
	REQUIRE(policy_visible(&ctx, PK_TOOL, name) ==
	    (d.verdict != POLICY_DENY));
	if ((i = (size_t)glob_ref(r->pattern, name)) != (size_t)-1)
		REQUIRE(policy_glob(r->pattern, name) == (int)i);
	policy_rule_free(r);
done:
	json_decref(j);
	free(c);
	free(pol);
	claimset_free(&cs);
	free(buf);
	return (0);
}
