/*
 * Splitting http:// and https:// URLs (see url.h).
 */
#include <stdio.h>
#include <string.h>

#include "parse.h"
#include "url.h"

/* Copy n bytes of s into dst (size dstlen); -1 if empty or too long. */
static int
copy(char *dst, size_t dstlen, const char *s, size_t n)
{
	if (n == 0 || n >= dstlen)
		return (-1);
	memcpy(dst, s, n);
	dst[n] = '\0';
	return (0);
}

int
url_split(const char *url, struct url *u, const char **why)
{
	const char	*a, *end, *h, *rb, *colon;
	long long	 port;

	memset(u, 0, sizeof(*u));
	if (strncmp(url, "http://", 7) == 0)
		a = url + 7;
	else if (strncmp(url, "https://", 8) == 0) {
		u->https = 1;
		a = url + 8;
	} else {
		*why = "not an http:// or https:// URL";
		return (-1);
	}
	end = a + strcspn(a, "/?#");
	u->authority = a;
	u->authority_len = end - a;
	u->path = end;
	if (memchr(a, '@', end - a) != NULL) {
		*why = "userinfo";
		return (-1);
	}
	if (*a == '[') {		/* [v6]:port */
		if ((rb = memchr(a, ']', end - a)) == NULL ||
		    copy(u->host, sizeof(u->host), a + 1, rb - a - 1) == -1) {
			*why = "bad IPv6 address";
			return (-1);
		}
		h = rb + 1;
	} else {
		colon = memchr(a, ':', end - a);
		h = colon ? colon : end;
		if (copy(u->host, sizeof(u->host), a, h - a) == -1) {
			*why = "no host";
			return (-1);
		}
	}
	if (h == end) {
		snprintf(u->port, sizeof(u->port), "%s",
		    u->https ? "443" : "80");
		return (0);
	}
	if (*h != ':') {
		*why = "bad host";
		return (-1);
	}
	if (copy(u->port, sizeof(u->port), h + 1, end - h - 1) == -1 ||
	    parse_int(u->port, 1, 65535, &port) == -1) {
		*why = "bad port";
		return (-1);
	}
	return (0);
}

size_t
url_origin_len(const char *url)
{
	const char	*p = strstr(url, "://");

	if (p == NULL)
		return (0);
	p += 3;
	return ((size_t)(p - url) + strcspn(p, "/?#"));
}

const char *
url_path(const char *url)
{
	const char	*p = url + url_origin_len(url);

	return (p != url && *p == '/' ? p : "");
}
