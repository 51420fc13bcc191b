// Get an access token from tests/as/server.mjs the way an MCP client
// does, with no browser: dynamic client registration, authorization
// code with PKCE and an RFC 8707 resource, the scripted login of
// USER (eitan by default; noa) with password test, the code exchange.
// Prints the access token.
//
//   node tests/as/get-token.mjs ISSUER RESOURCE [SCOPE] [USER] [PASSWORD]
import { createHash, randomBytes } from 'node:crypto';

const [issuer, resource, scope = 'mcp:tools', user = 'eitan',
    password = 'test'] = process.argv.slice(2);
if (!issuer || !resource) {
	console.error('usage: get-token.mjs ISSUER RESOURCE [SCOPE] [USER] [PASSWORD]');
	process.exit(2);
}
const redirect = 'http://127.0.0.1:1/callback';
const jar = new Map();

function remember(res) {
	for (const c of res.headers.getSetCookie?.() ?? []) {
		const [pair] = c.split(';');
		const i = pair.indexOf('=');
		jar.set(pair.slice(0, i), pair.slice(i + 1));
	}
}

async function go(url, init = {}) {
	const headers = { ...(init.headers ?? {}) };
	if (jar.size)
		headers.cookie = [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
	const res = await fetch(url, { ...init, headers, redirect: 'manual' });
	remember(res);
	return res;
}

const meta = await (await fetch(`${issuer}/.well-known/openid-configuration`)).json();
const reg = await fetch(meta.registration_endpoint, {
	method: 'POST',
	headers: { 'content-type': 'application/json' },
	body: JSON.stringify({
		redirect_uris: [redirect],
		token_endpoint_auth_method: 'none',
		grant_types: ['authorization_code'],
		response_types: ['code'],
		scope,
		client_name: 'get-token',
	}),
});
if (reg.status !== 201)
	throw new Error(`registration: ${reg.status} ${await reg.text()}`);
const client = await reg.json();
const verifier = randomBytes(32).toString('base64url');
const challenge = createHash('sha256').update(verifier).digest('base64url');
const auth = new URL(meta.authorization_endpoint);
Object.entries({
	client_id: client.client_id, response_type: 'code', redirect_uri: redirect,
	scope, resource, state: randomBytes(8).toString('hex'),
	code_challenge: challenge, code_challenge_method: 'S256',
}).forEach(([k, v]) => auth.searchParams.set(k, v));

let url = auth.href;
let code;
for (let hops = 0; hops < 20 && !code; hops++) {
	let res = await go(url);
	if (res.status === 200 && /<form/.test(await res.text())) {
		res = await go(url, {
			method: 'POST',
			headers: { 'content-type': 'application/x-www-form-urlencoded' },
			body: new URLSearchParams({ username: user, password }).toString(),
		});
	}
	const loc = res.headers.get('location');
	if (!loc)
		throw new Error(`no redirect from ${url}: ${res.status}`);
	const next = new URL(loc, url);
	if (next.href.startsWith(redirect)) {
		code = next.searchParams.get('code');
		if (!code)
			throw new Error(`authorization failed: ${next.search}`);
	}
	url = next.href;
}
const tok = await fetch(meta.token_endpoint, {
	method: 'POST',
	headers: { 'content-type': 'application/x-www-form-urlencoded' },
	body: new URLSearchParams({
		grant_type: 'authorization_code', code, redirect_uri: redirect,
		client_id: client.client_id, code_verifier: verifier, resource,
	}).toString(),
});
const body = await tok.json();
if (!body.access_token)
	throw new Error(`token: ${tok.status} ${JSON.stringify(body)}`);
process.stdout.write(`${body.access_token}\n`);
