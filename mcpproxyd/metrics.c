/*
 * The counters behind the metrics listener (metrics.h says what lives
 * where).  The hot path is one hash probe in the worker's own block and
 * a relaxed load and store: a block has one writer (the worker holding
 * the slot), so no lock and no atomic read-modify-write is needed, and
 * readers sum blocks at scrape time.  Nothing here is ever cleared or
 * read back by the master: it writes its own counters into the header
 * and acts on none of them.
 *
 * Label values a client chooses are bounded: a JSON-RPC method is one
 * of the MCP methods or "other"; a tool is one named in a rule or seen
 * in a backend's tools/list answer, at most metrics_max_tools of them,
 * or "other".  Server names, route prefixes and rules come from the
 * configuration.
 */
#include <sys/mman.h>

#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "mcpproxyd.h"
#include "metrics.h"

#define NAME_FREE	0
#define NAME_CLAIMED	1	/* being written: wait a little */
#define NAME_READY	2
#define CLAIM_SPINS	1000

struct mname {
	uint32_t	 state;		/* NAME_* */
	uint32_t	 kind;		/* enum metrics_kind */
	char		 name[METRICS_NAME_MAX];
};

struct mhead {
	uint64_t	 reloads;	/* the master's */
	uint64_t	 deaths_signal;
	uint64_t	 deaths_error;
	int64_t		 waiting;	/* the waiting room's */
	uint64_t	 tools;		/* tool names taken */
	uint32_t	 nslots;	/* as made; a copy for readers */
	uint32_t	 nseries;
};

struct mentry {
	uint64_t	 key;
	uint64_t	 value;
};

/* As made, kept out of the shared memory any worker can write. */
static struct mhead	*head;
static struct mname	*names;
static struct mentry	*blocks;
static uint8_t		*used;		/* per slot: a worker counted in it */
static size_t		 region_len;
static int		 made_nslots, made_nseries, made_tools;

/* This worker's block, and the configuration its label ids come from. */
static struct mentry		*mine;
static const struct config	*mconf;
static unsigned int		 sid[MAX_SERVERS];
static unsigned int		 rid[MAX_SERVERS][MAX_ROUTES];

const double metrics_bounds[METRICS_BUCKETS] = {
	0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5
};

/* The JSON-RPC methods of MCP, the only method labels besides these. */
static const char *const methods[] = {
	"none", "other", "response",
	"initialize", "ping",
	"tools/list", "tools/call",
	"resources/list", "resources/templates/list", "resources/read",
	"resources/subscribe", "resources/unsubscribe",
	"prompts/list", "prompts/get",
	"completion/complete", "logging/setLevel",
	"sampling/createMessage", "elicitation/create", "roots/list",
	"tasks/get", "tasks/result", "tasks/list", "tasks/cancel",
	"notifications/initialized", "notifications/cancelled",
	"notifications/progress", "notifications/message",
	"notifications/roots/list_changed",
	"notifications/tools/list_changed",
	"notifications/prompts/list_changed",
	"notifications/resources/list_changed",
	"notifications/resources/updated",
	"notifications/tasks/status",
	"notifications/elicitation/complete",
};
#define NMETHODS	(sizeof(methods) / sizeof(methods[0]))
#define METHOD_RESPONSE	2

static size_t
round_pow2(size_t n)
{
	size_t	 p = 1;

	while (p < n)
		p <<= 1;
	return (p);
}

/*
 * Map the shared counters for nslots workers (in the master, before it
 * forks).  Returns 0, or -1 with errno.
 */
int
metrics_create(int nslots, int max_tools, int max_series)
{
	size_t	 nser = round_pow2((size_t)max_series);
	void	*p;

	/* blocks page-aligned after the per-slot flags */
	region_len = (sizeof(struct mhead) + METRICS_NAMES *
	    sizeof(struct mname) + (size_t)nslots + 4095) & ~(size_t)4095;
	region_len += (size_t)nslots * nser * sizeof(struct mentry);
	p = mmap(NULL, region_len, PROT_READ | PROT_WRITE, MAP_SHARED |
	    MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return (-1);
	head = p;
	names = (struct mname *)(head + 1);
	used = (uint8_t *)(names + METRICS_NAMES);
	blocks = (struct mentry *)((char *)p + ((sizeof(struct mhead) +
	    METRICS_NAMES * sizeof(struct mname) + (size_t)nslots + 4095) &
	    ~(size_t)4095));
	head->nslots = made_nslots = nslots;
	head->nseries = made_nseries = (int)nser;
	made_tools = max_tools;
	/* the two fixed ids, never matched by a lookup */
	names[MID_NONE].state = names[MID_OTHER].state = NAME_READY;
	snprintf(names[MID_NONE].name, METRICS_NAME_MAX, "none");
	snprintf(names[MID_OTHER].name, METRICS_NAME_MAX, "other");
	return (0);
}

/* The shared region and its length (NULL when metrics are off). */
void *
metrics_region(size_t *len)
{
	*len = region_len;
	return (head);
}

/* Are metrics on (the region made at start)? */
int
metrics_enabled(void)
{
	return (head != NULL);
}

/* Copy a label value, bytes a label may not hold made '?'. */
static void
name_copy(char *dst, const char *src)
{
	size_t	 i;

	for (i = 0; i < METRICS_NAME_MAX - 1 && src[i] != '\0'; i++)
		dst[i] = ((unsigned char)src[i] < 0x20 ||
		    (unsigned char)src[i] >= 0x7f) ? '?' : src[i];
	dst[i] = '\0';
}

static uint32_t
name_hash(enum metrics_kind kind, const char *name)
{
	uint32_t	 h = 2166136261u ^ (uint32_t)kind;

	for (; *name; name++)
		h = (h ^ (unsigned char)*name) * 16777619u;
	return (h);
}

/*
 * The id of (kind, name) in the shared table; when absent and add, take
 * a free entry for it.  MID_OTHER when the table is full (or an entry
 * stays claimed by a worker killed while writing it).
 */
static unsigned int
name_lookup(enum metrics_kind kind, const char *name, int add)
{
	char		 v[METRICS_NAME_MAX];
	uint32_t	 i, h, st;
	int		 spins;

	if (head == NULL)
		return (MID_OTHER);
	name_copy(v, name);
	h = name_hash(kind, v);
	for (i = 0; i < METRICS_NAMES; i++) {
		struct mname *e = &names[(h + i) % METRICS_NAMES];

		if (e == &names[MID_NONE] || e == &names[MID_OTHER])
			continue;
		for (spins = 0; (st = __atomic_load_n(&e->state,
		    __ATOMIC_ACQUIRE)) == NAME_CLAIMED && spins < CLAIM_SPINS;
		    spins++)
			sched_yield();
		if (st == NAME_READY) {
			if (e->kind == (uint32_t)kind && !strcmp(e->name, v))
				return ((unsigned int)(e - names));
			continue;
		}
		if (st != NAME_FREE)
			continue;
		if (!add)
			return (MID_OTHER);
		if (!__atomic_compare_exchange_n(&e->state, &st, NAME_CLAIMED,
		    0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
			i--;		/* taken meanwhile: look at it again */
			continue;
		}
		e->kind = kind;
		memcpy(e->name, v, sizeof(v));
		__atomic_store_n(&e->state, NAME_READY, __ATOMIC_RELEASE);
		return ((unsigned int)(e - names));
	}
	return (MID_OTHER);
}

/* The id of a name from the configuration, taken into the table. */
unsigned int
metrics_name(enum metrics_kind kind, const char *name)
{
	if (name == NULL || *name == '\0')
		return (MID_NONE);
	return (name_lookup(kind, name, 1));
}

/* The id of (kind, name) when the table holds it, else MID_OTHER. */
unsigned int
metrics_find(enum metrics_kind kind, const char *name)
{
	if (name == NULL || *name == '\0')
		return (MID_NONE);
	return (name_lookup(kind, name, 0));
}

/* The label id of a tool a client calls: a known one, or "other". */
unsigned int
metrics_tool(const char *name)
{
	return (metrics_find(MK_TOOL, name));
}

/*
 * Take a tool name a rule or a backend's tools/list named into the
 * table, while fewer than metrics_max_tools are there.
 */
void
metrics_tool_seen(const char *name)
{
	if (head == NULL || name == NULL || *name == '\0' ||
	    metrics_find(MK_TOOL, name) != MID_OTHER)
		return;
	if (__atomic_fetch_add(&head->tools, 1, __ATOMIC_RELAXED) >=
	    (uint64_t)made_tools) {
		__atomic_fetch_sub(&head->tools, 1, __ATOMIC_RELAXED);
		return;
	}
	if (name_lookup(MK_TOOL, name, 1) == MID_OTHER)
		__atomic_fetch_sub(&head->tools, 1, __ATOMIC_RELAXED);
}

/* The text of a label id ("other" for one out of range). */
const char *
metrics_name_text(unsigned int id)
{
	if (head == NULL || id >= METRICS_NAMES ||
	    __atomic_load_n(&names[id].state, __ATOMIC_ACQUIRE) != NAME_READY)
		return ("other");
	return (names[id].name);
}

/* The label id of a JSON-RPC method: an MCP one, else "other". */
unsigned int
metrics_method(const char *method)
{
	size_t	 i;

	if (method == NULL)
		return (0);
	for (i = 3; i < NMETHODS; i++)
		if (!strcmp(method, methods[i]))
			return ((unsigned int)i);
	return (1);
}

/* The text of a method label id. */
const char *
metrics_method_text(unsigned int id)
{
	return (id < NMETHODS ? methods[id] : "other");
}

/* The number of method label values. */
size_t
metrics_methods(void)
{
	return (NMETHODS);
}

/* Pack a key: family 6 bits, a b c 13 bits each, d e 8 bits each. */
uint64_t
metrics_pack(const struct metrics_key *k)
{
	return ((uint64_t)(k->family & 0x3f) << 55 |
	    (uint64_t)(k->a & 0x1fff) << 42 | (uint64_t)(k->b & 0x1fff) << 29 |
	    (uint64_t)(k->c & 0x1fff) << 16 | (uint64_t)(k->d & 0xff) << 8 |
	    (uint64_t)(k->e & 0xff));
}

/* Unpack a key made by metrics_pack(). */
void
metrics_unpack(uint64_t key, struct metrics_key *k)
{
	k->family = (key >> 55) & 0x3f;
	k->a = (key >> 42) & 0x1fff;
	k->b = (key >> 29) & 0x1fff;
	k->c = (key >> 16) & 0x1fff;
	k->d = (key >> 8) & 0xff;
	k->e = key & 0xff;
}

/*
 * Become the writer of slot's block (a worker, after its fork): the
 * block goes on from where the slot's last worker left it.  The tools
 * the rules name are taken into the table.
 */
void
metrics_worker_start(const struct config *conf, int slot)
{
	struct metrics_key	 k = { MF_DROPPED, 0, 0, 0, 0, 0 };
	size_t			 i, j;

	if (head == NULL || slot < 0 || slot >= made_nslots)
		return;
	mine = blocks + (size_t)slot * made_nseries;
	__atomic_store_n(&used[slot], 1, __ATOMIC_RELEASE);
	mconf = conf;
	memset(sid, 0, sizeof(sid));
	memset(rid, 0, sizeof(rid));
	/* entry 0 counts what found no room, under its own key */
	if (mine[0].key == 0)
		__atomic_store_n(&mine[0].key, metrics_pack(&k),
		    __ATOMIC_RELEASE);
	for (i = 0; i < conf->npolicies; i++)
		for (j = 0; j < conf->policies[i]->nrules; j++) {
			const struct policy_rule *r =
			    &conf->policies[i]->rule[j];

			if (r->kind == PK_TOOL && strchr(r->pattern, '*') ==
			    NULL)
				metrics_tool_seen(r->pattern);
		}
}

/* Add n to the series k of this worker's block. */
void
metrics_add(const struct metrics_key *k, uint64_t n)
{
	uint64_t	 key, cur;
	uint32_t	 i, h, mask;

	if (mine == NULL)
		return;
	key = metrics_pack(k);
	mask = (uint32_t)made_nseries - 1;
	h = (uint32_t)((key * 0x9e3779b97f4a7c15ULL) >> 40);
	for (i = 0; i < (uint32_t)made_nseries; i++) {
		struct mentry *e = &mine[(h + i) & mask];

		if (e == &mine[0])
			continue;
		cur = __atomic_load_n(&e->key, __ATOMIC_RELAXED);
		if (cur == 0) {
			/* the value first: a reader sees a key with it */
			__atomic_store_n(&e->value, 0, __ATOMIC_RELAXED);
			__atomic_store_n(&e->key, key, __ATOMIC_RELEASE);
			cur = key;
		}
		if (cur == key) {
			__atomic_store_n(&e->value, __atomic_load_n(&e->value,
			    __ATOMIC_RELAXED) + n, __ATOMIC_RELAXED);
			return;
		}
	}
	__atomic_store_n(&mine[0].value, __atomic_load_n(&mine[0].value,
	    __ATOMIC_RELAXED) + 1, __ATOMIC_RELAXED);
}

/* The label ids of a server and a route of this worker's configuration. */
static void
place(const struct server *srv, const struct route *rt, unsigned int *a,
    unsigned int *b)
{
	size_t	 si, ri;

	*a = *b = MID_NONE;
	if (srv == NULL || mconf == NULL)
		return;
	si = (size_t)(srv - mconf->servers);
	if (si >= MAX_SERVERS)
		return;
	if (sid[si] == 0)
		sid[si] = metrics_name(MK_SERVER, srv->name) + 1;
	*a = sid[si] - 1;
	if (rt == NULL)
		return;
	ri = (size_t)(rt - srv->routes);
	if (ri >= MAX_ROUTES)
		return;
	if (rid[si][ri] == 0)
		rid[si][ri] = metrics_name(MK_ROUTE, rt->prefix) + 1;
	*b = rid[si][ri] - 1;
}

/* Count one finished request of x (its answer sent or cut). */
void
metrics_request(const struct exchange *x)
{
	struct metrics_key	 k = { MF_REQUESTS, 0, 0, 0, 0, 0 };
	int			 st = x->log.status;

	if (mine == NULL)
		return;
	place(x->srv, x->rt, &k.a, &k.b);
	if (x->rpcok && x->rpc.kind == JSONRPC_RESPONSE)
		k.d = METHOD_RESPONSE;
	else if (x->rpcok) {
		k.d = metrics_method(x->rpc.method);
		if (x->rpc.method != NULL && !strcmp(x->rpc.method,
		    "tools/call"))
			k.c = metrics_tool(jsonrpc_target(&x->rpc));
	}
	k.e = st >= 100 && st < 600 ? (unsigned int)st / 100 : 0;
	metrics_add(&k, 1);
}

/*
 * Count an authentication failure on x's route: a token.h status, or
 * one of AUTHFAIL_*.
 */
void
metrics_auth_fail(const struct exchange *x, int reason)
{
	struct metrics_key	 k = { MF_AUTH_FAIL, 0, 0, 0, 0, 0 };

	if (mine == NULL)
		return;
	place(x->srv, x->rt, &k.a, &k.b);
	k.d = (unsigned int)reason;
	metrics_add(&k, 1);
}

/* Count a denial by the rule of policy at line (0: no rule decided). */
void
metrics_denied(const char *policy, int line, int verdict)
{
	struct metrics_key	 k = { MF_DENIED, 0, 0, 0, 0, 0 };
	char			 rule[METRICS_NAME_MAX];

	if (mine == NULL)
		return;
	if (line > 0)
		snprintf(rule, sizeof(rule), "line %d", line);
	else
		snprintf(rule, sizeof(rule), "default");
	k.a = metrics_name(MK_POLICY, policy);
	k.b = metrics_name(MK_RULE, rule);
	k.d = (unsigned int)verdict;
	metrics_add(&k, 1);
}

/* Count a token cache lookup. */
void
metrics_token_cache(int hit)
{
	struct metrics_key	 k = { MF_TOKEN_CACHE, 0, 0, 0, 0, 0 };

	k.d = hit != 0;
	metrics_add(&k, 1);
}

static void
observe(enum metrics_family f, const struct server *srv,
    const struct route *rt, long long us)
{
	struct metrics_key	 k = { f, 0, 0, 0, 0, 0 };
	double			 s = us / 1e6;
	unsigned int		 i;

	place(srv, rt, &k.a, &k.b);
	for (i = 0; i < METRICS_BUCKETS && s > metrics_bounds[i]; i++)
		;
	k.d = i;		/* METRICS_BUCKETS: +Inf */
	metrics_add(&k, 1);
	k.d = METRICS_SUM;
	metrics_add(&k, us > 0 ? (uint64_t)us : 0);
}

/* A connection to rt's upstream took us microseconds, or failed. */
void
metrics_connect(const struct server *srv, const struct route *rt,
    long long us, int failed)
{
	struct metrics_key	 k = { MF_CONNECT_FAIL, 0, 0, 0, 0, 0 };

	if (mine == NULL)
		return;
	if (failed) {
		place(srv, rt, &k.a, &k.b);
		metrics_add(&k, 1);
	} else
		observe(MF_UP_CONNECT, srv, rt, us);
}

/* rt's upstream answered a request's head after us microseconds. */
void
metrics_upstream(const struct server *srv, const struct route *rt,
    long long us)
{
	if (mine != NULL)
		observe(MF_UP_RESPONSE, srv, rt, us);
}

/* A monotonic clock in microseconds, for the histograms. */
long long
metrics_now_us(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (ts.tv_sec * 1000000LL + ts.tv_nsec / 1000);
}

/* The master: a reload took effect. */
void
metrics_note_reload(void)
{
	if (head != NULL)
		__atomic_fetch_add(&head->reloads, 1, __ATOMIC_RELAXED);
}

/* The master: a worker died of a signal, or exited with an error. */
void
metrics_note_death(int signaled)
{
	if (head != NULL)
		__atomic_fetch_add(signaled ? &head->deaths_signal :
		    &head->deaths_error, 1, __ATOMIC_RELAXED);
}

/* The waiting room: how many connections wait in it now. */
void
metrics_waiting_set(long n)
{
	if (head != NULL)
		__atomic_store_n(&head->waiting, (int64_t)n, __ATOMIC_RELAXED);
}

/* The header's counters, as now. */
void
metrics_totals(struct metrics_totals *t)
{
	memset(t, 0, sizeof(*t));
	if (head == NULL)
		return;
	t->reloads = __atomic_load_n(&head->reloads, __ATOMIC_RELAXED);
	t->deaths_signal = __atomic_load_n(&head->deaths_signal,
	    __ATOMIC_RELAXED);
	t->deaths_error = __atomic_load_n(&head->deaths_error,
	    __ATOMIC_RELAXED);
	t->waiting = __atomic_load_n(&head->waiting, __ATOMIC_RELAXED);
	t->tools = __atomic_load_n(&head->tools, __ATOMIC_RELAXED);
}

static int
by_key(const void *a, const void *b)
{
	const struct metrics_series *x = a, *y = b;

	return (x->key < y->key ? -1 : x->key > y->key);
}

/*
 * Sum every block's series (a scrape).  Returns their number and a
 * malloc'd array sorted by key in *out, or 0 and NULL.
 */
size_t
metrics_collect(struct metrics_series **out)
{
	struct metrics_series	*s;
	size_t			 n = 0, m = 0, i, total;
	uint64_t		 key;

	*out = NULL;
	if (head == NULL)
		return (0);
	/* blocks of slots never used are left untouched (not paged in) */
	total = (size_t)made_nslots * made_nseries;
	for (i = 0; i < total; i++) {
		if (i % made_nseries == 0 && !__atomic_load_n(&used[i /
		    made_nseries], __ATOMIC_ACQUIRE)) {
			i += made_nseries - 1;
			continue;
		}
		n += __atomic_load_n(&blocks[i].key, __ATOMIC_ACQUIRE) != 0;
	}
	/* a worker may add series meanwhile: room for them */
	n += 64;
	if ((s = calloc(n, sizeof(*s))) == NULL)
		return (0);
	for (i = 0; i < total && m < n; i++) {
		if (i % made_nseries == 0 && !__atomic_load_n(&used[i /
		    made_nseries], __ATOMIC_ACQUIRE)) {
			i += made_nseries - 1;
			continue;
		}
		if ((key = __atomic_load_n(&blocks[i].key,
		    __ATOMIC_ACQUIRE)) == 0)
			continue;
		s[m].key = key;
		s[m++].value = __atomic_load_n(&blocks[i].value,
		    __ATOMIC_RELAXED);
	}
	qsort(s, m, sizeof(*s), by_key);
	for (i = 0, n = 0; i < m; i++) {
		if (n > 0 && s[n - 1].key == s[i].key)
			s[n - 1].value += s[i].value;
		else
			s[n++] = s[i];
	}
	*out = s;
	return (n);
}
