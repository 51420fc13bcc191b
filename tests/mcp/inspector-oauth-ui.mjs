#!/usr/bin/env node
// The tutorial's Guided OAuth Flow in the MCP Inspector 1.x web UI, driven
// in headless Chromium (playwright-core), Connection Type "Direct": the
// browser itself fetches the proxy's metadata, registers (through the
// proxy's relay), follows the authorization URL in a new tab, logs in,
// and trades the code at the authorization server's token endpoint.
//
//   Transport Type "Streamable HTTP", URL, Connection Type "Direct",
//   Open Auth Settings -> Guided OAuth Flow -> Continue (metadata
//   discovery) -> Continue (client registration) -> Continue (preparing
//   authorization: the authorization URL) -> its new-tab button -> log in
//   USER / PASSWORD -> the code the callback page shows -> paste it ->
//   Continue -> Continue (token request) -> "Authentication Complete"
//   (open its "Access Tokens" details: "Authentication successful!" is
//   inside, hidden until opened) -> Connect -> Tools -> List Tools -> echo
//   -> Run Tool -> "Echo: <message>".
// Last line on stdout: {"ok":true,...,"sub":...,"aud":...} (the access
// token's claims), or {"ok":false,"step":...}.
//
// usage: node inspector-oauth-ui.mjs --ui INSPECTOR_URL --mcp MCP_URL
//          [--message M] [--user U] [--password P] [--dir DIR]
//          [--timeout S] [--chromium PATH] [--list-only yes]
//   --list-only yes: after List Tools, print the tools the page lists
//     ("tools": their titles or names, in the last line) and stop there
//     (no echo call: a caller may not see echo)
//   DIR: the Chromium profile (recreated) and the screenshot
//     (inspector-oauth-fail.png on failure, inspector-oauth-ok.png on
//     success)
// Exit 0 on success, 1 on failure: the step that failed, the UI's error
// box, the pages' console, and every non-asset request and response of
// both tabs (with the CORS headers).
import { chromium } from 'playwright-core';
import fs from 'node:fs';
import path from 'node:path';
import os from 'node:os';

const args = process.argv.slice(2);
const opt = { message: 'hello from the guided oauth flow', user: 'eitan',
    password: 'test', timeout: 20,
    chromium: process.env.CHROMIUM || '/usr/bin/chromium' };
const known = ['ui', 'mcp', 'message', 'user', 'password', 'dir', 'timeout',
    'chromium', 'list-only'];
for (let i = 0; i < args.length; i++) {
	const k = args[i].replace(/^--/, '');
	if (!known.includes(k) || i + 1 >= args.length) {
		console.error(`inspector-oauth-ui.mjs: bad argument ${args[i]}`);
		process.exit(2);
	}
	opt[k] = args[++i];
}
if (!opt.ui || !opt.mcp) {
	console.error('usage: inspector-oauth-ui.mjs --ui INSPECTOR_URL --mcp MCP_URL [--message M] [--dir DIR]');
	process.exit(2);
}
const dir = opt.dir || fs.mkdtempSync(path.join(os.tmpdir(), 'inspector-oauth-ui-'));
fs.mkdirSync(dir, { recursive: true });
const profile = path.join(dir, 'chromium-profile');
fs.rmSync(profile, { recursive: true, force: true });
fs.mkdirSync(profile);
const T = Number(opt.timeout) * 1000;

const t0 = Date.now();
const stamp = () => `[${((Date.now() - t0) / 1000).toFixed(1)} s]`;
const say = (m) => console.log(`${stamp()} ${m}`);
const trace = [];
const asset = /\.(js|css|svg|png|ico|woff2?|map)(\?|$)/;
const CORS = ['access-control-allow-origin', 'access-control-expose-headers',
    'access-control-allow-headers', 'www-authenticate', 'location'];
function watch(pg, tag) {
	pg.on('console', (m) => {
		if (m.type() !== 'debug')
			trace.push(`${stamp()} ${tag} console ${m.type()}: ${m.text()}`);
	});
	pg.on('pageerror', (e) => trace.push(`${stamp()} ${tag} pageerror: ${e.message}`));
	pg.on('requestfailed', (r) => trace.push(
	    `${stamp()} ${tag} FAILED ${r.method()} ${r.url()}: ${r.failure()?.errorText}`));
	pg.on('request', (r) => {
		if (!asset.test(r.url()))
			trace.push(`${stamp()} ${tag} > ${r.method()} ${r.url()}` +
			    (r.headers().origin ? ` (Origin ${r.headers().origin})` : ''));
	});
	pg.on('response', async (r) => {
		if (asset.test(r.url()))
			return;
		const h = await r.allHeaders().catch(() => ({}));
		const shown = CORS.filter((k) => h[k]).map((k) => `${k}: ${h[k]}`);
		trace.push(`${stamp()} ${tag} < ${r.status()} ${r.request().method()} ${r.url()}` +
		    (shown.length ? ` {${shown.join('; ')}}` : ''));
	});
}

const context = await chromium.launchPersistentContext(profile, {
	executablePath: opt.chromium,
	headless: true,
	args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic',
	    '--no-first-run', '--disable-background-networking',
	    '--disable-component-update', '--disable-sync'],
	viewport: { width: 1400, height: 1400 },
});
const page = context.pages()[0] || await context.newPage();
page.setDefaultTimeout(T);
watch(page, 'ui');

let step = 'start';
async function choose(selectId, optionName) {
	await page.locator(`#${selectId}`).click();
	await page.getByRole('option', { name: optionName, exact: true }).click();
	await page.locator(`#${selectId}`).filter({ hasText: optionName })
	    .waitFor();
}

// The Guided flow's "Continue" runs the current step (a request or two)
// and moves on; while it runs the button says "Processing...".  A failed
// step shows "Error:" and the message under the step.
const cont = () => page.getByRole('button', { name: 'Continue', exact: true });
async function stepError() {
	const box = page.locator('div.border-red-300');
	if (await box.count())
		return (await box.first().innerText()).replace(/\s+/g, ' ');
	return null;
}
async function runStep(what) {
	step = what;
	await cont().waitFor();
	await cont().click();
	// the step has run when Continue is enabled again (or gone)
	await page.waitForTimeout(300);
	await page.getByRole('button', { name: 'Processing...' })
	    .waitFor({ state: 'hidden' });
	const err = await stepError();
	if (err)
		throw new Error(`the Inspector says: ${err}`);
	say(`${what}: done`);
}

try {
	step = 'open the Inspector UI';
	await page.goto(opt.ui);
	await page.getByText('Transport Type').waitFor();
	await choose('transport-type-select', 'Streamable HTTP');
	await page.locator('#sse-url-input').fill(opt.mcp);
	await choose('connection-type-select', 'Direct');
	say(`Streamable HTTP, Direct, ${opt.mcp}`);

	step = 'Open Auth Settings';
	await page.getByRole('button', { name: 'Open Auth Settings' }).click();
	step = 'Guided OAuth Flow';
	await page.getByRole('button', { name: 'Guided OAuth Flow' }).click();
	await cont().waitFor();
	say('Guided OAuth Flow started');

	// metadata discovery -> client registration -> preparing
	// authorization: one Continue each, then the authorization URL shows
	// with its button that opens it in a new tab (noopener)
	const openTab = page.getByRole('button',
	    { name: 'Open authorization URL in new tab' });
	const names = ['metadata discovery', 'client registration',
	    'preparing authorization'];
	for (let i = 0; i < 3 && !(await openTab.isVisible()); i++)
		await runStep(names[i]);
	await openTab.waitFor({ timeout: 1000 }).catch(async () => {
		throw new Error(`no authorization URL: ${await stepError() ?? 'no error shown'}`);
	});
	const authUrl = (await page.locator('p', { hasText: /^Authorization URL:$/ })
	    .locator('xpath=following-sibling::*[1]').innerText().catch(() => '')).trim();
	say(`authorization URL: ${authUrl.slice(0, 120)}...`);

	step = 'open the authorization URL in a new tab';
	const popupP = context.waitForEvent('page');
	await openTab.click();
	const popup = await popupP;
	popup.setDefaultTimeout(T);
	watch(popup, 'tab');
	// the redirect to the Inspector's debug callback carries the code
	const callbackP = popup.waitForRequest((r) =>
	    /\/oauth\/callback\/debug\?/.test(r.url()));
	step = `log in as ${opt.user}`;
	await popup.locator('input[name=username]').fill(opt.user);
	await popup.locator('input[name=password]').fill(opt.password);
	await popup.getByRole('button', { name: 'Sign in' }).click();
	const cb = new URL((await callbackP).url());
	const code = cb.searchParams.get('code');
	if (!code)
		throw new Error(`no code in the callback: ${cb.search}`);
	step = 'the callback page shows the code';
	const shown = (await popup.locator('code').first().innerText()).trim();
	if (shown !== code)
		throw new Error(`the callback page shows "${shown}", the redirect had ${code}`);
	say(`logged in as ${opt.user}; code ${code.slice(0, 8)}... at ${cb.origin}${cb.pathname}`);
	await popup.close();

	step = 'paste the authorization code';
	const codeInput = page.getByPlaceholder('Enter the code from the authorization server');
	await codeInput.waitFor();
	await codeInput.fill(code);
	// authorization code -> token request -> complete
	const complete = page.getByText('Access Tokens', { exact: true });
	await runStep('authorization code');
	if (!(await complete.isVisible()))
		await runStep('token request');

	step = 'Authentication Complete';
	await complete.click();	// a <details>: open it, as a user would
	await page.getByText('Authentication successful!').waitFor();
	const tokens = JSON.parse(await complete.locator('xpath=..').locator('pre').innerText());
	if (!tokens.access_token || !/^bearer$/i.test(tokens.token_type ?? ''))
		throw new Error(`no bearer token: ${JSON.stringify(tokens).slice(0, 200)}`);
	const claims = JSON.parse(Buffer.from(tokens.access_token.split('.')[1] ?? '',
	    'base64url').toString() || '{}');
	say(`Authentication successful: ${tokens.token_type} token, sub ${claims.sub}, ` +
	    `aud ${claims.aud}, scope "${claims.scope}"`);

	step = 'Connect';
	await page.getByRole('button', { name: 'Connect', exact: true }).click();
	await page.getByText('Connected', { exact: true }).waitFor();
	say('connected');
	step = 'Tools -> List Tools';
	await page.getByRole('tab', { name: 'Tools' }).click();
	await page.getByRole('button', { name: 'List Tools' }).click();
	if (opt['list-only'] === 'yes') {
		step = 'the tools listed';
		const pane = page.locator('div.bg-card', { has:
		    page.locator('h3', { hasText: /^Tools$/ }) });
		const item = pane.locator('div.flex-col.min-w-0 > span.truncate');
		await item.first().waitFor();
		const tools = await item.allInnerTexts();
		say(`the page lists ${tools.length} tools: ${tools.join(', ')}`);
		await page.screenshot({ path: path.join(dir,
		    'inspector-oauth-list.png'), fullPage: true });
		console.log(JSON.stringify({ ok: true, mcp: opt.mcp,
		    sub: claims.sub, aud: claims.aud, tools,
		    elapsed_ms: Date.now() - t0 }));
		await context.close();
		process.exit(0);
	}
	step = 'pick the echo tool';
	await page.getByText(/^(echo|Echo Tool)$/).first().click();
	step = 'fill the message';
	await page.locator('#message').fill(opt.message);
	step = 'Run Tool';
	await page.getByRole('button', { name: 'Run Tool' }).click();
	step = `expect "Echo: ${opt.message}"`;
	await page.getByText(`Echo: ${opt.message}`).first().waitFor();
	say(`ok: the page shows "Echo: ${opt.message}"`);
	await page.screenshot({ path: path.join(dir, 'inspector-oauth-ok.png'),
	    fullPage: true });
	console.log(JSON.stringify({ ok: true, mcp: opt.mcp, sub: claims.sub,
	    aud: claims.aud, elapsed_ms: Date.now() - t0 }));
	await context.close();
	process.exit(0);
} catch (e) {
	const shot = path.join(dir, 'inspector-oauth-fail.png');
	try { await page.screenshot({ path: shot, fullPage: true }); }
	catch { /* ignore */ }
	console.log(`FAIL at step "${step}": ${e.message.split('\n')[0]}`);
	console.log(`screenshot: ${shot}`);
	for (const l of trace)
		console.log(`  ${l}`);
	try {
		const text = (await page.locator('body').innerText()).slice(0, 3000);
		console.log('  page text:\n' + text.replace(/^/gm, '    '));
	} catch { /* ignore */ }
	console.log(JSON.stringify({ ok: false, step, error: e.message.split('\n')[0] }));
	await context.close().catch(() => {});
	process.exit(1);
}
