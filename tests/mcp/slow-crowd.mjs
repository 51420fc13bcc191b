// A crowd of slow clients and a probe, for tests/integration/66-waitroom.t.
// CONNS connections spread over the source addresses 127.0.ADDRNET.1 ..
// 127.0.ADDRNET.ADDRS, all behaving as MODE says; a connection the server
// closes is opened again at once, so the crowd stays at CONNS.  Meanwhile
// a probe from PROBE (yet another address) sends one GET on a new
// connection every EVERY ms for SECS seconds; a probe not answered within
// PROBE_TIMEOUT ms counts as unanswered (that bound decides what
// "answered" means; latencies are reported, never asserted).
//
//   node slow-crowd.mjs --port P --mode head|body|keepalive|hello
//        [--tls 1] [--conns 300]
//        [--addrnet 2] [--addrs 100] [--probe 127.0.9.9] [--every 500]
//        [--secs 15] [--probe-timeout 5000] [--path /api]
//        [--ready FILE] [--out FILE]
//
// MODEs: head (a request head sent one byte every 500 ms), body (a whole
// head with Content-Length 2000, then one body byte every 250 ms),
// keepalive (one GET answered on a kept-alive connection, then idle),
// hello (on a TLS port: the header of a 512-byte TLS handshake record,
// then one byte of it every 500 ms, so the ClientHello never completes).
// --tls 1: the probe speaks HTTPS (any certificate).
// The probes start once every crowd connection has connected (and, in
// keepalive mode, had its answer); --ready FILE is written then.
// Prints (or writes to --out) one JSON object: {mode, probes, answered,
// statuses {code: n}, probeErrors {code: n}, latency {p50, p99, max},
// crowd {opened, connected, closedByServer, answers {code: n}, open}}.
import net from 'node:net';
import http from 'node:http';
import https from 'node:https';
import { writeFileSync } from 'node:fs';

const o = { host: '127.0.0.1', mode: 'head', conns: 300, addrnet: 2,
    addrs: 100, probe: '127.0.9.9', every: 500, secs: 15,
    'probe-timeout': 5000, path: '/api', tls: 0 };
const a = process.argv.slice(2);
for (let i = 0; i < a.length; i += 2) {
	const k = a[i].replace(/^--/, '');
	if (!(k in o) && !['port', 'ready', 'out'].includes(k)) {
		console.error(`slow-crowd: unknown option ${a[i]}`);
		process.exit(2);
	}
	o[k] = ['host', 'mode', 'probe', 'path', 'ready', 'out'].includes(k) ?
	    a[i + 1] : Number(a[i + 1]);
}
if (!o.port || !['head', 'body', 'keepalive', 'hello'].includes(o.mode)) {
	console.error('slow-crowd: --port and --mode head|body|keepalive|hello');
	process.exit(2);
}
const hostHdr = `${o.host}:${o.port}`;
const crowd = { opened: 0, connected: 0, ready: 0, closedByServer: 0,
    answers: {}, open: 0 };
let stopping = false;
const socks = new Set();

function slow(n) {
	if (stopping)
		return;
	const local = `127.0.${o.addrnet}.${1 + (n % o.addrs)}`;
	const s = net.connect({ host: o.host, port: o.port,
	    localAddress: local });
	let rx = '', timer = null, connected = false, counted = false;
	crowd.opened++;
	socks.add(s);
	s.setNoDelay(true);
	const drip = (str, ms) => {
		let i = 0;
		timer = setInterval(() => {
			if (!s.destroyed && i < str.length)
				s.write(str[i++]);
		}, ms);
	};
	const ready = () => {
		if (!counted) {
			counted = true;
			crowd.ready++;
		}
	};
	s.on('connect', () => {
		connected = true;
		crowd.connected++;
		crowd.open++;
		if (o.mode === 'head') {
			s.write('G');	/* the first byte: accepted at once */
			drip(`ET ${o.path} HTTP/1.1\r\nHost: ${hostHdr}\r\n` +
			    'X-Slow: ' + 'a'.repeat(8000) + '\r\n\r\n', 500);
			ready();
		} else if (o.mode === 'hello') {
			s.write(Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00]));
			drip('\0'.repeat(512), 500);
			ready();
		} else if (o.mode === 'body') {
			s.write(`POST ${o.path} HTTP/1.1\r\nHost: ${hostHdr}\r\n` +
			    'Content-Type: application/json\r\n' +
			    'Content-Length: 2000\r\n\r\n');
			drip(' '.repeat(2000), 250);
			ready();
		} else
			s.write(`GET ${o.path} HTTP/1.1\r\nHost: ${hostHdr}\r\n\r\n`);
	});
	s.on('data', (d) => {
		rx += d.toString('latin1');
		if (o.mode === 'keepalive' && /\r\n\r\n/.test(rx))
			ready();
	});
	s.on('error', () => {});
	s.on('close', () => {
		clearInterval(timer);
		socks.delete(s);
		if (connected)
			crowd.open--;
		if (stopping)
			return;
		if (connected) {
			crowd.closedByServer++;
			const m = [...rx.matchAll(/HTTP\/1\.[01] (\d{3})/g)];
			const code = m.length ? m[m.length - 1][1] : 'none';
			crowd.answers[code] = (crowd.answers[code] || 0) + 1;
		}
		setTimeout(() => slow(n), 50);
	});
}

const lat = [], statuses = {}, probeErrors = {};
let probes = 0, answered = 0, pending = 0;

function probe() {
	const t0 = Date.now();
	let done = false;
	probes++;
	pending++;
	const finish = (code, ok) => {
		if (done)
			return;
		done = true;
		pending--;
		if (ok) {
			answered++;
			lat.push(Date.now() - t0);
			statuses[code] = (statuses[code] || 0) + 1;
		} else
			probeErrors[code] = (probeErrors[code] || 0) + 1;
	};
	const req = (o.tls ? https : http).get({ host: o.host, port: o.port,
	    path: o.path, localAddress: o.probe, agent: false,
	    rejectUnauthorized: false,
	    headers: { Connection: 'close' } }, (res) => {
		res.resume();
		res.on('end', () => finish(res.statusCode, true));
	});
	req.setTimeout(o['probe-timeout'], () => {
		finish('timeout', false);
		req.destroy();
	});
	req.on('error', (e) => finish(e.code || e.message, false));
}

function pct(p) {
	const s = lat.slice().sort((x, y) => x - y);
	return s.length ? s[Math.min(s.length - 1, Math.ceil(s.length * p) - 1)] :
	    null;
}

function report() {
	stopping = true;
	for (const s of socks)
		s.destroy();
	const r = { mode: o.mode, probes, answered, statuses, probeErrors,
	    latency: { p50: pct(0.5), p99: pct(0.99), max: pct(1) },
	    crowd };
	if (o.out)
		writeFileSync(o.out, JSON.stringify(r) + '\n');
	else
		console.log(JSON.stringify(r));
	process.exit(0);
}

for (let i = 0; i < o.conns; i++)
	slow(i);
const t0 = Date.now();
const wait = setInterval(() => {
	if (crowd.ready < o.conns && Date.now() - t0 < 30000)
		return;
	clearInterval(wait);
	if (o.ready)
		writeFileSync(o.ready, JSON.stringify(crowd) + '\n');
	let n = 0;
	const tick = setInterval(() => {
		probe();
		if (++n >= o.secs * 1000 / o.every) {
			clearInterval(tick);
			const end = setInterval(() => {
				if (pending === 0) {
					clearInterval(end);
					report();
				}
			}, 50);
		}
	}, o.every);
}, 50);
process.on('SIGTERM', report);
