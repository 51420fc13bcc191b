/*
 * Table-driven tests of the HTTP/1.1 head parser: one row per case,
 * the bad ones far outnumbering the good, smuggling cases first.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../mcpproxyd/http.h"
#include "unit.h"

#define NITEMS(a)	(sizeof(a) / sizeof((a)[0]))

static const struct http_limits deflim = { 128, 1024, 16, 1000000 };
static const struct http_limits small = { 30, 96, 3, 100 };

struct req_case {
	const char			*in;
	size_t				 len;
	const struct http_limits	*lim;		/* NULL: deflim */
	int				 status;
	const char			*method;
	const char			*target;
	int				 minor;
	enum http_framing		 framing;
	uint64_t			 cl;
	int				 keepalive;
	int				 expect;
	const char			*host;
};

#define BAD(s, st)	{ .in = (s), .len = sizeof(s) - 1, .status = (st) }
#define BADL(s, st, l)	{ .in = (s), .len = sizeof(s) - 1, .status = (st), \
			  .lim = (l) }
#define GOODL(s, l, m, tg, mi, fr, n, ka, ex, h)			\
	{ .in = (s), .len = sizeof(s) - 1, .lim = (l), .method = (m),	\
	  .target = (tg), .minor = (mi), .framing = (fr), .cl = (n),	\
	  .keepalive = (ka), .expect = (ex), .host = (h) }
#define GOOD(s, m, tg, mi, fr, n, ka, ex, h)				\
	GOODL(s, NULL, m, tg, mi, fr, n, ka, ex, h)

#define H11	"Host: a\r\n"
#define NO	HTTP_BODY_NONE
#define LEN	HTTP_BODY_LENGTH
#define CHK	HTTP_BODY_CHUNKED

static const struct req_case req_cases[] = {
	/* smuggling: framing disagreements */
	BAD("POST / HTTP/1.1\r\n" H11 "Content-Length: 5\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n", 400),		/* CL.TE */
	BAD("POST / HTTP/1.1\r\n" H11 "Transfer-Encoding: chunked\r\n"
	    "Content-Length: 5\r\n\r\n", 400),			/* TE.CL */
	BAD("POST / HTTP/1.1\r\n" H11 "Transfer-Encoding: chunked\r\n"
	    "Content-Length: 0\r\n\r\n", 400),
	BAD("POST / HTTP/1.1\r\n" H11 "Transfer-Encoding:\r\n chunked\r\n"
	    "\r\n", 400),					/* obs-fold */
	BAD("POST / HTTP/1.1\r\n" H11 "Transfer-Encoding: gzip\r\n"
	    "\tchunked\r\n\r\n", 400),
	BAD("POST / HTTP/1.1\r\n" H11 "Transfer-Encoding: xchunked\r\n\r\n",
	    501),
	BAD("POST / HTTP/1.1\r\n" H11 "Transfer-Encoding : chunked\r\n\r\n",
	    400),
	BAD("POST / HTTP/1.1\r\n" H11 "Transfer-Encoding\t: chunked\r\n\r\n",
	    400),
	BAD("POST / HTTP/1.1\r\n" H11 "Transfer-Encoding: chunked, chunked"
	    "\r\n\r\n", 501),
	BAD("POST / HTTP/1.1\r\n" H11 "Transfer-Encoding: gzip, chunked\r\n"
	    "\r\n", 501),
	BAD("POST / HTTP/1.1\r\n" H11 "Transfer-Encoding: identity\r\n\r\n",
	    501),
	BAD("POST / HTTP/1.1\r\n" H11 "Transfer-Encoding: \"chunked\"\r\n"
	    "\r\n", 501),
	BAD("POST / HTTP/1.1\r\n" H11 "Transfer-Encoding: chunked;x=1\r\n"
	    "\r\n", 501),
	BAD("POST / HTTP/1.1\r\n" H11 "Transfer-Encoding: chunk ed\r\n\r\n",
	    501),
	BAD("POST / HTTP/1.1\r\n" H11 "Transfer-Encoding: chunked\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n", 400),
	BAD("POST / HTTP/1.1\r\n" H11 "Transfer-Encoding:\r\n\r\n", 400),
	BAD("POST / HTTP/1.1\r\n" H11 "Transfer-Encoding: \x0b" "chunked\r\n"
	    "\r\n", 400),
	BAD("POST / HTTP/1.1\r\n" H11 "Transfer-Encoding: chunked\x0c\r\n"
	    "\r\n", 400),
	BAD("POST / HTTP/1.1\r\n" H11 "Transfer-Encoding: chunked\0\r\n"
	    "\r\n", 400),
	BAD("POST / HTTP/1.1\r\n" H11 "Transfer-Encoding: chunked\rX: y\r\n"
	    "\r\n", 400),					/* bare CR */
	BAD("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400),
	BAD("POST / HTTP/1.1\r\n" H11 "Transfer_Encoding: chunked\r\n\r\n",
	    400),
	BAD("POST / HTTP/1.1\r\n" H11 "Content_Length: 5\r\n\r\n", 400),
	BAD("POST / HTTP/1.1\r\n" H11 "Content-Length: +5\r\n\r\n", 400),
	BAD("POST / HTTP/1.1\r\n" H11 "Content-Length: -5\r\n\r\n", 400),
	BAD("POST / HTTP/1.1\r\n" H11 "Content-Length: 5, 6\r\n\r\n", 400),
	BAD("POST / HTTP/1.1\r\n" H11 "Content-Length: 5\r\n"
	    "Content-Length: 6\r\n\r\n", 400),
	BAD("POST / HTTP/1.1\r\n" H11 "Content-Length: 5 5\r\n\r\n", 400),
	BAD("POST / HTTP/1.1\r\n" H11 "Content-Length: 0x5\r\n\r\n", 400),
	BAD("POST / HTTP/1.1\r\n" H11 "Content-Length: 5.0\r\n\r\n", 400),
	BAD("POST / HTTP/1.1\r\n" H11 "Content-Length: 1e3\r\n\r\n", 400),
	BAD("POST / HTTP/1.1\r\n" H11 "Content-Length:\r\n\r\n", 400),
	BAD("POST / HTTP/1.1\r\n" H11 "Content-Length: 5,\r\n\r\n", 400),
	BAD("POST / HTTP/1.1\r\n" H11 "Content-Length: ,5\r\n\r\n", 400),
	BAD("POST / HTTP/1.1\r\n" H11 "Content-Length: 5,,5\r\n\r\n", 400),
	BAD("POST / HTTP/1.1\r\n" H11 "Content-Length: \"5\"\r\n\r\n", 400),
	BAD("POST / HTTP/1.1\r\n" H11 "Content-Length: 5\x0b\r\n\r\n", 400),
	BAD("POST / HTTP/1.1\r\n" H11 "Content-Length: 5\0" "6\r\n\r\n",
	    400),
	BAD("POST / HTTP/1.1\r\n" H11 "Content-Length: 18446744073709551616"
	    "\r\n\r\n", 400),					/* 2^64 */
	BAD("POST / HTTP/1.1\r\n" H11 "Content-Length: 99999999999999999999"
	    "999999999\r\n\r\n", 400),
	BAD("POST / HTTP/1.1\r\n" H11 "Content-Length: 18446744073709551615"
	    "\r\n\r\n", 413),
	BAD("POST / HTTP/1.1\r\n" H11 "Content-Length: 1000001\r\n\r\n", 413),
	BADL("POST / HTTP/1.1\r\n" H11 "Content-Length: 101\r\n\r\n", 413,
	    &small),

	/* request line */
	BAD("GET  / HTTP/1.1\r\n" H11 "\r\n", 400),
	BAD("GET /  HTTP/1.1\r\n" H11 "\r\n", 400),
	BAD("GET / HTTP/1.1 \r\n" H11 "\r\n", 400),
	BAD("GET\t/ HTTP/1.1\r\n" H11 "\r\n", 400),
	BAD("GET /\tHTTP/1.1\r\n" H11 "\r\n", 400),
	BAD(" GET / HTTP/1.1\r\n" H11 "\r\n", 400),
	BAD("G(T / HTTP/1.1\r\n" H11 "\r\n", 400),
	BAD("GET\0 / HTTP/1.1\r\n" H11 "\r\n", 400),
	BAD("CONNECT a:443 HTTP/1.1\r\n" H11 "\r\n", 501),
	BAD("CONNECT / HTTP/1.1\r\n" H11 "\r\n", 501),
	BAD("GET a:443 HTTP/1.1\r\n" H11 "\r\n", 400),	/* authority */
	BAD("OPTIONS a:443 HTTP/1.1\r\n" H11 "\r\n", 400),
	BAD("GET a: HTTP/1.1\r\n" H11 "\r\n", 400),
	BAD("GET ftp://a/ HTTP/1.1\r\n" H11 "\r\n", 400),
	BAD("GET file:///etc/passwd HTTP/1.1\r\n" H11 "\r\n", 400),
	BAD("GET http:/a/ HTTP/1.1\r\n" H11 "\r\n", 400),
	BAD("GET http:a/ HTTP/1.1\r\n" H11 "\r\n", 400),
	BAD("GET http:// HTTP/1.1\r\n" H11 "\r\n", 400),
	BAD("GET http:///x HTTP/1.1\r\n" H11 "\r\n", 400),
	BAD("GET http://u@a/ HTTP/1.1\r\n" H11 "\r\n", 400),
	BAD("GET http://u:p@a/ HTTP/1.1\r\n" H11 "\r\n", 400),
	BAD("GET http://a:/ HTTP/1.1\r\n" H11 "\r\n", 400),
	BAD("GET http://a:x/ HTTP/1.1\r\n" H11 "\r\n", 400),
	BAD("GET http://a%41/ HTTP/1.1\r\n" H11 "\r\n", 400),
	BAD("GET http://a/#f HTTP/1.1\r\n" H11 "\r\n", 400),
	BAD("GET http://a#f HTTP/1.1\r\n" H11 "\r\n", 400),
	BAD("GET http://a/b\\c HTTP/1.1\r\n" H11 "\r\n", 400),
	BAD("GET http://a/ HTTP/1.1\r\n\r\n", 400),	/* 1.1: no Host */
	BAD("GET http://a/ HTTP/1.1\r\n" H11 H11 "\r\n", 400),
	BAD("GET http://a/ HTTP/1.1\r\nHost: a/b\r\n\r\n", 400),
	BAD("GET http://[::1/ HTTP/1.1\r\n" H11 "\r\n", 400),
	BAD("GET * HTTP/1.1\r\n" H11 "\r\n", 400),
	BAD("OPTIONS *x HTTP/1.1\r\n" H11 "\r\n", 400),
	BAD("GET a HTTP/1.1\r\n" H11 "\r\n", 400),
	BAD("GET / HTTP/2.0\r\n" H11 "\r\n", 505),
	BAD("GET / HTTP/1.2\r\n" H11 "\r\n", 505),
	BAD("GET / HTTP/0.9\r\n" H11 "\r\n", 505),
	BAD("GET / HTTP/2\r\n" H11 "\r\n", 400),
	BAD("GET / http/1.1\r\n" H11 "\r\n", 400),
	BAD("GET / HTTP/1.1x\r\n" H11 "\r\n", 400),
	BAD("GET / HTTP/11\r\n" H11 "\r\n", 400),
	BAD("GET / HTTP/1.10\r\n" H11 "\r\n", 400),
	BAD("GET /\r\n\r\n", 400),				/* 0.9 */
	BAD("GET / HTTP/1.1\rHost: a\r\n\r\n", 400),
	BAD("GET / HTTP/1.1\r\r\n" H11 "\r\n", 400),
	BAD("GET /a\x01" "b HTTP/1.1\r\n" H11 "\r\n", 400),
	BAD("GET /a\x7f HTTP/1.1\r\n" H11 "\r\n", 400),
	BAD("GET /a\0b HTTP/1.1\r\n" H11 "\r\n", 400),
	BAD("GET /a\rb HTTP/1.1\r\n" H11 "\r\n", 400),
	BAD("GET /a#frag HTTP/1.1\r\n" H11 "\r\n", 400),
	BAD("GET /%zz HTTP/1.1\r\n" H11 "\r\n", 400),
	BAD("GET /%4 HTTP/1.1\r\n" H11 "\r\n", 400),
	BAD("GET /a\"b HTTP/1.1\r\n" H11 "\r\n", 400),
	BAD("GET /a\\b HTTP/1.1\r\n" H11 "\r\n", 400),
	BAD("GET /\xc3\xa9 HTTP/1.1\r\n" H11 "\r\n", 400),
	BAD("GET /a b HTTP/1.1\r\n" H11 "\r\n", 400),
	BAD("\r\n\r\nGET / HTTP/1.1\r\n" H11 "\r\n", 400),
	BAD("\r\n", 400),
	BAD("", 400),
	BADL("GET /0123456789abcdefg HTTP/1.1\r\n" H11 "\r\n", 414, &small),

	/* field lines */
	BAD("GET / HTTP/1.1\r\nHost : a\r\n\r\n", 400),
	BAD("GET / HTTP/1.1\r\nHost\t: a\r\n\r\n", 400),
	BAD("GET / HTTP/1.1\r\n" H11 "X: a\r\n b\r\n\r\n", 400),
	BAD("GET / HTTP/1.1\r\n Host: a\r\n\r\n", 400),
	BAD("GET / HTTP/1.1\r\n" H11 "Ho st: a\r\n\r\n", 400),
	BAD("GET / HTTP/1.1\r\n" H11 ": a\r\n\r\n", 400),
	BAD("GET / HTTP/1.1\r\n" H11 "X-No-Colon\r\n\r\n", 400),
	BAD("GET / HTTP/1.1\r\n" H11 "X\0Y: a\r\n\r\n", 400),
	BAD("GET / HTTP/1.1\r\n" H11 "X(: a\r\n\r\n", 400),
	BAD("GET / HTTP/1.1\r\n" H11 "X: a\0b\r\n\r\n", 400),
	BAD("GET / HTTP/1.1\r\n" H11 "X: a\rb\r\n\r\n", 400),
	BAD("GET / HTTP/1.1\r\n" H11 "X: a\x01" "b\r\n\r\n", 400),
	BAD("GET / HTTP/1.1\r\n" H11 "X: a\x7f" "b\r\n\r\n", 400),
	BAD("GET / HTTP/1.1\r\n" H11 "X: a\x1b" "b\r\n\r\n", 400),
	BAD("GET / HTTP/1.1\r\n" H11 "X: a\r\r\n\r\n", 400),
	BAD("GET / HTTP/1.1\r\n" H11 "\r\nX", 400),	/* past the head */
	BAD("GET / HTTP/1.1\r\n" H11 "\n\r\n", 400),
	BAD("GET / HTTP/1.1\r\n" H11, 400),		/* no empty line */
	BAD("GET / HTTP/1.1\r\n" H11 "\r", 400),
	BADL("GET / HTTP/1.1\r\n" H11 "A: 1\r\nB: 2\r\nC: 3\r\n\r\n", 431,
	    &small),
	BADL("GET / HTTP/1.1\r\n" H11 "X: 0123456789012345678901234567890"
	    "1234567890123456789012345678901234567890\r\n\r\n", 431, &small),

	/* Host */
	BAD("GET / HTTP/1.1\r\n\r\n", 400),
	BAD("GET / HTTP/1.1\r\n" H11 H11 "\r\n", 400),
	BAD("GET / HTTP/1.1\r\nHost: a\r\nHOST: b\r\n\r\n", 400),
	BAD("GET / HTTP/1.0\r\nHost: a\r\nHost: a\r\n\r\n", 400),
	BAD("GET / HTTP/1.1\r\nHost: a b\r\n\r\n", 400),
	BAD("GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", 400),
	BAD("GET / HTTP/1.1\r\nHost: user@a\r\n\r\n", 400),
	BAD("GET / HTTP/1.1\r\nHost:\r\n\r\n", 400),
	BAD("GET / HTTP/1.1\r\nHost: a:\r\n\r\n", 400),
	BAD("GET / HTTP/1.1\r\nHost: a:123456\r\n\r\n", 400),
	BAD("GET / HTTP/1.1\r\nHost: a:80x\r\n\r\n", 400),
	BAD("GET / HTTP/1.1\r\nHost: a,b\r\n\r\n", 400),
	BAD("GET / HTTP/1.1\r\nHost: [::1\r\n\r\n", 400),
	BAD("GET / HTTP/1.1\r\nHost: [::1]x\r\n\r\n", 400),
	BAD("GET / HTTP/1.1\r\nHost: a\\b\r\n\r\n", 400),
	BAD("GET / HTTP/1.1\r\nHost: a\tb\r\n\r\n", 400),

	/* Expect */
	BAD("POST / HTTP/1.1\r\n" H11 "Expect: foo\r\n\r\n", 417),
	BAD("POST / HTTP/1.1\r\n" H11 "Expect: 100-continue, foo\r\n\r\n",
	    417),

	/* good */
	GOOD("GET / HTTP/1.1\r\nHost: example.com\r\n\r\n", "GET", "/", 1,
	    NO, 0, 1, 0, "example.com"),
	GOOD("GET /mcp HTTP/1.1\nHost: a\n\n", "GET", "/mcp", 1, NO, 0, 1,
	    0, "a"),
	GOOD("GET / HTTP/1.1\r\nHost: a\n\r\n", "GET", "/", 1, NO, 0, 1, 0,
	    "a"),
	GOOD("\r\nGET / HTTP/1.1\r\n" H11 "\r\n", "GET", "/", 1, NO, 0, 1, 0,
	    "a"),
	GOOD("GET / HTTP/1.0\r\n\r\n", "GET", "/", 0, NO, 0, 0, 0, NULL),
	GOOD("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", "GET", "/",
	    0, NO, 0, 1, 0, NULL),
	GOOD("GET / HTTP/1.0\r\nConnection: Keep-Alive, close\r\n\r\n",
	    "GET", "/", 0, NO, 0, 0, 0, NULL),
	GOOD("GET / HTTP/1.1\r\n" H11 "Connection: close\r\n\r\n", "GET",
	    "/", 1, NO, 0, 0, 0, "a"),
	GOOD("GET / HTTP/1.1\r\n" H11 "Connection: te,\tCLOSE \r\n\r\n",
	    "GET", "/", 1, NO, 0, 0, 0, "a"),
	GOOD("POST /mcp HTTP/1.1\r\n" H11 "Content-Length: 5\r\n\r\n",
	    "POST", "/mcp", 1, LEN, 5, 1, 0, "a"),
	GOOD("POST / HTTP/1.1\r\n" H11 "Content-Length:  05 \t\r\n\r\n",
	    "POST", "/", 1, LEN, 5, 1, 0, "a"),
	GOOD("POST / HTTP/1.1\r\n" H11 "Content-Length: 5, 5\r\n\r\n",
	    "POST", "/", 1, LEN, 5, 1, 0, "a"),
	GOOD("POST / HTTP/1.1\r\n" H11 "Content-Length: 5\r\n"
	    "content-length: 005\r\n\r\n", "POST", "/", 1, LEN, 5, 1, 0, "a"),
	GOOD("POST / HTTP/1.1\r\n" H11 "Content-Length: 0\r\n\r\n", "POST",
	    "/", 1, LEN, 0, 1, 0, "a"),
	GOOD("POST / HTTP/1.0\r\nContent-Length: 1000000\r\n\r\n", "POST",
	    "/", 0, LEN, 1000000, 0, 0, NULL),
	GOOD("POST / HTTP/1.1\r\n" H11 "Transfer-Encoding: chunked\r\n\r\n",
	    "POST", "/", 1, CHK, 0, 1, 0, "a"),
	GOOD("POST / HTTP/1.1\r\n" H11 "transfer-encoding:  Chunked\t\r\n"
	    "\r\n", "POST", "/", 1, CHK, 0, 1, 0, "a"),
	GOOD("OPTIONS * HTTP/1.1\r\n" H11 "\r\n", "OPTIONS", "*", 1, NO, 0,
	    1, 0, "a"),
	GOOD("GET /mcp/x?a=1&b=%2F;c=:@!$'()*+,~_-. HTTP/1.1\r\n" H11 "\r\n",
	    "GET", "/mcp/x?a=1&b=%2F;c=:@!$'()*+,~_-.", 1, NO, 0, 1, 0, "a"),
	GOOD("POST / HTTP/1.1\r\n" H11 "Expect: 100-Continue\r\n"
	    "Content-Length: 2\r\n\r\n", "POST", "/", 1, LEN, 2, 1, 1, "a"),
	GOOD("POST / HTTP/1.0\r\nExpect: 100-continue\r\n\r\n", "POST", "/",
	    0, NO, 0, 0, 0, NULL),
	GOOD("GET / HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n", "GET", "/", 1, NO,
	    0, 1, 0, "[::1]:8080"),
	GOOD("GET / HTTP/1.1\r\nHost: my-host_1.example:443\r\n\r\n", "GET",
	    "/", 1, NO, 0, 1, 0, "my-host_1.example:443"),
	GOOD("GET / HTTP/1.1\r\n" H11 "X-Obs: caf\xc3\xa9\r\nX-Empty:\r\n"
	    "X-Tab: a\tb\r\n\r\n", "GET", "/", 1, NO, 0, 1, 0, "a"),
	GOOD("M-SEARCH / HTTP/1.1\r\n" H11 "\r\n", "M-SEARCH", "/", 1, NO, 0,
	    1, 0, "a"),
	GOODL("GET /0123456789abcdef HTTP/1.1\r\nHost: a\r\nA: 1\r\n"
	    "B: 2\r\n\r\n", &small, "GET", "/0123456789abcdef", 1, NO, 0, 1,
	    0, "a"),
	GOODL("POST / HTTP/1.1\r\n" H11 "Content-Length: 100\r\n\r\n",
	    &small, "POST", "/", 1, LEN, 100, 1, 0, "a"),

	/* absolute-form (RFC 9112 3.2.2): made origin-form, authority wins */
	GOOD("GET http://a/ HTTP/1.1\r\n" H11 "\r\n", "GET", "/", 1, NO, 0,
	    1, 0, "a"),
	GOOD("GET http://example.com:8080/mcp/x?q=1 HTTP/1.1\r\n" H11
	    "\r\n", "GET", "/mcp/x?q=1", 1, NO, 0, 1, 0, "example.com:8080"),
	GOOD("GET HTTP://A HTTP/1.1\r\n" H11 "\r\n", "GET", "/", 1, NO, 0,
	    1, 0, "A"),
	GOOD("GET http://a?q=1 HTTP/1.1\r\n" H11 "\r\n", "GET", "/?q=1", 1,
	    NO, 0, 1, 0, "a"),
	GOOD("GET https://a:443/mcp HTTP/1.1\r\n" H11 "\r\n", "GET", "/mcp",
	    1, NO, 0, 1, 0, "a:443"),
	GOOD("GET hTTpS://b HTTP/1.1\r\n" H11 "\r\n", "GET", "/", 1, NO, 0,
	    1, 0, "b"),
	GOOD("GET http://[::1]:9/m HTTP/1.1\r\nHost: evil.example\r\n\r\n",
	    "GET", "/m", 1, NO, 0, 1, 0, "[::1]:9"),	/* Host ignored */
	GOOD("POST http://b/mcp HTTP/1.1\r\n" H11 "Content-Length: 5\r\n"
	    "\r\n", "POST", "/mcp", 1, LEN, 5, 1, 0, "b"),
	GOOD("GET http://b/ HTTP/1.0\r\n\r\n", "GET", "/", 0, NO, 0, 0, 0,
	    "b"),					/* Host made up */
	GOOD("GET http://b HTTP/1.0\r\nX: 1\r\n\r\n", "GET", "/", 0, NO, 0,
	    0, 0, "b"),
	GOOD("OPTIONS http://b HTTP/1.1\r\n" H11 "\r\n", "OPTIONS", "/", 1,
	    NO, 0, 1, 0, "b"),
	GOOD("GET http://b/a:b HTTP/1.1\r\n" H11 "\r\n", "GET", "/a:b", 1,
	    NO, 0, 1, 0, "b"),
	GOOD("GET /a:443 HTTP/1.1\r\n" H11 "\r\n", "GET", "/a:443", 1, NO,
	    0, 1, 0, "a"),
};

static int
streq(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return (a == b);
	return (strcmp(a, b) == 0);
}

/* A private copy of exactly len bytes, so ASan sees any overread. */
static char *
copy(const char *s, size_t len)
{
	char	*p;

	if ((p = malloc(len == 0 ? 1 : len)) == NULL)
		abort();
	memcpy(p, s, len);
	return (p);
}

static void
check_request(size_t i, const struct req_case *t)
{
	struct http_request	 req;
	const char		*why = NULL;
	char			*buf = copy(t->in, t->len);
	int			 rv;

	rv = http_parse_request(buf, t->len, t->lim ? t->lim : &deflim,
	    &req, &why);
	CHECK(rv == t->status, "request %zu: got %d want %d (%s)", i, rv,
	    t->status, why ? why : "-");
	if (rv != 0)
		CHECK(why != NULL, "request %zu: no reason", i);
	if (rv != 0 || t->status != 0) {
		free(buf);
		return;
	}
	CHECK(streq(req.method, t->method), "request %zu: method %s", i,
	    req.method);
	CHECK(streq(req.target, t->target), "request %zu: target %s", i,
	    req.target);
	CHECK(req.minor == t->minor, "request %zu: minor %d", i, req.minor);
	CHECK(req.framing == t->framing, "request %zu: framing %d", i,
	    (int)req.framing);
	CHECK(req.content_length == t->cl, "request %zu: length %llu", i,
	    (unsigned long long)req.content_length);
	CHECK(req.keepalive == t->keepalive, "request %zu: keepalive", i);
	CHECK(req.expect_continue == t->expect, "request %zu: expect", i);
	CHECK(streq(req.host, t->host), "request %zu: host %s", i,
	    req.host ? req.host : "(null)");
	CHECK(streq(req.host, http_header_get(req.hdr, req.nhdr, "HOST")),
	    "request %zu: host header", i);
	free(buf);
}

/*
 * Every byte value at every offset of a long field value (the value
 * check takes eight bytes at a time): controls but HTAB, and DEL, are
 * 400 wherever they fall; everything else, obs-text included, passes.
 */
static void
check_value_bytes(void)
{
	char		 head[256], *buf;
	const char	*why;
	struct http_request req;
	size_t		 len, off, pre;
	int		 c, rv, want;

	pre = strlen("GET / HTTP/1.1\r\nHost: a\r\nX-Long: v");
	for (c = 0; c < 256; c++) {
		want = ((c < 0x20 && c != '\t') || c == 0x7f) ? 400 : 0;
		if (c == '\r' || c == '\n' || c == ' ' || c == '\t')
			continue;	/* line ends and trimmed ends */
		for (off = 0; off < 19; off++) {
			len = (size_t)snprintf(head, sizeof(head),
			    "GET / HTTP/1.1\r\nHost: a\r\nX-Long: v"
			    "%.*s", (int)off, "abcdefghijklmnopqrstuvwxyz");
			head[len++] = (char)c;
			len += (size_t)snprintf(head + len, sizeof(head) - len,
			    "%s\r\n\r\n", "0123456789abcdefghij");
			buf = copy(head, len);
			why = NULL;
			rv = http_parse_request(buf, len, &deflim, &req, &why);
			CHECK(rv == want, "value byte 0x%02x at %zu: got %d "
			    "want %d (%s)", c, pre + off, rv, want,
			    why ? why : "-");
			free(buf);
		}
	}
}

/* Names and values are split and trimmed in place. */
static void
check_fields(void)
{
	char			 buf[] = "POST /x HTTP/1.1\r\nHost:  a \r\n"
	    "X-A:\t one two \t\r\nx-b:\r\nX-A: second\r\n\r\n";
	struct http_request	 req;
	const char		*why, *v;

	CHECK(http_parse_request(buf, sizeof(buf) - 1, &deflim, &req,
	    &why) == 0, "fields: parse");
	CHECK(req.nhdr == 4, "fields: nhdr %zu", req.nhdr);
	CHECK(streq(req.hdr[1].name, "X-A") &&
	    streq(req.hdr[1].value, "one two"), "fields: X-A");
	CHECK(streq(http_header_get(req.hdr, req.nhdr, "x-a"), "one two"),
	    "fields: first of two");
	CHECK(streq(http_header_get(req.hdr, req.nhdr, "X-B"), ""),
	    "fields: empty value");
	CHECK(http_header_get(req.hdr, req.nhdr, "X-C") == NULL,
	    "fields: absent");
	CHECK(http_header_count(req.hdr, req.nhdr, "x-A", &v) == 2 &&
	    streq(v, "one two"), "fields: count of two, the first");
	CHECK(http_header_count(req.hdr, req.nhdr, "X-B", &v) == 1 &&
	    streq(v, ""), "fields: count of one empty");
	CHECK(http_header_count(req.hdr, req.nhdr, "X-C", &v) == 0 &&
	    v == NULL, "fields: count of none");
	CHECK(http_header_count(req.hdr, req.nhdr, "X-A-", &v) == 0 &&
	    v == NULL, "fields: no prefix match");
	CHECK(streq(req.host, "a"), "fields: host");
}

/* A head of one Host and n - 1 other fields, in buf. */
static size_t
make_head(char *buf, size_t n)
{
	size_t	 i, len;

	len = (size_t)snprintf(buf, 64, "GET / HTTP/1.1\r\nHost: a\r\n");
	for (i = 1; i < n; i++)
		len += (size_t)snprintf(buf + len, 64, "X%zu: y\r\n", i);
	len += (size_t)snprintf(buf + len, 64, "\r\n");
	return (len);
}

/* A 300-byte target, in buf. */
static size_t
make_long(char *buf)
{
	memset(buf, 'a', 300);
	memcpy(buf, "GET /", 5);
	return (300 + (size_t)snprintf(buf + 300, 64,
	    " HTTP/1.1\r\n" H11 "\r\n"));
}

/* Head sizes around the limits, built rather than spelled out. */
static void
check_generated(void)
{
	struct http_limits	 lim = { 0, 0, 0, 0 };
	struct http_request	*req;
	const char		*why;
	char			*buf;
	size_t			 n, len;
	int			 rv;

	if ((req = malloc(sizeof(*req))) == NULL ||
	    (buf = malloc(16384)) == NULL)
		abort();
	for (n = HTTP_MAX_HEADERS_CAP; n <= HTTP_MAX_HEADERS_CAP + 1; n++) {
		len = make_head(buf, n);
		lim.max_headers = 0;
		rv = http_parse_request(buf, len, &lim, req, &why);
		CHECK(rv == (n > HTTP_MAX_HEADERS_CAP ? 431 : 0),
		    "cap %zu: %d", n, rv);
		len = make_head(buf, n);
		lim.max_headers = 100000;
		rv = http_parse_request(buf, len, &lim, req, &why);
		CHECK(rv == (n > HTTP_MAX_HEADERS_CAP ? 431 : 0),
		    "cap %zu over limit: %d", n, rv);
	}
	len = make_long(buf);
	CHECK(http_parse_request(buf, len, &deflim, req, &why) == 414,
	    "default 414");
	lim.max_request_line = 309;
	len = make_long(buf);
	CHECK(http_parse_request(buf, len, &lim, req, &why) == 0,
	    "request line at the limit");
	lim.max_request_line = 308;
	len = make_long(buf);
	CHECK(http_parse_request(buf, len, &lim, req, &why) == 414,
	    "request line one over the limit");
	lim.max_request_line = 0;
	len = make_long(buf);
	lim.max_head = len - 1;
	CHECK(http_parse_request(buf, len, &lim, req, &why) == 431,
	    "head one over the limit");
	lim.max_head = len;
	len = make_long(buf);
	CHECK(http_parse_request(buf, len, &lim, req, &why) == 0,
	    "head at the limit");
	free(buf);
	free(req);
}

/* Every truncation and byte flip of valid heads: no crash, no overread. */
static void
check_mutations(void)
{
	static const char	 flips[] = { '\0', '\r', '\n', ' ', '\t', ':',
	    ',', '\x7f', '\x80', 'x' };
	struct http_request	 req;
	const struct req_case	*t;
	const char		*why;
	char			*buf;
	size_t			 i, k, f;
	int			 rv;

	for (i = 0; i < NITEMS(req_cases); i++) {
		t = &req_cases[i];
		if (t->status != 0)
			continue;
		for (k = 0; k < t->len; k++) {
			buf = copy(t->in, k);
			rv = http_parse_request(buf, k, &deflim, &req, &why);
			CHECK(rv != 0, "truncated %zu at %zu parsed", i, k);
			free(buf);
			for (f = 0; f < sizeof(flips); f++) {
				buf = copy(t->in, t->len);
				buf[k] = flips[f];
				rv = http_parse_request(buf, t->len, &deflim,
				    &req, &why);
				CHECK(rv == 0 || why != NULL, "flip %zu", i);
				free(buf);
			}
		}
	}
}

struct resp_case {
	const char		*in;
	size_t			 len;
	int			 is_head;
	size_t			 maxh;
	int			 rv;
	int			 status;
	int			 minor;
	enum http_framing	 framing;
	uint64_t		 cl;
	int			 keepalive;
	const char		*reason;
};

#define RBAD(s)		{ .in = (s), .len = sizeof(s) - 1, .rv = -1 }
#define RBADH(s, h, m)	{ .in = (s), .len = sizeof(s) - 1, .rv = -1,	\
			  .is_head = (h), .maxh = (m) }
#define RGOOD(s, h, st, mi, fr, n, ka, r)				\
	{ .in = (s), .len = sizeof(s) - 1, .is_head = (h), .status = (st), \
	  .minor = (mi), .framing = (fr), .cl = (n), .keepalive = (ka),	\
	  .reason = (r) }
#define CLO	HTTP_BODY_CLOSE

static const struct resp_case resp_cases[] = {
	RBAD("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n"),
	RBADH("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n", 1, 0),
	RBAD("HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n"),
	RBAD("HTTP/1.1 200 OK\r\nContent-Length: 5, 6\r\n\r\n"),
	RBAD("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n"
	    "\r\n"),
	RBAD("HTTP/1.1 200 OK\r\nContent-Length: +5\r\n\r\n"),
	RBAD("HTTP/1.1 200 OK\r\nContent-Length: 18446744073709551616\r\n"
	    "\r\n"),
	RBAD("HTTP/1.1 200 OK\r\nContent-Length:\r\n\r\n"),
	RBAD("HTTP/1.1 200 OK\r\nContent_Length: 5\r\n\r\n"),
	RBAD("HTTP/1.1 200 OK\r\nX: a\r\n b\r\n\r\n"),
	RBAD("HTTP/1.1 200 OK\r\nX : y\r\n\r\n"),
	RBAD("HTTP/1.1 200 OK\r\nX: a\0b\r\n\r\n"),
	RBAD("HTTP/1.1 200 OK\r\nX: a\rb\r\n\r\n"),
	RBAD("HTTP/1.1 200 OK\rX: y\r\n\r\n"),
	RBAD("HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"),
	RBAD("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, chunked\r\n"
	    "\r\n"),
	RBAD("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n"),
	RBAD("HTTP/1.1 200 OK\r\nTransfer-Encoding:\r\n\r\n"),
	RBAD("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked,\r\n\r\n"),
	RBAD("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked x\r\n\r\n"),
	RBAD("HTTP/1.1 200 OK\r\nTransfer-Encoding: \"chunked\"\r\n\r\n"),
	RBADH("HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", 0, 2),
	RBAD("HTTP/2 200 OK\r\n\r\n"),
	RBAD("HTTP/2.0 200 OK\r\n\r\n"),
	RBAD("http/1.1 200 OK\r\n\r\n"),
	RBAD("HTTP/1.1 20 OK\r\n\r\n"),
	RBAD("HTTP/1.1 2000 OK\r\n\r\n"),
	RBAD("HTTP/1.1 200OK\r\n\r\n"),
	RBAD("HTTP/1.1  200 OK\r\n\r\n"),
	RBAD("HTTP/1.1 099 X\r\n\r\n"),
	RBAD("HTTP/1.1 600 X\r\n\r\n"),
	RBAD("HTTP/1.1 2x0 OK\r\n\r\n"),
	RBAD("HTTP/1.1 200 O\x01K\r\n\r\n"),
	RBAD("HTTP/1.1 200 OK\r\n"),
	RBAD(""),
	RGOOD("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", 0, 200, 1,
	    LEN, 5, 1, "OK"),
	RGOOD("HTTP/1.1 200 OK\r\nContent-Length: 5, 05\r\n\r\n", 0, 200, 1,
	    LEN, 5, 1, "OK"),
	RGOOD("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", 0,
	    200, 1, CHK, 0, 1, "OK"),
	RGOOD("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, Chunked\r\n\r\n",
	    0, 200, 1, CHK, 0, 1, "OK"),
	RGOOD("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n", 0, 200, 1, CHK, 0, 1, "OK"),
	RGOOD("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n",
	    0, 200, 1, CLO, 0, 0, "OK"),
	RGOOD("HTTP/1.1 200 OK\r\n\r\n", 0, 200, 1, CLO, 0, 0, "OK"),
	RGOOD("HTTP/1.1 204 No Content\r\n\r\n", 0, 204, 1, NO, 0, 1,
	    "No Content"),
	RGOOD("HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n", 0,
	    304, 1, NO, 0, 1, "Not Modified"),
	RGOOD("HTTP/1.1 100 Continue\r\n\r\n", 0, 100, 1, NO, 0, 1,
	    "Continue"),
	RGOOD("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n", 1, 200, 1, NO,
	    0, 1, "OK"),
	RGOOD("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", 1,
	    200, 1, NO, 0, 1, "OK"),
	RGOOD("HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\n", 0, 200, 0,
	    LEN, 1, 0, "OK"),
	RGOOD("HTTP/1.0 200 OK\r\nContent-Length: 1\r\n"
	    "Connection: keep-alive\r\n\r\n", 0, 200, 0, LEN, 1, 1, "OK"),
	RGOOD("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n"
	    "Connection: close\r\n\r\n", 0, 200, 1, LEN, 1, 0, "OK"),
	RGOOD("HTTP/1.1 404 \r\nContent-Length: 0\r\n\r\n", 0, 404, 1, LEN,
	    0, 1, ""),
	RGOOD("HTTP/1.1 404\r\nContent-Length: 0\r\n\r\n", 0, 404, 1, LEN,
	    0, 1, ""),
	RGOOD("HTTP/1.1 502 Very\tBad  Gateway\xff\nContent-Length: 0\n\n",
	    0, 502, 1, LEN, 0, 1, "Very\tBad  Gateway\xff"),
};

static void
check_response(size_t i, const struct resp_case *t)
{
	struct http_response	 resp;
	const char		*why = NULL;
	char			*buf = copy(t->in, t->len);
	int			 rv;

	rv = http_parse_response(buf, t->len, t->is_head, t->maxh, &resp,
	    &why);
	CHECK(rv == t->rv, "response %zu: got %d (%s)", i, rv,
	    why ? why : "-");
	if (rv != 0)
		CHECK(why != NULL, "response %zu: no reason", i);
	if (rv == 0 && t->rv == 0) {
		CHECK(resp.status == t->status, "response %zu: status", i);
		CHECK(resp.minor == t->minor, "response %zu: minor", i);
		CHECK(resp.framing == t->framing, "response %zu: framing %d",
		    i, (int)resp.framing);
		CHECK(resp.content_length == t->cl, "response %zu: length",
		    i);
		CHECK(resp.keepalive == t->keepalive,
		    "response %zu: keepalive", i);
		CHECK(streq(resp.reason, t->reason), "response %zu: reason",
		    i);
	}
	free(buf);
}

static const struct {
	const char	*in;
	size_t		 len;
	size_t		 end;
} end_cases[] = {
#define E(s, n)	{ (s), sizeof(s) - 1, (n) }
	E("GET / HTTP/1.1\r\nHost: a\r\n\r\n", 27),
	E("GET / HTTP/1.1\r\nHost: a\r\n\r\nbody\r\n\r\n", 27),
	E("GET / HTTP/1.1\nHost: a\n\n", 24),
	E("a\r\n\n", 4),
	E("a\n\r\n", 4),
	E("a\n\nb\n\n", 3),
	E("\r\nGET /\r\n\r\n", 11),
	E("\nGET /\n\n", 8),
	E("\r\n\r\n", 0),		/* one leading empty line skipped */
	E("\r\n\r\n\r\n", 6),
	E("a\r\r\n\r\n", 6),
	E("GET / HTTP/1.1\r\nHost: a\r\n", 0),
	E("GET / HTTP/1.1\r\nHost: a\r\n\r", 0),
	E("a\r\n\r\r\n", 0),
	E("a\r\r", 0),
	E("\r\n", 0),
	E("\n", 0),
	E("", 0),
#undef E
};

/* http_head_limit: a head not complete yet, against small limits */
static const struct {
	const char	*in;
	int		 status;
} limit_cases[] = {
	{ "GET / HTTP/1.1\r\nHost: a\r\n", 0 },
	{ "GET /", 0 },
	{ "", 0 },
	{ "GET /aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 414 },
	{ "GET /aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa HTTP/1.1\r\n", 414 },
	{ "GET / HTTP/1.1\r\nX: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 431 },
	{ "GET / HTTP/1.1\r\nX: a\r\nY: bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\r\n", 431 },
	{ "\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n", 0 },
	{ "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:9000\r\nContent-Length: 1000\r\nX-Y: z\r\n", 431 },
};

static void
check_misc(void)
{
	struct http_limits	 lim = { 32, 64, 10, 100 };
	size_t			 i;

	for (i = 0; i < NITEMS(limit_cases); i++)
		CHECK(http_head_limit(limit_cases[i].in,
		    strlen(limit_cases[i].in), &lim) == limit_cases[i].status,
		    "head_limit %zu: %d", i, http_head_limit(limit_cases[i].in,
		    strlen(limit_cases[i].in), &lim));

	for (i = 0; i < NITEMS(end_cases); i++)
		CHECK(http_head_end(end_cases[i].in, end_cases[i].len) ==
		    end_cases[i].end, "head_end %zu: %zu", i,
		    http_head_end(end_cases[i].in, end_cases[i].len));
	CHECK(http_list_has("keep-alive, Close", "close"), "list 1");
	CHECK(http_list_has(" close ", "close"), "list 2");
	CHECK(http_list_has("a,\tclose\t,b", "CLOSE"), "list 3");
	CHECK(!http_list_has("closed", "close"), "list 4");
	CHECK(!http_list_has("xclose, clos", "close"), "list 5");
	CHECK(!http_list_has("", "close"), "list 6");
	CHECK(!http_list_has(NULL, "close"), "list 7");
	CHECK(!http_list_has("keep alive", "keep-alive"), "list 8");
	CHECK(streq(http_reason(400), "Bad Request"), "reason 400");
	CHECK(streq(http_reason(417), "Expectation Failed"), "reason 417");
	CHECK(streq(http_reason(431), "Request Header Fields Too Large"),
	    "reason 431");
	CHECK(streq(http_reason(505), "HTTP Version Not Supported"),
	    "reason 505");
	CHECK(streq(http_reason(999), ""), "reason 999");
}

int
main(void)
{
	size_t	 i, nbad = 0;

	for (i = 0; i < NITEMS(req_cases); i++) {
		check_request(i, &req_cases[i]);
		nbad += req_cases[i].status != 0;
	}
	printf("request cases: %zu bad, %zu good\n", nbad,
	    NITEMS(req_cases) - nbad);
	for (i = 0, nbad = 0; i < NITEMS(resp_cases); i++) {
		check_response(i, &resp_cases[i]);
		nbad += resp_cases[i].rv != 0;
	}
	printf("response cases: %zu bad, %zu good\n", nbad,
	    NITEMS(resp_cases) - nbad);
	check_fields();
	check_value_bytes();
	check_generated();
	check_mutations();
	check_misc();
	return (unit_done("mcpproxyd_http"));
}
