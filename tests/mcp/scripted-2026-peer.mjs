// A SCRIPTED stand-in for an MCP 2026-07-28 server, written from the
// revision's transport text (request metadata headers, no session,
// subscriptions/listen answered by a long-lived POST response).  It is
// not an implementation of that revision: it answers only what
// tests/integration/62-mcp-2026.t sends.
//   POST subscriptions/listen: 200 text/event-stream, one notification
//       at once and then one every 300 ms, never ending by itself;
//   POST tools/call "slow": 200 text/event-stream, a progress
//       notification, the result after 2 s;
//   any other request: 200 JSON, result {} with the request's id.
// Every request's method and headers go to stdout as one JSON line
// ("seen {...}"), for the test to check what the proxy forwarded.
// Usage: node scripted-2026-peer.mjs PORT
import http from 'node:http';

const port = Number(process.argv[2]);
const note = (method, params) =>
	`event: message\ndata: ${JSON.stringify({ jsonrpc: '2.0', method,
	    params })}\n\n`;

http.createServer((req, res) => {
	const chunks = [];
	req.on('data', (c) => chunks.push(c));
	req.on('end', () => {
		let m = {};
		try {
			m = JSON.parse(Buffer.concat(chunks).toString());
		} catch { /* the test sends JSON */ }
		console.log(`seen ${JSON.stringify({ method: m.method,
		    headers: req.headers })}`);
		if (m.method === 'subscriptions/listen') {
			res.writeHead(200, { 'Content-Type': 'text/event-stream' });
			let n = 0;
			const tick = () => res.write(note(
			    'notifications/resources/list_changed', { n: ++n }));
			tick();
			const t = setInterval(tick, 300);
			res.on('close', () => clearInterval(t));
			return;
		}
		if (m.method === 'tools/call' && m.params?.name === 'slow') {
			res.writeHead(200, { 'Content-Type': 'text/event-stream' });
			res.write(note('notifications/progress',
			    { progressToken: 1, progress: 1 }));
			setTimeout(() => res.end(`event: message\ndata: ${JSON.stringify(
			    { jsonrpc: '2.0', id: m.id, result: { content: [
			    { type: 'text', text: 'slow done' }] } })}\n\n`), 2000);
			return;
		}
		res.writeHead(200, { 'Content-Type': 'application/json' });
		res.end(JSON.stringify({ jsonrpc: '2.0', id: m.id ?? null,
		    result: {} }));
	});
}).listen(port, '127.0.0.1');
