/*
 * context.c: the additionalContext answer for SessionStart and
 * UserPromptSubmit.
 *
 * The text is the content of the files named in capture.context_files
 * (paths may use ~ and {project}), then ~/.claude/hookwire-context.md,
 * then <project>/.claude/hookwire-context.md, each when it exists, each
 * under a "# <path>" line.  Invalid UTF-8 is replaced by U+FFFD and NUL
 * bytes are dropped, so the answer is always valid JSON.  The whole text
 * is bounded to Claude Code's limit of 10,000 characters (counted as
 * UTF-16 code units, as JavaScript does) and cut on a character boundary
 * with a marker.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "capture.h"

int
context_event_wants(const char *event)
{
	return event != NULL &&
	       (strcmp(event, "SessionStart") == 0 || strcmp(event, "UserPromptSubmit") == 0);
}

char *
context_expand(const char *path, const char *home, const char *project)
{
	const char *p = path, *q;
	size_t cap, len = 0, plen;
	char *out;

	plen = project != NULL ? strlen(project) : 0;
	cap = strlen(path) + (home != NULL ? strlen(home) : 0) + 1;
	for (q = path; (q = strstr(q, "{project}")) != NULL; q += 9)
		cap += plen;
	if ((out = malloc(cap)) == NULL)
		return NULL;
	if (p[0] == '~' && (p[1] == '/' || p[1] == '\0')) {
		if (home == NULL)
			goto fail;
		len = strlen(home);
		memcpy(out, home, len);
		p++;
	}
	while (*p != '\0') {
		if (strncmp(p, "{project}", 9) == 0) {
			if (project == NULL)
				goto fail;
			memcpy(out + len, project, plen);
			len += plen;
			p += 9;
			continue;
		}
		out[len++] = *p++;
	}
	out[len] = '\0';
	return out;
fail:
	free(out);
	return NULL;
}

/*
 * Decodes one UTF-8 sequence at s (n bytes available).  Returns its length
 * and sets *cp, or returns 0 for an invalid sequence (overlong forms,
 * surrogates and code points above U+10FFFF are invalid).
 */
static size_t
context_utf8_decode(const unsigned char *s, size_t n, unsigned int *cp)
{
	unsigned int c = s[0], min;
	size_t len, i;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if ((c & 0xe0) == 0xc0) {
		len = 2, c &= 0x1f, min = 0x80;
	} else if ((c & 0xf0) == 0xe0) {
		len = 3, c &= 0x0f, min = 0x800;
	} else if ((c & 0xf8) == 0xf0) {
		len = 4, c &= 0x07, min = 0x10000;
	} else
		return 0;
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

size_t
context_chars(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, n = 0, k;
	unsigned int cp;

	while (i < len) {
		k = context_utf8_decode(p + i, len - i, &cp);
		if (k == 0)
			k = 1;
		n += cp > 0xffff ? 2 : 1;
		i += k;
	}
	return n;
}

char *
context_utf8_clean(const char *s, size_t len, size_t *outlen)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, o = 0, k;
	unsigned int cp;
	char *out;

	/* Each bad byte becomes 3 bytes at most. */
	if (len > (SIZE_MAX - 1) / 3 || (out = malloc(len * 3 + 1)) == NULL)
		return NULL;
	while (i < len) {
		if (p[i] == '\0') {
			i++;
			continue;
		}
		k = context_utf8_decode(p + i, len - i, &cp);
		if (k == 0) {
			memcpy(out + o, "\xef\xbf\xbd", 3);
			o += 3;
			i++;
			continue;
		}
		memcpy(out + o, p + i, k);
		o += k;
		i += k;
	}
	out[o] = '\0';
	*outlen = o;
	return out;
}

int
context_cut(char *s, size_t *len, size_t cap, size_t max_chars)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t mlen = strlen(CONTEXT_TRUNC_MARKER), mchars, i = 0, n = 0, k;
	unsigned int cp;

	if (context_chars(s, *len) <= max_chars)
		return 0;
	mchars = context_chars(CONTEXT_TRUNC_MARKER, mlen);
	if (max_chars < mchars || cap < mlen + 1) {
		s[0] = '\0';
		*len = 0;
		return 1;
	}
	/* Walk whole characters while the text and the marker still fit. */
	while (i < *len) {
		k = context_utf8_decode(p + i, *len - i, &cp);
		if (k == 0)
			k = 1;
		if (n + (cp > 0xffff ? 2 : 1) + mchars > max_chars || i + k + mlen + 1 > cap)
			break;
		n += cp > 0xffff ? 2 : 1;
		i += k;
	}
	memcpy(s + i, CONTEXT_TRUNC_MARKER, mlen + 1);
	*len = i + mlen;
	return 1;
}

/* Files already read (one file may be named twice, e.g. a project in $HOME). */
#define CONTEXT_FILES_MAX 64

struct context_seen {
	dev_t dev[CONTEXT_FILES_MAX];
	ino_t ino[CONTEXT_FILES_MAX];
	size_t n;
};

/* Reads at most CONTEXT_FILE_MAX bytes of path.  Returns a new buffer and
 * its length, or NULL when the file cannot be read (missing, a directory,
 * not a regular file) or was read before. */
static char *
context_read_file(const char *path, size_t *len, struct context_seen *seen)
{
	struct stat st;
	char *buf;
	size_t n = 0, i;
	ssize_t r = 0;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) == -1)
		return NULL;
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) || seen->n == CONTEXT_FILES_MAX) {
		close(fd);
		return NULL;
	}
	for (i = 0; i < seen->n; i++)
		if (seen->dev[i] == st.st_dev && seen->ino[i] == st.st_ino) {
			close(fd);
			return NULL;
		}
	seen->dev[seen->n] = st.st_dev;
	seen->ino[seen->n++] = st.st_ino;
	if ((buf = malloc(CONTEXT_FILE_MAX)) == NULL) {
		close(fd);
		return NULL;
	}
	while (n < CONTEXT_FILE_MAX) {
		r = read(fd, buf + n, CONTEXT_FILE_MAX - n);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	if (r == -1 && n == 0) {
		free(buf);
		close(fd);
		return NULL;
	}
	close(fd);
	*len = n;
	return buf;
}

/* A growing string. */
struct context_buf {
	char *s;
	size_t len, cap;
};

static int
context_append(struct context_buf *b, const char *s, size_t n)
{
	size_t cap;
	char *p;

	if (b->len + n + 1 > b->cap) {
		cap = b->cap ? b->cap : 4096;
		while (cap < b->len + n + 1)
			cap *= 2;
		if ((p = realloc(b->s, cap)) == NULL)
			return -1;
		b->s = p;
		b->cap = cap;
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
	return 0;
}

/* Appends one file under a "# path" heading; a missing file adds nothing. */
static int
context_add_file(struct context_buf *b, const char *path, struct context_seen *seen)
{
	char *raw, *clean;
	size_t rlen, clen;
	int rc = 0;

	if ((raw = context_read_file(path, &rlen, seen)) == NULL)
		return 0;
	clean = context_utf8_clean(raw, rlen, &clen);
	free(raw);
	if (clean == NULL)
		return -1;
	if (clen > 0) {
		/* Sections are separated by one blank line. */
		if ((b->len > 0 && b->s[b->len - 1] != '\n' && context_append(b, "\n", 1) == -1) ||
		    (b->len > 0 && context_append(b, "\n", 1) == -1) ||
		    context_append(b, "# ", 2) == -1 ||
		    context_append(b, path, strlen(path)) == -1 ||
		    context_append(b, "\n\n", 2) == -1 || context_append(b, clean, clen) == -1)
			rc = -1;
	}
	free(clean);
	return rc;
}

char *
context_build(const char *files_csv, const char *home, const char *project, size_t max_chars)
{
	struct context_buf b = {NULL, 0, 0};
	struct context_seen seen;
	char *list = NULL, *item, *save = NULL, *path, *clean;
	const char *own[2] = {"~/" CONTEXT_USER_FILE, "{project}/" CONTEXT_PROJECT_FILE};
	size_t i, clen;

	seen.n = 0;
	if (files_csv != NULL && files_csv[0] != '\0') {
		if ((list = strdup(files_csv)) == NULL)
			goto fail;
		for (item = strtok_r(list, ",", &save); item != NULL;
		     item = strtok_r(NULL, ",", &save)) {
			while (*item == ' ' || *item == '\t')
				item++;
			if (*item == '\0')
				continue;
			if ((path = context_expand(item, home, project)) == NULL)
				continue;
			if (context_add_file(&b, path, &seen) == -1) {
				free(path);
				goto fail;
			}
			free(path);
		}
	}
	for (i = 0; i < 2; i++) {
		if ((path = context_expand(own[i], home, project)) == NULL)
			continue;
		if (context_add_file(&b, path, &seen) == -1) {
			free(path);
			goto fail;
		}
		free(path);
	}
	free(list);
	if (b.len == 0) {
		free(b.s);
		return NULL;
	}
	/* The headings (paths) may be invalid UTF-8 too. */
	if ((clean = context_utf8_clean(b.s, b.len, &clen)) == NULL)
		goto fail;
	free(b.s);
	b.s = clean;
	b.len = clen;
	b.cap = clen + 1;
	if (context_chars(b.s, b.len) > max_chars) {
		if ((b.s = realloc(clean, b.len + sizeof(CONTEXT_TRUNC_MARKER))) == NULL) {
			free(clean);
			return NULL;
		}
		context_cut(b.s, &b.len, b.len + sizeof(CONTEXT_TRUNC_MARKER), max_chars);
	}
	return b.s;
fail:
	free(list);
	free(b.s);
	return NULL;
}

char *
context_answer(const char *event, const char *text)
{
	json_object *root, *hso;
	const char *s;
	char *out = NULL;
	size_t n;

	if ((root = json_object_new_object()) == NULL)
		return NULL;
	if ((hso = json_object_new_object()) == NULL)
		goto done;
	json_object_object_add(root, "hookSpecificOutput", hso);
	json_object_object_add(hso, "hookEventName", json_object_new_string(event));
	json_object_object_add(hso, "additionalContext", json_object_new_string(text));
	s = json_object_to_json_string_ext(root,
					   JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	if (s == NULL)
		goto done;
	n = strlen(s);
	if ((out = malloc(n + 2)) == NULL)
		goto done;
	memcpy(out, s, n);
	out[n] = '\n';
	out[n + 1] = '\0';
done:
	json_object_put(root);
	return out;
}
