/*
 * libFuzzer target: the whole authentication decision of a worker
 * (auth_decide in mcpproxyd/auth.c): the token cache, the key file
 * reader, the token check and the policy of a route, past the
 * signature.
 *
 * The input is a flags byte, the token's header JSON, a NUL byte and
 * its payload JSON (no NUL: the payload only, under the header
 * {"alg":"ES256","typ":"at+jwt","kid":"ec-1"}).  The harness signs
 * header.payload with an EC P-256 key generated at start, whose public
 * half is published for two issuers through the key file writer
 * (keyfile_build, keyfile_write) into a temporary key file that
 * auth_init maps as a worker does; the configuration is read by
 * config_load.  Flags: bits 0-1 the route (server one: /mcp, policy
 * pa of issuer a; server two, which has two issuers: /a (pa), /b (pb
 * of issuer b)), bit 2 signs with a second key the file does not hold
 * (a bad signature), bit 3 lets the unknown-kid path find its wait
 * budget spent (503) instead of taking the iat shortcut or a 1 ms wait.
 *
 * Each input is decided twice, as a first request and as its cache
 * hit.  Checked: a status in range; TOKEN_OK exactly when authed; the
 * subject and scopes passed on are printable ASCII within max_subject
 * and max_scopes (plus ISSUER: on server two), the same on both
 * decisions; nothing passed on otherwise; the slot's wait flag is
 * cleared again.  Dates of 2^63-1 and reals of 1e300 reach the
 * unknown-kid arithmetic (run under UBSan).
 */
#include <sys/stat.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>

#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "keyfile.h"
#include "log.h"
#include "../mcpproxyd/mcpproxyd.h"
#include "../mcpproxyd/token.h"

#include "b64url.h"
#include "require.h"

#define ISS_A		"https://auth.example/realms/test"
#define ISS_B		"https://other.example"
#define MAX_SUB		64
#define MAX_SCOPES	256
#define DEF_HDR		"{\"alg\":\"ES256\",\"typ\":\"at+jwt\",\"kid\":\"ec-1\"}"

int	LLVMFuzzerInitialize(int *, char ***);
int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static EVP_PKEY		*key, *other;
static struct config	 conf;
static struct scoreboard *sb;
static char		 dir[] = "/tmp/fuzz-auth.XXXXXX";

/* header.payload signed ES256 with k: a malloc'd NUL-terminated token. */
static char *
make_token(EVP_PKEY *k, const unsigned char *h, size_t hn,
    const unsigned char *p, size_t pn)
{
	unsigned char	 der[128], raw[64];
	const unsigned char *dp = der;
	size_t		 n, len = sizeof(der);
	EVP_MD_CTX	*ctx;
	ECDSA_SIG	*es;
	const BIGNUM	*r, *s;
	char		*t;

	if ((t = malloc((hn + pn + 64) * 4 / 3 + 16)) == NULL)
		abort();
	n = b64url(h, hn, t);
	t[n++] = '.';
	n += b64url(p, pn, t + n);
	if ((ctx = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, k) != 1 ||
	    EVP_DigestSign(ctx, der, &len, (unsigned char *)t, n) != 1)
		abort();
	EVP_MD_CTX_free(ctx);
	if ((es = d2i_ECDSA_SIG(NULL, &dp, (long)len)) == NULL)
		abort();
	ECDSA_SIG_get0(es, &r, &s);
	BN_bn2binpad(r, raw, 32);
	BN_bn2binpad(s, raw + 32, 32);
	ECDSA_SIG_free(es);
	t[n++] = '.';
	b64url(raw, 64, t + n);
	return (t);
}

static void
publish(const char *path)
{
	const struct keyfile_wissuer iss[] = {
		{ "a", ISS_A, 1750000000, 4102444800LL, NULL },
		{ "b", ISS_B, 1750000000, 4102444800LL, NULL },
	};
	struct keyfile_wkey	 wk[2];
	unsigned char		*img, *der = NULL;
	const char		*why;
	size_t			 len;
	int			 n;

	if ((n = i2d_PUBKEY(key, &der)) <= 0)
		abort();
	wk[0] = (struct keyfile_wkey){ 0, "ec-1", "ES256", der, (size_t)n };
	wk[1] = (struct keyfile_wkey){ 1, "ec-1", "ES256", der, (size_t)n };
	if (keyfile_build(1, 1750000000, iss, 2, wk, 2, &img, &len,
	    &why) == -1) {
		fprintf(stderr, "keyfile_build: %s\n", why);
		abort();
	}
	if (keyfile_write(path, (gid_t)-1, img, len) == -1)
		abort();
	free(img);
	OPENSSL_free(der);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char	 kpath[64], cpath[64], err[512];
	FILE	*fp;

	(void)argc;
	(void)argv;
	log_init("fuzz_auth", 1, 0);
	if ((key = EVP_EC_gen("P-256")) == NULL ||
	    (other = EVP_EC_gen("P-256")) == NULL || mkdtemp(dir) == NULL)
		abort();
	snprintf(kpath, sizeof(kpath), "%s/keys", dir);
	snprintf(cpath, sizeof(cpath), "%s/auth.conf", dir);
	publish(kpath);
	if ((fp = fopen(cpath, "w")) == NULL)
		abort();
	fprintf(fp, "[mcpproxyd]\nkid_wait_ms = 1\nkid_wait_max = 2\n"
	    "kid_wait_max_per_client = 1\nmax_subject = %d\n"
	    "max_scopes = %d\ntoken_cache = 64\n"
	    "[jwksd]\nkey_file = %s\ncontrol_socket = %s/nosock\n"
	    "[issuer a]\nissuer = " ISS_A "\n"
	    "audiences = https://mcp.example/mcp, echo-mcp-server\n"
	    "[issuer b]\nissuer = " ISS_B "\naudiences = echo-mcp-server\n"
	    "[auth pa]\nissuer = a\nrequired_scopes = mcp:tools\n"
	    "subject_header = X-Auth-Subject\nscopes_header = X-Auth-Scopes\n"
	    "leeway = 600\n"
	    "[auth pb]\nissuer = b\nmode = optional\n"
	    "[server one]\nlisten = 127.0.0.1:9000\n"
	    "route = /mcp http://127.0.0.1:8000/mcp auth=pa\n"
	    "[server two]\nlisten = 127.0.0.1:9001\n"
	    "route = /a http://127.0.0.1:8000/a auth=pa\n"
	    "route = /b http://127.0.0.1:8000/b auth=pb\n", MAX_SUB,
	    MAX_SCOPES, kpath, dir);
	fclose(fp);
	if (config_load(cpath, &conf, err, sizeof(err)) == -1) {
		fprintf(stderr, "config_load: %s\n", err);
		abort();
	}
	unlink(cpath);
	sb = scoreboard_create(4);
	auth_init(&conf);
	return (0);
}

/* Printable ASCII, NUL-terminated within n. */
static void
printable(const char *s, size_t n)
{
	size_t	 i, len;

	REQUIRE((len = strnlen(s, n)) < n);
	for (i = 0; i < len; i++)
		REQUIRE(s[i] >= 0x20 && s[i] <= 0x7e);
}

/* The request of slot 0, from 127.0.0.1, on route rt of server srv. */
static void
exchange(struct exchange *x, int srv, int rt, int busy)
{
	struct sockaddr_in	*sin = (struct sockaddr_in *)&x->peer;
	int			 i;

	memset(x, 0, sizeof(*x));
	x->conf = &conf;
	x->sb = sb;
	x->slot = 0;
	x->srv = &conf.servers[srv];
	x->rt = &conf.servers[srv].routes[rt];
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = htonl(0x7f000001);
	x->client = x->peer;	/* no trusted proxy: the peer is the client */
	for (i = 0; i < sb->nslots; i++) {
		sb->slot[i].client = x->peer;
		sb->slot[i].state = SLOT_READ;
		sb->slot[i].kid_wait = i > 0 && busy;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int	 routes[4][2] = { {0, 0}, {1, 0}, {1, 1},
				    {0, 0} };
	struct exchange		*x;
	struct auth_result	 r[2];
	const unsigned char	*h, *p, *nul;
	size_t			 hn, pn, n, start;
	char			*tok, first_sub[sizeof(x->sub)];
	char			*first_scope;
	int			 flags, pass, srv, rt;

	if (size < 1)
		return (0);
	flags = data[0];
	data++;
	size--;
	if ((nul = memchr(data, '\0', size)) != NULL) {
		h = data;
		hn = (size_t)(nul - data);
		p = nul + 1;
		pn = size - hn - 1;
	} else {
		h = (const unsigned char *)DEF_HDR;
		hn = strlen(DEF_HDR);
		p = data;
		pn = size;
	}
	tok = make_token(flags & 4 ? other : key, h, hn, p, pn);
	srv = routes[flags & 3][0];
	rt = routes[flags & 3][1];
	if ((x = malloc(sizeof(*x))) == NULL ||
	    (first_scope = malloc(sizeof(x->scope))) == NULL)
		abort();
	for (pass = 0; pass < 2; pass++) {
		exchange(x, srv, rt, flags & 8);
		auth_decide(x, tok, &r[pass]);
		REQUIRE(r[pass].status >= TOKEN_OK &&
		    r[pass].status <= TOKEN_INSUFFICIENT_SCOPE);
		REQUIRE(r[pass].why != NULL);
		REQUIRE(strlen(r[pass].hash) == 16);
		REQUIRE(sb->slot[0].kid_wait == 0);
		REQUIRE(!r[pass].busy || r[pass].status == TOKEN_UNKNOWN_KID);
		REQUIRE(x->authed == (r[pass].status == TOKEN_OK));
		printable(r[pass].sub, sizeof(r[pass].sub));
		if (!x->authed) {
			REQUIRE(x->sub[0] == '\0' && x->scope[0] == '\0');
			REQUIRE(!r[pass].cached);
			continue;
		}
		REQUIRE(r[pass].verified);
		printable(x->sub, sizeof(x->sub));
		printable(x->scope, sizeof(x->scope));
		n = strlen(x->sub);
		start = 0;
		if (srv == 1) {
			/* two issuers: NAME:sub */
			REQUIRE(strncmp(x->sub, rt == 0 ? "a:" : "b:", 2) ==
			    0);
			start = 2;
		}
		REQUIRE(n - start <= MAX_SUB);
		REQUIRE(n == start || (x->sub[start] != ' ' &&
		    x->sub[n - 1] != ' '));
		REQUIRE(strlen(x->scope) <= MAX_SCOPES);
		REQUIRE(x->scope[0] != ' ' && strstr(x->scope, "  ") ==
		    NULL);
		if (pass == 0) {
			memcpy(first_sub, x->sub, sizeof(first_sub));
			memcpy(first_scope, x->scope, sizeof(x->scope));
		} else if (r[0].status == TOKEN_OK) {
			REQUIRE(strcmp(first_sub, x->sub) == 0);
			REQUIRE(strcmp(first_scope, x->scope) == 0);
		}
	}
	if (getenv("FUZZ_VERBOSE") != NULL)
		fprintf(stderr, "auth: %s (%s)%s, then %s%s\n",
		    token_status_text(r[0].status), r[0].why,
		    r[0].busy ? " busy" : "", token_status_text(r[1].status),
		    r[1].cached ? " (cached)" : "");
	/*
	 * Valid at first and at once again, the cache hit or the check
	 * says the same (the clock may just have passed exp + leeway).
	 */
	if (r[0].status == TOKEN_OK)
		REQUIRE(r[1].status == TOKEN_OK ||
		    r[1].status == TOKEN_EXPIRED);
	free(first_scope);
	free(x);
	free(tok);
	return (0);
}
