/*
 * Request targets are made canonical once, before anything looks at
 * them: routes and their protection are chosen on the canonical target,
 * it is what the access log shows and what the upstream gets.  Upstreams
 * decode paths in many ways (WSGI and Go decode every escape, Java ones
 * drop ";params", most resolve dots), so the canonical form is one that
 * every such reading maps to the same route: escapes of unreserved
 * characters decoded, dot segments resolved, and everything that could
 * turn into a path separator or a dot segment after us refused.
 * Otherwise "/open/../mcp", "/%6dcp" or "/mcp;x" would pass as the
 * unprotected "/" and reach the upstream's /mcp.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mcpproxyd.h"

/* Value of a hex digit, or -1. */
static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return (c - '0');
	if (c >= 'a' && c <= 'f')
		return (c - 'a' + 10);
	if (c >= 'A' && c <= 'F')
		return (c - 'A' + 10);
	return (-1);
}

/* RFC 3986 unreserved: ALPHA DIGIT - . _ ~ */
int
path_unreserved(int c)
{
	return ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
	    c == '~');
}

/* RFC 3986 pchar other than '%' and unreserved: sub-delims ':' '@' */
static int
path_other(int c)
{
	return (c != '\0' && strchr("!$&'()*+,;=:@", c) != NULL);
}

/*
 * Rewrite the escapes of path[0..end) in place: unreserved ones decoded,
 * the hex of the others upper-cased.  The output is never rescanned, so
 * nothing is decoded twice ("%252e" stays "%252e").  Returns the new end
 * or NULL with *why.
 */
static char *
path_escapes(char *path, char *end, int flags, const char **why)
{
	char	*in, *out;
	int	 hi, lo, v;

	for (in = out = path; in < end; ) {
		if (*in != '%') {
			if (*in == ';' && !(flags & PATH_SEMICOLONS)) {
				*why = "';' in the path";
				return (NULL);
			}
			if (*in != '/' && !path_unreserved((unsigned char)*in) &&
			    !path_other((unsigned char)*in)) {
				*why = "character not allowed in the path";
				return (NULL);
			}
			*out++ = *in++;
			continue;
		}
		if (end - in < 3 || (hi = hexval(in[1])) == -1 ||
		    (lo = hexval(in[2])) == -1) {
			*why = "bad percent-escape in the path";
			return (NULL);
		}
		v = hi << 4 | lo;
		if (v == '/' || v == '\\' || v == 0) {
			*why = "encoded slash, backslash or NUL in the path";
			return (NULL);
		}
		if (v == ';' && !(flags & PATH_SEMICOLONS)) {
			*why = "';' in the path";
			return (NULL);
		}
		in += 3;
		if (path_unreserved(v)) {
			*out++ = v;
			continue;
		}
		*out++ = '%';
		*out++ = "0123456789ABCDEF"[hi];
		*out++ = "0123456789ABCDEF"[lo];
	}
	return (out);
}

/*
 * Resolve "." and ".." segments (RFC 3986 5.2.4) and merge repeated
 * slashes in the NUL-terminated path, in place.  Returns 0, or -1 with
 * *why for a ".." above the root.
 */
static int
path_dots(char *path, const char **why)
{
	char	*in, *out, *seg;
	int	 dir = 0;	/* the path ends as a directory */

	out = in = path;	/* output path, always starts with "/" */
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
			if (out == path) {
				*why = "path climbs above the root";
				return (-1);
			}
			while (out > path && *--out != '/')
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
	if (out == path || dir)
		*out++ = '/';
	*out = '\0';
	return (0);
}

/*
 * Make the path part of an origin-form target canonical in place (see
 * mcpproxyd.conf(5), REQUEST TARGETS): escapes of unreserved characters
 * decoded, other escapes in upper case, slashes merged, dot segments
 * resolved.  The query is kept as it is.  Returns 0, or -1 with *why
 * for a path that cannot be made safe: a byte outside RFC 3986 pchar,
 * a bad escape, an encoded slash, backslash or NUL, a ".." above the
 * root, or ';' / "%3B" unless flags hold PATH_SEMICOLONS.
 */
int
path_normalize(char *target, int flags, const char **why)
{
	char	*query, *end;
	size_t	 qlen;
	char	 save;

	if (target[0] != '/') {
		*why = "path does not start with /";
		return (-1);
	}
	query = target + strcspn(target, "?");
	if ((end = path_escapes(target, query, flags, why)) == NULL)
		return (-1);
	qlen = strlen(query);
	memmove(end, query, qlen + 1);
	query = end;
	save = *query;
	*query = '\0';
	if (path_dots(target, why) == -1) {
		*query = save;
		return (-1);
	}
	end = target + strlen(target);
	*query = save;
	memmove(end, query, qlen + 1);
	return (0);
}

/*
 * Longest route whose prefix ends at a path segment boundary.  Case is
 * ignored: many upstreams route without regard to case, and "/MCP" must
 * not slip past the protection of "/mcp".  Prefixes hold only
 * unreserved characters and '/' (config.c), and the target is
 * canonical, so no escape can hide a prefix.
 */
static const struct route *
route_longest(const struct server *srv, const char *target)
{
	const struct route	*best = NULL;
	size_t			 i;

	for (i = 0; i < srv->nroutes; i++) {
		const struct route *rt = &srv->routes[i];
		char c;

		if (strncasecmp(target, rt->prefix, rt->prefixlen) != 0)
			continue;
		c = target[rt->prefixlen];
		if (c != '\0' && c != '/' && c != '?' &&
		    !(rt->prefixlen == 1))
			continue;
		if (best == NULL || rt->prefixlen > best->prefixlen)
			best = rt;
	}
	return (best);
}

/*
 * The path of a canonical target as an upstream that drops ";params"
 * reads it (Tomcat, Jetty: "/mcp;x" is "/mcp", "/a/..;/mcp" is "/mcp"),
 * made canonical again; "%3B" is taken as ';' too, as an upstream that
 * decodes first would.  Returns a string to free, or NULL.
 */
static char *
path_unparam(const char *target)
{
	char	*s, *in, *out;

	if ((s = strndup(target, strcspn(target, "?"))) == NULL)
		return (NULL);
	for (in = out = s; *in != '\0'; ) {
		if (*in == ';' || (in[0] == '%' && in[1] == '3' &&
		    in[2] == 'B')) {
			in += strcspn(in, "/");
			continue;
		}
		*out++ = *in++;
	}
	*out = '\0';
	return (s);
}

/*
 * The route for a canonical target, or NULL: with *why NULL when no
 * route matches (404), else the reason to refuse (400).  A ';' or
 * "%3B" (only here with PATH_SEMICOLONS) is accepted only when its
 * route allows it and the path without its ";params" has the same
 * route: the route decision holds for upstreams that drop them.
 */
const struct route *
route_find(const struct server *srv, const char *target, const char **why)
{
	const struct route	*rt, *rt2;
	const char		*w;
	char			*bare;
	size_t			 n = strcspn(target, "?");

	*why = NULL;
	rt = route_longest(srv, target);
	if (memchr(target, ';', n) == NULL && (n < 3 ||
	    memmem(target, n, "%3B", 3) == NULL))
		return (rt);
	if (rt == NULL)
		return (NULL);
	*why = "';' in the path";
	if (!rt->semicolons || rt->auth != NULL)
		return (NULL);
	if ((bare = path_unparam(target)) == NULL)
		return (NULL);
	rt2 = path_normalize(bare, 0, &w) == 0 ? route_longest(srv, bare) :
	    NULL;
	free(bare);
	if (rt2 != rt)
		return (NULL);
	*why = NULL;
	return (rt);
}
