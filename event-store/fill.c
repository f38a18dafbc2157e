/*
 * fill.c: a range of seqs from the journal (event-store(8)).
 *
 * The journal ($STATEDIR/journal, hookwire-event(5)) holds every event the
 * router accepted, as long as its retention keeps them, so a range the ring
 * lapped before the store read it, the events that arrived while the store
 * was stopped, and a whole rebuild all come from there, through the same
 * writer as the ring's events.  Seqs the journal no longer has either
 * become gap rows that readers see (store_query_gaps()).
 *
 * journal_replay() is the router's reader (event-router/journal.c), linked
 * as it is; see event-store/module.mk.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "router.h"
#include "store.h"

struct fill_ctx {
	struct writer *fc_w;
	uint64_t fc_from, fc_to, fc_next; /* fc_next: the next seq expected */
	int fc_gaps;
	const char *fc_reason;
	const _Atomic int *fc_stop;
	struct fill_result *fc_res;
	char *fc_err;
	size_t fc_errlen;
	int fc_failed;
};

static int
fill_gap(struct fill_ctx *fc, uint64_t from, uint64_t to)
{
	if (!fc->fc_gaps || from > to)
		return 0;
	if (writer_gap(fc->fc_w, from, to, fc->fc_reason, fc->fc_err, fc->fc_errlen) == -1)
		return -1;
	fc->fc_res->fr_gaps++;
	fc->fc_res->fr_gap_seqs += to - from + 1;
	return 0;
}

static int
fill_line(void *arg, const char *line, size_t len, uint64_t seq)
{
	struct fill_ctx *fc = arg;
	int rc;

	if (seq > fc->fc_to)
		return -1; /* past the range: stop reading */
	if (fc->fc_stop != NULL && atomic_load(fc->fc_stop) != 0) {
		fc->fc_res->fr_stopped = 1;
		return -1;
	}
	if (seq < fc->fc_next)
		return 0; /* a seq seen already (cannot happen in a sound journal) */
	if (fill_gap(fc, fc->fc_next, seq - 1) == -1)
		goto fail;
	if ((rc = writer_add(fc->fc_w, line, len, seq, 0, fc->fc_err, fc->fc_errlen)) == -1)
		goto fail;
	if (rc == 1)
		fc->fc_res->fr_stored++;
	else
		fc->fc_res->fr_skipped++;
	fc->fc_res->fr_last = seq;
	fc->fc_next = seq + 1;
	return 0;
fail:
	fc->fc_failed = 1;
	return -1;
}

int
fill_from_journal(struct writer *w, const char *dir, uint64_t from, uint64_t to, int gaps,
		  const char *reason, const _Atomic int *stop, struct fill_result *res, char *err,
		  size_t errlen)
{
	struct fill_ctx fc;

	memset(res, 0, sizeof(*res));
	memset(&fc, 0, sizeof(fc));
	fc.fc_w = w;
	fc.fc_from = from;
	fc.fc_to = to;
	fc.fc_next = from;
	fc.fc_gaps = gaps && to != UINT64_MAX;
	fc.fc_reason = reason;
	fc.fc_stop = stop;
	fc.fc_res = res;
	fc.fc_err = err;
	fc.fc_errlen = errlen;
	if (journal_replay(dir, from, fill_line, &fc, err, errlen) == -1 || fc.fc_failed)
		return -1;
	/* what the journal lacks at the end of the range */
	if (fc.fc_gaps && !res->fr_stopped && fill_gap(&fc, fc.fc_next, to) == -1)
		return -1;
	return writer_commit(w, err, errlen);
}
