/*
 * transcript.c: read one Claude Code transcript incrementally and hand out
 * each assistant message once, with its model and token counts.
 *
 * A transcript is JSONL, appended to by Claude Code.  An assistant
 * message is written as one line per content block (thinking, text, each
 * tool_use), every line with the message's id and a copy of its usage.
 * Claude Code 2.1.332 writes all lines of a message at once, after the
 * response is complete, each with the final usage (seen with a scripted
 * model server).  Earlier versions wrote a line as each block completed,
 * with the usage known at that moment: input and cache figures final,
 * output_tokens a placeholder (often 1) until the last line, which alone
 * carries the final figures and the stop_reason (reported in
 * omacom/omarchy#10606, titeya/dms-claudecode#52).  So the last line of an
 * id is right in both, and a message is taken as complete only when a line
 * of another message of the same agent follows, or when settled: its last
 * line carried a stop_reason (the caller settles once the file is quiet)
 * or the agent's turn is over.
 *
 * Reading.  pread() from the remembered offset in TRANSCRIPT_CHUNK pieces,
 * at most a budget of bytes per call, so that a 200 MB file is read in
 * slices and never whole.  Complete lines are parsed where they lie in the
 * chunk; only a line cut by a chunk boundary or by the end of the file is
 * copied, into a buffer of at most line_max bytes.  A longer line keeps
 * TRANSCRIPT_SALVAGE bytes of its start and of its end, where a message's
 * id and model, and its usage, are written, and is parsed from those.
 * Lines are pre-filtered by text ("assistant" and "usage"), so only
 * candidate lines are parsed as JSON.
 *
 * Files change under us.  A file that shrank below the offset (truncated),
 * whose TRANSCRIPT_MARK bytes before the offset changed (rewritten), or a
 * path that now names another inode (replaced) is read again from its
 * start; the ids of the last TRANSCRIPT_SEEN_MAX messages handed out
 * are remembered (64-bit hashes, newest first) so those are not handed
 * out twice.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compat.h"
#include "usage.h"
#include "util.h"

/* JSON nesting accepted in a transcript line. */
#define TRANSCRIPT_DEPTH 64
/* Bytes before the offset compared on each read: a file rewritten in place
 * to at least its old size is told by them. */
#define TRANSCRIPT_MARK 32

struct transcript {
	char *t_path;
	size_t t_line_max;
	dev_t t_dev;
	ino_t t_ino;
	int t_have_ino;
	uint64_t t_off;	     /* start of the first line not yet complete (persisted) */
	uint64_t t_read_off; /* where the next read continues (>= t_off) */
	unsigned char t_mark[TRANSCRIPT_MARK]; /* the bytes just before t_off (persisted) */
	size_t t_mark_len;

	/* the partial line, bytes t_off..t_read_off */
	char *t_buf;
	size_t t_len, t_cap;
	int t_overlong; /* over line_max: only head and tail are kept */
	char *t_head, *t_tail;
	size_t t_head_len, t_tail_len;
	uint64_t t_long_len; /* bytes of the over-long line so far */

	uint64_t t_seen[TRANSCRIPT_SEEN_MAX]; /* hashes of ids handed out, a FIFO */
	size_t t_seen_next, t_seen_n;

	struct transcript_msg t_pending[TRANSCRIPT_PENDING_MAX];
	int t_npending;

	struct transcript_stats t_st;
};

struct transcript *
transcript_new(const char *path, size_t line_max)
{
	struct transcript *t;

	if ((t = calloc(1, sizeof(*t))) == NULL)
		return NULL;
	if ((t->t_path = strdup(path)) == NULL) {
		free(t);
		return NULL;
	}
	t->t_line_max = line_max < TRANSCRIPT_SALVAGE * 2 ? TRANSCRIPT_SALVAGE * 2 : line_max;
	return t;
}

static void
transcript_drop_partial(struct transcript *t)
{
	free(t->t_buf);
	free(t->t_head);
	free(t->t_tail);
	t->t_buf = t->t_head = t->t_tail = NULL;
	t->t_len = t->t_cap = t->t_head_len = t->t_tail_len = 0;
	t->t_overlong = 0;
	t->t_long_len = 0;
}

void
transcript_free(struct transcript *t)
{
	if (t == NULL)
		return;
	transcript_drop_partial(t);
	free(t->t_path);
	free(t);
}

const struct transcript_stats *
transcript_stats(const struct transcript *t)
{
	return &t->t_st;
}

const char *
transcript_path(const struct transcript *t)
{
	return t->t_path;
}

uint64_t
transcript_offset(const struct transcript *t)
{
	return t->t_off;
}

int
transcript_pending(const struct transcript *t)
{
	return t->t_npending;
}

/* FNV-1a, 64 bits: the id's key in the seen table. */
static uint64_t
transcript_hash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ULL;
	}
	return h;
}

static int
transcript_seen(const struct transcript *t, uint64_t h)
{
	size_t i, k;

	/* newest first: a repeated line is almost always the latest id's */
	for (i = 0; i < t->t_seen_n; i++) {
		k = (t->t_seen_next + TRANSCRIPT_SEEN_MAX - 1 - i) % TRANSCRIPT_SEEN_MAX;
		if (t->t_seen[k] == h)
			return 1;
	}
	return 0;
}

static void
transcript_remember(struct transcript *t, uint64_t h)
{
	t->t_seen[t->t_seen_next] = h;
	t->t_seen_next = (t->t_seen_next + 1) % TRANSCRIPT_SEEN_MAX;
	if (t->t_seen_n < TRANSCRIPT_SEEN_MAX)
		t->t_seen_n++;
}

/* Hands out pending message i and takes it off the pending list. */
static void
transcript_hand_out(struct transcript *t, int i, transcript_cb cb, void *arg)
{
	struct transcript_msg m = t->t_pending[i];

	memmove(&t->t_pending[i], &t->t_pending[i + 1],
		(size_t)(t->t_npending - i - 1) * sizeof(t->t_pending[0]));
	t->t_npending--;
	transcript_remember(t, transcript_hash(m.tm_id));
	t->t_st.ts_messages++;
	cb(&m, arg);
}

/* One assistant line's figures: a new message, or the next line of one in flight. */
static void
transcript_offer(struct transcript *t, const struct transcript_msg *m, transcript_cb cb, void *arg)
{
	int i;

	t->t_st.ts_assistant++;
	if (strcmp(m->tm_model, "<synthetic>") == 0) {
		t->t_st.ts_synthetic++;
		return;
	}
	if (transcript_seen(t, transcript_hash(m->tm_id))) {
		t->t_st.ts_dup_lines++;
		return;
	}
	for (i = 0; i < t->t_npending; i++)
		if (strcmp(t->t_pending[i].tm_agent, m->tm_agent) == 0)
			break;
	if (i < t->t_npending && strcmp(t->t_pending[i].tm_id, m->tm_id) == 0) {
		/* the same message again: its last line says what it cost */
		int lines = t->t_pending[i].tm_lines;

		t->t_pending[i] = *m;
		t->t_pending[i].tm_lines = lines + 1;
		return;
	}
	if (i < t->t_npending)
		transcript_hand_out(t, i, cb, arg); /* superseded: that response is over */
	else if (t->t_npending == TRANSCRIPT_PENDING_MAX)
		transcript_hand_out(t, 0, cb, arg);
	t->t_pending[t->t_npending] = *m;
	t->t_pending[t->t_npending].tm_lines = 1;
	t->t_npending++;
}

void
transcript_settle(struct transcript *t, int force, transcript_cb cb, void *arg)
{
	int i = 0;

	while (i < t->t_npending) {
		if (force || t->t_pending[i].tm_stopped)
			transcript_hand_out(t, i, cb, arg);
		else
			i++;
	}
}

/* Copies a JSON string member into out; "" when absent.  -1 when present
 * but not a string, or too long. */
static int
transcript_str(json_object *o, const char *key, char *out, size_t outlen)
{
	json_object *v;

	out[0] = '\0';
	if (o == NULL || !json_object_object_get_ex(o, key, &v) || v == NULL)
		return 0;
	if (!json_object_is_type(v, json_type_string) ||
	    (size_t)json_object_get_string_len(v) >= outlen)
		return -1;
	memcpy(out, json_object_get_string(v), (size_t)json_object_get_string_len(v) + 1);
	return 0;
}

/* A token count: a non-negative integer, 0 when absent.  -1 when bad. */
static int
transcript_num(json_object *o, const char *key, int64_t *out)
{
	json_object *v;
	double d;

	*out = 0;
	if (o == NULL || !json_object_object_get_ex(o, key, &v) || v == NULL)
		return 0;
	if (json_object_is_type(v, json_type_int)) {
		*out = json_object_get_int64(v);
	} else if (json_object_is_type(v, json_type_double)) {
		d = json_object_get_double(v);
		if (d != (double)(int64_t)d)
			return -1;
		*out = (int64_t)d;
	} else
		return -1;
	return *out < 0 ? -1 : 0;
}

/* Fills m from a parsed usage object.  Returns 0 or -1 (bad numbers). */
static int
transcript_usage(json_object *usage, struct transcript_msg *m)
{
	json_object *cc = NULL;

	if (!json_object_is_type(usage, json_type_object))
		return -1;
	if (transcript_num(usage, "input_tokens", &m->tm_in) == -1 ||
	    transcript_num(usage, "output_tokens", &m->tm_out) == -1 ||
	    transcript_num(usage, "cache_creation_input_tokens", &m->tm_cw) == -1 ||
	    transcript_num(usage, "cache_read_input_tokens", &m->tm_cr) == -1)
		return -1;
	m->tm_cw1h = 0;
	if (json_object_object_get_ex(usage, "cache_creation", &cc) &&
	    json_object_is_type(cc, json_type_object) &&
	    transcript_num(cc, "ephemeral_1h_input_tokens", &m->tm_cw1h) == -1)
		m->tm_cw1h = 0;
	if (m->tm_cw1h > m->tm_cw)
		m->tm_cw1h = m->tm_cw;
	return 0;
}

/* A parsed candidate line.  Returns 0 (taken or not an assistant line) or -1 (unusable). */
static int
transcript_take(struct transcript *t, json_object *o, transcript_cb cb, void *arg)
{
	struct transcript_msg m;
	json_object *v, *msg, *usage;
	const char *type;

	if (!json_object_object_get_ex(o, "type", &v) || !json_object_is_type(v, json_type_string))
		return 0;
	type = json_object_get_string(v);
	if (strcmp(type, "assistant") != 0)
		return 0;
	if (!json_object_object_get_ex(o, "message", &msg) ||
	    !json_object_is_type(msg, json_type_object) ||
	    !json_object_object_get_ex(msg, "usage", &usage))
		return 0; /* an assistant line without usage costs nothing */
	memset(&m, 0, sizeof(m));
	if (transcript_str(msg, "id", m.tm_id, sizeof(m.tm_id)) == -1 || m.tm_id[0] == '\0' ||
	    transcript_str(msg, "model", m.tm_model, sizeof(m.tm_model)) == -1 ||
	    transcript_str(o, "timestamp", m.tm_ts, sizeof(m.tm_ts)) == -1 ||
	    transcript_usage(usage, &m) == -1)
		return -1;
	if (json_object_object_get_ex(o, "isSidechain", &v) && json_object_get_boolean(v) &&
	    transcript_str(o, "agentId", m.tm_agent, sizeof(m.tm_agent)) == -1)
		return -1;
	m.tm_stopped = json_object_object_get_ex(msg, "stop_reason", &v) && v != NULL &&
		       json_object_is_type(v, json_type_string);
	transcript_offer(t, &m, cb, arg);
	return 0;
}

/* One complete line (no newline). */
static void
transcript_line(struct transcript *t, const char *line, size_t len, transcript_cb cb, void *arg)
{
	json_tokener *tok;
	json_object *o;

	t->t_st.ts_lines++;
	while (len > 0 && (line[len - 1] == '\r' || line[len - 1] == ' ' || line[len - 1] == '\t'))
		len--;
	if (len == 0)
		return;
	if (line[0] != '{' || line[len - 1] != '}') {
		t->t_st.ts_malformed++;
		return;
	}
	if (compat_memmem(line, len, "\"assistant\"", 11) == NULL ||
	    compat_memmem(line, len, "\"usage\"", 7) == NULL)
		return;
	if ((tok = json_tokener_new_ex(TRANSCRIPT_DEPTH)) == NULL)
		return;
	o = json_tokener_parse_ex(tok, line, (int)len);
	if (o == NULL || json_tokener_get_parse_end(tok) != len ||
	    !json_object_is_type(o, json_type_object) || transcript_take(t, o, cb, arg) == -1)
		t->t_st.ts_malformed++;
	json_object_put(o);
	json_tokener_free(tok);
}

/* Is the quote at p (inside buf) unescaped? */
static int
transcript_unescaped(const char *buf, const char *p)
{
	size_t n = 0;

	while (p > buf && p[-1] == '\\') {
		p--;
		n++;
	}
	return n % 2 == 0;
}

/* Where "key": starts in buf (its first, or with last its last, unescaped
 * occurrence); returns the byte after the colon, or NULL. */
static const char *
transcript_key(const char *buf, size_t len, const char *key, int last)
{
	char pat[64];
	const char *p = buf, *end = buf + len, *found = NULL, *q;
	int n = snprintf(pat, sizeof(pat), "\"%s\":", key);

	while (p < end && (q = compat_memmem(p, (size_t)(end - p), pat, (size_t)n)) != NULL) {
		if (transcript_unescaped(buf, q)) {
			found = q + n;
			if (!last)
				break;
		}
		p = q + 1;
	}
	return found;
}

/* Copies the string value at p (a quote) into out; -1 unless a short plain string. */
static int
transcript_strval(const char *p, const char *end, char *out, size_t outlen)
{
	const char *q;

	if (p == NULL || p >= end || *p != '"')
		return -1;
	for (q = p + 1; q < end && *q != '"'; q++)
		if (*q == '\\' || (unsigned char)*q < 0x20)
			return -1;
	if (q >= end || (size_t)(q - p - 1) >= outlen)
		return -1;
	memcpy(out, p + 1, (size_t)(q - p - 1));
	out[q - p - 1] = '\0';
	return 0;
}

/*
 * An over-long line is done: take its usage from the head and tail kept.
 * The head holds "message":{"id":...,"model":... (written before the
 * content), the tail "usage":{...}, the stop_reason, the type and the
 * timestamp (written after it).
 */
static void
transcript_salvage(struct transcript *t, transcript_cb cb, void *arg)
{
	const char *h = t->t_head, *hend = t->t_head + t->t_head_len;
	const char *tl = t->t_tail, *tend = t->t_tail + t->t_tail_len;
	struct transcript_msg m;
	json_tokener *tok = NULL;
	json_object *usage = NULL;
	const char *p, *msg;

	t->t_st.ts_too_long++;
	t->t_st.ts_lines++;
	memset(&m, 0, sizeof(m));
	if (h == NULL || tl == NULL)
		return;
	p = transcript_key(tl, t->t_tail_len, "type", 1);
	if (p == NULL || (size_t)(tend - p) < 11 || memcmp(p, "\"assistant\"", 11) != 0) {
		p = transcript_key(h, t->t_head_len, "type", 0);
		if (p == NULL || (size_t)(hend - p) < 11 || memcmp(p, "\"assistant\"", 11) != 0)
			return;
	}
	if ((msg = transcript_key(h, t->t_head_len, "message", 0)) == NULL ||
	    transcript_strval(transcript_key(msg, (size_t)(hend - msg), "id", 0), hend, m.tm_id,
			      sizeof(m.tm_id)) == -1 ||
	    transcript_strval(transcript_key(msg, (size_t)(hend - msg), "model", 0), hend,
			      m.tm_model, sizeof(m.tm_model)) == -1)
		return;
	if ((p = transcript_key(tl, t->t_tail_len, "usage", 1)) == NULL ||
	    (tok = json_tokener_new_ex(TRANSCRIPT_DEPTH)) == NULL)
		return;
	usage = json_tokener_parse_ex(tok, p, (int)(tend - p));
	json_tokener_free(tok);
	if (usage == NULL || transcript_usage(usage, &m) == -1) {
		json_object_put(usage);
		return;
	}
	json_object_put(usage);
	p = transcript_key(tl, t->t_tail_len, "stop_reason", 1);
	m.tm_stopped = p != NULL && p < tend && *p == '"';
	transcript_strval(transcript_key(tl, t->t_tail_len, "timestamp", 1), tend, m.tm_ts,
			  sizeof(m.tm_ts));
	if (((p = transcript_key(h, t->t_head_len, "isSidechain", 0)) != NULL &&
	     (size_t)(hend - p) >= 4 && memcmp(p, "true", 4) == 0) ||
	    ((p = transcript_key(tl, t->t_tail_len, "isSidechain", 1)) != NULL &&
	     (size_t)(tend - p) >= 4 && memcmp(p, "true", 4) == 0))
		if (transcript_strval(transcript_key(h, t->t_head_len, "agentId", 0), hend,
				      m.tm_agent, sizeof(m.tm_agent)) == -1)
			transcript_strval(transcript_key(tl, t->t_tail_len, "agentId", 1), tend,
					  m.tm_agent, sizeof(m.tm_agent));
	t->t_st.ts_salvaged++;
	transcript_offer(t, &m, cb, arg);
}

/* Keeps the last TRANSCRIPT_SALVAGE bytes of what was appended. */
static void
transcript_tail_add(struct transcript *t, const char *p, size_t n)
{
	size_t keep;

	if (n >= TRANSCRIPT_SALVAGE) {
		memcpy(t->t_tail, p + n - TRANSCRIPT_SALVAGE, TRANSCRIPT_SALVAGE);
		t->t_tail_len = TRANSCRIPT_SALVAGE;
		return;
	}
	keep = t->t_tail_len + n > TRANSCRIPT_SALVAGE ? TRANSCRIPT_SALVAGE - n : t->t_tail_len;
	memmove(t->t_tail, t->t_tail + t->t_tail_len - keep, keep);
	memcpy(t->t_tail + keep, p, n);
	t->t_tail_len = keep + n;
}

/* Adds n bytes to the partial line.  Returns 0 or -1 (out of memory). */
static int
transcript_partial_add(struct transcript *t, const char *p, size_t n)
{
	size_t cap;
	char *nb;

	if (!t->t_overlong && t->t_len + n > t->t_line_max) {
		/* over the limit: keep its head and its tail, free the rest */
		if ((t->t_head = malloc(TRANSCRIPT_SALVAGE)) == NULL ||
		    (t->t_tail = malloc(TRANSCRIPT_SALVAGE)) == NULL)
			return -1;
		t->t_head_len = t->t_len < TRANSCRIPT_SALVAGE ? t->t_len : TRANSCRIPT_SALVAGE;
		memcpy(t->t_head, t->t_buf, t->t_head_len);
		t->t_tail_len = 0;
		transcript_tail_add(t, t->t_buf, t->t_len);
		t->t_long_len = t->t_len;
		free(t->t_buf);
		t->t_buf = NULL;
		t->t_len = t->t_cap = 0;
		t->t_overlong = 1;
	}
	if (t->t_overlong) {
		if (t->t_head_len < TRANSCRIPT_SALVAGE) {
			size_t k = TRANSCRIPT_SALVAGE - t->t_head_len < n
				       ? TRANSCRIPT_SALVAGE - t->t_head_len
				       : n;

			memcpy(t->t_head + t->t_head_len, p, k);
			t->t_head_len += k;
		}
		transcript_tail_add(t, p, n);
		t->t_long_len += n;
		return 0;
	}
	if (t->t_len + n > t->t_cap) {
		cap = t->t_cap ? t->t_cap : 4096;
		while (cap < t->t_len + n)
			cap *= 2;
		if (cap > t->t_line_max)
			cap = t->t_line_max;
		if ((nb = realloc(t->t_buf, cap)) == NULL)
			return -1;
		t->t_buf = nb;
		t->t_cap = cap;
		if (cap > t->t_st.ts_buf_peak)
			t->t_st.ts_buf_peak = cap;
	}
	memcpy(t->t_buf + t->t_len, p, n);
	t->t_len += n;
	return 0;
}

/* Ends the partial line at a newline: parse it, then forget it. */
static void
transcript_partial_end(struct transcript *t, transcript_cb cb, void *arg)
{
	if (t->t_overlong)
		transcript_salvage(t, cb, arg);
	else
		transcript_line(t, t->t_buf, t->t_len, cb, arg);
	transcript_drop_partial(t);
}

/* Starts over from the beginning of the file (it was truncated or replaced). */
static void
transcript_rewind(struct transcript *t)
{
	transcript_drop_partial(t);
	t->t_off = t->t_read_off = 0;
	t->t_mark_len = 0;
}

/* Do the bytes before the offset still read as they did?  1 yes, 0 no. */
static int
transcript_mark_holds(struct transcript *t, int fd)
{
	unsigned char now[TRANSCRIPT_MARK];

	if (t->t_mark_len == 0 || t->t_off < t->t_mark_len)
		return t->t_off == 0 || t->t_mark_len == 0;
	if (pread(fd, now, t->t_mark_len, (off_t)(t->t_off - t->t_mark_len)) !=
	    (ssize_t)t->t_mark_len)
		return 0;
	return memcmp(now, t->t_mark, t->t_mark_len) == 0;
}

/* Remembers the bytes before the offset, for the next read. */
static void
transcript_mark_take(struct transcript *t, int fd)
{
	size_t n = t->t_off < TRANSCRIPT_MARK ? (size_t)t->t_off : TRANSCRIPT_MARK;

	if (n == 0 || pread(fd, t->t_mark, n, (off_t)(t->t_off - n)) != (ssize_t)n)
		n = 0;
	t->t_mark_len = n;
}

enum transcript_status
transcript_read(struct transcript *t, size_t budget, transcript_cb cb, void *arg, char *err,
		size_t errlen)
{
	static char chunk[TRANSCRIPT_CHUNK];
	enum transcript_status rs = TRANSCRIPT_MORE;
	struct stat st;
	size_t done = 0;
	const char *p, *end, *nl;
	ssize_t n;
	int fd;

	if ((fd = open(t->t_path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY)) == -1) {
		if (errno == ENOENT)
			return TRANSCRIPT_MISSING;
		snprintf(err, errlen, "%s", strerror(errno));
		return TRANSCRIPT_ERROR;
	}
	if (fstat(fd, &st) == -1) {
		snprintf(err, errlen, "fstat: %s", strerror(errno));
		close(fd);
		return TRANSCRIPT_ERROR;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "not a regular file");
		close(fd);
		return TRANSCRIPT_ERROR;
	}
	if (t->t_have_ino && (st.st_dev != t->t_dev || st.st_ino != t->t_ino)) {
		t->t_st.ts_replaced++;
		transcript_rewind(t);
	} else if ((uint64_t)st.st_size < t->t_read_off || !transcript_mark_holds(t, fd)) {
		t->t_st.ts_truncated++;
		transcript_rewind(t);
	}
	t->t_dev = st.st_dev;
	t->t_ino = st.st_ino;
	t->t_have_ino = 1;

	while (done < budget) {
		n = pread(fd, chunk, sizeof(chunk), (off_t)t->t_read_off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			snprintf(err, errlen, "read: %s", strerror(errno));
			rs = TRANSCRIPT_ERROR;
			break;
		}
		if (n == 0) {
			rs = TRANSCRIPT_EOF;
			break;
		}
		t->t_st.ts_bytes += (uint64_t)n;
		done += (size_t)n;
		p = chunk;
		end = chunk + n;
		while (p < end) {
			if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL) {
				if (transcript_partial_add(t, p, (size_t)(end - p)) == -1) {
					snprintf(err, errlen, "out of memory");
					close(fd);
					return TRANSCRIPT_ERROR;
				}
				break;
			}
			if (t->t_len > 0 || t->t_overlong) {
				if (transcript_partial_add(t, p, (size_t)(nl - p)) == -1) {
					snprintf(err, errlen, "out of memory");
					close(fd);
					return TRANSCRIPT_ERROR;
				}
				transcript_partial_end(t, cb, arg);
			} else /* within one chunk: shorter than line_max (>= 2 chunks) */
				transcript_line(t, p, (size_t)(nl - p), cb, arg);
			p = nl + 1;
			t->t_off = t->t_read_off + (uint64_t)(p - chunk);
		}
		t->t_read_off += (uint64_t)n;
	}
	transcript_mark_take(t, fd);
	close(fd);
	return rs;
}

json_object *
transcript_state(const struct transcript *t, size_t max_seen)
{
	json_object *o, *seen, *pend, *m;
	char hex[17], mark[2 * TRANSCRIPT_MARK + 1];
	size_t i, k;
	int j;

	if ((o = json_object_new_object()) == NULL)
		return NULL;
	json_object_object_add(o, "path", json_object_new_string(t->t_path));
	if (t->t_have_ino) {
		json_object_object_add(o, "dev", json_object_new_int64((int64_t)t->t_dev));
		json_object_object_add(o, "ino", json_object_new_int64((int64_t)t->t_ino));
	}
	json_object_object_add(o, "offset", json_object_new_int64((int64_t)t->t_off));
	for (i = 0; i < t->t_mark_len; i++)
		snprintf(mark + 2 * i, 3, "%02x", t->t_mark[i]);
	mark[2 * t->t_mark_len] = '\0';
	json_object_object_add(o, "mark", json_object_new_string(mark));
	seen = json_object_new_array();
	for (i = t->t_seen_n > max_seen ? t->t_seen_n - max_seen : 0; i < t->t_seen_n; i++) {
		/* oldest first, so that a restore keeps the order */
		k = (t->t_seen_next + TRANSCRIPT_SEEN_MAX - t->t_seen_n + i) % TRANSCRIPT_SEEN_MAX;
		snprintf(hex, sizeof(hex), "%016" PRIx64, t->t_seen[k]);
		json_object_array_add(seen, json_object_new_string(hex));
	}
	json_object_object_add(o, "seen", seen);
	pend = json_object_new_array();
	for (j = 0; j < t->t_npending; j++) {
		const struct transcript_msg *p = &t->t_pending[j];

		m = json_object_new_object();
		json_object_object_add(m, "id", json_object_new_string(p->tm_id));
		json_object_object_add(m, "model", json_object_new_string(p->tm_model));
		json_object_object_add(m, "agent", json_object_new_string(p->tm_agent));
		json_object_object_add(m, "ts", json_object_new_string(p->tm_ts));
		json_object_object_add(m, "in", json_object_new_int64(p->tm_in));
		json_object_object_add(m, "out", json_object_new_int64(p->tm_out));
		json_object_object_add(m, "cw", json_object_new_int64(p->tm_cw));
		json_object_object_add(m, "cw1h", json_object_new_int64(p->tm_cw1h));
		json_object_object_add(m, "cr", json_object_new_int64(p->tm_cr));
		json_object_object_add(m, "stopped", json_object_new_boolean(p->tm_stopped));
		json_object_object_add(m, "lines", json_object_new_int(p->tm_lines));
		json_object_array_add(pend, m);
	}
	json_object_object_add(o, "pending", pend);
	return o;
}

int
transcript_restore(struct transcript *t, json_object *st, char *err, size_t errlen)
{
	json_object *v, *seen, *pend, *m;
	int64_t off = 0;
	size_t i, n;

	if (!json_object_is_type(st, json_type_object) ||
	    transcript_num(st, "offset", &off) == -1) {
		snprintf(err, errlen, "%s: bad state", t->t_path);
		return -1;
	}
	transcript_drop_partial(t);
	t->t_off = t->t_read_off = (uint64_t)off;
	if (json_object_object_get_ex(st, "ino", &v)) {
		t->t_ino = (ino_t)json_object_get_int64(v);
		t->t_dev =
		    json_object_object_get_ex(st, "dev", &v) ? (dev_t)json_object_get_int64(v) : 0;
		t->t_have_ino = 1;
	}
	t->t_mark_len = 0;
	if (json_object_object_get_ex(st, "mark", &v) && json_object_is_type(v, json_type_string)) {
		const char *h = json_object_get_string(v);

		for (i = 0; i < TRANSCRIPT_MARK && util_hexval(h[2 * i]) >= 0 &&
			    util_hexval(h[2 * i + 1]) >= 0;
		     i++)
			t->t_mark[i] =
			    (unsigned char)(util_hexval(h[2 * i]) << 4 | util_hexval(h[2 * i + 1]));
		t->t_mark_len = i;
	}
	t->t_seen_n = t->t_seen_next = 0;
	if (json_object_object_get_ex(st, "seen", &seen) &&
	    json_object_is_type(seen, json_type_array)) {
		n = json_object_array_length(seen);
		for (i = n > TRANSCRIPT_SEEN_MAX ? n - TRANSCRIPT_SEEN_MAX : 0; i < n; i++) {
			const char *s = json_object_get_string(json_object_array_get_idx(seen, i));

			if (s != NULL)
				transcript_remember(t, strtoull(s, NULL, 16));
		}
	}
	t->t_npending = 0;
	if (json_object_object_get_ex(st, "pending", &pend) &&
	    json_object_is_type(pend, json_type_array)) {
		n = json_object_array_length(pend);
		for (i = 0; i < n && t->t_npending < TRANSCRIPT_PENDING_MAX; i++) {
			struct transcript_msg *p = &t->t_pending[t->t_npending];
			int64_t lines = 1;

			m = json_object_array_get_idx(pend, i);
			memset(p, 0, sizeof(*p));
			if (transcript_str(m, "id", p->tm_id, sizeof(p->tm_id)) == -1 ||
			    p->tm_id[0] == '\0' ||
			    transcript_str(m, "model", p->tm_model, sizeof(p->tm_model)) == -1 ||
			    transcript_str(m, "agent", p->tm_agent, sizeof(p->tm_agent)) == -1 ||
			    transcript_str(m, "ts", p->tm_ts, sizeof(p->tm_ts)) == -1 ||
			    transcript_num(m, "in", &p->tm_in) == -1 ||
			    transcript_num(m, "out", &p->tm_out) == -1 ||
			    transcript_num(m, "cw", &p->tm_cw) == -1 ||
			    transcript_num(m, "cw1h", &p->tm_cw1h) == -1 ||
			    transcript_num(m, "cr", &p->tm_cr) == -1 ||
			    transcript_num(m, "lines", &lines) == -1)
				continue;
			p->tm_lines = (int)lines;
			p->tm_stopped = json_object_object_get_ex(m, "stopped", &v) &&
					json_object_get_boolean(v);
			t->t_npending++;
		}
	}
	return 0;
}
