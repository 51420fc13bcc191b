/*
 * jwksd's status file (jwksstatus.h): written by jwksd, read by the
 * mcpproxyd workers when their metrics are scraped.  Strict: a reader
 * takes a file whole or not at all.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jwksstatus.h"

static int
name_byte(int c)
{
	return ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '.' || c == '_' || c == ':' ||
	    c == '-');
}

/* One issuer's line into buf (jwksstatus.h). */
size_t
jwksstatus_line(const struct jwksstatus *s, char *buf, size_t len)
{
	char	 name[JWKSSTATUS_NAME_MAX];
	size_t	 i;
	int	 n;

	for (i = 0; i < sizeof(name) - 1 && s->name[i] != '\0'; i++)
		name[i] = name_byte((unsigned char)s->name[i]) ? s->name[i] :
		    '_';
	name[i] = '\0';
	if (i == 0)
		snprintf(name, sizeof(name), "_");
	n = snprintf(buf, len, "issuer %s %" PRIu64 " %" PRId64 " %" PRId64
	    " %" PRIu64 "\n", name, s->keys, s->fetched < 0 ? 0 : s->fetched,
	    s->next < 0 ? 0 : s->next, s->failures);
	if (n < 0 || (size_t)n >= len)
		return (0);
	return ((size_t)n);
}

/* A decimal number of at most 19 digits, no sign; 0 or -1. */
static int
number(const char **p, const char *end, uint64_t *v)
{
	const char	*s = *p;
	int		 digits = 0;

	*v = 0;
	while (s < end && *s >= '0' && *s <= '9') {
		if (++digits > 19)
			return (-1);
		*v = *v * 10 + (uint64_t)(*s++ - '0');
	}
	if (digits == 0 || (digits > 1 && **p == '0'))
		return (-1);
	*p = s;
	return (0);
}

/* One "issuer ..." line in [p, end) without its newline; 0 or -1. */
static int
parse_line(const char *p, const char *end, struct jwksstatus *s)
{
	uint64_t	 v[4];
	size_t		 n = 0, i;

	if ((size_t)(end - p) < 7 || memcmp(p, "issuer ", 7) != 0)
		return (-1);
	for (p += 7; p < end && *p != ' '; p++) {
		if (!name_byte((unsigned char)*p) || n >= sizeof(s->name) - 1)
			return (-1);
		s->name[n++] = *p;
	}
	if (n == 0)
		return (-1);
	s->name[n] = '\0';
	for (i = 0; i < 4; i++) {
		if (p >= end || *p++ != ' ' || number(&p, end, &v[i]) == -1)
			return (-1);
	}
	if (p != end || v[1] > INT64_MAX || v[2] > INT64_MAX)
		return (-1);
	s->keys = v[0];
	s->fetched = (int64_t)v[1];
	s->next = (int64_t)v[2];
	s->failures = v[3];
	return (0);
}

/* A status file's issuers into out (jwksstatus.h). */
int
jwksstatus_parse(const char *text, size_t len, struct jwksstatus *out,
    size_t max, const char **why)
{
	const char	*p = text, *end = text + len, *nl;
	size_t		 hl = strlen(JWKSSTATUS_HEADER), n = 0;

	if (len > JWKSSTATUS_MAX_SIZE) {
		*why = "too large";
		return (-1);
	}
	if (len < hl || memcmp(text, JWKSSTATUS_HEADER, hl) != 0) {
		*why = "not a jwksd status file";
		return (-1);
	}
	for (p += hl; p < end; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL) {
			*why = "last line not ended";
			return (-1);
		}
		if (n >= max || n >= JWKSSTATUS_MAX_ISSUERS) {
			*why = "too many issuers";
			return (-1);
		}
		if (parse_line(p, nl, &out[n]) == -1) {
			*why = "malformed line";
			return (-1);
		}
		n++;
	}
	return ((int)n);
}
