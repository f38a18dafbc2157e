/*
 * daemon.h: the start-up every hookwire daemon shares (DESIGN.md, CLI
 * conventions): the common flags, the configuration they override, the log,
 * the instance's paths and its pidfile.  Like the rest of common/ it never
 * logs and never exits: each call returns an exit code (util.h) and leaves
 * the message in dm_err, and main() reports it the way the tools always have:
 *
 *	struct daemon d;
 *	static const struct option longopts[] = {DAEMON_LONGOPTS, {"redis", ...},
 *						 {NULL, 0, NULL, 0}};
 *
 *	daemon_init(&d, "event-relay", "relay");
 *	while ((ch = getopt_long(argc, argv, DAEMON_SHORTOPTS, longopts, NULL)) != -1) {
 *		if ((rc = daemon_opt(&d, ch, optarg)) == -1) {
 *			fprintf(stderr, "event-relay: %s\n", d.dm_err);
 *			usage(EXIT_USAGE);
 *		} else if (rc == 1)
 *			continue;
 *		switch (ch) { ...the tool's own flags, -h, -V... }
 *	}
 *	if ((rc = daemon_config(&d, environ)) != 0)	-> "event-relay: <dm_err>", exit rc
 *	if ((rc = daemon_log(&d)) != 0)			-> "event-relay: <dm_err>", exit rc
 *	if ((rc = daemon_start(&d)) != 0)		-> fatalx(rc, d.dm_reason, ...)
 *	...
 *	daemon_close(&d);
 *
 * A tool that is not a daemon (event-tail) takes DAEMON_LONGOPTS_PATHS and
 * calls daemon_config() only.
 */
#ifndef HOOKWIRE_DAEMON_H
#define HOOKWIRE_DAEMON_H

#include <getopt.h>
#include <stddef.h>

#include "paths.h"

/* getopt_long ids of the common long flags; a tool numbers its own from DAEMON_O_END. */
enum daemon_optid {
	DAEMON_O_RUNDIR = 256,
	DAEMON_O_STATEDIR,
	DAEMON_O_READY,
	DAEMON_O_LOGFILE,
	DAEMON_O_LOGLEVEL,
	DAEMON_O_USER,
	DAEMON_O_END
};

/* Short flags of every tool: -c file, -i name, -h, -V. */
#define DAEMON_SHORTOPTS "c:i:hV"

/* struct option entries: -c, -i, --rundir, --statedir, -h, -V (every tool). */
/* clang-format off */
#define DAEMON_LONGOPTS_PATHS \
	{"config", required_argument, NULL, 'c'}, \
	{"instance", required_argument, NULL, 'i'}, \
	{"rundir", required_argument, NULL, DAEMON_O_RUNDIR}, \
	{"statedir", required_argument, NULL, DAEMON_O_STATEDIR}, \
	{"help", no_argument, NULL, 'h'}, \
	{"version", no_argument, NULL, 'V'}

/* The above and the daemons' --readiness-fd, --log-file, --log-level, --user. */
#define DAEMON_LONGOPTS \
	DAEMON_LONGOPTS_PATHS, \
	{"readiness-fd", required_argument, NULL, DAEMON_O_READY}, \
	{"log-file", required_argument, NULL, DAEMON_O_LOGFILE}, \
	{"log-level", required_argument, NULL, DAEMON_O_LOGLEVEL}, \
	{"user", required_argument, NULL, DAEMON_O_USER}
/* clang-format on */

/* Longest message left in dm_err. */
#define DAEMON_ERR_MAX 1024

struct config;
struct pidfh;

struct daemon {
	const char *dm_name;	/* the tool, in messages and the pidfile: "event-router" */
	const char *dm_section; /* config section of --user ("router"), NULL: no --user */

	/* the flags, NULL when not given; they point into argv */
	const char *dm_config, *dm_instance, *dm_rundir, *dm_statedir;
	const char *dm_logfile, *dm_loglevel, *dm_user;
	int dm_ready_fd; /* --readiness-fd, -1 when not given */

	struct config *dm_cfg; /* daemon_config(); freed by daemon_close() */
	struct paths dm_paths; /* daemon_start() */
	struct pidfh *dm_pfh;  /* daemon_start(): the pidfile lock */
	char dm_pidpath[4200]; /* room for a PATH_MAX rundir and the name */
	int dm_logging;	       /* daemon_log() opened the log */

	const char *dm_reason; /* reason code of the last failure, for fatalx() */
	char dm_err[DAEMON_ERR_MAX];
};

/* Clears d for the tool name; section is where --user goes (NULL when the tool has none). */
void daemon_init(struct daemon *d, const char *name, const char *section);

/*
 * Takes one result of getopt_long() (ch, and its optarg).  Returns 1 when it
 * was a common flag (kept in d), 0 when it is the tool's own (or -h, -V, '?'),
 * -1 for a bad value, with "--readiness-fd X: not a descriptor" in dm_err.
 */
int daemon_opt(struct daemon *d, int ch, const char *arg);

/*
 * Loads the configuration (defaults, -c file or $HOOKWIRE_CONFIG, the
 * variables in envp) into dm_cfg, then applies the flags with config_set(),
 * always in the order -i, --rundir, --statedir, --log-file, --log-level,
 * --user.  Returns 0, EXIT_USAGE (bad file, variable or flag) or
 * EXIT_SYSCALL (out of memory), with the message in dm_err.
 */
int daemon_config(struct daemon *d, char *const *envp);

/* Opens the log as log.file, log.level, log.max_size and log.keep say (stderr
 * when log.file is empty).  Returns 0 or EXIT_SYSCALL with dm_err. */
int daemon_log(struct daemon *d);

/*
 * Fills dm_paths from instance, rundir and statedir, nothing more: for a
 * tool that needs the paths to check its settings before daemon_start()
 * creates anything (ws-gateway).  Returns 0, or EXIT_USAGE with dm_reason
 * "bad_config" and dm_err set.
 */
int daemon_paths(struct daemon *d);

/*
 * Fills dm_paths (daemon_paths()), creates the
 * directories and takes the pidfile $RUNDIR/<name>.pid (one daemon per
 * instance).  Returns 0, or an exit code with dm_reason ("bad_config",
 * "mkdir", "already_running", "pidfile") and dm_err set.
 */
int daemon_start(struct daemon *d);

/* Drops privileges to <section>.user when it is set.  Returns 0 or -1 with dm_err. */
int daemon_drop_privileges(struct daemon *d);

/* Releases the pidfile, closes the log daemon_log() opened and frees the config. */
void daemon_close(struct daemon *d);

/* s, or NULL when s is NULL or empty: for config strings where "" means unset. */
const char *daemon_nonempty(const char *s);

#endif
