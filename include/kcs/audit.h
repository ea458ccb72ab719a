/*
 * audit.h - the CIS 5.2.8 container and pod rules (docs/rules.md).
 *
 * The streaming reader fills a struct kcs_pod field by field as the JSON
 * goes by; kcs_audit_pod() then decides every container's verdict. Nothing
 * here allocates except kcs_pod_add_container(), and nothing here prints.
 */
#ifndef KCS_AUDIT_H
#define KCS_AUDIT_H

#include <stddef.h>
#include "kcs/compat.h"
#include "kcs/err.h"

/*
 * Longest name we keep: 253 bytes is the API's limit for pod and namespace
 * names (DNS subdomain); container names are shorter still. A longer name
 * is an input error (KCS_ERR_LIMIT), never silently cut.
 */
#define KCS_NAME_MAX 253
/* Longest UID we keep; API UIDs are 36-byte UUIDs. */
#define KCS_UID_MAX 128

/* A bounded string that may hold NUL bytes (a JSON "\u0000" decodes to one). */
struct kcs_name {
	size_t len;                /* bytes in s, excluding the final NUL */
	char s[KCS_NAME_MAX + 1];  /* NUL-terminated copy */
};

struct kcs_uid {
	size_t len;
	char s[KCS_UID_MAX + 1];
};

/* Classes of one capability name, as bits; see kcs_cap_classify(). */
enum {
	KCS_CAP_ALL = 1u << 0,           /* upper-cased name is "ALL" */
	KCS_CAP_ALL_EXACT = 1u << 1,     /* name is exactly "ALL" */
	KCS_CAP_NET_RAW = 1u << 2,       /* upper-cased name is "NET_RAW" */
	KCS_CAP_NET_RAW_EXACT = 1u << 3, /* name is exactly "NET_RAW" */
	KCS_CAP_PREFIXED = 1u << 4,      /* upper-cased name is "CAP_NET_RAW" */
};

/*
 * Classify one capability name of `len` bytes: ASCII-only upper-casing, no
 * trimming, so " NET_RAW", "NET_RAW\0" and non-ASCII spellings match nothing
 * (returns 0), exactly as containerd compares them.
 */
unsigned kcs_cap_classify(const char *s, size_t len);

enum kcs_verdict {
	KCS_VERDICT_PASS,
	KCS_VERDICT_FAIL,
	KCS_VERDICT_NOT_APPLICABLE,
	KCS_VERDICT_UNKNOWN,
	KCS_VERDICT_EXEMPT,
};

/* Container kinds, in the order the API lists (and PSA visits) them. */
enum kcs_ctype {
	KCS_CTYPE_INIT,
	KCS_CTYPE_CONTAINER,
	KCS_CTYPE_EPHEMERAL,
};

/* Container reasons: the first rule of docs/rules.md that matched. */
enum kcs_reason {
	KCS_R_WINDOWS_POD,
	KCS_R_MALFORMED,
	KCS_R_PRIVILEGED,
	KCS_R_ADD_NET_RAW,
	KCS_R_ADD_ALL,
	KCS_R_DROP_ALL,
	KCS_R_DROP_NET_RAW,
	KCS_R_DROP_PREFIXED_INEFFECTIVE,
	KCS_R_NO_SECURITY_CONTEXT,
	KCS_R_NO_CAPABILITIES,
	KCS_R_NO_MATCHING_DROP,
	KCS_R_COUNT
};

/*
 * Container flags; informational, they never change a verdict. Bits are in
 * alphabetical order of their names, so reports list them sorted.
 */
enum {
	KCS_F_HOST_NETWORK = 1u << 0,
	KCS_F_NON_CANONICAL_NAME = 1u << 1,
	KCS_F_PSA_RESTRICTED_REJECTS = 1u << 2,
	KCS_F_RUNTIME_DEPENDENT = 1u << 3,
	KCS_F_COUNT = 4
};

/* Pod-level reasons that fail a pod whatever its containers say. */
enum kcs_pod_reason {
	KCS_PR_NONE,
	KCS_PR_MALFORMED,     /* a pod-level field had the wrong JSON type */
	KCS_PR_NO_CONTAINERS, /* a Linux pod listing no container at all */
};

/* Where a container's exemption came from. */
enum kcs_exempt_source {
	KCS_EXEMPT_NONE,
	KCS_EXEMPT_FILE,       /* --exemptions FILE */
	KCS_EXEMPT_ANNOTATION, /* the pod's kubecapscan.io/exempt-net-raw */
};
/* Longest exemption reason kept (longer ones are cut, marked "..."). */
#define KCS_EXEMPT_REASON_MAX 256
/* Longest exemption annotation read; a longer one is invalid. */
#define KCS_EXEMPT_ANNOTATION_MAX 1024

/* One container as far as the rules care, plus its result. */
struct kcs_container {
	enum kcs_ctype type;
	unsigned index;             /* position in its list (containers[i]) */
	struct kcs_name name;
	unsigned add;               /* union of KCS_CAP_* over capabilities.add */
	unsigned drop;              /* union of KCS_CAP_* over capabilities.drop */
	unsigned char has_sc;       /* securityContext present and not null */
	unsigned char has_caps;     /* capabilities present and not null */
	unsigned char has_drop;     /* capabilities.drop present and not null */
	unsigned char privileged;   /* securityContext.privileged is true */
	unsigned char malformed;    /* a field we read had the wrong type */
	/* Results, filled by kcs_audit_pod(). */
	enum kcs_verdict verdict;
	enum kcs_reason reason;
	unsigned flags;             /* KCS_F_* */
	/* Exemption (verdict EXEMPT; reason keeps the FAIL reason). */
	enum kcs_exempt_source exempt_source;
	char exempt_reason[KCS_EXEMPT_REASON_MAX + 1];
	char exempt_expires[11];    /* "YYYY-MM-DD" or "" */
	unsigned long exempt_line;  /* line in the exemptions file, or 0 */
	/* --runtime-aware (runtime.h): effective exposure on its node */
	unsigned char has_exposure;
	unsigned char exposure;        /* enum kcs_exposure */
	unsigned char exposure_reason; /* enum kcs_exposure_reason */
	unsigned char exposure_flags;  /* KCS_XF_* */
};

/* Longest object kind kept ("ReplicaSet"); longer kinds are cut. */
#define KCS_KIND_NAME_MAX 63

/*
 * An object reference: the pod's controller (the ownerReferences entry with
 * controller: true), or a workload found by following controllers up.
 */
struct kcs_objref {
	unsigned char present;
	char kind[KCS_KIND_NAME_MAX + 1];
	struct kcs_name name;
	struct kcs_uid uid;
};

/*
 * Where a pod read from a manifest came from: the file, the line of the
 * object, and the object that holds the pod template (a Deployment, ...).
 * file is borrowed (argv or a string that outlives the scan); NULL for
 * pods read from a cluster or a JSON file.
 */
struct kcs_pod_source {
	const char *file;
	unsigned long line;          /* 1-based; 0 if unknown */
	char kind[KCS_KIND_NAME_MAX + 1];
	struct kcs_name name;
};

/*
 * One pod. `containers` is reused from pod to pod (kcs_pod_reset keeps the
 * memory), so a scan allocates only for its widest pod.
 */
struct kcs_pod {
	struct kcs_name ns;
	struct kcs_name name;
	struct kcs_uid uid;
	unsigned char has_uid;
	unsigned char windows;       /* spec.os.name is exactly "windows" */
	unsigned char host_network;  /* spec.hostNetwork is true */
	unsigned char os_set;        /* spec.os.name was given (any value) */
	struct kcs_name node_name;   /* spec.nodeName, "" if unset */
	struct kcs_name runtime_class; /* spec.runtimeClassName, "" if unset */
	struct kcs_objref owner;     /* controller ownerReference */
	/* The workload it belongs to (set by the scan, see workload.h). */
	struct kcs_objref workload;
	unsigned char workload_resolved;
	unsigned char workload_owner_gone; /* the controller no longer exists */
	struct kcs_pod_source source; /* manifests only (file != NULL) */
	/*
	 * --runtime-aware: where it runs (set by the scan; struct
	 * kcs_pod_runtime of runtime.h, pointers into the scan's tables).
	 */
	const void *runtime;
	unsigned char malformed;     /* a pod-level field had the wrong type */
	/* kubecapscan.io/exempt-net-raw, raw (see exempt.h) */
	unsigned char has_exempt_annotation;
	unsigned char exempt_annotation_too_long;
	size_t exempt_annotation_len;
	char exempt_annotation[KCS_EXEMPT_ANNOTATION_MAX + 1];
	size_t n;                    /* containers in use */
	size_t cap;                  /* containers allocated */
	struct kcs_container *containers;
	/* Results, filled by kcs_audit_pod(). */
	enum kcs_verdict verdict;
	enum kcs_pod_reason reason;
};

void kcs_pod_init(struct kcs_pod *pod);
/* Forget the pod's content but keep the container array for reuse. */
void kcs_pod_reset(struct kcs_pod *pod);
void kcs_pod_release(struct kcs_pod *pod);

/*
 * Append a zeroed container of `type`; returns it, or NULL (and sets `err`
 * to KCS_ERR_NOMEM, or KCS_ERR_LIMIT past KCS_POD_MAX_CONTAINERS).
 */
#define KCS_POD_MAX_CONTAINERS 65536
struct kcs_container *kcs_pod_add_container(struct kcs_pod *pod,
					    enum kcs_ctype type,
					    struct kcs_error *err) KCS_WUR;

/* Apply the rules to one container of `pod`; fills verdict/reason/flags. */
void kcs_audit_container(const struct kcs_pod *pod, struct kcs_container *c);
/* Apply the rules to every container, then decide the pod verdict. */
void kcs_audit_pod(struct kcs_pod *pod);
/* Decide the pod verdict from its containers' (after exemptions). */
void kcs_audit_pod_verdict(struct kcs_pod *pod);

/* Stable names for reports ("PASS", "DROP_ALL", "initContainer", ...). */
const char *kcs_verdict_name(enum kcs_verdict v);
const char *kcs_reason_name(enum kcs_reason r);
/* The reason in words, for people and for the report's "message". */
const char *kcs_reason_text(enum kcs_reason r);
const char *kcs_pod_reason_name(enum kcs_pod_reason r); /* NULL for NONE */
const char *kcs_pod_reason_text(enum kcs_pod_reason r);
const char *kcs_ctype_name(enum kcs_ctype t);
/* Name of flag bit `bit` (one of KCS_F_*), or NULL. */
const char *kcs_flag_name(unsigned bit);

#endif /* KCS_AUDIT_H */
