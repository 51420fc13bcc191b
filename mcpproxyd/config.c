/*
 * The configuration file: an INI file read with inih.  Every error names
 * file:line.  mcpproxyd owns [mcpproxyd] and [server NAME]; the sections
 * of jwksd ([jwksd], [issuer NAME]) share the file and are skipped here.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <netdb.h>

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ini.h>

#include "log.h"
#include "mcpproxyd.h"
#include "metrics.h"
#include "tls.h"
#include "ratelimit.h"
#include "issuerkeys.h"
#include "parse.h"
#include "url.h"

#define CONF_MAX_LINE	199	/* inih's INI_MAX_LINE less its NUL */

struct parse {
	struct config	*conf;
	FILE		*fp;
	const char	*file;
	int		 line;		/* line being parsed */
	char		 err[512];	/* first error */
	int		 errline;
	char		 section[128];
	struct server	*srv;		/* current [server], else NULL */
	struct issuer	*iss;		/* current [issuer], else NULL */
	struct auth	*auth;		/* current [auth], else NULL */
	struct policy	*pol;		/* current [policy], else NULL */
	struct rlzone	*rl;		/* current [ratelimit], else NULL */
	int		 jwksd;		/* in [jwksd] */
	char		 seen[128][192]; /* "section/key" of single keys */
	size_t		 nseen;
};

static void	 perr(struct parse *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
static int	 set_str(struct parse *, char **, const char *, const char *);

static void
perr(struct parse *p, const char *fmt, ...)
{
	va_list	 ap;

	if (p->err[0] != '\0')
		return;
	va_start(ap, fmt);
	vsnprintf(p->err, sizeof(p->err), fmt, ap);
	va_end(ap);
	p->errline = p->line;
}

static int
parse_bool(const char *s, int *out)
{
	if (!strcmp(s, "yes") || !strcmp(s, "on") || !strcmp(s, "true") ||
	    !strcmp(s, "1"))
		*out = 1;
	else if (!strcmp(s, "no") || !strcmp(s, "off") ||
	    !strcmp(s, "false") || !strcmp(s, "0"))
		*out = 0;
	else
		return (-1);
	return (0);
}

/* Split a list separated by commas and/or blanks; "*" alone is any. */
static int
parse_list(struct parse *p, const char *key, const char *val,
    struct strlist *l)
{
	char	*copy, *tok, *save = NULL;

	if ((copy = strdup(val)) == NULL)
		fatal("strdup");
	for (tok = strtok_r(copy, ", \t", &save); tok != NULL;
	    tok = strtok_r(NULL, ", \t", &save)) {
		if (!strcmp(tok, "*")) {
			l->any = 1;
			continue;
		}
		if (l->n == MAX_LIST) {
			perr(p, "%s: more than %d values", key, MAX_LIST);
			break;
		}
		if ((l->v[l->n++] = strdup(tok)) == NULL)
			fatal("strdup");
	}
	free(copy);
	if (l->any && l->n > 0)
		perr(p, "%s: \"*\" cannot be combined with other values", key);
	else if (!l->any && l->n == 0)
		perr(p, "%s: empty list", key);
	return (p->err[0] ? -1 : 0);
}

/*
 * Parse "host:port", "[v6]:port" or ":port" / "*:port" (all IPv4
 * addresses) into a socket address.  Names are not resolved: a
 * listening address must be a literal.  Returns 0 or -1 with *why.
 */
int
parse_hostport(const char *text, struct sockaddr_storage *ss,
    socklen_t *len, const char **why)
{
	char			 host[INET6_ADDRSTRLEN + 2];
	const char		*colon, *h, *port;
	size_t			 hl;
	long long		 pn;
	struct sockaddr_in	*sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if ((colon = strrchr(text, ':')) == NULL) {
		*why = "expected host:port";
		return (-1);
	}
	port = colon + 1;
	if (parse_int(port, 1, 65535, &pn) == -1) {
		*why = "bad port";
		return (-1);
	}
	h = text;
	hl = colon - text;
	if (hl >= 2 && h[0] == '[' && h[hl - 1] == ']') {
		h++;
		hl -= 2;
		if (hl >= sizeof(host))
			goto bad;
		memcpy(host, h, hl);
		host[hl] = '\0';
		if (inet_pton(AF_INET6, host, &sin6->sin6_addr) != 1)
			goto bad;
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)pn);
		*len = sizeof(*sin6);
		return (0);
	}
	if (hl >= sizeof(host))
		goto bad;
	memcpy(host, h, hl);
	host[hl] = '\0';
	sin->sin_family = AF_INET;
	sin->sin_port = htons((uint16_t)pn);
	*len = sizeof(*sin);
	if (hl == 0 || !strcmp(host, "*")) {
		sin->sin_addr.s_addr = htonl(INADDR_ANY);
		return (0);
	}
	if (inet_pton(AF_INET, host, &sin->sin_addr) == 1)
		return (0);
bad:
	*why = "host must be an IPv4 address, [IPv6 address], * or empty";
	return (-1);
}

/*
 * Is a route prefix other than a canonical path of unreserved
 * characters?  An escape or a reserved character in a prefix could be
 * dodged by another spelling of it; a dot segment or "//" never matches
 * a canonical target.
 */
static int
route_prefix_bad(const char *prefix)
{
	char		 buf[256];
	const char	*s, *why;

	for (s = prefix; *s != '\0'; s++)
		if (*s != '/' && !path_unreserved((unsigned char)*s))
			return (1);
	snprintf(buf, sizeof(buf), "%s", prefix);
	return (path_normalize(buf, 0, &why) == -1 || strcmp(buf, prefix));
}

#define ROUTE_USAGE	"route: expected \"PREFIX URL [auth=NAME] " \
			    "[policy=NAME] [ratelimit=NAME] [semicolons=allow]\""

/* The options after a route's URL, pointing into parse_route's copy. */
struct route_opts {
	const char	*auth;		/* auth=NAME, else NULL */
	const char	*policy;	/* policy=NAME, else NULL */
	const char	*ratelimit;	/* ratelimit=A,B, else NULL */
	int		 semicolons;	/* 1 allow, -1 refuse, 0 not said */
};

/*
 * Take one route option into ro.  An option said twice or not known is
 * the usage error.  Returns 0, or -1 with the error set.
 */
static int
route_option(struct parse *p, const char *opt, struct route_opts *ro)
{
	if (!ro->semicolons && !strcmp(opt, "semicolons=allow"))
		ro->semicolons = 1;
	else if (!ro->semicolons && !strcmp(opt, "semicolons=refuse"))
		ro->semicolons = -1;
	else if (!strncmp(opt, "policy=", 7) && ro->policy == NULL) {
		if (*(ro->policy = opt + 7) == '\0') {
			perr(p, "route: policy= needs the name of a "
			    "[policy NAME] section");
			return (-1);
		}
	} else if (!strncmp(opt, "ratelimit=", 10) && ro->ratelimit == NULL) {
		if (*(ro->ratelimit = opt + 10) == '\0') {
			perr(p, "route: ratelimit= needs the names of "
			    "[ratelimit NAME] sections");
			return (-1);
		}
	} else if (strncmp(opt, "auth=", 5) != 0 || ro->auth != NULL) {
		perr(p, ROUTE_USAGE);
		return (-1);
	} else if (*(ro->auth = opt + 5) == '\0') {
		perr(p, "route: auth= needs the name of an [auth NAME] "
		    "section");
		return (-1);
	}
	return (0);
}

/*
 * Check a route's options together: policy= reads the verified token,
 * semicolons=allow is for an open route only.  Returns 0, or -1 with
 * the error set.
 */
static int
route_options_check(struct parse *p, const struct route_opts *ro)
{
	if (ro->policy != NULL && ro->auth == NULL) {
		perr(p, "route: policy= needs auth= (its rules read the "
		    "verified token)");
		return (-1);
	}
	if (ro->semicolons == 1 && ro->auth != NULL) {
		perr(p, "route: semicolons=allow only on a route without "
		    "auth=");
		return (-1);
	}
	return (0);
}

/* Check a route's prefix.  Returns 0, or -1 with the error set. */
static int
route_prefix_check(struct parse *p, const char *prefix)
{
	if (prefix[0] != '/') {
		perr(p, "route: prefix \"%s\" must start with /", prefix);
		return (-1);
	}
	if (route_prefix_bad(prefix)) {
		perr(p, "route: prefix \"%s\" may hold only letters, digits, "
		    "- . _ ~ and / (no \".\" or \"..\" segment, no \"//\")",
		    prefix);
		return (-1);
	}
	return (0);
}

/*
 * Check a route's upstream URL, http://host[:port][/path] or https://,
 * and split it into u.  Returns 0, or -1 with the error set.
 */
static int
route_upstream_split(struct parse *p, const char *url, struct url *u)
{
	const char	*why;

	if (strncmp(url, "http://", 7) != 0 &&
	    strncmp(url, "https://", 8) != 0) {
		perr(p, "route: upstream \"%s\" must be an http:// or "
		    "https:// URL", url);
		return (-1);
	}
	if (strpbrk(url, "?#@") != NULL) {
		perr(p, "route: upstream URL may not hold ?, # or userinfo");
		return (-1);
	}
	if (url_split(url, u, &why) == -1) {
		perr(p, "route: %s in \"%s\"", why, url);
		return (-1);
	}
	return (0);
}

/* Keep a checked route in rt: copies of its parts and names. */
static void
route_keep(struct route *rt, const char *prefix, const char *url,
    const struct url *u, const struct route_opts *ro)
{
	rt->https = u->https;
	rt->port = strdup(u->port);
	rt->host = strdup(u->host);
	rt->authority = strndup(u->authority, u->authority_len);
	rt->path = strdup(*u->path != '\0' ? u->path : "/");
	rt->prefix = strdup(prefix);
	rt->url = strdup(url);
	if (!rt->port || !rt->host || !rt->authority || !rt->path ||
	    !rt->prefix || !rt->url)
		fatal("strdup");
	if (ro->auth != NULL && (rt->auth_name = strdup(ro->auth)) == NULL)
		fatal("strdup");
	if (ro->policy != NULL &&
	    (rt->policy_name = strdup(ro->policy)) == NULL)
		fatal("strdup");
	if (ro->ratelimit != NULL &&
	    (rt->ratelimit_names = strdup(ro->ratelimit)) == NULL)
		fatal("strdup");
	rt->semicolons = ro->semicolons == 1;
	rt->prefixlen = strlen(prefix);
	/* "/mcp/" and "/mcp" route the same way */
	while (rt->prefixlen > 1 && rt->prefix[rt->prefixlen - 1] == '/')
		rt->prefix[--rt->prefixlen] = '\0';
}

/*
 * Parse "PREFIX URL [auth=NAME] [policy=NAME] [ratelimit=NAME]
 * [semicolons=allow]": URL is http://host[:port][/path].  The prefix is
 * replaced by the URL's path when forwarding.  Nothing is kept in rt
 * unless the whole line is good.
 */
static int
parse_route(struct parse *p, const char *val, struct route *rt)
{
	char			 prefix[256], url[512], opt[4][128], extra[2];
	struct route_opts	 ro = { NULL, NULL, NULL, 0 };
	struct url		 u;
	int			 n, i;

	n = sscanf(val, "%255s %511s %127s %127s %127s %127s", prefix, url,
	    opt[0], opt[1], opt[2], opt[3]);
	if (n < 2 || sscanf(val, "%*s %*s %*s %*s %*s %*s %1s", extra) == 1) {
		perr(p, ROUTE_USAGE);
		return (-1);
	}
	for (i = 0; i < n - 2; i++)
		if (route_option(p, opt[i], &ro) == -1)
			return (-1);
	if (route_options_check(p, &ro) == -1 ||
	    route_prefix_check(p, prefix) == -1 ||
	    route_upstream_split(p, url, &u) == -1)
		return (-1);
	route_keep(rt, prefix, url, &u, &ro);
	return (0);
}

struct intkey {
	const char	*name;
	size_t		 off;
	long long	 min, max;
	int		 size;		/* accepts k/m suffixes */
};

#define OFF(f)	offsetof(struct config, f)
static const struct intkey intkeys[] = {
	{ "start_workers",		OFF(start_workers), 1, MAX_WORKERS_CAP, 0 },
	{ "min_spare",			OFF(min_spare), 1, MAX_WORKERS_CAP, 0 },
	{ "max_spare",			OFF(max_spare), 1, MAX_WORKERS_CAP, 0 },
	{ "max_workers",		OFF(max_workers), 1, MAX_WORKERS_CAP, 0 },
	{ "stream_share",		OFF(stream_share), 1, 100, 0 },
	{ "max_streams_per_client",	OFF(max_streams_per_client), 1,
					    MAX_WORKERS_CAP, 0 },
	{ "max_conns_per_client",	OFF(max_conns_per_client), 0,
					    MAX_WORKERS_CAP, 0 },
	{ "defer_accept",		OFF(defer_accept), 0, 3600, 0 },
	{ "header_timeout",		OFF(header_timeout), 1, 3600, 0 },
	{ "body_timeout",		OFF(body_timeout), 1, 3600, 0 },
	{ "keepalive_timeout",		OFF(keepalive_timeout), 1, 3600, 0 },
	{ "upstream_timeout",		OFF(upstream_timeout), 1, 3600, 0 },
	{ "stream_idle_timeout",	OFF(stream_idle_timeout), 1, 86400, 0 },
	{ "send_timeout",		OFF(send_timeout), 1, 3600, 0 },
	{ "backlog",			OFF(backlog), 1, 65535, 0 },
	{ "token_cache",		OFF(token_cache), 0, 65536, 0 },
	{ "reload_grace",		OFF(reload_grace), 1, 86400, 0 },
	{ "kid_wait_ms",		OFF(kid_wait), 0, 10000, 0 },
	{ "kid_wait_max",		OFF(kid_wait_max), 1, MAX_WORKERS_CAP, 0 },
	{ "kid_wait_max_per_client",	OFF(kid_wait_max_per_client), 1,
					    MAX_WORKERS_CAP, 0 },
	{ "max_subject",		OFF(max_subject), 1, MAX_SUBJECT_CAP, 0 },
	{ "max_scopes",			OFF(max_scopes), 1, MAX_SCOPES_CAP, 0 },
	{ "request_id_max",		OFF(request_id_max), 0, REQUEST_ID_CAP,
					    0 },
	{ "max_claim_values",		OFF(max_claim_values), 1,
					    CLAIMS_VALUES_CAP, 0 },
	{ "max_claim_bytes",		OFF(max_claim_bytes), 64,
					    CLAIMS_BYTES_CAP, 0 },
	{ "max_rpc_depth",		OFF(max_rpc_depth), 2,
					    JSONRPC_DEPTH_MAX, 0 },
	{ "max_rpc_name",		OFF(max_rpc_name), 16, RPC_NAME_CAP,
					    0 },
	{ "max_rpc_id",			OFF(max_rpc_id), 8, RPC_ID_CAP, 0 },
	/* RFC 8446 4.6.1: a ticket lives 7 days at most */
	{ "tls_ticket_lifetime",	OFF(tls_ticket_lifetime), 5, 604800, 0 },
	{ "tls_ticket_rotate",		OFF(tls_ticket_rotate), 5, 604800, 0 },
	{ "tls_log_failures",		OFF(tls_log_failures), 0, 1000, 0 },
	{ "ratelimit_table_size",	OFF(ratelimit_table_size),
					    RATELIMIT_TABLE_MIN,
					    RATELIMIT_TABLE_MAX, 0 },
	/* metrics.h: the shared memory is sized at start */
	{ "metrics_max_tools",		OFF(metrics_max_tools), 0,
					    METRICS_TOOLS_CAP, 0 },
	{ "metrics_max_series",		OFF(metrics_max_series),
					    METRICS_SERIES_MIN,
					    METRICS_SERIES_CAP, 0 },
	/* the waiting room (waitroom.c) */
	{ "waitroom_after",		OFF(waitroom_after), 10, 60000, 0 },
	{ "waitroom_max_conns",		OFF(waitroom_max_conns), 16,
					    WAITROOM_CONNS_CAP, 0 },
	{ "waitroom_memory",		OFF(waitroom_memory), 65536,
					    1024 * 1024 * 1024, 1 },
	{ "waitroom_open_files",	OFF(waitroom_open_files), 64,
					    WAITROOM_CONNS_CAP + 1024, 0 },
	{ "waitroom_min_rate",		OFF(waitroom_min_rate), 0, 1000000, 0 },
};

/*
 * metrics_listen and metrics_allow (stats.c serves them).  Returns 1
 * when name was one of them, 0 when not, -1 on a bad value.
 */
static int
metrics_key(struct parse *p, const char *name, const char *val)
{
	struct config	*conf = p->conf;
	const char	*why;
	char		*list, *tok, *save;

	if (!strcmp(name, "metrics_listen")) {
		free(conf->metrics_listen);
		conf->metrics_listen = NULL;
		if (!strcmp(val, "off"))
			return (1);
		if (parse_hostport(val, &conf->metrics_ss,
		    &conf->metrics_sslen, &why) == -1) {
			perr(p, "metrics_listen: \"%s\": %s", val, why);
			return (-1);
		}
		if ((conf->metrics_listen = strdup(val)) == NULL)
			fatal("strdup");
		return (1);
	}
	if (strcmp(name, "metrics_allow") != 0)
		return (0);
	conf->nmetrics_allow = 0;
	if ((list = strdup(val)) == NULL)
		fatal("strdup");
	for (tok = strtok_r(list, ", \t", &save); tok != NULL;
	    tok = strtok_r(NULL, ", \t", &save)) {
		if (conf->nmetrics_allow == MAX_LIST ||
		    cidr_parse(tok, &conf->metrics_allow[conf->nmetrics_allow],
		    &why) == -1) {
			perr(p, "metrics_allow: \"%s\": %s", tok,
			    conf->nmetrics_allow == MAX_LIST ? "too many" : why);
			free(list);
			return (-1);
		}
		conf->nmetrics_allow++;
	}
	free(list);
	if (conf->nmetrics_allow == 0) {
		perr(p, "metrics_allow: empty list");
		return (-1);
	}
	return (1);
}

/* Keys of [mcpproxyd] whose values are sizes in struct http_limits. */
static int
global_limit(struct parse *p, const char *name, const char *val)
{
	struct http_limits	*lim = &p->conf->lim;
	long long		 v;

	if (!strcmp(name, "max_request_line")) {
		if (parse_size(val, 64, 65536, &v) == -1)
			goto bad;
		lim->max_request_line = v;
	} else if (!strcmp(name, "max_header_size")) {
		if (parse_size(val, 256, 1024 * 1024, &v) == -1)
			goto bad;
		lim->max_head = v;
	} else if (!strcmp(name, "max_headers")) {
		if (parse_int(val, 1, HTTP_MAX_HEADERS_CAP, &v) == -1)
			goto bad;
		lim->max_headers = v;
	} else if (!strcmp(name, "max_body_size")) {
		if (parse_size(val, 1, 1024LL * 1024 * 1024, &v) == -1)
			goto bad;
		lim->max_body = v;
	} else if (!strcmp(name, "max_list_size")) {
		if (parse_size(val, 1024, 256LL * 1024 * 1024, &v) == -1)
			goto bad;
		p->conf->max_list_size = v;
	} else
		return (0);
	return (1);
bad:
	perr(p, "%s: bad value \"%s\"", name, val);
	return (-1);
}

static int
global_key(struct parse *p, const char *name, const char *val)
{
	struct config	*conf = p->conf;
	size_t		 i;
	long long	 v;
	char		**str = NULL;

	if (!strcmp(name, "user"))
		str = &conf->user;
	else if (!strcmp(name, "pid_file"))
		str = &conf->pid_file;
	else if (!strcmp(name, "access_log"))
		str = &conf->access_log;
	if (str != NULL) {
		free(*str);
		if ((*str = strdup(val)) == NULL)
			fatal("strdup");
		return (1);
	}
	if (!strcmp(name, "access_log_format")) {
		if (strcmp(val, "text") && strcmp(val, "json")) {
			perr(p, "access_log_format: \"%s\" is not text or "
			    "json", val);
			return (0);
		}
		conf->access_log_json = val[0] == 'j';
		return (1);
	}
	switch (metrics_key(p, name, val)) {
	case 1:
		return (1);
	case -1:
		return (0);
	}
	if (!strcmp(name, "waitroom")) {
		if (strcmp(val, "on") && strcmp(val, "off")) {
			perr(p, "waitroom: \"%s\" is not on or off", val);
			return (0);
		}
		conf->waitroom = val[1] == 'n';
		return (1);
	}
	if (!strcmp(name, "worker_sched")) {
		if (!strcmp(val, "batch"))
			conf->worker_batch = 1;
		else if (!strcmp(val, "other"))
			conf->worker_batch = 0;
		else {
			perr(p, "worker_sched: \"%s\" is not batch or other",
			    val);
			return (0);
		}
		return (1);
	}
	for (i = 0; i < sizeof(intkeys) / sizeof(intkeys[0]); i++) {
		if (strcmp(name, intkeys[i].name) != 0)
			continue;
		if ((intkeys[i].size ? parse_size(val, intkeys[i].min,
		    intkeys[i].max, &v) : parse_int(val, intkeys[i].min,
		    intkeys[i].max, &v)) == -1) {
			perr(p, "%s: \"%s\" is not a number from %lld to %lld",
			    name, val, intkeys[i].min, intkeys[i].max);
			return (0);
		}
		*(int *)((char *)conf + intkeys[i].off) = (int)v;
		return (1);
	}
	switch (global_limit(p, name, val)) {
	case 1:
		return (1);
	case -1:
		return (0);
	}
	perr(p, "unknown key \"%s\" in [mcpproxyd]", name);
	return (0);
}

/* trusted_proxies: addresses and CIDR networks, comma-separated. */
static int
parse_trusted(struct parse *p, const char *val, struct server *srv)
{
	char		*copy, *tok, *save = NULL;
	const char	*why;

	if ((copy = strdup(val)) == NULL)
		fatal("strdup");
	for (tok = strtok_r(copy, ", \t", &save); tok != NULL;
	    tok = strtok_r(NULL, ", \t", &save)) {
		if (srv->ntrusted == MAX_LIST) {
			perr(p, "trusted_proxies: more than %d values",
			    MAX_LIST);
			break;
		}
		if (cidr_parse(tok, &srv->trusted[srv->ntrusted], &why) == -1) {
			perr(p, "trusted_proxies: \"%s\": %s", tok, why);
			break;
		}
		srv->ntrusted++;
	}
	free(copy);
	if (p->err[0] == '\0' && srv->ntrusted == 0)
		perr(p, "trusted_proxies: empty list");
	return (p->err[0] ? -1 : 0);
}

/*
 * A second listen on an address already listened on: the servers share
 * it (chosen by SNI and Host, listener_server()); one server may not
 * name an address twice.
 */
static int
listen_share(struct parse *p, struct listener *l, const char *val)
{
	size_t	 i;

	for (i = 0; i < l->nsrvs; i++)
		if (l->srvs[i] == p->srv) {
			perr(p, "listen: \"%s\" given twice", val);
			return (0);
		}
	l->srvs[l->nsrvs++] = p->srv;	/* nsrvs < MAX_SERVERS: one each */
	return (1);
}

/* tls_protocols: TLSv1.2 and/or TLSv1.3; nothing older exists here. */
static int
parse_protocols(struct parse *p, const char *val, int *out)
{
	char	*copy, *tok, *save = NULL;

	*out = 0;
	if ((copy = strdup(val)) == NULL)
		fatal("strdup");
	for (tok = strtok_r(copy, ", \t", &save); tok != NULL;
	    tok = strtok_r(NULL, ", \t", &save)) {
		if (!strcmp(tok, "TLSv1.2"))
			*out |= TLS_PROTO_12;
		else if (!strcmp(tok, "TLSv1.3"))
			*out |= TLS_PROTO_13;
		else if (!strcmp(tok, "SSLv2") || !strcmp(tok, "SSLv3") ||
		    !strcmp(tok, "TLSv1") || !strcmp(tok, "TLSv1.0") ||
		    !strcmp(tok, "TLSv1.1")) {
			perr(p, "tls_protocols: %s is not accepted (only "
			    "TLSv1.2 and TLSv1.3)", tok);
			break;
		} else {
			perr(p, "tls_protocols: unknown protocol \"%s\" "
			    "(TLSv1.2, TLSv1.3)", tok);
			break;
		}
	}
	free(copy);
	if (p->err[0] == '\0' && *out == 0)
		perr(p, "tls_protocols: empty list");
	return (p->err[0] ? 0 : 1);
}

/*
 * The tls_ and upstream_tls_ keys of a [server].  Cipher, suite and
 * group names are checked by OpenSSL when tls.c builds the context.
 */
static int
server_tls_key(struct parse *p, const char *name, const char *val)
{
	struct server	*srv = p->srv;

	if (!strcmp(name, "tls_certificate"))
		return (set_str(p, &srv->tls.certificate, name, val));
	if (!strcmp(name, "tls_key"))
		return (set_str(p, &srv->tls.key, name, val));
	if (!strcmp(name, "tls_ciphers"))
		return (set_str(p, &srv->tls.ciphers, name, val));
	if (!strcmp(name, "tls_ciphersuites"))
		return (set_str(p, &srv->tls.ciphersuites, name, val));
	if (!strcmp(name, "tls_groups"))
		return (set_str(p, &srv->tls.groups, name, val));
	if (!strcmp(name, "tls_protocols"))
		return (parse_protocols(p, val, &srv->tls.protocols));
	if (!strcmp(name, "upstream_tls_ca_file"))
		return (set_str(p, &srv->up_tls.ca_file, name, val));
	if (!strcmp(name, "upstream_tls_certificate"))
		return (set_str(p, &srv->up_tls.certificate, name, val));
	if (!strcmp(name, "upstream_tls_key"))
		return (set_str(p, &srv->up_tls.key, name, val));
	if (strstr(name, "verify") != NULL)	/* tls_verify and the like */
		perr(p, "%s: certificate verification cannot be turned off",
		    name);
	else if (!strcmp(name, "tls_ticket_lifetime") ||
	    !strcmp(name, "tls_ticket_rotate"))
		perr(p, "%s: set in [mcpproxyd] (one ring of ticket keys for "
		    "all servers)", name);
	else
		perr(p, "unknown key \"%s\" in [server %s]", name, srv->name);
	return (0);
}

/*
 * listen in a [server]: a new listener, or the one of an earlier [server]
 * on the same address, shared.  Returns 1, or 0 on an error.
 */
static int
server_listen(struct parse *p, const char *val)
{
	struct config	*conf = p->conf;
	struct listener	*l;
	const char	*why;
	size_t		 i;

	if (conf->nlisteners == MAX_LISTENERS) {
		perr(p, "listen: more than %d listeners", MAX_LISTENERS);
		return (0);
	}
	l = &conf->listeners[conf->nlisteners];
	if (parse_hostport(val, &l->ss, &l->sslen, &why) == -1) {
		perr(p, "listen: \"%s\": %s", val, why);
		return (0);
	}
	for (i = 0; i < conf->nlisteners; i++)
		if (conf->listeners[i].sslen == l->sslen &&
		    !memcmp(&conf->listeners[i].ss, &l->ss, l->sslen))
			return (listen_share(p, &conf->listeners[i], val));
	if ((l->text = strdup(val)) == NULL)
		fatal("strdup");
	l->srv = p->srv;
	l->srvs[0] = p->srv;
	l->nsrvs = 1;
	l->fd = -1;
	conf->nlisteners++;
	return (1);
}

/* route in a [server]: one more route.  Returns 1, or 0 on an error. */
static int
server_route(struct parse *p, const char *val)
{
	struct server	*srv = p->srv;

	if (srv->nroutes == MAX_ROUTES) {
		perr(p, "route: more than %d routes", MAX_ROUTES);
		return (0);
	}
	if (parse_route(p, val, &srv->routes[srv->nroutes]) == -1)
		return (0);
	srv->routes[srv->nroutes].index = srv->nroutes;
	srv->semicolons |= srv->routes[srv->nroutes].semicolons;
	srv->nroutes++;
	return (1);
}

/* The cors_ keys of a [server].  Returns 1, or 0 on an error. */
static int
server_cors_key(struct parse *p, const char *name, const char *val)
{
	struct cors	*cors = &p->srv->cors;
	long long	 v;

	if (!strcmp(name, "cors_allow_origins"))
		return (parse_list(p, name, val, &cors->origins) == 0);
	if (!strcmp(name, "cors_allow_headers"))
		return (parse_list(p, name, val, &cors->headers) == 0);
	if (!strcmp(name, "cors_allow_methods")) {
		free(cors->methods);
		cors->methods = strdup(val);
	} else if (!strcmp(name, "cors_expose_headers")) {
		free(cors->expose);
		cors->expose = strdup(val);
	} else if (!strcmp(name, "cors_max_age")) {
		if (parse_int(val, 0, 86400, &v) == -1) {
			perr(p, "cors_max_age: \"%s\" is not a number from "
			    "0 to 86400", val);
			return (0);
		}
		cors->max_age = (int)v;
	} else if (!strcmp(name, "cors_allow_credentials")) {
		if (parse_bool(val, &cors->credentials) == -1) {
			perr(p, "cors_allow_credentials: \"%s\" is not "
			    "yes or no", val);
			return (0);
		}
	} else {
		perr(p, "unknown key \"%s\" in [server %s]", name,
		    p->srv->name);
		return (0);
	}
	return (1);
}

/*
 * health_path in a [server]: a path of the unreserved characters and
 * '/', no query.  Returns 1, or 0 on an error.
 */
static int
server_health_path(struct parse *p, const char *val)
{
	struct server	*srv = p->srv;

	if (val[0] != '/' || strlen(val) > 256 ||
	    strspn(val, "/-._~abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") != strlen(val)) {
		perr(p, "health_path: \"%s\" is not a path of at most "
		    "256 letters, digits, '/' and -._~", val);
		return (0);
	}
	free(srv->health_path);
	if ((srv->health_path = strdup(val)) == NULL)
		fatal("strdup");
	return (1);
}

/* A key of a [server].  Returns 1, or 0 on an error. */
static int
server_key(struct parse *p, const char *name, const char *val)
{
	struct server	*srv = p->srv;
	long long	 v;

	if (!strcmp(name, "listen"))
		return (server_listen(p, val));
	if (!strcmp(name, "route"))
		return (server_route(p, val));
	if (!strcmp(name, "health_path"))
		return (server_health_path(p, val));
	if (!strncmp(name, "cors_", 5))
		return (server_cors_key(p, name, val));
	if (!strncmp(name, "tls_", 4) || !strncmp(name, "upstream_tls_", 13))
		return (server_tls_key(p, name, val));
	if (!strcmp(name, "allowed_hosts")) {
		return (parse_list(p, name, val, &srv->allowed_hosts) == 0);
	} else if (!strcmp(name, "trusted_proxies")) {
		return (parse_trusted(p, val, srv) == 0);
	} else if (!strcmp(name, "underscores_in_headers")) {
		if (parse_bool(val, &srv->underscores) == -1) {
			perr(p, "underscores_in_headers: \"%s\" is not yes "
			    "or no", val);
			return (0);
		}
	} else if (!strcmp(name, "allowed_origins")) {
		srv->origins_set = 1;
		return (parse_list(p, name, val, &srv->allowed_origins) == 0);
	} else if (!strcmp(name, "default_server")) {
		if (parse_bool(val, &srv->default_server) == -1) {
			perr(p, "default_server: \"%s\" is not yes or no",
			    val);
			return (0);
		}
	} else if (!strcmp(name, "hsts")) {
		if (parse_int(val, 0, 63072000, &v) == -1) {
			perr(p, "hsts: \"%s\" is not a number of seconds "
			    "from 0 to 63072000", val);
			return (0);
		}
		srv->hsts = (int)v;
	} else if (!strcmp(name, "https_redirect")) {
		if (parse_int(val, 0, 65535, &v) == -1) {
			perr(p, "https_redirect: \"%s\" is not a port "
			    "from 1 to 65535 (0: off)", val);
			return (0);
		}
		srv->https_redirect = (int)v;
	} else {
		perr(p, "unknown key \"%s\" in [server %s]", name, srv->name);
		return (0);
	}
	return (1);
}

/* Set *dst to a copy of val. */
static int
set_str(struct parse *p, char **dst, const char *name, const char *val)
{
	if (*val == '\0') {
		perr(p, "%s: empty value", name);
		return (0);
	}
	free(*dst);
	if ((*dst = strdup(val)) == NULL)
		fatal("strdup");
	return (1);
}

/* A URL mcpproxyd hands out or compares: http(s)://host[...]. */
static int
set_url(struct parse *p, char **dst, const char *name, const char *val)
{
	if ((strncmp(val, "http://", 7) && strncmp(val, "https://", 8)) ||
	    strpbrk(val, " \t\"#") != NULL) {
		perr(p, "%s: \"%s\" is not an http or https URL", name, val);
		return (0);
	}
	return (set_str(p, dst, name, val));
}

/* [issuer NAME]: mcpproxyd reads issuer, audiences and provider. */
static int
issuer_key(struct parse *p, const char *name, const char *val)
{
	struct issuer	*iss = p->iss;

	if (!strcmp(name, "issuer"))
		return (set_url(p, &iss->url, name, val));
	if (!strcmp(name, "audiences") || !strcmp(name, "audience"))
		return (parse_list(p, name, val, &iss->audiences) == 0);
	if (!strcmp(name, "provider")) {
		if (strcmp(val, "generic") && strcmp(val, "keycloak")) {
			perr(p, "provider: \"%s\" is not generic or keycloak",
			    val);
			return (0);
		}
		return (set_str(p, &iss->provider, name, val));
	}
	if (!strcmp(name, "revoked_file"))
		return (set_str(p, &iss->revoked_file, name, val));
	if (!strcmp(name, "max_token_lifetime")) {
		/* mcpproxyd-token's bounds (1s to 366d) */
		if (parse_duration(val, 1, 366LL * 86400,
		    &iss->max_lifetime) == -1) {
			perr(p, "max_token_lifetime: \"%s\" is not a duration "
			    "from 1s to 366d", val);
			return (0);
		}
		return (1);
	}
	/* jwksd's: accepted, ignored */
	if (issuer_key_users(name) != 0)
		return (1);
	perr(p, "unknown key \"%s\" in [issuer %s]", name, iss->name);
	return (0);
}

/* [jwksd]: mcpproxyd needs only where the keys are and how to ask. */
static int
jwksd_key(struct parse *p, const char *name, const char *val)
{
	if (!strcmp(name, "key_file"))
		return (set_str(p, &p->conf->key_file, name, val));
	if (!strcmp(name, "control_socket"))
		return (set_str(p, &p->conf->control_socket, name, val));
	return (1);	/* jwksd checks its own keys */
}

/* mode in an [auth]: strict, optional or permissive.  Returns 1, or 0. */
static int
auth_mode(struct parse *p, const char *val)
{
	if (!strcmp(val, "strict"))
		p->auth->mode = AUTH_STRICT;
	else if (!strcmp(val, "optional"))
		p->auth->mode = AUTH_OPTIONAL;
	else if (!strcmp(val, "permissive"))
		p->auth->mode = AUTH_PERMISSIVE;
	else {
		perr(p, "mode: \"%s\" is not strict, optional or "
		    "permissive", val);
		return (0);
	}
	return (1);
}

/*
 * subject_header or scopes_header in an [auth]: letters, digits and '-'.
 * Returns 1, or 0 on an error.
 */
static int
auth_header_name(struct parse *p, const char *name, const char *val)
{
	struct auth	*a = p->auth;
	const char	*c;

	for (c = val; *c; c++)
		if (!isalnum((unsigned char)*c) && *c != '-') {
			perr(p, "%s: \"%s\" is not a header name", name, val);
			return (0);
		}
	return (set_str(p, name[1] == 'u' ? &a->subject_header :
	    &a->scopes_header, name, val));
}

/* leeway and max_token_size in an [auth].  Returns 1, or 0 on an error. */
static int
auth_number_key(struct parse *p, const char *name, const char *val)
{
	struct auth	*a = p->auth;
	long long	 v;

	if (!strcmp(name, "leeway")) {
		if (parse_int(val, 0, 600, &v) == -1) {
			perr(p, "leeway: \"%s\" is not a number from 0 to "
			    "600", val);
			return (0);
		}
		a->leeway = (int)v;
		return (1);
	}
	if (parse_size(val, 256, 65536, &v) == -1) {
		perr(p, "max_token_size: bad value \"%s\"", val);
		return (0);
	}
	a->max_token = (int)v;
	return (1);
}

/* [auth NAME]: one protection policy, used by routes with auth=NAME. */
static int
auth_key(struct parse *p, const char *name, const char *val)
{
	struct auth	*a = p->auth;

	if (!strcmp(name, "issuer"))
		return (set_str(p, &a->issuer_name, name, val));
	if (!strcmp(name, "audiences") || !strcmp(name, "audience"))
		return (parse_list(p, name, val, &a->audiences) == 0);
	if (!strcmp(name, "mode"))
		return (auth_mode(p, val));
	if (!strcmp(name, "resource"))
		return (set_url(p, &a->resource, name, val));
	if (!strcmp(name, "resource_documentation"))
		return (set_url(p, &a->resource_documentation, name, val));
	if (!strcmp(name, "authorization_servers"))
		return (parse_list(p, name, val,
		    &a->authorization_servers) == 0);
	if (!strcmp(name, "scopes_supported"))
		return (parse_list(p, name, val, &a->scopes_supported) == 0);
	if (!strcmp(name, "required_scopes"))
		return (parse_list(p, name, val, &a->required_scopes) == 0);
	if (!strcmp(name, "bearer_methods_supported")) {
		if (strcmp(val, "header") != 0) {
			perr(p, "bearer_methods_supported: only \"header\" is "
			    "supported (tokens in queries or bodies leak)");
			return (0);
		}
		return (1);
	}
	if (!strcmp(name, "pass_token"))
		return (parse_bool(val, &a->pass_token) == 0 ||
		    (perr(p, "pass_token: \"%s\" is not yes or no", val), 0));
	if (!strcmp(name, "trust_forwarded")) {
		perr(p, "trust_forwarded: replaced by trusted_proxies in "
		    "[server NAME] (the proxies' addresses)");
		return (0);
	}
	if (!strcmp(name, "subject_header") || !strcmp(name, "scopes_header"))
		return (auth_header_name(p, name, val));
	if (!strcmp(name, "leeway") || !strcmp(name, "max_token_size"))
		return (auth_number_key(p, name, val));
	perr(p, "unknown key \"%s\" in [auth %s]", name, a->name);
	return (0);
}

/* [policy NAME]: mode, tasks, other_methods and the rules, in order. */
static int
policy_key(struct parse *p, const char *name, const char *val)
{
	struct policy	*pol = p->pol;
	char		 err[256];
	int		 allow;

	if (!strcmp(name, "mode")) {
		if (policy_mode_parse(val, &pol->mode) == -1) {
			perr(p, "mode: \"%s\" is not enforce or permissive",
			    val);
			return (0);
		}
		return (1);
	}
	if (!strcmp(name, "tasks") || !strcmp(name, "other_methods")) {
		int *deny = name[0] == 't' ? &pol->tasks_deny :
		    &pol->other_deny;

		if (strcmp(val, "pass") && strcmp(val, "deny")) {
			perr(p, "%s: \"%s\" is not pass or deny", name, val);
			return (0);
		}
		*deny = val[0] == 'd';
		return (1);
	}
	if ((allow = !strcmp(name, "allow")) || !strcmp(name, "deny")) {
		if (pol->nrules == POLICY_MAX_RULES) {
			perr(p, "[policy %s]: more than %d rules", pol->name,
			    POLICY_MAX_RULES);
			return (0);
		}
		if (policy_rule_parse(&pol->rule[pol->nrules], allow, val,
		    &p->conf->claimset, err, sizeof(err)) == -1) {
			perr(p, "%s: %s", name, err);
			return (0);
		}
		pol->rule[pol->nrules++].line = p->line;
		return (1);
	}
	perr(p, "unknown key \"%s\" in [policy %s]", name, pol->name);
	return (0);
}

/* [ratelimit NAME]: a zone, as nginx's limit_req_zone (ratelimit.c). */
static int
ratelimit_key(struct parse *p, const char *name, const char *val)
{
	struct rlzone	*z = p->rl;

	if (!strcmp(name, "rate")) {
		if (ratelimit_parse_rate(val, &z->interval) == 0)
			return (1);
		perr(p, "rate: \"%s\" is not N r/s or N r/m (N from 1 to %d)",
		    val, RATELIMIT_RATE_MAX);
		return (0);
	}
	if (!strcmp(name, "burst")) {
		if (ratelimit_parse_burst(val, &z->burst) == 0)
			return (1);
		perr(p, "burst: \"%s\" is not a number from 0 to %d", val,
		    RATELIMIT_BURST_MAX);
		return (0);
	}
	if (!strcmp(name, "key")) {
		if (!strcmp(val, "caller") || !strcmp(val, "address")) {
			z->key = val[0] == 'a' ? RL_KEY_ADDRESS : RL_KEY_CALLER;
			return (1);
		}
		perr(p, "key: \"%s\" is not caller or address", val);
		return (0);
	}
	if (!strcmp(name, "tool")) {
		if (strlen(val) > 128 || strpbrk(val, " \t,") != NULL) {
			perr(p, "tool: \"%s\" is not one tool name or *", val);
			return (0);
		}
		return (set_str(p, &z->tool, name, val));
	}
	perr(p, "unknown key \"%s\" in [ratelimit %s]", name, z->name);
	return (0);
}

/* Start a named section of kind (server, issuer, auth); 0 on error. */
static int
named_section(struct parse *p, const char *kind, const char *name)
{
	struct config	*conf = p->conf;
	size_t		 i;

	if (*name == '\0' || strlen(name) > 64 || strpbrk(name, " \t")) {
		perr(p, "[%s NAME]: bad name \"%s\"", kind, name);
		return (0);
	}
	if (!strcmp(kind, "server")) {
		for (i = 0; i < conf->nservers; i++)
			if (!strcmp(conf->servers[i].name, name))
				goto twice;
		if (conf->nservers == MAX_SERVERS)
			goto many;
		p->srv = &conf->servers[conf->nservers++];
		p->srv->name = strdup(name);
		p->srv->line = p->line;
		p->srv->cors.max_age = -1;	/* not set */
	} else if (!strcmp(kind, "policy")) {
		for (i = 0; i < conf->npolicies; i++)
			if (!strcmp(conf->policies[i]->name, name))
				goto twice;
		if (conf->npolicies == MAX_POLICIES)
			goto many;
		if ((p->pol = calloc(1, sizeof(*p->pol))) == NULL)
			fatal("calloc");
		conf->policies[conf->npolicies++] = p->pol;
		p->pol->name = strdup(name);
		p->pol->line = p->line;
		p->pol->file = conf->file;
		p->pol->other_deny = 1;		/* other_methods = deny */
	} else if (!strcmp(kind, "ratelimit")) {
		for (i = 0; i < conf->nratelimits; i++)
			if (!strcmp(conf->ratelimits[i]->name, name))
				goto twice;
		if (conf->nratelimits == MAX_RATELIMITS)
			goto many;
		if ((p->rl = calloc(1, sizeof(*p->rl))) == NULL ||
		    (p->rl->name = strdup(name)) == NULL)
			fatal("calloc");
		conf->ratelimits[conf->nratelimits++] = p->rl;
		p->rl->line = p->line;
	} else if (!strcmp(kind, "issuer")) {
		for (i = 0; i < conf->nissuers; i++)
			if (!strcmp(conf->issuers[i].name, name))
				goto twice;
		if (conf->nissuers == MAX_ISSUERS)
			goto many;
		p->iss = &conf->issuers[conf->nissuers++];
		p->iss->name = strdup(name);
		p->iss->line = p->line;
	} else {
		for (i = 0; i < conf->nauths; i++)
			if (!strcmp(conf->auths[i].name, name))
				goto twice;
		if (conf->nauths == MAX_AUTHS)
			goto many;
		p->auth = &conf->auths[conf->nauths];
		p->auth->index = conf->nauths++;
		p->auth->name = strdup(name);
		p->auth->line = p->line;
		p->auth->leeway = 60;
		p->auth->max_token = 8192;
	}
	return (1);
twice:
	perr(p, "[%s %s] given twice", kind, name);
	return (0);
many:
	perr(p, "more than %d [%s] sections", kind[0] == 's' ? MAX_SERVERS :
	    kind[0] == 'i' ? MAX_ISSUERS : kind[0] == 'p' ? MAX_POLICIES :
	    kind[0] == 'r' ? MAX_RATELIMITS : MAX_AUTHS, kind);
	return (0);
}

/* Enter a new section; returns 0 on an unknown or duplicate one. */
static int
section_enter(struct parse *p, const char *section)
{
	static const char *kinds[] = { "server", "issuer", "auth", "policy",
	    "ratelimit" };
	size_t		 i, n;

	snprintf(p->section, sizeof(p->section), "%s", section);
	p->srv = NULL;
	p->iss = NULL;
	p->auth = NULL;
	p->pol = NULL;
	p->rl = NULL;
	p->jwksd = 0;
	if (!strcmp(section, "mcpproxyd"))
		return (1);
	if (!strcmp(section, "jwksd")) {
		p->jwksd = 1;
		return (1);
	}
	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		n = strlen(kinds[i]);
		if (!strncmp(section, kinds[i], n) && section[n] == ' ')
			return (named_section(p, kinds[i], section + n + 1));
	}
	perr(p, "unknown section [%s]", section);
	return (0);
}

/* A key that may appear once per section: refuse a second one. */
static int
once(struct parse *p, const char *name)
{
	char	 k[192];
	size_t	 i;

	if (!strcmp(name, "listen") || !strcmp(name, "route"))
		return (1);
	if (p->pol != NULL && (!strcmp(name, "allow") || !strcmp(name, "deny")))
		return (1);		/* rules, in order */
	snprintf(k, sizeof(k), "%s/%s", p->section, name);
	for (i = 0; i < p->nseen; i++)
		if (!strcmp(p->seen[i], k)) {
			perr(p, "\"%s\" given twice in [%s]", name, p->section);
			return (0);
		}
	if (p->nseen < sizeof(p->seen) / sizeof(p->seen[0]))
		memcpy(p->seen[p->nseen++], k, sizeof(k));
	return (1);
}

static int
handler(void *arg, const char *section, const char *name, const char *val)
{
	struct parse	*p = arg;

	if (p->err[0] != '\0')
		return (0);
	if (strcmp(section, p->section) != 0 || section[0] == '\0') {
		perr(p, "key \"%s\" outside of a section", name);
		return (0);
	}
	if (!once(p, name))
		return (0);
	if (p->srv != NULL)
		return (server_key(p, name, val));
	if (p->iss != NULL)
		return (issuer_key(p, name, val));
	if (p->auth != NULL)
		return (auth_key(p, name, val));
	if (p->pol != NULL)
		return (policy_key(p, name, val));
	if (p->rl != NULL)
		return (ratelimit_key(p, name, val));
	if (p->jwksd)
		return (jwksd_key(p, name, val));
	return (global_key(p, name, val));
}

/* fgets for inih that counts lines and refuses over-long ones. */
static char *
reader(char *str, int num, void *arg)
{
	struct parse	*p = arg;
	char		*s, *e;
	size_t		 n;
	int		 c;

	if (p->err[0] != '\0')
		return (NULL);
	if (fgets(str, num > CONF_MAX_LINE + 1 ? CONF_MAX_LINE + 1 : num,
	    p->fp) == NULL)
		return (NULL);
	p->line++;
	n = strlen(str);
	if (n > 0 && str[n - 1] != '\n' && (c = getc(p->fp)) != EOF) {
		ungetc(c, p->fp);
		perr(p, "line longer than %d characters", CONF_MAX_LINE - 1);
		return (NULL);
	}
	/* inih would take an indented line as the previous value's next */
	s = str + strspn(str, " \t");
	if (s != str && *s != '\0' && *s != '\n' && *s != '\r' && *s != ';' &&
	    *s != '#') {
		perr(p, "indented line: continuation lines are not supported");
		return (NULL);
	}
	if ((e = strchr(s, '=')) != NULL && *s != '[') {
		e += 1 + strspn(e + 1, " \t");
		if (*e == '"' || *e == '\'') {
			perr(p, "quoted value: write values without quotes");
			return (NULL);
		}
	}
	/* enter sections here: inih says nothing of a section with no keys */
	if (*s == '[' && (e = strchr(s, ']')) != NULL) {
		char	 name[128];

		snprintf(name, sizeof(name), "%.*s", (int)(e - s - 1), s + 1);
		if (!section_enter(p, name))
			return (NULL);
	}
	return (str);
}

static void
config_defaults(struct config *conf)
{
	memset(conf, 0, sizeof(*conf));
	conf->start_workers = 4;
	conf->min_spare = 2;
	conf->max_spare = 10;
	conf->max_workers = 64;
	conf->stream_share = 75;
	conf->max_streams_per_client = 16;
	conf->defer_accept = 10;
	conf->worker_batch = 1;
	conf->header_timeout = 10;
	conf->body_timeout = 60;
	conf->keepalive_timeout = 15;
	conf->upstream_timeout = 60;
	conf->stream_idle_timeout = 300;
	conf->send_timeout = 30;
	conf->backlog = 511;
	conf->waitroom = 1;
	conf->waitroom_after = 150;
	conf->waitroom_max_conns = 10000;
	conf->waitroom_memory = 64 * 1024 * 1024;
	conf->waitroom_open_files = 10240;
	conf->waitroom_min_rate = 64;
	conf->token_cache = 1024;
	conf->reload_grace = 300;
	conf->pidfd = -1;
	conf->kid_wait = 2000;
	conf->kid_wait_max = 4;
	conf->kid_wait_max_per_client = 1;
	conf->max_subject = 256;
	conf->max_scopes = 1024;
	conf->request_id_max = REQUEST_ID_CAP;
	conf->max_claim_values = 64;
	conf->max_claim_bytes = 2048;
	conf->max_rpc_depth = 64;
	conf->max_rpc_name = 2048;
	conf->max_rpc_id = 256;
	conf->max_list_size = 1024 * 1024;
	conf->tls_ticket_lifetime = 3600;
	conf->tls_ticket_rotate = 3600;
	conf->tls_log_failures = 10;
	conf->ratelimit_table_size = 65536;
	conf->lim.max_request_line = 8192;
	conf->lim.max_head = 16384;
	conf->lim.max_headers = 100;
	conf->lim.max_body = 4 * 1024 * 1024;
	conf->metrics_fd = -1;
	conf->metrics_max_tools = METRICS_TOOLS_DEFAULT;
	conf->metrics_max_series = METRICS_SERIES_DEFAULT;
}

/*
 * A server whose routes use two issuers or more passes subjects on as
 * ISSUER:sub (auth.c), so those issuers' names must not hold a ':' or
 * anything a header value cannot: letters, digits, '.', '_', '-'.
 */
static int
issuer_names(struct parse *p)
{
	const struct server	*srv;
	const struct issuer	*first, *iss;
	size_t			 i, j;

	for (i = 0; i < p->conf->nservers; i++) {
		srv = &p->conf->servers[i];
		first = NULL;
		for (j = 0; j < srv->nroutes; j++) {
			if (srv->routes[j].auth == NULL)
				continue;
			iss = srv->routes[j].auth->iss;
			if (first == NULL)
				first = iss;
			else if (iss != first)
				break;
		}
		if (j == srv->nroutes)
			continue;
		for (j = 0; j < srv->nroutes; j++) {
			if (srv->routes[j].auth == NULL)
				continue;
			iss = srv->routes[j].auth->iss;
			if (strspn(iss->name, "abcdefghijklmnopqrstuvwxyz"
			    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") !=
			    strlen(iss->name)) {
				p->line = iss->line;
				perr(p, "[issuer %s]: [server %s] has two "
				    "issuers, so it names them in subjects: "
				    "use only letters, digits, '.', '_' and "
				    "'-'", iss->name, srv->name);
				return (-1);
			}
		}
	}
	return (0);
}

/* Resolve auth= and issuer= references; check each policy is whole. */
static int
config_auth(struct parse *p)
{
	struct config	*conf = p->conf;
	char		 why[512];
	size_t		 i, j, k;

	for (i = 0; i < conf->nissuers; i++) {
		p->line = conf->issuers[i].line;
		if (conf->issuers[i].url == NULL) {
			perr(p, "[issuer %s]: no issuer", conf->issuers[i].name);
			return (-1);
		}
		if (conf->issuers[i].revoked_file != NULL &&
		    revoke_load(conf->issuers[i].revoked_file,
		    &conf->issuers[i].revoked, why, sizeof(why)) == -1) {
			perr(p, "%s", why);
			return (-1);
		}
	}
	for (i = 0; i < conf->nauths; i++) {
		struct auth *a = &conf->auths[i];

		p->line = a->line;
		if (a->issuer_name == NULL) {
			perr(p, "[auth %s]: no issuer", a->name);
			return (-1);
		}
		for (j = 0; j < conf->nissuers; j++)
			if (!strcmp(conf->issuers[j].name, a->issuer_name))
				a->iss = &conf->issuers[j];
		if (a->iss == NULL) {
			perr(p, "[auth %s]: no [issuer %s]", a->name,
			    a->issuer_name);
			return (-1);
		}
		if (a->iss->audiences.any) {
			p->line = a->iss->line;
			perr(p, "[issuer %s]: audiences cannot be \"*\"",
			    a->iss->name);
			return (-1);
		}
		if (a->audiences.n == 0 && !a->audiences.any)
			a->audiences = a->iss->audiences, a->audiences.any = -1;
		if (a->audiences.any == 1) {
			perr(p, "[auth %s]: audiences cannot be \"*\"", a->name);
			return (-1);
		}
		if (a->audiences.n == 0) {
			perr(p, "[auth %s]: no audiences (in it or in "
			    "[issuer %s])", a->name, a->iss->name);
			return (-1);
		}
	}
	for (i = 0; i < conf->nservers; i++)
		for (j = 0; j < conf->servers[i].nroutes; j++) {
			struct route *rt = &conf->servers[i].routes[j];

			if (rt->auth_name == NULL)
				continue;
			for (k = 0; k < conf->nauths; k++)
				if (!strcmp(conf->auths[k].name, rt->auth_name))
					rt->auth = &conf->auths[k];
			if (rt->auth == NULL) {
				p->line = conf->servers[i].line;
				perr(p, "[server %s]: route %s: no [auth %s]",
				    conf->servers[i].name, rt->prefix,
				    rt->auth_name);
				return (-1);
			}
		}
	if (issuer_names(p) == -1)
		return (-1);
	if (conf->key_file == NULL)
		conf->key_file = strdup(LOCALSTATEDIR "/lib/jwksd/keys");
	if (conf->control_socket == NULL)
		conf->control_socket = strdup("/run/jwksd.sock");
	return (0);
}

/*
 * A rule's scopes on a route: each in the route's scopes_supported when
 * that is set (a client registers with those, so asks for no other),
 * and the step-up challenge's scope short enough to send.
 */
static int
policy_scopes(struct parse *p, const struct route *rt)
{
	const struct policy	*pol = rt->policy;
	const struct auth	*a = rt->auth;
	struct policy_ctx	 c = { .pol = pol, .auth = a };
	char			 buf[POLICY_SCOPE_MAX];
	size_t			 i, j, k;

	for (i = 0; i < pol->nrules; i++) {
		const struct policy_rule *r = &pol->rule[i];

		p->line = r->line;
		for (j = 0; j < r->nscopes && a->scopes_supported.n > 0; j++) {
			for (k = 0; k < a->scopes_supported.n; k++)
				if (!strcmp(a->scopes_supported.v[k],
				    r->scopes[j]))
					break;
			if (k == a->scopes_supported.n) {
				perr(p, "allow: scope \"%s\" is not in "
				    "scopes_supported of [auth %s] (route %s)",
				    r->scopes[j], a->name, rt->prefix);
				return (-1);
			}
		}
		if (r->nscopes > 0 &&
		    policy_scope_string(&c, r, buf, sizeof(buf)) == -1) {
			perr(p, "allow: required_scopes of [auth %s] and "
			    "scope= longer than %d bytes together", a->name,
			    POLICY_SCOPE_MAX - 1);
			return (-1);
		}
	}
	return (0);
}

/* Resolve policy= references; a policy needs rules. */
static int
config_policy(struct parse *p)
{
	struct config	*conf = p->conf;
	size_t		 i, j, k;

	conf->claimset.max_values = conf->max_claim_values;
	conf->claimset.max_bytes = conf->max_claim_bytes;
	for (i = 0; i < conf->npolicies; i++) {
		p->line = conf->policies[i]->line;
		if (conf->policies[i]->nrules == 0) {
			perr(p, "[policy %s]: no allow or deny rule",
			    conf->policies[i]->name);
			return (-1);
		}
	}
	for (i = 0; i < conf->nservers; i++)
		for (j = 0; j < conf->servers[i].nroutes; j++) {
			struct route *rt = &conf->servers[i].routes[j];

			if (rt->policy_name == NULL)
				continue;
			for (k = 0; k < conf->npolicies; k++)
				if (!strcmp(conf->policies[k]->name,
				    rt->policy_name))
					rt->policy = conf->policies[k];
			if (rt->policy == NULL) {
				p->line = conf->servers[i].line;
				perr(p, "[server %s]: route %s: no [policy %s]",
				    conf->servers[i].name, rt->prefix,
				    rt->policy_name);
				return (-1);
			}
			if (policy_scopes(p, rt) == -1)
				return (-1);
		}
	return (0);
}

/* A route's ratelimit=A,B: the zones it names (throttle.c charges). */
static int
route_ratelimits(struct parse *p, const struct server *srv, struct route *rt)
{
	struct config	*conf = p->conf;
	char		*copy, *tok, *save = NULL;
	size_t		 k;

	if ((copy = strdup(rt->ratelimit_names)) == NULL)
		fatal("strdup");
	for (tok = strtok_r(copy, ",", &save); tok != NULL && !p->err[0];
	    tok = strtok_r(NULL, ",", &save)) {
		for (k = 0; k < conf->nratelimits; k++)
			if (!strcmp(conf->ratelimits[k]->name, tok))
				break;
		if (k == conf->nratelimits)
			perr(p, "[server %s]: route %s: no [ratelimit %s]",
			    srv->name, rt->prefix, tok);
		else if (rt->nratelimits == MAX_ROUTE_RATELIMITS)
			perr(p, "[server %s]: route %s: more than %d rate "
			    "limits", srv->name, rt->prefix,
			    MAX_ROUTE_RATELIMITS);
		else
			rt->ratelimits[rt->nratelimits++] =
			    conf->ratelimits[k];
	}
	free(copy);
	return (p->err[0] ? -1 : 0);
}

/* Check every [ratelimit NAME] and resolve the routes' names of them. */
static int
config_ratelimits(struct parse *p)
{
	struct config	*conf = p->conf;
	size_t		 i, j;

	for (i = 0; i < conf->nratelimits; i++) {
		const struct rlzone *z = conf->ratelimits[i];

		p->line = z->line;
		if (z->interval == 0)
			perr(p, "[ratelimit %s]: no rate", z->name);
		else if (z->tool != NULL && z->key == RL_KEY_ADDRESS)
			perr(p, "[ratelimit %s]: tool needs key = caller (the "
			    "tool is read after the address is charged)",
			    z->name);
		if (p->err[0])
			return (-1);
	}
	for (i = 0; i < conf->nservers; i++)
		for (j = 0; j < conf->servers[i].nroutes; j++) {
			struct route *rt = &conf->servers[i].routes[j];

			p->line = conf->servers[i].line;
			if (rt->ratelimit_names != NULL &&
			    route_ratelimits(p, &conf->servers[i], rt) == -1)
				return (-1);
		}
	return (0);
}

/*
 * A listener not on loopback, with no allowed_hosts, answers any Host:
 * a name an attacker rebinds to a LAN address reaches it (DNS
 * rebinding).  Loopback connections are checked all the same (cors.c).
 */
static void
rebinding_warn(const struct config *conf)
{
	size_t	 i;

	for (i = 0; i < conf->nlisteners; i++) {
		const struct listener *l = &conf->listeners[i];

		if (l->srv->allowed_hosts.n > 0 || l->srv->allowed_hosts.any ||
		    addr_loopback(&l->ss))
			continue;
		log_warnx("[server %s] listen = %s: no allowed_hosts: "
		    "requests to addresses other than loopback are answered "
		    "whatever their Host (DNS rebinding); set allowed_hosts",
		    l->srv->name, l->text);
	}
}

/* Is srv one of the servers listening on l? */
static int
listener_has(const struct listener *l, const struct server *srv)
{
	size_t	 i;

	for (i = 0; i < l->nsrvs; i++)
		if (l->srvs[i] == srv)
			return (1);
	return (0);
}

/* Two TLS settings the servers on one address must share. */
static int
tls_same(const char *a, const char *b)
{
	return ((a == NULL && b == NULL) || (a != NULL && b != NULL &&
	    !strcmp(a, b)));
}

/*
 * The servers sharing an address: all TLS or none (the first bytes
 * decide before any name is known), the same protocols, ciphers and
 * groups (negotiated before SNI picks a certificate), each but the
 * default with names (allowed_hosts) to be chosen by, and one default:
 * default_server = yes, else the first in the file.
 */
static int
config_listeners(struct parse *p)
{
	struct config	*conf = p->conf;
	size_t		 i, j;

	for (i = 0; i < conf->nlisteners; i++) {
		struct listener	*l = &conf->listeners[i];
		struct server	*a = l->srvs[0], *b, *def = NULL;

		for (j = 0; j < l->nsrvs; j++) {
			b = l->srvs[j];
			p->line = b->line;
			if (b->default_server && def != NULL) {
				perr(p, "listen = %s: [server %s] and [server "
				    "%s] are both default_server", l->text,
				    def->name, b->name);
				return (-1);
			}
			if (b->default_server)
				def = b;
			if ((a->tls.certificate == NULL) !=
			    (b->tls.certificate == NULL)) {
				perr(p, "listen = %s: [server %s] and [server "
				    "%s] share it, and only one has a "
				    "tls_certificate", l->text, a->name,
				    b->name);
				return (-1);
			}
			if (a->tls.protocols != b->tls.protocols ||
			    !tls_same(a->tls.ciphers, b->tls.ciphers) ||
			    !tls_same(a->tls.ciphersuites,
			    b->tls.ciphersuites) ||
			    !tls_same(a->tls.groups, b->tls.groups)) {
				perr(p, "listen = %s: [server %s] and [server "
				    "%s] share it: give them the same "
				    "tls_protocols, tls_ciphers, "
				    "tls_ciphersuites and tls_groups", l->text,
				    a->name, b->name);
				return (-1);
			}
		}
		l->srv = def != NULL ? def : a;
		l->tls = a->tls.certificate != NULL;
		for (j = 0; j < l->nsrvs; j++) {
			b = l->srvs[j];
			if (b == l->srv || b->allowed_hosts.n > 0)
				continue;
			p->line = b->line;
			perr(p, "listen = %s: [server %s] is not the default "
			    "server there, so it needs allowed_hosts (the "
			    "names SNI and Host choose it by)", l->text,
			    b->name);
			return (-1);
		}
	}
	return (0);
}

/* TLS keys that need each other, and the ticket schedule. */
static int
config_tls(struct parse *p)
{
	struct config	*conf = p->conf;
	size_t		 i, j;
	int		 https;

	for (i = 0; i < conf->nservers; i++) {
		struct server	*srv = &conf->servers[i];

		p->line = srv->line;
		/* a protected route may relay registrations (keycloak) */
		for (j = 0, https = 0; j < srv->nroutes; j++)
			https |= srv->routes[j].https ||
			    srv->routes[j].auth_name != NULL;
		if ((srv->tls.certificate == NULL) != (srv->tls.key == NULL))
			perr(p, "[server %s]: tls_certificate and tls_key go "
			    "together", srv->name);
		else if (srv->tls.certificate == NULL &&
		    (srv->tls.protocols || srv->tls.ciphers ||
		    srv->tls.ciphersuites || srv->tls.groups))
			perr(p, "[server %s]: tls_ keys without "
			    "tls_certificate", srv->name);
		else if ((srv->up_tls.certificate == NULL) !=
		    (srv->up_tls.key == NULL))
			perr(p, "[server %s]: upstream_tls_certificate and "
			    "upstream_tls_key go together", srv->name);
		else if (!https && (srv->up_tls.ca_file ||
		    srv->up_tls.certificate))
			perr(p, "[server %s]: upstream_tls_ keys without an "
			    "https:// route or a protected one (auth=)",
			    srv->name);
		else if (srv->tls.certificate != NULL && srv->https_redirect)
			perr(p, "[server %s]: https_redirect on a server with "
			    "tls_certificate (it is for plain HTTP)", srv->name);
		else if (srv->tls.certificate == NULL && srv->hsts)
			perr(p, "[server %s]: hsts without tls_certificate "
			    "(browsers ignore it over plain HTTP)", srv->name);
		if (p->err[0])
			return (-1);
		if (srv->tls.protocols == 0)
			srv->tls.protocols = TLS_PROTO_12 | TLS_PROTO_13;
	}
	p->line = 0;
	if (conf->tls_ticket_rotate > conf->tls_ticket_lifetime) {
		perr(p, "tls_ticket_rotate (%d) is above tls_ticket_lifetime "
		    "(%d)", conf->tls_ticket_rotate, conf->tls_ticket_lifetime);
		return (-1);
	}
	/* tls.c keeps the keys of one lifetime: at most TLS_TICKET_KEYS */
	if (conf->tls_ticket_lifetime / conf->tls_ticket_rotate + 1 >
	    TLS_TICKET_KEYS) {
		perr(p, "tls_ticket_lifetime (%d) is more than %d times "
		    "tls_ticket_rotate (%d)", conf->tls_ticket_lifetime,
		    TLS_TICKET_KEYS - 1, conf->tls_ticket_rotate);
		return (-1);
	}
	return (0);
}

/*
 * A protected route served in clear on an address other than loopback:
 * the bearer token crosses the network as plain text (the MCP
 * authorization spec wants HTTPS but on loopback).
 */
static void
cleartext_warn(const struct config *conf)
{
	size_t	 i, j, k;

	for (i = 0; i < conf->nlisteners; i++) {
		const struct listener *l = &conf->listeners[i];

		if (l->tls || addr_loopback(&l->ss))
			continue;
		for (j = 0; j < l->nsrvs; j++)
			for (k = 0; k < l->srvs[j]->nroutes; k++) {
				if (l->srvs[j]->routes[k].auth == NULL)
					continue;
				log_warnx("[server %s] listen = %s: route %s "
				    "takes bearer tokens in clear on an "
				    "address other than loopback; give the "
				    "server a tls_certificate",
				    l->srvs[j]->name, l->text,
				    l->srvs[j]->routes[k].prefix);
				break;
			}
	}
}

/* Cross-key checks and defaults that depend on other keys. */
static int
config_finish(struct parse *p)
{
	struct config	*conf = p->conf;
	size_t		 i;

	p->line = 0;
	if (conf->nservers == 0) {
		perr(p, "no [server NAME] section");
		return (-1);
	}
	/* the metrics listener: loopback, or an allow-list */
	if (conf->metrics_listen != NULL && conf->nmetrics_allow == 0 &&
	    !addr_loopback(&conf->metrics_ss)) {
		perr(p, "metrics_listen %s is not a loopback address: "
		    "metrics_allow must say who may connect",
		    conf->metrics_listen);
		return (-1);
	}
	for (i = 0; i < conf->nservers; i++) {
		struct server	*srv = &conf->servers[i];
		struct cors	*cors = &srv->cors;
		size_t		 j;
		int		 listens = 0;

		p->line = srv->line;
		for (j = 0; j < conf->nlisteners; j++)
			listens += listener_has(&conf->listeners[j], srv);
		if (listens == 0)
			perr(p, "[server %s]: no listen", srv->name);
		else if (srv->nroutes == 0)
			perr(p, "[server %s]: no route", srv->name);
		else if (cors->credentials && cors->origins.any)
			perr(p, "[server %s]: cors_allow_credentials cannot "
			    "be used with cors_allow_origins = *", srv->name);
		if (p->err[0])
			return (-1);
		if (cors->methods == NULL)
			cors->methods = strdup("GET, POST, DELETE, OPTIONS");
		if (cors->expose == NULL)
			cors->expose = strdup(CORS_EXPOSE_DEFAULT);
		if (cors->max_age == -1)
			cors->max_age = 86400;
		if (!srv->origins_set)
			srv->allowed_origins = cors->origins;
	}
	if (config_listeners(p) == -1 || config_tls(p) == -1)
		return (-1);
	rebinding_warn(conf);
	p->line = 0;
	if (conf->min_spare > conf->max_spare)
		perr(p, "min_spare (%d) is above max_spare (%d)",
		    conf->min_spare, conf->max_spare);
	else if (conf->max_spare > conf->max_workers)
		conf->max_spare = conf->max_workers;
	if (conf->min_spare > conf->max_workers)
		perr(p, "min_spare (%d) is above max_workers (%d)",
		    conf->min_spare, conf->max_workers);
	if (conf->start_workers > conf->max_workers)
		conf->start_workers = conf->max_workers;
	if (conf->waitroom_open_files < conf->waitroom_max_conns + 32)
		perr(p, "waitroom_open_files (%d) leaves no room for "
		    "waitroom_max_conns (%d) and 32 more", conf->waitroom_open_files,
		    conf->waitroom_max_conns);
	if (conf->lim.max_request_line > conf->lim.max_head)
		perr(p, "max_request_line is above max_header_size");
	if (conf->access_log == NULL)
		conf->access_log = strdup("syslog");
	if (p->err[0] == '\0' && config_auth(p) == 0 &&
	    config_policy(p) == 0)
		config_ratelimits(p);
	if (p->err[0] == '\0')
		cleartext_warn(conf);
	return (p->err[0] ? -1 : 0);
}

/*
 * Read file into conf.  Returns 0, or -1 with the first error in err
 * as "file:line: message".
 */
int
config_load(const char *file, struct config *conf, char *err, size_t errlen)
{
	struct parse	 p;
	int		 rc;

	config_defaults(conf);
	memset(&p, 0, sizeof(p));
	p.conf = conf;
	p.file = file;
	if ((conf->file = strdup(file)) == NULL)
		fatal("strdup");
	if ((p.fp = fopen(file, "r")) == NULL) {
		snprintf(err, errlen, "%s: %s", file, strerror(errno));
		config_free(conf);
		return (-1);
	}
	rc = ini_parse_stream(reader, &p, handler, &p);
	fclose(p.fp);
	if (rc != 0 && p.err[0] == '\0') {
		p.errline = rc > 0 ? rc : p.line;
		snprintf(p.err, sizeof(p.err), "syntax error");
	}
	if (p.err[0] == '\0')
		config_finish(&p);
	if (p.err[0] != '\0') {
		if (p.errline > 0)
			snprintf(err, errlen, "%s:%d: %s", file, p.errline,
			    p.err);
		else
			snprintf(err, errlen, "%s: %s", file, p.err);
		config_free(conf);
		return (-1);
	}
	return (0);
}

/* In the foreground, what would go to syslog goes to stderr. */
void
config_foreground(struct config *conf)
{
	if (conf->foreground && !strcmp(conf->access_log, "syslog")) {
		free(conf->access_log);
		if ((conf->access_log = strdup("stderr")) == NULL)
			fatal("strdup");
	}
}

static void
strlist_free(struct strlist *l)
{
	size_t	 i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	l->n = 0;
}

/* Release everything config_load allocated. */
void
config_free(struct config *conf)
{
	size_t	 i, j;

	tls_free(conf);
	for (i = 0; i < conf->nservers; i++) {
		struct server *srv = &conf->servers[i];

		for (j = 0; j < srv->nroutes; j++) {
			struct route *rt = &srv->routes[j];
			free(rt->prefix); free(rt->url); free(rt->host);
			free(rt->port); free(rt->authority); free(rt->path);
			free(rt->auth_name);
			free(rt->policy_name);
			free(rt->ratelimit_names);
		}
		if (srv->origins_set)
			strlist_free(&srv->allowed_origins);
		strlist_free(&srv->allowed_hosts);
		strlist_free(&srv->cors.origins);
		strlist_free(&srv->cors.headers);
		free(srv->cors.methods);
		free(srv->cors.expose);
		free(srv->name);
		free(srv->health_path);
		free(srv->tls.certificate); free(srv->tls.key);
		free(srv->tls.ciphers); free(srv->tls.ciphersuites);
		free(srv->tls.groups); free(srv->up_tls.ca_file);
		free(srv->up_tls.certificate); free(srv->up_tls.key);
	}
	for (i = 0; i < conf->nlisteners; i++)
		free(conf->listeners[i].text);
	free(conf->metrics_listen);
	for (i = 0; i < conf->nissuers; i++) {
		struct issuer *iss = &conf->issuers[i];
		free(iss->name); free(iss->url); free(iss->provider);
		free(iss->revoked_file);
		revoke_free(iss->revoked);
		strlist_free(&iss->audiences);
	}
	for (i = 0; i < conf->nauths; i++) {
		struct auth *a = &conf->auths[i];
		free(a->name); free(a->issuer_name); free(a->resource);
		free(a->resource_documentation); free(a->subject_header);
		free(a->scopes_header);
		if (a->audiences.any != -1)
			strlist_free(&a->audiences);
		strlist_free(&a->authorization_servers);
		strlist_free(&a->scopes_supported);
		strlist_free(&a->required_scopes);
	}
	for (i = 0; i < conf->npolicies; i++) {
		struct policy *pol = conf->policies[i];

		for (j = 0; j < pol->nrules; j++)
			policy_rule_free(&pol->rule[j]);
		free(pol->name);
		free(pol);
	}
	for (i = 0; i < conf->nratelimits; i++) {
		free(conf->ratelimits[i]->name);
		free(conf->ratelimits[i]->tool);
		free(conf->ratelimits[i]);
	}
	claimset_free(&conf->claimset);
	free(conf->key_file); free(conf->control_socket);
	free(conf->file); free(conf->user); free(conf->pid_file);
	free(conf->access_log);
	memset(conf, 0, sizeof(*conf));
}
