#!/usr/bin/env node
// The real MCP SDK client (StreamableHTTPClientTransport with an
// OAuthClientProvider) against a route with a tool policy, as one user:
// the whole authorization flow (401, metadata, DCR, PKCE, a scripted
// login as --user), then tools/call echo, which the policy allows
// (--echo allow: "Echo: ..." comes back) or forbids (--echo deny: the
// call rejects with the SDK's McpError carrying --code, while the HTTP
// answer was 200, not an HTTP failure).  With --stepup TOOL, a call of
// TOOL that needs another scope: the SDK gets 403 insufficient_scope,
// re-authorizes with the challenge's scope (a second login) and the
// call, made again after finishAuth, succeeds; echo is called once more
// afterwards.
//
// usage: node authz-client.mjs MCP_URL --user U --echo allow|deny
//            [--code N] [--stepup TOOL] [--timeout S]
// Prints "ok NAME" / "FAIL NAME" per check and a last JSON summary.
// Exit 0 when every check passed, 1 otherwise, 2 on a usage error.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from
    '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import { McpError } from '@modelcontextprotocol/sdk/types.js';

const args = process.argv.slice(2);
const opt = { user: 'eitan', password: 'test', echo: 'allow', code: -32001,
    stepup: null, redirect: 'http://127.0.0.1:9/oauth/callback',
    timeout: 60 };
let url;
for (let i = 0; i < args.length; i++) {
	const a = args[i];
	const val = () => {
		if (i + 1 >= args.length) usage(`${a} needs a value`);
		return args[++i];
	};
	if (a === '--user') opt.user = val();
	else if (a === '--echo') opt.echo = val();
	else if (a === '--code') opt.code = Number(val());
	else if (a === '--stepup') opt.stepup = val();
	else if (a === '--timeout') opt.timeout = Number(val());
	else if (a.startsWith('-')) usage(`unknown option ${a}`);
	else if (!url) url = a;
	else usage('one URL only');
}
if (!url || !['allow', 'deny'].includes(opt.echo)) usage('bad arguments');

function usage(msg) {
	console.error(`authz-client.mjs: ${msg}`);
	process.exit(2);
}

const failures = [];
const summary = { url, user: opt.user, checks: {}, requests: [] };
const check = (name, cond, detail) => {
	summary.checks[name] = cond ? 'ok' : 'FAIL';
	const line = `${name}${detail ? ': ' + detail : ''}`;
	if (cond)
		console.log(`ok   ${line}`);
	else {
		failures.push(line);
		console.log(`FAIL ${line}`);
	}
	return cond;
};
function finish() {
	summary.ok = failures.length === 0;
	summary.failures = failures;
	console.log(JSON.stringify(summary));
	process.exit(summary.ok ? 0 : 1);
}
setTimeout(() => {
	failures.push(`overall timeout of ${opt.timeout} s`);
	finish();
}, opt.timeout * 1000).unref();

// every HTTP exchange: method, path, status, the challenge of a 401/403,
// the JSON-RPC method and id of a POST
const recordingFetch = async (input, init = {}) => {
	const u = new URL(input instanceof Request ? input.url : String(input));
	const method = (init.method || 'GET').toUpperCase();
	const rec = { method, url: `${u.origin}${u.pathname}` };
	try {
		const b = JSON.parse(init.body);
		rec.rpc = b.method;
		rec.id = b.id;
		rec.tool = b.params?.name;
	} catch { /* not JSON */ }
	summary.requests.push(rec);
	const res = await fetch(input, init);
	rec.status = res.status;
	const wa = res.headers.get('www-authenticate');
	if (wa)
		rec.www_authenticate = wa;
	return res;
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
		if (res.status === 200 && /<form/.test(await res.text()))
			res = await go(u, {
				method: 'POST',
				headers: { 'content-type':
				    'application/x-www-form-urlencoded' },
				body: new URLSearchParams({ username: opt.user,
				    password: opt.password }).toString(),
			});
		const loc = res.headers.get('location');
		if (!loc)
			throw new Error(`login: no redirect: ${res.status}`);
		const next = new URL(loc, u);
		if (next.href.startsWith(opt.redirect)) {
			const code = next.searchParams.get('code');
			if (!code)
				throw new Error(`authorization failed: ${next.search}`);
			return code;
		}
		u = next.href;
	}
	throw new Error('login: too many redirects');
}

// no offline_access, no refresh_token grant: the SDK's refresh drops the
// new scope (typescript-sdk #2255), so every authorization logs in
const provider = {
	client: undefined, tok: undefined, verifier: undefined, code: undefined,
	scopes: [],
	get redirectUrl() { return opt.redirect; },
	get clientMetadata() {
		return { client_name: 'mcpproxyd authz-client.mjs',
		    redirect_uris: [opt.redirect],
		    grant_types: ['authorization_code'],
		    response_types: ['code'], token_endpoint_auth_method: 'none' };
	},
	clientInformation() { return this.client; },
	saveClientInformation(i) { this.client = i; },
	tokens() { return this.tok; },
	saveTokens(t) { this.tok = t; },
	saveCodeVerifier(v) { this.verifier = v; },
	codeVerifier() { return this.verifier; },
	async redirectToAuthorization(authUrl) {
		this.scopes.push(authUrl.searchParams.get('scope'));
		this.code = await login(authUrl.href);
	},
};

const newTransport = () => new StreamableHTTPClientTransport(new URL(url), {
	authProvider: provider, fetch: recordingFetch,
	reconnectionOptions: { maxRetries: 0, initialReconnectionDelay: 1000,
	    maxReconnectionDelay: 1000, reconnectionDelayGrowFactor: 1 } });
const newClient = () => new Client({ name: 'mcpproxyd-authz-client',
    version: '1.0.0' }, { capabilities: {} });

// call a tool; { text } or { error } (McpError: code, message)
async function call(client, name, args) {
	try {
		const r = await client.callTool({ name, arguments: args });
		return { text: r.content?.[0]?.text, isError: r.isError };
	} catch (e) {
		return { error: e, code: e instanceof McpError ? e.code : undefined };
	}
}

// Register the client for every scope it may need (as an operator
// pre-registers one in Keycloak): oidc-provider, unlike Keycloak's
// optional client scopes, refuses a later authorization for a scope the
// registration did not name, and the SDK registers with the first
// challenge's scope only.
async function preRegister() {
	const u = new URL(url);
	const prm = await (await fetch(`${u.origin}/.well-known/` +
	    `oauth-protected-resource${u.pathname}`)).json();
	const as = prm.authorization_servers[0];
	const meta = await (await fetch(`${as}/.well-known/` +
	    'openid-configuration')).json();
	const res = await fetch(meta.registration_endpoint, { method: 'POST',
	    headers: { 'content-type': 'application/json' },
	    body: JSON.stringify({ ...provider.clientMetadata,
	    scope: prm.scopes_supported.join(' ') }) });
	if (res.status !== 201)
		throw new Error(`registration: ${res.status}`);
	provider.client = await res.json();
}

let client, transport;
try {
	await preRegister();
	transport = newTransport();
	client = newClient();
	try {
		await client.connect(transport);
	} catch (e) {
		if (!(e instanceof UnauthorizedError))
			throw e;
	}
	await transport.finishAuth(provider.code);
	transport = newTransport();
	client = newClient();
	await client.connect(transport);
	check('logged in and initialized', !!transport.sessionId,
	    `${opt.user}, session ${transport.sessionId}`);

	let r = await call(client, 'echo', { message: 'hi' });
	const echoReq = summary.requests.filter((q) => q.tool === 'echo').pop();
	if (opt.echo === 'allow')
		check('echo allowed', r.text === 'Echo: hi',
		    r.error ? String(r.error) : JSON.stringify(r.text));
	else {
		check(`echo refused as the call's JSON-RPC error ${opt.code}`,
		    r.error instanceof McpError && r.code === opt.code,
		    r.error ? `${r.error.constructor.name} ${r.code} ` +
		    `${r.error.message}` : `answered ${JSON.stringify(r.text)}`);
		check('echo refusal over HTTP 200', echoReq?.status === 200,
		    JSON.stringify(echoReq));
		check('the session goes on after the refusal',
		    (await client.ping()) !== undefined);
	}

	if (opt.stepup) {
		const before = provider.scopes.length;
		r = await call(client, opt.stepup, { a: 1, b: 2 });
		const denied = summary.requests.filter((q) =>
		    q.tool === opt.stepup && q.status === 403);
		check(`${opt.stepup}: 403 insufficient_scope`, denied.length === 1 &&
		    /error="insufficient_scope"/.test(denied[0].www_authenticate),
		    JSON.stringify(denied));
		summary.challenge = denied[0]?.www_authenticate;
		check('the SDK re-authorized', r.error instanceof UnauthorizedError &&
		    provider.scopes.length === before + 1,
		    `${r.error ?? r.text}; authorizations ${provider.scopes.length}`);
		summary.stepup_scope = provider.scopes.at(-1);
		await transport.finishAuth(provider.code);
		check('the new token holds the challenge\'s scope',
		    /mcp:admin/.test(provider.tok?.scope ?? ''), provider.tok?.scope);
		r = await call(client, opt.stepup, { a: 1, b: 2 });
		check(`${opt.stepup} after step-up`, !r.error && /3/.test(r.text ?? ''),
		    r.error ? String(r.error) : JSON.stringify(r.text));
		r = await call(client, 'echo', { message: 'again' });
		check('echo after step-up', r.text === 'Echo: again',
		    r.error ? String(r.error) : JSON.stringify(r.text));
	}
	await transport.terminateSession();
	await client.close();
} catch (e) {
	failures.push(`exception: ${e?.stack || e}`);
	console.log(`FAIL exception: ${e?.message || e}`);
}
finish();
