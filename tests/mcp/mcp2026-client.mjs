// tests/mcp/mcp2026-client.mjs URL CHANGED-URL [no-slow]: the v2 client SDK pinned to
// protocol revision 2026-07-28 (server/discover, no initialize, no
// session) through URL:
//   tools/list, tools/call echo, tools/call slow with a progress
//   callback (the progress must arrive before the result; or, denied,
//   the call's JSON-RPC error code), then
//   subscriptions/listen for resource list changes, held open while
//   CHANGED-URL (the server's own trigger, not through the proxy) is
//   posted; the notification must arrive on the open stream.
// $MCP_TOKEN, when set, is sent as the bearer token of every request.
// no-slow leaves the slow call out (to show the listen check failing
// alone).  Prints one "ok ..." line per step; exits 1 with "error: ..." otherwise.
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';

const [url, changedUrl, only] = process.argv.slice(2);
const t0 = Date.now();
const ms = () => `${Date.now() - t0} ms`;

async function main() {
	const client = new Client({ name: 'mcp2026-client', version: '1.0.0' },
	    { versionNegotiation: { mode: { pin: '2026-07-28' } } });
	const token = process.env.MCP_TOKEN;
	const transport = new StreamableHTTPClientTransport(new URL(url), token ?
	    { requestInit: { headers: { Authorization: `Bearer ${token}` } } } : {});
	await client.connect(transport);
	console.log(`ok connected era=${client.getProtocolEra?.() ?? '?'} version=${client.getNegotiatedProtocolVersion?.() ?? '?'} session=${transport.sessionId ?? 'none'}`);

	const tools = await client.listTools();
	console.log(`ok tools ${tools.tools.map((t) => t.name).sort().join(',')}`);

	try {
		const echo = await client.callTool({ name: 'echo', arguments: { message: 'hi 2026' } });
		console.log(`ok echo ${echo.content[0].text}`);
	} catch (e) {
		if (e?.code === undefined) throw e;
		console.log(`ok echo denied code=${e.code} message=${JSON.stringify(e.message)}`);
	}

	// slow: a result after a progress notification, or (a proxy's policy
	// denying it) that call's own JSON-RPC error
	let progressAt = null;
	if (only !== 'no-slow') try {
		const slow = await client.callTool({ name: 'slow', arguments: {} }, {
			onprogress: () => { progressAt ??= Date.now(); },
		});
		const doneAt = Date.now();
		if (progressAt === null)
			throw new Error('no progress notification before the slow result');
		// the server waits a second between the two: a relay that holds
		// the answer back delivers them together
		if (doneAt - progressAt < 500)
			throw new Error(`progress held back: it came ${doneAt - progressAt} ms before the result, sent 1000 ms before`);
		console.log(`ok slow ${slow.content[0].text}; progress ${doneAt - progressAt} ms before the result`);
	} catch (e) {
		if (e?.code === undefined) throw e;
		console.log(`ok slow denied code=${e.code} message=${JSON.stringify(e.message)}`);
	}

	let changed = null;
	const seen = new Promise((resolve) => { changed = resolve; });
	client.setNotificationHandler('notifications/resources/list_changed',
	    () => changed());
	// acknowledged within 10 s, or a relay holds it back
	const sub = await client.listen({ resourcesListChanged: true },
	    { timeout: 10000 });
	console.log(`ok listen acknowledged (${ms()})`);
	const r = await fetch(changedUrl, { method: 'POST' });
	if (r.status !== 204) throw new Error(`trigger: ${r.status}`);
	await Promise.race([seen, new Promise((_, rej) =>
	    setTimeout(() => rej(new Error('no list_changed on the open listen stream')), 10000))]);
	console.log(`ok listen delivered list_changed while open (${ms()})`);
	await sub.close();
	await client.close();
	console.log('ok closed');
}

main().then(() => process.exit(0), (e) => {
	console.log(`error: ${e?.message ?? e}`);
	process.exit(1);
});
