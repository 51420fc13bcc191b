/*
 * libFuzzer target: the key file reader (common/keyfile.c), which
 * every worker runs on the file jwksd writes.
 *
 * The input is a key file image.  keyfile_check() runs on a heap copy
 * of exactly its length, and keyfile_open() on a file holding it.  A
 * checksum stops almost every mutation at the first check, so the
 * image is also "fixed up" as a forger would fix it: total length and
 * section offsets made consistent with the counts, every key's SHA-256
 * fingerprint recomputed over its DER, the image checksum recomputed;
 * then checked and opened again.  That reaches the issuer, key and
 * DER checks and the EVP_PKEY building with hostile contents.
 *
 * The input is also given as it is to keyfile_spki(), the DER reader
 * that builds the keys, for each algorithm family (RS256, ES256, ES384,
 * ES512); seeds spki-* are bare SubjectPublicKeyInfo DER.
 *
 * Invariants: a file keyfile_open() accepts passes keyfile_check();
 * every key and issuer of an open mapping is usable (strings in the
 * mapping, alg consistent with kty, an EVP_PKEY, keyfile_find() gives
 * back the same key while its issuer has not expired); a DER that
 * keyfile_spki() accepts is one OpenSSL's own decoder (d2i_PUBKEY)
 * accepts too, whole, as the same key of the asked type.
 *
 * FUZZ_WRITE_SEEDS=DIR writes seed images into DIR and exits (the
 * keys come from tests/fixtures; run from the top of the tree).
 */
#include <sys/stat.h>

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "keyfile.h"

#include "require.h"

/* The version 2 layout, restated from keyfile.h (as the unit test). */
#define HDR		128
#define ISSLEN		48
#define KEYLEN		64
#define SUM		96
#define K_DEROFF	12
#define K_DERLEN	16
#define K_FP		24

int	LLVMFuzzerInitialize(int *, char ***);
int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static char	 path[256];

static uint32_t
get32(const unsigned char *p)
{
	return ((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24);
}

static void
put32(unsigned char *p, uint32_t v)
{
	p[0] = v; p[1] = v >> 8; p[2] = v >> 16; p[3] = v >> 24;
}

static void
put64(unsigned char *p, uint64_t v)
{
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
}

static void
reseal(unsigned char *b, size_t len)
{
	EVP_MD_CTX	*ctx = EVP_MD_CTX_new();

	EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
	EVP_DigestUpdate(ctx, b, SUM);
	EVP_DigestUpdate(ctx, b + HDR, len - HDR);
	EVP_DigestFinal_ex(ctx, b + SUM, NULL);
	EVP_MD_CTX_free(ctx);
}

/* Make lengths, offsets, fingerprints and the checksum consistent. */
static void
fixup(unsigned char *b, size_t len)
{
	uint64_t	 niss = get32(b + 40), nkeys = get32(b + 44);
	uint64_t	 dataoff, doff, dlen, i;
	unsigned char	*rec;

	put64(b + 16, len);
	dataoff = HDR + niss * ISSLEN + nkeys * KEYLEN;
	if (niss <= KEYFILE_MAX_ISSUERS && nkeys <= KEYFILE_MAX_KEYS &&
	    dataoff <= len) {
		put32(b + 48, HDR);
		put32(b + 52, (uint32_t)(HDR + niss * ISSLEN));
		put32(b + 56, (uint32_t)dataoff);
		put32(b + 60, (uint32_t)(len - dataoff));
		for (i = 0; i < nkeys; i++) {
			rec = b + HDR + niss * ISSLEN + i * KEYLEN;
			doff = get32(rec + K_DEROFF);
			dlen = get32(rec + K_DERLEN);
			if (doff + dlen <= len - dataoff)
				EVP_Digest(b + dataoff + doff, dlen,
				    rec + K_FP, NULL, EVP_sha256(), NULL);
		}
	}
	reseal(b, len);
}

static int
write_file(const unsigned char *b, size_t len)
{
	int	 fd;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) == -1)
		abort();
	if (len > 0 && write(fd, b, len) != (ssize_t)len)
		abort();
	close(fd);
	return (0);
}

static void
cleanup(void)
{
	unlink(path);
}

static void
exercise(const struct keyfile *kf)
{
	const struct keyfile_issuer	*is;
	const struct keyfile_key	*k, *f;
	size_t				 i, n;
	char				 hex[65];

	n = keyfile_nissuers(kf);
	REQUIRE(n <= KEYFILE_MAX_ISSUERS);
	for (i = 0; i < n; i++) {
		is = keyfile_issuer_at(kf, i);
		REQUIRE(is != NULL && is->name != NULL && is->issuer != NULL);
		REQUIRE(strlen(is->name) > 0 &&
		    strlen(is->name) <= KEYFILE_NAME_MAX);
		REQUIRE(strlen(is->issuer) > 0 &&
		    strlen(is->issuer) <= KEYFILE_URL_MAX);
		REQUIRE(is->fetched >= 0 && is->expires >= is->fetched);
		if (is->metadata != NULL)
			REQUIRE(is->metadata[0] == '{' &&
			    strlen(is->metadata) == is->metadata_len);
		REQUIRE(keyfile_issuer(kf, is->issuer) == is);
	}
	n = keyfile_nkeys(kf);
	REQUIRE(n <= KEYFILE_MAX_KEYS);
	for (i = 0; i < n; i++) {
		k = keyfile_key(kf, i);
		REQUIRE(k != NULL && k->issuer != NULL && k->kid != NULL);
		REQUIRE(k->der != NULL && k->der_len > 0 &&
		    k->der_len <= KEYFILE_DER_MAX);
		REQUIRE(k->pkey != NULL);
		REQUIRE(strlen(k->kid) > 0 && strlen(k->kid) <=
		    KEYFILE_KID_MAX);
		REQUIRE(strcmp(k->kty, "RSA") == 0 || strcmp(k->kty, "EC") == 0);
		REQUIRE(k->alg != NULL && (k->alg[0] == 'E') ==
		    (strcmp(k->kty, "EC") == 0));
		REQUIRE(EVP_PKEY_is_a(k->pkey, k->kty));
		keyfile_fp_hex(k->fp, hex, sizeof(hex));
		REQUIRE(strlen(hex) == 64);
		f = keyfile_find(kf, k->issuer->issuer, k->kid,
		    (time_t)k->issuer->fetched);
		if (k->issuer->fetched < k->issuer->expires)
			REQUIRE(f == k);
		REQUIRE(keyfile_find(kf, k->issuer->issuer, k->kid,
		    (time_t)k->issuer->expires) == NULL);
	}
	(void)keyfile_serial(kf);
	(void)keyfile_created(kf);
}

static void
one(const unsigned char *b, size_t len)
{
	struct keyfile	*kf = NULL;
	const char	*why = NULL;
	char		 err[KEYFILE_MSG_MAX + 300];
	int		 checked, opened;

	checked = keyfile_check(b, len, &why);
	REQUIRE(checked == 0 || why != NULL);
	write_file(b, len);
	opened = keyfile_open(path, &kf, err, sizeof(err));
	if (opened == 0) {
		REQUIRE(checked == 0);
		exercise(kf);
		keyfile_close(kf);
	}
}

/* The DER reader alone: stricter than OpenSSL's, never different. */
static void
spki(const unsigned char *b, size_t len)
{
	static const char	*alg[] = { "RS256", "ES256", "ES384", "ES512" };
	const unsigned char	*p;
	const char		*why;
	EVP_PKEY		*mine, *theirs;
	size_t			 i;

	for (i = 0; i < sizeof(alg) / sizeof(alg[0]); i++) {
		why = NULL;
		if ((mine = keyfile_spki(b, len, alg[i], &why)) == NULL) {
			REQUIRE(why != NULL);
			continue;
		}
		REQUIRE(len <= KEYFILE_DER_MAX);
		REQUIRE(EVP_PKEY_is_a(mine, i == 0 ? "RSA" : "EC"));
		p = b;
		theirs = d2i_PUBKEY(NULL, &p, (long)len);
		REQUIRE(theirs != NULL && p == b + len);
		REQUIRE(EVP_PKEY_eq(mine, theirs) == 1);
		EVP_PKEY_free(theirs);
		EVP_PKEY_free(mine);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned char	*b;

	if (size > KEYFILE_MAX_SIZE)
		return (0);
	if ((b = malloc(size == 0 ? 1 : size)) == NULL)
		abort();
	memcpy(b, data, size);
	if (size <= KEYFILE_DER_MAX + 1)
		spki(b, size);
	one(b, size);
	if (size >= HDR) {
		fixup(b, size);
		if (memcmp(b, data, size) != 0)
			one(b, size);
	}
	free(b);
	return (0);
}

/* Seeds: real images of several shapes, and forged variations. */
static unsigned char *
der_of(const char *pem, size_t *len)
{
	char		 p[1024];
	unsigned char	*der = NULL;
	EVP_PKEY	*pkey;
	FILE		*fp;
	int		 n;

	snprintf(p, sizeof(p), "tests/fixtures/%s", pem);
	if ((fp = fopen(p, "r")) == NULL ||
	    (pkey = PEM_read_PUBKEY(fp, NULL, NULL, NULL)) == NULL ||
	    (n = i2d_PUBKEY(pkey, &der)) <= 0) {
		fprintf(stderr, "%s: cannot read (run from the top)\n", p);
		exit(1);
	}
	fclose(fp);
	EVP_PKEY_free(pkey);
	*len = (size_t)n;
	return (der);
}

static void
write_seed(const char *dir, const char *name, const unsigned char *b,
    size_t len)
{
	char	 p[1024];
	FILE	*fp;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	if ((fp = fopen(p, "w")) == NULL || fwrite(b, 1, len, fp) != len ||
	    fclose(fp) != 0) {
		perror(p);
		exit(1);
	}
}

static void
write_seeds(const char *dir)
{
	const struct keyfile_wissuer iss[] = {
		{ "realm", "http://127.0.0.1:1/realms/my-realm", 1749999990,
		    1750000100, "{\"issuer\":\"http://127.0.0.1:1/realms/"
		    "my-realm\"}" },
		{ "old", "https://old.example", 1749999000, 1749999999, NULL },
	};
	struct keyfile_wkey keys[] = {
		{ 0, "rsa-1", "RS256", NULL, 0 },
		{ 0, "ec-1", "ES256", NULL, 0 },
		{ 0, "ec-2", "ES512", NULL, 0 },
		{ 1, "rsa-1", "PS256", NULL, 0 },
	};
	static const struct {
		size_t		 off;	/* in the header, or of key 0 */
		int		 key;
		uint32_t	 val;
		const char	*name;
	} forged[] = {
		{ 8, 0, 1, "version-1-with-metadata" },
		{ 8, 0, 3, "version-3" },
		{ 40, 0, 3, "issuer-count-plus-1" },
		{ 44, 0, 5, "key-count-plus-1" },
		{ 0, 1, 7, "key-issuer-out-of-range" },
		{ 8, 1, 0xffff, "kid-length-huge" },
		{ 16, 1, 0xfffffff0, "der-length-huge" },
		{ 16, 1, 10, "der-truncated" },
		{ 20, 1, 0x0902, "kty-ec-alg-es512-on-rsa" },
		{ 20, 1, 0x0101, "kty-rsa-alg-rs256" },
	};
	unsigned char	*b, *c;
	const char	*why;
	size_t		 len, i;

	keys[0].der = der_of("rfc7517-a1-rsa.pem", &keys[0].der_len);
	keys[1].der = der_of("rfc7517-a1-ec.pem", &keys[1].der_len);
	keys[2].der = der_of("rfc7520-3.1-ec.pem", &keys[2].der_len);
	keys[3].der = der_of("keycloak-sig.pem", &keys[3].der_len);
	mkdir(dir, 0755);
	write_seed(dir, "spki-rsa", keys[0].der, keys[0].der_len);
	write_seed(dir, "spki-p256", keys[1].der, keys[1].der_len);
	write_seed(dir, "spki-p521", keys[2].der, keys[2].der_len);
	if (keyfile_build(7, 1750000000, iss, 2, keys, 4, &b, &len, &why) ==
	    -1)
		goto fail;
	write_seed(dir, "good-2-issuers-4-keys", b, len);
	for (i = 0; i < sizeof(forged) / sizeof(forged[0]); i++) {
		if ((c = malloc(len)) == NULL)
			abort();
		memcpy(c, b, len);
		put32(c + (forged[i].key ? HDR + 2 * ISSLEN : 0) +
		    forged[i].off, forged[i].val);
		if (strcmp(forged[i].name, "version-1-with-metadata") != 0 &&
		    strcmp(forged[i].name, "version-3") != 0)
			fixup(c, len);
		else
			reseal(c, len);
		write_seed(dir, forged[i].name, c, len);
		free(c);
	}
	c = malloc(len);
	memcpy(c, b, len);
	c[len - 1] ^= 1;
	write_seed(dir, "bad-checksum", c, len);
	write_seed(dir, "truncated", b, len - 100);
	write_seed(dir, "header-only", b, HDR);
	free(c);
	free(b);
	if (keyfile_build(1, 1750000000, iss + 1, 1, NULL, 0, &b, &len,
	    &why) == -1)
		goto fail;
	write_seed(dir, "good-no-keys", b, len);
	free(b);
	keys[0].issuer = 0;
	if (keyfile_build(2, 1750000000, iss + 1, 1, keys, 1, &b, &len,
	    &why) == -1)
		goto fail;
	write_seed(dir, "good-one-rsa", b, len);
	free(b);
	keys[1].issuer = 0;
	if (keyfile_build(3, 1750000000, iss + 1, 1, keys + 1, 1, &b, &len,
	    &why) == -1)
		goto fail;
	write_seed(dir, "good-one-ec", b, len);
	free(b);
	if (keyfile_build(4, 1750000000, NULL, 0, NULL, 0, &b, &len,
	    &why) == 0) {
		write_seed(dir, "good-empty", b, len);
		free(b);
	}
	for (i = 0; i < 4; i++)
		OPENSSL_free((void *)keys[i].der);
	return;
 fail:
	fprintf(stderr, "keyfile_build: %s\n", why);
	exit(1);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char	*dir, *tmp;

	(void)argc;
	(void)argv;
	if ((dir = getenv("FUZZ_WRITE_SEEDS")) != NULL) {
		write_seeds(dir);
		exit(0);
	}
	/* a file per process, in memory when /dev/shm is there */
	tmp = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
	snprintf(path, sizeof(path), "%s/fuzz-keyfile.%ld", tmp,
	    (long)getpid());
	atexit(cleanup);
	return (0);
}
