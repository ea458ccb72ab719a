/*
 * live.h - a scan of a live cluster through the API (kubecapscan -A / -n).
 *
 * Order of work: GET /version; the namespaces (as PartialObjectMetadataList, accepting a full
 * list from servers that ignore that); then the pods, page by page with
 * limit/continue, each page streamed from libcurl straight into the reader.
 * A 410 Expired on a continue token restarts the pod listing once from a
 * new snapshot (pods of the old one are rolled back, see
 * kcs_scan_listing_rollback); a second 410 continues with the token the
 * server offers and marks the snapshot inconsistent. A 403 on a listing is
 * explained with SelfSubjectAccessReviews (the error names the verb,
 * resource and scope RBAC lacks); a scan that is allowed sends none, so it
 * costs the API server no more requests than kubectl's listing.
 */
#ifndef KCS_LIVE_H
#define KCS_LIVE_H

#include "kcs/audit.h"
#include "kcs/compat.h"
#include "kcs/err.h"
#include "kcs/http.h"
#include "kcs/reader.h"
#include "kcs/scan.h"
#include "kcs/owners.h"
#include "kcs/runtime.h"

/* kubectl's and client-go's default page size. */
#define KCS_DEFAULT_CHUNK_SIZE 500
/* Most pages of one listing; 150,000 pods at 500 is 300 pages. */
#define KCS_LIVE_MAX_PAGES 1000000

struct kcs_live_settings {
	const char *namespace;   /* NULL: all namespaces */
	unsigned long chunk_size; /* limit per page; 0: no paging */
	const char *label_selector; /* pods' labelSelector, or NULL */
	const char *field_selector; /* pods' fieldSelector, or NULL */
	/* Tables to fill before the pods are listed (NULL: not read). */
	struct kcs_owners *owners;      /* ReplicaSets and Jobs (workloads) */
	struct kcs_nodes *nodes;        /* --runtime-aware */
	struct kcs_rtclasses *rtclasses; /* --runtime-aware */
	int probe_admission;            /* dry-run probes in each namespace */
};

/* What the scan learned about the cluster, for the report's source. */
struct kcs_live_result {
	char server_version[64];              /* gitVersion, "" if unknown */
	char cluster_id[KCS_UID_MAX + 1];     /* kube-system UID, "" if unknown */
	char resource_version[KCS_RV_MAX + 1]; /* of the pod list */
	int snapshot_consistent;
	unsigned long pages;                  /* pod pages read */
	unsigned long restarts;               /* listings restarted after 410 */
	int nodes_read, rtclasses_read;       /* the lists were complete */
	unsigned long probed;                 /* namespaces probed */
};

/*
 * A SelfSubjectAccessReview: may we `verb` `resource` (in `ns`; NULL:
 * cluster scope; `name`: one object, or NULL)? Sets *allowed to 1 or 0,
 * or -1 when the API gives no answer (a 403 on reviews, an old server, a
 * proxy), and `why` to the review's reason. Returns an error only when the
 * cluster cannot be talked to (transport, credentials) or on NOMEM/LIMIT.
 */
enum kcs_err kcs_live_may_i(struct kcs_http *h, const char *verb,
			    const char *resource, const char *ns,
			    const char *name, int *allowed, char *why,
			    size_t why_size, struct kcs_error *err) KCS_WUR;

/*
 * Run the scan into `scan` (already begun). Returns KCS_OK when everything
 * was listed; otherwise the error (the pods seen so far are still in the
 * scan, which the caller reports as incomplete).
 */
enum kcs_err kcs_live_scan(struct kcs_http *h, struct kcs_scan *scan,
			   const struct kcs_live_settings *ls,
			   struct kcs_live_result *res,
			   struct kcs_error *err) KCS_WUR;

#endif /* KCS_LIVE_H */
