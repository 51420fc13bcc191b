/*
 * Number parsers for both daemons' configuration readers: plain
 * decimal digits (no sign, no blank), an optional unit, and a range.
 */
#ifndef COMMON_PARSE_H
#define COMMON_PARSE_H

/* Decimal integer in [min, max]; returns 0 or -1. */
int	parse_int(const char *s, long long min, long long max,
	    long long *out);
/* Size in bytes with an optional k or m (powers of 1024); 0 or -1. */
int	parse_size(const char *s, long long min, long long max,
	    long long *out);
/* Duration in seconds with an optional s, m, h or d; 0 or -1. */
int	parse_duration(const char *s, long long min, long long max,
	    long long *out);

#endif
