/*
 * The deny list (revoke.c): a table of files, more bad than good, each
 * bad one with its golden reason; then which tokens it matches.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../mcpproxyd/mcpproxyd.h"
#include "unit.h"

static const struct {
	const char	*text;
	const char	*err;	/* NULL: must load */
} files[] = {
	/* good */
	{ "", NULL },
	{ "# nothing revoked yet\n\n   \n", NULL },
	{ "jti abc\nsub ci-job\n", NULL },
	{ "  jti\tabc  \r\nsub x # not a comment: part of nothing\n", "t:2: the value is empty or holds a blank" },
	{ "jti abc", NULL },
	/* bad */
	{ "jti\n", "t:1: no value" },
	{ "jti \n", "t:1: the value is empty or holds a blank" },
	{ "sub a b\n", "t:1: the value is empty or holds a blank" },
	{ "kid abc\n", "t:1: not \"jti VALUE\" or \"sub VALUE\"" },
	{ "JTI abc\n", "t:1: not \"jti VALUE\" or \"sub VALUE\"" },
	{ "abc\n", "t:1: no value" },
	{ "jti:abc\n", "t:1: no value" },
	{ "jti a\x01z\n", "t:1: a control character in the value" },
	{ "sub a\x7fz\n", "t:1: a control character in the value" },
	{ "# ok\njti ok\nsub\n", "t:3: no value" },
};

/* A token whose payload is the given JSON (header and signature: junk). */
static char *
token(const char *json)
{
	static const char	 t[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	const unsigned char	*s = (const unsigned char *)json;
	size_t			 n = strlen(json), i, o = 0;
	char			*out = malloc(8 + 2 * n + 8);
	unsigned int		 v;

	o = snprintf(out, 16, "eyJhIjoxfQ.");
	for (i = 0; i < n; i += 3) {
		v = s[i] << 16 | (i + 1 < n ? s[i + 1] << 8 : 0) |
		    (i + 2 < n ? s[i + 2] : 0);
		out[o++] = t[v >> 18];
		out[o++] = t[(v >> 12) & 63];
		if (i + 1 < n)
			out[o++] = t[(v >> 6) & 63];
		if (i + 2 < n)
			out[o++] = t[v & 63];
	}
	strcpy(out + o, ".c2ln");
	return (out);
}

int
main(void)
{
	char		 path[] = "/tmp/revoke-unit.XXXXXX", err[512], want[512];
	struct revoked	*r;
	FILE		*fp;
	size_t		 i;
	int		 fd, rc, good = 0, bad = 0;
	char		*t;

	if ((fd = mkstemp(path)) == -1)
		return (2);
	close(fd);
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		files[i].err ? bad++ : good++;
		fp = fopen(path, "w");
		fputs(files[i].text, fp);
		fclose(fp);
		err[0] = '\0';
		rc = revoke_load(path, &r, err, sizeof(err));
		if (files[i].err == NULL)
			CHECK(rc == 0, "file %zu: %s", i, err);
		else {
			snprintf(want, sizeof(want), "revoked_file %s%s", path,
			    files[i].err + 1);
			CHECK(rc == -1 && !strcmp(err, want), "file %zu: got "
			    "\"%s\", want \"%s\"", i, err, want);
		}
		revoke_free(r);
	}
	CHECK(bad > good, "%d bad files, %d good", bad, good);
	/* a line longer than the bound */
	fp = fopen(path, "w");
	fputs("jti ", fp);
	for (i = 0; i < 1100; i++)
		fputc('x', fp);
	fclose(fp);
	CHECK(revoke_load(path, &r, err, sizeof(err)) == -1 &&
	    strstr(err, ":1: line too long") != NULL, "long line: %s", err);

	fp = fopen(path, "w");
	fputs("jti j-1\nsub bad-job\n# jti j-2\n", fp);
	fclose(fp);
	CHECK(revoke_load(path, &r, err, sizeof(err)) == 0, "%s", err);
	t = token("{\"sub\":\"ok\",\"jti\":\"j-1\"}");
	CHECK(revoke_match(r, t) == 1, "jti listed");
	free(t);
	t = token("{\"sub\":\"bad-job\",\"jti\":\"j-9\"}");
	CHECK(revoke_match(r, t) == 1, "sub listed");
	free(t);
	t = token("{\"sub\":\"ok\",\"jti\":\"j-2\"}");
	CHECK(revoke_match(r, t) == 0, "commented out");
	free(t);
	t = token("{\"sub\":\"bad-jo\",\"jti\":\"j-10\"}");
	CHECK(revoke_match(r, t) == 0, "prefixes are not matches");
	free(t);
	t = token("{\"sub\":\"ok\"}");
	CHECK(revoke_match(r, t) == 0, "no jti");
	free(t);
	t = token("{\"sub\":[\"bad-job\"],\"jti\":1}");
	CHECK(revoke_match(r, t) == 0, "not strings");
	free(t);
	CHECK(revoke_match(NULL, "a.b.c") == 0, "no list");
	revoke_free(r);
	unlink(path);
	return (unit_done("mcpproxyd_revoke"));
}
