/*
 * fuzz_baseline.c - --baseline reports through the drift module (drift.c).
 *
 * The first byte picks a chunk size (1..64); the input is read as a
 * baseline once whole and once in those chunks, and both reads must agree:
 * the same error code, byte offset and message, or, after the same small
 * current scan is fed to both, the same drift (digest of every field of
 * every item, in order). Then the contract of drift.h is checked on the
 * result: items NUL-terminated at their stated lengths, each list sorted
 * strictly by key, each state in its list with the verdicts it implies (a
 * new failure FAILs now, a fixed item FAILed then and does not FAIL now,
 * gone means not seen), --fail-on new agreeing with the list. The baseline
 * is read a third time for an incomplete current scan, which must call
 * nothing gone and no namespace removed.
 */
#include <stdint.h>
#include <string.h>

#include "kcs/drift.h"
#include "fuzz.h"
#include "kcs/banned.h"

/* Small limits keep runs fast; inputs over max_bytes are read whole only. */
static const struct kcs_drift_limits limits = {
	.max_keys = 4096,
	.max_bytes = 1024 * 1024,
};

/* One container of the current scan. */
struct cur {
	const char *ns, *wkind, *wname, *pod, *cname;
	enum kcs_ctype type;
	enum kcs_verdict v;
	enum kcs_reason r;
	enum kcs_pod_reason pr;
};

/*
 * The current scan: names from the drift fixtures and the seeds, so that
 * keys, legacy pod names and namespaces of real baselines match.
 */
static const struct cur current[] = {
	{ "shop", "Deployment", "web", "web-6b8d9c7f5-2mz8p", "web",
	  KCS_CTYPE_CONTAINER, KCS_VERDICT_FAIL, KCS_R_NO_SECURITY_CONTEXT,
	  KCS_PR_NONE },
	{ "shop", "StatefulSet", "db", "db-0", "postgres", KCS_CTYPE_CONTAINER,
	  KCS_VERDICT_PASS, KCS_R_DROP_ALL, KCS_PR_NONE },
	{ "n", NULL, NULL, "p", "c", KCS_CTYPE_CONTAINER, KCS_VERDICT_EXEMPT,
	  KCS_R_ADD_NET_RAW, KCS_PR_NONE },
	{ "n", "Deployment", "w", "w-1", "c", KCS_CTYPE_INIT,
	  KCS_VERDICT_FAIL, KCS_R_PRIVILEGED, KCS_PR_MALFORMED },
	{ "kube-system", "DaemonSet", "node-agent", "node-agent-5tq7z",
	  "agent", KCS_CTYPE_CONTAINER, KCS_VERDICT_FAIL, KCS_R_PRIVILEGED,
	  KCS_PR_NONE },
};

/* The current scan's namespaces. */
struct curns {
	const char *name;
	enum kcs_verdict v;
	const char *reason;
};

static const struct curns namespaces[] = {
	{ "shop", KCS_VERDICT_PASS, "ENFORCE_RESTRICTED" },
	{ "ml", KCS_VERDICT_FAIL, "UNLABELLED" },
	{ "n", KCS_VERDICT_UNKNOWN, "NAMESPACE_NOT_IN_INPUT" },
};

static void feed_current(struct kcs_drift *d)
{
	struct kcs_error err = KCS_ERROR_INIT;
	struct kcs_pod pod;
	size_t i;

	kcs_pod_init(&pod);
	for (i = 0; i < KCS_ARRAY_SIZE(current); i++) {
		const struct cur *c = &current[i];
		struct kcs_container *k;

		kcs_pod_reset(&pod);
		pod.ns.len = strlen(c->ns);
		memcpy(pod.ns.s, c->ns, pod.ns.len + 1);
		pod.name.len = strlen(c->pod);
		memcpy(pod.name.s, c->pod, pod.name.len + 1);
		pod.reason = c->pr;
		k = kcs_pod_add_container(&pod, c->type, &err);
		FUZZ_CHECK(k != NULL);
		k->name.len = strlen(c->cname);
		memcpy(k->name.s, c->cname, k->name.len + 1);
		k->verdict = c->v;
		k->reason = c->r;
		/* the key limit may be reached: then the call says so */
		kcs_error_clear(&err);
		if (kcs_drift_pod(d, &pod, c->wkind, c->wname,
				  c->wname ? strlen(c->wname) : 0, &err))
			FUZZ_CHECK(err.code == KCS_ERR_LIMIT);
	}
	kcs_pod_release(&pod);
	for (i = 0; i < KCS_ARRAY_SIZE(namespaces); i++) {
		const struct curns *n = &namespaces[i];

		kcs_error_clear(&err);
		if (kcs_drift_namespace(d, n->name, strlen(n->name), n->v,
					n->reason, &err))
			FUZZ_CHECK(err.code == KCS_ERR_LIMIT);
	}
}

/* Read the baseline in `chunk`-byte pieces; returns the error code. */
static enum kcs_err load(struct kcs_drift *d, const uint8_t *data,
			 size_t size, size_t chunk, struct kcs_error *err)
{
	enum kcs_err rc = kcs_drift_baseline_begin(d, "fuzz.json", err);
	size_t off = 0, n;

	while (!rc && off < size) {
		n = size - off < chunk ? size - off : chunk;
		rc = kcs_drift_baseline_feed(d, data + off, n, err);
		off += n;
	}
	return rc ? rc : kcs_drift_baseline_finish(d, err);
}

static int cmp_bytes(const char *a, size_t alen, const char *b, size_t blen)
{
	int c = memcmp(a, b, alen < blen ? alen : blen);

	return c ? c : alen < blen ? -1 : alen > blen;
}

/* The key order drift.h documents, written out again. */
static int cmp_items(const struct kcs_drift_item *a,
		     const struct kcs_drift_item *b)
{
	int an = a->level == KCS_DRIFT_LEVEL_NAMESPACE;
	int bn = b->level == KCS_DRIFT_LEVEL_NAMESPACE;
	int c;

	if ((c = cmp_bytes(a->ns, a->ns_len, b->ns, b->ns_len)))
		return c;
	if (an != bn)
		return an ? -1 : 1;
	if ((c = cmp_bytes(a->workload_kind, a->workload_kind_len,
			   b->workload_kind, b->workload_kind_len)))
		return c;
	if ((c = cmp_bytes(a->workload_name, a->workload_name_len,
			   b->workload_name, b->workload_name_len)))
		return c;
	if (a->level != b->level)
		return a->level < b->level ? -1 : 1;
	if (a->container_type != b->container_type)
		return a->container_type < b->container_type ? -1 : 1;
	return cmp_bytes(a->container_name, a->container_name_len,
			 b->container_name, b->container_name_len);
}

static void check_string(const char *s, size_t len, size_t max)
{
	FUZZ_CHECK(s != NULL);
	FUZZ_CHECK(len <= max);
	FUZZ_CHECK(s[len] == '\0');
}

static void check_item(enum kcs_drift_list l, const struct kcs_drift_item *it)
{
	int now_fail = it->seen && it->verdict == KCS_VERDICT_FAIL;

	check_string(it->ns, it->ns_len, KCS_NAME_MAX);
	check_string(it->workload_kind, it->workload_kind_len,
		     KCS_DRIFT_KIND_MAX);
	check_string(it->workload_name, it->workload_name_len, KCS_NAME_MAX);
	check_string(it->container_name, it->container_name_len,
		     KCS_NAME_MAX);
	FUZZ_CHECK(strlen(it->reason) <= KCS_DRIFT_REASON_MAX);
	FUZZ_CHECK(strlen(it->now_reason) <= KCS_DRIFT_REASON_MAX);
	FUZZ_CHECK(strlen(it->baseline_reason) <= KCS_DRIFT_REASON_MAX);
	if (it->level == KCS_DRIFT_LEVEL_NAMESPACE)
		FUZZ_CHECK(!it->workload_kind_len && !it->workload_name_len);
	else
		FUZZ_CHECK(it->workload_kind_len > 0);
	if (it->level != KCS_DRIFT_LEVEL_CONTAINER)
		FUZZ_CHECK(!it->container_name_len);
	if (!it->seen)
		FUZZ_CHECK(it->verdict == KCS_VERDICT_UNKNOWN &&
			   !it->now_reason[0]);
	if (!it->in_baseline)
		FUZZ_CHECK(it->baseline_verdict == KCS_VERDICT_UNKNOWN);
	switch (l) {
	case KCS_DRIFT_NEW_FAILURES:
		FUZZ_CHECK(now_fail);
		FUZZ_CHECK(it->baseline_verdict != KCS_VERDICT_FAIL);
		FUZZ_CHECK(it->state == (it->in_baseline ? KCS_DRIFT_REGRESSED
							  : KCS_DRIFT_NEW));
		break;
	case KCS_DRIFT_STILL_FAILING_ITEMS:
		FUZZ_CHECK(now_fail && it->in_baseline &&
			   it->baseline_verdict == KCS_VERDICT_FAIL);
		FUZZ_CHECK(it->state == KCS_DRIFT_STILL_FAILING);
		break;
	case KCS_DRIFT_FIXED_ITEMS:
		FUZZ_CHECK(!now_fail && it->in_baseline &&
			   it->baseline_verdict == KCS_VERDICT_FAIL);
		FUZZ_CHECK(it->state == KCS_DRIFT_GONE ? !it->seen
			   : it->state == KCS_DRIFT_FIXED
				   ? it->verdict == KCS_VERDICT_PASS ||
					     it->verdict ==
						     KCS_VERDICT_NOT_APPLICABLE
			   : it->state == KCS_DRIFT_EXEMPTED &&
				     it->verdict == KCS_VERDICT_EXEMPT);
		break;
	case KCS_DRIFT_UNKNOWN_ITEMS:
		FUZZ_CHECK(it->state == KCS_DRIFT_UNKNOWN);
		FUZZ_CHECK(!it->seen || it->verdict == KCS_VERDICT_UNKNOWN);
		FUZZ_CHECK(it->baseline_verdict == KCS_VERDICT_FAIL);
		break;
	case KCS_DRIFT_NEW_NAMESPACES:
		FUZZ_CHECK(it->state == KCS_DRIFT_ADDED && it->seen &&
			   !it->in_baseline);
		FUZZ_CHECK(it->level == KCS_DRIFT_LEVEL_NAMESPACE);
		break;
	case KCS_DRIFT_REMOVED_NAMESPACES:
		FUZZ_CHECK(it->state == KCS_DRIFT_REMOVED && !it->seen &&
			   it->in_baseline);
		FUZZ_CHECK(it->level == KCS_DRIFT_LEVEL_NAMESPACE);
		break;
	case KCS_DRIFT_LIST_COUNT:
		FUZZ_CHECK(0);
	}
}

/* Check every list and digest it. */
static void check_result(const struct kcs_drift *d, int complete,
			 struct fuzz_digest *dg)
{
	const char *const *w;
	size_t l, i, n;

	for (l = 0; l < KCS_DRIFT_LIST_COUNT; l++) {
		const struct kcs_drift_item *it =
			kcs_drift_items(d, (enum kcs_drift_list)l, &n);

		FUZZ_CHECK(n == 0 || it != NULL);
		fuzz_digest_u64(dg, n);
		for (i = 0; i < n; i++) {
			check_item((enum kcs_drift_list)l, &it[i]);
			if (i)
				FUZZ_CHECK(cmp_items(&it[i - 1], &it[i]) < 0);
			if (!complete)
				FUZZ_CHECK(it[i].state != KCS_DRIFT_GONE &&
					   it[i].state != KCS_DRIFT_REMOVED);
			fuzz_digest_u64(dg, it[i].state);
			fuzz_digest_u64(dg, it[i].level);
			fuzz_digest_bytes(dg, it[i].ns, it[i].ns_len);
			fuzz_digest_bytes(dg, it[i].workload_kind,
					  it[i].workload_kind_len);
			fuzz_digest_bytes(dg, it[i].workload_name,
					  it[i].workload_name_len);
			fuzz_digest_u64(dg, it[i].container_type);
			fuzz_digest_bytes(dg, it[i].container_name,
					  it[i].container_name_len);
			fuzz_digest_bytes(dg, it[i].reason,
					  strlen(it[i].reason));
			fuzz_digest_u64(dg, (uint64_t)it[i].verdict);
			fuzz_digest_u64(dg, (uint64_t)it[i].baseline_verdict);
			fuzz_digest_bytes(dg, it[i].baseline_reason,
					  strlen(it[i].baseline_reason));
			fuzz_digest_u64(dg, (uint64_t)it[i].legacy);
		}
	}
	FUZZ_CHECK(kcs_drift_has_new_failures(d) ==
		   (kcs_drift_count(d, KCS_DRIFT_NEW_FAILURES) > 0));
	w = kcs_drift_warnings(d, &n);
	for (i = 0; i < n; i++) {
		FUZZ_CHECK(w[i] != NULL && w[i][0] != '\0');
		fuzz_digest_bytes(dg, w[i], strlen(w[i]));
	}
}

/* Load, feed, finish; returns the load's code and digests the result. */
static enum kcs_err run(const uint8_t *data, size_t size, size_t chunk,
			int complete, struct kcs_error *err,
			struct fuzz_digest *dg)
{
	struct kcs_drift *d = kcs_drift_new();
	const struct kcs_drift_baseline *b;
	enum kcs_err rc;

	FUZZ_CHECK(d != NULL);
	kcs_drift_set_limits(d, &limits);
	fuzz_digest_init(dg);
	rc = load(d, data, size, chunk, err);
	FUZZ_CHECK(rc == err->code);
	FUZZ_CHECK(memchr(err->msg, '\0', sizeof(err->msg)) != NULL);
	if (rc) {
		FUZZ_CHECK(strstr(err->msg, "fuzz.json") != NULL ||
			   rc == KCS_ERR_NOMEM);
		/* a failed load is refused downstream */
		FUZZ_CHECK(kcs_drift_finish(d, 1, NULL, NULL) ==
			   KCS_ERR_INTERNAL);
		kcs_drift_free(d);
		return rc;
	}
	b = kcs_drift_baseline(d);
	FUZZ_CHECK(b->file && b->finished_at);
	FUZZ_CHECK(strlen(b->finished_at) <= KCS_DRIFT_TIME_MAX);
	FUZZ_CHECK(b->legacy_pods <= b->pods);
	FUZZ_CHECK(b->n_exclude_ns <= KCS_DRIFT_MAX_EXCLUDES);
	feed_current(d);
	FUZZ_CHECK(kcs_drift_finish(d, complete, NULL, err) == KCS_OK);
	check_result(d, complete, dg);
	kcs_drift_free(d);
	return KCS_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kcs_error e1 = KCS_ERROR_INIT, e2 = KCS_ERROR_INIT;
	struct kcs_error e3 = KCS_ERROR_INIT;
	struct fuzz_digest d1, d2, d3;
	size_t chunk = size ? (size_t)data[0] % 64 + 1 : 1;
	enum kcs_err rc1, rc2, rc3;

	rc1 = run(data, size, size ? size : 1, 1, &e1, &d1);
	if (size <= limits.max_bytes) {
		/* over max_bytes, where the cut falls decides which error */
		rc2 = run(data, size, chunk, 1, &e2, &d2);
		FUZZ_CHECK(rc1 == rc2);
		FUZZ_CHECK(e1.offset == e2.offset);
		FUZZ_CHECK(strcmp(e1.msg, e2.msg) == 0);
		if (!rc1)
			FUZZ_CHECK(d1.h == d2.h && d1.n == d2.n);
	}
	rc3 = run(data, size, size ? size : 1, 0, &e3, &d3);
	FUZZ_CHECK(rc3 == rc1);
	return 0;
}
