/*
 * event-router: accepts canonical events from producers on the ingest
 * socket and from the spool, drops duplicates, scrubs secrets, numbers
 * them, appends them to the journal and publishes them into the ring
 * (event-router(8)).  This file holds main(): options, settings,
 * start-up order, signals and shutdown; the work is in router.c,
 * ingest.c, drain.c, journal.c, dedup.c and scrub*.c.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "config.h"
#include "daemon.h"
#include "hwlimits.h"
#include "log.h"
#include "paths.h"
#include "router.h"
#include "scrub.h"
#include "util.h"

extern char **environ;

static struct event_base *base;
static struct journal *journal;
static struct event *sync_ev;
static struct ring *ring;
static struct scrub *scrub;
static struct router *router;

static void __attribute__((noreturn)) usage(int code)
{
	fprintf(code ? stderr : stdout,
		"usage: event-router [-hV] [-c file] [-i name] [--rundir dir] [--statedir dir]\n"
		"                    [--readiness-fd fd] [--log-file file] [--log-level level]\n"
		"                    [--user user]\n");
	exit(code);
}

static void
signal_cb(evutil_socket_t sig, short what, void *arg)
{
	if (sig == SIGHUP) {
		log_reopen();
		return;
	}
	log_info("%s: signal %d, shutting down", __func__, (int)sig);
	/* callbacks run whole: the batch being handled is finished first */
	event_base_loopexit(base, NULL);
}

static void
sync_cb(evutil_socket_t fd, short what, void *arg)
{
	/* on the journal's thread: the loop goes on while the disk works */
	if (journal_sync_start(journal) == -1)
		log_warn("journal_sync", "%s: fdatasync", __func__);
}

/* After a committed batch: with fsync "batch", sync within a second. */
static void
committed_cb(void *arg)
{
	struct timeval tv = {1, 0};

	if (journal_dirty(journal) && !evtimer_pending(sync_ev, NULL))
		evtimer_add(sync_ev, &tv);
}

/* The journal's and the router's settings (ro->scrub_enabled aside).
 * Returns 0, or -1 with a message on stderr (a usage error). */
static int
settings(const struct config *cfg, struct router_opts *ro, struct journal_opts *jo)
{
	memset(jo, 0, sizeof(*jo));
	jo->segment_size = (uint64_t)config_int(cfg, "journal", "segment_size");
	jo->keep_bytes = (uint64_t)config_int(cfg, "journal", "keep_bytes");
	jo->keep_days = (int)config_int(cfg, "journal", "keep_days");
	if (journal_fsync_parse(config_str(cfg, "journal", "fsync"), &jo->fsync) == -1) {
		fprintf(stderr, "event-router: journal.fsync: must be always, batch or never\n");
		return -1;
	}
	memset(ro, 0, sizeof(*ro));
	event_limits_default(&ro->lim);
	ro->line_max = (size_t)config_int(cfg, "router", "line_max");
	ro->lim.depth_max = (int)config_int(cfg, "router", "depth_max");
	ro->lim.event_max = (size_t)config_int(cfg, "capture", "event_max");
	ro->lim.input_max = ro->line_max;
	ro->dedup_ids = (size_t)config_int(cfg, "router", "dedup_ids");
	ro->dedup_window_us = config_int(cfg, "router", "dedup_window_ms") * 1000;
	return 0;
}

/* The ring, the journal, the scrubber and the router over them, recovered
 * from the journal.  Exits on failure. */
static void
start(const struct daemon *d, struct router_opts *ro, const struct journal_opts *jo)
{
	const struct config *cfg = d->dm_cfg;
	char err[1024];
	size_t truncated;
	uint64_t republished;

	if ((ring = ring_create(d->dm_paths.ring_name, (uint64_t)config_int(cfg, "ring", "size"),
				err, sizeof(err))) == NULL)
		fatalx(EXIT_SYSCALL, "ring", "%s", err);
	if ((journal = journal_open(d->dm_paths.journal_dir, jo, &truncated, err, sizeof(err))) ==
	    NULL)
		fatalx(EXIT_SYSCALL, "journal", "%s", err);
	if (truncated > 0)
		log_warnx("journal_truncated",
			  "%s: the last journal line was incomplete (%zu bytes, never "
			  "acknowledged): cut away",
			  __func__, truncated);
	if (config_bool(cfg, "scrub", "enabled")) {
		scrub = scrub_new(daemon_nonempty(config_str(cfg, "scrub", "rules_file")),
				  config_bool(cfg, "scrub", "builtin"), err, sizeof(err));
		if (scrub == NULL)
			fatalx(EXIT_USAGE, "scrub_rules", "%s", err);
	}
	ro->scrub_enabled = scrub != NULL;
	if (ring_payload_max(ring) < ro->lim.event_max)
		log_warnx("ring_small",
			  "%s: ring.size %llu holds events up to %zu bytes, less than "
			  "capture.event_max %zu: larger events are rejected",
			  __func__, (unsigned long long)ring_header(ring)->data_size,
			  ring_payload_max(ring), ro->lim.event_max);
	if ((router = router_new(ro, ring, journal, scrub, err, sizeof(err))) == NULL)
		fatalx(EXIT_SYSCALL, "oom", "%s", err);
	router_export_scrub(router);
	if (router_recover(router, d->dm_paths.journal_dir, &republished, err, sizeof(err)) == -1)
		fatalx(EXIT_SYSCALL, "journal", "%s", err);
	if (republished > 0)
		log_info("%s: %llu journal events published into the ring", __func__,
			 (unsigned long long)republished);
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {DAEMON_LONGOPTS, {NULL, 0, NULL, 0}};
	static const int signos[4] = {SIGTERM, SIGINT, SIGHUP, 0};
	struct daemon d;
	struct router_opts ro;
	struct journal_opts jo;
	struct ingest *ig;
	struct drain *dr;
	struct event *sigs[4];
	char err[1024];
	int ch, i, rc;

	daemon_init(&d, "event-router", "router");
	while ((ch = getopt_long(argc, argv, DAEMON_SHORTOPTS, longopts, NULL)) != -1) {
		if ((rc = daemon_opt(&d, ch, optarg)) == -1) {
			fprintf(stderr, "event-router: %s\n", d.dm_err);
			usage(EXIT_USAGE);
		} else if (rc == 1)
			continue;
		switch (ch) {
		case 'h':
			usage(EXIT_OK);
		case 'V':
			printf("event-router %s\n", HOOKWIRE_VERSION);
			return EXIT_OK;
		default:
			usage(EXIT_USAGE);
		}
	}
	if (optind != argc)
		usage(EXIT_USAGE);

	/* configuration: defaults, file, environment, then flags */
	if ((rc = daemon_config(&d, environ)) != 0) {
		fprintf(stderr, "event-router: %s\n", d.dm_err);
		daemon_close(&d);
		return rc;
	}
	if (settings(d.dm_cfg, &ro, &jo) == -1) {
		daemon_close(&d);
		return EXIT_USAGE;
	}
	if ((rc = daemon_log(&d)) != 0) {
		fprintf(stderr, "event-router: %s\n", d.dm_err);
		daemon_close(&d);
		return rc;
	}
	/* keys of an older layout, read under their new names (hookwire.conf(5)) */
	log_lines(LOGL_WARN, "config_renamed", config_warnings(d.dm_cfg));
	/* paths, directories, and one router per instance */
	if ((rc = daemon_start(&d)) != 0)
		fatalx(rc, d.dm_reason, "%s", d.dm_err);

	signal(SIGPIPE, SIG_IGN);
	start(&d, &ro, &jo);
	if ((base = event_base_new()) == NULL)
		fatalx(EXIT_SYSCALL, "libevent", "event_base_new failed");
	if ((sync_ev = evtimer_new(base, sync_cb, NULL)) == NULL)
		fatalx(EXIT_SYSCALL, "libevent", "evtimer_new failed");
	if ((ig = ingest_new(base, router, d.dm_paths.ingest_sock, ro.line_max,
			     (size_t)config_int(d.dm_cfg, "router", "conn_buffer"),
			     (int)config_int(d.dm_cfg, "router", "clients_max"), err,
			     sizeof(err))) == NULL)
		fatalx(EXIT_SYSCALL, "bind", "%s", err);
	ingest_set_commit_cb(ig, committed_cb, NULL);
	if (daemon_drop_privileges(&d) == -1)
		fatalx(EXIT_SYSCALL, d.dm_reason, "%s", d.dm_err);
	if ((dr = drain_new(base, router, d.dm_paths.spool_dir, err, sizeof(err))) == NULL)
		fatalx(EXIT_SYSCALL, "spool", "%s", err);
	drain_set_commit_cb(dr, committed_cb, NULL);
	drain_run(dr);
	for (i = 0; signos[i] != 0; i++) {
		if ((sigs[i] = evsignal_new(base, signos[i], signal_cb, NULL)) == NULL ||
		    evsignal_add(sigs[i], NULL) == -1)
			fatalx(EXIT_SYSCALL, "libevent", "evsignal_new failed");
	}
	log_info("%s: ready: instance %s, socket %s, ring %s, next seq %llu", __func__,
		 d.dm_paths.instance, d.dm_paths.ingest_sock, d.dm_paths.ring_name,
		 (unsigned long long)router_next_seq(router));
	if (util_readiness(d.dm_ready_fd) == -1)
		log_warn("readiness", "%s: readiness fd %d", __func__, d.dm_ready_fd);

	event_base_dispatch(base);

	/* shutdown: stop taking input, sync the journal, release everything */
	drain_free(dr);
	ingest_free(ig);
	if (journal_sync(journal) == -1)
		log_warn("journal_sync", "%s: fdatasync", __func__);
	for (i = 0; signos[i] != 0; i++)
		event_free(sigs[i]);
	event_free(sync_ev);
	event_base_free(base);
	router_free(router);
	journal_close(journal);
	scrub_free(scrub);
	ring_close(ring);
	log_info("%s: stopped", __func__);
	daemon_close(&d);
	return EXIT_OK;
}
