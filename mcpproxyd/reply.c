/*
 * Every answer the proxy makes itself, below all the stages that decide
 * on one: the status line, the stage's headers, x->extra, the CORS
 * headers (a browser must be able to read errors too), a JSON-RPC
 * error body or a JSON document, the 204 of a CORS preflight and the
 * 100 Continue before a body; then the access log line.  Like httpd's
 * server_abort_http(), every stage answers through here.
 */
#include <sys/types.h>
#include <sys/uio.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "mcpproxyd.h"
#include "metrics.h"

/* What an answer leaves of the connection: keep it if sent and allowed. */
static enum xresult
verdict(const struct exchange *x, int rc)
{
	return (rc == 0 && x->keepalive ? XR_KEEP : XR_CLOSE);
}

/* Write len bytes to the client within send_timeout.  Returns 0 or -1. */
static int
client_write(struct exchange *x, const char *buf, size_t len)
{
	struct iovec	 iov;

	iov.iov_base = (void *)(uintptr_t)buf;
	iov.iov_len = len;
	return (conn_send(x->cl, &iov, 1, x->conf->send_timeout * 1000));
}

/*
 * Send an answer: status, headers (each ending in CRLF), x->extra,
 * CORS headers and body; then log it.  The connection is closed
 * afterwards unless the request was fully read and may be kept alive.
 */
enum xresult
reply_send(struct exchange *x, int status, const char *headers,
    const char *body, size_t len)
{
	char		 head[4096 + 3072];
	struct iovec	 iov[2];
	size_t		 hl;
	int		 rc;

	if (worker_graceful)
		x->keepalive = 0;
	hl = snprintf(head, sizeof(head), "HTTP/1.1 %d %s\r\n%s"
	    "Content-Length: %zu\r\n%s%s", status, http_reason(status),
	    headers, len, x->keepalive ? "" : "Connection: close\r\n",
	    x->extra);
	if (hl >= sizeof(head) - 600)
		hl = sizeof(head) - 600;	/* never: extra is bounded */
	if (x->srv != NULL && x->origin != NULL)
		hl += cors_headers(x->srv, x->origin, head + hl,
		    sizeof(head) - hl - 3);
	if (x->tls != NULL && x->srv != NULL && x->srv->hsts > 0)
		hl += snprintf(head + hl, sizeof(head) - hl,
		    "Strict-Transport-Security: max-age=%d\r\n", x->srv->hsts);
	hl += snprintf(head + hl, sizeof(head) - hl, "\r\n");
	iov[0].iov_base = head;
	iov[0].iov_len = hl;
	iov[1].iov_base = (void *)(uintptr_t)body;
	iov[1].iov_len = (x->req.method == NULL ||
	    strcmp(x->req.method, "HEAD")) ? len : 0;
	rc = conn_send(x->cl, iov, 2, x->conf->send_timeout * 1000);
	if (!x->keepalive)
		x->linger = 1;
	x->log.status = status;
	x->log.bytes = len;
	if (x->log.client == NULL) {
		clock_gettime(CLOCK_REALTIME, &x->log.start);
		x->log.client = x->peertext;
	}
	metrics_request(x);
	accesslog_write(&x->log);
	return (verdict(x, rc));
}

/*
 * Answer status with a JSON-RPC error object of code as the body.  Its
 * id is the request's, byte for byte, when mcp.c read one (a client
 * matches the error to its call by it); else null.  message is the
 * proxy's own static text, never a client's bytes.
 */
enum xresult
reply_rpc_error(struct exchange *x, int status, int code, const char *message)
{
	char		 body[512 + RPC_ID_CAP];
	const char	*id = "null";
	int		 bl, idlen = 4;

	if (x->rpcok && x->rpc.kind == JSONRPC_REQUEST && x->rpc.id != NULL &&
	    x->rpc.idlen <= RPC_ID_CAP) {
		id = x->rpc.id;
		idlen = (int)x->rpc.idlen;
	}
	bl = snprintf(body, sizeof(body), "{\"jsonrpc\":\"2.0\",\"error\":"
	    "{\"code\":%d,\"message\":\"%.400s\"},\"id\":%.*s}\n", code,
	    message, idlen, id);
	if (bl < 0 || (size_t)bl >= sizeof(body))
		bl = 0;		/* never: message and id are bounded */
	return (reply_send(x, status, status == 503 ?
	    "Content-Type: application/json\r\nCache-Control: no-store\r\n"
	    "Retry-After: 5\r\n" :
	    "Content-Type: application/json\r\nCache-Control: no-store\r\n",
	    body, bl));
}

/* Answer status with the proxy's JSON-RPC error -32000. */
enum xresult
reply_error(struct exchange *x, int status, const char *message)
{
	return (reply_rpc_error(x, status, -32000, message));
}

/*
 * Answer 200 with a JSON document that clients may cache for max_age
 * seconds (metadata).
 */
enum xresult
reply_json(struct exchange *x, json_t *doc, int max_age)
{
	char		 headers[96];
	char		*body;
	size_t		 len;
	enum xresult	 rv;

	if ((body = json_dumps(doc, JSON_INDENT(2))) == NULL) {
		reply_error(x, 500, "cannot build the metadata");
		return (XR_CLOSE);
	}
	len = strlen(body);
	body[len] = '\n';	/* over the NUL: the length says where it ends */
	snprintf(headers, sizeof(headers), "Content-Type: application/json\r\n"
	    "Cache-Control: max-age=%d\r\n", max_age);
	rv = reply_send(x, 200, headers, body, len + 1);
	free(body);
	return (rv);
}

/*
 * Answer a CORS preflight (OPTIONS with Access-Control-Request-Method):
 * 204 with what cors.c allows, or 403 when it allows nothing.
 */
enum xresult
reply_preflight(struct exchange *x)
{
	const struct http_request	*r = &x->req;
	char				 head[2048];
	size_t				 n;
	int				 hl;

	n = cors_preflight(x->srv, x->origin, http_header_get(r->hdr, r->nhdr,
	    "Access-Control-Request-Headers"), head + 64, sizeof(head) - 200);
	if (n == 0) {
		reply_error(x, 403, "origin not allowed");
		return (x->keepalive ? XR_KEEP : XR_CLOSE);
	}
	hl = snprintf(head, 64, "HTTP/1.1 204 No Content\r\n");
	memmove(head + hl, head + 64, n);
	hl += n;
	hl += snprintf(head + hl, sizeof(head) - hl, "Content-Length: 0\r\n"
	    "%s\r\n", x->keepalive ? "" : "Connection: close\r\n");
	if (client_write(x, head, hl) == -1)
		return (XR_CLOSE);
	x->log.status = 204;
	metrics_request(x);
	accesslog_write(&x->log);
	return (x->keepalive ? XR_KEEP : XR_CLOSE);
}

/* Tell a client that waits (Expect: 100-continue) to send its body. */
int
reply_continue(struct exchange *x)
{
	return (client_write(x, "HTTP/1.1 100 Continue\r\n\r\n", 25));
}
