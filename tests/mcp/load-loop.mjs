// A closed-loop load client for the hardening tests (tests/integration/
// 85-slowloris.t, 86-faults.t): CONC loops, each sending one request after
// the other until SIGTERM (or --duration), then it waits for the requests
// in flight and writes a JSON summary.  Nothing here asserts: the test
// reads the summary.
//
//   node load-loop.mjs --url URL [--conc N] [--timeout MS] [--local ADDR]
//        [--keepalive] [--header 'Name: value']... [--duration S]
//        [--out FILE] [--log FILE]
//
// Without --keepalive every request has a connection of its own
// ("Connection: close"), so a connection is one request: a worker killed
// while it holds one loses exactly that request.
// Summary: {requests, ok (2xx), statuses {code: n}, errors {code: n},
// nonJsonErrors (answers >= 400 whose body is not a JSON-RPC error),
// latency {min, p50, p90, p99, max} in ms, firstErrors [..]}.
// --log FILE: one line per request: start (ms since epoch), status or
// error code, latency (ms).
import http from 'node:http';
import { writeFileSync } from 'node:fs';

const o = { conc: 1, timeout: 30000, headers: {}, keepalive: false };
const a = process.argv.slice(2);
for (let i = 0; i < a.length; i++) {
	const v = a[i + 1];
	switch (a[i]) {
	case '--url': o.url = new URL(v); i++; break;
	case '--conc': o.conc = Number(v); i++; break;
	case '--timeout': o.timeout = Number(v); i++; break;
	case '--local': o.local = v; i++; break;
	case '--keepalive': o.keepalive = true; break;
	case '--header': {
		const k = v.indexOf(':');
		o.headers[v.slice(0, k).trim()] = v.slice(k + 1).trim();
		i++; break;
	}
	case '--duration': o.duration = Number(v); i++; break;
	case '--out': o.out = v; i++; break;
	case '--log': o.log = v; i++; break;
	default:
		console.error(`load-loop: unknown option ${a[i]}`);
		process.exit(2);
	}
}
if (!o.url) {
	console.error('load-loop: --url is required');
	process.exit(2);
}

const agent = o.keepalive ?
    new http.Agent({ keepAlive: true, maxSockets: o.conc }) : false;
let stopping = false;
const lat = [], lines = [], statuses = {}, errors = {}, firstErrors = [];
let requests = 0, ok = 0, nonJsonErrors = 0;

function one() {
	return new Promise((resolve) => {
		const t0 = Date.now();
		const h = { ...o.headers };
		if (!o.keepalive)
			h.Connection = 'close';
		const opts = { method: 'GET', host: o.url.hostname,
		    port: o.url.port, path: o.url.pathname + o.url.search,
		    headers: h, agent, timeout: o.timeout };
		if (o.local)
			opts.localAddress = o.local;
		let done = false;
		const finish = (status, err, body) => {
			if (done)
				return;
			done = true;
			const ms = Date.now() - t0;
			requests++;
			lat.push(ms);
			if (err) {
				errors[err] = (errors[err] || 0) + 1;
				if (firstErrors.length < 10)
					firstErrors.push({ at: t0, err, ms });
			} else {
				statuses[status] = (statuses[status] || 0) + 1;
				if (status >= 200 && status < 300)
					ok++;
				if (status >= 400) {
					let j = null;
					try { j = JSON.parse(body); } catch { }
					if (!j || j.jsonrpc !== '2.0' || !j.error)
						nonJsonErrors++;
				}
			}
			if (o.log)
				lines.push(`${t0} ${err || status} ${ms}`);
			resolve();
		};
		const req = http.request(opts, (res) => {
			const chunks = [];
			res.on('data', (c) => chunks.push(c));
			res.on('end', () => finish(res.statusCode, null,
			    Buffer.concat(chunks).toString()));
			res.on('error', (e) => finish(0, e.code || 'response-error'));
			res.on('aborted', () => finish(0, 'aborted'));
		});
		req.on('timeout', () => { req.destroy(); finish(0, 'timeout'); });
		req.on('error', (e) => finish(0, e.code || e.message));
		req.end();
	});
}

async function loop() {
	while (!stopping)
		await one();
}

function pct(sorted, p) {
	if (sorted.length === 0)
		return null;
	return sorted[Math.min(sorted.length - 1,
	    Math.ceil(p / 100 * sorted.length) - 1)];
}

process.on('SIGTERM', () => { stopping = true; });
process.on('SIGINT', () => { stopping = true; });
if (o.duration)
	setTimeout(() => { stopping = true; }, o.duration * 1000);
const loops = [];
for (let i = 0; i < o.conc; i++)
	loops.push(loop());
await Promise.all(loops);
const s = lat.slice().sort((x, y) => x - y);
const summary = { requests, ok, statuses, errors, nonJsonErrors,
    latency: { min: s[0] ?? null, p50: pct(s, 50), p90: pct(s, 90),
	p99: pct(s, 99), max: s[s.length - 1] ?? null }, firstErrors };
if (o.log)
	writeFileSync(o.log, lines.join('\n') + '\n');
if (o.out)
	writeFileSync(o.out, JSON.stringify(summary) + '\n');
else
	console.log(JSON.stringify(summary));
if (agent)
	agent.destroy();
process.exit(0);
