/*
 * main.c - turn argv into options, run the scan, report, pick the exit code.
 *
 * This is the only file that prints diagnostics or decides the exit status
 * (docs: kubecapscan(1), EXIT STATUS). A report going to --output-file is
 * written to a temporary file in the same directory and renamed into place
 * only when it is complete, so a failed run never leaves a half-written or
 * misleading file behind.
 */
#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "kcs/config.h"
#include "kcs/exempt.h"
#include "kcs/http.h"
#include "kcs/input.h"
#include "kcs/live.h"
#include "kcs/owners.h"
#include "kcs/runtime.h"
#include "kcs/opts.h"
#include "kcs/post.h"
#include "kcs/reader.h"
#include "kcs/report.h"
#include "kcs/scan.h"
#include "kcs/version.h"
#include "kcs/banned.h"

/*
 * Temporary report files to remove if a signal ends the run (SIGTERM from
 * a Job's deadline, Ctrl-C, a closed pipe): the handler may only use
 * async-signal-safe calls, so the paths live in static storage.
 */
static char cleanup_paths[KCS_MAX_OUTPUTS][4096];
static volatile sig_atomic_t cleanup_used[KCS_MAX_OUTPUTS];

static void on_fatal_signal(int sig)
{
	int i;

	for (i = 0; i < KCS_MAX_OUTPUTS; i++)
		if (cleanup_used[i])
			unlink(cleanup_paths[i]);
	signal(sig, SIG_DFL);
	raise(sig); /* die of the same signal, so callers see why */
}

static void install_signal_cleanup(void)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGPIPE };
	struct sigaction sa;
	size_t i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_fatal_signal;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < KCS_ARRAY_SIZE(sigs); i++)
		sigaddset(&sa.sa_mask, sigs[i]);
	for (i = 0; i < KCS_ARRAY_SIZE(sigs); i++)
		sigaction(sigs[i], &sa, NULL);
}

/* Remember (slot >= 0) or forget a temporary file for the handler. */
static void cleanup_register(int slot, const char *path)
{
	sigset_t all, old;

	if (slot < 0 || slot >= KCS_MAX_OUTPUTS)
		return;
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &old);
	if (path) {
		snprintf(cleanup_paths[slot], sizeof(cleanup_paths[slot]), "%s", path);
		cleanup_used[slot] = 1;
	} else {
		cleanup_used[slot] = 0;
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
}

/* The report stream: stdout, or a temp file renamed over output_file. */
struct output {
	FILE *f;
	const char *final_path; /* NULL for stdout */
	char tmp_path[4096];
	int slot;               /* cleanup slot of tmp_path */
	int direct;             /* not a regular file: written in place */
};

static const char *prog_name(const char *argv0)
{
	const char *base = strrchr(argv0 ? argv0 : "", '/');

	base = base ? base + 1 : (argv0 ? argv0 : "");
	/* Installed as kubectl-capscan, we run as "kubectl capscan". */
	if (!strncmp(base, "kubectl-", 8))
		return "kubectl capscan";
	return "kubecapscan";
}

static void print_error(const struct kcs_error *err)
{
	if (err->source[0])
		fprintf(stderr, "kubecapscan: '%s': %s\n", err->source, err->msg);
	else
		fprintf(stderr, "kubecapscan: %s\n", err->msg);
}

static enum kcs_err output_open(struct output *o, const char *path,
				struct kcs_error *err)
{
	char dir_copy[4096], base_copy[4096];
	mode_t mask;
	int fd, n;

	o->final_path = path;
	o->tmp_path[0] = '\0';
	o->direct = 0;
	if (!path) {
		o->f = stdout;
		return KCS_OK;
	}
	/*
	 * /dev/null, /dev/stdout, a FIFO: written in place. Renaming a
	 * temporary file over them would replace the device itself.
	 */
	{
		struct stat st;

		if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
			if (S_ISDIR(st.st_mode)) {
				kcs_error_source(err, path);
				return kcs_error_set(err, KCS_ERR_USAGE,
						     "is a directory");
			}
			o->f = fopen(path, "w");
			if (!o->f) {
				kcs_error_source(err, path);
				return kcs_error_set(err, KCS_ERR_IO,
						     "cannot open: %s",
						     strerror(errno));
			}
			o->direct = 1;
			return KCS_OK;
		}
	}
	if (snprintf(dir_copy, sizeof(dir_copy), "%s", path) >= (int)sizeof(dir_copy) ||
	    snprintf(base_copy, sizeof(base_copy), "%s", path) >= (int)sizeof(base_copy))
		return kcs_error_set(err, KCS_ERR_USAGE, "output path too long");
	n = snprintf(o->tmp_path, sizeof(o->tmp_path), "%s/.%s.XXXXXX",
		     dirname(dir_copy), basename(base_copy));
	if (n < 0 || n >= (int)sizeof(o->tmp_path))
		return kcs_error_set(err, KCS_ERR_USAGE, "output path too long");
	{
		sigset_t all, old;

		/* No signal between creating the file and remembering it. */
		sigfillset(&all);
		sigprocmask(SIG_BLOCK, &all, &old);
		fd = mkstemp(o->tmp_path);
		if (fd >= 0)
			cleanup_register(o->slot, o->tmp_path);
		sigprocmask(SIG_SETMASK, &old, NULL);
	}
	if (fd < 0) {
		kcs_error_source(err, path);
		o->tmp_path[0] = '\0';
		return kcs_error_set(err, KCS_ERR_IO,
				     "cannot create a temporary file beside it: %s",
				     strerror(errno));
	}
	/*
	 * mkstemp makes the file 0600; give the report the mode a plain
	 * open(O_CREAT, 0666) would, so readers of the old report keep access.
	 */
	mask = umask(0);
	umask(mask);
	if (fchmod(fd, 0666 & ~mask) != 0) {
		close(fd);
		unlink(o->tmp_path);
		o->tmp_path[0] = '\0';
		return kcs_error_set(err, KCS_ERR_IO, "cannot set the report's mode: %s",
				     strerror(errno));
	}
	o->f = fdopen(fd, "w");
	if (!o->f) {
		close(fd);
		unlink(o->tmp_path);
		o->tmp_path[0] = '\0';
		return kcs_error_set(err, KCS_ERR_NOMEM, "out of memory");
	}
	return KCS_OK;
}

/* Drop the temporary file; the existing output file stays untouched. */
static void output_abandon(struct output *o)
{
	if (o->final_path && o->f) {
		fclose(o->f);
		o->f = NULL;
		if (o->tmp_path[0])
			unlink(o->tmp_path);
		cleanup_register(o->slot, NULL);
	}
}

/* Drop every temporary report file; existing reports stay untouched. */
static void abandon_all(struct output *o, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		output_abandon(&o[i]);
}

static enum kcs_err output_commit(struct output *o, struct kcs_error *err);

/*
 * Commit every report. If one cannot be written, the ones not yet renamed
 * are dropped too, so a run never leaves a mix of old and new reports
 * without saying so (the error names the one that failed).
 */
static enum kcs_err commit_all(struct output *o, size_t n, struct kcs_error *err)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (output_commit(&o[i], err)) {
			abandon_all(o + i + 1, n - i - 1);
			return err->code;
		}
	}
	return KCS_OK;
}

/* Flush, check, and (for a file) sync and rename into place. */
static enum kcs_err output_commit(struct output *o, struct kcs_error *err)
{
	int bad;

	if (!o->final_path) {
		bad = fflush(stdout) != 0 || ferror(stdout);
		if (bad)
			return kcs_error_set(err, KCS_ERR_IO,
					     "cannot write the report to standard output: %s",
					     strerror(errno));
		return KCS_OK;
	}
	if (o->direct) {
		bad = fflush(o->f) != 0 || ferror(o->f);
		if (fclose(o->f) != 0)
			bad = 1;
		o->f = NULL;
		if (bad) {
			kcs_error_source(err, o->final_path);
			return kcs_error_set(err, KCS_ERR_IO,
					     "cannot write the report: %s",
					     strerror(errno));
		}
		return KCS_OK;
	}
	bad = fflush(o->f) != 0 || ferror(o->f) || fsync(fileno(o->f)) != 0;
	if (fclose(o->f) != 0)
		bad = 1;
	o->f = NULL;
	if (bad || rename(o->tmp_path, o->final_path) != 0) {
		int e = errno;

		unlink(o->tmp_path);
		cleanup_register(o->slot, NULL);
		kcs_error_source(err, o->final_path);
		return kcs_error_set(err, KCS_ERR_IO, "cannot write the report: %s",
				     strerror(e));
	}
	cleanup_register(o->slot, NULL); /* renamed: nothing to remove */
	return KCS_OK;
}

/* --post-url: send the JSON report; returns non-zero (and says why) on failure. */
static int deliver(const struct kcs_opts *opts, FILE *report)
{
	struct kcs_post_settings set = { 0 };
	struct kcs_error err = KCS_ERROR_INIT;

	set.url = opts->post_url;
	set.token_file = opts->post_token_file;
	set.ca_file = opts->post_ca_file;
	set.timeout_ms = opts->request_timeout_ms;
	if (!opts->live && curl_global_init(CURL_GLOBAL_DEFAULT)) {
		fprintf(stderr, "kubecapscan: cannot start libcurl\n");
		return 1;
	}
	if (kcs_post_report(&set, report, &err)) {
		print_error(&err);
		return 1;
	}
	return 0;
}

/* Say in the report how many pods an --exclude-namespace left out. */
static void note_scope(struct kcs_scan *scan)
{
	unsigned long long n = kcs_scan_excluded_pods(scan);

	if (n && kcs_scan_add_warning(scan, "left out %llu pod%s in namespaces "
				      "matching --exclude-namespace", n,
				      n == 1 ? "" : "s"))
		fprintf(stderr, "kubecapscan: out of memory keeping a warning\n");
}

/* API Warning headers: shown to the user and kept in the report. */
static void on_warning(const char *text, void *user)
{
	struct kcs_scan *scan = user;

	/* the probes' own pods draw Pod Security warnings by design */
	if (kcs_scan_probing(scan))
		return;
	fprintf(stderr, "Warning: %s\n", text);
	if (kcs_scan_add_warning(scan, "API warning: %s", text))
		fprintf(stderr, "kubecapscan: out of memory keeping a warning\n");
}

static void on_log(const char *text, void *user)
{
	(void)user;
	fprintf(stderr, "kubecapscan: %s\n", text);
}

/* Each document of an input (a YAML stream has many): note skipped kinds. */
static void note_doc(const struct kcs_doc_info *in, void *user)
{
	kcs_scan_note_skipped(user, in);
}

/* What a live scan reads besides pods and namespaces (owned by main). */
struct live_tables {
	struct kcs_owners *owners;
	struct kcs_nodes *nodes;         /* --runtime-aware */
	struct kcs_rtclasses *rtclasses; /* --runtime-aware */
};

static void live_tables_free(struct live_tables *t)
{
	kcs_owners_free(t->owners);
	kcs_nodes_free(t->nodes);
	kcs_rtclasses_free(t->rtclasses);
}

/*
 * Scan the cluster. Returns KCS_OK when everything was listed; otherwise
 * the error is in *lerr and the scan holds what was seen.
 */
static enum kcs_err run_live(const struct kcs_opts *opts, struct kcs_scan *scan,
			     struct kcs_restconfig *cfg, struct kcs_source *src,
			     struct live_tables *tables,
			     struct kcs_live_result *res, struct kcs_error *lerr)
{
	struct kcs_config_request req = { 0 };
	struct kcs_http_settings set = { 0 };
	struct kcs_live_settings ls = { 0 };
	struct kcs_http *http = NULL;
	enum kcs_err rc;

	memset(res, 0, sizeof(*res));
	src->kind = KCS_SOURCE_CLUSTER;
	src->snapshot_consistent = 1;
	kcs_config_request_from_env(&req);
	req.kubeconfig = opts->kubeconfig;
	req.context = opts->context;
	req.namespace = opts->namespace;
	rc = kcs_config_load(&req, cfg, lerr);
	if (rc)
		return rc;
	kcs_error_clear(lerr); /* later errors name the URL, not the file */
	src->server = cfg->server;
	src->context = cfg->context;
	if (cfg->insecure)
		fprintf(stderr, "kubecapscan: WARNING: TLS certificate checks are "
				"OFF for '%s' (insecure-skip-tls-verify in the "
				"kubeconfig); the results could come from anyone\n",
			cfg->server);
	ls.namespace = opts->all_namespaces ? NULL
		       : opts->namespace    ? opts->namespace
					    : cfg->namespace;
	ls.chunk_size = opts->chunk_size;
	ls.label_selector = opts->label_selector;
	ls.field_selector = opts->field_selector;
	ls.owners = tables->owners;
	ls.nodes = tables->nodes;
	ls.rtclasses = tables->rtclasses;
	ls.probe_admission = opts->probe_admission;
	src->namespace = ls.namespace;
	src->label_selector = opts->label_selector;
	src->field_selector = opts->field_selector;
	set.timeout_ms = opts->request_timeout_ms;
	set.exec_allowed = opts->exec_plugins_allowed;
	set.verbose = opts->verbose;
	set.on_warning = on_warning;
	set.on_log = on_log;
	set.user = scan;
	http = kcs_http_new(cfg, &set, lerr);
	if (!http)
		return lerr->code ? lerr->code : KCS_ERR_NOMEM;
	rc = kcs_live_scan(http, scan, &ls, res, lerr);
	src->server_version = res->server_version[0] ? res->server_version : NULL;
	src->cluster_id = res->cluster_id[0] ? res->cluster_id : NULL;
	src->resource_version = res->resource_version[0] ? res->resource_version
							 : NULL;
	src->snapshot_consistent = res->snapshot_consistent;
	if (!res->snapshot_consistent)
		kcs_scan_add_warning(scan, "the pod list's continue token expired "
				     "twice; the rest was read from a newer snapshot");
	kcs_http_free(http);
	return rc;
}

int main(int argc, char **argv)
{
	struct kcs_opts opts;
	struct kcs_error err = KCS_ERROR_INIT, in_err = KCS_ERROR_INIT;
	struct kcs_error live_err = KCS_ERROR_INIT;
	struct kcs_restconfig cfg = { 0 };
	struct kcs_exemptions exemptions = { 0 };
	FILE *post_file = NULL; /* the JSON report --post-url sends */
	struct kcs_live_result live_res;
	struct live_tables tables = { 0 };
	struct kcs_input_opts io = { 0 };
	struct kcs_drift *drift = NULL;
	enum kcs_err live_rc = KCS_OK;
	struct output outs[KCS_MAX_OUTPUTS];
	size_t n_outs = 0;
	struct kcs_scan *scan = NULL;
	struct kcs_reader *reader = NULL;
	struct kcs_report *rep = NULL;
	struct kcs_reader_cbs cbs;
	struct kcs_source src = { 0 };
	const char *note;
	enum kcs_err rc = KCS_OK, in_rc = KCS_OK;
	int status = KCS_EXIT_INTERNAL, n_stdin = 0;
	size_t i;

	kcs_opts_init(&opts);
	opts.prog = prog_name(argv[0]);
	if (kcs_opts_parse(&opts, argc, argv, &err)) {
		fprintf(stderr, "%s: %s\nTry '%s --help'.\n", "kubecapscan", err.msg,
			opts.prog);
		return KCS_EXIT_USAGE;
	}
	if (opts.help) {
		kcs_opts_help(stdout, opts.prog);
		return fflush(stdout) || ferror(stdout) ? KCS_EXIT_INTERNAL : KCS_EXIT_OK;
	}
	if (opts.version) {
		printf("kubecapscan %s\n", KCS_VERSION);
		return fflush(stdout) || ferror(stdout) ? KCS_EXIT_INTERNAL : KCS_EXIT_OK;
	}
	for (i = 0; i < opts.n_files; i++)
		n_stdin += strcmp(opts.files[i], "-") == 0;
	if (n_stdin > 1) {
		fprintf(stderr, "kubecapscan: standard input ('-f -') can be read only once\n");
		return KCS_EXIT_USAGE;
	}

	memset(outs, 0, sizeof(outs));
	scan = kcs_scan_new(&opts.psa_default);
	if (!scan) {
		rc = kcs_error_set(&err, KCS_ERR_NOMEM, "out of memory");
		goto out;
	}
	kcs_scan_set_meta(scan, opts.control, opts.cluster_name);
	if (kcs_exemptions_load(opts.exemptions_file, time(NULL), &exemptions,
				&in_err)) {
		/* A file we cannot use is an input error, like an unreadable -f. */
		in_rc = in_err.code;
		goto out;
	}
	exemptions.allow_annotations = opts.allow_annotation_exemptions;
	if (opts.baseline) {
		drift = kcs_drift_new();
		if (!drift) {
			rc = kcs_error_set(&err, KCS_ERR_NOMEM, "out of memory");
			goto out;
		}
		if (kcs_drift_load_baseline(drift, opts.baseline, &in_err)) {
			/* like an unreadable -f: the input is at fault */
			in_rc = in_err.code;
			goto out;
		}
		kcs_scan_set_drift(scan, drift);
	}
	kcs_scan_set_exemptions(scan, &exemptions);
	if (opts.post_url) {
		/* An unlinked temporary file: nothing is left behind. */
		post_file = tmpfile();
		rep = post_file ? kcs_report_json_new(post_file) : NULL;
		if (!rep) {
			rc = kcs_error_set(&err, KCS_ERR_IO,
					   "cannot create the report to post: %s",
					   strerror(errno));
			goto out;
		}
		if ((rc = kcs_scan_attach_report(scan, rep, &err)))
			goto out;
	}
	kcs_scan_set_excludes(scan, opts.exclude_ns, opts.n_exclude_ns);
	src.exclude_ns = opts.exclude_ns;
	src.n_exclude_ns = opts.n_exclude_ns;
	install_signal_cleanup();
	for (i = 0; i < opts.n_outputs; i++) {
		outs[i].slot = (int)i;
		if ((rc = output_open(&outs[i], opts.outputs[i].path, &err)))
			goto out;
		n_outs++;
		rep = kcs_report_new(opts.outputs[i].format, outs[i].f);
		if (!rep) {
			rc = kcs_error_set(&err, KCS_ERR_NOMEM, "out of memory");
			goto out;
		}
		if ((rc = kcs_scan_attach_report(scan, rep, &err)))
			goto out;
	}
	cbs = kcs_scan_reader_cbs(scan);
	reader = kcs_reader_new(&cbs, KCS_HINT_NONE);
	if (!reader) {
		rc = kcs_error_set(&err, KCS_ERR_NOMEM, "out of memory");
		goto out;
	}
	if ((rc = kcs_scan_begin(scan, &err)))
		goto out;

	if (opts.live) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT)) {
			rc = kcs_error_set(&err, KCS_ERR_INTERNAL, "cannot start libcurl");
			goto out;
		}
		tables.owners = kcs_owners_new();
		if (opts.runtime_aware) {
			tables.nodes = kcs_nodes_new();
			tables.rtclasses = kcs_rtclasses_new();
		}
		if (!tables.owners || (opts.runtime_aware &&
				       (!tables.nodes || !tables.rtclasses))) {
			rc = kcs_error_set(&err, KCS_ERR_NOMEM, "out of memory");
			goto out;
		}
		kcs_scan_set_workload_fn(scan, kcs_owners_workload,
					 tables.owners);
		live_rc = run_live(&opts, scan, &cfg, &src, &tables, &live_res,
				   &live_err);
		if (live_rc) {
			print_error(&live_err);
			kcs_scan_add_error(scan, &live_err);
		}
		note_scope(scan);
		rc = kcs_scan_finish(scan, &src, live_rc == KCS_OK, &err);
		goto out;
	}

	io.default_namespace = opts.namespace ? opts.namespace : "default";
	io.on_doc = note_doc;
	io.user = scan;
	for (i = 0; i < opts.n_files; i++) {
		/* Report writers check their stream only at the end, so any
		 * error here is about the input. */
		in_rc = kcs_input_file_opts(reader, opts.files[i], &io, &in_err);
		if (in_rc)
			break;
	}
	if (in_rc)
		kcs_scan_add_error(scan, &in_err);
	note = kcs_scan_skipped_note(scan);
	if (note) {
		fprintf(stderr, "kubecapscan: note: %s\n", note);
		if (kcs_scan_add_warning(scan, "%s", note)) {
			rc = kcs_error_set(&err, KCS_ERR_NOMEM, "out of memory");
			goto out;
		}
	}

	src.kind = KCS_SOURCE_FILE;
	src.files = opts.files;
	src.n_files = opts.n_files;
	note_scope(scan);
	rc = kcs_scan_finish(scan, &src, in_rc == KCS_OK, &err);

out:
	if (in_rc) {
		print_error(&in_err);
		abandon_all(outs, n_outs);
		status = in_rc == KCS_ERR_NOMEM ? KCS_EXIT_INTERNAL : KCS_EXIT_USAGE;
	} else if (rc) {
		print_error(&err);
		abandon_all(outs, n_outs);
		status = rc == KCS_ERR_USAGE ? KCS_EXIT_USAGE : KCS_EXIT_INTERNAL;
	} else if (commit_all(outs, n_outs, &err)) {
		print_error(&err);
		status = KCS_EXIT_INTERNAL;
	} else if (post_file && deliver(&opts, post_file)) {
		status = KCS_EXIT_INCOMPLETE;
	} else if (live_rc) {
		status = KCS_EXIT_INCOMPLETE;
	} else if (opts.fail_on_new ? kcs_drift_has_new_failures(drift)
				    : kcs_scan_has_failures(scan)) {
		status = opts.exit_zero ? KCS_EXIT_OK : KCS_EXIT_FINDINGS;
	} else {
		status = KCS_EXIT_OK;
	}
	kcs_reader_free(reader);
	kcs_scan_free(scan);
	live_tables_free(&tables);
	kcs_drift_free(drift);
	kcs_exemptions_release(&exemptions);
	if (post_file)
		fclose(post_file);
	kcs_restconfig_release(&cfg);
	if (opts.live || opts.post_url)
		curl_global_cleanup(); /* refcounted: harmless if never started */
	return status;
}
