/*
 * ring.h: the shared-memory event ring, /dev/shm/hookwire-<uid>-<instance>
 * (DESIGN.md interface 4).  This comment is the ABI.
 *
 * One writer (event-router) maps the object read-write; any number of
 * readers (ws-gateway, event-tail, event-relay) map it PROT_READ and never
 * write to it.  The object is a 4096-byte header followed by a data area of
 * data_size bytes (a power of two) and an index of index_slots entries.
 *
 * Records.  Each record is a struct ring_rec followed by rec_len bytes of
 * payload (one canonical event, compact JSON, no newline), padded to 8 bytes.
 * Records are addressed by absolute byte positions that never wrap (uint64);
 * the offset in the data area is pos & (data_size - 1).  A record never
 * straddles the end of the data area: when it would, the writer fills the
 * rest with a pad record (rec_seq 0, RING_F_PAD) and starts at offset 0.
 * Sequence numbers in the ring are dense: record n+1 carries seq n+1.
 *
 * Index.  index[seq & (index_slots - 1)] = {seq, pos} for every published
 * record, so a reader can seek to a sequence number.  A slot is valid for
 * seq only if its seq field equals seq after the reader copied it (the
 * writer stores seq = 0, then pos, then seq with release; the reader loads
 * seq (acquire), pos, fence, seq again).  index_slots = data_size / 64: a
 * slot may be reused while its record is still held when records are
 * smaller than 64 bytes; readers then walk from first_pos.  The record found
 * is always checked (rec_seq and intent), so a stale slot is harmless.
 * Less than sizeof(struct ring_rec) bytes before the end of the data area
 * form an implicit pad (no header is written there).
 *
 * Writer protocol (ring_publish):
 *   1. advance first_seq/first_pos past records that [tail, tail+span) overwrites
 *                                    (store, release)
 *   2. intent = tail + span          (store, release)  "I am about to overwrite up to here"
 *      (1 before 2: a reader that sees the new intent also sees the new first_*)
 *   3. write the record and its index slot (plain stores)
 *   4. tail = tail + span, last_seq = seq   (store, release)
 *   5. after a batch: notify += 1 (release), then wake the readers
 *      (ringwake_notify(): FUTEX_WAKE on notify on Linux; a datagram to
 *      each waiter elsewhere and with PORTABLE=1)
 * Reader protocol (ring_read):
 *   1. t = tail (acquire); if pos == t there is nothing new
 *   2. copy the record header and payload out of the data area (plain loads)
 *   3. fence(acquire); i = intent (acquire)
 *   4. if i - data_size > pos the copy may be torn: the reader was lapped;
 *      it learns the lost range [its next seq, first_seq - 1] and resumes at
 *      first_seq.  Otherwise the copy is good if rec_seq is the seq expected.
 * Waiting: a reader loads notify, re-checks tail, then waits until notify
 * moves (ringwake.h: ringwake_wait() blocks the caller; a ringwake turns
 * it into a descriptor for an event loop).
 *
 * Restart: the writer re-attaches an existing ring whose magic, version and
 * sizes match, sets intent = tail (dropping a record torn by a crash) and
 * continues the sequence.  Readers refuse a ring whose magic or compat
 * version they do not know, with a message naming both versions.
 *
 * Counters live in the header, each group on its own cache line, written only
 * by the writer with relaxed atomic stores, read with relaxed loads (they are
 * statistics; no ordering is implied).
 */
#ifndef HOOKWIRE_RING_H
#define HOOKWIRE_RING_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#define RING_MAGIC	 0x4b4f4f4857495245ULL /* "ERIWHOOK" little-endian: "HOOKWIRE" reversed */
#define RING_VERSION	 1		       /* layout version written by this writer */
#define RING_COMPAT	 1		       /* readers of compat 1 can read this ring */
#define RING_HEADER_SIZE 4096
#define RING_CACHELINE	 64
#define RING_F_PAD	 1u /* record is padding up to the end of the data area */

/* Counters exported by ws-gateway's /metrics.  Indexes into hdr->counters. */
enum ring_counter {
	RING_C_RECEIVED = 0,	  /* lines read from producers and spool files */
	RING_C_ACCEPTED,	  /* events published */
	RING_C_DUPLICATE_ID,	  /* dropped: same id as an earlier event */
	RING_C_DUPLICATE_CONTENT, /* dropped: same content within the window */
	RING_C_SPOOL_DRAINED,	  /* spool files committed and removed */
	RING_C_SCRUBBED,	  /* redactions made, all rules */
	RING_C_JOURNAL_BYTES,	  /* bytes appended to the journal */
	RING_C_JOURNAL_ERRORS,	  /* failed journal writes */
	RING_C_CONNECTIONS,	  /* producer connections accepted */
	RING_C_OVERRUNS,	  /* records dropped from the ring by wrap-around (oldest) */
	RING_C_MAX = 16
};

/* Rejection reasons counted in hdr->rejected[], in this order (names: event.h reason codes). */
/* clang-format off */
#define RING_REJECT_REASONS                                                                        \
	{ "line_too_long", "nul_byte", "invalid_utf8", "invalid_json", "too_deep", "not_object",  \
	  "missing_field", "bad_field_type", "event_too_large" }
/* clang-format on */
#define RING_REJECT_MAX 16

/* Per-rule redaction counters: names are written once by the writer at
 * start-up (before the rules are used), then counts with relaxed stores. */
#define RING_SCRUB_RULES_MAX 64
#define RING_SCRUB_NAME_MAX  32

struct ring_rec {
	uint64_t rec_seq;   /* sequence number, 0 for a pad record */
	uint32_t rec_len;   /* payload bytes (pad record: bytes to the end of the area) */
	uint32_t rec_flags; /* RING_F_* */
	int64_t rec_ts_us;  /* capture time of the event (for latency figures) */
};

struct ring_index_slot {
	_Atomic uint64_t seq; /* written last (release) */
	uint64_t pos;
};

struct ring_hdr {
	/* Line 0: identity; written once at creation, read-only afterwards. */
	uint64_t magic;		    /* RING_MAGIC */
	uint32_t version;	    /* RING_VERSION of the writer that created it */
	uint32_t compat;	    /* oldest reader version that can read it */
	uint32_t header_size;	    /* RING_HEADER_SIZE */
	uint32_t index_slots;	    /* power of two */
	uint64_t data_size;	    /* power of two */
	uint64_t created_us;	    /* creation time */
	_Atomic int32_t writer_pid; /* pid of the attached writer, 0 when none (relaxed) */
	uint32_t pad0;
	char instance[16]; /* instance name, truncated, NUL-padded */

	/* Line 1: writer position (release stores by the writer; acquire loads by readers). */
	_Alignas(RING_CACHELINE) _Atomic uint64_t tail; /* end of the last published record */
	_Atomic uint64_t last_seq; /* seq of the last published record, 0 if none */

	/* Line 2: where the writer is about to write (see protocol). */
	_Alignas(RING_CACHELINE) _Atomic uint64_t intent;

	/* Line 3: oldest record still held. */
	_Alignas(RING_CACHELINE) _Atomic uint64_t first_pos;
	_Atomic uint64_t first_seq; /* 0 when the ring is empty */

	/* Line 4: futex word, incremented after each published batch. */
	_Alignas(RING_CACHELINE) _Atomic uint32_t notify;

	/* Lines 5..: counters (relaxed). */
	_Alignas(RING_CACHELINE) _Atomic uint64_t counters[RING_C_MAX];
	_Alignas(RING_CACHELINE) _Atomic uint64_t rejected[RING_REJECT_MAX];
	_Alignas(RING_CACHELINE) _Atomic uint64_t scrub_counts[RING_SCRUB_RULES_MAX];
	char scrub_names[RING_SCRUB_RULES_MAX][RING_SCRUB_NAME_MAX];
	_Atomic uint32_t scrub_nrules;
};

_Static_assert(sizeof(struct ring_hdr) <= RING_HEADER_SIZE, "ring header too large");

/* ---------------------------------------------------------------- API */

struct ring; /* a mapping, writer or reader */

/*
 * Writer: opens /dev/shm<name> (e.g. "/hookwire-1000-default"), creating it with
 * data_size bytes (power of two, >= 64 KiB) when absent, or re-attaching an
 * existing ring of the same version and size.  An existing ring of another
 * version or size is refused (-1, err says which; the operator removes it).
 * Returns a new ring or NULL with err.
 */
struct ring *ring_create(const char *name, uint64_t data_size, char *err, size_t errlen);

/* Reader: maps name read-only; checks magic and compat.  NULL with err on failure. */
struct ring *ring_open(const char *name, char *err, size_t errlen);

/* Unmaps (and for the writer clears writer_pid).  ring_close(NULL) does nothing. */
void ring_close(struct ring *r);

/* The header, for counters and positions (read-only for readers). */
/* The name r was opened or created with ("/hookwire-..."). */
const char *ring_shm_name(const struct ring *r);
const struct ring_hdr *ring_header(const struct ring *r);
/* Writer only: the header, writable, for counters. */
struct ring_hdr *ring_header_rw(struct ring *r);

/* Largest payload a record may carry (data_size / 4). */
size_t ring_payload_max(const struct ring *r);

/* Writer: publishes one record with sequence number seq (must be last_seq + 1,
 * or anything when the ring is empty).  Returns 0 or -1 (payload too large). */
int ring_publish(struct ring *r, uint64_t seq, const void *payload, uint32_t len, int64_t ts_us);
/* Writer: bumps notify and wakes waiting readers (ringwake_notify()), after
 * a batch of ring_publish() calls. */
void ring_notify(struct ring *r);

/* ---------------------------------------------------------------- readers */

/* A reader's cursor: the next sequence number it wants and where that is. */
struct ring_cursor {
	uint64_t next_seq;
	uint64_t pos; /* valid when known; ring_seek() sets it */
	int pos_known;
};

/* Positions cur at seq (clamped to [first_seq, last_seq + 1]).  Returns 0 if
 * seq is held (or is the next to come), 1 if seq is older than what the ring
 * holds (cur is then at first_seq and *lost_from..*lost_to name the gap). */
int ring_seek(const struct ring *r, struct ring_cursor *cur, uint64_t seq, uint64_t *lost_from,
	      uint64_t *lost_to);

/* Positions cur after the last published record (only new events). */
void ring_seek_end(const struct ring *r, struct ring_cursor *cur);

enum ring_read_status {
	RING_EMPTY = 0, /* nothing new */
	RING_OK,	/* one record copied into buf */
	RING_LAPPED,	/* overrun: *lost_from..*lost_to were lost; cursor moved on */
	RING_TOOSMALL,	/* buf too small: *len says how much is needed */
};

/*
 * Copies the record at cur into buf (size *len on entry, payload length on
 * return) and advances cur.  *seq gets its sequence number, *ts_us its
 * capture time (may be NULL).
 */
enum ring_read_status ring_read(const struct ring *r, struct ring_cursor *cur, void *buf,
				size_t *len, uint64_t *seq, int64_t *ts_us, uint64_t *lost_from,
				uint64_t *lost_to);

/*
 * As ring_read(), into a buffer grown as needed: *buf (NULL, or *cap bytes
 * from malloc) is reallocated when a record does not fit, to one byte more
 * than the record (room for a NUL).  Returns RING_EMPTY, RING_OK (*len set)
 * or RING_LAPPED, never RING_TOOSMALL, or -1 when out of memory.  The
 * caller frees *buf.
 */
int ring_read_grow(const struct ring *r, struct ring_cursor *cur, char **buf, size_t *cap,
		   size_t *len, uint64_t *seq, int64_t *ts_us, uint64_t *lost_from,
		   uint64_t *lost_to);

/* The oldest and the newest sequence numbers held, 0 when empty. */
uint64_t ring_first_seq(const struct ring *r);
uint64_t ring_last_seq(const struct ring *r);

/* The notify word, to wait on (ringwake_wait()) after a read found nothing. */
uint32_t ring_notify_value(const struct ring *r);

#endif
