import { chromium } from 'playwright-core';
// Work in progress (tests/integration/56-auth-inspector-ui.t): the Guided
// OAuth Flow of the MCP Inspector 1.x web UI, Direct mode, headless Chromium.
// usage: node inspector-oauth-ui.mjs --ui URL --mcp MCP_URL [--message M]
//            [--dir DIR] [--chromium PATH]
import fs from 'node:fs';
import path from 'node:path';
const args = process.argv.slice(2);
const opt = { message: 'hello', timeout: 20, dir: '/tmp/inspector-oauth-ui',
    chromium: process.env.CHROMIUM || '/usr/bin/chromium' };
for (let i = 0; i + 1 < args.length; i += 2)
	opt[args[i].replace(/^--/, '')] = args[i + 1];
const { ui, mcp } = opt;
fs.mkdirSync(opt.dir, { recursive: true });
const ctx = await chromium.launchPersistentContext(path.join(opt.dir, 'chromium-profile'), {
	executablePath: opt.chromium, headless: true,
	args: ['--headless', '--no-sandbox', '--disable-gpu'] });
const page = ctx.pages()[0] || await ctx.newPage();
page.setDefaultTimeout(15000);
const say = (m) => console.log(m);
page.on('console', (m) => { if (m.type() === 'error') say('console: ' + m.text()); });
async function choose(id, name) {
	await page.locator(`#${id}`).click();
	await page.getByRole('option', { name, exact: true }).click();
}
let step;
try {
	step = 'open'; await page.goto(ui); await page.getByText('Transport Type').waitFor();
	await choose('transport-type-select', 'Streamable HTTP');
	await page.locator('#sse-url-input').fill(mcp);
	await choose('connection-type-select', 'Direct');
	step = 'open auth settings';
	await page.getByRole('button', { name: 'Open Auth Settings' }).click();
	step = 'guided';
	await page.getByRole('button', { name: 'Guided OAuth Flow' }).click();
	for (let i = 0; i < 3; i++) {
		step = 'continue ' + i;
		await page.getByRole('button', { name: 'Continue' }).click();
		await page.waitForTimeout(1500);
	}
	const text = await page.locator('body').innerText();
	const m = text.match(/https?:\/\/127\.0\.0\.1:\d+\/realms\/my-realm\/auth\?\S+/);
	say('auth url: ' + (m && m[0]).slice(0, 150));
	const p2 = await ctx.newPage();
	await p2.goto(m[0]);
	await p2.locator('input[name=username]').fill('eitan');
	await p2.locator('input[name=password]').fill('test');
	await p2.getByRole('button', { name: 'Sign in' }).click();
	await p2.waitForURL(/code=/);
	const code = new URL(p2.url()).searchParams.get('code');
	say('code ' + code.slice(0, 8) + ' at ' + p2.url().split('?')[0]);
	await p2.close();
	step = 'paste code';
	const codeInput = page.getByPlaceholder('Enter the code from the authorization server');
	for (let i = 0; i < 3 && !(await codeInput.isVisible()); i++) {
		await page.getByRole('button', { name: 'Continue' }).click();
		await page.waitForTimeout(1000);
	}
	await codeInput.fill(code);
	step = 'token request';
	for (let i = 0; i < 4; i++) {
		if (await page.getByText('Authentication successful', { exact: false }).isVisible())
			break;
		await page.getByRole('button', { name: 'Continue' }).click().catch(() => {});
		await page.waitForTimeout(1500);
	}
	await page.getByText('Authentication successful', { exact: false }).waitFor();
	say('token ok');
	step = 'connect';
	await page.getByRole('button', { name: 'Connect', exact: true }).click();
	await page.getByText('Connected', { exact: true }).waitFor();
	await page.getByRole('tab', { name: 'Tools' }).click();
	await page.getByRole('button', { name: 'List Tools' }).click();
	await page.getByText(/^(echo|Echo Tool)$/).first().click();
	await page.locator('#message').fill(opt.message);
	await page.getByRole('button', { name: 'Run Tool' }).click();
	await page.getByText(`Echo: ${opt.message}`).first().waitFor();
	say('ECHO OK');
	await ctx.close(); process.exit(0);
} catch (e) {
	say('FAIL ' + step + ': ' + e.message.split('\n')[0]);
	await page.screenshot({ path: path.join(opt.dir, 'inspector-fail.png'), fullPage: true });
	say((await page.locator('body').innerText()).slice(0, 2500));
	await ctx.close(); process.exit(1);
}
