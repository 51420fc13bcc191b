#!/bin/sh
# 51-auth-tokens.t: the token checks of mcpproxyd's resource server, with
# tokens minted by tests/mcp/mint-token.mjs from the real authorization
# server's private signing key (tests/as/server.mjs keeps it in keys.json)
# and published by jwksd; tests/mcp/echo-upstream.mjs behind the proxy.
#
#   - good tokens (at+jwt, JWT, aud as an array) pass: the control rows of
#     the table, so a proxy refusing everything fails here;
#   - a table of bad tokens, each answered 401 (403 for a missing scope)
#     with error="invalid_token" and logged "token refused: REASON (...
#     token HASH)", never the token itself; the upstream sees none of them;
#   - a token only in the query string (?access_token=) is 401;
#   - the per-worker cache: on one kept-alive connection (one worker) a
#     token accepted on /mcp is 401 on /other (another [auth] whose
#     audiences differ), and a token with exp ~3 s ahead is 200, then 401
#     once it expired;
#   - mode = optional: no token passes, a bad token is 401;
#     mode = permissive: a bad token passes, logged, with no subject.
. "${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
. "$TOP/tests/as/as.sh"
need_as

start_as "$T/as"
start_echo_upstream

pp=$(free_port) || fail "no free port"
BASE=http://127.0.0.1:$pp
URL=$BASE/mcp
auth_route_conf "$pp" "$ep" strict \
    "route = /other http://127.0.0.1:$ep/other auth=other" \
    "route = /opt http://127.0.0.1:$ep/opt auth=opt" \
    "route = /perm http://127.0.0.1:$ep/perm auth=perm"
proxy_global "token_cache = 1024" "kid_wait_ms = 2000"
cat >>"$PROXY_CONF" <<EOC

$(tools_auth strict "mode = strict")
subject_header = X-Auth-Subject
leeway = 2
max_token_size = 8192

[auth other]
issuer = local
audiences = $BASE/other
resource = $BASE/other
mode = strict
subject_header = X-Auth-Subject

[auth opt]
issuer = local
audiences = $URL
resource = $BASE/opt
mode = optional
subject_header = X-Auth-Subject

[auth perm]
issuer = local
audiences = $URL
resource = $BASE/perm
mode = permissive
subject_header = X-Auth-Subject

$(issuer_local)
EOC
out=$("$MCPPROXYD" -n -f "$PROXY_CONF" 2>&1) || fail "mcpproxyd -n: $out"
start_jwksd "$PROXY_CONF"
start_proxy "$PROXY_CONF"
pass "AS $AS_ISSUER, jwksd, mcpproxyd on $BASE, echo-upstream on $ep"

KID=$(as_kids sig | head -n 1)
M="--iss $AS_ISSUER --aud $URL"

# request URL TOKEN [HEADER...]: status to stdout; headers in $T/r.headers,
# body in $T/r.body
request() {
	_u=$1 _t=$2; shift 2
	if [ -n "$_t" ]; then
		set -- -H "Authorization: Bearer $_t" "$@"
	fi
	curl -s -m 15 -o "$T/r.body" -D "$T/r.h" -w '%{http_code}' "$@" "$_u"
	tr -d '\r' <"$T/r.h" >"$T/r.headers"
}
wa() { grep -i '^www-authenticate:' "$T/r.headers" | sed 's/^[^:]*:[[:space:]]*//'; }
upstream_requests() { grep -c . "$T/echo-upstream.log" 2>/dev/null; }

# --- good tokens first: the table's controls
for row in "valid at+jwt|" "valid typ JWT|--typ JWT" "valid no typ|--no-typ" \
    "valid aud array|--aud-array" "valid scope list|--scopes openid,mcp:tools,profile" \
    'valid scp array|--no-scope --claim scp=["profile","mcp:tools"]'; do
	name=${row%%|*} opts=${row#*|}
	# shellcheck disable=SC2086
	tok=$(mint $M $opts) || fail "mint $name"
	code=$(request "$URL" "$tok")
	[ "$code" = 200 ] || fail "$name: $code $(wa)"
	grep -q '"x-auth-subject":"eitan"' "$T/r.body" ||
	    fail "$name: upstream saw no x-auth-subject eitan: $(head -c 400 "$T/r.body")"
	pass "$name: 200, upstream saw x-auth-subject eitan"
done

# --- the table of bad tokens: NAME|MINT OPTIONS|STATUS|LOG REASON
# (a MINT OPTIONS of "=TEXT" is the token TEXT itself)
cat >"$T/table" <<EOT
expired|--ttl -120|401|exp has passed
not yet valid (nbf)|--nbf 600|401|nbf is in the future
issued in the future (iat)|--iat 600|401|iat is in the future
wrong issuer|--iss http://127.0.0.1:1/realms/evil|401|iss is not the configured issuer
no issuer|--no-iss|401|no iss string
wrong audience|--aud http://127.0.0.1:1/mcp|401|aud not accepted
wrong audience in an array|--aud http://127.0.0.1:1/mcp --aud-array|401|no accepted aud
missing aud|--no-aud|401|no aud
missing exp|--no-exp|401|no exp
wrong typ|--typ secevent+jwt|401|typ is not jwt or at+jwt
tampered payload|--tamper|401|signature does not verify
signed by another key (same kid)|--other-key|401|signature does not verify
alg none|--alg none|401|alg none refused
HS256 keyed with the public key PEM|--hs256-pem|401|hmac alg refused
unknown kid (old iat)|--kid sig-NoSuchKey0000 --iat -600|401|unknown key id
garbage|=garbage!not/a.jwt|401|
two parts|=eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0|401|
oversize (> max_token_size)|--pad 9000|401|token larger than the maximum
missing scope|--scope openid|403|a required scope is missing
EOT
n_up=$(upstream_requests)
while IFS='|' read -r name opts want reason; do
	case $opts in
	=*) tok=${opts#=} ;;
	# shellcheck disable=SC2086
	*) tok=$(mint $M $opts) || fail "mint $name" ;;
	esac
	h=$(token_hash "$tok")
	code=$(request "$URL" "$tok")
	[ "$code" = "$want" ] || fail "$name: $code, want $want ($(wa))"
	w=$(wa)
	if [ "$want" = 403 ]; then
		case $w in *'error="insufficient_scope"'*'scope="mcp:tools"'*|*'scope="mcp:tools"'*'error="insufficient_scope"'*) ;;
		*) fail "$name: WWW-Authenticate '$w'" ;; esac
	else
		case $w in *'resource_metadata="'*'error="invalid_token"'*) ;;
		*) fail "$name: WWW-Authenticate '$w'" ;; esac
	fi
	wait_grep "$T/mcpproxyd.log" 5 -F "token $h)" ||
	    fail "$name: no log line with token $h"
	line=$(grep -F "token $h)" "$T/mcpproxyd.log" | tail -n 1)
	case $line in *"token refused: $reason"*) ;;
	*) fail "$name: log line '$line' lacks 'token refused: $reason'" ;; esac
	grep -qF "$tok" "$T/mcpproxyd.log" && fail "$name: the token itself is in the log"
	pass "$name: $code; log: ${line#*token refused: }"
done <"$T/table"
[ "$(upstream_requests)" = "$n_up" ] ||
    fail "the upstream saw a request with a bad token"
pass "the upstream saw none of the refused requests"

# the unknown kid with an old iat was not worth a refetch
grep -q "unknown kid sig-NoSuchKey0000" "$T/jwksd.log" &&
    fail "jwksd was asked to fetch for an old token's unknown kid"
pass "an unknown kid on a token older than the last fetch: no refetch asked"

# --- the token only in the query string
VALID=$(mint $M) || fail "mint"
code=$(request "$URL?access_token=$VALID" "")
w=$(wa)
[ "$code" = 401 ] || fail "?access_token=: $code"
case $w in *error=*) fail "?access_token=: the token was looked at: $w" ;; esac
pass "token in the query string only: 401, $w"
code=$(request "$URL" "" -X POST -H 'Content-Type: application/x-www-form-urlencoded' \
    --data "access_token=$VALID")
[ "$code" = 401 ] || fail "access_token in a form body: $code"
pass "token in a form body only: 401"

# --- the per-worker cache must not leak across policies
out=$("$NODE" "$TOP/tests/mcp/http-seq.mjs" -H "Authorization: Bearer $VALID" \
    "$URL" "$BASE/other" "$URL" "$BASE/other") || fail "http-seq failed"
printf '%s\n' "$out" | sed 's/^/    /'
ports=$(printf '%s\n' "$out" | cut -d' ' -f2 | sort -u | wc -l)
[ "$ports" = 1 ] || fail "http-seq used $ports connections (want 1: one worker)"
st=$(printf '%s\n' "$out" | cut -d' ' -f1 | tr '\n' ' ')
[ "$st" = "200 401 200 401 " ] ||
    fail "one connection: /mcp, /other, /mcp, /other gave $st (want 200 401 200 401)"
printf '%s\n' "$out" | sed -n 2p | grep -q 'error="invalid_token"' ||
    fail "/other: no invalid_token"
pass "one connection (one worker): the token cached for /mcp is 401 on /other (audiences differ)"
# and the other way round: refused on /other first, then accepted on /mcp
VALID2=$(mint $M) || fail "mint"
out=$("$NODE" "$TOP/tests/mcp/http-seq.mjs" -H "Authorization: Bearer $VALID2" \
    "$BASE/other" "$URL") || fail "http-seq failed"
[ "$(printf '%s\n' "$out" | cut -d' ' -f1 | tr '\n' ' ')" = "401 200 " ] ||
    fail "/other then /mcp: $out"
pass "refused on /other, then accepted on /mcp on the same connection"

# --- the cache honours exp: exp in 3 s, leeway 2
SHORT=$(mint $M --ttl 3) || fail "mint"
hs=$(token_hash "$SHORT")
out=$("$NODE" "$TOP/tests/mcp/http-seq.mjs" -H "Authorization: Bearer $SHORT" \
    "$URL" "$URL" sleep:6.5 "$URL") || fail "http-seq failed"
printf '%s\n' "$out" | sed 's/^/    /'
[ "$(printf '%s\n' "$out" | cut -d' ' -f2 | sort -u | wc -l)" = 1 ] ||
    fail "the exp check used more than one connection"
[ "$(printf '%s\n' "$out" | cut -d' ' -f1 | tr '\n' ' ')" = "200 200 401 " ] ||
    fail "token with exp in 3 s: $(printf '%s\n' "$out" | cut -d' ' -f1 | tr '\n' ' ') (want 200 200 401)"
grep -F "token $hs)" "$T/mcpproxyd.log" | grep -q "token refused: exp has passed" ||
    fail "no 'exp has passed' log line for the short token"
pass "exp ~3 s ahead: 200, 200 (cached), then 401 'exp has passed' on the same worker"

# --- mode = optional
BAD=$(mint $M --ttl -120) || fail "mint"
code=$(request "$BASE/opt" "" -H 'X-Auth-Subject: mallory')
[ "$code" = 200 ] || fail "optional, no token: $code"
grep -qi 'x-auth-subject' "$T/r.body" &&
    fail "optional, no token: the upstream saw an x-auth-subject: $(head -c 400 "$T/r.body")"
pass "optional: no token passes (200), a client's X-Auth-Subject stripped"
code=$(request "$BASE/opt" "$BAD")
[ "$code" = 401 ] || fail "optional, expired token: $code"
case $(wa) in *'error="invalid_token"'*) ;; *) fail "optional: $(wa)" ;; esac
pass "optional: an expired token is 401 invalid_token"
code=$(request "$BASE/opt" "$VALID")
[ "$code" = 200 ] && grep -q '"x-auth-subject":"eitan"' "$T/r.body" ||
    fail "optional, valid token: $code $(head -c 300 "$T/r.body")"
pass "optional: a valid token passes with its subject"

# --- mode = permissive
hb=$(token_hash "$BAD")
: >"$T/perm-mark"
code=$(request "$BASE/perm" "$BAD" -H 'X-Auth-Subject: mallory')
[ "$code" = 200 ] || fail "permissive, expired token: $code"
grep -qi 'x-auth-subject' "$T/r.body" &&
    fail "permissive, bad token: the upstream saw an x-auth-subject: $(head -c 400 "$T/r.body")"
grep -qi '"authorization"' "$T/r.body" &&
    fail "permissive, bad token: Authorization forwarded"
wait_grep "$T/mcpproxyd.log" 5 -F "token $hb)" || fail "permissive: no log line"
line=$(grep -F "token $hb)" "$T/mcpproxyd.log" | grep perm | tail -n 1)
case $line in *"token refused: exp has passed"*"passing (permissive)"*) ;;
*) fail "permissive: log line '$line'" ;; esac
pass "permissive: an expired token passes (200) with no subject; logged: ${line#*: token }"
code=$(request "$BASE/perm" "")
[ "$code" = 200 ] || fail "permissive, no token: $code"
pass "permissive: no token passes"
grep "$BASE" "$ACCESS_LOG" >/dev/null 2>&1
grep '"GET /perm' "$ACCESS_LOG" | tail -n 2 | sed 's/^/    access: /'
grep '"GET /perm' "$ACCESS_LOG" | grep -q 'sub=eitan' &&
    fail "permissive: the access log names a subject for an unverified token"

kill -0 "$PROXY_PID" 2>/dev/null || fail "mcpproxyd is gone"
grep -E 'killed by|exited with|die at birth' "$T/mcpproxyd.log" &&
    fail "mcpproxyd's log shows workers dying"
pass "mcpproxyd still running, no worker died"
exit 0
