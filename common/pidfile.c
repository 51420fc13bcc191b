/*
 * The pid file of both daemons (see pidfile.h).
 */
#include <sys/file.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "pidfile.h"

/*
 * Create and lock the pid file.  A second instance fails here, naming
 * the pid of the one that holds the lock.  Returns the descriptor
 * (close-on-exec), or -1 with the reason in err.
 */
int
pidfile_open(const char *path, const char *prog, char *err, size_t errlen)
{
	char	 buf[32];
	ssize_t	 n;
	int	 fd, saved;

	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644)) == -1) {
		snprintf(err, errlen, "pid file %s: %s", path,
		    strerror(errno));
		return (-1);
	}
	if (flock(fd, LOCK_EX | LOCK_NB) == 0)
		return (fd);
	saved = errno;
	if (saved == EWOULDBLOCK) {
		n = pread(fd, buf, sizeof(buf) - 1, 0);
		buf[n > 0 ? n : 0] = '\0';
		buf[strcspn(buf, "\n")] = '\0';
		snprintf(err, errlen, "pid file %s is locked: %s is already "
		    "running (pid %s)", path, prog,
		    buf[0] != '\0' ? buf : "unknown");
	} else
		snprintf(err, errlen, "pid file %s: flock: %s", path,
		    strerror(saved));
	close(fd);
	return (-1);
}

/* Write our pid (after daemon(3): the lock went with the descriptor). */
int
pidfile_write(int fd)
{
	char	 buf[32];
	int	 n;

	n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) == -1 || pwrite(fd, buf, n, 0) != n)
		return (-1);
	return (0);
}
