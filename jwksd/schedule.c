/*
 * When to fetch: the refresh interval from the server's caching
 * headers within the configured bounds, backoff after a failure, and
 * the hard expiry that withdraws keys nobody could refresh.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "jwksd.h"

#define BACKOFF_FIRST	5	/* seconds after the first failure */
#define BACKOFF_MAX	300

/* Set iss's next fetch after a good one (r: its reply, or NULL). */
void
schedule_success(const struct config *conf, struct issuer *iss,
    const struct fetch_reply *r, time_t now)
{
	long	 interval = conf->refresh_default;

	if (r != NULL && r->max_age >= 0)
		interval = r->max_age;
	else if (r != NULL && r->expires != -1)
		interval = (long)(r->expires - (r->date != -1 ? r->date : now));
	if (interval < conf->refresh_min)
		interval = conf->refresh_min;
	if (interval > conf->refresh_max)
		interval = conf->refresh_max;
	/* refresh well before the keys would expire */
	if (interval > conf->hard_expiry / 2)
		interval = conf->hard_expiry / 2;
	iss->failures = 0;
	iss->next_fetch = now + interval;
}

/* Set iss's next fetch after a failed one: exponential backoff. */
void
schedule_failure(const struct config *conf, struct issuer *iss, time_t now)
{
	long	 backoff = BACKOFF_FIRST, cap = BACKOFF_MAX;
	unsigned int i;

	if (cap > conf->refresh_default)
		cap = conf->refresh_default;
	if (iss->failures < 32)
		iss->failures++;
	for (i = 1; i < iss->failures && backoff < cap; i++)
		backoff *= 2;
	if (backoff > cap)
		backoff = cap;
	iss->next_fetch = now + backoff;
}

/*
 * Withdraw the keys of every issuer whose last good fetch is older
 * than hard_expiry.  Returns how many issuers lost their keys.
 */
int
schedule_expire(const struct config *conf, time_t now)
{
	struct issuer	*iss;
	struct tm	 tm;
	char		 when[32];
	size_t		 i;
	int		 n = 0;

	for (i = 0; i < conf->nissuers; i++) {
		iss = conf->issuers[i];
		if (iss->keys.n == 0 || iss->fetched + conf->hard_expiry > now)
			continue;
		gmtime_r(&iss->fetched, &tm);
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
		log_warnx("issuer %s: keys expired: no good fetch since %s; "
		    "%zu keys withdrawn, tokens fail until a fetch succeeds",
		    iss->name, when, iss->keys.n);
		jwkset_free(&iss->keys);
		free(iss->etag);
		iss->etag = NULL;
		n++;
	}
	return (n);
}

/* The next time anything is due: a fetch, an expiry, a file check. */
time_t
schedule_next(const struct config *conf, time_t now)
{
	struct issuer	*iss;
	time_t		 next = now + 3600;
	size_t		 i;

	for (i = 0; i < conf->nissuers; i++) {
		iss = conf->issuers[i];
		if (iss->next_fetch < next)
			next = iss->next_fetch;
		if (iss->keys.n > 0 && iss->fetched + conf->hard_expiry < next)
			next = iss->fetched + conf->hard_expiry;
		if (iss->jwks_file != NULL && now + JWKSD_FILE_CHECK < next)
			next = now + JWKSD_FILE_CHECK;
	}
	return (next < now ? now : next);
}

/* Make every issuer due now (SIGUSR2). */
void
schedule_all_now(struct config *conf, time_t now)
{
	size_t	 i;

	for (i = 0; i < conf->nissuers; i++) {
		conf->issuers[i]->next_fetch = now;
		conf->issuers[i]->forced = 1;
	}
}
