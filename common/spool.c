/*
 * spool.c: the maildir spool (spool.h).
 *
 * spool_write() creates tmp/<name> with O_EXCL (the random part makes a
 * clash between processes practically impossible; the pid and the time
 * make it impossible between runs), writes it whole, and renames it into
 * new/, which is atomic: readers of new/ see the whole file or nothing.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "compat.h"
#include "spool.h"
#include "util.h"

static int
spool_fsync_dir(const char *path)
{
	int fd, rc;

	if ((fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

int
spool_write_flags(const char *spool_dir, const char *buf, size_t len, int flags, char *err,
		  size_t errlen)
{
	char name[SPOOL_NAME_MAX + 1], tmp[PATH_MAX], dst[PATH_MAX], dir[PATH_MAX];
	uint64_t rnd;
	int fd = -1, n;

	compat_random_buf(&rnd, sizeof(rnd));
	snprintf(name, sizeof(name), "%016lld.%ld.%016llx.json", (long long)util_now_us(),
		 (long)getpid(), (unsigned long long)rnd);
	n = snprintf(tmp, sizeof(tmp), "%s/tmp/%s", spool_dir, name);
	if (n < 0 || (size_t)n >= sizeof(tmp) ||
	    (n = snprintf(dst, sizeof(dst), "%s/new/%s", spool_dir, name)) < 0 ||
	    (size_t)n >= sizeof(dst)) {
		snprintf(err, errlen, "%s: path too long", spool_dir);
		return -1;
	}
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) == -1) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		return -1;
	}
	if (util_write_all(fd, buf, len) == -1 || ((flags & SPOOL_FSYNC) && fsync(fd) == -1)) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		goto fail;
	}
	if (close(fd) == -1) {
		fd = -1;
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		goto fail;
	}
	fd = -1;
	if (rename(tmp, dst) == -1) {
		snprintf(err, errlen, "%s: %s", dst, strerror(errno));
		goto fail;
	}
	if (flags & SPOOL_FSYNC) {
		snprintf(dir, sizeof(dir), "%s/new", spool_dir);
		if (spool_fsync_dir(dir) == -1) {
			/* The file is in new/ already: it will be drained; report only. */
			snprintf(err, errlen, "%s: fsync: %s", dir, strerror(errno));
			return -1;
		}
	}
	return 0;
fail:
	if (fd != -1)
		close(fd);
	unlink(tmp);
	return -1;
}

int
spool_write(const char *spool_dir, const char *buf, size_t len, char *err, size_t errlen)
{
	return spool_write_flags(spool_dir, buf, len, 0, err, errlen);
}

static int
spool_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void
spool_list_free(char **names, size_t n)
{
	size_t i;

	if (names == NULL)
		return;
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

int
spool_list(const char *spool_dir, char ***names, size_t *n, char *err, size_t errlen)
{
	char dir[PATH_MAX], **v = NULL, **nv;
	size_t cnt = 0, cap = 0;
	struct dirent *de;
	DIR *d = NULL;

	*names = NULL;
	*n = 0;
	if ((size_t)snprintf(dir, sizeof(dir), "%s/new", spool_dir) >= sizeof(dir)) {
		snprintf(err, errlen, "%s: path too long", spool_dir);
		return -1;
	}
	if ((d = opendir(dir)) == NULL) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return -1;
	}
	for (;;) {
		errno = 0;
		if ((de = readdir(d)) == NULL) {
			if (errno != 0) {
				snprintf(err, errlen, "%s: %s", dir, strerror(errno));
				goto fail;
			}
			break;
		}
		if (de->d_name[0] == '.')
			continue;
		if (cnt == cap) {
			cap = cap ? cap * 2 : 64;
			if ((nv = reallocarray(v, cap, sizeof(*v))) == NULL)
				goto oom;
			v = nv;
		}
		if ((v[cnt] = strdup(de->d_name)) == NULL)
			goto oom;
		cnt++;
	}
	closedir(d);
	if (cnt > 1)
		qsort(v, cnt, sizeof(*v), spool_cmp);
	*names = v;
	*n = cnt;
	return 0;
oom:
	snprintf(err, errlen, "%s: out of memory", dir);
fail:
	closedir(d);
	spool_list_free(v, cnt);
	return -1;
}

int
spool_clean_tmp(const char *spool_dir, long max_age_s, char *err, size_t errlen)
{
	char dir[PATH_MAX];
	struct dirent *de;
	struct stat st;
	time_t now = time(NULL);
	int dfd, removed = 0;
	DIR *d;

	if ((size_t)snprintf(dir, sizeof(dir), "%s/tmp", spool_dir) >= sizeof(dir)) {
		snprintf(err, errlen, "%s: path too long", spool_dir);
		return -1;
	}
	if ((d = opendir(dir)) == NULL) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return -1;
	}
	dfd = dirfd(d);
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == -1 ||
		    !S_ISREG(st.st_mode))
			continue;
		if (now - st.st_mtime > max_age_s && unlinkat(dfd, de->d_name, 0) == 0)
			removed++;
	}
	closedir(d);
	return removed;
}
