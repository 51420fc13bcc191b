#!/bin/bash
# Every configuration key the parsers know is documented: mcpproxyd's in
# mcpproxyd.conf(5), jwksd's in jwksd(8), and each appears in an etc/
# example (commented or not).  The key lists are read from the parsers'
# sources, so a new key without documentation fails here.
. "${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
need mandoc

missing=""
# keys compared by name in mcpproxyd/config.c, and its integer table
keys=$( { grep -o 'strcmp(name, "[a-z_]*")' "$TOP/mcpproxyd/config.c" |
    sed 's/.*"\(.*\)".*/\1/'
    sed -n '/intkeys\[\] = {/,/^};/p' "$TOP/mcpproxyd/config.c" |
    grep -o '{ "[a-z_]*"' | sed 's/{ "//; s/"//'
    grep -o 'strcmp(name, "max_[a-z_]*")' "$TOP/mcpproxyd/config.c" |
    sed 's/.*"\(.*\)".*/\1/'; } | sort -u)
[ "$(echo "$keys" | wc -l)" -gt 40 ] || fail "could not read the keys from config.c: $keys"
jkeys=$(sed -n '/^static const struct key/,/^};/p' "$TOP/jwksd/config.c" |
    grep -o '{ "[a-z_]*"' | sed 's/{ "//; s/"//' | sort -u)
[ -n "$jkeys" ] || jkeys=$(grep -o '^	{ "[a-z_]*",' "$TOP/jwksd/config.c" |
    sed 's/.*"\(.*\)".*/\1/' | sort -u)
[ "$(echo "$jkeys" | wc -l)" -gt 10 ] || fail "could not read jwksd's keys"

man5=$(mandoc -Tascii "$TOP/man/mcpproxyd.conf.5" | col -b)
man8j=$(mandoc -Tascii "$TOP/man/jwksd.8" | col -b)
# the [issuer NAME] keys both readers share, in both pages
ikeys=$(grep -o '^	{ "[a-z_]*",' "$TOP/common/issuerkeys.c" |
    sed 's/.*"\(.*\)".*/\1/' | sort -u)
[ "$(echo "$ikeys" | wc -l)" -gt 5 ] || fail "could not read the [issuer] keys"
for k in $ikeys; do
	echo "$man5" | grep -qw -- "$k" || missing="$missing mcpproxyd.conf.5:$k"
	echo "$man8j" | grep -qw -- "$k" || missing="$missing jwksd.8:$k"
done
examples=$(cat "$TOP"/etc/*.conf)
for k in $keys; do
	echo "$man5" | grep -qw -- "$k" || missing="$missing mcpproxyd.conf.5:$k"
	echo "$examples" | grep -Eq "^[;# ]*$k[[:space:]]*=" ||
	    missing="$missing etc:$k"
done
for k in $jkeys; do
	echo "$man8j" | grep -qw -- "$k" || missing="$missing jwksd.8:$k"
	echo "$examples" | grep -Eq "^[;# ]*$k[[:space:]]*=" ||
	    missing="$missing etc:$k"
done
[ -z "$missing" ] || fail "undocumented keys:$missing"
pass "$(echo "$keys" | wc -l) mcpproxyd keys and $(echo "$jkeys" | wc -l) jwksd keys documented and in etc/"
out=$(mandoc -Tlint "$TOP"/man/*.[58] 2>&1 | grep -v 'referenced manual not found\|Xr .*not found\|STYLE: referenced manual\|outdated mandoc.db')
[ -z "$out" ] || fail "mandoc -Tlint: $out"
pass "mandoc -Tlint clean"
exit 0
