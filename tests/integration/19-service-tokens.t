#!/bin/bash
# 19-service-tokens.t: a local issuer with mcpproxyd-token and no
# authorization server.  genkey makes a key file of mode 0600 and a JWKS
# with public members only; jwksd reads that JWKS (jwks_file); a token
# the tool signs calls echo on server-everything through the proxy and
# passes node's crypto.verify; a tampered token, one for another
# audience, an expired one, one living longer than the issuer's
# max_token_lifetime and a revoked one (by jti and by sub, read
# again on HUP; twice on one connection, so the token cache cannot keep
# it valid) are refused; the tool will not sign past the maximum
# lifetime (-L, or the issuer's max_token_lifetime read with -f); a
# second key rotates in beside the first and the first is
# retired; mcpproxyd does not link libjwt.
. "${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
. "$TOP/tests/as/as.sh"
TOOL=${MCPTOKEN:-$TOP/$BUILD/mcpproxyd-token}
need proxy jwksd node_modules curl ldd "$TOOL"

ldd "$MCPPROXYD" | grep -q libjwt && fail "mcpproxyd links libjwt"
ldd "$TOOL" | grep -q libjwt || fail "mcpproxyd-token does not use libjwt"
pass "mcpproxyd does not link libjwt; mcpproxyd-token does"

# --- keys -------------------------------------------------------------------
KID1=$("$TOOL" genkey -k "$T/k1.pem" -j "$T/jwks.json") || fail "genkey"
[ "$(stat -c %a "$T/k1.pem")" = 600 ] || fail "key file mode $(stat -c %a "$T/k1.pem")"
[ "$(stat -c %a "$T/jwks.json")" = 644 ] || fail "JWKS mode $(stat -c %a "$T/jwks.json")"
"$TOOL" genkey -k "$T/k1.pem" -j "$T/jwks.json" 2>/dev/null &&
    fail "genkey overwrote a key file"
"$TOOL" genkey -t rsa -k "$T/r1.pem" -j "$T/rsa.json" >/dev/null || fail "genkey rsa"
for f in "$T/jwks.json" "$T/rsa.json"; do
	"$NODE" -e '
	    const k = JSON.parse(require("fs").readFileSync(process.argv[1])).keys
	    for (const j of k) for (const m of ["d","p","q","dp","dq","qi","oth","k"])
		if (m in j) { console.log("private member " + m); process.exit(1) }
	    if (k.length !== 1) process.exit(1)' "$f" ||
	    fail "$(basename "$f") holds a private member"
done
pass "genkey: key file 0600 (never overwritten), JWKS 0644 with public members only (EC and RSA)"

# --- the proxy, server-everything behind it ---------------------------------
EP=$(free_port) || fail "no port"
start_everything "$EP"
P=$(free_port) || fail "no port"
URL=http://127.0.0.1:$P/mcp
ISS=https://tokens.example.net/ci
: >"$T/revoked"
chmod 644 "$T/revoked"
auth_route_conf "$P" "$EP" svc
cat >>"$PROXY_CONF" <<EOC

$(tools_auth svc "leeway = 0")

[issuer local]
issuer = $ISS
jwks_file = $T/jwks.json
revoked_file = $T/revoked
max_token_lifetime = 2h

$(jwksd_section)
EOC
start_auth_proxy
MASTER=$(cat "$T/mcpproxyd.pid")

# the protected resource metadata names the local issuer (mcpproxyd.conf(5))
prm=$(curl -s "http://127.0.0.1:$P/.well-known/oauth-protected-resource/mcp")
printf '%s' "$prm" | "$NODE" -e '
    let s = ""; process.stdin.on("data", (c) => s += c).on("end", () => {
	const m = JSON.parse(s)
	if (JSON.stringify(m.authorization_servers) !== JSON.stringify([process.argv[1]]) ||
	    m.resource !== process.argv[2]) process.exit(1) })' "$ISS" "$URL" ||
    fail "protected resource metadata: $prm"
pass "the protected resource metadata names the local issuer $ISS"

sign() { "$TOOL" sign -k "$T/k1.pem" -I "$ISS" -a "$URL" -S mcp:tools "$@"; }
status() {	# status TOKEN [TOKEN...]: the statuses of initialize, one connection
	_a=()
	for _t in "$@"; do
		[ ${#_a[@]} -gt 0 ] && _a+=(--next)
		_a+=(-s -o /dev/null -w '%{http_code} ' -X POST
		    -H "Authorization: Bearer $_t" -H 'Content-Type: application/json'
		    -H 'Accept: application/json, text/event-stream'
		    --data '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t19","version":"1"}}}' "$URL")
	done
	curl "${_a[@]}" | sed 's/ $//'
}
echo_call() {	# echo_call TOKEN MSG: initialize, then tools/call echo
	_h=(-H "Authorization: Bearer $1" -H 'Content-Type: application/json'
	    -H 'Accept: application/json, text/event-stream')
	_sid=$(curl -s -D - -o /dev/null "${_h[@]}" --data '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t19","version":"1"}}}' "$URL" |
	    tr -d '\r' | sed -n 's/^[Mm]cp-[Ss]ession-[Ii]d: //p')
	[ -n "$_sid" ] || return 1
	curl -s -o /dev/null "${_h[@]}" -H "Mcp-Session-Id: $_sid" \
	    --data '{"jsonrpc":"2.0","method":"notifications/initialized"}' "$URL"
	curl -s "${_h[@]}" -H "Mcp-Session-Id: $_sid" -H 'Mcp-Protocol-Version: 2025-06-18' \
	    --data "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\",\"params\":{\"name\":\"echo\",\"arguments\":{\"message\":\"$2\"}}}" "$URL"
}

GOOD=$(sign -s ci-job) || fail "sign"
echo_call "$GOOD" "hello from ci" | grep -q 'Echo: hello from ci' ||
    fail "echo through the proxy with a service token"
wait_grep "$ACCESS_LOG" 5 -q 'tool=echo .*sub=ci-job' || fail "access log: no sub=ci-job"
claims=$("$NODE" "$TOP/tests/mcp/verify-token.cjs" "$T/jwks.json" "$GOOD") ||
    fail "node crypto.verify refused the token"
printf '%s' "$claims" | grep -q "\"iss\":\"$ISS\"" || fail "claims: $claims"
pass "a service token calls echo through the proxy and passes node's crypto.verify ($KID1)"

# --- refused tokens -----------------------------------------------------------
h=${GOOD%%.*}; rest=${GOOD#*.}; pl=${rest%%.*}; sg=${rest#*.}
forged=$(printf '%s' "$pl" | "$NODE" -e '
    let s = ""; process.stdin.on("data", (c) => s += c).on("end", () => {
	const c = JSON.parse(Buffer.from(s, "base64url")); c.sub = "admin"
	process.stdout.write(Buffer.from(JSON.stringify(c)).toString("base64url")) })')
OTHER=$("$TOOL" sign -k "$T/k1.pem" -I "$ISS" -a http://127.0.0.1:1/other -S mcp:tools -s ci-job)
SHORT=$(sign -s ci-job -l 1s)
# signed by the same key past [issuer local]'s max_token_lifetime = 2h
# (the tool allows it without -f): the proxy refuses it
LONG=$(sign -s ci-job -l 1d) || fail "sign 1d"
sleep 2
n=0
for row in "tampered|$h.$forged.$sg|signature" \
    "another audience|$OTHER|aud not accepted" \
    "expired|$SHORT|exp has passed" \
    "over max_token_lifetime|$LONG|lifetime longer than the issuer allows"; do
	IFS='|' read -r name tok why <<<"$row"
	st=$(status "$tok")
	[ "$st" = 401 ] || fail "$name: status $st, want 401"
	wait_grep "$T/mcpproxyd.log" 5 -q "token refused: .*$why" ||
	    fail "$name: no \"$why\" in the log"
	n=$((n + 1))
done
"$NODE" "$TOP/tests/mcp/verify-token.cjs" "$T/jwks.json" "$h.$forged.$sg" 2>/dev/null &&
    fail "node accepted the tampered token"
pass "$n refused: tampered, another audience, expired, longer than max_token_lifetime"

out=$(sign -s ci-job -l 2d 2>&1) && fail "signed past the default maximum: $out"
printf '%s' "$out" | grep -q 'above the maximum' || fail "no reason: $out"
out=$(sign -s ci-job -l 2h -L 1h 2>&1) && fail "signed past -L: $out"
sign -s ci-job -l 2d -L 3d >/dev/null || fail "-L 3d refused 2d"
pass "the tool will not sign past the maximum lifetime (default 1d, or -L)"
# max_token_lifetime of the issuer's section (-f), which both daemons
# accepted above; -L can only lower it
out=$(sign -s ci-job -l 3h -f "$PROXY_CONF" 2>&1) &&
    fail "signed past max_token_lifetime = 2h"
printf '%s' "$out" | grep -q 'above the maximum 7200s' || fail "no reason: $out"
sign -s ci-job -l 2h -f "$PROXY_CONF" >/dev/null || fail "-f: 2h refused"
out=$(sign -s ci-job -l 3h -L 1d -f "$PROXY_CONF" 2>&1) &&
    fail "-L raised max_token_lifetime"
out=$("$TOOL" sign -k "$T/k1.pem" -I https://elsewhere.example -a "$URL" \
    -S mcp:tools -s ci-job -f "$PROXY_CONF" 2>&1) &&
    fail "signed for an issuer the file does not have"
pass "max_token_lifetime in [issuer local] (-f) bounds the lifetime; -L cannot raise it"

# --- revocation: by jti and by sub, reloaded on HUP, wins over the cache ---------
T_JTI=$(sign -s job-a) || fail "sign"
T_SUB=$(sign -s job-b) || fail "sign"
T_KEEP=$(sign -s job-c) || fail "sign"
[ "$(status "$T_JTI" "$T_SUB" "$T_KEEP")" = "200 200 200" ] ||
    fail "before revocation: $(status "$T_JTI" "$T_SUB" "$T_KEEP")"
jti=$("$NODE" "$TOP/tests/mcp/verify-token.cjs" "$T/jwks.json" "$T_JTI" |
    sed 's/.*"jti":"\([^"]*\)".*/\1/')
printf '# revoked service tokens\njti %s\nsub job-b\n' "$jti" >"$T/revoked"
kill -HUP "$MASTER"
wait_grep "$T/mcpproxyd.log" 10 -q 'generation 2 starts' || fail "no reload"
n=0
until [ "$(status "$T_JTI")" = 401 ]; do
	n=$((n + 1)); [ $n -gt 50 ] && fail "the revoked jti still passes"; sleep 0.2
done
# twice on one connection: the second would come from the token cache
st=$(status "$T_JTI" "$T_JTI" "$T_SUB" "$T_SUB" "$T_KEEP")
[ "$st" = "401 401 401 401 200" ] || fail "after revocation: $st"
grep -q 'token refused: revoked' "$T/mcpproxyd.log" || fail "no 'revoked' in the log"
pass "revoked by jti and by sub after HUP, also on a kept-alive connection; others pass"
echo 'bogus line' >>"$T/revoked"
kill -HUP "$MASTER"
wait_grep "$T/mcpproxyd.log" 10 -q "reload failed: .*revoked:4: not \"jti VALUE\"" ||
    fail "a bad deny list was not refused"
[ "$(status "$T_SUB" "$T_KEEP")" = "401 200" ] || fail "the running list was not kept"
pass "a bad deny list fails the reload; the running one stays"

# --- rotation: a second key beside the first, then the first retired -------------
KID2=$("$TOOL" genkey -k "$T/k2.pem" -j "$T/jwks.json") || fail "genkey k2"
NEW=$("$TOOL" sign -k "$T/k2.pem" -I "$ISS" -a "$URL" -S mcp:tools -s ci-job)
n=0
until [ "$(status "$NEW" "$GOOD")" = "200 200" ]; do
	n=$((n + 1)); [ $n -gt 100 ] && fail "the new key $KID2 not in force"; sleep 0.2
done
"$TOOL" retire -j "$T/jwks.json" -i "$KID1" || fail "retire"
GOOD2=$(sign -s ci-job)
n=0
until [ "$(status "$GOOD2" "$NEW")" = "401 200" ]; do
	n=$((n + 1)); [ $n -gt 100 ] && fail "the retired key $KID1 still valid: $(status "$GOOD2" "$NEW")"; sleep 0.2
done
pass "rotation: $KID2 beside $KID1, then $KID1 retired"
