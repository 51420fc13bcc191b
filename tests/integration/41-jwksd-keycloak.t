#!/bin/sh
# jwksd with Keycloak's documents (tests/fixtures/keycloak-*.json, realm
# my-realm at http://localhost:8080) as a local JWKS file: only the
# signing key is published, the RSA-OAEP key is refused with a log line;
# the file is watched, and a broken replacement keeps the last keys.
. "${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
need jwksd

F=$TOP/tests/fixtures
cp "$F/keycloak-jwks.json" "$T/certs.json"
CONF=$T/mcpproxyd.conf
cat >"$CONF" <<EOC
[jwksd]
user =
pid_file = $T/jwksd.pid
key_file = $T/keys
control_socket = $T/jwksd.sock

[issuer keycloak]
issuer = http://localhost:8080/realms/my-realm
jwks_file = $T/certs.json
audiences = echo-mcp-server
provider = keycloak
EOC
"$JWKSD" -n -f "$CONF" || fail "config refused"
spawn "$T/jwksd.log" "$JWKSD" -d -f "$CONF"
wait_grep "$T/jwksd.log" 10 "published 1 keys" || fail "nothing published"

fp=$(openssl pkey -pubin -in "$F/keycloak-sig.pem" -outform DER | sha256sum | cut -d' ' -f1)
want="keycloak 8Rd_nmPH8QKwXWzMvf6ZTPEhxxWGrn-sQr0ffdPCF78 RSA RS256 $fp"
got=$("$JWKSD" -l -f "$CONF")
[ "$got" = "$want" ] || fail "-l: '$got', want '$want'"
pass "only Keycloak's signing key published, fingerprint as openssl's"
grep -q "key 2Z2Ho4l8Ig-DXqUvFbWpXFlDWPKZO2CVevE8NYNWCSE refused: not a signature key" \
    "$T/jwksd.log" || fail "RSA-OAEP key not refused in the log"
pass "RSA-OAEP key refused with a log line"

# a broken file: the last keys stay
printf '{"keys": [' >"$T/certs.json.new"
mv "$T/certs.json.new" "$T/certs.json"
wait_grep "$T/jwksd.log" 15 "fetch failed.*keeping 1 keys" ||
    fail "broken file not noticed"
[ "$("$JWKSD" -l -f "$CONF")" = "$want" ] || fail "keys lost"
pass "a broken JWKS file keeps the last keys"

# a new file with an RFC 7517 key beside Keycloak's: watched, published
sed 's/^  "keys": \[/  "keys": [{"kty":"EC","kid":"ec-1","crv":"P-256","x":"MKBCTNIcKUSDii11ySs3526iDZ8AiTo7Tu6KPAqv7D4","y":"4Etl6SRW2YiLUrN5vfvVHuhp7x8PxltmWWlbbM4IFyM"},/' \
    "$F/keycloak-jwks.json" >"$T/certs.json.new"
mv "$T/certs.json.new" "$T/certs.json"
wait_grep "$T/jwksd.log" 15 "published 2 keys" || fail "change not noticed"
"$JWKSD" -l -f "$CONF" | grep -q "^keycloak ec-1 EC ES256 " ||
    fail "new key missing: $("$JWKSD" -l -f "$CONF")"
pass "JWKS file watched: new key published"
exit 0
