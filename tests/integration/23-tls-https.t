#!/bin/bash
# https everywhere it matters, on a TLS listener: X-Forwarded-Proto is
# https; the same-origin rule takes https://Host and not http://Host; the
# default resource URL and the challenge's resource_metadata are https;
# the access log has the TLS version (tls=, only on TLS lines); hsts adds
# Strict-Transport-Security on TLS answers, proxied and the proxy's own;
# https_redirect sends plain-HTTP clients to https with 308 (curl -L
# keeps the method and the body).
. "${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
need proxy openssl curl node_modules

"$TOP/tests/tls/mkca.sh" "$T/pki" >"$T/mkca.log" 2>&1 ||
    fail "mkca.sh: $(cat "$T/mkca.log")"
K=$T/pki
chmod 755 "$K"
UP=$(free_port) || fail "no port"
spawn "$T/upstream.log" "$NODE" "$TOP/tests/mcp/echo-upstream.mjs" "$UP"
wait_port 127.0.0.1 "$UP" || fail "echo upstream did not start"
P=$(free_port) || fail "no port"
HP=$(free_port) || fail "no port"
write_proxy_conf "$P" "$UP" "route = /api http://127.0.0.1:$UP/echo" \
    "route = /prot http://127.0.0.1:$UP/echo auth=a" \
    "allowed_hosts = localhost" "allowed_origins = https://app.example" \
    "tls_certificate = $K/localhost.pem" "tls_key = $K/localhost.key" \
    "hsts = 300"
cat >>"$PROXY_CONF" <<EOT
[server plain]
listen = 127.0.0.1:$HP
allowed_hosts = localhost
https_redirect = $P
route = /api http://127.0.0.1:$UP/echo
[auth a]
issuer = kc
audiences = x
[issuer kc]
issuer = https://kc.example/realms/r
EOT
start_proxy "$PROXY_CONF"
B=https://localhost:$P
C="curl -s -m 20 --cacert $K/ca.pem"

# --- X-Forwarded-Proto ---------------------------------------------------
$C "$B/api" | grep -q '"x-forwarded-proto":"https"' ||
    fail "X-Forwarded-Proto over TLS: $($C "$B/api")"
pass "X-Forwarded-Proto: https on a TLS connection"

# --- the same-origin rule follows the scheme ---------------------------------
oc() { $C -o /dev/null -w '%{http_code}' -H "Origin: $1" "$B/api"; }
[ "$(oc "https://localhost:$P")" = 200 ] || fail "same origin https://localhost:$P: $(oc "https://localhost:$P")"
[ "$(oc "http://localhost:$P")" = 403 ] || fail "http://localhost:$P on TLS: $(oc "http://localhost:$P")"
[ "$(oc "https://app.example")" = 200 ] || fail "listed origin: $(oc https://app.example)"
pass "Origin https://localhost:$P is same-origin on TLS, http://localhost:$P is not"

# --- the default resource URL and the challenge ------------------------------
h=$($C -D - -o /dev/null "$B/prot" | tr -d '\r')
echo "$h" | grep -qi "^www-authenticate: Bearer .*resource_metadata=\"https://localhost:$P/.well-known/oauth-protected-resource/prot\"" ||
    fail "challenge: $h"
$C "$B/.well-known/oauth-protected-resource/prot" | grep -q "\"resource\": \"https://localhost:$P/prot\"" ||
    fail "resource: $($C "$B/.well-known/oauth-protected-resource/prot")"
pass "resource and resource_metadata are https URLs"

# --- HSTS -----------------------------------------------------------------
$C -D - -o /dev/null "$B/api" | grep -qi '^strict-transport-security: max-age=300' ||
    fail "no HSTS on a proxied answer"
$C -D - -o /dev/null "$B/nothing" | grep -qi '^strict-transport-security: max-age=300' ||
    fail "no HSTS on the proxy's own 404"
pass "hsts: Strict-Transport-Security on TLS answers"

# --- https_redirect -------------------------------------------------------
h=$(curl -s -m 10 -D - -o /dev/null -X POST --data x=1 "http://localhost:$HP/api/p?q=1" | tr -d '\r')
echo "$h" | grep -q '^HTTP/1.1 308' || fail "redirect: $h"
echo "$h" | grep -qi "^location: https://localhost:$P/api/p?q=1$" || fail "redirect Location: $h"
echo "$h" | grep -qi '^strict-transport-security' && fail "HSTS over plain HTTP: $h"
out=$($C -L --data 'hello=1' "http://localhost:$HP/api/p")
echo "$out" | grep -q '"method":"POST"' || fail "method lost: $out"
echo "$out" | grep -q '"body":"hello=1"' || fail "body lost: $out"
pass "https_redirect: 308 to https, curl -L keeps POST and its body"
c=$(curl -s -m 10 -o /dev/null -w '%{http_code}' -H 'Host: evil.example' "http://127.0.0.1:$HP/api")
[ "$c" = 403 ] || fail "redirect to a Host not allowed: $c"
pass "no redirect for a Host not in allowed_hosts (403)"

# --- the access log ---------------------------------------------------------
$C --tls-max 1.2 "$B/api" >/dev/null
wait_grep "$ACCESS_LOG" 5 -q 'tls=TLSv1.2$' || fail "no tls=TLSv1.2 line"
grep -q '"GET /api" 200 .* tls=TLSv1.3$' "$ACCESS_LOG" || fail "no tls=TLSv1.3 line"
grep '"POST /api/p" 308' "$ACCESS_LOG" | grep -q 'tls=' && fail "tls= on a plain line"
pass "access log: tls=TLSv1.3 / TLSv1.2 on TLS lines, none on plain"
exit 0
