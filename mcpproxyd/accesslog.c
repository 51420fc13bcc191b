/*
 * The access log: one line per request, to a file (O_APPEND, one
 * write per line, so workers never interleave), syslog or stderr, or
 * nowhere (access_log = off); as text or as a JSON object per line
 * (access_log_format).  Session ids are credentials when there is no
 * authentication: only a short hash of them is written.  Every field
 * comes out escaped and cut to a budget of its own, so that a hostile
 * path, subject or tool still gives one line, valid JSON, shorter
 * than ACCESSLOG_LINE_MAX (syslog's 1024-byte message, RFC 3164, less
 * its header).  Each request has an id, the client's X-Request-Id when
 * well-formed, else one made here; proxy.c sends it to the upstream.
 */
#include <sys/random.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "digest.h"
#include "log.h"
#include "mcpproxyd.h"

static int	 logfd = -1;
static int	 use_syslog;
static int	 log_off;		/* access_log = off */
static int	 log_json;		/* access_log_format = json */
static int	 reqid_max = REQUEST_ID_CAP;	/* request_id_max */
static char	 reqid_prefix[17];	/* this worker's, random */
static unsigned long long reqid_count;
static char	 logpath[1024];		/* for reopening */

/* Open where: "syslog", "stderr", "off" or a file path.  Returns 0 or -1. */
int
accesslog_open(const char *where)
{
	int	 fd, off = !strcmp(where, "off");

	if (off || !strcmp(where, "syslog") || !strcmp(where, "stderr")) {
		if (logfd > STDERR_FILENO)
			close(logfd);
		logpath[0] = '\0';
		log_off = off;
		use_syslog = where[1] == 'y';
		logfd = use_syslog || off ? -1 : STDERR_FILENO;
		if (use_syslog)
			openlog("mcpproxyd", LOG_PID | LOG_NDELAY, LOG_DAEMON);
		return (0);
	}
	if ((fd = open(where, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
	    0640)) == -1) {
		log_warn("access log %s", where);
		return (-1);
	}
	if (logfd > STDERR_FILENO)
		close(logfd);
	logfd = fd;
	use_syslog = log_off = 0;
	snprintf(logpath, sizeof(logpath), "%s", where);
	return (0);
}

/*
 * Give the log file to the workers' user, so that they can reopen it
 * after a rotation (the master, as root, created it).
 */
int
accesslog_chown(uid_t uid)
{
	if (logfd <= STDERR_FILENO || logpath[0] == '\0')
		return (0);
	return (fchown(logfd, uid, (gid_t)-1));
}

/* Reopen the log file by its path (USR1 after a rotation). */
static void
accesslog_reopen(void)
{
	int	 fd;

	worker_reopen = 0;
	if (logfd <= STDERR_FILENO || logpath[0] == '\0')
		return;
	if ((fd = open(logpath, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
	    0640)) == -1) {
		log_warn("reopening access log %s; keeping the old one", logpath);
		return;
	}
	close(logfd);
	logfd = fd;
}

/*
 * Set r->session to 16 hex digits of SHA-256 of the session id.  A
 * kept-alive client sends the same id on every request: the last id and
 * its hash are kept, and compared in constant time (the id is a secret).
 */
void
accesslog_session(struct logrec *r, const char *id)
{
	static char		 last_id[256];
	static size_t		 last_len;	/* 0: nothing kept */
	static char		 last_hash[17];
	unsigned char		 md[DIGEST_LEN];
	size_t			 len;

	r->session[0] = '\0';
	if (id == NULL)
		return;
	len = strlen(id);
	if (len > 0 && len == last_len &&
	    CRYPTO_memcmp(id, last_id, len) == 0) {
		memcpy(r->session, last_hash, sizeof(last_hash));
		return;
	}
	if (digest_sha256(id, len, md) == -1)
		return;
	digest_hex(md, 8, r->session);
	if (len < sizeof(last_id)) {
		memcpy(last_id, id, len);
		last_len = len;
		memcpy(last_hash, r->session, sizeof(last_hash));
	} else
		last_len = 0;
}

/* The format and the request id rule (access_log_format, request_id_max). */
void
accesslog_config(const struct config *conf)
{
	log_json = conf->access_log_json;
	reqid_max = conf->request_id_max;
}

/*
 * A new worker: a random prefix for the request ids it makes, so that
 * ids are unique across workers and restarts and not guessable from
 * another worker's; a counter makes the rest (no syscall per request).
 */
void
accesslog_worker_start(void)
{
	unsigned char	 rnd[8];
	size_t		 i;

	if (getrandom(rnd, sizeof(rnd), 0) != sizeof(rnd)) {
		struct timespec	 ts;	/* no entropy: still unique here */

		clock_gettime(CLOCK_REALTIME, &ts);
		memcpy(rnd, &ts.tv_nsec, 4);
		memcpy(rnd + 4, &(pid_t){ getpid() }, 4);
	}
	for (i = 0; i < sizeof(rnd); i++) {
		reqid_prefix[2 * i] = "0123456789abcdef"[rnd[i] >> 4];
		reqid_prefix[2 * i + 1] = "0123456789abcdef"[rnd[i] & 15];
	}
	reqid_prefix[16] = '\0';
	reqid_count = 0;
}

/*
 * Is v a request id we take from a client: 1 to max bytes of letters,
 * digits and "-._:+/=@" (UUIDs, ULIDs, hex, base64 and trace ids;
 * nothing a log or a header could misread).  1 yes, 0 no.
 */
int
accesslog_id_ok(const char *v, int max)
{
	size_t	 i;

	for (i = 0; v[i] != '\0'; i++)
		if ((int)i >= max || !((v[i] >= 'a' && v[i] <= 'z') ||
		    (v[i] >= 'A' && v[i] <= 'Z') || (v[i] >= '0' &&
		    v[i] <= '9') || strchr("-._:+/=@", v[i]) != NULL))
			return (0);
	return (i > 0);
}

/* Make a new id in r->reqid: the worker's prefix, '-', a counter in hex. */
static void
make_id(struct logrec *r)
{
	unsigned long long	 v = ++reqid_count;
	char			 d[17];
	int			 i = sizeof(d);

	if (reqid_prefix[0] == '\0')
		accesslog_worker_start();
	d[--i] = '\0';
	do {
		d[--i] = "0123456789abcdef"[v & 15];
		v >>= 4;
	} while (v > 0);
	memcpy(r->reqid, reqid_prefix, 16);
	r->reqid[16] = '-';
	memcpy(r->reqid + 17, d + i, sizeof(d) - i);
}

/*
 * Set r->reqid for a parsed request: its X-Request-Id when it has
 * exactly one (either spelling, '-' or '_') and accesslog_id_ok() takes
 * it within request_id_max, else a new one.
 */
void
accesslog_request_id(struct logrec *r, const struct http_request *req)
{
	const char	*v = NULL;
	size_t		 i, n = 0;

	for (i = 0; req != NULL && i < req->nhdr; i++)
		if (header_name_eq(req->hdr[i].name, "X-Request-Id")) {
			v = req->hdr[i].value;
			n++;
		}
	if (n == 1 && reqid_max > 0 && accesslog_id_ok(v, reqid_max))
		snprintf(r->reqid, sizeof(r->reqid), "%s", v);
	else
		make_id(r);
}

/* A line being built: appends stop at the end, which the writer marks. */
struct line {
	char	*p;
	char	*end;
};

static void
put_mem(struct line *l, const char *s, size_t n)
{
	if (n > (size_t)(l->end - l->p))
		n = l->end - l->p;
	memcpy(l->p, s, n);
	l->p += n;
}

/* v in decimal, at least width digits (zero-padded). */
static void
put_num(struct line *l, unsigned long long v, int width)
{
	char	 d[24];
	int	 i = sizeof(d);

	do {
		d[--i] = '0' + v % 10;
		v /= 10;
	} while (v > 0 || (int)sizeof(d) - i < width);
	put_mem(l, d + i, sizeof(d) - i);
}

/*
 * The length of the UTF-8 sequence at s (n bytes left): 1 to 4 when it
 * is whole and valid (RFC 3629: no overlong form, no surrogate, nothing
 * above U+10FFFF), else minus the length of its maximal valid prefix
 * (at least 1), which becomes one U+FFFD, as Unicode advises (3.9) and
 * Python's "replace" does.
 */
static int
utf8_len(const unsigned char *s, size_t n)
{
	unsigned char	 c = s[0], lo = 0x80, hi = 0xbf;
	int		 need, i;

	if (c < 0x80)
		return (1);
	if (c >= 0xc2 && c <= 0xdf)
		need = 2;
	else if (c >= 0xe0 && c <= 0xef) {
		need = 3;
		if (c == 0xe0)
			lo = 0xa0;
		else if (c == 0xed)
			hi = 0x9f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		need = 4;
		if (c == 0xf0)
			lo = 0x90;
		else if (c == 0xf4)
			hi = 0x8f;
	} else
		return (-1);
	for (i = 1; i < need; i++) {
		if ((size_t)i >= n || s[i] < lo || s[i] > hi)
			return (-i);
		lo = 0x80;
		hi = 0xbf;
	}
	return (need);
}

/*
 * Append s escaped, at most budget bytes of output, never cutting an
 * escape or a character.  Text: bytes outside '!'..'~', '"' and '\'
 * as \xHH.  JSON (inside quotes): '"', '\', controls and DEL as
 * escapes, valid UTF-8 as it is, each invalid piece as \ufffd.  Not
 * static: tests/unit/mcpproxyd_accesslog.c runs it on a table.
 */
size_t
accesslog_escape(char *out, size_t budget, const char *str, int json)
{
	const unsigned char	*s = (const unsigned char *)str;
	size_t			 o = 0, n = strlen(str);
	char			 e[8];
	int			 len, el;

	while (n > 0) {
		len = 1;
		if (!json) {
			if (*s > 0x20 && *s < 0x7f && *s != '"' && *s != '\\')
				e[0] = *s, el = 1;
			else
				el = snprintf(e, sizeof(e), "\\x%02x", *s);
		} else if (*s == '"' || *s == '\\')
			e[0] = '\\', e[1] = *s, el = 2;
		else if (*s < 0x20 || *s == 0x7f)
			el = snprintf(e, sizeof(e), "\\u%04x", *s);
		else if ((len = utf8_len(s, n)) < 0) {
			len = -len;
			el = snprintf(e, sizeof(e), "\\ufffd");
		} else if (len == 1)
			e[0] = *s, el = 1;
		else {
			if (o + len > budget)
				break;
			memcpy(out + o, s, len);
			o += len, s += len, n -= len;
			continue;
		}
		if (o + el > budget)
			break;
		memcpy(out + o, e, el);
		o += el, s += len, n -= len;
	}
	return (o);
}

/* Output budgets per field; their sum keeps a line within the maximum. */
#define B_ID		REQUEST_ID_CAP
#define B_CLIENT	64
#define B_METHOD	32
#define B_PATH		200
#define B_UPSTREAM	64
#define B_RPC		48
#define B_TOOL		96
#define B_SESSION	16
#define B_SUB		96
#define B_AUTHZ		16
#define B_TLS		8

/* A string field: "-" (text) or null (JSON) when empty. */
static void
put_field(struct line *l, const char *key, const char *s, size_t budget,
    int json)
{
	if (key != NULL)
		put_mem(l, key, strlen(key));
	if (s == NULL || *s == '\0') {
		if (json)
			put_mem(l, "null", 4);
		else
			put_mem(l, "-", 1);
		return;
	}
	if (json)
		put_mem(l, "\"", 1);
	if (budget > (size_t)(l->end - l->p))
		budget = l->end - l->p;
	l->p += accesslog_escape(l->p, budget, s, json);
	if (json)
		put_mem(l, "\"", 1);
}

/* The time as 2026-12-02T07:31:44.123Z, formatted once a second. */
static void
put_time(struct line *l, const struct timespec *end)
{
	static char	 stamp[32];
	static size_t	 stamplen;
	static time_t	 stamp_sec = -1;
	struct tm	 tm;

	if (end->tv_sec != stamp_sec) {
		gmtime_r(&end->tv_sec, &tm);
		stamplen = strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S",
		    &tm);
		stamp_sec = end->tv_sec;
	}
	put_mem(l, stamp, stamplen);
	put_mem(l, ".", 1);
	put_num(l, end->tv_nsec / 1000000, 3);
	put_mem(l, "Z", 1);
}

/* Status (may be negative), bytes and duration in seconds, 3 decimals. */
static void
put_numbers(struct line *l, const struct logrec *r, long long ms,
    const char *k1, const char *k2, const char *k3)
{
	put_mem(l, k1, strlen(k1));
	if (r->status < 0)
		put_mem(l, "-", 1);
	put_num(l, r->status < 0 ? -(long long)r->status : r->status, 1);
	put_mem(l, k2, strlen(k2));
	put_num(l, r->bytes, 1);
	put_mem(l, k3, strlen(k3));
	put_num(l, ms / 1000, 1);
	put_mem(l, ".", 1);
	put_num(l, ms % 1000, 3);
}

/*
 * Format the line for r, ended at end, into buf (at least
 * ACCESSLOG_LINE_MAX bytes); returns its length, newline included.
 * Built by hand, not with snprintf: the conversions cost more than the
 * rest of the logging together (bench/PROFILE.md).
 */
size_t
accesslog_format(const struct logrec *r, const struct timespec *end,
    int json, char *buf)
{
	struct line	 l = { buf, buf + ACCESSLOG_LINE_MAX - 1 };
	long long	 us;

	/* duration in seconds with 3 decimals, rounded like %.3f */
	us = (long long)(end->tv_sec - r->start.tv_sec) * 1000000 +
	    (end->tv_nsec - r->start.tv_nsec) / 1000;
	if (us < 0)
		us = 0;
	us = (us + 500) / 1000;
	if (json) {
		put_mem(&l, "{\"time\":\"", 9);
		put_time(&l, end);
		put_field(&l, "\",\"request_id\":", r->reqid, B_ID, 1);
		put_field(&l, ",\"client\":", r->client, B_CLIENT, 1);
		put_field(&l, ",\"method\":", r->method, B_METHOD, 1);
		put_field(&l, ",\"path\":", r->path, B_PATH, 1);
		put_numbers(&l, r, us, ",\"status\":", ",\"bytes\":",
		    ",\"duration\":");
		put_field(&l, ",\"upstream\":", r->upstream, B_UPSTREAM, 1);
		put_field(&l, ",\"rpc\":", r->rpc, B_RPC, 1);
		put_field(&l, ",\"tool\":", r->tool, B_TOOL, 1);
		put_field(&l, ",\"authz\":", r->authz, B_AUTHZ, 1);
		put_field(&l, ",\"session\":", r->session, B_SESSION, 1);
		put_field(&l, ",\"sub\":", r->sub, B_SUB, 1);
		if (r->tls != NULL)	/* plain lines as they always were */
			put_field(&l, ",\"tls\":", r->tls, B_TLS, 1);
		put_mem(&l, "}", 1);
	} else {
		put_time(&l, end);
		put_field(&l, " ", r->client, B_CLIENT, 0);
		put_field(&l, " \"", r->method, B_METHOD, 0);
		put_field(&l, " ", r->path, B_PATH, 0);
		put_numbers(&l, r, us, "\" ", " ", " ");
		put_field(&l, " id=", r->reqid, B_ID, 0);
		put_field(&l, " upstream=", r->upstream, B_UPSTREAM, 0);
		put_field(&l, " rpc=", r->rpc, B_RPC, 0);
		put_field(&l, " tool=", r->tool, B_TOOL, 0);
		put_field(&l, " authz=", r->authz, B_AUTHZ, 0);
		put_field(&l, " session=", r->session, B_SESSION, 0);
		put_field(&l, " sub=", r->sub, B_SUB, 0);
		if (r->tls != NULL)
			put_field(&l, " tls=", r->tls, B_TLS, 0);
	}
	*l.p++ = '\n';		/* the end left room for it */
	return (l.p - buf);
}

/* Write the line for one finished request (nothing when off). */
void
accesslog_write(struct logrec *r)
{
	struct timespec	 end;
	char		 line[ACCESSLOG_LINE_MAX];
	size_t		 n;

	if (log_off)
		return;
	if (worker_reopen)
		accesslog_reopen();
	clock_gettime(CLOCK_REALTIME, &end);
	if (r->reqid[0] == '\0')	/* refused before it was parsed */
		make_id(r);
	n = accesslog_format(r, &end, log_json, line);
	if (use_syslog)
		syslog(LOG_INFO, "%.*s", (int)n - 1, line);
	else if (logfd != -1)
		(void)!write(logfd, line, n);
}
