/*
 * CORS and the Origin/Host checks.  The proxy owns every
 * Access-Control-* header: what the upstream sent is dropped and these
 * functions write the only copy, on every answer, errors included.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "mcpproxyd.h"

static int
in_list(const struct strlist *l, const char *s, size_t len)
{
	size_t	 i;

	for (i = 0; i < l->n; i++)
		if (strlen(l->v[i]) == len && !strncasecmp(l->v[i], s, len))
			return (1);
	return (0);
}

/* Length of the host part of a Host value ("[::1]:9000" -> "[::1]"). */
size_t
host_part(const char *host)
{
	const char	*colon;

	if (host[0] == '[') {
		const char *rb = strchr(host, ']');
		return (rb ? (size_t)(rb - host + 1) : strlen(host));
	}
	colon = strchr(host, ':');
	return (colon ? (size_t)(colon - host) : strlen(host));
}

/* Is h[0..n) one of the names of loopback: localhost, 127.0.0.1, [::1]? */
static int
loopback_name(const char *h, size_t n)
{
	return ((n == 9 && !strncasecmp(h, "localhost", 9)) ||
	    (n == 9 && !strncmp(h, "127.0.0.1", 9)) ||
	    (n == 5 && !strncmp(h, "[::1]", 5)));
}

/* The port after a host part ("" is 80, as this is plain http); -1 bad. */
static long
port_of(const char *p)
{
	long	 v = 0;

	if (*p == '\0')
		return (80);
	if (*p++ != ':' || *p == '\0')
		return (-1);
	for (; *p >= '0' && *p <= '9' && v < 100000; p++)
		v = v * 10 + (*p - '0');
	return (*p == '\0' ? v : -1);
}

/* No allowed_hosts on a loopback connection: only loopback's names. */
static int
rebinding_guard(const struct server *srv, int loopback)
{
	return (loopback && srv->allowed_hosts.n == 0 &&
	    !srv->allowed_hosts.any);
}

/*
 * Does allowed_hosts let this Host in?  Without it, a connection to a
 * loopback address (loopback: decided per connection, so 0.0.0.0 is
 * covered) takes only localhost, 127.0.0.1 and [::1] with its own
 * port: a page whose name was rebound to 127.0.0.1 sends its own name
 * (DNS rebinding, MCP transport spec).  Other connections take any.
 */
int
host_allowed(const struct server *srv, const char *host, int loopback,
    unsigned int port)
{
	const struct strlist	*l = &srv->allowed_hosts;
	size_t			 n;

	if (rebinding_guard(srv, loopback)) {
		if (host == NULL)	/* HTTP/1.0 with no Host: no name */
			return (1);
		n = host_part(host);
		return (loopback_name(host, n) && port_of(host + n) ==
		    (long)port);
	}
	if (l->any || l->n == 0)
		return (1);
	if (host == NULL)
		return (0);
	n = host_part(host);
	if (in_list(l, host, n))
		return (1);
	/* "::1" in the list matches the Host "[::1]:port" */
	return (n > 2 && host[0] == '[' && in_list(l, host + 1, n - 2));
}

/* Is origin http(s)://localhost, 127.0.0.1 or [::1], any port? */
static int
loopback_origin(const char *origin)
{
	const char	*h;
	size_t		 n;

	if (!strncasecmp(origin, "http://", 7))
		h = origin + 7;
	else if (!strncasecmp(origin, "https://", 8))
		h = origin + 8;
	else
		return (0);
	n = host_part(h);
	return (loopback_name(h, n) && port_of(h + n) >= 0);
}

/*
 * Is a request carrying this Origin allowed in?  Same-origin requests
 * always are; others only when allowed_origins (by default the CORS
 * origins) lists the origin.  This is the MCP transport's defence
 * against DNS rebinding.  On a loopback connection without
 * allowed_hosts, a "*" inherited from cors_allow_origins stands for
 * loopback's names only (an explicit allowed_origins = * is obeyed).
 */
int
origin_allowed(const struct server *srv, const char *origin,
    const char *host, int loopback, int https)
{
	int	 guard = rebinding_guard(srv, loopback);

	if (origin == NULL)
		return (1);
	if (srv->allowed_origins.any && (!guard || srv->origins_set))
		return (1);
	if (in_list(&srv->allowed_origins, origin, strlen(origin)))
		return (1);
	if (guard && loopback_origin(origin))
		return (1);
	/* same origin: the scheme of this connection, and its Host */
	if (https)
		return (host != NULL && !strncasecmp(origin, "https://", 8) &&
		    !strcasecmp(origin + 8, host));
	return (host != NULL && !strncasecmp(origin, "http://", 7) &&
	    !strcasecmp(origin + 7, host));
}

static int
cors_origin_ok(const struct server *srv, const char *origin)
{
	const struct strlist	*l = &srv->cors.origins;

	if (origin == NULL)
		return (0);
	return (l->any || in_list(l, origin, strlen(origin)));
}

/* Append the Access-Control-Allow-Origin family for origin. */
static size_t
allow_origin(const struct server *srv, const char *origin, char *buf,
    size_t len)
{
	const struct cors	*c = &srv->cors;
	int			 n;

	if (c->origins.any && !c->credentials)
		n = snprintf(buf, len, "Access-Control-Allow-Origin: *\r\n"
		    "Vary: Origin\r\n");
	else
		n = snprintf(buf, len, "Access-Control-Allow-Origin: %s\r\n"
		    "Vary: Origin\r\n%s", origin, c->credentials ?
		    "Access-Control-Allow-Credentials: true\r\n" : "");
	return (n < 0 || (size_t)n >= len ? 0 : (size_t)n);
}

/*
 * Write the CORS headers of an ordinary answer into buf.  Returns their
 * length, 0 when the request gets none (no Origin, origin not allowed).
 */
size_t
cors_headers(const struct server *srv, const char *origin, char *buf,
    size_t len)
{
	size_t	 n;
	int	 m;

	if (!cors_origin_ok(srv, origin))
		return (0);
	if ((n = allow_origin(srv, origin, buf, len)) == 0)
		return (0);
	m = snprintf(buf + n, len - n, "Access-Control-Expose-Headers: %s\r\n",
	    srv->cors.expose);
	return (m < 0 || (size_t)m >= len - n ? 0 : n + m);
}

/* Is s a plain comma-separated list of header names? */
static int
header_list_ok(const char *s)
{
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && strchr("-_, ", *s) == NULL)
			return (0);
	return (1);
}

/* The request headers of MCP clients, allowed when none are configured. */
static const char *mcp_request_headers[] = {
	"Accept", "Authorization", "Content-Type", "Last-Event-ID",
	"MCP-Protocol-Version", "Mcp-Method", "Mcp-Name", "Mcp-Session-Id"
};

/* Is name[0..len) a request header of MCP (Mcp-Param-* included)? */
static int
mcp_request_header(const char *name, size_t len)
{
	size_t	 i;

	if (len > 10 && !strncasecmp(name, "Mcp-Param-", 10))
		return (1);
	for (i = 0; i < sizeof(mcp_request_headers) /
	    sizeof(mcp_request_headers[0]); i++)
		if (len == strlen(mcp_request_headers[i]) &&
		    !strncasecmp(name, mcp_request_headers[i], len))
			return (1);
	return (0);
}

/*
 * The default Access-Control-Allow-Headers: those of the requested
 * headers that MCP clients send, as the browser spelt them (a list
 * cannot name Mcp-Param-*).  Writes allow, "" when none.
 */
static void
allow_mcp(const char *req_headers, char *allow, size_t len)
{
	const char	*p = req_headers, *t;
	size_t		 a = 0, n;
	int		 m;

	allow[0] = '\0';
	if (req_headers == NULL || !header_list_ok(req_headers))
		return;
	while (*p != '\0') {
		p += strspn(p, ", ");
		t = p;
		p += strcspn(p, ", ");
		if ((n = p - t) == 0 || !mcp_request_header(t, n))
			continue;
		m = snprintf(allow + a, len - a, "%s%.*s", a ? ", " : "",
		    (int)n, t);
		if (m < 0 || (size_t)m >= len - a) {
			allow[a] = '\0';
			return;
		}
		a += m;
	}
}

/*
 * Write the headers of a preflight answer.  With cors_allow_headers =
 * "*" the requested headers are echoed: browsers never let a literal
 * "*" cover Authorization.  Unset, the MCP ones among them are.  Returns the length, 0 if the origin is not
 * allowed (the caller answers 403).
 */
size_t
cors_preflight(const struct server *srv, const char *origin,
    const char *req_headers, char *buf, size_t len)
{
	const struct cors	*c = &srv->cors;
	char			 allow[1024];
	size_t			 n, i, a = 0;
	int			 m;

	if (!cors_origin_ok(srv, origin))
		return (0);
	if (c->headers.any) {
		if (req_headers != NULL && header_list_ok(req_headers))
			snprintf(allow, sizeof(allow), "%s", req_headers);
		else
			allow[0] = '\0';
	} else if (c->headers.n == 0) {
		allow_mcp(req_headers, allow, sizeof(allow));
	} else {
		allow[0] = '\0';
		for (i = 0; i < c->headers.n; i++) {
			m = snprintf(allow + a, sizeof(allow) - a, "%s%s",
			    i ? ", " : "", c->headers.v[i]);
			if (m < 0 || (size_t)m >= sizeof(allow) - a)
				break;
			a += m;
		}
	}
	if ((n = allow_origin(srv, origin, buf, len)) == 0)
		return (0);
	m = snprintf(buf + n, len - n,
	    "Access-Control-Allow-Methods: %s\r\n"
	    "%s%s%s"
	    "Access-Control-Max-Age: %d\r\n",
	    c->methods,
	    allow[0] ? "Access-Control-Allow-Headers: " : "", allow,
	    allow[0] ? "\r\n" : "", c->max_age);
	return (m < 0 || (size_t)m >= len - n ? 0 : n + m);
}

/* Is this a response header the proxy replaces (Access-Control-*)? */
int
cors_header_owned(const char *name)
{
	return (!strncasecmp(name, "Access-Control-", 15));
}
