/*
 * libFuzzer target: the token checker (mcpproxyd/token.c).
 *
 * The input is the token string (what follows "Bearer ").  A real key
 * file is built once at start with the key file writer API and mapped
 * with keyfile_open(), as a worker does: issuer ISS with an RSA key
 * pinned to RS256 (kid rsa-1) and to PS256 (ps-1) and an EC P-256 key
 * (ec-1, ES256); an expired issuer ISS2 (kid old-1).  The keys are
 * fixed test keys (below; generated once with openssl genpkey, never
 * used anywhere else) and the clock is fixed (NOW), so the committed
 * seeds hold tokens with valid signatures that keep reaching the claim
 * checks on every replay.
 *
 * A fuzzer cannot forge signatures, so a custom mutator decodes the
 * header or the payload, mutates the JSON, re-encodes it and signs the
 * result again with the key its kid names: the claim checks after the
 * signature (times, aud, scope, fill_info) see arbitrary JSON too.
 * Half of the mutations are plain byte mutations of the token.
 *
 * Checked on every input: the contract of token.h (info strings
 * NUL-terminated, valid UTF-8, no control characters; hash 16 hex;
 * verified exactly for OK and INSUFFICIENT_SCOPE; a short lowercase
 * reason that holds no token material).
 *
 * FUZZ_WRITE_SEEDS=DIR writes the seed tokens into DIR and exits.
 */
#include <sys/stat.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "keyfile.h"
#include "../mcpproxyd/token.h"

#include "b64url.h"
#include "require.h"

#define NOW	((time_t)1750000000)
#define ISS	"https://auth.example/realms/test"
#define ISS2	"https://gone.example"
#define AUD	"https://mcp.example/mcp"

/* Test keys for this fuzzer only. */
static const char rsa_pem[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQDVdQb+S+eoLUxR\n"
    "AzrPvtlnP8WNRVcRsHGs//hvcuCgsD+zdxcetrN4t/9+XuxypIF55v8hM24L2g3g\n"
    "WDjnnXR3keQ0bwWwTC3p4mXhXEwr8K2PxUL9SHln6NUnKEzi/j4kag2Tlf8r5oWD\n"
    "HeFBMK7HqXL+mXGtPjK4VvooNBffiNkIjDOM1TR1ra1RgJcrJGxYYRpRoUDCjQrX\n"
    "ea3wG5j1CFCO9anJWDLP8fVsH6VgdLR/IeuIuuvlLJ+YsYXU7kXvbDUuMwZaBtA7\n"
    "rQ5KIMAYkuTivCVcJUfs6XyHihQGazkpU1VfB2eAMtoMlkLR96prmSyP2sNZ9iuQ\n"
    "69rFo+uHAgMBAAECggEAPhI5VeJZu3hsrFQtmnKrgpAzULjcsFqoO7/1jOcRdfi6\n"
    "lWPol7hWKSEMTUGqLU40DnBDOXLcqdqfVWEiLwwE7a5Bd5PfShxk75GzwZxW1CI5\n"
    "PkkFCWU1VKeKsEfST+HRzUH/r66bFLeElJOwSIYxFQNr2qhhO5kOI7e7J8y6Mnhv\n"
    "ekJEIrpl0ZH8+XnRlLIppuszG6oJo5gZka8evcbu2LYcMSVpJwKd44xhjovRVWF3\n"
    "AUWMP51wP5OOOceB9BZ1JMkdauOkONzTnbOQu2j33bl03qy149nYUPZt6e6lZVOk\n"
    "DtAbUISwyhqp6ARHNZFyqTjvRvV03poiEV5Ey3IACQKBgQDsLCFRBSO8LAZwYAbs\n"
    "Yct8SNvo2Ut/91GkSghd6WVKOHy/br1bl7o1zBYWEe6/iAxCrJQl8/2JktsOjCul\n"
    "9nx2yATFkEWMAdPdiOxCmngYhpZYTQUQKniUG+xtm7gJQqLTPpCyvLs/H2s1aNmx\n"
    "U2dVxB58cinQa9yvm7r0NUgWbwKBgQDnYLIunx0AK4Mb/F2SOVlIRjVJV6aD35EB\n"
    "0jQqnCHS6mSIJHahdaNuGU0T80hAtd4emE61zT5KDflXUptNw2X6cgA76AlxqPbn\n"
    "FcP67HsbLdbEelgjIv7xo0QRI7Uyaaj8jIg2nE5pDCOSak7S+4QHl+VJKPHoG+ZB\n"
    "S7OyJTTIaQKBgGvTJg7Yet0xeGsb3G1VpNKEbSpc8tRktPh9+F3v7he5vHKl+3vy\n"
    "xMhE+hxvaYI2eeqC4kyFnc6OpsZ4hoEKDP8qCMuuN6JZP0JYfg1Wetgvsjp0R4h+\n"
    "63grW4EbZCWOL8qkOOnxssd577d9vE3yVy5YENceRCrs49+lCPDv1o6vAoGATQOc\n"
    "i3QevQ2+qDQKGT/JfgsQdYcdP8vMgmSrRHuPrpqiN8abTgbQDTeStk9F/3QJqPld\n"
    "SZo1X4TjN7OhSfL+IKyNc2M6sYBiHmzaPM019Mf/Moreh2OApIGJiILwLwWIX/eO\n"
    "506Dsud9d6C29/cL7VMb2IwuaOnQbG98MpG7zfECgYEAgThNAa1ih98mkM7DBueW\n"
    "wU25KdCoimSsnbarPKXFyYexxENqrMZ2APb0pc20LniJa85t1UP7FHEYLU6AkqRD\n"
    "fxYq66Mc2tRqYWu9aeFWcK2dMVKQi7X7F5yN7Y9Isn1qq1Pt5SostJvhgPxY0mk/\n"
    "EPzIrPH+sxadh4ft6vLWJzw=\n"
    "-----END PRIVATE KEY-----\n";

static const char ec_pem[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgpoz9aANxpusdmKOs\n"
    "YK03q2wMrus/1wxkEtyWLaga61+hRANCAARw7LphFUr5TnpgH71QILVyoRo7Y8ER\n"
    "nUzcbkSMlN/oo/71s0pWVvkUJvuTZtDVLjty+lZGzwGn/4AvXiI4Tr2Q\n"
    "-----END PRIVATE KEY-----\n";

static EVP_PKEY		*rsa, *ec;
static int		 verbose;	/* FUZZ_VERBOSE: print each status */
static struct keyfile	*kf;

static const char *const auds[] = { AUD, "echo-mcp-server" };
static const char *const scopes[] = { "mcp:tools" };
static const struct token_policy pol = {
	.issuer = ISS,
	.audiences = auds,
	.naudiences = 2,
	.required_scopes = scopes,
	.nrequired = 1,
	.leeway = 30,
	.max_token = 8192,
};

size_t	LLVMFuzzerMutate(uint8_t *, size_t, size_t);
int	LLVMFuzzerInitialize(int *, char ***);
int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);
size_t	LLVMFuzzerCustomMutator(uint8_t *, size_t, size_t, unsigned int);

/* Lenient base64url decode (stops at the first other byte). */
static size_t
unb64url(const char *s, size_t n, unsigned char *out)
{
	uint32_t	 acc = 0;
	size_t		 i, o = 0;
	int		 bits = 0;
	const char	*p;

	for (i = 0; i < n; i++) {
		if (s[i] == '\0' || (p = strchr(b64a, s[i])) == NULL)
			break;
		acc = acc << 6 | (uint32_t)(p - b64a);
		if ((bits += 6) >= 8) {
			bits -= 8;
			out[o++] = (unsigned char)(acc >> bits);
		}
	}
	return (o);
}

/*
 * Sign in[0..n) as alg (RS256, PS256, ES256; anything else RS256)
 * into sig (at least 512 bytes).  Returns the JWS signature length.
 */
static size_t
sign(const char *alg, const char *in, size_t n, unsigned char *sig)
{
	unsigned char	 der[600];
	const unsigned char *dp = der;
	EVP_MD_CTX	*ctx;
	EVP_PKEY_CTX	*pctx;
	ECDSA_SIG	*es;
	const BIGNUM	*r, *s;
	size_t		 len = sizeof(der);
	int		 isec = strncmp(alg, "ES", 2) == 0;
	int		 ok;

	if ((ctx = EVP_MD_CTX_new()) == NULL)
		abort();
	ok = EVP_DigestSignInit(ctx, &pctx, EVP_sha256(), NULL,
	    isec ? ec : rsa) == 1;
	if (ok && strncmp(alg, "PS", 2) == 0)
		ok = EVP_PKEY_CTX_set_rsa_padding(pctx,
		    RSA_PKCS1_PSS_PADDING) == 1 &&
		    EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx,
		    RSA_PSS_SALTLEN_DIGEST) == 1;
	ok = ok && EVP_DigestSign(ctx, der, &len, (const unsigned char *)in,
	    n) == 1;
	EVP_MD_CTX_free(ctx);
	if (!ok)
		abort();
	if (!isec) {
		memcpy(sig, der, len);
		return (len);
	}
	if ((es = d2i_ECDSA_SIG(NULL, &dp, (long)len)) == NULL)
		abort();
	ECDSA_SIG_get0(es, &r, &s);
	BN_bn2binpad(r, sig, 32);
	BN_bn2binpad(s, sig + 32, 32);
	ECDSA_SIG_free(es);
	return (64);
}

/* The alg a decoded header names for signing: ES256, PS256 or RS256. */
static const char *
header_alg(const unsigned char *h, size_t n)
{
	if (memmem(h, n, "ES", 2) != NULL || memmem(h, n, "ec-1", 4) != NULL)
		return ("ES256");
	if (memmem(h, n, "PS", 2) != NULL || memmem(h, n, "ps-1", 4) != NULL)
		return ("PS256");
	return ("RS256");
}

/*
 * header and payload JSON to a signed token in out (outmax bytes).
 * Returns its length, or 0 when it does not fit.
 */
static size_t
make_token(const unsigned char *h, size_t hn, const unsigned char *p,
    size_t pn, char *out, size_t outmax)
{
	unsigned char	 sig[600];
	char		*t;
	size_t		 need, n, sn;

	need = (hn + pn + sizeof(sig)) * 4 / 3 + 16;
	if ((t = malloc(need)) == NULL)
		abort();
	n = b64url(h, hn, t);
	t[n++] = '.';
	n += b64url(p, pn, t + n);
	sn = sign(header_alg(h, hn), t, n, sig);
	t[n++] = '.';
	n += b64url(sig, sn, t + n);
	if (n > outmax) {
		free(t);
		return (0);
	}
	memcpy(out, t, n);
	free(t);
	return (n);
}

size_t
LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max,
    unsigned int seed)
{
	unsigned char	*part[2];
	size_t		 plen[2], cap, d1, d2, which, n;
	const char	*s = (const char *)data;
	const char	*dot1, *dot2;

	srand(seed);
	if (rand() % 2 == 0 || (dot1 = memchr(s, '.', size)) == NULL ||
	    (dot2 = memchr(dot1 + 1, '.', size - (size_t)(dot1 + 1 - s))) ==
	    NULL)
		return (LLVMFuzzerMutate(data, size, max));
	d1 = (size_t)(dot1 - s);
	d2 = (size_t)(dot2 - s);
	cap = size + 256;
	if ((part[0] = malloc(cap)) == NULL || (part[1] = malloc(cap)) ==
	    NULL)
		abort();
	plen[0] = unb64url(s, d1, part[0]);
	plen[1] = unb64url(dot1 + 1, d2 - d1 - 1, part[1]);
	which = rand() % 4 == 0 ? 0 : 1;	/* mostly the payload */
	plen[which] = LLVMFuzzerMutate(part[which], plen[which], cap);
	n = make_token(part[0], plen[0], part[1], plen[1], (char *)data, max);
	free(part[0]);
	free(part[1]);
	return (n != 0 ? n : LLVMFuzzerMutate(data, size, max));
}

static EVP_PKEY *
load(const char *pem)
{
	BIO		*bio;
	EVP_PKEY	*k;

	if ((bio = BIO_new_mem_buf(pem, -1)) == NULL ||
	    (k = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL)) == NULL)
		abort();
	BIO_free(bio);
	return (k);
}

static void
setup(void)
{
	const struct keyfile_wissuer iss[] = {
		{ "test", ISS, NOW - 10, NOW + 3600, NULL },
		{ "gone", ISS2, NOW - 7200, NOW - 1, NULL },
	};
	struct keyfile_wkey	 wk[] = {
		{ 0, "rsa-1", "RS256", NULL, 0 },
		{ 0, "ps-1", "PS256", NULL, 0 },
		{ 0, "ec-1", "ES256", NULL, 0 },
		{ 1, "old-1", "RS256", NULL, 0 },
	};
	unsigned char		*img, *rder = NULL, *eder = NULL;
	const char		*why;
	char			 dir[] = "/tmp/fuzz-token.XXXXXX", path[64];
	char			 err[512];
	size_t			 len, i;
	int			 n;

	rsa = load(rsa_pem);
	ec = load(ec_pem);
	if ((n = i2d_PUBKEY(rsa, &rder)) <= 0)
		abort();
	for (i = 0; i < 4; i++)
		if (i != 2) {
			wk[i].der = rder;
			wk[i].der_len = (size_t)n;
		}
	if ((n = i2d_PUBKEY(ec, &eder)) <= 0)
		abort();
	wk[2].der = eder;
	wk[2].der_len = (size_t)n;
	if (keyfile_build(1, NOW, iss, 2, wk, 4, &img, &len, &why) == -1) {
		fprintf(stderr, "keyfile_build: %s\n", why);
		abort();
	}
	if (mkdtemp(dir) == NULL)
		abort();
	snprintf(path, sizeof(path), "%s/keys", dir);
	if (keyfile_write(path, (gid_t)-1, img, len) == -1 ||
	    keyfile_open(path, &kf, err, sizeof(err)) == -1) {
		fprintf(stderr, "key file: %s\n", err);
		abort();
	}
	/* the mapping stays valid after the file is gone */
	unlink(path);
	rmdir(dir);
	free(img);
	OPENSSL_free(rder);
	OPENSSL_free(eder);
}

/* Seeds: good tokens of every key and a spread of bad ones. */
#define HDR(alg, kid)	"{\"alg\":\"" alg "\",\"typ\":\"at+jwt\",\"kid\":\"" \
			kid "\"}"
#define C_ISS		"\"iss\":\"" ISS "\""
#define C_AUD		"\"aud\":\"" AUD "\""
#define C_WHO		"\"sub\":\"eitan\",\"client_id\":\"inspector\""
#define C_SCOPE		"\"scope\":\"openid mcp:tools\""
#define C_IAT		"\"iat\":1749999990"
#define C_EXP		"\"exp\":1750000300"
#define PAYX(x)		"{" C_ISS "," C_AUD "," C_WHO "," C_SCOPE "," C_IAT \
			"," C_EXP x "}"
#define PAY		PAYX("")

static const struct {
	const char	*name, *hdr, *pay;
} seeds[] = {
	{ "good-rs256", HDR("RS256", "rsa-1"), PAY },
	{ "good-ps256", HDR("PS256", "ps-1"), PAY },
	{ "good-es256", HDR("ES256", "ec-1"), PAY },
	{ "good-aud-array", HDR("RS256", "rsa-1"), "{" C_ISS ",\"aud\":[\"x\","
	    "\"echo-mcp-server\"]," C_WHO "," C_SCOPE "," C_EXP "}" },
	{ "good-scp-array", HDR("ES256", "ec-1"), "{" C_ISS "," C_AUD ","
	    "\"scp\":[\"openid\",\"mcp:tools\"],\"azp\":\"kc\"," C_EXP "}" },
	{ "good-nested", HDR("ES256", "ec-1"), PAYX(",\"realm_access\":"
	    "{\"roles\":[\"a\"]},\"resource_access\":{\"c\":{\"roles\":[\"b\","
	    "{\"d\":[1]}]}},\"nbf\":1749999000") },
	{ "good-real-exp", "{\"typ\":\"Application/AT+JWT\",\"kid\":\"rsa-1\","
	    "\"alg\":\"RS256\",\"jku\":\"https://evil\"}",
	    "{" C_ISS "," C_AUD ",\"scope\":\"  mcp:tools  \",\"exp\":1750000300.5,"
	    "\"sub\":\"ev\\u0001il\\u001b[31m\\u0085\\u007fx\\n\\u00e9\"}" },
	{ "insufficient-scope", HDR("RS256", "rsa-1"), "{" C_ISS "," C_AUD ","
	    "\"scope\":\"mcp:tool\"," C_EXP "}" },
	{ "expired", HDR("ES256", "ec-1"), "{" C_ISS "," C_AUD "," C_SCOPE
	    ",\"exp\":1749999000}" },
	{ "not-yet-valid", HDR("ES256", "ec-1"), PAYX(",\"nbf\":1750000100") },
	{ "iat-future", HDR("ES256", "ec-1"), "{" C_ISS "," C_AUD "," C_SCOPE
	    ",\"iat\":1750000100," C_EXP "}" },
	{ "no-exp", HDR("ES256", "ec-1"), "{" C_ISS "," C_AUD "," C_SCOPE "}" },
	{ "exp-huge", HDR("ES256", "ec-1"), "{" C_ISS "," C_AUD "," C_SCOPE
	    ",\"exp\":1e300}" },
	{ "exp-string", HDR("ES256", "ec-1"), "{" C_ISS "," C_AUD "," C_SCOPE
	    ",\"exp\":\"1750000300\"}" },
	{ "wrong-aud", HDR("ES256", "ec-1"), "{" C_ISS ",\"aud\":[\"a\",1],"
	    C_SCOPE "," C_EXP "}" },
	{ "wrong-iss", HDR("ES256", "ec-1"), "{\"iss\":\"https://evil\","
	    C_AUD "," C_SCOPE "," C_EXP "}" },
	{ "gone-issuer", HDR("RS256", "old-1"), "{\"iss\":\"" ISS2 "\","
	    C_AUD "," C_SCOPE "," C_EXP "}" },
	{ "unknown-kid", HDR("RS256", "rsa-9"), PAY },
	{ "alg-mismatch", HDR("RS256", "ps-1"), PAY },
	{ "alg-none", "{\"alg\":\"none\",\"kid\":\"rsa-1\"}", PAY },
	{ "alg-hs256", HDR("HS256", "rsa-1"), PAY },
	{ "crit", "{\"alg\":\"RS256\",\"kid\":\"rsa-1\",\"crit\":[\"exp\"]}",
	    PAY },
	{ "typ-jose", "{\"alg\":\"RS256\",\"typ\":\"JOSE\",\"kid\":\"rsa-1\"}",
	    PAY },
	{ "dup-alg", "{\"alg\":\"none\",\"alg\":\"RS256\",\"kid\":\"rsa-1\"}",
	    PAY },
	{ "dup-iss", HDR("ES256", "ec-1"), "{\"iss\":\"x\"," C_ISS "," C_AUD
	    "," C_EXP "}" },
	{ "deep", HDR("ES256", "ec-1"), PAYX(",\"x\":[[[[[[[[[[[[[[[[[[[[1]]]]"
	    "]]]]]]]]]]]]]]]]") },
	{ "bad-utf8", HDR("ES256", "ec-1"), PAYX(",\"n\":\"\xc0\xaf\"") },
	{ "nul-escape", HDR("ES256", "ec-1"), PAYX(",\"n\":\"a\\u0000b\"") },
	{ "payload-string", HDR("ES256", "ec-1"), "\"" ISS "\"" },
	{ "long-sub", HDR("ES256", "ec-1"), PAYX(",\"client_id\":\"0123456789"
	    "0123456789012345678901234567890123456789012345678901234567890123"
	    "4567890123456789012345678901234567890123456789012345678901234567"
	    "89\"") },
};

static const char *const raw_seeds[] = {
	"garbage", "", "..", "eyJhbGciOiJSUzI1NiJ9.eyJ9",
	"eyJhbGciOiJSUzI1NiJ9.e.AAAA", "eyJhbGciOiJSUzI1NiJ9..AAAA",
	"Bearer eyJhbGciOiJSUzI1NiJ9.eyJ9.AAAA",
	"eyJhbGciOiJSUzI1NiJ9.eyJ9.AAAA==",
};

static void
write_seed(const char *dir, const char *name, const char *tok, size_t n)
{
	char	 path[1024];
	FILE	*fp;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((fp = fopen(path, "w")) == NULL || fwrite(tok, 1, n, fp) != n ||
	    fclose(fp) != 0) {
		perror(path);
		exit(1);
	}
}

static void
write_seeds(const char *dir)
{
	char	 tok[8192], name[64];
	size_t	 i, n;

	mkdir(dir, 0755);
	for (i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++) {
		n = make_token((const unsigned char *)seeds[i].hdr,
		    strlen(seeds[i].hdr), (const unsigned char *)seeds[i].pay,
		    strlen(seeds[i].pay), tok, sizeof(tok));
		write_seed(dir, seeds[i].name, tok, n);
	}
	/* a good token under the wrong key: a bad signature */
	n = make_token((const unsigned char *)HDR("ES256", "rsa-1"),
	    strlen(HDR("ES256", "rsa-1")), (const unsigned char *)PAY, strlen(PAY), tok, sizeof(tok));
	write_seed(dir, "wrong-key", tok, n);
	for (i = 0; i < sizeof(raw_seeds) / sizeof(raw_seeds[0]); i++) {
		snprintf(name, sizeof(name), "raw-%zu", i);
		write_seed(dir, name, raw_seeds[i], strlen(raw_seeds[i]));
	}
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char	*dir;

	(void)argc;
	(void)argv;
	setup();
	verbose = getenv("FUZZ_VERBOSE") != NULL;
	if ((dir = getenv("FUZZ_WRITE_SEEDS")) != NULL) {
		write_seeds(dir);
		exit(0);
	}
	return (0);
}

/* NUL-terminated within n, valid UTF-8, no C0, DEL or C1 character. */
static void
clean(const char *s, size_t n)
{
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 i, len, k;

	REQUIRE((len = strnlen(s, n)) < n);
	for (i = 0; i < len; i += k) {
		REQUIRE(p[i] >= 0x20 && p[i] != 0x7f);
		if (p[i] < 0x80)
			k = 1;
		else if (p[i] >= 0xc2 && p[i] <= 0xdf)
			k = 2;
		else if (p[i] >= 0xe0 && p[i] <= 0xef)
			k = 3;
		else {
			REQUIRE(p[i] >= 0xf0 && p[i] <= 0xf4);
			k = 4;
		}
		REQUIRE(i + k <= len);
		REQUIRE(!(p[i] == 0xc2 && p[i + 1] >= 0x80 &&
		    p[i + 1] <= 0x9f));
		while (--k > 0)
			REQUIRE((p[i + k] & 0xc0) == 0x80);
		k = p[i] < 0x80 ? 1 : p[i] <= 0xdf ? 2 : p[i] <= 0xef ? 3 : 4;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct token_info	 info;
	enum token_status	 st;
	const char		*why = NULL;
	char			*tok;
	size_t			 i;

	/* exactly size bytes on the heap, no NUL after them */
	if ((tok = malloc(size == 0 ? 1 : size)) == NULL)
		abort();
	memcpy(tok, data, size);
	st = token_check(tok, size, kf, &pol, NOW, &info, &why);
	REQUIRE(st >= TOKEN_OK && st <= TOKEN_INSUFFICIENT_SCOPE);
	REQUIRE(info.verified == (st == TOKEN_OK ||
	    st == TOKEN_INSUFFICIENT_SCOPE));
	REQUIRE(strlen(info.hash) == 16 &&
	    strspn(info.hash, "0123456789abcdef") == 16);
	if (st != TOKEN_OK) {
		REQUIRE(why != NULL && why[0] != '\0' && strlen(why) <= 60);
		for (i = 0; why[i] != '\0'; i++)
			REQUIRE((why[i] >= 'a' && why[i] <= 'z') ||
			    (why[i] >= '0' && why[i] <= '9') ||
			    strchr(" ,-+", why[i]) != NULL);
	}
	REQUIRE(token_status_text(st) != NULL);
	if (verbose)
		fprintf(stderr, "token: %s (%s)\n", token_status_text(st),
		    why ? why : "-");
	clean(info.kid, sizeof(info.kid));
	clean(info.alg, sizeof(info.alg));
	clean(info.sub, sizeof(info.sub));
	clean(info.client_id, sizeof(info.client_id));
	clean(info.scope, sizeof(info.scope));
	if (info.verified) {
		/* only a key of the live issuer verifies */
		REQUIRE(strcmp(info.kid, "rsa-1") == 0 ||
		    strcmp(info.kid, "ps-1") == 0 ||
		    strcmp(info.kid, "ec-1") == 0);
		REQUIRE(info.exp != 0 && NOW - 30 < info.exp);
	}
	free(tok);
	return (0);
}
