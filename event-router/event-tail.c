/*
 * event-tail: prints the events of the ring as NDJSON (event-tail(1)).
 * Maps the ring read-only; never writes to it.  --follow waits on the
 * ring's futex (ringwake_wait), no polling.  A reader overrun by the writer
 * says on stderr which sequence numbers it lost, and goes on.  A closed
 * pipe (head, grep -m) ends it quietly with status 0.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "daemon.h"
#include "paths.h"
#include "ringwake.h"
#include "router.h"
#include "util.h"

extern char **environ;

struct tail_copy {
	char *tc_buf;
	size_t tc_len;
};

static int pretty;
static char *pbuf; /* the record read (ring_read_grow()) */
static size_t pcap;

static void __attribute__((noreturn)) usage(int code)
{
	fprintf(code ? stderr : stdout,
		"usage: event-tail [-fhV] [-c file] [-i name] [-n count] [--rundir dir]\n"
		"                  [--statedir dir] [--since seq] [--session id] [--event name]\n"
		"                  [--pretty]\n");
	exit(code);
}

/* stdout failed: a closed pipe is a normal end. */
static void __attribute__((noreturn)) out_failed(void)
{
	if (errno == EPIPE)
		exit(EXIT_OK);
	fprintf(stderr, "event-tail: standard output: %s\n", strerror(errno));
	exit(EXIT_RUNTIME);
}

static void
emit(const char *buf, size_t len)
{
	static char line[4096];
	size_t n;

	if (pretty) {
		n = tail_pretty(buf, len, line, sizeof(line));
		if (fwrite(line, 1, n, stdout) != n)
			out_failed();
		return;
	}
	if (fwrite(buf, 1, len, stdout) != len || putchar('\n') == EOF)
		out_failed();
}

static void
flush(void)
{
	if (fflush(stdout) == EOF)
		out_failed();
}

static void
lost(uint64_t from, uint64_t to)
{
	flush();
	fprintf(
	    stderr,
	    "event-tail: lost events %llu-%llu (overwritten in the ring before they were read)\n",
	    (unsigned long long)from, (unsigned long long)to);
}

/* Reads the next record into pbuf (grown as needed); says what was lost on
 * the way.  Returns RING_EMPTY or RING_OK. */
static enum ring_read_status
next(struct ring *r, struct ring_cursor *cur, size_t *len, uint64_t *seq)
{
	uint64_t lf, lt;
	int st;

	while ((st = ring_read_grow(r, cur, &pbuf, &pcap, len, seq, NULL, &lf, &lt)) == RING_LAPPED)
		lost(lf, lt);
	if (st == -1) {
		fprintf(stderr, "event-tail: out of memory\n");
		exit(EXIT_RUNTIME);
	}
	return (enum ring_read_status)st;
}

/* Positions cur where the output starts: after *since (lost ones said),
 * at the last *count events, else at the oldest event held. */
static void
seek_start(struct ring *r, struct ring_cursor *cur, const uint64_t *since, const uint64_t *count)
{
	const struct ring_hdr *h = ring_header(r);
	uint64_t lf, lt, start;

	if (since != NULL) {
		if (ring_seek(r, cur, *since + 1, &lf, &lt) == 1)
			lost(lf, lt);
	} else if (count != NULL) {
		start = h->last_seq >= *count ? h->last_seq - *count + 1 : 1;
		if (h->first_seq == 0)
			ring_seek_end(r, cur);
		else
			ring_seek(r, cur, start < h->first_seq ? h->first_seq : start, NULL, NULL);
	} else if (h->first_seq == 0) {
		ring_seek_end(r, cur);
	} else {
		ring_seek(r, cur, h->first_seq, NULL, NULL);
	}
}

/* -n with a filter: reads to the end, keeping the last count events that
 * match, and prints them.  Returns 0, or -1 when out of memory. */
static int
emit_last(struct ring *r, struct ring_cursor *cur, const struct tail_filter *f, uint64_t count)
{
	struct tail_copy *last = NULL, *tc;
	uint64_t seq, i, nlast = 0;
	size_t len;

	if (count > 0 && (last = calloc(count, sizeof(*last))) == NULL)
		return -1;
	while (count > 0 && next(r, cur, &len, &seq) == RING_OK) {
		if (!tail_match(f, pbuf, len))
			continue;
		tc = &last[nlast++ % count];
		free(tc->tc_buf);
		if ((tc->tc_buf = malloc(len)) == NULL)
			return -1;
		memcpy(tc->tc_buf, pbuf, len);
		tc->tc_len = len;
	}
	for (i = nlast > count ? nlast - count : 0; i < nlast; i++)
		emit(last[i % count].tc_buf, last[i % count].tc_len);
	for (i = 0; i < count && i < nlast; i++)
		free(last[i].tc_buf);
	free(last);
	if (count == 0)
		ring_seek_end(r, cur);
	return 0;
}

static uint64_t
parse_u64(const char *s, const char *what)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end != '\0' || *s == '\0' || *s == '-') {
		fprintf(stderr, "event-tail: %s %s: not a number\n", what, s);
		usage(EXIT_USAGE);
	}
	return v;
}

int
main(int argc, char *argv[])
{
	enum { O_SINCE = DAEMON_O_END, O_SESSION, O_EVENT, O_PRETTY };
	static const struct option longopts[] = {DAEMON_LONGOPTS_PATHS,
						 {"follow", no_argument, NULL, 'f'},
						 {"since", required_argument, NULL, O_SINCE},
						 {"session", required_argument, NULL, O_SESSION},
						 {"event", required_argument, NULL, O_EVENT},
						 {"pretty", no_argument, NULL, O_PRETTY},
						 {"lines", required_argument, NULL, 'n'},
						 {NULL, 0, NULL, 0}};
	struct tail_filter f = {NULL, NULL};
	struct daemon d;
	struct paths paths;
	struct ring *r;
	struct ring_cursor cur;
	uint64_t since = 0, count = 0, seq;
	int follow = 0, have_since = 0, have_n = 0, filtered, ch, rc;
	char err[1024];
	size_t len;
	uint32_t seen;

	daemon_init(&d, "event-tail", NULL);
	while ((ch = getopt_long(argc, argv, DAEMON_SHORTOPTS "fn:", longopts, NULL)) != -1) {
		if (daemon_opt(&d, ch, optarg) == 1)
			continue;
		switch (ch) {
		case 'f':
			follow = 1;
			break;
		case O_SINCE:
			since = parse_u64(optarg, "--since");
			have_since = 1;
			break;
		case O_SESSION:
			f.session = optarg;
			break;
		case O_EVENT:
			f.event = optarg;
			break;
		case O_PRETTY:
			pretty = 1;
			break;
		case 'n':
			count = parse_u64(optarg, "-n");
			have_n = 1;
			break;
		case 'h':
			usage(EXIT_OK);
		case 'V':
			printf("event-tail %s\n", HOOKWIRE_VERSION);
			return EXIT_OK;
		default:
			usage(EXIT_USAGE);
		}
	}
	if (optind != argc)
		usage(EXIT_USAGE);
	if ((rc = daemon_config(&d, environ)) != 0) {
		fprintf(stderr, "event-tail: %s\n", d.dm_err);
		daemon_close(&d);
		return rc;
	}
	{
		/* keys of an older layout, read under their new names (hookwire.conf(5)) */
		const char *w = config_warnings(d.dm_cfg), *e;

		for (; *w != '\0'; w = *e ? e + 1 : e) {
			e = w + strcspn(w, "\n");
			fprintf(stderr, "event-tail: warning: %.*s\n", (int)(e - w), w);
		}
	}
	/* only the ring's name is wanted: no directories are made */
	rc = paths_init(&paths, config_str(d.dm_cfg, NULL, "instance"), NULL, NULL, err,
			sizeof(err));
	daemon_close(&d);
	if (rc == -1) {
		fprintf(stderr, "event-tail: %s\n", err);
		return EXIT_USAGE;
	}
	signal(SIGPIPE, SIG_IGN);
	if ((r = ring_open(paths.ring_name, err, sizeof(err))) == NULL) {
		fprintf(stderr, "event-tail: %s\n", err);
		return EXIT_RUNTIME;
	}

	filtered = f.session != NULL || f.event != NULL;
	seek_start(r, &cur, have_since ? &since : NULL, have_n && !filtered ? &count : NULL);
	if (have_n && filtered && emit_last(r, &cur, &f, count) == -1)
		return EXIT_RUNTIME;
	for (;;) {
		seen = ring_notify_value(r);
		while (next(r, &cur, &len, &seq) == RING_OK)
			if (tail_match(&f, pbuf, len))
				emit(pbuf, len);
		flush();
		if (!follow)
			break;
		if (ringwake_wait(r, seen, -1) == -1) {
			fprintf(stderr, "event-tail: futex wait: %s\n", strerror(errno));
			return EXIT_RUNTIME;
		}
	}
	ring_close(r);
	free(pbuf);
	return EXIT_OK;
}
