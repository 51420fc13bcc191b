// One slow client that does finish, for tests/integration/66-waitroom.t:
// its request (or, over TLS, its ClientHello) is sent in two parts with a
// pause of PAUSE ms between them, long enough for the worker to pass the
// connection to the waiting room, which must hand it back whole.
//
//   node slow-complete.mjs --port P --mode head|body|hello [--pause 600]
//        [--path /api]
//
// head: the request head cut after its request line; body: a whole head
// and a JSON body cut in its middle; hello: an HTTPS GET whose first TLS
// bytes pass through a local relay that holds back all but the first 10
// bytes of the ClientHello for PAUSE ms.  Prints one JSON line: {mode,
// status, echoed (the echo upstream saw the body whole), error}.
import net from 'node:net';
import https from 'node:https';

const o = { host: '127.0.0.1', mode: 'head', pause: 600, path: '/api' };
const a = process.argv.slice(2);
for (let i = 0; i < a.length; i += 2)
	o[a[i].replace(/^--/, '')] = a[i + 1];
const port = Number(o.port), pause = Number(o.pause);
const host = `${o.host}:${port}`;
const body = JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'tools/list',
    params: { marker: 'slow-complete-body' } });

function done(status, rx, error) {
	console.log(JSON.stringify({ mode: o.mode, status,
	    echoed: rx.includes('slow-complete-body'), error }));
	process.exit(0);
}

function plain() {
	const s = net.connect({ host: o.host, port });
	let rx = '';
	const parts = o.mode === 'head' ?
	    [`GET ${o.path} HTTP/1.1\r\n`, `Host: ${host}\r\n` +
	    'Connection: close\r\n\r\n'] :
	    [`POST ${o.path} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n` +
	    'Content-Type: application/json\r\n' +
	    `Content-Length: ${body.length}\r\n\r\n` + body.slice(0, 20),
	    body.slice(20)];
	s.on('connect', () => {
		s.write(parts[0]);
		setTimeout(() => s.write(parts[1]), pause);
	});
	s.on('data', (d) => { rx += d.toString('latin1'); });
	s.on('error', (e) => done(null, rx, e.code));
	s.on('close', () => {
		const m = /^HTTP\/1\.1 (\d{3})/.exec(rx);
		done(m ? Number(m[1]) : null, rx, null);
	});
}

function hello() {
	const relay = net.createServer((c) => {
		const u = net.connect({ host: o.host, port });
		let first = true;
		c.on('data', (d) => {
			if (!first) {
				u.write(d);
				return;
			}
			first = false;
			c.pause();
			u.write(d.subarray(0, 10));
			setTimeout(() => {
				u.write(d.subarray(10));
				c.resume();
			}, pause);
		});
		u.on('data', (d) => c.write(d));
		c.on('close', () => u.destroy());
		u.on('close', () => c.destroy());
		c.on('error', () => {});
		u.on('error', () => {});
	});
	relay.listen(0, '127.0.0.1', () => {
		const req = https.request({ host: '127.0.0.1',
		    port: relay.address().port, path: o.path, method: 'POST',
		    rejectUnauthorized: false, agent: false,
		    headers: { Host: host, Connection: 'close',
		    'Content-Type': 'application/json' } }, (res) => {
			let rx = '';
			res.on('data', (d) => { rx += d; });
			res.on('end', () => done(res.statusCode, rx, null));
		});
		req.on('error', (e) => done(null, '', e.code || e.message));
		req.end(body);
	});
}

if (o.mode === 'hello')
	hello();
else
	plain();
