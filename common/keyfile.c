/*
 * The key file format (see keyfile.h): building and publishing an
 * image for jwksd, mapping and validating it for the readers, and the
 * kid-miss datagram a worker sends to jwksd.
 */
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include "digest.h"
#include "keyfile.h"

#define KF_MAGIC	"MCPJWKS"	/* 8 bytes with its NUL */
#define KF_HDR_LEN	128
#define KF_ISS_LEN	48
#define KF_KEY_LEN	64
#define KF_SUM_OFF	96

/* header offsets */
#define H_VERSION	8
#define H_HDRLEN	12
#define H_TOTAL		16
#define H_SERIAL	24
#define H_CREATED	32
#define H_NISS		40
#define H_NKEYS		44
#define H_ISSOFF	48
#define H_KEYOFF	52
#define H_DATAOFF	56
#define H_DATALEN	60

/* issuer record offsets */
#define I_NAMEOFF	0
#define I_NAMELEN	4
#define I_URLOFF	8
#define I_URLLEN	12
#define I_FETCHED	16
#define I_EXPIRES	24
#define I_METAOFF	32	/* version 2 */
#define I_METALEN	36
#define I_RESERVED	40

/* key record offsets */
#define K_ISSUER	0
#define K_KIDOFF	4
#define K_KIDLEN	8
#define K_DEROFF	12
#define K_DERLEN	16
#define K_KTY		20
#define K_ALG		21
#define K_FP		24

#define KTY_RSA		1
#define KTY_EC		2

static const struct {
	const char	*name;
	int		 kty;
	int		 nid;		/* curve for EC, 0 for RSA */
} algs[] = {
	{ NULL, 0, 0 },			/* 0 is never valid */
	{ "RS256", KTY_RSA, 0 },
	{ "RS384", KTY_RSA, 0 },
	{ "RS512", KTY_RSA, 0 },
	{ "PS256", KTY_RSA, 0 },
	{ "PS384", KTY_RSA, 0 },
	{ "PS512", KTY_RSA, 0 },
	{ "ES256", KTY_EC, NID_X9_62_prime256v1 },
	{ "ES384", KTY_EC, NID_secp384r1 },
	{ "ES512", KTY_EC, NID_secp521r1 },
};
#define NALGS	(sizeof(algs) / sizeof(algs[0]))

struct keyfile {
	unsigned char		*map;
	size_t			 len;
	uint64_t		 serial;
	int64_t			 created;
	uint64_t		 generation;	/* of the key set, see below */
	struct keyfile_issuer	*issuers;
	size_t			 nissuers;
	struct keyfile_key	*keys;
	size_t			 nkeys;
};

struct keyfile_reader {
	char		*path;
	struct keyfile	*cur;
	struct stat	 seen;		/* identity of cur's file */
	struct stat	 bad;		/* identity of the last bad file */
	int		 have_seen, have_bad;
};

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

static uint32_t
get32(const unsigned char *p)
{
	return ((uint32_t)p[0] | (uint32_t)p[1] << 8 |
	    (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24);
}

static uint64_t
get64(const unsigned char *p)
{
	return ((uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32);
}

/* SHA-256 of the image with the checksum field left out. */
static int
image_sum(const unsigned char *buf, size_t len, unsigned char *sum)
{
	EVP_MD_CTX	*ctx;
	int		 ok;

	if ((ctx = EVP_MD_CTX_new()) == NULL)
		return (-1);
	ok = EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) &&
	    EVP_DigestUpdate(ctx, buf, KF_SUM_OFF) &&
	    EVP_DigestUpdate(ctx, buf + KF_HDR_LEN, len - KF_HDR_LEN) &&
	    EVP_DigestFinal_ex(ctx, sum, NULL);
	EVP_MD_CTX_free(ctx);
	return (ok ? 0 : -1);
}

static int
sha256(const unsigned char *p, size_t len, unsigned char *out)
{
	return (digest_sha256(p, len, out));
}

static int
alg_index(const char *name)
{
	size_t	 i;

	for (i = 1; i < NALGS; i++)
		if (strcmp(algs[i].name, name) == 0)
			return ((int)i);
	return (-1);
}

/* Append a NUL-terminated string to the data area; returns its offset. */
static uint32_t
data_str(unsigned char *data, size_t *used, const char *s, size_t len)
{
	uint32_t	 off = *used;

	memcpy(data + *used, s, len);
	data[*used + len] = '\0';
	*used += len + 1;
	return (off);
}

/* Check the writer's input before sizing anything. */
static int
build_check(const struct keyfile_wissuer *iss, size_t niss,
    const struct keyfile_wkey *keys, size_t nkeys, size_t *datalen,
    const char **why)
{
	size_t	 i, n, total = 0;

	if (niss > KEYFILE_MAX_ISSUERS || nkeys > KEYFILE_MAX_KEYS) {
		*why = "too many issuers or keys";
		return (-1);
	}
	for (i = 0; i < niss; i++) {
		n = strlen(iss[i].name);
		if (n == 0 || n > KEYFILE_NAME_MAX) {
			*why = "bad issuer name length";
			return (-1);
		}
		total += n + 1;
		n = strlen(iss[i].issuer);
		if (n == 0 || n > KEYFILE_URL_MAX) {
			*why = "bad issuer URL length";
			return (-1);
		}
		total += n + 1;
		n = iss[i].metadata ? strlen(iss[i].metadata) : 0;
		if (n > KEYFILE_META_MAX) {
			*why = "issuer metadata too large";
			return (-1);
		}
		total += n > 0 ? n + 1 : 0;
	}
	for (i = 0; i < nkeys; i++) {
		n = strlen(keys[i].kid);
		if (keys[i].issuer >= niss || n == 0 ||
		    n > KEYFILE_KID_MAX || keys[i].der_len == 0 ||
		    keys[i].der_len > KEYFILE_DER_MAX ||
		    alg_index(keys[i].alg) == -1) {
			*why = "bad key";
			return (-1);
		}
		total += n + 1 + keys[i].der_len;
	}
	*datalen = total;
	return (0);
}

int
keyfile_build(uint64_t serial, int64_t created,
    const struct keyfile_wissuer *iss, size_t niss,
    const struct keyfile_wkey *keys, size_t nkeys,
    unsigned char **out, size_t *outlen, const char **why)
{
	unsigned char	*buf, *rec, *data;
	size_t		 i, datalen, used = 0, total, issoff, keyoff, dataoff;
	int		 a;

	if (build_check(iss, niss, keys, nkeys, &datalen, why) == -1)
		return (-1);
	issoff = KF_HDR_LEN;
	keyoff = issoff + niss * KF_ISS_LEN;
	dataoff = keyoff + nkeys * KF_KEY_LEN;
	total = dataoff + datalen;
	if (total > KEYFILE_MAX_SIZE) {
		*why = "image too large";
		return (-1);
	}
	if ((buf = calloc(1, total)) == NULL) {
		*why = "out of memory";
		return (-1);
	}
	data = buf + dataoff;
	memcpy(buf, KF_MAGIC, 8);
	put32(buf + H_VERSION, KEYFILE_VERSION);
	put32(buf + H_HDRLEN, KF_HDR_LEN);
	put64(buf + H_TOTAL, total);
	put64(buf + H_SERIAL, serial);
	put64(buf + H_CREATED, (uint64_t)created);
	put32(buf + H_NISS, niss);
	put32(buf + H_NKEYS, nkeys);
	put32(buf + H_ISSOFF, issoff);
	put32(buf + H_KEYOFF, keyoff);
	put32(buf + H_DATAOFF, dataoff);
	put32(buf + H_DATALEN, datalen);
	for (i = 0; i < niss; i++) {
		rec = buf + issoff + i * KF_ISS_LEN;
		put32(rec + I_NAMELEN, strlen(iss[i].name));
		put32(rec + I_NAMEOFF, data_str(data, &used, iss[i].name,
		    strlen(iss[i].name)));
		put32(rec + I_URLLEN, strlen(iss[i].issuer));
		put32(rec + I_URLOFF, data_str(data, &used, iss[i].issuer,
		    strlen(iss[i].issuer)));
		put64(rec + I_FETCHED, (uint64_t)iss[i].fetched);
		put64(rec + I_EXPIRES, (uint64_t)iss[i].expires);
		if (iss[i].metadata != NULL && iss[i].metadata[0] != '\0') {
			put32(rec + I_METALEN, strlen(iss[i].metadata));
			put32(rec + I_METAOFF, data_str(data, &used,
			    iss[i].metadata, strlen(iss[i].metadata)));
		}
	}
	for (i = 0; i < nkeys; i++) {
		rec = buf + keyoff + i * KF_KEY_LEN;
		a = alg_index(keys[i].alg);
		put32(rec + K_ISSUER, keys[i].issuer);
		put32(rec + K_KIDLEN, strlen(keys[i].kid));
		put32(rec + K_KIDOFF, data_str(data, &used, keys[i].kid,
		    strlen(keys[i].kid)));
		put32(rec + K_DEROFF, used);
		put32(rec + K_DERLEN, keys[i].der_len);
		memcpy(data + used, keys[i].der, keys[i].der_len);
		used += keys[i].der_len;
		rec[K_KTY] = algs[a].kty;
		rec[K_ALG] = a;
		if (sha256(keys[i].der, keys[i].der_len, rec + K_FP) == -1)
			goto digest;
	}
	if (image_sum(buf, total, buf + KF_SUM_OFF) == -1)
		goto digest;
	*out = buf;
	*outlen = total;
	return (0);
 digest:
	free(buf);
	*why = "digest failed";
	return (-1);
}

/* Write all of buf to fd, retrying short writes. */
static int
write_all(int fd, const unsigned char *buf, size_t len)
{
	ssize_t	 n;

	while (len > 0) {
		if ((n = write(fd, buf, len)) == -1) {
			if (errno == EINTR)
				continue;
			return (-1);
		}
		buf += n;
		len -= n;
	}
	return (0);
}

/* fsync the directory holding path so the rename is durable. */
static int
sync_dir(const char *path)
{
	char	 dir[PATH_MAX], *slash;
	int	 fd, rv;

	if (snprintf(dir, sizeof(dir), "%s", path) >= (int)sizeof(dir)) {
		errno = ENAMETOOLONG;
		return (-1);
	}
	if ((slash = strrchr(dir, '/')) == NULL)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return (-1);
	rv = fsync(fd);
	close(fd);
	return (rv);
}

int
keyfile_write(const char *path, gid_t gid, const unsigned char *buf,
    size_t len)
{
	char	 tmp[PATH_MAX];
	int	 fd, saved;

	if (snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path) >=
	    (int)sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return (-1);
	}
	if ((fd = mkostemp(tmp, O_CLOEXEC)) == -1)
		return (-1);
	if (fchmod(fd, 0640) == -1 ||
	    (gid != (gid_t)-1 && fchown(fd, (uid_t)-1, gid) == -1) ||
	    write_all(fd, buf, len) == -1 || fsync(fd) == -1)
		goto fail;
	if (close(fd) == -1) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) == -1)
		goto fail;
	return (sync_dir(path));
 fail:
	saved = errno;
	if (fd != -1)
		close(fd);
	unlink(tmp);
	errno = saved;
	return (-1);
}

/* A string in the data area: in bounds, NUL-terminated, no inner NUL. */
static const char *
check_str(const unsigned char *data, size_t datalen, uint32_t off,
    uint32_t len, size_t max)
{
	if (len == 0 || len > max || off > datalen ||
	    (size_t)len + 1 > datalen - off)
		return (NULL);
	if (data[off + len] != '\0' || memchr(data + off, '\0', len) != NULL)
		return (NULL);
	return ((const char *)data + off);
}

struct layout {
	size_t		 niss, nkeys, issoff, keyoff, dataoff, datalen;
	uint32_t	 version;
};

/* Check the header: magic, version, lengths, exact section layout. */
static int
check_header(const unsigned char *b, size_t len, struct layout *l,
    const char **why)
{
	unsigned char	 sum[KEYFILE_FP_LEN];
	size_t		 i;

	if (len < KF_HDR_LEN) {
		*why = "truncated header";
		return (-1);
	}
	if (memcmp(b, KF_MAGIC, 8) != 0) {
		*why = "bad magic";
		return (-1);
	}
	l->version = get32(b + H_VERSION);
	if (l->version != KEYFILE_VERSION && l->version != 1) {
		*why = "unsupported version";
		return (-1);
	}
	if (get32(b + H_HDRLEN) != KF_HDR_LEN) {
		*why = "bad header length";
		return (-1);
	}
	if (len > KEYFILE_MAX_SIZE) {
		*why = "file too large";
		return (-1);
	}
	if (get64(b + H_TOTAL) != len) {
		*why = "length mismatch (truncated or extended)";
		return (-1);
	}
	for (i = H_DATALEN + 4; i < KF_SUM_OFF; i++)
		if (b[i] != 0) {
			*why = "reserved header bytes set";
			return (-1);
		}
	l->niss = get32(b + H_NISS);
	l->nkeys = get32(b + H_NKEYS);
	l->issoff = get32(b + H_ISSOFF);
	l->keyoff = get32(b + H_KEYOFF);
	l->dataoff = get32(b + H_DATAOFF);
	l->datalen = get32(b + H_DATALEN);
	if (l->niss > KEYFILE_MAX_ISSUERS || l->nkeys > KEYFILE_MAX_KEYS) {
		*why = "too many issuers or keys";
		return (-1);
	}
	if (l->issoff != KF_HDR_LEN ||
	    l->keyoff != l->issoff + l->niss * KF_ISS_LEN ||
	    l->dataoff != l->keyoff + l->nkeys * KF_KEY_LEN ||
	    l->dataoff > len || l->datalen != len - l->dataoff) {
		*why = "bad section offsets";
		return (-1);
	}
	if (image_sum(b, len, sum) == -1 ||
	    memcmp(sum, b + KF_SUM_OFF, sizeof(sum)) != 0) {
		*why = "checksum mismatch";
		return (-1);
	}
	return (0);
}

/* Check every issuer record; fill out[] when not NULL. */
static int
check_issuers(const unsigned char *b, const struct layout *l,
    struct keyfile_issuer *out, const char **why)
{
	const unsigned char	*rec, *data = b + l->dataoff;
	const char		*name, *url, *meta;
	uint32_t		 moff, mlen;
	size_t			 i, j;
	int64_t			 fetched, expires;

	for (i = 0; i < l->niss; i++) {
		rec = b + l->issoff + i * KF_ISS_LEN;
		name = check_str(data, l->datalen, get32(rec + I_NAMEOFF),
		    get32(rec + I_NAMELEN), KEYFILE_NAME_MAX);
		url = check_str(data, l->datalen, get32(rec + I_URLOFF),
		    get32(rec + I_URLLEN), KEYFILE_URL_MAX);
		if (name == NULL || url == NULL) {
			*why = "bad issuer string";
			return (-1);
		}
		fetched = (int64_t)get64(rec + I_FETCHED);
		expires = (int64_t)get64(rec + I_EXPIRES);
		if (fetched < 0 || expires < fetched) {
			*why = "bad issuer times";
			return (-1);
		}
		for (j = I_RESERVED; j < KF_ISS_LEN; j++)
			if (rec[j] != 0) {
				*why = "reserved issuer bytes set";
				return (-1);
			}
		meta = NULL;
		moff = get32(rec + I_METAOFF);
		mlen = get32(rec + I_METALEN);
		if (mlen == 0 && moff != 0) {
			*why = "issuer metadata offset without length";
			return (-1);
		}
		if (mlen != 0 && (l->version < 2 || (meta = check_str(data,
		    l->datalen, moff, mlen, KEYFILE_META_MAX)) == NULL ||
		    meta[0] != '{')) {
			*why = "bad issuer metadata";
			return (-1);
		}
		if (out == NULL)
			continue;
		for (j = 0; j < i; j++)
			if (strcmp(out[j].name, name) == 0 ||
			    strcmp(out[j].issuer, url) == 0) {
				*why = "duplicate issuer";
				return (-1);
			}
		out[i].name = name;
		out[i].issuer = url;
		out[i].fetched = fetched;
		out[i].expires = expires;
		out[i].metadata = meta;
		out[i].metadata_len = mlen;
	}
	return (0);
}

/* Check every key record; fill out[] when not NULL. */
static int
check_keys(const unsigned char *b, const struct layout *l,
    const struct keyfile_issuer *iss, struct keyfile_key *out,
    const char **why)
{
	const unsigned char	*rec, *data = b + l->dataoff;
	const char		*kid;
	uint32_t		 ix, doff, dlen;
	size_t			 i, j;

	for (i = 0; i < l->nkeys; i++) {
		rec = b + l->keyoff + i * KF_KEY_LEN;
		ix = get32(rec + K_ISSUER);
		kid = check_str(data, l->datalen, get32(rec + K_KIDOFF),
		    get32(rec + K_KIDLEN), KEYFILE_KID_MAX);
		doff = get32(rec + K_DEROFF);
		dlen = get32(rec + K_DERLEN);
		if (ix >= l->niss || kid == NULL) {
			*why = "bad key issuer or kid";
			return (-1);
		}
		if (dlen == 0 || dlen > KEYFILE_DER_MAX ||
		    doff > l->datalen || dlen > l->datalen - doff) {
			*why = "bad key DER bounds";
			return (-1);
		}
		if (rec[K_ALG] == 0 || rec[K_ALG] >= NALGS ||
		    algs[rec[K_ALG]].kty != rec[K_KTY]) {
			*why = "bad key type or algorithm";
			return (-1);
		}
		if (rec[22] != 0 || rec[23] != 0 || get64(rec + 56) != 0) {
			*why = "reserved key bytes set";
			return (-1);
		}
		if (out == NULL)
			continue;
		for (j = 0; j < i; j++)
			if (out[j].issuer == &iss[ix] &&
			    strcmp(out[j].kid, kid) == 0) {
				*why = "duplicate kid";
				return (-1);
			}
		out[i].issuer = &iss[ix];
		out[i].kid = kid;
		out[i].kty = rec[K_KTY] == KTY_RSA ? "RSA" : "EC";
		out[i].alg = algs[rec[K_ALG]].name;
		out[i].der = data + doff;
		out[i].der_len = dlen;
		memcpy(out[i].fp, rec + K_FP, KEYFILE_FP_LEN);
	}
	return (0);
}

int
keyfile_check(const void *buf, size_t len, const char **why)
{
	struct layout	 l;

	if (check_header(buf, len, &l, why) == -1 ||
	    check_issuers(buf, &l, NULL, why) == -1 ||
	    check_keys(buf, &l, NULL, NULL, why) == -1)
		return (-1);
	return (0);
}

/*
 * SubjectPublicKeyInfo, read by hand: OpenSSL's decoder framework
 * (d2i_PUBKEY) costs every worker some 100 KiB of heap it never gives
 * back, and the master, which could have paid it once before forking,
 * does not read the key file.  Only what jwksd writes is taken: DER
 * with minimal lengths, rsaEncryption with NULL parameters and a
 * 2048 to 16384-bit modulus, or id-ecPublicKey on a named P-256, P-384
 * or P-521 curve with an uncompressed point; nothing may follow.
 */
struct der {
	const unsigned char	*p;
	size_t			 len;
};

static const unsigned char oid_rsa[] = {
	0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01 };
static const unsigned char oid_ec[] = {
	0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01 };
static const unsigned char oid_p256[] = {
	0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07 };
static const unsigned char oid_p384[] = { 0x2b, 0x81, 0x04, 0x00, 0x22 };
static const unsigned char oid_p521[] = { 0x2b, 0x81, 0x04, 0x00, 0x23 };

static const struct {
	const unsigned char	*oid;
	size_t			 oidlen;
	int			 nid;
	const char		*group;
	size_t			 flen;		/* field element bytes */
} curves[] = {
	{ oid_p256, sizeof(oid_p256), NID_X9_62_prime256v1, "prime256v1", 32 },
	{ oid_p384, sizeof(oid_p384), NID_secp384r1, "secp384r1", 48 },
	{ oid_p521, sizeof(oid_p521), NID_secp521r1, "secp521r1", 66 },
};
#define NCURVES	(sizeof(curves) / sizeof(curves[0]))

/* Take the next element of in, which must have tag; DER lengths only. */
static int
der_next(struct der *in, unsigned char tag, struct der *out)
{
	size_t	 len, hdr, n, i;

	if (in->len < 2 || in->p[0] != tag)
		return (-1);
	len = in->p[1];
	hdr = 2;
	if (len & 0x80) {
		n = len & 0x7f;
		/* no indefinite form; 2 bytes cover KEYFILE_DER_MAX */
		if (n == 0 || n > 2 || in->len - 2 < n || in->p[2] == 0)
			return (-1);
		for (len = 0, i = 0; i < n; i++)
			len = len << 8 | in->p[2 + i];
		if (len < 0x80)		/* the short form was required */
			return (-1);
		hdr += n;
	}
	if (len > in->len - hdr)
		return (-1);
	out->p = in->p + hdr;
	out->len = len;
	in->p += hdr + len;
	in->len -= hdr + len;
	return (0);
}

/* Take an OBJECT IDENTIFIER and say whether it is oid. */
static int
der_oid(struct der *in, const unsigned char *oid, size_t len)
{
	struct der	 o;

	if (der_next(in, 0x06, &o) == -1)
		return (-1);
	return (o.len == len && memcmp(o.p, oid, len) == 0 ? 0 : -1);
}

/* Take a positive INTEGER in minimal form; out holds its magnitude. */
static int
der_uint(struct der *in, struct der *out)
{
	if (der_next(in, 0x02, out) == -1 || out->len == 0 ||
	    (out->p[0] & 0x80) != 0)
		return (-1);
	if (out->p[0] == 0) {
		if (out->len == 1 || (out->p[1] & 0x80) == 0)
			return (-1);	/* zero, or a needless 00 */
		out->p++;
		out->len--;
	}
	return (0);
}

/* Build a public EVP_PKEY of type name from params. */
static EVP_PKEY *
pkey_fromdata(const char *name, OSSL_PARAM *params)
{
	EVP_PKEY_CTX	*ctx;
	EVP_PKEY	*pkey = NULL;

	if ((ctx = EVP_PKEY_CTX_new_from_name(NULL, name, NULL)) == NULL)
		return (NULL);
	if (EVP_PKEY_fromdata_init(ctx) <= 0 ||
	    EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) <= 0)
		pkey = NULL;
	EVP_PKEY_CTX_free(ctx);
	return (pkey);
}

/* RSAPublicKey (in the BIT STRING) to an EVP_PKEY. */
static EVP_PKEY *
spki_rsa(struct der *bits, const char **why)
{
	OSSL_PARAM_BLD	*bld = NULL;
	OSSL_PARAM	*params = NULL;
	BIGNUM		*n = NULL, *e = NULL;
	EVP_PKEY	*pkey = NULL;
	struct der	 seq, nd, ed;
	unsigned char	 top;
	int		 nbits;

	*why = "key DER does not parse";
	if (der_next(bits, 0x30, &seq) == -1 || bits->len != 0 ||
	    der_uint(&seq, &nd) == -1 || der_uint(&seq, &ed) == -1 ||
	    seq.len != 0)
		return (NULL);
	nbits = (int)nd.len * 8;	/* at most 8 * KEYFILE_DER_MAX */
	for (top = nd.p[0]; (top & 0x80) == 0; top <<= 1)
		nbits--;		/* top != 0: minimal */
	if (nbits < 2048 || nbits > 16384) {
		*why = "key is not RSA of at least 2048 bits";
		return (NULL);
	}
	/* as jwksd takes them: odd, above 1, at most 64 bits */
	if (ed.len > 8 || (ed.p[ed.len - 1] & 1) == 0 ||
	    (ed.len == 1 && ed.p[0] == 1)) {
		*why = "bad RSA exponent";
		return (NULL);
	}
	*why = "OpenSSL refused the key";
	if ((n = BN_bin2bn(nd.p, (int)nd.len, NULL)) == NULL ||
	    (e = BN_bin2bn(ed.p, (int)ed.len, NULL)) == NULL ||
	    (bld = OSSL_PARAM_BLD_new()) == NULL ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e) ||
	    (params = OSSL_PARAM_BLD_to_param(bld)) == NULL)
		goto done;
	pkey = pkey_fromdata("RSA", params);
 done:
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_free(n);
	BN_free(e);
	return (pkey);
}

/* An uncompressed point on curve c to an EVP_PKEY (checked on curve). */
static EVP_PKEY *
spki_ec(struct der *bits, size_t c, const char **why)
{
	OSSL_PARAM	 params[3];
	EVP_PKEY	*pkey;

	if (bits->len != 1 + 2 * curves[c].flen || bits->p[0] != 0x04) {
		*why = "key DER does not parse";
		return (NULL);
	}
	params[0] = OSSL_PARAM_construct_utf8_string(
	    OSSL_PKEY_PARAM_GROUP_NAME, (char *)curves[c].group, 0);
	params[1] = OSSL_PARAM_construct_octet_string(
	    OSSL_PKEY_PARAM_PUB_KEY, (void *)bits->p, bits->len);
	params[2] = OSSL_PARAM_construct_end();
	if ((pkey = pkey_fromdata("EC", params)) == NULL)
		*why = "point not on the curve";
	return (pkey);
}

EVP_PKEY *
keyfile_spki(const unsigned char *der, size_t len, const char *alg,
    const char **why)
{
	struct der	 in = { der, len }, spki, algid, bits, null;
	size_t		 c;
	int		 a;

	if ((a = alg_index(alg)) == -1) {
		*why = "unknown algorithm";
		return (NULL);
	}
	*why = "key DER does not parse";
	if (len > KEYFILE_DER_MAX || der_next(&in, 0x30, &spki) == -1 ||
	    in.len != 0 || der_next(&spki, 0x30, &algid) == -1 ||
	    der_next(&spki, 0x03, &bits) == -1 || spki.len != 0 ||
	    bits.len < 1 || bits.p[0] != 0)	/* whole bytes only */
		return (NULL);
	bits.p++;
	bits.len--;
	if (algs[a].kty == KTY_RSA) {
		if (der_oid(&algid, oid_rsa, sizeof(oid_rsa)) == -1 ||
		    der_next(&algid, 0x05, &null) == -1 || null.len != 0 ||
		    algid.len != 0) {
			*why = "key is not RSA of at least 2048 bits";
			return (NULL);
		}
		return (spki_rsa(&bits, why));
	}
	if (der_oid(&algid, oid_ec, sizeof(oid_ec)) == -1) {
		*why = "key curve does not match its algorithm";
		return (NULL);
	}
	for (c = 0; c < NCURVES; c++)
		if (curves[c].nid == algs[a].nid)
			break;
	if (c == NCURVES || der_oid(&algid, curves[c].oid,
	    curves[c].oidlen) == -1 || algid.len != 0) {
		*why = "key curve does not match its algorithm";
		return (NULL);
	}
	return (spki_ec(&bits, c, why));
}

/* Build k->pkey from its DER, which must match kty and alg. */
static int
key_build(struct keyfile_key *k, int alg, const char **why)
{
	unsigned char		 fp[KEYFILE_FP_LEN];

	if (sha256(k->der, k->der_len, fp) == -1 ||
	    memcmp(fp, k->fp, sizeof(fp)) != 0) {
		*why = "key fingerprint mismatch";
		return (-1);
	}
	if ((k->pkey = keyfile_spki(k->der, k->der_len, algs[alg].name,
	    why)) == NULL)
		return (-1);
	return (0);
}

/* Validate a mapped image and index it into kf. */
static int
keyfile_index(struct keyfile *kf, const char **why)
{
	struct layout	 l;
	size_t		 i;
	int		 a;

	if (check_header(kf->map, kf->len, &l, why) == -1)
		return (-1);
	kf->serial = get64(kf->map + H_SERIAL);
	kf->created = (int64_t)get64(kf->map + H_CREATED);
	if ((kf->issuers = calloc(l.niss + 1, sizeof(*kf->issuers))) ==
	    NULL || (kf->keys = calloc(l.nkeys + 1, sizeof(*kf->keys))) ==
	    NULL) {
		*why = "out of memory";
		return (-1);
	}
	kf->nissuers = l.niss;
	if (check_issuers(kf->map, &l, kf->issuers, why) == -1 ||
	    check_keys(kf->map, &l, kf->issuers, kf->keys, why) == -1)
		return (-1);
	kf->nkeys = l.nkeys;
	for (i = 0; i < kf->nkeys; i++) {
		a = kf->map[l.keyoff + i * KF_KEY_LEN + K_ALG];
		if (key_build(&kf->keys[i], a, why) == -1)
			return (-1);
	}
	return (0);
}

/*
 * The key-set generation: SHA-256 over each key's issuer URL, kid, alg
 * and fingerprint (of its DER), in file order; the first 8 bytes.  A
 * republication with the same keys (new fetch time, hard expiry,
 * metadata, serial) has the same generation.  0 when hashing failed
 * (never equal to a real one but by chance of 2^-64).
 */
static void
key_generation(struct keyfile *kf)
{
	EVP_MD_CTX		*ctx;
	const struct keyfile_key *k;
	unsigned char		 md[DIGEST_LEN];
	size_t			 i;
	int			 ok;

	kf->generation = 0;
	if ((ctx = EVP_MD_CTX_new()) == NULL)
		return;
	ok = EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
	for (i = 0; ok && i < kf->nkeys; i++) {
		k = &kf->keys[i];
		ok = EVP_DigestUpdate(ctx, k->issuer->issuer,
		    strlen(k->issuer->issuer) + 1) &&
		    EVP_DigestUpdate(ctx, k->kid, strlen(k->kid) + 1) &&
		    EVP_DigestUpdate(ctx, k->alg, strlen(k->alg) + 1) &&
		    EVP_DigestUpdate(ctx, k->fp, KEYFILE_FP_LEN);
	}
	if (ok && EVP_DigestFinal_ex(ctx, md, NULL))
		memcpy(&kf->generation, md, sizeof(kf->generation));
	EVP_MD_CTX_free(ctx);
}

/* Map fd (already fstat'ed into st) and validate it. */
static int
keyfile_map(int fd, const struct stat *st, struct keyfile **kfp,
    const char **why)
{
	struct keyfile	*kf;

	if (!S_ISREG(st->st_mode)) {
		*why = "not a regular file";
		return (-1);
	}
	if (st->st_size < KF_HDR_LEN) {
		*why = "truncated header";
		return (-1);
	}
	if (st->st_size > KEYFILE_MAX_SIZE) {
		*why = "file too large";
		return (-1);
	}
	if ((kf = calloc(1, sizeof(*kf))) == NULL) {
		*why = "out of memory";
		return (-1);
	}
	kf->len = st->st_size;
	kf->map = mmap(NULL, kf->len, PROT_READ, MAP_PRIVATE, fd, 0);
	if (kf->map == MAP_FAILED) {
		kf->map = NULL;
		*why = "mmap failed";
		keyfile_close(kf);
		return (-1);
	}
	if (keyfile_index(kf, why) == -1) {
		keyfile_close(kf);
		return (-1);
	}
	key_generation(kf);
	*kfp = kf;
	return (0);
}

/* Open path, returning its identity in st (for the reader). */
static int
open_stat(const char *path, struct stat *st, struct keyfile **kfp,
    char *why, size_t whylen)
{
	const char	*reason;
	int		 fd, rv;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1) {
		snprintf(why, whylen, "%s: %s", path, strerror(errno));
		return (-1);
	}
	if (fstat(fd, st) == -1) {
		snprintf(why, whylen, "%s: %s", path, strerror(errno));
		close(fd);
		return (-1);
	}
	rv = keyfile_map(fd, st, kfp, &reason);
	close(fd);
	if (rv == -1)
		snprintf(why, whylen, "%s: %s", path, reason);
	return (rv);
}

int
keyfile_open(const char *path, struct keyfile **kfp, char *why,
    size_t whylen)
{
	struct stat	 st;

	return (open_stat(path, &st, kfp, why, whylen));
}

void
keyfile_close(struct keyfile *kf)
{
	size_t	 i;

	if (kf == NULL)
		return;
	if (kf->keys != NULL)
		for (i = 0; i < kf->nkeys; i++)
			EVP_PKEY_free(kf->keys[i].pkey);
	free(kf->keys);
	free(kf->issuers);
	if (kf->map != NULL)
		munmap(kf->map, kf->len);
	free(kf);
}

const struct keyfile_issuer *
keyfile_issuer(const struct keyfile *kf, const char *issuer)
{
	size_t	 i;

	for (i = 0; i < kf->nissuers; i++)
		if (strcmp(kf->issuers[i].issuer, issuer) == 0)
			return (&kf->issuers[i]);
	for (i = 0; i < kf->nissuers; i++)
		if (strcmp(kf->issuers[i].name, issuer) == 0)
			return (&kf->issuers[i]);
	return (NULL);
}

const struct keyfile_key *
keyfile_find(const struct keyfile *kf, const char *issuer, const char *kid,
    time_t now)
{
	size_t	 i;

	for (i = 0; i < kf->nkeys; i++) {
		if (strcmp(kf->keys[i].kid, kid) != 0 ||
		    strcmp(kf->keys[i].issuer->issuer, issuer) != 0)
			continue;
		if ((int64_t)now >= kf->keys[i].issuer->expires)
			return (NULL);	/* fail closed */
		return (&kf->keys[i]);
	}
	return (NULL);
}

size_t
keyfile_nkeys(const struct keyfile *kf)
{
	return (kf->nkeys);
}

const struct keyfile_key *
keyfile_key(const struct keyfile *kf, size_t i)
{
	return (i < kf->nkeys ? &kf->keys[i] : NULL);
}

size_t
keyfile_nissuers(const struct keyfile *kf)
{
	return (kf->nissuers);
}

const struct keyfile_issuer *
keyfile_issuer_at(const struct keyfile *kf, size_t i)
{
	return (i < kf->nissuers ? &kf->issuers[i] : NULL);
}

uint64_t
keyfile_serial(const struct keyfile *kf)
{
	return (kf->serial);
}

uint64_t
keyfile_generation(const struct keyfile *kf)
{
	return (kf->generation);
}

int64_t
keyfile_created(const struct keyfile *kf)
{
	return (kf->created);
}

struct keyfile_reader *
keyfile_reader_new(const char *path)
{
	struct keyfile_reader	*r;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return (NULL);
	if ((r->path = strdup(path)) == NULL) {
		free(r);
		return (NULL);
	}
	return (r);
}

void
keyfile_reader_free(struct keyfile_reader *r)
{
	if (r == NULL)
		return;
	keyfile_close(r->cur);
	free(r->path);
	free(r);
}

/* Same file: inode, device, size and modification time. */
static int
same_file(const struct stat *a, const struct stat *b)
{
	return (a->st_ino == b->st_ino && a->st_dev == b->st_dev &&
	    a->st_size == b->st_size &&
	    a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
	    a->st_mtim.tv_nsec == b->st_mtim.tv_nsec);
}

int
keyfile_reader_check(struct keyfile_reader *r, char *why, size_t whylen)
{
	struct keyfile	*kf;
	struct stat	 st, opened;

	if (stat(r->path, &st) == -1) {
		snprintf(why, whylen, "%s: %s", r->path, strerror(errno));
		return (-1);
	}
	if (r->have_seen && same_file(&st, &r->seen))
		return (0);
	if (r->have_bad && same_file(&st, &r->bad)) {
		snprintf(why, whylen, "%s: still the same bad file", r->path);
		return (-1);
	}
	if (open_stat(r->path, &opened, &kf, why, whylen) == -1) {
		r->bad = st;
		r->have_bad = 1;
		return (-1);
	}
	keyfile_close(r->cur);
	r->cur = kf;
	r->seen = opened;
	r->have_seen = 1;
	return (1);
}

const struct keyfile *
keyfile_reader_current(const struct keyfile_reader *r)
{
	return (r->cur);
}

int
keyfile_request_fetch(const char *sockpath, const char *issuer,
    const char *kid)
{
	struct sockaddr_un	 sun;
	char			 msg[KEYFILE_MSG_MAX];
	int			 fd, n, saved;

	if (strchr(issuer, '\n') != NULL || strchr(kid, '\n') != NULL ||
	    strlen(issuer) > KEYFILE_URL_MAX ||
	    strlen(kid) > KEYFILE_KID_MAX) {
		errno = EINVAL;
		return (-1);
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", sockpath) >=
	    (int)sizeof(sun.sun_path)) {
		errno = ENAMETOOLONG;
		return (-1);
	}
	n = snprintf(msg, sizeof(msg), "miss\n%s\n%s\n", issuer, kid);
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) == -1)
		return (-1);
	if (sendto(fd, msg, n, MSG_DONTWAIT, (struct sockaddr *)&sun,
	    sizeof(sun)) != n) {
		saved = errno;
		close(fd);
		errno = saved;
		return (-1);
	}
	close(fd);
	return (0);
}

/* Copy one newline-terminated field; returns the rest or NULL. */
static const char *
take_line(const char *p, const char *end, char *out, size_t outlen)
{
	const char	*nl;
	size_t		 n;

	if ((nl = memchr(p, '\n', end - p)) == NULL)
		return (NULL);
	n = nl - p;
	if (n >= outlen || memchr(p, '\0', n) != NULL)
		return (NULL);
	memcpy(out, p, n);
	out[n] = '\0';
	return (nl + 1);
}

int
keyfile_parse_request(const char *msg, size_t len, char *issuer,
    size_t issuerlen, char *kid, size_t kidlen)
{
	const char	*p = msg, *end = msg + len;
	char		 verb[8];

	if (len > KEYFILE_MSG_MAX ||
	    (p = take_line(p, end, verb, sizeof(verb))) == NULL ||
	    strcmp(verb, "miss") != 0 ||
	    (p = take_line(p, end, issuer, issuerlen)) == NULL ||
	    issuer[0] == '\0' ||
	    (p = take_line(p, end, kid, kidlen)) == NULL || p != end)
		return (-1);
	return (0);
}

void
keyfile_fp_hex(const unsigned char *fp, char *out, size_t outlen)
{
	static const char	 hex[] = "0123456789abcdef";
	size_t			 i;

	if (outlen < KEYFILE_FP_LEN * 2 + 1) {
		if (outlen > 0)
			out[0] = '\0';
		return;
	}
	for (i = 0; i < KEYFILE_FP_LEN; i++) {
		out[2 * i] = hex[fp[i] >> 4];
		out[2 * i + 1] = hex[fp[i] & 0xf];
	}
	out[2 * i] = '\0';
}
