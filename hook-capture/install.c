/*
 * install.c: register hook-capture in Claude Code's settings.json.
 *
 * settings.json holds { "hooks": { "<Event>": [ { "matcher": "*",
 * "hooks": [ { "type": "command", "command": ..., "args": [...],
 * "timeout": N } ] } ] } } next to any number of other keys.  We own only
 * handlers whose command is a file named hook-capture; everything else
 * (other hooks, other keys, their order) is kept as json-c read it.
 * Installing twice never makes a second entry: our old handlers are
 * taken out first and the new one goes where the first old one was.
 * Writes are atomic (temporary file, fsync, rename) and keep the previous
 * file as settings.json.hookwire-bak.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "compat.h"
#include "capture.h"
#include "config.h"
#include "ingest_client.h"
#include "paths.h"
#include "spool.h"
#include "util.h"

/*
 * Every hook event of Claude Code except WorktreeCreate: a WorktreeCreate
 * hook replaces git's worktree creation and must print the new path, so
 * registering an observer there would break worktrees.
 */
const char *const install_events[] = {
    "SessionStart",
    "Setup",
    "UserPromptSubmit",
    "UserPromptExpansion",
    "PreToolUse",
    "PermissionRequest",
    "PermissionDenied",
    "PostToolUse",
    "PostToolUseFailure",
    "PostToolBatch",
    "Notification",
    "MessageDisplay",
    "SubagentStart",
    "SubagentStop",
    "TaskCreated",
    "TaskCompleted",
    "Stop",
    "StopFailure",
    "TeammateIdle",
    "InstructionsLoaded",
    "ConfigChange",
    "CwdChanged",
    "DirectoryAdded",
    "FileChanged",
    "WorktreeRemove",
    "PreCompact",
    "PostCompact",
    "Elicitation",
    "ElicitationResult",
    "SessionEnd",
    NULL,
};

/* Events without matcher support; FileChanged takes its matcher as a list
 * of file names to watch, where "*" would watch a file named "*". */
static const char *const install_no_matcher[] = {
    "UserPromptSubmit", "PostToolBatch", "Stop",	   "TeammateIdle",
    "TaskCreated",	"TaskCompleted", "WorktreeCreate", "WorktreeRemove",
    "MessageDisplay",	"CwdChanged",	 "FileChanged",	   NULL,
};

#define INSTALL_SELF_NAME "hook-capture"

static int
install_in_list(const char *const *list, const char *s)
{
	for (; *list != NULL; list++)
		if (strcmp(*list, s) == 0)
			return 1;
	return 0;
}

int
install_event_has_matcher(const char *event)
{
	return !install_in_list(install_no_matcher, event);
}

int
install_is_ours(json_object *handler)
{
	json_object *v;
	const char *cmd, *end, *base;
	size_t n;

	if (!json_object_is_type(handler, json_type_object))
		return 0;
	if (json_object_object_get_ex(handler, "type", &v) &&
	    (!json_object_is_type(v, json_type_string) ||
	     strcmp(json_object_get_string(v), "command") != 0))
		return 0;
	if (!json_object_object_get_ex(handler, "command", &v) ||
	    !json_object_is_type(v, json_type_string))
		return 0;
	/* The executable is the first word (shell form may add flags). */
	cmd = json_object_get_string(v);
	while (*cmd == ' ' || *cmd == '\t')
		cmd++;
	end = cmd + strcspn(cmd, " \t");
	for (base = end; base > cmd && base[-1] != '/'; base--)
		;
	n = strlen(INSTALL_SELF_NAME);
	return (size_t)(end - base) == n && memcmp(base, INSTALL_SELF_NAME, n) == 0;
}

json_object *
install_parse(const char *buf, size_t len, char *err, size_t errlen)
{
	enum json_tokener_error jerr;
	json_tokener *tok;
	json_object *obj = NULL, *hooks;
	size_t i;

	for (i = 0; i < len && strchr(" \t\r\n", buf[i]) != NULL; i++)
		;
	if (i == len)
		return json_object_new_object();
	if (memchr(buf, '\0', len) != NULL) {
		snprintf(err, errlen, "not valid JSON: NUL byte");
		return NULL;
	}
	if (len > INT32_MAX || (tok = json_tokener_new()) == NULL) {
		snprintf(err, errlen, "cannot parse: too large or out of memory");
		return NULL;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	obj = json_tokener_parse_ex(tok, buf, (int)len);
	jerr = json_tokener_get_error(tok);
	if (obj == NULL || jerr != json_tokener_success) {
		snprintf(err, errlen, "not valid JSON: %s at offset %zu",
			 obj == NULL && jerr == json_tokener_continue
			     ? "unexpected end of file"
			     : json_tokener_error_desc(jerr),
			 json_tokener_get_parse_end(tok));
		goto fail;
	}
	for (i = json_tokener_get_parse_end(tok); i < len; i++)
		if (strchr(" \t\r\n", buf[i]) == NULL) {
			snprintf(err, errlen, "not valid JSON: trailing text at offset %zu", i);
			goto fail;
		}
	json_tokener_free(tok);
	tok = NULL;
	if (!json_object_is_type(obj, json_type_object)) {
		snprintf(err, errlen, "not a JSON object");
		goto fail;
	}
	if (json_object_object_get_ex(obj, "hooks", &hooks)) {
		if (!json_object_is_type(hooks, json_type_object)) {
			snprintf(err, errlen, "\"hooks\" is not an object");
			goto fail;
		}
		json_object_object_foreach (hooks, ev, arr) {
			if (!json_object_is_type(arr, json_type_array)) {
				snprintf(err, errlen, "\"hooks\".\"%s\" is not an array", ev);
				goto fail;
			}
		}
	}
	return obj;
fail:
	if (tok != NULL)
		json_tokener_free(tok);
	json_object_put(obj);
	return NULL;
}

json_object *
install_load(const char *path, int *existed, char *err, size_t errlen)
{
	json_object *obj = NULL;
	char *buf = NULL, msg[256];
	struct stat st;
	size_t n = 0;
	ssize_t r;
	int fd;

	*existed = 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		if (errno == ENOENT)
			return json_object_new_object();
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	*existed = 1;
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		goto done;
	}
	if (st.st_size > INSTALL_SETTINGS_MAX) {
		snprintf(err, errlen, "%s: larger than %d bytes", path, INSTALL_SETTINGS_MAX);
		goto done;
	}
	if ((buf = malloc((size_t)st.st_size + 1)) == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		goto done;
	}
	while (n < (size_t)st.st_size) {
		r = read(fd, buf + n, (size_t)st.st_size - n);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			goto done;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	if ((obj = install_parse(buf, n, msg, sizeof(msg))) == NULL)
		snprintf(err, errlen, "%s: %s", path, msg);
done:
	free(buf);
	close(fd);
	return obj;
}

/* Copies src to dst through a temporary file and a rename.  Returns 0 or -1. */
static int
install_copy(const char *src, const char *dst, mode_t mode, char *err, size_t errlen)
{
	char tmp[PATH_MAX], buf[65536];
	int in = -1, out = -1, rc = -1;
	ssize_t n;

	if (snprintf(tmp, sizeof(tmp), "%s.XXXXXX", dst) >= (int)sizeof(tmp)) {
		snprintf(err, errlen, "%s: path too long", dst);
		return -1;
	}
	if ((in = open(src, O_RDONLY | O_CLOEXEC)) == -1 || (out = mkstemp(tmp)) == -1) {
		snprintf(err, errlen, "backup %s: %s", dst, strerror(errno));
		goto done;
	}
	for (;;) {
		n = read(in, buf, sizeof(buf));
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 || (n > 0 && util_write_all(out, buf, (size_t)n) == -1)) {
			snprintf(err, errlen, "backup %s: %s", dst, strerror(errno));
			goto done;
		}
		if (n == 0)
			break;
	}
	if (fchmod(out, mode) == -1 || fsync(out) == -1 || close(out) == -1) {
		out = -1;
		snprintf(err, errlen, "backup %s: %s", dst, strerror(errno));
		goto done;
	}
	out = -1;
	if (rename(tmp, dst) == -1) {
		snprintf(err, errlen, "backup %s: %s", dst, strerror(errno));
		goto done;
	}
	rc = 0;
done:
	if (in != -1)
		close(in);
	if (out != -1)
		close(out);
	if (rc == -1)
		unlink(tmp);
	return rc;
}

/*
 * json-c pretty-prints an empty array or object over two lines; write []
 * and {} instead.  A newline never occurs inside a JSON string (it is
 * escaped there), so "[" or "{" followed by a newline, blanks and the
 * matching bracket is always an empty container.  Returns a new string.
 */
static char *
install_compact_empty(const char *text)
{
	const char *p = text, *q;
	char *out, *o;

	if ((out = malloc(strlen(text) + 1)) == NULL)
		return NULL;
	for (o = out; *p != '\0'; p++) {
		*o++ = *p;
		if ((*p != '[' && *p != '{') || p[1] != '\n')
			continue;
		for (q = p + 1; *q == '\n' || *q == ' ' || *q == '\t'; q++)
			;
		if (*q == (*p == '[' ? ']' : '}'))
			p = q - 1;
	}
	*o = '\0';
	return out;
}

int
install_save(const char *path, json_object *settings, char *err, size_t errlen)
{
	char real[PATH_MAX], dir[PATH_MAX], tmp[PATH_MAX], bak[PATH_MAX], copy[PATH_MAX];
	const char *target = path, *text;
	struct stat st;
	mode_t mode = 0600;
	int fd = -1, dfd, exists, rc;
	char *compact;

	/* A settings.json that is a symlink (dotfile managers) is written through. */
	if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode) && realpath(path, real) != NULL)
		target = real;
	exists = stat(target, &st) == 0;
	if (exists)
		mode = st.st_mode & 07777;
	snprintf(copy, sizeof(copy), "%s", target);
	snprintf(dir, sizeof(dir), "%s", dirname(copy));
	if (mkdir(dir, 0700) == -1 && errno != EEXIST) {
		snprintf(err, errlen, "mkdir %s: %s", dir, strerror(errno));
		return -1;
	}
	if (snprintf(tmp, sizeof(tmp), "%s.XXXXXX", target) >= (int)sizeof(tmp) ||
	    snprintf(bak, sizeof(bak), "%s%s", target, INSTALL_BACKUP_SUFFIX) >= (int)sizeof(bak)) {
		snprintf(err, errlen, "%s: path too long", target);
		return -1;
	}
	if (exists && install_copy(target, bak, mode, err, errlen) == -1)
		return -1;
	text = json_object_to_json_string_ext(settings, JSON_C_TO_STRING_PRETTY |
							    JSON_C_TO_STRING_SPACED |
							    JSON_C_TO_STRING_NOSLASHESCAPE);
	if (text == NULL) {
		snprintf(err, errlen, "%s: out of memory", target);
		return -1;
	}
	if ((compact = install_compact_empty(text)) == NULL) {
		snprintf(err, errlen, "%s: out of memory", target);
		return -1;
	}
	if ((fd = mkstemp(tmp)) == -1) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		free(compact);
		return -1;
	}
	rc = util_write_all(fd, compact, strlen(compact));
	free(compact);
	if (rc == -1 || util_write_all(fd, "\n", 1) == -1 || fchmod(fd, mode) == -1 ||
	    fsync(fd) == -1) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		goto fail;
	}
	if (close(fd) == -1) {
		fd = -1;
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		goto fail;
	}
	fd = -1;
	if (rename(tmp, target) == -1) {
		snprintf(err, errlen, "rename %s: %s", target, strerror(errno));
		goto fail;
	}
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) != -1) {
		fsync(dfd);
		close(dfd);
	}
	return 0;
fail:
	if (fd != -1)
		close(fd);
	unlink(tmp);
	return -1;
}

/*
 * Takes our handlers out of one event's array of matcher groups.  A group
 * left without handlers by that is dropped.  When place is not NULL, it is
 * put where the first of our handlers was (replacing its group when that
 * became empty, else right after it), or appended.  Returns a new array
 * (caller puts it) and sets *removed.
 */
static json_object *
install_filter(json_object *arr, json_object *place, int *removed)
{
	json_object *out, *group, *inner, *ninner, *h;
	size_t i, j, n, m;
	int placed = 0, ours;

	*removed = 0;
	if ((out = json_object_new_array()) == NULL)
		return NULL;
	n = json_object_array_length(arr);
	for (i = 0; i < n; i++) {
		group = json_object_array_get_idx(arr, i);
		if (!json_object_is_type(group, json_type_object) ||
		    !json_object_object_get_ex(group, "hooks", &inner) ||
		    !json_object_is_type(inner, json_type_array)) {
			json_object_array_add(out, json_object_get(group));
			continue;
		}
		m = json_object_array_length(inner);
		for (j = 0, ours = 0; j < m; j++)
			ours += install_is_ours(json_object_array_get_idx(inner, j));
		if (ours == 0) {
			json_object_array_add(out, json_object_get(group));
			continue;
		}
		*removed += ours;
		if (ours < (int)m) {
			if ((ninner = json_object_new_array()) == NULL)
				goto fail;
			for (j = 0; j < m; j++) {
				h = json_object_array_get_idx(inner, j);
				if (!install_is_ours(h))
					json_object_array_add(ninner, json_object_get(h));
			}
			json_object_object_add(group, "hooks", ninner);
			json_object_array_add(out, json_object_get(group));
		}
		if (place != NULL && !placed) {
			json_object_array_add(out, json_object_get(place));
			placed = 1;
		}
	}
	if (place != NULL && !placed)
		json_object_array_add(out, json_object_get(place));
	return out;
fail:
	json_object_put(out);
	return NULL;
}

/* A valid event name: letters, digits and '_', 1 to 64 of them. */
static int
install_event_valid(const char *ev)
{
	size_t n = strlen(ev);

	return n > 0 && n <= 64 &&
	       strspn(ev, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") == n;
}

/* Our matcher group for event. */
static json_object *
install_group(const char *event, const char *command, json_object *args, int timeout)
{
	json_object *group, *inner, *h;

	group = json_object_new_object();
	inner = json_object_new_array();
	h = json_object_new_object();
	if (group == NULL || inner == NULL || h == NULL) {
		json_object_put(group);
		json_object_put(inner);
		json_object_put(h);
		return NULL;
	}
	if (strcmp(event, "FileChanged") == 0)
		json_object_object_add(group, "matcher",
				       json_object_new_string(INSTALL_FILECHANGED_MATCHER));
	else if (install_event_has_matcher(event))
		json_object_object_add(group, "matcher", json_object_new_string("*"));
	if (strcmp(event, "SessionEnd") == 0 && timeout > INSTALL_TIMEOUT_SESSIONEND)
		timeout = INSTALL_TIMEOUT_SESSIONEND;
	json_object_object_add(group, "hooks", inner);
	json_object_array_add(inner, h);
	json_object_object_add(h, "type", json_object_new_string("command"));
	json_object_object_add(h, "command", json_object_new_string(command));
	if (args != NULL) {
		json_object *copy = NULL;

		if (json_object_deep_copy(args, &copy, NULL) == 0)
			json_object_object_add(h, "args", copy);
	} else
		json_object_object_add(h, "args", json_object_new_array());
	json_object_object_add(h, "timeout", json_object_new_int(timeout));
	return group;
}

/*
 * Takes our handlers out of every event; events in events (may be NULL)
 * get our group.  Events emptied by the removal are dropped, and "hooks"
 * when it became empty.  Returns the handlers removed, or -1.
 */
static int
install_rewrite(json_object *settings, const char *command, json_object *args,
		const char *const *events, int timeout)
{
	json_object *hooks, *arr, *narr, *group;
	const char *const *e;
	int removed, total = 0, created = 0;
	char **drop = NULL;
	size_t ndrop = 0, i;

	if (!json_object_object_get_ex(settings, "hooks", &hooks)) {
		if (events == NULL)
			return 0;
		if ((hooks = json_object_new_object()) == NULL)
			return -1;
		json_object_object_add(settings, "hooks", hooks);
		created = 1;
	}
	/* Events we register: replace our handler in place, or add it. */
	for (e = events; e != NULL && *e != NULL; e++) {
		if ((group = install_group(*e, command, args, timeout)) == NULL)
			return -1;
		if (json_object_object_get_ex(hooks, *e, &arr)) {
			narr = install_filter(arr, group, &removed);
			total += removed;
		} else {
			narr = json_object_new_array();
			if (narr != NULL)
				json_object_array_add(narr, json_object_get(group));
		}
		json_object_put(group);
		if (narr == NULL)
			return -1;
		json_object_object_add(hooks, *e, narr);
	}
	/* Every other event: take ours out. */
	drop = calloc(json_object_object_length(hooks) + 1, sizeof(*drop));
	if (drop == NULL)
		return -1;
	json_object_object_foreach (hooks, ev, earr) {
		if (events != NULL && install_in_list(events, ev))
			continue;
		if ((narr = install_filter(earr, NULL, &removed)) == NULL) {
			free(drop);
			return -1;
		}
		if (removed == 0) {
			json_object_put(narr);
			continue;
		}
		total += removed;
		if (json_object_array_length(narr) == 0) {
			json_object_put(narr);
			drop[ndrop++] = ev;
		} else
			json_object_object_add(hooks, ev, narr);
	}
	for (i = 0; i < ndrop; i++)
		json_object_object_del(hooks, drop[i]);
	free(drop);
	if (!created && ndrop > 0 && json_object_object_length(hooks) == 0)
		json_object_object_del(settings, "hooks");
	return total;
}

int
install_check_events(const char *const *events, int force, char *err, size_t errlen)
{
	const char *const *e;
	int n = 0;

	for (e = events; *e != NULL; e++, n++) {
		if (!install_event_valid(*e)) {
			snprintf(err, errlen, "%s: not an event name", *e);
			return -1;
		}
		if (strcmp(*e, "WorktreeCreate") == 0) {
			snprintf(err, errlen,
				 "WorktreeCreate: a hook there replaces git worktree "
				 "creation; hook-capture does not register for it");
			return -1;
		}
		if (!force && !install_in_list(install_events, *e)) {
			snprintf(err, errlen,
				 "%s: not a Claude Code hook event hook-capture knows "
				 "(hook-capture(1) lists them; --force takes it anyway)",
				 *e);
			return -1;
		}
	}
	if (n == 0) {
		snprintf(err, errlen, "no events given");
		return -1;
	}
	return n;
}

int
install_apply(json_object *settings, const char *command, json_object *args,
	      const char *const *events, int timeout, char *err, size_t errlen)
{
	int n;

	/* the names were checked against the list, or --force said to take them */
	if ((n = install_check_events(events, 1, err, errlen)) == -1)
		return -1;
	if (timeout < 1 || timeout > INSTALL_TIMEOUT_MAX) {
		snprintf(err, errlen, "timeout %d: not within 1 to %d seconds", timeout,
			 INSTALL_TIMEOUT_MAX);
		return -1;
	}
	if (install_rewrite(settings, command, args, events, timeout) == -1) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return n;
}

int
install_remove(json_object *settings)
{
	int n = install_rewrite(settings, NULL, NULL, NULL, 0);

	return n < 0 ? 0 : n;
}

json_object *
install_registered(json_object *settings)
{
	json_object *hooks, *out, *group, *inner;
	size_t i, j;
	int found;

	if ((out = json_object_new_array()) == NULL)
		return NULL;
	if (!json_object_object_get_ex(settings, "hooks", &hooks) ||
	    !json_object_is_type(hooks, json_type_object))
		return out;
	json_object_object_foreach (hooks, ev, arr) {
		if (!json_object_is_type(arr, json_type_array))
			continue;
		for (i = 0, found = 0; !found && i < json_object_array_length(arr); i++) {
			group = json_object_array_get_idx(arr, i);
			if (!json_object_is_type(group, json_type_object) ||
			    !json_object_object_get_ex(group, "hooks", &inner) ||
			    !json_object_is_type(inner, json_type_array))
				continue;
			for (j = 0; !found && j < json_object_array_length(inner); j++)
				found = install_is_ours(json_object_array_get_idx(inner, j));
		}
		if (found)
			json_object_array_add(out, json_object_new_string(ev));
	}
	return out;
}

/* ---------------------------------------------------------------- the status line */

/* The first word of a command string, as install_is_ours() reads it. */
static int
install_cmd_runs_us(const char *cmd, const char **rest)
{
	const char *end, *base;
	size_t n = strlen(INSTALL_SELF_NAME);

	while (*cmd == ' ' || *cmd == '\t')
		cmd++;
	if (*cmd == '\'') { /* our own quoting */
		cmd++;
		end = cmd + strcspn(cmd, "'");
	} else
		end = cmd + strcspn(cmd, " \t");
	for (base = end; base > cmd && base[-1] != '/'; base--)
		;
	*rest = *end == '\'' ? end + 1 : end;
	return (size_t)(end - base) == n && memcmp(base, INSTALL_SELF_NAME, n) == 0;
}

int
install_statusline_is_ours(json_object *sl)
{
	json_object *v;
	const char *rest;

	if (sl == NULL || !json_object_is_type(sl, json_type_object) ||
	    !json_object_object_get_ex(sl, "command", &v) ||
	    !json_object_is_type(v, json_type_string) ||
	    !install_cmd_runs_us(json_object_get_string(v), &rest))
		return 0;
	return strstr(rest, " statusline") != NULL;
}

/* s in single quotes for sh, each ' written '\''.  A new string. */
static char *
install_shell_quote(const char *s)
{
	size_t n = 3, i, o = 0;
	char *q;

	for (i = 0; s[i] != '\0'; i++)
		n += s[i] == '\'' ? 4 : 1;
	if ((q = malloc(n)) == NULL)
		return NULL;
	q[o++] = '\'';
	for (i = 0; s[i] != '\0'; i++) {
		if (s[i] == '\'') {
			memcpy(q + o, "'\\''", 4);
			o += 4;
		} else
			q[o++] = s[i];
	}
	q[o++] = '\'';
	q[o] = '\0';
	return q;
}

/* Appends the quoted word to the growing command.  Returns 0 or -1. */
static int
install_cmd_add(char **cmd, size_t *len, const char *word, int quote)
{
	char *q = quote ? install_shell_quote(word) : strdup(word), *n;
	size_t wl;

	if (q == NULL)
		return -1;
	wl = strlen(q);
	if ((n = realloc(*cmd, *len + wl + 2)) == NULL) {
		free(q);
		return -1;
	}
	if (*len > 0)
		n[(*len)++] = ' ';
	memcpy(n + *len, q, wl + 1);
	*len += wl;
	*cmd = n;
	free(q);
	return 0;
}

char *
install_statusline_command(const char *self, json_object *args, const char *wrapped)
{
	char *cmd = NULL;
	size_t len = 0, i;

	if (install_cmd_add(&cmd, &len, self, 1) == -1)
		goto fail;
	for (i = 0; args != NULL && i < json_object_array_length(args); i++)
		if (install_cmd_add(&cmd, &len,
				    json_object_get_string(json_object_array_get_idx(args, i)),
				    1) == -1)
			goto fail;
	if (install_cmd_add(&cmd, &len, "statusline", 0) == -1)
		goto fail;
	/* the user's command runs as Claude Code ran it: a shell command line */
	if (wrapped != NULL && (install_cmd_add(&cmd, &len, "-- /bin/sh -c", 0) == -1 ||
				install_cmd_add(&cmd, &len, wrapped, 1) == -1))
		goto fail;
	return cmd;
fail:
	free(cmd);
	return NULL;
}

int
install_statusline_apply(json_object *settings, const char *self, json_object *args,
			 json_object *original, char *err, size_t errlen)
{
	json_object *sl = NULL, *v;
	const char *wrapped = NULL;
	char *cmd;

	if (original != NULL) {
		if (!json_object_is_type(original, json_type_object) ||
		    (json_object_object_get_ex(original, "type", &v) &&
		     (!json_object_is_type(v, json_type_string) ||
		      strcmp(json_object_get_string(v), "command") != 0)) ||
		    !json_object_object_get_ex(original, "command", &v) ||
		    !json_object_is_type(v, json_type_string)) {
			snprintf(
			    err, errlen,
			    "\"statusLine\" is not a {\"type\": \"command\", \"command\": ...} "
			    "object; not wrapped");
			return -1;
		}
		wrapped = json_object_get_string(v);
		if (json_object_deep_copy(original, &sl, NULL) != 0)
			goto oom;
	} else if ((sl = json_object_new_object()) == NULL)
		goto oom;
	else
		json_object_object_add(sl, "type", json_object_new_string("command"));
	if ((cmd = install_statusline_command(self, args, wrapped)) == NULL)
		goto oom;
	json_object_object_add(sl, "command", json_object_new_string(cmd));
	free(cmd);
	/* in place when the key exists: the file keeps its order */
	json_object_object_add(settings, "statusLine", sl);
	return 0;
oom:
	json_object_put(sl);
	snprintf(err, errlen, "out of memory");
	return -1;
}

int
install_statusline_remove(json_object *settings, json_object *saved, int have_saved)
{
	json_object *sl, *copy = NULL;

	if (!json_object_object_get_ex(settings, "statusLine", &sl) ||
	    !install_statusline_is_ours(sl))
		return 0;
	if (have_saved && saved != NULL && json_object_deep_copy(saved, &copy, NULL) == 0)
		json_object_object_add(settings, "statusLine", copy);
	else
		json_object_object_del(settings, "statusLine");
	return 1;
}

/* The side file that keeps the statusLine install --statusline replaced. */
static int
install_side_path(const char *path, char *out, size_t outlen)
{
	return snprintf(out, outlen, "%s%s", path, INSTALL_STATUSLINE_SUFFIX) < (int)outlen ? 0
											    : -1;
}

/* Reads the side file: 1 and *orig (a new object, or NULL for "none"), 0
 * when there is none, -1 when it is bad (err). */
static int
install_side_read(const char *path, json_object **orig, char *err, size_t errlen)
{
	char side[PATH_MAX];
	json_object *o, *v;
	int existed;

	*orig = NULL;
	if (install_side_path(path, side, sizeof(side)) == -1)
		return 0;
	if ((o = install_load(side, &existed, err, errlen)) == NULL)
		return -1;
	if (!existed) {
		json_object_put(o);
		return 0;
	}
	if (!json_object_object_get_ex(o, "original", &v)) {
		snprintf(err, errlen, "%.400s: no \"original\"", side);
		json_object_put(o);
		return -1;
	}
	*orig = json_object_get(v);
	json_object_put(o);
	return 1;
}

/* Writes the side file (temporary file, rename).  0 or -1 with err. */
static int
install_side_write(const char *path, json_object *orig, char *err, size_t errlen)
{
	char side[PATH_MAX], tmp[PATH_MAX + 8];
	json_object *o;
	const char *text;
	int fd, rc = -1;

	if (install_side_path(path, side, sizeof(side)) == -1 ||
	    snprintf(tmp, sizeof(tmp), "%s.XXXXXX", side) >= (int)sizeof(tmp)) {
		snprintf(err, errlen, "%.400s: path too long", path);
		return -1;
	}
	/* before the settings file is first written: make its directory */
	snprintf(tmp, sizeof(tmp), "%s", side);
	if (mkdir(dirname(tmp), 0700) == -1 && errno != EEXIST) {
		snprintf(err, errlen, "mkdir %.400s: %s", tmp, strerror(errno));
		return -1;
	}
	snprintf(tmp, sizeof(tmp), "%s.XXXXXX", side);
	if ((o = json_object_new_object()) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	json_object_object_add(o, "original", json_object_get(orig));
	json_object_object_add(
	    o, "note",
	    json_object_new_string("the statusLine hook-capture install --statusline "
				   "replaced; hook-capture uninstall puts it back"));
	text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
						     JSON_C_TO_STRING_NOSLASHESCAPE);
	if ((fd = mkstemp(tmp)) == -1) {
		snprintf(err, errlen, "%.400s: %s", tmp, strerror(errno));
		goto done;
	}
	if (util_write_all(fd, text, strlen(text)) == -1 || util_write_all(fd, "\n", 1) == -1 ||
	    fsync(fd) == -1 || close(fd) == -1 || rename(tmp, side) == -1) {
		snprintf(err, errlen, "%.400s: %s", side, strerror(errno));
		unlink(tmp);
		goto done;
	}
	rc = 0;
done:
	json_object_put(o);
	return rc;
}

/* ---------------------------------------------------------------- our own path */

/* The absolute path of the running hook-capture, into out: the system's
 * own answer where there is one (compat_exe_path()), else argv[0] (with a slash: as it is; without:
 * found on PATH).  Returns 0 or -1. */
static int
install_self(const char *argv0, char *out, size_t outlen)
{
	char cand[PATH_MAX], cand2[PATH_MAX];
	const char *p, *e;
	size_t n;

	if (compat_exe_path(cand, sizeof(cand)) > 0 && realpath(cand, cand2) != NULL &&
	    strlen(cand2) < outlen) {
		memcpy(out, cand2, strlen(cand2) + 1);
		return 0;
	}
	if (argv0 == NULL)
		return -1;
	if (strchr(argv0, '/') != NULL)
		return realpath(argv0, cand) != NULL && strlen(cand) < outlen
			   ? (memcpy(out, cand, strlen(cand) + 1), 0)
			   : -1;
	for (p = getenv("PATH"); p != NULL && *p != '\0'; p = *e ? e + 1 : e) {
		e = p + strcspn(p, ":");
		n = (size_t)(e - p);
		if (n > 0 &&
		    snprintf(cand, sizeof(cand), "%.*s/%s", (int)n, p, argv0) < (int)sizeof(cand) &&
		    access(cand, X_OK) == 0 && realpath(cand, out) != NULL)
			return 0;
	}
	return -1;
}

/* True when the binary at path sits in a build tree (the build's mark
 * beside it), which make clean removes. */
static int
install_in_build_tree(const char *path)
{
	char mark[PATH_MAX];
	const char *slash = strrchr(path, '/');

	if (slash == NULL || snprintf(mark, sizeof(mark), "%.*s/%s", (int)(slash - path), path,
				      INSTALL_BUILD_MARK) >= (int)sizeof(mark))
		return 0;
	return access(mark, F_OK) == 0;
}

/* The first hook-capture on PATH that is not in a build tree, into out. */
static int
install_find_installed(char *out, size_t outlen)
{
	char cand[PATH_MAX], real[PATH_MAX];
	const char *p, *e;
	size_t n;

	for (p = getenv("PATH"); p != NULL && *p != '\0'; p = *e ? e + 1 : e) {
		e = p + strcspn(p, ":");
		n = (size_t)(e - p);
		if (n == 0 || snprintf(cand, sizeof(cand), "%.*s/" INSTALL_SELF_NAME, (int)n, p) >=
				  (int)sizeof(cand))
			continue;
		if (access(cand, X_OK) == 0 && realpath(cand, real) != NULL &&
		    !install_in_build_tree(real) && strlen(real) < outlen) {
			memcpy(out, real, strlen(real) + 1);
			return 0;
		}
	}
	return -1;
}

/*
 * The hook-capture path to record in settings.json: one that stays.  Ours,
 * unless it is in a build tree: then the installed one on PATH, or with
 * --here ours anyway (the hooks break at make clean; said on stderr).
 * Returns EXIT_OK, or an exit code after a message.
 */
static int
install_self_stable(const struct capture_opts *opts, char *self, size_t len)
{
	char inst[PATH_MAX];

	if (install_self(opts->argv0, self, len) == -1) {
		fprintf(stderr, "hook-capture: cannot find my own path (%s)\n",
			opts->argv0 ? opts->argv0 : "?");
		return EXIT_RUNTIME;
	}
	if (!install_in_build_tree(self))
		return EXIT_OK;
	if (opts->here) {
		fprintf(stderr,
			"hook-capture: registering %s, in a build tree: make clean will break "
			"the hooks (make install, then hook-capture install, records a path "
			"that stays)\n",
			self);
		return EXIT_OK;
	}
	if (install_find_installed(inst, sizeof(inst)) == 0) {
		fprintf(stderr,
			"hook-capture: %s is in a build tree; registering the installed %s\n", self,
			inst);
		snprintf(self, len, "%s", inst);
		return EXIT_OK;
	}
	fprintf(stderr,
		"hook-capture: %s is in a build tree, which make clean removes, and no "
		"hook-capture is installed on PATH: run make install first, or install --here "
		"to register this one anyway\n",
		self);
	return EXIT_USAGE;
}

/* ---------------------------------------------------------------- the subcommands */

/* Makes path absolute (relative to the current directory); into out. */
static int
install_abs(const char *path, char *out, size_t outlen)
{
	char cwd[PATH_MAX];

	if (path[0] == '/')
		return snprintf(out, outlen, "%s", path) < (int)outlen ? 0 : -1;
	if (realpath(path, out) != NULL && strlen(out) < outlen)
		return 0;
	if (getcwd(cwd, sizeof(cwd)) == NULL)
		return -1;
	return snprintf(out, outlen, "%s/%s", cwd, path) < (int)outlen ? 0 : -1;
}

/* The settings.json that --user or --project DIR names; into out. */
static int
install_settings_path(const struct capture_opts *opts, char *out, size_t outlen)
{
	char dir[PATH_MAX];
	const char *home;
	struct passwd *pw;

	if (opts->project != NULL) {
		if (realpath(opts->project, dir) == NULL) {
			fprintf(stderr, "hook-capture: %s: %s\n", opts->project, strerror(errno));
			return -1;
		}
	} else {
		home = getenv("HOME");
		if ((home == NULL || home[0] == '\0') && (pw = getpwuid(getuid())) != NULL)
			home = pw->pw_dir;
		if (home == NULL || home[0] == '\0') {
			fprintf(stderr, "hook-capture: no home directory; use --project\n");
			return -1;
		}
		snprintf(dir, sizeof(dir), "%s", home);
	}
	if (snprintf(out, outlen, "%s/.claude/settings%s.json", dir, opts->local ? ".local" : "") >=
	    (int)outlen) {
		fprintf(stderr, "hook-capture: %s: path too long\n", dir);
		return -1;
	}
	return 0;
}

/* Most event names in --events. */
#define INSTALL_EVENTS_MAX 128

/* Splits --events (comma-separated; "all" means the default list) into
 * names (pointing into buf).  Returns the count, or -1. */
static int
install_parse_events(const char *list, char *buf, size_t buflen, const char **names)
{
	char *item, *save = NULL, *end;
	int n = 0, i;

	if (list == NULL || strcmp(list, "all") == 0) {
		for (i = 0; install_events[i] != NULL; i++)
			names[i] = install_events[i];
		names[i] = NULL;
		return i;
	}
	if (snprintf(buf, buflen, "%s", list) >= (int)buflen)
		return -1;
	for (item = strtok_r(buf, ",", &save); item != NULL; item = strtok_r(NULL, ",", &save)) {
		while (*item == ' ' || *item == '\t')
			item++;
		end = item + strlen(item);
		while (end > item && (end[-1] == ' ' || end[-1] == '\t'))
			*--end = '\0';
		if (*item == '\0')
			continue;
		for (i = 0; i < n; i++)
			if (strcmp(names[i], item) == 0)
				break;
		if (i < n)
			continue;
		if (n == INSTALL_EVENTS_MAX)
			return -1;
		names[n++] = item;
	}
	names[n] = NULL;
	return n;
}

/* The args array written into each handler: the flags given with install
 * that select the configuration, the instance and the directories. */
static json_object *
install_args(const struct capture_opts *opts)
{
	const char *flag[] = {"-c", "-i", "--rundir", "--statedir", "--log-file"};
	const char *val[] = {opts->config_file, opts->instance, opts->rundir, opts->statedir,
			     opts->log_file};
	char abs[PATH_MAX];
	json_object *args;
	size_t i;

	if ((args = json_object_new_array()) == NULL)
		return NULL;
	for (i = 0; i < sizeof(flag) / sizeof(flag[0]); i++) {
		if (val[i] == NULL)
			continue;
		json_object_array_add(args, json_object_new_string(flag[i]));
		if (i != 1 && install_abs(val[i], abs, sizeof(abs)) == 0)
			json_object_array_add(args, json_object_new_string(abs));
		else
			json_object_array_add(args, json_object_new_string(val[i]));
	}
	return args;
}

static int
install_cmd_install(const struct capture_opts *opts, const char *path)
{
	const char *events[INSTALL_EVENTS_MAX + 1];
	char evbuf[4096], self[PATH_MAX], err[512], *end;
	json_object *settings = NULL, *orig = NULL, *args = NULL;
	int n, timeout = INSTALL_TIMEOUT_DEFAULT, existed, rc = EXIT_RUNTIME;
	long v;

	if (install_parse_events(opts->events, evbuf, sizeof(evbuf), events) <= 0) {
		fprintf(stderr, "hook-capture: --events: expected a comma-separated list of "
				"event names\n");
		return EXIT_USAGE;
	}
	if (install_check_events(events, opts->force, err, sizeof(err)) == -1) {
		fprintf(stderr, "hook-capture: --events: %s\n", err);
		return EXIT_USAGE;
	}
	if (opts->timeout != NULL) {
		errno = 0;
		v = strtol(opts->timeout, &end, 10);
		if (errno != 0 || end == opts->timeout || *end != '\0' || v < 1 ||
		    v > INSTALL_TIMEOUT_MAX) {
			fprintf(stderr, "hook-capture: --timeout %s: expected 1 to %d seconds\n",
				opts->timeout, INSTALL_TIMEOUT_MAX);
			return EXIT_USAGE;
		}
		timeout = (int)v;
	}
	if ((rc = install_self_stable(opts, self, sizeof(self))) != EXIT_OK)
		return rc;
	rc = EXIT_RUNTIME;
	if ((settings = install_load(path, &existed, err, sizeof(err))) == NULL) {
		fprintf(stderr, "hook-capture: %s; file left untouched\n", err);
		return EXIT_RUNTIME;
	}
	if (json_object_deep_copy(settings, &orig, NULL) != 0 ||
	    (args = install_args(opts)) == NULL) {
		fprintf(stderr, "hook-capture: out of memory\n");
		goto done;
	}
	if ((n = install_apply(settings, self, args, events, timeout, err, sizeof(err))) == -1) {
		fprintf(stderr, "hook-capture: %s\n", err);
		rc = EXIT_USAGE;
		goto done;
	}
	if (opts->statusline) {
		json_object *cur = NULL, *saved = NULL;
		int have;

		json_object_object_get_ex(settings, "statusLine", &cur);
		cur = json_object_get(cur); /* held: apply replaces it in settings */
		if (install_statusline_is_ours(cur)) {
			/* installed before: wrap what was kept then, keep the side file */
			if ((have = install_side_read(path, &saved, err, sizeof(err))) == -1) {
				fprintf(stderr, "hook-capture: %s; file left untouched\n", err);
				json_object_put(cur);
				goto done;
			}
			rc = install_statusline_apply(settings, self, args, have ? saved : NULL,
						      err, sizeof(err));
			json_object_put(saved);
		} else {
			rc = install_statusline_apply(settings, self, args, cur, err, sizeof(err));
			if (rc == 0 && install_side_write(path, cur, err, sizeof(err)) == -1)
				rc = -1;
		}
		json_object_put(cur);
		if (rc == -1) {
			fprintf(stderr, "hook-capture: %s; %s left untouched\n", err, path);
			rc = EXIT_RUNTIME;
			goto done;
		}
		rc = EXIT_RUNTIME;
	}
	if (existed && json_object_equal(orig, settings)) {
		printf("hook-capture: already installed in %s for %d event%s\n", path, n,
		       n == 1 ? "" : "s");
		rc = EXIT_OK;
		goto done;
	}
	if (install_save(path, settings, err, sizeof(err)) == -1) {
		fprintf(stderr, "hook-capture: %s; %s left untouched\n", err, path);
		goto done;
	}
	printf("hook-capture: installed %s in %s for %d event%s%s%s%s%s\n", self, path, n,
	       n == 1 ? "" : "s", opts->statusline ? " and the status line" : "",
	       existed ? " (previous file kept as " : "", existed ? path : "",
	       existed ? INSTALL_BACKUP_SUFFIX ")" : "");
	rc = EXIT_OK;
done:
	json_object_put(args);
	json_object_put(orig);
	json_object_put(settings);
	return rc;
}

static int
install_cmd_uninstall(const char *path)
{
	json_object *settings, *saved = NULL;
	char err[512], side[PATH_MAX];
	int existed, n, sl, have = 0, rc = EXIT_RUNTIME;

	if ((settings = install_load(path, &existed, err, sizeof(err))) == NULL) {
		fprintf(stderr, "hook-capture: %s; file left untouched\n", err);
		return EXIT_RUNTIME;
	}
	if ((have = install_side_read(path, &saved, err, sizeof(err))) == -1) {
		fprintf(stderr, "hook-capture: %s; file left untouched\n", err);
		goto done;
	}
	n = install_remove(settings);
	sl = install_statusline_remove(settings, saved, have);
	if (n == 0 && sl == 0) {
		printf("hook-capture: not installed in %s\n", path);
		rc = EXIT_OK;
		goto side;
	}
	if (install_save(path, settings, err, sizeof(err)) == -1) {
		fprintf(stderr, "hook-capture: %s; %s left untouched\n", err, path);
		goto done;
	}
	printf("hook-capture: removed %d handler%s%s from %s (previous file kept as %s%s)\n", n,
	       n == 1 ? "" : "s",
	       sl ? (have ? " and restored the status line" : " and the status line") : "", path,
	       path, INSTALL_BACKUP_SUFFIX);
	rc = EXIT_OK;
side:
	/* the statusLine is ours no more (restored, or changed by hand since) */
	if (have && install_side_path(path, side, sizeof(side)) == 0 && unlink(side) == 0 && !sl)
		printf("hook-capture: the status line was changed since install; left as it is, "
		       "%s removed\n",
		       side);
done:
	json_object_put(saved);
	json_object_put(settings);
	return rc;
}

/* Prints the distinct commands of our handlers. */
static void
install_print_commands(json_object *settings, const char *self)
{
	json_object *hooks, *group, *inner, *h, *cmd, *seen;
	size_t i, j, k;
	int dup;

	if (!json_object_object_get_ex(settings, "hooks", &hooks) ||
	    (seen = json_object_new_array()) == NULL)
		return;
	json_object_object_foreach (hooks, ev, arr) {
		(void)ev;
		for (i = 0; i < json_object_array_length(arr); i++) {
			group = json_object_array_get_idx(arr, i);
			if (!json_object_object_get_ex(group, "hooks", &inner) ||
			    !json_object_is_type(inner, json_type_array))
				continue;
			for (j = 0; j < json_object_array_length(inner); j++) {
				h = json_object_array_get_idx(inner, j);
				if (!install_is_ours(h) ||
				    !json_object_object_get_ex(h, "command", &cmd))
					continue;
				for (k = 0, dup = 0; k < json_object_array_length(seen); k++)
					dup |= strcmp(json_object_get_string(
							  json_object_array_get_idx(seen, k)),
						      json_object_get_string(cmd)) == 0;
				if (!dup)
					json_object_array_add(seen, json_object_get(cmd));
			}
		}
	}
	for (k = 0; k < json_object_array_length(seen); k++) {
		const char *c = json_object_get_string(json_object_array_get_idx(seen, k));

		printf("command: %s%s\n", c, strcmp(c, self) == 0 ? " (this binary)" : "");
	}
	json_object_put(seen);
}

/* The status line: ours (and what it wraps), someone else's, or none. */
static void
install_print_statusline(json_object *settings, const char *path)
{
	json_object *sl, *v, *saved = NULL;
	char err[512];
	int have;

	if (!json_object_object_get_ex(settings, "statusLine", &sl)) {
		printf("statusline: none\n");
		return;
	}
	if (!install_statusline_is_ours(sl)) {
		printf("statusline: not hook-capture's: %s\n",
		       json_object_object_get_ex(sl, "command", &v) ? json_object_get_string(v)
								    : "(no command)");
		return;
	}
	have = install_side_read(path, &saved, err, sizeof(err));
	if (have == 1 && saved != NULL && json_object_object_get_ex(saved, "command", &v))
		printf("statusline: hook-capture, wrapping %s\n", json_object_get_string(v));
	else
		printf("statusline: hook-capture%s\n",
		       have == 1 ? "" : " (nothing kept to restore)");
	json_object_put(saved);
}

static int
install_cmd_status(const struct capture_opts *opts, const char *path)
{
	json_object *settings, *reg;
	struct config *cfg;
	struct paths p;
	char err[512], self[PATH_MAX], newdir[PATH_MAX + 8], **names = NULL;
	const char *instance;
	size_t i, n, nspool = 0;
	int existed, found, up;

	if ((cfg = capture_config(opts, 0, err, sizeof(err))) == NULL) {
		fprintf(stderr, "hook-capture: %s\n", err);
		return EXIT_USAGE;
	}
	instance = config_str(cfg, NULL, "instance");
	if (paths_init(
		&p, instance,
		config_str(cfg, NULL, "rundir")[0] != '\0' ? config_str(cfg, NULL, "rundir") : NULL,
		config_str(cfg, NULL, "statedir")[0] != '\0' ? config_str(cfg, NULL, "statedir")
							     : NULL,
		err, sizeof(err)) == -1) {
		fprintf(stderr, "hook-capture: %s\n", err);
		config_free(cfg);
		return EXIT_USAGE;
	}
	config_free(cfg);
	if ((settings = install_load(path, &existed, err, sizeof(err))) == NULL) {
		fprintf(stderr, "hook-capture: %s\n", err);
		return EXIT_RUNTIME;
	}
	if (install_self(opts->argv0, self, sizeof(self)) == -1)
		self[0] = '\0';
	printf("settings: %s%s\n", path, existed ? "" : " (no such file)");
	install_print_commands(settings, self);
	reg = install_registered(settings);
	n = reg != NULL ? json_object_array_length(reg) : 0;
	for (i = 0; install_events[i] != NULL; i++) {
		size_t j;

		for (j = 0, found = 0; j < n; j++)
			found |= strcmp(json_object_get_string(json_object_array_get_idx(reg, j)),
					install_events[i]) == 0;
		printf("%-20s %s\n", install_events[i], found ? "registered" : "-");
	}
	for (i = 0; i < n; i++) {
		const char *ev = json_object_get_string(json_object_array_get_idx(reg, i));

		if (!install_in_list(install_events, ev))
			printf("%-20s registered\n", ev);
	}
	printf("registered: %zu events\n", n);
	install_print_statusline(settings, path);
	up = ingest_client_probe(p.ingest_sock, 250);
	printf("router: %s at %s\n", up ? "answering" : "not answering", p.ingest_sock);
	snprintf(newdir, sizeof(newdir), "%s/new", p.spool_dir);
	if (access(newdir, F_OK) == -1 && errno == ENOENT)
		printf("spool: empty (%s not created yet)\n", newdir);
	else if (spool_list(p.spool_dir, &names, &nspool, err, sizeof(err)) == 0) {
		printf("spool: %zu event%s waiting in %s/new\n", nspool, nspool == 1 ? "" : "s",
		       p.spool_dir);
		spool_list_free(names, nspool);
	} else
		printf("spool: %s\n", err);
	json_object_put(reg);
	json_object_put(settings);
	return EXIT_OK;
}

int
install_main(const char *sub, const struct capture_opts *opts)
{
	char path[PATH_MAX];

	if (opts->user && opts->project != NULL) {
		fprintf(stderr, "hook-capture: --user and --project exclude each other\n");
		return EXIT_USAGE;
	}
	if (opts->local && opts->project == NULL) {
		fprintf(stderr, "hook-capture: --local needs --project: it names the project's "
				".claude/settings.local.json\n");
		return EXIT_USAGE;
	}
	if (strcmp(sub, "install") != 0 && (opts->events != NULL || opts->timeout != NULL ||
					    opts->statusline || opts->here || opts->force)) {
		fprintf(stderr,
			"hook-capture: --events, --timeout, --statusline, --here and --force "
			"belong to install\n");
		return EXIT_USAGE;
	}
	if (install_settings_path(opts, path, sizeof(path)) == -1)
		return EXIT_RUNTIME;
	if (strcmp(sub, "install") == 0)
		return install_cmd_install(opts, path);
	if (strcmp(sub, "uninstall") == 0)
		return install_cmd_uninstall(path);
	return install_cmd_status(opts, path);
}
