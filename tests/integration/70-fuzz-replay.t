#!/bin/sh
# Replays every committed fuzz corpus (fuzz/corpus/<target>/, crash
# regressions included) once through its libFuzzer target built with
# clang under ASan+UBSan: make fuzz-replay (-runs=0).  Skips (77) when
# clang or its libFuzzer runtime is missing.  Long runs: make fuzz.
. "${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
CLANG=${FUZZ_CC:-clang}
need "$CLANG" make
printf 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n)\n{ (void)d; (void)n; return 0; }\n' >"$T/probe.c"
"$CLANG" -fsanitize=fuzzer,address,undefined -o "$T/probe" "$T/probe.c" \
    >"$T/probe.log" 2>&1 || skip "$CLANG cannot build libFuzzer targets (libclang-rt-dev?)"

# the fuzzers' own sanitizer reports go to the replay log, not to the
# run's log_path (a crash fails this test through make's status)
unset ASAN_OPTIONS UBSAN_OPTIONS
make -s -C "$TOP" BUILD="$BUILD" FUZZ_CC="$CLANG" fuzz-replay \
    >"$T/replay.log" 2>&1 || { cat "$T/replay.log"; fail "make fuzz-replay"; }
cat "$T/replay.log"
for t in "$TOP"/fuzz/corpus/*/; do
	t=$(basename "$t")
	log="$TOP/$BUILD/fuzz/replay-$t.log"
	runs=$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$log")
	n=$(ls "$TOP/fuzz/corpus/$t" | wc -l)
	[ -n "$runs" ] && [ "$runs" -ge "$n" ] ||
	    fail "$t: replayed ${runs:-no} inputs of $n"
	pass "$t: $n inputs replayed, no crash"
done
