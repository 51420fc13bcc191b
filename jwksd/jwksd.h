/*
 * jwksd: fetches the authorization servers' signing keys and publishes
 * them to the mcpproxyd workers through the key file (common/keyfile.h).
 */
#ifndef JWKSD_H
#define JWKSD_H

#include <sys/types.h>

#include <stddef.h>
#include <time.h>

#include "keyfile.h"

#define JWKSD_MAX_KEYS		64	/* per JWKS document */
#define JWKSD_FILE_CHECK	5	/* seconds between jwks_file stats */

/* A signing key accepted from a JWKS, in the form the key file holds. */
struct jwk {
	char		 kid[KEYFILE_KID_MAX + 1];
	char		 kty[4];		/* RSA, EC */
	char		 alg[8];		/* pinned: RS256 ... ES512 */
	unsigned char	*der;			/* SubjectPublicKeyInfo */
	size_t		 der_len;
	unsigned char	 fp[KEYFILE_FP_LEN];
};

struct jwkset {
	struct jwk	*keys;
	size_t		 n;
};

/* One [issuer NAME] section and what jwksd knows about it. */
struct issuer {
	char		*name;
	char		*issuer;	/* issuer URL (tokens' iss) */
	char		*jwks_url;	/* configured, or NULL */
	char		*jwks_file;	/* configured, or NULL */
	int		 keycloak;	/* provider = keycloak: publish metadata */
	int		 line;		/* of the section header */

	/* state, carried over a configuration reload */
	char		*jwks_uri;	/* discovered */
	char		*metadata;	/* AS metadata for the workers, or NULL */
	char		*etag;
	struct jwkset	 keys;		/* last good set */
	time_t		 fetched;	/* last good fetch, 0: never */
	time_t		 next_fetch;
	time_t		 last_miss;	/* last fetch caused by a kid miss */
	unsigned int	 failures;
	int		 miss_pending;	/* a worker reported an unknown kid */
	int		 forced;	/* SIGUSR2 */
	struct timespec	 file_mtime;	/* jwks_file: of the last read */
	ino_t		 file_ino;
};

struct config {
	char		*path;
	char		*user;
	char		*group;
	char		*pid_file;
	char		*key_file;
	char		*control_socket;
	char		*ca_file;
	int		 allow_http;
	long		 connect_timeout;
	long		 fetch_timeout;
	long		 max_document_size;
	long		 max_redirects;
	long		 refresh_default;
	long		 refresh_min;
	long		 refresh_max;
	long		 hard_expiry;
	long		 miss_debounce;
	struct issuer	**issuers;
	size_t		 nissuers;
};

/* A fetched document. */
struct fetch_reply {
	long		 status;	/* HTTP status; 304: not modified */
	char		*body;		/* NUL-terminated */
	size_t		 len;
	char		*etag;		/* or NULL */
	long		 max_age;	/* -1: none; 0: no-cache/no-store */
	time_t		 expires;	/* -1: none */
	time_t		 date;		/* -1: none */
};

/* config.c */
int		 config_load(const char *, struct config **, char *, size_t);
void		 config_free(struct config *);
struct issuer	*config_find_issuer(const struct config *, const char *);

/* fetch.c */
void		 fetch_init(void);
void		 fetch_cleanup(void);
int		 fetch_url_allowed(const char *, int, const char **);
int		 fetch_get(const struct config *, const char *, const char *,
		    struct fetch_reply *, char *, size_t);
void		 fetch_reply_free(struct fetch_reply *);

/* jwk.c */
int		 jwk_convert(const char *, size_t, struct jwk *,
		    const char **);
int		 jwk_parse_set(const char *, size_t, const char *,
		    struct jwkset *, const char **);
int		 jwk_metadata(const char *, size_t, const char *, char **,
		    const char **);
int		 jwk_as_metadata(const char *, size_t, const char *, int,
		    char **, const char **);
int		 jwk_from_der(const char *, const char *, const unsigned char *,
		    size_t, struct jwk *);
void		 jwk_clear(struct jwk *);
void		 jwkset_free(struct jwkset *);
void		 jwkset_move(struct jwkset *, struct jwkset *);

/* discovery.c */
int		 discovery_urls(const char *, char **, size_t);
int		 discovery_run(const struct config *, struct issuer *, char *,
		    size_t);
void		 discovery_provider(const struct config *, struct issuer *);

/* refresh.c */
int		 refresh_issuer(const struct config *, struct issuer *,
		    time_t, const char *);
int		 refresh_file_changed(const struct issuer *);

/* schedule.c */
void		 schedule_success(const struct config *, struct issuer *,
		    const struct fetch_reply *, time_t);
void		 schedule_failure(const struct config *, struct issuer *,
		    time_t);
int		 schedule_expire(const struct config *, time_t);
time_t		 schedule_next(const struct config *, time_t);
void		 schedule_all_now(struct config *, time_t);

/* publish.c */
int		 publish(const struct config *, gid_t, time_t);
int		 publish_restore(struct config *, time_t);
int		 publish_list(const char *, time_t, int);

/* status.c */
void		 status_write(const struct config *, gid_t);

/* control.c */
int		 control_open(const char *, uid_t, gid_t);
int		 control_read(int, struct config *, time_t);
void		 control_close(int, const char *);

#endif
