/*
 * Token validation against a real key file: keys generated at run
 * time (two RSA-2048, EC P-256, P-384, P-521), the public halves
 * published through the key file writer and mapped by the reader,
 * tokens signed here with the private halves.  A table of good and
 * (many more) bad tokens, each fed in a heap buffer of exactly its
 * length with no NUL after it, so ASan sees any read past len; then
 * the info fields, the hash and the reasons.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "keyfile.h"
#include "../../mcpproxyd/token.h"
#include "unit.h"
#include "unit_b64url.h"

#define NITEMS(a)	(sizeof(a) / sizeof((a)[0]))

#define ISS	"https://auth.example/realms/test"
#define ISS2	"https://gone.example"
#define AUD	"https://mcp.example/mcp"

/* Headers. */
#define HDR(alg, kid)	"{\"alg\":\"" alg "\",\"typ\":\"at+jwt\",\"kid\":\"" \
			kid "\"}"
#define HRS		HDR("RS256", "rsa-1")
#define HES		HDR("ES256", "ec-1")

/* Payloads: @+N and @-N are now plus or minus N seconds. */
#define C_ISS		"\"iss\":\"" ISS "\""
#define C_AUD		"\"aud\":\"" AUD "\""
#define C_WHO		"\"sub\":\"eitan\",\"client_id\":\"inspector\""
#define C_SCOPE		"\"scope\":\"openid mcp:tools\""
#define C_IAT		"\"iat\":@-10"
#define C_EXP		"\"exp\":@+300"
#define PAYX(x)		"{" C_ISS "," C_AUD "," C_WHO "," C_SCOPE "," C_IAT \
			"," C_EXP x "}"
#define PAY		PAYX("")
/* The standard payload with the claim c in place of one of them. */
#define NO_ISS(c)	"{" c C_AUD "," C_WHO "," C_SCOPE "," C_IAT "," C_EXP "}"
#define NO_AUD(c)	"{" C_ISS "," c C_WHO "," C_SCOPE "," C_IAT "," C_EXP "}"
#define NO_SCOPE(c)	"{" C_ISS "," C_AUD "," C_WHO "," c C_IAT "," C_EXP "}"
#define NO_IAT(c)	"{" C_ISS "," C_AUD "," C_WHO "," C_SCOPE "," c C_EXP "}"
#define NO_EXP(c)	"{" C_ISS "," C_AUD "," C_WHO "," C_SCOPE "," C_IAT c "}"

enum key { K_RSA, K_RSA2, K_EC, K_EC384, K_EC521, NKEYS };

enum signer {
	SG_RS256, SG_RS384, SG_RS512, SG_PS256, SG_ES256, SG_ES384,
	SG_ES512,
	SG_ES256_DER,	/* the DER OpenSSL produces, not raw R||S */
	SG_HS256_PEM,	/* HMAC keyed with the RSA public key's PEM */
	SG_HS512_PEM,
	SG_NONE,	/* empty signature */
	SG_ZERO		/* 64 zero bytes */
};

enum mutation {
	M_NONE,
	M_TAMPER,	/* present pay, signature over alt */
	M_PAD,		/* base64 padding on the signature */
	M_NONCANON,	/* unused trailing bits of the signature set */
	M_STDB64,	/* '+' in the signature */
	M_SPACE,	/* a space after the first dot */
	M_NUL,		/* a NUL byte in the payload part */
	M_FOUR,		/* a fourth part */
	M_SIG_LONG,	/* one byte more of signature */
	M_SIG_SHORT	/* one byte less */
};

enum policy { P_DEF, P_GONE, P_SMALL, P_NOSCOPE, P_TWOSCOPES, P_NOLEEWAY,
	P_NOAUD, P_OTHERAUD,
	P_LIFE };	/* max_lifetime 3600 (a local issuer's max_token_lifetime) */

struct tcase {
	const char		*name;
	const char		*hdr;
	const char		*pay;
	enum signer		 sg;
	enum key		 key;
	enum mutation		 mut;
	const char		*alt;	/* M_TAMPER: the payload signed */
	const char		*raw;	/* a literal token instead */
	enum policy		 pol;
	enum token_status	 want;
};

#define GOOD(n, h, p, s, k)						\
	{ .name = (n), .hdr = (h), .pay = (p), .sg = (s), .key = (k),	\
	  .want = TOKEN_OK }
#define BAD(n, h, p, s, k, w)						\
	{ .name = (n), .hdr = (h), .pay = (p), .sg = (s), .key = (k),	\
	  .want = (w) }
#define MUT(n, h, p, s, k, m, w)					\
	{ .name = (n), .hdr = (h), .pay = (p), .sg = (s), .key = (k),	\
	  .mut = (m), .want = (w) }
#define POL(n, h, p, s, k, pl, w)					\
	{ .name = (n), .hdr = (h), .pay = (p), .sg = (s), .key = (k),	\
	  .pol = (pl), .want = (w) }
#define RAW(n, r)							\
	{ .name = (n), .raw = (r), .want = TOKEN_MALFORMED }

#define DEEP	"[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]"

static const struct tcase cases[] = {
	/* good */
	GOOD("rs256", HRS, PAY, SG_RS256, K_RSA),
	GOOD("es256", HES, PAY, SG_ES256, K_EC),
	GOOD("ps256", HDR("PS256", "ps-1"), PAY, SG_PS256, K_RSA),
	GOOD("rs384", HDR("RS384", "rs384"), PAY, SG_RS384, K_RSA),
	GOOD("rs512", HDR("RS512", "rs512"), PAY, SG_RS512, K_RSA),
	GOOD("es384", HDR("ES384", "ec-384"), PAY, SG_ES384, K_EC384),
	GOOD("es512", HDR("ES512", "ec-521"), PAY, SG_ES512, K_EC521),
	GOOD("aud array", HRS,
	    NO_AUD("\"aud\":[\"other\",\"echo-mcp-server\"],"), SG_RS256,
	    K_RSA),
	GOOD("no typ", "{\"alg\":\"RS256\",\"kid\":\"rsa-1\"}", PAY,
	    SG_RS256, K_RSA),
	GOOD("typ JWT", "{\"alg\":\"RS256\",\"typ\":\"JWT\",\"kid\":\"rsa-1\"}",
	    PAY, SG_RS256, K_RSA),
	GOOD("typ application/at+jwt any case",
	    "{\"typ\":\"Application/AT+JWT\",\"kid\":\"rsa-1\",\"alg\":\"RS256\"}",
	    PAY, SG_RS256, K_RSA),
	GOOD("scp array", HRS,
	    NO_SCOPE("\"scp\":[\"openid\",\"mcp:tools\"],"), SG_RS256, K_RSA),
	GOOD("scp string", HRS, NO_SCOPE("\"scp\":\"mcp:tools openid\","),
	    SG_RS256, K_RSA),
	GOOD("scope with extra spaces", HRS,
	    NO_SCOPE("\"scope\":\"  openid   mcp:tools  \","), SG_RS256, K_RSA),
	GOOD("exp at the leeway edge", HRS, NO_EXP(",\"exp\":@-29"),
	    SG_RS256, K_RSA),
	GOOD("nbf at the leeway edge", HRS, PAYX(",\"nbf\":@+30"), SG_RS256,
	    K_RSA),
	GOOD("iat at the leeway edge", HRS, NO_IAT("\"iat\":@+30,"),
	    SG_RS256, K_RSA),
	GOOD("real exp", HRS, NO_EXP(",\"exp\":@+300.5"), SG_RS256, K_RSA),
	GOOD("no iat", HRS, NO_IAT(""), SG_RS256, K_RSA),
	POL("no scope, none required", HRS, NO_SCOPE(""), SG_RS256, K_RSA,
	    P_NOSCOPE, TOKEN_OK),
	GOOD("keycloak-like nesting and azp", HRS,
	    PAYX(",\"azp\":\"x\",\"realm_access\":{\"roles\":[\"a\"]},"
	    "\"resource_access\":{\"c\":{\"roles\":[\"b\",{\"d\":[1]}]}}"),
	    SG_RS256, K_RSA),
	GOOD("ignores jku and jwk", "{\"alg\":\"RS256\",\"kid\":\"rsa-1\","
	    "\"jku\":\"https://evil\",\"jwk\":{\"kty\":\"oct\",\"k\":\"AA\"}}",
	    PAY, SG_RS256, K_RSA),

	/* times */
	BAD("expired", HRS, NO_EXP(",\"exp\":@-100"), SG_RS256, K_RSA,
	    TOKEN_EXPIRED),
	BAD("expired at the leeway edge", HRS, NO_EXP(",\"exp\":@-30"),
	    SG_RS256, K_RSA, TOKEN_EXPIRED),
	POL("expired now, no leeway", HRS, NO_EXP(",\"exp\":@+0"), SG_RS256,
	    K_RSA, P_NOLEEWAY, TOKEN_EXPIRED),
	BAD("real exp rounded down", HRS, NO_EXP(",\"exp\":@-30.5"),
	    SG_RS256, K_RSA, TOKEN_EXPIRED),
	BAD("not yet valid", HRS, PAYX(",\"nbf\":@+100"), SG_RS256, K_RSA,
	    TOKEN_NOT_YET_VALID),
	BAD("nbf past the leeway edge", HRS, PAYX(",\"nbf\":@+31"), SG_RS256,
	    K_RSA, TOKEN_NOT_YET_VALID),
	BAD("iat in the future", HRS, NO_IAT("\"iat\":@+100,"), SG_RS256,
	    K_RSA, TOKEN_ISSUED_IN_FUTURE),
	BAD("missing exp", HRS, NO_EXP(""), SG_RS256, K_RSA, TOKEN_NO_EXP),
	/* max_token_lifetime 1h: exp - iat, and exp - now without iat */
#define LIFE(iat_exp)	"{" C_ISS "," C_AUD "," C_WHO "," C_SCOPE iat_exp "}"
	POL("lifetime at the bound", HRS, LIFE(",\"iat\":@-10,\"exp\":@+3590"),
	    SG_RS256, K_RSA, P_LIFE, TOKEN_OK),
	POL("lifetime a second over the bound", HRS,
	    LIFE(",\"iat\":@-10,\"exp\":@+3591"), SG_RS256, K_RSA, P_LIFE,
	    TOKEN_BAD_CLAIM),
	POL("lifetime of a year", HRS,
	    LIFE(",\"iat\":@-10,\"exp\":@+31536000"), SG_RS256, K_RSA,
	    P_LIFE, TOKEN_BAD_CLAIM),
	POL("no iat, exp within the bound", HRS, LIFE(",\"exp\":@+3600"),
	    SG_RS256, K_RSA, P_LIFE, TOKEN_OK),
	POL("no iat, exp past the bound and the leeway", HRS,
	    LIFE(",\"exp\":@+3631"), SG_RS256, K_RSA, P_LIFE,
	    TOKEN_BAD_CLAIM),
	POL("iat a day old, exp near", HRS,
	    LIFE(",\"iat\":@-86400,\"exp\":@+300"), SG_RS256, K_RSA, P_LIFE,
	    TOKEN_BAD_CLAIM),
	POL("the bound unset: a year", HRS,
	    LIFE(",\"iat\":@-10,\"exp\":@+31536000"), SG_RS256, K_RSA,
	    P_DEF, TOKEN_OK),
	BAD("exp as string", HRS, NO_EXP(",\"exp\":\"@+300\""), SG_RS256,
	    K_RSA, TOKEN_MALFORMED),
	BAD("exp null", HRS, NO_EXP(",\"exp\":null"), SG_RS256, K_RSA,
	    TOKEN_MALFORMED),
	BAD("exp 1e300", HRS, NO_EXP(",\"exp\":1e300"), SG_RS256, K_RSA,
	    TOKEN_MALFORMED),
	BAD("exp beyond int64", HRS, NO_EXP(",\"exp\":99999999999999999999"),
	    SG_RS256, K_RSA, TOKEN_MALFORMED),
	BAD("nbf as string", HRS, PAYX(",\"nbf\":\"0\""), SG_RS256, K_RSA,
	    TOKEN_MALFORMED),
	BAD("iat as boolean", HRS, NO_IAT("\"iat\":true,"), SG_RS256, K_RSA,
	    TOKEN_MALFORMED),

	/* issuer */
	BAD("wrong issuer", HRS, NO_ISS("\"iss\":\"https://evil.example\","),
	    SG_RS256, K_RSA, TOKEN_BAD_ISSUER),
	BAD("issuer with a trailing slash", HRS,
	    NO_ISS("\"iss\":\"" ISS "/\","), SG_RS256, K_RSA,
	    TOKEN_BAD_ISSUER),
	BAD("missing iss", HRS, NO_ISS(""), SG_RS256, K_RSA,
	    TOKEN_BAD_ISSUER),
	BAD("iss as array", HRS, NO_ISS("\"iss\":[\"" ISS "\"],"), SG_RS256,
	    K_RSA, TOKEN_BAD_ISSUER),
	BAD("wrong issuer and unknown kid", HDR("RS256", "nope"),
	    NO_ISS("\"iss\":\"https://evil.example\","), SG_RS256, K_RSA,
	    TOKEN_BAD_ISSUER),

	/* audience */
	BAD("wrong audience", HRS, NO_AUD("\"aud\":\"https://other/mcp\","),
	    SG_RS256, K_RSA, TOKEN_BAD_AUDIENCE),
	BAD("audience prefix", HRS, NO_AUD("\"aud\":\"https://mcp.example\","),
	    SG_RS256, K_RSA, TOKEN_BAD_AUDIENCE),
	BAD("aud array without a match", HRS,
	    NO_AUD("\"aud\":[\"a\",\"b\"],"), SG_RS256, K_RSA,
	    TOKEN_BAD_AUDIENCE),
	BAD("missing aud", HRS, NO_AUD(""), SG_RS256, K_RSA,
	    TOKEN_BAD_AUDIENCE),
	BAD("empty aud array", HRS, NO_AUD("\"aud\":[],"), SG_RS256, K_RSA,
	    TOKEN_BAD_AUDIENCE),
	BAD("aud array with a number", HRS,
	    NO_AUD("\"aud\":[\"" AUD "\",1],"), SG_RS256, K_RSA,
	    TOKEN_BAD_AUDIENCE),
	POL("good token, route with another audience", HRS, PAY, SG_RS256,
	    K_RSA, P_OTHERAUD, TOKEN_BAD_AUDIENCE),
	POL("policy without audiences", HRS, PAY, SG_RS256, K_RSA, P_NOAUD,
	    TOKEN_BAD_AUDIENCE),

	/* signature */
	{ .name = "tampered payload", .hdr = HRS,
	  .pay = NO_SCOPE("\"scope\":\"openid mcp:tools mcp:admin\","),
	  .alt = PAY, .sg = SG_RS256, .key = K_RSA, .mut = M_TAMPER,
	  .want = TOKEN_BAD_SIGNATURE },
	{ .name = "tampered es256 payload", .hdr = HES,
	  .pay = NO_EXP(",\"exp\":@+99999"), .alt = PAY, .sg = SG_ES256,
	  .key = K_EC, .mut = M_TAMPER, .want = TOKEN_BAD_SIGNATURE },
	BAD("signed by another key, same kid", HRS, PAY, SG_RS256, K_RSA2,
	    TOKEN_BAD_SIGNATURE),
	BAD("expired and signed by another key", HRS,
	    NO_EXP(",\"exp\":@-100"), SG_RS256, K_RSA2, TOKEN_BAD_SIGNATURE),
	BAD("ps256 header, pkcs1 signature", HDR("PS256", "ps-1"), PAY,
	    SG_RS256, K_RSA, TOKEN_BAD_SIGNATURE),
	BAD("es256 signature of 64 zero bytes", HES, PAY, SG_ZERO, K_EC,
	    TOKEN_BAD_SIGNATURE),
	MUT("es256 signature one byte long", HES, PAY, SG_ES256, K_EC,
	    M_SIG_LONG, TOKEN_BAD_SIGNATURE),
	MUT("es256 signature one byte short", HES, PAY, SG_ES256, K_EC,
	    M_SIG_SHORT, TOKEN_BAD_SIGNATURE),
	BAD("es256 signature in der", HES, PAY, SG_ES256_DER, K_EC,
	    TOKEN_BAD_SIGNATURE),
	MUT("rs256 signature one byte short", HRS, PAY, SG_RS256, K_RSA,
	    M_SIG_SHORT, TOKEN_BAD_SIGNATURE),
	MUT("rs256 signature one byte long", HRS, PAY, SG_RS256, K_RSA,
	    M_SIG_LONG, TOKEN_BAD_SIGNATURE),

	/* algorithm */
	BAD("alg none, empty signature",
	    "{\"alg\":\"none\",\"kid\":\"rsa-1\"}", PAY, SG_NONE, K_RSA,
	    TOKEN_BAD_ALG),
	BAD("alg none, with a signature",
	    "{\"alg\":\"none\",\"kid\":\"rsa-1\"}", PAY, SG_RS256, K_RSA,
	    TOKEN_BAD_ALG),
	BAD("alg NONE", "{\"alg\":\"NONE\",\"kid\":\"rsa-1\"}", PAY, SG_NONE,
	    K_RSA, TOKEN_BAD_ALG),
	BAD("hs256 keyed with the public key pem", HDR("HS256", "rsa-1"), PAY,
	    SG_HS256_PEM, K_RSA, TOKEN_BAD_ALG),
	BAD("hs512 keyed with the public key pem", HDR("HS512", "rsa-1"), PAY,
	    SG_HS512_PEM, K_RSA, TOKEN_BAD_ALG),
	BAD("rs256 on the ec key", HDR("RS256", "ec-1"), PAY, SG_RS256, K_RSA,
	    TOKEN_BAD_ALG),
	BAD("es256 on the rsa key", HDR("ES256", "rsa-1"), PAY, SG_ES256,
	    K_EC, TOKEN_BAD_ALG),
	BAD("ps256 on the rs256 key", HDR("PS256", "rsa-1"), PAY, SG_PS256,
	    K_RSA, TOKEN_BAD_ALG),
	BAD("rs256 on the ps256 key", HDR("RS256", "ps-1"), PAY, SG_RS256,
	    K_RSA, TOKEN_BAD_ALG),
	BAD("rs512 on the rs256 key", HDR("RS512", "rsa-1"), PAY, SG_RS512,
	    K_RSA, TOKEN_BAD_ALG),
	BAD("es384 on the es256 key", HDR("ES384", "ec-1"), PAY, SG_ES384,
	    K_EC384, TOKEN_BAD_ALG),
	BAD("alg EdDSA", HDR("EdDSA", "rsa-1"), PAY, SG_RS256, K_RSA,
	    TOKEN_BAD_ALG),
	BAD("alg rs256 in lower case", HDR("rs256", "rsa-1"), PAY, SG_RS256,
	    K_RSA, TOKEN_BAD_ALG),
	BAD("missing alg", "{\"kid\":\"rsa-1\"}", PAY, SG_RS256, K_RSA,
	    TOKEN_MALFORMED),
	BAD("alg as number", "{\"alg\":256,\"kid\":\"rsa-1\"}", PAY, SG_RS256,
	    K_RSA, TOKEN_MALFORMED),

	/* kid and key file */
	BAD("unknown kid", HDR("RS256", "rsa-9"), PAY, SG_RS256, K_RSA,
	    TOKEN_UNKNOWN_KID),
	BAD("kid of another issuer", HDR("RS256", "old-1"), PAY, SG_RS256,
	    K_RSA, TOKEN_UNKNOWN_KID),
	POL("issuer past its hard expiry", HRS,
	    NO_ISS("\"iss\":\"" ISS2 "\","), SG_RS256, K_RSA, P_GONE,
	    TOKEN_UNKNOWN_KID),
	BAD("missing kid", "{\"alg\":\"RS256\",\"typ\":\"at+jwt\"}", PAY,
	    SG_RS256, K_RSA, TOKEN_MALFORMED),
	BAD("empty kid", HDR("RS256", ""), PAY, SG_RS256, K_RSA,
	    TOKEN_MALFORMED),
	BAD("kid as number", "{\"alg\":\"RS256\",\"kid\":1}", PAY, SG_RS256,
	    K_RSA, TOKEN_MALFORMED),
	BAD("kid of 129 characters", HDR("RS256",
	    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	    "x"), PAY, SG_RS256, K_RSA, TOKEN_MALFORMED),
	BAD("kid with a control character", HDR("RS256", "rsa-1\\n"), PAY,
	    SG_RS256, K_RSA, TOKEN_MALFORMED),

	/* header */
	BAD("crit header", "{\"alg\":\"RS256\",\"kid\":\"rsa-1\","
	    "\"crit\":[\"exp\"],\"exp\":1}", PAY, SG_RS256, K_RSA,
	    TOKEN_MALFORMED),
	BAD("typ JOSE+JSON",
	    "{\"alg\":\"RS256\",\"typ\":\"JOSE+JSON\",\"kid\":\"rsa-1\"}", PAY,
	    SG_RS256, K_RSA, TOKEN_BAD_TYP),
	BAD("typ JOSE", "{\"alg\":\"RS256\",\"typ\":\"JOSE\",\"kid\":\"rsa-1\"}",
	    PAY, SG_RS256, K_RSA, TOKEN_BAD_TYP),
	BAD("typ at+jwt2",
	    "{\"alg\":\"RS256\",\"typ\":\"at+jwt2\",\"kid\":\"rsa-1\"}", PAY,
	    SG_RS256, K_RSA, TOKEN_BAD_TYP),
	BAD("typ as number", "{\"alg\":\"RS256\",\"typ\":1,\"kid\":\"rsa-1\"}",
	    PAY, SG_RS256, K_RSA, TOKEN_BAD_TYP),
	BAD("duplicate alg", "{\"alg\":\"none\",\"alg\":\"RS256\","
	    "\"kid\":\"rsa-1\"}", PAY, SG_RS256, K_RSA, TOKEN_MALFORMED),
	BAD("header is an array", "[\"RS256\"]", PAY, SG_RS256, K_RSA,
	    TOKEN_MALFORMED),
	BAD("header is not json", "alg=RS256", PAY, SG_RS256, K_RSA,
	    TOKEN_MALFORMED),

	/* payload */
	BAD("duplicate iss", HRS, "{\"iss\":\"https://evil\"," C_ISS "," C_AUD
	    "," C_WHO "," C_SCOPE "," C_EXP "}", SG_RS256, K_RSA,
	    TOKEN_MALFORMED),
	BAD("duplicate nested name", HRS,
	    PAYX(",\"realm_access\":{\"roles\":[],\"roles\":[\"admin\"]}"),
	    SG_RS256, K_RSA, TOKEN_MALFORMED),
	BAD("payload invalid utf-8", HRS, PAYX(",\"name\":\"\xff\xfe\""),
	    SG_RS256, K_RSA, TOKEN_MALFORMED),
	BAD("payload overlong utf-8", HRS, PAYX(",\"name\":\"\xc0\xaf\""),
	    SG_RS256, K_RSA, TOKEN_MALFORMED),
	BAD("payload with \\u0000", HRS,
	    NO_ISS("\"iss\":\"" ISS "\\u0000x\","), SG_RS256, K_RSA,
	    TOKEN_MALFORMED),
	BAD("payload with trailing garbage", HRS, PAY "x", SG_RS256, K_RSA,
	    TOKEN_MALFORMED),
	BAD("two payload objects", HRS, PAY PAY, SG_RS256, K_RSA,
	    TOKEN_MALFORMED),
	BAD("payload is a string", HRS, "\"" ISS "\"", SG_RS256, K_RSA,
	    TOKEN_MALFORMED),
	BAD("payload nested too deep", HRS, PAYX(",\"x\":" DEEP), SG_RS256,
	    K_RSA, TOKEN_MALFORMED),
	BAD("scope as array", HRS, NO_SCOPE("\"scope\":[\"mcp:tools\"],"),
	    SG_RS256, K_RSA, TOKEN_MALFORMED),
	BAD("scp array with a number", HRS,
	    NO_SCOPE("\"scp\":[\"mcp:tools\",1],"), SG_RS256, K_RSA,
	    TOKEN_MALFORMED),

	/* scope: 403 */
	BAD("missing scope", HRS, NO_SCOPE(""), SG_RS256, K_RSA,
	    TOKEN_INSUFFICIENT_SCOPE),
	BAD("scope prefix only", HRS, NO_SCOPE("\"scope\":\"mcp:tool\","),
	    SG_RS256, K_RSA, TOKEN_INSUFFICIENT_SCOPE),
	BAD("scope longer", HRS, NO_SCOPE("\"scope\":\"mcp:toolsx\","),
	    SG_RS256, K_RSA, TOKEN_INSUFFICIENT_SCOPE),
	BAD("scope in another claim", HRS, NO_SCOPE("\"roles\":\"mcp:tools\","),
	    SG_RS256, K_RSA, TOKEN_INSUFFICIENT_SCOPE),
	POL("one of two required scopes", HRS, PAY, SG_RS256, K_RSA,
	    P_TWOSCOPES, TOKEN_INSUFFICIENT_SCOPE),

	/* encoding and structure */
	MUT("base64 padding", HRS, PAY, SG_RS256, K_RSA, M_PAD,
	    TOKEN_MALFORMED),
	MUT("non-canonical base64url", HRS, PAY, SG_RS256, K_RSA, M_NONCANON,
	    TOKEN_MALFORMED),
	MUT("standard base64 alphabet", HRS, PAY, SG_RS256, K_RSA, M_STDB64,
	    TOKEN_MALFORMED),
	MUT("space in the token", HRS, PAY, SG_RS256, K_RSA, M_SPACE,
	    TOKEN_MALFORMED),
	MUT("nul byte in the token", HRS, PAY, SG_RS256, K_RSA, M_NUL,
	    TOKEN_MALFORMED),
	MUT("four parts", HRS, PAY, SG_RS256, K_RSA, M_FOUR, TOKEN_MALFORMED),
	BAD("empty signature", HRS, PAY, SG_NONE, K_RSA, TOKEN_MALFORMED),
	POL("oversize", HRS, PAY, SG_RS256, K_RSA, P_SMALL,
	    TOKEN_TOO_LARGE),
	RAW("garbage", "garbage"),
	RAW("empty", ""),
	RAW("two dots only", ".."),
	RAW("two parts", "eyJhbGciOiJSUzI1NiJ9.eyJ9"),
	RAW("empty header", ".eyJ9.AAAA"),
	RAW("empty payload", "eyJhbGciOiJSUzI1NiJ9..AAAA"),
	RAW("part of length 1 mod 4", "eyJhbGciOiJSUzI1NiJ9.e.AAAA"),
	RAW("bearer prefix left in", "Bearer eyJhbGciOiJSUzI1NiJ9.eyJ9.AAAA"),
	RAW("trailing newline", "eyJhbGciOiJSUzI1NiJ9.eyJ9.AAAA\n"),
};

static EVP_PKEY	*keys[NKEYS];
static char	*rsa_pem;
static size_t	 rsa_pem_len;
static char	 dir[] = "/tmp/token-test.XXXXXX";
static char	 kfpath[256];

static const char *const auds[] = { AUD, "echo-mcp-server" };
static const char *const other_auds[] = { "https://other/mcp" };
static const char *const one_scope[] = { "mcp:tools" };
static const char *const two_scopes[] = { "mcp:tools", "mcp:admin" };

static struct token_policy
policy(enum policy p)
{
	struct token_policy	 pol = {
		.issuer = ISS,
		.audiences = auds,
		.naudiences = NITEMS(auds),
		.required_scopes = one_scope,
		.nrequired = NITEMS(one_scope),
		.leeway = 30,
		.max_token = 8192,
	};

	switch (p) {
	case P_GONE:
		pol.issuer = ISS2;
		break;
	case P_SMALL:
		pol.max_token = 200;
		break;
	case P_NOSCOPE:
		pol.nrequired = 0;
		break;
	case P_TWOSCOPES:
		pol.required_scopes = two_scopes;
		pol.nrequired = NITEMS(two_scopes);
		break;
	case P_NOLEEWAY:
		pol.leeway = 0;
		break;
	case P_LIFE:
		pol.max_lifetime = 3600;
		break;
	case P_NOAUD:
		pol.naudiences = 0;
		break;
	case P_OTHERAUD:
		pol.audiences = other_auds;
		pol.naudiences = NITEMS(other_auds);
		break;
	case P_DEF:
		break;
	}
	return (pol);
}

/* Replace @+N / @-N by now plus N (the rest of the digits stay). */
static char *
expand(const char *tpl, time_t now)
{
	char	*out = malloc(strlen(tpl) * 2 + 64), *o = out, *end;
	long	 off;

	while (*tpl != '\0') {
		if (*tpl != '@') {
			*o++ = *tpl++;
			continue;
		}
		off = strtol(tpl + 1, &end, 10);
		o += sprintf(o, "%lld", (long long)now + off);
		tpl = end;
	}
	*o = '\0';
	return (out);
}

static const EVP_MD *
md_of(enum signer sg)
{
	switch (sg) {
	case SG_RS384:
	case SG_ES384:
		return (EVP_sha384());
	case SG_RS512:
	case SG_ES512:
	case SG_HS512_PEM:
		return (EVP_sha512());
	default:
		return (EVP_sha256());
	}
}

/* DER ECDSA signature to the JWS raw R||S. */
static size_t
der_to_raw(const unsigned char *der, size_t len, size_t half,
    unsigned char *out)
{
	const BIGNUM	*r, *s;
	ECDSA_SIG	*es;

	if ((es = d2i_ECDSA_SIG(NULL, &der, (long)len)) == NULL)
		return (0);
	ECDSA_SIG_get0(es, &r, &s);
	BN_bn2binpad(r, out, (int)half);
	BN_bn2binpad(s, out + half, (int)half);
	ECDSA_SIG_free(es);
	return (2 * half);
}

static size_t
sign(enum signer sg, EVP_PKEY *key, const char *in, unsigned char *sig)
{
	unsigned char	 der[1024];
	EVP_MD_CTX	*ctx;
	EVP_PKEY_CTX	*pctx;
	size_t		 n = 1024;
	int		 ok;

	switch (sg) {
	case SG_NONE:
		return (0);
	case SG_ZERO:
		memset(sig, 0, 64);
		return (64);
	case SG_HS256_PEM:
	case SG_HS512_PEM:
		if (EVP_Q_mac(NULL, "HMAC", NULL, EVP_MD_get0_name(md_of(sg)),
		    NULL, rsa_pem, rsa_pem_len, (const unsigned char *)in,
		    strlen(in), sig, 1024, &n) == NULL)
			return (0);
		return (n);
	default:
		break;
	}
	ctx = EVP_MD_CTX_new();
	ok = EVP_DigestSignInit(ctx, &pctx, md_of(sg), NULL, key) == 1;
	if (ok && sg == SG_PS256)
		ok = EVP_PKEY_CTX_set_rsa_padding(pctx,
		    RSA_PKCS1_PSS_PADDING) == 1 &&
		    EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx,
		    RSA_PSS_SALTLEN_DIGEST) == 1;
	ok = ok && EVP_DigestSign(ctx, der, &n, (const unsigned char *)in,
	    strlen(in)) == 1;
	EVP_MD_CTX_free(ctx);
	CHECK(ok, "signing failed");
	if (!ok)
		return (0);
	switch (sg) {
	case SG_ES256:
		return (der_to_raw(der, n, 32, sig));
	case SG_ES384:
		return (der_to_raw(der, n, 48, sig));
	case SG_ES512:
		return (der_to_raw(der, n, 66, sig));
	default:
		memcpy(sig, der, n);
		return (n);
	}
}

/* The token of a case, malloc'd; its length in *len. */
static char *
build(const struct tcase *c, time_t now, size_t *len)
{
	unsigned char	 sig[1100];
	char		*hdr, *pay, *alt, *pay64, *alt64, *sig64, *in, *tok;
	size_t		 n, siglen;

	if (c->raw != NULL) {
		*len = strlen(c->raw);
		return (strdup(c->raw));
	}
	hdr = b64url((const unsigned char *)c->hdr, strlen(c->hdr));
	pay = expand(c->pay, now);
	pay64 = b64url((unsigned char *)pay, strlen(pay));
	alt = expand(c->alt != NULL ? c->alt : c->pay, now);
	alt64 = b64url((unsigned char *)alt, strlen(alt));
	in = malloc(strlen(hdr) + strlen(alt64) + 2);
	sprintf(in, "%s.%s", hdr, alt64);
	siglen = sign(c->sg, keys[c->key], in, sig);
	if (c->mut == M_SIG_LONG)
		sig[siglen++] = 0;
	else if (c->mut == M_SIG_SHORT)
		siglen--;
	sig64 = b64url(sig, siglen);
	n = strlen(hdr) + strlen(pay64) + strlen(sig64) + 16;
	tok = malloc(n);
	switch (c->mut) {
	case M_PAD:
		snprintf(tok, n, "%s.%s.%s==", hdr, pay64, sig64);
		break;
	case M_FOUR:
		snprintf(tok, n, "%s.%s.%s.AAAA", hdr, pay64, sig64);
		break;
	case M_SPACE:
		snprintf(tok, n, "%s. %s.%s", hdr, pay64, sig64);
		break;
	default:
		snprintf(tok, n, "%s.%s.%s", hdr, pay64, sig64);
		break;
	}
	*len = strlen(tok);
	if (c->mut == M_NONCANON) {
		/* 256 bytes: the last character carries 4 unused bits */
		CHECK(siglen % 3 == 1, "noncanon needs siglen 1 mod 3");
		tok[*len - 1] = tok[*len - 1] == 'A' ? 'B' : tok[*len - 1] ==
		    'Q' ? 'R' : tok[*len - 1] == 'g' ? 'h' : 'x';
	} else if (c->mut == M_STDB64)
		tok[strlen(hdr) + strlen(pay64) + 2] = '+';
	else if (c->mut == M_NUL)
		tok[strlen(hdr) + 3] = '\0';
	free(hdr);
	free(pay);
	free(alt);
	free(pay64);
	free(alt64);
	free(sig64);
	free(in);
	return (tok);
}

/* token_check on an exactly-sized heap copy (no NUL after the token). */
static enum token_status
check_exact(const char *tok, size_t len, const struct keyfile *kf,
    const struct token_policy *pol, time_t now, struct token_info *info,
    const char **why)
{
	enum token_status	 st;
	char			*copy;

	copy = malloc(len > 0 ? len : 1);
	memcpy(copy, tok, len);
	st = token_check(len > 0 ? copy : copy + 1, len, kf, pol, now, info,
	    why);
	free(copy);
	return (st);
}

static int
why_ok(const char *why)
{
	size_t	 i;

	if (why == NULL || why[0] == '\0' || strlen(why) > 60)
		return (0);
	for (i = 0; why[i] != '\0'; i++)
		if (!islower((unsigned char)why[i]) && why[i] != ' ' &&
		    why[i] != ',' && why[i] != '-' && why[i] != '+' &&
		    !isdigit((unsigned char)why[i]))
			return (0);
	return (1);
}

static void
test_table(const struct keyfile *kf, time_t now)
{
	struct token_policy	 pol;
	struct token_info	 info;
	const struct tcase	*c;
	const char		*why;
	enum token_status	 st;
	size_t			 i, len, good = 0, bad = 0;
	char			*tok;

	for (i = 0; i < NITEMS(cases); i++) {
		c = &cases[i];
		tok = build(c, now, &len);
		pol = policy(c->pol);
		why = NULL;
		st = check_exact(tok, len, kf, &pol, now, &info, &why);
		if (getenv("TOKEN_VERBOSE") != NULL)
			printf("%-44s %-22s %s\n", c->name,
			    token_status_text(st), why);
		CHECK(st == c->want, "%s: got %s (%s), want %s", c->name,
		    token_status_text(st), why ? why : "-",
		    token_status_text(c->want));
		CHECK(why_ok(why), "%s: reason \"%s\"", c->name, why);
		CHECK(info.verified == (st == TOKEN_OK ||
		    st == TOKEN_INSUFFICIENT_SCOPE), "%s: verified %d",
		    c->name, info.verified);
		CHECK(strlen(info.hash) == 16 &&
		    strspn(info.hash, "0123456789abcdef") == 16,
		    "%s: hash \"%s\"", c->name, info.hash);
		CHECK(len < 16 || strncmp(tok, info.hash, 16) != 0,
		    "%s: hash is a prefix of the token", c->name);
		if (c->want == TOKEN_OK)
			good++;
		else
			bad++;
		free(tok);
	}
	printf("token table: %zu good, %zu bad\n", good, bad);
	CHECK(good >= 8 && bad >= 40 && bad > 2 * good, "%zu good, %zu bad",
	    good, bad);
}

static const struct tcase *
find_case(const char *name)
{
	size_t	 i;

	for (i = 0; i < NITEMS(cases); i++)
		if (strcmp(cases[i].name, name) == 0)
			return (&cases[i]);
	return (NULL);
}

/* A token of header h and payload p signed RS256 by the rsa key. */
static char *
make(const char *h, const char *p, time_t now, size_t *len)
{
	struct tcase	 c = { .hdr = h, .pay = p, .sg = SG_RS256,
	    .key = K_RSA };

	return (build(&c, now, len));
}

static void
test_info(const struct keyfile *kf, time_t now)
{
	struct token_policy	 pol = policy(P_DEF);
	struct token_info	 info;
	unsigned char		 md[32];
	const char		*why;
	char			*tok, hex[17];
	size_t			 len, i;

	tok = build(find_case("rs256"), now, &len);
	CHECK(check_exact(tok, len, kf, &pol, now, &info, &why) == TOKEN_OK,
	    "rs256: %s", why);
	CHECK(strcmp(info.sub, "eitan") == 0, "sub %s", info.sub);
	CHECK(strcmp(info.client_id, "inspector") == 0, "client_id");
	CHECK(strcmp(info.scope, "openid mcp:tools") == 0, "scope %s",
	    info.scope);
	CHECK(strcmp(info.kid, "rsa-1") == 0 && strcmp(info.alg, "RS256") ==
	    0, "kid %s alg %s", info.kid, info.alg);
	CHECK(info.exp == now + 300 && info.iat == now - 10 && info.nbf == 0,
	    "times");
	EVP_Digest(tok, len, md, NULL, EVP_sha256(), NULL);
	for (i = 0; i < 8; i++)
		sprintf(hex + 2 * i, "%02x", md[i]);
	CHECK(strcmp(hex, info.hash) == 0, "hash %s, want %s", info.hash, hex);
	/* a digest the caller has already is taken as it is */
	{
		struct token_policy	 p2 = pol;
		unsigned char		 other[32];

		memset(other, 0xab, sizeof(other));
		p2.digest = md;
		CHECK(token_check(tok, len, kf, &p2, now, &info, &why) ==
		    TOKEN_OK && strcmp(hex, info.hash) == 0, "digest given: %s",
		    info.hash);
		p2.digest = other;
		CHECK(token_check(tok, len, kf, &p2, now, &info, &why) ==
		    TOKEN_OK && strcmp(info.hash, "abababababababab") == 0,
		    "digest given is used: %s", info.hash);
	}
	/* the same token, NULL info and why are fine */
	CHECK(token_check(tok, len, kf, &pol, now, NULL, NULL) == TOKEN_OK,
	    "NULL info");
	/* no key file yet */
	CHECK(token_check(tok, len, NULL, &pol, now, &info, &why) ==
	    TOKEN_UNKNOWN_KID, "no key file: %s", why);
	/* the same token later: expired */
	CHECK(token_check(tok, len, kf, &pol, now + 330, &info, &why) ==
	    TOKEN_EXPIRED, "later: %s", why);
	/* one byte less than the token (the signature's last char cut) */
	CHECK(check_exact(tok, len - 1, kf, &pol, now, &info, &why) !=
	    TOKEN_OK, "truncated token accepted");
	free(tok);

	/*
	 * A byte outside the base64url alphabet at every place of the
	 * token (each part is decoded four characters at a time, then a
	 * short tail): always refused as such, never decoded around.
	 */
	tok = build(find_case("rs256"), now, &len);
	{
		static const char bad[] = { '+', '/', '=', '.', ' ', '\x80',
		    '\xff', '*' };
		size_t	 b;
		char	 keep;

		for (i = 0; i < len; i++) {
			if (tok[i] == '.')
				continue;
			keep = tok[i];
			for (b = 0; b < sizeof(bad); b++) {
				if (bad[b] == '.')
					continue;
				tok[i] = bad[b];
				CHECK(token_check(tok, len, kf, &pol, now, &info,
				    &why) == TOKEN_MALFORMED &&
				    strstr(why, "base64url") != NULL, "byte "
				    "0x%02x at %zu: %s", (unsigned char)bad[b],
				    i, why);
			}
			tok[i] = keep;
		}
		CHECK(token_check(tok, len, kf, &pol, now, &info, &why) ==
		    TOKEN_OK, "restored: %s", why);
	}
	free(tok);

	/* unknown kid: the claims are there, unverified */
	tok = build(find_case("unknown kid"), now, &len);
	CHECK(check_exact(tok, len, kf, &pol, now, &info, &why) ==
	    TOKEN_UNKNOWN_KID, "unknown kid: %s", why);
	CHECK(strcmp(info.kid, "rsa-9") == 0 && info.iat == now - 10 &&
	    strcmp(info.sub, "eitan") == 0 && info.verified == 0,
	    "unknown kid info: kid %s sub %s", info.kid, info.sub);
	free(tok);

	/* azp stands in for client_id; scp is added to scope */
	tok = make(HRS, NO_SCOPE("\"azp\":\"kc-client\",\"scope\":\"a\","
	    "\"scp\":[\"b\",\"mcp:tools\"],"), now, &len);
	CHECK(check_exact(tok, len, kf, &pol, now, &info, &why) == TOKEN_OK,
	    "azp: %s", why);
	CHECK(strcmp(info.client_id, "inspector") == 0, "client_id first");
	CHECK(strcmp(info.scope, "a b mcp:tools") == 0, "scope %s",
	    info.scope);
	free(tok);
	tok = make(HRS, "{" C_ISS "," C_AUD ",\"azp\":\"kc-client\","
	    C_SCOPE "," C_EXP "}", now, &len);
	CHECK(check_exact(tok, len, kf, &pol, now, &info, &why) == TOKEN_OK,
	    "azp: %s", why);
	CHECK(strcmp(info.client_id, "kc-client") == 0 && info.sub[0] ==
	    '\0' && info.iat == 0, "azp: client_id %s", info.client_id);
	free(tok);

	/* control characters are stripped, long values cut at a character */
	tok = make(HRS, PAYX(",\"sub\":\"ev\\u0001il\\u001b[31m\\u0085\\u007f"
	    "x\\n\""), now, &len);
	CHECK(check_exact(tok, len, kf, &pol, now, &info, &why) ==
	    TOKEN_MALFORMED, "duplicate sub accepted");
	free(tok);
	tok = make(HRS, "{" C_ISS "," C_AUD ",\"sub\":\"ev\\u0001il\\u001b[31m"
	    "\\u0085\\u007fx\\n\\u00e9\"," C_SCOPE "," C_EXP "}", now, &len);
	CHECK(check_exact(tok, len, kf, &pol, now, &info, &why) == TOKEN_OK,
	    "control: %s", why);
	CHECK(strcmp(info.sub, "evil[31mx\xc3\xa9") == 0, "sub \"%s\"",
	    info.sub);
	free(tok);
	{
		char	 pay[2048], *p = pay;

		p += sprintf(p, "{" C_ISS "," C_AUD "," C_SCOPE "," C_EXP
		    ",\"sub\":\"x");
		for (i = 0; i < 100; i++)
			p += sprintf(p, "\\u00e9");	/* 2 bytes each */
		sprintf(p, "\",\"client_id\":\"%0300d\"}", 7);
		tok = make(HRS, pay, now, &len);
		CHECK(check_exact(tok, len, kf, &pol, now, &info, &why) ==
		    TOKEN_OK, "long: %s", why);
		CHECK(strlen(info.sub) == 127 && info.sub[0] == 'x' &&
		    (unsigned char)info.sub[126] == 0xa9, "long sub %zu",
		    strlen(info.sub));
		CHECK(strlen(info.client_id) == 128, "long client_id %zu",
		    strlen(info.client_id));
		free(tok);
	}
	{
		char	 pay[4096], *p = pay;

		p += sprintf(p, "{" C_ISS "," C_AUD "," C_EXP ",\"scope\":\"");
		for (i = 0; i < 300; i++)
			p += sprintf(p, "s%02zu ", i % 100);
		sprintf(p, "mcp:tools\"}");
		tok = make(HRS, pay, now, &len);
		CHECK(check_exact(tok, len, kf, &pol, now, &info, &why) ==
		    TOKEN_OK, "long scope: %s", why);
		CHECK(strlen(info.scope) > 1000 &&
		    strlen(info.scope) < sizeof(info.scope) &&
		    info.scope[strlen(info.scope) - 1] != ' ', "scope %zu",
		    strlen(info.scope));
		free(tok);
	}

	/* garbage still gets its hash */
	CHECK(check_exact("garbage", 7, kf, &pol, now, &info, &why) ==
	    TOKEN_MALFORMED && strlen(info.hash) == 16 &&
	    info.sub[0] == '\0', "garbage info");
	/* max_token 0 is the default limit */
	pol.max_token = 0;
	tok = malloc(TOKEN_DEFAULT_MAX + 1);
	memset(tok, 'A', TOKEN_DEFAULT_MAX + 1);
	CHECK(check_exact(tok, TOKEN_DEFAULT_MAX + 1, kf, &pol, now, &info,
	    &why) == TOKEN_TOO_LARGE, "default max: %s", why);
	CHECK(check_exact(tok, TOKEN_DEFAULT_MAX, kf, &pol, now, &info,
	    &why) == TOKEN_MALFORMED, "default max: %s", why);
	free(tok);
}

/*
 * Claim rows: the subject and scopes passed on are whole or the token
 * is refused (TOKEN_BAD_CLAIM), never cut or cleaned; dates out of
 * +-9e15 are refused, so no sum with a leeway overflows; S256 stands for
 * a long value built below.
 */
struct crow {
	const char		*name;
	const char		*claims;	/* sub, scope, scp (JSON) */
	size_t			 max_sub, max_scope;
	enum token_status	 want;
	const char		*sub, *scope;	/* TOKEN_OK: passed on */
};

#define SCOPE_600	"openid profile email offline_access roles web-origins " \
	"acr basic address phone microprofile-jwt organization " \
	"service_account a:1 b:2 c:3 d:4 e:5 f:6 g:7 h:8 i:9 j:10 k:11 " \
	"l:12 m:13 n:14 o:15 p:16 q:17 r:18 s:19 t:20 u:21 v:22 w:23 x:24 " \
	"y:25 z:26 aa:27 bb:28 cc:29 dd:30 ee:31 ff:32 gg:33 hh:34 ii:35 " \
	"jj:36 kk:37 ll:38 mm:39 nn:40 oo:41 pp:42 qq:43 rr:44 ss:45 tt:46 " \
	"uu:47 vv:48 ww:49 xx:50 yy:51 zz:52 aaa:53 bbb:54 ccc:55 ddd:56 " \
	"eee:57 fff:58 ggg:59 hhh:60 iii:61 jjj:62 kkk:63 mcp:tools " \
	"mcp:tools:readonly"
#define S16	"0123456789abcdef"
#define S64	S16 S16 S16 S16
#define S256	S64 S64 S64 S64

static const struct crow crows[] = {
	{ "plain", "\"sub\":\"alice\",\"scope\":\"mcp:tools "
	    "mcp:tools:readonly\"", 256, 1024, TOKEN_OK, "alice",
	    "mcp:tools mcp:tools:readonly" },
	{ "scope of 600 bytes whole", "\"sub\":\"alice\",\"scope\":\""
	    SCOPE_600 "\"", 256, 1024, TOKEN_OK, "alice", SCOPE_600 },
	{ "sub of max_subject bytes", "\"sub\":\"" S256 "\",\"scope\":"
	    "\"mcp:tools\"", 256, 1024, TOKEN_OK, S256, "mcp:tools" },
	{ "sub with inner space and punctuation", "\"sub\":\"auth0|a b=c;d"
	    "\",\"scope\":\"mcp:tools\"", 256, 1024, TOKEN_OK, "auth0|a b=c;d",
	    "mcp:tools" },
	{ "scope and scp joined", "\"sub\":\"x\",\"scope\":\" mcp:tools  a \","
	    "\"scp\":[\"b\",\"c:d\"]", 256, 1024, TOKEN_OK, "x",
	    "mcp:tools a b c:d" },
	{ "no sub", "\"scope\":\"mcp:tools\"", 256, 1024, TOKEN_OK, "",
	    "mcp:tools" },
	{ "scopes exactly max", "\"sub\":\"x\",\"scope\":\"mcp:tools "
	    "abcdef\"", 256, 16, TOKEN_OK, "x", "mcp:tools abcdef" },

	{ "sub one byte over", "\"sub\":\"" S256 "x\",\"scope\":"
	    "\"mcp:tools\"", 256, 1024, TOKEN_BAD_CLAIM, NULL, NULL },
	{ "sub with bell", "\"sub\":\"ad\\u0007min\",\"scope\":\"mcp:tools\"",
	    256, 1024, TOKEN_BAD_CLAIM, NULL, NULL },
	{ "sub with newline", "\"sub\":\"a\\nb\",\"scope\":\"mcp:tools\"",
	    256, 1024, TOKEN_BAD_CLAIM, NULL, NULL },
	{ "sub with tab", "\"sub\":\"a\\tb\",\"scope\":\"mcp:tools\"",
	    256, 1024, TOKEN_BAD_CLAIM, NULL, NULL },
	{ "sub with del", "\"sub\":\"a\\u007fb\",\"scope\":\"mcp:tools\"",
	    256, 1024, TOKEN_BAD_CLAIM, NULL, NULL },
	{ "sub with c1 control", "\"sub\":\"a\\u0085b\",\"scope\":"
	    "\"mcp:tools\"", 256, 1024, TOKEN_BAD_CLAIM, NULL, NULL },
	{ "sub non-ascii", "\"sub\":\"\\u00e9lise\",\"scope\":\"mcp:tools\"",
	    256, 1024, TOKEN_BAD_CLAIM, NULL, NULL },
	{ "sub leading space", "\"sub\":\" admin\",\"scope\":\"mcp:tools\"",
	    256, 1024, TOKEN_BAD_CLAIM, NULL, NULL },
	{ "sub trailing space", "\"sub\":\"admin \",\"scope\":\"mcp:tools\"",
	    256, 1024, TOKEN_BAD_CLAIM, NULL, NULL },
	{ "sub a number", "\"sub\":7,\"scope\":\"mcp:tools\"", 256, 1024,
	    TOKEN_MALFORMED, NULL, NULL },
	{ "sub an object", "\"sub\":{},\"scope\":\"mcp:tools\"", 256, 1024,
	    TOKEN_MALFORMED, NULL, NULL },
	{ "scopes one byte over", "\"sub\":\"x\",\"scope\":\"mcp:tools "
	    "abcdefg\"", 256, 16, TOKEN_BAD_CLAIM, NULL, NULL },
	{ "scope of 600 bytes, max 256", "\"sub\":\"x\",\"scope\":\""
	    SCOPE_600 "\"", 256, 256, TOKEN_BAD_CLAIM, NULL, NULL },
	{ "scope with bell", "\"scope\":\"mcp:tools a\\u0007b\"", 256, 1024,
	    TOKEN_BAD_CLAIM, NULL, NULL },
	{ "scope with tab", "\"scope\":\"mcp:tools\\ta\"", 256, 1024,
	    TOKEN_BAD_CLAIM, NULL, NULL },
	{ "scope non-ascii", "\"scope\":\"mcp:tools \\u00e9\"", 256, 1024,
	    TOKEN_BAD_CLAIM, NULL, NULL },
	{ "scp value with a space", "\"scope\":\"mcp:tools\",\"scp\":[\"a b\"]",
	    256, 1024, TOKEN_BAD_CLAIM, NULL, NULL },
	{ "scp string with newline", "\"scope\":\"mcp:tools\",\"scp\":\"a\\nb\"",
	    256, 1024, TOKEN_BAD_CLAIM, NULL, NULL },
	{ "scp over max with scope", "\"scope\":\"mcp:tools\",\"scp\":"
	    "[\"abcdef\",\"g\"]", 256, 16, TOKEN_BAD_CLAIM, NULL, NULL },
	{ "iat int64 max", "\"scope\":\"mcp:tools\",\"iat\":"
	    "9223372036854775807", 256, 1024, TOKEN_MALFORMED, NULL, NULL },
	{ "nbf int64 max", "\"scope\":\"mcp:tools\",\"nbf\":"
	    "9223372036854775807", 256, 1024, TOKEN_MALFORMED, NULL, NULL },
	{ "iat int64 min", "\"scope\":\"mcp:tools\",\"iat\":"
	    "-9223372036854775808", 256, 1024, TOKEN_MALFORMED, NULL, NULL },
	{ "iat 9e15", "\"scope\":\"mcp:tools\",\"iat\":9000000000000000", 256,
	    1024, TOKEN_MALFORMED, NULL, NULL },
	{ "iat real 1e300", "\"scope\":\"mcp:tools\",\"iat\":1e300", 256,
	    1024, TOKEN_MALFORMED, NULL, NULL },
	{ "nbf -9e15", "\"scope\":\"mcp:tools\",\"nbf\":-9000000000000000", 256,
	    1024, TOKEN_MALFORMED, NULL, NULL },
};

static void
test_claims(const struct keyfile *kf, time_t now)
{
	struct token_policy	 pol = policy(P_DEF);
	struct token_info	 info;
	const struct crow	*c;
	const char		*why;
	enum token_status	 st;
	char			 pay[4096], *tok;
	size_t			 i, len, good = 0, bad = 0;

	for (i = 0; i < NITEMS(crows); i++) {
		c = &crows[i];
		snprintf(pay, sizeof(pay), "{" C_ISS "," C_AUD "," C_EXP
		    ",%s}", c->claims);
		tok = make(HRS, pay, now, &len);
		pol.max_sub = c->max_sub;
		pol.max_scope = c->max_scope;
		st = check_exact(tok, len, kf, &pol, now, &info, &why);
		CHECK(st == c->want, "claims %s: got %s (%s), want %s",
		    c->name, token_status_text(st), why ? why : "-",
		    token_status_text(c->want));
		CHECK(why_ok(why), "claims %s: reason \"%s\"", c->name, why);
		if (c->want == TOKEN_OK) {
			good++;
			CHECK(strcmp(info.pass_sub, c->sub) == 0,
			    "claims %s: sub \"%s\"", c->name, info.pass_sub);
			CHECK(strcmp(info.pass_scope, c->scope) == 0,
			    "claims %s: scope \"%s\"", c->name,
			    info.pass_scope);
		} else {
			bad++;
			CHECK(info.pass_sub[0] == '\0' &&
			    info.pass_scope[0] == '\0', "claims %s: passed",
			    c->name);
		}
		free(tok);
	}
	/* nothing passed on unless the policy asks for it */
	pol.max_sub = pol.max_scope = 0;
	snprintf(pay, sizeof(pay), "{" C_ISS "," C_AUD "," C_EXP ",%s}",
	    crows[0].claims);
	tok = make(HRS, pay, now, &len);
	CHECK(check_exact(tok, len, kf, &pol, now, &info, &why) == TOKEN_OK &&
	    info.pass_sub[0] == '\0' && info.pass_scope[0] == '\0',
	    "claims without max: %s", why);
	free(tok);
	printf("claim table: %zu good, %zu bad\n", good, bad);
	CHECK(bad > good, "%zu good, %zu bad", good, bad);
}

/* Every prefix of a good token is refused and reads only its bytes. */
static void
test_prefixes(const struct keyfile *kf, time_t now)
{
	struct token_policy	 pol = policy(P_DEF);
	struct token_info	 info;
	const char		*why;
	char			*tok;
	size_t			 len, i, bad = 0;

	tok = build(find_case("es256"), now, &len);
	for (i = 0; i < len; i++)
		if (check_exact(tok, i, kf, &pol, now, &info, &why) ==
		    TOKEN_OK)
			bad++;
	CHECK(bad == 0, "%zu prefixes accepted", bad);
	CHECK(check_exact(tok, len, kf, &pol, now, &info, &why) == TOKEN_OK,
	    "es256: %s", why);
	free(tok);
}

static void
test_texts(void)
{
	const char	*t[TOKEN_INSUFFICIENT_SCOPE + 1];
	int		 i, j;

	for (i = 0; i <= TOKEN_INSUFFICIENT_SCOPE; i++) {
		t[i] = token_status_text((enum token_status)i);
		CHECK(why_ok(t[i]), "status %d text \"%s\"", i, t[i]);
		for (j = 0; j < i; j++)
			CHECK(strcmp(t[i], t[j]) != 0, "status %d and %d", i,
			    j);
	}
	CHECK(strcmp(token_status_text(TOKEN_EXPIRED), "expired") == 0 &&
	    strcmp(token_status_text(TOKEN_BAD_AUDIENCE), "wrong audience") ==
	    0, "texts");
}

static unsigned char *
der_of(EVP_PKEY *k, size_t *len)
{
	unsigned char	*der = NULL;
	int		 n;

	n = i2d_PUBKEY(k, &der);
	*len = n > 0 ? (size_t)n : 0;
	return (der);
}

static int
setup(time_t now, struct keyfile **kfp)
{
	const struct keyfile_wissuer iss[] = {
		{ "test", ISS, now - 10, now + 3600, NULL },
		{ "gone", ISS2, now - 7200, now - 1, NULL },
	};
	struct keyfile_wkey	 wk[] = {
		{ 0, "rsa-1", "RS256", NULL, 0 },
		{ 0, "ps-1", "PS256", NULL, 0 },
		{ 0, "rs384", "RS384", NULL, 0 },
		{ 0, "rs512", "RS512", NULL, 0 },
		{ 0, "ec-1", "ES256", NULL, 0 },
		{ 0, "ec-384", "ES384", NULL, 0 },
		{ 0, "ec-521", "ES512", NULL, 0 },
		{ 1, "rsa-1", "RS256", NULL, 0 },
		{ 1, "old-1", "RS256", NULL, 0 },
	};
	const enum key		 wkey[] = { K_RSA, K_RSA, K_RSA, K_RSA, K_EC,
	    K_EC384, K_EC521, K_RSA, K_RSA };
	unsigned char		*img, *ders[NITEMS(wk)];
	const char		*why = NULL;
	char			 err[256];
	BIO			*bio;
	BUF_MEM			*bm;
	size_t			 i, len;
	int			 rv = -1;

	keys[K_RSA] = EVP_RSA_gen(2048);
	keys[K_RSA2] = EVP_RSA_gen(2048);
	keys[K_EC] = EVP_EC_gen("P-256");
	keys[K_EC384] = EVP_EC_gen("P-384");
	keys[K_EC521] = EVP_EC_gen("P-521");
	for (i = 0; i < NKEYS; i++)
		if (keys[i] == NULL) {
			CHECK(0, "key generation %zu", i);
			return (-1);
		}
	bio = BIO_new(BIO_s_mem());
	PEM_write_bio_PUBKEY(bio, keys[K_RSA]);
	BIO_get_mem_ptr(bio, &bm);
	rsa_pem = strndup(bm->data, bm->length);
	rsa_pem_len = bm->length;
	BIO_free(bio);
	for (i = 0; i < NITEMS(wk); i++) {
		ders[i] = der_of(keys[wkey[i]], &wk[i].der_len);
		wk[i].der = ders[i];
	}
	if (keyfile_build(1, now, iss, NITEMS(iss), wk, NITEMS(wk), &img,
	    &len, &why) == -1) {
		CHECK(0, "keyfile_build: %s", why);
		goto out;
	}
	snprintf(kfpath, sizeof(kfpath), "%s/keys", dir);
	if (keyfile_write(kfpath, (gid_t)-1, img, len) == -1) {
		CHECK(0, "keyfile_write");
		free(img);
		goto out;
	}
	free(img);
	if (keyfile_open(kfpath, kfp, err, sizeof(err)) == -1) {
		CHECK(0, "keyfile_open: %s", err);
		goto out;
	}
	rv = 0;
 out:
	for (i = 0; i < NITEMS(wk); i++)
		OPENSSL_free(ders[i]);
	return (rv);
}

int
main(void)
{
	struct keyfile	*kf = NULL;
	time_t		 now = time(NULL);
	size_t		 i;

	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return (1);
	}
	if (setup(now, &kf) == 0) {
		test_table(kf, now);
		test_info(kf, now);
		test_claims(kf, now);
		test_prefixes(kf, now);
	}
	test_texts();
	keyfile_close(kf);
	unlink(kfpath);
	rmdir(dir);
	for (i = 0; i < NKEYS; i++)
		EVP_PKEY_free(keys[i]);
	free(rsa_pem);
	return (unit_done("mcpproxyd_token"));
}
