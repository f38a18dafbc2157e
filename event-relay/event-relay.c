/*
 * event-relay: follows the local ring read-only and appends every event
 * to a Redis stream, so that pipelines on many machines feed one stream
 * (event-relay(8)).  This file holds main(): options, settings,
 * start-up order, signals and shutdown; the work is in relay.c, which
 * reads the ring with common/ring.c and common/ringwake.c and talks to
 * Redis through common/redisconn.c (the URL: common/redisurl.c).
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "config.h"
#include "daemon.h"
#include "log.h"
#include "paths.h"
#include "relay.h"
#include "util.h"

extern char **environ;

static struct event_base *base;
static struct relay *relay;
static int ready_fd = -1;

static void __attribute__((noreturn)) usage(int code)
{
	fprintf(code ? stderr : stdout,
		"usage: event-relay [-hV] [-c file] [-i name] [--rundir dir] [--statedir dir]\n"
		"                   [--readiness-fd fd] [--log-file file] [--log-level level]\n"
		"                   [--user user] [--redis url] [--stream name] [--maxlen n]\n");
	exit(code);
}

static void
signal_cb(evutil_socket_t sig, short what, void *arg)
{
	if (sig == SIGHUP) {
		log_reopen();
		return;
	}
	if (sig == SIGUSR1) {
		relay_log_status(relay);
		return;
	}
	log_info("%s: signal %d, shutting down", __func__, (int)sig);
	event_base_loopexit(base, NULL);
}

static void
ready_cb(void *arg)
{
	if (util_readiness(ready_fd) == -1)
		log_warn("readiness", "%s: readiness fd %d", __func__, ready_fd);
	ready_fd = -1;
}

/* The relay's settings, but its origin (relay.host, known once the paths
 * are).  Returns 0, or -1 with a message on stderr (a usage error). */
static int
settings(const struct config *cfg, struct relay_opts *ro)
{
	char err[1024];

	memset(ro, 0, sizeof(*ro));
	if (daemon_nonempty(config_str(cfg, "relay", "redis")) == NULL) {
		fprintf(stderr,
			"event-relay: relay.redis is not set (--redis redis://host:port)\n");
		return -1;
	}
	if (redisurl_parse(config_str(cfg, "relay", "redis"), &ro->url, err, sizeof(err)) == -1) {
		fprintf(stderr, "event-relay: relay.redis: %s\n", err);
		return -1;
	}
	if (ro->url.ru_tls) {
		/* Debian 12's hiredis 0.14 has no hiredis_ssl: see event-relay(8), CAVEATS */
		fprintf(stderr,
			"event-relay: relay.redis: rediss:// needs hiredis_ssl, which "
			"this build lacks; tunnel TLS (stunnel, spiped) and use redis://\n");
		return -1;
	}
	ro->stream = config_str(cfg, "relay", "stream");
	if (*ro->stream == '\0') {
		fprintf(stderr, "event-relay: relay.stream: must not be empty\n");
		return -1;
	}
	ro->maxlen = config_int(cfg, "relay", "maxlen");
	ro->minid_age_s = config_int(cfg, "relay", "minid_age");
	ro->batch_max = (int)config_int(cfg, "relay", "batch");
	ro->batch_bytes = (size_t)config_int(cfg, "relay", "batch_bytes");
	ro->timeout_ms = (int)config_int(cfg, "relay", "timeout_ms");
	ro->reconnect_max_ms = (int)config_int(cfg, "relay", "reconnect_max_ms");
	return 0;
}

int
main(int argc, char *argv[])
{
	enum { O_REDIS = DAEMON_O_END, O_STREAM, O_MAXLEN };
	static const struct option longopts[] = {DAEMON_LONGOPTS,
						 {"redis", required_argument, NULL, O_REDIS},
						 {"stream", required_argument, NULL, O_STREAM},
						 {"maxlen", required_argument, NULL, O_MAXLEN},
						 {NULL, 0, NULL, 0}};
	const char *redis = NULL, *stream = NULL, *maxlen = NULL;
	struct daemon d;
	struct config *cfg;
	struct relay_opts ro;
	struct event *sigs[5];
	static const int signos[5] = {SIGTERM, SIGINT, SIGHUP, SIGUSR1, 0};
	char err[1024], hostname[256], origin[320];
	int ch, i, rc;

	daemon_init(&d, "event-relay", "relay");
	while ((ch = getopt_long(argc, argv, DAEMON_SHORTOPTS, longopts, NULL)) != -1) {
		if ((rc = daemon_opt(&d, ch, optarg)) == -1) {
			fprintf(stderr, "event-relay: %s\n", d.dm_err);
			usage(EXIT_USAGE);
		} else if (rc == 1)
			continue;
		switch (ch) {
		case O_REDIS:
			redis = optarg;
			break;
		case O_STREAM:
			stream = optarg;
			break;
		case O_MAXLEN:
			maxlen = optarg;
			break;
		case 'h':
			usage(EXIT_OK);
		case 'V':
			printf("event-relay %s\n", HOOKWIRE_VERSION);
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
		fprintf(stderr, "event-relay: %s\n", d.dm_err);
		daemon_close(&d);
		return rc;
	}
	cfg = d.dm_cfg;
	if ((redis != NULL && config_set(cfg, "relay", "redis", redis, err, sizeof(err)) == -1) ||
	    (stream != NULL &&
	     config_set(cfg, "relay", "stream", stream, err, sizeof(err)) == -1) ||
	    (maxlen != NULL &&
	     config_set(cfg, "relay", "maxlen", maxlen, err, sizeof(err)) == -1)) {
		fprintf(stderr, "event-relay: %s\n", err);
		daemon_close(&d);
		return EXIT_USAGE;
	}

	if (settings(cfg, &ro) == -1) {
		daemon_close(&d);
		return EXIT_USAGE;
	}
	if ((rc = daemon_log(&d)) != 0) {
		fprintf(stderr, "event-relay: %s\n", d.dm_err);
		daemon_close(&d);
		return rc;
	}
	/* keys of an older layout, read under their new names (hookwire.conf(5)) */
	log_lines(LOGL_WARN, "config_renamed", config_warnings(d.dm_cfg));
	/* paths, directories, and one relay per instance */
	if ((rc = daemon_start(&d)) != 0)
		fatalx(rc, d.dm_reason, "%s", d.dm_err);

	/* the origin: relay.host, else <hostname>/<instance> */
	if (daemon_nonempty(config_str(cfg, "relay", "host")) != NULL)
		snprintf(origin, sizeof(origin), "%s", config_str(cfg, "relay", "host"));
	else {
		if (gethostname(hostname, sizeof(hostname)) == -1)
			snprintf(hostname, sizeof(hostname), "localhost");
		hostname[sizeof(hostname) - 1] = '\0';
		snprintf(origin, sizeof(origin), "%s/%s", hostname, d.dm_paths.instance);
	}
	ro.host = origin;

	signal(SIGPIPE, SIG_IGN);
	if ((base = event_base_new()) == NULL)
		fatalx(EXIT_SYSCALL, "libevent", "event_base_new failed");
	for (i = 0; signos[i] != 0; i++) {
		if ((sigs[i] = evsignal_new(base, signos[i], signal_cb, NULL)) == NULL ||
		    evsignal_add(sigs[i], NULL) == -1)
			fatalx(EXIT_SYSCALL, "libevent", "evsignal_new failed");
	}
	if (daemon_drop_privileges(&d) == -1)
		fatalx(EXIT_SYSCALL, d.dm_reason, "%s", d.dm_err);
	/* ready once the ring is mapped and the first connection resumed or failed */
	if ((relay = relay_new(base, d.dm_paths.ring_name, &ro, ready_cb, NULL, err,
			       sizeof(err))) == NULL)
		fatalx(EXIT_SYSCALL, "ring", "%s", err);
	log_info("%s: instance %s, ring %s, redis %s:%d db %d, stream %s, host %s", __func__,
		 d.dm_paths.instance, d.dm_paths.ring_name, ro.url.ru_host, ro.url.ru_port,
		 ro.url.ru_db, ro.stream, ro.host);

	event_base_dispatch(base);

	relay_log_status(relay);
	relay_free(relay);
	for (i = 0; signos[i] != 0; i++)
		event_free(sigs[i]);
	event_base_free(base);
	log_info("%s: stopped", __func__);
	daemon_close(&d);
	return EXIT_OK;
}
