/*
 * The TLS transport of the connection layer (conn.h): struct conn_io
 * over tls.c, its io_ctx a struct tls_conn.  Built once conn.h is in
 * the tree (the request-path branch brings it).
 */
#if defined(__has_include) && __has_include("conn.h")
#include <sys/types.h>
#include <sys/uio.h>

#include "conn.h"
#include "tls.h"

/* The four hooks pass the connection's struct tls_conn to tls.c. */
static ssize_t
tio_read(struct conn *c, void *buf, size_t len, short *want)
{
	return (tls_read(c->io_ctx, buf, len, want));
}

static ssize_t
tio_writev(struct conn *c, const struct iovec *iov, int iovcnt, short *want)
{
	return (tls_writev(c->io_ctx, iov, iovcnt, want));
}

static size_t
tio_pending(const struct conn *c)
{
	return (tls_pending(c->io_ctx));
}

static void
tio_close(struct conn *c)
{
	tls_close(c->io_ctx);
}

/* conn_set_io(c, &tls_conn_io, t) after tls_accept() or tls_connect() */
const struct conn_io tls_conn_io = {
	tio_read, tio_writev, tio_pending, tio_close
};
#else
/* ISO C wants a translation unit to declare something */
typedef int tls_conn_needs_conn_h;
#endif
