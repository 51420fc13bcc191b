/*
 * Key pairs for a local issuer, with OpenSSL: make one (EC P-256 or
 * RSA), write its private key in a file of mode 0600 that is never
 * overwritten, and keep the issuer's JWKS file (public members only,
 * mode 0644, replaced atomically) that jwksd reads as jwks_file.  The
 * kid is the key's RFC 7638 thumbprint: the same key always has the
 * same kid, and two keys never share one.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "token.h"

/* base64url without padding into out; returns 0, or -1 if it won't fit. */
int
b64url(const unsigned char *in, size_t len, char *out, size_t outlen)
{
	size_t	 n, i;

	if (outlen < 4 * ((len + 2) / 3) + 1)
		return (-1);
	n = EVP_EncodeBlock((unsigned char *)out, in, (int)len);
	while (n > 0 && out[n - 1] == '=')
		n--;
	out[n] = '\0';
	for (i = 0; i < n; i++)
		if (out[i] == '+')
			out[i] = '-';
		else if (out[i] == '/')
			out[i] = '_';
	return (0);
}

/* A BIGNUM parameter of pkey, base64url, padded to pad bytes (0: none). */
static char *
bn_param(const EVP_PKEY *pkey, const char *name, int pad)
{
	BIGNUM		*bn = NULL;
	unsigned char	*bin;
	char		*out = NULL;
	int		 n;

	if (!EVP_PKEY_get_bn_param(pkey, name, &bn))
		return (NULL);
	n = pad > 0 ? pad : BN_num_bytes(bn);
	if ((bin = malloc(n)) != NULL && BN_bn2binpad(bn, bin, n) == n &&
	    (out = malloc(4 * ((n + 2) / 3) + 1)) != NULL &&
	    b64url(bin, n, out, 4 * ((n + 2) / 3) + 1) == -1) {
		free(out);
		out = NULL;
	}
	free(bin);
	BN_free(bn);
	return (out);
}

/*
 * The public JWK of pkey, with kid (the thumbprint), use and alg; *alg
 * gets the algorithm.  Returns a new object or NULL.
 */
static json_t *
public_jwk(const EVP_PKEY *pkey, char *kid, size_t kidlen, char *alg,
    size_t alglen)
{
	json_t		*jwk = NULL;
	char		*a = NULL, *b = NULL, *canon = NULL;
	unsigned char	 md[32];
	int		 ec = EVP_PKEY_is_a(pkey, "EC");

	if (ec) {
		char	 group[32];

		if (!EVP_PKEY_get_utf8_string_param(pkey,
		    OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group), NULL) ||
		    strcmp(group, "prime256v1") != 0)
			return (NULL);
		a = bn_param(pkey, OSSL_PKEY_PARAM_EC_PUB_X, 32);
		b = bn_param(pkey, OSSL_PKEY_PARAM_EC_PUB_Y, 32);
	} else if (EVP_PKEY_is_a(pkey, "RSA")) {
		a = bn_param(pkey, OSSL_PKEY_PARAM_RSA_N, 0);
		b = bn_param(pkey, OSSL_PKEY_PARAM_RSA_E, 0);
	}
	if (a == NULL || b == NULL)
		goto done;
	/* RFC 7638: the required members, sorted, no blanks */
	jwk = ec ? json_pack("{s:s, s:s, s:s, s:s}", "crv", "P-256", "kty",
	    "EC", "x", a, "y", b) : json_pack("{s:s, s:s, s:s}", "e", b,
	    "kty", "RSA", "n", a);
	if (jwk == NULL || (canon = json_dumps(jwk, JSON_COMPACT |
	    JSON_SORT_KEYS)) == NULL ||
	    !EVP_Digest(canon, strlen(canon), md, NULL, EVP_sha256(), NULL) ||
	    b64url(md, sizeof(md), kid, kidlen) == -1) {
		json_decref(jwk);
		jwk = NULL;
		goto done;
	}
	snprintf(alg, alglen, "%s", ec ? "ES256" : "RS256");
	json_object_set_new(jwk, "kid", json_string(kid));
	json_object_set_new(jwk, "use", json_string("sig"));
	json_object_set_new(jwk, "alg", json_string(alg));
 done:
	free(a);
	free(b);
	free(canon);
	return (jwk);
}

/* Read a private key file, refusing one others may read; NULL on error. */
static EVP_PKEY *
read_private(const char *path, char **pem, size_t *pemlen)
{
	struct stat	 st;
	EVP_PKEY	*pkey = NULL;
	FILE		*fp;
	char		*buf = NULL;
	size_t		 n;

	if ((fp = fopen(path, "re")) == NULL) {
		fprintf(stderr, "mcpproxyd-token: %s: %s\n", path,
		    strerror(errno));
		return (NULL);
	}
	if (fstat(fileno(fp), &st) == -1 || (st.st_mode & 077) != 0 ||
	    st.st_size > 65536) {
		fprintf(stderr, "mcpproxyd-token: %s: group or others may "
		    "read it (chmod 600), or it is too large\n", path);
		goto done;
	}
	if ((buf = calloc(1, st.st_size + 1)) == NULL ||
	    (n = fread(buf, 1, st.st_size, fp)) != (size_t)st.st_size)
		goto done;
	rewind(fp);
	if ((pkey = PEM_read_PrivateKey(fp, NULL, NULL, NULL)) == NULL)
		fprintf(stderr, "mcpproxyd-token: %s: not a PEM private key\n",
		    path);
	else if (pem != NULL) {
		*pem = buf;
		*pemlen = n;
		buf = NULL;
	}
 done:
	if (buf != NULL)
		OPENSSL_cleanse(buf, st.st_size);
	free(buf);
	fclose(fp);
	return (pkey);
}

/*
 * Make a key pair of type "ec" (P-256) or "rsa" (bits) and write its
 * private key to keypath (created, mode 0600; an existing file is an
 * error).  kid gets its kid.  Returns 0, or -1 after saying why.
 */
int
key_generate(const char *type, int bits, const char *keypath, char *kid,
    size_t kidlen)
{
	EVP_PKEY	*pkey;
	json_t		*jwk;
	FILE		*fp;
	char		 alg[8];
	int		 fd, rv = -1;

	if (!strcmp(type, "ec"))
		pkey = EVP_EC_gen("P-256");
	else if (!strcmp(type, "rsa"))
		pkey = EVP_RSA_gen(bits);
	else {
		fprintf(stderr, "mcpproxyd-token: key type %s: not ec or "
		    "rsa\n", type);
		return (-1);
	}
	if (pkey == NULL) {
		fprintf(stderr, "mcpproxyd-token: cannot make the key\n");
		return (-1);
	}
	if ((jwk = public_jwk(pkey, kid, kidlen, alg, sizeof(alg))) == NULL)
		goto done;
	json_decref(jwk);
	if ((fd = open(keypath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
	    0600)) == -1) {
		fprintf(stderr, "mcpproxyd-token: %s: %s\n", keypath,
		    strerror(errno));
		goto done;
	}
	if (fchmod(fd, 0600) == -1 || (fp = fdopen(fd, "w")) == NULL) {
		close(fd);
		unlink(keypath);
		goto done;
	}
	if (!PEM_write_PrivateKey(fp, pkey, NULL, NULL, 0, NULL, NULL) ||
	    fflush(fp) == EOF || fsync(fd) == -1) {
		fclose(fp);
		unlink(keypath);
		fprintf(stderr, "mcpproxyd-token: %s: cannot write\n", keypath);
		goto done;
	}
	fclose(fp);
	rv = 0;
 done:
	EVP_PKEY_free(pkey);
	return (rv);
}

/*
 * Load the private key at keypath for signing: its PEM text (*pem, to
 * free), algorithm and kid.  Returns 0, or -1 after saying why.
 */
int
key_load(const char *keypath, char **pem, size_t *pemlen, char *alg,
    size_t alglen, char *kid, size_t kidlen)
{
	EVP_PKEY	*pkey;
	json_t		*jwk;

	if ((pkey = read_private(keypath, pem, pemlen)) == NULL)
		return (-1);
	jwk = public_jwk(pkey, kid, kidlen, alg, alglen);
	EVP_PKEY_free(pkey);
	if (jwk == NULL) {
		fprintf(stderr, "mcpproxyd-token: %s: not an EC P-256 or RSA "
		    "key\n", keypath);
		free(*pem);
		return (-1);
	}
	json_decref(jwk);
	return (0);
}

/* Write doc to path: temp file, fsync, rename, fsync the directory. */
static int
jwks_write(const char *path, json_t *doc)
{
	char	 tmp[PATH_MAX], dir[PATH_MAX], *s, *slash;
	size_t	 len;
	int	 fd, ok;

	if ((s = json_dumps(doc, JSON_INDENT(2))) == NULL ||
	    snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path) >= (int)sizeof(tmp)) {
		free(s);
		return (-1);
	}
	len = strlen(s);
	if ((fd = mkostemp(tmp, O_CLOEXEC)) == -1) {
		free(s);
		return (-1);
	}
	ok = fchmod(fd, 0644) == 0 && write(fd, s, len) == (ssize_t)len &&
	    write(fd, "\n", 1) == 1 && fsync(fd) == 0;
	free(s);
	if (close(fd) == -1 || !ok || rename(tmp, path) == -1) {
		unlink(tmp);
		return (-1);
	}
	snprintf(dir, sizeof(dir), "%s", path);
	if ((slash = strrchr(dir, '/')) == NULL)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return (-1);
	ok = fsync(fd) == 0;
	close(fd);
	return (ok ? 0 : -1);
}

/* The JWKS at path, or a new empty one if there is no file; NULL on error. */
static json_t *
jwks_read(const char *path)
{
	json_t		*doc;
	json_error_t	 e;

	if (access(path, F_OK) == -1 && errno == ENOENT)
		return (json_pack("{s:[]}", "keys"));
	if ((doc = json_load_file(path, 0, &e)) == NULL ||
	    !json_is_array(json_object_get(doc, "keys"))) {
		fprintf(stderr, "mcpproxyd-token: %s: not a JWKS: %s\n", path,
		    doc == NULL ? e.text : "no \"keys\" array");
		json_decref(doc);
		return (NULL);
	}
	return (doc);
}

/*
 * Add the public half of the key at keypath to the JWKS at jwkspath
 * (created if missing), beside the keys it holds: that is how a key is
 * rotated in.  Returns 0, or -1 after saying why.
 */
int
jwks_add(const char *jwkspath, const char *keypath)
{
	EVP_PKEY	*pkey;
	json_t		*doc, *jwk, *k;
	char		 kid[TOKEN_KID_MAX + 1], alg[8];
	size_t		 i;
	int		 rv = -1;

	if ((pkey = read_private(keypath, NULL, NULL)) == NULL)
		return (-1);
	jwk = public_jwk(pkey, kid, sizeof(kid), alg, sizeof(alg));
	EVP_PKEY_free(pkey);
	if (jwk == NULL || (doc = jwks_read(jwkspath)) == NULL) {
		json_decref(jwk);
		return (-1);
	}
	json_array_foreach(json_object_get(doc, "keys"), i, k)
		if (json_equal(json_object_get(k, "kid"),
		    json_object_get(jwk, "kid"))) {
			fprintf(stderr, "mcpproxyd-token: %s: kid %s is "
			    "there already\n", jwkspath, kid);
			goto done;
		}
	json_array_append(json_object_get(doc, "keys"), jwk);
	if ((rv = jwks_write(jwkspath, doc)) == -1)
		fprintf(stderr, "mcpproxyd-token: %s: %s\n", jwkspath,
		    strerror(errno));
 done:
	json_decref(jwk);
	json_decref(doc);
	return (rv);
}

/* Take key kid out of the JWKS (a retired key).  Returns 0 or -1. */
int
jwks_remove(const char *jwkspath, const char *kid)
{
	json_t		*doc, *keys, *k;
	size_t		 i;
	int		 rv = -1;

	if ((doc = jwks_read(jwkspath)) == NULL)
		return (-1);
	keys = json_object_get(doc, "keys");
	json_array_foreach(keys, i, k)
		if (!strcmp(json_string_value(json_object_get(k, "kid")) ?
		    json_string_value(json_object_get(k, "kid")) : "", kid))
			break;
	if (i == json_array_size(keys))
		fprintf(stderr, "mcpproxyd-token: %s: no kid %s\n", jwkspath,
		    kid);
	else if (json_array_remove(keys, i) == 0 &&
	    (rv = jwks_write(jwkspath, doc)) == -1)
		fprintf(stderr, "mcpproxyd-token: %s: %s\n", jwkspath,
		    strerror(errno));
	json_decref(doc);
	return (rv);
}
