/*
 * Discovery of the JWKS URL from the issuer alone, in the order the
 * MCP authorization spec gives: RFC 8414 metadata, then OpenID Connect
 * discovery, with the issuer's path inserted after /.well-known/ and,
 * for OIDC, also appended after the path (Keycloak's realms).  For a
 * provider = keycloak issuer the document found is also kept, reduced
 * to RFC 8414 metadata, for the workers to serve (Keycloak has none).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "jwksd.h"
#include "url.h"

#define WK_OAUTH	"/.well-known/oauth-authorization-server"
#define WK_OIDC		"/.well-known/openid-configuration"

/* Join three parts into a malloc'd string. */
static char *
join(const char *a, size_t alen, const char *b, const char *c)
{
	char	*s;

	if (asprintf(&s, "%.*s%s%s", (int)alen, a, b, c) == -1)
		return (NULL);
	return (s);
}

/*
 * The metadata URLs to try for issuer, best first, malloc'd into
 * urls[] (at most max).  Returns their count, or -1 when the issuer
 * is not an http(s) URL without query or fragment.
 */
int
discovery_urls(const char *issuer, char **urls, size_t max)
{
	const char	*host, *path;
	char		 trimmed[KEYFILE_URL_MAX + 1];
	size_t		 olen, plen, i, n = 0;

	if (max < 3 || strlen(issuer) > KEYFILE_URL_MAX ||
	    strpbrk(issuer, "?#") != NULL ||
	    (host = strstr(issuer, "://")) == NULL)
		return (-1);
	snprintf(trimmed, sizeof(trimmed), "%s", issuer);
	plen = strlen(trimmed);
	while (plen > 0 && trimmed[plen - 1] == '/')
		trimmed[--plen] = '\0';
	host = trimmed + (host - issuer) + 3;
	if (*host == '\0' || *host == '/')
		return (-1);
	/* no ? or #: the authority ends at the first / */
	path = trimmed + url_origin_len(trimmed);
	olen = path - trimmed;
	urls[n++] = join(trimmed, olen, WK_OAUTH, path);
	urls[n++] = join(trimmed, olen, WK_OIDC, path);
	if (*path != '\0')
		urls[n++] = join(trimmed, strlen(trimmed), WK_OIDC, "");
	for (i = 0; i < n; i++)
		if (urls[i] == NULL) {
			for (i = 0; i < n; i++)
				free(urls[i]);
			return (-1);
		}
	return ((int)n);
}

/* Keep the reduced metadata of a provider = keycloak issuer. */
static void
keep_metadata(const struct config *conf, struct issuer *iss,
    const struct fetch_reply *r, const char *url)
{
	const char	*why;
	char		*doc = NULL;

	if (jwk_as_metadata(r->body, r->len, iss->issuer, conf->allow_http,
	    &doc, &why) == -1) {
		log_warnx("issuer %s: %s: %s; %s", iss->name, url, why,
		    iss->metadata ? "keeping the last metadata" :
		    "no authorization server metadata to serve");
		return;
	}
	if (why != NULL)
		log_warnx("issuer %s: %s: %s", iss->name, url, why);
	if (iss->metadata == NULL || strcmp(iss->metadata, doc) != 0)
		log_info("issuer %s: authorization server metadata from %s",
		    iss->name, url);
	free(iss->metadata);
	iss->metadata = doc;
}

/*
 * Find iss's jwks_uri from its metadata (and keep the metadata when
 * the provider needs it).  Returns 0 with iss->jwks_uri set, or -1
 * with the last failure in err.
 */
int
discovery_run(const struct config *conf, struct issuer *iss, char *err,
    size_t errlen)
{
	struct fetch_reply	 r;
	char			*urls[3], *uri = NULL, why[256];
	const char		*reason;
	int			 i, n, rv = -1;

	if ((n = discovery_urls(iss->issuer, urls, 3)) <= 0) {
		snprintf(err, errlen, "issuer is not a plain http(s) URL");
		return (-1);
	}
	for (i = 0; i < n && rv == -1; i++) {
		if (fetch_get(conf, urls[i], NULL, &r, why, sizeof(why)) ==
		    -1) {
			log_debug("issuer %s: %s: %s", iss->name, urls[i], why);
			snprintf(err, errlen, "%s: %s", urls[i], why);
			continue;
		}
		if (jwk_metadata(r.body, r.len, iss->issuer, &uri, &reason) ==
		    -1)
			snprintf(err, errlen, "%s: %s", urls[i], reason);
		else if (fetch_url_allowed(uri, conf->allow_http, &reason) ==
		    -1) {
			snprintf(err, errlen, "%s: jwks_uri %s: %s", urls[i],
			    uri, reason);
			free(uri);
		} else {
			if (iss->jwks_uri == NULL ||
			    strcmp(iss->jwks_uri, uri) != 0)
				log_info("issuer %s: discovered jwks_uri %s "
				    "from %s", iss->name, uri, urls[i]);
			if (iss->keycloak)
				keep_metadata(conf, iss, &r, urls[i]);
			free(iss->jwks_uri);
			iss->jwks_uri = uri;
			rv = 0;
		}
		fetch_reply_free(&r);
	}
	for (i = 0; i < n; i++)
		free(urls[i]);
	return (rv);
}

/*
 * For a provider = keycloak issuer, before each fetch of its keys
 * (from jwks_url and jwks_file too): fetch the discovery document, for
 * its metadata.  A failure is logged and the last metadata stays.
 */
void
discovery_provider(const struct config *conf, struct issuer *iss)
{
	const char	*why;
	char		 err[512];

	if (fetch_url_allowed(iss->issuer, conf->allow_http, &why) == -1) {
		log_warnx("issuer %s: no metadata: issuer %s: %s", iss->name,
		    iss->issuer, why);
		return;
	}
	if (discovery_run(conf, iss, err, sizeof(err)) == -1)
		log_warnx("issuer %s: discovery of its metadata failed: %s; %s",
		    iss->name, err, iss->metadata ? "keeping the last one" :
		    "no authorization server metadata to serve");
}
