/*
 * ingest-bench: drives the router's ingest socket (interface 2).
 *
 *   ingest-bench [-c CONNS] [-n EVENTS] [-r RATE] [-s SIZE] [-w WINDOW] SOCKET
 *
 * Writes EVENTS canonical events (id: 32 hex digits, unique per run; ts: the
 * time the line is written; event; data: an object padded so that the line is
 * about SIZE bytes, with a counter so that no two events have the same
 * content) over CONNS connections to SOCKET, and reads one reply line per
 * event.  Without -r, each connection keeps up to WINDOW events in flight
 * (pipelining): this measures throughput.  With -r, events go out at RATE per
 * second in total (spread over the connections), as hooks would send them:
 * this is the event source of the fan-out benchmarks.  Prints one JSON
 * object: events/s, reply counts by status, ack round-trip percentiles (time
 * from writing a line to reading its reply).
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <sys/prctl.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define IB_CONNS_MAX 64
#define IB_LINE_MAX  65536

struct ib_conn {
	int fd;
	uint64_t sent, acked; /* events written, replies read */
	uint64_t quota;	      /* events this connection sends */
	int64_t *t_sent;      /* write time per event, indexed by local number */
	char *out;	      /* pending output */
	size_t outlen, outoff;
	char in[IB_LINE_MAX];
	size_t inlen;
};

static char ib_run[17];
static size_t ib_size = 1024;
static uint64_t ib_accepted, ib_duplicate, ib_rejected, ib_seq_counter;
static int64_t *ib_rtt;
static uint64_t ib_nrtt;

static int64_t
ib_mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int64_t
ib_real_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int
ib_cmp(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/* Formats one event line of about ib_size bytes into buf; returns its length. */
static size_t
ib_format(char *buf, size_t buflen, uint64_t n)
{
	char ts[96];
	struct tm tm;
	int64_t now = ib_real_us();
	time_t sec = (time_t)(now / 1000000);
	size_t len, pad;
	int r;

	gmtime_r(&sec, &tm);
	snprintf(ts, sizeof(ts), "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(now % 1000000));
	r = snprintf(
	    buf, buflen,
	    "{\"id\":\"%s%016llx\",\"ts\":\"%s\",\"event\":\"PostToolUse\","
	    "\"session_id\":\"bench-%s\",\"tool\":\"Bash\",\"tool_use_id\":\"toolu_%llu\","
	    "\"cwd\":\"/home/user/project\",\"data\":{\"hook_event_name\":\"PostToolUse\","
	    "\"session_id\":\"bench-%s\",\"tool_name\":\"Bash\",\"tool_input\":{\"command\":"
	    "\"git log --oneline -n 20 && make -j2 test\",\"description\":\"Run the tests\"},"
	    "\"tool_response\":{\"stdout\":\"",
	    ib_run, (unsigned long long)n, ts, ib_run, (unsigned long long)n, ib_run);
	len = (size_t)r;
	pad = ib_size > len + 40 ? ib_size - len - 40 : 16;
	if (len + pad + 64 > buflen)
		pad = buflen - len - 64;
	for (size_t i = 0; i < pad; i++)
		buf[len + i] = "abcdefghijklmnopqrstuvwxyz0123456789 ./-_"[(n + i * 7) % 41];
	len += pad;
	len += (size_t)snprintf(buf + len, buflen - len, "\",\"exit_code\":0,\"n\":%llu}}}\n",
				(unsigned long long)n);
	return len;
}

static void
ib_reply(struct ib_conn *c, const char *line, size_t len, int64_t now)
{
	if (len >= 20 && memmem(line, len, "\"accepted\"", 10) != NULL)
		ib_accepted++;
	else if (memmem(line, len, "\"duplicate\"", 11) != NULL)
		ib_duplicate++;
	else {
		if (ib_rejected < 3)
			fprintf(stderr, "ingest-bench: %.*s\n", (int)len, line);
		ib_rejected++;
	}
	if (c->acked < c->sent)
		ib_rtt[ib_nrtt++] = now - c->t_sent[c->acked];
	c->acked++;
}

static void
usage(void)
{
	fprintf(stderr,
		"usage: ingest-bench [-c CONNS] [-n EVENTS] [-r RATE] [-s SIZE] [-w WINDOW] "
		"SOCKET\n");
	exit(100);
}

int
main(int argc, char **argv)
{
	struct ib_conn conns[IB_CONNS_MAX];
	struct pollfd pfd[IB_CONNS_MAX];
	struct sockaddr_un sun;
	uint64_t nevents = 100000, window = 256, total_sent = 0, total_acked = 0;
	double rate = 0;
	int nconns = 4, ch, i;
	int64_t t0, t1, next_due;
	char *line;
	size_t maxline;

	while ((ch = getopt(argc, argv, "c:n:r:s:w:")) != -1) {
		switch (ch) {
		case 'c':
			nconns = atoi(optarg);
			break;
		case 'n':
			nevents = strtoull(optarg, NULL, 10);
			break;
		case 'r':
			rate = atof(optarg);
			break;
		case 's':
			ib_size = strtoul(optarg, NULL, 10);
			break;
		case 'w':
			window = strtoull(optarg, NULL, 10);
			break;
		default:
			usage();
		}
	}
	if (argc - optind != 1 || nconns < 1 || nconns > IB_CONNS_MAX || nevents < 1 ||
	    window < 1 || ib_size < 256 || ib_size > 60000 || rate < 0)
		usage();
	snprintf(ib_run, sizeof(ib_run), "%08x%08x", arc4random(), arc4random());
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlcpy(sun.sun_path, argv[optind], sizeof(sun.sun_path)) >= sizeof(sun.sun_path))
		errx(100, "socket path too long");
	if ((ib_rtt = calloc(nevents, sizeof(*ib_rtt))) == NULL)
		err(111, "calloc");
	maxline = ib_size + 1024;
	if ((line = malloc(maxline)) == NULL)
		err(111, "malloc");
	memset(conns, 0, sizeof(conns));
	for (i = 0; i < nconns; i++) {
		struct ib_conn *c = &conns[i];

		c->quota = nevents / (uint64_t)nconns + ((uint64_t)i < nevents % (uint64_t)nconns);
		if ((c->t_sent = calloc(c->quota + 1, sizeof(int64_t))) == NULL ||
		    (c->out = malloc(maxline * (rate > 0 ? 4 : window + 1))) == NULL)
			err(111, "calloc");
		if ((c->fd = socket(AF_UNIX, SOCK_STREAM, 0)) == -1)
			err(111, "socket");
		if (connect(c->fd, (struct sockaddr *)&sun, sizeof(sun)) == -1)
			err(111, "connect %s", sun.sun_path);
		fcntl(c->fd, F_SETFL, O_NONBLOCK);
	}

	/* wake when due, not up to the default 50 us later */
	if (rate > 0)
		prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
	t0 = ib_mono_us();
	next_due = t0;
	while (total_acked < nevents) {
		int64_t now = ib_mono_us();
		struct timespec ts;

		/* queue new lines */
		for (i = 0; i < nconns; i++) {
			struct ib_conn *c = &conns[i];

			for (;;) {
				if (c->sent >= c->quota)
					break;
				if (rate > 0) {
					if (now < next_due || c->outlen - c->outoff > 0)
						break;
					next_due += (int64_t)(1e6 / rate);
				} else if (c->sent - c->acked >= window) {
					break;
				}
				if (c->outoff > 0) {
					memmove(c->out, c->out + c->outoff, c->outlen - c->outoff);
					c->outlen -= c->outoff;
					c->outoff = 0;
				}
				c->outlen +=
				    ib_format(c->out + c->outlen, maxline, ib_seq_counter++);
				c->t_sent[c->sent++] = now;
				total_sent++;
				if (rate > 0)
					break;
			}
		}
		for (i = 0; i < nconns; i++) {
			pfd[i].fd = conns[i].fd;
			pfd[i].events = POLLIN | (conns[i].outoff < conns[i].outlen ? POLLOUT : 0);
		}
		/* paced: sleep until the next event is due, to the microsecond
		 * (a millisecond poll() timeout is 0 for the 50 us between
		 * events at 20,000/s, and the loop would spin a whole core
		 * that the processes measured then lack) */
		if (rate > 0 && total_sent < nevents) {
			int64_t wait = next_due - ib_mono_us();

			ts.tv_sec = wait > 0 ? wait / 1000000 : 0;
			ts.tv_nsec = wait > 0 ? (wait % 1000000) * 1000 : 0;
		}
		if (ppoll(pfd, (nfds_t)nconns, rate > 0 && total_sent < nevents ? &ts : NULL,
			  NULL) == -1 &&
		    errno != EINTR)
			err(1, "ppoll");
		now = ib_mono_us();
		for (i = 0; i < nconns; i++) {
			struct ib_conn *c = &conns[i];
			ssize_t n;

			if (pfd[i].revents & POLLOUT) {
				n = write(c->fd, c->out + c->outoff, c->outlen - c->outoff);
				if (n == -1 && errno != EAGAIN)
					err(1, "write");
				if (n > 0)
					c->outoff += (size_t)n;
			}
			if (pfd[i].revents & (POLLIN | POLLHUP | POLLERR)) {
				char *nl, *p;

				n = read(c->fd, c->in + c->inlen, sizeof(c->in) - c->inlen);
				if (n == 0)
					errx(1, "router closed the connection after %llu replies",
					     (unsigned long long)total_acked);
				if (n == -1 && errno != EAGAIN)
					err(1, "read");
				if (n > 0)
					c->inlen += (size_t)n;
				p = c->in;
				while ((nl = memchr(p, '\n', c->inlen - (size_t)(p - c->in))) !=
				       NULL) {
					ib_reply(c, p, (size_t)(nl - p), now);
					total_acked++;
					p = nl + 1;
				}
				c->inlen -= (size_t)(p - c->in);
				memmove(c->in, p, c->inlen);
			}
		}
	}
	t1 = ib_mono_us();
	qsort(ib_rtt, ib_nrtt, sizeof(*ib_rtt), ib_cmp);
	printf(
	    "{\"events\":%llu,\"conns\":%d,\"window\":%llu,\"rate_target\":%.1f,\"size\":%zu,"
	    "\"seconds\":%.3f,\"events_per_s\":%.1f,\"accepted\":%llu,\"duplicate\":%llu,"
	    "\"rejected\":%llu,\"rtt_us\":{\"p50\":%lld,\"p90\":%lld,\"p99\":%lld,\"max\":%lld}}\n",
	    (unsigned long long)nevents, nconns, (unsigned long long)window, rate, ib_size,
	    (double)(t1 - t0) / 1e6, (double)nevents * 1e6 / (double)(t1 - t0),
	    (unsigned long long)ib_accepted, (unsigned long long)ib_duplicate,
	    (unsigned long long)ib_rejected, (long long)ib_rtt[ib_nrtt / 2],
	    (long long)ib_rtt[ib_nrtt * 9 / 10], (long long)ib_rtt[ib_nrtt * 99 / 100],
	    (long long)ib_rtt[ib_nrtt - 1]);
	for (i = 0; i < nconns; i++) {
		close(conns[i].fd);
		free(conns[i].t_sent);
		free(conns[i].out);
	}
	free(line);
	free(ib_rtt);
	return ib_rejected ? 1 : 0;
}
