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

#include <openssl/evp.h>

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

/* Set r->session to 16 hex digits of SHA-256 of the session id. */
void
accesslog_session(struct logrec *r, const char *id)
{
	static EVP_MD		*sha256;	/* fetched once, not per call */
	static EVP_MD_CTX	*ctx;
	static const char	 hex[] = "0123456789abcdef";
	unsigned char		 md[EVP_MAX_MD_SIZE];
	int			 i;

	r->session[0] = '\0';
	if (id == NULL)
		return;
	if (sha256 == NULL && (sha256 = EVP_MD_fetch(NULL, "SHA256",
	    NULL)) == NULL)
		return;
	if (ctx == NULL && (ctx = EVP_MD_CTX_new()) == NULL)
		return;
	if (EVP_DigestInit_ex(ctx, sha256, NULL) != 1 ||
	    EVP_DigestUpdate(ctx, id, strlen(id)) != 1 ||
	    EVP_DigestFinal_ex(ctx, md, NULL) != 1)
		return;
	for (i = 0; i < 8; i++) {
		r->session[2 * i] = hex[md[i] >> 4];
		r->session[2 * i + 1] = hex[md[i] & 15];
	}
	r->session[16] = '\0';
}

/* Write the line for one finished request. */
void
accesslog_write(const struct logrec *r)
{
	struct timespec	 end;
	static char	 stamp[32];
	static time_t	 stamp_sec = -1;
	struct tm	 tm;
	char		 line[1024];
	double		 secs;
	int		 n;

	if (worker_reopen)
		accesslog_reopen();
	clock_gettime(CLOCK_REALTIME, &end);
	secs = (end.tv_sec - r->start.tv_sec) +
	    (end.tv_nsec - r->start.tv_nsec) / 1e9;
	if (end.tv_sec != stamp_sec) {	/* format the time once a second */
		gmtime_r(&end.tv_sec, &tm);
		strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
		stamp_sec = end.tv_sec;
	}
	n = snprintf(line, sizeof(line),
	    "%s.%03ldZ %s \"%s %s\" %d %llu %.3f upstream=%s rpc=%s tool=%s "
	    "session=%s sub=%s\n", stamp, end.tv_nsec / 1000000, r->client,
	    r->method ? r->method : "-", r->path ? r->path : "-", r->status,
	    (unsigned long long)r->bytes, secs,
	    r->upstream && *r->upstream ? r->upstream : "-",
	    r->rpc[0] ? r->rpc : "-", r->tool[0] ? r->tool : "-",
	    r->session[0] ? r->session : "-", r->sub[0] ? r->sub : "-");
	if (n < 0)
		return;
	if (n >= (int)sizeof(line)) {
		n = sizeof(line) - 1;
		line[n - 1] = '\n';
	}
	if (use_syslog)
		syslog(LOG_INFO, "%.*s", n - 1, line);
	else if (logfd != -1)
		(void)!write(logfd, line, n);
}
