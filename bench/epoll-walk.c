/*
 * bench/epoll-walk.c: what a new connection costs the kernel when N
 * epoll sets of busy workers (workers holding event streams, not in
 * epoll_wait) sit on the listening socket's wait queue with
 * EPOLLEXCLUSIVE, ahead of the one set that waits.  One process: N
 * epoll sets made and left alone, one thread accepting, the main
 * thread connecting and closing ROUNDS times.  See bench/RESULTS.md,
 * "Streams at scale".
 *
 *	cc -O2 -pthread -o /tmp/epoll-walk bench/epoll-walk.c
 *	for n in 0 1000 10000; do /tmp/epoll-walk $n; done
 */
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#define ROUNDS	3000

static int	 lfd, waiter;

/* The one idle worker: wait, accept, close. */
static void *
acceptor(void *arg)
{
	struct epoll_event	 ev;
	int			 c;

	for (;;)
		if (epoll_wait(waiter, &ev, 1, -1) == 1 &&
		    (c = accept(lfd, NULL, NULL)) >= 0)
			close(c);
	return (arg);
}

int
main(int argc, char *argv[])
{
	struct sockaddr_in	 sa = { .sin_family = AF_INET };
	struct epoll_event	 ev = { .events = EPOLLIN | EPOLLEXCLUSIVE };
	struct rlimit		 rl;
	struct timespec		 a, b;
	socklen_t		 sl = sizeof(sa);
	pthread_t		 t;
	int			 n, i, e, c;

	if (argc != 2 || (n = atoi(argv[1])) < 0 || n > 60000) {
		fprintf(stderr, "usage: epoll-walk N (0 to 60000)\n");
		return (2);
	}
	/* N epoll sets are N descriptors: as many as the hard limit allows */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0)) == -1 ||
	    bind(lfd, (struct sockaddr *)&sa, sl) == -1 ||
	    listen(lfd, 4096) == -1 ||
	    getsockname(lfd, (struct sockaddr *)&sa, &sl) == -1) {
		perror("listen");
		return (1);
	}
	for (i = 0; i < n; i++)		/* the busy workers, first in line */
		if ((e = epoll_create1(0)) == -1 ||
		    epoll_ctl(e, EPOLL_CTL_ADD, lfd, &ev) == -1) {
			perror("epoll");
			return (1);
		}
	if ((waiter = epoll_create1(0)) == -1 ||
	    epoll_ctl(waiter, EPOLL_CTL_ADD, lfd, &ev) == -1 ||
	    pthread_create(&t, NULL, acceptor, NULL) != 0) {
		perror("waiter");
		return (1);
	}
	usleep(100000);
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (i = 0; i < ROUNDS; i++) {
		if ((c = socket(AF_INET, SOCK_STREAM, 0)) == -1 ||
		    connect(c, (struct sockaddr *)&sa, sizeof(sa)) == -1) {
			perror("connect");
			return (1);
		}
		close(c);
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	printf("%d busy epoll sets on the listener: %.1f us per connection\n",
	    n, ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / 1e3 /
	    ROUNDS);
	return (0);
}
