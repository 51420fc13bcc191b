/*
 * conn.c: the connection layer.  Every stage reads and writes the
 * client and the upstream through a struct conn, never on the
 * descriptor itself, so that a transport (TLS) plugs in below the
 * stages and a connection can be handed to another process (detach).
 */
#ifndef CONN_H
#define CONN_H

#include <sys/types.h>
#include <sys/uio.h>
#include <signal.h>
#include <stddef.h>

struct conn;

/*
 * A transport under a connection (TLS).  read and writev return >0
 * bytes, 0 at end of file (read only), -1 on error; -1 with errno
 * EAGAIN: wait for *want (POLLIN or POLLOUT), then call again.
 */
struct conn_io {
	ssize_t	(*read)(struct conn *c, void *buf, size_t len, short *want);
	ssize_t	(*writev)(struct conn *c, const struct iovec *iov, int iovcnt,
		    short *want);
	size_t	(*pending)(const struct conn *c); /* bytes decoded inside
						     the transport, not yet
						     read */
	void	(*close)(struct conn *c);	/* before the socket is
						   closed (close_notify) */
};

struct conn {
	int		 fd;		/* -1: not connected */
	char		*buf;		/* bytes read and not yet used */
	size_t		 size;
	size_t		 off;		/* start of unused bytes */
	size_t		 len;		/* end of unused bytes */
	int		 eof;
	int		 idle;		/* between requests: a stop ends the wait */
	int		 wait_first;	/* data is not there yet: block in recv */
	int		 rcvtimeo;	/* SO_RCVTIMEO now set on fd, ms; 0 none */
	int		 sent;		/* conn_send() wrote to it before */
	int		 nodelay;	/* TCP_NODELAY is set */
	const struct conn_io *io;	/* NULL: plain socket, the fast path */
	void		*io_ctx;	/* the transport's own state */
};

extern volatile sig_atomic_t worker_quit;	/* TERM: stop now */
extern volatile sig_atomic_t worker_graceful;	/* USR2: finish, then go */
extern volatile sig_atomic_t worker_reopen;	/* USR1: reopen the log */

long long conn_now_ms(void);
int	 conn_init(struct conn *c, int fd, size_t size);
void	 conn_attach(struct conn *c, int fd);
int	 conn_set_io(struct conn *c, const struct conn_io *io, void *ctx);
int	 conn_fill(struct conn *c, int timeout_ms);
int	 conn_send(struct conn *c, struct iovec *iov, int iovcnt,
	    int timeout_ms);
size_t	 conn_pending(const struct conn *c);
void	 conn_compact(struct conn *c);
void	 conn_close(struct conn *c, int linger);
int	 conn_detach(struct conn *c, void *buf, size_t size, size_t *len);

#endif
