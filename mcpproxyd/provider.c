/*
 * Help for authorization servers that lack what MCP clients need
 * (provider = keycloak in [issuer NAME]).  Not written yet: no request
 * is handled here.
 */
#include "mcpproxyd.h"

/*
 * Handle a request meant for the provider help (authorization server
 * metadata, client registration relay).  Returns -1 when the request is
 * not one, else the keep-alive verdict of the answer sent.
 */
int
provider_handle(struct exchange *x)
{
	(void)x;
	return (-1);
}
