/*
 * Readiness (stats.c's /readyz): a key file (common/keyfile.c) with the
 * issuer's keys in force is ready; keys past their hard expiry, an
 * issuer missing from the file, or no file at all are not, and say why.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "keyfile.h"
#include "../../mcpproxyd/mcpproxyd.h"
#include "../../mcpproxyd/metrics.h"
#include "unit.h"

static unsigned char	*der;
static size_t		 derlen;

/* Publish a key file at path: issuer url's one key, expiring at exp. */
static int
publish(const char *path, const char *url, time_t exp)
{
	struct keyfile_wissuer	 wi;
	struct keyfile_wkey	 wk;
	unsigned char		*img;
	const char		*why;
	size_t			 len;
	int			 rc;

	memset(&wi, 0, sizeof(wi));
	memset(&wk, 0, sizeof(wk));
	wi.name = "local";
	wi.issuer = url;
	wi.fetched = time(NULL) - 300;
	wi.expires = exp;
	wk.issuer = 0;
	wk.kid = "k1";
	wk.alg = "ES256";
	wk.der = der;
	wk.der_len = derlen;
	if (keyfile_build(1, time(NULL), &wi, 1, &wk, 1, &img, &len, &why) ==
	    -1) {
		fprintf(stderr, "keyfile_build: %s\n", why);
		return (-1);
	}
	rc = keyfile_write(path, (gid_t)-1, img, len);
	free(img);
	return (rc);
}

static const struct {
	const char	*file_issuer;	/* NULL: no file */
	long		 expires_in;	/* s from now */
	int		 ready;
	const char	*why;
} rows[] = {
	{ "https://as.example/r", 3600, 1, "" },
	{ "https://as.example/r", -10, 0,
	    "issuer local: keys past their hard expiry" },
	{ "https://as.example/r", 0, 0,
	    "issuer local: keys past their hard expiry" },
	{ "https://other.example/r", 3600, 0, "issuer local: no keys" },
	{ NULL, 0, 0, "issuer local: no keys" },
};

int
main(void)
{
	static char	 name[] = "local", url[] = "https://as.example/r";
	struct config	*conf = calloc(1, sizeof(*conf));
	EVP_PKEY	*pkey = EVP_EC_gen("P-256");
	unsigned char	*p = NULL;
	char		 dir[] = "/tmp/mcpproxyd-stats.XXXXXX", path[64], why[256];
	size_t		 i;
	int		 n;

	if (pkey == NULL || (n = i2d_PUBKEY(pkey, &p)) <= 0 ||
	    mkdtemp(dir) == NULL)
		return (1);
	der = p;
	derlen = (size_t)n;
	snprintf(path, sizeof(path), "%s/keys", dir);
	conf->key_file = path;
	conf->issuers[0].name = name;
	conf->issuers[0].url = url;
	conf->nissuers = 1;
	conf->auths[0].iss = &conf->issuers[0];
	conf->nauths = 1;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		unlink(path);
		if (rows[i].file_issuer != NULL)
			CHECK(publish(path, rows[i].file_issuer, time(NULL) +
			    rows[i].expires_in) == 0, "row %zu: publish", i);
		keys_init(conf);	/* a new reader: no once-a-second wait */
		why[0] = '\0';
		CHECK(stats_ready(conf, why, sizeof(why)) == rows[i].ready &&
		    !strcmp(why, rows[i].why), "row %zu: \"%s\"", i, why);
	}
	conf->nauths = 0;	/* no protected route: ready */
	CHECK(stats_ready(conf, why, sizeof(why)) == 1, "no auth");
	unlink(path);
	rmdir(dir);
	EVP_PKEY_free(pkey);
	OPENSSL_free(p);
	free(conf);
	return (unit_done("mcpproxyd_stats"));
}
