/*
 * paths.c: where an instance keeps its files (paths.h has the rules).
 *
 * Explicit directories are used as given; derived defaults get
 * "/<instance>" appended for instances other than "default".
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdarg.h>
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
	char pre[32];
	int n, keep;

	n = snprintf(out, outlen, "/hookwire-%lu-%s", uid, instance);
	if (n < 0 || (size_t)n >= outlen)
		return -1;
	if (n <= PATHS_SHM_NAME_MAX)
		return 0;
	/* too long for macOS: keep what fits of the instance, then ~ and its
	 * hash ('~' is not in an instance name, so no other name is equal) */
	n = snprintf(pre, sizeof(pre), "/hookwire-%lu-", uid);
	keep = PATHS_SHM_NAME_MAX - n - 9;
	n = snprintf(out, outlen, "%s%.*s~%08lx", pre, keep > 0 ? keep : 0, instance,
		     (unsigned long)paths_hash(instance));
	return n < 0 || (size_t)n >= outlen ? -1 : 0;
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

int
paths_init(struct paths *p, const char *instance, const char *rundir, const char *statedir,
	   char *err, size_t errlen)
{
	const char *env, *suffix = "";
	char sep[2] = "";
	int isdef;

	memset(p, 0, sizeof(*p));
	if (instance == NULL || *instance == '\0')
		instance = "default";
	if (!paths_instance_valid(instance)) {
		snprintf(err, errlen,
			 "instance %s: must be 1 to %d of [A-Za-z0-9._-], not starting with '.'",
			 instance, PATHS_INSTANCE_MAX);
		return -1;
	}
	strcpy(p->instance, instance);
	isdef = strcmp(instance, "default") == 0;
	if (!isdef) {
		sep[0] = '/';
		suffix = instance;
	}

	if (rundir != NULL && *rundir != '\0') {
		if (paths_fmt(p->rundir, sizeof(p->rundir), "%s", rundir) == -1)
			goto toolong;
	} else if ((env = getenv("XDG_RUNTIME_DIR")) != NULL && *env == '/') {
		if (paths_fmt(p->rundir, sizeof(p->rundir), "%s/hookwire%s%s", env, sep, suffix) ==
		    -1)
			goto toolong;
	} else {
		if (paths_fmt(p->rundir, sizeof(p->rundir), "/tmp/hookwire-%lu%s%s",
			      (unsigned long)getuid(), sep, suffix) == -1)
			goto toolong;
	}

	if (statedir != NULL && *statedir != '\0') {
		if (paths_fmt(p->statedir, sizeof(p->statedir), "%s", statedir) == -1)
			goto toolong;
	} else if ((env = getenv("XDG_STATE_HOME")) != NULL && *env == '/') {
		if (paths_fmt(p->statedir, sizeof(p->statedir), "%s/hookwire%s%s", env, sep,
			      suffix) == -1)
			goto toolong;
	} else if ((env = getenv("HOME")) != NULL && *env == '/') {
		if (paths_fmt(p->statedir, sizeof(p->statedir), "%s/.local/state/hookwire%s%s", env,
			      sep, suffix) == -1)
			goto toolong;
	} else {
		snprintf(err, errlen,
			 "no state directory: set --statedir, HOOKWIRE_STATEDIR, "
			 "XDG_STATE_HOME or HOME");
		return -1;
	}

	if (paths_fmt(p->ingest_sock, sizeof(p->ingest_sock), "%s/ingest.sock", p->rundir) == -1 ||
	    strlen(p->ingest_sock) >= 108)
		goto toolong;
	if (paths_fmt(p->port_file, sizeof(p->port_file), "%s/gateway.port", p->rundir) == -1 ||
	    paths_fmt(p->spool_dir, sizeof(p->spool_dir), "%s/spool", p->statedir) == -1 ||
	    paths_fmt(p->journal_dir, sizeof(p->journal_dir), "%s/journal", p->statedir) == -1 ||
	    paths_fmt(p->token_file, sizeof(p->token_file), "%s/token", p->statedir) == -1)
		goto toolong;
	if (paths_ring_name(p->ring_name, sizeof(p->ring_name), (unsigned long)getuid(),
			    instance) == -1)
		goto toolong;
	return 0;
toolong:
	snprintf(err, errlen, "path too long (the ingest socket path must be under 108 bytes)");
	return -1;
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
