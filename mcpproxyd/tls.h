/*
 * TLS for mcpproxyd: listeners (tls.c) and https upstreams
 * (tls_client.c).  Only these two files call OpenSSL's TLS API.
 */
#ifndef MCPPROXYD_TLS_H
#define MCPPROXYD_TLS_H

#include <sys/types.h>
#include <sys/uio.h>
#include <time.h>

struct config;
struct server;
struct listener;
struct route;
struct ssl_st;
struct ssl_ctx_st;

#define TLS_TICKET_KEYS	16	/* keys of one ticket lifetime, at most */

/* One TLS connection: the conn layer's io_ctx. */
struct tls_conn {
	struct ssl_st		*ssl;
	int			 fd;
	const struct listener	*l;		/* server side */
	const struct server	*srv;		/* the one SNI chose */
	const struct route	*rt;		/* client side */
	char			 sni[256];	/* "" when none was sent */
	int			 shut;		/* close_notify sent */
};

/* What tls_accept() and tls_connect() end with. */
enum tls_result {
	TLS_OK,			/* handshake done */
	TLS_PLAIN,		/* plain HTTP on a TLS port: answered 400 */
	TLS_TIMEOUT,		/* the deadline passed */
	TLS_FAIL		/* handshake failed: logged */
};

/* tls.c */
int	 tls_setup(struct config *conf, char *err, size_t errlen);
void	 tls_free(struct config *conf);
int	 tls_tickets_init(const struct config *conf);
time_t	 tls_tickets_rotate(const struct config *conf, time_t now, int force);
int	 tls_tickets_worker(void);
enum tls_result tls_accept(struct tls_conn *t, const struct listener *l,
	    int fd, const char *peer, long long deadline_ms);
ssize_t	 tls_read(struct tls_conn *t, void *buf, size_t len, short *want);
ssize_t	 tls_writev(struct tls_conn *t, const struct iovec *iov, int iovcnt,
	    short *want);
size_t	 tls_pending(const struct tls_conn *t);
void	 tls_close(struct tls_conn *t);
const char *tls_version(const struct tls_conn *t);
int	 tls_wait(int fd, short want, long long deadline_ms);
/* a handshake that failed before any tls_accept (the waiting room's) */
void	 tls_log_failure(const char *peer, const char *why);

/* tls_conn.c: the transport for conn_set_io() (with conn.h) */
struct conn_io;
extern const struct conn_io tls_conn_io;

/* tls_client.c */
int	 tls_client_setup(struct server *srv, char *err, size_t errlen);
enum tls_result tls_connect(struct tls_conn *t, const struct route *rt,
	    struct ssl_ctx_st *ctx, int fd, long long deadline_ms, char *why,
	    size_t whylen);
void	 tls_client_forget(const struct route *rt);
int	 tls_client_relay(const struct route *rt);

#endif
