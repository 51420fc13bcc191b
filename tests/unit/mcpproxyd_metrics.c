/*
 * The metrics (metrics.c, expose.c): the exposition writer's escaping
 * of label values and its metric names, a table each with more bad
 * cases than good; the bounds on label values a client chooses (the
 * JSON-RPC method, the tool); the counters of a slot surviving a new
 * worker in it; a full series table counted, not grown.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../mcpproxyd/mcpproxyd.h"
#include "../../mcpproxyd/metrics.h"
#include "unit.h"

static const struct {
	const char	*in;
	const char	*out;
} values[] = {
	/* good: kept as they are */
	{ "test", "test" },
	{ "/api/v1", "/api/v1" },
	{ "tools/call", "tools/call" },
	{ "caf\xc3\xa9", "caf\xc3\xa9" },
	{ "\xe6\x97\xa5\xe6\x9c\xac", "\xe6\x97\xa5\xe6\x9c\xac" },
	{ "\xf0\x9f\x98\x80", "\xf0\x9f\x98\x80" },
	/* bad: escaped as the format says, or made '?' */
	{ "a\"b", "a\\\"b" },
	{ "a\\b", "a\\\\b" },
	{ "a\nb", "a\\nb" },
	{ "\\\"\n", "\\\\\\\"\\n" },
	{ "a\rb", "a?b" },
	{ "a\tb", "a?b" },
	{ "\x01", "?" },
	{ "\x1b[31m", "?[31m" },
	{ "\x7f", "?" },
	{ "\xff", "?" },
	{ "\xfe\xff", "??" },
	{ "\x80", "?" },
	{ "\xc0\x80", "??" },			/* overlong NUL */
	{ "\xc1\xbf", "??" },			/* overlong */
	{ "\xe0\x80\xaf", "???" },		/* overlong '/' */
	{ "\xed\xa0\x80", "???" },		/* a surrogate */
	{ "\xf4\x90\x80\x80", "????" },		/* beyond U+10FFFF */
	{ "\xf5\x80\x80\x80", "????" },
	{ "\xe2\x82", "??" },			/* cut short */
	{ "ok\xc3", "ok?" },
	{ "\xc3(", "?(" },
};

static const struct {
	const char	*name;
	int		 ok;
} names[] = {
	{ "a", 1 },
	{ "mcpproxyd_requests_total", 1 },
	{ "job:rate5m", 1 },
	{ "_x9", 1 },
	{ "", 0 },
	{ "1a", 0 },
	{ "a-b", 0 },
	{ "a b", 0 },
	{ "a{b", 0 },
	{ "a.b", 0 },
	{ "caf\xc3\xa9", 0 },
	{ "a\"", 0 },
	{ "a\n", 0 },
};

static const struct {
	const char	*method;
	const char	*label;
} methods[] = {
	{ "initialize", "initialize" },
	{ "tools/call", "tools/call" },
	{ "tools/list", "tools/list" },
	{ "notifications/initialized", "notifications/initialized" },
	{ "resources/templates/list", "resources/templates/list" },
	{ NULL, "none" },
	{ "", "other" },
	{ "TOOLS/CALL", "other" },
	{ "tools/call ", "other" },
	{ "tools/calls", "other" },
	{ "tools", "other" },
	{ "none", "other" },		/* not a method: no label of its own */
	{ "other", "other" },
	{ "response", "other" },
	{ "rpc.discover", "other" },
	{ "\xff", "other" },
};

static void
test_values(void)
{
	char	 out[64];
	size_t	 i;

	for (i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		expose_label_value(out, sizeof(out), values[i].in);
		CHECK(!strcmp(out, values[i].out), "row %zu: \"%s\"", i, out);
	}
	/* cut at a whole character, never in an escape */
	expose_label_value(out, 4, "ab\"c");
	CHECK(!strcmp(out, "ab"), "cut: %s", out);
	expose_label_value(out, 4, "a\xc3\xa9\xc3\xa9");
	CHECK(!strcmp(out, "a\xc3\xa9"), "cut UTF-8: %s", out);
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		CHECK(expose_metric_name_ok(names[i].name) == names[i].ok,
		    "name row %zu", i);
}

static void
test_writer(void)
{
	struct expbuf	 b;
	const char	*lab[] = { "a", "x", "b", "y\"z\n" };

	CHECK(expose_init(&b, 4096) == 0, "init");
	expose_family(&b, "t_total", "counter", "A test.");
	expose_u64(&b, "t_total", lab, 2, 18446744073709551615ULL);
	expose_u64(&b, "t_total", NULL, 0, 0);
	expose_double(&b, "t_sum", lab, 1, 0.028);
	b.p[b.len] = '\0';
	CHECK(!strcmp(b.p, "# HELP t_total A test.\n# TYPE t_total counter\n"
	    "t_total{a=\"x\",b=\"y\\\"z\\n\"} 18446744073709551615\n"
	    "t_total 0\nt_sum{a=\"x\"} 0.028\n"), "output:\n%s", b.p);
	CHECK(!b.full, "full");
	free(b.p);
	/* a sample that does not fit is left out whole */
	CHECK(expose_init(&b, 20) == 0, "init");
	expose_u64(&b, "short", NULL, 0, 1);
	expose_u64(&b, "a_longer_name", lab, 2, 1);
	CHECK(b.len == 8 && !memcmp(b.p, "short 1\n", 8) && b.full,
	    "cap: %zu %d", b.len, b.full);
	free(b.p);
}

static void
test_bounds(void)
{
	struct metrics_totals	 t;
	char			 name[32];
	size_t			 i;
	unsigned int		 id;

	for (i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
		CHECK(!strcmp(metrics_method_text(metrics_method(
		    methods[i].method)), methods[i].label), "method row %zu",
		    i);
	CHECK(!strcmp(metrics_method_text(9999), "other"), "method id");
	/* off: everything is "other", nothing kept */
	CHECK(metrics_tool("echo") == MID_OTHER, "off");
	CHECK(metrics_create(4, 3, 64) == 0, "create");
	CHECK(metrics_tool("echo") == MID_OTHER, "unknown tool");
	metrics_tool_seen("echo");
	metrics_tool_seen("echo");		/* counted once */
	id = metrics_tool("echo");
	CHECK(id > MID_OTHER && !strcmp(metrics_name_text(id), "echo"),
	    "echo %u", id);
	metrics_tool_seen("a\nb\"c\xff");	/* kept made safe */
	CHECK(!strcmp(metrics_name_text(metrics_tool("a\nb\"c\xff")),
	    "a?b\"c?"), "odd name: %s",
	    metrics_name_text(metrics_tool("a\nb\"c\xff")));
	for (i = 0; i < 1000; i++) {
		snprintf(name, sizeof(name), "random-%zu", i);
		metrics_tool_seen(name);
	}
	metrics_totals(&t);
	CHECK(t.tools == 3, "%llu tools held, bound 3",
	    (unsigned long long)t.tools);
	CHECK(metrics_tool("random-0") > MID_OTHER, "the first one held");
	CHECK(metrics_tool("random-1") == MID_OTHER, "past the bound");
	CHECK(metrics_tool("random-999") == MID_OTHER, "past the bound");
	CHECK(metrics_tool("") == MID_NONE && metrics_tool(NULL) == MID_NONE,
	    "no tool");
	/* other kinds do not count against the tools' bound */
	CHECK(metrics_name(MK_SERVER, "echo") != id, "kinds apart");
	CHECK(!strcmp(metrics_name_text(MID_OTHER), "other") &&
	    !strcmp(metrics_name_text(MID_NONE), "none") &&
	    !strcmp(metrics_name_text(METRICS_NAMES + 5), "other"), "fixed");
}

static uint64_t
value_of(const struct metrics_key *k)
{
	struct metrics_series	*s;
	uint64_t		 key = metrics_pack(k), v = 0;
	size_t			 n, i;

	n = metrics_collect(&s);
	for (i = 0; i < n; i++)
		if (s[i].key == key)
			v = s[i].value;
	free(s);
	return (v);
}

static void
test_counters(void)
{
	struct config		*conf = calloc(1, sizeof(*conf));
	struct metrics_key	 k = { MF_REQUESTS, 2, 3, 4, 5, 2 }, u;
	struct metrics_key	 drop = { MF_DROPPED, 0, 0, 0, 0, 0 };
	unsigned int		 i;

	metrics_unpack(metrics_pack(&k), &u);
	CHECK(!memcmp(&k, &u, sizeof(k)), "pack");
	k.a = 8191; k.b = 8191; k.c = 8191; k.d = 255; k.e = 255;
	metrics_unpack(metrics_pack(&k), &u);
	CHECK(!memcmp(&k, &u, sizeof(k)), "pack max");
	k.a = 2; k.b = 3; k.c = 4; k.d = 5; k.e = 2;
	metrics_worker_start(conf, 1);
	metrics_add(&k, 5);
	metrics_worker_start(conf, 2);		/* another worker */
	metrics_add(&k, 2);
	CHECK(value_of(&k) == 7, "summed over slots: %llu",
	    (unsigned long long)value_of(&k));
	metrics_worker_start(conf, 1);		/* slot 1's next worker */
	metrics_add(&k, 1);
	CHECK(value_of(&k) == 8, "a new worker went on counting: %llu",
	    (unsigned long long)value_of(&k));
	/* 64 entries a slot, one of them the dropped count */
	metrics_worker_start(conf, 3);
	for (i = 0; i < 100; i++) {
		k.b = 100 + i;
		metrics_add(&k, 1);
	}
	CHECK(value_of(&drop) == 100 - 63, "dropped: %llu",
	    (unsigned long long)value_of(&drop));
	metrics_worker_start(conf, 99);		/* no such slot: ignored */
	free(conf);
}

int
main(void)
{
	test_values();
	test_writer();
	test_bounds();
	test_counters();
	return (unit_done("mcpproxyd_metrics"));
}
