/*
 * capture.h: hook-capture's private structs and prototypes.
 *
 * hook-capture.c parses flags and picks a mode; settings.c gives a run
 * what it needs of the configuration; capture.c runs one hook (stdin with
 * a deadline, canonical event, delivery, context), talking to the router
 * through common/ingest_client.c; statusline.c runs one status line the
 * same way; deliver.c writes the spool; context.c builds the
 * additionalContext answer; install.c edits Claude Code's settings.json.
 */
#ifndef HOOKWIRE_CAPTURE_H
#define HOOKWIRE_CAPTURE_H

#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>

#include "event.h"
#include "ingest_client.h"
#include "log.h"
#include "paths.h"

struct config;

/* Flags given on the command line; NULL when not given. */
struct capture_opts {
	const char *config_file;
	const char *instance;
	const char *rundir;
	const char *statedir;
	const char *log_file;
	/* install, uninstall, status */
	const char *project;  /* --project DIR; NULL means --user */
	const char *events;   /* --events LIST */
	const char *timeout;  /* --timeout S */
	int user;	      /* --user given */
	int statusline;	      /* install --statusline */
	int local;	      /* --local: the project's settings.local.json */
	int here;	      /* install --here: this binary even in a build tree */
	int force;	      /* install --force: event names hook-capture does not know */
	const char *argv0;    /* how we were run, to find our own path */
	const char *bad_flag; /* first unusable flag or argument, for the log */
	int64_t t0;	      /* monotonic start, microseconds */
};

/* ---------------------------------------------------------------- settings.c */

/* What one run (a hook, a status line) needs of the configuration. */
struct settings {
	struct config *st_cfg;	 /* the full configuration, or NULL (settings_fast()) */
	const char *st_instance; /* instance name */
	const char *st_rundir;	 /* "" for the default */
	const char *st_statedir; /* "" for the default */
	const char *st_log_file; /* "" for no log */
	enum log_level st_log_level;
	size_t st_log_max_size;	    /* log.max_size */
	int st_log_keep;	    /* log.keep */
	struct event_limits st_lim; /* capture.field_max, event_max, ... */
	int st_stdin_ms, st_ack_ms; /* capture.stdin_timeout_ms, ack_timeout_ms */
	int st_statusline_ms;	    /* capture.statusline_timeout_ms */
	const char *st_context_files;
	long long st_context_max;
};

/*
 * Fills st without the full configuration when only defaults, the
 * instance, the run and state directories, the log file and the log level
 * can be in play (no file, no other HOOKWIRE_ variable in envp), each
 * valid.  Returns 0, or -1 when the full configuration is needed.
 */
int settings_fast(struct settings *st, const struct capture_opts *opts, char *const *envp);

/* Fills st from the full configuration (capture_config() in hook mode: what
 * is unusable is reported in err and left at its default). */
void settings_full(struct settings *st, const struct capture_opts *opts, char *err, size_t errlen);

/* settings_fast() with environ, else settings_full().  Free with
 * settings_free(); st's strings live as long as st, opts and environ. */
void settings_load(struct settings *st, const struct capture_opts *opts, char *err, size_t errlen);
void settings_free(struct settings *st);

/* ---------------------------------------------------------------- capture.c */

/* What capture_read() got from stdin. */
struct capture_input {
	char *buf;     /* bytes read (malloc'd), at most max + 1 kept */
	size_t len;    /* bytes kept in buf */
	size_t total;  /* bytes read in all, including those discarded */
	int timed_out; /* the deadline passed before end of file */
};

/*
 * Reads fd until end of file or until timeout_ms have passed, keeping at
 * most max + 1 bytes (so that an oversized input is seen as such; the rest
 * is read and discarded until end of file or the deadline).
 * Returns 0, or -1 when out of memory (in->buf is then NULL).
 * The caller frees in->buf.
 */
int capture_read(int fd, size_t max, int timeout_ms, struct capture_input *in);

/* Runs one hook: never fails, never writes to stdout except the context
 * answer.  Returns the exit code, always 0. */
int capture_main(const struct capture_opts *opts);

/* What one run (a hook, a status line) works with. */
struct capture_run {
	struct settings cr_st; /* the configuration's values (defaults when unusable) */
	struct paths cr_paths;
	int cr_havepaths;
	struct ingest_client cr_ic; /* to the router, made at the start when it can be */
	struct event_env cr_env;
	char cr_host[256];
	char cr_err[512]; /* why there are no paths */
	int64_t cr_t0;	  /* monotonic start, microseconds */
};

/* Configuration (falling back to defaults), the log file, paths, a
 * connection to the router (without waiting: the router accepts it while
 * stdin is read), limits and enrichment; never fails.  capture_end()
 * releases them. */
void capture_begin(struct capture_run *cr, const struct capture_opts *opts);
void capture_end(struct capture_run *cr);

/* One event ready to send, and what the log and the context answer want of it. */
struct capture_line {
	char *cl_buf; /* the event and its newline (malloc'd) */
	size_t cl_len;
	char cl_id[EVENT_ID_LEN + 1]; /* "-" when the event has none */
	char cl_name[64];	      /* the event's name; "" when longer */
	char *cl_cwd;		      /* the hook's cwd when the event wants context (malloc'd) */
	int cl_one_pass;	      /* built by hookscan_event() */
};

/*
 * Builds the event for what stdin gave, its capture_us set, into cl: in
 * one pass without json-c (hookscan_event()) when that takes the input,
 * else with event_from_hook() (bad input becomes an input error event,
 * logged as bad "what" input).  Returns 0, or -1 when out of memory
 * (logged).  capture_line_free() frees what cl holds.
 */
int capture_build(struct capture_run *cr, const struct capture_input *in, const char *what,
		  struct capture_line *cl);
void capture_line_free(struct capture_line *cl);

/* Hands cl to the router within capture.ack_timeout_ms, on the connection
 * made at the start when the router has not closed it, else on a new one;
 * else spools it; logs either way. */
void capture_deliver(struct capture_run *cr, const struct capture_line *cl);

/* A diagnostic to the log file, when one is open; else dropped. */
void capture_log(enum log_level level, const char *reason, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * Loads the configuration: defaults, file, environment, then the flags in
 * opts.  Returns a new config, or NULL with a message in err; with
 * fallback set, a failing file or environment is reported in err but the
 * defaults (plus the flags that apply) are returned instead.
 */
struct config *capture_config(const struct capture_opts *opts, int fallback, char *err,
			      size_t errlen);

/* ---------------------------------------------------------------- deliver.c */

/*
 * Writes buf (one event and its newline) into the spool at spool_dir,
 * creating spool_dir/tmp and spool_dir/new (mode 0700) when missing.
 * Returns 0, or -1 with a message in err.
 */
int deliver_spool(const char *spool_dir, const char *buf, size_t len, char *err, size_t errlen);

/* ---------------------------------------------------------------- statusline.c */

/* Longest status line printed, bytes (an SGR reset may follow a cut line). */
#define STATUSLINE_LINE_MAX 512
/* Lines of the user's command's output passed on at most. */
#define STATUSLINE_LINES_MAX 4

/* hook-capture statusline [-- COMMAND ...]: cmd is COMMAND's argv
 * (NULL-terminated), or NULL.  Returns the exit status. */
int statusline_main(const struct capture_opts *opts, char *const *cmd);

/*
 * One line of len bytes made safe for a terminal, into out (outmax bytes,
 * NUL-terminated): valid UTF-8 and SGR sequences kept, every other control
 * character, C1 control and escape sequence dropped, tabs made spaces; cut
 * on a character boundary so that it fits, with an SGR reset added when a
 * styled line was cut.  Returns the length.
 */
size_t statusline_clean(const char *in, size_t len, char *out, size_t outmax);

/* ---------------------------------------------------------------- context.c */

/* Per-user and per-project context files, read when they exist. */
#define CONTEXT_USER_FILE    ".claude/hookwire-context.md"
#define CONTEXT_PROJECT_FILE ".claude/hookwire-context.md"
/* Appended to context cut to the limit. */
#define CONTEXT_TRUNC_MARKER "\n[hookwire: context truncated]"
/* Bytes read from one context file at most. */
#define CONTEXT_FILE_MAX (256 * 1024)

/* True for the events whose stdout Claude Code takes as context and for
 * which hook-capture answers with additionalContext. */
int context_event_wants(const char *event);

/*
 * Expands a context file path: a leading "~/" (or "~" alone) becomes home,
 * every "{project}" becomes project.  Returns a new string (caller frees),
 * or NULL when out of memory or when the path needs a home or project that
 * is NULL.
 */
char *context_expand(const char *path, const char *home, const char *project);

/*
 * Counts characters the way Claude Code does (UTF-16 code units: a code
 * point above U+FFFF counts two).  s must be valid UTF-8.
 */
size_t context_chars(const char *s, size_t len);

/*
 * Copies len bytes of s into a new NUL-terminated string, replacing each
 * invalid UTF-8 sequence with U+FFFD and dropping NUL bytes.  *outlen gets
 * its length.  Returns NULL when out of memory.
 */
char *context_utf8_clean(const char *s, size_t len, size_t *outlen);

/*
 * Cuts the valid UTF-8 string s (NUL-terminated, length *len) in place so
 * that, with CONTEXT_TRUNC_MARKER appended when it had to be cut, it holds
 * at most max_chars characters (context_chars()).  s must have room for
 * the marker.  Returns 1 when it cut, else 0.
 */
int context_cut(char *s, size_t *len, size_t cap, size_t max_chars);

/*
 * Builds the context text from the files in files_csv (comma-separated,
 * may be NULL or empty), then the per-user and per-project files.  Files
 * that do not exist are skipped.  Returns a new string bounded to
 * max_chars characters (caller frees), or NULL when there is no context.
 */
char *context_build(const char *files_csv, const char *home, const char *project, size_t max_chars);

/* The JSON answer for event with the context text: a new string ending in
 * a newline (caller frees), or NULL when out of memory. */
char *context_answer(const char *event, const char *text);

/* ---------------------------------------------------------------- install.c */

/* Default per-handler timeout written into settings.json, seconds. */
#define INSTALL_TIMEOUT_DEFAULT 5
#define INSTALL_TIMEOUT_MAX	600
/* SessionEnd's hooks share a 1.5 s budget, which a longer timeout of ours
 * would stretch (Claude Code raises it to the longest handler's): ours
 * there is at most this. */
#define INSTALL_TIMEOUT_SESSIONEND 1
/* The files the FileChanged hook asks Claude Code to watch (literal names,
 * '|' between them): what changes how Claude Code itself behaves. */
#define INSTALL_FILECHANGED_MATCHER "CLAUDE.md|CLAUDE.local.md|.mcp.json|.env|.envrc"
/* The file the build writes beside the binaries it makes (make bins): a
 * hook-capture next to it is in a build tree, which make clean removes. */
#define INSTALL_BUILD_MARK ".hookwire-build-tree"
/* Suffix of the backup written next to settings.json before a change. */
#define INSTALL_BACKUP_SUFFIX ".hookwire-bak"
/* Largest settings file read, bytes. */
#define INSTALL_SETTINGS_MAX (16 * 1024 * 1024)

/* The events hook-capture registers by default (NULL-terminated). */
extern const char *const install_events[];

/* True when event takes a matcher (then "*" is written). */
int install_event_has_matcher(const char *event);

/* True when handler (one object of an inner "hooks" array) runs hook-capture. */
int install_is_ours(json_object *handler);

/*
 * Parses a settings file's text: empty (or blank) text is an empty object.
 * Returns a new object, or NULL with a message in err when the text is not
 * one JSON object, or when "hooks" or one of its events has the wrong type.
 */
json_object *install_parse(const char *buf, size_t len, char *err, size_t errlen);

/*
 * Reads path: a missing file gives an empty object.  Returns a new object
 * (caller puts it), or NULL with a message in err.  *existed tells whether
 * the file was there.
 */
json_object *install_load(const char *path, int *existed, char *err, size_t errlen);

/*
 * Writes settings to path atomically (temporary file in the same
 * directory, fsync, rename), after copying an existing file to
 * path INSTALL_BACKUP_SUFFIX.  Creates the parent directory when missing.
 * Returns 0, or -1 with a message in err (path is then untouched).
 */
int install_save(const char *path, json_object *settings, char *err, size_t errlen);

/* Checks event names: WorktreeCreate is refused, and so is a name not in
 * install_events[] unless force.  Returns their count (at least 1), or -1
 * with a message in err. */
int install_check_events(const char *const *events, int force, char *err, size_t errlen);

/*
 * Registers one handler {type: command, command, args, timeout} for every
 * event in events (NULL-terminated), with matcher "*" where matchers apply,
 * and removes hook-capture from every other event.  Never adds a second
 * entry: earlier hook-capture handlers are removed first.  Other hooks and
 * keys are untouched.  args is borrowed (copied).
 * Returns the number of events registered, or -1 with a message in err.
 */
int install_apply(json_object *settings, const char *command, json_object *args,
		  const char *const *events, int timeout, char *err, size_t errlen);

/*
 * Removes every hook-capture handler; matcher groups and events left empty
 * by that are removed too, and "hooks" when it became empty.
 * Returns the number of handlers removed.
 */
int install_remove(json_object *settings);

/* Events that have a hook-capture handler, as a new array of strings. */
json_object *install_registered(json_object *settings);

/* Suffix of the file next to settings.json that keeps the statusLine
 * install --statusline replaced, for uninstall to put back. */
#define INSTALL_STATUSLINE_SUFFIX ".hookwire-statusline"

/* True when the statusLine object runs "hook-capture ... statusline". */
int install_statusline_is_ours(json_object *sl);

/* Our status line command: self and args quoted for sh, "statusline", and
 * "-- /bin/sh -c 'WRAPPED'" when there is a command to wrap.  A new string. */
char *install_statusline_command(const char *self, json_object *args, const char *wrapped);

/*
 * Makes settings' statusLine ours: a copy of original (its other keys,
 * padding, refreshInterval, kept) whose command wraps original's, or
 * {type: command} when original is NULL.  A statusLine that is not a
 * command object is refused.  Returns 0, or -1 with err.
 */
int install_statusline_apply(json_object *settings, const char *self, json_object *args,
			     json_object *original, char *err, size_t errlen);

/* Takes our statusLine out: saved back in its place (have_saved and saved
 * not NULL), else the key removed.  Returns 1 when it was ours, else 0. */
int install_statusline_remove(json_object *settings, json_object *saved, int have_saved);

/* The install, uninstall and status subcommands.  Return 0, 1 or 100. */
int install_main(const char *sub, const struct capture_opts *opts);

#endif
