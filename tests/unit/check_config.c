/*
 * check_config.c: configuration (common/config.c, common/config_keys.c).
 *
 * core:       defaults, JSON and YAML files, environment, precedence, dump
 * malformed:  unknown keys, sections and variables; bad values; the error
 *             names the file and the key
 * doc:        every key of config_keys[] is documented in hookwire.conf(5)
 */
#include <sys/stat.h>

#include <check.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "config.h"

static char tmpdir[4096];

static void
setup(void)
{
	const char *base = getenv("HOOKWIRE_TEST_TMP");

	snprintf(tmpdir, sizeof(tmpdir), "%s/check_config.XXXXXX", base ? base : "/tmp");
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

/* Writes text to tmpdir/name; returns the path (static). */
static const char *
write_file(const char *name, const char *text)
{
	static char path[8192];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
	return path;
}

START_TEST(test_defaults)
{
	struct config *cfg = config_new();

	ck_assert_ptr_nonnull(cfg);
	ck_assert_int_eq(config_int(cfg, NULL, "version"), CONFIG_VERSION);
	ck_assert_str_eq(config_str(cfg, NULL, "instance"), "default");
	ck_assert_int_eq(config_int(cfg, "capture", "field_max"), 16 * 1024);
	ck_assert_int_eq(config_int(cfg, "capture", "event_max"), 1024 * 1024);
	ck_assert_int_eq(config_int(cfg, "ring", "size"), 64 * 1024 * 1024);
	ck_assert_int_eq(config_int(cfg, "journal", "keep_bytes"), 1024LL * 1024 * 1024);
	ck_assert_int_eq(config_int(cfg, "gateway", "max_payload"), 1000000);
	ck_assert_str_eq(config_str(cfg, "gateway", "listen"), "127.0.0.1:8765");
	ck_assert_int_eq(config_bool(cfg, "scrub", "enabled"), 1);
	ck_assert_int_eq(config_bool(cfg, "gateway", "allow_remote"), 0);
	ck_assert_str_eq(config_str(cfg, "log", "level"), "info");
	ck_assert_str_eq(config_str(cfg, "journal", "fsync"), "batch");
	ck_assert_str_eq(config_str(cfg, "gateway", "origins"), "");
	config_free(cfg);
	config_free(NULL);
}
END_TEST

START_TEST(test_json_file)
{
	struct config *cfg = config_new();
	char err[512] = "";
	const char *p;

	p = write_file("hookwire.conf",
		       "  {\"version\": 1, \"instance\": \"t1\",\n"
		       "   \"router\": {\"dedup_window_ms\": 500, \"line_max\": \"2M\"},\n"
		       "   \"gateway\": {\"listen\": \"127.0.0.1:0\", \"allow_remote\": true,\n"
		       "               \"origins\": [\"http://a\", \"http://b\"]},\n"
		       "   \"log\": {\"level\": \"debug\"}, \"ring\": {\"size\": 1048576}}\n");
	ck_assert_msg(config_load_file(cfg, p, err, sizeof(err)) == 0, "%s", err);
	ck_assert_str_eq(config_str(cfg, NULL, "instance"), "t1");
	ck_assert_int_eq(config_int(cfg, "router", "dedup_window_ms"), 500);
	ck_assert_int_eq(config_int(cfg, "router", "line_max"), 2 * 1024 * 1024);
	ck_assert_str_eq(config_str(cfg, "gateway", "listen"), "127.0.0.1:0");
	ck_assert_int_eq(config_bool(cfg, "gateway", "allow_remote"), 1);
	ck_assert_str_eq(config_str(cfg, "gateway", "origins"), "http://a,http://b");
	ck_assert_str_eq(config_str(cfg, "log", "level"), "debug");
	ck_assert_int_eq(config_int(cfg, "ring", "size"), 1048576);
	config_free(cfg);
}
END_TEST

START_TEST(test_yaml_file)
{
	struct config *cfg = config_new();
	char err[512] = "";
	const char *p;

	p = write_file("hookwire.yaml", "# a comment\n"
					"version: 1\n"
					"instance: y1\n"
					"router:\n"
					"  dedup_window_ms: 750\n"
					"  conn_buffer: 64k\n"
					"scrub:\n"
					"  enabled: no\n"
					"  rules_file: \"/etc/hookwire/rules\"\n"
					"gateway:\n"
					"  origins:\n"
					"    - http://x\n"
					"    - http://y\n"
					"capture:\n"
					"  context_files: [\"/a.md\", \"/b.md\"]\n");
	ck_assert_msg(config_load_file(cfg, p, err, sizeof(err)) == 0, "%s", err);
	ck_assert_str_eq(config_str(cfg, NULL, "instance"), "y1");
	ck_assert_int_eq(config_int(cfg, "router", "dedup_window_ms"), 750);
	ck_assert_int_eq(config_int(cfg, "router", "conn_buffer"), 65536);
	ck_assert_int_eq(config_bool(cfg, "scrub", "enabled"), 0);
	ck_assert_str_eq(config_str(cfg, "scrub", "rules_file"), "/etc/hookwire/rules");
	ck_assert_str_eq(config_str(cfg, "gateway", "origins"), "http://x,http://y");
	ck_assert_str_eq(config_str(cfg, "capture", "context_files"), "/a.md,/b.md");
	config_free(cfg);

	/* An empty file sets nothing. */
	cfg = config_new();
	p = write_file("empty.yaml", "\n");
	ck_assert_msg(config_load_file(cfg, p, err, sizeof(err)) == 0, "%s", err);
	config_free(cfg);
}
END_TEST

START_TEST(test_env)
{
	char *envp[] = {"PATH=/bin",
			"HOOKWIRE_INSTANCE=e1",
			"HOOKWIRE_ROUTER_DEDUP_WINDOW_MS=10",
			"HOOKWIRE_GATEWAY_ORIGINS=http://a,http://b",
			"HOOKWIRE_SCRUB_ENABLED=off",
			"HOOKWIRE_TEST_TMP=/whatever",
			"HOOKWIRE_BIN=/x",
			"HOOKWIRE_SRC=/x",
			"HOOKWIRE_BUILD=/x",
			"HOOKWIRE_FIXTURES=/x",
			"HOOKWIRE_CONFIG=",
			NULL};
	struct config *cfg = config_new();
	char err[512] = "";

	ck_assert_msg(config_load_env(cfg, envp, err, sizeof(err)) == 0, "%s", err);
	ck_assert_str_eq(config_str(cfg, NULL, "instance"), "e1");
	ck_assert_int_eq(config_int(cfg, "router", "dedup_window_ms"), 10);
	ck_assert_str_eq(config_str(cfg, "gateway", "origins"), "http://a,http://b");
	ck_assert_int_eq(config_bool(cfg, "scrub", "enabled"), 0);
	config_free(cfg);
}
END_TEST

START_TEST(test_precedence)
{
	struct config *cfg = config_new();
	char err[512] = "", cfgvar[8300];
	const char *p;
	char *envp[4];

	p = write_file("p.conf", "{\"router\": {\"dedup_window_ms\": 100, \"dedup_ids\": 5},"
				 " \"instance\": \"file\"}");
	snprintf(cfgvar, sizeof(cfgvar), "HOOKWIRE_CONFIG=%s", p);
	envp[0] = cfgvar;
	envp[1] = "HOOKWIRE_ROUTER_DEDUP_WINDOW_MS=200";
	envp[2] = "HOOKWIRE_INSTANCE=env";
	envp[3] = NULL;
	/* File (named by HOOKWIRE_CONFIG), then environment, then flags. */
	ck_assert_msg(config_load(cfg, NULL, envp, err, sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(config_int(cfg, "router", "dedup_ids"), 5);
	ck_assert_int_eq(config_int(cfg, "router", "dedup_window_ms"), 200);
	ck_assert_str_eq(config_str(cfg, NULL, "instance"), "env");
	ck_assert_int_eq(config_set(cfg, NULL, "instance", "flag", err, sizeof(err)), 0);
	ck_assert_str_eq(config_str(cfg, NULL, "instance"), "flag");
	config_free(cfg);

	/* An explicit path wins over HOOKWIRE_CONFIG. */
	cfg = config_new();
	p = write_file("q.conf", "instance: explicit\n");
	envp[1] = NULL;
	ck_assert_msg(config_load(cfg, p, envp, err, sizeof(err)) == 0, "%s", err);
	ck_assert_str_eq(config_str(cfg, NULL, "instance"), "explicit");
	config_free(cfg);
}
END_TEST

/* The default file: $XDG_CONFIG_HOME's, else ~/.config's, else the system's;
 * HOOKWIRE_CONFIG set but empty: none at all. */
START_TEST(test_default_file)
{
	char xdg[8300], home[8300], cfgvar[64], buf[8400], dir[8300];
	char *envp[3];
	struct config *cfg;
	struct stat st;
	char err[512] = "";
	const char *got, *sys = stat(CONFIG_SYSTEM_FILE, &st) == 0 ? CONFIG_SYSTEM_FILE : NULL;

	snprintf(dir, sizeof(dir), "%s/x", tmpdir);
	mkdir(dir, 0700);
	snprintf(dir, sizeof(dir), "%s/x/hookwire", tmpdir);
	mkdir(dir, 0700);
	write_file("x/hookwire/hookwire.conf", "instance: fromxdg\n");
	snprintf(xdg, sizeof(xdg), "XDG_CONFIG_HOME=%s/x", tmpdir);
	snprintf(home, sizeof(home), "HOME=%s/nohome", tmpdir);
	envp[0] = xdg;
	envp[1] = home;
	envp[2] = NULL;
	got = config_default_path(envp, buf, sizeof(buf));
	ck_assert_ptr_nonnull(got);
	ck_assert_msg(strstr(got, "/x/hookwire/hookwire.conf") != NULL, "%s", got);
	cfg = config_new();
	ck_assert_msg(config_load(cfg, NULL, envp, err, sizeof(err)) == 0, "%s", err);
	ck_assert_str_eq(config_str(cfg, NULL, "instance"), "fromxdg");
	config_free(cfg);

	/* no XDG_CONFIG_HOME: $HOME/.config */
	snprintf(dir, sizeof(dir), "%s/h", tmpdir);
	mkdir(dir, 0700);
	snprintf(dir, sizeof(dir), "%s/h/.config", tmpdir);
	mkdir(dir, 0700);
	snprintf(dir, sizeof(dir), "%s/h/.config/hookwire", tmpdir);
	mkdir(dir, 0700);
	write_file("h/.config/hookwire/hookwire.conf", "instance: fromhome\n");
	snprintf(home, sizeof(home), "HOME=%s/h", tmpdir);
	envp[0] = home;
	envp[1] = "XDG_CONFIG_HOME=relative/is/ignored";
	got = config_default_path(envp, buf, sizeof(buf));
	ck_assert_ptr_nonnull(got);
	ck_assert_msg(strstr(got, "/h/.config/hookwire/hookwire.conf") != NULL, "%s", got);

	/* neither: the system file, if this machine has one */
	snprintf(home, sizeof(home), "HOME=%s/nohome", tmpdir);
	envp[1] = NULL;
	got = config_default_path(envp, buf, sizeof(buf));
	if (sys == NULL)
		ck_assert_ptr_null(got);
	else
		ck_assert_str_eq(got, sys);

	/* HOOKWIRE_CONFIG= : no file, even with a default one present */
	snprintf(cfgvar, sizeof(cfgvar), "HOOKWIRE_CONFIG=");
	envp[0] = xdg;
	envp[1] = cfgvar;
	envp[2] = NULL;
	cfg = config_new();
	ck_assert_msg(config_load(cfg, NULL, envp, err, sizeof(err)) == 0, "%s", err);
	ck_assert_str_eq(config_str(cfg, NULL, "instance"), "default");
	config_free(cfg);
}
END_TEST

/* A version 1 file (or none named) reads a renamed key under its new name
 * and value, with a warning; so does the environment; migration rewrites the
 * text for the current layout, comments and order kept, and the result
 * reads the same without warnings. */
START_TEST(test_migrate)
{
	static const char *v1y = "# my hookwire\ninstance: old\ngateway:\n  # be patient\n"
				 "  outbuf_soft_seconds: 7   # seven\n  clients_max: 50\n";
	static const char *v1j =
	    "{\n  \"version\": 1,\n  \"gateway\": {\"outbuf_soft_seconds\": 3,\n"
	    "    \"clients_max\": 9}\n}\n";
	struct config *a, *b;
	char err[512] = "", *m, *envp[2];
	const char *p;
	int changed;

	a = config_new();
	p = write_file("v1.yaml", v1y);
	ck_assert_msg(config_load_file(a, p, err, sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(config_int(a, "gateway", "outbuf_soft_ms"), 7000);
	ck_assert_int_eq(config_file_version(a), 1);
	ck_assert_msg(strstr(config_warnings(a),
			     "gateway.outbuf_soft_seconds is "
			     "gateway.outbuf_soft_ms since layout version 2") != NULL,
		      "%s", config_warnings(a));
	m = config_migrate_text(v1y, strlen(v1y), &changed, err, sizeof(err));
	ck_assert_msg(m != NULL, "%s", err);
	ck_assert_int_eq(changed, 1);
	ck_assert_msg(strstr(m, "# my hookwire\n") == m && strstr(m, "# be patient\n") != NULL &&
			  strstr(m, "outbuf_soft_ms: 7000   # seven\n") != NULL &&
			  strstr(m, "version: 2\n") != NULL &&
			  strstr(m, "clients_max: 50\n") != NULL,
		      "%s", m);
	b = config_new();
	p = write_file("v2.yaml", m);
	ck_assert_msg(config_load_file(b, p, err, sizeof(err)) == 0, "%s\n%s", err, m);
	ck_assert_str_eq(config_warnings(b), "");
	ck_assert_int_eq(config_file_version(b), 2);
	ck_assert_int_eq(config_int(b, "gateway", "outbuf_soft_ms"), 7000);
	ck_assert_int_eq(config_int(b, "gateway", "clients_max"), 50);
	ck_assert_str_eq(config_str(b, NULL, "instance"), "old");
	free(m);
	config_free(a);
	config_free(b);

	/* JSON: the version rewritten in place */
	m = config_migrate_text(v1j, strlen(v1j), &changed, err, sizeof(err));
	ck_assert_msg(m != NULL, "%s", err);
	ck_assert_msg(strstr(m, "\"version\": 2,") != NULL &&
			  strstr(m, "\"outbuf_soft_ms\": 3000,") != NULL,
		      "%s", m);
	b = config_new();
	p = write_file("v2.json", m);
	ck_assert_msg(config_load_file(b, p, err, sizeof(err)) == 0, "%s\n%s", err, m);
	ck_assert_int_eq(config_int(b, "gateway", "outbuf_soft_ms"), 3000);
	ck_assert_str_eq(config_warnings(b), "");
	free(m);
	config_free(b);

	/* already current: nothing to change */
	m = config_migrate_text("version: 2\n", 11, &changed, err, sizeof(err));
	ck_assert_ptr_nonnull(m);
	ck_assert_int_eq(changed, 0);
	free(m);

	/* the environment keeps the old name working, with a warning */
	a = config_new();
	envp[0] = "HOOKWIRE_GATEWAY_OUTBUF_SOFT_SECONDS=2";
	envp[1] = NULL;
	ck_assert_msg(config_load_env(a, envp, err, sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(config_int(a, "gateway", "outbuf_soft_ms"), 2000);
	ck_assert_ptr_nonnull(strstr(config_warnings(a), "HOOKWIRE_GATEWAY_OUTBUF_SOFT_SECONDS: "));
	config_free(a);
}
END_TEST

START_TEST(test_dump)
{
	struct config *cfg = config_new();
	json_object *o, *v;
	char err[256];
	char *s;

	ck_assert_int_eq(
	    config_set(cfg, "gateway", "origins", "http://a,http://b", err, sizeof(err)), 0);
	s = config_dump(cfg);
	ck_assert_ptr_nonnull(s);
	o = json_tokener_parse(s);
	ck_assert_ptr_nonnull(o);
	ck_assert(json_object_object_get_ex(o, "version", &v));
	ck_assert_int_eq(json_object_get_int(v), CONFIG_VERSION);
	ck_assert(json_object_object_get_ex(o, "capture", &v));
	ck_assert(json_object_object_get_ex(v, "field_max", &v));
	ck_assert(json_object_is_type(v, json_type_int));
	ck_assert_int_eq(json_object_get_int(v), 16384);
	ck_assert(json_object_object_get_ex(o, "gateway", &v));
	ck_assert(json_object_object_get_ex(v, "origins", &v));
	ck_assert_int_eq(json_object_array_length(v), 2);
	json_object_put(o);
	free(s);
	config_free(cfg);
}
END_TEST

/* ---------------------------------------------------------------- malformed */

static const struct {
	const char *name;
	const char *text;
	const char *want; /* substring of the error after "<path>: " */
} bad_files[] = {
    {"a.conf", "{\"router\": {\"dedup_window_ms\": 900000}}",
     "router.dedup_window_ms: must be an integer between 0 and 600000"},
    {"b.conf", "{\"router\": {\"nope\": 1}}", "router.nope: unknown key"},
    {"c.conf", "{\"nosuch\": {\"a\": 1}}", "nosuch: unknown section"},
    {"d.conf", "{\"frobnicate\": 1}", "frobnicate: unknown key"},
    {"e.conf", "{\"version\": 3}", "version: must be an integer between 1 and 2"},
    /* version 2 has no outbuf_soft_seconds: only an older file may say it */
    {"e2.conf", "{\"version\": 2, \"gateway\": {\"outbuf_soft_seconds\": 3}}",
     "gateway.outbuf_soft_seconds: unknown key"},
    {"f.conf", "{\"router\": {\"dedup_window_ms\": \"soon\"}}", "router.dedup_window_ms: must"},
    {"g.conf", "{\"ring\": {\"size\": \"96M\"}}", "ring.size: must be a power of two"},
    {"h.conf", "{\"journal\": {\"fsync\": \"sometimes\"}}",
     "journal.fsync: must be one of always, batch, never"},
    {"i.conf", "{\"log\": {\"level\": \"loud\"}}", "log.level: must be one of"},
    {"j.conf", "{\"scrub\": {\"enabled\": \"maybe\"}}", "scrub.enabled: must be true or false"},
    {"k.conf", "{\"capture\": {\"field_max\": \"1k\"}, ", "invalid JSON"},
    {"l.conf", "{\"instance\": \"../evil\"}", "instance: must be"},
    {"m.conf", "{\"router\": {\"dedup_ids\": [1]}}", "router.dedup_ids: must be a single value"},
    {"n.conf", "{\"capture\": {\"field_max\": \"16x\"}}",
     "capture.field_max: must be a size between 256 and 16M"},
    {"o.yaml", "router:\n  dedup_window_ms: -1\n",
     "router.dedup_window_ms: must be an integer between 0 and 600000"},
    {"p.yaml", "router: [1, 2\n", "invalid YAML at line"},
    {"q.yaml", "- a\n- b\n", "must be a mapping"},
    {"r.yaml", "gateway:\n  bogus: 1\n", "gateway.bogus: unknown key"},
    {"s.yaml", "router:\n  dedup_window_ms: {a: 1}\n", "router.dedup_window_ms: must be a"},
    {"t.conf", "{\"gateway\": {\"origins\": [\"a,b\"]}}", "gateway.origins: list items"},
    {"u.conf", "{\"a\":1} x", "invalid JSON"},
};

START_TEST(test_bad_files)
{
	struct config *cfg = config_new();
	char err[512] = "", want[9000];
	const char *p;

	p = write_file(bad_files[_i].name, bad_files[_i].text);
	ck_assert_int_eq(config_load_file(cfg, p, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s: %s", p, bad_files[_i].want);
	ck_assert_msg(strncmp(err, want, strlen(want)) == 0, "got '%s' want '%s'", err, want);
	config_free(cfg);
}
END_TEST

START_TEST(test_missing_file)
{
	struct config *cfg = config_new();
	char err[512] = "";

	ck_assert_int_eq(config_load_file(cfg, "/nonexistent/hookwire.conf", err, sizeof(err)), -1);
	ck_assert_str_eq(err, "/nonexistent/hookwire.conf: No such file or directory");
	config_free(cfg);
}
END_TEST

static const struct {
	const char *var;
	const char *want;
} bad_env[] = {
    {"HOOKWIRE_FOO=1", "HOOKWIRE_FOO: unknown variable"},
    {"HOOKWIRE_ROUTER_NOPE=1", "HOOKWIRE_ROUTER_NOPE: unknown variable"},
    {"HOOKWIRE_router_dedup_ids=1", "HOOKWIRE_router_dedup_ids: unknown variable"},
    {"HOOKWIRE_ROUTER_DEDUP_IDS=lots",
     "HOOKWIRE_ROUTER_DEDUP_IDS: router.dedup_ids: must be an integer between 0 and 16777216"},
    {"HOOKWIRE_VERSION=3", "HOOKWIRE_VERSION: version: must be an integer between 1 and 2"},
};

START_TEST(test_bad_env)
{
	char *envp[] = {(char *)bad_env[_i].var, NULL};
	struct config *cfg = config_new();
	char err[512] = "";

	ck_assert_int_eq(config_load_env(cfg, envp, err, sizeof(err)), -1);
	ck_assert_str_eq(err, bad_env[_i].want);
	config_free(cfg);
}
END_TEST

static const struct {
	const char *section, *name, *value;
	int ok;
	long long want;
} set_cases[] = {
    {"capture", "field_max", "256", 1, 256},
    {"capture", "field_max", "255", 0, 0},
    {"capture", "field_max", "16M", 1, 16 * 1024 * 1024},
    {"capture", "field_max", "17M", 0, 0},
    {"capture", "field_max", "4kb", 1, 4096},
    {"capture", "field_max", "-1", 0, 0},
    {"capture", "field_max", "", 0, 0},
    {"journal", "keep_bytes", "1T", 1, 1024LL * 1024 * 1024 * 1024},
    {"journal", "segment_size", "16G", 1, 16LL * 1024 * 1024 * 1024},
    {"ring", "size", "64k", 1, 65536},
    {"ring", "size", "4G", 1, 4LL * 1024 * 1024 * 1024},
    {"ring", "size", "100000", 0, 0},
    {"router", "dedup_ids", "0", 1, 0},
    {"router", "dedup_ids", " 12 ", 1, 12},
    {"router", "dedup_ids", "1.5", 0, 0},
    {"router", "dedup_ids", "99999999999999999999", 0, 0},
    {"gateway", "allow_remote", "yes", 1, 1},
    {"gateway", "allow_remote", "0", 1, 0},
    {"gateway", "allow_remote", "ON", 1, 1},
    {"nosuch", "key", "1", 0, 0},
};

START_TEST(test_set)
{
	struct config *cfg = config_new();
	char err[512] = "";
	int rc;

	rc = config_set(cfg, set_cases[_i].section, set_cases[_i].name, set_cases[_i].value, err,
			sizeof(err));
	if (!set_cases[_i].ok) {
		ck_assert_int_eq(rc, -1);
		ck_assert_ptr_nonnull(strstr(err, set_cases[_i].name));
	} else {
		ck_assert_msg(rc == 0, "%s", err);
		ck_assert_int_eq(config_int(cfg, set_cases[_i].section, set_cases[_i].name),
				 set_cases[_i].want);
	}
	config_free(cfg);
}
END_TEST

START_TEST(test_unknown_getter_aborts)
{
	struct config *cfg = config_new();

	config_int(cfg, "router", "no_such_key");
}
END_TEST

/* ---------------------------------------------------------------- doc */

START_TEST(test_doc)
{
	const char *src = getenv("HOOKWIRE_SRC");
	char path[4096], key[128], env[160], *text, *s;
	size_t n = 0, i;
	FILE *f;

	snprintf(path, sizeof(path), "%s/man/hookwire.conf.5", src ? src : ".");
	f = fopen(path, "r");
	ck_assert_msg(f != NULL, "%s: %s", path, strerror(errno));
	text = calloc(1, 1 << 20);
	n = fread(text, 1, (1 << 20) - 1, f);
	fclose(f);
	ck_assert_uint_gt(n, 0);
	for (i = 0; config_keys[i].name != NULL; i++) {
		const struct config_key *k = &config_keys[i];

		/* Each key has an item ".It Cm section.name" and its variable. */
		if (k->section != NULL)
			snprintf(key, sizeof(key), ".It Cm %s.%s\n", k->section, k->name);
		else
			snprintf(key, sizeof(key), ".It Cm %s\n", k->name);
		ck_assert_msg(strstr(text, key) != NULL, "%s does not document %s", path, key);
		if (k->section != NULL)
			snprintf(env, sizeof(env), "HOOKWIRE_%s_%s", k->section, k->name);
		else
			snprintf(env, sizeof(env), "HOOKWIRE_%s", k->name);
		for (s = env; *s; s++)
			*s = (char)(*s >= 'a' && *s <= 'z' ? *s - 32 : *s);
		ck_assert_msg(strstr(text, env) != NULL, "%s does not name %s", path, env);
	}
	free(text);
}
END_TEST

static Suite *
config_suite(void)
{
	Suite *s = suite_create("config");
	TCase *tc;

	tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_json_file);
	tcase_add_test(tc, test_yaml_file);
	tcase_add_test(tc, test_env);
	tcase_add_test(tc, test_precedence);
	tcase_add_test(tc, test_default_file);
	tcase_add_test(tc, test_migrate);
	tcase_add_test(tc, test_dump);
	tcase_add_loop_test(tc, test_set, 0, sizeof(set_cases) / sizeof(set_cases[0]));
	suite_add_tcase(s, tc);

	tc = tcase_create("malformed");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_bad_files, 0, sizeof(bad_files) / sizeof(bad_files[0]));
	tcase_add_test(tc, test_missing_file);
	tcase_add_loop_test(tc, test_bad_env, 0, sizeof(bad_env) / sizeof(bad_env[0]));
	tcase_add_test_raise_signal(tc, test_unknown_getter_aborts, SIGABRT);
	suite_add_tcase(s, tc);

	tc = tcase_create("doc");
	tcase_add_test(tc, test_doc);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(config_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
