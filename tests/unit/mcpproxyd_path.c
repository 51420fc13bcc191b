/*
 * Path canonicalisation: every row is a target and what it must become
 * (or NULL: refused).  A proxy that routes on one path and forwards
 * another can be walked past its own protection.
 */
#include <stdio.h>
#include <string.h>

#include "../../mcpproxyd/mcpproxyd.h"
#include "unit.h"

static const struct {
	const char	*in;
	const char	*out;	/* NULL: refused */
} cases[] = {
	/* good */
	{ "/", "/" },
	{ "/mcp", "/mcp" },
	{ "/mcp/", "/mcp/" },
	{ "/mcp?x=1", "/mcp?x=1" },
	{ "/a/b/c", "/a/b/c" },
	{ "/mcp?p=/../x", "/mcp?p=/../x" },		/* the query is data */
	{ "/%41bc", "/%41bc" },				/* other escapes kept */
	{ "/a.b/c..d/...", "/a.b/c..d/..." },		/* not dot segments */
	/* canonicalised */
	{ "//mcp", "/mcp" },
	{ "/mcp//x", "/mcp/x" },
	{ "/./mcp", "/mcp" },
	{ "/health/../mcp", "/mcp" },
	{ "/health/%2e%2e/mcp", "/mcp" },
	{ "/health/%2E%2E/mcp", "/mcp" },
	{ "/health/.%2e/mcp", "/mcp" },
	{ "/health/%2e./mcp", "/mcp" },
	{ "/health/./../mcp", "/mcp" },
	{ "/a/b/../../mcp", "/mcp" },
	{ "/a/b/..", "/a/" },
	{ "/a/b/.", "/a/b/" },
	{ "/a/./b/", "/a/b/" },
	{ "/mcp/..?x=1", "/?x=1" },
	{ "/%2e/mcp", "/mcp" },
	{ "/a/../", "/" },
	{ "/..a/b", "/..a/b" },
	/* refused */
	{ "/..", NULL },
	{ "/../mcp", NULL },
	{ "/%2e%2e/mcp", NULL },
	{ "/a/../../mcp", NULL },
	{ "/a/%2e%2e/%2e%2e/mcp", NULL },
	{ "/health/..%2fmcp", NULL },
	{ "/health/..%2Fmcp", NULL },
	{ "/mcp%2f..", NULL },
	{ "/a%5c..%5cmcp", NULL },
	{ "/a%5C..", NULL },
	{ "/a%00b", NULL },
	{ "mcp", NULL },
	{ "", NULL },
	{ "/./../mcp", NULL },
	{ "//..//mcp", NULL },
};

int
main(void)
{
	char		 buf[256];
	const char	*why;
	size_t		 i, bad = 0;
	int		 rc;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(buf, sizeof(buf), "%s", cases[i].in);
		why = NULL;
		rc = path_normalize(buf, &why);
		if (cases[i].out == NULL) {
			bad++;
			CHECK(rc == -1 && why != NULL, "\"%s\" accepted as \"%s\"",
			    cases[i].in, buf);
		} else
			CHECK(rc == 0 && !strcmp(buf, cases[i].out),
			    "\"%s\" gave \"%s\" (rc %d), want \"%s\"",
			    cases[i].in, buf, rc, cases[i].out);
	}
	printf("%zu refused cases, %zu accepted\n", bad,
	    sizeof(cases) / sizeof(cases[0]) - bad);
	return (unit_done("mcpproxyd_path"));
}
