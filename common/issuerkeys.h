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

/* Which daemons read key (ISSUER_* bits); 0 for a key of neither. */
int	issuer_key_users(const char *key);

#endif
