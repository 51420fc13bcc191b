#!/bin/bash
# make install honours DESTDIR, PREFIX, sysconfdir and mandir, never
# overwrites an operator's configuration, and the installed example
# configuration passes the configuration check.
. "${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
need make
D=$T/dest
make -s -C "$TOP" BUILD="$BUILD" install DESTDIR="$D" PREFIX=/opt/mcp \
    sysconfdir=/etc/mcp mandir=/opt/mcp/man >"$T/install.log" 2>&1 ||
    fail "make install: $(tail -5 "$T/install.log")"
for f in /opt/mcp/sbin/mcpproxyd /opt/mcp/sbin/jwksd /etc/mcp/mcpproxyd.conf \
    /opt/mcp/man/man8/mcpproxyd.8 /opt/mcp/man/man5/mcpproxyd.conf.5 \
    /opt/mcp/man/man8/jwksd.8; do
	[ -e "$D$f" ] || fail "not installed: $f"
done
pass "installed under DESTDIR with PREFIX, sysconfdir and mandir"
echo "; the operator's own" >"$D/etc/mcp/mcpproxyd.conf"
make -s -C "$TOP" BUILD="$BUILD" install DESTDIR="$D" PREFIX=/opt/mcp \
    sysconfdir=/etc/mcp mandir=/opt/mcp/man >>"$T/install.log" 2>&1 ||
    fail "second make install"
grep -q "operator's own" "$D/etc/mcp/mcpproxyd.conf" ||
    fail "make install overwrote the configuration"
pass "an existing configuration is kept"
sed 's/^user = .*/user = nobody/' "$TOP/etc/mcpproxyd.conf" >"$T/example.conf"
out=$("$D/opt/mcp/sbin/mcpproxyd" -n -f "$T/example.conf" 2>&1)
[ "$out" = "configuration OK" ] || fail "example config: $out"
pass "etc/mcpproxyd.conf: configuration OK"
exit 0
