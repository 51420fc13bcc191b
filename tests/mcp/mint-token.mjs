#!/usr/bin/env node
// Mint JWT access tokens for the proxy's token tests, good and bad, with
// the private signing key tests/as/server.mjs keeps in STATE/keys.json
// (private JWKs; the first "use": "sig" key is the one in use).  Only
// node:crypto: nothing here trusts a JWT library's choices.
//
//   node tests/mcp/mint-token.mjs --keys STATE/keys.json --iss ISSUER
//        --aud AUD [options]
//
// Claims (times are seconds relative to now):
//   --sub S (eitan)  --scope S ("mcp:tools")  --client C
//   --scopes A,B,C   scope "A B C"       --no-scope  no scope claim
//   --ttl N          exp = now + N (300); negative: already expired
//   --iat N          iat = now + N (0)     --nbf N   nbf = now + N (none)
//   --no-exp --no-aud --no-iat --no-iss   leave that claim out
//   --aud-array      aud as a one-element array
//   --claim K=JSON   set any claim (repeatable)
//   --pad N          a "pad" claim of N characters (oversize tokens)
// Header and signature:
//   --kid K          (the first sig key's kid)   --key-kid K  sign with that key
//   --typ T (at+jwt) --no-typ
//   --other-key      sign with a fresh RSA key, keeping the kid
//   --alg none       header alg "none", empty signature
//   --hs256-pem      alg HS256, HMAC key = the signing key's public SPKI PEM
//                    (the algorithm-confusion attack)
//   --tamper         change the payload (sub) after signing
// Output: the token on stdout; with --info a JSON line on stderr (kid,
// exp, sha256 hash prefix as the proxy logs it).
import { createHash, createHmac, createPrivateKey, createPublicKey,
    generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { readFileSync } from 'node:fs';

const args = process.argv.slice(2);
const o = { sub: 'eitan', scope: 'mcp:tools', ttl: 300, iat: 0, typ: 'at+jwt',
    claims: {}, client: 'mint-token' };
const val = (i) => {
	if (i + 1 >= args.length)
		usage(`${args[i]} needs a value`);
	return args[i + 1];
};
for (let i = 0; i < args.length; i++) {
	const a = args[i];
	switch (a) {
	case '--keys': o.keys = val(i++); break;
	case '--iss': o.iss = val(i++); break;
	case '--aud': o.aud = val(i++); break;
	case '--sub': o.sub = val(i++); break;
	case '--scope': o.scope = val(i++); break;
	case '--scopes': o.scope = val(i++).split(',').join(' '); break;
	case '--no-scope': o.scope = ''; break;
	case '--client': o.client = val(i++); break;
	case '--ttl': o.ttl = Number(val(i++)); break;
	case '--iat': o.iat = Number(val(i++)); break;
	case '--nbf': o.nbf = Number(val(i++)); break;
	case '--no-exp': o.noExp = true; break;
	case '--no-aud': o.noAud = true; break;
	case '--no-iat': o.noIat = true; break;
	case '--no-iss': o.noIss = true; break;
	case '--aud-array': o.audArray = true; break;
	case '--claim': {
		const s = val(i++);
		const k = s.indexOf('=');
		if (k < 1)
			usage(`--claim ${s}: want K=JSON`);
		o.claims[s.slice(0, k)] = JSON.parse(s.slice(k + 1));
		break;
	}
	case '--pad': o.pad = Number(val(i++)); break;
	case '--kid': o.kid = val(i++); break;
	case '--key-kid': o.keyKid = val(i++); break;
	case '--typ': o.typ = val(i++); break;
	case '--no-typ': o.typ = null; break;
	case '--other-key': o.otherKey = true; break;
	case '--alg': o.alg = val(i++); break;
	case '--hs256-pem': o.hsPem = true; break;
	case '--tamper': o.tamper = true; break;
	case '--info': o.info = true; break;
	default: usage(`unknown argument ${a}`);
	}
}
if (!o.keys || (!o.iss && !o.noIss) || (!o.aud && !o.noAud))
	usage('need --keys, --iss and --aud');

function usage(msg) {
	console.error(`mint-token.mjs: ${msg}\nusage: node mint-token.mjs --keys FILE --iss ISSUER --aud AUD [options] (see the file)`);
	process.exit(2);
}

const b64 = (x) => Buffer.from(typeof x === 'string' ? x : JSON.stringify(x))
    .toString('base64url');

const jwks = JSON.parse(readFileSync(o.keys, 'utf8')).keys;
const sigKeys = jwks.filter((k) => k.use === 'sig');
const jwk = o.keyKid ? sigKeys.find((k) => k.kid === o.keyKid) : sigKeys[0];
if (!jwk)
	usage(`no signing key ${o.keyKid ?? ''} in ${o.keys}`);
const { kid: _k, use: _u, alg: _a, ...material } = jwk;
const privateKey = createPrivateKey({ key: material, format: 'jwk' });

const now = Math.floor(Date.now() / 1000);
const payload = {};
if (!o.noIss) payload.iss = o.iss;
if (!o.noAud) payload.aud = o.audArray ? [o.aud] : o.aud;
payload.sub = o.sub;
if (o.scope !== '') payload.scope = o.scope;
payload.client_id = o.client;
if (!o.noIat) payload.iat = now + o.iat;
if (o.nbf !== undefined) payload.nbf = now + o.nbf;
if (!o.noExp) payload.exp = now + o.ttl;
payload.jti = randomBytes(12).toString('base64url');
Object.assign(payload, o.claims);
if (o.pad) payload.pad = 'x'.repeat(o.pad);

const header = { alg: 'RS256', kid: o.kid ?? jwk.kid };
if (o.typ) header.typ = o.typ;

let token;
if (o.alg === 'none') {
	header.alg = 'none';
	token = `${b64(header)}.${b64(payload)}.`;
} else if (o.hsPem) {
	header.alg = 'HS256';
	const pem = createPublicKey(privateKey).export({ type: 'spki',
	    format: 'pem' });
	const input = `${b64(header)}.${b64(payload)}`;
	token = `${input}.${createHmac('sha256', pem).update(input)
	    .digest('base64url')}`;
} else {
	if (o.alg && o.alg !== 'RS256')
		usage('only RS256, none and --hs256-pem');
	const key = o.otherKey ? generateKeyPairSync('rsa',
	    { modulusLength: 2048 }).privateKey : privateKey;
	const input = `${b64(header)}.${b64(payload)}`;
	const sig = sign('sha256', Buffer.from(input), key).toString('base64url');
	let p = b64(payload);
	if (o.tamper)
		p = b64({ ...payload, sub: 'admin', scope: `${payload.scope ?? ''} mcp:admin` });
	token = `${b64(header)}.${p}.${sig}`;
}
if (o.info) {
	process.stderr.write(`${JSON.stringify({ kid: header.kid, alg: header.alg,
	    exp: payload.exp, iat: payload.iat, length: token.length,
	    hash: createHash('sha256').update(token).digest('hex').slice(0, 16) })}\n`);
}
process.stdout.write(`${token}\n`);
