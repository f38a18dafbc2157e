/*
 * event-store: keeps every event of the ring once in an SQLite store with
 * full-text search and retention, so that history outlives the ring
 * (event-store(8)).  This file holds main(): options, configuration,
 * start-up order, signals and shutdown; the work is in follow.c (the
 * follower thread), writer.c, fill.c, retain.c, schema.c, row.c and
 * rowscan.c.
 *
 * The main thread only waits for signals (sigwait): SIGTERM and SIGINT stop
 * the follower after its commit, SIGHUP reopens the log, SIGUSR1 logs a
 * status line.  The follower thread owns the database and the ring.
 */
#include <sys/resource.h>
#include <sys/stat.h>

#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "daemon.h"
#include "log.h"
#include "paths.h"
#include "store.h"
#include "util.h"

extern char **environ;

static void __attribute__((noreturn)) usage(int code)
{
	fprintf(code ? stderr : stdout,
		"usage: event-store [-hV] [-c file] [-i name] [--rundir dir] [--statedir dir]\n"
		"                   [--readiness-fd fd] [--log-file file] [--log-level level]\n"
		"                   [--user user] [--rebuild | --enabled]\n");
	exit(code);
}

int
main(int argc, char *argv[])
{
	enum { O_REBUILD = DAEMON_O_END, O_ENABLED };
	static const struct option longopts[] = {DAEMON_LONGOPTS,
						 {"rebuild", no_argument, NULL, O_REBUILD},
						 {"enabled", no_argument, NULL, O_ENABLED},
						 {NULL, 0, NULL, 0}};
	struct daemon d;
	struct config *cfg;
	struct follow_opts fo;
	struct follow *f;
	sigset_t sigs;
	char err[1024], dir[4200], db[4300];
	int ch, rc, sig, rebuild = 0, enabled = 0;

	daemon_init(&d, "event-store", "store");
	while ((ch = getopt_long(argc, argv, DAEMON_SHORTOPTS, longopts, NULL)) != -1) {
		if ((rc = daemon_opt(&d, ch, optarg)) == -1) {
			fprintf(stderr, "event-store: %s\n", d.dm_err);
			usage(EXIT_USAGE);
		} else if (rc == 1)
			continue;
		switch (ch) {
		case O_REBUILD:
			rebuild = 1;
			break;
		case O_ENABLED:
			enabled = 1;
			break;
		case 'h':
			usage(EXIT_OK);
		case 'V':
			printf("event-store %s\n", HOOKWIRE_VERSION);
			return EXIT_OK;
		default:
			usage(EXIT_USAGE);
		}
	}
	if (optind != argc)
		usage(EXIT_USAGE);

	/* configuration: defaults, file, environment, then flags */
	if ((rc = daemon_config(&d, environ)) != 0) {
		fprintf(stderr, "event-store: %s\n", d.dm_err);
		daemon_close(&d);
		return rc;
	}
	cfg = d.dm_cfg;
	if (enabled) {
		/* for the supervisor: is the stage on? */
		rc = config_bool(cfg, "store", "enabled") ? EXIT_OK : EXIT_RUNTIME;
		daemon_close(&d);
		return rc;
	}
	memset(&fo, 0, sizeof(fo));
	schema_opts_default(&fo.schema);
	retain_opts_default(&fo.retain);
	fo.writer.batch_max = (size_t)config_int(cfg, "store", "batch");
	fo.writer.text_max = (size_t)config_int(cfg, "store", "text_max");
	fo.commit_ms = (int)config_int(cfg, "store", "commit_ms");
	fo.index_chunk = 1000;
	fo.retain.keep_us = config_int(cfg, "store", "keep_days") * 86400LL * 1000000;
	fo.retain.keep_bytes = (uint64_t)config_int(cfg, "store", "keep_bytes");
	fo.retain.free_reserve = retain_reserve_bytes(fo.retain.keep_bytes);

	if ((rc = daemon_log(&d)) != 0) {
		fprintf(stderr, "event-store: %s\n", d.dm_err);
		daemon_close(&d);
		return rc;
	}
	/* keys of an older layout, read under their new names (hookwire.conf(5)) */
	log_lines(LOGL_WARN, "config_renamed", config_warnings(d.dm_cfg));
	/* paths, directories, and one store process per instance (--rebuild too) */
	if ((rc = daemon_start(&d)) != 0)
		fatalx(rc, d.dm_reason, "%s", d.dm_err);
	if (daemon_drop_privileges(&d) == -1)
		fatalx(EXIT_SYSCALL, d.dm_reason, "%s", d.dm_err);
	/* below the router and the gateway: when the cores are busy they keep
	 * their latency, and the ring and the journal hold what the store has
	 * not read yet */
	{
		int want = (int)config_int(cfg, "store", "nice"), now;

		/* already there (systemd's Nice=, a nice(1) before): no call, none
		 * a system call filter may refuse */
		errno = 0;
		now = getpriority(PRIO_PROCESS, 0);
		if ((now == -1 && errno != 0) || now < want)
			if (setpriority(PRIO_PROCESS, 0, want) == -1)
				log_warn("nice", "%s: setpriority", __func__);
	}
#ifdef SCHED_IDLE
	/* lower still, when asked: no CPU time anything else wants, so the
	 * router's latency spreads less, but on a busy machine the store
	 * falls behind (event-store(8)).  Before the follower thread is made,
	 * which inherits it. */
	if (config_bool(cfg, "store", "idle") && sched_getscheduler(0) != SCHED_IDLE &&
	    sched_setscheduler(0, SCHED_IDLE, &(struct sched_param){0}) == -1)
		log_warn("sched_idle", "%s: sched_setscheduler SCHED_IDLE", __func__);
#endif
	if ((size_t)snprintf(dir, sizeof(dir), "%s/%s", d.dm_paths.statedir, STORE_DB_DIR) >=
		sizeof(dir) ||
	    store_query_path(d.dm_paths.statedir, db, sizeof(db)) == -1)
		fatalx(EXIT_USAGE, "bad_config", "%s: path too long", d.dm_paths.statedir);
	if (mkdir(dir, 0700) == -1 && errno != EEXIST)
		fatal(EXIT_SYSCALL, "mkdir", "%s: mkdir %s", __func__, dir);
	fo.ring_name = d.dm_paths.ring_name;
	fo.journal_dir = d.dm_paths.journal_dir;
	fo.db_path = db;

	/* every thread blocks these; this one takes them with sigwait() */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGHUP);
	sigaddset(&sigs, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);

	if (rebuild) {
		log_info("%s: rebuilding %s from %s", __func__, db, fo.journal_dir);
		if (follow_rebuild(&fo, err, sizeof(err)) == -1)
			fatalx(EXIT_RUNTIME, "rebuild", "%s: %s", __func__, err);
		log_info("%s: rebuilt %s", __func__, db);
		daemon_close(&d);
		return EXIT_OK;
	}

	if ((f = follow_new(&fo, &rc, err, sizeof(err))) == NULL)
		fatalx(rc, "store", "%s: %s", __func__, err);
	if (follow_start(f, err, sizeof(err)) == -1)
		fatalx(EXIT_SYSCALL, "thread", "%s: %s", __func__, err);
	log_info("%s: instance %s, ring %s, store %s, journal %s", __func__, d.dm_paths.instance,
		 d.dm_paths.ring_name, db, fo.journal_dir);
	if (util_readiness(d.dm_ready_fd) == -1)
		log_warn("readiness", "%s: readiness fd %d", __func__, d.dm_ready_fd);

	for (;;) {
		if (sigwait(&sigs, &sig) != 0)
			continue;
		if (follow_ended(f))
			break;
		if (sig == SIGHUP)
			follow_poke(f, FOLLOW_REOPEN);
		else if (sig == SIGUSR1)
			follow_poke(f, FOLLOW_STATUS);
		else {
			log_info("%s: signal %d, shutting down", __func__, sig);
			break;
		}
	}
	rc = follow_stop(f);
	follow_free(f);
	log_info("%s: stopped", __func__);
	daemon_close(&d);
	return rc;
}
