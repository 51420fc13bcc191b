/*
 * The access log's view of MCP bodies: a table of bodies and what the
 * log must say (rpc and tool), with more hostile rows than friendly.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../mcpproxyd/mcpproxyd.h"
#include "unit.h"

static const struct {
	const char	*body;
	const char	*rpc;
	const char	*tool;
} cases[] = {
	/* good */
	{ "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}", "ping", "" },
	{ "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\",\"params\":{\"name\":\"echo\",\"arguments\":{\"message\":\"hi\"}}}", "tools/call", "echo" },
	{ " \n{ \"method\" : \"initialize\" , \"params\" : { \"capabilities\" : {} } }", "initialize", "" },
	{ "[{\"method\":\"tools/list\"},{\"method\":\"ping\"}]", "tools/list", "" },
	{ "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}}", "response", "" },
	{ "{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{\"code\":1}}", "response", "" },
	{ "{\"params\":{\"name\":\"echo\"},\"method\":\"tools/call\"}", "tools/call", "echo" },
	{ "{\"method\":\"notifications/initialized\"}", "notifications/initialized", "" },
	{ "{\"id\":[1,{\"a\":[true,false,null,-1.5e3]}],\"method\":\"ping\"}", "ping", "" },
	/* hostile or not JSON-RPC */
	{ "", "", "" },
	{ "not json", "", "" },
	{ "{", "", "" },
	{ "{\"method\":", "", "" },
	{ "{\"method\":\"ping\"", "", "" },
	{ "{\"method\":\"ping\",}", "", "" },
	{ "{\"method\" \"ping\"}", "", "" },
	{ "{\"method\":\"pi\nng\"}", "", "" },
	{ "{\"method\":\"ping\\", "", "" },
	{ "{\"method\":\"ping\",\"method\":\"tools/call\"}", "?", "" },
	{ "{\"method\":\"tools/call\",\"params\":{\"name\":\"echo\",\"name\":\"rm\"}}", "tools/call", "?" },
	{ "{\"method\":\"a b=c\\\"d\"}", "a b=c\"d", "" },
	{ "{\"method\":42}", "", "" },
	{ "{\"method\":null}", "", "" },
	{ "{\"method\":[\"ping\"]}", "", "" },
	{ "[]", "", "" },
	{ "[[{\"method\":\"ping\"}]]", "", "" },
	{ "\"ping\"", "", "" },
	{ "{\"x\":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]],\"method\":\"ping\"}", "", "" },
	{ "{\"params\":{\"name\":\"echo\"}}", "", "" },
	{ "{\"method\":\"tools/list\",\"params\":{\"name\":\"echo\"}}", "tools/list", "" },
	{ "{\"x\":@,\"method\":\"ping\"}", "", "" },
	{ "{\"x\":\"\\u0000\",\"method\":\"ping\"}", "ping", "" },
	{ "{\"me\\u0074hod\":\"ping\"}", "", "" },
	{ "{\"method\":\"ping\"}trailing", "ping", "" },
	{ "{\"params\":{\"name\":\"echo\"},\"params\":{\"name\":\"rm\"},\"method\":\"tools/call\"}", "tools/call", "?" },
	/* the tool as the upstream reads it: escapes decoded, bytes kept */
	{ "{\"method\":\"tools/call\",\"params\":{\"name\":\"a\\\"b\\\\c\\n\\u0001\\/\"}}", "tools/call", "a\"b\\c\n\001/" },
	{ "{\"method\":\"tools/call\",\"params\":{\"name\":\"\\u00e9\\ud83d\\ude00\"}}", "tools/call", "\xc3\xa9\xf0\x9f\x98\x80" },
	{ "{\"method\":\"tools/call\",\"params\":{\"name\":\"x\\u0000\\ud800y\\uzzzz\"}}", "tools/call", "x\xef\xbf\xbd\xef\xbf\xbdy\xef\xbf\xbdzzzz" },
	{ "{\"method\":\"tools/call\",\"params\":{\"name\":\"\xff\xc3(\"}}", "tools/call", "\xff\xc3(" },
};

int
main(void)
{
	char	 rpc[48], tool[48], *copy;
	size_t	 i, n;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		/* exactly sized: a read past the end is caught by ASan */
		n = strlen(cases[i].body);
		if ((copy = malloc(n ? n : 1)) == NULL)
			return (2);
		memcpy(copy, cases[i].body, n);
		mcp_sniff(copy, n, rpc, sizeof(rpc), tool, sizeof(tool));
		CHECK(!strcmp(rpc, cases[i].rpc) && !strcmp(tool,
		    cases[i].tool), "case %zu: rpc \"%s\" tool \"%s\", want "
		    "\"%s\" \"%s\"", i, rpc, tool, cases[i].rpc,
		    cases[i].tool);
		/* every prefix must be safe too */
		for (; n > 0; n--)
			mcp_sniff(copy, n - 1, rpc, sizeof(rpc), tool,
			    sizeof(tool));
		free(copy);
	}
	return (unit_done("mcpproxyd_mcp"));
}
