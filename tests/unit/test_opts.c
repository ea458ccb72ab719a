/*
 * test_opts.c - the command line (opts.c): parsing, errors, the table and
 * --help generated from it.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <criterion/criterion.h>

#include "kcs/opts.h"

#define MAX_ARGS 600

/* argv for one parse; getopt permutes the pointers, so it is a copy. */
struct args {
	int argc;
	char *argv[MAX_ARGS + 2];
};

/* Parse a NULL-terminated list of arguments (argv[0] is added). */
static enum kcs_err parse_list(struct kcs_opts *o, struct kcs_error *err,
			       const char *const *list)
{
	static struct args a; /* optarg pointers stay valid after return */
	int i;

	memset(&a, 0, sizeof(a));
	a.argv[a.argc++] = (char *)"kubecapscan";
	for (i = 0; list[i]; i++) {
		cr_assert_lt(a.argc, MAX_ARGS);
		a.argv[a.argc++] = (char *)list[i];
	}
	kcs_opts_init(o);
	kcs_error_clear(err);
	return kcs_opts_parse(o, a.argc, a.argv, err);
}

#define PARSE(o, err, ...) parse_list(o, err, (const char *const[]){ __VA_ARGS__, NULL })

/* git-style message: lowercase start, one line, no full stop. */
static void assert_usage_msg(const struct kcs_error *err, const char *must_name)
{
	size_t n = strlen(err->msg);

	cr_expect_eq(err->code, KCS_ERR_USAGE);
	cr_assert_gt(n, 0, "empty message");
	cr_expect(!isupper((unsigned char)err->msg[0]), "'%s' starts upper-case", err->msg);
	cr_expect(err->msg[n - 1] != '.', "'%s' ends with a full stop", err->msg);
	cr_expect(strchr(err->msg, '\n') == NULL, "'%s' has a newline", err->msg);
	if (must_name)
		cr_expect(strstr(err->msg, must_name) != NULL, "'%s' does not name '%s'",
			  err->msg, must_name);
}

Test(opts, defaults)
{
	struct kcs_opts o;
	struct kcs_error err = KCS_ERROR_INIT;

	cr_assert_eq(PARSE(&o, &err, "-f", "pods.json"), KCS_OK, "%s", err.msg);
	cr_expect_eq(o.n_files, 1);
	cr_expect_str_eq(o.files[0], "pods.json");
	cr_expect_eq(o.n_outputs, 1);
	cr_expect_eq(o.outputs[0].format, KCS_FORMAT_TABLE);
	cr_expect_null(o.outputs[0].path);
	cr_expect_null(o.output_file);
	cr_expect_eq(o.exit_zero, 0);
	cr_expect_null(o.cluster_name);
	cr_expect_str_eq(o.control->id, "5.2.8");
	cr_expect_eq(o.psa_default.level, KCS_PSA_PRIVILEGED);
	cr_expect_eq(o.psa_default.version.latest, 1);
	cr_expect_eq(o.help, 0);
	cr_expect_eq(o.version, 0);
	cr_expect_eq(o.verbose, 0);
	cr_expect_eq(o.live, 0);
	cr_expect_eq(o.request_timeout_ms, KCS_DEFAULT_REQUEST_TIMEOUT_MS);
	cr_expect_eq(o.chunk_size, KCS_OPTS_DEFAULT_CHUNK_SIZE);
	cr_expect_eq(o.exec_plugins_allowed, 1);
	cr_expect_eq(o.all_namespaces, 0);
	cr_expect_null(o.namespace);
}

/* Every spelling of -f, in order, with '-' for standard input. */
Test(opts, filename)
{
	struct kcs_opts o;
	struct kcs_error err = KCS_ERROR_INIT;

	cr_assert_eq(PARSE(&o, &err, "-f", "a.json", "--filename", "b.json",
			   "--filename=c.json", "-fd.json", "-f", "-"), KCS_OK, "%s", err.msg);
	cr_assert_eq(o.n_files, 5);
	cr_expect_str_eq(o.files[0], "a.json");
	cr_expect_str_eq(o.files[1], "b.json");
	cr_expect_str_eq(o.files[2], "c.json");
	cr_expect_str_eq(o.files[3], "d.json");
	cr_expect_str_eq(o.files[4], "-");
}

Test(opts, filename_limit)
{
	static const char *list[2 * (KCS_MAX_FILES + 1) + 1];
	struct kcs_opts o;
	struct kcs_error err = KCS_ERROR_INIT;
	size_t i;

	for (i = 0; i < KCS_MAX_FILES; i++) {
		list[2 * i] = "-f";
		list[2 * i + 1] = "x.json";
	}
	list[2 * KCS_MAX_FILES] = NULL;
	cr_expect_eq(parse_list(&o, &err, list), KCS_OK, "%s", err.msg);
	cr_expect_eq(o.n_files, KCS_MAX_FILES);
	list[2 * KCS_MAX_FILES] = "-f";
	list[2 * KCS_MAX_FILES + 1] = "one-too-many.json";
	list[2 * KCS_MAX_FILES + 2] = NULL;
	cr_expect_eq(parse_list(&o, &err, list), KCS_ERR_USAGE);
	assert_usage_msg(&err, NULL);
}

Test(opts, output_format)
{
	static const struct {
		const char *a, *b;
		enum kcs_format want;
	} ok[] = {
		{ "-o", "json", KCS_FORMAT_JSON },
		{ "-o", "table", KCS_FORMAT_TABLE },
		{ "--output", "json", KCS_FORMAT_JSON },
		{ "--output=json", NULL, KCS_FORMAT_JSON },
		{ "-ojson", NULL, KCS_FORMAT_JSON },
	};
	static const char *const bad[] = { "yaml", "JSON", "Table", "", "json ", "wide" };
	struct kcs_opts o;
	struct kcs_error err = KCS_ERROR_INIT;
	size_t i;

	for (i = 0; i < KCS_ARRAY_SIZE(ok); i++) {
		const char *list[] = { "-f", "x", ok[i].a, ok[i].b, NULL };

		cr_expect_eq(parse_list(&o, &err, list), KCS_OK, "%s %s: %s", ok[i].a,
			     ok[i].b ? ok[i].b : "", err.msg);
		cr_expect_eq(o.n_outputs, 1);
		cr_expect_eq(o.outputs[0].format, ok[i].want, "%s %s", ok[i].a,
			     ok[i].b ? ok[i].b : "");
	}
	/* two reports for standard output are refused */
	cr_expect_eq(PARSE(&o, &err, "-f", "x", "-o", "json", "-o", "table"),
		     KCS_ERR_USAGE);
	assert_usage_msg(&err, "standard output");
	/* one to stdout, one to a file */
	cr_expect_eq(PARSE(&o, &err, "-f", "x", "-o", "json=r.json", "-o", "table"),
		     KCS_OK, "%s", err.msg);
	cr_expect_eq(o.n_outputs, 2);
	cr_expect_str_eq(o.outputs[0].path, "r.json");
	cr_expect_eq(o.outputs[0].format, KCS_FORMAT_JSON);
	cr_expect_null(o.outputs[1].path);
	/* --output-file names the report without =PATH */
	cr_expect_eq(PARSE(&o, &err, "-f", "x", "-o", "json", "--output-file", "o.json"),
		     KCS_OK, "%s", err.msg);
	cr_expect_str_eq(o.outputs[0].path, "o.json");
	cr_expect_eq(PARSE(&o, &err, "-f", "x", "-o", "json=a", "--output-file", "b"),
		     KCS_ERR_USAGE);
	assert_usage_msg(&err, "--output-file");
	cr_expect_eq(PARSE(&o, &err, "-f", "x", "-o", "json=a", "-o", "table=a"),
		     KCS_ERR_USAGE);
	assert_usage_msg(&err, "same file");
	cr_expect_eq(PARSE(&o, &err, "-f", "x", "-o", "json="), KCS_ERR_USAGE);
	for (i = 0; i < KCS_ARRAY_SIZE(bad); i++) {
		cr_expect_eq(PARSE(&o, &err, "-f", "x", "-o", bad[i]), KCS_ERR_USAGE,
			     "-o '%s'", bad[i]);
		assert_usage_msg(&err, "format");
	}
	cr_expect_eq(PARSE(&o, &err, "-f", "x", "-o", "yaml"), KCS_ERR_USAGE);
	assert_usage_msg(&err, "'yaml'");
}

Test(opts, output_file)
{
	struct kcs_opts o;
	struct kcs_error err = KCS_ERROR_INIT;

	cr_expect_eq(PARSE(&o, &err, "-f", "x", "--output-file", "out.json"), KCS_OK);
	cr_expect_str_eq(o.output_file, "out.json");
	cr_expect_eq(PARSE(&o, &err, "-f", "x", "--output-file=r.txt"), KCS_OK);
	cr_expect_str_eq(o.output_file, "r.txt");
	cr_expect_eq(PARSE(&o, &err, "-f", "x", "--output-file="), KCS_ERR_USAGE);
	assert_usage_msg(&err, "--output-file");
}

Test(opts, psa_default_enforce)
{
	static const char *const bad[] = {
		"", "Restricted", "restricted:", "restricted:v1.022",
		"restricted:V1.22", "strict", "baseline:v2.0", ":latest",
	};
	struct kcs_opts o;
	struct kcs_error err = KCS_ERROR_INIT;
	size_t i;

	cr_assert_eq(PARSE(&o, &err, "-f", "x", "--psa-default-enforce", "restricted:v1.25"),
		     KCS_OK, "%s", err.msg);
	cr_expect_eq(o.psa_default.level, KCS_PSA_RESTRICTED);
	cr_expect_eq(o.psa_default.version.latest, 0);
	cr_expect_eq(o.psa_default.version.minor, 25);
	cr_assert_eq(PARSE(&o, &err, "-f", "x", "--psa-default-enforce=baseline"), KCS_OK);
	cr_expect_eq(o.psa_default.level, KCS_PSA_BASELINE);
	cr_expect_eq(o.psa_default.version.latest, 1);
	for (i = 0; i < KCS_ARRAY_SIZE(bad); i++) {
		cr_expect_eq(PARSE(&o, &err, "-f", "x", "--psa-default-enforce", bad[i]),
			     KCS_ERR_USAGE, "'%s'", bad[i]);
		assert_usage_msg(&err, "--psa-default-enforce");
	}
}

Test(opts, verbose_counts)
{
	struct kcs_opts o;
	struct kcs_error err = KCS_ERROR_INIT;

	cr_expect_eq(PARSE(&o, &err, "-v", "-f", "x", "--verbose", "-vv"), KCS_OK);
	cr_expect_eq(o.verbose, 4);
}

Test(opts, live_options)
{
	struct kcs_opts o;
	struct kcs_error err = KCS_ERROR_INIT;

	/* no -f: scan the cluster (live mode) */
	cr_assert_eq(PARSE(&o, &err, "-A", "--kubeconfig", "/k", "--context", "ctx",
			   "--request-timeout", "1m30s", "--chunk-size", "0",
			   "--exec-plugins", "deny"), KCS_OK, "%s", err.msg);
	cr_expect_eq(o.live, 1);
	cr_expect_eq(o.all_namespaces, 1);
	cr_expect_str_eq(o.kubeconfig, "/k");
	cr_expect_str_eq(o.context, "ctx");
	cr_expect_eq(o.request_timeout_ms, 90000);
	cr_expect_eq(o.chunk_size, 0);
	cr_expect_eq(o.exec_plugins_allowed, 0);

	cr_assert_eq(PARSE(&o, &err, "-n", "team-a", "--all-namespaces=", "--exec-plugins=allow"),
		     KCS_ERR_USAGE, "--all-namespaces takes no argument");
	cr_assert_eq(PARSE(&o, &err, "-n", "team-a", "--exec-plugins=allow",
			   "--chunk-size=100000"), KCS_OK, "%s", err.msg);
	cr_expect_str_eq(o.namespace, "team-a");
	cr_expect_eq(o.exec_plugins_allowed, 1);
	cr_expect_eq(o.chunk_size, 100000);

	/* -A and -n exclude each other; -f excludes cluster options */
	cr_expect_eq(PARSE(&o, &err, "-A", "-n", "x"), KCS_ERR_USAGE);
	assert_usage_msg(&err, NULL);
	cr_expect_eq(PARSE(&o, &err, "-f", "x", "-A"), KCS_ERR_USAGE);
	assert_usage_msg(&err, NULL);
	cr_expect_eq(PARSE(&o, &err, "-f", "x", "--context", "c"), KCS_ERR_USAGE);
	cr_expect_eq(PARSE(&o, &err, "-f", "x", "--kubeconfig", "k"), KCS_ERR_USAGE);
	/* with -f, -n is the namespace of manifest objects that name none */
	cr_expect_eq(PARSE(&o, &err, "-f", "x", "-n", "ns"), KCS_OK, "%s", err.msg);
	cr_expect_str_eq(o.namespace, "ns");
	/* bad values */
	cr_expect_eq(PARSE(&o, &err, "-n", ""), KCS_ERR_USAGE);
	cr_expect_eq(PARSE(&o, &err, "--chunk-size", "-1"), KCS_ERR_USAGE);
	cr_expect_eq(PARSE(&o, &err, "--chunk-size", "100001"), KCS_ERR_USAGE);
	cr_expect_eq(PARSE(&o, &err, "--chunk-size", "10x"), KCS_ERR_USAGE);
	cr_expect_eq(PARSE(&o, &err, "--chunk-size", ""), KCS_ERR_USAGE);
	cr_expect_eq(PARSE(&o, &err, "--chunk-size", "99999999999999999999999"), KCS_ERR_USAGE);
	cr_expect_eq(PARSE(&o, &err, "--exec-plugins", "Allow"), KCS_ERR_USAGE);
	assert_usage_msg(&err, "--exec-plugins");
	cr_expect_eq(PARSE(&o, &err, "--request-timeout", "soon"), KCS_ERR_USAGE);
	assert_usage_msg(&err, "--request-timeout");
}

Test(opts, durations)
{
	static const struct {
		const char *s;
		int rc;
		long ms;
	} cases[] = {
		{ "30s", 0, 30000 },
		{ "1m30s", 0, 90000 },
		{ "500ms", 0, 500 },
		{ "2h", 0, 7200000 },
		{ "1h1m1s1ms", 0, 3661001 },
		{ "0", 0, 0 },        /* no limit */
		{ "0s", 0, 0 },
		{ "10", 0, 10000 },   /* a bare number is seconds */
		{ "", -1, 0 },
		{ "s", -1, 0 },
		{ "1", 0, 1000 },
		{ "1x", -1, 0 },
		{ "-1s", -1, 0 },
		{ "1.5s", -1, 0 },
		{ "1m1", -1, 0 },     /* a number without a unit after a unit */
		{ " 1s", -1, 0 },
		{ "1s ", -1, 0 },
		{ "1S", -1, 0 },
		{ "9999999999", -1, 0 },  /* too many seconds */
		{ "999999999h", -1, 0 },  /* overflows */
		{ "1000000001ms", -1, 0 },
	};
	size_t i;

	for (i = 0; i < KCS_ARRAY_SIZE(cases); i++) {
		long ms = -42;
		int rc = kcs_parse_duration_ms(cases[i].s, &ms);

		cr_expect_eq(rc, cases[i].rc, "'%s': rc %d", cases[i].s, rc);
		if (!rc && !cases[i].rc)
			cr_expect_eq(ms, cases[i].ms, "'%s': %ld ms", cases[i].s, ms);
	}
}

/* --help and --version short-circuit: no input needed, nothing else checked. */
Test(opts, help_and_version)
{
	struct kcs_opts o;
	struct kcs_error err = KCS_ERROR_INIT;

	cr_expect_eq(PARSE(&o, &err, "--help"), KCS_OK, "%s", err.msg);
	cr_expect_eq(o.help, 1);
	cr_expect_eq(PARSE(&o, &err, "-h"), KCS_OK);
	cr_expect_eq(o.help, 1);
	cr_expect_eq(PARSE(&o, &err, "--version"), KCS_OK);
	cr_expect_eq(o.version, 1);
	cr_expect_eq(o.help, 0);
	/* even with options that would conflict */
	cr_expect_eq(PARSE(&o, &err, "-f", "x", "-A", "--help"), KCS_OK, "%s", err.msg);
	cr_expect_eq(o.help, 1);
	cr_expect_eq(PARSE(&o, &err, "--version", "-A", "-n", "x"), KCS_OK, "%s", err.msg);
	cr_expect_eq(o.version, 1);
}

Test(opts, missing_argument)
{
	static const char *const opts_with_arg[] = {
		"-f", "--filename", "-o", "--output", "--output-file",
		"--psa-default-enforce", "-n", "--namespace", "--kubeconfig",
		"--context", "--request-timeout", "--chunk-size", "--exec-plugins",
	};
	size_t i;

	for (i = 0; i < KCS_ARRAY_SIZE(opts_with_arg); i++) {
		struct kcs_opts o;
		struct kcs_error err = KCS_ERROR_INIT;

		cr_expect_eq(PARSE(&o, &err, "-f", "x", opts_with_arg[i]), KCS_ERR_USAGE,
			     "%s at the end", opts_with_arg[i]);
		assert_usage_msg(&err, opts_with_arg[i]);
		cr_expect(strstr(err.msg, "argument") != NULL, "%s", err.msg);
	}
}

Test(opts, unknown_option)
{
	static const struct {
		const char *arg, *must_name;
	} cases[] = {
		{ "-x", "-x" },
		{ "--bogus", "--bogus" },
		{ "--bogus=1", "--bogus" },
		{ "-Z", "-Z" },
		/* a known option given an argument it does not take */
		{ "--verbose=3", "--verbose" },
		{ "--version=1", "--version" },
		{ "--help=yes", "--help" },
	};
	size_t i;

	for (i = 0; i < KCS_ARRAY_SIZE(cases); i++) {
		struct kcs_opts o;
		struct kcs_error err = KCS_ERROR_INIT;

		cr_expect_eq(PARSE(&o, &err, "-f", "x", cases[i].arg), KCS_ERR_USAGE,
			     "%s", cases[i].arg);
		assert_usage_msg(&err, cases[i].must_name);
	}
}

Test(opts, stray_argument)
{
	struct kcs_opts o;
	struct kcs_error err = KCS_ERROR_INIT;

	cr_expect_eq(PARSE(&o, &err, "-f", "x", "pods.json"), KCS_ERR_USAGE);
	assert_usage_msg(&err, "pods.json");
	/* after "--" everything is an argument, and we take none */
	cr_expect_eq(PARSE(&o, &err, "-f", "x", "--", "-o"), KCS_ERR_USAGE);
}

/* Parsing twice in one process works (getopt state is reset). */
Test(opts, reparse)
{
	struct kcs_opts o;
	struct kcs_error err = KCS_ERROR_INIT;

	cr_expect_eq(PARSE(&o, &err, "-f", "a", "-o", "bogus"), KCS_ERR_USAGE);
	cr_expect_eq(PARSE(&o, &err, "-f", "b", "-o", "json"), KCS_OK, "%s", err.msg);
	cr_expect_eq(o.n_files, 1);
	cr_expect_str_eq(o.files[0], "b");
	cr_expect_eq(o.outputs[0].format, KCS_FORMAT_JSON);
	cr_expect_eq(PARSE(&o, &err, "-ojson", "-fc"), KCS_OK, "%s", err.msg);
	cr_expect_str_eq(o.files[0], "c");
	/* an error inside a cluster of short options leaves "v" pending... */
	cr_expect_eq(PARSE(&o, &err, "-f", "a", "-xv"), KCS_ERR_USAGE);
	/* ...which must not leak into the next parse */
	cr_expect_eq(PARSE(&o, &err, "-f", "d"), KCS_OK, "%s", err.msg);
	cr_expect_eq(o.verbose, 0);
	cr_expect_eq(o.n_files, 1);
}

Test(opts, table_sorted_unique)
{
	size_t n, i, j;
	const struct kcs_option *t = kcs_opts_table(&n);

	cr_assert_gt(n, 5);
	for (i = 0; i < n; i++) {
		cr_expect(t[i].long_name && t[i].long_name[0] && t[i].long_name[0] != '-',
			  "row %zu: bad long name", i);
		cr_expect(t[i].help && strlen(t[i].help) > 5, "--%s has no help", t[i].long_name);
		if (i)
			cr_expect_lt(strcmp(t[i - 1].long_name, t[i].long_name), 0,
				     "table not sorted at --%s", t[i].long_name);
		for (j = 0; j < i; j++) {
			cr_expect_str_neq(t[i].long_name, t[j].long_name);
			cr_expect(!t[i].short_name || t[i].short_name != t[j].short_name,
				  "-%c used twice", t[i].short_name);
			cr_expect_neq(t[i].id, t[j].id, "id of --%s used twice", t[i].long_name);
		}
	}
}

/* Every table row is in --help, and every row parses. */
Test(opts, help_lists_every_option)
{
	size_t n, i, len;
	const struct kcs_option *t = kcs_opts_table(&n);
	char *text = NULL;
	FILE *f = open_memstream(&text, &len);

	cr_assert(f != NULL);
	kcs_opts_help(f, "kubecapscan");
	cr_assert_eq(fclose(f), 0);
	for (i = 0; i < n; i++) {
		char want[128];

		snprintf(want, sizeof(want), "--%s", t[i].long_name);
		cr_expect(strstr(text, want) != NULL, "--help lacks %s", want);
		if (t[i].short_name) {
			snprintf(want, sizeof(want), "-%c, --%s", t[i].short_name, t[i].long_name);
			cr_expect(strstr(text, want) != NULL, "--help lacks %s", want);
		}
		if (t[i].arg) {
			snprintf(want, sizeof(want), "--%s %s", t[i].long_name, t[i].arg);
			cr_expect(strstr(text, want) != NULL, "--help lacks %s", want);
		}
		cr_expect(strstr(text, t[i].help) != NULL, "--help lacks the help of --%s",
			  t[i].long_name);
	}
	/* the exit statuses are documented */
	cr_expect(strstr(text, "Exit status") != NULL);
	for (i = KCS_EXIT_OK; i <= KCS_EXIT_INTERNAL; i++) {
		char want[16];

		snprintf(want, sizeof(want), "\n  %zu  ", i);
		cr_expect(strstr(text, want) != NULL, "--help lacks exit status %zu", i);
	}
	cr_expect(strncmp(text, "Usage: kubecapscan ", 19) == 0);
	free(text);

	/* every row is accepted by the parser in its long form */
	for (i = 0; i < n; i++) {
		struct kcs_opts o;
		struct kcs_error err = KCS_ERROR_INIT;
		char opt[128];
		const char *val = !t[i].arg ? NULL
				  : !strcmp(t[i].long_name, "output") ? "json"
				  : !strcmp(t[i].long_name, "psa-default-enforce") ? "baseline"
				  : !strcmp(t[i].long_name, "request-timeout") ? "5s"
				  : !strcmp(t[i].long_name, "chunk-size") ? "10"
				  : !strcmp(t[i].long_name, "exec-plugins") ? "deny"
				  : !strcmp(t[i].long_name, "fail-on") ? "any"
				  : !strcmp(t[i].long_name, "benchmark") ? "cis-1.6"
				  : !strcmp(t[i].long_name, "post-url") ? "https://x/r" : "v";
		/* the --post-* files go with a --post-url */
		const char *list[] = { opt, !strncmp(t[i].long_name, "post-", 5)
						    ? "--post-url=https://x/r" : NULL, NULL };

		if (val)
			snprintf(opt, sizeof(opt), "--%s=%s", t[i].long_name, val);
		else
			snprintf(opt, sizeof(opt), "--%s", t[i].long_name);
		cr_expect_eq(parse_list(&o, &err, list), KCS_OK, "%s: %s", opt, err.msg);
	}
}

Test(opts, benchmark_cluster_name_exit_zero)
{
	struct kcs_opts o;
	struct kcs_error err = KCS_ERROR_INIT;

	cr_expect_eq(PARSE(&o, &err, "-f", "x", "--benchmark", "cis-1.6"), KCS_OK,
		     "%s", err.msg);
	cr_expect_str_eq(o.control->id, "5.2.7");
	cr_expect_str_eq(o.control->name, "cis-1.6");
	cr_expect_eq(PARSE(&o, &err, "-f", "x", "--benchmark", "cis-9.9"), KCS_ERR_USAGE);
	assert_usage_msg(&err, "cis-9.9");
	cr_expect_eq(PARSE(&o, &err, "-f", "x", "--cluster-name", "prod-eu"), KCS_OK);
	cr_expect_str_eq(o.cluster_name, "prod-eu");
	cr_expect_eq(PARSE(&o, &err, "-f", "x", "--cluster-name", ""), KCS_ERR_USAGE);
	cr_expect_eq(PARSE(&o, &err, "-f", "x", "--exit-zero"), KCS_OK);
	cr_expect_eq(o.exit_zero, 1);
}

Test(opts, probe_runtime_baseline_fail_on)
{
	struct kcs_opts o;
	struct kcs_error err = KCS_ERROR_INIT;

	cr_expect_eq(PARSE(&o, &err, "-A", "--probe-admission", "--runtime-aware"),
		     KCS_OK, "%s", err.msg);
	cr_expect(o.probe_admission && o.runtime_aware);
	/* they ask the API server: not with files */
	cr_expect_eq(PARSE(&o, &err, "-f", "x", "--probe-admission"), KCS_ERR_USAGE);
	assert_usage_msg(&err, "--probe-admission");
	cr_expect_eq(PARSE(&o, &err, "-f", "x", "--runtime-aware"), KCS_ERR_USAGE);
	/* drift works with files and clusters */
	cr_expect_eq(PARSE(&o, &err, "-f", "x", "--baseline", "old.json",
			   "--fail-on", "new"), KCS_OK, "%s", err.msg);
	cr_expect_str_eq(o.baseline, "old.json");
	cr_expect_eq(o.fail_on_new, 1);
	cr_expect_eq(PARSE(&o, &err, "-f", "x", "--fail-on", "any"), KCS_OK);
	cr_expect_eq(o.fail_on_new, 0);
	cr_expect_eq(PARSE(&o, &err, "-f", "x", "--fail-on", "new"), KCS_ERR_USAGE);
	assert_usage_msg(&err, "--baseline");
	cr_expect_eq(PARSE(&o, &err, "-f", "x", "--fail-on", "some"), KCS_ERR_USAGE);
	assert_usage_msg(&err, "some");
}
