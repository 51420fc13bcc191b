#!/usr/bin/env node
// Drive the MCP Inspector 1.x web UI in headless Chromium (playwright-core)
// the way the tutorial does it by hand: Transport Type "Streamable HTTP",
// URL of the MCP endpoint, Connection Type "Direct" (the browser talks to
// the endpoint itself, so CORS must be right), Connect, Tools -> List Tools
// -> echo -> message -> Run Tool, and expect "Echo: <message>".
//
// usage: node inspector-ui.mjs --ui INSPECTOR_URL --mcp MCP_URL
//          [--message M] [--dir DIR] [--timeout S] [--chromium PATH]
//   INSPECTOR_URL: what the Inspector printed, e.g.
//     http://localhost:6274/?MCP_PROXY_PORT=6277&MCP_PROXY_AUTH_TOKEN=...
//   DIR: where the Chromium profile goes (must be empty or absent), and the
//     screenshot (inspector-fail.png on failure, inspector-ok.png on success)
// Exit 0 on success, 1 on failure (with the step that failed, the page's
// console errors and failed requests).
import { chromium } from 'playwright-core';
import fs from 'node:fs';
import path from 'node:path';
import os from 'node:os';

const args = process.argv.slice(2);
const opt = { message: 'hello from the inspector', timeout: 20,
    chromium: process.env.CHROMIUM || '/usr/bin/chromium' };
for (let i = 0; i < args.length; i++) {
	const k = args[i].replace(/^--/, '');
	if (!['ui', 'mcp', 'message', 'dir', 'timeout', 'chromium'].includes(k) ||
	    i + 1 >= args.length) {
		console.error(`inspector-ui.mjs: bad argument ${args[i]}`);
		process.exit(2);
	}
	opt[k] = args[++i];
}
if (!opt.ui || !opt.mcp) {
	console.error('usage: inspector-ui.mjs --ui INSPECTOR_URL --mcp MCP_URL [--message M] [--dir DIR] [--timeout S]');
	process.exit(2);
}
const dir = opt.dir || fs.mkdtempSync(path.join(os.tmpdir(), 'inspector-ui-'));
fs.mkdirSync(dir, { recursive: true });
const profile = path.join(dir, 'chromium-profile');
fs.rmSync(profile, { recursive: true, force: true });
fs.mkdirSync(profile);
const T = Number(opt.timeout) * 1000;

const t0 = Date.now();
const say = (m) => console.log(`[${((Date.now() - t0) / 1000).toFixed(1)} s] ${m}`);
const consoleLines = [], failedRequests = [], responses = [];

const context = await chromium.launchPersistentContext(profile, {
	executablePath: opt.chromium,
	headless: true,
	args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic',
	    '--no-first-run', '--disable-background-networking',
	    '--disable-component-update', '--disable-sync'],
	viewport: { width: 1400, height: 1000 },
});
const page = context.pages()[0] || await context.newPage();
page.setDefaultTimeout(T);
page.on('console', (m) => {
	if (['error', 'warning'].includes(m.type()))
		consoleLines.push(`${m.type()}: ${m.text()}`);
});
page.on('pageerror', (e) => consoleLines.push(`pageerror: ${e.message}`));
page.on('requestfailed', (r) => failedRequests.push(
    `${r.method()} ${r.url()}: ${r.failure()?.errorText}`));
const mcpOrigin = new URL(opt.mcp).origin;
page.on('response', (r) => {
	if (r.url().startsWith(mcpOrigin))
		responses.push(`${r.request().method()} ${r.url()} -> ${r.status()}`);
});

let step = 'start';
async function choose(selectId, optionName) {
	await page.locator(`#${selectId}`).click();
	await page.getByRole('option', { name: optionName, exact: true }).click();
	await page.locator(`#${selectId}`).filter({ hasText: optionName })
	    .waitFor();
}

try {
	step = 'open the Inspector UI';
	await page.goto(opt.ui);
	await page.getByText('Transport Type').waitFor();
	say(`${step}: ${await page.title()}`);

	step = 'Transport Type: Streamable HTTP';
	await choose('transport-type-select', 'Streamable HTTP');
	say(step);

	step = 'URL';
	await page.locator('#sse-url-input').fill(opt.mcp);
	say(`${step}: ${opt.mcp}`);

	step = 'Connection Type: Direct';
	await choose('connection-type-select', 'Direct');
	say(step);

	step = 'Connect';
	await page.getByRole('button', { name: 'Connect', exact: true }).click();
	await page.getByText('Connected', { exact: true }).waitFor();
	say(`${step}: connected`);

	step = 'Tools tab';
	await page.getByRole('tab', { name: 'Tools' }).click();
	step = 'List Tools';
	await page.getByRole('button', { name: 'List Tools' }).click();
	step = 'pick the echo tool';
	// listed by its title ("Echo Tool") where it has one, else its name
	await page.getByText(/^(echo|Echo Tool)$/).first().click();
	say(`${step}`);

	step = 'fill the message';
	const input = page.locator('#message');
	try { await input.waitFor({ timeout: 5000 }); }
	catch { await page.screenshot({ path: path.join(dir, 'inspector-tool.png') }); throw new Error('no #message input'); }
	await input.fill(opt.message);

	step = 'Run Tool';
	await page.getByRole('button', { name: 'Run Tool' }).click();
	step = `expect "Echo: ${opt.message}"`;
	await page.getByText(`Echo: ${opt.message}`).first().waitFor();
	say(`ok: the page shows "Echo: ${opt.message}"`);
	await page.screenshot({ path: path.join(dir, 'inspector-ok.png'),
	    fullPage: true });
	console.log(JSON.stringify({ ok: true, mcp: opt.mcp,
	    requests: responses.length, elapsed_ms: Date.now() - t0 }));
	await context.close();
	process.exit(0);
} catch (e) {
	const shot = path.join(dir, 'inspector-fail.png');
	try { await page.screenshot({ path: shot, fullPage: true }); }
	catch { /* ignore */ }
	console.log(`FAIL at step "${step}": ${e.message.split('\n')[0]}`);
	console.log(`screenshot: ${shot}`);
	for (const l of consoleLines.slice(-15)) console.log(`  console ${l}`);
	for (const l of failedRequests.slice(-10)) console.log(`  request failed: ${l}`);
	for (const l of responses.slice(-10)) console.log(`  response: ${l}`);
	try {
		const text = (await page.locator('body').innerText()).slice(0, 1500);
		console.log('  page text:\n' + text.replace(/^/gm, '    '));
	} catch { /* ignore */ }
	console.log(JSON.stringify({ ok: false, step, error: e.message.split('\n')[0] }));
	await context.close().catch(() => {});
	process.exit(1);
}
