/*
 * Table tests of the connection layer (conn.c): conn_fill and
 * conn_send through a fake transport (struct conn_io) that answers
 * from a script (bytes, EAGAIN with a wanted event, EINTR, errors,
 * short reads and writes), the plain-socket path on a socketpair,
 * conn_pending, conn_detach and conn_close.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../mcpproxyd/conn.h"
#include "unit.h"

#define NITEMS(a)	(sizeof(a) / sizeof((a)[0]))
#define MAXSTEPS	8

/* One answer of the fake transport: rv > 0 takes or gives rv bytes. */
struct step {
	ssize_t		 rv;		/* >0 bytes, 0 EOF, -1 error */
	int		 err;		/* errno with -1 */
	short		 want;		/* with EAGAIN */
	const char	*data;		/* read: the bytes given */
};

struct fake {
	const struct step *steps;
	int		 nsteps;
	int		 at;
	char		 out[256];	/* what writev took */
	size_t		 outlen;
	size_t		 pending;
	int		 closed;
};

#define OK(n, d)	{ (n), 0, 0, (d) }
#define AGAIN(w)	{ -1, EAGAIN, (w), NULL }
#define ERR(e)		{ -1, (e), 0, NULL }
#define END		{ 0, 0, 0, NULL }

/* The next scripted answer; past the script, an error. */
static const struct step *
next_step(struct fake *f)
{
	static const struct step over = ERR(ENOTRECOVERABLE);

	return (f->at < f->nsteps ? &f->steps[f->at++] : &over);
}

static ssize_t
fake_read(struct conn *c, void *buf, size_t len, short *want)
{
	const struct step	*s = next_step(c->io_ctx);

	if (s->rv > 0) {
		if ((size_t)s->rv > len)
			return (-1);
		memcpy(buf, s->data, s->rv);
		return (s->rv);
	}
	if (s->rv == -1) {
		*want = s->want;
		errno = s->err;
	}
	return (s->rv);
}

static ssize_t
fake_writev(struct conn *c, const struct iovec *iov, int iovcnt, short *want)
{
	struct fake		*f = c->io_ctx;
	const struct step	*s = next_step(f);
	size_t			 take, done = 0;
	int			 i;

	if (s->rv == -1) {
		*want = s->want;
		errno = s->err;
		return (-1);
	}
	/* a short write: at most rv bytes of the vector are taken */
	for (i = 0; i < iovcnt && done < (size_t)s->rv; i++) {
		take = iov[i].iov_len;
		if (take > (size_t)s->rv - done)
			take = (size_t)s->rv - done;
		if (f->outlen + take > sizeof(f->out))
			return (-1);
		memcpy(f->out + f->outlen, iov[i].iov_base, take);
		f->outlen += take;
		done += take;
	}
	return ((ssize_t)done);
}

static size_t
fake_pending(const struct conn *c)
{
	return (((const struct fake *)c->io_ctx)->pending);
}

static void
fake_close(struct conn *c)
{
	((struct fake *)c->io_ctx)->closed++;
}

static const struct conn_io fake_io = {
	fake_read, fake_writev, fake_pending, fake_close
};

enum op { FILL, SEND };

struct io_case {
	const char	*name;
	enum op		 op;
	struct step	 steps[MAXSTEPS];
	int		 rv;		/* conn_fill's or conn_send's */
	int		 err;		/* errno with rv -1 */
	const char	*data;		/* read into the buffer / written */
	size_t		 size;		/* buffer size, 0: 64 */
};

static const struct io_case io_cases[] = {
	{ "read", FILL, { OK(3, "abc") }, 3, 0, "abc", 0 },
	{ "read after EAGAIN for POLLOUT", FILL,
	    { AGAIN(POLLOUT), OK(2, "xy") }, 2, 0, "xy", 0 },
	{ "read after EINTR", FILL, { ERR(EINTR), OK(1, "z") }, 1, 0, "z", 0 },
	{ "read after two EAGAINs", FILL,
	    { AGAIN(POLLOUT), AGAIN(POLLOUT), OK(4, "abcd") }, 4, 0, "abcd",
	    0 },
	{ "EAGAIN for POLLIN, nothing comes", FILL, { AGAIN(POLLIN) },
	    -1, ETIMEDOUT, "", 0 },
	{ "end of file", FILL, { END }, 0, 0, "", 0 },
	{ "transport error", FILL, { ERR(EPROTO) }, -1, EPROTO, "", 0 },
	{ "connection reset", FILL, { ERR(ECONNRESET) }, -1, ECONNRESET, "",
	    0 },
	{ "buffer full", FILL, { OK(1, "x") }, -1, ENOBUFS, "", 1 },
	{ "write at once", SEND, { OK(11, NULL) }, 0, 0, "hello world", 0 },
	{ "short writes", SEND, { OK(1, NULL), OK(5, NULL), OK(2, NULL),
	    OK(3, NULL) }, 0, 0, "hello world", 0 },
	{ "short write, EAGAIN, rest", SEND, { OK(3, NULL), AGAIN(POLLOUT),
	    OK(8, NULL) }, 0, 0, "hello world", 0 },
	{ "write after EINTR", SEND, { ERR(EINTR), OK(11, NULL) }, 0, 0,
	    "hello world", 0 },
	{ "write waits for POLLIN, nothing comes", SEND, { OK(2, NULL),
	    AGAIN(POLLIN) }, -1, ETIMEDOUT, "he", 0 },
	{ "write error", SEND, { ERR(EPIPE) }, -1, EPIPE, "", 0 },
	{ "write error after a part", SEND, { OK(6, NULL), ERR(EIO) }, -1,
	    EIO, "hello ", 0 },
};

/* A socketpair; sv[0] for the conn, sv[1] the peer. */
static void
pair(int sv[2])
{
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == -1) {
		perror("socketpair");
		exit(1);
	}
}

static void
run_io_case(const struct io_case *t)
{
	struct conn	 c;
	struct fake	 f;
	struct iovec	 iov[3];
	int		 sv[2], rv, n = 0;

	memset(&f, 0, sizeof(f));
	f.steps = t->steps;
	while (n < MAXSTEPS && (t->steps[n].rv != 0 || t->steps[n].err ||
	    t->steps[n].data))
		n++;
	/* END is all zeroes: a row whose only step is END has one step */
	f.nsteps = n == 0 ? 1 : n;
	pair(sv);
	CHECK(conn_init(&c, sv[0], t->size ? t->size : 64) == 0, "%s", t->name);
	CHECK(conn_set_io(&c, &fake_io, &f) == 0, "%s", t->name);
	CHECK(fcntl(sv[0], F_GETFL) & O_NONBLOCK, "%s: non-blocking",
	    t->name);
	if (t->op == FILL) {
		if (t->err == ENOBUFS)
			c.len = c.size;
		errno = 0;
		rv = conn_fill(&c, 50);
		CHECK(rv == t->rv, "%s: rv %d", t->name, rv);
		if (rv == -1)
			CHECK(errno == t->err, "%s: errno %d", t->name, errno);
		if (rv > 0)
			CHECK(c.len == strlen(t->data) &&
			    !memcmp(c.buf, t->data, c.len), "%s: data",
			    t->name);
		CHECK(c.eof == (rv == 0), "%s: eof", t->name);
	} else {
		iov[0].iov_base = (void *)(uintptr_t)"hello ";
		iov[0].iov_len = 6;
		iov[1].iov_base = (void *)(uintptr_t)"";
		iov[1].iov_len = 0;
		iov[2].iov_base = (void *)(uintptr_t)"world";
		iov[2].iov_len = 5;
		errno = 0;
		rv = conn_send(&c, iov, 3, 50);
		CHECK(rv == t->rv, "%s: rv %d", t->name, rv);
		if (rv == -1)
			CHECK(errno == t->err, "%s: errno %d", t->name, errno);
		CHECK(f.outlen == strlen(t->data) &&
		    !memcmp(f.out, t->data, f.outlen), "%s: wrote %.*s",
		    t->name, (int)f.outlen, f.out);
	}
	CHECK(f.at == f.nsteps || t->err == ENOBUFS, "%s: %d of %d steps",
	    t->name, f.at, f.nsteps);
	conn_close(&c, 0);
	CHECK(f.closed == 1, "%s: transport closed %d times", t->name,
	    f.closed);
	CHECK(c.fd == -1 && c.io == NULL, "%s: detached from fd and io",
	    t->name);
	free(c.buf);
	close(sv[1]);
}

/* The plain-socket path: no transport, the fast path. */
static void
plain_socket(void)
{
	struct conn	 c;
	struct iovec	 iov;
	static char	 big[1 << 20];
	char		 got[64];
	int		 sv[2];
	ssize_t		 n;

	pair(sv);
	CHECK(conn_init(&c, sv[0], 64) == 0, "init");
	CHECK(write(sv[1], "hello", 5) == 5, "peer write");
	CHECK(conn_fill(&c, 100) == 5 && !memcmp(c.buf, "hello", 5),
	    "plain read");
	errno = 0;
	CHECK(conn_fill(&c, 50) == -1 && errno == ETIMEDOUT,
	    "plain read times out: %d", errno);
	c.wait_first = 1;
	errno = 0;
	CHECK(conn_fill(&c, 50) == -1 && errno == ETIMEDOUT,
	    "recv_wait times out: %d", errno);
	CHECK(write(sv[1], "!", 1) == 1, "peer write");
	CHECK(conn_fill(&c, 100) == 1 && c.len == 6, "recv_wait reads");
	c.wait_first = 0;
	CHECK(conn_pending(&c) == 6, "pending %zu", conn_pending(&c));
	c.off = 2;
	CHECK(conn_pending(&c) == 4, "pending after use");
	iov.iov_base = (void *)(uintptr_t)"answer";
	iov.iov_len = 6;
	CHECK(conn_send(&c, &iov, 1, 100) == 0, "plain send");
	CHECK(read(sv[1], got, sizeof(got)) == 6 && !memcmp(got, "answer", 6),
	    "peer reads the answer");
	/* a peer that stops reading is dropped at the deadline */
	iov.iov_base = big;
	iov.iov_len = sizeof(big);
	errno = 0;
	CHECK(conn_send(&c, &iov, 1, 100) == -1 && errno == ETIMEDOUT,
	    "send to a peer that does not read: %d", errno);
	conn_close(&c, 0);
	CHECK(c.fd == -1, "closed");
	while ((n = read(sv[1], big, sizeof(big))) > 0)
		;
	CHECK(n == 0, "peer sees end of file");
	close(sv[1]);

	pair(sv);
	conn_attach(&c, sv[0]);
	close(sv[1]);
	CHECK(conn_fill(&c, 100) == 0 && c.eof, "plain end of file");
	conn_close(&c, 1);	/* lingering on a closed peer ends at once */
	free(c.buf);
}

/* conn_detach: the descriptor and the unread bytes, or why not. */
static void
detach(void)
{
	struct conn	 c;
	struct fake	 f;
	char		 out[16];
	size_t		 len = 99;
	int		 sv[2], fd;

	pair(sv);
	CHECK(conn_init(&c, sv[0], 64) == 0, "init");
	CHECK(write(sv[1], "GET / HTTP/1.1\r\n", 16) == 16, "peer write");
	CHECK(conn_fill(&c, 100) == 16, "read");
	c.off = 6;		/* "GET / " used */
	CHECK(conn_detach(&c, out, 4, &len) == -1 && errno == ENOBUFS &&
	    len == 0 && c.fd == sv[0], "detach into too small a buffer");
	fd = conn_detach(&c, out, sizeof(out), &len);
	CHECK(fd == sv[0], "detach returns the fd: %d", fd);
	CHECK(len == 10 && !memcmp(out, "HTTP/1.1\r\n", 10),
	    "detach hands the unread bytes: %zu", len);
	CHECK(c.fd == -1 && conn_pending(&c) == 0, "c left empty");
	CHECK(fcntl(fd, F_GETFD) != -1, "the fd stays open");
	CHECK(conn_detach(&c, out, sizeof(out), &len) == -1 &&
	    errno == EBADF, "detach of nothing");

	conn_attach(&c, fd);
	memset(&f, 0, sizeof(f));
	f.pending = 5;
	CHECK(conn_set_io(&c, &fake_io, &f) == 0, "set io");
	c.len = 2;
	CHECK(conn_pending(&c) == 7, "pending counts the transport's: %zu",
	    conn_pending(&c));
	CHECK(conn_detach(&c, out, sizeof(out), &len) == -1 &&
	    errno == EOPNOTSUPP && c.fd == fd,
	    "a transport's state cannot travel");
	conn_close(&c, 0);
	CHECK(f.closed == 1 && fcntl(fd, F_GETFD) == -1, "closed once");
	free(c.buf);
	close(sv[1]);
}

int
main(void)
{
	size_t	 i;

	for (i = 0; i < NITEMS(io_cases); i++)
		run_io_case(&io_cases[i]);
	plain_socket();
	detach();
	return (unit_done("mcpproxyd_conn"));
}
