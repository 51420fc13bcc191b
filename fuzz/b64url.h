/*
 * fuzz/b64url.h: base64url encoding for the fuzz targets that make
 * tokens (fuzz_auth.c, fuzz_token.c).  Included once, by a .c file.
 */
static const char b64a[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* base64url without padding into out (n * 4 / 3 + 4 bytes); its length. */
static size_t
b64url(const unsigned char *p, size_t n, char *out)
{
	char		*o = out;
	uint32_t	 v;
	size_t		 i;

	for (i = 0; i + 2 < n; i += 3) {
		v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
		*o++ = b64a[v >> 18];
		*o++ = b64a[(v >> 12) & 63];
		*o++ = b64a[(v >> 6) & 63];
		*o++ = b64a[v & 63];
	}
	if (n - i == 1) {
		v = (uint32_t)p[i] << 16;
		*o++ = b64a[v >> 18];
		*o++ = b64a[(v >> 12) & 63];
	} else if (n - i == 2) {
		v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8;
		*o++ = b64a[v >> 18];
		*o++ = b64a[(v >> 12) & 63];
		*o++ = b64a[(v >> 6) & 63];
	}
	*o = '\0';
	return ((size_t)(o - out));
}
