/*
 * opts.c - option table, parser and help text.
 *
 * The table is the single source of truth: the parser is built from it, the
 * help text is printed from it, and tests/test_docs checks that every row
 * appears in --help, README.md and man/kubecapscan.1.
 */
#include <getopt.h>
#include <string.h>

#include "kcs/opts.h"
#include "kcs/version.h"
#include "kcs/banned.h"

enum opt_id {
	OPT_FILENAME = 'f',
	OPT_HELP = 'h',
	OPT_OUTPUT = 'o',
	OPT_VERBOSE = 'v',
	OPT_OUTPUT_FILE = 256,
	OPT_PSA_DEFAULT,
	OPT_VERSION,
};

/* Sorted by long name. */
static const struct kcs_option table[] = {
	{ "filename", 'f', "FILE", OPT_FILENAME,
	  "read objects from FILE ('-' for standard input), as 'kubectl get -o json' prints them; repeatable" },
	{ "help", 'h', NULL, OPT_HELP, "print this help and exit" },
	{ "output", 'o', "FORMAT", OPT_OUTPUT,
	  "report format: table (default) or json" },
	{ "output-file", 0, "PATH", OPT_OUTPUT_FILE,
	  "write the report to PATH atomically instead of standard output" },
	{ "psa-default-enforce", 0, "LEVEL[:VERSION]", OPT_PSA_DEFAULT,
	  "Pod Security enforce policy that unlabelled namespaces get from the cluster's AdmissionConfiguration (default privileged:latest)" },
	{ "verbose", 'v', NULL, OPT_VERBOSE, "say more on standard error" },
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
		"Usage: %s -f FILE [-f FILE ...] [-o table|json] [--output-file PATH]\n"
		"       %s --help | --version\n"
		"\n"
		"Audit Kubernetes pods and namespaces for CIS Kubernetes Benchmark 5.2.8,\n"
		"\"Minimize the admission of containers with the NET_RAW capability\".\n"
		"\n"
		"Options:\n",
		prog, prog);
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

static int parse_format(const char *s, enum kcs_format *out)
{
	if (!strcmp(s, "table"))
		*out = KCS_FORMAT_TABLE;
	else if (!strcmp(s, "json"))
		*out = KCS_FORMAT_JSON;
	else
		return -1;
	return 0;
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
		case OPT_OUTPUT:
			if (parse_format(optarg, &opts->format))
				return kcs_error_set(err, KCS_ERR_USAGE,
						     "unknown output format '%s' (use table or json)",
						     optarg);
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
			if (optopt && optopt < 256)
				return kcs_error_set(err, KCS_ERR_USAGE,
						     "unknown option '-%c'", optopt);
			return kcs_error_set(err, KCS_ERR_USAGE,
					     "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return kcs_error_set(err, KCS_ERR_USAGE,
				     "unexpected argument '%s'", argv[optind]);
	if (opts->help || opts->version)
		return KCS_OK;
	if (!opts->n_files)
		return kcs_error_set(err, KCS_ERR_USAGE,
				     "nothing to scan: give -f FILE");
	return KCS_OK;
}
