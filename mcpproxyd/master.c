/*
 * The master: forks workers, reaps them, and keeps between min_spare
 * and max_spare of them idle (Apache prefork's idle maintenance).  It
 * never touches a client connection.  Signal handlers only set flags
 * and write to a self-pipe; everything happens in master_run's loop.
 */
#include <sys/types.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "mcpproxyd.h"

#define SPAWN_RATE_MAX	32	/* workers forked per maintenance round */
#define BIRTH_WINDOW	2	/* s: a death this young throttles forking */
#define THROTTLE_MAX	60	/* s: longest pause between such deaths */
#define STOP_GRACE	5	/* s: from TERM to KILL when stopping */

static volatile sig_atomic_t	 got_chld, got_stop, got_hup, got_usr1;
static int			 sigpipe[2] = { -1, -1 };

static void
master_sig(int sig)
{
	int	 saved = errno;

	switch (sig) {
	case SIGCHLD: got_chld = 1; break;
	case SIGHUP: got_hup = 1; break;
	case SIGUSR1: got_usr1 = 1; break;
	default: got_stop = sig; break;
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
}

/* Fork a worker into slot i.  Returns 0, or -1 if fork failed. */
static int
spawn(struct config *conf, struct scoreboard *sb, int i)
{
	struct slot	*s = &sb->slot[i];
	pid_t		 pid;
	pid_t		 master = getpid();

	memset(s, 0, sizeof(*s));
	s->generation = sb->generation;
	s->born = time(NULL);
	scoreboard_set(sb, i, SLOT_STARTING);
	switch ((pid = fork())) {
	case -1:
		log_warn("fork");
		scoreboard_set(sb, i, SLOT_EMPTY);
		return (-1);
	case 0:
		/* die with the master so that a restart can bind again */
		if (prctl(PR_SET_PDEATHSIG, SIGTERM) == -1 ||
		    getppid() != master)
			_exit(1);
		close(sigpipe[0]);
		if (conf->pidfd != -1)
			close(conf->pidfd);	/* the lock is the master's */
		s->pid = getpid();
		worker_main(conf, sb, i, sigpipe[1]);
	}
	s->pid = pid;
	return (0);
}

/* Reap dead workers; returns how many died young (throttle). */
static int
reap(struct scoreboard *sb)
{
	pid_t	 pid;
	int	 status, i, young = 0;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		for (i = 0; i < sb->nslots; i++)
			if (sb->slot[i].pid == pid)
				break;
		if (i == sb->nslots)
			continue;
		if (WIFSIGNALED(status) || (WIFEXITED(status) &&
		    WEXITSTATUS(status) != 0)) {
			/* a crash before serving anyone; not an admin's kill */
			int died_young = time(NULL) - sb->slot[i].born <
			    BIRTH_WINDOW && sb->slot[i].requests == 0 &&
			    !(WIFSIGNALED(status) && (WTERMSIG(status) ==
			    SIGKILL || WTERMSIG(status) == SIGTERM));

			young += died_young;
			if (WIFSIGNALED(status))
				log_warnx("worker %ld (gen %u) killed by "
				    "signal %d%s", (long)pid,
				    sb->slot[i].generation, WTERMSIG(status),
				    got_stop ? "" : "; respawning");
			else
				log_warnx("worker %ld (gen %u) exited with "
				    "status %d%s", (long)pid,
				    sb->slot[i].generation,
				    WEXITSTATUS(status),
				    died_young ? " at birth" : "");
		} else
			log_debug("worker %ld exited", (long)pid);
		memset(&sb->slot[i], 0, sizeof(sb->slot[i]));
	}
	return (young);
}

/*
 * One round of idle maintenance: fork when idle workers run short
 * (doubling the rate each round, as Apache does), retire one idle
 * worker when there are too many.
 */
static void
maintain(struct config *conf, struct scoreboard *sb, int *rate)
{
	int	 i, idle, total = 0, want, n = 0;

	idle = scoreboard_count(sb, SLOT_IDLE) +
	    scoreboard_count(sb, SLOT_STARTING);
	for (i = 0; i < sb->nslots; i++)
		total += sb->slot[i].pid != 0;
	if (total < conf->start_workers && idle < conf->start_workers)
		want = conf->start_workers - total;
	else
		want = conf->min_spare - idle;
	if (want > 0 && total < conf->max_workers) {
		if (want > *rate)
			want = *rate;
		for (i = 0; i < sb->nslots && n < want; i++)
			if (sb->slot[i].pid == 0 && spawn(conf, sb, i) == 0)
				n++;
		if (*rate < SPAWN_RATE_MAX)
			*rate *= 2;
		if (total + n == conf->max_workers && idle == 0)
			log_info("all %d workers busy; new connections wait "
			    "in the backlog", conf->max_workers);
		return;
	}
	*rate = 1;
	if (idle > conf->max_spare)
		for (i = sb->nslots - 1; i >= 0; i--)
			if (sb->slot[i].state == SLOT_IDLE) {
				scoreboard_set(sb, i, SLOT_EXITING);
				kill(sb->slot[i].pid, SIGTERM);
				break;
			}
}

/* Tell every worker to stop, escalating to SIGKILL after a grace. */
static void
stop_workers(struct scoreboard *sb)
{
	time_t	 deadline = time(NULL) + STOP_GRACE;
	int	 i, left;

	for (i = 0; i < sb->nslots; i++)
		if (sb->slot[i].pid != 0)
			kill(sb->slot[i].pid, SIGTERM);
	for (;;) {
		reap(sb);
		for (i = 0, left = 0; i < sb->nslots; i++)
			left += sb->slot[i].pid != 0;
		if (left == 0)
			return;
		if (time(NULL) >= deadline)
			break;
		poll(NULL, 0, 50);
	}
	log_warnx("%d workers still busy after %ds; killing them", left,
	    STOP_GRACE);
	for (i = 0; i < sb->nslots; i++)
		if (sb->slot[i].pid != 0)
			kill(sb->slot[i].pid, SIGKILL);
	while (waitpid(-1, NULL, 0) > 0)
		;
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
	time_t		 throttle_until = 0, now;
	int		 rate = 1, delay = 1, young;

	master_signals();
	log_procname("master");
	sb->generation = 1;
	rate = conf->start_workers;	/* the first round forks them all */
	maintain(conf, sb, &rate);
	for (;;) {
		pfd.fd = sigpipe[0];
		pfd.events = POLLIN;
		if (poll(&pfd, 1, 1000) > 0)
			while (read(sigpipe[0], drain, sizeof(drain)) > 0)
				;
		if (got_stop)
			break;
		if (got_chld) {
			got_chld = 0;
			if ((young = reap(sb)) > 0) {
				throttle_until = time(NULL) + delay;
				log_warnx("workers die at birth; not forking "
				    "for %ds", delay);
				delay = delay * 2 > THROTTLE_MAX ?
				    THROTTLE_MAX : delay * 2;
			}
		}
		if (got_hup) {
			got_hup = 0;
			log_warnx("SIGHUP: reload is not supported by this "
			    "version; restart to apply a new configuration");
		}
		if (got_usr1) {
			got_usr1 = 0;
			log_warnx("SIGUSR1: log reopening is not supported by "
			    "this version");
		}
		now = time(NULL);
		if (now < throttle_until)
			continue;
		if (now - throttle_until > THROTTLE_MAX)
			delay = 1;
		maintain(conf, sb, &rate);
	}
	log_info("received signal %d; stopping", (int)got_stop);
	listen_close(conf);
	stop_workers(sb);
	return (0);
}
