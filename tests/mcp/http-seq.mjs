#!/usr/bin/env node
// Requests in sequence on ONE kept-alive connection (so, behind a prefork
// proxy, one worker and its per-worker caches), with pauses between them.
//
//   node tests/mcp/http-seq.mjs [-H "Name: value"]... ITEM...
//     ITEM: a URL (GET it; the -H headers given before it apply), or
//           sleep:SECONDS, or reset-headers
// Prints one line per request: STATUS LOCAL_PORT WWW-AUTHENTICATE-or-"-".
// The local port shows whether the connection was reused.  Exit 0 unless
// a request failed at the transport level.
import http from 'node:http';

const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
const args = process.argv.slice(2);
let headers = {};
const get = (url) => new Promise((resolve, reject) => {
	const req = http.get(url, { agent, headers }, (res) => {
		res.resume();
		res.on('end', () => resolve({ status: res.statusCode,
		    port: req.socket?.localPort ?? res.socket?.localPort,
		    wa: res.headers['www-authenticate'] ?? '-' }));
	});
	req.on('error', reject);
});
try {
	for (let i = 0; i < args.length; i++) {
		const a = args[i];
		if (a === '-H') {
			const h = args[++i];
			const k = h.indexOf(':');
			headers = { ...headers, [h.slice(0, k).trim()]: h.slice(k + 1).trim() };
		} else if (a === 'reset-headers') {
			headers = {};
		} else if (a.startsWith('sleep:')) {
			await new Promise((r) => setTimeout(r, Number(a.slice(6)) * 1000));
		} else {
			const r = await get(a);
			console.log(`${r.status} ${r.port} ${r.wa}`);
		}
	}
} catch (e) {
	console.error(`http-seq.mjs: ${e.message}`);
	process.exit(1);
}
agent.destroy();
