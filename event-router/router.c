/*
 * router.c: what the router does to one event, and to a batch of them.
 *
 * router_line(): line limit, parse (event_parse_line), validate
 * (event_validate), duplicate by id, duplicate by content within the
 * window, scrub, sequence number; the event is serialized once with "seq"
 * as its first member and appended to the batch buffer (reused, no
 * per-event allocation of ours).  A line already in json-c's form
 * (event_scan()) is not serialized again when scrubbing changes nothing:
 * {"seq":N, and the line's own text go to the batch.  When moreover its
 * data holds no trigger of a scrub rule (scrub_text_clean()), it is not
 * even parsed: the fast path, router_line_fast(), which is what
 * hook-capture's lines take, at a tenth of the cost; every other line takes
 * router_line_event().  Both check duplicates with router_is_dup() and end
 * in router_take(): append, remember the keys, reply.
 *
 * router_commit(): one journal write for the whole batch, then one ring
 * record per event, then one ring_notify().
 * The reply line of each event is only sent by the caller after the commit.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "compat.h"
#include "event_scan.h"
#include "router.h"
#include "scrub.h"
#include "util.h"

#define ROUTER_JSON_FLAGS (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

struct router_ent {
	size_t e_off, e_len; /* in r_buf, newline excluded */
	uint64_t e_seq;
	int64_t e_ts_us;
};

struct router {
	struct router_opts r_opts;
	struct ring *r_ring;
	struct ring_hdr *r_hdr;
	struct journal *r_journal;
	struct scrub *r_scrub;
	struct dedup *r_dedup;
	size_t r_payload_max;
	uint64_t r_next_seq;
	char *r_buf; /* the batch: NDJSON lines */
	size_t r_len, r_cap;
	struct router_ent *r_ents;
	size_t r_n, r_ncap;
	char r_id[EVENT_ID_LEN + 1];
};

static const char *router_reasons[] = RING_REJECT_REASONS;

static void
router_count(struct router *rt, enum ring_counter c, uint64_t n)
{
	atomic_fetch_add_explicit(&rt->r_hdr->counters[c], n, memory_order_relaxed);
}

void
router_counter_add(struct router *rt, enum ring_counter c, uint64_t n)
{
	router_count(rt, c, n);
}

int
router_reason_index(const char *reason)
{
	size_t i;

	for (i = 0; i < sizeof(router_reasons) / sizeof(router_reasons[0]); i++)
		if (strcmp(router_reasons[i], reason) == 0)
			return (int)i;
	return -1;
}

struct router *
router_new(const struct router_opts *o, struct ring *ring, struct journal *jr, struct scrub *sc,
	   char *err, size_t errlen)
{
	struct router *rt;

	if ((rt = calloc(1, sizeof(*rt))) == NULL)
		goto oom;
	rt->r_opts = *o;
	rt->r_ring = ring;
	rt->r_hdr = ring_header_rw(ring);
	rt->r_journal = jr;
	rt->r_scrub = o->scrub_enabled ? sc : NULL;
	rt->r_payload_max = ring_payload_max(ring);
	rt->r_next_seq = 1;
	if ((rt->r_dedup = dedup_new(o->dedup_ids, o->dedup_window_us)) == NULL)
		goto oom;
	rt->r_cap = 1 << 20;
	rt->r_ncap = 1024;
	if ((rt->r_buf = malloc(rt->r_cap)) == NULL ||
	    (rt->r_ents = calloc(rt->r_ncap, sizeof(*rt->r_ents))) == NULL)
		goto oom;
	return rt;
oom:
	snprintf(err, errlen, "out of memory");
	router_free(rt);
	return NULL;
}

void
router_free(struct router *rt)
{
	if (rt == NULL)
		return;
	dedup_free(rt->r_dedup);
	free(rt->r_buf);
	free(rt->r_ents);
	free(rt);
}

uint64_t
router_next_seq(const struct router *rt)
{
	return rt->r_next_seq;
}

size_t
router_pending(const struct router *rt)
{
	return rt->r_n;
}

/* Value of n digits at s, or -1. */
static int
router_digits(const char *s, int n)
{
	int v = 0;

	for (; n > 0; n--, s++) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (*s - '0');
	}
	return v;
}

/*
 * YYYY-MM-DDTHH:MM:SS with every field in range, as hook-capture writes it,
 * without strptime(3) and timegm(3) (a third of the fast path's time):
 * days from the civil date (H. Hinnant's algorithm).  Returns 1 and sets *t,
 * or 0 (then strptime(3) decides).
 */
static int
router_ts_fixed(const char *s, time_t *t)
{
	int y, mo, d, h, mi, sec, era, yoe, doy;

	if (strnlen(s, 19) < 19 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' ||
	    s[16] != ':')
		return 0;
	if ((y = router_digits(s, 4)) < 1 || (mo = router_digits(s + 5, 2)) < 1 || mo > 12 ||
	    (d = router_digits(s + 8, 2)) < 1 || d > 31 || (h = router_digits(s + 11, 2)) < 0 ||
	    h > 23 || (mi = router_digits(s + 14, 2)) < 0 || mi > 59 ||
	    (sec = router_digits(s + 17, 2)) < 0 || sec > 60)
		return 0;
	y -= mo <= 2;
	era = y / 400; /* y >= 0 */
	yoe = y - era * 400;
	doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	*t = (time_t)((int64_t)era * 146097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719468) *
		 86400 +
	     h * 3600 + mi * 60 + sec;
	return 1;
}

int
router_parse_ts(const char *s, int64_t *us)
{
	struct tm tm;
	int64_t frac = 0, scale = 1000000;
	const char *p;
	time_t t;

	memset(&tm, 0, sizeof(tm));
	if (router_ts_fixed(s, &t))
		p = s + 19;
	else if ((p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm)) == NULL ||
		 (t = timegm(&tm)) == (time_t)-1)
		return -1;
	if (*p == '.') {
		for (p++; *p >= '0' && *p <= '9'; p++) {
			if (scale > 1) {
				scale /= 10;
				frac += (*p - '0') * scale;
			}
		}
	}
	if (*p != 'Z' || p[1] != '\0')
		return -1;
	*us = (int64_t)t * 1000000 + frac;
	return 0;
}

void
router_count_rejected(struct router *rt, const char *reason)
{
	int i = router_reason_index(reason);

	if (i >= 0)
		atomic_fetch_add_explicit(&rt->r_hdr->rejected[i], 1, memory_order_relaxed);
}

size_t
router_line_max(const struct router *rt)
{
	return rt->r_opts.line_max;
}

static void
router_reject(struct router *rt, const char *reason, char *reply, size_t replylen)
{
	router_count_rejected(rt, reason);
	if (reply != NULL)
		snprintf(reply, replylen, "{\"status\":\"rejected\",\"reason\":\"%s\"}\n", reason);
}

static const char *
router_get_str(json_object *ev, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(ev, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

/* Makes room for n more bytes in the batch buffer. */
static int
router_reserve(struct router *rt, size_t n)
{
	char *nb;
	size_t cap = rt->r_cap;

	if (rt->r_len + n <= cap)
		return 0;
	while (cap < rt->r_len + n)
		cap *= 2;
	if ((nb = realloc(rt->r_buf, cap)) == NULL)
		return -1;
	rt->r_buf = nb;
	rt->r_cap = cap;
	return 0;
}

/* Makes room for one more entry in the batch. */
static int
router_reserve_ents(struct router *rt)
{
	struct router_ent *ne;

	if (rt->r_n < rt->r_ncap)
		return 0;
	if ((ne = reallocarray(rt->r_ents, rt->r_ncap * 2, sizeof(*ne))) == NULL)
		return -1;
	rt->r_ents = ne;
	rt->r_ncap *= 2;
	return 0;
}

/* Writes the decimal digits of v at out (room for 20).  Returns their number. */
static size_t
router_u64(char *out, uint64_t v)
{
	char tmp[20];
	size_t n = 0, i;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	for (i = 0; i < n; i++)
		out[i] = tmp[n - 1 - i];
	return n;
}

/* Appends n bytes to the batch buffer (room reserved). */
static inline void
router_put(struct router *rt, const char *p, size_t n)
{
	memcpy(rt->r_buf + rt->r_len, p, n);
	rt->r_len += n;
}

/* Starts the next entry of the batch (room reserved): assigns its sequence
 * number (*seq) and writes {"seq":N, .  router_end() finishes it. */
static inline struct router_ent *
router_begin(struct router *rt, int64_t ts_us, uint64_t *seq)
{
	struct router_ent *e = &rt->r_ents[rt->r_n++];

	*seq = rt->r_next_seq++;
	e->e_off = rt->r_len;
	e->e_seq = *seq;
	e->e_ts_us = ts_us;
	router_put(rt, "{\"seq\":", 7);
	rt->r_len += router_u64(rt->r_buf + rt->r_len, *seq);
	rt->r_buf[rt->r_len++] = ',';
	return e;
}

/* Ends entry e (its closing brace written): its length, then the newline. */
static void
router_end(struct router *rt, struct router_ent *e)
{
	e->e_len = rt->r_len - e->e_off;
	rt->r_buf[rt->r_len++] = '\n';
}

/* {"status":"<status>","seq":N,"id":"<r_id>"} and a newline into reply. */
static void
router_reply(struct router *rt, const char *status, uint64_t seq, char *reply, size_t replylen)
{
	char buf[128];
	size_t n, sl = strlen(status);

	if (reply == NULL)
		return;
	memcpy(buf, "{\"status\":\"", 11);
	memcpy(buf + 11, status, sl);
	n = 11 + sl;
	memcpy(buf + n, "\",\"seq\":", 8);
	n += 8;
	n += router_u64(buf + n, seq);
	memcpy(buf + n, ",\"id\":\"", 7);
	n += 7;
	memcpy(buf + n, rt->r_id, EVENT_ID_LEN);
	n += EVENT_ID_LEN;
	memcpy(buf + n, "\"}\n", 4); /* and the NUL */
	n += 3;
	if (n < replylen)
		memcpy(reply, buf, n + 1);
	else if (replylen > 0)
		snprintf(reply, replylen, "%s", buf);
}

/* A string member's text without its quotes, or NULL when absent. */
static const char *
router_scan_str(const char *line, const struct event_scan *sc, int m, size_t *len)
{
	if (sc->es_len[m] == 0) {
		*len = 0;
		return NULL;
	}
	*len = sc->es_len[m] - 2;
	return line + sc->es_off[m] + 1;
}

/* The content key of a scanned line: its data as it was sent. */
static void
router_text_key(const char *line, const struct event_scan *sc, struct dedup_key *ck)
{
	const char *sess, *evn, *tuid;
	size_t sl, el, tl;

	sess = router_scan_str(line, sc, EVENT_M_SESSION_ID, &sl);
	evn = router_scan_str(line, sc, EVENT_M_EVENT, &el);
	tuid = router_scan_str(line, sc, EVENT_M_TOOL_USE_ID, &tl);
	dedup_content_key_n(sess, sl, evn, el, tuid, tl, line + sc->es_off[EVENT_M_DATA],
			    sc->es_len[EVENT_M_DATA], ck);
}

/* The content key of a parsed event: its data serialized. */
static void
router_json_key(json_object *ev, struct dedup_key *ck)
{
	json_object *data = NULL;
	const char *ds;
	size_t dlen;

	json_object_object_get_ex(ev, "data", &data);
	ds = json_object_to_json_string_length(data, ROUTER_JSON_FLAGS, &dlen);
	dedup_content_key(router_get_str(ev, "session_id"), router_get_str(ev, "event"),
			  router_get_str(ev, "tool_use_id"), ds, dlen, ck);
}

/* The capture time of a scanned line: its ts, or now when that is not one. */
static int64_t
router_scan_ts(const char *line, const struct event_scan *sc)
{
	const char *ts;
	char tsbuf[64];
	size_t tsl;
	int64_t ts_us = 0;

	ts = router_scan_str(line, sc, EVENT_M_TS, &tsl);
	if (tsl < sizeof(tsbuf)) {
		memcpy(tsbuf, ts, tsl);
		tsbuf[tsl] = '\0';
	}
	if (tsl >= sizeof(tsbuf) || router_parse_ts(tsbuf, &ts_us) == -1)
		ts_us = util_now_us();
	return ts_us;
}

/*
 * Appends a scanned line to the batch as event *seq (assigned here): {"seq":N,
 * then the line after its brace, with what scrub_event() adds to meta when
 * scrubbing is on (meta.scrubbed, or meta itself: they end the line).
 * Returns 0, or -1 when the event is too large or memory is short.
 */
static int
router_append_text(struct router *rt, const char *line, size_t len, const struct event_scan *sc,
		   int64_t ts_us, uint64_t *seq)
{
	struct router_ent *e;
	const char *tail = "}";
	size_t keep = len - 1, taillen, need;

	if (rt->r_scrub != NULL && !sc->es_meta_scrubbed) {
		if (sc->es_len[EVENT_M_META] == 0)
			tail = ",\"meta\":{\"scrubbed\":0}}";
		else {
			keep = len - 2; /* before meta's brace */
			tail = sc->es_len[EVENT_M_META] == 2 ? "\"scrubbed\":0}}"
							     : ",\"scrubbed\":0}}";
		}
	}
	taillen = strlen(tail);
	need = 28 + keep + taillen; /* {"seq":N, is at most 28 bytes */
	if (need > rt->r_opts.lim.event_max || need > rt->r_payload_max ||
	    router_reserve(rt, need + 1) == -1 || router_reserve_ents(rt) == -1)
		return -1;
	e = router_begin(rt, ts_us, seq);
	router_put(rt, line + 1, keep - 1);
	router_put(rt, tail, taillen);
	router_end(rt, e);
	return 0;
}

/*
 * Appends a parsed event to the batch as event *seq (assigned here):
 * {"seq":N, the other members, "data":..., "meta":...}.  data and meta are
 * taken out of ev (which is left without them) so that the rest is
 * serialized alone and data, the bulk, only once.  Returns 0, or -1 when
 * the event is too large or memory is short.
 */
static int
router_append_json(struct router *rt, json_object *ev, int64_t ts_us, uint64_t *seq)
{
	json_object *data = NULL, *meta = NULL;
	json_object *hd, *hm = NULL; /* data and meta, held while out of ev */
	struct router_ent *e;
	const char *s, *ds, *ms = "";
	size_t slen, dlen, mlen = 0, need;
	int rc = -1;

	json_object_object_get_ex(ev, "data", &data);
	ds = json_object_to_json_string_length(data, ROUTER_JSON_FLAGS, &dlen);
	hd = json_object_get(data);
	if (json_object_object_get_ex(ev, "meta", &meta))
		hm = json_object_get(meta);
	json_object_object_del(ev, "data");
	json_object_object_del(ev, "meta");
	json_object_object_del(ev, "seq");
	if (meta != NULL)
		ms = json_object_to_json_string_length(meta, ROUTER_JSON_FLAGS, &mlen);
	if ((s = event_to_string(ev, &slen)) == NULL || slen < 2 || s[0] != '{')
		goto done;
	need = 32 + slen + 8 + dlen + 8 + mlen + 2;
	if (need - 32 > rt->r_opts.lim.event_max || need - 32 > rt->r_payload_max ||
	    router_reserve(rt, need) == -1 || router_reserve_ents(rt) == -1)
		goto done;
	e = router_begin(rt, ts_us, seq);
	if (slen > 2) {
		router_put(rt, s + 1, slen - 2);
		rt->r_buf[rt->r_len++] = ',';
	}
	router_put(rt, "\"data\":", 7);
	router_put(rt, ds, dlen);
	if (meta != NULL) {
		router_put(rt, ",\"meta\":", 8);
		router_put(rt, ms, mlen);
	}
	rt->r_buf[rt->r_len++] = '}';
	router_end(rt, e);
	rc = 0;
done:
	json_object_put(hd);
	json_object_put(hm);
	return rc;
}

/* One line on its way through router_line(). */
struct router_in {
	const char *in_line;
	size_t in_len;
	const struct event_scan *in_sc; /* the line's scan, or NULL: not in json-c's form */
	int64_t in_now;			/* monotonic time, for the content window */
	int64_t in_ts_us;		/* capture time */
	struct dedup_key in_idk, in_ck; /* id and content keys */
};

/*
 * router_is_dup() and router_take() are forced inline: each is used by
 * both paths, and as calls they would add about 0.5% to the fast path's
 * instructions per event (tests/bench/router-cpu.c under callgrind).
 */
#define ROUTER_HOT static inline __attribute__((always_inline))

/*
 * Whether the event whose id is in r_id is a duplicate: of an earlier id,
 * or of an earlier content within the window (ev: the parsed event, or NULL
 * when the line was scanned).  Sets in_idk and in_ck.  A duplicate is
 * counted and replied to, and *seq set to the earlier copy's number.
 */
ROUTER_HOT int
router_is_dup(struct router *rt, struct router_in *in, json_object *ev, uint64_t *seq, char *reply,
	      size_t replylen)
{
	dedup_id_key(rt->r_id, EVENT_ID_LEN, &in->in_idk);
	if (dedup_id_find(rt->r_dedup, &in->in_idk, seq)) {
		router_count(rt, RING_C_DUPLICATE_ID, 1);
		router_reply(rt, "duplicate", *seq, reply, replylen);
		return 1;
	}
	/* The content window is keyed on what arrived, before scrubbing: two
	 * prompts that differ only in a secret are two events, and they would
	 * be one after it.  Only the hash is kept. */
	if (in->in_sc != NULL)
		router_text_key(in->in_line, in->in_sc, &in->in_ck);
	else
		router_json_key(ev, &in->in_ck);
	if (dedup_content_find(rt->r_dedup, &in->in_ck, in->in_now, seq)) {
		router_count(rt, RING_C_DUPLICATE_CONTENT, 1);
		dedup_id_add(rt->r_dedup, &in->in_idk, *seq); /* its retry is a duplicate too */
		router_reply(rt, "duplicate", *seq, reply, replylen);
		return 1;
	}
	return 0;
}

/*
 * The tail both paths share: appends the event to the batch as *seq (the
 * line's own text when ev is NULL, else ev serialized), remembers its keys
 * and replies "accepted".  ROUTER_REJECTED with *reason when it is too
 * large or memory is short.
 */
ROUTER_HOT enum router_verdict
router_take(struct router *rt, const struct router_in *in, json_object *ev, uint64_t *seq,
	    const char **reason, char *reply, size_t replylen)
{
	int rc;

	if (ev == NULL)
		rc = router_append_text(rt, in->in_line, in->in_len, in->in_sc, in->in_ts_us, seq);
	else
		rc = router_append_json(rt, ev, in->in_ts_us, seq);
	if (rc == -1) {
		*reason = EVENT_R_TOO_LARGE;
		return ROUTER_REJECTED;
	}
	dedup_id_add(rt->r_dedup, &in->in_idk, *seq);
	dedup_content_add(rt->r_dedup, &in->in_ck, in->in_now, *seq);
	router_reply(rt, "accepted", *seq, reply, replylen);
	return ROUTER_ACCEPTED;
}

/*
 * The fast path, for a scanned line (event_scan()) that scrubbing would
 * leave as it is (scrub_text_clean()): no json-c parse, no serialization.
 * hook-capture's lines take it whenever their data holds no trigger of a
 * scrub rule.  The same checks and counts as the general path.
 */
static enum router_verdict
router_line_fast(struct router *rt, struct router_in *in, uint64_t *seq, const char **reason,
		 char *reply, size_t replylen)
{
	memcpy(rt->r_id, in->in_line + in->in_sc->es_off[EVENT_M_ID] + 1, EVENT_ID_LEN);
	rt->r_id[EVENT_ID_LEN] = '\0';
	if (router_is_dup(rt, in, NULL, seq, reply, replylen))
		return ROUTER_DUPLICATE;
	in->in_ts_us = router_scan_ts(in->in_line, in->in_sc);
	return router_take(rt, in, NULL, seq, reason, reply, replylen);
}

/*
 * The general path for a parsed line (ev, the caller's): validate, dedup,
 * scrub; then the line's own text is published when it was scanned and
 * nothing changed, else the event serialized once.
 */
static enum router_verdict
router_line_event(struct router *rt, struct router_in *in, json_object *ev, uint64_t *seq,
		  const char **reason, char *reply, size_t replylen)
{
	const char *ts;
	int n = 0, text;

	if (event_validate(ev, reason) == -1)
		return ROUTER_REJECTED;
	/* The line's own text is what json-c parsed when no key repeats
	 * inside it (json-c keeps the last value of a repeated key). */
	text = in->in_sc != NULL && event_scan_count_members(ev) == in->in_sc->es_members;
	memcpy(rt->r_id, router_get_str(ev, "id"), EVENT_ID_LEN);
	rt->r_id[EVENT_ID_LEN] = '\0';
	if (router_is_dup(rt, in, ev, seq, reply, replylen))
		return ROUTER_DUPLICATE;
	/* The output is made from the scrubbed data, serialized once (or not
	 * at all when nothing changed and the line's text can be published). */
	if (rt->r_scrub != NULL) {
		if ((n = scrub_event(rt->r_scrub, ev)) < 0) {
			*reason = EVENT_R_TOO_LARGE; /* out of memory: never publish unscrubbed */
			return ROUTER_REJECTED;
		}
		if (n > 0)
			router_count(rt, RING_C_SCRUBBED, (uint64_t)n);
	}
	if ((ts = router_get_str(ev, "ts")) == NULL || router_parse_ts(ts, &in->in_ts_us) == -1)
		in->in_ts_us = util_now_us();
	return router_take(rt, in, text && n == 0 ? NULL : ev, seq, reason, reply, replylen);
}

enum router_verdict
router_line(struct router *rt, const char *line, size_t len, uint64_t *seq, const char **reason,
	    char *reply, size_t replylen)
{
	struct router_in in;
	struct event_scan sc;
	json_object *ev;
	enum router_verdict v = ROUTER_REJECTED;

	*reason = NULL;
	in.in_line = line;
	in.in_len = len;
	in.in_now = util_mono_us();
	in.in_sc = NULL;
	router_count(rt, RING_C_RECEIVED, 1);
	if (len <= rt->r_opts.line_max && !rt->r_opts.slow_only &&
	    event_scan(line, len, rt->r_opts.lim.depth_max, &sc) == 0)
		in.in_sc = &sc;
	if (in.in_sc != NULL &&
	    (rt->r_scrub == NULL ||
	     (sc.es_data_plain && scrub_text_clean(rt->r_scrub, line + sc.es_off[EVENT_M_DATA],
						   sc.es_len[EVENT_M_DATA]))))
		v = router_line_fast(rt, &in, seq, reason, reply, replylen);
	else if (len > rt->r_opts.line_max)
		*reason = EVENT_R_LINE_TOO_LONG;
	else if ((ev = event_parse_line(line, len, &rt->r_opts.lim, reason)) != NULL) {
		v = router_line_event(rt, &in, ev, seq, reason, reply, replylen);
		json_object_put(ev);
	}
	if (v == ROUTER_REJECTED) {
		if (*reason == NULL)
			*reason = EVENT_R_INVALID_JSON;
		router_reject(rt, *reason, reply, replylen);
	}
	return v;
}

int
router_commit(struct router *rt, char *err, size_t errlen)
{
	size_t i;
	uint64_t first;

	if (rt->r_n == 0)
		return 0;
	first = rt->r_ents[0].e_seq;
	if (journal_append(rt->r_journal, rt->r_buf, rt->r_len, first,
			   rt->r_ents[rt->r_n - 1].e_seq, err, errlen) == -1) {
		router_count(rt, RING_C_JOURNAL_ERRORS, 1);
		dedup_forget_from(rt->r_dedup, first);
		rt->r_next_seq = first;
		rt->r_n = 0;
		rt->r_len = 0;
		return -1;
	}
	router_count(rt, RING_C_JOURNAL_BYTES, rt->r_len);
	for (i = 0; i < rt->r_n; i++) {
		struct router_ent *e = &rt->r_ents[i];

		ring_publish(rt->r_ring, e->e_seq, rt->r_buf + e->e_off, (uint32_t)e->e_len,
			     e->e_ts_us);
	}
	ring_notify(rt->r_ring);
	router_count(rt, RING_C_ACCEPTED, rt->r_n);
	rt->r_n = 0;
	rt->r_len = 0;
	if (rt->r_scrub != NULL)
		router_export_scrub(rt);
	return 0;
}

void
router_export_scrub(struct router *rt)
{
	size_t i, n;

	if (rt->r_scrub == NULL)
		return;
	n = scrub_nrules(rt->r_scrub);
	if (n > RING_SCRUB_RULES_MAX)
		n = RING_SCRUB_RULES_MAX;
	if (atomic_load_explicit(&rt->r_hdr->scrub_nrules, memory_order_relaxed) != n) {
		for (i = 0; i < n; i++) {
			memset(rt->r_hdr->scrub_names[i], 0, RING_SCRUB_NAME_MAX);
			strncpy(rt->r_hdr->scrub_names[i], scrub_rule_name(rt->r_scrub, i),
				RING_SCRUB_NAME_MAX - 1);
		}
		atomic_store_explicit(&rt->r_hdr->scrub_nrules, (uint32_t)n, memory_order_release);
	}
	for (i = 0; i < n; i++)
		atomic_store_explicit(&rt->r_hdr->scrub_counts[i], scrub_rule_hits(rt->r_scrub, i),
				      memory_order_relaxed);
}

/* ---------------------------------------------------------------- recovery */

struct router_replay {
	struct router *rr_rt;
	uint64_t rr_count;
};

/* Finds a string member's value in a journal line (our own output). */
static const char *
router_line_str(const char *line, size_t len, const char *key, size_t *vlen)
{
	const char *p, *q;
	size_t klen = strlen(key);

	p = compat_memmem(line, len, key, klen);
	if (p == NULL)
		return NULL;
	p += klen;
	q = memchr(p, '"', len - (size_t)(p - line));
	if (q == NULL)
		return NULL;
	*vlen = (size_t)(q - p);
	return p;
}

static int
router_replay_ring(void *arg, const char *line, size_t len, uint64_t seq)
{
	struct router_replay *rr = arg;
	struct router *rt = rr->rr_rt;
	const char *ts;
	char tsbuf[40];
	size_t tl;
	int64_t us = 0;

	if (seq <= rt->r_hdr->last_seq && rt->r_hdr->last_seq != 0)
		return 0;
	if ((ts = router_line_str(line, len, "\"ts\":\"", &tl)) != NULL && tl < sizeof(tsbuf)) {
		memcpy(tsbuf, ts, tl);
		tsbuf[tl] = '\0';
		router_parse_ts(tsbuf, &us);
	}
	if (ring_publish(rt->r_ring, seq, line, (uint32_t)len, us) == 0)
		rr->rr_count++;
	return 0;
}

static int
router_replay_ids(void *arg, const char *line, size_t len, uint64_t seq)
{
	struct router_replay *rr = arg;
	struct dedup_key k;
	const char *id;
	size_t il;

	if ((id = router_line_str(line, len, "\"id\":\"", &il)) != NULL) {
		dedup_id_key(id, il, &k);
		dedup_id_add(rr->rr_rt->r_dedup, &k, seq);
		rr->rr_count++;
	}
	return 0;
}

int
router_recover(struct router *rt, const char *journal_dir, uint64_t *republished, char *err,
	       size_t errlen)
{
	struct router_replay rr = {rt, 0};
	uint64_t rl = rt->r_hdr->last_seq, jl = journal_last_seq(rt->r_journal), from;

	*republished = 0;
	if (jl > rl) {
		if (rl != 0 && rt->r_hdr->first_seq != 0)
			from = rl + 1;
		else /* a new ring: refill what it can hold */
			from = journal_seq_for_bytes(journal_dir, rt->r_hdr->data_size);
		if (from == 0)
			from = 1;
		if (journal_replay(journal_dir, from, router_replay_ring, &rr, err, errlen) == -1)
			return -1;
		ring_notify(rt->r_ring);
		*republished = rr.rr_count;
	}
	rt->r_next_seq = (jl > rl ? jl : rl) + 1;
	if (rt->r_opts.dedup_ids > 0 && jl > 0) {
		rr.rr_count = 0;
		from = jl >= rt->r_opts.dedup_ids ? jl - rt->r_opts.dedup_ids + 1 : 1;
		if (journal_replay(journal_dir, from, router_replay_ids, &rr, err, errlen) == -1)
			return -1;
	}
	return 0;
}
