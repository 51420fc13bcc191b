/*
 * jwksd: options, daemon set-up (pid file, control socket, privilege
 * drop), signals and the main loop.  Signals only set flags; the loop
 * acts on them.
 */
#include <sys/stat.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "jwksd.h"
#include "pidfile.h"
#include "privdrop.h"
#include "proctitle.h"

#ifndef SYSCONFDIR
#define SYSCONFDIR	"/etc"
#endif

static volatile sig_atomic_t	 sig_term, sig_hup, sig_usr1, sig_usr2;
static int			 self_pipe[2] = { -1, -1 };

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: jwksd [-dlnv] [-f file]\n");
	exit(1);
}

static void
on_signal(int sig)
{
	int	 saved = errno;

	switch (sig) {
	case SIGTERM:
	case SIGINT:
		sig_term = 1;
		break;
	case SIGHUP:
		sig_hup = 1;
		break;
	case SIGUSR1:
		sig_usr1 = 1;
		break;
	case SIGUSR2:
		sig_usr2 = 1;
		break;
	}
	(void)!write(self_pipe[1], "", 1);
	errno = saved;
}

static void
signals_init(void)
{
	struct sigaction	 sa;
	const int		 sigs[] = { SIGTERM, SIGINT, SIGHUP, SIGUSR1,
	    SIGUSR2 };
	size_t			 i;

	if (pipe2(self_pipe, O_NONBLOCK | O_CLOEXEC) == -1)
		fatal("pipe2");
	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_signal;
	sa.sa_flags = SA_RESTART;
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		if (sigaction(sigs[i], &sa, NULL) == -1)
			fatal("sigaction");
	signal(SIGPIPE, SIG_IGN);
	/* a file-size limit makes a write fail (logged), not kill us */
	signal(SIGXFSZ, SIG_IGN);
}

/* Create the key file's directory when missing, owned by uid. */
static void
keydir_make(const char *key_file, uid_t uid, gid_t gid)
{
	char	 dir[PATH_MAX], *slash;

	if (snprintf(dir, sizeof(dir), "%s", key_file) >= (int)sizeof(dir))
		errx(1, "key_file: path too long");
	if ((slash = strrchr(dir, '/')) == NULL || slash == dir)
		return;
	*slash = '\0';
	if (mkdir(dir, 0755) == -1) {
		if (errno != EEXIST)
			err(1, "%s", dir);
		return;
	}
	if (uid != (uid_t)-1 && chown(dir, uid, gid) == -1)
		err(1, "%s: chown", dir);
}

/* Become user, keeping the workers' group to set on the key file. */
static void
drop_privileges(const struct passwd *pw, gid_t group)
{
	privdrop(pw->pw_name, pw->pw_uid, pw->pw_gid, &group,
	    group != (gid_t)-1 ? 1 : 0);
}

/* Carry the state of the issuers that stayed the same over a reload. */
static void
carry_state(struct config *old, struct config *new, time_t now)
{
	struct issuer	*n, *o;
	size_t		 i, j;

	for (i = 0; i < new->nissuers; i++) {
		n = new->issuers[i];
		n->next_fetch = now;
		for (j = 0; j < old->nissuers; j++) {
			o = old->issuers[j];
			if (strcmp(o->name, n->name) != 0 ||
			    strcmp(o->issuer, n->issuer) != 0 ||
			    (o->jwks_url == NULL) != (n->jwks_url == NULL) ||
			    (o->jwks_url && strcmp(o->jwks_url, n->jwks_url)) ||
			    (o->jwks_file == NULL) != (n->jwks_file == NULL) ||
			    (o->jwks_file && strcmp(o->jwks_file, n->jwks_file)))
				continue;
			jwkset_move(&n->keys, &o->keys);
			n->jwks_uri = o->jwks_uri;
			n->etag = o->etag;
			o->jwks_uri = o->etag = NULL;
			if (n->keycloak) {
				n->metadata = o->metadata;
				o->metadata = NULL;
			}
			n->fetched = o->fetched;
			n->next_fetch = o->next_fetch;
			n->last_miss = o->last_miss;
			n->failures = o->failures;
			n->file_mtime = o->file_mtime;
			n->file_ino = o->file_ino;
		}
	}
}

/* Settings that need a restart: keep the running values. */
static void
keep_setting(const char *what, char **newv, char **oldv)
{
	char	*t;

	if ((*newv == NULL) != (*oldv == NULL) ||
	    (*newv != NULL && strcmp(*newv, *oldv) != 0))
		log_warnx("reload: %s changed; restart jwksd to apply it", what);
	t = *newv;
	*newv = *oldv;
	*oldv = t;
}

/* SIGHUP: load the configuration again; keep the old one if bad. */
static struct config *
reload(struct config *old, time_t now)
{
	struct config	*new;
	char		 err[1024];

	if (config_load(old->path, &new, err, sizeof(err)) == -1) {
		log_warnx("reload failed, keeping the running configuration: "
		    "%s", err);
		return (old);
	}
	keep_setting("user", &new->user, &old->user);
	keep_setting("group", &new->group, &old->group);
	keep_setting("pid_file", &new->pid_file, &old->pid_file);
	keep_setting("control_socket", &new->control_socket,
	    &old->control_socket);
	carry_state(old, new, now);
	config_free(old);
	log_info("configuration reloaded: %zu issuers", new->nissuers);
	proctitle_set("jwksd: key fetcher (%zu issuer%s)", new->nissuers,
	    new->nissuers == 1 ? "" : "s");
	return (new);
}

/* Fetch what is due; returns 1 when something must be published. */
static int
run_due(struct config *conf, time_t now)
{
	struct issuer	*iss;
	const char	*why;
	size_t		 i;
	int		 changed = 0;

	for (i = 0; i < conf->nissuers; i++) {
		iss = conf->issuers[i];
		why = iss->miss_pending ? "unknown kid" : iss->forced ?
		    "forced" : iss->next_fetch == 0 ? "start" : "scheduled";
		if (refresh_file_changed(iss)) {
			iss->next_fetch = now;
			why = "file changed";
		}
		if (iss->next_fetch > now)
			continue;
		if (refresh_issuer(conf, iss, now, why) == 0)
			changed = 1;
	}
	return (changed);
}

#define PUBLISH_RETRY	5	/* s between tries of a failed publication */

static void
main_loop(struct config *conf, int ctl, gid_t gid)
{
	struct pollfd	 pfd[2];
	char		 drain[64];
	time_t		 now, next, retry = 0;
	int		 changed, timeout;

	/* every issuer starts due: next_fetch is 0 */
	for (;;) {
		if (sig_term)
			break;
		now = time(NULL);
		changed = 0;
		if (sig_hup) {
			sig_hup = 0;
			conf = reload(conf, now);
			changed = 1;
		}
		if (sig_usr1) {
			sig_usr1 = 0;
			log_info("SIGUSR1: logs go to syslog, nothing to reopen");
		}
		if (sig_usr2) {
			sig_usr2 = 0;
			log_info("SIGUSR2: fetching every issuer now");
			schedule_all_now(conf, now);
		}
		if (schedule_expire(conf, now) > 0)
			changed = 1;
		if (run_due(conf, now))
			changed = 1;
		/* a publication that failed (disk full) is tried again */
		if (retry != 0 && now >= retry)
			changed = 1;
		if (changed)
			retry = publish(conf, gid, time(NULL)) == -1 ?
			    time(NULL) + PUBLISH_RETRY : 0;
		status_write(conf, gid);	/* for the metrics */
		now = time(NULL);
		next = schedule_next(conf, now);
		if (retry != 0 && (next == 0 || retry < next))
			next = retry;
		timeout = next > now ? (int)(next - now) * 1000 : 0;
		pfd[0].fd = self_pipe[0];
		pfd[0].events = POLLIN;
		pfd[1].fd = ctl;
		pfd[1].events = POLLIN;
		if (poll(pfd, 2, timeout) == -1 && errno != EINTR)
			fatal("poll");
		if (pfd[0].revents & POLLIN)
			while (read(self_pipe[0], drain, sizeof(drain)) > 0)
				;
		if (pfd[1].revents & POLLIN)
			control_read(ctl, conf, time(NULL));
	}
	log_info("stopping");
	control_close(ctl, conf->control_socket);
	config_free(conf);
}

int
main(int argc, char *argv[])
{
	struct config	*conf;
	struct passwd	*pw = NULL;
	struct group	*gr;
	const char	*path = SYSCONFDIR "/mcpproxyd/mcpproxyd.conf";
	char		 errbuf[1024];
	gid_t		 gid = (gid_t)-1;
	int		 ch, debug = 0, noaction = 0, list = 0, verbose = 1;
	int		 pidfd, ctl;

	if (proctitle_init(argc, argv) == -1)
		err(1, "proctitle_init");
	while ((ch = getopt(argc, argv, "df:lnv")) != -1) {
		switch (ch) {
		case 'd':
			debug = 1;
			break;
		case 'f':
			path = optarg;
			break;
		case 'l':
			list = 1;
			break;
		case 'n':
			noaction = 1;
			break;
		case 'v':
			verbose++;
			break;
		default:
			usage();
		}
	}
	if (argc != optind)
		usage();
	log_init("jwksd", 1, verbose);
	if (config_load(path, &conf, errbuf, sizeof(errbuf)) == -1) {
		fprintf(stderr, "%s\n", errbuf);
		return (1);
	}
	if (noaction) {
		fprintf(stderr, "configuration OK\n");
		config_free(conf);
		return (0);
	}
	if (list) {
		ch = publish_list(conf->key_file, time(NULL), 0);
		config_free(conf);
		return (ch);
	}

	if (conf->group != NULL && conf->group[0] != '\0') {
		if ((gr = getgrnam(conf->group)) == NULL)
			errx(1, "group %s: no such group", conf->group);
		gid = gr->gr_gid;
	}
	if (geteuid() == 0 && conf->user[0] != '\0' &&
	    (pw = getpwnam(conf->user)) == NULL)
		errx(1, "user %s: no such user", conf->user);
	if ((pidfd = pidfile_open(conf->pid_file, "jwksd", errbuf,
	    sizeof(errbuf))) == -1)
		errx(1, "%s", errbuf);
	keydir_make(conf->key_file, pw ? pw->pw_uid : (uid_t)-1,
	    pw ? pw->pw_gid : (gid_t)-1);
	if ((ctl = control_open(conf->control_socket,
	    pw ? pw->pw_uid : (uid_t)-1, gid)) == -1)
		err(1, "control socket %s", conf->control_socket);
	fetch_init();
	if (!debug && daemon(0, 0) == -1)
		err(1, "daemon");
	log_init("jwksd", debug, verbose);
	if (pidfile_write(pidfd) == -1)
		log_warn("pid file %s", conf->pid_file);
	if (pw != NULL)
		drop_privileges(pw, gid);
	else if (geteuid() == 0)
		log_warnx("running as root: set user in [jwksd]");
	signals_init();
	proctitle_set("jwksd: key fetcher (%zu issuer%s)", conf->nissuers,
	    conf->nissuers == 1 ? "" : "s");
	log_info("started: %zu issuers, key file %s", conf->nissuers,
	    conf->key_file);
	publish_restore(conf, time(NULL));
	main_loop(conf, ctl, gid);
	fetch_cleanup();
	return (0);
}
