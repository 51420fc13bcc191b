/*
 * The authentication decision (auth_decide) as a worker runs it, on a
 * configuration read by config_load and a key file published with the
 * key file writer: claims passed whole, the same on a first request and
 * on a cache hit; the token cache kept across a republication of the
 * same keys and emptied by a new key; ISSUER:sub with two issuers on a
 * server; the unknown-kid wait budget counted on a scoreboard; an
 * unverified iat of 2^63-1 with an unknown kid (no overflow: run it on
 * the sanitizer build).
 */
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
#include "../../mcpproxyd/mcpproxyd.h"
#include "../../mcpproxyd/token.h"
#include "unit.h"

#include "unit_es256.h"

static char		 dir[] = "/tmp/auth-test.XXXXXX";

static struct config	 conf;
static struct scoreboard *sb;

/* A request on server srv, route rt, from 127.0.0.X. */
static void
exchange(struct exchange *x, size_t srv, size_t rt, int client)
{
	struct sockaddr_in	*sin = (struct sockaddr_in *)&x->peer;

	memset(x, 0, sizeof(*x));
	x->conf = &conf;
	x->sb = sb;
	x->slot = 0;
	x->srv = &conf.servers[srv];
	x->rt = &conf.servers[srv].routes[rt];
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = htonl(0x7f000000 | (uint32_t)client);
	x->client = x->peer;	/* no trusted proxy: the peer is the client */
	sb->slot[0].client = x->client;
	sb->slot[0].state = SLOT_READ;
}

#define SCOPE_300	"mcp:tools mcp:tools:readonly a:0123456789 " \
	"b:0123456789 c:0123456789 d:0123456789 e:0123456789 f:0123456789 " \
	"g:0123456789 h:0123456789 i:0123456789 j:0123456789 k:0123456789 " \
	"l:0123456789 m:0123456789 n:0123456789 o:0123456789 p:0123456789 " \
	"q:0123456789 r:0123456789 s:0123456789 t:0123456789 u:0123456789"

/* Claim rows: a first request and its cache hit pass the same values. */
static void
test_claims(void)
{
	static const struct {
		const char	*claims;
		int		 want;		/* token status */
		const char	*sub, *scope;
	} rows[] = {
		{ "\"sub\":\"alice\",\"scope\":\"" SCOPE_300 "\"", TOKEN_OK,
		    "alice", SCOPE_300 },
		{ "\"sub\":\"0123456789012345678901234567890123456789012345678"
		    "901234567890123\",\"scope\":\"mcp:tools\"", TOKEN_OK,
		    "0123456789012345678901234567890123456789012345678901234"
		    "567890123", "mcp:tools" },
		{ "\"sub\":\"bob\",\"scp\":[\"mcp:tools\",\"x:y\"]", TOKEN_OK,
		    "bob", "mcp:tools x:y" },
		{ "\"sub\":\"ad\\u0007min\",\"scope\":\"mcp:tools\"",
		    TOKEN_BAD_CLAIM, NULL, NULL },
		{ "\"sub\":\"ad\\u00e9min\",\"scope\":\"mcp:tools\"",
		    TOKEN_BAD_CLAIM, NULL, NULL },
		{ "\"sub\":\"admin \",\"scope\":\"mcp:tools\"",
		    TOKEN_BAD_CLAIM, NULL, NULL },
		{ "\"sub\":\"01234567890123456789012345678901234567890123456789"
		    "012345678901234\",\"scope\":\"mcp:tools\"", TOKEN_BAD_CLAIM,
		    NULL, NULL },
		{ "\"sub\":\"alice\",\"scope\":\"" SCOPE_300 " " SCOPE_300
		    " " SCOPE_300 " " SCOPE_300 "\"", TOKEN_BAD_CLAIM, NULL,
		    NULL },
		{ "\"sub\":\"alice\",\"scope\":\"mcp:tools\\r\\nX-Admin: 1\"",
		    TOKEN_BAD_CLAIM, NULL, NULL },
	};
	struct exchange		 x;
	struct auth_result	 r;
	char			*pay, *tok;
	size_t			 i;
	int			 pass;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		pay = payload(ISS_A, rows[i].claims);
		tok = sign_es256(key1, "k1", pay);
		for (pass = 0; pass < 2; pass++) {
			exchange(&x, 0, 0, 1);
			auth_decide(&x, tok, &r);
			CHECK(r.status == rows[i].want, "row %zu pass %d: "
			    "status %d (%s), want %d", i, pass, r.status,
			    r.why, rows[i].want);
			if (rows[i].want != TOKEN_OK) {
				CHECK(!x.authed && x.sub[0] == '\0' &&
				    x.scope[0] == '\0', "row %zu: passed", i);
				continue;
			}
			CHECK(r.cached == pass, "row %zu pass %d: cached %d",
			    i, pass, r.cached);
			CHECK(x.authed && strcmp(x.sub, rows[i].sub) == 0,
			    "row %zu pass %d: sub \"%s\"", i, pass, x.sub);
			CHECK(strcmp(x.scope, rows[i].scope) == 0,
			    "row %zu pass %d: scope \"%s\"", i, pass,
			    x.scope);
		}
		free(tok);
		free(pay);
	}
}

/* The cache outlives a republication of the same keys, not a new key. */
static void
test_generation(void)
{
	struct exchange		 x;
	struct auth_result	 r;
	char			*pay, *tok;

	pay = payload(ISS_A, "\"sub\":\"carol\",\"scope\":\"mcp:tools\"");
	tok = sign_es256(key1, "k1", pay);
	exchange(&x, 0, 0, 1);
	auth_decide(&x, tok, &r);
	CHECK(r.status == TOKEN_OK && !r.cached, "first: %s", r.why);
	auth_decide(&x, tok, &r);
	CHECK(r.status == TOKEN_OK && r.cached, "second: %s", r.why);
	/* a refetch that found the same keys: new serial, times, metadata */
	publish(0, time(NULL) + 1, "{\"issuer\":\"" ISS_A "\"}");
	auth_decide(&x, tok, &r);
	CHECK(r.status == TOKEN_OK && r.cached, "same keys republished: "
	    "cached %d (%s)", r.cached, r.why);
	publish(0, time(NULL) + 2, NULL);
	auth_decide(&x, tok, &r);
	CHECK(r.status == TOKEN_OK && r.cached, "metadata dropped: cached "
	    "%d", r.cached);
	/* a new key: every token is checked again */
	publish(1, time(NULL) + 3, NULL);
	auth_decide(&x, tok, &r);
	CHECK(r.status == TOKEN_OK && !r.cached, "new key: cached %d",
	    r.cached);
	auth_decide(&x, tok, &r);
	CHECK(r.status == TOKEN_OK && r.cached, "new key, again: cached %d",
	    r.cached);
	free(tok);
	free(pay);
}

/* Two issuers on a server: the subject names its issuer. */
static void
test_issuers(void)
{
	struct exchange		 x;
	struct auth_result	 r;
	char			*pay, *tok;
	int			 pass;

	pay = payload(ISS_B, "\"sub\":\"dave\",\"scope\":\"mcp:tools\"");
	tok = sign_es256(key1, "k1", pay);
	for (pass = 0; pass < 2; pass++) {
		exchange(&x, 1, 1, 1);
		auth_decide(&x, tok, &r);
		CHECK(r.status == TOKEN_OK && strcmp(x.sub, "b:dave") == 0,
		    "two issuers, pass %d: %s sub \"%s\"", pass, r.why,
		    x.sub);
	}
	free(tok);
	free(pay);
	pay = payload(ISS_A, "\"sub\":\"dave\",\"scope\":\"mcp:tools\"");
	tok = sign_es256(key1, "k1", pay);
	exchange(&x, 1, 0, 1);
	auth_decide(&x, tok, &r);
	CHECK(r.status == TOKEN_OK && strcmp(x.sub, "a:dave") == 0,
	    "two issuers: sub \"%s\"", x.sub);
	/* one issuer on the server: the sub as it is */
	exchange(&x, 0, 0, 1);
	auth_decide(&x, tok, &r);
	CHECK(r.status == TOKEN_OK && strcmp(x.sub, "dave") == 0,
	    "one issuer: sub \"%s\"", x.sub);
	free(tok);
	free(pay);
}

/* Slot i waits for jwksd for client 127.0.0.c (0: not waiting). */
static void
waiter(int i, int c)
{
	struct sockaddr_in	*sin = (struct sockaddr_in *)&sb->slot[i].client;

	memset(&sb->slot[i].client, 0, sizeof(sb->slot[i].client));
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = htonl(0x7f000000 | (uint32_t)c);
	sb->slot[i].state = c ? SLOT_READ : SLOT_IDLE;
	sb->slot[i].kid_wait = c != 0;
}

/* The unknown-kid budget, and dates no sum can overflow. */
static void
test_budget(void)
{
	struct exchange		 x;
	struct auth_result	 r;
	char			*pay, *tok, *big, *bigtok;
	int			 i;

	pay = payload(ISS_A, "\"sub\":\"eve\",\"scope\":\"mcp:tools\"");
	tok = sign_es256(key2, "k-unknown", pay);
	if (asprintf(&big, "{\"iss\":\"" ISS_A "\",\"aud\":\"mcp\",\"exp\":"
	    "9223372036854775807,\"iat\":9223372036854775807,\"nbf\":"
	    "-9223372036854775807,\"sub\":\"eve\"}") == -1)
		abort();
	bigtok = sign_es256(key2, "k-unknown", big);
	for (i = 1; i < sb->nslots; i++)
		waiter(i, 0);
	/* nobody waits: this one may (and finds nothing) */
	exchange(&x, 0, 0, 1);
	auth_decide(&x, tok, &r);
	CHECK(r.status == TOKEN_UNKNOWN_KID && !r.busy, "free: busy %d (%s)",
	    r.busy, r.why);
	CHECK(sb->slot[0].kid_wait == 0, "flag left set");
	/* iat 2^63-1, unverified, with an unknown kid: no overflow */
	auth_decide(&x, bigtok, &r);
	CHECK(r.status == TOKEN_UNKNOWN_KID, "iat max: %d (%s)", r.status,
	    r.why);
	/* the same client waits already: per-client bound 1 */
	waiter(1, 1);
	auth_decide(&x, tok, &r);
	CHECK(r.status == TOKEN_UNKNOWN_KID && r.busy, "same client: busy "
	    "%d", r.busy);
	CHECK(sb->slot[0].kid_wait == 0, "flag left set when refused");
	/* another client waits: room for one more of two */
	waiter(1, 2);
	auth_decide(&x, tok, &r);
	CHECK(!r.busy, "one other waits: busy %d", r.busy);
	/* two others wait: kid_wait_max 2 spent */
	waiter(2, 3);
	auth_decide(&x, tok, &r);
	CHECK(r.busy, "two others wait: busy %d", r.busy);
	/* a slot being started again forgets its flag */
	scoreboard_set(sb, 2, SLOT_STARTING);
	sb->slot[2].state = SLOT_READ;
	auth_decide(&x, tok, &r);
	CHECK(!r.busy && sb->slot[2].kid_wait == 0, "restarted slot: busy "
	    "%d", r.busy);
	/* a known kid never counts against the budget */
	waiter(2, 3);
	free(tok);
	tok = sign_es256(key1, "k1", pay);
	auth_decide(&x, tok, &r);
	CHECK(r.status == TOKEN_OK, "known kid while busy: %s", r.why);
	free(tok);
	free(pay);
	free(bigtok);
	free(big);
}

int
main(void)
{
	char	 cpath[300], err[512];
	FILE	*f;

	log_init("mcpproxyd_auth", 1, 0);
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return (1);
	}
	snprintf(kfpath, sizeof(kfpath), "%s/keys", dir);
	snprintf(cpath, sizeof(cpath), "%s/t.conf", dir);
	key1 = EVP_EC_gen("P-256");
	key2 = EVP_EC_gen("P-256");
	f = fopen(cpath, "w");
	fprintf(f, "[mcpproxyd]\nkid_wait_ms = 100\nkid_wait_max = 2\n"
	    "kid_wait_max_per_client = 1\nmax_subject = 64\n"
	    "max_scopes = 1024\n"
	    "[jwksd]\nkey_file = %s\ncontrol_socket = %s/nosock\n"
	    "[issuer a]\nissuer = " ISS_A "\naudiences = mcp\n"
	    "[issuer b]\nissuer = " ISS_B "\naudiences = mcp\n"
	    "[auth pa]\nissuer = a\nsubject_header = X-Auth-Subject\n"
	    "scopes_header = X-Auth-Scopes\nrequired_scopes = mcp:tools\n"
	    "[auth pb]\nissuer = b\n"
	    "[server one]\nlisten = 127.0.0.1:9000\n"
	    "route = /mcp http://127.0.0.1:8000/mcp auth=pa\n"
	    "[server two]\nlisten = 127.0.0.1:9001\n"
	    "route = /a http://127.0.0.1:8000/a auth=pa\n"
	    "route = /b http://127.0.0.1:8000/b auth=pb\n", kfpath, dir);
	fclose(f);
	if (config_load(cpath, &conf, err, sizeof(err)) == -1) {
		CHECK(0, "config_load: %s", err);
		return (unit_done("mcpproxyd_auth"));
	}
	sb = scoreboard_create(4);
	scoreboard_used(sb, 3);	/* as the master forking into them */
	publish(0, time(NULL) - 60, NULL);
	auth_init(&conf);
	test_claims();
	test_generation();
	test_issuers();
	test_budget();
	unlink(kfpath);
	unlink(cpath);
	rmdir(dir);
	EVP_PKEY_free(key1);
	EVP_PKEY_free(key2);
	return (unit_done("mcpproxyd_auth"));
}
