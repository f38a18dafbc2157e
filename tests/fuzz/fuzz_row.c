/*
 * fuzz_row.c: row_scan(), event-store's fast path over a stored event,
 * against json-c (row_parse_json()).
 *
 * Whenever row_scan() reads a line, json-c must read it too and give the
 * same row: every column, the time, and the full-text text byte for byte,
 * at the text limit taken from the input's first byte.  A line json-c
 * refuses must never be read by the scanner.
 */
/* fuzz-srcs: event-store/row*.c common/store_query.c common/event_scan.c common/util.c */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
str_same(const char *a, const char *b)
{
	return a == NULL ? b == NULL : b != NULL && strcmp(a, b) == 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct row a, b;
	size_t max;

	if (size < 1)
		return 0;
	/* 1 to 256 bytes, or 4096: cuts anywhere, and none */
	max = data[0] == 0xff ? 4096 : (size_t)data[0] + 1;
	data++;
	size--;
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	if (row_scan(&a, (const char *)data, size, max) == 0) {
		if (row_parse_json(&b, (const char *)data, size, max) != 0)
			abort();
		if (!str_same(a.r_ts, b.r_ts) || !str_same(a.r_event, b.r_event) ||
		    !str_same(a.r_session, b.r_session) || !str_same(a.r_agent, b.r_agent) ||
		    !str_same(a.r_tool, b.r_tool) || !str_same(a.r_tool_use_id, b.r_tool_use_id) ||
		    !str_same(a.r_project, b.r_project) || !str_same(a.r_cwd, b.r_cwd) ||
		    a.r_ts_us != b.r_ts_us || a.r_text_len != b.r_text_len ||
		    (a.r_text_len > 0 && memcmp(a.r_text, b.r_text, a.r_text_len) != 0))
			abort();
	}
	row_clear(&a);
	row_clear(&b);
	return 0;
}
