/*
 * Process titles (see proctitle.h).  The kernel shows /proc/PID/cmdline
 * from the argv area; when its last byte is not a NUL it reads on into
 * the environment area, so the title may use both (nginx's
 * ngx_setproctitle does the same).  Everything that lived there is
 * copied to the heap first.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proctitle.h"

extern char	**environ;

static char	*area;		/* argv[0]'s first byte, or NULL */
static size_t	 arealen;	/* contiguous bytes up to the last string */

/* Copy the strings of v[0..n) that end at *end contiguously; extend *end. */
static int
copy_strings(char **v, int n, char **end)
{
	int	 i;

	for (i = 0; i < n && v[i] != NULL; i++) {
		if (v[i] == *end + 1 || (*end == NULL && i == 0))
			*end = v[i] + strlen(v[i]);
		if ((v[i] = strdup(v[i])) == NULL)
			return (-1);
	}
	return (0);
}

/*
 * Copy argv and the environment to the heap and note the area they
 * occupied.  Returns 0 or -1 (errno set; titles stay off).
 */
int
proctitle_init(int argc, char *argv[])
{
	char	**env, *start, *end = NULL;
	int	  n;

	if (argc < 1 || argv[0] == NULL)
		return (0);
	start = argv[0];
	for (n = 0; environ[n] != NULL; n++)
		;
	if ((env = calloc(n + 1, sizeof(*env))) == NULL)
		return (-1);
	memcpy(env, environ, n * sizeof(*env));
	if (copy_strings(argv, argc, &end) == -1)
		return (-1);
	/* environment strings follow argv's: only those that touch it count */
	if (n > 0 && env[0] == end + 1) {
		if (copy_strings(env, n, &end) == -1)
			return (-1);
	} else if (copy_strings(env, n, &(char *){ NULL }) == -1)
		return (-1);
	environ = env;
	/* err(3) and friends print the program name from the old area */
	program_invocation_name = argv[0];
	if ((program_invocation_short_name = strrchr(argv[0], '/')) != NULL)
		program_invocation_short_name++;
	else
		program_invocation_short_name = argv[0];
	area = start;
	arealen = end - start + 1;	/* the last string's NUL included */
	return (0);
}

/* Write the title into the area, NUL-padded to its end. */
void
proctitle_set(const char *fmt, ...)
{
	va_list	 ap;
	int	 n;

	if (area == NULL || arealen < 2)
		return;
	va_start(ap, fmt);
	n = vsnprintf(area, arealen, fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	if ((size_t)n >= arealen)
		n = arealen - 1;
	memset(area + n, '\0', arealen - n);
}
