/*
 * The key file: build, publish, map and look up; then the reader
 * against truncated, corrupted, oversized and hostile files (hostile:
 * a valid checksum over bad offsets, counts, lengths and keys); the
 * change detection of a reader; the kid-miss datagram; the
 * SubjectPublicKeyInfo reader against deformed DER.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "keyfile.h"
#include "unit.h"

/* The version 2 layout, restated from keyfile.h: the format is a spec. */
#define HDR		128
#define ISS		48
#define KEY		64
#define SUM		96
#define META		"{\"issuer\":\"http://127.0.0.1:1/realms/my-realm\"}"

static char	 dir[] = "/tmp/keyfile-test.XXXXXX";

static unsigned char *
der_of(const char *pem, size_t *len)
{
	char		 path[1024];
	const char	*top = getenv("TOP");
	unsigned char	*der = NULL;
	EVP_PKEY	*pkey;
	FILE		*fp;
	int		 n;

	snprintf(path, sizeof(path), "%s/tests/fixtures/%s", top ? top : ".",
	    pem);
	if ((fp = fopen(path, "r")) == NULL)
		return (NULL);
	pkey = PEM_read_PUBKEY(fp, NULL, NULL, NULL);
	fclose(fp);
	if (pkey == NULL || (n = i2d_PUBKEY(pkey, &der)) <= 0)
		return (NULL);
	EVP_PKEY_free(pkey);
	*len = n;
	return (der);
}

static unsigned char	*rsa, *ec256, *ec521, *rsa2;
static size_t		 rsa_len, ec256_len, ec521_len, rsa2_len;

static int
image(uint64_t serial, int64_t now, unsigned char **out, size_t *len)
{
	const struct keyfile_wissuer iss[] = {
		{ "realm", "http://127.0.0.1:1/realms/my-realm", now - 10,
		    now + 100, META },
		{ "old", "https://old.example", now - 1000, now - 1, NULL },
	};
	const struct keyfile_wkey keys[] = {
		{ 0, "rsa-1", "RS256", rsa, rsa_len },
		{ 0, "ec-1", "ES256", ec256, ec256_len },
		{ 0, "ec-2", "ES512", ec521, ec521_len },
		{ 1, "rsa-1", "PS256", rsa2, rsa2_len },
	};
	const char	*why = NULL;

	if (keyfile_build(serial, now, iss, 2, keys, 4, out, len, &why) ==
	    -1) {
		CHECK(0, "build: %s", why);
		return (-1);
	}
	return (0);
}

static void
put32(unsigned char *p, uint32_t v)
{
	p[0] = v; p[1] = v >> 8; p[2] = v >> 16; p[3] = v >> 24;
}

static uint32_t
get32(const unsigned char *p)
{
	return (p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24);
}

/* Recompute the checksum, as a forger would. */
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

static int
write_raw(const char *path, const void *buf, size_t len)
{
	int	 fd;

	unlink(path);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644)) == -1)
		return (-1);
	if (write(fd, buf, len) != (ssize_t)len) {
		close(fd);
		return (-1);
	}
	return (close(fd));
}

static void
test_roundtrip(void)
{
	const struct keyfile_key	*k;
	const struct keyfile_issuer	*ki;
	struct keyfile			*kf;
	struct stat			 st;
	unsigned char			*buf, fp[32];
	char				 path[256], why[256], hex[65];
	size_t				 len;
	time_t				 now = time(NULL);

	if (image(7, now, &buf, &len) == -1)
		return;
	CHECK(keyfile_check(buf, len, &(const char *){ NULL }) == 0,
	    "fresh image fails its own check");
	snprintf(path, sizeof(path), "%s/keys", dir);
	CHECK(keyfile_write(path, (gid_t)-1, buf, len) == 0, "write: %s",
	    strerror(errno));
	CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0640,
	    "mode %o", st.st_mode & 0777);
	free(buf);
	if (keyfile_open(path, &kf, why, sizeof(why)) == -1) {
		CHECK(0, "open: %s", why);
		return;
	}
	CHECK(keyfile_serial(kf) == 7, "serial");
	CHECK(keyfile_nkeys(kf) == 4 && keyfile_nissuers(kf) == 2, "counts");
	k = keyfile_find(kf, "http://127.0.0.1:1/realms/my-realm", "ec-2", now);
	CHECK(k != NULL, "ec-2 not found");
	if (k != NULL) {
		CHECK(strcmp(k->alg, "ES512") == 0 && strcmp(k->kty, "EC") == 0,
		    "ec-2 is %s %s", k->kty, k->alg);
		CHECK(k->pkey != NULL && EVP_PKEY_is_a(k->pkey, "EC"), "pkey");
		CHECK(k->der_len == ec521_len &&
		    memcmp(k->der, ec521, ec521_len) == 0, "der");
		EVP_Digest(ec521, ec521_len, fp, NULL, EVP_sha256(), NULL);
		CHECK(memcmp(fp, k->fp, 32) == 0, "fingerprint");
		keyfile_fp_hex(k->fp, hex, sizeof(hex));
		CHECK(strlen(hex) == 64, "hex");
		CHECK(strcmp(k->issuer->name, "realm") == 0, "issuer name");
	}
	k = keyfile_find(kf, "http://127.0.0.1:1/realms/my-realm", "rsa-1",
	    now);
	CHECK(k != NULL && strcmp(k->alg, "RS256") == 0, "rsa-1 of realm");
	CHECK(keyfile_find(kf, "http://127.0.0.1:1/realms/my-realm", "nope",
	    now) == NULL, "unknown kid found");
	CHECK(keyfile_find(kf, "https://other", "rsa-1", now) == NULL,
	    "kid of another issuer found");
	/* hard expiry: fail closed */
	CHECK(keyfile_find(kf, "https://old.example", "rsa-1", now) == NULL,
	    "expired key found");
	CHECK(keyfile_find(kf, "https://old.example", "rsa-1", now - 2) !=
	    NULL, "key not found before its expiry");
	CHECK(keyfile_find(kf, "http://127.0.0.1:1/realms/my-realm", "rsa-1",
	    now + 100) == NULL, "key found at its expiry");
	ki = keyfile_issuer(kf, "realm");
	CHECK(ki != NULL && ki->fetched == now - 10, "issuer by name");
	CHECK(ki != NULL && ki->metadata != NULL &&
	    strcmp(ki->metadata, META) == 0 &&
	    ki->metadata_len == strlen(META), "issuer metadata");
	ki = keyfile_issuer(kf, "https://old.example");
	CHECK(ki != NULL && strcmp(ki->name, "old") == 0, "issuer by URL");
	CHECK(ki != NULL && ki->metadata == NULL && ki->metadata_len == 0,
	    "metadata of an issuer without");
	CHECK(keyfile_key(kf, 4) == NULL && keyfile_issuer_at(kf, 2) == NULL,
	    "out of range index");
	keyfile_close(kf);
}

static void
test_build_refuses(void)
{
	struct keyfile_wissuer iss[] = {
		{ "a", "https://a", 1, 2, NULL },
	};
	struct keyfile_wkey	 k = { 0, "k", "RS256", NULL, 0 };
	unsigned char		*buf;
	const char		*why;
	char			*big;
	size_t			 len;

	k.der = rsa;
	k.der_len = rsa_len;
	k.alg = "HS256";
	CHECK(keyfile_build(1, 1, iss, 1, &k, 1, &buf, &len, &why) == -1,
	    "HS256 built");
	k.alg = "RS256";
	k.issuer = 1;
	CHECK(keyfile_build(1, 1, iss, 1, &k, 1, &buf, &len, &why) == -1,
	    "bad issuer index built");
	k.issuer = 0;
	k.kid = "";
	CHECK(keyfile_build(1, 1, iss, 1, &k, 1, &buf, &len, &why) == -1,
	    "empty kid built");
	k.kid = "k";
	big = malloc(KEYFILE_META_MAX + 2);
	memset(big, ' ', KEYFILE_META_MAX + 1);
	big[0] = '{';
	big[KEYFILE_META_MAX + 1] = '\0';
	iss[0].metadata = big;
	CHECK(keyfile_build(1, 1, iss, 1, &k, 1, &buf, &len, &why) == -1,
	    "oversized metadata built");
	big[KEYFILE_META_MAX] = '\0';
	CHECK(keyfile_build(1, 1, iss, 1, &k, 1, &buf, &len, &why) == 0,
	    "metadata of the largest size refused: %s", why);
	if (keyfile_check(buf, len, &why) == 0)
		free(buf);
	else
		CHECK(0, "largest metadata fails the check: %s", why);
	free(big);
}

/* Every truncation and every single-bit flip is refused. */
static void
test_corrupt(void)
{
	unsigned char	*buf, *copy;
	const char	*why;
	size_t		 len, i, bad = 0;

	if (image(1, time(NULL), &buf, &len) == -1)
		return;
	for (i = 0; i < len; i++)
		if (keyfile_check(buf, i, &why) == 0)
			bad++;
	CHECK(bad == 0, "%zu truncations accepted", bad);
	copy = malloc(len + 16);
	memcpy(copy, buf, len);
	memset(copy + len, 0, 16);
	CHECK(keyfile_check(copy, len + 16, &why) == -1, "extended accepted");
	for (i = 0, bad = 0; i < len * 8; i++) {
		copy[i / 8] ^= 1 << (i % 8);
		if (keyfile_check(copy, len, &why) == 0)
			bad++;
		copy[i / 8] ^= 1 << (i % 8);
	}
	CHECK(bad == 0, "%zu bit flips accepted", bad);
	free(copy);
	free(buf);
}

/* Forged files: a valid checksum over hostile contents. */
static void
test_hostile(void)
{
	static const struct {
		size_t		 off;	/* < HDR: header; else relative */
		int		 where;	/* 0 header, 1 issuer 0, 2 key 0, 3 issuer 1 */
		uint32_t	 val;
		int		 byte;	/* write one byte instead */
		const char	*desc;
	} v[] = {
		{ 8, 0, 3, 0, "version 3" },
		{ 8, 0, 1, 0, "version 1 with metadata" },
		{ 8, 0, 0, 0, "version 0" },
		{ 12, 0, 64, 0, "header length" },
		{ 40, 0, 0xffffffff, 0, "issuer count" },
		{ 40, 0, 3, 0, "issuer count + 1" },
		{ 44, 0, 0xffffffff, 0, "key count" },
		{ 44, 0, 5, 0, "key count + 1" },
		{ 44, 0, 3, 0, "key count - 1" },
		{ 48, 0, 0, 0, "issuer offset" },
		{ 52, 0, 0xfffffff0, 0, "key offset" },
		{ 56, 0, 0xfffffff0, 0, "data offset" },
		{ 60, 0, 0xffffffff, 0, "data length" },
		{ 64, 0, 1, 0, "reserved header" },
		{ 0, 1, 0xfffffff0, 0, "issuer name offset" },
		{ 4, 1, 0xffffffff, 0, "issuer name length" },
		{ 4, 1, 0, 0, "empty issuer name" },
		{ 4, 1, 3, 0, "issuer name not NUL-terminated" },
		{ 12, 1, 5000, 0, "issuer URL length" },
		{ 16, 1, 0xffffffff, 0, "fetched after expires" },
		{ 40, 1, 1, 0, "reserved issuer" },
		{ 44, 1, 1, 0, "reserved issuer, last word" },
		{ 32, 1, 0xfffffff0, 0, "metadata offset" },
		{ 36, 1, 0xffffffff, 0, "metadata length" },
		{ 36, 1, KEYFILE_META_MAX + 1, 0, "metadata length over max" },
		{ 36, 1, 0, 0, "metadata offset without length" },
		{ 36, 1, 3, 0, "metadata not NUL-terminated" },
		{ 32, 1, 0, 0, "metadata over the issuer name" },
		{ 32, 1, 1, 0, "metadata in the middle of a string" },
		{ 32, 3, 1, 0, "metadata offset on an issuer without" },
		{ 0, 2, 2, 0, "key issuer index" },
		{ 0, 2, 0xffffffff, 0, "key issuer index huge" },
		{ 4, 2, 0xfffffffe, 0, "kid offset" },
		{ 8, 2, 0xffffffff, 0, "kid length" },
		{ 8, 2, 200, 0, "kid length over max" },
		{ 8, 2, 3, 0, "kid not NUL-terminated" },
		{ 12, 2, 0xffffff00, 0, "DER offset" },
		{ 16, 2, 0xffffff00, 0, "DER length" },
		{ 16, 2, 0, 0, "DER length 0" },
		{ 16, 2, 100, 0, "DER cut short" },
		{ 20, 2, 2, 1, "kty EC on an RSA key" },
		{ 21, 2, 0, 1, "alg 0" },
		{ 21, 2, 99, 1, "alg 99" },
		{ 21, 2, 7, 1, "alg ES256 on RSA" },
		{ 24, 2, 0, 1, "fingerprint" },
		{ 56, 2, 1, 1, "reserved key" },
	};
	unsigned char	*buf, *copy, *p;
	const char	*why;
	char		 path[256], err[256];
	struct keyfile	*kf;
	size_t		 len, i, base;

	if (image(1, time(NULL), &buf, &len) == -1)
		return;
	copy = malloc(len);
	snprintf(path, sizeof(path), "%s/hostile", dir);
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		memcpy(copy, buf, len);
		base = v[i].where == 0 ? 0 : v[i].where == 1 ? HDR :
		    v[i].where == 3 ? HDR + ISS : HDR + 2 * ISS;
		p = copy + base + v[i].off;
		if (v[i].byte)
			*p = (unsigned char)v[i].val;
		else
			put32(p, v[i].val);
		reseal(copy, len);
		/* the structural check or the full open must refuse it */
		write_raw(path, copy, len);
		kf = NULL;
		CHECK(keyfile_open(path, &kf, err, sizeof(err)) == -1,
		    "%s accepted", v[i].desc);
		keyfile_close(kf);
	}
	/* metadata that is a valid string but not an object: the URL */
	memcpy(copy, buf, len);
	put32(copy + HDR + 32, get32(copy + HDR + 8));
	put32(copy + HDR + 36, get32(copy + HDR + 12));
	reseal(copy, len);
	CHECK(keyfile_check(copy, len, &why) == -1, "metadata not an object");
	/* inner NUL in the metadata */
	memcpy(copy, buf, len);
	p = copy + get32(copy + 56) + get32(copy + HDR + 32);
	p[3] = '\0';
	reseal(copy, len);
	CHECK(keyfile_check(copy, len, &why) == -1, "metadata with inner NUL");
	/* inner NUL in a kid */
	memcpy(copy, buf, len);
	p = copy + get32(copy + 56) + get32(copy + HDR + 2 * ISS + 4);
	p[1] = '\0';
	reseal(copy, len);
	CHECK(keyfile_check(copy, len, &why) == -1, "kid with inner NUL");
	/* two keys with one kid: the second kid now reads "rsa-1" too */
	memcpy(copy, buf, len);
	put32(copy + HDR + 2 * ISS + KEY + 4, get32(copy + HDR + 2 * ISS + 4));
	put32(copy + HDR + 2 * ISS + KEY + 8, get32(copy + HDR + 2 * ISS + 8));
	reseal(copy, len);
	write_raw(path, copy, len);
	CHECK(keyfile_open(path, &kf, err, sizeof(err)) == -1 &&
	    strstr(err, "duplicate") != NULL, "duplicate kid: %s", err);
	/* the EC P-256 key's DER under an ES512 record */
	memcpy(copy, buf, len);
	memcpy(copy + HDR + 2 * ISS + 2 * KEY + 12,
	    copy + HDR + 2 * ISS + KEY + 12, 8);
	memcpy(copy + HDR + 2 * ISS + 2 * KEY + 24,
	    copy + HDR + 2 * ISS + KEY + 24, 32);
	reseal(copy, len);
	write_raw(path, copy, len);
	CHECK(keyfile_open(path, &kf, err, sizeof(err)) == -1 &&
	    strstr(err, "curve") != NULL, "P-256 key as ES512: %s", err);
	free(copy);
	free(buf);

	/* not a key file at all, empty, a directory, oversized */
	write_raw(path, "hello", 5);
	CHECK(keyfile_open(path, &kf, err, sizeof(err)) == -1, "garbage");
	write_raw(path, "", 0);
	CHECK(keyfile_open(path, &kf, err, sizeof(err)) == -1, "empty");
	CHECK(keyfile_open(dir, &kf, err, sizeof(err)) == -1, "directory");
	write_raw(path, "", 0);
	CHECK(truncate(path, KEYFILE_MAX_SIZE + 1) == 0, "truncate");
	CHECK(keyfile_open(path, &kf, err, sizeof(err)) == -1 &&
	    strstr(err, "too large") != NULL, "oversized: %s", err);
	copy = calloc(1, HDR);
	memcpy(copy, "MCPJWKS", 8);
	put32(copy + 8, 1);
	put32(copy + 12, HDR);
	CHECK(keyfile_check(copy, HDR, &why) == -1, "zero header");
	free(copy);
}

/* A version 1 file (no metadata) is still read: upgrades in any order. */
static void
test_version1(void)
{
	const struct keyfile_wissuer iss[] = {
		{ "a", "https://a", time(NULL) - 1, time(NULL) + 100, NULL },
	};
	const struct keyfile_wkey k = { 0, "k", "RS256", rsa, rsa_len };
	struct keyfile	*kf;
	unsigned char	*buf;
	const char	*why;
	char		 path[256], err[256];
	size_t		 len;

	if (keyfile_build(1, 1, iss, 1, &k, 1, &buf, &len, &why) == -1) {
		CHECK(0, "build: %s", why);
		return;
	}
	CHECK(get32(buf + 8) == 2, "written as version %u", get32(buf + 8));
	put32(buf + 8, 1);
	reseal(buf, len);
	snprintf(path, sizeof(path), "%s/v1", dir);
	write_raw(path, buf, len);
	free(buf);
	if (keyfile_open(path, &kf, err, sizeof(err)) == -1) {
		CHECK(0, "version 1 refused: %s", err);
		return;
	}
	CHECK(keyfile_issuer(kf, "a") != NULL &&
	    keyfile_issuer(kf, "a")->metadata == NULL, "v1 metadata");
	keyfile_close(kf);
}

/* The key-set generation of a file of keys k[0..n) and issuer url. */
static uint64_t
generation_of(const struct keyfile_wkey *k, size_t n, const char *url,
    uint64_t serial, int64_t t, const char *meta)
{
	const struct keyfile_wissuer iss[] = {
		{ "realm", url, t - 10, t + 100, meta },
		{ "old", "https://old.example", t - 1000, t - 1, NULL },
	};
	struct keyfile	*kf;
	unsigned char	*buf;
	const char	*why = NULL;
	char		 path[256], err[256];
	size_t		 len;
	uint64_t	 g = 0;

	snprintf(path, sizeof(path), "%s/gen", dir);
	if (keyfile_build(serial, t, iss, 2, k, n, &buf, &len, &why) == -1) {
		CHECK(0, "build: %s", why);
		return (0);
	}
	CHECK(keyfile_write(path, (gid_t)-1, buf, len) == 0, "write");
	free(buf);
	if (keyfile_open(path, &kf, err, sizeof(err)) == -1) {
		CHECK(0, "open: %s", err);
		return (0);
	}
	g = keyfile_generation(kf);
	keyfile_close(kf);
	return (g);
}

/*
 * The generation changes with the keys (issuer, kid, alg, material, a
 * key more or less) and with nothing else (serial, times, metadata).
 */
static void
test_generation(void)
{
	const char	*url = "http://127.0.0.1:1/realms/my-realm";
	struct keyfile_wkey keys[] = {
		{ 0, "rsa-1", "RS256", rsa, rsa_len },
		{ 0, "ec-1", "ES256", ec256, ec256_len },
		{ 1, "rsa-1", "PS256", rsa2, rsa2_len },
	};
	struct keyfile_wkey k2[3];
	int64_t		 now = time(NULL);
	uint64_t	 g, h;
	size_t		 i;

	g = generation_of(keys, 3, url, 1, now, NULL);
	CHECK(g != 0, "generation 0");
	CHECK(generation_of(keys, 3, url, 2, now + 3600, META) == g,
	    "same keys, new serial, times and metadata: generation changed");
	CHECK(generation_of(keys, 3, url, 3, now - 50, NULL) == g,
	    "same keys, older times: generation changed");
	for (i = 0; i < 6; i++) {
		memcpy(k2, keys, sizeof(k2));
		switch (i) {
		case 0: k2[0].kid = "rsa-2"; break;
		case 1: k2[2].alg = "RS256"; break;
		case 2: k2[0].der = rsa2; k2[0].der_len = rsa2_len; break;
		case 3: k2[1].issuer = 1; break;
		case 4: k2[1].alg = "ES256"; k2[1].kid = "ec-1x"; break;
		case 5: break;
		}
		h = generation_of(k2, i == 5 ? 2 : 3, url, 4, now, NULL);
		CHECK(h != 0 && h != g, "key change %zu: same generation", i);
	}
	CHECK(generation_of(keys, 3, "http://127.0.0.1:1/realms/other", 5,
	    now, NULL) != g, "issuer URL changed: same generation");
}

static void
test_reader(void)
{
	struct keyfile_reader	*r;
	const struct keyfile	*cur;
	unsigned char		*buf;
	char			 path[256], why[256];
	size_t			 len;
	time_t			 now = time(NULL);

	snprintf(path, sizeof(path), "%s/watched", dir);
	r = keyfile_reader_new(path);
	CHECK(keyfile_reader_check(r, why, sizeof(why)) == -1, "missing");
	CHECK(keyfile_reader_current(r) == NULL, "current without file");
	image(1, now, &buf, &len);
	keyfile_write(path, (gid_t)-1, buf, len);
	free(buf);
	CHECK(keyfile_reader_check(r, why, sizeof(why)) == 1, "first: %s",
	    why);
	CHECK(keyfile_reader_check(r, why, sizeof(why)) == 0, "unchanged");
	cur = keyfile_reader_current(r);
	CHECK(cur != NULL && keyfile_serial(cur) == 1, "serial 1");

	/* a bad replacement: the old mapping stays */
	write_raw(path, "MCPJWKS\0garbage", 15);
	CHECK(keyfile_reader_check(r, why, sizeof(why)) == -1, "bad new");
	cur = keyfile_reader_current(r);
	CHECK(cur != NULL && keyfile_serial(cur) == 1 &&
	    keyfile_find(cur, "http://127.0.0.1:1/realms/my-realm", "rsa-1",
	    now) != NULL, "old mapping lost");
	CHECK(keyfile_reader_check(r, why, sizeof(why)) == -1 &&
	    strstr(why, "same bad") != NULL, "bad file retried: %s", why);

	image(2, now, &buf, &len);
	keyfile_write(path, (gid_t)-1, buf, len);
	free(buf);
	CHECK(keyfile_reader_check(r, why, sizeof(why)) == 1, "second");
	cur = keyfile_reader_current(r);
	CHECK(cur != NULL && keyfile_serial(cur) == 2, "serial 2");
	unlink(path);
	CHECK(keyfile_reader_check(r, why, sizeof(why)) == -1 &&
	    keyfile_reader_current(r) != NULL, "removed file drops mapping");
	keyfile_reader_free(r);
}

static void
test_request(void)
{
	static const char *const bad[] = {
		"", "miss", "miss\n", "miss\nhttps://a\n", "miss\n\nk\n",
		"fetch\nhttps://a\nk\n", "miss\nhttps://a\nk", "miss\nhttps://a\nk\nx",
	};
	struct sockaddr_un	 sun;
	char			 path[256], msg[4096], iss[KEYFILE_URL_MAX + 1];
	char			 kid[KEYFILE_KID_MAX + 1], longkid[300];
	ssize_t			 n;
	size_t			 i;
	int			 fd;

	snprintf(path, sizeof(path), "%s/ctl", dir);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, path, strlen(path) + 1);	/* short: /tmp/... */
	fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	CHECK(bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0, "bind");
	CHECK(keyfile_request_fetch(path, "https://a/realms/x", "kid-1") == 0,
	    "send: %s", strerror(errno));
	n = recv(fd, msg, sizeof(msg), MSG_DONTWAIT);
	CHECK(n > 0 && keyfile_parse_request(msg, n, iss, sizeof(iss), kid,
	    sizeof(kid)) == 0, "parse");
	CHECK(strcmp(iss, "https://a/realms/x") == 0 &&
	    strcmp(kid, "kid-1") == 0, "fields %s %s", iss, kid);
	CHECK(keyfile_request_fetch(path, "https://a\n", "k") == -1,
	    "newline in issuer sent");
	memset(longkid, 'k', sizeof(longkid) - 1);
	longkid[sizeof(longkid) - 1] = '\0';
	CHECK(keyfile_request_fetch(path, "https://a", longkid) == -1,
	    "long kid sent");
	close(fd);
	CHECK(keyfile_request_fetch(path, "https://a", "k") == -1,
	    "sent to a closed socket");
	unlink(path);
	CHECK(keyfile_request_fetch(path, "https://a", "k") == -1,
	    "sent to no socket");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK(keyfile_parse_request(bad[i], strlen(bad[i]), iss,
		    sizeof(iss), kid, sizeof(kid)) == -1, "bad %zu parsed", i);
	CHECK(keyfile_parse_request("miss\na\0b\nk\n", 11, iss, sizeof(iss),
	    kid, sizeof(kid)) == -1, "NUL parsed");
}

/* A DER buffer for the SubjectPublicKeyInfo rows. */
struct dbuf {
	unsigned char	 b[6000];
	size_t		 n;
};

#define DER_MIN		0	/* length forms: DER */
#define DER_LONG	1	/* one length byte too many */
#define DER_INDEF	2	/* indefinite (BER only) */

static void
dcat(struct dbuf *o, const void *p, size_t n)
{
	if (n == 0)
		return;
	if (n > sizeof(o->b) - o->n)
		abort();
	memcpy(o->b + o->n, p, n);
	o->n += n;
}

/* Append tag, a length in the given form, and content c. */
static void
dtlv(struct dbuf *o, int tag, const struct dbuf *c, int form)
{
	unsigned char	 h[6];
	size_t		 hn = 0;

	h[hn++] = tag;
	if (form == DER_INDEF)
		h[hn++] = 0x80;
	else if (c->n < 0x80 && form == DER_MIN)
		h[hn++] = c->n;
	else if (c->n < 0x100 && form == DER_MIN) {
		h[hn++] = 0x81;
		h[hn++] = c->n;
	} else if (c->n < 0x100) {
		h[hn++] = 0x82;
		h[hn++] = 0;
		h[hn++] = c->n;
	} else if (form == DER_MIN) {
		h[hn++] = 0x82;
		h[hn++] = c->n >> 8;
		h[hn++] = c->n;
	} else {
		h[hn++] = 0x83;
		h[hn++] = 0;
		h[hn++] = c->n >> 8;
		h[hn++] = c->n;
	}
	dcat(o, h, hn);
	dcat(o, c->b, c->n);
	if (form == DER_INDEF)
		dcat(o, "\0", 2);
}

/* Append an element given as raw content bytes. */
static void
draw(struct dbuf *o, int tag, const void *p, size_t n, int form)
{
	struct dbuf	*c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		abort();
	dcat(c, p, n);
	dtlv(o, tag, c, form);
	free(c);
}

static const unsigned char o_rsa[] = {
	0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01 };
static const unsigned char o_pss[] = {
	0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0a };
static const unsigned char o_ec[] = {
	0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01 };
static const unsigned char o_p256[] = {
	0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07 };
static const unsigned char o_k256[] = { 0x2b, 0x81, 0x04, 0x00, 0x0a };

/* What a row changes in an otherwise good SubjectPublicKeyInfo. */
struct spki_row {
	const char	*desc;
	const char	*alg;		/* asked for */
	int		 ec;		/* 1: the P-256 key, else RSA */
	int		 outer, algform, bitsform; /* length forms */
	int		 outertag;	/* 0: SEQUENCE */
	const unsigned char *oid;	/* NULL: the right one */
	size_t		 oidlen;
	int		 params;	/* RSA: 0 NULL, 1 none, 2 NULL with
					   content, 3 NULL and more; EC: 0 the
					   curve, 1 none, 2 explicit (SEQUENCE),
					   3 secp256k1, 4 curve and more */
	int		 unused;	/* BIT STRING unused-bits byte */
	int		 nobits;	/* empty BIT STRING */
	int		 key;		/* RSA: 0 good, 1 n negative, 2 needless
					   00, 3 n = 0, 4 1024 bits, 5 16391
					   bits, 6 e even, 7 e = 1, 8 e 9 bytes,
					   9 no e, 10 a third INTEGER, 11 a byte
					   after the SEQUENCE; EC: 0 good,
					   1 compressed, 2 short, 3 off the
					   curve, 4 long */
	int		 trail;		/* bytes after the whole */
	int		 cut;		/* bytes cut off the end */
};

/* Build the DER of row r from the RSA key (n, e) or the P-256 point. */
static void
spki_of(const struct spki_row *r, const unsigned char *n, size_t nlen,
    const unsigned char *e, size_t elen, const unsigned char *pt,
    size_t ptlen, struct dbuf *o)
{
	struct dbuf	*algid, *key, *seq, *bits, *top;
	unsigned char	 big[2050], tmp[200];
	int		 i;

	algid = calloc(1, sizeof(*algid));
	key = calloc(1, sizeof(*key));
	seq = calloc(1, sizeof(*seq));
	bits = calloc(1, sizeof(*bits));
	top = calloc(1, sizeof(*top));
	if (!algid || !key || !seq || !bits || !top)
		abort();
	/* AlgorithmIdentifier */
	if (r->oid != NULL)
		draw(algid, 0x06, r->oid, r->oidlen, DER_MIN);
	else if (r->ec)
		draw(algid, 0x06, o_ec, sizeof(o_ec), DER_MIN);
	else
		draw(algid, 0x06, o_rsa, sizeof(o_rsa), DER_MIN);
	if (!r->ec) {
		if (r->params == 0 || r->params == 3)
			draw(algid, 0x05, NULL, 0, DER_MIN);
		if (r->params == 2)
			draw(algid, 0x05, "\0", 1, DER_MIN);
		if (r->params == 3)
			draw(algid, 0x05, NULL, 0, DER_MIN);
	} else {
		if (r->params == 0 || r->params == 4)
			draw(algid, 0x06, o_p256, sizeof(o_p256), DER_MIN);
		if (r->params == 2)
			draw(algid, 0x30, "\x02\x01\x01", 3, DER_MIN);
		if (r->params == 3)
			draw(algid, 0x06, o_k256, sizeof(o_k256), DER_MIN);
		if (r->params == 4)
			draw(algid, 0x05, NULL, 0, DER_MIN);
	}
	/* the key */
	if (!r->nobits)
		dcat(key, (unsigned char []){ r->unused }, 1);
	if (r->ec) {
		memcpy(tmp, pt, ptlen);
		switch (r->key) {
		case 1:
			tmp[0] = 0x02 | (pt[ptlen - 1] & 1);
			dcat(key, tmp, 33);
			break;
		case 2:
			dcat(key, tmp, ptlen - 1);
			break;
		case 3:
			tmp[ptlen - 1] ^= 1;
			dcat(key, tmp, ptlen);
			break;
		case 4:
			dcat(key, tmp, ptlen);
			dcat(key, "\0", 1);
			break;
		default:
			if (!r->nobits)
				dcat(key, tmp, ptlen);
		}
	} else if (!r->nobits) {
		big[0] = 0;
		memcpy(big + 1, n, nlen);
		switch (r->key) {
		case 1:
			draw(seq, 0x02, n, nlen, DER_MIN);
			break;
		case 2:
			big[0] = 0;
			big[1] = 0;
			memcpy(big + 2, n, nlen);
			draw(seq, 0x02, big, nlen + 2, DER_MIN);
			break;
		case 3:
			draw(seq, 0x02, "\0", 1, DER_MIN);
			break;
		case 4:
			draw(seq, 0x02, big, 1 + 128, DER_MIN);
			break;
		case 5:
			for (i = 0; i < 2049; i++)
				big[i] = 0x5a;
			big[0] = 0x7f;	/* 16383 bits + 8 more */
			draw(seq, 0x02, big, 2049, DER_MIN);
			break;
		default:
			draw(seq, 0x02, big, nlen + 1, DER_MIN);
		}
		switch (r->key) {
		case 6:
			draw(seq, 0x02, "\x01\x00\x00", 3, DER_MIN);
			break;
		case 7:
			draw(seq, 0x02, "\x01", 1, DER_MIN);
			break;
		case 8:
			draw(seq, 0x02, "\x01\x00\x00\x00\x00\x00\x00\x00\x01",
			    9, DER_MIN);
			break;
		case 9:
			break;
		default:
			draw(seq, 0x02, e, elen, DER_MIN);
		}
		if (r->key == 10)
			draw(seq, 0x02, "\x01", 1, DER_MIN);
		dtlv(key, 0x30, seq, DER_MIN);
		if (r->key == 11)
			dcat(key, "\0", 1);
	}
	dtlv(bits, 0x30, algid, r->algform);
	dtlv(bits, 0x03, key, r->bitsform);
	dtlv(top, r->outertag ? r->outertag : 0x30, bits, r->outer);
	o->n = 0;
	dcat(o, top->b, top->n);
	for (i = 0; i < r->trail; i++)
		dcat(o, "\0", 1);
	o->n -= (size_t)r->cut <= o->n ? (size_t)r->cut : o->n;
	free(algid);
	free(key);
	free(seq);
	free(bits);
	free(top);
}

/*
 * keyfile_spki(): the fixtures' keys come out equal to what OpenSSL's
 * own decoder makes of them; every row of a deformed DER (built from
 * a good RSA or P-256 key with one thing changed) is refused.
 */
static void
test_spki(void)
{
	static const struct spki_row bad[] = {
		{ "outer SET", "RS256", .outertag = 0x31 },
		{ "outer long length", "RS256", .outer = DER_LONG },
		{ "outer indefinite", "RS256", .outer = DER_INDEF },
		{ "algid long length", "RS256", .algform = DER_LONG },
		{ "algid indefinite", "RS256", .algform = DER_INDEF },
		{ "bits long length", "RS256", .bitsform = DER_LONG },
		{ "bits indefinite", "ES256", .ec = 1, .bitsform = DER_INDEF },
		{ "EC bits long length", "ES256", .ec = 1,
		    .bitsform = DER_LONG },
		{ "RSA-PSS OID", "PS256", .oid = o_pss,
		    .oidlen = sizeof(o_pss) },
		{ "EC OID for RSA", "RS256", .oid = o_ec,
		    .oidlen = sizeof(o_ec) },
		{ "RSA OID for EC", "ES256", .ec = 1, .oid = o_rsa,
		    .oidlen = sizeof(o_rsa) },
		{ "RSA without NULL", "RS256", .params = 1 },
		{ "RSA NULL with content", "RS256", .params = 2 },
		{ "RSA NULL and more", "RS256", .params = 3 },
		{ "EC without curve", "ES256", .ec = 1, .params = 1 },
		{ "EC explicit curve", "ES256", .ec = 1, .params = 2 },
		{ "EC secp256k1", "ES256", .ec = 1, .params = 3 },
		{ "EC curve and more", "ES256", .ec = 1, .params = 4 },
		{ "RSA unused bits", "RS256", .unused = 1 },
		{ "EC unused bits", "ES256", .ec = 1, .unused = 4 },
		{ "RSA empty BIT STRING", "RS256", .nobits = 1 },
		{ "EC empty BIT STRING", "ES256", .ec = 1, .nobits = 1 },
		{ "n negative", "RS256", .key = 1 },
		{ "n needless 00", "RS256", .key = 2 },
		{ "n zero", "RS256", .key = 3 },
		{ "n 1024 bits", "RS256", .key = 4 },
		{ "n 16391 bits", "RS256", .key = 5 },
		{ "e even", "RS256", .key = 6 },
		{ "e one", "RS256", .key = 7 },
		{ "e 9 bytes", "RS256", .key = 8 },
		{ "no e", "RS256", .key = 9 },
		{ "third INTEGER", "RS256", .key = 10 },
		{ "byte after RSAPublicKey", "RS256", .key = 11 },
		{ "compressed point", "ES256", .ec = 1, .key = 1 },
		{ "short point", "ES256", .ec = 1, .key = 2 },
		{ "point off the curve", "ES256", .ec = 1, .key = 3 },
		{ "long point", "ES256", .ec = 1, .key = 4 },
		{ "RSA trailing byte", "RS256", .trail = 1 },
		{ "EC trailing byte", "ES256", .ec = 1, .trail = 1 },
		{ "RSA cut by one", "RS256", .cut = 1 },
		{ "EC cut by one", "ES256", .ec = 1, .cut = 1 },
		{ "RSA cut to its tag", "RS256", .cut = 293 },
		{ "RSA key for ES256", "ES256", .ec = 0 },
		{ "P-256 key for RS256", "RS256", .ec = 1 },
		{ "P-256 key for ES384", "ES384", .ec = 1 },
		{ "P-256 key for ES512", "ES512", .ec = 1 },
		{ "P-256 key for HS256", "HS256", .ec = 1 },
		{ "RSA key for none", "none", .ec = 0 },
	};
	static const struct {
		const char	*pem, *alg;
	} good[] = {
		{ "rfc7520-3.3-rsa.pem", "RS256" },
		{ "rfc7517-a1-rsa.pem", "PS512" },
		{ "rfc7517-a1-ec.pem", "ES256" },
		{ "rfc7520-3.1-ec.pem", "ES512" },
		{ NULL, "ES384" },	/* made here */
	};
	struct dbuf		*o;
	const unsigned char	*p;
	unsigned char		*der, n[600], e[8], pt[65];
	size_t			 i, len, nlen, elen, ptlen, ngood = 0;
	const char		*why;
	EVP_PKEY		*mine, *theirs, *rk = NULL, *ek = NULL;
	BIGNUM			*bn = NULL;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		if (good[i].pem != NULL)
			der = der_of(good[i].pem, &len);
		else {
			theirs = EVP_EC_gen("P-384");
			der = NULL;
			len = theirs ? (size_t)i2d_PUBKEY(theirs, &der) : 0;
			EVP_PKEY_free(theirs);
		}
		CHECK(der != NULL, "%s", good[i].alg);
		if (der == NULL)
			continue;
		p = der;
		theirs = d2i_PUBKEY(NULL, &p, (long)len);
		mine = keyfile_spki(der, len, good[i].alg, &why);
		CHECK(mine != NULL, "good %zu refused: %s", i, why);
		CHECK(mine && theirs && EVP_PKEY_eq(mine, theirs) == 1,
		    "good %zu differs from d2i_PUBKEY's", i);
		ngood += mine != NULL;
		if (i == 0)
			rk = theirs;
		else if (i == 2)
			ek = theirs;
		else
			EVP_PKEY_free(theirs);
		EVP_PKEY_free(mine);
		OPENSSL_free(der);
	}
	CHECK(ngood == 5, "good keys: %zu", ngood);
	nlen = elen = ptlen = 0;
	if (rk != NULL && EVP_PKEY_get_bn_param(rk, "n", &bn)) {
		nlen = BN_bn2bin(bn, n);
		BN_free(bn);
		bn = NULL;
	}
	if (rk != NULL && EVP_PKEY_get_bn_param(rk, "e", &bn)) {
		elen = BN_bn2bin(bn, e);
		BN_free(bn);
	}
	if (ek == NULL || !EVP_PKEY_get_octet_string_param(ek, "pub", pt,
	    sizeof(pt), &ptlen))
		ptlen = 0;
	CHECK(nlen == 256 && elen == 3 && ptlen == 65,
	    "fixture parts %zu %zu %zu", nlen, elen, ptlen);
	if ((o = calloc(1, sizeof(*o))) == NULL)
		abort();
	/* the builder itself: unchanged rows are the fixtures' DER */
	spki_of(&(struct spki_row){ .desc = "RSA", .alg = "RS256" }, n, nlen,
	    e, elen, pt, ptlen, o);
	CHECK(o->n == rsa_len && memcmp(o->b, rsa, rsa_len) == 0,
	    "RSA rebuilt");
	mine = keyfile_spki(o->b, o->n, "RS256", &why);
	CHECK(mine != NULL, "RSA rebuilt refused: %s", why);
	EVP_PKEY_free(mine);
	spki_of(&(struct spki_row){ .desc = "EC", .alg = "ES256", .ec = 1 },
	    n, nlen, e, elen, pt, ptlen, o);
	CHECK(o->n == ec256_len && memcmp(o->b, ec256, ec256_len) == 0,
	    "EC rebuilt");
	CHECK(sizeof(bad) / sizeof(bad[0]) > sizeof(good) / sizeof(good[0]),
	    "fewer bad rows than good");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		spki_of(&bad[i], n, nlen, e, elen, pt, ptlen, o);
		why = NULL;
		mine = keyfile_spki(o->b, o->n, bad[i].alg, &why);
		CHECK(mine == NULL && why != NULL, "bad row %zu (%s) taken",
		    i, bad[i].desc);
		EVP_PKEY_free(mine);
	}
	CHECK(keyfile_spki(rsa, KEYFILE_DER_MAX + 1, "RS256", &why) == NULL,
	    "over KEYFILE_DER_MAX");
	CHECK(keyfile_spki(rsa, 0, "RS256", &why) == NULL, "empty");
	EVP_PKEY_free(rk);
	EVP_PKEY_free(ek);
	free(o);
}

int
main(void)
{
	char	 cmd[128];

	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return (1);
	}
	rsa = der_of("rfc7520-3.3-rsa.pem", &rsa_len);
	rsa2 = der_of("rfc7517-a1-rsa.pem", &rsa2_len);
	ec256 = der_of("rfc7517-a1-ec.pem", &ec256_len);
	ec521 = der_of("rfc7520-3.1-ec.pem", &ec521_len);
	if (!rsa || !rsa2 || !ec256 || !ec521) {
		fprintf(stderr, "fixtures missing (set TOP)\n");
		return (1);
	}
	test_roundtrip();
	test_build_refuses();
	test_corrupt();
	test_hostile();
	test_version1();
	test_reader();
	test_generation();
	test_request();
	test_spki();
	free(rsa);
	free(rsa2);
	free(ec256);
	free(ec521);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	(void)!system(cmd);
	return (unit_done("common_keyfile"));
}
