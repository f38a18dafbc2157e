/*
 * config.h: one configuration file (JSON or YAML), environment variables,
 * command-line flags (hookwire.conf(5)).
 *
 * Precedence, lowest first: compiled-in defaults, the file, environment
 * variables HOOKWIRE_<SECTION>_<KEY> (upper case; top-level keys are
 * HOOKWIRE_<KEY>, e.g. HOOKWIRE_RUNDIR), then flags, which the tool applies
 * with config_set().  Every key is in the config_keys[] table (config_keys.c);
 * an unknown key, an unknown HOOKWIRE_ variable or a bad value is an error
 * whose message names the key.  The file may carry "version": 1 (the current
 * layout); a file without it is read as version 1.
 *
 * The file looks like:
 *   { "version": 1, "instance": "default",
 *     "router": { "dedup_window_ms": 2000 }, "gateway": { "listen": "127.0.0.1:8765" } }
 * or the same in YAML.  Sections: log, capture, router, journal, ring, scrub,
 * gateway, relay, usage, store.  Lists are JSON/YAML arrays of strings, or comma-separated strings
 * in the environment and flags.
 */
#ifndef HOOKWIRE_CONFIG_H
#define HOOKWIRE_CONFIG_H

#include <stddef.h>

enum config_type {
	CONFIG_STR,  /* any string (may be empty) */
	CONFIG_INT,  /* integer within [min, max] */
	CONFIG_SIZE, /* bytes within [min, max]; accepts suffixes k, M, G (powers of 1024) */
	CONFIG_BOOL, /* true/false, yes/no, on/off, 1/0 */
	CONFIG_LIST, /* list of strings; stored comma-joined */
	CONFIG_LEVEL /* log level: error, warn, info, debug */
};

struct config_key {
	const char *section; /* NULL for a top-level key */
	const char *name;
	enum config_type type;
	const char *def; /* default, as text */
	long long min, max;
	const char *help; /* one line, for hookwire.conf(5) and --help-config */
};

/* Every key, terminated by an entry whose name is NULL. */
extern const struct config_key config_keys[];

/* The layout version this build writes and reads (the "version" key);
 * files of an older version are read through config_renames[]. */
#define CONFIG_VERSION 2

/* A key renamed in layout version `since`: in an older file, or in the
 * environment, the old name still works (with a warning), its value
 * multiplied by `mult` (a unit change; 1 for none). */
struct config_rename {
	int since;
	const char *old_section, *old_name;
	const char *new_section, *new_name;
	long long mult;
};
/* Terminated by an entry whose old_name is NULL. */
extern const struct config_rename config_renames[];

struct config;

/* Returns a new config holding the defaults, or NULL.  Free with config_free(). */
struct config *config_new(void);
void config_free(struct config *cfg);

/* Reads a JSON or YAML file (decided by its first non-blank byte: '{' is JSON).
 * Returns 0, or -1 with a message in err naming the file and key. */
int config_load_file(struct config *cfg, const char *path, char *err, size_t errlen);

/* Applies HOOKWIRE_* variables from envp (NULL-terminated).  HOOKWIRE_CONFIG is
 * ignored here (see config_load()).  Returns 0 or -1 with err naming the variable. */
int config_load_env(struct config *cfg, char *const *envp, char *err, size_t errlen);

/* Sets one key from text (section NULL for top level).  Returns 0 or -1. */
int config_set(struct config *cfg, const char *section, const char *name, const char *value,
	       char *err, size_t errlen);

/* What loading met that works but should change: each renamed key of an
 * older layout, one line each ("" when none).  Valid until cfg is freed. */
const char *config_warnings(const struct config *cfg);

/* The layout version of the file config_load_file() read (1 when it names
 * none, 0 when no file was read). */
int config_file_version(const struct config *cfg);

/*
 * Rewrites the text of a configuration file of an older layout for the
 * current one: every renamed key of config_renames[] under its new name
 * and value, and the version; comments, order and layout are kept (one key
 * per line, as hookwire.conf.example writes them).  Returns a new string
 * (the caller frees) with the count of keys changed in *changed, or NULL
 * with err (a key written across lines, or out of memory: migrate by hand).
 */
char *config_migrate_text(const char *text, size_t len, int *changed, char *err, size_t errlen);

/* Defaults, then file (path, or $HOOKWIRE_CONFIG when path is NULL, or the
 * default file, config_default_path()), then environment.  Returns 0 or -1. */
int config_load(struct config *cfg, const char *path, char *const *envp, char *err, size_t errlen);

/* The first of $XDG_CONFIG_HOME/hookwire/hookwire.conf (else
 * $HOME/.config/hookwire/hookwire.conf) and CONFIG_SYSTEM_FILE that exists,
 * written into buf, or NULL when neither does (variables from envp). */
#define CONFIG_SYSTEM_FILE "/etc/hookwire/hookwire.conf"
const char *config_default_path(char *const *envp, char *buf, size_t len);

/* Typed getters.  Asking for a key that is not in config_keys[] is a bug:
 * they abort(). */
const char *config_str(const struct config *cfg, const char *section, const char *name);
long long config_int(const struct config *cfg, const char *section, const char *name);
int config_bool(const struct config *cfg, const char *section, const char *name);

/* Writes the effective configuration as JSON (for --dump-config); returns a new string. */
char *config_dump(const struct config *cfg);

#endif
