/*
 * TLS listeners.  The master, as root, builds one SSL_CTX per [server]
 * with a certificate before any worker forks: the private key is read
 * once, by root, and workers inherit it in memory, never opening the
 * key file (which may be 0600 root), as nginx and Apache do.  The
 * master also makes the session ticket keys: a ring of them (the
 * current one, which seals new tickets, and the previous ones, kept
 * for a ticket's lifetime) in shared memory that workers map read-only,
 * so a ticket made by one worker resumes on any other, of any
 * generation.  The keys never touch a disk.
 */
#include <sys/types.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "log.h"
#include "mcpproxyd.h"
#include "tls.h"

/* Mozilla's "intermediate" TLS 1.2 ciphers: ECDHE or DHE, AEAD only */
#define TLS_CIPHERS_DEFAULT	"ECDHE+AESGCM:ECDHE+CHACHA20:" \
	"DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384:" \
	"DHE-RSA-CHACHA20-POLY1305"
#define TLS_SUITES_DEFAULT	"TLS_AES_128_GCM_SHA256:" \
	"TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256"
#define TLS_GROUPS_DEFAULT	"X25519:P-256:P-384"
#define TLS_EXPIRY_WARN_DAYS	30

/* One ticket key: 16 bytes of name, AES-256-CBC and HMAC-SHA256 keys. */
struct ticket_key {
	unsigned char	 name[16];
	unsigned char	 aes[32];
	unsigned char	 hmac[32];
	int64_t		 created;	/* time(): sealing until + rotate */
};

/*
 * The ring in shared memory: plain data, no pointers.  The master
 * writes under a sequence count (odd while it writes); a worker copies
 * a key and retries if the count moved.
 */
struct ticket_ring {
	volatile uint32_t seq;
	uint32_t	 n;		/* keys in k[], k[0] the current */
	int32_t		 rotate;	/* s, as configured */
	int32_t		 lifetime;
	struct ticket_key k[TLS_TICKET_KEYS + 1];
};

static int			 fail_log_max = 10;	/* lines a second */
static struct ticket_ring	*ring;		/* master: rw; worker: ro */
static int			 ring_rofd = -1; /* for the workers' mapping */

static int	 ticket_cb(SSL *, unsigned char *, unsigned char *,
		    EVP_CIPHER_CTX *, EVP_MAC_CTX *, int);

/* The last OpenSSL error as text, or "unknown error". */
static const char *
ssl_errstr(void)
{
	static char	 buf[256];
	unsigned long	 e = ERR_peek_last_error();

	if (e == 0)
		return ("unknown error");
	ERR_error_string_n(e, buf, sizeof(buf));
	ERR_clear_error();
	return (buf);
}

/* The reason of the last OpenSSL error, short, for one log line. */
static const char *
ssl_reason(void)
{
	const char	*r = ERR_reason_error_string(ERR_peek_last_error());

	ERR_clear_error();
	return (r != NULL ? r : "unknown error");
}

/*
 * Can root read path?  OpenSSL's own message for a missing or
 * unreadable file is "system library"; this one names the file.
 */
static int
readable(const char *key, const char *path, char *err, size_t errlen)
{
	int	 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		snprintf(err, errlen, "%s %s: %s", key, path, strerror(errno));
		return (-1);
	}
	close(fd);
	return (0);
}

/* Every TLS 1.2 cipher of ctx has forward secrecy and is an AEAD. */
static int
ciphers_strong(SSL_CTX *ctx, char *err, size_t errlen)
{
	STACK_OF(SSL_CIPHER)	*sk = SSL_CTX_get_ciphers(ctx);
	const SSL_CIPHER	*c;
	int			 i, kx;

	for (i = 0; i < sk_SSL_CIPHER_num(sk); i++) {
		c = sk_SSL_CIPHER_value(sk, i);
		if (!strcmp(SSL_CIPHER_get_version(c), "TLSv1.3"))
			continue;
		kx = SSL_CIPHER_get_kx_nid(c);
		if ((kx != NID_kx_ecdhe && kx != NID_kx_dhe) ||
		    !SSL_CIPHER_is_aead(c)) {
			snprintf(err, errlen, "tls_ciphers: %s is not accepted "
			    "(only ECDHE or DHE with AES-GCM or ChaCha20-"
			    "Poly1305)", SSL_CIPHER_get_name(c));
			return (-1);
		}
	}
	return (0);
}

/* Protocols, ciphers and groups of a server context; 0 or -1. */
static int
ctx_params(SSL_CTX *ctx, const struct tls_conf *tc, char *err, size_t errlen)
{
	const char	*s;

	if (!SSL_CTX_set_min_proto_version(ctx, tc->protocols & TLS_PROTO_12 ?
	    TLS1_2_VERSION : TLS1_3_VERSION) ||
	    !SSL_CTX_set_max_proto_version(ctx, tc->protocols & TLS_PROTO_13 ?
	    TLS1_3_VERSION : TLS1_2_VERSION)) {
		snprintf(err, errlen, "tls_protocols: %s", ssl_errstr());
		return (-1);
	}
	s = tc->ciphers != NULL ? tc->ciphers : TLS_CIPHERS_DEFAULT;
	if (!SSL_CTX_set_cipher_list(ctx, s)) {
		ERR_clear_error();
		snprintf(err, errlen, "tls_ciphers: no cipher OpenSSL knows "
		    "in \"%s\"", s);
		return (-1);
	}
	if (ciphers_strong(ctx, err, errlen) == -1)
		return (-1);
	s = tc->ciphersuites != NULL ? tc->ciphersuites : TLS_SUITES_DEFAULT;
	if (!SSL_CTX_set_ciphersuites(ctx, s)) {
		ERR_clear_error();
		snprintf(err, errlen, "tls_ciphersuites: not a list of TLS "
		    "1.3 suites OpenSSL knows: \"%s\"", s);
		return (-1);
	}
	s = tc->groups != NULL ? tc->groups : TLS_GROUPS_DEFAULT;
	if (!SSL_CTX_set1_groups_list(ctx, s)) {
		ERR_clear_error();
		snprintf(err, errlen, "tls_groups: not a list of groups "
		    "OpenSSL knows: \"%s\"", s);
		return (-1);
	}
	return (0);
}

/* Log when the leaf certificate expires within TLS_EXPIRY_WARN_DAYS. */
static void
expiry_log(const struct server *srv, SSL_CTX *ctx)
{
	X509		*x = SSL_CTX_get0_certificate(ctx);
	const ASN1_TIME	*na;
	BIO		*b;
	char		 when[64] = "";
	int		 days, secs;

	if (x == NULL || (na = X509_get0_notAfter(x)) == NULL ||
	    !ASN1_TIME_diff(&days, &secs, NULL, na))
		return;
	if (days >= TLS_EXPIRY_WARN_DAYS)
		return;
	if ((b = BIO_new(BIO_s_mem())) != NULL) {
		if (ASN1_TIME_print(b, na))
			BIO_read(b, when, sizeof(when) - 1);
		BIO_free(b);
	}
	if (days < 0 || (days == 0 && secs < 0))
		log_warnx("[server %s] tls_certificate %s expired on %s; "
		    "clients will refuse it", srv->name, srv->tls.certificate,
		    when);
	else
		log_warnx("[server %s] tls_certificate %s expires in %d "
		    "day%s (%s)", srv->name, srv->tls.certificate, days,
		    days == 1 ? "" : "s", when);
}

/* ALPN: http/1.1 or no connection (RFC 7301 3.2). */
static int
alpn_cb(SSL *ssl, const unsigned char **out, unsigned char *outlen,
    const unsigned char *in, unsigned int inlen, void *arg)
{
	static const unsigned char	 ours[] = "\x08http/1.1";
	unsigned char			*o;

	(void)ssl;
	(void)arg;
	if (SSL_select_next_proto(&o, outlen, ours, sizeof(ours) - 1, in,
	    inlen) != OPENSSL_NPN_NEGOTIATED)
		return (SSL_TLSEXT_ERR_ALERT_FATAL);
	*out = o;
	return (SSL_TLSEXT_ERR_OK);
}

/*
 * SNI: the server of the listener whose allowed_hosts names it, else
 * the default one; its certificate from here on.
 */
static int
sni_cb(SSL *ssl, int *alert, void *arg)
{
	struct tls_conn		*t = SSL_get_app_data(ssl);
	const struct server	*srv;
	const char		*name;

	(void)alert;
	(void)arg;
	if (t == NULL || t->l == NULL)
		return (SSL_TLSEXT_ERR_OK);
	name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
	if (name == NULL)
		return (SSL_TLSEXT_ERR_OK);
	snprintf(t->sni, sizeof(t->sni), "%s", name);
	srv = listener_server(t->l, name, strlen(name));
	if (srv != t->srv && srv->tls.ctx != NULL) {
		if (SSL_set_SSL_CTX(ssl, srv->tls.ctx) == NULL)
			return (SSL_TLSEXT_ERR_ALERT_FATAL);
		t->srv = srv;
	}
	return (SSL_TLSEXT_ERR_OK);
}

/*
 * A session context of its own for each server (a hash of its name):
 * a session made with one server's certificate never resumes on
 * another's, though the ticket keys are the same for all.
 */
static int
sid_context(SSL_CTX *ctx, const struct server *srv)
{
	unsigned char	 md[EVP_MAX_MD_SIZE];
	unsigned int	 mdlen;
	char		 in[96];

	snprintf(in, sizeof(in), "mcpproxyd server %s", srv->name);
	if (!EVP_Digest(in, strlen(in), md, &mdlen, EVP_sha256(), NULL) ||
	    mdlen > SSL_MAX_SID_CTX_LENGTH ||
	    !SSL_CTX_set_session_id_context(ctx, md, mdlen))
		return (-1);
	return (0);
}

/* Build srv's context as root: chain, key, their match, the policy. */
static int
server_ctx(const struct config *conf, struct server *srv, char *err,
    size_t errlen)
{
	SSL_CTX		*ctx;
	char		 why[512];

	if (readable("tls_certificate", srv->tls.certificate, why,
	    sizeof(why)) == -1 ||
	    readable("tls_key", srv->tls.key, why, sizeof(why)) == -1)
		goto fail0;
	if ((ctx = SSL_CTX_new(TLS_server_method())) == NULL) {
		snprintf(why, sizeof(why), "SSL_CTX_new: %s", ssl_errstr());
		goto fail0;
	}
	srv->tls.ctx = ctx;
	if (ctx_params(ctx, &srv->tls, why, sizeof(why)) == -1)
		goto fail;
	if (!SSL_CTX_use_certificate_chain_file(ctx, srv->tls.certificate)) {
		snprintf(why, sizeof(why), "tls_certificate %s: not a PEM "
		    "certificate chain that OpenSSL accepts (%s)",
		    srv->tls.certificate, ssl_reason());
		goto fail;
	}
	/* a key of another certificate is not loaded: the check says so */
	if (!SSL_CTX_use_PrivateKey_file(ctx, srv->tls.key, SSL_FILETYPE_PEM) &&
	    ERR_GET_REASON(ERR_peek_last_error()) !=
	    X509_R_KEY_VALUES_MISMATCH) {
		snprintf(why, sizeof(why), "tls_key %s: not a PEM private "
		    "key that OpenSSL accepts (%s)", srv->tls.key,
		    ssl_reason());
		goto fail;
	}
	if (!SSL_CTX_check_private_key(ctx)) {
		ERR_clear_error();
		snprintf(why, sizeof(why), "tls_key %s does not match "
		    "tls_certificate %s", srv->tls.key, srv->tls.certificate);
		goto fail;
	}
	/*
	 * No renegotiation (a client's lever on CPU), no compression
	 * (CRIME), no early data: a replayed tools/call has effects.
	 */
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION |
	    SSL_OP_NO_COMPRESSION | SSL_OP_IGNORE_UNEXPECTED_EOF);
	SSL_CTX_set_dh_auto(ctx, 1);	/* DHE: RFC 7919 groups by key size */
	SSL_CTX_set_max_early_data(ctx, 0);
	SSL_CTX_set_recv_max_early_data(ctx, 0);
	SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS |
	    SSL_MODE_ENABLE_PARTIAL_WRITE |
	    SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	SSL_CTX_set_alpn_select_cb(ctx, alpn_cb, NULL);
	SSL_CTX_set_tlsext_servername_callback(ctx, sni_cb);
	/* resumption by tickets only: a per-worker cache finds nothing */
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	if (sid_context(ctx, srv) == -1) {
		snprintf(why, sizeof(why), "session id context: %s",
		    ssl_errstr());
		goto fail;
	}
	SSL_CTX_set_timeout(ctx, conf->tls_ticket_lifetime);
	SSL_CTX_set_num_tickets(ctx, 1);
	SSL_CTX_set_tlsext_ticket_key_evp_cb(ctx, ticket_cb);
	expiry_log(srv, ctx);
	return (0);
fail:
	SSL_CTX_free(ctx);
	srv->tls.ctx = NULL;
fail0:
	snprintf(err, errlen, "[server %s]: %s", srv->name, why);
	return (-1);
}

/*
 * Build every server's TLS contexts, listener and upstream, as root
 * (at start, for -n, and on reload before anything else changes).
 * Returns 0, or -1 with the reason in err and nothing built.
 */
int
tls_setup(struct config *conf, char *err, size_t errlen)
{
	size_t	 i;

	fail_log_max = conf->tls_log_failures;
	for (i = 0; i < conf->nservers; i++) {
		struct server *srv = &conf->servers[i];

		if (srv->tls.certificate != NULL &&
		    server_ctx(conf, srv, err, errlen) == -1)
			goto fail;
		if (tls_client_setup(srv, err, errlen) == -1)
			goto fail;
	}
	return (0);
fail:
	tls_free(conf);
	return (-1);
}

/* Free the contexts tls_setup built. */
void
tls_free(struct config *conf)
{
	size_t	 i;

	for (i = 0; i < conf->nservers; i++) {
		SSL_CTX_free(conf->servers[i].tls.ctx);
		conf->servers[i].tls.ctx = NULL;
		SSL_CTX_free(conf->servers[i].up_tls.ctx);
		conf->servers[i].up_tls.ctx = NULL;
	}
}

/* Fill k with fresh random keys made now. */
static int
ticket_key_new(struct ticket_key *k, time_t now)
{
	if (RAND_bytes(k->name, sizeof(k->name)) != 1 ||
	    RAND_bytes(k->aes, sizeof(k->aes)) != 1 ||
	    RAND_bytes(k->hmac, sizeof(k->hmac)) != 1)
		return (-1);
	k->created = now;
	return (0);
}

/*
 * The master maps the ring before any worker forks: a memfd mapped
 * read-write here, and a second, read-only descriptor of it from which
 * each worker maps its own read-only view (tls_tickets_worker()); a
 * worker cannot make that view writable, as it could a shared mapping
 * it had inherited writable.  Never swapped out, never in a core dump.
 * Returns 0 or -1 (logged).
 */
int
tls_tickets_init(const struct config *conf)
{
	char	 path[64];
	int	 fd;

	if (ring != NULL)
		return (0);
	if ((fd = memfd_create("mcpproxyd-tickets", MFD_CLOEXEC)) == -1) {
		log_warn("ticket keys: memfd_create");
		return (-1);
	}
	if (ftruncate(fd, sizeof(*ring)) == -1 ||
	    (ring = mmap(NULL, sizeof(*ring), PROT_READ | PROT_WRITE,
	    MAP_SHARED, fd, 0)) == MAP_FAILED) {
		log_warn("ticket keys: map");
		ring = NULL;
		close(fd);
		return (-1);
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if ((ring_rofd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		log_warn("ticket keys: %s: workers map the ring as they "
		    "inherit it, then make it read-only", path);
	close(fd);
	(void)mlock(ring, sizeof(*ring));
	(void)madvise(ring, sizeof(*ring), MADV_DONTDUMP);
	tls_tickets_rotate(conf, time(NULL), 1);
	return (0);
}

/*
 * Master: make a new current key when force or when the current one
 * has sealed for tls_ticket_rotate seconds; drop keys whose tickets
 * have all outlived tls_ticket_lifetime.  Returns when to call again.
 */
time_t
tls_tickets_rotate(const struct config *conf, time_t now, int force)
{
	struct ticket_key	 nk;
	uint32_t		 i, n;

	if (ring == NULL)
		return (now + conf->tls_ticket_rotate);
	if (!force && ring->n > 0 &&
	    now < ring->k[0].created + conf->tls_ticket_rotate &&
	    ring->lifetime == conf->tls_ticket_lifetime)
		return (ring->k[0].created + conf->tls_ticket_rotate);
	if (ticket_key_new(&nk, now) == -1) {
		log_warnx("ticket keys: RAND_bytes failed; keeping the "
		    "current key");
		return (now + 60);
	}
	__atomic_add_fetch(&ring->seq, 1, __ATOMIC_SEQ_CST);	/* odd */
	/* a key sealed until created + rotate; its tickets live lifetime */
	for (i = 0, n = 0; i < ring->n && n < TLS_TICKET_KEYS; i++)
		if (ring->k[i].created + ring->rotate +
		    conf->tls_ticket_lifetime > now)
			n++;
	memmove(&ring->k[1], &ring->k[0], n * sizeof(ring->k[0]));
	ring->k[0] = nk;
	ring->n = n + 1;
	ring->rotate = conf->tls_ticket_rotate;
	ring->lifetime = conf->tls_ticket_lifetime;
	__atomic_add_fetch(&ring->seq, 1, __ATOMIC_SEQ_CST);	/* even */
	OPENSSL_cleanse(&nk, sizeof(nk));
	log_debug("ticket keys: new current key; %u kept", ring->n);
	return (now + conf->tls_ticket_rotate);
}

/*
 * Worker, just forked: replace the inherited writable mapping of the
 * ring with a read-only one.  Returns 0 or -1 (logged).
 */
int
tls_tickets_worker(void)
{
	void	*ro;

	if (ring == NULL)
		return (0);
	if (ring_rofd != -1) {
		ro = mmap(NULL, sizeof(*ring), PROT_READ, MAP_SHARED,
		    ring_rofd, 0);
		close(ring_rofd);
		ring_rofd = -1;
		if (ro != MAP_FAILED) {
			(void)madvise(ro, sizeof(*ring), MADV_DONTDUMP);
			munmap(ring, sizeof(*ring));
			ring = ro;
			return (0);
		}
		log_warn("ticket keys: read-only map");
	}
	if (mprotect(ring, sizeof(*ring), PROT_READ) == -1) {
		log_warn("ticket keys: mprotect");
		return (-1);
	}
	return (0);
}

/*
 * Copy the key named name (or the current one, name NULL) out of the
 * ring.  Returns 1 if it is the current key, 0 if an older one still
 * valid, -1 if there is none.
 */
static int
ticket_find(const unsigned char *name, struct ticket_key *out, time_t now)
{
	uint32_t	 seq, i, n;
	int		 rc, tries = 0;

	if (ring == NULL)
		return (-1);
	do {
		rc = -1;
		/* the master writes for microseconds; never spin for ever */
		while ((seq = __atomic_load_n(&ring->seq, __ATOMIC_ACQUIRE)) &
		    1)
			if (++tries > 100000)
				return (-1);
		n = ring->n <= TLS_TICKET_KEYS + 1 ? ring->n : 0;
		for (i = 0; i < n; i++) {
			if (name != NULL && memcmp(ring->k[i].name, name,
			    sizeof(ring->k[i].name)))
				continue;
			if (ring->k[i].created + ring->rotate +
			    ring->lifetime <= now)
				break;
			*out = ring->k[i];
			rc = i == 0;
			break;
		}
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
	} while (__atomic_load_n(&ring->seq, __ATOMIC_ACQUIRE) != seq);
	return (rc);
}

/*
 * OpenSSL's ticket key callback: seal with the current key (enc), or
 * open with the key the ticket names: 1 (resume), 2 (resume and send a
 * ticket under the current key), 0 (unknown: a full handshake).  TLS
 * 1.3 always gets a new ticket: its clients use a ticket once (RFC 8446
 * C.4), so without one a resumed connection's next is a full handshake.
 */
static int
ticket_cb(SSL *ssl, unsigned char *name, unsigned char *iv,
    EVP_CIPHER_CTX *cctx, EVP_MAC_CTX *hctx, int enc)
{
	struct ticket_key	 k;
	OSSL_PARAM		 params[3];
	int			 rc;

	if (enc) {
		/* no key: no ticket, the handshake goes on */
		if (ticket_find(NULL, &k, time(NULL)) == -1 ||
		    RAND_bytes(iv, EVP_MAX_IV_LENGTH) != 1)
			return (0);
		memcpy(name, k.name, sizeof(k.name));
		rc = 1;
	} else if ((rc = ticket_find(name, &k, time(NULL))) == -1)
		return (0);
	else
		rc = rc == 1 && SSL_version(ssl) != TLS1_3_VERSION ? 1 : 2;
	params[0] = OSSL_PARAM_construct_octet_string(OSSL_MAC_PARAM_KEY,
	    k.hmac, sizeof(k.hmac));
	params[1] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
	    (char *)"SHA256", 0);
	params[2] = OSSL_PARAM_construct_end();
	if (!EVP_CipherInit_ex(cctx, EVP_aes_256_cbc(), NULL, k.aes, iv, enc) ||
	    !EVP_MAC_CTX_set_params(hctx, params))
		rc = -1;
	OPENSSL_cleanse(&k, sizeof(k));
	return (rc);
}

/*
 * Wait until fd is ready for want (POLLIN or POLLOUT) or the deadline
 * (conn_now_ms() time) passes.  Returns 0, or -1 with errno ETIMEDOUT.
 */
int
tls_wait(int fd, short want, long long deadline_ms)
{
	struct pollfd	 pfd;
	long long	 left;
	int		 n;

	for (;;) {
		if ((left = deadline_ms - conn_now_ms()) <= 0) {
			errno = ETIMEDOUT;
			return (-1);
		}
		pfd.fd = fd;
		pfd.events = want;
		n = poll(&pfd, 1, left > 1000 ? 1000 : (int)left);
		if (n > 0)
			return (0);
		if (n == -1 && errno != EINTR)
			return (-1);
	}
}

/*
 * Log one failed handshake, at most tls_log_failures lines a second
 * in a worker; the lines left out are counted in the next one.
 */
static void
fail_log(const char *peer, const char *sni, const char *why)
{
	static time_t	 sec;
	static int	 lines, dropped;
	time_t		 now = time(NULL);

	if (now != sec) {
		sec = now;
		lines = 0;
	}
	if (lines++ >= fail_log_max) {
		dropped++;
		return;
	}
	if (dropped > 0) {
		log_warnx("tls handshake from %s (sni \"%s\") failed: %s "
		    "(and %d more failures not logged)", peer, sni, why,
		    dropped);
		dropped = 0;
	} else
		log_warnx("tls handshake from %s (sni \"%s\") failed: %s",
		    peer, sni, why);
}

/* The same line, rate-limited alike, from the waiting room. */
void
tls_log_failure(const char *peer, const char *why)
{
	fail_log(peer, "", why);
}

/*
 * A client that speaks plain HTTP to a TLS port (its first byte is not
 * a TLS handshake record, 0x16) gets a short 400 and the close, not a
 * hang nor TLS alert bytes.
 */
static void
plain_answer(int fd)
{
	static const char msg[] = "HTTP/1.1 400 Bad Request\r\n"
	    "Content-Type: text/plain\r\nContent-Length: 39\r\n"
	    "Connection: close\r\n\r\n"
	    "this port speaks TLS: use an https URL\n";

	(void)!send(fd, msg, sizeof(msg) - 1, MSG_DONTWAIT | MSG_NOSIGNAL);
}

/*
 * Wait for the first byte of a connection, within the deadline.
 * Returns it, or -1 (EOF, error or timeout, errno set; 0 on EOF).
 */
static int
first_byte(int fd, long long deadline_ms)
{
	unsigned char	 b;
	ssize_t		 n;

	for (;;) {
		n = recv(fd, &b, 1, MSG_PEEK | MSG_DONTWAIT);
		if (n == 1)
			return (b);
		if (n == 0) {
			errno = 0;
			return (-1);
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return (-1);
		if (tls_wait(fd, POLLIN, deadline_ms) == -1)
			return (-1);
	}
}

/*
 * The server side of a handshake on fd, a connection accepted on the
 * TLS listener l, within deadline_ms (header_timeout: the handshake
 * counts against it).  fd is left non-blocking.  peer names the
 * client in the log.  On TLS_OK, t holds the SSL and t->srv the
 * server SNI chose; otherwise t holds nothing to free.
 */
enum tls_result
tls_accept(struct tls_conn *t, const struct listener *l, int fd,
    const char *peer, long long deadline_ms)
{
	int	 b, rc, e;
	short	 want;

	memset(t, 0, sizeof(*t));
	t->fd = fd;
	t->l = l;
	t->srv = l->srv;
	if ((b = first_byte(fd, deadline_ms)) == -1)
		return (errno == ETIMEDOUT ? TLS_TIMEOUT : TLS_FAIL);
	if (b != 0x16) {
		plain_answer(fd);
		return (TLS_PLAIN);
	}
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) == -1 ||
	    (t->ssl = SSL_new(l->srv->tls.ctx)) == NULL ||
	    !SSL_set_fd(t->ssl, fd)) {
		fail_log(peer, "", ssl_reason());
		goto fail;
	}
	SSL_set_app_data(t->ssl, t);
	for (;;) {
		ERR_clear_error();
		if ((rc = SSL_accept(t->ssl)) == 1)
			return (TLS_OK);
		e = SSL_get_error(t->ssl, rc);
		if (e == SSL_ERROR_WANT_READ)
			want = POLLIN;
		else if (e == SSL_ERROR_WANT_WRITE)
			want = POLLOUT;
		else {
			fail_log(peer, t->sni, e == SSL_ERROR_ZERO_RETURN ||
			    (e == SSL_ERROR_SYSCALL && ERR_peek_error() == 0) ?
			    (errno != 0 ? strerror(errno) : "connection closed") :
			    ERR_peek_last_error() == 0 ? "protocol error" :
			    ssl_reason());
			goto fail;
		}
		if (tls_wait(fd, want, deadline_ms) == -1) {
			e = errno;
			/* begun and not finished in time: a slow handshake
			 * is logged as a failure (a silent client is not) */
			if (e == ETIMEDOUT)
				fail_log(peer, t->sni,
				    "not done within header_timeout");
			SSL_free(t->ssl);
			t->ssl = NULL;
			errno = e;
			return (e == ETIMEDOUT ? TLS_TIMEOUT : TLS_FAIL);
		}
	}
fail:
	SSL_free(t->ssl);
	t->ssl = NULL;
	return (TLS_FAIL);
}

/* Map an SSL_read/SSL_write result to the conn layer's convention. */
static ssize_t
io_result(struct tls_conn *t, int rc, short *want)
{
	switch (SSL_get_error(t->ssl, rc)) {
	case SSL_ERROR_WANT_READ:
		*want = POLLIN;
		errno = EAGAIN;
		return (-1);
	case SSL_ERROR_WANT_WRITE:
		*want = POLLOUT;
		errno = EAGAIN;
		return (-1);
	case SSL_ERROR_ZERO_RETURN:
		return (0);
	case SSL_ERROR_SYSCALL:
		if (errno == 0)
			errno = EPIPE;
		t->shut = 1;	/* no close_notify on a broken connection */
		return (-1);
	default:
		ERR_clear_error();
		errno = EPROTO;
		t->shut = 1;
		return (-1);
	}
}

/*
 * Read decrypted bytes: >0, 0 at the peer's close, -1 on error; -1
 * with errno EAGAIN: wait for *want, then call again.
 */
ssize_t
tls_read(struct tls_conn *t, void *buf, size_t len, short *want)
{
	int	 rc;

	if (len > INT32_MAX)
		len = INT32_MAX;
	ERR_clear_error();
	errno = 0;
	if ((rc = SSL_read(t->ssl, buf, (int)len)) > 0)
		return (rc);
	return (io_result(t, rc, want));
}

/*
 * Write the first bytes of iov as one record of up to 16 KiB: small
 * pieces (a head, a chunk size) are gathered, not sent one record
 * each.  Returns the bytes taken, or -1 as tls_read().  A call again
 * after EAGAIN must pass the same bytes (the conn layer does).
 */
ssize_t
tls_writev(struct tls_conn *t, const struct iovec *iov, int iovcnt,
    short *want)
{
	unsigned char	 buf[16384];
	const void	*p;
	size_t		 n = 0, k;
	int		 i, rc;

	for (i = 0; i < iovcnt && iov[i].iov_len == 0; i++)
		;
	if (i == iovcnt)
		return (0);
	if (iov[i].iov_len >= sizeof(buf)) {
		p = iov[i].iov_base;
		n = sizeof(buf);
	} else {
		for (; i < iovcnt && n < sizeof(buf); i++) {
			k = iov[i].iov_len;
			if (k > sizeof(buf) - n)
				k = sizeof(buf) - n;
			memcpy(buf + n, iov[i].iov_base, k);
			n += k;
		}
		p = buf;
	}
	ERR_clear_error();
	errno = 0;
	if ((rc = SSL_write(t->ssl, p, (int)n)) > 0)
		return (rc);
	return (io_result(t, rc, want));
}

/* Bytes decrypted inside OpenSSL and not yet read. */
size_t
tls_pending(const struct tls_conn *t)
{
	int	 n = t->ssl != NULL ? SSL_pending(t->ssl) : 0;

	return (n > 0 ? (size_t)n : 0);
}

/*
 * Before the socket is closed: send close_notify if the connection is
 * sound (without waiting for the peer's), and free the SSL.
 */
void
tls_close(struct tls_conn *t)
{
	if (t->ssl == NULL)
		return;
	if (!t->shut) {
		ERR_clear_error();
		(void)SSL_shutdown(t->ssl);
		ERR_clear_error();
	}
	SSL_free(t->ssl);
	t->ssl = NULL;
	t->shut = 1;
}

/* "TLSv1.3" and the like, for the access log; "-" when plain. */
const char *
tls_version(const struct tls_conn *t)
{
	return (t != NULL && t->ssl != NULL ? SSL_get_version(t->ssl) : "-");
}
