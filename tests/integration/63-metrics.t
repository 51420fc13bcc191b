#!/bin/bash
# Metrics (issue 16): the Prometheus exposition on metrics_listen passes
# promtool check metrics; a real Prometheus scrapes it and its query API
# returns the number of requests this test sent; no counter goes down
# when the pool trims idle workers, when every worker is killed with
# SIGKILL, nor across a reload (HUP); 1000 random tool names end as
# tool="other" and do not grow the series beyond the bound
# (metrics_max_tools); token cache hits, authentication failures by
# reason, denials by rule and upstream connect failures are counted; a
# non-loopback metrics_listen needs metrics_allow, and a client not in it
# is refused.
. "${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
. "$TOP/tests/as/as.sh"
PROMETHEUS=${PROMETHEUS:-/usr/bin/prometheus}
TOOL=$TOP/$BUILD/mcpproxyd-token
need proxy jwksd node_modules curl python3 promtool "$PROMETHEUS" "$TOOL"
EXPO="python3 $TOP/tests/metrics/expo.py"

UP=$(free_port) || fail "no port"
spawn "$T/upstream.log" "$NODE" "$TOP/tests/mcp/echo-upstream.mjs" "$UP"
wait_port 127.0.0.1 "$UP" || fail "echo upstream did not start"
LP=$(free_port) || fail "no port"
spawn "$T/lists.log" "$NODE" "$TOP/tests/mcp/scripted-list-upstream.mjs" "$LP"
wait_port 127.0.0.1 "$LP" || fail "list upstream did not start"
P=$(free_port) || fail "no port"
M=$(free_port) || fail "no port"
# /tools: a policy, so a token (mcpproxyd-token, jwksd reading its JWKS)
"$TOOL" genkey -k "$T/k1.pem" -j "$T/jwks.json" >/dev/null || fail "genkey"
URL=http://127.0.0.1:$P/tools
ISS=https://tokens.example.net/t63
write_proxy_conf "$P" "$UP" "route = /api http://127.0.0.1:$UP/echo" \
    "route = /sse http://127.0.0.1:$UP/sse" \
    "route = /down http://127.0.0.1:1/x" \
    "route = /tools http://127.0.0.1:$LP/mcp/json auth=svc policy=open"
sed -i '/^min_spare =/d; /^max_workers =/d' "$PROXY_CONF"
cat >>"$PROXY_CONF" <<EOC

$(tools_auth svc "leeway = 0")

[issuer local]
issuer = $ISS
jwks_file = $T/jwks.json

$(jwksd_section)

[policy open]
allow = tool:add
deny = tool:*

[mcpproxyd]
start_workers = 2
min_spare = 1
max_spare = 2
max_workers = 8
metrics_listen = 127.0.0.1:$M
metrics_max_tools = 4
EOC
TOKEN=$("$TOOL" sign -k "$T/k1.pem" -I "$ISS" -a "$URL" -S mcp:tools -s tester) ||
    fail "sign"

# --- the listener's address: loopback, or an allow-list -------------------------
sed "s|^metrics_listen = .*|metrics_listen = 192.0.2.1:9145|" "$PROXY_CONF" >"$T/wide.conf"
out=$("$MCPPROXYD" -n -f "$T/wide.conf" 2>&1) &&
    fail "a non-loopback metrics_listen without metrics_allow was accepted"
echo "$out" | grep -q "metrics_allow must say who may connect" || fail "-n said: $out"
echo "metrics_allow = 192.0.2.0/24, 2001:db8::/32" >>"$T/wide.conf"
out=$("$MCPPROXYD" -n -f "$T/wide.conf" 2>&1) || fail "with metrics_allow: $out"
for bad in "metrics_allow = " "metrics_allow = 10.0.0.0/33" \
    "metrics_allow = example.org" "metrics_listen = 127.0.0.1" \
    "metrics_max_tools = 2000" "metrics_max_series = 10"; do
	{ cat "$PROXY_CONF"; echo "$bad"; } >"$T/bad.conf"
	out=$("$MCPPROXYD" -n -f "$T/bad.conf" 2>&1) && fail "accepted: $bad"
	echo "$out" | grep -q "metrics_" || fail "$bad: -n said: $out"
done
pass "a non-loopback metrics_listen needs metrics_allow; bad values refused"

# jwksd reads the same file but knows no [policy]
sed '/^\[policy /,/^$/d' "$PROXY_CONF" >"$T/jwksd.conf"
start_jwksd "$T/jwksd.conf"
start_proxy "$PROXY_CONF"
MASTER=$(cat "$T/mcpproxyd.pid")
B=http://127.0.0.1:$P
wait_port 127.0.0.1 "$M" || fail "no metrics listener"
scrape() { curl -sf "http://127.0.0.1:$M/metrics" >"$1" || fail "scrape $1"; }
workers() { proxy_workers "$MASTER"; }
call() {	# call PATH TOOL: a tools/call through the proxy
	curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
	    -H "Authorization: Bearer $TOKEN" \
	    -H 'Accept: application/json, text/event-stream' \
	    --data "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"$2\",\"arguments\":{}}}" "$B$1"
}

# --- the requests this test sends, counted --------------------------------------
N=25
for i in $(seq 1 $N); do
	[ "$(call /api echo)" = 200 ] || fail "request $i"
done
curl -s -o /dev/null "$B/nowhere"
[ "$(curl -s -o /dev/null -w '%{http_code}' "$B/down")" = 502 ] || fail "/down"
scrape "$T/m0"
promtool check metrics <"$T/m0" >"$T/promtool.out" 2>&1 ||
    fail "promtool check metrics: $(cat "$T/promtool.out")"
got=$($EXPO value "$T/m0" mcpproxyd_requests_total route=/api method=tools/call status=2xx)
[ "$got" = $N ] || fail "requests_total for /api: $got, want $N"
[ "$($EXPO value "$T/m0" mcpproxyd_requests_total route=none status=4xx)" = 1 ] ||
    fail "the 404 is not counted: $(grep requests_total "$T/m0")"
[ "$($EXPO value "$T/m0" mcpproxyd_upstream_response_seconds_count route=/api)" = $N ] ||
    fail "upstream latency histogram: $(grep upstream_response "$T/m0")"
[ "$($EXPO value "$T/m0" mcpproxyd_upstream_connect_failures_total route=/down)" = 1 ] ||
    fail "connect failure: $(grep connect_failures "$T/m0")"
for name in mcpproxyd_requests_total mcpproxyd_auth_failures_total \
    mcpproxyd_denials_total mcpproxyd_token_cache_lookups_total \
    mcpproxyd_upstream_connect_failures_total mcpproxyd_upstream_response_seconds \
    mcpproxyd_upstream_connect_seconds mcpproxyd_workers mcpproxyd_open_streams \
    mcpproxyd_waiting_connections mcpproxyd_reloads_total \
    mcpproxyd_worker_deaths_total; do
	grep -q "^# TYPE $name " "$T/m0" || fail "no family $name"
done
pass "promtool check metrics accepts the exposition; $N requests counted by route, method and status class, with their upstream latency"

# --- a real Prometheus scrapes it -----------------------------------------------
PP=$(free_port) || fail "no port"
cat >"$T/prometheus.yml" <<EOC
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: mcpproxyd
    static_configs:
      - targets: ['127.0.0.1:$M']
EOC
spawn "$T/prometheus.log" "$PROMETHEUS" --config.file="$T/prometheus.yml" \
    --storage.tsdb.path="$T/prom-data" --web.listen-address="127.0.0.1:$PP" \
    --log.level=warn
PROM_PID=$SPAWNED_PID
wait_port 127.0.0.1 "$PP" 60 || fail "prometheus did not listen"
query() {
	curl -s -G "http://127.0.0.1:$PP/api/v1/query" --data-urlencode "query=$1" |
	    python3 -c 'import json, sys
d = json.load(sys.stdin)
r = d.get("data", {}).get("result", [])
print(r[0]["value"][1] if d.get("status") == "success" and r else "none")'
}
n=0
until [ "$(query 'sum(mcpproxyd_requests_total{route="/api"})')" = $N ]; do
	n=$((n + 1))
	[ $n -gt 600 ] && fail "prometheus says $(query 'sum(mcpproxyd_requests_total{route="/api"})'), want $N; up: $(query 'up')"
	kill -0 "$PROM_PID" 2>/dev/null || fail "prometheus exited"
	sleep 0.1
done
[ "$(query 'up{job="mcpproxyd"}')" = 1 ] || fail "target not up"
pass "a real Prometheus scraped mcpproxyd; its query API returns the $N requests sent"
kill -TERM "$PROM_PID"

# --- no counter goes down: pool trimming --------------------------------------
max=0 streams=""
for i in 1 2 3 4 5 6; do
	curl -s -o /dev/null "$B/sse?n=8" &
	streams="$streams $!"
done
n=0
while [ $n -lt 30 ]; do
	w=$(workers | wc -l); [ "$w" -gt $max ] && max=$w
	n=$((n + 1)); sleep 0.1
done
wait $streams
[ $max -ge 5 ] || fail "the pool did not grow for six streams (at most $max workers)"
n=0
until [ "$(workers | wc -l)" -le 3 ]; do
	n=$((n + 1)); [ $n -gt 600 ] && fail "the pool was not trimmed: $(workers | wc -l) workers"
	sleep 0.1
done
scrape "$T/m1"
$EXPO monotonic "$T/m0" "$T/m1" >"$T/mono.out" || fail "after trimming: $(cat "$T/mono.out")"
[ "$($EXPO value "$T/m1" mcpproxyd_requests_total route=/sse status=2xx)" = 6 ] ||
    fail "the six streams: $(grep 'route="/sse"' "$T/m1")"
trimmed=$(workers | wc -l)
# new workers take the slots of the retired ones: their counts stay
streams=""
for i in 1 2 3 4 5 6; do
	curl -s -o /dev/null "$B/sse?n=3" &
	streams="$streams $!"
done
wait $streams
scrape "$T/m1b"
$EXPO monotonic "$T/m1" "$T/m1b" >"$T/mono.out" ||
    fail "after new workers took the retired workers' slots: $(cat "$T/mono.out")"
[ "$($EXPO value "$T/m1b" mcpproxyd_requests_total route=/sse status=2xx)" = 12 ] ||
    fail "twelve streams: $(grep 'route="/sse"' "$T/m1b")"
pass "the pool grew to $max workers for six streams and was trimmed to $trimmed; no counter went down, nor when new workers took the retired ones' slots"

# --- no counter goes down: every worker killed with SIGKILL -------------------
for i in $(seq 1 10); do call /api echo >/dev/null; done
scrape "$T/m2"
killed=0
for w in $(workers); do kill -KILL "$w" && killed=$((killed + 1)); done
n=0
until [ "$(grep -c 'killed by signal 9' "$T/mcpproxyd.log")" -ge $killed ] &&
    [ "$(workers | wc -l)" -ge 2 ]; do
	n=$((n + 1)); [ $n -gt 600 ] && fail "workers not respawned after SIGKILL"
	sleep 0.1
done
wait_port 127.0.0.1 "$M" || fail "no metrics after the kill"
scrape "$T/m3"
$EXPO monotonic "$T/m2" "$T/m3" >"$T/mono.out" || fail "after SIGKILL of $killed workers: $(cat "$T/mono.out")"
[ "$($EXPO value "$T/m3" mcpproxyd_requests_total route=/api)" = $((N + 10)) ] ||
    fail "after the kill: $(grep 'route="/api"' "$T/m3")"
d=$($EXPO value "$T/m3" mcpproxyd_worker_deaths_total cause=signal)
[ "$d" -ge $killed ] || fail "worker_deaths_total{cause=signal} $d, $killed killed"
pass "after SIGKILL of all $killed workers no counter went down ($((N + 10)) requests on /api), worker_deaths_total{cause=\"signal\"} $d"

# --- no counter goes down: reload ---------------------------------------------
kill -HUP "$MASTER"
wait_grep "$T/mcpproxyd.log" 10 -q "generation 2" || fail "no reload"
for i in 1 2 3; do call /api echo >/dev/null; done
n=0
until ! ps -o args= --ppid "$MASTER" | grep -q "generation 1"; do
	n=$((n + 1)); [ $n -gt 600 ] && fail "old generation still there"
	sleep 0.1
done
scrape "$T/m4"
$EXPO monotonic "$T/m3" "$T/m4" >"$T/mono.out" || fail "after HUP: $(cat "$T/mono.out")"
[ "$($EXPO value "$T/m4" mcpproxyd_reloads_total)" = 1 ] || fail "reloads_total: $(grep reloads_total "$T/m4")"
[ "$($EXPO value "$T/m4" mcpproxyd_requests_total route=/api)" = $((N + 13)) ] ||
    fail "after HUP: $(grep 'route="/api"' "$T/m4")"
pass "after a reload (generation 1 gone) no counter went down; reloads_total 1"

# --- label values from clients are bounded -------------------------------------
# the rules name add; the backend's tools/list names echo, add, get-secret
curl -s -o "$T/list.json" -X POST -H 'Content-Type: application/json' \
    -H "Authorization: Bearer $TOKEN" \
    -H 'Accept: application/json, text/event-stream' \
    --data '{"jsonrpc":"2.0","id":1,"method":"tools/list"}' "$B/tools" ||
    fail "tools/list"
[ "$(call /tools add)" = 200 ] || fail "add"
[ "$(call /api echo)" = 200 ] || fail "echo"
scrape "$T/m5"
before=$($EXPO count "$T/m5" mcpproxyd_requests_total)
python3 - "$P" "$TOKEN" >"$T/random.out" <<'EOF' || fail "random tools: $(cat "$T/random.out")"
import http.client, json, random, string, sys
c = http.client.HTTPConnection('127.0.0.1', int(sys.argv[1]), timeout=30)
for i in range(1000):
    name = ''.join(random.choice(string.ascii_letters + string.digits + '-_.')
                   for _ in range(random.randint(1, 40)))
    path = '/tools' if i % 2 else '/api'
    body = json.dumps({'jsonrpc': '2.0', 'id': i, 'method': 'tools/call',
                       'params': {'name': name, 'arguments': {}}})
    c.request('POST', path, body, {'Content-Type': 'application/json',
              'Accept': 'application/json, text/event-stream',
              'Authorization': 'Bearer ' + sys.argv[2]})
    r = c.getresponse(); r.read()
    if r.status != 200:
        sys.exit(f'{path} {name}: {r.status}')
print('1000 sent')
EOF
scrape "$T/m6"
promtool check metrics <"$T/m6" >"$T/promtool.out" 2>&1 ||
    fail "promtool check metrics after random tools: $(cat "$T/promtool.out")"
after=$($EXPO count "$T/m6" mcpproxyd_requests_total)
tools=$($EXPO labels "$T/m6" mcpproxyd_requests_total tool | tr '\n' ' ')
held=$($EXPO value "$T/m6" mcpproxyd_metrics_tools)
[ "$held" -le 4 ] || fail "$held tool names held, metrics_max_tools is 4"
[ "$($EXPO labels "$T/m6" mcpproxyd_requests_total tool | wc -l)" -le 6 ] ||
    fail "tool label values: $(echo "$tools" | cut -c1-300)..."
# at most one new series per route: tool="other"
[ "$after" -le $((before + 2)) ] || fail "series grew from $before to $after: $tools"
[ "$($EXPO value "$T/m6" mcpproxyd_requests_total route=/tools tool=other)" -ge 500 ] ||
    fail "random tools not counted as other: $(grep 'route="/tools"' "$T/m6")"
[ "$($EXPO value "$T/m6" mcpproxyd_requests_total route=/tools tool=add)" = 1 ] ||
    fail "add (named in a rule) has no label of its own: $(grep 'route="/tools"' "$T/m6")"
[ "$($EXPO value "$T/m6" mcpproxyd_requests_total route=/api tool=echo)" -ge 1 ] ||
    fail "echo (seen in tools/list) has no label of its own: $(grep 'route="/api"' "$T/m6")"
[ "$($EXPO value "$T/m6" mcpproxyd_denials_total policy=open)" -ge 500 ] ||
    fail "denials: $(grep denials "$T/m6")"
[ "$($EXPO value "$T/m6" mcpproxyd_token_cache_lookups_total result=hit)" -ge 400 ] ||
    fail "token cache: $(grep token_cache "$T/m6")"
for bad in "not.a.token" "$TOKEN"x; do
	curl -s -o /dev/null -H "Authorization: Bearer $bad" "$B/tools"
done
curl -s -o /dev/null "$B/tools"
scrape "$T/m7"
[ "$($EXPO value "$T/m7" mcpproxyd_auth_failures_total route=/tools reason=malformed)" = 2 ] &&
    [ "$($EXPO value "$T/m7" mcpproxyd_auth_failures_total route=/tools reason=missing)" = 1 ] ||
    fail "auth failures: $(grep auth_failures "$T/m7")"
pass "1000 random tool names: requests_total series $before -> $after, tool values: $tools($held held, bound 4); denials counted by rule, token cache hits, auth failures by reason"

# --- connections in the waiting room -----------------------------------------
# six connections that send nothing: parked after waitroom_after
for fd in 3 4 5 6 7 8; do
	eval "exec $fd<>/dev/tcp/127.0.0.1/$P" || fail "connect $fd"
done
n=0
until scrape "$T/m8" &&
    [ "$($EXPO value "$T/m8" mcpproxyd_waiting_connections)" -ge 6 ] 2>/dev/null; do
	n=$((n + 1)); [ $n -gt 100 ] && fail "waiting_connections: $(grep '^mcpproxyd_waiting' "$T/m8")"
	sleep 0.1
done
for fd in 3 4 5 6 7 8; do eval "exec $fd>&-"; done
n=0
until scrape "$T/m9" &&
    [ "$($EXPO value "$T/m9" mcpproxyd_waiting_connections)" = 0 ]; do
	n=$((n + 1)); [ $n -gt 100 ] && fail "waiting_connections after closing: $(grep '^mcpproxyd_waiting' "$T/m9")"
	sleep 0.1
done
pass "six silent connections show in mcpproxyd_waiting_connections, and leave it when closed"

# --- a client not in metrics_allow is refused --------------------------------
echo "metrics_allow = 192.0.2.0/24" >>"$PROXY_CONF"
kill -HUP "$MASTER"
wait_grep "$T/mcpproxyd.log" 10 -q "generation 3" || fail "no reload with metrics_allow"
n=0
until [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$M/metrics")" = 403 ]; do
	n=$((n + 1)); [ $n -gt 600 ] && fail "127.0.0.1 not refused with metrics_allow = 192.0.2.0/24"
	sleep 0.1
done
wait_grep "$T/mcpproxyd.log" 5 -q "metrics: 127.0.0.1 not in metrics_allow; refused" ||
    fail "no log line for the refusal"
pass "with metrics_allow = 192.0.2.0/24, 127.0.0.1 gets 403 (logged)"
exit 0
