/*
 * workload.h - pods grouped by the workload that owns them.
 *
 * A pod's workload is its top controller (Pod -> ReplicaSet -> Deployment,
 * Pod -> Job -> CronJob, StatefulSet, DaemonSet, ...), or the pod itself
 * when nothing controls it (a bare pod, a static pod owned by its Node).
 * The scan resolves it (see kcs_workload_fn) and hands every pod here; the
 * table keeps one compact record per workload (memory grows with
 * workloads, never with pods) plus, for failing workloads, the distinct
 * failing containers remediation needs.
 */
#ifndef KCS_WORKLOAD_H
#define KCS_WORKLOAD_H

#include <stddef.h>
#include "kcs/audit.h"
#include "kcs/compat.h"
#include "kcs/err.h"

/* Most workloads tracked in one scan. */
#define KCS_WORKLOADS_MAX (1u << 22)
/*
 * Workloads held in memory at once: a namespace with more is spooled in
 * parts and merged at the end (see kcs_workloads_each).
 */
#define KCS_WORKLOADS_IN_MEMORY 2048
/* Distinct failing containers kept per workload; more are counted only. */
#define KCS_WORKLOAD_MAX_FAILING 64

/* One failing container of a workload, as remediation needs it. */
struct kcs_wl_container {
	const char *name;          /* in the table's arena */
	unsigned short name_len;
	unsigned char type;        /* enum kcs_ctype */
	unsigned char reason;      /* enum kcs_reason */
	unsigned index;
	unsigned char has_sc, has_caps, has_drop, privileged;
};

struct kcs_workload {
	struct kcs_workload *next;  /* hash chain */
	const char *ns, *kind, *name; /* NUL-terminated, in the arena */
	unsigned short ns_len, name_len;
	unsigned char resolved;     /* the top controller is known */
	unsigned char owner_gone;   /* its pods' controller no longer exists */
	unsigned char verdict;      /* enum kcs_verdict, see kcs_workloads_add */
	unsigned pods_total, pods_fail;
	const char *owner_kind;     /* "Node" for a static pod, else NULL */
	const char *owner_name;
	const char *source_file;    /* manifests: borrowed file name */
	unsigned long source_line;
	unsigned short n_failing;   /* kept in failing[] */
	unsigned char failing_cut;  /* more distinct failing containers */
	struct kcs_wl_container *failing;
};

/*
 * Decide a pod's workload: fills `out` (kind and name) and returns
 * KCS_WL_RESOLVED when the top controller is known, KCS_WL_UNRESOLVED when
 * an owner could not be read (then `out` is the pod's direct controller),
 * or KCS_WL_OWNER_GONE when that direct controller no longer exists.
 */
enum { KCS_WL_UNRESOLVED = 0, KCS_WL_RESOLVED = 1, KCS_WL_OWNER_GONE = 2 };
typedef int (*kcs_workload_fn)(const struct kcs_pod *pod,
			       struct kcs_objref *out, void *user);

/*
 * What is known without reading any owner: a manifest object is its own
 * workload, a pod without controller (or a static pod, controlled by its
 * Node) is its own, and anything else is its direct controller, known to
 * be the top unless it is a ReplicaSet or a Job (which may have one).
 */
int kcs_workload_direct(const struct kcs_pod *pod, struct kcs_objref *out,
			void *user);

struct kcs_workloads;

struct kcs_workloads *kcs_workloads_new(void) KCS_WUR;
void kcs_workloads_free(struct kcs_workloads *t);
/* Forget every workload (a rolled-back listing). */
void kcs_workloads_clear(struct kcs_workloads *t);

/*
 * Count `pod` (already audited, exemptions applied) under workload `w`.
 * The workload's verdict is FAIL if any pod FAILs, else UNKNOWN if any is
 * UNKNOWN, else PASS if any PASSes, else EXEMPT if any is, else
 * NOT_APPLICABLE. Returns KCS_ERR_NOMEM or KCS_ERR_LIMIT.
 */
enum kcs_err kcs_workloads_add(struct kcs_workloads *t,
			       const struct kcs_pod *pod,
			       const struct kcs_objref *w, int resolved,
			       struct kcs_error *err) KCS_WUR;

/*
 * Memory: pods arrive grouped by namespace from the API (etcd key order)
 * and from kubectl's output, so the table holds one namespace's workloads
 * at a time (at most KCS_WORKLOADS_IN_MEMORY); when the namespace changes
 * they are written to an unlinked temporary spool. A namespace that comes
 * back later (files in another order), or has more workloads than that,
 * is merged at the end through bucket files of bounded size, so memory
 * never grows with pods or workloads.
 */

/*
 * End of input: spool what is left and count the workloads. Call once,
 * before kcs_workloads_each() and the counts.
 */
enum kcs_err kcs_workloads_finish(struct kcs_workloads *t,
				  struct kcs_error *err) KCS_WUR;

/* Workloads, and workloads of each verdict (after finish). */
unsigned long long kcs_workloads_count(const struct kcs_workloads *t);
void kcs_workloads_counts(const struct kcs_workloads *t,
			  unsigned long long by_verdict[5]);

/*
 * Call `fn` for every workload (after finish): namespaces in the order the
 * input gave them, each namespace's workloads sorted by kind and name. The
 * record is valid during the call only. A non-OK return stops the walk.
 */
typedef enum kcs_err (*kcs_workload_each_fn)(const struct kcs_workload *w,
					      void *user,
					      struct kcs_error *err);
enum kcs_err kcs_workloads_each(struct kcs_workloads *t,
				kcs_workload_each_fn fn, void *user,
				struct kcs_error *err) KCS_WUR;

/*
 * The failing containers of `w` as struct kcs_container (for
 * kcs_remediate_workload); *out is allocated, free it with kcs_free.
 */
enum kcs_err kcs_workload_containers(const struct kcs_workload *w,
				     struct kcs_container **out, size_t *n,
				     struct kcs_error *err) KCS_WUR;

#endif /* KCS_WORKLOAD_H */
