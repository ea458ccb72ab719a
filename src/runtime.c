/*
 * runtime.c - node and RuntimeClass tables, their streaming reader, and the
 * runtime-aware exposure of a container (see runtime.h).
 *
 * Shape of what we read; everything else is skipped with one counter:
 *
 *   document -> kind, metadata{continue, resourceVersion,
 *               remainingItemCount, name, uid, labels}, items[], status,
 *               handler, code/reason/message (a Status body)
 *   items[]  -> item{kind, metadata{name, labels}, status, handler}
 *   labels   -> kubernetes.io/os, beta.kubernetes.io/os
 *   status   -> nodeInfo{containerRuntimeVersion, operatingSystem}
 *
 * As in reader.c, the top-level object is both a possible list and a
 * possible single object, duplicate keys decode as Go decodes them into
 * the API types (last scalar wins, objects merge, a null map clears it),
 * and a field of the wrong type inside an item never makes a runtime look
 * safer: the node is kept as malformed (runtime and OS unknown).
 *
 * The exposure rules simulate what each runtime does with the capability
 * lists (../shared/domain/semantics.md 1.1-1.4), one bit at a time: only
 * NET_RAW matters here.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_parse.h>

#include "kcs/alloc.h"
#include "kcs/jsonsax.h"
#include "kcs/runtime.h"
#include "kcs/banned.h"

/* ---- classification ----------------------------------------------------- */

enum kcs_runtime kcs_runtime_classify(const char *s, size_t len,
				      size_t *version)
{
	static const struct {
		const char *scheme;
		enum kcs_runtime rt;
	} known[] = {
		{ "containerd://", KCS_RT_CONTAINERD },
		{ "cri-o://", KCS_RT_CRIO },
		{ "docker://", KCS_RT_DOCKER },
	};
	size_t i;

	if (version)
		*version = 0;
	if (len == 0)
		return KCS_RT_UNKNOWN;
	for (i = 0; i < KCS_ARRAY_SIZE(known); i++) {
		size_t n = strlen(known[i].scheme);

		if (len >= n && memcmp(s, known[i].scheme, n) == 0) {
			if (version)
				*version = n;
			return known[i].rt;
		}
	}
	return KCS_RT_OTHER;
}

const char *kcs_runtime_name(enum kcs_runtime rt)
{
	switch (rt) {
	case KCS_RT_UNKNOWN: return "unknown";
	case KCS_RT_CONTAINERD: return "containerd";
	case KCS_RT_CRIO: return "cri-o";
	case KCS_RT_DOCKER: return "docker";
	case KCS_RT_OTHER: return "other";
	}
	return "unknown";
}

const char *kcs_node_os_name(enum kcs_node_os os)
{
	switch (os) {
	case KCS_OS_UNKNOWN: return "unknown";
	case KCS_OS_LINUX: return "linux";
	case KCS_OS_WINDOWS: return "windows";
	case KCS_OS_OTHER: return "other";
	case KCS_OS_CONFLICT: return "conflict";
	}
	return "unknown";
}

/* ---- a small hash table of entries keyed by name ------------------------ */

struct hslot {
	size_t hash;
	const char *key; /* the entry's own name */
	size_t key_len;
	void *ent;       /* one kcs_malloc'ed block, or NULL if free */
};

struct htab {
	struct hslot *slots;
	size_t cap;      /* a power of two, or 0 */
	size_t n;        /* slots in use */
	size_t max;      /* most entries allowed */
};

/* FNV-1a: short keys, no adversary can gain much (the table is bounded). */
static size_t hash_bytes(const char *s, size_t len)
{
	size_t h = (size_t)14695981039346656037ULL, i;

	for (i = 0; i < len; i++) {
		h ^= (unsigned char)s[i];
		h *= (size_t)1099511628211ULL;
	}
	return h;
}

static struct hslot *ht_slot(const struct htab *t, const char *key,
			     size_t len, size_t h)
{
	size_t i, mask;

	if (!t->cap)
		return NULL;
	mask = t->cap - 1;
	for (i = h & mask;; i = (i + 1) & mask) {
		struct hslot *s = &t->slots[i];

		if (!s->ent || (s->hash == h && s->key_len == len &&
				memcmp(s->key, key, len) == 0))
			return s;
	}
}

static void *ht_find(const struct htab *t, const char *key, size_t len)
{
	struct hslot *s = ht_slot(t, key, len, hash_bytes(key, len));

	return s ? s->ent : NULL;
}

static enum kcs_err ht_grow(struct htab *t, struct kcs_error *err)
{
	size_t cap = t->cap ? t->cap * 2 : 64, i;
	struct hslot *old = t->slots, *slots;
	size_t old_cap = t->cap;

	slots = kcs_calloc(cap, sizeof(*slots));
	if (!slots)
		return kcs_error_set(err, KCS_ERR_NOMEM, "out of memory");
	t->slots = slots;
	t->cap = cap;
	for (i = 0; i < old_cap; i++)
		if (old[i].ent)
			*ht_slot(t, old[i].key, old[i].key_len, old[i].hash) =
				old[i];
	kcs_free(old);
	return KCS_OK;
}

/*
 * Put `ent` (named key[0..len), a string inside ent) in the table; an
 * entry of the same name is freed and replaced. On error `ent` is freed.
 */
static enum kcs_err ht_put(struct htab *t, void *ent, const char *key,
			   size_t len, const char *what,
			   struct kcs_error *err)
{
	size_t h = hash_bytes(key, len);
	struct hslot *s = ht_slot(t, key, len, h);

	if (s && s->ent) {
		kcs_free(s->ent);
		s->ent = ent;
		s->key = key;
		return KCS_OK;
	}
	if (t->n >= t->max) {
		kcs_free(ent);
		return kcs_error_set(err, KCS_ERR_LIMIT, "more than %zu %s",
				     t->max, what);
	}
	if ((t->n + 1) * 2 > t->cap && ht_grow(t, err)) {
		kcs_free(ent);
		return KCS_ERR_NOMEM;
	}
	s = ht_slot(t, key, len, h);
	s->hash = h;
	s->key = key;
	s->key_len = len;
	s->ent = ent;
	t->n++;
	return KCS_OK;
}

static void *ht_next(const struct htab *t, size_t *pos)
{
	while (*pos < t->cap) {
		void *e = t->slots[(*pos)++].ent;

		if (e)
			return e;
	}
	return NULL;
}

static void ht_clear(struct htab *t)
{
	size_t i;

	for (i = 0; i < t->cap; i++)
		kcs_free(t->slots[i].ent);
	if (t->cap)
		memset(t->slots, 0, t->cap * sizeof(*t->slots));
	t->n = 0;
}

static void ht_release(struct htab *t)
{
	ht_clear(t);
	kcs_free(t->slots);
	t->slots = NULL;
	t->cap = 0;
}

/* ---- the tables --------------------------------------------------------- */

struct kcs_nodes {
	struct htab ht;
	size_t nameless; /* items skipped for want of a name */
};

struct kcs_rtclasses {
	struct htab ht;
	size_t nameless;
};

struct kcs_nodes *kcs_nodes_new(void)
{
	struct kcs_nodes *t = kcs_calloc(1, sizeof(*t));

	if (t)
		t->ht.max = KCS_NODES_MAX;
	return t;
}

void kcs_nodes_free(struct kcs_nodes *t)
{
	if (!t)
		return;
	ht_release(&t->ht);
	kcs_free(t);
}

void kcs_nodes_clear(struct kcs_nodes *t)
{
	ht_clear(&t->ht);
	t->nameless = 0;
}

size_t kcs_nodes_count(const struct kcs_nodes *t)
{
	return t->ht.n;
}

size_t kcs_nodes_nameless(const struct kcs_nodes *t)
{
	return t->nameless;
}

const struct kcs_node *kcs_nodes_find(const struct kcs_nodes *t,
				      const char *name, size_t len)
{
	return ht_find(&t->ht, name, len);
}

const struct kcs_node *kcs_nodes_next(const struct kcs_nodes *t,
				      size_t *pos)
{
	return ht_next(&t->ht, pos);
}

struct kcs_rtclasses *kcs_rtclasses_new(void)
{
	struct kcs_rtclasses *t = kcs_calloc(1, sizeof(*t));

	if (t)
		t->ht.max = KCS_RTCLASSES_MAX;
	return t;
}

void kcs_rtclasses_free(struct kcs_rtclasses *t)
{
	if (!t)
		return;
	ht_release(&t->ht);
	kcs_free(t);
}

void kcs_rtclasses_clear(struct kcs_rtclasses *t)
{
	ht_clear(&t->ht);
	t->nameless = 0;
}

size_t kcs_rtclasses_count(const struct kcs_rtclasses *t)
{
	return t->ht.n;
}

const struct kcs_rtclass *kcs_rtclasses_find(const struct kcs_rtclasses *t,
					     const char *name, size_t len)
{
	return ht_find(&t->ht, name, len);
}

size_t kcs_rtclasses_nameless(const struct kcs_rtclasses *t)
{
	return t->nameless;
}

const struct kcs_rtclass *kcs_rtclasses_next(const struct kcs_rtclasses *t,
					     size_t *pos)
{
	return ht_next(&t->ht, pos);
}

static int count_cmp(const void *a, const void *b)
{
	const struct kcs_node *x = *(const struct kcs_node *const *)a;
	const struct kcs_node *y = *(const struct kcs_node *const *)b;

	if (x->runtime != y->runtime)
		return x->runtime < y->runtime ? -1 : 1;
	return strcmp(x->version, y->version);
}

enum kcs_err kcs_nodes_summary(const struct kcs_nodes *t,
			       struct kcs_runtime_count **out, size_t *n,
			       struct kcs_error *err)
{
	const struct kcs_node **v = NULL;
	struct kcs_runtime_count *rows = NULL;
	size_t i, k = 0, nrows = 0;

	*out = NULL;
	*n = 0;
	if (!t->ht.n)
		return KCS_OK;
	v = kcs_malloc(t->ht.n * sizeof(*v));
	rows = kcs_calloc(t->ht.n, sizeof(*rows));
	if (!v || !rows) {
		kcs_free(v);
		kcs_free(rows);
		return kcs_error_set(err, KCS_ERR_NOMEM, "out of memory");
	}
	for (i = 0; i < t->ht.cap; i++)
		if (t->ht.slots[i].ent)
			v[k++] = t->ht.slots[i].ent;
	qsort(v, k, sizeof(*v), count_cmp);
	for (i = 0; i < k; i++) {
		if (!nrows || count_cmp(&v[i], &v[i - 1]) != 0) {
			rows[nrows].runtime = v[i]->runtime;
			rows[nrows].version = v[i]->version;
			nrows++;
		}
		rows[nrows - 1].nodes++;
	}
	kcs_free(v);
	*out = rows;
	*n = nrows;
	return KCS_OK;
}

/* ---- the reader: schema ------------------------------------------------- */

/* What a value in a given place means to us. */
enum slot {
	/* envelope (jsonsax.h); "status" is also a Node's status object */
	S_SKIP = KCS_DOC_SKIP, S_DOC = KCS_DOC_ROOT, S_DOC_KIND = KCS_DOC_KIND,
	S_DOC_META = KCS_DOC_META, S_ITEMS = KCS_DOC_ITEMS,
	S_ITEM = KCS_DOC_ITEM, S_ITEM_KIND = KCS_DOC_ITEM_KIND,
	S_ITEM_META = KCS_DOC_ITEM_META, S_ST_CODE = KCS_DOC_ST_CODE,
	S_ST_REASON = KCS_DOC_ST_REASON, S_ST_MESSAGE = KCS_DOC_ST_MESSAGE,
	S_DOC_STATUS = KCS_DOC_ST_STATUS, S_CONTINUE = KCS_DOC_CONTINUE,
	S_RV = KCS_DOC_RV, S_REMAINING = KCS_DOC_REMAINING,
	/* item */
	S_NAME = KCS_DOC_SLOTS, S_LABELS, S_L_OS, S_L_BETA_OS, S_STATUS,
	S_NODEINFO, S_CRV, S_INFO_OS, S_HANDLER,
};

/* Open JSON containers we track (skipped ones are only counted). */
enum node {
	N_DOC, N_DOC_META, N_ITEMS, N_ITEM, N_META, N_LABELS, N_STATUS,
	N_NODEINFO,
};
#define N_NODES (N_NODEINFO + 1)

#define K(n, k, s) KCS_JSONSAX_KEY(n, k, s)
static const struct kcs_jsonsax_key keys[] = {
	K(N_DOC, "kind", S_DOC_KIND),
	K(N_DOC, "metadata", S_DOC_META),
	K(N_DOC, "items", S_ITEMS),
	K(N_DOC, "status", S_DOC_STATUS),
	K(N_DOC, "handler", S_HANDLER),
	K(N_DOC, "code", S_ST_CODE),
	K(N_DOC, "reason", S_ST_REASON),
	K(N_DOC, "message", S_ST_MESSAGE),
	K(N_DOC_META, "continue", S_CONTINUE),
	K(N_DOC_META, "resourceVersion", S_RV),
	K(N_DOC_META, "remainingItemCount", S_REMAINING),
	K(N_DOC_META, "name", S_NAME),
	K(N_DOC_META, "labels", S_LABELS),
	K(N_ITEM, "kind", S_ITEM_KIND),
	K(N_ITEM, "metadata", S_ITEM_META),
	K(N_ITEM, "status", S_STATUS),
	K(N_ITEM, "handler", S_HANDLER),
	K(N_META, "name", S_NAME),
	K(N_META, "labels", S_LABELS),
	K(N_LABELS, "kubernetes.io/os", S_L_OS),
	K(N_LABELS, "beta.kubernetes.io/os", S_L_BETA_OS),
	K(N_STATUS, "nodeInfo", S_NODEINFO),
	K(N_NODEINFO, "containerRuntimeVersion", S_CRV),
	K(N_NODEINFO, "operatingSystem", S_INFO_OS),
};
#undef K

/* The slot of an array's elements, by node (0: a map node). */
static const unsigned char elem_slot[N_NODES] = {
	[N_ITEMS] = S_ITEM,
};

/* A bounded text field of the item being read. */
struct field {
	unsigned char present;
	size_t len;
	char s[KCS_RUNTIME_TEXT_MAX + 1];
};

/* Field indexes in struct item.f[]. */
enum { F_NAME, F_OS, F_BETA_OS, F_CRV, F_INFO_OS, F_HANDLER, F_COUNT };

struct item {
	char kind[KCS_KIND_MAX + 1];
	unsigned char has_kind;
	unsigned char name_bad;  /* metadata.name of the wrong type */
	unsigned char malformed; /* another field of the wrong type */
	struct field f[F_COUNT];
};

enum mode { M_NODES, M_CLASSES };

struct kcs_rtreader {
	struct kcs_jsonsax sax; /* first: it is yajl's ctx (jsonsax.h) */
	enum mode mode;
	struct kcs_nodes *nodes;       /* M_NODES */
	struct kcs_rtclasses *classes; /* M_CLASSES */
	struct item item;
	struct kcs_doc_info info;
};
_Static_assert(offsetof(struct kcs_rtreader, sax) == 0 &&
	       N_NODES <= KCS_JSONSAX_MAX_NODES, "see jsonsax.h");

/* ---- the reader: helpers ------------------------------------------------ */

static void reset_item(struct kcs_rtreader *r)
{
	memset(&r->item, 0, sizeof(r->item));
}

static int set_field(struct kcs_rtreader *r, int f, const unsigned char *s,
		     size_t len)
{
	static const char *const what[F_COUNT] = {
		"metadata.name", "label kubernetes.io/os",
		"label beta.kubernetes.io/os",
		"nodeInfo.containerRuntimeVersion", "nodeInfo.operatingSystem",
		"handler",
	};
	struct field *d = &r->item.f[f];

	if (len > KCS_RUNTIME_TEXT_MAX)
		return kcs_jsonsax_fail(&r->sax, KCS_ERR_LIMIT,
					"%s longer than %d bytes", what[f],
					KCS_RUNTIME_TEXT_MAX);
	memcpy(d->s, s, len);
	d->s[len] = '\0';
	d->len = len;
	d->present = 1;
	return 1;
}

static int field_of(enum slot s)
{
	switch (s) {
	case S_NAME: return F_NAME;
	case S_L_OS: return F_OS;
	case S_L_BETA_OS: return F_BETA_OS;
	case S_CRV: return F_CRV;
	case S_INFO_OS: return F_INFO_OS;
	case S_HANDLER: return F_HANDLER;
	default: return -1;
	}
}

/* A value of the wrong JSON type for `s`: spoil the item or the document. */
static int wrong_type(void *ctx, unsigned slot)
{
	struct kcs_rtreader *r = ctx;
	enum slot s = (enum slot)slot;

	switch (s) {
	case S_SKIP: case S_DOC: case S_ITEMS: case S_ITEM: case S_DOC_KIND:
	case S_ITEM_KIND: case S_CONTINUE: case S_RV: case S_REMAINING:
	case S_ST_CODE: case S_ST_REASON: case S_ST_MESSAGE: case S_DOC_STATUS:
		return kcs_doc_wrong_type(&r->sax, s);
	case S_NAME:
		r->item.name_bad = 1;
		return 1;
	case S_DOC_META: case S_ITEM_META: case S_LABELS: case S_L_OS:
	case S_L_BETA_OS: case S_STATUS: case S_NODEINFO: case S_CRV:
	case S_INFO_OS: case S_HANDLER:
		r->item.malformed = 1;
		return 1;
	}
	return 1;
}

/* ---- the reader: storing an item ---------------------------------------- */

/* Is the closing item one of ours? `kind` is its own kind or "". */
static int wanted(const struct kcs_rtreader *r, const char *kind)
{
	const char *want = r->mode == M_NODES ? "Node" : "RuntimeClass";
	const char *want_list = r->mode == M_NODES ? "NodeList"
						   : "RuntimeClassList";
	const char *lk = r->info.kind;

	if (kind[0])
		return !strcmp(kind, want);
	if (!r->info.is_list)
		return 1; /* a lone object without kind: take it as ours */
	return !lk[0] || !strcmp(lk, want_list) || !strcmp(lk, "List");
}

/* Copy field f to *p (inside the entry's block) and move *p past it. */
static char *pack(char **p, const struct field *f)
{
	char *s = *p;

	memcpy(s, f->s, f->len);
	s[f->len] = '\0';
	*p += f->len + 1;
	return s;
}

/*
 * The OS every present source agrees on. The kubelet sets all three from
 * runtime.GOOS; labels can be edited, so a disagreement is CONFLICT, which
 * is never read as Windows (Windows would make the container N/A).
 * Compared with lengths: a "windows\u0000" label is not "windows".
 */
static enum kcs_node_os node_os(const struct item *it)
{
	static const int src[] = { F_OS, F_BETA_OS, F_INFO_OS };
	const struct field *first = NULL;
	size_t i;

	for (i = 0; i < KCS_ARRAY_SIZE(src); i++) {
		const struct field *f = &it->f[src[i]];

		if (!f->present)
			continue;
		if (!first)
			first = f;
		else if (f->len != first->len ||
			 memcmp(f->s, first->s, f->len) != 0)
			return KCS_OS_CONFLICT;
	}
	if (!first)
		return KCS_OS_UNKNOWN;
	if (first->len == 5 && !memcmp(first->s, "linux", 5))
		return KCS_OS_LINUX;
	if (first->len == 7 && !memcmp(first->s, "windows", 7))
		return KCS_OS_WINDOWS;
	return KCS_OS_OTHER;
}

static int store_node(struct kcs_rtreader *r)
{
	const struct item *it = &r->item;
	size_t sz = sizeof(struct kcs_node), i, voff;
	struct kcs_node *n;
	char *p;

	for (i = 0; i < F_COUNT; i++)
		sz += it->f[i].len + 1;
	n = kcs_calloc(1, sz);
	if (!n)
		return kcs_jsonsax_fail(&r->sax, KCS_ERR_NOMEM,
					"out of memory");
	p = (char *)(n + 1);
	n->name = pack(&p, &it->f[F_NAME]);
	n->name_len = it->f[F_NAME].len;
	n->runtime_text = pack(&p, &it->f[F_CRV]);
	n->os_label = it->f[F_OS].present ? pack(&p, &it->f[F_OS]) : NULL;
	n->beta_os_label = it->f[F_BETA_OS].present
				   ? pack(&p, &it->f[F_BETA_OS]) : NULL;
	n->info_os = it->f[F_INFO_OS].present ? pack(&p, &it->f[F_INFO_OS])
					      : NULL;
	n->malformed = it->malformed;
	if (n->malformed) {
		n->runtime = KCS_RT_UNKNOWN;
		n->version = n->runtime_text + it->f[F_CRV].len;
		n->os = KCS_OS_UNKNOWN;
	} else {
		n->runtime = kcs_runtime_classify(n->runtime_text,
						  it->f[F_CRV].len, &voff);
		n->version = n->runtime_text + voff;
		n->os = node_os(it);
	}
	r->sax.rc = ht_put(&r->nodes->ht, n, n->name, n->name_len, "nodes",
			   r->sax.err);
	return r->sax.rc == KCS_OK;
}

static int store_class(struct kcs_rtreader *r)
{
	const struct item *it = &r->item;
	size_t sz = sizeof(struct kcs_rtclass) + it->f[F_NAME].len + 1 +
		    it->f[F_HANDLER].len + 1;
	struct kcs_rtclass *c = kcs_calloc(1, sz);
	char *p;

	if (!c)
		return kcs_jsonsax_fail(&r->sax, KCS_ERR_NOMEM,
					"out of memory");
	p = (char *)(c + 1);
	c->name = pack(&p, &it->f[F_NAME]);
	c->name_len = it->f[F_NAME].len;
	c->handler = pack(&p, &it->f[F_HANDLER]);
	c->malformed = it->malformed;
	r->sax.rc = ht_put(&r->classes->ht, c, c->name, c->name_len,
			   "RuntimeClasses", r->sax.err);
	return r->sax.rc == KCS_OK;
}

static int finish_item(struct kcs_rtreader *r)
{
	struct item *it = &r->item;

	if (!wanted(r, it->has_kind ? it->kind : "")) {
		kcs_doc_note_skipped(&r->info,
				     it->has_kind ? it->kind : r->info.kind);
		return 1;
	}
	/* A node without a usable name cannot be matched by any pod. */
	if (it->name_bad || !it->f[F_NAME].len) {
		if (r->mode == M_NODES)
			r->nodes->nameless++;
		else
			r->classes->nameless++;
		return 1;
	}
	return r->mode == M_NODES ? store_node(r) : store_class(r);
}

/* ---- the reader: yajl callbacks ----------------------------------------- */

static int cb_start_map(void *ctx)
{
	struct kcs_rtreader *r = ctx;
	enum slot s;

	if (r->sax.skip)
		return kcs_jsonsax_enter_skip(&r->sax);
	s = kcs_jsonsax_value(&r->sax);
	switch (s) {
	case S_DOC:
		reset_item(r);
		return kcs_jsonsax_push(&r->sax, N_DOC, 0);
	case S_ITEM:
		reset_item(r);
		return kcs_jsonsax_push(&r->sax, N_ITEM, 0);
	case S_DOC_META:
		return kcs_jsonsax_push(&r->sax, N_DOC_META, 0);
	case S_ITEM_META:
		return kcs_jsonsax_push(&r->sax, N_META, 0);
	case S_LABELS:
		return kcs_jsonsax_push(&r->sax, N_LABELS, 0);
	case S_DOC_STATUS: /* a Node's status (a Status body has a string) */
	case S_STATUS:
		return kcs_jsonsax_push(&r->sax, N_STATUS, 0);
	case S_NODEINFO:
		return kcs_jsonsax_push(&r->sax, N_NODEINFO, 0);
	case S_SKIP:
		return kcs_jsonsax_enter_skip(&r->sax);
	default:
		return wrong_type(r, s) && kcs_jsonsax_enter_skip(&r->sax);
	}
}

static int cb_end_map(void *ctx)
{
	struct kcs_rtreader *r = ctx;
	int n = kcs_jsonsax_pop(&r->sax);

	if (n == N_ITEM)
		return finish_item(r);
	/* a single object: it is the one item */
	if (n == N_DOC && kcs_doc_closed(&r->sax, &r->info, r->item.kind,
					 &r->item.has_kind))
		return finish_item(r);
	return 1;
}

static int cb_start_array(void *ctx)
{
	struct kcs_rtreader *r = ctx;
	enum slot s;

	if (r->sax.skip)
		return kcs_jsonsax_enter_skip(&r->sax);
	s = kcs_jsonsax_value(&r->sax);
	switch (s) {
	case S_ITEMS:
		r->info.is_list = 1;
		return kcs_jsonsax_push(&r->sax, N_ITEMS, 0);
	case S_SKIP:
		return kcs_jsonsax_enter_skip(&r->sax);
	default:
		return wrong_type(r, s) && kcs_jsonsax_enter_skip(&r->sax);
	}
}

static int cb_string(void *ctx, const unsigned char *s, size_t len)
{
	struct kcs_rtreader *r = ctx;
	enum slot slot;

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
	case S_ST_REASON: case S_ST_MESSAGE: case S_DOC_STATUS:
	case S_CONTINUE: case S_RV:
		return kcs_doc_string(&r->sax, &r->info, slot, s, len);
	case S_NAME:
		r->item.name_bad = 0;
		return set_field(r, F_NAME, s, len);
	case S_L_OS: case S_L_BETA_OS: case S_CRV: case S_INFO_OS:
	case S_HANDLER:
		return set_field(r, field_of(slot), s, len);
	default:
		return wrong_type(r, slot);
	}
}

/* JSON null: absent for strings and structs; a null map clears it (Go). */
static int cb_null(void *ctx)
{
	struct kcs_rtreader *r = ctx;
	enum slot slot;

	if (r->sax.skip)
		return 1;
	slot = kcs_jsonsax_value(&r->sax);
	switch (slot) {
	case S_DOC: case S_ITEMS: case S_ITEM:
		return kcs_doc_null(&r->sax, &r->info, slot);
	case S_LABELS:
		memset(&r->item.f[F_OS], 0, sizeof(r->item.f[F_OS]));
		memset(&r->item.f[F_BETA_OS], 0, sizeof(r->item.f[F_BETA_OS]));
		return 1;
	case S_NAME: case S_L_OS: case S_L_BETA_OS: case S_CRV:
	case S_INFO_OS: case S_HANDLER:
		memset(&r->item.f[field_of(slot)], 0, sizeof(struct field));
		if (slot == S_NAME)
			r->item.name_bad = 0;
		return 1;
	default:
		return 1;
	}
}

static int cb_boolean(void *ctx, int b)
{
	struct kcs_rtreader *r = ctx;
	enum slot slot;

	(void)b;
	if (r->sax.skip)
		return 1;
	slot = kcs_jsonsax_value(&r->sax);
	return wrong_type(r, slot);
}

/* ---- the reader: public API --------------------------------------------- */

static const struct kcs_jsonsax_schema schema = {
	.keys = keys,
	.n_keys = KCS_ARRAY_SIZE(keys),
	.elem_slot = elem_slot,
	.callbacks = KCS_DOC_CALLBACKS,
	.wrong_type = wrong_type,
};

static struct kcs_rtreader *reader_new(enum mode m, struct kcs_nodes *nodes,
				       struct kcs_rtclasses *classes)
{
	struct kcs_rtreader *r = kcs_calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->mode = m;
	r->nodes = nodes;
	r->classes = classes;
	kcs_jsonsax_init(&r->sax, &schema, KCS_JSON_MAX_DEPTH,
			 KCS_JSON_MAX_STRING);
	kcs_doc_info_init(&r->info);
	r->sax.info = &r->info;
	if (kcs_jsonsax_open(&r->sax, NULL)) {
		kcs_free(r);
		return NULL;
	}
	return r;
}

struct kcs_rtreader *kcs_rtreader_new_nodes(struct kcs_nodes *t)
{
	return reader_new(M_NODES, t, NULL);
}

struct kcs_rtreader *kcs_rtreader_new_classes(struct kcs_rtclasses *t)
{
	return reader_new(M_CLASSES, NULL, t);
}

void kcs_rtreader_free(struct kcs_rtreader *r)
{
	if (!r)
		return;
	kcs_jsonsax_release(&r->sax);
	kcs_doc_info_release(&r->info);
	kcs_free(r);
}

enum kcs_err kcs_rtreader_restart(struct kcs_rtreader *r,
				  struct kcs_error *err)
{
	reset_item(r);
	kcs_doc_info_reset(&r->info);
	return kcs_jsonsax_restart(&r->sax, err);
}

enum kcs_err kcs_rtreader_feed(struct kcs_rtreader *r, const void *data,
			       size_t len, struct kcs_error *err)
{
	return kcs_jsonsax_feed(&r->sax, data, len, err);
}

enum kcs_err kcs_rtreader_finish(struct kcs_rtreader *r,
				 struct kcs_error *err)
{
	return kcs_jsonsax_finish(&r->sax, err);
}

unsigned long long kcs_rtreader_offset(const struct kcs_rtreader *r)
{
	return r->sax.fed;
}

const struct kcs_doc_info *kcs_rtreader_info(const struct kcs_rtreader *r)
{
	return &r->info;
}

/* ---- a pod on its node -------------------------------------------------- */

/* Does s[0..len) contain `word` (lower-case), ASCII case-insensitively? */
static int contains_ci(const char *s, size_t len, const char *word)
{
	size_t n = strlen(word), i, j;

	for (i = 0; i + n <= len; i++) {
		for (j = 0; j < n; j++) {
			unsigned char c = (unsigned char)s[i + j];

			if (c >= 'A' && c <= 'Z')
				c = (unsigned char)(c - 'A' + 'a');
			if (c != (unsigned char)word[j])
				break;
		}
		if (j == n)
			return 1;
	}
	return 0;
}

static int gvisor_name(const char *s, size_t len)
{
	return contains_ci(s, len, "gvisor") || contains_ci(s, len, "runsc");
}

void kcs_runtime_pod(const struct kcs_nodes *nodes,
		     const struct kcs_rtclasses *classes,
		     const struct kcs_pod *pod, struct kcs_pod_runtime *out)
{
	const struct kcs_name *nn = &pod->node_name;
	const struct kcs_name *rc = &pod->runtime_class;
	const struct kcs_rtclass *cls = NULL;

	memset(out, 0, sizeof(*out));
	if (!nn->len)
		out->node_state = KCS_NODE_NOT_SCHEDULED;
	else if (!nodes)
		out->node_state = KCS_NODE_UNREADABLE;
	else if ((out->node = kcs_nodes_find(nodes, nn->s, nn->len)))
		out->node_state = KCS_NODE_KNOWN;
	else
		out->node_state = KCS_NODE_NOT_FOUND;

	if (!rc->len) {
		out->handler_state = KCS_HANDLER_DEFAULT;
		return;
	}
	if (!classes)
		out->handler_state = KCS_HANDLER_UNREADABLE;
	else if (!(cls = kcs_rtclasses_find(classes, rc->s, rc->len)))
		out->handler_state = KCS_HANDLER_NOT_FOUND;
	else if (cls->malformed)
		out->handler_state = KCS_HANDLER_UNREADABLE;
	else {
		out->handler_state = KCS_HANDLER_KNOWN;
		out->handler = cls->handler;
	}
	out->sandboxed = gvisor_name(rc->s, rc->len) ||
			 (out->handler &&
			  gvisor_name(out->handler, strlen(out->handler)));
}

/* ---- what each runtime does with the lists ------------------------------ */

/* Does the container end up holding NET_RAW? */
enum sim { SIM_NO, SIM_YES, SIM_CONFIG /* CRI-O default set decides */ };

#define ADD_ANY(c) ((c)->add & (KCS_CAP_NET_RAW | KCS_CAP_PREFIXED))
#define DROP_ANY(c) ((c)->drop & (KCS_CAP_NET_RAW | KCS_CAP_PREFIXED))

/*
 * containerd (internal/cri/opts/spec_opts.go WithCapabilities, then
 * WithPrivileged): default set (with NET_RAW), add ALL, drop ALL,
 * individual adds, individual drops; names get "CAP_" prepended, so
 * CAP_NET_RAW becomes CAP_CAP_NET_RAW and does nothing on either side.
 */
static enum sim sim_containerd(const struct kcs_container *c)
{
	int has = 1;

	if (c->privileged)
		return SIM_YES;
	if (c->add & KCS_CAP_ALL)
		has = 1;
	if (c->drop & KCS_CAP_ALL)
		has = 0;
	if (c->add & KCS_CAP_NET_RAW)
		has = 1;
	if (c->drop & KCS_CAP_NET_RAW)
		has = 0;
	return has ? SIM_YES : SIM_NO;
}

/*
 * CRI-O (SpecSetupCapabilities): the default set joins the adds only when
 * neither list holds ALL; then add ALL, drop ALL, individual adds,
 * individual drops; the CAP_ prefix is accepted. Its default set has had
 * no NET_RAW since 1.18 (`old` says the node runs an older CRI-O).
 */
static enum sim sim_crio(const struct kcs_container *c, int old)
{
	enum sim has;

	if (c->privileged)
		return SIM_YES;
	if ((c->add | c->drop) & KCS_CAP_ALL)
		has = SIM_NO;
	else
		has = old ? SIM_YES : SIM_CONFIG;
	if (c->add & KCS_CAP_ALL)
		has = SIM_YES;
	if (c->drop & KCS_CAP_ALL)
		has = SIM_NO;
	if (ADD_ANY(c))
		has = SIM_YES;
	if (DROP_ANY(c))
		has = SIM_NO;
	return has;
}

/*
 * Docker (moby oci/caps TweakCapabilities, cri-dockerd): privileged is
 * everything; add ALL is everything but the named drops (add ALL with drop
 * ALL is everything on current moby); drop ALL is exactly the adds;
 * otherwise defaults (with NET_RAW) minus drops plus adds: add wins.
 */
static enum sim sim_docker(const struct kcs_container *c)
{
	if (c->privileged)
		return SIM_YES;
	if (c->add & KCS_CAP_ALL)
		return DROP_ANY(c) ? SIM_NO : SIM_YES;
	if (c->drop & KCS_CAP_ALL)
		return ADD_ANY(c) ? SIM_YES : SIM_NO;
	if (ADD_ANY(c))
		return SIM_YES;
	return DROP_ANY(c) ? SIM_NO : SIM_YES;
}

/* Is this CRI-O older than 1.18 (default set with NET_RAW)? */
static int crio_before_1_18(const char *v)
{
	unsigned long major = 0, minor = 0;
	int digits = 0;

	for (; *v >= '0' && *v <= '9' && digits < 6; v++, digits++)
		major = major * 10 + (unsigned long)(*v - '0');
	if (!digits || *v++ != '.')
		return 0;
	for (digits = 0; *v >= '0' && *v <= '9' && digits < 6; v++, digits++)
		minor = minor * 10 + (unsigned long)(*v - '0');
	if (!digits)
		return 0;
	return major == 0 || (major == 1 && minor < 18);
}

/* Why a runtime grants NET_RAW. */
static enum kcs_exposure_reason why_yes(const struct kcs_container *c,
					enum kcs_runtime rt)
{
	if (c->privileged)
		return KCS_XR_PRIVILEGED;
	if (rt == KCS_RT_CONTAINERD) {
		if (c->add & (KCS_CAP_ALL | KCS_CAP_NET_RAW))
			return KCS_XR_ADDED;
		if (c->drop & KCS_CAP_PREFIXED)
			return KCS_XR_DROP_PREFIXED_IGNORED;
		return KCS_XR_RUNTIME_DEFAULT;
	}
	if (c->add & (KCS_CAP_ALL | KCS_CAP_NET_RAW | KCS_CAP_PREFIXED))
		return KCS_XR_ADDED;
	return KCS_XR_RUNTIME_DEFAULT;
}

/* Why a runtime removes NET_RAW although the spec FAILs. */
static enum kcs_exposure_reason why_no(const struct kcs_container *c,
				       enum kcs_runtime rt)
{
	if (c->add & (KCS_CAP_ALL | KCS_CAP_NET_RAW | KCS_CAP_PREFIXED)) {
		if (rt == KCS_RT_CONTAINERD &&
		    !(c->add & (KCS_CAP_ALL | KCS_CAP_NET_RAW)))
			return KCS_XR_PREFIXED_ADD_IGNORED;
		return KCS_XR_ADD_UNDONE;
	}
	if (c->drop & KCS_CAP_PREFIXED)
		return KCS_XR_DROP_PREFIXED_HONOURED;
	return KCS_XR_ADD_UNDONE;
}

static void set_x(struct kcs_container_exposure *x, enum kcs_exposure e,
		  enum kcs_exposure_reason r)
{
	x->effective = e;
	x->reason = r;
}

/* Rule 7: no usable runtime. Decide only where all three agree. */
static void without_runtime(const struct kcs_pod_runtime *w,
			    const struct kcs_container *c,
			    struct kcs_container_exposure *x)
{
	enum sim a = sim_containerd(c), b = sim_crio(c, 0), d = sim_docker(c);
	enum kcs_exposure_reason why;

	if (a == SIM_YES && b == SIM_YES && d == SIM_YES) {
		set_x(x, KCS_X_EXPOSED, why_yes(c, KCS_RT_OTHER));
		return;
	}
	if (a == SIM_NO && b == SIM_NO && d == SIM_NO) {
		set_x(x, KCS_X_WARN, why_no(c, KCS_RT_OTHER));
		return;
	}
	switch (w->node_state) {
	case KCS_NODE_NOT_SCHEDULED: why = KCS_XR_NOT_SCHEDULED; break;
	case KCS_NODE_NOT_FOUND: why = KCS_XR_NODE_NOT_FOUND; break;
	case KCS_NODE_UNREADABLE: why = KCS_XR_NODES_UNREADABLE; break;
	default:
		if (w->node->malformed)
			why = KCS_XR_NODE_MALFORMED;
		else if (w->node->runtime == KCS_RT_UNKNOWN)
			why = KCS_XR_RUNTIME_NOT_REPORTED;
		else
			why = KCS_XR_RUNTIME_NOT_RECOGNISED;
		break;
	}
	set_x(x, KCS_X_UNKNOWN, why);
}

void kcs_runtime_exposure(const struct kcs_pod *pod,
			  const struct kcs_pod_runtime *w,
			  const struct kcs_container *c,
			  struct kcs_container_exposure *x)
{
	const struct kcs_node *node =
		w->node_state == KCS_NODE_KNOWN ? w->node : NULL;
	enum kcs_runtime rt = node ? node->runtime : KCS_RT_UNKNOWN;
	enum sim s;

	x->flags = 0;
	if (w->sandboxed)
		x->flags |= KCS_XF_SANDBOXED;
	if (w->handler_state == KCS_HANDLER_NOT_FOUND ||
	    w->handler_state == KCS_HANDLER_UNREADABLE)
		x->flags |= KCS_XF_HANDLER_UNKNOWN;

	/* 1-2: Windows, from the pod or (spec.os unset) from its node. */
	if (c->verdict == KCS_VERDICT_NOT_APPLICABLE || pod->windows) {
		set_x(x, KCS_X_NOT_APPLICABLE, KCS_XR_WINDOWS_POD);
		return;
	}
	if (node && node->os == KCS_OS_WINDOWS) {
		if (pod->os_set) {
			set_x(x, KCS_X_UNKNOWN, KCS_XR_OS_MISMATCH);
			return;
		}
		x->flags |= KCS_XF_OS_INFERRED;
		set_x(x, KCS_X_NOT_APPLICABLE, KCS_XR_WINDOWS_NODE);
		return;
	}
	/* 3: a spec we could not read says nothing about the runtime. */
	if (c->verdict == KCS_VERDICT_UNKNOWN) {
		set_x(x, KCS_X_UNKNOWN, KCS_XR_SPEC_UNKNOWN);
		return;
	}
	if (c->malformed || c->reason == KCS_R_MALFORMED) {
		set_x(x, KCS_X_UNKNOWN, KCS_XR_SPEC_MALFORMED);
		return;
	}
	/*
	 * 4: a spec PASS holds NET_RAW on no runtime. Checked by simulation
	 * too (and CRI-O assumed to have NET_RAW by default), so that a rule
	 * table out of step with the runtimes can never yield NOT_EXPOSED.
	 */
	if (c->verdict == KCS_VERDICT_PASS && sim_containerd(c) == SIM_NO &&
	    sim_crio(c, 1) == SIM_NO && sim_docker(c) == SIM_NO) {
		set_x(x, KCS_X_NOT_EXPOSED, KCS_XR_SPEC_DROPS);
		return;
	}
	/* 5: gVisor strips NET_RAW unless runsc --net-raw: unknowable. */
	if (w->sandboxed) {
		set_x(x, KCS_X_WARN, KCS_XR_SANDBOXED);
		return;
	}
	/* 6: the node's runtime. */
	switch (node && !node->malformed ? rt : KCS_RT_UNKNOWN) {
	case KCS_RT_CONTAINERD:
		s = sim_containerd(c);
		break;
	case KCS_RT_CRIO:
		s = sim_crio(c, crio_before_1_18(node->version));
		break;
	case KCS_RT_DOCKER:
		s = sim_docker(c);
		break;
	default:
		without_runtime(w, c, x);
		return;
	}
	if (s == SIM_YES)
		set_x(x, KCS_X_EXPOSED, why_yes(c, rt));
	else if (s == SIM_CONFIG)
		set_x(x, KCS_X_WARN, KCS_XR_CRIO_DEFAULT_EXCLUDES_NET_RAW);
	else
		set_x(x, KCS_X_WARN, why_no(c, rt));
}

/* ---- names -------------------------------------------------------------- */

const char *kcs_exposure_name(enum kcs_exposure x)
{
	switch (x) {
	case KCS_X_EXPOSED: return "EXPOSED";
	case KCS_X_NOT_EXPOSED: return "NOT_EXPOSED";
	case KCS_X_WARN: return "WARN";
	case KCS_X_UNKNOWN: return "UNKNOWN";
	case KCS_X_NOT_APPLICABLE: return "NOT_APPLICABLE";
	}
	return "UNKNOWN";
}

static const struct {
	const char *name;
	const char *text;
} xreasons[KCS_XR_COUNT] = {
	[KCS_XR_WINDOWS_POD] = { "WINDOWS_POD",
		"Windows pod (spec.os.name: windows): Linux capabilities do not exist on Windows" },
	[KCS_XR_WINDOWS_NODE] = { "WINDOWS_NODE",
		"the node runs Windows and spec.os is unset: Linux capabilities do not exist on Windows" },
	[KCS_XR_OS_MISMATCH] = { "OS_MISMATCH",
		"spec.os.name is not windows but the node runs Windows; the kubelet rejects such a pod" },
	[KCS_XR_SPEC_UNKNOWN] = { "SPEC_UNKNOWN",
		"the container's spec verdict is UNKNOWN" },
	[KCS_XR_SPEC_MALFORMED] = { "SPEC_MALFORMED",
		"a securityContext field has the wrong JSON type, so what the runtime grants cannot be told" },
	[KCS_XR_SPEC_DROPS] = { "SPEC_DROPS",
		"the drop list removes NET_RAW and no runtime adds it back" },
	[KCS_XR_SANDBOXED] = { "SANDBOXED",
		"gVisor (runsc) turns raw sockets off unless runsc runs with --net-raw, which the API cannot show: fix the spec anyway" },
	[KCS_XR_PRIVILEGED] = { "PRIVILEGED",
		"privileged: true: the runtime grants every capability, NET_RAW included" },
	[KCS_XR_ADDED] = { "ADDED",
		"capabilities.add grants NET_RAW on this runtime" },
	[KCS_XR_ADD_UNDONE] = { "ADD_UNDONE",
		"a drop removes the added NET_RAW again on this runtime, but the outcome depends on the runtime's add/drop order and Pod Security baseline rejects the add: fix the spec" },
	[KCS_XR_PREFIXED_ADD_IGNORED] = { "PREFIXED_ADD_IGNORED",
		"containerd reads CAP_NET_RAW in add as CAP_CAP_NET_RAW and adds nothing here; CRI-O and Docker grant it: fix the spec" },
	[KCS_XR_DROP_PREFIXED_IGNORED] = { "DROP_PREFIXED_IGNORED",
		"containerd reads CAP_NET_RAW in drop as CAP_CAP_NET_RAW and ignores it, so NET_RAW stays: drop NET_RAW or ALL" },
	[KCS_XR_DROP_PREFIXED_HONOURED] = { "DROP_PREFIXED_HONOURED",
		"CAP_NET_RAW is honoured by this runtime, so the drop works here; it fails on containerd nodes: fix the spelling" },
	[KCS_XR_RUNTIME_DEFAULT] = { "RUNTIME_DEFAULT",
		"the runtime's default capability set includes NET_RAW and nothing drops it" },
	[KCS_XR_CRIO_DEFAULT_EXCLUDES_NET_RAW] = { "CRIO_DEFAULT_EXCLUDES_NET_RAW",
		"CRI-O's default capability set (since 1.18) excludes NET_RAW unless the node's crio.conf default_capabilities adds it back, which the API cannot show: drop it explicitly" },
	[KCS_XR_NOT_SCHEDULED] = { "NOT_SCHEDULED",
		"the pod has no node yet (spec.nodeName is empty), so its runtime is unknown" },
	[KCS_XR_NODE_NOT_FOUND] = { "NODE_NOT_FOUND",
		"the pod's node is not in the node list, so its runtime is unknown" },
	[KCS_XR_NODES_UNREADABLE] = { "NODES_UNREADABLE",
		"nodes could not be listed, so the pod's runtime is unknown" },
	[KCS_XR_NODE_MALFORMED] = { "NODE_MALFORMED",
		"the node's runtime or OS fields have the wrong JSON type, so its runtime is unknown" },
	[KCS_XR_RUNTIME_NOT_REPORTED] = { "RUNTIME_NOT_REPORTED",
		"the node reports no containerRuntimeVersion, so its runtime is unknown" },
	[KCS_XR_RUNTIME_NOT_RECOGNISED] = { "RUNTIME_NOT_RECOGNISED",
		"the node's runtime is not containerd, CRI-O or Docker, so how it treats capabilities is unknown" },
};

const char *kcs_exposure_reason_name(enum kcs_exposure_reason r)
{
	return (unsigned)r < KCS_XR_COUNT ? xreasons[r].name : "UNKNOWN";
}

const char *kcs_exposure_reason_text(enum kcs_exposure_reason r)
{
	return (unsigned)r < KCS_XR_COUNT ? xreasons[r].text : "";
}

const char *kcs_exposure_flag_name(unsigned bit)
{
	switch (bit) {
	case KCS_XF_HANDLER_UNKNOWN: return "HANDLER_UNKNOWN";
	case KCS_XF_OS_INFERRED: return "OS_INFERRED";
	case KCS_XF_SANDBOXED: return "SANDBOXED";
	}
	return NULL;
}

const char *kcs_node_state_name(enum kcs_node_state s)
{
	switch (s) {
	case KCS_NODE_KNOWN: return "KNOWN";
	case KCS_NODE_NOT_SCHEDULED: return "NOT_SCHEDULED";
	case KCS_NODE_NOT_FOUND: return "NOT_FOUND";
	case KCS_NODE_UNREADABLE: return "UNREADABLE";
	}
	return "UNREADABLE";
}

const char *kcs_handler_state_name(enum kcs_handler_state s)
{
	switch (s) {
	case KCS_HANDLER_DEFAULT: return "DEFAULT";
	case KCS_HANDLER_KNOWN: return "KNOWN";
	case KCS_HANDLER_NOT_FOUND: return "NOT_FOUND";
	case KCS_HANDLER_UNREADABLE: return "UNREADABLE";
	}
	return "UNREADABLE";
}
