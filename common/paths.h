/*
 * paths.h: where an instance keeps its files.
 *
 *   $RUNDIR   = --rundir, $HOOKWIRE_RUNDIR, else $XDG_RUNTIME_DIR/hookwire,
 *               else /tmp/hookwire-$UID (mode 0700)
 *   $STATEDIR = --statedir, $HOOKWIRE_STATEDIR, else $XDG_STATE_HOME/hookwire,
 *               else $HOME/.local/state/hookwire
 * For an instance other than "default", the derived defaults (not explicit
 * directories) get "/<instance>" appended, so instances never share files.
 * The ring is /dev/shm/hookwire-<uid>-<instance> (paths_ring_name()): the
 * uid, so that two users of one machine never share a ring.
 */
#ifndef HOOKWIRE_PATHS_H
#define HOOKWIRE_PATHS_H

#include <limits.h>
#include <stddef.h>

#define PATHS_INSTANCE_MAX 48

/* The path strings of struct paths, each under PATH_MAX bytes. */
#define PATHS_COUNT 7

/*
 * The path members point into p_buf, where paths_init() writes them one
 * after the other: a hook, which runs in a fresh process, touches one or
 * two pages of it, not one per path (a page fault costs 10 us on some
 * virtual machines).  So a struct paths is copied with paths_copy(), never
 * by assignment.
 */
struct paths {
	char instance[PATHS_INSTANCE_MAX + 1];
	char ring_name[64]; /* "/hookwire-<uid>-<instance>" for shm_open() */
	char *rundir;
	char *statedir;
	char *ingest_sock; /* $RUNDIR/ingest.sock */
	char *port_file;   /* $RUNDIR/gateway.port */
	char *spool_dir;   /* $STATEDIR/spool (tmp/, new/) */
	char *journal_dir; /* $STATEDIR/journal */
	char *token_file;  /* $STATEDIR/token */
	size_t p_used;	   /* bytes of p_buf in use */
	char p_buf[PATHS_COUNT * PATH_MAX];
};

/* The longest shm_open() name macOS takes (PSHMNAMLEN), the slash included. */
#define PATHS_SHM_NAME_MAX 31

/*
 * The ring's shm_open() name for uid and instance into out:
 * "/hookwire-<uid>-<instance>", or where that is longer than
 * PATHS_SHM_NAME_MAX, "/hookwire-<uid>-<head>~<hash>": as much of the
 * instance as fits, then '~' and 8 hex digits of its FNV-1a hash.
 * Returns 0, or -1 when out is too small.
 */
int paths_ring_name(char *out, size_t outlen, unsigned long uid, const char *instance);

/* Checks the instance name: 1 to PATHS_INSTANCE_MAX of [A-Za-z0-9._-], not starting with '.'. */
int paths_instance_valid(const char *name);

/*
 * Fills p.  instance, rundir, statedir may be NULL (then the defaults above;
 * the caller has already merged flags, environment and config file).
 * Returns 0, or -1 with a message in err.
 */
int paths_init(struct paths *p, const char *instance, const char *rundir, const char *statedir,
	       char *err, size_t errlen);

/* Copies src into dst, its path members pointing into dst's own p_buf. */
void paths_copy(struct paths *dst, const struct paths *src);

/* $RUNDIR/<stage>.pid into out. Returns 0 or -1 when it does not fit. */
int paths_pidfile(const struct paths *p, const char *stage, char *out, size_t outlen);

/* Creates $RUNDIR (0700) and $STATEDIR with spool/tmp, spool/new, journal (0700).
 * Returns 0 or -1 with err naming the directory. */
int paths_mkdirs(const struct paths *p, char *err, size_t errlen);

#endif
