/*
 * capture.c: one hook, from stdin to the router (or the spool).
 *
 * Claude Code runs hook-capture once per hook event with the hook JSON on
 * stdin.  We read it under a deadline (a hook blocked on stdin would hang
 * the session), turn it into a canonical event (hookscan_event(), one
 * pass without json-c, for the input it takes; else event_from_hook(): bad
 * input becomes a hookwire.input_error event, so nothing is lost), send it
 * to the router with a bounded wait for the ack, and spool it when the
 * router is not there.  On SessionStart and UserPromptSubmit we may print
 * the additionalContext answer; nothing else ever goes to stdout, and the
 * exit code is always 0 (exit 2 would block the user's tool call).
 * Diagnostics go to the log file when one is configured, else nowhere.
 */
#include <sys/ioctl.h>
#include <sys/stat.h>

#include <errno.h>
#include <poll.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "capture.h"
#include "config.h"
#include "event.h"
#include "hookscan.h"
#include "hwlimits.h"
#include "ingest_client.h"
#include "log.h"
#include "paths.h"
#include "util.h"

extern char **environ;

/* First buffer size when nothing waits on stdin yet; else the buffer is
 * sized for what waits (FIONREAD), and grows to at least twice its size,
 * up to input_max + 1.  A 1 KiB hook gets 1 KiB from malloc's heap, not
 * a mapping of its own (an mmap(2), a munmap(2) and a fresh page). */
#define CAPTURE_READ_MIN 4096

/* Set once the log file is open; without it diagnostics are dropped. */
static int capture_logging;

void
capture_log(enum log_level level, const char *reason, const char *fmt, ...)
{
	va_list ap;

	if (!capture_logging)
		return;
	va_start(ap, fmt);
	log_vmsg(level, reason, fmt, ap);
	va_end(ap);
}

/* Bytes waiting on fd (FIONREAD), or 0 when it cannot tell. */
static size_t
capture_avail(int fd)
{
	int avail;

	if (ioctl(fd, FIONREAD, &avail) == -1 || avail < 0)
		return 0;
	return (size_t)avail;
}

int
capture_read(int fd, size_t max, int timeout_ms, struct capture_input *in)
{
	/* where input past max goes: static, so that its pages are touched
	 * only when there is such input (on the stack, it would push every
	 * call below this one 16 KiB further down, onto fresh pages) */
	static char scratch[16384];
	char *p;
	size_t cap, want, avail;
	int64_t deadline, left;
	struct pollfd pfd;
	ssize_t n;
	int r;

	memset(in, 0, sizeof(*in));
	/* what already waits, and a byte more to see the end of file */
	avail = capture_avail(fd);
	cap = avail > 0 && avail < max ? avail + 1 : CAPTURE_READ_MIN;
	if (cap > max + 1)
		cap = max + 1;
	if ((in->buf = malloc(cap)) == NULL)
		return -1;
	deadline = util_mono_us() + (int64_t)timeout_ms * 1000;
	for (;;) {
		left = deadline - util_mono_us();
		if (left <= 0) {
			in->timed_out = 1;
			break;
		}
		pfd.fd = fd;
		pfd.events = POLLIN;
		pfd.revents = 0;
		r = poll(&pfd, 1, (int)((left + 999) / 1000));
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1)
			break;
		if (r == 0) {
			in->timed_out = 1;
			break;
		}
		if (in->len == cap && cap < max + 1) {
			want = in->len + capture_avail(fd) + 1;
			cap = cap > (max + 1) / 2 ? max + 1 : cap * 2;
			if (want > cap)
				cap = want < max + 1 ? want : max + 1;
			if ((p = realloc(in->buf, cap)) == NULL) {
				free(in->buf);
				in->buf = NULL;
				return -1;
			}
			in->buf = p;
		}
		/* Before a large read: the pages it will fill faulted in at
		 * once (util_populate()), not one fault each inside read(2)
		 * (for the 166 KB Read payload, 41 faults: 77 us of read
		 * become 62 us). */
		if (cap - in->len >= UTIL_POPULATE_MIN)
			util_populate(in->buf + in->len, (avail = capture_avail(fd)) < cap - in->len
							     ? avail
							     : cap - in->len);
		/* Past max + 1 bytes the input is bad anyway: read on and
		 * discard, so the writer does not get EPIPE. */
		if (in->len < cap)
			n = read(fd, in->buf + in->len, cap - in->len);
		else
			n = read(fd, scratch, sizeof(scratch));
		if (n == -1 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			break; /* end of file, or an error: use what we have */
		if (in->len < cap)
			in->len += (size_t)n;
		in->total += (size_t)n;
	}
	return 0;
}

/* Applies HOOKWIRE_* variables one at a time, skipping those that fail. */
static void
capture_env_each(struct config *cfg)
{
	char *one[2] = {NULL, NULL}, err[256];
	size_t i;

	for (i = 0; environ != NULL && environ[i] != NULL; i++) {
		if (strncmp(environ[i], "HOOKWIRE_", 9) != 0)
			continue;
		one[0] = environ[i];
		config_load_env(cfg, one, err, sizeof(err));
	}
}

struct config *
capture_config(const struct capture_opts *opts, int fallback, char *err, size_t errlen)
{
	const char *flag[][3] = {
	    {NULL, "instance", opts->instance},
	    {NULL, "rundir", opts->rundir},
	    {NULL, "statedir", opts->statedir},
	    {"capture", "log_file", opts->log_file},
	};
	struct config *cfg;
	const char *path;
	char ferr[256];
	size_t i;
	int bad = 0;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if ((cfg = config_new()) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (config_load(cfg, opts->config_file, environ, err, errlen) == -1) {
		if (!fallback)
			goto fail;
		/* Hook mode: keep going with the file if it is good, and
		 * whatever of the environment is usable (it may name the
		 * rundir and statedir, and the event must land there). */
		config_free(cfg);
		if ((cfg = config_new()) == NULL)
			return NULL;
		path = opts->config_file != NULL ? opts->config_file : getenv("HOOKWIRE_CONFIG");
		if (path != NULL && path[0] != '\0' &&
		    config_load_file(cfg, path, ferr, sizeof(ferr)) == -1) {
			config_free(cfg);
			if ((cfg = config_new()) == NULL)
				return NULL;
		}
		capture_env_each(cfg);
		bad = 1;
	}
	for (i = 0; i < sizeof(flag) / sizeof(flag[0]); i++) {
		if (flag[i][2] == NULL)
			continue;
		if (config_set(cfg, flag[i][0], flag[i][1], flag[i][2], ferr, sizeof(ferr)) == -1) {
			if (!fallback) {
				snprintf(err, errlen, "%s", ferr);
				goto fail;
			}
			if (!bad)
				snprintf(err, errlen, "%s", ferr);
			bad = 1;
		}
	}
	return cfg;
fail:
	config_free(cfg);
	return NULL;
}

/* Opens the log file named by --log-file or capture.log_file, if any. */
static void
capture_log_open(const struct settings *st)
{
	char err[256];

	if (st->st_log_file[0] == '\0')
		return;
	if (log_init("hook-capture", st->st_log_file, st->st_log_level, st->st_log_max_size,
		     st->st_log_keep, err, sizeof(err)) == 0)
		capture_logging = 1;
}

/* The router's answer, and "ack_us": microseconds from the start to the
 * ack, the in-process cost of a hook (make bench reads it); "built": how
 * the event was made, "one_pass" (hookscan_event()) or "json-c". */
static void
capture_log_ack(enum ingest_status st, const char *id, long long seq, int64_t us, const char *built)
{
	char msg[128], num[24];

	if (!capture_logging || !log_enabled(LOGL_DEBUG))
		return;
	snprintf(msg, sizeof(msg), "%s: id %s seq %lld", ingest_client_status_name(st),
		 id != NULL ? id : "-", seq);
	snprintf(num, sizeof(num), "%lld", (long long)us);
	log_kv(LOGL_DEBUG, NULL, msg, "ack_us", num, "built", built, (const char *)NULL);
}

/* The login name for enrichment: $USER, else $LOGNAME, else the passwd
 * entry.  The variables first: a passwd lookup goes through NSS (nscd's
 * socket, nsswitch.conf, /etc/passwd or a directory service), which is
 * most of a hook's system calls, for a name the environment already has. */
static const char *
capture_user(void)
{
	const char *u;
	struct passwd *pw;

	if ((u = getenv("USER")) != NULL && u[0] != '\0')
		return u;
	if ((u = getenv("LOGNAME")) != NULL && u[0] != '\0')
		return u;
	if ((pw = getpwuid(getuid())) != NULL)
		return pw->pw_name;
	return NULL;
}

/* The string member name of obj, or NULL. */
static const char *
capture_get_str(json_object *obj, const char *name)
{
	json_object *v;

	if (obj != NULL && json_object_object_get_ex(obj, name, &v) &&
	    json_object_is_type(v, json_type_string))
		return json_object_get_string(v);
	return NULL;
}

/* data.error of an input_error event, or NULL. */
static const char *
capture_input_reason(json_object *ev)
{
	json_object *data;

	if (!json_object_object_get_ex(ev, "data", &data))
		return NULL;
	return capture_get_str(data, "error");
}

/*
 * Builds the canonical event for what capture_read() got.  When stdin was
 * not closed in time, input that is a complete hook object is still used
 * as it is; anything else becomes an input_error event whose reason is
 * stdin_timeout (event.c builds it; we only name the reason).  input_bytes
 * counts every byte read, also those past input_max that were discarded.
 */
static json_object *
capture_event(const struct capture_input *in, const struct event_limits *lim,
	      const struct event_env *env, int stdin_ms, int64_t now_us)
{
	const char *name, *why;
	char detail[160];
	json_object *ev, *data;

	ev = event_from_hook(in->buf, in->len, lim, env, now_us);
	if (ev == NULL)
		return NULL;
	name = capture_get_str(ev, "event");
	if (name == NULL || strcmp(name, EVENT_INPUT_ERROR) != 0 ||
	    !json_object_object_get_ex(ev, "data", &data))
		return ev;
	if (in->total > in->len) {
		/* event.c saw input_max + 1 bytes; the rest was read and dropped. */
		snprintf(detail, sizeof(detail),
			 "input of %zu bytes is over capture.input_max (%zu)", in->total,
			 lim->input_max);
		json_object_object_add(data, "detail", json_object_new_string(detail));
		json_object_object_add(data, "input_bytes",
				       json_object_new_int64((int64_t)in->total));
	}
	if (in->timed_out) {
		why = capture_get_str(data, "error");
		snprintf(detail, sizeof(detail), "stdin not closed within %d ms (input: %s)",
			 stdin_ms, why != NULL ? why : "?");
		json_object_object_add(data, "error", json_object_new_string(EVENT_R_TIMEOUT));
		json_object_object_add(data, "detail", json_object_new_string(detail));
	}
	return ev;
}

/* Prints the additionalContext answer for the event named event when there
 * is context; cwd_hook is the hook's cwd (may be NULL). */
static void
capture_context(const struct settings *st, const char *event, const char *cwd_hook)
{
	const char *home, *project, *files = st->st_context_files;
	long long max = st->st_context_max;
	char *text, *answer, *cwd = NULL;

	if (!context_event_wants(event))
		return;
	if (max <= 0)
		return;
	home = getenv("HOME");
	if (home != NULL && home[0] == '\0')
		home = NULL;
	project = getenv("CLAUDE_PROJECT_DIR");
	if (project == NULL || project[0] == '\0')
		project = cwd_hook;
	/* getcwd()'s own buffer: 4 KiB on the stack would push the hook's
	 * calls onto a fresh page when this is inlined */
	if ((project == NULL || project[0] == '\0') && (cwd = getcwd(NULL, 0)) != NULL)
		project = cwd;
	text = context_build(files, home, project, (size_t)max);
	free(cwd);
	if (text == NULL)
		return;
	if ((answer = context_answer(event, text)) != NULL) {
		if (util_write_all(STDOUT_FILENO, answer, strlen(answer)) == -1)
			capture_log(LOGL_WARN, "stdout", "context answer not written: %s",
				    strerror(errno));
		else
			capture_log(LOGL_DEBUG, NULL, "context answer: %zu bytes", strlen(answer));
		free(answer);
	}
	free(text);
}

void
capture_begin(struct capture_run *cr, const struct capture_opts *opts)
{
	struct settings *st = &cr->cr_st;
	char cerr[512];

	/* member by member, not a memset: cr_paths is 28 KiB of stack, and each
	 * page of it touched is a page fault in this fresh process */
	ingest_client_init(&cr->cr_ic);
	cr->cr_t0 = opts->t0;
	cr->cr_havepaths = 0;
	cr->cr_err[0] = '\0';
	memset(&cr->cr_env, 0, sizeof(cr->cr_env));
	settings_load(st, opts, cerr, sizeof(cerr));
	capture_log_open(st);
	if (cerr[0] != '\0')
		capture_log(LOGL_WARN, "bad_config", "configuration partly ignored: %s", cerr);
	if (capture_logging && st->st_cfg != NULL) /* keys of an older layout (hookwire.conf(5)) */
		log_lines(LOGL_WARN, "config_renamed", config_warnings(st->st_cfg));
	if (opts->bad_flag != NULL)
		capture_log(LOGL_WARN, "usage", "ignored: %s", opts->bad_flag);
	if (paths_init(&cr->cr_paths, st->st_instance,
		       st->st_rundir[0] != '\0' ? st->st_rundir : NULL,
		       st->st_statedir[0] != '\0' ? st->st_statedir : NULL, cr->cr_err,
		       sizeof(cr->cr_err)) == 0)
		cr->cr_havepaths = 1;
	else
		capture_log(LOGL_WARN, "bad_config", "%s", cr->cr_err);
	if (!cr->cr_havepaths &&
	    paths_init(&cr->cr_paths, NULL, NULL, NULL, cr->cr_err, sizeof(cr->cr_err)) == 0)
		cr->cr_havepaths = 1;
	/* Connect now: the router accepts the connection (a wake-up and five
	 * system calls of its own) while we read stdin and build the event,
	 * and only the line waits for it later.  Without waiting: a router
	 * that is away, or whose backlog is full, gets its ack_timeout_ms at
	 * the send, as if there had been no early connection. */
	if (cr->cr_havepaths)
		(void)ingest_client_connect(&cr->cr_ic, cr->cr_paths.ingest_sock, 0);
	if (gethostname(cr->cr_host, sizeof(cr->cr_host)) == -1)
		cr->cr_host[0] = '\0';
	cr->cr_host[sizeof(cr->cr_host) - 1] = '\0';
	cr->cr_env.host = cr->cr_host[0] != '\0' ? cr->cr_host : NULL;
	cr->cr_env.user = capture_user();
	cr->cr_env.project_dir = getenv("CLAUDE_PROJECT_DIR");
	if (cr->cr_env.project_dir != NULL && cr->cr_env.project_dir[0] == '\0')
		cr->cr_env.project_dir = NULL;
}

int
capture_build(struct capture_run *cr, const struct capture_input *in, const char *what,
	      struct capture_line *cl)
{
	const struct event_limits *lim = &cr->cr_st.st_lim;
	struct hookscan_event he;
	const char *line, *id, *name, *cwd = NULL;
	json_object *ev, *data;
	size_t len;
	int64_t now = util_now_us();
	int r = 1;

	memset(cl, 0, sizeof(*cl));
	/* input cut by the stdin deadline or by input_max needs
	 * capture_event()'s details: json-c's path */
	if (!in->timed_out && in->total == in->len &&
	    (r = hookscan_event(in->buf, in->len, lim, &cr->cr_env, now, &he)) == 0) {
		memcpy(cl->cl_id, he.he_id, sizeof(cl->cl_id));
		if (hookscan_unquote(he.he_line + he.he_name_off, he.he_name_len, cl->cl_name,
				     sizeof(cl->cl_name)) == -1)
			cl->cl_name[0] = '\0';
		if (context_event_wants(cl->cl_name) && he.he_cwd_len != 0) {
			if ((cl->cl_cwd = malloc(he.he_cwd_len)) == NULL ||
			    hookscan_unquote(he.he_line + he.he_cwd_off, he.he_cwd_len, cl->cl_cwd,
					     he.he_cwd_len) == -1) {
				free(cl->cl_cwd);
				cl->cl_cwd = NULL;
			}
		}
		hookscan_event_capture_us(&he, util_mono_us() - cr->cr_t0);
		cl->cl_buf = he.he_line;
		cl->cl_len = he.he_len;
		cl->cl_buf[cl->cl_len++] = '\n';
		cl->cl_one_pass = 1;
		return 0;
	}
	if (r == -1 ||
	    (ev = capture_event(in, lim, &cr->cr_env, cr->cr_st.st_stdin_ms, now)) == NULL) {
		capture_log(LOGL_ERROR, "oom", "out of memory building the event");
		return -1;
	}
	id = capture_get_str(ev, "id");
	name = capture_get_str(ev, "event");
	if (name != NULL && strcmp(name, EVENT_INPUT_ERROR) == 0)
		capture_log(LOGL_WARN, capture_input_reason(ev), "bad %s input (%zu bytes), id %s",
			    what, in->total, id != NULL ? id : "-");
	else if (in->timed_out)
		capture_log(LOGL_WARN, EVENT_R_TIMEOUT,
			    "stdin not closed within %d ms; complete input used, id %s",
			    cr->cr_st.st_stdin_ms, id != NULL ? id : "-");
	if (id != NULL && strlen(id) == EVENT_ID_LEN)
		memcpy(cl->cl_id, id, sizeof(cl->cl_id));
	else
		snprintf(cl->cl_id, sizeof(cl->cl_id), "-");
	if (name != NULL && strlen(name) < sizeof(cl->cl_name))
		memcpy(cl->cl_name, name, strlen(name) + 1);
	if (context_event_wants(cl->cl_name) && json_object_object_get_ex(ev, "data", &data) &&
	    (cwd = capture_get_str(data, "cwd")) != NULL)
		cl->cl_cwd = strdup(cwd);

	event_set_capture_us(ev, util_mono_us() - cr->cr_t0);
	if ((line = event_to_string(ev, &len)) == NULL || (cl->cl_buf = malloc(len + 1)) == NULL) {
		capture_log(LOGL_ERROR, "oom", "out of memory serializing the event");
		json_object_put(ev);
		capture_line_free(cl);
		return -1;
	}
	memcpy(cl->cl_buf, line, len);
	cl->cl_buf[len++] = '\n';
	cl->cl_len = len;
	json_object_put(ev);
	return 0;
}

void
capture_line_free(struct capture_line *cl)
{
	free(cl->cl_buf);
	cl->cl_buf = NULL;
	free(cl->cl_cwd);
	cl->cl_cwd = NULL;
}

void
capture_deliver(struct capture_run *cr, const struct capture_line *cl)
{
	char reason[64], err[512];
	const char *id = cl->cl_id;
	enum ingest_status st;
	long long seq = 0;

	if (!cr->cr_havepaths) {
		capture_log(LOGL_ERROR, "paths", "no paths: %s; event id %s lost", cr->cr_err, id);
		return;
	}
	/* on the connection made at the start, unless the router has closed
	 * it meanwhile (a restart while stdin was read): then a new one */
	st = ingest_client_deliver(&cr->cr_ic, cr->cr_paths.ingest_sock, cl->cl_buf, cl->cl_len,
				   cr->cr_st.st_ack_ms, reason, sizeof(reason), &seq);
	ingest_client_close(&cr->cr_ic);
	switch (st) {
	case INGEST_ACCEPTED:
	case INGEST_DUPLICATE:
		capture_log_ack(st, id, seq, util_mono_us() - cr->cr_t0,
				cl->cl_one_pass ? "one_pass" : "json-c");
		break;
	case INGEST_REJECTED:
		/* The router saw it and counts it; a spooled copy would
		 * only be rejected again. */
		capture_log(LOGL_WARN, reason[0] != '\0' ? reason : "rejected",
			    "router rejected event id %s (%zu bytes)", id, cl->cl_len);
		break;
	default:
		capture_log(st == INGEST_UNREACHABLE ? LOGL_INFO : LOGL_WARN,
			    ingest_client_status_name(st), "router %s at %s; spooling id %s",
			    ingest_client_status_name(st), cr->cr_paths.ingest_sock, id);
		if (deliver_spool(cr->cr_paths.spool_dir, cl->cl_buf, cl->cl_len, err,
				  sizeof(err)) == -1)
			capture_log(LOGL_ERROR, "spool", "event id %s lost: %s", id, err);
		break;
	}
}

void
capture_end(struct capture_run *cr)
{
	ingest_client_close(&cr->cr_ic);
	settings_free(&cr->cr_st);
	if (capture_logging)
		log_close();
	capture_logging = 0;
}

int
capture_main(const struct capture_opts *opts)
{
	struct capture_input in = {NULL, 0, 0, 0};
	struct capture_line cl = {NULL, 0, "", "", NULL, 0};
	struct capture_run cr;

	capture_begin(&cr, opts);
	if (capture_read(STDIN_FILENO, cr.cr_st.st_lim.input_max, cr.cr_st.st_stdin_ms, &in) ==
	    -1) {
		capture_log(LOGL_ERROR, "oom", "out of memory reading stdin");
		goto done;
	}
	if (capture_build(&cr, &in, "hook", &cl) == -1)
		goto done;
	capture_deliver(&cr, &cl);
	capture_context(&cr.cr_st, cl.cl_name, cl.cl_cwd);
done:
	capture_line_free(&cl);
	free(in.buf);
	capture_end(&cr);
	return EXIT_OK;
}
