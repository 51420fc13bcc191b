/*
 * What the access log shows of an MCP message: the JSON-RPC method and
 * the tool a tools/call names.  The only jansson user in mcpproxyd.
 */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "mcpproxyd.h"

/* Copy s into out, keeping only characters safe in a log field. */
static void
safe_copy(char *out, size_t outlen, const char *s)
{
	size_t	 i;

	for (i = 0; s[i] != '\0' && i + 1 < outlen; i++)
		out[i] = (s[i] >= 0x21 && s[i] <= 0x7e && s[i] != '"' &&
		    s[i] != '\\' && s[i] != '=') ? s[i] : '?';
	out[i] = '\0';
}

static void
sniff_one(json_t *msg, char *rpc, size_t rpclen, char *tool, size_t toollen)
{
	json_t		*m, *params, *name;

	m = json_object_get(msg, "method");
	if (json_is_string(m)) {
		safe_copy(rpc, rpclen, json_string_value(m));
		params = json_object_get(msg, "params");
		name = json_object_get(params, "name");
		if (!strcmp(json_string_value(m), "tools/call") &&
		    json_is_string(name))
			safe_copy(tool, toollen, json_string_value(name));
	} else if (json_object_get(msg, "result") != NULL ||
	    json_object_get(msg, "error") != NULL)
		snprintf(rpc, rpclen, "response");
}

/*
 * Fill rpc (and tool for tools/call) from a JSON-RPC body; both stay
 * "" when the body is not JSON-RPC.  A batch shows its first method.
 */
void
mcp_sniff(const char *body, size_t len, char *rpc, size_t rpclen,
    char *tool, size_t toollen)
{
	json_t		*root;
	json_error_t	 err;

	rpc[0] = tool[0] = '\0';
	if (len == 0)
		return;
	if ((root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &err)) ==
	    NULL)
		return;
	if (json_is_array(root) && json_array_size(root) > 0)
		sniff_one(json_array_get(root, 0), rpc, rpclen, tool, toollen);
	else if (json_is_object(root))
		sniff_one(root, rpc, rpclen, tool, toollen);
	json_decref(root);
}
