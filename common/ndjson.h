/*
 * ndjson.h: newline-delimited JSON framing with a line limit.
 *
 * A framer accumulates bytes and hands out complete lines.  A line longer
 * than the limit is reported once (NDJSON_TOO_LONG) and its bytes are
 * discarded up to and including its newline, so the next line is framed
 * normally.  No I/O; usable from blocking code and from libevent callbacks.
 */
#ifndef HOOKWIRE_NDJSON_H
#define HOOKWIRE_NDJSON_H

#include <stddef.h>

enum ndjson_status {
	NDJSON_NEED_MORE = 0, /* no complete line buffered */
	NDJSON_LINE,	      /* *line, *len: one line, newline and any CR removed */
	NDJSON_TOO_LONG,      /* a line over the limit was dropped; *len: its length */
};

struct ndjson;

/* Returns a new framer for lines of at most line_max bytes, or NULL. Free with ndjson_free(). */
struct ndjson *ndjson_new(size_t line_max);
void ndjson_free(struct ndjson *nj);

/* Appends len bytes.  Returns 0, or -1 when out of memory.  Buffered bytes
 * never exceed line_max + len. */
int ndjson_feed(struct ndjson *nj, const char *buf, size_t len);

/* Returns the next framed item.  A returned line stays valid until the next
 * call to ndjson_feed() or ndjson_next(). */
enum ndjson_status ndjson_next(struct ndjson *nj, const char **line, size_t *len);

/* Bytes buffered but not yet framed. */
size_t ndjson_pending(const struct ndjson *nj);

/*
 * Finds the end of the first line in buf[0..len): returns the line length
 * (newline excluded) and sets *next to the offset after the newline, or
 * returns (size_t)-1 when buf holds no newline.  For code that frames in
 * place (evbuffers).
 */
size_t ndjson_scan(const char *buf, size_t len, size_t *next);

#endif
