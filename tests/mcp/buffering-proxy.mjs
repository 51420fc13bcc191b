#!/usr/bin/env node
// A deliberately naive reverse proxy, used only to show that the tests can
// fail: it does what mcpproxyd must not do.
//
//   --mode buffer  (default) read the whole upstream response before sending
//                  any of it (progress notifications all arrive at the end,
//                  the GET SSE stream never answers);
//   --mode stream  pass the response through as it arrives;
//   --add-cors     add its own "Access-Control-Allow-Origin: *" on top of
//                  the upstream's (a browser then sees two values and fails).
//
// usage: node buffering-proxy.mjs LISTEN_PORT UPSTREAM_ORIGIN [--mode M] [--add-cors]
//   e.g. node buffering-proxy.mjs 9100 http://127.0.0.1:8000
// Listens on 127.0.0.1 only.
import http from 'node:http';

const args = process.argv.slice(2);
let mode = 'buffer', addCors = false;
const pos = [];
for (let i = 0; i < args.length; i++) {
	if (args[i] === '--mode') mode = args[++i];
	else if (args[i] === '--add-cors') addCors = true;
	else pos.push(args[i]);
}
if (pos.length !== 2 || !['buffer', 'stream'].includes(mode)) {
	console.error('usage: buffering-proxy.mjs LISTEN_PORT UPSTREAM_ORIGIN [--mode buffer|stream] [--add-cors]');
	process.exit(2);
}
const port = Number(pos[0]);
const upstream = new URL(pos[1]);
const hop = new Set(['connection', 'keep-alive', 'transfer-encoding',
    'proxy-connection', 'te', 'trailer', 'upgrade', 'content-length']);

const server = http.createServer((req, res) => {
	const headers = { ...req.headers, host: upstream.host };
	delete headers.connection;
	const up = http.request({ hostname: upstream.hostname, port: upstream.port,
	    method: req.method, path: req.url, headers }, (ur) => {
		const out = {};
		for (const [k, v] of Object.entries(ur.headers))
			if (!hop.has(k)) out[k] = v;
		if (addCors) {
			const have = out['access-control-allow-origin'];
			out['access-control-allow-origin'] = have ? [have, '*'] : '*';
		}
		console.error(`${new Date().toISOString()} ${req.method} ${req.url} -> ${ur.statusCode} (${mode})`);
		if (mode === 'stream') {
			res.writeHead(ur.statusCode, out);
			res.flushHeaders();
			ur.pipe(res);
			return;
		}
		const chunks = [];
		ur.on('data', (c) => chunks.push(c));
		ur.on('end', () => {
			const body = Buffer.concat(chunks);
			out['content-length'] = body.length;
			res.writeHead(ur.statusCode, out);
			res.end(body);
		});
		ur.on('error', () => res.destroy());
	});
	up.on('error', (e) => {
		if (!res.headersSent) {
			res.writeHead(502, { 'content-type': 'text/plain' });
			res.end(`bad gateway: ${e.message}\n`);
		} else res.destroy();
	});
	req.on('aborted', () => up.destroy());
	res.on('close', () => { if (!res.writableFinished) up.destroy(); });
	req.pipe(up);
});
server.listen(port, '127.0.0.1', () =>
    console.error(`buffering-proxy (${mode}${addCors ? ', add-cors' : ''}) on 127.0.0.1:${port} -> ${upstream.origin}`));
for (const s of ['SIGTERM', 'SIGINT']) process.on(s, () => process.exit(0));
