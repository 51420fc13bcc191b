/*
 * SHA-256 with the algorithm fetched once and one context reused.
 * EVP_Digest() looks the algorithm up under a lock and allocates a
 * context on every call: a tenth of a request that carries a cached
 * token went there (bench/PROFILE.md).  Each process has its own copy
 * after fork(); none of the daemons hashes from two threads.
 */
#include <string.h>

#include <openssl/evp.h>

#include "digest.h"

/* out: DIGEST_LEN bytes.  Returns 0, or -1 (out zeroed). */
int
digest_sha256(const void *p, size_t len, unsigned char *out)
{
	static EVP_MD		*md;
	static EVP_MD_CTX	*ctx;

	if (md == NULL && (md = EVP_MD_fetch(NULL, "SHA256", NULL)) == NULL)
		goto fail;
	if (ctx == NULL && (ctx = EVP_MD_CTX_new()) == NULL)
		goto fail;
	if (EVP_DigestInit_ex(ctx, md, NULL) != 1 ||
	    EVP_DigestUpdate(ctx, len > 0 ? p : "", len) != 1 ||
	    EVP_DigestFinal_ex(ctx, out, NULL) != 1)
		goto fail;
	return (0);
fail:
	memset(out, 0, DIGEST_LEN);
	return (-1);
}

/* The first n bytes of md as 2n lower-case hex digits and a NUL. */
void
digest_hex(const unsigned char *md, size_t n, char *out)
{
	static const char	 hex[] = "0123456789abcdef";
	size_t			 i;

	for (i = 0; i < n; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[2 * n] = '\0';
}
