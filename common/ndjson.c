/*
 * ndjson.c: newline-delimited framing with a line limit.
 *
 * Bytes are appended to one buffer; ndjson_next() hands out lines in place.
 * When the unterminated tail of the buffer grows past line_max, the framer
 * drops it and enters "discard" mode: later bytes are counted, not stored,
 * up to the next newline, and then the dropped line is reported once as
 * NDJSON_TOO_LONG with its full length, in its place among the lines.  So
 * a caller that calls ndjson_next() until NDJSON_NEED_MORE after each
 * ndjson_feed() never holds more than line_max + len bytes.
 */
#include <stdlib.h>
#include <string.h>

#include "ndjson.h"

struct ndjson {
	char *nj_buf;
	size_t nj_cap;
	size_t nj_start;   /* first unframed byte */
	size_t nj_end;	   /* end of buffered bytes */
	size_t nj_scanned; /* bytes after nj_start known to hold no newline */
	size_t nj_max;
	int nj_discard;	     /* dropping an over-long line until its newline */
	size_t nj_discarded; /* its length so far */
	int nj_toolong;	     /* an over-long line ended: report it next */
	size_t nj_toolong_len;
};

struct ndjson *
ndjson_new(size_t line_max)
{
	struct ndjson *nj;

	if ((nj = calloc(1, sizeof(*nj))) == NULL)
		return NULL;
	nj->nj_max = line_max;
	return nj;
}

void
ndjson_free(struct ndjson *nj)
{
	if (nj == NULL)
		return;
	free(nj->nj_buf);
	free(nj);
}

size_t
ndjson_scan(const char *buf, size_t len, size_t *next)
{
	const char *nl;

	if (len == 0 || (nl = memchr(buf, '\n', len)) == NULL)
		return (size_t)-1;
	*next = (size_t)(nl - buf) + 1;
	return (size_t)(nl - buf);
}

static int
ndjson_append(struct ndjson *nj, const char *buf, size_t len)
{
	size_t need, cap;
	char *p;

	if (len == 0)
		return 0;
	/* Move what is left to the front before growing. */
	if (nj->nj_start > 0) {
		memmove(nj->nj_buf, nj->nj_buf + nj->nj_start, nj->nj_end - nj->nj_start);
		nj->nj_end -= nj->nj_start;
		nj->nj_start = 0;
	}
	need = nj->nj_end + len;
	if (need > nj->nj_cap) {
		cap = nj->nj_cap ? nj->nj_cap : 4096;
		while (cap < need)
			cap *= 2;
		if ((p = realloc(nj->nj_buf, cap)) == NULL)
			return -1;
		nj->nj_buf = p;
		nj->nj_cap = cap;
	}
	memcpy(nj->nj_buf + nj->nj_end, buf, len);
	nj->nj_end += len;
	return 0;
}

int
ndjson_feed(struct ndjson *nj, const char *buf, size_t len)
{
	const char *nl;
	size_t skip;

	if (nj->nj_discard) {
		if ((nl = memchr(buf, '\n', len)) == NULL) {
			nj->nj_discarded += len;
			return 0;
		}
		skip = (size_t)(nl - buf);
		nj->nj_discarded += skip;
		nj->nj_discard = 0;
		nj->nj_toolong = 1;
		nj->nj_toolong_len = nj->nj_discarded;
		buf += skip + 1;
		len -= skip + 1;
	}
	return ndjson_append(nj, buf, len);
}

enum ndjson_status
ndjson_next(struct ndjson *nj, const char **line, size_t *len)
{
	const char *p, *nl;
	size_t n, avail;

	/* The dropped line came before everything still buffered. */
	if (nj->nj_toolong) {
		nj->nj_toolong = 0;
		*line = NULL;
		*len = nj->nj_toolong_len;
		return NDJSON_TOO_LONG;
	}
	if (nj->nj_discard)
		return NDJSON_NEED_MORE;
	p = nj->nj_buf + nj->nj_start;
	avail = nj->nj_end - nj->nj_start;
	nl = avail > nj->nj_scanned ? memchr(p + nj->nj_scanned, '\n', avail - nj->nj_scanned)
				    : NULL;
	if (nl == NULL) {
		nj->nj_scanned = avail;
		if (avail > nj->nj_max) {
			/* Drop the partial line now so that it cannot grow the buffer. */
			nj->nj_discard = 1;
			nj->nj_discarded = avail;
			nj->nj_start = nj->nj_end = 0;
			nj->nj_scanned = 0;
		}
		return NDJSON_NEED_MORE;
	}
	n = (size_t)(nl - p);
	nj->nj_start += n + 1;
	nj->nj_scanned = 0;
	if (n > nj->nj_max) {
		*line = NULL;
		*len = n;
		return NDJSON_TOO_LONG;
	}
	if (n > 0 && p[n - 1] == '\r')
		n--;
	*line = p;
	*len = n;
	return NDJSON_LINE;
}

size_t
ndjson_pending(const struct ndjson *nj)
{
	return nj->nj_end - nj->nj_start;
}
