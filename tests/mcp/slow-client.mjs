// One slow or idle client connection, for tests/integration/85-slowloris.t
// and 29-tls-handshake-timeout.t: it behaves as MODE says and reports how
// the server ended it.
//
//   node slow-client.mjs --port P --mode MODE [--host 127.0.0.1]
//        [--path /api] [--interval MS] [--give-up MS] [--ca PEM]
//
// MODEs:
//   idle            connect and send nothing
//   drip-head       a request head sent one byte every INTERVAL ms (the
//                   head is long enough never to end before --give-up)
//   stall-body      a whole head with Content-Length 100, 10 bytes of the
//                   body, then nothing
//   drip-body       a whole head with Content-Length 100000, then one body
//                   byte every INTERVAL ms
//   keepalive-idle  one whole GET on a kept-alive connection, its answer
//                   read, then nothing
// and against a TLS listener:
//   tls-partial     the first 40 bytes of a TLS 1.2/1.3 ClientHello (its
//                   record announces 512), then nothing
//   tls-drip        that ClientHello one byte every INTERVAL ms (never
//                   ending before --give-up)
//   tls-idle        a whole handshake (the server's certificate checked
//                   against the CA file --ca), then nothing
// Prints one JSON line: {mode, status (of the last answer, or null),
// closedBy: "server" | "client-gave-up" | "error:CODE", afterMs (from the
// moment the client went slow or idle to the close), sent (bytes)}.
import net from 'node:net';
import tls from 'node:tls';
import { readFileSync } from 'node:fs';

const o = { host: '127.0.0.1', path: '/api', interval: 500,
    'give-up': 60000 };
const a = process.argv.slice(2);
for (let i = 0; i < a.length; i += 2)
	o[a[i].replace(/^--/, '')] = a[i + 1];
const interval = Number(o.interval), giveUp = Number(o['give-up']);
const host = `${o.host}:${o.port}`;

// The start of a ClientHello: a handshake record (0x16) of 512 bytes,
// type 1, version 3.3, a random, no session id, two cipher suites; the
// server waits for the rest of the record.
function clientHello() {
	const b = Buffer.alloc(517);
	Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc,
	    0x03, 0x03]).copy(b);
	for (let i = 11; i < 43; i++)
		b[i] = (i * 37) & 0xff;
	Buffer.from([0x00, 0x00, 0x04, 0x13, 0x01, 0x13, 0x02]).copy(b, 43);
	return b.toString('latin1');
}

const s = o.mode === 'tls-idle' ?
    tls.connect({ host: o.host, port: Number(o.port), servername: 'localhost',
	ca: o.ca ? readFileSync(o.ca) : undefined, ALPNProtocols: ['http/1.1'] }) :
    net.connect({ host: o.host, port: Number(o.port) });
s.setNoDelay(true);
let rx = '', sent = 0, t0 = 0, timer = null, status = null, done = false;
const send = (x) => { sent += Buffer.byteLength(x, 'latin1');
    s.write(x, 'latin1'); };
function end(closedBy) {
	if (done)
		return;
	done = true;
	clearInterval(timer);
	const m = [...rx.matchAll(/HTTP\/1\.[01] (\d{3})/g)];
	if (m.length)
		status = Number(m[m.length - 1][1]);
	console.log(JSON.stringify({ mode: o.mode, status, closedBy,
	    afterMs: Date.now() - t0, sent }));
	s.destroy();
	process.exit(0);
}
s.on('data', (d) => {
	rx += d.toString('latin1');
	if (o.mode === 'keepalive-idle' && t0 === 0)
		t0 = Date.now();	/* the answer is in: idle from now */
});
s.on('end', () => end('server'));
s.on('close', () => end('server'));
s.on('error', (e) => end(`error:${e.code}`));
s.on(o.mode === 'tls-idle' ? 'secureConnect' : 'connect', () => {
	const drip = (str) => {
		let i = 0;
		timer = setInterval(() => {
			if (i < str.length)
				send(str[i++]);
		}, interval);
	};
	t0 = Date.now();
	switch (o.mode) {
	case 'idle':
		break;
	case 'drip-head':
		drip(`GET ${o.path} HTTP/1.1\r\nHost: ${host}\r\n` +
		    'X-Padding: ' + 'a'.repeat(400) + '\r\n\r\n');
		break;
	case 'stall-body':
		send(`POST ${o.path} HTTP/1.1\r\nHost: ${host}\r\n` +
		    'Content-Type: application/json\r\nContent-Length: 100\r\n\r\n' +
		    '{"a":"bbbb');
		break;
	case 'drip-body':
		send(`POST ${o.path} HTTP/1.1\r\nHost: ${host}\r\n` +
		    'Content-Type: application/json\r\n' +
		    'Content-Length: 100000\r\n\r\n');
		drip('x'.repeat(100000));
		break;
	case 'tls-partial':
		send(clientHello().slice(0, 40));
		break;
	case 'tls-drip':
		drip(clientHello());
		break;
	case 'tls-idle':
		break;
	case 'keepalive-idle':
		t0 = 0;
		send(`GET ${o.path} HTTP/1.1\r\nHost: ${host}\r\n\r\n`);
		break;
	default:
		console.error(`slow-client: unknown mode ${o.mode}`);
		process.exit(2);
	}
	setTimeout(() => end('client-gave-up'), giveUp);
});
