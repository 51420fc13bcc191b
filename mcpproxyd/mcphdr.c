/*
 * The MCP 2026-07-28 request headers (Streamable HTTP, "Request
 * Metadata"): Mcp-Method mirrors the body's method, Mcp-Name its
 * params.name (tools/call, prompts/get) or params.uri (resources/read),
 * MCP-Protocol-Version its params._meta protocol version.  A server that
 * reads the body must refuse a mismatch with 400 and JSON-RPC error
 * -32020 (HeaderMismatch), so that nothing routing on the headers and
 * nothing running the body can disagree about the call.
 *
 * Decisions:
 * - a header given twice is a mismatch (which copy would win?);
 * - a header that is present is checked whatever the version; the
 *   request's own declaration of 2026-07-28 or later (header or _meta)
 *   makes Mcp-Method and, for a method with a name, Mcp-Name required;
 * - only Mcp-Name takes the "=?base64?...?=" form (the spec names
 *   Mcp-Name and Mcp-Param-*); Mcp-Method is compared as sent;
 * - a plain value is 0x20..0x7e only (a control character, tab
 *   included, must be sent encoded); the encoded form is RFC 4648
 *   section 4 base64 with its padding and zero pad bits, of UTF-8
 *   without NUL;
 * - Mcp-Name on a method without a name is a mismatch;
 * - a response carries none of the three.
 */
#include <stdlib.h>
#include <string.h>

#include "jsonrpc.h"

#define B64_PREFIX	"=?base64?"
#define B64_SUFFIX	"?="

static int
b64val(int c)
{
	if (c >= 'A' && c <= 'Z')
		return (c - 'A');
	if (c >= 'a' && c <= 'z')
		return (c - 'a' + 26);
	if (c >= '0' && c <= '9')
		return (c - '0' + 52);
	if (c == '+')
		return (62);
	if (c == '/')
		return (63);
	return (-1);
}

/*
 * Strict base64 of s[0..n) into out (room for n / 4 * 3 bytes).
 * Returns the decoded length or -1.
 */
static long
b64decode(const char *s, size_t n, char *out)
{
	size_t	 i, o = 0, pad = 0;
	int	 v[4], j;

	if (n % 4 != 0)
		return (-1);
	if (n > 0 && s[n - 1] == '=')
		pad = n > 1 && s[n - 2] == '=' ? 2 : 1;
	for (i = 0; i < n; i += 4) {
		for (j = 0; j < 4; j++) {
			if (i + j >= n - pad)
				v[j] = 0;
			else if ((v[j] = b64val((unsigned char)s[i + j])) == -1)
				return (-1);
		}
		out[o++] = (char)(v[0] << 2 | v[1] >> 4);
		out[o++] = (char)((v[1] & 0xf) << 4 | v[2] >> 2);
		out[o++] = (char)((v[2] & 0x3) << 6 | v[3]);
	}
	/* the bits that the padding drops must be zero */
	if (pad == 2 && (v[1] & 0xf) != 0)
		return (-1);
	if (pad == 1 && (v[2] & 0x3) != 0)
		return (-1);
	return ((long)(o - pad));
}

/*
 * Decode an Mcp-Name (or Mcp-Param-*) value val[0..len) into a new
 * NUL-terminated *out of *outlen bytes: as sent, or the base64 form.
 * Returns 0, or -1 when it is malformed or memory ran out.
 */
int
mcphdr_decode(const char *val, size_t len, char **out, size_t *outlen)
{
	size_t	 pl = strlen(B64_PREFIX), sl = strlen(B64_SUFFIX), i;
	long	 n;
	char	*b;

	*out = NULL;
	if ((b = malloc(len + 1)) == NULL)
		return (-1);
	if (len >= pl + sl && memcmp(val, B64_PREFIX, pl) == 0 &&
	    memcmp(val + len - sl, B64_SUFFIX, sl) == 0) {
		if ((n = b64decode(val + pl, len - pl - sl, b)) == -1 ||
		    !jscan_utf8_valid(b, n) || memchr(b, '\0', n) != NULL) {
			free(b);
			return (-1);
		}
		len = n;
	} else {
		for (i = 0; i < len; i++)
			if (val[i] < 0x20 || val[i] > 0x7e) {
				free(b);
				return (-1);
			}
		memcpy(b, val, len);
	}
	b[len] = '\0';
	*out = b;
	*outlen = len;
	return (0);
}

/*
 * Does the version v[0..n) (YYYY-MM-DD) ask for the header check, being
 * MCPHDR_MODERN or later?  Returns 1 or 0.
 */
int
mcphdr_modern(const char *v, size_t n)
{
	size_t	 i;

	if (n != 10)
		return (0);
	for (i = 0; i < n; i++)
		if (i == 4 || i == 7 ? v[i] != '-' : v[i] < '0' || v[i] > '9')
			return (0);
	return (memcmp(v, MCPHDR_MODERN, n) >= 0);
}

static int
same(const char *a, size_t alen, const char *b)
{
	return (alen == strlen(b) && memcmp(a, b, alen) == 0);
}

/* Mcp-Name against the body's name or uri. */
static enum mcphdr_result
check_name(const struct mcphdr *h, const struct jsonrpc *m, int required,
    const char **why)
{
	const char	*target = jsonrpc_target(m);
	char		*v;
	size_t		 n;
	int		 eq;

	if (h->nname == 0) {
		if (target != NULL && required) {
			*why = "Mcp-Name header missing";
			return (MCPHDR_MISMATCH);
		}
		return (MCPHDR_OK);
	}
	if (target == NULL) {
		*why = "Mcp-Name header on a method without a name";
		return (MCPHDR_MISMATCH);
	}
	if (mcphdr_decode(h->name, h->namelen, &v, &n) == -1) {
		*why = "Mcp-Name header malformed";
		return (MCPHDR_MISMATCH);
	}
	eq = n == strlen(target) && memcmp(v, target, n) == 0;
	free(v);
	if (!eq) {
		*why = "Mcp-Name header does not match the body";
		return (MCPHDR_MISMATCH);
	}
	return (MCPHDR_OK);
}

/*
 * Check a request's headers h against its body m (jsonrpc_parse gave
 * JSONRPC_OK).  Returns MCPHDR_OK, or MCPHDR_MISMATCH with *why: the
 * caller answers 400 with JSON-RPC error MCPHDR_MISMATCH_CODE.
 */
enum mcphdr_result
mcphdr_check(const struct mcphdr *h, const struct jsonrpc *m,
    const char **why)
{
	size_t	 i;
	int	 modern, required;

	*why = NULL;
	if (h->nversion > 1 || h->nmethod > 1 || h->nname > 1) {
		*why = "an MCP header given twice";
		return (MCPHDR_MISMATCH);
	}
	if (m->kind == JSONRPC_RESPONSE) {
		if (h->nmethod != 0 || h->nname != 0) {
			*why = "Mcp-Method or Mcp-Name on a response";
			return (MCPHDR_MISMATCH);
		}
		return (MCPHDR_OK);
	}
	modern = (h->nversion && mcphdr_modern(h->version, h->versionlen)) ||
	    (m->version != NULL && mcphdr_modern(m->version,
	    strlen(m->version)));
	required = modern && m->kind == JSONRPC_REQUEST;
	if (m->version != NULL && h->nversion == 0 && modern) {
		*why = "MCP-Protocol-Version header missing";
		return (MCPHDR_MISMATCH);
	}
	if (h->nversion != 0 && (m->version != NULL ? !same(h->version,
	    h->versionlen, m->version) : required)) {
		*why = "MCP-Protocol-Version header does not match _meta";
		return (MCPHDR_MISMATCH);
	}
	if (h->nmethod == 0) {
		if (required) {
			*why = "Mcp-Method header missing";
			return (MCPHDR_MISMATCH);
		}
	} else {
		for (i = 0; i < h->methodlen; i++)
			if (h->method[i] < 0x20 || h->method[i] > 0x7e)
				break;
		if (i < h->methodlen || !same(h->method, h->methodlen,
		    m->method)) {
			*why = "Mcp-Method header does not match the body";
			return (MCPHDR_MISMATCH);
		}
	}
	return (check_name(h, m, required, why));
}
