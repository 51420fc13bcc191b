/*
 * Giving up root for good, the same way in both daemons.
 */
#ifndef COMMON_PRIVDROP_H
#define COMMON_PRIVDROP_H

#include <sys/types.h>

#include <stddef.h>

/*
 * Become uid:gid with only the supplementary groups given (none when
 * ngroups is 0), unable to regain root, not dumpable, and unable to
 * gain privileges by exec.  Fatal when any step fails.
 */
void	privdrop(const char *user, uid_t uid, gid_t gid, const gid_t *groups,
	    size_t ngroups);

#endif
