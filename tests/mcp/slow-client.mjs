// One slow or idle client connection, for tests/integration/85-slowloris.t:
// it behaves as MODE says and reports how the server ended it.
//
//   node slow-client.mjs --port P --mode MODE [--host 127.0.0.1]
//        [--path /api] [--interval MS] [--give-up MS]
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
// Prints one JSON line: {mode, status (of the last answer, or null),
// closedBy: "server" | "client-gave-up" | "error:CODE", afterMs (from the
// moment the client went slow or idle to the close), sent (bytes)}.
import net from 'node:net';

const o = { host: '127.0.0.1', path: '/api', interval: 500,
    'give-up': 60000 };
const a = process.argv.slice(2);
for (let i = 0; i < a.length; i += 2)
	o[a[i].replace(/^--/, '')] = a[i + 1];
const interval = Number(o.interval), giveUp = Number(o['give-up']);
const host = `${o.host}:${o.port}`;

const s = net.connect({ host: o.host, port: Number(o.port) });
s.setNoDelay(true);
let rx = '', sent = 0, t0 = 0, timer = null, status = null, done = false;
const send = (x) => { sent += Buffer.byteLength(x); s.write(x); };
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
s.on('connect', () => {
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
