/*
 * openloop: an open-loop HTTP/1.1 load generator, for latency at a fixed
 * offered load (Debian has no wrk2, and wrk's closed loop hides
 * queueing: a slow answer delays the next request, so the wait is never
 * measured).
 *
 *	openloop -r RATE -c CONNS -d SECS [-w SECS] [-H 'Name: value']...
 *	    [-b BODY] http://HOST:PORT/PATH
 *
 * -w: the same schedule runs SECS seconds before the measured ones and
 * its answers are not counted: a server that grows a pool of processes
 * for new connections (a prefork server) is measured at its load, not
 * while it grows (wrk2 calibrates for 10 s the same way).
 *
 * Each of CONNS keep-alive connections sends its k-th request at its
 * scheduled time, t0 + phase + k * CONNS / RATE, whether or not the
 * previous answer was late: when it was, the request goes out at once
 * and its latency still counts from the scheduled time (the wait in the
 * queue is part of what a user sees).  A connection that fails is
 * reopened and its requests count as errors.  Prints one line:
 *
 *	rate R/s conns C secs S sent N ok N errors N achieved X/s
 *	p50 A p90 B p99 C p99.9 D max E (ms) warmup W
 *
 * (achieved: answers a second from the start to the last answer).
 *
 * One process, one thread, epoll; answers framed by Content-Length or
 * chunked encoding.  Linux only (epoll_pwait2: a wait to the microsecond).
 */
#define _GNU_SOURCE
#include <sys/epoll.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONNS	10000
#define RBUF		65536

struct lconn {
	int		 fd;
	int		 busy;		/* a request is out */
	uint64_t	 k;		/* next request's index */
	uint64_t	 sched;		/* the out request's scheduled time, ns */
	char		 buf[RBUF];
	size_t		 len;
	size_t		 woff;		/* bytes of the request written */
};

static struct sockaddr_storage	 addr;
static socklen_t		 addrlen;
static char			*req;
static size_t			 reqlen;
static uint64_t			*lat;	/* ns, one per answered request */
static size_t			 nlat, maxlat;
static uint64_t			 sent, errors, last_ns, warmed;

static uint64_t
now_ns(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec);
}

static void
usage(void)
{
	fprintf(stderr, "usage: openloop -r RATE -c CONNS -d SECS [-w SECS] "
	    "[-H 'Name: value']... [-b BODY] http://HOST:PORT/PATH\n");
	exit(2);
}

/* http://HOST:PORT/PATH into addr and the request text. */
static void
build(const char *url, char **hdrs, int nhdrs, const char *body)
{
	char		 host[256], port[16] = "80", path[2048] = "/";
	const char	*p = url, *e;
	struct addrinfo	 hints = { 0 }, *ai;
	size_t		 cap, n;
	int		 i;

	if (strncmp(p, "http://", 7) != 0)
		usage();
	p += 7;
	e = p + strcspn(p, ":/");
	if ((size_t)(e - p) >= sizeof(host))
		usage();
	memcpy(host, p, (size_t)(e - p));
	host[e - p] = '\0';
	if (*e == ':') {
		n = strcspn(e + 1, "/");
		if (n == 0 || n >= sizeof(port))
			usage();
		memcpy(port, e + 1, n);
		port[n] = '\0';
		e += 1 + n;
	}
	if (*e == '/' && strlen(e) < sizeof(path))
		strcpy(path, e);
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(host, port, &hints, &ai) != 0) {
		fprintf(stderr, "openloop: cannot resolve %s\n", host);
		exit(2);
	}
	memcpy(&addr, ai->ai_addr, ai->ai_addrlen);
	addrlen = ai->ai_addrlen;
	freeaddrinfo(ai);

	cap = 4096 + strlen(path) + (body ? strlen(body) : 0);
	for (i = 0; i < nhdrs; i++)
		cap += strlen(hdrs[i]) + 2;
	if ((req = malloc(cap)) == NULL)
		exit(2);
	n = (size_t)snprintf(req, cap, "%s %s HTTP/1.1\r\nHost: %s:%s\r\n",
	    body ? "POST" : "GET", path, host, port);
	for (i = 0; i < nhdrs; i++)
		n += (size_t)snprintf(req + n, cap - n, "%s\r\n", hdrs[i]);
	if (body)
		n += (size_t)snprintf(req + n, cap - n,
		    "Content-Length: %zu\r\n\r\n%s", strlen(body), body);
	else
		n += (size_t)snprintf(req + n, cap - n, "\r\n");
	reqlen = n;
}

static int
conn_open(int ep, struct lconn *c)
{
	struct epoll_event	 ev = { .events = EPOLLIN | EPOLLOUT | EPOLLET };
	int			 one = 1;

	c->fd = socket(addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (c->fd == -1)
		return (-1);
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(c->fd, (struct sockaddr *)&addr, addrlen) == -1 &&
	    errno != EINPROGRESS) {
		close(c->fd);
		c->fd = -1;
		return (-1);
	}
	ev.data.ptr = c;
	epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev);
	c->len = 0;
	c->woff = 0;
	return (0);
}

/* The request out failed: count it, and start a fresh connection. */
static void
conn_fail(int ep, struct lconn *c)
{
	if (c->busy)
		errors++;
	c->busy = 0;
	if (c->fd != -1) {
		epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
		close(c->fd);
	}
	c->fd = -1;
	conn_open(ep, c);
}

/*
 * How long the answer at the head of buf is: 0 when incomplete, -1
 * when it cannot be framed.
 */
static long
answer_len(const char *b, size_t n)
{
	const char	*h, *e, *p;
	size_t		 hl, cl;
	unsigned long	 sz;
	char		*end;

	if ((e = memmem(b, n, "\r\n\r\n", 4)) == NULL)
		return (n > RBUF - 1 ? -1 : 0);
	hl = (size_t)(e - b) + 4;
	if (n < 12 || memcmp(b, "HTTP/1.", 7) != 0)
		return (-1);
	for (h = b; h < e; h = p + 2) {
		if ((p = memmem(h, (size_t)(e - h) + 2, "\r\n", 2)) == NULL)
			break;
		if (p - h > 15 && strncasecmp(h, "content-length:", 15) == 0) {
			cl = strtoul(h + 15, NULL, 10);
			return (hl + cl <= n ? (long)(hl + cl) : 0);
		}
		if (p - h > 18 &&
		    strncasecmp(h, "transfer-encoding:", 18) == 0 &&
		    memmem(h, (size_t)(p - h), "chunked", 7) != NULL) {
			/* walk the chunks */
			p = b + hl;
			for (;;) {
				if ((size_t)(p - b) >= n)
					return (0);
				sz = strtoul(p, &end, 16);
				if ((h = memmem(end, n - (size_t)(end - b),
				    "\r\n", 2)) == NULL)
					return (0);
				p = h + 2 + sz + 2;
				if (sz == 0) {
					/* no trailers expected */
					return ((size_t)(p - b) <= n ?
					    (long)(p - b) : 0);
				}
			}
		}
	}
	/* no body: 204, 304 or a Content-Length-less empty answer */
	return ((long)hl);
}

static void
record(uint64_t ns)
{
	if (nlat == maxlat) {
		maxlat = maxlat ? maxlat * 2 : 65536;
		if ((lat = realloc(lat, maxlat * sizeof(*lat))) == NULL)
			exit(2);
	}
	lat[nlat++] = ns;
}

static int
cmp(const void *a, const void *b)
{
	uint64_t	 x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x < y ? -1 : x > y);
}

static double
pct(double q)
{
	size_t	 i;

	if (nlat == 0)
		return (0);
	i = (size_t)(q * (double)(nlat - 1) + 0.5);
	return ((double)lat[i] / 1e6);
}

int
main(int argc, char *argv[])
{
	static struct lconn	 conns[MAX_CONNS];
	struct epoll_event	 evs[256];
	struct timespec		 wait;
	char			*hdrs[64], *body = NULL;
	double			 rate = 0, secs = 0, warm = 0;
	int			 nconns = 0, nhdrs = 0, ch, ep, i, n;
	uint64_t		 t0, tm, end, gap, t, next;
	long			 al;
	ssize_t			 r;

	while ((ch = getopt(argc, argv, "r:c:d:w:H:b:")) != -1)
		switch (ch) {
		case 'r': rate = atof(optarg); break;
		case 'c': nconns = atoi(optarg); break;
		case 'd': secs = atof(optarg); break;
		case 'w': warm = atof(optarg); break;
		case 'H':
			if (nhdrs == 64)
				usage();
			hdrs[nhdrs++] = optarg;
			break;
		case 'b': body = optarg; break;
		default: usage();
		}
	if (optind + 1 != argc || rate <= 0 || secs <= 0 || warm < 0 || nconns < 1 ||
	    nconns > MAX_CONNS)
		usage();
	build(argv[optind], hdrs, nhdrs, body);
	if ((ep = epoll_create1(0)) == -1)
		return (2);
	for (i = 0; i < nconns; i++)
		if (conn_open(ep, &conns[i]) == -1) {
			perror("openloop: connect");
			return (2);
		}

	/* per connection: one request every gap ns, phases spread */
	gap = (uint64_t)((double)nconns * 1e9 / rate);
	t0 = now_ns() + 100000000u;	/* connections settle for 100 ms */
	tm = t0 + (uint64_t)(warm * 1e9);	/* measured from here */
	end = tm + (uint64_t)(secs * 1e9);
	for (;;) {
		t = now_ns();
		next = UINT64_MAX;
		for (i = 0; i < nconns; i++) {
			struct lconn	*c = &conns[i];
			uint64_t	 due = t0 + (uint64_t)i * gap /
			    (uint64_t)nconns + c->k * gap;

			if (c->busy || c->fd == -1) {
				continue;
			}
			if (due >= end)
				continue;
			if (due > t) {
				if (due < next)
					next = due;
				continue;
			}
			c->busy = 1;
			c->sched = due;
			c->k++;
			c->woff = 0;
			sent += due >= tm;
			r = write(c->fd, req, reqlen);
			if (r > 0)
				c->woff = (size_t)r;
			else if (r == -1 && errno != EAGAIN)
				conn_fail(ep, c);
		}
		if (t >= end) {
			int	 out = 0;

			for (i = 0; i < nconns; i++)
				out += conns[i].busy;
			/* the last answers get up to 10 s */
			if (out == 0 || t >= end + 10000000000u)
				break;
		}
		wait.tv_sec = 0;
		wait.tv_nsec = next == UINT64_MAX ? 10000000 :
		    (long)(next - t < 999999999u ? next - t : 999999999u);
		n = epoll_pwait2(ep, evs, 256, &wait, NULL);
		for (i = 0; i < n; i++) {
			struct lconn	*c = evs[i].data.ptr;

			if (c->fd == -1)
				continue;
			if (c->busy && c->woff < reqlen &&
			    (evs[i].events & EPOLLOUT)) {
				r = write(c->fd, req + c->woff,
				    reqlen - c->woff);
				if (r > 0)
					c->woff += (size_t)r;
				else if (r == -1 && errno != EAGAIN) {
					conn_fail(ep, c);
					continue;
				}
			}
			if (!(evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
				continue;
			/* edge-triggered: read until the socket is empty */
			for (;;) {
				r = read(c->fd, c->buf + c->len, RBUF - c->len);
				if (r == -1 && errno == EAGAIN)
					break;
				if (r <= 0) {
					conn_fail(ep, c);
					break;
				}
				c->len += (size_t)r;
				while ((al = answer_len(c->buf, c->len)) > 0) {
					if (!c->busy) {
						al = -1;	/* unasked */
						break;
					}
					last_ns = now_ns();
					if (c->sched < tm)
						warmed++;	/* not measured */
					else if (c->buf[9] == '2')
						record(last_ns - c->sched);
					else
						errors++;
					c->busy = 0;
					memmove(c->buf, c->buf + al,
					    c->len - (size_t)al);
					c->len -= (size_t)al;
				}
				if (al == -1) {
					conn_fail(ep, c);
					break;
				}
			}
		}
	}
	qsort(lat, nlat, sizeof(*lat), cmp);
	printf("rate %.0f/s conns %d secs %.1f sent %llu ok %zu errors %llu "
	    "achieved %.0f/s p50 %.3f p90 %.3f p99 %.3f p99.9 %.3f "
	    "max %.3f (ms) warmup %llu\n", rate, nconns, secs,
	    (unsigned long long)sent, nlat, (unsigned long long)errors,
	    last_ns > tm ? (double)nlat * 1e9 / (double)(last_ns - tm) : 0.0,
	    pct(0.5), pct(0.9), pct(0.99), pct(0.999),
	    nlat ? (double)lat[nlat - 1] / 1e6 : 0.0,
	    (unsigned long long)warmed);
	return (0);
}
