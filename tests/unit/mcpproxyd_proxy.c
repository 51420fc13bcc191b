/*
 * The forwarded-request builder (build_request): every row is a client
 * head and the exact head the upstream must get.  Hop-by-hop and
 * Connection-listed fields, forged identity headers (any case, '_' for
 * '-'), Forwarded, X-Real-IP and X-Forwarded-* from an untrusted peer
 * must never pass; the route's path replaces its prefix and Host is
 * the upstream's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../mcpproxyd/mcpproxyd.h"
#include "unit.h"

/* route 0: /mcp -> /api on up:9000, auth "a"; route 1: / -> /base/ on up2 */
#define LINE0	"GET /api/x HTTP/1.1\r\nHost: up:9000\r\n"
#define LINE1	"GET /base/other/x HTTP/1.1\r\nHost: up2\r\n"
#define XF	"X-Forwarded-For: 192.0.2.7\r\nX-Forwarded-Proto: http\r\n" \
		"X-Forwarded-Host: h\r\n"
#define ID	"X-Auth-Subject: alice\r\nX-Auth-Scopes: read write\r\n"

static const struct {
	int		 route;
	int		 trusted;	/* peer in trusted_proxies */
	int		 underscores;	/* underscores_in_headers */
	int		 authed;	/* a verified token came */
	const char	*in;		/* fields after "Host: h" */
	const char	*want;		/* the upstream's head */
	unsigned long	 dropped;	/* '_' fields counted */
} cases[] = {
	/* good */
	{ 0, 0, 0, 0, "", LINE0 XF "\r\n", 0 },
	{ 0, 0, 0, 0, "Accept: text/event-stream\r\nMcp-Session-Id: s1\r\n",
	    LINE0 "Accept: text/event-stream\r\nMcp-Session-Id: s1\r\n" XF
	    "\r\n", 0 },
	{ 1, 0, 0, 0, "Authorization: Bearer t\r\n",	/* no auth */
	    LINE1 "Authorization: Bearer t\r\n" XF "\r\n", 0 },
	{ 0, 0, 0, 1, "", LINE0 ID XF "\r\n", 0 },
	{ 0, 0, 1, 0, "X_Custom: 1\r\n", LINE0 "X_Custom: 1\r\n" XF "\r\n",
	    0 },
	{ 0, 1, 0, 0, "X-Forwarded-For: 10.0.0.1\r\n"
	    "X-Forwarded-Proto: https\r\nX-Forwarded-Host: pub.example\r\n"
	    "X-Real-IP: 10.0.0.1\r\nForwarded: for=10.0.0.1\r\n"
	    "X-Forwarded-Port: 443\r\n",
	    LINE0 "X-Real-IP: 10.0.0.1\r\nForwarded: for=10.0.0.1\r\n"
	    "X-Forwarded-Port: 443\r\n"
	    "X-Forwarded-For: 10.0.0.1, 192.0.2.7\r\n"
	    "X-Forwarded-Proto: https\r\nX-Forwarded-Host: pub.example\r\n"
	    "\r\n", 0 },
	{ 0, 1, 0, 0,
	    "X-Forwarded-For: 10.0.0.1\r\nX-Forwarded-For: 10.0.0.2\r\n",
	    LINE0 "X-Forwarded-For: 10.0.0.1, 10.0.0.2, 192.0.2.7\r\n"
	    "X-Forwarded-Proto: http\r\nX-Forwarded-Host: h\r\n\r\n", 0 },

	/* bad: hop-by-hop and Connection-listed fields */
	{ 0, 0, 0, 0, "Connection: keep-alive, X-Secret\r\nX-Secret: 1\r\n"
	    "Keep-Alive: timeout=5\r\n", LINE0 XF "\r\n", 0 },
	{ 0, 0, 0, 0, "Connection: x-secret\r\nX-SECRET: 1\r\n",
	    LINE0 XF "\r\n", 0 },
	{ 0, 0, 0, 0, "Proxy-Connection: keep-alive\r\nTE: trailers\r\n"
	    "Trailer: X-T\r\nProxy-Authorization: Basic eA==\r\n"
	    "Proxy-Authenticate: x\r\n", LINE0 XF "\r\n", 0 },
	{ 0, 0, 0, 0, "Upgrade: websocket\r\n", LINE0 XF "\r\n", 0 },
	{ 0, 0, 0, 0, "Expect: 100-continue\r\n", LINE0 XF "\r\n", 0 },
	/* bad: the token is not passed on (pass_token off) */
	{ 0, 0, 0, 1, "Authorization: Bearer t\r\n", LINE0 ID XF "\r\n", 0 },
	{ 0, 0, 0, 0, "authorization: Bearer t\r\n", LINE0 XF "\r\n", 0 },
	/* bad: forged identity headers, any case, any policy's */
	{ 0, 0, 0, 0, "X-Auth-Subject: admin\r\nX-Auth-Scopes: all\r\n",
	    LINE0 XF "\r\n", 0 },
	{ 0, 0, 0, 1, "x-auth-subject: admin\r\nX-AUTH-SCOPES: all\r\n",
	    LINE0 ID XF "\r\n", 0 },
	{ 1, 0, 0, 0, "X-Auth-Subject: admin\r\n", LINE1 XF "\r\n", 0 },
	{ 0, 0, 0, 0, "X-Other-User: admin\r\n", LINE0 XF "\r\n", 0 },
	/* bad: '_' spellings, underscores off: dropped and counted */
	{ 0, 0, 0, 0, "X_Auth_Subject: admin\r\n", LINE0 XF "\r\n", 1 },
	{ 0, 0, 0, 0, "X_Custom: 1\r\nx_forwarded_for: 1.2.3.4\r\n",
	    LINE0 XF "\r\n", 2 },
	/* bad: '_' spellings, underscores on: guarded names still dropped */
	{ 0, 0, 1, 0, "X_Auth_Subject: admin\r\nx_auth_SCOPES: all\r\n",
	    LINE0 XF "\r\n", 0 },
	{ 0, 1, 1, 0, "X_Forwarded_For: 1.2.3.4\r\nX_Real_IP: 1.2.3.4\r\n"
	    "Mcp_Session_Id: s\r\nProxy_Authorization: x\r\n"
	    "Keep_Alive: 5\r\nLast_Event_ID: 7\r\nX_Forwarded_Host: e\r\n"
	    "Authorization_: x\r\nAuthoriz_ation: x\r\n",
	    LINE0 "Authorization_: x\r\nAuthoriz_ation: x\r\n"
	    "X-Forwarded-For: 192.0.2.7\r\nX-Forwarded-Proto: http\r\n"
	    "X-Forwarded-Host: h\r\n\r\n", 0 },
	/* bad: forwarding headers from an untrusted peer */
	{ 0, 0, 0, 0, "X-Forwarded-For: 10.0.0.1\r\n"
	    "X-Forwarded-Proto: https\r\nX-Forwarded-Host: evil.example\r\n"
	    "X-Real-IP: 10.0.0.1\r\nForwarded: for=10.0.0.1\r\n"
	    "X-Forwarded-Port: 443\r\nx-forwarded-prefix: /admin\r\n",
	    LINE0 XF "\r\n", 0 },
	{ 0, 0, 1, 0, "x_real_ip: 10.0.0.1\r\nFORWARDED: for=1\r\n",
	    LINE0 XF "\r\n", 0 },
	/* bad: a trusted proxy's protocol that is neither http nor https */
	{ 0, 1, 0, 0, "X-Forwarded-Proto: javascript\r\n"
	    "X-Forwarded-Host: \r\n", LINE0 XF "\r\n", 0 },
};

static const struct {
	const char	*in;		/* request line and body fields */
	size_t		 bodylen;
	const char	*want;
} bodies[] = {
	{ "POST /mcp HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n", 5,
	    "POST /api HTTP/1.1\r\nHost: up:9000\r\n" XF
	    "Content-Length: 5\r\n\r\n" },
	{ "POST /mcp HTTP/1.1\r\nHost: h\r\n"
	    "Transfer-Encoding: chunked\r\n", 3,
	    "POST /api HTTP/1.1\r\nHost: up:9000\r\n" XF
	    "Content-Length: 3\r\n\r\n" },
	{ "POST /mcp HTTP/1.1\r\nHost: h\r\n", 0,	/* no body: 0 */
	    "POST /api HTTP/1.1\r\nHost: up:9000\r\n" XF
	    "Content-Length: 0\r\n\r\n" },
	{ "GET /mcp?q=1 HTTP/1.1\r\nHost: h\r\n", 0,
	    "GET /api?q=1 HTTP/1.1\r\nHost: up:9000\r\n" XF "\r\n" },
	{ "DELETE /mcp/ HTTP/1.1\r\nHost: h\r\n", 0,
	    "DELETE /api/ HTTP/1.1\r\nHost: up:9000\r\n" XF "\r\n" },
};

static struct config	 conf;
static struct server	*srv;
static struct scoreboard *sb;

/* Two [auth] policies, a server with two routes, one scoreboard slot. */
static void
setup(void)
{
	struct route	*rt;

	conf.lim = (struct http_limits){ 8192, 65536, 100, 1 << 20 };
	conf.nauths = 2;
	conf.auths[0].name = (char *)"a";
	conf.auths[0].subject_header = (char *)"X-Auth-Subject";
	conf.auths[0].scopes_header = (char *)"X-Auth-Scopes";
	conf.auths[1].name = (char *)"b";
	conf.auths[1].subject_header = (char *)"X-Other-User";
	srv = &conf.servers[0];
	conf.nservers = 1;
	srv->nroutes = 2;
	rt = &srv->routes[0];
	rt->prefix = (char *)"/mcp";
	rt->prefixlen = 4;
	rt->path = (char *)"/api";
	rt->authority = (char *)"up:9000";
	rt->auth = &conf.auths[0];
	rt = &srv->routes[1];
	rt->prefix = (char *)"/";
	rt->prefixlen = 1;
	rt->path = (char *)"/base/";
	rt->authority = (char *)"up2";
	rt->index = 1;
	sb = scoreboard_create(1);
	scoreboard_used(sb, 0);	/* as the master forking into them */
}

/* Parse head into x as the worker would and build the upstream's head. */
static int
run(struct exchange *x, char *head, char *out, size_t size)
{
	const char	*why;
	int		 st;

	st = http_parse_request(head, strlen(head), &conf.lim, &x->req, &why);
	if (st != 0) {
		fprintf(stderr, "parse %d: %s\n", st, why);
		return (-2);
	}
	x->rt = route_find(srv, x->req.target, &why);
	if (x->rt == NULL)
		return (-2);
	return (build_request(x, out, size));
}

/* An exchange from 192.0.2.7, not trusted, not authenticated. */
static void
init_exchange(struct exchange *x)
{
	memset(x, 0, sizeof(*x));
	x->conf = &conf;
	x->sb = sb;
	x->slot = 0;
	x->srv = srv;
	snprintf(x->peertext, sizeof(x->peertext), "192.0.2.7");
	snprintf(x->clienttext, sizeof(x->clienttext), "192.0.2.7");
	snprintf(x->sub, sizeof(x->sub), "alice");
	snprintf(x->scope, sizeof(x->scope), "read write");
}

int
main(void)
{
	static struct exchange	 x;
	static char		 head[8192], out[16384];
	size_t			 i;
	int			 n;

	setup();
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		init_exchange(&x);
		x.trusted = cases[i].trusted;
		x.authed = cases[i].authed;
		srv->underscores = cases[i].underscores;
		sb->slot[0].underscores = 0;
		snprintf(head, sizeof(head), "GET %s HTTP/1.1\r\nHost: h\r\n"
		    "%s\r\n", cases[i].route ? "/other/x" : "/mcp/x",
		    cases[i].in);
		n = run(&x, head, out, sizeof(out));
		CHECK(n >= 0 && x.rt == &srv->routes[cases[i].route],
		    "row %zu: %d", i, n);
		if (n < 0)
			continue;
		out[n] = '\0';
		CHECK(strcmp(out, cases[i].want) == 0,
		    "row %zu: got\n%s---\nwant\n%s---", i, out, cases[i].want);
		CHECK(sb->slot[0].underscores == cases[i].dropped,
		    "row %zu: %lu dropped, want %lu", i,
		    sb->slot[0].underscores, cases[i].dropped);
	}
	for (i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		init_exchange(&x);
		srv->underscores = 0;
		x.bodylen = bodies[i].bodylen;
		snprintf(head, sizeof(head), "%s\r\n", bodies[i].in);
		n = run(&x, head, out, sizeof(out));
		CHECK(n >= 0, "body row %zu: %d", i, n);
		if (n < 0)
			continue;
		out[n] = '\0';
		CHECK(strcmp(out, bodies[i].want) == 0,
		    "body row %zu: got\n%s---\nwant\n%s---", i, out,
		    bodies[i].want);
	}
	/* too small a buffer: -1 at every size short of the head */
	init_exchange(&x);
	snprintf(head, sizeof(head), "GET /mcp/x HTTP/1.1\r\nHost: h\r\n"
	    "Accept: */*\r\n\r\n");
	n = run(&x, head, out, sizeof(out));
	CHECK(n > 0, "whole head: %d", n);
	for (i = 0; n > 0 && i <= (size_t)n; i++)
		CHECK(build_request(&x, out, i) == -1, "size %zu fits", i);
	return (unit_done("mcpproxyd_proxy"));
}
