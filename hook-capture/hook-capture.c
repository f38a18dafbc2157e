/*
 * hook-capture: Claude Code hook command of hookwire (hook-capture(1)).
 *
 * Without a subcommand it is the hook: it reads the hook JSON on stdin
 * and hands a canonical event to event-router (capture.c).  It always
 * exits 0 and never writes to stdout or stderr then, even for bad flags.
 * The install, uninstall and status subcommands are run by a person and
 * edit or show Claude Code's settings.json (install.c).  The statusline
 * subcommand is Claude Code's status line command (statusline.c): it
 * captures the status JSON like a hook and prints one status line.
 */
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "capture.h"
#include "util.h"

static void
usage(FILE *fp)
{
	fprintf(fp,
		"usage: hook-capture [-hV] [-c file] [-i name] [--log-file file] "
		"[--rundir dir]\n"
		"                    [--statedir dir]\n"
		"       hook-capture install [--user | --project dir [--local]] [--events list]\n"
		"                    [--timeout seconds] [--statusline] [--here] [--force]\n"
		"       hook-capture uninstall [--user | --project dir [--local]]\n"
		"       hook-capture status [--user | --project dir [--local]]\n"
		"       hook-capture statusline [-- command ...]\n");
}

enum {
	OPT_RUNDIR = 256,
	OPT_STATEDIR,
	OPT_LOG_FILE,
	OPT_USER,
	OPT_PROJECT,
	OPT_EVENTS,
	OPT_TIMEOUT,
	OPT_STATUSLINE,
	OPT_LOCAL,
	OPT_HERE,
	OPT_FORCE,
};

static const struct option longopts[] = {
    {"config", required_argument, NULL, 'c'},
    {"instance", required_argument, NULL, 'i'},
    {"rundir", required_argument, NULL, OPT_RUNDIR},
    {"statedir", required_argument, NULL, OPT_STATEDIR},
    {"log-file", required_argument, NULL, OPT_LOG_FILE},
    {"user", no_argument, NULL, OPT_USER},
    {"project", required_argument, NULL, OPT_PROJECT},
    {"events", required_argument, NULL, OPT_EVENTS},
    {"timeout", required_argument, NULL, OPT_TIMEOUT},
    {"statusline", no_argument, NULL, OPT_STATUSLINE},
    {"local", no_argument, NULL, OPT_LOCAL},
    {"here", no_argument, NULL, OPT_HERE},
    {"force", no_argument, NULL, OPT_FORCE},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    {NULL, 0, NULL, 0},
};

/* Opens /dev/null on any of fds 0, 1, 2 that is closed, so that no file
 * opened later (the log, a socket) is taken for stdin or stdout.  One
 * poll(2) tells which are closed (POLLNVAL), where a fcntl(2) each took
 * three system calls on every hook. */
static void
std_fds(void)
{
	struct pollfd pfd[3];
	int fd;

	for (fd = 0; fd < 3; fd++) {
		pfd[fd].fd = fd;
		pfd[fd].events = 0;
		pfd[fd].revents = 0;
	}
	if (poll(pfd, 3, 0) == -1)
		return;
	for (fd = 0; fd < 3; fd++)
		if ((pfd[fd].revents & POLLNVAL) &&
		    open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY) == -1)
			return;
}

int
main(int argc, char *argv[])
{
	struct capture_opts opts;
	const char *sub = NULL;
	int ch, help = 0, version = 0, subflag = 0;

	memset(&opts, 0, sizeof(opts));
	opts.t0 = util_mono_us();
	opts.argv0 = argv[0];
	std_fds();
	signal(SIGPIPE, SIG_IGN);
	opterr = 0; /* the hook must not write to stderr */
	while ((ch = getopt_long(argc, argv, ":c:i:hV", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			opts.config_file = optarg;
			break;
		case 'i':
			opts.instance = optarg;
			break;
		case OPT_RUNDIR:
			opts.rundir = optarg;
			break;
		case OPT_STATEDIR:
			opts.statedir = optarg;
			break;
		case OPT_LOG_FILE:
			opts.log_file = optarg;
			break;
		case OPT_USER:
			opts.user = 1;
			subflag = 1;
			break;
		case OPT_PROJECT:
			opts.project = optarg;
			subflag = 1;
			break;
		case OPT_EVENTS:
			opts.events = optarg;
			subflag = 1;
			break;
		case OPT_TIMEOUT:
			opts.timeout = optarg;
			subflag = 1;
			break;
		case OPT_LOCAL:
			opts.local = 1;
			subflag = 1;
			break;
		case OPT_HERE:
			opts.here = 1;
			subflag = 1;
			break;
		case OPT_FORCE:
			opts.force = 1;
			subflag = 1;
			break;
		case OPT_STATUSLINE:
			opts.statusline = 1;
			subflag = 1;
			break;
		case 'h':
			help = 1;
			break;
		case 'V':
			version = 1;
			break;
		default:
			if (opts.bad_flag == NULL)
				opts.bad_flag =
				    optind > 0 && optind <= argc ? argv[optind - 1] : "?";
			break;
		}
	}
	if (help) {
		usage(stdout); /* asked for: a person reads it (the hook mode never prints) */
		return EXIT_OK;
	}
	if (version) {
		printf("hook-capture %s\n", HOOKWIRE_VERSION);
		return EXIT_OK;
	}
	if (optind < argc && strcmp(argv[optind], "statusline") == 0) {
		/* Claude Code's status line: like the hook, never a usage error
		 * on the terminal; what follows (after "--") is the user's own
		 * status line command */
		char **cmd = argv + optind + 1;

		if (*cmd != NULL && strcmp(*cmd, "--") == 0)
			cmd++;
		if (subflag && opts.bad_flag == NULL)
			opts.bad_flag = "--user, --project, --events, --timeout and --statusline "
					"belong to install";
		return statusline_main(&opts, *cmd != NULL ? cmd : NULL);
	}
	if (optind < argc) {
		sub = argv[optind];
		if (strcmp(sub, "install") != 0 && strcmp(sub, "uninstall") != 0 &&
		    strcmp(sub, "status") != 0) {
			if (opts.bad_flag == NULL)
				opts.bad_flag = sub;
			sub = NULL;
		} else if (optind + 1 < argc || opts.bad_flag != NULL) {
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (sub != NULL)
		return install_main(sub, &opts);
	if (subflag && opts.bad_flag == NULL)
		opts.bad_flag =
		    "--user, --project, --events, --timeout and --statusline need a subcommand";
	/* The hook: whatever happened above, capture and exit 0. */
	return capture_main(&opts);
}
