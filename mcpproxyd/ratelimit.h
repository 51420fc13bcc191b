/*
 * Rate limits per caller (ratelimit.c: the buckets and their shared
 * table; throttle.c: the stages that charge them).
 */
#ifndef MCPPROXYD_RATELIMIT_H
#define MCPPROXYD_RATELIMIT_H

#include <stddef.h>
#include <stdint.h>

#define RATELIMIT_WAYS		8	/* buckets per set (one lock) */
#define RATELIMIT_TABLE_MIN	64
#define RATELIMIT_TABLE_MAX	(16 * 1024 * 1024)
#define RATELIMIT_BURST_MAX	100000
#define RATELIMIT_RATE_MAX	1000000	/* units a second */

enum ratelimit_key {
	RL_KEY_CALLER,		/* (issuer, subject), else the address */
	RL_KEY_ADDRESS		/* the client address, before the token */
};

/* [ratelimit NAME]: one zone, as nginx's limit_req_zone. */
struct rlzone {
	char			*name;
	int			 line;
	uint64_t		 interval;	/* ns between units; 0 unset */
	unsigned int		 burst;		/* units above one at once */
	enum ratelimit_key	 key;
	char			*tool;		/* NULL: every request; "*":
						   each tool its own bucket;
						   else that tool only */
};

/* A bucket's verdict. */
struct rlresult {
	int		 allowed;
	int		 overflow;	/* the zone's overflow bucket took it */
	unsigned int	 retry;		/* s until one unit is back */
};

int	 ratelimit_parse_rate(const char *val, uint64_t *interval);
int	 ratelimit_parse_burst(const char *val, unsigned int *burst);
size_t	 ratelimit_bytes(int entries);
int	 ratelimit_create(int entries);
int	 ratelimit_entries(void);
uint64_t ratelimit_now(void);
uint64_t ratelimit_tag(const struct rlzone *z, const void *key, size_t len);
void	 ratelimit_charge(const struct rlzone *z, uint64_t tag, uint64_t now,
	    struct rlresult *r);
int	 ratelimit_gcra(uint64_t *tat, uint64_t now, uint64_t interval,
	    unsigned int burst, uint64_t *wait);

#endif
