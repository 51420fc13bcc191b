#!/bin/sh
# 28-tls-inspector-ui.t: the MCP Inspector 1.x web UI in headless Chromium
# (the harness of 30-inspector-ui.t: Streamable HTTP, Connection Type
# "Direct", Connect, List Tools, echo) against mcpproxyd's https URL, the
# browser trusting the test CA (tests/tls/mkca.sh) the way a user would:
# an NSS database in a HOME of its own (~/.pki/nssdb, made by certutil,
# the CA added as a trusted issuer of server certificates), never by
# ignoring certificate errors.
# Negative control: the same steps with a HOME whose NSS database lacks
# the CA fail with Chromium's certificate error.
. "${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
need node_modules node22 chromium proxy openssl certutil
need "$NM/playwright-core/package.json" "$NM/@modelcontextprotocol/inspector/client/bin/start.js"

"$TOP/tests/tls/mkca.sh" "$T/pki" >"$T/mkca.log" 2>&1 ||
    fail "mkca.sh: $(cat "$T/mkca.log")"
K=$T/pki

# nssdb HOME [CA]: a new NSS database in HOME/.pki/nssdb, CA trusted in it
nssdb() {
	mkdir -p "$1/.pki/nssdb"
	certutil -N -d "sql:$1/.pki/nssdb" --empty-password >"$T/certutil.log" 2>&1 ||
	    fail "certutil -N: $(cat "$T/certutil.log")"
	[ -z "$2" ] && return 0
	certutil -A -d "sql:$1/.pki/nssdb" -t "C,," -n testca -i "$2" \
	    >>"$T/certutil.log" 2>&1 || fail "certutil -A: $(cat "$T/certutil.log")"
}
nssdb "$T/home-trust" "$K/ca.pem"
nssdb "$T/home-none"
certutil -L -d "sql:$T/home-trust/.pki/nssdb" | grep -q '^testca  *C,,' ||
    fail "the CA is not trusted in the NSS database: $(certutil -L -d "sql:$T/home-trust/.pki/nssdb")"
pass "NSS databases: $T/home-trust (testca C,,) and $T/home-none (empty)"

up=$(free_port) || fail "no free port"
start_everything "$up"
pp=$(free_port) || fail "no free port"
write_proxy_conf "$pp" "$up" \
    "tls_certificate = $K/localhost.pem" "tls_key = $K/localhost.key"
start_proxy "$PROXY_CONF"
MCP=https://localhost:$pp/mcp
pass "mcpproxyd on $MCP"

start_inspector
pass "MCP Inspector UI on ${INSPECTOR_UI%%\?*}"

# --- negative control: Chromium without the CA in its NSS database
if UI_HOME=$T/home-none inspector_ui untrusted --mcp "$MCP" --timeout 8; then
	cat "$T/untrusted.out"
	fail "negative control: the UI connected without trusting the test CA"
fi
grep -q 'ERR_CERT_AUTHORITY_INVALID' "$T/untrusted.out" ||
    { cat "$T/untrusted.out";
      fail "negative control failed, but not on the certificate"; }
grep -m1 'ERR_CERT_AUTHORITY_INVALID' "$T/untrusted.out" | cut -c1-200 |
    sed 's/^ */    (expected) /'
pass "negative control: without the NSS entry, ERR_CERT_AUTHORITY_INVALID"

# --- the CA trusted through NSS
msg="hello from the inspector over https"
if ! UI_HOME=$T/home-trust inspector_ui trusted --mcp "$MCP" --message "$msg"; then
	sed 's/^/    /' "$T/trusted.out"
	fail "Inspector UI (Direct) over https (screenshot in trusted/)"
fi
sed 's/^/    /' "$T/trusted.out"
grep -q '"POST /mcp" 200 .*tool=echo .*tls=TLSv1\.3$' "$ACCESS_LOG" || { cat "$ACCESS_LOG"; fail "no TLS echo call in the access log"; }
pass "Inspector UI over https, CA trusted by NSS: tools listed, Echo: $msg"
exit 0
