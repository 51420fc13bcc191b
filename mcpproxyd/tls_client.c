/*
 * TLS to https:// upstreams.  Every new connection verifies the
 * upstream's chain (the system store, or upstream_tls_ca_file) and its
 * name (DNS name, or IP address SAN for an address literal); there is
 * no way to turn that off.  Each worker keeps the last session of each
 * route and offers it on the next connection (resumption).
 */
#include <sys/types.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "log.h"
#include "mcpproxyd.h"
#include "tls.h"

#define UPSTREAM_CIPHERS	"ECDHE+AESGCM:ECDHE+CHACHA20:DHE+AESGCM:" \
	"DHE+CHACHA20"

/* The session to offer per route, one worker's; NULL: none yet. */
static struct {
	const struct route	*rt;
	SSL_SESSION		*sess;
} cache[MAX_SERVERS * MAX_ROUTES];

/* Is host an IPv4 or IPv6 address literal (no SNI, an IP SAN)? */
static int
is_ip(const char *host)
{
	unsigned char	 a[16];

	return (inet_pton(AF_INET, host, a) == 1 ||
	    inet_pton(AF_INET6, host, a) == 1);
}

/* The slot of rt in the cache, or a free one, or NULL. */
static SSL_SESSION **
cache_slot(const struct route *rt, int add)
{
	size_t	 i;

	for (i = 0; i < sizeof(cache) / sizeof(cache[0]); i++)
		if (cache[i].rt == rt)
			return (&cache[i].sess);
	if (!add)
		return (NULL);
	for (i = 0; i < sizeof(cache) / sizeof(cache[0]); i++)
		if (cache[i].rt == NULL) {
			cache[i].rt = rt;
			return (&cache[i].sess);
		}
	return (NULL);
}

/* OpenSSL hands over a new session (TLS 1.3: after the handshake). */
static int
new_session_cb(SSL *ssl, SSL_SESSION *sess)
{
	struct tls_conn	*t = SSL_get_app_data(ssl);
	SSL_SESSION	**s;

	if (t == NULL || t->rt == NULL ||
	    (s = cache_slot(t->rt, 1)) == NULL)
		return (0);
	SSL_SESSION_free(*s);
	*s = sess;
	return (1);		/* the reference is ours */
}

/* Drop rt's session (its last connection failed). */
void
tls_client_forget(const struct route *rt)
{
	SSL_SESSION	**s = cache_slot(rt, 0);

	if (s != NULL) {
		SSL_SESSION_free(*s);
		*s = NULL;
	}
}

/*
 * Does rt's issuer have provider = keycloak, whose client registration
 * provider.c relays, to an https realm as often as not?
 */
int
tls_client_relay(const struct route *rt)
{
	return (rt->auth != NULL && rt->auth->iss != NULL &&
	    rt->auth->iss->provider != NULL &&
	    strcmp(rt->auth->iss->provider, "keycloak") == 0);
}

/*
 * Build srv's upstream context, as root (the client key may be 0600
 * root), when one of its routes is https or relays registrations
 * (provider = keycloak).  Returns 0, or -1 with err.
 */
int
tls_client_setup(struct server *srv, char *err, size_t errlen)
{
	struct tls_upstream	*u = &srv->up_tls;
	SSL_CTX			*ctx;
	const char		*what = "SSL_CTX_new";
	size_t			 i;
	int			 https = 0, fd;

	for (i = 0; i < srv->nroutes; i++)
		https |= srv->routes[i].https || tls_client_relay(
		    &srv->routes[i]);
	if (!https)
		return (0);
	if ((ctx = SSL_CTX_new(TLS_client_method())) == NULL)
		goto ssl;
	u->ctx = ctx;
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION |
	    SSL_OP_NO_COMPRESSION);
	SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS |
	    SSL_MODE_ENABLE_PARTIAL_WRITE |
	    SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	what = "ciphers";
	if (!SSL_CTX_set_cipher_list(ctx, UPSTREAM_CIPHERS))
		goto ssl;
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	if (u->ca_file != NULL) {
		if ((fd = open(u->ca_file, O_RDONLY | O_CLOEXEC)) == -1) {
			snprintf(err, errlen, "[server %s]: upstream_tls_ca_file "
			    "%s: %s", srv->name, u->ca_file, strerror(errno));
			goto fail;
		}
		close(fd);
		what = u->ca_file;
		if (!SSL_CTX_load_verify_locations(ctx, u->ca_file, NULL))
			goto ssl;
	} else {
		what = "the system CA store";
		if (!SSL_CTX_set_default_verify_paths(ctx))
			goto ssl;
	}
	if (u->certificate != NULL) {
		if ((fd = open(u->key, O_RDONLY | O_CLOEXEC)) == -1) {
			snprintf(err, errlen, "[server %s]: upstream_tls_key "
			    "%s: %s", srv->name, u->key, strerror(errno));
			goto fail;
		}
		close(fd);
		what = u->certificate;
		if (!SSL_CTX_use_certificate_chain_file(ctx, u->certificate))
			goto ssl;
		what = u->key;
		if (!SSL_CTX_use_PrivateKey_file(ctx, u->key,
		    SSL_FILETYPE_PEM) && ERR_GET_REASON(ERR_peek_last_error())
		    != X509_R_KEY_VALUES_MISMATCH)
			goto ssl;
		if (!SSL_CTX_check_private_key(ctx)) {
			ERR_clear_error();
			snprintf(err, errlen, "[server %s]: upstream_tls_key %s "
			    "does not match upstream_tls_certificate %s",
			    srv->name, u->key, u->certificate);
			goto fail;
		}
	}
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT |
	    SSL_SESS_CACHE_NO_INTERNAL_STORE);
	SSL_CTX_sess_set_new_cb(ctx, new_session_cb);
	return (0);
ssl:
	snprintf(err, errlen, "[server %s]: upstream TLS: %s: %s", srv->name,
	    what, ERR_reason_error_string(ERR_peek_last_error()) ?
	    ERR_reason_error_string(ERR_peek_last_error()) : "failed");
	ERR_clear_error();
fail:
	SSL_CTX_free(ctx);
	u->ctx = NULL;
	return (-1);
}

/* Why verification failed, in words an operator acts on. */
static void
verify_why(SSL *ssl, const struct route *rt, char *why, size_t whylen)
{
	long	 v = SSL_get_verify_result(ssl);

	switch (v) {
	case X509_V_ERR_HOSTNAME_MISMATCH:
		snprintf(why, whylen, "certificate does not name %s",
		    rt->host);
		break;
	case X509_V_ERR_IP_ADDRESS_MISMATCH:
		snprintf(why, whylen, "certificate does not hold the IP "
		    "address %s", rt->host);
		break;
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
	case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
	case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
		snprintf(why, whylen, "certificate from an unknown CA (%s)",
		    X509_verify_cert_error_string(v));
		break;
	case X509_V_ERR_CERT_HAS_EXPIRED:
		snprintf(why, whylen, "certificate expired");
		break;
	case X509_V_ERR_CERT_NOT_YET_VALID:
		snprintf(why, whylen, "certificate not yet valid");
		break;
	default:
		snprintf(why, whylen, "certificate refused: %s",
		    X509_verify_cert_error_string(v));
	}
}

/*
 * The client side of a handshake with rt's upstream on fd (connected),
 * within deadline_ms, with the host name check, SNI (not for an
 * address literal) and the route's last session.  fd is left
 * non-blocking.  On failure why says why, for the log.
 */
enum tls_result
tls_connect(struct tls_conn *t, const struct route *rt, SSL_CTX *ctx,
    int fd, long long deadline_ms, char *why, size_t whylen)
{
	SSL_SESSION	**s;
	int		 rc, e, ip = is_ip(rt->host);
	short		 want;

	memset(t, 0, sizeof(*t));
	t->fd = fd;
	t->rt = rt;
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) == -1 ||
	    (t->ssl = SSL_new(ctx)) == NULL || !SSL_set_fd(t->ssl, fd))
		goto ssl;
	SSL_set_app_data(t->ssl, t);
	if (ip) {
		if (!X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(t->ssl),
		    rt->host))
			goto ssl;
	} else if (!SSL_set1_host(t->ssl, rt->host) ||
	    !SSL_set_tlsext_host_name(t->ssl, rt->host))
		goto ssl;
	if ((s = cache_slot(rt, 0)) != NULL && *s != NULL &&
	    SSL_SESSION_is_resumable(*s))
		SSL_set_session(t->ssl, *s);
	for (;;) {
		ERR_clear_error();
		errno = 0;
		if ((rc = SSL_connect(t->ssl)) == 1)
			return (TLS_OK);
		e = SSL_get_error(t->ssl, rc);
		if (e == SSL_ERROR_WANT_READ)
			want = POLLIN;
		else if (e == SSL_ERROR_WANT_WRITE)
			want = POLLOUT;
		else {
			if (SSL_get_verify_result(t->ssl) != X509_V_OK)
				verify_why(t->ssl, rt, why, whylen);
			else if (e == SSL_ERROR_SYSCALL &&
			    ERR_peek_error() == 0)
				snprintf(why, whylen, "%s", errno != 0 ?
				    strerror(errno) : "connection closed in "
				    "the handshake");
			else
				goto ssl;
			tls_client_forget(rt);
			goto fail;
		}
		if (tls_wait(fd, want, deadline_ms) == -1) {
			snprintf(why, whylen, "handshake: %s", strerror(errno));
			e = errno;
			SSL_free(t->ssl);
			t->ssl = NULL;
			return (e == ETIMEDOUT ? TLS_TIMEOUT : TLS_FAIL);
		}
	}
ssl:
	snprintf(why, whylen, "%s", ERR_reason_error_string(
	    ERR_peek_last_error()) ? ERR_reason_error_string(
	    ERR_peek_last_error()) : "TLS setup failed");
	ERR_clear_error();
	tls_client_forget(rt);
fail:
	SSL_free(t->ssl);
	t->ssl = NULL;
	return (TLS_FAIL);
}
