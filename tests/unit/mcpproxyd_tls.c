/*
 * TLS: the configuration keys (a table, bad rows golden), the contexts
 * the master builds from the test PKI (tests/tls/mkca.sh), and real
 * handshakes over socket pairs between tls_accept() in a forked
 * "worker" and tls_connect(): SNI choosing the server, ALPN, protocol
 * floor, plain HTTP on a TLS port, upstream verification failures, and
 * ticket resumption across processes, rotations and the lifetime.
 */
#include <sys/types.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/ssl.h>

#include "../../mcpproxyd/mcpproxyd.h"
#include "../../mcpproxyd/tls.h"
#include "unit.h"
#include "unit_conftable.h"

#define HEAD	"[server s]\nlisten = 127.0.0.1:9443\nroute = /mcp http://127.0.0.1:8000/mcp\n"
#define CERT	"tls_certificate = /x/c.pem\ntls_key = /x/c.key\n"

static const struct conf_case cases[] = {
	/* good */
	{ HEAD CERT, NULL },
	{ HEAD CERT "tls_protocols = TLSv1.3\n", NULL },
	{ HEAD CERT "tls_protocols = TLSv1.2, TLSv1.3\ntls_groups = X25519\n"
	    "tls_ciphers = ECDHE-ECDSA-AES128-GCM-SHA256\n"
	    "tls_ciphersuites = TLS_AES_128_GCM_SHA256\n", NULL },
	{ "[mcpproxyd]\ntls_ticket_lifetime = 7200\ntls_ticket_rotate = 600\n"
	    "tls_log_failures = 0\n"
	    HEAD CERT, NULL },
	{ HEAD "route = /u https://mcp.example.com/mcp\n"
	    "upstream_tls_ca_file = /x/ca.pem\nupstream_tls_certificate = /x/c.pem\n"
	    "upstream_tls_key = /x/c.key\n", NULL },
	{ HEAD "allowed_hosts = a.test\n[server t]\nlisten = 127.0.0.1:9443\n"
	    "route = /mcp http://127.0.0.1:8000/mcp\nallowed_hosts = b.test\n", NULL },
	{ HEAD "allowed_hosts = s\n[server t]\nlisten = 127.0.0.1:9443\n"
	    "default_server = yes\nroute = /mcp http://127.0.0.1:8000/mcp\n", NULL },
	/* bad */
	{ HEAD CERT "tls_protocols = TLSv1.1\n", "t.conf:6: tls_protocols: TLSv1.1 is not accepted (only TLSv1.2 and TLSv1.3)" },
	{ HEAD CERT "tls_protocols = TLSv1.2 TLSv1\n", "t.conf:6: tls_protocols: TLSv1 is not accepted (only TLSv1.2 and TLSv1.3)" },
	{ HEAD CERT "tls_protocols = SSLv3\n", "t.conf:6: tls_protocols: SSLv3 is not accepted (only TLSv1.2 and TLSv1.3)" },
	{ HEAD CERT "tls_protocols = TLSv1.4\n", "t.conf:6: tls_protocols: unknown protocol \"TLSv1.4\" (TLSv1.2, TLSv1.3)" },
	{ HEAD CERT "tls_protocols = tlsv1.2\n", "t.conf:6: tls_protocols: unknown protocol \"tlsv1.2\" (TLSv1.2, TLSv1.3)" },
	{ HEAD CERT "tls_protocols = ,\n", "t.conf:6: tls_protocols: empty list" },
	{ HEAD CERT "tls_certificate = /y\n", "t.conf:6: \"tls_certificate\" given twice in [server s]" },
	{ HEAD "tls_certificate = /x/c.pem\n", "t.conf:1: [server s]: tls_certificate and tls_key go together" },
	{ HEAD "tls_key = /x/c.key\n", "t.conf:1: [server s]: tls_certificate and tls_key go together" },
	{ HEAD "tls_protocols = TLSv1.3\n", "t.conf:1: [server s]: tls_ keys without tls_certificate" },
	{ HEAD "tls_groups = X25519\n", "t.conf:1: [server s]: tls_ keys without tls_certificate" },
	{ HEAD CERT "tls_verify = no\n", "t.conf:6: tls_verify: certificate verification cannot be turned off" },
	{ HEAD "route = /u https://h/mcp\nupstream_tls_verify = no\n", "t.conf:5: upstream_tls_verify: certificate verification cannot be turned off" },
	{ HEAD CERT "tls_colour = blue\n", "t.conf:6: unknown key \"tls_colour\" in [server s]" },
	{ HEAD CERT "tls_ticket_lifetime = 60\n", "t.conf:6: tls_ticket_lifetime: set in [mcpproxyd] (one ring of ticket keys for all servers)" },
	{ HEAD CERT "tls_certificate_file = /y\n", "t.conf:6: unknown key \"tls_certificate_file\" in [server s]" },
	{ HEAD CERT "tls_groups =\n", "t.conf:6: tls_groups: empty value" },
	{ HEAD "upstream_tls_ca_file = /x/ca.pem\n", "t.conf:1: [server s]: upstream_tls_ keys without an https:// route or a protected one (auth=)" },
	{ HEAD "route = /u https://h/mcp\nupstream_tls_certificate = /x/c.pem\n", "t.conf:1: [server s]: upstream_tls_certificate and upstream_tls_key go together" },
	{ HEAD "route = /u https://h/mcp\nupstream_tls_key = /x/c.key\n", "t.conf:1: [server s]: upstream_tls_certificate and upstream_tls_key go together" },
	{ HEAD "route = /u ftp://h/mcp\n", "t.conf:4: route: upstream \"ftp://h/mcp\" must be an http:// or https:// URL" },
	{ HEAD "route = /u https://\n", "t.conf:4: route: no host in \"https://\"" },
	{ "[mcpproxyd]\ntls_ticket_lifetime = 4\n" HEAD, "t.conf:2: tls_ticket_lifetime: \"4\" is not a number from 5 to 604800" },
	{ "[mcpproxyd]\ntls_ticket_lifetime = 604801\n" HEAD, "t.conf:2: tls_ticket_lifetime: \"604801\" is not a number from 5 to 604800" },
	{ "[mcpproxyd]\ntls_log_failures = -1\n" HEAD, "t.conf:2: tls_log_failures: \"-1\" is not a number from 0 to 1000" },
	{ "[mcpproxyd]\ntls_log_failures = 1001\n" HEAD, "t.conf:2: tls_log_failures: \"1001\" is not a number from 0 to 1000" },
	{ "[mcpproxyd]\ntls_ticket_rotate = 0\n" HEAD, "t.conf:2: tls_ticket_rotate: \"0\" is not a number from 5 to 604800" },
	{ "[mcpproxyd]\ntls_ticket_rotate = 7200\n" HEAD, "t.conf: tls_ticket_rotate (7200) is above tls_ticket_lifetime (3600)" },
	{ "[mcpproxyd]\ntls_ticket_rotate = 60\n" HEAD, "t.conf: tls_ticket_lifetime (3600) is more than 15 times tls_ticket_rotate (60)" },
	{ HEAD "default_server = maybe\n", "t.conf:4: default_server: \"maybe\" is not yes or no" },
	{ HEAD "listen = 127.0.0.1:9443\n", "t.conf:4: listen: \"127.0.0.1:9443\" given twice" },
	{ HEAD CERT "[server t]\nlisten = 127.0.0.1:9443\nallowed_hosts = b\n"
	    "route = /mcp http://127.0.0.1:8000/mcp\n",
	    "t.conf:6: listen = 127.0.0.1:9443: [server s] and [server t] share it, and only one has a tls_certificate" },
	{ HEAD CERT "[server t]\nlisten = 127.0.0.1:9443\nallowed_hosts = b\n"
	    "route = /mcp http://127.0.0.1:8000/mcp\n" CERT "tls_protocols = TLSv1.3\n",
	    "t.conf:6: listen = 127.0.0.1:9443: [server s] and [server t] share it: give them the same tls_protocols, tls_ciphers, tls_ciphersuites and tls_groups" },
	{ HEAD "[server t]\nlisten = 127.0.0.1:9443\nroute = /mcp http://127.0.0.1:8000/mcp\n",
	    "t.conf:4: listen = 127.0.0.1:9443: [server t] is not the default server there, so it needs allowed_hosts (the names SNI and Host choose it by)" },
	{ HEAD "[server t]\nlisten = 127.0.0.1:9443\nallowed_hosts = *\nroute = /mcp http://127.0.0.1:8000/mcp\n",
	    "t.conf:4: listen = 127.0.0.1:9443: [server t] is not the default server there, so it needs allowed_hosts (the names SNI and Host choose it by)" },
	{ HEAD "default_server = yes\n[server t]\nlisten = 127.0.0.1:9443\ndefault_server = yes\n"
	    "route = /mcp http://127.0.0.1:8000/mcp\n",
	    "t.conf:5: listen = 127.0.0.1:9443: [server s] and [server t] are both default_server" },
};

static char	 pki[64];

/* Write text (with every %s the PKI directory) to t.conf and load it. */
static int
load(const char *text, struct config *conf, char *err, size_t errlen)
{
	char		 buf[4096];
	const char	*s;
	size_t		 n = 0;

	for (s = text; *s != '\0' && n + sizeof(pki) + 1 < sizeof(buf); s++)
		if (s[0] == '%' && s[1] == 's') {
			n += snprintf(buf + n, sizeof(buf) - n, "%s", pki);
			s++;
		} else if (s[0] == '%' && s[1] == '%') {
			buf[n++] = '%';
			s++;
		} else
			buf[n++] = *s;
	buf[n] = '\0';
	return (conf_load_text(buf, conf, err, errlen));
}

/* Which server an address shared by three chooses by name. */
static void
server_choice(void)
{
	struct config		 conf;
	const struct listener	*l;
	char			 err[1024];

	if (load("[server a]\nlisten = 127.0.0.1:9443\nallowed_hosts = a.test\n"
	    "route = /mcp http://127.0.0.1:8000/mcp\n"
	    "[server b]\nlisten = 127.0.0.1:9443\ndefault_server = yes\n"
	    "allowed_hosts = b.test\nroute = /mcp http://127.0.0.1:8000/mcp\n"
	    "[server c]\nlisten = 127.0.0.1:9443\nlisten = 127.0.0.1:9444\n"
	    "allowed_hosts = c.test, C2.test\nroute = /mcp http://127.0.0.1:8000/mcp\n",
	    &conf, err, sizeof(err)) == -1) {
		CHECK(0, "%s", err);
		return;
	}
	CHECK(conf.nlisteners == 2, "%zu listeners", conf.nlisteners);
	l = &conf.listeners[0];
	CHECK(l->nsrvs == 3 && !l->tls, "nsrvs %zu", l->nsrvs);
	CHECK(!strcmp(l->srv->name, "b"), "default %s", l->srv->name);
	CHECK(!strcmp(listener_server(l, "a.test", 6)->name, "a"), "a.test");
	CHECK(!strcmp(listener_server(l, "A.TEST", 6)->name, "a"), "A.TEST");
	CHECK(!strcmp(listener_server(l, "c2.test", 7)->name, "c"), "c2.test");
	CHECK(!strcmp(listener_server(l, "a.test.evil", 6)->name, "a"),
	    "length bounds the name");
	CHECK(!strcmp(listener_server(l, "a.tes", 5)->name, "b"), "a.tes");
	CHECK(!strcmp(listener_server(l, "x.test", 6)->name, "b"), "unknown");
	CHECK(!strcmp(listener_server(l, NULL, 0)->name, "b"), "no name");
	l = &conf.listeners[1];
	CHECK(l->nsrvs == 1 && !strcmp(l->srv->name, "c"), "9444");
	config_free(&conf);
	/* without default_server, the first in the file */
	if (load(HEAD "[server t]\nlisten = 127.0.0.1:9443\nallowed_hosts = t\n"
	    "route = /mcp http://127.0.0.1:8000/mcp\n", &conf, err,
	    sizeof(err)) == 0) {
		CHECK(!strcmp(conf.listeners[0].srv->name, "s"), "first");
		config_free(&conf);
	} else
		CHECK(0, "%s", err);
}

static const struct {
	const char	*text;
	const char	*err;	/* NULL: builds; else a substring */
} ctxcases[] = {
	/* good */
	{ HEAD "tls_certificate = %s/localhost.pem\ntls_key = %s/localhost.key\n", NULL },
	{ HEAD "tls_certificate = %s/localhost-rsa.pem\ntls_key = %s/localhost-rsa.key\n"
	    "tls_protocols = TLSv1.2\n", NULL },
	{ HEAD "route = /u https://localhost/mcp\nupstream_tls_ca_file = %s/ca.pem\n"
	    "upstream_tls_certificate = %s/client.pem\nupstream_tls_key = %s/client.key\n", NULL },
	{ HEAD "route = /u https://localhost/mcp\n", NULL },	/* system store */
	/* bad */
	{ HEAD "tls_certificate = %s/localhost.pem\ntls_key = %s/mismatch.key\n",
	    "[server s]: tls_key " },
	{ HEAD "tls_certificate = %s/localhost.pem\ntls_key = %s/a.test.key\n",
	    "a.test.key does not match tls_certificate " },
	{ HEAD "tls_certificate = %s/nope.pem\ntls_key = %s/localhost.key\n",
	    "nope.pem: No such file or directory" },
	{ HEAD "tls_certificate = %s/localhost.pem\ntls_key = %s/nope.key\n",
	    "nope.key: No such file or directory" },
	{ HEAD "tls_certificate = %s/localhost.key\ntls_key = %s/localhost.key\n",
	    "tls_certificate " },
	{ HEAD "tls_certificate = %s/localhost.pem\ntls_key = %s/localhost.pem\n",
	    "tls_key " },
	{ HEAD "tls_certificate = %s/localhost.pem\ntls_key = %s/localhost.key\n"
	    "tls_ciphers = AES128-SHA\n", "tls_ciphers: AES128-SHA is not accepted" },
	{ HEAD "tls_certificate = %s/localhost.pem\ntls_key = %s/localhost.key\n"
	    "tls_ciphers = ECDHE-RSA-AES128-SHA\n", "tls_ciphers: ECDHE-RSA-AES128-SHA is not accepted" },
	{ HEAD "tls_certificate = %s/localhost.pem\ntls_key = %s/localhost.key\n"
	    "tls_ciphers = NULL-SHA256\n", "tls_ciphers: " },
	{ HEAD "tls_certificate = %s/localhost.pem\ntls_key = %s/localhost.key\n"
	    "tls_ciphers = NOPE\n", "tls_ciphers: no cipher OpenSSL knows in \"NOPE\"" },
	{ HEAD "tls_certificate = %s/localhost.pem\ntls_key = %s/localhost.key\n"
	    "tls_ciphersuites = TLS_NOPE\n", "tls_ciphersuites: not a list" },
	{ HEAD "tls_certificate = %s/localhost.pem\ntls_key = %s/localhost.key\n"
	    "tls_groups = P-1\n", "tls_groups: not a list" },
	{ HEAD "route = /u https://localhost/mcp\nupstream_tls_ca_file = %s/nope.pem\n",
	    "upstream_tls_ca_file " },
	{ HEAD "route = /u https://localhost/mcp\nupstream_tls_ca_file = %s/localhost.key\n",
	    "upstream TLS: " },
	{ HEAD "route = /u https://localhost/mcp\nupstream_tls_certificate = %s/client.pem\n"
	    "upstream_tls_key = %s/mismatch.key\n", "mismatch.key does not match upstream_tls_certificate" },
	{ HEAD "route = /u https://localhost/mcp\nupstream_tls_certificate = %s/client.pem\n"
	    "upstream_tls_key = %s/nope.key\n", "nope.key: No such file or directory" },
};

/* tls_setup() on each row: builds, or fails with the row's words. */
static void
ctx_table(void)
{
	struct config	 conf;
	char		 err[1024];
	size_t		 i, bad = 0;
	int		 rc;

	for (i = 0; i < sizeof(ctxcases) / sizeof(ctxcases[0]); i++) {
		if (load(ctxcases[i].text, &conf, err, sizeof(err)) == -1) {
			CHECK(0, "ctx case %zu: config: %s", i, err);
			continue;
		}
		rc = tls_setup(&conf, err, sizeof(err));
		if (ctxcases[i].err == NULL)
			CHECK(rc == 0, "ctx case %zu: %s", i, err);
		else {
			bad++;
			CHECK(rc == -1 && strstr(err, ctxcases[i].err) != NULL,
			    "ctx case %zu: got \"%s\", want \"%s\"", i,
			    rc == 0 ? "(built)" : err, ctxcases[i].err);
			CHECK(conf.servers[0].tls.ctx == NULL &&
			    conf.servers[0].up_tls.ctx == NULL,
			    "ctx case %zu: a failed setup keeps a context", i);
		}
		config_free(&conf);
	}
	printf("contexts: %zu bad cases, %zu good\n", bad,
	    sizeof(ctxcases) / sizeof(ctxcases[0]) - bad);
}

/* What the server side of one handshake saw, sent back to the test. */
struct seen {
	int		 result;	/* enum tls_result */
	char		 server[16];
	char		 sni[256];
	char		 version[16];
	int		 reused;
};

/*
 * One handshake over a socket pair: tls_accept() on listener l in a
 * child (a worker), tls_connect() (or raw bytes when plain is set)
 * here.  Returns the client's result; *seen is the server's.
 */
static int
handshake(const struct listener *l, const struct route *rt, SSL_CTX *cctx,
    const char *plain, struct seen *seen, char *why, size_t whylen,
    int *reused)
{
	struct tls_conn	 t;
	int		 sv[2], pv[2], rc = -1, status;
	short		 want;
	char		 b[64];
	pid_t		 pid;
	ssize_t		 n;

	memset(seen, 0, sizeof(*seen));
	why[0] = '\0';
	*reused = 0;
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == -1 || pipe(pv) == -1)
		return (-1);
	if ((pid = fork()) == 0) {
		close(sv[1]);
		close(pv[0]);
		tls_tickets_worker();
		seen->result = tls_accept(&t, l, sv[0], "test",
		    conn_now_ms() + 5000);
		if (seen->result == TLS_OK) {
			snprintf(seen->server, sizeof(seen->server), "%s",
			    t.srv->name);
			snprintf(seen->sni, sizeof(seen->sni), "%s", t.sni);
			snprintf(seen->version, sizeof(seen->version), "%s",
			    tls_version(&t));
			seen->reused = SSL_session_reused(t.ssl);
			/* a byte, so the client reads the tickets */
			struct iovec iov = { (char *)"x", 1 };
			while (tls_writev(&t, &iov, 1, &want) == -1 &&
			    errno == EAGAIN)
				tls_wait(sv[0], want, conn_now_ms() + 5000);
			tls_close(&t);
		}
		(void)!write(pv[1], seen, sizeof(*seen));
		_exit(0);
	}
	close(sv[0]);
	close(pv[1]);
	if (plain != NULL) {
		(void)!write(sv[1], plain, strlen(plain));
		n = read(sv[1], b, sizeof(b) - 1);
		b[n > 0 ? n : 0] = '\0';
		snprintf(why, whylen, "%s", b);
		rc = TLS_PLAIN;
	} else {
		rc = tls_connect(&t, rt, cctx, sv[1], conn_now_ms() + 5000,
		    why, whylen);
		if (rc == TLS_OK) {
			*reused = SSL_session_reused(t.ssl);
			while ((n = tls_read(&t, b, 1, &want)) == -1 &&
			    errno == EAGAIN)
				tls_wait(sv[1], want, conn_now_ms() + 5000);
			if (n != 1)
				rc = -1;
			tls_close(&t);
		}
	}
	close(sv[1]);
	if (read(pv[0], seen, sizeof(*seen)) != sizeof(*seen))
		seen->result = -1;
	close(pv[0]);
	waitpid(pid, &status, 0);
	return (rc);
}

static const char pkiconf[] =
	"[mcpproxyd]\ntls_ticket_lifetime = 600\ntls_ticket_rotate = 300\n"
	"[server a]\nlisten = 127.0.0.1:9443\nallowed_hosts = a.test\n"
	"route = /mcp https://a.test/mcp\nupstream_tls_ca_file = %s/ca.pem\n"
	"tls_certificate = %s/a.test.pem\ntls_key = %s/a.test.key\n"
	"[server b]\nlisten = 127.0.0.1:9443\nallowed_hosts = b.test\n"
	"route = /mcp http://127.0.0.1:8000/mcp\n"
	"tls_certificate = %s/b.test.pem\ntls_key = %s/b.test.key\n"
	"[server ip]\nlisten = 127.0.0.1:9444\ndefault_server = yes\n"
	"route = /mcp http://127.0.0.1:8000/mcp\n"
	"tls_certificate = %s/ip.pem\ntls_key = %s/ip.key\n"
	"tls_protocols = TLSv1.3\n";

/* A listener of its own for a certificate of the PKI (upstream rows). */
static int
one_server(const char *name, struct config *conf)
{
	char	 text[1024], err[1024];

	snprintf(text, sizeof(text), HEAD "tls_certificate = %%s/%s.pem\n"
	    "tls_key = %%s/%s.key\n", name, name);
	if (load(text, conf, err, sizeof(err)) == -1 ||
	    tls_setup(conf, err, sizeof(err)) == -1) {
		CHECK(0, "%s: %s", name, err);
		return (-1);
	}
	return (0);
}

/*
 * The ticket ring as /proc/self/maps shows it: how many mappings, the
 * permissions and start of the last.
 */
static int
ring_maps(char *perms, unsigned long *start, unsigned long *end)
{
	FILE	*fp = fopen("/proc/self/maps", "r");
	char	 line[512];
	int	 n = 0;

	if (fp == NULL)
		return (-1);
	while (fgets(line, sizeof(line), fp) != NULL)
		if (strstr(line, "mcpproxyd-tickets") != NULL &&
		    sscanf(line, "%lx-%lx %4s", start, end, perms) == 3)
			n++;
	fclose(fp);
	return (n);
}

/*
 * The master's mapping of the ring is writable; a worker's, after
 * tls_tickets_worker(), is its only one, read-only, and cannot be
 * made writable again.
 */
static void
ring_readonly(void)
{
	struct {
		int		 n, eacces;
		char		 perms[8];
	} w;
	char		 perms[8];
	unsigned long	 a, b;
	int		 pv[2], status;
	pid_t		 pid;

	CHECK(ring_maps(perms, &a, &b) == 1 && perms[0] == 'r' &&
	    perms[1] == 'w' && perms[3] == 's', "master's ring: %s", perms);
	if (pipe(pv) == -1)
		return;
	if ((pid = fork()) == 0) {
		memset(&w, 0, sizeof(w));
		tls_tickets_worker();
		w.n = ring_maps(w.perms, &a, &b);
		w.eacces = mprotect((void *)a, b - a, PROT_READ | PROT_WRITE)
		    == -1 && errno == EACCES;
		(void)!write(pv[1], &w, sizeof(w));
		_exit(0);
	}
	close(pv[1]);
	if (read(pv[0], &w, sizeof(w)) != sizeof(w))
		w.n = -1;
	close(pv[0]);
	waitpid(pid, &status, 0);
	CHECK(w.n == 1 && !strcmp(w.perms, "r--s") && w.eacces,
	    "worker's ring: %d mappings, %s, mprotect writable %s", w.n,
	    w.perms, w.eacces ? "refused" : "allowed");
}

static void
handshakes(void)
{
	struct config	 conf, other;
	struct route	 ra = { .host = (char *)"a.test" },
			 rb = { .host = (char *)"b.test" },
			 rc_ = { .host = (char *)"c.test" },
			 rip = { .host = (char *)"127.0.0.1" },
			 rl = { .host = (char *)"localhost" };
	struct seen	 s;
	SSL_CTX		*cctx, *c12, *ch2;
	char		 err[1024], why[256];
	int		 rc, reused;
	static const char *bad[] = { "expired", "unknown", "a.test" };
	static const char *badwhy[] = { "certificate expired",
	    "certificate from an unknown CA", "certificate does not name "
	    "localhost" };
	size_t		 i;

	if (load(pkiconf, &conf, err, sizeof(err)) == -1 ||
	    tls_setup(&conf, err, sizeof(err)) == -1) {
		CHECK(0, "pki config: %s", err);
		return;
	}
	if (tls_tickets_init(&conf) == -1) {
		CHECK(0, "tls_tickets_init");
		return;
	}
	/* the floor does not rest on the system's OpenSSL settings */
	CHECK(SSL_CTX_get_min_proto_version(conf.servers[0].tls.ctx) ==
	    TLS1_2_VERSION && SSL_CTX_get_min_proto_version(
	    conf.servers[2].tls.ctx) == TLS1_3_VERSION, "protocol floor");
	CHECK(SSL_CTX_get_max_early_data(conf.servers[0].tls.ctx) == 0 &&
	    SSL_CTX_get_recv_max_early_data(conf.servers[0].tls.ctx) == 0,
	    "early data");
	CHECK(SSL_CTX_get_options(conf.servers[0].tls.ctx) &
	    SSL_OP_NO_RENEGOTIATION, "renegotiation");
	ring_readonly();
	cctx = conf.servers[0].up_tls.ctx;
	CHECK(cctx != NULL, "upstream context of [server a]");

	/* SNI chooses the server; each name verifies */
	rc = handshake(&conf.listeners[0], &ra, cctx, NULL, &s, why,
	    sizeof(why), &reused);
	CHECK(rc == TLS_OK && s.result == TLS_OK && !strcmp(s.server, "a") &&
	    !strcmp(s.sni, "a.test"), "a.test: %d %s %s", rc, why, s.server);
	CHECK(!reused && !s.reused, "first handshake resumed");
	rc = handshake(&conf.listeners[0], &rb, cctx, NULL, &s, why,
	    sizeof(why), &reused);
	CHECK(rc == TLS_OK && !strcmp(s.server, "b"), "b.test: %d %s %s", rc,
	    why, s.server);
	CHECK(!strcmp(s.version, "TLSv1.3"), "version %s", s.version);
	/* an unknown name: the default server's certificate, refused */
	rc = handshake(&conf.listeners[0], &rc_, cctx, NULL, &s, why,
	    sizeof(why), &reused);
	CHECK(rc == TLS_FAIL && strstr(why, "does not name c.test") &&
	    s.result == TLS_FAIL, "c.test: %d \"%s\"", rc, why);
	/* an address: no SNI, an IP SAN */
	rc = handshake(&conf.listeners[1], &rip, cctx, NULL, &s, why,
	    sizeof(why), &reused);
	CHECK(rc == TLS_OK && !strcmp(s.server, "ip") && s.sni[0] == '\0',
	    "127.0.0.1: %d %s sni \"%s\"", rc, why, s.sni);
	/* the IP certificate names no host: a name is refused */
	rc = handshake(&conf.listeners[1], &rl, cctx, NULL, &s, why,
	    sizeof(why), &reused);
	CHECK(rc == TLS_FAIL && strstr(why, "does not name localhost"),
	    "localhost on ip.pem: %d \"%s\"", rc, why);

	/*
	 * an address the certificate does not hold (a.test's, default);
	 * the session of [server ip] this route holds does not resume
	 * on [server a] (a session context per server)
	 */
	rc = handshake(&conf.listeners[0], &rip, cctx, NULL, &s, why,
	    sizeof(why), &reused);
	CHECK(rc == TLS_FAIL && strstr(why, "does not hold the IP address "
	    "127.0.0.1"), "127.0.0.1 on a.test.pem: %d \"%s\"", rc, why);

	/* resumption: a ticket from one process resumes in another */
	tls_client_forget(&ra);
	handshake(&conf.listeners[0], &ra, cctx, NULL, &s, why, sizeof(why),
	    &reused);
	rc = handshake(&conf.listeners[0], &ra, cctx, NULL, &s, why,
	    sizeof(why), &reused);
	CHECK(rc == TLS_OK && reused && s.reused, "resumed: %d %d %d %s", rc,
	    reused, s.reused, why);
	/* a server SNI chose (not the listener's default) resumes too */
	tls_client_forget(&rb);
	handshake(&conf.listeners[0], &rb, cctx, NULL, &s, why, sizeof(why),
	    &reused);
	rc = handshake(&conf.listeners[0], &rb, cctx, NULL, &s, why,
	    sizeof(why), &reused);
	CHECK(rc == TLS_OK && reused && s.reused && !strcmp(s.server, "b"),
	    "b.test resumed: %d %d %d %s %s", rc, reused, s.reused, s.server,
	    why);
	/* after a rotation (a reload) the old key still opens it */
	tls_client_forget(&ra);
	handshake(&conf.listeners[0], &ra, cctx, NULL, &s, why, sizeof(why),
	    &reused);
	tls_tickets_rotate(&conf, time(NULL), 1);
	rc = handshake(&conf.listeners[0], &ra, cctx, NULL, &s, why,
	    sizeof(why), &reused);
	CHECK(rc == TLS_OK && reused, "resumed after a rotation: %d %d", rc,
	    reused);
	/* past its lifetime (rotate + lifetime later), no resumption */
	tls_client_forget(&ra);
	handshake(&conf.listeners[0], &ra, cctx, NULL, &s, why, sizeof(why),
	    &reused);
	tls_tickets_rotate(&conf, time(NULL) + 901, 1);
	rc = handshake(&conf.listeners[0], &ra, cctx, NULL, &s, why,
	    sizeof(why), &reused);
	CHECK(rc == TLS_OK && !reused, "resumed past the lifetime: %d %d",
	    rc, reused);

	/* plain HTTP on a TLS port: a short 400 */
	rc = handshake(&conf.listeners[0], NULL, NULL,
	    "GET / HTTP/1.1\r\nHost: a.test\r\n\r\n", &s, why, sizeof(why),
	    &reused);
	CHECK(s.result == TLS_PLAIN && !strncmp(why, "HTTP/1.1 400 ", 13),
	    "plain: %d \"%.20s\"", s.result, why);

	/* TLS 1.2 to a TLSv1.3-only listener; TLS 1.2 to the others */
	c12 = SSL_CTX_new(TLS_client_method());
	SSL_CTX_set_max_proto_version(c12, TLS1_2_VERSION);
	SSL_CTX_load_verify_locations(c12, "ca.pem", NULL);
	SSL_CTX_set_verify(c12, SSL_VERIFY_PEER, NULL);
	rc = handshake(&conf.listeners[1], &rip, c12, NULL, &s, why,
	    sizeof(why), &reused);
	CHECK(rc == TLS_FAIL && s.result == TLS_FAIL, "1.2 to 1.3-only: %d",
	    rc);
	rc = handshake(&conf.listeners[0], &rb, c12, NULL, &s, why,
	    sizeof(why), &reused);
	CHECK(rc == TLS_OK && !strcmp(s.version, "TLSv1.2"), "1.2: %d %s %s",
	    rc, why, s.version);
	SSL_CTX_set_min_proto_version(c12, TLS1_VERSION);
	SSL_CTX_set_max_proto_version(c12, TLS1_1_VERSION);
	SSL_CTX_set_security_level(c12, 0);
	rc = handshake(&conf.listeners[0], &rb, c12, NULL, &s, why,
	    sizeof(why), &reused);
	CHECK(rc == TLS_FAIL && s.result == TLS_FAIL, "1.1: %d", rc);
	SSL_CTX_free(c12);

	/* ALPN: http/1.1 taken, h2 alone refused */
	ch2 = SSL_CTX_new(TLS_client_method());
	SSL_CTX_load_verify_locations(ch2, "ca.pem", NULL);
	SSL_CTX_set_alpn_protos(ch2, (const unsigned char *)"\x02h2", 3);
	rc = handshake(&conf.listeners[0], &rb, ch2, NULL, &s, why,
	    sizeof(why), &reused);
	CHECK(rc == TLS_FAIL, "h2 only: %d", rc);
	SSL_CTX_set_alpn_protos(ch2,
	    (const unsigned char *)"\x02h2\x08http/1.1", 12);
	rc = handshake(&conf.listeners[0], &rb, ch2, NULL, &s, why,
	    sizeof(why), &reused);
	CHECK(rc == TLS_OK, "h2, http/1.1: %d %s", rc, why);
	SSL_CTX_free(ch2);

	/* upstream refusals: expired, unknown CA, wrong name */
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (one_server(bad[i], &other) == -1)
			continue;
		rc = handshake(&other.listeners[0], &rl, cctx, NULL, &s, why,
		    sizeof(why), &reused);
		CHECK(rc == TLS_FAIL && strstr(why, badwhy[i]) != NULL,
		    "%s: %d \"%s\"", bad[i], rc, why);
		config_free(&other);
	}
	/* the right one, by the same client context */
	if (one_server("localhost", &other) == 0) {
		rc = handshake(&other.listeners[0], &rl, cctx, NULL, &s, why,
		    sizeof(why), &reused);
		CHECK(rc == TLS_OK, "localhost: %d \"%s\"", rc, why);
		config_free(&other);
	}
	tls_client_forget(&ra);
	tls_client_forget(&rl);
	config_free(&conf);
}

int
main(void)
{
	char		 dir[] = "/tmp/mcpproxyd-tls-XXXXXX", cmd[1024];
	const char	*top = getenv("TOP");

	if (mkdtemp(dir) == NULL || chdir(dir) == -1)
		return (2);
	signal(SIGPIPE, SIG_IGN);	/* as in the daemon */
	conf_table("config", cases, sizeof(cases) / sizeof(cases[0]), load);
	server_choice();
	snprintf(pki, sizeof(pki), "%s/pki", dir);
	snprintf(cmd, sizeof(cmd), "%s/tests/tls/mkca.sh %s >/dev/null",
	    top != NULL ? top : ".", pki);
	if (system(cmd) != 0) {
		CHECK(0, "%s failed", cmd);
		return (unit_done("mcpproxyd_tls"));
	}
	snprintf(cmd, sizeof(cmd), "cp %s/ca.pem ca.pem", pki);
	(void)!system(cmd);
	ctx_table();
	handshakes();
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	(void)!system(cmd);
	return (unit_done("mcpproxyd_tls"));
}
