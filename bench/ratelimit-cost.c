/*
 * bench/ratelimit-cost.c: CPU per request of a rate limit, outside the
 * proxy: ratelimit_tag (SipHash-2-4 of zone and caller) and
 * ratelimit_charge (lock the set, find the bucket, GCRA) in a loop,
 * over 1000 callers in a table of 65536 buckets; then the same with
 * two processes charging the same callers at once (the set locks
 * contended).  See bench/RESULTS.md, "Rate limits".
 */
#include <sys/wait.h>

#include <stdint.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "ratelimit.h"

#define N	2000000

static double
run(struct rlzone *z)
{
	struct rlresult	 r;
	struct timespec	 a, b;
	unsigned char	 key[5] = { 'a', 10, 0, 0, 0 };
	uint64_t	 tag;
	int		 i, refused = 0;

	clock_gettime(CLOCK_MONOTONIC, &a);
	for (i = 0; i < N; i++) {
		key[3] = (unsigned char)(i % 1000 / 256);
		key[4] = (unsigned char)(i % 1000);
		tag = ratelimit_tag(z, key, sizeof(key));
		ratelimit_charge(z, tag, ratelimit_now(), &r);
		refused += !r.allowed;
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	if (refused)
		printf("(%d refused)\n", refused);
	return (((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) /
	    N / 1000);
}

int
main(void)
{
	char		 name[] = "bench";
	struct rlzone	 z = { .name = name, .interval = 1000,
			    .burst = RATELIMIT_BURST_MAX };
	pid_t		 pid;

	if (ratelimit_create(65536) == -1)
		return (1);
	printf("one process: %.3f us a request (tag + charge)\n", run(&z));
	fflush(stdout);
	if ((pid = fork()) == 0) {
		printf("two processes, child: %.3f us\n", run(&z));
		fflush(stdout);
		_exit(0);
	}
	printf("two processes, parent: %.3f us\n", run(&z));
	waitpid(pid, NULL, 0);
	return (0);
}
