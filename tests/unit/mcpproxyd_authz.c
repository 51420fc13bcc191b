/*
 * The MCP reading stage and the policy stage together (mcp_read, then
 * authz_decide) on a table: a POST body, the caller's scopes and the
 * MCP headers, and what the client gets: nothing (forwarded) or the
 * status, the JSON-RPC error code and the id of the proxy's answer,
 * read from the other end of a socket pair.  More refusals than passes.
 */
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../mcpproxyd/mcpproxyd.h"
#include "log.h"
#include "unit.h"

static char		 dir[] = "/tmp/mcpproxyd-authz.XXXXXX";
static struct config	 conf;
static struct scoreboard *sb;

#define CALL(id, name)	"{\"jsonrpc\":\"2.0\",\"id\":" id ",\"method\":" \
	"\"tools/call\",\"params\":{\"name\":" name ",\"arguments\":{}}}"
#define META		",\"_meta\":{\"io.modelcontextprotocol/" \
	"protocolVersion\":\"2026-07-28\"}"
#define CALL26(id, name) "{\"jsonrpc\":\"2.0\",\"id\":" id ",\"method\":" \
	"\"tools/call\",\"params\":{\"name\":" name META "}}"

static const struct {
	int		 route;		/* 0: /mcp with the policy, 1: /open */
	const char	*scope;		/* granted; NULL: no token */
	const char	*body;
	const char	*mname, *mmethod, *mversion;	/* headers or NULL */
	int		 status;	/* 0: forwarded */
	const char	*want;		/* in the answer */
} rows[] = {
	/* passes */
	{ 0, "mcp:tools", CALL("1", "\"echo\""), NULL, NULL, NULL, 0, NULL },
	{ 0, "mcp:tools", CALL("2", "\"\\u0065cho\""), NULL, NULL, NULL, 0,
	    NULL },
	{ 0, "mcp:tools mcp:admin", CALL("3", "\"get-sum\""), NULL, NULL,
	    NULL, 0, NULL },
	{ 0, "mcp:tools", "{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"ping\"}",
	    NULL, NULL, NULL, 0, NULL },
	{ 0, "mcp:tools", CALL26("5", "\"echo\""), "echo", "tools/call",
	    "2026-07-28", 0, NULL },
	{ 1, NULL, "[" CALL("6", "\"get-env\"") "]", NULL, NULL, NULL, 0,
	    NULL },
	/* refused */
	{ 0, "mcp:tools", CALL("11", "\"get-env\""), NULL, NULL, NULL, 200,
	    "\"code\":-32001,\"message\":\"forbidden by the proxy's policy\""
	    "},\"id\":11}" },
	{ 0, "mcp:tools", CALL("\"x\\\"y\"", "\"\\u0067et-env\""), NULL, NULL,
	    NULL, 200, "\"code\":-32001,\"message\":\"forbidden by the "
	    "proxy's policy\"},\"id\":\"x\\\"y\"}" },
	{ 0, "mcp:tools", CALL("123456789012345678901234567890", "\"rm\""),
	    NULL, NULL, NULL, 200, "\"id\":123456789012345678901234567890}" },
	{ 0, "mcp:tools", CALL("13", "\"get-sum\""), NULL, NULL, NULL, 403,
	    "scope=\"mcp:tools mcp:admin\", error=\"insufficient_scope\"" },
	{ 0, NULL, CALL("14", "\"get-sum\""), NULL, NULL, NULL, 401,
	    "scope=\"mcp:tools mcp:admin\"\r\n" },
	{ 0, "mcp:tools", "[" CALL("15", "\"echo\"") "]", NULL, NULL, NULL,
	    400, "\"code\":-32600" },
	{ 0, "mcp:tools", "{\"jsonrpc\":\"2.0\",\"id\":16,\"method\":"
	    "\"tools/call\",\"params\":{\"name\":\"echo\",\"name\":\"rm\"}}",
	    NULL, NULL, NULL, 400, "\"code\":-32600" },
	{ 0, "mcp:tools", "{\"jsonrpc\":", NULL, NULL, NULL, 400,
	    "\"code\":-32700" },
	{ 0, "mcp:tools", CALL26("18", "\"rm\""), "echo", "tools/call",
	    "2026-07-28", 400, "\"code\":-32020,\"message\":\"Mcp-Name header "
	    "does not match the body\"},\"id\":18}" },
	{ 0, "mcp:tools", CALL26("19", "\"echo\""), NULL, "tools/call",
	    "2026-07-28", 400, "\"code\":-32020" },
	{ 0, "mcp:tools", CALL26("20", "\"echo\""), "echo", NULL,
	    "2026-07-28", 400, "\"code\":-32020" },
	{ 0, "mcp:tools", CALL26("21", "\"echo\""), "echo", "tools/call",
	    "2025-11-25", 400, "\"code\":-32020" },
	{ 1, NULL, CALL("22", "\"rm\""), "echo", NULL, NULL, 400,
	    "\"code\":-32020,\"message\":\"Mcp-Name header does not match "
	    "the body\"},\"id\":22}" },
	{ 0, "mcp:tools", "{\"jsonrpc\":\"2.0\",\"method\":\"tools/call\","
	    "\"params\":{\"name\":\"rm\"}}", NULL, NULL, NULL, 403,
	    "\"code\":-32001" },
	{ 0, "mcp:tools", "{\"jsonrpc\":\"2.0\",\"id\":24,\"method\":"
	    "\"vendor/x\"}", NULL, NULL, NULL, 200, "\"code\":-32001" },
};

/* Run one row; the answer (or "") into buf. */
static int
run(size_t i, char *buf, size_t len)
{
	struct exchange	 x;
	struct conn	 c;
	enum xresult	 rv;
	char		 body[512];
	int		 sv[2];
	ssize_t		 n;
	size_t		 h = 0;

	memset(&x, 0, sizeof(x));
	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0, "socketpair");
	CHECK(conn_init(&c, sv[0], 4096) == 0, "conn_init");
	x.conf = &conf;
	x.sb = sb;
	x.cl = &c;
	x.srv = &conf.servers[0];
	x.rt = &conf.servers[0].routes[rows[i].route];
	snprintf(x.clienttext, sizeof(x.clienttext), "127.0.0.1");
	snprintf(x.logpath, sizeof(x.logpath), "/mcp");
	x.req.method = (char *)"POST";
	x.req.host = "127.0.0.1:9000";
	x.req.hdr[h].name = (char *)"Host";
	x.req.hdr[h++].value = (char *)"127.0.0.1:9000";
	if (rows[i].mname != NULL) {
		x.req.hdr[h].name = (char *)"Mcp-Name";
		x.req.hdr[h++].value = (char *)rows[i].mname;
	}
	if (rows[i].mmethod != NULL) {
		x.req.hdr[h].name = (char *)"Mcp-Method";
		x.req.hdr[h++].value = (char *)rows[i].mmethod;
	}
	if (rows[i].mversion != NULL) {
		x.req.hdr[h].name = (char *)"MCP-Protocol-Version";
		x.req.hdr[h++].value = (char *)rows[i].mversion;
	}
	x.req.nhdr = h;
	snprintf(body, sizeof(body), "%s", rows[i].body);
	x.body = body;
	x.bodylen = strlen(body);
	if (rows[i].scope != NULL) {
		x.authed = 1;
		snprintf(x.sub, sizeof(x.sub), "alice");
		snprintf(x.scope, sizeof(x.scope), "%s", rows[i].scope);
	}
	rv = mcp_read(&x);
	if (rv == XR_NEXT)
		rv = authz_decide(&x);
	mcp_forget(&x);
	fcntl(sv[1], F_SETFL, O_NONBLOCK);
	n = read(sv[1], buf, len - 1);
	buf[n > 0 ? n : 0] = '\0';
	close(sv[1]);
	conn_close(&c, 0);
	free(c.buf);
	return (rv == XR_NEXT ? 0 : 1);
}

int
main(void)
{
	char	 cpath[300], err[512], buf[8192], status[32];
	FILE	*f;
	size_t	 i;
	int	 answered;

	log_init("mcpproxyd_authz", 1, 0);
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return (1);
	}
	snprintf(cpath, sizeof(cpath), "%s/t.conf", dir);
	f = fopen(cpath, "w");
	fprintf(f, "[mcpproxyd]\nuser = nobody\n"
	    "[jwksd]\nkey_file = %s/keys\n"
	    "[issuer a]\nissuer = http://127.0.0.1:1/a\naudiences = mcp\n"
	    "[auth pa]\nissuer = a\nmode = optional\n"
	    "scopes_supported = mcp:tools mcp:admin\n"
	    "required_scopes = mcp:tools\n"
	    "[policy p]\nallow = tool:echo\n"
	    "allow = tool:get-sum scope=mcp:admin\ndeny = tool:*\n"
	    "[server one]\nlisten = 127.0.0.1:9000\n"
	    "route = /mcp http://127.0.0.1:8000/mcp auth=pa policy=p\n"
	    "route = /open http://127.0.0.1:8000/mcp\n", dir);
	fclose(f);
	if (config_load(cpath, &conf, err, sizeof(err)) == -1) {
		CHECK(0, "config_load: %s", err);
		return (unit_done("mcpproxyd_authz"));
	}
	sb = scoreboard_create(4);
	scoreboard_used(sb, 3);	/* as the master forking into them */
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		answered = run(i, buf, sizeof(buf));
		if (rows[i].status == 0) {
			CHECK(!answered && buf[0] == '\0',
			    "row %zu: answered: %.200s", i, buf);
			continue;
		}
		snprintf(status, sizeof(status), "HTTP/1.1 %d ",
		    rows[i].status);
		CHECK(answered && strncmp(buf, status, strlen(status)) == 0 &&
		    strstr(buf, rows[i].want) != NULL,
		    "row %zu: want %d with %s, got: %.400s", i,
		    rows[i].status, rows[i].want, buf);
	}
	unlink(cpath);
	rmdir(dir);
	return (unit_done("mcpproxyd_authz"));
}
