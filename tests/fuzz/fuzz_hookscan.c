/*
 * fuzz_hookscan.c: hook-capture's fast path (hookscan_event(), over
 * hookscan_run()) against the json-c path (event_from_hook()).
 *
 * Differential: whenever the fast path builds an event, event_from_hook()
 * must build the same one for the same input: once both carry the same id,
 * equal as JSON (json_object_equal()) and equal as text, byte for byte.
 * The fast path must decline rather than guess, so an input it takes is
 * never one event_from_hook() turns into an input_error.  The router's
 * scanner (event_scan(), event_scan.c) must take the fast path's text whenever the
 * strings it wants without escapes have none, and meta.capture_us must be
 * settable.  The first input byte picks the limits and the environment
 * (small field_max so that strings are cut, shallow depth_max, a small
 * event_max, a host, user and project that need escaping), the rest is the
 * hook input.
 */
/* fuzz-srcs: common/hookscan.c common/event.c common/event_scan.c common/util.c common/compat.c */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "event.h"
#include "event_scan.h"
#include "hookscan.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* True when line[off..off+len) has no backslash. */
static int
plain(const char *line, size_t off, size_t len)
{
	return len == 0 || memchr(line + off, '\\', len) == NULL;
}

/* True when ev has no string member name, or one written without escapes. */
static int
plain_member(json_object *ev, const char *name)
{
	json_object *v;
	const char *s;

	if (!json_object_object_get_ex(ev, name, &v))
		return 1;
	s = json_object_to_json_string_ext(v,
					   JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	return strchr(s, '\\') == NULL;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t field_max[] = {16, 64, 256, 16384};
	static const int depth_max[] = {64, 5, 16, 3};
	static const size_t event_max[] = {1 << 20, 4096, 1024, 1 << 20};
	static const struct event_env envs[] = {
	    {"fuzzhost", "fuzzer", NULL},
	    {"host\"with\\quotes", "us/er\t1", "/proj/\xc3\xa9t\xc3\xa9"},
	    {NULL, NULL, ""},
	    {"bad\xff", "fuzzer", NULL},
	};
	struct event_limits lim;
	struct hookscan_event he;
	struct event_scan sc;
	const char *in, *s, *reason = NULL;
	json_object *ev, *fast, *v;
	size_t len, n;
	char pick;
	int r;

	if (size < 1)
		return 0;
	pick = (char)data[0];
	in = (const char *)data + 1;
	len = size - 1;
	event_limits_default(&lim);
	lim.field_max = field_max[pick & 3];
	lim.depth_max = depth_max[(pick >> 2) & 3];
	lim.event_max = event_max[(pick >> 4) & 3];
	lim.input_max = 1 << 20;
	lim.bad_copy = 256;

	r = hookscan_event(in, len, &lim, &envs[(pick >> 6) & 3], 1764361503123456LL, &he);
	if (r == -1)
		abort();
	if (r == 1)
		return 0;
	if (he.he_len != strlen(he.he_line) || util_utf8_valid(he.he_line, he.he_len) != he.he_len)
		abort();

	ev = event_from_hook(in, len, &lim, &envs[(pick >> 6) & 3], 1764361503123456LL);
	if (ev == NULL)
		abort();
	json_object_object_add(ev, "id", json_object_new_string(he.he_id));
	s = event_to_string(ev, &n);
	if (s == NULL || n != he.he_len || memcmp(s, he.he_line, n) != 0)
		abort();
	fast = json_tokener_parse(he.he_line);
	if (fast == NULL || !json_object_equal(fast, ev))
		abort();
	if (event_validate(fast, &reason) != 0)
		abort();
	json_object_put(fast);

	/* the spans hookscan_event() reports */
	if (!json_object_object_get_ex(ev, "event", &v) ||
	    he.he_name_len != strlen(json_object_to_json_string_ext(
				  v, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)))
		abort();
	if (he.he_line[he.he_name_off] != '"' ||
	    he.he_line[he.he_name_off + he.he_name_len - 1] != '"')
		abort();
	if ((he.he_cwd_len != 0) != json_object_object_get_ex(ev, "cwd", NULL))
		abort();

	/* the router's fast path takes it (nesting within its limit) when the
	 * strings it wants without escapes have none */
	if (plain(he.he_line, he.he_name_off, he.he_name_len) && plain_member(ev, "session_id") &&
	    plain_member(ev, "tool_use_id") &&
	    event_scan(he.he_line, he.he_len, lim.depth_max + 2, &sc) != 0)
		abort();
	json_object_put(ev);

	if (hookscan_event_capture_us(&he, 987654321) != 0)
		abort();
	fast = json_tokener_parse(he.he_line);
	if (fast == NULL || !json_object_object_get_ex(fast, "meta", &v) ||
	    !json_object_object_get_ex(v, "capture_us", &v) ||
	    json_object_get_int64(v) != 987654321)
		abort();
	json_object_put(fast);
	free(he.he_line);
	return 0;
}
