/*
 * Rate limits (ratelimit.c): the bucket arithmetic, the shared table
 * (eviction of full buckets only, the overflow bucket, sharing across
 * fork), and the [ratelimit NAME] configuration, whose table of bad
 * files is larger than its good one.
 */
#include <sys/types.h>
#include <sys/wait.h>

#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../mcpproxyd/mcpproxyd.h"
#include "../../mcpproxyd/ratelimit.h"
#include "unit.h"
#include "unit_conftable.h"

#define S	1000000000ULL		/* ns */

/* GCRA: burst + 1 at once, then one an interval; Retry-After rounded up */
static void
test_gcra(void)
{
	uint64_t	 tat = 0, now = 1000 * S, wait, T = S / 10;
	int		 i, n;

	/* 10r/s burst 4: five at once, the sixth refused */
	for (n = 0, i = 0; i < 10; i++)
		n += ratelimit_gcra(&tat, now, T, 4, &wait);
	CHECK(n == 5, "%d allowed at once, want 5", n);
	CHECK(wait == T, "wait %llu, want one interval",
	    (unsigned long long)wait);
	/* half an interval on: still nothing; a whole one: exactly one */
	CHECK(!ratelimit_gcra(&tat, now + T / 2, T, 4, &wait), "half");
	CHECK(ratelimit_gcra(&tat, now + T, T, 4, &wait), "one back");
	CHECK(!ratelimit_gcra(&tat, now + T, T, 4, &wait), "only one");
	/* ten seconds of steady demand: 100 more, not 101 */
	for (n = 0, i = 0; i <= 100000; i++)
		n += ratelimit_gcra(&tat, now + T + i * (10 * S / 100000), T,
		    4, &wait);
	CHECK(n == 100, "%d allowed in 10 s at 10r/s, want 100", n);
	/* idle long: full again (tat <= now), never more than burst + 1 */
	now += 3600 * S;
	CHECK(tat <= now, "refilled");
	for (n = 0, i = 0; i < 10; i++)
		n += ratelimit_gcra(&tat, now, T, 4, &wait);
	CHECK(n == 5, "%d after an hour idle, want 5", n);
	/* burst 0: one at a time (nginx without burst=) */
	tat = 0;
	CHECK(ratelimit_gcra(&tat, now, T, 0, &wait), "first");
	CHECK(!ratelimit_gcra(&tat, now, T, 0, &wait), "second at once");
	/* slowest rate, largest burst: no overflow of the arithmetic */
	tat = 0;
	for (n = 0, i = 0; i < RATELIMIT_BURST_MAX + 10; i++)
		n += ratelimit_gcra(&tat, now, 60 * S, RATELIMIT_BURST_MAX,
		    &wait);
	CHECK(n == RATELIMIT_BURST_MAX + 1, "%d at 1r/m burst max", n);
}

static const struct {
	const char	*val;
	uint64_t	 interval;	/* 0: refused */
} rates[] = {
	{ "20r/s", S / 20 },
	{ "1r/m", 60 * S },
	{ "1000000r/s", 1000 },
	{ "3r/m", 20 * S },
	/* bad */
	{ "0r/s", 0 }, { "r/s", 0 }, { "20", 0 }, { "20/s", 0 },
	{ "20r/h", 0 }, { "20r/", 0 }, { "20r/ss", 0 }, { "-1r/s", 0 },
	{ "1000001r/s", 0 }, { "20 r/s", 0 }, { "20r/s ", 0 }, { "", 0 },
	{ "0x10r/s", 0 }, { "99999999999999999999r/s", 0 }, { "1.5r/s", 0 },
};

static void
test_parse(void)
{
	uint64_t	 iv;
	unsigned int	 b;
	size_t		 i;

	for (i = 0; i < sizeof(rates) / sizeof(rates[0]); i++) {
		iv = 0;
		if (rates[i].interval == 0)
			CHECK(ratelimit_parse_rate(rates[i].val, &iv) == -1,
			    "rate \"%s\" accepted", rates[i].val);
		else
			CHECK(ratelimit_parse_rate(rates[i].val, &iv) == 0 &&
			    iv == rates[i].interval, "rate \"%s\": %llu",
			    rates[i].val, (unsigned long long)iv);
	}
	CHECK(ratelimit_parse_burst("0", &b) == 0 && b == 0, "burst 0");
	CHECK(ratelimit_parse_burst("100000", &b) == 0, "burst max");
	CHECK(ratelimit_parse_burst("100001", &b) == -1, "burst over");
	CHECK(ratelimit_parse_burst("-1", &b) == -1, "burst -1");
	CHECK(ratelimit_parse_burst("x", &b) == -1, "burst x");
}

/* A tag in set k of a table of nsets sets (tag % nsets picks the set). */
static uint64_t
tag_in(uint64_t k, uint64_t nsets, uint64_t n)
{
	return (k + nsets * (n + 1));
}

static void
test_table(void)
{
	struct rlzone	 z = { .name = (char *)(uintptr_t)"z", .interval = 60 * S, .burst = 0 };
	struct rlresult	 r;
	uint64_t	 now = 5000 * S, nsets;
	int		 i, st;
	pid_t		 pid;

	CHECK(ratelimit_create(64) == 0, "create");
	CHECK(ratelimit_entries() == 64, "entries %d", ratelimit_entries());
	nsets = 64 / RATELIMIT_WAYS;
	CHECK(ratelimit_bytes(64) < 64 * 24 + 5000, "bytes %zu",
	    ratelimit_bytes(64));
	CHECK(ratelimit_bytes(65) > ratelimit_bytes(64), "rounded up");

	/* fill set 3 with eight busy buckets (1r/m, each used once) */
	for (i = 0; i < RATELIMIT_WAYS; i++) {
		ratelimit_charge(&z, tag_in(3, nsets, i), now, &r);
		CHECK(r.allowed && !r.overflow, "fill %d", i);
	}
	/* each is busy: its second unit is refused, Retry-After 60 s */
	ratelimit_charge(&z, tag_in(3, nsets, 0), now, &r);
	CHECK(!r.allowed && !r.overflow && r.retry == 60,
	    "busy key: allowed %d overflow %d retry %u", r.allowed,
	    r.overflow, r.retry);
	/* a ninth key finds no way: the overflow bucket, used once... */
	ratelimit_charge(&z, tag_in(3, nsets, 100), now, &r);
	CHECK(r.allowed && r.overflow, "ninth key: overflow bucket");
	/* ...and shared: a tenth key is refused there */
	ratelimit_charge(&z, tag_in(3, nsets, 101), now, &r);
	CHECK(!r.allowed && r.overflow, "tenth key: overflow bucket spent");
	/* the busy key was not evicted by them: still refused */
	ratelimit_charge(&z, tag_in(3, nsets, 0), now + 30 * S, &r);
	CHECK(!r.allowed && !r.overflow && r.retry == 30,
	    "busy key kept its state (retry %u)", r.retry);
	/* another set is untouched */
	ratelimit_charge(&z, tag_in(4, nsets, 0), now, &r);
	CHECK(r.allowed && !r.overflow, "other set");
	/* a minute on, the buckets are full: a new key evicts one */
	ratelimit_charge(&z, tag_in(3, nsets, 102), now + 61 * S, &r);
	CHECK(r.allowed && !r.overflow, "full bucket evicted for a new key");

	/* the table is shared with a child (a worker), both ways */
	ratelimit_charge(&z, tag_in(5, nsets, 0), now, &r);
	if ((pid = fork()) == 0) {
		ratelimit_charge(&z, tag_in(5, nsets, 0), now, &r);
		ratelimit_charge(&z, tag_in(6, nsets, 0), now, &r);
		_exit(r.allowed ? 0 : 1);
	}
	CHECK(pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) &&
	    WEXITSTATUS(st) == 0, "child");
	ratelimit_charge(&z, tag_in(6, nsets, 0), now, &r);
	CHECK(!r.allowed, "the child's unit is seen by the parent");

	/* tags differ by zone and by key, and are not 0 */
	{
		struct rlzone	 y = { .name = (char *)(uintptr_t)"y" };

		CHECK(ratelimit_tag(&z, "a", 1) != ratelimit_tag(&y, "a", 1),
		    "zone in the tag");
		CHECK(ratelimit_tag(&z, "a", 1) != ratelimit_tag(&z, "b", 1),
		    "key in the tag");
		CHECK(ratelimit_tag(&z, "a", 1) == ratelimit_tag(&z, "a", 1),
		    "stable");
	}
}

/*
 * A worker killed while it holds a set's lock (SIGKILL at any moment of
 * a tight loop of charges, many times over) never leaves the set locked
 * for the others: the next charge takes the lock over from the dead
 * pid.  alarm() fails the test if a charge hangs.
 */
static void
test_dead_holder(void)
{
	struct rlzone	 z = { .name = (char *)(uintptr_t)"d",
			    .interval = 1000, .burst = 1000 };
	struct rlresult	 r;
	pid_t		 pid;
	int		 i, j;

	CHECK(ratelimit_create(64) == 0, "create");
	alarm(20);
	for (i = 0; i < 300; i++) {
		if ((pid = fork()) == 0)
			for (;;)
				ratelimit_charge(&z, 7, ratelimit_now(), &r);
		for (j = 0; j < 1000 * (i % 7 + 1); j++)
			__asm__ volatile("" ::: "memory");
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);	/* a zombie still answers kill(0) */
		ratelimit_charge(&z, 7, ratelimit_now(), &r);
	}
	alarm(0);
	CHECK(1, "300 workers killed while charging; no charge hung");
}

#define HEAD	"[server s]\nlisten = 127.0.0.1:9000\n"
#define RT	"route = /mcp http://127.0.0.1:8000/mcp"

static const struct conf_case cases[] = {
	/* good */
	{ HEAD RT " ratelimit=a\n[ratelimit a]\nrate = 20r/s\nburst = 40\n",
	    NULL },
	{ HEAD RT " ratelimit=a,b\n[ratelimit a]\nrate = 20r/s\n"
	    "key = address\n[ratelimit b]\nrate = 5r/m\nkey = caller\n"
	    "tool = *\n[mcpproxyd]\nratelimit_table_size = 64\n", NULL },
	{ HEAD RT " ratelimit=t semicolons=allow\n[ratelimit t]\n"
	    "rate = 1r/s\ntool = echo\n", NULL },
	{ "[ratelimit unused]\nrate = 1r/s\n" HEAD RT "\n", NULL },
	/* bad */
	{ HEAD RT " ratelimit=a\n", "t.conf:1: [server s]: route /mcp: no "
	    "[ratelimit a]" },
	{ HEAD RT " ratelimit=\n", "t.conf:3: route: ratelimit= needs the "
	    "names of [ratelimit NAME] sections" },
	{ HEAD RT " ratelimit=a ratelimit=b\n", "t.conf:3: route: expected "
	    "\"PREFIX URL [auth=NAME] [policy=NAME] [ratelimit=NAME] "
	    "[semicolons=allow]\"" },
	{ HEAD RT " ratelimit=a,a,a,a,a\n[ratelimit a]\nrate = 1r/s\n",
	    "t.conf:1: [server s]: route /mcp: more than 4 rate limits" },
	{ HEAD RT " ratelimit=a\n[ratelimit a]\nburst = 4\n",
	    "t.conf:4: [ratelimit a]: no rate" },
	{ HEAD RT "\n[ratelimit a]\nrate = 20\n", "t.conf:5: rate: \"20\" "
	    "is not N r/s or N r/m (N from 1 to 1000000)" },
	{ HEAD RT "\n[ratelimit a]\nrate = 0r/s\n", "t.conf:5: rate: "
	    "\"0r/s\" is not N r/s or N r/m (N from 1 to 1000000)" },
	{ HEAD RT "\n[ratelimit a]\nrate = 5r/h\n", "t.conf:5: rate: "
	    "\"5r/h\" is not N r/s or N r/m (N from 1 to 1000000)" },
	{ HEAD RT "\n[ratelimit a]\nrate = 1r/s\nburst = -1\n", "t.conf:6: "
	    "burst: \"-1\" is not a number from 0 to 100000" },
	{ HEAD RT "\n[ratelimit a]\nrate = 1r/s\nburst = 100001\n",
	    "t.conf:6: burst: \"100001\" is not a number from 0 to 100000" },
	{ HEAD RT "\n[ratelimit a]\nrate = 1r/s\nkey = subject\n",
	    "t.conf:6: key: \"subject\" is not caller or address" },
	{ HEAD RT "\n[ratelimit a]\nrate = 1r/s\nkey = address\n"
	    "tool = echo\n", "t.conf:4: [ratelimit a]: tool needs key = "
	    "caller (the tool is read after the address is charged)" },
	{ HEAD RT "\n[ratelimit a]\nrate = 1r/s\ntool = a, b\n",
	    "t.conf:6: tool: \"a, b\" is not one tool name or *" },
	{ HEAD RT "\n[ratelimit a]\nrate = 1r/s\ntool =\n",
	    "t.conf:6: tool: empty value" },
	{ HEAD RT "\n[ratelimit a]\nrate = 1r/s\nzone = 10m\n",
	    "t.conf:6: unknown key \"zone\" in [ratelimit a]" },
	{ HEAD RT "\n[ratelimit a]\nrate = 1r/s\nrate = 2r/s\n",
	    "t.conf:6: \"rate\" given twice in [ratelimit a]" },
	{ HEAD RT "\n[ratelimit a]\nrate = 1r/s\n[ratelimit a]\n",
	    "t.conf:6: [ratelimit a] given twice" },
	{ HEAD RT "\n[ratelimit]\nrate = 1r/s\n",
	    "t.conf:4: unknown section [ratelimit]" },
	{ HEAD RT "\n[mcpproxyd]\nratelimit_table_size = 63\n",
	    "t.conf:5: ratelimit_table_size: \"63\" is not a number from 64 "
	    "to 16777216" },
	{ HEAD RT "\n[mcpproxyd]\nratelimit_table_size = 16777217\n",
	    "t.conf:5: ratelimit_table_size: \"16777217\" is not a number "
	    "from 64 to 16777216" },
	{ HEAD RT "\n[mcpproxyd]\nratelimit_table_size = 1m\n",
	    "t.conf:5: ratelimit_table_size: \"1m\" is not a number from 64 "
	    "to 16777216" },
};

static void
test_config(void)
{
	size_t	 i, good = 0, n = sizeof(cases) / sizeof(cases[0]);

	conf_table("[ratelimit]", cases, n, conf_load_text);
	for (i = 0; i < n; i++)
		good += cases[i].err == NULL;
	CHECK(good * 2 < n, "%zu good cases of %zu: bad ones must outnumber",
	    good, n);
	unlink("t.conf");
}

int
main(void)
{
	char	 dir[] = "/tmp/rl.XXXXXX";

	if (mkdtemp(dir) == NULL || chdir(dir) == -1)
		abort();
	test_gcra();
	test_parse();
	test_table();
	test_dead_holder();
	test_config();
	rmdir(dir);
	return (unit_done("mcpproxyd_ratelimit"));
}
