/*
 * deliver.c: the spool, where an event goes when the router cannot take it.
 *
 * capture.c hands an event to the router with one ingest_client_send()
 * (common/ingest_client.c: one connection, one line, one reply, under
 * capture.ack_timeout_ms).  There is no retry: when the router is not
 * there or does not answer in time the event is written to the spool,
 * which the router drains when it is back (a late ack after a spooled copy
 * is harmless: the router drops the second copy by its id).
 */
#include <sys/stat.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "capture.h"
#include "spool.h"

/* mkdir that accepts an existing directory. */
static int
deliver_mkdir(const char *dir, char *err, size_t errlen)
{
	if (mkdir(dir, 0700) == -1 && errno != EEXIST) {
		snprintf(err, errlen, "mkdir %s: %s", dir, strerror(errno));
		return -1;
	}
	return 0;
}

int
deliver_spool(const char *spool_dir, const char *buf, size_t len, char *err, size_t errlen)
{
	char dir[PATH_MAX], *p;
	const char *sub[] = {"tmp", "new"};
	size_t i;

	if (spool_write(spool_dir, buf, len, err, errlen) == 0)
		return 0;
	/* First event on this machine, or a cleaned state dir: make the
	 * directories (parents included) and try once more. */
	if (snprintf(dir, sizeof(dir), "%s", spool_dir) >= (int)sizeof(dir)) {
		snprintf(err, errlen, "spool path too long");
		return -1;
	}
	for (p = dir + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (deliver_mkdir(dir, err, errlen) == -1)
			return -1;
		*p = '/';
	}
	if (deliver_mkdir(dir, err, errlen) == -1)
		return -1;
	for (i = 0; i < 2; i++) {
		if (snprintf(dir, sizeof(dir), "%s/%s", spool_dir, sub[i]) >= (int)sizeof(dir)) {
			snprintf(err, errlen, "spool path too long");
			return -1;
		}
		if (deliver_mkdir(dir, err, errlen) == -1)
			return -1;
	}
	return spool_write(spool_dir, buf, len, err, errlen);
}
