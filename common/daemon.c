/*
 * daemon.c: the start-up the daemons share (daemon.h): the common flags,
 * the configuration they override, the log, the paths and the pidfile.
 *
 * Each step is what event-router and event-relay did in their main()
 * before it was named here; the messages are theirs, word for word,
 * so that a tool prints "<name>: <dm_err>" or hands dm_reason and dm_err to
 * fatalx().  Nothing here logs or exits (log_init() only opens the log).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "daemon.h"
#include "log.h"
#include "util.h"

static void daemon_seterr(struct daemon *d, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Words the failure in dm_err (a long path is cut, not overrun). */
static void
daemon_seterr(struct daemon *d, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(d->dm_err, sizeof(d->dm_err), fmt, ap);
	va_end(ap);
}

void
daemon_init(struct daemon *d, const char *name, const char *section)
{
	memset(d, 0, sizeof(*d));
	d->dm_name = name;
	d->dm_section = section;
	d->dm_ready_fd = -1;
}

int
daemon_opt(struct daemon *d, int ch, const char *arg)
{
	long long fd;
	char *end;

	switch (ch) {
	case 'c':
		d->dm_config = arg;
		return 1;
	case 'i':
		d->dm_instance = arg;
		return 1;
	case DAEMON_O_RUNDIR:
		d->dm_rundir = arg;
		return 1;
	case DAEMON_O_STATEDIR:
		d->dm_statedir = arg;
		return 1;
	case DAEMON_O_READY:
		errno = 0;
		fd = strtoll(arg, &end, 10);
		if (errno || *arg == '\0' || *end != '\0' || fd < 0 || fd > 65535) {
			daemon_seterr(d, "--readiness-fd %s: not a descriptor", arg);
			return -1;
		}
		d->dm_ready_fd = (int)fd;
		return 1;
	case DAEMON_O_LOGFILE:
		d->dm_logfile = arg;
		return 1;
	case DAEMON_O_LOGLEVEL:
		d->dm_loglevel = arg;
		return 1;
	case DAEMON_O_USER:
		d->dm_user = arg;
		return 1;
	default:
		return 0;
	}
}

int
daemon_config(struct daemon *d, char *const *envp)
{
	/* the flags, in the order they are applied: flags win over file and environment */
	const struct {
		const char *section, *name, *value;
	} set[] = {
	    {NULL, "instance", d->dm_instance}, {NULL, "rundir", d->dm_rundir},
	    {NULL, "statedir", d->dm_statedir}, {"log", "file", d->dm_logfile},
	    {"log", "level", d->dm_loglevel},	{d->dm_section, "user", d->dm_user},
	};
	size_t i;

	d->dm_reason = "bad_config";
	if ((d->dm_cfg = config_new()) == NULL) {
		daemon_seterr(d, "out of memory");
		return EXIT_SYSCALL;
	}
	if (config_load(d->dm_cfg, d->dm_config, envp, d->dm_err, sizeof(d->dm_err)) == -1)
		return EXIT_USAGE;
	for (i = 0; i < sizeof(set) / sizeof(set[0]); i++)
		if (set[i].value != NULL &&
		    config_set(d->dm_cfg, set[i].section, set[i].name, set[i].value, d->dm_err,
			       sizeof(d->dm_err)) == -1)
			return EXIT_USAGE;
	d->dm_reason = NULL;
	return 0;
}

int
daemon_log(struct daemon *d)
{
	enum log_level level;

	if (log_level_parse(config_str(d->dm_cfg, "log", "level"), &level) == -1)
		level = LOGL_INFO;
	if (log_init(d->dm_name, daemon_nonempty(config_str(d->dm_cfg, "log", "file")), level,
		     (size_t)config_int(d->dm_cfg, "log", "max_size"),
		     (int)config_int(d->dm_cfg, "log", "keep"), d->dm_err,
		     sizeof(d->dm_err)) == -1) {
		d->dm_reason = "log";
		return EXIT_SYSCALL;
	}
	d->dm_logging = 1;
	return 0;
}

int
daemon_paths(struct daemon *d)
{
	struct config *cfg = d->dm_cfg;

	d->dm_reason = "bad_config";
	if (paths_init(&d->dm_paths, daemon_nonempty(config_str(cfg, NULL, "instance")),
		       daemon_nonempty(config_str(cfg, NULL, "rundir")),
		       daemon_nonempty(config_str(cfg, NULL, "statedir")), d->dm_err,
		       sizeof(d->dm_err)) == -1)
		return EXIT_USAGE;
	d->dm_reason = NULL;
	return 0;
}

int
daemon_start(struct daemon *d)
{
	pid_t other;
	int rc;

	if ((rc = daemon_paths(d)) != 0)
		return rc;
	d->dm_reason = "mkdir";
	if (paths_mkdirs(&d->dm_paths, d->dm_err, sizeof(d->dm_err)) == -1)
		return EXIT_SYSCALL;

	/* one daemon of a kind per instance */
	d->dm_reason = "bad_config";
	if (paths_pidfile(&d->dm_paths, d->dm_name, d->dm_pidpath, sizeof(d->dm_pidpath)) == -1) {
		daemon_seterr(d, "pidfile path too long");
		return EXIT_USAGE;
	}
	if ((d->dm_pfh = util_pidfile_lock(d->dm_pidpath, &other, d->dm_err, sizeof(d->dm_err))) ==
	    NULL) {
		if (other > 0) {
			d->dm_reason = "already_running";
			daemon_seterr(d, "%s already running for instance %s as pid %ld (%s)",
				      d->dm_name, d->dm_paths.instance, (long)other, d->dm_pidpath);
			return EXIT_RUNTIME;
		}
		d->dm_reason = "pidfile";
		return EXIT_SYSCALL;
	}
	d->dm_reason = NULL;
	return 0;
}

int
daemon_drop_privileges(struct daemon *d)
{
	const char *user;

	if (d->dm_section == NULL ||
	    (user = daemon_nonempty(config_str(d->dm_cfg, d->dm_section, "user"))) == NULL)
		return 0;
	d->dm_reason = "privileges";
	return util_drop_privileges(user, d->dm_err, sizeof(d->dm_err));
}

void
daemon_close(struct daemon *d)
{
	util_pidfile_remove(d->dm_pfh);
	d->dm_pfh = NULL;
	if (d->dm_logging)
		log_close();
	d->dm_logging = 0;
	config_free(d->dm_cfg);
	d->dm_cfg = NULL;
}

const char *
daemon_nonempty(const char *s)
{
	return s != NULL && *s != '\0' ? s : NULL;
}
