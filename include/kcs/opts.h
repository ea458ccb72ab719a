/*
 * opts.h - the command line: one option table drives parsing, --help and
 * the man page check (curl's tool_getparam/tool_listhelp).
 */
#ifndef KCS_OPTS_H
#define KCS_OPTS_H

#include <stddef.h>
#include <stdio.h>
#include "kcs/compat.h"
#include "kcs/err.h"
#include "kcs/psa.h"

/* Exit statuses; documented in --help, README.md and kubecapscan(1). */
enum kcs_exit {
	KCS_EXIT_OK = 0,         /* scan complete, nothing FAILs */
	KCS_EXIT_FINDINGS = 1,   /* scan complete, a pod or namespace FAILs */
	KCS_EXIT_USAGE = 2,      /* usage error, or input unreadable/unparsable */
	KCS_EXIT_INCOMPLETE = 3, /* live scan could not see everything */
	KCS_EXIT_INTERNAL = 4,   /* report not written, out of memory, or a bug */
};

#include "kcs/report.h"

/* Most -o options in one run (each report is written once). */
#define KCS_MAX_OUTPUTS 8

/* One report to write: a format, and a path (NULL: standard output). */
struct kcs_output {
	enum kcs_format format;
	const char *path;
};

/* Defaults: kubectl's page size; a bounded wait for each request. */
#define KCS_DEFAULT_REQUEST_TIMEOUT_MS 30000L
#define KCS_OPTS_DEFAULT_CHUNK_SIZE 500ul

struct kcs_opts;

/* Set the defaults the parser starts from. */
void kcs_opts_init(struct kcs_opts *opts);

/*
 * Parse a kubectl-style duration ("30s", "1m30s", "500ms", "2h", or a bare
 * number of seconds; "0" means no limit) into milliseconds. Returns -1 if
 * invalid.
 */
int kcs_parse_duration_ms(const char *s, long *out_ms) KCS_WUR;

/* Most --exclude-namespace globs in one run. */
#define KCS_MAX_EXCLUDES 64

/* Most -f arguments accepted in one run. */
#define KCS_MAX_FILES 256

struct kcs_opts {
	const char *files[KCS_MAX_FILES]; /* -f arguments, borrowed from argv */
	size_t n_files;
	struct kcs_output outputs[KCS_MAX_OUTPUTS]; /* -o FORMAT[=PATH] */
	size_t n_outputs;                 /* at least 1 after parsing */
	const char *output_file;          /* --output-file: path of the -o without =PATH */
	const struct kcs_control *control; /* --benchmark */
	const char *cluster_name;         /* --cluster-name, or NULL */
	int exit_zero;                    /* --exit-zero: findings exit 0 */
	int probe_admission;              /* --probe-admission */
	int runtime_aware;                /* --runtime-aware */
	const char *baseline;             /* --baseline FILE, or NULL */
	int fail_on_new;                  /* --fail-on new */
	const char *exclude_ns[KCS_MAX_EXCLUDES]; /* --exclude-namespace globs */
	size_t n_exclude_ns;
	const char *post_url;             /* --post-url: POST the JSON report there */
	const char *post_token_file;      /* --post-token-file */
	const char *post_ca_file;         /* --post-ca-file */
	const char *exemptions_file;      /* --exemptions FILE, or NULL */
	int allow_annotation_exemptions;  /* --allow-annotation-exemptions */
	const char *label_selector;       /* -l/--selector, live scans only */
	const char *field_selector;       /* --field-selector, live scans only */
	struct kcs_psa_default psa_default; /* --psa-default-enforce */
	int all_namespaces;               /* -A */
	const char *namespace;            /* -n, or NULL: the context's */
	const char *kubeconfig;           /* --kubeconfig, or NULL */
	const char *context;              /* --context, or NULL */
	long request_timeout_ms;          /* --request-timeout; 0 = none */
	unsigned long chunk_size;         /* --chunk-size; 0 = no paging */
	int exec_plugins_allowed;         /* --exec-plugins=allow|deny */
	int live;                         /* no -f: scan the cluster */
	int help;                         /* --help given */
	int version;                      /* --version given */
	int verbose;                      /* -v count */
	const char *prog;                 /* "kubecapscan" or "kubectl capscan" */
};

/*
 * Parse argv into opts. Never prints, never exits: on a usage error returns
 * KCS_ERR_USAGE with the message in err.
 */
enum kcs_err kcs_opts_parse(struct kcs_opts *opts, int argc, char **argv,
			    struct kcs_error *err) KCS_WUR;

/* Print the --help text (generated from the option table). */
void kcs_opts_help(FILE *out, const char *prog);

/* One row of the option table, exposed for the help/man consistency test. */
struct kcs_option {
	const char *long_name; /* without the leading "--" */
	char short_name;       /* 0 if none */
	const char *arg;       /* argument name for help, NULL if none */
	int id;                /* internal identifier */
	const char *help;      /* one line of help */
};

/* The table, sorted by long name; *n receives the number of rows. */
const struct kcs_option *kcs_opts_table(size_t *n);

#endif /* KCS_OPTS_H */
