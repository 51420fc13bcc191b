/*
 * libFuzzer target: the chunked decoder (mcpproxyd/chunked.c).
 *
 * Input: byte 0 chooses where the coding is split (byte 0 / 256 of
 * the way), byte 1 the body limit (0: none, else that many bytes), the rest is the coding.  It
 * is decoded three ways, as a server receives it: whole, in two
 * pieces split at the chosen offset, and one byte at a time (keeping
 * unconsumed input, as the worker does).  chunked.c promises that the
 * result cannot depend on how the peer split its writes, so the three
 * must agree on the result, the decoded data and the bytes consumed;
 * every call's counts must be within bounds.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../mcpproxyd/http.h"

#include "require.h"

struct result {
	int	 rv;
	char	*data;
	size_t	 datalen;
	size_t	 consumed;
};

/*
 * Feed in[0..len): first a piece of first bytes, then step at a time.
 * The decoder only writes below what it consumed, so the unconsumed
 * bytes are still in[consumed..pos): each call gets them and the new
 * piece in a heap buffer of exactly that length (ASan sees overreads).
 */
static void
feed(const uint8_t *in, size_t len, uint64_t max, size_t first, size_t step,
    struct result *res)
{
	struct chunked	 c;
	const char	*why;
	char		*buf;
	size_t		 pos = 0, n, pending, used, datalen;
	int		 rv, calls = 0;

	chunked_init(&c, max);
	res->datalen = res->consumed = 0;
	if ((res->data = malloc(len + 1)) == NULL)
		abort();
	for (;;) {
		n = calls++ == 0 ? first : step;
		if (n > len - pos)
			n = len - pos;
		pos += n;
		pending = pos - res->consumed;
		if ((buf = malloc(pending + 1)) == NULL)
			abort();
		memcpy(buf, in + res->consumed, pending);
		why = "unset";
		rv = chunked_decode(&c, buf, pending, &used, &datalen, &why);
		REQUIRE(rv >= -2 && rv <= 1);
		REQUIRE(used <= pending && datalen <= used);
		REQUIRE(rv >= 0 ? why == NULL : why != NULL);
		REQUIRE(c.total >= res->datalen + datalen);
		/* more input is wanted only when all of it was taken */
		if (rv == 0)
			REQUIRE(used == pending);
		memcpy(res->data + res->datalen, buf, datalen);
		res->datalen += datalen;
		res->consumed += used;
		free(buf);
		if (rv != 0 || pos == len)
			break;
	}
	res->rv = rv;
	if (max != 0)
		REQUIRE(res->datalen <= max);
}

static void
same(const struct result *a, const struct result *b)
{
	REQUIRE(a->rv == b->rv);
	/* after an error the data delivered so far may differ in length */
	if (a->rv == 1) {
		REQUIRE(a->datalen == b->datalen);
		REQUIRE(memcmp(a->data, b->data, a->datalen) == 0);
		REQUIRE(a->consumed == b->consumed);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct result	 whole, split, bytes;
	uint64_t	 max;
	size_t		 len, at;

	if (size < 2)
		return (0);
	len = size - 2;
	at = (size_t)data[0] * (len + 1) / 256;
	max = data[1];
	data += 2;
	feed(data, len, max, len, len, &whole);
	feed(data, len, max, at, len, &split);
	feed(data, len, max, 1, 1, &bytes);
	same(&whole, &split);
	same(&whole, &bytes);
	free(whole.data);
	free(split.data);
	free(bytes.data);
	return (0);
}
