/*
 * handoff.c: the two channels between the workers and the waiting room
 * (waitroom.c), and the one message both carry: a client's descriptor
 * (SCM_RIGHTS) and the bytes read from it and not yet used.
 */
#ifndef HANDOFF_H
#define HANDOFF_H

#include <sys/types.h>
#include <sys/uio.h>
#include <stdint.h>

struct conn;
struct config;

#define HANDOFF_FIRST	1	/* no request served on it yet */
#define HANDOFF_NEXT	2	/* kept alive after an answer */
#define HANDOFF_TLS	3	/* TLS, its ClientHello not all there; the
				   bytes stay in the socket (peeked only) */

/* handoff.c */
int	 handoff_open(size_t max_bytes);
int	 handoff_enabled(void);
void	 handoff_worker_ends(void);
void	 handoff_room_ends(void);
void	 handoff_close_room(void);
int	 handoff_park_fd(void);
int	 handoff_back_fd(void);
size_t	 handoff_max(void);
int	 handoff_send(int chan, int fd, uint32_t kind, long long deadline,
	    const struct iovec *iov, int iovcnt);
int	 handoff_recv(int chan, uint32_t *kind, long long *deadline,
	    char *buf, size_t size, size_t *len);
int	 handoff_hello(int fd, int *need);
int	 handoff_lowat(int fd, int bytes);
int	 handoff_park(struct conn *c, uint32_t kind, long long deadline,
	    const struct iovec *pre, int npre);

/* waitroom.c */
void	 waitroom_init(struct config *conf);
void	 waitroom_maintain(struct config *conf);
int	 waitroom_reaped(pid_t pid, int status);
void	 waitroom_stop(struct config *conf, int graceful);

#endif
