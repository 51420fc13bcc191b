/*
 * The connection layer: socket I/O with deadlines for the client and
 * the upstream.  Every wait is bounded, by poll() or by SO_RCVTIMEO on
 * a blocking recv(), so no peer can hold a worker longer than the
 * configuration allows.  A transport (struct conn_io, TLS) may sit
 * under a connection; without one, a plain socket takes the fast path
 * tuned with bench/ab.  Nothing above this file calls recv or send.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "conn.h"

volatile sig_atomic_t	 worker_quit;
volatile sig_atomic_t	 worker_graceful;
volatile sig_atomic_t	 worker_reopen;

/* Milliseconds on the monotonic clock, for deadlines. */
long long
conn_now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

/*
 * Wait until fd is ready for events or the deadline passes.  Returns 0
 * when ready, -1 with errno ETIMEDOUT or the poll error; with
 * interruptible, also -1 with EINTR once the worker is told to stop.
 */
static int
wait_fd(int fd, short events, long long deadline, int interruptible)
{
	struct pollfd	 pfd;
	long long	 left;
	int		 n;

	for (;;) {
		left = deadline - conn_now_ms();
		if (left <= 0) {
			errno = ETIMEDOUT;
			return (-1);
		}
		pfd.fd = fd;
		pfd.events = events;
		n = poll(&pfd, 1, left > 60000 ? 60000 : (int)left);
		if (n > 0)
			return (0);
		if (n == -1 && errno != EINTR)
			return (-1);
		if (interruptible && worker_quit) {
			errno = EINTR;
			return (-1);
		}
	}
}

/* Give c a buffer of size bytes for reading fd.  Returns 0 or -1. */
int
conn_init(struct conn *c, int fd, size_t size)
{
	memset(c, 0, sizeof(*c));
	c->fd = fd;
	c->size = size;
	if ((c->buf = malloc(size)) == NULL)
		return (-1);
	return (0);
}

/* Point c at a new descriptor (blocking, plain) with an empty buffer. */
void
conn_attach(struct conn *c, int fd)
{
	c->fd = fd;
	c->off = c->len = 0;
	c->eof = 0;
	c->rcvtimeo = 0;
	c->sent = c->nodelay = 0;
	c->io = NULL;
	c->io_ctx = NULL;
}

/*
 * Put transport io (ctx its state) under c; the socket becomes
 * non-blocking, the transport's waits go through poll().  Returns 0
 * or -1.
 */
int
conn_set_io(struct conn *c, const struct conn_io *io, void *ctx)
{
	int	 fl;

	if ((fl = fcntl(c->fd, F_GETFL)) == -1 ||
	    fcntl(c->fd, F_SETFL, fl | O_NONBLOCK) == -1)
		return (-1);
	c->io = io;
	c->io_ctx = ctx;
	return (0);
}

/*
 * Bytes read and not yet used, and those the transport holds decoded:
 * while there are any, a reader must not wait in poll() on the socket.
 */
size_t
conn_pending(const struct conn *c)
{
	size_t	 n = c->len - c->off;

	if (c->io != NULL && c->io->pending != NULL)
		n += c->io->pending(c);
	return (n);
}

/* Move the unused bytes to the front of the buffer. */
void
conn_compact(struct conn *c)
{
	if (c->off == 0)
		return;
	memmove(c->buf, c->buf + c->off, c->len - c->off);
	c->len -= c->off;
	c->off = 0;
}

/*
 * Bound the next blocking recv() on c by about ms.  A timeout already set
 * that is at most RCVTIMEO_SLACK longer is kept: the deadlines of one
 * kind of wait differ by the milliseconds spent since they were taken,
 * and one setsockopt() per connection is cheaper than one per request.
 */
#define RCVTIMEO_SLACK	25
static int
set_rcvtimeo(struct conn *c, long long ms)
{
	struct timeval	 tv;

	if (c->rcvtimeo >= ms && c->rcvtimeo - ms <= RCVTIMEO_SLACK)
		return (0);
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	if (setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) == -1)
		return (-1);
	c->rcvtimeo = (int)ms;
	return (0);
}

/*
 * Wait for an answer just asked for (or the next request of a kept-alive
 * client) in recv() itself: one system call where poll() and recv() were
 * two.  Returns what recv() returns; -1 with ETIMEDOUT at the deadline,
 * or EINTR once the worker is told to stop while c is idle.
 */
static ssize_t
recv_wait(struct conn *c, long long deadline)
{
	long long	 left;
	ssize_t		 n;

	for (;;) {
		left = deadline - conn_now_ms();
		if (left <= 0) {
			errno = ETIMEDOUT;
			return (-1);
		}
		if (set_rcvtimeo(c, left > 60000 ? 60000 : left) == -1)
			return (-1);
		n = recv(c->fd, c->buf + c->len, c->size - c->len, 0);
		if (n >= 0)
			return (n);
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			continue;	/* timed out: the deadline decides */
		if (errno != EINTR)
			return (-1);
		if (c->idle && worker_quit)
			return (-1);
	}
}

/*
 * conn_fill() through a transport: it is asked first (it may hold
 * decoded bytes), then waited on for what it wants.
 */
static int
io_fill(struct conn *c, long long deadline)
{
	ssize_t	 n;
	short	 want;

	for (;;) {
		want = POLLIN;
		n = c->io->read(c, c->buf + c->len, c->size - c->len, &want);
		if (n > 0) {
			c->len += n;
			return ((int)n);
		}
		if (n == 0) {
			c->eof = 1;
			return (0);
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return (-1);
		if (wait_fd(c->fd, want, deadline, c->idle) == -1)
			return (-1);
	}
}

/*
 * Read what is available (at least one byte) within timeout_ms.
 * Returns the number of bytes added, 0 at end of file, -1 on error
 * (errno ETIMEDOUT on timeout, ENOBUFS when the buffer is full).
 */
int
conn_fill(struct conn *c, int timeout_ms)
{
	long long	 deadline = conn_now_ms() + timeout_ms;
	ssize_t		 n;

	if (c->len == c->size)
		conn_compact(c);
	if (c->len == c->size) {
		errno = ENOBUFS;
		return (-1);
	}
	if (c->io != NULL)
		return (io_fill(c, deadline));
	for (;;) {
		if (c->wait_first)
			n = recv_wait(c, deadline);
		else
			n = recv(c->fd, c->buf + c->len, c->size - c->len,
			    MSG_DONTWAIT);
		if (n > 0) {
			c->len += n;
			return ((int)n);
		}
		if (n == 0) {
			c->eof = 1;
			return (0);
		}
		if (c->wait_first)
			return (-1);
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN)
			return (-1);
		if (wait_fd(c->fd, POLLIN, deadline, c->idle) == -1)
			return (-1);
	}
}

/*
 * Turn Nagle off on c, once: from its second write on, or when one write
 * goes out in parts.  A connection answered with one write (every
 * Connection: close client) never needs the system call; nginx sets
 * tcp_nodelay on the same occasions.
 */
static void
set_nodelay(struct conn *c)
{
	int	 on = 1;

	if (c->nodelay)
		return;
	(void)setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
	c->nodelay = 1;
}

/* Step iov past n bytes written. */
static void
iov_advance(struct iovec **iov, int *iovcnt, size_t n)
{
	while (n > 0 && *iovcnt > 0) {
		if (n >= (*iov)->iov_len) {
			n -= (*iov)->iov_len;
			(*iov)++;
			(*iovcnt)--;
		} else {
			(*iov)->iov_base = (char *)(*iov)->iov_base + n;
			(*iov)->iov_len -= n;
			n = 0;
		}
	}
}

/* Write all of iov on a plain socket by the deadline; 0 or -1. */
static int
sock_send(struct conn *c, struct iovec *iov, int iovcnt, long long deadline)
{
	struct msghdr	 msg;
	ssize_t		 n;

	while (iovcnt > 0) {
		if (iov->iov_len == 0) {
			iov++;
			iovcnt--;
			continue;
		}
		memset(&msg, 0, sizeof(msg));
		msg.msg_iov = iov;
		msg.msg_iovlen = iovcnt;
		n = sendmsg(c->fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				return (-1);
			set_nodelay(c);
			if (wait_fd(c->fd, POLLOUT, deadline, 0) == -1)
				return (-1);
			continue;
		}
		iov_advance(&iov, &iovcnt, (size_t)n);
	}
	return (0);
}

/* Write all of iov through c's transport by the deadline; 0 or -1. */
static int
io_send(struct conn *c, struct iovec *iov, int iovcnt, long long deadline)
{
	ssize_t	 n;
	short	 want;

	while (iovcnt > 0) {
		if (iov->iov_len == 0) {
			iov++;
			iovcnt--;
			continue;
		}
		want = POLLOUT;
		n = c->io->writev(c, iov, iovcnt, &want);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				return (-1);
			if (wait_fd(c->fd, want, deadline, 0) == -1)
				return (-1);
			continue;
		}
		iov_advance(&iov, &iovcnt, (size_t)n);
	}
	return (0);
}

/*
 * Write iov completely within timeout_ms (a peer that stops reading
 * is dropped, not waited for); TCP_NODELAY is set lazily.  iov is
 * used up.  Returns 0 or -1.
 */
int
conn_send(struct conn *c, struct iovec *iov, int iovcnt, int timeout_ms)
{
	long long	 deadline = conn_now_ms() + timeout_ms;

	if (c->sent)
		set_nodelay(c);
	c->sent = 1;
	if (c->io != NULL)
		return (io_send(c, iov, iovcnt, deadline));
	return (sock_send(c, iov, iovcnt, deadline));
}

/*
 * Before closing a connection whose client may still be sending (we
 * answered an error before reading it all): closing with unread bytes
 * would send an RST that can destroy our answer before the client
 * reads it.  Read and discard for a bounded time, as Apache's
 * lingering close does.
 */
static void
linger(int fd)
{
	struct pollfd	 pfd;
	char		 buf[4096];
	int		 i;
	ssize_t		 n;

	if (shutdown(fd, SHUT_WR) == -1)
		return;
	for (i = 0; i < 16; i++) {	/* at most 64 KiB */
		pfd.fd = fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, 500) != 1)
			return;
		if ((n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) <= 0)
			return;
	}
}

/*
 * Close c's connection (the transport says goodbye first; with
 * lingering, unread input is drained for a bounded time), keeping the
 * buffer for the next one.
 */
void
conn_close(struct conn *c, int lingering)
{
	if (c->fd != -1) {
		if (c->io != NULL && c->io->close != NULL)
			c->io->close(c);
		if (lingering)
			linger(c->fd);
		close(c->fd);
	}
	conn_attach(c, -1);
}

/*
 * Hand c's descriptor to the caller, for passing to another process,
 * with the bytes read and not yet used copied to buf (*len of them).
 * c is left empty.  Returns the descriptor, or -1 with errno
 * EOPNOTSUPP when a transport holds state that cannot travel, ENOBUFS
 * when buf is too small, EBADF when c is not connected.
 */
int
conn_detach(struct conn *c, void *buf, size_t size, size_t *len)
{
	size_t	 n = c->len - c->off;
	int	 fd = c->fd;

	*len = 0;
	if (fd == -1) {
		errno = EBADF;
		return (-1);
	}
	if (c->io != NULL) {
		errno = EOPNOTSUPP;
		return (-1);
	}
	if (n > size) {
		errno = ENOBUFS;
		return (-1);
	}
	if (n > 0)
		memcpy(buf, c->buf + c->off, n);
	*len = n;
	conn_attach(c, -1);
	return (fd);
}
