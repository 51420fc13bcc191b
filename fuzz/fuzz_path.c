/*
 * libFuzzer target: request target canonicalisation and routing
 * (mcpproxyd/path.c).
 *
 * Input: byte 0 bit 0 turns on ';' in paths (PATH_SEMICOLONS, and the
 * semicolons=allow routes), the rest is a request target.  Routes, as
 * in tests/integration/54-canonical-differential.t: "/" and "/open"
 * without a policy (';' allowed with bit 0), "/mcp", "/admin",
 * "/a-b_c.d~e" with one, "/open/deep" without.  A target that
 * path_normalize() or route_find() refuses is fine.  For the others:
 *
 * - the canonical target c is a fixed point of path_normalize(), and
 *   in canonical form: no escape of an unreserved character, escapes
 *   in upper case, no "//", no "." or ".." segment, only RFC 3986
 *   pchar and '/' in the path;
 * - route(c) is the route of the path as upstreams read it:
 *   fully decoded t (every %XX once, as WSGI's PATH_INFO or Go's
 *   URL.Path), its dots resolved and slashes merged; the same for
 *   fully decoded c, with and without resolving (an upstream that
 *   resolves nothing); with ';' on, the same again for c without its
 *   ";params", dropped before decoding (Tomcat) or after;
 * - a path of c that holds ';' or %3B got a route allowing them.
 *
 * The routing model here matches a prefix (ASCII case ignored) that
 * ends at '/' or at the end of the decoded path: a decoded '?' is a
 * path character, not a query.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../mcpproxyd/mcpproxyd.h"

#include "require.h"

static struct auth policy;
static const struct {
	const char	*prefix;
	int		 auth;
	int		 semicolons;
} table[] = {
	{ "/", 0, 1 },
	{ "/mcp", 1, 0 },
	{ "/admin", 1, 0 },
	{ "/open", 0, 1 },
	{ "/open/deep", 0, 0 },
	{ "/a-b_c.d~e", 1, 0 },
};
static struct server srv;

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

/* The path of t (no query) with every escape decoded once, in place. */
static void
decode(char *s)
{
	char	*in, *out;

	s[strcspn(s, "?")] = '\0';
	for (in = out = s; *in != '\0'; ) {
		if (in[0] == '%' && hexval(in[1]) >= 0 && hexval(in[2]) >= 0) {
			*out++ = hexval(in[1]) << 4 | hexval(in[2]);
			in += 3;
		} else
			*out++ = *in++;
	}
	*out = '\0';
}

/* Drop ";params" from each segment (and "%3B..." if pct). */
static void
unparam(char *s, int pct)
{
	char	*in, *out;

	for (in = out = s; *in != '\0'; ) {
		if (*in == ';' || (pct && in[0] == '%' && in[1] == '3' &&
		    (in[2] == 'b' || in[2] == 'B'))) {
			in += strcspn(in, "/");
			continue;
		}
		*out++ = *in++;
	}
	*out = '\0';
}

/* Merge slashes, resolve dots, ".." at the root stays there (Go). */
static void
clean(char *s)
{
	char	*in = s, *out = s, *seg;
	int	 dir = 0;

	while (*in != '\0') {
		while (*in == '/')
			in++;
		seg = in;
		while (*in != '\0' && *in != '/')
			in++;
		dir = *in == '/' || in == seg;
		if (in - seg == 1 && seg[0] == '.')
			continue;
		if (in - seg == 2 && seg[0] == '.' && seg[1] == '.') {
			while (out > s && *--out != '/')
				;
			continue;
		}
		if (in == seg)
			break;
		*out++ = '/';
		memmove(out, seg, in - seg);
		out += in - seg;
	}
	if (out == s || dir)
		*out++ = '/';
	*out = '\0';
}

/* The route an upstream's reading of a decoded path falls under. */
static int
model_route(const char *path)
{
	size_t	 i, len, best = 0;
	int	 r = -1;

	for (i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		len = strlen(table[i].prefix);
		if (strncasecmp(path, table[i].prefix, len) != 0)
			continue;
		if (len > 1 && path[len] != '\0' && path[len] != '/')
			continue;
		if (r == -1 || len > best) {
			best = len;
			r = (int)i;
		}
	}
	return (r);
}

/* model_route of s after the steps: 1 unparam raw, 2 decode, 4 unparam
 * decoded, 8 clean. */
static int
model(const char *s, int steps)
{
	char	*t;
	int	 r;

	if ((t = strdup(s)) == NULL)
		abort();
	t[strcspn(t, "?")] = '\0';
	if (steps & 1)
		unparam(t, 1);
	if (steps & 2)
		decode(t);
	if (steps & 4)
		unparam(t, 0);
	if (steps & 8)
		clean(t);
	r = model_route(t);
	free(t);
	return (r);
}

/* Is the path of canonical c in canonical form? */
static void
check_form(const char *c)
{
	size_t	 n = strcspn(c, "?"), i;

	REQUIRE(c[0] == '/');
	for (i = 0; i < n; i++) {
		if (c[i] == '%') {
			REQUIRE(i + 2 < n && hexval(c[i + 1]) >= 0 &&
			    hexval(c[i + 2]) >= 0);
			REQUIRE(!(c[i + 1] >= 'a' && c[i + 1] <= 'f') &&
			    !(c[i + 2] >= 'a' && c[i + 2] <= 'f'));
			REQUIRE(!path_unreserved(hexval(c[i + 1]) << 4 |
			    hexval(c[i + 2])));
			i += 2;
			continue;
		}
		REQUIRE(c[i] == '/' || path_unreserved((unsigned char)c[i]) ||
		    strchr("!$&'()*+,;=:@", c[i]) != NULL);
		if (c[i] == '/') {
			REQUIRE(c[i + 1] != '/');
			REQUIRE(!(c[i + 1] == '.' && (i + 2 >= n ||
			    c[i + 2] == '/')));
			REQUIRE(!(c[i + 1] == '.' && c[i + 2] == '.' &&
			    (i + 3 >= n || c[i + 3] == '/')));
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct route	*rt;
	const char		*why, *p;
	char			*t, *c, *c2;
	size_t			 i, n;
	int			 semi, r;

	if (size < 1 || size > 4096 || memchr(data + 1, '\0', size - 1))
		return (0);
	semi = data[0] & 1;
	memset(&srv, 0, sizeof(srv));
	for (i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		srv.routes[i].prefix = (char *)table[i].prefix;
		srv.routes[i].prefixlen = strlen(table[i].prefix);
		srv.routes[i].auth = table[i].auth ? &policy : NULL;
		srv.routes[i].semicolons = semi && table[i].semicolons;
		srv.routes[i].index = (int)i;
	}
	srv.nroutes = i;
	srv.semicolons = semi;
	/* exact-length heap copies: ASan sees reads past the end */
	if ((t = malloc(size)) == NULL || (c = malloc(size)) == NULL ||
	    (c2 = malloc(size)) == NULL)
		abort();
	memcpy(t, data + 1, size - 1);
	t[size - 1] = '\0';
	memcpy(c, t, size);
	if (path_normalize(c, semi ? PATH_SEMICOLONS : 0, &why) == -1) {
		REQUIRE(why != NULL);
		goto done;
	}
	REQUIRE(strlen(c) <= strlen(t));
	REQUIRE(!strcmp(c + strcspn(c, "?"), t + strcspn(t, "?")));
	check_form(c);
	memcpy(c2, c, strlen(c) + 1);
	REQUIRE(path_normalize(c2, semi ? PATH_SEMICOLONS : 0, &why) == 0);
	REQUIRE(!strcmp(c, c2));

	rt = route_find(&srv, c, &why);
	if (rt == NULL && why != NULL)
		goto done;
	r = rt == NULL ? -1 : rt->index;
	REQUIRE(r == model(t, 2 | 8));		/* t fully decoded */
	REQUIRE(r == model(c, 2 | 8));		/* what the upstream gets */
	REQUIRE(r == model(c, 2));		/* resolving nothing */
	n = strcspn(c, "?");
	if (memchr(c, ';', n) != NULL || ((p = strstr(c, "%3B")) != NULL &&
	    p < c + n))
		REQUIRE(semi && rt != NULL && rt->semicolons &&
		    rt->auth == NULL);
	if (semi) {
		REQUIRE(r == model(c, 1 | 2 | 8));	/* Tomcat */
		REQUIRE(r == model(c, 2 | 4 | 8));	/* decode, unparam */
	}
done:
	free(t);
	free(c);
	free(c2);
	return (0);
}
