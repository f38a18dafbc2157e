/*
 * store-gen: realistic canonical events for the store benchmarks.
 *
 *   store-gen [-n EVENTS] [-f FIRST] [-D DAYS] [-S SEED] [-t TOKENIZER] [-V none|incremental]
 *             [-b BATCH] [-x TEXT_MAX] [-c CHUNK] [-k OLDEST] (-o FILE | -j DIR | -d DB)
 *
 * Writes EVENTS canonical events (hookwire-event(5)) with seqs FIRST.. and
 * capture times spread evenly over the last DAYS days: sessions of a few
 * hundred to a few thousand events in about twenty projects, each turn a
 * prompt, then tool calls (Bash, Read, Edit, Write, Grep, Glob, Task) as
 * PreToolUse and PostToolUse, some failing, with commands, paths, tool
 * output and messages drawn from a vocabulary, about 1 KiB an event on
 * average.  The text is random but has the distribution search needs:
 * common and rare words, paths that repeat, commands that repeat.
 *
 *   -o FILE  NDJSON, one event per line ("-": stdout)
 *   -j DIR   journal segments of 64 MiB (journal-<seq>.ndjson), as the router writes
 *   -d DB    straight into a store database through event-store's writer
 *            (schema.c, writer.c), with the tokenizer and vacuum mode given,
 *            then the full-text index (textindex.c, CHUNK events a step) and
 *            the merge of its full tables' segments,
 *            then, with -k, retention of the OLDEST events (retain.c, by age)
 *
 * Prints one JSON object at the end on stderr: events, bytes, seconds,
 * CPU-seconds and events/s of each phase, the file sizes.  Deterministic
 * for a seed.
 */
#include <sys/resource.h>
#include <sys/stat.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "store.h"

#define GEN_SEGMENT (64ULL * 1024 * 1024)

static uint64_t gen_state = 0x9e3779b97f4a7c15ULL;

static uint64_t
gen_rand(void)
{
	/* xorshift64* */
	gen_state ^= gen_state >> 12;
	gen_state ^= gen_state << 25;
	gen_state ^= gen_state >> 27;
	return gen_state * 0x2545f4914f6cdd1dULL;
}

static unsigned
gen_below(unsigned n)
{
	return (unsigned)(gen_rand() % n);
}

/* A skewed pick: low indexes far more often (roughly Zipf). */
static unsigned
gen_zipf(unsigned n)
{
	double u = (double)(gen_rand() >> 11) / (double)(1ULL << 53);

	return (unsigned)((double)n * u * u * u) % n;
}

static const char *syll[] = {"ka",  "lo",  "mi",  "ne",	 "ru",	"sa",	"ti",  "vo",
			     "xe",  "zu",  "ber", "con", "dat", "fig",	"gen", "hash",
			     "in",  "jet", "key", "lim", "map", "node", "op",  "par",
			     "que", "ref", "str", "tok", "url", "val",	"web", "yield"};
static char words[4096][24];
static const char *projects[] = {
    "/home/dev/acme-api",      "/home/dev/web-shop",	  "/home/dev/data-pipeline",
    "/home/dev/infra",	       "/home/dev/mobile-app",	  "/home/dev/ml-models",
    "/home/dev/docs-site",     "/home/dev/billing",	  "/home/dev/auth-service",
    "/home/dev/search",	       "/home/dev/notifications", "/home/dev/analytics",
    "/home/dev/cli-tools",     "/home/dev/payments",	  "/home/dev/scheduler",
    "/home/dev/gateway",       "/home/dev/frontend",	  "/home/dev/backend",
    "/home/dev/k8s-manifests", "/home/dev/terraform"};
static const char *dirs[] = {"src",  "src/routes", "src/lib", "tests",	"scripts",
			     "docs", "src/models", "src/api", "config", "migrations"};
static const char *exts[] = {".ts",   ".py",   ".go",  ".rs", ".md",
			     ".json", ".yaml", ".sql", ".sh", ".c"};
static const char *cmds[] = {"git status",
			     "git diff --stat",
			     "git log --oneline -20",
			     "npm test",
			     "npm run build -- --prod",
			     "rm -rf build/ dist/ node_modules/.cache",
			     "pytest -x tests/",
			     "cargo build --release",
			     "make -j4",
			     "docker compose up -d",
			     "ls -la",
			     "go test ./...",
			     "kubectl get pods -n staging",
			     "terraform plan -out plan.tfout",
			     "python3 -m pip install -r requirements.txt",
			     "curl -s http://localhost:8080/health",
			     "grep -rn TODO src/",
			     "find . -name '*.orig' -delete",
			     "sed -i 's/oldName/newName/g' src/index.ts",
			     "psql -c 'select count(*) from orders'"};
static const char *events_tool[] = {"Bash", "Read", "Edit", "Write", "Grep", "Glob", "Task"};

static void
gen_words(void)
{
	int i, k, n;

	for (i = 0; i < 4096; i++) {
		words[i][0] = '\0';
		n = 2 + gen_below(3);
		for (k = 0; k < n; k++)
			strcat(words[i], syll[gen_below(32)]);
	}
}

/* Appends about n bytes of words (plain ASCII: nothing to escape) to out. */
static size_t
gen_text(char *out, size_t at, size_t n, int newlines)
{
	size_t start = at;

	while (at - start < n) {
		const char *w = words[gen_zipf(4096)];
		size_t l = strlen(w);

		memcpy(out + at, w, l);
		at += l;
		if (newlines && gen_below(10) == 0) {
			memcpy(out + at, "\\n", 2);
			at += 2;
		} else
			out[at++] = ' ';
	}
	return at;
}

static size_t
gen_path(char *out, size_t outlen, const char *project)
{
	return (size_t)snprintf(out, outlen, "%s/%s/%s%s", project, dirs[gen_zipf(10)],
				words[gen_zipf(600)], exts[gen_zipf(10)]);
}

struct gen_session {
	char id[40];
	const char *project;
	unsigned left; /* events left in it */
	unsigned turn; /* events since the prompt */
	int agent;
	int started; /* SessionStart sent */
};

/* One event into out; returns its length. */
static size_t
gen_event(char *out, uint64_t seq, int64_t ts_us, struct gen_session *s)
{
	char ts[40], path[256], tuid[40], agent[48] = "";
	const char *ev, *tool = NULL;
	size_t at;
	time_t t = (time_t)(ts_us / 1000000);
	struct tm tm;
	unsigned r = gen_below(100), tk;
	int post;

	gmtime_r(&t, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(ts + 19, sizeof(ts) - 19, ".%06dZ", (int)(ts_us % 1000000));
	if (!s->started) {
		ev = "SessionStart";
		s->started = 1;
		s->turn = 0;
		goto head;
	} else if (s->turn == 0)
		ev = "UserPromptSubmit";
	else if (r < 3)
		ev = "Notification";
	else if (r < 8)
		ev = "Stop";
	else {
		post = s->turn % 2 == 0;
		ev = post ? (gen_below(20) == 0 ? "PostToolUseFailure" : "PostToolUse")
			  : "PreToolUse";
		tool = events_tool[gen_zipf(7)];
	}
	s->turn = (s->turn + 1) % (20 + gen_below(40));
head:
	if (s->agent)
		snprintf(agent, sizeof(agent), ",\"agent_id\":\"agent-%s\"", s->id + 28);
	snprintf(tuid, sizeof(tuid), "toolu_01%016llx%04x", (unsigned long long)(seq / 2),
		 (unsigned)(seq % 7));
	gen_path(path, sizeof(path), s->project);
	at = (size_t)sprintf(
	    out,
	    "{\"seq\":%llu,\"id\":\"%016llx%016llx\",\"ts\":\"%s\",\"event\":\"%s\","
	    "\"session_id\":\"%s\"%s",
	    (unsigned long long)seq, (unsigned long long)gen_rand(), (unsigned long long)seq, ts,
	    ev, s->id, agent);
	if (tool != NULL)
		at += (size_t)sprintf(out + at, ",\"tool\":\"%s\",\"tool_use_id\":\"%s\"", tool,
				      tuid);
	at +=
	    (size_t)sprintf(out + at,
			    ",\"cwd\":\"%s\",\"host\":\"dev1\",\"user\":\"dev\",\"project\":\"%s\","
			    "\"files\":[",
			    s->project, s->project);
	if (tool != NULL && strcmp(tool, "Bash") != 0 && strcmp(tool, "Task") != 0)
		at += (size_t)sprintf(out + at, "\"%s\"", path);
	at += (size_t)sprintf(
	    out + at,
	    "],\"data\":{\"session_id\":\"%s\",\"transcript_path\":\"/home/dev/"
	    ".claude/projects/x/%s.jsonl\",\"cwd\":\"%s\",\"hook_event_name\":\"%s\"",
	    s->id, s->id, s->project, ev);
	if (strcmp(ev, "UserPromptSubmit") == 0) {
		at += (size_t)sprintf(out + at, ",\"prompt\":\"");
		at = gen_text(out, at, 80 + gen_below(400), 1);
		out[at++] = '"';
	} else if (strcmp(ev, "Notification") == 0) {
		at += (size_t)sprintf(out + at,
				      ",\"message\":\"Claude needs your permission to use %s\"",
				      events_tool[gen_below(7)]);
	} else if (strcmp(ev, "Stop") == 0) {
		at += (size_t)sprintf(out + at, ",\"last_assistant_message\":\"");
		at = gen_text(out, at, 100 + gen_below(300), 1);
		out[at++] = '"';
	} else if (tool != NULL) {
		at += (size_t)sprintf(out + at, ",\"tool_name\":\"%s\",\"tool_input\":{", tool);
		tk = gen_zipf(20);
		if (strcmp(tool, "Bash") == 0)
			at += (size_t)sprintf(
			    out + at, "\"command\":\"cd %s && %s\",\"description\":\"Run %s\"",
			    s->project, cmds[tk], words[gen_zipf(300)]);
		else if (strcmp(tool, "Grep") == 0 || strcmp(tool, "Glob") == 0)
			at += (size_t)sprintf(out + at, "\"pattern\":\"%s\",\"path\":\"%s\"",
					      words[gen_zipf(2000)], path);
		else if (strcmp(tool, "Task") == 0) {
			at += (size_t)sprintf(out + at, "\"description\":\"%s\",\"prompt\":\"",
					      words[gen_zipf(500)]);
			at = gen_text(out, at, 60 + gen_below(200), 0);
			out[at++] = '"';
		} else if (strcmp(tool, "Edit") == 0) {
			at += (size_t)sprintf(out + at, "\"file_path\":\"%s\",\"old_string\":\"",
					      path);
			at = gen_text(out, at, 40 + gen_below(120), 1);
			at += (size_t)sprintf(out + at, "\",\"new_string\":\"");
			at = gen_text(out, at, 40 + gen_below(120), 1);
			out[at++] = '"';
		} else
			at += (size_t)sprintf(out + at, "\"file_path\":\"%s\"", path);
		out[at++] = '}';
		if (strcmp(ev, "PostToolUse") == 0) {
			if (strcmp(tool, "Bash") == 0) {
				at +=
				    (size_t)sprintf(out + at, ",\"tool_response\":{\"stdout\":\"");
				at = gen_text(out, at, gen_below(3) ? 100 + gen_below(700) : 2000,
					      1);
				at += (size_t)sprintf(out + at,
						      "\",\"stderr\":\"\",\"interrupted\":false}");
			} else if (strcmp(tool, "Read") == 0) {
				at +=
				    (size_t)sprintf(out + at,
						    ",\"tool_response\":{\"type\":\"text\","
						    "\"file\":{\"filePath\":\"%s\",\"content\":\"",
						    path);
				at = gen_text(out, at, 200 + gen_below(1500), 1);
				at += (size_t)sprintf(out + at, "\",\"numLines\":%u}}",
						      40 + gen_below(200));
			} else
				at += (size_t)sprintf(out + at,
						      ",\"tool_response\":{\"filePath\":\"%s\","
						      "\"success\":true}",
						      path);
		} else if (strcmp(ev, "PostToolUseFailure") == 0) {
			at += (size_t)sprintf(out + at, ",\"error\":\"Exit code 1\\n");
			at = gen_text(out, at, 60 + gen_below(200), 1);
			out[at++] = '"';
		}
		at += (size_t)sprintf(out + at, ",\"tool_use_id\":\"%s\"", tuid);
	}
	at += (size_t)sprintf(out + at,
			      "},\"meta\":{\"scrubbed\":0,\"truncated\":0,\"capture_us\":%u}}",
			      120 + gen_below(200));
	out[at] = '\0';
	return at;
}

static void
gen_session_new(struct gen_session *s, uint64_t n)
{
	snprintf(s->id, sizeof(s->id), "%08llx-%04x-4%03x-9%03x-%012llx",
		 (unsigned long long)(gen_rand() & 0xffffffff), gen_below(65536), gen_below(4096),
		 gen_below(4096), (unsigned long long)(gen_rand() & 0xffffffffffffULL));
	s->project = projects[gen_zipf(20)];
	s->left = 200 + gen_below(4000);
	s->turn = 0;
	s->agent = gen_below(8) == 0;
	s->started = 0;
	(void)n;
}

static double
gen_cpu(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
	       ru.ru_stime.tv_usec / 1e6;
}

static double
gen_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void __attribute__((noreturn)) usage(void)
{
	fprintf(stderr,
		"usage: store-gen [-n events] [-f first] [-D days] [-S seed] [-t tokenizer]\n"
		"                 [-V none|incremental] [-b batch] [-x text_max]\n"
		"                 (-o file | -j dir | -d db)\n");
	exit(100);
}

int
main(int argc, char *argv[])
{
	struct gen_session sess[4];
	struct schema_opts so;
	struct writer_opts wo = {4096, 4096};
	size_t chunk = 1000;
	uint64_t oldest = 0;
	double iw = 0, ic = 0, mw = 0, mc = 0, rw = 0, rc_ = 0, wall, cpu;
	uint64_t deleted = 0, vacuumed = 0, size0 = 0, size1 = 0, size2 = 0;
	struct writer *w = NULL;
	sqlite3 *db = NULL;
	FILE *out = NULL;
	const char *ofile = NULL, *jdir = NULL, *dbpath = NULL;
	uint64_t n = 100000, first = 1, i, bytes = 0, segbytes = 0;
	int64_t now, span, t0;
	double days = 30, w0, c0;
	char *buf, msg[1024], path[4096];
	size_t len;
	int ch, k;

	schema_opts_default(&so);
	while ((ch = getopt(argc, argv, "n:f:D:S:t:V:b:x:c:k:o:j:d:")) != -1) {
		switch (ch) {
		case 'n':
			n = strtoull(optarg, NULL, 10);
			break;
		case 'f':
			first = strtoull(optarg, NULL, 10);
			break;
		case 'D':
			days = atof(optarg);
			break;
		case 'S':
			gen_state ^= strtoull(optarg, NULL, 10) * 0x9e3779b97f4a7c15ULL;
			break;
		case 't':
			so.tokenizer = optarg;
			break;
		case 'V':
			so.incremental_vacuum = strcmp(optarg, "none") != 0;
			break;
		case 'b':
			wo.batch_max = strtoull(optarg, NULL, 10);
			break;
		case 'x':
			wo.text_max = strtoull(optarg, NULL, 10);
			break;
		case 'c':
			chunk = strtoull(optarg, NULL, 10);
			break;
		case 'k':
			oldest = strtoull(optarg, NULL, 10);
			break;
		case 'o':
			ofile = optarg;
			break;
		case 'j':
			jdir = optarg;
			break;
		case 'd':
			dbpath = optarg;
			break;
		default:
			usage();
		}
	}
	if ((ofile != NULL) + (jdir != NULL) + (dbpath != NULL) != 1 || n == 0 || first == 0)
		usage();
	if ((buf = malloc(1 << 20)) == NULL)
		err(1, "malloc");
	gen_words();
	if (ofile != NULL && (out = strcmp(ofile, "-") == 0 ? stdout : fopen(ofile, "w")) == NULL)
		err(1, "%s", ofile);
	if (jdir != NULL && mkdir(jdir, 0700) == -1 && errno != EEXIST)
		err(1, "%s", jdir);
	if (dbpath != NULL) {
		if (schema_open(dbpath, &so, &db, msg, sizeof(msg)) != SCHEMA_NEW)
			errx(1, "%s: %s (give a new file)", dbpath, msg[0] ? msg : "exists");
		if ((w = writer_new(db, &wo, msg, sizeof(msg))) == NULL)
			errx(1, "%s", msg);
	}
	for (k = 0; k < 4; k++)
		gen_session_new(&sess[k], 0);
	now = (int64_t)time(NULL) * 1000000;
	span = (int64_t)(days * 86400e6);
	t0 = now - span;
	w0 = gen_now();
	c0 = gen_cpu();
	for (i = 0; i < n; i++) {
		struct gen_session *s = &sess[gen_zipf(4)];
		uint64_t seq = first + i;

		if (s->left-- == 0)
			gen_session_new(s, i);
		len = gen_event(buf, seq, t0 + (int64_t)((double)span * (double)i / (double)n), s);
		bytes += len + 1;
		if (w != NULL) {
			if (writer_add(w, buf, len, seq, 0, msg, sizeof(msg)) == -1)
				errx(1, "seq %llu: %s", (unsigned long long)seq, msg);
			continue;
		}
		if (jdir != NULL && (out == NULL || segbytes + len + 1 > GEN_SEGMENT)) {
			if (out != NULL && fclose(out) == EOF)
				err(1, "journal");
			snprintf(path, sizeof(path), "%s/journal-%020llu.ndjson", jdir,
				 (unsigned long long)seq);
			if ((out = fopen(path, "w")) == NULL)
				err(1, "%s", path);
			segbytes = 0;
		}
		buf[len] = '\n';
		if (fwrite(buf, 1, len + 1, out) != len + 1)
			err(1, "write");
		segbytes += len + 1;
	}
	wall = gen_now() - w0;
	cpu = gen_cpu() - c0;
	if (w != NULL) {
		struct stat sb;
		uint64_t indexed;
		int r;

		if (writer_commit(w, msg, sizeof(msg)) == -1)
			errx(1, "%s", msg);
		writer_free(w);
		sqlite3_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL);
		if (stat(dbpath, &sb) == 0)
			size0 = (uint64_t)sb.st_size;
		iw = gen_now();
		ic = gen_cpu();
		while ((r = textindex_step(db, chunk, textindex_part_bytes(2048ULL << 20), &indexed,
					   msg, sizeof(msg))) == 1)
			;
		if (r == -1)
			errx(1, "%s", msg);
		iw = gen_now() - iw;
		ic = gen_cpu() - ic;
		/* the full tables' segments merged, as event-store does when idle */
		mw = gen_now();
		mc = gen_cpu();
		while ((r = textindex_merge_step(db, msg, sizeof(msg))) == 1)
			;
		if (r == -1)
			errx(1, "%s", msg);
		mw = gen_now() - mw;
		mc = gen_cpu() - mc;
		sqlite3_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL);
		if (stat(dbpath, &sb) == 0)
			size1 = (uint64_t)sb.st_size;
		if (oldest > 0) {
			struct retain_opts ro;
			struct retain_result rr;

			retain_opts_default(&ro);
			ro.keep_bytes = 0;
			/* the cut: older than the capture time of event number oldest */
			ro.keep_us = (int64_t)time(NULL) * 1000000 -
				     (t0 + (int64_t)((double)span * (double)oldest / (double)n));
			rw = gen_now();
			rc_ = gen_cpu();
			while ((r = retain_step(db, &ro, (int64_t)time(NULL) * 1000000, &rr, msg,
						sizeof(msg))) == 1) {
				deleted += rr.rr_deleted;
				vacuumed += (uint64_t)rr.rr_vacuumed;
			}
			if (r == -1)
				errx(1, "%s", msg);
			deleted += rr.rr_deleted;
			vacuumed += (uint64_t)rr.rr_vacuumed;
			rw = gen_now() - rw;
			rc_ = gen_cpu() - rc_;
			sqlite3_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL);
			if (stat(dbpath, &sb) == 0)
				size2 = (uint64_t)sb.st_size;
		}
		sqlite3_close(db);
	}
	if (out != NULL && out != stdout && fclose(out) == EOF)
		err(1, "close");
	if (out == stdout)
		fflush(stdout);
	fprintf(stderr,
		"{\"events\":%llu,\"bytes\":%llu,\"mean_bytes\":%.0f,\"seconds\":%.2f,"
		"\"cpu_s\":%.2f,\"events_per_s\":%.0f,\"events_per_cpu_s\":%.0f",
		(unsigned long long)n, (unsigned long long)bytes, (double)bytes / (double)n, wall,
		cpu, (double)n / wall, (double)n / cpu);
	if (dbpath != NULL) {
		fprintf(
		    stderr,
		    ",\"db_bytes_before_index\":%llu,\"index_seconds\":%.2f,\"index_cpu_s\":%.2f,"
		    "\"index_us_per_event\":%.1f,\"merge_seconds\":%.2f,\"merge_cpu_s\":%.2f,"
		    "\"merge_us_per_event\":%.1f,\"db_bytes\":%llu",
		    (unsigned long long)size0, iw, ic, ic * 1e6 / (double)n, mw, mc,
		    mc * 1e6 / (double)n, (unsigned long long)size1);
		if (oldest > 0)
			fprintf(stderr,
				",\"retained\":%llu,\"retain_seconds\":%.2f,\"retain_cpu_s\":%.2f,"
				"\"retain_us_per_event\":%.1f,\"pages_given_back\":%llu,"
				"\"db_bytes_after_retention\":%llu",
				(unsigned long long)deleted, rw, rc_,
				deleted ? rc_ * 1e6 / (double)deleted : 0.0,
				(unsigned long long)vacuumed, (unsigned long long)size2);
	}
	fprintf(stderr, "}\n");
	free(buf);
	return 0;
}
