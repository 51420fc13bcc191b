#!/bin/bash
# make install honours DESTDIR, PREFIX, sysconfdir and mandir, installs the
# init script, its settings file, the logrotate snippet and the systemd
# units with the install paths written into them (and into the man pages),
# never overwrites an operator's configuration, and the installed example
# configuration passes the configuration check; make uninstall removes
# what install put but the configuration; make install-users creates the
# service accounts (as root, in a private copy of /etc).
. "${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
need make
D=$T/dest
make -s -C "$TOP" BUILD="$BUILD" install DESTDIR="$D" PREFIX=/opt/mcp \
    sysconfdir=/etc/mcp mandir=/opt/mcp/man >"$T/install.log" 2>&1 ||
    fail "make install: $(tail -5 "$T/install.log")"
INSTALLED="/opt/mcp/sbin/mcpproxyd /opt/mcp/sbin/jwksd
    /opt/mcp/sbin/mcpproxyd-token /opt/mcp/man/man8/mcpproxyd-token.8
    /opt/mcp/man/man8/mcpproxyd.8 /opt/mcp/man/man5/mcpproxyd.conf.5
    /opt/mcp/man/man8/jwksd.8 /etc/mcp/init.d/mcpproxyd
    /etc/mcp/logrotate.d/mcpproxyd /opt/mcp/lib/systemd/system/mcpproxyd.service
    /opt/mcp/lib/systemd/system/jwksd.service"
CONFIGS="/etc/mcp/mcpproxyd/mcpproxyd.conf /etc/mcp/mcpproxyd/mcpproxyd-oauth.conf
    /etc/mcp/mcpproxyd/mcpproxyd-local.conf /etc/mcp/default/mcpproxyd"
for f in $INSTALLED $CONFIGS; do
	[ -e "$D$f" ] || fail "not installed: $f"
done
[ -x "$D/etc/mcp/init.d/mcpproxyd" ] || fail "init script not executable"
pass "installed under DESTDIR with PREFIX, sysconfdir and mandir"

# the install paths, written in; no @placeholder@ left
for f in /etc/mcp/init.d/mcpproxyd /etc/mcp/default/mcpproxyd \
    /etc/mcp/logrotate.d/mcpproxyd /opt/mcp/lib/systemd/system/mcpproxyd.service \
    /opt/mcp/lib/systemd/system/jwksd.service; do
	grep -n '@[a-z]*@' "$D$f" && fail "placeholder left in $f"
done
grep -qx 'CONFIG=/etc/mcp/mcpproxyd/mcpproxyd.conf' "$D/etc/mcp/init.d/mcpproxyd" &&
    grep -qx 'DAEMON=/opt/mcp/sbin/mcpproxyd' "$D/etc/mcp/init.d/mcpproxyd" &&
    grep -q 'MCPPROXYD_DEFAULTS:-/etc/mcp/default/mcpproxyd}' \
	"$D/etc/mcp/init.d/mcpproxyd" ||
    fail "init script: paths not substituted"
grep -q '/etc/mcp/init.d/mcpproxyd rotate' "$D/etc/mcp/logrotate.d/mcpproxyd" ||
    fail "logrotate snippet: init script path not substituted"
grep -q '^ExecStart=/opt/mcp/sbin/mcpproxyd -f ${CONFIG}' \
    "$D/opt/mcp/lib/systemd/system/mcpproxyd.service" ||
    fail "mcpproxyd.service: paths not substituted"
for m in man8/mcpproxyd.8 man8/jwksd.8; do
	grep -q '/etc/mcp/mcpproxyd/mcpproxyd\.conf' "$D/opt/mcp/man/$m" ||
	    fail "$m: the configuration path is not /etc/mcp/mcpproxyd/mcpproxyd.conf"
	grep -q '/usr/local/etc' "$D/opt/mcp/man/$m" &&
	    fail "$m: /usr/local/etc left"
done
if command -v mandoc >/dev/null 2>&1; then
	for m in man5/mcpproxyd.conf.5 man8/mcpproxyd.8 man8/jwksd.8; do
		# substitution adds no complaint the source does not have
		a=$(mandoc -Tlint "$TOP/man/${m#*/}" 2>&1 | sed 's/^[^:]*://' | wc -l)
		b=$(mandoc -Tlint "$D/opt/mcp/man/$m" 2>&1 | sed 's/^[^:]*://' | wc -l)
		[ "$a" = "$b" ] || fail "$m: mandoc -Tlint: $a lines for the source, $b installed"
	done
fi
pass "install paths written into the init script, settings, logrotate, units, man pages"

sed 's/^user = .*/user = nobody/' "$TOP/etc/mcpproxyd.conf" >"$T/example.conf"
out=$("$D/opt/mcp/sbin/mcpproxyd" -n -f "$T/example.conf" 2>&1)
# the tutorial listens on 0.0.0.0 and [::] without allowed_hosts: each of
# them gets the DNS rebinding warning, and nothing else may be said
rest=$(printf '%s\n' "$out" | grep -v ': no allowed_hosts: .*(DNS rebinding); set allowed_hosts$')
[ "$rest" = "configuration OK" ] || fail "example config: $out"
[ "$(printf '%s\n' "$out" | grep -c 'no allowed_hosts')" = 2 ] ||
    fail "example config: no rebinding warning for 0.0.0.0 and [::]: $out"
pass "etc/mcpproxyd.conf: configuration OK"
# the protected example, with its live [policy tools], read by both daemons
sed 's/^user = .*/user = nobody/; s/^group = .*/group = nogroup/' \
    "$TOP/etc/mcpproxyd-oauth.conf" >"$T/example-oauth.conf"
for d in mcpproxyd jwksd; do
	out=$("$D/opt/mcp/sbin/$d" -n -f "$T/example-oauth.conf" 2>&1) ||
	    fail "etc/mcpproxyd-oauth.conf, $d -n: $out"
	printf '%s\n' "$out" | grep -qx 'configuration OK' ||
	    fail "etc/mcpproxyd-oauth.conf, $d -n: $out"
done
grep -q '^route = .* policy=tools$' "$TOP/etc/mcpproxyd-oauth.conf" &&
    grep -q '^allow = tool:echo if realm_access.roles has mcp-echo$' \
    "$TOP/etc/mcpproxyd-oauth.conf" ||
    fail "etc/mcpproxyd-oauth.conf: no live tool authorization example"
pass "etc/mcpproxyd-oauth.conf (its [policy tools] in force): configuration OK for mcpproxyd and jwksd"
# the init script's default pid files are the examples' pid_file
grep -qx 'pid_file = /run/mcpproxyd.pid' "$TOP/etc/mcpproxyd.conf" ||
    fail "etc/mcpproxyd.conf: pid_file is not /run/mcpproxyd.pid (the init script's default)"
grep -q '^pid_file = /run/jwksd.pid' "$TOP/etc/mcpproxyd-oauth.conf" ||
    fail "etc/mcpproxyd-oauth.conf: pid_file is not /run/jwksd.pid (the init script's default)"
pass "the examples' pid files are the init script's defaults"

for f in $CONFIGS; do echo "; the operator's own" >"$D$f"; done
make -s -C "$TOP" BUILD="$BUILD" install DESTDIR="$D" PREFIX=/opt/mcp \
    sysconfdir=/etc/mcp mandir=/opt/mcp/man >>"$T/install.log" 2>&1 ||
    fail "second make install"
for f in $CONFIGS; do
	grep -q "operator's own" "$D$f" || fail "make install overwrote $f"
done
pass "an existing configuration is kept (both examples, the settings file)"

make -s -C "$TOP" BUILD="$BUILD" uninstall DESTDIR="$D" PREFIX=/opt/mcp \
    sysconfdir=/etc/mcp mandir=/opt/mcp/man >"$T/uninstall.log" 2>&1 ||
    fail "make uninstall: $(tail -5 "$T/uninstall.log")"
for f in $INSTALLED; do
	[ -e "$D$f" ] && fail "left by make uninstall: $f"
done
for f in $CONFIGS; do
	grep -q "operator's own" "$D$f" || fail "make uninstall removed $f"
done
grep -q "kept the configuration" "$T/uninstall.log" ||
    fail "make uninstall does not say that it kept the configuration"
pass "make uninstall removes what install put, keeps the configuration"

# the service accounts: in a private mount namespace over a copy of /etc
if [ "$(id -u)" = 0 ] && command -v unshare >/dev/null 2>&1 &&
    unshare -m true 2>/dev/null; then
	cp /etc/passwd "$T/passwd.before"
	unshare -m sh -c '
	    set -e
	    cp -a /etc "$1/etc-copy"
	    mount --bind "$1/etc-copy" /etc
	    make -s -C "$2" install-users DESTDIR="$1/users"
	    make -s -C "$2" install-users DESTDIR="$1/users"
	    getent passwd mcpproxyd jwksd
	    id -gn mcpproxyd; id -gn jwksd
	' sh "$T" "$TOP" >"$T/users.log" 2>&1 ||
	    fail "make install-users: $(tail -5 "$T/users.log")"
	grep -q '^mcpproxyd:x:[0-9]*:[0-9]*:[^:]*:/nonexistent:.*nologin$' \
	    "$T/users.log" &&
	    grep -q '^jwksd:x:[0-9]*:[0-9]*:[^:]*:/nonexistent:.*nologin$' \
	    "$T/users.log" || fail "install-users: $(cat "$T/users.log")"
	[ "$(sed -n 3p "$T/users.log")" = mcpproxyd ] &&
	    [ "$(sed -n 4p "$T/users.log")" = jwksd ] ||
	    fail "install-users: groups: $(cat "$T/users.log")"
	[ -d "$T/users/var/log/mcpproxyd" ] || fail "install-users: no log directory"
	cmp -s /etc/passwd "$T/passwd.before" ||
	    fail "make install-users in the namespace changed the real /etc/passwd"
	pass "make install-users: system users mcpproxyd and jwksd, no login, twice"
else
	pass "make install-users not tried (needs root and unshare -m)"
fi
exit 0
