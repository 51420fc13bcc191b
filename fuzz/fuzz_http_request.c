/*
 * libFuzzer target: the request head parser (mcpproxyd/http.c).
 *
 * The input is the bytes a client sent.  http_head_end() delimits the
 * head as the worker does; http_parse_request() then parses that head
 * and, separately, the whole input (the parser must refuse, not crash
 * on, anything).  Each parse runs on a heap copy of exactly its length
 * so ASan sees any read past it, once with the default-like limits and
 * once with tiny ones.  On success the result must hold what http.h
 * promises: pointers into the buffer, a bounded header count, framing
 * consistent with the version, an origin-form or "*" target.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../mcpproxyd/http.h"

#include "require.h"

static const struct http_limits lims[] = {
	{ 8192, 65536, 100, 1000000 },	/* like the configuration's */
	{ 30, 96, 3, 100 },		/* tiny: every limit is reachable */
	{ 0, 0, 0, 0 },			/* zeros: the built-in defaults */
};

static int
inside(const char *p, const char *buf, size_t len)
{
	return (p >= buf && p <= buf + len);
}

static void
check_ok(const struct http_request *req, const char *buf, size_t len)
{
	size_t	 i;

	REQUIRE(req->method != NULL && inside(req->method, buf, len));
	REQUIRE(req->target != NULL && inside(req->target, buf, len));
	REQUIRE(req->method[0] != '\0');
	REQUIRE(req->target[0] == '/' || strcmp(req->target, "*") == 0);
	REQUIRE(req->minor == 0 || req->minor == 1);
	REQUIRE(req->nhdr <= HTTP_MAX_HEADERS_CAP);
	REQUIRE(req->framing == HTTP_BODY_NONE ||
	    req->framing == HTTP_BODY_LENGTH ||
	    req->framing == HTTP_BODY_CHUNKED);
	if (req->framing != HTTP_BODY_LENGTH)
		REQUIRE(req->content_length == 0);
	/* chunked is HTTP/1.1 only (RFC 9112 6.1) */
	if (req->framing == HTTP_BODY_CHUNKED)
		REQUIRE(req->minor == 1);
	/* HTTP/1.1 requires exactly one Host (RFC 9112 3.2) */
	if (req->minor == 1)
		REQUIRE(req->host != NULL);
	for (i = 0; i < req->nhdr; i++) {
		REQUIRE(req->hdr[i].name != NULL && req->hdr[i].value != NULL);
		REQUIRE(inside(req->hdr[i].name, buf, len));
		REQUIRE(inside(req->hdr[i].value, buf, len));
		REQUIRE(req->hdr[i].name[0] != '\0');
		/* values are trimmed and hold no CR, LF or NUL */
		REQUIRE(strpbrk(req->hdr[i].value, "\r\n") == NULL);
		if (req->hdr[i].value[0] != '\0') {
			size_t n = strlen(req->hdr[i].value);

			REQUIRE(req->hdr[i].value[0] != ' ' &&
			    req->hdr[i].value[0] != '\t');
			REQUIRE(req->hdr[i].value[n - 1] != ' ' &&
			    req->hdr[i].value[n - 1] != '\t');
		}
		(void)http_list_has(req->hdr[i].value, "close");
	}
	REQUIRE(req->host == NULL ||
	    req->host == http_header_get(req->hdr, req->nhdr, "host"));
	(void)http_header_get(req->hdr, req->nhdr, "content-length");
}

static void
parse(const uint8_t *data, size_t len, const struct http_limits *lim)
{
	struct http_request	*req;
	const char		*why = NULL;
	char			*buf;
	int			 rv;

	if ((buf = malloc(len == 0 ? 1 : len)) == NULL ||
	    (req = malloc(sizeof(*req))) == NULL)
		abort();
	memcpy(buf, data, len);
	rv = http_parse_request(buf, len, lim, req, &why);
	if (rv == 0)
		check_ok(req, buf, len);
	else {
		REQUIRE(rv >= 400 && rv <= 599);
		REQUIRE(why != NULL);
		REQUIRE(http_reason(rv)[0] != '\0');
	}
	free(req);
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	*copy;
	size_t	 end, i;

	if ((copy = malloc(size == 0 ? 1 : size)) == NULL)
		abort();
	memcpy(copy, data, size);
	end = http_head_end(copy, size);
	free(copy);
	REQUIRE(end <= size);
	if (end > 0) {
		REQUIRE(end >= 2 && data[end - 1] == '\n');
		/* a shorter prefix is never a complete head */
		REQUIRE(http_head_end((const char *)data, end - 1) == 0);
	}
	for (i = 0; i < sizeof(lims) / sizeof(lims[0]); i++) {
		if (end > 0)
			parse(data, end, &lims[i]);
		if (end != size)
			parse(data, size, &lims[i]);
	}
	return (0);
}
