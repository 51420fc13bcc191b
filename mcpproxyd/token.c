/*
 * Validation of JWT access tokens: a compact JWS (RFC 7515) checked to
 * the rules of RFC 8725 and the profile of RFC 9068, with the keys
 * (and the one algorithm each key allows) of jwksd's key file.
 *
 * Why this module parses the token itself instead of using libjwt:
 * libjwt 1.10.2 (Debian 12) takes the algorithm from the token's own
 * header, returns success without checking any signature when given
 * no key, accepts an HS256 token whose HMAC key is a public key's PEM
 * text, parses that PEM on every call (about 290 us), has no PS*
 * algorithms and checks no claims.  All it would do for us is
 * base64url and JSON; both are done here, strictly, with jansson, and
 * the signature is checked by OpenSSL against the EVP_PKEY the key
 * file built once per mapping.
 *
 * The checks, in order; the first failure is the status:
 *  1. size, before anything is parsed (TOO_LARGE);
 *  2. exactly three parts of base64url without padding, canonical
 *     (unused trailing bits zero), header and payload non-empty
 *     (MALFORMED);
 *  3. header: a JSON object; alg a string (MALFORMED), one of RS*,
 *     PS*, ES* 256/384/512 (BAD_ALG: "none" and HS* never); typ, when
 *     present, JWT, at+jwt or application/at+jwt in any case (BAD_TYP);
 *     no crit (MALFORMED); kid a string of 1 to 128 printable ASCII
 *     characters (MALFORMED: a token without kid is refused, never
 *     tried against every key of the issuer);
 *  4. a non-empty signature part (MALFORMED; checked after the header
 *     so that alg none without a signature is reported as BAD_ALG);
 *  5. payload: a JSON object (MALFORMED);
 *  6. iss a string equal to the policy's issuer (BAD_ISSUER), before
 *     the key file is consulted: a token never chooses the issuer
 *     whose keys are used;
 *  7. the key (iss, kid) in the key file, NULL past the issuer's hard
 *     expiry or without a key file (UNKNOWN_KID);
 *  8. the header's alg equal to the key's pinned alg (BAD_ALG);
 *  9. the signature (BAD_SIGNATURE): RS* PKCS#1 v1.5, PS* PSS with
 *     MGF1 and salt of the hash's length, ES* exactly the raw R||S of
 *     twice the curve's size, RSA exactly the modulus' size;
 * and only now are the claims trusted:
 * 10. exp, nbf, iat numbers when present (integers or reals within
 *     +-9e15, so no sum with a leeway overflows; reals are rounded
 *     towards refusal), scope a string, scp
 *     a string or an array of strings (MALFORMED);
 * 11. exp present (NO_EXP), now - leeway < exp (EXPIRED), nbf <= now +
 *     leeway (NOT_YET_VALID), iat <= now + leeway (ISSUED_IN_FUTURE);
 *     with max_lifetime, exp - iat and exp - (now + leeway) within it
 *     (BAD_CLAIM);
 * 12. aud a string or an array of strings holding an accepted audience
 *     (BAD_AUDIENCE; a policy without audiences accepts no token);
 * 13. the subject and scopes the policy passes on (max_sub, max_scope
 *     set): sub a string (MALFORMED, always), within max_sub bytes,
 *     printable ASCII without a blank at either end; the values of
 *     scope and scp within max_scope bytes joined by single spaces,
 *     printable ASCII, no space inside an scp array value (BAD_CLAIM):
 *     whole or refused, never cut or cleaned;
 * 14. every required scope among the space-separated values of scope
 *     and of scp (INSUFFICIENT_SCOPE, last: it means 403, not 401).
 *
 * JSON: duplicate names are refused everywhere (JSON_REJECT_DUPLICATES),
 * nesting is bounded by TOKEN_MAX_DEPTH, invalid UTF-8 and \u0000 are
 * refused by jansson.  The header parameters jku, jwk, x5u, x5c and x5t
 * are ignored: keys come only from the key file.  Nothing compares a
 * secret, so there are no constant-time comparisons to make.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "digest.h"
#include "keyfile.h"
#include "token.h"

#define NUMERIC_DATE_MAX	9e15	/* a real NumericDate's bound */

enum sigkind {
	SIG_PKCS1,
	SIG_PSS,
	SIG_ECDSA
};

static const struct alginfo {
	const char	*name;
	enum sigkind	 kind;
	int		 bits;		/* of the SHA-2 hash */
	size_t		 ecsize;	/* ES*: bytes of R and of S */
} algtab[] = {
	{ "RS256", SIG_PKCS1, 256, 0 },
	{ "RS384", SIG_PKCS1, 384, 0 },
	{ "RS512", SIG_PKCS1, 512, 0 },
	{ "PS256", SIG_PSS, 256, 0 },
	{ "PS384", SIG_PSS, 384, 0 },
	{ "PS512", SIG_PSS, 512, 0 },
	{ "ES256", SIG_ECDSA, 256, 32 },
	{ "ES384", SIG_ECDSA, 384, 48 },
	{ "ES512", SIG_ECDSA, 512, 66 },
};
#define NALGTAB	(sizeof(algtab) / sizeof(algtab[0]))

/* The token taken apart; owned by token_check. */
struct tok {
	size_t		 signed_len;	/* header.payload: the signing input */
	unsigned char	*buf;		/* the three decoded parts */
	unsigned char	*hdr, *pay, *sig;
	size_t		 hlen, plen, slen;
	json_t		*h, *p;
};

static enum token_status
fail(const char **why, enum token_status st, const char *reason)
{
	*why = reason;
	return (st);
}

/* The base64url alphabet's values, -1 outside it: no branch per byte. */
static const signed char b64tab[256] = {
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 62, -1, -1,
	52, 53, 54, 55, 56, 57, 58, 59, 60, 61, -1, -1, -1, -1, -1, -1,
	-1,  0,  1,  2,  3,  4,  5,  6,  7,  8,  9, 10, 11, 12, 13, 14,
	15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, -1, -1, -1, -1, 63,
	-1, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40,
	41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
};

/*
 * Strict base64url (RFC 7515 2, RFC 4648 5): the alphabet only, no
 * padding, no length of 1 mod 4, unused trailing bits zero, so that
 * each byte string has exactly one encoding.  out holds at least
 * n * 3 / 4 bytes.
 */
static int
b64url_decode(const char *in, size_t n, unsigned char *out, size_t *outlen)
{
	uint32_t	 acc = 0;
	size_t		 i, o = 0;
	int		 bits = 0, v;

	if (n % 4 == 1)
		return (-1);
	/* four characters to three bytes while there are four */
	for (i = 0; i + 4 <= n; i += 4) {
		const unsigned char *q = (const unsigned char *)in + i;
		uint32_t w;

		if ((b64tab[q[0]] | b64tab[q[1]] | b64tab[q[2]] |
		    b64tab[q[3]]) < 0)
			return (-1);
		w = (uint32_t)b64tab[q[0]] << 18 | (uint32_t)b64tab[q[1]] << 12 |
		    (uint32_t)b64tab[q[2]] << 6 | (uint32_t)b64tab[q[3]];
		out[o++] = (unsigned char)(w >> 16);
		out[o++] = (unsigned char)(w >> 8);
		out[o++] = (unsigned char)w;
	}
	for (; i < n; i++) {
		if ((v = b64tab[(unsigned char)in[i]]) == -1)
			return (-1);
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (unsigned char)(acc >> bits);
			acc &= (1U << bits) - 1;
		}
	}
	if (acc != 0)
		return (-1);
	*outlen = o;
	return (0);
}

/* Split and decode the three parts; the signature may still be empty. */
static enum token_status
split(struct tok *t, const char *token, size_t len, const char **why)
{
	const char	*end = token + len, *d1, *d2;
	size_t		 hn, pn, sn;

	if (len == 0)
		return (fail(why, TOKEN_MALFORMED, "empty token"));
	if ((d1 = memchr(token, '.', len)) == NULL ||
	    (d2 = memchr(d1 + 1, '.', end - d1 - 1)) == NULL)
		return (fail(why, TOKEN_MALFORMED, "not three parts"));
	if (memchr(d2 + 1, '.', end - d2 - 1) != NULL)
		return (fail(why, TOKEN_MALFORMED, "more than three parts"));
	hn = d1 - token;
	pn = d2 - d1 - 1;
	sn = end - d2 - 1;
	if (hn == 0 || pn == 0)
		return (fail(why, TOKEN_MALFORMED, "empty header or payload"));
	if ((t->buf = malloc(len)) == NULL)
		return (fail(why, TOKEN_MALFORMED, "out of memory"));
	t->hdr = t->buf;
	if (b64url_decode(token, hn, t->hdr, &t->hlen) == -1)
		return (fail(why, TOKEN_MALFORMED, "header is not base64url"));
	t->pay = t->hdr + t->hlen;
	if (b64url_decode(d1 + 1, pn, t->pay, &t->plen) == -1)
		return (fail(why, TOKEN_MALFORMED,
		    "payload is not base64url"));
	t->sig = t->pay + t->plen;
	if (b64url_decode(d2 + 1, sn, t->sig, &t->slen) == -1)
		return (fail(why, TOKEN_MALFORMED,
		    "signature is not base64url"));
	t->signed_len = d2 - token;
	return (TOKEN_OK);
}

/* Nesting of JSON text within TOKEN_MAX_DEPTH (jansson checks the rest). */
static int
depth_ok(const unsigned char *p, size_t n)
{
	size_t	 i;
	int	 depth = 0, instr = 0, esc = 0;

	for (i = 0; i < n; i++) {
		if (instr) {
			if (esc)
				esc = 0;
			else if (p[i] == '\\')
				esc = 1;
			else if (p[i] == '"')
				instr = 0;
			continue;
		}
		if (p[i] == '"')
			instr = 1;
		else if (p[i] == '{' || p[i] == '[') {
			if (++depth > TOKEN_MAX_DEPTH)
				return (0);
		} else if (p[i] == '}' || p[i] == ']')
			depth--;
	}
	return (1);
}

static json_t *
parse_object(const unsigned char *p, size_t n)
{
	json_error_t	 err;
	json_t		*j;

	if (!depth_ok(p, n))
		return (NULL);
	j = json_loadb((const char *)p, n, JSON_REJECT_DUPLICATES, &err);
	if (j != NULL && !json_is_object(j)) {
		json_decref(j);
		return (NULL);
	}
	return (j);
}

/*
 * Append src to the string in dst, dropping control characters (C0,
 * DEL, C1) and stopping before a character that does not fit.  src is
 * valid UTF-8 (jansson checked it).
 */
static void
append_clean(char *dst, size_t dstlen, const char *src)
{
	const unsigned char	*s = (const unsigned char *)src;
	size_t			 o = strlen(dst), i = 0, n, k;

	while (s[i] != '\0') {
		n = s[i] < 0x80 ? 1 : s[i] < 0xe0 ? 2 : s[i] < 0xf0 ? 3 : 4;
		for (k = 1; k < n; k++)
			if (s[i + k] == '\0')
				goto out;
		if (s[i] < 0x20 || s[i] == 0x7f ||
		    (s[i] == 0xc2 && s[i + 1] < 0xa0)) {
			i += n;
			continue;
		}
		if (o + n >= dstlen)
			break;
		memcpy(dst + o, s + i, n);
		o += n;
		i += n;
	}
 out:
	dst[o] = '\0';
}

static void
copy_clean(char *dst, size_t dstlen, const char *src)
{
	dst[0] = '\0';
	if (src != NULL)
		append_clean(dst, dstlen, src);
}

/* 16 hex digits of SHA-256 over the raw bytes: a loggable identity. */
static void
token_hash(const char *token, size_t len, char *out)
{
	unsigned char	 md[DIGEST_LEN];

	(void)digest_sha256(token, len, md);
	digest_hex(md, 8, out);
}

/*
 * A NumericDate: 1 and *out when present, 0 when absent, -1 when not a
 * number in range.  Reals are rounded down (up when up is set).
 */
static int
numeric_date(const json_t *obj, const char *name, int up, int64_t *out)
{
	const json_t	*v;
	double		 d;
	int64_t		 t;

	if ((v = json_object_get(obj, name)) == NULL)
		return (0);
	/*
	 * Integers too stay within +-9e15, so that no sum of a date and a
	 * leeway or a clock, verified or not, can overflow an int64_t.
	 */
	if (json_is_integer(v)) {
		if (json_integer_value(v) <= -(json_int_t)NUMERIC_DATE_MAX ||
		    json_integer_value(v) >= (json_int_t)NUMERIC_DATE_MAX)
			return (-1);
		*out = json_integer_value(v);
		return (1);
	}
	if (!json_is_real(v))
		return (-1);
	d = json_real_value(v);
	if (!(d > -NUMERIC_DATE_MAX && d < NUMERIC_DATE_MAX))
		return (-1);
	t = (int64_t)d;
	if (!up && (double)t > d)
		t--;
	else if (up && (double)t < d)
		t++;
	*out = t;
	return (1);
}

/* Add the values of a scope string to info->scope. */
static void
add_scope(struct token_info *info, const char *s)
{
	size_t	 n;

	if (s == NULL || s[0] == '\0')
		return;
	if (info->scope[0] != '\0')
		append_clean(info->scope, sizeof(info->scope), " ");
	append_clean(info->scope, sizeof(info->scope), s);
	n = strlen(info->scope);
	if (n > 0 && info->scope[n - 1] == ' ')
		info->scope[n - 1] = '\0';
}

/* The unverified claims, for the caller's log. */
static void
fill_info(const json_t *p, struct token_info *info)
{
	const json_t	*v, *e;
	const char	*s;
	size_t		 i;

	copy_clean(info->sub, sizeof(info->sub),
	    json_string_value(json_object_get(p, "sub")));
	if ((s = json_string_value(json_object_get(p, "client_id"))) == NULL)
		s = json_string_value(json_object_get(p, "azp"));
	copy_clean(info->client_id, sizeof(info->client_id), s);
	add_scope(info, json_string_value(json_object_get(p, "scope")));
	v = json_object_get(p, "scp");
	add_scope(info, json_string_value(v));
	json_array_foreach(v, i, e)
		add_scope(info, json_string_value(e));
	if (numeric_date(p, "exp", 0, &info->exp) != 1)
		info->exp = 0;
	if (numeric_date(p, "iat", 1, &info->iat) != 1)
		info->iat = 0;
	if (numeric_date(p, "nbf", 1, &info->nbf) != 1)
		info->nbf = 0;
}

static const struct alginfo *
alg_lookup(const char *name)
{
	size_t	 i;

	for (i = 0; i < NALGTAB; i++)
		if (strcmp(algtab[i].name, name) == 0)
			return (&algtab[i]);
	return (NULL);
}

static int
typ_ok(const char *typ)
{
	return (strcasecmp(typ, "JWT") == 0 || strcasecmp(typ, "at+jwt") == 0 ||
	    strcasecmp(typ, "application/at+jwt") == 0);
}

static int
kid_ok(const char *kid)
{
	size_t	 i;

	for (i = 0; kid[i] != '\0'; i++)
		if ((unsigned char)kid[i] < 0x20 ||
		    (unsigned char)kid[i] > 0x7e || i >= KEYFILE_KID_MAX)
			return (0);
	return (i > 0);
}

static enum token_status
check_header(struct tok *t, struct token_info *info,
    const struct alginfo **ap, const char **kidp, const char **why)
{
	const json_t	*v;
	const char	*alg;

	if ((t->h = parse_object(t->hdr, t->hlen)) == NULL)
		return (fail(why, TOKEN_MALFORMED,
		    "header is not a json object"));
	if ((alg = json_string_value(json_object_get(t->h, "alg"))) == NULL)
		return (fail(why, TOKEN_MALFORMED, "no alg string"));
	copy_clean(info->alg, sizeof(info->alg), alg);
	if ((*ap = alg_lookup(alg)) == NULL) {
		if (strcasecmp(alg, "none") == 0)
			return (fail(why, TOKEN_BAD_ALG, "alg none refused"));
		if (strncasecmp(alg, "HS", 2) == 0)
			return (fail(why, TOKEN_BAD_ALG, "hmac alg refused"));
		return (fail(why, TOKEN_BAD_ALG, "alg not supported"));
	}
	if ((v = json_object_get(t->h, "typ")) != NULL &&
	    (!json_is_string(v) || !typ_ok(json_string_value(v))))
		return (fail(why, TOKEN_BAD_TYP, "typ is not jwt or at+jwt"));
	if (json_object_get(t->h, "crit") != NULL)
		return (fail(why, TOKEN_MALFORMED, "crit header refused"));
	if ((*kidp = json_string_value(json_object_get(t->h, "kid"))) == NULL)
		return (fail(why, TOKEN_MALFORMED, "no kid string"));
	copy_clean(info->kid, sizeof(info->kid), *kidp);
	if (!kid_ok(*kidp))
		return (fail(why, TOKEN_MALFORMED,
		    "kid empty, too long or not printable"));
	return (TOKEN_OK);
}

static const EVP_MD *
alg_md(const struct alginfo *a)
{
	return (a->bits == 256 ? EVP_sha256() : a->bits == 384 ?
	    EVP_sha384() : EVP_sha512());
}

/* ES*: the raw R||S of JWS (RFC 7518 3.4) as the DER OpenSSL wants. */
static int
ecdsa_der(const struct alginfo *a, const unsigned char *sig,
    unsigned char **der, int *derlen)
{
	ECDSA_SIG	*es;
	BIGNUM		*r, *s;

	r = BN_bin2bn(sig, (int)a->ecsize, NULL);
	s = BN_bin2bn(sig + a->ecsize, (int)a->ecsize, NULL);
	if (r == NULL || s == NULL || (es = ECDSA_SIG_new()) == NULL) {
		BN_free(r);
		BN_free(s);
		return (-1);
	}
	if (!ECDSA_SIG_set0(es, r, s)) {
		BN_free(r);
		BN_free(s);
		ECDSA_SIG_free(es);
		return (-1);
	}
	*der = NULL;
	*derlen = i2d_ECDSA_SIG(es, der);
	ECDSA_SIG_free(es);
	return (*derlen > 0 ? 0 : -1);
}

/*
 * Verification contexts set up once per key and algorithm and copied
 * for each token: setting one up costs OpenSSL 3 about a quarter of an
 * RSA-2048 verification (7 of 25 us here).  The one module state, kept
 * only as a cache: each template holds a reference to its key, so a
 * key of an old key file stays alive (and its address unused) until
 * the cache is cleared, when the key file's serial changes.
 */
static int	verify(const struct alginfo *, EVP_PKEY *,
		    const unsigned char *, size_t, const unsigned char *,
		    size_t, const char **);

#define VCACHE_SIZE	32

static struct {
	EVP_PKEY		*pkey;
	const struct alginfo	*alg;
	EVP_MD_CTX		*tmpl;
} vcache[VCACHE_SIZE];
static size_t		 vcache_next;
static uint64_t		 vcache_serial;

static void
vcache_clear(void)
{
	size_t	 i;

	for (i = 0; i < VCACHE_SIZE; i++) {
		EVP_MD_CTX_free(vcache[i].tmpl);
		vcache[i].tmpl = NULL;
		vcache[i].pkey = NULL;
		vcache[i].alg = NULL;
	}
	vcache_next = 0;
}

/* A verification context ready for a, pkey; NULL on an OpenSSL error. */
static EVP_MD_CTX *
vcache_get(const struct alginfo *a, EVP_PKEY *pkey)
{
	EVP_MD_CTX	*ctx;
	EVP_PKEY_CTX	*pctx = NULL;
	const EVP_MD	*md = alg_md(a);
	size_t		 i;

	for (i = 0; i < VCACHE_SIZE; i++)
		if (vcache[i].pkey == pkey && vcache[i].alg == a)
			return (vcache[i].tmpl);
	if ((ctx = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestVerifyInit(ctx, &pctx, md, NULL, pkey) != 1)
		goto fail;
	if (a->kind == SIG_PKCS1 &&
	    EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) != 1)
		goto fail;
	if (a->kind == SIG_PSS &&
	    (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
	    EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, md) != 1 ||
	    EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) !=
	    1))
		goto fail;
	i = vcache_next++ % VCACHE_SIZE;
	EVP_MD_CTX_free(vcache[i].tmpl);
	vcache[i].pkey = pkey;
	vcache[i].alg = a;
	vcache[i].tmpl = ctx;
	return (ctx);
 fail:
	EVP_MD_CTX_free(ctx);
	return (NULL);
}

/* The signature over msg: 0 when it verifies, -1 with *why otherwise. */
static int
verify(const struct alginfo *a, EVP_PKEY *pkey, const unsigned char *msg,
    size_t msglen, const unsigned char *sig, size_t siglen,
    const char **why)
{
	static EVP_MD_CTX *work;
	EVP_MD_CTX	*tmpl;
	unsigned char	*der = NULL;
	int		 derlen, ok = 0;

	*why = "signature does not verify";
	if (a->kind == SIG_ECDSA) {
		if (EVP_PKEY_get_base_id(pkey) != EVP_PKEY_EC) {
			*why = "key type does not match alg";
			return (-1);
		}
		if (siglen != 2 * a->ecsize) {
			*why = "signature length wrong for the curve";
			return (-1);
		}
		if (ecdsa_der(a, sig, &der, &derlen) == -1)
			goto out;
		sig = der;
		siglen = (size_t)derlen;
	} else {
		if (EVP_PKEY_get_base_id(pkey) != EVP_PKEY_RSA) {
			*why = "key type does not match alg";
			return (-1);
		}
		if (siglen != (size_t)EVP_PKEY_get_size(pkey)) {
			*why = "signature length differs from the modulus";
			return (-1);
		}
	}
	if ((tmpl = vcache_get(a, pkey)) == NULL ||
	    (work == NULL && (work = EVP_MD_CTX_new()) == NULL) ||
	    EVP_MD_CTX_copy_ex(work, tmpl) != 1)
		goto out;
	ok = EVP_DigestVerify(work, sig, siglen, msg, msglen) == 1;
 out:
	OPENSSL_free(der);
	ERR_clear_error();
	return (ok ? 0 : -1);
}

/* scope a string, scp a string or an array of strings. */
static int
scope_types_ok(const json_t *p)
{
	const json_t	*v, *e;
	size_t		 i;

	v = json_object_get(p, "scope");
	if (v != NULL && !json_is_string(v))
		return (0);
	v = json_object_get(p, "scp");
	if (v == NULL || json_is_string(v))
		return (1);
	if (!json_is_array(v))
		return (0);
	json_array_foreach(v, i, e)
		if (!json_is_string(e))
			return (0);
	return (1);
}

/* want is one of the space-separated values of list. */
static int
in_list(const char *list, const char *want)
{
	size_t		 n = strlen(want), k;
	const char	*p = list;

	if (n == 0)
		return (0);
	while (*p != '\0') {
		while (*p == ' ')
			p++;
		k = strcspn(p, " ");
		if (k == n && memcmp(p, want, n) == 0)
			return (1);
		p += k;
	}
	return (0);
}

static int
has_scope(const json_t *p, const char *want)
{
	const json_t	*v, *e;
	const char	*s;
	size_t		 i;

	if ((s = json_string_value(json_object_get(p, "scope"))) != NULL &&
	    in_list(s, want))
		return (1);
	v = json_object_get(p, "scp");
	if ((s = json_string_value(v)) != NULL)
		return (in_list(s, want));
	json_array_foreach(v, i, e)
		if (strcmp(json_string_value(e), want) == 0)
			return (1);
	return (0);
}

static int
aud_accepted(const char *aud, const struct token_policy *pol)
{
	size_t	 i;

	for (i = 0; i < pol->naudiences; i++)
		if (pol->audiences[i] != NULL &&
		    strcmp(aud, pol->audiences[i]) == 0)
			return (1);
	return (0);
}

static enum token_status
check_aud(const json_t *p, const struct token_policy *pol, const char **why)
{
	const json_t	*aud, *e;
	size_t		 i;

	if ((aud = json_object_get(p, "aud")) == NULL)
		return (fail(why, TOKEN_BAD_AUDIENCE, "no aud"));
	if (json_is_string(aud)) {
		if (aud_accepted(json_string_value(aud), pol))
			return (TOKEN_OK);
		return (fail(why, TOKEN_BAD_AUDIENCE, "aud not accepted"));
	}
	if (!json_is_array(aud))
		return (fail(why, TOKEN_BAD_AUDIENCE,
		    "aud is not a string or array"));
	json_array_foreach(aud, i, e)
		if (!json_is_string(e))
			return (fail(why, TOKEN_BAD_AUDIENCE,
			    "aud array holds a non-string"));
	json_array_foreach(aud, i, e)
		if (aud_accepted(json_string_value(e), pol))
			return (TOKEN_OK);
	return (fail(why, TOKEN_BAD_AUDIENCE, "no accepted aud"));
}

/* A value passed on in a header: printable ASCII only (a space too). */
static int
printable(const char *s, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
			return (0);
	return (1);
}

/* Append the space-separated values of s to out[*off..max]; -1: too long. */
static int
append_values(char *out, size_t *off, size_t max, const char *s)
{
	size_t	 k;

	while (*s != '\0') {
		while (*s == ' ')
			s++;
		if ((k = strcspn(s, " ")) == 0)
			break;
		if (*off + (*off > 0) + k > max)
			return (-1);
		if (*off > 0)
			out[(*off)++] = ' ';
		memcpy(out + *off, s, k);
		*off += k;
		out[*off] = '\0';
		s += k;
	}
	return (0);
}

/*
 * The subject and scopes to pass on, whole or not at all: a value too
 * long for the policy, or holding anything but printable ASCII, refuses
 * the token (a header value cut or cleaned would name someone else).
 * The scopes are the values of scope, then of scp, one space apart.
 */
static enum token_status
take_claims(const json_t *p, const struct token_policy *pol,
    struct token_info *info, const char **why)
{
	const json_t	*v, *e;
	const char	*s;
	size_t		 n, i, off = 0;

	if (pol->max_sub > 0 &&
	    (v = json_object_get(p, "sub")) != NULL) {
		s = json_string_value(v);
		n = json_string_length(v);
		if (n > pol->max_sub || n > TOKEN_SUB_CAP)
			return (fail(why, TOKEN_BAD_CLAIM, "subject too long"));
		if (!printable(s, n) || (n > 0 && (s[0] == ' ' ||
		    s[n - 1] == ' ')))
			return (fail(why, TOKEN_BAD_CLAIM,
			    "subject not printable ascii"));
		memcpy(info->pass_sub, s, n + 1);
	}
	if (pol->max_scope == 0)
		return (TOKEN_OK);
	n = pol->max_scope < TOKEN_SCOPE_CAP ? pol->max_scope :
	    TOKEN_SCOPE_CAP;
	if ((v = json_object_get(p, "scope")) != NULL) {
		s = json_string_value(v);
		if (!printable(s, json_string_length(v)))
			return (fail(why, TOKEN_BAD_CLAIM,
			    "scopes not printable ascii"));
		if (append_values(info->pass_scope, &off, n, s) == -1)
			return (fail(why, TOKEN_BAD_CLAIM, "scopes too long"));
	}
	v = json_object_get(p, "scp");
	for (i = 0; v != NULL && i < (json_is_array(v) ?
	    json_array_size(v) : 1); i++) {
		e = json_is_array(v) ? json_array_get(v, i) : v;
		s = json_string_value(e);
		if (!printable(s, json_string_length(e)) ||
		    (json_is_array(v) && strchr(s, ' ') != NULL))
			return (fail(why, TOKEN_BAD_CLAIM,
			    "scopes not printable ascii"));
		if (append_values(info->pass_scope, &off, n, s) == -1)
			return (fail(why, TOKEN_BAD_CLAIM, "scopes too long"));
	}
	return (TOKEN_OK);
}

/* The claims of a token whose signature verified. */
static enum token_status
check_claims(const json_t *p, const struct token_policy *pol, time_t now,
    struct token_info *info, const char **why)
{
	int64_t			 exp = 0, nbf = 0, iat = 0;
	int64_t			 lw = pol->leeway > 0 ? pol->leeway : 0;
	enum token_status	 st;
	size_t			 i;
	int			 hexp, hnbf, hiat;

	if ((hexp = numeric_date(p, "exp", 0, &exp)) == -1)
		return (fail(why, TOKEN_MALFORMED, "exp is not a number"));
	if ((hnbf = numeric_date(p, "nbf", 1, &nbf)) == -1)
		return (fail(why, TOKEN_MALFORMED, "nbf is not a number"));
	if ((hiat = numeric_date(p, "iat", 1, &iat)) == -1)
		return (fail(why, TOKEN_MALFORMED, "iat is not a number"));
	if (!scope_types_ok(p))
		return (fail(why, TOKEN_MALFORMED,
		    "scope or scp of the wrong type"));
	if (json_object_get(p, "sub") != NULL &&
	    !json_is_string(json_object_get(p, "sub")))
		return (fail(why, TOKEN_MALFORMED, "sub is not a string"));
	if (!hexp)
		return (fail(why, TOKEN_NO_EXP, "no exp"));
	/* dates are within +-9e15 (numeric_date), lw within an int */
	if ((int64_t)now - lw >= exp)
		return (fail(why, TOKEN_EXPIRED, "exp has passed"));
	if (hnbf && nbf > (int64_t)now + lw)
		return (fail(why, TOKEN_NOT_YET_VALID, "nbf is in the future"));
	if (hiat && iat > (int64_t)now + lw)
		return (fail(why, TOKEN_ISSUED_IN_FUTURE,
		    "iat is in the future"));
	/* max_token_lifetime: whoever holds a local issuer's key cannot
	   sign a token that outlives its rotation (with iat within the
	   leeway, the first test follows from the second when iat is
	   present) */
	if (pol->max_lifetime > 0 &&
	    (exp > (int64_t)now + lw + pol->max_lifetime ||
	    (hiat && exp - iat > pol->max_lifetime)))
		return (fail(why, TOKEN_BAD_CLAIM,
		    "lifetime longer than the issuer allows"));
	if ((st = check_aud(p, pol, why)) != TOKEN_OK)
		return (st);
	if ((st = take_claims(p, pol, info, why)) != TOKEN_OK)
		return (st);
	for (i = 0; i < pol->nrequired; i++)
		if (pol->required_scopes[i] == NULL ||
		    !has_scope(p, pol->required_scopes[i]))
			return (fail(why, TOKEN_INSUFFICIENT_SCOPE,
			    "a required scope is missing"));
	*why = "valid";
	return (TOKEN_OK);
}

static enum token_status
check(struct tok *t, const char *token, size_t len, const struct keyfile *kf,
    const struct token_policy *pol, time_t now, struct token_info *info,
    const char **why)
{
	const struct keyfile_key	*key;
	const struct alginfo		*a;
	const char			*iss, *kid;
	enum token_status		 st;
	size_t				 max;

	max = pol->max_token > 0 ? pol->max_token : TOKEN_DEFAULT_MAX;
	if (len > max)
		return (fail(why, TOKEN_TOO_LARGE,
		    "token larger than the maximum"));
	if ((st = split(t, token, len, why)) != TOKEN_OK)
		return (st);
	if ((st = check_header(t, info, &a, &kid, why)) != TOKEN_OK)
		return (st);
	if (t->slen == 0)
		return (fail(why, TOKEN_MALFORMED, "empty signature"));
	if ((t->p = parse_object(t->pay, t->plen)) == NULL)
		return (fail(why, TOKEN_MALFORMED,
		    "payload is not a json object"));
	fill_info(t->p, info);
	if ((iss = json_string_value(json_object_get(t->p, "iss"))) == NULL)
		return (fail(why, TOKEN_BAD_ISSUER, "no iss string"));
	if (pol->issuer == NULL || strcmp(iss, pol->issuer) != 0)
		return (fail(why, TOKEN_BAD_ISSUER,
		    "iss is not the configured issuer"));
	if (kf == NULL || (key = keyfile_find(kf, iss, kid, now)) == NULL)
		return (fail(why, TOKEN_UNKNOWN_KID,
		    "no usable key for this kid and issuer"));
	if (strcmp(a->name, key->alg) != 0)
		return (fail(why, TOKEN_BAD_ALG,
		    "alg is not the one the key allows"));
	/* a new key file: the prepared contexts belong to the old one */
	if (keyfile_serial(kf) != vcache_serial) {
		vcache_clear();
		vcache_serial = keyfile_serial(kf);
	}
	if (verify(a, key->pkey, (const unsigned char *)token, t->signed_len,
	    t->sig, t->slen, why) == -1)
		return (TOKEN_BAD_SIGNATURE);
	return (check_claims(t->p, pol, now, info, why));
}

/* Check a compact JWS access token against the key file and a policy. */
enum token_status
token_check(const char *token, size_t len, const struct keyfile *kf,
    const struct token_policy *pol, time_t now, struct token_info *info,
    const char **why)
{
	struct token_info	 scratch;
	struct tok		 t;
	enum token_status	 st;
	const char		*reason = NULL;

	if (info == NULL)
		info = &scratch;
	memset(info, 0, sizeof(*info));
	memset(&t, 0, sizeof(t));
	if (pol != NULL && pol->digest != NULL)
		digest_hex(pol->digest, 8, info->hash);
	else
		token_hash(token, len, info->hash);
	if (token == NULL)
		st = fail(&reason, TOKEN_MALFORMED, "empty token");
	else
		st = check(&t, token, len, kf, pol, now, info, &reason);
	if (st == TOKEN_OK && pol != NULL && pol->payload != NULL)
		pol->payload(pol->payload_arg, t.p);
	json_decref(t.h);
	json_decref(t.p);
	free(t.buf);
	info->verified = st == TOKEN_OK || st == TOKEN_INSUFFICIENT_SCOPE;
	if (!info->verified)
		info->pass_sub[0] = info->pass_scope[0] = '\0';
	if (why != NULL)
		*why = reason;
	return (st);
}

/* A short lowercase text for a status, for logs and error_description. */
const char *
token_status_text(enum token_status st)
{
	switch (st) {
	case TOKEN_OK:
		return ("valid");
	case TOKEN_MALFORMED:
		return ("malformed token");
	case TOKEN_TOO_LARGE:
		return ("token too large");
	case TOKEN_BAD_TYP:
		return ("wrong token type");
	case TOKEN_UNKNOWN_KID:
		return ("unknown signing key");
	case TOKEN_BAD_ALG:
		return ("algorithm not allowed");
	case TOKEN_BAD_SIGNATURE:
		return ("bad signature");
	case TOKEN_BAD_ISSUER:
		return ("wrong issuer");
	case TOKEN_BAD_AUDIENCE:
		return ("wrong audience");
	case TOKEN_NO_EXP:
		return ("no expiry");
	case TOKEN_EXPIRED:
		return ("expired");
	case TOKEN_NOT_YET_VALID:
		return ("not yet valid");
	case TOKEN_ISSUED_IN_FUTURE:
		return ("issued in the future");
	case TOKEN_BAD_CLAIM:
		return ("subject or scopes not passable");
	case TOKEN_REVOKED:
		return ("revoked");
	case TOKEN_INSUFFICIENT_SCOPE:
		return ("insufficient scope");
	}
	return ("unknown status");
}
