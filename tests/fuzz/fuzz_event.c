/*
 * fuzz_event.c: event_from_hook() and event_parse_line() on any bytes.
 *
 * Whatever the input, event_from_hook() must return an event that
 * event_validate() accepts, that serializes to valid UTF-8 within
 * event_max, and that event_parse_line() reads back.
 */
/* fuzz-srcs: common/event.c common/util.c common/compat.c */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "event.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct event_env env = {"fuzzhost", "fuzzer", NULL};
	struct event_limits lim = {
	    .field_max = 64,
	    .event_max = 4096,
	    .input_max = 1 << 20,
	    .bad_copy = 512,
	    .depth_max = 16,
	};
	const char *reason = NULL, *s;
	json_object *ev, *back;
	size_t len;

	ev = event_from_hook((const char *)data, size, &lim, &env, 1764361503123456LL);
	if (ev == NULL)
		abort();
	if (event_validate(ev, &reason) != 0)
		abort();
	s = event_to_string(ev, &len);
	if (s == NULL || len > lim.event_max || util_utf8_valid(s, len) != len)
		abort();
	back = event_parse_line(s, len, &lim, &reason);
	if (back == NULL || event_validate(back, &reason) != 0)
		abort();
	json_object_put(back);
	json_object_put(ev);

	/* The router's path: parse, then validate, never crash. */
	ev = event_parse_line((const char *)data, size, &lim, &reason);
	if (ev != NULL) {
		(void)event_validate(ev, &reason);
		json_object_put(event_files(ev));
		json_object_put(ev);
	} else if (reason == NULL)
		abort();
	return 0;
}
