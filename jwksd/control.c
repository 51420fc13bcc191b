/*
 * The control socket: a UNIX datagram socket where workers report a
 * kid they could not find (keyfile_request_fetch()).  A report makes
 * the issuer due now, at most once per miss_debounce seconds.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "jwksd.h"

#define CONTROL_BURST	64	/* datagrams read per wakeup */

/*
 * Create the socket at path (replacing a stale socket, refusing
 * anything else), owned by uid and gid (unless -1), writable by that
 * group.  It is bound in a private directory made beside path (mode
 * 0700: no one else can put a link there), made with its final mode
 * (umask) and owner (lchown), then renamed over path: rename replaces
 * whatever a link at path is, not what it points to, and nothing is
 * ever changed by path.  Returns the fd or -1.
 */
int
control_open(const char *path, uid_t uid, gid_t gid)
{
	struct sockaddr_un	 sun;
	struct stat		 st;
	char			 dir[sizeof(sun.sun_path)];
	const char		*slash;
	mode_t			 mask;
	int			 fd, rc, saved;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		errno = ENAMETOOLONG;
		return (-1);
	}
	if (lstat(path, &st) == 0 && !S_ISSOCK(st.st_mode)) {
		errno = EEXIST;
		return (-1);
	}
	/* the private directory: "DIR/.ctl.XXXXXX/s" must fit too */
	slash = strrchr(path, '/');
	if (snprintf(dir, sizeof(dir), "%.*s.ctl.XXXXXX",
	    slash ? (int)(slash - path + 1) : 0, path) >= (int)sizeof(dir) ||
	    snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/s", dir) >=
	    (int)sizeof(sun.sun_path)) {
		errno = ENAMETOOLONG;
		return (-1);
	}
	if (mkdtemp(dir) == NULL)
		return (-1);
	fd = -1;
	if (snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/s", dir) >=
	    (int)sizeof(sun.sun_path)) {
		errno = ENAMETOOLONG;	/* not reached: checked above */
		goto fail;
	}
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) == -1)
		goto fail;
	mask = umask(gid != (gid_t)-1 ? 0117 : 0111);	/* 0660 or 0666 */
	rc = bind(fd, (struct sockaddr *)&sun, sizeof(sun));
	umask(mask);
	if (rc == -1 ||
	    ((uid != (uid_t)-1 || gid != (gid_t)-1) &&
	    lchown(sun.sun_path, uid, gid) == -1) ||
	    rename(sun.sun_path, path) == -1)
		goto fail;
	rmdir(dir);
	return (fd);
fail:
	saved = errno;
	if (fd != -1)
		close(fd);
	(void)unlink(sun.sun_path);
	(void)rmdir(dir);
	errno = saved;
	return (-1);
}

/* A copy of s fit for a log line. */
static void
printable(const char *s, char *out, size_t outlen)
{
	size_t	 i;

	for (i = 0; s[i] != '\0' && i + 1 < outlen; i++)
		out[i] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?';
	out[i] = '\0';
}

static int
has_kid(const struct issuer *iss, const char *kid)
{
	size_t	 i;

	for (i = 0; i < iss->keys.n; i++)
		if (strcmp(iss->keys.keys[i].kid, kid) == 0)
			return (1);
	return (0);
}

/* Act on one report. */
static int
control_miss(struct config *conf, const char *who, const char *kid,
    time_t now)
{
	struct issuer	*iss;
	char		 safe[KEYFILE_KID_MAX + 1], swho[80];

	printable(kid, safe, sizeof(safe));
	if ((iss = config_find_issuer(conf, who)) == NULL) {
		printable(who, swho, sizeof(swho));
		log_debug("control: kid miss for unknown issuer %s", swho);
		return (0);
	}
	if (has_kid(iss, kid)) {
		log_debug("issuer %s: kid %s already published", iss->name,
		    safe);
		return (0);
	}
	if (iss->last_miss != 0 && now - iss->last_miss < conf->miss_debounce) {
		log_debug("issuer %s: kid %s unknown; fetched %llds ago, not "
		    "again", iss->name, safe, (long long)(now - iss->last_miss));
		return (0);
	}
	log_info("issuer %s: unknown kid %s reported; fetching now",
	    iss->name, safe);
	iss->last_miss = now;
	iss->next_fetch = now;
	iss->miss_pending = 1;
	return (1);
}

/*
 * Read the pending reports.  Returns the number of issuers made due.
 */
int
control_read(int fd, struct config *conf, time_t now)
{
	char	 msg[KEYFILE_MSG_MAX + 1], who[KEYFILE_URL_MAX + 1];
	char	 kid[KEYFILE_KID_MAX + 1];
	ssize_t	 n;
	int	 i, due = 0;

	for (i = 0; i < CONTROL_BURST; i++) {
		if ((n = recv(fd, msg, sizeof(msg), MSG_DONTWAIT)) == -1) {
			if (errno != EAGAIN && errno != EINTR)
				log_warn("control: recv");
			break;
		}
		if (keyfile_parse_request(msg, n, who, sizeof(who), kid,
		    sizeof(kid)) == -1) {
			log_debug("control: malformed request ignored");
			continue;
		}
		due += control_miss(conf, who, kid, now);
	}
	return (due);
}

/* Close the socket and remove it (a socket only: unlink takes no link). */
void
control_close(int fd, const char *path)
{
	struct stat	 st;

	close(fd);
	if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode))
		(void)unlink(path);
}
