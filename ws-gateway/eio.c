/*
 * eio.c: Engine.IO v4 packet encoding (see eio.h).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "eio.h"

static const char eio_b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int
eio_decode_text(const char *s, size_t len, struct eio_packet *p)
{
	memset(p, 0, sizeof(*p));
	if (len == 0 || s[0] < '0' || s[0] > '6')
		return -1;
	p->type = s[0] - '0';
	p->data = s + 1;
	p->len = len - 1;
	return 0;
}

int
eio_payload_next(const char *buf, size_t len, size_t *off, struct eio_packet *p, char *scratch)
{
	const char *s, *sep;
	size_t n;
	long dn;

	if (*off >= len)
		return 0;
	s = buf + *off;
	sep = memchr(s, EIO_SEP, len - *off);
	n = sep ? (size_t)(sep - s) : len - *off;
	*off += n + (sep ? 1 : 0);
	if (n > 0 && s[0] == 'b') {
		memset(p, 0, sizeof(*p));
		dn = eio_b64_decode(s + 1, n - 1, (unsigned char *)scratch);
		if (dn < 0)
			return -1;
		p->type = EIO_MESSAGE;
		p->binary = 1;
		p->data = scratch;
		p->len = (size_t)dn;
		return 1;
	}
	if (eio_decode_text(s, n, p) < 0)
		return -1;
	return 1;
}

int
eio_open_json(char *out, size_t outlen, const char *sid, int can_upgrade, long ping_interval,
	      long ping_timeout, long max_payload)
{
	int n;

	n = snprintf(out, outlen,
		     "{\"sid\":\"%s\",\"upgrades\":[%s],\"pingInterval\":%ld,\"pingTimeout\":%ld,"
		     "\"maxPayload\":%ld}",
		     sid, can_upgrade ? "\"websocket\"" : "", ping_interval, ping_timeout,
		     max_payload);
	if (n < 0 || (size_t)n >= outlen)
		return -1;
	return n;
}

size_t
eio_b64_encode(const unsigned char *in, size_t len, char *out)
{
	size_t i, o = 0;

	for (i = 0; i + 2 < len; i += 3) {
		out[o++] = eio_b64[in[i] >> 2];
		out[o++] = eio_b64[((in[i] & 3) << 4) | (in[i + 1] >> 4)];
		out[o++] = eio_b64[((in[i + 1] & 15) << 2) | (in[i + 2] >> 6)];
		out[o++] = eio_b64[in[i + 2] & 63];
	}
	if (i < len) {
		out[o++] = eio_b64[in[i] >> 2];
		if (i + 1 < len) {
			out[o++] = eio_b64[((in[i] & 3) << 4) | (in[i + 1] >> 4)];
			out[o++] = eio_b64[(in[i + 1] & 15) << 2];
		} else {
			out[o++] = eio_b64[(in[i] & 3) << 4];
			out[o++] = '=';
		}
		out[o++] = '=';
	}
	out[o] = '\0';
	return o;
}

static int
eio_b64_val(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+' || c == '-')
		return 62;
	if (c == '/' || c == '_')
		return 63;
	return -1;
}

long
eio_b64_decode(const char *in, size_t len, unsigned char *out)
{
	size_t i, o = 0;
	uint32_t acc = 0;
	int bits = 0, v;

	while (len > 0 && in[len - 1] == '=')
		len--;
	for (i = 0; i < len; i++) {
		v = eio_b64_val((unsigned char)in[i]);
		if (v < 0)
			return -1;
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (unsigned char)(acc >> bits);
		}
	}
	if (bits >= 6)
		return -1; /* a lone sextet cannot end a valid encoding */
	return (long)o;
}

/* EIO_SID_LEN characters of the sid alphabet (URL-safe) from bytes r. */
static void
eio_sid_chars(const unsigned char *r, char out[EIO_SID_LEN + 1])
{
	static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	size_t i;

	for (i = 0; i < EIO_SID_LEN; i++)
		out[i] = a[r[i] & 63];
	out[EIO_SID_LEN] = '\0';
}

void
eio_new_sid(char out[EIO_SID_LEN + 1])
{
	unsigned char r[EIO_SID_LEN];

	arc4random_buf(r, sizeof(r));
	eio_sid_chars(r, out);
}

void
eio_sid_of_pid(const char *pid, size_t len, char out[EIO_SID_LEN + 1])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();

	/* "sid:" separates this use of the hash from any other of the pid */
	if (ctx == NULL || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1 ||
	    EVP_DigestUpdate(ctx, "sid:", 4) != 1 || EVP_DigestUpdate(ctx, pid, len) != 1 ||
	    EVP_DigestFinal_ex(ctx, md, &mdlen) != 1 || mdlen < EIO_SID_LEN) {
		/* no digest (out of memory): a fresh sid, recovery without the id */
		EVP_MD_CTX_free(ctx);
		eio_new_sid(out);
		return;
	}
	EVP_MD_CTX_free(ctx);
	eio_sid_chars(md, out);
}
