/*
 * runtime.h - which container runtime runs a pod, and what that means for
 * NET_RAW (--runtime-aware; issue 7, "Runtime-aware exposure").
 *
 * Two tables, each filled by a streaming reader fed in chunks of any size:
 *
 *   - nodes, from a full NodeList (GET /api/v1/nodes, Accept
 *     application/json; a PartialObjectMetadataList is NOT enough, the
 *     runtime lives in status.nodeInfo): per node its name, the
 *     kubernetes.io/os and beta.kubernetes.io/os labels,
 *     status.nodeInfo.containerRuntimeVersion and .operatingSystem;
 *   - RuntimeClasses, from a RuntimeClassList
 *     (GET /apis/node.k8s.io/v1/runtimeclasses): name -> handler.
 *
 * Memory grows with the number of nodes and RuntimeClasses only: one
 * allocation per entry holding its strings, in a hash table by name.
 *
 * kcs_runtime_pod() then places a pod (node, runtime, handler) and
 * kcs_runtime_exposure() says whether one of its containers really holds
 * NET_RAW there. The spec verdict of audit.h is never changed: the
 * effective exposure is a separate answer, and a spec FAIL never becomes
 * NOT_EXPOSED (at best WARN). Nothing here prints.
 */
#ifndef KCS_RUNTIME_H
#define KCS_RUNTIME_H

#include <stddef.h>
#include "kcs/audit.h"
#include "kcs/compat.h"
#include "kcs/err.h"
#include "kcs/reader.h"

/* Container runtimes, from the scheme of containerRuntimeVersion. */
enum kcs_runtime {
	KCS_RT_UNKNOWN,    /* containerRuntimeVersion empty or not read */
	KCS_RT_CONTAINERD, /* "containerd://..." */
	KCS_RT_CRIO,       /* "cri-o://..." */
	KCS_RT_DOCKER,     /* "docker://..." (dockershim, cri-dockerd) */
	KCS_RT_OTHER,      /* anything else */
};

/*
 * Classify a containerRuntimeVersion of `len` bytes. The scheme must match
 * exactly (kubelet writes the CRI runtime name as it is: "containerd",
 * "cri-o", "docker"); anything else is OTHER, "" is UNKNOWN. `*version`
 * (may be NULL) gets the offset of the version text: after "://" for the
 * three known runtimes, 0 (the whole text) otherwise.
 */
enum kcs_runtime kcs_runtime_classify(const char *s, size_t len,
				      size_t *version);
/* "containerd", "cri-o", "docker", "other", "unknown". */
const char *kcs_runtime_name(enum kcs_runtime rt);

/* A node's operating system, as far as the node itself says. */
enum kcs_node_os {
	KCS_OS_UNKNOWN,  /* no label and no nodeInfo.operatingSystem */
	KCS_OS_LINUX,    /* every present source says "linux" */
	KCS_OS_WINDOWS,  /* every present source says "windows" */
	KCS_OS_OTHER,    /* every present source says the same other word */
	KCS_OS_CONFLICT, /* the sources disagree: never taken as Windows */
};
const char *kcs_node_os_name(enum kcs_node_os os); /* "linux", ... */

/* Longest field kept; longer is an input error (KCS_ERR_LIMIT). */
#define KCS_RUNTIME_TEXT_MAX 256
/* Most nodes / RuntimeClasses a table holds (KCS_ERR_LIMIT beyond). */
#define KCS_NODES_MAX 200000
#define KCS_RTCLASSES_MAX 65536

/* One node. Strings are NUL-terminated, owned by the table. */
struct kcs_node {
	const char *name;
	size_t name_len;          /* names may hold NUL bytes ("\u0000") */
	enum kcs_runtime runtime;
	const char *runtime_text; /* containerRuntimeVersion, "" if unset */
	const char *version;      /* see kcs_runtime_classify(): a suffix of
				     runtime_text */
	enum kcs_node_os os;
	const char *os_label;      /* kubernetes.io/os, NULL if absent */
	const char *beta_os_label; /* beta.kubernetes.io/os, NULL if absent */
	const char *info_os;       /* nodeInfo.operatingSystem, or NULL */
	unsigned char malformed;   /* a field had the wrong JSON type: runtime
				      and os are then UNKNOWN */
};

/* One RuntimeClass. */
struct kcs_rtclass {
	const char *name;
	size_t name_len;
	const char *handler;       /* "" if absent */
	unsigned char malformed;   /* handler had the wrong JSON type */
};

struct kcs_nodes;
struct kcs_rtclasses;

/* New empty tables, or NULL on allocation failure. _free accepts NULL. */
struct kcs_nodes *kcs_nodes_new(void) KCS_WUR;
void kcs_nodes_free(struct kcs_nodes *t);
/* Forget every node (before reading a fresh snapshot); keeps memory. */
void kcs_nodes_clear(struct kcs_nodes *t);
size_t kcs_nodes_count(const struct kcs_nodes *t);
/* Nodes skipped for having no usable metadata.name. */
size_t kcs_nodes_nameless(const struct kcs_nodes *t);
/* The node called name[0..len), or NULL. Borrowed until clear/free. */
const struct kcs_node *kcs_nodes_find(const struct kcs_nodes *t,
				      const char *name, size_t len);
/* Every node, in no set order: start with *pos = 0; NULL at the end. */
const struct kcs_node *kcs_nodes_next(const struct kcs_nodes *t,
				      size_t *pos);

struct kcs_rtclasses *kcs_rtclasses_new(void) KCS_WUR;
void kcs_rtclasses_free(struct kcs_rtclasses *t);
void kcs_rtclasses_clear(struct kcs_rtclasses *t);
size_t kcs_rtclasses_count(const struct kcs_rtclasses *t);
const struct kcs_rtclass *kcs_rtclasses_find(const struct kcs_rtclasses *t,
					     const char *name, size_t len);
size_t kcs_rtclasses_nameless(const struct kcs_rtclasses *t);
const struct kcs_rtclass *kcs_rtclasses_next(const struct kcs_rtclasses *t,
					     size_t *pos);

/*
 * Nodes per runtime and version, for the report: one row per distinct
 * (runtime, version), sorted by runtime then version bytes. `version` is
 * borrowed from the table (valid until clear/free). *out is a new array
 * the caller frees with kcs_free (NULL when there are no nodes).
 */
struct kcs_runtime_count {
	enum kcs_runtime runtime;
	const char *version;
	size_t nodes;
};
enum kcs_err kcs_nodes_summary(const struct kcs_nodes *t,
			       struct kcs_runtime_count **out, size_t *n,
			       struct kcs_error *err) KCS_WUR;

/*
 * The streaming reader. One reader parses one JSON document (one page);
 * kcs_rtreader_restart() readies it for the next page and keeps the
 * table. Items are added to the table as each closes (a node named twice
 * keeps the later one). The document may be a NodeList / RuntimeClassList,
 * a kubectl "List", or a single Node / RuntimeClass; items of other kinds
 * are skipped and counted in the info. A `kind: Status` body is recorded
 * in the info, not an error.
 *
 * Errors (KCS_ERR_PARSE for bad JSON or a bad envelope, KCS_ERR_LIMIT for
 * nesting over KCS_JSON_MAX_DEPTH, a string over KCS_JSON_MAX_STRING, a
 * field over KCS_RUNTIME_TEXT_MAX or a table over its maximum,
 * KCS_ERR_NOMEM) name the byte offset and never quote the input. A field
 * of the wrong type inside an item only marks that item malformed.
 */
struct kcs_rtreader;

/* The tables are borrowed and must outlive the reader. NULL on NOMEM. */
struct kcs_rtreader *kcs_rtreader_new_nodes(struct kcs_nodes *t) KCS_WUR;
struct kcs_rtreader *kcs_rtreader_new_classes(struct kcs_rtclasses *t)
	KCS_WUR;
void kcs_rtreader_free(struct kcs_rtreader *r);
enum kcs_err kcs_rtreader_feed(struct kcs_rtreader *r, const void *data,
			       size_t len, struct kcs_error *err) KCS_WUR;
/* End of the document; a truncated document is an error. */
enum kcs_err kcs_rtreader_finish(struct kcs_rtreader *r,
				 struct kcs_error *err) KCS_WUR;
enum kcs_err kcs_rtreader_restart(struct kcs_rtreader *r,
				  struct kcs_error *err) KCS_WUR;
unsigned long long kcs_rtreader_offset(const struct kcs_rtreader *r);
/*
 * Envelope: kind, continue token, resourceVersion, remainingItemCount,
 * Status, skipped kinds (n_pods / n_namespaces stay 0). Valid until the
 * next restart.
 */
const struct kcs_doc_info *kcs_rtreader_info(const struct kcs_rtreader *r);

/* ---- one pod on its node -------------------------------------------- */

/* Why a pod's node is or is not known. */
enum kcs_node_state {
	KCS_NODE_KNOWN,         /* found in the table */
	KCS_NODE_NOT_SCHEDULED, /* spec.nodeName is empty */
	KCS_NODE_NOT_FOUND,     /* nodeName not in the table */
	KCS_NODE_UNREADABLE,    /* no table: nodes could not be listed */
};

/* Why a pod's runtime handler is or is not known. */
enum kcs_handler_state {
	KCS_HANDLER_DEFAULT,    /* no spec.runtimeClassName */
	KCS_HANDLER_KNOWN,      /* RuntimeClass found (handler may be "") */
	KCS_HANDLER_NOT_FOUND,  /* no RuntimeClass of that name */
	KCS_HANDLER_UNREADABLE, /* no table, or the RuntimeClass malformed */
};

/* A pod's place. Pointers are borrowed from the tables and the pod. */
struct kcs_pod_runtime {
	enum kcs_node_state node_state;
	const struct kcs_node *node;     /* NULL unless KNOWN */
	enum kcs_handler_state handler_state;
	const char *handler;             /* NULL unless KNOWN */
	unsigned char sandboxed;         /* gVisor: see kcs_runtime_pod() */
};

/*
 * Place `pod` (after the reader filled node_name and runtime_class). A
 * NULL table means that list could not be read. sandboxed is set when the
 * handler is "runsc", or the handler or the runtimeClassName contains
 * "gvisor" or "runsc" (ASCII case-insensitive; GKE Sandbox names both
 * "gvisor").
 */
void kcs_runtime_pod(const struct kcs_nodes *nodes,
		     const struct kcs_rtclasses *classes,
		     const struct kcs_pod *pod, struct kcs_pod_runtime *out);

/* Effective exposure of one container to NET_RAW. */
enum kcs_exposure {
	KCS_X_EXPOSED,        /* the container holds NET_RAW */
	KCS_X_NOT_EXPOSED,    /* it does not, on any runtime (spec PASS) */
	KCS_X_WARN,           /* spec FAIL, but this runtime or sandbox
				 likely removes NET_RAW: fix it anyway */
	KCS_X_UNKNOWN,        /* cannot tell (node or spec unreadable) */
	KCS_X_NOT_APPLICABLE, /* Windows: no Linux capabilities */
};

/* Why; the first rule of kcs_runtime_exposure() that matched. */
enum kcs_exposure_reason {
	KCS_XR_WINDOWS_POD,         /* spec.os.name windows (NOT_APPLICABLE) */
	KCS_XR_WINDOWS_NODE,        /* Windows node, spec.os unset (N/A) */
	KCS_XR_OS_MISMATCH,         /* spec.os set, not windows, Windows node */
	KCS_XR_SPEC_UNKNOWN,        /* spec verdict UNKNOWN */
	KCS_XR_SPEC_MALFORMED,      /* spec verdict reason MALFORMED */
	KCS_XR_SPEC_DROPS,          /* drop removes it; no runtime adds it */
	KCS_XR_SANDBOXED,           /* gVisor, spec FAIL (WARN) */
	KCS_XR_PRIVILEGED,          /* every runtime grants all caps */
	KCS_XR_ADDED,               /* capabilities.add grants it here */
	KCS_XR_ADD_UNDONE,          /* runtime drops after adding (WARN) */
	KCS_XR_PREFIXED_ADD_IGNORED, /* containerd ignores CAP_ in add (WARN) */
	KCS_XR_DROP_PREFIXED_IGNORED, /* containerd: drop CAP_NET_RAW no-op */
	KCS_XR_DROP_PREFIXED_HONOURED, /* CRI-O/Docker honour it (WARN) */
	KCS_XR_RUNTIME_DEFAULT,     /* default set has NET_RAW, not dropped */
	KCS_XR_CRIO_DEFAULT_EXCLUDES_NET_RAW, /* CRI-O >= 1.18 (WARN) */
	KCS_XR_NOT_SCHEDULED,       /* no node yet (UNKNOWN) */
	KCS_XR_NODE_NOT_FOUND,      /* node not in the list (UNKNOWN) */
	KCS_XR_NODES_UNREADABLE,    /* nodes could not be listed (UNKNOWN) */
	KCS_XR_NODE_MALFORMED,      /* node fields of the wrong type */
	KCS_XR_RUNTIME_NOT_REPORTED, /* containerRuntimeVersion empty */
	KCS_XR_RUNTIME_NOT_RECOGNISED, /* some other runtime (UNKNOWN) */
	KCS_XR_COUNT
};

/* Informational exposure flags. */
enum {
	KCS_XF_HANDLER_UNKNOWN = 1u << 0, /* runtimeClassName set, handler
					     not readable or not found */
	KCS_XF_OS_INFERRED = 1u << 1,     /* Windows taken from the node */
	KCS_XF_SANDBOXED = 1u << 2,       /* gVisor (runsc) pod */
	KCS_XF_COUNT = 3
};

struct kcs_container_exposure {
	enum kcs_exposure effective;
	enum kcs_exposure_reason reason;
	unsigned flags; /* KCS_XF_* */
};

/*
 * Decide container `c` of `pod` (after kcs_audit_pod; an EXEMPT container
 * is judged by its FAIL reason: an exemption changes policy, not fact) in
 * the place `where` from kcs_runtime_pod(). Rules, first match wins:
 *
 *  1. spec NOT_APPLICABLE (Windows pod)             -> NOT_APPLICABLE
 *  2. known node with OS windows, spec.os unset     -> NOT_APPLICABLE
 *     (WINDOWS_NODE, flag OS_INFERRED); spec.os set -> UNKNOWN OS_MISMATCH
 *  3. spec UNKNOWN / MALFORMED                      -> UNKNOWN
 *  4. NET_RAW absent on containerd, CRI-O and Docker alike (every spec
 *     PASS)                                         -> NOT_EXPOSED
 *  5. gVisor                                        -> WARN SANDBOXED
 *  6. the node's runtime is containerd, CRI-O or Docker: simulate it
 *     (semantics.md 1.1-1.4): holds it -> EXPOSED; removes it -> WARN;
 *     CRI-O default set decides -> WARN CRIO_DEFAULT_EXCLUDES_NET_RAW
 *     (EXPOSED on CRI-O before 1.18, whose default had NET_RAW)
 *  7. otherwise (node unknown, runtime other/unreported): EXPOSED if all
 *     three runtimes grant it (privileged, add NET_RAW), else UNKNOWN.
 */
void kcs_runtime_exposure(const struct kcs_pod *pod,
			  const struct kcs_pod_runtime *where,
			  const struct kcs_container *c,
			  struct kcs_container_exposure *out);

/* "EXPOSED", "NOT_EXPOSED", "WARN", "UNKNOWN", "NOT_APPLICABLE". */
const char *kcs_exposure_name(enum kcs_exposure x);
/* Stable reason names ("CRIO_DEFAULT_EXCLUDES_NET_RAW") and their text. */
const char *kcs_exposure_reason_name(enum kcs_exposure_reason r);
const char *kcs_exposure_reason_text(enum kcs_exposure_reason r);
/* Name of one KCS_XF_* bit, or NULL. */
const char *kcs_exposure_flag_name(unsigned bit);
const char *kcs_node_state_name(enum kcs_node_state s);
const char *kcs_handler_state_name(enum kcs_handler_state s);

#endif /* KCS_RUNTIME_H */
