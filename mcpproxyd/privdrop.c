/*
 * Privileges: the master keeps root (to bind and to open logs, as
 * Apache and nginx do); each worker gives it up for good at birth.
 */
#include <sys/types.h>
#include <sys/prctl.h>

#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "mcpproxyd.h"

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
	if (!conf->drop)
		return;
	if (setgroups(1, &conf->gid) == -1 ||
	    setresgid(conf->gid, conf->gid, conf->gid) == -1 ||
	    setresuid(conf->uid, conf->uid, conf->uid) == -1)
		fatal("cannot drop privileges to %s", conf->user);
	if (setuid(0) != -1)
		fatalx("could regain root after dropping it");
	/* setuid made us dumpable again: keep tokens out of core files */
	if (prctl(PR_SET_DUMPABLE, 0) == -1)
		log_warn("PR_SET_DUMPABLE");
	/* nothing a worker runs may gain privileges (setuid binaries) */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1)
		log_warn("PR_SET_NO_NEW_PRIVS");
}
