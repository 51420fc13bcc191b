/*
 * mcpproxyd: the one reading of a JSON-RPC body (jsonrpc.c), the MCP
 * 2026-07-28 request headers checked against it (mcphdr.c), and the
 * filtering of list answers, JSON or SSE (listfilter.c).  Pure modules:
 * no I/O, no logging, no global state; the caller gives every bound.
 */
#ifndef MCPPROXYD_JSONRPC_H
#define MCPPROXYD_JSONRPC_H

#include <stddef.h>

/* jsonrpc.c: a strict JSON scanner (RFC 8259) that keeps a tape */
enum jscan_type {
	JV_OBJECT = 1,
	JV_ARRAY,
	JV_STRING,
	JV_NUMBER,
	JV_TRUE,
	JV_FALSE,
	JV_NULL
};

/* One value; offsets into the text.  Children follow their parent. */
struct jscan_node {
	enum jscan_type	 type;
	int		 depth;		/* the top value is 1 */
	size_t		 start, end;	/* the value's bytes, [start, end) */
	size_t		 key, keyend;	/* a member's name, quotes included */
	size_t		 first, next;	/* child, sibling; 0: none */
	size_t		 count;		/* members or elements */
};

struct jscan_doc {
	const char		*text;
	size_t			 len;
	struct jscan_node	*node;	/* node[0] is the top value */
	size_t			 nnode, cap;
	int			 keep;	/* deeper nodes are not kept */
};

enum jscan_result {
	JSCAN_OK = 0,
	JSCAN_SYNTAX,	/* not JSON text (RFC 8259, UTF-8 only) */
	JSCAN_DEPTH,	/* nested deeper than the bound */
	JSCAN_DUPLICATE, /* an object names a member twice (decoded) */
	JSCAN_NULNAME,	/* a member name holds U+0000 */
	JSCAN_NOMEM
};

enum jscan_result jscan(const char *, size_t, int, int, struct jscan_doc *,
	    const char **);
void	 jscan_free(struct jscan_doc *);
size_t	 jscan_member(const struct jscan_doc *, size_t, const char *);
char	*jscan_string(const char *, size_t, size_t, size_t *);
int	 jscan_utf8_valid(const char *, size_t);

/* jsonrpc.c: the message */
#define JSONRPC_DEPTH_MAX	256	/* the ceiling of any depth bound */

enum jsonrpc_result {
	JSONRPC_OK = 0,
	JSONRPC_BATCH,		/* strict JSON, but an array: a batch */
	JSONRPC_PARSE,		/* not strict JSON: -32700 */
	JSONRPC_INVALID,	/* JSON, not one JSON-RPC message: -32600 */
	JSONRPC_LIMIT,		/* over a bound (depth, name, id length) */
	JSONRPC_NOMEM
};

enum jsonrpc_kind {
	JSONRPC_REQUEST = 1,
	JSONRPC_NOTIFICATION,
	JSONRPC_RESPONSE
};

enum jsonrpc_idtype {
	JSONRPC_ID_NONE = 0,
	JSONRPC_ID_STRING,
	JSONRPC_ID_NUMBER,
	JSONRPC_ID_NULL		/* only in an error response */
};

struct jsonrpc_limits {
	int	 max_depth;	/* arrays and objects, 1..JSONRPC_DEPTH_MAX */
	size_t	 max_name;	/* bytes of method, name, uri, version */
	size_t	 max_id;	/* raw bytes of the id */
};

/*
 * What the rules, the log and the header check read.  Strings are
 * decoded, valid UTF-8 without NUL, owned by the struct (jsonrpc_free).
 */
struct jsonrpc {
	enum jsonrpc_kind	 kind;
	enum jsonrpc_idtype	 idtype;
	char			*id;		/* raw bytes as sent, or NULL */
	size_t			 idlen;
	char			*method;	/* NULL in a response */
	char			*name;		/* params.name: tools/call,
						   prompts/get */
	char			*uri;		/* params.uri: resources/read */
	char			*version;	/* _meta protocolVersion */
	size_t			 batch;		/* elements of a batch */
};

#define JSONRPC_META_VERSION	"io.modelcontextprotocol/protocolVersion"

enum jsonrpc_result jsonrpc_parse(const char *, size_t,
	    const struct jsonrpc_limits *, struct jsonrpc *, const char **);
void	 jsonrpc_free(struct jsonrpc *);
const char *jsonrpc_target(const struct jsonrpc *);
int	 jsonrpc_error_body(const char *, size_t, int, const char *, char **,
	    size_t *);

/* mcphdr.c: Mcp-Method, Mcp-Name, MCP-Protocol-Version (2026-07-28) */
#define MCPHDR_MISMATCH_CODE	(-32020)	/* HeaderMismatch */
#define MCPHDR_MODERN		"2026-07-28"

/* A request's headers as received: value and how often it came. */
struct mcphdr {
	const char	*version;	/* MCP-Protocol-Version */
	size_t		 versionlen;
	int		 nversion;
	const char	*method;	/* Mcp-Method */
	size_t		 methodlen;
	int		 nmethod;
	const char	*name;		/* Mcp-Name */
	size_t		 namelen;
	int		 nname;
};

enum mcphdr_result {
	MCPHDR_OK = 0,
	MCPHDR_MISMATCH		/* 400 with JSON-RPC error -32020 */
};

int	 mcphdr_decode(const char *, size_t, char **, size_t *);
int	 mcphdr_modern(const char *, size_t);
enum mcphdr_result mcphdr_check(const struct mcphdr *, const struct jsonrpc *,
	    const char **);

/* listfilter.c: list answers */
struct listfilter {
	int	(*keep)(void *, const char *, const char *);
	void	*arg;
	size_t	 max;		/* bound on the answer's bytes */
	int	 maxdepth;	/* bound on its nesting */
	int	 private;	/* mark result.cacheScope "private" */
};

enum listfilter_result {
	LISTFILTER_FILTERED = 0,	/* *out holds the filtered answer */
	LISTFILTER_ASIS,		/* not a list answer: pass it on */
	LISTFILTER_ERROR		/* fail closed: answer an error */
};

enum listfilter_result listfilter_body(const struct listfilter *,
	    const char *, const char *, size_t, char **, size_t *,
	    const char **);

/* listfilter.c: SSE events (WHATWG HTML, "server-sent events") */
struct sse {
	char	*buf;		/* the block being assembled, raw */
	size_t	 len, cap, max;
	size_t	 line;		/* where buf's current line starts */
	size_t	 seen;		/* bytes of the stream so far (BOM) */
	int	 cr;		/* the last byte taken was a CR */
	int	 empty;		/* buf ends at the start of a line */
	int	 done;		/* buf was handed out as an event */
	int	 error;
	char	*data;		/* data lines, each with its LF */
	size_t	 datalen, datacap;
	int	 hasdata;
	char	*id, *event;
};

struct sse_event {
	const char	*raw;		/* the block's bytes as received */
	size_t		 rawlen;
	char		*data;		/* data lines joined by LF, or NULL */
	size_t		 datalen;
	char		*id;		/* the id field, or NULL */
	char		*event;		/* the event field, or NULL */
};

enum sse_result {
	SSE_MORE = 0,	/* all input taken, no block complete */
	SSE_EVENT,	/* a block is complete (data may be NULL) */
	SSE_ERROR	/* a block over the bound: fail closed */
};

void	 sse_init(struct sse *, size_t);
void	 sse_free(struct sse *);
enum sse_result sse_feed(struct sse *, const char *, size_t, size_t *,
	    struct sse_event *);
void	 sse_event_free(struct sse_event *);
int	 sse_event_build(const struct sse_event *, const char *, size_t,
	    char **, size_t *);

#endif
