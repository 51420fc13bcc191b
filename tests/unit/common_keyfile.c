/*
 * The key file: build, publish, map and look up; then the reader
 * against truncated, corrupted, oversized and hostile files (hostile:
 * a valid checksum over bad offsets, counts, lengths and keys); the
 * change detection of a reader; the kid-miss datagram.
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
	free(rsa);
	free(rsa2);
	free(ec256);
	free(ec521);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	(void)!system(cmd);
	return (unit_done("common_keyfile"));
}
