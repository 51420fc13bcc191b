// A SCRIPTED MCP upstream (not a real MCP server) for
// tests/integration/68-list-filter.t: it answers list requests with
// fixed lists, written from the examples of the MCP specification
// (2025-11-25, server/tools "Listing Tools"), in the framing the path
// asks for, so that a test can see what the proxy's list filter lets
// through.  Each tools/list answer lists echo, add and get-secret, and
// a nextCursor.
//   POST /mcp/json     the answer as one JSON body (Content-Length)
//   POST /mcp/chunked  the same, chunked
//   POST /mcp/sse      an event stream: a notifications/progress event
//                      at once, the answer (event id "7") only after
//                      GET /release (straight to this server, not
//                      through the proxy): a test sees the notification
//                      arrive while the answer is held back upstream
//   POST /mcp/big      a JSON answer of BIG bytes (padding in the
//                      descriptions); /mcp/bigsse the same as an event
//   POST /mcp/gzip     a JSON answer marked Content-Encoding: gzip
//   POST (other)       {"result":{}} for initialize and the like
//   GET  /mcp/sse      with Last-Event-ID: a resumed stream that replays
//                      the answer with event id "7", then ends
// Every request's Accept-Encoding is logged as "ae <path> <value>".
// Usage: node scripted-list-upstream.mjs PORT [BIG]
import http from 'node:http';
import zlib from 'node:zlib';

const port = Number(process.argv[2]);
const big = Number(process.argv[3] || 20000);
let release = null;
let released = false;

const tools = (pad) => [
	{ name: 'echo', description: 'Echoes its input' + pad,
	    inputSchema: { type: 'object',
	    properties: { message: { type: 'string' } } } },
	{ name: 'add', description: 'Adds two numbers',
	    inputSchema: { type: 'object' } },
	{ name: 'get-secret', description: 'Needs mcp:admin',
	    inputSchema: { type: 'object' } },
];
const answer = (id, pad = '') => JSON.stringify({ jsonrpc: '2.0', id,
    result: { tools: tools(pad), nextCursor: 'next-page-cursor' } });

const server = http.createServer((req, res) => {
	const chunks = [];
	req.on('data', (c) => chunks.push(c));
	req.on('end', () => {
		const path = req.url.split('?')[0];
		console.log(`ae ${req.method} ${path} ${req.headers['accept-encoding'] ?? '<none>'}`);
		if (path === '/release') {
			released = true;
			if (release) release();
			res.end('released\n');
			return;
		}
		if (req.method === 'GET' && path === '/mcp/sse') {
			res.writeHead(200, { 'Content-Type': 'text/event-stream' });
			res.end(`id: 7\nevent: message\ndata: ${answer(3)}\n\n`);
			return;
		}
		let msg = {};
		try { msg = JSON.parse(Buffer.concat(chunks).toString()); }
		catch { /* answered below */ }
		if (msg.method !== 'tools/list') {
			res.writeHead(200, { 'Content-Type': 'application/json' });
			res.end(JSON.stringify({ jsonrpc: '2.0', id: msg.id ?? null,
			    result: {} }));
			return;
		}
		const id = msg.id;
		switch (path) {
		case '/mcp/json':
			res.writeHead(200, { 'Content-Type': 'application/json',
			    'Cache-Control': 'public, max-age=60' });
			res.end(answer(id));
			return;
		case '/mcp/chunked':
			res.writeHead(200, { 'Content-Type': 'application/json' });
			for (const part of answer(id).match(/.{1,40}/g))
				res.write(part);
			res.end();
			return;
		case '/mcp/big':
			res.writeHead(200, { 'Content-Type': 'application/json' });
			res.end(answer(id, 'x'.repeat(big)));
			return;
		case '/mcp/bigsse':
			res.writeHead(200, { 'Content-Type': 'text/event-stream' });
			res.end(`id: 8\ndata: ${answer(id, 'x'.repeat(big))}\n\n`);
			return;
		case '/mcp/gzip':
			res.writeHead(200, { 'Content-Type': 'application/json',
			    'Content-Encoding': 'gzip' });
			res.end(zlib.gzipSync(answer(id)));
			return;
		case '/mcp/sse':
			res.writeHead(200, { 'Content-Type': 'text/event-stream' });
			res.write(`id: 6\nevent: message\ndata: ${JSON.stringify({
			    jsonrpc: '2.0', method: 'notifications/progress',
			    params: { progressToken: 'p1', progress: 1, total: 2,
			    message: 'listing' } })}\n\n`);
			release = () => {
				release = null;
				res.end(`id: 7\nevent: message\ndata: ${answer(id)}\n\n`);
			};
			if (released)
				release();
			return;
		}
		res.writeHead(404);
		res.end();
	});
});
server.keepAliveTimeout = 30000;
server.listen(port, '127.0.0.1');
