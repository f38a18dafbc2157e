/*
 * hookscan.h: one pass over Claude Code's hook JSON, hook-capture's fast
 * path (event_hook_text() in event.c builds the canonical event from it).
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
 * No allocation, no I/O: unit tests and fuzz targets link it directly.
 */
#ifndef HOOKWIRE_HOOKSCAN_H
#define HOOKWIRE_HOOKSCAN_H

#include <stddef.h>

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

#endif
