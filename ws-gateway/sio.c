/*
 * sio.c: Socket.IO v5 packet encoding and validation (see sio.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sio.h"

static const char *sio_reserved[] = {"connect",	    "connect_error",  "disconnect", "disconnecting",
				     "newListener", "removeListener", NULL};

static int
sio_fail(const char **reason, const char *why)
{
	*reason = why;
	return -1;
}

void
sio_packet_clear(struct sio_packet *p)
{
	if (p->data != NULL)
		json_object_put(p->data);
	p->data = NULL;
}

static int
sio_placeholders_walk(json_object *o, int attachments, unsigned char *seen, int *count)
{
	size_t i, n;

	switch (json_object_get_type(o)) {
	case json_type_array:
		n = json_object_array_length(o);
		for (i = 0; i < n; i++)
			if (sio_placeholders_walk(json_object_array_get_idx(o, i), attachments,
						  seen, count) < 0)
				return -1;
		return 0;
	case json_type_object: {
		json_object *ph, *num;
		if (json_object_object_get_ex(o, "_placeholder", &ph)) {
			int64_t k;
			if (!json_object_is_type(ph, json_type_boolean) ||
			    !json_object_get_boolean(ph) ||
			    !json_object_object_get_ex(o, "num", &num) ||
			    !json_object_is_type(num, json_type_int))
				return -1;
			k = json_object_get_int64(num);
			if (k < 0 || k >= attachments || seen[k])
				return -1;
			seen[k] = 1;
			(*count)++;
			return 0;
		}
		json_object_object_foreach (o, key, val) {
			(void)key;
			if (sio_placeholders_walk(val, attachments, seen, count) < 0)
				return -1;
		}
		return 0;
	}
	default:
		return 0;
	}
}

int
sio_placeholders(json_object *obj, int attachments)
{
	unsigned char seen[SIO_ATTACH_MAX] = {0};
	int count = 0;

	if (attachments < 0 || attachments > SIO_ATTACH_MAX)
		return -1;
	if (sio_placeholders_walk(obj, attachments, seen, &count) < 0)
		return -1;
	return count;
}

/* The head <type>[<attachments>-][<namespace>,][<ack id>] of s[0..len) into p;
 * returns where the payload starts, or -1 with reason. */
static long
sio_decode_head(const char *s, size_t len, struct sio_packet *p, const char **reason)
{
	size_t i = 0, n, k, start;
	long long id = 0;
	int a = 0;

	if (len == 0 || s[0] < '0' || s[0] > '6')
		return sio_fail(reason, "bad_packet_type");
	p->type = s[i++] - '0';
	if (memchr(s, '\0', len) != NULL)
		return sio_fail(reason, "nul_byte");
	if (p->type == SIO_BINARY_EVENT || p->type == SIO_BINARY_ACK) {
		for (n = 0; i < len && s[i] >= '0' && s[i] <= '9'; i++, n++) {
			a = a * 10 + (s[i] - '0');
			if (a > SIO_ATTACH_MAX)
				return sio_fail(reason, "too_many_attachments");
		}
		if (n == 0 || i >= len || s[i] != '-')
			return sio_fail(reason, "bad_attachments");
		i++;
		p->attachments = a;
	}
	if (i < len && s[i] == '/') {
		start = i;
		while (i < len && s[i] != ',')
			i++;
		n = i - start;
		if (n >= SIO_NSP_MAX)
			return sio_fail(reason, "bad_namespace");
		for (k = start; k < start + n; k++) {
			unsigned char c = (unsigned char)s[k];
			if (c < 0x20 || c == 0x7f || c == '"' || c == '\\')
				return sio_fail(reason, "bad_namespace");
		}
		memcpy(p->nsp, s + start, n);
		p->nsp[n] = '\0';
		if (i < len)
			i++; /* the comma */
	}
	if (i < len && s[i] >= '0' && s[i] <= '9') {
		for (; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
			id = id * 10 + (s[i] - '0');
			if (id > SIO_ACK_ID_MAX)
				return sio_fail(reason, "bad_ack_id");
		}
		p->id = id;
	}
	return (long)i;
}

/* The JSON payload s[0..len) into p->data; 0, or -1 with reason. */
static int
sio_decode_json(const char *s, size_t len, int depth_max, struct sio_packet *p, const char **reason)
{
	json_tokener *tok;
	json_object *o;
	int deep;

	if ((tok = json_tokener_new_ex(depth_max)) == NULL)
		return sio_fail(reason, "no_memory");
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	o = json_tokener_parse_ex(tok, s, (int)len);
	if (o == NULL || json_tokener_get_error(tok) != json_tokener_success ||
	    (size_t)json_tokener_get_parse_end(tok) != len) {
		deep = json_tokener_get_error(tok) == json_tokener_error_depth;
		if (o != NULL)
			json_object_put(o);
		json_tokener_free(tok);
		return sio_fail(reason, deep ? "too_deep" : "invalid_json");
	}
	json_tokener_free(tok);
	p->data = o;
	return 0;
}

/* What p's type asks of its ack id and payload: NULL when p has it, else the reason. */
static const char *
sio_decode_shape(const struct sio_packet *p)
{
	json_object *o = p->data, *name;
	size_t n;

	switch (p->type) {
	case SIO_CONNECT:
		if (p->id >= 0)
			return "bad_ack_id";
		if (o != NULL && !json_object_is_type(o, json_type_object))
			return "bad_payload";
		return NULL;
	case SIO_DISCONNECT:
		if (p->id >= 0)
			return "bad_ack_id";
		return o != NULL ? "bad_payload" : NULL;
	case SIO_CONNECT_ERROR:
		if (p->id >= 0)
			return "bad_ack_id";
		if (o == NULL || (!json_object_is_type(o, json_type_object) &&
				  !json_object_is_type(o, json_type_string)))
			return "bad_payload";
		return NULL;
	case SIO_EVENT:
	case SIO_BINARY_EVENT:
		if (o == NULL || !json_object_is_type(o, json_type_array) ||
		    json_object_array_length(o) == 0)
			return "bad_payload";
		name = json_object_array_get_idx(o, 0);
		if (json_object_is_type(name, json_type_string)) {
			for (n = 0; sio_reserved[n] != NULL; n++)
				if (strcmp(json_object_get_string(name), sio_reserved[n]) == 0)
					return "bad_payload";
		} else if (!json_object_is_type(name, json_type_int))
			return "bad_payload";
		return NULL;
	case SIO_ACK:
	case SIO_BINARY_ACK:
		if (p->id < 0)
			return "bad_ack_id";
		if (o == NULL || !json_object_is_type(o, json_type_array))
			return "bad_payload";
		return NULL;
	}
	return NULL;
}

int
sio_decode(const char *s, size_t len, int depth_max, struct sio_packet *p, const char **reason)
{
	const char *why;
	long off;

	memset(p, 0, sizeof(*p));
	p->id = -1;
	strcpy(p->nsp, "/");
	*reason = NULL;
	if ((off = sio_decode_head(s, len, p, reason)) < 0)
		return -1;
	if ((size_t)off < len &&
	    sio_decode_json(s + off, len - (size_t)off, depth_max, p, reason) < 0)
		return -1;
	why = sio_decode_shape(p);
	if (why == NULL && (p->type == SIO_BINARY_EVENT || p->type == SIO_BINARY_ACK) &&
	    sio_placeholders(p->data, p->attachments) != p->attachments)
		why = "attachment_mismatch";
	if (why != NULL) {
		sio_packet_clear(p);
		return sio_fail(reason, why);
	}
	return 0;
}

char *
sio_encode(int type, const char *nsp, long long id, int attachments, const char *json,
	   size_t jsonlen, size_t *outlen)
{
	char head[SIO_NSP_MAX + 64];
	int n = 0;
	char *out;

	head[n++] = (char)('0' + type);
	if (type == SIO_BINARY_EVENT || type == SIO_BINARY_ACK)
		n += snprintf(head + n, sizeof(head) - (size_t)n, "%d-", attachments);
	if (nsp != NULL && strcmp(nsp, "/") != 0)
		n += snprintf(head + n, sizeof(head) - (size_t)n, "%.*s,", SIO_NSP_MAX - 1, nsp);
	if (id >= 0)
		n += snprintf(head + n, sizeof(head) - (size_t)n, "%lld", id);
	out = malloc((size_t)n + jsonlen + 1);
	if (out == NULL)
		return NULL;
	memcpy(out, head, (size_t)n);
	if (json != NULL)
		memcpy(out + n, json, jsonlen);
	out[(size_t)n + jsonlen] = '\0';
	*outlen = (size_t)n + jsonlen;
	return out;
}

const char *
sio_json(json_object *obj, size_t *len)
{
	return json_object_to_json_string_length(
	    obj, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, len);
}
