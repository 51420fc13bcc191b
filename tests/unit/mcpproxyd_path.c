/*
 * Path canonicalisation: every row is a target and what it must become
 * (or NULL: refused).  A proxy that routes on one path and forwards
 * another can be walked past its own protection.  Then routing: which
 * route a canonical target gets, and which ';' paths are refused.
 */
#include <stdio.h>
#include <string.h>

#include "../../mcpproxyd/mcpproxyd.h"
#include "unit.h"

#define S	PATH_SEMICOLONS

static const struct {
	const char	*in;
	int		 flags;
	const char	*out;	/* NULL: refused */
} cases[] = {
	/* good */
	{ "/", 0, "/" },
	{ "/mcp", 0, "/mcp" },
	{ "/mcp/", 0, "/mcp/" },
	{ "/mcp?x=1", 0, "/mcp?x=1" },
	{ "/a/b/c", 0, "/a/b/c" },
	{ "/mcp?p=/../x", 0, "/mcp?p=/../x" },		/* the query is data */
	{ "/mcp?p=%2f%00%zz;", 0, "/mcp?p=%2f%00%zz;" },	/* as it is */
	{ "/a.b/c..d/...", 0, "/a.b/c..d/..." },	/* not dot segments */
	{ "/a!$&'()*+,=:@b", 0, "/a!$&'()*+,=:@b" },	/* pchar */
	{ "/mcp;x", S, "/mcp;x" },
	{ "/mcp%3bx", S, "/mcp%3Bx" },
	/* canonicalised */
	{ "/%41bc", 0, "/Abc" },			/* unreserved decoded */
	{ "/%6dcp", 0, "/mcp" },
	{ "/%6Dcp/x", 0, "/mcp/x" },
	{ "/m%63p", 0, "/mcp" },
	{ "/%61dmin", 0, "/admin" },
	{ "/%2D%2e%5F%7e%30%7A", 0, "/-._~0z" },
	{ "/a%20b", 0, "/a%20b" },			/* reserved: kept, */
	{ "/a%3f%3F%c3%a9%25", 0, "/a%3F%3F%C3%A9%25" },	/* upper case */
	{ "/%252e%252E", 0, "/%252e%252E" },		/* decoded once */
	{ "/%25%32%65", 0, "/%252e" },
	{ "/%25%32%65%25%32%65/mcp", 0, "/%252e%252e/mcp" },
	{ "//mcp", 0, "/mcp" },
	{ "/mcp//x", 0, "/mcp/x" },
	{ "/./mcp", 0, "/mcp" },
	{ "/health/../mcp", 0, "/mcp" },
	{ "/health/%2e%2e/mcp", 0, "/mcp" },
	{ "/health/%2E%2E/mcp", 0, "/mcp" },
	{ "/health/.%2e/mcp", 0, "/mcp" },
	{ "/health/%2e./mcp", 0, "/mcp" },
	{ "/health/./../mcp", 0, "/mcp" },
	{ "/a/b/../../mcp", 0, "/mcp" },
	{ "/a/b/..", 0, "/a/" },
	{ "/a/b/.", 0, "/a/b/" },
	{ "/a/./b/", 0, "/a/b/" },
	{ "/mcp/..?x=1", 0, "/?x=1" },
	{ "/%2e/mcp", 0, "/mcp" },
	{ "/a/../", 0, "/" },
	{ "/..a/b", 0, "/..a/b" },
	{ "/x/..;/mcp", S, "/x/..;/mcp" },		/* route_find's job */
	/* refused */
	{ "/..", 0, NULL },
	{ "/../mcp", 0, NULL },
	{ "/%2e%2e/mcp", 0, NULL },
	{ "/%2E%2E", 0, NULL },
	{ "/.%2e", 0, NULL },
	{ "/a/../../mcp", 0, NULL },
	{ "/a/%2e%2e/%2e%2e/mcp", 0, NULL },
	{ "/health/..%2fmcp", 0, NULL },
	{ "/health/..%2Fmcp", 0, NULL },
	{ "/mcp%2f..", 0, NULL },
	{ "/a%5c..%5cmcp", 0, NULL },
	{ "/a%5C..", 0, NULL },
	{ "/a%00b", 0, NULL },
	{ "/a%2F", S, NULL },
	{ "/a%5c", S, NULL },
	{ "/a%00", S, NULL },
	{ "mcp", 0, NULL },
	{ "", 0, NULL },
	{ "?x", 0, NULL },
	{ "*", 0, NULL },
	{ "/./../mcp", 0, NULL },
	{ "//..//mcp", 0, NULL },
	{ "/mcp;x", 0, NULL },				/* ';' by default */
	{ "/mcp;", 0, NULL },
	{ "/;/mcp", 0, NULL },
	{ "/mcp%3bx", 0, NULL },
	{ "/mcp%3Bx", 0, NULL },
	{ "/x/..;/mcp", 0, NULL },
	{ "/mcp%", 0, NULL },				/* bad escapes */
	{ "/mcp%4", 0, NULL },
	{ "/mcp%4?x", 0, NULL },
	{ "/mcp%?x", 0, NULL },
	{ "/mcp%zz", 0, NULL },
	{ "/mcp%g0", 0, NULL },
	{ "/mcp%0g", 0, NULL },
	{ "/%%32%65", 0, NULL },
	{ "/%2%65", 0, NULL },
	{ "/%%", 0, NULL },
	{ "/%u002e", 0, NULL },
	{ "/%-1", 0, NULL },
	{ "/%+1", S, NULL },
	{ "/a b", 0, NULL },				/* raw bytes */
	{ "/a\\b", 0, NULL },
	{ "/a\\..\\mcp", S, NULL },
	{ "/a\"b", 0, NULL },
	{ "/a<b>", 0, NULL },
	{ "/a^b", 0, NULL },
	{ "/a`b", 0, NULL },
	{ "/a{b}", 0, NULL },
	{ "/a|b", 0, NULL },
	{ "/a#b", 0, NULL },
	{ "/a[b]", 0, NULL },
	{ "/a\tb", 0, NULL },
	{ "/a\rb", 0, NULL },
	{ "/a\x7f", 0, NULL },
	{ "/a\x01", 0, NULL },
	{ "/\xc3\xa9", 0, NULL },
	{ "/mcp\xff", S, NULL },
};

/* A server with the routes of tests/integration/54-canonical-differential.t */
static struct auth policy;
static struct route routes[] = {
	{ .prefix = (char *)"/", .prefixlen = 1, .semicolons = 1 },
	{ .prefix = (char *)"/mcp", .prefixlen = 4, .auth = &policy },
	{ .prefix = (char *)"/admin", .prefixlen = 6, .auth = &policy },
	{ .prefix = (char *)"/open", .prefixlen = 5, .semicolons = 1 },
	{ .prefix = (char *)"/open/deep", .prefixlen = 10 },
};

static const struct {
	const char	*target;	/* canonical */
	int		 route;		/* index, -1: none (404) */
	int		 bad;		/* refused (400) */
} rcases[] = {
	/* good */
	{ "/", 0, 0 },
	{ "/mcp", 1, 0 },
	{ "/MCP", 1, 0 },
	{ "/Mcp/x?y", 1, 0 },
	{ "/mcp?x", 1, 0 },
	{ "/mcpx", 0, 0 },
	{ "/admin/", 2, 0 },
	{ "/open/x", 3, 0 },
	{ "/open/deeper", 3, 0 },
	{ "/open/deep/x", 4, 0 },
	{ "/x;y", 0, 0 },			/* "/" allows ';' */
	{ "/x%3By/z", 0, 0 },
	{ "/open/a;b", 3, 0 },
	{ "/mcp/x?a;b", 1, 0 },			/* the query is data */
	/* refused: the route differs without ";params" */
	{ "/mcp;x", -1, 1 },
	{ "/mcp%3Bx", -1, 1 },
	{ "/MCP;", -1, 1 },
	{ "/mcp;/x", -1, 1 },
	{ "/x/..;/mcp", -1, 1 },
	{ "/x/..%3B/mcp", -1, 1 },
	{ "/x/..;x/admin", -1, 1 },
	{ "/admin;jsessionid=1", -1, 1 },
	{ "/open/..;/admin", -1, 1 },
	{ "/open/deep;x", -1, 1 },
	{ "/open/deep%3B", -1, 1 },
	{ "/open;x/deep", -1, 1 },
	{ "/open/deep/x;y", -1, 1 },		/* a route without the key */
	{ "/mcp/x;y", -1, 1 },
	{ "/..;/mcp", -1, 1 },
	{ "/;/../admin", -1, 1 },
	{ "/open;x/y", -1, 1 },		/* "/" here, "/open" without */
};

int
main(void)
{
	struct server	 srv;
	char		 buf[256];
	const char	*why;
	const struct route *rt;
	size_t		 i, bad = 0;
	int		 rc;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(buf, sizeof(buf), "%s", cases[i].in);
		why = NULL;
		rc = path_normalize(buf, cases[i].flags, &why);
		if (cases[i].out == NULL) {
			bad++;
			CHECK(rc == -1 && why != NULL, "\"%s\" accepted as \"%s\"",
			    cases[i].in, buf);
			continue;
		}
		CHECK(rc == 0 && !strcmp(buf, cases[i].out),
		    "\"%s\" gave \"%s\" (rc %d), want \"%s\"",
		    cases[i].in, buf, rc, cases[i].out);
		/* canonical is a fixed point */
		rc = path_normalize(buf, cases[i].flags, &why);
		CHECK(rc == 0 && !strcmp(buf, cases[i].out),
		    "\"%s\" again gave \"%s\"", cases[i].out, buf);
	}
	printf("%zu refused paths, %zu accepted\n", bad,
	    sizeof(cases) / sizeof(cases[0]) - bad);

	memset(&srv, 0, sizeof(srv));
	for (i = 0; i < sizeof(routes) / sizeof(routes[0]); i++)
		srv.routes[srv.nroutes++] = routes[i];
	srv.semicolons = 1;
	for (bad = i = 0; i < sizeof(rcases) / sizeof(rcases[0]); i++) {
		rt = route_find(&srv, rcases[i].target, &why);
		bad += rcases[i].bad;
		if (rcases[i].bad)
			CHECK(rt == NULL && why != NULL, "\"%s\" routed to %s",
			    rcases[i].target, rt ? rt->prefix : "nothing");
		else
			CHECK(rt == &srv.routes[rcases[i].route] && why == NULL,
			    "\"%s\" routed to %s, want %s", rcases[i].target,
			    rt ? rt->prefix : why ? why : "nothing",
			    routes[rcases[i].route].prefix);
	}
	/* without the key nothing routes with ';' (path_normalize refuses) */
	printf("%zu refused routes, %zu accepted\n", bad,
	    sizeof(rcases) / sizeof(rcases[0]) - bad);
	return (unit_done("mcpproxyd_path"));
}
