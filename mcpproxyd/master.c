/*
 * The master: forks workers, reaps them, and keeps between min_spare
 * and max_spare of them idle (Apache prefork's idle maintenance).  It
 * never touches a client connection.  Signal handlers only set flags
 * and write to a self-pipe; everything happens in master_run's loop.
 *
 * A reload starts a new generation of workers with the new
 * configuration on the same listening sockets, and tells the old
 * generation to finish what it holds (open streams included) within
 * reload_grace seconds, as Apache's graceful restart does.
 *
 * Every worker can write the whole scoreboard, so the master (root)
 * trusts none of it: it keeps its own table of the workers it forked
 * (pid, generation, slot), signals and reaps only those, takes the
 * number of slots from its own copy, and reads the shared memory only
 * for a worker's state, checked to be one of the known ones, and its
 * request count, for the birth throttle (Apache prefork's CVE-2007-3304
 * was a master killing pids read from there).
 */
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "mcpproxyd.h"
#include "metrics.h"
#include "proctitle.h"
#include "tls.h"
#include "handoff.h"

#define SPAWN_RATE_MAX	32	/* workers forked per maintenance round */
#define BIRTH_WINDOW	2	/* s: a death this young throttles forking */
#define THROTTLE_MAX	60	/* s: longest pause between such deaths */
#define KILL_GRACE	5	/* s: from TERM to KILL */

static volatile sig_atomic_t	 got_chld, got_hup, got_usr1, got_quit;
static volatile sig_atomic_t	 got_term;
static int			 sigpipe[2] = { -1, -1 };

/* A worker as the master knows it: never read from shared memory. */
struct child {
	pid_t		 pid;		/* 0: slot free */
	unsigned int	 generation;
	time_t		 born;
	int		 retiring;	/* told to finish (USR2 or TERM) */
};

static struct child	*children;	/* one per slot */
static int		 nslots;	/* the master's own count */
static unsigned int	 generation;	/* the master's own current one */
static pid_t		 self;

static void	 signal_child(int, int);
static int	 tls_any(const struct config *);

static void
master_sig(int sig)
{
	int	 saved = errno;

	switch (sig) {
	case SIGCHLD: got_chld = 1; break;
	case SIGHUP: got_hup = 1; break;
	case SIGUSR1: got_usr1 = 1; break;
	case SIGQUIT: got_quit = 1; break;
	default: got_term = sig; break;
	}
	(void)!write(sigpipe[1], "", 1);
	errno = saved;
}

static void
master_signals(void)
{
	struct sigaction	 sa;
	int			 sigs[] = { SIGCHLD, SIGHUP, SIGUSR1, SIGTERM,
				    SIGINT, SIGQUIT };
	size_t			 i;

	if (pipe2(sigpipe, O_NONBLOCK | O_CLOEXEC) == -1)
		fatal("pipe2");
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = master_sig;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		if (sigaction(sigs[i], &sa, NULL) == -1)
			fatal("sigaction");
	signal(SIGPIPE, SIG_IGN);
	signal(SIGUSR2, SIG_IGN);
}

/* Fork a worker of the current generation into slot i; 0 or -1. */
static int
spawn(struct config *conf, struct scoreboard *sb, int i)
{
	struct slot	*s = &sb->slot[i];
	pid_t		 pid;

	memset(s, 0, sizeof(*s));
	s->generation = generation;
	children[i].born = time(NULL);
	scoreboard_set(sb, i, SLOT_STARTING);
	scoreboard_used(sb, i);
	switch ((pid = fork())) {
	case -1:
		log_warn("fork");
		scoreboard_set(sb, i, SLOT_EMPTY);
		return (-1);
	case 0:
		close(sigpipe[0]);
		if (conf->pidfd != -1)
			close(conf->pidfd);	/* the lock is the master's */
		s->pid = getpid();
		proctitle_set("mcpproxyd: worker (generation %u)", generation);
		accesslog_worker_start();
		if (tls_tickets_worker() == -1)
			_exit(1);
		worker_main(conf, sb, i, sigpipe[1], self);
	}
	s->pid = pid;
	children[i].pid = pid;
	children[i].generation = generation;
	children[i].retiring = 0;
	return (0);
}

/*
 * Reap dead workers, found in the master's table (not the scoreboard);
 * returns how many died at birth (throttle).
 */
static int
reap(struct scoreboard *sb, int stopping)
{
	pid_t		 pid;
	int		 status, i, young = 0;
	struct child	*c;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		for (i = 0; i < nslots; i++)
			if (children[i].pid == pid)
				break;
		if (i == nslots) {
			(void)waitroom_reaped(pid, status);
			continue;
		}
		c = &children[i];
		if (WIFSIGNALED(status) || (WIFEXITED(status) &&
		    WEXITSTATUS(status) != 0)) {
			/*
			 * A crash before serving anyone; not an admin's kill.
			 * The request count is the worker's word: at worst a
			 * worker that lies changes the pace of forking.
			 */
			int died_young = time(NULL) - c->born < BIRTH_WINDOW &&
			    sb->slot[i].requests == 0 && !(WIFSIGNALED(status) &&
			    (WTERMSIG(status) == SIGKILL ||
			    WTERMSIG(status) == SIGTERM));

			young += died_young;
			metrics_note_death(WIFSIGNALED(status));
			if (WIFSIGNALED(status))
				log_warnx("worker %ld (gen %u) killed by "
				    "signal %d%s", (long)pid, c->generation,
				    WTERMSIG(status), stopping ||
				    c->generation != generation ? "" :
				    "; respawning");
			else
				log_warnx("worker %ld (gen %u) exited with "
				    "status %d%s", (long)pid, c->generation,
				    WEXITSTATUS(status),
				    died_young ? " at birth" : "");
		} else
			log_debug("worker %ld (gen %u) exited", (long)pid,
			    c->generation);
		memset(c, 0, sizeof(*c));
		memset(&sb->slot[i], 0, sizeof(sb->slot[i]));
	}
	return (young);
}

/* The state a worker shows in its slot, or -1 when not a known one. */
static int
slot_state(const struct scoreboard *sb, int i)
{
	int	 st = __atomic_load_n(&sb->slot[i].state, __ATOMIC_ACQUIRE);

	if (st < SLOT_EMPTY || st > SLOT_EXITING)
		return (-1);
	return (st);
}

/*
 * Count the live workers of the current generation, and the idle ones
 * (a worker's word: at worst a lying one makes the pool grow to
 * max_workers, or not grow, or is the one retired).
 */
static int
current_workers(const struct scoreboard *sb, int *idle)
{
	int	 i, n = 0, st;

	*idle = 0;
	for (i = 0; i < nslots; i++) {
		if (children[i].pid == 0 ||
		    children[i].generation != generation)
			continue;
		n++;
		st = slot_state(sb, i);
		*idle += !children[i].retiring &&
		    (st == SLOT_IDLE || st == SLOT_STARTING);
	}
	return (n);
}

/*
 * One round of idle maintenance of the current generation: fork when
 * idle workers run short, or for the connections waiting in the listen
 * queues beyond the idle and starting workers (doubling the rate each
 * round, as Apache does), retire one idle worker when there are too
 * many.  Counting only the spares, a burst of new streams grew the pool
 * by min_spare workers at a time, each some 100 ms from fork to its
 * first accept on two busy cores: 46 forks a second, 2,382 of 10,000
 * streams answered after 60 s (bench/RESULTS.md).  Rounds come once a
 * second or when a worker finds spares short, never back to back:
 * running the next round at once did not fork faster for streams
 * (fork() itself was the bound) and its forks took the CPU a wave of
 * 300 reconnecting TLS clients needed (the probe's p99 19-31 ms became
 * 73-140 ms; tests/RESULTS.md).
 */
static void
maintain(struct config *conf, struct scoreboard *sb, int *rate)
{
	int	 i, idle, total, want, queued, n = 0;

	total = current_workers(sb, &idle);
	if (total < conf->start_workers && idle < conf->start_workers)
		want = conf->start_workers - total;
	else {
		want = conf->min_spare - idle;
		/* the kernel's count, not a worker's word */
		if ((queued = listen_queued(conf)) - idle > want)
			want = queued - idle;
	}
	if (want > 0 && total < conf->max_workers) {
		if (want > *rate)
			want = *rate;
		if (want > conf->max_workers - total)
			want = conf->max_workers - total;
		for (i = 0; i < nslots && n < want; i++)
			if (children[i].pid == 0 && spawn(conf, sb, i) == 0)
				n++;
		if (*rate < SPAWN_RATE_MAX)
			*rate *= 2;
		if (total + n == conf->max_workers && idle == 0)
			log_info("all %d workers busy; new connections wait "
			    "in the backlog", conf->max_workers);
		return;
	}
	*rate = 1;
	/* not below what the rule above would fork again (it flapped) */
	if (idle > conf->max_spare && (total - 1 >= conf->start_workers ||
	    idle - 1 >= conf->start_workers))
		for (i = nslots - 1; i >= 0; i--)
			if (children[i].pid != 0 &&
			    children[i].generation == generation &&
			    !children[i].retiring &&
			    slot_state(sb, i) == SLOT_IDLE) {
				scoreboard_set(sb, i, SLOT_EXITING);
				signal_child(i, SIGUSR2);
				break;
			}
}

/*
 * Send sig to the worker the master forked into slot i: a pid from its
 * own table, a child not yet reaped (so not a pid reused by another
 * process), checked once more not to be one kill() reads as a group.
 */
static void
signal_child(int i, int sig)
{
	pid_t	 pid = children[i].pid;

	if (pid <= 1 || pid == self)
		return;
	if (sig == SIGUSR2 || sig == SIGTERM || sig == SIGKILL)
		children[i].retiring = 1;
	if (kill(pid, sig) == -1 && errno != ESRCH)
		log_warn("kill %ld", (long)pid);
}

/*
 * Send sig to the workers of older generations (or to all); returns
 * how many there are.
 */
static int
signal_workers(int sig, int old_only)
{
	int	 i, n = 0;

	for (i = 0; i < nslots; i++)
		if (children[i].pid != 0 && (!old_only ||
		    children[i].generation != generation)) {
			if (sig != 0)
				signal_child(i, sig);
			n++;
		}
	return (n);
}

/*
 * Stop: graceful (QUIT: let workers finish what they hold within the
 * grace time) or fast (TERM: end streams now).  KILL after that.
 */
static void
stop_workers(struct config *conf, struct scoreboard *sb, int graceful)
{
	time_t	 deadline, now;
	int	 termed = !graceful;

	signal_workers(graceful ? SIGUSR2 : SIGTERM, 0);
	deadline = time(NULL) + (graceful ? conf->reload_grace : KILL_GRACE);
	for (;;) {
		reap(sb, 1);
		if (signal_workers(0, 0) == 0)
			return;
		if ((now = time(NULL)) >= deadline) {
			if (termed)
				break;
			log_warnx("workers still busy after %ds; telling "
			    "them to stop now", conf->reload_grace);
			signal_workers(SIGTERM, 0);
			termed = 1;
			deadline = now + KILL_GRACE;
		}
		if (got_term && !termed) {	/* TERM during a QUIT */
			signal_workers(SIGTERM, 0);
			termed = 1;
			deadline = now + KILL_GRACE;
		}
		poll(NULL, 0, 50);
	}
	log_warnx("workers still busy after %ds; killing them", KILL_GRACE);
	signal_workers(SIGKILL, 0);
	while (waitpid(-1, NULL, 0) > 0)
		;
}

/*
 * Read the configuration again.  On any error the running one stays
 * and the log says why.  Returns the configuration now in force.
 */
static struct config *
reload(struct config *conf, struct scoreboard *sb)
{
	struct config	*nc;
	char		 err[1024];

	if ((nc = calloc(1, sizeof(*nc))) == NULL) {
		log_warn("reload");
		return (conf);
	}
	if (config_load(conf->file, nc, err, sizeof(err)) == -1 ||
	    resolve_user(nc, err, sizeof(err)) == -1 ||
	    tls_setup(nc, err, sizeof(err)) == -1)
		goto fail;
	if (nc->max_workers > nslots / 2) {
		snprintf(err, sizeof(err), "max_workers cannot grow beyond "
		    "%d without a restart", nslots / 2);
		goto fail;
	}
	if ((nc->pid_file == NULL) != (conf->pid_file == NULL) ||
	    (nc->pid_file && strcmp(nc->pid_file, conf->pid_file))) {
		snprintf(err, sizeof(err), "pid_file cannot change without a "
		    "restart");
		goto fail;
	}
	if (nc->ratelimit_table_size != conf->ratelimit_table_size)
		log_warnx("reload: ratelimit_table_size changes at the next "
		    "restart; the table keeps its size and buckets");
	nc->foreground = conf->foreground;
	nc->pidfd = conf->pidfd;
	config_foreground(nc);
	listen_adopt(nc, conf);
	if (listen_open(nc) == -1) {
		listen_unadopt(nc, conf);
		snprintf(err, sizeof(err), "cannot listen on a new address");
		goto fail;
	}
	if (strcmp(nc->access_log, conf->access_log) != 0 &&
	    accesslog_open(nc->access_log) == -1) {
		listen_unadopt(nc, conf);
		snprintf(err, sizeof(err), "cannot open access log %s",
		    nc->access_log);
		goto fail;
	}
	if (stats_listen(nc, conf) == -1) {	/* metrics_listen */
		listen_unadopt(nc, conf);
		snprintf(err, sizeof(err), "cannot listen for metrics");
		goto fail;
	}
	if (nc->drop)
		accesslog_chown(nc->uid);
	accesslog_config(nc);
	listen_close(conf);		/* addresses no longer configured */
	auth_init(nc);
	/* a reload is a rotation: tickets of the old key still resume */
	if (tls_any(nc) && tls_tickets_init(nc) == 0)
		tls_tickets_rotate(nc, time(NULL), 1);
	config_free(conf);
	free(conf);
	sb->generation = ++generation;	/* a copy: not read back */
	metrics_note_reload();		/* written, never read back */
	log_info("reloaded %s: generation %u starts; the old one finishes "
	    "within %ds", nc->file, generation, nc->reload_grace);
	signal_workers(SIGUSR2, 1);
	return (nc);
fail:
	log_warnx("reload failed: %s; keeping the running configuration", err);
	config_free(nc);
	free(nc);
	return (conf);
}

/* Does a listener of conf speak TLS (the master then makes ticket keys)? */
static int
tls_any(const struct config *conf)
{
	size_t	 i;

	for (i = 0; i < conf->nlisteners; i++)
		if (conf->listeners[i].tls)
			return (1);
	return (0);
}

/* Reopen the access log (USR1 after a rotation), then the workers'. */
static void
reopen_logs(struct config *conf)
{
	if (strcmp(conf->access_log, "syslog") == 0 ||
	    strcmp(conf->access_log, "stderr") == 0 ||
	    strcmp(conf->access_log, "off") == 0)
		return;
	if (accesslog_open(conf->access_log) == -1) {
		log_warnx("cannot reopen access log %s", conf->access_log);
		return;
	}
	if (conf->drop)
		accesslog_chown(conf->uid);
	signal_workers(SIGUSR1, 0);
	log_info("access log %s reopened", conf->access_log);
}

/*
 * Run the master loop until told to stop.  Returns the exit status for
 * main().
 */
int
master_run(struct config *conf, struct scoreboard *sb)
{
	struct pollfd	 pfd;
	char		 drain[64];
	time_t		 throttle_until = 0, old_deadline = 0, now;
	int		 rate, delay = 1, young, old_termed = 0;

	master_signals();
	log_procname("master");
	if (conf->drop)
		accesslog_chown(conf->uid);
	/* no worker yet: the scoreboard's size is still the one made */
	self = getpid();
	nslots = sb->nslots;
	if ((children = calloc(nslots, sizeof(*children))) == NULL)
		fatal("worker table");
	sb->generation = generation = 1;
	auth_init(conf);
	if (tls_any(conf) && tls_tickets_init(conf) == -1)
		fatalx("cannot make the TLS ticket keys");
	waitroom_init(conf);		/* before any worker: the channels */
	rate = conf->start_workers;	/* the first round forks them all */
	maintain(conf, sb, &rate);
	for (;;) {
		pfd.fd = sigpipe[0];
		pfd.events = POLLIN;
		if (poll(&pfd, 1, 1000) > 0)
			while (read(sigpipe[0], drain, sizeof(drain)) > 0)
				;
		if (got_term || got_quit)
			break;
		if (got_chld) {
			got_chld = 0;
			if ((young = reap(sb, 0)) > 0) {
				throttle_until = time(NULL) + delay;
				log_warnx("workers die at birth; not forking "
				    "for %ds", delay);
				delay = delay * 2 > THROTTLE_MAX ?
				    THROTTLE_MAX : delay * 2;
			}
		}
		if (got_hup) {
			struct config *before = conf;

			got_hup = 0;
			if ((conf = reload(conf, sb)) != before) {
				old_deadline = time(NULL) + conf->reload_grace;
				old_termed = 0;
				rate = conf->start_workers;
			}
		}
		if (got_usr1) {
			got_usr1 = 0;
			reopen_logs(conf);
		}
		now = time(NULL);
		tls_tickets_rotate(conf, now, 0);
		/* an old generation past its grace: end its streams now */
		if (old_deadline != 0 && now >= old_deadline && !old_termed) {
			if (signal_workers(SIGTERM, 1) > 0)
				log_warnx("old workers still busy after %ds; "
				    "telling them to stop now",
				    conf->reload_grace);
			old_termed = 1;
		} else if (old_termed && now >= old_deadline + KILL_GRACE) {
			signal_workers(SIGKILL, 1);
			old_deadline = 0;
			old_termed = 0;
		}
		waitroom_maintain(conf);	/* not held by the workers' throttle */
		if (now < throttle_until)
			continue;
		if (now - throttle_until > THROTTLE_MAX)
			delay = 1;
		maintain(conf, sb, &rate);
	}
	log_info("received %s; stopping%s", got_quit ? "SIGQUIT" :
	    got_term == SIGINT ? "SIGINT" : "SIGTERM", got_quit ?
	    " gracefully" : "");
	listen_close(conf);
	stats_close(conf);
	waitroom_stop(conf, got_quit && !got_term);
	stop_workers(conf, sb, got_quit && !got_term);
	config_free(conf);
	free(conf);
	free(children);
	children = NULL;
	return (0);
}
