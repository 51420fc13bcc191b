// Connections left in the waiting room, for tests/integration/66-waitroom.t:
// N connections from LOCAL, opened one by one (GAP ms apart); each either
// had one request answered and went idle (--kind idle) or sent the first
// half of a request head (--kind partial).  Once all are in place it
// writes --ready FILE, waits for --go FILE to exist, then on every
// connection still open sends (the rest of) a request with
// "Connection: close" and reads its answer.
//
//   node parked.mjs --port P --n N --local ADDR --kind idle|partial
//        [--gap 20] [--path /api] --ready FILE --go FILE [--out FILE]
//
// Prints (or writes to --out) one JSON object: {n, kind, closedEarly
// (closed by the server before the go, with no answer to a second
// request), closedEarlyIndexes, answers {status: n} (to the request
// after the go), noAnswer (closed after the go without an answer)}.
import net from 'node:net';
import { existsSync, writeFileSync } from 'node:fs';

const o = { host: '127.0.0.1', n: 10, gap: 20, kind: 'idle', path: '/api' };
const a = process.argv.slice(2);
for (let i = 0; i < a.length; i += 2)
	o[a[i].replace(/^--/, '')] = a[i + 1];
o.n = Number(o.n);
o.gap = Number(o.gap);
const host = `${o.host}:${o.port}`;
const conns = [];
const r = { n: o.n, kind: o.kind, closedEarly: 0, closedEarlyIndexes: [],
    answers: {}, noAnswer: 0 };
let went = false, placed = 0, finished = 0;

function finish() {
	if (++finished < o.n)
		return;
	if (o.out)
		writeFileSync(o.out, JSON.stringify(r) + '\n');
	else
		console.log(JSON.stringify(r));
	process.exit(0);
}

// Is rx one whole answer (its head and its body, by length or chunked)?
function whole(rx) {
	const h = rx.indexOf('\r\n\r\n');
	const m = /\r\ncontent-length: *(\d+)/i.exec(rx);

	if (h < 0)
		return false;
	if (/\r\ntransfer-encoding: *chunked/i.test(rx.slice(0, h + 2)))
		return rx.endsWith('\r\n0\r\n\r\n');
	return m !== null && rx.length >= h + 4 + Number(m[1]);
}

function open(i) {
	const c = { rx: '', phase: 0 };
	const s = net.connect({ host: o.host, port: Number(o.port),
	    localAddress: o.local });
	c.s = s;
	conns[i] = c;
	s.setNoDelay(true);
	s.on('connect', () => {
		if (o.kind === 'idle')
			s.write(`GET ${o.path} HTTP/1.1\r\nHost: ${host}\r\n\r\n`);
		else {
			s.write(`GET ${o.path} HTTP/1.1\r\nHost: ${host}\r\n`);
			placed++;
		}
	});
	s.on('data', (d) => {
		c.rx += d.toString('latin1');
		if (c.phase === 0 && o.kind === 'idle' && whole(c.rx)) {
			c.phase = 1;
			c.rx = '';
			placed++;
		}
	});
	s.on('error', () => {});
	s.on('close', () => {
		const m = /^HTTP\/1\.[01] (\d{3})/.exec(c.rx);
		if (!went) {
			r.closedEarly++;
			r.closedEarlyIndexes.push(i);
			if (o.kind === 'partial' || c.phase === 0)
				placed++;
		} else if (m)
			r.answers[m[1]] = (r.answers[m[1]] || 0) + 1;
		else
			r.noAnswer++;
		finish();
	});
}

let i = 0;
const opener = setInterval(() => {
	if (i < o.n)
		open(i++);
	else
		clearInterval(opener);
}, o.gap);
const waiter = setInterval(() => {
	if (placed < o.n)
		return;
	if (o.ready && !existsSync(o.ready))
		writeFileSync(o.ready, 'ready\n');
	if (!existsSync(o.go))
		return;
	clearInterval(waiter);
	went = true;
	for (const c of conns)
		if (!c.s.destroyed)
			c.s.write(o.kind === 'idle' ?
			    `GET ${o.path} HTTP/1.1\r\nHost: ${host}\r\n` +
			    'Connection: close\r\n\r\n' :
			    'Connection: close\r\n\r\n');
}, 20);
