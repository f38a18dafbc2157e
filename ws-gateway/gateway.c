/*
 * ws-gateway: follows the event ring and serves it over Socket.IO v5 /
 * Engine.IO v4 (long-polling, WebSocket, upgrade), with the dashboard,
 * history, health and metrics over HTTP.  See ws-gateway(8).
 *
 * This file holds main(): the gateway's flags and settings (the common ones,
 * the pidfile and the paths are common/daemon.c's), the listener, signals,
 * readiness and the clean shutdown.  The work is in server.c
 * (connections and protocols), api.c (the hookwire API), source.c (the
 * ring), static.c, metrics.c and auth.c.
 */
#include <sys/resource.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "daemon.h"
#include "gateway.h"
#include "hwlimits.h"
#include "log.h"
#include "redisurl.h"
#include "util.h"

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

/* Splits "host:port", "[v6]:port" or ":port". */
static int
gateway_parse_listen(const char *s, char *host, size_t hostlen, int *port)
{
	const char *colon;
	char *end;
	long p;

	if (s[0] == '[') {
		const char *rb = strchr(s, ']');
		if (rb == NULL || rb[1] != ':' || (size_t)(rb - s - 1) >= hostlen)
			return -1;
		memcpy(host, s + 1, (size_t)(rb - s - 1));
		host[rb - s - 1] = '\0';
		colon = rb + 1;
	} else {
		if ((colon = strrchr(s, ':')) == NULL || (size_t)(colon - s) >= hostlen)
			return -1;
		memcpy(host, s, (size_t)(colon - s));
		host[colon - s] = '\0';
		if (host[0] == '\0')
			strlcpy(host, "127.0.0.1", hostlen);
	}
	p = strtol(colon + 1, &end, 10);
	if (colon[1] == '\0' || *end != '\0' || p < 0 || p > 65535)
		return -1;
	*port = (int)p;
	return 0;
}

static int
gateway_host_is_loopback(const char *h)
{
	return strncmp(h, "127.", 4) == 0 || strcmp(h, "::1") == 0 || strcmp(h, "localhost") == 0;
}

/* Directory of the running executable, or "" */
static void
gateway_exe_dir(char *out, size_t outlen)
{
	char buf[PATH_MAX];
	ssize_t n;

	out[0] = '\0';
	if ((n = readlink("/proc/self/exe", buf, sizeof(buf) - 1)) <= 0)
		return;
	buf[n] = '\0';
	strlcpy(out, dirname(buf), outlen);
}

/* First of the candidates (relative to the executable's directory) that exists, resolved. */
static int
gateway_find(const char *exe_dir, const char *const *rel, char *out, size_t outlen)
{
	char want[PATH_MAX], real[PATH_MAX];
	size_t i;

	for (i = 0; rel[i] != NULL; i++) {
		if (rel[i][0] == '/')
			strlcpy(want, rel[i], sizeof(want));
		else if (exe_dir[0] != '\0')
			snprintf(want, sizeof(want), "%s/%s", exe_dir, rel[i]);
		else
			continue;
		if (realpath(want, real) != NULL) {
			strlcpy(out, real, outlen);
			return 0;
		}
	}
	return -1;
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

static void
gateway_split_origins(struct gw_cfg *c, const char *list)
{
	char *dup, *tok, *save;

	if (list == NULL || *list == '\0' || (dup = strdup(list)) == NULL)
		return;
	for (tok = strtok_r(dup, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
		char **n = reallocarray(c->origins, c->norigins + 1, sizeof(*n));
		if (n == NULL)
			break;
		c->origins = n;
		c->origins[c->norigins++] = strdup(tok);
	}
	free(dup);
}

int
main(int argc, char *argv[])
{
	struct gw *gw = &gateway_gw;
	struct gw_cfg *c = &gw->cfg;
	struct daemon d;
	struct config *cfg;
	struct event *sig_term, *sig_int, *sig_hup;
	struct rlimit rl;
	char err[512], exe_dir[PATH_MAX], origins[4096] = "";
	/* the gateway's flags that are settings, applied after the common ones */
	enum { S_LISTEN, S_DASHBOARD, S_TOKEN, S_CERT, S_KEY, S_REMOTE, S_SOURCE, S_ORIGINS, S_N };
	struct {
		const char *name, *value;
	} sets[S_N] = {
	    [S_LISTEN] = {"listen", NULL},    [S_DASHBOARD] = {"dashboard_dir", NULL},
	    [S_TOKEN] = {"token_file", NULL}, [S_CERT] = {"tls_cert", NULL},
	    [S_KEY] = {"tls_key", NULL},      [S_REMOTE] = {"allow_remote", NULL},
	    [S_SOURCE] = {"source", NULL},    [S_ORIGINS] = {"origins", NULL},
	};
	int ch, rc;
	size_t i;

	daemon_init(&d, "ws-gateway", "gateway");
	while ((ch = getopt_long(argc, argv, DAEMON_SHORTOPTS, gateway_opts, NULL)) != -1) {
		if ((rc = daemon_opt(&d, ch, optarg)) == -1) {
			fprintf(stderr, "ws-gateway: %s\n", d.dm_err);
			usage(EXIT_USAGE);
		} else if (rc == 1)
			continue;
		switch (ch) {
		case OPT_LISTEN:
			sets[S_LISTEN].value = optarg;
			break;
		case OPT_CONFORMANCE:
			c->conformance = 1;
			break;
		case OPT_DASHBOARD:
			sets[S_DASHBOARD].value = optarg;
			break;
		case OPT_CLIENT_JS:
			strlcpy(c->client_js, optarg, sizeof(c->client_js));
			break;
		case OPT_TOKEN_FILE:
			sets[S_TOKEN].value = optarg;
			break;
		case OPT_ORIGIN:
			if (origins[0] != '\0')
				strlcat(origins, ",", sizeof(origins));
			strlcat(origins, optarg, sizeof(origins));
			break;
		case OPT_TLS_CERT:
			sets[S_CERT].value = optarg;
			break;
		case OPT_TLS_KEY:
			sets[S_KEY].value = optarg;
			break;
		case OPT_ALLOW_REMOTE:
			sets[S_REMOTE].value = "true";
			break;
		case OPT_SOURCE:
			sets[S_SOURCE].value = optarg;
			break;
		case 'h':
			usage(EXIT_OK);
		case 'V':
			printf("ws-gateway %s\n", HOOKWIRE_VERSION);
			return EXIT_OK;
		default:
			usage(EXIT_USAGE);
		}
	}
	if (optind != argc)
		usage(EXIT_USAGE);
	if (origins[0] != '\0')
		sets[S_ORIGINS].value = origins;

	/* configuration: defaults, file, environment, the common flags, then the gateway's */
	if ((rc = daemon_config(&d, environ)) != 0) {
		fprintf(stderr, "ws-gateway: %s\n", d.dm_err);
		daemon_close(&d);
		return rc;
	}
	cfg = d.dm_cfg;
	for (i = 0; i < S_N; i++) {
		if (sets[i].value != NULL &&
		    config_set(cfg, "gateway", sets[i].name, sets[i].value, err, sizeof(err)) < 0) {
			fprintf(stderr, "ws-gateway: %s\n", err);
			daemon_close(&d);
			return EXIT_USAGE;
		}
	}
	if ((rc = daemon_log(&d)) != 0) {
		fprintf(stderr, "ws-gateway: %s\n", d.dm_err);
		daemon_close(&d);
		return rc;
	}
	/* the paths now, to check the settings before anything is created */
	if ((rc = daemon_paths(&d)) != 0)
		fatalx(rc, "config", "%s", d.dm_err);
	gw->paths = d.dm_paths;

	/* Settings. */
	if (gateway_parse_listen(config_str(cfg, "gateway", "listen"), c->listen_host,
				 sizeof(c->listen_host), &c->listen_port) < 0)
		fatalx(EXIT_USAGE, "config", "gateway.listen: expected ADDR:PORT, got \"%s\"",
		       config_str(cfg, "gateway", "listen"));
	c->port_tries = (int)config_int(cfg, "gateway", "port_tries");
	c->allow_remote = config_bool(cfg, "gateway", "allow_remote");
	c->recovery = config_bool(cfg, "gateway", "recovery");
	c->header_max = (size_t)config_int(cfg, "gateway", "header_max");
	c->body_max = (size_t)config_int(cfg, "gateway", "body_max");
	c->max_payload = (size_t)config_int(cfg, "gateway", "max_payload");
	c->outbuf_soft = (size_t)config_int(cfg, "gateway", "outbuf_soft");
	c->outbuf_hard = (size_t)config_int(cfg, "gateway", "outbuf_hard");
	c->outbuf_soft_seconds = (int)config_int(cfg, "gateway", "outbuf_soft_seconds");
	c->coalesce_ms = (long)config_int(cfg, "gateway", "coalesce_ms");
	c->header_timeout = (long)config_int(cfg, "gateway", "header_timeout_ms");
	c->ping_interval = (long)config_int(cfg, "gateway", "ping_interval_ms");
	c->ping_timeout = (long)config_int(cfg, "gateway", "ping_timeout_ms");
	c->clients_max = (long)config_int(cfg, "gateway", "clients_max");
	c->history_max = (long)config_int(cfg, "gateway", "history_max");
	strlcpy(c->tls_cert, config_str(cfg, "gateway", "tls_cert"), sizeof(c->tls_cert));
	strlcpy(c->tls_key, config_str(cfg, "gateway", "tls_key"), sizeof(c->tls_key));
	strlcpy(c->source, config_str(cfg, "gateway", "source"), sizeof(c->source));
	strlcpy(c->source_stream, config_str(cfg, "gateway", "source_stream"),
		sizeof(c->source_stream));
	c->source_window = (size_t)config_int(cfg, "gateway", "source_window");
	c->source_window_bytes = (size_t)config_int(cfg, "gateway", "source_window_bytes");
	if (c->source[0] != '\0') {
		struct redisurl ru;

		if (redisurl_parse(c->source, &ru, err, sizeof(err)) < 0)
			fatalx(EXIT_USAGE, "config", "gateway.source: %s", err);
		if (ru.ru_tls)
			fatalx(EXIT_USAGE, "config",
			       "gateway.source: rediss:// needs hiredis_ssl, which this build "
			       "lacks; tunnel TLS and use redis://");
	}
	gateway_split_origins(c, config_str(cfg, "gateway", "origins"));
	c->origin_check = 1;
	c->tokens = 1;
	if (c->conformance) {
		/* the official protocol test suites expect exactly these */
		c->ping_interval = 300;
		c->ping_timeout = 200;
		c->max_payload = 1000000;
		c->recovery = 0;
		strlcpy(c->cors_origin, "*", sizeof(c->cors_origin));
		c->origin_check = 0;
		c->tokens = 0;
	}
	if ((c->tls_cert[0] != '\0') != (c->tls_key[0] != '\0'))
		fatalx(EXIT_USAGE, "config", "--tls-cert and --tls-key go together");
	if (!gateway_host_is_loopback(c->listen_host) && !c->allow_remote && c->tls_cert[0] == '\0')
		fatalx(EXIT_USAGE, "config",
		       "listening on %s needs --allow-remote or TLS (gateway.allow_remote)",
		       c->listen_host);
	/* the only bodies are polling POSTs: Engine.IO's maxPayload bounds them too */
	if (c->body_max > c->max_payload)
		c->body_max = c->max_payload;

	gateway_exe_dir(exe_dir, sizeof(exe_dir));
	{
		const char *dash = config_str(cfg, "gateway", "dashboard_dir");
		if (dash[0] != '\0') {
			if (realpath(dash, c->dashboard_dir) == NULL)
				fatal(EXIT_USAGE, "config", "dashboard directory %s", dash);
		} else {
			const char *cand[] = {HOOKWIRE_DATADIR "/dashboard",
					      "../../ws-gateway/dashboard",
					      "../../../ws-gateway/dashboard", NULL};
			gateway_find(exe_dir, cand, c->dashboard_dir, sizeof(c->dashboard_dir));
		}
	}
	if (c->client_js[0] != '\0') {
		char real[PATH_MAX];
		if (realpath(c->client_js, real) == NULL)
			fatal(EXIT_USAGE, "config", "client script %s", c->client_js);
		strlcpy(c->client_js, real, sizeof(c->client_js));
	} else {
		const char *cand[] = {
		    "../../tests/node_modules/socket.io-client/dist/socket.io.min.js",
		    "../../../tests/node_modules/socket.io-client/dist/socket.io.min.js",
		    HOOKWIRE_DATADIR "/socket.io.min.js", NULL};
		gateway_find(exe_dir, cand, c->client_js, sizeof(c->client_js));
	}
	if (config_str(cfg, "gateway", "token_file")[0] != '\0')
		strlcpy(c->token_file, config_str(cfg, "gateway", "token_file"),
			sizeof(c->token_file));
	else
		strlcpy(c->token_file, gw->paths.token_file, sizeof(c->token_file));
	if (snprintf(c->tokens_file, sizeof(c->tokens_file), "%s/tokens", gw->paths.statedir) >=
	    (int)sizeof(c->tokens_file))
		fatalx(EXIT_USAGE, "config", "state directory path too long");

	/* Start-up: directories, pidfile (one gateway per instance), token, listener. */
	if ((rc = daemon_start(&d)) != 0)
		fatalx(rc, d.dm_reason, "%s", d.dm_err);
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
	else if (api_init(gw) < 0 || feed_init(gw) < 0)
		fatalx(EXIT_SYSCALL, "api", "cannot set up the event source");
	sig_term = evsignal_new(gw->base, SIGTERM, gateway_signal, gw);
	sig_int = evsignal_new(gw->base, SIGINT, gateway_signal, gw);
	sig_hup = evsignal_new(gw->base, SIGHUP, gateway_signal, gw);
	if (sig_term == NULL || sig_int == NULL || sig_hup == NULL ||
	    evsignal_add(sig_term, NULL) || evsignal_add(sig_int, NULL) ||
	    evsignal_add(sig_hup, NULL))
		fatalx(EXIT_SYSCALL, "signals", "cannot set up signal handling");
	/* gateway.user only when started as root */
	if (geteuid() == 0 && daemon_drop_privileges(&d) == -1)
		fatalx(EXIT_SYSCALL, "user", "%s", d.dm_err);
	log_info("%s: listening on %s:%d%s%s (dashboard %s)", __func__, c->listen_host, gw->port,
		 c->tls_cert[0] ? " with TLS" : "", c->conformance ? " in conformance mode" : "",
		 c->dashboard_dir[0] ? c->dashboard_dir : "none");
	if (d.dm_ready_fd >= 0)
		util_readiness(d.dm_ready_fd);

	event_base_dispatch(gw->base);

	server_shutdown(gw);
	/* let close frames and answers go out for a moment, bounded */
	{
		struct timeval tv = {0, 200000};
		event_base_loopexit(gw->base, &tv);
		event_base_dispatch(gw->base);
	}
	feed_free(gw);
	api_free(gw);
	auth_free(gw);
	event_free(sig_term);
	event_free(sig_int);
	event_free(sig_hup);
	for (i = 0; i < c->norigins; i++)
		free(c->origins[i]);
	free(c->origins);
	log_info("%s: stopped", __func__);
	daemon_close(&d);
	return EXIT_OK;
}
