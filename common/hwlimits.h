/*
 * hwlimits.h: every limit hookwire enforces, named once.
 *
 * These are the compiled-in defaults; each one that users may tune is also
 * a configuration key (see config.c and hookwire.conf(5)), whose name is
 * given in the comment.  Code refers to the configured value, never to a
 * bare number.
 */
#ifndef HOOKWIRE_HWLIMITS_H
#define HOOKWIRE_HWLIMITS_H

/* NDJSON: the longest ingest line, newline excluded (router.line_max). */
#define HW_LINE_MAX (4 * 1024 * 1024)

/* The largest canonical event, serialized (capture.event_max). */
#define HW_EVENT_MAX (1024 * 1024)

/* Longest string field kept whole in data; longer ones are cut
 * with a marker (capture.field_max). */
#define HW_FIELD_MAX (16 * 1024)

/* Deepest JSON nesting accepted anywhere (capture.depth_max, router.depth_max). */
#define HW_DEPTH_MAX 64

/* Largest hook input read from stdin before it is treated as bad input
 * (capture.input_max). */
#define HW_INPUT_MAX (64 * 1024 * 1024)

/* Bounded copy of bad input carried in an input_error event (capture.bad_input_copy). */
#define HW_BAD_INPUT_COPY (4 * 1024)

/* hook-capture: deadline for reading stdin, ms (capture.stdin_timeout_ms). */
#define HW_STDIN_TIMEOUT_MS 2000

/* hook-capture: deadline for the router's reply line, ms (capture.ack_timeout_ms). */
#define HW_ACK_TIMEOUT_MS 250

/* hook-capture: Claude Code's cap on additionalContext, characters. Fixed by Claude Code. */
#define HW_CONTEXT_MAX 10000

/* Router dedup: how many recent ids are remembered (router.dedup_ids). */
#define HW_DEDUP_IDS 65536

/* Router dedup: window for identical content, ms (router.dedup_window_ms). */
#define HW_DEDUP_WINDOW_MS 2000

/* Router: unanswered input per producer connection before reading pauses, bytes
 * (router.conn_buffer). */
#define HW_CONN_BUFFER (8 * 1024 * 1024)

/* Router: producer connections at once (router.clients_max). */
#define HW_ROUTER_CLIENTS_MAX 1024

/* Ring data area, bytes, power of two (ring.size). */
#define HW_RING_SIZE (64 * 1024 * 1024)

/* Journal: rotate at this size, bytes (journal.segment_size). */
#define HW_JOURNAL_SEGMENT (64 * 1024 * 1024)

/* Journal: keep at most this many bytes of segments (journal.keep_bytes). */
#define HW_JOURNAL_KEEP (1024LL * 1024 * 1024)

/* Journal: keep segments at most this many days (journal.keep_days). */
#define HW_JOURNAL_KEEP_DAYS 30

/* Log: rotate the log file at this size, bytes (log.max_size). */
#define HW_LOG_MAX_SIZE (16 * 1024 * 1024)

/* Gateway: concurrent clients (gateway.clients_max). */
#define HW_GW_CLIENTS_MAX 20000

/* Gateway: HTTP request head, bytes (gateway.header_max). */
#define HW_GW_HEADER_MAX (16 * 1024)

/* Gateway: HTTP request body (polling POST), bytes (gateway.body_max). */
#define HW_GW_BODY_MAX (1024 * 1024)

/* Gateway: Engine.IO maxPayload, bytes (gateway.max_payload). */
#define HW_GW_MAX_PAYLOAD (1000000)

/* Gateway: per-client output, soft limit bytes and milliseconds, hard limit
 * bytes (gateway.outbuf_soft, gateway.outbuf_soft_ms, gateway.outbuf_hard). */
#define HW_GW_OUTBUF_SOFT    (4 * 1024 * 1024)
#define HW_GW_OUTBUF_SOFT_MS 10000
#define HW_GW_OUTBUF_HARD    (16 * 1024 * 1024)

/* Gateway: next ports tried when the listen port is busy (gateway.port_tries). */
#define HW_GW_PORT_TRIES 10

/* Gateway: Engine.IO heartbeat, ms (gateway.ping_interval_ms, gateway.ping_timeout_ms). */
#define HW_GW_PING_INTERVAL_MS 25000
#define HW_GW_PING_TIMEOUT_MS  20000

/* Gateway: get_history and /api/events, most events in one answer (gateway.history_max). */
#define HW_GW_HISTORY_MAX 10000

/* Gateway: from the first byte of an HTTP request head to its end, ms
 * (gateway.header_timeout_ms). */
#define HW_GW_HEADER_TIMEOUT_MS 10000

#endif /* HOOKWIRE_HWLIMITS_H */
