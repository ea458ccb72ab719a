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
#include "kcs/scan.h"

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
 * Table for people: failing containers as they are found, then one line per
 * namespace, then the summary. Returns NULL on allocation failure.
 */
struct kcs_report *kcs_report_table_new(FILE *out) KCS_WUR;

/*
 * JUnit XML for CI test reporters (Jenkins, GitLab, GitHub): a testsuite per
 * namespace, a testcase per pod, a failure per failing pod naming every
 * failing container's reason, skipped for pods the control does not apply
 * to, and a testcase for a namespace whose own admission policy FAILs.
 * Pods are spooled to an unlinked tmpfile() (a few dozen bytes each) and
 * grouped at the end, so memory grows with namespaces, never with pods.
 * Returns NULL on allocation failure.
 */
struct kcs_report *kcs_report_junit_new(FILE *out) KCS_WUR;

/*
 * SARIF 2.1.0 (OASIS) with one run and one rule (CIS-<control ID>): a
 * result per failing container, per failing pod-level check and per
 * failing namespace, with logical locations namespace/pod/container.
 * Returns NULL on allocation failure.
 */
struct kcs_report *kcs_report_sarif_new(FILE *out) KCS_WUR;

/*
 * Prometheus text exposition format 0.0.4 for the node-exporter textfile
 * collector or a Pushgateway: gauges by verdict, failing containers by
 * namespace and reason, scan duration, completeness and last success.
 * Keeps one small record per namespace. Returns NULL on allocation failure.
 */
struct kcs_report *kcs_report_prometheus_new(FILE *out) KCS_WUR;

/*
 * A wgpolicyk8s.io/v1alpha2 ClusterPolicyReport, as JSON (which is YAML
 * and which kubectl apply accepts), in the shape Kyverno's Policy Reporter
 * shows: a result per container and per namespace. Returns NULL on
 * allocation failure.
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

#endif /* KCS_REPORT_H */
