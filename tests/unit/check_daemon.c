/*
 * check_daemon.c: the daemons' shared start-up (common/daemon.c).
 *
 * core:      common flags, flags over environment over file, the log, the
 *            paths and the pidfile, and what daemon_close() releases
 * malformed: bad --readiness-fd values; bad file, variable and flag values
 *            come back as EXIT_USAGE with the message the tools print;
 *            a second daemon of the instance is refused
 */
#include <check.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "daemon.h"
#include "util.h"

static char tmpdir[4096];

static void
setup(void)
{
	const char *base = getenv("HOOKWIRE_TEST_TMP");

	snprintf(tmpdir, sizeof(tmpdir), "%s/check_daemon.XXXXXX", base ? base : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void
teardown(void)
{
	char cmd[8192];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		return;
}

/* Parses argv as a daemon does; returns what the last daemon_opt() said. */
static int
parse(struct daemon *d, int argc, char **argv)
{
	static const struct option longopts[] = {DAEMON_LONGOPTS, {NULL, 0, NULL, 0}};
	int ch, rc = 0;

	optind = 0;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, DAEMON_SHORTOPTS, longopts, NULL)) != -1)
		if ((rc = daemon_opt(d, ch, optarg)) != 1)
			break;
	return rc;
}

START_TEST(test_flags)
{
	char *argv[] = {"event-router",
			"-c",
			"/c.json",
			"-i",
			"inst",
			"--rundir",
			"/r",
			"--statedir",
			"/s",
			"--readiness-fd",
			"7",
			"--log-file",
			"/l.log",
			"--log-level",
			"debug",
			"--user",
			"nobody",
			NULL};
	struct daemon d;

	daemon_init(&d, "event-router", "router");
	ck_assert_int_eq(d.dm_ready_fd, -1);
	ck_assert_int_eq(parse(&d, 17, argv), 1);
	ck_assert_str_eq(d.dm_config, "/c.json");
	ck_assert_str_eq(d.dm_instance, "inst");
	ck_assert_str_eq(d.dm_rundir, "/r");
	ck_assert_str_eq(d.dm_statedir, "/s");
	ck_assert_int_eq(d.dm_ready_fd, 7);
	ck_assert_str_eq(d.dm_logfile, "/l.log");
	ck_assert_str_eq(d.dm_loglevel, "debug");
	ck_assert_str_eq(d.dm_user, "nobody");
	/* the tool's own flags, -h and -V are not taken */
	ck_assert_int_eq(daemon_opt(&d, 'h', NULL), 0);
	ck_assert_int_eq(daemon_opt(&d, 'V', NULL), 0);
	ck_assert_int_eq(daemon_opt(&d, DAEMON_O_END, "x"), 0);
	ck_assert_int_eq(daemon_opt(&d, '?', NULL), 0);
}
END_TEST

START_TEST(test_precedence)
{
	char file[4200], *envp[] = {"HOOKWIRE_INSTANCE=fromenv", "HOOKWIRE_LOG_LEVEL=warn", NULL};
	char *argv[] = {"event-relay", "-c", file, "-i", "fromflag", "--user", "nobody", NULL};
	struct daemon d;
	FILE *fp;

	snprintf(file, sizeof(file), "%s/c.json", tmpdir);
	ck_assert_ptr_nonnull(fp = fopen(file, "w"));
	fputs("{\"instance\": \"fromfile\", \"statedir\": \"/fromfile\", "
	      "\"log\": {\"level\": \"error\"}}\n",
	      fp);
	fclose(fp);
	daemon_init(&d, "event-relay", "relay");
	ck_assert_int_eq(parse(&d, 7, argv), 1);
	ck_assert_int_eq(daemon_config(&d, envp), 0);
	ck_assert_ptr_null(d.dm_reason);
	ck_assert_str_eq(config_str(d.dm_cfg, NULL, "instance"), "fromflag");
	ck_assert_str_eq(config_str(d.dm_cfg, NULL, "statedir"), "/fromfile");
	ck_assert_str_eq(config_str(d.dm_cfg, "log", "level"), "warn");
	ck_assert_str_eq(config_str(d.dm_cfg, "relay", "user"), "nobody");
	ck_assert_str_eq(config_str(d.dm_cfg, "router", "user"), "");
	daemon_close(&d);
	ck_assert_ptr_null(d.dm_cfg);
	daemon_close(&d); /* twice does nothing */
}
END_TEST

START_TEST(test_start)
{
	char run[4200], state[4200], logf[4200], pid[4300], line[64];
	char *envp[] = {NULL};
	char *argv[] = {"event-router", "-i",  "chk",	     "--rundir", run,
			"--statedir",	state, "--log-file", logf,	 NULL};
	struct daemon d, d2;
	struct stat st;
	FILE *fp;

	snprintf(run, sizeof(run), "%s/run", tmpdir);
	snprintf(state, sizeof(state), "%s/state", tmpdir);
	snprintf(logf, sizeof(logf), "%s/router.log", tmpdir);
	snprintf(pid, sizeof(pid), "%s/event-router.pid", run);
	daemon_init(&d, "event-router", "router");
	ck_assert_int_eq(parse(&d, 9, argv), 1);
	ck_assert_int_eq(daemon_config(&d, envp), 0);
	ck_assert_int_eq(daemon_log(&d), 0);
	ck_assert_int_eq(stat(logf, &st), 0);
	ck_assert_int_eq(daemon_start(&d), 0);
	ck_assert_str_eq(d.dm_paths.instance, "chk");
	ck_assert_str_eq(d.dm_paths.rundir, run);
	ck_assert_str_eq(d.dm_pidpath, pid);
	ck_assert_int_eq(stat(d.dm_paths.journal_dir, &st), 0);
	ck_assert_ptr_nonnull(fp = fopen(pid, "r"));
	ck_assert_ptr_nonnull(fgets(line, sizeof(line), fp));
	fclose(fp);
	ck_assert_int_eq(atol(line), (long)getpid());
	/* no router.user: nothing to drop */
	ck_assert_int_eq(daemon_drop_privileges(&d), 0);

	/* a second router of the instance is refused, naming the first */
	daemon_init(&d2, "event-router", "router");
	ck_assert_int_eq(parse(&d2, 9, argv), 1);
	ck_assert_int_eq(daemon_config(&d2, envp), 0);
	ck_assert_int_eq(daemon_start(&d2), EXIT_RUNTIME);
	ck_assert_str_eq(d2.dm_reason, "already_running");
	snprintf(line, sizeof(line), "as pid %ld (", (long)getpid());
	ck_assert_ptr_nonnull(strstr(d2.dm_err, "event-router already running for instance chk"));
	ck_assert_ptr_nonnull(strstr(d2.dm_err, line));
	daemon_close(&d2);
	ck_assert_int_eq(stat(pid, &st), 0); /* the loser leaves it alone */

	daemon_close(&d);
	ck_assert_int_eq(stat(pid, &st), -1);
}
END_TEST

static const char *bad_fds[] = {"", "x", "-1", "65536", "7x", "99999999999999999999"};

START_TEST(test_bad_fd)
{
	char *argv[] = {"event-router", "--readiness-fd", (char *)bad_fds[_i], NULL};
	char want[128];
	struct daemon d;

	daemon_init(&d, "event-router", "router");
	ck_assert_int_eq(parse(&d, 3, argv), -1);
	snprintf(want, sizeof(want), "--readiness-fd %s: not a descriptor", bad_fds[_i]);
	ck_assert_str_eq(d.dm_err, want);
	ck_assert_int_eq(d.dm_ready_fd, -1);
}
END_TEST

/* A flag, file or variable the configuration refuses: EXIT_USAGE, the key named. */
static const struct {
	const char *flag, *value, *env, *want;
} bad_config[] = {
    {"-i", "../x", NULL, "instance"},
    {"--log-level", "loud", NULL, "log.level"},
    {"--rundir", "", "HOOKWIRE_ROUTER_NOPE=1", "HOOKWIRE_ROUTER_NOPE"},
    {"-c", "/nonexistent/hookwire.json", NULL, "/nonexistent/hookwire.json"},
};

START_TEST(test_bad_config)
{
	char *argv[] = {"event-router", (char *)bad_config[_i].flag, (char *)bad_config[_i].value,
			NULL};
	char *envp[] = {(char *)bad_config[_i].env, NULL};
	struct daemon d;
	int rc;

	daemon_init(&d, "event-router", "router");
	ck_assert_int_eq(parse(&d, 3, argv), 1);
	rc = daemon_config(&d, envp);
	if (strcmp(bad_config[_i].flag, "-i") == 0 && rc == 0) {
		/* an instance name is checked by paths_init(): daemon_start() refuses it */
		ck_assert_int_eq(daemon_start(&d), EXIT_USAGE);
		ck_assert_str_eq(d.dm_reason, "bad_config");
	} else {
		ck_assert_int_eq(rc, EXIT_USAGE);
		ck_assert_str_eq(d.dm_reason, "bad_config");
	}
	ck_assert_msg(strstr(d.dm_err, bad_config[_i].want) != NULL, "\"%s\" does not name %s",
		      d.dm_err, bad_config[_i].want);
	daemon_close(&d);
}
END_TEST

/* daemon_paths() knows the paths without creating anything; a bad instance is refused. */
START_TEST(test_paths_only)
{
	char run[4200], state[4200],
	    *argv[] = {"ws-gateway", "-i", "pathsonly", "--rundir", run, "--statedir", state, NULL};
	char *envp[] = {NULL};
	struct stat st;
	struct daemon d;

	snprintf(run, sizeof(run), "%s/run", tmpdir);
	snprintf(state, sizeof(state), "%s/state", tmpdir);
	daemon_init(&d, "ws-gateway", "gateway");
	ck_assert_int_eq(parse(&d, 7, argv), 1);
	ck_assert_int_eq(daemon_config(&d, envp), 0);
	ck_assert_int_eq(daemon_paths(&d), 0);
	ck_assert_ptr_nonnull(strstr(d.dm_paths.ring_name, "pathsonly"));
	ck_assert_int_eq(stat(run, &st), -1);
	ck_assert_int_eq(stat(state, &st), -1);
	daemon_close(&d);

	argv[2] = "../escape";
	daemon_init(&d, "ws-gateway", "gateway");
	ck_assert_int_eq(parse(&d, 7, argv), 1);
	if (daemon_config(&d, envp) == 0)
		ck_assert_int_eq(daemon_paths(&d), EXIT_USAGE);
	ck_assert_str_eq(d.dm_reason, "bad_config");
	ck_assert_int_eq(stat(run, &st), -1);
	daemon_close(&d);
}
END_TEST

static Suite *
daemon_suite(void)
{
	Suite *s = suite_create("daemon");
	TCase *tc;

	tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_flags);
	tcase_add_test(tc, test_precedence);
	tcase_add_test(tc, test_start);
	tcase_add_test(tc, test_paths_only);
	suite_add_tcase(s, tc);
	tc = tcase_create("malformed");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_bad_fd, 0, sizeof(bad_fds) / sizeof(bad_fds[0]));
	tcase_add_loop_test(tc, test_bad_config, 0, sizeof(bad_config) / sizeof(bad_config[0]));
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(daemon_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
