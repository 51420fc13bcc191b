#!/bin/sh
# 52-auth-kid-flood.t: the unknown-kid wait has a budget.  A pool of 12
# workers (max_workers = 12); 24 tokens with made-up kids and a fresh iat
# (each one worth a refetch) sent at once from 12 client addresses
# (127.0.0.2 to .13, two each); meanwhile a valid token from 127.0.0.1.
#
#   - with kid_wait_max = 4 and kid_wait_max_per_client = 1, at most four
#     workers wait for jwksd; the others answer 503 with Retry-After at
#     once (not 401: the token may be good), logged "too many requests
#     wait for keys"; those that waited answer 401 "unknown signing key";
#   - the valid request is answered 200.  How long it took is printed
#     (tests/RESULTS.md), not asserted.
. "${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
. "$TOP/tests/as/as.sh"
need_as
curl -s -m 5 -o /dev/null --interface 127.0.0.2 http://127.0.0.1:1/ 2>/dev/null
[ $? = 45 ] && skip "cannot send from 127.0.0.2 (no 127.0.0.0/8 on lo)"

start_as "$T/as"
start_echo_upstream

pp=$(free_port) || fail "no free port"
URL=http://127.0.0.1:$pp/mcp
auth_route_conf "$pp" "$ep" strict
sed -i 's/^max_workers = .*/max_workers = 12/; s/^min_spare = .*/min_spare = 12/' \
    "$PROXY_CONF"
proxy_global "start_workers = 12" "max_spare = 12" "kid_wait_ms = 2000" \
    "kid_wait_max = 4" "kid_wait_max_per_client = 1"
cat >>"$PROXY_CONF" <<EOC

$(tools_auth strict "subject_header = X-Auth-Subject")

$(issuer_local)
EOC
start_auth_proxy
pass "AS, jwksd, mcpproxyd on :$pp (12 workers, kid_wait_max 4, per client 1)"
M="--iss $AS_ISSUER --aud $URL"

i=0
while [ $i -lt 24 ]; do
	i=$((i + 1))
	mint $M --kid "sig-Flood$(printf '%02d' $i)xxxxxxxx" >"$T/tok.$i" ||
	    fail "mint $i"
done
VALID=$(mint $M) || fail "mint"
[ "$(curl -s -m 5 -o /dev/null -w '%{http_code}' "$URL")" = 401 ] ||
    fail "no 401 without a token"

start=$(date +%s.%N)
pids=
i=0
while [ $i -lt 24 ]; do
	i=$((i + 1))
	src=127.0.0.$((2 + (i - 1) / 2))
	curl -s -m 30 --interface "$src" -o /dev/null -D "$T/h.$i" \
	    -w '%{http_code} %{time_total}\n' \
	    -H "Authorization: Bearer $(cat "$T/tok.$i")" "$URL" \
	    >"$T/out.$i" 2>&1 &
	pids="$pids $!"
done
sleep 0.2
vout=$(curl -s -m 30 -o "$T/valid.body" -w '%{http_code} %{time_total}' \
    -H "Authorization: Bearer $VALID" "$URL")
# shellcheck disable=SC2086
wait $pids
end=$(date +%s.%N)

n503=0 n401=0 other=0 slow503=0
i=0
while [ $i -lt 24 ]; do
	i=$((i + 1))
	set -- $(cat "$T/out.$i")
	case $1 in
	503)	n503=$((n503 + 1))
		tr -d '\r' <"$T/h.$i" | grep -qi '^retry-after: [1-9][0-9]*$' ||
		    fail "request $i: 503 without Retry-After: $(cat "$T/h.$i")" ;;
	401)	n401=$((n401 + 1))
		tr -d '\r' <"$T/h.$i" | grep -qi \
		    '^www-authenticate:.*error_description="unknown signing key"' ||
		    fail "request $i: 401 $(grep -i www-auth "$T/h.$i")" ;;
	*)	other=$((other + 1)); echo "    request $i: $*" ;;
	esac
done
set -- $vout
echo "    flood: $n503 answered 503, $n401 answered 401 after waiting," \
    "in $(awk "BEGIN { printf \"%.2f\", $end - $start }") s; the valid request: $1 in $2 s"
[ "$other" = 0 ] || fail "$other flood requests got neither 503 nor 401"
[ "$n503" -ge 1 ] || fail "no 503: no bound on the workers waiting for jwksd"
[ "$n401" -ge 1 ] || fail "no request waited for jwksd"
[ "$1" = 200 ] || fail "the valid request during the flood: $1"
grep -q '"x-auth-subject":"eitan"' "$T/valid.body" ||
    fail "the valid request: no subject upstream"
pass "24 unknown kids at once: $n503 x 503 with Retry-After, $n401 x 401 after waiting; a valid request meanwhile: 200 in $2 s"
grep -q "token not checked: unknown key id, too many requests wait for keys" \
    "$T/mcpproxyd.log" || fail "no log line for the 503s"
pass "the 503s are logged: $(grep -m 1 'too many requests wait' "$T/mcpproxyd.log" | sed 's/.*: token/token/')"

kill -0 "$PROXY_PID" 2>/dev/null || fail "mcpproxyd is gone"
grep -E 'killed by|exited with|die at birth' "$T/mcpproxyd.log" &&
    fail "mcpproxyd's log shows workers dying"
pass "mcpproxyd still running, no worker died"
exit 0
