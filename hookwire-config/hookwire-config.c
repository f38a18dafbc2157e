/*
 * hookwire-config: the configuration file from the shell (hookwire-config(1)).
 *
 *   check     read it as the tools do (defaults, file, environment): say what
 *             is wrong (exit 100) or which keys of an older layout it uses
 *   migrate   rewrite it for the current layout (config_migrate_text()),
 *             comments and order kept; the old file stays beside it
 *   show      the configuration in effect, as JSON
 *
 * The file is the one the tools read: -c, else $HOOKWIRE_CONFIG, else the
 * default file (hookwire.conf(5)).  hookwire config ... runs this.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "util.h"

extern char **environ;

#define HWCONFIG_FILE_MAX (1024 * 1024) /* as config.c reads at most */

static void __attribute__((noreturn)) usage(int code)
{
	fprintf(code ? stderr : stdout,
		"usage: hookwire-config [-hV] [-c file] check\n"
		"       hookwire-config [-c file] migrate [-n | --dry-run]\n"
		"       hookwire-config [-c file] show\n");
	exit(code);
}

/* The file the tools would read, into buf; NULL: none. */
static const char *
hwconfig_path(const char *flag, char *buf, size_t len)
{
	const char *env = getenv("HOOKWIRE_CONFIG");

	if (flag != NULL)
		return flag;
	if (env != NULL)
		return env[0] != '\0' ? env : NULL;
	return config_default_path(environ, buf, len);
}

/* Reads path whole (at most HWCONFIG_FILE_MAX bytes); a new string, or NULL. */
static char *
hwconfig_read(const char *path, size_t *len, mode_t *mode)
{
	struct stat st;
	char *buf = NULL;
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1 || fstat(fd, &st) == -1 ||
	    !S_ISREG(st.st_mode) || st.st_size > HWCONFIG_FILE_MAX ||
	    (buf = malloc((size_t)st.st_size + 1)) == NULL) {
		if (fd != -1)
			close(fd);
		return NULL;
	}
	*len = 0;
	while (*len < (size_t)st.st_size &&
	       (n = read(fd, buf + *len, (size_t)st.st_size - *len)) > 0)
		*len += (size_t)n;
	close(fd);
	buf[*len] = '\0';
	*mode = st.st_mode & 07777;
	return buf;
}

/* Writes text to path atomically (a temporary file beside it, synced,
 * renamed over it), with mode.  Returns 0 or -1 (errno). */
static int
hwconfig_write(const char *path, const char *text, size_t len, mode_t mode)
{
	char tmp[PATH_MAX];
	int fd;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid()) >= (int)sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)) == -1)
		return -1;
	if (util_write_all(fd, text, len) == -1 || fsync(fd) == -1 || close(fd) == -1 ||
	    rename(tmp, path) == -1) {
		int e = errno;
		unlink(tmp);
		errno = e;
		return -1;
	}
	return 0;
}

static int
hwconfig_migrate(const char *path, int dry)
{
	char *text, *out, err[512], keep[PATH_MAX];
	size_t len;
	mode_t mode;
	int changed;
	struct stat st;

	if ((text = hwconfig_read(path, &len, &mode)) == NULL) {
		fprintf(stderr, "hookwire-config: %s: %s\n", path,
			errno ? strerror(errno) : "not a regular file of at most 1 MiB");
		return EXIT_RUNTIME;
	}
	if ((out = config_migrate_text(text, len, &changed, err, sizeof(err))) == NULL) {
		fprintf(stderr, "hookwire-config: %s: %s\n", path, err);
		free(text);
		return EXIT_USAGE;
	}
	if (dry) {
		fputs(out, stdout);
	} else if (strcmp(out, text) == 0) {
		printf("%s: already layout version %d; nothing to change\n", path, CONFIG_VERSION);
	} else {
		/* the old file stays: path.v<its version>, never overwritten */
		snprintf(keep, sizeof(keep), "%s.before-v%d", path, CONFIG_VERSION);
		if (stat(keep, &st) == 0 || link(path, keep) == -1) {
			fprintf(stderr, "hookwire-config: %s: %s; nothing changed\n", keep,
				errno == 0 || errno == EEXIST ? "exists" : strerror(errno));
			free(text);
			free(out);
			return EXIT_RUNTIME;
		}
		if (hwconfig_write(path, out, strlen(out), mode) == -1) {
			fprintf(stderr, "hookwire-config: %s: %s; nothing changed\n", path,
				strerror(errno));
			unlink(keep);
			free(text);
			free(out);
			return EXIT_RUNTIME;
		}
		printf(
		    "%s: rewritten for layout version %d (%d key%s renamed); the old file is %s\n",
		    path, CONFIG_VERSION, changed, changed == 1 ? "" : "s", keep);
	}
	free(text);
	free(out);
	return EXIT_OK;
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {{"config", required_argument, NULL, 'c'},
						 {"dry-run", no_argument, NULL, 'n'},
						 {"help", no_argument, NULL, 'h'},
						 {"version", no_argument, NULL, 'V'},
						 {NULL, 0, NULL, 0}};
	const char *flag = NULL, *path, *cmd, *w;
	char buf[PATH_MAX], err[1024];
	struct config *cfg;
	int ch, dry = 0;

	while ((ch = getopt_long(argc, argv, "c:hnV", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			flag = optarg;
			break;
		case 'n':
			dry = 1;
			break;
		case 'h':
			usage(EXIT_OK);
		case 'V':
			printf("hookwire-config %s\n", HOOKWIRE_VERSION);
			return EXIT_OK;
		default:
			usage(EXIT_USAGE);
		}
	}
	if (optind >= argc)
		usage(EXIT_USAGE);
	cmd = argv[optind++];
	if (optind < argc || (dry && strcmp(cmd, "migrate") != 0) ||
	    (strcmp(cmd, "check") != 0 && strcmp(cmd, "migrate") != 0 && strcmp(cmd, "show") != 0))
		usage(EXIT_USAGE);
	path = hwconfig_path(flag, buf, sizeof(buf));
	if (strcmp(cmd, "migrate") == 0) {
		if (path == NULL) {
			fprintf(stderr, "hookwire-config: no configuration file to migrate\n");
			return EXIT_USAGE;
		}
		return hwconfig_migrate(path, dry);
	}
	if ((cfg = config_new()) == NULL) {
		fprintf(stderr, "hookwire-config: out of memory\n");
		return EXIT_SYSCALL;
	}
	if (config_load(cfg, flag, environ, err, sizeof(err)) == -1) {
		fprintf(stderr, "hookwire-config: %s\n", err);
		config_free(cfg);
		return EXIT_USAGE;
	}
	w = config_warnings(cfg);
	if (strcmp(cmd, "show") == 0) {
		char *j = config_dump(cfg);
		if (j != NULL)
			puts(j);
		free(j);
	} else {
		printf("%s: %s", path != NULL ? path : "(no file: the defaults)",
		       *w != '\0' ? "good, with keys of an older layout:\n" : "good\n");
		fputs(w, stdout);
	}
	config_free(cfg);
	return EXIT_OK;
}
