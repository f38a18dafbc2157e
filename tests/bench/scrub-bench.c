/*
 * scrub-bench: time per event of scrub_event() on a realistic mix of 1 KiB
 * canonical events (hookwire-scrub(5)).
 *
 *   scrub-bench [-n EVENTS] [-r ROUNDS] [-s SECRET_EVERY] [-j]
 *
 * Builds EVENTS events (default 20000) from templates like Claude Code's:
 * a Read result with source code, a Bash command and its output, a prompt in
 * prose, an Edit, a Grep result, a JSON file read back; every SECRET_EVERY-th
 * event (default 20) carries a secret somewhere in its text.  Each round parses
 * fresh copies (not timed) in batches of 64, small enough to stay in cache,
 * and times scrub_event() on each batch in CPU time of the thread (so that
 * other processes on the machine do not count).  Prints the best round's ns
 * per event, ns per KiB of event and
 * MB/s, plus the rate of scrub_string() alone on the events' text, and the
 * redactions made (which must be EVENTS / SECRET_EVERY or more).  With -j
 * the figures are one JSON object.  Also prints the worst ns per KiB of
 * scrub_string() on 16 KiB strings made to be slow (repeated "password=",
 * "sk-", "AKIA", ...).  Exits 1 if fewer redactions were made than secrets.
 */
#include <err.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "scrub.h"

static const char *const bench_code =
    "import { Router } from 'express';\n"
    "import { verifyToken } from '../auth/jwt';\n"
    "const router = Router();\n"
    "// token_count tracks how many tokens the model used for this request\n"
    "router.get('/users/:id', async (req, res) => {\n"
    "  const user = await db.users.findById(req.params.id);\n"
    "  if (!user) return res.status(404).json({ error: 'not found' });\n"
    "  const password_field = form.get('password');\n"
    "  const sha = 'e83c5163316f89bfbde7d9ab23ca2e25604af290';\n"
    "  return res.json({ id: user.id, name: user.name, created: user.createdAt });\n"
    "});\n"
    "export default router;\n";

static const char *const bench_bash_out = "total 48\n"
					  "drwxr-xr-x  6 dev dev 4096 Nov 28 10:02 .\n"
					  "drwxr-xr-x 24 dev dev 4096 Nov 27 18:40 ..\n"
					  "-rw-r--r--  1 dev dev  312 Nov 28 09:58 .env.example\n"
					  "drwxr-xr-x  8 dev dev 4096 Nov 28 10:02 .git\n"
					  "-rw-r--r--  1 dev dev 1089 Nov 28 09:58 package.json\n"
					  "commit 3f786850e387550fdab836ed7e6dc881de23001b\n"
					  "Author: Dev <dev@example.com>\n"
					  "Date:   Fri Nov 28 09:58:12 2026 +0000\n\n"
					  "    Fix the refresh of the session (closes #412)\n";

static const char *const bench_prose =
    "The staging deploy fails with a 401 after the token refresh. Can you look at "
    "src/auth.ts and src/routes/users.ts, find out why the session expires early, and "
    "fix it? Keep the public API the same. Also check that the secret rotation job "
    "still runs; it was moved to a cron in infra/jobs last week. Run the tests with "
    "npm test when you are done, and write a short summary of what changed and why, "
    "with the commit hashes. If something is unclear, ask before changing the schema. "
    "The failing request id is 550e8400-e29b-41d4-a716-446655440000 in the logs.";

static const char *const bench_json_file =
    "{\n  \"name\": \"acme-api\",\n  \"version\": \"1.4.2\",\n  \"scripts\": {\n"
    "    \"build\": \"tsc -p .\",\n    \"test\": \"vitest run\",\n"
    "    \"lint\": \"eslint src --ext .ts\"\n  },\n  \"dependencies\": {\n"
    "    \"express\": \"^4.19.2\",\n    \"jsonwebtoken\": \"^9.0.2\",\n"
    "    \"pg\": \"^8.11.3\"\n  }\n}\n";

/* Repeated to 16 KiB (the field limit): text made to make a scrubber slow. */
static const char *const bench_adversarial[] = {"password=",
						"password=\"",
						"passpasspass",
						"secret: ",
						"sk-",
						"://a:",
						"aws ",
						"-----BEGIN PRIVATE KEY-----",
						"Bearer 1",
						"authorization: bearer ",
						"eyJaaaaaaaaaa.",
						"AKIA",
						"AIza",
						"ghp_",
						"xoxb-1",
						"a@",
						"token ",
						"{\"a\":",
						"[[[[",
						"\\\"",
						NULL};

static const char *const bench_secrets[] = {
    "export GITHUB_TOKEN=ghp_0123456789abcdefghijABCDEFGHIJ012345\n",
    "DATABASE_URL=postgres://app:Sup3rS3cret@db.internal:5432/acme\n",
    "my key is sk-ant-api03-FAKEFAKEFAKEFAKEFAKEFAKEFAKEFAKE-FAKEFAKE\n",
    "aws_access_key_id = AKIAIOSFODNN7EXAMPLE\n",
    "password: hunter2-but-longer\n",
};

/* Events parsed, then scrubbed, at a time. */
#define BENCH_BATCH 64

/* CPU time of this thread: other processes on the machine do not count. */
static int64_t
bench_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Returns a new event (as JSON text) of kind k; secret may be NULL. */
static json_object *
bench_event(int k, int i, const char *secret)
{
	json_object *ev, *data, *in, *resp, *meta;
	char text[2048], id[40];

	ev = json_object_new_object();
	data = json_object_new_object();
	in = json_object_new_object();
	snprintf(id, sizeof(id), "%032x", i);
	json_object_object_add(ev, "id", json_object_new_string(id));
	json_object_object_add(ev, "ts", json_object_new_string("2026-11-28T20:25:03.123456Z"));
	json_object_object_add(data, "session_id",
			       json_object_new_string("4f1c2e9a-7b3d-4e52-9a61-0c8d5f2b7e11"));
	json_object_object_add(
	    data, "transcript_path",
	    json_object_new_string("/home/dev/.claude/projects/-home-dev-acme-"
				   "api/4f1c2e9a-7b3d-4e52-9a61-0c8d5f2b7e11.jsonl"));
	json_object_object_add(data, "cwd", json_object_new_string("/home/dev/acme-api"));
	json_object_object_add(data, "permission_mode", json_object_new_string("default"));
	switch (k) {
	case 0: /* Read of source code */
		snprintf(text, sizeof(text), "%s%s", bench_code, secret ? secret : "");
		json_object_object_add(data, "hook_event_name",
				       json_object_new_string("PostToolUse"));
		json_object_object_add(data, "tool_name", json_object_new_string("Read"));
		json_object_object_add(in, "file_path",
				       json_object_new_string("/home/dev/acme-api/src/users.ts"));
		resp = json_object_new_object();
		json_object_object_add(resp, "type", json_object_new_string("text"));
		json_object_object_add(resp, "content", json_object_new_string(text));
		json_object_object_add(data, "tool_response", resp);
		break;
	case 1: /* Bash and its output */
		snprintf(text, sizeof(text), "%s%s", bench_bash_out, secret ? secret : "");
		json_object_object_add(data, "hook_event_name",
				       json_object_new_string("PostToolUse"));
		json_object_object_add(data, "tool_name", json_object_new_string("Bash"));
		json_object_object_add(in, "command",
				       json_object_new_string("ls -la && git log -1 --stat"));
		json_object_object_add(in, "description",
				       json_object_new_string("List files and the last commit"));
		resp = json_object_new_object();
		json_object_object_add(resp, "stdout", json_object_new_string(text));
		json_object_object_add(resp, "stderr", json_object_new_string(""));
		json_object_object_add(resp, "interrupted", json_object_new_boolean(0));
		json_object_object_add(data, "tool_response", resp);
		break;
	case 2: /* a prompt */
		snprintf(text, sizeof(text), "%s %s", bench_prose, secret ? secret : "");
		json_object_object_add(data, "hook_event_name",
				       json_object_new_string("UserPromptSubmit"));
		json_object_object_add(data, "prompt", json_object_new_string(text));
		break;
	case 3: /* an Edit */
		snprintf(text, sizeof(text), "%s%s", bench_code, secret ? secret : "");
		json_object_object_add(data, "hook_event_name",
				       json_object_new_string("PreToolUse"));
		json_object_object_add(data, "tool_name", json_object_new_string("Edit"));
		json_object_object_add(in, "file_path",
				       json_object_new_string("/home/dev/acme-api/src/users.ts"));
		json_object_object_add(in, "old_string", json_object_new_string(bench_code + 300));
		json_object_object_add(in, "new_string", json_object_new_string(text));
		break;
	default: /* a JSON file read back */
		snprintf(text, sizeof(text), "%s", bench_json_file);
		if (secret != NULL)
			snprintf(text, sizeof(text),
				 "{\n  \"name\": \"acme-api\",\n  \"deploy_token\": \"%.30s\",\n"
				 "  \"notes\": \"%.*s\"\n}\n",
				 "tok_1234567890abcdef", (int)strcspn(secret, "\n\""), secret);
		json_object_object_add(data, "hook_event_name",
				       json_object_new_string("PostToolUse"));
		json_object_object_add(data, "tool_name", json_object_new_string("Read"));
		json_object_object_add(in, "file_path",
				       json_object_new_string("/home/dev/acme-api/package.json"));
		resp = json_object_new_object();
		json_object_object_add(resp, "type", json_object_new_string("text"));
		json_object_object_add(resp, "content", json_object_new_string(text));
		json_object_object_add(data, "tool_response", resp);
		break;
	}
	json_object_object_add(data, "tool_input", in);
	json_object_object_add(data, "tool_use_id",
			       json_object_new_string("toolu_01XyZ8qLkR3mN5pT7vW9aB2c"));
	json_object_object_add(ev, "event", json_object_new_string("PostToolUse"));
	json_object_object_add(ev, "data", data);
	meta = json_object_new_object();
	json_object_object_add(meta, "scrubbed", json_object_new_int(0));
	json_object_object_add(meta, "truncated", json_object_new_int(0));
	json_object_object_add(meta, "capture_us", json_object_new_int(412));
	json_object_object_add(ev, "meta", meta);
	return ev;
}

int
main(int argc, char **argv)
{
	struct scrub *s;
	json_object **pool;
	char **texts, ebuf[512], *out;
	size_t *lens, bytes = 0, slen, outlen;
	int64_t t0, best = INT64_MAX, sbest = INT64_MAX, el;
	long nev = 20000, rounds = 5, every = 20;
	long i, r, b, bn, redacted = 0, sred;
	int c, json = 0, n, sn;

	while ((c = getopt(argc, argv, "n:r:s:j")) != -1) {
		switch (c) {
		case 'n':
			nev = strtol(optarg, NULL, 10);
			break;
		case 'r':
			rounds = strtol(optarg, NULL, 10);
			break;
		case 's':
			every = strtol(optarg, NULL, 10);
			break;
		case 'j':
			json = 1;
			break;
		default:
			fprintf(stderr, "usage: scrub-bench [-n EVENTS] [-r ROUNDS] "
					"[-s SECRET_EVERY] [-j]\n");
			return 100;
		}
	}
	if (nev < 1 || rounds < 1 || every < 1)
		errx(100, "bad arguments");
	if ((s = scrub_new(NULL, 1, ebuf, sizeof(ebuf))) == NULL)
		errx(1, "scrub_new: %s", ebuf);
	pool = calloc(BENCH_BATCH, sizeof(*pool));
	texts = calloc((size_t)nev, sizeof(*texts));
	lens = calloc((size_t)nev, sizeof(*lens));
	if (pool == NULL || texts == NULL || lens == NULL)
		err(1, "calloc");
	for (i = 0; i < nev; i++) {
		json_object *ev = bench_event(
		    (int)(i % 5), (int)i, i % every == 0 ? bench_secrets[(i / every) % 5] : NULL);
		const char *t = json_object_to_json_string_length(
		    ev, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &slen);
		if ((texts[i] = strdup(t)) == NULL)
			err(1, "strdup");
		lens[i] = slen;
		bytes += slen;
		json_object_put(ev);
	}
	for (r = 0; r < rounds; r++) {
		/* Batches small enough to stay in cache, as in the router, which
		 * scrubs each event right after parsing it. */
		redacted = 0;
		el = 0;
		for (b = 0; b < nev; b += BENCH_BATCH) {
			bn = nev - b < BENCH_BATCH ? nev - b : BENCH_BATCH;
			for (i = 0; i < bn; i++)
				if ((pool[i] = json_tokener_parse(texts[b + i])) == NULL)
					errx(1, "parse");
			t0 = bench_cpu_ns();
			for (i = 0; i < bn; i++) {
				if ((n = scrub_event(s, pool[i])) < 0)
					errx(1, "scrub_event: out of memory");
				redacted += n;
			}
			el += bench_cpu_ns() - t0;
			for (i = 0; i < bn; i++)
				json_object_put(pool[i]);
		}
		if (el < best)
			best = el;

		/* The same bytes as text through scrub_string (without the leading
		 * brace, so that it is not parsed as JSON). */
		sred = 0;
		t0 = bench_cpu_ns();
		for (i = 0; i < nev; i++) {
			out = scrub_string(s, texts[i] + 1, lens[i] - 1, &outlen, &sn);
			if (sn < 0)
				errx(1, "scrub_string: out of memory");
			sred += sn;
			free(out);
		}
		el = bench_cpu_ns() - t0;
		if (el < sbest)
			sbest = el;
	}
	/* The slowest of the adversarial strings. */
	double worst = 0;
	const char *worst_pat = "";
	char *adv = malloc(16384 + 1);
	if (adv == NULL)
		err(1, "malloc");
	for (i = 0; bench_adversarial[i] != NULL; i++) {
		size_t pl = strlen(bench_adversarial[i]), k;
		for (k = 0; k < 16384; k++)
			adv[k] = bench_adversarial[i][k % pl];
		adv[16384] = '\0';
		t0 = bench_cpu_ns();
		for (r = 0; r < 10; r++) {
			free(scrub_string(s, adv, 16384, &outlen, &sn));
			if (sn < 0)
				errx(1, "scrub_string: out of memory");
		}
		el = bench_cpu_ns() - t0;
		if (el / 10.0 / 16 > worst) {
			worst = el / 10.0 / 16;
			worst_pat = bench_adversarial[i];
		}
	}
	free(adv);

	double per = (double)best / nev, kib = (double)bytes / nev / 1024.0;
	double sper = (double)sbest / nev;
	if (json)
		printf("{\"events\":%ld,\"avg_bytes\":%.0f,\"ns_per_event\":%.0f,"
		       "\"ns_per_kib\":%.0f,\"mb_per_s\":%.0f,\"events_per_s\":%.0f,"
		       "\"string_ns_per_kib\":%.0f,\"adversarial_worst_ns_per_kib\":%.0f,"
		       "\"redactions\":%ld}\n",
		       nev, kib * 1024, per, per / kib, bytes / (best / 1e9) / 1e6,
		       nev / (best / 1e9), sper / kib, worst, redacted);
	else {
		printf("scrub-bench: %ld events, %.0f bytes each on average, %ld with a secret\n",
		       nev, kib * 1024, (nev + every - 1) / every);
		printf("scrub_event:  %.0f ns/event, %.0f ns per KiB, %.0f MB/s, %.0f events/s "
		       "(best of %ld)\n",
		       per, per / kib, bytes / (best / 1e9) / 1e6, nev / (best / 1e9), rounds);
		printf("scrub_string: %.0f ns per KiB (the serialized events as text)\n",
		       sper / kib);
		printf("adversarial: worst %.0f ns per KiB, 16 KiB of \"%s\" repeated\n", worst,
		       worst_pat);
		printf("redactions: %ld per round\n", redacted);
	}
	for (i = 0; i < nev; i++)
		free(texts[i]);
	free(texts);
	free(lens);
	free(pool);
	scrub_free(s);
	return redacted >= nev / every ? 0 : 1;
}
