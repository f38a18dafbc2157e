/*
 * fuzz_config.c: configuration files (JSON and YAML) and environments.
 *
 * The input is loaded as a config file (through a memfd, so no disk I/O)
 * and, split on newlines, as an environment.  Either may fail, neither may
 * crash; an error always says something; config_dump() always gives JSON.
 */
/* fuzz-srcs: common/config.c common/config_keys.c common/util.c common/paths.c common/compat.c */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <json-c/json.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int fd = -1;
	static char path[64];
	char err[512], *env, *envp[64], *dump, *s;
	struct config *cfg;
	json_object *o;
	int n = 0;

	if (fd == -1) {
		if ((fd = memfd_create("fuzz_config", 0)) == -1)
			abort();
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	}
	if (ftruncate(fd, 0) != 0 || pwrite(fd, data, size, 0) != (ssize_t)size)
		abort();
	if ((cfg = config_new()) == NULL)
		abort();
	err[0] = '\0';
	if (config_load_file(cfg, path, err, sizeof(err)) != 0 && err[0] == '\0')
		abort();

	/* The same bytes as environment variables. */
	if ((env = malloc(size + 1)) == NULL)
		abort();
	memcpy(env, data, size);
	env[size] = '\0';
	for (s = strtok(env, "\n"); s != NULL && n < 63; s = strtok(NULL, "\n"))
		envp[n++] = s;
	envp[n] = NULL;
	err[0] = '\0';
	if (config_load_env(cfg, envp, err, sizeof(err)) != 0 && err[0] == '\0')
		abort();
	free(env);

	if ((dump = config_dump(cfg)) == NULL || (o = json_tokener_parse(dump)) == NULL)
		abort();
	json_object_put(o);
	free(dump);
	config_free(cfg);
	return 0;
}
