/*
 * ident.c and the Host/Origin checks of cors.c from tables: the
 * trusted_proxies address parser (bad rows outnumber good ones), which
 * client header fields reach the upstream, the client named behind
 * trusted proxies, and DNS rebinding on loopback connections.
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../mcpproxyd/mcpproxyd.h"
#include "unit.h"

static const struct {
	const char	*text;
	int		 family;	/* 0: must fail */
	int		 bits;
} cidrs[] = {
	{ "10.0.0.1", AF_INET, 32 },
	{ "10.0.0.0/8", AF_INET, 8 },
	{ "0.0.0.0/0", AF_INET, 0 },
	{ "::1", AF_INET6, 128 },
	{ "2001:db8::/32", AF_INET6, 32 },
	{ "fd00::/8", AF_INET6, 8 },
	{ "[::1]", 0, 0 },
	{ "10.0.0.0/33", 0, 0 },
	{ "::/129", 0, 0 },
	{ "10.0.0.0/", 0, 0 },
	{ "10.0.0.0/-1", 0, 0 },
	{ "10.0.0.0/+8", 0, 0 },
	{ "10.0.0.0/08", 0, 0 },
	{ "10.0.0.0/8/8", 0, 0 },
	{ "10.0.0.0/ 8", 0, 0 },
	{ "10.0.0.0/8x", 0, 0 },
	{ "10.0.0", 0, 0 },
	{ "10.0.0.256", 0, 0 },
	{ "010.0.0.1", 0, 0 },
	{ "0x7f.0.0.1", 0, 0 },
	{ "localhost", 0, 0 },
	{ "", 0, 0 },
	{ "/8", 0, 0 },
	{ "10.0.0.1:80", 0, 0 },
	{ "::ffff:10.0.0.1", 0, 0 },
	{ "2001:db8::g", 0, 0 },
	{ "1:2:3:4:5:6:7:8:9", 0, 0 },
	{ "10.0.0.0/99999999999999999999", 0, 0 },
	{ "*", 0, 0 },
};

/* Make a socket address of text (v4 or v6). */
static struct sockaddr_storage
sa(const char *text, unsigned short port)
{
	struct sockaddr_storage	 ss;
	struct sockaddr_in	*s4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6	*s6 = (struct sockaddr_in6 *)&ss;

	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, text, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
	} else if (inet_pton(AF_INET6, text, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
	}
	return (ss);
}

static void
test_cidr(void)
{
	struct cidr		 c[3];
	struct sockaddr_storage	 a;
	const char		*why;
	size_t			 i;

	for (i = 0; i < sizeof(cidrs) / sizeof(cidrs[0]); i++) {
		int rc = cidr_parse(cidrs[i].text, &c[0], &why);

		if (cidrs[i].family == 0)
			CHECK(rc == -1, "\"%s\" accepted", cidrs[i].text);
		else
			CHECK(rc == 0 && c[0].family == cidrs[i].family &&
			    c[0].bits == cidrs[i].bits, "\"%s\": rc %d bits %d",
			    cidrs[i].text, rc, c[0].bits);
	}
	cidr_parse("10.1.0.0/16", &c[0], &why);
	cidr_parse("2001:db8:1::/48", &c[1], &why);
	cidr_parse("192.0.2.7", &c[2], &why);
	a = sa("10.1.255.3", 0);
	CHECK(cidr_match(c, 3, &a), "10.1.255.3 in 10.1/16");
	a = sa("10.2.0.1", 0);
	CHECK(!cidr_match(c, 3, &a), "10.2.0.1 in 10.1/16");
	a = sa("::ffff:10.1.0.9", 0);
	CHECK(cidr_match(c, 3, &a), "v4-mapped 10.1.0.9 not in 10.1/16");
	a = sa("2001:db8:1:ffff::1", 0);
	CHECK(cidr_match(c, 3, &a), "2001:db8:1:ffff::1 not in /48");
	a = sa("2001:db8:2::1", 0);
	CHECK(!cidr_match(c, 3, &a), "2001:db8:2::1 in /48");
	a = sa("192.0.2.8", 0);
	CHECK(!cidr_match(c, 3, &a), "192.0.2.8 is 192.0.2.7");
	a = sa("::a01:1", 0);
	CHECK(!cidr_match(c, 3, &a), "v6 ::a01:1 matched an IPv4 network");
}

/* Header fields against a config with two policies. */
static const struct {
	const char	*name;
	int		 underscores;	/* underscores_in_headers */
	int		 trusted;
	int		 authroute;	/* the route has a policy */
	enum hdr_verdict want;
} fields[] = {
	{ "Accept", 0, 0, 1, HDR_KEEP },
	{ "Mcp-Session-Id", 0, 0, 1, HDR_KEEP },
	{ "X-Custom", 0, 0, 0, HDR_KEEP },
	{ "Authorization", 0, 0, 0, HDR_KEEP },	/* no policy: not ours */
	{ "X-Forwarded-Port", 0, 1, 0, HDR_KEEP },	/* trusted proxy */
	{ "Forwarded", 0, 1, 0, HDR_KEEP },
	{ "X-Real-IP", 0, 1, 0, HDR_KEEP },
	{ "My_Header", 1, 0, 0, HDR_KEEP },
	{ "Authorization", 0, 0, 1, HDR_DROP },
	{ "X-Auth-Subject", 0, 0, 1, HDR_DROP },
	{ "x-auth-subject", 0, 0, 0, HDR_DROP },	/* no policy: still */
	{ "X-AUTH-SCOPES", 0, 0, 0, HDR_DROP },
	{ "X-User", 0, 0, 1, HDR_DROP },		/* the other policy's */
	{ "X_Auth_Subject", 0, 0, 1, HDR_UNDERSCORE },
	{ "X_Auth_Subject", 1, 0, 1, HDR_DROP },
	{ "X_Auth-Scopes", 1, 1, 0, HDR_DROP },
	{ "x_user", 1, 0, 0, HDR_DROP },
	{ "My_Header", 0, 0, 0, HDR_UNDERSCORE },
	{ "Content_Length", 1, 0, 0, HDR_DROP },
	{ "Transfer_Encoding", 1, 0, 0, HDR_DROP },
	{ "X_Forwarded_For", 1, 1, 0, HDR_DROP },
	{ "X-Forwarded_Host", 1, 1, 0, HDR_DROP },
	{ "X_Real_IP", 1, 1, 0, HDR_DROP },
	{ "Mcp_Session_Id", 1, 0, 0, HDR_DROP },
	{ "mcp_protocol_version", 1, 0, 0, HDR_DROP },
	{ "Proxy_Authorization", 1, 0, 0, HDR_DROP },
	{ "Keep_Alive", 1, 0, 0, HDR_DROP },
	{ "Forwarded", 0, 0, 0, HDR_DROP },
	{ "X-Real-IP", 0, 0, 0, HDR_DROP },
	{ "x-real-ip", 0, 0, 1, HDR_DROP },
	{ "X-Forwarded-For", 0, 0, 0, HDR_DROP },
	{ "X-Forwarded-Proto", 0, 0, 0, HDR_DROP },
	{ "X-Forwarded-Host", 0, 0, 0, HDR_DROP },
	{ "X-Forwarded-Port", 0, 0, 0, HDR_DROP },
	{ "X-Forwarded-For", 0, 1, 0, HDR_DROP },	/* rewritten */
	{ "X-Forwarded-Proto", 0, 1, 0, HDR_DROP },
};

static void
test_fields(void)
{
	static struct config	 conf;
	static struct server	 srv;
	static struct route	 plain, prot;
	size_t			 i;

	conf.nauths = 2;
	conf.auths[0].subject_header = (char *)"X-Auth-Subject";
	conf.auths[0].scopes_header = (char *)"X-Auth-Scopes";
	conf.auths[1].subject_header = (char *)"X-User";
	prot.auth = &conf.auths[0];
	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		enum hdr_verdict v;

		srv.underscores = fields[i].underscores;
		v = header_verdict(&conf, &srv, fields[i].authroute ? &prot :
		    &plain, fields[i].name, fields[i].trusted);
		CHECK(v == fields[i].want, "row %zu \"%s\": %d, want %d", i,
		    fields[i].name, v, fields[i].want);
	}
	CHECK(header_name_eq("X_AUTH-subject", "x-auth_SUBJECT"), "eq");
	CHECK(!header_name_eq("X-Auth-Subjec", "X-Auth-Subject"), "prefix");
	CHECK(!header_name_eq("X.Auth.Subject", "X-Auth-Subject"), "dot");
}

/* The client named behind trusted 10.0.0.0/8 and ::1. */
static const struct {
	const char	*peer;
	const char	*fields;	/* extra header lines */
	const char	*want;
} clients[] = {
	{ "192.0.2.1", "X-Forwarded-For: 198.51.100.7\r\n", "192.0.2.1" },
	{ "192.0.2.1", "Forwarded: for=198.51.100.7\r\n", "192.0.2.1" },
	{ "10.0.0.2", "", "10.0.0.2" },
	{ "10.0.0.2", "X-Forwarded-For: 198.51.100.7\r\n", "198.51.100.7" },
	{ "10.0.0.2", "X-Forwarded-For: 203.0.113.9, 198.51.100.7, 10.3.3.3\r\n",
	    "198.51.100.7" },
	{ "10.0.0.2", "X-Forwarded-For: 203.0.113.9\r\nX-Forwarded-For: 10.1.1.1\r\n",
	    "203.0.113.9" },
	{ "10.0.0.2", "X-Forwarded-For: 10.9.9.9, 10.1.1.1\r\n", "10.9.9.9" },
	{ "10.0.0.2", "X-Forwarded-For: 198.51.100.7, garbage\r\n", "10.0.0.2" },
	{ "10.0.0.2", "X-Forwarded-For: garbage, 198.51.100.7\r\n", "198.51.100.7" },
	{ "10.0.0.2", "X-Forwarded-For: garbage, 10.5.5.5\r\n", "10.5.5.5" },
	{ "10.0.0.2", "X-Forwarded-For: 2001:db8::5\r\n", "2001:db8::5" },
	{ "10.0.0.2", "X-Forwarded-For: [2001:db8::5]:443\r\n", "2001:db8::5" },
	{ "10.0.0.2", "X-Forwarded-For: 198.51.100.7:5555\r\n", "198.51.100.7" },
	{ "10.0.0.2", "X-Forwarded-For: ::ffff:198.51.100.7\r\n", "198.51.100.7" },
	{ "10.0.0.2", "X-Forwarded-For:   , ,198.51.100.7 ,\r\n", "198.51.100.7" },
	{ "::1", "X-Forwarded-For: 198.51.100.7\r\n", "198.51.100.7" },
	{ "::ffff:10.0.0.2", "X-Forwarded-For: 198.51.100.7\r\n", "198.51.100.7" },
	{ "10.0.0.2", "Forwarded: for=198.51.100.7;proto=https\r\n", "198.51.100.7" },
	{ "10.0.0.2", "Forwarded: for=\"[2001:db8::5]:4711\", for=10.2.2.2\r\n",
	    "2001:db8::5" },
	{ "10.0.0.2", "Forwarded: proto=http;for=198.51.100.7\r\n", "198.51.100.7" },
	{ "10.0.0.2", "Forwarded: for=unknown\r\n", "10.0.0.2" },
	{ "10.0.0.2", "Forwarded: for=_hidden, for=10.2.2.2\r\n", "10.2.2.2" },
	{ "10.0.0.2", "Forwarded: by=10.0.0.2\r\n", "10.0.0.2" },
	/* X-Forwarded-For wins over Forwarded */
	{ "10.0.0.2", "Forwarded: for=203.0.113.1\r\nX-Forwarded-For: 198.51.100.7\r\n",
	    "198.51.100.7" },
	/* '_' spellings are not read */
	{ "10.0.0.2", "X_Forwarded_For: 198.51.100.7\r\n", "10.0.0.2" },
};

static void
test_clients(void)
{
	static struct server	 srv;
	static struct exchange	 x;
	static struct http_limits lim;
	static char		 head[1024];
	const char		*why;
	size_t			 i;

	cidr_parse("10.0.0.0/8", &srv.trusted[0], &why);
	cidr_parse("::1", &srv.trusted[1], &why);
	srv.ntrusted = 2;
	x.srv = &srv;
	for (i = 0; i < sizeof(clients) / sizeof(clients[0]); i++) {
		int n = snprintf(head, sizeof(head), "GET / HTTP/1.1\r\n"
		    "Host: a\r\n%s\r\n", clients[i].fields);

		if (http_parse_request(head, n, &lim, &x.req, &why) != 0) {
			CHECK(0, "row %zu: %s", i, why);
			continue;
		}
		x.peer = sa(clients[i].peer, 4444);
		ident_client(&x);
		CHECK(!strcmp(x.clienttext, clients[i].want),
		    "row %zu: client %s, want %s", i, x.clienttext,
		    clients[i].want);
	}
}

/* Host and Origin on loopback and other connections. */
static const struct {
	int		 loopback;
	int		 hosts;		/* allowed_hosts = example.com */
	int		 origins;	/* 0: "*" from CORS, 1: explicit "*" */
	const char	*host;
	const char	*origin;	/* NULL: none */
	int		 ok;
} rebind[] = {
	{ 1, 0, 0, "localhost:9000", NULL, 1 },
	{ 1, 0, 0, "127.0.0.1:9000", NULL, 1 },
	{ 1, 0, 0, "[::1]:9000", NULL, 1 },
	{ 1, 0, 0, "LOCALHOST:9000", NULL, 1 },
	{ 1, 0, 0, "localhost:9000", "http://localhost:6274", 1 },
	{ 1, 0, 0, "localhost:9000", "http://127.0.0.1:9000", 1 },
	{ 1, 0, 0, "localhost:9000", "https://[::1]", 1 },
	{ 1, 0, 1, "localhost:9000", "http://evil.example.com", 1 },
	{ 0, 0, 0, "evil.example.com", "http://evil.example.com", 1 },
	{ 1, 1, 0, "example.com", "http://evil.example.com", 1 },
	{ 1, 0, 0, "evil.example.com", NULL, 0 },
	{ 1, 0, 0, "evil.example.com:9000", "http://evil.example.com:9000", 0 },
	{ 1, 0, 0, "localhost:9001", NULL, 0 },
	{ 1, 0, 0, "localhost", NULL, 0 },
	{ 1, 0, 0, "localhost:", NULL, 0 },
	{ 1, 0, 0, "localhost:09000x", NULL, 0 },
	{ 1, 0, 0, "localhost.:9000", NULL, 0 },
	{ 1, 0, 0, "localhost.evil.example:9000", NULL, 0 },
	{ 1, 0, 0, "127.0.0.2:9000", NULL, 0 },
	{ 1, 0, 0, "[::2]:9000", NULL, 0 },
	{ 1, 0, 0, "0.0.0.0:9000", NULL, 0 },
	{ 1, 0, 0, "localhost:9000", "http://evil.example.com", 0 },
	{ 1, 0, 0, "localhost:9000", "http://localhost.evil.example.com", 0 },
	{ 1, 0, 0, "localhost:9000", "http://localhost@evil.example.com", 0 },
	{ 1, 0, 0, "localhost:9000", "null", 0 },
	{ 1, 0, 0, "localhost:9000", "file://localhost", 0 },
	{ 1, 0, 0, "localhost:9000", "http://localhost:x", 0 },
	{ 1, 1, 0, "evil.example.com", NULL, 0 },
};

static void
test_rebinding(void)
{
	static struct server	 srv;
	size_t			 i;

	for (i = 0; i < sizeof(rebind) / sizeof(rebind[0]); i++) {
		int ok;

		memset(&srv, 0, sizeof(srv));
		srv.allowed_origins.any = 1;
		srv.origins_set = rebind[i].origins;
		if (rebind[i].hosts) {
			srv.allowed_hosts.v[0] = (char *)"example.com";
			srv.allowed_hosts.n = 1;
		}
		ok = host_allowed(&srv, rebind[i].host, rebind[i].loopback,
		    9000) && origin_allowed(&srv, rebind[i].origin,
		    rebind[i].host, rebind[i].loopback, 0);
		CHECK(ok == rebind[i].ok, "row %zu: Host %s Origin %s: %d",
		    i, rebind[i].host, rebind[i].origin ? rebind[i].origin :
		    "-", ok);
	}
}

static void
test_loopback(void)
{
	struct sockaddr_storage	 a;

	a = sa("127.0.0.1", 9000);
	CHECK(addr_loopback(&a) && addr_port(&a) == 9000, "127.0.0.1");
	a = sa("127.8.9.10", 1);
	CHECK(addr_loopback(&a), "127.8.9.10");
	a = sa("::1", 1);
	CHECK(addr_loopback(&a), "::1");
	a = sa("::ffff:127.0.0.1", 1);
	CHECK(addr_loopback(&a), "::ffff:127.0.0.1");
	a = sa("128.0.0.1", 1);
	CHECK(!addr_loopback(&a), "128.0.0.1");
	a = sa("::", 1);
	CHECK(!addr_loopback(&a), "::");
	a = sa("0.0.0.0", 1);
	CHECK(!addr_loopback(&a), "0.0.0.0");
	a = sa("::ffff:10.0.0.1", 1);
	CHECK(!addr_loopback(&a), "::ffff:10.0.0.1");
}

/* Per-client counts: IPv4 by address, IPv6 by /64, v4-mapped as IPv4. */
static void
test_scoreboard(void)
{
	struct scoreboard	*sb = scoreboard_create(6);
	struct sockaddr_storage	 a;
	static const char	*busy[] = { "2001:db8:1:2::1", "2001:db8:1:2:ffff::9",
	    "2001:db8:1:3::1", "192.0.2.1", "192.0.2.2", "2001:db8:1:2::5" };
	int			 i;

	for (i = 0; i < 6; i++) {
		sb->slot[i].client = sa(busy[i], 1000 + i);
		addr_canon(&sb->slot[i].client);
		scoreboard_set(sb, i, i == 5 ? SLOT_IDLE : SLOT_STREAM);
	}
	/* counts read the slots the master forked into, no further */
	a = sa("192.0.2.2", 1);
	scoreboard_used(sb, 3);
	CHECK(scoreboard_conns_from(sb, &a) == 0, "slot 4 not forked into");
	CHECK(scoreboard_count(sb, SLOT_STREAM) == 4, "streams in slots 0-3: %d",
	    scoreboard_count(sb, SLOT_STREAM));
	sb->used = 1000000;	/* a worker's lie: no read past the slots made */
	CHECK(scoreboard_count(sb, SLOT_STREAM) == 5, "a lie clamped: %d",
	    scoreboard_count(sb, SLOT_STREAM));
	sb->used = -5;
	CHECK(scoreboard_count(sb, SLOT_STREAM) == 5, "a negative lie: %d",
	    scoreboard_count(sb, SLOT_STREAM));
	scoreboard_used(sb, 5);		/* the master writes its own count */
	CHECK(sb->used == 6, "used %d", sb->used);
	CHECK(scoreboard_spare(sb) == 1, "spare %d", scoreboard_spare(sb));
	a = sa("2001:db8:1:2:abcd::1", 1);
	CHECK(scoreboard_conns_from(sb, &a) == 2, "v6 /64: %d, want 2",
	    scoreboard_conns_from(sb, &a));
	CHECK(scoreboard_streams_from(sb, &a) == 2, "v6 /64 streams");
	a = sa("2001:db8:1:3::77", 1);
	CHECK(scoreboard_conns_from(sb, &a) == 1, "another /64");
	a = sa("192.0.2.1", 1);
	CHECK(scoreboard_conns_from(sb, &a) == 1, "v4 by address");
	a = sa("::ffff:192.0.2.2", 1);
	addr_canon(&a);
	CHECK(scoreboard_conns_from(sb, &a) == 1, "v4-mapped is v4");
	a = sa("192.0.2.3", 1);
	CHECK(scoreboard_conns_from(sb, &a) == 0, "v4 /24 not grouped");
}

int
main(void)
{
	test_cidr();
	test_fields();
	test_clients();
	test_rebinding();
	test_loopback();
	test_scoreboard();
	return (unit_done("mcpproxyd_ident"));
}
