/*
 * The claims the policies read (claims.c): claim paths parsed (far
 * more bad ones than good), values extracted from payloads by kind,
 * the bounds on values and bytes (what is cut short is marked), the
 * payload hook of token_check called for verified tokens only, and
 * the claims of a token the same on its first request and on a hit in
 * the worker's token cache (auth_decide), another token's never.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>

#include <jansson.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "keyfile.h"
#include "log.h"
#include "../../mcpproxyd/mcpproxyd.h"
#include "../../mcpproxyd/token.h"
#include "unit.h"

#include "unit_es256.h"

static char		 dir[] = "/tmp/claims-test.XXXXXX";

static const struct {
	const char	*path;
	int		 ok;
	size_t		 nseg;
	const char	*why;
} paths[] = {
	{ "roles", 1, 1, NULL },
	{ "realm_access.roles", 1, 2, NULL },
	{ "resource_access.\"my-client.example\".roles", 1, 3, NULL },
	{ "resource_access.my-client.roles", 1, 3, NULL },
	{ "\"https://example.com/roles\"", 1, 1, NULL },
	{ "a_b-c.D9", 1, 2, NULL },
	{ "a.b.c.d.e.f.g.h", 1, 8, NULL },
	{ "\" \"", 1, 1, NULL },
	/* bad */
	{ "", 0, 0, "empty claim path" },
	{ ".", 0, 0, "empty claim name (write \".\" inside quotes)" },
	{ ".a", 0, 0, "empty claim name (write \".\" inside quotes)" },
	{ "a.", 0, 0, "claim path ends with ." },
	{ "a..b", 0, 0, "empty claim name (write \".\" inside quotes)" },
	{ "\"\"", 0, 0, "empty claim name (write \".\" inside quotes)" },
	{ "a.\"\"", 0, 0, "empty claim name (write \".\" inside quotes)" },
	{ "a.b.c.d.e.f.g.h.i", 0, 0, "claim path deeper than 8" },
	{ "a/b", 0, 0, "claim path: names are letters, digits, _ and -, or "
	    "quoted, separated by ." },
	{ "a b", 0, 0, "claim path: names are letters, digits, _ and -, or "
	    "quoted, separated by ." },
	{ "a:b", 0, 0, "claim path: names are letters, digits, _ and -, or "
	    "quoted, separated by ." },
	{ "a[0]", 0, 0, "claim path: names are letters, digits, _ and -, or "
	    "quoted, separated by ." },
	{ "$.a", 0, 0, "claim path: names are letters, digits, _ and -, or "
	    "quoted, separated by ." },
	{ "a.*", 0, 0, "claim path: names are letters, digits, _ and -, or "
	    "quoted, separated by ." },
	{ "\xc3\xa9", 0, 0, "claim path: names are letters, digits, _ and -, "
	    "or quoted, separated by ." },
	{ "\"a\"b", 0, 0, "claim path: names are letters, digits, _ and -, "
	    "or quoted, separated by ." },
	{ "\"a", 0, 0, "unterminated quote in claim path" },
	{ "a.\"b", 0, 0, "unterminated quote in claim path" },
	{ "\"a\\\"b\"", 0, 0, "quoted claim name may hold only printable "
	    "ASCII but \\" },
	{ "\"a\tb\"", 0, 0, "quoted claim name may hold only printable "
	    "ASCII but \\" },
	{ "\"\xc3\xa9\"", 0, 0, "quoted claim name may hold only printable "
	    "ASCII but \\" },
	{ "a\n", 0, 0, "claim path: names are letters, digits, _ and -, or "
	    "quoted, separated by ." },
	{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	    0, 0, "claim name longer than 128 bytes" },
};

/* The path table: goods give their segments, bads their reason. */
static void
test_paths(void)
{
	struct claimpath	 p;
	const char		*why;
	size_t			 i, bad = 0;
	int			 rc;

	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		why = NULL;
		rc = claimpath_parse(paths[i].path, strlen(paths[i].path), &p,
		    &why);
		if (paths[i].ok) {
			CHECK(rc == 0 && p.nseg == paths[i].nseg, "path %zu "
			    "\"%s\": %s", i, paths[i].path, why ? why : "");
			if (rc == 0)
				claimpath_free(&p);
		} else {
			bad++;
			CHECK(rc == -1 && why && !strcmp(why, paths[i].why),
			    "path %zu \"%s\": got \"%s\"", i, paths[i].path,
			    why ? why : "(none)");
		}
	}
	claimpath_parse("resource_access.\"my.client\".roles", 33, &p, &why);
	CHECK(p.nseg == 3 && !strcmp(p.seg[1], "my.client"), "quoted segment");
	claimpath_free(&p);
	printf("paths: %zu bad, %zu good\n", bad,
	    sizeof(paths) / sizeof(paths[0]) - bad);
}

static const struct {
	const char	*payload, *path;
	enum claim_kind	 kind;
	const char	*values;	/* joined with '|' */
	int		 truncated;
} ex[] = {
	{ "{\"roles\":[\"a\",\"b\"]}", "roles", CLAIM_ARRAY, "a|b", 0 },
	{ "{\"roles\":\"a b\"}", "roles", CLAIM_STRING, "a b", 0 },
	{ "{\"roles\":[]}", "roles", CLAIM_ARRAY, "", 0 },
	{ "{\"roles\":\"\"}", "roles", CLAIM_STRING, "", 0 },
	{ "{\"ra\":{\"roles\":[\"x\"]}}", "ra.roles", CLAIM_ARRAY, "x", 0 },
	{ "{\"rc\":{\"my.c\":{\"roles\":[\"x\"]}}}", "rc.\"my.c\".roles",
	    CLAIM_ARRAY, "x", 0 },
	{ "{\"n\":42}", "n", CLAIM_SCALAR, "42", 0 },
	{ "{\"n\":-7}", "n", CLAIM_SCALAR, "-7", 0 },
	{ "{\"b\":true}", "b", CLAIM_SCALAR, "true", 0 },
	{ "{\"b\":false}", "b", CLAIM_SCALAR, "false", 0 },
	{ "{\"m\":[\"a\",1,true,null,1.5,{\"x\":1},[\"y\"],\"z\"]}", "m",
	    CLAIM_ARRAY, "a|1|true|z", 0 },
	{ "{\"u\":\"\\u00e9\"}", "u", CLAIM_STRING, "\xc3\xa9", 0 },
	/* absent */
	{ "{\"roles\":null}", "roles", CLAIM_ABSENT, "", 0 },
	{ "{\"roles\":1.5}", "roles", CLAIM_ABSENT, "", 0 },
	{ "{\"roles\":1.0}", "roles", CLAIM_ABSENT, "", 0 },
	{ "{\"roles\":{\"a\":1}}", "roles", CLAIM_ABSENT, "", 0 },
	{ "{}", "roles", CLAIM_ABSENT, "", 0 },
	{ "{\"ra\":[{\"roles\":[\"x\"]}]}", "ra.roles", CLAIM_ABSENT, "", 0 },
	{ "{\"ra\":\"roles\"}", "ra.roles", CLAIM_ABSENT, "", 0 },
	{ "{\"ra.roles\":[\"x\"]}", "ra.roles", CLAIM_ABSENT, "", 0 },
	{ "{\"Roles\":[\"x\"]}", "roles", CLAIM_ABSENT, "", 0 },
	{ "{\"rc\":{\"my\":{\"c\":{\"roles\":[\"x\"]}}}}", "rc.\"my.c\".roles",
	    CLAIM_ABSENT, "", 0 },
};

/* "a|b" against the values of path 0. */
static int
same_values(const struct claims *c, const char *want)
{
	char		 got[512] = "";
	const char	*v;
	size_t		 i;

	for (i = 0; (v = claims_value(c, 0, i)) != NULL; i++)
		snprintf(got + strlen(got), sizeof(got) - strlen(got), "%s%s",
		    i ? "|" : "", v);
	return (strcmp(got, want) == 0);
}

/* Values by kind, from one path. */
static void
test_extract(void)
{
	struct claimset	 cs;
	struct claims	*c;
	json_t		*j;
	const char	*why;
	size_t		 i;

	for (i = 0; i < sizeof(ex) / sizeof(ex[0]); i++) {
		memset(&cs, 0, sizeof(cs));
		cs.max_values = 64;
		cs.max_bytes = 2048;
		CHECK(claimset_add(&cs, ex[i].path, strlen(ex[i].path), &why) ==
		    0, "extract %zu: path", i);
		c = calloc(1, claims_size(&cs));
		j = json_loads(ex[i].payload, 0, NULL);
		claims_extract(&cs, j, c);
		CHECK(c->kind[0] == ex[i].kind && same_values(c, ex[i].values)
		    && c->truncated[0] == ex[i].truncated, "extract %zu (%s): "
		    "kind %d n %u", i, ex[i].payload, c->kind[0], c->n[0]);
		json_decref(j);
		free(c);
		claimset_free(&cs);
	}
}

/* max_claim_values and max_claim_bytes, over all paths. */
static void
test_bounds(void)
{
	struct claimset	 cs;
	struct claims	*c;
	json_t		*j;
	const char	*why;
	char		 big[200];

	memset(&cs, 0, sizeof(cs));
	cs.max_values = 3;
	cs.max_bytes = 64;
	claimset_add(&cs, "a", 1, &why);
	claimset_add(&cs, "b", 1, &why);
	claimset_add(&cs, "c", 1, &why);
	CHECK(claims_size(&cs) >= sizeof(struct claims) + 64 &&
	    claims_size(&cs) % 8 == 0, "size %zu", claims_size(&cs));
	c = calloc(1, claims_size(&cs));
	j = json_loads("{\"a\":[\"1\",\"2\"],\"b\":[\"3\",\"4\"],\"c\":\"5\"}",
	    0, NULL);
	claims_extract(&cs, j, c);
	CHECK(c->n[0] == 2 && !c->truncated[0], "a whole");
	CHECK(c->n[1] == 1 && c->truncated[1], "b cut at 3 values");
	CHECK(c->n[2] == 0 && c->truncated[2] && c->kind[2] == CLAIM_STRING,
	    "c: no room left");
	json_decref(j);
	/* bytes: a string that does not fit is cut short, not cut */
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	j = json_pack("{s:s,s:[s,s]}", "a", big, "b", "ok", big);
	claims_extract(&cs, j, c);
	CHECK(c->n[0] == 0 && c->truncated[0] && claims_value(c, 0, 0) ==
	    NULL, "a too long");
	CHECK(c->n[1] == 1 && c->truncated[1] && !strcmp(claims_value(c, 1,
	    0), "ok"), "b: ok kept, the long one cut short");
	CHECK(c->used <= 64, "used %u", c->used);
	json_decref(j);
	/* a record reused for another payload holds nothing of the first */
	j = json_loads("{}", 0, NULL);
	claims_extract(&cs, j, c);
	CHECK(c->kind[0] == CLAIM_ABSENT && c->n[1] == 0 && c->used == 0 &&
	    !c->truncated[1], "reused record cleared");
	json_decref(j);
	free(c);
	claimset_free(&cs);
	memset(&cs, 0, sizeof(cs));
	CHECK(claims_size(&cs) == 0, "no paths: no record");
}

static struct config	 conf;
static struct scoreboard *sb;

/* A request on server 0, route 0. */
static void
exchange(struct exchange *x)
{
	struct sockaddr_in	*sin = (struct sockaddr_in *)&x->peer;

	memset(x, 0, sizeof(*x));
	x->conf = &conf;
	x->sb = sb;
	x->srv = &conf.servers[0];
	x->rt = &conf.servers[0].routes[0];
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = htonl(0x7f000001);
	x->client = x->peer;
	sb->slot[0].client = x->client;
}

/* The roles claim of a request, '|'-joined, into buf. */
static const char *
roles(const struct exchange *x, char *buf, size_t len)
{
	const char	*v;
	size_t		 i;

	buf[0] = '\0';
	if (x->claims == NULL)
		return ("(none)");
	for (i = 0; (v = claims_value(x->claims, 0, i)) != NULL; i++)
		snprintf(buf + strlen(buf), len - strlen(buf), "%s%s",
		    i ? "|" : "", v);
	return (buf);
}

/* token_check's hook: a verified payload only. */
static void
test_hook(void)
{
	struct token_policy	 pol;
	struct claims_sink	 sink;
	struct claims		*c;
	const char		*aud[] = { "mcp" }, *why;
	char			*pay, *tok;

	keys_refresh(1);
	c = calloc(1, claims_size(&conf.claimset));
	sink = (struct claims_sink){ &conf.claimset, c, 0 };
	memset(&pol, 0, sizeof(pol));
	pol.issuer = ISS_A;
	pol.audiences = aud;
	pol.naudiences = 1;
	pol.payload = claims_payload;
	pol.payload_arg = &sink;
	pay = payload(ISS_A, "\"realm_access\":{\"roles\":[\"r1\"]}");
	tok = sign_es256(key1, "k1", pay);
	CHECK(token_check(tok, strlen(tok), keys_current(), &pol, time(NULL),
	    NULL, &why) == TOKEN_OK && sink.taken == 1 && !strcmp(
	    claims_value(c, 0, 0), "r1"), "hook on a valid token: %s", why);
	free(tok);
	/* signed by a key not published for kid k1: no hook */
	sink.taken = 0;
	tok = sign_es256(key2, "k1", pay);
	CHECK(token_check(tok, strlen(tok), keys_current(), &pol, time(NULL),
	    NULL, &why) == TOKEN_BAD_SIGNATURE && sink.taken == 0,
	    "no hook on a bad signature");
	free(tok);
	free(pay);
	/* verified but expired: no hook */
	if (asprintf(&pay, "{\"iss\":\"" ISS_A "\",\"aud\":\"mcp\",\"exp\":"
	    "%lld,\"realm_access\":{\"roles\":[\"r1\"]}}",
	    (long long)time(NULL) - 3600) == -1)
		abort();
	tok = sign_es256(key1, "k1", pay);
	CHECK(token_check(tok, strlen(tok), keys_current(), &pol, time(NULL),
	    NULL, &why) == TOKEN_EXPIRED && sink.taken == 0,
	    "no hook on an expired token");
	free(tok);
	free(pay);
	free(c);
}

/* First request and cache hit: the same claims; another token: its own. */
static void
test_cache(void)
{
	static const struct {
		const char	*claims, *roles;
	} rows[] = {
		{ "\"sub\":\"eitan\",\"realm_access\":{\"roles\":"
		    "[\"default-roles\",\"mcp-echo\"]}", "default-roles|mcp-echo" },
		{ "\"sub\":\"noa\",\"realm_access\":{\"roles\":"
		    "[\"default-roles\"]}", "default-roles" },
		{ "\"sub\":\"x\"", "" },
		{ "\"sub\":\"y\",\"realm_access\":{\"roles\":\"mcp-echo\"}",
		    "mcp-echo" },
	};
	struct exchange		 x;
	struct auth_result	 r;
	char			*pay, *tok[4], buf[256];
	size_t			 i;
	int			 pass;

	for (i = 0; i < 4; i++) {
		pay = payload(ISS_A, rows[i].claims);
		tok[i] = sign_es256(key1, "k1", pay);
		free(pay);
	}
	/* two rounds: the second is all cache hits, interleaved */
	for (pass = 0; pass < 2; pass++)
		for (i = 0; i < 4; i++) {
			exchange(&x);
			auth_decide(&x, tok[i], &r);
			CHECK(r.status == TOKEN_OK && r.cached == pass,
			    "cache %zu pass %d: %s cached %d", i, pass, r.why,
			    r.cached);
			CHECK(x.claims != NULL && !strcmp(roles(&x, buf,
			    sizeof(buf)), rows[i].roles), "cache %zu pass %d: "
			    "roles \"%s\"", i, pass, roles(&x, buf,
			    sizeof(buf)));
		}
	/* a refused token leaves no claims behind */
	exchange(&x);
	auth_decide(&x, "e30.e30.e30", &r);
	CHECK(r.status != TOKEN_OK && x.claims == NULL, "refused: no claims");
	for (i = 0; i < 4; i++)
		free(tok[i]);
}

int
main(void)
{
	char	 cpath[300], err[512];
	FILE	*f;

	log_init("mcpproxyd_claims", 1, 0);
	test_paths();
	test_extract();
	test_bounds();
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return (1);
	}
	snprintf(kfpath, sizeof(kfpath), "%s/keys", dir);
	snprintf(cpath, sizeof(cpath), "%s/t.conf", dir);
	key1 = EVP_EC_gen("P-256");
	key2 = EVP_EC_gen("P-256");
	f = fopen(cpath, "w");
	fprintf(f, "[mcpproxyd]\nmax_claim_values = 8\nmax_claim_bytes = 256\n"
	    "[jwksd]\nkey_file = %s\ncontrol_socket = %s/nosock\n"
	    "[issuer a]\nissuer = " ISS_A "\naudiences = mcp\n"
	    "[issuer b]\nissuer = " ISS_B "\naudiences = mcp\n"
	    "[auth pa]\nissuer = a\n"
	    "[policy p]\nallow = tool:echo if realm_access.roles has mcp-echo\n"
	    "deny = tool:* if groups has x\n"
	    "[server one]\nlisten = 127.0.0.1:9000\n"
	    "route = /mcp http://127.0.0.1:8000/mcp auth=pa policy=p\n",
	    kfpath, dir);
	fclose(f);
	if (config_load(cpath, &conf, err, sizeof(err)) == -1) {
		CHECK(0, "config_load: %s", err);
		return (unit_done("mcpproxyd_claims"));
	}
	sb = scoreboard_create(4);
	scoreboard_used(sb, 3);	/* as the master forking into them */
	publish(0, time(NULL) - 60, NULL);
	auth_init(&conf);
	test_hook();
	test_cache();
	unlink(kfpath);
	unlink(cpath);
	rmdir(dir);
	EVP_PKEY_free(key1);
	EVP_PKEY_free(key2);
	return (unit_done("mcpproxyd_claims"));
}
