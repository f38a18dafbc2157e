/*
 * redisconn.c: connecting to Redis, written once for event-relay and the
 * gateway's Redis source (redisconn.h).
 *
 * The asynchronous connection: redisAsyncConnect(), attached to the
 * caller's base, the setup commands (AUTH, SELECT) queued, then the
 * caller's start callback queues its own; hiredis sends them all once
 * connected.  The connection is given up in exactly three ways, each told
 * to the down callback once: the connect callback with an error (hiredis
 * frees the context after it), the disconnect callback of the current
 * connection, or redisconn_drop() (which frees it; a refused setup command
 * drops too).  rc_ac is cleared first each time, so that callbacks for a
 * connection given up (the disconnect callback redisAsyncFree() runs, the
 * NULL replies it hands pending commands) see that it is not theirs.
 * Every loss schedules the next attempt on a timer, after the back-off.
 *
 * ac->data is the redisconn: hiredis 0.14's connect and disconnect
 * callbacks get nothing else.  Reply callbacks of the caller find their
 * object with redisconn_arg().
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <hiredis/adapters/libevent.h>

#include "redisconn.h"
#include "util.h"

#define REDISCONN_BACKOFF_MIN_MS 100

struct redisconn {
	struct event_base *rc_base;
	struct redisurl rc_url;
	int rc_keepalive;
	struct redisconn_cb rc_cb;
	void *rc_arg;
	redisAsyncContext *rc_ac;
	struct event *rc_retryev;
	struct redisconn_backoff rc_backoff;
	int rc_closing;
};

/* ---------------------------------------------------------------- back-off */

void
redisconn_backoff_init(struct redisconn_backoff *b, int min_ms, int max_ms)
{
	b->rb_min_ms = min_ms;
	b->rb_max_ms = max_ms;
	b->rb_next_ms = min_ms;
}

int
redisconn_backoff_next(struct redisconn_backoff *b)
{
	int ms = b->rb_next_ms;

	b->rb_next_ms = ms > b->rb_max_ms / 2 ? b->rb_max_ms : ms * 2;
	return ms;
}

void
redisconn_backoff_reset(struct redisconn_backoff *b)
{
	b->rb_next_ms = b->rb_min_ms;
}

/* ---------------------------------------------------------------- setup */

int
redisconn_setup(const struct redisurl *u, struct redisconn_cmd cmds[REDISCONN_SETUP_MAX])
{
	struct redisconn_cmd *c;
	int n = 0, i;

	memset(cmds, 0, sizeof(struct redisconn_cmd) * REDISCONN_SETUP_MAX);
	if (u->ru_pass[0] != '\0') {
		c = &cmds[n++];
		c->rc_name = "AUTH";
		c->rc_argv[c->rc_argc++] = "AUTH";
		if (u->ru_user[0] != '\0')
			c->rc_argv[c->rc_argc++] = u->ru_user;
		c->rc_argv[c->rc_argc++] = u->ru_pass;
	}
	if (u->ru_db != 0) {
		c = &cmds[n++];
		snprintf(c->rc_db, sizeof(c->rc_db), "%d", u->ru_db);
		c->rc_name = "SELECT";
		c->rc_argv[c->rc_argc++] = "SELECT";
		c->rc_argv[c->rc_argc++] = c->rc_db;
	}
	for (c = cmds; c < cmds + n; c++)
		for (i = 0; i < c->rc_argc; i++)
			c->rc_argvlen[i] = strlen(c->rc_argv[i]);
	return n;
}

redisContext *
redisconn_connect_sync(const struct redisurl *u, int timeout_ms, char *err, size_t errlen)
{
	struct redisconn_cmd cmds[REDISCONN_SETUP_MAX];
	struct timeval tv = util_ms_tv(timeout_ms);
	redisContext *c;
	redisReply *rp;
	int i, n;

	if ((c = redisConnectWithTimeout(u->ru_host, u->ru_port, tv)) == NULL || c->err) {
		snprintf(err, errlen, "redis %s:%d: %s", u->ru_host, u->ru_port,
			 c ? c->errstr : "out of memory");
		goto fail;
	}
	redisSetTimeout(c, tv);
	n = redisconn_setup(u, cmds);
	for (i = 0; i < n; i++) {
		rp = redisCommandArgv(c, cmds[i].rc_argc, cmds[i].rc_argv, cmds[i].rc_argvlen);
		if (rp == NULL || rp->type == REDIS_REPLY_ERROR) {
			snprintf(err, errlen, "redis %s: %s", cmds[i].rc_name,
				 rp ? rp->str : c->errstr);
			if (rp != NULL)
				freeReplyObject(rp);
			goto fail;
		}
		freeReplyObject(rp);
	}
	return c;
fail:
	if (c != NULL)
		redisFree(c);
	return NULL;
}

/* ---------------------------------------------------------------- asynchronous */

static void
redisconn_retry_cb(evutil_socket_t fd, short what, void *arg)
{
	redisconn_connect(arg);
}

/* The connection is gone: the next attempt after the back-off, and the news. */
static void
redisconn_down(struct redisconn *rc, enum redisconn_down what, const char *why)
{
	struct timeval tv;

	if (rc->rc_closing)
		return;
	tv = util_ms_tv(redisconn_backoff_next(&rc->rc_backoff));
	evtimer_add(rc->rc_retryev, &tv);
	rc->rc_cb.rc_down(rc->rc_arg, what, why);
}

static void
redisconn_connect_cb(const redisAsyncContext *ac, int status)
{
	struct redisconn *rc = ac->data;

	if (status == REDIS_OK || ac != rc->rc_ac)
		return;
	rc->rc_ac = NULL; /* hiredis frees the context after this callback */
	redisconn_down(rc, REDISCONN_FAILED, ac->errstr);
}

static void
redisconn_disconnect_cb(const redisAsyncContext *ac, int status)
{
	struct redisconn *rc = ac->data;

	if (ac != rc->rc_ac)
		return;
	rc->rc_ac = NULL;
	redisconn_down(rc, REDISCONN_LOST, status == REDIS_OK ? "closed" : ac->errstr);
}

void
redisconn_check_cb(redisAsyncContext *ac, void *rep, void *arg)
{
	struct redisconn *rc = ac->data;
	redisReply *rp = rep;
	char why[160];

	if (rp == NULL || ac != rc->rc_ac)
		return;
	if (rp->type == REDIS_REPLY_ERROR) {
		/* an AUTH error names no secret: "WRONGPASS invalid username-password pair" */
		snprintf(why, sizeof(why), "%s refused: %.100s", (const char *)arg, rp->str);
		redisconn_drop(rc, why);
	}
}

void
redisconn_connect(struct redisconn *rc)
{
	struct redisconn_cmd cmds[REDISCONN_SETUP_MAX];
	redisAsyncContext *ac;
	int i, n;

	evtimer_del(rc->rc_retryev);
	if (rc->rc_ac != NULL)
		return;
	ac = redisAsyncConnect(rc->rc_url.ru_host, rc->rc_url.ru_port);
	if (ac == NULL || ac->err) {
		redisconn_down(rc, REDISCONN_FAILED, ac ? ac->errstr : "out of memory");
		if (ac != NULL)
			redisAsyncFree(ac);
		return;
	}
	ac->data = rc;
	if (redisLibeventAttach(ac, rc->rc_base) != REDIS_OK) {
		redisAsyncFree(ac);
		redisconn_down(rc, REDISCONN_FAILED, "cannot attach to the event loop");
		return;
	}
	if (rc->rc_keepalive)
		redisEnableKeepAlive(&ac->c);
	redisAsyncSetConnectCallback(ac, redisconn_connect_cb);
	redisAsyncSetDisconnectCallback(ac, redisconn_disconnect_cb);
	rc->rc_ac = ac;
	/* pipelined: sent once connected, answered in order */
	n = redisconn_setup(&rc->rc_url, cmds);
	for (i = 0; i < n; i++)
		redisAsyncCommandArgv(ac, redisconn_check_cb, (void *)cmds[i].rc_name,
				      cmds[i].rc_argc, cmds[i].rc_argv, cmds[i].rc_argvlen);
	rc->rc_cb.rc_start(rc->rc_arg, ac);
}

struct redisconn *
redisconn_new(struct event_base *base, const struct redisurl *u, int backoff_max_ms, int keepalive,
	      const struct redisconn_cb *cb, void *arg, char *err, size_t errlen)
{
	struct redisconn *rc;

	if ((rc = calloc(1, sizeof(*rc))) == NULL ||
	    (rc->rc_retryev = evtimer_new(base, redisconn_retry_cb, rc)) == NULL) {
		snprintf(err, errlen, "out of memory");
		free(rc);
		return NULL;
	}
	rc->rc_base = base;
	rc->rc_url = *u;
	rc->rc_keepalive = keepalive;
	rc->rc_cb = *cb;
	rc->rc_arg = arg;
	redisconn_backoff_init(&rc->rc_backoff, REDISCONN_BACKOFF_MIN_MS, backoff_max_ms);
	return rc;
}

redisAsyncContext *
redisconn_ctx(const struct redisconn *rc)
{
	return rc->rc_ac;
}

void *
redisconn_arg(const redisAsyncContext *ac)
{
	const struct redisconn *rc = ac->data;

	return rc->rc_arg;
}

void
redisconn_drop(struct redisconn *rc, const char *why)
{
	redisAsyncContext *ac = rc->rc_ac;

	if (ac == NULL)
		return;
	rc->rc_ac = NULL; /* the disconnect callback then knows it is not news */
	redisAsyncFree(ac);
	redisconn_down(rc, REDISCONN_DROPPED, why);
}

void
redisconn_ok(struct redisconn *rc)
{
	redisconn_backoff_reset(&rc->rc_backoff);
}

void
redisconn_free(struct redisconn *rc)
{
	redisAsyncContext *ac;

	if (rc == NULL)
		return;
	rc->rc_closing = 1;
	if ((ac = rc->rc_ac) != NULL) {
		rc->rc_ac = NULL;
		redisAsyncFree(ac);
	}
	event_free(rc->rc_retryev);
	free(rc);
}
