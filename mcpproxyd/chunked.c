/*
 * Strict incremental decoder of the chunked transfer coding (RFC 9112
 * 7.1).  One byte of input moves the state machine one step, so the
 * result cannot depend on how the peer split its writes; chunk data is
 * copied down in bulk.
 *
 * Decisions where RFC 9112 leaves a choice:
 * - chunk-size is 1 to 16 HEXDIG with nothing before them and nothing
 *   but ';' extension or the line end after them (no BWS);
 * - extensions are skipped unparsed, but may hold no CTL but HTAB, and
 *   the size line is at most CHUNKED_MAX_LINE bytes without its CRLF;
 * - a bare LF ends any line; a CR must be followed by LF;
 * - trailer fields are discarded; each must start with a tchar, hold
 *   no CTL but HTAB, and be at most CHUNKED_MAX_LINE bytes, and all of
 *   them together at most CHUNKED_MAX_TRAILERS bytes;
 * - leading zeros count towards the 16 digits;
 * - after an error every later call fails the same way.
 */
#include <stdint.h>
#include <string.h>

#include "http.h"

#define CHUNKED_MAX_LINE	4096
#define CHUNKED_MAX_TRAILERS	16384
#define CHUNKED_MAX_DIGITS	16	/* 64 bits of size */

enum {
	CS_SIZE,	/* chunk-size digits; sawdigit counts them */
	CS_EXT,		/* after ';' up to the line end */
	CS_SIZE_LF,	/* CR seen at the end of the size line */
	CS_DATA,	/* left bytes of chunk data */
	CS_DATA_CR,	/* CRLF after the data */
	CS_DATA_LF,
	CS_TRAILER,	/* start of a trailer line or the final CRLF */
	CS_TRAILER_LINE,
	CS_TRAILER_LF,
	CS_END_LF,	/* CR of the final empty line seen */
	CS_DONE,
	CS_ERROR,
	CS_TOOBIG
};

/* Start decoding a body; max_total 0 means no limit on the data. */
void
chunked_init(struct chunked *c, uint64_t max_total)
{
	memset(c, 0, sizeof(*c));
	c->state = CS_SIZE;
	c->max_total = max_total;
}

static int
hexval(unsigned char ch)
{
	if (ch >= '0' && ch <= '9')
		return (ch - '0');
	if (ch >= 'a' && ch <= 'f')
		return (ch - 'a' + 10);
	if (ch >= 'A' && ch <= 'F')
		return (ch - 'A' + 10);
	return (-1);
}

/* Characters allowed inside an extension or trailer line. */
static int
line_char(unsigned char ch)
{
	return ((ch >= 0x20 && ch != 0x7f) || ch == '\t');
}

static int
is_tchar(unsigned char ch)
{
	if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	    (ch >= '0' && ch <= '9'))
		return (1);
	return (ch != '\0' && strchr("!#$%&'*+-.^_`|~", ch) != NULL);
}

/* The size line is complete: begin the data, or the trailers if 0. */
static int
size_done(struct chunked *c, const char **why)
{
	c->linelen = 0;
	c->sawdigit = 0;
	if (c->left == 0) {
		c->state = CS_TRAILER;	/* left now counts trailer bytes */
		return (0);
	}
	if (c->max_total != 0 && (c->total > c->max_total ||
	    c->left > c->max_total - c->total)) {
		*why = "chunked body too large";
		return (c->state = CS_TOOBIG);
	}
	if (c->left > UINT64_MAX - c->total) {
		*why = "chunked body length overflows";
		return (c->state = CS_ERROR);
	}
	c->total += c->left;
	c->state = CS_DATA;
	return (0);
}

/* One byte of a size line. */
static int
size_byte(struct chunked *c, unsigned char ch, const char **why)
{
	int	 h;

	if (++c->linelen > CHUNKED_MAX_LINE && ch != '\r' && ch != '\n') {
		*why = "chunk size line too long";
		return (c->state = CS_ERROR);
	}
	if (c->state == CS_SIZE && (h = hexval(ch)) != -1) {
		if (++c->sawdigit > CHUNKED_MAX_DIGITS) {
			*why = "chunk size too large";
			return (c->state = CS_ERROR);
		}
		c->left = c->left << 4 | (uint64_t)h;
		return (0);
	}
	if (c->state == CS_SIZE && c->sawdigit == 0) {
		*why = "bad chunk size";
		return (c->state = CS_ERROR);
	}
	if (ch == '\n')
		return (size_done(c, why));
	if (ch == '\r')
		c->state = CS_SIZE_LF;
	else if (c->state == CS_SIZE && ch == ';')
		c->state = CS_EXT;
	else if (c->state == CS_SIZE || !line_char(ch)) {
		*why = c->state == CS_SIZE ? "bad chunk size" :
		    "bad chunk extension";
		return (c->state = CS_ERROR);
	}
	return (0);
}

/* One byte of the trailer section. */
static int
trailer_byte(struct chunked *c, unsigned char ch, const char **why)
{
	if (++c->left > CHUNKED_MAX_TRAILERS) {
		*why = "chunked trailers too large";
		return (c->state = CS_ERROR);
	}
	if (c->state == CS_TRAILER) {
		c->linelen = 0;
		if (ch == '\r')
			c->state = CS_END_LF;
		else if (ch == '\n')
			c->state = CS_DONE;
		else if (is_tchar(ch))
			c->state = CS_TRAILER_LINE;
		else {
			*why = "bad trailer field";
			return (c->state = CS_ERROR);
		}
		return (0);
	}
	if (ch == '\n')
		c->state = CS_TRAILER;
	else if (ch == '\r')
		c->state = CS_TRAILER_LF;
	else if (!line_char(ch) || ++c->linelen >= CHUNKED_MAX_LINE) {
		*why = "bad trailer field";
		return (c->state = CS_ERROR);
	}
	return (0);
}

/* One byte that is not chunk data; 0, or CS_ERROR/CS_TOOBIG. */
static int
step(struct chunked *c, unsigned char ch, const char **why)
{
	switch (c->state) {
	case CS_SIZE:
	case CS_EXT:
		return (size_byte(c, ch, why));
	case CS_SIZE_LF:
		if (ch == '\n')
			return (size_done(c, why));
		break;
	case CS_DATA_CR:
		if (ch == '\r') {
			c->state = CS_DATA_LF;
			return (0);
		}
		/* FALLTHROUGH */
	case CS_DATA_LF:
		if (ch == '\n') {
			c->state = CS_SIZE;
			return (0);
		}
		*why = "no crlf after chunk data";
		return (c->state = CS_ERROR);
	case CS_TRAILER:
	case CS_TRAILER_LINE:
		return (trailer_byte(c, ch, why));
	case CS_TRAILER_LF:
	case CS_END_LF:
		if (ch == '\n') {
			c->state = c->state == CS_END_LF ? CS_DONE :
			    CS_TRAILER;
			return (0);
		}
		break;
	}
	*why = "bare cr in chunked coding";
	return (c->state = CS_ERROR);
}

/* Decode buf[0..len) in place; see http.h for the return values. */
int
chunked_decode(struct chunked *c, char *buf, size_t len, size_t *used,
    size_t *datalen, const char **why)
{
	size_t	 in = 0, out = 0, n;

	*why = NULL;
	while (in < len && c->state != CS_DONE && c->state != CS_ERROR &&
	    c->state != CS_TOOBIG) {
		if (c->state != CS_DATA) {
			step(c, (unsigned char)buf[in++], why);
			continue;
		}
		n = len - in;
		if (c->left < n)
			n = c->left;
		memmove(buf + out, buf + in, n);
		in += n;
		out += n;
		if ((c->left -= n) == 0)
			c->state = CS_DATA_CR;
	}
	*used = in;
	*datalen = out;
	switch (c->state) {
	case CS_DONE:
		return (1);
	case CS_ERROR:
		if (*why == NULL)
			*why = "malformed chunked coding";
		return (-1);
	case CS_TOOBIG:
		if (*why == NULL)
			*why = "chunked body too large";
		return (-2);
	default:
		return (0);
	}
}
