#!/bin/sh
# 58-conformance.t: the MCP project's own conformance suite
# (@modelcontextprotocol/conformance, `conformance server --suite all`, on
# the Node 22 binary from npm) against server-everything directly and
# through mcpproxyd with the tutorial's configuration (etc/mcpproxyd.conf:
# no [auth], liberal CORS, allowed_hosts and allowed_origins left to their
# defaults).  Asserts:
#   - every check of every scenario gets the same verdict both ways, but
#     dns-rebinding-protection (most scenarios fail against
#     server-everything for lack of the suite's test tools, prompts and
#     resources: the verdicts are compared, the passes are not counted);
#   - dns-rebinding-protection passes through the proxy (a request with
#     Host: evil.example.com and Origin: http://evil.example.com gets a
#     4xx, one with the URL's own Host and Origin is served), whatever
#     server-everything itself does (its verdict is logged);
#   - the proxied run went through mcpproxyd (its access log) and no
#     worker died.
# Both verdict tables are printed in the log.
#
# The tutorial listens on 0.0.0.0:9000 and [::]:9000; tests bind loopback
# only, so here the one listener is 127.0.0.1 on a free port.  The proxy
# decides about DNS rebinding by each connection's local address, not the
# listener's; 59-conformance-wildcard.t runs the tutorial's own listeners
# in a private network namespace (as root).
. "$(cd "$(dirname "$0")/../.." && pwd)/tests/lib.sh"
. "$TOP/tests/mcp/conformance.sh"
need node_modules node22 proxy timeout "$CONFORMANCE"

up=$(free_port) || fail "no free port"
start_everything "$up"
pass "server-everything on 127.0.0.1:$up"

# The tutorial's configuration, with what a test must change: the user,
# files in $T, the listener on 127.0.0.1 at a free port, the backend's port.
pp=$(free_port) || fail "no free port"
tutorial_conf -e '/^listen = \[::\]:9000$/d' \
    -e "s/^listen = 0\.0\.0\.0:9000\$/listen = 127.0.0.1:$pp/" \
    -e "s|^route = /mcp http://localhost:8000/mcp\$|route = /mcp http://127.0.0.1:$up/mcp|"
# exactly six lines changed (these three, tutorial_conf's three): one
# listener, the tutorial's others
n=$CONF_DIFF
[ "$n" = 11 ] || fail "etc/mcpproxyd.conf no longer has the tutorial's lines this test rewrites ($n lines differ, want 6 removed and 5 written)"
start_proxy "$PROXY_CONF"
pass "mcpproxyd with the tutorial's configuration on 127.0.0.1:$pp"

conformance_direct "$up"
conformance proxy "http://127.0.0.1:$pp/mcp"
pass "conformance suite through mcpproxyd: $(wc -l <"$T/verdicts-proxy") checks"

same_verdicts direct proxy || fail "conformance through mcpproxyd"
proxied_posts proxy

proxy_survived
exit 0
