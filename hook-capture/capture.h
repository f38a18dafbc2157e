/*
 * capture.h: hook-capture's private structs and prototypes.
 *
 * hook-capture.c parses flags and picks a mode; capture.c runs one hook
 * (stdin with a deadline, canonical event, delivery, context); deliver.c
 * talks to the router's ingest socket and falls back to the spool;
 * context.c builds the additionalContext answer; install.c edits Claude
 * Code's settings.json.
 */
#ifndef HOOKWIRE_CAPTURE_H
#define HOOKWIRE_CAPTURE_H

#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>

#include "event.h"
#include "log.h"

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
	const char *bad_flag; /* first unusable flag or argument, for the log */
	int64_t t0;	      /* monotonic start, microseconds */
};

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

/*
 * Loads the configuration: defaults, file, environment, then the flags in
 * opts.  Returns a new config, or NULL with a message in err; with
 * fallback set, a failing file or environment is reported in err but the
 * defaults (plus the flags that apply) are returned instead.
 */
struct config *capture_config(const struct capture_opts *opts, int fallback, char *err,
			      size_t errlen);

/* ---------------------------------------------------------------- settings.c */

/* What one hook run needs of the configuration. */
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

/* ---------------------------------------------------------------- deliver.c */

enum deliver_status {
	DELIVER_ACCEPTED = 0,
	DELIVER_DUPLICATE,
	DELIVER_REJECTED,    /* the router refused it: do not spool */
	DELIVER_UNREACHABLE, /* no socket, nobody listening, connect failed */
	DELIVER_TIMEOUT,     /* no complete reply line within the deadline */
	DELIVER_BAD_REPLY,   /* a reply that is not one of the three */
	DELIVER_IO_ERROR     /* write or read failed */
};

/* Short name of a status, for logs ("accepted", "unreachable", ...). */
const char *deliver_status_name(enum deliver_status st);

/*
 * Connects to the AF_UNIX socket at path (non-blocking), writes line
 * (which must end in a newline) and waits for one reply line, all within
 * timeout_ms.  For DELIVER_REJECTED the reason code is copied into reason
 * (may be NULL); for DELIVER_ACCEPTED and DELIVER_DUPLICATE *seq is set
 * (may be NULL).
 */
enum deliver_status deliver_send(const char *path, const char *line, size_t len, int timeout_ms,
				 char *reason, size_t reasonlen, long long *seq);

/*
 * Connects a non-blocking AF_UNIX stream socket to path within timeout_ms
 * (0: only when it connects at once).  Returns the socket, or -1 with *st
 * DELIVER_UNREACHABLE or DELIVER_TIMEOUT.
 */
int deliver_open(const char *path, int timeout_ms, enum deliver_status *st);

/* Returns 1 when the connection fd of deliver_open() has not been closed
 * by the router (nor has anything to read), else 0. */
int deliver_alive(int fd);

/* deliver_send() on the socket fd of deliver_open(), which it leaves open
 * (the caller closes it). */
enum deliver_status deliver_request(int fd, const char *line, size_t len, int timeout_ms,
				    char *reason, size_t reasonlen, long long *seq);

/*
 * Parses one reply line (without its newline).  Returns DELIVER_ACCEPTED,
 * DELIVER_DUPLICATE, DELIVER_REJECTED or DELIVER_BAD_REPLY.
 */
enum deliver_status deliver_parse_reply(const char *line, size_t len, char *reason,
					size_t reasonlen, long long *seq);

/* Returns 1 when something accepts connections on the AF_UNIX socket at
 * path within timeout_ms, else 0. */
int deliver_probe(const char *path, int timeout_ms);

/*
 * Writes buf (one event and its newline) into the spool at spool_dir,
 * creating spool_dir/tmp and spool_dir/new (mode 0700) when missing.
 * Returns 0, or -1 with a message in err.
 */
int deliver_spool(const char *spool_dir, const char *buf, size_t len, char *err, size_t errlen);

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

/* Checks event names (WorktreeCreate is refused).  Returns their count
 * (at least 1), or -1 with a message in err. */
int install_check_events(const char *const *events, char *err, size_t errlen);

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

/* The install, uninstall and status subcommands.  Return 0, 1 or 100. */
int install_main(const char *sub, const struct capture_opts *opts);

#endif
