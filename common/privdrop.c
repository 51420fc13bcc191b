/*
 * Giving up root for good: what each daemon's drop did, for both (the
 * stricter of the two wins).
 */
#include <sys/types.h>
#include <sys/prctl.h>

#include <grp.h>
#include <unistd.h>

#include "log.h"
#include "privdrop.h"

/* See privdrop.h. */
void
privdrop(const char *user, uid_t uid, gid_t gid, const gid_t *groups,
    size_t ngroups)
{
	if (setgroups(ngroups, groups) == -1 ||
	    setresgid(gid, gid, gid) == -1 ||
	    setresuid(uid, uid, uid) == -1)
		fatal("cannot drop privileges to %s", user);
	if (setuid(0) != -1 || seteuid(0) != -1)
		fatalx("could regain root after dropping it");
	if (gid != 0 && (setgid(0) != -1 || setegid(0) != -1))
		fatalx("could regain group root after dropping it");
	/* setuid made us dumpable again: keep secrets out of core files */
	if (prctl(PR_SET_DUMPABLE, 0) == -1)
		log_warn("PR_SET_DUMPABLE");
	/* nothing we run may gain privileges (setuid binaries) */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1)
		log_warn("PR_SET_NO_NEW_PRIVS");
}
