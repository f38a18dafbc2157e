/*
 * cpu-burn: the control load of store-bench.sh: a process that takes CPU
 * time in event-store's rhythm and does nothing else.
 *
 *   cpu-burn SLEEP_US BUSY_US
 *
 * Sleeps SLEEP_US microseconds, spins BUSY_US on the clock, and again,
 * until a signal ends it.  No I/O, no memory to speak of, no lock: beside
 * the router it shows what a process taking the store's share of a core,
 * woken as often as the store is (every 2 ms, FOLLOW_GATHER_MS), costs the
 * router's latency for its CPU alone.  Exits 100 on bad arguments.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static long long
cb_mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int
main(int argc, char **argv)
{
	volatile unsigned long spins = 0;
	long sleep_us, busy_us;
	char *end1, *end2;

	if (argc != 3) {
		fprintf(stderr, "usage: cpu-burn sleep_us busy_us\n");
		return 100;
	}
	sleep_us = strtol(argv[1], &end1, 10);
	busy_us = strtol(argv[2], &end2, 10);
	if (*end1 != '\0' || *end2 != '\0' || sleep_us < 0 || sleep_us > 1000000 || busy_us < 0 ||
	    busy_us > 1000000) {
		fprintf(stderr, "cpu-burn: sleep_us and busy_us: 0 to 1000000\n");
		return 100;
	}
	for (;;) {
		struct timespec ts = {sleep_us / 1000000, (sleep_us % 1000000) * 1000};
		long long until;

		nanosleep(&ts, NULL);
		until = cb_mono_us() + busy_us;
		while (cb_mono_us() < until)
			spins++;
	}
}
