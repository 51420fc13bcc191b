// The per-address connection cap (max_conns_per_client), for
// tests/integration/85-slowloris.t: N connections from one source address
// opened one after the other (GAP ms apart), each sending the first lines
// of a GET PATH head (so that a deferred accept hands it to a worker) and
// held; WAIT ms later, the ones the server has answered (the refused ones,
// 429) are counted; then every connection still open ends its head and
// its status is read.
//
//   node conn-cap.mjs --port P --local ADDR [--n 20] [--gap 100]
//        [--wait 1500] [--path /api]
//
// Prints one JSON line: {n, early {status: n} (answers before the head
// was ended), earlyIndexes [...], later {status or error: n}}.
import net from 'node:net';

const o = { n: 20, gap: 100, wait: 1500, path: '/api' };
const a = process.argv.slice(2);
for (let i = 0; i < a.length; i += 2)
	o[a[i].replace(/^--/, '')] = a[i + 1];
const n = Number(o.n);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const conns = [];

function open(i) {
	return new Promise((resolve) => {
		const c = { i, rx: '', closed: false, sent: false };
		c.s = net.connect({ host: '127.0.0.1', port: Number(o.port),
		    localAddress: o.local }, () => {
			c.s.write(`GET ${o.path} HTTP/1.1\r\n` +
			    `Host: 127.0.0.1:${o.port}\r\n`);
			resolve(c);
		});
		c.s.on('data', (d) => { c.rx += d.toString('latin1'); });
		c.s.on('close', () => { c.closed = true; });
		c.s.on('error', (e) => { c.err = e.code; resolve(c); });
		conns.push(c);
	});
}
const status = (c) => {
	const m = /^HTTP\/1\.[01] (\d{3})/.exec(c.rx);
	return m ? m[1] : (c.err ? `error:${c.err}` : 'none');
};

for (let i = 0; i < n; i++) {
	await open(i);
	await sleep(Number(o.gap));
}
await sleep(Number(o.wait));
const early = {}, earlyIndexes = [];
for (const c of conns) {
	if (c.rx.length > 0 || c.closed) {
		early[status(c)] = (early[status(c)] || 0) + 1;
		earlyIndexes.push(c.i);
		c.done = true;
	}
}
const later = {};
await Promise.all(conns.filter((c) => !c.done).map((c) =>
    new Promise((resolve) => {
	c.s.write('Connection: close\r\n\r\n');
	const t = setTimeout(() => c.s.destroy(), 10000);
	c.s.on('close', () => {
		clearTimeout(t);
		later[status(c)] = (later[status(c)] || 0) + 1;
		resolve();
	});
    })));
console.log(JSON.stringify({ n, early, earlyIndexes, later }));
process.exit(0);
