/*
 * remediate.c - JSON patches, kubectl commands and notes that fix failing
 * workloads and namespaces (see remediate.h for the contract).
 *
 * The work is in three steps. First the containers of every pod of the
 * workload are boiled down to one entry per container of the template:
 * several pods report the same container, and pods of two revisions (a
 * rollout in progress) may disagree, in which case the container is kept
 * out of the patch rather than guessed at. Then each entry is either
 * patchable (its reason is only a missing drop) or left to a human with a
 * note. Last the ops are written with yajl_gen and the command is quoted
 * word by word.
 */
#include <stdio.h>
#include <string.h>
#include <yajl/yajl_gen.h>

#include "kcs/alloc.h"
#include "kcs/buf.h"
#include "kcs/remediate.h"
#include "kcs/report.h"
#include "kcs/banned.h"

/* ---- kinds -------------------------------------------------------------- */

enum kind_class {
	KIND_PATCH,     /* a controller whose template can be patched live */
	KIND_BARE_JOB,  /* Job: spec.template is immutable */
	KIND_POD,       /* Pod: containers are immutable */
};

static const struct kind_info {
	const char *kind;     /* as the API spells it */
	const char *resource; /* kubectl's name for it */
	const char *base;     /* JSON Pointer to the pod spec */
	enum kind_class cls;
	const char *rollout;  /* what happens to running pods after a patch */
} kinds[] = {
	{ "CronJob", "cronjob", "/spec/jobTemplate/spec/template/spec",
	  KIND_PATCH,
	  "jobs started after the patch get the fix; a job already running "
	  "keeps the old template" },
	{ "DaemonSet", "daemonset", "/spec/template/spec", KIND_PATCH,
	  "the patch starts a rollout, unless spec.updateStrategy is "
	  "OnDelete: then delete each pod so that it is recreated from the "
	  "new template" },
	{ "Deployment", "deployment", "/spec/template/spec", KIND_PATCH,
	  "the patch starts a rollout: the Deployment replaces its pods with "
	  "ones made from the new template" },
	{ "Job", "job", "/spec/template/spec", KIND_BARE_JOB, NULL },
	{ "Pod", "pod", "/spec", KIND_POD, NULL },
	{ "PodTemplate", "podtemplate", "/template/spec", KIND_PATCH,
	  "pods created from this PodTemplate before the patch keep the old "
	  "spec until they are recreated" },
	{ "ReplicaSet", "replicaset", "/spec/template/spec", KIND_PATCH,
	  "a ReplicaSet does not replace running pods when its template "
	  "changes: delete them after patching so that they are recreated "
	  "from the new template" },
	{ "ReplicationController", "replicationcontroller",
	  "/spec/template/spec", KIND_PATCH,
	  "a ReplicationController does not replace running pods when its "
	  "template changes: delete them after patching so that they are "
	  "recreated from the new template" },
	{ "StatefulSet", "statefulset", "/spec/template/spec", KIND_PATCH,
	  "the patch starts a rollout, unless spec.updateStrategy is "
	  "OnDelete: then delete each pod so that it is recreated from the "
	  "new template" },
};

static const struct kind_info *kind_lookup(const char *kind)
{
	size_t i;

	if (!kind)
		return NULL;
	for (i = 0; i < KCS_ARRAY_SIZE(kinds); i++)
		if (strcmp(kinds[i].kind, kind) == 0)
			return &kinds[i];
	return NULL;
}

/* The list a container type lives in, as the pod spec names it. */
static const char *list_key(enum kcs_ctype t)
{
	switch (t) {
	case KCS_CTYPE_INIT: return "initContainers";
	case KCS_CTYPE_CONTAINER: return "containers";
	case KCS_CTYPE_EPHEMERAL: return "ephemeralContainers";
	}
	return "containers";
}

/* ---- shell words and pointer tokens ------------------------------------ */

static int shell_safe(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || (c && strchr("-_./:=@%+,", c));
}

enum kcs_err kcs_remediate_shell_quote(struct kcs_buf *b, const char *s,
				       size_t len)
{
	size_t i;
	int bare = len > 0;

	if (memchr(s, '\0', len))
		return KCS_ERR_PARSE;
	for (i = 0; i < len && bare; i++)
		bare = shell_safe((unsigned char)s[i]);
	if (bare)
		return kcs_buf_add(b, s, len);
	/* '...' keeps every byte literal; a ' ends it, is escaped, reopens */
	kcs_buf_addch(b, '\'');
	while (len) {
		const char *q = memchr(s, '\'', len);
		size_t run = q ? (size_t)(q - s) : len;

		kcs_buf_add(b, s, run);
		if (!q)
			break;
		kcs_buf_addstr(b, "'\\''");
		s += run + 1;
		len -= run + 1;
	}
	return kcs_buf_addch(b, '\'');
}

enum kcs_err kcs_remediate_pointer_add(struct kcs_buf *b, const char *tok,
				       size_t len)
{
	size_t i;

	kcs_buf_addch(b, '/');
	for (i = 0; i < len; i++) {
		if (tok[i] == '~')
			kcs_buf_addstr(b, "~0");
		else if (tok[i] == '/')
			kcs_buf_addstr(b, "~1");
		else
			kcs_buf_addch(b, tok[i]);
	}
	return b->err;
}

/*
 * Can `s` stand on kubectl's command line as an object name? A leading '-'
 * would make it an option; for `kubectl label`, '=' or a trailing '-'
 * would make it a label change.
 */
static int kubectl_name_ok(const char *s, size_t len, int for_label)
{
	if (len == 0 || memchr(s, '\0', len) || s[0] == '-')
		return 0;
	if (for_label && (memchr(s, '=', len) || s[len - 1] == '-'))
		return 0;
	return 1;
}

/* ---- notes -------------------------------------------------------------- */

/* Notes under construction; the first failure sticks in `err`. */
struct notes {
	char **v;
	size_t n, cap;
	enum kcs_err err;
};

static void note_take(struct notes *ns, struct kcs_buf *b)
{
	char *s, **v;

	if (ns->err || b->err) {
		ns->err = ns->err ? ns->err : b->err;
		kcs_buf_release(b);
		return;
	}
	if (ns->n == ns->cap) {
		size_t cap = ns->cap ? 2 * ns->cap : 8;

		v = kcs_realloc(ns->v, cap * sizeof(*v));
		if (!v) {
			ns->err = KCS_ERR_NOMEM;
			kcs_buf_release(b);
			return;
		}
		ns->v = v;
		ns->cap = cap;
	}
	s = kcs_buf_detach(b, NULL);
	if (!s) {
		ns->err = KCS_ERR_NOMEM;
		kcs_buf_release(b);
		return;
	}
	ns->v[ns->n++] = s;
}

static void note_str(struct notes *ns, const char *s)
{
	struct kcs_buf b = KCS_BUF_INIT(KCS_REMEDY_TEXT_MAX);

	kcs_buf_addstr(&b, s);
	note_take(ns, &b);
}

/* A name for people: control bytes and DEL shown as '?'. */
static void add_printable(struct kcs_buf *b, const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		kcs_buf_addch(b, c < 0x20 || c == 0x7f ? '?' : (char)c);
	}
}

/* "containers[2] 'app'" */
static void add_container_ref(struct kcs_buf *b, const struct kcs_container *c)
{
	kcs_buf_addf(b, "%s[%u] '", list_key(c->type), c->index);
	add_printable(b, c->name.s, c->name.len);
	kcs_buf_addch(b, '\'');
}

static void note_container(struct notes *ns, const struct kcs_container *c,
			   const char *text)
{
	struct kcs_buf b = KCS_BUF_INIT(KCS_REMEDY_TEXT_MAX);

	add_container_ref(&b, c);
	kcs_buf_addstr(&b, text);
	note_take(ns, &b);
}

/* ---- collecting the template's containers ------------------------------ */

/* One container of the template, as the pods report it. */
struct entry {
	const struct kcs_container *c; /* first report, borrowed */
	unsigned char conflict;        /* pods disagree about it */
};

static int same_name(const struct kcs_container *a,
		     const struct kcs_container *b)
{
	return a->name.len == b->name.len &&
	       memcmp(a->name.s, b->name.s, a->name.len) == 0;
}

static int same_shape(const struct kcs_container *a,
		      const struct kcs_container *b)
{
	return a->reason == b->reason && a->has_sc == b->has_sc &&
	       a->has_caps == b->has_caps && a->has_drop == b->has_drop &&
	       a->privileged == b->privileged && a->malformed == b->malformed;
}

/*
 * Merge `c` into the entries: a duplicate is dropped; a container at the
 * same index under another name, or under the same name at another index,
 * or with another securityContext shape marks every entry it clashes with
 * as a conflict. Ephemeral containers belong to single pods, not to the
 * template: they are only deduplicated by name.
 */
static int merge(struct entry *es, size_t n, const struct kcs_container *c)
{
	size_t i;
	int matched = 0;

	for (i = 0; i < n; i++) {
		const struct kcs_container *e = es[i].c;
		int idx = e->index == c->index, nm = same_name(e, c);

		if (e->type != c->type)
			continue;
		if (c->type == KCS_CTYPE_EPHEMERAL) {
			if (nm)
				return 1;
			continue;
		}
		if (idx && nm && same_shape(e, c))
			return 1;
		if (idx || nm) {
			es[i].conflict = 1;
			matched = 1;
		}
	}
	return matched;
}

/* Order of the patch: init containers, then containers, by index. */
static int entry_before(const struct entry *a, const struct entry *b)
{
	if (a->c->type != b->c->type)
		return a->c->type < b->c->type;
	if (a->c->index != b->c->index)
		return a->c->index < b->c->index;
	return 0;
}

static enum kcs_err collect(const struct kcs_container *cs, size_t n,
			    struct entry **out, size_t *n_out)
{
	struct entry *es = NULL, tmp;
	size_t i, j, k = 0;

	*out = NULL;
	*n_out = 0;
	for (i = 0; i < n; i++) {
		if (cs[i].verdict != KCS_VERDICT_FAIL)
			continue;
		if (!es) {
			/* at most one entry per failing container */
			es = kcs_calloc(n - i, sizeof(*es));
			if (!es)
				return KCS_ERR_NOMEM;
		}
		if (merge(es, k, &cs[i]))
			continue;
		es[k].c = &cs[i];
		es[k].conflict = 0;
		k++;
	}
	for (i = 1; i < k; i++) /* insertion sort: entries are few */
		for (j = i; j > 0 && entry_before(&es[j], &es[j - 1]); j--) {
			tmp = es[j];
			es[j] = es[j - 1];
			es[j - 1] = tmp;
		}
	*out = es;
	*n_out = k;
	return KCS_OK;
}

/* ---- ops ---------------------------------------------------------------- */

static enum kcs_err op_push(struct kcs_remedy *r, size_t *cap, int test,
			    struct kcs_buf *path, enum kcs_patch_value v,
			    const struct kcs_container *c)
{
	struct kcs_patch_op *op;
	char *p;

	if (path->err)
		return path->err;
	if (r->n_ops == *cap) {
		size_t ncap = *cap ? 2 * *cap : 8;

		op = kcs_realloc(r->ops, ncap * sizeof(*op));
		if (!op)
			return KCS_ERR_NOMEM;
		r->ops = op;
		*cap = ncap;
	}
	p = kcs_strndup(path->buf, path->len);
	if (!p)
		return KCS_ERR_NOMEM;
	op = &r->ops[r->n_ops++];
	memset(op, 0, sizeof(*op));
	op->test = (unsigned char)test;
	op->path = p;
	op->value = v;
	if (test)
		op->name = c->name;
	return KCS_OK;
}

/*
 * The two ops for one container: test its name at its index, then add
 * the missing piece (the deepest existing object gains drop: ["ALL"]).
 */
static enum kcs_err container_ops(struct kcs_remedy *r, size_t *cap,
				  const char *base,
				  const struct kcs_container *c)
{
	struct kcs_buf p = KCS_BUF_INIT(4096);
	char idx[24];
	size_t len;
	enum kcs_patch_value v;
	enum kcs_err rc;

	kcs_buf_addstr(&p, base);
	kcs_remediate_pointer_add(&p, list_key(c->type),
				  strlen(list_key(c->type)));
	len = (size_t)snprintf(idx, sizeof(idx), "%u", c->index);
	kcs_remediate_pointer_add(&p, idx, len);
	len = p.len;
	kcs_remediate_pointer_add(&p, "name", 4);
	rc = op_push(r, cap, 1, &p, KCS_PV_NAME, c);
	if (rc)
		goto out;
	/* cut back to .../containers/N (p holds content: buf is owned) */
	p.len = len;
	p.buf[len] = '\0';
	kcs_remediate_pointer_add(&p, "securityContext", 15);
	v = KCS_PV_SECURITY_CONTEXT;
	if (c->has_sc) {
		kcs_remediate_pointer_add(&p, "capabilities", 12);
		v = KCS_PV_CAPABILITIES;
		if (c->has_caps) {
			kcs_remediate_pointer_add(&p, "drop", 4);
			v = KCS_PV_DROP;
			if (c->has_drop) {
				kcs_remediate_pointer_add(&p, "-", 1);
				v = KCS_PV_ALL;
			}
		}
	}
	rc = op_push(r, cap, 0, &p, v, c);
out:
	kcs_buf_release(&p);
	return rc;
}

static void gen_str(yajl_gen g, const char *s)
{
	yajl_gen_string(g, (const unsigned char *)s, strlen(s));
}

static void gen_drop_all(yajl_gen g)
{
	yajl_gen_array_open(g);
	gen_str(g, "ALL");
	yajl_gen_array_close(g);
}

static void gen_op(yajl_gen g, const struct kcs_patch_op *op)
{
	yajl_gen_map_open(g);
	gen_str(g, "op");
	gen_str(g, op->test ? "test" : "add");
	gen_str(g, "path");
	kcs_json_str(g, op->path);
	gen_str(g, "value");
	switch (op->value) {
	case KCS_PV_NAME:
		kcs_json_strn(g, op->name.s, op->name.len);
		break;
	case KCS_PV_SECURITY_CONTEXT:
		yajl_gen_map_open(g);
		gen_str(g, "capabilities");
		yajl_gen_map_open(g);
		gen_str(g, "drop");
		gen_drop_all(g);
		yajl_gen_map_close(g);
		yajl_gen_map_close(g);
		break;
	case KCS_PV_CAPABILITIES:
		yajl_gen_map_open(g);
		gen_str(g, "drop");
		gen_drop_all(g);
		yajl_gen_map_close(g);
		break;
	case KCS_PV_DROP:
		gen_drop_all(g);
		break;
	case KCS_PV_ALL:
		gen_str(g, "ALL");
		break;
	}
	yajl_gen_map_close(g);
}

void kcs_remedy_gen_patch(const struct kcs_remedy *r, yajl_gen g)
{
	size_t i;

	yajl_gen_array_open(g);
	for (i = 0; i < r->n_ops; i++)
		gen_op(g, &r->ops[i]);
	yajl_gen_array_close(g);
}

static enum kcs_err patch_text(struct kcs_remedy *r)
{
	yajl_gen g = yajl_gen_alloc(&kcs_yajl_alloc_funcs);
	const unsigned char *s;
	size_t len;
	enum kcs_err rc = KCS_OK;

	if (!g)
		return KCS_ERR_NOMEM;
	kcs_remedy_gen_patch(r, g);
	if (yajl_gen_get_buf(g, &s, &len) != yajl_gen_status_ok)
		rc = KCS_ERR_INTERNAL;
	else if (len > KCS_REMEDY_TEXT_MAX)
		rc = KCS_ERR_LIMIT;
	else if (!(r->json_patch = kcs_strndup((const char *)s, len)))
		rc = KCS_ERR_NOMEM;
	yajl_gen_free(g);
	return rc;
}

/* ---- the workload ------------------------------------------------------- */

/* Decide one container: 1 if the patch covers it, 0 if a human must. */
static int container_patchable(const struct entry *e, struct notes *ns)
{
	const struct kcs_container *c = e->c;

	if (c->type == KCS_CTYPE_EPHEMERAL) {
		note_container(ns, c, " is an ephemeral container, added to a "
			"running pod (kubectl debug) and not part of any pod "
			"template, so it cannot be patched: it goes away when "
			"the pod is recreated; start debug sessions with "
			"kubectl debug --profile=restricted, which drops ALL");
		return 0;
	}
	if (e->conflict) {
		note_container(ns, c, ": pods of this workload disagree about "
			"this container (another name at this index, this name "
			"at another index, or another securityContext), as "
			"during a rollout, so it is left out of the patch: "
			"scan again when the rollout is over");
		return 0;
	}
	if (c->malformed || c->reason == KCS_R_MALFORMED) {
		note_container(ns, c, ": a securityContext field has the wrong "
			"type, so no patch is computed: correct the field by "
			"hand, then add drop: [\"ALL\"] to its capabilities");
		return 0;
	}
	if (c->privileged || c->reason == KCS_R_PRIVILEGED) {
		note_container(ns, c, " is privileged: privileged containers "
			"get every capability whatever they drop; decide "
			"whether it needs privileged");
		return 0;
	}
	switch (c->reason) {
	case KCS_R_ADD_NET_RAW:
		note_container(ns, c, " adds NET_RAW: remove NET_RAW from "
			"capabilities.add after checking the app does not "
			"need raw sockets (e.g. ping)");
		return 0;
	case KCS_R_ADD_ALL:
		note_container(ns, c, " adds ALL: remove ALL from "
			"capabilities.add after checking the app does not "
			"need raw sockets (e.g. ping) or the other "
			"capabilities it grants");
		return 0;
	case KCS_R_DROP_PREFIXED_INEFFECTIVE:
		note_container(ns, c, " drops CAP_NET_RAW, a spelling some "
			"runtimes ignore: the patch adds ALL, and the prefixed "
			"entry can go");
		return 1;
	case KCS_R_NO_SECURITY_CONTEXT:
	case KCS_R_NO_CAPABILITIES:
	case KCS_R_NO_MATCHING_DROP:
		return 1;
	default:
		note_container(ns, c, ": no automatic fix for this reason; "
			"make it drop ALL by hand");
		return 0;
	}
}

/* The note that names a workload: "Deployment 'web'". */
static void add_workload_ref(struct kcs_buf *b,
			     const struct kcs_remedy_workload *w)
{
	add_printable(b, w->kind, strlen(w->kind));
	kcs_buf_addstr(b, " '");
	add_printable(b, w->name, w->name_len);
	kcs_buf_addch(b, '\'');
}

static int is_static_pod(const struct kcs_remedy_workload *w)
{
	return w->owner_kind && strcmp(w->owner_kind, "Node") == 0;
}

/* Notes about the kind: immutable, static, unknown, unresolved, source. */
static void kind_notes(const struct kcs_remedy_workload *w,
		       const struct kind_info *ki, struct notes *ns)
{
	struct kcs_buf b = KCS_BUF_INIT(KCS_REMEDY_TEXT_MAX);

	if (w->source_file) {
		kcs_buf_addstr(&b, "read from ");
		add_printable(&b, w->source_file, strlen(w->source_file));
		if (w->source_line)
			kcs_buf_addf(&b, " line %lu", w->source_line);
		kcs_buf_addstr(&b, ": apply the JSON patch to ");
		add_workload_ref(&b, w);
		kcs_buf_addstr(&b, " there (a kustomize patch takes it as "
			       "is), or add drop: [\"ALL\"] to the listed "
			       "containers by hand");
		note_take(ns, &b);
		if (!ki)
			note_str(ns, "this kind is not one kubecapscan knows "
				 "the pod template of, so no patch is given");
		return;
	}
	if (!ki) {
		add_workload_ref(&b, w);
		kcs_buf_addstr(&b, " is managed by a controller kubecapscan "
			       "does not know (a custom resource such as an "
			       "Argo Rollout), so no patch is given: add "
			       "drop: [\"ALL\"] to the listed containers in "
			       "its pod template, in the source that "
			       "generates it");
		note_take(ns, &b);
		return;
	}
	if (ki->cls == KIND_POD && is_static_pod(w)) {
		kcs_buf_addstr(&b, "static pod: the kubelet on node '");
		if (w->owner_name)
			add_printable(&b, w->owner_name, w->owner_name_len);
		kcs_buf_addstr(&b, "' runs it from a manifest file on that "
			       "node (often in /etc/kubernetes/manifests) and "
			       "the API object is only its mirror: make the "
			       "change in that file (the JSON patch paths "
			       "apply to it)");
		note_take(ns, &b);
	} else if (ki->cls == KIND_POD) {
		note_str(ns, "a Pod's containers cannot be changed once it "
			 "exists, so no kubectl command is given: fix whatever "
			 "creates this pod (the JSON patch applies to its "
			 "manifest, and kustomize takes it as is), then delete "
			 "and recreate the pod");
	} else if (ki->cls == KIND_BARE_JOB) {
		note_str(ns, "a Job's spec.template cannot be changed once the "
			 "Job exists, so no kubectl command is given: fix its "
			 "manifest (the JSON patch applies to it), then delete "
			 "and recreate the Job");
	}
	if (w->owner_gone) {
		add_workload_ref(&b, w);
		kcs_buf_addstr(&b, " no longer exists (or was recreated as "
			       "another object), so its pods are orphans "
			       "nothing will replace and there is nothing to "
			       "patch: fix the manifest that created them, "
			       "then delete the pods");
		note_take(ns, &b);
	} else if (!w->resolved) {
		kcs_buf_addstr(&b, "the controllers above ");
		add_workload_ref(&b, w);
		kcs_buf_addstr(&b, " could not be read (RBAC), so another "
			       "controller (a Deployment above a ReplicaSet, "
			       "a CronJob above a Job) may own it and undo "
			       "the patch: patch the top controller instead");
		note_take(ns, &b);
	}
	kcs_buf_release(&b);
}

/* `kubectl patch KIND NAME -n NS --type=json -p PATCH`, or a note. */
static enum kcs_err kubectl_patch(const struct kcs_remedy_workload *w,
				  const struct kind_info *ki,
				  struct kcs_remedy *r, struct notes *ns)
{
	struct kcs_buf b = KCS_BUF_INIT(KCS_REMEDY_TEXT_MAX + 4096);

	if (!w->ns_len) {
		note_str(ns, "no kubectl command: the namespace is not known");
		return KCS_OK;
	}
	if (!kubectl_name_ok(w->name, w->name_len, 0)) {
		note_str(ns, "no kubectl command: the name is empty, holds a "
			 "NUL byte or begins with '-', so kubectl would not "
			 "read it as a name");
		return KCS_OK;
	}
	if (memchr(w->ns, '\0', w->ns_len)) {
		note_str(ns, "no kubectl command: the namespace holds a NUL "
			 "byte");
		return KCS_OK;
	}
	kcs_buf_addstr(&b, "kubectl patch ");
	kcs_buf_addstr(&b, ki->resource);
	kcs_buf_addch(&b, ' ');
	kcs_remediate_shell_quote(&b, w->name, w->name_len);
	kcs_buf_addstr(&b, " -n ");
	kcs_remediate_shell_quote(&b, w->ns, w->ns_len);
	kcs_buf_addstr(&b, " --type=json -p ");
	kcs_remediate_shell_quote(&b, r->json_patch, strlen(r->json_patch));
	if (b.err) {
		enum kcs_err rc = b.err;

		kcs_buf_release(&b);
		return rc;
	}
	r->kubectl = kcs_buf_detach(&b, NULL);
	kcs_buf_release(&b);
	return r->kubectl ? KCS_OK : KCS_ERR_NOMEM;
}

static enum kcs_err build(const struct kcs_remedy_workload *w,
			  const struct entry *es, size_t n,
			  struct kcs_remedy *r, struct notes *ns)
{
	const struct kind_info *ki = kind_lookup(w->kind);
	size_t i, cap = 0, manual = 0;
	int live = !w->source_file;
	enum kcs_err rc;

	kind_notes(w, ki, ns);
	for (i = 0; i < n; i++) {
		if (!container_patchable(&es[i], ns)) {
			manual++;
		} else if (!ki) {
			note_container(ns, es[i].c, ": add drop: [\"ALL\"] to "
				       "its securityContext.capabilities");
			manual++;
		} else if ((rc = container_ops(r, &cap, ki->base, es[i].c))) {
			return rc;
		}
	}
	if (ns->err)
		return ns->err;
	r->failing = n;
	if (r->n_ops && (rc = patch_text(r)))
		return rc;
	if (r->n_ops && live && ki->cls == KIND_PATCH && !w->owner_gone) {
		if ((rc = kubectl_patch(w, ki, r, ns)))
			return rc;
		if (r->kubectl) {
			note_str(ns, ki->rollout);
			note_str(ns, "a patch to the live object is undone by "
				 "the next helm upgrade or GitOps sync (Argo "
				 "CD, Flux): make the same change in the chart "
				 "or manifest that defines it");
		}
	}
	r->automatic = manual == 0 && ki &&
		       (live ? r->kubectl && w->resolved
			     : 1);
	return ns->err;
}

enum kcs_err kcs_remediate_workload(const struct kcs_remedy_workload *w,
				    const struct kcs_container *cs, size_t n,
				    struct kcs_remedy *out,
				    struct kcs_error *err)
{
	struct entry *es = NULL;
	struct notes ns = { NULL, 0, 0, KCS_OK };
	size_t n_es;
	enum kcs_err rc;

	memset(out, 0, sizeof(*out));
	rc = collect(cs, n, &es, &n_es);
	if (!rc && n_es)
		rc = build(w, es, n_es, out, &ns);
	out->notes = ns.v;
	out->n_notes = ns.n;
	kcs_free(es);
	if (rc) {
		kcs_remedy_release(out);
		if (rc == KCS_ERR_LIMIT)
			return kcs_error_set(err, rc, "remediation patch "
					     "longer than %u bytes",
					     KCS_REMEDY_TEXT_MAX);
		return kcs_error_set(err, rc, "cannot build remediation: %s",
				     rc == KCS_ERR_NOMEM ? "out of memory"
							 : "internal error");
	}
	return KCS_OK;
}

void kcs_remedy_release(struct kcs_remedy *r)
{
	size_t i;

	if (!r)
		return;
	for (i = 0; i < r->n_ops; i++)
		kcs_free(r->ops[i].path);
	kcs_free(r->ops);
	for (i = 0; i < r->n_notes; i++)
		kcs_free(r->notes[i]);
	kcs_free(r->notes);
	kcs_free(r->json_patch);
	kcs_free(r->kubectl);
	memset(r, 0, sizeof(*r));
}

void kcs_remedy_gen(const struct kcs_remedy *r, yajl_gen g)
{
	size_t i;

	yajl_gen_map_open(g);
	gen_str(g, "automatic");
	yajl_gen_bool(g, r->automatic);
	gen_str(g, "jsonPatch");
	if (r->n_ops)
		kcs_remedy_gen_patch(r, g);
	else
		yajl_gen_null(g);
	gen_str(g, "kubectl");
	if (r->kubectl)
		kcs_json_str(g, r->kubectl);
	else
		yajl_gen_null(g);
	gen_str(g, "notes");
	yajl_gen_array_open(g);
	for (i = 0; i < r->n_notes; i++)
		kcs_json_str(g, r->notes[i]);
	yajl_gen_array_close(g);
	yajl_gen_map_close(g);
}

/* ---- namespaces --------------------------------------------------------- */

#define PSA_LABELS " pod-security.kubernetes.io/enforce=restricted" \
		   " pod-security.kubernetes.io/enforce-version=latest"

static char *label_command(const char *flags, const char *ns, size_t len)
{
	struct kcs_buf b = KCS_BUF_INIT(KCS_REMEDY_TEXT_MAX);
	char *s;

	kcs_buf_addstr(&b, "kubectl label ");
	kcs_buf_addstr(&b, flags);
	kcs_buf_addstr(&b, " namespace ");
	kcs_remediate_shell_quote(&b, ns, len);
	kcs_buf_addstr(&b, PSA_LABELS);
	s = kcs_buf_detach(&b, NULL);
	kcs_buf_release(&b);
	return s;
}

enum kcs_err kcs_remediate_namespace(const char *ns, size_t len,
				     struct kcs_remedy_ns *out,
				     struct kcs_error *err)
{
	memset(out, 0, sizeof(*out));
	if (!kubectl_name_ok(ns, len, 1)) {
		out->note = "no kubectl command: the namespace name is empty, "
			    "holds a NUL byte, begins or ends with '-' or "
			    "holds '=', so kubectl label would not read it as "
			    "a name";
		return KCS_OK;
	}
	out->kubectl = label_command("--overwrite", ns, len);
	out->dry_run = label_command("--dry-run=server --overwrite", ns, len);
	if (!out->kubectl || !out->dry_run) {
		kcs_remedy_ns_release(out);
		return kcs_error_set(err, KCS_ERR_NOMEM, "out of memory");
	}
	return KCS_OK;
}

void kcs_remedy_ns_release(struct kcs_remedy_ns *r)
{
	if (!r)
		return;
	kcs_free(r->kubectl);
	kcs_free(r->dry_run);
	memset(r, 0, sizeof(*r));
}

void kcs_remedy_ns_gen(const struct kcs_remedy_ns *r, yajl_gen g)
{
	yajl_gen_map_open(g);
	gen_str(g, "kubectl");
	if (r->kubectl)
		kcs_json_str(g, r->kubectl);
	else
		yajl_gen_null(g);
	gen_str(g, "dryRun");
	if (r->dry_run)
		kcs_json_str(g, r->dry_run);
	else
		yajl_gen_null(g);
	if (r->note) {
		gen_str(g, "note");
		gen_str(g, r->note);
	}
	yajl_gen_map_close(g);
}
