/*
 * remediate.h - ready fixes for failing workloads and namespaces.
 *
 * For a failing workload, kcs_remediate_workload() builds a JSON Patch
 * (RFC 6902) that adds drop: ["ALL"] to exactly the offending containers of
 * its pod template, the `kubectl patch` command that applies it, and notes
 * for what a human must decide (privileged containers, added capabilities,
 * immutable or unknown kinds). For a failing namespace,
 * kcs_remediate_namespace() builds the `kubectl label` command that
 * enforces Pod Security "restricted" and its --dry-run=server preview.
 *
 * Safety rules the output keeps:
 *
 * - Each patched container is preceded by a "test" op asserting the name
 *   at its index in the template, so a patch meeting a template whose order
 *   differs from the pod's (a sidecar injected by a webhook, a rollout in
 *   between) fails as a whole and changes nothing.
 * - Only failing containers (verdict FAIL; EXEMPT ones are left alone),
 *   each at most once: the same container reported by several pods is one
 *   entry (key: type, index, name). Pods that disagree about a container
 *   (another name at the same index, the same name at another index,
 *   another securityContext shape: a rollout in progress) leave it out of
 *   the patch with a note.
 * - Every argument of a command is one POSIX shell word: it is left bare
 *   only when made of [A-Za-z0-9] and -_./:=@%+, and single-quoted
 *   otherwise (an embedded ' becomes '\''), so any name is safe to paste.
 *   A quoted word may hold a newline; tables must escape it for display.
 * - A name kubectl itself would misread is never put on its command line:
 *   empty, holding a NUL byte, or beginning with '-' (kubectl would take
 *   "--kubeconfig=..." as an option); for `kubectl label` also a namespace
 *   holding '=' or ending in '-' (taken as a label change). No Kubernetes
 *   name can have these forms; the command is then NULL and a note says
 *   why.
 *
 * Kinds and where their pod template lives:
 *
 *   Deployment, StatefulSet, DaemonSet,   /spec/template/spec
 *   ReplicaSet, ReplicationController
 *   CronJob                               /spec/jobTemplate/spec/template/spec
 *   PodTemplate                           /template/spec
 *   Job (bare)                            /spec/template/spec, immutable
 *   Pod (bare or static)                  /spec, immutable
 *
 * A bare Pod or Job cannot be patched in place (the API rejects changes to
 * a pod's containers and to a Job's template): the JSON patch is still
 * given, for the object's manifest (kustomize applies it as is), with no
 * kubectl command and automatic = 0. A static pod (kind Pod whose
 * controller is a Node) gets the same, with a note to edit the manifest on
 * that node. Any other kind (CRD controllers such as Argo Rollouts) gets no
 * patch, only notes. Workloads read from manifests (source_file set) get
 * the patch for the file and no kubectl command. Ephemeral containers are
 * not in any template and are never patched.
 */
#ifndef KCS_REMEDIATE_H
#define KCS_REMEDIATE_H

#include <stddef.h>
#include <yajl/yajl_gen.h>
#include "kcs/audit.h"
#include "kcs/buf.h"
#include "kcs/compat.h"
#include "kcs/err.h"

/*
 * The workload to fix. Every pointer is borrowed for the length of the
 * call; names are (pointer, length) pairs and may hold any bytes.
 */
struct kcs_remedy_workload {
	const char *ns;          /* namespace; "" if unknown (a manifest) */
	size_t ns_len;
	const char *kind;        /* top controller ("Deployment"), or "Pod" */
	const char *name;        /* its name */
	size_t name_len;
	const char *owner_kind;  /* kind of this object's own controller, NULL
				    or "" if none; "Node" marks a static pod */
	const char *owner_name;  /* that controller's name (the node) */
	size_t owner_name_len;
	unsigned char resolved;  /* 0: a controller above could not be read
				    (RBAC), so `kind` may not be the top */
	unsigned char owner_gone; /* the pod's controller (`kind` `name`)
				     no longer exists: nothing to patch */
	const char *source_file; /* non-NULL: read from this manifest file */
	unsigned long source_line; /* its line there; 0 if unknown */
};

/* The value an op carries. */
enum kcs_patch_value {
	KCS_PV_NAME,             /* test: the container's name */
	KCS_PV_SECURITY_CONTEXT, /* {"capabilities":{"drop":["ALL"]}} */
	KCS_PV_CAPABILITIES,     /* {"drop":["ALL"]} */
	KCS_PV_DROP,             /* ["ALL"] */
	KCS_PV_ALL,              /* "ALL", appended to an existing drop list */
};

/* One JSON Patch op: {"op":"test"|"add","path":...,"value":...}. */
struct kcs_patch_op {
	unsigned char test;          /* 1: "test", 0: "add" */
	char *path;                  /* JSON Pointer, owned, NUL-terminated */
	enum kcs_patch_value value;
	struct kcs_name name;        /* the container's name (KCS_PV_NAME) */
};

/*
 * A workload's remediation. Zero it (KCS_REMEDY_INIT) before the first
 * kcs_remediate_workload() and release it with kcs_remedy_release(); all
 * memory is owned by the struct.
 */
struct kcs_remedy {
	size_t failing;          /* distinct failing containers considered; 0:
				    the workload needs no remediation (null) */
	unsigned char automatic; /* 1: the patch fixes every failing container
				    and applies as is (kubectl, or the
				    manifest), nothing for a human to decide */
	size_t n_ops;
	struct kcs_patch_op *ops;
	char *json_patch;        /* the ops as a compact JSON array; NULL when
				    n_ops is 0 */
	char *kubectl;           /* `kubectl patch ...`, NULL when none */
	size_t n_notes;
	char **notes;            /* for people; control bytes of names are
				    shown as '?' */
};

#define KCS_REMEDY_INIT { 0, 0, 0, NULL, NULL, NULL, 0, NULL }

/*
 * Build the remediation of workload `w` from `n` containers `cs` of its
 * pods (all of them, several pods' worth, in any order: the non-failing
 * ones are skipped and the rest deduplicated). `out` must be in the
 * KCS_REMEDY_INIT state or released. Returns KCS_OK, KCS_ERR_NOMEM, or
 * KCS_ERR_LIMIT if the patch text passes KCS_REMEDY_TEXT_MAX; on error
 * `out` is left released.
 */
#define KCS_REMEDY_TEXT_MAX (8u * 1024 * 1024)
enum kcs_err kcs_remediate_workload(const struct kcs_remedy_workload *w,
				    const struct kcs_container *cs, size_t n,
				    struct kcs_remedy *out,
				    struct kcs_error *err) KCS_WUR;

/* Free everything and return to KCS_REMEDY_INIT. NULL is fine. */
void kcs_remedy_release(struct kcs_remedy *r);

/*
 * Write the remediation object of the JSON report into `g`:
 * {"automatic":bool,"jsonPatch":[ops]|null,"kubectl":string|null,
 *  "notes":[string]}. Generator errors are left for the caller's final
 * check (yajl_gen's status is sticky in the writers that use it).
 */
void kcs_remedy_gen(const struct kcs_remedy *r, yajl_gen g);
/* Write just the JSON Patch array of `r` into `g`. */
void kcs_remedy_gen_patch(const struct kcs_remedy *r, yajl_gen g);

/* A failing namespace's fix; owned strings, release with the function. */
struct kcs_remedy_ns {
	/*
	 * kubectl label --overwrite namespace NS
	 *   pod-security.kubernetes.io/enforce=restricted
	 *   pod-security.kubernetes.io/enforce-version=latest
	 */
	char *kubectl;
	/*
	 * The same with --dry-run=server: the API server evaluates the
	 * namespace's existing pods against the new level and returns each
	 * violation as a warning, changing nothing. The preview carries the
	 * version label too, because Pod Security evaluates existing pods
	 * only when the enforce level or version changes: without it, a
	 * namespace pinned to an old restricted version would show no
	 * warnings. It checks at most 3000 pods within about a second.
	 */
	char *dry_run;
	const char *note;   /* static; why the commands are NULL, or NULL */
};

#define KCS_REMEDY_NS_INIT { NULL, NULL, NULL }

/*
 * Build the commands for namespace `ns` (`len` bytes). `out` must be in the
 * KCS_REMEDY_NS_INIT state or released. A name kubectl would misread
 * leaves both commands NULL and sets `note`. Returns KCS_OK or
 * KCS_ERR_NOMEM (then `out` is left released).
 */
enum kcs_err kcs_remediate_namespace(const char *ns, size_t len,
				     struct kcs_remedy_ns *out,
				     struct kcs_error *err) KCS_WUR;
void kcs_remedy_ns_release(struct kcs_remedy_ns *r);
/* Write {"kubectl":..,"dryRun":..} (plus "note" when set) into `g`. */
void kcs_remedy_ns_gen(const struct kcs_remedy_ns *r, yajl_gen g);

/*
 * Append `s` (`len` bytes) to `b` as one POSIX shell word (see above).
 * Returns the buffer's err; KCS_ERR_PARSE, appending nothing, if `s`
 * holds a NUL byte, which no shell word can carry.
 */
enum kcs_err kcs_remediate_shell_quote(struct kcs_buf *b, const char *s,
				       size_t len);

/*
 * Append "/" and `tok` (`len` bytes) to `b` as a JSON Pointer reference
 * token (RFC 6901): '~' becomes "~0" and '/' becomes "~1". Returns the
 * buffer's err.
 */
enum kcs_err kcs_remediate_pointer_add(struct kcs_buf *b, const char *tok,
				       size_t len);

#endif /* KCS_REMEDIATE_H */
