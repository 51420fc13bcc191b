/*
 * The control socket: a worker's kid-miss report makes its issuer due
 * now, once per miss_debounce; reports for known kids, unknown issuers
 * and malformed datagrams change nothing.  Also the schedule.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "../../jwksd/jwksd.h"
#include "unit.h"

static char	 dir[] = "/tmp/jwksd-control.XXXXXX";

static struct config *
conf_with_issuer(void)
{
	static char		 name[] = "realm";
	static char		 url[] = "http://127.0.0.1:1/realms/my-realm";
	static struct issuer	 iss, *v[1];
	static struct jwk	 k;
	static struct config	 c;

	memset(&c, 0, sizeof(c));
	memset(&iss, 0, sizeof(iss));
	iss.name = name;
	iss.issuer = url;
	snprintf(k.kid, sizeof(k.kid), "known");
	iss.keys.keys = &k;
	iss.keys.n = 1;
	iss.next_fetch = 5000;
	v[0] = &iss;
	c.issuers = v;
	c.nissuers = 1;
	c.miss_debounce = 10;
	c.refresh_default = 900;
	c.refresh_min = 60;
	c.refresh_max = 86400;
	c.hard_expiry = 86400;
	return (&c);
}

static void
test_control(void)
{
	struct config	*c = conf_with_issuer();
	struct issuer	*iss = c->issuers[0];
	char		 path[128];
	int		 fd, cl;
	time_t		 now = 1000;

	snprintf(path, sizeof(path), "%s/ctl", dir);
	fd = control_open(path, (uid_t)-1, (gid_t)-1);
	CHECK(fd != -1, "control_open");
	if (fd == -1)
		return;
	CHECK(control_read(fd, c, now) == 0, "nothing pending");

	keyfile_request_fetch(path, iss->issuer, "new-kid");
	CHECK(control_read(fd, c, now) == 1, "miss not acted on");
	CHECK(iss->next_fetch == now && iss->miss_pending, "not due now");

	iss->next_fetch = 5000;
	iss->miss_pending = 0;
	keyfile_request_fetch(path, iss->issuer, "other-kid");
	CHECK(control_read(fd, c, now + 9) == 0, "debounce ignored");
	CHECK(iss->next_fetch == 5000, "debounced miss rescheduled");
	keyfile_request_fetch(path, "realm", "other-kid");	/* by name */
	CHECK(control_read(fd, c, now + 10) == 1, "miss after debounce");

	iss->last_miss = 0;
	keyfile_request_fetch(path, iss->issuer, "known");
	CHECK(control_read(fd, c, now + 100) == 0, "known kid refetched");
	keyfile_request_fetch(path, "https://elsewhere", "x");
	CHECK(control_read(fd, c, now + 100) == 0, "unknown issuer fetched");

	/* malformed datagrams, then a good one in the same burst */
	cl = socket(AF_UNIX, SOCK_DGRAM, 0);
	{
		struct sockaddr_un sun = { .sun_family = AF_UNIX };

		memcpy(sun.sun_path, path, strlen(path) + 1);
		sendto(cl, "garbage", 7, 0, (struct sockaddr *)&sun,
		    sizeof(sun));
		sendto(cl, "miss\nrealm\n", 11, 0, (struct sockaddr *)&sun,
		    sizeof(sun));
	}
	close(cl);
	keyfile_request_fetch(path, "realm", "k2");
	CHECK(control_read(fd, c, now + 100) == 1, "good after bad");
	control_close(fd, path);
	CHECK(access(path, F_OK) == -1, "socket left behind");
}

static void
test_schedule(void)
{
	struct config		*c = conf_with_issuer();
	struct issuer		*iss = c->issuers[0];
	struct fetch_reply	 r;
	time_t			 now = 100000;

	memset(&r, 0, sizeof(r));
	r.max_age = r.expires = r.date = -1;
	schedule_success(c, iss, &r, now);
	CHECK(iss->next_fetch == now + 900, "default %lld",
	    (long long)(iss->next_fetch - now));
	r.max_age = 10;
	schedule_success(c, iss, &r, now);
	CHECK(iss->next_fetch == now + 60, "never below refresh_min");
	r.max_age = 0;	/* no-cache */
	schedule_success(c, iss, &r, now);
	CHECK(iss->next_fetch == now + 60, "no-cache");
	r.max_age = 3600;
	schedule_success(c, iss, &r, now);
	CHECK(iss->next_fetch == now + 3600, "max-age");
	r.max_age = 10 * 86400;
	schedule_success(c, iss, &r, now);
	CHECK(iss->next_fetch == now + 43200, "capped below hard expiry");
	r.max_age = -1;
	r.date = now - 5;
	r.expires = now + 595;
	schedule_success(c, iss, &r, now);
	CHECK(iss->next_fetch == now + 600, "Expires - Date");
	schedule_failure(c, iss, now);
	CHECK(iss->next_fetch == now + 5, "first backoff");
	schedule_failure(c, iss, now);
	schedule_failure(c, iss, now);
	CHECK(iss->next_fetch == now + 20, "third backoff");
	for (int i = 0; i < 40; i++)
		schedule_failure(c, iss, now);
	CHECK(iss->next_fetch == now + 300, "backoff cap");

	/* hard expiry withdraws the keys (use heap keys: it frees them) */
	iss->keys.keys = calloc(1, sizeof(struct jwk));
	iss->keys.n = 1;
	iss->fetched = now - 86400 + 1;
	CHECK(schedule_expire(c, now) == 0 && iss->keys.n == 1, "early");
	CHECK(schedule_next(c, now) == now + 1, "next is the expiry");
	CHECK(schedule_expire(c, now + 1) == 1 && iss->keys.n == 0,
	    "not expired");
}

int
main(void)
{
	char	 cmd[128];

	log_init("jwksd_control", 1, 0);
	if (mkdtemp(dir) == NULL)
		return (1);
	test_control();
	test_schedule();
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	(void)!system(cmd);
	return (unit_done("jwksd_control"));
}
