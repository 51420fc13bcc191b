/*
 * mcpproxyd: private declarations, grouped by the file that defines them.
 */
#ifndef MCPPROXYD_H
#define MCPPROXYD_H

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <time.h>

#include "conn.h"
#include "http.h"
#include "jsonrpc.h"
#include "policy.h"

#define MCPPROXYD_CONF		SYSCONFDIR "/mcpproxyd/mcpproxyd.conf"
#define MAX_SERVERS		16
#define MAX_LISTENERS		32
#define MAX_ROUTES		32
#define MAX_LIST		64
#define MAX_WORKERS_CAP		16384	/* max_workers; 2x slots at a reload */
#define WAITROOM_CONNS_CAP	1000000	/* waitroom_max_conns */
#define MAX_ISSUERS		16
#define MAX_RATELIMITS		16	/* [ratelimit NAME] sections */
#define MAX_ROUTE_RATELIMITS	4	/* ratelimit=A,B on a route */
#define MAX_AUTHS		16
#define MAX_SUBJECT_CAP		1024	/* max_subject, TOKEN_SUB_CAP */
#define MAX_SCOPES_CAP		8192	/* max_scopes, TOKEN_SCOPE_CAP */
#define REQUEST_ID_CAP		64	/* request_id_max */
#define RPC_NAME_CAP		65536	/* max_rpc_name */
#define RPC_ID_CAP		1024	/* max_rpc_id */
#define ACCESSLOG_LINE_MAX	960	/* under syslog's 1024 with its header */

struct rlzone;

struct strlist {
	char		*v[MAX_LIST];
	size_t		 n;
	int		 any;		/* the list was "*" */
};

/* [issuer NAME]: an authorization server (its keys come from jwksd). */
struct issuer {
	char		*name;
	char		*url;		/* the iss of its tokens */
	struct strlist	 audiences;	/* default for [auth] sections */
	char		*provider;	/* "generic" or "keycloak" */
	char		*revoked_file;	/* deny list of jti and sub, or NULL */
	struct revoked	*revoked;	/* read from it (revoke.c) */
	long long	 max_lifetime;	/* s, max_token_lifetime; 0: none */
	int		 line;
};

enum auth_mode { AUTH_STRICT, AUTH_OPTIONAL, AUTH_PERMISSIVE };

/* [auth NAME]: what a route protected with auth=NAME requires. */
struct auth {
	char		*name;
	int		 line;
	int		 index;
	char		*issuer_name;
	struct issuer	*iss;
	struct strlist	 audiences;
	enum auth_mode	 mode;
	char		*resource;	/* public URL of the resource, or NULL */
	struct strlist	 authorization_servers;	/* default: the issuer */
	struct strlist	 scopes_supported;
	struct strlist	 required_scopes;
	char		*resource_documentation;
	int		 pass_token;	/* forward Authorization (not advised) */
	char		*subject_header;	/* e.g. X-Auth-Subject */
	char		*scopes_header;
	int		 leeway;
	int		 max_token;
};

struct route {
	char		*prefix;	/* path prefix on the proxy */
	size_t		 prefixlen;
	char		*url;		/* upstream URL as configured */
	char		*host;		/* upstream host name or address */
	char		*port;
	char		*authority;	/* host[:port] for the Host header */
	char		*path;		/* replaces prefix */
	int		 index;		/* route number, for upstream reuse */
	char		*auth_name;	/* auth=NAME on the route line */
	struct auth	*auth;		/* NULL: no authentication */
	int		 semicolons;	/* semicolons=allow: ';' in paths */
	char		*policy_name;	/* policy=NAME on the route line */
	struct policy	*policy;	/* NULL: no tool authorization */
	int		 https;		/* an https:// upstream (tls_client.c) */
	char		*ratelimit_names;	/* ratelimit=A,B on the line */
	struct rlzone	*ratelimits[MAX_ROUTE_RATELIMITS];	/* throttle.c */
	size_t		 nratelimits;
};

/* An address or network, for trusted_proxies. */
struct cidr {
	int		 family;	/* AF_INET or AF_INET6 */
	unsigned char	 addr[16];
	int		 bits;		/* prefix length */
};

struct cors {
	struct strlist	 origins;	/* empty: no CORS headers at all */
	char		*methods;
	struct strlist	 headers;
	char		*expose;
	int		 max_age;
	int		 credentials;
};

struct ssl_ctx_st;

/* TLS of a [server]'s listeners (tls.c builds ctx as root). */
struct tls_conf {
	char		*certificate;	/* PEM, leaf first, then the chain */
	char		*key;
	int		 protocols;	/* TLS_PROTO_* bits */
	char		*ciphers;	/* TLS 1.2 */
	char		*ciphersuites;	/* TLS 1.3 */
	char		*groups;
	struct ssl_ctx_st *ctx;
};
#define TLS_PROTO_12	0x01
#define TLS_PROTO_13	0x02

/* TLS to a [server]'s https:// upstreams (tls_client.c). */
struct tls_upstream {
	char		*ca_file;	/* NULL: the system store */
	char		*certificate;	/* client certificate, or NULL */
	char		*key;
	struct ssl_ctx_st *ctx;		/* built when a route is https */
};

struct server {
	char		*name;
	int		 line;
	struct route	 routes[MAX_ROUTES];
	size_t		 nroutes;
	struct cors	 cors;
	struct strlist	 allowed_hosts;		/* empty: any Host */
	struct strlist	 allowed_origins;	/* unset: the CORS origins */
	int		 origins_set;
	int		 semicolons;		/* a route allows ';' */
	struct cidr	 trusted[MAX_LIST];	/* trusted_proxies */
	size_t		 ntrusted;
	int		 underscores;	/* underscores_in_headers */
	int		 default_server;	/* default_server = yes */
	int		 hsts;		/* s of Strict-Transport-Security; 0
					   none (TLS connections only) */
	int		 https_redirect;	/* plain HTTP: 308 to https on
					   this port; 0 no */
	char		*health_path;	/* answered 200 "ok" (route.c); or
					   NULL */
	struct tls_conf	 tls;		/* tls.certificate: a TLS server */
	struct tls_upstream up_tls;
};

struct listener {
	struct sockaddr_storage	 ss;
	socklen_t		 sslen;
	char			*text;		/* as configured */
	int			 fd;
	int			 adopted;	/* fd taken over on reload */
	struct server		*srv;		/* the default server */
	struct server		*srvs[MAX_SERVERS];	/* all, file order */
	size_t			 nsrvs;
	int			 tls;		/* its servers have certificates */
};

struct config {
	char		*file;
	char		*user;
	char		*pid_file;
	char		*access_log;	/* path, "syslog", "stderr" or "off" */
	int		 access_log_json;	/* access_log_format = json */
	int		 request_id_max;	/* a client's X-Request-Id; 0 never */
	int		 pidfd;		/* locked pid file, -1 if none */
	int		 foreground;	/* -d */
	int		 reload_grace;	/* s old workers may finish in */
	int		 drop;		/* workers switch to uid/gid */
	uid_t		 uid;
	gid_t		 gid;
	int		 start_workers;
	int		 min_spare;
	int		 max_spare;
	int		 max_workers;
	int		 stream_share;	/* % of max_workers streams may hold */
	int		 max_streams_per_client;
	int		 max_conns_per_client;	/* 0: no limit */
	int		 defer_accept;	/* s, TCP_DEFER_ACCEPT; 0 off */
	int		 worker_batch;	/* workers run SCHED_BATCH */
	int		 header_timeout;	/* s, request head */
	int		 body_timeout;		/* s, a whole request body */
	int		 keepalive_timeout;	/* s, idle client between requests */
	int		 upstream_timeout;	/* s, to the upstream's head: 504 */
	int		 stream_idle_timeout;	/* s, silence on an open response */
	int		 send_timeout;		/* s, a client that stops reading */
	int		 backlog;
	/* the waiting room (waitroom.c) */
	int		 waitroom;		/* on */
	int		 waitroom_after;	/* ms a worker waits first */
	int		 waitroom_max_conns;	/* connections it holds */
	int		 waitroom_memory;	/* bytes it buffers */
	int		 waitroom_open_files;	/* its RLIMIT_NOFILE */
	int		 waitroom_min_rate;	/* bytes/s of a begun head */
	struct http_limits lim;
	char		*key_file;	/* from [jwksd] */
	char		*control_socket;
	int		 token_cache;	/* verified tokens kept per worker */
	int		 kid_wait;	/* ms a request waits for a refetch */
	int		 kid_wait_max;	/* workers waiting so at once */
	int		 kid_wait_max_per_client;
	int		 max_subject;	/* bytes of sub passed on whole */
	int		 max_scopes;	/* bytes of scopes passed on whole */
	int		 tls_ticket_lifetime;	/* s a session ticket resumes */
	int		 tls_ticket_rotate;	/* s between new ticket keys */
	int		 tls_log_failures;	/* handshake lines a second */
	struct issuer	 issuers[MAX_ISSUERS];
	size_t		 nissuers;
	struct auth	 auths[MAX_AUTHS];
	size_t		 nauths;
	struct policy	*policies[MAX_POLICIES];	/* [policy NAME] */
	size_t		 npolicies;
	struct claimset	 claimset;	/* claims the policies read */
	int		 max_claim_values;	/* per token, cached */
	int		 max_claim_bytes;
	int		 max_rpc_depth;	/* JSON-RPC body nesting (jsonrpc.c) */
	int		 max_rpc_name;	/* bytes of method, name, uri */
	int		 max_rpc_id;	/* bytes of a request's id */
	size_t		 max_list_size;	/* a list answer the relay filters */
	struct rlzone	*ratelimits[MAX_RATELIMITS];	/* [ratelimit NAME] */
	size_t		 nratelimits;
	int		 ratelimit_table_size;	/* buckets; fixed at start */
	struct server	 servers[MAX_SERVERS];
	size_t		 nservers;
	struct listener	 listeners[MAX_LISTENERS];
	size_t		 nlisteners;
	/* metrics and health (stats.c): off without metrics_listen */
	char		*metrics_listen;	/* as configured */
	struct sockaddr_storage metrics_ss;
	socklen_t	 metrics_sslen;
	int		 metrics_fd;		/* -1: none */
	struct cidr	 metrics_allow[MAX_LIST];	/* empty: loopback */
	size_t		 nmetrics_allow;
	int		 metrics_max_tools;	/* tool label values */
	int		 metrics_max_series;	/* series per worker */
};

/* config.c */
int	 config_load(const char *file, struct config *conf, char *err,
	    size_t errlen);
void	 config_free(struct config *conf);
void	 config_foreground(struct config *conf);
int	 parse_hostport(const char *text, struct sockaddr_storage *ss,
	    socklen_t *len, const char **why);

/* listen.c */
int	 listen_open(struct config *conf);
void	 listen_adopt(struct config *newc, struct config *oldc);
void	 listen_unadopt(struct config *newc, struct config *oldc);
void	 listen_close(struct config *conf);
int	 listen_queued(const struct config *conf);
void	 listen_release_set(struct config *conf);
void	 listen_release_on_stop(void);
const struct listener *listen_lookup(const struct config *conf,
	    const struct sockaddr_storage *local);
const char *addr_text(const struct sockaddr *sa, char *buf, size_t len);
const struct server *listener_server(const struct listener *l,
	    const char *name, size_t len);
const struct server *listener_named(const struct listener *l,
	    const char *name, size_t len);

/* scoreboard.c */
enum slot_state {
	SLOT_EMPTY = 0,		/* no worker */
	SLOT_STARTING,		/* forked, not yet accepting */
	SLOT_IDLE,		/* waiting in accept */
	SLOT_READ,		/* reading a request */
	SLOT_PROXY,		/* exchanging one request with the upstream */
	SLOT_STREAM,		/* holding a long-lived event stream */
	SLOT_KEEPALIVE,		/* waiting for the client's next request */
	SLOT_EXITING		/* told to finish and exit */
};

struct slot {
	pid_t			 pid;
	unsigned int		 generation;
	volatile int		 state;		/* enum slot_state */
	unsigned long		 requests;
	unsigned long		 underscores;	/* header names dropped */
	struct sockaddr_storage	 client;	/* valid when busy; the
						   forwarded client behind
						   a trusted proxy */
	volatile int		 kid_wait;	/* waiting for jwksd (unknown
						   kid); cleared at STARTING */
};

struct scoreboard {
	int		 nslots;
	unsigned int	 generation;
	volatile int	 used;		/* slots ever forked into: the
					   master forks into the lowest
					   free one, so counts stop here */
	struct slot	 slot[];
};

struct scoreboard *scoreboard_create(int nslots);
void	 scoreboard_set(struct scoreboard *sb, int i, enum slot_state st);
void	 scoreboard_used(struct scoreboard *sb, int i);
int	 scoreboard_count(const struct scoreboard *sb, enum slot_state st);
int	 scoreboard_spare(const struct scoreboard *sb);
int	 scoreboard_short(const struct scoreboard *sb, int min_spare);
int	 scoreboard_streams_from(const struct scoreboard *sb,
	    const struct sockaddr_storage *client);
int	 scoreboard_conns_from(const struct scoreboard *sb,
	    const struct sockaddr_storage *client);
int	 scoreboard_kid_waits(const struct scoreboard *sb,
	    const struct sockaddr_storage *client, int *from);

/* master.c */
int	 master_run(struct config *conf, struct scoreboard *sb);

/* poollimits.c */
int	 pool_limits(const struct config *conf);

/* privdrop.c */
int	 resolve_user(struct config *conf, char *err, size_t errlen);
void	 drop_privileges(const struct config *conf);

/* worker.c */
void	 worker_main(struct config *conf, struct scoreboard *sb, int slot,
	    int wakefd, pid_t master) __attribute__((noreturn));

struct logrec {
	struct timespec	 start;
	const char	*client;
	const char	*method;
	const char	*path;
	int		 status;
	uint64_t	 bytes;
	const char	*upstream;
	char		 rpc[48];
	char		 tool[48];
	char		 session[17];
	char		 sub[48];	/* verified subject, or "" */
	char		 reqid[REQUEST_ID_CAP + 1];	/* X-Request-Id */
	char		 authz[16];	/* the policy's verdict, or "" */
	const char	*tls;		/* "TLSv1.3" and the like, or NULL */
};

/* One client connection and the request being served on it. */
struct tls_conn;
struct exchange {
	struct config		*conf;
	struct scoreboard	*sb;
	int			 slot;
	const struct server	*srv;
	const struct route	*rt;
	const struct listener	*l;		/* the connection came on */
	struct tls_conn		*tls;		/* its TLS, or NULL (plain) */
	long long		 head_deadline;	/* TLS: the handshake and the
						   first head within one
						   header_timeout; 0 none */
	struct conn		*cl;		/* client connection */
	struct upstream		*up;		/* the worker's upstream
						   connection (worker.c) */
	struct sockaddr_storage	 peer;
	char			 peertext[64];
	struct sockaddr_storage	 local;		/* our end of the connection */
	int			 loopback;	/* local address is loopback */
	struct sockaddr_storage	 client;	/* one client identity, per
						   request (ident.c) */
	char			 clienttext[64];
	int			 trusted;	/* peer in trusted_proxies */
	char			*head;		/* private copy of the head */
	size_t			 headlen;
	struct http_request	 req;
	const char		*origin;
	char			*body;		/* request body, de-chunked */
	size_t			 bodylen;
	size_t			 bodysize;
	int			 stream;	/* a GET event stream */
	void			(*on_stream)(struct exchange *);
						/* the worker's: a stream
						   was admitted */
	int			 keepalive;	/* client connection goes on */
	int			 linger;	/* close after draining input */
	char			 extra[3072];	/* more headers for an error */
	int			 authed;	/* a verified token came */
	/* its subject (ISSUER:sub with two issuers on the server), whole */
	char			 sub[64 + 1 + MAX_SUBJECT_CAP + 1];
	char			 scope[MAX_SCOPES_CAP + 1];	/* its scopes */
	const struct claims	*claims;	/* its claims the policies
						   read (auth.c); or NULL */
	struct jsonrpc		 rpc;		/* the body, read once (mcp.c) */
	int			 rpcok;		/* rpc holds one message */
	struct logrec		 log;
	char			 logpath[256];
};

/*
 * What a stage of the request pipeline (request.c) returns, as relayd's
 * enum relay_result: go on, or how the exchange ended.  The status of
 * an answer is never returned: the stage sends it (reply.c) itself.
 */
enum xresult {
	XR_NEXT,		/* not answered: go on to the next stage */
	XR_KEEP,		/* answered; the connection serves another
				   request */
	XR_CLOSE,		/* answered, or the client is gone: close */
	XR_FORWARD		/* forward now to x->rt's upstream, skipping
				   the stages left (provider.c's relay) */
};

/* reply.c: every answer the proxy makes itself */
struct json_t;
enum xresult reply_send(struct exchange *x, int status, const char *headers,
	    const char *body, size_t len);
enum xresult reply_error(struct exchange *x, int status, const char *message);
enum xresult reply_rpc_error(struct exchange *x, int status, int code,
	    const char *message);
enum xresult reply_json(struct exchange *x, struct json_t *doc, int max_age);
enum xresult reply_preflight(struct exchange *x);
int	 reply_continue(struct exchange *x);

/* keys.c: the key file jwksd publishes, for auth.c and provider.c */
struct keyfile;
void	 keys_init(const struct config *conf);
void	 keys_refresh(int force);
const struct keyfile *keys_current(void);

/* resource.c: the public URLs of protected routes */
#define PRM_PATH	"/.well-known/oauth-protected-resource"
void	 resource_url(const struct exchange *x, const struct route *rt,
	    char *buf, size_t len);
void	 resource_metadata_url(const char *resource, char *buf, size_t len);
int	 resource_keycloak(const struct issuer *iss);
size_t	 resource_issuer_path(const struct issuer *iss, const char **path);
int	 resource_as_url(const struct auth *a, const char *resource,
	    char *buf, size_t len);

/*
 * The stages, in the order request.c runs them (head_read first, from
 * worker.c; proxy_forward last).
 */
/* head.c */
enum xresult head_read(struct exchange *x, int first);
enum xresult head_parse(struct exchange *x);
/* admit.c */
enum xresult admit_client(struct exchange *x);
enum xresult admit_stream(struct exchange *x);
/* throttle.c: rate limits per caller (ratelimit.h) */
enum xresult throttle_address(struct exchange *x);
enum xresult throttle_caller(struct exchange *x);
/* route.c */
enum xresult route_target(struct exchange *x);
enum xresult route_select(struct exchange *x);
/* origin.c */
enum xresult origin_check(struct exchange *x);
/* provider.c */
enum xresult provider_handle(struct exchange *x);
/* body.c */
enum xresult body_read(struct exchange *x);
/* mcp.c */
enum xresult mcp_read(struct exchange *x);
void	 mcp_forget(struct exchange *x);
/* authz.c */
#define AUTHZ_DENY_CODE		(-32001)	/* forbidden by the rules */
enum xresult authz_decide(struct exchange *x);
/* proxy.c */
enum xresult proxy_forward(struct exchange *x);
/* the upstream's request head in buf: its length, or -1 */
int	 build_request(const struct exchange *x, char *buf, size_t size);

/* request.c: the pipeline */
enum xresult request_handle(struct exchange *x);

/* conn.c: see conn.h */

/* upstream.c */
struct upstream {
	int		 route;		/* route index it belongs to */
	const struct server *srv;
	int		 reused;
	struct conn	 in;		/* in.fd -1: not connected */
	char		 peer[64];
	struct tls_conn	*tls;		/* https: made once per worker */
};
int	 upstream_get(struct upstream *u, const struct server *srv,
	    const struct route *rt, size_t bufsize, int timeout_ms);
void	 upstream_close(struct upstream *u);

/* cors.c */
/* what a browser client of MCP must read (cors_expose_headers) */
#define CORS_EXPOSE_DEFAULT	"Mcp-Session-Id, MCP-Protocol-Version, " \
				"Mcp-Method, Mcp-Name, Last-Event-ID, " \
				"WWW-Authenticate"
int	 origin_allowed(const struct server *srv, const char *origin,
	    const char *host, int loopback, int https);
size_t	 host_part(const char *host);
int	 host_allowed(const struct server *srv, const char *host,
	    int loopback, unsigned int port);
size_t	 cors_headers(const struct server *srv, const char *origin,
	    char *buf, size_t len);
size_t	 cors_preflight(const struct server *srv, const char *origin,
	    const char *req_headers, char *buf, size_t len);
int	 cors_header_owned(const char *name);

/* accesslog.c */
int	 accesslog_open(const char *where);
void	 accesslog_config(const struct config *conf);
void	 accesslog_worker_start(void);
int	 accesslog_chown(uid_t uid);
void	 accesslog_write(struct logrec *r);
void	 accesslog_session(struct logrec *r, const char *session_id);
int	 accesslog_id_ok(const char *v, int max);
void	 accesslog_request_id(struct logrec *r, const struct http_request *req);
size_t	 accesslog_escape(char *out, size_t budget, const char *s, int json);
size_t	 accesslog_format(const struct logrec *r, const struct timespec *end,
	    int json, char *buf);

/* auth.c */
void	 auth_init(const struct config *conf);
enum xresult auth_metadata(struct exchange *x);
enum xresult auth_request(struct exchange *x);
enum xresult auth_challenge(struct exchange *x, int status, const char *error,
	    const char *description, const char *scope);
/* What auth_decide found, for the caller's answer and log. */
struct auth_result {
	int		 status;	/* enum token_status */
	const char	*why;		/* static reason, for the log */
	int		 verified;	/* signature and claims checked */
	int		 busy;		/* unknown kid, no wait budget: 503 */
	int		 cached;	/* from the token cache */
	char		 sub[48];	/* claimed or verified sub, for logs */
	char		 hash[17];	/* of the token, for logs */
};
void	 auth_decide(struct exchange *x, const char *tok,
	    struct auth_result *r);

/* revoke.c */
struct revoked;
int	 revoke_load(const char *path, struct revoked **out, char *err,
	    size_t errlen);
void	 revoke_free(struct revoked *r);
int	 revoke_match(const struct revoked *r, const char *token);
void	 revoke_apply(struct exchange *x, const char *token,
	    struct auth_result *r);

/* ident.c */
enum hdr_verdict {
	HDR_KEEP,		/* passed on */
	HDR_DROP,		/* the proxy's own, or a forgery of one */
	HDR_UNDERSCORE		/* '_' in the name: dropped and counted */
};
int	 header_name_eq(const char *a, const char *b);
enum hdr_verdict header_verdict(const struct config *conf,
	    const struct server *srv, const struct route *rt,
	    const char *name, int trusted);
void	 addr_canon(struct sockaddr_storage *ss);
int	 addr_loopback(const struct sockaddr_storage *ss);
unsigned int addr_port(const struct sockaddr_storage *ss);
int	 cidr_parse(const char *text, struct cidr *c, const char **why);
int	 cidr_match(const struct cidr *c, size_t n,
	    const struct sockaddr_storage *ss);
void	 ident_client(struct exchange *x);

/* warmup.c */
void	 openssl_warm_up(void);

/* path.c */
#define PATH_SEMICOLONS	0x01	/* accept ';' and %3B in the path */
int	 path_normalize(char *target, int flags, const char **why);
int	 path_unreserved(int c);
const struct route *route_find(const struct server *srv, const char *target,
	    const char **why);

/* mcp.c */
void	 mcp_sniff(const char *body, size_t len, char *rpc, size_t rpclen,
	    char *tool, size_t toollen);

#endif
