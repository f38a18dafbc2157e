/*
 * exec-bench: wall time per run of a command, exec to exit, with a file on
 * its standard input, as Claude Code runs a hook.
 *
 *   exec-bench [-n RUNS] [-w WARMUP] [-j] [-a] -i INPUT -- COMMAND [ARG...]
 *
 * Forks and execs COMMAND RUNS times one after another (after WARMUP runs
 * that are not counted), each with INPUT on stdin and stdout/stderr to
 * /dev/null, and prints the median, p90, p99 and max wall time in
 * microseconds, and the children's CPU time and page faults (minor and
 * major) per run.  With -j the figures
 * are printed as one JSON object; -a adds every run's wall time to it
 * ("samples_us", sorted), so that a driver can pool interleaved blocks.  Exits 1 if any run exits
 * non-zero.
 */
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>

#include <err.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int64_t
mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int
cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/* Runs argv once with input on stdin; returns wall ns, or -1 on a non-zero exit. */
static int64_t
run_once(const char *input, char **argv)
{
	int64_t t0, t1;
	pid_t pid;
	int st, fd, nul;

	t0 = mono_ns();
	pid = fork();
	if (pid == -1)
		err(111, "fork");
	if (pid == 0) {
		fd = open(input, O_RDONLY);
		nul = open("/dev/null", O_WRONLY);
		if (fd == -1 || nul == -1)
			_exit(127);
		dup2(fd, 0);
		dup2(nul, 1);
		dup2(nul, 2);
		execv(argv[0], argv);
		_exit(127);
	}
	if (waitpid(pid, &st, 0) == -1)
		err(111, "waitpid");
	t1 = mono_ns();
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		return -1;
	return t1 - t0;
}

static void
usage(void)
{
	fprintf(stderr,
		"usage: exec-bench [-n RUNS] [-w WARMUP] [-j] [-a] -i INPUT -- COMMAND [ARG...]\n");
	exit(100);
}

int
main(int argc, char **argv)
{
	const char *input = NULL;
	long runs = 1000, warmup = 50;
	int json = 0, all = 0, ch, failed = 0;
	int64_t *t;
	struct rusage ru;
	double cpu, faults;
	long i;

	while ((ch = getopt(argc, argv, "n:w:jai:")) != -1) {
		switch (ch) {
		case 'n':
			runs = strtol(optarg, NULL, 10);
			break;
		case 'w':
			warmup = strtol(optarg, NULL, 10);
			break;
		case 'j':
			json = 1;
			break;
		case 'a':
			all = 1;
			break;
		case 'i':
			input = optarg;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (input == NULL || argc < 1 || runs < 1 || warmup < 0)
		usage();
	if ((t = calloc(runs, sizeof(*t))) == NULL)
		err(111, "calloc");
	for (i = 0; i < warmup; i++)
		if (run_once(input, argv) < 0)
			failed++;
	getrusage(RUSAGE_CHILDREN, &ru);
	cpu = -(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
		(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6);
	faults = -(double)(ru.ru_minflt + ru.ru_majflt);
	for (i = 0; i < runs; i++)
		if ((t[i] = run_once(input, argv)) < 0)
			failed++, t[i] = 0;
	getrusage(RUSAGE_CHILDREN, &ru);
	cpu += ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
	       (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
	faults += (double)(ru.ru_minflt + ru.ru_majflt);
	qsort(t, runs, sizeof(*t), cmp_i64);
#define PCT(p) (t[(size_t)((runs - 1) * (p))] / 1000.0)
	if (json) {
		printf("{\"runs\":%ld,\"failed\":%d,\"median_us\":%.1f,\"p90_us\":%.1f,"
		       "\"p99_us\":%.1f,\"max_us\":%.1f,\"cpu_us_per_run\":%.1f,"
		       "\"faults_per_run\":%.1f",
		       runs, failed, PCT(0.5), PCT(0.9), PCT(0.99), PCT(1.0), cpu * 1e6 / runs,
		       faults / runs);
		if (all) {
			printf(",\"samples_us\":[");
			for (i = 0; i < runs; i++)
				printf("%s%.1f", i ? "," : "", t[i] / 1000.0);
			printf("]");
		}
		printf("}\n");
	} else
		printf("runs %ld failed %d median %.1f us p90 %.1f us p99 %.1f us max %.1f us "
		       "cpu %.1f us/run faults %.1f/run\n",
		       runs, failed, PCT(0.5), PCT(0.9), PCT(0.99), PCT(1.0), cpu * 1e6 / runs,
		       faults / runs);
	free(t);
	return failed ? 1 : 0;
}
