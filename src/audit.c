/*
 * audit.c - the container and pod rules of CIS 5.2.8 (docs/rules.md).
 *
 * Capability lists are reduced to bit sets while they stream past (see
 * kcs_cap_classify), so a container's decision needs no list in memory.
 * The order of the checks below IS the contract: first match wins.
 */
#include <string.h>

#include "kcs/alloc.h"
#include "kcs/audit.h"
#include "kcs/banned.h"

/* Compare `len` bytes of s, ASCII-upper-cased, with upper-case `want`. */
static int upper_equals(const char *s, size_t len, const char *want)
{
	size_t i;

	if (strlen(want) != len)
		return 0;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		/* ASCII only: no locale, no toupper() on bytes >= 0x80. */
		if (c >= 'a' && c <= 'z')
			c = (unsigned char)(c - 'a' + 'A');
		if (c != (unsigned char)want[i])
			return 0;
	}
	return 1;
}

unsigned kcs_cap_classify(const char *s, size_t len)
{
	if (upper_equals(s, len, "ALL"))
		return KCS_CAP_ALL | (memcmp(s, "ALL", 3) ? 0 : KCS_CAP_ALL_EXACT);
	if (upper_equals(s, len, "NET_RAW"))
		return KCS_CAP_NET_RAW |
		       (memcmp(s, "NET_RAW", 7) ? 0 : KCS_CAP_NET_RAW_EXACT);
	if (upper_equals(s, len, "CAP_NET_RAW"))
		return KCS_CAP_PREFIXED;
	return 0;
}

void kcs_pod_init(struct kcs_pod *pod)
{
	memset(pod, 0, sizeof(*pod));
}

void kcs_pod_reset(struct kcs_pod *pod)
{
	struct kcs_container *keep = pod->containers;
	size_t cap = pod->cap;

	/* Only the header is cleared; containers are zeroed when added. */
	memset(pod, 0, sizeof(*pod));
	pod->containers = keep;
	pod->cap = cap;
}

void kcs_pod_release(struct kcs_pod *pod)
{
	if (!pod)
		return;
	kcs_free(pod->containers);
	kcs_pod_init(pod);
}

struct kcs_container *kcs_pod_add_container(struct kcs_pod *pod,
					    enum kcs_ctype type,
					    struct kcs_error *err)
{
	struct kcs_container *c;
	unsigned index = 0;

	/*
	 * A list's containers arrive one after another (a repeated list first
	 * drops the earlier one), so the last container tells the position.
	 */
	if (pod->n && pod->containers[pod->n - 1].type == type)
		index = pod->containers[pod->n - 1].index + 1;
	if (pod->n == pod->cap) {
		size_t cap = pod->cap ? pod->cap * 2 : 8;

		if (pod->n >= KCS_POD_MAX_CONTAINERS) {
			kcs_error_set(err, KCS_ERR_LIMIT,
				      "pod has more than %d containers",
				      KCS_POD_MAX_CONTAINERS);
			return NULL;
		}
		c = kcs_realloc(pod->containers, cap * sizeof(*c));
		if (!c) {
			kcs_error_set(err, KCS_ERR_NOMEM, "out of memory");
			return NULL;
		}
		pod->containers = c;
		pod->cap = cap;
	}
	c = &pod->containers[pod->n++];
	memset(c, 0, sizeof(*c));
	c->type = type;
	c->index = index;
	return c;
}

/*
 * containerd and CRI-O apply add-ALL, drop-ALL, individual adds, then
 * individual drops, so an individual drop of NET_RAW (not CAP_NET_RAW, which
 * containerd ignores) beats any add, and add-ALL plus drop-ALL with no
 * individual add leaves nothing. Docker lets add win, hence "dependent".
 */
static int runtime_removes_again(const struct kcs_container *c)
{
	if (c->drop & KCS_CAP_NET_RAW)
		return 1;
	return (c->add & KCS_CAP_ALL) && (c->drop & KCS_CAP_ALL) &&
	       !(c->add & (KCS_CAP_NET_RAW | KCS_CAP_PREFIXED));
}

void kcs_audit_container(const struct kcs_pod *pod, struct kcs_container *c)
{
	c->flags = pod->host_network ? KCS_F_HOST_NETWORK : 0;

	if (pod->windows) {
		c->verdict = KCS_VERDICT_NOT_APPLICABLE;
		c->reason = KCS_R_WINDOWS_POD;
		return;
	}
	c->verdict = KCS_VERDICT_FAIL;
	if (c->malformed) {
		c->reason = KCS_R_MALFORMED;
		return;
	}
	if (c->privileged) {
		c->reason = KCS_R_PRIVILEGED;
		return;
	}
	if (c->add & (KCS_CAP_NET_RAW | KCS_CAP_PREFIXED | KCS_CAP_ALL)) {
		c->reason = (c->add & (KCS_CAP_NET_RAW | KCS_CAP_PREFIXED))
				    ? KCS_R_ADD_NET_RAW
				    : KCS_R_ADD_ALL;
		if (runtime_removes_again(c))
			c->flags |= KCS_F_RUNTIME_DEPENDENT;
		return;
	}
	if (c->drop & KCS_CAP_ALL) {
		c->verdict = KCS_VERDICT_PASS;
		c->reason = KCS_R_DROP_ALL;
		if (!(c->drop & KCS_CAP_ALL_EXACT))
			c->flags |= KCS_F_NON_CANONICAL_NAME |
				    KCS_F_PSA_RESTRICTED_REJECTS;
		return;
	}
	if (c->drop & KCS_CAP_NET_RAW) {
		c->verdict = KCS_VERDICT_PASS;
		c->reason = KCS_R_DROP_NET_RAW;
		if (!(c->drop & KCS_CAP_NET_RAW_EXACT))
			c->flags |= KCS_F_NON_CANONICAL_NAME;
		return;
	}
	if (c->drop & KCS_CAP_PREFIXED)
		c->reason = KCS_R_DROP_PREFIXED_INEFFECTIVE;
	else if (!c->has_sc)
		c->reason = KCS_R_NO_SECURITY_CONTEXT;
	else if (!c->has_caps)
		c->reason = KCS_R_NO_CAPABILITIES;
	else
		c->reason = KCS_R_NO_MATCHING_DROP;
}

void kcs_audit_pod_verdict(struct kcs_pod *pod)
{
	size_t i, n_na = 0, n_fail = 0, n_exempt = 0;

	for (i = 0; i < pod->n; i++) {
		switch (pod->containers[i].verdict) {
		case KCS_VERDICT_FAIL: n_fail++; break;
		case KCS_VERDICT_NOT_APPLICABLE: n_na++; break;
		case KCS_VERDICT_EXEMPT: n_exempt++; break;
		default: break;
		}
	}
	pod->reason = KCS_PR_NONE;
	if (pod->malformed)
		pod->reason = KCS_PR_MALFORMED;
	else if (pod->n == 0 && !pod->windows)
		pod->reason = KCS_PR_NO_CONTAINERS;

	if (pod->reason != KCS_PR_NONE || n_fail)
		pod->verdict = KCS_VERDICT_FAIL;
	else if (n_exempt)
		pod->verdict = KCS_VERDICT_EXEMPT;
	else if (n_na == pod->n)
		pod->verdict = KCS_VERDICT_NOT_APPLICABLE;
	else
		pod->verdict = KCS_VERDICT_PASS;
}

void kcs_audit_pod(struct kcs_pod *pod)
{
	size_t i;

	for (i = 0; i < pod->n; i++)
		kcs_audit_container(pod, &pod->containers[i]);
	kcs_audit_pod_verdict(pod);
}

const char *kcs_verdict_name(enum kcs_verdict v)
{
	switch (v) {
	case KCS_VERDICT_PASS: return "PASS";
	case KCS_VERDICT_FAIL: return "FAIL";
	case KCS_VERDICT_NOT_APPLICABLE: return "NOT_APPLICABLE";
	case KCS_VERDICT_UNKNOWN: return "UNKNOWN";
	case KCS_VERDICT_EXEMPT: return "EXEMPT";
	}
	return "UNKNOWN";
}

/* Reason names and texts, indexed by enum kcs_reason. */
static const struct {
	const char *name;
	const char *text;
} reasons[KCS_R_COUNT] = {
	[KCS_R_WINDOWS_POD] = { "WINDOWS_POD",
		"Windows pod (spec.os.name: windows): Linux capabilities do not apply" },
	[KCS_R_MALFORMED] = { "MALFORMED",
		"a securityContext field has the wrong JSON type, so the container cannot be shown to drop NET_RAW" },
	[KCS_R_PRIVILEGED] = { "PRIVILEGED",
		"privileged: true grants every capability, whatever drop says" },
	[KCS_R_ADD_NET_RAW] = { "ADD_NET_RAW",
		"capabilities.add grants NET_RAW" },
	[KCS_R_ADD_ALL] = { "ADD_ALL",
		"capabilities.add grants ALL capabilities, NET_RAW included" },
	[KCS_R_DROP_ALL] = { "DROP_ALL",
		"drops ALL capabilities" },
	[KCS_R_DROP_NET_RAW] = { "DROP_NET_RAW",
		"drops NET_RAW" },
	[KCS_R_DROP_PREFIXED_INEFFECTIVE] = { "DROP_PREFIXED_INEFFECTIVE",
		"drops CAP_NET_RAW, which containerd reads as CAP_CAP_NET_RAW and ignores, so NET_RAW stays" },
	[KCS_R_NO_SECURITY_CONTEXT] = { "NO_SECURITY_CONTEXT",
		"no securityContext: the runtime's default capabilities include NET_RAW" },
	[KCS_R_NO_CAPABILITIES] = { "NO_CAPABILITIES",
		"securityContext sets no capabilities: the runtime's default capabilities include NET_RAW" },
	[KCS_R_NO_MATCHING_DROP] = { "NO_MATCHING_DROP",
		"capabilities.drop names neither ALL nor NET_RAW: the runtime's default capabilities include NET_RAW" },
};

const char *kcs_reason_name(enum kcs_reason r)
{
	return (unsigned)r < KCS_R_COUNT ? reasons[r].name : "MALFORMED";
}

const char *kcs_reason_text(enum kcs_reason r)
{
	return (unsigned)r < KCS_R_COUNT ? reasons[r].text : "";
}

const char *kcs_pod_reason_name(enum kcs_pod_reason r)
{
	switch (r) {
	case KCS_PR_NONE: return NULL;
	case KCS_PR_MALFORMED: return "MALFORMED";
	case KCS_PR_NO_CONTAINERS: return "NO_CONTAINERS";
	}
	return NULL;
}

const char *kcs_pod_reason_text(enum kcs_pod_reason r)
{
	switch (r) {
	case KCS_PR_NONE: return "";
	case KCS_PR_MALFORMED:
		return "a pod-level field has the wrong JSON type, so the pod cannot be audited";
	case KCS_PR_NO_CONTAINERS:
		return "the pod lists no container, which the API never serves";
	}
	return "";
}

const char *kcs_ctype_name(enum kcs_ctype t)
{
	switch (t) {
	case KCS_CTYPE_INIT: return "initContainer";
	case KCS_CTYPE_CONTAINER: return "container";
	case KCS_CTYPE_EPHEMERAL: return "ephemeralContainer";
	}
	return "container";
}

const char *kcs_flag_name(unsigned bit)
{
	switch (bit) {
	case KCS_F_NON_CANONICAL_NAME: return "NON_CANONICAL_NAME";
	case KCS_F_PSA_RESTRICTED_REJECTS: return "PSA_RESTRICTED_REJECTS";
	case KCS_F_HOST_NETWORK: return "HOST_NETWORK";
	case KCS_F_RUNTIME_DEPENDENT: return "RUNTIME_DEPENDENT";
	}
	return NULL;
}
