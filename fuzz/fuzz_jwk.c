/*
 * libFuzzer target: the JWKS/JWK converter of jwksd (jwksd/jwk.c),
 * which reads documents fetched from the authorization server.
 *
 * The input is a JSON document.  It goes through jwk_convert() (one
 * JWK), jwk_parse_set() (a JWKS), jwk_metadata() and jwk_as_metadata()
 * (discovery documents), each on a heap copy of exactly its length.
 *
 * Invariants: a converted key is what the key file needs (kid of 1 to
 * 128 printable characters, a pinned alg that matches kty, DER that
 * parses whole, fp the SHA-256 of the DER), and jwksd can publish it:
 * keyfile_build() takes every key jwk accepted and keyfile_open() (the
 * workers' reader) accepts the file: a key jwksd accepts but the
 * workers refuse would take every key of the file down with it.
 * Reduced metadata is a compact JSON object the key file takes too.
 *
 * Logging: common/log.c is replaced by the functions below, which
 * format each message (so format bugs still show) and discard it.
 */
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "log.h"
#include "../jwksd/jwksd.h"

#include "require.h"

#define ISSUER	"https://auth.example/realms/test"

int	LLVMFuzzerInitialize(int *, char ***);
int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static char	 path[256];

/* A silent common/log.c. */
static void
discard(const char *fmt, va_list ap)
{
	char	 buf[2048];

	vsnprintf(buf, sizeof(buf), fmt, ap);
}
void log_init(const char *i, int f, int v) { (void)i; (void)f; (void)v; }
void log_setverbose(int v) { (void)v; }
int log_getverbose(void) { return (0); }
void log_procname(const char *n) { (void)n; }
#define SILENT(name)							\
void name(const char *fmt, ...)						\
{									\
	va_list	ap;							\
	va_start(ap, fmt);						\
	discard(fmt, ap);						\
	va_end(ap);							\
}
SILENT(log_warn)
SILENT(log_warnx)
SILENT(log_info)
SILENT(log_debug)
void
fatal(const char *fmt, ...)
{
	(void)fmt;
	abort();
}
void
fatalx(const char *fmt, ...)
{
	(void)fmt;
	abort();
}

static void
check_key(const struct jwk *k)
{
	const unsigned char	*p = k->der;
	unsigned char		 fp[32];
	EVP_PKEY		*pkey;
	size_t			 i, n = strlen(k->kid);

	REQUIRE(n >= 1 && n <= KEYFILE_KID_MAX);
	for (i = 0; i < n; i++)
		REQUIRE(k->kid[i] > 0x20 && k->kid[i] < 0x7f);
	REQUIRE(strcmp(k->kty, "RSA") == 0 || strcmp(k->kty, "EC") == 0);
	if (strcmp(k->kty, "EC") == 0)
		REQUIRE(strcmp(k->alg, "ES256") == 0 ||
		    strcmp(k->alg, "ES384") == 0 ||
		    strcmp(k->alg, "ES512") == 0);
	else
		REQUIRE((k->alg[0] == 'R' || k->alg[0] == 'P') &&
		    k->alg[1] == 'S');
	REQUIRE(k->der != NULL && k->der_len > 0 &&
	    k->der_len <= KEYFILE_DER_MAX);
	pkey = d2i_PUBKEY(NULL, &p, (long)k->der_len);
	REQUIRE(pkey != NULL && p == k->der + k->der_len);
	REQUIRE(EVP_PKEY_is_a(pkey, k->kty));
	EVP_PKEY_free(pkey);
	REQUIRE(EVP_Digest(k->der, k->der_len, fp, NULL, EVP_sha256(), NULL));
	REQUIRE(memcmp(fp, k->fp, 32) == 0);
}

/* jwksd publishes keys (and metadata); the workers must take them. */
static void
publish_keys(const struct jwk *keys, size_t n, const char *meta)
{
	struct keyfile_wissuer	 iss = { "test", ISSUER, 1, 2, meta };
	struct keyfile_wkey	*wk;
	struct keyfile		*kf;
	unsigned char		*img;
	const char		*why = NULL;
	char			 err[KEYFILE_MSG_MAX + 300];
	size_t			 i, len;
	int			 fd;

	if ((wk = calloc(n + 1, sizeof(*wk))) == NULL)
		abort();
	for (i = 0; i < n; i++) {
		wk[i].issuer = 0;
		wk[i].kid = keys[i].kid;
		wk[i].alg = keys[i].alg;
		wk[i].der = keys[i].der;
		wk[i].der_len = keys[i].der_len;
	}
	if (keyfile_build(1, 1, &iss, 1, wk, n, &img, &len, &why) == -1) {
		fprintf(stderr, "keyfile_build refused what jwk accepted: "
		    "%s\n", why);
		abort();
	}
	free(wk);
	REQUIRE(keyfile_check(img, len, &why) == 0);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) == -1 ||
	    write(fd, img, len) != (ssize_t)len)
		abort();
	close(fd);
	free(img);
	if (keyfile_open(path, &kf, err, sizeof(err)) == -1) {
		fprintf(stderr, "keyfile_open refused what jwk accepted: %s\n",
		    err);
		abort();
	}
	REQUIRE(keyfile_nkeys(kf) == n);
	keyfile_close(kf);
}

static void
cleanup(void)
{
	unlink(path);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char	*tmp;

	(void)argc;
	(void)argv;
	tmp = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
	snprintf(path, sizeof(path), "%s/fuzz-jwk.%ld", tmp, (long)getpid());
	atexit(cleanup);
	return (0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct jwkset	 set;
	struct jwk	 k;
	const char	*why;
	char		*buf, *uri = NULL, *meta = NULL;
	json_t		*j;
	size_t		 i;

	if ((buf = malloc(size == 0 ? 1 : size)) == NULL)
		abort();
	memcpy(buf, data, size);

	why = NULL;
	if (jwk_convert(buf, size, &k, &why) == 0) {
		check_key(&k);
		publish_keys(&k, 1, NULL);
		jwk_clear(&k);
	} else {
		REQUIRE(why != NULL && k.der == NULL);
	}

	why = NULL;
	if (jwk_parse_set(buf, size, "fuzz", &set, &why) == 0) {
		REQUIRE(set.n >= 1 && set.n <= JWKSD_MAX_KEYS);
		for (i = 0; i < set.n; i++)
			check_key(&set.keys[i]);
		publish_keys(set.keys, set.n, NULL);
		jwkset_free(&set);
	} else
		REQUIRE(why != NULL && set.keys == NULL && set.n == 0);

	why = NULL;
	if (jwk_metadata(buf, size, ISSUER, &uri, &why) == 0) {
		REQUIRE(uri != NULL && strlen(uri) >= 1 &&
		    strlen(uri) <= KEYFILE_URL_MAX);
		free(uri);
	} else
		REQUIRE(why != NULL);

	for (i = 0; i < 2; i++) {
		why = NULL;
		meta = NULL;
		if (jwk_as_metadata(buf, size, ISSUER, (int)i, &meta, &why) ==
		    0) {
			REQUIRE(meta != NULL && strlen(meta) <=
			    KEYFILE_META_MAX);
			j = json_loads(meta, JSON_REJECT_DUPLICATES, NULL);
			REQUIRE(json_is_object(j));
			json_decref(j);
			publish_keys(NULL, 0, meta);
			free(meta);
		} else
			REQUIRE(why != NULL);
	}
	free(buf);
	return (0);
}
