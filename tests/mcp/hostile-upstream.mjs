// A hostile upstream for tests/integration/81-hostile-responses.t: a raw
// TCP server that answers each request with bytes chosen by its path,
// /mcp/<case>[?...]: responses that cannot be framed safely, bodies that
// run past their Content-Length into a second, smuggled response (whose
// body is the word SMUGGLED), and the like.  /mcp/ok answers properly
// with "ok:<target>", so a client can tell its own answer from anyone
// else's.  Every request is logged to LOG as "<connection> <target>",
// so a test sees whether the proxy reused its upstream connection.
// Usage: node hostile-upstream.mjs PORT LOG
import fs from 'node:fs';
import net from 'node:net';

const [port, log] = [Number(process.argv[2]), process.argv[3]];
const SMUGGLED = 'HTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\nSMUGGLED';
const ok = (t) => `HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n` +
    `Content-Length: ${3 + t.length}\r\n\r\nok:${t}`;

// case -> { send: bytes, later: bytes written 150 ms after, end: close }
const cases = {
	'cl-te': { send: 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n' +
	    'Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n' + SMUGGLED },
	'te-cl': { send: 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n' +
	    'Content-Length: 49\r\n\r\n0\r\n\r\n' + SMUGGLED },
	'two-cl': { send: 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n' +
	    'Content-Length: 49\r\n\r\nhello' + SMUGGLED },
	'cl-list': { send: 'HTTP/1.1 200 OK\r\nContent-Length: 5, 49\r\n\r\n' +
	    'hello' + SMUGGLED },
	'cl-plus': { send: 'HTTP/1.1 200 OK\r\nContent-Length: +5\r\n\r\n' +
	    'hello' + SMUGGLED },
	'te-twice': { send: 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n' +
	    'Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n' },
	'te-http10': { send: 'HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n' +
	    '\r\n5\r\nhello\r\n0\r\n\r\n', end: true },
	'chunk-bad': { send: 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n' +
	    '\r\nzz\r\nhello\r\n0\r\n\r\n' + SMUGGLED },
	'chunk-overflow': { send: 'HTTP/1.1 200 OK\r\n' +
	    'Transfer-Encoding: chunked\r\n\r\nffffffffffffffffff\r\nhello\r\n' +
	    '0\r\n\r\n' + SMUGGLED },
	'chunk-long': { send: 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n' +
	    '\r\n3\r\nhello\r\n0\r\n\r\n' + SMUGGLED },
	'chunk-ext': { send: 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n' +
	    '\r\n5;a=b\r\nhello\r\n0;c\r\nX-Trailer: 1\r\n\r\n' },
	'chunk-extra': { send: 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n' +
	    '\r\n5\r\nhello\r\n0\r\n\r\n' + SMUGGLED },
	'long-body': { send: 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n' +
	    'hello' + SMUGGLED },
	'long-body-late': { send: 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n' +
	    '\r\nhello', later: SMUGGLED },
	'no-body-204': { send: 'HTTP/1.1 204 No Content\r\n\r\n' + SMUGGLED },
	'no-body-304': { send: 'HTTP/1.1 304 Not Modified\r\n' +
	    'Content-Length: 49\r\n\r\n' + SMUGGLED },
	'close-delimited': { send: 'HTTP/1.1 200 OK\r\n\r\nuntil close',
	    end: true },
	'te-gzip-close': { send: 'HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n' +
	    '\r\nraw until close', end: true },
	'short-body': { send: 'HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\n' +
	    'hello', end: true },
	'interim-1xx': { send: 'HTTP/1.1 100 Continue\r\n\r\n' +
	    'HTTP/1.1 103 Early Hints\r\nLink: </x>; rel=preload\r\n\r\n' +
	    'HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\nafter-1xx!!' },
	'upgrade-101': { send: 'HTTP/1.1 101 Switching Protocols\r\n' +
	    'Upgrade: websocket\r\nConnection: Upgrade\r\n\r\n' + SMUGGLED },
	'huge-header': { send: 'HTTP/1.1 200 OK\r\nX-Big: ' + 'b'.repeat(70000) +
	    '\r\nContent-Length: 5\r\n\r\nhello' },
	'obs-fold': { send: 'HTTP/1.1 200 OK\r\nX-A: 1\r\n folded\r\n' +
	    'Content-Length: 5\r\n\r\nhello' },
	'nul-value': { send: 'HTTP/1.1 200 OK\r\nX-A: a\0b\r\n' +
	    'Content-Length: 5\r\n\r\nhello' },
	'bare-cr': { send: 'HTTP/1.1 200 OK\r\nX-A: a\rContent-Length: 49\r\n' +
	    'Content-Length: 5\r\n\r\nhello' },
	'space-colon': { send: 'HTTP/1.1 200 OK\r\nContent-Length : 49\r\n' +
	    'Content-Length: 5\r\n\r\nhello' },
	'bad-status': { send: 'HTTP/1.1 2000 OK\r\nContent-Length: 5\r\n\r\n' +
	    'hello' },
	'http09': { send: 'SMUGGLED', end: true },
	'crlf-in-reason': { send: 'HTTP/1.1 200 OK\rSet-Cookie: x=1\r\n' +
	    'Content-Length: 5\r\n\r\nhello' },
};

let nconn = 0;
const server = net.createServer((sock) => {
	const id = ++nconn;
	let buf = '';
	sock.on('error', () => {});
	sock.on('data', (d) => {
		buf += d.toString('latin1');
		let end;
		while ((end = buf.indexOf('\r\n\r\n')) !== -1) {
			const head = buf.slice(0, end);
			const cl = /\r\ncontent-length: *(\d+)/i.exec(head);
			const need = end + 4 + (cl ? Number(cl[1]) : 0);
			if (buf.length < need)
				break;
			buf = buf.slice(need);
			const target = head.split(' ')[1];
			fs.appendFileSync(log, `${id} ${target}\n`);
			const name = target.replace(/^\/mcp\//, '')
			    .replace(/\?.*/, '');
			const c = cases[name];
			if (c === undefined) {
				sock.write(ok(target));
				continue;
			}
			sock.write(Buffer.from(c.send, 'latin1'));
			if (c.later !== undefined)
				setTimeout(() => sock.write(c.later), 150);
			if (c.end)
				sock.end();
		}
	});
});
server.listen(port, '127.0.0.1');
