/*
 * Strict HTTP/1.1 message heads (RFC 9112).  This parser sits in front
 * of servers whose own parsers we do not know, so anything two parsers
 * could read two ways is refused rather than repaired: bare CR, NUL,
 * obs-fold, whitespace before a colon, TE with CL, unknown codings,
 * disagreeing lengths.
 *
 * Decisions where RFC 9112 leaves a choice:
 * - one empty line before the request line is skipped (RFC 9112 2.2);
 * - Content-Length: leading zeros are fine ("05" is 5); identical
 *   duplicates, in one list or several lines, are collapsed; any
 *   difference, an empty element or a non-digit is 400;
 * - Transfer-Encoding in a request: only one line, exactly "chunked";
 *   an empty value is 400, any other coding or a list is 501;
 * - the request target may only hold RFC 3986 path/query characters
 *   with well-formed %XX;
 * - absolute-form (RFC 9112 3.2.2) is accepted for the http and https
 *   schemes only (any other scheme is 400) and normalised in place to
 *   origin-form: the target becomes the path and query, "/" if the path
 *   is empty (also for OPTIONS); the authority must pass the Host rules
 *   below (no userinfo, no empty port).  The authority then IS the
 *   Host: a Host field must still be present on HTTP/1.1, single and
 *   valid (RFC 9112 3.2), but its value is ignored and replaced by the
 *   authority in the field table, so every later reader (allowed_hosts,
 *   X-Forwarded-Host, the resource metadata) sees one and the same
 *   host; an HTTP/1.0 request without Host gets a Host field made from
 *   the authority;
 * - authority-form is 400 outside CONNECT; CONNECT itself is 501 (this
 *   is not a forward proxy), whatever its target;
 * - HTTP/1.2 and the like are 505, not read as 1.1;
 * - Host must be non-empty reg-name (ALPHA DIGIT - . _ ~) or an
 *   [IPv6] literal, with an optional 1-5 digit port;
 * - Expect on HTTP/1.1: only 100-continue, else 417; ignored on 1.0;
 * - header names that differ from Content-Length or Transfer-Encoding
 *   only by '_' for '-' are 400, as CGI-style backends merge them;
 * - a zero limit in struct http_limits means "no limit" (max_headers:
 *   HTTP_MAX_HEADERS_CAP), as max_total does for the chunked decoder.
 */
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "http.h"

#define ISOWS(c)	((c) == ' ' || (c) == '\t')

struct framing {
	size_t		 ncl;		/* Content-Length lines */
	uint64_t	 cl;
	size_t		 nte;		/* Transfer-Encoding lines */
	const char	*te;		/* the first one */
	size_t		 nhost;
	const char	*host;
	size_t		 hosti;		/* its index in the field table */
	int		 close;		/* Connection: close */
	int		 keepalive;	/* Connection: keep-alive */
	int		 badcl;		/* malformed or disagreeing lengths */
};

/*
 * Character classes, one table lookup each (ctype would follow the
 * locale, and strchr() per byte cost a tenth of a request).
 */
#define CC_TCHAR	0x01	/* RFC 9110 5.6.2 tchar */
#define CC_HEX		0x02
#define CC_ORIGIN	0x04	/* RFC 3986 path and query, but '%' */
#define CC_HOST		0x08	/* reg-name: ALPHA DIGIT - . _ ~ */
#define CC_VALUE	0x10	/* field-value: VCHAR, obs-text, SP, HTAB */
#define CC_DIGIT	0x20
static unsigned char	 cclass[256];

static void cclass_init(void) __attribute__((constructor));

static void
cclass_init(void)
{
	const char	*p;
	int		 c;

	for (c = 0; c < 256; c++) {
		int alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
		int digit = c >= '0' && c <= '9';

		if (alpha || digit)
			cclass[c] |= CC_TCHAR | CC_ORIGIN | CC_HOST;
		if (digit)
			cclass[c] |= CC_DIGIT;
		if (digit || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))
			cclass[c] |= CC_HEX;
		if ((c >= 0x20 && c != 0x7f) || c == '\t')
			cclass[c] |= CC_VALUE;
	}
	for (p = "!#$%&'*+-.^_`|~"; *p != '\0'; p++)
		cclass[(unsigned char)*p] |= CC_TCHAR;
	for (p = "-._~!$&'()*+,;=:@/?"; *p != '\0'; p++)
		cclass[(unsigned char)*p] |= CC_ORIGIN;
	for (p = "-._~"; *p != '\0'; p++)
		cclass[(unsigned char)*p] |= CC_HOST;
}

static int
is_digit(unsigned char c)
{
	return (cclass[c] & CC_DIGIT);
}

static int
is_alnum(unsigned char c)
{
	return (is_digit(c) || (c >= 'a' && c <= 'z') ||
	    (c >= 'A' && c <= 'Z'));
}

static int
lower(unsigned char c)
{
	return (c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
}

static int
is_tchar(unsigned char c)
{
	return (cclass[c] & CC_TCHAR);
}

static int
is_hex(unsigned char c)
{
	return (cclass[c] & CC_HEX);
}

/* Length of the empty line at buf[i] (CRLF or LF), or 0. */
static size_t
empty_line(const char *buf, size_t len, size_t i)
{
	if (i < len && buf[i] == '\n')
		return (1);
	if (i + 1 < len && buf[i] == '\r' && buf[i + 1] == '\n')
		return (2);
	return (0);
}

/* Find the empty line that ends a head, after one optional leading one. */
size_t
http_head_end(const char *buf, size_t len)
{
	size_t	 i, start, n;

	const char	*lf;

	start = empty_line(buf, len, 0);
	for (i = start; i < len; i = lf - buf + 1) {
		if ((lf = memchr(buf + i, '\n', len - i)) == NULL)
			break;
		if ((n = empty_line(buf, len, lf - buf + 1)) != 0)
			return (lf - buf + 1 + n);
	}
	return (0);
}

/*
 * Is a head not yet complete, of which len bytes came, over a limit?
 * Returns 414 (request line too long), 431 (head too large) or 0.  The
 * worker (head.c) and the waiting room (waitroom.c) both ask here, so
 * that a slow client gets the same answer in either.
 */
int
http_head_limit(const char *buf, size_t len, const struct http_limits *lim)
{
	if (len > lim->max_request_line &&
	    memchr(buf, '\n', lim->max_request_line) == NULL)
		return (414);
	if (len >= lim->max_head)
		return (431);
	return (0);
}

/*
 * Delimit the line at head[off..len): its length without CRLF or LF
 * and where the next line starts.  NUL and a CR not followed by LF are
 * refused here, so no later check can be fooled by them.
 */
static const char *
next_line(const char *head, size_t len, size_t off, size_t *linelen,
    size_t *next)
{
	const char	*lf, *cr, *nul;
	size_t		 end;

	/* memchr passes: far fewer instructions than a loop per byte */
	lf = memchr(head + off, '\n', len - off);
	end = lf != NULL ? (size_t)(lf - head) : len;
	nul = memchr(head + off, '\0', end - off);
	cr = memchr(head + off, '\r', end - off);
	if (nul != NULL && (cr == NULL || nul < cr))
		return ("nul byte in head");
	if (cr != NULL && cr + 1 != lf)
		return ("bare cr in head");
	if (lf == NULL)
		return ("incomplete head");
	*linelen = (cr != NULL ? cr : lf) - (head + off);
	*next = end + 1;
	return (NULL);
}

/* Do a and b differ only in '-' versus '_'? (both NUL-terminated) */
static int
confusable(const char *a, const char *b)
{
	int	 under = 0;

	for (; *a != '\0' && *b != '\0'; a++, b++) {
		if (*a == '_' && *b == '-') {
			under = 1;
			continue;
		}
		if (lower(*a) != lower(*b))
			return (0);
	}
	return (under && *a == '\0' && *b == '\0');
}

/*
 * Only field-value bytes in p[0..n)?  Eight at a time: a word with no
 * byte below 0x20 and none equal to 0x7f is fine as it is; only a word
 * that has one (usually a tab) is looked at byte by byte.  Tokens make
 * values of a kilobyte and more.
 */
static int
value_ok(const unsigned char *p, size_t n)
{
	const uint64_t	 ones = 0x0101010101010101ULL;
	const uint64_t	 high = 0x8080808080808080ULL;
	uint64_t	 w, del;
	size_t		 i = 0, j;

	for (; i + 8 <= n; i += 8) {
		memcpy(&w, p + i, 8);
		del = w ^ (0x7f * ones);
		if ((((w - 0x20 * ones) & ~w) | ((del - ones) & ~del)) &
		    high) {
			for (j = i; j < i + 8; j++)
				if (!(cclass[p[j]] & CC_VALUE))
					return (0);
		}
	}
	for (; i < n; i++)
		if (!(cclass[p[i]] & CC_VALUE))
			return (0);
	return (1);
}

/* Split one field line in place into h; 0 or 400. */
static int
parse_field(char *line, size_t n, struct http_header *h, const char **why)
{
	size_t	 i, vs, ve;

	if (n > 0 && ISOWS(line[0])) {
		*why = "obs-fold or whitespace before field";
		return (400);
	}
	for (i = 0; i < n && is_tchar(line[i]); i++)
		;
	if (i == n || line[i] != ':' || i == 0) {
		*why = (i < n && ISOWS(line[i])) ?
		    "whitespace before colon" : "bad field name";
		return (400);
	}
	for (vs = i + 1; vs < n && ISOWS(line[vs]); vs++)
		;
	for (ve = n; ve > vs && ISOWS(line[ve - 1]); ve--)
		;
	if (!value_ok((const unsigned char *)line + vs, ve - vs)) {
		*why = "control character in field value";
		return (400);
	}
	line[i] = '\0';
	line[ve] = '\0';	/* at worst the CR or LF */
	h->name = line;
	h->value = line + vs;
	if ((i == 14 && confusable(h->name, "content-length")) ||
	    (i == 17 && confusable(h->name, "transfer-encoding"))) {
		*why = "confusable field name";
		return (400);
	}
	return (0);
}

/*
 * Parse the field lines from head[off] to the empty line, which must
 * end the buffer.  Returns 0, 400 or 431.
 */
static int
parse_fields(char *head, size_t len, size_t off, size_t max,
    struct http_header *hdr, size_t *nhdr, const char **why)
{
	size_t	 n, next;
	int	 rv;

	if (max == 0 || max > HTTP_MAX_HEADERS_CAP)
		max = HTTP_MAX_HEADERS_CAP;
	*nhdr = 0;
	for (;;) {
		if ((*why = next_line(head, len, off, &n, &next)) != NULL)
			return (400);
		if (n == 0)
			break;
		if (*nhdr >= max) {
			*why = "too many header fields";
			return (431);
		}
		if ((rv = parse_field(head + off, n, &hdr[*nhdr], why)) != 0)
			return (rv);
		(*nhdr)++;
		off = next;
	}
	if (next != len) {
		*why = "bytes after the head";
		return (400);
	}
	return (0);
}

/* "HTTP/1.0" or "HTTP/1.1": 0; other HTTP/d.d: 505; else 400. */
static int
parse_version(const char *s, size_t n, int *minor)
{
	if (n != 8 || memcmp(s, "HTTP/", 5) != 0 || !is_digit(s[5]) ||
	    s[6] != '.' || !is_digit(s[7]))
		return (400);
	if (s[5] != '1' || (s[7] != '0' && s[7] != '1'))
		return (505);
	*minor = s[7] - '0';
	return (0);
}

/* Only RFC 3986 path and query characters and well-formed %XX. */
static int
valid_origin(const char *t, size_t n)
{
	size_t	 i;

	if (n == 0 || t[0] != '/')
		return (0);
	for (i = 0; i < n; i++) {
		unsigned char c = t[i];

		if (c == '%') {
			if (i + 2 >= n || !is_hex(t[i + 1]) ||
			    !is_hex(t[i + 2]))
				return (0);
			i += 2;
		} else if (!(cclass[c] & CC_ORIGIN))
			return (0);
	}
	return (1);
}

static int	valid_host(const char *);

/* Is s[0..n) "http://" or "https://" (any case)?  Its length or 0. */
static size_t
http_scheme(const char *s, size_t n)
{
	if (n >= 7 && strncasecmp(s, "http://", 7) == 0)
		return (7);
	if (n >= 8 && strncasecmp(s, "https://", 8) == 0)
		return (8);
	return (0);
}

/* host ":" port, as CONNECT takes: a name, ':' and nothing but digits. */
static int
authority_form(const char *s, size_t n)
{
	size_t	 i, c;

	for (c = 0; c < n && s[c] != ':' && s[c] != '/'; c++)
		;
	if (c == 0 || c == n || s[c] != ':')
		return (0);
	for (i = c + 1; i < n && is_digit(s[i]); i++)
		;
	return (i == n);
}

/* Does s[0..n) start with scheme ":" (RFC 3986 3.1)? */
static int
has_scheme(const char *s, size_t n)
{
	size_t	 i;

	if (n == 0 || !((s[0] >= 'a' && s[0] <= 'z') ||
	    (s[0] >= 'A' && s[0] <= 'Z')))
		return (0);
	for (i = 1; i < n && (is_alnum(s[i]) || s[i] == '+' || s[i] == '-' ||
	    s[i] == '.'); i++)
		;
	return (i < n && s[i] == ':');
}

/*
 * Absolute-form target line[t..e) with an http or https scheme, made
 * origin-form in place (line[e] is the SP before the version, and
 * becomes the NUL that ends the target).  The bytes of the scheme make
 * room: "Host\0" is written over them (*hostname, the field name for
 * an HTTP/1.0 request that has no Host field), then the authority and
 * its NUL (req->host), then the target, with a '/' put in front of it
 * when the path is empty.  Returns 0 or 400.
 */
static int
absolute_form(char *line, size_t t, size_t e, struct http_request *req,
    char **hostname, const char **why)
{
	size_t	 s, a, p, alen;

	if ((s = http_scheme(line + t, e - t)) == 0) {
		*why = "unsupported scheme in absolute-form target";
		return (400);
	}
	for (a = t + s, p = a; p < e && line[p] != '/' && line[p] != '?';
	    p++)
		;
	alen = p - a;
	memmove(line + t + 5, line + a, alen);	/* 5 <= s - 2 */
	line[t + 5 + alen] = '\0';
	memcpy(line + t, "Host", 5);
	*hostname = line + t;
	req->host = line + t + 5;
	if (!valid_host(req->host)) {
		*why = "bad authority in absolute-form target";
		return (400);
	}
	if (p == e || line[p] == '?')
		line[--p] = '/';	/* the last byte of the authority */
	if (!valid_origin(line + p, e - p)) {
		*why = "bad request target";
		return (400);
	}
	req->target = line + p;
	return (0);
}

/*
 * method SP request-target SP HTTP-version, split in place.
 * *hostname: see absolute_form(), NULL for any other form.
 */
static int
parse_request_line(char *line, size_t n, struct http_request *req,
    char **hostname, const char **why)
{
	size_t	 i, t;
	int	 rv;

	*hostname = NULL;
	for (i = 0; i < n && is_tchar(line[i]); i++)
		;
	if (i == 0 || i == n || line[i] != ' ') {
		*why = "bad method";
		return (400);
	}
	line[i] = '\0';
	req->method = line;
	for (t = ++i; i < n && line[i] != ' '; i++)
		;
	if (i == n) {
		*why = "no http version";
		return (400);
	}
	if ((rv = parse_version(line + i + 1, n - i - 1, &req->minor)) != 0) {
		*why = rv == 505 ? "unsupported http version" :
		    "bad http version";
		return (rv);
	}
	if (strcmp(req->method, "CONNECT") == 0) {
		*why = "connect not supported";
		return (501);
	}
	if (valid_origin(line + t, i - t) || (i - t == 1 && line[t] == '*' &&
	    strcmp(req->method, "OPTIONS") == 0))
		req->target = line + t;
	else if (authority_form(line + t, i - t)) {
		*why = "authority-form target";
		return (400);
	} else if (has_scheme(line + t, i - t)) {
		if ((rv = absolute_form(line, t, i, req, hostname, why)) != 0)
			return (rv);
	} else {
		*why = "bad request target";
		return (400);
	}
	line[i] = '\0';
	line[n] = '\0';
	return (0);
}

/*
 * Content-Length = 1*DIGIT, here possibly a list or repeated: every
 * element must be digits and all must agree.  Returns 0 or -1.
 */
static int
merge_length(const char *v, struct framing *f)
{
	uint64_t	 x;
	size_t		 digits;

	for (;;) {
		while (ISOWS(*v))
			v++;
		for (x = 0, digits = 0; is_digit(*v); v++, digits++) {
			if (x > (UINT64_MAX - (*v - '0')) / 10)
				return (-1);
			x = x * 10 + (*v - '0');
		}
		while (ISOWS(*v))
			v++;
		if (digits == 0 || (*v != ',' && *v != '\0'))
			return (-1);
		if (f->ncl++ > 0 && x != f->cl)
			return (-1);
		f->cl = x;
		if (*v++ == '\0')
			return (0);
	}
}

/* Collect what framing, Host and Connection say, for either side. */
static void
scan_fields(const struct http_header *hdr, size_t nhdr, struct framing *f)
{
	size_t	 i;

	memset(f, 0, sizeof(*f));
	for (i = 0; i < nhdr; i++) {
		const char *name = hdr[i].name, *v = hdr[i].value;
		int first = lower(name[0]);

		/* the first letter first: most fields are none of these */
		if (first == 'c' && strcasecmp(name, "content-length") == 0) {
			if (merge_length(v, f) == -1)
				f->badcl = 1;
		} else if (first == 't' &&
		    strcasecmp(name, "transfer-encoding") == 0) {
			if (f->nte++ == 0)
				f->te = v;
		} else if (first == 'h' && strcasecmp(name, "host") == 0) {
			if (f->nhost++ == 0) {
				f->host = v;
				f->hosti = i;
			}
		} else if (first == 'c' && strcasecmp(name, "connection") == 0) {
			f->close |= http_list_has(v, "close");
			f->keepalive |= http_list_has(v, "keep-alive");
		}
	}
}

/* uri-host [ ":" port ], strict: reg-name of ALPHA DIGIT -._~ or [v6]. */
static int
valid_host(const char *h)
{
	size_t	 n = 0;

	if (*h == '[') {
		for (h++; is_hex(*h) || *h == ':' || *h == '.'; h++)
			n++;
		if (*h++ != ']' || n < 2)
			return (0);
	} else {
		for (; cclass[(unsigned char)*h] & CC_HOST; h++)
			n++;
		if (n == 0)
			return (0);
	}
	if (*h == '\0')
		return (1);
	if (*h++ != ':')
		return (0);
	for (n = 0; is_digit(*h); h++)
		n++;
	return (*h == '\0' && n >= 1 && n <= 5);
}

/*
 * Host and the body framing of a request (RFC 9112 6.1, 6.3, 3.2).
 * hostname: the request was absolute-form and req->host already holds
 * its authority (see absolute_form()).
 */
static int
request_framing(struct http_request *req, const struct framing *f,
    const struct http_limits *lim, char *hostname, const char **why)
{
	if (f->nhost > 1 || (f->nhost == 0 && req->minor == 1) ||
	    (f->host != NULL && !valid_host(f->host))) {
		*why = f->nhost > 1 ? "more than one host" :
		    f->nhost == 0 ? "no host" : "bad host";
		return (400);
	}
	if (hostname == NULL)
		req->host = f->host;
	else if (f->nhost == 1)		/* RFC 9112 3.2.2: the authority wins */
		req->hdr[f->hosti].value = (char *)req->host;
	else if (req->nhdr < HTTP_MAX_HEADERS_CAP) {
		req->hdr[req->nhdr].name = hostname;
		req->hdr[req->nhdr++].value = (char *)req->host;
	} else {
		*why = "too many header fields";
		return (431);
	}
	if (f->badcl) {
		*why = "bad content-length";
		return (400);
	}
	if (f->nte > 0) {
		*why = req->minor == 0 ? "transfer-encoding in http/1.0" :
		    f->ncl > 0 ? "transfer-encoding with content-length" :
		    f->nte > 1 ? "more than one transfer-encoding" :
		    *f->te == '\0' ? "empty transfer-encoding" : NULL;
		if (*why != NULL)
			return (400);
		if (strcasecmp(f->te, "chunked") != 0) {
			*why = "unsupported transfer-encoding";
			return (501);
		}
		req->framing = HTTP_BODY_CHUNKED;
	} else if (f->ncl > 0) {
		if (lim->max_body != 0 && f->cl > lim->max_body) {
			*why = "body too large";
			return (413);
		}
		req->framing = HTTP_BODY_LENGTH;
		req->content_length = f->cl;
	} else
		req->framing = HTTP_BODY_NONE;
	return (0);
}

/* Expect: only 100-continue, and only meaningful on HTTP/1.1. */
static int
request_expect(struct http_request *req, const char **why)
{
	size_t	 i;

	if (req->minor == 0)
		return (0);
	for (i = 0; i < req->nhdr; i++) {
		if (strcasecmp(req->hdr[i].name, "expect") != 0)
			continue;
		if (strcasecmp(req->hdr[i].value, "100-continue") != 0) {
			*why = "unsupported expectation";
			return (417);
		}
		req->expect_continue = 1;
	}
	return (0);
}

/* Parse and check a whole request head; 0 or the status to answer. */
int
http_parse_request(char *head, size_t len, const struct http_limits *lim,
    struct http_request *req, const char **why)
{
	struct framing	 f;
	size_t		 off, n, next;
	char		*hostname;
	int		 rv;

	memset(req, 0, sizeof(*req));
	*why = NULL;
	off = empty_line(head, len, 0);
	if ((*why = next_line(head, len, off, &n, &next)) != NULL)
		return (400);
	if (lim->max_request_line != 0 && n > lim->max_request_line) {
		*why = "request line too long";
		return (414);
	}
	if (lim->max_head != 0 && len > lim->max_head) {
		*why = "head too large";
		return (431);
	}
	if ((rv = parse_request_line(head + off, n, req, &hostname,
	    why)) != 0)
		return (rv);
	if ((rv = parse_fields(head, len, next, lim->max_headers, req->hdr,
	    &req->nhdr, why)) != 0)
		return (rv);
	scan_fields(req->hdr, req->nhdr, &f);
	if ((rv = request_framing(req, &f, lim, hostname, why)) != 0)
		return (rv);
	if (req->minor == 1)
		req->keepalive = !f.close;
	else
		req->keepalive = f.keepalive && !f.close;
	return (request_expect(req, why));
}

/* HTTP-version SP 3DIGIT [SP reason-phrase]; 0 or -1. */
static int
parse_status_line(char *line, size_t n, struct http_response *resp)
{
	size_t	 i;

	if (n < 12 || parse_version(line, 8, &resp->minor) != 0 ||
	    line[8] != ' ' || !is_digit(line[9]) || !is_digit(line[10]) ||
	    !is_digit(line[11]) || (n > 12 && line[12] != ' '))
		return (-1);
	resp->status = (line[9] - '0') * 100 + (line[10] - '0') * 10 +
	    (line[11] - '0');
	if (resp->status < 100 || resp->status > 599)
		return (-1);
	for (i = 13; i < n; i++) {
		unsigned char c = line[i];

		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return (-1);
	}
	line[n] = '\0';
	resp->reason = n > 12 ? line + 13 : line + 12;
	return (0);
}

/*
 * Transfer-Encoding of a response, all lines taken as one list: 1 if
 * chunked is the final coding, 0 if not, -1 if an element is not a
 * bare token or chunked comes twice (RFC 9112 6.1).
 */
static int
response_chunked(const struct http_header *hdr, size_t nhdr)
{
	const char	*v, *e;
	size_t		 i, j, n, nchunked = 0;
	int		 last = 0;

	for (i = 0; i < nhdr; i++) {
		if (strcasecmp(hdr[i].name, "transfer-encoding") != 0)
			continue;
		for (v = hdr[i].value;; v = e + 1) {
			while (ISOWS(*v))
				v++;
			if ((e = strchr(v, ',')) == NULL)
				e = v + strlen(v);
			for (n = e - v; n > 0 && ISOWS(v[n - 1]); n--)
				;
			for (j = 0; j < n; j++)
				if (!is_tchar(v[j]))
					return (-1);
			if (n == 0)
				return (-1);
			last = n == 7 && strncasecmp(v, "chunked", 7) == 0;
			nchunked += last;
			if (*e == '\0')
				break;
		}
	}
	return (nchunked > 1 ? -1 : last);
}

/* Parse an upstream response head; -1 if it cannot be framed safely. */
int
http_parse_response(char *head, size_t len, int is_head,
    size_t max_headers, struct http_response *resp, const char **why)
{
	struct framing	 f;
	size_t		 n, next;
	int		 chunked;

	memset(resp, 0, sizeof(*resp));
	if ((*why = next_line(head, len, 0, &n, &next)) != NULL)
		return (-1);
	if (parse_status_line(head, n, resp) != 0) {
		*why = "bad status line";
		return (-1);
	}
	if (parse_fields(head, len, next, max_headers, resp->hdr,
	    &resp->nhdr, why) != 0)
		return (-1);
	scan_fields(resp->hdr, resp->nhdr, &f);
	chunked = response_chunked(resp->hdr, resp->nhdr);
	*why = f.badcl ? "bad content-length" :
	    chunked == -1 ? "bad transfer-encoding" :
	    f.nte > 0 && resp->minor == 0 ? "transfer-encoding in http/1.0" :
	    f.nte > 0 && f.ncl > 0 ?
	    "transfer-encoding with content-length" : NULL;
	if (*why != NULL)
		return (-1);
	if (is_head || resp->status < 200 || resp->status == 204 ||
	    resp->status == 304)
		resp->framing = HTTP_BODY_NONE;
	else if (f.nte > 0)
		resp->framing = chunked ? HTTP_BODY_CHUNKED : HTTP_BODY_CLOSE;
	else if (f.ncl > 0) {
		resp->framing = HTTP_BODY_LENGTH;
		resp->content_length = f.cl;
	} else
		resp->framing = HTTP_BODY_CLOSE;
	resp->keepalive = resp->framing != HTTP_BODY_CLOSE && !f.close &&
	    (resp->minor == 1 || f.keepalive);
	return (0);
}

/* Value of the first header called name (case-insensitive) or NULL. */
const char *
http_header_get(const struct http_header *hdr, size_t nhdr,
    const char *name)
{
	size_t	 i;

	int	 first = lower(name[0]);

	for (i = 0; i < nhdr; i++)
		if (lower(hdr[i].name[0]) == first &&
		    strcasecmp(hdr[i].name, name) == 0)
			return (hdr[i].value);
	return (NULL);
}

/*
 * How many headers are called name (case-insensitive); *first is set to
 * the first one's value, or NULL.  A header that must come once (a
 * token, a protocol version) is refused when it came twice.
 */
size_t
http_header_count(const struct http_header *hdr, size_t nhdr,
    const char *name, const char **first)
{
	size_t	 i, n = 0;

	*first = NULL;
	for (i = 0; i < nhdr; i++)
		if (strcasecmp(hdr[i].name, name) == 0 && n++ == 0)
			*first = hdr[i].value;
	return (n);
}

/* Is token one of the comma-separated elements of list? */
int
http_list_has(const char *list, const char *token)
{
	const char	*e;
	size_t		 n, tlen = strlen(token);

	if (list == NULL)
		return (0);
	for (;; list = e + 1) {
		while (ISOWS(*list))
			list++;
		if ((e = strchr(list, ',')) == NULL)
			e = list + strlen(list);
		for (n = e - list; n > 0 && ISOWS(list[n - 1]); n--)
			;
		if (n == tlen && strncasecmp(list, token, n) == 0)
			return (1);
		if (*e == '\0')
			return (0);
	}
}

/* Reason phrase of a status code ("Bad Request"), "" if unknown. */
const char *
http_reason(int status)
{
	static const struct {
		int		 status;
		const char	*reason;
	} reasons[] = {
		{ 100, "Continue" },
		{ 101, "Switching Protocols" },
		{ 200, "OK" },
		{ 201, "Created" },
		{ 202, "Accepted" },
		{ 204, "No Content" },
		{ 206, "Partial Content" },
		{ 301, "Moved Permanently" },
		{ 302, "Found" },
		{ 303, "See Other" },
		{ 304, "Not Modified" },
		{ 307, "Temporary Redirect" },
		{ 308, "Permanent Redirect" },
		{ 400, "Bad Request" },
		{ 401, "Unauthorized" },
		{ 403, "Forbidden" },
		{ 404, "Not Found" },
		{ 405, "Method Not Allowed" },
		{ 406, "Not Acceptable" },
		{ 408, "Request Timeout" },
		{ 409, "Conflict" },
		{ 411, "Length Required" },
		{ 413, "Content Too Large" },
		{ 414, "URI Too Long" },
		{ 415, "Unsupported Media Type" },
		{ 417, "Expectation Failed" },
		{ 421, "Misdirected Request" },
		{ 429, "Too Many Requests" },
		{ 431, "Request Header Fields Too Large" },
		{ 500, "Internal Server Error" },
		{ 501, "Not Implemented" },
		{ 502, "Bad Gateway" },
		{ 503, "Service Unavailable" },
		{ 504, "Gateway Timeout" },
		{ 505, "HTTP Version Not Supported" },
	};
	size_t	 i;

	for (i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
		if (reasons[i].status == status)
			return (reasons[i].reason);
	return ("");
}
