/*
 * The scoreboard: one slot per possible worker in shared anonymous
 * memory, plain data only (no pointers), written by the worker that
 * owns a slot and read by everyone.
 */
#include <sys/mman.h>

#include <string.h>

#include "log.h"
#include "mcpproxyd.h"

/*
 * The number of slots as made, kept out of the shared memory that any
 * worker can write (inherited by every worker at its fork).
 */
static int	 made_nslots;
static int	 high;		/* the master's own count of slots used */

/* Map a zeroed scoreboard of nslots slots shared with future children. */
struct scoreboard *
scoreboard_create(int nslots)
{
	struct scoreboard	*sb;
	size_t			 len;

	len = sizeof(*sb) + (size_t)nslots * sizeof(struct slot);
	sb = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
	    -1, 0);
	if (sb == MAP_FAILED)
		fatal("scoreboard: mmap %zu bytes", len);
	memset(sb, 0, len);
	sb->nslots = nslots;
	made_nslots = nslots;
	return (sb);
}

/* Record the state of slot i. */
void
scoreboard_set(struct scoreboard *sb, int i, enum slot_state st)
{
	if (st == SLOT_STARTING)	/* a worker killed while it waited */
		__atomic_store_n(&sb->slot[i].kid_wait, 0, __ATOMIC_RELEASE);
	__atomic_store_n(&sb->slot[i].state, (int)st, __ATOMIC_RELEASE);
}

/*
 * Note that the master forked into slot i (the master alone calls it):
 * the count comes from its own memory, written over whatever a worker
 * put in the shared copy.
 */
void
scoreboard_used(struct scoreboard *sb, int i)
{
	if (i >= 0 && i < made_nslots && i >= high)
		high = i + 1;
	__atomic_store_n(&sb->used, high, __ATOMIC_RELEASE);
}

/*
 * The slots worth reading: those ever forked into (a pool of 16384
 * workers at most is mostly empty slots; a read of them all costs
 * tens of microseconds on every connection), never past the slots made
 * whatever a worker wrote there.
 */
static int
slots_used(const struct scoreboard *sb)
{
	int	 n = __atomic_load_n(&sb->used, __ATOMIC_ACQUIRE);

	return (n < 0 || n > made_nslots ? made_nslots : n);
}

/* Count the slots in state st. */
int
scoreboard_count(const struct scoreboard *sb, enum slot_state st)
{
	int	 i, n = 0, used = slots_used(sb);

	for (i = 0; i < used; i++)
		if (__atomic_load_n(&sb->slot[i].state, __ATOMIC_ACQUIRE) ==
		    (int)st)
			n++;
	return (n);
}

/* Count the workers idle or starting (the spares), in one pass. */
int
scoreboard_spare(const struct scoreboard *sb)
{
	int	 i, n = 0, st, used = slots_used(sb);

	for (i = 0; i < used; i++) {
		st = __atomic_load_n(&sb->slot[i].state, __ATOMIC_ACQUIRE);
		n += st == SLOT_IDLE || st == SLOT_STARTING;
	}
	return (n);
}

/*
 * Is the pool short of spares (fewer than min_spare idle or starting)?
 * Then the master is to fork, and a worker holds no connection it can
 * park (head.c, body.c, worker.c).
 */
int
scoreboard_short(const struct scoreboard *sb, int min_spare)
{
	return (sb != NULL && scoreboard_spare(sb) < min_spare);
}

/*
 * Are a and b one client?  The one place client identities are
 * compared: IPv4 by address, IPv6 by its /64 (one host, or one
 * customer's network, holds a whole /64); callers pass identities
 * from ident.c, where IPv4-mapped addresses are already IPv4.
 */
static int
same_addr(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return (0);
	if (a->ss_family == AF_INET)
		return (((const struct sockaddr_in *)a)->sin_addr.s_addr ==
		    ((const struct sockaddr_in *)b)->sin_addr.s_addr);
	if (a->ss_family == AF_INET6)
		return (!memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
		    &((const struct sockaddr_in6 *)b)->sin6_addr, 8));
	return (0);
}

/* Count the open streams held for the client (port ignored, v6 by /64). */
int
scoreboard_streams_from(const struct scoreboard *sb,
    const struct sockaddr_storage *client)
{
	int	 i, n = 0, used = slots_used(sb);

	for (i = 0; i < used; i++)
		if (__atomic_load_n(&sb->slot[i].state, __ATOMIC_ACQUIRE) ==
		    SLOT_STREAM && same_addr(&sb->slot[i].client, client))
			n++;
	return (n);
}

/* Count the connections held for the client (port ignored, v6 by /64). */
int
scoreboard_conns_from(const struct scoreboard *sb,
    const struct sockaddr_storage *client)
{
	int	 i, n = 0, st, used = slots_used(sb);

	for (i = 0; i < used; i++) {
		st = __atomic_load_n(&sb->slot[i].state, __ATOMIC_ACQUIRE);
		if (st != SLOT_EMPTY && st != SLOT_STARTING &&
		    st != SLOT_IDLE && st != SLOT_EXITING &&
		    same_addr(&sb->slot[i].client, client))
			n++;
	}
	return (n);
}

/*
 * Count the workers waiting for jwksd on an unknown kid, and in *from
 * those of them serving the client address (port ignored).
 */
int
scoreboard_kid_waits(const struct scoreboard *sb,
    const struct sockaddr_storage *client, int *from)
{
	int	 i, n = 0, st, used = slots_used(sb);

	*from = 0;
	for (i = 0; i < used; i++) {
		st = __atomic_load_n(&sb->slot[i].state, __ATOMIC_ACQUIRE);
		if (st == SLOT_EMPTY || st == SLOT_STARTING ||
		    !__atomic_load_n(&sb->slot[i].kid_wait, __ATOMIC_SEQ_CST))
			continue;
		n++;
		if (same_addr(&sb->slot[i].client, client))
			(*from)++;
	}
	return (n);
}
