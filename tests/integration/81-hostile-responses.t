#!/bin/bash
# Hostile upstream responses (tests/mcp/hostile-upstream.mjs): framing
# that cannot be trusted, bodies that run past their length into a
# second, smuggled response, 1xx, 101, a huge head, obs-fold, NUL.  One
# worker (start_workers = max_workers = 1) and one kept-alive client
# connection, so the same worker and, when the proxy keeps it, the same
# upstream connection serve the next request.  Each row asserts what
# the client got for the hostile answer (status, complete or cut
# short), that the smuggled response (body "SMUGGLED") never reached the
# client, and that the NEXT request got its own answer; and whether the
# proxy went on with the same upstream connection or a new one.
#
# HOSTILE_RESPONSES_REPORT=FILE: also write the per-row results there (markdown).
. "${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
need proxy node

UP=$(free_port) || fail "no port"
ULOG=$T/upstream-requests.log
: >"$ULOG"
spawn "$T/upstream.log" "$NODE" "$TOP/tests/mcp/hostile-upstream.mjs" "$UP" "$ULOG"
wait_port 127.0.0.1 "$UP" || fail "hostile upstream did not start"
P=$(free_port) || fail "no port"
write_proxy_conf "$P" "$UP"
sed -i 's/^min_spare = .*/min_spare = 1/; s/^max_workers = .*/max_workers = 1/' "$PROXY_CONF"
printf '[mcpproxyd]\nstart_workers = 1\nmax_spare = 1\nupstream_timeout = 3\n' >>"$PROXY_CONF"
"$MCPPROXYD" -n -f "$PROXY_CONF" >/dev/null 2>&1 ||
    fail "config: $("$MCPPROXYD" -n -f "$PROXY_CONF" 2>&1)"
start_proxy "$PROXY_CONF"

# client.mjs PORT CASE[:PAUSE_MS]...: on one kept-alive connection
# (reopened only when the proxy closes it), for case number K:
#   GET /mcp/CASE?i=K, then after PAUSE_MS, GET /mcp/ok?i=K.
# Prints per case: CASE STATUS complete|truncated|timeout closed|open
# SMUGGLED-seen(yes|no) NEXT(ok|bad:...) and the hostile body (%-escaped).
cat >"$T/client.mjs" <<'EOF'
import net from 'node:net';
const port = Number(process.argv[2]);
let sock = null, buf = Buffer.alloc(0), closed = true, seen = '';
let waiters = [];
const wake = () => { const w = waiters; waiters = []; w.forEach((f) => f()); };
const wait = (ms) => new Promise((r) => {
	const t = setTimeout(r, ms);
	waiters.push(() => { clearTimeout(t); r(); });
});
const connect = () => new Promise((resolve) => {
	buf = Buffer.alloc(0);
	const s = net.connect(port, '127.0.0.1', () => { closed = false; resolve(); });
	const gone = () => { if (s === sock) { closed = true; wake(); } };
	s.on('data', (d) => {
		if (s !== sock) return;
		buf = Buffer.concat([buf, d]);
		seen += d.toString('latin1');
		wake();
	});
	s.on('end', gone); s.on('close', gone); s.on('error', gone);
	sock = s;
});
// One response from buf: null if more is needed (and the peer is open).
const parse = () => {
	const he = buf.indexOf('\r\n\r\n');
	if (he === -1)
		return closed ? { status: 0, state: 'truncated', body: '' } : null;
	const head = buf.subarray(0, he).toString('latin1');
	const status = Number(head.split(' ')[1]);
	const hdr = (n) => (new RegExp(`\r\n${n}: *([^\r]*)`, 'i').exec(head) || [])[1];
	let p = he + 4, body = '';
	if (status === 204 || status === 304) {
		buf = buf.subarray(p);
		return { status, state: 'complete', body };
	}
	if (/chunked/i.test(hdr('transfer-encoding') || '')) {
		for (;;) {
			const le = buf.indexOf('\r\n', p);
			if (le === -1) break;
			const n = parseInt(buf.subarray(p, le).toString(), 16);
			if (n === 0) {
				if (buf.length < le + 4) break;
				buf = buf.subarray(le + 4);
				return { status, state: 'complete', body };
			}
			if (buf.length < le + 2 + n + 2) break;
			body += buf.subarray(le + 2, le + 2 + n).toString('latin1');
			p = le + 2 + n + 2;
		}
		return closed ? { status, state: 'truncated', body } : null;
	}
	const cl = hdr('content-length');
	if (cl !== undefined) {
		if (buf.length >= p + Number(cl)) {
			body = buf.subarray(p, p + Number(cl)).toString('latin1');
			buf = buf.subarray(p + Number(cl));
			return { status, state: 'complete', body };
		}
		return closed ? { status, state: 'truncated', body } : null;
	}
	return closed ? { status, state: 'complete',
	    body: buf.subarray(p).toString('latin1') } : null;
};
const exchange = async (target) => {
	if (closed) await connect();
	sock.write(`GET ${target} HTTP/1.1\r\nHost: localhost:${port}\r\n\r\n`);
	const end = Date.now() + 8000;
	for (;;) {
		const r = parse();
		if (r) return r;
		if (Date.now() > end) return { status: 0, state: 'timeout', body: '' };
		await wait(500);
	}
};
let k = 0;
for (const item of process.argv.slice(3)) {
	const [name, pause] = item.split(':');
	k++;
	seen = '';
	const r = await exchange(`/mcp/${name}?i=${k}`);
	await wait(200);		/* does the proxy close? */
	const conn = closed ? 'closed' : 'open';
	await new Promise((res) => setTimeout(res, Number(pause || 0)));
	const want = `ok:/mcp/ok?i=${k}`;
	const n = await exchange(`/mcp/ok?i=${k}`);
	const next = n.status === 200 && n.state === 'complete' &&
	    n.body === want ? 'ok' :
	    `bad:${n.status}/${n.state}/${encodeURIComponent(n.body)}`;
	console.log(`${name} ${r.status} ${r.state} ${conn} ` +
	    `${seen.includes('SMUGGLED') ? 'yes' : 'no'} ${next} ` +
	    `${encodeURIComponent(r.body.slice(0, 40)) || '-'}`);
}
process.exit(0);
EOF

# case[:pause ms] | "STATUS complete|truncated" the client got ('/'
#   separates alternatives; a
#   body that goes bad after its head was sent can only be cut short,
#   but the proxy may also hold the head back until the first data and
#   then answer 502 or close without an answer) | upstream connection
#   for the next request: new (the proxy must have dropped it), same,
#   any | body the client must get (- : not checked)
ROWS=$(cat <<'EOF'
ok-baseline          |200 complete                          |same|ok%3A%2Fmcp%2Fok-baseline%3Fi%3D1
cl-te                |502 complete                          |new |-
te-cl                |502 complete                          |new |-
two-cl               |502 complete                          |new |-
cl-list              |502 complete                          |new |-
cl-plus              |502 complete                          |new |-
te-twice             |502 complete                          |new |-
te-http10            |502 complete                          |new |-
chunk-bad            |200 truncated/0 truncated/502 complete|new |-
chunk-overflow       |200 truncated/0 truncated/502 complete|new |-
chunk-long           |200 truncated/0 truncated/502 complete|new |-
chunk-ext            |200 complete                          |same|hello
chunk-extra          |200 complete                          |new |hello
long-body            |200 complete                          |new |hello
long-body-late:400   |200 complete                          |new |hello
long-body-late       |200 complete                          |any |hello
no-body-204          |204 complete                          |new |-
no-body-304          |304 complete                          |new |-
close-delimited      |200 complete                          |new |until%20close
te-gzip-close        |200 complete                          |new |raw%20until%20close
short-body           |200 truncated                         |new |-
interim-1xx          |200 complete                          |same|after-1xx!!
upgrade-101          |502 complete                          |new |-
huge-header          |502 complete                          |new |-
obs-fold             |502 complete                          |new |-
nul-value            |502 complete                          |new |-
bare-cr              |502 complete                          |new |-
space-colon          |502 complete                          |new |-
bad-status           |502 complete                          |new |-
http09               |502 complete                          |new |-
crlf-in-reason       |502 complete                          |new |-
EOF
)
items=$(echo "$ROWS" | cut -d'|' -f1 | tr -d ' ')
# shellcheck disable=SC2086
"$NODE" "$T/client.mjs" "$P" $items >"$T/results.txt" 2>"$T/client.log" ||
    fail "client: $(cat "$T/client.log")"

report=$T/report.md
printf '| # | upstream answer | client got | body | proxy closed the client | smuggled bytes seen | next request | upstream connection |\n|---:|---|---:|---|---|---|---|---|\n' >"$report"
k=0 npass=0 failures=""
while IFS='|' read -r item want up body; do
	[ -n "$item" ] || continue
	item=${item// /}; up=${up// /}
	want=$(echo "$want" | sed 's/ *$//')
	k=$((k + 1))
	name=${item%%:*}
	read -r rname rst rstate rconn rsmug rnext rbody <<<"$(sed -n "${k}p" "$T/results.txt")"
	a=$(awk -v t="/mcp/$name?i=$k" '$2 == t { print $1 }' "$ULOG")
	b=$(awk -v t="/mcp/ok?i=$k" '$2 == t { print $1 }' "$ULOG")
	[ -n "$a" ] && [ "$a" = "$b" ] && gotup=same || gotup=new
	bad=""
	[ "$rname" = "$name" ] || bad="$bad result line $k is $rname"
	echo "$rst $rstate" | grep -Eqx "${want//\//|}" ||
	    bad="$bad got $rst $rstate (want $want)"
	[ "$rsmug" = no ] || bad="$bad SMUGGLED reached the client"
	[ "$rnext" = ok ] || bad="$bad next request got $rnext"
	[ "$up" = any ] || [ "$up" = "$gotup" ] ||
	    bad="$bad upstream connection $gotup (want $up)"
	[ "$body" = - ] || [ "$rbody" = "$body" ] || bad="$bad body $rbody (want $body)"
	printf '| %d | %s | %s | %s | %s | %s | %s | %s |\n' "$k" "$item" \
	    "$rst $rstate" "$rbody" "$rconn" "$rsmug" "$rnext" "$gotup" >>"$report"
	if [ -z "$bad" ]; then
		npass=$((npass + 1))
		pass "$item: $rst $rstate, client $rconn, next $rnext, upstream $gotup"
	else
		echo "not ok - $item:$bad"
		failures="$failures
  $item:$bad"
	fi
done <<<"$ROWS"

[ -n "$HOSTILE_RESPONSES_REPORT" ] && cp "$report" "$HOSTILE_RESPONSES_REPORT"
echo "# $npass of $k rows passed; upstream connections opened: $(cut -d' ' -f1 "$ULOG" | sort -u | wc -l)"
[ -z "$failures" ] || fail "rows failed:$failures"
kill -0 "$PROXY_PID" 2>/dev/null || fail "proxy died"
exit 0
