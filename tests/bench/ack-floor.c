/*
 * ack-floor: the floor under hook-capture's "start to ack" on this machine.
 * A fresh process (static-pie, as hook-capture is) that does nothing but
 * what any hook must: connect to a Unix socket, send SIZE bytes it has in
 * memory, and wait for a one-line ack from a server that does nothing but
 * answer (an epoll loop, no JSON, no journal, no ring).  The time from its
 * main() to the ack is what the kernel and the machine charge for that:
 * a process's first touches of fresh pages (page faults) and two wake-ups.
 * hook-capture's in-process figure can be read against it.
 *
 *   ack-floor [-n RUNS] [-s SIZE]
 *
 * Starts the server as a child process on a socket in a new temporary
 * directory, then execs itself RUNS times (default 300) as a client, one at
 * a time, and prints one JSON object: {size, runs, median_us, p10_us,
 * p90_us, p99_us}.  Stops the server by pid and removes the directory.
 */
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <err.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define ACK_FLOOR_SIZE_MAX (1 << 20) /* bytes a client sends, at most */
#define ACK_FLOOR_READ	   (256 * 1024)
#define ACK_FLOOR_RUNS_MAX 100000
#define ACK_FLOOR_ACK	   "{\"status\":\"accepted\",\"seq\":1}\n"

static char ack_floor_payload[ACK_FLOOR_SIZE_MAX]; /* .bss: fresh pages, as a hook's input */

static int64_t
ack_floor_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int
ack_floor_cmp(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/* The server: answers every read that holds a newline with ACK_FLOOR_ACK. */
static void
ack_floor_serve(int l)
{
	static char buf[ACK_FLOOR_READ];
	struct epoll_event ev = {.events = EPOLLIN, .data.fd = l}, evs[16];
	int ep, n, i, fd;
	ssize_t r;

	if ((ep = epoll_create1(EPOLL_CLOEXEC)) == -1 || epoll_ctl(ep, EPOLL_CTL_ADD, l, &ev) == -1)
		err(1, "epoll");
	for (;;) {
		if ((n = epoll_wait(ep, evs, 16, -1)) == -1) {
			if (errno == EINTR)
				continue;
			err(1, "epoll_wait");
		}
		for (i = 0; i < n; i++) {
			fd = evs[i].data.fd;
			if (fd == l) {
				if ((fd = accept4(l, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) ==
				    -1)
					continue;
				ev.data.fd = fd;
				if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) == -1)
					close(fd);
				continue;
			}
			if ((r = read(fd, buf, sizeof(buf))) <= 0) {
				if (r == -1 && errno == EAGAIN)
					continue;
				close(fd);
				continue;
			}
			if (memchr(buf, '\n', (size_t)r) != NULL &&
			    write(fd, ACK_FLOOR_ACK, sizeof(ACK_FLOOR_ACK) - 1) == -1)
				close(fd);
		}
	}
}

/* A client run: prints microseconds from main to the ack. */
static int
ack_floor_client(int64_t t0, const char *path, size_t size)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	char ack[64];
	size_t off;
	ssize_t w;
	int s;

	if (strlen(path) >= sizeof(sa.sun_path) || size < 1 || size > ACK_FLOOR_SIZE_MAX)
		return 2;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	if ((s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1 ||
	    connect(s, (struct sockaddr *)&sa, sizeof(sa)) == -1)
		return 1;
	/* the payload written in full, as a hook's input is read in full */
	memset(ack_floor_payload, 'x', size - 1);
	ack_floor_payload[size - 1] = '\n';
	for (off = 0; off < size; off += (size_t)w)
		if ((w = send(s, ack_floor_payload + off, size - off, MSG_NOSIGNAL)) <= 0)
			return 1;
	if (read(s, ack, sizeof(ack)) <= 0)
		return 1;
	printf("%lld\n", (long long)(ack_floor_us() - t0));
	return 0;
}

int
main(int argc, char **argv)
{
	int64_t t0 = ack_floor_us(), *us;
	char dir[] = "/tmp/ack-floor.XXXXXX", path[PATH_MAX], size_s[32], line[64];
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	long runs = 300, size = 1024, n = 0, i;
	pid_t server, c;
	FILE *f;
	int ch, l, p[2], st;

	if (argc == 4 && strcmp(argv[1], "--client") == 0)
		return ack_floor_client(t0, argv[2], (size_t)strtoul(argv[3], NULL, 10));
	while ((ch = getopt(argc, argv, "n:s:h")) != -1) {
		switch (ch) {
		case 'n':
			runs = strtol(optarg, NULL, 10);
			break;
		case 's':
			size = strtol(optarg, NULL, 10);
			break;
		default:
			fprintf(stderr, "usage: ack-floor [-n RUNS] [-s SIZE]\n");
			return ch == 'h' ? 0 : 2;
		}
	}
	if (runs < 1 || runs > ACK_FLOOR_RUNS_MAX || size < 1 || size > ACK_FLOOR_SIZE_MAX)
		errx(2, "-n 1 to %d, -s 1 to %d", ACK_FLOOR_RUNS_MAX, ACK_FLOOR_SIZE_MAX);
	if (mkdtemp(dir) == NULL)
		err(1, "mkdtemp");
	snprintf(path, sizeof(path), "%s/s", dir);
	snprintf(size_s, sizeof(size_s), "%ld", size);
	memcpy(sa.sun_path, path, strlen(path) + 1);
	if ((l = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1 ||
	    bind(l, (struct sockaddr *)&sa, sizeof(sa)) == -1 || listen(l, 128) == -1)
		err(1, "listen on %s", path);
	if ((server = fork()) == -1)
		err(1, "fork");
	if (server == 0)
		ack_floor_serve(l);
	close(l);
	if ((us = calloc((size_t)runs, sizeof(*us))) == NULL)
		err(1, "calloc");
	for (i = 0; i < runs; i++) {
		if (pipe(p) == -1 || (c = fork()) == -1)
			err(1, "fork");
		if (c == 0) {
			dup2(p[1], STDOUT_FILENO);
			close(p[0]);
			close(p[1]);
			execl("/proc/self/exe", argv[0], "--client", path, size_s, (char *)NULL);
			_exit(127);
		}
		close(p[1]);
		f = fdopen(p[0], "r");
		if (f != NULL && fgets(line, sizeof(line), f) != NULL)
			us[n++] = strtoll(line, NULL, 10);
		if (f != NULL)
			fclose(f);
		waitpid(c, &st, 0);
	}
	kill(server, SIGTERM);
	waitpid(server, &st, 0);
	unlink(path);
	rmdir(dir);
	if (n == 0)
		errx(1, "no client run reached its ack");
	qsort(us, (size_t)n, sizeof(*us), ack_floor_cmp);
	printf("{\"size\":%ld,\"runs\":%ld,\"median_us\":%lld,\"p10_us\":%lld,\"p90_us\":%lld,"
	       "\"p99_us\":%lld}\n",
	       size, n, (long long)us[n / 2], (long long)us[n / 10], (long long)us[n * 9 / 10],
	       (long long)us[n * 99 / 100]);
	free(us);
	return 0;
}
