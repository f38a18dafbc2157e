/*
 * redisurl.c: parses the Redis URL event-relay and ws-gateway take
 * redis://[[user]:password@]host[:port][/db], rediss:// for TLS.
 * Host may be a name, an IPv4 address or a bracketed IPv6 address.
 * User and password are percent-decoded.  No I/O.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "redisurl.h"
#include "util.h"

/* Percent-decodes s[0..n) into out (size outlen).  Returns 0 or -1. */
static int
redisurl_decode(const char *s, size_t n, char *out, size_t outlen)
{
	size_t i, o = 0;
	int hi, lo;

	for (i = 0; i < n; i++) {
		if (o + 1 >= outlen)
			return -1;
		if (s[i] == '%') {
			if (i + 2 >= n)
				return -1;
			if ((hi = util_hexval((unsigned char)s[i + 1])) < 0 ||
			    (lo = util_hexval((unsigned char)s[i + 2])) < 0 || (hi == 0 && lo == 0))
				return -1;
			out[o++] = (char)(hi * 16 + lo);
			i += 2;
		} else
			out[o++] = s[i];
	}
	out[o] = '\0';
	return 0;
}

/* Parses a decimal in s[0..n) within [min, max].  Returns 0 or -1. */
static int
redisurl_num(const char *s, size_t n, long min, long max, int *out)
{
	long v = 0;
	size_t i;

	if (n == 0 || n > 9)
		return -1;
	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	if (v < min || v > max)
		return -1;
	*out = (int)v;
	return 0;
}

int
redisurl_parse(const char *s, struct redisurl *u, char *err, size_t errlen)
{
	const char *p, *at, *colon, *hend, *end, *slash;
	size_t n;

	memset(u, 0, sizeof(*u));
	u->ru_port = 6379;
	if (strncmp(s, "redis://", 8) == 0)
		p = s + 8;
	else if (strncmp(s, "rediss://", 9) == 0) {
		p = s + 9;
		u->ru_tls = 1;
	} else {
		snprintf(err, errlen, "Redis URL must start with redis:// or rediss://");
		return -1;
	}
	end = p + strlen(p);
	if ((slash = strchr(p, '/')) == NULL)
		slash = end;
	/* credentials: the last '@' before the path (a password may hold '@' only encoded) */
	at = memchr(p, '@', (size_t)(slash - p));
	if (at != NULL) {
		colon = memchr(p, ':', (size_t)(at - p));
		if (colon == NULL) {
			snprintf(err, errlen, "Redis URL: credentials must be [user]:password@");
			return -1;
		}
		if (redisurl_decode(p, (size_t)(colon - p), u->ru_user, sizeof(u->ru_user)) == -1 ||
		    redisurl_decode(colon + 1, (size_t)(at - colon - 1), u->ru_pass,
				    sizeof(u->ru_pass)) == -1) {
			snprintf(err, errlen, "Redis URL: bad or too long user or password");
			return -1;
		}
		if (u->ru_pass[0] == '\0') {
			snprintf(err, errlen, "Redis URL: empty password");
			return -1;
		}
		p = at + 1;
	}
	/* host */
	if (*p == '[') {
		if ((hend = memchr(p, ']', (size_t)(slash - p))) == NULL) {
			snprintf(err, errlen, "Redis URL: unterminated [IPv6 address]");
			return -1;
		}
		n = (size_t)(hend - p - 1);
		if (n == 0 || n >= sizeof(u->ru_host)) {
			snprintf(err, errlen, "Redis URL: bad host");
			return -1;
		}
		memcpy(u->ru_host, p + 1, n);
		p = hend + 1;
		if (p != slash && *p != ':') {
			snprintf(err, errlen, "Redis URL: junk after ]");
			return -1;
		}
	} else {
		for (hend = p; hend < slash && *hend != ':'; hend++)
			if (!isalnum((unsigned char)*hend) && *hend != '.' && *hend != '-' &&
			    *hend != '_') {
				snprintf(err, errlen, "Redis URL: bad character in host");
				return -1;
			}
		n = (size_t)(hend - p);
		if (n == 0 || n >= sizeof(u->ru_host)) {
			snprintf(err, errlen, "Redis URL: missing or too long host");
			return -1;
		}
		memcpy(u->ru_host, p, n);
		p = hend;
	}
	if (*p == ':' &&
	    redisurl_num(p + 1, (size_t)(slash - p - 1), 1, 65535, &u->ru_port) == -1) {
		snprintf(err, errlen, "Redis URL: port must be 1 to 65535");
		return -1;
	}
	/* database */
	if (*slash == '/' && slash[1] != '\0' &&
	    redisurl_num(slash + 1, (size_t)(end - slash - 1), 0, 1000000, &u->ru_db) == -1) {
		snprintf(err, errlen, "Redis URL: database must be a number");
		return -1;
	}
	return 0;
}
