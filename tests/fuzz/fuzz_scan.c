/*
 * fuzz_scan.c: event_scan(), the router's fast-path scanner, against json-c.
 *
 * Whenever event_scan() accepts a line, json-c must parse it and
 * event_validate() accept it, every member span must parse to the value
 * json-c gives that member, and json-c must not see more object members
 * than the scanner counted.  A line json-c refuses must never be scanned.
 */
/* fuzz-srcs: common/event.c common/event_scan.c common/util.c common/compat.c */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "event.h"
#include "event_scan.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *names[EVENT_M_COUNT] = {
	    "seq", "id",   "ts",   "event",   "session_id", "agent_id", "tool", "tool_use_id",
	    "cwd", "host", "user", "project", "files",	    "data",	"meta"};
	struct event_limits lim;
	struct event_scan sc;
	const char *line = (const char *)data, *reason = NULL;
	json_object *ev, *v, *w;
	char *span;
	int m;

	event_limits_default(&lim);
	lim.depth_max = 16;
	if (event_scan(line, size, lim.depth_max, &sc) == -1)
		return 0;
	ev = event_parse_line(line, size, &lim, &reason);
	if (ev == NULL || event_validate(ev, &reason) == -1)
		abort();
	if (event_scan_count_members(ev) > sc.es_members)
		abort();
	for (m = 0; m < EVENT_M_COUNT; m++) {
		if (sc.es_len[m] == 0) {
			if (json_object_object_get_ex(ev, names[m], NULL))
				abort();
			continue;
		}
		if (!json_object_object_get_ex(ev, names[m], &v) || sc.es_off[m] >= size ||
		    sc.es_len[m] > size - sc.es_off[m])
			abort();
		if ((span = strndup(line + sc.es_off[m], sc.es_len[m])) == NULL)
			abort();
		w = json_tokener_parse(span);
		if (w == NULL || !json_object_equal(v, w))
			abort();
		json_object_put(w);
		free(span);
	}
	json_object_put(ev);
	return 0;
}
