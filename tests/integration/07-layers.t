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
	 scoreboard token upstream warmup"	# leaf helpers
	"reply"				# every answer the proxy makes
	"keys resource"			# for the stages: key file, URLs
	"head admit route origin provider auth body mcp proxy"	# stages
	"request"			# the pipeline
	"worker"			# the accept loop
	"master"
	"main"
)
# the stage modules, where (b) looks
STAGE_FILES="reply head admit route origin provider auth body mcp proxy
    keys resource request worker"

OBJ="$TOP/$BUILD/obj/mcpproxyd"
[ -f "$OBJ/request.o" ] || skip "no objects in $OBJ (run make)"

declare -A layer
for i in "${!LAYERS[@]}"; do
	for m in ${LAYERS[$i]}; do layer[$m]=$i; done
done

# symbol -> defining module
declare -A def
for o in "$OBJ"/*.o; do
	m=$(basename "$o" .o)
	[ -n "${layer[$m]}" ] ||
	    fail "module $m (mcpproxyd/$m.c) is in no layer of $0"
	while read -r sym; do def[$sym]=$m; done < <(nm --defined-only "$o" |
	    awk '$2 ~ /^[TDBRC]$/ { print $3 }')
done
[ "${#def[@]}" -gt 50 ] || fail "could not read the symbols of $OBJ"

bad=0
for o in "$OBJ"/*.o; do
	m=$(basename "$o" .o)
	while read -r sym; do
		callee=${def[$sym]}
		[ -n "$callee" ] && [ "$callee" != "$m" ] || continue
		if [ "${layer[$callee]}" -gt "${layer[$m]}" ]; then
			echo "upward call: $m.c (layer ${layer[$m]}) calls" \
			    "$sym of $callee.c (layer ${layer[$callee]})"
			bad=$((bad + 1))
		fi
	done < <(nm --undefined-only "$o" | awk '{ print $2 }')
done
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
