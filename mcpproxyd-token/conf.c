/*
 * The maximum lifetime of a local issuer's tokens, from the
 * configuration file it shares with mcpproxyd and jwksd: the
 * max_token_lifetime of the [issuer NAME] section whose issuer is the
 * token's iss.  inih is called from here alone.
 */
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ini.h>

#include "parse.h"
#include "token.h"

#define CONF_ISSUERS	64

struct conf_read {
	struct {
		char	 name[65];
		char	*issuer;	/* its issuer = */
		char	*max;		/* its max_token_lifetime = */
	}		 sec[CONF_ISSUERS];
	int		 n;
	int		 cur;		/* index in sec, -1 elsewhere */
	char		 last[200];	/* the section being read */
};

/* inih: keep issuer and max_token_lifetime of each [issuer NAME]. */
static int
conf_handler(void *arg, const char *section, const char *name,
    const char *value)
{
	struct conf_read	*r = arg;
	char			**dst = NULL;

	if (strcmp(section, r->last) != 0) {
		snprintf(r->last, sizeof(r->last), "%s", section);
		r->cur = -1;
		if (strncmp(section, "issuer ", 7) == 0 &&
		    r->n < CONF_ISSUERS) {
			r->cur = r->n++;
			snprintf(r->sec[r->cur].name,
			    sizeof(r->sec[r->cur].name), "%s", section + 7);
		}
	}
	if (r->cur == -1)
		return (1);
	if (strcmp(name, "issuer") == 0)
		dst = &r->sec[r->cur].issuer;
	else if (strcmp(name, "max_token_lifetime") == 0)
		dst = &r->sec[r->cur].max;
	if (dst != NULL) {
		free(*dst);
		if ((*dst = strdup(value)) == NULL)
			err(1, "strdup");
	}
	return (1);
}

/*
 * The max_token_lifetime (s) that file sets for issuer iss, in *max;
 * *max is left alone when the section does not set one.  Exits with a
 * message on an unreadable file, no section for iss, or a bad value.
 */
void
conf_max_lifetime(const char *file, const char *iss, long long *max)
{
	struct conf_read	*r;
	int			 i, rc, found = 0;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		err(1, "calloc");
	r->cur = -1;
	if ((rc = ini_parse(file, conf_handler, r)) != 0) {
		if (rc == -1)
			err(1, "%s", file);
		errx(1, "%s:%d: syntax error", file, rc);
	}
	for (i = 0; i < r->n; i++) {
		if (r->sec[i].issuer == NULL ||
		    strcmp(r->sec[i].issuer, iss) != 0)
			continue;
		found = 1;
		if (r->sec[i].max != NULL &&
		    parse_duration(r->sec[i].max, 1, TOKEN_MAX_LIFETIME_CAP,
		    max) == -1)
			errx(1, "%s: [issuer %s]: max_token_lifetime \"%s\" is "
			    "not a duration of 1s to 366d", file,
			    r->sec[i].name, r->sec[i].max);
		break;
	}
	if (!found)
		errx(1, "%s: no [issuer NAME] section has issuer = %s", file,
		    iss);
	for (i = 0; i < r->n; i++) {
		free(r->sec[i].issuer);
		free(r->sec[i].max);
	}
	free(r);
}
