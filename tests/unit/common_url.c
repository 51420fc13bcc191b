/*
 * The URL splitter both daemons use: scheme, authority, host (IPv6 in
 * brackets), port (its default) and path; userinfo, an empty host, a
 * bad port and junk after an IPv6 address refused with their reason.
 * Then the origin length and the path alone.  Bad rows outnumber good.
 */
#include <stdio.h>
#include <string.h>

#include "url.h"
#include "unit.h"

static const struct row {
	const char	*in;
	const char	*why;		/* NULL: good */
	int		 https;
	const char	*authority, *host, *port, *path;
} rows[] = {
	/* good */
	{ "http://a", NULL, 0, "a", "a", "80", "" },
	{ "http://a/", NULL, 0, "a", "a", "80", "/" },
	{ "https://a.example:8443/x/y", NULL, 1, "a.example:8443",
	    "a.example", "8443", "/x/y" },
	{ "https://a.example", NULL, 1, "a.example", "a.example", "443", "" },
	{ "http://127.0.0.1:8000/mcp", NULL, 0, "127.0.0.1:8000",
	    "127.0.0.1", "8000", "/mcp" },
	{ "http://[::1]:9/p?q#f", NULL, 0, "[::1]:9", "::1", "9", "/p?q#f" },
	{ "http://[fe80::1]", NULL, 0, "[fe80::1]", "fe80::1", "80", "" },
	{ "http://h?q", NULL, 0, "h", "h", "80", "?q" },
	{ "http://h:65535#f", NULL, 0, "h:65535", "h", "65535", "#f" },
	/* bad */
	{ "", "not an http:// or https:// URL", 0, NULL, NULL, NULL, NULL },
	{ "ftp://a/", "not an http:// or https:// URL", 0, NULL, NULL, NULL, NULL },
	{ "HTTP://a/", "not an http:// or https:// URL", 0, NULL, NULL, NULL, NULL },
	{ "http:/a/", "not an http:// or https:// URL", 0, NULL, NULL, NULL, NULL },
	{ "//a/", "not an http:// or https:// URL", 0, NULL, NULL, NULL, NULL },
	{ "http://", "no host", 0, NULL, NULL, NULL, NULL },
	{ "http:///p", "no host", 0, NULL, NULL, NULL, NULL },
	{ "http://:80/", "no host", 0, NULL, NULL, NULL, NULL },
	{ "https://?q", "no host", 0, NULL, NULL, NULL, NULL },
	{ "http://u@h/", "userinfo", 0, NULL, NULL, NULL, NULL },
	{ "http://u:p@h:80/", "userinfo", 0, NULL, NULL, NULL, NULL },
	{ "http://h:/", "bad port", 0, NULL, NULL, NULL, NULL },
	{ "http://h:0/", "bad port", 0, NULL, NULL, NULL, NULL },
	{ "http://h:65536/", "bad port", 0, NULL, NULL, NULL, NULL },
	{ "http://h:12345678/", "bad port", 0, NULL, NULL, NULL, NULL },
	{ "http://h:+80/", "bad port", 0, NULL, NULL, NULL, NULL },
	{ "http://h:-1/", "bad port", 0, NULL, NULL, NULL, NULL },
	{ "http://h:8o/", "bad port", 0, NULL, NULL, NULL, NULL },
	{ "http://h:80:90/", "bad port", 0, NULL, NULL, NULL, NULL },
	{ "http://[::1/", "bad IPv6 address", 0, NULL, NULL, NULL, NULL },
	{ "http://[]/", "bad IPv6 address", 0, NULL, NULL, NULL, NULL },
	{ "http://[::1]x/", "bad host", 0, NULL, NULL, NULL, NULL },
	{ "http://[::1]:/", "bad port", 0, NULL, NULL, NULL, NULL },
	{ "http://[::1]:99999/", "bad port", 0, NULL, NULL, NULL, NULL },
};

int
main(void)
{
	const struct row	*r;
	struct url		 u;
	const char		*why;
	size_t			 i, good = 0, bad = 0;
	int			 rc;
	char			 longhost[300];

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		r = &rows[i];
		why = NULL;
		rc = url_split(r->in, &u, &why);
		if (r->why == NULL) {
			good++;
			CHECK(rc == 0, "row %zu \"%s\": %s", i, r->in, why);
			if (rc != 0)
				continue;
			CHECK(u.https == r->https, "row %zu: https", i);
			CHECK(u.authority_len == strlen(r->authority) &&
			    !strncmp(u.authority, r->authority,
			    u.authority_len), "row %zu: authority %.*s", i,
			    (int)u.authority_len, u.authority);
			CHECK(!strcmp(u.host, r->host), "row %zu: host %s",
			    i, u.host);
			CHECK(!strcmp(u.port, r->port), "row %zu: port %s",
			    i, u.port);
			CHECK(!strcmp(u.path, r->path), "row %zu: path %s",
			    i, u.path);
		} else {
			bad++;
			CHECK(rc == -1 && why != NULL &&
			    !strcmp(why, r->why), "row %zu \"%s\": rc %d "
			    "why %s, want %s", i, r->in, rc, why, r->why);
		}
	}
	/* a host longer than the buffer is refused, not cut */
	memset(longhost, 'a', sizeof(longhost));
	memcpy(longhost, "http://", 7);
	longhost[sizeof(longhost) - 1] = '\0';
	CHECK(url_split(longhost, &u, &why) == -1 && !strcmp(why, "no host"),
	    "long host");
	bad++;
	CHECK(bad > good, "%zu bad rows, %zu good", bad, good);

	CHECK(url_origin_len("https://a:1/p?q") == 11, "origin /");
	CHECK(url_origin_len("https://a?q/p") == 9, "origin ?");
	CHECK(url_origin_len("https://a") == 9, "origin end");
	CHECK(url_origin_len("/p") == 0, "origin none");
	CHECK(!strcmp(url_path("https://a:1/p?q"), "/p?q"), "path");
	CHECK(!strcmp(url_path("https://a"), ""), "path none");
	CHECK(!strcmp(url_path("https://a?q/p"), ""), "path after query");
	CHECK(!strcmp(url_path("/p"), ""), "path without scheme");
	return (unit_done("common_url"));
}
