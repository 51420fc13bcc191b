/*
 * The OAuth resource server of the MCP authorization spec: protected
 * resource metadata (RFC 9728), the 401/403 challenge, and the check of
 * bearer tokens against the keys jwksd publishes (keys.c maps them).
 * Each worker keeps a small cache of tokens it already verified, so
 * the steady state costs no signature check per request.  Answers go
 * out through reply.c, URLs come from resource.c.
 */
#include <sys/types.h>

#include <ctype.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "digest.h"
#include "keyfile.h"
#include "log.h"
#include "mcpproxyd.h"
#include "metrics.h"
#include "token.h"
#include "url.h"

_Static_assert(MAX_SUBJECT_CAP <= TOKEN_SUB_CAP &&
    MAX_SCOPES_CAP <= TOKEN_SCOPE_CAP, "claim bounds");
_Static_assert(KEYFILE_NAME_MAX == 64, "exchange.sub holds NAME:sub");

/*
 * A verified token.  Entries are cache_stride bytes apart: the sub and
 * scopes follow, each in max_subject or max_scopes bytes and a NUL,
 * then at claims_off the claims the policies read (claims.c), so a hit
 * passes on exactly what the first check did.
 */
struct cached {
	unsigned char	 hash[32];	/* SHA-256 of the token */
	int		 auth;		/* policy index + 1; 0: empty */
	uint64_t	 generation;	/* of the key set it was checked with */
	int64_t		 exp;
	char		 str[];		/* sub, NUL, scopes, NUL */
};

static const struct config	*aconf;
static char			*cache;
static size_t			 ncache, cache_stride;
static size_t			 claims_off;	/* in a cache entry */
static struct claims		*claims_req;	/* the request's claims */


/*
 * Set up the key file reader (keys.c) and the token cache, in the
 * master before it forks (again after a reload).
 * SHA-256's and OpenSSL's set-up (warmup.c) are done here, shared by
 * every worker.
 */
void
auth_init(const struct config *conf)
{
	struct logrec	 warm;

	aconf = conf;
	keys_init(conf);
	free(cache);
	cache = NULL;
	free(claims_req);
	claims_req = NULL;
	ncache = 0;
	accesslog_session(&warm, "warm up");	/* SHA-256 set up once */
	if (conf->nauths == 0)
		return;
	ncache = conf->token_cache;
	claims_off = (sizeof(struct cached) + conf->max_subject +
	    conf->max_scopes + 2 + 7) & ~(size_t)7;
	cache_stride = claims_off + claims_size(&conf->claimset);
	if (claims_size(&conf->claimset) > 0 &&
	    (claims_req = calloc(1, claims_size(&conf->claimset))) == NULL)
		fatal("claims");
	if (ncache > 0 && (cache = calloc(ncache, cache_stride)) == NULL)
		fatal("token cache");
	openssl_warm_up();	/* with keys of its own, not the key file's */
}

/* Append a JSON array of a list's values to obj under key. */
static void
json_list(json_t *obj, const char *key, const struct strlist *l)
{
	json_t	*arr = json_array();
	size_t	 i;

	for (i = 0; i < l->n; i++)
		json_array_append_new(arr, json_string(l->v[i]));
	json_object_set_new(obj, key, arr);
}

/*
 * Stage: serve protected resource metadata when the request asks for
 * it (404 when no protected route matches).  XR_NEXT when this is not
 * such a request.
 */
enum xresult
auth_metadata(struct exchange *x)
{
	const struct server	*srv = x->srv;
	const struct route	*rt, *found = NULL;
	const char		*suffix, *q;
	char			 res[1024], path[512];
	json_t			*doc;
	size_t			 i, n;
	enum xresult		 rv;

	if (strncmp(x->req.target, PRM_PATH, sizeof(PRM_PATH) - 1) != 0)
		return (XR_NEXT);
	suffix = x->req.target + sizeof(PRM_PATH) - 1;
	if (*suffix != '\0' && *suffix != '/' && *suffix != '?')
		return (XR_NEXT);
	n = strcspn(suffix, "?");
	snprintf(path, sizeof(path), "%.*s", (int)n, suffix);
	for (i = 0; i < srv->nroutes && found == NULL; i++) {
		rt = &srv->routes[i];
		if (rt->auth == NULL)
			continue;
		resource_url(x, rt, res, sizeof(res));
		q = url_path(res);
		if (path[0] == '\0' || !strcmp(path, q) ||
		    (!strcmp(q, "/") && !strcmp(path, "")))
			found = rt;
	}
	if (found == NULL)
		return (reply_error(x, 404, "no protected resource here"));
	if (strcmp(x->req.method, "GET") && strcmp(x->req.method, "HEAD"))
		return (reply_error(x, 405, "metadata is read with GET"));
	resource_url(x, found, res, sizeof(res));
	doc = json_object();
	json_object_set_new(doc, "resource", json_string(res));
	if (found->auth->authorization_servers.n > 0)
		json_list(doc, "authorization_servers",
		    &found->auth->authorization_servers);
	else {
		json_t *arr = json_array();
		char asurl[1024];

		/* provider = keycloak: the proxy stands in (provider.c) */
		json_array_append_new(arr, json_string(resource_as_url(
		    found->auth, res, asurl, sizeof(asurl)) == 0 ? asurl :
		    found->auth->iss->url));
		json_object_set_new(doc, "authorization_servers", arr);
	}
	json_object_set_new(doc, "bearer_methods_supported",
	    json_pack("[s]", "header"));
	if (found->auth->scopes_supported.n > 0)
		json_list(doc, "scopes_supported",
		    &found->auth->scopes_supported);
	if (found->auth->resource_documentation != NULL)
		json_object_set_new(doc, "resource_documentation",
		    json_string(found->auth->resource_documentation));
	rv = reply_json(x, doc, 3600);
	json_decref(doc);
	return (rv);
}

/* The scope parameter of a challenge: required, else supported. */
static void
challenge_scope(const struct auth *a, char *buf, size_t len)
{
	const struct strlist	*l = a->required_scopes.n > 0 ?
				    &a->required_scopes : &a->scopes_supported;
	size_t			 i, off = 0;
	int			 n;

	buf[0] = '\0';
	for (i = 0; i < l->n; i++) {
		n = snprintf(buf + off, len - off, "%s%s", i ? " " : "",
		    l->v[i]);
		if (n < 0 || (size_t)n >= len - off)
			break;
		off += n;
	}
}

/*
 * Answer 401 (or 403 for insufficient_scope) with the challenge that
 * tells a client where the metadata is and which scope to ask for:
 * scope, or when NULL the route's (required, else supported).  Also
 * authz.c's step-up, whose scope string is the route's required scopes
 * and the rule's (policy_scope_string).
 */
enum xresult
auth_challenge(struct exchange *x, int status, const char *error,
    const char *description, const char *scope)
{
	char		 res[1024], prm[1100], own[POLICY_SCOPE_MAX];
	int		 n;
	enum xresult	 rv;

	resource_url(x, x->rt, res, sizeof(res));
	resource_metadata_url(res, prm, sizeof(prm));
	if (scope == NULL) {
		challenge_scope(x->rt->auth, own, sizeof(own));
		scope = own;
	}
	/* bounded: prm < 1100, scope < POLICY_SCOPE_MAX, the rest ours */
	n = snprintf(x->extra, sizeof(x->extra), "WWW-Authenticate: Bearer "
	    "resource_metadata=\"%s\"", prm);
	if (scope[0] != '\0')
		n += snprintf(x->extra + n, sizeof(x->extra) - n,
		    ", scope=\"%.*s\"", POLICY_SCOPE_MAX, scope);
	if (error != NULL)
		n += snprintf(x->extra + n, sizeof(x->extra) - n,
		    ", error=\"%s\", error_description=\"%s\"", error,
		    description);
	snprintf(x->extra + n, sizeof(x->extra) - n, "\r\n");
	rv = reply_error(x, status, status == 403 ? "insufficient scope" :
	    error ? description : "authentication required");
	x->extra[0] = '\0';
	return (rv);
}

/* The challenge with the route's scope. */
static enum xresult
challenge(struct exchange *x, int status, const char *error,
    const char *description)
{
	return (auth_challenge(x, status, error, description, NULL));
}

/* The token of "Authorization: Bearer TOKEN", or NULL. */
static const char *
bearer(const char *value)
{
	const char	*t;

	if (value == NULL || strncasecmp(value, "Bearer ", 7) != 0)
		return (NULL);
	for (t = value + 7; *t == ' '; t++)
		;
	return (*t ? t : NULL);
}

/* The cache entry a token hash maps to for a policy, or NULL. */
static struct cached *
cache_slot(const unsigned char *hash, int authidx)
{
	uint32_t	 h;

	if (ncache == 0 || cache == NULL)
		return (NULL);
	memcpy(&h, hash, sizeof(h));
	return ((struct cached *)(cache + ((h ^ (uint32_t)authidx *
	    2654435761u) % ncache) * cache_stride));
}

/* Copy s as one log field: printable ASCII, no blanks, quotes or '='. */
static void
log_field(char *out, size_t len, const char *s)
{
	size_t	 i;

	for (i = 0; s[i] != '\0' && i + 1 < len; i++)
		out[i] = (s[i] > 0x20 && s[i] < 0x7f &&
		    strchr("\"=\\", s[i]) == NULL) ? s[i] : '?';
	out[i] = '\0';
}

/* Two issuers or more among the server's policies. */
static int
server_issuers(const struct server *srv)
{
	const struct issuer	*first = NULL;
	size_t			 i;

	for (i = 0; srv != NULL && i < srv->nroutes; i++) {
		if (srv->routes[i].auth == NULL)
			continue;
		if (first == NULL)
			first = srv->routes[i].auth->iss;
		else if (srv->routes[i].auth->iss != first)
			return (2);
	}
	return (1);
}

/*
 * Take a verified token's sub and scopes, whole (token.c refused any
 * that cannot be passed so), the same from the check and from the
 * cache.  With two issuers on the server the subject names its issuer.
 */
static void
authed(struct exchange *x, const char *sub, const char *scope)
{
	const struct auth	*a = x->rt->auth;

	x->authed = 1;
	if (server_issuers(x->srv) > 1)
		snprintf(x->sub, sizeof(x->sub), "%s:%s", a->iss->name, sub);
	else
		snprintf(x->sub, sizeof(x->sub), "%s", sub);
	snprintf(x->scope, sizeof(x->scope), "%s", scope);
	snprintf(x->log.sub, sizeof(x->log.sub), "%.47s", x->sub);
}

/* iat + leeway < fetched, without overflow (iat is not verified). */
static int
issued_before(int64_t iat, int leeway, int64_t fetched)
{
	int64_t	 sum;

	if (__builtin_add_overflow(iat, (int64_t)leeway, &sum))
		return (0);
	return (sum < fetched);
}

/*
 * Take a place among the workers that wait for jwksd, within
 * kid_wait_max at once and kid_wait_max_per_client for the peer.
 * Returns 0, or -1 when the budget is spent.  The flag is set before
 * counting, so two workers racing may both be refused, never both let
 * past the bound.
 */
static int
kid_wait_enter(struct exchange *x)
{
	struct slot	*s;
	int		 n, from;

	if (x->sb == NULL)
		return (0);
	s = &x->sb->slot[x->slot];
	__atomic_store_n(&s->kid_wait, 1, __ATOMIC_SEQ_CST);
	n = scoreboard_kid_waits(x->sb, &x->client, &from);
	if (n > aconf->kid_wait_max || from > aconf->kid_wait_max_per_client) {
		__atomic_store_n(&s->kid_wait, 0, __ATOMIC_RELEASE);
		return (-1);
	}
	return (0);
}

/* Give back the place kid_wait_enter took. */
static void
kid_wait_leave(struct exchange *x)
{
	if (x->sb != NULL)
		__atomic_store_n(&x->sb->slot[x->slot].kid_wait, 0,
		    __ATOMIC_RELEASE);
}

/*
 * Check a token, waiting a bounded time for jwksd on an unknown kid
 * when the wait budget allows (else *busy).
 */
static enum token_status
check_token(struct exchange *x, const char *tok, const struct token_policy *pol,
    struct token_info *info, const char **why, int *busy)
{
	const struct auth		*a = x->rt->auth;
	const struct keyfile		*kf = keys_current();
	const struct keyfile_issuer	*ki;
	enum token_status		 st;
	long long			 deadline, left;

	st = token_check(tok, strlen(tok), kf, pol, time(NULL), info, why);
	if (st != TOKEN_UNKNOWN_KID)
		return (st);
	/* the key may be in a file published since this worker looked */
	keys_refresh(1);
	if (keys_current() != kf) {
		kf = keys_current();
		st = token_check(tok, strlen(tok), kf, pol, time(NULL), info,
		    why);
		if (st != TOKEN_UNKNOWN_KID)
			return (st);
	}
	/* a token older than our last fetch cannot be signed by a new key */
	ki = kf ? keyfile_issuer(kf, a->iss->url) : NULL;
	if (ki != NULL && info->iat != 0 && issued_before(info->iat,
	    a->leeway, ki->fetched)) {
		*why = "unknown key id (token older than the last key fetch)";
		return (st);
	}
	if (aconf->kid_wait > 0 && kid_wait_enter(x) == -1) {
		*why = "unknown key id, too many requests wait for keys";
		*busy = 1;
		return (st);
	}
	if (keyfile_request_fetch(aconf->control_socket, a->iss->name,
	    info->kid) == -1)
		log_debug("cannot ask jwksd for a refetch: %s",
		    aconf->control_socket);
	if (aconf->kid_wait == 0)
		return (st);
	deadline = conn_now_ms() + aconf->kid_wait;
	while ((left = deadline - conn_now_ms()) > 0) {
		poll(NULL, 0, left < 50 ? (int)left : 50);
		keys_refresh(1);
		if (keys_current() == kf)
			continue;
		kf = keys_current();
		st = token_check(tok, strlen(tok), kf, pol, time(NULL), info,
		    why);
		if (st != TOKEN_UNKNOWN_KID)
			break;
	}
	kid_wait_leave(x);
	return (st);
}

/*
 * The authentication decision on the bearer token tok for x's route,
 * without any I/O on the client: the token cache, the key file, the
 * token check and the route's policy.  On TOKEN_OK sets x->authed,
 * x->sub and x->scope; r says what happened, for the answer and log.
 */
void
auth_decide(struct exchange *x, const char *tok, struct auth_result *r)
{
	const struct auth		*a = x->rt->auth;
	const struct keyfile		*kf;
	const struct keyfile_issuer	*ki;
	struct token_policy		 pol;
	struct token_info		 info;
	struct cached			*c;
	struct claims_sink		 sink = { &aconf->claimset, claims_req,
					    0 };
	unsigned char			 hash[DIGEST_LEN];
	const char			*why = NULL;

	memset(r, 0, sizeof(*r));
	x->authed = 0;
	x->claims = NULL;
	x->sub[0] = x->scope[0] = '\0';
	keys_refresh(0);
	kf = keys_current();
	(void)digest_sha256(tok, strlen(tok), hash);
	digest_hex(hash, 8, r->hash);
	if (kf != NULL && (c = cache_slot(hash, a->index)) != NULL &&
	    c->auth == a->index + 1 &&
	    c->generation == keyfile_generation(kf) &&
	    c->exp > time(NULL) && CRYPTO_memcmp(c->hash, hash, 32) == 0 &&
	    (ki = keyfile_issuer(kf, a->iss->url)) != NULL &&
	    ki->expires > time(NULL)) {
		authed(x, c->str, c->str + aconf->max_subject + 1);
		if (claims_req != NULL)
			memcpy(claims_req, (char *)c + claims_off,
			    claims_size(&aconf->claimset));
		x->claims = claims_req;
		metrics_token_cache(1);
		r->status = TOKEN_OK;
		r->why = "valid (cached)";
		r->verified = r->cached = 1;
		log_field(r->sub, sizeof(r->sub), c->str);
		return;
	}
	if (kf != NULL && aconf->token_cache > 0)
		metrics_token_cache(0);
	memset(&pol, 0, sizeof(pol));
	pol.issuer = a->iss->url;
	pol.audiences = (const char *const *)a->audiences.v;
	pol.naudiences = a->audiences.n;
	pol.required_scopes = (const char *const *)a->required_scopes.v;
	pol.nrequired = a->required_scopes.n;
	pol.leeway = a->leeway;
	pol.max_lifetime = a->iss->max_lifetime;
	pol.max_token = a->max_token;
	pol.digest = hash;	/* hashed once, for the cache and the log */
	pol.max_sub = aconf->max_subject;
	pol.max_scope = aconf->max_scopes;
	if (claims_req != NULL) {
		pol.payload = claims_payload;
		pol.payload_arg = &sink;
	}
	r->status = check_token(x, tok, &pol, &info, &why, &r->busy);
	r->why = why;
	r->verified = info.verified;
	log_field(r->sub, sizeof(r->sub), info.verified ? info.pass_sub :
	    info.sub);
	if (r->status != TOKEN_OK)
		return;
	authed(x, info.pass_sub, info.pass_scope);
	x->claims = sink.taken ? claims_req : NULL;
	kf = keys_current();
	if (kf != NULL && (c = cache_slot(hash, a->index)) != NULL &&
	    (claims_req == NULL || sink.taken)) {
		memcpy(c->hash, hash, 32);
		c->auth = a->index + 1;
		c->generation = keyfile_generation(kf);
		c->exp = info.exp;
		/* token.c held them to max_subject and max_scopes */
		memcpy(c->str, info.pass_sub, strlen(info.pass_sub) + 1);
		memcpy(c->str + aconf->max_subject + 1, info.pass_scope,
		    strlen(info.pass_scope) + 1);
		if (claims_req != NULL)
			memcpy((char *)c + claims_off, claims_req,
			    claims_size(&aconf->claimset));
	}
}

/* Answer 503 with Retry-After: the token may be good, keys may come. */
static enum xresult
busy(struct exchange *x)
{
	int		 secs = (aconf->kid_wait + 999) / 1000;
	enum xresult	 rv;

	snprintf(x->extra, sizeof(x->extra), "Retry-After: %d\r\n",
	    secs > 0 ? secs : 1);
	rv = reply_error(x, 503, "too many requests wait for signing keys");
	x->extra[0] = '\0';
	return (rv);
}

/*
 * Stage: apply the route's policy (if it has one) to the request.
 * XR_NEXT when the request may go on, else the result of the 400, 401,
 * 403 or 503 sent.
 */
enum xresult
auth_request(struct exchange *x)
{
	const struct auth	*a = x->rt->auth;
	struct auth_result	 r;
	const char		*tok, *hv;
	size_t			 nauth;

	if (a == NULL)
		return (XR_NEXT);
	x->authed = 0;
	x->sub[0] = x->scope[0] = '\0';
	nauth = http_header_count(x->req.hdr, x->req.nhdr, "Authorization",
	    &hv);
	/* another scheme is no token at all (RFC 6750 3.1: no error code) */
	if (nauth == 1 && strncasecmp(hv, "Bearer", 6) != 0)
		nauth = 0;
	if (nauth == 0) {
		if (a->mode != AUTH_STRICT)
			return (XR_NEXT);
		metrics_auth_fail(x, AUTHFAIL_MISSING);
		return (challenge(x, 401, NULL, NULL));
	}
	if (nauth > 1 || (tok = bearer(hv)) == NULL) {
		metrics_auth_fail(x, AUTHFAIL_NOT_BEARER);
		log_info("%s: %s %s: refused: not a single bearer token",
		    x->peertext, x->req.method, x->logpath);
		return (challenge(x, 400, "invalid_request",
		    "expected one Authorization: Bearer header"));
	}
	auth_decide(x, tok, &r);
	revoke_apply(x, tok, &r);	/* after the signature, the cache too */
	if (r.status == TOKEN_OK)
		return (XR_NEXT);
	metrics_auth_fail(x, r.busy ? AUTHFAIL_KEYS_BUSY : r.status);
	log_info("%s: %s %s: token %s: %s (%s sub %s, token %s)%s",
	    x->peertext, x->req.method, x->logpath, r.busy ? "not checked" :
	    "refused", r.why, r.verified ? "verified" : "claimed",
	    r.sub[0] ? r.sub : "-", r.hash,
	    a->mode == AUTH_PERMISSIVE ? "; passing (permissive)" : "");
	if (a->mode == AUTH_PERMISSIVE)
		return (XR_NEXT);
	if (r.busy)
		return (busy(x));
	if (r.status == TOKEN_INSUFFICIENT_SCOPE)
		return (challenge(x, 403, "insufficient_scope",
		    "the token lacks a required scope"));
	return (challenge(x, 401, "invalid_token",
	    token_status_text((enum token_status)r.status)));
}
