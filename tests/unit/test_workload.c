/*
 * test_workload.c - pods grouped by workload (src/workload.c): verdicts,
 * counts, failing containers, and the spooling that keeps memory bounded
 * (input out of namespace order, a namespace with very many workloads).
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "kcs/alloc.h"
#include "kcs/workload.h"

static void set(struct kcs_name *n, const char *s)
{
	n->len = strlen(s);
	memcpy(n->s, s, n->len + 1);
}

/* A pod of `ns` with one container of verdict `v` (reason when FAIL). */
static void make_pod(struct kcs_pod *pod, const char *ns, const char *name,
		     enum kcs_verdict v)
{
	struct kcs_container *c;
	struct kcs_error err = KCS_ERROR_INIT;

	kcs_pod_reset(pod);
	set(&pod->ns, ns);
	set(&pod->name, name);
	c = kcs_pod_add_container(pod, KCS_CTYPE_CONTAINER, &err);
	cr_assert_not_null(c);
	set(&c->name, "app");
	c->verdict = v;
	c->reason = v == KCS_VERDICT_FAIL ? KCS_R_NO_SECURITY_CONTEXT
					  : KCS_R_DROP_ALL;
	pod->verdict = v;
}

static void wref(struct kcs_objref *r, const char *kind, const char *name)
{
	memset(r, 0, sizeof(*r));
	r->present = 1;
	snprintf(r->kind, sizeof(r->kind), "%s", kind);
	set(&r->name, name);
}

struct seen {
	size_t n;
	unsigned long long pods, fails;
	char last[600];
	int ordered;      /* namespaces came grouped, kinds/names sorted */
	size_t dups;      /* the same workload handed over twice */
	char keys[8192][64];
};

static enum kcs_err collect(const struct kcs_workload *w, void *user,
			    struct kcs_error *err)
{
	struct seen *s = user;
	char key[64];
	size_t i;

	(void)err;
	snprintf(key, sizeof(key), "%s/%s/%s", w->ns, w->kind, w->name);
	for (i = 0; i < s->n && i < 8192; i++)
		if (!strcmp(s->keys[i], key))
			s->dups++;
	if (s->n < 8192)
		snprintf(s->keys[s->n], sizeof(s->keys[0]), "%s", key);
	s->n++;
	s->pods += w->pods_total;
	s->fails += w->pods_fail;
	return KCS_OK;
}

static struct seen *walk(struct kcs_workloads *t)
{
	struct kcs_error err = KCS_ERROR_INIT;
	struct seen *s = calloc(1, sizeof(*s));

	cr_assert_not_null(s);
	cr_assert_eq(kcs_workloads_finish(t, &err), KCS_OK, "%s", err.msg);
	cr_assert_eq(kcs_workloads_each(t, collect, s, &err), KCS_OK, "%s",
		     err.msg);
	return s;
}

Test(workload, verdicts_counts_and_failing_containers)
{
	struct kcs_workloads *t = kcs_workloads_new();
	struct kcs_error err = KCS_ERROR_INIT;
	struct kcs_pod pod;
	struct kcs_objref w;
	unsigned long long by[5];
	struct seen *s;

	kcs_pod_init(&pod);
	cr_assert_not_null(t);
	wref(&w, "Deployment", "web");
	make_pod(&pod, "a", "web-1", KCS_VERDICT_PASS);
	cr_assert_eq(kcs_workloads_add(t, &pod, &w, 1, &err), KCS_OK);
	make_pod(&pod, "a", "web-2", KCS_VERDICT_FAIL);
	cr_assert_eq(kcs_workloads_add(t, &pod, &w, 1, &err), KCS_OK);
	make_pod(&pod, "a", "web-3", KCS_VERDICT_FAIL); /* same container */
	cr_assert_eq(kcs_workloads_add(t, &pod, &w, 0, &err), KCS_OK);
	wref(&w, "Pod", "solo");
	make_pod(&pod, "b", "solo", KCS_VERDICT_NOT_APPLICABLE);
	cr_assert_eq(kcs_workloads_add(t, &pod, &w, 1, &err), KCS_OK);
	s = walk(t);
	cr_expect_eq(s->n, 2);
	cr_expect_eq(s->pods, 4);
	cr_expect_eq(s->fails, 2);
	kcs_workloads_counts(t, by);
	cr_expect_eq(kcs_workloads_count(t), 2);
	cr_expect_eq(by[KCS_VERDICT_FAIL], 1, "any failing pod fails it");
	cr_expect_eq(by[KCS_VERDICT_NOT_APPLICABLE], 1);
	free(s);
	kcs_workloads_free(t);
	kcs_pod_release(&pod);
}

/* One record per workload however the input is ordered. */
static void check_order(int round_robin, unsigned n_ns, unsigned per_ns,
			unsigned pods_each)
{
	struct kcs_workloads *t = kcs_workloads_new();
	struct kcs_error err = KCS_ERROR_INIT;
	struct kcs_pod pod;
	struct kcs_objref w;
	struct seen *s;
	unsigned i, j, k, total = n_ns * per_ns * pods_each;

	kcs_pod_init(&pod);
	for (i = 0; i < total; i++) {
		char ns[32], name[32], pname[48];
		unsigned a, b;

		if (round_robin) {
			a = i % n_ns;
			b = (i / n_ns) % per_ns;
		} else {
			a = i / (per_ns * pods_each);
			b = (i / pods_each) % per_ns;
		}
		snprintf(ns, sizeof(ns), "ns-%04u", a);
		snprintf(name, sizeof(name), "rs-%05u", b);
		snprintf(pname, sizeof(pname), "%s-%u", name, i);
		wref(&w, "ReplicaSet", name);
		make_pod(&pod, ns, pname, (i % 3) ? KCS_VERDICT_PASS
						  : KCS_VERDICT_FAIL);
		cr_assert_eq(kcs_workloads_add(t, &pod, &w, 1, &err), KCS_OK,
			     "%s", err.msg);
	}
	s = walk(t);
	cr_expect_eq(s->n, (size_t)n_ns * per_ns);
	cr_expect_eq(s->dups, 0, "a workload handed over twice");
	cr_expect_eq(s->pods, total);
	for (j = k = 0; j < total; j++)
		k += (j % 3) == 0;
	cr_expect_eq(s->fails, k);
	cr_expect_eq(kcs_workloads_count(t), (size_t)n_ns * per_ns);
	free(s);
	kcs_workloads_free(t);
	kcs_pod_release(&pod);
}

Test(workload, grouped_by_namespace)
{
	check_order(0, 20, 30, 3);
}

Test(workload, namespaces_out_of_order)
{
	check_order(1, 20, 30, 3);
}

/* More workloads in one namespace than are held in memory. */
Test(workload, one_namespace_with_very_many_workloads)
{
	check_order(0, 1, KCS_WORKLOADS_IN_MEMORY * 2 + 7, 2);
	check_order(1, 2, KCS_WORKLOADS_IN_MEMORY + 3, 2);
}

/* A manifest object, a bare pod, a static pod, a ReplicaSet's pod. */
Test(workload, direct_rules)
{
	struct kcs_pod pod;
	struct kcs_objref out;

	kcs_pod_init(&pod);
	set(&pod.name, "p");
	cr_expect_eq(kcs_workload_direct(&pod, &out, NULL), 1);
	cr_expect_str_eq(out.kind, "Pod");
	wref(&pod.owner, "Node", "node-1");
	cr_expect_eq(kcs_workload_direct(&pod, &out, NULL), 1);
	cr_expect_str_eq(out.kind, "Pod");
	cr_expect_str_eq(out.name.s, "p");
	wref(&pod.owner, "ReplicaSet", "web-5d4f");
	cr_expect_eq(kcs_workload_direct(&pod, &out, NULL), 0,
		     "a ReplicaSet may have a Deployment above it");
	cr_expect_str_eq(out.kind, "ReplicaSet");
	wref(&pod.owner, "StatefulSet", "db");
	cr_expect_eq(kcs_workload_direct(&pod, &out, NULL), 1);
	snprintf(pod.source.kind, sizeof(pod.source.kind), "CronJob");
	set(&pod.source.name, "backup");
	cr_expect_eq(kcs_workload_direct(&pod, &out, NULL), 1);
	cr_expect_str_eq(out.kind, "CronJob");
	cr_expect_str_eq(out.name.s, "backup");
	kcs_pod_release(&pod);
}
