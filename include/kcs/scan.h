/*
 * scan.h - one scan: the namespace table, the counters, the report sinks.
 *
 * The reader hands each audited pod to kcs_scan_pod() and each namespace
 * to kcs_scan_namespace(); the scan counts them, keeps one small record per
 * namespace (memory grows with namespaces, never with pods) and passes pods
 * straight on to every report. kcs_scan_finish() decides the namespaces and
 * closes the reports.
 */
#ifndef KCS_SCAN_H
#define KCS_SCAN_H

#include <stddef.h>
#include <time.h>
#include "kcs/audit.h"
#include "kcs/compat.h"
#include "kcs/control.h"
#include "kcs/err.h"
#include "kcs/exempt.h"
#include "kcs/psa.h"
#include "kcs/reader.h"
#include "kcs/workload.h"
#include "kcs/drift.h"
#include "kcs/probe.h"
#include "kcs/runtime.h"

/* Pass/fail counts of one kind of object. */
struct kcs_count {
	unsigned long long total, pass, fail, not_applicable, unknown, exempt;
};

/* One namespace: what the input said about it and how its pods fared. */
struct kcs_ns_entry {
	struct kcs_name name;
	struct kcs_uid uid;
	unsigned char has_uid;
	unsigned char present;       /* the Namespace object was in the input */
	struct kcs_psa_labels labels;
	struct kcs_ns_result result; /* valid after kcs_scan_finish() */
	/*
	 * --probe-admission: what admission did (owned, NULL if not
	 * probed) and the label reading it replaced when conclusive.
	 */
	struct kcs_probe_result *admission;
	struct kcs_ns_result labels_result;
	unsigned long long pods_total, pods_fail;
};

/* Where the objects came from, for the report's "source". */
enum kcs_source_kind { KCS_SOURCE_FILE, KCS_SOURCE_CLUSTER };

struct kcs_source {
	enum kcs_source_kind kind;
	/* file: the -f arguments, borrowed from argv */
	const char *const *files;
	size_t n_files;
	/* cluster: borrowed strings, NULL when unknown */
	const char *server, *context, *server_version, *cluster_id;
	const char *resource_version;
	const char *namespace;      /* NULL: all namespaces */
	int snapshot_consistent;
	/* scope: --exclude-namespace globs, selectors (NULL: none) */
	const char *const *exclude_ns;
	size_t n_exclude_ns;
	const char *label_selector, *field_selector;
};

/* One recorded error, for the report's errors[] (messages are copies). */
struct kcs_scan_error {
	enum kcs_err code;
	char message[KCS_ERROR_MSG_MAX];
	char source[256];
	int http_status;
};

#define KCS_SCAN_MAX_ERRORS 16
#define KCS_SCAN_MAX_WARNINGS 64

struct kcs_scan;
struct kcs_report;

/* What reports know from the start: when, which control, which cluster. */
struct kcs_scan_meta {
	time_t started;
	const struct kcs_control *control; /* never NULL */
	const char *cluster_name;          /* --cluster-name, or NULL */
};

/* What reports see at the end of a scan. */
struct kcs_scan_result {
	const struct kcs_scan_meta *meta;
	struct kcs_count namespaces, pods, containers;
	/* namespaces sorted by name; borrowed from the scan */
	struct kcs_ns_entry *const *ns_sorted;
	size_t n_ns;
	const struct kcs_source *source;
	int complete;
	const struct kcs_scan_error *errors;
	size_t n_errors;
	char *const *warnings;
	size_t n_warnings;
	time_t started, finished;
	const struct kcs_exemptions *exemptions; /* NULL: none in use */
	struct kcs_workloads *workloads;   /* every pod's workload */
	int runtime_aware;                 /* exposure was judged */
	const struct kcs_nodes *nodes;     /* --runtime-aware, or NULL */
	const struct kcs_rtclasses *rtclasses;
	int probed;                        /* --probe-admission */
	const struct kcs_drift *drift;     /* --baseline: finished, or NULL */
};

/*
 * A report writer (table, JSON, ...). `begin` runs before the first pod,
 * `pod` once per pod, `end` once with the totals; `free` releases it.
 * Writers print to the FILE they were made with and check nothing else.
 */
struct kcs_report_ops {
	const char *name;
	enum kcs_err (*begin)(struct kcs_report *rep,
			      const struct kcs_scan_meta *meta,
			      struct kcs_error *err);
	enum kcs_err (*pod)(struct kcs_report *rep, const struct kcs_pod *pod,
			    struct kcs_error *err);
	enum kcs_err (*end)(struct kcs_report *rep,
			    const struct kcs_scan_result *res,
			    struct kcs_error *err);
	void (*free)(struct kcs_report *rep);
};

struct kcs_report {
	const struct kcs_report_ops *ops;
};

/* Returns a new scan, or NULL on allocation failure. */
struct kcs_scan *kcs_scan_new(const struct kcs_psa_default *def) KCS_WUR;
void kcs_scan_free(struct kcs_scan *s);

/* Attach a report; the scan takes ownership and frees it. */
enum kcs_err kcs_scan_attach_report(struct kcs_scan *s, struct kcs_report *rep,
				    struct kcs_error *err) KCS_WUR;

/* Start the reports (call once, before any pod). */
enum kcs_err kcs_scan_begin(struct kcs_scan *s, struct kcs_error *err) KCS_WUR;

/* Reader callbacks; `user` is the struct kcs_scan. */
enum kcs_err kcs_scan_pod(struct kcs_pod *pod, void *user,
			  struct kcs_error *err);
enum kcs_err kcs_scan_namespace(const struct kcs_nsobj *ns, void *user,
				struct kcs_error *err);
/* Reader callbacks bound to this scan. */
struct kcs_reader_cbs kcs_scan_reader_cbs(struct kcs_scan *s);

/* Record an error for the report (the scan is then incomplete). */
void kcs_scan_add_error(struct kcs_scan *s, const struct kcs_error *e);
/* Record a warning line for the report (copied). */
enum kcs_err kcs_scan_add_warning(struct kcs_scan *s, const char *fmt, ...)
	KCS_PRINTF(2, 3);
/* Note the kinds a reader skipped, for one combined note. */
void kcs_scan_note_skipped(struct kcs_scan *s, const struct kcs_doc_info *in);
/* Skipped-object note text ("3 objects of other kinds (Deployment, ...)"), or NULL. */
const char *kcs_scan_skipped_note(struct kcs_scan *s);

/*
 * Decide namespaces, close every report. `complete` is 0 when the scan
 * could not see everything. Returns the first report error.
 */
enum kcs_err kcs_scan_finish(struct kcs_scan *s, const struct kcs_source *src,
			     int complete, struct kcs_error *err) KCS_WUR;

/*
 * Listing transactions (live scans). Between _begin and _commit, pods are
 * counted at once but kept in an unlinked temporary spool instead of going
 * to the reports; _rollback forgets them (a 410 on a continue token means
 * the list must start again from a new snapshot, and the report must not
 * hold pods of the old one); _commit replays them to the reports. The spool
 * holds only what the reports will print (names and verdicts).
 */
enum kcs_err kcs_scan_listing_begin(struct kcs_scan *s,
				    struct kcs_error *err) KCS_WUR;
enum kcs_err kcs_scan_listing_rollback(struct kcs_scan *s,
				       struct kcs_error *err) KCS_WUR;
enum kcs_err kcs_scan_listing_commit(struct kcs_scan *s,
				     struct kcs_error *err) KCS_WUR;

/* After finish: did any pod or namespace FAIL? */
int kcs_scan_has_failures(const struct kcs_scan *s);
/* Counters so far. */
const struct kcs_count *kcs_scan_pod_counts(const struct kcs_scan *s);
/* Look up a namespace by name; NULL if absent. */
const struct kcs_ns_entry *kcs_scan_find_ns(const struct kcs_scan *s,
					    const char *name, size_t len);
/*
 * Say which benchmark control the reports name (default: the newest whose
 * NET_RAW control is 5.2.8) and the cluster's display name (NULL: none).
 * Call before kcs_scan_begin(); both are borrowed.
 */
void kcs_scan_set_meta(struct kcs_scan *s, const struct kcs_control *control,
		       const char *cluster_name);
/*
 * Leave out namespaces matching any of these shell globs (fnmatch), and
 * their pods, from counts and reports. Borrowed; call before any input.
 */
void kcs_scan_set_excludes(struct kcs_scan *s, const char *const *globs,
			   size_t n);
/*
 * Apply these exemptions to every pod (borrowed; NULL for none). Call
 * before any input.
 */
void kcs_scan_set_exemptions(struct kcs_scan *s, struct kcs_exemptions *ex);
/*
 * How pods' workloads are decided (default kcs_workload_direct, which
 * reads no owner). `user` is borrowed. Call before any input.
 */
void kcs_scan_set_workload_fn(struct kcs_scan *s, kcs_workload_fn fn,
			      void *user);
/*
 * Record the admission probe of namespace `name` (copied). Its verdict
 * replaces the label reading at kcs_scan_finish() when it is PASS or FAIL.
 */
enum kcs_err kcs_scan_set_admission(struct kcs_scan *s, const char *name,
				    size_t len,
				    const struct kcs_probe_result *r,
				    struct kcs_error *err) KCS_WUR;
/*
 * Mark the admission probes as running (1) or done (0): API warnings about
 * the probe pods are theirs, not the cluster's, and are not reported.
 */
void kcs_scan_set_probing(struct kcs_scan *s, int on);
int kcs_scan_probing(const struct kcs_scan *s);
/* Call `fn` for every namespace known so far (for probing). */
enum kcs_err kcs_scan_each_ns(struct kcs_scan *s,
			      enum kcs_err (*fn)(struct kcs_ns_entry *e,
						 void *user,
						 struct kcs_error *err),
			      void *user, struct kcs_error *err) KCS_WUR;
/*
 * --runtime-aware: judge every container's exposure on its node's runtime
 * with these tables (borrowed; either may be NULL: unreadable).
 */
void kcs_scan_set_runtime(struct kcs_scan *s, const struct kcs_nodes *nodes,
			  const struct kcs_rtclasses *classes);
/*
 * --baseline: feed every reported pod and namespace to `d` (borrowed,
 * baseline loaded) and finish it in kcs_scan_finish(), before the reports
 * end, which then carry the drift.
 */
void kcs_scan_set_drift(struct kcs_scan *s, struct kcs_drift *d);
/* Pods left out so far because their namespace is excluded. */
unsigned long long kcs_scan_excluded_pods(const struct kcs_scan *s);
/* Override the start time (tests and callers that began earlier). */
void kcs_scan_set_times(struct kcs_scan *s, time_t started, time_t finished);

#endif /* KCS_SCAN_H */
