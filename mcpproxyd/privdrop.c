/*
 * Privileges: the master keeps root (to bind and to open logs, as
 * Apache and nginx do); each worker gives it up for good at birth.
 */
#include <sys/types.h>

#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "mcpproxyd.h"
#include "privdrop.h"

/*
 * Resolve the unprivileged user the workers run as (when root).
 * Returns 0, or -1 with the reason in err.
 */
int
resolve_user(struct config *conf, char *err, size_t errlen)
{
	struct passwd	*pw;

	if (geteuid() != 0)
		return (0);	/* not root: nothing to drop */
	if (conf->user == NULL && (conf->user = strdup("mcpproxyd")) == NULL)
		fatal("strdup");
	if ((pw = getpwnam(conf->user)) == NULL) {
		snprintf(err, errlen, "%s: user \"%s\" does not exist",
		    conf->file, conf->user);
		return (-1);
	}
	if (pw->pw_uid == 0) {
		snprintf(err, errlen, "%s: user \"%s\" is root; refusing to "
		    "run workers as root", conf->file, conf->user);
		return (-1);
	}
	conf->drop = 1;
	conf->uid = pw->pw_uid;
	conf->gid = pw->pw_gid;
	return (0);
}

/* Become the configured user for good (in a worker, after fork). */
void
drop_privileges(const struct config *conf)
{
	if (conf->drop)
		privdrop(conf->user, conf->uid, conf->gid, &conf->gid, 1);
}
