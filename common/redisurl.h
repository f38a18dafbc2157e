/*
 * redisurl.h: the Redis URL event-relay(8) and ws-gateway(8) take,
 * redis://[[user]:password@]host[:port][/db] (rediss:// for TLS).
 * Parsing only: no I/O, no hiredis.
 */
#ifndef HOOKWIRE_REDISURL_H
#define HOOKWIRE_REDISURL_H

#include <stddef.h>

#define REDISURL_HOST_MAX 256
#define REDISURL_CRED_MAX 256

/* A parsed redis://[user:pass@]host[:port][/db] or rediss://... URL. */
struct redisurl {
	int ru_tls;			 /* rediss:// */
	char ru_host[REDISURL_HOST_MAX]; /* host name or address (IPv6 without brackets) */
	int ru_port;			 /* default 6379 */
	int ru_db;			 /* default 0 */
	char ru_user[REDISURL_CRED_MAX]; /* empty: none (AUTH with the password only) */
	char ru_pass[REDISURL_CRED_MAX]; /* empty: no AUTH */
};

/*
 * Parses s into u (user and password percent-decoded).  Returns 0, or -1
 * with a message in err (which never repeats the password).
 */
int redisurl_parse(const char *s, struct redisurl *u, char *err, size_t errlen);

#endif
