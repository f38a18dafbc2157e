/*
 * dedup.c: duplicate detection for the router, by id and by content.
 *
 * Two tables of the same shape: a FIFO of entries {key, seq, time} in a
 * circular array (oldest evicted first when full) and an open-addressing
 * hash (linear probing, backward-shift deletion) from key to FIFO slot.
 * Keys are 128 bits: an id's 32 hex digits as they are, content as
 * XXH3-128 of session, event, tool_use_id and the serialized data.  No I/O,
 * no allocation after dedup_new().
 */
#include <stdlib.h>
#include <string.h>
#define XXH_INLINE_ALL /* the hash functions inlined: no call per event */
#include <xxhash.h>

#include "router.h"
#include "util.h"

struct dedup_ent {
	struct dedup_key de_key;
	uint64_t de_seq;
	int64_t de_us;
};

struct dedup_tab {
	struct dedup_ent *dt_ents;	  /* FIFO, dt_cap entries */
	size_t dt_cap, dt_head, dt_count; /* dt_head: oldest */
	uint64_t *dt_hash;		  /* tag << 32 | FIFO slot + 1; 0 = empty */
	size_t dt_hmask;
};

struct dedup {
	struct dedup_tab d_ids;
	struct dedup_tab d_content;
	int64_t d_window_us;
};

static int
dedup_tab_init(struct dedup_tab *t, size_t cap)
{
	size_t hsize = 16;

	memset(t, 0, sizeof(*t));
	if (cap == 0)
		return 0;
	while (hsize < cap * 2)
		hsize <<= 1;
	t->dt_cap = cap;
	t->dt_hmask = hsize - 1;
	if ((t->dt_ents = calloc(cap, sizeof(*t->dt_ents))) == NULL ||
	    (t->dt_hash = calloc(hsize, sizeof(*t->dt_hash))) == NULL)
		return -1;
	return 0;
}

static void
dedup_tab_free(struct dedup_tab *t)
{
	free(t->dt_ents);
	free(t->dt_hash);
}

static size_t
dedup_slot(const struct dedup_tab *t, const struct dedup_key *k)
{
	uint64_t h = (k->k_lo ^ (k->k_hi * 0x9e3779b97f4a7c15ULL)) * 0xff51afd7ed558ccdULL;

	return (size_t)(h ^ (h >> 32)) & t->dt_hmask;
}

/* A tag of the key kept in the hash slot: most misses never touch the FIFO. */
static uint64_t
dedup_tag(const struct dedup_key *k)
{
	return (k->k_hi ^ k->k_lo) >> 32;
}

#define DEDUP_FIFO(h) ((size_t)((h)&0xffffffffu) - 1)

static int
dedup_key_eq(const struct dedup_key *a, const struct dedup_key *b)
{
	return a->k_hi == b->k_hi && a->k_lo == b->k_lo;
}

/* Hash slot holding key, or -1. */
static long
dedup_tab_lookup(const struct dedup_tab *t, const struct dedup_key *k)
{
	size_t i;

	if (t->dt_cap == 0)
		return -1;
	for (i = dedup_slot(t, k); t->dt_hash[i] != 0; i = (i + 1) & t->dt_hmask)
		if ((t->dt_hash[i] >> 32) == dedup_tag(k) &&
		    dedup_key_eq(&t->dt_ents[DEDUP_FIFO(t->dt_hash[i])].de_key, k))
			return (long)i;
	return -1;
}

/* Removes hash slot i, shifting later entries of the probe run back. */
static void
dedup_tab_unhash(struct dedup_tab *t, size_t i)
{
	size_t j = i, home;

	t->dt_hash[i] = 0;
	for (;;) {
		j = (j + 1) & t->dt_hmask;
		if (t->dt_hash[j] == 0)
			return;
		home = dedup_slot(t, &t->dt_ents[DEDUP_FIFO(t->dt_hash[j])].de_key);
		/* move j to i when its home is not within (i, j] */
		if ((i <= j) ? (home <= i || home > j) : (home <= i && home > j)) {
			t->dt_hash[i] = t->dt_hash[j];
			t->dt_hash[j] = 0;
			i = j;
		}
	}
}

/* Drops the FIFO entry at position fifo (the oldest or the newest). */
static void
dedup_tab_drop(struct dedup_tab *t, size_t fifo)
{
	long h = dedup_tab_lookup(t, &t->dt_ents[fifo].de_key);

	if (h >= 0 && DEDUP_FIFO(t->dt_hash[h]) == fifo)
		dedup_tab_unhash(t, (size_t)h);
}

static void
dedup_tab_pop_oldest(struct dedup_tab *t)
{
	dedup_tab_drop(t, t->dt_head);
	t->dt_head = (t->dt_head + 1) % t->dt_cap;
	t->dt_count--;
}

static void
dedup_tab_add(struct dedup_tab *t, const struct dedup_key *k, uint64_t seq, int64_t us)
{
	size_t fifo, i;
	long h;

	if (t->dt_cap == 0)
		return;
	if ((h = dedup_tab_lookup(t, k)) >= 0)
		dedup_tab_unhash(t, (size_t)h); /* the newer copy wins */
	if (t->dt_count == t->dt_cap)
		dedup_tab_pop_oldest(t);
	fifo = (t->dt_head + t->dt_count) % t->dt_cap;
	t->dt_ents[fifo].de_key = *k;
	t->dt_ents[fifo].de_seq = seq;
	t->dt_ents[fifo].de_us = us;
	t->dt_count++;
	for (i = dedup_slot(t, k); t->dt_hash[i] != 0; i = (i + 1) & t->dt_hmask)
		;
	t->dt_hash[i] = dedup_tag(k) << 32 | (uint64_t)(fifo + 1);
}

static void
dedup_tab_forget_from(struct dedup_tab *t, uint64_t seq)
{
	while (t->dt_count > 0) {
		size_t newest = (t->dt_head + t->dt_count - 1) % t->dt_cap;

		if (t->dt_ents[newest].de_seq < seq)
			break;
		dedup_tab_drop(t, newest);
		t->dt_count--;
	}
}

struct dedup *
dedup_new(size_t ids_max, int64_t window_us)
{
	struct dedup *d;

	if (ids_max > (1u << 30))
		return NULL;
	if ((d = calloc(1, sizeof(*d))) == NULL)
		return NULL;
	d->d_window_us = window_us;
	if (dedup_tab_init(&d->d_ids, ids_max) == -1 ||
	    dedup_tab_init(&d->d_content, window_us > 0 ? (ids_max ? ids_max : 65536) : 0) == -1) {
		dedup_free(d);
		return NULL;
	}
	return d;
}

void
dedup_free(struct dedup *d)
{
	if (d == NULL)
		return;
	dedup_tab_free(&d->d_ids);
	dedup_tab_free(&d->d_content);
	free(d);
}

void
dedup_id_key(const char *id, size_t len, struct dedup_key *k)
{
	uint64_t v[2] = {0, 0};
	size_t i;
	int x;

	if (len == EVENT_ID_LEN) {
		for (i = 0; i < len; i++) {
			if ((x = util_hexval((unsigned char)id[i])) < 0)
				break;
			v[i / 16] = (v[i / 16] << 4) | (uint64_t)x;
		}
		if (i == len) {
			k->k_hi = v[0];
			k->k_lo = v[1];
			return;
		}
	}
	XXH128_hash_t h = XXH3_128bits(id, len);
	k->k_hi = h.high64;
	k->k_lo = h.low64;
}

void
dedup_content_key(const char *session, const char *event, const char *tool_use_id, const char *data,
		  size_t datalen, struct dedup_key *k)
{
	dedup_content_key_n(session, session != NULL ? strlen(session) : 0, event,
			    event != NULL ? strlen(event) : 0, tool_use_id,
			    tool_use_id != NULL ? strlen(tool_use_id) : 0, data, datalen, k);
}

void
dedup_content_key_n(const char *session, size_t slen, const char *event, size_t elen,
		    const char *tool_use_id, size_t tlen, const char *data, size_t datalen,
		    struct dedup_key *k)
{
	XXH3_state_t st;
	XXH128_hash_t h;
	const char *parts[3] = {session, event, tool_use_id};
	size_t lens[3] = {slen, elen, tlen}, i;

	XXH3_128bits_reset(&st);
	for (i = 0; i < 3; i++) {
		/* NUL separates the parts; a missing part is a lone 0x01 */
		if (parts[i] != NULL) {
			XXH3_128bits_update(&st, parts[i], lens[i]);
			XXH3_128bits_update(&st, "", 1);
		} else
			XXH3_128bits_update(&st, "\001", 1);
	}
	XXH3_128bits_update(&st, data, datalen);
	h = XXH3_128bits_digest(&st);
	k->k_hi = h.high64;
	k->k_lo = h.low64;
}

int
dedup_id_find(const struct dedup *d, const struct dedup_key *k, uint64_t *seq)
{
	long h = dedup_tab_lookup(&d->d_ids, k);

	if (h < 0)
		return 0;
	*seq = d->d_ids.dt_ents[DEDUP_FIFO(d->d_ids.dt_hash[h])].de_seq;
	return 1;
}

void
dedup_id_add(struct dedup *d, const struct dedup_key *k, uint64_t seq)
{
	dedup_tab_add(&d->d_ids, k, seq, 0);
}

static void
dedup_expire(struct dedup *d, int64_t now_us)
{
	struct dedup_tab *t = &d->d_content;

	while (t->dt_count > 0 && t->dt_ents[t->dt_head].de_us < now_us - d->d_window_us)
		dedup_tab_pop_oldest(t);
}

int
dedup_content_find(struct dedup *d, const struct dedup_key *k, int64_t now_us, uint64_t *seq)
{
	struct dedup_ent *e;
	long h;

	if (d->d_content.dt_cap == 0)
		return 0;
	dedup_expire(d, now_us);
	if ((h = dedup_tab_lookup(&d->d_content, k)) < 0)
		return 0;
	e = &d->d_content.dt_ents[DEDUP_FIFO(d->d_content.dt_hash[h])];
	if (now_us - e->de_us > d->d_window_us)
		return 0;
	*seq = e->de_seq;
	return 1;
}

void
dedup_content_add(struct dedup *d, const struct dedup_key *k, int64_t now_us, uint64_t seq)
{
	if (d->d_content.dt_cap == 0)
		return;
	dedup_expire(d, now_us);
	dedup_tab_add(&d->d_content, k, seq, now_us);
}

void
dedup_forget_from(struct dedup *d, uint64_t seq)
{
	dedup_tab_forget_from(&d->d_ids, seq);
	dedup_tab_forget_from(&d->d_content, seq);
}

size_t
dedup_ids_count(const struct dedup *d)
{
	return d->d_ids.dt_count;
}
