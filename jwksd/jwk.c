/*
 * JSON documents from the authorization server (jwksd's only jansson
 * user) and the only JWK -> OpenSSL conversion: a JWKS becomes a set of
 * public keys in DER, each with its one permitted algorithm.  Keys that
 * cannot be used for signature checks are refused one by one.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/x509.h>

#include "digest.h"
#include "log.h"
#include "jwksd.h"

#define RSA_MIN_BITS	2048
#define RSA_MAX_BITS	16384

static const struct curve {
	const char	*crv;		/* JWK name */
	const char	*group;		/* OpenSSL name */
	size_t		 len;		/* coordinate octets */
	const char	*alg;
} curves[] = {
	{ "P-256", "prime256v1", 32, "ES256" },
	{ "P-384", "secp384r1", 48, "ES384" },
	{ "P-521", "secp521r1", 66, "ES512" },
};

static const char *const rsa_algs[] = {
	"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", NULL
};

/* Members that only a private or symmetric key has. */
static const char *const private_members[] = {
	"d", "p", "q", "dp", "dq", "qi", "oth", "k", NULL
};

/*
 * Strict base64url (RFC 7515 section 2): no padding, no other
 * characters, unused trailing bits zero.  Returns the decoded length
 * or -1.  out must hold len * 3 / 4 bytes.
 */
static long
b64url_decode(const char *s, size_t len, unsigned char *out)
{
	static const char	 alpha[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789-_";
	const char		*p;
	unsigned long		 acc = 0;
	size_t			 i, n = 0;
	int			 bits = 0;

	if (len == 0 || len % 4 == 1)
		return (-1);
	for (i = 0; i < len; i++) {
		if (s[i] == '\0' || (p = strchr(alpha, s[i])) == NULL)
			return (-1);
		acc = (acc << 6) | (unsigned long)(p - alpha);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[n++] = (acc >> bits) & 0xff;
		}
	}
	if ((acc & ((1UL << bits) - 1)) != 0)
		return (-1);		/* non-canonical trailing bits */
	return ((long)n);
}

/* Decode member name of key into a malloc'd buffer. */
static unsigned char *
member_b64(json_t *key, const char *name, size_t *outlen, const char **why)
{
	static char	 msg[64];
	json_t		*v;
	unsigned char	*buf;
	const char	*s;
	size_t		 len;
	long		 n;

	if ((v = json_object_get(key, name)) == NULL || !json_is_string(v)) {
		snprintf(msg, sizeof(msg), "missing or non-string \"%s\"",
		    name);
		*why = msg;
		return (NULL);
	}
	s = json_string_value(v);
	len = json_string_length(v);
	if (len > 4 * RSA_MAX_BITS / 8 / 3 + 4 ||
	    (buf = malloc(len * 3 / 4 + 1)) == NULL) {
		*why = "member too long";
		return (NULL);
	}
	if ((n = b64url_decode(s, len, buf)) <= 0) {
		snprintf(msg, sizeof(msg), "\"%s\" is not base64url", name);
		*why = msg;
		free(buf);
		return (NULL);
	}
	*outlen = n;
	return (buf);
}

/* Turn params into a public EVP_PKEY of type name and check it. */
static EVP_PKEY *
pkey_from(const char *name, OSSL_PARAM_BLD *bld, const char **why)
{
	EVP_PKEY_CTX	*ctx = NULL, *check = NULL;
	OSSL_PARAM	*params = NULL;
	EVP_PKEY	*pkey = NULL;

	if ((params = OSSL_PARAM_BLD_to_param(bld)) == NULL ||
	    (ctx = EVP_PKEY_CTX_new_from_name(NULL, name, NULL)) == NULL ||
	    EVP_PKEY_fromdata_init(ctx) <= 0 ||
	    EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) <= 0) {
		*why = "OpenSSL refused the key";
		goto done;
	}
	if ((check = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL)) == NULL ||
	    EVP_PKEY_public_check(check) <= 0) {
		*why = strcmp(name, "EC") == 0 ? "point not on the curve" :
		    "public key check failed";
		EVP_PKEY_free(pkey);
		pkey = NULL;
	}
 done:
	EVP_PKEY_CTX_free(check);
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	return (pkey);
}

static EVP_PKEY *
rsa_key(json_t *key, const char **why)
{
	OSSL_PARAM_BLD	*bld = NULL;
	BIGNUM		*n = NULL, *e = NULL;
	EVP_PKEY	*pkey = NULL;
	unsigned char	*nb = NULL, *eb = NULL;
	size_t		 nlen, elen;

	if ((nb = member_b64(key, "n", &nlen, why)) == NULL ||
	    (eb = member_b64(key, "e", &elen, why)) == NULL)
		goto done;
	if (elen > 8 || (eb[elen - 1] & 1) == 0 || eb[0] == 0) {
		*why = "bad exponent";
		goto done;
	}
	if ((n = BN_bin2bn(nb, nlen, NULL)) == NULL ||
	    (e = BN_bin2bn(eb, elen, NULL)) == NULL) {
		*why = "out of memory";
		goto done;
	}
	if (BN_num_bits(n) < RSA_MIN_BITS || BN_num_bits(n) > RSA_MAX_BITS) {
		*why = "RSA modulus not 2048 to 16384 bits";
		goto done;
	}
	if (BN_is_one(e) || (bld = OSSL_PARAM_BLD_new()) == NULL ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e)) {
		*why = "bad exponent";
		goto done;
	}
	pkey = pkey_from("RSA", bld, why);
 done:
	OSSL_PARAM_BLD_free(bld);
	BN_free(n);
	BN_free(e);
	free(nb);
	free(eb);
	return (pkey);
}

static EVP_PKEY *
ec_key(json_t *key, const struct curve *cv, const char **why)
{
	OSSL_PARAM_BLD	*bld = NULL;
	EVP_PKEY	*pkey = NULL;
	unsigned char	*x = NULL, *y = NULL, pt[1 + 2 * 66];
	size_t		 xlen, ylen;

	if ((x = member_b64(key, "x", &xlen, why)) == NULL ||
	    (y = member_b64(key, "y", &ylen, why)) == NULL)
		goto done;
	if (xlen != cv->len || ylen != cv->len) {
		*why = "coordinate length does not match the curve";
		goto done;
	}
	pt[0] = 0x04;		/* uncompressed */
	memcpy(pt + 1, x, xlen);
	memcpy(pt + 1 + xlen, y, ylen);
	if ((bld = OSSL_PARAM_BLD_new()) == NULL ||
	    !OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME,
	    cv->group, 0) ||
	    !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY,
	    pt, 1 + xlen + ylen)) {
		*why = "out of memory";
		goto done;
	}
	if ((pkey = pkey_from("EC", bld, why)) == NULL)
		*why = "point not on the curve";
 done:
	OSSL_PARAM_BLD_free(bld);
	free(x);
	free(y);
	return (pkey);
}

/* An optional string member: 0 absent, 1 present, -1 not a string. */
static int
opt_string(json_t *key, const char *name, const char **out)
{
	json_t	*v;

	*out = NULL;
	if ((v = json_object_get(key, name)) == NULL)
		return (0);
	if (!json_is_string(v))
		return (-1);
	*out = json_string_value(v);
	return (1);
}

/* The kid: 1 to KEYFILE_KID_MAX printable ASCII characters, no space. */
static int
check_kid(json_t *key, struct jwk *out, const char **why)
{
	const char	*kid;
	size_t		 i, len;
	int		 rv;

	if ((rv = opt_string(key, "kid", &kid)) != 1) {
		*why = rv == 0 ? "missing kid" : "kid is not a string";
		return (-1);
	}
	len = json_string_length(json_object_get(key, "kid"));
	if (len == 0 || len > KEYFILE_KID_MAX) {
		*why = "kid empty or too long";
		return (-1);
	}
	for (i = 0; i < len; i++)
		if (kid[i] < 0x21 || kid[i] > 0x7e) {
			*why = "kid has characters other than printable ASCII";
			return (-1);
		}
	memcpy(out->kid, kid, len + 1);
	return (0);
}

/* use, key_ops and private members: is this a public signing key? */
static int
check_usage(json_t *key, const char **why)
{
	json_t		*ops, *op;
	const char	*use;
	size_t		 i;
	int		 verify = 0;

	for (i = 0; private_members[i] != NULL; i++)
		if (json_object_get(key, private_members[i]) != NULL) {
			*why = "private or symmetric key material";
			return (-1);
		}
	if (opt_string(key, "use", &use) == -1 ||
	    (use != NULL && strcmp(use, "sig") != 0)) {
		*why = "not a signature key (use is not sig)";
		return (-1);
	}
	if ((ops = json_object_get(key, "key_ops")) != NULL) {
		if (!json_is_array(ops)) {
			*why = "key_ops is not an array";
			return (-1);
		}
		json_array_foreach(ops, i, op)
			if (json_is_string(op) &&
			    strcmp(json_string_value(op), "verify") == 0)
				verify = 1;
		if (!verify) {
			*why = "key_ops does not allow verify";
			return (-1);
		}
	}
	return (0);
}

/* Encode pkey as DER SubjectPublicKeyInfo into out. */
static int
to_der(EVP_PKEY *pkey, struct jwk *out, const char **why)
{
	unsigned char	*der = NULL;
	int		 len;

	if ((len = i2d_PUBKEY(pkey, &der)) <= 0 || len > KEYFILE_DER_MAX) {
		OPENSSL_free(der);
		*why = "cannot encode the key";
		return (-1);
	}
	if ((out->der = malloc(len)) == NULL) {
		OPENSSL_free(der);
		*why = "out of memory";
		return (-1);
	}
	memcpy(out->der, der, len);
	out->der_len = len;
	OPENSSL_free(der);
	if (digest_sha256(out->der, out->der_len, out->fp) == -1) {
		*why = "digest failed";
		return (-1);
	}
	return (0);
}

/* The algorithm: the JWK's alg if compatible, else the type's default. */
static int
pin_alg(json_t *key, const char *kty, const struct curve *cv,
    struct jwk *out, const char **why)
{
	const char	*alg;
	size_t		 i;

	if (opt_string(key, "alg", &alg) == -1) {
		*why = "alg is not a string";
		return (-1);
	}
	if (cv != NULL) {
		if (alg != NULL && strcmp(alg, cv->alg) != 0) {
			*why = "alg does not match the key type and curve";
			return (-1);
		}
		snprintf(out->alg, sizeof(out->alg), "%s", cv->alg);
		return (0);
	}
	if (alg == NULL)
		alg = "RS256";
	for (i = 0; rsa_algs[i] != NULL; i++)
		if (strcmp(rsa_algs[i], alg) == 0)
			break;
	if (rsa_algs[i] == NULL) {
		*why = "alg does not match the key type";
		return (-1);
	}
	snprintf(out->alg, sizeof(out->alg), "%s", alg);
	(void)kty;
	return (0);
}

/* Convert one parsed JWK.  Returns 0, or -1 with *why. */
static int
convert(json_t *key, struct jwk *out, const char **why)
{
	const struct curve	*cv = NULL;
	const char		*kty, *crv;
	EVP_PKEY		*pkey;
	size_t			 i;
	int			 rv;

	memset(out, 0, sizeof(*out));
	if (!json_is_object(key)) {
		*why = "not a JSON object";
		return (-1);
	}
	if (opt_string(key, "kty", &kty) != 1) {
		*why = "missing kty";
		return (-1);
	}
	if (strcmp(kty, "oct") == 0) {
		*why = "symmetric (oct) key";
		return (-1);
	}
	if (strcmp(kty, "RSA") != 0 && strcmp(kty, "EC") != 0) {
		*why = "unsupported kty";
		return (-1);
	}
	if (check_kid(key, out, why) == -1 || check_usage(key, why) == -1)
		return (-1);
	if (strcmp(kty, "EC") == 0) {
		if (opt_string(key, "crv", &crv) != 1) {
			*why = "missing crv";
			return (-1);
		}
		for (i = 0; i < sizeof(curves) / sizeof(curves[0]); i++)
			if (strcmp(curves[i].crv, crv) == 0)
				cv = &curves[i];
		if (cv == NULL) {
			*why = "unsupported crv";
			return (-1);
		}
	}
	if (pin_alg(key, kty, cv, out, why) == -1)
		return (-1);
	pkey = cv != NULL ? ec_key(key, cv, why) : rsa_key(key, why);
	if (pkey == NULL)
		return (-1);
	snprintf(out->kty, sizeof(out->kty), "%s", kty);
	rv = to_der(pkey, out, why);
	EVP_PKEY_free(pkey);
	if (rv == -1)
		jwk_clear(out);
	return (rv);
}

/*
 * Convert one JWK given as JSON text.  Returns 0 with the key in out,
 * or -1 with the reason in *why.
 */
int
jwk_convert(const char *buf, size_t len, struct jwk *out, const char **why)
{
	json_t		*key;
	json_error_t	 err;
	int		 rv;

	if ((key = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &err)) ==
	    NULL) {
		memset(out, 0, sizeof(*out));
		*why = "not valid JSON";
		return (-1);
	}
	rv = convert(key, out, why);
	json_decref(key);
	return (rv);
}

/* A kid fit for a log line: only when it is short printable ASCII. */
static const char *
log_kid(json_t *key)
{
	json_t		*v = json_object_get(key, "kid");
	const char	*s;
	size_t		 i;

	if (!json_is_string(v))
		return ("(no kid)");
	if (json_string_length(v) > KEYFILE_KID_MAX)
		return ("(kid too long)");
	s = json_string_value(v);
	for (i = 0; s[i] != '\0'; i++)
		if (s[i] < 0x20 || s[i] > 0x7e)
			return ("(unprintable)");
	return (s);
}

/* Refuse every key whose kid appears more than once. */
static void
drop_duplicates(struct jwkset *set, const char *who)
{
	size_t	 i, j, n = 0;
	char	 dup[JWKSD_MAX_KEYS];

	memset(dup, 0, sizeof(dup));
	for (i = 0; i < set->n; i++)
		for (j = i + 1; j < set->n; j++)
			if (strcmp(set->keys[i].kid, set->keys[j].kid) == 0)
				dup[i] = dup[j] = 1;
	for (i = 0; i < set->n; i++) {
		if (dup[i]) {
			log_warnx("%s: key %s refused: duplicate kid", who,
			    set->keys[i].kid);
			jwk_clear(&set->keys[i]);
			continue;
		}
		set->keys[n++] = set->keys[i];
	}
	set->n = n;
}

/*
 * Parse a JWKS document.  Each unusable key is refused with a log line
 * naming who.  Returns 0 with at least one key in out, or -1 with *why
 * when the document is unusable or holds no usable key.
 */
int
jwk_parse_set(const char *buf, size_t len, const char *who,
    struct jwkset *out, const char **why)
{
	json_t		*root, *keys, *key;
	json_error_t	 err;
	const char	*reason;
	size_t		 i;

	memset(out, 0, sizeof(*out));
	if ((root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &err)) ==
	    NULL) {
		*why = "JWKS is not valid JSON";
		return (-1);
	}
	keys = json_object_get(root, "keys");
	if (!json_is_object(root) || !json_is_array(keys)) {
		*why = "JWKS has no \"keys\" array";
		json_decref(root);
		return (-1);
	}
	if ((out->keys = calloc(JWKSD_MAX_KEYS, sizeof(*out->keys))) ==
	    NULL) {
		*why = "out of memory";
		json_decref(root);
		return (-1);
	}
	json_array_foreach(keys, i, key) {
		if (out->n == JWKSD_MAX_KEYS) {
			log_warnx("%s: more than %d keys; the rest refused",
			    who, JWKSD_MAX_KEYS);
			break;
		}
		if (convert(key, &out->keys[out->n], &reason) == -1) {
			log_warnx("%s: key %s refused: %s", who,
			    log_kid(key), reason);
			continue;
		}
		log_debug("%s: key %s accepted (%s %s)", who,
		    out->keys[out->n].kid, out->keys[out->n].kty,
		    out->keys[out->n].alg);
		out->n++;
	}
	json_decref(root);
	drop_duplicates(out, who);
	if (out->n == 0) {
		jwkset_free(out);
		*why = "JWKS holds no usable signing key";
		return (-1);
	}
	return (0);
}

/*
 * Read an authorization server metadata document (RFC 8414 or OIDC
 * discovery): its issuer must be exactly ours.  Returns 0 with a
 * malloc'd jwks_uri, or -1 with *why.
 */
int
jwk_metadata(const char *buf, size_t len, const char *issuer,
    char **jwks_uri, const char **why)
{
	json_t		*root, *v;
	json_error_t	 err;
	int		 rv = -1;

	if ((root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &err)) ==
	    NULL || !json_is_object(root)) {
		*why = "metadata is not a JSON object";
		json_decref(root);
		return (-1);
	}
	v = json_object_get(root, "issuer");
	if (!json_is_string(v) || strcmp(json_string_value(v), issuer) != 0)
		*why = "metadata issuer differs from the configured issuer";
	else if (!json_is_string(v = json_object_get(root, "jwks_uri")) ||
	    json_string_length(v) == 0 ||
	    json_string_length(v) > KEYFILE_URL_MAX)
		*why = "metadata has no jwks_uri";
	else if ((*jwks_uri = strdup(json_string_value(v))) == NULL)
		*why = "out of memory";
	else
		rv = 0;
	json_decref(root);
	return (rv);
}

/* Members of the metadata the workers get (provider = keycloak). */
static const char *const as_urls[] = {
	"issuer", "authorization_endpoint", "token_endpoint", "jwks_uri",
	"registration_endpoint", "revocation_endpoint",
	"introspection_endpoint", "service_documentation", NULL
};
static const char *const as_lists[] = {
	"response_types_supported", "response_modes_supported",
	"grant_types_supported", "code_challenge_methods_supported",
	"scopes_supported", "token_endpoint_auth_methods_supported",
	"token_endpoint_auth_signing_alg_values_supported",
	"revocation_endpoint_auth_methods_supported",
	"introspection_endpoint_auth_methods_supported", NULL
};
static const char *const as_flags[] = {
	"authorization_response_iss_parameter_supported", NULL
};

/* A short array of short strings, as metadata lists are. */
static int
string_list(json_t *v)
{
	json_t	*e;
	size_t	 i;

	if (!json_is_array(v) || json_array_size(v) > 256)
		return (0);
	json_array_foreach(v, i, e)
		if (!json_is_string(e) || json_string_length(e) == 0 ||
		    json_string_length(e) > 256)
			return (0);
	return (1);
}

/* The members of as_urls, as_lists and as_flags, each checked. */
static json_t *
as_reduce(json_t *root, int allow_http, const char **note)
{
	json_t		*out, *v;
	const char	*s, *why;
	size_t		 i;

	if ((out = json_object()) == NULL)
		return (NULL);
	for (i = 0; as_urls[i] != NULL; i++) {
		if ((v = json_object_get(root, as_urls[i])) == NULL)
			continue;
		s = json_string_value(v);
		if (s == NULL || strlen(s) > KEYFILE_URL_MAX ||
		    (strncmp(s, "https://", 8) && strncmp(s, "http://", 7)) ||
		    strpbrk(s, " \t\r\n\"") != NULL) {
			*note = "a metadata URL is not an http(s) URL; left out";
			continue;
		}
		/* the workers relay registrations there: jwksd's URL policy */
		if (strcmp(as_urls[i], "registration_endpoint") == 0 &&
		    fetch_url_allowed(s, allow_http, &why) == -1) {
			*note = "registration_endpoint refused by the URL "
			    "policy (allow_http); left out";
			continue;
		}
		json_object_set(out, as_urls[i], v);
	}
	for (i = 0; as_lists[i] != NULL; i++)
		if ((v = json_object_get(root, as_lists[i])) != NULL &&
		    string_list(v))
			json_object_set(out, as_lists[i], v);
	for (i = 0; as_flags[i] != NULL; i++)
		if (json_is_boolean(v = json_object_get(root, as_flags[i])))
			json_object_set(out, as_flags[i], v);
	return (out);
}

/*
 * Reduce a discovery document to the authorization server metadata the
 * workers serve for a provider that publishes none (RFC 8414 members
 * only, each checked).  Its issuer must be exactly ours and it must
 * name the endpoints of the code flow.  Returns 0 with a malloc'd
 * compact JSON object (and *why set to a note, or NULL), or -1 with *why.
 */
int
jwk_as_metadata(const char *buf, size_t len, const char *issuer,
    int allow_http, char **out, const char **why)
{
	json_t		*root, *doc = NULL;
	json_error_t	 err;
	int		 rv = -1;

	*why = NULL;
	if ((root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &err)) ==
	    NULL || !json_is_object(root)) {
		*why = "metadata is not a JSON object";
		json_decref(root);
		return (-1);
	}
	if ((doc = as_reduce(root, allow_http, why)) == NULL)
		*why = "out of memory";
	else if (!json_is_string(json_object_get(doc, "issuer")) ||
	    strcmp(json_string_value(json_object_get(doc, "issuer")),
	    issuer) != 0)
		*why = "metadata issuer differs from the configured issuer";
	else if (json_object_get(doc, "authorization_endpoint") == NULL ||
	    json_object_get(doc, "token_endpoint") == NULL ||
	    json_object_get(doc, "response_types_supported") == NULL)
		*why = "metadata lacks the endpoints of the code flow";
	else if ((*out = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS)) ==
	    NULL)
		*why = "out of memory";
	else if (strlen(*out) > KEYFILE_META_MAX) {
		*why = "metadata too large";
		free(*out);
		*out = NULL;
	} else
		rv = 0;
	json_decref(doc);
	json_decref(root);
	return (rv);
}

/* Rebuild a key from the key file (at start, to keep what was published). */
int
jwk_from_der(const char *kid, const char *alg, const unsigned char *der,
    size_t der_len, struct jwk *out)
{
	memset(out, 0, sizeof(*out));
	if (strlen(kid) > KEYFILE_KID_MAX || strlen(alg) >= sizeof(out->alg) ||
	    (out->der = malloc(der_len)) == NULL)
		return (-1);
	snprintf(out->kid, sizeof(out->kid), "%s", kid);
	snprintf(out->alg, sizeof(out->alg), "%s", alg);
	snprintf(out->kty, sizeof(out->kty), "%s", alg[0] == 'E' ? "EC" :
	    "RSA");
	memcpy(out->der, der, der_len);
	out->der_len = der_len;
	if (digest_sha256(der, der_len, out->fp) == -1) {
		jwk_clear(out);
		return (-1);
	}
	return (0);
}

void
jwk_clear(struct jwk *k)
{
	free(k->der);
	memset(k, 0, sizeof(*k));
}

void
jwkset_free(struct jwkset *set)
{
	size_t	 i;

	for (i = 0; i < set->n; i++)
		jwk_clear(&set->keys[i]);
	free(set->keys);
	set->keys = NULL;
	set->n = 0;
}

/* Replace dst with src (src is left empty). */
void
jwkset_move(struct jwkset *dst, struct jwkset *src)
{
	jwkset_free(dst);
	*dst = *src;
	src->keys = NULL;
	src->n = 0;
}
