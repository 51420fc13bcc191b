/*
 * Logging in the style of OpenBSD's log.c: one place that decides
 * whether a line goes to stderr or to syslog.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

static int		 log_foreground = 1;
static int		 log_verbose = 1;
static const char	*log_ident = "";
static const char	*log_proc = NULL;

static void	vlog(int, const char *, va_list) LOG_PRINTF(2, 0);
static void	vlog_errno(int, int, const char *, va_list) LOG_PRINTF(3, 0);

void
log_init(const char *ident, int foreground, int verbose)
{
	log_ident = ident;
	log_foreground = foreground;
	log_verbose = verbose;
	if (!foreground)
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
	tzset();
}

void
log_setverbose(int verbose)
{
	log_verbose = verbose;
}

int
log_getverbose(void)
{
	return (log_verbose);
}

void
log_procname(const char *name)
{
	log_proc = name;
}

/* Emit one finished line to stderr or syslog. */
static void
logline(int pri, const char *line)
{
	char	 out[2200];
	int	 n;

	if (!log_foreground) {
		if (log_proc != NULL)
			syslog(pri, "%s: %s", log_proc, line);
		else
			syslog(pri, "%s", line);
		return;
	}
	/* one write per line so lines of several processes never mix */
	if (log_proc != NULL)
		n = snprintf(out, sizeof(out), "%s[%ld] %s: %s\n",
		    log_ident, (long)getpid(), log_proc, line);
	else
		n = snprintf(out, sizeof(out), "%s[%ld]: %s\n",
		    log_ident, (long)getpid(), line);
	if (n > (int)sizeof(out) - 1) {
		n = sizeof(out) - 1;
		out[n - 1] = '\n';
	}
	(void)!write(STDERR_FILENO, out, n);
}

static void
vlog(int pri, const char *fmt, va_list ap)
{
	char	 line[2048];

	vsnprintf(line, sizeof(line), fmt, ap);
	logline(pri, line);
}

static void
vlog_errno(int pri, int saved, const char *fmt, va_list ap)
{
	char	 msg[1800], line[2048];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	snprintf(line, sizeof(line), "%s: %s", msg, strerror(saved));
	logline(pri, line);
}

void
log_warn(const char *fmt, ...)
{
	va_list	 ap;
	int	 saved = errno;

	va_start(ap, fmt);
	vlog_errno(LOG_ERR, saved, fmt, ap);
	va_end(ap);
	errno = saved;
}

void
log_warnx(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vlog(LOG_ERR, fmt, ap);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list	 ap;

	if (log_verbose < 1)
		return;
	va_start(ap, fmt);
	vlog(LOG_INFO, fmt, ap);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list	 ap;

	if (log_verbose < 2)
		return;
	va_start(ap, fmt);
	vlog(LOG_DEBUG, fmt, ap);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	va_list	 ap;
	int	 saved = errno;

	va_start(ap, fmt);
	vlog_errno(LOG_CRIT, saved, fmt, ap);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vlog(LOG_CRIT, fmt, ap);
	va_end(ap);
	exit(1);
}
