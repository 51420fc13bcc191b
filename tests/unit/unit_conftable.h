/*
 * The configuration tables of the unit tests (mcpproxyd_config.c,
 * mcpproxyd_policy.c, mcpproxyd_tls.c): each case is a file's text and
 * the one error config_load must give for it, or NULL when it must
 * load.  Files are written as t.conf in the current directory.
 */
#ifndef TESTS_UNIT_CONFTABLE_H
#define TESTS_UNIT_CONFTABLE_H

#include <stdio.h>
#include <string.h>

#include "../../mcpproxyd/mcpproxyd.h"
#include "unit.h"

struct conf_case {
	const char	*text;
	const char	*err;	/* NULL: must load */
};

/* Write text to t.conf and load it; err filled. */
static inline int
conf_load_text(const char *text, struct config *conf, char *err, size_t len)
{
	FILE	*fp = fopen("t.conf", "w");

	if (fp == NULL)
		return (-2);
	fputs(text, fp);
	fclose(fp);
	err[0] = '\0';
	return (config_load("t.conf", conf, err, len));
}

/*
 * Run a table through load (conf_load_text, or one that rewrites the
 * text first): goods load, bads give exactly their message.
 */
static inline void
conf_table(const char *what, const struct conf_case *cases, size_t n,
    int (*load)(const char *, struct config *, char *, size_t))
{
	struct config	 conf;
	char		 err[1024];
	size_t		 i, bad = 0;
	int		 rc;

	for (i = 0; i < n; i++) {
		rc = load(cases[i].text, &conf, err, sizeof(err));
		if (cases[i].err == NULL)
			CHECK(rc == 0, "%s case %zu: %s", what, i, err);
		else {
			bad++;
			CHECK(rc == -1 && !strcmp(err, cases[i].err),
			    "%s case %zu: got \"%s\", want \"%s\"", what, i,
			    err, cases[i].err);
		}
		if (rc == 0)
			config_free(&conf);
	}
	printf("%s: %zu bad cases, %zu good\n", what, bad, n - bad);
}

#endif
