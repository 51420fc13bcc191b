/*
 * mcpproxyd: the list answers the relay filters (relayfilter.c), for
 * proxy.c.  The relay does the I/O; this module says what to send.
 */
#ifndef MCPPROXYD_RELAYFILTER_H
#define MCPPROXYD_RELAYFILTER_H

#include "jsonrpc.h"
#include "policy.h"

/* The JSON-RPC error of a list answer that cannot be filtered. */
#define RELAYFILTER_CODE	(-32003)

enum relayfilter_mode {
	RF_OFF = 0,		/* relay as it comes */
	RF_JSON,		/* hold the one answer, filter it whole */
	RF_SSE			/* pass each event, filter the answers */
};

struct relayfilter {
	enum relayfilter_mode	 mode;
	int			 want;	/* the request may get a list */
	char			*method;	/* the request's; NULL: any */
	char			*id;		/* its raw id, or NULL */
	size_t			 idlen;
	int			 modern;	/* 2026-07-28: cacheScope */
	int			 failed;	/* answered with an error */
	struct policy_ctx	 pc;
	struct listfilter	 lf;
	char			*buf;		/* the JSON answer so far */
	size_t			 len, cap;
	struct sse		 sse;
	char			*out;		/* what to send next */
	size_t			 outlen, outcap;
};

struct exchange;
struct http_response;
void	 relayfilter_request(struct relayfilter *, const struct exchange *);
int	 relayfilter_start(struct relayfilter *, const struct exchange *,
	    const struct http_response *);
int	 relayfilter_feed(struct relayfilter *, const char *, size_t);
int	 relayfilter_end(struct relayfilter *);
void	 relayfilter_free(struct relayfilter *);

#endif
