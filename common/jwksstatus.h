/*
 * jwksd's status file: what jwksd knows of each issuer's keys (how
 * many it holds, the last good fetch, the next refresh, the failures
 * in a row), for the mcpproxyd metrics.  A channel of its own beside
 * the key file, which stays the keys alone: jwksd writes it with
 * keyfile_write() (temp, fsync, rename) next to the key file, as
 * KEY_FILE.status; a worker reads it when scraped.  This module owns
 * its format, one line an issuer:
 *
 *	jwksd-status 1
 *	issuer NAME KEYS FETCHED NEXT FAILURES
 *
 * NAME is the [issuer] section name (bytes other than letters, digits
 * and ._:- written '_'), the rest decimal (times in unix seconds, 0:
 * never).
 */
#ifndef COMMON_JWKSSTATUS_H
#define COMMON_JWKSSTATUS_H

#include <stddef.h>
#include <stdint.h>

#define JWKSSTATUS_MAX_ISSUERS	256
#define JWKSSTATUS_NAME_MAX	64
#define JWKSSTATUS_MAX_SIZE	(JWKSSTATUS_MAX_ISSUERS * 160 + 32)
#define JWKSSTATUS_SUFFIX	".status"

struct jwksstatus {
	char		 name[JWKSSTATUS_NAME_MAX];
	uint64_t	 keys;
	int64_t		 fetched;
	int64_t		 next;
	uint64_t	 failures;
};

/* One issuer's line into buf; its length, or 0 when it does not fit. */
size_t	jwksstatus_line(const struct jwksstatus *s, char *buf, size_t len);
/* The first line. */
#define JWKSSTATUS_HEADER	"jwksd-status 1\n"
/*
 * Parse a status file's text (len bytes, need not be NUL-terminated).
 * Returns the number of issuers read into out (at most max), or -1
 * with *why when any line is malformed.
 */
int	jwksstatus_parse(const char *text, size_t len, struct jwksstatus *out,
	    size_t max, const char **why);

#endif
