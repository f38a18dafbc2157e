/*
 * http.c: HTTP/1.1 request head parser (see http.h).
 *
 * Strict by design: the gateway speaks to browsers, socket.io clients and
 * curl, all of which send simple, well-formed heads.  Anything ambiguous is
 * refused with a status code and a reason rather than guessed at.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http.h"
#include "util.h"

static int
http_tchar(unsigned char c)
{
	if (isalnum(c))
		return 1;
	return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static int
http_eq(const char *a, size_t alen, const char *b)
{
	return strlen(b) == alen && strncasecmp(a, b, alen) == 0;
}

/* Finds the end of the head: offset after "\r\n\r\n", or 0. */
static size_t
http_head_end(const char *buf, size_t len)
{
	size_t i;

	for (i = 0; i + 3 < len; i++) {
		if (buf[i] == '\r' && buf[i + 1] == '\n' && buf[i + 2] == '\r' &&
		    buf[i + 3] == '\n')
			return i + 4;
	}
	return 0;
}

static enum http_status
http_bad(struct http_request *req, int status, const char **reason, const char *why)
{
	req->error = status;
	*reason = why;
	return HTTP_BAD;
}

/* The head is not complete: fails early on bytes no request line may hold. */
static enum http_status
http_incomplete(const char *buf, size_t len, size_t header_max, struct http_request *req,
		const char **reason)
{
	size_t n;

	if (len >= header_max)
		return http_bad(req, 431, reason, "header_too_large");
	for (n = 0; n < len; n++) {
		unsigned char c = (unsigned char)buf[n];
		if (c == 0 || (c < 0x20 && c != '\r' && c != '\n' && c != '\t') || c == 0x7f)
			return http_bad(req, 400, reason, "bad_byte");
		/* a bare CR would otherwise keep the head incomplete forever */
		if (c == '\r' && n + 1 < len && buf[n + 1] != '\n')
			return http_bad(req, 400, reason, "bare_cr");
	}
	return HTTP_INCOMPLETE;
}

/* Every line of buf[0..end) ends with CRLF; no bare CR or LF, no control bytes. */
static enum http_status
http_lines(const char *buf, const char *end, struct http_request *req, const char **reason)
{
	const char *p;

	for (p = buf; p < end; p++) {
		unsigned char c = (unsigned char)*p;
		if (c == '\r') {
			if (p[1] != '\n')
				return http_bad(req, 400, reason, "bare_cr");
			p++;
			continue;
		}
		if (c == '\n')
			return http_bad(req, 400, reason, "bare_lf");
		if (c == 0 || (c < 0x20 && c != '\t') || c == 0x7f)
			return http_bad(req, 400, reason, "bad_byte");
	}
	return HTTP_OK;
}

/* The request line: method SP target SP HTTP/1.x; *eolp gets its end. */
static enum http_status
http_request_line(const char *buf, const char *end, struct http_request *req, const char **reason,
		  const char **eolp)
{
	const char *p, *eol;
	size_t n;

	if ((eol = memchr(buf, '\r', (size_t)(end - buf))) == NULL)
		return http_bad(req, 400, reason, "bad_request_line");
	*eolp = eol;
	p = buf;
	for (n = 0; p + n < eol && http_tchar((unsigned char)p[n]); n++)
		;
	if (n == 0 || n >= HTTP_METHOD_MAX || p + n >= eol || p[n] != ' ')
		return http_bad(req, 400, reason, "bad_method");
	memcpy(req->method, p, n);
	req->method[n] = '\0';
	p += n + 1;
	req->target = p;
	while (p < eol && *p != ' ')
		p++;
	req->target_len = (size_t)(p - req->target);
	if (req->target_len == 0 || p >= eol)
		return http_bad(req, 400, reason, "bad_target");
	for (n = 0; n < req->target_len; n++) {
		unsigned char c = (unsigned char)req->target[n];
		if (c <= 0x20 || c >= 0x7f)
			return http_bad(req, 400, reason, "bad_target");
	}
	p++;
	if (eol - p != 8 || memcmp(p, "HTTP/1.", 7) != 0 || (p[7] != '0' && p[7] != '1'))
		return http_bad(req, 505, reason, "bad_version");
	req->minor = p[7] - '0';
	return HTTP_OK;
}

/* A Content-Length value v[0..ve), at most body_max. */
static enum http_status
http_content_length(const char *v, const char *ve, long long body_max, struct http_request *req,
		    const char **reason)
{
	const char *p;
	long long cl = 0;

	if (v == ve)
		return http_bad(req, 400, reason, "bad_content_length");
	for (p = v; p < ve; p++) {
		if (*p < '0' || *p > '9')
			return http_bad(req, 400, reason, "bad_content_length");
		if (cl > (body_max + 9) / 10 + 1)
			return http_bad(req, 413, reason, "body_too_large");
		cl = cl * 10 + (*p - '0');
	}
	if (cl > body_max)
		return http_bad(req, 413, reason, "body_too_large");
	req->clen = cl;
	return HTTP_OK;
}

/* The tokens of a Connection value v[0..ve): close, keep-alive. */
static void
http_connection(const char *v, const char *ve, int *conn_close, int *conn_keep)
{
	const char *t = v, *te;

	while (t < ve) {
		while (t < ve && (*t == ' ' || *t == ','))
			t++;
		te = t;
		while (te < ve && *te != ',' && *te != ' ')
			te++;
		if (http_eq(t, (size_t)(te - t), "close"))
			*conn_close = 1;
		else if (http_eq(t, (size_t)(te - t), "keep-alive"))
			*conn_keep = 1;
		t = te;
	}
}

/* One header field line[0..eol) into req; the ones the parser acts on are read. */
static enum http_status
http_field(const char *line, const char *eol, long long body_max, struct http_request *req,
	   const char **reason, int *have_clen, int conn[2])
{
	const char *p, *colon, *v, *ve;

	if (*line == ' ' || *line == '\t')
		return http_bad(req, 400, reason, "obs_fold");
	colon = memchr(line, ':', (size_t)(eol - line));
	if (colon == NULL || colon == line)
		return http_bad(req, 400, reason, "bad_header");
	for (p = line; p < colon; p++)
		if (!http_tchar((unsigned char)*p))
			return http_bad(req, 400, reason, "bad_header_name");
	v = colon + 1;
	ve = eol;
	while (v < ve && (*v == ' ' || *v == '\t'))
		v++;
	while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
		ve--;
	if (req->nhdr == HTTP_HEADERS_MAX)
		return http_bad(req, 431, reason, "too_many_headers");
	req->hdr[req->nhdr].name = line;
	req->hdr[req->nhdr].name_len = (size_t)(colon - line);
	req->hdr[req->nhdr].value = v;
	req->hdr[req->nhdr].value_len = (size_t)(ve - v);
	req->nhdr++;
	if (http_eq(line, (size_t)(colon - line), "content-length")) {
		if (*have_clen)
			return http_bad(req, 400, reason, "duplicate_content_length");
		*have_clen = 1;
		return http_content_length(v, ve, body_max, req, reason);
	}
	if (http_eq(line, (size_t)(colon - line), "transfer-encoding")) {
		if (*have_clen)
			return http_bad(req, 400, reason, "te_and_content_length");
		return http_bad(req, 501, reason, "transfer_encoding");
	}
	if (http_eq(line, (size_t)(colon - line), "connection"))
		http_connection(v, ve, &conn[0], &conn[1]);
	return HTTP_OK;
}

enum http_status
http_parse(const char *buf, size_t len, size_t header_max, long long body_max,
	   struct http_request *req, const char **reason)
{
	const char *end, *line, *eol;
	size_t hlen;
	int have_clen = 0, conn[2] = {0, 0}; /* Connection: close, keep-alive */
	enum http_status st;

	memset(req, 0, sizeof(*req));
	*reason = NULL;
	hlen = http_head_end(buf, len > header_max ? header_max : len);
	if (hlen == 0)
		return http_incomplete(buf, len, header_max, req, reason);
	req->head_len = hlen;
	end = buf + hlen - 2; /* the final CRLF */
	if ((st = http_lines(buf, end, req, reason)) != HTTP_OK ||
	    (st = http_request_line(buf, end, req, reason, &eol)) != HTTP_OK)
		return st;
	for (line = eol + 2; line < end; line = eol + 2) {
		if ((eol = memchr(line, '\r', (size_t)(end - line))) == NULL)
			return http_bad(req, 400, reason, "bad_header");
		if ((st = http_field(line, eol, body_max, req, reason, &have_clen, conn)) !=
		    HTTP_OK)
			return st;
	}
	if (req->minor == 1 && http_header(req, "host", NULL) == NULL)
		return http_bad(req, 400, reason, "missing_host");
	req->keep_alive = req->minor == 1 ? !conn[0] : conn[1] && !conn[0];
	return HTTP_OK;
}

const char *
http_header(const struct http_request *req, const char *name, size_t *len)
{
	size_t i;

	for (i = 0; i < req->nhdr; i++) {
		if (http_eq(req->hdr[i].name, req->hdr[i].name_len, name)) {
			if (len != NULL)
				*len = req->hdr[i].value_len;
			return req->hdr[i].value;
		}
	}
	return NULL;
}

int
http_header_has_token(const struct http_request *req, const char *name, const char *tok)
{
	size_t i;
	const char *t, *te, *ve;

	for (i = 0; i < req->nhdr; i++) {
		if (!http_eq(req->hdr[i].name, req->hdr[i].name_len, name))
			continue;
		t = req->hdr[i].value;
		ve = t + req->hdr[i].value_len;
		while (t < ve) {
			while (t < ve && (*t == ' ' || *t == ',' || *t == '\t'))
				t++;
			te = t;
			while (te < ve && *te != ',' && *te != ' ' && *te != '\t')
				te++;
			if (te > t && http_eq(t, (size_t)(te - t), tok))
				return 1;
			t = te;
		}
	}
	return 0;
}

int
http_split_target(const char *target, size_t len, char *path, size_t pathlen, const char **query,
		  size_t *querylen)
{
	size_t i, o = 0, plen;
	const char *q;

	*query = NULL;
	*querylen = 0;
	if (len == 0 || target[0] != '/')
		return -1;
	q = memchr(target, '?', len);
	plen = q ? (size_t)(q - target) : len;
	if (q != NULL) {
		*query = q + 1;
		*querylen = len - plen - 1;
	}
	for (i = 0; i < plen; i++) {
		int c = (unsigned char)target[i];
		if (c == '%') {
			int hi, lo;
			if (i + 2 >= plen)
				return -1;
			hi = util_hexval((unsigned char)target[i + 1]);
			lo = util_hexval((unsigned char)target[i + 2]);
			if (hi < 0 || lo < 0)
				return -1;
			c = hi * 16 + lo;
			/* An encoded NUL, slash or backslash has no business in a path. */
			if (c == 0 || c == '/' || c == '\\')
				return -1;
			i += 2;
		}
		if (o + 1 >= pathlen)
			return -1;
		path[o++] = (char)c;
	}
	path[o] = '\0';
	return 0;
}

long
http_query_get(const char *query, size_t querylen, const char *key, char *out, size_t outlen)
{
	const char *p, *end, *amp, *eq;
	size_t klen = strlen(key), o;

	if (query == NULL)
		return -1;
	p = query;
	end = query + querylen;
	while (p < end) {
		amp = memchr(p, '&', (size_t)(end - p));
		if (amp == NULL)
			amp = end;
		eq = memchr(p, '=', (size_t)(amp - p));
		if (eq == NULL)
			eq = amp;
		if ((size_t)(eq - p) == klen && memcmp(p, key, klen) == 0) {
			o = 0;
			for (p = eq < amp ? eq + 1 : amp; p < amp; p++) {
				int c = (unsigned char)*p;
				if (c == '+')
					c = ' ';
				else if (c == '%' && amp - p >= 3 &&
					 util_hexval((unsigned char)p[1]) >= 0 &&
					 util_hexval((unsigned char)p[2]) >= 0) {
					c = util_hexval((unsigned char)p[1]) * 16 +
					    util_hexval((unsigned char)p[2]);
					p += 2;
				}
				if (o + 1 >= outlen)
					return -1;
				out[o++] = (char)c;
			}
			out[o] = '\0';
			return (long)o;
		}
		p = amp + 1;
	}
	return -1;
}

int
http_query_arg(const char *query, size_t querylen, const char *key, char *out, size_t outlen)
{
	char *v;
	long n;

	if (query == NULL)
		return 0;
	/* a value is never longer than the query it is in */
	if ((v = malloc(querylen + 1)) == NULL)
		return -2;
	n = http_query_get(query, querylen, key, v, querylen + 1);
	if (n >= 0 && (size_t)n < outlen)
		memcpy(out, v, (size_t)n + 1);
	free(v);
	if (n < 0)
		return 0;
	return (size_t)n < outlen ? 1 : -1;
}

const char *
http_reason(int status)
{
	switch (status) {
	case 101:
		return "Switching Protocols";
	case 200:
		return "OK";
	case 204:
		return "No Content";
	case 304:
		return "Not Modified";
	case 400:
		return "Bad Request";
	case 401:
		return "Unauthorized";
	case 403:
		return "Forbidden";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 408:
		return "Request Timeout";
	case 413:
		return "Payload Too Large";
	case 431:
		return "Request Header Fields Too Large";
	case 500:
		return "Internal Server Error";
	case 501:
		return "Not Implemented";
	case 503:
		return "Service Unavailable";
	case 505:
		return "HTTP Version Not Supported";
	}
	return "Unknown";
}
