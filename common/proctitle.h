/*
 * Process titles, as nginx and Postfix show them in ps(1): the argv
 * area (and the environment strings after it) is overwritten with a
 * title.  The title is world-readable: never put request data in it.
 */
#ifndef COMMON_PROCTITLE_H
#define COMMON_PROCTITLE_H

/*
 * Copy argv[] and environ out of the area the title will use; argv[i]
 * then point at the copies.  Call first in main, before getopt.
 * Returns 0, or -1 when out of memory (titles then stay unchanged).
 */
int	proctitle_init(int argc, char *argv[]);
/* Set the title, printf-style; cut to the area's size.  No-op if unset. */
void	proctitle_set(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2)));

#endif
