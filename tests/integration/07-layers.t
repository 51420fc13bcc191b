#!/bin/bash
# The request path flows one way (issue 12).  (a) From the symbols the
# objects of mcpproxyd define and use (nm on $BUILD/obj/mcpproxyd/*.o),
# no module calls a module of a higher layer, nor is any module left
# out of the layer list below.  (b) No status integers of the old kind
# pass between the stages (see "old-style results" below).
. "${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
need nm

# The layers, bottom to top: a module may call its own layer and the
# ones below.  A new module goes in the layer it belongs to.
LAYERS=(
	"conn"				# the connection layer
	"accesslog chunked config cors http ident listen path privdrop
	 scoreboard token upstream warmup jsonrpc mcphdr listfilter policy
	 claims revoke tls tls_client tls_conn relayfilter ratelimit metrics
	 expose handoff poollimits"	# leaf helpers
	"reply"				# every answer the proxy makes
	"keys resource stats"		# for the stages: key file, URLs; metrics listener
	"head admit route origin provider auth body mcp authz proxy throttle"	# stages
	"request"			# the pipeline
	"worker"			# the accept loop
	"master waitroom"		# waitroom: the master's other child
	"main"
)
# the stage modules, where (b) looks
STAGE_FILES="reply head admit route origin provider auth body mcp authz proxy throttle
    keys resource request worker"

OBJ="$TOP/$BUILD/obj/mcpproxyd"
[ -f "$OBJ/request.o" ] || skip "no objects in $OBJ (run make)"

# one line per layer for awk: "index module module ..."
layers=$(for i in "${!LAYERS[@]}"; do echo $i ${LAYERS[$i]}; done)
# nm -A: "path/mod.o:addr T sym" (defined), "path/mod.o: U sym" (used)
out=$(nm -A "$OBJ"/*.o | awk -v layers="$layers" '
BEGIN {
	n = split(layers, ln, "\n")
	for (i = 1; i <= n; i++) {
		k = split(ln[i], w, " ")
		for (j = 2; j <= k; j++)
			layer[w[j]] = w[1]
	}
}
{
	m = $1; sub(/:.*/, "", m); sub(/.*\//, "", m); sub(/\.o$/, "", m)
	mods[m] = 1
	if ($2 == "U") { use[m, $3] = 1; next }
	if ($2 ~ /^[TDBRC]$/) { def[$3] = m; ndef++ }
}
END {
	for (m in mods)
		if (!(m in layer))
			printf "module %s (mcpproxyd/%s.c) is in no layer\n", m, m
	if (ndef < 50)
		print "could not read the symbols"
	for (k in use) {
		split(k, p, SUBSEP)
		c = def[p[2]]
		if (c == "" || c == p[1] || !(c in layer) || !(p[1] in layer))
			continue
		if (layer[c] + 0 > layer[p[1]] + 0)
			printf "upward call: %s.c (layer %d) calls %s of %s.c " \
			    "(layer %d)\n", p[1], layer[p[1]], p[2], c, layer[c]
	}
}')
bad=0
[ -z "$out" ] || { echo "$out"; bad=$(echo "$out" | wc -l); }
[ $bad -eq 0 ] && pass "no upward calls among $(ls "$OBJ"/*.o | wc -l) modules"

# (b) old-style results.  In the stage modules: "return (-2)"; a
# literal HTTP status returned ("return (404)"); the keep-alive flag
# returned as the result ("return (x->keepalive);").  Anywhere in
# mcpproxyd/: a call of a stage function (declared enum xresult in
# mcpproxyd.h) compared with a number right after its closing
# parenthesis ("(rc = head_read(x, 1)) <= 0", "auth_request(x) != -1").  Each
# stage in request.c's table must be declared enum xresult.  The
# syscall idiom "== -1)" on other calls is not matched.
src="$TOP/mcpproxyd"
old=$(for f in $STAGE_FILES; do
	grep -nHE 'return \(-2\)|return \([1-5][0-9][0-9]\)|return \(x->keepalive\);' \
	    "$src/$f.c"
done)
[ -z "$old" ] || { echo "old-style results in stage modules:"
    echo "$old"; bad=$((bad + 1)); }
stagefns=$(grep -oE '^enum xresult [a-z_]+\(' "$src/mcpproxyd.h" |
    sed 's/enum xresult //; s/(//')
[ "$(echo "$stagefns" | wc -w)" -ge 12 ] ||
    fail "could not read the stage functions from mcpproxyd.h"
re=$(echo $stagefns | sed 's/ /|/g')
cmp=$(grep -nHE "\\b($re)\\([^()]*\\)\\)? *(==|!=|<=|>=|<|>) *-?[0-9]" \
    "$src"/*.c)
[ -z "$cmp" ] || { echo "a stage's result compared with a number:"
    echo "$cmp"; bad=$((bad + 1)); }
table=$(sed -n '/^static enum xresult (\*const stages\[\])/,/^};/p' \
    "$src/request.c" | grep -oE '^	[a-z_]+,' | tr -d '\t,')
[ "$(echo "$table" | wc -w)" -ge 8 ] ||
    fail "could not read the stage table of request.c"
for s in $table; do
	echo "$stagefns" | grep -qx "$s" || {
	    echo "stage $s in request.c is not declared enum xresult"
	    bad=$((bad + 1)); }
done
[ $bad -eq 0 ] || fail "$bad findings (upward calls, old-style results)"
pass "no old-style results; $(echo "$table" | wc -w) stages in the table"
