/*
 * psa.h - namespace verdicts from Pod Security Admission labels.
 *
 * Labels are read exactly as k8s.io/pod-security-admission/api's
 * PolicyToEvaluate reads them (docs/rules.md, "Namespaces"): an invalid
 * enforce level counts as restricted, an invalid version as latest, and a
 * missing label takes the AdmissionConfiguration default, which the API
 * cannot show and the user states with --psa-default-enforce.
 */
#ifndef KCS_PSA_H
#define KCS_PSA_H

#include <stddef.h>
#include "kcs/audit.h"
#include "kcs/compat.h"

/*
 * Longest label value we keep: the API's own limit. A longer value cannot
 * come from a real cluster, so it is an input error (KCS_ERR_LIMIT).
 */
#define KCS_LABEL_MAX 63

enum kcs_psa_level {
	KCS_PSA_PRIVILEGED,
	KCS_PSA_BASELINE,
	KCS_PSA_RESTRICTED,
};

/* A PSA version: "latest", or v1.<minor>. */
struct kcs_psa_version {
	int latest;      /* 1 for "latest" */
	long long minor; /* the minor when !latest */
};

/* One raw label value as found on the namespace. */
struct kcs_label {
	unsigned char present;
	size_t len;
	char s[KCS_LABEL_MAX + 1];
};

/* The six PSA labels of a namespace, raw. */
struct kcs_psa_labels {
	struct kcs_label enforce, enforce_version;
	struct kcs_label audit, audit_version;
	struct kcs_label warn, warn_version;
};

/* The enforce default (--psa-default-enforce), privileged:latest unless set. */
struct kcs_psa_default {
	enum kcs_psa_level level;
	struct kcs_psa_version version;
};
#define KCS_PSA_DEFAULT_INIT { KCS_PSA_PRIVILEGED, { 1, 0 } }

enum kcs_ns_reason {
	KCS_NR_ENFORCE_RESTRICTED,
	KCS_NR_RESTRICTED_BEFORE_V1_22,
	KCS_NR_ENFORCE_BASELINE,
	KCS_NR_ENFORCE_PRIVILEGED,
	KCS_NR_UNLABELLED,
	KCS_NR_NAMESPACE_NOT_IN_INPUT,
	/* --probe-admission: the verdict follows observed admission */
	KCS_NR_ADMISSION_DENIES_NET_RAW,
	KCS_NR_ADMISSION_ADMITS_DEFAULT_NET_RAW,
	KCS_NR_ADMISSION_ADMITS_ADDED_NET_RAW,
	KCS_NR_ADMISSION_INJECTS_NET_RAW,
};

/* Namespace flags, bits in alphabetical order of their names. */
enum {
	KCS_NF_DEFAULTED = 1u << 0,
	KCS_NF_INVALID_LEVEL = 1u << 1,
	KCS_NF_INVALID_VERSION = 1u << 2,
	KCS_NF_COUNT = 3
};

/* A namespace's verdict and the effective enforce policy behind it. */
struct kcs_ns_result {
	enum kcs_verdict verdict;   /* PASS or FAIL (UNKNOWN is decided elsewhere) */
	enum kcs_ns_reason reason;
	unsigned flags;             /* KCS_NF_* */
	enum kcs_psa_level level;   /* effective enforce level */
	struct kcs_psa_version version; /* effective enforce version */
};

/*
 * PSA's ParseLevel: returns 0 and sets *out for exactly "privileged",
 * "baseline" or "restricted"; otherwise -1 and *out = restricted.
 */
int kcs_psa_parse_level(const char *s, size_t len, enum kcs_psa_level *out);
/*
 * PSA's ParseVersion: "latest" or ^v1\.([0-9]|[1-9][0-9]*)$ with a minor
 * that fits a signed 64-bit integer; otherwise -1 and *out = latest.
 */
int kcs_psa_parse_version(const char *s, size_t len,
			  struct kcs_psa_version *out);
/*
 * Parse "LEVEL[:VERSION]" as given to --psa-default-enforce; strict (an
 * invalid value is a usage error, returns -1).
 */
int kcs_psa_parse_default(const char *arg, struct kcs_psa_default *out) KCS_WUR;

/* Decide a namespace's verdict from its labels and the enforce default. */
void kcs_psa_evaluate(const struct kcs_psa_labels *labels,
		      const struct kcs_psa_default *def,
		      struct kcs_ns_result *out);

const char *kcs_psa_level_name(enum kcs_psa_level l);
/* Writes "latest" or "v1.N" into buf (at least 32 bytes). */
void kcs_psa_version_format(const struct kcs_psa_version *v, char *buf,
			    size_t size);
const char *kcs_ns_reason_name(enum kcs_ns_reason r);
const char *kcs_ns_reason_text(enum kcs_ns_reason r);
const char *kcs_ns_flag_name(unsigned bit);

#endif /* KCS_PSA_H */
