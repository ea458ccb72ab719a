/*
 * drift.h - what changed since a previous report (--baseline FILE).
 *
 * A baseline is a kubecapscan JSON report (schemaVersion kubecapscan/v1),
 * read with yajl's streaming parser in chunks of any size. Only what drift
 * needs is kept: the report's finishedAt, complete and scope, and one
 * record per distinct key
 *
 *   namespace / workload kind / workload name / container type / name
 *
 * (plus namespace-level and pod-level keys, below). Several pods of one
 * workload collapse into one key, so memory grows with distinct keys, never
 * with pods, and a restarted pod (new name, same workload) is not drift. A
 * key FAILs if any of its pods' containers FAILs; EXEMPT, NOT_APPLICABLE
 * and PASS are not failures. A pod of an older report without "workload"
 * is its own workload: kind "Pod", name the pod's name (a "legacy" key).
 *
 * The current scan is then fed pod by pod (kcs_drift_pod, or the lower
 * level kcs_drift_container) and namespace by namespace, and
 * kcs_drift_finish() sorts every key into the lists below. The order of
 * the lists is deterministic: sorted by key (bytewise), a namespace's own
 * item before its workloads' items, a workload's pod-level item before its
 * containers, containers by type (init, regular, ephemeral), then name.
 *
 * Three kinds of item:
 *   KCS_DRIFT_LEVEL_NAMESPACE  the namespace's own verdict (Pod Security
 *                              labels or admission); workload and
 *                              container are "" (report: both null);
 *   KCS_DRIFT_LEVEL_POD        a pod-level failure (pod reason MALFORMED
 *                              or NO_CONTAINERS); container is ""
 *                              (report: container null, workload set);
 *   KCS_DRIFT_LEVEL_CONTAINER  one container of a workload.
 *
 * States, and the list each goes to:
 *   new           FAILs now; the key is absent from the baseline.
 *   regressed     FAILs now; in the baseline it was PASS, EXEMPT (an
 *                 exemption expired or was removed), NOT_APPLICABLE or
 *                 UNKNOWN.                          -> new failures
 *   stillFailing  FAILed then, FAILs now.          -> still failing
 *   fixed         FAILed then; seen now, PASS or NOT_APPLICABLE.
 *   exempted      FAILed then; seen now, EXEMPT: waived, not fixed.
 *   gone          FAILed then; not seen now, and the current scan is
 *                 complete and covers the key (no pod of the workload, or
 *                 no such container or namespace, any more).  -> fixed
 *   unknown       FAILed then; not seen now but the current scan is
 *                 incomplete or does not cover the key, or seen with
 *                 verdict UNKNOWN. Never called fixed.  -> unknown
 *   added         a namespace not in the baseline (within the baseline's
 *                 scope).                          -> new namespaces
 *   removed       a baseline namespace not seen now, the current scan
 *                 complete and covering it.        -> removed namespaces
 *
 * Items outside the baseline's scope that FAIL now are "new": nothing says
 * they failed before. A scope mismatch adds a warning (kcs_drift_warnings)
 * the caller must show.
 *
 * Older baselines (pods without "workload"): kcs_drift_pod() also matches
 * each current pod by its own name against the baseline's legacy keys, so
 * a failure the baseline knew under the pod's name is stillFailing (under
 * the current workload key) rather than new, and a legacy key whose pod
 * now passes is fixed. Pods replaced since the baseline cannot be matched:
 * they show as new (workload key) and gone (old pod key), and a warning
 * says so.
 *
 * Order of calls: kcs_drift_new; kcs_drift_load_baseline (or
 * _baseline_begin, _baseline_feed..., _baseline_finish); any number of
 * kcs_drift_pod / _container / _namespace; kcs_drift_finish; then the
 * accessors. Calls out of order fail with KCS_ERR_INTERNAL. Nothing here
 * prints.
 */
#ifndef KCS_DRIFT_H
#define KCS_DRIFT_H

#include <stddef.h>
#include "kcs/audit.h"
#include "kcs/compat.h"
#include "kcs/err.h"

/*
 * Limits on a baseline (defaults; kcs_drift_set_limits lowers them).
 *
 * Deepest JSON nesting, skipped subtrees included: a report's deepest real
 * path (workloads[].remediation.jsonPatch[].value...) is under 12 levels.
 */
#define KCS_DRIFT_MAX_DEPTH 64
/*
 * Longest JSON string yajl may buffer (as reader.h's KCS_JSON_MAX_STRING):
 * a report holds no string near this; it bounds hostile input.
 */
#define KCS_DRIFT_MAX_STRING (4u * 1024 * 1024)
/* Largest baseline read, in bytes (far below yajl's 2 GiB overflow). */
#define KCS_DRIFT_MAX_BYTES (1024ull * 1024 * 1024)
/*
 * Most distinct keys, baseline and current together (1M: a 100k-pod
 * cluster of 5-container workloads has a few hundred thousand).
 */
#define KCS_DRIFT_MAX_KEYS (1u << 20)
/* Most containers in one baseline pod (as the reader's per-pod limit). */
#define KCS_DRIFT_MAX_CONTAINERS KCS_POD_MAX_CONTAINERS
/* Longest reason name kept ("ADMISSION_ADMITS_DEFAULT_NET_RAW"). */
#define KCS_DRIFT_REASON_MAX 63
/* Most distinct reason names (there are about twenty). */
#define KCS_DRIFT_MAX_REASONS 255
/* Longest label or field selector kept from a baseline's source. */
#define KCS_DRIFT_SELECTOR_MAX 4096
/* Most excludeNamespaces globs kept from a baseline (as KCS_MAX_EXCLUDES). */
#define KCS_DRIFT_MAX_EXCLUDES 64
/* Longest finishedAt kept (RFC 3339 is about 30 bytes). */
#define KCS_DRIFT_TIME_MAX 63
/* Longest workload kind (as KCS_KIND_NAME_MAX). */
#define KCS_DRIFT_KIND_MAX KCS_KIND_NAME_MAX

/* Lower limits, for tests and fuzzing; 0 in a field keeps the default. */
struct kcs_drift_limits {
	size_t max_keys;             /* <= KCS_DRIFT_MAX_KEYS */
	unsigned long long max_bytes; /* <= KCS_DRIFT_MAX_BYTES */
	size_t max_string;           /* <= KCS_DRIFT_MAX_STRING */
};

enum kcs_drift_level {
	KCS_DRIFT_LEVEL_NAMESPACE,
	KCS_DRIFT_LEVEL_POD,
	KCS_DRIFT_LEVEL_CONTAINER,
};

enum kcs_drift_state {
	KCS_DRIFT_NEW,
	KCS_DRIFT_REGRESSED,
	KCS_DRIFT_STILL_FAILING,
	KCS_DRIFT_FIXED,
	KCS_DRIFT_EXEMPTED,
	KCS_DRIFT_GONE,
	KCS_DRIFT_UNKNOWN,
	KCS_DRIFT_ADDED,
	KCS_DRIFT_REMOVED,
};

/* The result lists. */
enum kcs_drift_list {
	KCS_DRIFT_NEW_FAILURES,       /* new, regressed */
	KCS_DRIFT_FIXED_ITEMS,        /* fixed, exempted, gone */
	KCS_DRIFT_UNKNOWN_ITEMS,      /* unknown */
	KCS_DRIFT_STILL_FAILING_ITEMS, /* stillFailing */
	KCS_DRIFT_NEW_NAMESPACES,     /* added (level NAMESPACE) */
	KCS_DRIFT_REMOVED_NAMESPACES, /* removed (level NAMESPACE) */
	KCS_DRIFT_LIST_COUNT
};

/*
 * One result item. Every string is NUL-terminated and never NULL ("" when
 * not applicable); names may hold NUL bytes (a JSON "\u0000"), so writers
 * use the lengths. Everything is borrowed from the drift and valid until
 * kcs_drift_free().
 */
struct kcs_drift_item {
	enum kcs_drift_state state;
	enum kcs_drift_level level;
	const char *ns;
	size_t ns_len;
	const char *workload_kind;   /* "" for namespace items */
	size_t workload_kind_len;
	const char *workload_name;   /* "" for namespace items */
	size_t workload_name_len;
	enum kcs_ctype container_type; /* container items only */
	const char *container_name;  /* "" unless level CONTAINER */
	size_t container_name_len;
	/*
	 * The failure's reason, what a report shows: the current one for
	 * new, regressed and stillFailing; the baseline's for fixed,
	 * exempted, gone and unknown; "" for added and removed.
	 */
	const char *reason;
	/* Now: verdict and reason (UNKNOWN and "" when not seen now). */
	int seen;
	enum kcs_verdict verdict;
	const char *now_reason;
	/* Then: whether the baseline had the key, its verdict and reason. */
	int in_baseline;
	enum kcs_verdict baseline_verdict; /* UNKNOWN when !in_baseline */
	const char *baseline_reason;
	/* The key came from a baseline pod without "workload" (older). */
	int legacy;
};

/* What the baseline said about itself. Strings are borrowed, never NULL. */
struct kcs_drift_baseline {
	const char *file;        /* as given to load/begin */
	const char *finished_at; /* "" when absent or null */
	int complete;            /* the report's "complete"; 0 when absent */
	const char *ns;          /* source.namespace; NULL: all namespaces */
	const char *label_selector; /* NULL: none */
	const char *field_selector; /* NULL: none */
	const char *const *exclude_ns; /* source.excludeNamespaces */
	size_t n_exclude_ns;
	unsigned long long pods;        /* pods read */
	unsigned long long legacy_pods; /* of them, without "workload" */
	unsigned long long namespaces;  /* namespaces read */
};

/*
 * The current scan's scope, as the report's "source" says it (the fields
 * are named as in struct kcs_source). NULL fields mean "all" / "none".
 */
struct kcs_drift_scope {
	const char *ns;               /* -n, or NULL for all namespaces */
	const char *label_selector;   /* -l, or NULL */
	const char *field_selector;   /* --field-selector, or NULL */
	const char *const *exclude_ns; /* --exclude-namespace globs */
	size_t n_exclude_ns;
};

struct kcs_drift;

/* A new, empty drift; NULL on allocation failure. Free with _free. */
struct kcs_drift *kcs_drift_new(void) KCS_WUR;
void kcs_drift_free(struct kcs_drift *d);
/* Lower the limits (before loading); see struct kcs_drift_limits. */
void kcs_drift_set_limits(struct kcs_drift *d,
			  const struct kcs_drift_limits *lim);

/*
 * Read the baseline report at `path` (64 KiB at a time). Errors name the
 * file (also in err->source) and, for a bad document, the byte offset
 * (err->offset): KCS_ERR_IO (cannot open/read), KCS_ERR_PARSE (not JSON,
 * not a kubecapscan/v1 report, a field of the wrong type or value, a pod or
 * container without the fields drift needs), KCS_ERR_LIMIT (one of the
 * limits above), KCS_ERR_NOMEM.
 */
enum kcs_err kcs_drift_load_baseline(struct kcs_drift *d, const char *path,
				     struct kcs_error *err) KCS_WUR;
/*
 * The same in steps, for callers holding the bytes: `name` is what
 * messages call the file (copied). Feed chunks of any size; the result
 * does not depend on how the input was split. After an error, stop.
 */
enum kcs_err kcs_drift_baseline_begin(struct kcs_drift *d, const char *name,
				      struct kcs_error *err) KCS_WUR;
enum kcs_err kcs_drift_baseline_feed(struct kcs_drift *d, const void *data,
				     size_t len, struct kcs_error *err) KCS_WUR;
enum kcs_err kcs_drift_baseline_finish(struct kcs_drift *d,
				       struct kcs_error *err) KCS_WUR;

/*
 * Feed one audited pod of the current scan (after exemptions): every
 * container under key ns/wkind/wname, the pod-level reason if any, and the
 * pod's own name to match an older baseline's legacy keys. `wkind` NULL
 * means a bare pod (kind "Pod", name the pod's name; wname ignored).
 * KCS_ERR_LIMIT past max_keys or for a kind over KCS_DRIFT_KIND_MAX.
 */
enum kcs_err kcs_drift_pod(struct kcs_drift *d, const struct kcs_pod *pod,
			   const char *wkind, const char *wname,
			   size_t wname_len, struct kcs_error *err) KCS_WUR;

/*
 * Feed one container of the current scan. Lower level than kcs_drift_pod:
 * no legacy matching and no pod-level key. `wkind` is NUL-terminated.
 */
enum kcs_err kcs_drift_container(struct kcs_drift *d, const char *ns,
				 size_t ns_len, const char *wkind,
				 const char *wname, size_t wname_len,
				 enum kcs_ctype type, const char *cname,
				 size_t cname_len, enum kcs_verdict v,
				 enum kcs_reason reason,
				 struct kcs_error *err) KCS_WUR;

/*
 * Feed one namespace of the current scan with its verdict (PASS, FAIL or
 * UNKNOWN) and reason name ("ENFORCE_BASELINE", "ADMISSION_DENIES_NET_RAW";
 * NULL for none). Feed every namespace of the report, UNKNOWN ones too:
 * that is how drift knows a namespace still exists.
 */
enum kcs_err kcs_drift_namespace(struct kcs_drift *d, const char *name,
				 size_t len, enum kcs_verdict v,
				 const char *reason,
				 struct kcs_error *err) KCS_WUR;

/*
 * Decide every key. `current_complete` is the current report's
 * "complete"; `scope` the current scan's scope (NULL: all namespaces, no
 * selectors, no excludes). Only KCS_ERR_NOMEM or KCS_ERR_INTERNAL (out of
 * order) can fail it.
 */
enum kcs_err kcs_drift_finish(struct kcs_drift *d, int current_complete,
			      const struct kcs_drift_scope *scope,
			      struct kcs_error *err) KCS_WUR;

/* ---- results, valid after kcs_drift_finish() ------------------------ */

/* A result list, sorted; *n receives its length (0 before finish). */
const struct kcs_drift_item *kcs_drift_items(const struct kcs_drift *d,
					     enum kcs_drift_list list,
					     size_t *n);
/* Length of a list. */
size_t kcs_drift_count(const struct kcs_drift *d, enum kcs_drift_list list);
/* 1 when the new-failures list is not empty (--fail-on new). */
int kcs_drift_has_new_failures(const struct kcs_drift *d);
/*
 * Warnings to show next to the drift section (scope mismatch, incomplete
 * scans, an older baseline): *n receives their number. Borrowed.
 */
const char *const *kcs_drift_warnings(const struct kcs_drift *d, size_t *n);
/* What the baseline said about itself; valid after loading it. */
const struct kcs_drift_baseline *kcs_drift_baseline(const struct kcs_drift *d);

/* Stable names for reports: "new", "stillFailing", "gone", ... */
const char *kcs_drift_state_name(enum kcs_drift_state s);
/* "newFailures", "fixed", "unknown", "stillFailing", "newNamespaces", ... */
const char *kcs_drift_list_name(enum kcs_drift_list l);

#endif /* KCS_DRIFT_H */
