/*
 * http.h: HTTP/1.1 request heads (pure: no I/O, no libevent).
 *
 * http_parse() reads a request head from a buffer the caller owns and
 * fills a struct http_request whose strings point into that buffer.  It
 * refuses what a front proxy and this server could read differently
 * (request smuggling): Transfer-Encoding at all (bodies need a
 * Content-Length), duplicate or malformed Content-Length, obs-fold
 * continuation lines, bare CR, NUL and control bytes, spaces before the
 * colon, and heads over the limit.
 */
#ifndef HOOKWIRE_HTTP_H
#define HOOKWIRE_HTTP_H

#include <stddef.h>

#define HTTP_HEADERS_MAX 64
#define HTTP_METHOD_MAX	 16

enum http_status {
	HTTP_INCOMPLETE = 0, /* need more bytes */
	HTTP_OK,	     /* *req filled; req->head_len bytes form the head */
	HTTP_BAD,	     /* bad request: req->error (HTTP status) and *reason */
};

struct http_header {
	const char *name;
	size_t name_len;
	const char *value; /* leading and trailing blanks removed */
	size_t value_len;
};

struct http_request {
	char method[HTTP_METHOD_MAX];
	const char *target; /* request-target, not NUL-terminated */
	size_t target_len;
	int minor;	 /* HTTP/1.<minor> */
	size_t head_len; /* bytes up to and including the blank line */
	long long clen;	 /* Content-Length, 0 when absent */
	int keep_alive;	 /* 1 unless "Connection: close" (or HTTP/1.0 without keep-alive) */
	int error;	 /* HTTP status for HTTP_BAD: 400, 431, 501, 505 */
	struct http_header hdr[HTTP_HEADERS_MAX];
	size_t nhdr;
};

/*
 * Parses the head at buf[0..len).  header_max bounds the head, body_max the
 * Content-Length.  Returns HTTP_INCOMPLETE, HTTP_OK or HTTP_BAD (reason is
 * a short static reason code).
 */
enum http_status http_parse(const char *buf, size_t len, size_t header_max, long long body_max,
			    struct http_request *req, const char **reason);

/* The value of header name (case-insensitive) or NULL; *len gets its length. */
const char *http_header(const struct http_request *req, const char *name, size_t *len);

/* True when header name holds token tok in its comma-separated list (case-insensitive). */
int http_header_has_token(const struct http_request *req, const char *name, const char *tok);

/*
 * Splits req->target into its path (percent-decoded into path, NUL-terminated)
 * and its raw query (pointer into the target, may be NULL).  Returns 0, or -1
 * when the path does not start with '/', does not fit, or decodes to a NUL
 * byte or an invalid escape.
 */
int http_split_target(const char *target, size_t len, char *path, size_t pathlen,
		      const char **query, size_t *querylen);

/*
 * Copies the percent-decoded value of query parameter key into out.
 * Returns its length, or -1 when absent or too long.
 */
long http_query_get(const char *query, size_t querylen, const char *key, char *out, size_t outlen);

/*
 * http_query_get() that tells absent from too long: 1 when key is given
 * (its value in out), 0 when absent, -1 when its value does not fit in
 * outlen bytes with the NUL, -2 when out of memory.
 */
int http_query_arg(const char *query, size_t querylen, const char *key, char *out, size_t outlen);

/* Reason phrase for a status code. */
const char *http_reason(int status);

#endif
