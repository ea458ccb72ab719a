/*
 * fuzz_nslist.c - namespace lists through the reader, then Pod Security.
 *
 * The input is a JSON document read with KCS_HINT_NAMESPACES (as a live
 * scan reads /api/v1/namespaces), once whole and once in chunks of
 * 1 + (size % 13) bytes; both runs must agree on the error and on every
 * namespace handed over. Each namespace's labels then go through
 * kcs_psa_evaluate() under several enforce defaults, and the verdict is
 * checked against the rule of docs/rules.md written out again here: a
 * namespace PASSes exactly when the effective enforce level is restricted
 * (an invalid level counts as restricted) at a version of v1.22 or later
 * (an invalid version counts as latest). Finally the namespaces go through
 * a scan, so the namespace table and its sorting run too.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "kcs/input.h"
#include "kcs/psa.h"
#include "kcs/reader.h"
#include "kcs/scan.h"
#include "fuzz.h"
#include "kcs/banned.h"

/* What one read of the document saw. */
struct run {
	struct kcs_scan *scan;  /* NULL: only digest and evaluate */
	struct fuzz_digest d;   /* namespaces and pods, in order */
	size_t n_ns, n_pods;
};

/* The enforce defaults every namespace is evaluated under. */
static const struct kcs_psa_default defaults[] = {
	{ KCS_PSA_PRIVILEGED, { 1, 0 } },
	{ KCS_PSA_BASELINE, { 1, 0 } },
	{ KCS_PSA_RESTRICTED, { 1, 0 } },
	{ KCS_PSA_RESTRICTED, { 0, 21 } },
	{ KCS_PSA_RESTRICTED, { 0, 22 } },
};

static int label_is(const struct kcs_label *l, const char *s)
{
	return l->len == strlen(s) && memcmp(l->s, s, l->len) == 0;
}

/* Is this version label a valid v1.N with N < 22 ("v1.0" .. "v1.21")? */
static int label_before_v1_22(const struct kcs_label *l)
{
	char want[8];
	int n;

	for (n = 0; n < 22; n++) {
		snprintf(want, sizeof(want), "v1.%d", n);
		if (label_is(l, want))
			return 1;
	}
	return 0;
}

/* docs/rules.md "Namespaces", independently of psa.c. */
static int should_pass(const struct kcs_psa_labels *l,
		       const struct kcs_psa_default *def)
{
	int restricted, new_enough;

	if (l->enforce.present)
		restricted = !label_is(&l->enforce, "privileged") &&
			     !label_is(&l->enforce, "baseline");
	else
		restricted = def->level == KCS_PSA_RESTRICTED;
	if (l->enforce_version.present)
		new_enough = !label_before_v1_22(&l->enforce_version);
	else
		new_enough = def->version.latest || def->version.minor >= 22;
	return restricted && new_enough;
}

static void check_label(const struct kcs_label *l)
{
	FUZZ_CHECK(l->len <= KCS_LABEL_MAX && l->s[l->len] == '\0');
	FUZZ_CHECK(l->present || l->len == 0);
}

static void evaluate(const struct kcs_nsobj *ns)
{
	struct kcs_ns_result res;
	char ver[32];
	size_t i;

	for (i = 0; i < KCS_ARRAY_SIZE(defaults); i++) {
		kcs_psa_evaluate(&ns->labels, &defaults[i], &res);
		FUZZ_CHECK(res.verdict == KCS_VERDICT_PASS ||
			   res.verdict == KCS_VERDICT_FAIL);
		FUZZ_CHECK((res.verdict == KCS_VERDICT_PASS) ==
			   should_pass(&ns->labels, &defaults[i]));
		if (res.verdict == KCS_VERDICT_PASS)
			FUZZ_CHECK(res.level == KCS_PSA_RESTRICTED &&
				   res.reason == KCS_NR_ENFORCE_RESTRICTED);
		FUZZ_CHECK(!!(res.flags & KCS_NF_INVALID_LEVEL) ==
			   (ns->labels.enforce.present &&
			    !label_is(&ns->labels.enforce, "privileged") &&
			    !label_is(&ns->labels.enforce, "baseline") &&
			    !label_is(&ns->labels.enforce, "restricted")));
		FUZZ_CHECK(kcs_ns_reason_name(res.reason) != NULL);
		kcs_psa_version_format(&res.version, ver, sizeof(ver));
		FUZZ_CHECK(strlen(ver) < sizeof(ver) - 1);
	}
}

static enum kcs_err on_ns(const struct kcs_nsobj *ns, void *user,
			  struct kcs_error *err)
{
	struct run *run = user;
	const struct kcs_label *all[] = {
		&ns->labels.enforce, &ns->labels.enforce_version,
		&ns->labels.audit, &ns->labels.audit_version,
		&ns->labels.warn, &ns->labels.warn_version,
	};
	size_t i;

	FUZZ_CHECK(ns->name.len <= KCS_NAME_MAX &&
		   ns->name.s[ns->name.len] == '\0');
	fuzz_digest_bytes(&run->d, ns->name.s, ns->name.len);
	fuzz_digest_bytes(&run->d, ns->uid.s, ns->has_uid ? ns->uid.len : 0);
	for (i = 0; i < KCS_ARRAY_SIZE(all); i++) {
		check_label(all[i]);
		fuzz_digest_u64(&run->d, all[i]->present);
		fuzz_digest_bytes(&run->d, all[i]->s, all[i]->len);
	}
	evaluate(ns);
	run->n_ns++;
	return run->scan ? kcs_scan_namespace(ns, run->scan, err) : KCS_OK;
}

static enum kcs_err on_pod(struct kcs_pod *pod, void *user,
			   struct kcs_error *err)
{
	struct run *run = user;

	fuzz_digest_bytes(&run->d, pod->name.s, pod->name.len);
	run->n_pods++;
	return run->scan ? kcs_scan_pod(pod, run->scan, err) : KCS_OK;
}

/* Read the document in chunks of `chunk` bytes (0: whole). */
static enum kcs_err read_doc(struct run *run, const uint8_t *data,
			     size_t size, size_t chunk, struct kcs_error *err)
{
	struct kcs_reader_cbs cbs = { on_pod, on_ns, run };
	struct kcs_reader *r = kcs_reader_new(&cbs, KCS_HINT_NAMESPACES);
	enum kcs_err rc;

	fuzz_digest_init(&run->d);
	run->n_ns = run->n_pods = 0;
	FUZZ_CHECK(r != NULL);
	rc = kcs_input_mem(r, data, size, chunk, err);
	FUZZ_CHECK(rc == err->code);
	kcs_reader_free(r);
	return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kcs_error e1 = KCS_ERROR_INIT, e2 = KCS_ERROR_INIT;
	struct kcs_error ferr = KCS_ERROR_INIT;
	struct kcs_psa_default def = KCS_PSA_DEFAULT_INIT;
	struct kcs_source src = { 0 };
	struct run whole = { 0 }, chunked = { 0 };
	enum kcs_err rc1, rc2;

	/* Whole, through a scan (no report: the scan's table is the point). */
	whole.scan = kcs_scan_new(&def);
	FUZZ_CHECK(whole.scan != NULL);
	FUZZ_CHECK(!kcs_scan_begin(whole.scan, &ferr));
	rc1 = read_doc(&whole, data, size, 0, &e1);
	if (rc1)
		kcs_scan_add_error(whole.scan, &e1);
	src.kind = KCS_SOURCE_FILE;
	FUZZ_CHECK(!kcs_scan_finish(whole.scan, &src, rc1 == KCS_OK, &ferr));
	FUZZ_CHECK(kcs_scan_pod_counts(whole.scan)->total == whole.n_pods);
	kcs_scan_free(whole.scan);

	rc2 = read_doc(&chunked, data, size, 1 + size % 13, &e2);
	FUZZ_CHECK(rc1 == rc2 && e1.offset == e2.offset);
	FUZZ_CHECK(strcmp(e1.msg, e2.msg) == 0);
	FUZZ_CHECK(whole.n_ns == chunked.n_ns);
	FUZZ_CHECK(whole.n_pods == chunked.n_pods);
	FUZZ_CHECK(whole.d.h == chunked.d.h);
	return 0;
}
