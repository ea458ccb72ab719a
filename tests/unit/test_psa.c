/*
 * test_psa.c - namespace verdicts from Pod Security Admission labels
 * (psa.c; docs/rules.md, "Namespaces").
 *
 * The parsers must match k8s.io/pod-security-admission/api exactly:
 * ParseLevel is a case-sensitive exact match, ParseVersion is
 * ^v1\.([0-9]|[1-9][0-9]*)$ with a minor that fits an int64.
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <criterion/criterion.h>

#include "kcs/psa.h"

Test(psa, parse_level)
{
	static const struct {
		const char *s;
		size_t len;
		int rc;
		enum kcs_psa_level want;
		const char *why;
	} cases[] = {
		{ "privileged", 10, 0, KCS_PSA_PRIVILEGED, "exact" },
		{ "baseline", 8, 0, KCS_PSA_BASELINE, "exact" },
		{ "restricted", 10, 0, KCS_PSA_RESTRICTED, "exact" },
		{ "", 0, -1, KCS_PSA_RESTRICTED, "empty: invalid, counts as restricted" },
		{ "Restricted", 10, -1, KCS_PSA_RESTRICTED, "case-sensitive" },
		{ "RESTRICTED", 10, -1, KCS_PSA_RESTRICTED, "case-sensitive" },
		{ "Privileged", 10, -1, KCS_PSA_RESTRICTED, "invalid privileged fails closed" },
		{ "Baseline", 8, -1, KCS_PSA_RESTRICTED, "invalid baseline fails closed" },
		{ "restricted ", 11, -1, KCS_PSA_RESTRICTED, "no trimming" },
		{ " restricted", 11, -1, KCS_PSA_RESTRICTED, "no trimming" },
		{ "restricte", 9, -1, KCS_PSA_RESTRICTED, "prefix" },
		{ "restricted\0", 11, -1, KCS_PSA_RESTRICTED, "trailing NUL" },
		{ "privilegedX", 10, 0, KCS_PSA_PRIVILEGED, "length, not strlen" },
		{ "privileged", 9, -1, KCS_PSA_RESTRICTED, "length, not strlen: 'privilege'" },
		{ "latest", 6, -1, KCS_PSA_RESTRICTED, "a version is not a level" },
	};
	size_t i;

	for (i = 0; i < KCS_ARRAY_SIZE(cases); i++) {
		enum kcs_psa_level out = cases[i].rc ? KCS_PSA_PRIVILEGED : KCS_PSA_BASELINE;
		int rc = kcs_psa_parse_level(cases[i].s, cases[i].len, &out);

		cr_expect_eq(rc, cases[i].rc, "case %zu (%s): rc %d", i, cases[i].why, rc);
		cr_expect_eq(out, cases[i].want, "case %zu (%s): level %d", i,
			     cases[i].why, out);
	}
}

#define LATEST { 1, 0 }
#define V(n) { 0, n }

Test(psa, parse_version)
{
	static const struct {
		const char *s;
		size_t len; /* 0: strlen */
		int rc;
		struct kcs_psa_version want;
		const char *why;
	} cases[] = {
		{ "latest", 0, 0, LATEST, "latest" },
		{ "v1.0", 0, 0, V(0), "minor 0" },
		{ "v1.9", 0, 0, V(9), "one digit" },
		{ "v1.22", 0, 0, V(22), "two digits" },
		{ "v1.30", 0, 0, V(30), "trailing zero" },
		{ "v1.100", 0, 0, V(100), "three digits" },
		{ "v1.9223372036854775807", 0, 0, V(LLONG_MAX), "int64 max" },
		{ "v1.9223372036854775808", 0, -1, LATEST, "int64 max + 1" },
		{ "v1.9223372036854775810", 0, -1, LATEST, "overflow in the last digit" },
		{ "v1.92233720368547758070", 0, -1, LATEST, "one digit too many" },
		{ "v1.99999999999999999999", 0, -1, LATEST, "far past int64" },
		{ "v1.022", 0, -1, LATEST, "leading zero" },
		{ "v1.00", 0, -1, LATEST, "leading zero, zero" },
		{ "v1.01", 0, -1, LATEST, "leading zero, one digit" },
		{ "v1.", 0, -1, LATEST, "no minor" },
		{ "v1", 0, -1, LATEST, "no dot" },
		{ "v", 0, -1, LATEST, "just v" },
		{ "", 0, -1, LATEST, "empty" },
		{ "v2.0", 0, -1, LATEST, "major 2" },
		{ "v0.22", 0, -1, LATEST, "major 0" },
		{ "v11.22", 0, -1, LATEST, "major 11" },
		{ "1.25", 0, -1, LATEST, "no v" },
		{ "V1.22", 0, -1, LATEST, "capital V" },
		{ "v1.22\n", 0, -1, LATEST, "Go's $ is end of text: no newline" },
		{ "v1.22 ", 0, -1, LATEST, "trailing space" },
		{ " v1.22", 0, -1, LATEST, "leading space" },
		{ "v1.2a", 0, -1, LATEST, "letter" },
		{ "v1.-1", 0, -1, LATEST, "sign" },
		{ "v1.+1", 0, -1, LATEST, "plus sign" },
		{ "v1.2.3", 0, -1, LATEST, "patch" },
		{ "v1.1e3", 0, -1, LATEST, "exponent" },
		{ "v1.22\0", 6, -1, LATEST, "trailing NUL" },
		{ "Latest", 0, -1, LATEST, "case-sensitive latest" },
		{ "LATEST", 0, -1, LATEST, "case-sensitive latest" },
		{ "latest ", 0, -1, LATEST, "latest with a space" },
		{ "v1.22", 4, 0, V(2), "length, not strlen: 'v1.2'" },
		{ "latestX", 6, 0, LATEST, "length, not strlen: 'latest'" },
	};
	size_t i;

	for (i = 0; i < KCS_ARRAY_SIZE(cases); i++) {
		struct kcs_psa_version out = { 0, 5 }; /* not latest */
		size_t len = cases[i].len ? cases[i].len : strlen(cases[i].s);
		int rc = kcs_psa_parse_version(cases[i].s, len, &out);

		cr_expect_eq(rc, cases[i].rc, "case %zu (%s): rc %d", i, cases[i].why, rc);
		cr_expect_eq(out.latest, cases[i].want.latest, "case %zu (%s): latest %d",
			     i, cases[i].why, out.latest);
		if (!cases[i].want.latest)
			cr_expect_eq(out.minor, cases[i].want.minor,
				     "case %zu (%s): minor %lld", i, cases[i].why,
				     out.minor);
	}
}

Test(psa, parse_default)
{
	static const struct {
		const char *arg;
		int rc;
		enum kcs_psa_level level;
		struct kcs_psa_version version;
	} cases[] = {
		{ "privileged", 0, KCS_PSA_PRIVILEGED, LATEST },
		{ "baseline", 0, KCS_PSA_BASELINE, LATEST },
		{ "restricted", 0, KCS_PSA_RESTRICTED, LATEST },
		{ "restricted:latest", 0, KCS_PSA_RESTRICTED, LATEST },
		{ "restricted:v1.21", 0, KCS_PSA_RESTRICTED, V(21) },
		{ "baseline:v1.0", 0, KCS_PSA_BASELINE, V(0) },
		{ "privileged:v1.30", 0, KCS_PSA_PRIVILEGED, V(30) },
		/* strict: anything PSA would call invalid is a usage error */
		{ "", -1, 0, LATEST },
		{ "Restricted", -1, 0, LATEST },
		{ "restricted:", -1, 0, LATEST },
		{ ":latest", -1, 0, LATEST },
		{ "restricted:v1.022", -1, 0, LATEST },
		{ "restricted:V1.22", -1, 0, LATEST },
		{ "restricted:latest:v1.22", -1, 0, LATEST },
		{ "restricted:v1.22 ", -1, 0, LATEST },
		{ "restricted :v1.22", -1, 0, LATEST },
		{ "restricted=v1.22", -1, 0, LATEST },
	};
	size_t i;

	for (i = 0; i < KCS_ARRAY_SIZE(cases); i++) {
		struct kcs_psa_default d = { KCS_PSA_BASELINE, { 0, 3 } };
		int rc = kcs_psa_parse_default(cases[i].arg, &d);

		cr_expect_eq(rc, cases[i].rc, "'%s': rc %d", cases[i].arg, rc);
		if (rc || cases[i].rc)
			continue;
		cr_expect_eq(d.level, cases[i].level, "'%s'", cases[i].arg);
		cr_expect_eq(d.version.latest, cases[i].version.latest, "'%s'", cases[i].arg);
		cr_expect_eq(d.version.minor, cases[i].version.minor, "'%s'", cases[i].arg);
	}
}

/* ---- kcs_psa_evaluate ---------------------------------------------- */

/* A label in a row: NULL is "missing". */
struct ev_row {
	const char *why;
	const char *enforce, *enforce_version;
	const char *audit, *audit_version, *warn, *warn_version;
	const char *def; /* --psa-default-enforce, NULL: privileged:latest */
	enum kcs_verdict verdict;
	enum kcs_ns_reason reason;
	unsigned flags;
	enum kcs_psa_level level;        /* effective */
	struct kcs_psa_version version;  /* effective */
};

#define PASS KCS_VERDICT_PASS
#define FAIL KCS_VERDICT_FAIL
#define DEF KCS_NF_DEFAULTED
#define IL KCS_NF_INVALID_LEVEL
#define IV KCS_NF_INVALID_VERSION
#define PRIV KCS_PSA_PRIVILEGED
#define BASE KCS_PSA_BASELINE
#define REST KCS_PSA_RESTRICTED

static const struct ev_row ev_rows[] = {
	/* restricted at latest or v1.22 and later: PASS */
	{ "restricted, no version", "restricted", NULL, .verdict = PASS, .reason = KCS_NR_ENFORCE_RESTRICTED, .level = REST, .version = LATEST },
	{ "restricted latest", "restricted", "latest", .verdict = PASS, .reason = KCS_NR_ENFORCE_RESTRICTED, .level = REST, .version = LATEST },
	{ "restricted v1.22 (first with drop ALL)", "restricted", "v1.22", .verdict = PASS, .reason = KCS_NR_ENFORCE_RESTRICTED, .level = REST, .version = V(22) },
	{ "restricted v1.23", "restricted", "v1.23", .verdict = PASS, .reason = KCS_NR_ENFORCE_RESTRICTED, .level = REST, .version = V(23) },
	{ "restricted v1.100", "restricted", "v1.100", .verdict = PASS, .reason = KCS_NR_ENFORCE_RESTRICTED, .level = REST, .version = V(100) },
	{ "restricted int64 max", "restricted", "v1.9223372036854775807", .verdict = PASS, .reason = KCS_NR_ENFORCE_RESTRICTED, .level = REST, .version = V(LLONG_MAX) },
	/* restricted before v1.22: FAIL */
	{ "restricted v1.21", "restricted", "v1.21", .verdict = FAIL, .reason = KCS_NR_RESTRICTED_BEFORE_V1_22, .level = REST, .version = V(21) },
	{ "restricted v1.0", "restricted", "v1.0", .verdict = FAIL, .reason = KCS_NR_RESTRICTED_BEFORE_V1_22, .level = REST, .version = V(0) },
	{ "restricted v1.2 (not v1.20)", "restricted", "v1.2", .verdict = FAIL, .reason = KCS_NR_RESTRICTED_BEFORE_V1_22, .level = REST, .version = V(2) },
	/* an invalid version counts as latest */
	{ "restricted, version past int64", "restricted", "v1.9223372036854775808", .verdict = PASS, .reason = KCS_NR_ENFORCE_RESTRICTED, .flags = IV, .level = REST, .version = LATEST },
	{ "restricted v1.021: invalid, not 21", "restricted", "v1.021", .verdict = PASS, .reason = KCS_NR_ENFORCE_RESTRICTED, .flags = IV, .level = REST, .version = LATEST },
	{ "restricted V1.21: invalid, not 21", "restricted", "V1.21", .verdict = PASS, .reason = KCS_NR_ENFORCE_RESTRICTED, .flags = IV, .level = REST, .version = LATEST },
	{ "restricted, empty version", "restricted", "", .verdict = PASS, .reason = KCS_NR_ENFORCE_RESTRICTED, .flags = IV, .level = REST, .version = LATEST },
	{ "privileged, invalid version", "privileged", "v2.0", .verdict = FAIL, .reason = KCS_NR_ENFORCE_PRIVILEGED, .flags = IV, .level = PRIV, .version = LATEST },
	/* baseline and privileged: FAIL whatever the version */
	{ "baseline", "baseline", NULL, .verdict = FAIL, .reason = KCS_NR_ENFORCE_BASELINE, .level = BASE, .version = LATEST },
	{ "baseline v1.30", "baseline", "v1.30", .verdict = FAIL, .reason = KCS_NR_ENFORCE_BASELINE, .level = BASE, .version = V(30) },
	{ "privileged", "privileged", NULL, .verdict = FAIL, .reason = KCS_NR_ENFORCE_PRIVILEGED, .level = PRIV, .version = LATEST },
	{ "privileged latest", "privileged", "latest", .verdict = FAIL, .reason = KCS_NR_ENFORCE_PRIVILEGED, .level = PRIV, .version = LATEST },
	/* an invalid level counts as restricted */
	{ "Restricted: invalid level", "Restricted", NULL, .verdict = PASS, .reason = KCS_NR_ENFORCE_RESTRICTED, .flags = IL, .level = REST, .version = LATEST },
	{ "Privileged: invalid, so restricted", "Privileged", NULL, .verdict = PASS, .reason = KCS_NR_ENFORCE_RESTRICTED, .flags = IL, .level = REST, .version = LATEST },
	{ "empty level", "", NULL, .verdict = PASS, .reason = KCS_NR_ENFORCE_RESTRICTED, .flags = IL, .level = REST, .version = LATEST },
	{ "invalid level pinned v1.21", "RESTRICTED", "v1.21", .verdict = FAIL, .reason = KCS_NR_RESTRICTED_BEFORE_V1_22, .flags = IL, .level = REST, .version = V(21) },
	{ "invalid level and version", "strict", "v1.x", .verdict = PASS, .reason = KCS_NR_ENFORCE_RESTRICTED, .flags = IL | IV, .level = REST, .version = LATEST },
	/* missing level: the default applies */
	{ "no labels, default privileged:latest", NULL, NULL, .verdict = FAIL, .reason = KCS_NR_UNLABELLED, .flags = DEF, .level = PRIV, .version = LATEST },
	{ "no labels, default baseline", NULL, NULL, .def = "baseline", .verdict = FAIL, .reason = KCS_NR_UNLABELLED, .flags = DEF, .level = BASE, .version = LATEST },
	{ "no labels, default restricted", NULL, NULL, .def = "restricted", .verdict = PASS, .reason = KCS_NR_ENFORCE_RESTRICTED, .flags = DEF, .level = REST, .version = LATEST },
	{ "no labels, default restricted:v1.22", NULL, NULL, .def = "restricted:v1.22", .verdict = PASS, .reason = KCS_NR_ENFORCE_RESTRICTED, .flags = DEF, .level = REST, .version = V(22) },
	{ "no labels, default restricted:v1.21 does not pass", NULL, NULL, .def = "restricted:v1.21", .verdict = FAIL, .reason = KCS_NR_UNLABELLED, .flags = DEF, .level = REST, .version = V(21) },
	{ "no labels, default baseline:v1.25", NULL, NULL, .def = "baseline:v1.25", .verdict = FAIL, .reason = KCS_NR_UNLABELLED, .flags = DEF, .level = BASE, .version = V(25) },
	/* missing version with a non-latest default version: DEFAULTED */
	{ "restricted, version from default v1.21", "restricted", NULL, .def = "restricted:v1.21", .verdict = FAIL, .reason = KCS_NR_RESTRICTED_BEFORE_V1_22, .flags = DEF, .level = REST, .version = V(21) },
	{ "restricted, version from default privileged:v1.25", "restricted", NULL, .def = "privileged:v1.25", .verdict = PASS, .reason = KCS_NR_ENFORCE_RESTRICTED, .flags = DEF, .level = REST, .version = V(25) },
	{ "baseline, version from default v1.25: not UNLABELLED", "baseline", NULL, .def = "privileged:v1.25", .verdict = FAIL, .reason = KCS_NR_ENFORCE_BASELINE, .flags = DEF, .level = BASE, .version = V(25) },
	{ "restricted, default version latest: not DEFAULTED", "restricted", NULL, .def = "baseline:latest", .verdict = PASS, .reason = KCS_NR_ENFORCE_RESTRICTED, .level = REST, .version = LATEST },
	{ "restricted v1.22 set: default version unused", "restricted", "v1.22", .def = "privileged:v1.10", .verdict = PASS, .reason = KCS_NR_ENFORCE_RESTRICTED, .level = REST, .version = V(22) },
	{ "restricted latest set beats default v1.21", "restricted", "latest", .def = "restricted:v1.21", .verdict = PASS, .reason = KCS_NR_ENFORCE_RESTRICTED, .level = REST, .version = LATEST },
	{ "invalid version counts as latest, not the default", "restricted", "bogus", .def = "privileged:v1.10", .verdict = PASS, .reason = KCS_NR_ENFORCE_RESTRICTED, .flags = IV, .level = REST, .version = LATEST },
	/* only the version label: the level is defaulted */
	{ "only enforce-version v1.21", NULL, "v1.21", .verdict = FAIL, .reason = KCS_NR_UNLABELLED, .flags = DEF, .level = PRIV, .version = V(21) },
	{ "only enforce-version, default restricted", NULL, "v1.25", .def = "restricted", .verdict = PASS, .reason = KCS_NR_ENFORCE_RESTRICTED, .flags = DEF, .level = REST, .version = V(25) },
	/* audit and warn labels never count as enforcement */
	{ "audit+warn restricted, no enforce", NULL, NULL, "restricted", "latest", "restricted", "latest", .verdict = FAIL, .reason = KCS_NR_UNLABELLED, .flags = DEF, .level = PRIV, .version = LATEST },
	{ "enforce restricted, audit+warn privileged", "restricted", NULL, "privileged", "v1.0", "privileged", "v1.0", .verdict = PASS, .reason = KCS_NR_ENFORCE_RESTRICTED, .level = REST, .version = LATEST },
	{ "enforce baseline, audit+warn restricted", "baseline", NULL, "restricted", NULL, "restricted", NULL, .verdict = FAIL, .reason = KCS_NR_ENFORCE_BASELINE, .level = BASE, .version = LATEST },
	{ "audit/warn invalid values set no flags", "restricted", NULL, "Bogus", "v9", "Bogus", "v1.022", .verdict = PASS, .reason = KCS_NR_ENFORCE_RESTRICTED, .level = REST, .version = LATEST },
};

static void set_label(struct kcs_label *l, const char *v)
{
	memset(l, 0, sizeof(*l));
	if (!v) {
		/* garbage in a missing label must be ignored */
		snprintf(l->s, sizeof(l->s), "restricted");
		l->len = 10;
		return;
	}
	l->present = 1;
	l->len = strlen(v);
	memcpy(l->s, v, l->len + 1);
}

Test(psa, evaluate)
{
	size_t i;

	for (i = 0; i < KCS_ARRAY_SIZE(ev_rows); i++) {
		const struct ev_row *r = &ev_rows[i];
		struct kcs_psa_default def = KCS_PSA_DEFAULT_INIT;
		struct kcs_psa_labels l;
		struct kcs_ns_result out;

		if (r->def)
			cr_assert_eq(kcs_psa_parse_default(r->def, &def), 0, "%s", r->def);
		set_label(&l.enforce, r->enforce);
		set_label(&l.enforce_version, r->enforce_version);
		set_label(&l.audit, r->audit);
		set_label(&l.audit_version, r->audit_version);
		set_label(&l.warn, r->warn);
		set_label(&l.warn_version, r->warn_version);
		memset(&out, 0xa5, sizeof(out)); /* stale garbage */
		kcs_psa_evaluate(&l, &def, &out);
		cr_expect_eq(out.verdict, r->verdict, "row %zu (%s): verdict %s", i,
			     r->why, kcs_verdict_name(out.verdict));
		cr_expect_eq(out.reason, r->reason, "row %zu (%s): reason %s", i,
			     r->why, kcs_ns_reason_name(out.reason));
		cr_expect_eq(out.flags, r->flags, "row %zu (%s): flags %#x", i,
			     r->why, out.flags);
		cr_expect_eq(out.level, r->level, "row %zu (%s): level %s", i,
			     r->why, kcs_psa_level_name(out.level));
		cr_expect_eq(out.version.latest, r->version.latest,
			     "row %zu (%s): latest %d", i, r->why, out.version.latest);
		if (!r->version.latest)
			cr_expect_eq(out.version.minor, r->version.minor,
				     "row %zu (%s): minor %lld", i, r->why,
				     out.version.minor);
	}
}

/* The rows above produce every reason evaluate can give, and every flag. */
Test(psa, table_covers_every_reason_and_flag)
{
	int seen[KCS_NR_NAMESPACE_NOT_IN_INPUT + 1] = { 0 };
	unsigned flags = 0;
	size_t i;

	for (i = 0; i < KCS_ARRAY_SIZE(ev_rows); i++) {
		seen[ev_rows[i].reason] = 1;
		flags |= ev_rows[i].flags;
	}
	/* NAMESPACE_NOT_IN_INPUT is decided by the scan (test_report.c) */
	for (i = 0; i < KCS_NR_NAMESPACE_NOT_IN_INPUT; i++)
		cr_expect(seen[i], "no row for %s", kcs_ns_reason_name((enum kcs_ns_reason)i));
	cr_expect_eq(flags, (1u << KCS_NF_COUNT) - 1);
}

Test(psa, names)
{
	static const struct {
		struct kcs_psa_version v;
		const char *want;
	} versions[] = {
		{ LATEST, "latest" },
		{ V(0), "v1.0" },
		{ V(22), "v1.22" },
		{ V(LLONG_MAX), "v1.9223372036854775807" },
	};
	size_t i;

	cr_expect_str_eq(kcs_psa_level_name(KCS_PSA_PRIVILEGED), "privileged");
	cr_expect_str_eq(kcs_psa_level_name(KCS_PSA_BASELINE), "baseline");
	cr_expect_str_eq(kcs_psa_level_name(KCS_PSA_RESTRICTED), "restricted");
	for (i = 0; i < KCS_ARRAY_SIZE(versions); i++) {
		char buf[32];

		memset(buf, 'x', sizeof(buf));
		kcs_psa_version_format(&versions[i].v, buf, sizeof(buf));
		cr_expect_str_eq(buf, versions[i].want);
	}
	cr_expect_str_eq(kcs_ns_reason_name(KCS_NR_ENFORCE_RESTRICTED), "ENFORCE_RESTRICTED");
	cr_expect_str_eq(kcs_ns_reason_name(KCS_NR_RESTRICTED_BEFORE_V1_22), "RESTRICTED_BEFORE_V1_22");
	cr_expect_str_eq(kcs_ns_reason_name(KCS_NR_ENFORCE_BASELINE), "ENFORCE_BASELINE");
	cr_expect_str_eq(kcs_ns_reason_name(KCS_NR_ENFORCE_PRIVILEGED), "ENFORCE_PRIVILEGED");
	cr_expect_str_eq(kcs_ns_reason_name(KCS_NR_UNLABELLED), "UNLABELLED");
	cr_expect_str_eq(kcs_ns_reason_name(KCS_NR_NAMESPACE_NOT_IN_INPUT), "NAMESPACE_NOT_IN_INPUT");
	for (i = 0; i <= KCS_NR_NAMESPACE_NOT_IN_INPUT; i++) {
		size_t j;

		cr_expect_gt(strlen(kcs_ns_reason_text((enum kcs_ns_reason)i)), 10);
		for (j = 0; j < i; j++)
			cr_expect_str_neq(kcs_ns_reason_text((enum kcs_ns_reason)i),
					  kcs_ns_reason_text((enum kcs_ns_reason)j));
	}
	cr_expect_str_eq(kcs_ns_flag_name(KCS_NF_DEFAULTED), "DEFAULTED");
	cr_expect_str_eq(kcs_ns_flag_name(KCS_NF_INVALID_LEVEL), "INVALID_LEVEL");
	cr_expect_str_eq(kcs_ns_flag_name(KCS_NF_INVALID_VERSION), "INVALID_VERSION");
	cr_expect_null(kcs_ns_flag_name(0));
	cr_expect_null(kcs_ns_flag_name(1u << KCS_NF_COUNT));
	for (i = 0; i + 1 < KCS_NF_COUNT; i++)
		cr_expect_lt(strcmp(kcs_ns_flag_name(1u << i), kcs_ns_flag_name(1u << (i + 1))), 0);
}
