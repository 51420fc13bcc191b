/*
 * Refreshing one issuer's keys from its source (a local JWKS file, a
 * configured jwks_url, or the URL discovery found), keeping the last
 * good keys when anything fails.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "jwksd.h"

/* Read a whole local file of at most max bytes into a malloc'd buffer. */
static char *
read_file(const char *path, long max, size_t *lenp, struct stat *st,
    char *err, size_t errlen)
{
	char	*buf;
	ssize_t	 n;
	size_t	 len = 0;
	int	 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1 ||
	    fstat(fd, st) == -1) {
		snprintf(err, errlen, "%s", strerror(errno));
		if (fd != -1)
			close(fd);
		return (NULL);
	}
	if (!S_ISREG(st->st_mode) || st->st_size > max) {
		snprintf(err, errlen, "not a regular file of at most %ld "
		    "bytes", max);
		close(fd);
		return (NULL);
	}
	if ((buf = malloc(max + 1)) == NULL) {
		snprintf(err, errlen, "out of memory");
		close(fd);
		return (NULL);
	}
	while ((size_t)max > len && (n = read(fd, buf + len, max - len)) > 0)
		len += n;
	close(fd);
	buf[len] = '\0';
	*lenp = len;
	return (buf);
}

/* "issuer NAME", for the log lines of jwk.c. */
static const char *
who(const struct issuer *iss)
{
	static char	 buf[KEYFILE_NAME_MAX + 8];

	snprintf(buf, sizeof(buf), "issuer %s", iss->name);
	return (buf);
}

/* Log the kids that appeared and vanished between two sets. */
static void
log_changes(const struct issuer *iss, const struct jwkset *old,
    const struct jwkset *new)
{
	char	 fp[KEYFILE_FP_LEN * 2 + 1];
	size_t	 i, j;

	for (i = 0; i < new->n; i++) {
		for (j = 0; j < old->n; j++)
			if (strcmp(new->keys[i].kid, old->keys[j].kid) == 0)
				break;
		if (j == old->n) {
			keyfile_fp_hex(new->keys[i].fp, fp, sizeof(fp));
			log_info("issuer %s: new key %s (%s %s, sha256 %s)",
			    iss->name, new->keys[i].kid, new->keys[i].kty,
			    new->keys[i].alg, fp);
		}
	}
	for (j = 0; j < old->n; j++) {
		for (i = 0; i < new->n; i++)
			if (strcmp(new->keys[i].kid, old->keys[j].kid) == 0)
				break;
		if (i == new->n)
			log_info("issuer %s: key %s withdrawn by the server",
			    iss->name, old->keys[j].kid);
	}
}

/* Adopt a freshly parsed set. */
static void
adopt(struct issuer *iss, struct jwkset *set, time_t now)
{
	log_changes(iss, &iss->keys, set);
	jwkset_move(&iss->keys, set);
	iss->fetched = now;
}

static int
refresh_from_file(const struct config *conf, struct issuer *iss,
    time_t now, char *err, size_t errlen)
{
	struct jwkset	 set;
	struct stat	 st;
	const char	*why;
	char		*buf;
	size_t		 len;
	int		 rv;

	if ((buf = read_file(iss->jwks_file, conf->max_document_size, &len,
	    &st, err, errlen)) == NULL)
		return (-1);
	rv = jwk_parse_set(buf, len, who(iss), &set, &why);
	free(buf);
	iss->file_mtime = st.st_mtim;
	iss->file_ino = st.st_ino;
	if (rv == -1) {
		snprintf(err, errlen, "%s", why);
		return (-1);
	}
	adopt(iss, &set, now);
	schedule_success(conf, iss, NULL, now);
	return (0);
}

static int
refresh_from_url(const struct config *conf, struct issuer *iss,
    time_t now, char *err, size_t errlen)
{
	struct fetch_reply	 r;
	struct jwkset		 set;
	const char		*url, *why;

	if (iss->jwks_url == NULL && iss->jwks_uri == NULL &&
	    discovery_run(conf, iss, err, errlen) == -1)
		return (-1);
	url = iss->jwks_url != NULL ? iss->jwks_url : iss->jwks_uri;
	if (fetch_get(conf, url, iss->keys.n > 0 ? iss->etag : NULL, &r, err,
	    errlen) == -1)
		goto fail;
	if (r.status == 304) {
		log_debug("issuer %s: %s not modified", iss->name, url);
		iss->fetched = now;
	} else if (jwk_parse_set(r.body, r.len, who(iss), &set, &why) == -1) {
		snprintf(err, errlen, "%s: %s", url, why);
		fetch_reply_free(&r);
		goto fail;
	} else {
		adopt(iss, &set, now);
		free(iss->etag);
		iss->etag = r.etag;
		r.etag = NULL;
	}
	schedule_success(conf, iss, &r, now);
	fetch_reply_free(&r);
	return (0);
 fail:
	if (iss->jwks_url == NULL) {
		/* discover again next time: the server may have moved */
		free(iss->jwks_uri);
		iss->jwks_uri = NULL;
	}
	return (-1);
}

/*
 * Fetch iss's keys now; why says what caused it.  Returns 0 when the
 * keys (or their freshness) changed and must be published, -1 when the
 * fetch failed (logged; the last good keys stay).
 */
int
refresh_issuer(const struct config *conf, struct issuer *iss, time_t now,
    const char *why)
{
	char	 err[512];
	int	 rv;

	log_debug("issuer %s: fetching keys (%s)", iss->name, why);
	err[0] = '\0';
	if (iss->keycloak)
		discovery_provider(conf, iss);
	if (iss->jwks_file != NULL)
		rv = refresh_from_file(conf, iss, now, err, sizeof(err));
	else
		rv = refresh_from_url(conf, iss, now, err, sizeof(err));
	iss->miss_pending = iss->forced = 0;
	if (rv == 0) {
		log_info("issuer %s: %zu keys fetched (%s); next fetch in %lds",
		    iss->name, iss->keys.n, why,
		    (long)(iss->next_fetch - now));
		return (0);
	}
	schedule_failure(conf, iss, now);
	if (iss->keys.n > 0)
		log_warnx("issuer %s: fetch failed (%s): %s; keeping %zu keys "
		    "for %lds more, retry in %lds", iss->name, why, err,
		    iss->keys.n,
		    (long)(iss->fetched + conf->hard_expiry - now),
		    (long)(iss->next_fetch - now));
	else
		log_warnx("issuer %s: fetch failed (%s): %s; no keys, "
		    "retry in %lds", iss->name, why, err,
		    (long)(iss->next_fetch - now));
	return (-1);
}

/* Has iss's jwks_file changed since it was last read?  1 yes, 0 no. */
int
refresh_file_changed(const struct issuer *iss)
{
	struct stat	 st;

	if (iss->jwks_file == NULL || stat(iss->jwks_file, &st) == -1)
		return (0);
	return (st.st_ino != iss->file_ino ||
	    st.st_mtim.tv_sec != iss->file_mtime.tv_sec ||
	    st.st_mtim.tv_nsec != iss->file_mtime.tv_nsec);
}
