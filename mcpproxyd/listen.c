/*
 * The listening sockets: bound by the master before it drops root,
 * shared by every worker.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "mcpproxyd.h"

/* Format a socket address as "a.b.c.d:port" or "[v6]:port". */
const char *
addr_text(const struct sockaddr *sa, char *buf, size_t len)
{
	char	 host[INET6_ADDRSTRLEN];

	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)sa;

		if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr))
			inet_ntop(AF_INET, &s6->sin6_addr.s6_addr[12], host,
			    sizeof(host));
		else
			inet_ntop(AF_INET6, &s6->sin6_addr, host, sizeof(host));
		snprintf(buf, len, "%s", host);
	} else if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = (const void *)sa;

		inet_ntop(AF_INET, &s4->sin_addr, host, sizeof(host));
		snprintf(buf, len, "%s", host);
	} else
		snprintf(buf, len, "unknown");
	return (buf);
}

/*
 * Hand a connection to a worker only once its client has sent something
 * (or after secs): a connection that sends nothing then holds no
 * worker, and a worker given one finds its request there instead of
 * waiting for it, one sleep and wake-up less per connection.  Apache
 * does the same by default on Linux (AcceptFilter http data).
 */
static void
defer_accept(const struct listener *l, int secs)
{
	if (setsockopt(l->fd, IPPROTO_TCP, TCP_DEFER_ACCEPT, &secs,
	    sizeof(secs)) == -1)
		log_warn("listen %s: TCP_DEFER_ACCEPT", l->text);
}

/*
 * Bind and listen on every configured address.  The sockets are
 * non-blocking: workers wait in epoll and may lose the race for a
 * connection.  Returns 0, or -1 after logging which address failed.
 */
int
listen_open(struct config *conf)
{
	size_t	 i;
	int	 on = 1;

	for (i = 0; i < conf->nlisteners; i++) {
		struct listener	*l = &conf->listeners[i];
		int		 fd;

		if (l->fd != -1)
			continue;	/* adopted from the running config */
		fd = socket(l->ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, 0);
		if (fd == -1) {
			log_warn("listen %s: socket", l->text);
			return (-1);
		}
		if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on,
		    sizeof(on)) == -1)
			log_warn("listen %s: SO_REUSEADDR", l->text);
		/* [::]:port should not also take the IPv4 port */
		if (l->ss.ss_family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6,
		    IPV6_V6ONLY, &on, sizeof(on)) == -1)
			log_warn("listen %s: IPV6_V6ONLY", l->text);
		if (bind(fd, (struct sockaddr *)&l->ss, l->sslen) == -1) {
			log_warn("listen %s: bind", l->text);
			close(fd);
			return (-1);
		}
		if (listen(fd, conf->backlog) == -1) {
			log_warn("listen %s: listen", l->text);
			close(fd);
			return (-1);
		}
		l->fd = fd;
	}
	for (i = 0; i < conf->nlisteners; i++)
		defer_accept(&conf->listeners[i], conf->defer_accept);
	return (0);
}

static int
same_address(const struct listener *a, const struct listener *b)
{
	return (a->sslen == b->sslen && !memcmp(&a->ss, &b->ss, a->sslen));
}

/*
 * Take over the sockets of oldc that newc listens on too: a reload
 * never closes a listening socket that stays configured, so no
 * connection is refused while the new generation starts.
 */
void
listen_adopt(struct config *newc, struct config *oldc)
{
	size_t	 i, j;

	for (i = 0; i < newc->nlisteners; i++)
		for (j = 0; j < oldc->nlisteners; j++)
			if (oldc->listeners[j].fd != -1 &&
			    same_address(&newc->listeners[i],
			    &oldc->listeners[j])) {
				newc->listeners[i].fd = oldc->listeners[j].fd;
				newc->listeners[i].adopted = 1;
				oldc->listeners[j].fd = -1;
				break;
			}
}

/* Undo listen_adopt after a failed reload; close what was new. */
void
listen_unadopt(struct config *newc, struct config *oldc)
{
	size_t	 i, j;

	for (i = 0; i < newc->nlisteners; i++) {
		struct listener *l = &newc->listeners[i];

		if (l->fd == -1)
			continue;
		if (!l->adopted) {
			close(l->fd);
			l->fd = -1;
			continue;
		}
		for (j = 0; j < oldc->nlisteners; j++)
			if (oldc->listeners[j].fd == -1 &&
			    same_address(l, &oldc->listeners[j])) {
				oldc->listeners[j].fd = l->fd;
				break;
			}
		l->fd = -1;
		l->adopted = 0;
	}
}

/* Close every listening socket (a worker that is told to finish). */
void
listen_close(struct config *conf)
{
	size_t	 i;

	for (i = 0; i < conf->nlisteners; i++)
		if (conf->listeners[i].fd != -1) {
			close(conf->listeners[i].fd);
			conf->listeners[i].fd = -1;
		}
}

static struct config	*release_conf;

/*
 * Remember the configuration whose listening sockets a worker holds,
 * for listen_release_on_stop().
 */
void
listen_release_set(struct config *conf)
{
	release_conf = conf;
}

/*
 * The connections waiting in conf's listen queues for a worker to
 * accept them (TCP_INFO of a listening socket: tcpi_unacked is its
 * accept queue), all listeners together.  The master forks for them.
 */
int
listen_queued(const struct config *conf)
{
	struct tcp_info	 ti;
	socklen_t	 len;
	size_t		 i;
	int		 n = 0;

	for (i = 0; i < conf->nlisteners; i++) {
		len = sizeof(ti);
		memset(&ti, 0, sizeof(ti));
		if (conf->listeners[i].fd != -1 &&
		    getsockopt(conf->listeners[i].fd, IPPROTO_TCP, TCP_INFO,
		    &ti, &len) == 0 && ti.tcpi_state == TCP_LISTEN)
			n += (int)ti.tcpi_unacked;
	}
	return (n);
}

/*
 * Once the worker is told to finish, stop listening at once (even in
 * the middle of a long stream), so that the listening sockets of a
 * configuration that dropped them are really released.
 */
void
listen_release_on_stop(void)
{
	if (worker_graceful && release_conf != NULL) {
		listen_close(release_conf);
		if (release_conf->metrics_fd != -1) {	/* stats.c's */
			close(release_conf->metrics_fd);
			release_conf->metrics_fd = -1;
		}
		release_conf = NULL;
	}
}

/* Does one of l's servers' allowed_hosts hold name (of len bytes)? */
static const struct server *
server_named(const struct listener *l, const char *name, size_t len)
{
	size_t	 i, j;

	for (i = 0; i < l->nsrvs; i++) {
		const struct strlist *h = &l->srvs[i]->allowed_hosts;

		for (j = 0; j < h->n; j++)
			if (strlen(h->v[j]) == len &&
			    !strncasecmp(h->v[j], name, len))
				return (l->srvs[i]);
	}
	return (NULL);
}

/*
 * The server of l that name (an SNI host name, or a Host without its
 * port; len bytes, not NUL-terminated) chooses: the first whose
 * allowed_hosts lists it, else l's default server.
 */
const struct server *
listener_server(const struct listener *l, const char *name, size_t len)
{
	const struct server	*srv;

	if (name == NULL || len == 0 || l->nsrvs < 2)
		return (l->srv);
	if ((srv = server_named(l, name, len)) != NULL)
		return (srv);
	return (l->srv);
}

/* The server of l whose allowed_hosts lists name, or NULL. */
const struct server *
listener_named(const struct listener *l, const char *name, size_t len)
{
	if (name == NULL || len == 0)
		return (NULL);
	return (server_named(l, name, len));
}

/*
 * The listener a connection whose local address is local came in on
 * (one the waiting room hands back): the same port, and the same
 * address or a wildcard one.  NULL when no listener of conf has it (a
 * reload removed the address).
 */
const struct listener *
listen_lookup(const struct config *conf, const struct sockaddr_storage *local)
{
	struct sockaddr_storage	 a, b;
	const struct listener	*wild = NULL;
	size_t			 i;

	a = *local;
	addr_canon(&a);
	for (i = 0; i < conf->nlisteners; i++) {
		memcpy(&b, &conf->listeners[i].ss, sizeof(b));
		addr_canon(&b);
		if (addr_port(&a) != addr_port(&b))
			continue;
		if (a.ss_family == AF_INET && b.ss_family == AF_INET) {
			const struct sockaddr_in *x = (const void *)&a;
			const struct sockaddr_in *y = (const void *)&b;

			if (x->sin_addr.s_addr == y->sin_addr.s_addr)
				return (&conf->listeners[i]);
			if (y->sin_addr.s_addr == htonl(INADDR_ANY))
				wild = &conf->listeners[i];
		} else if (a.ss_family == AF_INET6 &&
		    b.ss_family == AF_INET6) {
			const struct sockaddr_in6 *x = (const void *)&a;
			const struct sockaddr_in6 *y = (const void *)&b;

			if (IN6_ARE_ADDR_EQUAL(&x->sin6_addr, &y->sin6_addr))
				return (&conf->listeners[i]);
			if (IN6_IS_ADDR_UNSPECIFIED(&y->sin6_addr))
				wild = &conf->listeners[i];
		} else if (b.ss_family == AF_INET6 &&
		    IN6_IS_ADDR_UNSPECIFIED(&((const struct sockaddr_in6 *)
		    (const void *)&b)->sin6_addr))
			wild = &conf->listeners[i];	/* [::] takes IPv4 */
	}
	return (wild);
}
