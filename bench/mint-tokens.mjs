#!/usr/bin/env node
// bench/mint-tokens.mjs: JWKS and JWT access tokens for bench/run, from a
// private key made with openssl (RSA 2048 -> RS256, EC P-256 -> ES256).
// Only node:crypto.
//
//   node bench/mint-tokens.mjs jwks KEY.pem KID > jwks.json
//        the public key as a one-key JWKS ("use": "sig", "alg", "kid")
//   node bench/mint-tokens.mjs tokens KEY.pem KID ISS AUD N TTL [FIRST] > tokens.txt
//        N tokens, one a line, each with its own "sub" (bench-FIRST ...
//        bench-FIRST+N-1; FIRST defaults to 0)
//        and "jti", "scope": "mcp:tools", exp = now + TTL seconds,
//        header {"alg", "kid", "typ": "at+jwt"}
import { createPrivateKey, createPublicKey, randomBytes, sign } from 'node:crypto';
import { readFileSync } from 'node:fs';

const [cmd, keyFile, kid, iss, aud, n, ttl, first = '0'] = process.argv.slice(2);
const usage = () => {
	console.error('usage: mint-tokens.mjs jwks KEY KID | tokens KEY KID ISS AUD N TTL [FIRST]');
	process.exit(2);
};
if (!cmd || !keyFile || !kid)
	usage();
const key = createPrivateKey(readFileSync(keyFile));
let alg;
if (key.asymmetricKeyType === 'rsa')
	alg = 'RS256';
else if (key.asymmetricKeyType === 'ec' &&
    key.asymmetricKeyDetails?.namedCurve === 'prime256v1')
	alg = 'ES256';
else
	usage();

if (cmd === 'jwks') {
	const jwk = createPublicKey(key).export({ format: 'jwk' });
	process.stdout.write(`${JSON.stringify({ keys: [{ ...jwk, kid, use: 'sig', alg }] })}\n`);
	process.exit(0);
}
if (cmd !== 'tokens' || !iss || !aud || !n || !ttl)
	usage();

const b64 = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
const header = b64({ alg, kid, typ: 'at+jwt' });
const now = Math.floor(Date.now() / 1000);
const signKey = alg === 'ES256' ? { key, dsaEncoding: 'ieee-p1363' } : key;
const out = [];
for (let i = 0; i < Number(n); i++) {
	const payload = b64({ iss, aud, sub: `bench-${Number(first) + i}`, scope: 'mcp:tools',
	    client_id: 'bench', iat: now, exp: now + Number(ttl),
	    jti: randomBytes(9).toString('base64url') });
	const input = `${header}.${payload}`;
	out.push(`${input}.${sign('sha256', Buffer.from(input), signKey).toString('base64url')}`);
	if (out.length >= 1000) {
		process.stdout.write(`${out.join('\n')}\n`);
		out.length = 0;
	}
}
if (out.length)
	process.stdout.write(`${out.join('\n')}\n`);
