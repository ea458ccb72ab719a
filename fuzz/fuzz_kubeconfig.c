/*
 * fuzz_kubeconfig.c - kubeconfig loading (libyaml, merging, resolving).
 *
 * The input is split at NUL bytes (YAML cannot hold a raw NUL, so nothing
 * is lost): part 0 is a kubeconfig; part 1, if present, a second one merged
 * after it through a $KUBECONFIG list; part 2 the --context and part 3 the
 * -n namespace asked for. Each kubeconfig lives in a memfd, reached through
 * a symlink in a private directory made once per process: relative paths
 * in the file then resolve inside that directory, not in /proc/self/fd,
 * where a path like "1" would open our own stdout and block. $HOME is that
 * directory (no .kube/config) and there is no in-cluster environment, so
 * nothing outside the input is ever loaded. Standard input is /dev/null,
 * so a fuzzed "token-file: /dev/stdin" cannot block either.
 *
 * On success the result must keep the promises of config.h: a server URL
 * with an http(s) scheme, a client key exactly when a client certificate,
 * no CA with insecure-skip-tls-verify, exec lists NULL-terminated.
 * Release must leave the struct zeroed.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kcs/config.h"
#include "fuzz.h"
#include "kcs/banned.h"

/* Input parts: two files, the context, the namespace. */
#define N_PARTS 4

static char dir[64];          /* private directory, "" until made */
static char files[2][128];    /* dir/config-0, dir/config-1 */
static char list[300];        /* "files[0]:files[1]" for $KUBECONFIG */
static char no_sa[128];       /* a service-account dir that is absent */

static void cleanup(void)
{
	unlink(files[0]);
	unlink(files[1]);
	rmdir(dir);
}

static void init_once(void)
{
	int fd;

	if (dir[0])
		return;
	snprintf(dir, sizeof(dir), "/tmp/kcs-fuzz-kubeconfig-XXXXXX");
	FUZZ_CHECK(mkdtemp(dir) != NULL);
	snprintf(files[0], sizeof(files[0]), "%s/config-0", dir);
	snprintf(files[1], sizeof(files[1]), "%s/config-1", dir);
	snprintf(list, sizeof(list), "%s:%s", files[0], files[1]);
	snprintf(no_sa, sizeof(no_sa), "%s/no-serviceaccount", dir);
	atexit(cleanup);
	fd = open("/dev/null", O_RDONLY);
	FUZZ_CHECK(fd >= 0 && dup2(fd, 0) == 0);
	close(fd);
}

/* Put `len` bytes in a fresh memfd linked from `link`; returns the fd. */
static int publish(const char *link, const void *data, size_t len)
{
	int fd = memfd_create("kubeconfig", MFD_CLOEXEC);
	char target[64];
	size_t off = 0;
	ssize_t n;

	FUZZ_CHECK(fd >= 0);
	while (off < len) {
		n = write(fd, (const char *)data + off, len - off);
		FUZZ_CHECK(n > 0);
		off += (size_t)n;
	}
	snprintf(target, sizeof(target), "/proc/self/fd/%d", fd);
	unlink(link);
	FUZZ_CHECK(symlink(target, link) == 0);
	return fd;
}

/* URL schemes are case-insensitive (RFC 3986), as kubeconfig.c reads them. */
static int has_scheme(const char *s, const char *p)
{
	return strncasecmp(s, p, strlen(p)) == 0;
}

static void check_strv(char **v, size_t n)
{
	size_t i;

	FUZZ_CHECK(v != NULL);
	for (i = 0; i < n; i++)
		FUZZ_CHECK(v[i] != NULL);
	FUZZ_CHECK(v[n] == NULL);
}

static void check_config(const struct kcs_restconfig *c)
{
	FUZZ_CHECK(c->server != NULL);
	FUZZ_CHECK(has_scheme(c->server, "https://") ||
		   has_scheme(c->server, "http://"));
	FUZZ_CHECK(c->namespace != NULL && c->namespace[0]);
	FUZZ_CHECK(!c->insecure || !c->ca.data);
	FUZZ_CHECK(!c->client_cert.data == !c->client_key.data);
	FUZZ_CHECK(!c->exec || !c->token);
	if (c->exec) {
		size_t i;

		FUZZ_CHECK(c->exec->command && c->exec->command[0]);
		check_strv(c->exec->args, c->exec->n_args);
		check_strv(c->exec->env, c->exec->n_env);
		for (i = 0; i < c->exec->n_env; i++)
			FUZZ_CHECK(strchr(c->exec->env[i], '=') != NULL);
	}
}

/* Split at NULs into at most N_PARTS parts, copied NUL-terminated. */
static size_t split(const uint8_t *data, size_t size, char *parts[N_PARTS],
		    size_t lens[N_PARTS])
{
	size_t n = 0, start = 0, i;

	for (i = 0; i <= size && n < N_PARTS; i++) {
		if (i < size && (data[i] != '\0' || n == N_PARTS - 1))
			continue;
		lens[n] = i - start;
		parts[n] = malloc(lens[n] + 1);
		FUZZ_CHECK(parts[n] != NULL);
		memcpy(parts[n], data + start, lens[n]);
		parts[n][lens[n]] = '\0';
		n++;
		start = i + 1;
	}
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kcs_config_request req = { 0 };
	struct kcs_restconfig cfg, zero;
	struct kcs_error err = KCS_ERROR_INIT;
	char *parts[N_PARTS] = { NULL };
	size_t lens[N_PARTS] = { 0 };
	int fds[2] = { -1, -1 };
	enum kcs_err rc;
	size_t n, i;

	init_once();
	n = split(data, size, parts, lens);
	fds[0] = publish(files[0], parts[0], lens[0]);
	if (n > 1) {
		fds[1] = publish(files[1], parts[1], lens[1]);
		req.env_kubeconfig = list;
	} else {
		req.kubeconfig = files[0];
	}
	if (n > 2 && lens[2])
		req.context = parts[2];
	if (n > 3 && lens[3])
		req.namespace = parts[3];
	req.env_home = dir;
	req.sa_dir = no_sa;

	rc = kcs_config_load(&req, &cfg, &err);
	FUZZ_CHECK(rc == err.code);
	if (rc == KCS_OK)
		check_config(&cfg);
	else
		FUZZ_CHECK(err.msg[0] != '\0');
	kcs_restconfig_release(&cfg);
	memset(&zero, 0, sizeof(zero));
	FUZZ_CHECK(memcmp(&cfg, &zero, sizeof(cfg)) == 0);

	for (i = 0; i < 2; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	for (i = 0; i < n; i++)
		free(parts[i]);
	return 0;
}
