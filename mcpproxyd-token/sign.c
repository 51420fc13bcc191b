/*
 * Signing: the one place libjwt is called.  libjwt 1.10 is unsafe for
 * verifying (token.c in mcpproxyd says why) but sound for building a
 * token: its JWT object holds the header and the claims and writes
 * them as JSON.  Its jwt_encode_str() cannot make an RFC 9068 access
 * token, though: 1.10.2 overwrites the header's typ with "JWT" (tested:
 * tests/integration/19-service-tokens.t wants at+jwt), so the signing
 * input is joined here and signed with OpenSSL (ES256 as r||s, RFC 7518
 * 3.4).  Claims: iss, sub, aud, scope, client_id, iat, exp, a random
 * jti; header alg, typ at+jwt and the key's kid.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jwt.h>
#include <openssl/bio.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include "token.h"

/* base64url of a NUL-terminated JSON text, to free; NULL on error. */
static char *
b64_json(char *json)
{
	size_t	 n, len;
	char	*out;

	if (json == NULL)
		return (NULL);
	len = strlen(json);
	n = 4 * ((len + 2) / 3) + 1;
	if ((out = malloc(n)) != NULL && b64url((unsigned char *)json, len,
	    out, n) == -1) {
		free(out);
		out = NULL;
	}
	free(json);
	return (out);
}

/*
 * Sign input with the PEM private key; an ECDSA signature becomes r||s
 * (32 bytes each).  Returns the signature in base64url, to free.
 */
static char *
sign_input(const char *input, const char *pem, size_t pemlen, int ec)
{
	EVP_PKEY	*pkey = NULL;
	EVP_MD_CTX	*ctx = NULL;
	ECDSA_SIG	*es = NULL;
	BIO		*bio;
	unsigned char	*sig = NULL, rs[64];
	const unsigned char *p;
	char		*out = NULL;
	size_t		 slen = 0;

	if ((bio = BIO_new_mem_buf(pem, (int)pemlen)) == NULL)
		return (NULL);
	pkey = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
	BIO_free(bio);
	if (pkey == NULL || (ctx = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, pkey) != 1 ||
	    EVP_DigestSign(ctx, NULL, &slen, (const unsigned char *)input,
	    strlen(input)) != 1 || (sig = malloc(slen)) == NULL ||
	    EVP_DigestSign(ctx, sig, &slen, (const unsigned char *)input,
	    strlen(input)) != 1)
		goto done;
	if (ec) {
		p = sig;
		if ((es = d2i_ECDSA_SIG(NULL, &p, (long)slen)) == NULL ||
		    BN_bn2binpad(ECDSA_SIG_get0_r(es), rs, 32) != 32 ||
		    BN_bn2binpad(ECDSA_SIG_get0_s(es), rs + 32, 32) != 32)
			goto done;
		memcpy(sig, rs, sizeof(rs));
		slen = sizeof(rs);
	}
	if ((out = malloc(4 * ((slen + 2) / 3) + 1)) != NULL &&
	    b64url(sig, slen, out, 4 * ((slen + 2) / 3) + 1) == -1) {
		free(out);
		out = NULL;
	}
 done:
	ECDSA_SIG_free(es);
	free(sig);
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(pkey);
	return (out);
}

/*
 * Sign c with the private key in pem (algorithm alg, "ES256" or
 * "RS256").  Returns the token (to free), or NULL after saying why.
 */
char *
token_sign(const struct claims *c, const char *pem, size_t pemlen,
    const char *alg, const char *kid)
{
	jwt_t		*jwt = NULL;
	unsigned char	 rnd[16];
	char		 jti[32], *head = NULL, *body = NULL, *sig = NULL;
	char		*input = NULL, *tok = NULL;

	if (RAND_bytes(rnd, sizeof(rnd)) != 1 ||
	    b64url(rnd, sizeof(rnd), jti, sizeof(jti)) == -1) {
		fprintf(stderr, "mcpproxyd-token: no random jti\n");
		return (NULL);
	}
	if (jwt_new(&jwt) != 0 ||
	    jwt_add_header(jwt, "alg", alg) != 0 ||
	    jwt_add_header(jwt, "typ", "at+jwt") != 0 ||
	    jwt_add_header(jwt, "kid", kid) != 0 ||
	    jwt_add_grant(jwt, "iss", c->iss) != 0 ||
	    jwt_add_grant(jwt, "sub", c->sub) != 0 ||
	    jwt_add_grant(jwt, "aud", c->aud) != 0 ||
	    jwt_add_grant(jwt, "scope", c->scope) != 0 ||
	    jwt_add_grant(jwt, "client_id", c->client_id) != 0 ||
	    jwt_add_grant(jwt, "jti", jti) != 0 ||
	    jwt_add_grant_int(jwt, "iat", (long)c->iat) != 0 ||
	    jwt_add_grant_int(jwt, "exp", (long)c->exp) != 0 ||
	    (head = b64_json(jwt_get_headers_json(jwt, NULL))) == NULL ||
	    (body = b64_json(jwt_get_grants_json(jwt, NULL))) == NULL ||
	    asprintf(&input, "%s.%s", head, body) == -1 ||
	    (sig = sign_input(input, pem, pemlen,
	    !strcmp(alg, "ES256"))) == NULL ||
	    asprintf(&tok, "%s.%s", input, sig) == -1) {
		fprintf(stderr, "mcpproxyd-token: signing failed\n");
		tok = NULL;
	}
	jwt_free(jwt);
	free(head);
	free(body);
	free(input);
	free(sig);
	return (tok);
}
