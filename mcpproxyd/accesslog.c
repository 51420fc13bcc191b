/*
 * The access log: one line per request, to a file (O_APPEND, one
 * write per line, so workers never interleave), syslog or stderr.
 * Session ids are credentials when there is no authentication: only
 * a short hash of them is written.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "digest.h"
#include "log.h"
#include "mcpproxyd.h"

static int	 logfd = -1;
static int	 use_syslog;
static char	 logpath[1024];		/* for reopening */

/* Open where: "syslog", "stderr" or a file path.  Returns 0 or -1. */
int
accesslog_open(const char *where)
{
	int	 fd;

	if (!strcmp(where, "syslog") || !strcmp(where, "stderr")) {
		if (logfd > STDERR_FILENO)
			close(logfd);
		logpath[0] = '\0';
		use_syslog = where[1] == 'y';
		logfd = use_syslog ? -1 : STDERR_FILENO;
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
	use_syslog = 0;
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

/* A line being built: appends stop at the end, which the writer marks. */
struct line {
	char	*p;
	char	*end;
};

static void
put_str(struct line *l, const char *s)
{
	if (s == NULL || *s == '\0')
		s = "-";
	while (*s != '\0' && l->p < l->end)
		*l->p++ = *s++;
}

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
 * Write the line for one finished request.  It is built by hand, not
 * with one snprintf: the conversions cost more than the rest of the
 * logging together (bench/PROFILE.md).
 */
void
accesslog_write(const struct logrec *r)
{
	struct timespec	 end;
	static char	 stamp[32];
	static size_t	 stamplen;
	static time_t	 stamp_sec = -1;
	struct tm	 tm;
	char		 line[1024];
	struct line	 l = { line, line + sizeof(line) - 1 };
	long long	 us;
	int		 n;

	if (worker_reopen)
		accesslog_reopen();
	clock_gettime(CLOCK_REALTIME, &end);
	if (end.tv_sec != stamp_sec) {	/* format the time once a second */
		gmtime_r(&end.tv_sec, &tm);
		stamplen = strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S",
		    &tm);
		stamp_sec = end.tv_sec;
	}
	/* duration in seconds with 3 decimals, rounded like %.3f */
	us = (long long)(end.tv_sec - r->start.tv_sec) * 1000000 +
	    (end.tv_nsec - r->start.tv_nsec) / 1000;
	if (us < 0)
		us = 0;
	us = (us + 500) / 1000;
	put_mem(&l, stamp, stamplen);
	put_mem(&l, ".", 1);
	put_num(&l, end.tv_nsec / 1000000, 3);
	put_mem(&l, "Z ", 2);
	put_str(&l, r->client);
	put_mem(&l, " \"", 2);
	put_str(&l, r->method);
	put_mem(&l, " ", 1);
	put_str(&l, r->path);
	put_mem(&l, "\" ", 2);
	if (r->status < 0)
		put_mem(&l, "-", 1);
	put_num(&l, r->status < 0 ? -(long long)r->status : r->status, 1);
	put_mem(&l, " ", 1);
	put_num(&l, r->bytes, 1);
	put_mem(&l, " ", 1);
	put_num(&l, us / 1000, 1);
	put_mem(&l, ".", 1);
	put_num(&l, us % 1000, 3);
	put_mem(&l, " upstream=", 10);
	put_str(&l, r->upstream);
	put_mem(&l, " rpc=", 5);
	put_str(&l, r->rpc);
	put_mem(&l, " tool=", 6);
	put_str(&l, r->tool);
	put_mem(&l, " session=", 9);
	put_str(&l, r->session);
	put_mem(&l, " sub=", 5);
	put_str(&l, r->sub);
	*l.p++ = '\n';		/* the end left room for it */
	n = l.p - line;
	if (use_syslog)
		syslog(LOG_INFO, "%.*s", n - 1, line);
	else if (logfd != -1)
		(void)!write(logfd, line, n);
}
