#!/bin/bash
# TLS session resumption across workers and generations (openssl s_client
# -sess_out / -sess_in): a chain of connections, each resuming with the
# ticket the one before got; a pool of two workers; worker A makes the ticket,
# then holds an event stream while the resumption is served by worker B;
# a ticket resumes after a rotation (a reload makes a new key and a new
# generation of workers) and not after tls_ticket_lifetime.
. "${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
need proxy openssl curl node_modules

"$TOP/tests/tls/mkca.sh" "$T/pki" >"$T/mkca.log" 2>&1 ||
    fail "mkca.sh: $(cat "$T/mkca.log")"
K=$T/pki
chmod 755 "$K"
UP=$(free_port) || fail "no port"
spawn "$T/upstream.log" "$NODE" "$TOP/tests/mcp/echo-upstream.mjs" "$UP"
wait_port 127.0.0.1 "$UP" || fail "echo upstream did not start"
P=$(free_port) || fail "no port"
write_proxy_conf "$P" "$UP" "route = /api http://127.0.0.1:$UP/echo" \
    "route = /sse http://127.0.0.1:$UP/sse" \
    "tls_certificate = $K/localhost.pem" "tls_key = $K/localhost.key"
sed -i 's/^max_workers = .*/max_workers = 2/; s/^min_spare = .*/min_spare = 1/' "$PROXY_CONF"
printf '[mcpproxyd]\nstart_workers = 2\nmax_spare = 2\ntls_ticket_lifetime = 8\ntls_ticket_rotate = 5\nreload_grace = 5\n' >>"$PROXY_CONF"
start_proxy "$PROXY_CONF"
MASTER=$(cat "$T/mcpproxyd.pid")
C="curl -s -m 60 --cacert $K/ca.pem"
B=https://localhost:$P

# hs IN|- OUT: one handshake and a request; "Reused" or "New"
hs() {
	_in=
	[ "$1" != - ] && _in="-sess_in $1"
	printf 'GET /api HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n' |
	    openssl s_client -connect 127.0.0.1:$P -servername localhost \
	    -CAfile "$K/ca.pem" -verify_return_error -ign_eof $_in \
	    -sess_out "$2" 2>&1 | tee "$T/hs.out" |
	    sed -n 's/^\(Reused\|New\), TLSv.*/\1/p' | head -n 1
}
# busy_pids: the workers now serving an event stream (their titles)
workers() { proxy_workers "$MASTER" | sort; }
stream_worker() {	# the worker holding a connection from curl pid $1's port
	_port=$(ss -tnp 2>/dev/null | awk -v p="pid=$1," '$0 ~ p && $5 ~ /:'"$P"'$/ {split($4, a, ":"); print a[2]}' | head -n 1)
	ss -tnp 2>/dev/null | awk -v lp="127.0.0.1:$_port" '$5 == lp {print}' |
	    sed -n 's/.*pid=\([0-9]*\),.*/\1/p' | head -n 1
}

# --- a chain: each connection offers the ticket the one before got --------
# (TLS 1.3 clients use a ticket once, RFC 8446 C.4: a resumed connection
# must get a new ticket, or the next one is a full handshake)
r=$(hs - "$T/c0")
for i in 1 2 3; do
	r="$r $(hs "$T/c$((i - 1))" "$T/c$i")"
done
[ "$r" = "New Reused Reused Reused" ] ||
    fail "a chain of resumptions: $r: $(cat "$T/hs.out")"
pass "a chain of connections, each with the ticket of the one before: $r"

# --- two workers: A makes the ticket and holds a stream, B resumes ------
$C -N "$B/sse?n=60" >/dev/null &
s1=$!
sleep 1
[ "$(hs - "$T/s1")" = New ] || fail "first handshake: $(cat "$T/hs.out")"
$C -N "$B/sse?n=60" >/dev/null &
s2=$!
sleep 1
a=$(stream_worker $s1) b=$(stream_worker $s2)
[ -n "$a" ] && [ -n "$b" ] && [ "$a" != "$b" ] || fail "streams' workers: '$a' '$b'"
kill $s1; wait $s1 2>/dev/null
sleep 0.5
# now only worker $a is idle: the ticket was made by $b (the other one
# idle then) and is resumed by $a
r=$(hs "$T/s1" "$T/s2")
[ "$r" = Reused ] || fail "resumption on another worker: $r: $(cat "$T/hs.out")"
pass "a ticket made by worker $b resumed by worker $a"
kill $s2; wait $s2 2>/dev/null

# --- after a rotation (and a new generation): resumes ----------------------
[ "$(hs - "$T/s3")" = New ] || fail "fresh handshake: $(cat "$T/hs.out")"
old=$(workers | tr '\n' ' ')
kill -HUP "$MASTER"
wait_grep "$T/mcpproxyd.log" 10 -q "reloaded" || fail "no reload"
n=0
while [ "$(workers | tr '\n' ' ')" = "$old" ]; do
	n=$((n + 1)); [ $n -gt 50 ] && fail "no new workers after the reload"
	sleep 0.1
done
r=$(hs "$T/s3" "$T/s4")
[ "$r" = Reused ] || fail "resumption after a rotation: $r: $(cat "$T/hs.out")"
pass "a ticket resumes after a rotation, on the new generation's workers"

# --- after tls_ticket_lifetime: a full handshake -------------------------------
[ "$(hs - "$T/s5")" = New ] || fail "fresh handshake: $(cat "$T/hs.out")"
[ "$(hs "$T/s5" "$T/s6")" = Reused ] || fail "immediate resumption: $(cat "$T/hs.out")"
sleep 10
r=$(hs "$T/s5" "$T/s7")
[ "$r" = New ] || fail "a ticket older than tls_ticket_lifetime resumed: $r"
pass "after tls_ticket_lifetime (8 s) the ticket no longer resumes"
exit 0
