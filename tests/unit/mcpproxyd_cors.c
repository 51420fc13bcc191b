/*
 * cors.c on tables: which Host and Origin values get in (with the
 * loopback rules against DNS rebinding), the exact CORS headers of an
 * answer and of a preflight, and which upstream headers the proxy owns.
 */
#include <stdio.h>
#include <string.h>

#include "../../mcpproxyd/mcpproxyd.h"
#include "unit.h"

/* servers: the configurations the rows name */
enum { S_NONE, S_HOSTS, S_ANYHOST, S_STAR, S_STARSET, S_LIST, S_CRED,
    S_HDRS, S_DEF, NSRV };

static struct server	 srvs[NSRV];

/* Fill l with a and b (NULL: none); "*" is the any of a list. */
static void
list(struct strlist *l, const char *a, const char *b)
{
	if (a != NULL && !strcmp(a, "*")) {
		l->any = 1;
		return;
	}
	if (a != NULL)
		l->v[l->n++] = (char *)a;
	if (b != NULL)
		l->v[l->n++] = (char *)b;
}

/* The servers, as config.c would leave them. */
static void
setup(void)
{
	int	 i;

	for (i = 0; i < NSRV; i++) {
		srvs[i].cors.methods = (char *)"GET, POST, DELETE";
		srvs[i].cors.expose = (char *)"Mcp-Session-Id";
		srvs[i].cors.max_age = 600;
	}
	/* S_NONE: nothing set */
	list(&srvs[S_HOSTS].allowed_hosts, "mcp.example", "::1");
	list(&srvs[S_ANYHOST].allowed_hosts, "*", NULL);
	/* cors_allow_origins = *, allowed_origins inherited */
	list(&srvs[S_STAR].cors.origins, "*", NULL);
	list(&srvs[S_STAR].allowed_origins, "*", NULL);
	list(&srvs[S_STAR].cors.headers, "*", NULL);
	/* allowed_origins = * set explicitly */
	list(&srvs[S_STARSET].cors.origins, "*", NULL);
	list(&srvs[S_STARSET].allowed_origins, "*", NULL);
	srvs[S_STARSET].origins_set = 1;
	list(&srvs[S_LIST].cors.origins, "https://app.example",
	    "http://localhost:3000");
	list(&srvs[S_LIST].allowed_origins, "https://app.example",
	    "http://localhost:3000");
	list(&srvs[S_CRED].cors.origins, "*", NULL);
	list(&srvs[S_CRED].allowed_origins, "*", NULL);
	srvs[S_CRED].cors.credentials = 1;
	list(&srvs[S_HDRS].cors.origins, "https://app.example", NULL);
	list(&srvs[S_HDRS].cors.headers, "Authorization", "Content-Type");
	/* cors_allow_origins = *, the other CORS keys left to defaults */
	list(&srvs[S_DEF].cors.origins, "*", NULL);
	list(&srvs[S_DEF].allowed_origins, "*", NULL);
	srvs[S_DEF].cors.expose = (char *)CORS_EXPOSE_DEFAULT;
}

static const struct {
	int		 srv;
	const char	*host;		/* NULL: no Host */
	int		 loopback;	/* to a loopback address */
	unsigned int	 port;		/* local port */
	int		 want;
} hosts[] = {
	/* good */
	{ S_NONE, "localhost:8080", 1, 8080, 1 },
	{ S_NONE, "LOCALHOST:8080", 1, 8080, 1 },
	{ S_NONE, "127.0.0.1:8080", 1, 8080, 1 },
	{ S_NONE, "[::1]:8080", 1, 8080, 1 },
	{ S_NONE, "localhost", 1, 80, 1 },
	{ S_NONE, NULL, 1, 8080, 1 },		/* HTTP/1.0: no name */
	{ S_NONE, "evil.example", 0, 8080, 1 },	/* not loopback: any */
	{ S_HOSTS, "mcp.example", 0, 8080, 1 },
	{ S_HOSTS, "MCP.example:443", 1, 8080, 1 },
	{ S_HOSTS, "[::1]:8080", 0, 8080, 1 },
	{ S_ANYHOST, "evil.example", 1, 8080, 1 },
	/* bad: DNS rebinding on loopback */
	{ S_NONE, "evil.example:8080", 1, 8080, 0 },
	{ S_NONE, "evil.example", 1, 80, 0 },
	{ S_NONE, "localhost:8081", 1, 8080, 0 },	/* another port */
	{ S_NONE, "localhost", 1, 8080, 0 },		/* means port 80 */
	{ S_NONE, "localhost:", 1, 8080, 0 },
	{ S_NONE, "localhost:8080x", 1, 8080, 0 },
	{ S_NONE, "localhost:+8080", 1, 8080, 0 },
	{ S_NONE, "localhost:-1", 1, 8080, 0 },
	{ S_NONE, "localhost.:8080", 1, 8080, 0 },
	{ S_NONE, "localhost.evil.example:8080", 1, 8080, 0 },
	{ S_NONE, "127.0.0.1.evil.example:8080", 1, 8080, 0 },
	{ S_NONE, "127.0.0.2:8080", 1, 8080, 0 },
	{ S_NONE, "127.1:8080", 1, 8080, 0 },
	{ S_NONE, "[::1]x:8080", 1, 8080, 0 },
	{ S_NONE, "[::2]:8080", 1, 8080, 0 },
	{ S_NONE, "[::1:8080", 1, 8080, 0 },
	{ S_NONE, "::1:8080", 1, 8080, 0 },
	{ S_NONE, "0.0.0.0:8080", 1, 8080, 0 },
	{ S_NONE, "", 1, 8080, 0 },
	{ S_NONE, "localhost:428080", 1, 428080 % 65536, 0 },
	/* bad: allowed_hosts */
	{ S_HOSTS, "evil.example", 0, 8080, 0 },
	{ S_HOSTS, "mcp.example.evil", 0, 8080, 0 },
	{ S_HOSTS, "xmcp.example", 0, 8080, 0 },
	{ S_HOSTS, "mcp.exampl", 0, 8080, 0 },
	{ S_HOSTS, NULL, 0, 8080, 0 },
	{ S_HOSTS, "localhost:8080", 1, 8080, 0 },	/* no loopback rule */
	{ S_HOSTS, "[::1", 0, 8080, 0 },
	{ S_HOSTS, "[::1:0]", 0, 8080, 0 },
	{ S_HOSTS, "[::11]", 0, 8080, 0 },
	{ S_HOSTS, "::1", 0, 8080, 0 },
};

static const struct {
	int		 srv;
	const char	*origin;	/* NULL: none */
	const char	*host;
	int		 loopback;
	int		 want;
	int		 https;		/* the connection is TLS */
} origins[] = {
	/* good */
	{ S_NONE, NULL, "h", 0, 1, 0 },
	{ S_NONE, "http://h:8080", "h:8080", 0, 1, 0 },	/* same origin */
	{ S_NONE, "https://h:8443", "h:8443", 0, 1, 1 },	/* on TLS */
	{ S_NONE, "HTTPS://H", "h", 0, 1, 1 },
	{ S_NONE, "HTTP://H:8080", "h:8080", 0, 1, 0 },
	{ S_NONE, "http://localhost:3000", "localhost:8080", 1, 1, 0 },
	{ S_NONE, "https://127.0.0.1", "localhost:8080", 1, 1, 0 },
	{ S_NONE, "http://[::1]:1", "localhost:8080", 1, 1, 0 },
	{ S_STAR, "https://any.example", "h", 0, 1, 0 },
	{ S_STARSET, "https://any.example", "localhost:8080", 1, 1, 0 },
	{ S_STAR, "http://localhost:5173", "localhost:8080", 1, 1, 0 },
	{ S_LIST, "https://app.example", "h", 1, 1, 0 },
	{ S_LIST, "HTTPS://APP.EXAMPLE", "h", 0, 1, 0 },
	/* bad: another origin */
	{ S_NONE, "http://evil.example", "h:8080", 0, 0, 0 },
	{ S_NONE, "https://h:8080", "h:8080", 0, 0, 0 },	/* not this hop */
	{ S_NONE, "http://h:8081", "h:8080", 0, 0, 0 },
	{ S_NONE, "http://h:8080/", "h:8080", 0, 0, 0 },
	{ S_NONE, "http://h:8080", NULL, 0, 0, 0 },
	{ S_NONE, "null", "h", 0, 0, 0 },
	{ S_NONE, "", "h", 0, 0, 0 },
	{ S_NONE, "http://localhost:3000", "h", 0, 0, 0 },	/* no loopback */
	{ S_LIST, "https://app.example.evil", "h", 0, 0, 0 },
	{ S_LIST, "https://app.exampl", "h", 0, 0, 0 },
	{ S_LIST, "http://app.example", "h", 0, 0, 0 },
	{ S_LIST, "http://localhost:3001", "h", 0, 0, 0 },
	/* bad: DNS rebinding, the inherited "*" is loopback only */
	{ S_STAR, "https://evil.example", "localhost:8080", 1, 0, 0 },
	{ S_STAR, "http://localhost.evil.example", "localhost:8080", 1, 0, 0 },
	{ S_STAR, "http://127.0.0.1.evil.example", "localhost:8080", 1, 0, 0 },
	{ S_STAR, "http://localhost:", "localhost:8080", 1, 0, 0 },
	{ S_STAR, "http://localhost:80x", "localhost:8080", 1, 0, 0 },
	{ S_STAR, "ftp://localhost", "localhost:8080", 1, 0, 0 },
	{ S_STAR, "http://[::1]evil", "localhost:8080", 1, 0, 0 },
	{ S_STAR, "http://127.0.0.2", "localhost:8080", 1, 0, 0 },
	{ S_STAR, "http://localhost/", "localhost:8080", 1, 0, 0 },
	{ S_NONE, "http://evil.example", "localhost:8080", 1, 0, 0 },
	{ S_LIST, "http://localhost:3001", "localhost:8080", 0, 0, 0 },
	/* the scheme is part of the origin: TLS is https, plain http */
	{ S_NONE, "http://h:8443", "h:8443", 0, 0, 1 },
	{ S_NONE, "https://h:8080", "h:8080", 0, 0, 0 },
	{ S_NONE, "https://h:8443x", "h:8443", 0, 0, 1 },
	{ S_NONE, "https://h", "h:8443", 0, 0, 1 },
};

#define ACAO(o)	"Access-Control-Allow-Origin: " o "\r\nVary: Origin\r\n"
#define EXPOSE	"Access-Control-Expose-Headers: Mcp-Session-Id\r\n"
#define CRED	"Access-Control-Allow-Credentials: true\r\n"
#define METH	"Access-Control-Allow-Methods: GET, POST, DELETE\r\n"
#define AGE	"Access-Control-Max-Age: 600\r\n"
#define AH(h)	"Access-Control-Allow-Headers: " h "\r\n"

static const struct {
	int		 srv;
	const char	*origin;
	const char	*want;		/* "": no headers */
} answers[] = {
	/* good */
	{ S_STAR, "https://a.example", ACAO("*") EXPOSE },
	{ S_LIST, "https://app.example", ACAO("https://app.example") EXPOSE },
	{ S_CRED, "https://a.example", ACAO("https://a.example") CRED EXPOSE },
	/* bad: no CORS headers */
	{ S_NONE, "https://a.example", "" },
	{ S_STAR, NULL, "" },
	{ S_LIST, NULL, "" },
	{ S_LIST, "https://evil.example", "" },
	{ S_LIST, "https://app.example.evil", "" },
	{ S_LIST, "http://app.example", "" },
	{ S_LIST, "null", "" },
	{ S_LIST, "", "" },
	{ S_HDRS, "http://localhost:3000", "" },
	/* the default exposes what MCP clients read (2026-07-28 too) */
	{ S_DEF, "https://a.example", ACAO("*") "Access-Control-Expose-"
	    "Headers: Mcp-Session-Id, MCP-Protocol-Version, Mcp-Method, "
	    "Mcp-Name, Last-Event-ID, WWW-Authenticate\r\n" },
};

static const struct {
	int		 srv;
	const char	*origin;
	const char	*req_headers;	/* Access-Control-Request-
					   Headers */
	const char	*want;		/* "": refused (403) */
} preflights[] = {
	/* good */
	{ S_STAR, "https://a.example", NULL, ACAO("*") METH AGE },
	{ S_STAR, "https://a.example", "authorization, content-type",
	    ACAO("*") METH AH("authorization, content-type") AGE },
	{ S_STAR, "https://a.example", "Mcp-Session-Id,X_Y",
	    ACAO("*") METH AH("Mcp-Session-Id,X_Y") AGE },
	{ S_HDRS, "https://app.example", "x-evil",
	    ACAO("https://app.example") METH
	    AH("Authorization, Content-Type") AGE },
	{ S_CRED, "https://a.example", NULL,
	    ACAO("https://a.example") CRED METH AGE },
	/* bad: headers not echoed */
	{ S_STAR, "https://a.example", "x\r\nSet-Cookie: a=b",
	    ACAO("*") METH AGE },
	{ S_STAR, "https://a.example", "x-a:b", ACAO("*") METH AGE },
	{ S_STAR, "https://a.example", "x;y", ACAO("*") METH AGE },
	{ S_STAR, "https://a.example", "x\ty", ACAO("*") METH AGE },
	{ S_STAR, "https://a.example", "\"x\"", ACAO("*") METH AGE },
	{ S_STAR, "https://a.example", "x/y", ACAO("*") METH AGE },
	{ S_STAR, "https://a.example", "", ACAO("*") METH AGE },
	/* bad: refused */
	{ S_NONE, "https://a.example", NULL, "" },
	{ S_STAR, NULL, NULL, "" },
	{ S_LIST, "https://evil.example", "authorization", "" },
	{ S_HDRS, "https://app.example.evil", NULL, "" },
	{ S_HDRS, "HTTPS://APP.EXAMPLE/", NULL, "" },
	/* default allow list: the MCP request headers asked for */
	{ S_DEF, "https://a.example", "authorization, content-type, "
	    "mcp-protocol-version", ACAO("*") METH
	    AH("authorization, content-type, mcp-protocol-version") AGE },
	{ S_DEF, "https://a.example", "Mcp-Method,Mcp-Name,Mcp-Param-Region",
	    ACAO("*") METH AH("Mcp-Method, Mcp-Name, Mcp-Param-Region") AGE },
	{ S_DEF, "https://a.example", "Last-Event-ID, Mcp-Session-Id, Accept",
	    ACAO("*") METH AH("Last-Event-ID, Mcp-Session-Id, Accept") AGE },
	/* bad: only the MCP ones, or none */
	{ S_DEF, "https://a.example", "authorization, x-evil",
	    ACAO("*") METH AH("authorization") AGE },
	{ S_DEF, "https://a.example", "x-evil", ACAO("*") METH AGE },
	{ S_DEF, "https://a.example", "cookie", ACAO("*") METH AGE },
	{ S_DEF, "https://a.example", "Mcp-Param-", ACAO("*") METH AGE },
	{ S_DEF, "https://a.example", "Mcp-Methods", ACAO("*") METH AGE },
	{ S_DEF, "https://a.example", "Mcp-Paramx-A", ACAO("*") METH AGE },
	{ S_DEF, "https://a.example", "Mcp_Method", ACAO("*") METH AGE },
	{ S_DEF, "https://a.example", "Mcp-Method\r\nSet-Cookie: a=b",
	    ACAO("*") METH AGE },
	{ S_DEF, "https://a.example", "Mcp-Name;x", ACAO("*") METH AGE },
	{ S_DEF, "https://a.example", "", ACAO("*") METH AGE },
};

static const struct {
	const char	*name;
	int		 want;
} owned[] = {
	{ "Access-Control-Allow-Origin", 1 },
	{ "access-control-allow-credentials", 1 },
	{ "ACCESS-CONTROL-EXPOSE-HEADERS", 1 },
	{ "Access-Control-Max-Age", 1 },
	{ "Access-Control-X", 1 },
	{ "Access-Control-", 1 },
	{ "Access-Control", 0 },
	{ "Access-Controls-Allow-Origin", 0 },
	{ "Access_Control_Allow_Origin", 0 },
	{ "X-Access-Control-Allow-Origin", 0 },
	{ "Vary", 0 },
	{ "Content-Type", 0 },
	{ "", 0 },
};

int
main(void)
{
	char	 buf[2048], small[40];
	size_t	 i, n;

	setup();
	for (i = 0; i < sizeof(hosts) / sizeof(hosts[0]); i++)
		CHECK(host_allowed(&srvs[hosts[i].srv], hosts[i].host,
		    hosts[i].loopback, hosts[i].port) == hosts[i].want,
		    "host row %zu: \"%s\"", i, hosts[i].host ? hosts[i].host :
		    "(none)");
	for (i = 0; i < sizeof(origins) / sizeof(origins[0]); i++)
		CHECK(origin_allowed(&srvs[origins[i].srv], origins[i].origin,
		    origins[i].host, origins[i].loopback, origins[i].https) ==
		    origins[i].want,
		    "origin row %zu: \"%s\"", i, origins[i].origin ?
		    origins[i].origin : "(none)");
	for (i = 0; i < sizeof(answers) / sizeof(answers[0]); i++) {
		memset(buf, 'x', sizeof(buf));
		n = cors_headers(&srvs[answers[i].srv], answers[i].origin, buf,
		    sizeof(buf));
		CHECK(n == strlen(answers[i].want) &&
		    !memcmp(buf, answers[i].want, n),
		    "answer row %zu: got %zu \"%.*s\"", i, n, (int)n, buf);
	}
	for (i = 0; i < sizeof(preflights) / sizeof(preflights[0]); i++) {
		memset(buf, 'x', sizeof(buf));
		n = cors_preflight(&srvs[preflights[i].srv],
		    preflights[i].origin, preflights[i].req_headers, buf,
		    sizeof(buf));
		CHECK(n == strlen(preflights[i].want) &&
		    !memcmp(buf, preflights[i].want, n),
		    "preflight row %zu: got %zu \"%.*s\"", i, n, (int)n, buf);
	}
	/* too small a buffer: nothing, never a cut header */
	CHECK(cors_headers(&srvs[S_LIST], "https://app.example", small,
	    sizeof(small)) == 0, "cors_headers in %zu bytes", sizeof(small));
	CHECK(cors_preflight(&srvs[S_LIST], "https://app.example", NULL,
	    small, sizeof(small)) == 0, "preflight in %zu bytes",
	    sizeof(small));
	for (i = 0; i < sizeof(owned) / sizeof(owned[0]); i++)
		CHECK(cors_header_owned(owned[i].name) == owned[i].want,
		    "owned row %zu: \"%s\"", i, owned[i].name);
	return (unit_done("mcpproxyd_cors"));
}
