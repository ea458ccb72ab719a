/*
 * report.h - the report writers behind struct kcs_report_ops (scan.h).
 *
 * Each writer prints to a FILE it borrows; the caller opens, checks
 * (ferror/fclose) and closes it. Writers stream: a pod is written when it is
 * handed over, so no report holds the pod list. A format that must group
 * pods (JUnit: one testsuite per namespace) spools compact records to an
 * unlinked temporary file instead of memory.
 */
#ifndef KCS_REPORT_H
#define KCS_REPORT_H

#include <stdio.h>
#include <yajl/yajl_gen.h>
#include "kcs/audit.h"
#include "kcs/compat.h"
#include "kcs/err.h"
#include "kcs/remediate.h"
#include "kcs/scan.h"
#include "kcs/workload.h"
#include "kcs/buf.h"

/* Report formats (-o), in the order --help and the docs list them. */
enum kcs_format {
	KCS_FORMAT_TABLE,
	KCS_FORMAT_JSON,
	KCS_FORMAT_JUNIT,
	KCS_FORMAT_SARIF,
	KCS_FORMAT_PROMETHEUS,
	KCS_FORMAT_POLICYREPORT,
	KCS_FORMAT_COUNT
};

/* Parse a format name; returns -1 if unknown. */
int kcs_format_parse(const char *name, size_t len, enum kcs_format *out);
const char *kcs_format_name(enum kcs_format f);
/* The format names, comma-separated, for messages and --help. */
const char *kcs_format_names(void);
/* Make the writer for `f` printing to `out`; NULL on allocation failure. */
struct kcs_report *kcs_report_new(enum kcs_format f, FILE *out) KCS_WUR;

#define KCS_SCHEMA_VERSION "kubecapscan/v1"

/*
 * JSON report, schema kubecapscan/v1 (docs/schema/kubecapscan-v1.schema.json).
 * Returns NULL on allocation failure.
 */
struct kcs_report *kcs_report_json_new(FILE *out) KCS_WUR;

/*
 * Table for people, for a 100-column terminal: failing containers grouped
 * by workload (spooled, sorted at the end), one line per namespace (with
 * the admission probe next to the labels), the reasons in words, the fixes
 * (kubectl patch / label), the drift (--baseline), then the summary.
 * Returns NULL on allocation failure.
 */
struct kcs_report *kcs_report_table_new(FILE *out) KCS_WUR;

/*
 * JUnit XML for CI test reporters (Jenkins, GitLab, GitHub): a testsuite per
 * namespace, a testcase per workload (a bare pod named by itself, any other
 * "Kind/name"), a failure per failing workload naming every distinct
 * failing container's reason, skipped for workloads the control does not
 * apply to, a testcase for a namespace whose admission FAILs or was
 * probed, and with --baseline a "kubecapscan drift" suite. Pods are
 * spooled as rows (struct kcs_rows) and grouped at the end, so memory
 * grows with namespaces, never with pods. Returns NULL on allocation
 * failure.
 */
struct kcs_report *kcs_report_junit_new(FILE *out) KCS_WUR;

/*
 * SARIF 2.1.0 (OASIS) with one run and one rule (CIS-<control ID>): a
 * result per failing container, per failing pod-level check and per
 * failing namespace, with logical locations namespace/pod/container and
 * the workload, the manifest's file and line as a physical location, the
 * remediation in the properties and, with --baseline, baselineState.
 * Returns NULL on allocation failure.
 */
struct kcs_report *kcs_report_sarif_new(FILE *out) KCS_WUR;

/*
 * Prometheus text exposition format 0.0.4 for the node-exporter textfile
 * collector or a Pushgateway: gauges by verdict (workloads too), failing
 * containers by namespace and reason, admission probes, exposure and
 * nodes by runtime, drift counts, scan duration, completeness and last
 * success. Keeps one small record per namespace. Returns NULL on
 * allocation failure.
 */
struct kcs_report *kcs_report_prometheus_new(FILE *out) KCS_WUR;

/*
 * A wgpolicyk8s.io/v1alpha2 ClusterPolicyReport, as JSON (which is YAML
 * and which kubectl apply accepts), in the shape Kyverno's Policy Reporter
 * shows: a result per container (naming its workload) and per namespace,
 * and with --baseline one per drift item. Returns NULL on allocation
 * failure.
 */
struct kcs_report *kcs_report_policyreport_new(FILE *out) KCS_WUR;

/* Format `t` as RFC 3339 UTC ("2026-11-23T10:00:00Z") into buf[32]. */
void kcs_format_time(time_t t, char buf[32]);

/* ---- helpers shared by the writers (report.c) --------------------- */

/*
 * Rule URL every format points people at for the control: the CIS
 * Kubernetes Benchmark's home page (the benchmark text itself needs a free
 * CIS account).
 */
#define KCS_CONTROL_HELP_URI "https://www.cisecurity.org/benchmark/kubernetes"

/*
 * A map from namespace name to a writer's own fixed-size record, for the
 * writers that count or group by namespace. Memory grows with namespaces,
 * never with pods (an open-addressing hash, kept under half full).
 */
struct kcs_nsmap;

/* A new map whose records are `rec_size` bytes; NULL on allocation failure. */
struct kcs_nsmap *kcs_nsmap_new(size_t rec_size) KCS_WUR;
void kcs_nsmap_free(struct kcs_nsmap *m);
/*
 * The record of namespace `name`, added zeroed if new. Returns NULL and
 * fills `err` (KCS_ERR_NOMEM, or KCS_ERR_LIMIT past KCS_NSMAP_MAX).
 */
#define KCS_NSMAP_MAX (1u << 20) /* as many as the scan itself tracks */
void *kcs_nsmap_get(struct kcs_nsmap *m, const char *name, size_t len,
		    struct kcs_error *err) KCS_WUR;
/* The record of namespace `name`, or NULL if it was never added. */
void *kcs_nsmap_find(const struct kcs_nsmap *m, const char *name, size_t len);

/*
 * Who was scanned, as every format shows it. Strings are borrowed from the
 * scan result; a field is NULL when unknown or not applicable.
 */
struct kcs_identity {
	const char *source;         /* "cluster" or "file" */
	const char *cluster_name;   /* --cluster-name */
	const char *server;         /* API server URL (live scans) */
	const char *context;        /* kubeconfig context (live scans) */
	const char *server_version; /* API server gitVersion (live scans) */
	const char *cluster_id;     /* kube-system namespace UID (live scans) */
};

void kcs_report_identity(const struct kcs_scan_result *res,
			 struct kcs_identity *id);

/* Bytes gathered before one fwrite: yajl_gen hands over tiny pieces. */
#define KCS_JSON_OUT_BUF (64 * 1024)

/*
 * A yajl_gen printing to a FILE through a buffer, for the JSON-based
 * writers. Write errors are sticky and reported by kcs_jsonout_finish().
 */
struct kcs_jsonout {
	FILE *out;                   /* borrowed */
	yajl_gen g;                  /* owned */
	int io_error;                /* a write failed */
	size_t used;                 /* bytes waiting in pending */
	char pending[KCS_JSON_OUT_BUF];
};

/* Set up `j` (pretty-printed, two-space indent); KCS_ERR_NOMEM on failure. */
enum kcs_err kcs_jsonout_init(struct kcs_jsonout *j, FILE *out) KCS_WUR;
void kcs_jsonout_release(struct kcs_jsonout *j);
/*
 * End the document with a newline and flush. Returns KCS_ERR_IO naming
 * `what` ("the SARIF report") if any write failed, KCS_ERR_INTERNAL if the
 * generator was misused.
 */
enum kcs_err kcs_jsonout_finish(struct kcs_jsonout *j, const char *what,
				struct kcs_error *err) KCS_WUR;

/*
 * yajl_gen shorthands: a string, a key with a string (NULL: null), a key
 * with an integer, a key with a boolean. Strings are written as valid
 * UTF-8 whatever they hold: a byte that does not begin a valid sequence
 * becomes U+FFFD (yajl_gen itself would pass it through and make the
 * document invalid JSON). NUL and control characters are \u-escaped.
 */
void kcs_json_str(yajl_gen g, const char *s);
void kcs_json_strn(yajl_gen g, const char *s, size_t len);
void kcs_json_kv(yajl_gen g, const char *key, const char *val);
void kcs_json_kint(yajl_gen g, const char *key, long long val);
void kcs_json_kbool(yajl_gen g, const char *key, int val);

/*
 * --runtime-aware: "nodesRead" and "nodes" (nodes per runtime and version),
 * as the JSON report's runtimes object and SARIF's run properties carry
 * them. Errors as kcs_nodes_summary.
 */
enum kcs_err kcs_json_runtime_nodes(yajl_gen g,
				    const struct kcs_scan_result *res,
				    struct kcs_error *err) KCS_WUR;
/* --baseline: "newNamespaces" and "removedNamespaces", arrays of names. */
void kcs_json_drift_namespaces(yajl_gen g, const struct kcs_drift *d);

/*
 * The report's summary object (namespaces, pods, containers, workloads by
 * verdict), as the JSON report and SARIF's run properties carry it.
 */
void kcs_json_summary(yajl_gen g, const struct kcs_scan_result *res);

/*
 * Decode the UTF-8 sequence at s[0..len): returns its length and sets *cp,
 * or returns 0 when s does not begin a valid sequence (overlong forms,
 * surrogates and code points past U+10FFFF are invalid). len must be > 0.
 */
size_t kcs_utf8_char(const char *s, size_t len, unsigned long *cp);

/*
 * Join the names of the set bits of `flags` (one of KCS_F_*) with `sep`
 * into buf; "" when none. Always NUL-terminates (size >= 1).
 */
void kcs_report_flags(unsigned flags, const char *sep, char *buf,
		      size_t size);

/* ---- rows: pods grouped by workload through an external sort ------ */

/*
 * The writers that group by workload (table, JUnit, SARIF) spool compact
 * rows and read them back sorted by namespace, workload kind and workload
 * name (bytewise, as the scan sorts namespaces), each workload's rows in
 * the order of enum kcs_row_kind. The sort is external: rows gather in a
 * run of at most KCS_ROWS_RUN_BYTES in memory, full runs are sorted and
 * written to an unlinked tmpfile(), and reading merges the runs (at most
 * KCS_ROWS_FANIN at a time, through a small buffer each). Memory stays
 * bounded whatever the number of pods or workloads and whatever the input
 * order; only a single row larger than the run (a remediation near
 * KCS_REMEDY_TEXT_MAX) makes a buffer grow to hold it.
 */
#define KCS_ROWS_RUN_BYTES (512 * 1024)
#define KCS_ROWS_FANIN 64

enum kcs_row_kind {
	KCS_ROW_WORKLOAD,  /* one per workload, from the workload table */
	KCS_ROW_POD,       /* a pod that FAILs or is EXEMPT */
	KCS_ROW_POD_FAIL,  /* a pod failing as a whole (its pod reason) */
	KCS_ROW_CONTAINER, /* a FAIL or EXEMPT container */
};

/*
 * One row read back. Strings are (pointer, length) pairs into the reader's
 * buffer, valid until the next kcs_rows_next/_peek; NULL when the row kind
 * has none. Names may hold any byte.
 */
struct kcs_row {
	enum kcs_row_kind kind;
	const char *ns;
	size_t ns_len;
	const char *wkind;             /* NUL-terminated */
	const char *wname;
	size_t wname_len;
	unsigned char resolved;        /* the top controller is known */
	unsigned long long seq;        /* the pod's position in the input */
	/* KCS_ROW_WORKLOAD: the workload table's record */
	enum kcs_verdict wverdict;
	unsigned long long pods_total, pods_fail;
	unsigned char has_fix;         /* failing: a remediation follows */
	unsigned char automatic;       /* struct kcs_remedy's */
	const char *kubectl;           /* NUL-terminated, or NULL */
	const char *json_patch;        /* compact JSON array, or NULL */
	const char *notes;             /* n_notes NUL-terminated strings */
	size_t n_notes;
	/* pods (POD, POD_FAIL, CONTAINER) and manifests (WORKLOAD too) */
	const char *pod;
	size_t pod_len;
	const char *uid;               /* NULL: none */
	size_t uid_len;
	enum kcs_verdict pod_verdict;
	enum kcs_pod_reason pod_reason;
	unsigned char host_network;
	const char *source_file;       /* borrowed from the scan, or NULL */
	unsigned long source_line;
	/* --runtime-aware: the pod's node */
	unsigned char node_known;      /* the node was found */
	unsigned char runtime;         /* enum kcs_runtime of that node */
	/* KCS_ROW_CONTAINER */
	enum kcs_ctype ctype;
	unsigned index;
	const char *cname;
	size_t cname_len;
	enum kcs_verdict verdict;      /* FAIL or EXEMPT */
	enum kcs_reason reason;
	unsigned flags;                /* KCS_F_* */
	unsigned char has_exposure, exposure, exposure_reason, exposure_flags;
	enum kcs_exempt_source exempt_source;
	const char *exempt_reason;     /* NUL-terminated; "" when none */
	char exempt_expires[11];
	unsigned long exempt_line;
};

struct kcs_rows;

/* A new, empty spool; NULL on allocation failure (nothing is allocated
 * for rows until the first one). */
struct kcs_rows *kcs_rows_new(void) KCS_WUR;
void kcs_rows_free(struct kcs_rows *r);
/*
 * Add `pod` (audited, its workload set): a POD row if it FAILs or is
 * EXEMPT, a POD_FAIL row for its pod reason, a CONTAINER row per FAIL or
 * EXEMPT container. Errors: KCS_ERR_NOMEM, KCS_ERR_IO (the spool).
 */
enum kcs_err kcs_rows_add_pod(struct kcs_rows *r, const struct kcs_pod *pod,
			      struct kcs_error *err) KCS_WUR;
/* Add the WORKLOAD row of `w` (from kcs_workloads_each), with its
 * remediation (kcs_report_remedy) when it has failing containers. */
enum kcs_err kcs_rows_add_workload(struct kcs_rows *r,
				   const struct kcs_workload *w,
				   struct kcs_error *err) KCS_WUR;
/* Every workload of `t`, as kcs_rows_add_workload (t NULL: none). */
enum kcs_err kcs_rows_add_workloads(struct kcs_rows *r,
				    struct kcs_workloads *t,
				    struct kcs_error *err) KCS_WUR;
/*
 * Lower the run size and the merge fan-in (tests: many runs and merge
 * passes from few rows). 0 keeps the default; call before the first add.
 */
void kcs_rows_set_limits(struct kcs_rows *r, size_t run_bytes, size_t fanin);
/* End of input: sort. Then read with _next/_peek; no more adds. */
enum kcs_err kcs_rows_sort(struct kcs_rows *r, struct kcs_error *err) KCS_WUR;
/*
 * The next row in order, or *row NULL at the end. _peek returns the same
 * row without consuming it. The row is valid until the next call.
 */
enum kcs_err kcs_rows_next(struct kcs_rows *r, const struct kcs_row **row,
			   struct kcs_error *err) KCS_WUR;
enum kcs_err kcs_rows_peek(struct kcs_rows *r, const struct kcs_row **row,
			   struct kcs_error *err) KCS_WUR;

/* Does row `x` belong to the workload `ns`/`kind`/`name`? */
int kcs_row_is_workload(const struct kcs_row *x, const char *ns,
			size_t ns_len, const char *kind, const char *name,
			size_t name_len);

/* ---- one workload's rows, gathered (table and JUnit) --------------- */

/* Distinct failing or exempt containers kept per workload; more are
 * counted in rows_cut. */
#define KCS_WGROUP_MAX_ROWS 64
/* Failing pod names kept per workload; all are counted in n_fail_pods. */
#define KCS_WGROUP_MAX_PODS 8

/*
 * One distinct failing or exempt container of a workload (pods of one
 * template collapse into one), or one pod-level failure reason. Rows of
 * the same container that differ only in exposure follow each other,
 * the later ones marked same_container.
 */
struct kcs_wg_row {
	unsigned char pod_level;     /* reason is an enum kcs_pod_reason and
					name the first such pod's name */
	unsigned char same_container; /* as the row before; another exposure */
	enum kcs_ctype ctype;
	unsigned index;
	const char *name;
	size_t name_len;
	enum kcs_verdict verdict;    /* FAIL or EXEMPT */
	unsigned reason;
	unsigned flags;
	enum kcs_exempt_source exempt_source;
	const char *exempt_reason;
	char exempt_expires[11];
	unsigned long exempt_line;
	unsigned char has_exposure, exposure, exposure_reason;
	unsigned char node_known, runtime;
	unsigned long long pods;     /* pods with exactly this row */
	size_t name_off, exempt_off; /* private: offsets in the text */
};

/* A workload and its rows. Strings live in `text` until the next call. */
struct kcs_wgroup {
	const char *ns;
	size_t ns_len;
	char kind[KCS_KIND_NAME_MAX + 1];
	const char *name;
	size_t name_len;
	unsigned char known;         /* its WORKLOAD row was read */
	unsigned char resolved;
	enum kcs_verdict verdict;    /* the workload table's verdict */
	unsigned long long pods_total, pods_fail;
	const char *source_file;     /* manifests, or NULL */
	unsigned long source_line;
	unsigned char has_fix, automatic;
	const char *kubectl, *json_patch, *notes; /* as struct kcs_row */
	size_t n_notes;
	struct kcs_wg_row rows[KCS_WGROUP_MAX_ROWS];
	size_t n_rows;
	unsigned long long rows_cut; /* rows beyond KCS_WGROUP_MAX_ROWS */
	const char *fail_pods[KCS_WGROUP_MAX_PODS];
	size_t fail_pod_lens[KCS_WGROUP_MAX_PODS];
	size_t n_fail_pods_kept;
	unsigned long long n_fail_pods;   /* failing pods read */
	/* private */
	struct kcs_buf text;
	size_t ns_off, name_off, kubectl_off, patch_off, notes_off;
	size_t pod_offs[KCS_WGROUP_MAX_PODS];
};

void kcs_wgroup_init(struct kcs_wgroup *g);
void kcs_wgroup_release(struct kcs_wgroup *g);
/*
 * Read the next workload's rows from `r` (sorted) into `g`; *more is 0
 * at the end. Errors: those of kcs_rows_next, KCS_ERR_NOMEM.
 */
enum kcs_err kcs_wgroup_next(struct kcs_rows *r, struct kcs_wgroup *g,
			     int *more, struct kcs_error *err) KCS_WUR;
/* Does workload group `g` belong to namespace ns[0..len)? */
int kcs_wgroup_in_ns(const struct kcs_wgroup *g, const char *ns, size_t len);
/* Compare namespace names bytewise, shorter first (the scan's order). */
int kcs_report_ns_cmp(const char *a, size_t al, const char *b, size_t bl);

/* ---- remediation and embedded JSON ----------------------------------- */

/*
 * The remediation of workload `w` as the JSON report gives it (out must be
 * KCS_REMEDY_INIT or released; out->failing is 0 when w has no failing
 * containers). Errors as kcs_remediate_workload.
 */
enum kcs_err kcs_report_remedy(const struct kcs_workload *w,
			       struct kcs_remedy *out,
			       struct kcs_error *err) KCS_WUR;

/*
 * Write the JSON value in s[0..len) (compact JSON text such as
 * kcs_remedy's json_patch) into `g` as JSON, not as a string. Returns
 * KCS_ERR_PARSE if it is not one JSON value, KCS_ERR_NOMEM.
 */
enum kcs_err kcs_json_embed(yajl_gen g, const char *s, size_t len,
			    struct kcs_error *err) KCS_WUR;

/*
 * A workload's API group version for Kubernetes object references
 * ("apps/v1" for a Deployment), or NULL for a kind it does not know.
 */
const char *kcs_report_kind_api_version(const char *kind);

#endif /* KCS_REPORT_H */
