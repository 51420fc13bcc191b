// Verify a token with node:crypto alone (no JWT library): the kid's
// key from a JWKS file, crypto.verify over "header.payload" (ES256 as
// r||s), then the header (alg, typ at+jwt, kid) and the claims the
// tool must always set.  Prints the claims; exits 1 on any failure.
// usage: node verify-token.cjs JWKS_FILE TOKEN
const c = require('crypto'), fs = require('fs')
const [jwksFile, tok] = process.argv.slice(2)
const die = (m) => { console.error('verify-token: ' + m); process.exit(1) }
const [h, p, s] = tok.split('.')
if (s === undefined) die('not three parts')
const head = JSON.parse(Buffer.from(h, 'base64url'))
const claims = JSON.parse(Buffer.from(p, 'base64url'))
const jwk = JSON.parse(fs.readFileSync(jwksFile)).keys.find((k) => k.kid === head.kid)
if (!jwk) die(`no key ${head.kid} in the JWKS`)
if (head.typ !== 'at+jwt') die(`typ ${head.typ}`)
if (head.alg !== jwk.alg || !['ES256', 'RS256'].includes(head.alg)) die(`alg ${head.alg}`)
const key = c.createPublicKey({ key: jwk, format: 'jwk' })
const ok = c.verify('sha256', Buffer.from(`${h}.${p}`),
    head.alg === 'ES256' ? { key, dsaEncoding: 'ieee-p1363' } : key,
    Buffer.from(s, 'base64url'))
if (!ok) die('bad signature')
for (const k of ['iss', 'sub', 'aud', 'scope', 'exp', 'iat', 'jti'])
	if (claims[k] === undefined) die(`no ${k}`)
if (!(claims.exp > claims.iat)) die('exp not after iat')
console.log(JSON.stringify(claims))
