/*
 * mcpproxyd-token: service tokens for a local issuer.  Private
 * declarations, grouped by the file that defines them.
 */
#ifndef MCPPROXYD_TOKEN_H
#define MCPPROXYD_TOKEN_H

#include <stddef.h>
#include <stdint.h>

#define TOKEN_MAX_LIFETIME_CAP	(366LL * 86400)	/* -L at most */
#define TOKEN_KID_MAX		128	/* as keyfile.h's KEYFILE_KID_MAX */

/* What a token says (sign.c). */
struct claims {
	const char	*iss;
	const char	*sub;
	const char	*aud;
	const char	*scope;
	const char	*client_id;
	int64_t		 iat;
	int64_t		 exp;
};

/* key.c: OpenSSL key pairs, their JWKs and the JWKS file */
int	 key_generate(const char *type, int bits, const char *keypath,
	    char *kid, size_t kidlen);
int	 key_load(const char *keypath, char **pem, size_t *pemlen,
	    char *alg, size_t alglen, char *kid, size_t kidlen);
int	 jwks_add(const char *jwkspath, const char *keypath);
int	 jwks_remove(const char *jwkspath, const char *kid);
int	 b64url(const unsigned char *in, size_t len, char *out, size_t outlen);

/* conf.c: max_token_lifetime of an [issuer NAME] */
void	 conf_max_lifetime(const char *file, const char *iss,
	    long long *max);

/* sign.c: libjwt */
char	*token_sign(const struct claims *c, const char *pem, size_t pemlen,
	    const char *alg, const char *kid);

#endif
