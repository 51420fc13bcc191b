/*
 * Tool authorization: the rules of a [policy NAME] section (policy.c)
 * and the claims of a verified token they read (claims.c).  Plain data
 * only: a policy lives in the configuration, a claims record in the
 * token cache (auth.c) and is copied per request.
 */
#ifndef MCPPROXYD_POLICY_H
#define MCPPROXYD_POLICY_H

#include <stddef.h>
#include <stdint.h>

#define MAX_POLICIES		16
#define POLICY_MAX_RULES	128
#define POLICY_MAX_CONDS	8	/* "and"-ed conditions of a rule */
#define POLICY_MAX_SCOPES	8	/* scope= values of a rule */
#define POLICY_SCOPE_MAX	1024	/* the challenge's scope string */
#define CLAIMS_MAX_PATHS	32	/* claim paths all policies name */
#define CLAIM_PATH_DEPTH	8	/* segments of a path */
#define CLAIM_SEG_MAX		128	/* bytes of a segment */
#define CLAIMS_VALUES_CAP	1024	/* largest max_claim_values */
#define CLAIMS_BYTES_CAP	16384	/* largest max_claim_bytes */

/* A claim path of the rules: "realm_access.roles" as its segments. */
struct claimpath {
	char		*text;		/* as written, for messages */
	char		*seg[CLAIM_PATH_DEPTH];
	size_t		 nseg;
};

/* Every claim path the policies of a configuration read, and bounds. */
struct claimset {
	struct claimpath path[CLAIMS_MAX_PATHS];
	size_t		 npaths;
	size_t		 max_values;	/* values kept per token */
	size_t		 max_bytes;	/* bytes of values kept per token */
};

/* What a token's payload holds at one path. */
enum claim_kind {
	CLAIM_ABSENT = 0,	/* missing, null, a real, an object */
	CLAIM_STRING,		/* a string: one value */
	CLAIM_ARRAY,		/* an array: its strings, integers, booleans */
	CLAIM_SCALAR		/* an integer or a boolean, as JSON text */
};

/*
 * The claims of one verified token that the rules read, in
 * claims_size() bytes: per path its kind, whether values were left out
 * (the bounds), and its values as NUL-terminated strings in data.
 */
struct claims {
	uint8_t		 kind[CLAIMS_MAX_PATHS];	/* enum claim_kind */
	uint8_t		 truncated[CLAIMS_MAX_PATHS];
	uint16_t	 off[CLAIMS_MAX_PATHS];	/* first value in data */
	uint16_t	 n[CLAIMS_MAX_PATHS];	/* values at the path */
	uint16_t	 used;			/* bytes of data used */
	char		 data[];
};

enum policy_kind {
	PK_TOOL,		/* tools/call params.name, tools/list */
	PK_PROMPT,		/* prompts/get params.name, prompts/list */
	PK_RESOURCE		/* resources/read, resources/subscribe
				   params.uri; resources/list uri,
				   resources/templates/list uriTemplate */
};

enum cond_op {
	COND_HAS,		/* array element, or word of a string */
	COND_EQ			/* the string (or integer, boolean) */
};

struct policy_cond {
	int		 path;		/* index in the claimset */
	enum cond_op	 op;
	char		*value;
};

struct policy_rule {
	int		 allow;		/* else deny */
	enum policy_kind kind;
	char		*pattern;	/* '*' matches any run of bytes */
	char		*scopes[POLICY_MAX_SCOPES];	/* allow: required */
	size_t		 nscopes;
	struct policy_cond cond[POLICY_MAX_CONDS];
	size_t		 nconds;
	char		*text;		/* "allow = ..." as written */
	int		 line;
};

enum policy_mode { POLICY_ENFORCE, POLICY_PERMISSIVE };

/* [policy NAME] */
struct policy {
	char		*name;
	int		 line;
	const char	*file;		/* the configuration file */
	enum policy_mode mode;
	int		 tasks_deny;	/* tasks = deny */
	int		 other_deny;	/* other_methods = deny */
	struct policy_rule rule[POLICY_MAX_RULES];
	size_t		 nrules;
};

/* How a JSON-RPC method is governed. */
enum policy_method {
	PM_PASS,		/* never governed (initialize, ping, ...) */
	PM_NAMED,		/* decided on its name or URI */
	PM_LIST,		/* its answer is filtered */
	PM_TASK,		/* tasks/get, tasks/result, tasks/list,
				   tasks/cancel: a task id, no name */
	PM_OTHER		/* any other method */
};

enum policy_verdict {
	POLICY_PASS,		/* not governed: forward */
	POLICY_ALLOW,		/* a rule allows it: forward */
	POLICY_DENY,		/* forbidden by the claims or by no rule
				   allowing it: JSON-RPC error */
	POLICY_NEED_SCOPE	/* allowed once the token holds scope:
				   403 insufficient_scope */
};

struct auth;

/* Who asks: the inputs of a decision (and the list filter's arg). */
struct policy_ctx {
	const struct policy	*pol;
	const struct auth	*auth;		/* the route's: required_scopes */
	const struct claims	*claims;	/* NULL: no verified token */
	const char		*scope;		/* granted scopes, blank-
						   separated; NULL: none */
};

struct policy_decision {
	enum policy_verdict	 verdict;	/* what the rules say */
	int			 enforce;	/* 0: permissive, log only */
	const struct policy_rule *rule;		/* that decided; NULL: the
						   default or the method */
	int			 unknown;	/* a claim left out by the
						   bounds made a deny match */
	const char		*why;		/* static, for the log */
	char			 scope[POLICY_SCOPE_MAX];	/* NEED_SCOPE */
};

/* policy.c */
int	 policy_rule_parse(struct policy_rule *r, int allow, const char *text,
	    struct claimset *cs, char *err, size_t errlen);
void	 policy_rule_free(struct policy_rule *r);
int	 policy_mode_parse(const char *val, enum policy_mode *m);
enum policy_method policy_method(const char *method, enum policy_kind *kind);
int	 policy_glob(const char *pattern, const char *name);
void	 policy_decide(const struct policy_ctx *c, const char *method,
	    const char *name, struct policy_decision *d);
int	 policy_visible(const struct policy_ctx *c, enum policy_kind kind,
	    const char *name);
int	 policy_keep(void *arg, const char *kind, const char *name);
int	 policy_scope_string(const struct policy_ctx *c,
	    const struct policy_rule *r, char *buf, size_t len);
const char *policy_verdict_text(enum policy_verdict v);
const char *policy_decider(const struct policy *pol,
	    const struct policy_decision *d, char *buf, size_t len);

/* claims.c */
int	 claimpath_parse(const char *text, size_t len, struct claimpath *p,
	    const char **why);
void	 claimpath_free(struct claimpath *p);
int	 claimset_add(struct claimset *cs, const char *text, size_t len,
	    const char **why);
void	 claimset_free(struct claimset *cs);
size_t	 claims_size(const struct claimset *cs);
struct json_t;
void	 claims_extract(const struct claimset *cs,
	    const struct json_t *payload, struct claims *c);
/* token_policy's payload hook: extract into sink->c, set sink->taken */
struct claims_sink {
	const struct claimset	*cs;
	struct claims		*c;
	int			 taken;
};
void	 claims_payload(void *arg, const struct json_t *payload);
const char *claims_value(const struct claims *c, int path, size_t i);

#endif
