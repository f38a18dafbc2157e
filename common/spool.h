/*
 * spool.h: the spool, $STATEDIR/spool/{tmp,new} (DESIGN.md interface 3,
 * hookwire-event(5)).
 *
 * A maildir: one file per event (the canonical event JSON and a newline),
 * written to tmp/ and renamed into new/, so a reader never sees a partial
 * file and any number of hook processes may write at once.  File names are
 *   <capture time, microseconds, 16 digits>.<pid>.<16 hex random>.json
 * so that sorting names sorts oldest first.  Files are not fsync()ed unless
 * SPOOL_FSYNC is given: a machine crash may lose the newest spooled events
 * (a process crash cannot).  No logging, no exits.
 */
#ifndef HOOKWIRE_SPOOL_H
#define HOOKWIRE_SPOOL_H

#include <stddef.h>

#define SPOOL_FSYNC 0x1 /* fsync the file and new/ before returning */

/* Longest spool file name, NUL excluded. */
#define SPOOL_NAME_MAX 64

/*
 * Writes buf[0..len) (the caller adds the trailing newline) as one spool
 * file under spool_dir (which holds tmp/ and new/; paths_mkdirs() creates
 * them).  Returns 0, or -1 with a message in err.
 */
int spool_write(const char *spool_dir, const char *buf, size_t len, char *err, size_t errlen);

/* The same with SPOOL_* flags. */
int spool_write_flags(const char *spool_dir, const char *buf, size_t len, int flags, char *err,
		      size_t errlen);

/*
 * Lists the file names (not paths) in spool_dir/new, oldest first; names
 * starting with '.' are skipped.  *names is a new array of n new strings
 * (free with spool_list_free()); an empty spool gives n = 0.  Returns 0, or
 * -1 with a message in err.
 */
int spool_list(const char *spool_dir, char ***names, size_t *n, char *err, size_t errlen);
void spool_list_free(char **names, size_t n);

/*
 * Removes files in spool_dir/tmp last modified more than max_age_s seconds
 * ago (left by a writer that died between create and rename).  Returns the
 * number removed, or -1 with a message in err.
 */
int spool_clean_tmp(const char *spool_dir, long max_age_s, char *err, size_t errlen);

#endif
