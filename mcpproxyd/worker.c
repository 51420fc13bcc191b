/*
 * A worker: waits for a connection on the shared listening sockets,
 * serves it to the end with blocking I/O, and goes back to waiting.
 * Idle workers wait in epoll with EPOLLEXCLUSIVE, so a connection wakes
 * one of them, not all (no thundering herd); a busy worker is not
 * waiting and is never chosen.
 */
#include <sys/types.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <sched.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "mcpproxyd.h"
#include "metrics.h"
#include "conn.h"
#include "tls.h"
#include "handoff.h"

#define UPSTREAM_BUF	(64 * 1024)

/* epoll tags beside the listeners' indexes */
#define EV_METRICS	MAX_LISTENERS		/* stats.c's listener */
#define EV_HANDOFF	(MAX_LISTENERS + 1)	/* the waiting room's returns */

static void
worker_sig(int sig)
{
	switch (sig) {
	case SIGTERM:
		worker_quit = 1;
		/* FALLTHROUGH */
	case SIGUSR2:
		worker_graceful = 1;
		break;
	case SIGUSR1:
		worker_reopen = 1;
		break;
	}
}

static void
worker_signals(void)
{
	struct sigaction	 sa;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = worker_sig;	/* no SA_RESTART: waits see EINTR */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGUSR2, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGQUIT, &sa, NULL);
	sa.sa_handler = SIG_DFL;
	sigaction(SIGCHLD, &sa, NULL);
}

/* Ask the master to look at the pool now: idle workers ran short. */
static void
wake_master(struct exchange *x, int wakefd)
{
	if (scoreboard_short(x->sb, x->conf->min_spare))
		(void)!write(wakefd, "w", 1);
}

/*
 * Serve one client connection until it closes, must close, or goes to
 * the waiting room (first: no request was served on it yet).
 */
static void
serve(struct exchange *x, int first)
{

	for (;;) {
		scoreboard_set(x->sb, x->slot, first ? SLOT_READ :
		    SLOT_KEEPALIVE);
		if (head_read(x, first) != XR_NEXT)
			break;
		scoreboard_set(x->sb, x->slot, SLOT_READ);
		if (request_handle(x) != XR_KEEP || worker_quit)
			break;
		listen_release_on_stop();
		first = 0;
	}
	if (x->stream)
		x->stream = 0;
}

/* Close the connection served (unless it went to the waiting room). */
static void
connection_end(struct exchange *x)
{
	conn_close(x->cl, x->linger);	/* TLS: close_notify first */
	x->tls = NULL;
	/* keep only small bodies' buffers between clients */
	if (x->bodysize > 64 * 1024) {
		free(x->body);
		x->body = NULL;
		x->bodysize = 0;
	}
}

/*
 * Become a worker: signals, the privilege drop, death with the master,
 * the scheduling class.
 */
static void
worker_setup(struct config *conf, pid_t master)
{
	log_procname("worker");
	listen_release_set(conf);
	worker_signals();
	handoff_worker_ends();
	drop_privileges(conf);
	/*
	 * Die with the master, so that a restart can bind again.  Set after
	 * the privilege drop: a change of credentials clears it.
	 */
	if (prctl(PR_SET_PDEATHSIG, SIGTERM) == -1 || getppid() != master)
		_exit(1);
	/*
	 * SCHED_BATCH: a worker woken by its client or upstream does not
	 * preempt the task running, which finishes its turn first.  With a
	 * process per connection, preempting on every wake-up doubled the
	 * context switches; it gave 13 to 26% more requests a second at no
	 * cost in p99 (bench/PROFILE.md).
	 */
	if (conf->worker_batch) {
		struct sched_param sp;

		memset(&sp, 0, sizeof(sp));
		if (sched_setscheduler(0, SCHED_BATCH, &sp) == -1)
			log_warn("SCHED_BATCH");
	}
	/*
	 * The key file is mapped by the first request that needs a key
	 * (keys.c), never by root: a spare worker, or one serving routes
	 * without a policy, never builds keys (40 KiB).
	 */
}

/*
 * The worker's epoll set, or -1 while it holds a stream.  Every set on
 * a listening socket's wait queue is visited when a connection comes,
 * a busy one too: EPOLLEXCLUSIVE wakes the first set with a waiter, and
 * the sets of workers holding streams, the oldest ones, come first in
 * the queue.  With 10,000 streams that walk cost some 0.4 ms of the
 * kernel's time per new connection (bench/RESULTS.md), so a worker that
 * takes a stream closes its set, which leaves every wait queue, and
 * makes a new one when the stream ends.
 */
static int	 worker_epfd = -1;

/* An epoll set over every listening socket, EPOLLEXCLUSIVE. */
static int
worker_epoll(const struct config *conf)
{
	struct epoll_event	 ev;
	size_t			 i;
	int			 epfd;

	if ((epfd = epoll_create1(EPOLL_CLOEXEC)) == -1)
		fatal("epoll_create1");
	for (i = 0; i < conf->nlisteners; i++) {
		memset(&ev, 0, sizeof(ev));
		ev.events = EPOLLIN | EPOLLEXCLUSIVE;
		ev.data.u32 = (uint32_t)i;
		if (epoll_ctl(epfd, EPOLL_CTL_ADD, conf->listeners[i].fd,
		    &ev) == -1)
			fatal("epoll_ctl");
	}
	if (conf->metrics_fd != -1) {	/* stats.c: metrics and health */
		memset(&ev, 0, sizeof(ev));
		ev.events = EPOLLIN | EPOLLEXCLUSIVE;
		ev.data.u32 = EV_METRICS;
		if (epoll_ctl(epfd, EPOLL_CTL_ADD, conf->metrics_fd, &ev) == -1)
			fatal("epoll_ctl");
	}
	/* connections the waiting room hands back: taken like new ones */
	if (handoff_enabled()) {
		memset(&ev, 0, sizeof(ev));
		ev.events = EPOLLIN | EPOLLEXCLUSIVE;
		ev.data.u32 = EV_HANDOFF;
		if (epoll_ctl(epfd, EPOLL_CTL_ADD, handoff_back_fd(), &ev) == -1)
			fatal("epoll_ctl");
	}
	return (epfd);
}

/* A stream was admitted (admit.c): off the listeners' wait queues. */
static void
worker_on_stream(struct exchange *x)
{
	(void)x;
	if (worker_epfd != -1) {
		close(worker_epfd);
		worker_epfd = -1;
	}
}

/* The exchange a worker serves every connection in, with its buffers. */
static void
worker_exchange(struct exchange *x, struct config *conf,
    struct scoreboard *sb, int slot, struct conn *cl, struct upstream *up)
{
	memset(x, 0, sizeof(*x));
	x->conf = conf;
	x->sb = sb;
	x->slot = slot;
	x->cl = cl;
	x->up = up;
	x->on_stream = worker_on_stream;
	memset(up, 0, sizeof(*up));
	if ((x->head = malloc(conf->lim.max_head + 1)) == NULL ||
	    conn_init(cl, -1, conf->lim.max_head) == -1 ||
	    conn_init(&up->in, -1, UPSTREAM_BUF) == -1)
		fatal("worker buffers");
}

/*
 * Set x up for a connection just accepted on l from x->peer: names,
 * addresses, scoreboard slot.
 */
static void
connection_start(struct exchange *x, const struct listener *l, int fd,
    int wakefd)
{
	struct scoreboard	*sb = x->sb;
	socklen_t		 slen;

	x->client = x->peer;
	addr_canon(&x->client);
	x->trusted = 0;		/* ident_client() decides */
	sb->slot[x->slot].client = x->client;
	sb->slot[x->slot].requests++;
	scoreboard_set(sb, x->slot, SLOT_READ);
	wake_master(x, wakefd);
	addr_text((struct sockaddr *)&x->peer, x->peertext,
	    sizeof(x->peertext));
	memcpy(x->clienttext, x->peertext, sizeof(x->clienttext));
	x->srv = l->srv;
	x->l = l;
	x->tls = NULL;
	x->head_deadline = 0;
	conn_attach(x->cl, fd);
	x->linger = 0;
	/* the rebinding check is per connection: 0.0.0.0 too */
	slen = sizeof(x->local);
	if (getsockname(fd, (struct sockaddr *)&x->local, &slen) == -1) {
		/* fail closed: port 0 matches no Host */
		memset(&x->local, 0, sizeof(x->local));
		x->loopback = 1;
	} else
		x->loopback = addr_loopback(&x->local);
}

/*
 * One address may not take the whole pool: over max_conns_per_client,
 * answer 429 and return -1.  A trusted proxy's connections are counted
 * per forwarded client once the head is read (admit.c).
 */
static int
connection_admit(struct exchange *x, const struct listener *l)
{
	const struct config	*conf = x->conf;

	if (conf->max_conns_per_client == 0 ||
	    cidr_match(l->srv->trusted, l->srv->ntrusted, &x->peer) ||
	    scoreboard_conns_from(x->sb, &x->client) <=
	    conf->max_conns_per_client)
		return (0);
	memset(&x->req, 0, sizeof(x->req));
	x->keepalive = 0;
	x->origin = NULL;
	x->extra[0] = '\0';
	memset(&x->log, 0, sizeof(x->log));
	reply_error(x, 429, "too many connections from this address");
	return (-1);
}

/*
 * The TLS handshake of a connection on a TLS listener, within
 * header_timeout; the server SNI chose serves it.  A plain HTTP
 * client was answered 400 by tls_accept(), a failure logged there.
 * Returns 0, or -1 when the connection is to be closed.
 */
static int
connection_tls(struct exchange *x, const struct listener *l,
    struct tls_conn *t, long long deadline)
{
	scoreboard_set(x->sb, x->slot, SLOT_READ);
	x->head_deadline = deadline != 0 ? deadline :
	    conn_now_ms() + x->conf->header_timeout * 1000LL;
	if (tls_accept(t, l, x->cl->fd, x->peertext, x->head_deadline) !=
	    TLS_OK)
		return (-1);
	if (conn_set_io(x->cl, &tls_conn_io, t) == -1) {
		tls_close(t);
		return (-1);
	}
	x->tls = t;
	x->srv = t->srv;
	return (0);
}

/*
 * On a TLS listener, a ClientHello not all there after waitroom_after
 * ms goes to the waiting room with nothing read (its bytes stay in the
 * socket): no handshake holds a worker before the client has said
 * hello.  When the pool is short of spare workers it goes at once,
 * after the peek that found it incomplete (asked at every wake, as
 * head.c's head_hurry).  Returns 1 when the connection went, 0 when it
 * stays here.
 */
static int
connection_hello(struct exchange *x)
{
	struct pollfd	 pfd;
	long long	 park_at, left;
	int		 fd = x->cl->fd, need, r, lowat = 0;

	if (!x->conf->waitroom || !handoff_enabled())
		return (0);
	park_at = conn_now_ms() + x->conf->waitroom_after;
	while ((r = handoff_hello(fd, &need)) == 0) {
		if (scoreboard_short(x->sb, x->conf->min_spare))
			park_at = conn_now_ms();
		if ((left = park_at - conn_now_ms()) <= 0) {
			if (handoff_send(handoff_park_fd(), fd, HANDOFF_TLS,
			    conn_now_ms() + x->conf->header_timeout * 1000LL,
			    NULL, 0) == -1)
				break;
			conn_attach(x->cl, -1);
			close(fd);
			return (1);
		}
		if (handoff_lowat(fd, need) == 0)
			lowat = 1;
		pfd.fd = fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, (int)left) == -1 && errno != EINTR)
			break;
	}
	if (lowat)
		(void)handoff_lowat(fd, 1);
	return (0);
}

/*
 * Accept a connection on l and serve it to the end.  Returns 0, or -1
 * when no connection was taken.
 */
static int
worker_accept(struct exchange *x, const struct listener *l, int wakefd)
{
	struct tls_conn	 t;
	socklen_t	 slen = sizeof(x->peer);
	int		 fd;

	fd = accept4(l->fd, (struct sockaddr *)&x->peer, &slen, SOCK_CLOEXEC);
	if (fd == -1) {
		if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
			log_warn("accept on %s", l->text);
		if (errno == EMFILE || errno == ENFILE)
			sleep(1);
		return (-1);
	}
	connection_start(x, l, fd, wakefd);
	if (l->tls && connection_hello(x))
		return (0);
	/* TLS first: a 429 must reach the client readable */
	if (l->tls && connection_tls(x, l, &t, 0) == -1) {
		conn_close(x->cl, 1);
		return (0);
	}
	if (connection_admit(x, l) == -1) {
		conn_close(x->cl, 1);
		x->tls = NULL;
		return (0);
	}
	serve(x, 1);	/* keys.c looks for new keys once a second */
	connection_end(x);
	return (0);
}

/*
 * Take a connection the waiting room hands back (handoff.c), with the
 * bytes it read, and serve it as one accepted here: the per-client cap
 * is checked again.  Returns 0, or -1 when there was none to take
 * (another worker was quicker).
 */
static int
worker_take(struct exchange *x, int wakefd)
{
	struct tls_conn		 t;
	struct sockaddr_storage	 local;
	const struct listener	*l;
	socklen_t		 slen;
	long long		 deadline;
	uint32_t		 kind;
	size_t			 len;
	int			 fd;

	/* into the client buffer itself: no connection holds it now */
	if ((fd = handoff_recv(handoff_back_fd(), &kind, &deadline,
	    x->cl->buf, x->cl->size, &len)) == -1)
		return (-1);
	slen = sizeof(x->peer);
	memset(&x->peer, 0, sizeof(x->peer));
	memset(&local, 0, sizeof(local));
	if (getpeername(fd, (struct sockaddr *)&x->peer, &slen) == -1 ||
	    (slen = sizeof(local), getsockname(fd, (struct sockaddr *)&local,
	    &slen)) == -1 || (l = listen_lookup(x->conf, &local)) == NULL ||
	    !l->tls != (kind != HANDOFF_TLS)) {
		close(fd);	/* gone, or its address no longer served */
		return (0);
	}
	connection_start(x, l, fd, wakefd);
	if (kind == HANDOFF_TLS) {
		/* its ClientHello is in the socket, for OpenSSL to read */
		(void)handoff_lowat(fd, 1);
		if (connection_tls(x, l, &t, deadline) == -1) {
			conn_close(x->cl, 1);
			return (0);
		}
	} else
		x->cl->len = len;
	if (connection_admit(x, l) == -1) {
		conn_close(x->cl, 1);
		x->tls = NULL;
		return (0);
	}
	serve(x, kind == HANDOFF_FIRST);
	connection_end(x);
	return (0);
}

/*
 * The worker process.  Never returns; exits when the master says so
 * (SIGTERM: finish the connection in hand, then go).
 */
void
worker_main(struct config *conf, struct scoreboard *sb, int slot, int wakefd,
    pid_t master)
{
	struct epoll_event	 evs[MAX_LISTENERS + 2];
	struct exchange		 x;
	struct conn		 cl;
	struct upstream		 up;
	int			 n, k;

	worker_setup(conf, master);
	metrics_worker_start(conf, slot);
	worker_exchange(&x, conf, sb, slot, &cl, &up);
	while (!worker_graceful) {
		if (worker_epfd == -1)	/* at start, and after a stream */
			worker_epfd = worker_epoll(conf);
		scoreboard_set(sb, slot, SLOT_IDLE);
		n = epoll_wait(worker_epfd, evs, MAX_LISTENERS + 2, -1);
		if (n == -1) {
			if (errno != EINTR)
				fatal("epoll_wait");
			continue;
		}
		/*
		 * Take the connection even if told to finish meanwhile: with
		 * EPOLLEXCLUSIVE this worker may be the only one woken for
		 * it, and one that left it queued would leave it there until
		 * the next connection wakes another (a reload under load
		 * showed it).  serve() answers it with Connection: close.
		 * After one connection, back to epoll: fairness among
		 * listeners.
		 */
		for (k = 0; k < n; k++) {
			if (evs[k].data.u32 == EV_METRICS) {
				stats_serve(conf, sb);
				continue;
			}
			if (evs[k].data.u32 != EV_HANDOFF) {
				if (worker_accept(&x, &conf->listeners[
				    evs[k].data.u32], wakefd) == 0)
					break;
				continue;
			}
			if (worker_take(&x, wakefd) == 0)
				break;
			if (errno == EPIPE)	/* the room is gone: a stop */
				(void)epoll_ctl(worker_epfd, EPOLL_CTL_DEL,
				    handoff_back_fd(), NULL);
		}
	}
	upstream_close(&up);
	exit(0);
}
