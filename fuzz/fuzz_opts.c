/*
 * fuzz_opts.c - the command-line parser.
 *
 * The input is split at NUL bytes into arguments after "kubecapscan" (so
 * "-f\0pods.json" is `kubecapscan -f pods.json`), at most MAX_ARGS of them.
 * kcs_opts_parse() must never crash, must fill the error on failure, and on
 * success must leave options that main.c can trust: -f paths pointing into
 * argv strings, at most KCS_MAX_FILES of them, -A and -n not both, live
 * exactly when no -f was given, one to KCS_MAX_OUTPUTS reports with at most
 * one on standard output and no two into the same file (unless --help or
 * --version stopped the checks), a chunk size within its documented range.
 * Every argument is also tried as a --request-timeout duration.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kcs/opts.h"
#include "fuzz.h"
#include "kcs/banned.h"

/* Most arguments built from one input (past KCS_MAX_FILES -f pairs). */
#define MAX_ARGS (2 * KCS_MAX_FILES + 16)

/* Does `p` point into one of argv[1..argc-1] ("-fFILE" gives argv[i] + 2)? */
static int in_argv(const char *p, int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++)
		if (p >= argv[i] && p <= argv[i] + strlen(argv[i]))
			return 1;
	return 0;
}

static void check_opts(const struct kcs_opts *o, int argc, char **argv)
{
	size_t i, j, n_stdout = 0;

	FUZZ_CHECK(o->n_files <= KCS_MAX_FILES);
	for (i = 0; i < o->n_files; i++)
		FUZZ_CHECK(in_argv(o->files[i], argc, argv));
	FUZZ_CHECK(o->n_outputs <= KCS_MAX_OUTPUTS);
	FUZZ_CHECK(o->chunk_size <= 100000);
	FUZZ_CHECK(o->request_timeout_ms >= 0);
	FUZZ_CHECK(!o->output_file || o->output_file[0]);
	if (o->help || o->version)
		return;
	/* One report per -o (a table by default), at most one on stdout,
	 * never two into one file. */
	FUZZ_CHECK(o->n_outputs >= 1);
	for (i = 0; i < o->n_outputs; i++) {
		const char *p = o->outputs[i].path;

		FUZZ_CHECK(o->outputs[i].format < KCS_FORMAT_COUNT);
		FUZZ_CHECK(!p || p[0]);
		n_stdout += !p;
		for (j = i + 1; p && j < o->n_outputs; j++)
			FUZZ_CHECK(!o->outputs[j].path ||
				   strcmp(p, o->outputs[j].path) != 0);
	}
	FUZZ_CHECK(n_stdout <= 1);
	FUZZ_CHECK(!(o->all_namespaces && o->namespace));
	FUZZ_CHECK(!o->namespace || o->namespace[0]);
	FUZZ_CHECK(o->live == (o->n_files == 0));
	/* with -f, -n only names the namespace of manifest objects */
	if (!o->live)
		FUZZ_CHECK(!o->all_namespaces && !o->kubeconfig && !o->context &&
			   !o->probe_admission && !o->runtime_aware);
	FUZZ_CHECK(!o->fail_on_new || o->baseline);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kcs_opts opts;
	struct kcs_error err = KCS_ERROR_INIT;
	char *argv[MAX_ARGS + 2], *copy;
	size_t i, start = 0;
	int argc = 0;
	long ms;
	enum kcs_err rc;

	/* One NUL-terminated copy; each argument points into it. */
	copy = malloc(size + 1);
	FUZZ_CHECK(copy != NULL);
	memcpy(copy, data, size);
	copy[size] = '\0';
	argv[argc++] = "kubecapscan";
	for (i = 0; i <= size && argc <= MAX_ARGS; i++) {
		if (i < size && copy[i] != '\0')
			continue;
		if (i > start || i < size) /* no empty tail argument */
			argv[argc++] = copy + start;
		start = i + 1;
	}
	argv[argc] = NULL;

	for (i = 1; i < (size_t)argc; i++)
		if (kcs_parse_duration_ms(argv[i], &ms) == 0)
			FUZZ_CHECK(ms >= 0);

	kcs_opts_init(&opts);
	opts.prog = "kubecapscan";
	rc = kcs_opts_parse(&opts, argc, argv, &err);
	FUZZ_CHECK(rc == err.code);
	if (rc == KCS_OK)
		check_opts(&opts, argc, argv);
	else
		FUZZ_CHECK(rc == KCS_ERR_USAGE && err.msg[0] != '\0');

	free(copy);
	return 0;
}
