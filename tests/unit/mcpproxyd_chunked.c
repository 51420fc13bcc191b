/*
 * Table-driven tests of the chunked decoder.  Every row is also fed
 * one byte at a time and split in two at every offset: the result
 * must not depend on how the input arrives.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../mcpproxyd/http.h"
#include "unit.h"

#define NITEMS(a)	(sizeof(a) / sizeof((a)[0]))

struct ch_case {
	const char	*in;
	size_t		 len;
	uint64_t	 max;		/* max_total, 0: none */
	int		 rv;		/* 1 complete, 0 more, -1, -2 */
	const char	*out;		/* rv 1: the decoded data */
	size_t		 outlen;
	size_t		 used;		/* rv 1: 0 means all of in */
};

#define BAD(s)		{ .in = (s), .len = sizeof(s) - 1, .rv = -1 }
#define BIG(s, m)	{ .in = (s), .len = sizeof(s) - 1, .rv = -2,	\
			  .max = (m) }
#define MORE(s)		{ .in = (s), .len = sizeof(s) - 1, .rv = 0 }
#define GOODX(s, o, m, u)						\
	{ .in = (s), .len = sizeof(s) - 1, .rv = 1, .out = (o),		\
	  .outlen = sizeof(o) - 1, .max = (m), .used = (u) }
#define GOOD(s, o)	GOODX(s, o, 0, 0)

static const struct ch_case cases[] = {
	/* chunk-size */
	BAD("\r\n"),
	BAD("\n"),
	BAD(" 5\r\nhello\r\n0\r\n\r\n"),
	BAD("\t5\r\nhello\r\n0\r\n\r\n"),
	BAD("5 \r\nhello\r\n0\r\n\r\n"),
	BAD("5\t\r\nhello\r\n0\r\n\r\n"),
	BAD("5 ;a\r\nhello\r\n0\r\n\r\n"),
	BAD("0x5\r\nhello\r\n0\r\n\r\n"),
	BAD("+5\r\nhello\r\n0\r\n\r\n"),
	BAD("-5\r\nhello\r\n0\r\n\r\n"),
	BAD("g\r\n"),
	BAD("5g\r\n"),
	BAD(";a\r\nhello\r\n0\r\n\r\n"),
	BAD("5\0\r\nhello\r\n0\r\n\r\n"),
	BAD("\0" "5\r\nhello\r\n0\r\n\r\n"),
	BAD("5\x0b\r\nhello\r\n0\r\n\r\n"),
	BAD("00000000000000005\r\nhello\r\n0\r\n\r\n"),	/* 17 digits */
	BAD("fffffffffffffffff\r\n"),
	BAD("ffffffffffffffffff\r\nhello\r\n0\r\n\r\n"),	/* 18 digits */
	BAD("5;a\nb\r\nhello\r\n0\r\n\r\n"),		/* LF ends the line */
	BAD("5;c=\"0\r\n\r\n\"\r\nhello\r\n0\r\n\r\n"),	/* no quoting */
	BAD("10000000000000000\r\n"),
	BAD("5\rhello\r\n0\r\n\r\n"),				/* bare CR */
	BAD("5\r\r\nhello\r\n0\r\n\r\n"),
	BAD("5,6\r\nhello\r\n0\r\n\r\n"),

	/* extensions */
	BAD("5;\x01\r\nhello\r\n0\r\n\r\n"),
	BAD("5;a\0\r\nhello\r\n0\r\n\r\n"),
	BAD("5;a\rb\r\nhello\r\n0\r\n\r\n"),
	BAD("5;a\x7f\r\nhello\r\n0\r\n\r\n"),
	BAD("0;a\x1b\r\n\r\n"),

	/* after the data */
	BAD("4\r\nhello\r\n0\r\n\r\n"),
	BAD("5\r\nhelloX\r\n0\r\n\r\n"),
	BAD("5\r\nhello\rX\r\n0\r\n\r\n"),
	BAD("5\r\nhello0\r\n\r\n"),
	BAD("5\r\nhello \r\n0\r\n\r\n"),
	BAD("5\r\nhello\r\r\n0\r\n\r\n"),
	BAD("5\r\nhello\r\n\r\n"),			/* no last chunk */
	BAD("5\r\n\r\nhello\r\n0\r\n\r\n"),

	/* trailers and the end */
	BAD("0\r\n\rX"),
	BAD("0\r\n\r\r\n"),
	BAD("0\r\n X: 1\r\n\r\n"),				/* obs-fold */
	BAD("0\r\n\tX: 1\r\n\r\n"),
	BAD("0\r\nX: 1\r\n y\r\n\r\n"),
	BAD("0\r\n:x\r\n\r\n"),
	BAD("0\r\n\0\r\n\r\n"),
	BAD("0\r\nX: \x01\r\n\r\n"),
	BAD("0\r\nX: 1\0\r\n\r\n"),
	BAD("0\r\nX\x7f: 1\r\n\r\n"),
	BAD("0\r\nX: 1\rY: 2\r\n\r\n"),
	BAD("0\r\nX: 1\r\r\n\r\n"),

	/* max_total */
	BIG("6\r\nhello!\r\n0\r\n\r\n", 5),
	BIG("3\r\nabc\r\n3\r\ndef\r\n0\r\n\r\n", 5),
	BIG("ffffffffffffffff\r\n", 1000000),
	BIG("1\r\na\r\nffffffffffffffff\r\n", 0xffffffffffffffffULL),

	/* incomplete, but fine so far */
	MORE(""),
	MORE("5"),
	MORE("5;ext"),
	MORE("5\r\nhel"),
	MORE("5\r\nhello\r\n"),
	MORE("0\r\nX: 1\r\n"),
	MORE("0\r\n\r"),
	MORE("ffffffffffffffff\r\nabc"),

	/* good */
	GOOD("0\r\n\r\n", ""),
	GOOD("5\r\nhello\r\n0\r\n\r\n", "hello"),
	GOOD("5\nhello\n0\n\n", "hello"),
	GOOD("5\r\nhello\n0\r\n\n", "hello"),
	GOOD("5;ext=1\r\nhello\r\n0\r\n\r\n", "hello"),
	GOOD("5;a=\"q; x\";b\t;c\r\nhello\r\n0;last\r\n\r\n", "hello"),
	GOOD("5;\r\nhello\r\n0\r\n\r\n", "hello"),
	GOOD("5;a=b;c=\"d\"\r\nhello\r\n0;e=f\r\nX: y\r\n\r\n", "hello"),
	GOOD("A\r\n0123456789\r\n0\r\n\r\n", "0123456789"),
	GOOD("a\r\n0123456789\r\n0\r\n\r\n", "0123456789"),
	GOOD("3\r\nabc\r\n2\r\nde\r\n1\r\nf\r\n0\r\n\r\n", "abcdef"),
	GOOD("0005\r\nhello\r\n0000\r\n\r\n", "hello"),
	GOOD("0000000000000005\r\nhello\r\n0\r\n\r\n", "hello"),
	GOOD("4\r\n\r\n\r\n\r\n0\r\n\r\n", "\r\n\r\n"),
	GOOD("3\r\n\0\x01\xff\r\n0\r\n\r\n", "\0\x01\xff"),
	GOOD("0\r\nX-T: 1\r\nY: a\tb\xc3\xa9\r\n\r\n", ""),
	GOOD("0\nX: 1\n\n", ""),
	GOODX("5\r\nhello\r\n0\r\n\r\nGET / HTTP/1.1\r\n", "hello", 0, 15),
	GOODX("0\r\n\r\n0\r\n\r\n", "", 0, 5),
	GOODX("5\r\nhello\r\n0\r\n\r\n", "hello", 5, 0),
	GOODX("3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n", "abcde", 5, 0),
};

/*
 * Feed in[0..len) the way a server would: first pieces of first
 * bytes, then step bytes at a time, keeping unconsumed input and
 * collecting the data.  Returns the last chunked_decode() result.
 */
static int
feed(const char *in, size_t len, uint64_t max, size_t first, size_t step,
    char *out, size_t *outlen, size_t *consumed)
{
	struct chunked	 c;
	const char	*why;
	char		*buf;
	size_t		 pending = 0, pos = 0, n, used, datalen;
	int		 rv, calls = 0;

	chunked_init(&c, max);
	*outlen = *consumed = 0;
	if ((buf = malloc(len + 1)) == NULL)
		abort();
	for (;;) {
		n = calls++ == 0 ? first : step;
		if (n > len - pos)
			n = len - pos;
		memcpy(buf + pending, in + pos, n);
		pos += n;
		pending += n;
		rv = chunked_decode(&c, buf, pending, &used, &datalen, &why);
		CHECK(used <= pending && datalen <= used, "feed: counts");
		CHECK(rv <= 0 || why == NULL, "feed: why on success");
		CHECK(rv >= 0 || why != NULL, "feed: no why on error");
		memcpy(out + *outlen, buf, datalen);
		*outlen += datalen;
		*consumed += used;
		memmove(buf, buf + used, pending - used);
		pending -= used;
		if (rv != 0 || pos == len)
			break;
	}
	free(buf);
	return (rv);
}

/* Run one case whole, byte by byte, and split at every offset. */
static void
check_case(size_t i, const struct ch_case *t)
{
	size_t	 outlen, used, k, want_used;
	char	*out;
	int	 rv;

	if ((out = malloc(t->len + 1)) == NULL)
		abort();
	want_used = t->used != 0 ? t->used : t->len;
	for (k = 0; k <= t->len + 1; k++) {
		/* k == t->len + 1: one byte at a time */
		if (k <= t->len)
			rv = feed(t->in, t->len, t->max, k, t->len, out,
			    &outlen, &used);
		else
			rv = feed(t->in, t->len, t->max, 1, 1, out,
			    &outlen, &used);
		CHECK(rv == t->rv, "case %zu split %zu: got %d want %d", i,
		    k, rv, t->rv);
		if (rv != 1 || t->rv != 1)
			continue;
		CHECK(outlen == t->outlen && memcmp(out, t->out, outlen) == 0,
		    "case %zu split %zu: data", i, k);
		CHECK(used == want_used, "case %zu split %zu: used %zu", i,
		    k, used);
	}
	free(out);
}

/* After an error or the end, the decoder stays where it is. */
static void
check_sticky(void)
{
	struct chunked	 c;
	const char	*why;
	char		 bad[] = "x\r\n", end[] = "0\r\n\r\nmore";
	size_t		 used, datalen;

	chunked_init(&c, 0);
	CHECK(chunked_decode(&c, bad, 3, &used, &datalen, &why) == -1,
	    "sticky: first error");
	CHECK(chunked_decode(&c, end, 5, &used, &datalen, &why) == -1 &&
	    why != NULL, "sticky: still an error");
	chunked_init(&c, 0);
	CHECK(chunked_decode(&c, end, 9, &used, &datalen, &why) == 1 &&
	    used == 5 && datalen == 0, "sticky: end");
	CHECK(chunked_decode(&c, end + 5, 4, &used, &datalen, &why) == 1 &&
	    used == 0 && datalen == 0, "sticky: after the end");
}

/* Lines and trailers just at and just over their bounds. */
static void
check_bounds(void)
{
	char	*in, *out;
	size_t	 n, outlen, used, len;

	if ((in = malloc(40000)) == NULL || (out = malloc(40000)) == NULL)
		abort();
	for (n = 4095; n <= 4097; n++) {
		/* a size line of n bytes: "1;" and n - 2 of extension */
		memcpy(in, "1;", 2);
		memset(in + 2, 'e', n - 2);
		len = n + (size_t)snprintf(in + n, 64, "\r\nx\r\n0\r\n\r\n");
		CHECK(feed(in, len, 0, len, len, out, &outlen, &used) ==
		    (n <= 4096 ? 1 : -1), "size line of %zu", n);
		/* a trailer line of n bytes */
		memcpy(in, "0\r\nX:", 5);
		memset(in + 5, 'v', n - 2);
		len = 3 + n + (size_t)snprintf(in + 3 + n, 64, "\r\n\r\n");
		CHECK(feed(in, len, 0, len, len, out, &outlen, &used) ==
		    (n <= 4096 ? 1 : -1), "trailer line of %zu", n);
	}
	/* 4 trailers of 4000 bytes fit in 16 KiB, 5 do not */
	for (n = 4; n <= 5; n++) {
		size_t i;

		len = (size_t)snprintf(in, 64, "0\r\n");
		for (i = 0; i < n; i++) {
			memset(in + len, 't', 3998);
			len += 3998;
			memcpy(in + len, "\r\n", 2);
			len += 2;
		}
		len += (size_t)snprintf(in + len, 64, "\r\n");
		CHECK(feed(in, len, 0, len, len, out, &outlen, &used) ==
		    (n == 4 ? 1 : -1), "%zu trailers", n);
	}
	free(in);
	free(out);
}

int
main(void)
{
	size_t	 i, nbad = 0, ngood = 0;

	for (i = 0; i < NITEMS(cases); i++) {
		check_case(i, &cases[i]);
		nbad += cases[i].rv < 0;
		ngood += cases[i].rv == 1;
	}
	printf("chunked cases: %zu bad, %zu good, %zu incomplete\n", nbad,
	    ngood, NITEMS(cases) - nbad - ngood);
	check_sticky();
	check_bounds();
	return (unit_done("mcpproxyd_chunked"));
}
