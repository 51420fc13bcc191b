/*
 * mcpproxyd-token: keys and service tokens for a local issuer, so that
 * machine clients (CI jobs, cron, other services) can call a protected
 * MCP server with no authorization server at all.
 *
 *   mcpproxyd-token genkey [-t ec|rsa] [-b bits] -k keyfile -j jwksfile
 *   mcpproxyd-token sign -k keyfile -I issuer -a audience -s subject
 *	-S scope [-c client_id] [-l lifetime] [-L max_lifetime] [-f conf]
 *   mcpproxyd-token retire -j jwksfile -i kid
 *
 * The token goes to standard output; nothing secret goes anywhere else.
 */
#include <sys/stat.h>

#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "parse.h"
#include "token.h"

/* Say how to call it and exit 1. */
static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr,
	    "usage: mcpproxyd-token genkey [-t ec | rsa] [-b bits] -k keyfile "
	    "-j jwksfile\n"
	    "       mcpproxyd-token sign -k keyfile -I issuer -a audience "
	    "-s subject\n"
	    "            -S scope [-c client_id] [-l lifetime] "
	    "[-L max_lifetime] [-f conf]\n"
	    "       mcpproxyd-token retire -j jwksfile -i kid\n");
	exit(1);
}

/* genkey: a new key pair, its public half added to the JWKS. */
static int
cmd_genkey(int argc, char *argv[])
{
	const char	*type = "ec", *keyfile = NULL, *jwks = NULL;
	char		 kid[TOKEN_KID_MAX + 1];
	long long	 bits = 2048;
	int		 ch;

	while ((ch = getopt(argc, argv, "b:j:k:t:")) != -1) {
		switch (ch) {
		case 'b':
			if (parse_int(optarg, 2048, 4096, &bits) == -1)
				errx(1, "-b %s: not 2048 to 4096", optarg);
			break;
		case 'j':
			jwks = optarg;
			break;
		case 'k':
			keyfile = optarg;
			break;
		case 't':
			type = optarg;
			break;
		default:
			usage();
		}
	}
	if (keyfile == NULL || jwks == NULL || optind != argc)
		usage();
	if (key_generate(type, (int)bits, keyfile, kid, sizeof(kid)) == -1)
		return (1);
	if (jwks_add(jwks, keyfile) == -1) {
		unlink(keyfile);	/* a key nobody can verify is no use */
		return (1);
	}
	printf("%s\n", kid);
	return (0);
}

/*
 * sign: one token, its lifetime within the maximum: the issuer's
 * max_token_lifetime in the -f file, -L, or 1d; the smaller of the
 * first two when both are given.
 */
static int
cmd_sign(int argc, char *argv[])
{
	struct claims	 c;
	const char	*keyfile = NULL, *conf = NULL;
	char		*pem = NULL, *tok, alg[8], kid[TOKEN_KID_MAX + 1];
	size_t		 pemlen = 0;
	long long	 life = 3600, max = 86400, lmax = 0;
	int		 ch;

	memset(&c, 0, sizeof(c));
	while ((ch = getopt(argc, argv, "I:L:S:a:c:f:k:l:s:")) != -1) {
		switch (ch) {
		case 'I':
			c.iss = optarg;
			break;
		case 'L':
			if (parse_duration(optarg, 1, TOKEN_MAX_LIFETIME_CAP,
			    &lmax) == -1)
				errx(1, "-L %s: not a duration of 1s to 366d",
				    optarg);
			break;
		case 'f':
			conf = optarg;
			break;
		case 'S':
			c.scope = optarg;
			break;
		case 'a':
			c.aud = optarg;
			break;
		case 'c':
			c.client_id = optarg;
			break;
		case 'k':
			keyfile = optarg;
			break;
		case 'l':
			if (parse_duration(optarg, 1, TOKEN_MAX_LIFETIME_CAP,
			    &life) == -1)
				errx(1, "-l %s: not a duration of 1s to 366d",
				    optarg);
			break;
		case 's':
			c.sub = optarg;
			break;
		default:
			usage();
		}
	}
	if (keyfile == NULL || c.iss == NULL || c.aud == NULL ||
	    c.sub == NULL || c.scope == NULL || optind != argc)
		usage();
	if (*c.iss == '\0' || *c.aud == '\0' || *c.sub == '\0')
		errx(1, "issuer, audience and subject may not be empty");
	if (conf != NULL)
		conf_max_lifetime(conf, c.iss, &max);
	if (lmax > 0 && (conf == NULL || lmax < max))
		max = lmax;
	if (life > max)
		errx(1, "lifetime %llds is above the maximum %llds (%s)",
		    life, max, conf != NULL ? "max_token_lifetime or -L" :
		    "-L");
	if (c.client_id == NULL)
		c.client_id = c.sub;
	c.iat = time(NULL);
	c.exp = c.iat + life;
	if (key_load(keyfile, &pem, &pemlen, alg, sizeof(alg), kid,
	    sizeof(kid)) == -1)
		return (1);
	tok = token_sign(&c, pem, pemlen, alg, kid);
	OPENSSL_cleanse(pem, pemlen);
	free(pem);
	if (tok == NULL)
		return (1);
	printf("%s\n", tok);
	OPENSSL_cleanse(tok, strlen(tok));
	free(tok);
	return (0);
}

/* retire: a key's public half out of the JWKS. */
static int
cmd_retire(int argc, char *argv[])
{
	const char	*jwks = NULL, *kid = NULL;
	int		 ch;

	while ((ch = getopt(argc, argv, "i:j:")) != -1) {
		switch (ch) {
		case 'i':
			kid = optarg;
			break;
		case 'j':
			jwks = optarg;
			break;
		default:
			usage();
		}
	}
	if (jwks == NULL || kid == NULL || optind != argc)
		usage();
	return (jwks_remove(jwks, kid) == -1);
}

int
main(int argc, char *argv[])
{
	if (argc < 2)
		usage();
	umask(077);
	if (!strcmp(argv[1], "genkey"))
		return (cmd_genkey(argc - 1, argv + 1));
	if (!strcmp(argv[1], "sign"))
		return (cmd_sign(argc - 1, argv + 1));
	if (!strcmp(argv[1], "retire"))
		return (cmd_retire(argc - 1, argv + 1));
	usage();
}
