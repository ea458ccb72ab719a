/*
 * test_owners.c - the owner table, its reader and workload resolution
 * (owners.c).
 *
 * Readers: every fixture under testdata/owners/ (globbed at run time) is
 * read whole, compared with its .golden trace, then read again at every
 * chunk size 1..64 and at random split points (testutil's chunk-split
 * rig); each trace must equal the whole-read one byte for byte. The file
 * name's prefix picks the kind
 * hint: "rs-" ReplicaSet, "jobs-" Job, "any-" none.
 *
 * Resolution: every chain of owners.h, missing owners (not listed / gone),
 * uid mismatches, malformed owners and pods without owner.
 *
 * Random splits use a seed printed on failure; KCS_TEST_SEED=<n> replays.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include "kcs/alloc.h"
#include "kcs/buf.h"
#include "kcs/owners.h"
#include "testutil.h"

/* Every fixture of the chunked test. */
#define FIXTURES "testdata/owners/*.json"

/* ---- helpers ------------------------------------------------------------ */

static void escs(struct kcs_buf *b, const char *s)
{
	tu_esc(b, s, strlen(s));
}

static int cmp_bytes(const char *a, size_t al, const char *b, size_t bl)
{
	int c = memcmp(a, b, al < bl ? al : bl);

	return c ? c : (al > bl) - (al < bl);
}

static int cmp_owned(const void *pa, const void *pb)
{
	const struct kcs_owned *a = *(const struct kcs_owned *const *)pa;
	const struct kcs_owned *b = *(const struct kcs_owned *const *)pb;
	int c = strcmp(a->kind, b->kind);

	if (!c)
		c = cmp_bytes(a->ns, a->ns_len, b->ns, b->ns_len);
	if (!c)
		c = cmp_bytes(a->name, a->name_len, b->name, b->name_len);
	return c;
}

static char *dup_bytes(const char *s, size_t len)
{
	char *d = malloc(len + 1);

	cr_assert_not_null(d);
	memcpy(d, s, len);
	d[len] = '\0';
	return d;
}

/* A copy that outlives the table's view (next and find reuse it). */
static struct kcs_owned *dup_owned(const struct kcs_owned *e)
{
	struct kcs_owned *c = malloc(sizeof(*c));

	cr_assert_not_null(c);
	*c = *e;
	c->kind = dup_bytes(e->kind, strlen(e->kind));
	c->ns = dup_bytes(e->ns, e->ns_len);
	c->name = dup_bytes(e->name, e->name_len);
	c->uid = dup_bytes(e->uid, e->uid_len);
	c->ctl_kind = dup_bytes(e->ctl_kind, strlen(e->ctl_kind));
	c->ctl_name = dup_bytes(e->ctl_name, e->ctl_name_len);
	c->ctl_uid = dup_bytes(e->ctl_uid, e->ctl_uid_len);
	return c;
}

static void free_owned(struct kcs_owned *c)
{
	free((char *)c->kind);
	free((char *)c->ns);
	free((char *)c->name);
	free((char *)c->uid);
	free((char *)c->ctl_kind);
	free((char *)c->ctl_name);
	free((char *)c->ctl_uid);
	free(c);
}

static int same_owned(const struct kcs_owned *a, const struct kcs_owned *b)
{
	return !strcmp(a->kind, b->kind) && a->ns_len == b->ns_len &&
	       !memcmp(a->ns, b->ns, a->ns_len) &&
	       a->name_len == b->name_len &&
	       !memcmp(a->name, b->name, a->name_len) &&
	       a->uid_len == b->uid_len &&
	       !memcmp(a->uid, b->uid, a->uid_len) &&
	       a->malformed == b->malformed &&
	       a->has_controller == b->has_controller &&
	       !strcmp(a->ctl_kind, b->ctl_kind) &&
	       a->ctl_name_len == b->ctl_name_len &&
	       !memcmp(a->ctl_name, b->ctl_name, a->ctl_name_len) &&
	       a->ctl_uid_len == b->ctl_uid_len &&
	       !memcmp(a->ctl_uid, b->ctl_uid, a->ctl_uid_len);
}

static void trace_table(struct kcs_buf *b, const struct kcs_owners *t)
{
	struct kcs_owned *v[256];
	const struct kcs_owned *e, *f;
	size_t pos = 0, k = 0, i;

	while ((e = kcs_owners_next(t, &pos)))
		if (k < KCS_ARRAY_SIZE(v))
			v[k++] = dup_owned(e);
	cr_assert_eq(k, kcs_owners_count(t));
	qsort(v, k, sizeof(v[0]), cmp_owned);
	kcs_buf_addf(b, "objects=%zu nameless=%zu\n", k, kcs_owners_nameless(t));
	for (i = 0; i < k; i++) {
		e = v[i];
		kcs_buf_addstr(b, "obj ");
		escs(b, e->kind);
		kcs_buf_addch(b, ' ');
		tu_esc(b, e->ns, e->ns_len);
		kcs_buf_addch(b, '/');
		tu_esc(b, e->name, e->name_len);
		kcs_buf_addstr(b, " uid=");
		tu_esc(b, e->uid, e->uid_len);
		kcs_buf_addf(b, " malformed=%d", e->malformed);
		if (e->has_controller) {
			kcs_buf_addstr(b, " controller=");
			escs(b, e->ctl_kind);
			kcs_buf_addch(b, '/');
			tu_esc(b, e->ctl_name, e->ctl_name_len);
			kcs_buf_addstr(b, " uid=");
			tu_esc(b, e->ctl_uid, e->ctl_uid_len);
		} else {
			cr_assert_str_empty(e->ctl_kind);
			cr_assert_eq(e->ctl_name_len, 0);
		}
		kcs_buf_addch(b, '\n');
		f = kcs_owners_find(t, e->kind, e->ns, e->ns_len, e->name,
				    e->name_len);
		cr_assert_not_null(f);
		cr_assert(same_owned(f, e));
	}
	for (i = 0; i < k; i++)
		free_owned(v[i]);
}

static void trace_info(struct kcs_buf *b, const struct kcs_doc_info *in)
{
	size_t i;

	kcs_buf_addstr(b, "info kind=");
	escs(b, in->kind);
	kcs_buf_addstr(b, " continue=");
	tu_esc(b, in->continue_token.buf, in->continue_token.len);
	kcs_buf_addstr(b, " rv=");
	escs(b, in->resource_version);
	kcs_buf_addf(b, " remaining=%lld list=%d skipped=%zu", in->remaining_items,
		     in->is_list, in->n_skipped);
	for (i = 0; i < in->n_skipped_kinds; i++) {
		kcs_buf_addstr(b, " skippedKind=");
		escs(b, in->skipped_kinds[i]);
	}
	kcs_buf_addch(b, '\n');
	if (in->status.present) {
		kcs_buf_addf(b, "status code=%lld reason=", in->status.code);
		escs(b, in->status.reason);
		kcs_buf_addstr(b, " message=");
		escs(b, in->status.message);
		kcs_buf_addch(b, '\n');
	}
}

static const char *hint_of(const char *rel)
{
	const char *base = strrchr(rel, '/');

	base = base ? base + 1 : rel;
	if (!strncmp(base, "rs-", 3))
		return "ReplicaSet";
	if (!strncmp(base, "jobs-", 5))
		return "Job";
	return NULL;
}

static enum kcs_err feed(void *r, const char *data, size_t len,
			 struct kcs_error *err)
{
	return kcs_ownreader_feed(r, data, len, err);
}

/* One read of the fixture `ctx` (a struct tu_fixture), cut as `cut` says. */
static enum kcs_err run(void *ctx, const struct tu_cut *cut,
			struct kcs_buf *b, struct kcs_error *err)
{
	const struct tu_fixture *fx = ctx;
	struct kcs_owners *t = kcs_owners_new();
	struct kcs_ownreader *r;
	enum kcs_err rc;

	cr_assert(t);
	r = kcs_ownreader_new(t, hint_of(fx->rel));
	cr_assert(r);
	rc = tu_cut_feed(cut, feed, r, err);
	if (!rc)
		rc = kcs_ownreader_finish(r, err);
	kcs_buf_addf(b, "result rc=%s offset=%lld msg=%s\n", kcs_err_name(rc),
		     rc ? err->offset : -1, rc ? err->msg : "");
	if (!rc)
		trace_info(b, kcs_ownreader_info(r));
	trace_table(b, t);
	kcs_ownreader_free(r);
	kcs_owners_free(t);
	return rc;
}

ParameterizedTestParameters(owners, chunked)
{
	struct tu_fixture *fx = cr_malloc(256 * sizeof(*fx));
	size_t n = tu_fixtures(FIXTURES, fx, 256);

	return cr_make_param_array(struct tu_fixture, fx, n, tu_free_params);
}

ParameterizedTest(struct tu_fixture *fx, owners, chunked)
{
	tu_split_fixture(fx->rel, run, fx, tu_pieces_small);
}

Test(owners, fixtures_found)
{
	struct tu_fixture fx[256];

	cr_assert_geq(tu_fixtures(FIXTURES, fx, 256), 10);
}

/* ---- building tables and pods ------------------------------------------- */

static void load(struct kcs_owners *t, const char *hint, const char *json)
{
	struct kcs_error err = KCS_ERROR_INIT;
	struct kcs_ownreader *r = kcs_ownreader_new(t, hint);
	size_t len;
	char *d = tu_jq(json, &len);

	cr_assert(r);
	cr_assert_eq(kcs_ownreader_feed(r, d, len, &err), KCS_OK, "%s", err.msg);
	cr_assert_eq(kcs_ownreader_finish(r, &err), KCS_OK, "%s", err.msg);
	kcs_ownreader_free(r);
	free(d);
}

static void load_file(struct kcs_owners *t, const char *rel)
{
	struct kcs_error err = KCS_ERROR_INIT;
	struct kcs_ownreader *r = kcs_ownreader_new(t, hint_of(rel));
	size_t len;
	char *d = tu_read_file(rel, &len);

	cr_assert(r);
	cr_assert_eq(kcs_ownreader_feed(r, d, len, &err), KCS_OK, "%s", err.msg);
	cr_assert_eq(kcs_ownreader_finish(r, &err), KCS_OK, "%s", err.msg);
	kcs_ownreader_free(r);
	free(d);
}

static void set_name(struct kcs_name *n, const char *s)
{
	n->len = strlen(s);
	memcpy(n->s, s, n->len + 1);
}

/* A pod in `ns`, controlled by kind/name/uid (kind NULL: no controller). */
static void make_pod(struct kcs_pod *pod, const char *ns, const char *name,
		     const char *kind, const char *oname, const char *ouid)
{
	kcs_pod_reset(pod);
	set_name(&pod->ns, ns);
	set_name(&pod->name, name);
	pod->uid.len = 4;
	memcpy(pod->uid.s, "puid", 5);
	pod->has_uid = 1;
	if (!kind)
		return;
	pod->owner.present = 1;
	snprintf(pod->owner.kind, sizeof(pod->owner.kind), "%s", kind);
	set_name(&pod->owner.name, oname);
	pod->owner.uid.len = strlen(ouid);
	memcpy(pod->owner.uid.s, ouid, pod->owner.uid.len + 1);
}

struct rcase {
	const char *what;
	const char *ns, *kind, *name, *uid; /* the pod's controller */
	const char *want_kind, *want_name, *want_uid;
	int resolved;
	enum kcs_owner_how how;
	const char *managed_kind, *managed_name; /* NULL: none */
};

static const struct rcase rcases[] = {
	{ "deployment", "shop", "ReplicaSet", "web-6d4cf56db6",
	  "8f5b2f5e-3c39-4a43-9d2e-0f1b7a6d1c01", "Deployment", "web",
	  "0d7e1c2a-5b6f-4e8d-9a1b-2c3d4e5f6a70", 1, KCS_OWN_FOLLOWED, NULL,
	  NULL },
	{ "deployment, pod ref without uid", "shop", "ReplicaSet",
	  "web-6d4cf56db6", "", "Deployment", "web",
	  "0d7e1c2a-5b6f-4e8d-9a1b-2c3d4e5f6a70", 1, KCS_OWN_FOLLOWED, NULL,
	  NULL },
	{ "same RS name, other namespace", "staging", "ReplicaSet",
	  "web-6d4cf56db6", "99999999-0000-4000-8000-000000000009",
	  "Deployment", "web", "aaaa", 1, KCS_OWN_FOLLOWED, NULL, NULL },
	{ "recreated RS: uid mismatch", "shop", "ReplicaSet", "web-6d4cf56db6",
	  "00000000-dead-beef-0000-000000000000", "ReplicaSet",
	  "web-6d4cf56db6", "00000000-dead-beef-0000-000000000000", 0,
	  KCS_OWN_UID_MISMATCH, NULL, NULL },
	{ "bare RS", "shop", "ReplicaSet", "bare-rs",
	  "11111111-2222-3333-4444-555555555555", "ReplicaSet", "bare-rs",
	  "11111111-2222-3333-4444-555555555555", 1, KCS_OWN_TOP, NULL, NULL },
	{ "RS of an Argo Rollout", "shop", "ReplicaSet", "checkout-5f7b9c8d4",
	  "a1a1a1a1-b2b2-c3c3-d4d4-e5e5e5e5e5e5", "ReplicaSet",
	  "checkout-5f7b9c8d4", "a1a1a1a1-b2b2-c3c3-d4d4-e5e5e5e5e5e5", 1,
	  KCS_OWN_TOP, "Rollout", "checkout" },
	{ "first controller ref wins", "ops", "ReplicaSet", "two-refs-abc",
	  "22222222-0000-4000-8000-000000000002", "Deployment", "two-refs",
	  "d1d1", 1, KCS_OWN_FOLLOWED, NULL, NULL },
	{ "refs without controller: true", "ops", "ReplicaSet",
	  "not-controlled", "", "ReplicaSet", "not-controlled", "", 1,
	  KCS_OWN_TOP, NULL, NULL },
	{ "repeated ownerReferences: the later list", "ops", "ReplicaSet",
	  "replaced-refs", "", "Deployment", "new", "", 1, KCS_OWN_FOLLOWED,
	  NULL, NULL },
	{ "ownerReferences null clears", "ops", "ReplicaSet", "cleared-refs",
	  "", "ReplicaSet", "cleared-refs", "", 1, KCS_OWN_TOP, NULL, NULL },
	{ "controller: \"true\" is malformed", "ops", "ReplicaSet",
	  "string-controller", "", "ReplicaSet", "string-controller", "", 0,
	  KCS_OWN_OWNER_MALFORMED, NULL, NULL },
	{ "string in ownerReferences is malformed", "ops", "ReplicaSet",
	  "string-ref", "", "ReplicaSet", "string-ref", "", 0,
	  KCS_OWN_OWNER_MALFORMED, NULL, NULL },
	{ "ownerReferences object is malformed", "ops", "ReplicaSet",
	  "refs-object", "", "ReplicaSet", "refs-object", "", 0,
	  KCS_OWN_OWNER_MALFORMED, NULL, NULL },
	{ "RS gone (ReplicaSets listed)", "shop", "ReplicaSet", "deleted-rs",
	  "u", "ReplicaSet", "deleted-rs", "u", 0, KCS_OWN_OWNER_NOT_FOUND, NULL,
	  NULL },
	{ "RS in another namespace does not count", "other", "ReplicaSet",
	  "bare-rs", "", "ReplicaSet", "bare-rs", "", 0,
	  KCS_OWN_OWNER_NOT_FOUND, NULL, NULL },
	{ "cronjob", "backup", "Job", "nightly-backup-28738080",
	  "b0000000-0000-4000-8000-000000000001", "CronJob", "nightly-backup",
	  "c0000000-0000-4000-8000-000000000001", 1, KCS_OWN_FOLLOWED, NULL,
	  NULL },
	{ "bare job", "shop", "Job", "db-migrate",
	  "b0000000-0000-4000-8000-000000000002", "Job", "db-migrate",
	  "b0000000-0000-4000-8000-000000000002", 1, KCS_OWN_TOP, NULL, NULL },
	{ "job of an Argo Workflow", "argo", "Job", "wf-step-1", "", "Job",
	  "wf-step-1", "", 1, KCS_OWN_TOP, "Workflow", "wf" },
	{ "job gone, Jobs not listed (RBAC)", "shop", "Job", "gone-job", "j",
	  "Job", "gone-job", "j", 0, KCS_OWN_OWNER_NOT_READ, NULL, NULL },
	{ "job uid mismatch", "backup", "Job", "nightly-backup-28738080", "x",
	  "Job", "nightly-backup-28738080", "x", 0, KCS_OWN_UID_MISMATCH, NULL,
	  NULL },
	{ "statefulset", "db", "StatefulSet", "pg", "s", "StatefulSet", "pg",
	  "s", 1, KCS_OWN_DIRECT, NULL, NULL },
	{ "daemonset", "kube-system", "DaemonSet", "kube-proxy", "ds",
	  "DaemonSet", "kube-proxy", "ds", 1, KCS_OWN_DIRECT, NULL, NULL },
	{ "replicationcontroller", "legacy", "ReplicationController", "rc1",
	  "", "ReplicationController", "rc1", "", 1, KCS_OWN_DIRECT, NULL,
	  NULL },
	{ "custom owner", "ml", "Notebook", "jupyter", "n", "Notebook",
	  "jupyter", "n", 1, KCS_OWN_DIRECT, NULL, NULL },
	{ "static pod", "kube-system", "Node", "kind-control-plane", "nu",
	  "Pod", "etcd-kind-control-plane", "puid", 1, KCS_OWN_STATIC, "Node",
	  "kind-control-plane" },
	{ "no owner", "default", NULL, NULL, NULL, "Pod",
	  "etcd-kind-control-plane", "puid", 1, KCS_OWN_POD, NULL, NULL },
};

static void check_case(const struct kcs_owners *t, const struct rcase *c,
		       struct kcs_pod *pod)
{
	struct kcs_owner_top w;

	make_pod(pod, c->ns, "etcd-kind-control-plane", c->kind, c->name,
		 c->uid);
	kcs_owners_resolve(t, pod, &w);
	cr_expect(w.ref.present, "%s", c->what);
	cr_expect_str_eq(w.ref.kind, c->want_kind, "%s: kind %s", c->what,
			 w.ref.kind);
	cr_expect_str_eq(w.ref.name.s, c->want_name, "%s: name %s", c->what,
			 w.ref.name.s);
	cr_expect_eq(w.ref.name.len, strlen(c->want_name), "%s", c->what);
	cr_expect_str_eq(w.ref.uid.s, c->want_uid, "%s: uid %s", c->what,
			 w.ref.uid.s);
	cr_expect_eq(w.resolved, c->resolved, "%s: resolved %d", c->what,
		     w.resolved);
	cr_expect_eq(w.how, c->how, "%s: how %s, want %s", c->what,
		     kcs_owner_how_name(w.how), kcs_owner_how_name(c->how));
	if (c->managed_kind) {
		cr_expect(w.managed_by.present, "%s: no managed_by", c->what);
		cr_expect_str_eq(w.managed_by.kind, c->managed_kind, "%s",
				 c->what);
		cr_expect_str_eq(w.managed_by.name.s, c->managed_name, "%s",
				 c->what);
	} else {
		cr_expect(!w.managed_by.present, "%s: managed_by %s", c->what,
			  w.managed_by.kind);
	}
}

Test(owners, resolve_chains)
{
	struct kcs_error err = KCS_ERROR_INIT;
	struct kcs_owners *t = kcs_owners_new();
	struct kcs_pod pod;
	size_t i;

	cr_assert(t);
	kcs_pod_init(&pod);
	load_file(t, "testdata/owners/rs-metadata.json");
	load_file(t, "testdata/owners/jobs-metadata.json");
	cr_assert_eq(kcs_owners_mark_listed(t, "ReplicaSet", &err), KCS_OK);
	cr_assert(kcs_owners_is_listed(t, "ReplicaSet"));
	cr_assert(!kcs_owners_is_listed(t, "Job"));
	for (i = 0; i < KCS_ARRAY_SIZE(rcases); i++)
		check_case(t, &rcases[i], &pod);
	kcs_pod_release(&pod);
	kcs_owners_free(t);
}

/* Nothing could be read: direct owners, unresolved where it mattered. */
Test(owners, resolve_without_table)
{
	struct kcs_pod pod;
	struct kcs_owner_top w;

	kcs_pod_init(&pod);
	make_pod(&pod, "shop", "web-6d4cf56db6-x", "ReplicaSet",
		 "web-6d4cf56db6", "u");
	kcs_owners_resolve(NULL, &pod, &w);
	cr_assert_str_eq(w.ref.kind, "ReplicaSet");
	cr_assert_str_eq(w.ref.name.s, "web-6d4cf56db6");
	cr_assert_eq(w.resolved, 0);
	cr_assert_eq(w.how, KCS_OWN_OWNER_NOT_READ);
	make_pod(&pod, "db", "pg-0", "StatefulSet", "pg", "s");
	kcs_owners_resolve(NULL, &pod, &w);
	cr_assert_eq(w.resolved, 1);
	cr_assert_eq(w.how, KCS_OWN_DIRECT);
	make_pod(&pod, "db", "solo", NULL, NULL, NULL);
	pod.has_uid = 0;
	kcs_owners_resolve(NULL, &pod, &w);
	cr_assert_str_eq(w.ref.kind, "Pod");
	cr_assert_str_eq(w.ref.name.s, "solo");
	cr_assert_eq(w.ref.uid.len, 0);
	cr_assert_eq(w.how, KCS_OWN_POD);
	kcs_pod_release(&pod);
}

/* A listed StatefulSet says who manages it; the workload stays itself. */
Test(owners, direct_kind_managed_by)
{
	struct kcs_owners *t = kcs_owners_new();
	struct kcs_pod pod;
	struct kcs_owner_top w;

	kcs_pod_init(&pod);
	load_file(t, "testdata/owners/any-kubectl-list.json");
	make_pod(&pod, "monitoring", "prometheus-k8s-0", "StatefulSet",
		 "prometheus-k8s", "s1");
	kcs_owners_resolve(t, &pod, &w);
	cr_assert_str_eq(w.ref.kind, "StatefulSet");
	cr_assert_eq(w.how, KCS_OWN_DIRECT);
	cr_assert(w.managed_by.present);
	cr_assert_str_eq(w.managed_by.kind, "Prometheus");
	cr_assert_str_eq(w.managed_by.name.s, "k8s");
	/* uid mismatch on a direct kind: still itself, no managed_by */
	make_pod(&pod, "monitoring", "prometheus-k8s-0", "StatefulSet",
		 "prometheus-k8s", "other");
	kcs_owners_resolve(t, &pod, &w);
	cr_assert_eq(w.how, KCS_OWN_DIRECT);
	cr_assert_eq(w.resolved, 1);
	cr_assert(!w.managed_by.present);
	/* the kubectl List's RS and Job resolve as from their own lists */
	make_pod(&pod, "prod", "api-59f8d7c6b5-q", "ReplicaSet",
		 "api-59f8d7c6b5", "r1");
	kcs_owners_resolve(t, &pod, &w);
	cr_assert_str_eq(w.ref.kind, "Deployment");
	cr_assert_str_eq(w.ref.name.s, "api");
	make_pod(&pod, "prod", "report-29000000-z", "Job", "report-29000000",
		 "j1");
	kcs_owners_resolve(t, &pod, &w);
	cr_assert_str_eq(w.ref.kind, "CronJob");
	cr_assert_str_eq(w.ref.uid.s, "cj1");
	/* "ReplicaSet\u0000" is no ReplicaSet */
	make_pod(&pod, "prod", "x", "ReplicaSet", "nul-kind", "");
	kcs_owners_resolve(t, &pod, &w);
	cr_assert_eq(w.how, KCS_OWN_OWNER_NOT_READ);
	kcs_pod_release(&pod);
	kcs_owners_free(t);
}

/* Names are compared with their length: "a\0b" is not "a". */
Test(owners, names_with_nul)
{
	struct kcs_owners *t = kcs_owners_new();
	struct kcs_pod pod;
	struct kcs_owner_top w;

	kcs_pod_init(&pod);
	load(t, "ReplicaSet",
	     "{'items':[{'metadata':{'name':'a\\u0000b','namespace':'n',"
	     "'ownerReferences':[{'kind':'Deployment','name':'d\\u0000e',"
	     "'controller':true}]}}]}");
	make_pod(&pod, "n", "p", "ReplicaSet", "a", "");
	kcs_owners_resolve(t, &pod, &w);
	cr_assert_eq(w.how, KCS_OWN_OWNER_NOT_READ);
	pod.owner.name.len = 3;
	memcpy(pod.owner.name.s, "a\0b", 4);
	kcs_owners_resolve(t, &pod, &w);
	cr_assert_eq(w.how, KCS_OWN_FOLLOWED);
	cr_assert_eq(w.ref.name.len, 3);
	cr_assert_eq(memcmp(w.ref.name.s, "d\0e", 3), 0);
	kcs_pod_release(&pod);
	kcs_owners_free(t);
}

/* The same object again (a re-listed page) replaces the earlier entry. */
Test(owners, later_object_wins)
{
	struct kcs_owners *t = kcs_owners_new();
	const struct kcs_owned *e;

	load(t, "ReplicaSet",
	     "{'items':[{'metadata':{'name':'r','namespace':'n','uid':'1'}},"
	     "{'metadata':{'name':'r','namespace':'n','uid':'2',"
	     "'ownerReferences':[{'kind':'Deployment','name':'d',"
	     "'controller':true}]}},"
	     "{'kind':'Job','metadata':{'name':'r','namespace':'n','uid':'3'}}]}");
	cr_assert_eq(kcs_owners_count(t), 2);
	e = kcs_owners_find(t, "ReplicaSet", "n", 1, "r", 1);
	cr_assert_not_null(e);
	cr_assert_str_eq(e->uid, "2");
	cr_assert(e->has_controller);
	e = kcs_owners_find(t, "Job", "n", 1, "r", 1);
	cr_assert_not_null(e);
	cr_assert_str_eq(e->uid, "3");
	kcs_owners_clear(t);
	cr_assert_eq(kcs_owners_count(t), 0);
	cr_assert_null(kcs_owners_find(t, "Job", "n", 1, "r", 1));
	kcs_owners_free(t);
}

Test(owners, pages_and_restart)
{
	struct kcs_error err = KCS_ERROR_INIT;
	struct kcs_owners *t = kcs_owners_new();
	struct kcs_ownreader *r = kcs_ownreader_new(t, "Job");
	size_t l1, l2;
	char *p1 = tu_jq("{'kind':'PartialObjectMetadataList','metadata':"
		      "{'continue':'c1','remainingItemCount':1},'items':"
		      "[{'metadata':{'name':'a','namespace':'n'}}]}", &l1);
	char *p2 = tu_jq("{'kind':'PartialObjectMetadataList','metadata':{},"
		      "'items':[{'metadata':{'name':'b','namespace':'n'}}]}",
		      &l2);

	cr_assert_eq(kcs_ownreader_feed(r, p1, l1, &err), KCS_OK);
	cr_assert_eq(kcs_ownreader_finish(r, &err), KCS_OK);
	cr_assert_str_eq(kcs_ownreader_info(r)->continue_token.buf, "c1");
	cr_assert_eq(kcs_ownreader_info(r)->remaining_items, 1);
	cr_assert_eq(kcs_ownreader_offset(r), l1);
	cr_assert_eq(kcs_ownreader_restart(r, &err), KCS_OK);
	cr_assert_eq(kcs_ownreader_feed(r, p2, l2, &err), KCS_OK);
	cr_assert_eq(kcs_ownreader_finish(r, &err), KCS_OK);
	cr_assert_eq(kcs_ownreader_info(r)->continue_token.len, 0);
	cr_assert_not_null(kcs_owners_find(t, "Job", "n", 1, "a", 1));
	cr_assert_not_null(kcs_owners_find(t, "Job", "n", 1, "b", 1));
	/* after an error the reader refuses more input until restarted */
	cr_assert_eq(kcs_ownreader_restart(r, &err), KCS_OK);
	cr_assert_eq(kcs_ownreader_feed(r, "[", 1, &err), KCS_ERR_PARSE);
	kcs_error_clear(&err);
	cr_assert_eq(kcs_ownreader_feed(r, "{", 1, &err), KCS_ERR_INTERNAL);
	cr_assert_eq(kcs_ownreader_finish(r, &err), KCS_ERR_INTERNAL);
	kcs_ownreader_free(r);
	kcs_owners_free(t);
	free(p1);
	free(p2);
}

static enum kcs_err read_all(struct kcs_ownreader *r, const char *d,
			     size_t len, struct kcs_error *err)
{
	enum kcs_err rc = kcs_ownreader_feed(r, d, len, err);

	return rc ? rc : kcs_ownreader_finish(r, err);
}

Test(owners, limits)
{
	struct kcs_buf b = KCS_BUF_INIT(1 << 20);
	struct kcs_error err = KCS_ERROR_INIT;
	struct kcs_owners *t = kcs_owners_new();
	struct kcs_ownreader *r = kcs_ownreader_new(t, "ReplicaSet");
	int i;

	/* a name of exactly KCS_NAME_MAX bytes is kept */
	kcs_buf_addstr(&b, "{\"items\":[{\"metadata\":{\"name\":\"");
	for (i = 0; i < KCS_NAME_MAX; i++)
		kcs_buf_addch(&b, 'a');
	kcs_buf_addstr(&b, "\"}}]}");
	cr_assert_eq(read_all(r, b.buf, b.len, &err), KCS_OK, "%s", err.msg);
	cr_assert_eq(kcs_owners_count(t), 1);
	/* one byte more: LIMIT, at the end of the string */
	kcs_buf_reset(&b);
	kcs_buf_addstr(&b, "{\"items\":[{\"metadata\":{\"ownerReferences\":[{\"name\":\"");
	for (i = 0; i <= KCS_NAME_MAX; i++)
		kcs_buf_addch(&b, 'a');
	kcs_buf_addstr(&b, "\"}]}}]}");
	cr_assert_eq(kcs_ownreader_restart(r, &err), KCS_OK);
	cr_assert_eq(read_all(r, b.buf, b.len, &err), KCS_ERR_LIMIT);
	cr_assert(strstr(err.msg, "ownerReference name longer than 253"), "%s",
		  err.msg);
	cr_assert_eq(err.offset, (long long)(b.len - 6), "%lld", err.offset);
	/* a uid over KCS_UID_MAX */
	kcs_buf_reset(&b);
	kcs_error_clear(&err);
	kcs_buf_addstr(&b, "{\"items\":[{\"metadata\":{\"uid\":\"");
	for (i = 0; i <= KCS_UID_MAX; i++)
		kcs_buf_addch(&b, '7');
	kcs_buf_addstr(&b, "\"}}]}");
	cr_assert_eq(kcs_ownreader_restart(r, &err), KCS_OK);
	cr_assert_eq(read_all(r, b.buf, b.len, &err), KCS_ERR_LIMIT);
	cr_assert(strstr(err.msg, "uid longer than 128"), "%s", err.msg);
	cr_assert_null(strstr(err.msg, "777"));
	/* an ownerReference kind over 63 bytes */
	kcs_buf_reset(&b);
	kcs_error_clear(&err);
	kcs_buf_addstr(&b, "{\"items\":[{\"metadata\":{\"ownerReferences\":[{\"kind\":\"");
	for (i = 0; i <= KCS_KIND_NAME_MAX; i++)
		kcs_buf_addch(&b, 'K');
	kcs_buf_addstr(&b, "\"}]}}]}");
	cr_assert_eq(kcs_ownreader_restart(r, &err), KCS_OK);
	cr_assert_eq(read_all(r, b.buf, b.len, &err), KCS_ERR_LIMIT);
	cr_assert(strstr(err.msg, "kind longer than 63"), "%s", err.msg);
	/* nesting */
	kcs_buf_reset(&b);
	kcs_error_clear(&err);
	kcs_buf_addstr(&b, "{\"items\":[{\"metadata\":{\"ownerReferences\":[{\"x\":");
	for (i = 0; i < 64; i++)
		kcs_buf_addch(&b, '[');
	for (i = 0; i < 64; i++)
		kcs_buf_addch(&b, ']');
	kcs_buf_addstr(&b, "}]}}]}");
	cr_assert_eq(kcs_ownreader_restart(r, &err), KCS_OK);
	cr_assert_eq(read_all(r, b.buf, b.len, &err), KCS_ERR_LIMIT);
	cr_assert(strstr(err.msg, "deeper than 64"), "%s", err.msg);
	/* 6 frames (doc, items, item, metadata, refs, ref) + 58 arrays = 64 */
	cr_assert_eq(err.offset, 47 + 59, "%lld", err.offset);
	/* too many kinds marked */
	kcs_error_clear(&err);
	for (i = 0; i < KCS_OWNERS_MAX_KINDS; i++) {
		char k[16];

		snprintf(k, sizeof(k), "K%d", i);
		cr_assert_eq(kcs_owners_mark_listed(t, k, &err), KCS_OK);
	}
	cr_assert_eq(kcs_owners_mark_listed(t, "K0", &err), KCS_OK);
	cr_assert_eq(kcs_owners_mark_listed(t, "More", &err), KCS_ERR_LIMIT);
	cr_assert_null(kcs_ownreader_new(t, "ThisKindNameIsLongerThanSixtyThreeBytesWhichNoRealKubernetesKindIs"));
	kcs_ownreader_free(r);
	kcs_owners_free(t);
	kcs_buf_release(&b);
}

Test(owners, string_length_limit)
{
	size_t n = KCS_JSON_MAX_STRING + 16, len, off;
	char *d = malloc(n + 64);
	struct kcs_error err = KCS_ERROR_INIT;
	struct kcs_owners *t = kcs_owners_new();
	struct kcs_ownreader *r = kcs_ownreader_new(t, "Job");
	enum kcs_err rc = KCS_OK;

	cr_assert(d);
	len = (size_t)snprintf(d, 64, "{\"items\":[{\"metadata\":{\"labels\":\"");
	memset(d + len, 'x', n);
	len += n;
	memcpy(d + len, "\"}}]}", 5);
	len += 5;
	for (off = 0; off < len && !rc; off += 16384)
		rc = kcs_ownreader_feed(r, d + off,
					len - off < 16384 ? len - off : 16384, &err);
	cr_assert_eq(rc, KCS_ERR_LIMIT, "%s", err.msg);
	cr_assert_gt(err.offset, (long long)KCS_JSON_MAX_STRING);
	kcs_ownreader_free(r);
	kcs_owners_free(t);
	free(d);
}

/* Wrong bytes anywhere: never a crash, always an offset within the input. */
Test(owners, mangled_inputs)
{
	static const char subst[] = { '{', '}', '[', ']', '"', ',', ':', 't',
				      'n', '1' };
	struct tu_fixture fx[256];
	size_t n = tu_fixtures(FIXTURES, fx, 256), i, cut, k;

	for (i = 0; i < n; i++) {
		size_t len;
		char *data = tu_read_file(fx[i].rel, &len);
		char *copy = malloc(len + 1);

		cr_assert(copy);
		for (cut = 0; cut < len; cut++) {
			struct kcs_error err = KCS_ERROR_INIT;
			struct kcs_owners *t = kcs_owners_new();
			struct kcs_ownreader *r = kcs_ownreader_new(t, "Job");
			enum kcs_err rc = read_all(r, data, cut, &err);

			if (rc)
				cr_assert(err.offset >= 0 &&
					  (size_t)err.offset <= cut && err.msg[0],
					  "%s: prefix %zu offset %lld", fx[i].rel,
					  cut, err.offset);
			else
				cr_assert(strspn(data + cut, " \n") == len - cut,
					  "%s: prefix %zu accepted", fx[i].rel, cut);
			kcs_ownreader_free(r);
			kcs_owners_free(t);
		}
		for (cut = 0; cut < len; cut += 5) {
			for (k = 0; k < sizeof(subst); k++) {
				struct kcs_error err = KCS_ERROR_INIT;
				struct kcs_owners *t = kcs_owners_new();
				struct kcs_ownreader *r = kcs_ownreader_new(t, NULL);
				enum kcs_err rc;

				memcpy(copy, data, len);
				copy[cut] = subst[k];
				rc = read_all(r, copy, len, &err);
				if (rc)
					cr_assert(err.offset >= 0 &&
						  (size_t)err.offset <= len &&
						  err.msg[0]);
				kcs_ownreader_free(r);
				kcs_owners_free(t);
			}
		}
		free(copy);
		free(data);
	}
}

Test(owners, allocation_failures)
{
	size_t len;
	char *data = tu_read_file("testdata/owners/rs-metadata.json", &len);
	long n;
	int ok = 0;

	for (n = 0; n < 200 && !ok; n++) {
		struct kcs_error err = KCS_ERROR_INIT;
		struct kcs_owners *t;
		struct kcs_ownreader *r = NULL;
		enum kcs_err rc = KCS_ERR_NOMEM;

		kcs_alloc_fail_after(n);
		t = kcs_owners_new();
		if (t)
			r = kcs_ownreader_new(t, "ReplicaSet");
		if (r)
			rc = read_all(r, data, len, &err);
		kcs_alloc_fail_after(-1);
		if (rc == KCS_OK)
			ok = 1;
		else
			cr_assert_eq(rc, KCS_ERR_NOMEM, "n=%ld: %s", n, err.msg);
		kcs_ownreader_free(r);
		kcs_owners_free(t);
	}
	cr_assert(ok, "never succeeded");
	free(data);
}

/* Many objects: the table grows and every one is found again. */
Test(owners, many_objects)
{
	struct kcs_buf b = KCS_BUF_INIT(64u << 20);
	struct kcs_error err = KCS_ERROR_INIT;
	struct kcs_owners *t = kcs_owners_new();
	struct kcs_ownreader *r = kcs_ownreader_new(t, "ReplicaSet");
	char name[32], ns[16];
	int i, nobj = 50000;

	kcs_buf_addstr(&b, "{\"kind\":\"PartialObjectMetadataList\",\"items\":[");
	for (i = 0; i < nobj; i++)
		kcs_buf_addf(&b, "%s{\"metadata\":{\"name\":\"rs-%d\",\"namespace\":\"ns%d\","
			     "\"uid\":\"u%d\",\"ownerReferences\":[{\"kind\":\"Deployment\","
			     "\"name\":\"d-%d\",\"uid\":\"du%d\",\"controller\":true}]}}",
			     i ? "," : "", i, i % 37, i, i, i);
	kcs_buf_addstr(&b, "]}");
	cr_assert_eq(b.err, KCS_OK);
	cr_assert_eq(read_all(r, b.buf, b.len, &err), KCS_OK, "%s", err.msg);
	cr_assert_eq(kcs_owners_count(t), (size_t)nobj);
	for (i = 0; i < nobj; i += 97) {
		const struct kcs_owned *e;

		snprintf(name, sizeof(name), "rs-%d", i);
		snprintf(ns, sizeof(ns), "ns%d", i % 37);
		e = kcs_owners_find(t, "ReplicaSet", ns, strlen(ns), name,
				    strlen(name));
		cr_assert_not_null(e, "%s/%s", ns, name);
		snprintf(name, sizeof(name), "d-%d", i);
		cr_assert_str_eq(e->ctl_name, name);
	}
	snprintf(ns, sizeof(ns), "ns%d", 1 % 37 + 1);
	cr_assert_null(kcs_owners_find(t, "ReplicaSet", ns, strlen(ns), "rs-1", 4));
	kcs_ownreader_free(r);
	kcs_owners_free(t);
	kcs_buf_release(&b);
}

/* A pod read from a manifest is its manifest object's; the adapter agrees. */
Test(owners, manifest_and_adapter)
{
	struct kcs_owners *t = kcs_owners_new();
	struct kcs_pod pod;
	struct kcs_owner_top w;
	struct kcs_objref ref;

	kcs_pod_init(&pod);
	load_file(t, "testdata/owners/rs-metadata.json");
	make_pod(&pod, "shop", "web-x", "ReplicaSet", "web-6d4cf56db6", "");
	snprintf(pod.source.kind, sizeof(pod.source.kind), "Deployment");
	set_name(&pod.source.name, "web-from-chart");
	kcs_owners_resolve(t, &pod, &w);
	cr_assert_eq(w.how, KCS_OWN_MANIFEST);
	cr_assert_str_eq(w.ref.kind, "Deployment");
	cr_assert_str_eq(w.ref.name.s, "web-from-chart");
	cr_assert_eq(w.resolved, 1);
	/* kcs_owners_workload() is kcs_owners_resolve() as a kcs_workload_fn */
	memset(pod.source.kind, 0, sizeof(pod.source.kind));
	cr_assert_eq(kcs_owners_workload(&pod, &ref, t), 1);
	cr_assert_str_eq(ref.kind, "Deployment");
	cr_assert_str_eq(ref.name.s, "web");
	make_pod(&pod, "shop", "x", "ReplicaSet", "gone", "");
	cr_assert_eq(kcs_owners_workload(&pod, &ref, t), 0);
	cr_assert_str_eq(ref.kind, "ReplicaSet");
	cr_assert_str_eq(ref.name.s, "gone");
	cr_assert_eq(kcs_owners_workload(&pod, &ref, NULL), 0);
	kcs_pod_release(&pod);
	kcs_owners_free(t);
}

Test(owners, how_names)
{
	cr_assert_str_eq(kcs_owner_how_name(KCS_OWN_FOLLOWED), "FOLLOWED");
	cr_assert_str_eq(kcs_owner_how_name(KCS_OWN_OWNER_NOT_READ),
			 "OWNER_NOT_READ");
	cr_assert_str_eq(kcs_owner_how_name(KCS_OWN_UID_MISMATCH),
			 "UID_MISMATCH");
	cr_assert_str_eq(kcs_owner_how_name(KCS_OWN_STATIC), "STATIC");
}

/*
 * Canonical lowercase UUIDs are packed to 16 bytes and come back the same;
 * anything else (upper case, braces, wrong length or dashes) is kept as
 * text, byte for byte, and the two never match each other.
 */
Test(owners, uids_packed_and_kept)
{
	static const char *const uids[] = {
		"0f8e2a9c-1b3d-4e5f-8a7b-6c5d4e3f2a1b",
		"0F8E2A9C-1B3D-4E5F-8A7B-6C5D4E3F2A1B",
		"0f8e2a9c1b3d4e5f8a7b6c5d4e3f2a1b0000",
		"0f8e2a9c-1b3d-4e5f-8a7b-6c5d4e3f2a1",
		"0f8e2a9c-1b3d-4e5f-8a7b-6c5d4e3f2a1bb",
		"{f8e2a9c-1b3d-4e5f-8a7b-6c5d4e3f2a1b}",
		"0f8e2a9c-1b3d-4e5f-8a7b_6c5d4e3f2a1b",
		"0f8e2a9c-1b3d-4e5f-8a7b-6c5d4e3f2a1g",
		"",
		"u1",
	};
	struct kcs_buf b = KCS_BUF_INIT(1u << 20);
	struct kcs_error err = KCS_ERROR_INIT;
	struct kcs_owners *t = kcs_owners_new();
	struct kcs_ownreader *r = kcs_ownreader_new(t, "ReplicaSet");
	size_t i, n = KCS_ARRAY_SIZE(uids);
	char name[16];

	kcs_buf_addstr(&b, "{\"kind\":\"PartialObjectMetadataList\",\"items\":[");
	for (i = 0; i < n; i++)
		kcs_buf_addf(&b, "%s{\"metadata\":{\"name\":\"rs-%zu\","
			     "\"namespace\":\"n\",\"uid\":\"%s\","
			     "\"ownerReferences\":[{\"kind\":\"Deployment\","
			     "\"name\":\"d\",\"uid\":\"%s\",\"controller\":true}]}}",
			     i ? "," : "", i, uids[i], uids[n - 1 - i]);
	kcs_buf_addstr(&b, "]}");
	cr_assert_eq(b.err, KCS_OK);
	cr_assert_eq(read_all(r, b.buf, b.len, &err), KCS_OK, "%s", err.msg);
	cr_assert_eq(kcs_owners_count(t), n);
	for (i = 0; i < n; i++) {
		const struct kcs_owned *e;

		snprintf(name, sizeof(name), "rs-%zu", i);
		e = kcs_owners_find(t, "ReplicaSet", "n", 1, name,
				    strlen(name));
		cr_assert_not_null(e, "%s", name);
		cr_assert_eq(e->uid_len, strlen(uids[i]), "%s", name);
		cr_assert_str_eq(e->uid, uids[i]);
		cr_assert_eq(e->ctl_uid_len, strlen(uids[n - 1 - i]));
		cr_assert_str_eq(e->ctl_uid, uids[n - 1 - i]);
		cr_assert_str_eq(e->ctl_kind, "Deployment");
		cr_assert_str_eq(e->kind, "ReplicaSet");
		cr_assert_eq(e->ns_len, 1);
		cr_assert_str_eq(e->ns, "n");
	}
	kcs_ownreader_free(r);
	kcs_owners_free(t);
	kcs_buf_release(&b);
}

/*
 * A pod whose owner's uid differs from the table's only in case is another
 * object: packing must not make "A" and "a" the same uid.
 */
Test(owners, uid_case_is_not_folded)
{
	static const char doc[] =
		"{\"kind\":\"ReplicaSetList\",\"items\":[{\"metadata\":{"
		"\"name\":\"web-1\",\"namespace\":\"n\","
		"\"uid\":\"0f8e2a9c-1b3d-4e5f-8a7b-6c5d4e3f2a1b\","
		"\"ownerReferences\":[{\"kind\":\"Deployment\",\"name\":\"web\","
		"\"uid\":\"d\",\"controller\":true}]}}]}";
	struct kcs_error err = KCS_ERROR_INIT;
	struct kcs_owners *t = kcs_owners_new();
	struct kcs_ownreader *r = kcs_ownreader_new(t, NULL);
	const struct kcs_owned *e;

	cr_assert_eq(read_all(r, doc, sizeof(doc) - 1, &err), KCS_OK, "%s",
		     err.msg);
	e = kcs_owners_find(t, "ReplicaSet", "n", 1, "web-1", 5);
	cr_assert_not_null(e);
	cr_assert_str_eq(e->uid, "0f8e2a9c-1b3d-4e5f-8a7b-6c5d4e3f2a1b");
	cr_assert_str_neq(e->uid, "0F8E2A9C-1B3D-4E5F-8A7B-6C5D4E3F2A1B");
	kcs_ownreader_free(r);
	kcs_owners_free(t);
}

/*
 * A namesake rewritten in place (it fits) and one that needs new room
 * (it does not) both read back whole, with nothing of the earlier one
 * left over: a controller dropped stays dropped, a shorter uid is not
 * padded with the old one's tail.
 */
Test(owners, namesake_in_place_and_moved)
{
	struct kcs_owners *t = kcs_owners_new();
	const struct kcs_owned *e;

	load(t, "ReplicaSet",
	     "{'items':[{'metadata':{'name':'r','namespace':'n',"
	     "'uid':'a-long-uid-that-is-not-a-uuid',"
	     "'ownerReferences':[{'kind':'Deployment','name':'dep-long',"
	     "'uid':'0f8e2a9c-1b3d-4e5f-8a7b-6c5d4e3f2a1b','controller':true}]}},"
	     "{'metadata':{'name':'r','namespace':'n','uid':'short'}}]}");
	cr_assert_eq(kcs_owners_count(t), 1);
	e = kcs_owners_find(t, "ReplicaSet", "n", 1, "r", 1);
	cr_assert_not_null(e);
	cr_assert_str_eq(e->uid, "short");
	cr_assert_eq(e->uid_len, 5);
	cr_assert_not(e->has_controller);
	cr_assert_str_empty(e->ctl_kind);
	cr_assert_eq(e->ctl_name_len, 0);
	cr_assert_eq(e->ctl_uid_len, 0);
	load(t, "ReplicaSet",
	     "{'items':[{'metadata':{'name':'r','namespace':'n',"
	     "'uid':'a-much-longer-uid-than-any-before-it-was-here',"
	     "'ownerReferences':[{'kind':'Deployment','name':'dep-longer-still',"
	     "'uid':'UPPER-CASE-UID','controller':true}]}}]}");
	cr_assert_eq(kcs_owners_count(t), 1);
	e = kcs_owners_find(t, "ReplicaSet", "n", 1, "r", 1);
	cr_assert_not_null(e);
	cr_assert_str_eq(e->uid, "a-much-longer-uid-than-any-before-it-was-here");
	cr_assert(e->has_controller);
	cr_assert_str_eq(e->ctl_kind, "Deployment");
	cr_assert_str_eq(e->ctl_name, "dep-longer-still");
	cr_assert_str_eq(e->ctl_uid, "UPPER-CASE-UID");
	kcs_owners_free(t);
}
