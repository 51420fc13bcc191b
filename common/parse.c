/*
 * Number parsers shared by the configuration readers (see parse.h).
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"

/* Digits of s up to end (exclusive) as a value; 0 or -1 on overflow. */
static int
digits(const char *s, const char *end, long long *out)
{
	long long	 v = 0;

	if (s == end)
		return (-1);
	for (; s < end; s++) {
		if (*s < '0' || *s > '9')
			return (-1);
		if (v > (LLONG_MAX - (*s - '0')) / 10)
			return (-1);
		v = v * 10 + (*s - '0');
	}
	*out = v;
	return (0);
}

/* The number, times the unit its last character names (if in units). */
static int
scaled(const char *s, const char *units, const long long *muls,
    long long min, long long max, long long *out)
{
	const char	*end = s + strlen(s), *u;
	long long	 v, mul = 1;

	if (end > s && (u = strchr(units, end[-1])) != NULL && *u != '\0') {
		mul = muls[u - units];
		end--;
	}
	if (digits(s, end, &v) == -1 || v > LLONG_MAX / mul)
		return (-1);
	v *= mul;
	if (v < min || v > max)
		return (-1);
	*out = v;
	return (0);
}

int
parse_int(const char *s, long long min, long long max, long long *out)
{
	return (scaled(s, "", NULL, min, max, out));
}

int
parse_size(const char *s, long long min, long long max, long long *out)
{
	static const long long	 muls[] = { 1024, 1024, 1048576, 1048576 };

	return (scaled(s, "kKmM", muls, min, max, out));
}

int
parse_duration(const char *s, long long min, long long max, long long *out)
{
	static const long long	 muls[] = { 1, 60, 3600, 86400 };

	return (scaled(s, "smhd", muls, min, max, out));
}
