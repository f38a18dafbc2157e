/*
 * check_event_scan.c: event_scan() (common/event_scan.c) and the router's fast
 * path that uses it (event-router/router.c).
 *
 * accept:  compact canonical events are scanned, each member's span holds
 *          the value json-c parses for it; the data and meta flags
 * refuse:  whatever the scanner must leave to json-c (white space, syntax
 *          json-c is lenient about, duplicate members, seq, order, types)
 * mutate:  a line with random bytes changed is scanned only when json-c
 *          parses and validates it to the same members
 * router:  the fast path and the general path give the same replies and
 *          events of the same value (byte for byte for hook-capture's lines)
 */
#include <check.h>
#include <dirent.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "event.h"
#include "event_scan.h"
#include "router.h"
#include "scrub.h"

#define ID1 "0123456789abcdef0123456789abcdef"
#define ID2 "fedcba9876543210fedcba9876543210"

#define HEADM "\"id\":\"" ID1 "\",\"ts\":\"2026-11-28T20:25:03.123456Z\",\"event\":\"PreToolUse\""
#define HEAD  "{" HEADM
#define DATA  "\"data\":{\"tool_name\":\"Bash\",\"tool_input\":{\"command\":\"ls -l\"}}"
#define META  "\"meta\":{\"scrubbed\":0,\"truncated\":0,\"capture_us\":12}"

static const char *scan_good[] = {
    HEAD "," DATA "}",
    HEAD "," DATA "," META "}",
    HEAD
    ",\"session_id\":\"s1\",\"agent_id\":\"a\",\"tool\":\"Bash\",\"tool_use_id\":\"t1\","
    "\"cwd\":\"/tmp\",\"host\":\"h\",\"user\":\"u\",\"project\":\"/p\",\"files\":[\"/a\",\"/b\"],"
    "\"data\":{\"x\":[1,2.5,-3e4,true,false,null,{}]}," META "}",
    HEAD ",\"files\":[]," DATA ",\"meta\":{}}",
    HEAD ",\"cwd\":\"C:\\\\dir \xc3\xa9/x\"," DATA "}",
    HEAD ",\"data\":{\"s\":\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\","
	 "\"n\":\"a\\nb\\t\\\"q\\\"\\u001b[0m\","
	 "\"e\":{},\"a\":[],\"z\":0,\"neg\":-0.5e-3,\"big\":123456789012345678}}",
};

static const char *scan_bad[] = {
    "",
    "{}",
    "[]",
    "{\"id\":\"" ID1 "\", \"ts\":\"t\",\"event\":\"e\"," DATA "}", /* white space */
    HEAD "," DATA "} ",
    HEAD "," DATA "}x",
    HEAD "," DATA ",}",
    HEAD ",'tool':'Bash'," DATA "}",
    HEAD ",\"id\":\"" ID2 "\"," DATA "}",	/* duplicate id */
    "{\"seq\":3," HEADM ",\"seq\":3," DATA "}", /* seq */
    HEAD ",\"seq\":3," DATA "}",
    "{" DATA "," HEADM "}",	     /* data first */
    HEAD "," META "," DATA "}",	     /* meta before data */
    HEAD "," DATA ",\"cwd\":\"/\"}", /* a member after data */
    HEAD ",\"data\":{\"n\":NaN}}",
    HEAD ",\"data\":{\"n\":Infinity}}",
    HEAD ",\"data\":{\"n\":1234567890123456789012}}",
    HEAD ",\"data\":{\"n\":01}}",
    HEAD ",\"data\":{\"n\":1.}}",
    HEAD ",\"data\":{\"n\":+1}}",
    HEAD ",\"data\":{\"s\":\"\\ud800\"}}",
    HEAD ",\"data\":{\"s\":\"\\x41\"}}",
    HEAD ",\"data\":{\"s\":\"a\tb\"}}",
    HEAD ",\"data\":{\"s\":\"\xff\"}}",
    HEAD ",\"data\":{\"s\":\"\xed\xa0\x80\"}}",
    HEAD ",\"data\":{\"k\\u0041\":1}}", /* escaped key */
    HEAD ",\"data\":{\"a\":1,}}",
    HEAD ",\"data\":{\"a\" :1}}",
    HEAD ",\"data\":[1]}",
    HEAD ",\"data\":\"x\"}",
    HEAD ",\"files\":[1]," DATA "}",
    HEAD ",\"files\":\"a\"," DATA "}",
    HEAD ",\"tool\":3," DATA "}",
    HEAD ",\"session_id\":\"a\\/b\"," DATA "}", /* escapes in a key string */
    HEAD "," DATA ",\"meta\":[]}",
    HEAD "," DATA ",\"meta\":{\"scrubbed\":1,\"scrubbed\":2}}",
    HEAD "," DATA ",\"meta\":{\"scrubbed\":1.5}}",
    "{\"id\":\"0123456789ABCDEF0123456789abcdef\",\"ts\":\"t\",\"event\":\"e\"," DATA "}",
    "{\"id\":\"0123\",\"ts\":\"t\",\"event\":\"e\"," DATA "}",
    "{\"id\":\"" ID1 "\",\"ts\":\"t\",\"event\":\"\"," DATA "}",
    "{\"id\":\"" ID1 "\",\"ts\":5,\"event\":\"e\"," DATA "}",
    "{\"id\":\"" ID1 "\",\"event\":\"e\"," DATA "}",
    HEAD "}",
    HEAD ",\"data\":{\"a\":tru}}",
    HEAD ",\"data\":{\"a\":\"x}}",
    HEAD ",\"data\":{\"s\":\"\\u00e9\"}}",		      /* json-c would write UTF-8 */
    HEAD ",\"data\":{\"s\":\"a\\/b\"}}",		      /* json-c would write / */
    HEAD ",\"tool\":\"Bash\",\"session_id\":\"s\"," DATA "}", /* order */
    HEAD ",\"x-extra\":1," DATA "}",			      /* unknown member */
};

/* Whether every known member's span parses to the value json-c gives it. */
static void
check_spans(const char *line, const struct event_scan *sc)
{
	static const char *names[EVENT_M_COUNT] = {
	    "seq", "id",   "ts",   "event",   "session_id", "agent_id", "tool", "tool_use_id",
	    "cwd", "host", "user", "project", "files",	    "data",	"meta"};
	struct event_limits lim;
	const char *reason = NULL;
	json_object *ev, *v, *w;
	char *span;
	int m;

	event_limits_default(&lim);
	ev = event_parse_line(line, strlen(line), &lim, &reason);
	ck_assert_msg(ev != NULL, "json-c refuses a scanned line (%s): %s", reason, line);
	ck_assert_msg(event_validate(ev, &reason) == 0, "scanned but invalid (%s): %s", reason,
		      line);
	/* json-c drops repeated keys, never adds any */
	ck_assert_uint_ge(sc->es_members, event_scan_count_members(ev));
	for (m = 0; m < EVENT_M_COUNT; m++) {
		if (sc->es_len[m] == 0) {
			ck_assert(!json_object_object_get_ex(ev, names[m], NULL));
			continue;
		}
		ck_assert(json_object_object_get_ex(ev, names[m], &v));
		span = strndup(line + sc->es_off[m], sc->es_len[m]);
		w = json_tokener_parse(span);
		ck_assert_msg(w != NULL && json_object_equal(v, w), "member %s: %s", names[m],
			      span);
		json_object_put(w);
		free(span);
	}
	json_object_put(ev);
}

START_TEST(scan_accept)
{
	struct event_scan sc;
	const char *l = scan_good[_i];

	ck_assert_msg(event_scan(l, strlen(l), 64, &sc) == 0, "refused: %s", l);
	check_spans(l, &sc);
}
END_TEST

START_TEST(scan_flags)
{
	struct event_scan sc;
	const char *l;

	l = HEAD "," DATA "," META "}";
	ck_assert_int_eq(event_scan(l, strlen(l), 64, &sc), 0);
	ck_assert_int_eq(sc.es_data_plain, 1);
	ck_assert_int_eq(sc.es_meta_scrubbed, 1);
	l = HEAD "," DATA ",\"meta\":{\"truncated\":0}}";
	ck_assert_int_eq(event_scan(l, strlen(l), 64, &sc), 0);
	ck_assert_int_eq(sc.es_meta_scrubbed, 0);
	/* escapes that may hide a scrub trigger once decoded twice (JSON in a
	 * string): {"u":"https:\/\/u:p@h"} and ["\u0041KIA"] */
	l = HEAD ",\"data\":{\"j\":\"{\\\"u\\\":\\\"https:\\\\/\\\\/u:p@h\\\"}\"}}";
	ck_assert_int_eq(event_scan(l, strlen(l), 64, &sc), 0);
	ck_assert_int_eq(sc.es_data_plain, 0);
	check_spans(l, &sc);
	l = HEAD ",\"data\":{\"j\":\"[\\\"\\\\u0041KIA\\\"]\"}}";
	ck_assert_int_eq(event_scan(l, strlen(l), 64, &sc), 0);
	ck_assert_int_eq(sc.es_data_plain, 0);
	check_spans(l, &sc);
	/* once decoded: escapes json-c would not write */
	l = HEAD ",\"data\":{\"u\":\"\\u0041KIA\"}}";
	ck_assert_int_eq(event_scan(l, strlen(l), 64, &sc), -1);
	l = HEAD ",\"data\":{\"u\":\"https:\\/\\/u:p@h\"}}";
	ck_assert_int_eq(event_scan(l, strlen(l), 64, &sc), -1);
	/* escapes that cannot hide one */
	l = HEAD
	    ",\"data\":{\"s\":\"a\\nb\\\"c\\u001b\\\\d\",\"j\":\"{\\\"k\\\":\\\"\\\\\\\"\\\"}\"}}";
	ck_assert_int_eq(event_scan(l, strlen(l), 64, &sc), 0);
	ck_assert_int_eq(sc.es_data_plain, 1);
	check_spans(l, &sc);
	/* outside data they do not count */
	l = HEAD ",\"cwd\":\"\\\\u\"," DATA "}";
	ck_assert_int_eq(event_scan(l, strlen(l), 64, &sc), 0);
	ck_assert_int_eq(sc.es_data_plain, 1);
}
END_TEST

START_TEST(scan_refuse)
{
	struct event_scan sc;
	const char *l = scan_bad[_i];

	ck_assert_msg(event_scan(l, strlen(l), 64, &sc) == -1, "scanned: %s", l);
}
END_TEST

START_TEST(scan_depth)
{
	struct event_scan sc;
	char line[4096];
	size_t n;
	int d, i;

	for (d = 1; d < 80; d++) {
		n = (size_t)snprintf(line, sizeof(line), HEAD ",\"data\":{\"a\":");
		for (i = 0; i < d; i++)
			line[n++] = '[';
		for (i = 0; i < d; i++)
			line[n++] = ']';
		line[n++] = '}';
		line[n++] = '}';
		line[n] = '\0';
		if (event_scan(line, n, 16, &sc) == 0) {
			struct event_limits lim;
			const char *reason;
			json_object *ev;

			event_limits_default(&lim);
			lim.depth_max = 16;
			ev = event_parse_line(line, n, &lim, &reason);
			ck_assert_msg(ev != NULL, "depth %d scanned, json-c: %s", d, reason);
			json_object_put(ev);
		} else
			ck_assert_int_gt(d, 10);
	}
}
END_TEST

START_TEST(scan_mutate)
{
	static const char alpha[] = "{}[]\":,\\/u0aeE.-+ \t\x80\xc3\xa9nt";
	struct event_scan sc;
	char line[1024];
	size_t len, i, base;
	int k, scanned = 0;

	srandom(42);
	for (k = 0; k < 200000; k++) {
		const char *src = scan_good[(size_t)k % (sizeof(scan_good) / sizeof(scan_good[0]))];

		base = strlen(src);
		memcpy(line, src, base + 1);
		len = base;
		for (i = 0; i < 1 + (size_t)random() % 3; i++) {
			size_t at = (size_t)random() % len;

			switch (random() % 3) {
			case 0:
				line[at] = alpha[random() % (sizeof(alpha) - 1)];
				break;
			case 1:
				memmove(line + at, line + at + 1, len - at);
				len--;
				break;
			default:
				if (len + 2 < sizeof(line)) {
					memmove(line + at + 1, line + at, len - at + 1);
					line[at] = alpha[random() % (sizeof(alpha) - 1)];
					len++;
				}
			}
		}
		if (memchr(line, '\0', len) != NULL)
			continue;
		if (event_scan(line, len, 64, &sc) == 0) {
			scanned++;
			check_spans(line, &sc);
		}
	}
	ck_assert_int_gt(scanned, 1000);
}
END_TEST

/* ---------------------------------------------------------------- router */

struct rt_side {
	struct ring *ring;
	struct journal *jr;
	struct router *rt;
	char dir[64], ring_name[64];
};

static int
rm_cb(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void
side_open(struct rt_side *s, struct scrub *sc, int slow_only, int n)
{
	struct journal_opts jo = {1 << 30, 1ULL << 34, 0, JOURNAL_FSYNC_NEVER};
	struct router_opts ro;
	char err[256];
	size_t trunc;

	snprintf(s->dir, sizeof(s->dir), "/tmp/check-scan.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(s->dir));
	snprintf(s->ring_name, sizeof(s->ring_name), "/hookwire-check-scan-%ld-%d", (long)getpid(),
		 n);
	s->ring = ring_create(s->ring_name, 1 << 20, err, sizeof(err));
	ck_assert_msg(s->ring != NULL, "%s", err);
	s->jr = journal_open(s->dir, &jo, &trunc, err, sizeof(err));
	ck_assert_msg(s->jr != NULL, "%s", err);
	memset(&ro, 0, sizeof(ro));
	event_limits_default(&ro.lim);
	ro.line_max = 1 << 20;
	ro.lim.input_max = ro.line_max;
	ro.dedup_ids = 1024;
	ro.dedup_window_us = 60000000;
	ro.scrub_enabled = sc != NULL;
	ro.slow_only = slow_only;
	s->rt = router_new(&ro, s->ring, s->jr, sc, err, sizeof(err));
	ck_assert_msg(s->rt != NULL, "%s", err);
}

static void
side_close(struct rt_side *s)
{
	router_free(s->rt);
	journal_close(s->jr);
	ring_close(s->ring);
	shm_unlink(s->ring_name);
	nftw(s->dir, rm_cb, 8, FTW_DEPTH | FTW_PHYS);
}

static int
collect_cb(void *arg, const char *line, size_t len, uint64_t seq)
{
	json_object *a = arg;

	(void)seq;
	json_object_array_add(a, json_object_new_string_len(line, (int)len));
	return 0;
}

/* The canonical event hook-capture makes of each fixture: a line. */
static size_t
fixture_lines(char lines[][65536], size_t max)
{
	static const struct event_env env = {"host", "user", NULL};
	struct event_limits lim;
	const char *src = getenv("HOOKWIRE_SRC");
	char dir[4096], path[8192], buf[65536];
	struct dirent *de;
	DIR *d;
	FILE *f;
	size_t n = 0, len, sl;
	json_object *ev;
	const char *s;

	event_limits_default(&lim);
	snprintf(dir, sizeof(dir), "%s/tests/fixtures/hooks", src ? src : ".");
	ck_assert_ptr_nonnull(d = opendir(dir));
	while ((de = readdir(d)) != NULL && n < max) {
		if (strstr(de->d_name, ".json") == NULL)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		ck_assert_ptr_nonnull(f = fopen(path, "r"));
		len = fread(buf, 1, sizeof(buf), f);
		fclose(f);
		ev = event_from_hook(buf, len, &lim, &env, 1764361503123456LL);
		ck_assert_ptr_nonnull(ev);
		s = event_to_string(ev, &sl);
		ck_assert_uint_lt(sl, 65536);
		memcpy(lines[n], s, sl + 1);
		n++;
		json_object_put(ev);
	}
	closedir(d);
	return n;
}

START_TEST(router_same)
{
	static char fx[16][65536];
	static const char *extra[] = {
	    HEAD "," DATA "}",
	    HEAD "," DATA ",\"meta\":{}}",
	    HEAD "," DATA ",\"meta\":{\"truncated\":3}}",
	    HEAD ",\"data\":{\"u\":\"https:\\/\\/bob:hunter22@example.com\\/\"}}",
	    HEAD ",\"data\":{\"password\":\"hunter22\"}}",
	    HEAD
	    ",\"data\":{\"c\":\"export GITHUB_TOKEN=ghp_0123456789abcdefghijABCDEFGHIJ012345\"}}",
	    HEAD ",\"cwd\":\"\\u00e9\"," DATA "}",
	    HEAD ",\"data\":{\"d\":{\"password\":\"hunter22\"},\"d\":1}}",
	    HEAD ",\"data\":{\"d\":{\"x\":\"first\",\"x\":1}}}",
	    HEAD ", \"data\":{}}",
	    HEAD ",\"seq\":9," DATA "}",
	    "{" DATA "," HEADM "}",
	    HEAD ",\"data\":{\"big\":123456789012345678901234}}",
	    "not json",
	    HEAD "," DATA ",\"meta\":{\"scrubbed\":4}}",
	};
	struct rt_side fast, slow;
	struct scrub *sc = NULL;
	char err[256], rf[256], rs[256], line[70000];
	const char *reason;
	json_object *jf, *js, *a, *b;
	size_t nfx, i, k, n;
	uint64_t seq;
	int round;

	if (_i == 1) {
		sc = scrub_new(NULL, 1, err, sizeof(err));
		ck_assert_msg(sc != NULL, "%s", err);
	}
	nfx = fixture_lines(fx, 16);
	ck_assert_uint_gt(nfx, 0);
	for (i = 0; i < nfx; i++) { /* hook-capture's lines take the fast path */
		struct event_scan es;

		ck_assert_int_eq(event_scan(fx[i], strlen(fx[i]), 64, &es), 0);
	}
	side_open(&fast, sc, 0, 2 * _i);
	side_open(&slow, sc, 1, 2 * _i + 1);
	n = nfx + sizeof(extra) / sizeof(extra[0]);
	for (round = 0; round < 3; round++) {
		for (i = 0; i < n; i++) {
			const char *l = i < nfx ? fx[i] : extra[i - nfx];

			char id[EVENT_ID_LEN + 1];
			const char *at;

			snprintf(line, sizeof(line), "%s", l);
			/* an id per line; round 1: new ids, the same content (duplicates
			 * by content); round 2: the ids of round 0 (duplicates by id) */
			snprintf(id, sizeof(id), "%08x%024zx",
				 round == 1 ? 0x11111111u : 0x22222222u, i);
			if ((at = strstr(line, "\"id\":\"")) != NULL &&
			    (k = (size_t)(at - line)) < 100 && strlen(line + k + 6) > EVENT_ID_LEN)
				memcpy(line + k + 6, id, EVENT_ID_LEN);
			enum router_verdict vf =
			    router_line(fast.rt, line, strlen(line), &seq, &reason, rf, sizeof(rf));
			enum router_verdict vs =
			    router_line(slow.rt, line, strlen(line), &seq, &reason, rs, sizeof(rs));

			ck_assert_int_eq(vf, vs);
			ck_assert_str_eq(rf, rs);
		}
		ck_assert_int_eq(router_commit(fast.rt, err, sizeof(err)), 0);
		ck_assert_int_eq(router_commit(slow.rt, err, sizeof(err)), 0);
	}
	jf = json_object_new_array();
	js = json_object_new_array();
	ck_assert_int_eq(journal_replay(fast.dir, 1, collect_cb, jf, err, sizeof(err)), 0);
	ck_assert_int_eq(journal_replay(slow.dir, 1, collect_cb, js, err, sizeof(err)), 0);
	ck_assert_uint_eq(json_object_array_length(jf), json_object_array_length(js));
	ck_assert_uint_ge(json_object_array_length(jf), nfx);
	for (i = 0; i < json_object_array_length(jf); i++) {
		const char *f = json_object_get_string(json_object_array_get_idx(jf, i));
		const char *s = json_object_get_string(json_object_array_get_idx(js, i));

		/* hook-capture's own lines: the same bytes */
		if (i < nfx)
			ck_assert_str_eq(f, s);
		a = json_tokener_parse(f);
		b = json_tokener_parse(s);
		ck_assert_msg(a != NULL && b != NULL && json_object_equal(a, b), "%s\n%s", f, s);
		/* the secrets are gone from both */
		if (sc != NULL) {
			ck_assert_ptr_null(strstr(f, "hunter22"));
			ck_assert_ptr_null(strstr(f, "ghp_0123"));
		}
		json_object_put(a);
		json_object_put(b);
	}
	json_object_put(jf);
	json_object_put(js);
	side_close(&fast);
	side_close(&slow);
	scrub_free(sc);
}
END_TEST

/*
 * The content window is keyed on what arrived: prompts of one session that
 * differ only in a secret are as many events (each scrubbed), on the fast
 * path (scrubbing triggers the slow path for them) and with slow_only alike;
 * the same prompt again with a new id is still one duplicate.
 */
START_TEST(router_secrets_distinct)
{
	static const char *secrets[] = {
	    "sk-ant-api03-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
	    "sk-ant-oat01-BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB",
	    "sk-ant-ort01-CCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCC",
	    "sk-ant-api03-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB",
	};
	struct rt_side side;
	struct scrub *sc;
	char err[256], reply[256], line[512];
	const char *reason;
	json_object *got;
	size_t i, n = sizeof(secrets) / sizeof(secrets[0]);
	uint64_t seq;

	sc = scrub_new(NULL, 1, err, sizeof(err));
	ck_assert_msg(sc != NULL, "%s", err);
	side_open(&side, sc, _i, 10 + _i);
	for (i = 0; i <= n; i++) {
		/* i == n: the first prompt delivered again under a new id */
		snprintf(line, sizeof(line),
			 "{\"id\":\"%032zx\",\"ts\":\"2026-11-28T20:25:03.123456Z\","
			 "\"event\":\"UserPromptSubmit\",\"session_id\":\"s1\","
			 "\"data\":{\"prompt\":\"use the key %s please\"}}",
			 i + 1, secrets[i < n ? i : 0]);
		ck_assert_int_eq(
		    router_line(side.rt, line, strlen(line), &seq, &reason, reply, sizeof(reply)),
		    i < n ? ROUTER_ACCEPTED : ROUTER_DUPLICATE);
		ck_assert_uint_eq(seq, i < n ? i + 1 : 1);
	}
	ck_assert_int_eq(router_commit(side.rt, err, sizeof(err)), 0);
	got = json_object_new_array();
	ck_assert_int_eq(journal_replay(side.dir, 1, collect_cb, got, err, sizeof(err)), 0);
	ck_assert_uint_eq(json_object_array_length(got), n);
	for (i = 0; i < n; i++) {
		const char *l = json_object_get_string(json_object_array_get_idx(got, i));

		ck_assert_ptr_nonnull(strstr(l, "[REDACTED:anthropic-key]"));
		ck_assert_ptr_null(strstr(l, "sk-ant-"));
	}
	json_object_put(got);
	side_close(&side);
	scrub_free(sc);
}
END_TEST

static Suite *
scan_suite(void)
{
	Suite *s = suite_create("event_scan");
	TCase *tc;

	tc = tcase_create("accept");
	tcase_add_loop_test(tc, scan_accept, 0, sizeof(scan_good) / sizeof(scan_good[0]));
	tcase_add_test(tc, scan_flags);
	suite_add_tcase(s, tc);
	tc = tcase_create("refuse");
	tcase_add_loop_test(tc, scan_refuse, 0, sizeof(scan_bad) / sizeof(scan_bad[0]));
	tcase_add_test(tc, scan_depth);
	suite_add_tcase(s, tc);
	tc = tcase_create("mutate");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, scan_mutate);
	suite_add_tcase(s, tc);
	tc = tcase_create("router");
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, router_same, 0, 2);		/* scrubbing off, on */
	tcase_add_loop_test(tc, router_secrets_distinct, 0, 2); /* fast path, slow_only */
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(scan_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
