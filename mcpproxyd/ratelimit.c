/*
 * Token buckets per caller, shared by all workers.
 *
 * Each bucket is one GCRA state (the "theoretical arrival time", tat,
 * in CLOCK_MONOTONIC nanoseconds): a unit is allowed when taking it
 * leaves tat at most (burst + 1) intervals ahead of now, and a bucket
 * is full again once tat <= now.  That is nginx's limit_req with
 * nodelay: rate r, burst b let b + 1 units through at once, then one
 * every 1/r.
 *
 * The buckets live in one MAP_SHARED mapping the master makes before
 * it forks the first worker, so every generation of workers shares it
 * and a reload keeps every bucket.  It is a fixed array of sets of
 * RATELIMIT_WAYS buckets; a key (zone name, caller, tool) is hashed
 * with SipHash-2-4 under a key drawn at start, so a client cannot aim
 * many keys at one set.  The 64-bit hash is the bucket's tag and picks
 * its set.  A new key takes a free way or one whose bucket is full
 * (evicting it loses nothing: it would start full anyway); a busy
 * bucket is never evicted.  A set with no such way sends the key to
 * its zone's overflow bucket, shared by every key that did not fit.
 *
 * A set's lock word holds the pid of the worker holding it, so that a
 * worker killed inside the few instructions it is held does not leave
 * it locked: a waiter that spins long takes it over from a dead pid.
 * The mapping holds plain data only; nothing but rate state is in it,
 * and the master never reads it.
 */
#include <sys/types.h>
#include <sys/mman.h>
#include <sys/random.h>

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "parse.h"
#include "ratelimit.h"

struct rl_bucket {
	uint64_t	 tag;		/* 0: free */
	uint64_t	 tat;
};

struct rl_set {
	uint32_t	 lock;		/* pid of the holder, 0 free */
	uint32_t	 pad;
	struct rl_bucket b[RATELIMIT_WAYS];
};

#define OVERFLOW_SETS	4		/* 32 overflow buckets: MAX zones */

struct rl_table {
	struct rl_set	 overflow[OVERFLOW_SETS];
	struct rl_set	 set[];
};

/*
 * Kept out of the shared mapping a worker can write, inherited by
 * every worker at its fork: where the table is, its size, the hash key.
 */
static struct rl_table	*table;
static size_t		 nsets;
static int		 nentries;
static uint64_t		 hashkey[2];
static uint32_t		 mypid;		/* the lock word's value: getpid()
					   is a system call, so it is kept,
					   and set again in a forked child */

/* In a child just forked (a worker): its own pid for the locks. */
static void
ratelimit_forked(void)
{
	mypid = (uint32_t)getpid();
}

/* "20r/s", "300r/m": units a second or a minute, as nginx's rate=. */
int
ratelimit_parse_rate(const char *val, uint64_t *interval)
{
	char		 num[16];
	const char	*slash;
	long long	 n;
	uint64_t	 per;

	if ((slash = strstr(val, "r/")) == NULL || slash == val ||
	    (size_t)(slash - val) >= sizeof(num))
		return (-1);
	memcpy(num, val, slash - val);
	num[slash - val] = '\0';
	if (parse_int(num, 1, RATELIMIT_RATE_MAX, &n) == -1)
		return (-1);
	if (!strcmp(slash + 2, "s"))
		per = 1000000000ULL;
	else if (!strcmp(slash + 2, "m"))
		per = 60ULL * 1000000000ULL;
	else
		return (-1);
	*interval = per / (uint64_t)n;
	return (0);
}

/* burst = N: units above the first a caller may send at once. */
int
ratelimit_parse_burst(const char *val, unsigned int *burst)
{
	long long	 n;

	if (parse_int(val, 0, RATELIMIT_BURST_MAX, &n) == -1)
		return (-1);
	*burst = (unsigned int)n;
	return (0);
}

/* Bytes of the mapping for a table of entries buckets. */
size_t
ratelimit_bytes(int entries)
{
	size_t	 sets = ((size_t)entries + RATELIMIT_WAYS - 1) /
		    RATELIMIT_WAYS;

	return (sizeof(struct rl_table) + sets * sizeof(struct rl_set));
}

/*
 * Map the table of entries buckets (rounded up to whole sets), shared
 * with the workers forked later, and draw the hash key.  Called once,
 * by the master before its first fork.  Returns 0, or -1 with errno.
 * The test build for per-worker buckets (RATELIMIT_PER_WORKER) maps
 * it private: the negative control of tests/integration/65.
 */
int
ratelimit_create(int entries)
{
	size_t	 len = ratelimit_bytes(entries);
	void	*m;
	int	 fd, flags = MAP_SHARED;

#ifdef RATELIMIT_PER_WORKER
	flags = MAP_PRIVATE;
#endif
	if (getrandom(hashkey, sizeof(hashkey), 0) != sizeof(hashkey))
		return (-1);
	if (mypid == 0 && pthread_atfork(NULL, NULL, ratelimit_forked) != 0)
		return (-1);
	mypid = (uint32_t)getpid();
	/* a named mapping, so /proc/PID/maps shows its size */
	if ((fd = memfd_create("mcpproxyd-ratelimit", MFD_CLOEXEC)) == -1)
		return (-1);
	if (ftruncate(fd, (off_t)len) == -1 ||
	    (m = mmap(NULL, len, PROT_READ | PROT_WRITE, flags, fd, 0)) ==
	    MAP_FAILED) {
		close(fd);
		return (-1);
	}
	close(fd);
	if (table != NULL)
		munmap(table, ratelimit_bytes(nentries));
	table = m;
	nsets = ((size_t)entries + RATELIMIT_WAYS - 1) / RATELIMIT_WAYS;
	nentries = (int)(nsets * RATELIMIT_WAYS);
	return (0);
}

/* The table's buckets (a whole number of sets); 0 before it is made. */
int
ratelimit_entries(void)
{
	return (table != NULL ? nentries : 0);
}

/* Now, in the clock every process's buckets use. */
uint64_t
ratelimit_now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec);
}

#define ROTL(x, b)	(((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND do {							\
	v0 += v1; v1 = ROTL(v1, 13); v1 ^= v0; v0 = ROTL(v0, 32);	\
	v2 += v3; v3 = ROTL(v3, 16); v3 ^= v2;				\
	v0 += v3; v3 = ROTL(v3, 21); v3 ^= v0;				\
	v2 += v1; v1 = ROTL(v1, 17); v1 ^= v2; v2 = ROTL(v2, 32);	\
} while (0)

/* SipHash-2-4 of len bytes under k (Aumasson and Bernstein, 2012). */
static uint64_t
siphash(const uint64_t k[2], const unsigned char *p, size_t len)
{
	uint64_t	 v0 = 0x736f6d6570736575ULL ^ k[0];
	uint64_t	 v1 = 0x646f72616e646f6dULL ^ k[1];
	uint64_t	 v2 = 0x6c7967656e657261ULL ^ k[0];
	uint64_t	 v3 = 0x7465646279746573ULL ^ k[1];
	uint64_t	 m, b = (uint64_t)len << 56;
	size_t		 i, j;

	for (i = 0; i + 8 <= len; i += 8) {
		for (m = 0, j = 0; j < 8; j++)
			m |= (uint64_t)p[i + j] << (8 * j);
		v3 ^= m;
		SIPROUND;
		SIPROUND;
		v0 ^= m;
	}
	for (j = 0; i + j < len; j++)
		b |= (uint64_t)p[i + j] << (8 * j);
	v3 ^= b;
	SIPROUND;
	SIPROUND;
	v0 ^= b;
	v2 ^= 0xff;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	return (v0 ^ v1 ^ v2 ^ v3);
}

/*
 * The tag of key in zone z: its keyed hash over the zone's name (so a
 * bucket keeps its state across a reload that keeps the name) and the
 * key.  Never 0 (a free bucket).
 */
uint64_t
ratelimit_tag(const struct rlzone *z, const void *key, size_t len)
{
	unsigned char	 buf[1536];
	size_t		 n = strlen(z->name) + 1;
	uint64_t	 h;

	if (n + len > sizeof(buf)) {	/* never: callers bound the key */
		h = siphash(hashkey, key, len);
		key = &h;
		len = sizeof(h);
	}
	memcpy(buf, z->name, n);
	memcpy(buf + n, key, len);
	h = siphash(hashkey, buf, n + len);
	return (h != 0 ? h : 1);
}

/*
 * One unit from a GCRA bucket at now: returns 1 and moves *tat on, or
 * 0 with *wait, the ns until a unit is back.  interval is at most
 * 60e9 and burst RATELIMIT_BURST_MAX, so nothing overflows.
 */
int
ratelimit_gcra(uint64_t *tat, uint64_t now, uint64_t interval,
    unsigned int burst, uint64_t *wait)
{
	uint64_t	 next = (*tat > now ? *tat : now) + interval;
	uint64_t	 limit = now + ((uint64_t)burst + 1) * interval;

	if (next > limit) {
		*wait = next - limit;
		return (0);
	}
	*tat = next;
	return (1);
}

/* Take a set's lock; from a holder that died, if it comes to that. */
static void
set_lock(struct rl_set *s)
{
	uint32_t	 me = mypid, cur;
	unsigned int	 spins = 0;

	for (;;) {
		cur = 0;
		if (__atomic_compare_exchange_n(&s->lock, &cur, me, 0,
		    __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
			return;
		if (++spins % 64 == 0)
			sched_yield();
		/* held for a few instructions: a long wait is a dead pid */
		if (spins % 4096 == 0 && cur != 0 &&
		    kill((pid_t)cur, 0) == -1 && errno == ESRCH &&
		    __atomic_compare_exchange_n(&s->lock, &cur, me, 0,
		    __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
			return;
	}
}

static void
set_unlock(struct rl_set *s)
{
	__atomic_store_n(&s->lock, 0, __ATOMIC_RELEASE);
}

/*
 * The bucket of tag in set s, or a way for it (free, or full and so
 * evictable: it is reset to full, as a new bucket starts); NULL when
 * every way holds a busy bucket.  Called with the set locked.
 */
static struct rl_bucket *
set_find(struct rl_set *s, uint64_t tag, uint64_t now)
{
	struct rl_bucket	*spare = NULL;
	int			 i;

	for (i = 0; i < RATELIMIT_WAYS; i++) {
		if (s->b[i].tag == tag)
			return (&s->b[i]);
		if (spare == NULL && (s->b[i].tag == 0 || s->b[i].tat <= now))
			spare = &s->b[i];
	}
	if (spare != NULL) {
		spare->tag = tag;
		spare->tat = now;
	}
	return (spare);
}

/*
 * Charge one unit to zone z's bucket of tag at now (ratelimit_now());
 * r says whether it was allowed, from which bucket, and when to retry.
 * Without a table (never made) everything is allowed.
 */
void
ratelimit_charge(const struct rlzone *z, uint64_t tag, uint64_t now,
    struct rlresult *r)
{
	struct rl_set		*s;
	struct rl_bucket	*b;
	uint64_t		 wait = 0, otag;

	memset(r, 0, sizeof(*r));
	r->allowed = 1;
	if (table == NULL)
		return;
	s = &table->set[tag % nsets];
	set_lock(s);
	if ((b = set_find(s, tag, now)) == NULL) {
		set_unlock(s);
		/* the zone's overflow bucket: its tag from its name alone */
		otag = ratelimit_tag(z, "", 0);
		s = &table->overflow[otag % OVERFLOW_SETS];
		set_lock(s);
		if ((b = set_find(s, otag, now)) == NULL)
			b = &s->b[otag % RATELIMIT_WAYS];  /* shared, busy */
		r->overflow = 1;
	}
	r->allowed = ratelimit_gcra(&b->tat, now, z->interval, z->burst,
	    &wait);
	set_unlock(s);
	if (!r->allowed)
		r->retry = (unsigned int)((wait + 999999999ULL) / 1000000000ULL);
	if (!r->allowed && r->retry == 0)
		r->retry = 1;
}
