/*
 * paths.c: where an instance keeps its files (paths.h has the rules).
 *
 * Explicit directories are used as given; derived defaults get
 * "/<instance>" appended for instances other than "default".
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "paths.h"

int
paths_instance_valid(const char *name)
{
	size_t i, n;

	if (name == NULL)
		return 0;
	n = strlen(name);
	if (n == 0 || n > PATHS_INSTANCE_MAX || name[0] == '.')
		return 0;
	for (i = 0; i < n; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			return 0;
	}
	return 1;
}

/* FNV-1a, 32 bits: what shortens a long instance name in the ring's name
 * (contrib/hookwire computes the same in sh). */
static uint32_t
paths_hash(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

int
paths_ring_name(char *out, size_t outlen, unsigned long uid, const char *instance)
{
	/* no printf: hook-capture computes this on its way in, and stdio's
	 * formatting code is pages it would fault in for nothing */
	static const char hex[] = "0123456789abcdef";
	char pre[40], digits[24];
	size_t n = 0, d = 0, len = strlen(instance), keep;
	uint32_t h;
	int i;

	memcpy(pre, "/hookwire-", 10);
	n = 10;
	do
		digits[d++] = (char)('0' + uid % 10);
	while ((uid /= 10) != 0);
	while (d > 0)
		pre[n++] = digits[--d];
	pre[n++] = '-';
	if (n + len <= PATHS_SHM_NAME_MAX) {
		if (n + len + 1 > outlen)
			return -1;
		memcpy(out, pre, n);
		memcpy(out + n, instance, len + 1);
		return 0;
	}
	/* too long for macOS: keep what fits of the instance, then ~ and its
	 * hash ('~' is not in an instance name, so no other name is equal) */
	keep = PATHS_SHM_NAME_MAX > n + 9 ? PATHS_SHM_NAME_MAX - n - 9 : 0;
	if (keep > len)
		keep = len;
	if (n + keep + 10 > outlen)
		return -1;
	memcpy(out, pre, n);
	memcpy(out + n, instance, keep);
	n += keep;
	out[n++] = '~';
	h = paths_hash(instance);
	for (i = 7; i >= 0; i--)
		out[n++] = hex[(h >> (4 * i)) & 0xf];
	out[n] = '\0';
	return 0;
}

/* snprintf into out; -1 when it does not fit. */
static int
paths_fmt(char *out, size_t outlen, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(out, outlen, fmt, ap);
	va_end(ap);
	return n < 0 || (size_t)n >= outlen ? -1 : 0;
}

/* True when s points into p (a name taken from p itself). */
static int
paths_within(const struct paths *p, const char *s)
{
	uintptr_t a = (uintptr_t)s, lo = (uintptr_t)p;

	return s != NULL && a >= lo && a < lo + sizeof(*p);
}

/*
 * Writes the next path, the NULL-terminated strings given one after the
 * other, into p->p_buf and points *member at it.  Returns 0, or -1 when it
 * is PATH_MAX bytes or longer.  Plain copies, not vsnprintf(): a hook
 * would fault in vfprintf's code pages for them.
 */
static int
paths_put(struct paths *p, char **member, ...)
{
	char *out = p->p_buf + p->p_used;
	const char *part;
	size_t n = 0, k;
	va_list ap;

	va_start(ap, member);
	while ((part = va_arg(ap, const char *)) != NULL) {
		k = strlen(part);
		if (k >= PATH_MAX - n) {
			va_end(ap);
			return -1;
		}
		memcpy(out + n, part, k);
		n += k;
	}
	va_end(ap);
	out[n] = '\0';
	*member = out;
	p->p_used += n + 1;
	return 0;
}

int
paths_init(struct paths *p, const char *instance, const char *rundir, const char *statedir,
	   char *err, size_t errlen)
{
	const char *env, *suffix = "";
	struct paths *old = NULL;
	char sep[2] = "", uid[24];
	int isdef, rc = -1;

	/* names taken from p itself (a second paths_init() on the same p)
	 * are read from a copy, since p is about to be overwritten */
	if (paths_within(p, instance) || paths_within(p, rundir) || paths_within(p, statedir)) {
		if ((old = malloc(sizeof(*old))) == NULL) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		memcpy(old, p, sizeof(*old));
		if (paths_within(p, instance))
			instance = (const char *)old + (instance - (const char *)p);
		if (paths_within(p, rundir))
			rundir = (const char *)old + (rundir - (const char *)p);
		if (paths_within(p, statedir))
			statedir = (const char *)old + (statedir - (const char *)p);
	}
	/* not p_buf: only what paths_put() writes there is touched */
	memset(p, 0, offsetof(struct paths, p_buf));
	if (instance == NULL || *instance == '\0')
		instance = "default";
	if (!paths_instance_valid(instance)) {
		snprintf(err, errlen,
			 "instance %s: must be 1 to %d of [A-Za-z0-9._-], not starting with '.'",
			 instance, PATHS_INSTANCE_MAX);
		goto done;
	}
	strcpy(p->instance, instance);
	isdef = strcmp(instance, "default") == 0;
	if (!isdef) {
		sep[0] = '/';
		suffix = instance;
	}
	if (rundir != NULL && *rundir != '\0') {
		if (paths_put(p, &p->rundir, rundir, NULL) == -1)
			goto toolong;
	} else if ((env = getenv("XDG_RUNTIME_DIR")) != NULL && *env == '/') {
		if (paths_put(p, &p->rundir, env, "/hookwire", sep, suffix, NULL) == -1)
			goto toolong;
	} else {
		snprintf(uid, sizeof(uid), "%lu", (unsigned long)getuid());
		if (paths_put(p, &p->rundir, "/tmp/hookwire-", uid, sep, suffix, NULL) == -1)
			goto toolong;
	}
	if (statedir != NULL && *statedir != '\0') {
		if (paths_put(p, &p->statedir, statedir, NULL) == -1)
			goto toolong;
	} else if ((env = getenv("XDG_STATE_HOME")) != NULL && *env == '/') {
		if (paths_put(p, &p->statedir, env, "/hookwire", sep, suffix, NULL) == -1)
			goto toolong;
	} else if ((env = getenv("HOME")) != NULL && *env == '/') {
		if (paths_put(p, &p->statedir, env, "/.local/state/hookwire", sep, suffix, NULL) ==
		    -1)
			goto toolong;
	} else {
		snprintf(err, errlen,
			 "no state directory: set --statedir, HOOKWIRE_STATEDIR, "
			 "XDG_STATE_HOME or HOME");
		goto done;
	}
	if (paths_put(p, &p->ingest_sock, p->rundir, "/ingest.sock", NULL) == -1 ||
	    strlen(p->ingest_sock) >= 108)
		goto toolong;
	if (paths_put(p, &p->port_file, p->rundir, "/gateway.port", NULL) == -1 ||
	    paths_put(p, &p->spool_dir, p->statedir, "/spool", NULL) == -1 ||
	    paths_put(p, &p->journal_dir, p->statedir, "/journal", NULL) == -1 ||
	    paths_put(p, &p->token_file, p->statedir, "/token", NULL) == -1)
		goto toolong;
	if (paths_ring_name(p->ring_name, sizeof(p->ring_name), (unsigned long)getuid(),
			    instance) == -1)
		goto toolong;
	rc = 0;
	goto done;
toolong:
	snprintf(err, errlen, "path too long (the ingest socket path must be under 108 bytes)");
done:
	free(old);
	return rc;
}

void
paths_copy(struct paths *dst, const struct paths *src)
{
	char **d[] = {&dst->rundir,    &dst->statedir,	  &dst->ingest_sock, &dst->port_file,
		      &dst->spool_dir, &dst->journal_dir, &dst->token_file};
	char *const *s[] = {&src->rundir,    &src->statedir,	&src->ingest_sock, &src->port_file,
			    &src->spool_dir, &src->journal_dir, &src->token_file};
	size_t i;

	memcpy(dst, src, offsetof(struct paths, p_buf) + src->p_used);
	for (i = 0; i < PATHS_COUNT; i++)
		if (*s[i] != NULL)
			*d[i] = dst->p_buf + (*s[i] - src->p_buf);
}

int
paths_pidfile(const struct paths *p, const char *stage, char *out, size_t outlen)
{
	return paths_fmt(out, outlen, "%s/%s.pid", p->rundir, stage);
}

/* mkdir -p with mode for the created components; the last one must end up a directory. */
static int
paths_mkdir_p(const char *dir, mode_t mode, char *err, size_t errlen)
{
	char buf[PATH_MAX], *s;
	struct stat st;

	if (paths_fmt(buf, sizeof(buf), "%s", dir) == -1) {
		snprintf(err, errlen, "%s: path too long", dir);
		return -1;
	}
	for (s = buf + 1;; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		char c = *s;

		*s = '\0';
		if (mkdir(buf, mode) == -1 && errno != EEXIST) {
			snprintf(err, errlen, "%s: %s", buf, strerror(errno));
			return -1;
		}
		*s = c;
		if (c == '\0')
			break;
	}
	if (stat(dir, &st) == -1) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "%s: not a directory", dir);
		return -1;
	}
	return 0;
}

/*
 * The run directory holds the ingest socket and the pidfiles: it must be
 * ours and not writable by others (a /tmp fallback someone else created
 * first would let them read events or impersonate the router).
 */
static int
paths_check_owner(const char *dir, char *err, size_t errlen)
{
	struct stat st;

	if (lstat(dir, &st) == -1) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "%s: not a directory (a symbolic link?)", dir);
		return -1;
	}
	if (st.st_uid != geteuid()) {
		snprintf(err, errlen, "%s: owned by uid %lu, not by us (uid %lu)", dir,
			 (unsigned long)st.st_uid, (unsigned long)geteuid());
		return -1;
	}
	if (st.st_mode & 022) {
		snprintf(err, errlen, "%s: writable by group or others (mode %03o)", dir,
			 (unsigned)(st.st_mode & 0777));
		return -1;
	}
	return 0;
}

int
paths_mkdirs(const struct paths *p, char *err, size_t errlen)
{
	char buf[PATH_MAX];

	if (paths_mkdir_p(p->rundir, 0700, err, errlen) == -1 ||
	    paths_check_owner(p->rundir, err, errlen) == -1 ||
	    paths_mkdir_p(p->statedir, 0700, err, errlen) == -1 ||
	    paths_mkdir_p(p->journal_dir, 0700, err, errlen) == -1)
		return -1;
	if (paths_fmt(buf, sizeof(buf), "%s/tmp", p->spool_dir) == -1 ||
	    paths_mkdir_p(buf, 0700, err, errlen) == -1)
		return -1;
	if (paths_fmt(buf, sizeof(buf), "%s/new", p->spool_dir) == -1 ||
	    paths_mkdir_p(buf, 0700, err, errlen) == -1)
		return -1;
	return 0;
}
