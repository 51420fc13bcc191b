/*
 * The metrics listener (metrics_listen): Prometheus metrics on
 * /metrics, and the health checks of a load balancer on /livez (a
 * worker answers) and /readyz (workers up, and every issuer a route
 * needs with keys not past their hard expiry).  The master binds it
 * and never accepts on it: idle workers do, as they do the traffic
 * listeners, and serve one request a connection.  Only loopback
 * clients are served, or those metrics_allow lists.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "jwksstatus.h"
#include "keyfile.h"
#include "log.h"
#include "mcpproxyd.h"
#include "metrics.h"
#include "token.h"

#define STATS_HEAD_MAX	4096	/* a request to the metrics listener */
#define STATS_TIMEOUT	5000	/* ms for its head, and for the answer */

/*
 * Bind nc's metrics listener, or take over oc's when it listens on the
 * same address (a reload); close oc's otherwise.  Returns 0, or -1
 * (logged) with oc's left as it was.
 */
int
stats_listen(struct config *nc, struct config *oc)
{
	int	 fd, on = 1;

	if (nc->metrics_listen != NULL && !metrics_enabled()) {
		log_warnx("metrics_listen: metrics were off at start; a "
		    "restart turns them on");
		return (-1);
	}
	if (oc != NULL && oc->metrics_fd != -1 && nc->metrics_listen != NULL &&
	    nc->metrics_sslen == oc->metrics_sslen &&
	    !memcmp(&nc->metrics_ss, &oc->metrics_ss, nc->metrics_sslen)) {
		nc->metrics_fd = oc->metrics_fd;
		oc->metrics_fd = -1;
		return (0);
	}
	if (nc->metrics_listen != NULL) {
		fd = socket(nc->metrics_ss.ss_family, SOCK_STREAM |
		    SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd == -1) {
			log_warn("metrics_listen %s: socket",
			    nc->metrics_listen);
			return (-1);
		}
		(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on,
		    sizeof(on));
		if (bind(fd, (struct sockaddr *)&nc->metrics_ss,
		    nc->metrics_sslen) == -1 || listen(fd, 64) == -1) {
			log_warn("metrics_listen %s", nc->metrics_listen);
			close(fd);
			return (-1);
		}
		nc->metrics_fd = fd;
	}
	if (oc != NULL && oc->metrics_fd != -1) {
		close(oc->metrics_fd);
		oc->metrics_fd = -1;
	}
	return (0);
}

/* Close the metrics listener (the master stopping). */
void
stats_close(struct config *conf)
{
	if (conf->metrics_fd != -1) {
		close(conf->metrics_fd);
		conf->metrics_fd = -1;
	}
}

static const char *
reason_text(unsigned int r)
{
	static const char *const text[] = {
		[TOKEN_MALFORMED] = "malformed",
		[TOKEN_TOO_LARGE] = "too_large",
		[TOKEN_BAD_TYP] = "bad_typ",
		[TOKEN_UNKNOWN_KID] = "unknown_kid",
		[TOKEN_BAD_ALG] = "bad_alg",
		[TOKEN_BAD_SIGNATURE] = "bad_signature",
		[TOKEN_BAD_ISSUER] = "bad_issuer",
		[TOKEN_BAD_AUDIENCE] = "bad_audience",
		[TOKEN_NO_EXP] = "no_exp",
		[TOKEN_EXPIRED] = "expired",
		[TOKEN_NOT_YET_VALID] = "not_yet_valid",
		[TOKEN_ISSUED_IN_FUTURE] = "issued_in_future",
		[TOKEN_BAD_CLAIM] = "bad_claim",
		[TOKEN_INSUFFICIENT_SCOPE] = "insufficient_scope",
		[TOKEN_REVOKED] = "revoked",
	};

	if (r == AUTHFAIL_MISSING)
		return ("missing");
	if (r == AUTHFAIL_NOT_BEARER)
		return ("not_bearer");
	if (r == AUTHFAIL_KEYS_BUSY)
		return ("keys_busy");
	if (r < sizeof(text) / sizeof(text[0]) && text[r] != NULL)
		return (text[r]);
	return ("other");
}

static const char *const class_text[] = {
	"other", "1xx", "2xx", "3xx", "4xx", "5xx"
};

/* The samples of one histogram (series s[0..n) of one family, sorted). */
static size_t
histogram(struct expbuf *b, const char *name, const struct metrics_series *s,
    size_t n)
{
	struct metrics_key	 k, k0;
	uint64_t		 count[METRICS_BUCKETS + 1], sum, cum;
	char			 bname[128], le[32];
	const char		*lab[6];
	size_t			 i = 0, j;

	metrics_unpack(s[0].key, &k0);
	memset(count, 0, sizeof(count));
	sum = 0;
	for (; i < n; i++) {
		metrics_unpack(s[i].key, &k);
		if (k.family != k0.family || k.a != k0.a || k.b != k0.b)
			break;
		if (k.d == METRICS_SUM)
			sum += s[i].value;
		else if (k.d <= METRICS_BUCKETS)
			count[k.d] += s[i].value;
	}
	lab[0] = "server";
	lab[1] = metrics_name_text(k0.a);
	lab[2] = "route";
	lab[3] = metrics_name_text(k0.b);
	lab[4] = "le";
	snprintf(bname, sizeof(bname), "%s_bucket", name);
	for (j = 0, cum = 0; j <= METRICS_BUCKETS; j++) {
		cum += count[j];
		if (j < METRICS_BUCKETS)
			snprintf(le, sizeof(le), "%g", metrics_bounds[j]);
		else
			snprintf(le, sizeof(le), "+Inf");
		lab[5] = le;
		expose_u64(b, bname, lab, 3, cum);
	}
	snprintf(bname, sizeof(bname), "%s_sum", name);
	expose_double(b, bname, lab, 2, sum / 1e6);
	snprintf(bname, sizeof(bname), "%s_count", name);
	expose_u64(b, bname, lab, 2, cum);
	return (i);
}

/* One counter series of the workers' families. */
static void
counter(struct expbuf *b, const struct metrics_series *s)
{
	struct metrics_key	 k;
	const char		*lab[10];

	metrics_unpack(s->key, &k);
	switch (k.family) {
	case MF_REQUESTS:
		lab[0] = "server"; lab[1] = metrics_name_text(k.a);
		lab[2] = "route"; lab[3] = metrics_name_text(k.b);
		lab[4] = "method"; lab[5] = metrics_method_text(k.d);
		lab[6] = "tool"; lab[7] = metrics_name_text(k.c);
		lab[8] = "status";
		lab[9] = class_text[k.e <= 5 ? k.e : 0];
		expose_u64(b, "mcpproxyd_requests_total", lab, 5, s->value);
		break;
	case MF_AUTH_FAIL:
		lab[0] = "server"; lab[1] = metrics_name_text(k.a);
		lab[2] = "route"; lab[3] = metrics_name_text(k.b);
		lab[4] = "reason"; lab[5] = reason_text(k.d);
		expose_u64(b, "mcpproxyd_auth_failures_total", lab, 3,
		    s->value);
		break;
	case MF_DENIED:
		lab[0] = "policy"; lab[1] = metrics_name_text(k.a);
		lab[2] = "rule"; lab[3] = metrics_name_text(k.b);
		lab[4] = "verdict";
		lab[5] = policy_verdict_text((enum policy_verdict)k.d);
		expose_u64(b, "mcpproxyd_denials_total", lab, 3, s->value);
		break;
	case MF_TOKEN_CACHE:
		lab[0] = "result"; lab[1] = k.d ? "hit" : "miss";
		expose_u64(b, "mcpproxyd_token_cache_lookups_total", lab, 1,
		    s->value);
		break;
	case MF_CONNECT_FAIL:
		lab[0] = "server"; lab[1] = metrics_name_text(k.a);
		lab[2] = "route"; lab[3] = metrics_name_text(k.b);
		expose_u64(b, "mcpproxyd_upstream_connect_failures_total", lab,
		    2, s->value);
		break;
	case MF_DROPPED:
		expose_u64(b, "mcpproxyd_metrics_series_dropped_total", NULL,
		    0, s->value);
		break;
	}
}

static const struct {
	enum metrics_family	 f;
	const char		*name, *type, *help;
} families[] = {
	{ MF_REQUESTS, "mcpproxyd_requests_total", "counter",
	    "Requests answered, by server, route, JSON-RPC method, tool and "
	    "status class." },
	{ MF_AUTH_FAIL, "mcpproxyd_auth_failures_total", "counter",
	    "Requests refused for their token, by reason." },
	{ MF_DENIED, "mcpproxyd_denials_total", "counter",
	    "Calls a policy refused, by the rule that decided." },
	{ MF_TOKEN_CACHE, "mcpproxyd_token_cache_lookups_total", "counter",
	    "Token cache lookups, hits and misses." },
	{ MF_CONNECT_FAIL, "mcpproxyd_upstream_connect_failures_total",
	    "counter", "Connections to an upstream that failed." },
	{ MF_UP_RESPONSE, "mcpproxyd_upstream_response_seconds",
	    "histogram", "Time from sending a request to the upstream to its "
	    "response head." },
	{ MF_UP_CONNECT, "mcpproxyd_upstream_connect_seconds", "histogram",
	    "Time to connect to an upstream (TLS included)." },
	{ MF_DROPPED, "mcpproxyd_metrics_series_dropped_total", "counter",
	    "Counts left out: a worker's series table (metrics_max_series) "
	    "was full." },
};

/* The workers' counters, summed over every slot. */
static void
render_series(struct expbuf *b)
{
	struct metrics_series	*s;
	struct metrics_key	 k;
	size_t			 n, i, f;

	n = metrics_collect(&s);
	for (f = 0; f < sizeof(families) / sizeof(families[0]); f++) {
		expose_family(b, families[f].name, families[f].type,
		    families[f].help);
		for (i = 0; i < n; ) {
			metrics_unpack(s[i].key, &k);
			if (k.family != families[f].f) {
				i++;
				continue;
			}
			if (!strcmp(families[f].type, "histogram"))
				i += histogram(b, families[f].name, s + i,
				    n - i);
			else
				counter(b, &s[i++]);
		}
	}
	free(s);
}

/* The pool, from the scoreboard, and the header's counters. */
static void
render_pool(struct expbuf *b, const struct scoreboard *sb)
{
	static const char *const states[] = { "empty", "starting", "idle",
	    "read", "proxy", "stream", "keepalive", "exiting" };
	struct metrics_totals	 t;
	const char		*lab[2];
	int			 st;

	metrics_totals(&t);
	expose_family(b, "mcpproxyd_workers", "gauge",
	    "Workers by state (scoreboard).");
	lab[0] = "state";
	for (st = SLOT_STARTING; st <= SLOT_EXITING; st++) {
		lab[1] = states[st];
		expose_u64(b, "mcpproxyd_workers", lab, 1,
		    (uint64_t)scoreboard_count(sb, (enum slot_state)st));
	}
	expose_family(b, "mcpproxyd_open_streams", "gauge",
	    "Event streams held open.");
	expose_u64(b, "mcpproxyd_open_streams", NULL, 0,
	    (uint64_t)scoreboard_count(sb, SLOT_STREAM));
	expose_family(b, "mcpproxyd_waiting_connections", "gauge",
	    "Connections in the waiting room.");
	expose_u64(b, "mcpproxyd_waiting_connections", NULL, 0,
	    t.waiting > 0 ? (uint64_t)t.waiting : 0);
	expose_family(b, "mcpproxyd_reloads_total", "counter",
	    "Configuration reloads that took effect.");
	expose_u64(b, "mcpproxyd_reloads_total", NULL, 0, t.reloads);
	expose_family(b, "mcpproxyd_worker_deaths_total", "counter",
	    "Workers that died of a signal or exited with an error.");
	lab[0] = "cause";
	lab[1] = "signal";
	expose_u64(b, "mcpproxyd_worker_deaths_total", lab, 1,
	    t.deaths_signal);
	lab[1] = "error";
	expose_u64(b, "mcpproxyd_worker_deaths_total", lab, 1, t.deaths_error);
	expose_family(b, "mcpproxyd_metrics_tools", "gauge",
	    "Tool names held as label values (at most metrics_max_tools).");
	expose_u64(b, "mcpproxyd_metrics_tools", NULL, 0, t.tools);
}

/*
 * Read jwksd's status file (beside the key file) into st; the number
 * of issuers, or -1 when missing or bad.
 */
static int
read_jwksd(const struct config *conf, struct jwksstatus *st, size_t max)
{
	char		 path[1024], *buf;
	const char	*why;
	ssize_t		 n;
	int		 fd, rv;

	if (conf->key_file == NULL || snprintf(path, sizeof(path), "%s%s",
	    conf->key_file, JWKSSTATUS_SUFFIX) >= (int)sizeof(path))
		return (-1);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1)
		return (-1);
	if ((buf = malloc(JWKSSTATUS_MAX_SIZE + 1)) == NULL) {
		close(fd);
		return (-1);
	}
	n = read(fd, buf, JWKSSTATUS_MAX_SIZE + 1);
	close(fd);
	rv = n < 0 ? -1 : jwksstatus_parse(buf, (size_t)n, st, max, &why);
	free(buf);
	return (rv);
}

/* jwksd's view of each issuer, through its status file. */
static void
render_jwksd(struct expbuf *b, const struct config *conf)
{
	static const char *const fam[][2] = {
		{ "mcpproxyd_jwksd_keys", "Signing keys jwksd holds." },
		{ "mcpproxyd_jwksd_last_fetch_timestamp_seconds",
		    "Last good fetch of the issuer's keys (0: never)." },
		{ "mcpproxyd_jwksd_next_refresh_timestamp_seconds",
		    "Next planned fetch of the issuer's keys." },
		{ "mcpproxyd_jwksd_consecutive_failures",
		    "Fetches of the issuer's keys that failed in a row." },
	};
	struct jwksstatus	*st;
	const char		*lab[2];
	uint64_t		 v;
	int			 n, i;
	size_t			 f;

	if (conf->nauths == 0)
		return;
	if ((st = calloc(JWKSSTATUS_MAX_ISSUERS, sizeof(*st))) == NULL)
		return;
	n = read_jwksd(conf, st, JWKSSTATUS_MAX_ISSUERS);
	expose_family(b, "mcpproxyd_jwksd_status_ok", "gauge",
	    "1 when jwksd's status file was read, 0 when missing or bad.");
	expose_u64(b, "mcpproxyd_jwksd_status_ok", NULL, 0, n >= 0);
	lab[0] = "issuer";
	for (f = 0; f < 4; f++) {
		expose_family(b, fam[f][0], "gauge", fam[f][1]);
		for (i = 0; i < n; i++) {
			lab[1] = st[i].name;
			v = f == 0 ? st[i].keys : f == 1 ?
			    (uint64_t)st[i].fetched : f == 2 ?
			    (uint64_t)st[i].next : st[i].failures;
			expose_u64(b, fam[f][0], lab, 1, v);
		}
	}
	free(st);
}

/*
 * Is the proxy ready: every issuer a route's [auth] names with keys in
 * the key file, not past their hard expiry?  Workers are up: one
 * answers.  Returns 1, or 0 with the reason in why.
 */
int
stats_ready(const struct config *conf, char *why, size_t len)
{
	const struct keyfile		*kf;
	const struct keyfile_issuer	*ki;
	size_t				 i, k, nkeys;
	time_t				 now = time(NULL);

	if (conf->nauths == 0)
		return (1);
	keys_refresh(0);
	kf = keys_current();
	for (i = 0; i < conf->nauths; i++) {
		const struct issuer *iss = conf->auths[i].iss;

		if (iss == NULL)
			continue;
		if (kf == NULL || (ki = keyfile_issuer(kf, iss->url)) ==
		    NULL) {
			snprintf(why, len, "issuer %s: no keys", iss->name);
			return (0);
		}
		if (ki->expires <= now) {
			snprintf(why, len, "issuer %s: keys past their hard "
			    "expiry", iss->name);
			return (0);
		}
		for (k = 0, nkeys = 0; k < keyfile_nkeys(kf); k++)
			nkeys += keyfile_key(kf, k)->issuer == ki;
		if (nkeys == 0) {
			snprintf(why, len, "issuer %s: no keys", iss->name);
			return (0);
		}
	}
	return (1);
}

/* Send all of buf within the send timeout set on fd; 0 or -1. */
static int
send_all(int fd, const char *buf, size_t len)
{
	ssize_t	 n;

	while (len > 0) {
		if ((n = send(fd, buf, len, MSG_NOSIGNAL)) == -1) {
			if (errno == EINTR)
				continue;
			return (-1);
		}
		buf += n;
		len -= (size_t)n;
	}
	return (0);
}

/* Answer status with body (and its content type), then close. */
static void
answer(int fd, int status, const char *type, const char *body, size_t len,
    int head_only)
{
	char	 h[256];
	int	 hl;

	hl = snprintf(h, sizeof(h), "HTTP/1.1 %d %s\r\nContent-Type: %s\r\n"
	    "Content-Length: %zu\r\nCache-Control: no-store\r\n"
	    "Connection: close\r\n\r\n", status, http_reason(status), type,
	    len);
	if (send_all(fd, h, (size_t)hl) == 0 && !head_only)
		(void)send_all(fd, body, len);
}

/* Read a request head into buf within the timeout; its length or 0. */
static size_t
read_head(int fd, char *buf, size_t size)
{
	struct pollfd	 pfd;
	size_t		 len = 0, end;
	long long	 deadline = conn_now_ms() + STATS_TIMEOUT, left;
	ssize_t		 n;

	while (len < size) {
		pfd.fd = fd;
		pfd.events = POLLIN;
		if ((left = deadline - conn_now_ms()) <= 0 ||
		    poll(&pfd, 1, (int)left) != 1)
			return (0);
		if ((n = recv(fd, buf + len, size - len, 0)) <= 0)
			return (0);
		len += (size_t)n;
		if ((end = http_head_end(buf, len)) > 0)
			return (end);
	}
	return (0);
}

/* Serve one request of a client the allow-list let in. */
static void
serve_one(const struct config *conf, const struct scoreboard *sb, int fd)
{
	struct http_request	 req;
	struct expbuf		 b;
	char			 buf[STATS_HEAD_MAX], why[256];
	const char		*bad, *text = "text/plain; charset=utf-8";
	size_t			 len;
	int			 head_only;

	if ((len = read_head(fd, buf, sizeof(buf))) == 0)
		return;
	if (http_parse_request(buf, len, &conf->lim, &req, &bad) != 0) {
		answer(fd, 400, text, "bad request\n", 12, 0);
		return;
	}
	head_only = !strcmp(req.method, "HEAD");
	if (strcmp(req.method, "GET") != 0 && !head_only) {
		answer(fd, 405, text, "GET only\n", 9, 0);
		return;
	}
	if (!strcmp(req.target, "/livez")) {
		answer(fd, 200, text, "ok\n", 3, head_only);
		return;
	}
	if (!strcmp(req.target, "/readyz")) {
		if (stats_ready(conf, why, sizeof(why) - 1)) {
			answer(fd, 200, text, "ready\n", 6, head_only);
			return;
		}
		len = strlen(why);
		why[len++] = '\n';
		answer(fd, 503, text, why, len, head_only);
		return;
	}
	if (strcmp(req.target, "/metrics") != 0) {
		answer(fd, 404, text, "not found\n", 10, head_only);
		return;
	}
	if (expose_init(&b, METRICS_OUT_MAX) == -1) {
		answer(fd, 500, text, "out of memory\n", 14, head_only);
		return;
	}
	render_series(&b);
	render_pool(&b, sb);
	render_jwksd(&b, conf);
	if (b.full)
		log_warnx("metrics: the exposition passed %d bytes; samples "
		    "left out", METRICS_OUT_MAX);
	answer(fd, 200, EXPOSE_CONTENT_TYPE, b.p, b.len, head_only);
	free(b.p);
}

/*
 * Accept a connection on the metrics listener and answer it (a worker,
 * between connections of its own).  Clients not on loopback nor in
 * metrics_allow are refused at once.
 */
void
stats_serve(const struct config *conf, const struct scoreboard *sb)
{
	struct sockaddr_storage	 peer;
	struct timeval		 tv = { STATS_TIMEOUT / 1000, 0 };
	socklen_t		 slen = sizeof(peer);
	int			 fd;

	fd = accept4(conf->metrics_fd, (struct sockaddr *)&peer, &slen,
	    SOCK_CLOEXEC);
	if (fd == -1)
		return;
	addr_canon(&peer);
	if (conf->nmetrics_allow > 0 ? !cidr_match(conf->metrics_allow,
	    conf->nmetrics_allow, &peer) : !addr_loopback(&peer)) {
		char a[64];

		log_info("metrics: %s not in metrics_allow; refused",
		    addr_text((struct sockaddr *)&peer, a, sizeof(a)));
		answer(fd, 403, "text/plain; charset=utf-8", "forbidden\n",
		    10, 0);
		close(fd);
		return;
	}
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	serve_one(conf, sb, fd);
	close(fd);
}
