/*
 * owners.h - which workload a pod belongs to (issue 7, "Workloads and
 * remediation").
 *
 * A table of owner objects (ReplicaSets, Jobs, or any other kind), each
 * with its controller ownerReference, filled by a streaming reader from a
 * list of them: a PartialObjectMetadataList (metadata is all we need;
 * Accept: application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,
 * application/json) or a full ReplicaSetList / JobList, or a kubectl
 * "List". Memory grows with the number of objects only, packed: about 100
 * bytes an object (kinds and namespaces interned, UUIDs as 16 bytes), in a
 * hash table keyed by kind, namespace and name.
 *
 * kcs_owners_resolve() then follows a pod's controller up to its workload:
 *
 *   read from a manifest          -> the manifest object (pod->source)
 *   no controller                 -> the pod itself       (kind "Pod")
 *   Node (static / mirror pod)    -> the pod itself       (kind "Pod")
 *   ReplicaSet -> Deployment      -> the Deployment
 *   ReplicaSet, other controller  -> the ReplicaSet (managed_by names it)
 *   Job -> CronJob                -> the CronJob
 *   Job, other controller         -> the Job (managed_by names it)
 *   StatefulSet, DaemonSet, ReplicationController, anything else
 *                                 -> that owner itself
 *
 * When a ReplicaSet or Job is not in the table (its kind could not be
 * listed, or the object is gone), or is a different object of the same
 * name (uid mismatch), the direct owner is the workload with resolved = 0.
 * Nothing here prints.
 */
#ifndef KCS_OWNERS_H
#define KCS_OWNERS_H

#include <stddef.h>
#include "kcs/audit.h"
#include "kcs/compat.h"
#include "kcs/err.h"
#include "kcs/reader.h"

/* Most objects one table holds (KCS_ERR_LIMIT beyond): ~200 MiB at most. */
#define KCS_OWNERS_MAX 1000000
/* Kinds kcs_owners_mark_listed() remembers. */
#define KCS_OWNERS_MAX_KINDS 16

/* One owner object. Strings are NUL-terminated and owned by the table. */
struct kcs_owned {
	const char *kind;           /* "ReplicaSet" */
	const char *ns;             /* "" for cluster-scoped objects */
	size_t ns_len;
	const char *name;
	size_t name_len;
	const char *uid;            /* "" if absent */
	size_t uid_len;
	unsigned char has_controller; /* a ref had controller: true */
	const char *ctl_kind;       /* the controller ("Deployment"), or "" */
	const char *ctl_name;
	size_t ctl_name_len;
	const char *ctl_uid;        /* "" if absent */
	size_t ctl_uid_len;
	unsigned char malformed;    /* a field had the wrong JSON type */
};

struct kcs_owners;

/* A new empty table, or NULL on allocation failure. _free accepts NULL. */
struct kcs_owners *kcs_owners_new(void) KCS_WUR;
void kcs_owners_free(struct kcs_owners *t);
/* Forget every object and listed kind (before a fresh snapshot). */
void kcs_owners_clear(struct kcs_owners *t);
size_t kcs_owners_count(const struct kcs_owners *t);
/* Objects skipped for having no usable metadata.name. */
size_t kcs_owners_nameless(const struct kcs_owners *t);
/*
 * The object, or NULL. The table decodes it into one view it owns: borrowed
 * until the next find, next, clear or free.
 */
const struct kcs_owned *kcs_owners_find(const struct kcs_owners *t,
					const char *kind, const char *ns,
					size_t ns_len, const char *name,
					size_t name_len);
/*
 * Every object, in no set order: start with *pos = 0; NULL at the end.
 * The same view as find's, so copy what must outlive the next call.
 */
const struct kcs_owned *kcs_owners_next(const struct kcs_owners *t,
					size_t *pos);

/*
 * Record that every object of `kind` was listed (all pages read), so a
 * missing one is gone (OWNER_NOT_FOUND) rather than unreadable
 * (OWNER_NOT_READ). Either way the pod's workload is unresolved; only the
 * reason differs. KCS_ERR_LIMIT past KCS_OWNERS_MAX_KINDS kinds.
 */
enum kcs_err kcs_owners_mark_listed(struct kcs_owners *t, const char *kind,
				    struct kcs_error *err) KCS_WUR;
int kcs_owners_is_listed(const struct kcs_owners *t, const char *kind);

/*
 * The streaming reader. One reader parses one JSON document (one page);
 * kcs_ownreader_restart() readies it for the next and keeps the table. An
 * item's kind is its own "kind" (unless "PartialObjectMetadata"), else the
 * list's kind less "List" ("ReplicaSetList"), else `kind_hint` (needed for
 * a PartialObjectMetadataList; may be NULL otherwise). Objects are added
 * as each closes; the same kind/namespace/name again replaces the earlier
 * one. A `kind: Status` body is recorded in the info, not an error.
 *
 * Errors (KCS_ERR_PARSE for bad JSON, a bad envelope or an item of no
 * known kind; KCS_ERR_LIMIT for nesting over KCS_JSON_MAX_DEPTH, a string
 * over KCS_JSON_MAX_STRING, a name over KCS_NAME_MAX, a uid over
 * KCS_UID_MAX, a kind over KCS_KIND_NAME_MAX or a table over
 * KCS_OWNERS_MAX; KCS_ERR_NOMEM) name the byte offset, never input bytes.
 * A field of the wrong type inside an item only marks it malformed.
 */
struct kcs_ownreader;

/*
 * `t` is borrowed; kind_hint is copied. NULL on allocation failure or a
 * kind_hint longer than KCS_KIND_NAME_MAX.
 */
struct kcs_ownreader *kcs_ownreader_new(struct kcs_owners *t,
					const char *kind_hint) KCS_WUR;
void kcs_ownreader_free(struct kcs_ownreader *r);
enum kcs_err kcs_ownreader_feed(struct kcs_ownreader *r, const void *data,
				size_t len, struct kcs_error *err) KCS_WUR;
enum kcs_err kcs_ownreader_finish(struct kcs_ownreader *r,
				  struct kcs_error *err) KCS_WUR;
enum kcs_err kcs_ownreader_restart(struct kcs_ownreader *r,
				   struct kcs_error *err) KCS_WUR;
unsigned long long kcs_ownreader_offset(const struct kcs_ownreader *r);
/* Envelope (kind, continue, Status, skipped kinds); until next restart. */
const struct kcs_doc_info *kcs_ownreader_info(const struct kcs_ownreader *r);

/* How a workload was found. */
enum kcs_owner_how {
	KCS_OWN_MANIFEST,         /* pod->source: the manifest object */
	KCS_OWN_POD,              /* no controller: the pod itself */
	KCS_OWN_STATIC,           /* owned by a Node: the pod itself */
	KCS_OWN_DIRECT,           /* a kind that is its own workload */
	KCS_OWN_FOLLOWED,         /* ReplicaSet -> Deployment, Job -> CronJob */
	KCS_OWN_TOP,              /* ReplicaSet/Job without such a controller */
	KCS_OWN_OWNER_NOT_READ,   /* owner kind not listed (RBAC): unresolved */
	KCS_OWN_OWNER_NOT_FOUND,  /* kind listed, object gone: unresolved */
	KCS_OWN_UID_MISMATCH,     /* same name, other object: unresolved */
	KCS_OWN_OWNER_MALFORMED,  /* owner read with bad fields: unresolved */
};

struct kcs_owner_top {
	struct kcs_objref ref;        /* the workload: kind, name, uid */
	unsigned char resolved;       /* 0: an owner could not be read */
	enum kcs_owner_how how;
	/*
	 * The workload's own controller when it was not followed: the Node
	 * of a static pod, the Rollout of a ReplicaSet, the operator object
	 * of a listed StatefulSet. present = 0 if none is known.
	 */
	struct kcs_objref managed_by;
};

/*
 * The workload of `pod` (after the reader filled ns, name, uid and
 * owner). `t` may be NULL: no owner could be read. Never fails.
 */
void kcs_owners_resolve(const struct kcs_owners *t, const struct kcs_pod *pod,
			struct kcs_owner_top *out);

/*
 * The same as a kcs_workload_fn (workload.h): `user` is the
 * const struct kcs_owners * (NULL: none read); fills `out` with the
 * workload and returns `resolved`.
 */
int kcs_owners_workload(const struct kcs_pod *pod, struct kcs_objref *out,
			void *user);

/* "MANIFEST", "POD", "STATIC", "DIRECT", "FOLLOWED", "TOP", ... */
const char *kcs_owner_how_name(enum kcs_owner_how h);

#endif /* KCS_OWNERS_H */
