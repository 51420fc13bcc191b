# tests/mcp/conformance.sh: sourced after tests/lib.sh by the conformance
# tests (58-conformance.t, 59-conformance-wildcard.t).
#
#   conformance NAME URL    the suite's server scenarios (--suite all)
#                           against URL; sorted verdicts to $T/verdicts-NAME,
#                           with error messages to $T/messages-NAME
#   same_verdicts DIRECT PROXIED
#                           print the verdict table of two runs; check that
#                           every check but dns-rebinding-protection's has
#                           the same verdict, and that dns-rebinding-
#                           protection passes in PROXIED.  Each check prints
#                           "ok - " or "not ok - "; returns 1 if one failed
#                           (the caller decides when to fail)
#   proxied_posts NAME      the access log ($ACCESS_LOG) has a POST line at
#                           least per scenario of run NAME; empties it
#   tutorial_conf [SED ARG...]
#                           etc/mcpproxyd.conf to $PROXY_CONF
#                           ($T/mcpproxyd.conf) with user nobody, pid_file
#                           and access_log ($ACCESS_LOG) in $T, and the
#                           SED ARGs; prints it; sets CONF_DIFF (how many
#                           lines differ); fails if it lost
#                           cors_allow_origins = * or sets allowed_*
#   conformance_direct UP   conformance direct against server-everything
#                           on UP; empties $ACCESS_LOG
#   proxy_survived          mcpproxyd ($PROXY_PID) still runs, its log
#                           shows no worker dying or all busy
CONFORMANCE=$NM/@modelcontextprotocol/conformance/dist/index.js
VERDICTS=$TOP/tests/mcp/conformance-verdicts.mjs

# conformance NAME URL: the whole server suite, verdicts to $T/verdicts-NAME
conformance() {
	# a throwaway HOME: the suite writes nothing of ours
	env HOME="$T/home" timeout 90 "$NODE22" "$CONFORMANCE" server \
	    --url "$2" --suite all -o "$T/out-$1" >"$T/conformance-$1.log" 2>&1
	_rc=$?
	# 1: some scenario failed (expected against server-everything)
	[ $_rc -le 1 ] || fail "conformance against $2 exited $_rc"
	"$NODE" "$VERDICTS" "$T/out-$1" >"$T/verdicts-$1.tmp" ||
	    fail "conformance against $2 saved no verdicts"
	LC_ALL=C sort "$T/verdicts-$1.tmp" >"$T/verdicts-$1"
	"$NODE" "$VERDICTS" "$T/out-$1" --messages >"$T/messages-$1"
	grep -qx 'server-initialize/server-initialize SUCCESS' "$T/verdicts-$1" ||
	    fail "conformance could not initialize a session at $2"
	_say "    $1: $(sed -n 's/^Total: //p' "$T/conformance-$1.log")"
}

# same_verdicts DIRECT PROXIED: compare two runs (see above)
same_verdicts() {
	_d=$1 _p=$2 _v=$T/verdicts-$1-$2 _bad=0
	# the verdict table: check, direct, through the proxy
	LC_ALL=C join -a 1 -a 2 -e MISSING -o 0,1.2,2.2 "$T/verdicts-$_d" \
	    "$T/verdicts-$_p" >"$_v"
	awk -v d="$_d" -v p="$_p" '
	    BEGIN { printf "    %-66s %-14s %s\n", "scenario/check", d, p }
	    { printf "    %-66s %-14s %s\n", $1, $2, $3 }' "$_v"
	_say "    error messages ($_d):"
	grep ' | ' "$T/messages-$_d" | sed 's/^/    /'
	_say "    error messages that differ in $_p (diff $_d $_p):"
	diff "$T/messages-$_d" "$T/messages-$_p" | grep '^[<>]' |
	    sed 's/^/    /'

	_diffs=$(awk '$1 !~ /^dns-rebinding-protection\// && $2 != $3 {
	    printf "%s ", $1 }' "$_v")
	_n=$(grep -vc '^dns-rebinding-protection/' "$_v")
	if [ -n "$_diffs" ]; then
		_say "not ok - $_p: verdicts differ from $_d: $_diffs"
		_bad=1
	else
		pass "$_p: the same verdicts as $_d ($_n checks, dns-rebinding-protection aside)"
	fi

	_dd=$(awk '$1 ~ /^dns-rebinding-protection\// { printf "%s=%s ", $1, $2 }' \
	    "$_v")
	_say "    $_d: $_dd"
	_rows=$(grep -c '^dns-rebinding-protection/' "$_v")
	grep '^dns-rebinding-protection/' "$T/messages-$_p" |
	    sed "s/^/    $_p: /"
	_dbad=$(awk '$1 ~ /^dns-rebinding-protection\// && $3 != "SUCCESS" {
	    printf "%s=%s ", $1, $3 }' "$_v")
	if [ "$_rows" -lt 2 ]; then
		_say "not ok - $_p: dns-rebinding-protection has $_rows checks (want its rebinding and its valid-Host check)"
		_bad=1
	elif [ -n "$_dbad" ]; then
		_say "not ok - $_p: dns-rebinding-protection fails: $_dbad"
		_bad=1
	else
		pass "$_p: dns-rebinding-protection passes ($_rows checks)"
	fi
	return $_bad
}

# proxied_posts NAME: run NAME went through the proxy (its access log)
proxied_posts() {
	wait_grep "$ACCESS_LOG" 5 POST || true
	_n=$(grep -c POST "$ACCESS_LOG")
	_s=$(find "$T/out-$1" -mindepth 1 -maxdepth 1 -type d | wc -l)
	[ "$_n" -ge "$_s" ] ||
	    fail "access log has $_n POST lines for $_s scenarios of run $1"
	pass "$1: access log has $_n POST lines for $_s scenarios"
	: >"$ACCESS_LOG"
}

# tutorial_conf [SED ARG...]: the tutorial's configuration for a test
tutorial_conf() {
	PROXY_CONF=$T/mcpproxyd.conf
	ACCESS_LOG=$T/access.log
	sed -e 's/^user = .*/user = nobody/' \
	    -e "s|^pid_file = .*|pid_file = $T/mcpproxyd.pid|" \
	    -e "s|^access_log = .*|access_log = $ACCESS_LOG|" \
	    "$@" "$TOP/etc/mcpproxyd.conf" >"$PROXY_CONF" ||
	    fail "sed etc/mcpproxyd.conf"
	chmod 644 "$PROXY_CONF"
	grep -v '^;' "$PROXY_CONF" | grep . | sed 's/^/    conf: /'
	CONF_DIFF=$(diff "$TOP/etc/mcpproxyd.conf" "$PROXY_CONF" |
	    grep -c '^[<>]')
	grep -qx 'cors_allow_origins = \*' "$PROXY_CONF" ||
	    fail "etc/mcpproxyd.conf lost the tutorial's cors_allow_origins = *"
	grep -q '^[[:space:]]*allowed_' "$PROXY_CONF" &&
	    fail "etc/mcpproxyd.conf sets allowed_hosts or allowed_origins: the tutorial leaves them to their defaults"
}

# conformance_direct UP: the run every proxied one is compared with
conformance_direct() {
	conformance direct "http://127.0.0.1:$1/mcp"
	pass "conformance suite against server-everything: $(wc -l <"$T/verdicts-direct") checks"
	: >"$ACCESS_LOG"
}

# proxy_survived: the suite killed no worker and left the proxy up
proxy_survived() {
	kill -0 "$PROXY_PID" 2>/dev/null ||
	    fail "mcpproxyd is gone after the suite"
	if grep -E 'killed by|exited with|die at birth|all [0-9]+ workers busy' \
	    "$T/mcpproxyd.log"; then
		fail "mcpproxyd's log shows workers dying or all busy"
	fi
	pass "mcpproxyd still running, no worker died or ran out"
}
