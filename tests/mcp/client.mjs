#!/usr/bin/env node
// A real MCP client (the official SDK's StreamableHTTPClientTransport) that
// walks one session through a Streamable HTTP endpoint and checks what a
// proxy in front of the server must preserve:
//
//   initialize, ping, tools/list (has "echo"), tools/call echo,
//   the GET SSE stream (opened by the SDK after initialize) is answered
//     200 text/event-stream and carries a server-initiated notification,
//   trigger-long-running-operation: its progress notifications arrive
//     spread out over the call, not all at the end (no buffering),
//   terminateSession() (DELETE).
//
// usage: node client.mjs URL [--message M] [--duration S] [--steps N]
//                            [--timeout S] [--quiet]
// Exit 0 when every check passed, 1 when one failed, 2 on a usage error or
// the overall timeout.  The last line printed on stdout is a JSON summary.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from
    '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { LoggingMessageNotificationSchema } from
    '@modelcontextprotocol/sdk/types.js';

const args = process.argv.slice(2);
const opt = { message: 'hello through the proxy', duration: 3, steps: 6,
    timeout: 60, quiet: false };
let url;
for (let i = 0; i < args.length; i++) {
	const a = args[i];
	const val = () => {
		if (i + 1 >= args.length) usage(`${a} needs a value`);
		return args[++i];
	};
	if (a === '--message') opt.message = val();
	else if (a === '--duration') opt.duration = Number(val());
	else if (a === '--steps') opt.steps = Number(val());
	else if (a === '--timeout') opt.timeout = Number(val());
	else if (a === '--quiet') opt.quiet = true;
	else if (a.startsWith('-')) usage(`unknown option ${a}`);
	else if (!url) url = a;
	else usage('one URL only');
}
if (!url) usage('no URL');
if (!(opt.steps >= 3) || !(opt.duration > 0)) usage('need --steps >= 3, --duration > 0');

function usage(msg) {
	console.error(`client.mjs: ${msg}\nusage: node client.mjs URL [--message M] [--duration S] [--steps N] [--timeout S] [--quiet]`);
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

// Record every HTTP exchange the transport makes (method, status, type).
let resolveGet;
const getOpened = new Promise((r) => { resolveGet = r; });
const recordingFetch = async (input, init = {}) => {
	const method = (init.method || 'GET').toUpperCase();
	const rec = { t: now(), method };
	summary.requests.push(rec);
	try {
		const res = await fetch(input, init);
		rec.status = res.status;
		rec.type = (res.headers.get('content-type') || '').split(';')[0];
		if (method === 'GET') resolveGet(rec);
		return res;
	} catch (e) {
		rec.error = String(e && e.message || e);
		if (method === 'GET' && e?.name !== 'AbortError') resolveGet(rec);
		throw e;
	}
};

const transportErrors = [];
const transport = new StreamableHTTPClientTransport(new URL(url), {
	fetch: recordingFetch,
	// a dropped GET stream must show up as an error, not be retried quietly
	reconnectionOptions: { maxRetries: 0, initialReconnectionDelay: 1000,
	    maxReconnectionDelay: 1000, reconnectionDelayGrowFactor: 1 },
});
transport.onerror = (e) => { transportErrors.push(String(e?.message || e)); };
const client = new Client({ name: 'mcpproxyd-test-client', version: '1.0.0' },
    { capabilities: {} });

const serverLogs = [];
let resolveLog;
const gotLog = new Promise((r) => { resolveLog = r; });
client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => {
	serverLogs.push({ t: now(), level: n.params.level });
	resolveLog(n);
});

const within = (p, ms, what) => Promise.race([p, new Promise((_, rej) =>
    setTimeout(() => rej(new Error(`${what}: nothing within ${ms} ms`)), ms).unref())]);

try {
	await client.connect(transport);
	const sv = client.getServerVersion();
	check('initialize', !!sv && !!transport.sessionId,
	    `server ${sv?.name} ${sv?.version}, session ${transport.sessionId}`);
	summary.session = transport.sessionId;

	await client.ping();
	check('ping', true);

	const tools = await client.listTools();
	const names = tools.tools.map((t) => t.name);
	check('tools/list', names.includes('echo'), `${names.length} tools`);

	const echo = await client.callTool({ name: 'echo',
	    arguments: { message: opt.message } });
	const text = echo.content?.[0]?.text;
	check('tools/call echo', text === `Echo: ${opt.message}`,
	    JSON.stringify(text));

	// The GET stream: the SDK opens it after notifications/initialized.
	let get;
	try { get = await within(getOpened, 5000, 'GET stream'); }
	catch (e) { get = { error: e.message }; }
	check('GET stream opened', get.status === 200 && get.type === 'text/event-stream',
	    JSON.stringify(get));

	// ...and it must deliver a server-initiated message as it is sent:
	// toggle-simulated-logging sends one log notification at once, with no
	// related request, so the server writes it to the GET stream.
	if (get.status === 200) {
		await client.setLoggingLevel('debug');
		const tl = now();
		await client.callTool({ name: 'toggle-simulated-logging', arguments: {} });
		try {
			await within(gotLog, 4000, 'log notification');
			check('GET stream delivers', true,
			    `notifications/message after ${serverLogs[0].t - tl} ms`);
		} catch (e) {
			check('GET stream delivers', false, e.message);
		}
		await client.callTool({ name: 'toggle-simulated-logging', arguments: {} });
	}

	// Progress notifications on the POST's SSE response must not be held
	// back: compare their arrival with the call's own duration.
	const arrivals = [];
	const tc = performance.now();
	const res = await client.callTool({ name: 'trigger-long-running-operation',
	    arguments: { duration: opt.duration, steps: opt.steps } }, undefined, {
		onprogress: (p) => arrivals.push({ t: performance.now() - tc,
		    progress: p.progress }),
		timeout: (opt.duration + 30) * 1000,
	});
	const total = performance.now() - tc;
	const rel = arrivals.map((a) => a.t / total);
	const first = rel[0] ?? 1, last = rel[rel.length - 1] ?? 1;
	summary.progress = { total_ms: Math.round(total),
	    arrivals_ms: arrivals.map((a) => Math.round(a.t)),
	    first_frac: +first.toFixed(3), spread_frac: +(last - first).toFixed(3) };
	check('long-running result', /completed/i.test(res.content?.[0]?.text || ''),
	    JSON.stringify(res.content?.[0]?.text));
	check('progress count', arrivals.length === opt.steps,
	    `${arrivals.length} of ${opt.steps}`);
	check('progress streamed (first early)', first < 0.5,
	    `first progress at ${(first * 100).toFixed(0)}% of ${Math.round(total)} ms`);
	check('progress streamed (spread)', last - first > 0.5,
	    `first..last spread ${((last - first) * 100).toFixed(0)}% of the call; arrivals ${summary.progress.arrivals_ms.join(',')} ms`);

	// errors so far (a GET stream that ended early shows up here); after the
	// DELETE the server ends the GET stream, and the SDK's retry of it fails
	const errorsBeforeDelete = transportErrors.slice();
	await transport.terminateSession();
	const del = summary.requests.filter((r) => r.method === 'DELETE').pop();
	check('DELETE session', del && del.status >= 200 && del.status < 300,
	    JSON.stringify(del));
	await client.close();
	const real = errorsBeforeDelete.filter((e) => !/abort/i.test(e));
	check('no transport errors', real.length === 0, real.join('; '));
} catch (e) {
	failures.push(`exception: ${e?.stack || e}`);
	console.log(`FAIL exception: ${e?.message || e}`);
	if (transportErrors.length)
		console.log(`     transport errors: ${transportErrors.join('; ')}`);
	try { await client.close(); } catch { /* ignore */ }
	finish(1);
}
finish(0);
