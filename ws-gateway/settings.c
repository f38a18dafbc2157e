/*
 * settings.c: the gateway's settings (struct gw_cfg) from the merged
 * configuration: defaults, the config file, HOOKWIRE_GATEWAY_* and the flags
 * (common/config.c merges them; ws-gateway.c applies the flags).
 *
 * Bad values stop start-up with a message naming the key (exit 100).  What
 * --conformance changes is decided here, once: the timings and limits the
 * protocol suites expect, and the settings (CORS, Origin check, tokens) that
 * the layers read instead of asking which mode they run in.
 */
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compat.h"
#include "config.h"
#include "gateway.h"
#include "log.h"
#include "redisurl.h"
#include "store_query.h"
#include "util.h"

/* What the official protocol test suites expect of --conformance. */
#define SETTINGS_CONFORMANCE_PING_INTERVAL 300
#define SETTINGS_CONFORMANCE_PING_TIMEOUT  200
#define SETTINGS_CONFORMANCE_MAX_PAYLOAD   1000000

/* Splits "host:port", "[v6]:port" or ":port". */
static int
settings_parse_listen(const char *s, char *host, size_t hostlen, int *port)
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
settings_host_is_loopback(const char *h)
{
	return strncmp(h, "127.", 4) == 0 || strcmp(h, "::1") == 0 || strcmp(h, "localhost") == 0;
}

/* Directory of the running executable, or "" */
static void
settings_exe_dir(char *out, size_t outlen)
{
	char buf[PATH_MAX];
	ssize_t n;

	out[0] = '\0';
	if ((n = compat_exe_path(buf, sizeof(buf))) <= 0)
		return;
	strlcpy(out, dirname(buf), outlen);
}

/* First of the candidates (relative to the executable's directory) that exists, resolved. */
static int
settings_find(const char *exe_dir, const char *const *rel, char *out, size_t outlen)
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

static void
settings_split_origins(struct gw_cfg *c, const char *list)
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

/* The numbers and strings of the gateway section, as they are. */
static void
settings_read(struct gw_cfg *c, struct config *cfg)
{
	if (settings_parse_listen(config_str(cfg, "gateway", "listen"), c->listen_host,
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
	c->outbuf_soft_ms = (long)config_int(cfg, "gateway", "outbuf_soft_ms");
	c->coalesce_ms = (long)config_int(cfg, "gateway", "coalesce_ms");
	c->header_timeout = (long)config_int(cfg, "gateway", "header_timeout_ms");
	c->ping_interval = (long)config_int(cfg, "gateway", "ping_interval_ms");
	c->ping_timeout = (long)config_int(cfg, "gateway", "ping_timeout_ms");
	c->clients_max = (long)config_int(cfg, "gateway", "clients_max");
	c->history_max = (long)config_int(cfg, "gateway", "history_max");
	c->history_bytes = (size_t)config_int(cfg, "gateway", "history_bytes");
	strlcpy(c->tls_cert, config_str(cfg, "gateway", "tls_cert"), sizeof(c->tls_cert));
	strlcpy(c->tls_key, config_str(cfg, "gateway", "tls_key"), sizeof(c->tls_key));
	strlcpy(c->source, config_str(cfg, "gateway", "source"), sizeof(c->source));
	strlcpy(c->source_stream, config_str(cfg, "gateway", "source_stream"),
		sizeof(c->source_stream));
	c->source_window = (size_t)config_int(cfg, "gateway", "source_window");
	c->source_window_bytes = (size_t)config_int(cfg, "gateway", "source_window_bytes");
	settings_split_origins(c, config_str(cfg, "gateway", "origins"));
	strlcpy(c->store, config_str(cfg, "gateway", "store"), sizeof(c->store));
}

/* What depends on other settings, and what they may not be together. */
static void
settings_check(struct gw_cfg *c)
{
	struct redisurl ru;
	char err[512];

	if (c->source[0] != '\0') {
		if (redisurl_parse(c->source, &ru, err, sizeof(err)) < 0)
			fatalx(EXIT_USAGE, "config", "gateway.source: %s", err);
		if (ru.ru_tls)
			fatalx(EXIT_USAGE, "config",
			       "gateway.source: rediss:// needs hiredis_ssl, which this build "
			       "lacks; tunnel TLS and use redis://");
	}
	c->origin_check = 1;
	c->tokens = 1;
	if (c->conformance) {
		/* the official protocol test suites expect exactly these */
		c->ping_interval = SETTINGS_CONFORMANCE_PING_INTERVAL;
		c->ping_timeout = SETTINGS_CONFORMANCE_PING_TIMEOUT;
		c->max_payload = SETTINGS_CONFORMANCE_MAX_PAYLOAD;
		c->recovery = 0;
		strlcpy(c->cors_origin, "*", sizeof(c->cors_origin));
		c->origin_check = 0;
		c->tokens = 0;
	}
	if ((c->tls_cert[0] != '\0') != (c->tls_key[0] != '\0'))
		fatalx(EXIT_USAGE, "config", "--tls-cert and --tls-key go together");
	if (!settings_host_is_loopback(c->listen_host) && !c->allow_remote &&
	    c->tls_cert[0] == '\0')
		fatalx(EXIT_USAGE, "config",
		       "listening on %s needs --allow-remote or TLS (gateway.allow_remote)",
		       c->listen_host);
	/* the only bodies are polling POSTs: Engine.IO's maxPayload bounds them too */
	if (c->body_max > c->max_payload)
		c->body_max = c->max_payload;
	/* an answer must go out under the hard output limit, with room for
	 * the live events queued behind it */
	if (c->history_bytes > c->outbuf_hard / 2)
		c->history_bytes = c->outbuf_hard / 2;
}

/* The dashboard, the browser client and the token files. */
static void
settings_files(struct gw_cfg *c, struct config *cfg, const struct paths *paths)
{
	static const char *const dash_cand[] = {HOOKWIRE_DATADIR "/dashboard",
						"../../ws-gateway/dashboard",
						"../../../ws-gateway/dashboard", NULL};
	/* the browser client the dashboard ships (dashboard/vendor/README) */
	static const char *const js_cand[] = {
	    HOOKWIRE_DATADIR "/dashboard/vendor/socket.io.min.js",
	    "../../ws-gateway/dashboard/vendor/socket.io.min.js",
	    "../../../ws-gateway/dashboard/vendor/socket.io.min.js", NULL};
	const char *dash = config_str(cfg, "gateway", "dashboard_dir");
	char exe_dir[PATH_MAX], real[PATH_MAX];

	settings_exe_dir(exe_dir, sizeof(exe_dir));
	if (dash[0] != '\0') {
		if (realpath(dash, c->dashboard_dir) == NULL)
			fatal(EXIT_USAGE, "config", "dashboard directory %s", dash);
	} else
		settings_find(exe_dir, dash_cand, c->dashboard_dir, sizeof(c->dashboard_dir));
	if (c->client_js[0] != '\0') {
		if (realpath(c->client_js, real) == NULL)
			fatal(EXIT_USAGE, "config", "client script %s", c->client_js);
		strlcpy(c->client_js, real, sizeof(c->client_js));
	} else if (c->dashboard_dir[0] != '\0' &&
		   (size_t)snprintf(real, sizeof(real), "%s/vendor/socket.io.min.js",
				    c->dashboard_dir) < sizeof(real) &&
		   access(real, R_OK) == 0)
		strlcpy(c->client_js, real, sizeof(c->client_js));
	else /* a dashboard of one's own: the client of the shipped one */
		settings_find(exe_dir, js_cand, c->client_js, sizeof(c->client_js));
	if (config_str(cfg, "gateway", "token_file")[0] != '\0')
		strlcpy(c->token_file, config_str(cfg, "gateway", "token_file"),
			sizeof(c->token_file));
	else
		strlcpy(c->token_file, paths->token_file, sizeof(c->token_file));
	if (snprintf(c->tokens_file, sizeof(c->tokens_file), "%s/tokens", paths->statedir) >=
	    (int)sizeof(c->tokens_file))
		fatalx(EXIT_USAGE, "config", "state directory path too long");
	/* gateway.store: off, off with the Redis source, else a path or the default */
	if (strcmp(c->store, "off") == 0 || c->source[0] != '\0' || c->conformance)
		c->store[0] = '\0';
	else if (c->store[0] == '\0' &&
		 store_query_path(paths->statedir, c->store, sizeof(c->store)) < 0)
		fatalx(EXIT_USAGE, "config", "gateway.store: state directory path too long");
}

void
settings_load(struct gw *gw, struct config *cfg)
{
	settings_read(&gw->cfg, cfg);
	settings_check(&gw->cfg);
	settings_files(&gw->cfg, cfg, &gw->paths);
}

void
settings_free(struct gw *gw)
{
	size_t i;

	for (i = 0; i < gw->cfg.norigins; i++)
		free(gw->cfg.origins[i]);
	free(gw->cfg.origins);
	gw->cfg.origins = NULL;
	gw->cfg.norigins = 0;
}
