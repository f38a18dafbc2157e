/*
 * redisconn.h: a connection to Redis kept the way event-relay(8) and
 * ws-gateway(8)'s Redis source keep theirs: connect to a redisurl.h URL,
 * AUTH and SELECT, and when the connection fails or goes, connect again
 * after an exponential back-off.
 *
 * The asynchronous connection runs on the caller's libevent base
 * (hiredis's adapter).  The caller queues its own commands once the setup
 * commands are queued (the start callback; all are pipelined and sent
 * once connected), and hears of every loss through the down callback,
 * with the reason, to log it.  A refused AUTH or SELECT drops the
 * connection.  redisconn_connect_sync() is the same setup, blocking, for
 * start-up.  Nothing here logs: errors go to the caller.
 */
#ifndef HOOKWIRE_REDISCONN_H
#define HOOKWIRE_REDISCONN_H

#include <stddef.h>

#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include "redisurl.h"

struct event_base;
struct redisconn;

/* ---------------------------------------------------------------- back-off */

/* The delays between connection attempts: min_ms, then each one twice the
 * last, up to max_ms; back to min_ms once a connection worked. */
struct redisconn_backoff {
	int rb_min_ms, rb_max_ms;
	int rb_next_ms;
};

void redisconn_backoff_init(struct redisconn_backoff *b, int min_ms, int max_ms);
/* The delay before the next attempt (and the one after is doubled). */
int redisconn_backoff_next(struct redisconn_backoff *b);
/* A connection worked: the next delay is min_ms again. */
void redisconn_backoff_reset(struct redisconn_backoff *b);

/* ---------------------------------------------------------------- setup */

/* One setup command as an argument vector (pointing into its URL and rc_db). */
struct redisconn_cmd {
	const char *rc_name; /* "AUTH" or "SELECT": what a refusal names */
	int rc_argc;
	const char *rc_argv[3];
	size_t rc_argvlen[3];
	char rc_db[24];
};

#define REDISCONN_SETUP_MAX 2

/* The setup commands of u: AUTH [user] password when u has a password,
 * SELECT db when db is not 0.  Fills cmds and returns their number. */
int redisconn_setup(const struct redisurl *u, struct redisconn_cmd cmds[REDISCONN_SETUP_MAX]);

/*
 * Connects to u (connect and every reply within timeout_ms) and runs the
 * setup commands.  Returns the context (free it with redisFree()), or NULL
 * with "redis HOST:PORT: why", "redis AUTH: why" or "redis SELECT: why" in err.
 */
redisContext *redisconn_connect_sync(const struct redisurl *u, int timeout_ms, char *err,
				     size_t errlen);

/* ---------------------------------------------------------------- asynchronous */

enum redisconn_down {
	REDISCONN_FAILED = 0, /* the connection could not be made */
	REDISCONN_LOST,	      /* an established connection went away */
	REDISCONN_DROPPED,    /* dropped: redisconn_drop(), or a refused AUTH or SELECT */
};

struct redisconn_cb {
	/* A connection is under way with its setup commands queued: queue
	 * the first commands on ac. */
	void (*rc_start)(void *arg, redisAsyncContext *ac);
	/* The connection is gone (why: what hiredis or Redis said, or the
	 * reason given to redisconn_drop()); the next attempt is scheduled. */
	void (*rc_down)(void *arg, enum redisconn_down what, const char *why);
};

/*
 * A connection to u (copied) on base, not yet started: redisconn_connect()
 * makes the first attempt.  Retries back off from 100 ms to backoff_max_ms.
 * keepalive: TCP keepalive on the connection (a blocked read on a dead
 * peer is noticed).  Returns a new redisconn, or NULL with err.
 */
struct redisconn *redisconn_new(struct event_base *base, const struct redisurl *u,
				int backoff_max_ms, int keepalive, const struct redisconn_cb *cb,
				void *arg, char *err, size_t errlen);
/* Connects now (a retry pending is dropped). */
void redisconn_connect(struct redisconn *rc);
/* The connection, or NULL while there is none.  A reply callback whose ac is
 * not this one belongs to a connection already given up: it must return. */
redisAsyncContext *redisconn_ctx(const struct redisconn *rc);
/* In a reply callback: the arg given to redisconn_new(). */
void *redisconn_arg(const redisAsyncContext *ac);
/* Drops the connection, if any (its pending reply callbacks get a NULL
 * reply), tells rc_down (REDISCONN_DROPPED, why) and schedules the next attempt. */
void redisconn_drop(struct redisconn *rc, const char *why);
/* A reply callback for a command whose reply matters only when it is an
 * error (privdata: the command's name, a static string): an error drops
 * the connection as "NAME refused: ...".  The setup commands use it. */
void redisconn_check_cb(redisAsyncContext *ac, void *reply, void *privdata);
/* A reply showed that the connection works: back-off to its start. */
void redisconn_ok(struct redisconn *rc);
/* Closes the connection and frees rc; no callback runs after this.
 * redisconn_free(NULL) does nothing. */
void redisconn_free(struct redisconn *rc);

#endif
