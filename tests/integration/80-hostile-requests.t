#!/bin/bash
# Request smuggling and framing, over the wire: a table of hostile
# requests sent raw over TCP to the proxy, in front of a counting
# upstream (tests/mcp/counting-upstream.mjs) that records every request
# its own parser (Node's llhttp) sees, and every byte sequence it refuses.
# Each row asserts the first status line, how many responses came back,
# whether the proxy closed the connection, how many requests reached the
# backend, the reason the worker logged ("bad request: <why>") and, for
# forwarded rows, what the backend saw.  None of them may reach the
# backend as two requests.  What RFC 9112 says a server must accept
# (absolute-form, chunk extensions, TE "Chunked", OWS, identical
# Content-Lengths, bare LF line ends) is accepted and normalised.
#
# HOSTILE_REQUESTS_REPORT=FILE: also write the per-row results there (markdown).
. "${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
need proxy node

UP=$(free_port) || fail "no port"
BLOG=$T/backend.jsonl
: >"$BLOG"
spawn "$T/upstream.log" "$NODE" "$TOP/tests/mcp/counting-upstream.mjs" "$UP" "$BLOG"
wait_port 127.0.0.1 "$UP" || fail "counting upstream did not start"
P=$(free_port) || fail "no port"
write_proxy_conf "$P" "$UP" "allowed_hosts = localhost 127.0.0.1"
printf '[mcpproxyd]\nheader_timeout = 2\nupstream_timeout = 5\n' >>"$PROXY_CONF"
# -v: the worker's "bad request" reasons are info, body details too
spawn "$T/mcpproxyd.log" "$MCPPROXYD" -d -v -f "$PROXY_CONF"
wait_port 127.0.0.1 "$P" 10 || fail "mcpproxyd did not listen on $P"

# raw.mjs FILE: send FILE's bytes in one write; print "STATUS NRESP
# closed|open": the first status code (000: none), how many status lines
# came back, and whether the proxy closed the connection (FIN or RST)
# rather than keeping it open for 700 ms after its last byte.  The
# answer is left in FILE.out.
cat >"$T/raw.mjs" <<'EOF'
import fs from 'node:fs';
import net from 'node:net';
const [port, file] = [Number(process.argv[2]), process.argv[3]];
const out = [];
let idle, done = false;
const finish = (how) => {
	if (done) return;
	done = true;
	clearTimeout(idle);
	const text = Buffer.concat(out).toString('latin1');
	fs.writeFileSync(file + '.out', text);
	const st = [...text.matchAll(/HTTP\/1\.[01] (\d{3}) /g)];
	console.log(`${st.length ? st[0][1] : '000'} ${st.length} ${how}`);
	sock.destroy();
};
const sock = net.connect(port, '127.0.0.1', () =>
    sock.write(fs.readFileSync(file)));
sock.on('data', (d) => {
	out.push(d);
	clearTimeout(idle);
	idle = setTimeout(() => finish('open'), 700);
});
sock.on('end', () => finish('closed'));
sock.on('error', () => finish('closed'));
sock.on('close', () => finish('closed'));
idle = setTimeout(() => finish('open'), 6000);	/* nothing at all */
EOF

LONG=$(head -c 9000 /dev/zero | tr '\0' a)
BIGHDR="X-Big: $(head -c 17000 /dev/zero | tr '\0' b)\r\n"
MANY=$(for i in $(seq 1 120); do printf 'X-%d: y\\r\\n' "$i"; done)
H='Host: localhost\r\n'

# name | status | responses | closed/open | backend requests |
#   logged reason (ERE after "bad request: ", - for none) |
#   what the backend's last request must match (ERE, - for nothing) |
#   the request (printf format; @H@ Host: localhost, @P@ the proxy port,
#   @LONG@ 9000 bytes, @BIGHDR@ one 17 kB field, @MANY@ 120 fields)
ROWS=$(cat <<'EOF'
CL.TE                         |400|1|closed|0|transfer-encoding with content-length|-|POST /mcp HTTP/1.1\r\n@H@Content-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nG
TE.CL                         |400|1|closed|0|transfer-encoding with content-length|-|POST /mcp HTTP/1.1\r\n@H@Transfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n8\r\nSMUGGLED\r\n0\r\n\r\n
TE.CL CL 0                    |400|1|closed|0|transfer-encoding with content-length|-|POST /mcp HTTP/1.1\r\n@H@Transfer-Encoding: chunked\r\nContent-Length: 0\r\n\r\n5\r\nhello\r\n0\r\n\r\n
TE xchunked                   |501|1|closed|0|unsupported transfer-encoding|-|POST /mcp HTTP/1.1\r\n@H@Transfer-Encoding: xchunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n
TE chunked-tab (OWS, valid)   |200|1|open|1|-|"len":5,"body":"hello"|POST /mcp HTTP/1.1\r\n@H@Transfer-Encoding: chunked\t\r\n\r\n5\r\nhello\r\n0\r\n\r\n
TE tab-chunked (OWS, valid)   |200|1|open|1|-|"len":5|POST /mcp HTTP/1.1\r\n@H@Transfer-Encoding:\tchunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n
TE chunked then VT            |400|1|closed|0|control character in field value|-|POST /mcp HTTP/1.1\r\n@H@Transfer-Encoding: chunked\x0b\r\n\r\n5\r\nhello\r\n0\r\n\r\n
TE list chunked, chunked      |501|1|closed|0|unsupported transfer-encoding|-|POST /mcp HTTP/1.1\r\n@H@Transfer-Encoding: chunked, chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n
TE list gzip, chunked         |501|1|closed|0|unsupported transfer-encoding|-|POST /mcp HTTP/1.1\r\n@H@Transfer-Encoding: gzip, chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n
TE list identity, chunked     |501|1|closed|0|unsupported transfer-encoding|-|POST /mcp HTTP/1.1\r\n@H@Transfer-Encoding: identity, chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n
two TE lines                  |400|1|closed|0|more than one transfer-encoding|-|POST /mcp HTTP/1.1\r\n@H@Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n
two TE lines, one bogus       |400|1|closed|0|more than one transfer-encoding|-|POST /mcp HTTP/1.1\r\n@H@Transfer-Encoding: identity\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n
TE obs-fold                   |400|1|closed|0|obs-fold or whitespace before field|-|POST /mcp HTTP/1.1\r\n@H@Transfer-Encoding:\r\n chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n
TE Chunked (case, valid)      |200|1|open|1|-|"len":5,"body":"hello"|POST /mcp HTTP/1.1\r\n@H@Transfer-Encoding: Chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n
Transfer_Encoding             |400|1|closed|0|confusable field name|-|POST /mcp HTTP/1.1\r\n@H@Transfer_Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n
TE space before colon         |400|1|closed|0|whitespace before colon|-|POST /mcp HTTP/1.1\r\n@H@Transfer-Encoding : chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n
HTTP/1.0 with TE              |400|1|closed|0|transfer-encoding in http/1.0|-|POST /mcp HTTP/1.0\r\n@H@Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n
Content_Length                |400|1|closed|0|confusable field name|-|POST /mcp HTTP/1.1\r\n@H@Content_Length: 5\r\n\r\nhello
CL +5                         |400|1|closed|0|bad content-length|-|POST /mcp HTTP/1.1\r\n@H@Content-Length: +5\r\n\r\nhello
CL -1                         |400|1|closed|0|bad content-length|-|POST /mcp HTTP/1.1\r\n@H@Content-Length: -1\r\n\r\nhello
CL 0x5                        |400|1|closed|0|bad content-length|-|POST /mcp HTTP/1.1\r\n@H@Content-Length: 0x5\r\n\r\nhello
CL 5 5 (no comma)             |400|1|closed|0|bad content-length|-|POST /mcp HTTP/1.1\r\n@H@Content-Length: 5 5\r\n\r\nhello
CL 2^64                       |400|1|closed|0|bad content-length|-|POST /mcp HTTP/1.1\r\n@H@Content-Length: 18446744073709551616\r\n\r\nhello
CL "5, 5" (identical, kept)   |200|1|open|1|-|"cl":"5","te":null,"len":5|POST /mcp HTTP/1.1\r\n@H@Content-Length: 5, 5\r\n\r\nhello
two CL lines, identical       |200|1|open|1|-|"cl":"5","te":null,"len":5|POST /mcp HTTP/1.1\r\n@H@Content-Length: 5\r\nContent-Length: 5\r\n\r\nhello
two CL lines, different       |400|1|closed|0|bad content-length|-|POST /mcp HTTP/1.1\r\n@H@Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello!
CL list 5, 6                  |400|1|closed|0|bad content-length|-|POST /mcp HTTP/1.1\r\n@H@Content-Length: 5, 6\r\n\r\nhello!
CL over max_body_size         |413|1|closed|0|body too large|-|POST /mcp HTTP/1.1\r\n@H@Content-Length: 99999999999\r\n\r\nhello
chunk size overflow (18 f)    |400|1|closed|0|bad chunked body: chunk size too large|-|POST /mcp HTTP/1.1\r\n@H@Transfer-Encoding: chunked\r\n\r\nffffffffffffffffff\r\nhello\r\n0\r\n\r\n
chunk size 16 f (too big)     |413|1|closed|0|request body too large|-|POST /mcp HTTP/1.1\r\n@H@Transfer-Encoding: chunked\r\n\r\nffffffffffffffff\r\nhello\r\n0\r\n\r\n
chunk size 0x5                |400|1|closed|0|bad chunked body: bad chunk size|-|POST /mcp HTTP/1.1\r\n@H@Transfer-Encoding: chunked\r\n\r\n0x5\r\nhello\r\n0\r\n\r\n
chunk size with BWS           |400|1|closed|0|bad chunked body: bad chunk size|-|POST /mcp HTTP/1.1\r\n@H@Transfer-Encoding: chunked\r\n\r\n5 \r\nhello\r\n0\r\n\r\n
chunk size bare CR            |400|1|closed|0|bad chunked body: bare cr in chunked coding|-|POST /mcp HTTP/1.1\r\n@H@Transfer-Encoding: chunked\r\n\r\n5\rhello\r\n0\r\n\r\n
chunk longer than its size    |400|1|closed|0|bad chunked body: no crlf after chunk data|-|POST /mcp HTTP/1.1\r\n@H@Transfer-Encoding: chunked\r\n\r\n3\r\nhello\r\n0\r\n\r\n
chunk extensions (accepted)   |200|1|open|1|-|"te":null,"len":10,"body":"helloworld"|POST /mcp HTTP/1.1\r\n@H@Transfer-Encoding: chunked\r\n\r\n5;a=1;b="x y"\r\nhello\r\n5;c\r\nworld\r\n0;last\r\n\r\n
chunk extension with CTL      |400|1|closed|0|bad chunked body: bad chunk extension|-|POST /mcp HTTP/1.1\r\n@H@Transfer-Encoding: chunked\r\n\r\n5;a=\x01\r\nhello\r\n0\r\n\r\n
trailer with obs-fold         |400|1|closed|0|bad chunked body: bad trailer field|-|POST /mcp HTTP/1.1\r\n@H@Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\nX: 1\r\n y\r\n\r\n
trailer dropped, not forwarded|200|1|open|1|-|"te":null,"len":5|POST /mcp HTTP/1.1\r\n@H@Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\nContent-Length: 99\r\n\r\n
bare CR in a value            |400|1|closed|0|bare cr in head|-|GET /mcp HTTP/1.1\r\n@H@X: a\rb\r\n\r\n
bare CR as a line end         |400|1|closed|0|bare cr in head|-|GET /mcp HTTP/1.1\r\nHost: localhost\rX: y\r\n\r\n
bare CR in the request line   |400|1|closed|0|bare cr in head|-|GET /mcp HTTP/1.1\r\r\n@H@\r\n
bare LF line ends (accepted)  |200|1|open|1|-|"url":"/mcp"|GET /mcp HTTP/1.1\nHost: localhost\n\n
bare LF inside a value        |400|1|closed|0|bad field name|-|GET /mcp HTTP/1.1\r\n@H@X: a\nb\r\n\r\n
LF before the request line    |200|1|open|1|-|"url":"/mcp"|\nGET /mcp HTTP/1.1\r\n@H@\r\n
NUL in a name                 |400|1|closed|0|nul byte in head|-|GET /mcp HTTP/1.1\r\n@H@X\x00Y: 1\r\n\r\n
NUL in a value                |400|1|closed|0|nul byte in head|-|GET /mcp HTTP/1.1\r\n@H@X: a\x00b\r\n\r\n
NUL in the target             |400|1|closed|0|nul byte in head|-|GET /mcp\x00x HTTP/1.1\r\n@H@\r\n
SOH in a value                |400|1|closed|0|control character in field value|-|GET /mcp HTTP/1.1\r\n@H@X: a\x01b\r\n\r\n
ESC in a value                |400|1|closed|0|control character in field value|-|GET /mcp HTTP/1.1\r\n@H@X: a\x1b[31mb\r\n\r\n
DEL in a name                 |400|1|closed|0|bad field name|-|GET /mcp HTTP/1.1\r\n@H@X\x7f: 1\r\n\r\n
UTF-8 in a name               |400|1|closed|0|bad field name|-|GET /mcp HTTP/1.1\r\n@H@X\xc3\xa9: 1\r\n\r\n
space before colon            |400|1|closed|0|whitespace before colon|-|GET /mcp HTTP/1.1\r\nHost : localhost\r\n\r\n
tab before colon              |400|1|closed|0|whitespace before colon|-|GET /mcp HTTP/1.1\r\n@H@Content-Length\t: 5\r\n\r\nhello
whitespace before 1st field   |400|1|closed|0|obs-fold or whitespace before field|-|GET /mcp HTTP/1.1\r\n Host: localhost\r\n\r\n
two Hosts                     |400|1|closed|0|more than one host|-|GET /mcp HTTP/1.1\r\n@H@Host: evil.example\r\n\r\n
no Host on HTTP/1.1           |400|1|closed|0|no host|-|GET /mcp HTTP/1.1\r\n\r\n
tabs for spaces in the line   |400|1|closed|0|bad method|-|GET\t/mcp\tHTTP/1.1\r\n@H@\r\n
authority-form outside CONNECT|400|1|closed|0|authority-form target|-|GET localhost:80 HTTP/1.1\r\n@H@\r\n
authority-form OPTIONS        |400|1|closed|0|authority-form target|-|OPTIONS localhost:80 HTTP/1.1\r\n@H@\r\n
CONNECT                       |501|1|closed|0|connect not supported|-|CONNECT localhost:443 HTTP/1.1\r\n@H@\r\n
HTTP/0.9 request              |400|1|closed|0|no http version|-|GET /mcp\r\n\r\n
HTTP/1.2                      |505|1|closed|0|unsupported http version|-|GET /mcp HTTP/1.2\r\n@H@\r\n
request line too long         |414|1|closed|0|request line too long|-|GET /mcp/@LONG@ HTTP/1.1\r\n@H@\r\n
one field too large           |431|1|closed|0|request head too large|-|GET /mcp HTTP/1.1\r\n@H@@BIGHDR@\r\n
too many fields (120 > 100)   |431|1|closed|0|too many header fields|-|GET /mcp HTTP/1.1\r\n@H@@MANY@\r\n
Expect: unknown value         |417|1|closed|0|unsupported expectation|-|POST /mcp HTTP/1.1\r\n@H@Expect: 200-ok\r\nContent-Length: 5\r\n\r\nhello
pipelined after an error      |400|1|closed|0|bad content-length|-|GET /mcp HTTP/1.1\r\n@H@Content-Length: -1\r\n\r\nGET /mcp/second HTTP/1.1\r\n@H@\r\n
error between two requests    |200|2|closed|1|bad method|"url":"/mcp/first"|GET /mcp/first HTTP/1.1\r\n@H@\r\n GET /mcp/bad HTTP/1.1\r\n@H@\r\nGET /mcp/third HTTP/1.1\r\n@H@\r\n
request inside a body (CL)    |200|1|open|1|-|"len":48,"body":"xGET /mcp/smuggled|POST /mcp HTTP/1.1\r\n@H@Content-Length: 48\r\n\r\nxGET /mcp/smuggled HTTP/1.1\r\nHost: localhost\r\n\r\n
CL short + close: rest dropped|200|1|closed|1|-|"len":5,"body":"hello"}|POST /mcp HTTP/1.1\r\n@H@Connection: close\r\nContent-Length: 5\r\n\r\nhelloGET /mcp/smuggled HTTP/1.1\r\n@H@\r\n
CL short: rest is no request  |200|2|closed|1|bad method|"len":5,"body":"hello"}|POST /mcp HTTP/1.1\r\n@H@Content-Length: 5\r\n\r\nhello GET /mcp/smuggled HTTP/1.1\r\n@H@\r\n
CL long: waits, 408           |408|1|closed|0|request body timed out|-|POST /mcp HTTP/1.1\r\n@H@Content-Length: 99\r\n\r\nxGET /mcp/smuggled HTTP/1.1\r\nHost: localhost\r\n\r\n
chunked + close: rest dropped |200|1|closed|1|-|"len":5,"body":"hello"}|POST /mcp HTTP/1.1\r\n@H@Connection: close\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\nGET /mcp/smuggled HTTP/1.1\r\n@H@\r\n
absolute-form (normalised)    |200|1|open|1|-|"url":"/mcp/abs\?q=1","host":"127.0.0.1:[0-9]+","xfh":"localhost:@P@"|GET http://localhost:@P@/mcp/abs?q=1 HTTP/1.1\r\nHost: 127.0.0.1:@P@\r\n\r\n
absolute-form https           |200|1|open|1|-|"url":"/mcp","host":"127.0.0.1:[0-9]+","xfh":"127.0.0.1"|GET HTTPS://127.0.0.1/mcp HTTP/1.1\r\n@H@\r\n
absolute-form HTTP/1.0 no Host|200|1|closed|1|-|"url":"/mcp/ten","host":"127.0.0.1:[0-9]+","xfh":"localhost"|GET http://localhost/mcp/ten HTTP/1.0\r\n\r\n
absolute-form foreign host    |403|1|open|0|-|-|GET http://evil.example/mcp HTTP/1.1\r\n@H@\r\n
absolute-form dot segments    |200|1|open|1|-|"url":"/mcp/b"|GET http://localhost/open/../mcp/./b HTTP/1.1\r\n@H@\r\n
absolute-form ftp scheme      |400|1|closed|0|unsupported scheme in absolute-form target|-|GET ftp://localhost/mcp HTTP/1.1\r\n@H@\r\n
absolute-form with userinfo   |400|1|closed|0|bad authority in absolute-form target|-|GET http://u:p@localhost/mcp HTTP/1.1\r\n@H@\r\n
control: two pipelined GETs   |200|2|open|2|-|"url":"/mcp/two"|GET /mcp/one HTTP/1.1\r\n@H@\r\nGET /mcp/two HTTP/1.1\r\n@H@\r\n
EOF
)

report=$T/report.md
printf '| # | case | status | responses | connection | backend requests | logged reason |\n|---:|---|---:|---:|---|---:|---|\n' >"$report"
nrows=0 npass=0 nerr=0 nacc=0 failures=""
while IFS='|' read -r name st nresp conn nb why last req; do
	[ -n "$name" ] || continue
	name=$(echo "$name" | sed 's/ *$//')
	nrows=$((nrows + 1))
	req=${req//@H@/$H}
	req=${req//@P@/$P}
	req=${req//@LONG@/$LONG}
	req=${req//@BIGHDR@/$BIGHDR}
	req=${req//@MANY@/$MANY}
	last=${last//@P@/$P}
	printf "$req" >"$T/req"
	b0=$(wc -l <"$BLOG")
	l0=$(wc -l <"$T/mcpproxyd.log")
	got=$("$NODE" "$T/raw.mjs" "$P" "$T/req")
	sleep 0.1	# a second request, if any, would be on its way
	b1=$(wc -l <"$BLOG")
	tail -n +"$((l0 + 1))" "$T/mcpproxyd.log" >"$T/newlog"
	gotwhy=$(sed -n 's/.*: bad request: //p' "$T/newlog" | head -n 1)
	set -- $got
	bad=""
	[ "$1" = "$st" ] || bad="$bad status $1 (want $st)"
	[ "$2" = "$nresp" ] || bad="$bad responses $2 (want $nresp)"
	[ "$3" = "$conn" ] || bad="$bad connection $3 (want $conn)"
	[ $((b1 - b0)) = "$nb" ] || bad="$bad backend got $((b1 - b0)) (want $nb)"
	if [ "$why" = - ]; then
		[ -z "$gotwhy" ] || bad="$bad logged \"$gotwhy\" (want none)"
	else
		echo "$gotwhy" | grep -Eqx "$why" ||
		    bad="$bad logged \"$gotwhy\" (want \"$why\")"
	fi
	if [ "$last" != - ]; then
		tail -n 1 "$BLOG" | grep -Eq "$last" ||
		    bad="$bad backend saw $(tail -n 1 "$BLOG") (want $last)"
	fi
	# whatever the row: nothing Node's parser refused reached it
	grep -q '^{"error"' "$BLOG" && bad="$bad backend parser error: $(grep '^{"error"' "$BLOG")"
	printf '| %d | %s | %s | %s | %s | %s | %s |\n' "$nrows" "$name" "$1" \
	    "$2" "$3" "$((b1 - b0))" "${gotwhy:--}" >>"$report"
	if [ -z "$bad" ]; then
		npass=$((npass + 1))
		[ "$st" -ge 400 ] && nerr=$((nerr + 1)) || nacc=$((nacc + 1))
		pass "$name: $got, backend +$((b1 - b0))${gotwhy:+, \"$gotwhy\"}"
	else
		echo "not ok - $name:$bad"
		echo "    answer: $(head -c 300 "$T/req.out" | tr '\r\n' '  ')"
		failures="$failures
  $name:$bad"
	fi
done <<<"$ROWS"

[ -n "$HOSTILE_REQUESTS_REPORT" ] && cp "$report" "$HOSTILE_REQUESTS_REPORT"
echo "# $npass of $nrows rows passed ($nerr refused, $nacc accepted);" \
    "backend requests: $(wc -l <"$BLOG")"
[ -z "$failures" ] || fail "rows failed:$failures"
[ "$nrows" -ge 40 ] || fail "only $nrows rows"
kill -0 "$SPAWNED_PID" 2>/dev/null || fail "proxy died"
exit 0
