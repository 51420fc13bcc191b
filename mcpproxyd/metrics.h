/*
 * Metrics (issue 16): counters in shared memory that the workers update
 * without locks (metrics.c), the Prometheus text writer (expose.c) and
 * the listener that serves them with the health checks (stats.c).
 *
 * Shared memory holds plain data only: a header (counters the master
 * and the waiting room write), a table of label names (server names,
 * route prefixes, tools, rules), and one block of series per scoreboard
 * slot, written only by the worker that holds the slot and summed when
 * scraped.  A block is never cleared: the next worker of the slot goes
 * on counting in it, so no counter goes down when a worker exits.
 */
#ifndef MCPPROXYD_METRICS_H
#define MCPPROXYD_METRICS_H

#include <stddef.h>
#include <stdint.h>

#define METRICS_NAME_MAX	64	/* bytes of a label value kept */
#define METRICS_NAMES		8192	/* label names (all kinds) */
#define METRICS_TOOLS_CAP	1024	/* metrics_max_tools */
#define METRICS_TOOLS_DEFAULT	64
#define METRICS_SERIES_CAP	16384	/* metrics_max_series, per worker */
#define METRICS_SERIES_MIN	64
#define METRICS_SERIES_DEFAULT	512
#define METRICS_OUT_MAX		(8 * 1024 * 1024)	/* one exposition */
#define METRICS_BUCKETS		12	/* histogram bounds, +Inf apart */

/* The label ids every table starts with. */
#define MID_NONE		0	/* no value: "none" */
#define MID_OTHER		1	/* out of the bound: "other" */

enum metrics_kind {		/* what a label name names */
	MK_SERVER = 1,
	MK_ROUTE,
	MK_TOOL,
	MK_POLICY,
	MK_RULE
};

enum metrics_family {		/* the counters the workers keep */
	MF_REQUESTS = 1,	/* a server, b route, c tool, d method, e class */
	MF_AUTH_FAIL,		/* a server, b route, d reason */
	MF_DENIED,		/* a policy, b rule, d verdict */
	MF_TOKEN_CACHE,		/* d: 0 miss, 1 hit */
	MF_CONNECT_FAIL,	/* a server, b route */
	MF_UP_RESPONSE,		/* histogram: a server, b route, d bucket */
	MF_UP_CONNECT,		/* histogram: a server, b route, d bucket */
	MF_DROPPED		/* a worker's table was full */
};
#define MF_LAST		MF_DROPPED
#define METRICS_SUM	255	/* d of a histogram's sum (microseconds) */

/* Authentication failures beyond token.h's statuses (d of MF_AUTH_FAIL). */
#define AUTHFAIL_MISSING	100	/* no token on a strict route */
#define AUTHFAIL_NOT_BEARER	101	/* not one Bearer header */
#define AUTHFAIL_KEYS_BUSY	102	/* unknown kid, no wait budget */

/* A series key: family and five label ids, packed. */
struct metrics_key {
	unsigned int	 family, a, b, c, d, e;
};

/* One summed series, as the scrape sees it. */
struct metrics_series {
	uint64_t	 key;
	uint64_t	 value;
};

/* What the header holds besides the series (master, waiting room). */
struct metrics_totals {
	uint64_t	 reloads;
	uint64_t	 deaths_signal;
	uint64_t	 deaths_error;
	int64_t		 waiting;
	uint64_t	 tools;		/* tool names taken into the table */
};

struct config;
struct exchange;
struct server;
struct route;

/* metrics.c */
int	 metrics_create(int nslots, int max_tools, int max_series);
void	*metrics_region(size_t *len);
int	 metrics_enabled(void);
void	 metrics_worker_start(const struct config *conf, int slot);
uint64_t metrics_pack(const struct metrics_key *k);
void	 metrics_unpack(uint64_t key, struct metrics_key *k);
void	 metrics_add(const struct metrics_key *k, uint64_t n);
unsigned int metrics_name(enum metrics_kind kind, const char *name);
unsigned int metrics_find(enum metrics_kind kind, const char *name);
unsigned int metrics_tool(const char *name);
void	 metrics_tool_seen(const char *name);
const char *metrics_name_text(unsigned int id);
unsigned int metrics_method(const char *method);
const char *metrics_method_text(unsigned int id);
size_t	 metrics_methods(void);
void	 metrics_request(const struct exchange *x);
void	 metrics_auth_fail(const struct exchange *x, int reason);
void	 metrics_denied(const char *policy, int line, int verdict);
void	 metrics_token_cache(int hit);
void	 metrics_connect(const struct server *srv, const struct route *rt,
	    long long us, int failed);
void	 metrics_upstream(const struct server *srv, const struct route *rt,
	    long long us);
long long metrics_now_us(void);
void	 metrics_note_reload(void);
void	 metrics_note_death(int signaled);
void	 metrics_waiting_set(long n);
void	 metrics_totals(struct metrics_totals *t);
size_t	 metrics_collect(struct metrics_series **out);
extern const double metrics_bounds[METRICS_BUCKETS];

/* stats.c: the metrics listener */
struct scoreboard;
int	 stats_listen(struct config *nc, struct config *oc);
void	 stats_close(struct config *conf);
int	 stats_ready(const struct config *conf, char *why, size_t len);
void	 stats_serve(const struct config *conf, const struct scoreboard *sb);

/* expose.c: the Prometheus text format 0.0.4 */
struct expbuf {
	char		*p;
	size_t		 len, cap;
	int		 full;		/* cap reached: the rest left out */
};
int	 expose_init(struct expbuf *b, size_t cap);
#define EXPOSE_CONTENT_TYPE	"text/plain; version=0.0.4; charset=utf-8"
size_t	 expose_label_value(char *out, size_t outlen, const char *in);
int	 expose_metric_name_ok(const char *name);
void	 expose_family(struct expbuf *b, const char *name, const char *type,
	    const char *help);
void	 expose_sample(struct expbuf *b, const char *name,
	    const char *const *labels, size_t nlabels, const char *value);
void	 expose_u64(struct expbuf *b, const char *name,
	    const char *const *labels, size_t nlabels, uint64_t v);
void	 expose_double(struct expbuf *b, const char *name,
	    const char *const *labels, size_t nlabels, double v);

#endif
