/*
 * The pid file of both daemons: created and locked before the daemon
 * forks, written after.  The lock, not the file's existence, says that
 * a daemon runs: a stale file from a crash is no obstacle.
 */
#ifndef COMMON_PIDFILE_H
#define COMMON_PIDFILE_H

#include <stddef.h>

/* Create and lock path; returns its descriptor, or -1 with err set. */
int	pidfile_open(const char *path, const char *prog, char *err,
	    size_t errlen);
/* Write our pid into the locked file; returns 0 or -1 (errno set). */
int	pidfile_write(int fd);

#endif
