/*
 * Validation of JWT access tokens (RFC 9068 profile, RFC 8725 rules)
 * against the keys of the key file.  No I/O, no logging; the one
 * global state is a cache of verification contexts (token.c); the
 * caller logs the status, the reason and info.
 */
#ifndef MCPPROXYD_TOKEN_H
#define MCPPROXYD_TOKEN_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "keyfile.h"

struct json_t;

#define TOKEN_DEFAULT_MAX	8192	/* max_token when the policy says 0 */
#define TOKEN_MAX_DEPTH		16	/* JSON nesting in header and payload */
#define TOKEN_SUB_CAP		1024	/* largest max_sub a policy may give */
#define TOKEN_SCOPE_CAP		8192	/* largest max_scope */

struct token_policy {
	const char	*issuer;	/* required iss, exact string match */
	const char *const *audiences;	/* accepted aud values (none: fail) */
	size_t		 naudiences;
	const char *const *required_scopes;	/* all must be granted */
	size_t		 nrequired;
	int		 leeway;	/* seconds of skew on exp/nbf/iat (<0: 0) */
	int64_t		 max_lifetime;	/* s; > 0: exp at most this past iat
					   and past now (+ leeway) */
	size_t		 max_token;	/* bytes; 0: TOKEN_DEFAULT_MAX */
	const unsigned char *digest;	/* SHA-256 of the token if the caller
					   has it already (info->hash), or NULL */
	size_t		 max_sub;	/* bytes of sub passed on (at most
					   TOKEN_SUB_CAP); 0: not passed on */
	size_t		 max_scope;	/* bytes of the scopes passed on (at
					   most TOKEN_SCOPE_CAP); 0: not */
	/* given the payload (jansson) of a token found TOKEN_OK, before
	   token_check returns (claims.c); NULL: not called */
	void		(*payload)(void *arg, const struct json_t *payload);
	void		*payload_arg;
};

/*
 * Filled as far as parsing got, even on failure.  The strings but
 * pass_sub and pass_scope are for logs only: NUL-terminated,
 * truncated at a UTF-8 character boundary, control characters left
 * out.  pass_sub and pass_scope are the values to pass on, whole:
 * set only for TOKEN_OK and TOKEN_INSUFFICIENT_SCOPE, and only when
 * the policy's max_sub or max_scope is set ("" otherwise).  UNLESS verified is 1, NOTHING here but hash may
 * be trusted: it is whatever the presenter wrote (an attacker may claim
 * any sub).  verified is 1 exactly for TOKEN_OK and
 * TOKEN_INSUFFICIENT_SCOPE.  On TOKEN_UNKNOWN_KID the kid, iat, exp and
 * sub are unverified: use them only to decide whether to ask jwksd for
 * a refetch, and log them as claims, not as facts.
 */
struct token_info {
	char		 kid[129];
	char		 alg[16];
	char		 sub[129];
	char		 client_id[129];	/* client_id, else azp */
	char		 scope[1024];	/* granted scopes, space-separated */
	int64_t		 exp, iat, nbf;	/* 0 if absent */
	char		 hash[17];	/* 16 hex of SHA-256(token), loggable */
	int		 verified;	/* 1: signature and claims checked */
	char		 pass_sub[TOKEN_SUB_CAP + 1];	/* sub, exactly */
	char		 pass_scope[TOKEN_SCOPE_CAP + 1]; /* scope and scp
					   values, whole, one space apart */
};

enum token_status {
	TOKEN_OK,
	TOKEN_MALFORMED,
	TOKEN_TOO_LARGE,
	TOKEN_BAD_TYP,
	TOKEN_UNKNOWN_KID,
	TOKEN_BAD_ALG,
	TOKEN_BAD_SIGNATURE,
	TOKEN_BAD_ISSUER,
	TOKEN_BAD_AUDIENCE,
	TOKEN_NO_EXP,
	TOKEN_EXPIRED,
	TOKEN_NOT_YET_VALID,
	TOKEN_ISSUED_IN_FUTURE,
	TOKEN_BAD_CLAIM,	/* sub or scopes cannot be passed on whole */
	TOKEN_INSUFFICIENT_SCOPE,
	TOKEN_REVOKED		/* jti or sub on the deny list (revoke.c) */
};

/*
 * Check the compact JWS token[0..len) (need not be NUL-terminated; no
 * byte at or after len is read).  kf may be NULL (no key file yet:
 * every well-formed token of the issuer is TOKEN_UNKNOWN_KID).  Returns
 * the status, and in *why a short static lowercase reason for the log
 * that never holds token material.  TOKEN_INSUFFICIENT_SCOPE means the
 * token is otherwise valid (403, not 401).
 */
enum token_status token_check(const char *token, size_t len,
	    const struct keyfile *kf, const struct token_policy *pol,
	    time_t now, struct token_info *info, const char **why);

/* A short lowercase text for a status ("expired", "wrong audience"). */
const char	*token_status_text(enum token_status);

#endif
