/*
 * output.c: event-query's output (event-query(1)): one JSON object per
 * line on stdout.  Events are printed byte for byte as the store holds
 * them; --highlight adds one member, "snippet", at the end.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "event.h"
#include "store.h"

int output_failed;

static int
output_put(const char *s, size_t n)
{
	if (output_failed)
		return -1;
	if (fwrite(s, 1, n, stdout) != n) {
		output_failed = errno ? errno : EIO;
		return -1;
	}
	return 0;
}

/* s as a JSON string, quotes included. */
static int
output_string(const char *s)
{
	char buf[8];
	const char *run = s;

	if (s == NULL)
		return output_put("null", 4);
	if (output_put("\"", 1) == -1)
		return -1;
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		if (output_put(run, (size_t)(s - run)) == -1)
			return -1;
		if (c == '"' || c == '\\')
			snprintf(buf, sizeof(buf), "\\%c", c);
		else if (c == '\n')
			snprintf(buf, sizeof(buf), "\\n");
		else if (c == '\t')
			snprintf(buf, sizeof(buf), "\\t");
		else
			snprintf(buf, sizeof(buf), "\\u%04x", c);
		if (output_put(buf, strlen(buf)) == -1)
			return -1;
		run = s + 1;
	}
	if (output_put(run, (size_t)(s - run)) == -1)
		return -1;
	return output_put("\"", 1);
}

int
output_event(void *arg, uint64_t seq, const char *json, size_t len, const char *snippet)
{
	(void)arg;
	(void)seq;
	if (snippet != NULL && len > 1 && json[len - 1] == '}') {
		if (output_put(json, len - 1) == -1 || output_put(",\"snippet\":", 11) == -1 ||
		    output_string(snippet) == -1 || output_put("}\n", 2) == -1)
			return -1;
		return 0;
	}
	if (output_put(json, len) == -1 || output_put("\n", 1) == -1)
		return -1;
	return 0;
}

int
output_session(void *arg, const struct store_session *s)
{
	struct output_sessions *os = arg;
	char first[32], last[32], nums[160], *usage;

	if (output_failed)
		return -1;
	/* looked up for the sessions printed only */
	if (store_query_session_usage(os->os_q, s->session_id, &usage, os->os_err, os->os_errlen) ==
	    -1) {
		os->os_failed = 1;
		return -1;
	}
	event_format_ts(s->first_ts_us, first, sizeof(first));
	event_format_ts(s->last_ts_us, last, sizeof(last));
	if (output_put("{\"session_id\":", 14) == -1 || output_string(s->session_id) == -1 ||
	    output_put(",\"project\":", 11) == -1 || output_string(s->project) == -1 ||
	    output_put(",\"first_ts\":", 12) == -1 || output_string(first) == -1 ||
	    output_put(",\"last_ts\":", 11) == -1 || output_string(last) == -1)
		goto fail;
	snprintf(nums, sizeof(nums), ",\"first_seq\":%llu,\"last_seq\":%llu,\"events\":%llu",
		 (unsigned long long)s->first_seq, (unsigned long long)s->last_seq,
		 (unsigned long long)s->events);
	if (output_put(nums, strlen(nums)) == -1)
		goto fail;
	/* the store's own JSON text of data.totals.session (hookwire-event(5)) */
	if (usage != NULL &&
	    (output_put(",\"usage\":", 9) == -1 || output_put(usage, strlen(usage)) == -1))
		goto fail;
	free(usage);
	return output_put("}\n", 2);
fail:
	free(usage);
	return -1;
}

int
output_gap(void *arg, uint64_t from, uint64_t to, const char *reason, int64_t noted_us)
{
	char noted[32], nums[96];

	(void)arg;
	event_format_ts(noted_us, noted, sizeof(noted));
	snprintf(nums, sizeof(nums),
		 "{\"from\":%llu,\"to\":%llu,\"reason\":", (unsigned long long)from,
		 (unsigned long long)to);
	if (output_put(nums, strlen(nums)) == -1 || output_string(reason) == -1 ||
	    output_put(",\"noted\":", 9) == -1 || output_string(noted) == -1)
		return -1;
	return output_put("}\n", 2);
}

int
output_flush(void)
{
	if (output_failed)
		return -1;
	if (fflush(stdout) == EOF) {
		output_failed = errno ? errno : EIO;
		return -1;
	}
	return 0;
}

int
output_bounds(const struct store_bounds *b)
{
	char line[320];

	snprintf(line, sizeof(line),
		 "{\"oldest\":%llu,\"newest\":%llu,\"count\":%llu,\"kept_from\":%llu,"
		 "\"indexed\":%llu,\"gaps\":%llu}\n",
		 (unsigned long long)b->oldest, (unsigned long long)b->newest,
		 (unsigned long long)b->count, (unsigned long long)b->kept,
		 (unsigned long long)b->indexed, (unsigned long long)b->gaps);
	return output_put(line, strlen(line));
}
