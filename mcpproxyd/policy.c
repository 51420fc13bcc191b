/*
 * Tool authorization: the rules of a [policy NAME] section, parsed at
 * load and applied per request to the caller's claims (claims.c) and
 * scopes.
 *
 * A rule line (man/mcpproxyd.conf.5, POLICIES):
 *
 *	allow = KIND:PATTERN [scope=S[,S...]] [if COND [and COND...]]
 *	deny  = KIND:PATTERN [if COND [and COND...]]
 *	COND  = CLAIM has VALUE | CLAIM eq VALUE
 *
 * KIND is tool, prompt or resource; in PATTERN '*' matches any run of
 * bytes (none too) and every other byte itself, case-sensitively.
 * Rules are tried in order and the first that matches decides; when
 * none does the request is denied.  An allow rule matches when every
 * condition holds; its scopes are then required (missing ones: step-up).
 * A deny rule matches unless a condition is false: a claim the bounds
 * cut short (claims.c) can make it match, never an allow rule.  A
 * resource URI with a dot segment is denied before any rule.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "mcpproxyd.h"
#include "policy.h"
#include "metrics.h"

static const struct {
	const char		*method;
	enum policy_method	 how;
	enum policy_kind	 kind;
} methods[] = {
	{ "tools/call",			PM_NAMED,	PK_TOOL },
	{ "prompts/get",		PM_NAMED,	PK_PROMPT },
	{ "resources/read",		PM_NAMED,	PK_RESOURCE },
	{ "resources/subscribe",	PM_NAMED,	PK_RESOURCE },
	{ "tools/list",			PM_LIST,	PK_TOOL },
	{ "prompts/list",		PM_LIST,	PK_PROMPT },
	{ "resources/list",		PM_LIST,	PK_RESOURCE },
	{ "resources/templates/list",	PM_LIST,	PK_RESOURCE },
	{ "tasks/get",			PM_TASK,	PK_TOOL },
	{ "tasks/result",		PM_TASK,	PK_TOOL },
	{ "tasks/list",			PM_TASK,	PK_TOOL },
	{ "tasks/cancel",		PM_TASK,	PK_TOOL },
	{ "initialize",			PM_PASS,	PK_TOOL },
	{ "ping",			PM_PASS,	PK_TOOL },
	{ "server/discover",		PM_PASS,	PK_TOOL },
	{ "subscriptions/listen",	PM_PASS,	PK_TOOL },
	{ "completion/complete",	PM_PASS,	PK_TOOL },
	{ "logging/setLevel",		PM_PASS,	PK_TOOL },
	{ "resources/unsubscribe",	PM_PASS,	PK_TOOL },
};

static const char *kinds[] = { "tool", "prompt", "resource" };

/*
 * How a method is governed, and the kind of name it carries.  NULL or
 * "" (a response from the client) and notifications always pass.
 */
enum policy_method
policy_method(const char *method, enum policy_kind *kind)
{
	size_t	 i;

	*kind = PK_TOOL;
	if (method == NULL || *method == '\0' ||
	    strncmp(method, "notifications/", 14) == 0)
		return (PM_PASS);
	for (i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
		if (strcmp(method, methods[i].method) == 0) {
			*kind = methods[i].kind;
			return (methods[i].how);
		}
	return (PM_OTHER);
}

/* "enforce" or "permissive"; -1 for anything else. */
int
policy_mode_parse(const char *val, enum policy_mode *m)
{
	if (strcmp(val, "enforce") == 0)
		*m = POLICY_ENFORCE;
	else if (strcmp(val, "permissive") == 0)
		*m = POLICY_PERMISSIVE;
	else
		return (-1);
	return (0);
}

/*
 * Does name match pattern, where '*' is any run of bytes?  The classic
 * loop that backtracks to the last star only: O(len(pattern) *
 * len(name)) at worst, both bounded.
 */
int
policy_glob(const char *pattern, const char *name)
{
	const char	*p = pattern, *n = name, *star = NULL, *mark = NULL;

	while (*n != '\0') {
		if (*p == '*') {
			star = p++;
			mark = n;
		} else if (*p == *n) {
			p++;
			n++;
		} else if (star != NULL) {
			p = star + 1;
			n = ++mark;
		} else
			return (0);
	}
	while (*p == '*')
		p++;
	return (*p == '\0');
}

/* The next blank-separated token of *s (quotes keep blanks in). */
static int
next_token(const char **s, const char **tok, size_t *len)
{
	const char	*p = *s;
	int		 quoted = 0;

	p += strspn(p, " \t");
	*tok = p;
	for (; *p != '\0' && (quoted || (*p != ' ' && *p != '\t')); p++)
		if (*p == '"')
			quoted = !quoted;
	*len = p - *tok;
	*s = p;
	if (quoted)
		return (-1);
	return (*len > 0);
}

/* A scope-token of RFC 6749 3.3, ',' left out (it separates them). */
static int
scope_ok(const char *s, size_t n)
{
	size_t	 i;

	if (n == 0)
		return (0);
	for (i = 0; i < n; i++)
		if (s[i] < 0x21 || s[i] > 0x7e || s[i] == '"' ||
		    s[i] == '\\' || s[i] == ',')
			return (0);
	return (1);
}

/* scope=A,B: add the rule's scopes; -1 with err set. */
static int
parse_scopes(struct policy_rule *r, const char *tok, size_t len, char *err,
    size_t errlen)
{
	const char	*s = tok + 6, *end = tok + len, *c;

	if (!r->allow) {
		snprintf(err, errlen, "scope= only on an allow rule");
		return (-1);
	}
	if (r->nscopes > 0) {
		snprintf(err, errlen, "scope= given twice (write scope=A,B)");
		return (-1);
	}
	for (;;) {
		if ((c = memchr(s, ',', end - s)) == NULL)
			c = end;
		if (!scope_ok(s, c - s)) {
			snprintf(err, errlen, "bad scope \"%.*s\"",
			    (int)(c - s), s);
			return (-1);
		}
		if (r->nscopes == POLICY_MAX_SCOPES) {
			snprintf(err, errlen, "more than %d scopes",
			    POLICY_MAX_SCOPES);
			return (-1);
		}
		if ((r->scopes[r->nscopes++] = strndup(s, c - s)) == NULL)
			fatal("strndup");
		if (c == end)
			return (0);
		s = c + 1;
	}
}

/* A condition's value: bare, or quoted whole; -1 with err set. */
static int
parse_value(const char *tok, size_t len, char **out, char *err,
    size_t errlen)
{
	size_t	 i;

	if (len >= 2 && tok[0] == '"' && tok[len - 1] == '"') {
		tok++;
		len -= 2;
	}
	if (len == 0) {
		snprintf(err, errlen, "empty value");
		return (-1);
	}
	for (i = 0; i < len; i++) {
		if (tok[i] == '"') {
			snprintf(err, errlen, "value \"%.*s\": quote a value "
			    "whole", (int)len, tok);
			return (-1);
		}
		if ((unsigned char)tok[i] < 0x20 || tok[i] == 0x7f) {
			snprintf(err, errlen, "value holds a control "
			    "character");
			return (-1);
		}
	}
	if ((*out = strndup(tok, len)) == NULL)
		fatal("strndup");
	return (0);
}

/* One condition CLAIM OP VALUE from *s; -1 with err set. */
static int
parse_cond(struct policy_rule *r, const char **s, struct claimset *cs,
    char *err, size_t errlen)
{
	struct policy_cond	*c;
	const char		*tok[3], *why;
	size_t			 len[3], i;
	int			 path;

	if (r->nconds == POLICY_MAX_CONDS) {
		snprintf(err, errlen, "more than %d conditions",
		    POLICY_MAX_CONDS);
		return (-1);
	}
	for (i = 0; i < 3; i++)
		switch (next_token(s, &tok[i], &len[i])) {
		case -1:
			snprintf(err, errlen, "unterminated quote");
			return (-1);
		case 0:
			snprintf(err, errlen, "expected CLAIM has VALUE or "
			    "CLAIM eq VALUE");
			return (-1);
		}
	c = &r->cond[r->nconds];
	if (len[1] == 3 && strncmp(tok[1], "has", 3) == 0)
		c->op = COND_HAS;
	else if (len[1] == 2 && strncmp(tok[1], "eq", 2) == 0)
		c->op = COND_EQ;
	else {
		snprintf(err, errlen, "\"%.*s\": expected has or eq",
		    (int)len[1], tok[1]);
		return (-1);
	}
	if ((path = claimset_add(cs, tok[0], len[0], &why)) == -1) {
		snprintf(err, errlen, "\"%.*s\": %s", (int)len[0], tok[0], why);
		return (-1);
	}
	c->path = path;
	if (parse_value(tok[2], len[2], &c->value, err, errlen) == -1)
		return (-1);
	r->nconds++;
	return (0);
}

/* KIND:PATTERN; -1 with err set. */
static int
parse_target(struct policy_rule *r, const char *tok, size_t len, char *err,
    size_t errlen)
{
	const char	*colon;
	size_t		 i, k;

	colon = memchr(tok, ':', len);
	for (k = 0; colon != NULL && k < 3; k++)
		if ((size_t)(colon - tok) == strlen(kinds[k]) &&
		    strncmp(tok, kinds[k], colon - tok) == 0)
			break;
	if (colon == NULL || k == 3) {
		snprintf(err, errlen, "\"%.*s\": expected tool:NAME, "
		    "prompt:NAME or resource:URI", (int)len, tok);
		return (-1);
	}
	r->kind = (enum policy_kind)k;
	len -= colon + 1 - tok;
	tok = colon + 1;
	if (len == 0) {
		snprintf(err, errlen, "empty name after %s:", kinds[k]);
		return (-1);
	}
	for (i = 0; i < len; i++)
		if (tok[i] < 0x21 || tok[i] > 0x7e || tok[i] == '"') {
			snprintf(err, errlen, "name pattern may hold only "
			    "printable ASCII but \"");
			return (-1);
		}
	if ((r->pattern = strndup(tok, len)) == NULL)
		fatal("strndup");
	return (0);
}

/*
 * Parse the value of an allow (allow set) or deny line into r, adding
 * the claim paths it names to cs.  Returns 0, or -1 with a message in
 * err (r is then freed).
 */
int
policy_rule_parse(struct policy_rule *r, int allow, const char *text,
    struct claimset *cs, char *err, size_t errlen)
{
	const char	*s = text, *tok;
	size_t		 len;
	int		 rc;

	memset(r, 0, sizeof(*r));
	r->allow = allow;
	if ((rc = next_token(&s, &tok, &len)) <= 0) {
		snprintf(err, errlen, rc == 0 ? "empty rule" :
		    "unterminated quote");
		goto bad;
	}
	if (parse_target(r, tok, len, err, errlen) == -1)
		goto bad;
	while ((rc = next_token(&s, &tok, &len)) == 1) {
		if (len >= 6 && strncmp(tok, "scope=", 6) == 0) {
			if (parse_scopes(r, tok, len, err, errlen) == -1)
				goto bad;
			continue;
		}
		if (len != 2 || strncmp(tok, "if", 2) != 0) {
			snprintf(err, errlen, "\"%.*s\": expected scope=S or "
			    "if CLAIM has|eq VALUE", (int)len, tok);
			goto bad;
		}
		do {
			if (parse_cond(r, &s, cs, err, errlen) == -1)
				goto bad;
			if ((rc = next_token(&s, &tok, &len)) == 1 &&
			    (len != 3 || strncmp(tok, "and", 3) != 0)) {
				snprintf(err, errlen, "\"%.*s\": expected "
				    "and", (int)len, tok);
				goto bad;
			}
		} while (rc == 1);
		break;
	}
	if (rc == -1) {
		snprintf(err, errlen, "unterminated quote");
		goto bad;
	}
	if (asprintf(&r->text, "%s = %s", allow ? "allow" : "deny",
	    text) == -1)
		fatal("asprintf");
	return (0);
bad:
	policy_rule_free(r);
	return (-1);
}

/* Release what policy_rule_parse allocated. */
void
policy_rule_free(struct policy_rule *r)
{
	size_t	 i;

	free(r->pattern);
	for (i = 0; i < r->nscopes; i++)
		free(r->scopes[i]);
	for (i = 0; i < r->nconds; i++)
		free(r->cond[i].value);
	free(r->text);
	memset(r, 0, sizeof(*r));
}

/* Is want one of the blank-separated words of list? */
static int
has_word(const char *list, const char *want)
{
	size_t	 n = strlen(want), w;

	while (list != NULL && *list != '\0') {
		list += strspn(list, " \t");
		w = strcspn(list, " \t");
		if (w == n && w > 0 && memcmp(list, want, n) == 0)
			return (1);
		list += w;
	}
	return (0);
}

/* A condition on the claims: 1 true, 0 false, -1 unknown (cut short). */
static int
cond_eval(const struct claims *c, const struct policy_cond *k)
{
	const char	*v;
	size_t		 i;
	int		 kind;

	if (c == NULL || (kind = c->kind[k->path]) == CLAIM_ABSENT)
		return (0);
	if (k->op == COND_EQ && kind == CLAIM_ARRAY)
		return (0);
	for (i = 0; (v = claims_value(c, k->path, i)) != NULL; i++)
		if (k->op == COND_HAS && kind == CLAIM_STRING ?
		    has_word(v, k->value) : strcmp(v, k->value) == 0)
			return (1);
	return (c->truncated[k->path] ? -1 : 0);
}

/*
 * The scope a step-up challenge for rule r names: the route's
 * required_scopes in their order, then the rule's, each once, one
 * blank apart.  The same rule always gives the same text (clients
 * compare it).  Returns 0, or -1 when it does not fit in len.
 */
int
policy_scope_string(const struct policy_ctx *c, const struct policy_rule *r,
    char *buf, size_t len)
{
	const char	*v;
	size_t		 i, off = 0, nreq;
	int		 n;

	buf[0] = '\0';
	nreq = c->auth != NULL ? c->auth->required_scopes.n : 0;
	for (i = 0; i < nreq + r->nscopes; i++) {
		v = i < nreq ? c->auth->required_scopes.v[i] :
		    r->scopes[i - nreq];
		if (has_word(buf, v))
			continue;
		n = snprintf(buf + off, len - off, "%s%s", off ? " " : "", v);
		if (n < 0 || (size_t)n >= len - off) {
			buf[off] = '\0';
			return (-1);
		}
		off += n;
	}
	return (0);
}

/*
 * Does a URI hold a "." or ".." path segment, also spelt with %2e?  A
 * server that resolves it would read another resource than the one
 * the rules matched (file:///public/../etc/passwd).
 */
static int
dot_segment(const char *uri)
{
	const char	*s = uri;
	size_t		 dots;

	for (;;) {
		for (dots = 0;; dots++)
			if (*s == '.')
				s++;
			else if (s[0] == '%' && s[1] == '2' &&
			    (s[2] == 'e' || s[2] == 'E'))
				s += 3;
			else
				break;
		if ((dots == 1 || dots == 2) && (*s == '/' || *s == '\0' ||
		    *s == '?' || *s == '#' || *s == '\\'))
			return (1);
		s += strcspn(s, "/\\?#");
		if (*s != '/' && *s != '\\')
			return (0);
		s++;
	}
}

/* Apply the rules to a name of a kind; fills d->verdict, rule, why. */
static void
evaluate(const struct policy_ctx *c, enum policy_kind kind,
    const char *name, struct policy_decision *d)
{
	const struct policy_rule	*r;
	size_t				 i, j;
	int				 t, f, u, v;

	if (kind == PK_RESOURCE && dot_segment(name)) {
		d->verdict = POLICY_DENY;
		d->why = "a . or .. segment in the uri";
		return;
	}
	for (i = 0; i < c->pol->nrules; i++) {
		r = &c->pol->rule[i];
		if (r->kind != kind || !policy_glob(r->pattern, name))
			continue;
		for (j = 0, t = 1, f = 0, u = 0; j < r->nconds; j++) {
			v = cond_eval(c->claims, &r->cond[j]);
			t &= v == 1;
			f |= v == 0;
			u |= v == -1;
		}
		if (r->allow && !t)
			continue;
		if (!r->allow && f)
			continue;
		d->rule = r;
		if (!r->allow) {
			d->verdict = POLICY_DENY;
			d->unknown = u;
			d->why = u ? "denied by a rule (a claim was cut "
			    "short)" : "denied by a rule";
			return;
		}
		for (j = 0; j < r->nscopes; j++)
			if (!has_word(c->scope, r->scopes[j]))
				break;
		if (j < r->nscopes) {
			d->verdict = POLICY_NEED_SCOPE;
			d->why = "allowed with more scope";
			if (policy_scope_string(c, r, d->scope,
			    sizeof(d->scope)) == -1)
				d->why = "allowed with more scope (too "
				    "long to name)";
			return;
		}
		d->verdict = POLICY_ALLOW;
		d->why = "allowed by a rule";
		return;
	}
	d->verdict = POLICY_DENY;
	d->why = "no rule allows it";
}

/*
 * Decide a request of method on name (params.name or params.uri, NUL
 * free; NULL if it had none) for the caller c.  A context without a
 * policy passes everything.  d->verdict is what the rules say; when
 * d->enforce is 0 (mode = permissive) the caller logs a denial and
 * forwards the request all the same.
 */
void
policy_decide(const struct policy_ctx *c, const char *method,
    const char *name, struct policy_decision *d)
{
	enum policy_kind	 kind;

	memset(d, 0, sizeof(*d));
	d->verdict = POLICY_PASS;
	d->enforce = 1;
	d->why = "not governed";
	if (c == NULL || c->pol == NULL)
		return;
	d->enforce = c->pol->mode == POLICY_ENFORCE;
	switch (policy_method(method, &kind)) {
	case PM_PASS:
		return;
	case PM_LIST:
		d->why = "a list, filtered";
		return;
	case PM_TASK:
		if (c->pol->tasks_deny) {
			d->verdict = POLICY_DENY;
			d->why = "tasks = deny";
		}
		return;
	case PM_OTHER:
		if (c->pol->other_deny) {
			d->verdict = POLICY_DENY;
			d->why = "other_methods = deny";
		}
		return;
	case PM_NAMED:
		break;
	}
	if (name == NULL) {
		d->verdict = POLICY_DENY;
		d->why = "no name or uri";
		return;
	}
	evaluate(c, kind, name, d);
}

/*
 * Does a list answer keep this entry for the caller?  Yes when a rule
 * allows it, also when only a scope the caller may still obtain is
 * missing (so that step-up can happen); no when it is denied.  In
 * permissive mode, everything stays.
 */
int
policy_visible(const struct policy_ctx *c, enum policy_kind kind,
    const char *name)
{
	struct policy_decision	 d;

	if (c == NULL || c->pol == NULL || c->pol->mode == POLICY_PERMISSIVE)
		return (1);
	if (name == NULL)
		return (0);
	memset(&d, 0, sizeof(d));
	evaluate(c, kind, name, &d);
	return (d.verdict != POLICY_DENY);
}

/*
 * The list filter's predicate (listfilter.c): arg is a struct
 * policy_ctx, kind "tool", "prompt" or "resource".  An unknown kind is
 * dropped.
 */
int
policy_keep(void *arg, const char *kind, const char *name)
{
	size_t	 k;

	for (k = 0; k < 3; k++)
		if (kind != NULL && strcmp(kind, kinds[k]) == 0) {
			/* a tool the backend lists: a label value (bounded) */
			if (k == PK_TOOL)
				metrics_tool_seen(name);
			return (policy_visible(arg, (enum policy_kind)k, name));
		}
	return (0);
}

/*
 * What decided, for the log: "FILE:LINE: allow = ..." for a rule, else
 * the reason ("no rule allows it", "tasks = deny").  Returns buf.
 */
const char *
policy_decider(const struct policy *pol, const struct policy_decision *d,
    char *buf, size_t len)
{
	if (d->rule != NULL && pol != NULL)
		snprintf(buf, len, "%s:%d: %s", pol->file ? pol->file : "-",
		    d->rule->line, d->rule->text);
	else
		snprintf(buf, len, "%s", d->why ? d->why : "-");
	return (buf);
}

/* A word for a verdict, for logs. */
const char *
policy_verdict_text(enum policy_verdict v)
{
	switch (v) {
	case POLICY_PASS:
		return ("pass");
	case POLICY_ALLOW:
		return ("allow");
	case POLICY_DENY:
		return ("deny");
	case POLICY_NEED_SCOPE:
		return ("need-scope");
	}
	return ("unknown");
}
