/*
 * Request paths are made canonical before anything looks at them:
 * routes and their protection are chosen on the canonical path, and the
 * canonical path is what the upstream gets.  Otherwise "/open/../mcp"
 * would pass as the unprotected /open and reach the upstream's /mcp
 * (which resolves the dots), a classic proxy bypass.
 */
#include <ctype.h>
#include <string.h>

#include "mcpproxyd.h"

/* Is p[0..2] "%2e" in any case? */
static int
pct_dot(const char *p)
{
	return (p[0] == '%' && p[1] == '2' && (p[2] == 'e' || p[2] == 'E'));
}

/*
 * Canonicalise the path part of an origin-form target in place: %2e
 * becomes ".", repeated slashes are merged, "." and ".." segments are
 * resolved (RFC 3986 5.2.4).  The query is kept as it is.  Returns 0,
 * or -1 with *why for a path that cannot be made safe: ".." above the
 * root, an encoded slash or backslash, or a NUL.
 */
int
path_normalize(char *target, const char **why)
{
	char	*in, *out, *seg, *query;
	size_t	 qlen;
	char	 save;
	int	 dir = 0;	/* the path ends as a directory */

	if (target[0] != '/') {
		*why = "path does not start with /";
		return (-1);
	}
	query = target + strcspn(target, "?");
	for (in = target; in < query; in++)
		if (in[0] == '%' && (!strncasecmp(in + 1, "2f", 2) ||
		    !strncasecmp(in + 1, "5c", 2) || !strncmp(in + 1, "00", 2))) {
			*why = "encoded slash, backslash or NUL in the path";
			return (-1);
		}
	/* decode %2e, which every upstream would take as a dot */
	for (in = out = target; in < query; ) {
		if (pct_dot(in)) {
			*out++ = '.';
			in += 3;
		} else
			*out++ = *in++;
	}
	qlen = strlen(query);
	memmove(out, query, qlen + 1);
	query = out;

	save = *query;
	*query = '\0';
	out = target;		/* output path, always starts with "/" */
	in = target;
	while (*in != '\0') {
		while (*in == '/')
			in++;		/* merge slashes */
		seg = in;
		while (*in != '\0' && *in != '/')
			in++;
		dir = *in == '/' || in == seg;
		if (in - seg == 1 && seg[0] == '.') {
			dir = 1;
			continue;
		}
		if (in - seg == 2 && seg[0] == '.' && seg[1] == '.') {
			dir = 1;
			if (out == target) {
				*why = "path climbs above the root";
				*query = save;
				return (-1);
			}
			while (out > target && *--out != '/')
				;
			continue;
		}
		if (in == seg)
			break;
		*out++ = '/';
		memmove(out, seg, in - seg);
		out += in - seg;
	}
	/* keep a trailing slash, and "/" for the root */
	if (out == target || dir)
		*out++ = '/';
	*query = save;
	memmove(out, query, strlen(query) + 1);
	return (0);
}
