#!/usr/bin/env node
// bench/sdk-sessions.mjs: real MCP SDK sessions left idle, for
// bench/streams MODE=sdk.
//
//   node bench/sdk-sessions.mjs URL N [--per-source 100] [--conc 20]
//        [--idle 20] [--token TOKEN] [--out FILE]
//
// N sessions of the official SDK's Client over its Streamable HTTP
// transport, each with a connection pool of its own (as N client
// processes would have) bound to a client source address (127.0.0.2,
// ... --per-source sessions each): connect (initialize, then the
// notifications/initialized that makes the SDK open its GET event
// stream), --conc connecting at a time.  Then "IDLE <seconds>" on
// stdout; the sessions stay idle --idle seconds; then each sends one
// ping, and all are closed.  Prints JSON (also to --out): sessions
// connected, pings answered, errors, the times.
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(new URL('../tests/package.json', import.meta.url));
const { Client } = await import(require.resolve('@modelcontextprotocol/sdk/client/index.js'));
const { StreamableHTTPClientTransport } = await import(
    require.resolve('@modelcontextprotocol/sdk/client/streamableHttp.js'));
const { Agent, fetch } = require('undici');

const args = process.argv.slice(2);
const opt = (name, dflt) => {
	const i = args.indexOf(`--${name}`);
	return i >= 0 ? args[i + 1] : dflt;
};
if (args.length < 2) {
	console.error('usage: sdk-sessions.mjs URL N [--per-source K] ' +
	    '[--conc C] [--idle S] [--token T] [--out FILE]');
	process.exit(2);
}
const url = new URL(args[0]);
const n = Number(args[1]);
const perSource = Number(opt('per-source', 100));
const conc = Number(opt('conc', 20));
const idleS = Number(opt('idle', 20));
const token = opt('token');
const out = opt('out');
const now = () => Number(process.hrtime.bigint()) / 1e6;
const log = (s) => process.stderr.write(`${s}\n`);
const source = (k) => {
	const m = k + 1;	// as stream-clients.mjs: 127.0.0.2 first
	return `127.0.${Math.floor(m / 255)}.${m % 255 + 1}`;
};
const pct = (s, p) => s.length ? s[Math.min(s.length - 1, Math.floor(s.length * p / 100))] : null;
const dist = (xs) => {
	const s = [...xs].sort((a, b) => a - b);
	const r = (x) => x === null ? null : Math.round(x * 10) / 10;
	return { n: s.length, p50: r(pct(s, 50)), p99: r(pct(s, 99)),
	    max: r(s.length ? s[s.length - 1] : null) };
};
const count = (m, k) => { m[k] = (m[k] || 0) + 1; };

const S = [];
for (let i = 0; i < n; i++) {
	const agent = new Agent({ connect: { localAddress: source(Math.floor(i / perSource)) },
	    keepAliveTimeout: 600000, keepAliveMaxTimeout: 600000 });
	const headers = token ? { Authorization: `Bearer ${token}` } : {};
	const transport = new StreamableHTTPClientTransport(url, {
		requestInit: { headers },
		fetch: (u, init) => fetch(u, { ...init, dispatcher: agent }),
	});
	const client = new Client({ name: `bench-${i}`, version: '1.0.0' });
	const s = { i, agent, transport, client, ok: false, err: null,
	    transportErr: null };
	transport.onerror = (e) => { s.transportErr ??= String(e.message || e).slice(0, 80); };
	S.push(s);
}

async function phase(name, k, fn) {
	const lat = [], errors = {};
	let next = 0, ok = 0;
	const t0 = now();
	const one = async () => {
		while (next < S.length) {
			const s = S[next++];
			const t = now();
			try {
				await fn(s);
				ok++;
				lat.push(now() - t);
			} catch (e) {
				count(errors, String(e.message || e).slice(0, 80));
			}
			if (next % 100 === 0)
				log(`${name}: ${next} of ${n} (${((now() - t0) / 1000).toFixed(1)} s)`);
		}
	};
	await Promise.all(Array.from({ length: k }, one));
	return { ok, errors, seconds: Math.round((now() - t0) / 10) / 100,
	    latency_ms: dist(lat) };
}

const connect = await phase('connect', conc, async (s) => {
	await s.client.connect(s.transport);
	s.ok = true;
});
log(`connected: ${JSON.stringify(connect)}`);
process.stdout.write(`IDLE ${idleS}\n`);
await new Promise((r) => setTimeout(r, idleS * 1000));
const transportErrors = {};
for (const s of S)
	if (s.transportErr)
		count(transportErrors, s.transportErr);
const ping = await phase('ping', conc, async (s) => {
	if (!s.ok)
		throw new Error('not connected');
	await s.client.ping();
});
const result = { sessions: n, sources: Math.ceil(n / perSource),
    per_source: perSource, concurrency: conc, idle_s: idleS, connect,
    transport_errors_while_idle: transportErrors, ping };
const txt = JSON.stringify(result, null, 1);
if (out)
	writeFileSync(out, `${txt}\n`);
process.stdout.write(`${txt}\n`);
await Promise.allSettled(S.map((s) => s.client.close()));
process.exit(0);
