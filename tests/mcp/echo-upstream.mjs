// A small HTTP upstream for the proxy's own tests: it answers with what it
// received, so a test can see exactly what the proxy forwarded.
//   /echo...   200 JSON {method, url, headers, body}, plus its own CORS
//              headers (the proxy must replace them)
//   /slow      accepts and never answers (504)
//   /close     a body delimited by closing the connection
//   /sse       an event stream: one event every 200 ms, 5 events
//              (/sse?n=N: N events)
// Usage: node echo-upstream.mjs PORT
import http from 'node:http';

const port = Number(process.argv[2]);
const server = http.createServer((req, res) => {
	const chunks = [];
	req.on('data', (c) => chunks.push(c));
	req.on('end', () => {
		const body = Buffer.concat(chunks).toString();
		if (req.url.startsWith('/slow'))
			return;
		if (req.url.startsWith('/close')) {
			res.socket.write('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n' +
			    'Connection: close\r\n\r\nclose-delimited body');
			res.socket.end();
			return;
		}
		if (req.url.startsWith('/sse')) {
			// /sse?n=N: N events (default 5), one every 200 ms
			const total = Number(new URL(req.url, 'http://x')
			    .searchParams.get('n') || 5);
			res.writeHead(200, { 'Content-Type': 'text/event-stream' });
			let n = 0;
			const t = setInterval(() => {
				res.write(`data: event ${++n}\n\n`);
				if (n === total) { clearInterval(t); res.end(); }
			}, 200);
			res.on('close', () => {
				clearInterval(t);
				if (n < total)
					console.log(`sse closed by the peer after ${n} of ${total}`);
			});
			return;
		}
		res.writeHead(200, {
			'Content-Type': 'application/json',
			'Access-Control-Allow-Origin': '*',
			'Access-Control-Expose-Headers': 'X-Upstream',
			'Connection': 'keep-alive, X-Hop',
			'X-Hop': 'must not pass',
		});
		res.end(JSON.stringify({ method: req.method, url: req.url,
		    headers: req.headers, body }));
	});
});
server.keepAliveTimeout = 30000;
server.listen(port, '127.0.0.1');
