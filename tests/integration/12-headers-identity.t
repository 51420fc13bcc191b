#!/bin/bash
# 12-headers-identity.t: what a backend that reads headers as WSGI does
# (tests/mcp/wsgi-echo.py: "_" read as "-", case ignored, lines joined)
# learns from a client, and who the client is.
#
#   - rows of forged identity and forwarding headers ("-" and "_"
#     spellings) on a strict route with a good token, optional and
#     permissive routes without one, and a route with no policy: none
#     reaches the backend; X-Forwarded-* are the proxy's alone; '_'
#     names are dropped and the drop logged; with underscores_in_headers
#     = yes other '_' names pass, the proxy's own still do not;
#   - behind a trusted proxy (trusted_proxies = 127.0.0.2: curl
#     --interface 127.0.0.2), X-Forwarded-For / Forwarded name the client:
#     access log, the resource URL (X-Forwarded-Proto/Host), and
#     max_conns_per_client and max_streams_per_client counted per
#     forwarded client, not per proxy;
#     from an untrusted peer the same headers change nothing;
#   - DNS rebinding: a loopback connection (127.0.0.1, 127.0.0.2, and a
#     listener on another loopback address, 127.0.0.3) without allowed_hosts
#     takes only localhost, 127.0.0.1, [::1] with its port as Host, and
#     loopback Origins only, whatever cors_allow_origins = * says.
#
# Every row is counted; the test fails at the end if any row did.
# OLD_BUILD=1 leaves the new keys (trusted_proxies, underscores_in_headers)
# out of the configuration, to count the rows an older mcpproxyd fails.
. "${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
. "$TOP/tests/as/as.sh"
need_as python3 jq
NEW=1
[ -n "$OLD_BUILD" ] && NEW=

start_as "$T/as"
UP=$(free_port) || fail "no free port"
spawn "$T/wsgi.log" python3 "$TOP/tests/mcp/wsgi-echo.py" "$UP"
wait_port 127.0.0.1 "$UP" 10 || fail "wsgi-echo did not start"

P=$(free_port) || fail "no free port"
PU=$(free_port) || fail "no free port"
PW=$(free_port) || fail "no free port"
PN=$(free_port) || fail "no free port"
BASE=http://127.0.0.1:$P
URL=$BASE/mcp
auth_route_conf "$P" "$UP" strict \
    "route = /opt http://127.0.0.1:$UP/opt auth=opt" \
    "route = /perm http://127.0.0.1:$UP/perm auth=perm" \
    "route = /bare http://127.0.0.1:$UP/bare auth=bare" \
    "route = /open http://127.0.0.1:$UP/open" \
    ${NEW:+"trusted_proxies = 127.0.0.2, 192.0.2.0/24, 2001:db8::/32"}
proxy_global "max_conns_per_client = 2" "max_streams_per_client = 1" \
    "start_workers = 8"
cat >>"$PROXY_CONF" <<EOC

$(tools_auth strict "mode = strict" "subject_header = X-Auth-Subject" \
    "scopes_header = X-Auth-Scopes")

$(auth_section opt "resource = $BASE/opt" "mode = optional" \
    "subject_header = X-Auth-Subject" "scopes_header = X-Auth-Scopes")

$(auth_section perm "resource = $BASE/perm" "mode = permissive" \
    "subject_header = X-Auth-Subject")

$(auth_section bare "mode = strict")

[server under]
listen = 127.0.0.1:$PU
route = /open http://127.0.0.1:$UP/open
route = /opt http://127.0.0.1:$UP/opt auth=opt
${NEW:+underscores_in_headers = yes}

[server wild]
listen = 127.0.0.3:$PW
route = /open http://127.0.0.1:$UP/open
cors_allow_origins = *

[server named]
listen = 127.0.0.1:$PN
route = /open http://127.0.0.1:$UP/open
allowed_hosts = evil.example.com

$(issuer_local)
EOC
start_auth_proxy
wait_port 127.0.0.3 "$PW" 10 || fail "127.0.0.3:$PW not listening"
pass "AS, jwksd, mcpproxyd on $BASE (and :$PU, 127.0.0.3:$PW, :$PN), wsgi-echo on $UP"

TOK=$(mint --iss "$AS_ISSUER" --aud "$URL" --sub alice --scope mcp:tools) ||
    fail "mint"
nbad=0 nrows=0
row_ok() { nrows=$((nrows + 1)); pass "$*"; }
row_bad() { nrows=$((nrows + 1)); nbad=$((nbad + 1)); _say "not ok - $*"; }

# get URL [CURL ARGS...]: the backend's view (JSON) in $T/seen, status out
get() {
	_u=$1; shift
	curl -s -m 20 -o "$T/seen" -w '%{http_code}' "$@" "$_u"
}
# field NAME: that HTTP_* value the backend saw, "" if none
field() { jq -r --arg k "$1" '.[$k] // ""' "$T/seen" 2>/dev/null; }

# --- forged identity and forwarding headers, every kind of route ---------
# check ROW SUB SCOPES XFH: what the backend must have seen, nothing else
check() {
	_why=
	[ "$(field HTTP_X_AUTH_SUBJECT)" = "$2" ] ||
	    _why="$_why subject=$(field HTTP_X_AUTH_SUBJECT)"
	[ "$(field HTTP_X_AUTH_SCOPES)" = "$3" ] ||
	    _why="$_why scopes=$(field HTTP_X_AUTH_SCOPES)"
	[ "$(field HTTP_X_FORWARDED_FOR)" = 127.0.0.1 ] ||
	    _why="$_why xff=$(field HTTP_X_FORWARDED_FOR)"
	[ "$(field HTTP_X_FORWARDED_HOST)" = "$4" ] ||
	    _why="$_why xfh=$(field HTTP_X_FORWARDED_HOST)"
	[ "$(field HTTP_X_FORWARDED_PROTO)" = http ] ||
	    _why="$_why xfp=$(field HTTP_X_FORWARDED_PROTO)"
	for _k in HTTP_FORWARDED HTTP_X_REAL_IP HTTP_X_FORWARDED_PORT \
	    HTTP_MCP_SESSION_ID; do
		[ -z "$(field $_k)" ] || _why="$_why $_k=$(field $_k)"
	done
	if [ -z "$_why" ]; then
		row_ok "$1"
	else
		row_bad "$1:$_why"
	fi
}

FORGED=(
	"X-Auth-Subject: mallory"
	"X_Auth_Subject: mallory"
	"x-auth-subject: mallory|X_AUTH_SUBJECT: admin"
	"X-Auth-Scopes: admin"
	"X_Auth_Scopes: admin"
	"x_auth-scopes: admin"
	"Forwarded: for=6.6.6.6;proto=https"
	"X-Real-IP: 6.6.6.6"
	"X_Real_IP: 6.6.6.6"
	"X-Forwarded-For: 6.6.6.6"
	"X_Forwarded_For: 6.6.6.6"
	"X-Forwarded-Host: evil.example"
	"X_Forwarded_Proto: https"
	"X-Forwarded-Port: 1"
	"Mcp_Session_Id: forged"
)
for route in mcp opt perm open; do
	case $route in
	mcp)	auth=(-H "Authorization: Bearer $TOK") sub=alice sc=mcp:tools ;;
	perm)	auth=(-H "Authorization: Bearer not.a.token") sub= sc= ;;
	*)	auth=() sub= sc= ;;
	esac
	for h in "${FORGED[@]}"; do
		hs=()
		IFS='|' read -ra parts <<<"$h"
		for p in "${parts[@]}"; do hs+=(-H "$p"); done
		c=$(get "$BASE/$route" "${auth[@]}" "${hs[@]}")
		if [ "$c" != 200 ]; then
			row_bad "/$route, $h: status $c"
			continue
		fi
		check "/$route, $h" "$sub" "$sc" "127.0.0.1:$P"
	done
done

# '_' names: dropped and logged by default; kept with the key, but never
# the '_' spelling of a header the proxy sets, strips or reads
c=$(get "$BASE/open" -H "My_Header: x")
[ "$c" = 200 ] && [ -z "$(field HTTP_MY_HEADER)" ] &&
    row_ok "My_Header dropped by default" ||
    row_bad "My_Header passed by default: $(field HTTP_MY_HEADER)"
if wait_grep "$T/mcpproxyd.log" 5 "with '_' in the name"; then
	row_ok "drop logged: $(grep "with '_' in the name" "$T/mcpproxyd.log" | head -n 1 | sed 's/.*: dropped/dropped/')"
else
	row_bad "no log line for the '_' names dropped"
fi
c=$(get "http://127.0.0.1:$PU/open" -H "My_Header: kept")
[ "$c" = 200 ] && [ "$(field HTTP_MY_HEADER)" = kept ] &&
    row_ok "underscores_in_headers = yes: My_Header passes" ||
    row_bad "underscores_in_headers = yes: My_Header: $c $(field HTTP_MY_HEADER)"
for route in open opt; do
	for h in "X_Auth_Subject: mallory" "X_Auth_Scopes: admin" \
	    "X_Real_IP: 6.6.6.6" "X_Forwarded_For: 6.6.6.6" \
	    "X_Forwarded_Proto: https" "Mcp_Session_Id: forged"; do
		c=$(get "http://127.0.0.1:$PU/$route" -H "$h")
		if [ "$c" != 200 ]; then
			row_bad "underscores on, /$route, $h: status $c"
			continue
		fi
		check "underscores on, /$route, $h" "" "" "127.0.0.1:$PU"
	done
done

# --- one client identity ------------------------------------------------------
# logged_as PATH: the client field of the access log line for PATH
logged_as() {
	wait_grep "$ACCESS_LOG" 5 -F "\"GET $1\"" || { echo none; return; }
	grep -F "\"GET $1\"" "$ACCESS_LOG" | tail -n 1 | cut -d' ' -f2
}
ident_row() {	# NAME PATH WANT-LOGGED WANT-XFF CURL-ARGS...
	_n=$1 _p=$2 _wl=$3 _wx=$4; shift 4
	c=$(get "$BASE$_p" "$@")
	_l=$(logged_as "$_p")
	_x=$(field HTTP_X_FORWARDED_FOR)
	if [ "$c" = 200 ] && [ "$_l" = "$_wl" ] && [ "$_x" = "$_wx" ]; then
		row_ok "$_n: client $_l, backend X-Forwarded-For \"$_x\""
	else
		row_bad "$_n: $c, client $_l (want $_wl), X-Forwarded-For \"$_x\" (want \"$_wx\")"
	fi
}
ident_row "trusted proxy, X-Forwarded-For" /open/t1 198.51.100.7 \
    "198.51.100.7, 127.0.0.2" --interface 127.0.0.2 \
    -H "X-Forwarded-For: 198.51.100.7"
ident_row "trusted proxy, XFF walked past trusted hops" /open/t2 203.0.113.5 \
    "6.6.6.6, 203.0.113.5, 192.0.2.10, 127.0.0.2" --interface 127.0.0.2 \
    -H "X-Forwarded-For: 6.6.6.6, 203.0.113.5" -H "X-Forwarded-For: 192.0.2.10"
ident_row "trusted proxy, IPv6 client" /open/t3 2001:db9::1 \
    "2001:db9::1, 127.0.0.2" --interface 127.0.0.2 \
    -H "X-Forwarded-For: 2001:db9::1"
ident_row "trusted proxy, Forwarded for=" /open/t4 198.51.100.9 \
    "127.0.0.2" --interface 127.0.0.2 \
    -H 'Forwarded: for="198.51.100.9:4711";proto=https'
ident_row "untrusted peer, X-Forwarded-For ignored" /open/t5 127.0.0.1 \
    "127.0.0.1" -H "X-Forwarded-For: 198.51.100.7"
ident_row "untrusted peer, Forwarded ignored" /open/t6 127.0.0.1 \
    "127.0.0.1" -H "Forwarded: for=198.51.100.7"
c=$(get "$BASE/open/t7" --interface 127.0.0.2 -H "X-Auth-Subject: mallory" \
    -H "X_Real_IP: 1.1.1.1" -H "X-Real-IP: 198.51.100.7")
[ "$c" = 200 ] && [ -z "$(field HTTP_X_AUTH_SUBJECT)" ] &&
    [ "$(field HTTP_X_REAL_IP)" = 198.51.100.7 ] &&
    row_ok "trusted proxy: identity headers still dropped, its X-Real-IP passed" ||
    row_bad "trusted proxy: $c subject=$(field HTTP_X_AUTH_SUBJECT) real-ip=$(field HTTP_X_REAL_IP)"

# the resource URL from X-Forwarded-Proto/Host: a trusted proxy's only
rm_of() {
	curl -s -m 10 -o /dev/null -D - "$@" "$BASE/bare" | tr -d '\r' |
	    sed -n 's/^[Ww][Ww][Ww]-[Aa]uthenticate:.*resource_metadata="\([^"]*\)".*/\1/p'
}
want=https://mcp.example.com/.well-known/oauth-protected-resource/bare
got=$(rm_of --interface 127.0.0.2 -H "X-Forwarded-Proto: https" \
    -H "X-Forwarded-Host: mcp.example.com")
[ "$got" = "$want" ] && row_ok "trusted proxy: resource URL $got" ||
    row_bad "trusted proxy: resource URL \"$got\", want $want"
want=http://127.0.0.1:$P/.well-known/oauth-protected-resource/bare
got=$(rm_of -H "X-Forwarded-Proto: https" -H "X-Forwarded-Host: mcp.example.com")
[ "$got" = "$want" ] && row_ok "untrusted peer: resource URL $got" ||
    row_bad "untrusted peer: resource URL \"$got\", want $want"

# max_conns_per_client = 2, counted per forwarded client: the proxy holds
# five connections; client A's third is refused, client B's two pass
# and max_streams_per_client = 1 likewise: client C's second event
# stream is refused, client D's first is not
slow() {	# NAME XFF [CURL ARGS]
	_n=$1 _x=$2; shift 2
	curl -s -m 20 -o /dev/null -w '%{http_code}\n' --interface 127.0.0.2 \
	    -H "X-Forwarded-For: $_x" "$@" "$BASE/open/slow" >"$T/slow.$_n" &
	slowpids="$slowpids $!"
}
slowpids=
SSE=(-H "Accept: text/event-stream")
slow a1 198.51.100.1; slow a2 198.51.100.1
slow b1 198.51.100.2; slow b2 198.51.100.2
slow c1 198.51.100.3 "${SSE[@]}"; slow d1 198.51.100.4 "${SSE[@]}"
sleep 1
slow a3 198.51.100.1
slow c2 198.51.100.3 "${SSE[@]}"
wait $slowpids
codes=$(for k in a1 a2 b1 b2 a3; do printf '%s=%s ' $k "$(cat "$T/slow.$k")"; done)
case $codes in
"a1=200 a2=200 b1=200 b2=200 a3=429 ")
	row_ok "conn cap per forwarded client: $codes" ;;
*)	row_bad "conn cap per forwarded client: $codes (want a3 alone 429)" ;;
esac
codes=$(for k in c1 d1 c2; do printf '%s=%s ' $k "$(cat "$T/slow.$k")"; done)
case $codes in
"c1=200 d1=200 c2=429 ")
	row_ok "stream cap per forwarded client: $codes" ;;
*)	row_bad "stream cap per forwarded client: $codes (want c2 alone 429)" ;;
esac

# --- DNS rebinding ------------------------------------------------------------
rebind() {	# WANT PORT [CURL ARGS...]
	_w=$1 _p=$2; shift 2
	c=$(curl -s -m 10 -o /dev/null -w '%{http_code}' "$@" \
	    "http://$([ "$_p" = "$PW" ] && echo 127.0.0.3 || echo 127.0.0.1):$_p/open")
	[ "$c" = "$_w" ] && row_ok "rebinding :$_p $*: $c" ||
	    row_bad "rebinding :$_p $*: $c, want $_w"
}
rebind 403 "$P" -H "Host: evil.example.com" -H "Origin: http://evil.example.com"
rebind 403 "$P" -H "Host: evil.example.com"
rebind 403 "$P" -H "Host: evil.example.com:$P"
rebind 403 "$P" -H "Host: localhost.evil.example.com:$P"
rebind 403 "$P" -H "Host: localhost:$PU"
rebind 403 "$P" -H "Host: localhost"
rebind 403 "$P" -H "Host: 127.0.0.2:$P"
rebind 403 "$P" -H "Origin: http://evil.example.com"
rebind 403 "$P" -H "Origin: http://localhost.evil.example.com:$P"
rebind 403 "$P" -H "Origin: null"
rebind 403 "$P" --interface 127.0.0.2 -H "Host: evil.example.com"
rebind 403 "$PW" -H "Host: evil.example.com" -H "Origin: http://evil.example.com"
rebind 403 "$PW" -H "Host: evil.example.com"
rebind 403 "$PW" -H "Origin: http://evil.example.com"
rebind 200 "$P"
rebind 200 "$P" -H "Host: localhost:$P" -H "Origin: http://localhost:6274"
rebind 200 "$P" -H "Host: [::1]:$P" -H "Origin: http://127.0.0.1:$P"
rebind 200 "$P" -H "Host: LocalHost:$P" -H "Origin: https://[::1]"
rebind 200 "$PW" -H "Host: localhost:$PW"
rebind 200 "$PN" -H "Host: evil.example.com"
# the absolute-form authority is the Host
out=$(printf 'GET http://evil.example.com/open HTTP/1.1\r\nHost: 127.0.0.1:%s\r\nConnection: close\r\n\r\n' "$P" |
    timeout 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$P; cat >&3; cat <&3" | head -n 1 | tr -d '\r')
case $out in *" 403 "*) row_ok "absolute-form http://evil.example.com: $out" ;;
*) row_bad "absolute-form http://evil.example.com: $out" ;; esac
if [ -n "$NEW" ]; then
	# tests bind loopback only: the warning is read from -n, which
	# binds nothing (59-conformance-wildcard serves 0.0.0.0 in a netns)
	sed "s/^listen = 127.0.0.3:/listen = 0.0.0.0:/" "$PROXY_CONF" >"$T/wild.conf"
	"$MCPPROXYD" -n -f "$T/wild.conf" 2>&1 |
	    grep -q "listen = 0.0.0.0:$PW: no allowed_hosts" &&
	    row_ok "0.0.0.0:$PW without allowed_hosts is warned of" ||
	    row_bad "no warning for 0.0.0.0:$PW without allowed_hosts"
fi

_say "# $nbad of $nrows rows failed"
[ "$nbad" = 0 ] || fail "$nbad of $nrows rows failed"
pass "all $nrows rows"
