/*
 * Logging for both daemons: stderr in the foreground (-d), syslog
 * otherwise.  Never pass a token or a key to these functions.
 */
#ifndef COMMON_LOG_H
#define COMMON_LOG_H

#include <stdarg.h>

#define LOG_PRINTF(a, b)	__attribute__((format(printf, a, b)))

/* Start logging as ident; to stderr when foreground, else syslog. */
void	log_init(const char *ident, int foreground, int verbose);
/* Change verbosity (0 quiet, 1 info, 2 debug). */
void	log_setverbose(int verbose);
int	log_getverbose(void);
/* Prefix every later message with this process's role (e.g. "worker"). */
void	log_procname(const char *name);

void	log_warn(const char *, ...) LOG_PRINTF(1, 2);	/* appends errno */
void	log_warnx(const char *, ...) LOG_PRINTF(1, 2);
void	log_info(const char *, ...) LOG_PRINTF(1, 2);
void	log_debug(const char *, ...) LOG_PRINTF(1, 2);
void	fatal(const char *, ...) LOG_PRINTF(1, 2)
	    __attribute__((noreturn));			/* appends errno */
void	fatalx(const char *, ...) LOG_PRINTF(1, 2)
	    __attribute__((noreturn));

#endif
