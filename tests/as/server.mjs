// A small OAuth 2.1 / OpenID Connect authorization server for the tests
// and the demo, on oidc-provider (tests/package.json pins it), made to
// look like the tutorial's Keycloak realm.
//
//   node tests/as/server.mjs --state DIR [--port N] [--path /realms/my-realm]
//                            [--host 127.0.0.1] [--ttl SECONDS]
//                            [--registration-cors yes|no]
//                            [--tls-cert PEM --tls-key PEM]
//
// - https with --tls-cert and --tls-key (the issuer is then https://).
// - loopback only; --port 0 (the default) takes a free port.  The first
//   line on stdout is "listening ISSUER"; the issuer is also written to
//   DIR/issuer.
// - issuer path /realms/my-realm; OIDC discovery only (no RFC 8414
//   document, like Keycloak), served at ISSUER/.well-known/openid-configuration
// - signing keys persisted in DIR/keys.json (private JWKs: tests may sign
//   their own bad tokens with them), so the kid is stable across restarts;
//   the JWKS also holds a "use": "enc" RSA key, as Keycloak's does.
// - CORS on client registration (ISSUER/reg: preflight and POST), as
//   Keycloak's recent releases have, so that a browser client (the
//   Inspector in Direct mode) registers with the issuer itself;
//   --registration-cors no: none, as older Keycloak releases (the setup
//   provider = keycloak is for)
// - dynamic client registration, PKCE, RFC 8707 resource indicators giving
//   JWT access tokens (aud = the resource, scope incl. mcp:tools), with
//   the user's realm roles in realm_access.roles, as Keycloak's
// - users, logging in through a minimal form at ISSUER/interaction/UID
//   (consent is given automatically):
//     eitan / test  roles default-roles-my-realm, offline_access,
//                   uma_authorization and mcp-echo
//     noa / test    the same roles without mcp-echo
// - scopes mcp:tools, mcp:resources, mcp:prompts, and mcp:admin (for a
//   tool that needs more than the others: step-up)
// - key rotation: SIGHUP or "POST ISSUER/admin/rotate" make a new signing
//   key, first in the JWKS (the old one stays to verify older tokens);
//   prints "rotated KID"
// - events: one line "event NAME JSON" per registration, authorization
//   code, token, login..., so tests can see what really ran.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync, renameSync, mkdirSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { parseArgs } from 'node:util';
import Provider from 'oidc-provider';

const { values: opt } = parseArgs({
	options: {
		state: { type: 'string' },
		port: { type: 'string', default: '0' },
		host: { type: 'string', default: '127.0.0.1' },
		path: { type: 'string', default: '/realms/my-realm' },
		ttl: { type: 'string', default: '3600' },
		'registration-cors': { type: 'string', default: 'yes' },
		'tls-cert': { type: 'string' },
		'tls-key': { type: 'string' },
	},
});
if (!opt.state) {
	console.error('usage: server.mjs --state DIR [--port N] [--path P]');
	process.exit(2);
}
if (!['127.0.0.1', '::1', 'localhost'].includes(opt.host)) {
	console.error('server.mjs: loopback hosts only');
	process.exit(2);
}
mkdirSync(opt.state, { recursive: true });
const PREFIX = opt.path.replace(/\/+$/, '');
const KEYS = `${opt.state}/keys.json`;
const USERS = { eitan: 'test', noa: 'test' };
const BASE_ROLES = ['default-roles-my-realm', 'offline_access',
    'uma_authorization'];
const ROLES = { eitan: [...BASE_ROLES, 'mcp-echo'], noa: BASE_ROLES };
const SCOPES = ['openid', 'profile', 'email', 'offline_access', 'mcp:tools',
    'mcp:resources', 'mcp:prompts', 'mcp:admin'];

function newKey(use) {
	const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
	const jwk = privateKey.export({ format: 'jwk' });
	return {
		...jwk,
		kid: `${use}-${randomBytes(9).toString('base64url')}`,
		use,
		alg: use === 'sig' ? 'RS256' : 'RSA-OAEP',
	};
}

function saveKeys(keys) {
	writeFileSync(`${KEYS}.tmp`, JSON.stringify({ keys }, null, 2), { mode: 0o600 });
	renameSync(`${KEYS}.tmp`, KEYS);
}

function loadKeys() {
	try {
		return JSON.parse(readFileSync(KEYS, 'utf8')).keys;
	} catch {
		const keys = [newKey('sig'), newKey('enc')];
		saveKeys(keys);
		return keys;
	}
}

function event(name, data) {
	process.stdout.write(`event ${name} ${JSON.stringify(data ?? {})}\n`);
}

let keys = loadKeys();
let issuer;
let provider;
const cookieKeys = [randomBytes(32).toString('hex')];

function makeProvider() {
	const p = new Provider(issuer, {
		jwks: { keys },
		clients: [],
		scopes: SCOPES,
		claims: { openid: ['sub'], profile: ['name'], email: ['email'] },
		cookies: { keys: cookieKeys },
		pkce: { required: () => true },
		clientBasedCORS: () => true,
		// Keycloak puts realm roles in every access token
		extraTokenClaims: async (ctx, token) => (token.accountId ?
		    { realm_access: { roles: ROLES[token.accountId] ?? [] } } :
		    undefined),
		findAccount: async (ctx, id) => ({
			accountId: id,
			claims: async () => ({ sub: id, name: id, email: `${id}@example.test` }),
		}),
		interactions: {
			url: (ctx, interaction) => `${PREFIX}/interaction/${interaction.uid}`,
		},
		features: {
			devInteractions: { enabled: false },
			// so the "use": "enc" key may be published, as Keycloak does
			encryption: { enabled: true },
			registration: { enabled: true },
			revocation: { enabled: true },
			resourceIndicators: {
				enabled: true,
				defaultResource: (ctx, client, oneOf) => oneOf,
				useGrantedResource: () => true,
				getResourceServerInfo: (ctx, resource) => ({
					scope: SCOPES.filter((s) => s.startsWith('mcp:')).join(' '),
					audience: resource,
					accessTokenTTL: Number(opt.ttl),
					accessTokenFormat: 'jwt',
					jwt: { sign: { alg: 'RS256' } },
				}),
			},
		},
		ttl: {
			AccessToken: Number(opt.ttl),
			AuthorizationCode: 60,
			Grant: 3600,
			Interaction: 600,
			Session: 3600,
			IdToken: 3600,
		},
	});
	for (const name of ['registration_create.success', 'grant.success',
	    'authorization_code.saved', 'authorization_code.consumed',
	    'access_token.issued', 'interaction.ended', 'grant.error',
	    'authorization.error', 'registration_create.error',
	    'server_error']) {
		p.on(name, (...args) => {
			const x = args.find((a) => a && typeof a === 'object' && !a.req) ?? {};
			event(name, {
				client_id: x.clientId ?? x.client_id ?? undefined,
				kind: x.kind ?? undefined,
				error: x.error ?? x.message ?? undefined,
				pkce: x.codeChallengeMethod ?? undefined,
			});
		});
	}
	return p;
}

function rotate() {
	const k = newKey('sig');
	keys = [k, ...keys];
	saveKeys(keys);
	// grants, clients and sessions live in oidc-provider's module-level
	// memory store, so a new Provider keeps them
	provider = makeProvider();
	process.stdout.write(`rotated ${k.kid}\n`);
	return k.kid;
}

function page(res, status, body) {
	res.writeHead(status, { 'content-type': 'text/html; charset=utf-8',
	    'cache-control': 'no-store' });
	res.end(`<!doctype html><html><body>${body}</body></html>`);
}

function readForm(req) {
	return new Promise((resolve, reject) => {
		let data = '';
		req.setEncoding('utf8');
		req.on('data', (c) => {
			data += c;
			if (data.length > 8192) {
				reject(new Error('form too large'));
				req.destroy();
			}
		});
		req.on('end', () => resolve(new URLSearchParams(data)));
		req.on('error', reject);
	});
}

// Consent for everything asked: the test realm's users always agree.
async function consent(details) {
	const { prompt: { details: d }, params, session } = details;
	let grant = details.grantId ? await provider.Grant.find(details.grantId) :
	    new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
	if (d.missingOIDCScope)
		grant.addOIDCScope(d.missingOIDCScope.join(' '));
	if (d.missingOIDCClaims)
		grant.addOIDCClaims(d.missingOIDCClaims);
	if (d.missingResourceScopes) {
		for (const [indicator, s] of Object.entries(d.missingResourceScopes))
			grant.addResourceScope(indicator, s.join(' '));
	}
	return { consent: { grantId: await grant.save() } };
}

async function interaction(req, res) {
	const details = await provider.interactionDetails(req, res);
	const uid = details.uid;
	if (details.prompt.name === 'consent') {
		await provider.interactionFinished(req, res, await consent(details),
		    { mergeWithLastSubmission: true });
		return;
	}
	if (req.method === 'GET') {
		page(res, 200, `<h1>Sign in to my-realm</h1>
<form method="post" action="${PREFIX}/interaction/${uid}">
<input name="username" autocomplete="username">
<input name="password" type="password" autocomplete="current-password">
<button type="submit">Sign in</button></form>`);
		return;
	}
	const form = await readForm(req);
	const user = form.get('username');
	if (!user || USERS[user] !== form.get('password')) {
		event('login.failed', { user });
		page(res, 401, '<h1>Invalid username or password</h1>');
		return;
	}
	event('login.success', { user });
	await provider.interactionFinished(req, res, { login: { accountId: user } },
	    { mergeWithLastSubmission: false });
}

// CORS on the registration endpoint: answers a preflight (true), or
// adds the header to the answer to come.
function registrationCors(req, res) {
	const origin = req.headers.origin;
	if (origin === undefined)
		return false;
	if (req.method === 'OPTIONS') {
		res.writeHead(204, {
			'access-control-allow-origin': origin,
			'access-control-allow-methods': 'POST',
			'access-control-allow-headers':
			    req.headers['access-control-request-headers'] ??
			    'content-type, authorization',
			'access-control-max-age': '600',
			'vary': 'Origin',
		});
		res.end();
		return true;
	}
	res.setHeader('access-control-allow-origin', origin);
	res.setHeader('vary', 'Origin');
	return false;
}

async function handle(req, res) {
	const url = new URL(req.url, 'http://x');
	if (url.pathname !== PREFIX && !url.pathname.startsWith(`${PREFIX}/`)) {
		page(res, 404, 'not found');
		return;
	}
	const rest = url.pathname.slice(PREFIX.length);
	if (rest.startsWith('/interaction/')) {
		await interaction(req, res);
		return;
	}
	if (rest === '/admin/rotate' && req.method === 'POST') {
		const kid = rotate();
		res.writeHead(200, { 'content-type': 'application/json' });
		res.end(JSON.stringify({ kid }));
		return;
	}
	if (rest === '/reg' && opt['registration-cors'] === 'yes' &&
	    registrationCors(req, res))
		return;
	req.originalUrl = req.url;
	req.url = req.url.slice(PREFIX.length) || '/';
	provider.callback()(req, res);
}

const TLS = opt['tls-cert'] ? { cert: readFileSync(opt['tls-cert']),
    key: readFileSync(opt['tls-key']) } : null;
const serve = (req, res) => {
	handle(req, res).catch((err) => {
		event('server_error', { error: String(err?.message ?? err) });
		if (!res.headersSent)
			page(res, 500, 'internal error');
		else
			res.end();
	});
};
const server = TLS ? https.createServer(TLS, serve) : http.createServer(serve);

server.listen(Number(opt.port), opt.host, () => {
	const { port } = server.address();
	const host = opt.host.includes(':') ? `[${opt.host}]` : opt.host;
	issuer = `${TLS ? 'https' : 'http'}://${host}:${port}${PREFIX}`;
	provider = makeProvider();
	writeFileSync(`${opt.state}/issuer`, `${issuer}\n`);
	process.stdout.write(`listening ${issuer}\n`);
});

process.on('SIGHUP', () => rotate());
process.on('SIGTERM', () => server.close(() => process.exit(0)));
process.on('SIGINT', () => server.close(() => process.exit(0)));
