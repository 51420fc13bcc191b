/*
 * base64url without padding, for the unit tests that build tokens
 * (unit_es256.h, mcpproxyd_token.c); the caller frees the string.
 */
#ifndef TESTS_UNIT_B64URL_H
#define TESTS_UNIT_B64URL_H

#include <stdint.h>
#include <stdlib.h>

static inline char *
b64url(const unsigned char *p, size_t n)
{
	static const char	 a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789-_";
	char			*out = malloc(n * 4 / 3 + 4), *o = out;
	size_t			 i;
	uint32_t		 v;

	for (i = 0; i + 2 < n; i += 3) {
		v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
		*o++ = a[v >> 18];
		*o++ = a[(v >> 12) & 63];
		*o++ = a[(v >> 6) & 63];
		*o++ = a[v & 63];
	}
	if (n - i == 1) {
		*o++ = a[p[i] >> 2];
		*o++ = a[(p[i] & 3) << 4];
	} else if (n - i == 2) {
		v = (uint32_t)p[i] << 8 | p[i + 1];
		*o++ = a[v >> 10];
		*o++ = a[(v >> 4) & 63];
		*o++ = a[(v & 15) << 2];
	}
	*o = '\0';
	return (out);
}

#endif
