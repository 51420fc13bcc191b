#!/usr/bin/env node
// bench/stream-clients.mjs: the clients and the pool watcher of
// bench/streams.  Only node: modules.
//
//   node bench/stream-clients.mjs streams URL N [options]
//        open N GET event streams (Accept: text/event-stream) to URL at
//        once, spread over source addresses 127.0.0.2, 127.0.0.3, ...
//        (--per-source streams each), count the events of every stream;
//        once every stream has delivered an event (or failed, or
//        --grow-timeout passed) print "HOLD <seconds>" and hold them
//        --hold seconds more, then close them all and print the summary
//        (JSON, also to --out).  Progress on stderr, once a second.
//        --per-source 100   --hold 30   --grow-timeout 180
//        --open-rate R      (open R streams a second instead of all at once)
//        --min-events K     (report the streams with >= K events in the hold)
//        --token TOKEN      (Authorization: Bearer TOKEN)
//        --out FILE
//   node bench/stream-clients.mjs post URL COUNT [options]
//        COUNT JSON-RPC POSTs (ping), each on a NEW connection from
//        127.0.0.1 (so each needs a free worker), --conc at a time
//        (default 4), --timeout seconds each (default 10); prints the
//        statuses, errors and latencies (JSON, also to --out).
//        --token TOKEN  --out FILE
//   node bench/stream-clients.mjs idle URL N [options]
//        N kept-alive clients: each opens a connection (from 127.0.0.2,
//        ... --per-source each), sends one JSON-RPC POST (ping) and
//        waits for the answer, --open-conc connections opening at a
//        time (default 200); then all stay idle; "IDLE <seconds>" on
//        stdout, and --idle seconds later (default 10) one request each
//        in turn on its same connection, --conc at a time (default 1);
//        prints the first and second rounds' statuses, errors,
//        latencies, and how many connections the proxy closed while
//        idle (JSON, also to --out).  --token TOKEN  --timeout s (30)
//   node bench/stream-clients.mjs watch MASTER_PID OUT [--every MS]
//        until SIGTERM: every MS (5) ms, the master's children (the
//        workers); for each new one its fork time (/proc/PID/stat
//        starttime) and the first time it is seen asleep (in epoll
//        waiting for a connection, or blocked serving its first one):
//        "fork to ready" (the workers there at the start are left out).
//        On SIGTERM writes JSON to OUT: the timeline [s, workers, not yet
//        ready], the fork rate, fork-to-ready percentiles.
import http from 'node:http';
import net from 'node:net';
import { readFileSync, writeFileSync } from 'node:fs';

const args = process.argv.slice(2);
const cmd = args.shift();
const opt = (name, dflt) => {
	const i = args.indexOf(`--${name}`);
	return i >= 0 ? args[i + 1] : dflt;
};
const now = () => Number(process.hrtime.bigint()) / 1e6;	// ms
const pct = (sorted, p) => sorted.length === 0 ? null :
    sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p / 100))];
const round = (x, d = 1) => x === null ? null : Math.round(x * 10 ** d) / 10 ** d;
const dist = (xs) => {
	const s = [...xs].sort((a, b) => a - b);
	return { n: s.length, min: round(s[0] ?? null), p50: round(pct(s, 50)),
	    p90: round(pct(s, 90)), p99: round(pct(s, 99)),
	    max: round(s.length ? s[s.length - 1] : null) };
};
const log = (s) => process.stderr.write(`${s}\n`);
// the k-th client source address: 127.0.0.2, ... 127.0.0.255, 127.0.1.1, ...
const source = (k) => {
	const n = k + 1;	// 127.0.0.1 is the proxy's own POSTs'
	return `127.0.${Math.floor(n / 255)}.${n % 255 + 1}`;
};
const finish = (obj) => {
	const out = opt('out');
	const txt = JSON.stringify(obj, null, 1);
	if (out)
		writeFileSync(out, `${txt}\n`);
	process.stdout.write(`${txt}\n`);
};

function streams() {
	const url = new URL(args[0]);
	const n = Number(args[1]);
	const perSource = Number(opt('per-source', 100));
	const hold = Number(opt('hold', 30));
	const growTimeout = Number(opt('grow-timeout', 180));
	const minEvents = Number(opt('min-events', 5));
	const token = opt('token');
	const headers = { Accept: 'text/event-stream',
	    'MCP-Protocol-Version': '2025-06-18' };
	if (token)
		headers.Authorization = `Bearer ${token}`;
	const S = [];
	const t0 = now();
	const t0Uptime = Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
	let holdStart = null, holdEnd = null, done = false;

	// --open-rate R: stream i is opened at i / R seconds (0: all at once)
	const openRate = Number(opt('open-rate', 0));
	const open = (i) => {
		const s = { i, src: source(Math.floor(i / perSource)),
		    status: 0, tHead: null, tFirst: null, events: 0,
		    atHold: 0, atEnd: null, err: null, ended: null, carry: '' };
		S.push(s);
		const req = http.request({ host: url.hostname, port: url.port,
		    path: url.pathname + url.search, method: 'GET', headers,
		    localAddress: s.src, agent: false });
		s.req = req;
		req.on('response', (res) => {
			s.status = res.statusCode;
			s.tHead = now() - t0;
			res.setEncoding('utf8');
			res.on('data', (d) => {
				// events end with a blank line; count "\n\n"
				const text = s.carry + d;
				let k = -1;
				while ((k = text.indexOf('\n\n', k + 1)) !== -1) {
					s.events++;
					k++;
				}
				s.carry = text.endsWith('\n') ? '\n' : '';
				if (s.tFirst === null && s.events > 0)
					s.tFirst = now() - t0;
			});
			res.on('end', () => { if (!done) s.ended = now() - t0; });
			res.on('error', (e) => { if (!done) s.err ??= e.code || e.message; });
		});
		req.on('error', (e) => { if (!done) s.err ??= e.code || e.message; });
		req.end();
	};
	if (openRate > 0) {
		let next = 0;
		const tick = setInterval(() => {
			const due = Math.min(n, Math.floor((now() - t0) * openRate / 1000) + 1);
			while (next < due)
				open(next++);
			if (next >= n)
				clearInterval(tick);
		}, 10);
	} else
		for (let i = 0; i < n; i++)
			open(i);

	const counts = () => {
		let head = 0, ok = 0, deliv = 0, refused = 0, err = 0, ended = 0;
		for (const s of S) {
			if (s.tHead !== null) head++;
			if (s.status === 200) ok++;
			else if (s.status) refused++;
			if (s.tFirst !== null) deliv++;
			if (s.err) err++;
			if (s.ended !== null) ended++;
		}
		return { head, ok, deliv, refused, err, ended };
	};
	const timeline = [];	// [s, answered, delivering] once a second
	const tick = setInterval(() => {
		const c = counts();
		const t = (now() - t0) / 1000;
		if (holdStart === null)
			timeline.push([Math.round(t), c.head, c.deliv]);
		log(`streams t=${t.toFixed(1)}s answered ${c.head} ok ${c.ok} ` +
		    `delivering ${c.deliv} refused ${c.refused} errors ${c.err} ` +
		    `ended ${c.ended}`);
		if (holdStart === null &&
		    (c.deliv + c.refused + c.err >= n || t >= growTimeout)) {
			holdStart = now() - t0;
			for (const s of S)
				s.atHold = s.events;
			process.stdout.write(`HOLD ${hold}\n`);
			setTimeout(end, hold * 1000);
		}
	}, 1000);

	function end() {
		holdEnd = now() - t0;
		clearInterval(tick);
		for (const s of S)
			s.atEnd = s.events;
		done = true;
		const c = counts();
		const inHold = S.map((s) => s.atEnd - s.atHold);
		const status = {};
		for (const s of S)
			status[s.status || 'none'] = (status[s.status || 'none'] || 0) + 1;
		const errors = {};
		for (const s of S)
			if (s.err)
				errors[s.err] = (errors[s.err] || 0) + 1;
		const firsts = S.filter((s) => s.tFirst !== null).map((s) => s.tFirst);
		const heads = S.filter((s) => s.tHead !== null).map((s) => s.tHead);
		finish({
			streams: n, opened_uptime: t0Uptime,
			sources: Math.ceil(n / perSource),
			per_source: perSource, status, errors,
			ok: c.ok, delivering: c.deliv,
			ended_early: S.filter((s) => s.ended !== null).length,
			all_delivering_ms: c.deliv === n ? round(Math.max(...firsts)) : null,
			headers_ms: dist(heads), first_event_ms: dist(firsts),
			hold_s: round((holdEnd - holdStart) / 1000, 2),
			hold_started_ms: round(holdStart),
			events_in_hold: dist(inHold),
			min_events: minEvents,
			streams_with_min_events: inHold.filter((x) => x >= minEvents).length,
			streams_without_events_in_hold: inHold.filter((x) => x === 0).length,
			events_total: S.reduce((a, s) => a + s.atEnd, 0),
			// delivering (an event came) after 10, 30 and 60 s
			delivering_at: Object.fromEntries([10, 30, 60].map((k) =>
			    [`${k}s`, S.filter((q) => q.tFirst !== null &&
			    q.tFirst <= k * 1000).length])),
			timeline,
		});
		for (const s of S)
			s.req.destroy();
		setTimeout(() => process.exit(0), 200);
	}
}

function post() {
	const url = new URL(args[0]);
	const count = Number(args[1]);
	const conc = Number(opt('conc', 4));
	const timeout = Number(opt('timeout', 10)) * 1000;
	const token = opt('token');
	const body = '{"jsonrpc":"2.0","id":1,"method":"ping"}';
	const headers = { 'Content-Type': 'application/json',
	    Accept: 'application/json, text/event-stream',
	    'MCP-Protocol-Version': '2025-06-18',
	    'Content-Length': body.length, Connection: 'close' };
	if (token)
		headers.Authorization = `Bearer ${token}`;
	const status = {}, errors = {}, lat = [];
	let started = 0, finished = 0;
	const t0 = now();
	const one = () => {
		if (started >= count)
			return;
		started++;
		const t = now();
		let settled = false;
		const settle = (key, isErr) => {
			if (settled)
				return;
			settled = true;
			if (isErr)
				errors[key] = (errors[key] || 0) + 1;
			else
				status[key] = (status[key] || 0) + 1;
			lat.push(now() - t);
			if (++finished === count)
				report();
			else
				one();
		};
		const req = http.request({ host: url.hostname, port: url.port,
		    path: url.pathname, method: 'POST', headers,
		    localAddress: '127.0.0.1', agent: false });
		req.setTimeout(timeout, () => req.destroy(new Error('timeout')));
		req.on('response', (res) => {
			res.resume();
			res.on('end', () => settle(res.statusCode, false));
			res.on('error', (e) => settle(e.code || e.message, true));
		});
		req.on('error', (e) => settle(e.code || e.message, true));
		req.end(body);
	};
	const report = () => {
		const ok = status[200] || 0;
		finish({ requests: count, concurrency: conc, ok,
		    failed: count - ok, status, errors,
		    seconds: round((now() - t0) / 1000, 2),
		    latency_ms: dist(lat) });
		process.exit(0);
	};
	for (let i = 0; i < Math.min(conc, count); i++)
		one();
}

// One kept-alive client: a raw socket that sends a POST and reads one
// answer (Content-Length framed), as often as asked.
function keptAlive(url, src, body, headers) {
	const c = { sock: null, buf: '', want: null, closed: false,
	    closedWhileIdle: false, busy: false };
	c.open = () => new Promise((resolve) => {
		c.sock = net.connect({ host: url.hostname, port: Number(url.port),
		    localAddress: src });
		c.sock.setEncoding('latin1');
		c.sock.on('connect', () => resolve(null));
		c.sock.on('error', (e) => {
			c.err = e.code || e.message;
			resolve(c.err);
			c.fail?.(c.err);
		});
		c.sock.on('close', () => {
			c.closed = true;
			if (!c.busy)
				c.closedWhileIdle = true;
			c.fail?.('closed');
		});
		c.sock.on('data', (d) => {
			c.buf += d;
			c.parse();
		});
	});
	c.parse = () => {
		const e = c.buf.indexOf('\r\n\r\n');
		if (e < 0 || !c.done)
			return;
		const head = c.buf.slice(0, e);
		const m = /\r\ncontent-length:\s*(\d+)/i.exec(head);
		const len = m ? Number(m[1]) : 0;
		if (c.buf.length < e + 4 + len)
			return;
		const status = Number(head.split(' ')[1]);
		c.buf = c.buf.slice(e + 4 + len);
		const done = c.done;
		c.done = c.fail = null;
		c.busy = false;
		done(status);
	};
	c.request = (timeout) => new Promise((resolve) => {
		if (c.closed) {
			resolve({ err: 'closed before' });
			return;
		}
		const t = now();
		const timer = setTimeout(() => {
			c.done = c.fail = null;
			resolve({ err: 'timeout', ms: now() - t });
		}, timeout);
		c.busy = true;
		c.done = (status) => { clearTimeout(timer); resolve({ status, ms: now() - t }); };
		c.fail = (err) => {
			clearTimeout(timer);
			c.done = c.fail = null;
			c.busy = false;
			resolve({ err, ms: now() - t });
		};
		c.sock.write(`POST ${url.pathname} HTTP/1.1\r\nHost: ${url.host}\r\n` +
		    `${headers}Content-Length: ${body.length}\r\n\r\n${body}`);
	});
	return c;
}

async function idle() {
	const url = new URL(args[0]);
	const n = Number(args[1]);
	const perSource = Number(opt('per-source', 100));
	const openConc = Number(opt('open-conc', 200));
	const conc = Number(opt('conc', 1));
	const idleS = Number(opt('idle', 10));
	const timeout = Number(opt('timeout', 30)) * 1000;
	const token = opt('token');
	const body = '{"jsonrpc":"2.0","id":1,"method":"ping"}';
	let headers = 'Content-Type: application/json\r\n' +
	    'Accept: application/json, text/event-stream\r\n' +
	    'MCP-Protocol-Version: 2025-06-18\r\n';
	if (token)
		headers += `Authorization: Bearer ${token}\r\n`;
	const C = [];
	for (let i = 0; i < n; i++)
		C.push(keptAlive(url, source(Math.floor(i / perSource)), body, headers));
	const phase = async (name, k, fn) => {
		const status = {}, errors = {}, lat = [];
		let next = 0;
		const t0 = now();
		const one = async () => {
			while (next < C.length) {
				const c = C[next++];
				const r = await fn(c);
				if (r.err)
					errors[r.err] = (errors[r.err] || 0) + 1;
				else
					status[r.status] = (status[r.status] || 0) + 1;
				if (r.ms !== undefined)
					lat.push(r.ms);
				if (next % 1000 === 0)
					log(`${name}: ${next} of ${n} (${((now() - t0) / 1000).toFixed(1)} s)`);
			}
		};
		await Promise.all(Array.from({ length: k }, one));
		return { ok: status[200] || 0, status, errors,
		    seconds: round1((now() - t0) / 1000), latency_ms: dist(lat) };
	};
	const first = await phase('open + first request', openConc, async (c) => {
		const e = await c.open();
		return e ? { err: e } : c.request(timeout);
	});
	log(`first round: ${JSON.stringify(first)}`);
	process.stdout.write(`IDLE ${idleS}\n`);
	await new Promise((r) => setTimeout(r, idleS * 1000));
	const closedIdle = C.filter((c) => c.closedWhileIdle).length;
	const second = await phase('one request each in turn', conc, (c) => c.request(timeout));
	finish({ clients: n, sources: Math.ceil(n / perSource), per_source: perSource,
	    open_concurrency: openConc, concurrency: conc, idle_s: idleS,
	    first, closed_while_idle: closedIdle, second });
	for (const c of C)
		c.sock?.destroy();
	setTimeout(() => process.exit(0), 200);
}
const round1 = (x) => Math.round(x * 100) / 100;

function watch() {
	const master = Number(args[0]);
	const out = args[1];
	const tck = 100;	// USER_HZ on Linux
	const uptime = () => Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
	const stat = (pid) => {
		try {
			const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
			const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
			return { state: f[0], start: Number(f[19]) / tck };
		} catch {
			return null;
		}
	};
	const wchan = (pid) => {
		try { return readFileSync(`/proc/${pid}/wchan`, 'utf8'); } catch { return '?'; }
	};
	const W = new Map();	// pid -> { start, ready, wchan }
	const pending = new Set();
	const timeline = [];
	const t0 = uptime();
	let lastTl = 0;
	const children = () => {
		try {
			return readFileSync(`/proc/${master}/task/${master}/children`,
			    'utf8').trim().split(' ').filter(Boolean).map(Number);
		} catch {
			return [];
		}
	};
	// the workers there before the first sample: not counted
	const before = new Set(children());
	const sample = () => {
		const up = uptime();
		const kids = children();
		for (const pid of kids)
			if (!W.has(pid) && !before.has(pid)) {
				const s = stat(pid);
				if (!s)
					continue;
				W.set(pid, { start: s.start, seen: up, ready: null, wchan: null });
				pending.add(pid);
			}
		for (const pid of pending) {
			const w = W.get(pid), s = stat(pid);
			if (!s) {
				pending.delete(pid);
				continue;
			}
			if (s.state === 'S' || s.state === 'D') {
				w.ready = up;
				w.wchan = wchan(pid);
				if (w.wchan === '0')	/* running again already */
					w.wchan = '(running again when read)';
				pending.delete(pid);
			}
		}
		if (up - lastTl >= 0.1) {
			lastTl = up;
			timeline.push([round(up - t0, 2), kids.length, pending.size]);
		}
	};
	// every --every ms (5): reading the master's children list takes
	// the kernel's tasklist lock, which fork() needs too; with
	// thousands of workers bench/streams samples less often
	const iv = setInterval(sample, Number(opt('every', 5)));
	process.on('SIGTERM', () => {
		clearInterval(iv);
		const ws = [...W.values()];
		const ready = ws.filter((w) => w.ready !== null);
		const f2r = ready.map((w) => (w.ready - w.start) * 1000);
		// a lower bound free of clock skew: first seen to first asleep
		const s2r = ready.map((w) => (w.ready - w.seen) * 1000);
		const starts = ws.map((w) => w.start).sort((a, b) => a - b);
		// forks per second: the busiest one-second window, and the
		// mean over the growth (first to last fork after the initial ones)
		let best = 0;
		for (let i = 0, j = 0; i < starts.length; i++) {
			while (starts[i] - starts[j] >= 1) j++;
			best = Math.max(best, i - j + 1);
		}
		const wch = {};
		for (const w of ready)
			wch[w.wchan] = (wch[w.wchan] || 0) + 1;
		const peak = timeline.reduce((m, t) => Math.max(m, t[1]), 0);
		writeFileSync(out, `${JSON.stringify({
			t0_uptime: t0, workers_before: before.size, forked: ws.length,
			peak_workers: peak,
			first_fork_s: starts.length ? round(starts[0] - t0, 2) : null,
			last_fork_s: starts.length ? round(starts[starts.length - 1] - t0, 2) : null,
			forks_per_s_best_1s: best,
			fork_to_ready_ms: dist(f2r), seen_to_ready_ms: dist(s2r),
			ready_wchan: wch,
			note: `times from /proc (10 ms ticks), sampled every ~${opt('every', 5)} ms`,
			timeline,
		})}\n`);
		process.exit(0);
	});
}

if (cmd === 'streams' && args.length >= 2)
	streams();
else if (cmd === 'post' && args.length >= 2)
	post();
else if (cmd === 'idle' && args.length >= 2)
	idle();
else if (cmd === 'watch' && args.length >= 2)
	watch();
else {
	console.error('usage: stream-clients.mjs streams URL N [options] | ' +
	    'post URL COUNT [options] | idle URL N [options] | ' +
	    'watch MASTER_PID OUT');
	process.exit(2);
}
