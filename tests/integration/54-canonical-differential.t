#!/bin/sh
# 54-canonical-differential.t: every request the backend serves under a
# protected route's prefix, however it decodes the path, got that
# route's policy (issue 11, one canonical request target).
#
# Backend: tests/mcp/wsgi-echo.py, Python's standard-library WSGI server,
# which percent-decodes the path (PATH_INFO) as WSGI applications read
# it, on two ports: one behind the open route "/", one behind "/mcp"
# (auth, scope mcp:tools) and "/admin" (auth, scopes mcp:tools and
# admin); it answers with the port, the path it serves and the identity
# headers.  tests/mcp/path-rows.py GENERATES targets from the protected
# prefixes (each byte percent-encoded in upper and lower case, letter
# case, dot segments plain and encoded, doubled slashes, ';' and %3B,
# trailing parts) and sends each with no token, a token without admin
# and one with it.  A row fails when the backend served a path under
# /mcp or /admin (read as any upstream may: case ignored, dots
# resolved, ";params" dropped) without that route's policy: on the open
# port, or without the token's subject, or /admin without scope admin.
# Twice: with ';' refused (the default), and on a second proxy whose
# open route has semicolons=allow (the protected ones cannot).
# Negative controls: the backend, asked directly, serves /%6dcp as /mcp;
# through the proxy /mcp with a token reaches it, with the subject.
# ROWS_SPOOF=--spoof also sends client identity headers in every row
# and fails a row where the backend sees them (issue 11 item 2, headers).
. "${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
. "$TOP/tests/as/as.sh"
need_as python3

start_as "$T/as"
op=$(free_port) || fail "no free port"
bp=$(free_port) || fail "no free port"
spawn "$T/wsgi.log" python3 "$TOP/tests/mcp/wsgi-echo.py" "$op" "$bp"
wait_port 127.0.0.1 "$op" 10 || fail "wsgi-echo did not start"
wait_port 127.0.0.1 "$bp" 10 || fail "wsgi-echo did not start"

pp=$(free_port) || fail "no free port"
BASE=http://127.0.0.1:$pp
URL=$BASE/mcp
auth_route_conf "$pp" "$bp" tools \
    "route = / http://127.0.0.1:$op/" \
    "route = /admin http://127.0.0.1:$bp/admin auth=admin"
cat >>"$PROXY_CONF" <<EOC

$(tools_auth tools "subject_header = X-Auth-Subject" \
    "scopes_header = X-Auth-Scopes")

$(auth_section admin "resource = $BASE/admin" \
    "required_scopes = mcp:tools, admin" \
    "subject_header = X-Auth-Subject" "scopes_header = X-Auth-Scopes")

$(issuer_local)
EOC
start_auth_proxy
pass "mcpproxyd :$pp: / -> wsgi :$op, /mcp (mcp:tools) and /admin (admin) -> wsgi :$bp"

M="--iss $AS_ISSUER --aud $URL --sub differential"
TOOLS=$(mint $M --scope mcp:tools) || fail "mint"
ADMIN=$(mint $M --scopes mcp:tools,admin) || fail "mint"

# negative controls: the backend decodes; the protected route works
seen=$(curl -s --path-as-is "http://127.0.0.1:$op/%6dcp")
case $seen in
*'"path": "/mcp"'*) pass "negative control: the backend serves /%6dcp as /mcp" ;;
*) fail "negative control: the backend, asked for /%6dcp, saw $seen" ;;
esac
seen=$(curl -s -H "Authorization: Bearer $TOOLS" "$BASE/mcp")
case $seen in
*"\"port\": $bp"*'"subject": "differential"'*)
	pass "negative control: /mcp with a token reaches the protected port with its subject" ;;
*) fail "negative control: /mcp with a token: $seen" ;;
esac
[ "$(curl -s -o /dev/null -w '%{http_code}' "$BASE/mcp")" = 401 ] ||
    fail "/mcp without a token is not 401"

: "${ROWS_SPOOF:=--spoof}"
bad=0
python3 "$TOP/tests/mcp/path-rows.py" $ROWS_SPOOF "$BASE" "$op" "$bp" differential \
    "$TOOLS" "$ADMIN" /mcp= /admin=admin >"$T/rows.out" 2>&1 || bad=1
grep '^not ok' "$T/rows.out" | head -n 40
summary=$(tail -n 1 "$T/rows.out")
if [ $bad = 0 ]; then
	pass "';' refused: $summary"
else
	echo "not ok - ';' refused: $summary"
fi

# a second proxy: the open route takes ';' (semicolons=allow)
sp=$(free_port) || fail "no free port"
copy_proxy_conf "$PROXY_CONF" "$T/semi.conf" semi "$sp"
sed -i "s|^route = / http://127.0.0.1:$op/\$|& semicolons=allow|" "$T/semi.conf"
grep -q "semicolons=allow\$" "$T/semi.conf" || fail "no open route in semi.conf"
out=$("$MCPPROXYD" -n -f "$T/semi.conf" 2>&1) || fail "mcpproxyd -n semi.conf: $out (bad rows before: $bad)"
spawn "$T/mcpproxyd-semi.log" "$MCPPROXYD" -d -f "$T/semi.conf"
wait_port 127.0.0.1 "$sp" 10 || fail "the semicolons=allow proxy did not start"
c=$(curl -s -o /dev/null -w '%{http_code}' --path-as-is "http://127.0.0.1:$sp/x;y")
[ "$c" = 200 ] || fail "semicolons=allow: /x;y is $c"
pass "semicolons=allow: /x;y reaches the open route"
python3 "$TOP/tests/mcp/path-rows.py" $ROWS_SPOOF "http://127.0.0.1:$sp" "$op" "$bp" \
    differential "$TOOLS" "$ADMIN" /mcp= /admin=admin >"$T/rows-semi.out" 2>&1 ||
    bad=$((bad + 2))
grep '^not ok' "$T/rows-semi.out" | head -n 40
summary=$(tail -n 1 "$T/rows-semi.out")
if [ $bad -lt 2 ]; then
	pass "semicolons=allow on /: $summary"
else
	echo "not ok - semicolons=allow on /: $summary"
fi
[ $bad = 0 ] || fail "requests reached a protected path without its policy"
exit 0
