/*
 * The one owner of the key file jwksd publishes, for auth.c (signing
 * keys) and provider.c (authorization server metadata).  A worker maps
 * it lazily, when a request first needs it, long after it dropped its
 * privileges (the master, root, never opens it); a replacement is
 * noticed with one stat() at most once a second, or at once on demand
 * (an unknown kid).  A bad new file keeps the old keys in use.
 */
#include <sys/types.h>

#include "keyfile.h"
#include "log.h"
#include "mcpproxyd.h"

static const struct config	*kconf;
static struct keyfile_reader	*reader;
static long long		 last_check;
static int			 bad_file_logged;

/*
 * Set up the reader for conf's key file (in the master, before it
 * forks; again after a reload), or none when no route needs keys.
 */
void
keys_init(const struct config *conf)
{
	kconf = conf;
	keyfile_reader_free(reader);
	reader = NULL;
	last_check = 0;
	if (conf->nauths == 0)
		return;
	if ((reader = keyfile_reader_new(conf->key_file)) == NULL)
		fatal("key file reader");
}

/*
 * Look for a new key file: always when force (an unknown kid), else at
 * most once a second, so that a connection per request does not cost a
 * stat() each (a key withdrawn by jwksd is refused within that second).
 */
void
keys_refresh(int force)
{
	char		 why[256];
	long long	 now;
	int		 rc;

	if (reader == NULL)
		return;
	now = conn_now_ms();
	if (!force && now - last_check < 1000)
		return;
	last_check = now;
	rc = keyfile_reader_check(reader, why, sizeof(why));
	if (rc == 1) {
		bad_file_logged = 0;
		log_debug("key file %s: serial %llu mapped, key set %016llx",
		    kconf->key_file, (unsigned long long)keyfile_serial(
		    keyfile_reader_current(reader)), (unsigned long long)
		    keyfile_generation(keyfile_reader_current(reader)));
	} else if (rc == -1 && !bad_file_logged) {
		bad_file_logged = 1;
		log_warnx("key file %s: %s%s", kconf->key_file, why,
		    keyfile_reader_current(reader) ? "; keeping the keys in use"
		    : "; no keys: protected routes answer 401");
	}
}

/*
 * The mapping in use, or NULL (none yet, or no reader).  It stays
 * valid until the next keys_refresh().
 */
const struct keyfile *
keys_current(void)
{
	return (reader ? keyfile_reader_current(reader) : NULL);
}
