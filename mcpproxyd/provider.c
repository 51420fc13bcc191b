/*
 * Help for authorization servers that lack what MCP clients need
 * (provider = keycloak in [issuer NAME]).  Keycloak publishes no
 * RFC 8414 metadata and sends no CORS headers on client registration,
 * so a browser client (the MCP Inspector in Direct mode) cannot
 * register itself.  For such an issuer the proxy stands in as the
 * authorization server the protected resource metadata names: it
 * serves RFC 8414 metadata built from the discovery document jwksd
 * published in the key file (a worker never waits on the network for
 * it), with registration_endpoint pointing at the proxy, and relays a
 * registration to the issuer's real endpoint with CORS, its body
 * bounded by max_body_size and its answer by upstream_timeout.
 *
 * The proxy's authorization server URL is its public origin followed
 * by the issuer's path (http://localhost:9000/realms/my-realm), so the
 * metadata is at /.well-known/oauth-authorization-server/realms/my-realm
 * and the registration relay at the path of the real endpoint
 * (/realms/my-realm/clients-registrations/openid-connect).
 *
 * This stage never forwards by itself: a registration to relay comes
 * back to the pipeline (request.c) as XR_FORWARD with x->rt set to the
 * endpoint's synthetic route.  The key file comes from keys.c, URLs
 * from resource.c, answers go out through reply.c.
 */
#include <sys/types.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "keyfile.h"
#include "log.h"
#include "mcpproxyd.h"
#include "url.h"

#define ASM_PATH	"/.well-known/oauth-authorization-server"

/* What a worker learnt from the current key file about one issuer. */
struct known {
	char		*reg_url;	/* registration_endpoint, or NULL */
	const char	*reg_path;	/* its path and query */
	struct route	 rt;		/* synthetic route for upstream.c */
	char		 host[256];
	char		 port[8];
	char		 authority[300];
};

static struct known	 known[MAX_ISSUERS];
static uint64_t		 known_serial;
static int64_t		 known_created;
static int		 known_valid;

/* Index of iss in the configuration, for known[] and upstream reuse. */
static size_t
issuer_index(const struct config *conf, const struct issuer *iss)
{
	return ((size_t)(iss - conf->issuers));
}

/*
 * Split an http:// or https:// URL into a synthetic route for upstream.c.
 * Returns 0, or -1 when it is not one we can reach.
 */
static int
route_from_url(struct known *k, size_t index)
{
	struct url	 u;
	const char	*why;

	if (url_split(k->reg_url, &u, &why) == -1 ||
	    u.authority_len >= sizeof(k->authority))
		return (-1);
	snprintf(k->authority, sizeof(k->authority), "%.*s",
	    (int)u.authority_len, u.authority);
	snprintf(k->host, sizeof(k->host), "%s", u.host);
	snprintf(k->port, sizeof(k->port), "%s", u.port);
	k->reg_path = *u.path == '/' ? u.path : NULL;
	if (k->reg_path == NULL || strcmp(k->reg_path, "/") == 0)
		return (-1);
	memset(&k->rt, 0, sizeof(k->rt));
	k->rt.url = k->reg_url;
	k->rt.host = k->host;
	k->rt.port = k->port;
	k->rt.authority = k->authority;
	k->rt.path = (char *)(uintptr_t)k->reg_path;
	k->rt.https = u.https;	/* verified as an https route (upstream.c) */
	/* never the index of a real route: its connection is not ours */
	k->rt.index = MAX_ROUTES + (int)index;
	return (0);
}

/* Learn an issuer's registration endpoint from its published metadata. */
static void
learn(struct known *k, const struct keyfile_issuer *ki, size_t index,
    const char *name)
{
	json_t		*doc, *v;
	const char	*url;

	if (ki == NULL || ki->metadata == NULL ||
	    (doc = json_loadb(ki->metadata, ki->metadata_len, 0, NULL)) ==
	    NULL)
		return;
	v = json_object_get(doc, "registration_endpoint");
	if ((url = json_string_value(v)) != NULL &&
	    (k->reg_url = strdup(url)) != NULL) {
		if ((strncmp(url, "http://", 7) != 0 &&
		    strncmp(url, "https://", 8) != 0) ||
		    route_from_url(k, index) == -1) {
			log_warnx("issuer %s: registration_endpoint %s cannot "
			    "be relayed; left out of the metadata", name, url);
			free(k->reg_url);
			k->reg_url = NULL;
		}
	}
	json_decref(doc);
}

/* Bring known[] up to date with the key file in use. */
static void
refresh_known(const struct config *conf)
{
	const struct keyfile	*kf;
	size_t			 i;

	keys_refresh(0);
	if ((kf = keys_current()) == NULL)
		return;
	if (known_valid && keyfile_serial(kf) == known_serial &&
	    keyfile_created(kf) == known_created)
		return;
	for (i = 0; i < conf->nissuers; i++) {
		free(known[i].reg_url);
		memset(&known[i], 0, sizeof(known[i]));
		if (resource_keycloak(&conf->issuers[i]))
			learn(&known[i], keyfile_issuer(kf,
			    conf->issuers[i].url), i, conf->issuers[i].name);
	}
	known_serial = keyfile_serial(kf);
	known_created = keyfile_created(kf);
	known_valid = 1;
}

/*
 * Serve RFC 8414 metadata for the issuer of route rt: the issuer's own
 * metadata (as jwksd published it) with registration_endpoint moved
 * to the proxy.
 */
static enum xresult
serve_metadata(struct exchange *x, const struct route *rt)
{
	const struct issuer		*iss = rt->auth->iss;
	const struct keyfile_issuer	*ki = NULL;
	const struct known		*k;
	char				 res[1024], url[2048];
	json_t				*doc;
	enum xresult			 rv;

	if (strcmp(x->req.method, "GET") && strcmp(x->req.method, "HEAD"))
		return (reply_error(x, 405, "metadata is read with GET"));
	refresh_known(x->conf);
	if (keys_current() != NULL)
		ki = keyfile_issuer(keys_current(), iss->url);
	if (ki == NULL || ki->metadata == NULL || (doc = json_loadb(
	    ki->metadata, ki->metadata_len, 0, NULL)) == NULL) {
		log_warnx("issuer %s: no authorization server metadata from "
		    "jwksd yet; answering 503", iss->name);
		return (reply_error(x, 503, "authorization server metadata "
		    "not available yet"));
	}
	k = &known[issuer_index(x->conf, iss)];
	json_object_del(doc, "registration_endpoint");
	if (k->reg_url != NULL) {
		resource_url(x, rt, res, sizeof(res));
		snprintf(url, sizeof(url), "%.*s%s", (int)url_origin_len(res), res,
		    k->reg_path);
		json_object_set_new(doc, "registration_endpoint",
		    json_string(url));
	}
	rv = reply_json(x, doc, 300);
	json_decref(doc);
	return (rv);
}

/*
 * Relay a client registration to the issuer's real endpoint: read the
 * body (body.c), then XR_FORWARD with x->rt the endpoint's route.
 */
static enum xresult
relay_registration(struct exchange *x, const struct issuer *iss,
    struct known *k)
{
	enum xresult	 rv;

	if (strcmp(x->req.method, "POST") != 0) {
		snprintf(x->extra, sizeof(x->extra), "Allow: POST\r\n");
		rv = reply_error(x, 405, "client registration is a POST");
		x->extra[0] = '\0';
		return (rv);
	}
	if ((rv = body_read(x)) != XR_NEXT)
		return (rv);
	log_info("%s: client registration relayed to issuer %s (%s)",
	    x->peertext, iss->name, k->reg_url);
	/* the whole target is replaced by the endpoint's path */
	k->rt.prefix = x->req.target;
	k->rt.prefixlen = strlen(x->req.target);
	x->rt = &k->rt;
	return (XR_FORWARD);
}

/* Does the target's path (query left out) equal path? */
static int
path_is(const char *target, const char *path, size_t len)
{
	return (strncmp(target, path, len) == 0 &&
	    (target[len] == '\0' || target[len] == '?'));
}

/*
 * Stage: a request meant for the provider help (authorization server
 * metadata, client registration relay).  XR_NEXT when the request is
 * not one; XR_FORWARD when it is a registration to relay (x->rt set);
 * else the result of the answer sent.
 */
enum xresult
provider_handle(struct exchange *x)
{
	const struct server	*srv = x->srv;
	const struct route	*rt, *first = NULL, *match = NULL;
	const char		*target = x->req.target, *path;
	struct known		*k;
	size_t			 i, plen;
	int			 meta, ambiguous = 0;

	meta = strncmp(target, ASM_PATH, sizeof(ASM_PATH) - 1) == 0;
	for (i = 0; i < srv->nroutes; i++) {
		rt = &srv->routes[i];
		if (rt->auth == NULL || !resource_keycloak(rt->auth->iss))
			continue;
		if (first == NULL)
			first = rt;
		else if (first->auth->iss != rt->auth->iss)
			ambiguous = 1;
		if (meta) {
			plen = resource_issuer_path(rt->auth->iss, &path);
			if (match == NULL && path_is(target +
			    sizeof(ASM_PATH) - 1, path, plen))
				match = rt;
			continue;
		}
		refresh_known(x->conf);
		k = &known[issuer_index(x->conf, rt->auth->iss)];
		if (k->reg_url != NULL && path_is(target, k->reg_path,
		    strcspn(k->reg_path, "?")))
			return (relay_registration(x, rt->auth->iss, k));
	}
	/* the root form too, when it is not ambiguous */
	if (meta && match == NULL && first != NULL && !ambiguous &&
	    path_is(target, ASM_PATH, sizeof(ASM_PATH) - 1))
		match = first;
	return (match != NULL ? serve_metadata(x, match) : XR_NEXT);
}
