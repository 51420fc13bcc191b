// A recording upstream for the hostile request table
// (tests/integration/80-hostile-requests.t): every request that reaches
// it, and every byte sequence its own HTTP parser refuses, is one JSON
// line in LOG, so a test counts exactly what got through the proxy.
//   {"method","url","host","xfh","cl","te","len","body"}  a request
//   {"error","bytes"}                  something Node could not parse
// It answers 200 with {"n": <requests so far>} and keeps the
// connection alive, as an MCP server would.
// Usage: node counting-upstream.mjs PORT LOG
import fs from 'node:fs';
import http from 'node:http';

const [port, log] = [Number(process.argv[2]), process.argv[3]];
let n = 0;
const record = (o) => fs.appendFileSync(log, JSON.stringify(o) + '\n');

const server = http.createServer((req, res) => {
	const chunks = [];
	req.on('data', (c) => chunks.push(c));
	req.on('end', () => {
		const body = Buffer.concat(chunks).toString('latin1');
		n++;
		record({ method: req.method, url: req.url,
		    host: req.headers.host ?? null,
		    xfh: req.headers['x-forwarded-host'] ?? null,
		    cl: req.headers['content-length'] ?? null,
		    te: req.headers['transfer-encoding'] ?? null,
		    len: body.length, body });
		const out = JSON.stringify({ n });
		res.writeHead(200, { 'Content-Type': 'application/json',
		    'Content-Length': Buffer.byteLength(out) });
		res.end(out);
	});
});
server.on('clientError', (err, sock) => {
	if (err.code === 'ECONNRESET')	/* the proxy closed: not a request */
		return sock.destroy();
	record({ error: err.code ?? String(err),
	    bytes: err.rawPacket ? err.rawPacket.toString('latin1') : null });
	sock.destroy();
});
server.keepAliveTimeout = 30000;
server.listen(port, '127.0.0.1');
