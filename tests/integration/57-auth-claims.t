#!/bin/sh
# 57-auth-claims.t: the subject and scopes of a verified token reach the
# upstream whole or the token is refused, the same on a first request and
# on its cache hit.  Tokens minted by tests/mcp/mint-token.mjs with the
# authorization server's key, published by jwksd; tests/mcp/echo-upstream.mjs
# shows what arrived.  Each row runs two requests on one kept-alive
# connection (one worker: the second is served from its token cache):
#
#   - scopes of 600 bytes ending in mcp:tools:readonly arrive whole both
#     times (the cache used to keep 256 bytes: "mcp:tools" arrived);
#   - a sub of max_subject (256) bytes arrives whole; one byte more, a
#     control character ("ad\u0007min" arrived as "admin"), non-ASCII, a
#     trailing blank, scopes with a control character or over max_scopes:
#     401 invalid_token both times, the reason logged, the upstream sees
#     nothing.
. "${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
. "$TOP/tests/as/as.sh"
need_as

start_as "$T/as"
start_echo_upstream

pp=$(free_port) || fail "no free port"
URL=http://127.0.0.1:$pp/mcp
auth_route_conf "$pp" "$ep" strict
proxy_global "token_cache = 1024"
cat >>"$PROXY_CONF" <<EOC

$(tools_auth strict "subject_header = X-Auth-Subject" \
    "scopes_header = X-Auth-Scopes")

$(issuer_local)
EOC
start_auth_proxy
pass "AS $AS_ISSUER, jwksd, mcpproxyd on :$pp, echo-upstream on $ep"
M="--iss $AS_ISSUER --aud $URL"

# twice TOKEN: two GETs on one connection; prints "STATUS1 STATUS2
# CONNECTS2"; the upstream's echoes in $T/b1 and $T/b2
twice() {
	rm -f "$T/b1" "$T/b2"
	curl -s -m 15 -H "Authorization: Bearer $1" -o "$T/b1" \
	    -w '%{http_code} ' "$URL" --next \
	    -s -m 15 -H "Authorization: Bearer $1" -o "$T/b2" \
	    -w '%{http_code} %{num_connects}\n' "$URL"
}
# header FILE NAME: the value the upstream saw ("<none>" if absent)
header() {
	"$NODE" -e 'const h = JSON.parse(require("fs").readFileSync(
	    process.argv[1], "utf8")).headers[process.argv[2]];
	    process.stdout.write(h === undefined ? "<none>" : h)' "$1" "$2"
}

x256=$(printf '%0256d' 0 | tr 0 x)
S600="mcp:tools"
i=0
while [ ${#S600} -lt 580 ]; do
	i=$((i + 1))
	S600="$S600 s$(printf '%03d' $i):abcdefgh"
done
S600="$S600 mcp:tools:readonly"
S1100=$S600
while [ ${#S1100} -le 1024 ]; do
	S1100="$S1100 more:abcdefgh"
done

# NAME|MINT OPTIONS|SUB (or 401)|SCOPES (or the logged reason)
{
	echo "plain|--sub eitan --scope 'mcp:tools mcp:tools:readonly'|eitan|mcp:tools mcp:tools:readonly"
	echo "scopes of ${#S600} bytes|--sub eitan --scope '$S600'|eitan|$S600"
	echo "sub of 256 bytes|--sub $x256|$x256|mcp:tools"
	echo "sub of 257 bytes|--sub ${x256}y|401|subject too long"
	echo "sub with a bell character|--claim 'sub=\"ad\\\\u0007min\"'|401|subject not printable ascii"
	echo "sub with a newline|--claim 'sub=\"ad\\\\nmin\"'|401|subject not printable ascii"
	echo "sub non-ASCII|--claim 'sub=\"\\\\u00e9lise\"'|401|subject not printable ascii"
	echo "sub with a trailing blank|--sub 'admin '|401|subject not printable ascii"
	echo "scopes with a control character|--claim 'scope=\"mcp:tools a\\\\u0001b\"'|401|scopes not printable ascii"
	echo "scopes of ${#S1100} bytes|--scope '$S1100'|401|scopes too long"
	echo "scp value with a blank|--claim 'scp=[\"a b\"]'|401|scopes not printable ascii"
} >"$T/rows"
n_up=0
while IFS='|' read -r name opts wsub wscope; do
	tok=$(eval "mint $M $opts") || fail "mint $name"
	out=$(twice "$tok")
	set -- $out
	[ "$3" = 0 ] || fail "$name: the second request opened a new connection"
	if [ "$wsub" = 401 ]; then
		[ "$1 $2" = "401 401" ] || fail "$name: $1 $2, want 401 401"
		h=$(token_hash "$tok")
		wait_grep "$T/mcpproxyd.log" 5 -F "token $h)" ||
		    fail "$name: no log line"
		grep -F "token $h)" "$T/mcpproxyd.log" | tail -n 1 |
		    grep -qF "token refused: $wscope" ||
		    fail "$name: $(grep -F "token $h)" "$T/mcpproxyd.log")"
		pass "$name: 401 on the first request and again; logged '$wscope'"
		continue
	fi
	[ "$1 $2" = "200 200" ] || fail "$name: $1 $2, want 200 200"
	n_up=$((n_up + 2))
	for b in b1 b2; do
		[ "$b" = b1 ] && which="first request" || which="cache hit"
		got=$(header "$T/$b" x-auth-subject)
		[ "$got" = "$wsub" ] ||
		    fail "$name, $which: subject '$got', want '$wsub'"
		got=$(header "$T/$b" x-auth-scopes)
		[ "$got" = "$wscope" ] ||
		    fail "$name, $which: scopes '$got' (${#got} bytes), want ${#wscope} bytes"
	done
	pass "$name: 200 twice, subject (${#wsub} bytes) and scopes (${#wscope} bytes) whole on the first request and the cache hit"
done <"$T/rows"
[ "$(grep -c . "$T/echo-upstream.log")" -le "$n_up" ] ||
    fail "the upstream saw a request with a refused token"

kill -0 "$PROXY_PID" 2>/dev/null || fail "mcpproxyd is gone"
grep -E 'killed by|exited with|die at birth' "$T/mcpproxyd.log" &&
    fail "mcpproxyd's log shows workers dying"
pass "mcpproxyd still running, no worker died"
exit 0
