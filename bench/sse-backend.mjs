#!/usr/bin/env node
// bench/sse-backend.mjs: the upstream of bench/streams, an MCP server in
// miniature that holds thousands of open event streams cheaply (one
// process, one timer per stream).
//
//   node bench/sse-backend.mjs PORT [INTERVAL_MS]
//
//   GET  any path with "Accept: text/event-stream"
//        an event stream: one event at once, then one every INTERVAL_MS
//        (default 2000; the first period is staggered at random so that
//        the streams do not all tick together); it never ends by itself
//   POST any path
//        200 {"jsonrpc":"2.0","id":1,"result":{}}
//   GET  /stats  (straight to the backend, not through the proxy)
//        JSON {open, peak, streams, events, posts}
//
// Each event is a JSON-RPC notification:
//   id: N / event: message / data: {"jsonrpc":"2.0","method":
//   "notifications/message","params":{"level":"info","data":{"seq":N}}}
import http from 'node:http';

const port = Number(process.argv[2]);
const interval = Number(process.argv[3] || 2000);
if (!port || !(interval > 0)) {
	console.error('usage: sse-backend.mjs PORT [INTERVAL_MS]');
	process.exit(2);
}

const st = { open: 0, peak: 0, streams: 0, events: 0, posts: 0 };
const RESULT = '{"jsonrpc":"2.0","id":1,"result":{}}';

const event = (n) => `id: ${n}\nevent: message\ndata: {"jsonrpc":"2.0",` +
    `"method":"notifications/message","params":{"level":"info",` +
    `"data":{"seq":${n}}}}\n\n`;

const server = http.createServer((req, res) => {
	if (req.method === 'GET' && req.url === '/stats') {
		res.writeHead(200, { 'Content-Type': 'application/json' });
		res.end(JSON.stringify(st));
		return;
	}
	if (req.method === 'GET' &&
	    /text\/event-stream/i.test(req.headers.accept || '')) {
		res.writeHead(200, {
			'Content-Type': 'text/event-stream',
			'Cache-Control': 'no-cache',
		});
		st.open++;
		st.streams++;
		if (st.open > st.peak)
			st.peak = st.open;
		let n = 0, iv = null;
		const tick = () => { res.write(event(++n)); st.events++; };
		tick();
		const first = setTimeout(() => {
			tick();
			iv = setInterval(tick, interval);
		}, Math.floor(Math.random() * interval) + 1);
		res.on('close', () => {
			clearTimeout(first);
			if (iv)
				clearInterval(iv);
			st.open--;
		});
		return;
	}
	// anything else: drain the body, answer a JSON-RPC result
	req.resume();
	req.on('end', () => {
		st.posts++;
		res.writeHead(200, { 'Content-Type': 'application/json',
		    'Content-Length': RESULT.length });
		res.end(RESULT);
	});
});
server.keepAliveTimeout = 600000;
server.headersTimeout = 60000;
server.requestTimeout = 0;	// the streams' requests never "complete"
server.listen({ port, host: '127.0.0.1', backlog: 4096 }, () => {
	console.log(`sse-backend on 127.0.0.1:${port}, an event every ${interval} ms`);
});
for (const s of ['SIGTERM', 'SIGINT'])
	process.on(s, () => {
		console.log(`stopping: ${JSON.stringify(st)}`);
		process.exit(0);
	});
