/*
 * JWK conversion: the RFC 7517 and RFC 7520 keys compared with what
 * the openssl command makes of them (tests/fixtures/rfc*.pem, made by
 * tests/fixtures/rfc-keys.sh), the pinned algorithms, every refused
 * key shape, JWKS sets and metadata documents.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/pem.h>
#include <openssl/x509.h>

#include "log.h"
#include "../../jwksd/jwksd.h"
#include "unit.h"

#define RSA7517_N "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbf" \
    "AAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-" \
    "5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAt" \
    "aSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI" \
    "4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awa" \
    "pJzKnqDKgw"
#define RSA7520_N "n4EPtAOCc9AlkeQHPzHStgAbgs7bTZLwUBZdR8_KuKPEHLd4rHVTeT-O" \
    "-XV2jRojdNhxJWTDvNd7nqQ0VEiZQHz_AJmSCpMaJMRBSFKrKb2wqVwGU_NsYOYL-QtiW" \
    "N2lbzcEe6XC0dApr5ydQLrHqkHHig3RBordaZ6Aj-oBHqFEHYpPe7Tpe-OfVfHd1E6cS6" \
    "M1FZcD1NNLYD5lFHpPI9bTwJlsde3uhGqC0ZCuEHg8lhzwOHrtIQbS0FVbb9k3-tVTU4f" \
    "g_3L_vniUFAKwuCLqKnS2BYwdq_mzSnbLY7h_qixoR7jig3__kRhuaxwUkRz5iaiQkqgc" \
    "5gHdrNP5zw"
#define EC7517_X "MKBCTNIcKUSDii11ySs3526iDZ8AiTo7Tu6KPAqv7D4"
#define EC7517_Y "4Etl6SRW2YiLUrN5vfvVHuhp7x8PxltmWWlbbM4IFyM"
#define EC7520_X "AHKZLLOsCOzz5cY97ewNUajB957y-C-U88c3v13nmGZx6sYl_oJXu9A5R" \
    "kTKqjqvjyekWF-7ytDyRXYgCF5cj0Kt"
#define EC7520_Y "AdymlHvOiLxXkEhayXQnNCvDX4h9htZaCJN34kfmC6pV5OhQHiraVySsU" \
    "daQkAgDPrwQrJmbnX9cwlGfP-HqHZR1"

#define RSA(extra) "{\"kty\":\"RSA\",\"kid\":\"k\",\"n\":\"" RSA7517_N \
    "\",\"e\":\"AQAB\"" extra "}"
#define EC(extra) "{\"kty\":\"EC\",\"kid\":\"k\",\"crv\":\"P-256\",\"x\":\"" \
    EC7517_X "\",\"y\":\"" EC7517_Y "\"" extra "}"

static const char *
fixture_dir(void)
{
	const char	*top = getenv("TOP");
	static char	 dir[1024];

	snprintf(dir, sizeof(dir), "%s/tests/fixtures", top ? top : ".");
	return (dir);
}

static char *
slurp(const char *name, size_t *lenp)
{
	char	 path[2048], *buf;
	FILE	*fp;
	long	 len;

	snprintf(path, sizeof(path), "%s/%s", fixture_dir(), name);
	if ((fp = fopen(path, "r")) == NULL)
		return (NULL);
	fseek(fp, 0, SEEK_END);
	len = ftell(fp);
	rewind(fp);
	buf = calloc(1, len + 1);
	if (buf != NULL && fread(buf, 1, len, fp) != (size_t)len) {
		free(buf);
		buf = NULL;
	}
	fclose(fp);
	if (lenp != NULL)
		*lenp = len;
	return (buf);
}

/* PEM text of a converted key, as OpenSSL writes it. */
static char *
to_pem(const struct jwk *k)
{
	const unsigned char	*p = k->der;
	EVP_PKEY		*pkey;
	BIO			*bio;
	char			*data, *out;
	long			 len;

	if ((pkey = d2i_PUBKEY(NULL, &p, k->der_len)) == NULL)
		return (NULL);
	bio = BIO_new(BIO_s_mem());
	PEM_write_bio_PUBKEY(bio, pkey);
	len = BIO_get_mem_data(bio, &data);
	out = strndup(data, len);
	BIO_free(bio);
	EVP_PKEY_free(pkey);
	return (out);
}

static void
test_vectors(void)
{
	static const struct {
		const char	*json, *pem, *kty, *alg;
	} v[] = {
		/* RFC 7517 A.1: the EC key is "use":"enc" there */
		{ "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"" EC7517_X
		    "\",\"y\":\"" EC7517_Y "\",\"kid\":\"1\"}",
		    "rfc7517-a1-ec.pem", "EC", "ES256" },
		{ "{\"kty\":\"RSA\",\"n\":\"" RSA7517_N "\",\"e\":\"AQAB\","
		    "\"alg\":\"RS256\",\"kid\":\"2011-04-29\"}",
		    "rfc7517-a1-rsa.pem", "RSA", "RS256" },
		/* RFC 7520 3.1 and 3.3 */
		{ "{\"kty\":\"EC\",\"kid\":\"bilbo.baggins@hobbiton.example\","
		    "\"use\":\"sig\",\"crv\":\"P-521\",\"x\":\"" EC7520_X
		    "\",\"y\":\"" EC7520_Y "\"}",
		    "rfc7520-3.1-ec.pem", "EC", "ES512" },
		{ "{\"kty\":\"RSA\",\"kid\":\"bilbo.baggins@hobbiton.example\","
		    "\"use\":\"sig\",\"n\":\"" RSA7520_N "\",\"e\":\"AQAB\"}",
		    "rfc7520-3.3-rsa.pem", "RSA", "RS256" },
	};
	struct jwk	 k;
	const char	*why = NULL;
	char		*pem, *want;
	size_t		 i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		if (jwk_convert(v[i].json, strlen(v[i].json), &k, &why) ==
		    -1) {
			CHECK(0, "%s: refused: %s", v[i].pem, why);
			continue;
		}
		want = slurp(v[i].pem, NULL);
		pem = to_pem(&k);
		CHECK(want != NULL, "fixture %s missing", v[i].pem);
		CHECK(pem != NULL && want != NULL && strcmp(pem, want) == 0,
		    "%s: got\n%s", v[i].pem, pem ? pem : "(null)");
		CHECK(strcmp(k.kty, v[i].kty) == 0, "%s kty %s", v[i].pem,
		    k.kty);
		CHECK(strcmp(k.alg, v[i].alg) == 0, "%s alg %s", v[i].pem,
		    k.alg);
		free(pem);
		free(want);
		jwk_clear(&k);
	}
}

static void
test_pinning(void)
{
	static const struct {
		const char	*json, *alg;
	} v[] = {
		{ RSA(""), "RS256" },
		{ RSA(",\"alg\":\"RS384\""), "RS384" },
		{ RSA(",\"alg\":\"RS512\""), "RS512" },
		{ RSA(",\"alg\":\"PS256\""), "PS256" },
		{ RSA(",\"alg\":\"PS512\",\"use\":\"sig\""), "PS512" },
		{ RSA(",\"key_ops\":[\"verify\"]"), "RS256" },
		{ RSA(",\"x5c\":[\"MIIB\"],\"x5t\":\"abc\""), "RS256" },
		{ EC(""), "ES256" },
		{ EC(",\"alg\":\"ES256\""), "ES256" },
		{ "{\"kty\":\"EC\",\"kid\":\"k\",\"crv\":\"P-521\",\"x\":\""
		    EC7520_X "\",\"y\":\"" EC7520_Y "\",\"alg\":\"ES512\"}",
		    "ES512" },
	};
	struct jwk	 k;
	const char	*why = NULL;
	size_t		 i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		if (jwk_convert(v[i].json, strlen(v[i].json), &k, &why) ==
		    -1) {
			CHECK(0, "row %zu refused: %s", i, why);
			continue;
		}
		CHECK(strcmp(k.alg, v[i].alg) == 0, "row %zu: alg %s", i,
		    k.alg);
		jwk_clear(&k);
	}
}

static void
test_refused(void)
{
	static const struct {
		const char	*json, *why;
	} v[] = {
		{ "{\"kty\":\"oct\",\"kid\":\"k\",\"k\":\"AyM1SysPpbyDfgZld3um"
		    "j1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjA"
		    "zZr1Z9CAow\"}", "oct" },
		{ "{\"kty\":\"oct\",\"kid\":\"k\"}", "oct" },
		{ RSA(",\"use\":\"enc\""), "use" },
		{ EC(",\"use\":\"enc\""), "use" },
		{ RSA(",\"use\":7"), "use" },
		{ RSA(",\"key_ops\":[\"encrypt\"]"), "key_ops" },
		{ RSA(",\"key_ops\":\"verify\""), "key_ops" },
		{ RSA(",\"d\":\"AQAB\""), "private" },
		{ EC(",\"d\":\"870MB6gfuTJ4HtUnUvYMyJpr5eUZNP4Bk43bVdj3eAE\""),
		    "private" },
		{ "{\"kty\":\"RSA\",\"n\":\"" RSA7517_N "\",\"e\":\"AQAB\"}",
		    "missing kid" },
		{ "{\"kty\":\"RSA\",\"kid\":\"\",\"n\":\"" RSA7517_N
		    "\",\"e\":\"AQAB\"}", "kid" },
		{ "{\"kty\":\"RSA\",\"kid\":42,\"n\":\"" RSA7517_N
		    "\",\"e\":\"AQAB\"}", "kid" },
		{ "{\"kty\":\"RSA\",\"kid\":\"a b\",\"n\":\"" RSA7517_N
		    "\",\"e\":\"AQAB\"}", "kid" },
		{ "{\"kty\":\"RSA\",\"kid\":\"a\\u0001\",\"n\":\"" RSA7517_N
		    "\",\"e\":\"AQAB\"}", "kid" },
		{ "{\"kty\":\"RSA\",\"kid\":\"" "0123456789012345678901234567"
		    "890123456789012345678901234567890123456789012345678901234"
		    "5678901234567890123456789012345678901234567890123456789"
		    "\",\"n\":\"" RSA7517_N "\",\"e\":\"AQAB\"}", "kid" },
		{ "{\"kty\":\"RSA\",\"kid\":\"k\",\"e\":\"AQAB\"}", "\"n\"" },
		{ "{\"kty\":\"RSA\",\"kid\":\"k\",\"n\":\"" RSA7517_N "\"}",
		    "\"e\"" },
		{ "{\"kty\":\"RSA\",\"kid\":\"k\",\"n\":\"" RSA7517_N
		    "\",\"e\":\"AQAB=\"}", "base64url" },
		{ "{\"kty\":\"RSA\",\"kid\":\"k\",\"n\":\"" RSA7517_N
		    "\",\"e\":\"AQ+B\"}", "base64url" },
		{ "{\"kty\":\"RSA\",\"kid\":\"k\",\"n\":\"" RSA7517_N
		    "\",\"e\":\"AQAC\"}", "exponent" },	/* even */
		{ "{\"kty\":\"RSA\",\"kid\":\"k\",\"n\":\"" RSA7517_N
		    "\",\"e\":\"AQ\"}", "exponent" },	/* 1 */
		{ "{\"kty\":\"RSA\",\"kid\":\"k\",\"n\":\"" RSA7517_N
		    "\",\"e\":\"AR\"}", "base64url" },	/* trailing bits */
		{ "{\"kty\":\"RSA\",\"kid\":\"k\",\"n\":\"" RSA7517_N
		    "\",\"e\":\"\"}", "base64url" },
		{ "{\"kty\":\"RSA\",\"kid\":\"k\",\"n\":\"0vx7agoebGcQSuuPiLJX"
		    "ZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxu"
		    "hDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc"
		    "5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGg\","
		    "\"e\":\"AQAB\"}", "2048" },		/* 1024 bits */
		{ "{\"kty\":\"RSA\",\"kid\":\"k\",\"n\":7,\"e\":\"AQAB\"}",
		    "\"n\"" },
		{ RSA(",\"alg\":\"ES256\""), "alg" },
		{ RSA(",\"alg\":\"HS256\""), "alg" },
		{ RSA(",\"alg\":\"RSA-OAEP\""), "alg" },
		{ RSA(",\"alg\":\"none\""), "alg" },
		{ RSA(",\"alg\":5"), "alg" },
		{ EC(",\"alg\":\"RS256\""), "alg" },
		{ EC(",\"alg\":\"ES384\""), "alg" },
		{ "{\"kty\":\"EC\",\"kid\":\"k\",\"x\":\"" EC7517_X "\",\"y\":\""
		    EC7517_Y "\"}", "crv" },
		{ "{\"kty\":\"EC\",\"kid\":\"k\",\"crv\":\"P-192\",\"x\":\""
		    EC7517_X "\",\"y\":\"" EC7517_Y "\"}", "crv" },
		{ "{\"kty\":\"EC\",\"kid\":\"k\",\"crv\":\"secp256k1\",\"x\":\""
		    EC7517_X "\",\"y\":\"" EC7517_Y "\"}", "crv" },
		{ "{\"kty\":\"EC\",\"kid\":\"k\",\"crv\":\"P-384\",\"x\":\""
		    EC7517_X "\",\"y\":\"" EC7517_Y "\"}", "length" },
		{ "{\"kty\":\"EC\",\"kid\":\"k\",\"crv\":\"P-256\",\"y\":\""
		    EC7517_Y "\"}", "\"x\"" },
		{ "{\"kty\":\"EC\",\"kid\":\"k\",\"crv\":\"P-256\",\"x\":\""
		    EC7517_X "\"}", "\"y\"" },
		{ "{\"kty\":\"EC\",\"kid\":\"k\",\"crv\":\"P-256\",\"x\":\""
		    EC7517_X "\",\"y\":\"4Etl6SRW2YiLUrN5vfvVHuhp7x8PxltmWWlbbM"
		    "4IFyA\"}", "curve" },		/* point not on curve */
		{ "{\"kty\":\"EC\",\"kid\":\"k\",\"crv\":\"P-256\",\"x\":\""
		    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\",\"y\":\""
		    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"}", "curve" },
		{ "{\"kty\":\"EC\",\"kid\":\"k\",\"crv\":\"P-256\",\"x\":\""
		    "MKBCTNIcKUSDii11ySs3526iDZ8AiTo7Tu6KPAqv7A\",\"y\":\""
		    EC7517_Y "\"}", "length" },		/* 31-octet x */
		{ "{\"kty\":\"EC\",\"kid\":\"k\",\"crv\":\"P-256\",\"x\":\""
		    "MKBCTNIcKUSDii11ySs3526iDZ8AiTo7Tu6KPAqv7D4=\",\"y\":\""
		    EC7517_Y "\"}", "base64url" },
		{ "{\"kty\":\"OKP\",\"kid\":\"k\",\"crv\":\"Ed25519\",\"x\":"
		    "\"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo\"}", "kty" },
		{ "{\"kid\":\"k\",\"n\":\"" RSA7517_N "\",\"e\":\"AQAB\"}",
		    "kty" },
		{ "{\"kty\":\"rsa\",\"kid\":\"k\"}", "kty" },
		{ "[1,2]", "object" },
		{ "\"RSA\"", "JSON" },
		{ "{\"kty\":\"RSA\",\"kty\":\"RSA\",\"kid\":\"k\",\"n\":\""
		    RSA7517_N "\",\"e\":\"AQAB\"}", "JSON" },	/* duplicate */
		{ "{\"kty\":\"RSA\",", "JSON" },
		{ "", "JSON" },
	};
	struct jwk	 k;
	const char	*why;
	size_t		 i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		why = NULL;
		if (jwk_convert(v[i].json, strlen(v[i].json), &k, &why) == 0) {
			CHECK(0, "row %zu (%s) accepted", i, v[i].why);
			jwk_clear(&k);
			continue;
		}
		CHECK(why != NULL && strstr(why, v[i].why) != NULL,
		    "row %zu: reason \"%s\", expected \"%s\"", i,
		    why ? why : "(null)", v[i].why);
		CHECK(k.der == NULL, "row %zu left memory", i);
	}
}

static void
test_sets(void)
{
	static const char good_and_bad[] = "{\"keys\":["
	    EC(",\"use\":\"enc\"") ","
	    "{\"kty\":\"oct\",\"kid\":\"h\",\"k\":\"AAAA\"},"
	    "{\"kty\":\"RSA\",\"kid\":\"a\",\"n\":\"" RSA7517_N
	    "\",\"e\":\"AQAB\"},"
	    "{\"kty\":\"EC\",\"kid\":\"b\",\"crv\":\"P-256\",\"x\":\"" EC7517_X
	    "\",\"y\":\"" EC7517_Y "\"},"
	    "{\"kty\":\"RSA\",\"kid\":\"bad\",\"n\":\"!!\",\"e\":\"AQAB\"}]}";
	static const char dup[] = "{\"keys\":["
	    "{\"kty\":\"RSA\",\"kid\":\"d\",\"n\":\"" RSA7517_N
	    "\",\"e\":\"AQAB\"},"
	    "{\"kty\":\"RSA\",\"kid\":\"x\",\"n\":\"" RSA7520_N
	    "\",\"e\":\"AQAB\"},"
	    "{\"kty\":\"RSA\",\"kid\":\"d\",\"n\":\"" RSA7520_N
	    "\",\"e\":\"AQAB\"}]}";
	static const char *const unusable[] = {
		"{\"keys\":[]}",
		"{\"keys\":{}}",
		"{\"key\":[]}",
		"[]",
		"<html>502 Bad Gateway</html>",
		"{\"keys\":[{\"kty\":\"oct\",\"kid\":\"h\",\"k\":\"AAAA\"}]}",
	};
	struct jwkset	 set;
	const char	*why;
	char		*big, *p;
	size_t		 i;

	CHECK(jwk_parse_set(good_and_bad, sizeof(good_and_bad) - 1, "t",
	    &set, &why) == 0, "good_and_bad refused");
	CHECK(set.n == 2, "good_and_bad: %zu keys", set.n);
	if (set.n == 2)
		CHECK(strcmp(set.keys[0].kid, "a") == 0 &&
		    strcmp(set.keys[1].kid, "b") == 0, "wrong keys kept");
	jwkset_free(&set);

	CHECK(jwk_parse_set(dup, sizeof(dup) - 1, "t", &set, &why) == 0,
	    "dup refused whole");
	CHECK(set.n == 1 && strcmp(set.keys[0].kid, "x") == 0,
	    "dup: %zu keys", set.n);
	jwkset_free(&set);

	for (i = 0; i < sizeof(unusable) / sizeof(unusable[0]); i++) {
		CHECK(jwk_parse_set(unusable[i], strlen(unusable[i]), "t", &set,
		    &why) == -1, "unusable %zu accepted", i);
		CHECK(set.keys == NULL && set.n == 0, "unusable %zu leaks", i);
	}

	/* more keys than JWKSD_MAX_KEYS: the first ones are kept */
	big = malloc(100 * 600 + 64);
	p = big + sprintf(big, "{\"keys\":[");
	for (i = 0; i < 100; i++)
		p += sprintf(p, "%s{\"kty\":\"RSA\",\"kid\":\"k%zu\",\"n\":\""
		    RSA7517_N "\",\"e\":\"AQAB\"}", i ? "," : "", i);
	sprintf(p, "]}");
	CHECK(jwk_parse_set(big, strlen(big), "t", &set, &why) == 0,
	    "big refused");
	CHECK(set.n == JWKSD_MAX_KEYS, "big: %zu keys", set.n);
	jwkset_free(&set);
	free(big);
}

static void
test_keycloak(void)
{
	struct jwkset	 set;
	const char	*why = NULL;
	char		*doc, *pem, *want, *uri = NULL;
	size_t		 len;

	doc = slurp("keycloak-jwks.json", &len);
	CHECK(doc != NULL, "keycloak-jwks.json missing");
	if (doc == NULL)
		return;
	CHECK(jwk_parse_set(doc, len, "keycloak", &set, &why) == 0,
	    "keycloak JWKS refused: %s", why);
	CHECK(set.n == 1, "keycloak: %zu keys (only the sig key)", set.n);
	if (set.n == 1) {
		CHECK(strcmp(set.keys[0].kid,
		    "8Rd_nmPH8QKwXWzMvf6ZTPEhxxWGrn-sQr0ffdPCF78") == 0,
		    "keycloak kid %s", set.keys[0].kid);
		CHECK(strcmp(set.keys[0].alg, "RS256") == 0, "alg");
		pem = to_pem(&set.keys[0]);
		want = slurp("keycloak-sig.pem", NULL);
		CHECK(pem && want && strcmp(pem, want) == 0,
		    "keycloak key differs from its certificate's");
		free(pem);
		free(want);
	}
	jwkset_free(&set);
	free(doc);

	doc = slurp("keycloak-openid-configuration.json", &len);
	CHECK(doc != NULL, "keycloak-openid-configuration.json missing");
	if (doc == NULL)
		return;
	CHECK(jwk_metadata(doc, len, "http://localhost:8080/realms/my-realm",
	    &uri, &why) == 0, "metadata refused: %s", why);
	CHECK(uri != NULL && strcmp(uri, "http://localhost:8080/realms/"
	    "my-realm/protocol/openid-connect/certs") == 0, "jwks_uri %s",
	    uri ? uri : "(null)");
	free(uri);
	uri = NULL;
	CHECK(jwk_metadata(doc, len, "http://localhost:8080/realms/other",
	    &uri, &why) == -1, "metadata of another issuer accepted");
	CHECK(jwk_metadata(doc, len, "http://localhost:8080/realms/my-realm/",
	    &uri, &why) == -1, "issuer with extra slash accepted");
	free(doc);
	CHECK(jwk_metadata("{\"issuer\":\"https://a\"}", 21, "https://a", &uri,
	    &why) == -1, "metadata without jwks_uri accepted");
	CHECK(jwk_metadata("{\"issuer\":\"https://a\",\"jwks_uri\":5}", 34,
	    "https://a", &uri, &why) == -1, "non-string jwks_uri accepted");
	CHECK(jwk_metadata("nope", 4, "https://a", &uri, &why) == -1,
	    "garbage metadata accepted");
}

int
main(void)
{
	log_init("jwksd_jwk", 1, 0);
	test_vectors();
	test_pinning();
	test_refused();
	test_sets();
	test_keycloak();
	return (unit_done("jwksd_jwk"));
}
