/*
 * conformance.c: the server the Socket.IO project's protocol test suites
 * expect, installed by --conformance instead of the hookwire API.
 *
 * On /engine.io/ every Engine.IO message is echoed as it is.  On /socket.io/
 * the namespaces "/" and "/custom" exist; a CONNECT is answered with the sid
 * and an "auth" event carrying the handshake's auth payload; "message" is
 * answered by "message-back" with the same arguments (binary ones included),
 * "message-with-ack" by an acknowledgement with the same arguments.  The
 * suites' other expectations (ping interval and timeout, maxPayload, CORS,
 * no token, no Origin check, no recovery) are settings chosen in settings.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway.h"

/* CONNECT: the sid, then the auth payload back as an "auth" event. */
static int
conformance_connect(struct eio_session *s, struct sio_packet *p)
{
	static const char none[] = "{}";
	char body[128];
	const char *auth = none;
	size_t al = sizeof(none) - 1;
	int n;

	n = snprintf(body, sizeof(body), "{\"sid\":\"%s\"}", s->es_sio.sc_sid);
	sio_layer_send(s, SIO_CONNECT, p->nsp, -1, body, (size_t)n);
	if (p->data != NULL)
		auth = sio_json(p->data, &al);
	sio_layer_emit(s, p->nsp, "auth", auth, al);
	return 0;
}

/* message -> message-back, message-with-ack -> ack, with attachments. */
static int
conformance_event(struct eio_session *s, struct sio_packet *p, char **att, size_t *attlen)
{
	json_object *args = p->data, *name;
	const char *json, *ev;
	size_t jl, n, i;
	char *pkt;
	int binary = p->type == SIO_BINARY_EVENT;

	name = json_object_array_get_idx(args, 0);
	if (!json_object_is_type(name, json_type_string))
		return 0;
	ev = json_object_get_string(name);
	if (strcmp(ev, "message") == 0) {
		json_object_array_put_idx(args, 0, json_object_new_string("message-back"));
		json = sio_json(args, &jl);
		pkt = sio_encode(binary ? SIO_BINARY_EVENT : SIO_EVENT, p->nsp, -1, p->attachments,
				 json, jl, &n);
	} else if (strcmp(ev, "message-with-ack") == 0 && p->id >= 0) {
		json_object_array_del_idx(args, 0, 1);
		json = sio_json(args, &jl);
		pkt = sio_encode(binary ? SIO_BINARY_ACK : SIO_ACK, p->nsp, p->id, p->attachments,
				 json, jl, &n);
	} else
		return 0;
	if (pkt == NULL)
		return 0;
	eio_session_send(s, pkt, n, 0);
	free(pkt);
	for (i = 0; binary && i < (size_t)p->attachments; i++)
		eio_session_send(s, att[i], attlen[i], 1);
	return 0;
}

static const char *const conformance_nsps[] = {"/", "/custom", NULL};

static const struct sio_handlers conformance_handlers = {
    .sh_nsps = conformance_nsps,
    .sh_connect = conformance_connect,
    .sh_event = conformance_event,
};

/* Plain Engine.IO on /engine.io/: every message echoed. */
static const struct eio_session_ops conformance_echo_ops = {
    .eo_message = eio_session_send,
};

void
conformance_init(struct gw *gw)
{
	sio_layer_init(gw, &conformance_handlers);
	server_route(gw, "/engine.io", &conformance_echo_ops);
}
