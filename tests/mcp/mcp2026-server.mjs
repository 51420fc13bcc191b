// tests/mcp/mcp2026-server.mjs PORT: a real MCP server of protocol revision
// 2026-07-28 (the v2 server SDK's createMcpHandler, strict: no 2025
// fallback) on 127.0.0.1:PORT/mcp, with tools echo and slow (a progress
// notification, then the result after a second) and a resource whose
// list changes on demand.
//
// Logged on stdout, one JSON line per HTTP request: the method, the
// request headers and the JSON-RPC method, so a test can tell what reached
// it.  POST /changed (not MCP) publishes notifications/resources/
// list_changed to every open subscriptions/listen stream.
//
// node:http is bridged to the handler's web-standard fetch face here, in
// a few lines, so that no further package is needed.
import http from 'node:http';
import { Readable } from 'node:stream';
import { McpServer, createMcpHandler, fromJsonSchema } from '@modelcontextprotocol/server';

const port = Number(process.argv[2]);

function factory() {
	const server = new McpServer({ name: 'mcp2026-server', version: '1.0.0' });
	server.registerTool('echo', {
		description: 'Echoes back the input',
		inputSchema: fromJsonSchema({
			type: 'object',
			properties: { message: { type: 'string' } },
			required: ['message'],
		}),
	}, async ({ message }) => ({
		content: [{ type: 'text', text: `Echo: ${message}` }],
	}));
	server.registerTool('slow', {
		description: 'Reports progress, then answers after a second',
		inputSchema: fromJsonSchema({ type: 'object', properties: {} }),
	}, async (_args, ctx) => {
		const token = ctx?.mcpReq?._meta?.progressToken;
		if (token !== undefined)
			await ctx.mcpReq.notify({
				method: 'notifications/progress',
				params: { progressToken: token, progress: 1, total: 2 },
			});
		await new Promise((r) => setTimeout(r, 1000));
		return { content: [{ type: 'text', text: 'slow done' }] };
	});
	server.registerResource('note', 'note://one', { mimeType: 'text/plain' },
	    async (uri) => ({ contents: [{ uri: uri.href, text: 'one' }] }));
	return server;
}

const handler = createMcpHandler(factory, {
	legacy: 'reject',
	keepAliveMs: 0,
	onerror: (e) => console.error(`handler: ${e.message}`),
});

function toRequest(req, body) {
	const headers = new Headers();
	for (let i = 0; i < req.rawHeaders.length; i += 2)
		headers.append(req.rawHeaders[i], req.rawHeaders[i + 1]);
	const ac = new AbortController();
	req.socket.on('close', () => ac.abort());
	return new Request(`http://${req.headers.host}${req.url}`, {
		method: req.method,
		headers,
		body: body.length ? body : undefined,
		signal: ac.signal,
	});
}

http.createServer(async (req, res) => {
	const chunks = [];
	for await (const c of req) chunks.push(c);
	const body = Buffer.concat(chunks);
	let rpc;
	try { rpc = JSON.parse(body.toString()).method; } catch { rpc = null; }
	process.stdout.write(JSON.stringify({
		method: req.method, url: req.url, headers: req.headers, rpc,
	}) + '\n');
	if (req.url === '/changed' && req.method === 'POST') {
		handler.notify.resourcesChanged();
		res.writeHead(204).end();
		return;
	}
	const r = await handler.fetch(toRequest(req, body));
	res.writeHead(r.status, Object.fromEntries(r.headers));
	if (!r.body) { res.end(); return; }
	const out = Readable.fromWeb(r.body);
	out.on('error', () => res.destroy());
	out.pipe(res);
	res.on('close', () => out.destroy());
}).listen(port, '127.0.0.1', () => console.error(`listening ${port}`));
