/*
 * SHA-256 for every part that hashes (token cache keys, loggable token
 * and session identities, key file checksums, key fingerprints).
 */
#ifndef DIGEST_H
#define DIGEST_H

#include <stddef.h>

#define DIGEST_LEN	32

int	 digest_sha256(const void *p, size_t len, unsigned char *out);
void	 digest_hex(const unsigned char *md, size_t n, char *out);

#endif
