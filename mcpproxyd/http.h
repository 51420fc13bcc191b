/*
 * HTTP/1.1 message heads and chunked transfer coding (RFC 9112).
 * Pure parsing on buffers: no I/O here, so every case can be tested
 * from a table.  Names and values point into the caller's buffer,
 * which the parser NUL-terminates in place.
 */
#ifndef MCPPROXYD_HTTP_H
#define MCPPROXYD_HTTP_H

#include <stddef.h>
#include <stdint.h>

#define HTTP_MAX_HEADERS_CAP	256	/* hard ceiling of max_headers */

struct http_limits {
	size_t		 max_request_line;	/* bytes, 414 beyond */
	size_t		 max_head;		/* whole head, 431 beyond */
	size_t		 max_headers;		/* count, 431 beyond */
	uint64_t	 max_body;		/* bytes, 413 beyond */
};

struct http_header {
	char		*name;		/* as sent; compare case-insensitively */
	char		*value;		/* leading/trailing OWS removed */
};

enum http_framing {
	HTTP_BODY_NONE,		/* no body */
	HTTP_BODY_LENGTH,	/* Content-Length bytes */
	HTTP_BODY_CHUNKED,	/* Transfer-Encoding: chunked */
	HTTP_BODY_CLOSE		/* responses only: until the peer closes */
};

struct http_request {
	char			*method;
	char			*target;	/* origin-form: starts with '/'
						   (absolute-form is made
						   origin-form), or "*" */
	int			 minor;		/* HTTP/1.<minor>: 0 or 1 */
	struct http_header	 hdr[HTTP_MAX_HEADERS_CAP];
	size_t			 nhdr;
	enum http_framing	 framing;	/* NONE, LENGTH or CHUNKED */
	uint64_t		 content_length;
	int			 keepalive;	/* per version and Connection */
	int			 expect_continue;
	const char		*host;		/* Host value, NULL if absent;
						   the authority of an
						   absolute-form target */
};

struct http_response {
	int			 status;
	int			 minor;
	char			*reason;
	struct http_header	 hdr[HTTP_MAX_HEADERS_CAP];
	size_t			 nhdr;
	enum http_framing	 framing;
	uint64_t		 content_length;
	int			 keepalive;	/* upstream may be reused */
};

/*
 * Find the end of a message head in buf[0..len): returns the length of
 * the head including its final CRLFCRLF (a bare LF LF is accepted), or
 * 0 if the head is not complete yet.
 */
size_t	http_head_end(const char *buf, size_t len);
int	http_head_limit(const char *buf, size_t len,
	    const struct http_limits *lim);

/*
 * Parse a complete request head (as delimited by http_head_end) in
 * place.  Returns 0 on success, or the HTTP status to answer with
 * (400, 413, 414, 431, 501, 505) and sets *why to a short static
 * lowercase reason for the log.
 */
int	http_parse_request(char *head, size_t len,
	    const struct http_limits *lim, struct http_request *req,
	    const char **why);

/*
 * Parse a complete response head in place.  is_head: the request was
 * HEAD (no body whatever the headers say).  Returns 0, or -1 with *why
 * on a response that cannot be framed safely.
 */
int	http_parse_response(char *head, size_t len, int is_head,
	    size_t max_headers, struct http_response *resp, const char **why);

/* Value of the first header called name (case-insensitive) or NULL. */
size_t	 http_header_count(const struct http_header *hdr, size_t nhdr,
	    const char *name, const char **first);
const char *http_header_get(const struct http_header *hdr, size_t nhdr,
	    const char *name);

/*
 * Is token (case-insensitive) one of the comma-separated elements of
 * list?  Used for Connection and Transfer-Encoding.
 */
int	http_list_has(const char *list, const char *token);

/* Reason phrase of a status code ("Bad Request"), "" if unknown. */
const char *http_reason(int status);

/*
 * Incremental decoder of the chunked transfer coding.  Bytes are fed
 * as they arrive; chunk data is moved to the front of the same buffer.
 */
struct chunked {
	int		 state;
	uint64_t	 left;		/* data bytes left in this chunk */
	uint64_t	 total;		/* data bytes seen so far */
	uint64_t	 max_total;	/* 0: no limit */
	size_t		 linelen;	/* bytes of the current size/trailer line */
	int		 sawdigit;
};

void	chunked_init(struct chunked *c, uint64_t max_total);

/*
 * Decode buf[0..len) in place.  On return *used is how many input
 * bytes were consumed and *datalen how many data bytes now sit at
 * buf[0..*datalen).  Returns 1 when the last chunk and trailers have
 * been consumed (bytes after *used belong to the next message), 0 when
 * more input is needed, -1 on a malformed coding (*why set), -2 when
 * max_total would be exceeded.
 */
int	chunked_decode(struct chunked *c, char *buf, size_t len,
	    size_t *used, size_t *datalen, const char **why);

#endif
