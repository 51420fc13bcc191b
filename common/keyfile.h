/*
 * The key file: the only interface between jwksd (which writes it) and
 * the mcpproxyd workers (which map it).  This module owns its format.
 *
 * A published file is never modified: the writer builds a new one
 * beside it and renames it into place, so a reader sees the old file or
 * the new one, never half of one.  A reader validates a mapping
 * completely before trusting any byte of it and builds each key's
 * EVP_PKEY once per mapping.
 *
 * Layout (version 2, integers little-endian, no padding):
 *	header	128 bytes: magic "MCPJWKS\0", version, header length,
 *		total length, serial, creation time, issuer and key counts,
 *		section offsets, zero padding, SHA-256 of the whole file
 *		with the checksum field itself left out
 *	issuers	n x 48 bytes: name and issuer URL (data offsets and
 *		lengths), last good fetch, hard expiry, and (version 2)
 *		the offset and length of the issuer's authorization server
 *		metadata, a JSON object jwksd vouches for (length 0: none)
 *	keys	n x 64 bytes: issuer index, kid, DER SubjectPublicKeyInfo
 *		(data offsets and lengths), kty, pinned alg, SHA-256 of the DER
 *	data	NUL-terminated strings and DER bytes
 *
 * Version 1 is version 2 without metadata; readers take both, so new
 * workers keep working on the file of a jwksd not yet restarted.
 */
#ifndef COMMON_KEYFILE_H
#define COMMON_KEYFILE_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <openssl/evp.h>

#define KEYFILE_VERSION		2
#define KEYFILE_MAX_SIZE	(4 * 1024 * 1024)
#define KEYFILE_MAX_ISSUERS	256
#define KEYFILE_MAX_KEYS	1024
#define KEYFILE_NAME_MAX	64	/* issuer section name */
#define KEYFILE_URL_MAX		2048	/* issuer URL */
#define KEYFILE_KID_MAX		128
#define KEYFILE_DER_MAX		4096	/* RSA up to 16384 bits */
#define KEYFILE_META_MAX	65536	/* issuer metadata JSON */
#define KEYFILE_FP_LEN		32	/* SHA-256 */
#define KEYFILE_MSG_MAX		(KEYFILE_URL_MAX + KEYFILE_KID_MAX + 16)

/* One issuer of a validated mapping; strings point into the mapping. */
struct keyfile_issuer {
	const char	*name;		/* [issuer NAME] section name */
	const char	*issuer;	/* issuer URL, as in a token's iss */
	int64_t		 fetched;	/* last successful fetch (unix time) */
	int64_t		 expires;	/* hard expiry: no keys at or after */
	const char	*metadata;	/* JSON object, or NULL */
	size_t		 metadata_len;
};

/* One key of a validated mapping. */
struct keyfile_key {
	const struct keyfile_issuer *issuer;
	const char	*kid;
	const char	*kty;		/* "RSA" or "EC" */
	const char	*alg;		/* the only algorithm this key allows */
	const unsigned char *der;	/* SubjectPublicKeyInfo */
	size_t		 der_len;
	unsigned char	 fp[KEYFILE_FP_LEN];	/* SHA-256 of der */
	EVP_PKEY	*pkey;		/* built once when the file is opened */
};

struct keyfile;		/* one validated mapping */
struct keyfile_reader;	/* a path, its current mapping, change detection */

/* Writer side (jwksd). */
struct keyfile_wissuer {
	const char	*name;
	const char	*issuer;
	int64_t		 fetched;
	int64_t		 expires;
	const char	*metadata;	/* NULL or "": none */
};

struct keyfile_wkey {
	size_t		 issuer;	/* index into the issuer array */
	const char	*kid;
	const char	*alg;		/* RS256 ... ES512 */
	const unsigned char *der;
	size_t		 der_len;
};

/*
 * Build a key file image in memory.  Returns 0 and a malloc'd buffer
 * in *out, or -1 with a reason in *why (nothing allocated).
 */
int	keyfile_build(uint64_t serial, int64_t created,
	    const struct keyfile_wissuer *, size_t,
	    const struct keyfile_wkey *, size_t,
	    unsigned char **out, size_t *outlen, const char **why);
/*
 * Publish an image at path: temp file beside it, mode 0640 and group
 * gid (unless (gid_t)-1), fsync, rename, fsync the directory.
 * Returns 0, or -1 with errno set (the old file is left alone).
 */
int	keyfile_write(const char *path, gid_t gid, const unsigned char *,
	    size_t);

/*
 * Validate an image completely (magic, version, lengths, checksum,
 * every offset, string and count).  Returns 0, or -1 with *why.
 */
int	keyfile_check(const void *, size_t, const char **why);

/* Reader side (workers, jwksd -l, jwksd at start). */

/*
 * Build the public key of a SubjectPublicKeyInfo DER for algorithm alg
 * (RS256 ... ES512) without OpenSSL's decoders; strict DER, nothing
 * trailing.  Returns the key, or NULL with a reason in *why.
 */
EVP_PKEY *keyfile_spki(const unsigned char *der, size_t len,
	    const char *alg, const char **why);

/*
 * Map and validate the file at path and build every key's EVP_PKEY.
 * Returns 0 and the mapping in *kfp, or -1 with a reason in why.
 */
int	keyfile_open(const char *path, struct keyfile **kfp, char *why,
	    size_t whylen);
/* Unmap a mapping and free its keys (NULL is fine). */
void	keyfile_close(struct keyfile *);
/*
 * Find the key (issuer URL, kid).  Returns NULL when absent or when
 * the issuer's keys are past their hard expiry at now (fail closed).
 */
const struct keyfile_key *keyfile_find(const struct keyfile *,
	    const char *issuer, const char *kid, time_t now);
/* Find an issuer by URL (or by section name); NULL when absent. */
const struct keyfile_issuer *keyfile_issuer(const struct keyfile *,
	    const char *issuer);
/* Number of keys, and key i (expired ones included: check expires). */
size_t	keyfile_nkeys(const struct keyfile *);
const struct keyfile_key *keyfile_key(const struct keyfile *, size_t);
size_t	keyfile_nissuers(const struct keyfile *);
const struct keyfile_issuer *keyfile_issuer_at(const struct keyfile *,
	    size_t);
/* The writer's serial number (grows with each publication). */
uint64_t keyfile_serial(const struct keyfile *);
int64_t	keyfile_created(const struct keyfile *);
/*
 * The key-set generation: changes only when the keys change (issuer,
 * kid, alg or key material), not with a republication of the same keys
 * (serial, fetch time, hard expiry, metadata).  Token caches key on it.
 */
uint64_t keyfile_generation(const struct keyfile *);

/* A reader: the current mapping of a path and cheap change detection. */
struct keyfile_reader *keyfile_reader_new(const char *path);
void	keyfile_reader_free(struct keyfile_reader *);
/*
 * One stat(2) of the path; when the file was replaced, open and
 * validate the new one.  Returns 1 when a new mapping replaced the
 * old, 0 when nothing changed, -1 when the file is missing or the new
 * one is bad (why says so; the old mapping, if any, is kept and the
 * same bad file is not tried again).  Rate-limit calls (once per
 * connection and at most once a second on a kept-alive connection).
 */
int	keyfile_reader_check(struct keyfile_reader *, char *why,
	    size_t whylen);
/* The current mapping, or NULL when no good file was ever seen. */
const struct keyfile *keyfile_reader_current(const struct keyfile_reader *);

/*
 * Ask jwksd (its control socket at sockpath) to refetch the keys of
 * issuer (URL or name) because kid was not found.  Never blocks.
 * Returns 0 when the datagram was sent, -1 with errno otherwise.
 */
int	keyfile_request_fetch(const char *sockpath, const char *issuer,
	    const char *kid);
/*
 * Parse such a datagram (jwksd side).  Returns 0 with issuer and kid
 * copied out (NUL-terminated, kid may be empty), -1 when malformed.
 */
int	keyfile_parse_request(const char *msg, size_t len, char *issuer,
	    size_t issuerlen, char *kid, size_t kidlen);

/* Format a fingerprint as 64 lowercase hex digits plus NUL. */
void	keyfile_fp_hex(const unsigned char *fp, char *out, size_t outlen);

#endif
