/*
 * log.c: JSON-lines logging (log.h).
 *
 * Each call formats one complete line in a local buffer and writes it with
 * a single write(2) to a descriptor opened O_APPEND, so lines from several
 * processes sharing a file do not interleave.  Messages are cut at
 * LOG_LINE_MAX.  Rotation: before a line would take the file past max_size,
 * file.(keep-1) .. file.1 move up one, file becomes file.1 and a new file is
 * opened; with keep 0 the file is just started afresh.  When another process
 * rotated first (the path no longer names our file), we only reopen.
 *
 * Without a file the lines go to stderr, in the form its reader wants: JSON
 * lines after a "<N>" priority prefix when stderr is the journal's stream
 * (JOURNAL_STREAM names it: systemd's sd-daemon(3) levels), plain text
 * ("component: level: message (reason)") when it is a terminal, JSON lines
 * otherwise (a pipe to a supervisor's log, a file).
 *
 * This is the only part of common/ that writes anything; it never writes
 * anything but what its callers ask for.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "event.h"
#include "log.h"
#include "util.h"

/* Longest log line written, bytes (newline included). */
#define LOG_LINE_MAX 8192

/* How lines are written (see the head comment). */
enum log_style { LOG_STYLE_UNKNOWN = 0, LOG_STYLE_JSON, LOG_STYLE_JOURNAL, LOG_STYLE_TEXT };

static struct {
	char component[64];
	char *path; /* NULL: stderr */
	int fd;
	enum log_level level;
	size_t max_size;
	int keep;
	size_t size; /* bytes in the current file, as far as we know */
	enum log_style style;
} log_state = {"hookwire", NULL, STDERR_FILENO, LOGL_INFO, 0, 0, 0, LOG_STYLE_UNKNOWN};

static const char *log_names[] = {"error", "warn", "info", "debug"};
/* sd-daemon(3) priority prefixes: SD_ERR, SD_WARNING, SD_INFO, SD_DEBUG. */
static const char *log_journal_prefix[] = {"<3>", "<4>", "<6>", "<7>"};

/* The style of stderr: the journal's stream, a terminal, or anything else. */
static enum log_style
log_stderr_style(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	if (fstat(STDERR_FILENO, &st) == -1)
		return LOG_STYLE_JSON;
	if (js != NULL && sscanf(js, "%llu:%llu", &dev, &ino) == 2 &&
	    (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino)
		return LOG_STYLE_JOURNAL;
	if (isatty(STDERR_FILENO))
		return LOG_STYLE_TEXT;
	return LOG_STYLE_JSON;
}

int
log_level_parse(const char *s, enum log_level *out)
{
	int i;

	for (i = 0; i <= LOGL_DEBUG; i++)
		if (s != NULL && strcmp(s, log_names[i]) == 0) {
			*out = (enum log_level)i;
			return 0;
		}
	return -1;
}

static int
log_open_file(char *err, size_t errlen)
{
	struct stat st;
	int fd;

	fd = open(log_state.path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	if (fd == -1 || fstat(fd, &st) == -1) {
		if (err != NULL)
			snprintf(err, errlen, "%s: %s", log_state.path, strerror(errno));
		if (fd != -1)
			close(fd);
		return -1;
	}
	if (log_state.fd != STDERR_FILENO && log_state.fd >= 0)
		close(log_state.fd);
	log_state.fd = fd;
	log_state.size = (size_t)st.st_size;
	return 0;
}

int
log_init(const char *component, const char *path, enum log_level level, size_t max_size, int keep,
	 char *err, size_t errlen)
{
	char *p = NULL;

	/* not snprintf(): a hook would fault in vfprintf's code for it */
	strlcpy(log_state.component, component ? component : "hookwire",
		sizeof(log_state.component));
	log_state.level = level;
	log_state.max_size = max_size;
	log_state.keep = keep < 0 ? 0 : keep;
	if (path != NULL && *path != '\0') {
		if ((p = strdup(path)) == NULL) {
			snprintf(err, errlen, "%s: out of memory", path);
			return -1;
		}
	}
	free(log_state.path);
	log_state.path = p;
	log_state.style = p == NULL ? log_stderr_style() : LOG_STYLE_JSON;
	if (p == NULL) {
		if (log_state.fd != STDERR_FILENO && log_state.fd >= 0)
			close(log_state.fd);
		log_state.fd = STDERR_FILENO;
		return 0;
	}
	if (log_open_file(err, errlen) == -1) {
		free(log_state.path);
		log_state.path = NULL;
		log_state.fd = STDERR_FILENO;
		log_state.style = log_stderr_style();
		return -1;
	}
	return 0;
}

int
log_reopen(void)
{
	if (log_state.path == NULL)
		return 0;
	if (log_open_file(NULL, 0) == -1) {
		log_warn("log_reopen", "%s: cannot reopen %s; writing on to the old file", __func__,
			 log_state.path);
		return -1;
	}
	log_info("%s: log reopened", __func__);
	return 0;
}

void
log_close(void)
{
	if (log_state.fd != STDERR_FILENO && log_state.fd >= 0)
		close(log_state.fd);
	log_state.fd = STDERR_FILENO;
	free(log_state.path);
	log_state.path = NULL;
	log_state.style = LOG_STYLE_UNKNOWN;
}

int
log_enabled(enum log_level level)
{
	return level <= log_state.level;
}

/* Moves file.(keep-1) .. file up by one and opens a fresh file. */
static void
log_rotate(void)
{
	char from[PATH_MAX], to[PATH_MAX];
	struct stat st, cur;
	int i;

	/* Someone else (another process, logrotate) already rotated: just reopen. */
	if (stat(log_state.path, &st) == 0 && fstat(log_state.fd, &cur) == 0 &&
	    (st.st_ino != cur.st_ino || st.st_dev != cur.st_dev)) {
		log_open_file(NULL, 0);
		if (log_state.size < log_state.max_size)
			return;
	}
	if (log_state.keep == 0) {
		unlink(log_state.path);
	} else {
		for (i = log_state.keep - 1; i >= 1; i--) {
			snprintf(from, sizeof(from), "%s.%d", log_state.path, i);
			snprintf(to, sizeof(to), "%s.%d", log_state.path, i + 1);
			rename(from, to);
		}
		snprintf(to, sizeof(to), "%s.1", log_state.path);
		rename(log_state.path, to);
	}
	log_open_file(NULL, 0);
}

/* Appends s as JSON string content (no quotes); invalid UTF-8 as \\xHH text. */
static void
log_escape(char *buf, size_t *off, size_t cap, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s), i = 0, k, need;
	char tmp[8];

	while (i < n) {
		const char *add;

		if (p[i] == '"') {
			add = "\\\"";
			k = 1;
		} else if (p[i] == '\\') {
			add = "\\\\";
			k = 1;
		} else if (p[i] < 0x20) {
			snprintf(tmp, sizeof(tmp), "\\u%04x", p[i]);
			add = tmp;
			k = 1;
		} else if (p[i] < 0x80) {
			tmp[0] = (char)p[i];
			tmp[1] = '\0';
			add = tmp;
			k = 1;
		} else if ((k = util_utf8_seq(p + i, n - i)) > 0) {
			memcpy(tmp, p + i, k);
			tmp[k] = '\0';
			add = tmp;
		} else {
			snprintf(tmp, sizeof(tmp), "\\\\x%02x", p[i]);
			add = tmp;
			k = 1;
		}
		need = strlen(add);
		if (*off + need >= cap)
			return;
		memcpy(buf + *off, add, need);
		*off += need;
		i += k;
	}
}

static void
log_append(char *buf, size_t *off, size_t cap, const char *s)
{
	size_t n = strlen(s);

	if (*off + n >= cap)
		return;
	memcpy(buf + *off, s, n);
	*off += n;
}

/* A terminal's line: "component: level: msg (reason) key=value ...", control
 * characters shown as '?'. */
static void
log_text(enum log_level level, const char *reason, const char *msg, va_list *kv)
{
	char buf[LOG_LINE_MAX];
	const char *k, *v;
	size_t off = 0, cap = sizeof(buf) - 1, i;

	log_append(buf, &off, cap, log_state.component);
	log_append(buf, &off, cap, ": ");
	log_append(buf, &off, cap, log_names[level]);
	log_append(buf, &off, cap, ": ");
	log_append(buf, &off, cap, msg);
	if (reason != NULL) {
		log_append(buf, &off, cap, " (");
		log_append(buf, &off, cap, reason);
		log_append(buf, &off, cap, ")");
	}
	while (kv != NULL && (k = va_arg(*kv, const char *)) != NULL) {
		v = va_arg(*kv, const char *);
		log_append(buf, &off, cap, " ");
		log_append(buf, &off, cap, k);
		log_append(buf, &off, cap, "=");
		log_append(buf, &off, cap, v != NULL ? v : "null");
	}
	for (i = 0; i < off; i++)
		if ((unsigned char)buf[i] < 0x20 || buf[i] == 0x7f)
			buf[i] = '?';
	buf[off++] = '\n';
	util_write_all(log_state.fd, buf, off);
}

/* Formats and writes one line; kv is a NULL-terminated list of pairs, or NULL. */
static void
log_line(enum log_level level, const char *reason, const char *msg, va_list *kv)
{
	char buf[LOG_LINE_MAX], ts[40], num[32];
	const char *k, *v;
	size_t off = 0, cap = sizeof(buf) - 2; /* room for "}\n" */
	int saved = errno;

	if (!log_enabled(level))
		return;
	if (log_state.style == LOG_STYLE_UNKNOWN)
		log_state.style = log_state.path == NULL ? log_stderr_style() : LOG_STYLE_JSON;
	if (log_state.style == LOG_STYLE_TEXT) {
		log_text(level, reason, msg, kv);
		errno = saved;
		return;
	}
	if (log_state.style == LOG_STYLE_JOURNAL)
		log_append(buf, &off, cap, log_journal_prefix[level]);
	event_format_ts(util_now_us(), ts, sizeof(ts));
	log_append(buf, &off, cap, "{\"ts\":\"");
	log_append(buf, &off, cap, ts);
	log_append(buf, &off, cap, "\",\"level\":\"");
	log_append(buf, &off, cap, log_names[level]);
	log_append(buf, &off, cap, "\",\"component\":\"");
	log_escape(buf, &off, cap, log_state.component);
	snprintf(num, sizeof(num), "\",\"pid\":%ld", (long)getpid());
	log_append(buf, &off, cap, num);
	log_append(buf, &off, cap, ",\"msg\":\"");
	log_escape(buf, &off, cap - 1, msg);
	log_append(buf, &off, cap, "\"");
	if (reason != NULL) {
		log_append(buf, &off, cap, ",\"reason\":\"");
		log_escape(buf, &off, cap - 1, reason);
		log_append(buf, &off, cap, "\"");
	}
	while (kv != NULL && (k = va_arg(*kv, const char *)) != NULL) {
		v = va_arg(*kv, const char *);
		/* Only whole pairs, so that the line stays valid JSON when cut. */
		if (off + strlen(k) + (v ? strlen(v) : 4) + 8 >= cap)
			break;
		log_append(buf, &off, cap, ",\"");
		log_escape(buf, &off, cap, k);
		log_append(buf, &off, cap, "\":");
		if (v == NULL) {
			log_append(buf, &off, cap, "null");
			continue;
		}
		log_append(buf, &off, cap, "\"");
		log_escape(buf, &off, cap - 1, v);
		log_append(buf, &off, cap, "\"");
	}
	buf[off++] = '}';
	buf[off++] = '\n';
	if (log_state.path != NULL && log_state.max_size > 0 &&
	    log_state.size + off > log_state.max_size && log_state.size > 0)
		log_rotate();
	if (util_write_all(log_state.fd, buf, off) == 0)
		log_state.size += off;
	errno = saved;
}

void
log_vmsg(enum log_level level, const char *reason, const char *fmt, va_list ap)
{
	char msg[LOG_LINE_MAX / 2];

	if (!log_enabled(level))
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	log_line(level, reason, msg, NULL);
}

void
log_msg(enum log_level level, const char *reason, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(level, reason, fmt, ap);
	va_end(ap);
}

void
log_lines(enum log_level level, const char *reason, const char *lines)
{
	char line[LOG_LINE_MAX / 2];
	const char *e;
	size_t n;

	for (; lines != NULL && *lines != '\0'; lines = *e ? e + 1 : e) {
		e = lines + strcspn(lines, "\n");
		n = (size_t)(e - lines) < sizeof(line) - 1 ? (size_t)(e - lines) : sizeof(line) - 1;
		memcpy(line, lines, n);
		line[n] = '\0';
		if (n > 0)
			log_line(level, reason, line, NULL);
	}
}

void
log_kv(enum log_level level, const char *reason, const char *msg, ...)
{
	va_list ap;

	va_start(ap, msg);
	log_line(level, reason, msg, &ap);
	va_end(ap);
}

/* Formats fmt and appends ": strerror(errno)". */
static void
log_verr(enum log_level level, const char *reason, const char *fmt, va_list ap)
{
	char msg[LOG_LINE_MAX / 2];
	int saved = errno;
	size_t n;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	snprintf(msg + n, sizeof(msg) - n, ": %s", strerror(saved));
	log_line(level, reason, msg, NULL);
	errno = saved;
}

void
log_warn(const char *reason, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_verr(LOGL_WARN, reason, fmt, ap);
	va_end(ap);
}

void
log_warnx(const char *reason, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(LOGL_WARN, reason, fmt, ap);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(LOGL_INFO, NULL, fmt, ap);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(LOGL_DEBUG, NULL, fmt, ap);
	va_end(ap);
}

void
fatal(int code, const char *reason, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_verr(LOGL_ERROR, reason, fmt, ap);
	va_end(ap);
	exit(code);
}

void
fatalx(int code, const char *reason, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(LOGL_ERROR, reason, fmt, ap);
	va_end(ap);
	exit(code);
}
