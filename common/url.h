/*
 * Splitting http:// and https:// URLs, for both daemons: the origin
 * (scheme://authority), host, port and path, without copying the path.
 */
#ifndef COMMON_URL_H
#define COMMON_URL_H

#include <stddef.h>

struct url {
	int		 https;		/* 0: http:// */
	const char	*authority;	/* host[:port], in the URL split */
	size_t		 authority_len;
	char		 host[256];	/* without an IPv6 address's [] */
	char		 port[8];	/* as written; 80 or 443 if absent */
	const char	*path;		/* at the first / ? or #; "" if none */
};

/*
 * Split url (http:// or https://, without userinfo) into u, which
 * points into url.  Returns 0, or -1 with the reason in *why.
 */
int		 url_split(const char *url, struct url *u, const char **why);
/* Length of scheme://authority (0 when url has no "://"). */
size_t		 url_origin_len(const char *url);
/* The path after the authority, "" when there is none. */
const char	*url_path(const char *url);

#endif
