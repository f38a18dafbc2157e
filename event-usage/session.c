/*
 * session.c: the sessions event-usage follows, their transcripts and their
 * totals (event-usage(8)).
 *
 * Hook events name the files.  Every hook event carries transcript_path,
 * the session's transcript; an event from inside a subagent carries
 * agent_id, and SubagentStop agent_transcript_path, the subagent's own
 * transcript, <transcript minus .jsonl>/subagents/agent-<agent_id>.jsonl
 * (the same path is derived from the agent id before SubagentStop, so a
 * subagent's usage arrives while it runs).  A hook event, or a StatusLine
 * event (hook-capture statusline), triggers reads of the files it names.
 *
 * The transcript lags the hook (Claude Code writes it asynchronously), so
 * a triggered file is read at once and then again after each delay of
 * usage.reread_ms (250, 1000, 4000 ms by default); after the last read its
 * messages in flight are settled (those whose last line carried a
 * stop_reason; all of them when the agent's turn is over: Stop for the
 * main thread, SubagentStop for a subagent, SessionEnd for all), and the
 * file waits for the next hook.  SessionEnd ends the session after those
 * reads.
 *
 * Each message handed out by a reader is priced, added to its agent's and
 * its session's tally, and becomes a usage event given to the emit
 * callback (follow.c's outbox).  Sessions live in memory while they have
 * work and are written to $STATEDIR/usage (state.c) when they changed and
 * their events are delivered; an idle session is dropped from memory and
 * loaded again by its next event.
 */
#include <sys/queue.h>

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compat.h"
#include "log.h"
#include "usage.h"
#include "util.h"

/* Sessions kept in memory at most; idle ones beyond are written out and dropped. */
#define SESSIONS_MEM_MAX 256
/* An idle session stays in memory this long after its last activity. */
#define SESSIONS_IDLE_US (600 * 1000000LL)
/* Transcript files (main + subagents) and agents per session at most. */
#define SESSIONS_FILES_MAX  1024
#define SESSIONS_AGENTS_MAX 1024
/* Message ids kept in the state of a transcript that ended (SubagentStop,
 * SessionEnd); one still in use keeps TRANSCRIPT_SEEN_MAX. */
#define SESSIONS_SEEN_ENDED 64
/* JSON nesting accepted in a ring event (the router's limit). */
#define SESSIONS_DEPTH 64

struct usage_agent {
	char *ua_id; /* "" for the main thread */
	char *ua_type;
	struct tally ua_total;
};

struct usage_file {
	struct usage_session *uf_sess;
	struct transcript *uf_tr;
	char *uf_agent;	    /* NULL: the main thread's transcript */
	int64_t uf_next_us; /* next read due (monotonic), 0: none */
	int uf_step;	    /* reads of the schedule done since the last trigger */
	int uf_turn_over;   /* the agent's turn ended since the last settle */
	int uf_ending;	    /* ends after this schedule's reads */
	int uf_ended;
	char uf_err[160]; /* the read error last logged */
	TAILQ_ENTRY(usage_file) uf_entry;
};

struct usage_session {
	struct sessions *us_ss;
	char *us_id;
	char us_key[STATE_KEY_LEN + 1];
	char *us_cwd, *us_project;
	struct tally us_total;
	struct usage_agent *us_agents;
	size_t us_nagents;
	TAILQ_HEAD(, usage_file) us_files;
	size_t us_nfiles;
	int us_dirty;
	int us_ended;
	int64_t us_used_us;
	TAILQ_ENTRY(usage_session) us_entry;
};

struct sessions {
	TAILQ_HEAD(, usage_session) ss_list;
	size_t ss_n;
	struct sessions_opts ss_o;
	struct prices *ss_prices;
	struct state ss_state;
	uint64_t ss_last_seq; /* as loaded from state.json */
	int ss_have_state;    /* state.json was there */
	char **ss_active;     /* keys of the sessions not ended */
	size_t ss_nactive, ss_capactive;
	int ss_active_dirty;
	struct sessions_stats ss_st;
};

static void sessions_msg(const struct transcript_msg *m, void *arg);

/* ---------------------------------------------------------------- active keys */

static int
sessions_active_find(const struct sessions *ss, const char *key)
{
	size_t i;

	for (i = 0; i < ss->ss_nactive; i++)
		if (strcmp(ss->ss_active[i], key) == 0)
			return (int)i;
	return -1;
}

static void
sessions_active_add(struct sessions *ss, const char *key)
{
	char **na;
	size_t cap;

	if (sessions_active_find(ss, key) >= 0)
		return;
	if (ss->ss_nactive == ss->ss_capactive) {
		cap = ss->ss_capactive ? ss->ss_capactive * 2 : 64;
		if ((na = realloc(ss->ss_active, cap * sizeof(*na))) == NULL)
			return;
		ss->ss_active = na;
		ss->ss_capactive = cap;
	}
	if ((ss->ss_active[ss->ss_nactive] = strdup(key)) == NULL)
		return;
	ss->ss_nactive++;
	ss->ss_active_dirty = 1;
}

static void
sessions_active_del(struct sessions *ss, const char *key)
{
	int i = sessions_active_find(ss, key);

	if (i < 0)
		return;
	free(ss->ss_active[i]);
	ss->ss_active[i] = ss->ss_active[--ss->ss_nactive];
	ss->ss_active_dirty = 1;
}

/* ---------------------------------------------------------------- sessions and files */

static void
sessions_file_free(struct usage_file *f)
{
	transcript_free(f->uf_tr);
	free(f->uf_agent);
	free(f);
}

static void
sessions_session_free(struct usage_session *s)
{
	struct usage_file *f;
	size_t i;

	while ((f = TAILQ_FIRST(&s->us_files)) != NULL) {
		TAILQ_REMOVE(&s->us_files, f, uf_entry);
		sessions_file_free(f);
	}
	for (i = 0; i < s->us_nagents; i++) {
		free(s->us_agents[i].ua_id);
		free(s->us_agents[i].ua_type);
	}
	free(s->us_agents);
	free(s->us_id);
	free(s->us_cwd);
	free(s->us_project);
	free(s);
}

static void
sessions_setstr(char **dst, const char *src)
{
	char *n;

	if (src == NULL || (*dst != NULL && strcmp(*dst, src) == 0))
		return;
	if ((n = strdup(src)) == NULL)
		return;
	free(*dst);
	*dst = n;
}

/* The agent's tally ("" the main thread), made when new; NULL when full. */
static struct usage_agent *
sessions_agent(struct usage_session *s, const char *id)
{
	struct usage_agent *na;
	size_t i;

	for (i = 0; i < s->us_nagents; i++)
		if (strcmp(s->us_agents[i].ua_id, id) == 0)
			return &s->us_agents[i];
	if (s->us_nagents == SESSIONS_AGENTS_MAX)
		return NULL;
	if ((na = realloc(s->us_agents, (s->us_nagents + 1) * sizeof(*na))) == NULL)
		return NULL;
	s->us_agents = na;
	na = &s->us_agents[s->us_nagents];
	memset(na, 0, sizeof(*na));
	if ((na->ua_id = strdup(id)) == NULL)
		return NULL;
	s->us_nagents++;
	return na;
}

/* The file at path in s, made when new (agent NULL: the main thread). */
static struct usage_file *
sessions_file(struct usage_session *s, const char *path, const char *agent)
{
	struct usage_file *f;

	TAILQ_FOREACH (f, &s->us_files, uf_entry)
		if (strcmp(transcript_path(f->uf_tr), path) == 0)
			return f;
	if (s->us_nfiles == SESSIONS_FILES_MAX) {
		s->us_ss->ss_st.sst_files_refused++;
		return NULL;
	}
	if ((f = calloc(1, sizeof(*f))) == NULL)
		return NULL;
	f->uf_sess = s;
	if ((f->uf_tr = transcript_new(path, s->us_ss->ss_o.so_line_max)) == NULL ||
	    (agent != NULL && (f->uf_agent = strdup(agent)) == NULL)) {
		sessions_file_free(f);
		return NULL;
	}
	TAILQ_INSERT_TAIL(&s->us_files, f, uf_entry);
	s->us_nfiles++;
	s->us_dirty = 1;
	return f;
}

static struct usage_session *
sessions_session_new(struct sessions *ss, const char *id)
{
	struct usage_session *s;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	if ((s->us_id = strdup(id)) == NULL) {
		free(s);
		return NULL;
	}
	s->us_ss = ss;
	state_key(id, s->us_key);
	TAILQ_INIT(&s->us_files);
	TAILQ_INSERT_TAIL(&ss->ss_list, s, us_entry);
	ss->ss_n++;
	return s;
}

/* A string member, or NULL. */
static const char *
sessions_str(json_object *o, const char *key)
{
	json_object *v;

	if (o == NULL || !json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

/* Loads a session's file into a new session.  NULL when absent or bad (logged). */
static struct usage_session *
sessions_load(struct sessions *ss, const char *key, const char *id_expected)
{
	char path[4400], err[512];
	json_object *o, *v, *a, *fo;
	struct usage_session *s = NULL;
	struct usage_agent *ag;
	struct usage_file *f;
	const char *id;
	size_t i, n;
	int missing;

	if (state_session_path(&ss->ss_state, key, path, sizeof(path)) == -1)
		return NULL;
	if ((o = state_read(path, &missing, err, sizeof(err))) == NULL) {
		if (!missing)
			log_warnx("state", "%s: %s; the session starts over", __func__, err);
		return NULL;
	}
	id = sessions_str(o, "session_id");
	if (id == NULL || (id_expected != NULL && strcmp(id, id_expected) != 0)) {
		log_warnx("state", "%s: %s: not the state of this session; it starts over",
			  __func__, path);
		goto done;
	}
	if ((s = sessions_session_new(ss, id)) == NULL)
		goto done;
	sessions_setstr(&s->us_cwd, sessions_str(o, "cwd"));
	sessions_setstr(&s->us_project, sessions_str(o, "project"));
	s->us_ended = json_object_object_get_ex(o, "ended", &v) && json_object_get_boolean(v);
	if (json_object_object_get_ex(o, "total", &v))
		tally_from_json(&s->us_total, v);
	if (json_object_object_get_ex(o, "agents", &a) && json_object_is_type(a, json_type_array))
		for (i = 0, n = json_object_array_length(a); i < n; i++) {
			json_object *e = json_object_array_get_idx(a, i);
			const char *aid = sessions_str(e, "id");

			if (aid == NULL || (ag = sessions_agent(s, aid)) == NULL)
				continue;
			sessions_setstr(&ag->ua_type, sessions_str(e, "type"));
			if (json_object_object_get_ex(e, "total", &v))
				tally_from_json(&ag->ua_total, v);
		}
	if (json_object_object_get_ex(o, "files", &a) && json_object_is_type(a, json_type_array))
		for (i = 0, n = json_object_array_length(a); i < n; i++) {
			fo = json_object_array_get_idx(a, i);
			if (!json_object_object_get_ex(fo, "reader", &v) ||
			    sessions_str(v, "path") == NULL)
				continue;
			f = sessions_file(s, sessions_str(v, "path"), sessions_str(fo, "agent"));
			if (f == NULL)
				continue;
			if (transcript_restore(f->uf_tr, v, err, sizeof(err)) == -1)
				log_warnx("state", "%s: %s", __func__, err);
			f->uf_ended = json_object_object_get_ex(fo, "ended", &v) &&
				      json_object_get_boolean(v);
		}
	s->us_dirty = 0;
	ss->ss_st.sst_loaded++;
done:
	json_object_put(o);
	return s;
}

/* The session id's session: in memory, else from its state, else new. */
static struct usage_session *
sessions_get(struct sessions *ss, const char *id)
{
	struct usage_session *s;
	char key[STATE_KEY_LEN + 1];

	TAILQ_FOREACH (s, &ss->ss_list, us_entry)
		if (strcmp(s->us_id, id) == 0)
			return s;
	state_key(id, key);
	if ((s = sessions_load(ss, key, id)) != NULL)
		return s;
	return sessions_session_new(ss, id);
}

/* ---------------------------------------------------------------- events */

/* A transcript path worth reading: absolute, a .jsonl file, no NUL. */
static int
sessions_path_ok(json_object *v)
{
	const char *p;
	size_t n;

	if (v == NULL || !json_object_is_type(v, json_type_string))
		return 0;
	p = json_object_get_string(v);
	n = (size_t)json_object_get_string_len(v);
	return n > 7 && n < PATH_MAX && strlen(p) == n && p[0] == '/' &&
	       strcmp(p + n - 6, ".jsonl") == 0 && strstr(p, "/../") == NULL;
}

/* An agent id usable in a file name: [A-Za-z0-9_-], 1 to 64. */
static int
sessions_agent_ok(const char *a)
{
	size_t n;

	if (a == NULL)
		return 0;
	n = strlen(a);
	return n > 0 && n <= 64 &&
	       strspn(a, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") == n;
}

/* Schedules reads of f from now. */
static void
sessions_trigger(struct usage_file *f, int64_t now, int turn_over, int ending)
{
	f->uf_next_us = now;
	f->uf_step = 0;
	f->uf_turn_over |= turn_over;
	f->uf_ending |= ending;
	if (f->uf_ended && !ending) {
		f->uf_ended = 0; /* a resumed session or agent */
		f->uf_sess->us_dirty = 1;
	}
	f->uf_sess->us_used_us = now;
}

void
sessions_event(struct sessions *ss, const char *buf, size_t len, int64_t now)
{
	json_tokener *tok;
	json_object *ev = NULL, *data, *v;
	const char *name, *sid, *agent, *atype, *tp;
	struct usage_session *s;
	struct usage_file *f, *af;
	char apath[PATH_MAX + 128];
	int stop, subend, sessend;

	/* most events name a transcript, but not ours, nor the router's notes */
	if (compat_memmem(buf, len, "\"transcript_path\"", 17) == NULL)
		return;
	if ((tok = json_tokener_new_ex(SESSIONS_DEPTH)) == NULL)
		return;
	ev = json_tokener_parse_ex(tok, buf, (int)len);
	json_tokener_free(tok);
	if (ev == NULL || !json_object_is_type(ev, json_type_object))
		goto done;
	name = sessions_str(ev, "event");
	if (name == NULL || strcmp(name, TALLY_EVENT) == 0 ||
	    !json_object_object_get_ex(ev, "data", &data) ||
	    !json_object_object_get_ex(data, "transcript_path", &v) || !sessions_path_ok(v))
		goto done;
	if ((sid = sessions_str(ev, "session_id")) == NULL &&
	    (sid = sessions_str(data, "session_id")) == NULL)
		goto done;
	if (sid[0] == '\0' || strlen(sid) > 256)
		goto done;
	if ((s = sessions_get(ss, sid)) == NULL)
		goto done;
	ss->ss_st.sst_events++;
	sessions_setstr(&s->us_cwd, sessions_str(ev, "cwd"));
	sessions_setstr(&s->us_project, sessions_str(ev, "project"));
	if (s->us_ended && strcmp(name, "SessionEnd") != 0) {
		s->us_ended = 0; /* resumed */
		s->us_dirty = 1;
	}
	if (!s->us_ended)
		sessions_active_add(ss, s->us_key);

	stop = strcmp(name, "Stop") == 0 || strcmp(name, "StopFailure") == 0;
	subend = strcmp(name, "SubagentStop") == 0;
	sessend = strcmp(name, "SessionEnd") == 0;
	if ((agent = sessions_str(ev, "agent_id")) == NULL)
		agent = sessions_str(data, "agent_id");
	/* Stop and friends inside a subagent are the subagent's, not the main turn's */
	tp = json_object_get_string(v);
	if ((f = sessions_file(s, tp, NULL)) != NULL)
		sessions_trigger(f, now, stop && agent == NULL, sessend);
	if (sessions_agent_ok(agent)) {
		if (json_object_object_get_ex(data, "agent_transcript_path", &v) &&
		    sessions_path_ok(v))
			snprintf(apath, sizeof(apath), "%s", json_object_get_string(v));
		else /* where Claude Code puts it: beside the transcript, in subagents/ */
			snprintf(apath, sizeof(apath), "%.*s/subagents/agent-%s.jsonl",
				 (int)strlen(tp) - 6, tp, agent);
		if ((af = sessions_file(s, apath, agent)) != NULL)
			sessions_trigger(af, now, subend, subend || sessend);
		if ((atype = sessions_str(data, "agent_type")) != NULL) {
			struct usage_agent *ag = sessions_agent(s, agent);

			if (ag != NULL &&
			    (ag->ua_type == NULL || strcmp(ag->ua_type, atype) != 0)) {
				sessions_setstr(&ag->ua_type, atype);
				s->us_dirty = 1;
			}
		}
	}
	if (sessend)
		TAILQ_FOREACH (f, &s->us_files, uf_entry)
			sessions_trigger(f, now, 1, 1);
done:
	json_object_put(ev);
}

/* ---------------------------------------------------------------- messages */

static void
sessions_msg(const struct transcript_msg *m, void *arg)
{
	struct usage_file *f = arg;
	struct usage_session *s = f->uf_sess;
	struct sessions *ss = s->us_ss;
	struct prices_match pm;
	struct usage_agent *ag, none;
	struct tally_ctx c;
	const char *agent = m->tm_agent[0] != '\0' ? m->tm_agent : f->uf_agent;
	int64_t cost = 0;
	int priced;
	json_object *ev;

	priced = prices_find(ss->ss_prices, m->tm_model, &pm) == 0 &&
		 prices_cost(&pm, m->tm_in, m->tm_out, m->tm_cw, m->tm_cw1h, m->tm_cr, &cost) == 0;
	if ((ag = sessions_agent(s, agent != NULL ? agent : "")) == NULL) {
		memset(&none, 0, sizeof(none)); /* over the agent limit: session totals only */
		ag = &none;
	}
	tally_add(&ag->ua_total, m, priced, cost);
	tally_add(&s->us_total, m, priced, cost);
	s->us_dirty = 1;
	ss->ss_st.sst_messages++;
	if (!priced)
		ss->ss_st.sst_unpriced++;

	memset(&c, 0, sizeof(c));
	c.tc_path = transcript_path(f->uf_tr);
	c.tc_session = s->us_id;
	c.tc_agent = agent;
	c.tc_agent_type = ag->ua_type;
	c.tc_cwd = s->us_cwd;
	c.tc_project = s->us_project;
	c.tc_host = ss->ss_o.so_host;
	c.tc_user = ss->ss_o.so_user;
	c.tc_price = priced ? &pm : NULL;
	c.tc_cost = cost;
	c.tc_agent_total = &ag->ua_total;
	c.tc_session_total = &s->us_total;
	c.tc_now_us = util_now_us();
	if ((ev = tally_event(m, &c)) == NULL) {
		log_warnx("oom", "%s: out of memory: usage of message %s not sent", __func__,
			  m->tm_id);
		return;
	}
	ss->ss_o.so_emit(ev, ss->ss_o.so_arg);
	json_object_put(ev);
}

/* ---------------------------------------------------------------- reads */

static void
sessions_read_error(struct usage_file *f, enum transcript_status rs, const char *err)
{
	struct sessions *ss = f->uf_sess->us_ss;

	if (rs == TRANSCRIPT_ERROR) {
		ss->ss_st.sst_read_errors++;
		if (strcmp(f->uf_err, err) != 0) {
			log_kv(LOGL_WARN, "transcript_unreadable",
			       "transcript cannot be read; its usage is not counted until it can",
			       "path", transcript_path(f->uf_tr), "session", f->uf_sess->us_id,
			       "error", err, NULL);
			snprintf(f->uf_err, sizeof(f->uf_err), "%s", err);
		}
		return;
	}
	if (f->uf_err[0] != '\0' && rs != TRANSCRIPT_MISSING) {
		log_kv(LOGL_INFO, NULL, "transcript readable again", "path",
		       transcript_path(f->uf_tr), NULL);
		f->uf_err[0] = '\0';
	}
}

int64_t
sessions_run(struct sessions *ss, int64_t now, size_t budget)
{
	struct usage_session *s;
	struct usage_file *f;
	enum transcript_status rs;
	int64_t next = 0, before;
	size_t spent = 0;
	char err[256];
	int nsched = ss->ss_o.so_nsched, alldone;

	TAILQ_FOREACH (s, &ss->ss_list, us_entry) {
		TAILQ_FOREACH (f, &s->us_files, uf_entry) {
			if (f->uf_next_us == 0)
				continue;
			if (f->uf_next_us > now || spent >= budget) {
				next = next == 0 || f->uf_next_us < next ? f->uf_next_us : next;
				continue;
			}
			before = (int64_t)transcript_stats(f->uf_tr)->ts_bytes;
			err[0] = '\0';
			rs = transcript_read(f->uf_tr, budget - spent, sessions_msg, f, err,
					     sizeof(err));
			spent += (size_t)((int64_t)transcript_stats(f->uf_tr)->ts_bytes - before);
			if ((int64_t)transcript_stats(f->uf_tr)->ts_bytes != before)
				s->us_dirty = 1; /* the reader's state moved */
			sessions_read_error(f, rs, err);
			if (rs == TRANSCRIPT_MORE) {
				next = now; /* the rest in the next pass */
				continue;
			}
			if (f->uf_step < nsched) {
				f->uf_next_us = now + (int64_t)ss->ss_o.so_sched[f->uf_step] * 1000;
				f->uf_step++;
				next = next == 0 || f->uf_next_us < next ? f->uf_next_us : next;
				continue;
			}
			/* the last read after a hook: settle, then wait for the next hook */
			transcript_settle(f->uf_tr, f->uf_turn_over || f->uf_ending, sessions_msg,
					  f);
			f->uf_next_us = 0;
			f->uf_turn_over = 0;
			if (f->uf_ending) {
				f->uf_ending = 0;
				f->uf_ended = 1;
			}
			s->us_dirty = 1;
		}
		if (!s->us_ended && !TAILQ_EMPTY(&s->us_files)) {
			alldone = 1;
			TAILQ_FOREACH (f, &s->us_files, uf_entry)
				alldone &= f->uf_ended;
			if (alldone) {
				s->us_ended = 1;
				s->us_dirty = 1;
				sessions_active_del(ss, s->us_key);
				ss->ss_st.sst_ended++;
			}
		}
	}
	return next;
}

/* ---------------------------------------------------------------- state */

static json_object *
sessions_session_json(const struct usage_session *s)
{
	json_object *o = json_object_new_object(), *a, *e, *fo;
	const struct usage_file *f;
	size_t i;

	json_object_object_add(o, "version", json_object_new_int(1));
	json_object_object_add(o, "session_id", json_object_new_string(s->us_id));
	if (s->us_cwd != NULL)
		json_object_object_add(o, "cwd", json_object_new_string(s->us_cwd));
	if (s->us_project != NULL)
		json_object_object_add(o, "project", json_object_new_string(s->us_project));
	json_object_object_add(o, "ended", json_object_new_boolean(s->us_ended));
	json_object_object_add(o, "total", tally_json(&s->us_total));
	a = json_object_new_array();
	for (i = 0; i < s->us_nagents; i++) {
		e = json_object_new_object();
		json_object_object_add(e, "id", json_object_new_string(s->us_agents[i].ua_id));
		if (s->us_agents[i].ua_type != NULL)
			json_object_object_add(e, "type",
					       json_object_new_string(s->us_agents[i].ua_type));
		json_object_object_add(e, "total", tally_json(&s->us_agents[i].ua_total));
		json_object_array_add(a, e);
	}
	json_object_object_add(o, "agents", a);
	a = json_object_new_array();
	TAILQ_FOREACH (f, &s->us_files, uf_entry) {
		fo = json_object_new_object();
		if (f->uf_agent != NULL)
			json_object_object_add(fo, "agent", json_object_new_string(f->uf_agent));
		json_object_object_add(fo, "ended", json_object_new_boolean(f->uf_ended));
		/* an ended transcript is not appended to: a few ids are
		 * enough to tell a rewrite of its end, and keep the file small */
		json_object_object_add(fo, "reader",
				       transcript_state(f->uf_tr, f->uf_ended
								      ? SESSIONS_SEEN_ENDED
								      : TRANSCRIPT_SEEN_MAX));
		json_object_array_add(a, fo);
	}
	json_object_object_add(o, "files", a);
	return o;
}

int
sessions_save(struct sessions *ss, uint64_t last_seq, int force, char *err, size_t errlen)
{
	struct usage_session *s;
	char path[4400];
	json_object *o, *a;
	size_t i;
	int rc = 0, wrote = 0;

	TAILQ_FOREACH (s, &ss->ss_list, us_entry) {
		if (!s->us_dirty)
			continue;
		if (state_session_path(&ss->ss_state, s->us_key, path, sizeof(path)) == -1)
			continue;
		o = sessions_session_json(s);
		if (state_write(path, o, err, errlen) == -1)
			rc = -1;
		else {
			s->us_dirty = 0;
			wrote++;
		}
		json_object_put(o);
	}
	ss->ss_st.sst_saves += (uint64_t)wrote;
	if (!force && !wrote && !ss->ss_active_dirty)
		return rc;
	if (state_main_path(&ss->ss_state, path, sizeof(path)) == -1)
		return -1;
	o = json_object_new_object();
	json_object_object_add(o, "version", json_object_new_int(1));
	json_object_object_add(o, "last_seq", json_object_new_int64((int64_t)last_seq));
	a = json_object_new_array();
	for (i = 0; i < ss->ss_nactive; i++)
		json_object_array_add(a, json_object_new_string(ss->ss_active[i]));
	json_object_object_add(o, "active", a);
	if (state_write(path, o, err, errlen) == -1)
		rc = -1;
	else
		ss->ss_active_dirty = 0;
	json_object_put(o);
	return rc;
}

int
sessions_dirty(const struct sessions *ss)
{
	const struct usage_session *s;

	if (ss->ss_active_dirty)
		return 1;
	TAILQ_FOREACH (s, &ss->ss_list, us_entry)
		if (s->us_dirty)
			return 1;
	return 0;
}

void
sessions_evict(struct sessions *ss, int64_t now)
{
	struct usage_session *s, *next;
	struct usage_file *f;
	int busy;

	for (s = TAILQ_FIRST(&ss->ss_list); s != NULL; s = next) {
		next = TAILQ_NEXT(s, us_entry);
		if (s->us_dirty)
			continue;
		busy = 0;
		TAILQ_FOREACH (f, &s->us_files, uf_entry)
			busy |= f->uf_next_us != 0;
		if (busy ||
		    (now - s->us_used_us < SESSIONS_IDLE_US && ss->ss_n <= SESSIONS_MEM_MAX))
			continue;
		TAILQ_REMOVE(&ss->ss_list, s, us_entry);
		ss->ss_n--;
		sessions_session_free(s);
	}
}

/* ---------------------------------------------------------------- life */

struct sessions *
sessions_new(const struct sessions_opts *o, struct prices *ps, char *err, size_t errlen)
{
	struct sessions *ss;
	struct usage_session *s;
	struct usage_file *f;
	char path[4400], lerr[512];
	json_object *st, *v;
	int64_t now = util_mono_us();
	size_t i, n;
	int missing;

	if ((ss = calloc(1, sizeof(*ss))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	TAILQ_INIT(&ss->ss_list);
	ss->ss_o = *o;
	ss->ss_prices = ps;
	if (state_init(&ss->ss_state, o->so_statedir, err, errlen) == -1) {
		free(ss);
		return NULL;
	}
	state_main_path(&ss->ss_state, path, sizeof(path));
	if ((st = state_read(path, &missing, lerr, sizeof(lerr))) == NULL) {
		if (!missing)
			log_warnx("state", "%s: %s; starting from the end of the ring", __func__,
				  lerr);
	} else {
		ss->ss_have_state = 1;
		if (json_object_object_get_ex(st, "last_seq", &v))
			ss->ss_last_seq = (uint64_t)json_object_get_int64(v);
		if (json_object_object_get_ex(st, "active", &v) &&
		    json_object_is_type(v, json_type_array))
			for (i = 0, n = json_object_array_length(v); i < n; i++) {
				const char *k =
				    json_object_get_string(json_object_array_get_idx(v, i));

				if (k != NULL && strlen(k) == STATE_KEY_LEN &&
				    strspn(k, "0123456789abcdef") == STATE_KEY_LEN)
					sessions_active_add(ss, k);
			}
		json_object_put(st);
	}
	ss->ss_active_dirty = 0;
	/* sessions that had not ended: read what was appended while we were away */
	for (i = 0; i < ss->ss_nactive; i++)
		if ((s = sessions_load(ss, ss->ss_active[i], NULL)) != NULL) {
			s->us_used_us = now;
			TAILQ_FOREACH (f, &s->us_files, uf_entry)
				if (!f->uf_ended)
					sessions_trigger(f, now, 0, 0);
		}
	n = (size_t)state_prune(&ss->ss_state, o->so_keep_days, (const char *const *)ss->ss_active,
				ss->ss_nactive);
	if (n > 0)
		log_info("%s: removed the state of %zu sessions untouched for %d days", __func__, n,
			 o->so_keep_days);
	return ss;
}

void
sessions_free(struct sessions *ss)
{
	struct usage_session *s;
	size_t i;

	if (ss == NULL)
		return;
	while ((s = TAILQ_FIRST(&ss->ss_list)) != NULL) {
		TAILQ_REMOVE(&ss->ss_list, s, us_entry);
		sessions_session_free(s);
	}
	for (i = 0; i < ss->ss_nactive; i++)
		free(ss->ss_active[i]);
	free(ss->ss_active);
	prices_free(ss->ss_prices);
	free(ss);
}

void
sessions_set_prices(struct sessions *ss, struct prices *ps)
{
	prices_free(ss->ss_prices);
	ss->ss_prices = ps;
}

uint64_t
sessions_last_seq(const struct sessions *ss, int *have)
{
	*have = ss->ss_have_state;
	return ss->ss_last_seq;
}

const struct sessions_stats *
sessions_stats(const struct sessions *ss, size_t *in_memory, size_t *active)
{
	*in_memory = ss->ss_n;
	*active = ss->ss_nactive;
	return &ss->ss_st;
}
