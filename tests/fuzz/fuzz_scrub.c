/*
 * fuzz_scrub: scrub_string() and scrub_event() on arbitrary input.
 *
 * The input is scrubbed as one string (and its output once more), then
 * parsed as JSON and, when it parses, scrubbed as the data of an event.
 * Checks that scrub_string() returns a string exactly when it counts
 * redactions, NUL-terminated at the length it claims, and that meta.scrubbed
 * equals the count scrub_event() returns.
 *
 * Differential: when event-router/scrub-rules.example can be read (the
 * fuzzer runs from the top of the tree), its commented-out copy of the
 * built-in rules is loaded as a rules file.  Rules from a file have no
 * prefilter, so any difference between the two outputs is a trigger the
 * prefilter missed.
 * Seeds: tests/fuzz/corpus/fuzz_scrub/ (secrets, look-alikes, hook fixtures).
 */
/* fuzz-srcs: event-router/scrub*.c common/compat.c */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "scrub.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct scrub *fuzz_scrub;
static struct scrub *fuzz_file; /* the same rules without the prefilter, or NULL */

/* Loads the example's built-in rules ("#NAME  REGEX" lines), or returns NULL. */
static struct scrub *
fuzz_file_rules(void)
{
	char path[] = "/tmp/fuzz_scrub.XXXXXX", err[256], *line = NULL;
	size_t cap = 0;
	struct scrub *s;
	FILE *in, *out;
	int fd;

	if ((in = fopen("event-router/scrub-rules.example", "r")) == NULL)
		return NULL;
	if ((fd = mkstemp(path)) == -1 || (out = fdopen(fd, "w")) == NULL)
		abort();
	while (getline(&line, &cap, in) != -1)
		if (line[0] == '#' && line[1] >= 'a' && line[1] <= 'z')
			fputs(line + 1, out);
	free(line);
	fclose(in);
	fclose(out);
	s = scrub_new(path, 0, err, sizeof(err));
	unlink(path);
	if (s == NULL)
		abort();
	return s;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_tokener *tok;
	json_object *ev, *d, *meta, *v;
	char err[256], *out, *again;
	size_t outlen, len2;
	int n, n2;

	if (fuzz_scrub == NULL) {
		if ((fuzz_scrub = scrub_new(NULL, 1, err, sizeof(err))) == NULL)
			abort();
		fuzz_file = fuzz_file_rules();
	}

	out = scrub_string(fuzz_scrub, (const char *)data, size, &outlen, &n);
	if (n < 0)
		abort();
	if (out != NULL) {
		if (n == 0 || out[outlen] != '\0')
			abort();
	} else if (n != 0)
		abort();
	/* (a cut string's last word is judged by triggers, which file rules lack) */
	if (fuzz_file != NULL && memmem(data, size, "[hookwire: truncated ", 21) == NULL) {
		again = scrub_string(fuzz_file, (const char *)data, size, &len2, &n2);
		if (n2 != n || (out != NULL && (len2 != outlen || memcmp(out, again, outlen) != 0)))
			abort();
		free(again);
	}
	if (out != NULL) {
		again = scrub_string(fuzz_scrub, out, outlen, &len2, &n2);
		if (n2 < 0)
			abort();
		free(again);
		free(out);
	}

	if ((tok = json_tokener_new_ex(64)) == NULL)
		return 0;
	d = json_tokener_parse_ex(tok, (const char *)data, (int)(size > INT32_MAX ? 0 : size));
	json_tokener_free(tok);
	if (d == NULL)
		return 0;
	ev = json_object_new_object();
	json_object_object_add(ev, "data", d);
	n = scrub_event(fuzz_scrub, ev);
	if (n < 0)
		abort();
	if (!json_object_object_get_ex(ev, "meta", &meta) ||
	    !json_object_object_get_ex(meta, "scrubbed", &v) || json_object_get_int64(v) != n)
		abort();
	(void)json_object_to_json_string(ev);
	json_object_put(ev);
	return 0;
}
