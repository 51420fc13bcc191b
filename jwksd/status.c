/*
 * The status file beside the key file (common/jwksstatus.h): per
 * issuer the keys held, the last good fetch, the next refresh and the
 * failures in a row, for the mcpproxyd metrics.  Written only when it
 * changed, with the key file's writer (temp, fsync, rename).
 */
#include <sys/types.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jwksd.h"
#include "jwksstatus.h"
#include "log.h"

static char	*last;		/* the text written last, or NULL */
static size_t	 lastlen;

/* Write the status file when what it says changed; failures logged. */
void
status_write(const struct config *conf, gid_t gid)
{
	struct jwksstatus	 s;
	char			 path[PATH_MAX], *buf;
	size_t			 i, len, cap, n;

	cap = strlen(JWKSSTATUS_HEADER) + conf->nissuers * 160 + 1;
	if (snprintf(path, sizeof(path), "%s%s", conf->key_file,
	    JWKSSTATUS_SUFFIX) >= (int)sizeof(path) ||
	    (buf = malloc(cap)) == NULL)
		return;
	len = (size_t)snprintf(buf, cap, "%s", JWKSSTATUS_HEADER);
	for (i = 0; i < conf->nissuers && i < JWKSSTATUS_MAX_ISSUERS; i++) {
		const struct issuer *iss = conf->issuers[i];

		memset(&s, 0, sizeof(s));
		snprintf(s.name, sizeof(s.name), "%s", iss->name);
		s.keys = iss->keys.n;
		s.fetched = iss->fetched;
		s.next = iss->next_fetch;
		s.failures = iss->failures;
		if ((n = jwksstatus_line(&s, buf + len, cap - len)) == 0)
			break;
		len += n;
	}
	if (last != NULL && len == lastlen && memcmp(buf, last, len) == 0) {
		free(buf);
		return;
	}
	if (keyfile_write(path, gid, (unsigned char *)buf, len) == -1) {
		log_warn("status file %s", path);
		free(buf);
		return;
	}
	free(last);
	last = buf;
	lastlen = len;
}
