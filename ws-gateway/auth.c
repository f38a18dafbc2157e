/*
 * auth.c: the access token, session-scoped tokens and the Origin check.
 *
 * The token file holds 32 random hex characters and a newline, mode 0600;
 * it is created at the first start.  $STATEDIR/tokens (optional, 0600)
 * holds lines "<token> <session_id>[,<session_id>...]": a client that
 * presents such a token only ever sees events of those sessions.
 * Tokens are compared in constant time.  SIGHUP re-reads both files
 * (auth_reload): new handshakes use the new tokens, sessions keep the
 * access they were given (a copy of their scope); a file that cannot be
 * read keeps the old tokens.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "gateway.h"
#include "log.h"
#include "util.h"

#define AUTH_TOKEN_BYTES 16   /* random bytes of a new token: twice as many hex characters */
#define AUTH_TOKEN_MIN	 16   /* characters of a token, at least */
#define AUTH_LINE_MAX	 8192 /* a line of the tokens file */

static int
auth_eq(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i;
	unsigned char d = 0;

	if (la != lb || la == 0)
		return 0;
	for (i = 0; i < la; i++)
		d |= (unsigned char)(a[i] ^ b[i]);
	return d == 0;
}

static int
auth_read_token(const char *path, char *out, size_t outlen, char *err, size_t errlen)
{
	FILE *f;
	size_t n;

	if ((f = fopen(path, "r")) == NULL)
		return -1;
	if (fgets(out, (int)outlen, f) == NULL) {
		fclose(f);
		snprintf(err, errlen, "%s: empty token file", path);
		return -2;
	}
	fclose(f);
	n = strcspn(out, "\r\n \t");
	out[n] = '\0';
	if (n < AUTH_TOKEN_MIN) {
		snprintf(err, errlen, "%s: token shorter than %d characters", path, AUTH_TOKEN_MIN);
		return -2;
	}
	return 0;
}

static int
auth_create_token(const char *path, char *out, size_t outlen, char *err, size_t errlen)
{
	unsigned char r[AUTH_TOKEN_BYTES];
	char line[2 * AUTH_TOKEN_BYTES + 2];
	size_t i;
	int fd;

	arc4random_buf(r, sizeof(r));
	for (i = 0; i < sizeof(r); i++)
		snprintf(line + 2 * i, 3, "%02x", r[i]);
	line[2 * AUTH_TOKEN_BYTES] = '\n';
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (util_write_all(fd, line, 2 * AUTH_TOKEN_BYTES + 1) < 0 || close(fd) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		unlink(path);
		return -1;
	}
	line[2 * AUTH_TOKEN_BYTES] = '\0';
	strlcpy(out, line, outlen);
	return 0;
}

static void
auth_free_table(struct gw_scoped *t, size_t n)
{
	size_t i, j;

	for (i = 0; i < n; i++) {
		for (j = 0; j < t[i].nsessions; j++)
			free(t[i].sessions[j]);
		free(t[i].sessions);
	}
	free(t);
}

/* Reads the scoped tokens file into a new table; a missing file is an empty table. */
static int
auth_load_scoped(const char *path, struct gw_scoped **out, size_t *nout, char *err, size_t errlen)
{
	FILE *f;
	char line[AUTH_LINE_MAX], *tok, *list, *sid, *save;
	struct gw_scoped *t = NULL, *sc, *n;
	size_t nt = 0;
	struct stat st;
	int lineno = 0;

	*out = NULL;
	*nout = 0;
	if ((f = fopen(path, "r")) == NULL) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fileno(f), &st) == 0 && (st.st_mode & 077) != 0)
		log_warnx("tokens_mode", "%s: %s is readable by others; it should be mode 0600",
			  __func__, path);
	while (fgets(line, sizeof(line), f) != NULL) {
		lineno++;
		line[strcspn(line, "\r\n")] = '\0';
		if (line[0] == '#' || line[strspn(line, " \t")] == '\0')
			continue;
		tok = strtok_r(line, " \t", &save);
		list = strtok_r(NULL, " \t", &save);
		if (tok == NULL || list == NULL || strlen(tok) < AUTH_TOKEN_MIN ||
		    strlen(tok) >= GW_TOKEN_MAX) {
			snprintf(err, errlen, "%s:%d: expected \"<token> <session>[,...]\"", path,
				 lineno);
			goto fail;
		}
		if ((n = reallocarray(t, nt + 1, sizeof(*n))) == NULL)
			goto nomem;
		t = n;
		sc = &t[nt++];
		memset(sc, 0, sizeof(*sc));
		strlcpy(sc->token, tok, sizeof(sc->token));
		for (sid = strtok_r(list, ",", &save); sid != NULL;
		     sid = strtok_r(NULL, ",", &save)) {
			char **ns = reallocarray(sc->sessions, sc->nsessions + 1, sizeof(*ns));
			if (ns == NULL)
				goto nomem;
			sc->sessions = ns;
			if ((sc->sessions[sc->nsessions] = strdup(sid)) == NULL)
				goto nomem;
			sc->nsessions++;
		}
	}
	if (ferror(f)) {
		snprintf(err, errlen, "%s: read error", path);
		goto fail;
	}
	fclose(f);
	*out = t;
	*nout = nt;
	return 0;
nomem:
	snprintf(err, errlen, "out of memory");
fail:
	fclose(f);
	auth_free_table(t, nt);
	return -1;
}

/* Reads the access token file into out; creates it when create is set and it is missing. */
static int
auth_token_file(struct gw *gw, int create, char *out, size_t outlen, char *err, size_t errlen)
{
	int r;

	r = auth_read_token(gw->cfg.token_file, out, outlen, err, errlen);
	if (r == -2)
		return -1;
	if (r == -1) {
		if (errno != ENOENT || !create) {
			snprintf(err, errlen, "%s: %s", gw->cfg.token_file, strerror(errno));
			return -1;
		}
		if (auth_create_token(gw->cfg.token_file, out, outlen, err, errlen) < 0)
			return -1;
		log_info("%s: created access token file %s", __func__, gw->cfg.token_file);
	}
	return 0;
}

int
auth_load(struct gw *gw, char *err, size_t errlen)
{
	err[0] = '\0';
	auth_free_table(gw->scoped, gw->nscoped);
	gw->scoped = NULL;
	gw->nscoped = 0;
	if (!gw->cfg.tokens)
		return 0;
	if (auth_token_file(gw, 1, gw->token, sizeof(gw->token), err, errlen) < 0)
		return -1;
	return auth_load_scoped(gw->cfg.tokens_file, &gw->scoped, &gw->nscoped, err, errlen);
}

int
auth_reload(struct gw *gw, char *err, size_t errlen)
{
	char token[GW_TOKEN_MAX];
	struct gw_scoped *t;
	size_t nt;

	err[0] = '\0';
	if (!gw->cfg.tokens)
		return 0;
	if (auth_token_file(gw, 0, token, sizeof(token), err, errlen) < 0)
		return -1;
	if (auth_load_scoped(gw->cfg.tokens_file, &t, &nt, err, errlen) < 0)
		return -1;
	/* sessions hold copies of their scope: the old table can go */
	auth_free_table(gw->scoped, gw->nscoped);
	gw->scoped = t;
	gw->nscoped = nt;
	strlcpy(gw->token, token, sizeof(gw->token));
	explicit_bzero(token, sizeof(token));
	return 0;
}

void
auth_free(struct gw *gw)
{
	auth_free_table(gw->scoped, gw->nscoped);
	gw->scoped = NULL;
	gw->nscoped = 0;
}

int
auth_token(struct gw *gw, const char *token, const struct gw_scoped **scoped)
{
	size_t i;

	*scoped = NULL;
	if (gw->token[0] != '\0' && auth_eq(token, gw->token))
		return 1;
	for (i = 0; i < gw->nscoped; i++) {
		if (auth_eq(token, gw->scoped[i].token)) {
			*scoped = &gw->scoped[i];
			return 2;
		}
	}
	return 0;
}

int
auth_origin(struct gw *gw, const struct http_request *req)
{
	const char *origin, *host, *scheme;
	size_t ol, hl, i, sl;

	if (!gw->cfg.origin_check)
		return 1;
	if ((origin = http_header(req, "origin", &ol)) == NULL)
		return 1; /* not a browser */
	for (i = 0; i < gw->cfg.norigins; i++)
		if (strlen(gw->cfg.origins[i]) == ol &&
		    strncasecmp(gw->cfg.origins[i], origin, ol) == 0)
			return 1;
	if ((host = http_header(req, "host", &hl)) == NULL)
		return 0;
	/* own origin: the listener's scheme and the Host header */
	scheme = gw->ssl_ctx != NULL ? "https://" : "http://";
	sl = strlen(scheme);
	if (ol <= sl || strncasecmp(origin, scheme, sl) != 0)
		return 0;
	return ol - sl == hl && strncasecmp(origin + sl, host, hl) == 0;
}

int
auth_http(struct gw *gw, const struct http_request *req, const char *query, size_t qlen,
	  const struct gw_scoped **scoped)
{
	const char *a;
	size_t al;
	char tok[GW_TOKEN_MAX];
	int k;

	*scoped = NULL;
	if ((a = http_header(req, "authorization", &al)) != NULL && al > 7 &&
	    strncasecmp(a, "Bearer ", 7) == 0 && al - 7 < sizeof(tok)) {
		memcpy(tok, a + 7, al - 7);
		tok[al - 7] = '\0';
	} else if (http_query_get(query, qlen, "token", tok, sizeof(tok)) < 0)
		return 0;
	k = auth_token(gw, tok, scoped);
	return k != 0;
}
