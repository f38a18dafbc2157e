/*
 * event_scan.h: the router's fast path over an ingest line (event_scan.c).
 *
 * event_scan() accepts only a canonical event written the way json-c
 * writes it and tells where each member's text is, so that the router can
 * key, check and publish the line without parsing it; any other line is
 * left to event_parse_line() and event_validate() (event.h).  No I/O, no
 * allocation: unit tests and fuzz targets link it directly.
 */
#ifndef HOOKWIRE_EVENT_SCAN_H
#define HOOKWIRE_EVENT_SCAN_H

#include <stddef.h>
#include <json-c/json.h>

/*
 * The router's fast path (event_scan()): the members of a compact ingest
 * line.  es_off/es_len: the value's text in the line (strings with their
 * quotes); es_len is 0 when the member is absent.
 */
enum event_member {
	EVENT_M_SEQ = 0,
	EVENT_M_ID,
	EVENT_M_TS,
	EVENT_M_EVENT,
	EVENT_M_SESSION_ID,
	EVENT_M_AGENT_ID,
	EVENT_M_TOOL,
	EVENT_M_TOOL_USE_ID,
	EVENT_M_CWD,
	EVENT_M_HOST,
	EVENT_M_USER,
	EVENT_M_PROJECT,
	EVENT_M_FILES,
	EVENT_M_DATA,
	EVENT_M_META,
	EVENT_M_COUNT
};

struct event_scan {
	size_t es_off[EVENT_M_COUNT], es_len[EVENT_M_COUNT];
	int es_data_plain;    /* data holds no \\ before a u or a / */
	int es_meta_scrubbed; /* meta has an integer member "scrubbed" */
	size_t es_members;    /* object members in the line, at every depth */
};

/*
 * Scans an ingest line that is a canonical event written the way json-c
 * writes it: compact JSON (RFC 8259, no white space outside strings), UTF-8
 * without NUL, no \/ and no \u escape but of a control character, nesting
 * below depth_max, integers within 64 bits, only the members of
 * hookwire-event(5) (each once, in their order, "seq" absent) with the
 * types event_validate() wants, and no escapes in the id, ts, event,
 * session_id and tool_use_id strings.  Such a line means what json-c would
 * parse it to, member for member.  Returns 0 and fills sc, or -1 when the
 * line is anything else (then event_parse_line() and event_validate() say
 * whether and why it is bad).  No allocation.
 */
int event_scan(const char *line, size_t len, int depth_max, struct event_scan *sc);

/*
 * The JSON string whose opening quote is at p (end: the end of the text),
 * read as event_scan() reads strings: UTF-8, no raw control character, \u
 * only of a control character; \/ only when slash is set.  Returns the byte
 * after its closing quote, or NULL when it is not such a string.  *esc:
 * whether it holds escapes; *risky (unless NULL) counts the \\ before a u
 * or a /.  event-store's row reader (rowscan.c) shares it.
 */
const unsigned char *event_scan_string_at(const unsigned char *p, const unsigned char *end,
					  int slash, int *esc, size_t *risky);

/* The number of object members in obj, at every depth (compared with
 * es_members, it tells whether json-c dropped a repeated key). */
size_t event_scan_count_members(json_object *obj);

#endif
