/*
 * test_drift.c - drift against a baseline report (drift.c).
 *
 * Results are compared as text: dump() writes every list, one item per
 * line, "list: state key reason", in the module's order, so a test states
 * the whole expected outcome and any extra, missing or misplaced item
 * fails it.
 *
 * Fixtures (testdata/drift/, see its README.md): last-week.json and
 * this-week.json are a pair of real reports in today's schema (no
 * workloads); workloads-last-week.json and workloads-this-week.json are
 * the same weeks as the new kubecapscan writes them, with workload keys and
 * pods restarted in between. The current scans fed below mirror the
 * this-week reports; tests `fixture_mirrors_*` prove the mirrors true by
 * diffing each report against its own mirror (no drift at all).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <criterion/criterion.h>

#include "kcs/alloc.h"
#include "kcs/drift.h"
#include "testutil.h"

/* ---- helpers -------------------------------------------------------- */

/* Feed `len` bytes in chunks of `chunk` (0: at once) and finish. */
static enum kcs_err load_mem(struct kcs_drift *d, const char *name,
			     const char *data, size_t len, size_t chunk,
			     struct kcs_error *err)
{
	enum kcs_err rc = kcs_drift_baseline_begin(d, name, err);
	size_t off = 0, n;

	if (!chunk)
		chunk = len ? len : 1;
	while (!rc && off < len) {
		n = len - off < chunk ? len - off : chunk;
		rc = kcs_drift_baseline_feed(d, data + off, n, err);
		off += n;
	}
	return rc ? rc : kcs_drift_baseline_finish(d, err);
}

/* A drift loaded from a ' JSON text; asserts success. */
static struct kcs_drift *base_str(const char *text)
{
	struct kcs_error err = KCS_ERROR_INIT;
	struct kcs_drift *d = kcs_drift_new();
	char *s = tu_jq(text, NULL);

	cr_assert_not_null(d);
	cr_assert_eq(load_mem(d, "base.json", s, strlen(s), 0, &err), KCS_OK,
		     "%s", err.msg);
	free(s);
	return d;
}

static struct kcs_drift *base_file(const char *rel)
{
	struct kcs_error err = KCS_ERROR_INIT;
	struct kcs_drift *d = kcs_drift_new();

	cr_assert_not_null(d);
	cr_assert_eq(kcs_drift_load_baseline(d, tu_path(rel), &err), KCS_OK,
		     "%s", err.msg);
	return d;
}

/* One container of a current pod. */
struct tc {
	enum kcs_ctype t;
	const char *name;
	enum kcs_verdict v;
	enum kcs_reason r;
};

/* Feed a current pod: wk NULL for a bare pod. */
static void feed_pod_pr(struct kcs_drift *d, const char *ns, const char *wk,
			const char *wn, const char *podname,
			enum kcs_pod_reason pr, const struct tc *c, size_t n)
{
	struct kcs_error err = KCS_ERROR_INIT;
	struct kcs_pod pod;
	size_t i;

	kcs_pod_init(&pod);
	snprintf(pod.ns.s, sizeof(pod.ns.s), "%s", ns);
	pod.ns.len = strlen(ns);
	snprintf(pod.name.s, sizeof(pod.name.s), "%s", podname);
	pod.name.len = strlen(podname);
	for (i = 0; i < n; i++) {
		struct kcs_container *k = kcs_pod_add_container(&pod, c[i].t,
								&err);

		cr_assert_not_null(k);
		snprintf(k->name.s, sizeof(k->name.s), "%s", c[i].name);
		k->name.len = strlen(c[i].name);
		k->verdict = c[i].v;
		k->reason = c[i].r;
	}
	pod.reason = pr;
	cr_assert_eq(kcs_drift_pod(d, &pod, wk, wn, wn ? strlen(wn) : 0, &err),
		     KCS_OK, "%s", err.msg);
	kcs_pod_release(&pod);
}

#define POD(d, ns, wk, wn, pod, ...)                                         \
	do {                                                                 \
		const struct tc cs_[] = { __VA_ARGS__ };                     \
		feed_pod_pr(d, ns, wk, wn, pod, KCS_PR_NONE, cs_,            \
			    sizeof(cs_) / sizeof(cs_[0]));                   \
	} while (0)

#define C(name, v, r) { KCS_CTYPE_CONTAINER, name, KCS_VERDICT_##v, KCS_R_##r }
#define INIT(name, v, r) { KCS_CTYPE_INIT, name, KCS_VERDICT_##v, KCS_R_##r }
#define EPH(name, v, r) { KCS_CTYPE_EPHEMERAL, name, KCS_VERDICT_##v, KCS_R_##r }

static void ns(struct kcs_drift *d, const char *name, enum kcs_verdict v,
	       const char *reason)
{
	struct kcs_error err = KCS_ERROR_INIT;

	cr_assert_eq(kcs_drift_namespace(d, name, strlen(name), v, reason,
					 &err), KCS_OK, "%s", err.msg);
}

static void finish(struct kcs_drift *d, int complete,
		   const struct kcs_drift_scope *scope)
{
	struct kcs_error err = KCS_ERROR_INIT;

	cr_assert_eq(kcs_drift_finish(d, complete, scope, &err), KCS_OK, "%s",
		     err.msg);
}

static void dump_item(FILE *f, const char *list,
		      const struct kcs_drift_item *it)
{
	fprintf(f, "%s: %s %.*s", list, kcs_drift_state_name(it->state),
		(int)it->ns_len, it->ns);
	if (it->level != KCS_DRIFT_LEVEL_NAMESPACE)
		fprintf(f, "/%.*s/%.*s", (int)it->workload_kind_len,
			it->workload_kind, (int)it->workload_name_len,
			it->workload_name);
	if (it->level == KCS_DRIFT_LEVEL_POD)
		fprintf(f, "/pod");
	if (it->level == KCS_DRIFT_LEVEL_CONTAINER)
		fprintf(f, "/%s/%.*s", kcs_ctype_name(it->container_type),
			(int)it->container_name_len, it->container_name);
	fprintf(f, "%s%s\n", it->reason[0] ? " " : "", it->reason);
}

/* Every list as text (caller frees). */
static char *dump(const struct kcs_drift *d)
{
	static const enum kcs_drift_list lists[] = {
		KCS_DRIFT_NEW_FAILURES, KCS_DRIFT_FIXED_ITEMS,
		KCS_DRIFT_UNKNOWN_ITEMS, KCS_DRIFT_STILL_FAILING_ITEMS,
		KCS_DRIFT_NEW_NAMESPACES, KCS_DRIFT_REMOVED_NAMESPACES,
	};
	char *out = NULL;
	size_t len = 0, i, k, n;
	FILE *f = open_memstream(&out, &len);

	cr_assert_not_null(f);
	for (i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
		const struct kcs_drift_item *it = kcs_drift_items(d, lists[i], &n);

		cr_assert_eq(n, kcs_drift_count(d, lists[i]));
		for (k = 0; k < n; k++)
			dump_item(f, kcs_drift_list_name(lists[i]), &it[k]);
	}
	cr_assert_eq(fclose(f), 0);
	return out;
}

static void expect(const struct kcs_drift *d, const char *want)
{
	char *got = dump(d);

	cr_assert_str_eq(got, want, "drift differs:\n--- got\n%s--- want\n%s",
			 got, want);
	free(got);
}

/* The concatenated warnings (caller frees). */
static char *warnings(const struct kcs_drift *d)
{
	size_t n, i, len = 1;
	const char *const *w = kcs_drift_warnings(d, &n);
	char *s;

	for (i = 0; i < n; i++)
		len += strlen(w[i]) + 1;
	s = calloc(1, len);
	cr_assert_not_null(s);
	for (i = 0; i < n; i++) {
		strcat(s, w[i]);
		strcat(s, "\n");
	}
	return s;
}

/* Some warning must hold `part`. */
static void expect_warning(const struct kcs_drift *d, const char *part)
{
	char *w = warnings(d);

	cr_assert(strstr(w, part) != NULL, "no warning holds \"%s\":\n%s",
		  part, w);
	free(w);
}

/* ---- baselines written inline ----------------------------------------- */

#define HEAD(complete, src)                                                  \
	"{'schemaVersion':'kubecapscan/v1','startedAt':'2026-11-16T02:00:00Z',"\
	"'finishedAt':'2026-11-16T02:00:03Z','complete':" complete ","       \
	"'source':" src ","
#define SRC_ALL                                                              \
	"{'kind':'cluster','namespace':null,'labelSelector':null,"           \
	"'fieldSelector':null,'excludeNamespaces':[]}"
#define REPORT(pods, nss)                                                    \
	HEAD("true", SRC_ALL) "'pods':[" pods "],'namespaces':[" nss "]}"
/* A pod with a workload, or without one (an older report). */
#define WPOD(ns, name, wk, wn, conts)                                        \
	"{'namespace':'" ns "','name':'" name "','verdict':'PASS',"          \
	"'reason':null,'workload':{'kind':'" wk "','name':'" wn "',"         \
	"'resolved':true},'containers':[" conts "]}"
#define OPOD(ns, name, conts)                                                \
	"{'namespace':'" ns "','name':'" name "','verdict':'PASS',"          \
	"'reason':null,'containers':[" conts "]}"
#define CT(type, name, v, r)                                                 \
	"{'name':'" name "','type':'" type "','verdict':'" v "','reason':'"  \
	r "','flags':[],'message':'m','exemption':null}"
#define NS(name, v, r) "{'name':'" name "','verdict':'" v "','reason':'" r "'}"

/* ---- the fixtures ----------------------------------------------------- */

/*
 * This week's pods as the new kubecapscan sees them (workloads resolved),
 * mirroring testdata/drift/this-week.json (pod names as last week's) or
 * workloads-this-week.json (`churn`: pods restarted, more replicas).
 * With `bare`, every pod is its own workload (as an older report keys it).
 */
static void this_week(struct kcs_drift *d, int churn, int bare)
{
#define W(k) (bare ? NULL : k)
	POD(d, "payments", W("Deployment"), "api",
	    churn ? "api-7d9f8c6b5-8hx2n" : "api-7d9f8c6b5-x2k4q",
	    INIT("migrate", PASS, DROP_ALL), C("api", PASS, DROP_ALL),
	    EPH("debugger-7xk2p", FAIL, NO_SECURITY_CONTEXT));
	POD(d, "shop", W("Deployment"), "web",
	    churn ? "web-6b8d9c7f5-q7w4t" : "web-6b8d9c7f5-2mz8p",
	    C("web", FAIL, NO_SECURITY_CONTEXT), C("envoy", PASS, DROP_ALL));
	if (churn)
		POD(d, "shop", W("Deployment"), "web", "web-6b8d9c7f5-zx81c",
		    C("web", FAIL, NO_SECURITY_CONTEXT),
		    C("envoy", PASS, DROP_ALL));
	POD(d, "shop", W("StatefulSet"), "db", "db-0",
	    C("postgres", PASS, DROP_ALL));
	POD(d, "kube-system", W("DaemonSet"), "node-agent", "node-agent-5tq7z",
	    C("agent", FAIL, PRIVILEGED));
	if (churn)
		POD(d, "kube-system", W("DaemonSet"), "node-agent",
		    "node-agent-k9d2c", C("agent", FAIL, PRIVILEGED));
	POD(d, "kube-system", W("Deployment"), "coredns",
	    "coredns-5d78c9869d-h2xkp", C("coredns", PASS, DROP_ALL));
	POD(d, "monitoring", W("StatefulSet"), "blackbox-exporter",
	    "blackbox-exporter-0", C("blackbox", EXEMPT, ADD_NET_RAW));
	POD(d, "legacy-apps", W("StatefulSet"), "tool", "tool-0",
	    C("tool", FAIL, NO_MATCHING_DROP));
	POD(d, "ml", W("StatefulSet"), "trainer", "trainer-0",
	    C("trainer", FAIL, NO_SECURITY_CONTEXT));
	ns(d, "kube-system", KCS_VERDICT_FAIL, "ENFORCE_PRIVILEGED");
	ns(d, "legacy-apps", KCS_VERDICT_FAIL, "UNLABELLED");
	ns(d, "ml", KCS_VERDICT_FAIL, "UNLABELLED");
	ns(d, "monitoring", KCS_VERDICT_FAIL, "ENFORCE_BASELINE");
	ns(d, "payments", KCS_VERDICT_PASS, "ENFORCE_RESTRICTED");
	ns(d, "shop", KCS_VERDICT_PASS, "ENFORCE_RESTRICTED");
#undef W
}

Test(drift, fixtures_with_workloads)
{
	struct kcs_drift *d = base_file("testdata/drift/workloads-last-week.json");
	const struct kcs_drift_baseline *b = kcs_drift_baseline(d);
	char *w;

	cr_assert_str_eq(b->finished_at, "2026-11-16T02:00:03.214Z");
	cr_assert_eq(b->complete, 1);
	cr_assert_null(b->ns);
	cr_assert_eq(b->pods, 8);
	cr_assert_eq(b->legacy_pods, 0);
	cr_assert_eq(b->namespaces, 6);
	this_week(d, 1, 0);
	finish(d, 1, NULL);
	expect(d,
	       "newFailures: regressed legacy-apps UNLABELLED\n"
	       "newFailures: regressed legacy-apps/StatefulSet/tool/container/tool NO_MATCHING_DROP\n"
	       "newFailures: new ml UNLABELLED\n"
	       "newFailures: new ml/StatefulSet/trainer/container/trainer NO_SECURITY_CONTEXT\n"
	       "newFailures: new payments/Deployment/api/ephemeralContainer/debugger-7xk2p NO_SECURITY_CONTEXT\n"
	       "fixed: gone batch UNLABELLED\n"
	       "fixed: gone batch/CronJob/report/container/report NO_CAPABILITIES\n"
	       "fixed: exempted monitoring/StatefulSet/blackbox-exporter/container/blackbox ADD_NET_RAW\n"
	       "fixed: fixed shop UNLABELLED\n"
	       "fixed: fixed shop/StatefulSet/db/container/postgres ADD_NET_RAW\n"
	       "stillFailing: stillFailing kube-system ENFORCE_PRIVILEGED\n"
	       "stillFailing: stillFailing kube-system/DaemonSet/node-agent/container/agent PRIVILEGED\n"
	       "stillFailing: stillFailing monitoring ENFORCE_BASELINE\n"
	       "stillFailing: stillFailing shop/Deployment/web/container/web NO_SECURITY_CONTEXT\n"
	       "newNamespaces: added ml\n"
	       "removedNamespaces: removed batch\n");
	cr_assert(kcs_drift_has_new_failures(d));
	w = warnings(d);
	cr_assert_str_eq(w, "");
	free(w);
	kcs_drift_free(d);
}

/*
 * An older baseline (no workloads) against the new kubecapscan: pods that
 * kept their names are matched by name, so known failures stay known.
 */
Test(drift, fixtures_old_baseline)
{
	struct kcs_drift *d = base_file("testdata/drift/last-week.json");

	cr_assert_eq(kcs_drift_baseline(d)->legacy_pods, 8);
	this_week(d, 0, 0);
	finish(d, 1, NULL);
	expect(d,
	       "newFailures: regressed legacy-apps UNLABELLED\n"
	       "newFailures: regressed legacy-apps/StatefulSet/tool/container/tool NO_MATCHING_DROP\n"
	       "newFailures: new ml UNLABELLED\n"
	       "newFailures: new ml/StatefulSet/trainer/container/trainer NO_SECURITY_CONTEXT\n"
	       "newFailures: new payments/Deployment/api/ephemeralContainer/debugger-7xk2p NO_SECURITY_CONTEXT\n"
	       "fixed: gone batch UNLABELLED\n"
	       "fixed: gone batch/Pod/report-28374650-abcde/container/report NO_CAPABILITIES\n"
	       "fixed: exempted monitoring/Pod/blackbox-exporter-0/container/blackbox ADD_NET_RAW\n"
	       "fixed: fixed shop UNLABELLED\n"
	       "fixed: fixed shop/Pod/db-0/container/postgres ADD_NET_RAW\n"
	       "stillFailing: stillFailing kube-system ENFORCE_PRIVILEGED\n"
	       "stillFailing: stillFailing kube-system/DaemonSet/node-agent/container/agent PRIVILEGED\n"
	       "stillFailing: stillFailing monitoring ENFORCE_BASELINE\n"
	       "stillFailing: stillFailing shop/Deployment/web/container/web NO_SECURITY_CONTEXT\n"
	       "newNamespaces: added ml\n"
	       "removedNamespaces: removed batch\n");
	expect_warning(d, "has 8 pods without a workload");
	expect_warning(d, "last-week.json");
	kcs_drift_free(d);
}

/* The old pair compared the way the old keys work: every pod bare. */
Test(drift, fixtures_old_pair_bare)
{
	struct kcs_drift *d = base_file("testdata/drift/last-week.json");

	this_week(d, 0, 1);
	finish(d, 1, NULL);
	expect(d,
	       "newFailures: regressed legacy-apps UNLABELLED\n"
	       "newFailures: regressed legacy-apps/Pod/tool-0/container/tool NO_MATCHING_DROP\n"
	       "newFailures: new ml UNLABELLED\n"
	       "newFailures: new ml/Pod/trainer-0/container/trainer NO_SECURITY_CONTEXT\n"
	       "newFailures: new payments/Pod/api-7d9f8c6b5-x2k4q/ephemeralContainer/debugger-7xk2p NO_SECURITY_CONTEXT\n"
	       "fixed: gone batch UNLABELLED\n"
	       "fixed: gone batch/Pod/report-28374650-abcde/container/report NO_CAPABILITIES\n"
	       "fixed: exempted monitoring/Pod/blackbox-exporter-0/container/blackbox ADD_NET_RAW\n"
	       "fixed: fixed shop UNLABELLED\n"
	       "fixed: fixed shop/Pod/db-0/container/postgres ADD_NET_RAW\n"
	       "stillFailing: stillFailing kube-system ENFORCE_PRIVILEGED\n"
	       "stillFailing: stillFailing kube-system/Pod/node-agent-5tq7z/container/agent PRIVILEGED\n"
	       "stillFailing: stillFailing monitoring ENFORCE_BASELINE\n"
	       "stillFailing: stillFailing shop/Pod/web-6b8d9c7f5-2mz8p/container/web NO_SECURITY_CONTEXT\n"
	       "newNamespaces: added ml\n"
	       "removedNamespaces: removed batch\n");
	kcs_drift_free(d);
}

/* Each this-week report against its own mirror: no drift at all. */
Test(drift, fixture_mirrors_this_week)
{
	struct kcs_drift *d = base_file("testdata/drift/this-week.json");

	this_week(d, 0, 1);
	finish(d, 1, NULL);
	cr_assert_eq(kcs_drift_count(d, KCS_DRIFT_NEW_FAILURES), 0);
	cr_assert_eq(kcs_drift_count(d, KCS_DRIFT_FIXED_ITEMS), 0);
	cr_assert_eq(kcs_drift_count(d, KCS_DRIFT_UNKNOWN_ITEMS), 0);
	cr_assert_eq(kcs_drift_count(d, KCS_DRIFT_NEW_NAMESPACES), 0);
	cr_assert_eq(kcs_drift_count(d, KCS_DRIFT_REMOVED_NAMESPACES), 0);
	/* 5 failing containers (blackbox is EXEMPT), 4 failing namespaces */
	cr_assert_eq(kcs_drift_count(d, KCS_DRIFT_STILL_FAILING_ITEMS), 9);
	kcs_drift_free(d);
}

Test(drift, fixture_mirrors_workloads_this_week)
{
	struct kcs_drift *d =
		base_file("testdata/drift/workloads-this-week.json");

	this_week(d, 1, 0);
	finish(d, 1, NULL);
	cr_assert_eq(kcs_drift_count(d, KCS_DRIFT_NEW_FAILURES), 0);
	cr_assert_eq(kcs_drift_count(d, KCS_DRIFT_FIXED_ITEMS), 0);
	cr_assert_eq(kcs_drift_count(d, KCS_DRIFT_UNKNOWN_ITEMS), 0);
	cr_assert_eq(kcs_drift_count(d, KCS_DRIFT_NEW_NAMESPACES), 0);
	cr_assert_eq(kcs_drift_count(d, KCS_DRIFT_REMOVED_NAMESPACES), 0);
	/* web's two pods and node-agent's two collapse: 5 keys + 4 namespaces */
	cr_assert_eq(kcs_drift_count(d, KCS_DRIFT_STILL_FAILING_ITEMS), 9);
	cr_assert_eq(kcs_drift_baseline(d)->pods, 10);
	kcs_drift_free(d);
}

/* The order of pods does not matter. */
Test(drift, order_independent)
{
	struct kcs_drift *a = base_file("testdata/drift/last-week.json");
	struct kcs_drift *b = base_file("testdata/drift/last-week.json");
	char *da, *db;

	this_week(a, 0, 0);
	/* b: the same pods, reversed, namespaces first */
	ns(b, "shop", KCS_VERDICT_PASS, "ENFORCE_RESTRICTED");
	ns(b, "payments", KCS_VERDICT_PASS, "ENFORCE_RESTRICTED");
	ns(b, "monitoring", KCS_VERDICT_FAIL, "ENFORCE_BASELINE");
	ns(b, "ml", KCS_VERDICT_FAIL, "UNLABELLED");
	ns(b, "legacy-apps", KCS_VERDICT_FAIL, "UNLABELLED");
	ns(b, "kube-system", KCS_VERDICT_FAIL, "ENFORCE_PRIVILEGED");
	POD(b, "ml", "StatefulSet", "trainer", "trainer-0",
	    C("trainer", FAIL, NO_SECURITY_CONTEXT));
	POD(b, "legacy-apps", "StatefulSet", "tool", "tool-0",
	    C("tool", FAIL, NO_MATCHING_DROP));
	POD(b, "monitoring", "StatefulSet", "blackbox-exporter",
	    "blackbox-exporter-0", C("blackbox", EXEMPT, ADD_NET_RAW));
	POD(b, "kube-system", "Deployment", "coredns",
	    "coredns-5d78c9869d-h2xkp", C("coredns", PASS, DROP_ALL));
	POD(b, "kube-system", "DaemonSet", "node-agent", "node-agent-5tq7z",
	    C("agent", FAIL, PRIVILEGED));
	POD(b, "shop", "StatefulSet", "db", "db-0",
	    C("postgres", PASS, DROP_ALL));
	POD(b, "shop", "Deployment", "web", "web-6b8d9c7f5-2mz8p",
	    C("envoy", PASS, DROP_ALL), C("web", FAIL, NO_SECURITY_CONTEXT));
	POD(b, "payments", "Deployment", "api", "api-7d9f8c6b5-x2k4q",
	    EPH("debugger-7xk2p", FAIL, NO_SECURITY_CONTEXT),
	    C("api", PASS, DROP_ALL), INIT("migrate", PASS, DROP_ALL));
	finish(a, 1, NULL);
	finish(b, 1, NULL);
	da = dump(a);
	db = dump(b);
	cr_assert_str_eq(da, db);
	free(da);
	free(db);
	kcs_drift_free(a);
	kcs_drift_free(b);
}

/* ---- chunked reading ---------------------------------------------------- */

/* Every fixture, fed 1..64 bytes at a time, gives the same drift. */
Test(drift, chunked_equivalence)
{
	static const char *const files[] = {
		"testdata/drift/last-week.json",
		"testdata/drift/this-week.json",
		"testdata/drift/workloads-last-week.json",
		"testdata/drift/workloads-this-week.json",
	};
	size_t f, chunk;

	for (f = 0; f < sizeof(files) / sizeof(files[0]); f++) {
		size_t len;
		char *data = tu_read_file(files[f], &len);
		char *want = NULL;

		for (chunk = 0; chunk <= 64; chunk++) {
			struct kcs_error err = KCS_ERROR_INIT;
			struct kcs_drift *d = kcs_drift_new();
			char *got;

			cr_assert_eq(load_mem(d, files[f], data, len, chunk,
					      &err), KCS_OK, "%s chunk %zu: %s",
				     files[f], chunk, err.msg);
			this_week(d, 1, 0);
			finish(d, 1, NULL);
			got = dump(d);
			if (!want)
				want = got; /* chunk 0: the whole file at once */
			else {
				cr_assert_str_eq(got, want, "%s chunk %zu",
						 files[f], chunk);
				free(got);
			}
			kcs_drift_free(d);
		}
		cr_assert(strlen(want) > 0);
		free(want);
		free(data);
	}
}

/* ---- collapsing, churn, exemptions ------------------------------------ */

Test(drift, pod_churn_is_not_drift)
{
	struct kcs_drift *d = base_str(REPORT(
		WPOD("shop", "web-a", "Deployment", "web",
		     CT("container", "web", "FAIL", "NO_SECURITY_CONTEXT")) ","
		WPOD("shop", "web-b", "Deployment", "web",
		     CT("container", "web", "FAIL", "NO_SECURITY_CONTEXT")),
		NS("shop", "PASS", "ENFORCE_RESTRICTED")));

	/* three new pods, none of the old names */
	POD(d, "shop", "Deployment", "web", "web-c",
	    C("web", FAIL, NO_SECURITY_CONTEXT));
	POD(d, "shop", "Deployment", "web", "web-d",
	    C("web", FAIL, NO_SECURITY_CONTEXT));
	POD(d, "shop", "Deployment", "web", "web-e",
	    C("web", FAIL, NO_SECURITY_CONTEXT));
	ns(d, "shop", KCS_VERDICT_PASS, "ENFORCE_RESTRICTED");
	finish(d, 1, NULL);
	expect(d, "stillFailing: stillFailing shop/Deployment/web/container/web NO_SECURITY_CONTEXT\n");
	cr_assert(!kcs_drift_has_new_failures(d));
	kcs_drift_free(d);
}

/* A key FAILs if any of its pods FAILs, whatever the order. */
Test(drift, collapse_any_pod_fails)
{
	struct kcs_drift *d = base_str(REPORT(
		WPOD("a", "w-1", "Deployment", "w",
		     CT("container", "c", "PASS", "DROP_ALL")) ","
		WPOD("a", "w-2", "Deployment", "w",
		     CT("container", "c", "FAIL", "ADD_NET_RAW")) ","
		WPOD("a", "w-3", "Deployment", "w",
		     CT("container", "c", "PASS", "DROP_ALL")),
		NS("a", "PASS", "ENFORCE_RESTRICTED")));

	/* now one pod of three fails, another way */
	POD(d, "a", "Deployment", "w", "w-4", C("c", PASS, DROP_ALL));
	POD(d, "a", "Deployment", "w", "w-5", C("c", FAIL, PRIVILEGED));
	POD(d, "a", "Deployment", "w", "w-6", C("c", PASS, DROP_ALL));
	ns(d, "a", KCS_VERDICT_PASS, "ENFORCE_RESTRICTED");
	finish(d, 1, NULL);
	expect(d, "stillFailing: stillFailing a/Deployment/w/container/c PRIVILEGED\n");
	kcs_drift_free(d);

	/* all pods pass now: fixed, with the baseline's reason */
	d = base_str(REPORT(
		WPOD("a", "w-1", "Deployment", "w",
		     CT("container", "c", "PASS", "DROP_ALL")) ","
		WPOD("a", "w-2", "Deployment", "w",
		     CT("container", "c", "FAIL", "ADD_NET_RAW")),
		NS("a", "PASS", "ENFORCE_RESTRICTED")));
	POD(d, "a", "Deployment", "w", "w-7", C("c", PASS, DROP_ALL));
	POD(d, "a", "Deployment", "w", "w-8", C("c", PASS, DROP_NET_RAW));
	ns(d, "a", KCS_VERDICT_PASS, "ENFORCE_RESTRICTED");
	finish(d, 1, NULL);
	expect(d, "fixed: fixed a/Deployment/w/container/c ADD_NET_RAW\n");
	kcs_drift_free(d);
}

Test(drift, exemptions)
{
	struct kcs_drift *d = base_str(REPORT(
		WPOD("m", "p-0", "StatefulSet", "p",
		     CT("container", "expired", "EXEMPT", "ADD_NET_RAW") ","
		     CT("container", "waived", "FAIL", "ADD_NET_RAW") ","
		     CT("container", "still", "EXEMPT", "ADD_NET_RAW") ","
		     CT("container", "win", "NOT_APPLICABLE", "WINDOWS_POD")),
		NS("m", "PASS", "ENFORCE_RESTRICTED")));

	POD(d, "m", "StatefulSet", "p", "p-0",
	    C("expired", FAIL, ADD_NET_RAW), C("waived", EXEMPT, ADD_NET_RAW),
	    C("still", EXEMPT, ADD_NET_RAW), C("win", FAIL, NO_SECURITY_CONTEXT));
	ns(d, "m", KCS_VERDICT_PASS, "ENFORCE_RESTRICTED");
	finish(d, 1, NULL);
	/* EXEMPT and NOT_APPLICABLE are not failures: both ways */
	expect(d,
	       "newFailures: regressed m/StatefulSet/p/container/expired ADD_NET_RAW\n"
	       "newFailures: regressed m/StatefulSet/p/container/win NO_SECURITY_CONTEXT\n"
	       "fixed: exempted m/StatefulSet/p/container/waived ADD_NET_RAW\n");
	kcs_drift_free(d);
}

/* An EXEMPT pod and a FAIL pod of one workload: the key FAILs. */
Test(drift, exempt_pod_does_not_hide_failing_pod)
{
	struct kcs_drift *d = base_str(REPORT(
		WPOD("m", "p-0", "StatefulSet", "p",
		     CT("container", "c", "EXEMPT", "ADD_NET_RAW")),
		NS("m", "PASS", "ENFORCE_RESTRICTED")));

	POD(d, "m", "StatefulSet", "p", "p-1", C("c", FAIL, ADD_NET_RAW));
	POD(d, "m", "StatefulSet", "p", "p-0", C("c", EXEMPT, ADD_NET_RAW));
	ns(d, "m", KCS_VERDICT_PASS, "ENFORCE_RESTRICTED");
	finish(d, 1, NULL);
	expect(d, "newFailures: regressed m/StatefulSet/p/container/c ADD_NET_RAW\n");
	cr_assert(kcs_drift_has_new_failures(d));
	kcs_drift_free(d);
}

/* ---- older baselines -------------------------------------------------- */

Test(drift, old_baseline_matched_by_pod_name)
{
	const char *text = REPORT(
		OPOD("shop", "db-0",
		     CT("container", "postgres", "FAIL", "ADD_NET_RAW")) ","
		OPOD("shop", "web-6b8d9c7f5-2mz8p",
		     CT("container", "web", "FAIL", "NO_SECURITY_CONTEXT")) ","
		OPOD("shop", "cache-0", CT("container", "redis", "PASS", "DROP_ALL")),
		NS("shop", "PASS", "ENFORCE_RESTRICTED"));
	struct kcs_drift *d = base_str(text);
	const struct kcs_drift_item *it;
	size_t n;

	/* db-0 kept its name; web restarted; cache-0 kept its name */
	POD(d, "shop", "StatefulSet", "db", "db-0",
	    C("postgres", FAIL, ADD_NET_RAW));
	POD(d, "shop", "Deployment", "web", "web-6b8d9c7f5-q7w4t",
	    C("web", FAIL, NO_SECURITY_CONTEXT));
	POD(d, "shop", "StatefulSet", "cache", "cache-0",
	    C("redis", FAIL, NO_CAPABILITIES));
	ns(d, "shop", KCS_VERDICT_PASS, "ENFORCE_RESTRICTED");
	finish(d, 1, NULL);
	expect(d,
	       "newFailures: new shop/Deployment/web/container/web NO_SECURITY_CONTEXT\n"
	       "newFailures: regressed shop/StatefulSet/cache/container/redis NO_CAPABILITIES\n"
	       "fixed: gone shop/Pod/web-6b8d9c7f5-2mz8p/container/web NO_SECURITY_CONTEXT\n"
	       "stillFailing: stillFailing shop/StatefulSet/db/container/postgres ADD_NET_RAW\n");
	it = kcs_drift_items(d, KCS_DRIFT_FIXED_ITEMS, &n);
	cr_assert_eq(n, 1);
	cr_assert(it[0].legacy);
	it = kcs_drift_items(d, KCS_DRIFT_NEW_FAILURES, &n);
	cr_assert_eq(it[1].in_baseline, 1); /* by pod name */
	cr_assert_eq(it[1].baseline_verdict, KCS_VERDICT_PASS);
	cr_assert_str_eq(it[1].baseline_reason, "DROP_ALL");
	expect_warning(d, "has 3 pods without a workload");
	kcs_drift_free(d);
}

/* A legacy pod that now passes is fixed; its workload is not listed. */
Test(drift, old_baseline_fixed_by_name)
{
	struct kcs_drift *d = base_str(REPORT(
		OPOD("shop", "db-0",
		     CT("container", "postgres", "FAIL", "ADD_NET_RAW")),
		NS("shop", "PASS", "ENFORCE_RESTRICTED")));

	POD(d, "shop", "StatefulSet", "db", "db-0",
	    C("postgres", PASS, DROP_ALL));
	ns(d, "shop", KCS_VERDICT_PASS, "ENFORCE_RESTRICTED");
	finish(d, 1, NULL);
	expect(d, "fixed: fixed shop/Pod/db-0/container/postgres ADD_NET_RAW\n");
	kcs_drift_free(d);
}

/* Two pods of one workload, only one known failing: order never matters. */
Test(drift, old_baseline_bridge_order)
{
	const char *text = REPORT(
		OPOD("s", "w-a", CT("container", "c", "FAIL", "ADD_NET_RAW")),
		NS("s", "PASS", "ENFORCE_RESTRICTED"));
	struct kcs_drift *a = base_str(text), *b = base_str(text);
	char *da, *db;

	POD(a, "s", "Deployment", "w", "w-a", C("c", PASS, DROP_ALL));
	POD(a, "s", "Deployment", "w", "w-b", C("c", FAIL, PRIVILEGED));
	POD(b, "s", "Deployment", "w", "w-b", C("c", FAIL, PRIVILEGED));
	POD(b, "s", "Deployment", "w", "w-a", C("c", PASS, DROP_ALL));
	finish(a, 1, NULL);
	finish(b, 1, NULL);
	da = dump(a);
	db = dump(b);
	cr_assert_str_eq(da, db);
	cr_assert_str_eq(da,
			 "fixed: fixed s/Pod/w-a/container/c ADD_NET_RAW\n"
			 "stillFailing: stillFailing s/Deployment/w/container/c PRIVILEGED\n"
			 "removedNamespaces: removed s\n");
	free(da);
	free(db);
	kcs_drift_free(a);
	kcs_drift_free(b);
}

/* ---- namespaces and pod-level failures -------------------------------- */

Test(drift, namespace_verdicts)
{
	struct kcs_drift *d = base_str(REPORT("",
		NS("a", "PASS", "ENFORCE_RESTRICTED") ","
		NS("b", "FAIL", "ENFORCE_BASELINE") ","
		NS("c", "FAIL", "UNLABELLED") ","
		NS("d", "UNKNOWN", "NAMESPACE_NOT_IN_INPUT") ","
		NS("e", "FAIL", "ENFORCE_PRIVILEGED")));
	const struct kcs_drift_item *it;
	size_t n;

	ns(d, "a", KCS_VERDICT_FAIL, "ADMISSION_ADMITS_DEFAULT_NET_RAW");
	ns(d, "b", KCS_VERDICT_PASS, "ADMISSION_DENIES_NET_RAW");
	ns(d, "c", KCS_VERDICT_UNKNOWN, "NAMESPACE_NOT_IN_INPUT");
	ns(d, "d", KCS_VERDICT_FAIL, "UNLABELLED");
	ns(d, "f", KCS_VERDICT_PASS, "ENFORCE_RESTRICTED");
	finish(d, 1, NULL);
	expect(d,
	       "newFailures: regressed a ADMISSION_ADMITS_DEFAULT_NET_RAW\n"
	       "newFailures: regressed d UNLABELLED\n"
	       "fixed: fixed b ENFORCE_BASELINE\n"
	       "fixed: gone e ENFORCE_PRIVILEGED\n"
	       "unknown: unknown c UNLABELLED\n"
	       "newNamespaces: added f\n"
	       "removedNamespaces: removed e\n");
	it = kcs_drift_items(d, KCS_DRIFT_NEW_FAILURES, &n);
	cr_assert_eq(it[0].level, KCS_DRIFT_LEVEL_NAMESPACE);
	cr_assert_str_eq(it[0].workload_kind, "");
	cr_assert_str_eq(it[0].container_name, "");
	cr_assert_eq(it[0].verdict, KCS_VERDICT_FAIL);
	cr_assert_eq(it[0].baseline_verdict, KCS_VERDICT_PASS);
	cr_assert_str_eq(it[0].baseline_reason, "ENFORCE_RESTRICTED");
	it = kcs_drift_items(d, KCS_DRIFT_FIXED_ITEMS, &n);
	cr_assert_str_eq(it[0].now_reason, "ADMISSION_DENIES_NET_RAW");
	cr_assert_eq(it[1].seen, 0);
	cr_assert_eq(it[1].verdict, KCS_VERDICT_UNKNOWN);
	kcs_drift_free(d);
}

/* A new namespace that FAILs is both new and a new failure. */
Test(drift, new_namespace_failing)
{
	struct kcs_drift *d = base_str(REPORT("", NS("a", "PASS", "ENFORCE_RESTRICTED")));

	ns(d, "a", KCS_VERDICT_PASS, "ENFORCE_RESTRICTED");
	ns(d, "z", KCS_VERDICT_FAIL, "UNLABELLED");
	finish(d, 1, NULL);
	expect(d, "newFailures: new z UNLABELLED\nnewNamespaces: added z\n");
	kcs_drift_free(d);
}

Test(drift, pod_level)
{
	struct kcs_drift *d = base_str(REPORT(
		"{'namespace':'x','name':'bad-0','verdict':'FAIL','reason':'MALFORMED',"
		"'workload':{'kind':'StatefulSet','name':'bad'},'containers':["
		CT("container", "c", "PASS", "DROP_ALL") "]},"
		WPOD("x", "ok-0", "StatefulSet", "ok",
		     CT("container", "c", "PASS", "DROP_ALL")),
		NS("x", "PASS", "ENFORCE_RESTRICTED")));
	const struct tc c_ok[] = { C("c", PASS, DROP_ALL) };

	feed_pod_pr(d, "x", "StatefulSet", "bad", "bad-0", KCS_PR_NONE, c_ok, 1);
	feed_pod_pr(d, "x", "StatefulSet", "ok", "ok-0", KCS_PR_MALFORMED, c_ok,
		    1);
	feed_pod_pr(d, "x", "Job", "empty", "empty-x", KCS_PR_NO_CONTAINERS,
		    NULL, 0);
	ns(d, "x", KCS_VERDICT_PASS, "ENFORCE_RESTRICTED");
	finish(d, 1, NULL);
	expect(d,
	       "newFailures: new x/Job/empty/pod NO_CONTAINERS\n"
	       "newFailures: new x/StatefulSet/ok/pod MALFORMED\n"
	       "fixed: fixed x/StatefulSet/bad/pod MALFORMED\n");
	kcs_drift_free(d);
}

/* Sorted by key: namespace first, pod level before containers, by type. */
Test(drift, order)
{
	struct kcs_drift *d = base_str(REPORT("", NS("n", "PASS", "ENFORCE_RESTRICTED")));

	POD(d, "n", "Deployment", "b", "b-1", EPH("e", FAIL, NO_SECURITY_CONTEXT),
	    C("z", FAIL, PRIVILEGED), C("a", FAIL, PRIVILEGED),
	    INIT("i", FAIL, ADD_ALL));
	{
		const struct tc none[] = { C("a", FAIL, PRIVILEGED) };

		feed_pod_pr(d, "n", "Deployment", "b", "b-2", KCS_PR_MALFORMED,
			    none, 1);
	}
	POD(d, "n", "DaemonSet", "b", "b-x", C("c", FAIL, PRIVILEGED));
	POD(d, "m", "Deployment", "a", "a-1", C("c", FAIL, PRIVILEGED));
	ns(d, "n", KCS_VERDICT_FAIL, "UNLABELLED");
	ns(d, "m", KCS_VERDICT_FAIL, "UNLABELLED");
	finish(d, 1, NULL);
	expect(d,
	       "newFailures: new m UNLABELLED\n"
	       "newFailures: new m/Deployment/a/container/c PRIVILEGED\n"
	       "newFailures: regressed n UNLABELLED\n"
	       "newFailures: new n/DaemonSet/b/container/c PRIVILEGED\n"
	       "newFailures: new n/Deployment/b/pod MALFORMED\n"
	       "newFailures: new n/Deployment/b/initContainer/i ADD_ALL\n"
	       "newFailures: new n/Deployment/b/container/a PRIVILEGED\n"
	       "newFailures: new n/Deployment/b/container/z PRIVILEGED\n"
	       "newFailures: new n/Deployment/b/ephemeralContainer/e NO_SECURITY_CONTEXT\n"
	       "newNamespaces: added m\n");
	kcs_drift_free(d);
}

/* The lower-level call keys exactly what it is given. */
Test(drift, container_call)
{
	struct kcs_drift *d = base_str(REPORT(
		WPOD("n", "p", "Deployment", "w",
		     CT("container", "c", "FAIL", "ADD_ALL")),
		NS("n", "PASS", "ENFORCE_RESTRICTED")));
	struct kcs_error err = KCS_ERROR_INIT;

	cr_assert_eq(kcs_drift_container(d, "n", 1, "Deployment", "w", 1,
					 KCS_CTYPE_CONTAINER, "c", 1,
					 KCS_VERDICT_FAIL, KCS_R_ADD_NET_RAW,
					 &err), KCS_OK);
	cr_assert_eq(kcs_drift_container(d, "n", 1, "Deployment", "w", 1,
					 KCS_CTYPE_INIT, "c", 1,
					 KCS_VERDICT_FAIL, KCS_R_PRIVILEGED,
					 &err), KCS_OK);
	/* equal verdicts: the alphabetically first reason is shown */
	cr_assert_eq(kcs_drift_container(d, "n", 1, "Deployment", "w", 1,
					 KCS_CTYPE_CONTAINER, "c", 1,
					 KCS_VERDICT_FAIL, KCS_R_ADD_ALL,
					 &err), KCS_OK);
	ns(d, "n", KCS_VERDICT_PASS, "ENFORCE_RESTRICTED");
	finish(d, 1, NULL);
	expect(d,
	       "newFailures: new n/Deployment/w/initContainer/c PRIVILEGED\n"
	       "stillFailing: stillFailing n/Deployment/w/container/c ADD_ALL\n");
	kcs_drift_free(d);
}

/* ---- incomplete scans and scope ---------------------------------------- */

#define SCOPE_BASE                                                           \
	REPORT(WPOD("shop", "w-1", "Deployment", "web",                      \
		    CT("container", "web", "FAIL", "ADD_NET_RAW")) ","       \
	       WPOD("kube-system", "a-1", "DaemonSet", "agent",              \
		    CT("container", "agent", "FAIL", "PRIVILEGED")),         \
	       NS("shop", "FAIL", "UNLABELLED") ","                          \
	       NS("kube-system", "FAIL", "ENFORCE_PRIVILEGED") ","           \
	       NS("old", "PASS", "ENFORCE_RESTRICTED"))

Test(drift, incomplete_current_scan)
{
	struct kcs_drift *d = base_str(SCOPE_BASE);

	/* the scan failed before kube-system was read */
	POD(d, "shop", "Deployment", "web", "w-2", C("web", PASS, DROP_ALL));
	ns(d, "shop", KCS_VERDICT_FAIL, "UNLABELLED");
	finish(d, 0, NULL);
	expect(d,
	       "fixed: fixed shop/Deployment/web/container/web ADD_NET_RAW\n"
	       "unknown: unknown kube-system ENFORCE_PRIVILEGED\n"
	       "unknown: unknown kube-system/DaemonSet/agent/container/agent PRIVILEGED\n"
	       "stillFailing: stillFailing shop UNLABELLED\n");
	expect_warning(d, "this scan is incomplete");
	kcs_drift_free(d);
}

Test(drift, same_scan_complete_gone)
{
	struct kcs_drift *d = base_str(SCOPE_BASE);

	POD(d, "shop", "Deployment", "web", "w-2", C("web", FAIL, ADD_NET_RAW));
	ns(d, "shop", KCS_VERDICT_FAIL, "UNLABELLED");
	finish(d, 1, NULL);
	expect(d,
	       "fixed: gone kube-system ENFORCE_PRIVILEGED\n"
	       "fixed: gone kube-system/DaemonSet/agent/container/agent PRIVILEGED\n"
	       "stillFailing: stillFailing shop UNLABELLED\n"
	       "stillFailing: stillFailing shop/Deployment/web/container/web ADD_NET_RAW\n"
	       "removedNamespaces: removed kube-system\n"
	       "removedNamespaces: removed old\n");
	kcs_drift_free(d);
}

/* Baseline -A, now -n shop: only shop can be gone or removed. */
Test(drift, scope_narrower_namespace)
{
	struct kcs_drift *d = base_str(SCOPE_BASE);
	struct kcs_drift_scope s = { .ns = "shop" };

	ns(d, "shop", KCS_VERDICT_PASS, "ENFORCE_RESTRICTED");
	finish(d, 1, &s);
	expect(d,
	       "fixed: fixed shop UNLABELLED\n"
	       "fixed: gone shop/Deployment/web/container/web ADD_NET_RAW\n"
	       "unknown: unknown kube-system ENFORCE_PRIVILEGED\n"
	       "unknown: unknown kube-system/DaemonSet/agent/container/agent PRIVILEGED\n");
	expect_warning(d, "scope differs");
	expect_warning(d, "namespace: all in the baseline, 'shop' now");
	expect_warning(d, "base.json");
	kcs_drift_free(d);
}

/* Baseline -n shop, now -A: other namespaces are not "new namespaces". */
Test(drift, scope_wider_namespace)
{
	struct kcs_drift *d = base_str(
		HEAD("true", "{'kind':'cluster','namespace':'shop','labelSelector':null,"
			     "'fieldSelector':null,'excludeNamespaces':[]}")
		"'pods':[" WPOD("shop", "w-1", "Deployment", "web",
				CT("container", "web", "FAIL", "ADD_NET_RAW"))
		"],'namespaces':[" NS("shop", "FAIL", "UNLABELLED") "]}");

	cr_assert_str_eq(kcs_drift_baseline(d)->ns, "shop");
	POD(d, "shop", "Deployment", "web", "w-2", C("web", FAIL, ADD_NET_RAW));
	POD(d, "kube-system", "DaemonSet", "agent", "a-1",
	    C("agent", FAIL, PRIVILEGED));
	ns(d, "shop", KCS_VERDICT_FAIL, "UNLABELLED");
	ns(d, "kube-system", KCS_VERDICT_FAIL, "ENFORCE_PRIVILEGED");
	finish(d, 1, NULL);
	/* outside the baseline's scope, a failure is new all the same */
	expect(d,
	       "newFailures: new kube-system ENFORCE_PRIVILEGED\n"
	       "newFailures: new kube-system/DaemonSet/agent/container/agent PRIVILEGED\n"
	       "stillFailing: stillFailing shop UNLABELLED\n"
	       "stillFailing: stillFailing shop/Deployment/web/container/web ADD_NET_RAW\n");
	expect_warning(d, "namespace: 'shop' in the baseline, all now");
	kcs_drift_free(d);
}

/* A label selector now that the baseline lacked: nothing can be gone. */
Test(drift, scope_selector)
{
	struct kcs_drift *d = base_str(SCOPE_BASE);
	struct kcs_drift_scope s = { .label_selector = "app=web" };

	ns(d, "shop", KCS_VERDICT_FAIL, "UNLABELLED");
	ns(d, "kube-system", KCS_VERDICT_FAIL, "ENFORCE_PRIVILEGED");
	finish(d, 1, &s);
	expect(d,
	       "unknown: unknown kube-system/DaemonSet/agent/container/agent PRIVILEGED\n"
	       "unknown: unknown shop/Deployment/web/container/web ADD_NET_RAW\n"
	       "stillFailing: stillFailing kube-system ENFORCE_PRIVILEGED\n"
	       "stillFailing: stillFailing shop UNLABELLED\n");
	expect_warning(d,
		       "label selector: none in the baseline, 'app=web' now");
	kcs_drift_free(d);
}

/* The same selector on both sides is the same scope: no warning. */
Test(drift, scope_same_selector)
{
	struct kcs_drift *d = base_str(
		HEAD("true", "{'kind':'cluster','namespace':null,'labelSelector':'app=web',"
			     "'fieldSelector':'status.phase!=Succeeded',"
			     "'excludeNamespaces':['kube-*','tmp']}")
		"'pods':[" WPOD("shop", "w-1", "Deployment", "web",
				CT("container", "web", "FAIL", "ADD_NET_RAW"))
		"],'namespaces':[]}");
	const char *const ex[] = { "tmp", "kube-*" };
	struct kcs_drift_scope s = { .label_selector = "app=web",
				     .field_selector = "status.phase!=Succeeded",
				     .exclude_ns = ex, .n_exclude_ns = 2 };
	size_t n;

	finish(d, 1, &s);
	expect(d, "fixed: gone shop/Deployment/web/container/web ADD_NET_RAW\n");
	(void)kcs_drift_warnings(d, &n);
	cr_assert_eq(n, 0);
	kcs_drift_free(d);
}

/* Namespaces excluded now are out of scope: unknown, never gone/removed. */
Test(drift, scope_excludes)
{
	struct kcs_drift *d = base_str(SCOPE_BASE);
	const char *const ex[] = { "kube-*" };
	struct kcs_drift_scope s = { .exclude_ns = ex, .n_exclude_ns = 1 };

	ns(d, "shop", KCS_VERDICT_FAIL, "UNLABELLED");
	ns(d, "old", KCS_VERDICT_PASS, "ENFORCE_RESTRICTED");
	finish(d, 1, &s);
	expect(d,
	       "fixed: gone shop/Deployment/web/container/web ADD_NET_RAW\n"
	       "unknown: unknown kube-system ENFORCE_PRIVILEGED\n"
	       "unknown: unknown kube-system/DaemonSet/agent/container/agent PRIVILEGED\n"
	       "stillFailing: stillFailing shop UNLABELLED\n");
	expect_warning(d, "excluded namespaces differ");
	kcs_drift_free(d);
}

Test(drift, incomplete_baseline_warns)
{
	struct kcs_drift *d = base_str(
		HEAD("false", SRC_ALL) "'pods':[],'namespaces':[],"
		"'errors':[{'code':'API','message':'x','source':null,'httpStatus':500}]}");

	cr_assert_eq(kcs_drift_baseline(d)->complete, 0);
	finish(d, 1, NULL);
	expect_warning(d, "baseline 'base.json' is incomplete");
	kcs_drift_free(d);
}

/* ---- malformed baselines -------------------------------------------------- */

struct bad {
	const char *json;      /* with ' for " */
	enum kcs_err code;
	const char *msg;       /* must appear in the message */
};

/* Assert the baseline fails the same way at every chunk size. */
static void check_bad(const struct bad *b, const struct kcs_drift_limits *lim)
{
	char *s = tu_jq(b->json, NULL);
	size_t len = strlen(s), chunk;
	long long off0 = -2;

	for (chunk = 0; chunk <= 16; chunk++) {
		struct kcs_error err = KCS_ERROR_INIT;
		struct kcs_drift *d = kcs_drift_new();
		enum kcs_err rc;

		if (lim)
			kcs_drift_set_limits(d, lim);
		rc = load_mem(d, "bad.json", s, len, chunk, &err);
		cr_assert_eq(rc, b->code, "%s (chunk %zu): got %s: %s", b->json,
			     chunk, kcs_err_name(rc), err.msg);
		cr_assert_eq(err.code, b->code);
		cr_assert(strstr(err.msg, b->msg) != NULL,
			  "%s: message '%s' lacks '%s'", b->json, err.msg, b->msg);
		cr_assert(strstr(err.msg, "baseline 'bad.json'") != NULL,
			  "no file name: %s", err.msg);
		cr_assert_str_eq(err.source, "bad.json");
		if (off0 == -2)
			off0 = err.offset;
		cr_assert_eq(err.offset, off0, "%s: offset %lld at chunk %zu, "
			     "%lld whole", b->json, err.offset, chunk, off0);
		/* once failed, the drift refuses the current scan */
		cr_assert_eq(kcs_drift_finish(d, 1, NULL, NULL), KCS_ERR_INTERNAL);
		kcs_drift_free(d);
	}
	free(s);
}

#define V1 "'schemaVersion':'kubecapscan/v1'"

Test(drift, bad_baselines)
{
	static const struct bad cases[] = {
		{ "{" V1 ",'pods':[}", KCS_ERR_PARSE, "invalid JSON after byte 42" },
		{ "{" V1 ",'pods':[", KCS_ERR_PARSE, "ends early at byte 42" },
		{ "", KCS_ERR_PARSE, "empty" },
		{ "[]", KCS_ERR_PARSE, "the report is not an object" },
		{ "{'kind':'PodList','items':[]}", KCS_ERR_PARSE,
		  "not a kubecapscan report: it has no schemaVersion" },
		{ "{'schemaVersion':'kubecapscan/v2','pods':[]}", KCS_ERR_PARSE,
		  "not a kubecapscan/v1 report: schemaVersion is \"kubecapscan/v2\" at byte 33" },
		{ "{'schemaVersion':null}", KCS_ERR_PARSE, "schemaVersion is null" },
		{ "{'schemaVersion':1}", KCS_ERR_PARSE, "schemaVersion is not a string" },
		{ "{'pods':[],'schemaVersion':'v1\\u0000\\n'}", KCS_ERR_PARSE,
		  "schemaVersion is \"v1??\"" },
		{ "{" V1 "}{}", KCS_ERR_PARSE, "invalid JSON" },
		{ "{" V1 ",'pods':{}}", KCS_ERR_PARSE, "pods is not an array" },
		{ "{" V1 ",'complete':'yes'}", KCS_ERR_PARSE, "complete is not a boolean" },
		{ "{" V1 ",'pods':[{'name':'p','verdict':'FAIL','containers':[]}]}",
		  KCS_ERR_PARSE, "a pod has no namespace" },
		{ "{" V1 ",'pods':[{'namespace':'n','name':'p','containers':[]}]}",
		  KCS_ERR_PARSE, "a pod has no verdict" },
		{ "{" V1 ",'pods':[{'namespace':'n','name':'p','verdict':'BAD'}]}",
		  KCS_ERR_PARSE, "pods[].verdict is not PASS, FAIL" },
		{ "{" V1 ",'pods':[{'namespace':'n','name':'p','verdict':'PASS',"
		  "'workload':{'kind':'Deployment'}}]}",
		  KCS_ERR_PARSE, "workload has no kind or no name" },
		{ "{" V1 ",'pods':[{'namespace':'n','name':'p','verdict':'PASS',"
		  "'workload':{'kind':'','name':'w'}}]}",
		  KCS_ERR_PARSE, "workload has no kind or no name" },
		{ "{" V1 ",'pods':[{'namespace':'n','name':'p','verdict':'PASS',"
		  "'workload':'Deployment'}]}",
		  KCS_ERR_PARSE, "pods[].workload is not an object" },
		{ "{" V1 ",'pods':[{'namespace':'n','name':'p','verdict':'PASS',"
		  "'containers':[{'name':'c','type':'container'}]}]}",
		  KCS_ERR_PARSE, "a container has no verdict" },
		{ "{" V1 ",'pods':[{'namespace':'n','name':'p','verdict':'PASS',"
		  "'containers':[{'name':'c','type':'sidecar','verdict':'PASS'}]}]}",
		  KCS_ERR_PARSE, "pods[].containers[].type is not initContainer" },
		{ "{" V1 ",'pods':[{'namespace':'n','name':'p','verdict':'PASS',"
		  "'containers':[{'name':'c','type':'container','verdict':true}]}]}",
		  KCS_ERR_PARSE, "pods[].containers[].verdict is not a string" },
		{ "{" V1 ",'pods':[{'namespace':'n','name':'p','verdict':'FAIL',"
		  "'containers':[{'name':'c','type':'container','verdict':'FAIL',"
		  "'reason':'no such reason'}]}]}",
		  KCS_ERR_PARSE, "is not a reason name" },
		{ "{" V1 ",'namespaces':[{'verdict':'PASS'}]}", KCS_ERR_PARSE,
		  "a namespace has no name" },
		{ "{" V1 ",'namespaces':[{'name':'n','verdict':7}]}", KCS_ERR_PARSE,
		  "namespaces[].verdict is not a string" },
		{ "{" V1 ",'source':{'namespace':5}}", KCS_ERR_PARSE,
		  "source.namespace is not a string" },
		{ "{" V1 ",'source':{'excludeNamespaces':[null]}}", KCS_ERR_PARSE,
		  "source.excludeNamespaces[] is not a string" },
		{ "{" V1 ",'finishedAt':'2026\\n'}", KCS_ERR_PARSE,
		  "finishedAt is not a timestamp" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check_bad(&cases[i], NULL);
}

/* Unknown fields, nulls and a previous drift section are fine. */
Test(drift, tolerated)
{
	struct kcs_drift *d = base_str(
		"{'tool':{'name':'kubecapscan'},'drift':{'newFailures':[{'namespace':'x',"
		"'workload':{'kind':'A','name':'b'},'container':null}]},"
		"'workloads':[{'namespace':'n','containers':[{'name':'c'}]}],"
		V1 ",'finishedAt':null,'source':null,'namespaces':null,"
		"'pods':[{'namespace':'n','name':'p','verdict':'FAIL','reason':null,"
		"'workload':null,'owner':{'kind':'ReplicaSet','name':'r'},'uid':null,"
		"'future':[[[{}]]],'containers':[{'name':'c','type':'container',"
		"'index':0,'verdict':'FAIL','reason':null,'exposure':{'effective':'x'}}]},"
		"{'namespace':'n','name':'q','verdict':'FAIL','reason':null,"
		"'workload':{'kind':'ReplicaSet','name':'','resolved':false},"
		"'containers':[{'name':'c','type':'container','verdict':'FAIL'}]}]}");

	cr_assert_str_eq(kcs_drift_baseline(d)->finished_at, "");
	cr_assert_eq(kcs_drift_baseline(d)->legacy_pods, 1);
	finish(d, 1, NULL);
	expect(d, "fixed: gone n/Pod/p/container/c\n"
		  "fixed: gone n/ReplicaSet//container/c\n");
	kcs_drift_free(d);
}

static char *repeat(const char *head, const char *unit, size_t n,
		    const char *tail)
{
	size_t hl = strlen(head), ul = strlen(unit), tl = strlen(tail), i;
	char *s = malloc(hl + ul * n + tl + 1), *p = s;

	cr_assert_not_null(s);
	memcpy(p, head, hl);
	p += hl;
	for (i = 0; i < n; i++, p += ul)
		memcpy(p, unit, ul);
	memcpy(p, tail, tl + 1);
	return s;
}

Test(drift, limit_depth)
{
	/* 64 levels in all are fine; 65 are not (skipped subtrees count) */
	char *open = repeat("{" V1 ",'x':", "[", 63, "");
	char *ok = repeat(open, "]", 63, "}");
	char *deep = repeat("{" V1 ",'x':", "[", 64, "");
	struct bad b = { NULL, KCS_ERR_LIMIT, "JSON nested deeper than 64 levels" };
	struct kcs_drift *d;

	d = base_str(ok);
	kcs_drift_free(d);
	b.json = deep;
	check_bad(&b, NULL);
	free(open);
	free(ok);
	free(deep);
}

#define KEYS_POD                                                             \
	"{'namespace':'n','name':'p','verdict':'PASS','containers':["        \
	"{'name':'c','type':'container','verdict':'PASS'},"                  \
	"{'name':'d','type':'container','verdict':'PASS'}]}"

Test(drift, limit_keys)
{
	struct kcs_drift_limits lim = { .max_keys = 2 };
	struct bad b = { NULL, KCS_ERR_LIMIT, "more than 2 distinct" };
	struct kcs_error err = KCS_ERROR_INIT;
	char *five = repeat("{" V1 ",'pods':[", KEYS_POD ",", 4, KEYS_POD "]}");
	char *s = tu_jq(five, NULL);
	struct kcs_drift *d = kcs_drift_new();
	struct kcs_pod pod;

	/* five pods of the same two keys: fine */
	kcs_drift_set_limits(d, &lim);
	cr_assert_eq(load_mem(d, "five.json", s, strlen(s), 0, &err), KCS_OK,
		     "%s", err.msg);
	POD(d, "n", NULL, NULL, "p", C("c", PASS, DROP_ALL));
	/* a third key, from the current scan */
	kcs_pod_init(&pod);
	memcpy(pod.ns.s, "n", 2);
	pod.ns.len = 1;
	memcpy(pod.name.s, "q", 2);
	pod.name.len = 1;
	pod.reason = KCS_PR_NO_CONTAINERS;
	cr_assert_eq(kcs_drift_pod(d, &pod, NULL, NULL, 0, &err), KCS_ERR_LIMIT);
	cr_assert(strstr(err.msg, "more than 2 distinct") != NULL, "%s", err.msg);
	kcs_pod_release(&pod);
	kcs_drift_free(d);
	free(s);
	free(five);

	/* a third distinct key in the baseline */
	b.json = "{" V1 ",'pods':[{'namespace':'n','name':'p','verdict':'PASS',"
		 "'containers':[{'name':'c','type':'container','verdict':'PASS'},"
		 "{'name':'d','type':'container','verdict':'PASS'},"
		 "{'name':'e','type':'container','verdict':'PASS'}]}]}";
	check_bad(&b, &lim);
}

Test(drift, limit_name_and_string)
{
	char *name = repeat("{" V1 ",'namespaces':[{'verdict':'PASS','name':'",
			    "a", 254, "'}]}");
	char *ok = repeat("{" V1 ",'namespaces':[{'verdict':'PASS','name':'",
			  "a", 253, "'}]}");
	char *longstr = repeat("{" V1 ",'skipped':'", "x", 10000, "'}");
	struct kcs_drift_limits lim = { .max_string = 4096 };
	struct bad b = { name, KCS_ERR_LIMIT,
			 "namespaces[].name is longer than 253 bytes" };
	struct kcs_error err = KCS_ERROR_INIT;
	struct kcs_drift *d;

	check_bad(&b, NULL);
	kcs_drift_free(base_str(ok));

	/* a string yajl must buffer (it spans chunks) past the limit */
	d = kcs_drift_new();
	kcs_drift_set_limits(d, &lim);
	{
		char *s = tu_jq(longstr, NULL);

		cr_assert_eq(load_mem(d, "big.json", s, strlen(s), 64, &err),
			     KCS_ERR_LIMIT);
		cr_assert(strstr(err.msg, "longer than 4096 bytes") != NULL,
			  "%s", err.msg);
		cr_assert(strstr(err.msg, "baseline 'big.json'") != NULL,
			  "%s", err.msg);
		cr_assert(err.offset > 0);
		free(s);
	}
	kcs_drift_free(d);
	free(name);
	free(ok);
	free(longstr);
}

Test(drift, limit_bytes)
{
	struct kcs_drift_limits lim = { .max_bytes = 100 };
	char *big = repeat("{" V1 ",'warnings':[", "'w',", 40, "'w']}");
	struct bad b = { big, KCS_ERR_LIMIT, "larger than 100 bytes" };

	check_bad(&b, &lim);
	free(big);
}

Test(drift, limit_reason_table)
{
	/* 256 distinct reason names overflow the 255-entry table */
	char *s = malloc(256 * 64 + 128), *p;
	struct bad b = { NULL, KCS_ERR_LIMIT, "more than 255 distinct reasons" };
	int i;

	cr_assert_not_null(s);
	p = s + snprintf(s, 128, "{" V1 ",'namespaces':[");
	for (i = 0; i < 256; i++)
		p += snprintf(p, 64, "%s{'name':'n%d','verdict':'PASS','reason':'R%d'}",
			      i ? "," : "", i, i);
	snprintf(p, 8, "]}");
	b.json = s;
	check_bad(&b, NULL);
	free(s);
}

Test(drift, file_errors)
{
	struct kcs_error err = KCS_ERROR_INIT;
	struct kcs_drift *d = kcs_drift_new();

	cr_assert_eq(kcs_drift_load_baseline(d, "/nonexistent/x.json", &err),
		     KCS_ERR_IO);
	cr_assert(strstr(err.msg, "cannot open baseline '/nonexistent/x.json'")
		  != NULL, "%s", err.msg);
	cr_assert_str_eq(err.source, "/nonexistent/x.json");
	kcs_drift_free(d);

	/* a report that is not a report: a kubectl pod list */
	kcs_error_clear(&err);
	d = kcs_drift_new();
	cr_assert_eq(kcs_drift_load_baseline(d, tu_path("testdata/demo/pods.json"),
					     &err), KCS_ERR_PARSE);
	cr_assert(strstr(err.msg, "has no schemaVersion") != NULL, "%s", err.msg);
	kcs_drift_free(d);
}

/* A truncated fixture fails at its end, whatever the cut. */
Test(drift, truncated_fixture)
{
	size_t len, cut;
	char *data = tu_read_file("testdata/drift/last-week.json", &len);

	for (cut = 1; cut < len - 2; cut += 97) {
		struct kcs_error err = KCS_ERROR_INIT;
		struct kcs_drift *d = kcs_drift_new();
		enum kcs_err rc = load_mem(d, "cut.json", data, cut, 0, &err);

		cr_assert_eq(rc, KCS_ERR_PARSE, "cut %zu: %s", cut, err.msg);
		cr_assert(strstr(err.msg, "baseline 'cut.json'") != NULL);
		kcs_drift_free(d);
	}
	free(data);
}

/* ---- calls out of order, and memory -------------------------------------- */

Test(drift, out_of_order)
{
	struct kcs_error err = KCS_ERROR_INIT;
	struct kcs_drift *d = kcs_drift_new();
	size_t n;

	cr_assert_eq(kcs_drift_namespace(d, "a", 1, KCS_VERDICT_PASS, NULL, &err),
		     KCS_ERR_INTERNAL);
	cr_assert_eq(kcs_drift_finish(d, 1, NULL, NULL), KCS_ERR_INTERNAL);
	cr_assert_null(kcs_drift_items(d, KCS_DRIFT_NEW_FAILURES, &n));
	cr_assert_eq(n, 0);
	cr_assert(!kcs_drift_has_new_failures(d));
	kcs_drift_free(d);

	d = base_str(REPORT("", ""));
	finish(d, 1, NULL);
	cr_assert_eq(kcs_drift_finish(d, 1, NULL, NULL), KCS_ERR_INTERNAL);
	cr_assert_eq(kcs_drift_namespace(d, "a", 1, KCS_VERDICT_PASS, NULL, NULL),
		     KCS_ERR_INTERNAL);
	cr_assert_eq(kcs_drift_baseline_begin(d, "again", NULL), KCS_ERR_INTERNAL);
	kcs_drift_free(d);
	kcs_drift_free(NULL);
}

/* Every allocation failing in turn: a clean NOMEM, never a crash or leak. */
Test(drift, out_of_memory)
{
	size_t len;
	char *data = tu_read_file("testdata/drift/workloads-last-week.json", &len);
	long n;
	int ok = 0;

	for (n = 0; n < 400 && !ok; n++) {
		struct kcs_error err = KCS_ERROR_INIT;
		struct kcs_drift *d;
		enum kcs_err rc;

		kcs_alloc_fail_after(n);
		d = kcs_drift_new();
		if (!d) {
			kcs_alloc_fail_after(-1);
			continue;
		}
		rc = load_mem(d, "oom.json", data, len, 512, &err);
		if (!rc) {
			struct kcs_pod pod;
			struct kcs_container *c;

			kcs_pod_init(&pod);
			memcpy(pod.ns.s, "zz", 3);
			pod.ns.len = 2;
			memcpy(pod.name.s, "p", 2);
			pod.name.len = 1;
			c = kcs_pod_add_container(&pod, KCS_CTYPE_CONTAINER, &err);
			if (c) {
				c->verdict = KCS_VERDICT_FAIL;
				rc = kcs_drift_pod(d, &pod, "Deployment", "w", 1,
						   &err);
			} else {
				rc = KCS_ERR_NOMEM;
			}
			kcs_pod_release(&pod);
		}
		if (!rc)
			rc = kcs_drift_namespace(d, "zz", 2, KCS_VERDICT_FAIL,
						 "UNLABELLED", &err);
		if (!rc)
			rc = kcs_drift_finish(d, 1, NULL, &err);
		kcs_alloc_fail_after(-1);
		cr_assert(rc == KCS_OK || rc == KCS_ERR_NOMEM,
			  "n=%ld: %s: %s", n, kcs_err_name(rc), err.msg);
		if (rc == KCS_ERR_NOMEM)
			cr_assert(strstr(err.msg, "out of memory") != NULL,
				  "n=%ld: %s", n, err.msg);
		ok = rc == KCS_OK;
		if (ok)
			cr_assert_eq(kcs_drift_count(d, KCS_DRIFT_NEW_FAILURES), 2);
		kcs_drift_free(d);
	}
	cr_assert(ok, "never succeeded within 400 allocations");
	cr_assert(n > 5, "too few allocations to be a real test: %ld", n);
	free(data);
}

Test(drift, names)
{
	cr_assert_str_eq(kcs_drift_state_name(KCS_DRIFT_STILL_FAILING), "stillFailing");
	cr_assert_str_eq(kcs_drift_state_name(KCS_DRIFT_GONE), "gone");
	cr_assert_str_eq(kcs_drift_list_name(KCS_DRIFT_NEW_FAILURES), "newFailures");
	cr_assert_str_eq(kcs_drift_list_name(KCS_DRIFT_REMOVED_NAMESPACES),
			 "removedNamespaces");
}
