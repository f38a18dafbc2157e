/*
 * ring.c: the shared-memory event ring (ring.h holds the ABI and the
 * protocol; read it first).
 *
 * The object is mapped in one piece: header, data area, index.  The writer
 * keeps no private state that readers need: everything is in the header, so
 * a restarted writer re-attaches and continues.  Readers never write to the
 * mapping; they copy a record, then check with the intent word that the
 * writer did not overwrite it meanwhile.  Records a reader cannot find by
 * the index (slot reused) are found by walking from first_pos.  How
 * readers wait for the writer (a futex, or datagrams) is ringwake.h's business.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ring.h"
#include "ringwake.h"

#define RING_REC_HDR  sizeof(struct ring_rec)
#define RING_ALIGN(n) (((n) + 7) & ~(uint64_t)7)
#define RING_DATA_MIN (64 * 1024)

struct ring {
	int writer;
	void *base;
	size_t map_size;
	struct ring_hdr *hdr;
	unsigned char *data;
	struct ring_index_slot *index;
	uint64_t mask;	/* data_size - 1 */
	uint64_t imask; /* index_slots - 1 */
	uint64_t data_size;
	char name[64]; /* the shm_open() name (ring_shm_name()) */
};

static int
ring_pow2(uint64_t v)
{
	return v != 0 && (v & (v - 1)) == 0;
}

/* One index slot per 64 bytes of data: a record of 40 bytes of payload or
 * more always keeps its slot while it is held; smaller ones fall back to a walk. */
static uint32_t
ring_index_slots(uint64_t data_size)
{
	uint64_t n = data_size / 64;

	if (n > (1u << 30))
		n = 1u << 30;
	return (uint32_t)n;
}

static size_t
ring_total(uint64_t data_size, uint32_t slots)
{
	return RING_HEADER_SIZE + data_size + (size_t)slots * sizeof(struct ring_index_slot);
}

static void
ring_bind(struct ring *r)
{
	r->hdr = r->base;
	r->data_size = r->hdr->data_size;
	r->mask = r->data_size - 1;
	r->imask = (uint64_t)r->hdr->index_slots - 1;
	r->data = (unsigned char *)r->base + RING_HEADER_SIZE;
	r->index = (struct ring_index_slot *)(r->data + r->data_size);
}

/* The oldest ring layout this program reads (layout 0 never existed: a
 * header claiming it is corrupt or foreign). */
#define RING_VERSION_OLDEST 1

/* Checks the identity line of a mapped header against the file size. */
static int
ring_check(const struct ring_hdr *h, size_t fsize, char *err, size_t errlen)
{
	if (h->magic != RING_MAGIC) {
		snprintf(err, errlen, "not a hookwire ring (bad magic 0x%016llx)",
			 (unsigned long long)h->magic);
		return -1;
	}
	if (h->version < RING_VERSION_OLDEST || h->compat < RING_VERSION_OLDEST) {
		snprintf(err, errlen,
			 "ring layout version %u (compat %u) is older than this program reads "
			 "(versions %u to %u)",
			 h->version, h->compat, RING_VERSION_OLDEST, RING_VERSION);
		return -1;
	}
	if (h->compat > RING_VERSION) {
		snprintf(err, errlen,
			 "ring layout version %u needs a reader of version %u or later; "
			 "this program reads versions up to %u",
			 h->version, h->compat, RING_VERSION);
		return -1;
	}
	if (h->header_size != RING_HEADER_SIZE || !ring_pow2(h->data_size) ||
	    h->data_size < RING_DATA_MIN || !ring_pow2(h->index_slots) ||
	    fsize < ring_total(h->data_size, h->index_slots)) {
		snprintf(err, errlen, "corrupt ring header (sizes do not match the object)");
		return -1;
	}
	return 0;
}

static void
ring_init_hdr(struct ring_hdr *h, uint64_t data_size, uint32_t slots, const char *name)
{
	struct timespec ts;
	const char *inst;

	memset(h, 0, sizeof(*h));
	h->version = RING_VERSION;
	h->compat = RING_COMPAT;
	h->header_size = RING_HEADER_SIZE;
	h->index_slots = slots;
	h->data_size = data_size;
	clock_gettime(CLOCK_REALTIME, &ts);
	h->created_us = (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
	/* "/hookwire-<uid>-<instance>": the instance */
	inst = name;
	if (strncmp(name, "/hookwire-", 10) == 0) {
		inst = name + 10 + strspn(name + 10, "0123456789");
		inst += *inst == '-';
	}
	memcpy(h->instance, inst, strnlen(inst, sizeof(h->instance)));
	/* magic last: a reader that sees it sees a complete header */
	atomic_thread_fence(memory_order_release);
	h->magic = RING_MAGIC;
}

struct ring *
ring_create(const char *name, uint64_t data_size, char *err, size_t errlen)
{
	struct ring *r = NULL;
	struct stat st;
	uint32_t slots;
	size_t total;
	int fd = -1, fresh = 0;

	if (!ring_pow2(data_size) || data_size < RING_DATA_MIN || data_size > (1ULL << 40)) {
		snprintf(err, errlen, "ring size %llu: must be a power of two of at least %d",
			 (unsigned long long)data_size, RING_DATA_MIN);
		return NULL;
	}
	slots = ring_index_slots(data_size);
	total = ring_total(data_size, slots);
	if ((r = calloc(1, sizeof(*r))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	r->writer = 1;
	snprintf(r->name, sizeof(r->name), "%s", name);
	if ((fd = shm_open(name, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) == -1) {
		snprintf(err, errlen, "shm_open %s: %s", name, strerror(errno));
		goto fail;
	}
	if (fstat(fd, &st) == -1) {
		snprintf(err, errlen, "fstat %s: %s", name, strerror(errno));
		goto fail;
	}
	if (st.st_size == 0) {
		fresh = 1;
	} else if ((size_t)st.st_size < RING_HEADER_SIZE) {
		snprintf(err, errlen, "/dev/shm%s: too small to be a ring; remove it", name);
		goto fail;
	}
	if (fresh && ftruncate(fd, (off_t)total) == -1) {
		snprintf(err, errlen, "ftruncate %s: %s", name, strerror(errno));
		goto fail;
	}
	r->map_size = fresh ? total : (size_t)st.st_size;
	r->base = mmap(NULL, r->map_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (r->base == MAP_FAILED) {
		r->base = NULL;
		snprintf(err, errlen, "mmap %s: %s", name, strerror(errno));
		goto fail;
	}
	if (fresh) {
		ring_init_hdr(r->base, data_size, slots, name);
	} else {
		struct ring_hdr *h = r->base;

		if (ring_check(h, r->map_size, err, errlen) == -1)
			goto fail;
		if (h->version != RING_VERSION || h->data_size != data_size) {
			snprintf(err, errlen,
				 "/dev/shm%s: existing ring has version %u and size %llu, "
				 "wanted version %u and size %llu; remove it to start afresh",
				 name, h->version, (unsigned long long)h->data_size, RING_VERSION,
				 (unsigned long long)data_size);
			goto fail;
		}
	}
	close(fd);
	fd = -1;
	ring_bind(r);
	/* drop a record a crashed writer may have half written */
	atomic_store_explicit(&r->hdr->intent, atomic_load(&r->hdr->tail), memory_order_release);
	atomic_store_explicit(&r->hdr->writer_pid, (int32_t)getpid(), memory_order_relaxed);
	return r;
fail:
	if (fd != -1)
		close(fd);
	if (r->base != NULL)
		munmap(r->base, r->map_size);
	free(r);
	return NULL;
}

struct ring *
ring_open(const char *name, char *err, size_t errlen)
{
	struct ring *r = NULL;
	struct stat st;
	int fd = -1;

	if ((r = calloc(1, sizeof(*r))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	snprintf(r->name, sizeof(r->name), "%s", name);
	if ((fd = shm_open(name, O_RDONLY | O_CLOEXEC, 0)) == -1) {
		if (errno == ENOENT)
			snprintf(err, errlen, "no ring /dev/shm%s (is event-router running?)",
				 name);
		else
			snprintf(err, errlen, "shm_open %s: %s", name, strerror(errno));
		goto fail;
	}
	if (fstat(fd, &st) == -1) {
		snprintf(err, errlen, "fstat %s: %s", name, strerror(errno));
		goto fail;
	}
	if ((size_t)st.st_size < RING_HEADER_SIZE) {
		snprintf(err, errlen, "/dev/shm%s: not a hookwire ring (too small)", name);
		goto fail;
	}
	r->map_size = (size_t)st.st_size;
	r->base = mmap(NULL, r->map_size, PROT_READ, MAP_SHARED, fd, 0);
	if (r->base == MAP_FAILED) {
		r->base = NULL;
		snprintf(err, errlen, "mmap %s: %s", name, strerror(errno));
		goto fail;
	}
	if (ring_check(r->base, r->map_size, err, errlen) == -1) {
		char tmp[256];

		snprintf(tmp, sizeof(tmp), "/dev/shm%s: %s", name, err);
		snprintf(err, errlen, "%s", tmp);
		goto fail;
	}
	close(fd);
	ring_bind(r);
	return r;
fail:
	if (fd != -1)
		close(fd);
	if (r->base != NULL)
		munmap(r->base, r->map_size);
	free(r);
	return NULL;
}

void
ring_close(struct ring *r)
{
	if (r == NULL)
		return;
	if (r->writer)
		atomic_store_explicit(&r->hdr->writer_pid, 0, memory_order_relaxed);
	munmap(r->base, r->map_size);
	free(r);
}

const char *
ring_shm_name(const struct ring *r)
{
	return r->name;
}

const struct ring_hdr *
ring_header(const struct ring *r)
{
	return r->hdr;
}

struct ring_hdr *
ring_header_rw(struct ring *r)
{
	return r->writer ? r->hdr : NULL;
}

size_t
ring_payload_max(const struct ring *r)
{
	return (size_t)(r->data_size / 4);
}

/* ---------------------------------------------------------------- writer */

/* Moves first_pos/first_seq past every record that starts below limit. */
static void
ring_drop_before(struct ring *r, uint64_t limit)
{
	struct ring_hdr *h = r->hdr;
	uint64_t fp = atomic_load_explicit(&h->first_pos, memory_order_relaxed);
	uint64_t fs = atomic_load_explicit(&h->first_seq, memory_order_relaxed);
	uint64_t tail = atomic_load_explicit(&h->tail, memory_order_relaxed);
	uint64_t dropped = 0;

	if (fs == 0)
		return;
	while (fp < limit && fp < tail) {
		uint64_t off = fp & r->mask;
		struct ring_rec rec;

		if (r->data_size - off < RING_REC_HDR) {
			fp += r->data_size - off;
			continue;
		}
		memcpy(&rec, r->data + off, sizeof(rec));
		fp += RING_REC_HDR + RING_ALIGN(rec.rec_len);
		if (!(rec.rec_flags & RING_F_PAD)) {
			fs = rec.rec_seq + 1;
			dropped++;
		}
	}
	if (fp >= tail)
		fs = 0; /* everything dropped: first becomes the record being written */
	atomic_store_explicit(&h->first_seq, fs, memory_order_release);
	atomic_store_explicit(&h->first_pos, fp, memory_order_release);
	if (dropped)
		atomic_fetch_add_explicit(&h->counters[RING_C_OVERRUNS], dropped,
					  memory_order_relaxed);
}

int
ring_publish(struct ring *r, uint64_t seq, const void *payload, uint32_t len, int64_t ts_us)
{
	struct ring_hdr *h = r->hdr;
	uint64_t tail = atomic_load_explicit(&h->tail, memory_order_relaxed);
	uint64_t off = tail & r->mask;
	uint64_t span = RING_REC_HDR + RING_ALIGN((uint64_t)len);
	uint64_t pad = 0, pos;
	struct ring_rec rec;
	struct ring_index_slot *slot;

	if (!r->writer || (size_t)len > ring_payload_max(r) || seq == 0)
		return -1;
	if (off + span > r->data_size)
		pad = r->data_size - off;
	pos = tail + pad;
	/* 1-2: give up the records we overwrite, then announce the overwrite */
	if (pos + span > r->data_size)
		ring_drop_before(r, pos + span - r->data_size);
	atomic_store_explicit(&h->intent, pos + span, memory_order_release);
	atomic_thread_fence(memory_order_seq_cst);
	/* 3: the pad record, the record, its index slot */
	if (pad >= RING_REC_HDR) {
		memset(&rec, 0, sizeof(rec));
		rec.rec_len = (uint32_t)(pad - RING_REC_HDR);
		rec.rec_flags = RING_F_PAD;
		memcpy(r->data + off, &rec, sizeof(rec));
	}
	rec.rec_seq = seq;
	rec.rec_len = len;
	rec.rec_flags = 0;
	rec.rec_ts_us = ts_us;
	memcpy(r->data + (pos & r->mask), &rec, sizeof(rec));
	memcpy(r->data + (pos & r->mask) + RING_REC_HDR, payload, len);
	slot = &r->index[seq & r->imask];
	atomic_store_explicit(&slot->seq, 0, memory_order_relaxed);
	atomic_thread_fence(memory_order_release);
	slot->pos = pos;
	atomic_store_explicit(&slot->seq, seq, memory_order_release);
	/* 4: publish */
	if (atomic_load_explicit(&h->first_seq, memory_order_relaxed) == 0) {
		atomic_store_explicit(&h->first_pos, pos, memory_order_release);
		atomic_store_explicit(&h->first_seq, seq, memory_order_release);
	}
	atomic_store_explicit(&h->tail, pos + span, memory_order_release);
	atomic_store_explicit(&h->last_seq, seq, memory_order_release);
	return 0;
}

void
ring_notify(struct ring *r)
{
	atomic_fetch_add_explicit(&r->hdr->notify, 1, memory_order_release);
	ringwake_notify(r);
}

/* ---------------------------------------------------------------- readers */

/* True when the bytes at pos may have been overwritten since the reader
 * copied them (call after the copy). */
static int
ring_lapped(const struct ring *r, uint64_t pos)
{
	uint64_t i;

	atomic_thread_fence(memory_order_acquire);
	i = atomic_load_explicit(&r->hdr->intent, memory_order_acquire);
	return i > r->data_size && i - r->data_size > pos;
}

/*
 * Finds the position of seq: by its index slot, else by walking from
 * first_pos.  Returns 0 and sets *pos, or -1 when seq is not held.
 */
static int
ring_locate(const struct ring *r, uint64_t seq, uint64_t *pos)
{
	const struct ring_hdr *h = r->hdr;
	const struct ring_index_slot *slot = &r->index[seq & r->imask];
	uint64_t s1, s2, p, tail, fp;
	int tries;

	s1 = atomic_load_explicit(&slot->seq, memory_order_acquire);
	p = slot->pos;
	atomic_thread_fence(memory_order_acquire);
	s2 = atomic_load_explicit(&slot->seq, memory_order_relaxed);
	if (s1 == seq && s2 == seq) {
		/* A slot outlives its record when records are larger than
		 * data_size / index_slots: below first_pos it is stale. */
		if (p < atomic_load_explicit(&h->first_pos, memory_order_acquire))
			return -1;
		*pos = p;
		return 0;
	}
	for (tries = 0; tries < 4; tries++) {
		fp = atomic_load_explicit(&h->first_pos, memory_order_acquire);
		tail = atomic_load_explicit(&h->tail, memory_order_acquire);
		while (fp < tail) {
			uint64_t off = fp & r->mask;
			struct ring_rec rec;

			if (r->data_size - off < RING_REC_HDR) {
				fp += r->data_size - off;
				continue;
			}
			memcpy(&rec, r->data + off, sizeof(rec));
			if (ring_lapped(r, fp))
				break; /* restart from the new first_pos */
			if (!(rec.rec_flags & RING_F_PAD) && rec.rec_seq == seq) {
				*pos = fp;
				return 0;
			}
			if (!(rec.rec_flags & RING_F_PAD) && rec.rec_seq > seq)
				return -1;
			if (rec.rec_len > r->data_size)
				return -1; /* corrupt */
			fp += RING_REC_HDR + RING_ALIGN(rec.rec_len);
		}
		if (fp >= tail)
			return -1;
	}
	return -1;
}

int
ring_seek(const struct ring *r, struct ring_cursor *cur, uint64_t seq, uint64_t *lost_from,
	  uint64_t *lost_to)
{
	const struct ring_hdr *h = r->hdr;
	uint64_t ls = atomic_load_explicit(&h->last_seq, memory_order_acquire);
	uint64_t fs = atomic_load_explicit(&h->first_seq, memory_order_acquire);

	cur->pos_known = 0;
	cur->pos = 0;
	if (seq == 0)
		seq = 1;
	if (fs != 0 && seq < fs) {
		if (lost_from != NULL)
			*lost_from = seq;
		if (lost_to != NULL)
			*lost_to = fs - 1;
		cur->next_seq = fs;
		return 1;
	}
	if (seq > ls + 1)
		seq = ls + 1;
	cur->next_seq = seq;
	return 0;
}

void
ring_seek_end(const struct ring *r, struct ring_cursor *cur)
{
	cur->next_seq = atomic_load_explicit(&r->hdr->last_seq, memory_order_acquire) + 1;
	cur->pos = 0;
	cur->pos_known = 0;
}

enum ring_read_status
ring_read(const struct ring *r, struct ring_cursor *cur, void *buf, size_t *len, uint64_t *seq,
	  int64_t *ts_us, uint64_t *lost_from, uint64_t *lost_to)
{
	const struct ring_hdr *h = r->hdr;
	struct ring_rec rec;
	uint64_t tail, ls, fs, off, want;
	int guard;

	for (guard = 0; guard < 1000; guard++) {
		ls = atomic_load_explicit(&h->last_seq, memory_order_acquire);
		if (cur->next_seq == 0)
			cur->next_seq = 1;
		if (cur->next_seq > ls)
			return RING_EMPTY;
		if (!cur->pos_known) {
			if (ring_locate(r, cur->next_seq, &cur->pos) == -1) {
				fs = atomic_load_explicit(&h->first_seq, memory_order_acquire);
				if (fs > cur->next_seq) {
					*lost_from = cur->next_seq;
					*lost_to = fs - 1;
					cur->next_seq = fs;
					return RING_LAPPED;
				}
				if (fs == 0 || cur->next_seq > ls)
					return RING_EMPTY;
				continue; /* raced with the writer: try again */
			}
			cur->pos_known = 1;
		}
		tail = atomic_load_explicit(&h->tail, memory_order_acquire);
		if (cur->pos >= tail) {
			/* The writer stores tail before last_seq and we loaded last_seq
			 * first, so a seq <= ls lies below this tail: a cursor at or past
			 * it is stale (writer restarted behind us, or a position taken
			 * from an index slot being rewritten).  Find it again. */
			cur->pos_known = 0;
			continue;
		}
		off = cur->pos & r->mask;
		if (r->data_size - off < RING_REC_HDR) {
			cur->pos += r->data_size - off;
			continue;
		}
		memcpy(&rec, r->data + off, sizeof(rec));
		if (rec.rec_flags & RING_F_PAD) {
			if (ring_lapped(r, cur->pos)) {
				cur->pos_known = 0;
				continue;
			}
			cur->pos += r->data_size - off;
			continue;
		}
		want = rec.rec_len;
		if (off + RING_REC_HDR + want > r->data_size || want > r->data_size / 4) {
			/* torn or corrupt header */
			cur->pos_known = 0;
			if (!ring_lapped(r, cur->pos)) {
				/* not overwritten: corrupt; skip to what the writer holds next */
				*lost_from = cur->next_seq;
				*lost_to = ls;
				cur->next_seq = ls + 1;
				return RING_LAPPED;
			}
			goto overrun;
		}
		if (want <= *len)
			memcpy(buf, r->data + off + RING_REC_HDR, want);
		if (ring_lapped(r, cur->pos) || rec.rec_seq != cur->next_seq) {
			/* overwritten while we copied, or the index slot was stale */
			cur->pos_known = 0;
		overrun:
			fs = atomic_load_explicit(&h->first_seq, memory_order_acquire);
			if (fs > cur->next_seq) {
				*lost_from = cur->next_seq;
				*lost_to = fs - 1;
				cur->next_seq = fs;
				return RING_LAPPED;
			}
			continue;
		}
		if (want > *len) {
			*len = want;
			return RING_TOOSMALL;
		}
		*len = want;
		if (seq != NULL)
			*seq = rec.rec_seq;
		if (ts_us != NULL)
			*ts_us = rec.rec_ts_us;
		cur->pos += RING_REC_HDR + RING_ALIGN(want);
		cur->next_seq++;
		return RING_OK;
	}
	return RING_EMPTY;
}

#define RING_READ_GROW_FIRST 65536 /* the buffer ring_read_grow() starts with */

int
ring_read_grow(const struct ring *r, struct ring_cursor *cur, char **buf, size_t *cap, size_t *len,
	       uint64_t *seq, int64_t *ts_us, uint64_t *lost_from, uint64_t *lost_to)
{
	enum ring_read_status st;
	size_t n;
	char *nb;

	for (;;) {
		if (*buf == NULL) {
			if ((*buf = malloc(RING_READ_GROW_FIRST)) == NULL)
				return -1;
			*cap = RING_READ_GROW_FIRST;
		}
		n = *cap;
		st = ring_read(r, cur, *buf, &n, seq, ts_us, lost_from, lost_to);
		if (st != RING_TOOSMALL) {
			if (st == RING_OK)
				*len = n;
			return (int)st;
		}
		if ((nb = realloc(*buf, n + 1)) == NULL)
			return -1;
		*buf = nb;
		*cap = n + 1;
	}
}

uint64_t
ring_first_seq(const struct ring *r)
{
	return atomic_load_explicit(&r->hdr->first_seq, memory_order_acquire);
}

uint64_t
ring_last_seq(const struct ring *r)
{
	return atomic_load_explicit(&r->hdr->last_seq, memory_order_acquire);
}

uint32_t
ring_notify_value(const struct ring *r)
{
	return atomic_load_explicit(&r->hdr->notify, memory_order_acquire);
}
