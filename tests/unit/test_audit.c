/*
 * test_audit.c - the container and pod rules of docs/rules.md (audit.c).
 *
 * Containers are built from capability *names* (run through
 * kcs_cap_classify, as the reader does), so each row reads like the pod
 * spec it stands for. Every row is also re-run with hostNetwork: true,
 * which must add HOST_NETWORK and change nothing else.
 */
#include <stdio.h>
#include <string.h>
#include <criterion/criterion.h>

#include "kcs/alloc.h"
#include "kcs/audit.h"

/* ---- kcs_cap_classify ---------------------------------------------- */

#define ALLB (KCS_CAP_ALL)
#define ALLX (KCS_CAP_ALL | KCS_CAP_ALL_EXACT)
#define NRB (KCS_CAP_NET_RAW)
#define NRX (KCS_CAP_NET_RAW | KCS_CAP_NET_RAW_EXACT)
#define PFX (KCS_CAP_PREFIXED)

Test(audit, cap_classify)
{
	static const struct {
		const char *s;
		size_t len; /* explicit: names may hold NUL bytes */
		unsigned want;
		const char *why;
	} cases[] = {
		{ "ALL", 3, ALLX, "canonical ALL" },
		{ "all", 3, ALLB, "lower case: ALL, not exact" },
		{ "All", 3, ALLB, "mixed case" },
		{ "aLl", 3, ALLB, "mixed case" },
		{ "NET_RAW", 7, NRX, "canonical NET_RAW" },
		{ "net_raw", 7, NRB, "lower case: NET_RAW, not exact" },
		{ "Net_Raw", 7, NRB, "mixed case" },
		{ "CAP_NET_RAW", 11, PFX, "prefixed" },
		{ "cap_net_raw", 11, PFX, "prefixed, lower case" },
		{ "Cap_Net_Raw", 11, PFX, "prefixed, mixed case" },
		{ " NET_RAW", 8, 0, "no trimming: leading space" },
		{ "NET_RAW ", 8, 0, "no trimming: trailing space" },
		{ "\tALL", 4, 0, "no trimming: tab" },
		{ "ALL\n", 4, 0, "no trimming: newline" },
		{ "CAP_ALL", 7, 0, "CAP_ALL is not a name containerd knows" },
		{ "cap_all", 7, 0, "CAP_ALL lower case" },
		{ "NET-RAW", 7, 0, "dash is not underscore" },
		{ "NETRAW", 6, 0, "missing underscore" },
		{ "NET_RAWW", 8, 0, "longer" },
		{ "CAP_NET_RAWX", 12, 0, "prefixed, longer" },
		{ "AP_NET_RAW", 10, 0, "truncated prefix" },
		{ "AL\0L", 4, 0, "embedded NUL" },
		{ "ALL\0", 4, 0, "trailing NUL counts" },
		{ "NET_RAW\0", 8, 0, "trailing NUL counts" },
		{ "\0ALL", 4, 0, "leading NUL" },
		{ "ALLX", 3, ALLX, "length, not strlen: first 3 bytes" },
		{ "NET_RAWS", 7, NRX, "length, not strlen: first 7 bytes" },
		{ "ALL", 2, 0, "length, not strlen: 'AL'" },
		{ "\xc3\x80LL", 4, 0, "non-ASCII A-grave is not A" },
		{ "ALL\xc2\xa0", 5, 0, "non-breaking space is not trimmed" },
		{ "\xef\xbd\x81\xef\xbd\x8c\xef\xbd\x8c", 9, 0, "fullwidth all" },
		{ "NET\x7fRAW", 7, 0, "DEL: bit-twiddled upper-casing would make it '_'" },
		{ "net\x7fraw", 7, 0, "DEL, lower case" },
		{ "\xc1LL", 3, 0, "Latin-1 A-acute byte: no locale upper-casing" },
		{ "\xe1ll", 3, 0, "Latin-1 a-acute byte" },
		{ "`LL", 3, 0, "byte before 'a'" },
		{ "{LL", 3, 0, "byte after 'z'" },
		{ "", 0, 0, "empty" },
		{ "A", 1, 0, "too short" },
		{ "SYS_ADMIN", 9, 0, "another capability" },
		{ "NET_ADMIN", 9, 0, "a similar capability" },
	};
	size_t i;

	for (i = 0; i < KCS_ARRAY_SIZE(cases); i++) {
		unsigned got = kcs_cap_classify(cases[i].s, cases[i].len);

		cr_expect_eq(got, cases[i].want, "case %zu (%s): got %#x, want %#x",
			     i, cases[i].why, got, cases[i].want);
	}
}

/* ---- the container rules ------------------------------------------- */

#define MAXN 4

struct row {
	const char *why;
	unsigned char windows, malformed, privileged, has_sc, has_caps;
	const char *add[MAXN]; /* capability names, NULL-terminated */
	const char *drop[MAXN];
	enum kcs_verdict verdict;
	enum kcs_reason reason;
	unsigned flags; /* without HOST_NETWORK */
};

#define SC .has_sc = 1
#define CAPS .has_sc = 1, .has_caps = 1
#define PASS KCS_VERDICT_PASS
#define FAIL KCS_VERDICT_FAIL
#define NA KCS_VERDICT_NOT_APPLICABLE
#define NCN KCS_F_NON_CANONICAL_NAME
#define PRR KCS_F_PSA_RESTRICTED_REJECTS
#define RTD KCS_F_RUNTIME_DEPENDENT

/* Rows in rule order (docs/rules.md, "Containers"); first match wins. */
static const struct row rows[] = {
	/* rule 1: Windows pods are not applicable, whatever else they say */
	{ "windows, no securityContext", .windows = 1, .verdict = NA, .reason = KCS_R_WINDOWS_POD },
	{ "windows beats privileged", .windows = 1, SC, .privileged = 1, .verdict = NA, .reason = KCS_R_WINDOWS_POD },
	{ "windows beats malformed", .windows = 1, .malformed = 1, .verdict = NA, .reason = KCS_R_WINDOWS_POD },
	{ "windows beats add NET_RAW", .windows = 1, CAPS, .add = { "NET_RAW" }, .verdict = NA, .reason = KCS_R_WINDOWS_POD },
	{ "windows with drop ALL is still N/A, not PASS", .windows = 1, CAPS, .drop = { "ALL" }, .verdict = NA, .reason = KCS_R_WINDOWS_POD },
	/* rule 2: wrong JSON type */
	{ "malformed", SC, .malformed = 1, .verdict = FAIL, .reason = KCS_R_MALFORMED },
	{ "malformed beats privileged", SC, .malformed = 1, .privileged = 1, .verdict = FAIL, .reason = KCS_R_MALFORMED },
	{ "malformed beats drop ALL (never a PASS)", CAPS, .malformed = 1, .drop = { "ALL" }, .verdict = FAIL, .reason = KCS_R_MALFORMED },
	{ "malformed beats add NET_RAW", CAPS, .malformed = 1, .add = { "NET_RAW" }, .verdict = FAIL, .reason = KCS_R_MALFORMED },
	{ "malformed with add+drop: no RUNTIME_DEPENDENT", CAPS, .malformed = 1, .add = { "NET_RAW" }, .drop = { "NET_RAW" }, .verdict = FAIL, .reason = KCS_R_MALFORMED },
	/* rule 3: privileged */
	{ "privileged", SC, .privileged = 1, .verdict = FAIL, .reason = KCS_R_PRIVILEGED },
	{ "privileged beats drop ALL", CAPS, .privileged = 1, .drop = { "ALL" }, .verdict = FAIL, .reason = KCS_R_PRIVILEGED },
	{ "privileged beats drop NET_RAW", CAPS, .privileged = 1, .drop = { "NET_RAW" }, .verdict = FAIL, .reason = KCS_R_PRIVILEGED },
	{ "privileged beats add NET_RAW; no RUNTIME_DEPENDENT", CAPS, .privileged = 1, .add = { "NET_RAW" }, .drop = { "NET_RAW" }, .verdict = FAIL, .reason = KCS_R_PRIVILEGED },
	{ "privileged false + drop ALL passes", CAPS, .privileged = 0, .drop = { "ALL" }, .verdict = PASS, .reason = KCS_R_DROP_ALL },
	/* rule 4: add */
	{ "add NET_RAW", CAPS, .add = { "NET_RAW" }, .verdict = FAIL, .reason = KCS_R_ADD_NET_RAW },
	{ "add net_raw (any case)", CAPS, .add = { "net_raw" }, .verdict = FAIL, .reason = KCS_R_ADD_NET_RAW },
	{ "add CAP_NET_RAW (prefixed add still grants it)", CAPS, .add = { "CAP_NET_RAW" }, .verdict = FAIL, .reason = KCS_R_ADD_NET_RAW },
	{ "add cap_net_raw", CAPS, .add = { "cap_net_raw" }, .verdict = FAIL, .reason = KCS_R_ADD_NET_RAW },
	{ "add ALL", CAPS, .add = { "ALL" }, .verdict = FAIL, .reason = KCS_R_ADD_ALL },
	{ "add all (any case)", CAPS, .add = { "all" }, .verdict = FAIL, .reason = KCS_R_ADD_ALL },
	{ "add ALL + NET_RAW: NET_RAW named first", CAPS, .add = { "ALL", "NET_RAW" }, .verdict = FAIL, .reason = KCS_R_ADD_NET_RAW },
	{ "add SYS_ADMIN + CAP_NET_RAW", CAPS, .add = { "SYS_ADMIN", "CAP_NET_RAW" }, .verdict = FAIL, .reason = KCS_R_ADD_NET_RAW },
	{ "add beats drop ALL (runtimes apply drop ALL before adds)", CAPS, .add = { "NET_RAW" }, .drop = { "ALL" }, .verdict = FAIL, .reason = KCS_R_ADD_NET_RAW },
	{ "add CAP_NET_RAW beats drop ALL", CAPS, .add = { "CAP_NET_RAW" }, .drop = { "ALL" }, .verdict = FAIL, .reason = KCS_R_ADD_NET_RAW },
	{ "add ALL + NET_RAW, drop ALL: no RUNTIME_DEPENDENT", CAPS, .add = { "ALL", "NET_RAW" }, .drop = { "ALL" }, .verdict = FAIL, .reason = KCS_R_ADD_NET_RAW },
	{ "add ALL + CAP_NET_RAW, drop ALL: no RUNTIME_DEPENDENT", CAPS, .add = { "ALL", "CAP_NET_RAW" }, .drop = { "ALL" }, .verdict = FAIL, .reason = KCS_R_ADD_NET_RAW },
	{ "add ALL, no drop", CAPS, .add = { "ALL" }, .verdict = FAIL, .reason = KCS_R_ADD_ALL },
	{ "add ALL, drop CAP_NET_RAW: containerd ignores the drop", CAPS, .add = { "ALL" }, .drop = { "CAP_NET_RAW" }, .verdict = FAIL, .reason = KCS_R_ADD_ALL },
	{ "add NET_RAW, drop CAP_NET_RAW: no RUNTIME_DEPENDENT", CAPS, .add = { "NET_RAW" }, .drop = { "CAP_NET_RAW" }, .verdict = FAIL, .reason = KCS_R_ADD_NET_RAW },
	{ "add NET_RAW, drop SYS_ADMIN", CAPS, .add = { "NET_RAW" }, .drop = { "SYS_ADMIN" }, .verdict = FAIL, .reason = KCS_R_ADD_NET_RAW },
	/* RUNTIME_DEPENDENT: drop holds a NET_RAW name ... */
	{ "add NET_RAW, drop NET_RAW", CAPS, .add = { "NET_RAW" }, .drop = { "NET_RAW" }, .verdict = FAIL, .reason = KCS_R_ADD_NET_RAW, .flags = RTD },
	{ "add NET_RAW, drop net_raw", CAPS, .add = { "NET_RAW" }, .drop = { "net_raw" }, .verdict = FAIL, .reason = KCS_R_ADD_NET_RAW, .flags = RTD },
	{ "add CAP_NET_RAW, drop NET_RAW", CAPS, .add = { "CAP_NET_RAW" }, .drop = { "NET_RAW" }, .verdict = FAIL, .reason = KCS_R_ADD_NET_RAW, .flags = RTD },
	{ "add ALL, drop NET_RAW", CAPS, .add = { "ALL" }, .drop = { "NET_RAW" }, .verdict = FAIL, .reason = KCS_R_ADD_ALL, .flags = RTD },
	{ "add NET_RAW, drop ALL + NET_RAW", CAPS, .add = { "NET_RAW" }, .drop = { "ALL", "NET_RAW" }, .verdict = FAIL, .reason = KCS_R_ADD_NET_RAW, .flags = RTD },
	/* ... or both add and drop hold ALL and add holds no NET_RAW name */
	{ "add ALL, drop ALL", CAPS, .add = { "ALL" }, .drop = { "ALL" }, .verdict = FAIL, .reason = KCS_R_ADD_ALL, .flags = RTD },
	{ "add all, drop All", CAPS, .add = { "all" }, .drop = { "All" }, .verdict = FAIL, .reason = KCS_R_ADD_ALL, .flags = RTD },
	{ "add ALL + SYS_ADMIN, drop ALL", CAPS, .add = { "ALL", "SYS_ADMIN" }, .drop = { "ALL" }, .verdict = FAIL, .reason = KCS_R_ADD_ALL, .flags = RTD },
	{ "add ALL + NET_RAW, drop ALL + NET_RAW (drop NET_RAW rule)", CAPS, .add = { "ALL", "NET_RAW" }, .drop = { "ALL", "NET_RAW" }, .verdict = FAIL, .reason = KCS_R_ADD_NET_RAW, .flags = RTD },
	/* an unknown add name is ignored */
	{ "add ' NET_RAW' (no trimming) + drop ALL", CAPS, .add = { " NET_RAW" }, .drop = { "ALL" }, .verdict = PASS, .reason = KCS_R_DROP_ALL },
	{ "add CAP_ALL + drop ALL", CAPS, .add = { "CAP_ALL" }, .drop = { "ALL" }, .verdict = PASS, .reason = KCS_R_DROP_ALL },
	{ "add SYS_ADMIN + drop ALL", CAPS, .add = { "SYS_ADMIN" }, .drop = { "ALL" }, .verdict = PASS, .reason = KCS_R_DROP_ALL },
	/* rule 5: drop ALL */
	{ "drop ALL", CAPS, .drop = { "ALL" }, .verdict = PASS, .reason = KCS_R_DROP_ALL },
	{ "drop all: non-canonical, PSA restricted rejects it", CAPS, .drop = { "all" }, .verdict = PASS, .reason = KCS_R_DROP_ALL, .flags = NCN | PRR },
	{ "drop All", CAPS, .drop = { "All" }, .verdict = PASS, .reason = KCS_R_DROP_ALL, .flags = NCN | PRR },
	{ "drop all + ALL: the exact string is there", CAPS, .drop = { "all", "ALL" }, .verdict = PASS, .reason = KCS_R_DROP_ALL },
	{ "drop ALL + all", CAPS, .drop = { "ALL", "all" }, .verdict = PASS, .reason = KCS_R_DROP_ALL },
	{ "DROP_ALL beats DROP_NET_RAW", CAPS, .drop = { "ALL", "NET_RAW" }, .verdict = PASS, .reason = KCS_R_DROP_ALL },
	{ "DROP_ALL beats DROP_NET_RAW, either order", CAPS, .drop = { "NET_RAW", "ALL" }, .verdict = PASS, .reason = KCS_R_DROP_ALL },
	{ "drop all + NET_RAW: exact NET_RAW does not help ALL", CAPS, .drop = { "all", "NET_RAW" }, .verdict = PASS, .reason = KCS_R_DROP_ALL, .flags = NCN | PRR },
	{ "drop ALL + net_raw: NET_RAW's spelling does not matter", CAPS, .drop = { "ALL", "net_raw" }, .verdict = PASS, .reason = KCS_R_DROP_ALL },
	{ "drop ALL + CAP_NET_RAW", CAPS, .drop = { "ALL", "CAP_NET_RAW" }, .verdict = PASS, .reason = KCS_R_DROP_ALL },
	/* rule 6: drop NET_RAW */
	{ "drop NET_RAW", CAPS, .drop = { "NET_RAW" }, .verdict = PASS, .reason = KCS_R_DROP_NET_RAW },
	{ "drop net_raw: non-canonical only", CAPS, .drop = { "net_raw" }, .verdict = PASS, .reason = KCS_R_DROP_NET_RAW, .flags = NCN },
	{ "drop Net_Raw + NET_RAW: exact present", CAPS, .drop = { "Net_Raw", "NET_RAW" }, .verdict = PASS, .reason = KCS_R_DROP_NET_RAW },
	{ "drop NET_RAW + CAP_NET_RAW", CAPS, .drop = { "NET_RAW", "CAP_NET_RAW" }, .verdict = PASS, .reason = KCS_R_DROP_NET_RAW },
	{ "drop CAP_NET_RAW + net_raw", CAPS, .drop = { "CAP_NET_RAW", "net_raw" }, .verdict = PASS, .reason = KCS_R_DROP_NET_RAW, .flags = NCN },
	{ "drop SYS_ADMIN + NET_RAW", CAPS, .drop = { "SYS_ADMIN", "NET_RAW" }, .verdict = PASS, .reason = KCS_R_DROP_NET_RAW },
	/* rule 7: the prefixed name alone is ineffective */
	{ "drop CAP_NET_RAW only", CAPS, .drop = { "CAP_NET_RAW" }, .verdict = FAIL, .reason = KCS_R_DROP_PREFIXED_INEFFECTIVE },
	{ "drop cap_net_raw only", CAPS, .drop = { "cap_net_raw" }, .verdict = FAIL, .reason = KCS_R_DROP_PREFIXED_INEFFECTIVE },
	{ "drop CAP_NET_RAW + SYS_ADMIN", CAPS, .drop = { "CAP_NET_RAW", "SYS_ADMIN" }, .verdict = FAIL, .reason = KCS_R_DROP_PREFIXED_INEFFECTIVE },
	/* rule 8: nothing effective */
	{ "no securityContext", .verdict = FAIL, .reason = KCS_R_NO_SECURITY_CONTEXT },
	{ "securityContext without capabilities", SC, .verdict = FAIL, .reason = KCS_R_NO_CAPABILITIES },
	{ "capabilities with no drop", CAPS, .verdict = FAIL, .reason = KCS_R_NO_MATCHING_DROP },
	{ "drop SYS_ADMIN", CAPS, .drop = { "SYS_ADMIN" }, .verdict = FAIL, .reason = KCS_R_NO_MATCHING_DROP },
	{ "drop CAP_ALL", CAPS, .drop = { "CAP_ALL" }, .verdict = FAIL, .reason = KCS_R_NO_MATCHING_DROP },
	{ "drop ' NET_RAW' (no trimming)", CAPS, .drop = { " NET_RAW" }, .verdict = FAIL, .reason = KCS_R_NO_MATCHING_DROP },
	{ "drop 'NET_RAW ' (no trimming)", CAPS, .drop = { "NET_RAW " }, .verdict = FAIL, .reason = KCS_R_NO_MATCHING_DROP },
	{ "drop NET-RAW", CAPS, .drop = { "NET-RAW" }, .verdict = FAIL, .reason = KCS_R_NO_MATCHING_DROP },
	{ "add SYS_ADMIN, no drop", CAPS, .add = { "SYS_ADMIN" }, .verdict = FAIL, .reason = KCS_R_NO_MATCHING_DROP },
	{ "privileged false, no capabilities", SC, .privileged = 0, .verdict = FAIL, .reason = KCS_R_NO_CAPABILITIES },
};

static unsigned classify_all(const char *const *names)
{
	unsigned bits = 0;
	size_t i;

	for (i = 0; i < MAXN && names[i]; i++)
		bits |= kcs_cap_classify(names[i], strlen(names[i]));
	return bits;
}

/* Evaluate one row; stale results in the container must not survive. */
static void eval_row(const struct row *r, int host_network,
		     struct kcs_container *c)
{
	struct kcs_pod pod;

	kcs_pod_init(&pod);
	pod.windows = r->windows;
	pod.host_network = (unsigned char)host_network;
	memset(c, 0, sizeof(*c));
	c->type = KCS_CTYPE_CONTAINER;
	c->malformed = r->malformed;
	c->privileged = r->privileged;
	c->has_sc = r->has_sc;
	c->has_caps = r->has_caps;
	c->add = classify_all(r->add);
	c->drop = classify_all(r->drop);
	/* garbage from an earlier evaluation */
	c->verdict = KCS_VERDICT_UNKNOWN;
	c->reason = KCS_R_COUNT;
	c->flags = ~0u;
	kcs_audit_container(&pod, c);
}

Test(audit, container_rules)
{
	size_t i;

	for (i = 0; i < KCS_ARRAY_SIZE(rows); i++) {
		struct kcs_container c;

		eval_row(&rows[i], 0, &c);
		cr_expect_eq(c.verdict, rows[i].verdict, "row %zu (%s): verdict %s",
			     i, rows[i].why, kcs_verdict_name(c.verdict));
		cr_expect_eq(c.reason, rows[i].reason, "row %zu (%s): reason %s",
			     i, rows[i].why, kcs_reason_name(c.reason));
		cr_expect_eq(c.flags, rows[i].flags, "row %zu (%s): flags %#x, want %#x",
			     i, rows[i].why, c.flags, rows[i].flags);
	}
}

/* HOST_NETWORK is added on every verdict and changes nothing else. */
Test(audit, host_network_on_every_verdict)
{
	int seen[5] = { 0 };
	size_t i;

	for (i = 0; i < KCS_ARRAY_SIZE(rows); i++) {
		struct kcs_container c;

		eval_row(&rows[i], 1, &c);
		cr_expect_eq(c.verdict, rows[i].verdict, "row %zu (%s) with hostNetwork",
			     i, rows[i].why);
		cr_expect_eq(c.reason, rows[i].reason, "row %zu (%s) with hostNetwork",
			     i, rows[i].why);
		cr_expect_eq(c.flags, rows[i].flags | KCS_F_HOST_NETWORK,
			     "row %zu (%s) with hostNetwork: flags %#x", i,
			     rows[i].why, c.flags);
		seen[c.verdict]++;
	}
	/* the table covers PASS, FAIL and NOT_APPLICABLE */
	cr_expect(seen[KCS_VERDICT_PASS] && seen[KCS_VERDICT_FAIL] &&
		  seen[KCS_VERDICT_NOT_APPLICABLE]);
}

/* Every reason and every flag is produced by at least one row above. */
Test(audit, table_covers_every_reason_and_flag)
{
	int reason_seen[KCS_R_COUNT] = { 0 };
	unsigned flags = 0;
	size_t i;

	for (i = 0; i < KCS_ARRAY_SIZE(rows); i++) {
		reason_seen[rows[i].reason] = 1;
		flags |= rows[i].flags;
	}
	flags |= KCS_F_HOST_NETWORK; /* host_network_on_every_verdict */
	for (i = 0; i < KCS_R_COUNT; i++)
		cr_expect(reason_seen[i], "no row for reason %s",
			  kcs_reason_name((enum kcs_reason)i));
	cr_expect_eq(flags, (1u << KCS_F_COUNT) - 1, "flags covered: %#x", flags);
}

/* ---- pods ------------------------------------------------------------ */

/* Containers for pod tests, by what they should come out as. */
enum kind { K_PASS, K_FAIL };

static void add(struct kcs_pod *pod, enum kcs_ctype type, enum kind k,
		const char *name)
{
	struct kcs_error err = KCS_ERROR_INIT;
	struct kcs_container *c = kcs_pod_add_container(pod, type, &err);

	cr_assert(c != NULL, "%s", err.msg);
	c->name.len = strlen(name);
	memcpy(c->name.s, name, c->name.len + 1);
	c->has_sc = c->has_caps = 1;
	c->drop = k == K_PASS ? KCS_CAP_ALL | KCS_CAP_ALL_EXACT : 0;
}

Test(audit, pod_all_pass)
{
	struct kcs_pod pod;

	kcs_pod_init(&pod);
	add(&pod, KCS_CTYPE_INIT, K_PASS, "i");
	add(&pod, KCS_CTYPE_CONTAINER, K_PASS, "c");
	add(&pod, KCS_CTYPE_EPHEMERAL, K_PASS, "e");
	pod.reason = KCS_PR_NO_CONTAINERS; /* stale */
	pod.verdict = KCS_VERDICT_UNKNOWN;
	kcs_audit_pod(&pod);
	cr_expect_eq(pod.verdict, KCS_VERDICT_PASS);
	cr_expect_eq(pod.reason, KCS_PR_NONE);
	kcs_pod_release(&pod);
}

/* Any FAIL fails the pod, wherever it is in the list. */
Test(audit, pod_any_fail)
{
	size_t where;

	for (where = 0; where < 3; where++) {
		struct kcs_pod pod;
		size_t i;

		kcs_pod_init(&pod);
		for (i = 0; i < 3; i++)
			add(&pod, (enum kcs_ctype)i, i == where ? K_FAIL : K_PASS, "x");
		kcs_audit_pod(&pod);
		cr_expect_eq(pod.verdict, KCS_VERDICT_FAIL, "failing container at %zu", where);
		cr_expect_eq(pod.reason, KCS_PR_NONE);
		/* each container got its own verdict */
		for (i = 0; i < 3; i++)
			cr_expect_eq(pod.containers[i].verdict,
				     i == where ? KCS_VERDICT_FAIL : KCS_VERDICT_PASS,
				     "container %zu, failing one at %zu", i, where);
		kcs_pod_release(&pod);
	}
}

/* A Windows pod: every container N/A, so the pod is N/A. */
Test(audit, pod_windows_all_na)
{
	struct kcs_pod pod;

	kcs_pod_init(&pod);
	pod.windows = 1;
	add(&pod, KCS_CTYPE_INIT, K_FAIL, "i");
	add(&pod, KCS_CTYPE_CONTAINER, K_PASS, "c");
	kcs_audit_pod(&pod);
	cr_expect_eq(pod.verdict, KCS_VERDICT_NOT_APPLICABLE);
	cr_expect_eq(pod.reason, KCS_PR_NONE);
	cr_expect_eq(pod.containers[0].verdict, KCS_VERDICT_NOT_APPLICABLE);
	cr_expect_eq(pod.containers[1].verdict, KCS_VERDICT_NOT_APPLICABLE);
	kcs_pod_release(&pod);
}

/*
 * "Mixed N/A + PASS -> PASS" cannot be built through kcs_audit_pod: N/A comes
 * only from spec.os.name, which applies to every container of the pod. The
 * pod rule is still pinned: a Linux pod of PASS containers is PASS (above),
 * and a pod is N/A only when ALL its containers are.
 */

Test(audit, pod_no_containers)
{
	struct kcs_pod pod;

	kcs_pod_init(&pod);
	kcs_audit_pod(&pod);
	cr_expect_eq(pod.verdict, KCS_VERDICT_FAIL, "Linux pod without containers");
	cr_expect_eq(pod.reason, KCS_PR_NO_CONTAINERS);

	kcs_pod_init(&pod);
	pod.windows = 1;
	kcs_audit_pod(&pod);
	cr_expect_eq(pod.verdict, KCS_VERDICT_NOT_APPLICABLE, "Windows pod without containers");
	cr_expect_eq(pod.reason, KCS_PR_NONE);
}

Test(audit, pod_malformed)
{
	struct kcs_pod pod;

	/* passing containers do not save a malformed pod */
	kcs_pod_init(&pod);
	pod.malformed = 1;
	add(&pod, KCS_CTYPE_CONTAINER, K_PASS, "c");
	kcs_audit_pod(&pod);
	cr_expect_eq(pod.verdict, KCS_VERDICT_FAIL);
	cr_expect_eq(pod.reason, KCS_PR_MALFORMED);
	cr_expect_eq(pod.containers[0].verdict, KCS_VERDICT_PASS);
	kcs_pod_release(&pod);

	/* MALFORMED beats NO_CONTAINERS */
	kcs_pod_init(&pod);
	pod.malformed = 1;
	kcs_audit_pod(&pod);
	cr_expect_eq(pod.verdict, KCS_VERDICT_FAIL);
	cr_expect_eq(pod.reason, KCS_PR_MALFORMED);

	/* a malformed Windows pod FAILs too ("whatever its containers say") */
	kcs_pod_init(&pod);
	pod.malformed = 1;
	pod.windows = 1;
	add(&pod, KCS_CTYPE_CONTAINER, K_PASS, "c");
	kcs_audit_pod(&pod);
	cr_expect_eq(pod.verdict, KCS_VERDICT_FAIL);
	cr_expect_eq(pod.reason, KCS_PR_MALFORMED);
	kcs_pod_release(&pod);
}

/* ---- container storage --------------------------------------------- */

Test(audit, add_container_grows_and_zeroes)
{
	struct kcs_error err = KCS_ERROR_INIT;
	struct kcs_pod pod;
	struct kcs_container *c, *keep;
	size_t i, cap;

	kcs_pod_init(&pod);
	for (i = 0; i < 20; i++) {
		c = kcs_pod_add_container(&pod, (enum kcs_ctype)(i % 3), &err);
		cr_assert(c != NULL);
		/* a new container is zeroed but for its type */
		cr_expect_eq(c->type, (enum kcs_ctype)(i % 3));
		cr_expect_eq(c->name.len, 0);
		cr_expect_eq(c->add | c->drop | c->has_sc | c->has_caps |
			     c->privileged | c->malformed | c->flags, 0);
		c->name.len = (size_t)snprintf(c->name.s, sizeof(c->name.s), "c%zu", i);
		c->drop = KCS_CAP_ALL;
	}
	cr_assert_eq(pod.n, 20);
	cr_assert_geq(pod.cap, 20);
	/* growth kept what was there */
	for (i = 0; i < 20; i++) {
		char want[16];

		snprintf(want, sizeof(want), "c%zu", i);
		cr_expect_str_eq(pod.containers[i].name.s, want);
		cr_expect_eq(pod.containers[i].drop, KCS_CAP_ALL);
	}
	/* reset keeps the memory and forgets the content */
	keep = pod.containers;
	cap = pod.cap;
	pod.windows = pod.host_network = pod.malformed = 1;
	pod.name.len = 3;
	kcs_pod_reset(&pod);
	cr_expect_eq(pod.n, 0);
	cr_expect_eq(pod.containers, keep);
	cr_expect_eq(pod.cap, cap);
	cr_expect_eq(pod.windows | pod.host_network | pod.malformed, 0);
	cr_expect_eq(pod.name.len, 0);
	/* a reused slot comes back zeroed */
	c = kcs_pod_add_container(&pod, KCS_CTYPE_CONTAINER, &err);
	cr_assert(c != NULL);
	cr_expect_eq(c->drop, 0);
	cr_expect_eq(c->name.len, 0);
	kcs_pod_release(&pod);
	cr_expect_eq(pod.containers, NULL);
	cr_expect_eq(pod.n, 0);
	kcs_pod_release(&pod); /* twice is fine */
	kcs_pod_release(NULL);
}

Test(audit, add_container_limit)
{
	struct kcs_error err = KCS_ERROR_INIT;
	struct kcs_pod pod;
	size_t i;

	kcs_pod_init(&pod);
	for (i = 0; i < KCS_POD_MAX_CONTAINERS; i++)
		cr_assert(kcs_pod_add_container(&pod, KCS_CTYPE_CONTAINER, &err) != NULL,
			  "container %zu: %s", i, err.msg);
	cr_expect(kcs_pod_add_container(&pod, KCS_CTYPE_CONTAINER, &err) == NULL);
	cr_expect_eq(err.code, KCS_ERR_LIMIT);
	cr_expect_eq(pod.n, KCS_POD_MAX_CONTAINERS);
	kcs_pod_release(&pod);
}

Test(audit, add_container_nomem)
{
	struct kcs_error err = KCS_ERROR_INIT;
	struct kcs_pod pod;
	size_t i;

	kcs_pod_init(&pod);
	kcs_alloc_fail_after(0);
	cr_expect(kcs_pod_add_container(&pod, KCS_CTYPE_CONTAINER, &err) == NULL);
	kcs_alloc_fail_after(-1);
	cr_expect_eq(err.code, KCS_ERR_NOMEM);
	cr_expect_eq(pod.n, 0);
	/* failing growth keeps the containers already there */
	kcs_error_clear(&err);
	for (i = 0; i < 8; i++)
		cr_assert(kcs_pod_add_container(&pod, KCS_CTYPE_INIT, &err) != NULL);
	pod.containers[7].drop = KCS_CAP_NET_RAW;
	kcs_alloc_fail_after(0);
	cr_expect(kcs_pod_add_container(&pod, KCS_CTYPE_CONTAINER, &err) == NULL);
	kcs_alloc_fail_after(-1);
	cr_expect_eq(err.code, KCS_ERR_NOMEM);
	cr_expect_eq(pod.n, 8);
	cr_expect_eq(pod.containers[7].drop, KCS_CAP_NET_RAW);
	kcs_pod_release(&pod);
}

/* ---- names ----------------------------------------------------------- */

Test(audit, names)
{
	static const char *const reason_names[KCS_R_COUNT] = {
		[KCS_R_WINDOWS_POD] = "WINDOWS_POD",
		[KCS_R_MALFORMED] = "MALFORMED",
		[KCS_R_PRIVILEGED] = "PRIVILEGED",
		[KCS_R_ADD_NET_RAW] = "ADD_NET_RAW",
		[KCS_R_ADD_ALL] = "ADD_ALL",
		[KCS_R_DROP_ALL] = "DROP_ALL",
		[KCS_R_DROP_NET_RAW] = "DROP_NET_RAW",
		[KCS_R_DROP_PREFIXED_INEFFECTIVE] = "DROP_PREFIXED_INEFFECTIVE",
		[KCS_R_NO_SECURITY_CONTEXT] = "NO_SECURITY_CONTEXT",
		[KCS_R_NO_CAPABILITIES] = "NO_CAPABILITIES",
		[KCS_R_NO_MATCHING_DROP] = "NO_MATCHING_DROP",
	};
	size_t i, j;

	cr_expect_str_eq(kcs_verdict_name(KCS_VERDICT_PASS), "PASS");
	cr_expect_str_eq(kcs_verdict_name(KCS_VERDICT_FAIL), "FAIL");
	cr_expect_str_eq(kcs_verdict_name(KCS_VERDICT_NOT_APPLICABLE), "NOT_APPLICABLE");
	cr_expect_str_eq(kcs_verdict_name(KCS_VERDICT_UNKNOWN), "UNKNOWN");
	cr_expect_str_eq(kcs_verdict_name(KCS_VERDICT_EXEMPT), "EXEMPT");

	for (i = 0; i < KCS_R_COUNT; i++) {
		const char *text = kcs_reason_text((enum kcs_reason)i);

		cr_expect_str_eq(kcs_reason_name((enum kcs_reason)i), reason_names[i]);
		/* a text in words, distinct for every reason */
		cr_expect(text != NULL && strlen(text) > 10, "reason %zu has no text", i);
		for (j = 0; j < i; j++)
			cr_expect_str_neq(text, kcs_reason_text((enum kcs_reason)j));
	}

	cr_expect_null(kcs_pod_reason_name(KCS_PR_NONE));
	cr_expect_str_eq(kcs_pod_reason_name(KCS_PR_MALFORMED), "MALFORMED");
	cr_expect_str_eq(kcs_pod_reason_name(KCS_PR_NO_CONTAINERS), "NO_CONTAINERS");
	cr_expect_gt(strlen(kcs_pod_reason_text(KCS_PR_MALFORMED)), 10);
	cr_expect_gt(strlen(kcs_pod_reason_text(KCS_PR_NO_CONTAINERS)), 10);

	cr_expect_str_eq(kcs_ctype_name(KCS_CTYPE_INIT), "initContainer");
	cr_expect_str_eq(kcs_ctype_name(KCS_CTYPE_CONTAINER), "container");
	cr_expect_str_eq(kcs_ctype_name(KCS_CTYPE_EPHEMERAL), "ephemeralContainer");

	cr_expect_str_eq(kcs_flag_name(KCS_F_HOST_NETWORK), "HOST_NETWORK");
	cr_expect_str_eq(kcs_flag_name(KCS_F_NON_CANONICAL_NAME), "NON_CANONICAL_NAME");
	cr_expect_str_eq(kcs_flag_name(KCS_F_PSA_RESTRICTED_REJECTS), "PSA_RESTRICTED_REJECTS");
	cr_expect_str_eq(kcs_flag_name(KCS_F_RUNTIME_DEPENDENT), "RUNTIME_DEPENDENT");
	cr_expect_null(kcs_flag_name(0));
	cr_expect_null(kcs_flag_name(1u << KCS_F_COUNT));
	cr_expect_null(kcs_flag_name(KCS_F_HOST_NETWORK | KCS_F_RUNTIME_DEPENDENT));
	/* bits are in alphabetical order, so reports list flags sorted */
	for (i = 0; i + 1 < KCS_F_COUNT; i++)
		cr_expect_lt(strcmp(kcs_flag_name(1u << i), kcs_flag_name(1u << (i + 1))), 0,
			     "flag bit %zu out of order", i);
}
