/*
 * static.c: the dashboard directory and the Socket.IO browser client.
 *
 * Only files under the dashboard root are served: the decoded path may not
 * hold "..", "." segments or backslashes (http_split_target() already
 * refused encoded slashes, backslashes and NUL bytes), and the file's
 * resolved path (realpath(3), so symlinks are followed) must still lie
 * under the resolved root.  Anything else is a 404, counted as refused.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gateway.h"
#include "log.h"

static const struct {
	const char *ext, *type;
} static_types[] = {
    {".html", "text/html; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".mjs", "text/javascript; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".json", "application/json"},
    {".svg", "image/svg+xml"},
    {".png", "image/png"},
    {".ico", "image/x-icon"},
    {".txt", "text/plain; charset=utf-8"},
    {".map", "application/json"},
    {".woff2", "font/woff2"},
    {NULL, NULL},
};

static const char *
static_type(const char *path)
{
	size_t n = strlen(path), i, el;

	for (i = 0; static_types[i].ext != NULL; i++) {
		el = strlen(static_types[i].ext);
		if (n > el && strcmp(path + n - el, static_types[i].ext) == 0)
			return static_types[i].type;
	}
	return "application/octet-stream";
}

static void
static_refuse(struct conn *c, int status, const char *why)
{
	log_warnx("path", "%s: %s: %s", __func__, c->c_peer, why);
	conn_refuse(c, GW_REFUSED_PATH, status, "text/plain", NULL,
		    status == 400 ? "bad request\n" : "not found\n");
}

/* What the dashboard may load: its own scripts, styles, images and the
 * gateway's Socket.IO endpoint, nothing inline, no frames, nothing else.
 * With no inline script allowed, an injected <script> in an event a page
 * shows would not run. */
#define STATIC_CSP                                                                                 \
	"Content-Security-Policy: default-src 'none'; script-src 'self'; style-src 'self'; "       \
	"img-src 'self' data:; connect-src 'self'; font-src 'self'; base-uri 'none'; "             \
	"form-action 'none'; frame-ancestors 'none'\r\n"                                           \
	"X-Frame-Options: DENY\r\nReferrer-Policy: no-referrer\r\n"

/* Sends file at path (already checked) with its type. */
static void
static_send(struct conn *c, const struct http_request *req, const char *file, const char *ctype)
{
	struct evbuffer *out;
	struct stat st;
	char extra[512], etag[64];
	const char *inm;
	size_t inml;
	int fd;

	if ((fd = open(file, O_RDONLY | O_CLOEXEC)) < 0 || fstat(fd, &st) < 0 ||
	    !S_ISREG(st.st_mode)) {
		if (fd >= 0)
			close(fd);
		conn_respond_str(c, 404, "text/plain", NULL, "not found\n");
		return;
	}
	snprintf(etag, sizeof(etag), "\"%llx-%llx\"", (unsigned long long)st.st_size,
		 (unsigned long long)st.st_mtime);
	snprintf(extra, sizeof(extra), "ETag: %s\r\nCache-Control: no-cache\r\n%s", etag,
		 STATIC_CSP);
	inm = http_header(req, "if-none-match", &inml);
	if (inm != NULL && inml == strlen(etag) && strncmp(inm, etag, inml) == 0) {
		close(fd);
		conn_respond(c, 304, NULL, extra, NULL, 0);
		return;
	}
	if ((out = evbuffer_new()) == NULL ||
	    (st.st_size > 0 && evbuffer_add_file(out, fd, 0, st.st_size) < 0)) {
		if (out)
			evbuffer_free(out);
		else
			close(fd);
		conn_respond_str(c, 500, "text/plain", NULL, "error\n");
		return;
	}
	if (st.st_size == 0)
		close(fd);
	conn_respond_buf(c, 200, ctype, extra, out);
	evbuffer_free(out);
}

void
static_serve(struct conn *c, const struct http_request *req, const char *path)
{
	struct gw *gw = c->c_gw;
	char want[PATH_MAX], real[PATH_MAX];
	const char *seg, *root = gw->cfg.dashboard_dir;
	size_t rl, sl;
	int n;

	if (strchr(path, '\\') != NULL)
		return static_refuse(c, 400, "backslash in path");
	for (seg = path; *seg != '\0';) {
		while (*seg == '/')
			seg++;
		sl = strcspn(seg, "/");
		if ((sl == 2 && seg[0] == '.' && seg[1] == '.') || (sl == 1 && seg[0] == '.'))
			return static_refuse(c, 404, "dot segment in path");
		seg += sl;
	}
	if (root[0] == '\0') {
		conn_respond_str(c, 404, "text/plain", NULL, "not found\n");
		return;
	}
	rl = strlen(root);
	n = snprintf(want, sizeof(want), "%s%s%s", root, path,
		     path[strlen(path) - 1] == '/' ? "index.html" : "");
	if (n < 0 || (size_t)n >= sizeof(want))
		return static_refuse(c, 404, "path too long");
	if (realpath(want, real) == NULL) {
		conn_respond_str(c, 404, "text/plain", NULL, "not found\n");
		return;
	}
	if (strncmp(real, root, rl) != 0 || (real[rl] != '/' && real[rl] != '\0'))
		return static_refuse(c, 404, "resolved path outside the dashboard root");
	static_send(c, req, real, static_type(real));
}

void
static_client_js(struct conn *c, const struct http_request *req)
{
	if (c->c_gw->cfg.client_js[0] == '\0') {
		conn_respond_str(c, 404, "text/plain", NULL, "not found\n");
		return;
	}
	static_send(c, req, c->c_gw->cfg.client_js, "text/javascript; charset=utf-8");
}
