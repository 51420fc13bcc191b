/*
 * fuzz/require.h: REQUIRE(c), the fuzz targets' invariant check: abort
 * (a crash libFuzzer keeps) with the condition and its line when c is
 * false.  Needs <stdio.h> and <stdlib.h>.
 */
#define REQUIRE(c) do {							\
	if (!(c)) {							\
		fprintf(stderr, "invariant failed: %s (%s:%d)\n", #c,	\
		    __FILE__, __LINE__);				\
		abort();						\
	}								\
} while (0)
