/*
 * The limits outside mcpproxyd that stop the pool before max_workers:
 * every worker is a process, so the master's RLIMIT_NPROC (raised here
 * to its hard limit when it falls short; root is exempt), the kernel's
 * pid_max and threads-max, and the pids.max of the control group
 * (systemd's TasksMax) bound it.  A fork refused by any of them only
 * shows as "fork: Resource temporarily unavailable" later, under load,
 * so the master says at start which one falls short.
 */
#include <sys/types.h>
#include <sys/resource.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "mcpproxyd.h"

#define POOL_SLACK	16	/* the master, the waiting room, jwksd... */

/*
 * Read the first number of a one-line file into *v; "max" reads as -1
 * (no limit).  Returns 0, or -1 when there is no such file or no number.
 */
static int
read_limit(const char *path, long long *v)
{
	FILE		*f;
	char		 line[64], *end;

	if ((f = fopen(path, "re")) == NULL)
		return (-1);
	if (fgets(line, sizeof(line), f) == NULL) {
		fclose(f);
		return (-1);
	}
	fclose(f);
	if (strncmp(line, "max", 3) == 0) {
		*v = -1;
		return (0);
	}
	errno = 0;
	*v = strtoll(line, &end, 10);
	if (errno != 0 || end == line || *v < 0)
		return (-1);
	return (0);
}

/*
 * The pids.max of our control group (v2 "0::/path", or v1's pids
 * controller) in *v; -1: none.  Returns 0, or -1 when it cannot tell.
 */
static int
cgroup_pids_max(long long *v)
{
	FILE		*f;
	char		 line[512], path[640], *p, *nl;
	int		 rc = -1;

	if ((f = fopen("/proc/self/cgroup", "re")) == NULL)
		return (-1);
	while (rc == -1 && fgets(line, sizeof(line), f) != NULL) {
		if ((nl = strchr(line, '\n')) != NULL)
			*nl = '\0';
		if (strncmp(line, "0::", 3) == 0)
			snprintf(path, sizeof(path), "/sys/fs/cgroup%s/pids.max",
			    strcmp(line + 3, "/") == 0 ? "" : line + 3);
		else if ((p = strstr(line, ":pids:")) != NULL)
			snprintf(path, sizeof(path),
			    "/sys/fs/cgroup/pids%s/pids.max",
			    strcmp(p + 6, "/") == 0 ? "" : p + 6);
		else
			continue;
		rc = read_limit(path, v);
	}
	fclose(f);
	return (rc);
}

/* Warn when a limit (name, value; -1 none) is below what the pool needs. */
static int
short_of(const char *name, long long v, int need, int max_workers,
    const char *how)
{
	if (v < 0 || v >= need)
		return (0);
	log_warnx("%s is %lld, under the %d processes that max_workers %d "
	    "needs (twice over during a reload): the pool may stop short "
	    "of it; %s", name, v, need, max_workers, how);
	return (1);
}

/*
 * Check, and raise where it is ours to raise, the limits on processes
 * for conf's max_workers (twice over: a reload runs two generations).
 * Returns how many fall short (each one logged).
 */
int
pool_limits(const struct config *conf)
{
	struct rlimit	 rl;
	long long	 v;
	int		 need = 2 * conf->max_workers + POOL_SLACK, bad = 0;

	if (geteuid() != 0 && getrlimit(RLIMIT_NPROC, &rl) == 0 &&
	    rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < (rlim_t)need) {
		/* counts the user's processes: the hard limit, if need be */
		rl.rlim_cur = rl.rlim_max == RLIM_INFINITY ||
		    rl.rlim_max > (rlim_t)need ? (rlim_t)need : rl.rlim_max;
		if (setrlimit(RLIMIT_NPROC, &rl) == -1 ||
		    getrlimit(RLIMIT_NPROC, &rl) == -1)
			log_warn("RLIMIT_NPROC");
		else
			bad += short_of("RLIMIT_NPROC", (long long)rl.rlim_cur,
			    need, conf->max_workers, "raise the hard limit (ulimit -Hu, "
			    "LimitNPROC=) or run as root");
	}
	if (read_limit("/proc/sys/kernel/pid_max", &v) == 0)
		bad += short_of("kernel.pid_max", v, need, conf->max_workers,
		    "raise it (sysctl kernel.pid_max)");
	if (read_limit("/proc/sys/kernel/threads-max", &v) == 0)
		bad += short_of("kernel.threads-max", v, need, conf->max_workers,
		    "raise it (sysctl kernel.threads-max)");
	if (cgroup_pids_max(&v) == 0)
		bad += short_of("the control group's pids.max", v, need,
		    conf->max_workers,
		    "raise it (systemd: TasksMax=)");
	return (bad);
}
