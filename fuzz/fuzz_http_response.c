/*
 * libFuzzer target: the response head parser (mcpproxyd/http.c), as
 * the proxy uses it on what an upstream sends.  http_head_end()
 * delimits the head; http_parse_response() parses it (and, separately,
 * the whole input) for a GET and for a HEAD request, with the default
 * and with a tiny header limit.  Each parse runs on a heap copy of
 * exactly its length.  On success the framing must be one the proxy
 * can follow without desynchronising the kept-alive connection.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../mcpproxyd/http.h"

#include "require.h"

static int
inside(const char *p, const char *buf, size_t len)
{
	return (p >= buf && p <= buf + len);
}

static void
check_ok(const struct http_response *r, int is_head, const char *buf,
    size_t len)
{
	size_t	 i;

	REQUIRE(r->status >= 100 && r->status <= 599);
	REQUIRE(r->minor == 0 || r->minor == 1);
	REQUIRE(r->reason != NULL && inside(r->reason, buf, len));
	REQUIRE(r->nhdr <= HTTP_MAX_HEADERS_CAP);
	if (r->framing != HTTP_BODY_LENGTH)
		REQUIRE(r->content_length == 0);
	/* no body: HEAD, 1xx, 204, 304 (RFC 9112 6.3) */
	if (is_head || r->status < 200 || r->status == 204 ||
	    r->status == 304)
		REQUIRE(r->framing == HTTP_BODY_NONE);
	/* a body until close cannot leave the connection reusable */
	if (r->framing == HTTP_BODY_CLOSE)
		REQUIRE(!r->keepalive);
	if (r->framing == HTTP_BODY_CHUNKED)
		REQUIRE(r->minor == 1);
	for (i = 0; i < r->nhdr; i++) {
		REQUIRE(r->hdr[i].name != NULL && r->hdr[i].value != NULL);
		REQUIRE(inside(r->hdr[i].name, buf, len));
		REQUIRE(inside(r->hdr[i].value, buf, len));
		REQUIRE(r->hdr[i].name[0] != '\0');
		REQUIRE(strpbrk(r->hdr[i].value, "\r\n") == NULL);
		(void)http_list_has(r->hdr[i].value, "chunked");
	}
}

static void
parse(const uint8_t *data, size_t len, int is_head, size_t maxh)
{
	struct http_response	*r;
	const char		*why = NULL;
	char			*buf;
	int			 rv;

	if ((buf = malloc(len == 0 ? 1 : len)) == NULL ||
	    (r = malloc(sizeof(*r))) == NULL)
		abort();
	memcpy(buf, data, len);
	rv = http_parse_response(buf, len, is_head, maxh, r, &why);
	if (rv == 0)
		check_ok(r, is_head, buf, len);
	else
		REQUIRE(rv == -1 && why != NULL);
	free(r);
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	*copy;
	size_t	 end;
	int	 is_head;

	if ((copy = malloc(size == 0 ? 1 : size)) == NULL)
		abort();
	memcpy(copy, data, size);
	end = http_head_end(copy, size);
	free(copy);
	REQUIRE(end <= size);
	for (is_head = 0; is_head <= 1; is_head++) {
		if (end > 0) {
			parse(data, end, is_head, 0);
			parse(data, end, is_head, 3);
		}
		if (end != size)
			parse(data, size, is_head, 0);
	}
	return (0);
}
