/*
 * relay.h: event-relay's private header (event-relay(8)).
 *
 * relay.c follows the ring and appends each event to a Redis stream
 * through hiredis's libevent adapter, keeping its position in Redis itself,
 * atomically with the appends (one Lua script per batch).  It reads the
 * ring as any reader does (common/ring.c, woken by common/ringwake.c) and
 * keeps its connection with common/redisconn.c (URL, AUTH, SELECT,
 * back-off), which ws-gateway's Redis source shares.
 */
#ifndef HOOKWIRE_RELAY_H
#define HOOKWIRE_RELAY_H

#include <stddef.h>
#include <stdint.h>

#include "redisurl.h"

struct relay_opts {
	struct redisurl url;
	const char *stream;    /* stream key, e.g. "hookwire:events" */
	const char *host;      /* origin name written into each entry */
	long long maxlen;      /* 0: no MAXLEN */
	long long minid_age_s; /* 0: no MINID; wins over maxlen when set */
	int batch_max;	       /* events per script call */
	size_t batch_bytes;    /* bytes of events per script call */
	int timeout_ms;	       /* a reply later than this drops the connection */
	int reconnect_max_ms;  /* back-off ceiling */
};

struct event_base;
struct relay;

/*
 * Returns a new relay following the ring named ring_name; it starts
 * connecting at once.  ready_cb (may be NULL) is called once, after the
 * first connection attempt has either resumed or failed.  Copies what it
 * needs from o.  NULL with err on failure.
 */
struct relay *relay_new(struct event_base *base, const char *ring_name, const struct relay_opts *o,
			void (*ready_cb)(void *), void *arg, char *err, size_t errlen);
/* Drops the connection (an atomic batch in flight either happened or did not) and frees. */
void relay_free(struct relay *r);
/* Logs one status line: position, lag, counters. */
void relay_log_status(struct relay *r);

#endif
