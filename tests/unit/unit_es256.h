/*
 * What the unit tests of token verification share (mcpproxyd_auth.c,
 * mcpproxyd_claims.c): base64url, an ES256 signer for tokens of any
 * header kid and payload, a payload with iss, aud, exp and iat, and the
 * key file with key1 (kid k1) for issuers a and b, and key2 (k2) on
 * request, published at kfpath for the worker's keys module.  The
 * includer makes key1, key2 and kfpath before the first publish.
 */
#ifndef TESTS_UNIT_ES256_H
#define TESTS_UNIT_ES256_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "keyfile.h"
#include "../../mcpproxyd/mcpproxyd.h"
#include "unit.h"
#include "unit_b64url.h"

#define ISS_A	"https://a.example"
#define ISS_B	"https://b.example"

static char		 kfpath[256];
static EVP_PKEY		*key1, *key2;
static uint64_t		 serial;

/* An ES256 token of header kid and payload pay (NULL: unsigned junk). */
static char *
sign_es256(EVP_PKEY *k, const char *kid, const char *pay)
{
	char		 hdr[256], *h, *p, *sig, *tok;
	unsigned char	 der[128], raw[64];
	const unsigned char *dp = der;
	size_t		 derlen = sizeof(der), n;
	ECDSA_SIG	*es;
	EVP_MD_CTX	*ctx;
	char		*in;

	snprintf(hdr, sizeof(hdr), "{\"alg\":\"ES256\",\"typ\":\"at+jwt\","
	    "\"kid\":\"%s\"}", kid);
	h = b64url((const unsigned char *)hdr, strlen(hdr));
	p = b64url((const unsigned char *)pay, strlen(pay));
	n = strlen(h) + strlen(p) + 2;
	in = malloc(n);
	snprintf(in, n, "%s.%s", h, p);
	ctx = EVP_MD_CTX_new();
	EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, k);
	EVP_DigestSign(ctx, der, &derlen, (unsigned char *)in, strlen(in));
	EVP_MD_CTX_free(ctx);
	es = d2i_ECDSA_SIG(NULL, &dp, (long)derlen);
	BN_bn2binpad(ECDSA_SIG_get0_r(es), raw, 32);
	BN_bn2binpad(ECDSA_SIG_get0_s(es), raw + 32, 32);
	ECDSA_SIG_free(es);
	sig = b64url(raw, 64);
	tok = malloc(strlen(in) + strlen(sig) + 2);
	sprintf(tok, "%s.%s", in, sig);
	free(h);
	free(p);
	free(in);
	free(sig);
	return (tok);
}

/* Publish key1 (kid k1) for both issuers, and key2 (k2) if with2. */
static void
publish(int with2, int64_t fetched, const char *meta)
{
	const struct keyfile_wissuer iss[] = {
		{ "a", ISS_A, fetched, time(NULL) + 3600, meta },
		{ "b", ISS_B, fetched, time(NULL) + 3600, NULL },
	};
	struct keyfile_wkey	 wk[3];
	unsigned char		*img, *d1 = NULL, *d2 = NULL;
	const char		*why;
	size_t			 len, n = 0;
	int			 l1, l2;

	l1 = i2d_PUBKEY(key1, &d1);
	l2 = i2d_PUBKEY(key2, &d2);
	wk[n++] = (struct keyfile_wkey){ 0, "k1", "ES256", d1, (size_t)l1 };
	wk[n++] = (struct keyfile_wkey){ 1, "k1", "ES256", d1, (size_t)l1 };
	if (with2)
		wk[n++] = (struct keyfile_wkey){ 0, "k2", "ES256", d2,
		    (size_t)l2 };
	CHECK(keyfile_build(++serial, time(NULL), iss, 2, wk, n, &img, &len,
	    &why) == 0, "keyfile_build");
	CHECK(keyfile_write(kfpath, (gid_t)-1, img, len) == 0, "write");
	free(img);
	OPENSSL_free(d1);
	OPENSSL_free(d2);
	keys_refresh(1);
}

static char *
payload(const char *iss, const char *claims)
{
	char	*p;

	if (asprintf(&p, "{\"iss\":\"%s\",\"aud\":\"mcp\",\"exp\":%lld,"
	    "\"iat\":%lld%s%s}", iss, (long long)time(NULL) + 300,
	    (long long)time(NULL) - 5, claims[0] ? "," : "", claims) == -1)
		abort();
	return (p);
}

#endif
