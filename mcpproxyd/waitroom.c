/*
 * The waiting room: one unprivileged, event-driven process that holds
 * the client connections no worker needs to hold, so that slow and idle
 * clients cost a few hundred bytes here instead of a worker each.
 *
 * Design (issue 15).
 *
 * What comes here.  A worker waits waitroom_after ms (150 by default)
 * for what it needs next, then hands the connection over (handoff.c):
 *   - a head not complete within waitroom_after of the accept, or of
 *     the end of the previous answer (a kept-alive client idle between
 *     requests: MCP agents between tool calls);
 *   - a Content-Length body not complete within waitroom_after of its
 *     head, when head and body fit in max_header_size together and no
 *     100 Continue was sent: the worker passes the head and the body so
 *     far, the room waits for the rest.  Chunked bodies and larger ones
 *     stay on their worker (body_timeout bounds them).
 *   - on a TLS listener, a first record (ClientHello) not complete
 *     within waitroom_after of the accept: passed with nothing read,
 *     the room peeks (MSG_PEEK, SO_RCVLOWAT for the rest) and hands it
 *     back once the record is there; the worker then runs the handshake
 *     on bytes still in the socket.
 * A complete pipelined request already in the worker's buffer is served,
 * never passed (head_read() looks at the buffer before it waits).  A TLS
 * connection whose handshake began is never passed (conn_detach()
 * refuses a transport; the kernel here has no kTLS to carry the session
 * over): an idle kept-alive TLS client holds its worker, see
 * mcpproxyd(8).
 *
 * The hand-off.  One SOCK_SEQPACKET message carries the descriptor
 * (SCM_RIGHTS), the bytes read and not used (up to max_header_size), the
 * kind (a first request or a kept-alive one) and the deadline of the
 * wait in progress.  Sends never block: when the channel is full or the
 * room is gone the worker keeps the connection and tries again
 * waitroom_after later.  Once a complete head (and the body it waited
 * for) is here, the room sends the connection back on the second
 * channel, whose receiving end every worker polls beside the listening
 * sockets (EPOLLEXCLUSIVE); recvmsg() is atomic, so exactly one worker
 * takes it, as exactly one accept() takes a new connection.  That worker
 * serves it as if it had read the bytes itself, and checks the per-client
 * cap again.
 *
 * The rules here are the worker's: http_head_end() and
 * http_head_limit() (http.c) frame the head, so a slow client gets the
 * same 408, 414 or 431 here as on a worker; a malformed complete head is
 * handed back and the worker answers its 400.  header_timeout bounds a
 * begun head, keepalive_timeout an idle kept-alive client,
 * header_timeout a first request that sent nothing, body_timeout a body
 * and header_timeout each wait for more of it;
 * and a begun head or body must average waitroom_min_rate bytes a second
 * after its first second.
 *
 * Limits.  waitroom_max_conns connections (when full, the oldest idle
 * kept-alive one is closed for a newcomer, else the newcomer gets 503);
 * waitroom_memory bytes of buffers (each grows from 512 bytes to
 * max_header_size; past the bound the connection that needs more gets
 * 503); waitroom_open_files, the RLIMIT_NOFILE it raises to before it
 * drops root.  max_conns_per_client counts here too: the room holds at
 * most that many of one client address (the peer's, canonical as in
 * ident.c; trusted proxies are not counted, as on a worker), closing that
 * client's oldest idle kept-alive connection first, else answering 429;
 * and a worker that takes a connection back applies the cap again.
 *
 * Life.  The master forks it after the channels exist and before the
 * workers, with the workers' privilege drop, and restarts it when it
 * dies: it loses only the connections it held (messages still in the
 * channel wait for the next one).  It belongs to no generation: a
 * connection parked before a reload goes back to whichever worker takes
 * it, of the new generation once the old ones stop taking.  A graceful
 * stop (USR2) closes at once what has no byte buffered and keeps the
 * rest until it is handed back or times out; TERM ends it at once.
 */
#include <sys/types.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "mcpproxyd.h"
#include "conn.h"
#include "handoff.h"
#include "metrics.h"
#include "proctitle.h"
#include "tls.h"

#define ROOM_CHAN	UINT32_MAX	/* epoll: the park channel */
#define ROOM_TICK	50		/* ms between sweeps of the deadlines */
#define ROOM_BUF0	512		/* first buffer of a guest */
#define ROOM_LINGER	1000		/* ms to drain input after an answer */
#define RESTART_GAP	1		/* s between restarts of the room */

enum gstate {
	G_FREE,
	G_IDLE,		/* nothing buffered yet */
	G_HEAD,		/* part of a head */
	G_BODY,		/* a head and part of its body */
	G_HELLO,	/* TLS: part of a ClientHello, left in the socket */
	G_READY,	/* complete: waits for the back channel */
	G_CLOSING	/* answered: drains input, then closes */
};

struct guest {
	int			 fd;
	enum gstate		 state;
	uint32_t		 kind;		/* HANDOFF_FIRST or _NEXT */
	long long		 since;		/* ms it came in */
	long long		 deadline;	/* ms the current wait ends */
	long long		 begun;		/* ms the head or body began */
	long long		 last;		/* ms the last bytes came */
	size_t			 need;		/* G_BODY: head + body bytes */
	char			*buf;
	size_t			 len, size;
	struct sockaddr_storage	 client;
	int			 counted;	/* under max_conns_per_client */
	int			 polled;	/* in the epoll set */
};

static volatile sig_atomic_t	 room_quit, room_graceful;
static struct guest		*guests;
static int			 nguests, maxguests, nfree;
static int			*freelist;
static size_t			 memory;	/* bytes of buffers */
static int			 epfd = -1;
static char			*scratch;	/* a head parsed here */
static struct http_request	 req;

/* the master's side */
static pid_t	 room_pid;
static time_t	 room_born;

static void
room_sig(int sig)
{
	if (sig == SIGTERM)
		room_quit = 1;
	else if (sig == SIGUSR2)
		room_graceful = 1;
}

static void
room_signals(void)
{
	struct sigaction	 sa;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = room_sig;	/* no SA_RESTART: epoll_wait sees EINTR */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGUSR2, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGQUIT, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	sa.sa_handler = SIG_DFL;
	sigaction(SIGCHLD, &sa, NULL);
}

/* Take g out of the epoll set (it waits for the back channel). */
static void
guest_unpoll(struct guest *g)
{
	if (g->polled && epoll_ctl(epfd, EPOLL_CTL_DEL, g->fd, NULL) == 0)
		g->polled = 0;
}

/* Forget guest g: its descriptor, buffer and place. */
static void
guest_free(struct guest *g)
{
	/*
	 * Out of the epoll set first: close() alone leaves it there while
	 * the file is still open elsewhere, as it is when handed back (the
	 * message in flight holds it), and the same connection parked again
	 * under the same number would then meet EEXIST and be dropped.
	 */
	if (g->fd != -1) {
		guest_unpoll(g);
		close(g->fd);
	}
	memory -= g->size;
	free(g->buf);
	memset(g, 0, sizeof(*g));
	g->fd = -1;
	g->state = G_FREE;
	freelist[nfree++] = (int)(g - guests);
	nguests--;
	metrics_waiting_set(nguests);	/* mcpproxyd_waiting_connections */
}

/*
 * Answer status with the proxy's JSON-RPC error, as reply.c words it,
 * then drain what the client still sends for a moment and close (a
 * close with unread input would reset the answer away).
 */
static void
guest_answer(struct guest *g, int status, const char *why)
{
	char	 body[256], head[256];
	int	 bl, hl;

	bl = snprintf(body, sizeof(body), "{\"jsonrpc\":\"2.0\",\"error\":"
	    "{\"code\":-32000,\"message\":\"%s\"},\"id\":null}\n", why);
	hl = snprintf(head, sizeof(head), "HTTP/1.1 %d %s\r\n"
	    "Content-Type: application/json\r\nCache-Control: no-store\r\n"
	    "%sContent-Length: %d\r\nConnection: close\r\n\r\n", status,
	    http_reason(status), status == 503 ? "Retry-After: 5\r\n" : "",
	    bl);
	if (send(g->fd, head, hl, MSG_DONTWAIT | MSG_NOSIGNAL | MSG_MORE) ==
	    hl)
		(void)send(g->fd, body, bl, MSG_DONTWAIT | MSG_NOSIGNAL);
	(void)shutdown(g->fd, SHUT_WR);
	g->state = G_CLOSING;
	g->deadline = conn_now_ms() + ROOM_LINGER;
	g->len = 0;
}

/*
 * A ClientHello not complete at header_timeout: logged as a worker
 * logs a slow handshake (a silent client is not), and closed with a
 * FIN: the bytes left in the socket are read first, as a close with
 * unread input resets the connection.
 */
static void
hello_timeout(struct guest *g)
{
	char	 peer[64], junk[4096];
	int	 n = 0, k;

	if (ioctl(g->fd, FIONREAD, &n) == 0 && n > 0) {
		addr_text((struct sockaddr *)&g->client, peer, sizeof(peer));
		tls_log_failure(peer, "not done within header_timeout");
	}
	for (k = 0; k < 16 && recv(g->fd, junk, sizeof(junk),
	    MSG_DONTWAIT) > 0; k++)
		;
	(void)shutdown(g->fd, SHUT_WR);
	guest_free(g);
}

/* Log and answer a client that broke a rule. */
static void
guest_refuse(struct guest *g, int status, const char *why)
{
	char	 peer[64];

	addr_text((struct sockaddr *)&g->client, peer, sizeof(peer));
	log_info("%s: bad request: %s", peer, why);	/* as a worker's */
	guest_answer(g, status, why);
}

/* Grow g's buffer for more bytes; -1 past waitroom_memory. */
static int
guest_grow(struct guest *g, const struct config *conf)
{
	size_t	 size = g->size ? g->size * 2 : ROOM_BUF0;
	char	*nb;

	if (size > conf->lim.max_head)
		size = conf->lim.max_head;
	if (size <= g->size)
		return (0);
	if (memory + size - g->size > (size_t)conf->waitroom_memory)
		return (-1);
	if ((nb = realloc(g->buf, size)) == NULL)
		return (-1);
	memory += size - g->size;
	g->buf = nb;
	g->size = size;
	return (0);
}

/* Send g back to the workers; G_READY until a send succeeds. */
static void
guest_hand_back(struct guest *g)
{
	struct iovec	 v;

	g->state = G_READY;
	v.iov_base = g->buf;
	v.iov_len = g->len;
	if (handoff_send(handoff_back_fd(), g->fd, g->kind,
	    g->kind == HANDOFF_TLS ? g->deadline : 0, &v, 1) == 0) {
		guest_free(g);
		return;
	}
	if (errno != EAGAIN && errno != ENOBUFS)
		log_warn("waiting room: hand-back");
	guest_unpoll(g);	/* level-triggered: would spin */
}

/*
 * Look at what g sent: a complete head (and the body it needs) goes
 * back; a head over a limit is answered.
 */
static void
guest_progress(struct guest *g, const struct config *conf)
{
	size_t	 hlen, skip = 0;
	int	 st;

	if (g->state == G_HEAD) {
		while (skip < g->len && (g->buf[skip] == '\r' ||
		    g->buf[skip] == '\n'))
			skip++;		/* RFC 9112 2.2, as head.c */
		if (skip > 0) {
			memmove(g->buf, g->buf + skip, g->len - skip);
			g->len -= skip;
		}
		if (g->len == 0)
			return;
		if ((hlen = http_head_end(g->buf, g->len)) == 0) {
			if ((st = http_head_limit(g->buf, g->len,
			    &conf->lim)) != 0)
				guest_refuse(g, st, st == 414 ?
				    "request line too long" :
				    "request head too large");
			return;
		}
		/* a body to wait for?  A bad head goes back for its 400. */
		memcpy(scratch, g->buf, hlen);
		scratch[hlen] = '\0';
		if (http_parse_request(scratch, hlen, &conf->lim, &req,
		    &(const char *){ NULL }) != 0 ||
		    req.framing != HTTP_BODY_LENGTH || req.expect_continue ||
		    hlen + req.content_length > conf->lim.max_head ||
		    hlen + req.content_length <= g->len) {
			guest_hand_back(g);
			return;
		}
		g->state = G_BODY;
		g->need = hlen + req.content_length;
		g->begun = conn_now_ms();
		g->deadline = g->begun + conf->body_timeout * 1000LL;
		return;
	}
	if (g->state == G_BODY && g->len >= g->need)
		guest_hand_back(g);
}

/*
 * A TLS guest: is its ClientHello all there (peeked, never read)?  Then
 * it goes back; else poll() wakes the room only once the rest is in.
 */
static void
guest_hello(struct guest *g)
{
	int	 need;

	switch (handoff_hello(g->fd, &need)) {
	case -1:
		guest_free(g);
		break;
	case 1:
		(void)handoff_lowat(g->fd, 1);
		guest_hand_back(g);
		break;
	default:
		(void)handoff_lowat(g->fd, need);
	}
}

/* Read what g sent. */
static void
guest_read(struct guest *g, const struct config *conf)
{
	char	 sink[4096];
	ssize_t	 n;

	if (g->state == G_HELLO) {
		guest_hello(g);
		return;
	}
	if (g->state == G_CLOSING) {
		while ((n = recv(g->fd, sink, sizeof(sink), MSG_DONTWAIT)) > 0)
			;
		if (n == 0 || (errno != EAGAIN && errno != EINTR))
			guest_free(g);
		return;
	}
	if (g->state == G_READY)
		return;
	if (g->len == g->size && guest_grow(g, conf) == -1) {
		guest_refuse(g, 503, "waiting room full");
		return;
	}
	if (g->len == g->size)	/* at max_head: the limits answer */
		return;
	n = recv(g->fd, g->buf + g->len, g->size - g->len, MSG_DONTWAIT);
	if (n == 0 || (n == -1 && errno != EAGAIN && errno != EINTR)) {
		guest_free(g);	/* the client left: nothing to answer */
		return;
	}
	if (n < 0)
		return;
	g->len += n;
	g->last = conn_now_ms();
	if (g->state == G_IDLE) {
		g->state = G_HEAD;
		g->begun = conn_now_ms();
		g->deadline = g->begun + conf->header_timeout * 1000LL;
	}
	guest_progress(g, conf);
}

/*
 * The client a peer address counts as, as scoreboard.c compares them:
 * canonical (ident.c), port ignored, IPv6 by its /64.
 */
static void
client_key(struct sockaddr_storage *ss)
{
	addr_canon(ss);
	if (ss->ss_family == AF_INET)
		((struct sockaddr_in *)ss)->sin_port = 0;
	else if (ss->ss_family == AF_INET6) {
		struct sockaddr_in6	*s6 = (struct sockaddr_in6 *)ss;

		s6->sin6_port = 0;
		s6->sin6_flowinfo = 0;
		s6->sin6_scope_id = 0;
		memset(&s6->sin6_addr.s6_addr[8], 0, 8);
	}
}

/* Is the client of ss exempt from the per-client cap (a trusted proxy)? */
static int
trusted_peer(const struct config *conf, const struct sockaddr_storage *ss)
{
	size_t	 i;

	for (i = 0; i < conf->nservers; i++)
		if (cidr_match(conf->servers[i].trusted,
		    conf->servers[i].ntrusted, ss))
			return (1);
	return (0);
}

/*
 * The oldest idle kept-alive guest (of client, or of anyone when client
 * is NULL), or NULL: the one to close for a newcomer.
 */
static struct guest *
oldest_idle(const struct sockaddr_storage *client)
{
	struct guest	*g, *best = NULL;
	int		 i;

	for (i = 0; i < maxguests; i++) {
		g = &guests[i];
		if (g->state != G_IDLE || g->kind != HANDOFF_NEXT)
			continue;
		if (client != NULL && (!g->counted ||
		    memcmp(&g->client, client, sizeof(*client)) != 0))
			continue;
		if (best == NULL || g->since < best->since)
			best = g;
	}
	return (best);
}

/* How many guests client has (a scan: bounded by waitroom_max_conns). */
static int
client_guests(const struct sockaddr_storage *client)
{
	int	 i, n = 0;

	for (i = 0; i < maxguests; i++)
		n += guests[i].state != G_FREE && guests[i].counted &&
		    memcmp(&guests[i].client, client, sizeof(*client)) == 0;
	return (n);
}

/*
 * Make a place for a newcomer from client: a free one, or that of the
 * oldest idle kept-alive guest (the client's own first when it is at
 * its cap).  Returns the guest, or NULL with *status the answer (429,
 * 503).
 */
static struct guest *
guest_place(const struct config *conf, const struct sockaddr_storage *client,
    int counted, int *status)
{
	struct guest	*old;

	if (counted && conf->max_conns_per_client > 0 &&
	    client_guests(client) >= conf->max_conns_per_client) {
		if ((old = oldest_idle(client)) == NULL) {
			*status = 429;
			return (NULL);
		}
		guest_free(old);
	}
	if (nfree == 0 && (old = oldest_idle(NULL)) != NULL)
		guest_free(old);
	if (nfree == 0) {
		*status = 503;
		return (NULL);
	}
	nguests++;
	metrics_waiting_set(nguests);
	return (&guests[freelist[--nfree]]);
}

/*
 * Answer a connection the room cannot hold, and close it.  A kept-alive
 * connection with nothing sent is closed without an answer, as at its
 * keepalive_timeout: its client would take an answer for that of the
 * request it sends next.
 */
static void
turn_away(int fd, const struct sockaddr_storage *client, uint32_t kind,
    size_t len, int status)
{
	struct guest	 g;

	memset(&g, 0, sizeof(g));
	g.fd = fd;
	g.client = *client;
	if (kind == HANDOFF_FIRST || len > 0)
		guest_refuse(&g, status, status == 429 ?
		    "too many connections from this address" :
		    "waiting room full");
	close(fd);
}

/* Take one connection a worker parked; 0, or -1 when the channel is empty. */
static int
guest_arrive(const struct config *conf, char *in)
{
	struct sockaddr_storage	 client;
	struct epoll_event	 ev;
	struct guest		*g;
	socklen_t		 slen = sizeof(client);
	long long		 deadline;
	uint32_t		 kind;
	size_t			 len;
	int			 fd, counted, status = 503;

	if ((fd = handoff_recv(handoff_park_fd(), &kind, &deadline, in,
	    conf->lim.max_head, &len)) == -1)
		return (errno == EBADMSG ? 0 : -1);
	memset(&client, 0, sizeof(client));
	if (getpeername(fd, (struct sockaddr *)&client, &slen) == -1) {
		close(fd);
		return (0);
	}
	counted = !trusted_peer(conf, &client);
	client_key(&client);
	/* a graceful stop: what has nothing buffered closes at once */
	if (room_graceful && len == 0 && kind != HANDOFF_TLS) {
		close(fd);
		return (0);
	}
	if ((g = guest_place(conf, &client, counted, &status)) == NULL) {
		turn_away(fd, &client, kind, len, status);
		return (0);
	}
	g->fd = fd;
	g->kind = kind;
	g->client = client;
	g->counted = counted;
	g->since = conn_now_ms();
	g->deadline = deadline;
	g->state = kind == HANDOFF_TLS ? G_HELLO : len > 0 ? G_HEAD : G_IDLE;
	g->begun = g->last = g->since;
	while (g->size < len)
		if (guest_grow(g, conf) == -1) {
			guest_refuse(g, 503, "waiting room full");
			break;
		}
	if (g->state == G_CLOSING) {
		close(g->fd);
		g->fd = -1;
		guest_free(g);
		return (0);
	}
	if (len > 0)		/* else no buffer yet */
		memcpy(g->buf, in, len);
	g->len = len;
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN | EPOLLRDHUP;
	ev.data.u32 = (uint32_t)(g - guests);
	if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) == -1) {
		log_warn("waiting room: epoll_ctl");
		guest_free(g);
		return (0);
	}
	g->polled = 1;
	if (g->state == G_HEAD)
		guest_progress(g, conf);
	else if (g->state == G_HELLO)
		guest_hello(g);
	/* a body the worker began: its body_timeout runs on */
	if (g->state == G_BODY && deadline != 0)
		g->deadline = deadline;
	return (0);
}

/*
 * Once a tick: the deadlines and the minimum rate, hand-backs the back
 * channel refused, and at a graceful stop the guests with nothing
 * buffered.
 */
static void
sweep(const struct config *conf)
{
	struct guest	*g;
	long long	 now = conn_now_ms(), secs;
	int		 i;

	for (i = 0; i < maxguests; i++) {
		g = &guests[i];
		switch (g->state) {
		case G_FREE:
			break;
		case G_READY:
			guest_hand_back(g);
			break;
		case G_IDLE:
			if (room_graceful || (g->deadline != 0 &&
			    now >= g->deadline))
				guest_free(g);	/* idle: closed unanswered */
			break;
		case G_CLOSING:
			if (now >= g->deadline)
				guest_free(g);
			break;
		case G_HELLO:	/* no answer can be read before a handshake */
			if (now >= g->deadline)
				hello_timeout(g);
			break;
		case G_HEAD:
		case G_BODY:
			/* a body waits header_timeout at most for each part */
			if ((g->deadline != 0 && now >= g->deadline) ||
			    (g->state == G_BODY && now - g->last >=
			    conf->header_timeout * 1000LL)) {
				guest_refuse(g, 408, g->state == G_HEAD ?
				    "request head timed out" :
				    "request body timed out");
				break;
			}
			secs = (now - g->begun) / 1000;
			if (conf->waitroom_min_rate > 0 && secs >= 2 &&
			    (long long)g->len < conf->waitroom_min_rate *
			    (secs - 1))
				guest_refuse(g, 408, g->state == G_HEAD ?
				    "request head too slow" :
				    "request body too slow");
			break;
		}
	}
}

/* Raise the open-file limit (root, before the drop); bound the guests. */
static void
room_files(struct config *conf)
{
	struct rlimit	 rl;

	rl.rlim_cur = rl.rlim_max = conf->waitroom_open_files;
	if (setrlimit(RLIMIT_NOFILE, &rl) == -1) {
		log_warn("waiting room: RLIMIT_NOFILE %d",
		    conf->waitroom_open_files);
		if (getrlimit(RLIMIT_NOFILE, &rl) == 0 &&
		    rl.rlim_cur < (rlim_t)conf->waitroom_max_conns + 32)
			conf->waitroom_max_conns = rl.rlim_cur > 64 ?
			    (int)rl.rlim_cur - 32 : 16;
	}
}

/* Become the waiting room: files, privileges, death with the master. */
static void
room_setup(struct config *conf, pid_t master)
{
	size_t	 i;
	int	 k;

	log_procname("waitroom");
	proctitle_set("mcpproxyd: waiting room");
	for (i = 0; i < conf->nlisteners; i++)
		if (conf->listeners[i].fd != -1)
			close(conf->listeners[i].fd);	/* workers accept */
	if (conf->pidfd != -1)
		close(conf->pidfd);	/* the lock is the master's */
	handoff_room_ends();
	room_signals();
	room_files(conf);
	drop_privileges(conf);
	if (prctl(PR_SET_PDEATHSIG, SIGTERM) == -1 || getppid() != master)
		_exit(1);
	maxguests = conf->waitroom_max_conns;
	if ((guests = calloc(maxguests, sizeof(*guests))) == NULL ||
	    (freelist = calloc(maxguests, sizeof(*freelist))) == NULL ||
	    (scratch = malloc(conf->lim.max_head + 1)) == NULL)
		fatal("waiting room tables");
	for (k = maxguests - 1; k >= 0; k--) {
		guests[k].fd = -1;
		freelist[nfree++] = k;
	}
	if ((epfd = epoll_create1(EPOLL_CLOEXEC)) == -1)
		fatal("epoll_create1");
}

/* The waiting room process.  Never returns. */
static void __attribute__((noreturn))
room_main(struct config *conf, pid_t master)
{
	struct epoll_event	 evs[256], ev;
	char			*in;
	long long		 next = 0, now;
	int			 n, k, took;

	room_setup(conf, master);
	metrics_waiting_set(0);		/* a room restarted holds nothing */
	if ((in = malloc(conf->lim.max_head)) == NULL)
		fatal("waiting room buffer");
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.u32 = ROOM_CHAN;
	if (epoll_ctl(epfd, EPOLL_CTL_ADD, handoff_park_fd(), &ev) == -1)
		fatal("epoll_ctl");
	log_info("waiting room: up to %d connections, %d bytes buffered",
	    maxguests, conf->waitroom_memory);
	while (!room_quit) {
		n = epoll_wait(epfd, evs, 256, ROOM_TICK);
		if (n == -1 && errno != EINTR)
			fatal("epoll_wait");
		for (k = 0; k < n; k++) {
			if (evs[k].data.u32 == ROOM_CHAN) {
				for (took = 0; took < 64; took++)
					if (guest_arrive(conf, in) == -1)
						break;
				continue;
			}
			if (evs[k].data.u32 < (uint32_t)maxguests &&
			    guests[evs[k].data.u32].state != G_FREE)
				guest_read(&guests[evs[k].data.u32], conf);
		}
		if ((now = conn_now_ms()) >= next || room_graceful) {
			sweep(conf);
			next = now + ROOM_TICK;
		}
		/* a last look at the channel: what came meanwhile is held */
		if (room_graceful && nguests == 0) {
			while (guest_arrive(conf, in) == 0)
				;
			if (nguests == 0)
				break;
		}
	}
	_exit(0);
}

/*
 * The master: make the channels (before any worker is forked) when the
 * configuration asks for a waiting room; without them, workers keep
 * every connection, as with waitroom = off.
 */
void
waitroom_init(struct config *conf)
{
	if (!conf->waitroom)
		return;
	if (handoff_open(conf->lim.max_head) == -1) {
		log_warn("waiting room: channels; running without one");
		return;
	}
	waitroom_maintain(conf);
}

/* The master: start the waiting room if it is not running. */
void
waitroom_maintain(struct config *conf)
{
	pid_t	 master = getpid();

	if (!handoff_enabled() || room_pid != 0 ||
	    time(NULL) - room_born < RESTART_GAP)
		return;
	room_born = time(NULL);
	switch ((room_pid = fork())) {
	case -1:
		log_warn("waiting room: fork");
		room_pid = 0;
		return;
	case 0:
		room_main(conf, master);
	}
}

/*
 * The master: was pid the waiting room?  Then log how it ended and
 * return 1 (waitroom_maintain() starts another).
 */
int
waitroom_reaped(pid_t pid, int status)
{
	if (pid != room_pid || pid == 0)
		return (0);
	room_pid = 0;
	if (WIFSIGNALED(status))
		log_warnx("waiting room %ld killed by signal %d; restarting; "
		    "the connections it held are lost", (long)pid,
		    WTERMSIG(status));
	else if (WEXITSTATUS(status) != 0)
		log_warnx("waiting room %ld exited with status %d; restarting",
		    (long)pid, WEXITSTATUS(status));
	return (1);
}

/*
 * The master, at a stop, before the workers are told: end the waiting
 * room (graceful: within the longest of header_timeout and
 * body_timeout, while workers still take what it hands back), then close
 * its channel ends so that workers keep their connections.
 */
void
waitroom_stop(struct config *conf, int graceful)
{
	long long	 deadline;
	int		 status = 0, sig = graceful ? SIGUSR2 : SIGTERM;

	if (!handoff_enabled())
		return;
	/*
	 * First the master's copies of the room's ends: once the room is
	 * gone, a worker's hand-off fails at once (it keeps the connection)
	 * instead of queueing where no one reads.
	 */
	handoff_close_room();
	if (room_pid != 0) {
		deadline = conn_now_ms() + (graceful ?
		    (conf->header_timeout > conf->body_timeout ?
		    conf->header_timeout : conf->body_timeout) * 1000LL +
		    1000 : 5000);
		kill(room_pid, sig);
		while (waitpid(room_pid, &status, WNOHANG) == 0) {
			if (conn_now_ms() >= deadline) {
				if (sig == SIGKILL)
					break;
				sig = sig == SIGUSR2 ? SIGTERM : SIGKILL;
				kill(room_pid, sig);
				deadline = conn_now_ms() + 5000;
			}
			poll(NULL, 0, 20);
		}
		room_pid = 0;
	}
}
