#!/bin/sh
# 18-accesslog.t: the access log's JSON format and request ids.  Two
# proxies differ only in access_log_format (json, text); hostile
# requests (invalid UTF-8, quotes, backslashes and control bytes in the
# path, the tool, the JSON-RPC method and, through a token, the
# subject) go to both (tests/mcp/accesslog-rows.py): every JSON line
# parses with python's json module, stays under the line bound and has
# the fields of the text line; the backend sees X-Request-Id (the
# client's when well-formed, else the proxy's).  Then access_log = off
# writes nothing.
. "${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
. "$TOP/tests/as/as.sh"
need proxy jwksd node_modules curl python3

start_echo_upstream
# a local issuer: a key pair made here, its public half in a JWKS file
ISS=http://issuer.test/local
"$NODE" -e '
    const c = require("crypto"), fs = require("fs")
    const { privateKey } = c.generateKeyPairSync("rsa", { modulusLength: 2048 })
    const j = privateKey.export({ format: "jwk" })
    Object.assign(j, { kid: "k1", use: "sig", alg: "RS256" })
    fs.writeFileSync(process.argv[1], JSON.stringify({ keys: [j] }))
    const { d, p, q, dp, dq, qi, ...pub } = j
    fs.writeFileSync(process.argv[2], JSON.stringify({ keys: [pub] }))
' "$T/keys.json" "$T/jwks.json" || fail "no keys"
chmod 644 "$T/jwks.json"
P=$(free_port) || fail "no port"
URL=http://127.0.0.1:$P/sec
write_proxy_conf "$P" "$ep" "route = /api http://127.0.0.1:$ep/echo" \
    "route = /sec http://127.0.0.1:$ep/echo auth=t"
proxy_global "access_log_format = json"
cat >>"$PROXY_CONF" <<EOC

$(auth_section t)

[issuer local]
issuer = $ISS
jwks_file = $T/jwks.json

$(jwksd_section)
EOC
PB=$(free_port) || fail "no port"
copy_proxy_conf "$PROXY_CONF" "$T/b.conf" b "$PB" access_log_format=text
# tokens are for the resource as proxy A names it: B checks the same aud
start_jwksd "$PROXY_CONF"
start_proxy "$PROXY_CONF"
start_proxy "$T/b.conf"
pass "proxies A (json) :$P and B (text) :$PB, jwksd with a local issuer"

M="--keys $T/keys.json --iss $ISS --aud $URL"
TOK_HOSTILE=$(mint $M --sub 'a"b\c d=e{}') || fail "no token"
TOK_CTRL=$(mint $M --claim 'sub="a\u0007b"') || fail "no token"
python3 "$TOP/tests/mcp/accesslog-rows.py" "$P" "$PB" "$ACCESS_LOG" \
    "$T/access-b.log" "$TOK_HOSTILE" "$TOK_CTRL" >"$T/rows.out" 2>&1
rc=$?
cat "$T/rows.out"
[ $rc = 0 ] || fail "access log rows (above)"
grep -q 'hostile subject.*sub .a"b\\\\c d=e{}' "$T/rows.out" ||
    fail "the hostile subject was not logged whole"
pass "hostile requests: JSON lines parse and match the text lines"

# access_log = off: nothing written
copy_proxy_conf "$T/b.conf" "$T/c.conf" c "$(free_port)" access_log=off
PC=$(sed -n 's/^listen = 127.0.0.1://p' "$T/c.conf")
start_proxy "$T/c.conf"
curl -sf "http://127.0.0.1:$PC/api/x" >/dev/null || fail "proxy C"
sleep 0.3
[ ! -e "$T/access-c.log" ] && ! grep -q '/api/x' "$T/mcpproxyd.log" ||
    fail "access_log = off wrote a line"
pass "access_log = off writes nothing"
