/*
 * probe.h - the admission probe (--probe-admission): does admission in a
 * namespace actually keep NET_RAW out? (docs/probe.md)
 *
 * For one namespace: a SelfSubjectAccessReview for `create pods` there,
 * then three server-side dry-run creates (POST .../pods?dryRun=All) of
 * probe pods that differ only in what the rules look at:
 *
 *   control      fully Pod Security "restricted"-compliant (drops ALL);
 *   default      no securityContext at all;
 *   add-net-raw  the control plus capabilities.add [NET_RAW].
 *
 * Each answer is admitted (2xx: the object admission would have stored,
 * which is read and audited with the rules, since a mutating policy may
 * have changed it) or denied (the Status message names the policy). The
 * namespace verdict follows from the three (kcs_probe_decide). Nothing is
 * ever created: every request carries dryRun=All, and a path without it is
 * refused before it is sent (KCS_ERR_INTERNAL).
 *
 * Nothing here prints. The decision, the classification of an answer and
 * the reading of a returned object are separate functions so that they can
 * be tested with canned answers, without HTTP.
 */
#ifndef KCS_PROBE_H
#define KCS_PROBE_H

#include <stddef.h>
#include "kcs/audit.h"
#include "kcs/buf.h"
#include "kcs/compat.h"
#include "kcs/err.h"
#include "kcs/http.h"

/* The three probes, in the order they are sent. */
enum kcs_probe_kind {
	KCS_PROBE_CONTROL,
	KCS_PROBE_DEFAULT,
	KCS_PROBE_ADD_NET_RAW,
	KCS_PROBE_KINDS
};

/* What became of one probe. */
enum kcs_probe_outcome {
	KCS_PROBE_NOT_SENT,  /* not sent (an earlier answer made it pointless) */
	KCS_PROBE_ADMITTED,  /* 2xx, and the returned Pod was read and audited */
	KCS_PROBE_DENIED,    /* 400/403/413/422 from admission or validation */
	KCS_PROBE_ERROR,     /* no usable answer: transport, 5xx, 404, 409, a
				webhook without dry-run support, an unreadable
				returned object, ... (message says which) */
	KCS_PROBE_FORBIDDEN, /* RBAC refused the create (403 "cannot create") */
};

/*
 * Namespace reasons. Their names (kcs_probe_reason_name) appear in reports
 * as namespaces[i].admission.reason.
 */
enum kcs_admission_reason {
	KCS_ADMISSION_DENIES_NET_RAW,         /* PASS */
	KCS_ADMISSION_ADMITS_DEFAULT_NET_RAW, /* FAIL */
	KCS_ADMISSION_ADMITS_ADDED_NET_RAW,   /* FAIL */
	KCS_ADMISSION_INJECTS_NET_RAW,        /* FAIL: the compliant control came
						 back with NET_RAW (a mutating
						 webhook adds it, e.g. a mesh's
						 init container) */
	KCS_ADMISSION_INCONCLUSIVE,           /* UNKNOWN */
	KCS_ADMISSION_PROBE_FAILED,           /* UNKNOWN */
	KCS_ADMISSION_PERMISSION_DENIED,      /* UNKNOWN */
	KCS_ADMISSION_REASONS
};

/* Longest probe pod name: "kubecapscan-probe-add-net-raw-" + 10 hex. */
#define KCS_PROBE_NAME_MAX 63
/* Random bytes in a probe name (printed as twice as many hex digits). */
#define KCS_PROBE_RANDOM_BYTES 5
/* Longest message kept per probe and per namespace (display only). */
#define KCS_PROBE_MSG_MAX 1024
/* The image of every probe pod (never pulled: nothing is created). */
#define KCS_PROBE_IMAGE "registry.k8s.io/pause:3.10"
/* The label every probe pod carries (app.kubernetes.io/name=...). */
#define KCS_PROBE_LABEL "kubecapscan-probe"

/* One probe and its answer. */
struct kcs_probe {
	enum kcs_probe_kind kind;
	char name[KCS_PROBE_NAME_MAX + 1];  /* the pod name sent */
	enum kcs_probe_outcome outcome;
	long http_status;                   /* 0 if no answer came */
	char reason[64];                    /* Status reason ("Forbidden") */
	/* Status message of a denial (it names the policy), or what went
	 * wrong; C0 controls replaced by spaces, cut at a UTF-8 boundary. */
	char message[KCS_PROBE_MSG_MAX + 1];
	/* The rules' reading of the pod as sent (fixed by kind). */
	enum kcs_verdict sent_verdict;
	/* The rules' reading of the returned pod; valid when ADMITTED. */
	enum kcs_verdict returned_verdict;  /* the pod's verdict */
	enum kcs_pod_reason returned_pod_reason; /* KCS_PR_NONE normally */
	unsigned char has_returned_reason;  /* returned_reason is set */
	enum kcs_reason returned_reason;    /* of the container that decided
					       the pod's verdict (the first
					       with the pod's verdict) */
	struct kcs_name returned_container; /* that container's name */
	size_t returned_containers;         /* containers in the returned pod */
	/* Admitted and returned_verdict differs from sent_verdict: a mutating
	 * policy removed NET_RAW (FAIL -> PASS) or added it (PASS -> FAIL). */
	unsigned char mutated;
	/* The answer carried a metadata.resourceVersion, which a dry run never
	 * has: the server stored the pod (it ignored dryRun). Never expected;
	 * kcs_probe_namespace then fails with KCS_ERR_API. */
	unsigned char persisted;
};

/* The result for one namespace. */
struct kcs_probe_result {
	enum kcs_verdict verdict;             /* PASS, FAIL or UNKNOWN */
	enum kcs_admission_reason reason;
	char message[KCS_PROBE_MSG_MAX + 1];  /* the verdict in words */
	int ssar_allowed;                     /* 1, 0, or -1: not answered */
	struct kcs_probe probes[KCS_PROBE_KINDS]; /* indexed by kind */
};

/*
 * Probe namespace `ns` (borrowed) through `h`: 1 SelfSubjectAccessReview
 * and up to 3 POSTs. Fills *out and returns KCS_OK whenever a verdict
 * could be given, UNKNOWN ones included: a denied permission, a transport
 * error, a 5xx or a webhook that rejects dry runs are results, not errors,
 * so that the caller can fall back to the namespace's labels. Returns an
 * error (and fills err) only for KCS_ERR_NOMEM, KCS_ERR_LIMIT (a namespace
 * name too long for a request path), KCS_ERR_INTERNAL (no random bytes, or
 * a request path without dryRun=All) and KCS_ERR_API when the server
 * stored a probe pod for real (see `persisted`; the message names the pod
 * to delete): the caller must then stop probing other namespaces. *out is
 * filled in every case but KCS_ERR_NOMEM and KCS_ERR_INTERNAL.
 *
 * Cost: 1 SSAR and 3 POSTs. kcs_http_do retries 429/5xx answers, so a
 * failing webhook costs up to its retry budget; probing stops at the
 * first 5xx or transport error of a namespace.
 */
enum kcs_err kcs_probe_namespace(struct kcs_http *h, const char *ns,
				 struct kcs_probe_result *out,
				 struct kcs_error *err) KCS_WUR;

/*
 * Whether a server of this /version gitVersion ("v1.31.4", "v1.29.3+k3s1")
 * honours dryRun: 0 for v1.12 and earlier (which may ignore the parameter
 * and create the pod), 1 otherwise, unknown or unparsable versions
 * included (the resourceVersion check above still guards those). Call it
 * once per scan before probing.
 */
int kcs_probe_server_supports_dry_run(const char *git_version);

/* Stable names: "control", "default", "add-net-raw". */
const char *kcs_probe_kind_name(enum kcs_probe_kind k);
/* "ADMITTED", "DENIED", "ERROR", "FORBIDDEN", "NOT_SENT". */
const char *kcs_probe_outcome_name(enum kcs_probe_outcome o);
/* "ADMISSION_DENIES_NET_RAW", ... */
const char *kcs_probe_reason_name(enum kcs_admission_reason r);
/* The reason in words, for people and the report's "message". */
const char *kcs_probe_reason_text(enum kcs_admission_reason r);

/* ---- the parts kcs_probe_namespace is made of (tests use them) ---- */

/* Empty every field; probes get their kind and NOT_SENT. */
void kcs_probe_result_init(struct kcs_probe_result *r);

/*
 * Write the name "kubecapscan-probe-<kind>-<hex>" of the `n` bytes `rnd`
 * into `out` (size KCS_PROBE_NAME_MAX + 1). Returns KCS_ERR_LIMIT if it
 * would not fit.
 */
enum kcs_err kcs_probe_make_name(enum kcs_probe_kind k,
				 const unsigned char *rnd, size_t n,
				 char out[KCS_PROBE_NAME_MAX + 1],
				 struct kcs_error *err) KCS_WUR;

/*
 * Append to `out` the JSON Pod of probe `k` named `name` in `ns` (both
 * borrowed; valid UTF-8, or KCS_ERR_PARSE).
 */
enum kcs_err kcs_probe_body(enum kcs_probe_kind k, const char *ns,
			    const char *name, struct kcs_buf *out,
			    struct kcs_error *err) KCS_WUR;

/*
 * Write "/api/v1/namespaces/<ns, escaped>/pods?dryRun=All" into `out`
 * (reset first).
 */
enum kcs_err kcs_probe_path(const char *ns, struct kcs_buf *out,
			    struct kcs_error *err) KCS_WUR;

/*
 * Whether `path` asks for a dry run only: its query holds the parameter
 * dryRun=All, exactly once and no other dryRun. kcs_probe_namespace
 * refuses to send any POST for which this is false.
 */
int kcs_probe_path_is_dry_run(const char *path);

/*
 * Record a non-2xx answer (or none: status 0, with `message` saying why)
 * in `p`: outcome DENIED, FORBIDDEN or ERROR as described above. `reason`
 * and `message` are borrowed and may be NULL.
 */
void kcs_probe_classify(struct kcs_probe *p, long status, const char *reason,
			const char *message);

/*
 * Read the `len` bytes of a 2xx answer (the returned Pod) in one go and
 * record it in `p`: ADMITTED with the rules' reading, or ERROR when it is
 * not exactly one Pod named p->name. Returns KCS_OK or KCS_ERR_NOMEM. The
 * live probe does the same while the body streams in.
 */
enum kcs_err kcs_probe_read_returned(struct kcs_probe *p, long status,
				     const void *body, size_t len,
				     struct kcs_error *err) KCS_WUR;

/*
 * Decide the namespace verdict from the probes (docs/probe.md, "Decision"):
 *
 *   1. an admitted probe came back failing the rules: FAIL, reason
 *      ADMITS_DEFAULT_NET_RAW (default), else ADMITS_ADDED_NET_RAW
 *      (add-net-raw), else INJECTS_NET_RAW (control). Observed admission of
 *      a NET_RAW pod is a failure whatever the other probes say;
 *   2. a probe FORBIDDEN: UNKNOWN PERMISSION_DENIED;
 *   3. a probe ERROR or NOT_SENT: UNKNOWN PROBE_FAILED;
 *   4. the control was denied: UNKNOWN INCONCLUSIVE (admission denies even
 *      a compliant pod, so the other denials say nothing about NET_RAW);
 *   5. an admitted probe came back neither PASS nor FAIL: UNKNOWN
 *      INCONCLUSIVE;
 *   6. otherwise PASS DENIES_NET_RAW: default and add-net-raw were denied,
 *      or admitted only after a mutation removed NET_RAW.
 *
 * Never PASS unless all three probes were answered. Sets verdict, reason
 * and (for UNKNOWN) message.
 */
void kcs_probe_decide(struct kcs_probe_result *r);

#endif /* KCS_PROBE_H */
