/*
 * bench/metrics-cost.c: the CPU a request's counting costs a worker
 * (metrics.c): metrics_request() for a tools/call of a known tool, and
 * the upstream latency histogram, in one process, many times over.
 * See bench/RESULTS.md, "Metrics".
 *
 *	cc -O2 -D_GNU_SOURCE -Imcpproxyd -Icommon -o /tmp/metrics-cost \
 *	    bench/metrics-cost.c build/obj/mcpproxyd/metrics.o \
 *	    build/obj/mcpproxyd/jsonrpc.o build/obj/common/log.o -ljansson
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mcpproxyd.h"
#include "metrics.h"

#define N	2000000

static double
now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (ts.tv_sec + ts.tv_nsec / 1e9);
}

int
main(void)
{
	static struct config	 conf;
	static struct exchange	 x;
	const char		*body = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":"
	    "\"tools/call\",\"params\":{\"name\":\"echo\",\"arguments\":{}}}";
	struct jsonrpc_limits	 lim = { 64, 2048, 256 };
	const char		*why;
	double			 t0, t1, t2;
	int			 i;

	conf.nservers = 1;
	conf.servers[0].name = "bench";
	conf.servers[0].nroutes = 1;
	conf.servers[0].routes[0].prefix = "/mcp";
	if (metrics_create(128, 64, 512) == -1)
		return (1);
	metrics_worker_start(&conf, 3);
	metrics_tool_seen("echo");
	x.conf = &conf;
	x.srv = &conf.servers[0];
	x.rt = &conf.servers[0].routes[0];
	x.log.status = 200;
	if (jsonrpc_parse(body, strlen(body), &lim, &x.rpc, &why) != JSONRPC_OK)
		fprintf(stderr, "jsonrpc_parse failed\n");
	x.rpcok = 1;
	t0 = now();
	for (i = 0; i < N; i++)
		metrics_request(&x);
	t1 = now();
	for (i = 0; i < N; i++)
		metrics_upstream(x.srv, x.rt, 1234 + i % 100000);
	t2 = now();
	printf("metrics_request (tools/call echo) %.3f us, metrics_upstream "
	    "(histogram) %.3f us\n", (t1 - t0) * 1e6 / N, (t2 - t1) * 1e6 / N);
	return (0);
}
