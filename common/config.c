/*
 * config.c: the configuration (hookwire.conf(5)).
 *
 * A struct config holds one text value per entry of config_keys[], in the
 * same order, starting from the defaults.  Every way in (file, environment,
 * flags) goes through config_set(), which checks the value against the
 * key's type and limits and stores it in a canonical form: sizes as a
 * decimal byte count, booleans as "true"/"false", lists comma-joined.  The
 * typed getters read that form back.
 *
 * Files are JSON (json-c) when their first non-blank byte is '{', else YAML
 * (libyaml, document API): a mapping of top-level keys and sections, each
 * section a mapping of scalars or sequences of scalars.
 */
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>
#include <yaml.h>

#include "compat.h"
#include "config.h"
#include "paths.h"
#include "util.h"

/* Largest configuration file read. */
#define CONFIG_FILE_MAX (1024 * 1024)

struct config {
	size_t cfg_n;
	char **cfg_vals;      /* parallel to config_keys[] */
	int cfg_version;      /* the layout version of the file being read; 0: none (environment) */
	int cfg_file_version; /* of the file read last, for config_file_version() */
	char *cfg_warn;	      /* config_warnings(), NULL: none */
};

/* Longest text of the warnings kept. */
#define CONFIG_WARN_MAX 4096

/* Variables that belong to the build and the tests, not to the configuration. */
static const char *config_env_skip[] = {"HOOKWIRE_CONFIG",
					"HOOKWIRE_BIN",
					"HOOKWIRE_SRC",
					"HOOKWIRE_BUILD",
					"HOOKWIRE_FIXTURES",
					"HOOKWIRE_STRESS",
					NULL};
#define CONFIG_ENV_SKIP_PREFIX "HOOKWIRE_TEST_"

static const char *config_sections[] = {"log",	   "capture", "router", "journal", "ring", "scrub",
					"gateway", "relay",   "usage",	"store",   NULL};

static int
config_find(const char *section, const char *name)
{
	int i;

	for (i = 0; config_keys[i].name != NULL; i++) {
		const struct config_key *k = &config_keys[i];

		if (strcmp(k->name, name) != 0)
			continue;
		if (section == NULL ? k->section == NULL
				    : k->section != NULL && strcmp(k->section, section) == 0)
			return i;
	}
	return -1;
}

static int
config_is_section(const char *s)
{
	int i;

	for (i = 0; config_sections[i] != NULL; i++)
		if (strcmp(config_sections[i], s) == 0)
			return 1;
	return 0;
}

/* "section.name" or "name" into buf. */
static const char *
config_keyname(const struct config_key *k, char *buf, size_t len)
{
	if (k->section != NULL)
		snprintf(buf, len, "%s.%s", k->section, k->name);
	else
		snprintf(buf, len, "%s", k->name);
	return buf;
}

/* Writes a size as the shortest exact text with a suffix (for messages). */
static void
config_fmt_size(long long v, char *buf, size_t len)
{
	static const char suf[] = "kMGT";
	int i = -1;

	while (v != 0 && v % 1024 == 0 && i < 3) {
		v /= 1024;
		i++;
	}
	if (i >= 0)
		snprintf(buf, len, "%lld%c", v, suf[i]);
	else
		snprintf(buf, len, "%lld", v);
}

static int
config_parse_bool(const char *s, int *out)
{
	static const char *t[] = {"true", "yes", "on", "1", NULL};
	static const char *f[] = {"false", "no", "off", "0", NULL};
	int i;

	for (i = 0; t[i] != NULL; i++)
		if (strcasecmp(s, t[i]) == 0) {
			*out = 1;
			return 0;
		}
	for (i = 0; f[i] != NULL; i++)
		if (strcasecmp(s, f[i]) == 0) {
			*out = 0;
			return 0;
		}
	return -1;
}

static int
config_parse_int(const char *s, long long *out)
{
	char *end;
	long long v;

	while (isspace((unsigned char)*s))
		s++;
	if (*s == '\0')
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0)
		return -1;
	while (isspace((unsigned char)*end))
		end++;
	if (*end != '\0')
		return -1;
	*out = v;
	return 0;
}

/* Checks and canonicalises value for key k; returns a new string or NULL with err. */
static char *
config_check(const struct config_key *k, const char *value, char *err, size_t errlen)
{
	char kn[96], a[32], b[32], num[24], *out = NULL;
	long long v;
	int bv;

	config_keyname(k, kn, sizeof(kn));
	switch (k->type) {
	case CONFIG_INT:
		if (config_parse_int(value, &v) == -1 || v < k->min || v > k->max) {
			snprintf(err, errlen, "%s: must be an integer between %lld and %lld", kn,
				 k->min, k->max);
			return NULL;
		}
		snprintf(num, sizeof(num), "%lld", v);
		out = strdup(num);
		break;
	case CONFIG_SIZE:
		if (util_parse_size(value, &v) == -1 || v < k->min || v > k->max) {
			config_fmt_size(k->min, a, sizeof(a));
			config_fmt_size(k->max, b, sizeof(b));
			snprintf(err, errlen,
				 "%s: must be a size between %s and %s (bytes, or with a k, M, G "
				 "or T suffix)",
				 kn, a, b);
			return NULL;
		}
		if (k->section != NULL && strcmp(k->section, "ring") == 0 &&
		    strcmp(k->name, "size") == 0 && (v & (v - 1)) != 0) {
			snprintf(err, errlen, "%s: must be a power of two", kn);
			return NULL;
		}
		snprintf(num, sizeof(num), "%lld", v);
		out = strdup(num);
		break;
	case CONFIG_BOOL:
		if (config_parse_bool(value, &bv) == -1) {
			snprintf(err, errlen, "%s: must be true or false", kn);
			return NULL;
		}
		out = strdup(bv ? "true" : "false");
		break;
	case CONFIG_LEVEL:
		if (strcmp(value, "error") != 0 && strcmp(value, "warn") != 0 &&
		    strcmp(value, "info") != 0 && strcmp(value, "debug") != 0) {
			snprintf(err, errlen, "%s: must be one of error, warn, info, debug", kn);
			return NULL;
		}
		out = strdup(value);
		break;
	case CONFIG_LIST:
	case CONFIG_STR:
		if (k->section == NULL && strcmp(k->name, "instance") == 0 &&
		    !paths_instance_valid(value)) {
			snprintf(err, errlen,
				 "%s: must be 1 to %d of [A-Za-z0-9._-], not starting with '.'", kn,
				 PATHS_INSTANCE_MAX);
			return NULL;
		}
		if (k->section != NULL && strcmp(k->section, "journal") == 0 &&
		    strcmp(k->name, "fsync") == 0 && strcmp(value, "always") != 0 &&
		    strcmp(value, "batch") != 0 && strcmp(value, "never") != 0) {
			snprintf(err, errlen, "%s: must be one of always, batch, never", kn);
			return NULL;
		}
		out = strdup(value);
		break;
	}
	if (out == NULL)
		snprintf(err, errlen, "%s: out of memory", kn);
	return out;
}

struct config *
config_new(void)
{
	struct config *cfg;
	char err[256];
	size_t i;

	if ((cfg = calloc(1, sizeof(*cfg))) == NULL)
		return NULL;
	while (config_keys[cfg->cfg_n].name != NULL)
		cfg->cfg_n++;
	if ((cfg->cfg_vals = calloc(cfg->cfg_n, sizeof(char *))) == NULL)
		goto fail;
	for (i = 0; i < cfg->cfg_n; i++)
		if ((cfg->cfg_vals[i] = config_check(&config_keys[i], config_keys[i].def, err,
						     sizeof(err))) == NULL)
			goto fail;
	return cfg;
fail:
	config_free(cfg);
	return NULL;
}

void
config_free(struct config *cfg)
{
	size_t i;

	if (cfg == NULL)
		return;
	free(cfg->cfg_warn);
	if (cfg->cfg_vals != NULL)
		for (i = 0; i < cfg->cfg_n; i++)
			free(cfg->cfg_vals[i]);
	free(cfg->cfg_vals);
	free(cfg);
}

int
config_set(struct config *cfg, const char *section, const char *name, const char *value, char *err,
	   size_t errlen)
{
	char *v;
	int i;

	if ((i = config_find(section, name)) == -1) {
		if (section != NULL)
			snprintf(err, errlen, "%s.%s: unknown key", section, name);
		else
			snprintf(err, errlen, "%s: unknown key", name);
		return -1;
	}
	if (value == NULL)
		value = "";
	if ((v = config_check(&config_keys[i], value, err, errlen)) == NULL)
		return -1;
	free(cfg->cfg_vals[i]);
	cfg->cfg_vals[i] = v;
	return 0;
}

/* Prefixes err (already holding a message) with "prefix: ". */
static void
config_prefix(char *err, size_t errlen, const char *prefix)
{
	char tmp[512];

	snprintf(tmp, sizeof(tmp), "%s", err);
	snprintf(err, errlen, "%s: %s", prefix, tmp);
}

/* ---------------------------------------------------------------- values */

/*
 * Sets section.key from one value of a file, JSON or YAML alike: a scalar
 * (its text in scalar; NULL when the value is not one), or, when list is
 * set, a list of n items, item(arg, i) giving the text of each (NULL for an
 * item that is not a scalar), stored comma-joined.  Returns 0, or -1 with a
 * message in err that names the key.
 */
const char *
config_warnings(const struct config *cfg)
{
	return cfg->cfg_warn != NULL ? cfg->cfg_warn : "";
}

int
config_file_version(const struct config *cfg)
{
	return cfg->cfg_file_version;
}

/* Adds one line to the warnings (silently dropped past CONFIG_WARN_MAX). */
static void
config_warn(struct config *cfg, const char *line)
{
	size_t have = cfg->cfg_warn != NULL ? strlen(cfg->cfg_warn) : 0, n = strlen(line);
	char *w;

	if (have + n + 2 > CONFIG_WARN_MAX || (w = realloc(cfg->cfg_warn, have + n + 2)) == NULL)
		return;
	memcpy(w + have, line, n);
	w[have + n] = '\n';
	w[have + n + 1] = '\0';
	cfg->cfg_warn = w;
}

/* The rename of section.name that applies to what is being read (a file of
 * an older layout, or the environment), or NULL. */
static const struct config_rename *
config_renamed(const struct config *cfg, const char *section, const char *name)
{
	const struct config_rename *r;

	for (r = config_renames; r->old_name != NULL; r++)
		if (strcmp(r->old_name, name) == 0 &&
		    (section == NULL
			 ? r->old_section == NULL
			 : r->old_section != NULL && strcmp(r->old_section, section) == 0) &&
		    (cfg->cfg_version == 0 || cfg->cfg_version < r->since))
			return r;
	return NULL;
}

/* Sets the new key of rename r from the old key's value, with a warning. */
static int
config_set_renamed(struct config *cfg, const struct config_rename *r, const char *value,
		   const char *where, char *err, size_t errlen)
{
	char buf[64], line[256];
	long long v;

	if (r->mult != 1) {
		if (config_parse_int(value, &v) == -1 || v < 0 || v > LLONG_MAX / r->mult) {
			snprintf(err, errlen, "%s.%s: must be an integer", r->old_section,
				 r->old_name);
			return -1;
		}
		snprintf(buf, sizeof(buf), "%lld", v * r->mult);
		value = buf;
	}
	if (config_set(cfg, r->new_section, r->new_name, value, err, errlen) == -1)
		return -1;
	snprintf(line, sizeof(line), "%s%s.%s is %s.%s since layout version %d%s%s (read as %s)",
		 where, r->old_section ? r->old_section : "", r->old_name,
		 r->new_section ? r->new_section : "", r->new_name, r->since,
		 r->mult != 1 ? ", in other units" : "",
		 *where != '\0' ? "" : "; hookwire config migrate rewrites the file", value);
	config_warn(cfg, line);
	return 0;
}

static int
config_apply_value(struct config *cfg, const char *section, const char *key, const char *scalar,
		   int list, size_t n, const char *(*item)(void *, size_t), void *arg, char *err,
		   size_t errlen)
{
	const struct config_rename *r;
	const char *s;
	char *joined = NULL, *p, kn[96];
	size_t len = 0, sl, i;
	int idx, rc;

	if (section != NULL)
		snprintf(kn, sizeof(kn), "%s.%s", section, key);
	else
		snprintf(kn, sizeof(kn), "%s", key);
	if ((idx = config_find(section, key)) == -1) {
		if ((r = config_renamed(cfg, section, key)) != NULL && !list && scalar != NULL)
			return config_set_renamed(cfg, r, scalar, "", err, errlen);
		snprintf(err, errlen, "%s: unknown key", kn);
		return -1;
	}
	if (!list) {
		if (scalar == NULL) {
			snprintf(err, errlen, "%s: must be a %s", kn,
				 config_keys[idx].type == CONFIG_LIST ? "list or a string"
								      : "scalar");
			return -1;
		}
		return config_set(cfg, section, key, scalar, err, errlen);
	}
	if (config_keys[idx].type != CONFIG_LIST) {
		snprintf(err, errlen, "%s: must be a single value, not a list", kn);
		return -1;
	}
	if ((joined = calloc(1, 1)) == NULL)
		goto oom;
	for (i = 0; i < n; i++) {
		s = item(arg, i);
		if (s == NULL || strchr(s, ',') != NULL) {
			snprintf(err, errlen, "%s: list items must be strings without commas", kn);
			free(joined);
			return -1;
		}
		sl = strlen(s);
		if ((p = realloc(joined, len + sl + 2)) == NULL)
			goto oom;
		joined = p;
		if (len > 0)
			joined[len++] = ',';
		memcpy(joined + len, s, sl + 1);
		len += sl;
	}
	rc = config_set(cfg, section, key, joined, err, errlen);
	free(joined);
	return rc;
oom:
	free(joined);
	snprintf(err, errlen, "%s: out of memory", kn);
	return -1;
}

/* ---------------------------------------------------------------- JSON */

/* Text for a JSON scalar, or NULL when it is not a scalar. */
static const char *
config_json_scalar(json_object *v)
{
	switch (json_object_get_type(v)) {
	case json_type_string:
	case json_type_int:
	case json_type_double:
	case json_type_boolean:
		return json_object_get_string(v);
	default:
		return NULL;
	}
}

/* Item i of a JSON array, when it is a scalar. */
static const char *
config_json_item(void *arr, size_t i)
{
	return config_json_scalar(json_object_array_get_idx(arr, i));
}

static int
config_json_value(struct config *cfg, const char *section, const char *key, json_object *v,
		  char *err, size_t errlen)
{
	int list = json_object_is_type(v, json_type_array);

	return config_apply_value(cfg, section, key, config_json_scalar(v), list,
				  list ? json_object_array_length(v) : 0, config_json_item, v, err,
				  errlen);
}

static int
config_load_json(struct config *cfg, const char *text, size_t len, char *err, size_t errlen)
{
	struct json_tokener *tok = NULL;
	json_object *root = NULL;
	int rc = -1;

	if ((tok = json_tokener_new_ex(16)) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	root = json_tokener_parse_ex(tok, text, (int)len);
	if (root == NULL || json_tokener_get_parse_end(tok) != len) {
		enum json_tokener_error je = json_tokener_get_error(tok);

		snprintf(err, errlen, "invalid JSON at byte %zu: %s",
			 json_tokener_get_parse_end(tok),
			 je == json_tokener_continue  ? "unexpected end of file"
			 : je == json_tokener_success ? "trailing data"
						      : json_tokener_error_desc(je));
		goto fail;
	}
	if (!json_object_is_type(root, json_type_object)) {
		snprintf(err, errlen, "must be a JSON object");
		goto fail;
	}
	{
		json_object *ver;

		/* the layout first: it decides how the other keys are read */
		cfg->cfg_version = 1;
		if (json_object_object_get_ex(root, "version", &ver) &&
		    json_object_is_type(ver, json_type_int))
			cfg->cfg_version = json_object_get_int(ver);
	}
	json_object_object_foreach (root, key, val) {
		if (json_object_is_type(val, json_type_object)) {
			if (!config_is_section(key)) {
				snprintf(err, errlen, "%s: unknown section", key);
				goto fail;
			}
			json_object_object_foreach (val, k2, v2) {
				if (config_json_value(cfg, key, k2, v2, err, errlen) == -1)
					goto fail;
			}
		} else if (config_json_value(cfg, NULL, key, val, err, errlen) == -1)
			goto fail;
	}
	rc = 0;
fail:
	json_object_put(root);
	if (tok != NULL)
		json_tokener_free(tok);
	return rc;
}

/* ---------------------------------------------------------------- YAML */

static const char *
config_yaml_scalar(yaml_node_t *n)
{
	if (n == NULL || n->type != YAML_SCALAR_NODE)
		return NULL;
	return (const char *)n->data.scalar.value;
}

/* A YAML sequence and its document, for config_yaml_item(). */
struct config_yseq {
	yaml_document_t *ys_doc;
	yaml_node_t *ys_node;
};

/* Item i of a YAML sequence, when it is a scalar. */
static const char *
config_yaml_item(void *arg, size_t i)
{
	struct config_yseq *ys = arg;

	return config_yaml_scalar(
	    yaml_document_get_node(ys->ys_doc, ys->ys_node->data.sequence.items.start[i]));
}

static int
config_yaml_value(struct config *cfg, yaml_document_t *doc, const char *section, const char *key,
		  yaml_node_t *v, char *err, size_t errlen)
{
	struct config_yseq ys = {doc, v};
	int list = v->type == YAML_SEQUENCE_NODE;

	return config_apply_value(
	    cfg, section, key, config_yaml_scalar(v), list,
	    list ? (size_t)(v->data.sequence.items.top - v->data.sequence.items.start) : 0,
	    config_yaml_item, &ys, err, errlen);
}

static int
config_load_yaml(struct config *cfg, const char *text, size_t len, char *err, size_t errlen)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	yaml_node_t *root, *kn, *vn, *k2, *v2;
	yaml_node_pair_t *p, *q;
	const char *key, *key2;
	int rc = -1, havedoc = 0;

	if (!yaml_parser_initialize(&parser)) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (!yaml_parser_load(&parser, &doc)) {
		snprintf(err, errlen, "invalid YAML at line %zu: %s", parser.problem_mark.line + 1,
			 parser.problem != NULL ? parser.problem : "error");
		goto fail;
	}
	havedoc = 1;
	root = yaml_document_get_root_node(&doc);
	if (root == NULL) { /* empty file: nothing set */
		rc = 0;
		goto fail;
	}
	if (root->type != YAML_MAPPING_NODE) {
		snprintf(err, errlen, "must be a mapping of keys and sections");
		goto fail;
	}
	/* the layout first: it decides how the other keys are read */
	cfg->cfg_version = 1;
	for (p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top; p++) {
		const char *k = config_yaml_scalar(yaml_document_get_node(&doc, p->key));
		const char *v = config_yaml_scalar(yaml_document_get_node(&doc, p->value));

		if (k != NULL && v != NULL && strcmp(k, "version") == 0)
			cfg->cfg_version = atoi(v);
	}
	for (p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top; p++) {
		kn = yaml_document_get_node(&doc, p->key);
		vn = yaml_document_get_node(&doc, p->value);
		if ((key = config_yaml_scalar(kn)) == NULL || vn == NULL) {
			snprintf(err, errlen, "line %zu: keys must be scalars",
				 kn ? kn->start_mark.line + 1 : 0);
			goto fail;
		}
		if (vn->type != YAML_MAPPING_NODE) {
			if (config_yaml_value(cfg, &doc, NULL, key, vn, err, errlen) == -1)
				goto fail;
			continue;
		}
		if (!config_is_section(key)) {
			snprintf(err, errlen, "%s: unknown section", key);
			goto fail;
		}
		for (q = vn->data.mapping.pairs.start; q < vn->data.mapping.pairs.top; q++) {
			k2 = yaml_document_get_node(&doc, q->key);
			v2 = yaml_document_get_node(&doc, q->value);
			if ((key2 = config_yaml_scalar(k2)) == NULL || v2 == NULL) {
				snprintf(err, errlen, "%s: keys must be scalars", key);
				goto fail;
			}
			if (config_yaml_value(cfg, &doc, key, key2, v2, err, errlen) == -1)
				goto fail;
		}
	}
	rc = 0;
fail:
	if (havedoc)
		yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	return rc;
}

/* ---------------------------------------------------------------- files */

int
config_load_file(struct config *cfg, const char *path, char *err, size_t errlen)
{
	struct stat st;
	char *buf = NULL;
	const char *p;
	size_t len = 0;
	ssize_t n;
	int fd = -1, rc = -1;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1 || fstat(fd, &st) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto fail;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > CONFIG_FILE_MAX) {
		snprintf(err, errlen, "%s: not a regular file of at most %d bytes", path,
			 CONFIG_FILE_MAX);
		goto fail;
	}
	if ((buf = malloc((size_t)st.st_size + 1)) == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		goto fail;
	}
	while (len < (size_t)st.st_size) {
		n = read(fd, buf + len, (size_t)st.st_size - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			goto fail;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	if (memchr(buf, '\0', len) != NULL) {
		snprintf(err, errlen, "%s: contains a NUL byte", path);
		goto fail;
	}
	for (p = buf; *p != '\0' && isspace((unsigned char)*p); p++)
		;
	cfg->cfg_version = 1; /* an empty file: nothing to rename anyway */
	if (*p == '{')
		rc = config_load_json(cfg, buf, len, err, errlen);
	else
		rc = config_load_yaml(cfg, buf, len, err, errlen);
	if (rc == -1)
		config_prefix(err, errlen, path);
	cfg->cfg_file_version = cfg->cfg_version;
	cfg->cfg_version = 0; /* what comes next is the environment: no layout */
fail:
	free(buf);
	if (fd != -1)
		close(fd);
	return rc;
}

/* ---------------------------------------------------------------- environment */

/* HOOKWIRE_<SECTION>_<KEY> or HOOKWIRE_<KEY> for k, upper case, into buf. */
static void
config_envname(const struct config_key *k, char *buf, size_t len)
{
	char *s;

	if (k->section != NULL)
		snprintf(buf, len, "HOOKWIRE_%s_%s", k->section, k->name);
	else
		snprintf(buf, len, "HOOKWIRE_%s", k->name);
	for (s = buf; *s != '\0'; s++)
		*s = (char)toupper((unsigned char)*s);
}

int
config_load_env(struct config *cfg, char *const *envp, char *err, size_t errlen)
{
	char name[128], kn[128];
	const char *eq;
	size_t nl;
	int i, j, found;

	if (envp == NULL)
		return 0;
	for (i = 0; envp[i] != NULL; i++) {
		if (strncmp(envp[i], "HOOKWIRE_", 9) != 0 || (eq = strchr(envp[i], '=')) == NULL)
			continue;
		nl = (size_t)(eq - envp[i]);
		if (nl >= sizeof(name)) {
			snprintf(err, errlen, "%.60s...: unknown variable", envp[i]);
			return -1;
		}
		memcpy(name, envp[i], nl);
		name[nl] = '\0';
		if (strncmp(name, CONFIG_ENV_SKIP_PREFIX, strlen(CONFIG_ENV_SKIP_PREFIX)) == 0)
			continue;
		for (j = 0, found = 0; config_env_skip[j] != NULL; j++)
			if (strcmp(name, config_env_skip[j]) == 0)
				found = 1;
		if (found)
			continue;
		for (j = 0; config_keys[j].name != NULL; j++) {
			config_envname(&config_keys[j], kn, sizeof(kn));
			if (strcmp(kn, name) == 0)
				break;
		}
		if (config_keys[j].name == NULL) {
			const struct config_rename *r;

			for (r = config_renames; r->old_name != NULL; r++) {
				struct config_key old = {
				    r->old_section, r->old_name, CONFIG_STR, "", 0, 0, ""};

				config_envname(&old, kn, sizeof(kn));
				if (strcmp(kn, name) == 0)
					break;
			}
			if (r->old_name != NULL) {
				char where[160];

				snprintf(where, sizeof(where), "%s: ", name);
				if (config_set_renamed(cfg, r, eq + 1, where, err, errlen) == -1) {
					config_prefix(err, errlen, name);
					return -1;
				}
				continue;
			}
			snprintf(err, errlen, "%s: unknown variable", name);
			return -1;
		}
		if (config_set(cfg, config_keys[j].section, config_keys[j].name, eq + 1, err,
			       errlen) == -1) {
			config_prefix(err, errlen, name);
			return -1;
		}
	}
	return 0;
}

/* The value of NAME in envp (NAME= included in name), or NULL. */
static const char *
config_envp_get(char *const *envp, const char *name)
{
	size_t n = strlen(name);
	int i;

	for (i = 0; envp != NULL && envp[i] != NULL; i++)
		if (strncmp(envp[i], name, n) == 0)
			return envp[i] + n;
	return NULL;
}

/* a then b into buf (len bytes).  Returns the length, or -1 when it does not
 * fit.  Not snprintf(): every hook looks for the default file, and would
 * fault in vfprintf's code pages for it. */
static int
config_cat(char *buf, size_t len, const char *a, const char *b)
{
	size_t x = strlen(a), y = strlen(b);

	if (x + y >= len)
		return -1;
	memcpy(buf, a, x);
	memcpy(buf + x, b, y + 1);
	return (int)(x + y);
}

const char *
config_default_path(char *const *envp, char *buf, size_t len)
{
	const char *xdg = config_envp_get(envp, "XDG_CONFIG_HOME=");
	const char *home = config_envp_get(envp, "HOME=");
	struct stat st;
	int n = -1;

	/* XDG base directories: a relative XDG_CONFIG_HOME is to be ignored */
	if (xdg != NULL && xdg[0] == '/')
		n = config_cat(buf, len, xdg, "/hookwire/hookwire.conf");
	else if (home != NULL && home[0] == '/')
		n = config_cat(buf, len, home, "/.config/hookwire/hookwire.conf");
	if (n > 0 && stat(buf, &st) == 0)
		return buf;
	if (stat(CONFIG_SYSTEM_FILE, &st) == 0 && config_cat(buf, len, CONFIG_SYSTEM_FILE, "") > 0)
		return buf;
	return NULL;
}

int
config_load(struct config *cfg, const char *path, char *const *envp, char *err, size_t errlen)
{
	char def[PATH_MAX];
	const char *env;

	/* -c, else $HOOKWIRE_CONFIG (set but empty: no file at all), else the default */
	if (path == NULL && (env = config_envp_get(envp, "HOOKWIRE_CONFIG=")) != NULL)
		path = env[0] != '\0' ? env : NULL;
	else if (path == NULL)
		path = config_default_path(envp, def, sizeof(def));
	if (path != NULL && config_load_file(cfg, path, err, errlen) == -1)
		return -1;
	return config_load_env(cfg, envp, err, errlen);
}

/* ---------------------------------------------------------------- migration */

/* A growing output string. */
struct config_buf {
	char *b;
	size_t len, cap;
	int oom;
};

static void
config_buf_add(struct config_buf *o, const char *p, size_t n)
{
	char *nb;

	if (o->oom)
		return;
	if (o->len + n + 1 > o->cap) {
		size_t nc = (o->len + n + 1) * 2;
		if ((nb = realloc(o->b, nc)) == NULL) {
			o->oom = 1;
			return;
		}
		o->b = nb;
		o->cap = nc;
	}
	memcpy(o->b + o->len, p, n);
	o->len += n;
	o->b[o->len] = '\0';
}

/* Where the key name (JSON: "name") starts a member on line [l, e): at the
 * start of the line after blanks (YAML), or (JSON) anywhere after '{', ','
 * or the line's start; followed by ':'.  Returns the offset of the value
 * after the ':' and its blanks, or -1. */
static long
config_line_key(const char *l, const char *e, const char *name, int json)
{
	size_t n = strlen(name), kl = n + (json ? 2 : 0);
	const char *p, *b, *q;

	for (p = l; p + kl <= e; p++) {
		if (json ? !(*p == '"' && memcmp(p + 1, name, n) == 0 && p[n + 1] == '"')
			 : memcmp(p, name, n) != 0)
			continue;
		for (b = p; b > l && (b[-1] == ' ' || b[-1] == '\t'); b--)
			;
		if (b > l && !(json && (b[-1] == '{' || b[-1] == ',')))
			continue;
		for (q = p + kl; q < e && (*q == ' ' || *q == '\t'); q++)
			;
		if (q >= e || *q != ':')
			continue;
		for (q++; q < e && (*q == ' ' || *q == '\t'); q++)
			;
		return (long)(q - l);
	}
	return -1;
}

char *
config_migrate_text(const char *text, size_t len, int *changed, char *err, size_t errlen)
{
	struct config *old = NULL, *neu = NULL;
	struct config_buf o = {NULL, 0, 0, 0};
	const struct config_rename *r;
	const char *l, *e, *t;
	char num[64];
	int json, version, have_version = 0, rc;
	long v_off, k_off;
	long long v;
	size_t i;

	*changed = 0;
	for (t = text; t < text + len && isspace((unsigned char)*t); t++)
		;
	json = t < text + len && *t == '{';
	if ((old = config_new()) == NULL)
		goto oom;
	rc = json ? config_load_json(old, text, len, err, errlen)
		  : config_load_yaml(old, text, len, err, errlen);
	if (rc == -1)
		goto fail;
	version = old->cfg_version;
	for (l = text; l < text + len; l = e + (e < text + len)) {
		e = memchr(l, '\n', (size_t)(text + len - l));
		if (e == NULL)
			e = text + len;
		k_off = -1;
		if ((v_off = config_line_key(l, e, "version", json)) >= 0 &&
		    (json || (l[0] != ' ' && l[0] != '\t'))) {
			/* the version: its number replaced */
			have_version = 1;
			for (t = l + v_off; t < e && isdigit((unsigned char)*t); t++)
				;
			config_buf_add(&o, l, (size_t)v_off);
			snprintf(num, sizeof(num), "%d", CONFIG_VERSION);
			config_buf_add(&o, num, strlen(num));
			config_buf_add(&o, t, (size_t)(e - t));
		} else {
			for (r = config_renames; r->old_name != NULL; r++)
				if (r->since > version &&
				    (k_off = config_line_key(l, e, r->old_name, json)) >= 0)
					break;
			if (r->old_name == NULL) {
				config_buf_add(&o, l, (size_t)(e - l));
			} else {
				/* the key renamed, its number converted */
				const char *kp = l + k_off - 1; /* the ':' and what precedes it */

				while (kp > l &&
				       kp[-1] !=
					   (json ? '"' : r->old_name[strlen(r->old_name) - 1]))
					kp--;
				kp -=
				    strlen(r->old_name) + (json ? 2 : 0); /* the key's first byte */
				for (t = l + k_off; t < e && *t == '"'; t++)
					;
				if (t >= e || !isdigit((unsigned char)*t)) {
					snprintf(err, errlen,
						 "%s: its value is not on the key's line: "
						 "migrate it by hand",
						 r->old_name);
					goto fail;
				}
				v = 0;
				for (; t < e && isdigit((unsigned char)*t); t++)
					v = v * 10 + (*t - '0');
				while (t < e && *t == '"')
					t++;
				config_buf_add(&o, l, (size_t)(kp - l) + (json ? 1 : 0));
				config_buf_add(&o, r->new_name, strlen(r->new_name));
				config_buf_add(
				    &o, kp + (json ? 1 : 0) + strlen(r->old_name),
				    (size_t)(l + k_off -
					     (kp + (json ? 1 : 0) + strlen(r->old_name))));
				snprintf(num, sizeof(num), "%lld", v * r->mult);
				config_buf_add(&o, num, strlen(num));
				config_buf_add(&o, t, (size_t)(e - t));
				(*changed)++;
			}
		}
		if (e < text + len)
			config_buf_add(&o, "\n", 1);
	}
	if (!have_version && version < CONFIG_VERSION) {
		/* no version key: one goes first (YAML) or after the brace (JSON) */
		struct config_buf n = {NULL, 0, 0, 0};

		if (json) {
			t = memchr(o.b, '{', o.len);
			config_buf_add(&n, o.b, (size_t)(t - o.b) + 1);
			snprintf(num, sizeof(num), "\"version\": %d,", CONFIG_VERSION);
			config_buf_add(&n, num, strlen(num));
			config_buf_add(&n, t + 1, o.len - (size_t)(t + 1 - o.b));
		} else {
			/* after the comments that head the file */
			for (t = o.b; t < o.b + o.len && (*t == '#' || *t == '\n');) {
				const char *nl = memchr(t, '\n', o.len - (size_t)(t - o.b));
				t = nl != NULL ? nl + 1 : o.b + o.len;
			}
			config_buf_add(&n, o.b, (size_t)(t - o.b));
			snprintf(num, sizeof(num), "version: %d\n", CONFIG_VERSION);
			config_buf_add(&n, num, strlen(num));
			config_buf_add(&n, t, o.len - (size_t)(t - o.b));
		}
		free(o.b);
		o = n;
	}
	if (o.oom || o.b == NULL)
		goto oom;
	/* the result must read as the original did, with nothing left to rename */
	if ((neu = config_new()) == NULL)
		goto oom;
	rc = json ? config_load_json(neu, o.b, o.len, err, errlen)
		  : config_load_yaml(neu, o.b, o.len, err, errlen);
	if (rc == -1 || neu->cfg_warn != NULL) {
		char why[256];

		snprintf(why, sizeof(why), "%s", rc == -1 ? err : "a key still to rename");
		snprintf(err, errlen,
			 "the rewrite does not read (%s): a key is written in a way it does not "
			 "follow; migrate it by hand",
			 why);
		goto fail;
	}
	for (i = 0; i < old->cfg_n; i++)
		if (strcmp(config_keys[i].name, "version") != 0 &&
		    strcmp(old->cfg_vals[i], neu->cfg_vals[i]) != 0) {
			char kn[96];

			snprintf(err, errlen,
				 "%s reads differently after the rewrite: migrate by hand",
				 config_keyname(&config_keys[i], kn, sizeof(kn)));
			goto fail;
		}
	config_free(old);
	config_free(neu);
	return o.b;
oom:
	snprintf(err, errlen, "out of memory");
fail:
	free(o.b);
	config_free(old);
	config_free(neu);
	return NULL;
}

/* ---------------------------------------------------------------- getters */

static int
config_must_find(const char *section, const char *name)
{
	int i;

	if ((i = config_find(section, name)) == -1)
		abort(); /* a key missing from config_keys[] is a bug */
	return i;
}

const char *
config_str(const struct config *cfg, const char *section, const char *name)
{
	return cfg->cfg_vals[config_must_find(section, name)];
}

long long
config_int(const struct config *cfg, const char *section, const char *name)
{
	int i = config_must_find(section, name);

	switch (config_keys[i].type) {
	case CONFIG_INT:
	case CONFIG_SIZE:
		return strtoll(cfg->cfg_vals[i], NULL, 10);
	case CONFIG_BOOL:
		return strcmp(cfg->cfg_vals[i], "true") == 0;
	default:
		abort();
	}
}

int
config_bool(const struct config *cfg, const char *section, const char *name)
{
	int i = config_must_find(section, name);

	if (config_keys[i].type != CONFIG_BOOL)
		abort();
	return strcmp(cfg->cfg_vals[i], "true") == 0;
}

static json_object *
config_dump_value(const struct config_key *k, const char *v)
{
	json_object *a;
	const char *s, *c;

	switch (k->type) {
	case CONFIG_INT:
	case CONFIG_SIZE:
		return json_object_new_int64(strtoll(v, NULL, 10));
	case CONFIG_BOOL:
		return json_object_new_boolean(strcmp(v, "true") == 0);
	case CONFIG_LIST:
		if ((a = json_object_new_array()) == NULL)
			return NULL;
		for (s = v; *s != '\0'; s = *c ? c + 1 : c) {
			c = compat_strchrnul(s, ',');
			if (c > s)
				json_object_array_add(a,
						      json_object_new_string_len(s, (int)(c - s)));
		}
		return a;
	default:
		return json_object_new_string(v);
	}
}

char *
config_dump(const struct config *cfg)
{
	json_object *root, *sec;
	char *out = NULL;
	size_t i;

	if ((root = json_object_new_object()) == NULL)
		return NULL;
	for (i = 0; i < cfg->cfg_n; i++) {
		const struct config_key *k = &config_keys[i];

		if (k->section == NULL) {
			json_object_object_add(root, k->name,
					       config_dump_value(k, cfg->cfg_vals[i]));
			continue;
		}
		if (!json_object_object_get_ex(root, k->section, &sec)) {
			sec = json_object_new_object();
			json_object_object_add(root, k->section, sec);
		}
		json_object_object_add(sec, k->name, config_dump_value(k, cfg->cfg_vals[i]));
	}
	out = strdup(json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY |
							      JSON_C_TO_STRING_SPACED |
							      JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(root);
	return out;
}
