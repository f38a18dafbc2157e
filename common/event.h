/*
 * event.h: the canonical event (hookwire-event(5)).
 *
 * hook-capture builds a canonical event from Claude Code's hook JSON with
 * event_from_hook() (and, before it, tries its one-pass path, hookscan.h,
 * which takes event_new_id() and event_format_ts() from here); the router
 * parses and checks ingest lines with event_parse_line() and
 * event_validate() (and, before them, tries its fast path, event_scan.h).
 * Neither fast path is linked by what links this file alone.  Nothing here
 * does I/O, logs or exits, so unit tests and fuzz targets link it directly.
 *
 * Canonical event fields (DESIGN.md): seq, id, ts, event, session_id,
 * agent_id, tool, tool_use_id, cwd, host, user, project, files, data, meta
 * {scrubbed, truncated, capture_us}.  Bad hook input becomes an event named
 * EVENT_INPUT_ERROR whose data carries the reason and a bounded, escaped copy.
 */
#ifndef HOOKWIRE_EVENT_H
#define HOOKWIRE_EVENT_H

#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>

/* Event name given to hook input that could not be used as it was. */
#define EVENT_INPUT_ERROR "hookwire.input_error"

/* Marker appended to a string field cut to the field limit. */
#define EVENT_TRUNC_MARKER "[hookwire: truncated %zu bytes]"

/* Length of a hex event id (128 bits) without its NUL. */
#define EVENT_ID_LEN 32

/* Length of a timestamp of event_format_ts() (years 0 to 9999) without its NUL. */
#define EVENT_TS_LEN 27

struct event_limits {
	size_t field_max; /* longest string kept whole in data */
	size_t event_max; /* largest serialized event */
	size_t input_max; /* largest input accepted */
	size_t bad_copy;  /* bytes of bad input copied into an input_error event */
	int depth_max;	  /* deepest nesting */
};

/* Fills lim with the compiled-in defaults of hwlimits.h. */
void event_limits_default(struct event_limits *lim);

struct event_env {
	const char *host;	 /* gethostname(), may be NULL */
	const char *user;	 /* login name, may be NULL */
	const char *project_dir; /* CLAUDE_PROJECT_DIR, may be NULL: then cwd */
};

/*
 * Builds a canonical event from raw hook input (not NUL-terminated).
 * Never fails on bad input: the result is then an EVENT_INPUT_ERROR event.
 * now_us is the capture time (microseconds since the epoch).
 * seq is not set (the router assigns it); meta.capture_us is 0 (the caller
 * sets it with event_set_capture_us()).
 * Returns a new object (caller puts it), or NULL only when out of memory.
 */
json_object *event_from_hook(const char *in, size_t len, const struct event_limits *lim,
			     const struct event_env *env, int64_t now_us);

/* The "seq" of a canonical event's line, as the router writes it: its first
 * member (a journal line, a ring or store record).  0 when it has none. */
uint64_t event_line_seq(const char *line, size_t len);

/* Sets meta.capture_us. */
void event_set_capture_us(json_object *ev, int64_t us);

/*
 * Cuts every string in obj longer than field_max (walking objects and arrays)
 * to field_max bytes (on a UTF-8 boundary) plus EVENT_TRUNC_MARKER.
 * Returns the number of bytes cut.
 */
size_t event_truncate_strings(json_object *obj, size_t field_max);

/* The file paths the hook JSON data touches, as a new array (caller puts it). */
json_object *event_files(json_object *data);

/* Writes a new random 128-bit hex id (getentropy(), else arc4random) and its NUL
 * into out. */
void event_new_id(char out[EVENT_ID_LEN + 1]);

/* Formats us (microseconds since the epoch) as RFC 3339 UTC with microseconds,
 * e.g. 2026-11-28T20:25:03.123456Z, into out (at least 28 bytes). */
void event_format_ts(int64_t us, char *out, size_t outlen);

/*
 * Parses one ingest line (without its newline) into a JSON object.
 * Checks in this order and on failure returns NULL and sets *reason to one
 * of the reason codes below.  Returns a new object on success.
 */
json_object *event_parse_line(const char *line, size_t len, const struct event_limits *lim,
			      const char **reason);

/*
 * Checks that ev is a canonical event as producers must send it: id (32 hex
 * digits), ts (string), event (non-empty string), data (object), and the right
 * types for every optional field present.  Returns 0, or -1 and sets *reason.
 */
int event_validate(json_object *ev, const char **reason);

/* Serializes ev compactly (no spaces, "/" not escaped); the string belongs to ev. */
const char *event_to_string(json_object *ev, size_t *len);

/* Reason codes (hookwire-event(5)); these exact strings are used on the wire,
 * in logs and as metric labels. */
#define EVENT_R_LINE_TOO_LONG "line_too_long"
#define EVENT_R_NUL_BYTE      "nul_byte"
#define EVENT_R_INVALID_UTF8  "invalid_utf8"
#define EVENT_R_INVALID_JSON  "invalid_json"
#define EVENT_R_TOO_DEEP      "too_deep"
#define EVENT_R_NOT_OBJECT    "not_object"
#define EVENT_R_MISSING_FIELD "missing_field"
#define EVENT_R_BAD_FIELD     "bad_field_type"
#define EVENT_R_TOO_LARGE     "event_too_large"
#define EVENT_R_EMPTY	      "empty_input"
#define EVENT_R_TIMEOUT	      "stdin_timeout"

#endif
