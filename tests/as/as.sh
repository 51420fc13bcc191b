# tests/as/as.sh: sourced after tests/lib.sh by tests that need the
# authorization server (tests/as/server.mjs).
#
#   start_as STATE [PORT]   start it (keys persisted in STATE; PORT 0 or
#                           empty: a free one); waits until it listens.
#                           Sets AS_ISSUER, AS_PORT, AS_PID, AS_LOG.
#   stop_as                 stop it (SIGTERM)
#   as_kids [use]           the kids of its JWKS file, "sig" ones by default
#   as_fingerprint KID      SHA-256 (hex) of that key's SubjectPublicKeyInfo
#   as_rotate               new signing key first in the JWKS; prints its kid
#   as_token RESOURCE [SCOPE]  an access token, through DCR + PKCE + login

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
	    --port "${2:-0}"
	AS_PID=$SPAWNED_PID
	_n=0
	while [ "$(_as_listening)" -le "$_before" ]; do
		_n=$((_n + 1))
		[ $_n -gt 150 ] && fail "authorization server did not start"
		sleep 0.1
	done
	AS_ISSUER=$(grep "^listening " "$AS_LOG" | tail -n 1 | cut -d' ' -f2)
	AS_PORT=$(printf '%s\n' "$AS_ISSUER" | sed 's|^http://[^:]*:\([0-9]*\)/.*|\1|')
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
