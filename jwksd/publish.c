/*
 * Publication: every issuer's current keys written as one key file
 * (common/keyfile.c), the keys of the last file taken back at start so
 * a restart loses nothing, and -l.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "jwksd.h"

static uint64_t	 serial;

/*
 * Write the key file from the issuers' keys.  Returns 0, or -1 when
 * it could not be written (logged; the old file stays).
 */
int
publish(const struct config *conf, gid_t gid, time_t now)
{
	struct keyfile_wissuer	*wi = NULL;
	struct keyfile_wkey	*wk = NULL;
	struct issuer		*iss;
	unsigned char		*img;
	const char		*why;
	size_t			 i, j, ni = 0, nk = 0, total = 0, len;
	int			 rv = -1;

	for (i = 0; i < conf->nissuers; i++)
		total += conf->issuers[i]->keys.n;
	if ((wi = calloc(conf->nissuers + 1, sizeof(*wi))) == NULL ||
	    (wk = calloc(total + 1, sizeof(*wk))) == NULL) {
		log_warnx("publish: out of memory");
		goto done;
	}
	for (i = 0; i < conf->nissuers; i++) {
		iss = conf->issuers[i];
		if (iss->keys.n == 0)
			continue;
		wi[ni].name = iss->name;
		wi[ni].issuer = iss->issuer;
		wi[ni].fetched = iss->fetched;
		wi[ni].expires = iss->fetched + conf->hard_expiry;
		wi[ni].metadata = iss->keycloak ? iss->metadata : NULL;
		for (j = 0; j < iss->keys.n; j++, nk++) {
			wk[nk].issuer = ni;
			wk[nk].kid = iss->keys.keys[j].kid;
			wk[nk].alg = iss->keys.keys[j].alg;
			wk[nk].der = iss->keys.keys[j].der;
			wk[nk].der_len = iss->keys.keys[j].der_len;
		}
		ni++;
	}
	if (keyfile_build(serial + 1, now, wi, ni, wk, nk, &img, &len,
	    &why) == -1) {
		log_warnx("publish: %s; %s not replaced", why, conf->key_file);
		goto done;
	}
	if (keyfile_write(conf->key_file, gid, img, len) == -1)
		log_warn("publish: %s not replaced", conf->key_file);
	else {
		serial++;
		log_info("published %zu keys of %zu issuers to %s (serial "
		    "%llu)", nk, ni, conf->key_file,
		    (unsigned long long)serial);
		rv = 0;
	}
	free(img);
 done:
	free(wi);
	free(wk);
	return (rv);
}

/* Take one issuer's unexpired keys back from the last key file. */
static size_t
restore_issuer(const struct config *conf, struct issuer *iss,
    const struct keyfile *kf, const struct keyfile_issuer *ki, time_t now)
{
	const struct keyfile_key	*k;
	size_t				 i, n = 0;

	if (ki->fetched + conf->hard_expiry <= now || ki->fetched > now)
		return (0);
	if ((iss->keys.keys = calloc(keyfile_nkeys(kf) + 1,
	    sizeof(struct jwk))) == NULL)
		return (0);
	for (i = 0; i < keyfile_nkeys(kf); i++) {
		k = keyfile_key(kf, i);
		if (k->issuer != ki || n == JWKSD_MAX_KEYS)
			continue;
		if (jwk_from_der(k->kid, k->alg, k->der, k->der_len,
		    &iss->keys.keys[n]) == 0)
			n++;
	}
	iss->keys.n = n;
	iss->fetched = ki->fetched;
	if (n > 0 && iss->keycloak && ki->metadata != NULL)
		iss->metadata = strdup(ki->metadata);
	return (n);
}

/*
 * At start: take back the keys of the last key file for the issuers
 * still configured (same issuer URL), unless expired.  Returns the
 * number of keys taken back.
 */
int
publish_restore(struct config *conf, time_t now)
{
	struct keyfile			*kf;
	const struct keyfile_issuer	*ki;
	struct issuer			*iss;
	char				 why[512];
	size_t				 i, n = 0;

	if (keyfile_open(conf->key_file, &kf, why, sizeof(why)) == -1) {
		log_info("no previous keys: %s", why);
		return (0);
	}
	serial = keyfile_serial(kf);
	for (i = 0; i < conf->nissuers; i++) {
		iss = conf->issuers[i];
		if ((ki = keyfile_issuer(kf, iss->issuer)) == NULL ||
		    strcmp(ki->issuer, iss->issuer) != 0)
			continue;
		n += restore_issuer(conf, iss, kf, ki, now);
	}
	keyfile_close(kf);
	log_info("%zu keys taken back from %s", n, conf->key_file);
	return ((int)n);
}

/*
 * Print the keys of the key file at path, one line each: "issuer kid
 * kty alg sha256-fingerprint" (issuer: its section name).  Keys past
 * their hard expiry are left out and said so on stderr.  Returns the
 * exit status for -l.
 */
int
publish_list(const char *path, time_t now, int all)
{
	const struct keyfile_key	*k;
	struct keyfile			*kf;
	char				 why[512], fp[KEYFILE_FP_LEN * 2 + 1];
	size_t				 i;

	if (keyfile_open(path, &kf, why, sizeof(why)) == -1) {
		fprintf(stderr, "jwksd: %s\n", why);
		return (1);
	}
	for (i = 0; i < keyfile_nkeys(kf); i++) {
		k = keyfile_key(kf, i);
		if (!all && now >= k->issuer->expires) {
			fprintf(stderr, "jwksd: issuer %s: key %s expired\n",
			    k->issuer->name, k->kid);
			continue;
		}
		keyfile_fp_hex(k->fp, fp, sizeof(fp));
		printf("%s %s %s %s %s\n", k->issuer->name, k->kid, k->kty,
		    k->alg, fp);
	}
	keyfile_close(kf);
	return (fflush(stdout) == 0 ? 0 : 1);
}
