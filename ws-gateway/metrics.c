/*
 * metrics.c: /metrics in the Prometheus text format (the gateway's own
 * counters and the router's, read from the ring header), and /healthz.
 */
#include <sys/resource.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gateway.h"

#define METRICS_CGROUP_PATH_MAX 512 /* longest /proc/self/cgroup line read */

#define METRICS_N(a) (sizeof(a) / sizeof((a)[0]))
/* a labelled counter: its label values and its values, side by side and as many */
#define METRICS_LABELLED(b, name, help, label, names, vals)                                        \
	do {                                                                                       \
		_Static_assert(METRICS_N(names) == METRICS_N(vals), "labels and values differ");   \
		metrics_labelled(b, name, help, label, names, vals, METRICS_N(names));             \
	} while (0)

static void
metrics_counter(struct evbuffer *b, const char *name, const char *help, const char *label,
		unsigned long long v)
{
	evbuffer_add_printf(b, "# HELP %s %s\n# TYPE %s counter\n%s%s %llu\n", name, help, name,
			    name, label ? label : "", v);
}

static void
metrics_labelled(struct evbuffer *b, const char *name, const char *help, const char *label,
		 const char *const *names, const uint64_t *vals, size_t n)
{
	size_t i;

	evbuffer_add_printf(b, "# HELP %s %s\n# TYPE %s counter\n", name, help, name);
	for (i = 0; i < n; i++)
		evbuffer_add_printf(b, "%s{%s=\"%s\"} %llu\n", name, label, names[i],
				    (unsigned long long)vals[i]);
}

void
metrics_latency(struct gw *gw, int64_t us)
{
	static const double bounds[] = GW_LATENCY_BOUNDS;
	size_t i;

	_Static_assert(METRICS_N(bounds) == GW_LATENCY_N, "GW_LATENCY_N");
	if (us < 0)
		us = 0; /* the clocks of the hook and the gateway disagree */
	for (i = 0; i < GW_LATENCY_N && (double)us > bounds[i] * 1e6; i++)
		;
	gw->m.latency[i]++;
	gw->m.latency_sum_us += us;
}

/* The capture-to-send histogram (cumulative buckets, as Prometheus wants). */
static void
metrics_histogram(struct evbuffer *b, const struct gw_metrics *m)
{
	static const double bounds[] = GW_LATENCY_BOUNDS;
	uint64_t cum = 0;
	size_t i;

	evbuffer_add_printf(b, "# HELP hookwire_event_latency_seconds From the hook's capture "
			       "(the event's ts) to its broadcast by the gateway.\n"
			       "# TYPE hookwire_event_latency_seconds histogram\n");
	for (i = 0; i < GW_LATENCY_N; i++) {
		cum += m->latency[i];
		evbuffer_add_printf(b, "hookwire_event_latency_seconds_bucket{le=\"%g\"} %llu\n",
				    bounds[i], (unsigned long long)cum);
	}
	cum += m->latency[GW_LATENCY_N];
	evbuffer_add_printf(b,
			    "hookwire_event_latency_seconds_bucket{le=\"+Inf\"} %llu\n"
			    "hookwire_event_latency_seconds_sum %.6f\n"
			    "hookwire_event_latency_seconds_count %llu\n",
			    (unsigned long long)cum, (double)m->latency_sum_us / 1e6,
			    (unsigned long long)cum);
}

/* Resident memory in bytes: /proc/self/statm where there is one, else the
 * peak from getrusage(2) (bytes on macOS, KiB elsewhere). */
static unsigned long long
metrics_rss(void)
{
	unsigned long long size, res;
	struct rusage ru;
	FILE *f;

#if defined(__linux__) && !defined(HOOKWIRE_PORTABLE) /* PORTABLE: no /proc */
	if ((f = fopen("/proc/self/statm", "re")) != NULL) {
		int n = fscanf(f, "%llu %llu", &size, &res);

		fclose(f);
		if (n == 2)
			return res * (unsigned long long)sysconf(_SC_PAGESIZE);
	}
#else
	(void)f;
	(void)size;
	(void)res;
#endif
	if (getrusage(RUSAGE_SELF, &ru) != 0)
		return 0;
#ifdef __APPLE__
	return (unsigned long long)ru.ru_maxrss;
#else
	return (unsigned long long)ru.ru_maxrss * 1024;
#endif
}

/* The memory limit of the gateway's cgroup (v2 memory.max), or 0: none
 * (unlimited, not a cgroup v2 system, or not Linux). */
static unsigned long long
metrics_memory_limit(void)
{
#if defined(__linux__) && !defined(HOOKWIRE_PORTABLE)
	char line[METRICS_CGROUP_PATH_MAX], path[METRICS_CGROUP_PATH_MAX + 64], val[64];
	unsigned long long v = 0;
	size_t n;
	FILE *f;

	if ((f = fopen("/proc/self/cgroup", "re")) == NULL)
		return 0;
	line[0] = '\0';
	while (fgets(line, sizeof(line), f) != NULL && strncmp(line, "0::", 3) != 0)
		line[0] = '\0';
	fclose(f);
	if (strncmp(line, "0::", 3) != 0)
		return 0;
	n = strcspn(line + 3, "\n");
	line[3 + n] = '\0';
	snprintf(path, sizeof(path), "/sys/fs/cgroup%s/memory.max", line + 3);
	if ((f = fopen(path, "re")) == NULL)
		return 0;
	if (fgets(val, sizeof(val), f) != NULL && val[0] >= '0' && val[0] <= '9')
		v = strtoull(val, NULL, 10);
	fclose(f);
	return v;
#else
	return 0;
#endif
}

void
metrics_serve(struct conn *c)
{
	struct gw *gw = c->c_gw;
	struct gw_metrics *m = &gw->m;
	struct evbuffer *b = evbuffer_new();
	const struct ring_hdr *h;
	static const char *const disc[] = GW_DISC_NAMES;
	static const char *const ref[] = GW_REFUSED_NAMES;
	static const char *const bad[] = {"http", "websocket", "engine_io", "socket_io"};
	/* the router's counters, by their index in the ring header (ring.h) */
	static const char *const ring_names[] = {
	    [RING_C_RECEIVED] = "received",
	    [RING_C_ACCEPTED] = "accepted",
	    [RING_C_DUPLICATE_ID] = "duplicate_id",
	    [RING_C_DUPLICATE_CONTENT] = "duplicate_content",
	    [RING_C_SPOOL_DRAINED] = "spool_drained",
	    [RING_C_SCRUBBED] = "scrubbed",
	    [RING_C_JOURNAL_BYTES] = "journal_bytes",
	    [RING_C_JOURNAL_ERRORS] = "journal_errors",
	    [RING_C_CONNECTIONS] = "connections",
	    [RING_C_OVERRUNS] = "overruns",
	};
	static const char *const rej[] = RING_REJECT_REASONS;
	_Static_assert(METRICS_N(ring_names) == RING_C_OVERRUNS + 1 &&
			   METRICS_N(ring_names) <= RING_C_MAX,
		       "a ring counter without a name");
	_Static_assert(METRICS_N(rej) <= RING_REJECT_MAX, "more reject reasons than counters");
	uint64_t rejv[METRICS_N(rej)];
	size_t i;

	if (b == NULL)
		return;
	evbuffer_add_printf(b,
			    "# HELP hookwire_gateway_clients Connected Engine.IO clients by "
			    "transport.\n# TYPE hookwire_gateway_clients gauge\n"
			    "hookwire_gateway_clients{transport=\"websocket\"} %ld\n"
			    "hookwire_gateway_clients{transport=\"polling\"} %ld\n",
			    gw->nws, gw->npolling);
	evbuffer_add_printf(b,
			    "# HELP hookwire_gateway_connections Open TCP connections.\n"
			    "# TYPE hookwire_gateway_connections gauge\n"
			    "hookwire_gateway_connections %ld\n",
			    gw->nconns);
	metrics_counter(b, "hookwire_gateway_messages_sent_total",
			"Engine.IO message packets sent.", NULL, m->msgs_sent);
	metrics_counter(b, "hookwire_gateway_bytes_sent_total", "Bytes queued to clients.", NULL,
			m->bytes_sent);
	metrics_counter(b, "hookwire_gateway_events_total", "Ring events broadcast.", NULL,
			m->events_broadcast);
	metrics_counter(b, "hookwire_gateway_deliveries_total",
			"claude_event packets queued to clients.", NULL, m->deliveries);
	metrics_counter(b, "hookwire_gateway_http_requests_total", "HTTP requests.", NULL,
			m->http_requests);
	metrics_counter(b, "hookwire_gateway_accepted_total", "TCP connections accepted.", NULL,
			m->accepted);
	METRICS_LABELLED(b, "hookwire_gateway_disconnects_total", "Sessions closed, by reason.",
			 "reason", disc, m->disc);
	metrics_counter(b, "hookwire_gateway_dropped_clients_total",
			"Clients dropped for a full output buffer.", NULL, m->disc[GW_DISC_SLOW]);
	METRICS_LABELLED(b, "hookwire_gateway_refused_total", "Requests refused, by reason.",
			 "reason", ref, m->refused);
	const uint64_t badv[] = {m->bad_http, m->bad_ws, m->bad_eio, m->bad_sio};
	METRICS_LABELLED(b, "hookwire_gateway_bad_input_total", "Malformed input, by protocol.",
			 "protocol", bad, badv);
	metrics_counter(b, "hookwire_gateway_recovered_total", "Connection-state recoveries.", NULL,
			m->recovered);
	metrics_counter(b, "hookwire_gateway_gaps_total", "gap events sent.", NULL, m->gaps);
	metrics_counter(b, "hookwire_gateway_history_requests_total", "get_history requests.", NULL,
			m->history_requests);
	metrics_counter(b, "hookwire_gateway_ring_lapped_total",
			"Times the gateway fell a whole ring behind.", NULL, m->ring_lapped);
	{
		static const char *const sq[] = STORE_RESULT_NAMES;
		METRICS_LABELLED(b, "hookwire_gateway_store_queries_total",
				 "History questions for the event store, by result.", "result", sq,
				 m->store_queries);
	}
	metrics_histogram(b, m);
	spend_metrics(gw, b);
	{
		unsigned long long lim = metrics_memory_limit();

		evbuffer_add_printf(
		    b,
		    "# HELP hookwire_gateway_resident_memory_bytes Resident memory of "
		    "the gateway.\n# TYPE hookwire_gateway_resident_memory_bytes gauge\n"
		    "hookwire_gateway_resident_memory_bytes %llu\n",
		    metrics_rss());
		if (lim > 0)
			evbuffer_add_printf(b,
					    "# HELP hookwire_gateway_memory_limit_bytes The memory "
					    "limit the gateway "
					    "runs under (its cgroup's memory.max).\n"
					    "# TYPE hookwire_gateway_memory_limit_bytes gauge\n"
					    "hookwire_gateway_memory_limit_bytes %llu\n",
					    lim);
	}
	if (gw->src != NULL && (h = source_ring_header(gw->src)) != NULL) {
		evbuffer_add_printf(
		    b,
		    "# HELP hookwire_ring_head_seq Newest sequence number in the "
		    "ring.\n# TYPE hookwire_ring_head_seq gauge\n"
		    "hookwire_ring_head_seq %llu\n"
		    "# HELP hookwire_ring_first_seq Oldest sequence number in the "
		    "ring.\n# TYPE hookwire_ring_first_seq gauge\n"
		    "hookwire_ring_first_seq %llu\n",
		    (unsigned long long)atomic_load_explicit(&h->last_seq, memory_order_relaxed),
		    (unsigned long long)atomic_load_explicit(&h->first_seq, memory_order_relaxed));
		for (i = 0; i < METRICS_N(ring_names); i++) {
			char name[96];
			snprintf(name, sizeof(name), "hookwire_router_%s_total", ring_names[i]);
			metrics_counter(b, name, "Router counter (from the ring header).", NULL,
					(unsigned long long)atomic_load_explicit(
					    &h->counters[i], memory_order_relaxed));
		}
		for (i = 0; i < METRICS_N(rej); i++)
			rejv[i] = atomic_load_explicit(&h->rejected[i], memory_order_relaxed);
		METRICS_LABELLED(b, "hookwire_router_rejected_total",
				 "Lines the router rejected, by reason.", "reason", rej, rejv);
	}
	conn_respond_buf(c, 200, "text/plain; version=0.0.4; charset=utf-8",
			 "Cache-Control: no-store\r\n", b);
	evbuffer_free(b);
}

void
metrics_healthz(struct conn *c)
{
	struct gw *gw = c->c_gw;
	char body[256];
	int n;

	n = snprintf(
	    body, sizeof(body),
	    "{\"status\":\"ok\",\"ring\":%s,\"head\":%llu,\"first\":%llu,\"broadcast\":%llu,"
	    "\"clients\":%ld}\n",
	    gw->src ? "true" : "false",
	    (unsigned long long)(gw->src ? source_last_seq(gw->src) : 0),
	    (unsigned long long)(gw->src ? source_first_seq(gw->src) : 0),
	    (unsigned long long)(gw->src ? source_next_seq(&gw->cur) - 1 : 0), gw->nconns);
	conn_respond(c, 200, "application/json", "Cache-Control: no-store\r\n", body, (size_t)n);
}
