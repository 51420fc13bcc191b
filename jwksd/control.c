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
 * Create the socket at path (replacing a stale one), owned by uid and
 * gid (unless -1), writable by that group.  Returns the fd or -1.
 */
int
control_open(const char *path, uid_t uid, gid_t gid)
{
	struct sockaddr_un	 sun;
	struct stat		 st;
	int			 fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path) >=
	    (int)sizeof(sun.sun_path)) {
		errno = ENAMETOOLONG;
		return (-1);
	}
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			errno = EEXIST;
			return (-1);
		}
		unlink(path);
	}
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) == -1)
		return (-1);
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1 ||
	    chmod(path, gid != (gid_t)-1 ? 0660 : 0666) == -1 ||
	    ((uid != (uid_t)-1 || gid != (gid_t)-1) &&
	    chown(path, uid, gid) == -1)) {
		close(fd);
		return (-1);
	}
	return (fd);
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

void
control_close(int fd, const char *path)
{
	close(fd);
	(void)unlink(path);
}
