/*
 * event-query: the event store from the shell, NDJSON on stdout
 * (event-query(1)).  Opens the store read-only through common/store_query.c;
 * this file holds main(): options and the one query they ask for.  The
 * lines are written by output.c.
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
#include "store.h"
#include "util.h"

extern char **environ;

static void __attribute__((noreturn)) usage(int code)
{
	fprintf(code ? stderr : stdout,
		"usage: event-query [-hV] [-c file] [-i name] [--rundir dir] [--statedir dir]\n"
		"                   [--db file] [--since time | seq] [--until time | seq]\n"
		"                   [--session id] [--event name] [--tool name] [--project dir]\n"
		"                   [--agent id] [--tool-use id] [--search text | --match expr]\n"
		"                   [--highlight] [--limit n] [--sessions | --gaps | --stats]\n");
	exit(code);
}

static void __attribute__((noreturn)) bad(const char *opt, const char *arg, const char *why)
{
	fprintf(stderr, "event-query: %s %s: %s\n", opt, arg, why);
	usage(EXIT_USAGE);
}

/* A write error on stdout: a closed pipe is a normal end. */
static void __attribute__((noreturn)) out_failed(void)
{
	if (output_failed == EPIPE)
		exit(EXIT_OK);
	fprintf(stderr, "event-query: standard output: %s\n", strerror(output_failed));
	exit(EXIT_RUNTIME);
}

int
main(int argc, char *argv[])
{
	enum {
		O_DB = DAEMON_O_END,
		O_SINCE,
		O_UNTIL,
		O_SESSION,
		O_EVENT,
		O_TOOL,
		O_PROJECT,
		O_AGENT,
		O_TOOL_USE,
		O_SEARCH,
		O_MATCH,
		O_HIGHLIGHT,
		O_LIMIT,
		O_SESSIONS,
		O_GAPS,
		O_STATS
	};
	static const struct option longopts[] = {DAEMON_LONGOPTS_PATHS,
						 {"db", required_argument, NULL, O_DB},
						 {"since", required_argument, NULL, O_SINCE},
						 {"until", required_argument, NULL, O_UNTIL},
						 {"session", required_argument, NULL, O_SESSION},
						 {"event", required_argument, NULL, O_EVENT},
						 {"tool", required_argument, NULL, O_TOOL},
						 {"project", required_argument, NULL, O_PROJECT},
						 {"agent", required_argument, NULL, O_AGENT},
						 {"tool-use", required_argument, NULL, O_TOOL_USE},
						 {"search", required_argument, NULL, O_SEARCH},
						 {"match", required_argument, NULL, O_MATCH},
						 {"highlight", no_argument, NULL, O_HIGHLIGHT},
						 {"limit", required_argument, NULL, O_LIMIT},
						 {"sessions", no_argument, NULL, O_SESSIONS},
						 {"gaps", no_argument, NULL, O_GAPS},
						 {"stats", no_argument, NULL, O_STATS},
						 {NULL, 0, NULL, 0}};
	struct store_filter f;
	struct store_session_filter sf;
	struct store_query *q;
	struct daemon d;
	struct paths paths;
	const char *db = NULL, *since = NULL, *until = NULL;
	char err[1024], path[4300], *end;
	int64_t now = util_now_us(), us;
	uint64_t seq;
	unsigned long long lim;
	int ch, rc, highlight = 0, sessions = 0, gaps = 0, stats = 0;
	long n;

	memset(&f, 0, sizeof(f));
	memset(&sf, 0, sizeof(sf));
	daemon_init(&d, "event-query", NULL);
	while ((ch = getopt_long(argc, argv, DAEMON_SHORTOPTS, longopts, NULL)) != -1) {
		if (daemon_opt(&d, ch, optarg) == 1)
			continue;
		switch (ch) {
		case O_DB:
			db = optarg;
			break;
		case O_SINCE:
			since = optarg;
			break;
		case O_UNTIL:
			until = optarg;
			break;
		case O_SESSION:
			f.session = optarg;
			break;
		case O_EVENT:
			f.event = optarg;
			break;
		case O_TOOL:
			f.tool = optarg;
			break;
		case O_PROJECT:
			f.project = sf.project = optarg;
			break;
		case O_AGENT:
			f.agent = optarg;
			break;
		case O_TOOL_USE:
			f.tool_use_id = optarg;
			break;
		case O_SEARCH:
			f.search = optarg;
			break;
		case O_MATCH:
			f.match = optarg;
			break;
		case O_HIGHLIGHT:
			highlight = 1;
			break;
		case O_LIMIT:
			errno = 0;
			lim = strtoull(optarg, &end, 10);
			if (errno || *end != '\0' || *optarg == '\0' || *optarg == '-' || lim == 0)
				bad("--limit", optarg, "not a positive number");
			if (lim > STORE_LIMIT_MAX) {
				snprintf(err, sizeof(err), "at most %d", STORE_LIMIT_MAX);
				bad("--limit", optarg, err);
			}
			f.limit = sf.limit = (size_t)lim;
			break;
		case O_SESSIONS:
			sessions = 1;
			break;
		case O_GAPS:
			gaps = 1;
			break;
		case O_STATS:
			stats = 1;
			break;
		case 'h':
			usage(EXIT_OK);
		case 'V':
			printf("event-query %s\n", HOOKWIRE_VERSION);
			return EXIT_OK;
		default:
			usage(EXIT_USAGE);
		}
	}
	if (optind != argc)
		usage(EXIT_USAGE);
	if (f.search != NULL && f.match != NULL) {
		fprintf(stderr, "event-query: --search and --match exclude each other\n");
		usage(EXIT_USAGE);
	}
	if (sessions + gaps + stats > 1) {
		fprintf(stderr, "event-query: --sessions, --gaps and --stats exclude each other\n");
		usage(EXIT_USAGE);
	}
	if (highlight && f.search == NULL && f.match == NULL) {
		fprintf(stderr, "event-query: --highlight needs --search or --match\n");
		usage(EXIT_USAGE);
	}
	if (since != NULL) {
		if (store_query_parse_time(since, now, &us, &seq) == -1)
			bad("--since", since, "not a seq, a duration (2d) or an RFC 3339 time");
		f.since_seq = seq;
		f.since_us = sf.from_us = us;
		f.oldest_first = 1;
	}
	if (until != NULL) {
		if (store_query_parse_time(until, now, &us, &seq) == -1)
			bad("--until", until, "not a seq, a duration (2d) or an RFC 3339 time");
		f.before_seq = seq != 0 ? seq + 1 : 0;
		f.until_us = sf.to_us = us;
	}
	if (sessions && (f.since_seq != 0 || f.before_seq != 0)) {
		fprintf(stderr, "event-query: --sessions takes times, not seqs\n");
		usage(EXIT_USAGE);
	}
	if (highlight) {
		f.hl_open = "\xc2\xab";	 /* « */
		f.hl_close = "\xc2\xbb"; /* » */
	}

	if ((rc = daemon_config(&d, environ)) != 0) {
		fprintf(stderr, "event-query: %s\n", d.dm_err);
		daemon_close(&d);
		return rc;
	}
	{
		/* keys of an older layout, read under their new names (hookwire.conf(5)) */
		const char *w = config_warnings(d.dm_cfg), *e;

		for (; *w != '\0'; w = *e ? e + 1 : e) {
			e = w + strcspn(w, "\n");
			fprintf(stderr, "event-query: warning: %.*s\n", (int)(e - w), w);
		}
	}
	if (db == NULL) {
		rc = paths_init(&paths, config_str(d.dm_cfg, NULL, "instance"),
				daemon_nonempty(config_str(d.dm_cfg, NULL, "rundir")),
				daemon_nonempty(config_str(d.dm_cfg, NULL, "statedir")), err,
				sizeof(err));
		if (rc == -1 || store_query_path(paths.statedir, path, sizeof(path)) == -1) {
			fprintf(stderr, "event-query: %s\n", rc == -1 ? err : "path too long");
			daemon_close(&d);
			return EXIT_USAGE;
		}
		db = path;
	}
	daemon_close(&d);
	signal(SIGPIPE, SIG_IGN);
	if ((q = store_query_open(db, 0, err, sizeof(err))) == NULL) {
		fprintf(stderr, "event-query: %s\n", err);
		return EXIT_RUNTIME;
	}
	if (stats) {
		struct store_bounds b;

		n = store_query_bounds(q, &b, err, sizeof(err)) == -1 ? -1 : 0;
		if (n == 0)
			output_bounds(&b);
	} else if (sessions) {
		/* with tokens and cost, looked up for each session printed */
		struct output_sessions os = {q, err, sizeof(err), 0};

		n = store_query_sessions(q, &sf, output_session, &os, err, sizeof(err));
		if (os.os_failed)
			n = -1;
	} else if (gaps)
		n = store_query_gaps(q, f.since_seq, f.before_seq ? f.before_seq - 1 : 0,
				     output_gap, NULL, err, sizeof(err));
	else
		n = store_query_events(q, &f, output_event, NULL, err, sizeof(err));
	store_query_close(q);
	if (output_failed || output_flush() == -1)
		out_failed();
	if (n < 0) {
		fprintf(stderr, "event-query: %s\n", err);
		/* -2: a bad search text or FTS expression, the caller's mistake */
		return n == -2 ? EXIT_USAGE : EXIT_RUNTIME;
	}
	return EXIT_OK;
}
