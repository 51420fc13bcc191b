#!/bin/bash
# 65-rate-limits.t: rate limits per caller, shared by all workers.
#
# A local issuer (mcpproxyd-token, jwksd reading its JWKS) signs tokens
# for several subjects.  (1) A per-tool zone: a second tools/call of
# echo is answered 429 with Retry-After and a JSON-RPC error carrying
# the request's id byte for byte, while ping by the same subject passes.
# (2) Under wrk load (12 s, not 30: the machine is shared) two subjects,
# one per wrk thread, each over 10 keep-alive connections, so that 20
# workers or more each serve one of them: each subject gets its rate
# times the run's length plus the burst, within 10% (per-worker buckets
# would let through about ten times that), and a third subject calling
# at a quarter of the rate meanwhile is never refused.  (3) An address
# zone answers 429 before a forged token's signature is checked.  (4) A
# table of 64 buckets filled by many addresses (X-Forwarded-For from a
# trusted proxy) at 1r/m: new addresses fall to the zone's overflow
# bucket, the mapping is the size the log gives, a busy address keeps
# its state while the table is full and across a reload (HUP); IPv6
# addresses share a bucket by /64.
#
# Negative control: build with per-worker buckets (make BUILD=build-neg
# CFLAGS="-O2 -g -DRATELIMIT_PER_WORKER", a private mapping) and run
# BUILD=build-neg TESTS=65 tests/run: part (2) fails, each subject
# getting several times its rate.
. "${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
. "$TOP/tests/as/as.sh"
TOOL=${MCPTOKEN:-$TOP/$BUILD/mcpproxyd-token}
need proxy jwksd node_modules curl wrk "$TOOL"

RATE=20		# r/s of a subject
BURST=10
SECS=12
TABLE=64

"$TOOL" genkey -k "$T/k.pem" -j "$T/jwks.json" >/dev/null || fail "genkey"
start_echo_upstream
P=$(free_port) || fail "no port"
URL=http://127.0.0.1:$P/mcp
ISS=https://tokens.example.net/rl
PROXY_CONF=$T/mcpproxyd.conf
ACCESS_LOG=$T/access.log
cat >"$PROXY_CONF" <<EOC
[mcpproxyd]
user = nobody
pid_file = $T/mcpproxyd.pid
access_log = $ACCESS_LOG
start_workers = 24
min_spare = 4
max_spare = 32
max_workers = 40
ratelimit_table_size = $TABLE

[server test]
listen = 127.0.0.1:$P
route = /mcp http://127.0.0.1:$ep/echo auth=svc ratelimit=caller,echo
route = /guard http://127.0.0.1:$ep/echo auth=svc ratelimit=guard
route = /fill http://127.0.0.1:$ep/echo ratelimit=fill
trusted_proxies = 127.0.0.1

[ratelimit caller]
rate = ${RATE}r/s
burst = $BURST

[ratelimit echo]
rate = 1r/m
tool = echo

[ratelimit guard]
key = address
rate = 1r/m
burst = 1

[ratelimit fill]
key = address
rate = 1r/m

$(tools_auth svc "leeway = 0")

[issuer local]
issuer = $ISS
jwks_file = $T/jwks.json

$(jwksd_section)
EOC
chmod 644 "$PROXY_CONF"
start_auth_proxy
MASTER=$(cat "$T/mcpproxyd.pid")

sign() { "$TOOL" sign -k "$T/k.pem" -I "$ISS" -a "$URL" -S mcp:tools -s "$1"; }
PROBE=$(sign probe) && A=$(sign heavy-a) && B=$(sign heavy-b) &&
    LIGHT=$(sign light) || fail "sign"
post() {	# post TOKEN BODY [URL]: headers and body of the answer
	curl -s -D - -H "Authorization: Bearer $1" \
	    -H 'Content-Type: application/json' \
	    -H 'Accept: application/json, text/event-stream' \
	    --data "$2" "${3:-$URL}" | tr -d '\r'
}

# --- (1) a per-tool zone: 429, Retry-After, the request's id ---------------
CALL='{"jsonrpc":"2.0","id":"r\u00e9q 7","method":"tools/call","params":{"name":"echo","arguments":{"message":"x"}}}'
post "$PROBE" "$CALL" | head -1 | grep -q ' 200' || fail "first echo refused"
out=$(post "$PROBE" "$CALL")
printf '%s\n' "$out" | head -1 | grep -q '^HTTP/1.1 429 ' || fail "second echo: $out"
ra=$(printf '%s\n' "$out" | sed -n 's/^Retry-After: //p')
[ -n "$ra" ] && [ "$ra" -ge 55 ] && [ "$ra" -le 60 ] || fail "Retry-After: '$ra'"
printf '%s\n' "$out" | tail -1 | grep -qF '"id":"r\u00e9q 7"}' ||
    fail "the 429 does not carry the request's id byte for byte: $out"
printf '%s\n' "$out" | tail -1 | grep -qF '"error":{"code":-32029' ||
    fail "no JSON-RPC error: $out"
post "$PROBE" '{"jsonrpc":"2.0","id":8,"method":"ping"}' | head -1 | grep -q ' 200' ||
    fail "ping refused by the echo zone"
pass "tools/call echo over its zone: 429, Retry-After $ra, a JSON-RPC error with the id as sent; ping still passes"

# --- (2) two subjects under wrk load, a third meanwhile ----------------------
printf '%s\n%s\n' "$A" "$B" >"$T/tokens"
chmod 600 "$T/tokens"
RATE_TOKENS_FILE=$T/tokens wrk -t 2 -c 20 -d ${SECS}s \
    -s "$TOP/tests/mcp/rate-wrk.lua" "$URL" >"$T/wrk.out" 2>&1 &
WRK=$!
light_ok=0 light_no=0
sleep 1
workers=$(pgrep -c -P "$MASTER")
for i in $(seq 1 $((SECS * RATE / 4 - 2 * RATE / 4))); do
	# a quarter of the rate: one call every 4/RATE s
	st=$(curl -s -o /dev/null -w '%{http_code}' \
	    -H "Authorization: Bearer $LIGHT" -H 'Content-Type: application/json' \
	    -H 'Accept: application/json, text/event-stream' \
	    --data '{"jsonrpc":"2.0","id":1,"method":"ping"}' "$URL")
	[ "$st" = 200 ] && light_ok=$((light_ok + 1)) || light_no=$((light_no + 1))
	sleep 0.2
done
wait $WRK || fail "wrk: $(cat "$T/wrk.out")"
[ "$workers" -ge 16 ] || fail "only $workers workers under load (want 16+)"
grep '^SUBJECT' "$T/wrk.out" >"$T/subjects" || fail "wrk: $(cat "$T/wrk.out")"
while read -r _ k okv limv othv dur; do
	ok=${okv#ok=} lim=${limv#limited=} oth=${othv#other=} us=${dur#duration_us=}
	want=$(( (BURST + 1) + RATE * us / 1000000 ))
	lo=$((want * 90 / 100)) hi=$((want * 110 / 100))
	echo "subject $k: $ok allowed, $lim refused, $oth other in $us us; want $want ($lo..$hi)"
	[ "$oth" -eq 0 ] || fail "subject $k: $oth answers neither 2xx nor 429"
	[ "$lim" -gt "$ok" ] || fail "subject $k: wrk did not press the limit ($lim refused)"
	[ "$ok" -ge "$lo" ] && [ "$ok" -le "$hi" ] ||
	    fail "subject $k: $ok allowed in $us us, want $want +-10% ($RATE r/s, burst $BURST, $workers workers)"
done <"$T/subjects"
[ "$(wc -l <"$T/subjects")" -eq 2 ] || fail "wrk: $(cat "$T/wrk.out")"
pass "under wrk load with $workers workers, each of two subjects got its rate plus the burst within 10% ($(tr '\n' ';' <"$T/subjects"))"
[ "$light_no" -eq 0 ] && [ "$light_ok" -gt 0 ] ||
    fail "the light subject was refused $light_no times of $((light_ok + light_no))"
pass "meanwhile a third subject at a quarter of the rate was never refused ($light_ok calls)"
grep -q '" 429 .* authz=rate:caller .*sub=heavy-a$' "$ACCESS_LOG" ||
    fail "access log: no 429 line with authz=rate:caller for heavy-a"

# --- (3) an address zone: before the token's signature ------------------------
FORGED="${A%.*}.AAAA"
for want in 401 401 429 429; do
	st=$(curl -s -o /dev/null -w '%{http_code}' -H 'X-Forwarded-For: 10.9.9.9' \
	    -H "Authorization: Bearer $FORGED" -H 'Content-Type: application/json' \
	    --data '{"jsonrpc":"2.0","id":1,"method":"ping"}' \
	    "http://127.0.0.1:$P/guard")
	[ "$st" = "$want" ] || fail "forged token from 10.9.9.9: $st, want $want"
done
pass "an address zone answers 429 to forged tokens before their signature is checked"

# --- (4) the table's bound: overflow, mapping size, busy keys kept -----------
fill() {	# fill ADDRESS: status of one request from ADDRESS
	curl -s -o /dev/null -w '%{http_code}' -H "X-Forwarded-For: $1" \
	    -H 'Content-Type: application/json' \
	    --data '{"jsonrpc":"2.0","id":1,"method":"ping"}' "http://127.0.0.1:$P/fill"
}
# IPv6 clients by their /64: one customer's network, one bucket
[ "$(fill 2001:db8:1:2::1)" = 200 ] || fail "2001:db8:1:2::1 refused"
[ "$(fill 2001:db8:1:2:ffff:ffff:ffff:fffe)" = 429 ] ||
    fail "another address of the same /64 has a bucket of its own"
[ "$(fill 2001:db8:1:3::1)" = 200 ] || fail "the next /64 shares the bucket"
pass "IPv6 clients are limited by their /64"
[ "$(fill 10.1.0.1)" = 200 ] || fail "the first address was refused"
[ "$(fill 10.1.0.1)" = 429 ] || fail "a second request of 10.1.0.1 at 1r/m passed"
allowed=0 refused=0
for i in $(seq 2 200); do
	case $(fill "10.1.$((i / 250)).$((i % 250 + 1))") in
	200) allowed=$((allowed + 1)) ;;
	429) refused=$((refused + 1)) ;;
	*) fail "fill: a status neither 200 nor 429" ;;
	esac
done
# at most the table's buckets, plus the overflow bucket's one
[ $allowed -le $((TABLE + 1)) ] ||
    fail "$allowed new addresses allowed: the table holds more than $TABLE"
[ $refused -ge $((199 - TABLE - 1)) ] ||
    fail "only $refused new addresses refused: no overflow bucket"
[ "$(fill 10.1.0.1)" = 429 ] || fail "the busy address 10.1.0.1 was evicted (reset)"
line=$(grep -o 'rate limit table: [0-9]* buckets, [0-9]* bytes' "$T/mcpproxyd.log") ||
    fail "no rate limit table line in the log"
bytes=$(echo "$line" | awk '{print $6}')
[ "$(echo "$line" | awk '{print $4}')" = $TABLE ] || fail "$line"
range=$(grep 'memfd:mcpproxyd-ratelimit' "/proc/$MASTER/maps" | cut -d' ' -f1)
[ "$(echo "$range" | wc -l)" = 1 ] || fail "rate limit mappings: $range"
mapped=$(( 16#${range#*-} - 16#${range%-*} ))
page=$(getconf PAGESIZE)
[ "$mapped" = $(( (bytes + page - 1) / page * page )) ] ||
    fail "mapping of $mapped bytes for a table of $bytes"
pass "$TABLE buckets full of busy addresses: $allowed new ones fitted, $refused fell to the overflow bucket; mapping $mapped bytes ($line); a busy address kept its state"

kill -HUP "$MASTER"
wait_grep "$T/mcpproxyd.log" 20 -q 'reloaded .*generation' ||
    fail "no reload in the log"
sleep 1
[ "$(fill 10.1.0.1)" = 429 ] || fail "a reload reset the busy address's bucket"
pass "after a reload the busy address is still refused (the table is the master's)"
exit 0
