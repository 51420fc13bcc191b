/*
 * The keys of an [issuer NAME] section, shared by mcpproxyd and jwksd:
 * each reader handles the keys marked as its own and accepts, then
 * ignores, those of the other daemon.  A key missing here is an error
 * in both.
 */
#ifndef COMMON_ISSUERKEYS_H
#define COMMON_ISSUERKEYS_H

#define ISSUER_MCPPROXYD	0x1
#define ISSUER_JWKSD		0x2
#define ISSUER_TOKEN		0x4	/* mcpproxyd-token; both daemons
					   accept and ignore it */

/* Which daemons read key (ISSUER_* bits); 0 for a key of neither. */
int	issuer_key_users(const char *key);

#endif
