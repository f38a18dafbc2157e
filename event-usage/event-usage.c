/*
 * event-usage: follows the ring, reads the Claude Code transcripts that
 * hook events name, and sends one usage event per assistant message to
 * the router (event-usage(8)).  This file holds main(): options,
 * configuration, start-up order and shutdown; the loop is follow.c, the
 * sessions session.c, the transcript reader transcript.c, the price table
 * prices.c, the totals and events tally.c, the state state.c.
 *
 * A stage of its own rather than a job of the router: transcript reads are
 * file I/O of unbounded size on files that lag the hooks, and they must
 * never stall the router's ingest path.  Here they cost the router one
 * more producer on its ingest socket, like hook-capture.
 */
#include <getopt.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "daemon.h"
#include "log.h"
#include "paths.h"
#include "ring.h"
#include "usage.h"
#include "util.h"

extern char **environ;

static int ready_fd = -1;
static const char *prices_flag;
static struct config *cfg;
static struct sessions *sessions;

static void __attribute__((noreturn)) usage(int code)
{
	fprintf(code ? stderr : stdout,
		"usage: event-usage [-hV] [-c file] [-i name] [--rundir dir] [--statedir dir]\n"
		"                   [--readiness-fd fd] [--log-file file] [--log-level level]\n"
		"                   [--user user] [--prices file] [--enabled]\n");
	exit(code);
}

static void
ready(void *arg)
{
	(void)arg;
	if (util_readiness(ready_fd) == -1)
		log_warn("readiness", "%s: readiness fd %d", __func__, ready_fd);
	ready_fd = -1;
}

/* The price table usage.prices_file names, or the user's and the shipped one. */
static struct prices *
load_prices(char *err, size_t errlen)
{
	char desc[2048];
	struct prices *ps;

	ps = prices_open(config_str(cfg, "usage", "prices_file"), desc, sizeof(desc), err, errlen);
	if (ps != NULL)
		log_info("%s: %zu rows from %s", __func__, prices_count(ps), desc);
	return ps;
}

/* SIGHUP: a new table, or the old one kept when the file is bad. */
static void
reload_prices(void *arg)
{
	struct prices *ps;
	char err[1024];

	(void)arg;
	if ((ps = load_prices(err, sizeof(err))) == NULL) {
		log_warnx("bad_prices", "%s: %s; the table in use is kept", __func__, err);
		return;
	}
	sessions_set_prices(sessions, ps);
}

/* usage.reread_ms into o.  Returns 0 or -1 with err. */
static int
parse_sched(const char *list, struct sessions_opts *o, char *err, size_t errlen)
{
	char buf[256], *item, *save = NULL, *end;
	long v;

	o->so_nsched = 0;
	if (snprintf(buf, sizeof(buf), "%s", list) >= (int)sizeof(buf))
		goto bad;
	for (item = strtok_r(buf, ",", &save); item != NULL; item = strtok_r(NULL, ",", &save)) {
		v = strtol(item, &end, 10);
		if (end == item || *end != '\0' || v < 10 || v > 600000 ||
		    o->so_nsched == SESSIONS_SCHED_MAX)
			goto bad;
		o->so_sched[o->so_nsched++] = (int)v;
	}
	return 0;
bad:
	snprintf(err, errlen,
		 "usage.reread_ms %s: expected up to %d delays of 10 to 600000 ms, "
		 "comma-separated",
		 list, SESSIONS_SCHED_MAX);
	return -1;
}

int
main(int argc, char *argv[])
{
	enum { O_PRICES = DAEMON_O_END, O_ENABLED };
	static const struct option longopts[] = {DAEMON_LONGOPTS,
						 {"prices", required_argument, NULL, O_PRICES},
						 {"enabled", no_argument, NULL, O_ENABLED},
						 {NULL, 0, NULL, 0}};
	struct sessions_opts so;
	struct follow_opts fo;
	struct follow *fw;
	struct daemon d;
	struct prices *ps;
	struct ring *r;
	struct passwd *pw;
	char err[1024], host[256], username[256];
	const char *user;
	int ch, rc, enabled_only = 0;

	daemon_init(&d, "event-usage", "usage");
	while ((ch = getopt_long(argc, argv, DAEMON_SHORTOPTS, longopts, NULL)) != -1) {
		if ((rc = daemon_opt(&d, ch, optarg)) == -1) {
			fprintf(stderr, "event-usage: %s\n", d.dm_err);
			usage(EXIT_USAGE);
		} else if (rc == 1)
			continue;
		switch (ch) {
		case O_PRICES:
			prices_flag = optarg;
			break;
		case O_ENABLED:
			enabled_only = 1;
			break;
		case 'h':
			usage(EXIT_OK);
		case 'V':
			printf("event-usage %s\n", HOOKWIRE_VERSION);
			return EXIT_OK;
		default:
			usage(EXIT_USAGE);
		}
	}
	if (optind != argc)
		usage(EXIT_USAGE);
	ready_fd = d.dm_ready_fd;

	/* configuration: defaults, file, environment, then flags */
	if ((rc = daemon_config(&d, environ)) != 0) {
		fprintf(stderr, "event-usage: %s\n", d.dm_err);
		daemon_close(&d);
		return rc;
	}
	cfg = d.dm_cfg;
	if (prices_flag != NULL &&
	    config_set(cfg, "usage", "prices_file", prices_flag, err, sizeof(err)) == -1) {
		fprintf(stderr, "event-usage: %s\n", err);
		daemon_close(&d);
		return EXIT_USAGE;
	}
	if (enabled_only) {
		/* for the supervisor: is the stage on? */
		rc = config_bool(cfg, "usage", "enabled") ? EXIT_OK : EXIT_RUNTIME;
		daemon_close(&d);
		return rc;
	}
	memset(&so, 0, sizeof(so));
	if (parse_sched(config_str(cfg, "usage", "reread_ms"), &so, err, sizeof(err)) == -1) {
		fprintf(stderr, "event-usage: %s\n", err);
		daemon_close(&d);
		return EXIT_USAGE;
	}
	if ((rc = daemon_log(&d)) != 0) {
		fprintf(stderr, "event-usage: %s\n", d.dm_err);
		daemon_close(&d);
		return rc;
	}
	/* keys of an older layout, read under their new names (hookwire.conf(5)) */
	log_lines(LOGL_WARN, "config_renamed", config_warnings(d.dm_cfg));
	/* a bad price file stops start-up, with its line */
	if ((ps = load_prices(err, sizeof(err))) == NULL)
		fatalx(EXIT_USAGE, "bad_prices", "%s", err);
	/* paths, directories, and one event-usage per instance */
	if ((rc = daemon_start(&d)) != 0)
		fatalx(rc, d.dm_reason, "%s", d.dm_err);
	signal(SIGPIPE, SIG_IGN);
	if (daemon_drop_privileges(&d) == -1)
		fatalx(EXIT_SYSCALL, d.dm_reason, "%s", d.dm_err);
	if ((r = ring_open(d.dm_paths.ring_name, err, sizeof(err))) == NULL)
		fatalx(EXIT_RUNTIME, "ring", "%s (is event-router running?)", err);

	memset(&fo, 0, sizeof(fo));
	fo.fo_ingest = d.dm_paths.ingest_sock;
	fo.fo_ack_ms = (int)config_int(cfg, "usage", "ack_timeout_ms");
	fo.fo_reload = reload_prices;
	if ((fw = follow_new(&fo)) == NULL)
		fatalx(EXIT_SYSCALL, "oom", "out of memory");
	if (gethostname(host, sizeof(host)) == -1)
		host[0] = '\0';
	host[sizeof(host) - 1] = '\0';
	/* as hook-capture names the user: the passwd entry, else $USER */
	user = (pw = getpwuid(getuid())) != NULL ? pw->pw_name : getenv("USER");
	snprintf(username, sizeof(username), "%s", user != NULL ? user : "");
	so.so_statedir = d.dm_paths.statedir;
	so.so_line_max = (size_t)config_int(cfg, "usage", "line_max");
	so.so_keep_days = (int)config_int(cfg, "usage", "keep_days");
	so.so_host = host[0] != '\0' ? host : NULL;
	so.so_user = username[0] != '\0' ? username : NULL;
	so.so_emit = follow_emit;
	so.so_arg = fw;
	if ((sessions = sessions_new(&so, ps, err, sizeof(err))) == NULL)
		fatalx(EXIT_SYSCALL, "state", "%s", err);
	log_info("%s: instance %s, ring %s, ingest %s, state %s/usage", __func__,
		 d.dm_paths.instance, d.dm_paths.ring_name, d.dm_paths.ingest_sock,
		 d.dm_paths.statedir);

	follow_run(fw, r, sessions, ready, NULL);

	sessions_free(sessions);
	follow_free(fw);
	ring_close(r);
	log_info("%s: stopped", __func__);
	daemon_close(&d);
	return EXIT_OK;
}
