/*
 * gateway.h: ws-gateway's private structures and prototypes.
 *
 * Words, one thing each:
 *   conn          one TCP (or TLS) connection: HTTP requests, then perhaps a
 *                 WebSocket (struct conn, c_ members)
 *   eio_session   one Engine.IO session: lives across the HTTP requests of
 *                 long-polling, moves to a WebSocket on upgrade (struct
 *                 eio_session, es_ members); its id is es_id, which Engine.IO
 *                 calls "sid" on the wire only
 *   sid           the Socket.IO id of a client (sc_sid), in its CONNECT reply
 *   pid           connection-state recovery's private id of a client (ac_pid);
 *                 the sid is derived from it
 *   client        a Socket.IO client: the Socket.IO layer's part of a session
 *                 (struct sio_client, sc_) and, on "/", the API's part
 *                 (struct api_client, ac_)
 *   cc_session    a Claude Code session, by the session_id of its events: the
 *                 sessions table (struct cc_session, cs_)
 *   record        an event as read from the source (struct record, r_)
 *   bcast         a packet encoded once and shared by every client's output
 *
 * Files, and who owns what.  Each file owns its prefix, and calls go down
 * this list only: what a lower layer reports goes up through a hook table
 * installed at start-up (struct gw_hooks, struct eio_session_ops, struct
 * sio_handlers), never by calling a higher file.
 *   ws-gateway.c   main: usage, the flags, signals, start-up and shutdown
 *   settings.c     struct gw_cfg from the merged configuration
 *   conformance.c  --conformance: the echo servers of the protocol suites
 *   feed.c         follows the source, broadcasts each event (src, cur, rbuf)
 *   api.c          the hookwire API on "/": struct api_client, the api list,
 *                  parked subscriptions, the sessions and stats events
 *   sio_layer.c    the Socket.IO layer: struct sio_client, the handler table
 *   server.c       the HTTP request loop and routing (routes)
 *   history.c      history questions (struct history_query), /api/events
 *                  (the ring, and the store through store_worker.c)
 *   metrics.c      /metrics, /healthz
 *   static.c       the dashboard and the browser client
 *   cc_sessions.c  the sessions table (struct cc_session, cc_sessions)
 *   record.c       a record's fields, who may see it, its claude_event
 *   eio_session.c  Engine.IO sessions: struct eio_session, the tree, heartbeat
 *   polling.c      long-polling output: es_pollq, es_get, flushq
 *   websocket.c    the WebSocket handshake, frames in, frames out
 *   conn.c         struct conn: accept, deadlines, responses, close; the one
 *                  place refusals and disconnects are counted
 *   outq.c         struct bcast, struct outq (a conn's writev queue), the
 *                  output limits (oq_pending, soft)
 *   auth.c         the tokens (token, scoped) and the Origin check
 *   http.c, ws.c, eio.c, sio.c  codecs: no I/O, no libevent
 *   source.c, source_redis.c    the event source: the ring or a Redis stream
 *
 * Conns and sessions are freed from a deferred event after the callback
 * that closed them returns (never while a list of them is being walked).
 */
#ifndef HOOKWIRE_GATEWAY_H
#define HOOKWIRE_GATEWAY_H

#include <sys/queue.h>
#include <sys/tree.h>

#include <stddef.h>
#include <stdint.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <json-c/json.h>

#include "eio.h"
#include "http.h"
#include "paths.h"
#include "sio.h"
#include "source.h"
#include "ws.h"

#define GW_TOKEN_MAX  128  /* an access token, in bytes */
#define GW_HOST_MAX   256  /* gateway.listen's address */
#define GW_URL_MAX    1024 /* gateway.source */
#define GW_STREAM_MAX 256  /* gateway.source_stream */

/* Settings after config file, environment and flags were merged. */
struct gw_cfg {
	char listen_host[GW_HOST_MAX];
	int listen_port;
	int port_tries;
	int conformance;
	/* what --conformance changes besides timings (settings, not branches) */
	char cors_origin[8]; /* Access-Control-Allow-Origin of every response, or "" */
	int origin_check;    /* refuse foreign Origins (auth_origin) */
	int tokens;	     /* the access tokens are loaded and required */
	int recovery;
	int allow_remote;
	size_t header_max, body_max, max_payload;
	size_t outbuf_soft, outbuf_hard;
	long outbuf_soft_ms;
	long header_timeout; /* ms from the first byte of a request head to its end */
	long ping_interval, ping_timeout;
	long coalesce_ms; /* ms to gather ring events before sending them (0: at once) */
	long clients_max;
	long history_max;
	size_t history_bytes; /* and most bytes, one event at least (history.c) */
	char dashboard_dir[PATH_MAX];
	char client_js[PATH_MAX];
	char token_file[PATH_MAX];
	char tokens_file[PATH_MAX];
	char **origins;
	size_t norigins;
	char tls_cert[PATH_MAX], tls_key[PATH_MAX];
	char source[GW_URL_MAX];	   /* Redis URL, or empty for the ring */
	char source_stream[GW_STREAM_MAX]; /* the stream read from source */
	size_t source_window, source_window_bytes;
	char store[PATH_MAX]; /* gateway.store resolved: the store's path, "" when off */
};

/* A token that may only see some sessions ($STATEDIR/tokens). */
struct gw_scoped {
	char token[GW_TOKEN_MAX];
	char **sessions;
	size_t nsessions;
};

/* Why a session ended: hookwire_gateway_disconnects_total{reason="<name>"}. */
enum gw_disc {
	GW_DISC_NONE = -1, /* not counted (the server's own doing) */
	GW_DISC_PING_TIMEOUT,
	GW_DISC_TRANSPORT, /* its long-poll or its WebSocket went away */
	GW_DISC_CLIENT,	   /* it sent an Engine.IO close */
	GW_DISC_SLOW,	   /* its output over a limit */
	GW_DISC_PARSE,	   /* it sent what may not be sent */
	GW_DISC_SHUTDOWN,
	GW_DISC_N
};
/* clang-format off */
#define GW_DISC_NAMES                                                                              \
	{ "ping_timeout", "transport_close", "client_close", "slow_client", "parse_error",          \
	  "shutdown" }
/* clang-format on */

/* Why a request or a client was refused: hookwire_gateway_refused_total{reason="<name>"}. */
enum gw_refusal {
	GW_REFUSED_ORIGIN,
	GW_REFUSED_TOKEN,
	GW_REFUSED_PATH,
	GW_REFUSED_CLIENTS,	   /* over clients_max */
	GW_REFUSED_FDS,		   /* accept(2) out of descriptors */
	GW_REFUSED_HEADER_TIMEOUT, /* request head not complete in time */
	GW_REFUSED_N
};
/* clang-format off */
#define GW_REFUSED_NAMES                                                                           \
	{ "origin", "token", "path", "clients_max", "descriptors", "header_timeout" }
/* clang-format on */

/* Counters for /metrics. */
/* Upper bounds (seconds) of the capture-to-send latency histogram; one more
 * bucket counts what is above the last (+Inf). */
#define GW_LATENCY_BOUNDS                                                                          \
	{                                                                                          \
		0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10             \
	}
#define GW_LATENCY_N 13

struct gw_metrics {
	uint64_t accepted; /* TCP connections */
	uint64_t http_requests;
	uint64_t msgs_sent;		/* Engine.IO message packets sent */
	uint64_t bytes_sent;		/* bytes written to sockets */
	uint64_t events_broadcast;	/* ring events delivered to at least the fan-out loop */
	uint64_t deliveries;		/* claude_event packets queued to clients */
	uint64_t refused[GW_REFUSED_N]; /* conn_count_refusal() */
	uint64_t disc[GW_DISC_N];	/* conn_count_disconnect() */
	uint64_t bad_http, bad_ws, bad_eio, bad_sio;
	uint64_t recovered, gaps, history_requests;
	uint64_t ring_lapped;
	uint64_t store_queries[3];	    /* by enum store_result */
	uint64_t latency[GW_LATENCY_N + 1]; /* events broadcast, by bucket (not cumulative) */
	int64_t latency_sum_us;
};

struct eio_session;
struct conn;

/* A client's subscriptions kept after its transport went away, for the
 * connection-state recovery of its pid (the reference server keeps rooms
 * for maxDisconnectionDuration the same way). */
struct api_parked {
	TAILQ_ENTRY(api_parked) p_entry;
	char p_pid[EIO_SID_LEN + 1];
	char **p_subs;
	size_t p_nsubs;
	int64_t p_until; /* monotonic us */
};
TAILQ_HEAD(gw_parkedlist, api_parked);

struct api_client;
struct eio_session;
RB_HEAD(eio_session_tree, eio_session);
TAILQ_HEAD(eio_session_list, eio_session);
TAILQ_HEAD(gw_connlist, conn);
TAILQ_HEAD(api_clientlist, api_client);

/* A canonical event's fields the gateway reads (record.c); the strings belong to r_obj. */
struct record {
	json_object *r_obj;
	const char *r_session_id, *r_event, *r_project, *r_tool, *r_ts;
};

/* A history question (history.c). */
struct history_query {
	int have_since;
	unsigned long long since; /* events with seq > since; else the last limit */
	uint64_t before;	  /* and seq < before (0: no bound) */
	const char *session;	  /* of this Claude Code session only, or NULL */
	const char *event;	  /* of this event name only, or NULL */
	long limit;
	size_t bytes_max; /* and at most this many bytes of events, one at least (0: no bound) */
	const struct gw_scoped *scoped;	 /* asked with a scoped token: its sessions only */
	const struct api_client *client; /* asked by a client: what it may see only */
};

/* An answer's bytes of events so far (history_collect() adds its own), and
 * whether bytes_max left some out. */
struct history_tally {
	size_t bytes;
	int full;
};

/* 1 when an answer that holds bytes of events (bound max, 0: none) has no
 * room for len more; it always has room for its first event. */
int history_no_room(size_t max, size_t bytes, size_t len);

/* Tokens and cost of a set of assistant messages (spend.c). */
struct spend {
	uint64_t sp_messages;
	uint64_t sp_in, sp_out, sp_cw, sp_cr; /* input, output, cache write, cache read tokens */
	int64_t sp_cost_nusd;		      /* of the priced messages, nano-dollars */
	uint64_t sp_unpriced;		      /* messages of a model with no price */
};

/* The spend of one agent ("" for the main thread) or one model. */
struct spend_part {
	char *spp_name;
	char *spp_type; /* an agent's agent_type, or NULL */
	struct spend spp_spend;
};

/* What a Claude Code session spent (spend.c). */
struct cc_spend {
	struct spend csp_total;
	struct spend_part *csp_agents, *csp_models;
	size_t csp_nagents, csp_nmodels;
	int64_t csp_claude_cost_nusd; /* StatusLine's cost.total_cost_usd, the latest */
	int csp_have_claude_cost;
	int64_t csp_ctx_used;		   /* tokens the last message was given */
	int64_t csp_ctx_size, csp_ctx_pct; /* StatusLine's context window, the latest */
};

/* One known Claude Code session (the sessions table). */
struct cc_session {
	char *cs_id; /* its session_id */
	char *cs_project;
	char *cs_tool;
	char cs_started[40], cs_last[40];
	int64_t cs_last_us; /* wall clock of the last event (from its ts), for active/idle */
	uint64_t cs_events;
	int cs_ended;
	struct cc_spend cs_spend;
};

/* What the layers below tell the layers above, installed once at start-up,
 * so that no call goes from a lower file back up to a higher one. */
struct gw_hooks {
	/* bytes arrived on c, which is not closing (conn.c) */
	void (*conn_input)(struct conn *c);
	/* c is closing: whatever holds it lets go (conn.c) */
	void (*conn_gone)(struct conn *c);
	/* c's output has been over the soft limit for outbuf_soft_ms (outq.c) */
	void (*conn_slow)(struct conn *c);
	/* a whole WebSocket message arrived on c, NUL-terminated (websocket.c) */
	void (*ws_message)(struct conn *c, int opcode, char *data, size_t len);
};

/* What the Socket.IO layer asks of the application on top of it (api.c, or
 * conformance.c's echo), installed at start-up. */
struct sio_handlers {
	const char *const *sh_nsps; /* namespaces served, NULL-terminated */
	/* CONNECT to one of them: replies (CONNECT or CONNECT_ERROR); returns
	 * 0 when the client joined, -1 when it was refused */
	int (*sh_connect)(struct eio_session *s, struct sio_packet *p);
	/* EVENT or BINARY_EVENT (att: the attachments); returns 0, or -1 to
	 * close the client */
	int (*sh_event)(struct eio_session *s, struct sio_packet *p, char **att, size_t *attlen);
	/* the client left (park 0: DISCONNECT) or its session closed (park 1);
	 * NULL: nothing to do */
	void (*sh_leave)(struct eio_session *s, int park);
	/* its session is freed (NULL: nothing to do) */
	void (*sh_free)(struct eio_session *s);
};

/* An Engine.IO path and the protocol on top of its sessions (server.c). */
struct server_route {
	const char *rt_path;
	const struct eio_session_ops *rt_ops;
};
#define SERVER_ROUTES_MAX 2 /* /socket.io and, with --conformance, /engine.io */

struct gw {
	/* ws-gateway.c, settings.c */
	struct event_base *base;
	struct gw_cfg cfg;
	struct paths paths;
	struct gw_hooks hooks;
	struct gw_metrics m;
	int64_t start_us;
	int shutting_down;

	/* conn.c */
	struct evconnlistener *lst;
	void *ssl_ctx; /* SSL_CTX, or NULL */
	int port;
	int reserve_fd; /* closed to accept and close one conn when out of descriptors */
	struct event *accept_retry;
	struct event *conn_reaper; /* frees closed conns */
	struct event *oq_ev;	   /* writes the pending queues once per loop pass */
	struct timeval hdr_tv;	   /* common timeout: gateway.header_timeout_ms */
	struct gw_connlist conns, dead_conns;
	long nconns;
	long nws; /* conns that are WebSockets */

	/* outq.c */
	struct gw_connlist oq_pending; /* conns with output queued since the last pass */
	struct gw_connlist soft;       /* conns over the soft output limit, oldest first */
	struct event *soft_ev;	       /* cuts the head of soft when its time is up */

	/* eio_session.c, polling.c */
	struct eio_session_tree eio_sessions;
	struct eio_session_list eio_dead;
	struct event *eio_reaper;	       /* frees closed sessions */
	struct timeval hb_ping_tv, hb_pong_tv; /* libevent common timeouts for heartbeats */
	long npolling;			       /* sessions on long-polling */
	struct eio_session_list flushq;	       /* sessions whose parked GET gets packets */
	struct event *flush_ev;		       /* answers them once per loop pass */

	/* server.c, sio_layer.c */
	struct server_route routes[SERVER_ROUTES_MAX];
	size_t nroutes;
	const struct sio_handlers *sio; /* the application on the Socket.IO layer */

	/* auth.c */
	char token[GW_TOKEN_MAX];
	struct gw_scoped *scoped;
	size_t nscoped;

	/* api.c */
	struct api_clientlist api;   /* Socket.IO clients on "/" */
	long napi;		     /* clients on the api list */
	struct event *sessions_ev;   /* throttled "sessions" emit */
	struct event *stats_ev;	     /* "stats" every few seconds while clients are connected */
	struct gw_parkedlist parked; /* oldest first */
	size_t nparked;

	/* feed.c; history.c and api.c's replay read the source through rbuf too */
	struct source *src;
	struct event *src_ev, *src_retry;
	struct event *drain_ev;	  /* a deferred read of the source: coalesce_ms, a burst's rest */
	struct source_cursor cur; /* next event to broadcast */
	char *rbuf;
	size_t rbufcap;

	/* store_worker.c */
	struct store_worker *store; /* NULL: no store (off, or the Redis source) */
	uint64_t store_gen;	    /* the last ac_gen given */

	/* cc_sessions.c */
	struct cc_session *cc_sessions;
	size_t ncc_sessions, cc_sessions_cap;
	int cc_sessions_dirty; /* changed since api.c last sent it */

	/* spend.c: usage events broadcast since the start, by model, for /metrics */
	struct spend_part *spend_models;
	size_t nspend_models;
};

/* A broadcast packet, encoded once and shared by the output of every WebSocket client. */
struct bcast {
	int refs;
	size_t len;	  /* Engine.IO text packet length ("4" + Socket.IO packet) */
	size_t frame_off; /* where the WebSocket frame starts in buf */
	char buf[];	  /* [headroom][ws header][4...packet] */
};

#define BCAST_HEADROOM WS_SERVER_HEADER_MAX

/* A conn's output queue and its place in the output limits (outq.c). */
struct outq {
	int oq_on;	     /* queue mode: a WebSocket over plain TCP */
	struct bcast **oq_q; /* circular: oq_n frames from oq_head */
	size_t oq_head, oq_n, oq_cap;
	size_t oq_off;	      /* bytes of the head frame already written */
	size_t oq_bytes;      /* bytes queued, not yet written */
	struct event *oq_wev; /* added only while the socket is full */
	int oq_armed;	      /* oq_wev is added */
	int oq_pending;	      /* on gw->oq_pending */
	TAILQ_ENTRY(conn) oq_entry;
	int64_t oq_soft_since;		 /* output over the soft limit since (monotonic us), or 0 */
	TAILQ_ENTRY(conn) oq_soft_entry; /* on gw->soft while oq_soft_since != 0 */
};

enum conn_state { CONN_HTTP = 0, CONN_WS };

struct conn {
	/* conn.c */
	TAILQ_ENTRY(conn) c_entry;
	struct gw *c_gw;
	struct bufferevent *c_bev;
	enum conn_state c_state;
	int c_closing; /* no more input is processed */
	int c_dead;    /* on the dead list */
	int c_tls;
	int c_keepalive;
	int c_head; /* the current request is HEAD: no body in the response */
	char c_peer[64];
	struct event *c_hdr_ev; /* deadline of the request head being read */
	int c_hdr_armed;	/* c_hdr_ev is added */
	struct event *c_linger; /* closing: bounds the drain (60 s), then the wait for EOF */
	/* a request answered later (a store question, store_worker.c): its
	 * pointer to this conn, set to NULL when c closes; no further request
	 * is read meanwhile */
	struct conn **c_await;

	/* eio_session.c, polling.c: the session that holds this conn */
	struct eio_session *c_poll; /* session whose long-poll GET this conn holds */
	struct eio_session *c_sess; /* WebSocket: its session */

	/* websocket.c */
	struct ws_reader c_wsr;
	struct evbuffer *c_msg; /* fragments of a message so far */

	/* outq.c */
	struct outq c_oq;
};

enum eio_session_transport { ES_POLLING = 0, ES_WEBSOCKET };

/* Binary packet waiting for its attachments. */
struct sio_pending {
	struct sio_packet pkt;
	int have;
	char *att[SIO_ATTACH_MAX];
	size_t attlen[SIO_ATTACH_MAX];
};

/* A Socket.IO client's state on its Engine.IO session (the Socket.IO layer's). */
struct sio_client {
	unsigned sc_nsp;	      /* joined namespaces: bit i for gw->sio->sh_nsps[i] */
	char sc_sid[EIO_SID_LEN + 1]; /* its Socket.IO id */
	struct sio_pending *sc_bin;   /* binary packet waiting for its attachments */
};

/* The hookwire API's state of a client on "/" (api.c's). */
struct api_client {
	TAILQ_ENTRY(api_client) ac_entry; /* on gw->api while ac_listed */
	struct eio_session *ac_session;	  /* the session this is part of */
	int ac_listed;
	char ac_pid[EIO_SID_LEN + 1]; /* connection-state recovery's private id, or "" */
	char **ac_scope;	      /* sessions this client may see (copies); NULL: all */
	size_t ac_nscope;
	char **ac_subs; /* subscriptions; none: everything in scope */
	size_t ac_nsubs;
	int ac_catchup;		  /* recovering from the store: live events held (replayed after) */
	uint64_t ac_catchup_from; /* the offset it recovers from */
	struct event *ac_catchup_ev; /* bounds the wait for the store (API_CATCHUP_MS) */
	int ac_replaying;	     /* a recovery paused on its output: live events held */
	uint64_t ac_replay_from;     /* where it goes on (the last seq it sent) */
	long ac_stored;		     /* events this recovery has had from the store */
	struct event *ac_replay_ev;  /* looks at its output every API_REPLAY_POLL_MS */
	uint64_t ac_gen; /* connect counter: a store answer for an older connect is dropped */
};

/* What an Engine.IO session tells the protocol on top of it: the Socket.IO
 * layer, or conformance's echo on /engine.io/. */
struct eio_session_ops {
	/* a message packet arrived */
	void (*eo_message)(struct eio_session *s, const char *data, size_t len, int binary);
	/* s is closing (NULL: nothing to do) */
	void (*eo_closed)(struct eio_session *s);
	/* s is being freed: what the protocol kept on it goes (NULL: nothing) */
	void (*eo_free)(struct eio_session *s);
};

struct eio_session {
	/* eio_session.c */
	RB_ENTRY(eio_session) es_node;
	TAILQ_ENTRY(eio_session) es_dead_entry;
	struct gw *es_gw;
	char es_id[EIO_SID_LEN + 1]; /* Engine.IO's session id ("sid" on the wire) */
	enum eio_session_transport es_transport;
	const struct eio_session_ops *es_ops; /* the protocol on top */
	int es_closed, es_in_tree;
	int es_upgrading;
	int es_post_active;
	struct conn *es_ws;  /* WebSocket conn (active or being probed) */
	struct event *es_hb; /* heartbeat: next ping, or the pong deadline */
	int es_await_pong;

	/* polling.c */
	struct conn *es_get;	   /* pending long-poll GET */
	struct evbuffer *es_pollq; /* records [u32 len][u8 binary][bytes] */
	size_t es_pollq_n;
	TAILQ_ENTRY(eio_session) es_flush_entry;
	int es_in_flush; /* on gw->flushq */

	struct sio_client es_sio; /* sio_layer.c */
	struct api_client es_api; /* api.c */
};

int eio_session_cmp(struct eio_session *a, struct eio_session *b);
RB_PROTOTYPE(eio_session_tree, eio_session, es_node, eio_session_cmp)

/* Prototypes, in the order of the file list above. */

/* settings.c */
struct config;
/* Fills gw->cfg from the merged configuration (gw->paths set, the flags
 * --conformance and --client-js in gw->cfg); exits 100 on a bad value. */
void settings_load(struct gw *gw, struct config *cfg);
void settings_free(struct gw *gw);

/* conformance.c */
/* Installs the echo servers of --conformance (/socket.io/ and /engine.io/). */
void conformance_init(struct gw *gw);

/* feed.c */
/* Opens the event source (or keeps looking for it) and follows it. */
int feed_init(struct gw *gw);
void feed_free(struct gw *gw);

/* api.c */
/* Installs the hookwire API on the Socket.IO layer. */
int api_init(struct gw *gw);
void api_free(struct gw *gw);
/* Tells client s that events lf..lt are lost: a gap event {from, to}. */
void api_emit_gap(struct eio_session *s, uint64_t lf, uint64_t lt);
/* The sessions table changed: the clients get it within API_SESSIONS_THROTTLE_MS. */
void api_sessions_changed(struct gw *gw);

/* sio_layer.c */
/* Installs the application on the Socket.IO layer, on /socket.io/. */
void sio_layer_init(struct gw *gw, const struct sio_handlers *h);
/* Sends one Socket.IO packet (text) as an Engine.IO message. */
void sio_layer_send(struct eio_session *s, int type, const char *nsp, long long id,
		    const char *json, size_t jsonlen);
/* Emits the event ["<event>",<json>] on namespace nsp. */
void sio_layer_emit(struct eio_session *s, const char *nsp, const char *event, const char *json,
		    size_t jl);
/* CONNECT_ERROR {"message": message} on namespace nsp. */
void sio_layer_connect_error(struct eio_session *s, const char *nsp, const char *message);

/* server.c */
/* Sets up the layers below and listens. */
int server_listen(struct gw *gw, char *err, size_t errlen);
/* Closes every session and conn; frees what server_listen() set up. */
void server_shutdown(struct gw *gw);
/* Registers an Engine.IO path (at start-up): requests to it, or under it,
 * open or find sessions whose protocol on top is ops. */
void server_route(struct gw *gw, const char *path, const struct eio_session_ops *ops);

/* history.c */
/* A decimal sequence number (digits only, at most INT64_MAX); 0 or -1. */
int history_parse_seq(const char *s, unsigned long long *out);
/* 1 when the event json[0..len) answers q. */
int history_match(const struct history_query *q, const char *json, size_t len);
/* Appends the events that answer q to out: NDJSON, or the comma-separated
 * elements of a JSON array.  Returns their count; adds their bytes to t
 * (NULL: none before them), within q->bytes_max with those before. */
long history_collect(struct gw *gw, const struct history_query *q, int ndjson, struct evbuffer *out,
		     struct history_tally *t);
/* GET /api/events. */
void history_http(struct conn *c, const struct http_request *req, const char *query, size_t qlen);

/* store_worker.c */
/* hookwire_gateway_store_queries_total{result="<name>"} */
enum store_result { STORE_RESULT_OK, STORE_RESULT_BUSY, STORE_RESULT_ERROR };
#define STORE_RESULT_NAMES                                                                         \
	{                                                                                          \
		"ok", "busy", "error"                                                              \
	}
struct store_req;
#define STORE_REQ_ERR_MAX 256 /* the reason a bad question gets */
#define STORE_REQ_HDR_MAX 96  /* an /api/events answer's extra header lines (67 bytes at most) */
#define STORE_RETRY_AFTER "1" /* seconds an HTTP asker told "busy" waits (Retry-After) */
/* Called on the loop when the worker is done with r (r is freed after). */
typedef void (*store_done_fn)(struct gw *gw, struct store_req *r);
/* A history question for the store: events since < seq < before (0: open),
 * the first limit after since when have_since, else the last limit. */
struct store_req {
	TAILQ_ENTRY(store_req) r_entry;
	char es_id[EIO_SID_LEN + 1]; /* the asking client's Engine.IO session */
	uint64_t gen;		     /* and its ac_gen */
	long long ack_id;
	uint64_t since, before;
	int have_since, gaps;
	long limit;
	int search;   /* a search (q, project): out is the whole ack object */
	int sessions; /* history_sessions (project, from_us..to_us, before_us) */
	int ndjson;   /* out as lines, not comma-separated (recovery) */
	int64_t from_us, to_us, before_us;
	char *q, *project;     /* copies, or NULL */
	char *session, *event; /* copies, or NULL */
	char **scope, **subs;  /* the client's, copied (scope NULL: all) */
	size_t nscope, nsubs;
	struct evbuffer *out;  /* the worker's answer: comma-separated events */
	long count;	       /* events in out */
	int gzip;	       /* HTTP: answer compressed (/api/events?compress=gzip) */
	int pack;	       /* no query: out gzip-compressed on the worker */
	size_t bytes_max;      /* the answer's bound (gateway.history_bytes; 0: none) */
	size_t bytes;	       /* its bytes of events so far, the ring's part included */
	int full;	       /* bytes_max left events out */
	struct evbuffer *ring; /* what the ring answered, to go after out (or NULL) */
	long ring_count;
	enum store_result result;
	char err[STORE_REQ_ERR_MAX]; /* a bad question: the store's reason */
	char hdr[STORE_REQ_HDR_MAX]; /* HTTP, pack: the answer's extra header lines */
	struct conn *conn;	     /* HTTP: the conn to answer; NULL once it closed */
	uint64_t http_before;	     /* HTTP: the asker's before bound (0: none) */
	store_done_fn done;
};
/* Starts the worker when gateway.store is set; 0, or -1. */
int store_worker_init(struct gw *gw);
void store_worker_free(struct gw *gw);
/* Queues r (the worker owns it from now on); -1 when there is no store or
 * the queue is full (r stays the caller's). */
int store_worker_submit(struct gw *gw, struct store_req *r);
/* Queues r for the HTTP request on c: c reads no further request until
 * r's done has run (r->conn: c, or NULL when c closed meanwhile).  0 when
 * queued; -1 when there is no store or the queue is full, answered here with
 * 503 and Retry-After when it is full (r stays the caller's). */
int store_worker_submit_http(struct gw *gw, struct store_req *r, struct conn *c);
/* The same, but answers nothing when the queue is full (-1: r stays the
 * caller's, and c may be answered otherwise). */
int store_worker_try_http(struct gw *gw, struct store_req *r, struct conn *c);
/* The session r was asked for, or NULL when it has gone or reconnected. */
struct eio_session *store_req_session(struct gw *gw, const struct store_req *r);
void store_req_free(struct store_req *r);
/* A copy of the n strings of v (a scope, subscriptions) for a request; NULL
 * stays NULL, an empty list is a list of none; NULL when out of memory. */
char **store_strv_dup(char *const *v, size_t n);

/* metrics.c */
/* Counts one event broadcast latency_us after its capture. */
void metrics_latency(struct gw *gw, int64_t latency_us);
/* GET /metrics. */
void metrics_serve(struct conn *c);
/* GET /healthz. */
void metrics_healthz(struct conn *c);

/* static.c */
void static_serve(struct conn *c, const struct http_request *req, const char *path);
void static_client_js(struct conn *c, const struct http_request *req);

/* cc_sessions.c */
/* The sessions table learns the event r (captured at ts_us); sets cc_sessions_dirty.
 * live: r is being broadcast (not read at start-up), for the /metrics counters. */
void cc_sessions_update(struct gw *gw, const struct record *r, int64_t ts_us, int live);
/* The table as a JSON array, the sessions in scope only (NULL: all), in the
 * order they were first seen; with limit (0: none), only the limit most
 * recently active of them.  A new string the caller frees; NULL when out of
 * memory. */
char *cc_sessions_json(struct gw *gw, char *const *scope, size_t nscope, size_t limit, size_t *len);
/* GET /api/sessions: the table, as the token may see it. */
void cc_sessions_http(struct conn *c, const struct http_request *req, const char *query,
		      size_t qlen);
void cc_sessions_free(struct gw *gw);

/* spend.c */
/* A usage or StatusLine event r of a session adds to cs (and, live, to the
 * per-model counters of /metrics); any other event does nothing. */
void spend_record(struct gw *gw, struct cc_spend *cs, const struct record *r, int live);
/* cs as the "usage" member of a sessions entry (a new object), or NULL: nothing spent. */
json_object *spend_json(const struct cc_spend *cs);
/* The hookwire_tokens_total, hookwire_cost_usd_total and unpriced counters. */
void spend_metrics(struct gw *gw, struct evbuffer *b);
void spend_free(struct cc_spend *cs);
void spend_models_free(struct gw *gw);

/* record.c */
/* Parses the canonical event json[0..len) into r (its fields point into
 * r->r_obj, freed by record_clear()).  0, or -1 when it is not a JSON object. */
int record_parse(const char *json, size_t len, struct record *r);
void record_clear(struct record *r);
/* 1 when the Claude Code session id is among list[0..n). */
int record_in(char **list, size_t n, const char *session_id);
/* 1 when client a may see events of session_id (NULL: an event without
 * one): its token's scope, then its subscriptions if it has any. */
int record_visible(const struct api_client *a, const char *session_id);
/* The claude_event broadcast of the event json[0..len) with offset seq, one reference. */
struct bcast *record_bcast(const char *json, size_t len, uint64_t seq);

/* eio_session.c */
int eio_session_init(struct gw *gw);
/* Closes every session (clients are told the server is going away). */
void eio_session_shutdown(struct gw *gw);
/* Frees the closed sessions and what eio_session_init() set up. */
void eio_session_free_all(struct gw *gw);
/* An Engine.IO request (polling or WebSocket handshake) for the protocol ops. */
void eio_session_http(struct conn *c, const struct http_request *req,
		      const struct eio_session_ops *ops, const char *query, size_t qlen,
		      const char *body);
/* The one teardown of a session, counted as why (GW_DISC_NONE: not counted);
 * answer: the packet type a parked GET gets. */
void eio_session_close(struct eio_session *s, enum gw_disc why, const char *reason, int answer);
/* Sends an Engine.IO message. */
void eio_session_send(struct eio_session *s, const char *data, size_t len, int binary);
/* Sends the shared broadcast b (a reference on a WebSocket, a copy for polling). */
void eio_session_send_bcast(struct eio_session *s, struct bcast *b);
/* Applies the output limits after queuing to s; returns -1 when s was closed. */
/* Bytes queued for s, not yet written (its WebSocket, or its polls). */
size_t eio_session_outlen(struct eio_session *s);
int eio_session_check_output(struct eio_session *s);

/* polling.c */
int polling_init(struct gw *gw);
void polling_shutdown(struct gw *gw);
/* Queues a packet for s's next long-poll response and wakes a parked GET. */
void polling_queue(struct eio_session *s, int type, const char *data, size_t len, int binary);
/* Parks the GET on c until a packet is queued (or answers it: upgrading). */
void polling_park(struct eio_session *s, struct conn *c);
/* Answers a parked GET (if any) with one packet of type (noop or close). */
void polling_answer(struct eio_session *s, int type);
/* Bytes queued for polling. */
size_t polling_len(const struct eio_session *s);
/* Upgrade: what is queued goes out on the WebSocket ws, in order; the queue goes. */
void polling_to_websocket(struct eio_session *s, struct conn *ws);
/* s is closing: no flush is pending for it. */
void polling_stop(struct eio_session *s);
/* Frees s's queue. */
void polling_free(struct eio_session *s);

/* websocket.c */
/* Checks a WebSocket handshake request; writes Sec-WebSocket-Accept.  0 or -1. */
int websocket_check(const struct http_request *req, char accept[WS_ACCEPT_LEN + 1]);
/* Answers the handshake with 101: c is a WebSocket from now on. */
void websocket_accept(struct conn *c, const char *accept);
/* Reads c's frames; each whole message goes to gw->hooks.ws_message. */
void websocket_input(struct conn *c);
/* Sends the Engine.IO packet "<type><data>" as one text frame. */
void websocket_packet(struct conn *c, int type, const char *data, size_t len);
/* Sends a close frame with code, then closes c. */
void websocket_close(struct conn *c, int code, const char *reason);

/* conn.c */
/* Listens on gateway.listen (TLS when configured); sets gw->port. */
int conn_listen(struct gw *gw, char *err, size_t errlen);
/* Closes every conn and frees what conn_listen() set up. */
void conn_shutdown(struct gw *gw);
/* The one teardown of a conn: lets its output go out, then frees it. */
void conn_close(struct conn *c, const char *reason);
/* The one place refusals are counted, answered over HTTP (conn_refuse) or not. */
void conn_count_refusal(struct gw *gw, enum gw_refusal why);
/* The one place disconnects are counted (eio_session_close). */
void conn_count_disconnect(struct gw *gw, enum gw_disc why);
/* Refuses c's request: counts why, answers status with the C string body. */
void conn_refuse(struct conn *c, enum gw_refusal why, int status, const char *ctype,
		 const char *extra, const char *body);
/* A request head is due (its first bytes are in): starts its deadline. */
void conn_hdr_arm(struct conn *c);
/* The request head is complete. */
void conn_hdr_disarm(struct conn *c);
/* c speaks WebSocket from now on (its 101 response is written): no HTTP idle
 * timeout, counted as a WebSocket, output through its queue over plain TCP. */
void conn_websocket(struct conn *c);
void conn_respond(struct conn *c, int status, const char *ctype, const char *extra,
		  const void *body, size_t len);
/* A text/plain response whose body is printf-formatted (at most CONN_FMT_MAX bytes). */
void conn_respond_fmt(struct conn *c, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* conn_respond() with a C string for the body. */
void conn_respond_str(struct conn *c, int status, const char *ctype, const char *extra,
		      const char *body);
void conn_respond_buf(struct conn *c, int status, const char *ctype, const char *extra,
		      struct evbuffer *body);

/* outq.c */
/* A new broadcast of the Engine.IO message "4" + pkt[0..len), one reference. */
struct bcast *bcast_new(const char *pkt, size_t len);
/* A frame with a header for opcode, an optional type digit (prefix, 0 for none) and data;
 * opcode -1: raw bytes, no header.  One reference. */
struct bcast *bcast_new_frame(int opcode, char prefix, const void *data, size_t len);
/* The bytes to write for b. */
const char *bcast_bytes(const struct bcast *b, size_t *n);
void bcast_unref(struct bcast *b);
int outq_init(struct gw *gw);
void outq_shutdown(struct gw *gw);
/* Switches a plain-TCP WebSocket conn to queue mode (writable: its write
 * event's callback); what its bufferevent still holds goes first.  0 or -1. */
int outq_start(struct conn *c, event_callback_fn writable);
enum { OUTQ_ERROR = -1, OUTQ_EMPTY, OUTQ_FULL };
/* Writes c's queue until it is empty (OUTQ_EMPTY) or the socket is full
 * (OUTQ_FULL: the write event is added); OUTQ_ERROR: the socket failed and
 * the queue is off, the caller closes c. */
int outq_flush(struct conn *c);
/* Writes every queue on gw->oq_pending; done(c, r) is called for a conn whose
 * write failed (OUTQ_ERROR) or that is closing and whose queue is out. */
void outq_flush_pending(struct gw *gw, void (*done)(struct conn *c, int r));
/* 1 while c's queue holds frames not yet written. */
int outq_busy(const struct conn *c);
/* Bytes queued to c, not yet written (queue and bufferevent). */
size_t outq_len(const struct conn *c);
/* c is being closed: off the pending and soft lists, write event deleted. */
void outq_stop(struct conn *c);
/* Frees c's queue (from the reaper). */
void outq_free(struct conn *c);
/* Sends a WebSocket frame built from data, with an optional Engine.IO type digit. */
void outq_frame(struct conn *c, int opcode, char prefix, const void *data, size_t len);
/* Sends the shared frame b on c (a reference, not a copy).  0 or -1. */
int outq_bcast(struct conn *c, struct bcast *b);
/* c's output drained: its soft clock stops. */
void outq_soft_clear(struct conn *c);
/* n bytes are queued for a client (c: its WebSocket, or NULL): starts or stops
 * c's soft clock; returns -1 when n is over the hard limit (the caller closes it). */
int outq_check(struct gw *gw, struct conn *c, size_t n);

/* auth.c */
int auth_load(struct gw *gw, char *err, size_t errlen);
/* Re-reads the token files (SIGHUP); on an error the old tokens stay. */
int auth_reload(struct gw *gw, char *err, size_t errlen);
void auth_free(struct gw *gw);
/* Checks token: returns 1 (full access), 2 (scoped: *scoped set), 0 (refused). */
int auth_token(struct gw *gw, const char *token, const struct gw_scoped **scoped);
/* 1 when the request's Origin header is absent or allowed. */
int auth_origin(struct gw *gw, const struct http_request *req);
/* 1 when a request carries the token (Authorization: Bearer or ?token=). */
int auth_http(struct gw *gw, const struct http_request *req, const char *query, size_t qlen,
	      const struct gw_scoped **scoped);

#endif
