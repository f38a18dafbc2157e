/*
 * feed.c: follows the event source and broadcasts each new event.
 *
 * The source (source.h: the ring, or a Redis stream) offers a descriptor that
 * becomes readable when new records may be there.  Each record is encoded
 * once into a struct bcast (record_bcast) that every WebSocket client's
 * output references; long-polling clients get a copy in their queue.  A
 * client gets an event when it may see the event's session (record_visible:
 * its token's scope and its subscriptions), and its output limits are checked
 * after each one.  Events that left the store before they were broadcast are
 * announced to every client by a gap event.
 *
 * At most FEED_DRAIN_MAX events are broadcast per pass of the event loop: a
 * burst of thousands (each copied into every long-polling session) must not
 * hold up heartbeats, accepts and writes for seconds; the rest follows in the
 * next pass, after this pass's output is written.  With gateway.coalesce_ms,
 * the read waits that long after the first news so that the events of the
 * window reach each client in one write.
 *
 * The source may not exist yet (the router creates the ring): the gateway
 * starts anyway and looks again every FEED_RETRY_SECONDS.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway.h"
#include "log.h"
#include "util.h"

#define FEED_DRAIN_MAX	   256 /* ring events broadcast per event-loop pass */
#define FEED_RETRY_SECONDS 1   /* looking again for a source that is not there */

/* Sends the event json[0..len) to every client that may see it. */
static void
feed_broadcast(struct gw *gw, const char *json, size_t len, uint64_t seq, int64_t ts_us)
{
	struct record r;
	struct bcast *b = NULL;
	struct api_client *a, *na;

	if (record_parse(json, len, &r) < 0) {
		log_warnx("bad_record", "%s: seq %llu: not a JSON object; skipped", __func__,
			  (unsigned long long)seq);
		return;
	}
	cc_sessions_update(gw, &r, ts_us, 1);
	gw->m.events_broadcast++;
	metrics_latency(gw, util_now_us() - ts_us);
	TAILQ_FOREACH_SAFE (a, &gw->api, ac_entry, na) {
		if (a->ac_catchup || a->ac_replaying || !record_visible(a, r.r_session_id))
			continue; /* catching up: it gets this from the ring after */
		if (b == NULL && (b = record_bcast(json, len, seq)) == NULL)
			break;
		eio_session_send_bcast(a->ac_session, b);
		gw->m.deliveries++;
		eio_session_check_output(a->ac_session);
	}
	bcast_unref(b);
	record_clear(&r);
	if (gw->cc_sessions_dirty)
		api_sessions_changed(gw);
}

/* Tells every client that events lf..lt are lost (they never reached it). */
static void
feed_broadcast_gap(struct gw *gw, uint64_t lf, uint64_t lt)
{
	struct api_client *a, *na;

	TAILQ_FOREACH_SAFE (a, &gw->api, ac_entry, na) {
		api_emit_gap(a->ac_session, lf, lt);
		eio_session_check_output(a->ac_session);
	}
}

/* Broadcasts what the source holds, FEED_DRAIN_MAX events per loop pass. */
static void
feed_drain(evutil_socket_t fd, short ev, void *arg)
{
	struct gw *gw = arg;
	uint64_t seq, lf, lt;
	int64_t ts;
	size_t len;
	int r, n;

	for (n = 0;; n++) {
		if (n == FEED_DRAIN_MAX) {
			event_active(gw->drain_ev, EV_TIMEOUT, 0);
			break;
		}
		r = source_read(gw->src, &gw->cur, &gw->rbuf, &gw->rbufcap, &len, &seq, &ts, &lf,
				&lt);
		if (r == SOURCE_EMPTY || r < 0)
			break;
		if (r == SOURCE_LAPPED) {
			gw->m.ring_lapped++;
			log_warnx("lapped", "%s: events %llu..%llu left the ring before broadcast",
				  __func__, (unsigned long long)lf, (unsigned long long)lt);
			feed_broadcast_gap(gw, lf, lt);
			continue;
		}
		feed_broadcast(gw, gw->rbuf, len, seq, ts);
	}
}

/* The source has news: read it now, or after gateway.coalesce_ms. */
static void
feed_source_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct gw *gw = arg;
	struct timeval tv;

	source_ack(gw->src);
	if (gw->cfg.coalesce_ms > 0 && gw->drain_ev != NULL) {
		if (!evtimer_pending(gw->drain_ev, NULL)) {
			tv = util_ms_tv(gw->cfg.coalesce_ms);
			evtimer_add(gw->drain_ev, &tv);
		}
		return;
	}
	feed_drain(-1, 0, gw);
}

/* Reads the whole source once to fill the sessions table. */
static void
feed_seed(struct gw *gw)
{
	struct source_cursor cur;
	struct record r;
	uint64_t seq, lf, lt, end;
	int64_t ts;
	size_t len;
	int rc;

	end = source_next_seq(&gw->cur);
	source_seek(gw->src, &cur, source_first_seq(gw->src), &lf, &lt);
	while (source_next_seq(&cur) < end) {
		rc = source_read(gw->src, &cur, &gw->rbuf, &gw->rbufcap, &len, &seq, &ts, &lf, &lt);
		if (rc == SOURCE_EMPTY || rc < 0)
			break;
		if (rc == SOURCE_LAPPED)
			continue;
		if (record_parse(gw->rbuf, len, &r) == 0) {
			cc_sessions_update(gw, &r, ts, 0);
			record_clear(&r);
		}
	}
	gw->cc_sessions_dirty = 0;
}

static int
feed_open(struct gw *gw, char *err, size_t errlen)
{
	if (gw->cfg.source[0] != '\0')
		gw->src = source_open_redis(gw->base, gw->cfg.source, gw->cfg.source_stream,
					    gw->cfg.source_window, gw->cfg.source_window_bytes, err,
					    errlen);
	else
		gw->src = source_open_ring(gw->paths.ring_name, err, errlen);
	if (gw->src == NULL)
		return -1;
	source_seek_end(gw->src, &gw->cur);
	feed_seed(gw);
	gw->src_ev =
	    event_new(gw->base, source_fd(gw->src), EV_READ | EV_PERSIST, feed_source_cb, gw);
	if (gw->src_ev == NULL || event_add(gw->src_ev, NULL) < 0) {
		snprintf(err, errlen, "cannot watch the source");
		if (gw->src_ev != NULL)
			event_free(gw->src_ev);
		gw->src_ev = NULL;
		source_close(gw->src);
		gw->src = NULL;
		return -1;
	}
	log_info("%s: following %s %s from seq %llu (%zu sessions known)", __func__,
		 gw->cfg.source[0] ? "stream" : "ring",
		 gw->cfg.source[0] ? gw->cfg.source_stream : gw->paths.ring_name,
		 (unsigned long long)source_next_seq(&gw->cur), gw->ncc_sessions);
	return 0;
}

static void
feed_retry_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct gw *gw = arg;
	struct timeval tv = {FEED_RETRY_SECONDS, 0};
	char err[256];

	/* The router creates the ring; until it has, look again every second. */
	if (feed_open(gw, err, sizeof(err)) < 0)
		evtimer_add(gw->src_retry, &tv);
}

int
feed_init(struct gw *gw)
{
	struct timeval tv = {FEED_RETRY_SECONDS, 0};
	char err[256];

	gw->src_retry = evtimer_new(gw->base, feed_retry_cb, gw);
	gw->drain_ev = evtimer_new(gw->base, feed_drain, gw);
	if (gw->src_retry == NULL || gw->drain_ev == NULL)
		return -1;
	if (feed_open(gw, err, sizeof(err)) < 0) {
		log_warnx("no_ring", "%s: %s; waiting for the router", __func__, err);
		evtimer_add(gw->src_retry, &tv);
	}
	return 0;
}

void
feed_free(struct gw *gw)
{
	if (gw->src_ev)
		event_free(gw->src_ev);
	if (gw->src_retry)
		event_free(gw->src_retry);
	if (gw->drain_ev)
		event_free(gw->drain_ev);
	source_close(gw->src);
	gw->src = NULL;
	free(gw->rbuf);
	gw->rbuf = NULL;
	cc_sessions_free(gw);
}
