/*
 * The one table of [issuer NAME] keys (see issuerkeys.h).
 */
#include <stddef.h>
#include <string.h>

#include "issuerkeys.h"

static const struct {
	const char	*name;
	int		 users;
} issuer_keys[] = {
	{ "issuer",	ISSUER_MCPPROXYD | ISSUER_JWKSD },
	/* keycloak: jwksd also publishes its discovery document */
	{ "provider",	ISSUER_MCPPROXYD | ISSUER_JWKSD },
	/* accepted aud values ("audience": agentgateway's spelling) */
	{ "audiences",	ISSUER_MCPPROXYD },
	{ "audience",	ISSUER_MCPPROXYD },
	/* a deny list of jti and sub values (revoke.c) */
	{ "revoked_file", ISSUER_MCPPROXYD },
	/* where the keys come from ("jwks": a URL or a file) */
	{ "jwks_url",	ISSUER_JWKSD },
	{ "jwks_file",	ISSUER_JWKSD },
	{ "jwks",	ISSUER_JWKSD },
	/* the longest lifetime mcpproxyd-token signs for this issuer, and
	   mcpproxyd accepts */
	{ "max_token_lifetime", ISSUER_TOKEN | ISSUER_MCPPROXYD },
};

int
issuer_key_users(const char *key)
{
	size_t	 i;

	for (i = 0; i < sizeof(issuer_keys) / sizeof(issuer_keys[0]); i++)
		if (strcmp(issuer_keys[i].name, key) == 0)
			return (issuer_keys[i].users);
	return (0);
}
