/*
 * reader.c - the streaming pod/namespace reader (see reader.h).
 *
 * Shape of what we read; everything else is skipped with one counter:
 *
 *   document -> kind, metadata{continue, resourceVersion, remainingItemCount,
 *               name, namespace, uid, labels}, items[], spec,
 *               code/reason/message/status (a Status body)
 *   items[]  -> item{kind, metadata{name, namespace, uid, labels}, spec}
 *   spec     -> os{name}, hostNetwork, nodeName, runtimeClassName,
 *               initContainers[], containers[], ephemeralContainers[],
 *               template{metadata{annotations}, spec}, jobTemplate{spec}
 *   metadata -> ownerReferences[]{kind, name, uid, controller}
 *   container-> name, securityContext{privileged, capabilities{add[], drop[]}}
 *
 * Workloads (Deployment, CronJob, ... see workload_kinds[]) are audited as
 * the pod their template makes, named after the workload; a Pod's own
 * spec.template, which the API would drop, is never read.
 *
 * A top-level object is both a possible list and a possible single object:
 * its item fields are collected too, and if no items array appeared it is
 * treated as one item when it closes.
 *
 * Duplicate keys behave as Go's encoding/json decodes them into the API
 * types (last scalar wins, a repeated list replaces the earlier one, a
 * repeated object is merged, null clears), so a hostile file cannot make us
 * see a drop list the API server would not.
 *
 * A field of the wrong JSON type never yields a PASS: inside a container it
 * marks the container MALFORMED, at pod level the pod, and in the list
 * envelope or a namespace it is an input error.
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <yajl/yajl_parse.h>

#include "kcs/alloc.h"
#include "kcs/jsonsax.h"
#include "kcs/reader.h"
#include "kcs/banned.h"

/* What a value in a given place means to us. */
enum slot {
	/* envelope (jsonsax.h) */
	S_SKIP = KCS_DOC_SKIP, S_DOC = KCS_DOC_ROOT, S_DOC_KIND = KCS_DOC_KIND,
	S_DOC_META = KCS_DOC_META, S_ITEMS = KCS_DOC_ITEMS,
	S_ITEM = KCS_DOC_ITEM, S_ITEM_KIND = KCS_DOC_ITEM_KIND,
	S_ITEM_META = KCS_DOC_ITEM_META, S_STATUS_CODE = KCS_DOC_ST_CODE,
	S_STATUS_REASON = KCS_DOC_ST_REASON,
	S_STATUS_MESSAGE = KCS_DOC_ST_MESSAGE,
	S_STATUS_STATUS = KCS_DOC_ST_STATUS, S_CONTINUE = KCS_DOC_CONTINUE,
	S_RV = KCS_DOC_RV, S_REMAINING = KCS_DOC_REMAINING,
	/* item metadata */
	S_NAME = KCS_DOC_SLOTS, S_NAMESPACE, S_UID, S_LABELS, S_ANNOTATIONS,
	S_A_EXEMPT, S_OWNERS, S_OWNER, S_O_KIND, S_O_NAME, S_O_UID,
	S_O_CONTROLLER,
	/* workload templates */
	S_TEMPLATE, S_JOB_TEMPLATE, S_TMPL_META,
	S_L_ENFORCE, S_L_ENFORCE_V, S_L_AUDIT, S_L_AUDIT_V, S_L_WARN,
	S_L_WARN_V,
	/* pod level */
	S_SPEC, S_OS, S_OS_NAME, S_HOSTNET, S_CL_INIT, S_CL_MAIN, S_CL_EPH,
	S_CONTAINER, S_NODE_NAME, S_RT_CLASS,
	/* container level */
	S_C_NAME, S_SC, S_PRIV, S_CAPS, S_ADD, S_DROP, S_CAP,
};

/* Open JSON containers we track (skipped ones are only counted). */
enum node {
	N_DOC, N_DOC_META, N_ITEMS, N_ITEM, N_META, N_LABELS, N_SPEC, N_OS,
	N_CLIST, N_CONTAINER, N_SC, N_CAPS, N_CAPLIST, N_ANNOT, N_OWNERS,
	N_OWNER, N_TMPL, N_JTMPL, N_TMETA,
};

/* Keys per node (grouped by node): the schema of what we keep. */
#define K(n, k, s) KCS_JSONSAX_KEY(n, k, s)
static const struct kcs_jsonsax_key keys[] = {
	K(N_DOC, "kind", S_DOC_KIND),
	K(N_DOC, "metadata", S_DOC_META),
	K(N_DOC, "items", S_ITEMS),
	K(N_DOC, "spec", S_SPEC),
	K(N_DOC, "template", S_TEMPLATE),
	K(N_DOC, "code", S_STATUS_CODE),
	K(N_DOC, "reason", S_STATUS_REASON),
	K(N_DOC, "message", S_STATUS_MESSAGE),
	K(N_DOC, "status", S_STATUS_STATUS),
	K(N_DOC_META, "continue", S_CONTINUE),
	K(N_DOC_META, "resourceVersion", S_RV),
	K(N_DOC_META, "remainingItemCount", S_REMAINING),
	K(N_DOC_META, "name", S_NAME),
	K(N_DOC_META, "namespace", S_NAMESPACE),
	K(N_DOC_META, "uid", S_UID),
	K(N_DOC_META, "labels", S_LABELS),
	K(N_DOC_META, "annotations", S_ANNOTATIONS),
	K(N_DOC_META, "ownerReferences", S_OWNERS),
	K(N_ITEM, "kind", S_ITEM_KIND),
	K(N_ITEM, "metadata", S_ITEM_META),
	K(N_ITEM, "spec", S_SPEC),
	K(N_ITEM, "template", S_TEMPLATE),
	K(N_META, "name", S_NAME),
	K(N_META, "namespace", S_NAMESPACE),
	K(N_META, "uid", S_UID),
	K(N_META, "labels", S_LABELS),
	K(N_META, "annotations", S_ANNOTATIONS),
	K(N_META, "ownerReferences", S_OWNERS),
	K(N_LABELS, "pod-security.kubernetes.io/enforce", S_L_ENFORCE),
	K(N_LABELS, "pod-security.kubernetes.io/enforce-version", S_L_ENFORCE_V),
	K(N_LABELS, "pod-security.kubernetes.io/audit", S_L_AUDIT),
	K(N_LABELS, "pod-security.kubernetes.io/audit-version", S_L_AUDIT_V),
	K(N_LABELS, "pod-security.kubernetes.io/warn", S_L_WARN),
	K(N_LABELS, "pod-security.kubernetes.io/warn-version", S_L_WARN_V),
	K(N_SPEC, "os", S_OS),
	K(N_SPEC, "hostNetwork", S_HOSTNET),
	K(N_SPEC, "initContainers", S_CL_INIT),
	K(N_SPEC, "containers", S_CL_MAIN),
	K(N_SPEC, "ephemeralContainers", S_CL_EPH),
	K(N_SPEC, "nodeName", S_NODE_NAME),
	K(N_SPEC, "runtimeClassName", S_RT_CLASS),
	K(N_SPEC, "template", S_TEMPLATE),
	K(N_SPEC, "jobTemplate", S_JOB_TEMPLATE),
	K(N_OS, "name", S_OS_NAME),
	K(N_CONTAINER, "name", S_C_NAME),
	K(N_CONTAINER, "securityContext", S_SC),
	K(N_SC, "privileged", S_PRIV),
	K(N_SC, "capabilities", S_CAPS),
	K(N_CAPS, "add", S_ADD),
	K(N_CAPS, "drop", S_DROP),
	K(N_ANNOT, "kubecapscan.io/exempt-net-raw", S_A_EXEMPT),
	K(N_OWNER, "kind", S_O_KIND),
	K(N_OWNER, "name", S_O_NAME),
	K(N_OWNER, "uid", S_O_UID),
	K(N_OWNER, "controller", S_O_CONTROLLER),
	K(N_TMPL, "metadata", S_TMPL_META),
	K(N_TMPL, "spec", S_SPEC),
	K(N_JTMPL, "spec", S_SPEC),
	K(N_TMETA, "annotations", S_ANNOTATIONS),
};
#undef K

/*
 * The slot of an array's elements, by node (0: a map node). The frame of
 * an open array keeps in its aux: N_CLIST, the enum kcs_ctype of its
 * containers; N_CAPLIST, 1 for a drop list.
 */
#define N_NODES (N_TMETA + 1)
static const unsigned char elem_slot[N_NODES] = {
	[N_ITEMS] = S_ITEM,
	[N_CLIST] = S_CONTAINER,
	[N_CAPLIST] = S_CAP,
	[N_OWNERS] = S_OWNER,
};

/* The item being read (a pod or a namespace, decided when it closes). */
struct item {
	char kind[KCS_KIND_MAX + 1];
	unsigned char has_kind;
	unsigned char has_namespace;  /* metadata.namespace was present */
	unsigned char meta_bad;       /* name/namespace/uid of the wrong type */
	unsigned char labels_bad;     /* a PSA label of the wrong type */
	unsigned char pod_fields;     /* saw a container list: it is a pod */
	unsigned char annot_in_tmpl;  /* the exemption came from a template */
	struct kcs_objref ref;        /* the ownerReference being read */
	unsigned char ref_controller; /* its controller is true */
	struct kcs_pod pod;           /* pod fields; name/ns/uid live here */
	struct kcs_psa_labels labels;
};

struct kcs_reader {
	struct kcs_jsonsax sax; /* first: it is yajl's ctx (jsonsax.h) */
	struct kcs_reader_cbs cbs;
	enum kcs_reader_hint hint;
	size_t cur;            /* index of the open container in item.pod */
	struct item item;
	struct kcs_doc_info info;
	const char *src_file;   /* kcs_reader_set_source() */
	unsigned long src_line;
};
_Static_assert(offsetof(struct kcs_reader, sax) == 0 &&
	       N_NODES <= KCS_JSONSAX_MAX_NODES, "see jsonsax.h");

/* ---- small helpers ---------------------------------------------------- */

static int fail(struct kcs_reader *r, enum kcs_err code, const char *what)
{
	return kcs_jsonsax_fail(&r->sax, code, "%s", what);
}

static int set_name(struct kcs_reader *r, struct kcs_name *n,
		    const unsigned char *s, size_t len, const char *what)
{
	return kcs_jsonsax_set_name(&r->sax, n, s, len, what);
}

static int set_label(struct kcs_reader *r, struct kcs_label *l,
		     const unsigned char *s, size_t len)
{
	if (len > KCS_LABEL_MAX)
		return kcs_jsonsax_fail(&r->sax, KCS_ERR_LIMIT,
					"label value longer than %d bytes",
					KCS_LABEL_MAX);
	memcpy(l->s, s, len);
	l->s[len] = '\0';
	l->len = len;
	l->present = 1;
	return 1;
}

static int bytes_equal(const char *a, const char *b)
{
	return strcmp(a, b) == 0;
}

static struct kcs_container *cur_container(struct kcs_reader *r)
{
	return &r->item.pod.containers[r->cur];
}

static void reset_item(struct kcs_reader *r)
{
	struct item *it = &r->item;

	kcs_pod_reset(&it->pod);
	memset(it->kind, 0, sizeof(it->kind));
	it->has_kind = it->has_namespace = it->meta_bad = 0;
	it->labels_bad = it->pod_fields = it->annot_in_tmpl = 0;
	memset(&it->ref, 0, sizeof(it->ref));
	it->ref_controller = 0;
	memset(&it->labels, 0, sizeof(it->labels));
}

/* A repeated container list replaces the earlier one, as in Go. */
static void drop_containers_of(struct kcs_pod *pod, enum kcs_ctype type)
{
	size_t i, j = 0;

	for (i = 0; i < pod->n; i++)
		if (pod->containers[i].type != type)
			pod->containers[j++] = pod->containers[i];
	pod->n = j;
}

static struct kcs_jsonsax_frame *top(struct kcs_reader *r)
{
	return kcs_jsonsax_top(&r->sax);
}

static int push(struct kcs_reader *r, enum node n, unsigned char aux)
{
	return kcs_jsonsax_push(&r->sax, n, aux);
}

static int enter_skip(struct kcs_reader *r)
{
	return kcs_jsonsax_enter_skip(&r->sax);
}

/*
 * A value of the wrong JSON type arrived for `s`. Decide what it spoils:
 * the container, the pod, the item's identity, or the whole document.
 */
static int wrong_type(void *ctx, unsigned slot)
{
	struct kcs_reader *r = ctx;
	enum slot s = (enum slot)slot;

	switch (s) {
	case S_C_NAME: case S_SC: case S_PRIV: case S_CAPS: case S_ADD:
	case S_DROP: case S_CAP:
		cur_container(r)->malformed = 1;
		return 1;
	case S_SPEC: case S_OS: case S_OS_NAME: case S_HOSTNET:
	case S_CL_INIT: case S_CL_MAIN: case S_CL_EPH: case S_CONTAINER:
		r->item.pod.malformed = 1;
		return 1;
	case S_NAME: case S_NAMESPACE: case S_UID: case S_LABELS:
		r->item.meta_bad = 1;
		return 1;
	case S_ANNOTATIONS: case S_A_EXEMPT:
		/* an exemption that cannot be read exempts nothing */
		r->item.pod.exempt_annotation_too_long = 1;
		r->item.pod.has_exempt_annotation = 1;
		return 1;
	case S_L_ENFORCE: case S_L_ENFORCE_V: case S_L_AUDIT:
	case S_L_AUDIT_V: case S_L_WARN: case S_L_WARN_V:
		r->item.labels_bad = 1;
		return 1;
	case S_DOC_META: case S_ITEM_META:
		r->item.meta_bad = 1;
		return 1;
	case S_SKIP: case S_DOC: case S_ITEMS: case S_ITEM: case S_DOC_KIND:
	case S_ITEM_KIND: case S_CONTINUE: case S_RV: case S_REMAINING:
	case S_STATUS_CODE: case S_STATUS_REASON: case S_STATUS_MESSAGE:
	case S_STATUS_STATUS:
		return kcs_doc_wrong_type(&r->sax, s);
	case S_OWNERS: case S_OWNER: case S_O_KIND: case S_O_NAME:
	case S_O_UID: case S_O_CONTROLLER: case S_NODE_NAME: case S_RT_CLASS:
		return 1; /* informational: never a verdict's input */
	case S_TEMPLATE: case S_JOB_TEMPLATE: case S_TMPL_META:
		r->item.pod.malformed = 1;
		return 1;
	}
	return 1;
}

/* ---- deciding an item ----------------------------------------------- */

static int is_kind(const struct item *it, const char *k)
{
	return it->has_kind && bytes_equal(it->kind, k);
}

enum what { W_POD, W_NAMESPACE, W_WORKLOAD, W_SKIP, W_UNKNOWN };

/*
 * Kinds that hold a pod template; their template is audited as a pod.
 * Their lists' kinds are the same names plus "List".
 */
static const char *const workload_kinds[] = {
	"CronJob", "DaemonSet", "Deployment", "Job", "PodTemplate",
	"ReplicaSet", "ReplicationController", "StatefulSet",
};

static int is_workload_kind(const char *k, size_t len)
{
	size_t i;

	for (i = 0; i < KCS_ARRAY_SIZE(workload_kinds); i++)
		if (strlen(workload_kinds[i]) == len &&
		    memcmp(workload_kinds[i], k, len) == 0)
			return 1;
	return 0;
}

/* The item kind a list kind ("DeploymentList") stands for, if a workload. */
static int list_of_workloads(const char *lk, char *kind, size_t size)
{
	size_t n = strlen(lk);

	if (n <= 4 || strcmp(lk + n - 4, "List") != 0 ||
	    !is_workload_kind(lk, n - 4) || n - 4 >= size)
		return 0;
	memcpy(kind, lk, n - 4);
	kind[n - 4] = '\0';
	return 1;
}

static enum what classify_item(struct kcs_reader *r)
{
	struct item *it = &r->item;
	const char *lk = r->info.kind;

	if (it->has_kind) {
		if (is_kind(it, "Pod"))
			return W_POD;
		if (is_kind(it, "Namespace"))
			return W_NAMESPACE;
		/* metadata-only objects: a namespace is the cluster-scoped one */
		if (is_kind(it, "PartialObjectMetadata") && !it->has_namespace &&
		    (r->hint == KCS_HINT_NAMESPACES ||
		     (r->hint == KCS_HINT_NONE && !it->pod_fields)))
			return W_NAMESPACE;
		if (is_workload_kind(it->kind, strlen(it->kind)))
			return W_WORKLOAD;
		return W_SKIP;
	}
	if (r->info.is_list && lk[0]) {
		if (bytes_equal(lk, "PodList"))
			return W_POD;
		if (bytes_equal(lk, "NamespaceList"))
			return W_NAMESPACE;
		if (bytes_equal(lk, "PartialObjectMetadataList") &&
		    r->hint == KCS_HINT_NAMESPACES)
			return W_NAMESPACE;
		if (list_of_workloads(lk, it->kind, sizeof(it->kind))) {
			it->has_kind = 1;
			return W_WORKLOAD;
		}
		if (!bytes_equal(lk, "List"))
			return W_SKIP;
	}
	if (r->hint == KCS_HINT_PODS)
		return W_POD;
	if (r->hint == KCS_HINT_NAMESPACES)
		return W_NAMESPACE;
	return it->pod_fields ? W_POD : W_UNKNOWN;
}

/*
 * Put containers in the API's order (init, regular, ephemeral: the order
 * PSA visits them) whatever order the keys came in. Stable insertion sort:
 * a pod has few containers.
 */
static void order_containers(struct kcs_pod *pod)
{
	size_t i, j;

	for (i = 1; i < pod->n; i++) {
		struct kcs_container c = pod->containers[i];

		for (j = i; j > 0 && pod->containers[j - 1].type > c.type; j--)
			pod->containers[j] = pod->containers[j - 1];
		pod->containers[j] = c;
	}
}

static int emit_pod(struct kcs_reader *r)
{
	struct kcs_pod *pod = &r->item.pod;

	pod->source.file = r->src_file;
	pod->source.line = r->src_line;
	order_containers(pod);
	if (r->item.meta_bad)
		pod->malformed = 1;
	kcs_audit_pod(pod);
	r->info.n_pods++;
	if (r->cbs.on_pod) {
		enum kcs_err rc = r->cbs.on_pod(pod, r->cbs.user, r->sax.err);

		if (rc) {
			r->sax.rc = rc;
			return 0;
		}
	}
	return 1;
}

static int emit_namespace(struct kcs_reader *r)
{
	struct item *it = &r->item;
	struct kcs_nsobj ns;

	if (it->meta_bad || it->labels_bad)
		return fail(r, KCS_ERR_PARSE,
			    "a namespace's metadata has a field of the wrong type");
	if (!it->pod.name.len)
		return fail(r, KCS_ERR_PARSE, "a namespace has no metadata.name");
	r->info.n_namespaces++;
	if (!r->cbs.on_namespace)
		return 1;
	ns.name = it->pod.name;
	ns.uid = it->pod.uid;
	ns.has_uid = it->pod.has_uid;
	ns.labels = it->labels;
	r->sax.rc = r->cbs.on_namespace(&ns, r->cbs.user, r->sax.err);
	return r->sax.rc == KCS_OK;
}

static int finish_item(struct kcs_reader *r)
{
	switch (classify_item(r)) {
	case W_POD:
		return emit_pod(r);
	case W_WORKLOAD: {
		/* the pod its template makes, named after the workload */
		struct kcs_pod *pod = &r->item.pod;

		snprintf(pod->source.kind, sizeof(pod->source.kind), "%s",
			 r->item.kind);
		pod->source.name = pod->name;
		/* its pods carry the template's annotations, not its own */
		if (pod->has_exempt_annotation && !r->item.annot_in_tmpl) {
			pod->has_exempt_annotation = 0;
			pod->exempt_annotation_too_long = 0;
		}
		return emit_pod(r);
	}
	case W_NAMESPACE:
		return emit_namespace(r);
	case W_SKIP:
		kcs_doc_note_skipped(&r->info, r->item.has_kind ? r->item.kind
							       : r->info.kind);
		return 1;
	case W_UNKNOWN:
		break;
	}
	return fail(r, KCS_ERR_PARSE,
		    "cannot tell the kind of an object: it has no 'kind' and "
		    "no list kind came before it");
}

/* ---- yajl callbacks ------------------------------------------------- */

/* The open item is known to be a Pod (which has no template to read). */
static int item_is_pod(struct kcs_reader *r)
{
	if (r->item.has_kind)
		return is_kind(&r->item, "Pod");
	return bytes_equal(r->info.kind, "PodList") ||
	       (r->sax.depth == 1 && bytes_equal(r->info.kind, "Pod"));
}

static int cb_start_map(void *ctx)
{
	struct kcs_reader *r = ctx;
	enum slot s;
	struct kcs_container *c;

	if (r->sax.skip)
		return enter_skip(r);
	s = kcs_jsonsax_value(&r->sax);
	switch (s) {
	case S_DOC:
		reset_item(r);
		return push(r, N_DOC, 0);
	case S_ITEM:
		reset_item(r);
		return push(r, N_ITEM, 0);
	case S_DOC_META:
		return push(r, N_DOC_META, 0);
	case S_ITEM_META:
		return push(r, N_META, 0);
	case S_LABELS:
		return push(r, N_LABELS, 0);
	case S_ANNOTATIONS:
		return push(r, N_ANNOT, 0);
	case S_SPEC:
		return push(r, N_SPEC, 0);
	case S_OS:
		return push(r, N_OS, 0);
	case S_TEMPLATE:
		/* a Pod has no template: never read one into its containers */
		if (item_is_pod(r))
			return enter_skip(r);
		return push(r, N_TMPL, 0);
	case S_JOB_TEMPLATE:
		if (item_is_pod(r))
			return enter_skip(r);
		return push(r, N_JTMPL, 0);
	case S_TMPL_META:
		return push(r, N_TMETA, 0);
	case S_OWNER:
		memset(&r->item.ref, 0, sizeof(r->item.ref));
		r->item.ref_controller = 0;
		return push(r, N_OWNER, 0);
	case S_CONTAINER:
		c = kcs_pod_add_container(&r->item.pod,
					  (enum kcs_ctype)top(r)->aux,
					  r->sax.err);
		if (!c) {
			r->sax.rc = r->sax.err ? r->sax.err->code
					       : KCS_ERR_NOMEM;
			return 0;
		}
		r->cur = r->item.pod.n - 1;
		return push(r, N_CONTAINER, 0);
	case S_SC:
		cur_container(r)->has_sc = 1;
		return push(r, N_SC, 0);
	case S_CAPS:
		cur_container(r)->has_caps = 1;
		return push(r, N_CAPS, 0);
	case S_STATUS_STATUS: /* a pod's status object: not ours */
	case S_SKIP:
		return enter_skip(r);
	default:
		return wrong_type(r, s) && enter_skip(r);
	}
}

static int cb_end_map(void *ctx)
{
	struct kcs_reader *r = ctx;
	int n = kcs_jsonsax_pop(&r->sax);

	if (n < 0)
		return 1;
	if (n == N_ITEM)
		return finish_item(r);
	if (n == N_OWNER && r->item.ref_controller &&
	    !r->item.pod.owner.present) {
		r->item.pod.owner = r->item.ref;
		r->item.pod.owner.present = 1;
	}
	/* a single object: it is the one item */
	if (n == N_DOC && kcs_doc_closed(&r->sax, &r->info, r->item.kind,
					 &r->item.has_kind))
		return finish_item(r);
	return 1;
}

static int cb_start_array(void *ctx)
{
	struct kcs_reader *r = ctx;
	enum slot s;

	if (r->sax.skip)
		return enter_skip(r);
	s = kcs_jsonsax_value(&r->sax);
	switch (s) {
	case S_ITEMS:
		r->info.is_list = 1;
		return push(r, N_ITEMS, 0);
	case S_CL_INIT:
	case S_CL_MAIN:
	case S_CL_EPH: {
		enum kcs_ctype t = s == S_CL_INIT   ? KCS_CTYPE_INIT
				   : s == S_CL_MAIN ? KCS_CTYPE_CONTAINER
						    : KCS_CTYPE_EPHEMERAL;

		r->item.pod_fields = 1;
		drop_containers_of(&r->item.pod, t);
		return push(r, N_CLIST, (unsigned char)t);
	}
	case S_ADD:
		cur_container(r)->add = 0;
		return push(r, N_CAPLIST, 0);
	case S_DROP:
		cur_container(r)->drop = 0;
		cur_container(r)->has_drop = 1;
		return push(r, N_CAPLIST, 1);
	case S_OWNERS:
		/* a repeated list replaces the earlier one, as in Go */
		memset(&r->item.pod.owner, 0, sizeof(r->item.pod.owner));
		return push(r, N_OWNERS, 0);
	case S_SKIP:
		return enter_skip(r);
	default:
		return wrong_type(r, s) && enter_skip(r);
	}
}

static struct kcs_label *label_of(struct kcs_reader *r, enum slot s)
{
	struct kcs_psa_labels *l = &r->item.labels;

	switch (s) {
	case S_L_ENFORCE: return &l->enforce;
	case S_L_ENFORCE_V: return &l->enforce_version;
	case S_L_AUDIT: return &l->audit;
	case S_L_AUDIT_V: return &l->audit_version;
	case S_L_WARN: return &l->warn;
	case S_L_WARN_V: return &l->warn_version;
	default: return NULL;
	}
}

static int cb_string(void *ctx, const unsigned char *s, size_t len)
{
	struct kcs_reader *r = ctx;
	enum slot slot;
	struct kcs_pod *pod = &r->item.pod;

	if (r->sax.skip)
		return 1;
	slot = kcs_jsonsax_value(&r->sax);
	switch (slot) {
	case S_SKIP:
		return 1;
	case S_DOC_KIND:
		kcs_jsonsax_set_kind(r->info.kind, KCS_KIND_MAX, s, len);
		return 1;
	case S_ITEM_KIND:
		r->item.has_kind = 1;
		kcs_jsonsax_set_kind(r->item.kind, KCS_KIND_MAX, s, len);
		return 1;
	case S_STATUS_REASON: case S_STATUS_MESSAGE: case S_STATUS_STATUS:
	case S_CONTINUE: case S_RV:
		return kcs_doc_string(&r->sax, &r->info, slot, s, len);
	case S_NAME:
		return set_name(r, &pod->name, s, len, "metadata.name");
	case S_NAMESPACE:
		r->item.has_namespace = 1;
		return set_name(r, &pod->ns, s, len, "metadata.namespace");
	case S_UID:
		if (len > KCS_UID_MAX)
			return fail(r, KCS_ERR_LIMIT, "metadata.uid too long");
		memcpy(pod->uid.s, s, len);
		pod->uid.s[len] = '\0';
		pod->uid.len = len;
		pod->has_uid = 1;
		return 1;
	case S_L_ENFORCE: case S_L_ENFORCE_V: case S_L_AUDIT:
	case S_L_AUDIT_V: case S_L_WARN: case S_L_WARN_V:
		return set_label(r, label_of(r, slot), s, len);
	case S_OS_NAME:
		pod->windows = len == 7 && memcmp(s, "windows", 7) == 0;
		pod->os_set = 1;
		return 1;
	case S_NODE_NAME:
		return set_name(r, &pod->node_name, s, len, "spec.nodeName");
	case S_RT_CLASS:
		return set_name(r, &pod->runtime_class, s, len,
				"spec.runtimeClassName");
	case S_O_KIND:
		kcs_jsonsax_set_kind(r->item.ref.kind, KCS_KIND_NAME_MAX, s,
				     len);
		return 1;
	case S_O_NAME:
		return set_name(r, &r->item.ref.name, s, len,
				"ownerReferences name");
	case S_O_UID:
		if (len > KCS_UID_MAX)
			return fail(r, KCS_ERR_LIMIT, "ownerReferences uid too long");
		memcpy(r->item.ref.uid.s, s, len);
		r->item.ref.uid.s[len] = '\0';
		r->item.ref.uid.len = len;
		return 1;
	case S_A_EXEMPT:
		r->item.annot_in_tmpl = r->sax.depth >= 2 &&
			r->sax.stack[r->sax.depth - 2].node == N_TMETA;
		pod->has_exempt_annotation = 1;
		pod->exempt_annotation_too_long = len > KCS_EXEMPT_ANNOTATION_MAX;
		if (!pod->exempt_annotation_too_long) {
			memcpy(pod->exempt_annotation, s, len);
			pod->exempt_annotation[len] = '\0';
			pod->exempt_annotation_len = len;
		}
		return 1;
	case S_C_NAME:
		return set_name(r, &cur_container(r)->name, s, len,
				"container name");
	case S_CAP:
		if (top(r)->aux)
			cur_container(r)->drop |= kcs_cap_classify((const char *)s, len);
		else
			cur_container(r)->add |= kcs_cap_classify((const char *)s, len);
		return 1;
	default:
		return wrong_type(r, slot);
	}
}

static int cb_boolean(void *ctx, int b)
{
	struct kcs_reader *r = ctx;
	enum slot slot;

	if (r->sax.skip)
		return 1;
	slot = kcs_jsonsax_value(&r->sax);
	switch (slot) {
	case S_SKIP:
		return 1;
	case S_HOSTNET:
		r->item.pod.host_network = b ? 1 : 0;
		return 1;
	case S_PRIV:
		cur_container(r)->privileged = b ? 1 : 0;
		return 1;
	case S_O_CONTROLLER:
		r->item.ref_controller = b ? 1 : 0;
		return 1;
	default:
		return wrong_type(r, slot);
	}
}

static int cb_null(void *ctx)
{
	struct kcs_reader *r = ctx;
	enum slot slot;
	struct kcs_container *c;

	if (r->sax.skip)
		return 1;
	slot = kcs_jsonsax_value(&r->sax);
	switch (slot) {
	case S_SKIP: case S_DOC: case S_DOC_KIND: case S_DOC_META: case S_ITEMS:
	case S_ITEM: case S_ITEM_KIND: case S_ITEM_META: case S_STATUS_CODE:
	case S_STATUS_REASON: case S_STATUS_MESSAGE: case S_STATUS_STATUS:
	case S_CONTINUE: case S_RV: case S_REMAINING:
		return kcs_doc_null(&r->sax, &r->info, slot);
	case S_SPEC: case S_LABELS:
		return 1; /* null reads as absent */
	case S_NAME: case S_NAMESPACE: case S_UID: case S_ANNOTATIONS:
		return 1;
	case S_A_EXEMPT:
		r->item.pod.has_exempt_annotation = 0;
		return 1;
	case S_OS: case S_OS_NAME:
		r->item.pod.windows = 0;
		r->item.pod.os_set = 0;
		return 1;
	case S_OWNERS:
		memset(&r->item.pod.owner, 0, sizeof(r->item.pod.owner));
		return 1;
	case S_OWNER: case S_O_KIND: case S_O_NAME: case S_O_UID:
	case S_O_CONTROLLER: case S_TEMPLATE: case S_JOB_TEMPLATE:
	case S_TMPL_META:
		return 1;
	case S_NODE_NAME:
		memset(&r->item.pod.node_name, 0, sizeof(r->item.pod.node_name));
		return 1;
	case S_RT_CLASS:
		memset(&r->item.pod.runtime_class, 0,
		       sizeof(r->item.pod.runtime_class));
		return 1;
	case S_HOSTNET:
		r->item.pod.host_network = 0;
		return 1;
	case S_CL_INIT:
		r->item.pod_fields = 1;
		drop_containers_of(&r->item.pod, KCS_CTYPE_INIT);
		return 1;
	case S_CL_MAIN:
		r->item.pod_fields = 1;
		drop_containers_of(&r->item.pod, KCS_CTYPE_CONTAINER);
		return 1;
	case S_CL_EPH:
		r->item.pod_fields = 1;
		drop_containers_of(&r->item.pod, KCS_CTYPE_EPHEMERAL);
		return 1;
	case S_SC:
		c = cur_container(r);
		c->has_sc = c->has_caps = c->has_drop = c->privileged = 0;
		c->add = c->drop = 0;
		return 1;
	case S_CAPS:
		c = cur_container(r);
		c->has_caps = c->has_drop = 0;
		c->add = c->drop = 0;
		return 1;
	case S_PRIV:
		cur_container(r)->privileged = 0;
		return 1;
	case S_ADD:
		cur_container(r)->add = 0;
		return 1;
	case S_DROP:
		cur_container(r)->drop = 0;
		cur_container(r)->has_drop = 0;
		return 1;
	default:
		return wrong_type(r, slot);
	}
}

/* ---- public API ----------------------------------------------------- */

static const struct kcs_jsonsax_schema schema = {
	.keys = keys,
	.n_keys = KCS_ARRAY_SIZE(keys),
	.elem_slot = elem_slot,
	.callbacks = KCS_DOC_CALLBACKS,
	.wrong_type = wrong_type,
	/*
	 * Inside a skipped subtree only nesting matters: most of a pod's
	 * bytes (managedFields, status, env) are never decoded.
	 */
	.flags = KCS_JSONSAX_FAST_SKIP,
};

/* Forget the document read so far (the sax is reset by its caller). */
static void reset_doc(struct kcs_reader *r)
{
	r->cur = 0;
	reset_item(r);
	kcs_doc_info_reset(&r->info);
}

struct kcs_reader *kcs_reader_new(const struct kcs_reader_cbs *cbs,
				  enum kcs_reader_hint hint)
{
	struct kcs_reader *r = kcs_calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	if (cbs)
		r->cbs = *cbs;
	r->hint = hint;
	kcs_jsonsax_init(&r->sax, &schema, KCS_JSON_MAX_DEPTH,
			 KCS_JSON_MAX_STRING);
	kcs_pod_init(&r->item.pod);
	kcs_doc_info_init(&r->info);
	r->sax.info = &r->info;
	reset_doc(r);
	if (kcs_jsonsax_open(&r->sax, NULL)) {
		kcs_free(r);
		return NULL;
	}
	return r;
}

void kcs_reader_free(struct kcs_reader *r)
{
	if (!r)
		return;
	kcs_jsonsax_release(&r->sax);
	kcs_pod_release(&r->item.pod);
	kcs_doc_info_release(&r->info);
	kcs_free(r);
}

enum kcs_err kcs_reader_restart(struct kcs_reader *r, struct kcs_error *err)
{
	reset_doc(r);
	return kcs_jsonsax_restart(&r->sax, err);
}

enum kcs_err kcs_reader_feed(struct kcs_reader *r, const void *data,
			     size_t len, struct kcs_error *err)
{
	return kcs_jsonsax_feed(&r->sax, data, len, err);
}

enum kcs_err kcs_reader_finish(struct kcs_reader *r, struct kcs_error *err)
{
	return kcs_jsonsax_finish(&r->sax, err);
}

void kcs_reader_set_source(struct kcs_reader *r, const char *file,
			   unsigned long line)
{
	r->src_file = file;
	r->src_line = line;
}

unsigned long long kcs_reader_offset(const struct kcs_reader *r)
{
	return r->sax.fed;
}

const struct kcs_doc_info *kcs_reader_info(const struct kcs_reader *r)
{
	return &r->info;
}
