/*
 * hookscan.h: one pass over Claude Code's hook JSON, hook-capture's fast
 * path: hookscan_run() scans, hookscan_event() builds the canonical event.
 *
 * hookscan_run() reads the hook input once.  It checks it strictly (JSON
 * of RFC 8259, UTF-8, nesting), writes it out as compact JSON exactly as
 * json-c would write what it parsed (no white space, "/" not escaped,
 * control characters as json-c escapes them), cuts every string value
 * longer than field_max the way event_truncate_strings() does, and records
 * where the members the canonical event lifts are in its output.
 *
 * It declines on anything it does not handle exactly as event_from_hook()
 * would, and never guesses: invalid input of any kind, a \u escape of
 * anything but a control character, a raw control character in a string,
 * an escape in a key, a repeated key, an object with more keys open at
 * once than HOOKSCAN_KEYS_MAX, an integer of more than 18 digits, a number
 * json-c would not read as a finite double, nesting within two levels of
 * depth_max, a hook_event_name that is missing, empty, not a string or
 * holds a NUL.  The caller then takes the json-c path, which decides.
 *
 * hookscan_run() allocates nothing; hookscan_event() allocates the text it
 * returns.  No I/O: unit tests and fuzz targets link it (with event.c).
 */
#ifndef HOOKWIRE_HOOKSCAN_H
#define HOOKWIRE_HOOKSCAN_H

#include <stddef.h>
#include <stdint.h>

#include "event.h"

/* Keys of the objects open at once (to find a repeated key); beyond it
 * hookscan_run() declines. */
#define HOOKSCAN_KEYS_MAX 512

/* The members the canonical event lifts from the hook JSON. */
enum hookscan_member {
	HOOKSCAN_EVENT = 0,	      /* hook_event_name */
	HOOKSCAN_SESSION_ID,	      /* session_id */
	HOOKSCAN_AGENT_ID,	      /* agent_id */
	HOOKSCAN_TOOL,		      /* tool_name */
	HOOKSCAN_TOOL_USE_ID,	      /* tool_use_id */
	HOOKSCAN_CWD,		      /* cwd */
	HOOKSCAN_FILE_PATH,	      /* tool_input.file_path */
	HOOKSCAN_NOTEBOOK_PATH,	      /* tool_input.notebook_path */
	HOOKSCAN_PATH,		      /* tool_input.path */
	HOOKSCAN_RESP_FILE_PATH,      /* tool_response.filePath */
	HOOKSCAN_RESP_FILE_FILE_PATH, /* tool_response.file.filePath */
	HOOKSCAN_COUNT
};

struct hookscan {
	size_t hs_len;			/* bytes written to out */
	size_t hs_truncated;		/* bytes cut from strings (meta.truncated) */
	size_t hs_off[HOOKSCAN_COUNT];	/* a string member's value in out (from its quote) */
	size_t hs_vlen[HOOKSCAN_COUNT]; /* its length with the quotes; 0: absent or no string */
	unsigned hs_nul;		/* bit m: member m holds a NUL (\u0000) */
};

/* The size of the out buffer hookscan_run() needs for len bytes of input
 * (the input, markers of cut strings, and room for 16-byte stores). */
size_t hookscan_out_max(size_t len, size_t field_max);

/*
 * Scans in[0..len) (the hook JSON) into out (hookscan_out_max(len,
 * field_max) bytes, not NUL-terminated) and fills hs.  Returns 0, or -1 when
 * it declines (see above; out and hs are then undefined).
 */
int hookscan_run(const char *in, size_t len, size_t field_max, int depth_max, char *out,
		 struct hookscan *hs);

/*
 * Writes s (len bytes, NUL-terminated or not) into out as a JSON string
 * with its quotes, escaped as json-c escapes it (out needs 6 * len + 3
 * bytes).  Returns the bytes written, or 0 when s is not valid UTF-8 or
 * holds a NUL.
 */
size_t hookscan_quote(const char *s, size_t len, char *out);

/*
 * Decodes a JSON string as hookscan_run() writes it (with its quotes) into
 * out, NUL-terminated, cut at a NUL it holds.  Returns 0, or -1 when it
 * does not fit in outlen bytes or is not such a string.
 */
int hookscan_unquote(const char *s, size_t len, char *out, size_t outlen);

/* A canonical event as text: what hookscan_event() builds. */
struct hookscan_event {
	char *he_line;			 /* compact JSON, NUL-terminated (malloc'd) */
	size_t he_len;			 /* its length */
	size_t he_cap;			 /* bytes allocated: room for capture_us and a newline */
	char he_id[EVENT_ID_LEN + 1];	 /* its id */
	size_t he_name_off, he_name_len; /* the "event" string in he_line, with its quotes */
	size_t he_cwd_off, he_cwd_len;	 /* the "cwd" string, or 0 when there is none */
};

/*
 * hook-capture's fast path: builds the canonical event of event_from_hook()
 * as text, straight from the hook input (hookscan_run()), without json-c.
 * The text is the one event_to_string() would give for event_from_hook()'s
 * event with the same id: the same members in the same order, strings cut
 * and counted the same way, meta.capture_us 0 (set it with
 * hookscan_event_capture_us()).  It declines where event_from_hook() has
 * more to do than that: input hookscan does not take (bad input among it),
 * an event over event_max, a host, user or project that is not valid
 * UTF-8, a file path with a NUL, an event named EVENT_INPUT_ERROR.
 * Returns 0 with et filled (free he->he_line), 1 when it declines (then
 * call event_from_hook()), or -1 when out of memory.
 */
int hookscan_event(const char *in, size_t len, const struct event_limits *lim,
		   const struct event_env *env, int64_t now_us, struct hookscan_event *he);

/* Sets meta.capture_us in a hookscan_event() event.  Returns 0, or -1 when
 * its text does not end in meta.capture_us 0. */
int hookscan_event_capture_us(struct hookscan_event *he, int64_t us);

#endif
