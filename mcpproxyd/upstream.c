/*
 * Connections to upstreams.  Each worker keeps its last upstream
 * connection open between requests, as nginx does with an upstream
 * keepalive block; a connection the upstream closed while idle is
 * noticed before it is used.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "mcpproxyd.h"
#include "metrics.h"
#include "conn.h"
#include "tls.h"

/* Close the connection, keeping the buffer for the next one. */
void
upstream_close(struct upstream *u)
{
	conn_close(&u->in, 0);
}

/* Is an idle kept-alive connection still usable (no EOF, no data)? */
static int
idle_usable(int fd)
{
	struct pollfd	 pfd;

	pfd.fd = fd;
	pfd.events = POLLIN | POLLRDHUP;
	return (poll(&pfd, 1, 0) == 0);
}

/* Connect within the deadline; non-blocking connect, then blocking. */
static int
connect_one(const struct addrinfo *ai, int timeout_ms)
{
	struct pollfd	 pfd;
	socklen_t	 len = sizeof(int);
	int		 fd, err = 0, on = 1;

	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, ai->ai_protocol);
	if (fd == -1)
		return (-1);
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) == -1) {
		if (errno != EINPROGRESS)
			goto fail;
		pfd.fd = fd;
		pfd.events = POLLOUT;
		if (poll(&pfd, 1, timeout_ms) != 1) {
			errno = ETIMEDOUT;
			goto fail;
		}
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1)
			goto fail;
		if (err != 0) {
			errno = err;
			goto fail;
		}
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
	/* blocking from now on: answers are awaited in recv (conn.c) */
	if (fcntl(fd, F_SETFL, 0) == -1)
		goto fail;
	return (fd);
fail:
	err = errno;
	close(fd);
	errno = err;
	return (-1);
}

/*
 * The TLS handshake with an https upstream on u's new connection: the
 * chain and the name verified (tls_client.c), within timeout_ms.
 * Returns 0, or -1 logged with the reason (the caller answers 502).
 */
static int
upstream_tls(struct upstream *u, const struct server *srv,
    const struct route *rt, int timeout_ms)
{
	char	 why[256] = "";

	if (srv->up_tls.ctx == NULL) {
		log_warnx("upstream %s: no TLS client context for [server "
		    "%s]", rt->url, srv->name);
		return (-1);
	}
	if (u->tls == NULL && (u->tls = calloc(1, sizeof(*u->tls))) == NULL) {
		log_warn("upstream TLS");
		return (-1);
	}
	if (tls_connect(u->tls, rt, srv->up_tls.ctx, u->in.fd, conn_now_ms() +
	    timeout_ms, why, sizeof(why)) != TLS_OK) {
		log_warnx("upstream %s: TLS with %s refused: %s", rt->url,
		    u->peer, why);
		return (-1);
	}
	if (conn_set_io(&u->in, &tls_conn_io, u->tls) == -1) {
		log_warn("upstream %s", rt->url);
		return (-1);
	}
	return (0);
}

/*
 * Make u a usable connection to the route's upstream: keep the current
 * one if it goes there and is still open, else connect, trying every
 * address getaddrinfo gives in turn (localhost may be ::1 first).
 * Returns 0, or -1 with the reason logged.
 */
int
upstream_get(struct upstream *u, const struct server *srv,
    const struct route *rt, size_t bufsize, int timeout_ms)
{
	struct addrinfo	 hints, *res, *ai;
	long long	 t0 = metrics_now_us();
	int		 rc, fd = -1;

	if (u->in.fd != -1 && u->srv == srv && u->route == rt->index &&
	    conn_pending(&u->in) == 0 && idle_usable(u->in.fd)) {
		u->reused = 1;
		return (0);
	}
	upstream_close(u);
	if (u->in.buf == NULL && conn_init(&u->in, -1, bufsize) == -1) {
		log_warn("upstream buffer");
		return (-1);
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	if ((rc = getaddrinfo(rt->host, rt->port, &hints, &res)) != 0) {
		log_warnx("upstream %s: %s", rt->url, gai_strerror(rc));
		metrics_connect(srv, rt, 0, 1);
		return (-1);
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		if ((fd = connect_one(ai, timeout_ms)) != -1) {
			char	 a[INET6_ADDRSTRLEN];

			addr_text(ai->ai_addr, a, sizeof(a));
			snprintf(u->peer, sizeof(u->peer), ai->ai_family ==
			    AF_INET6 ? "[%s]:%s" : "%s:%s", a, rt->port);
			break;
		}
		log_debug("upstream %s: connect: %s", rt->url, strerror(errno));
	}
	freeaddrinfo(res);
	if (fd == -1) {
		log_warn("upstream %s: connect", rt->url);
		metrics_connect(srv, rt, 0, 1);
		return (-1);
	}
	conn_attach(&u->in, fd);
	u->in.nodelay = 1;	/* set by connect_one() */
	if (rt->https && upstream_tls(u, srv, rt, timeout_ms) == -1) {
		upstream_close(u);
		metrics_connect(srv, rt, 0, 1);
		return (-1);
	}
	metrics_connect(srv, rt, metrics_now_us() - t0, 0);
	u->srv = srv;
	u->route = rt->index;
	u->reused = 0;
	return (0);
}
