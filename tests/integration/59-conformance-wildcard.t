#!/bin/sh
# 59-conformance-wildcard.t: 58-conformance.t with the tutorial's
# configuration (etc/mcpproxyd.conf) unchanged in its listeners and route:
# mcpproxyd listens on 0.0.0.0:9000 and [::]:9000 and routes /mcp to
# http://localhost:8000/mcp.  Tests bind loopback only, so the whole test
# runs in a private network namespace (unshare -n, as root) whose only
# interface up is lo: there a wildcard listener exposes nothing.  Inside
# it, server-everything on 127.0.0.1:8000 and the conformance suite
# (`conformance server --suite all`) directly and through the proxy by
# 127.0.0.1, [::1] and localhost.  Asserts, for each of the three:
#   - every check but dns-rebinding-protection's gets the same verdict as
#     directly;
#   - dns-rebinding-protection passes through the proxy (the proxy decides
#     by each connection's local address, so a loopback connection through
#     a wildcard listener is refused a foreign Host and Origin);
#   - the run went through mcpproxyd (its access log);
# and that no worker died.  Without root (CAP_SYS_ADMIN for unshare -n)
# the test is skipped (exit 77), which CI=true counts as a failure.
#
# The script re-runs itself inside the namespace: the outer run only
# checks that it can, the inner one (MCPPROXYD_TEST_NETNS=private) first
# checks that it is in a namespace of its own with only lo up, then tests.
if [ "${MCPPROXYD_TEST_NETNS:-}" != private ]; then
	noskip() { echo "skip: $*"; exit 77; }
	[ "$(id -u)" = 0 ] ||
	    noskip "needs root: the tutorial's 0.0.0.0 and [::] listeners run only in a private network namespace (unshare -n)"
	command -v unshare >/dev/null 2>&1 ||
	    noskip "missing command unshare (Debian package util-linux)"
	command -v ip >/dev/null 2>&1 ||
	    noskip "missing command ip (Debian package iproute2)"
	err=$(unshare -n true 2>&1) ||
	    noskip "unshare -n failed (no CAP_SYS_ADMIN?): $err"
	MCPPROXYD_TEST_NETNS=private
	export MCPPROXYD_TEST_NETNS
	exec unshare -n -- "$0" "$@"
fi
. "$(cd "$(dirname "$0")/../.." && pwd)/tests/lib.sh"
. "$TOP/tests/mcp/conformance.sh"
need node_modules node22 proxy timeout ip ss "$CONFORMANCE"

# A namespace of our own (not our parent's: unshare exec'd us), only lo
# up and only lo with addresses: nothing bound here can be reached from
# another host.
[ "$(readlink /proc/self/ns/net)" != "$(readlink /proc/$PPID/ns/net)" ] ||
    fail "not in a network namespace of our own (MCPPROXYD_TEST_NETNS set by hand?)"
ip link set lo up || fail "ip link set lo up"
up_links=$(ip -o link show up | awk -F': ' '{ print $2 }' | tr '\n' ' ')
[ "$up_links" = "lo " ] || fail "interfaces up in the namespace: $up_links"
addr_links=$(ip -o addr show | awk '{ print $2 }' | sort -u | tr '\n' ' ')
[ "$addr_links" = "lo " ] ||
    fail "interfaces with addresses in the namespace: $addr_links"
ip -o addr show | grep -q ' inet6 ::1/128 ' ||
    fail "no ::1 on lo in the namespace (IPv6 disabled?)"
pass "private network namespace $(readlink /proc/self/ns/net): only lo, 127.0.0.1 and ::1"

# The tutorial's configuration, with what a test must change: the user,
# the pid file and the access log.  Its listeners and its route stay.
tutorial_conf
n=$CONF_DIFF
[ "$n" = 6 ] || fail "etc/mcpproxyd.conf no longer has the user, pid_file and access_log lines this test rewrites ($n lines differ, want 6)"
pp=$(sed -n 's/^listen = 0\.0\.0\.0:\([0-9][0-9]*\)$/\1/p' "$PROXY_CONF")
[ -n "$pp" ] && [ "$(grep -c '^listen' "$PROXY_CONF")" = 2 ] &&
    grep -qx "listen = \[::\]:$pp" "$PROXY_CONF" ||
    fail "etc/mcpproxyd.conf no longer listens on 0.0.0.0:PORT and [::]:PORT alone"
up=$(sed -n 's|^route = /mcp http://localhost:\([0-9][0-9]*\)/mcp$|\1|p' \
    "$PROXY_CONF")
[ -n "$up" ] ||
    fail "etc/mcpproxyd.conf no longer routes /mcp to http://localhost:PORT/mcp"

start_everything "$up"
pass "server-everything on 127.0.0.1:$up"

spawn "$T/mcpproxyd.log" "$MCPPROXYD" -d -f "$PROXY_CONF"
PROXY_PID=$SPAWNED_PID
wait_port 127.0.0.1 "$pp" 10 && wait_port ::1 "$pp" 10 ||
    fail "mcpproxyd does not answer on 127.0.0.1:$pp and [::1]:$pp"
kill -0 "$PROXY_PID" 2>/dev/null || fail "mcpproxyd exited after start"
ss -Hltn >"$T/listeners"
sed 's/^/    ss: /' "$T/listeners"
awk '{ print $4 }' "$T/listeners" | grep -qx "0\.0\.0\.0:$pp" &&
    awk '{ print $4 }' "$T/listeners" | grep -qx "\[::\]:$pp" ||
    fail "mcpproxyd is not listening on 0.0.0.0:$pp and [::]:$pp"
pass "mcpproxyd with the tutorial's configuration on 0.0.0.0:$pp and [::]:$pp"

conformance_direct "$up"
bad=""
for a in 127.0.0.1 '[::1]' localhost; do
	case $a in
	127.*)	name=proxy-ipv4 ;;
	\[*)	name=proxy-ipv6 ;;
	*)	name=proxy-$a ;;
	esac
	conformance "$name" "http://$a:$pp/mcp"
	pass "conformance suite through mcpproxyd at $a:$pp: $(wc -l <"$T/verdicts-$name") checks"
	same_verdicts direct "$name" || bad="$bad $a"
	proxied_posts "$name"
done
[ -z "$bad" ] || fail "conformance through mcpproxyd on 0.0.0.0/[::] by:$bad"

proxy_survived
exit 0
