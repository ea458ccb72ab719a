/*
 * psa.c - namespace verdicts read from Pod Security Admission labels, the
 * way k8s.io/pod-security-admission/api (ParseLevel, ParseVersion,
 * PolicyToEvaluate) reads them.
 */
#include <stdio.h>
#include <string.h>

#include "kcs/psa.h"
#include "kcs/banned.h"

/* Byte-exact comparison of a counted string with a C string. */
static int equals(const char *s, size_t len, const char *want)
{
	return strlen(want) == len && memcmp(s, want, len) == 0;
}

int kcs_psa_parse_level(const char *s, size_t len, enum kcs_psa_level *out)
{
	if (equals(s, len, "privileged"))
		*out = KCS_PSA_PRIVILEGED;
	else if (equals(s, len, "baseline"))
		*out = KCS_PSA_BASELINE;
	else if (equals(s, len, "restricted"))
		*out = KCS_PSA_RESTRICTED;
	else {
		*out = KCS_PSA_RESTRICTED; /* fail closed, as PSA does */
		return -1;
	}
	return 0;
}

int kcs_psa_parse_version(const char *s, size_t len,
			  struct kcs_psa_version *out)
{
	long long minor = 0;
	size_t i;

	out->latest = 1;
	out->minor = 0;
	if (equals(s, len, "latest"))
		return 0;
	/* ^v1\.([0-9]|[1-9][0-9]*)$ : Go's $ is end of text, not of line. */
	if (len < 4 || memcmp(s, "v1.", 3) != 0)
		return -1;
	if (s[3] == '0' && len > 4)
		return -1;
	for (i = 3; i < len; i++) {
		int d;

		if (s[i] < '0' || s[i] > '9')
			return -1;
		d = s[i] - '0';
		/* strconv.Atoi fails past int64: the label is then invalid. */
		if (minor > (0x7fffffffffffffffLL - d) / 10)
			return -1;
		minor = minor * 10 + d;
	}
	out->latest = 0;
	out->minor = minor;
	return 0;
}

int kcs_psa_parse_default(const char *arg, struct kcs_psa_default *out)
{
	const char *colon = strchr(arg, ':');
	size_t llen = colon ? (size_t)(colon - arg) : strlen(arg);

	if (kcs_psa_parse_level(arg, llen, &out->level))
		return -1;
	if (!colon) {
		out->version.latest = 1;
		out->version.minor = 0;
		return 0;
	}
	return kcs_psa_parse_version(colon + 1, strlen(colon + 1),
				     &out->version);
}

/* restricted needs drop ALL from v1.22 on (capabilities_restricted). */
#define KCS_PSA_RESTRICTED_CAPS_MINOR 22

void kcs_psa_evaluate(const struct kcs_psa_labels *labels,
		      const struct kcs_psa_default *def,
		      struct kcs_ns_result *out)
{
	const struct kcs_label *lv = &labels->enforce;
	const struct kcs_label *vv = &labels->enforce_version;

	memset(out, 0, sizeof(*out));
	out->level = def->level;
	out->version = def->version;

	if (lv->present) {
		if (kcs_psa_parse_level(lv->s, lv->len, &out->level))
			out->flags |= KCS_NF_INVALID_LEVEL;
	} else {
		out->flags |= KCS_NF_DEFAULTED;
	}
	if (vv->present) {
		if (kcs_psa_parse_version(vv->s, vv->len, &out->version))
			out->flags |= KCS_NF_INVALID_VERSION;
	} else if (!def->version.latest) {
		out->flags |= KCS_NF_DEFAULTED;
	}

	out->verdict = KCS_VERDICT_FAIL;
	switch (out->level) {
	case KCS_PSA_RESTRICTED:
		if (out->version.latest ||
		    out->version.minor >= KCS_PSA_RESTRICTED_CAPS_MINOR) {
			out->verdict = KCS_VERDICT_PASS;
			out->reason = KCS_NR_ENFORCE_RESTRICTED;
		} else {
			out->reason = KCS_NR_RESTRICTED_BEFORE_V1_22;
		}
		break;
	case KCS_PSA_BASELINE:
		out->reason = KCS_NR_ENFORCE_BASELINE;
		break;
	case KCS_PSA_PRIVILEGED:
		out->reason = KCS_NR_ENFORCE_PRIVILEGED;
		break;
	}
	if (!lv->present && out->verdict == KCS_VERDICT_FAIL)
		out->reason = KCS_NR_UNLABELLED;
}

const char *kcs_psa_level_name(enum kcs_psa_level l)
{
	switch (l) {
	case KCS_PSA_PRIVILEGED: return "privileged";
	case KCS_PSA_BASELINE: return "baseline";
	case KCS_PSA_RESTRICTED: return "restricted";
	}
	return "restricted";
}

void kcs_psa_version_format(const struct kcs_psa_version *v, char *buf,
			    size_t size)
{
	if (v->latest)
		snprintf(buf, size, "latest");
	else
		snprintf(buf, size, "v1.%lld", v->minor);
}

const char *kcs_ns_reason_name(enum kcs_ns_reason r)
{
	switch (r) {
	case KCS_NR_ENFORCE_RESTRICTED: return "ENFORCE_RESTRICTED";
	case KCS_NR_RESTRICTED_BEFORE_V1_22: return "RESTRICTED_BEFORE_V1_22";
	case KCS_NR_ENFORCE_BASELINE: return "ENFORCE_BASELINE";
	case KCS_NR_ENFORCE_PRIVILEGED: return "ENFORCE_PRIVILEGED";
	case KCS_NR_UNLABELLED: return "UNLABELLED";
	case KCS_NR_NAMESPACE_NOT_IN_INPUT: return "NAMESPACE_NOT_IN_INPUT";
	case KCS_NR_ADMISSION_DENIES_NET_RAW: return "ADMISSION_DENIES_NET_RAW";
	case KCS_NR_ADMISSION_ADMITS_DEFAULT_NET_RAW:
		return "ADMISSION_ADMITS_DEFAULT_NET_RAW";
	case KCS_NR_ADMISSION_ADMITS_ADDED_NET_RAW:
		return "ADMISSION_ADMITS_ADDED_NET_RAW";
	case KCS_NR_ADMISSION_INJECTS_NET_RAW: return "ADMISSION_INJECTS_NET_RAW";
	}
	return "UNLABELLED";
}

const char *kcs_ns_reason_text(enum kcs_ns_reason r)
{
	switch (r) {
	case KCS_NR_ENFORCE_RESTRICTED:
		return "Pod Security enforces restricted (v1.22 or later), which requires drop ALL";
	case KCS_NR_RESTRICTED_BEFORE_V1_22:
		return "restricted is pinned before v1.22, when it did not yet require drop ALL";
	case KCS_NR_ENFORCE_BASELINE:
		return "baseline still admits containers that keep NET_RAW from the runtime default";
	case KCS_NR_ENFORCE_PRIVILEGED:
		return "privileged admits every pod";
	case KCS_NR_UNLABELLED:
		return "no enforce label: the cluster default applies (privileged unless configured)";
	case KCS_NR_NAMESPACE_NOT_IN_INPUT:
		return "pods refer to this namespace but the input does not include it";
	case KCS_NR_ADMISSION_DENIES_NET_RAW:
		return "admission (dry-run probes) denies pods that keep NET_RAW, or removes it, while it admits a compliant pod";
	case KCS_NR_ADMISSION_ADMITS_DEFAULT_NET_RAW:
		return "admission (dry-run probe) admits a pod without securityContext, which keeps NET_RAW";
	case KCS_NR_ADMISSION_ADMITS_ADDED_NET_RAW:
		return "admission (dry-run probe) admits a pod that adds NET_RAW";
	case KCS_NR_ADMISSION_INJECTS_NET_RAW:
		return "admission (dry-run probe) returned a compliant pod with NET_RAW added by a mutating policy";
	}
	return "";
}

const char *kcs_ns_flag_name(unsigned bit)
{
	switch (bit) {
	case KCS_NF_DEFAULTED: return "DEFAULTED";
	case KCS_NF_INVALID_LEVEL: return "INVALID_LEVEL";
	case KCS_NF_INVALID_VERSION: return "INVALID_VERSION";
	}
	return NULL;
}
