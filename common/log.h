/*
 * log.h: structured JSON logging for the daemons and tools.
 *
 * One JSON object per line: {"ts","level","component","pid","msg","reason",...}.
 * To stderr or to a file that is rotated by size (file, file.1 ... file.N)
 * and reopened by log_reopen() (call it from the SIGHUP handler's callback,
 * not from the signal handler itself).
 *
 * Logs carry ids, sizes and reason codes, never payloads: callers must not
 * pass event text to these functions.  The log module only writes when a
 * caller calls it; no other part of common/ logs.
 */
#ifndef HOOKWIRE_LOG_H
#define HOOKWIRE_LOG_H

#include <stddef.h>
#include <stdarg.h>

enum log_level { LOGL_ERROR = 0, LOGL_WARN, LOGL_INFO, LOGL_DEBUG };

/* Parses "error", "warn", "info", "debug".  Returns 0 or -1. */
int log_level_parse(const char *s, enum log_level *out);

/*
 * Opens the log: component is the tool name; path NULL means stderr.
 * max_size 0 disables rotation; keep is the number of rotated files kept.
 * Returns 0, or -1 with a message in err.
 */
int log_init(const char *component, const char *path, enum log_level level, size_t max_size,
	     int keep, char *err, size_t errlen);

/* Reopens the log file (after logrotate moved it) and says so in the log
 * (info), or that it could not (warning, reason "log_reopen", the old file
 * kept).  Returns 0 or -1. */
int log_reopen(void);
void log_close(void);

/* True when messages at level would be written. */
int log_enabled(enum log_level level);

/*
 * Writes one line.  reason is a short reason code (may be NULL); fmt the
 * message.  Extra key/value pairs: log_kv() takes a NULL-terminated list of
 * (const char *key, const char *value) pairs after the message arguments are
 * formatted by the caller.
 */
void log_msg(enum log_level level, const char *reason, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void log_vmsg(enum log_level level, const char *reason, const char *fmt, va_list ap);
/* Logs each line of lines (newline-separated; "" logs nothing) at level with reason. */
void log_lines(enum log_level level, const char *reason, const char *lines);
void log_kv(enum log_level level, const char *reason, const char *msg, ...)
    __attribute__((sentinel));

/* OpenBSD-style helpers: log_warn appends strerror(errno). */
void log_warn(const char *reason, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void log_warnx(const char *reason, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Log at error level and exit(code).  For start-up failures and broken invariants only. */
void fatal(int code, const char *reason, const char *fmt, ...)
    __attribute__((noreturn, format(printf, 3, 4)));
void fatalx(int code, const char *reason, const char *fmt, ...)
    __attribute__((noreturn, format(printf, 3, 4)));

#endif
