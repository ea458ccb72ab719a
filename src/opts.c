/*
 * opts.c - option table, parser and help text.
 *
 * The table is the single source of truth: the parser is built from it, the
 * help text is printed from it, and tests/test_docs checks that every row
 * appears in --help, README.md and man/kubecapscan.1.
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "kcs/control.h"
#include "kcs/opts.h"
#include "kcs/version.h"
#include "kcs/banned.h"

enum opt_id {
	OPT_ALL_NAMESPACES = 'A',
	OPT_FILENAME = 'f',
	OPT_HELP = 'h',
	OPT_NAMESPACE = 'n',
	OPT_OUTPUT = 'o',
	OPT_VERBOSE = 'v',
	OPT_OUTPUT_FILE = 256,
	OPT_PSA_DEFAULT,
	OPT_VERSION,
	OPT_CHUNK_SIZE,
	OPT_CONTEXT,
	OPT_EXEC_PLUGINS,
	OPT_KUBECONFIG,
	OPT_REQUEST_TIMEOUT,
	OPT_BENCHMARK,
	OPT_CLUSTER_NAME,
	OPT_EXIT_ZERO,
	OPT_EXCLUDE_NAMESPACE,
	OPT_FIELD_SELECTOR,
	OPT_EXEMPTIONS,
	OPT_ALLOW_ANNOTATION_EXEMPTIONS,
	OPT_POST_URL,
	OPT_POST_TOKEN_FILE,
	OPT_POST_CA_FILE,
	OPT_PROBE_ADMISSION,
	OPT_RUNTIME_AWARE,
	OPT_BASELINE,
	OPT_FAIL_ON,
	OPT_SELECTOR = 'l', /* short options keep their letter; others are >= 256 */
};

/* Sorted by long name. */
static const struct kcs_option table[] = {
	{ "all-namespaces", 'A', NULL, OPT_ALL_NAMESPACES,
	  "scan every namespace of the cluster" },
	{ "allow-annotation-exemptions", 0, NULL, OPT_ALLOW_ANNOTATION_EXEMPTIONS,
	  "honour kubecapscan.io/exempt-net-raw pod annotations (anyone who can edit a workload can write one)" },
	{ "baseline", 0, "FILE", OPT_BASELINE,
	  "compare with a previous JSON report: report new failures, fixed items and new or removed namespaces (drift)" },
	{ "benchmark", 0, "NAME", OPT_BENCHMARK,
	  "CIS Kubernetes Benchmark version whose control ID the reports use (cis-1.5 ... cis-2.0; default cis-2.0)" },
	{ "chunk-size", 0, "N", OPT_CHUNK_SIZE,
	  "list pods N at a time (default 500; 0 lists all in one response)" },
	{ "cluster-name", 0, "NAME", OPT_CLUSTER_NAME,
	  "name the cluster in every report (for reports from many clusters)" },
	{ "context", 0, "NAME", OPT_CONTEXT,
	  "use kubeconfig context NAME instead of the current one" },
	{ "exclude-namespace", 0, "GLOB", OPT_EXCLUDE_NAMESPACE,
	  "leave out namespaces whose name matches GLOB (shell pattern) and their pods; repeatable" },
	{ "exec-plugins", 0, "allow|deny", OPT_EXEC_PLUGINS,
	  "whether exec credential plugins named by the kubeconfig may run (default allow)" },
	{ "exemptions", 0, "FILE", OPT_EXEMPTIONS,
	  "YAML list of exemptions (namespace, pod, container, reason, expires); matching failing containers become EXEMPT" },
	{ "exit-zero", 0, NULL, OPT_EXIT_ZERO,
	  "exit 0 when the scan completes, even with findings (for jobs); errors still fail" },
	{ "fail-on", 0, "any|new", OPT_FAIL_ON,
	  "exit 1 for any failure (default), or only for failures new since --baseline" },
	{ "field-selector", 0, "SELECTOR", OPT_FIELD_SELECTOR,
	  "list only pods matching this field selector, applied by the API server (e.g. status.phase!=Succeeded)" },
	{ "filename", 'f', "FILE", OPT_FILENAME,
	  "read objects from FILE ('-' for standard input): 'kubectl get -o json' output or YAML manifests (helm template); repeatable" },
	{ "help", 'h', NULL, OPT_HELP, "print this help and exit" },
	{ "kubeconfig", 0, "PATH", OPT_KUBECONFIG,
	  "read this kubeconfig file only (default: $KUBECONFIG, then ~/.kube/config, then in-cluster)" },
	{ "namespace", 'n', "NAMESPACE", OPT_NAMESPACE,
	  "scan this namespace (default: the context's namespace); with -f, the namespace of manifest objects that name none (default: default)" },
	{ "output", 'o', "FORMAT[=PATH]", OPT_OUTPUT,
	  "report format (table, json, junit, sarif, prometheus, policyreport); with =PATH that report goes to PATH; repeatable, at most one to standard output" },
	{ "output-file", 0, "PATH", OPT_OUTPUT_FILE,
	  "write the report of the -o without =PATH to PATH instead of standard output; files are written atomically" },
	{ "post-ca-file", 0, "PATH", OPT_POST_CA_FILE,
	  "CA bundle to verify --post-url's certificate with (default: the system's)" },
	{ "post-token-file", 0, "PATH", OPT_POST_TOKEN_FILE,
	  "bearer token for --post-url, read from PATH just before sending" },
	{ "post-url", 0, "URL", OPT_POST_URL,
	  "also POST the JSON report to this https:// URL; a failed delivery exits 3" },
	{ "probe-admission", 0, NULL, OPT_PROBE_ADMISSION,
	  "ask admission itself: server-side dry-run pods in each namespace (needs create pods; nothing is stored)" },
	{ "psa-default-enforce", 0, "LEVEL[:VERSION]", OPT_PSA_DEFAULT,
	  "Pod Security enforce policy that unlabelled namespaces get from the cluster's AdmissionConfiguration (default privileged:latest)" },
	{ "request-timeout", 0, "DURATION", OPT_REQUEST_TIMEOUT,
	  "give up on a request after DURATION (30s, 1m, 500ms; 0 = never; default 30s)" },
	{ "runtime-aware", 0, NULL, OPT_RUNTIME_AWARE,
	  "read nodes and RuntimeClasses and report each container's effective exposure on its node's runtime" },
	{ "selector", 'l', "SELECTOR", OPT_SELECTOR,
	  "list only pods matching this label selector, applied by the API server (e.g. app=web)" },
	{ "verbose", 'v', NULL, OPT_VERBOSE,
	  "log each API request on standard error (never credentials)" },
	{ "version", 0, NULL, OPT_VERSION, "print the version and exit" },
};

const struct kcs_option *kcs_opts_table(size_t *n)
{
	*n = KCS_ARRAY_SIZE(table);
	return table;
}

void kcs_opts_help(FILE *out, const char *prog)
{
	size_t i;

	fprintf(out,
		"Usage: %s [-A | -n NAMESPACE] [--kubeconfig PATH] [--context NAME]\n"
		"                   [--request-timeout 30s] [--chunk-size 500] [-o FORMAT[=PATH]]...\n"
		"       %s -f FILE [-f FILE ...] [-o FORMAT[=PATH]]... [--output-file PATH]\n"
		"       %s --help | --version\n"
		"\n"
		"Audit Kubernetes pods and namespaces for CIS Kubernetes Benchmark 5.2.8,\n"
		"\"Minimize the admission of containers with the NET_RAW capability\".\n"
		"\n"
		"Without -f, scan the cluster of the current kubeconfig context (as\n"
		"kubectl would): the context's namespace, or every namespace with -A.\n"
		"\n"
		"Options:\n",
		prog, prog, prog);
	for (i = 0; i < KCS_ARRAY_SIZE(table); i++) {
		const struct kcs_option *o = &table[i];
		char left[64];

		if (o->short_name)
			snprintf(left, sizeof(left), "-%c, --%s%s%s", o->short_name,
				 o->long_name, o->arg ? " " : "",
				 o->arg ? o->arg : "");
		else
			snprintf(left, sizeof(left), "    --%s%s%s", o->long_name,
				 o->arg ? " " : "", o->arg ? o->arg : "");
		fprintf(out, "  %-34s %s\n", left, o->help);
	}
	fprintf(out,
		"\n"
		"Exit status:\n"
		"  0  scan complete and nothing FAILs\n"
		"  1  scan complete and at least one pod or namespace FAILs\n"
		"  2  usage error, or input that cannot be read or parsed\n"
		"  3  live scan incomplete (the cluster could not be read in full)\n"
		"  4  the report could not be written, out of memory, or internal error\n"
		"\n"
		"kubecapscan %s. See kubecapscan(1) and docs/rules.md for every verdict.\n",
		KCS_VERSION);
}

void kcs_opts_init(struct kcs_opts *opts)
{
	memset(opts, 0, sizeof(*opts));
	opts->psa_default = (struct kcs_psa_default)KCS_PSA_DEFAULT_INIT;
	opts->request_timeout_ms = KCS_DEFAULT_REQUEST_TIMEOUT_MS;
	opts->chunk_size = KCS_OPTS_DEFAULT_CHUNK_SIZE;
	opts->exec_plugins_allowed = 1;
	opts->control = kcs_control_default();
}

int kcs_parse_duration_ms(const char *s, long *out_ms)
{
	long long total = 0, v;
	const char *p = s;

	if (!*s)
		return -1;
	/* A bare number is seconds, as kubectl's --request-timeout takes it. */
	if (strspn(s, "0123456789") == strlen(s)) {
		if (strlen(s) > 9)
			return -1;
		*out_ms = strtol(s, NULL, 10) * 1000L;
		return 0;
	}
	while (*p) {
		long long unit;

		if (*p < '0' || *p > '9')
			return -1;
		for (v = 0; *p >= '0' && *p <= '9'; p++) {
			v = v * 10 + (*p - '0');
			if (v > 1000000000LL)
				return -1;
		}
		if (!strncmp(p, "ms", 2)) {
			unit = 1;
			p += 2;
		} else if (*p == 's') {
			unit = 1000;
			p++;
		} else if (*p == 'm') {
			unit = 60000;
			p++;
		} else if (*p == 'h') {
			unit = 3600000;
			p++;
		} else {
			return -1;
		}
		total += v * unit;
		if (total > 0x7fffffffL)
			return -1;
	}
	*out_ms = (long)total;
	return 0;
}

/* -o FORMAT[=PATH] */
static enum kcs_err parse_output(struct kcs_opts *opts, const char *arg,
				 struct kcs_error *err)
{
	const char *eq = strchr(arg, '=');
	size_t len = eq ? (size_t)(eq - arg) : strlen(arg);
	struct kcs_output *o;

	if (opts->n_outputs == KCS_MAX_OUTPUTS)
		return kcs_error_set(err, KCS_ERR_USAGE, "at most %d -o options",
				     KCS_MAX_OUTPUTS);
	o = &opts->outputs[opts->n_outputs];
	if (kcs_format_parse(arg, len, &o->format))
		return kcs_error_set(err, KCS_ERR_USAGE,
				     "unknown output format '%.*s' (use %s)",
				     (int)len, arg, kcs_format_names());
	if (eq && !eq[1])
		return kcs_error_set(err, KCS_ERR_USAGE,
				     "-o %.*s= needs a path after '='", (int)len, arg);
	o->path = eq ? eq + 1 : NULL;
	opts->n_outputs++;
	return KCS_OK;
}

/* After parsing: one default table; at most one report on stdout. */
static enum kcs_err check_outputs(struct kcs_opts *opts, struct kcs_error *err)
{
	size_t i, j, to_stdout = 0;

	if (!opts->n_outputs) {
		opts->outputs[0].format = KCS_FORMAT_TABLE;
		opts->outputs[0].path = NULL;
		opts->n_outputs = 1;
	}
	for (i = 0; i < opts->n_outputs; i++) {
		if (!opts->outputs[i].path) {
			to_stdout++;
			opts->outputs[i].path = opts->output_file;
		}
	}
	if (to_stdout > 1)
		return kcs_error_set(err, KCS_ERR_USAGE,
				     "at most one report can go to standard output; "
				     "give the others a path (-o FORMAT=PATH)");
	if (opts->output_file && !to_stdout)
		return kcs_error_set(err, KCS_ERR_USAGE,
				     "--output-file names no report: every -o has its own =PATH");
	for (i = 0; i < opts->n_outputs; i++)
		for (j = i + 1; j < opts->n_outputs; j++)
			if (opts->outputs[i].path && opts->outputs[j].path &&
			    !strcmp(opts->outputs[i].path, opts->outputs[j].path))
				return kcs_error_set(err, KCS_ERR_USAGE,
						     "two reports cannot go to the same file '%s'",
						     opts->outputs[i].path);
	return KCS_OK;
}

/*
 * Word the error for an option getopt_long rejected. For a long option
 * glibc sets optopt to the option's value (its short letter) when the
 * option exists but was given "=value" it does not take, so look at the
 * argument itself rather than trust optopt.
 */
static enum kcs_err bad_option(const char *arg, int opt, struct kcs_error *err)
{
	size_t i, len;

	if (arg && !strncmp(arg, "--", 2)) {
		len = strcspn(arg + 2, "=");
		for (i = 0; i < KCS_ARRAY_SIZE(table); i++)
			if (strlen(table[i].long_name) == len &&
			    !strncmp(table[i].long_name, arg + 2, len))
				return kcs_error_set(err, KCS_ERR_USAGE,
						     "option '--%s' takes no argument",
						     table[i].long_name);
		return kcs_error_set(err, KCS_ERR_USAGE, "unknown option '%.*s'",
				     (int)(len + 2), arg);
	}
	if (opt > 0 && opt < 256)
		return kcs_error_set(err, KCS_ERR_USAGE, "unknown option '-%c'", opt);
	return kcs_error_set(err, KCS_ERR_USAGE, "unknown option '%s'",
			     arg ? arg : "");
}

enum kcs_err kcs_opts_parse(struct kcs_opts *opts, int argc, char **argv,
			    struct kcs_error *err)
{
	struct option longopts[KCS_ARRAY_SIZE(table) + 1];
	char shortopts[2 * KCS_ARRAY_SIZE(table) + 2];
	size_t i, ns = 0;
	int c;

	memset(longopts, 0, sizeof(longopts));
	shortopts[ns++] = ':'; /* report missing arguments as ':' */
	for (i = 0; i < KCS_ARRAY_SIZE(table); i++) {
		longopts[i].name = table[i].long_name;
		longopts[i].has_arg = table[i].arg ? required_argument : no_argument;
		longopts[i].val = table[i].id;
		if (table[i].short_name) {
			shortopts[ns++] = table[i].short_name;
			if (table[i].arg)
				shortopts[ns++] = ':';
		}
	}
	shortopts[ns] = '\0';

	opterr = 0;
	optind = 0; /* 0 re-initialises glibc's getopt, so tests can reparse */
	while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		switch (c) {
		case OPT_FILENAME:
			if (opts->n_files == KCS_MAX_FILES)
				return kcs_error_set(err, KCS_ERR_USAGE,
						     "at most %d -f options",
						     KCS_MAX_FILES);
			opts->files[opts->n_files++] = optarg;
			break;
		case OPT_HELP:
			opts->help = 1;
			break;
		case OPT_ALL_NAMESPACES:
			opts->all_namespaces = 1;
			break;
		case OPT_NAMESPACE:
			if (!*optarg)
				return kcs_error_set(err, KCS_ERR_USAGE,
						     "-n needs a namespace name");
			opts->namespace = optarg;
			break;
		case OPT_KUBECONFIG:
			opts->kubeconfig = optarg;
			break;
		case OPT_CONTEXT:
			opts->context = optarg;
			break;
		case OPT_REQUEST_TIMEOUT:
			if (kcs_parse_duration_ms(optarg, &opts->request_timeout_ms))
				return kcs_error_set(err, KCS_ERR_USAGE,
						     "invalid --request-timeout '%s' "
						     "(want e.g. 30s, 1m, 500ms or 0)", optarg);
			break;
		case OPT_CHUNK_SIZE: {
			char *end;

			errno = 0;
			opts->chunk_size = strtoul(optarg, &end, 10);
			if (errno || end == optarg || *end || optarg[0] == '-' ||
			    opts->chunk_size > 100000)
				return kcs_error_set(err, KCS_ERR_USAGE,
						     "invalid --chunk-size '%s' (want 0 to 100000)",
						     optarg);
			break;
		}
		case OPT_EXEC_PLUGINS:
			if (!strcmp(optarg, "allow"))
				opts->exec_plugins_allowed = 1;
			else if (!strcmp(optarg, "deny"))
				opts->exec_plugins_allowed = 0;
			else
				return kcs_error_set(err, KCS_ERR_USAGE,
						     "invalid --exec-plugins '%s' (want allow or deny)",
						     optarg);
			break;
		case OPT_OUTPUT:
			if (parse_output(opts, optarg, err))
				return err ? err->code : KCS_ERR_USAGE;
			break;
		case OPT_BENCHMARK:
			opts->control = kcs_control_lookup(optarg);
			if (!opts->control)
				return kcs_error_set(err, KCS_ERR_USAGE,
						     "unknown --benchmark '%s' (known: %s)",
						     optarg, kcs_control_names());
			break;
		case OPT_CLUSTER_NAME:
			if (!*optarg)
				return kcs_error_set(err, KCS_ERR_USAGE,
						     "--cluster-name needs a name");
			opts->cluster_name = optarg;
			break;
		case OPT_EXIT_ZERO:
			opts->exit_zero = 1;
			break;
		case OPT_PROBE_ADMISSION:
			opts->probe_admission = 1;
			break;
		case OPT_RUNTIME_AWARE:
			opts->runtime_aware = 1;
			break;
		case OPT_BASELINE:
			opts->baseline = optarg;
			break;
		case OPT_FAIL_ON:
			if (!strcmp(optarg, "any"))
				opts->fail_on_new = 0;
			else if (!strcmp(optarg, "new"))
				opts->fail_on_new = 1;
			else
				return kcs_error_set(err, KCS_ERR_USAGE,
						     "invalid --fail-on '%s' (want any or new)",
						     optarg);
			break;
		case OPT_EXCLUDE_NAMESPACE:
			if (!*optarg)
				return kcs_error_set(err, KCS_ERR_USAGE,
						     "--exclude-namespace needs a pattern");
			if (opts->n_exclude_ns == KCS_MAX_EXCLUDES)
				return kcs_error_set(err, KCS_ERR_USAGE,
						     "at most %d --exclude-namespace options",
						     KCS_MAX_EXCLUDES);
			opts->exclude_ns[opts->n_exclude_ns++] = optarg;
			break;
		case OPT_SELECTOR:
			opts->label_selector = optarg;
			break;
		case OPT_EXEMPTIONS:
			opts->exemptions_file = optarg;
			break;
		case OPT_POST_URL:
			if (strncmp(optarg, "https://", 8) != 0)
				return kcs_error_set(err, KCS_ERR_USAGE,
						     "--post-url '%s' must be an https:// URL "
						     "(reports are never sent in the clear)", optarg);
			opts->post_url = optarg;
			break;
		case OPT_POST_TOKEN_FILE:
			opts->post_token_file = optarg;
			break;
		case OPT_POST_CA_FILE:
			opts->post_ca_file = optarg;
			break;
		case OPT_ALLOW_ANNOTATION_EXEMPTIONS:
			opts->allow_annotation_exemptions = 1;
			break;
		case OPT_FIELD_SELECTOR:
			opts->field_selector = optarg;
			break;
		case OPT_OUTPUT_FILE:
			if (!*optarg)
				return kcs_error_set(err, KCS_ERR_USAGE,
						     "--output-file needs a path");
			opts->output_file = optarg;
			break;
		case OPT_PSA_DEFAULT:
			if (kcs_psa_parse_default(optarg, &opts->psa_default))
				return kcs_error_set(err, KCS_ERR_USAGE,
						     "invalid --psa-default-enforce '%s' "
						     "(want privileged, baseline or restricted, "
						     "optionally :latest or :v1.N)", optarg);
			break;
		case OPT_VERBOSE:
			opts->verbose++;
			break;
		case OPT_VERSION:
			opts->version = 1;
			break;
		case ':':
			return kcs_error_set(err, KCS_ERR_USAGE,
					     "option '%s' needs an argument",
					     argv[optind - 1]);
		default:
			return bad_option(argv[optind - 1], optopt, err);
		}
	}
	if (optind < argc)
		return kcs_error_set(err, KCS_ERR_USAGE,
				     "unexpected argument '%s'", argv[optind]);
	if (opts->help || opts->version)
		return KCS_OK;
	if (check_outputs(opts, err))
		return err ? err->code : KCS_ERR_USAGE;
	if (opts->all_namespaces && opts->namespace)
		return kcs_error_set(err, KCS_ERR_USAGE,
				     "-A and -n cannot be used together");
	opts->live = opts->n_files == 0;
	if (!opts->live && (opts->all_namespaces || opts->kubeconfig ||
			    opts->context))
		return kcs_error_set(err, KCS_ERR_USAGE,
				     "-f reads files; it cannot be combined with "
				     "-A, --kubeconfig or --context");
	if ((opts->post_token_file || opts->post_ca_file) && !opts->post_url)
		return kcs_error_set(err, KCS_ERR_USAGE,
				     "--post-token-file and --post-ca-file go with --post-url");
	if (!opts->live && (opts->label_selector || opts->field_selector))
		return kcs_error_set(err, KCS_ERR_USAGE,
				     "-l and --field-selector are applied by the API "
				     "server: they work with live scans, not -f");
	if (!opts->live && (opts->probe_admission || opts->runtime_aware))
		return kcs_error_set(err, KCS_ERR_USAGE,
				     "--probe-admission and --runtime-aware ask the "
				     "API server: they work with live scans, not -f");
	if (opts->fail_on_new && !opts->baseline)
		return kcs_error_set(err, KCS_ERR_USAGE,
				     "--fail-on new needs --baseline (new since when?)");
	return KCS_OK;
}
