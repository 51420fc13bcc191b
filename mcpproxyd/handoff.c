/*
 * The hand-off channels between the workers and the waiting room
 * (waitroom.c).  Two SOCK_SEQPACKET socket pairs, made by the master
 * before it forks anyone, and kept open by it so that a waiting room it
 * restarts finds them again:
 *
 *   park: workers -> waiting room; every worker sends on one end, the
 *         waiting room receives on the other;
 *   back: waiting room -> workers; every worker polls the receiving end
 *         beside the listening sockets and takes a message with a
 *         non-blocking recvmsg(), which is atomic: exactly one worker
 *         gets each connection, as exactly one accept() gets a new one.
 *
 * A message is one record: a header, the client's descriptor as
 * SCM_RIGHTS, and the bytes read from the client and not yet used (up to
 * max_header_size), so that they can never be separated.  Sends never
 * block: a full channel is a failed hand-off, and the sender keeps the
 * connection.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "conn.h"
#include "handoff.h"

#define HANDOFF_MAGIC	0x6d707731u	/* "mpw1" */
#define HANDOFF_SNDBUF	(4 * 1024 * 1024)
#define TLS_RECORD_MAX	(5 + 16384 + 2048)	/* a header and its body */

struct handoff_hdr {
	uint32_t	 magic;
	uint32_t	 kind;		/* HANDOFF_FIRST, _NEXT or _TLS */
	int64_t		 deadline;	/* monotonic ms the wait ends; 0 none */
};

static int	 park[2] = { -1, -1 };	/* [0] workers send, [1] room reads */
static int	 back[2] = { -1, -1 };	/* [0] room sends, [1] workers read */
static size_t	 maxbytes;		/* bytes a message carries at most */
static char	*scratch;		/* handoff_park()'s copy of them */

/* One end's send buffer: room for bursts of hand-offs. */
static void
sndbuf(int fd)
{
	int	 v = HANDOFF_SNDBUF;

	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &v, sizeof(v)) == -1)
		(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &v, sizeof(v));
}

/*
 * Make both channels (the master, once, before any fork), for messages
 * of up to max_bytes client bytes.  Returns 0 or -1.
 */
int
handoff_open(size_t max_bytes)
{
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, park) == -1)
		return (-1);
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, back) ==
	    -1) {
		close(park[0]);
		close(park[1]);
		park[0] = park[1] = -1;
		return (-1);
	}
	sndbuf(park[0]);
	sndbuf(back[0]);
	maxbytes = max_bytes;
	return (0);
}

/* Is there a waiting room to hand connections to? */
int
handoff_enabled(void)
{
	return (park[0] != -1);
}

/* The largest number of client bytes a message carries. */
size_t
handoff_max(void)
{
	return (maxbytes);
}

/* A worker keeps the ends it uses: it sends on park and reads back. */
void
handoff_worker_ends(void)
{
	if (park[0] == -1)
		return;
	close(park[1]);
	close(back[0]);
	park[1] = back[0] = -1;
	if ((scratch = malloc(maxbytes)) == NULL)
		fatal("hand-off buffer");
}

/* The waiting room keeps the ends it uses: it reads park, sends back. */
void
handoff_room_ends(void)
{
	close(park[0]);
	close(back[1]);
	park[0] = back[1] = -1;
}

/*
 * The master closes its copies of the waiting room's ends at a stop:
 * once the room is gone too, a worker's hand-off fails at once and it
 * keeps the connection, where it would have sat unread in the channel
 * (and a worker reading back sees the end, EPIPE).
 */
void
handoff_close_room(void)
{
	if (park[1] != -1)
		close(park[1]);
	if (back[0] != -1)
		close(back[0]);
	park[1] = back[0] = -1;
}

/* The end a process reads: park in the waiting room, back in a worker. */
int
handoff_park_fd(void)
{
	return (park[1] != -1 ? park[1] : park[0]);
}

int
handoff_back_fd(void)
{
	return (back[1] != -1 ? back[1] : back[0]);
}

/*
 * Send fd and the bytes of iov on chan (the sending end), never
 * blocking.  Returns 0 (the receiver now holds a copy of fd; the
 * sender closes its own), or -1 with errno (EAGAIN: the channel is
 * full).
 */
int
handoff_send(int chan, int fd, uint32_t kind, long long deadline,
    const struct iovec *iov, int iovcnt)
{
	struct handoff_hdr	 h;
	struct iovec		 v[8];
	struct msghdr		 m;
	union {
		struct cmsghdr	 hdr;
		char		 buf[CMSG_SPACE(sizeof(int))];
	}			 cm;
	struct cmsghdr		*c;
	size_t			 total = 0;
	int			 i;

	if (iovcnt > 7) {
		errno = EINVAL;
		return (-1);
	}
	memset(&h, 0, sizeof(h));
	h.magic = HANDOFF_MAGIC;
	h.kind = kind;
	h.deadline = deadline;
	v[0].iov_base = &h;
	v[0].iov_len = sizeof(h);
	for (i = 0; i < iovcnt; i++) {
		v[i + 1] = iov[i];
		total += iov[i].iov_len;
	}
	if (total > maxbytes) {
		errno = EMSGSIZE;
		return (-1);
	}
	memset(&m, 0, sizeof(m));
	memset(&cm, 0, sizeof(cm));
	m.msg_iov = v;
	m.msg_iovlen = iovcnt + 1;
	m.msg_control = cm.buf;
	m.msg_controllen = sizeof(cm.buf);
	c = CMSG_FIRSTHDR(&m);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	if (sendmsg(chan, &m, MSG_DONTWAIT | MSG_NOSIGNAL) == -1)
		return (-1);
	return (0);
}

/*
 * Take one message from chan (the receiving end) without blocking: the
 * bytes into buf (size at least handoff_max()), their count in *len.
 * Returns the descriptor, or -1: errno EAGAIN when there was none (or
 * another process took it), EBADMSG for a message that is not one of
 * ours (any descriptor in it is closed).
 */
int
handoff_recv(int chan, uint32_t *kind, long long *deadline, char *buf,
    size_t size, size_t *len)
{
	struct handoff_hdr	 h;
	struct iovec		 v[2];
	struct msghdr		 m;
	union {
		struct cmsghdr	 hdr;
		char		 buf[CMSG_SPACE(sizeof(int) * 4)];
	}			 cm;
	struct cmsghdr		*c;
	ssize_t			 n;
	int			 fd = -1, fds[4], k, nfd = 0;

	v[0].iov_base = &h;
	v[0].iov_len = sizeof(h);
	v[1].iov_base = buf;
	v[1].iov_len = size;
	memset(&m, 0, sizeof(m));
	m.msg_iov = v;
	m.msg_iovlen = 2;
	m.msg_control = cm.buf;
	m.msg_controllen = sizeof(cm.buf);
	n = recvmsg(chan, &m, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	if (n == -1)
		return (-1);
	for (c = CMSG_FIRSTHDR(&m); c != NULL; c = CMSG_NXTHDR(&m, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
			for (k = 0; (size_t)k < (c->cmsg_len - CMSG_LEN(0)) /
			    sizeof(int) && nfd < 4; k++)
				memcpy(&fds[nfd++], CMSG_DATA(c) + k *
				    sizeof(int), sizeof(int));
	if (n == 0 && nfd == 0) {
		errno = EPIPE;		/* the other side is gone */
		return (-1);
	}
	if (nfd == 1 && (size_t)n >= sizeof(h) && h.magic == HANDOFF_MAGIC &&
	    !(m.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) &&
	    (h.kind == HANDOFF_FIRST || h.kind == HANDOFF_NEXT ||
	    h.kind == HANDOFF_TLS))
		fd = fds[0];
	else
		for (k = 0; k < nfd; k++)
			close(fds[k]);
	if (fd == -1) {
		errno = EBADMSG;
		return (-1);
	}
	*kind = h.kind;
	*deadline = h.deadline;
	*len = (size_t)n - sizeof(h);
	return (fd);
}

/*
 * Hand client connection c to the waiting room: its descriptor, the
 * bytes of pre (a head and body already taken out of c) and the bytes
 * unread in c.  Returns 0 when the room has it (c is then closed here,
 * detached), or -1 with c as it was (the caller keeps serving it).
 */
int
handoff_park(struct conn *c, uint32_t kind, long long deadline,
    const struct iovec *pre, int npre)
{
	struct conn	 was = *c;
	struct iovec	 v[8];
	size_t		 len, prelen = 0;
	int		 fd, i, e;

	if (park[0] == -1 || c->io != NULL || npre > 6) {
		errno = EOPNOTSUPP;
		return (-1);
	}
	for (i = 0; i < npre; i++)
		prelen += pre[i].iov_len;
	if (prelen > maxbytes) {
		errno = EMSGSIZE;
		return (-1);
	}
	if ((fd = conn_detach(c, scratch, maxbytes - prelen, &len)) == -1)
		return (-1);
	for (i = 0; i < npre; i++)
		v[i] = pre[i];
	v[npre].iov_base = scratch;
	v[npre].iov_len = len;
	if (handoff_send(park[0], fd, kind, deadline, v, npre + 1) == 0) {
		close(fd);
		return (0);
	}
	/* keep it: as it was, offsets and all (its buffer is untouched) */
	e = errno;
	*c = was;
	errno = e;
	return (-1);
}

/*
 * Is the first TLS record on fd (a ClientHello) all there?  It is only
 * peeked at: the bytes stay in the socket for OpenSSL to read.  Returns
 * 1 when it is complete, or when the first byte is no TLS handshake
 * (the worker answers a plain HTTP client itself); 0 when more is
 * needed (*need: the bytes the record has in all, or 5 before its
 * header is there); -1 at end of file or on an error.
 */
int
handoff_hello(int fd, int *need)
{
	static unsigned char	 rec[TLS_RECORD_MAX];
	size_t			 total;
	ssize_t			 n;

	*need = 5;
	n = recv(fd, rec, sizeof(rec), MSG_PEEK | MSG_DONTWAIT);
	if (n == 0)
		return (-1);
	if (n == -1)
		return (errno == EAGAIN || errno == EWOULDBLOCK ||
		    errno == EINTR ? 0 : -1);
	if (rec[0] != 0x16)
		return (1);
	if (n < 5)
		return (0);
	total = 5 + ((size_t)rec[3] << 8 | rec[4]);
	if ((size_t)n >= total || total > sizeof(rec))
		return (1);	/* too large a record: OpenSSL refuses it */
	*need = (int)total;
	return (0);
}

/*
 * Make fd readable to poll() only once bytes are there (SO_RCVLOWAT),
 * so that a wait for the rest of a record does not spin on what came;
 * 1 sets it back.  Returns 0 or -1.
 */
int
handoff_lowat(int fd, int bytes)
{
	return (setsockopt(fd, SOL_SOCKET, SO_RCVLOWAT, &bytes,
	    sizeof(bytes)));
}
