/*
 * event-relay: follows the local ring read-only and appends every event
 * to a Redis stream, so that pipelines on many machines feed one stream
 * (event-relay(8)).  This file holds main(): options, configuration,
 * start-up order, signals and shutdown; the work is in relay.c, the URL
 * parser in redisurl.c.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "config.h"
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
		if (log_reopen() == -1)
			log_warn("log_reopen", "%s: cannot reopen the log", __func__);
		else
			log_info("%s: log reopened", __func__);
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

static void
set_or_die(struct config *cfg, const char *section, const char *name, const char *value)
{
	char err[512];

	if (config_set(cfg, section, name, value, err, sizeof(err)) == -1) {
		fprintf(stderr, "event-relay: %s\n", err);
		exit(EXIT_USAGE);
	}
}

static const char *
nonempty(const char *s)
{
	return s != NULL && *s != '\0' ? s : NULL;
}

int
main(int argc, char *argv[])
{
	enum {
		O_RUNDIR = 256,
		O_STATEDIR,
		O_READY,
		O_LOGFILE,
		O_LOGLEVEL,
		O_USER,
		O_REDIS,
		O_STREAM,
		O_MAXLEN
	};
	static const struct option longopts[] = {{"config", required_argument, NULL, 'c'},
						 {"instance", required_argument, NULL, 'i'},
						 {"rundir", required_argument, NULL, O_RUNDIR},
						 {"statedir", required_argument, NULL, O_STATEDIR},
						 {"readiness-fd", required_argument, NULL, O_READY},
						 {"log-file", required_argument, NULL, O_LOGFILE},
						 {"log-level", required_argument, NULL, O_LOGLEVEL},
						 {"user", required_argument, NULL, O_USER},
						 {"redis", required_argument, NULL, O_REDIS},
						 {"stream", required_argument, NULL, O_STREAM},
						 {"maxlen", required_argument, NULL, O_MAXLEN},
						 {"help", no_argument, NULL, 'h'},
						 {"version", no_argument, NULL, 'V'},
						 {NULL, 0, NULL, 0}};
	const char *cfile = NULL, *instance = NULL, *rundir = NULL, *statedir = NULL;
	const char *logfile = NULL, *loglevel = NULL, *user = NULL, *redis = NULL;
	const char *stream = NULL, *maxlen = NULL;
	struct config *cfg;
	struct paths paths;
	struct pidfh *pfh;
	struct relay_opts ro;
	struct event *sigs[5];
	static const int signos[5] = {SIGTERM, SIGINT, SIGHUP, SIGUSR1, 0};
	enum log_level level;
	char err[1024], pidpath[4200], hostname[256], origin[320];
	pid_t other;
	long long fd;
	char *end;
	int ch, i;

	while ((ch = getopt_long(argc, argv, "c:i:hV", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			cfile = optarg;
			break;
		case 'i':
			instance = optarg;
			break;
		case O_RUNDIR:
			rundir = optarg;
			break;
		case O_STATEDIR:
			statedir = optarg;
			break;
		case O_READY:
			errno = 0;
			fd = strtoll(optarg, &end, 10);
			if (errno || *end != '\0' || fd < 0 || fd > 65535) {
				fprintf(stderr,
					"event-relay: --readiness-fd %s: not a descriptor\n",
					optarg);
				usage(EXIT_USAGE);
			}
			ready_fd = (int)fd;
			break;
		case O_LOGFILE:
			logfile = optarg;
			break;
		case O_LOGLEVEL:
			loglevel = optarg;
			break;
		case O_USER:
			user = optarg;
			break;
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

	/* configuration: defaults, file, environment, then flags */
	if ((cfg = config_new()) == NULL) {
		fprintf(stderr, "event-relay: out of memory\n");
		return EXIT_SYSCALL;
	}
	if (config_load(cfg, cfile, environ, err, sizeof(err)) == -1) {
		fprintf(stderr, "event-relay: %s\n", err);
		config_free(cfg);
		return EXIT_USAGE;
	}
	if (instance != NULL)
		set_or_die(cfg, NULL, "instance", instance);
	if (rundir != NULL)
		set_or_die(cfg, NULL, "rundir", rundir);
	if (statedir != NULL)
		set_or_die(cfg, NULL, "statedir", statedir);
	if (logfile != NULL)
		set_or_die(cfg, "log", "file", logfile);
	if (loglevel != NULL)
		set_or_die(cfg, "log", "level", loglevel);
	if (user != NULL)
		set_or_die(cfg, "relay", "user", user);
	if (redis != NULL)
		set_or_die(cfg, "relay", "redis", redis);
	if (stream != NULL)
		set_or_die(cfg, "relay", "stream", stream);
	if (maxlen != NULL)
		set_or_die(cfg, "relay", "maxlen", maxlen);

	memset(&ro, 0, sizeof(ro));
	if (nonempty(config_str(cfg, "relay", "redis")) == NULL) {
		fprintf(stderr,
			"event-relay: relay.redis is not set (--redis redis://host:port)\n");
		config_free(cfg);
		return EXIT_USAGE;
	}
	if (redisurl_parse(config_str(cfg, "relay", "redis"), &ro.url, err, sizeof(err)) == -1) {
		fprintf(stderr, "event-relay: relay.redis: %s\n", err);
		config_free(cfg);
		return EXIT_USAGE;
	}
	if (ro.url.ru_tls) {
		/* Debian 12's hiredis 0.14 has no hiredis_ssl: see event-relay(8), CAVEATS */
		fprintf(stderr,
			"event-relay: relay.redis: rediss:// needs hiredis_ssl, which "
			"this build lacks; tunnel TLS (stunnel, spiped) and use redis://\n");
		config_free(cfg);
		return EXIT_USAGE;
	}
	ro.stream = config_str(cfg, "relay", "stream");
	if (*ro.stream == '\0') {
		fprintf(stderr, "event-relay: relay.stream: must not be empty\n");
		config_free(cfg);
		return EXIT_USAGE;
	}
	ro.maxlen = config_int(cfg, "relay", "maxlen");
	ro.minid_age_s = config_int(cfg, "relay", "minid_age");
	ro.batch_max = (int)config_int(cfg, "relay", "batch");
	ro.batch_bytes = (size_t)config_int(cfg, "relay", "batch_bytes");
	ro.timeout_ms = (int)config_int(cfg, "relay", "timeout_ms");
	ro.reconnect_max_ms = (int)config_int(cfg, "relay", "reconnect_max_ms");

	if (log_level_parse(config_str(cfg, "log", "level"), &level) == -1)
		level = LOGL_INFO;
	if (log_init("event-relay", nonempty(config_str(cfg, "log", "file")), level,
		     (size_t)config_int(cfg, "log", "max_size"),
		     (int)config_int(cfg, "log", "keep"), err, sizeof(err)) == -1) {
		fprintf(stderr, "event-relay: %s\n", err);
		config_free(cfg);
		return EXIT_SYSCALL;
	}
	if (paths_init(&paths, nonempty(config_str(cfg, NULL, "instance")),
		       nonempty(config_str(cfg, NULL, "rundir")),
		       nonempty(config_str(cfg, NULL, "statedir")), err, sizeof(err)) == -1)
		fatalx(EXIT_USAGE, "bad_config", "%s", err);
	if (paths_mkdirs(&paths, err, sizeof(err)) == -1)
		fatalx(EXIT_SYSCALL, "mkdir", "%s", err);
	/* the origin: relay.host, else <hostname>/<instance> */
	if (nonempty(config_str(cfg, "relay", "host")) != NULL)
		snprintf(origin, sizeof(origin), "%s", config_str(cfg, "relay", "host"));
	else {
		if (gethostname(hostname, sizeof(hostname)) == -1)
			snprintf(hostname, sizeof(hostname), "localhost");
		hostname[sizeof(hostname) - 1] = '\0';
		snprintf(origin, sizeof(origin), "%s/%s", hostname, paths.instance);
	}
	ro.host = origin;

	/* one relay per instance */
	if (paths_pidfile(&paths, "event-relay", pidpath, sizeof(pidpath)) == -1)
		fatalx(EXIT_USAGE, "bad_config", "pidfile path too long");
	if ((pfh = util_pidfile_lock(pidpath, &other, err, sizeof(err))) == NULL) {
		if (other > 0)
			fatalx(EXIT_RUNTIME, "already_running",
			       "event-relay already running for instance %s as pid %ld (%s)",
			       paths.instance, (long)other, pidpath);
		fatalx(EXIT_SYSCALL, "pidfile", "%s", err);
	}

	signal(SIGPIPE, SIG_IGN);
	if ((base = event_base_new()) == NULL)
		fatalx(EXIT_SYSCALL, "libevent", "event_base_new failed");
	for (i = 0; signos[i] != 0; i++) {
		if ((sigs[i] = evsignal_new(base, signos[i], signal_cb, NULL)) == NULL ||
		    evsignal_add(sigs[i], NULL) == -1)
			fatalx(EXIT_SYSCALL, "libevent", "evsignal_new failed");
	}
	if (nonempty(config_str(cfg, "relay", "user")) != NULL &&
	    util_drop_privileges(config_str(cfg, "relay", "user"), err, sizeof(err)) == -1)
		fatalx(EXIT_SYSCALL, "privileges", "%s", err);
	/* ready once the ring is mapped and the first connection resumed or failed */
	if ((relay = relay_new(base, paths.ring_name, &ro, ready_cb, NULL, err, sizeof(err))) ==
	    NULL)
		fatalx(EXIT_SYSCALL, "ring", "%s", err);
	log_info("%s: instance %s, ring %s, redis %s:%d db %d, stream %s, host %s", __func__,
		 paths.instance, paths.ring_name, ro.url.ru_host, ro.url.ru_port, ro.url.ru_db,
		 ro.stream, ro.host);

	event_base_dispatch(base);

	relay_log_status(relay);
	relay_free(relay);
	for (i = 0; signos[i] != 0; i++)
		event_free(sigs[i]);
	event_base_free(base);
	log_info("%s: stopped", __func__);
	util_pidfile_remove(pfh);
	log_close();
	config_free(cfg);
	return EXIT_OK;
}
