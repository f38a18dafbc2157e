/*
 * source_redis_follow.c: reading the Redis stream for the Redis Streams
 * source (source_redis_impl.h): the load at start-up, then the follower.
 *
 * Start-up loads the newest entries of the stream synchronously (XREVRANGE,
 * with XINFO STREAM in one transaction, with a deadline), so that the gateway seeds its sessions
 * and serves history at once, exactly as with the ring; from then on one asynchronous connection
 * (hiredis on the gateway's libevent base) keeps an XREAD BLOCK 0 outstanding from the newest id
 * held, appends what it returns to the window and wakes the caller through its eventfd.  Idle,
 * nothing runs: the blocked XREAD and TCP keepalive cover a silent stream.  When Redis goes away
 * the window stays and is served; the follower reconnects with back-off (common/redisconn.c,
 * which also does the connection's AUTH and SELECT) and continues after the newest id held.
 *
 * Entries Redis trimmed (XTRIM, XADD MAXLEN) before the follower read them
 * are found out, not skipped silently: on every (re)connection, and after
 * every full XREAD reply (the follower is catching up), it reads with
 * MULTI / XINFO STREAM / XREAD / EXEC, which shows the stream and the
 * entries after the newest id held L at one instant.  Trimming leaves
 * max-deleted-entry-id alone (XDEL alone sets it), so it is counted:
 * sr_idx is how many of the stream's entries-added the follower has
 * accounted for (read, or reported lost); when the oldest entry left is
 * newer than L, entries-added - sr_idx - length entries after L are gone,
 * the positions from L + 1 to just before that oldest entry.  A stream that
 * is gone, or was recreated (its last-generated-id older than L, or its
 * entries-added below sr_idx), lost everything after L up to its next
 * entry.  Either way a gap marker is appended to the window: an entry
 * without event whose position se_pos is the newest one lost and se_from
 * the oldest; a reader reaching it gets SOURCE_LAPPED with that range, as a
 * reader behind the window does, and a seek into the range reports the rest
 * of it.  Not caught: a blocking XREAD served at once after the producer
 * outran the follower by more than the stream's MAXLEN within one round
 * trip (it is then counted in the next gap found), and a recreated stream
 * that has grown past the old one's entries-added.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include "log.h"
#include "redisconn.h"
#include "source_redis_impl.h"

#define SOURCE_REDIS_XREAD_COUNT 1000 /* entries per XREAD reply at most */

/* ---------------------------------------------------------------- stream entries */

/* Appends one stream entry (reply: [id, [field, value, ...]]).  Returns 1
 * when added, 0 when skipped (not newer, no event field), -1 out of memory. */
static int
source_redis_follow_entry(struct source_redis *sr, const redisReply *ent)
{
	const redisReply *id, *fv, *ev = NULL;
	uint64_t pos;
	size_t i;

	if (ent->type != REDIS_REPLY_ARRAY || ent->elements != 2)
		return 0;
	id = ent->element[0];
	fv = ent->element[1];
	if (id->type != REDIS_REPLY_STRING || fv->type != REDIS_REPLY_ARRAY)
		return 0;
	if ((pos = source_redis_pos(id->str)) == 0)
		return 0;
	/* the id is newer than the last one seen, whatever becomes of the entry */
	if (strlen(id->str) < sizeof(sr->sr_lastid))
		memcpy(sr->sr_lastid, id->str, strlen(id->str) + 1);
	if (sr->sr_tail > sr->sr_head && pos <= source_redis_at(sr, sr->sr_tail - 1)->se_pos) {
		log_warnx("stream_order",
			  "%s: stream id %s: more than %d entries in one ms; skipped", __func__,
			  id->str, SOURCE_REDIS_NMAX);
		return 0;
	}
	for (i = 0; i + 1 < fv->elements; i += 2)
		if (fv->element[i]->type == REDIS_REPLY_STRING &&
		    strcmp(fv->element[i]->str, "event") == 0 &&
		    fv->element[i + 1]->type == REDIS_REPLY_STRING)
			ev = fv->element[i + 1];
	if (ev == NULL || ev->len == 0 || ev->len > UINT32_MAX / 2)
		return 0;
	if (sr->sr_lostfrom != 0) {
		if (pos > sr->sr_lostfrom)
			source_redis_gap(sr, sr->sr_lostfrom, pos - 1);
		sr->sr_lostfrom = 0;
	}
	return source_redis_append(sr, pos, ev->str, ev->len) == -1 ? -1 : 1;
}

/* Appends the entries of an XRANGE-style array, oldest first (reverse: newest first). */
static int
source_redis_follow_entries(struct source_redis *sr, const redisReply *arr, int reverse)
{
	size_t i, k;
	int added = 0, r;

	for (k = 0; k < arr->elements; k++) {
		i = reverse ? arr->elements - 1 - k : k;
		if ((r = source_redis_follow_entry(sr, arr->element[i])) < 0)
			return -1;
		added += r;
	}
	return added;
}

/* ---------------------------------------------------------------- following */

/* The connection is gone, or never came (redisconn schedules the next
 * attempt): the window held is still served. */
static void
source_redis_follow_down(void *arg, enum redisconn_down what, const char *why)
{
	struct source_redis *sr = arg;

	switch (what) {
	case REDISCONN_FAILED:
		log_warnx("redis_connect", "%s: %s:%d: %s", __func__, sr->sr_url.ru_host,
			  sr->sr_url.ru_port, why);
		break;
	case REDISCONN_LOST:
		log_warnx("redis_lost", "%s: %s:%d: connection lost (%s); serving the window held",
			  __func__, sr->sr_url.ru_host, sr->sr_url.ru_port, why);
		break;
	case REDISCONN_DROPPED:
		log_warnx("redis_drop", "%s: %s:%d: %s; reconnecting", __func__, sr->sr_url.ru_host,
			  sr->sr_url.ru_port, why);
		break;
	}
}

static void source_redis_follow_xread_cb(redisAsyncContext *ac, void *rep, void *arg);
static void source_redis_follow_resume(struct source_redis *sr);
static void source_redis_follow_xread(struct source_redis *sr);

/* Compares stream ids a and b ("ms-n"): <0, 0, >0. */
static int
source_redis_follow_idcmp(const char *a, const char *b)
{
	unsigned long long am = 0, an = 0, bm = 0, bn = 0;

	sscanf(a, "%llu-%llu", &am, &an);
	sscanf(b, "%llu-%llu", &bm, &bn);
	if (am != bm)
		return am < bm ? -1 : 1;
	return an < bn ? -1 : an > bn;
}

/* The number of entries in an XREAD reply (for our one stream). */
static size_t
source_redis_follow_count(const redisReply *rp)
{
	const redisReply *s;

	if (rp == NULL || rp->type != REDIS_REPLY_ARRAY || rp->elements < 1)
		return 0;
	s = rp->element[0];
	if (s->type != REDIS_REPLY_ARRAY || s->elements != 2 ||
	    s->element[1]->type != REDIS_REPLY_ARRAY)
		return 0;
	return s->element[1]->elements;
}

/* The first entry of an XREAD reply (for our one stream), or NULL. */
static const redisReply *
source_redis_follow_xread_first(const redisReply *rp)
{
	const redisReply *s;

	if (rp == NULL || rp->type != REDIS_REPLY_ARRAY || rp->elements < 1)
		return NULL;
	s = rp->element[0];
	if (s->type != REDIS_REPLY_ARRAY || s->elements != 2 ||
	    s->element[1]->type != REDIS_REPLY_ARRAY || s->element[1]->elements == 0)
		return NULL;
	s = s->element[1]->element[0];
	if (s->type != REDIS_REPLY_ARRAY || s->elements != 2 ||
	    s->element[0]->type != REDIS_REPLY_STRING)
		return NULL;
	return s->element[0];
}

/* What XINFO STREAM says (RESP2: a flat array of names and values). */
struct source_redis_follow_info {
	const char *lastgen, *maxdel, *first; /* NULL when not said */
	long long added, len;		      /* -1 when not said */
};

static void
source_redis_follow_info(const redisReply *info, struct source_redis_follow_info *si)
{
	const redisReply *k, *v;
	size_t i;

	memset(si, 0, sizeof(*si));
	si->added = si->len = -1;
	for (i = 0; i + 1 < info->elements; i += 2) {
		k = info->element[i];
		v = info->element[i + 1];
		if (k->type != REDIS_REPLY_STRING)
			continue;
		if (strcmp(k->str, "last-generated-id") == 0 && v->type == REDIS_REPLY_STRING)
			si->lastgen = v->str;
		else if (strcmp(k->str, "max-deleted-entry-id") == 0 &&
			 v->type == REDIS_REPLY_STRING)
			si->maxdel = v->str;
		else if (strcmp(k->str, "entries-added") == 0 && v->type == REDIS_REPLY_INTEGER)
			si->added = v->integer;
		else if (strcmp(k->str, "length") == 0 && v->type == REDIS_REPLY_INTEGER)
			si->len = v->integer;
		else if (strcmp(k->str, "first-entry") == 0 && v->type == REDIS_REPLY_ARRAY &&
			 v->elements == 2 && v->element[0]->type == REDIS_REPLY_STRING)
			si->first = v->element[0]->str;
	}
}

/*
 * Compares what XINFO STREAM says (info, or an error) with the newest id
 * held L, at the same instant as the XREAD reply xr (n entries, all there
 * are after L when fewer than the XREAD count), and records what Redis
 * dropped after L: a gap marker, or a loss pending until the next entry.
 * Trimming (XTRIM, XADD MAXLEN) leaves max-deleted-entry-id alone; it is
 * told by the count: entries-added E, minus the index of L (sr_idx), minus
 * the entries after L still there, were added after L and are gone.
 */
static void
source_redis_follow_check(struct source_redis *sr, const redisReply *info, const redisReply *xr,
			  size_t n)
{
	struct source_redis_follow_info si;
	const redisReply *first;
	uint64_t held, to = 0;
	long long lost = 0;
	int gone = 0;

	if (info->type == REDIS_REPLY_ERROR) {
		if (strstr(info->str, "no such key") == NULL) {
			log_warnx("redis_xinfo",
				  "%s: XINFO STREAM %s: %.120s; not checked for trimming", __func__,
				  sr->sr_stream, info->str);
			sr->sr_idx = -1;
			return;
		}
		gone = 1;
		memset(&si, 0, sizeof(si));
		si.added = si.len = 0;
	} else if (info->type == REDIS_REPLY_ARRAY)
		source_redis_follow_info(info, &si);
	else
		return;
	held = source_redis_pos(sr->sr_lastid);
	first = source_redis_follow_xread_first(xr);
	if (held == 0 || sr->sr_lostfrom != 0) {
		/* nothing held to lose, or a loss already pending: count from here */
	} else if (gone ||
		   (si.lastgen != NULL &&
		    source_redis_follow_idcmp(si.lastgen, sr->sr_lastid) < 0) ||
		   (si.added >= 0 && sr->sr_idx >= 0 && si.added < sr->sr_idx)) {
		log_warnx(
		    "redis_recreated",
		    "%s: stream %s %s since id %s: what followed it is lost; reported as a gap "
		    "up to its next entry",
		    __func__, sr->sr_stream, gone ? "is gone" : "was recreated", sr->sr_lastid);
		sr->sr_lostfrom = held + 1;
	} else if (si.added >= 0 && si.len >= 0 && sr->sr_idx >= 0 &&
		   (si.first == NULL || source_redis_follow_idcmp(si.first, sr->sr_lastid) > 0)) {
		/* trimmed past L: every entry there is after L */
		lost = si.added - sr->sr_idx - si.len;
		if (lost > 0 && si.first != NULL && source_redis_pos(si.first) != 0)
			to = source_redis_pos(si.first) - 1;
		else if (lost > 0 && si.first == NULL && si.lastgen != NULL)
			to = source_redis_pos(si.lastgen);
	} else if (si.maxdel != NULL && source_redis_follow_idcmp(si.maxdel, sr->sr_lastid) > 0 &&
		   first != NULL && source_redis_follow_idcmp(si.maxdel, first->str) < 0) {
		/* XDEL between L and the first entry after it */
		to = source_redis_pos(si.maxdel);
		lost = 1;
	}
	if (to > held) {
		log_warnx("redis_trimmed",
			  "%s: stream %s: entries after %s were trimmed before they were read: "
			  "positions %llu..%llu (%lld entries%s) lost",
			  __func__, sr->sr_stream, sr->sr_lastid, (unsigned long long)held + 1,
			  (unsigned long long)to, lost,
			  si.maxdel != NULL && lost == 1 ? " or more" : "");
		source_redis_gap(sr, held + 1, to);
		source_redis_wake(sr);
	}
	/* what is accounted for once xr is taken */
	if (si.added < 0)
		sr->sr_idx = -1;
	else if (n < SOURCE_REDIS_XREAD_COUNT)
		sr->sr_idx = si.added; /* xr held every entry after L */
	else if (sr->sr_idx >= 0 && sr->sr_lostfrom == 0)
		sr->sr_idx += (lost > 0 ? lost : 0) + (long long)n;
	else
		sr->sr_idx = -1;
}

/* Appends the entries of an XREAD reply.  Returns how many the reply held. */
static size_t
source_redis_follow_take(struct source_redis *sr, const redisReply *rp)
{
	const redisReply *s;
	size_t i, n = 0;
	int added = 0, r;

	if (rp->type != REDIS_REPLY_ARRAY)
		return 0;
	for (i = 0; i < rp->elements; i++) {
		s = rp->element[i];
		if (s->type != REDIS_REPLY_ARRAY || s->elements != 2 ||
		    s->element[1]->type != REDIS_REPLY_ARRAY)
			continue;
		n += s->element[1]->elements;
		if ((r = source_redis_follow_entries(sr, s->element[1], 0)) < 0) {
			log_warnx("oom", "%s: out of memory; entries skipped", __func__);
			break;
		}
		added += r;
	}
	if (added > 0)
		source_redis_wake(sr);
	return n;
}

/* The reply of MULTI / XINFO STREAM / XREAD / EXEC. */
static void
source_redis_follow_resume_cb(redisAsyncContext *ac, void *rep, void *arg)
{
	struct source_redis *sr = redisconn_arg(ac);
	redisReply *rp = rep;
	char why[160];

	if (rp == NULL || ac != redisconn_ctx(sr->sr_rc))
		return;
	if (rp->type != REDIS_REPLY_ARRAY || rp->elements != 2) {
		snprintf(why, sizeof(why), "EXEC: %.120s",
			 rp->type == REDIS_REPLY_ERROR ? rp->str : "unexpected reply");
		redisconn_drop(sr->sr_rc, why);
		return;
	}
	if (rp->element[1]->type == REDIS_REPLY_ERROR) {
		snprintf(why, sizeof(why), "XREAD refused: %.120s", rp->element[1]->str);
		redisconn_drop(sr->sr_rc, why);
		return;
	}
	redisconn_ok(sr->sr_rc); /* a good reply: the connection works */
	source_redis_follow_check(sr, rp->element[0], rp->element[1],
				  source_redis_follow_count(rp->element[1]));
	if (source_redis_follow_take(sr, rp->element[1]) >= SOURCE_REDIS_XREAD_COUNT)
		source_redis_follow_resume(sr);
	else
		source_redis_follow_xread(sr);
}

/* Reads what follows the newest id held without blocking, checking at the
 * same instant whether Redis dropped any of it (see the top). */
static void
source_redis_follow_resume(struct source_redis *sr)
{
	redisAsyncContext *ac = redisconn_ctx(sr->sr_rc);

	if (redisAsyncCommand(ac, redisconn_check_cb, "MULTI", "MULTI") != REDIS_OK ||
	    redisAsyncCommand(ac, redisconn_check_cb, "XINFO", "XINFO STREAM %s", sr->sr_stream) !=
		REDIS_OK ||
	    redisAsyncCommand(ac, redisconn_check_cb, "XREAD", "XREAD COUNT %d STREAMS %s %s",
			      SOURCE_REDIS_XREAD_COUNT, sr->sr_stream, sr->sr_lastid) != REDIS_OK ||
	    redisAsyncCommand(ac, source_redis_follow_resume_cb, NULL, "EXEC") != REDIS_OK)
		redisconn_drop(sr->sr_rc, "cannot queue MULTI/EXEC");
}

static void
source_redis_follow_xread(struct source_redis *sr)
{
	if (redisAsyncCommand(redisconn_ctx(sr->sr_rc), source_redis_follow_xread_cb, NULL,
			      "XREAD COUNT %d BLOCK 0 STREAMS %s %s", SOURCE_REDIS_XREAD_COUNT,
			      sr->sr_stream, sr->sr_lastid) != REDIS_OK)
		redisconn_drop(sr->sr_rc, "cannot queue XREAD");
}

static void
source_redis_follow_xread_cb(redisAsyncContext *ac, void *rep, void *arg)
{
	struct source_redis *sr = redisconn_arg(ac);
	redisReply *rp = rep;

	if (rp == NULL || ac != redisconn_ctx(sr->sr_rc))
		return;
	if (rp->type == REDIS_REPLY_ERROR) {
		char why[160];
		snprintf(why, sizeof(why), "XREAD refused: %.120s", rp->str);
		redisconn_drop(sr->sr_rc, why);
		return;
	}
	redisconn_ok(sr->sr_rc); /* a good reply: the connection works */
	if (sr->sr_idx >= 0)
		sr->sr_idx += (long long)source_redis_follow_count(rp);
	if (source_redis_follow_take(sr, rp) >= SOURCE_REDIS_XREAD_COUNT)
		source_redis_follow_resume(sr); /* catching up: check for trimming on the way */
	else
		source_redis_follow_xread(sr);
}

/* A connection is under way (AUTH and SELECT queued): resume after the
 * newest id held. */
static void
source_redis_follow_start(void *arg, redisAsyncContext *ac)
{
	source_redis_follow_resume(arg);
}

const struct redisconn_cb source_redis_follow_cb = {source_redis_follow_start,
						    source_redis_follow_down};

/* ---------------------------------------------------------------- start-up */

/* Synchronous: AUTH, SELECT, XREVRANGE.  Returns 0 or -1 with err. */
int
source_redis_follow_load(struct source_redis *sr, size_t window, char *err, size_t errlen)
{
	struct source_redis_follow_info si;
	redisContext *c;
	redisReply *rp = NULL, *xr, *ex;
	void *r;
	int rc = -1, i;

	if ((c = redisconn_connect_sync(&sr->sr_url, sr->sr_timeout_ms, err, errlen)) == NULL)
		goto fail;
	/* the entries and, at the same instant, XINFO for the index of the newest */
	redisAppendCommand(c, "MULTI");
	redisAppendCommand(c, "XINFO STREAM %s", sr->sr_stream);
	redisAppendCommand(c, "XREVRANGE %s + - COUNT %llu", sr->sr_stream,
			   (unsigned long long)window);
	redisAppendCommand(c, "EXEC");
	for (i = 0; i < 4; i++) {
		if (rp != NULL)
			freeReplyObject(rp);
		if (redisGetReply(c, &r) != REDIS_OK) {
			rp = NULL;
			break;
		}
		rp = r;
	}
	if (rp == NULL || rp->type != REDIS_REPLY_ARRAY || rp->elements != 2 ||
	    rp->element[1]->type != REDIS_REPLY_ARRAY) {
		ex = rp != NULL && rp->type == REDIS_REPLY_ARRAY && rp->elements == 2
			 ? rp->element[1]
			 : rp;
		snprintf(err, errlen, "redis XREVRANGE %s: %s", sr->sr_stream,
			 ex ? (ex->type == REDIS_REPLY_ERROR ? ex->str : "unexpected reply")
			    : c->errstr);
		goto fail;
	}
	xr = rp->element[1];
	if (source_redis_follow_entries(sr, xr, 1) < 0) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	/* a full window may have older entries before it: a reader behind them lost them */
	if (xr->elements >= window && sr->sr_tail > sr->sr_head)
		sr->sr_floor = source_redis_at(sr, sr->sr_head)->se_pos - 1;
	if (rp->element[0]->type == REDIS_REPLY_ERROR)
		sr->sr_idx = 0; /* no stream yet */
	else if (rp->element[0]->type == REDIS_REPLY_ARRAY) {
		source_redis_follow_info(rp->element[0], &si);
		if (si.lastgen != NULL && strcmp(si.lastgen, sr->sr_lastid) == 0)
			sr->sr_idx = si.added;
	}
	rc = 0;
fail:
	if (rp != NULL)
		freeReplyObject(rp);
	if (c != NULL)
		redisFree(c);
	return rc;
}
