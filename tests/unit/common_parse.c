/*
 * The number parsers both configuration readers use: digits only (no
 * sign, blank or base prefix), one unit at the end, overflow and the
 * range refused.  Bad rows outnumber the good ones.
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "parse.h"
#include "unit.h"

enum kind { INT, SIZE, DUR };

static const struct row {
	enum kind	 kind;
	const char	*in;
	long long	 min, max;
	int		 ok;
	long long	 want;
} rows[] = {
	/* good */
	{ INT,	"0",			0, 10, 1, 0 },
	{ INT,	"10",			0, 10, 1, 10 },
	{ INT,	"007",			0, 10, 1, 7 },
	{ INT,	"9223372036854775807",	0, LLONG_MAX, 1, LLONG_MAX },
	{ SIZE,	"512",			0, LLONG_MAX, 1, 512 },
	{ SIZE,	"4k",			0, LLONG_MAX, 1, 4096 },
	{ SIZE,	"4K",			0, LLONG_MAX, 1, 4096 },
	{ SIZE,	"2m",			0, LLONG_MAX, 1, 2097152 },
	{ SIZE,	"2M",			0, LLONG_MAX, 1, 2097152 },
	{ SIZE,	"0k",			0, LLONG_MAX, 1, 0 },
	{ DUR,	"90",			0, LLONG_MAX, 1, 90 },
	{ DUR,	"90s",			0, LLONG_MAX, 1, 90 },
	{ DUR,	"15m",			0, LLONG_MAX, 1, 900 },
	{ DUR,	"2h",			0, LLONG_MAX, 1, 7200 },
	{ DUR,	"7d",			0, LLONG_MAX, 1, 604800 },
	{ DUR,	"365d",			0, 365 * 86400LL, 1, 365 * 86400LL },
	/* bad */
	{ INT,	"",			0, 10, 0, 0 },
	{ INT,	" 1",			0, 10, 0, 0 },
	{ INT,	"1 ",			0, 10, 0, 0 },
	{ INT,	"+1",			0, 10, 0, 0 },
	{ INT,	"-1",			-5, 10, 0, 0 },
	{ INT,	"0x1",			0, 10, 0, 0 },
	{ INT,	"1.0",			0, 10, 0, 0 },
	{ INT,	"1e1",			0, 10, 0, 0 },
	{ INT,	"11",			0, 10, 0, 0 },
	{ INT,	"0",			1, 10, 0, 0 },
	{ INT,	"1k",			0, 10000, 0, 0 },
	{ INT,	"9223372036854775808",	0, LLONG_MAX, 0, 0 },
	{ INT,	"99999999999999999999",	0, LLONG_MAX, 0, 0 },
	{ INT,	"1\n",			0, 10, 0, 0 },
	{ SIZE,	"",			0, LLONG_MAX, 0, 0 },
	{ SIZE,	"k",			0, LLONG_MAX, 0, 0 },
	{ SIZE,	"4kb",			0, LLONG_MAX, 0, 0 },
	{ SIZE,	"4kk",			0, LLONG_MAX, 0, 0 },
	{ SIZE,	"4g",			0, LLONG_MAX, 0, 0 },
	{ SIZE,	"4 k",			0, LLONG_MAX, 0, 0 },
	{ SIZE,	"-4k",			0, LLONG_MAX, 0, 0 },
	{ SIZE,	"+4k",			0, LLONG_MAX, 0, 0 },
	{ SIZE,	"k4",			0, LLONG_MAX, 0, 0 },
	{ SIZE,	"4s",			0, LLONG_MAX, 0, 0 },
	{ SIZE,	"2m",			0, 2097151, 0, 0 },
	{ SIZE,	"1k",			1025, LLONG_MAX, 0, 0 },
	{ SIZE,	"9007199254740992k",	0, LLONG_MAX, 0, 0 },
	{ SIZE,	"8796093022208m",	0, LLONG_MAX, 0, 0 },
	{ DUR,	"",			0, LLONG_MAX, 0, 0 },
	{ DUR,	"s",			0, LLONG_MAX, 0, 0 },
	{ DUR,	"1w",			0, LLONG_MAX, 0, 0 },
	{ DUR,	"1ms",			0, LLONG_MAX, 0, 0 },
	{ DUR,	"1hm",			0, LLONG_MAX, 0, 0 },
	{ DUR,	"1H",			0, LLONG_MAX, 0, 0 },
	{ DUR,	"1k",			0, LLONG_MAX, 0, 0 },
	{ DUR,	"-1s",			0, LLONG_MAX, 0, 0 },
	{ DUR,	"1 s",			0, LLONG_MAX, 0, 0 },
	{ DUR,	"1.5h",			0, LLONG_MAX, 0, 0 },
	{ DUR,	"366d",			0, 365 * 86400LL, 0, 0 },
	{ DUR,	"59s",			60, LLONG_MAX, 0, 0 },
	{ DUR,	"106751991167301d",	0, LLONG_MAX, 0, 0 },
};

int
main(void)
{
	const struct row	*r;
	size_t			 i, good = 0;
	long long		 v;
	int			 rc;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		r = &rows[i];
		v = -12345;
		rc = r->kind == INT ? parse_int(r->in, r->min, r->max, &v) :
		    r->kind == SIZE ? parse_size(r->in, r->min, r->max, &v) :
		    parse_duration(r->in, r->min, r->max, &v);
		good += r->ok;
		CHECK(rc == (r->ok ? 0 : -1), "row %zu \"%s\": rc %d", i,
		    r->in, rc);
		if (r->ok)
			CHECK(v == r->want, "row %zu \"%s\": %lld, want %lld",
			    i, r->in, v, r->want);
		else
			CHECK(v == -12345, "row %zu \"%s\": out written", i,
			    r->in);
	}
	CHECK(good * 2 < i, "%zu good rows of %zu", good, i);
	return (unit_done("common_parse"));
}
