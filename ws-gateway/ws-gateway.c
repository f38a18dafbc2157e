/*
 * ws-gateway: follows the event ring and serves it over Socket.IO v5 /
 * Engine.IO v4 (long-polling, WebSocket, upgrade), with the dashboard,
 * history, health and metrics over HTTP.  See ws-gateway(8).
 *
 * This file holds main(): usage, the flags, signals, the start-up order,
 * readiness and the clean shutdown (the common flags, the pidfile and the
 * paths are common/daemon.c's, the settings settings.c's).  The work is in
 * the files gateway.h lists.
 */
#include <sys/resource.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "daemon.h"
#include "gateway.h"
#include "log.h"
#include "util.h"

#define GATEWAY_ORIGINS_MAX 4096 /* the --origin flags together */
#define GATEWAY_LINGER_MS   200	 /* close frames and answers go out for this long at the end */

extern char **environ;

static struct gw gateway_gw;

/* Prints the SYNOPSIS of ws-gateway(8): to stdout and exit 0 for -h, else to
 * stderr and exit 100. */
static void __attribute__((noreturn)) usage(int code)
{
	fprintf(code ? stderr : stdout,
		"usage: ws-gateway [-hV] [-c file] [-i name] [--rundir dir] [--statedir dir]\n"
		"                  [--readiness-fd n] [--log-file file] [--log-level level]\n"
		"                  [--user user] [--listen addr:port] [--conformance]\n"
		"                  [--dashboard dir] [--client-js file] [--token-file file]\n"
		"                  [--origin origin] [--tls-cert file --tls-key file]\n"
		"                  [--allow-remote] [--source url]\n");
	exit(code);
}

/* The gateway's own long flags; the common ones are DAEMON_LONGOPTS. */
enum {
	OPT_LISTEN = DAEMON_O_END,
	OPT_CONFORMANCE,
	OPT_DASHBOARD,
	OPT_CLIENT_JS,
	OPT_TOKEN_FILE,
	OPT_ORIGIN,
	OPT_TLS_CERT,
	OPT_TLS_KEY,
	OPT_ALLOW_REMOTE,
	OPT_SOURCE,
};

static const struct option gateway_opts[] = {
    DAEMON_LONGOPTS,
    {"listen", required_argument, NULL, OPT_LISTEN},
    {"conformance", no_argument, NULL, OPT_CONFORMANCE},
    {"dashboard", required_argument, NULL, OPT_DASHBOARD},
    {"client-js", required_argument, NULL, OPT_CLIENT_JS},
    {"token-file", required_argument, NULL, OPT_TOKEN_FILE},
    {"origin", required_argument, NULL, OPT_ORIGIN},
    {"tls-cert", required_argument, NULL, OPT_TLS_CERT},
    {"tls-key", required_argument, NULL, OPT_TLS_KEY},
    {"allow-remote", no_argument, NULL, OPT_ALLOW_REMOTE},
    {"source", required_argument, NULL, OPT_SOURCE},
    {NULL, 0, NULL, 0},
};

/* The gateway's flags that are settings, applied after the common ones. */
enum { S_LISTEN, S_DASHBOARD, S_TOKEN, S_CERT, S_KEY, S_REMOTE, S_SOURCE, S_ORIGINS, S_N };

static const char *const gateway_set_keys[S_N] = {
    [S_LISTEN] = "listen",    [S_DASHBOARD] = "dashboard_dir",
    [S_TOKEN] = "token_file", [S_CERT] = "tls_cert",
    [S_KEY] = "tls_key",      [S_REMOTE] = "allow_remote",
    [S_SOURCE] = "source",    [S_ORIGINS] = "origins",
};

struct gateway_flags {
	const char *set[S_N]; /* values for gateway_set_keys, NULL when not given */
	char origins[GATEWAY_ORIGINS_MAX];
};

static void
gateway_signal(evutil_socket_t sig, short ev, void *arg)
{
	struct gw *gw = arg;

	if (sig == SIGHUP) {
		char err[512];

		log_reopen();
		if (auth_reload(gw, err, sizeof(err)) < 0)
			log_msg(LOGL_ERROR, "token_reload",
				"%s: SIGHUP: %s; keeping the old tokens", __func__, err);
		else if (gw->cfg.tokens)
			log_info("%s: SIGHUP: tokens reloaded (%zu scoped)", __func__, gw->nscoped);
		return;
	}
	log_info("%s: %s: shutting down", __func__, sig == SIGTERM ? "SIGTERM" : "SIGINT");
	event_base_loopbreak(gw->base);
}

static int
gateway_write_port(struct gw *gw, char *err, size_t errlen)
{
	char tmp[PATH_MAX + 8], line[16];
	int fd, n;

	snprintf(tmp, sizeof(tmp), "%s.tmp", gw->paths.port_file);
	n = snprintf(line, sizeof(line), "%d\n", gw->port);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) < 0 ||
	    util_write_all(fd, line, (size_t)n) < 0 || close(fd) < 0 ||
	    rename(tmp, gw->paths.port_file) < 0) {
		if (snprintf(err, errlen, "%s: %s", gw->paths.port_file, strerror(errno)) < 0)
			err[0] = '\0';
		return -1;
	}
	return 0;
}

/* Reads the flags: the common ones into d, the gateway's into f and gw. */
static void
gateway_flags(int argc, char *argv[], struct daemon *d, struct gateway_flags *f, struct gw *gw)
{
	int ch, rc;

	while ((ch = getopt_long(argc, argv, DAEMON_SHORTOPTS, gateway_opts, NULL)) != -1) {
		if ((rc = daemon_opt(d, ch, optarg)) == -1) {
			fprintf(stderr, "ws-gateway: %s\n", d->dm_err);
			usage(EXIT_USAGE);
		} else if (rc == 1)
			continue;
		switch (ch) {
		case OPT_LISTEN:
			f->set[S_LISTEN] = optarg;
			break;
		case OPT_CONFORMANCE:
			gw->cfg.conformance = 1;
			break;
		case OPT_DASHBOARD:
			f->set[S_DASHBOARD] = optarg;
			break;
		case OPT_CLIENT_JS:
			strlcpy(gw->cfg.client_js, optarg, sizeof(gw->cfg.client_js));
			break;
		case OPT_TOKEN_FILE:
			f->set[S_TOKEN] = optarg;
			break;
		case OPT_ORIGIN:
			if (f->origins[0] != '\0')
				strlcat(f->origins, ",", sizeof(f->origins));
			strlcat(f->origins, optarg, sizeof(f->origins));
			break;
		case OPT_TLS_CERT:
			f->set[S_CERT] = optarg;
			break;
		case OPT_TLS_KEY:
			f->set[S_KEY] = optarg;
			break;
		case OPT_ALLOW_REMOTE:
			f->set[S_REMOTE] = "true";
			break;
		case OPT_SOURCE:
			f->set[S_SOURCE] = optarg;
			break;
		case 'h':
			usage(EXIT_OK);
		case 'V':
			printf("ws-gateway %s\n", HOOKWIRE_VERSION);
			exit(EXIT_OK);
		default:
			usage(EXIT_USAGE);
		}
	}
	if (optind != argc)
		usage(EXIT_USAGE);
	if (f->origins[0] != '\0')
		f->set[S_ORIGINS] = f->origins;
}

/* Configuration: defaults, file, environment, the common flags, then the
 * gateway's; then the log and the paths.  Returns 0 or an exit code. */
static int
gateway_configure(struct daemon *d, const struct gateway_flags *f, struct gw *gw)
{
	char err[512];
	int rc;
	size_t i;

	if ((rc = daemon_config(d, environ)) != 0) {
		fprintf(stderr, "ws-gateway: %s\n", d->dm_err);
		return rc;
	}
	for (i = 0; i < S_N; i++) {
		if (f->set[i] != NULL && config_set(d->dm_cfg, "gateway", gateway_set_keys[i],
						    f->set[i], err, sizeof(err)) < 0) {
			fprintf(stderr, "ws-gateway: %s\n", err);
			return EXIT_USAGE;
		}
	}
	if ((rc = daemon_log(d)) != 0) {
		fprintf(stderr, "ws-gateway: %s\n", d->dm_err);
		return rc;
	}
	/* keys of an older layout, read under their new names (hookwire.conf(5)) */
	log_lines(LOGL_WARN, "config_renamed", config_warnings(d->dm_cfg));
	/* the paths now, to check the settings before anything is created */
	if ((rc = daemon_paths(d)) != 0)
		fatalx(rc, "config", "%s", d->dm_err);
	paths_copy(&gw->paths, &d->dm_paths);
	settings_load(gw, d->dm_cfg);
	return 0;
}

/* Directories, pidfile (one gateway per instance), token, listener, the
 * layers, signals; then privileges go and readiness is signalled. */
static void
gateway_start(struct daemon *d, struct gw *gw, struct event *sigs[3])
{
	static const int signos[3] = {SIGTERM, SIGINT, SIGHUP};
	struct gw_cfg *c = &gw->cfg;
	struct rlimit rl;
	char err[512];
	int rc, i;

	if ((rc = daemon_start(d)) != 0)
		fatalx(rc, d->dm_reason, "%s", d->dm_err);
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	signal(SIGPIPE, SIG_IGN);
	if (auth_load(gw, err, sizeof(err)) < 0)
		fatalx(EXIT_USAGE, "token", "%s", err);
	/* No evthread locking: the source's helper thread never calls libevent. */
	if ((gw->base = event_base_new()) == NULL)
		fatalx(EXIT_SYSCALL, "libevent", "cannot create the event loop");
	gw->start_us = util_now_us();
	if (server_listen(gw, err, sizeof(err)) < 0)
		fatalx(EXIT_SYSCALL, "listen", "%s", err);
	if (gateway_write_port(gw, err, sizeof(err)) < 0)
		fatalx(EXIT_SYSCALL, "port_file", "%s", err);
	if (c->conformance)
		conformance_init(gw);
	else if (api_init(gw) < 0 || feed_init(gw) < 0 || store_worker_init(gw) < 0)
		fatalx(EXIT_SYSCALL, "api", "cannot set up the event source");
	for (i = 0; i < 3; i++)
		if ((sigs[i] = evsignal_new(gw->base, signos[i], gateway_signal, gw)) == NULL ||
		    evsignal_add(sigs[i], NULL) < 0)
			fatalx(EXIT_SYSCALL, "signals", "cannot set up signal handling");
	/* gateway.user only when started as root */
	if (geteuid() == 0 && daemon_drop_privileges(d) == -1)
		fatalx(EXIT_SYSCALL, "user", "%s", d->dm_err);
	log_info("%s: listening on %s:%d%s%s (dashboard %s)", __func__, c->listen_host, gw->port,
		 c->tls_cert[0] ? " with TLS" : "", c->conformance ? " in conformance mode" : "",
		 c->dashboard_dir[0] ? c->dashboard_dir : "none");
	/* the readiness descriptor, and systemd's NOTIFY_SOCKET when set */
	if (util_readiness(d->dm_ready_fd) == -1)
		log_warn("readiness", "%s: readiness fd %d", __func__, d->dm_ready_fd);
}

int
main(int argc, char *argv[])
{
	struct gw *gw = &gateway_gw;
	struct gateway_flags flags = {0};
	struct daemon d;
	struct event *sigs[3] = {NULL, NULL, NULL};
	struct timeval linger = util_ms_tv(GATEWAY_LINGER_MS);
	int rc, i;

	daemon_init(&d, "ws-gateway", "gateway");
	gateway_flags(argc, argv, &d, &flags, gw);
	if ((rc = gateway_configure(&d, &flags, gw)) != 0) {
		daemon_close(&d);
		return rc;
	}
	gateway_start(&d, gw, sigs);

	event_base_dispatch(gw->base);

	server_shutdown(gw);
	/* let close frames and answers go out for a moment, bounded */
	event_base_loopexit(gw->base, &linger);
	event_base_dispatch(gw->base);
	store_worker_free(gw);
	feed_free(gw);
	api_free(gw);
	auth_free(gw);
	for (i = 0; i < 3; i++)
		event_free(sigs[i]);
	settings_free(gw);
	log_info("%s: stopped", __func__);
	daemon_close(&d);
	return EXIT_OK;
}
