/*
 * Who the client is, and which of its header fields may pass.
 *
 * One client identity per request: the peer's address, or, when the
 * peer is listed in its server's trusted_proxies, the address that
 * X-Forwarded-For (else Forwarded for=) names, walked right to left
 * past trusted proxies as nginx's real_ip_recursive does.  Everything
 * keyed per client (connection and stream caps, the access log) uses
 * it; scoreboard.c groups IPv6 clients by /64.
 *
 * Header names are compared as CGI and WSGI backends read them: case
 * ignored and '_' the same as '-', so "X_Auth_Subject" is the
 * identity header "X-Auth-Subject" to a Flask app.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mcpproxyd.h"

/* a byte of a header name as a backend reads it: lower case, '_' is '-' */
static int
fold(unsigned char c)
{
	if (c == '_')
		return ('-');
	return (c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
}

/* Are a and b one header name to a CGI/WSGI backend? */
int
header_name_eq(const char *a, const char *b)
{
	for (; *a != '\0' && *b != '\0'; a++, b++)
		if (fold(*a) != fold(*b))
			return (0);
	return (*a == '\0' && *b == '\0');
}

/* Does name start with prefix, read as header_name_eq() reads? */
static int
header_name_prefix(const char *name, const char *prefix)
{
	for (; *prefix != '\0'; name++, prefix++)
		if (*name == '\0' || fold(*name) != fold(*prefix))
			return (0);
	return (1);
}

/*
 * Fields the proxy sets, strips or reads: with underscores_in_headers
 * on, their '_' spellings are still dropped, as a backend would take
 * them for the real ones.
 */
static const char *guarded[] = {
	"Authorization", "Host", "Content-Length", "Transfer-Encoding",
	"Forwarded", "X-Real-IP", "Connection", "Keep-Alive",
	"Proxy-Connection", "Proxy-Authorization", "Proxy-Authenticate",
	"TE", "Trailer", "Upgrade", "Expect", "Origin",
	"Access-Control-Request-Method", "Access-Control-Request-Headers",
	"Last-Event-ID"
};
static const char *guarded_prefix[] = { "X-Forwarded-", "Mcp-" };

/* Is name one of the identity headers of any [auth] policy? */
static int
identity_header(const struct config *conf, const char *name)
{
	size_t	 i;

	for (i = 0; i < conf->nauths; i++) {
		const struct auth *a = &conf->auths[i];

		if ((a->subject_header != NULL &&
		    header_name_eq(name, a->subject_header)) ||
		    (a->scopes_header != NULL &&
		    header_name_eq(name, a->scopes_header)))
			return (1);
	}
	return (0);
}

/* Is name Forwarded, X-Real-IP or X-Forwarded-*? */
static int
forwarding_header(const char *name)
{
	return (header_name_eq(name, "Forwarded") ||
	    header_name_eq(name, "X-Real-IP") ||
	    header_name_prefix(name, "X-Forwarded-"));
}

/*
 * What becomes of a client's field on its way to the upstream (the
 * hop-by-hop fields aside, proxy.c's own).  trusted: the peer is a
 * trusted proxy.  rt may be NULL (no route).
 */
enum hdr_verdict
header_verdict(const struct config *conf, const struct server *srv,
    const struct route *rt, const char *name, int trusted)
{
	size_t	 i;

	if (strchr(name, '_') != NULL) {
		if (!srv->underscores)
			return (HDR_UNDERSCORE);
		for (i = 0; i < sizeof(guarded) / sizeof(guarded[0]); i++)
			if (header_name_eq(name, guarded[i]))
				return (HDR_DROP);
		for (i = 0; i < sizeof(guarded_prefix) /
		    sizeof(guarded_prefix[0]); i++)
			if (header_name_prefix(name, guarded_prefix[i]))
				return (HDR_DROP);
	}
	if (identity_header(conf, name))
		return (HDR_DROP);
	if (header_name_eq(name, "X-Request-Id"))	/* accesslog.c sets it */
		return (HDR_DROP);
	if (forwarding_header(name)) {
		/* the three the proxy writes itself are rewritten */
		if (!trusted || !strcasecmp(name, "X-Forwarded-For") ||
		    !strcasecmp(name, "X-Forwarded-Proto") ||
		    !strcasecmp(name, "X-Forwarded-Host"))
			return (HDR_DROP);
		return (HDR_KEEP);
	}
	/* no token passthrough (MCP spec) */
	if (rt != NULL && rt->auth != NULL && !rt->auth->pass_token &&
	    !strcasecmp(name, "Authorization"))
		return (HDR_DROP);
	return (HDR_KEEP);
}

/* Turn an IPv4-mapped IPv6 address into the IPv4 address it holds. */
void
addr_canon(struct sockaddr_storage *ss)
{
	struct sockaddr_in6	*s6 = (struct sockaddr_in6 *)ss;
	struct sockaddr_in	 s4;

	if (ss->ss_family != AF_INET6 || !IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr))
		return;
	memset(&s4, 0, sizeof(s4));
	s4.sin_family = AF_INET;
	s4.sin_port = s6->sin6_port;
	memcpy(&s4.sin_addr, &s6->sin6_addr.s6_addr[12], 4);
	memset(ss, 0, sizeof(*ss));
	memcpy(ss, &s4, sizeof(s4));
}

/* Is this a loopback address (127/8, ::1, ::ffff:127/104)? */
int
addr_loopback(const struct sockaddr_storage *ss)
{
	struct sockaddr_storage	 c = *ss;

	addr_canon(&c);
	if (c.ss_family == AF_INET)
		return ((ntohl(((struct sockaddr_in *)&c)->sin_addr.s_addr) >>
		    24) == 127);
	if (c.ss_family == AF_INET6)
		return (IN6_IS_ADDR_LOOPBACK(
		    &((struct sockaddr_in6 *)&c)->sin6_addr));
	return (0);
}

/* The port of a socket address, host order; 0 if none. */
unsigned int
addr_port(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return (ntohs(((const struct sockaddr_in *)ss)->sin_port));
	if (ss->ss_family == AF_INET6)
		return (ntohs(((const struct sockaddr_in6 *)ss)->sin6_port));
	return (0);
}

/*
 * Parse an IPv4 or IPv6 address, or such an address "/" a prefix
 * length, into c.  Returns 0, or -1 with *why.
 */
int
cidr_parse(const char *text, struct cidr *c, const char **why)
{
	char		 buf[INET6_ADDRSTRLEN + 8], *slash, *end;
	long		 bits;
	int		 max;

	memset(c, 0, sizeof(*c));
	if (strlen(text) >= sizeof(buf)) {
		*why = "too long";
		return (-1);
	}
	snprintf(buf, sizeof(buf), "%s", text);
	if ((slash = strchr(buf, '/')) != NULL)
		*slash++ = '\0';
	if (inet_pton(AF_INET, buf, c->addr) == 1) {
		c->family = AF_INET;
		max = 32;
	} else if (strchr(buf, ':') != NULL &&
	    inet_pton(AF_INET6, buf, c->addr) == 1) {
		c->family = AF_INET6;
		max = 128;
		if (IN6_IS_ADDR_V4MAPPED((struct in6_addr *)c->addr)) {
			*why = "write an IPv4-mapped address as IPv4";
			return (-1);
		}
	} else {
		*why = "not an IPv4 or IPv6 address";
		return (-1);
	}
	c->bits = max;
	if (slash != NULL) {
		if (*slash < '0' || *slash > '9' || (slash[0] == '0' &&
		    slash[1] != '\0')) {
			*why = "bad prefix length";
			return (-1);
		}
		bits = strtol(slash, &end, 10);
		if (*end != '\0' || bits > max) {
			*why = "bad prefix length";
			return (-1);
		}
		c->bits = (int)bits;
	}
	return (0);
}

/* Do the first bits bits of a and b agree? */
static int
prefix_eq(const unsigned char *a, const unsigned char *b, int bits)
{
	int	 full = bits / 8, rest = bits % 8;

	if (memcmp(a, b, full) != 0)
		return (0);
	return (rest == 0 ||
	    ((a[full] ^ b[full]) & (0xff << (8 - rest)) & 0xff) == 0);
}

/* Is the address in one of the n networks of c?  (v4-mapped is v4) */
int
cidr_match(const struct cidr *c, size_t n, const struct sockaddr_storage *ss)
{
	struct sockaddr_storage	 a = *ss;
	const unsigned char	*p;
	size_t			 i;

	addr_canon(&a);
	if (a.ss_family == AF_INET)
		p = (const unsigned char *)
		    &((struct sockaddr_in *)&a)->sin_addr;
	else if (a.ss_family == AF_INET6)
		p = ((struct sockaddr_in6 *)&a)->sin6_addr.s6_addr;
	else
		return (0);
	for (i = 0; i < n; i++)
		if (c[i].family == a.ss_family &&
		    prefix_eq(c[i].addr, p, c[i].bits))
			return (1);
	return (0);
}

/*
 * One address of X-Forwarded-For or Forwarded for= (s[0..n)): bare
 * IPv4 or IPv6, "[v6]", "[v6]:port" or "v4:port", quotes allowed.
 * Returns 0 or -1 ("unknown", obfuscated names, garbage).
 */
static int
parse_node(const char *s, size_t n, struct sockaddr_storage *ss)
{
	char		 buf[INET6_ADDRSTRLEN + 16], *e;
	struct sockaddr_in	*s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6	*s6 = (struct sockaddr_in6 *)ss;

	if (n >= 2 && s[0] == '"' && s[n - 1] == '"') {
		s++;
		n -= 2;
	}
	if (n == 0 || n >= sizeof(buf))
		return (-1);
	memcpy(buf, s, n);
	buf[n] = '\0';
	memset(ss, 0, sizeof(*ss));
	if (buf[0] == '[') {
		if ((e = strchr(buf, ']')) == NULL || (e[1] != '\0' &&
		    e[1] != ':'))
			return (-1);
		*e = '\0';
		if (inet_pton(AF_INET6, buf + 1, &s6->sin6_addr) != 1)
			return (-1);
		ss->ss_family = AF_INET6;
	} else if (inet_pton(AF_INET6, buf, &s6->sin6_addr) == 1)
		ss->ss_family = AF_INET6;
	else {
		if ((e = strchr(buf, ':')) != NULL)
			*e = '\0';	/* v4:port */
		if (inet_pton(AF_INET, buf, &s4->sin_addr) != 1)
			return (-1);
		ss->ss_family = AF_INET;
	}
	addr_canon(ss);
	return (0);
}

/*
 * The for= value of one Forwarded element (RFC 7239) in s[0..n), or
 * NULL with *len 0.
 */
static const char *
forwarded_for(const char *s, size_t n, size_t *len)
{
	const char	*p = s, *e = s + n, *v, *semi;

	*len = 0;
	while (p < e) {
		while (p < e && (*p == ' ' || *p == '\t'))
			p++;
		if ((semi = memchr(p, ';', e - p)) == NULL)
			semi = e;
		if (semi - p > 4 && !strncasecmp(p, "for=", 4)) {
			v = p + 4;
			for (*len = semi - v; *len > 0 && (v[*len - 1] == ' ' ||
			    v[*len - 1] == '\t'); (*len)--)
				;
			return (v);
		}
		p = semi + 1;
	}
	return (NULL);
}

/*
 * Walk the list header name (all its lines, in order) from the right:
 * skip trusted addresses, stop at the first untrusted one (*client).
 * Returns 1 when found, 0 when all were trusted (*client: the leftmost)
 * or the header is absent, -1 at an element that is no address
 * (*client: the last good one to its right, if any).  A quoted comma
 * inside a Forwarded element is not expected from a trusted proxy.
 */
static int
walk_list(const struct server *srv, const struct http_request *r,
    const char *name, int fwd, struct sockaddr_storage *client, int *seen)
{
	struct sockaddr_storage	 a;
	const char		*v, *s, *e, *p;
	size_t			 i, n;

	for (i = r->nhdr; i-- > 0; ) {
		if (strcasecmp(r->hdr[i].name, name) != 0)
			continue;
		v = r->hdr[i].value;
		for (e = v + strlen(v);; e = s - 1) {
			for (s = e; s > v && s[-1] != ','; s--)
				;
			p = s;
			n = e - s;
			while (n > 0 && (*p == ' ' || *p == '\t'))
				p++, n--;
			while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
				n--;
			if (n > 0) {
				if (fwd && (p = forwarded_for(p, n, &n)) == NULL)
					return (-1);
				if (parse_node(p, n, &a) == -1)
					return (-1);
				*client = a;
				*seen = 1;
				if (!cidr_match(srv->trusted, srv->ntrusted, &a))
					return (1);
			}
			if (s == v)
				break;
		}
	}
	return (0);
}

/*
 * Name the client of x: the peer, or behind a trusted proxy the
 * address its forwarding headers give.  Sets x->trusted, x->client and
 * x->clienttext.  Called once per request, after the head is parsed.
 */
void
ident_client(struct exchange *x)
{
	struct sockaddr_storage	 c;
	int			 seen = 0;

	x->client = x->peer;
	addr_canon(&x->client);
	x->trusted = x->srv->ntrusted > 0 &&
	    cidr_match(x->srv->trusted, x->srv->ntrusted, &x->peer);
	if (x->trusted) {
		c = x->client;
		if (http_header_get(x->req.hdr, x->req.nhdr,
		    "X-Forwarded-For") != NULL)
			walk_list(x->srv, &x->req, "X-Forwarded-For", 0, &c,
			    &seen);
		else
			walk_list(x->srv, &x->req, "Forwarded", 1, &c, &seen);
		if (seen)
			x->client = c;
	}
	addr_text((struct sockaddr *)&x->client, x->clienttext,
	    sizeof(x->clienttext));
}
