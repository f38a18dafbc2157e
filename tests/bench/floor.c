/*
 * floor: what this machine's kernel charges for the gateway's work, with no
 * gateway involved.  The fan-out bars of ws-gateway are CPU-seconds per
 * million delivered messages and hook-to-client latency; both have a floor
 * set by the kernel (a loopback TCP send, a wake-up of another process)
 * that no server can go under.  This measures that floor, so that the
 * gateway's figures can be read as a ratio to it.
 *
 *   floor [-n CONNS] [-r RATE] [-e EVENTS] [-s SIZE] [-k WAKES]
 *
 * send: CONNS loopback TCP connections (TCP_NODELAY on the sending side, as
 * the gateway sets it); a child process reads every connection with epoll,
 * as a load generator would; the parent writes one SIZE-byte message to
 * every connection per event, EVENTS events at RATE per second, with one
 * send(2) per message (the least a server that does not batch can do).
 * Reports the parent's CPU-seconds per million messages (getrusage) and the
 * time one event takes to go out to all CONNS (the fan-out pass).
 *
 * wake: two processes bounce one byte over a pair of pipes WAKES times, a
 * gap of 1000/RATE ms between bounces (the machine goes idle in between, as
 * it does between hooks); reports the one-way wake-up latency (half a round
 * trip).  A hook's event crosses four such wake-ups on its way to a client
 * (hook-capture -> router -> gateway waker -> gateway loop -> client).
 *
 * Prints one JSON object.
 */
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define FLOOR_CONNS_MAX 20000

static int64_t
floor_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static double
floor_cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec +
	       ru.ru_stime.tv_usec / 1e6;
}

static void
floor_sleep_until(int64_t t)
{
	struct timespec ts = {t / 1000000000, t % 1000000000};

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

static int
floor_cmp(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

static int64_t
floor_pct(int64_t *v, size_t n, double p)
{
	size_t i;

	if (n == 0)
		return 0;
	i = (size_t)(p * (double)(n - 1) + 0.5);
	return v[i];
}

/* The reader: drains every connection until each has seen want bytes. */
static void
floor_reader(int *fds, int n, uint64_t want)
{
	struct epoll_event ev, evs[256];
	uint64_t got = 0, total = want * (uint64_t)n;
	char buf[65536];
	int ep, i, k;
	ssize_t r;

	if ((ep = epoll_create1(0)) < 0)
		err(111, "epoll_create1");
	for (i = 0; i < n; i++) {
		ev.events = EPOLLIN;
		ev.data.fd = fds[i];
		if (epoll_ctl(ep, EPOLL_CTL_ADD, fds[i], &ev) < 0)
			err(111, "epoll_ctl");
	}
	while (got < total) {
		if ((k = epoll_wait(ep, evs, 256, 30000)) <= 0)
			break; /* the writer is gone or stuck: stop */
		for (i = 0; i < k; i++)
			while ((r = read(evs[i].data.fd, buf, sizeof(buf))) > 0)
				got += (uint64_t)r;
	}
	_exit(got == total ? 0 : 1);
}

static void
floor_send(int n, int rate, int events, size_t size)
{
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	int lfd, one = 1, i, e, *srv, *cli, status, eagain = 0;
	int64_t t0, t, *pass;
	double c0, cpu;
	char *msg;
	pid_t pid;

	if ((srv = calloc((size_t)n, sizeof(int))) == NULL ||
	    (cli = calloc((size_t)n, sizeof(int))) == NULL ||
	    (pass = calloc((size_t)events, sizeof(int64_t))) == NULL ||
	    (msg = malloc(size)) == NULL)
		err(111, "calloc");
	memset(msg, 'x', size);
	if ((lfd = socket(AF_INET, SOCK_STREAM, 0)) < 0)
		err(111, "socket");
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(lfd, 4096) < 0 ||
	    getsockname(lfd, (struct sockaddr *)&sa, &sl) < 0)
		err(111, "listen");
	for (i = 0; i < n; i++) {
		if ((cli[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0)) < 0)
			err(111, "socket (raise the descriptor limit for %d connections)", n);
		if (connect(cli[i], (struct sockaddr *)&sa, sizeof(sa)) < 0 && errno != EINPROGRESS)
			err(111, "connect");
		if ((srv[i] = accept4(lfd, NULL, NULL, SOCK_NONBLOCK)) < 0)
			err(111, "accept");
		setsockopt(srv[i], IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	}
	close(lfd);
	if ((pid = fork()) < 0)
		err(111, "fork");
	if (pid == 0) {
		for (i = 0; i < n; i++)
			close(srv[i]);
		floor_reader(cli, n, (uint64_t)events * size);
	}
	for (i = 0; i < n; i++)
		close(cli[i]);
	c0 = floor_cpu_s();
	t0 = floor_mono_ns();
	for (e = 0; e < events; e++) {
		floor_sleep_until(t0 + (int64_t)e * 1000000000 / rate);
		t = floor_mono_ns();
		for (i = 0; i < n; i++)
			if (send(srv[i], msg, size, MSG_DONTWAIT | MSG_NOSIGNAL) != (ssize_t)size)
				eagain++;
		pass[e] = floor_mono_ns() - t;
	}
	cpu = floor_cpu_s() - c0;
	for (i = 0; i < n; i++)
		close(srv[i]);
	waitpid(pid, &status, 0);
	qsort(pass, (size_t)events, sizeof(*pass), floor_cmp);
	printf("\"send\":{\"conns\":%d,\"rate\":%d,\"events\":%d,\"size\":%zu,\"messages\":%lld,"
	       "\"short_sends\":%d,\"reader_ok\":%s,\"cpu_s\":%.3f,\"cpu_s_per_million\":%.3f,"
	       "\"pass_us\":{\"p50\":%lld,\"p99\":%lld,\"max\":%lld}}",
	       n, rate, events, size, (long long)n * events, eagain,
	       WIFEXITED(status) && WEXITSTATUS(status) == 0 ? "true" : "false", cpu,
	       cpu * 1e6 / ((double)n * events),
	       (long long)floor_pct(pass, (size_t)events, 0.5) / 1000,
	       (long long)floor_pct(pass, (size_t)events, 0.99) / 1000,
	       (long long)pass[events - 1] / 1000);
	free(srv);
	free(cli);
	free(pass);
	free(msg);
}

static void
floor_wake(int wakes, int rate)
{
	int a[2], b[2], k, status;
	int64_t *lat, t, t0;
	char c = 'x';
	pid_t pid;

	if ((lat = calloc((size_t)wakes, sizeof(*lat))) == NULL)
		err(111, "calloc");
	if (pipe(a) < 0 || pipe(b) < 0)
		err(111, "pipe");
	if ((pid = fork()) < 0)
		err(111, "fork");
	if (pid == 0) {
		close(a[1]);
		close(b[0]);
		while (read(a[0], &c, 1) == 1)
			if (write(b[1], &c, 1) != 1)
				_exit(1);
		_exit(0);
	}
	close(a[0]);
	close(b[1]);
	t0 = floor_mono_ns();
	for (k = 0; k < wakes; k++) {
		floor_sleep_until(t0 + (int64_t)k * 1000000000 / rate);
		t = floor_mono_ns();
		if (write(a[1], &c, 1) != 1 || read(b[0], &c, 1) != 1)
			errx(1, "wake: the other process is gone");
		lat[k] = (floor_mono_ns() - t) / 2;
	}
	close(a[1]);
	waitpid(pid, &status, 0);
	qsort(lat, (size_t)wakes, sizeof(*lat), floor_cmp);
	printf("\"wake\":{\"wakes\":%d,\"gap_ms\":%.1f,\"one_way_us\":{\"p50\":%.1f,\"p99\":%.1f,"
	       "\"max\":%.1f}}",
	       wakes, 1000.0 / rate, floor_pct(lat, (size_t)wakes, 0.5) / 1000.0,
	       floor_pct(lat, (size_t)wakes, 0.99) / 1000.0, lat[wakes - 1] / 1000.0);
	free(lat);
}

static void
floor_usage(void)
{
	fprintf(stderr, "usage: floor [-n CONNS] [-r RATE] [-e EVENTS] [-s SIZE] [-k WAKES]\n");
	exit(100);
}

int
main(int argc, char **argv)
{
	int ch, n = 1000, rate = 200, events = 1200, wakes = 300;
	long size = 700;

	while ((ch = getopt(argc, argv, "n:r:e:s:k:h")) != -1) {
		switch (ch) {
		case 'n':
			n = atoi(optarg);
			break;
		case 'r':
			rate = atoi(optarg);
			break;
		case 'e':
			events = atoi(optarg);
			break;
		case 's':
			size = atol(optarg);
			break;
		case 'k':
			wakes = atoi(optarg);
			break;
		default:
			floor_usage();
		}
	}
	if (n < 1 || n > FLOOR_CONNS_MAX || rate < 1 || events < 1 || size < 1 || size > 65536 ||
	    wakes < 1)
		floor_usage();
	signal(SIGPIPE, SIG_IGN);
	printf("{");
	floor_send(n, rate, events, (size_t)size);
	fflush(stdout);
	printf(",");
	floor_wake(wakes, rate > 50 ? 50 : rate);
	printf("}\n");
	return 0;
}
