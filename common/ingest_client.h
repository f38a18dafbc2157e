/*
 * ingest_client.h: a producer's side of the router's ingest socket,
 * $RUNDIR/ingest.sock (DESIGN.md interface 2, hookwire-event(5)).
 *
 * One connection carries any number of requests: a line out, one reply
 * line in, under a deadline each.  hook-capture connects when it starts,
 * without waiting, and makes one request per run on that connection
 * (ingest_client_deliver()); event-usage keeps its connection open and
 * makes one request per usage event.  Both check before a request that
 * the router has not closed the connection meanwhile
 * (ingest_client_ready()).  Blocking calls with poll() deadlines, no
 * libevent, no logging, no exits: the caller reports what it gets back.
 */
#ifndef HOOKWIRE_INGEST_CLIENT_H
#define HOOKWIRE_INGEST_CLIENT_H

#include <stddef.h>

/* Longest reply line read; replies are short objects. */
#define INGEST_REPLY_MAX 1024

enum ingest_status {
	INGEST_ACCEPTED = 0,
	INGEST_DUPLICATE,
	INGEST_REJECTED,    /* the router refused it: sending it again will not help */
	INGEST_UNREACHABLE, /* no socket, nobody listening, connect failed */
	INGEST_TIMEOUT,	    /* no complete reply line within the deadline */
	INGEST_BAD_REPLY,   /* a reply that is not one of the three */
	INGEST_IO_ERROR	    /* write or read failed, or the router closed the connection */
};

/* A connection.  ic_fd is -1 when closed. */
struct ingest_client {
	int ic_fd;
};

/* Short name of a status, for logs ("accepted", "unreachable", ...). */
const char *ingest_client_status_name(enum ingest_status st);

/* Sets c closed (ic_fd -1); call once before the first connect. */
void ingest_client_init(struct ingest_client *c);

/*
 * Connects c (non-blocking AF_UNIX) to the socket at path within
 * timeout_ms; with 0, only when the router's backlog takes it at once (an
 * early connection, made before the line is ready).  Returns
 * INGEST_ACCEPTED on success, else INGEST_UNREACHABLE or INGEST_TIMEOUT
 * (c stays closed).
 */
enum ingest_status ingest_client_connect(struct ingest_client *c, const char *path, int timeout_ms);

/* Returns 1 when c is open and the router has not closed it (nothing is
 * waiting to be read, as between requests nothing is due), else 0. */
int ingest_client_alive(const struct ingest_client *c);

/*
 * Makes c ready for a request: an open connection that is no longer
 * alive (the router closed it: a restart) is closed, and a closed c
 * connects within timeout_ms.  Returns INGEST_ACCEPTED, else
 * INGEST_UNREACHABLE or INGEST_TIMEOUT (c stays closed).
 */
enum ingest_status ingest_client_ready(struct ingest_client *c, const char *path, int timeout_ms);

/*
 * Writes line (len bytes, ending in a newline) on the open connection and
 * waits for its reply line, all within timeout_ms.  For INGEST_REJECTED
 * the reason code is copied into reason (may be NULL); for INGEST_ACCEPTED
 * and INGEST_DUPLICATE *seq is set (may be NULL).  On INGEST_TIMEOUT,
 * INGEST_BAD_REPLY and INGEST_IO_ERROR the connection is closed: a reply
 * may still be on its way, and it must not be taken for the next line's.
 */
enum ingest_status ingest_client_request(struct ingest_client *c, const char *line, size_t len,
					 int timeout_ms, char *reason, size_t reasonlen,
					 long long *seq);

/* Closes the connection; closing a closed one does nothing. */
void ingest_client_close(struct ingest_client *c);

/*
 * ingest_client_ready() then ingest_client_request(), both within
 * timeout_ms: the line goes on c's connection when it is still alive (an
 * early one), else on a new one.  c is left open after a reply of the
 * router (accepted, duplicate, rejected); the caller closes it.
 */
enum ingest_status ingest_client_deliver(struct ingest_client *c, const char *path,
					 const char *line, size_t len, int timeout_ms, char *reason,
					 size_t reasonlen, long long *seq);

/* One connection, one line, one reply, all within timeout_ms
 * (ingest_client_deliver() on a connection of its own). */
enum ingest_status ingest_client_send(const char *path, const char *line, size_t len,
				      int timeout_ms, char *reason, size_t reasonlen,
				      long long *seq);

/*
 * Parses one reply line (without its newline): the router's own replies
 * to an event it took or had without json-c, any other line with json-c,
 * with the same result.  Returns INGEST_ACCEPTED, INGEST_DUPLICATE,
 * INGEST_REJECTED or INGEST_BAD_REPLY.
 */
enum ingest_status ingest_client_parse_reply(const char *line, size_t len, char *reason,
					     size_t reasonlen, long long *seq);

/* Returns 1 when something accepts connections on the socket at path
 * within timeout_ms, else 0. */
int ingest_client_probe(const char *path, int timeout_ms);

#endif
