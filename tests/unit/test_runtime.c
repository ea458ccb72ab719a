/*
 * test_runtime.c - node / RuntimeClass tables and runtime-aware exposure
 * (runtime.c).
 *
 * Readers: every fixture under testdata/runtime/ (globbed at run time;
 * "nodes-*" go to the node reader, "classes-*" to the RuntimeClass reader)
 * is read whole, compared with its .golden trace, then read again at every
 * chunk size 1..64 and at random split points (testutil's chunk-split
 * rig): each trace must equal the whole-read one byte for byte, errors and
 * offsets included.
 *
 * Exposure: a table of cases written from semantics.md, and an exhaustive
 * cross-check against a second, independent model of containerd, CRI-O and
 * Docker that works on the capability *strings* the way their Go code does
 * (semantics.md 1.1-1.4), not on the bit classes runtime.c uses.
 *
 * Random splits use a seed printed on failure; KCS_TEST_SEED=<n> replays.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include "kcs/alloc.h"
#include "kcs/audit.h"
#include "kcs/buf.h"
#include "kcs/runtime.h"
#include "testutil.h"

/* Every fixture of the chunked test. */
#define FIXTURES "testdata/runtime/*.json"

/* ---- helpers ------------------------------------------------------------ */

static void esc_opt(struct kcs_buf *b, const char *s)
{
	if (s)
		tu_esc(b, s, strlen(s));
	else
		kcs_buf_addch(b, '-');
}

static int cmp_node(const void *a, const void *b)
{
	const struct kcs_node *x = *(const struct kcs_node *const *)a;
	const struct kcs_node *y = *(const struct kcs_node *const *)b;
	size_t n = x->name_len < y->name_len ? x->name_len : y->name_len;
	int c = memcmp(x->name, y->name, n);

	return c ? c : (x->name_len > y->name_len) - (x->name_len < y->name_len);
}

static int cmp_class(const void *a, const void *b)
{
	const struct kcs_rtclass *x = *(const struct kcs_rtclass *const *)a;
	const struct kcs_rtclass *y = *(const struct kcs_rtclass *const *)b;
	size_t n = x->name_len < y->name_len ? x->name_len : y->name_len;
	int c = memcmp(x->name, y->name, n);

	return c ? c : (x->name_len > y->name_len) - (x->name_len < y->name_len);
}

static void trace_nodes(struct kcs_buf *b, const struct kcs_nodes *t)
{
	const struct kcs_node *v[256], *n;
	struct kcs_runtime_count *rows = NULL;
	struct kcs_error err = KCS_ERROR_INIT;
	size_t pos = 0, k = 0, i, nrows = 0;

	while ((n = kcs_nodes_next(t, &pos)))
		if (k < KCS_ARRAY_SIZE(v))
			v[k++] = n;
	cr_assert_eq(k, kcs_nodes_count(t));
	qsort(v, k, sizeof(v[0]), cmp_node);
	kcs_buf_addf(b, "nodes=%zu nameless=%zu\n", k, kcs_nodes_nameless(t));
	for (i = 0; i < k; i++) {
		n = v[i];
		kcs_buf_addstr(b, "node ");
		tu_esc(b, n->name, n->name_len);
		kcs_buf_addf(b, " runtime=%s version=", kcs_runtime_name(n->runtime));
		esc_opt(b, n->version);
		kcs_buf_addstr(b, " text=");
		esc_opt(b, n->runtime_text);
		kcs_buf_addf(b, " os=%s label=", kcs_node_os_name(n->os));
		esc_opt(b, n->os_label);
		kcs_buf_addstr(b, " beta=");
		esc_opt(b, n->beta_os_label);
		kcs_buf_addstr(b, " info=");
		esc_opt(b, n->info_os);
		kcs_buf_addf(b, " malformed=%d\n", n->malformed);
		cr_assert_eq(kcs_nodes_find(t, n->name, n->name_len), n);
	}
	cr_assert_eq(kcs_nodes_summary(t, &rows, &nrows, &err), KCS_OK);
	for (i = 0; i < nrows; i++) {
		kcs_buf_addf(b, "summary %s ", kcs_runtime_name(rows[i].runtime));
		esc_opt(b, rows[i].version);
		kcs_buf_addf(b, " nodes=%zu\n", rows[i].nodes);
	}
	kcs_free(rows);
}

static void trace_classes(struct kcs_buf *b, const struct kcs_rtclasses *t)
{
	const struct kcs_rtclass *v[256], *c;
	size_t pos = 0, k = 0, i;

	while ((c = kcs_rtclasses_next(t, &pos)))
		if (k < KCS_ARRAY_SIZE(v))
			v[k++] = c;
	cr_assert_eq(k, kcs_rtclasses_count(t));
	qsort(v, k, sizeof(v[0]), cmp_class);
	kcs_buf_addf(b, "classes=%zu nameless=%zu\n", k,
		     kcs_rtclasses_nameless(t));
	for (i = 0; i < k; i++) {
		c = v[i];
		kcs_buf_addstr(b, "class ");
		tu_esc(b, c->name, c->name_len);
		kcs_buf_addstr(b, " handler=");
		esc_opt(b, c->handler);
		kcs_buf_addf(b, " malformed=%d\n", c->malformed);
		cr_assert_eq(kcs_rtclasses_find(t, c->name, c->name_len), c);
	}
}

static void trace_info(struct kcs_buf *b, const struct kcs_doc_info *in)
{
	size_t i;

	kcs_buf_addstr(b, "info kind=");
	esc_opt(b, in->kind);
	kcs_buf_addstr(b, " continue=");
	tu_esc(b, in->continue_token.buf, in->continue_token.len);
	kcs_buf_addstr(b, " rv=");
	esc_opt(b, in->resource_version);
	kcs_buf_addf(b, " remaining=%lld list=%d skipped=%zu", in->remaining_items,
		     in->is_list, in->n_skipped);
	for (i = 0; i < in->n_skipped_kinds; i++) {
		kcs_buf_addstr(b, " skippedKind=");
		esc_opt(b, in->skipped_kinds[i]);
	}
	kcs_buf_addch(b, '\n');
	if (in->status.present) {
		kcs_buf_addf(b, "status code=%lld status=", in->status.code);
		esc_opt(b, in->status.status);
		kcs_buf_addstr(b, " reason=");
		esc_opt(b, in->status.reason);
		kcs_buf_addstr(b, " message=");
		esc_opt(b, in->status.message);
		kcs_buf_addch(b, '\n');
	}
}

static enum kcs_err feed(void *r, const char *data, size_t len,
			 struct kcs_error *err)
{
	return kcs_rtreader_feed(r, data, len, err);
}

static int is_nodes(const char *rel)
{
	const char *base = strrchr(rel, '/');

	return !strncmp(base ? base + 1 : rel, "nodes-", 6);
}

/* One read of the fixture `ctx` (a struct tu_fixture), cut as `cut` says. */
static enum kcs_err run(void *ctx, const struct tu_cut *cut,
			struct kcs_buf *b, struct kcs_error *err)
{
	const struct tu_fixture *fx = ctx;
	struct kcs_nodes *nodes = kcs_nodes_new();
	struct kcs_rtclasses *classes = kcs_rtclasses_new();
	struct kcs_rtreader *r;
	enum kcs_err rc;

	cr_assert(nodes && classes);
	r = is_nodes(fx->rel) ? kcs_rtreader_new_nodes(nodes)
			      : kcs_rtreader_new_classes(classes);
	cr_assert(r);
	rc = tu_cut_feed(cut, feed, r, err);
	if (!rc)
		rc = kcs_rtreader_finish(r, err);
	kcs_buf_addf(b, "result rc=%s offset=%lld msg=%s\n", kcs_err_name(rc),
		     rc ? err->offset : -1, rc ? err->msg : "");
	if (!rc)
		trace_info(b, kcs_rtreader_info(r));
	if (is_nodes(fx->rel))
		trace_nodes(b, nodes);
	else
		trace_classes(b, classes);
	kcs_rtreader_free(r);
	kcs_nodes_free(nodes);
	kcs_rtclasses_free(classes);
	return rc;
}

/* ---- fixtures ----------------------------------------------------------- */

ParameterizedTestParameters(runtime, chunked)
{
	struct tu_fixture *fx = cr_malloc(256 * sizeof(*fx));
	size_t n = tu_fixtures(FIXTURES, fx, 256);

	return cr_make_param_array(struct tu_fixture, fx, n, tu_free_params);
}

ParameterizedTest(struct tu_fixture *fx, runtime, chunked)
{
	tu_split_fixture(fx->rel, run, fx, tu_pieces_small);
}

Test(runtime, fixtures_found)
{
	struct tu_fixture fx[256];
	size_t n = tu_fixtures(FIXTURES, fx, 256), i, nodes = 0, classes = 0;

	for (i = 0; i < n; i++)
		*(is_nodes(fx[i].rel) ? &nodes : &classes) += 1;
	cr_assert_geq(nodes, 10);
	cr_assert_geq(classes, 2);
}

/* ---- classification ----------------------------------------------------- */

Test(runtime, classify)
{
	static const struct {
		const char *in;
		enum kcs_runtime rt;
		size_t voff;
	} cases[] = {
		{ "containerd://1.7.20", KCS_RT_CONTAINERD, 13 },
		{ "containerd://2.0.0-rc.3", KCS_RT_CONTAINERD, 13 },
		{ "containerd://", KCS_RT_CONTAINERD, 13 },
		{ "cri-o://1.30.4", KCS_RT_CRIO, 8 },
		{ "docker://27.1.1", KCS_RT_DOCKER, 9 },
		{ "", KCS_RT_UNKNOWN, 0 },
		{ "frakti://0.3", KCS_RT_OTHER, 0 },
		{ "remote://1", KCS_RT_OTHER, 0 },
		/* the scheme is compared exactly: none of these is known */
		{ "Containerd://1.7.20", KCS_RT_OTHER, 0 },
		{ "containerd:1.7.20", KCS_RT_OTHER, 0 },
		{ "containerd", KCS_RT_OTHER, 0 },
		{ "crio://1.30", KCS_RT_OTHER, 0 },
		{ " docker://27", KCS_RT_OTHER, 0 },
	};
	size_t i, v;

	for (i = 0; i < KCS_ARRAY_SIZE(cases); i++) {
		enum kcs_runtime rt = kcs_runtime_classify(
			cases[i].in, strlen(cases[i].in), &v);

		cr_expect_eq(rt, cases[i].rt, "%s", cases[i].in);
		cr_expect_eq(v, cases[i].voff, "%s", cases[i].in);
	}
	cr_assert_eq(kcs_runtime_classify("containerd://1", 14, NULL),
		     KCS_RT_CONTAINERD);
	cr_assert_str_eq(kcs_runtime_name(KCS_RT_CRIO), "cri-o");
	cr_assert_str_eq(kcs_runtime_name(KCS_RT_CONTAINERD), "containerd");
	cr_assert_str_eq(kcs_runtime_name(KCS_RT_DOCKER), "docker");
	cr_assert_str_eq(kcs_runtime_name(KCS_RT_OTHER), "other");
	cr_assert_str_eq(kcs_runtime_name(KCS_RT_UNKNOWN), "unknown");
}

/* ---- loading tables from inline JSON ------------------------------------ */

static struct kcs_nodes *load_nodes(const char *json)
{
	struct kcs_error err = KCS_ERROR_INIT;
	struct kcs_nodes *t = kcs_nodes_new();
	struct kcs_rtreader *r = kcs_rtreader_new_nodes(t);
	size_t len;
	char *d = tu_jq(json, &len);

	cr_assert(t && r);
	cr_assert_eq(kcs_rtreader_feed(r, d, len, &err), KCS_OK, "%s", err.msg);
	cr_assert_eq(kcs_rtreader_finish(r, &err), KCS_OK, "%s", err.msg);
	kcs_rtreader_free(r);
	free(d);
	return t;
}

static struct kcs_rtclasses *load_classes(const char *json)
{
	struct kcs_error err = KCS_ERROR_INIT;
	struct kcs_rtclasses *t = kcs_rtclasses_new();
	struct kcs_rtreader *r = kcs_rtreader_new_classes(t);
	size_t len;
	char *d = tu_jq(json, &len);

	cr_assert(t && r);
	cr_assert_eq(kcs_rtreader_feed(r, d, len, &err), KCS_OK, "%s", err.msg);
	cr_assert_eq(kcs_rtreader_finish(r, &err), KCS_OK, "%s", err.msg);
	kcs_rtreader_free(r);
	free(d);
	return t;
}

#define NODE(n, crv, os) \
	"{'metadata':{'name':'" n "','labels':{'kubernetes.io/os':'" os \
	"'}},'status':{'nodeInfo':{'containerRuntimeVersion':'" crv \
	"','operatingSystem':'" os "'}}}"

static const char *const cluster_nodes =
	"{'kind':'NodeList','items':["
	NODE("ctrd", "containerd://1.7.20", "linux") ","
	NODE("crio", "cri-o://1.30.4", "linux") ","
	NODE("crio-old", "cri-o://1.17.4", "linux") ","
	NODE("crio-odd", "cri-o://v1.x", "linux") ","
	NODE("docker", "docker://27.1.1", "linux") ","
	NODE("win", "containerd://1.7.20", "windows") ","
	NODE("other", "frakti://0.3", "linux") ","
	NODE("no-rt", "", "linux") ","
	"{'metadata':{'name':'conflict','labels':{'kubernetes.io/os':'windows'}},"
	"'status':{'nodeInfo':{'containerRuntimeVersion':'containerd://1.7.20',"
	"'operatingSystem':'linux'}}},"
	"{'metadata':{'name':'broken'},'status':{'nodeInfo':"
	"{'containerRuntimeVersion':true}}}"
	"]}";

static const char *const cluster_classes =
	"{'kind':'RuntimeClassList','items':["
	"{'metadata':{'name':'runc'},'handler':'runc'},"
	"{'metadata':{'name':'gvisor'},'handler':'runsc'},"
	"{'metadata':{'name':'gke'},'handler':'gvisor'},"
	"{'metadata':{'name':'sandboxed'},'handler':'RunSC-debug'},"
	"{'metadata':{'name':'kata'},'handler':'kata-qemu'},"
	"{'metadata':{'name':'bad'},'handler':7}"
	"]}";

/* ---- a container from capability strings -------------------------------- */

#define MAXTOK 4

struct spec {
	int privileged;
	int has_sc, has_caps;
	const char *add[MAXTOK];
	const char *drop[MAXTOK];
	int malformed;
};

static unsigned classify_list(const char *const *l)
{
	unsigned bits = 0;
	size_t i;

	for (i = 0; i < MAXTOK && l[i]; i++)
		bits |= kcs_cap_classify(l[i], strlen(l[i]));
	return bits;
}

static void make_pod(struct kcs_pod *pod, const struct spec *s,
		     const char *node, const char *rtclass, int os_set,
		     int windows)
{
	struct kcs_error err = KCS_ERROR_INIT;
	struct kcs_container *c;

	kcs_pod_reset(pod);
	snprintf(pod->name.s, sizeof(pod->name.s), "p");
	pod->name.len = 1;
	pod->node_name.len = strlen(node);
	memcpy(pod->node_name.s, node, pod->node_name.len + 1);
	pod->runtime_class.len = strlen(rtclass);
	memcpy(pod->runtime_class.s, rtclass, pod->runtime_class.len + 1);
	pod->os_set = (unsigned char)os_set;
	pod->windows = (unsigned char)windows;
	c = kcs_pod_add_container(pod, KCS_CTYPE_CONTAINER, &err);
	cr_assert(c);
	c->privileged = (unsigned char)s->privileged;
	c->has_sc = (unsigned char)(s->has_sc || s->has_caps || s->privileged ||
				    s->add[0] || s->drop[0]);
	c->has_caps = (unsigned char)(s->has_caps || s->add[0] || s->drop[0]);
	c->add = classify_list(s->add);
	c->drop = classify_list(s->drop);
	c->malformed = (unsigned char)s->malformed;
	kcs_audit_pod(pod);
}

/* ---- the exposure table ------------------------------------------------- */

struct xcase {
	const char *what;
	struct spec spec;
	const char *node;    /* "" not scheduled; "?" nodes unreadable */
	const char *rtclass; /* "" none; "?" classes unreadable */
	int os_set, windows;
	enum kcs_exposure want;
	enum kcs_exposure_reason why;
	unsigned flags;
};

#define NOSC { 0, 0, 0, { NULL }, { NULL }, 0 }
#define DROP(...) { 0, 1, 1, { NULL }, { __VA_ARGS__ }, 0 }
#define ADD_DROP(a, d) { 0, 1, 1, { a }, { d }, 0 }
#define PRIV_DROP_ALL { 1, 1, 1, { NULL }, { "ALL" }, 0 }

static const struct xcase xcases[] = {
	/* no securityContext: the runtime's default set decides */
	{ "nosc containerd", NOSC, "ctrd", "", 0, 0, KCS_X_EXPOSED,
	  KCS_XR_RUNTIME_DEFAULT, 0 },
	{ "nosc cri-o", NOSC, "crio", "", 0, 0, KCS_X_WARN,
	  KCS_XR_CRIO_DEFAULT_EXCLUDES_NET_RAW, 0 },
	{ "nosc cri-o 1.17 (default had NET_RAW)", NOSC, "crio-old", "", 0, 0,
	  KCS_X_EXPOSED, KCS_XR_RUNTIME_DEFAULT, 0 },
	{ "nosc cri-o odd version", NOSC, "crio-odd", "", 0, 0, KCS_X_WARN,
	  KCS_XR_CRIO_DEFAULT_EXCLUDES_NET_RAW, 0 },
	{ "nosc docker", NOSC, "docker", "", 0, 0, KCS_X_EXPOSED,
	  KCS_XR_RUNTIME_DEFAULT, 0 },
	{ "drop CHOWN containerd", DROP("CHOWN"), "ctrd", "", 0, 0,
	  KCS_X_EXPOSED, KCS_XR_RUNTIME_DEFAULT, 0 },
	/* the prefixed drop */
	{ "drop CAP_NET_RAW containerd", DROP("CAP_NET_RAW"), "ctrd", "", 0, 0,
	  KCS_X_EXPOSED, KCS_XR_DROP_PREFIXED_IGNORED, 0 },
	{ "drop cap_net_raw containerd", DROP("cap_net_raw"), "ctrd", "", 0, 0,
	  KCS_X_EXPOSED, KCS_XR_DROP_PREFIXED_IGNORED, 0 },
	{ "drop CAP_NET_RAW cri-o", DROP("CAP_NET_RAW"), "crio", "", 0, 0,
	  KCS_X_WARN, KCS_XR_DROP_PREFIXED_HONOURED, 0 },
	{ "drop CAP_NET_RAW docker", DROP("CAP_NET_RAW"), "docker", "", 0, 0,
	  KCS_X_WARN, KCS_XR_DROP_PREFIXED_HONOURED, 0 },
	{ "drop CAP_NET_RAW unscheduled", DROP("CAP_NET_RAW"), "", "", 0, 0,
	  KCS_X_UNKNOWN, KCS_XR_NOT_SCHEDULED, 0 },
	/* spec PASS: never exposed, wherever it runs */
	{ "drop ALL containerd", DROP("ALL"), "ctrd", "", 0, 0,
	  KCS_X_NOT_EXPOSED, KCS_XR_SPEC_DROPS, 0 },
	{ "drop all docker", DROP("all"), "docker", "", 0, 0,
	  KCS_X_NOT_EXPOSED, KCS_XR_SPEC_DROPS, 0 },
	{ "drop NET_RAW cri-o", DROP("NET_RAW"), "crio", "", 0, 0,
	  KCS_X_NOT_EXPOSED, KCS_XR_SPEC_DROPS, 0 },
	{ "drop ALL unscheduled", DROP("ALL"), "", "", 0, 0,
	  KCS_X_NOT_EXPOSED, KCS_XR_SPEC_DROPS, 0 },
	{ "drop ALL nodes unreadable", DROP("ALL"), "?", "", 0, 0,
	  KCS_X_NOT_EXPOSED, KCS_XR_SPEC_DROPS, 0 },
	{ "drop ALL gvisor", DROP("ALL"), "ctrd", "gvisor", 0, 0,
	  KCS_X_NOT_EXPOSED, KCS_XR_SPEC_DROPS, KCS_XF_SANDBOXED },
	{ "drop ALL unknown runtime", DROP("ALL"), "other", "", 0, 0,
	  KCS_X_NOT_EXPOSED, KCS_XR_SPEC_DROPS, 0 },
	/* privileged */
	{ "privileged containerd", PRIV_DROP_ALL, "ctrd", "", 0, 0,
	  KCS_X_EXPOSED, KCS_XR_PRIVILEGED, 0 },
	{ "privileged cri-o", PRIV_DROP_ALL, "crio", "", 0, 0, KCS_X_EXPOSED,
	  KCS_XR_PRIVILEGED, 0 },
	{ "privileged docker", PRIV_DROP_ALL, "docker", "", 0, 0,
	  KCS_X_EXPOSED, KCS_XR_PRIVILEGED, 0 },
	{ "privileged unscheduled", PRIV_DROP_ALL, "", "", 0, 0,
	  KCS_X_EXPOSED, KCS_XR_PRIVILEGED, 0 },
	{ "privileged other runtime", PRIV_DROP_ALL, "other", "", 0, 0,
	  KCS_X_EXPOSED, KCS_XR_PRIVILEGED, 0 },
	{ "privileged gvisor", PRIV_DROP_ALL, "ctrd", "gvisor", 0, 0,
	  KCS_X_WARN, KCS_XR_SANDBOXED, KCS_XF_SANDBOXED },
	/* adds */
	{ "add NET_RAW containerd", ADD_DROP("NET_RAW", NULL), "ctrd", "", 0, 0,
	  KCS_X_EXPOSED, KCS_XR_ADDED, 0 },
	{ "add NET_RAW drop ALL cri-o", ADD_DROP("NET_RAW", "ALL"), "crio", "",
	  0, 0, KCS_X_EXPOSED, KCS_XR_ADDED, 0 },
	{ "add NET_RAW drop ALL unscheduled", ADD_DROP("NET_RAW", "ALL"), "",
	  "", 0, 0, KCS_X_EXPOSED, KCS_XR_ADDED, 0 },
	{ "add+drop NET_RAW containerd", ADD_DROP("NET_RAW", "NET_RAW"), "ctrd",
	  "", 0, 0, KCS_X_WARN, KCS_XR_ADD_UNDONE, 0 },
	{ "add+drop NET_RAW cri-o", ADD_DROP("NET_RAW", "NET_RAW"), "crio", "",
	  0, 0, KCS_X_WARN, KCS_XR_ADD_UNDONE, 0 },
	{ "add+drop NET_RAW docker: add wins", ADD_DROP("NET_RAW", "NET_RAW"),
	  "docker", "", 0, 0, KCS_X_EXPOSED, KCS_XR_ADDED, 0 },
	{ "add+drop NET_RAW unscheduled", ADD_DROP("NET_RAW", "NET_RAW"), "", "",
	  0, 0, KCS_X_UNKNOWN, KCS_XR_NOT_SCHEDULED, 0 },
	{ "add ALL drop ALL containerd", ADD_DROP("ALL", "ALL"), "ctrd", "", 0,
	  0, KCS_X_WARN, KCS_XR_ADD_UNDONE, 0 },
	{ "add ALL drop ALL docker", ADD_DROP("ALL", "ALL"), "docker", "", 0, 0,
	  KCS_X_EXPOSED, KCS_XR_ADDED, 0 },
	{ "add ALL drop NET_RAW: removed everywhere", ADD_DROP("ALL", "NET_RAW"),
	  "", "", 0, 0, KCS_X_WARN, KCS_XR_ADD_UNDONE, 0 },
	{ "add CAP_NET_RAW drop ALL containerd", ADD_DROP("CAP_NET_RAW", "ALL"),
	  "ctrd", "", 0, 0, KCS_X_WARN, KCS_XR_PREFIXED_ADD_IGNORED, 0 },
	{ "add CAP_NET_RAW drop ALL cri-o", ADD_DROP("CAP_NET_RAW", "ALL"),
	  "crio", "", 0, 0, KCS_X_EXPOSED, KCS_XR_ADDED, 0 },
	{ "add CAP_NET_RAW containerd (default keeps it)",
	  ADD_DROP("CAP_NET_RAW", NULL), "ctrd", "", 0, 0, KCS_X_EXPOSED,
	  KCS_XR_RUNTIME_DEFAULT, 0 },
	{ "add NET_RAW drop CAP_NET_RAW cri-o", ADD_DROP("NET_RAW", "CAP_NET_RAW"),
	  "crio", "", 0, 0, KCS_X_WARN, KCS_XR_ADD_UNDONE, 0 },
	/* Windows */
	{ "windows node, os unset", NOSC, "win", "", 0, 0,
	  KCS_X_NOT_APPLICABLE, KCS_XR_WINDOWS_NODE, KCS_XF_OS_INFERRED },
	{ "windows node, privileged, os unset", PRIV_DROP_ALL, "win", "", 0, 0,
	  KCS_X_NOT_APPLICABLE, KCS_XR_WINDOWS_NODE, KCS_XF_OS_INFERRED },
	{ "windows node, os linux", NOSC, "win", "", 1, 0, KCS_X_UNKNOWN,
	  KCS_XR_OS_MISMATCH, 0 },
	{ "windows pod", NOSC, "ctrd", "", 1, 1, KCS_X_NOT_APPLICABLE,
	  KCS_XR_WINDOWS_POD, 0 },
	{ "windows pod unscheduled", NOSC, "", "", 1, 1, KCS_X_NOT_APPLICABLE,
	  KCS_XR_WINDOWS_POD, 0 },
	{ "os labels disagree: never windows", NOSC, "conflict", "", 0, 0,
	  KCS_X_EXPOSED, KCS_XR_RUNTIME_DEFAULT, 0 },
	/* the node or runtime unknown */
	{ "nosc unscheduled", NOSC, "", "", 0, 0, KCS_X_UNKNOWN,
	  KCS_XR_NOT_SCHEDULED, 0 },
	{ "nosc node missing", NOSC, "gone", "", 0, 0, KCS_X_UNKNOWN,
	  KCS_XR_NODE_NOT_FOUND, 0 },
	{ "nosc nodes unreadable", NOSC, "?", "", 0, 0, KCS_X_UNKNOWN,
	  KCS_XR_NODES_UNREADABLE, 0 },
	{ "nosc other runtime", NOSC, "other", "", 0, 0, KCS_X_UNKNOWN,
	  KCS_XR_RUNTIME_NOT_RECOGNISED, 0 },
	{ "nosc runtime not reported", NOSC, "no-rt", "", 0, 0, KCS_X_UNKNOWN,
	  KCS_XR_RUNTIME_NOT_REPORTED, 0 },
	{ "nosc node malformed", NOSC, "broken", "", 0, 0, KCS_X_UNKNOWN,
	  KCS_XR_NODE_MALFORMED, 0 },
	{ "malformed spec", { 0, 1, 1, { NULL }, { "ALL" }, 1 }, "ctrd", "", 0,
	  0, KCS_X_UNKNOWN, KCS_XR_SPEC_MALFORMED, 0 },
	/* gVisor and other handlers */
	{ "gvisor runsc", NOSC, "ctrd", "gvisor", 0, 0, KCS_X_WARN,
	  KCS_XR_SANDBOXED, KCS_XF_SANDBOXED },
	{ "gke handler gvisor", NOSC, "ctrd", "gke", 0, 0, KCS_X_WARN,
	  KCS_XR_SANDBOXED, KCS_XF_SANDBOXED },
	{ "handler RunSC-debug", NOSC, "ctrd", "sandboxed", 0, 0, KCS_X_WARN,
	  KCS_XR_SANDBOXED, KCS_XF_SANDBOXED },
	{ "gvisor unscheduled", NOSC, "", "gvisor", 0, 0, KCS_X_WARN,
	  KCS_XR_SANDBOXED, KCS_XF_SANDBOXED },
	{ "gvisor-named class not found", NOSC, "ctrd", "my-gVisor", 0, 0,
	  KCS_X_WARN, KCS_XR_SANDBOXED,
	  KCS_XF_SANDBOXED | KCS_XF_HANDLER_UNKNOWN },
	{ "kata handler is no sandbox here", NOSC, "ctrd", "kata", 0, 0,
	  KCS_X_EXPOSED, KCS_XR_RUNTIME_DEFAULT, 0 },
	{ "runc handler", NOSC, "docker", "runc", 0, 0, KCS_X_EXPOSED,
	  KCS_XR_RUNTIME_DEFAULT, 0 },
	{ "class not found", NOSC, "ctrd", "mystery", 0, 0, KCS_X_EXPOSED,
	  KCS_XR_RUNTIME_DEFAULT, KCS_XF_HANDLER_UNKNOWN },
	{ "class malformed", NOSC, "ctrd", "bad", 0, 0, KCS_X_EXPOSED,
	  KCS_XR_RUNTIME_DEFAULT, KCS_XF_HANDLER_UNKNOWN },
	{ "classes unreadable", NOSC, "ctrd", "?", 0, 0, KCS_X_EXPOSED,
	  KCS_XR_RUNTIME_DEFAULT, KCS_XF_HANDLER_UNKNOWN },
};

Test(runtime, exposure_table)
{
	struct kcs_nodes *nodes = load_nodes(cluster_nodes);
	struct kcs_rtclasses *classes = load_classes(cluster_classes);
	struct kcs_pod pod;
	size_t i;

	kcs_pod_init(&pod);
	for (i = 0; i < KCS_ARRAY_SIZE(xcases); i++) {
		const struct xcase *x = &xcases[i];
		struct kcs_pod_runtime where;
		struct kcs_container_exposure got;
		int no_nodes = !strcmp(x->node, "?");
		int no_classes = !strcmp(x->rtclass, "?");
		enum kcs_verdict spec;

		make_pod(&pod, &x->spec, no_nodes ? "n" : x->node,
			 no_classes ? "c" : x->rtclass, x->os_set, x->windows);
		spec = pod.containers[0].verdict;
		kcs_runtime_pod(no_nodes ? NULL : nodes,
				no_classes ? NULL : classes, &pod, &where);
		kcs_runtime_exposure(&pod, &where, &pod.containers[0], &got);
		cr_expect_eq(got.effective, x->want, "%s: effective %s, want %s",
			     x->what, kcs_exposure_name(got.effective),
			     kcs_exposure_name(x->want));
		cr_expect_eq(got.reason, x->why, "%s: reason %s, want %s",
			     x->what, kcs_exposure_reason_name(got.reason),
			     kcs_exposure_reason_name(x->why));
		cr_expect_eq(got.flags, x->flags, "%s: flags %#x, want %#x",
			     x->what, got.flags, x->flags);
		/* the spec verdict is never touched */
		cr_expect_eq(pod.containers[0].verdict, spec, "%s", x->what);
		/* and a spec FAIL is never NOT_EXPOSED */
		if (spec == KCS_VERDICT_FAIL)
			cr_expect_neq(got.effective, KCS_X_NOT_EXPOSED, "%s",
				      x->what);
	}
	kcs_pod_release(&pod);
	kcs_nodes_free(nodes);
	kcs_rtclasses_free(classes);
}

/* An exempt container is judged by what it runs with, not by policy. */
Test(runtime, exempt_is_still_exposed)
{
	struct kcs_nodes *nodes = load_nodes(cluster_nodes);
	struct spec s = NOSC;
	struct kcs_pod pod;
	struct kcs_pod_runtime where;
	struct kcs_container_exposure got;

	kcs_pod_init(&pod);
	make_pod(&pod, &s, "ctrd", "", 0, 0);
	pod.containers[0].verdict = KCS_VERDICT_EXEMPT;
	kcs_runtime_pod(nodes, NULL, &pod, &where);
	kcs_runtime_exposure(&pod, &where, &pod.containers[0], &got);
	cr_assert_eq(got.effective, KCS_X_EXPOSED);
	cr_assert_eq(got.reason, KCS_XR_RUNTIME_DEFAULT);
	pod.containers[0].verdict = KCS_VERDICT_UNKNOWN;
	kcs_runtime_exposure(&pod, &where, &pod.containers[0], &got);
	cr_assert_eq(got.effective, KCS_X_UNKNOWN);
	cr_assert_eq(got.reason, KCS_XR_SPEC_UNKNOWN);
	kcs_pod_release(&pod);
	kcs_nodes_free(nodes);
}

Test(runtime, pod_placement)
{
	struct kcs_nodes *nodes = load_nodes(cluster_nodes);
	struct kcs_rtclasses *classes = load_classes(cluster_classes);
	struct spec s = NOSC;
	struct kcs_pod pod;
	struct kcs_pod_runtime w;

	kcs_pod_init(&pod);
	make_pod(&pod, &s, "crio", "kata", 0, 0);
	kcs_runtime_pod(nodes, classes, &pod, &w);
	cr_assert_eq(w.node_state, KCS_NODE_KNOWN);
	cr_assert_str_eq(w.node->name, "crio");
	cr_assert_eq(w.node->runtime, KCS_RT_CRIO);
	cr_assert_str_eq(w.node->version, "1.30.4");
	cr_assert_eq(w.handler_state, KCS_HANDLER_KNOWN);
	cr_assert_str_eq(w.handler, "kata-qemu");
	cr_assert_eq(w.sandboxed, 0);

	make_pod(&pod, &s, "", "", 0, 0);
	kcs_runtime_pod(nodes, classes, &pod, &w);
	cr_assert_eq(w.node_state, KCS_NODE_NOT_SCHEDULED);
	cr_assert_null(w.node);
	cr_assert_eq(w.handler_state, KCS_HANDLER_DEFAULT);
	cr_assert_null(w.handler);

	make_pod(&pod, &s, "ctrd", "gvisor", 0, 0);
	kcs_runtime_pod(NULL, NULL, &pod, &w);
	cr_assert_eq(w.node_state, KCS_NODE_UNREADABLE);
	cr_assert_eq(w.handler_state, KCS_HANDLER_UNREADABLE);
	cr_assert_eq(w.sandboxed, 1, "the class name alone says gVisor");

	/* a node name with a NUL byte is not its prefix */
	pod.node_name.len = 6;
	memcpy(pod.node_name.s, "ctrd\0x", 7);
	kcs_runtime_pod(nodes, classes, &pod, &w);
	cr_assert_eq(w.node_state, KCS_NODE_NOT_FOUND);
	cr_assert_str_eq(kcs_node_state_name(KCS_NODE_NOT_FOUND), "NOT_FOUND");
	cr_assert_str_eq(kcs_handler_state_name(KCS_HANDLER_KNOWN), "KNOWN");
	kcs_pod_release(&pod);
	kcs_nodes_free(nodes);
	kcs_rtclasses_free(classes);
}

/* ---- an independent model of the runtimes, on strings -------------------- */

/* Capabilities as Linux names them; enough for the model. */
static const char *const all_caps[] = {
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER",
	"CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP",
	"CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL",
	"CAP_AUDIT_WRITE", "CAP_SYS_ADMIN", "CAP_NET_ADMIN",
};
/* containerd defaultUnixCaps() and Docker's defaults: 14, with NET_RAW. */
static const char *const default_caps[] = {
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER",
	"CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP",
	"CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL",
	"CAP_AUDIT_WRITE",
};
/* CRI-O's Default() since 1.18 (no NET_RAW, no SYS_CHROOT). */
static const char *const crio_caps[] = {
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER",
	"CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE",
	"CAP_KILL",
};

#define NCAPS KCS_ARRAY_SIZE(all_caps)

struct capset {
	unsigned char has[NCAPS];
};

/* Index of an exact capability name, or -1 (unknown: runc ignores it). */
static int cap_index(const char *s)
{
	size_t i;

	for (i = 0; i < NCAPS; i++)
		if (!strcmp(all_caps[i], s))
			return (int)i;
	return -1;
}

static void set_put(struct capset *c, const char *name, int on)
{
	int i = cap_index(name);

	if (i >= 0)
		c->has[i] = (unsigned char)on;
}

static void set_fill(struct capset *c, const char *const *l, size_t n)
{
	size_t i;

	memset(c, 0, sizeof(*c));
	for (i = 0; i < n; i++)
		set_put(c, l[i], 1);
}

static void upper(char *d, const char *s)
{
	for (; *s; s++, d++)
		*d = (*s >= 'a' && *s <= 'z') ? (char)(*s - 'a' + 'A') : *s;
	*d = '\0';
}

static int equal_fold_all(const char *s)
{
	char u[64];

	upper(u, s);
	return !strcmp(u, "ALL");
}

static int any_all(const char *const *l)
{
	size_t i;

	for (i = 0; i < MAXTOK && l[i]; i++)
		if (equal_fold_all(l[i]))
			return 1;
	return 0;
}

/* containerd: "CAP_" + ToUpper(name), whatever the name already says. */
static void ctrd_name(char *d, const char *s)
{
	char u[64];

	upper(u, s);
	snprintf(d, 80, "CAP_%s", u);
}

/* CRI-O and Docker: upper-case, prefix only when missing. */
static void prefixed_name(char *d, const char *s)
{
	char u[64];

	upper(u, s);
	if (!strncmp(u, "CAP_", 4))
		snprintf(d, 80, "%s", u);
	else
		snprintf(d, 80, "CAP_%s", u);
}

static int model_containerd(const struct spec *s)
{
	struct capset c;
	char n[80];
	size_t i;

	if (s->privileged)
		return 1;
	set_fill(&c, default_caps, KCS_ARRAY_SIZE(default_caps));
	if (any_all(s->add))
		set_fill(&c, all_caps, NCAPS);
	if (any_all(s->drop))
		memset(&c, 0, sizeof(c));
	for (i = 0; i < MAXTOK && s->add[i]; i++)
		if (!equal_fold_all(s->add[i])) {
			ctrd_name(n, s->add[i]);
			set_put(&c, n, 1);
		}
	for (i = 0; i < MAXTOK && s->drop[i]; i++)
		if (!equal_fold_all(s->drop[i])) {
			ctrd_name(n, s->drop[i]);
			set_put(&c, n, 0);
		}
	return c.has[cap_index("CAP_NET_RAW")];
}

/* `with_net_raw`: crio.conf default_capabilities lists NET_RAW. */
static int model_crio(const struct spec *s, int with_net_raw)
{
	struct capset c;
	char n[80];
	size_t i;

	if (s->privileged)
		return 1;
	memset(&c, 0, sizeof(c));
	if (any_all(s->add))
		set_fill(&c, all_caps, NCAPS);
	if (any_all(s->drop))
		memset(&c, 0, sizeof(c));
	if (!any_all(s->add) && !any_all(s->drop)) {
		for (i = 0; i < KCS_ARRAY_SIZE(crio_caps); i++)
			set_put(&c, crio_caps[i], 1);
		if (with_net_raw)
			set_put(&c, "CAP_NET_RAW", 1);
	}
	for (i = 0; i < MAXTOK && s->add[i]; i++)
		if (!equal_fold_all(s->add[i])) {
			prefixed_name(n, s->add[i]);
			set_put(&c, n, 1);
		}
	for (i = 0; i < MAXTOK && s->drop[i]; i++)
		if (!equal_fold_all(s->drop[i])) {
			prefixed_name(n, s->drop[i]);
			set_put(&c, n, 0);
		}
	return c.has[cap_index("CAP_NET_RAW")];
}

static int model_docker(const struct spec *s)
{
	struct capset c;
	char n[80];
	size_t i;

	if (s->privileged)
		return 1;
	if (any_all(s->add)) {
		set_fill(&c, all_caps, NCAPS);
		for (i = 0; i < MAXTOK && s->drop[i]; i++) {
			prefixed_name(n, s->drop[i]);
			set_put(&c, n, 0);
		}
	} else if (any_all(s->drop)) {
		memset(&c, 0, sizeof(c));
		for (i = 0; i < MAXTOK && s->add[i]; i++) {
			prefixed_name(n, s->add[i]);
			set_put(&c, n, 1);
		}
	} else {
		set_fill(&c, default_caps, KCS_ARRAY_SIZE(default_caps));
		for (i = 0; i < MAXTOK && s->drop[i]; i++) {
			prefixed_name(n, s->drop[i]);
			set_put(&c, n, 0);
		}
		for (i = 0; i < MAXTOK && s->add[i]; i++) {
			prefixed_name(n, s->add[i]);
			set_put(&c, n, 1);
		}
	}
	return c.has[cap_index("CAP_NET_RAW")];
}

/*
 * Every add list and drop list of up to two tokens from a pool of
 * spellings, privileged or not, on every runtime: the exposure must agree
 * with the string model, and a spec PASS must hold NET_RAW nowhere.
 */
Test(runtime, exposure_matches_string_model)
{
	static const char *const pool[] = {
		"ALL", "all", "NET_RAW", "net_raw", "CAP_NET_RAW", "cap_net_raw",
		"CHOWN", " NET_RAW", "CAP_ALL", "NET_ADMIN",
	};
	enum { NP = KCS_ARRAY_SIZE(pool), NL = 1 + NP + NP * NP };
	static const char *const placements[] = {
		"ctrd", "crio", "crio-old", "docker", "", "other",
	};
	struct kcs_nodes *nodes = load_nodes(cluster_nodes);
	struct kcs_pod pod;
	size_t a, d, p, k, checked = 0, exposed = 0, warned = 0, passes = 0;
	int priv;

	kcs_pod_init(&pod);
	for (a = 0; a < NL; a++)
	for (d = 0; d < NL; d++)
	for (priv = 0; priv <= 1; priv++) {
		struct spec s = { priv, 1, 1, { NULL }, { NULL }, 0 };
		int m_ctrd, m_crio, m_crio_nr, m_docker;

		if (a >= 1 && a <= NP)
			s.add[0] = pool[a - 1];
		else if (a > NP) {
			s.add[0] = pool[(a - 1 - NP) / NP];
			s.add[1] = pool[(a - 1 - NP) % NP];
		}
		if (d >= 1 && d <= NP)
			s.drop[0] = pool[d - 1];
		else if (d > NP) {
			s.drop[0] = pool[(d - 1 - NP) / NP];
			s.drop[1] = pool[(d - 1 - NP) % NP];
		}
		m_ctrd = model_containerd(&s);
		m_crio = model_crio(&s, 0);
		m_crio_nr = model_crio(&s, 1);
		m_docker = model_docker(&s);
		for (p = 0; p < KCS_ARRAY_SIZE(placements); p++) {
			struct kcs_pod_runtime w;
			struct kcs_container_exposure x;
			enum kcs_verdict spec;
			const char *what = placements[p];

			make_pod(&pod, &s, what, "", 0, 0);
			spec = pod.containers[0].verdict;
			kcs_runtime_pod(nodes, NULL, &pod, &w);
			kcs_runtime_exposure(&pod, &w, &pod.containers[0], &x);
			checked++;
			if (spec == KCS_VERDICT_PASS) {
				passes++;
				cr_assert(!m_ctrd && !m_crio_nr && !m_docker,
					  "spec PASS but a runtime keeps NET_RAW "
					  "(add %s/%s drop %s/%s priv %d)",
					  s.add[0], s.add[1], s.drop[0],
					  s.drop[1], priv);
				cr_assert_eq(x.effective, KCS_X_NOT_EXPOSED);
				continue;
			}
			cr_assert_eq(spec, KCS_VERDICT_FAIL);
			cr_assert_neq(x.effective, KCS_X_NOT_EXPOSED);
			if (!strcmp(what, "ctrd"))
				k = m_ctrd;
			else if (!strcmp(what, "crio"))
				k = m_crio == m_crio_nr ? (size_t)m_crio : 2;
			else if (!strcmp(what, "crio-old"))
				k = m_crio_nr;
			else if (!strcmp(what, "docker"))
				k = m_docker;
			else
				k = (m_ctrd && m_crio && m_docker) ? 1
				    : (!m_ctrd && !m_crio_nr && !m_docker) ? 0
									    : 3;
			switch (k) {
			case 0:
				cr_assert_eq(x.effective, KCS_X_WARN,
					     "%s: add %s/%s drop %s/%s priv %d: %s",
					     what, s.add[0], s.add[1], s.drop[0],
					     s.drop[1], priv,
					     kcs_exposure_name(x.effective));
				warned++;
				break;
			case 1:
				cr_assert_eq(x.effective, KCS_X_EXPOSED,
					     "%s: add %s/%s drop %s/%s priv %d: %s",
					     what, s.add[0], s.add[1], s.drop[0],
					     s.drop[1], priv,
					     kcs_exposure_name(x.effective));
				exposed++;
				break;
			case 2:
				cr_assert_eq(x.effective, KCS_X_WARN);
				cr_assert_eq(x.reason,
					     KCS_XR_CRIO_DEFAULT_EXCLUDES_NET_RAW);
				warned++;
				break;
			default:
				cr_assert_eq(x.effective, KCS_X_UNKNOWN,
					     "%s: add %s/%s drop %s/%s priv %d: %s",
					     what, s.add[0], s.add[1], s.drop[0],
					     s.drop[1], priv,
					     kcs_exposure_name(x.effective));
				break;
			}
		}
	}
	/* the grid really covers every outcome */
	cr_assert_gt(passes, 100);
	cr_assert_gt(exposed, 1000);
	cr_assert_gt(warned, 100);
	cr_assert_eq(checked, (size_t)NL * NL * 2 * KCS_ARRAY_SIZE(placements));
	kcs_pod_release(&pod);
	kcs_nodes_free(nodes);
}

/* ---- names -------------------------------------------------------------- */

Test(runtime, names_complete)
{
	unsigned i;

	for (i = 0; i < KCS_XR_COUNT; i++) {
		const char *n = kcs_exposure_reason_name((enum kcs_exposure_reason)i);

		cr_assert(n && n[0], "reason %u has no name", i);
		cr_assert(kcs_exposure_reason_text((enum kcs_exposure_reason)i)[0],
			  "reason %s has no text", n);
	}
	for (i = 0; i < KCS_XF_COUNT; i++)
		cr_assert_not_null(kcs_exposure_flag_name(1u << i));
	cr_assert_null(kcs_exposure_flag_name(1u << KCS_XF_COUNT));
	cr_assert_str_eq(kcs_exposure_name(KCS_X_WARN), "WARN");
	cr_assert_str_eq(kcs_exposure_name(KCS_X_NOT_APPLICABLE), "NOT_APPLICABLE");
	cr_assert_str_eq(kcs_exposure_reason_name(KCS_XR_CRIO_DEFAULT_EXCLUDES_NET_RAW),
			 "CRIO_DEFAULT_EXCLUDES_NET_RAW");
	cr_assert(strstr(kcs_exposure_reason_text(KCS_XR_CRIO_DEFAULT_EXCLUDES_NET_RAW),
			 "default_capabilities"));
	cr_assert(strstr(kcs_exposure_reason_text(KCS_XR_SANDBOXED), "--net-raw"));
	cr_assert(strstr(kcs_exposure_reason_text(KCS_XR_DROP_PREFIXED_HONOURED),
			 "fix the spelling"));
}

/* ---- summary, paging, limits, malformed input --------------------------- */

Test(runtime, summary_groups_and_sorts)
{
	struct kcs_nodes *t = load_nodes(
		"{'items':["
		NODE("a", "docker://27.1.1", "linux") ","
		NODE("b", "containerd://1.7.20", "linux") ","
		NODE("c", "containerd://1.7.20", "linux") ","
		NODE("d", "containerd://1.6.33", "linux") ","
		NODE("e", "", "linux") ","
		NODE("f", "cri-o://1.30.4", "linux") "]}");
	struct kcs_error err = KCS_ERROR_INIT;
	struct kcs_runtime_count *rows;
	size_t n;

	cr_assert_eq(kcs_nodes_summary(t, &rows, &n, &err), KCS_OK);
	cr_assert_eq(n, 5);
	cr_assert_eq(rows[0].runtime, KCS_RT_UNKNOWN);
	cr_assert_eq(rows[0].nodes, 1);
	cr_assert_eq(rows[1].runtime, KCS_RT_CONTAINERD);
	cr_assert_str_eq(rows[1].version, "1.6.33");
	cr_assert_eq(rows[1].nodes, 1);
	cr_assert_str_eq(rows[2].version, "1.7.20");
	cr_assert_eq(rows[2].nodes, 2);
	cr_assert_eq(rows[3].runtime, KCS_RT_CRIO);
	cr_assert_eq(rows[4].runtime, KCS_RT_DOCKER);
	cr_assert_str_eq(rows[4].version, "27.1.1");
	kcs_free(rows);
	kcs_nodes_clear(t);
	cr_assert_eq(kcs_nodes_count(t), 0);
	cr_assert_eq(kcs_nodes_summary(t, &rows, &n, &err), KCS_OK);
	cr_assert_eq(n, 0);
	cr_assert_null(rows);
	kcs_nodes_free(t);
}

/* Two pages through one reader fill one table; restart forgets the info. */
Test(runtime, pages)
{
	struct kcs_error err = KCS_ERROR_INIT;
	struct kcs_nodes *t = kcs_nodes_new();
	struct kcs_rtreader *r = kcs_rtreader_new_nodes(t);
	size_t l1, l2;
	char *p1 = tu_jq("{'kind':'NodeList','metadata':{'continue':'tok','remainingItemCount':1},"
		      "'items':[" NODE("a", "containerd://1.7.20", "linux") "]}", &l1);
	char *p2 = tu_jq("{'kind':'NodeList','metadata':{},'items':["
		      NODE("b", "cri-o://1.30.0", "linux") "]}", &l2);

	cr_assert_eq(kcs_rtreader_feed(r, p1, l1, &err), KCS_OK);
	cr_assert_eq(kcs_rtreader_finish(r, &err), KCS_OK);
	cr_assert_str_eq(kcs_rtreader_info(r)->continue_token.buf, "tok");
	cr_assert_eq(kcs_rtreader_info(r)->remaining_items, 1);
	cr_assert_eq(kcs_rtreader_offset(r), l1);
	cr_assert_eq(kcs_rtreader_restart(r, &err), KCS_OK);
	cr_assert_eq(kcs_rtreader_info(r)->continue_token.len, 0);
	cr_assert_eq(kcs_rtreader_feed(r, p2, l2, &err), KCS_OK);
	cr_assert_eq(kcs_rtreader_finish(r, &err), KCS_OK);
	cr_assert_eq(kcs_rtreader_info(r)->continue_token.len, 0);
	cr_assert_eq(kcs_nodes_count(t), 2);
	cr_assert_not_null(kcs_nodes_find(t, "a", 1));
	cr_assert_eq(kcs_nodes_find(t, "b", 1)->runtime, KCS_RT_CRIO);
	/* fed after an error: refused until restart */
	kcs_rtreader_free(r);
	kcs_nodes_free(t);
	free(p1);
	free(p2);
}

static enum kcs_err read_all(struct kcs_rtreader *r, const char *d, size_t len,
			     struct kcs_error *err)
{
	enum kcs_err rc = kcs_rtreader_feed(r, d, len, err);

	return rc ? rc : kcs_rtreader_finish(r, err);
}

Test(runtime, depth_limit)
{
	struct kcs_buf b = KCS_BUF_INIT(1 << 20);
	struct kcs_error err = KCS_ERROR_INIT;
	struct kcs_nodes *t = kcs_nodes_new();
	struct kcs_rtreader *r = kcs_rtreader_new_nodes(t);
	int i;

	/* document, items, item and 61 arrays: 64 levels, just allowed */
	kcs_buf_addstr(&b, "{\"items\":[{\"metadata\":{\"name\":\"n\"},\"x\":");
	for (i = 0; i < 61; i++)
		kcs_buf_addstr(&b, "[");
	for (i = 0; i < 61; i++)
		kcs_buf_addstr(&b, "]");
	kcs_buf_addstr(&b, "}]}");
	cr_assert_eq(read_all(r, b.buf, b.len, &err), KCS_OK, "%s", err.msg);
	cr_assert_eq(kcs_nodes_count(t), 1);
	kcs_buf_reset(&b);
	kcs_buf_addstr(&b, "{\"items\":[{\"metadata\":{\"name\":\"n\"},\"x\":");
	for (i = 0; i < 62; i++)
		kcs_buf_addstr(&b, "[");
	for (i = 0; i < 62; i++)
		kcs_buf_addstr(&b, "]");
	kcs_buf_addstr(&b, "}]}");
	cr_assert_eq(kcs_rtreader_restart(r, &err), KCS_OK);
	cr_assert_eq(read_all(r, b.buf, b.len, &err), KCS_ERR_LIMIT);
	cr_assert(strstr(err.msg, "deeper than 64"), "%s", err.msg);
	cr_assert_eq(err.offset, 39 + 62, "offset %lld", err.offset);
	cr_assert(strstr(err.msg, "at byte 101"), "%s", err.msg);
	/* fed after the error: refused until restarted */
	kcs_error_clear(&err);
	cr_assert_eq(kcs_rtreader_feed(r, "x", 1, &err), KCS_ERR_INTERNAL);
	cr_assert_eq(kcs_rtreader_finish(r, &err), KCS_ERR_INTERNAL);
	kcs_rtreader_free(r);
	kcs_nodes_free(t);
	kcs_buf_release(&b);
}

Test(runtime, field_limits)
{
	struct kcs_buf b = KCS_BUF_INIT(1 << 20);
	struct kcs_error err = KCS_ERROR_INIT;
	struct kcs_nodes *t = kcs_nodes_new();
	struct kcs_rtreader *r = kcs_rtreader_new_nodes(t);
	int i;

	/* exactly the limit is fine */
	kcs_buf_addstr(&b, "{\"items\":[{\"metadata\":{\"name\":\"n\"},"
		       "\"status\":{\"nodeInfo\":{\"containerRuntimeVersion\":\"containerd://");
	for (i = 0; i < KCS_RUNTIME_TEXT_MAX - 13; i++)
		kcs_buf_addch(&b, '1');
	kcs_buf_addstr(&b, "\"}}}]}");
	cr_assert_eq(read_all(r, b.buf, b.len, &err), KCS_OK, "%s", err.msg);
	cr_assert_eq(strlen(kcs_nodes_find(t, "n", 1)->runtime_text),
		     KCS_RUNTIME_TEXT_MAX);
	/* one more byte is an error naming the offset of the string's end */
	kcs_buf_reset(&b);
	kcs_buf_addstr(&b, "{\"items\":[{\"metadata\":{\"name\":\"n\"},"
		       "\"status\":{\"nodeInfo\":{\"containerRuntimeVersion\":\"");
	for (i = 0; i < KCS_RUNTIME_TEXT_MAX + 1; i++)
		kcs_buf_addch(&b, '1');
	kcs_buf_addstr(&b, "\"}}}]}");
	cr_assert_eq(kcs_rtreader_restart(r, &err), KCS_OK);
	cr_assert_eq(read_all(r, b.buf, b.len, &err), KCS_ERR_LIMIT);
	cr_assert(strstr(err.msg, "containerRuntimeVersion longer than 256"),
		  "%s", err.msg);
	cr_assert_eq(err.offset, (long long)(b.len - 5), "offset %lld", err.offset);
	cr_assert_null(strstr(err.msg, "111"), "no input bytes in messages");
	kcs_rtreader_free(r);
	kcs_nodes_free(t);
	kcs_buf_release(&b);
}

Test(runtime, string_length_limit)
{
	size_t n = KCS_JSON_MAX_STRING + 16, len, off;
	char *d = malloc(n + 64);
	struct kcs_error err = KCS_ERROR_INIT;
	struct kcs_nodes *t = kcs_nodes_new();
	struct kcs_rtreader *r = kcs_rtreader_new_nodes(t);
	enum kcs_err rc = KCS_OK;

	cr_assert(d);
	len = (size_t)snprintf(d, 64, "{\"items\":[{\"skipped\":\"");
	memset(d + len, 'x', n);
	len += n;
	memcpy(d + len, "\"}]}", 4);
	len += 4;
	for (off = 0; off < len && !rc; off += 16384)
		rc = kcs_rtreader_feed(r, d + off,
				       len - off < 16384 ? len - off : 16384, &err);
	cr_assert_eq(rc, KCS_ERR_LIMIT, "%s", err.msg);
	cr_assert(strstr(err.msg, "longer than"), "%s", err.msg);
	cr_assert_gt(err.offset, (long long)KCS_JSON_MAX_STRING);
	kcs_rtreader_free(r);
	kcs_nodes_free(t);
	free(d);
}

Test(runtime, table_limit)
{
	struct kcs_buf b = KCS_BUF_INIT(16u << 20);
	struct kcs_error err = KCS_ERROR_INIT;
	struct kcs_rtclasses *t = kcs_rtclasses_new();
	struct kcs_rtreader *r = kcs_rtreader_new_classes(t);
	int i;

	kcs_buf_addstr(&b, "{\"items\":[");
	for (i = 0; i <= KCS_RTCLASSES_MAX; i++)
		kcs_buf_addf(&b, "%s{\"metadata\":{\"name\":\"c%d\"},\"handler\":\"runc\"}",
			     i ? "," : "", i);
	kcs_buf_addstr(&b, "]}");
	cr_assert_eq(b.err, KCS_OK);
	cr_assert_eq(read_all(r, b.buf, b.len, &err), KCS_ERR_LIMIT);
	cr_assert(strstr(err.msg, "more than 65536 RuntimeClasses"), "%s", err.msg);
	cr_assert_eq(err.offset, (long long)(b.len - 2), "offset %lld", err.offset);
	cr_assert_eq(kcs_rtclasses_count(t), KCS_RTCLASSES_MAX);
	kcs_rtreader_free(r);
	kcs_rtclasses_free(t);
	kcs_buf_release(&b);
}

/* A node listed twice keeps its later state (a re-read after a 410). */
Test(runtime, later_node_wins)
{
	struct kcs_nodes *t = load_nodes(
		"{'items':[" NODE("a", "docker://1", "linux") ","
		NODE("a", "containerd://2", "windows") "]}");

	cr_assert_eq(kcs_nodes_count(t), 1);
	cr_assert_eq(kcs_nodes_find(t, "a", 1)->runtime, KCS_RT_CONTAINERD);
	cr_assert_eq(kcs_nodes_find(t, "a", 1)->os, KCS_OS_WINDOWS);
	kcs_nodes_free(t);
}

/*
 * Wrong types and truncations anywhere never crash and never invent a
 * node: every prefix of every fixture, and every fixture with one byte
 * replaced by each of a few troublesome bytes.
 */
Test(runtime, mangled_inputs)
{
	static const char subst[] = { '{', '}', '[', ']', '"', ',', ':', '0',
				      'n', '\\' };
	struct tu_fixture fx[256];
	size_t n = tu_fixtures(FIXTURES, fx, 256), i, cut, k;

	for (i = 0; i < n; i++) {
		size_t len;
		char *data = tu_read_file(fx[i].rel, &len);
		char *copy = malloc(len + 1);

		cr_assert(copy);
		for (cut = 0; cut < len; cut++) {
			struct kcs_error err = KCS_ERROR_INIT;
			struct kcs_nodes *t = kcs_nodes_new();
			struct kcs_rtreader *r = kcs_rtreader_new_nodes(t);
			enum kcs_err rc = read_all(r, data, cut, &err);

			/* a prefix of a document is never a whole one,
			 * except where the document is followed by spaces */
			if (rc == KCS_OK) {
				if (!strstr(fx[i].rel, "trailing"))
					cr_assert(strspn(data + cut, " \n") ==
							  len - cut,
						  "%s: prefix %zu accepted",
						  fx[i].rel, cut);
			} else
				cr_assert(err.offset >= 0 &&
					  (size_t)err.offset <= cut,
					  "%s: prefix %zu offset %lld", fx[i].rel,
					  cut, err.offset);
			kcs_rtreader_free(r);
			kcs_nodes_free(t);
		}
		for (cut = 0; cut < len; cut += 7) {
			for (k = 0; k < sizeof(subst); k++) {
				struct kcs_error err = KCS_ERROR_INIT;
				struct kcs_rtclasses *t = kcs_rtclasses_new();
				struct kcs_rtreader *r = kcs_rtreader_new_classes(t);
				enum kcs_err rc;

				memcpy(copy, data, len);
				copy[cut] = subst[k];
				rc = read_all(r, copy, len, &err);
				if (rc)
					cr_assert(err.offset >= 0 &&
						  (size_t)err.offset <= len &&
						  err.msg[0]);
				kcs_rtreader_free(r);
				kcs_rtclasses_free(t);
			}
		}
		free(copy);
		free(data);
	}
}

/* Every allocation failure is a clean KCS_ERR_NOMEM, with nothing leaked. */
Test(runtime, allocation_failures)
{
	size_t len;
	char *data = tu_read_file("testdata/runtime/nodes-mixed.json", &len);
	long n;
	int ok = 0;

	for (n = 0; n < 200 && !ok; n++) {
		struct kcs_error err = KCS_ERROR_INIT;
		struct kcs_nodes *t;
		struct kcs_rtreader *r = NULL;
		struct kcs_runtime_count *rows = NULL;
		size_t nrows;
		enum kcs_err rc = KCS_ERR_NOMEM;

		kcs_alloc_fail_after(n);
		t = kcs_nodes_new();
		if (t)
			r = kcs_rtreader_new_nodes(t);
		if (r)
			rc = read_all(r, data, len, &err);
		if (!rc)
			rc = kcs_nodes_summary(t, &rows, &nrows, &err);
		kcs_alloc_fail_after(-1);
		if (rc == KCS_OK)
			ok = 1;
		else
			cr_assert_eq(rc, KCS_ERR_NOMEM, "n=%ld: %s", n, err.msg);
		kcs_free(rows);
		kcs_rtreader_free(r);
		kcs_nodes_free(t);
	}
	cr_assert(ok, "never succeeded");
	free(data);
}
