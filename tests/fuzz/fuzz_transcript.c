/*
 * fuzz_transcript.c: event-usage's transcript reader on arbitrary bytes.
 *
 * The input is a transcript: written to a memfd, read through its
 * /proc/self/fd path in small budgets (so lines are cut across reads),
 * then appended to again (the first byte of the input picks how much) and
 * read to the end, then settled.  The reader's state is saved and restored
 * half-way.  Invariants: no message is handed out twice, every figure is
 * non-negative with the 1-hour cache writes within the cache writes, ids,
 * models and agents are NUL-terminated within their bounds, and the line
 * buffer never outgrows line_max.
 */
/* clang-format off */
/* fuzz-srcs: event-usage/transcript.c common/util.c common/compat.c */
/* clang-format on */
#include <sys/mman.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "usage.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_IDS 4096
static char seen[FUZZ_IDS][TRANSCRIPT_NAME_MAX];
static int nseen;

static void
check(const struct transcript_msg *m, void *arg)
{
	int i;

	(void)arg;
	if (memchr(m->tm_id, '\0', sizeof(m->tm_id)) == NULL ||
	    memchr(m->tm_model, '\0', sizeof(m->tm_model)) == NULL ||
	    memchr(m->tm_agent, '\0', sizeof(m->tm_agent)) == NULL ||
	    memchr(m->tm_ts, '\0', sizeof(m->tm_ts)) == NULL)
		abort();
	if (m->tm_in < 0 || m->tm_out < 0 || m->tm_cw < 0 || m->tm_cr < 0 || m->tm_cw1h < 0 ||
	    m->tm_cw1h > m->tm_cw || m->tm_id[0] == '\0')
		abort();
	for (i = 0; i < nseen; i++)
		if (strcmp(seen[i], m->tm_id) == 0)
			abort(); /* handed out twice */
	if (nseen < FUZZ_IDS)
		memcpy(seen[nseen++], m->tm_id, TRANSCRIPT_NAME_MAX);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct transcript *t, *t2;
	json_object *st;
	char path[64], err[256];
	size_t cut;
	int fd, i;

	if (size < 1)
		return 0;
	cut = size > 1 ? 1 + data[0] % (size - 1) : 1;
	if ((fd = memfd_create("transcript", 0)) == -1)
		return 0;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	nseen = 0;
	if (write(fd, data + 1, cut - 1) != (ssize_t)(cut - 1))
		goto done;
	t = transcript_new(path, 0); /* the smallest line_max */
	for (i = 0;
	     i < 64 && transcript_read(t, 7, check, NULL, err, sizeof(err)) == TRANSCRIPT_MORE; i++)
		;
	/* a restart half-way */
	st = transcript_state(t, TRANSCRIPT_SEEN_MAX);
	transcript_free(t);
	t2 = transcript_new(path, 0);
	if (st != NULL && transcript_restore(t2, st, err, sizeof(err)) == -1)
		abort();
	json_object_put(st);
	if (write(fd, data + cut, size - cut) != (ssize_t)(size - cut))
		goto out;
	while (transcript_read(t2, 1 << 20, check, NULL, err, sizeof(err)) == TRANSCRIPT_MORE)
		;
	transcript_settle(t2, 0, check, NULL);
	transcript_settle(t2, 1, check, NULL);
	if (transcript_pending(t2) != 0 ||
	    transcript_stats(t2)->ts_buf_peak > TRANSCRIPT_SALVAGE * 2)
		abort();
out:
	transcript_free(t2);
done:
	close(fd);
	return 0;
}
