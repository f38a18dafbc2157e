/*
 * config_keys.c: every configuration key, its type, default, limits and
 * one line of help (hookwire.conf(5) documents each one; a unit test checks
 * that the page names every key here).
 *
 * To add a key: append it at the end of its section, add the limit to
 * hwlimits.h if code uses it, and document it in man/hookwire.conf.5.
 */
#include <stddef.h>

#include "config.h"

#define K (1024LL)
#define M (1024LL * 1024)
#define G (1024LL * 1024 * 1024)
#define T (1024LL * 1024 * 1024 * 1024)

const struct config_key config_keys[] = {
    /* top level */
    {NULL, "version", CONFIG_INT, "2", 1, CONFIG_VERSION, "layout version of the file"},
    {NULL, "instance", CONFIG_STR, "default", 0, 0,
     "instance name: selects the ring, the sockets and the pidfiles"},
    {NULL, "rundir", CONFIG_STR, "", 0, 0, "sockets, pidfiles and gateway.port"},
    {NULL, "statedir", CONFIG_STR, "", 0, 0, "spool, journal and token"},

    /* log */
    {"log", "file", CONFIG_STR, "", 0, 0, "log file; empty means standard error"},
    {"log", "level", CONFIG_LEVEL, "info", 0, 0, "error, warn, info or debug"},
    {"log", "max_size", CONFIG_SIZE, "16M", 64 * K, G, "rotate the log file at this size"},
    {"log", "keep", CONFIG_INT, "3", 0, 100, "rotated log files kept"},

    /* capture */
    {"capture", "field_max", CONFIG_SIZE, "16k", 256, 16 * M,
     "longest string field kept whole in data"},
    {"capture", "event_max", CONFIG_SIZE, "1M", 4 * K, 64 * M, "largest serialized event"},
    {"capture", "input_max", CONFIG_SIZE, "64M", K, G, "largest hook input read from stdin"},
    {"capture", "depth_max", CONFIG_INT, "64", 1, 1000, "deepest JSON nesting of hook input"},
    {"capture", "bad_input_copy", CONFIG_SIZE, "4k", 0, M,
     "bytes of bad input copied into an input_error event"},
    {"capture", "stdin_timeout_ms", CONFIG_INT, "2000", 10, 60000,
     "deadline for reading the hook input"},
    {"capture", "ack_timeout_ms", CONFIG_INT, "250", 1, 10000, "deadline for the router's reply"},
    {"capture", "log_file", CONFIG_STR, "", 0, 0, "hook-capture's own log file"},
    {"capture", "context_files", CONFIG_LIST, "", 0, 0,
     "memory files whose text is returned as additionalContext"},
    {"capture", "context_max", CONFIG_INT, "10000", 0, 10000,
     "characters of additionalContext at most"},
    {"capture", "statusline_timeout_ms", CONFIG_INT, "5000", 100, 60000,
     "time the wrapped status line command has to finish"},

    /* router */
    {"router", "line_max", CONFIG_SIZE, "4M", K, 64 * M, "longest ingest line"},
    {"router", "depth_max", CONFIG_INT, "64", 1, 1000, "deepest JSON nesting of an ingest line"},
    {"router", "dedup_ids", CONFIG_INT, "65536", 0, 16777216,
     "recent event ids remembered for deduplication"},
    {"router", "dedup_window_ms", CONFIG_INT, "2000", 0, 600000,
     "window for dropping identical content"},
    {"router", "conn_buffer", CONFIG_SIZE, "8M", 64 * K, G,
     "unanswered input per producer connection before reading pauses"},
    {"router", "clients_max", CONFIG_INT, "1024", 1, 65536, "producer connections at once"},
    {"router", "user", CONFIG_STR, "", 0, 0, "user to run as when started as root"},

    /* journal */
    {"journal", "segment_size", CONFIG_SIZE, "64M", 64 * K, 16 * G,
     "start a new journal segment at this size"},
    {"journal", "keep_bytes", CONFIG_SIZE, "1G", M, T, "journal bytes kept at most"},
    {"journal", "keep_days", CONFIG_INT, "30", 0, 3650, "days journal segments are kept"},
    {"journal", "fsync", CONFIG_STR, "batch", 0, 0, "always, batch or never"},

    /* ring */
    {"ring", "size", CONFIG_SIZE, "64M", 64 * K, 4 * G, "ring data area in bytes, a power of two"},

    /* scrub */
    {"scrub", "enabled", CONFIG_BOOL, "true", 0, 0, "scrub secrets before publishing"},
    {"scrub", "builtin", CONFIG_BOOL, "true", 0, 0, "use the built-in rules"},
    {"scrub", "rules_file", CONFIG_STR, "", 0, 0, "file of extra or overriding rules"},

    /* gateway */
    {"gateway", "listen", CONFIG_STR, "127.0.0.1:8765", 0, 0, "address and port to listen on"},
    {"gateway", "port_tries", CONFIG_INT, "10", 0, 1000, "next ports tried when the port is busy"},
    {"gateway", "clients_max", CONFIG_INT, "20000", 1, 1000000, "concurrent clients"},
    {"gateway", "header_max", CONFIG_SIZE, "16k", K, M, "largest HTTP request head"},
    {"gateway", "body_max", CONFIG_SIZE, "1M", K, 64 * M, "largest HTTP request body"},
    {"gateway", "max_payload", CONFIG_SIZE, "1000000", K, 64 * M, "Engine.IO maxPayload"},
    {"gateway", "outbuf_soft", CONFIG_SIZE, "4M", 64 * K, G, "per-client output soft limit"},
    {"gateway", "outbuf_soft_ms", CONFIG_INT, "10000", 0, 3600000,
     "milliseconds a client may stay over the soft limit"},
    {"gateway", "outbuf_hard", CONFIG_SIZE, "16M", 64 * K, G, "per-client output hard limit"},
    {"gateway", "coalesce_ms", CONFIG_INT, "0", 0, 1000,
     "milliseconds to gather events before sending them"},
    {"gateway", "ping_interval_ms", CONFIG_INT, "25000", 100, 600000, "Engine.IO ping interval"},
    {"gateway", "ping_timeout_ms", CONFIG_INT, "20000", 100, 600000, "Engine.IO ping timeout"},
    {"gateway", "history_max", CONFIG_INT, "10000", 1, 1000000,
     "most events in one history answer"},
    {"gateway", "history_bytes", CONFIG_SIZE, "4M", 64 * K, G,
     "most bytes of events in one history or search answer"},
    {"gateway", "dashboard_dir", CONFIG_STR, "", 0, 0, "directory of the dashboard files"},
    {"gateway", "origins", CONFIG_LIST, "", 0, 0, "allowed Origin values besides the own one"},
    {"gateway", "token_file", CONFIG_STR, "", 0, 0, "access token file"},
    {"gateway", "tls_cert", CONFIG_STR, "", 0, 0, "TLS certificate chain (PEM)"},
    {"gateway", "tls_key", CONFIG_STR, "", 0, 0, "TLS private key (PEM)"},
    {"gateway", "allow_remote", CONFIG_BOOL, "false", 0, 0, "allow a non-loopback listen address"},
    {"gateway", "recovery", CONFIG_BOOL, "true", 0, 0, "Socket.IO connection-state recovery"},
    {"gateway", "user", CONFIG_STR, "", 0, 0, "user to run as when started as root"},
    {"gateway", "source", CONFIG_STR, "", 0, 0,
     "read events from this Redis URL's stream instead of the ring"},
    {"gateway", "source_stream", CONFIG_STR, "hookwire:events", 0, 0,
     "the stream read with gateway.source"},
    {"gateway", "source_window", CONFIG_INT, "100000", 1, 100000000,
     "newest stream entries held in memory"},
    {"gateway", "source_window_bytes", CONFIG_SIZE, "64M", M, 16 * G,
     "event bytes held in memory at most"},
    {"gateway", "store", CONFIG_STR, "", 0, 0,
     "event store read for history beyond the ring: its path, empty for the default, off"},
    {"gateway", "header_timeout_ms", CONFIG_INT, "10000", 100, 600000,
     "time to send a whole HTTP request head"},

    /* relay (event-relay(8)) */
    {"relay", "redis", CONFIG_STR, "", 0, 0,
     "Redis URL redis://[user:pass@]host:port/db; event-relay runs only when set"},
    {"relay", "stream", CONFIG_STR, "hookwire:events", 0, 0, "Redis stream key"},
    {"relay", "maxlen", CONFIG_INT, "1000000", 0, 1000000000000LL,
     "trim the stream to about this many entries (0: never)"},
    {"relay", "minid_age", CONFIG_INT, "0", 0, 100000000,
     "trim entries older than this many seconds instead (0: off)"},
    {"relay", "host", CONFIG_STR, "", 0, 0, "origin name in each entry; empty: hostname/instance"},
    {"relay", "batch", CONFIG_INT, "256", 1, 1000, "events per Redis script call at most"},
    {"relay", "batch_bytes", CONFIG_SIZE, "4M", 64 * K, 256 * M,
     "event bytes per Redis script call at most"},
    {"relay", "timeout_ms", CONFIG_INT, "10000", 100, 600000,
     "a Redis reply later than this drops the connection"},
    {"relay", "reconnect_max_ms", CONFIG_INT, "5000", 100, 600000,
     "longest pause between reconnection attempts"},
    {"relay", "user", CONFIG_STR, "", 0, 0, "user to run as when started as root"},

    /* usage (event-usage(8)) */
    {"usage", "enabled", CONFIG_BOOL, "true", 0, 0,
     "run event-usage under the supervisor (hookwire start)"},
    {"usage", "prices_file", CONFIG_STR, "", 0, 0,
     "price table to use alone; empty: the user's, then the shipped one"},
    {"usage", "line_max", CONFIG_SIZE, "16M", 128 * K, G,
     "longest transcript line held whole; longer ones are read from their ends"},
    {"usage", "reread_ms", CONFIG_LIST, "250,1000,4000", 0, 0,
     "delays between the re-reads of a transcript after a hook"},
    {"usage", "keep_days", CONFIG_INT, "30", 0, 3650,
     "days the state of a quiet session is kept (0: always)"},
    {"usage", "ack_timeout_ms", CONFIG_INT, "2000", 10, 60000,
     "deadline for the router's reply to a usage event"},
    {"usage", "user", CONFIG_STR, "", 0, 0, "user to run as when started as root"},
    /* store (event-store(8)) */
    {"store", "enabled", CONFIG_BOOL, "true", 0, 0,
     "the supervisor runs event-store after the router"},
    {"store", "keep_days", CONFIG_INT, "30", 0, 3650, "days events are kept in the store"},
    {"store", "keep_bytes", CONFIG_SIZE, "2G", M, 16 * T, "store bytes in use kept at most"},
    {"store", "batch", CONFIG_INT, "4096", 1, 1000000, "events per store transaction at most"},
    {"store", "commit_ms", CONFIG_INT, "250", 1, 60000,
     "the longest an event waits for its store commit"},
    {"store", "text_max", CONFIG_SIZE, "4k", 0, M,
     "bytes of text per event in the full-text index"},
    {"store", "user", CONFIG_STR, "", 0, 0, "user to run as when started as root"},
    {"store", "nice", CONFIG_INT, "10", 0, 19,
     "scheduling priority below the other stages (nice value)"},
    {"store", "idle", CONFIG_BOOL, "false", 0, 0,
     "run only when the CPU is otherwise idle (SCHED_IDLE; nice applies when false)"},

    {NULL, NULL, CONFIG_STR, NULL, 0, 0, NULL},
};

/*
 * Keys renamed since layout version 1.  Version 2: every duration is in
 * milliseconds, so gateway.outbuf_soft_seconds became gateway.outbuf_soft_ms.
 */
const struct config_rename config_renames[] = {
    {2, "gateway", "outbuf_soft_seconds", "gateway", "outbuf_soft_ms", 1000},
    {0, NULL, NULL, NULL, NULL, 0},
};
