/*
 * settings.c: what one run (a hook, a status line) needs of the configuration.
 *
 * The full configuration (config_new(), a file, every HOOKWIRE_ variable)
 * checks and canonicalises each of the ~90 keys of every stage: about
 * 150,000 instructions, a third of a hook's own work, for the dozen
 * values a hook or a status line reads.  When nothing but defaults and a few names can be
 * in play -- no -c, no $HOOKWIRE_CONFIG file, no default file, and no
 * HOOKWIRE_ variable but the instance, the run and state directories,
 * the log file and the log level -- settings_fast() reads the defaults
 * from config_keys[] and checks those few names the way config_set()
 * does (paths_instance_valid(), log_level_parse()).  Anything else takes
 * settings_full(), with every check and message as before.
 */
#include <stdlib.h>
#include <string.h>

#include "capture.h"
#include "config.h"
#include "hwlimits.h"
#include "log.h"
#include "paths.h"
#include "util.h"

extern char **environ;

/* Variables the configuration ignores (config.c's config_env_skip): a
 * name missing here only sends a run to settings_full(). */
static const char *const settings_env_skip[] = {
    "HOOKWIRE_CONFIG", "HOOKWIRE_BIN",	    "HOOKWIRE_SRC",
    "HOOKWIRE_BUILD",  "HOOKWIRE_FIXTURES", "HOOKWIRE_STRESS",
};
#define SETTINGS_ENV_SKIP_PREFIX "HOOKWIRE_TEST_"

/* The value of key (section may be NULL) in cfg, or its default when cfg
 * is NULL. */
static const char *
settings_str(const struct config *cfg, const char *section, const char *name)
{
	size_t i;

	if (cfg != NULL)
		return config_str(cfg, section, name);
	for (i = 0; config_keys[i].name != NULL; i++)
		if (strcmp(config_keys[i].name, name) == 0 &&
		    (section == NULL ? config_keys[i].section == NULL
				     : config_keys[i].section != NULL &&
					   strcmp(config_keys[i].section, section) == 0))
			return config_keys[i].def;
	abort(); /* a key missing from config_keys[] is a bug */
}

/* The same for a number (an integer or a size). */
static long long
settings_int(const struct config *cfg, const char *section, const char *name)
{
	long long v = 0;

	if (cfg != NULL)
		return config_int(cfg, section, name);
	if (util_parse_size(settings_str(NULL, section, name), &v) == -1)
		abort(); /* config_new() checks every default */
	return v;
}

/* Fills the values that come from cfg (or from the defaults when NULL). */
static void
settings_values(struct settings *st, const struct config *cfg)
{
	event_limits_default(&st->st_lim);
	st->st_lim.field_max = (size_t)settings_int(cfg, "capture", "field_max");
	st->st_lim.event_max = (size_t)settings_int(cfg, "capture", "event_max");
	st->st_lim.input_max = (size_t)settings_int(cfg, "capture", "input_max");
	st->st_lim.bad_copy = (size_t)settings_int(cfg, "capture", "bad_input_copy");
	st->st_lim.depth_max = (int)settings_int(cfg, "capture", "depth_max");
	st->st_stdin_ms = (int)settings_int(cfg, "capture", "stdin_timeout_ms");
	st->st_ack_ms = (int)settings_int(cfg, "capture", "ack_timeout_ms");
	st->st_statusline_ms = (int)settings_int(cfg, "capture", "statusline_timeout_ms");
	st->st_context_files = settings_str(cfg, "capture", "context_files");
	st->st_context_max = settings_int(cfg, "capture", "context_max");
	st->st_log_max_size = (size_t)settings_int(cfg, "log", "max_size");
	st->st_log_keep = (int)settings_int(cfg, "log", "keep");
	st->st_log_level = LOGL_INFO;
	log_level_parse(settings_str(cfg, "log", "level"), &st->st_log_level);
	st->st_instance = settings_str(cfg, NULL, "instance");
	st->st_rundir = settings_str(cfg, NULL, "rundir");
	st->st_statedir = settings_str(cfg, NULL, "statedir");
	st->st_log_file = settings_str(cfg, "capture", "log_file");
}

int
settings_fast(struct settings *st, const struct capture_opts *opts, char *const *envp)
{
	const char *level = NULL, *v, *eq;
	char path[4096];
	size_t i, j, nl;

	memset(st, 0, sizeof(*st));
	if (opts->config_file != NULL)
		return -1;
	for (i = 0; envp != NULL && envp[i] != NULL; i++)
		if (strncmp(envp[i], "HOOKWIRE_CONFIG=", 16) == 0)
			break;
	if (envp != NULL && envp[i] != NULL) {
		if (envp[i][16] != '\0')
			return -1; /* a file */
	} else if (config_default_path(envp, path, sizeof(path)) != NULL)
		return -1;
	settings_values(st, NULL);
	for (i = 0; envp != NULL && envp[i] != NULL; i++) {
		if (strncmp(envp[i], "HOOKWIRE_", 9) != 0)
			continue;
		if ((eq = strchr(envp[i], '=')) == NULL)
			return -1;
		nl = (size_t)(eq - envp[i]);
		v = eq + 1;
		if (strncmp(envp[i], SETTINGS_ENV_SKIP_PREFIX, strlen(SETTINGS_ENV_SKIP_PREFIX)) ==
		    0)
			continue;
		for (j = 0; j < sizeof(settings_env_skip) / sizeof(settings_env_skip[0]); j++)
			if (strlen(settings_env_skip[j]) == nl &&
			    memcmp(envp[i], settings_env_skip[j], nl) == 0)
				break;
		if (j < sizeof(settings_env_skip) / sizeof(settings_env_skip[0]))
			continue;
		if (nl == 17 && memcmp(envp[i], "HOOKWIRE_INSTANCE", nl) == 0)
			st->st_instance = v;
		else if (nl == 15 && memcmp(envp[i], "HOOKWIRE_RUNDIR", nl) == 0)
			st->st_rundir = v;
		else if (nl == 17 && memcmp(envp[i], "HOOKWIRE_STATEDIR", nl) == 0)
			st->st_statedir = v;
		else if (nl == 25 && memcmp(envp[i], "HOOKWIRE_CAPTURE_LOG_FILE", nl) == 0)
			st->st_log_file = v;
		else if (nl == 18 && memcmp(envp[i], "HOOKWIRE_LOG_LEVEL", nl) == 0)
			level = v;
		else
			return -1; /* anything else: the full configuration checks it */
	}
	/* checked as config_set() checks them; a bad one takes the full path,
	 * which reports it */
	if (!paths_instance_valid(st->st_instance))
		return -1;
	if (level != NULL && log_level_parse(level, &st->st_log_level) == -1)
		return -1;
	if (opts->instance != NULL) {
		if (!paths_instance_valid(opts->instance))
			return -1;
		st->st_instance = opts->instance;
	}
	if (opts->rundir != NULL)
		st->st_rundir = opts->rundir;
	if (opts->statedir != NULL)
		st->st_statedir = opts->statedir;
	if (opts->log_file != NULL)
		st->st_log_file = opts->log_file;
	return 0;
}

void
settings_full(struct settings *st, const struct capture_opts *opts, char *err, size_t errlen)
{
	memset(st, 0, sizeof(*st));
	st->st_cfg = capture_config(opts, 1, err, errlen);
	settings_values(st, st->st_cfg);
	/* --log-file names the log even when the configuration is unusable */
	if (opts->log_file != NULL)
		st->st_log_file = opts->log_file;
}

void
settings_load(struct settings *st, const struct capture_opts *opts, char *err, size_t errlen)
{
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (settings_fast(st, opts, environ) == -1)
		settings_full(st, opts, err, errlen);
}

void
settings_free(struct settings *st)
{
	config_free(st->st_cfg);
	st->st_cfg = NULL;
}
