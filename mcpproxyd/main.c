/*
 * mcpproxyd: start-up.  Read the configuration, bind the listening
 * sockets as root, write the locked pid file, then hand over to the
 * master, which forks the workers; workers drop root at birth.
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "mcpproxyd.h"
#include "ratelimit.h"
#include "metrics.h"
#include "pidfile.h"
#include "proctitle.h"
#include "tls.h"

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: mcpproxyd [-dnv] [-f file]\n");
	exit(1);
}

int
main(int argc, char *argv[])
{
	struct config		*conf;
	struct scoreboard	*sb;
	const char		*file = MCPPROXYD_CONF;
	char			 errbuf[1024];
	int			 ch, debug = 0, noaction = 0, verbose = 1;
	char			*pid_file;
	int			 rc, pidfd = -1;

	if (proctitle_init(argc, argv) == -1)
		err(1, "proctitle_init");
	while ((ch = getopt(argc, argv, "df:nv")) != -1) {
		switch (ch) {
		case 'd':
			debug = 1;
			break;
		case 'f':
			file = optarg;
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
	if (optind != argc)
		usage();

	if ((conf = calloc(1, sizeof(*conf))) == NULL)
		err(1, "calloc");
	if (config_load(file, conf, errbuf, sizeof(errbuf)) == -1 ||
	    resolve_user(conf, errbuf, sizeof(errbuf)) == -1 ||
	    tls_setup(conf, errbuf, sizeof(errbuf)) == -1)
		errx(1, "%s", errbuf);
	if (noaction) {
		fprintf(stderr, "configuration OK\n");
		exit(0);
	}
	log_init("mcpproxyd", debug, verbose);
	conf->foreground = debug;
	config_foreground(conf);
	/* lock first, so a second instance fails visibly and at once */
	if (conf->pid_file != NULL)
		if ((pidfd = pidfile_open(conf->pid_file, "mcpproxyd", errbuf,
		    sizeof(errbuf))) == -1)
			fatalx("%s", errbuf);
	conf->pidfd = pidfd;
	if (accesslog_open(conf->access_log) == -1)
		fatalx("cannot open access log %s", conf->access_log);
	accesslog_config(conf);
	if (listen_open(conf) == -1)
		fatalx("cannot listen; exiting");
	/* metrics: counters for both generations of a reload */
	if (conf->metrics_listen != NULL && metrics_create(2 *
	    conf->max_workers, conf->metrics_max_tools,
	    conf->metrics_max_series) == -1)
		fatal("metrics: shared memory");
	if (stats_listen(conf, NULL) == -1)
		fatalx("cannot listen for metrics; exiting");
	if (!debug && daemon(0, 0) == -1)
		fatal("daemon");
	proctitle_set("mcpproxyd: master");
	if (pidfd != -1 && pidfile_write(pidfd) == -1)
		fatal("pid file %s: write", conf->pid_file);
	(void)pool_limits(conf);	/* what stops the pool short: said now */
	/* room for two generations side by side during a reload */
	sb = scoreboard_create(2 * conf->max_workers);
	/* the rate-limit buckets, shared by every generation (ratelimit.c) */
	if (ratelimit_create(conf->ratelimit_table_size) == -1)
		fatal("rate limit table of %d buckets",
		    conf->ratelimit_table_size);
	log_info("rate limit table: %d buckets, %zu bytes",
	    ratelimit_entries(), ratelimit_bytes(conf->ratelimit_table_size));
	if ((pid_file = conf->pid_file) != NULL &&
	    (pid_file = strdup(pid_file)) == NULL)
		fatal("strdup");
	log_info("started, %zu listener%s, %d workers (at most %d)",
	    conf->nlisteners, conf->nlisteners == 1 ? "" : "s",
	    conf->start_workers, conf->max_workers);
	rc = master_run(conf, sb);
	if (pid_file != NULL)
		unlink(pid_file);
	free(pid_file);
	log_info("stopped");
	return (rc);
}
