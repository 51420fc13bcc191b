#!/usr/bin/env node
// The real MCP SDK client (StreamableHTTPClientTransport with an
// OAuthClientProvider) running the whole MCP authorization flow against
// an MCP URL and nothing else: 401 -> protected resource metadata ->
// authorization server metadata -> dynamic client registration ->
// authorization code with PKCE (the SDK calls redirectToAuthorization;
// this provider then logs in as eitan / test (http or https: an https
// authorization server's CA given by NODE_EXTRA_CA_CERTS), following
// redirects with a cookie jar, like tests/as/get-token.mjs) -> the code
// caught at the loopback redirect_uri -> transport.finishAuth(code) ->
// a new connection with the token: initialize, tools/call echo.
//
// usage: node oauth-client.mjs MCP_URL [--message M] [--user U]
//            [--password P] [--redirect URL] [--timeout S] [--quiet]
// Prints "token-hash HASH" (SHA-256 prefix, as mcpproxyd logs it; never
// the token), "claims JSON" (the access token's claims, unverified) and,
// last, a JSON summary.  Exit 0 when every check passed, 1 otherwise,
// 2 on a usage error or the overall timeout.
import { createHash } from 'node:crypto';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from
    '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';

const args = process.argv.slice(2);
const opt = { message: 'hello through the protected proxy', user: 'eitan',
    password: 'test', redirect: 'http://127.0.0.1:9/oauth/callback',
    timeout: 60, quiet: false };
let url;
for (let i = 0; i < args.length; i++) {
	const a = args[i];
	const val = () => {
		if (i + 1 >= args.length) usage(`${a} needs a value`);
		return args[++i];
	};
	if (a === '--message') opt.message = val();
	else if (a === '--user') opt.user = val();
	else if (a === '--password') opt.password = val();
	else if (a === '--redirect') opt.redirect = val();
	else if (a === '--timeout') opt.timeout = Number(val());
	else if (a === '--quiet') opt.quiet = true;
	else if (a.startsWith('-')) usage(`unknown option ${a}`);
	else if (!url) url = a;
	else usage('one URL only');
}
if (!url) usage('no URL');

function usage(msg) {
	console.error(`oauth-client.mjs: ${msg}\nusage: node oauth-client.mjs MCP_URL [--message M] [--user U] [--password P] [--redirect URL] [--timeout S] [--quiet]`);
	process.exit(2);
}

const t0 = performance.now();
const now = () => Math.round(performance.now() - t0);
const log = (...m) => { if (!opt.quiet) console.log(`[${now()} ms]`, ...m); };
const failures = [];
const summary = { url, ok: false, checks: {}, requests: [] };
const check = (name, cond, detail) => {
	summary.checks[name] = cond ? 'ok' : 'FAIL';
	if (cond) log(`ok   ${name}${detail ? ': ' + detail : ''}`);
	else {
		failures.push(`${name}${detail ? ': ' + detail : ''}`);
		console.log(`FAIL ${name}${detail ? ': ' + detail : ''}`);
	}
	return cond;
};

function finish(code) {
	summary.ok = code === 0 && failures.length === 0;
	summary.failures = failures;
	summary.elapsed_ms = now();
	console.log(JSON.stringify(summary));
	process.exit(summary.ok ? 0 : (code || 1));
}

const overall = setTimeout(() => {
	failures.push(`overall timeout of ${opt.timeout} s`);
	console.log(`FAIL overall timeout of ${opt.timeout} s`);
	finish(2);
}, opt.timeout * 1000);
overall.unref();

// Every HTTP exchange the SDK makes (the auth discovery included):
// method, URL without its query, status, and the WWW-Authenticate of a 401.
const recordingFetch = async (input, init = {}) => {
	const u = new URL(input instanceof Request ? input.url : String(input));
	const method = (init.method || (input instanceof Request ? input.method :
	    'GET')).toUpperCase();
	const rec = { t: now(), method, url: `${u.origin}${u.pathname}` };
	summary.requests.push(rec);
	try {
		const res = await fetch(input, init);
		rec.status = res.status;
		const wa = res.headers.get('www-authenticate');
		if (wa) rec.www_authenticate = wa;
		return res;
	} catch (e) {
		// fetch's "fetch failed" hides why: a refused certificate's
		// code (SELF_SIGNED_CERT_IN_CHAIN...) is in its cause
		rec.error = String(e?.message || e) + (e?.cause ?
		    `: ${e.cause.code || e.cause.message || e.cause}` : '');
		throw e;
	}
};

// The scripted login: follow the authorization URL with a cookie jar,
// answer the login form, stop at the redirect_uri and take the code.
async function login(authUrl) {
	const jar = new Map();
	const go = async (u, init = {}) => {
		const headers = { ...(init.headers ?? {}) };
		if (jar.size)
			headers.cookie = [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
		const res = await fetch(u, { ...init, headers, redirect: 'manual' });
		for (const c of res.headers.getSetCookie?.() ?? []) {
			const [pair] = c.split(';');
			const i = pair.indexOf('=');
			jar.set(pair.slice(0, i), pair.slice(i + 1));
		}
		return res;
	};
	let u = authUrl;
	for (let hops = 0; hops < 20; hops++) {
		let res = await go(u);
		if (res.status === 200 && /<form/.test(await res.text())) {
			summary.login_form = true;
			res = await go(u, {
				method: 'POST',
				headers: { 'content-type': 'application/x-www-form-urlencoded' },
				body: new URLSearchParams({ username: opt.user,
				    password: opt.password }).toString(),
			});
		}
		const loc = res.headers.get('location');
		if (!loc)
			throw new Error(`login: no redirect from ${new URL(u).pathname}: ${res.status}`);
		const next = new URL(loc, u);
		if (next.href.startsWith(opt.redirect)) {
			const code = next.searchParams.get('code');
			if (!code)
				throw new Error(`authorization failed: ${next.search}`);
			return { code, state: next.searchParams.get('state') };
		}
		u = next.href;
	}
	throw new Error('login: too many redirects');
}

class TestProvider {
	constructor() {
		this._client = undefined;
		this._tokens = undefined;
		this._verifier = undefined;
		this.code = undefined;
		this.registrations = 0;
		this.redirects = 0;
	}
	get redirectUrl() { return opt.redirect; }
	get clientMetadata() {
		return {
			client_name: 'mcpproxyd oauth-client.mjs',
			redirect_uris: [opt.redirect],
			grant_types: ['authorization_code'],
			response_types: ['code'],
			token_endpoint_auth_method: 'none',
		};
	}
	clientInformation() { return this._client; }
	saveClientInformation(info) {
		this.registrations++;
		this._client = info;
		log(`registered client ${info.client_id}`);
	}
	tokens() { return this._tokens; }
	saveTokens(t) {
		this._tokens = t;
		log(`tokens saved (${t.token_type}, expires_in ${t.expires_in})`);
	}
	saveCodeVerifier(v) { this._verifier = v; }
	codeVerifier() {
		if (!this._verifier) throw new Error('no code verifier saved');
		return this._verifier;
	}
	async redirectToAuthorization(authUrl) {
		this.redirects++;
		const p = authUrl.searchParams;
		summary.authorization_request = {
			endpoint: `${authUrl.origin}${authUrl.pathname}`,
			response_type: p.get('response_type'),
			code_challenge_method: p.get('code_challenge_method'),
			has_code_challenge: !!p.get('code_challenge'),
			resource: p.get('resource'),
			scope: p.get('scope'),
			redirect_uri: p.get('redirect_uri'),
		};
		log(`redirectToAuthorization ${authUrl.origin}${authUrl.pathname}`);
		const { code, state } = await login(authUrl.href);
		this.code = code;
		summary.state_returned = state === p.get('state');
		log('login done, code received at the redirect_uri');
	}
}

const provider = new TestProvider();
const transportErrors = [];
const newTransport = () => {
	const t = new StreamableHTTPClientTransport(new URL(url), {
		authProvider: provider, fetch: recordingFetch,
		reconnectionOptions: { maxRetries: 0, initialReconnectionDelay: 1000,
		    maxReconnectionDelay: 1000, reconnectionDelayGrowFactor: 1 },
	});
	t.onerror = (e) => { transportErrors.push(String(e?.message || e)); };
	return t;
};
const newClient = () => new Client({ name: 'mcpproxyd-oauth-client',
    version: '1.0.0' }, { capabilities: {} });

let client;
try {
	// 1. no token: the 401 starts the flow, which ends in the redirect
	let transport = newTransport();
	client = newClient();
	let first;
	try {
		await client.connect(transport);
		first = 'connected without authorization';
	} catch (e) {
		first = e;
	}
	if (!check('first connect wants authorization',
	    first instanceof UnauthorizedError,
	    (first instanceof Error ? first.message : String(first)) +
	    (summary.requests[0]?.error ? ` (${summary.requests[0].error})` : '')))
		throw new Error('no authorization flow');
	const r0 = summary.requests[0];
	check('first answer 401 with resource_metadata', r0?.status === 401 &&
	    /resource_metadata="/.test(r0.www_authenticate ?? ''),
	    JSON.stringify(r0));
	const prm = summary.requests.find((r) =>
	    r.url.includes('/.well-known/oauth-protected-resource'));
	check('protected resource metadata fetched', prm?.status === 200,
	    JSON.stringify(prm));
	const asm = summary.requests.find((r) =>
	    /\.well-known\/(oauth-authorization-server|openid-configuration)/.test(r.url) &&
	    r.status === 200);
	check('authorization server metadata fetched', !!asm, JSON.stringify(asm));
	check('dynamic client registration', provider.registrations === 1 &&
	    !!provider._client?.client_id, provider._client?.client_id);
	const ar = summary.authorization_request ?? {};
	check('authorization request with PKCE S256 and resource',
	    ar.code_challenge_method === 'S256' && ar.has_code_challenge &&
	    ar.resource === url, JSON.stringify(ar));
	check('login gave a code', !!provider.code && summary.state_returned !== false);
	try { await client.close(); } catch { /* ignore */ }

	// 2. the code for tokens (PKCE verifier, resource)
	await transport.finishAuth(provider.code);
	const tok = provider._tokens?.access_token;
	check('access token received', !!tok);
	if (!tok)
		throw new Error('no access token');
	const hash = createHash('sha256').update(tok).digest('hex').slice(0, 16);
	summary.token_hash = hash;
	console.log(`token-hash ${hash}`);
	let claims = {}, header = {};
	try {
		const [h, p] = tok.split('.');
		header = JSON.parse(Buffer.from(h, 'base64url'));
		claims = JSON.parse(Buffer.from(p, 'base64url'));
	} catch { /* an opaque token fails the next check */ }
	summary.token = { kid: header.kid, alg: header.alg, typ: header.typ,
	    sub: claims.sub, aud: claims.aud, scope: claims.scope, iss: claims.iss };
	console.log(`claims ${JSON.stringify(summary.token)}`);
	const auds = [claims.aud].flat();
	check('JWT access token for this resource', header.alg === 'RS256' &&
	    auds.includes(url), JSON.stringify(summary.token));

	// 3. connect again with the token: initialize, tools/call echo
	const before = summary.requests.length;
	transport = newTransport();
	client = newClient();
	await client.connect(transport);
	const sv = client.getServerVersion();
	check('initialize with the token', !!sv && !!transport.sessionId,
	    `server ${sv?.name} ${sv?.version}, session ${transport.sessionId}`);
	const echo = await client.callTool({ name: 'echo',
	    arguments: { message: opt.message } });
	const text = echo.content?.[0]?.text;
	check('tools/call echo', text === `Echo: ${opt.message}`, JSON.stringify(text));
	const after = summary.requests.slice(before);
	const unauth = after.filter((r) => r.status === 401 || r.status === 403);
	check('no 401/403 once authorized', unauth.length === 0,
	    JSON.stringify(unauth));
	check('one registration, one redirect', provider.registrations === 1 &&
	    provider.redirects === 1,
	    `${provider.registrations} registrations, ${provider.redirects} redirects`);
	await transport.terminateSession();
	await client.close();
} catch (e) {
	failures.push(`exception: ${e?.stack || e}`);
	console.log(`FAIL exception: ${e?.message || e}`);
	if (transportErrors.length)
		console.log(`     transport errors: ${transportErrors.join('; ')}`);
	try { await client?.close(); } catch { /* ignore */ }
	finish(1);
}
finish(0);
