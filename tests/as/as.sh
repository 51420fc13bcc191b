# tests/as/as.sh: sourced after tests/lib.sh by tests that need the
# authorization server (tests/as/server.mjs).
#
#   start_as STATE [PORT]   start it (keys persisted in STATE; PORT 0 or
#                           empty: a free one); waits until it listens.
#                           Sets AS_ISSUER, AS_PORT, AS_PID, AS_LOG.
#                           $AS_ARGS: more server.mjs options (e.g.
#                           "--registration-cors no": an older Keycloak;
#                           --tls-cert ...)
#   stop_as                 stop it (SIGTERM)
#   as_kids [use]           the kids of its JWKS file, "sig" ones by default
#   as_fingerprint KID      SHA-256 (hex) of that key's SubjectPublicKeyInfo
#   as_rotate               new signing key first in the JWKS; prints its kid
#   as_token RESOURCE [SCOPE] [USER]  an access token, through DCR + PKCE +
#                           login of USER (eitan, the default, or noa)

# how many "listening" lines the server's log has (0 before it exists)
_as_listening() {
	_c=$(grep -c "^listening " "$AS_LOG" 2>/dev/null)
	echo "${_c:-0}"
}

start_as() {
	AS_STATE=$1
	AS_LOG=$T/as.log
	_before=$(_as_listening)
	spawn "$AS_LOG" "$NODE" "$TOP/tests/as/server.mjs" --state "$AS_STATE" \
	    --port "${2:-0}" $AS_ARGS
	AS_PID=$SPAWNED_PID
	# a liveness bound, not a timing one: node and oidc-provider can take
	# many seconds to load on a busy machine; a server that exits fails
	# at once
	_n=0
	while [ "$(_as_listening)" -le "$_before" ]; do
		_n=$((_n + 1))
		kill -0 "$AS_PID" 2>/dev/null ||
		    fail "authorization server exited before listening"
		[ $_n -gt 900 ] && fail "authorization server did not start in 90 s"
		sleep 0.1
	done
	AS_ISSUER=$(grep "^listening " "$AS_LOG" | tail -n 1 | cut -d' ' -f2)
	AS_PORT=$(printf '%s\n' "$AS_ISSUER" | sed 's|^https\{0,1\}://[^:]*:\([0-9]*\)/.*|\1|')
}

stop_as() {
	kill -TERM -- "-$AS_PID" 2>/dev/null || kill -TERM "$AS_PID" 2>/dev/null
	_n=0
	while kill -0 "$AS_PID" 2>/dev/null && [ $_n -lt 50 ]; do
		sleep 0.1; _n=$((_n + 1))
	done
}

as_kids() {
	"$NODE" -e '
	    const k = JSON.parse(require("fs").readFileSync(process.argv[1]))
	    for (const j of k.keys) if (j.use === process.argv[2]) console.log(j.kid)
	' "$AS_STATE/keys.json" "${1:-sig}"
}

as_fingerprint() {
	"$NODE" -e '
	    const c = require("crypto")
	    const k = JSON.parse(require("fs").readFileSync(process.argv[1]))
	    const j = k.keys.find((x) => x.kid === process.argv[2])
	    const der = c.createPublicKey({ key: j, format: "jwk" })
	        .export({ type: "spki", format: "der" })
	    console.log(c.createHash("sha256").update(der).digest("hex"))
	' "$AS_STATE/keys.json" "$1"
}

as_rotate() {
	curl -sf -X POST "$AS_ISSUER/admin/rotate" |
	    sed 's/.*"kid":"\([^"]*\)".*/\1/'
}

as_token() {
	(cd "$TOP/tests" && "$NODE" as/get-token.mjs "$AS_ISSUER" "$@")
}

# --- for the proxy's auth tests (tests/integration/5*-auth-*.t) ---
#   tools_auth NAME [LINE...]  print an [auth NAME] section: issuer local,
#                           audience and resource $URL, mcp:tools offered
#                           and required; then LINEs
#   auth_section NAME [LINE...]  print an [auth NAME] section: issuer
#                           local, audience $URL; then LINEs
#   jwksd_section [REFRESH]  print a [jwksd] section for $T (user/group
#                           nobody/its group when root: the proxy's workers,
#                           user nobody, must read the key file)
#   start_jwksd CONF        jwksd -d -v -f CONF, log $T/jwksd.log; waits
#                           until jwksd -l lists a key.  Sets JWKSD_PID.
#   auth_route_conf PORT UPSTREAM AUTH [LINE...]
#                           write_proxy_conf with auth=AUTH on its /mcp route
#   proxy_global LINE...    add LINEs to the [mcpproxyd] section of $PROXY_CONF
#   mint ARGS...            tests/mcp/mint-token.mjs with the AS's keys
#   token_hash TOKEN        the SHA-256 prefix mcpproxyd logs for a token
#   need_as [TOOL...]       need node_modules proxy jwksd curl TOOLs;
#                           skip when oidc-provider is not installed
#   start_echo_upstream     tests/mcp/echo-upstream.mjs on a free port,
#                           log $T/echo-upstream.log.  Sets ep.
#   issuer_local [REFRESH]  print an [issuer local] section for
#                           $AS_ISSUER, then jwksd_section REFRESH (1h)
#   start_auth_proxy        mcpproxyd -n on $PROXY_CONF, then start_jwksd
#                           and start_proxy on it
#   oauth_sdk_flow URL [VAR=VALUE...]  the real MCP SDK client's whole
#                           flow against URL (tests/mcp/oauth-client.mjs,
#                           its environment given the VARs, e.g.
#                           NODE_EXTRA_CA_CERTS=ca.pem), then the AS's own
#                           events for its client: registration, login of
#                           eitan, a PKCE S256 code saved and consumed, a
#                           token issued.  Output in $T/oauth-client.out,
#                           summary $T/oauth-summary.json.  Sets SUB, HASH,
#                           CLIENT_ID.
tools_auth() {
	_say "[auth $1]"
	_say "issuer = local"
	_say "audiences = $URL"
	_say "resource = $URL"
	_say "scopes_supported = mcp:tools"
	_say "required_scopes = mcp:tools"
	shift
	for _l in "$@"; do _say "$_l"; done
}

auth_section() {
	_say "[auth $1]"
	_say "issuer = local"
	_say "audiences = $URL"
	shift
	for _l in "$@"; do _say "$_l"; done
}

jwksd_section() {
	_ju=; _jg=
	if [ "$(id -u)" = 0 ]; then
		_ju=nobody
		_jg=$(id -gn nobody)
	fi
	_say "[jwksd]"
	[ -n "$_ju" ] && _say "user = $_ju"
	[ -n "$_jg" ] && _say "group = $_jg"
	_say "pid_file = $T/jwksd.pid"
	_say "key_file = $T/lib/keys"
	_say "control_socket = $T/jwksd.sock"
	_say "refresh_default = ${1:-1h}"
}

start_jwksd() {
	need jwksd
	spawn "$T/jwksd.log" "$JWKSD" -d -v -f "$1"
	JWKSD_PID=$SPAWNED_PID
	_n=0
	while [ -z "$("$JWKSD" -l -f "$1" 2>/dev/null)" ]; do
		_n=$((_n + 1))
		[ $_n -gt 150 ] && fail "jwksd published no key"
		kill -0 "$JWKSD_PID" 2>/dev/null || fail "jwksd exited"
		sleep 0.1
	done
}

auth_route_conf() {
	_arp=$1 _aru=$2 _ara=$3; shift 3
	write_proxy_conf "$_arp" "$_aru" "$@"
	sed -i "s|^route = /mcp http://127.0.0.1:$_aru/mcp\$|& auth=$_ara|" \
	    "$PROXY_CONF"
	grep -q "auth=$_ara\$" "$PROXY_CONF" || fail "auth_route_conf: no route"
}

proxy_global() {
	for _l in "$@"; do
		_esc=$(printf '%s\n' "$_l" | sed 's/[\\&|]/\\&/g')
		sed -i "s|^\[mcpproxyd\]\$|&\n$_esc|" "$PROXY_CONF"
	done
}

mint() {
	"$NODE" "$TOP/tests/mcp/mint-token.mjs" --keys "$AS_STATE/keys.json" "$@"
}

token_hash() {
	printf '%s' "$1" | sha256sum | cut -c1-16
}

need_as() {
	need node_modules proxy jwksd curl "$@"
	[ -f "$NM/oidc-provider/package.json" ] ||
	    skip "oidc-provider missing (run: npm ci --prefix tests)"
}

start_echo_upstream() {
	ep=$(free_port) || fail "no free port"
	spawn "$T/echo-upstream.log" "$NODE" "$TOP/tests/mcp/echo-upstream.mjs" \
	    "$ep"
	wait_port 127.0.0.1 "$ep" 10 || fail "echo-upstream did not start"
}

issuer_local() {
	_say "[issuer local]"
	_say "issuer = $AS_ISSUER"
	_say
	jwksd_section "${1:-1h}"
}

start_auth_proxy() {
	_out=$("$MCPPROXYD" -n -f "$PROXY_CONF" 2>&1) ||
	    fail "mcpproxyd -n: $_out"
	start_jwksd "$PROXY_CONF"
	start_proxy "$PROXY_CONF"
}

oauth_sdk_flow() {
	_url=$1; shift
	_ev0=$(wc -l <"$AS_LOG")
	env "$@" "$NODE" "$TOP/tests/mcp/oauth-client.mjs" "$_url" \
	    >"$T/oauth-client.out" 2>&1
	_rc=$?
	grep -v '^{' "$T/oauth-client.out" | sed 's/^/    /'
	[ $_rc -eq 0 ] || fail "oauth-client.mjs failed (exit $_rc): $(tail -n 1 "$T/oauth-client.out" | head -c 3000)"
	tail -n 1 "$T/oauth-client.out" >"$T/oauth-summary.json"
	HASH=$(sed -n 's/^token-hash //p' "$T/oauth-client.out")
	SUB=$("$NODE" -e '
	    const d = JSON.parse(require("fs").readFileSync(process.argv[1]))
	    console.log(d.token.sub)
	    for (const r of d.requests)
		console.error("    request: " + r.method + " " +
		    r.url.replace(/^https?:\/\/[^/]*/, "") + " " + r.status)
	' "$T/oauth-summary.json")
	CLIENT_ID=$(sed -n 's/.*registered client \([^ ]*\).*/\1/p' "$T/oauth-client.out")
	[ -n "$CLIENT_ID" ] || fail "oauth-client.mjs did not report its client_id"
	[ "$SUB" = eitan ] || fail "token sub '$SUB'"
	pass "MCP SDK client: 401 -> PRM -> AS metadata -> DCR -> PKCE login -> token -> initialize -> echo at $_url (sub $SUB, token $HASH)"

	# what the authorization server saw, after this client started
	tail -n +"$((_ev0 + 1))" "$AS_LOG" >"$T/as-events.log"
	sed 's/^/    as: /' "$T/as-events.log"
	_ev() { grep "^event $1 " "$T/as-events.log"; }
	_ev registration_create.success | grep -q "\"client_id\":\"$CLIENT_ID\"" ||
	    fail "no registration_create.success for $CLIENT_ID in the AS log"
	pass "AS: dynamic client registration of $CLIENT_ID"
	_ev login.success | grep -q '"user":"eitan"' ||
	    fail "no login.success of eitan"
	_ev authorization_code.saved | grep -q "\"client_id\":\"$CLIENT_ID\".*\"pkce\":\"S256\"" ||
	    fail "no authorization code with an S256 PKCE challenge for $CLIENT_ID"
	_ev authorization_code.consumed | grep -q "\"client_id\":\"$CLIENT_ID\"" ||
	    fail "the authorization code was not exchanged (no authorization_code.consumed)"
	_ev access_token.issued | grep -q "\"client_id\":\"$CLIENT_ID\"" ||
	    fail "no access_token.issued for $CLIENT_ID"
	pass "AS: login of eitan, code with PKCE S256 saved and consumed, access token issued"
}
