/*
 * The public URLs of a protected route, for auth.c (metadata and the
 * challenge) and provider.c (the authorization server the proxy stands
 * in for): the resource URL, its metadata URL (RFC 9728) and, for a
 * provider = keycloak issuer, the proxy's authorization server URL.
 */
#include <sys/types.h>

#include <stdio.h>
#include <string.h>

#include "mcpproxyd.h"
#include "url.h"

/*
 * The resource URL clients reach route rt by: configured, else built
 * from the request: https on a TLS connection, else http, and the Host
 * (X-Forwarded-Proto/Host only from a peer in the server's
 * trusted_proxies).
 */
void
resource_url(const struct exchange *x, const struct route *rt, char *buf,
    size_t len)
{
	const struct http_request	*r = &x->req;
	const char			*proto = NULL, *host = NULL;

	if (rt->auth->resource != NULL) {
		snprintf(buf, len, "%s", rt->auth->resource);
		return;
	}
	if (x->trusted) {
		proto = http_header_get(r->hdr, r->nhdr, "X-Forwarded-Proto");
		host = http_header_get(r->hdr, r->nhdr, "X-Forwarded-Host");
	}
	if (proto == NULL || (strcmp(proto, "http") && strcmp(proto, "https")))
		proto = x->tls != NULL ? "https" : "http";
	if (host == NULL || strpbrk(host, " ,/\"\\") != NULL)
		host = r->host ? r->host : "localhost";
	snprintf(buf, len, "%s://%s%s", proto, host, rt->prefix);
}

/* The metadata URL of a resource URL (RFC 9728 3.1: path-suffixed). */
void
resource_metadata_url(const char *resource, char *buf, size_t len)
{
	const char	*path = url_path(resource);

	snprintf(buf, len, "%.*s%s%s", (int)(path - resource), resource,
	    PRM_PATH, strcmp(path, "/") ? path : "");
}

/* Does the proxy stand in for this issuer (provider = keycloak)? */
int
resource_keycloak(const struct issuer *iss)
{
	return (iss != NULL && iss->provider != NULL &&
	    strcmp(iss->provider, "keycloak") == 0);
}

/* The issuer URL's path without trailing slashes ("" for none). */
size_t
resource_issuer_path(const struct issuer *iss, const char **path)
{
	size_t	 n;

	*path = iss->url + url_origin_len(iss->url);
	n = strcspn(*path, "?#");
	while (n > 0 && (*path)[n - 1] == '/')
		n--;
	return (n);
}

/*
 * The authorization server URL the protected resource metadata gives
 * for a route protected by a: the proxy's origin (from the resource
 * URL) and the issuer's path.  Returns 0, or -1 when a's issuer needs
 * no help (the issuer itself is the authorization server).
 */
int
resource_as_url(const struct auth *a, const char *resource, char *buf,
    size_t len)
{
	const char	*path;
	size_t		 plen;
	int		 n;

	if (!resource_keycloak(a->iss) || url_origin_len(resource) == 0)
		return (-1);
	plen = resource_issuer_path(a->iss, &path);
	n = snprintf(buf, len, "%.*s%.*s", (int)url_origin_len(resource),
	    resource, (int)plen, path);
	return (n < 0 || (size_t)n >= len ? -1 : 0);
}
