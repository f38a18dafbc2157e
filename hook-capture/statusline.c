/*
 * statusline.c: hook-capture statusline [-- COMMAND ...], Claude Code's
 * statusLine.command (hook-capture(1)).
 *
 * Claude Code runs the status line command after assistant messages with a
 * JSON object on stdin: the session, the model, cost.total_cost_usd (its
 * own cost figure), context_window and more.  We read it under the hook's
 * stdin deadline, hand it to the router as a "StatusLine" event (spooled
 * when the router is away, exactly like a hook), and print the status
 * line: ours (model, cost, context use), or, with a COMMAND, the output of
 * the user's own status line command run with the same stdin, so that
 * nobody gives theirs up.
 *
 * Whatever comes in, nothing but sanitized text goes out: input that is
 * not a JSON object gives an empty line and exit 0; a line keeps UTF-8 and
 * SGR colour sequences (ESC [ ... m) and loses every other control
 * character and escape sequence; it is cut at STATUSLINE_LINE_MAX bytes.
 * The user's command runs in its own process group with its stderr
 * discarded and capture.statusline_timeout_ms to finish; at most
 * STATUSLINE_LINES_MAX lines of its output are passed on, and its exit
 * status is ours, so Claude Code treats its output as it always did.  A
 * command that does not finish in time is killed and our own line shown.
 */
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "compat.h"
#include "capture.h"
#include "util.h"

/* Output of the user's command read at most; the rest is read and dropped. */
#define STATUSLINE_CMD_MAX (64 * 1024)

/* The event name of a status line capture (hookwire-event(5)). */
#define STATUSLINE_EVENT "StatusLine"

/* A number member of o (a path of keys), or -1 when absent or not a number. */
static int
statusline_num(json_object *o, const char *k1, const char *k2, double *out)
{
	json_object *v;

	if (o == NULL || !json_object_object_get_ex(o, k1, &v))
		return -1;
	if (k2 != NULL &&
	    (!json_object_is_type(v, json_type_object) || !json_object_object_get_ex(v, k2, &v)))
		return -1;
	if (!json_object_is_type(v, json_type_int) && !json_object_is_type(v, json_type_double))
		return -1;
	*out = json_object_get_double(v);
	return 0;
}

static const char *
statusline_str(json_object *o, const char *k1, const char *k2)
{
	json_object *v;

	if (o == NULL || !json_object_object_get_ex(o, k1, &v) ||
	    !json_object_is_type(v, json_type_object) || !json_object_object_get_ex(v, k2, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

size_t
statusline_clean(const char *in, size_t len, char *out, size_t outmax)
{
	const unsigned char *p = (const unsigned char *)in, *end = p + len, *q;
	size_t o = 0, k;
	int styled = 0, cut = 0;

	/* room for the NUL and for the reset sequence a cut styled line gets */
	if (outmax < 8) {
		if (outmax > 0)
			out[0] = '\0';
		return 0;
	}
	outmax -= 5;
	while (p < end) {
		if (*p == 0x1b) {
			if (p + 1 < end && p[1] == '[') {
				/* CSI: parameters, intermediates, a final byte; only
				 * SGR (final 'm', colours and weights) is kept */
				for (q = p + 2; q < end && *q >= 0x20 && *q <= 0x3f; q++)
					;
				if (q >= end || *q < 0x40 || *q > 0x7e) {
					p = q; /* unfinished: dropped */
					continue;
				}
				k = (size_t)(q - p + 1);
				if (*q == 'm') {
					if (k > outmax - o) {
						cut = 1;
						break;
					}
					memcpy(out + o, p, k);
					o += k;
					styled = 1;
				}
				p = q + 1;
				continue;
			}
			if (p + 1 < end && p[1] == ']') {
				/* OSC (titles, hyperlinks): up to BEL or ESC \ */
				for (q = p + 2; q < end && *q != 0x07 && *q != 0x1b; q++)
					;
				p = q < end && *q == 0x07 ? q + 1 : (q + 1 < end ? q + 2 : end);
				continue;
			}
			p += p + 1 < end ? 2 : 1;
			continue;
		}
		if (*p < 0x20 || *p == 0x7f) {
			if (*p == '\t' && o < outmax)
				out[o++] = ' ';
			p++;
			continue;
		}
		k = util_utf8_seq(p, (size_t)(end - p));
		if (k == 0 || (k == 2 && p[0] == 0xc2 && p[1] < 0xa0)) {
			p++; /* not UTF-8, or a C1 control */
			continue;
		}
		if (k > outmax - o) {
			cut = 1;
			break;
		}
		memcpy(out + o, p, k);
		o += k;
		p += k;
	}
	if (cut && styled) {
		memcpy(out + o, "\033[0m", 4);
		o += 4;
	}
	out[o] = '\0';
	return o;
}

/* Our own line: model, Claude Code's cost, context use.  "" when the input says nothing. */
static void
statusline_own(json_object *st, char *out, size_t outmax)
{
	const char *model;
	char raw[512], part[64];
	double cost, pct, size, a, b, c;
	size_t n = 0;

	raw[0] = '\0';
	if ((model = statusline_str(st, "model", "display_name")) == NULL)
		model = statusline_str(st, "model", "id");
	if (model != NULL)
		n += (size_t)snprintf(raw + n, sizeof(raw) - n, "%.100s", model);
	if (statusline_num(st, "cost", "total_cost_usd", &cost) == 0 && n < sizeof(raw)) {
		snprintf(part, sizeof(part), "$%.2f", cost);
		n += (size_t)snprintf(raw + n, sizeof(raw) - n, "%s%s", n ? " | " : "", part);
	}
	pct = -1;
	if (statusline_num(st, "context_window", "used_percentage", &pct) == -1) {
		json_object *cw = NULL, *cu = NULL;

		/* before Claude Code had used_percentage: from the last call's usage */
		if (json_object_object_get_ex(st, "context_window", &cw) &&
		    statusline_num(st, "context_window", "context_window_size", &size) == 0 &&
		    size > 0 && json_object_object_get_ex(cw, "current_usage", &cu) &&
		    statusline_num(cu, "input_tokens", NULL, &a) == 0) {
			if (statusline_num(cu, "cache_creation_input_tokens", NULL, &b) == -1)
				b = 0;
			if (statusline_num(cu, "cache_read_input_tokens", NULL, &c) == -1)
				c = 0;
			pct = (a + b + c) * 100 / size;
		} else
			pct = -1;
	}
	if (pct >= 0 && pct <= 1000 && n < sizeof(raw))
		snprintf(raw + n, sizeof(raw) - n, "%sctx %.0f%%", n ? " | " : "", pct);
	statusline_clean(raw, strlen(raw), out, outmax);
}

/* The status JSON as a hook event named StatusLine, built into cl: the
 * input with hook_event_name set, or the input itself when it is not an
 * object (it becomes an input error event then).  *obj gets the parsed
 * object or NULL.  Returns capture_build()'s result. */
static int
statusline_event(struct capture_run *cr, struct capture_input *in, json_object **obj,
		 struct capture_line *cl)
{
	struct capture_input named = *in;
	json_tokener *tok;
	json_object *o = NULL;
	const char *s;
	size_t len;

	*obj = NULL;
	if ((tok = json_tokener_new_ex(cr->cr_st.st_lim.depth_max)) != NULL) {
		o = json_tokener_parse_ex(tok, in->buf, (int)in->len);
		if (o != NULL && (!json_object_is_type(o, json_type_object) ||
				  json_tokener_get_parse_end(tok) != in->len)) {
			json_object_put(o);
			o = NULL;
		}
		json_tokener_free(tok);
	}
	if (o != NULL) {
		/* Claude Code's status JSON has no hook_event_name (or, in old
		 * versions, "Status"): the event is a StatusLine either way */
		json_object_object_add(o, "hook_event_name",
				       json_object_new_string(STATUSLINE_EVENT));
		s = json_object_to_json_string_length(
		    o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
		named.buf = (char *)s;
		named.len = len;
		named.total = len;
		*obj = o;
	}
	return capture_build(cr, &named, "status line", cl);
}

/* The user's command: its process, stdin and stdout pipes. */
struct statusline_cmd {
	pid_t sc_pid;
	int sc_in, sc_out;
};

/* Starts argv in its own process group.  Returns 0 or -1 (logged). */
static int
statusline_spawn(struct statusline_cmd *sc, char *const *argv)
{
	int in[2] = {-1, -1}, out[2] = {-1, -1}, devnull;

	sc->sc_pid = -1;
	sc->sc_in = sc->sc_out = -1;
	if (compat_pipe(in, COMPAT_CLOEXEC) == -1 || compat_pipe(out, COMPAT_CLOEXEC) == -1) {
		capture_log(LOGL_WARN, "statusline_command", "pipe: %s", strerror(errno));
		goto fail;
	}
	if ((sc->sc_pid = fork()) == -1) {
		capture_log(LOGL_WARN, "statusline_command", "fork: %s", strerror(errno));
		goto fail;
	}
	if (sc->sc_pid == 0) {
		setpgid(0, 0);
		signal(SIGPIPE, SIG_DFL);
		devnull = open("/dev/null", O_WRONLY);
		if (dup2(in[0], 0) == -1 || dup2(out[1], 1) == -1 ||
		    (devnull != -1 && dup2(devnull, 2) == -1))
			_exit(126);
		execvp(argv[0], argv);
		_exit(errno == ENOENT ? 127 : 126);
	}
	setpgid(sc->sc_pid, sc->sc_pid); /* either side may win the race */
	close(in[0]);
	close(out[1]);
	sc->sc_in = in[1];
	sc->sc_out = out[0];
	fcntl(sc->sc_in, F_SETFL, O_NONBLOCK);
	fcntl(sc->sc_out, F_SETFL, O_NONBLOCK);
	return 0;
fail:
	if (in[0] != -1)
		close(in[0]);
	if (in[1] != -1)
		close(in[1]);
	if (out[0] != -1)
		close(out[0]);
	if (out[1] != -1)
		close(out[1]);
	return -1;
}

/*
 * Feeds the command its stdin and reads its stdout (at most
 * STATUSLINE_CMD_MAX bytes kept) until it closes stdout or deadline
 * passes.  Returns its exit status, or -1 when it was killed at the deadline.
 */
static int
statusline_pump(struct statusline_cmd *sc, const char *inbuf, size_t inlen, char *out,
		size_t *outlen, int64_t deadline)
{
	struct pollfd pfd[2];
	size_t off = 0;
	char scratch[4096];
	int64_t left;
	ssize_t n;
	int nfd, status = 0, timed_out = 0;

	*outlen = 0;
	while (sc->sc_out != -1) {
		if ((left = deadline - util_mono_us()) <= 0) {
			timed_out = 1;
			break;
		}
		nfd = 0;
		pfd[0].fd = sc->sc_out;
		pfd[0].events = POLLIN;
		nfd = 1;
		if (sc->sc_in != -1) {
			pfd[1].fd = sc->sc_in;
			pfd[1].events = POLLOUT;
			nfd = 2;
		}
		if (poll(pfd, (nfds_t)nfd, (int)((left + 999) / 1000)) == -1) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (nfd == 2 && (pfd[1].revents & (POLLOUT | POLLERR | POLLHUP))) {
			n = off < inlen ? write(sc->sc_in, inbuf + off, inlen - off) : 0;
			if (n > 0)
				off += (size_t)n;
			if (off >= inlen || (n == -1 && errno != EAGAIN && errno != EINTR)) {
				close(sc->sc_in); /* all given, or it does not read: EOF */
				sc->sc_in = -1;
			}
		}
		if (pfd[0].revents & (POLLIN | POLLHUP | POLLERR)) {
			if (*outlen < STATUSLINE_CMD_MAX)
				n = read(sc->sc_out, out + *outlen, STATUSLINE_CMD_MAX - *outlen);
			else
				n = read(sc->sc_out, scratch, sizeof(scratch));
			if (n > 0 && *outlen < STATUSLINE_CMD_MAX)
				*outlen += (size_t)n;
			else if (n == 0 || (n == -1 && errno != EAGAIN && errno != EINTR)) {
				close(sc->sc_out);
				sc->sc_out = -1;
			}
		}
	}
	if (sc->sc_in != -1)
		close(sc->sc_in);
	if (sc->sc_out != -1)
		close(sc->sc_out);
	sc->sc_in = sc->sc_out = -1;
	/* stdout closed: it is about to exit; give it until the deadline */
	while (!timed_out) {
		pid_t w = waitpid(sc->sc_pid, &status, WNOHANG);

		if (w == sc->sc_pid)
			break;
		if (w == -1 && errno != EINTR) {
			status = 0;
			break;
		}
		if (util_mono_us() >= deadline) {
			timed_out = 1;
			break;
		}
		poll(NULL, 0, 5);
	}
	if (timed_out) {
		kill(-sc->sc_pid, SIGKILL);
		kill(sc->sc_pid, SIGKILL);
		while (waitpid(sc->sc_pid, &status, 0) == -1 && errno == EINTR)
			;
		return -1;
	}
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

/* Prints the command's output: at most STATUSLINE_LINES_MAX lines, each cleaned. */
static void
statusline_print_lines(const char *out, size_t len)
{
	char line[STATUSLINE_LINE_MAX + 1];
	const char *p = out, *end = out + len, *nl;
	size_t n;
	int lines = 0;

	while (p < end && lines < STATUSLINE_LINES_MAX) {
		nl = memchr(p, '\n', (size_t)(end - p));
		n = statusline_clean(p, (size_t)((nl != NULL ? nl : end) - p), line, sizeof(line));
		if (util_write_all(STDOUT_FILENO, line, n) == -1 ||
		    util_write_all(STDOUT_FILENO, "\n", 1) == -1)
			return;
		lines++;
		if (nl == NULL)
			break;
		p = nl + 1;
	}
}

int
statusline_main(const struct capture_opts *opts, char *const *cmd)
{
	struct capture_input in = {NULL, 0, 0, 0};
	struct statusline_cmd sc = {-1, -1, -1};
	struct capture_line cl = {NULL, 0, "", "", NULL, 0};
	struct capture_run cr;
	json_object *st = NULL;
	char own[STATUSLINE_LINE_MAX + 1], *out = NULL;
	size_t outlen = 0;
	int timeout_ms, rc = EXIT_OK, spawned = 0;

	capture_begin(&cr, opts);
	timeout_ms = cr.cr_st.st_statusline_ms;
	if (capture_read(STDIN_FILENO, cr.cr_st.st_lim.input_max, cr.cr_st.st_stdin_ms, &in) ==
	    -1) {
		capture_log(LOGL_ERROR, "oom", "out of memory reading stdin");
		in.buf = NULL;
		in.len = 0;
	}
	/* the user's command first, so that it runs while we talk to the router */
	if (cmd != NULL && cmd[0] != NULL && (out = malloc(STATUSLINE_CMD_MAX)) != NULL &&
	    statusline_spawn(&sc, cmd) == 0)
		spawned = 1;
	if (in.buf != NULL && statusline_event(&cr, &in, &st, &cl) == 0)
		capture_deliver(&cr, &cl);

	own[0] = '\0';
	statusline_own(st, own, sizeof(own));
	if (spawned) {
		rc = statusline_pump(&sc, in.buf != NULL ? in.buf : "", in.len, out, &outlen,
				     util_mono_us() + (int64_t)timeout_ms * 1000);
		if (rc == -1) {
			capture_log(LOGL_WARN, "statusline_timeout",
				    "status line command %s did not finish within %d ms; killed",
				    cmd[0], timeout_ms);
			printf("%s\n", own);
			rc = EXIT_OK;
		} else {
			if (rc != 0)
				capture_log(LOGL_INFO, "statusline_command",
					    "status line command %s exited %d", cmd[0], rc);
			fflush(stdout);
			statusline_print_lines(out, outlen);
		}
	} else {
		if (cmd != NULL && cmd[0] != NULL)
			capture_log(LOGL_WARN, "statusline_command",
				    "status line command %s not started; our own line shown",
				    cmd[0]);
		printf("%s\n", own);
	}
	fflush(stdout);
	json_object_put(st);
	capture_line_free(&cl);
	free(out);
	free(in.buf);
	capture_end(&cr);
	return rc;
}
