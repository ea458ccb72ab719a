/*
 * owners.c - the owner-object table, its streaming reader, and following
 * a pod's controller up to its workload (see owners.h).
 *
 * Shape of what we read; everything else is skipped with one counter:
 *
 *   document -> kind, metadata{continue, resourceVersion,
 *               remainingItemCount, name, namespace, uid,
 *               ownerReferences[]}, items[], code/reason/message/status
 *   items[]  -> item{kind, metadata{name, namespace, uid,
 *               ownerReferences[]}}
 *   ownerReferences[] -> {kind, name, uid, controller}
 *
 * As in reader.c, the top-level object is both a possible list and a
 * possible single object, and duplicate keys decode as Go decodes them
 * (last scalar wins, a repeated list replaces the earlier one, null clears
 * a list). The first ownerReference with controller: true is the
 * controller (the API server allows only one).
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <yajl/yajl_parse.h>

#include "kcs/alloc.h"
#include "kcs/jsonsax.h"
#include "kcs/owners.h"
#include "kcs/workload.h"
#include "kcs/banned.h"

/* ---- the table ---------------------------------------------------------- */

struct oslot {
	size_t hash;
	struct kcs_owned *ent; /* one kcs_malloc'ed block, or NULL if free */
};

struct kcs_owners {
	struct oslot *slots;
	size_t cap;            /* a power of two, or 0 */
	size_t n;              /* slots in use */
	size_t nameless;       /* items skipped for want of a name */
	size_t n_listed;
	char listed[KCS_OWNERS_MAX_KINDS][KCS_KIND_NAME_MAX + 1];
};

/* FNV-1a over each part and its length, so "a"+"bc" != "ab"+"c". */
static size_t hash_part(size_t h, const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= (unsigned char)s[i];
		h *= (size_t)1099511628211ULL;
	}
	h ^= len;
	h *= (size_t)1099511628211ULL;
	return h;
}

static size_t hash_key(const char *kind, const char *ns, size_t ns_len,
		       const char *name, size_t name_len)
{
	size_t h = (size_t)14695981039346656037ULL;

	h = hash_part(h, kind, strlen(kind));
	h = hash_part(h, ns, ns_len);
	return hash_part(h, name, name_len);
}

static int same(const struct kcs_owned *e, const char *kind, const char *ns,
		size_t ns_len, const char *name, size_t name_len)
{
	return e->ns_len == ns_len && e->name_len == name_len &&
	       !strcmp(e->kind, kind) && !memcmp(e->ns, ns, ns_len) &&
	       !memcmp(e->name, name, name_len);
}

static struct oslot *slot_of(const struct kcs_owners *t, const char *kind,
			     const char *ns, size_t ns_len, const char *name,
			     size_t name_len, size_t h)
{
	size_t i, mask;

	if (!t->cap)
		return NULL;
	mask = t->cap - 1;
	for (i = h & mask;; i = (i + 1) & mask) {
		struct oslot *s = &t->slots[i];

		if (!s->ent || (s->hash == h && same(s->ent, kind, ns, ns_len,
						     name, name_len)))
			return s;
	}
}

static enum kcs_err grow(struct kcs_owners *t, struct kcs_error *err)
{
	size_t cap = t->cap ? t->cap * 2 : 256, i, old_cap = t->cap;
	struct oslot *old = t->slots, *slots = kcs_calloc(cap, sizeof(*slots));

	if (!slots)
		return kcs_error_set(err, KCS_ERR_NOMEM, "out of memory");
	t->slots = slots;
	t->cap = cap;
	for (i = 0; i < old_cap; i++) {
		const struct kcs_owned *e = old[i].ent;

		if (e)
			*slot_of(t, e->kind, e->ns, e->ns_len, e->name,
				 e->name_len, old[i].hash) = old[i];
	}
	kcs_free(old);
	return KCS_OK;
}

/* Put `e` in the table, replacing its namesake; frees e on error. */
static enum kcs_err put(struct kcs_owners *t, struct kcs_owned *e,
			struct kcs_error *err)
{
	size_t h = hash_key(e->kind, e->ns, e->ns_len, e->name, e->name_len);
	struct oslot *s = slot_of(t, e->kind, e->ns, e->ns_len, e->name,
				  e->name_len, h);

	if (s && s->ent) {
		kcs_free(s->ent);
		s->ent = e;
		return KCS_OK;
	}
	if (t->n >= KCS_OWNERS_MAX) {
		kcs_free(e);
		return kcs_error_set(err, KCS_ERR_LIMIT,
				     "more than %d owner objects",
				     KCS_OWNERS_MAX);
	}
	if ((t->n + 1) * 2 > t->cap && grow(t, err)) {
		kcs_free(e);
		return KCS_ERR_NOMEM;
	}
	s = slot_of(t, e->kind, e->ns, e->ns_len, e->name, e->name_len, h);
	s->hash = h;
	s->ent = e;
	t->n++;
	return KCS_OK;
}

struct kcs_owners *kcs_owners_new(void)
{
	return kcs_calloc(1, sizeof(struct kcs_owners));
}

void kcs_owners_clear(struct kcs_owners *t)
{
	size_t i;

	for (i = 0; i < t->cap; i++)
		kcs_free(t->slots[i].ent);
	if (t->cap)
		memset(t->slots, 0, t->cap * sizeof(*t->slots));
	t->n = t->nameless = t->n_listed = 0;
}

void kcs_owners_free(struct kcs_owners *t)
{
	if (!t)
		return;
	kcs_owners_clear(t);
	kcs_free(t->slots);
	kcs_free(t);
}

size_t kcs_owners_count(const struct kcs_owners *t)
{
	return t->n;
}

size_t kcs_owners_nameless(const struct kcs_owners *t)
{
	return t->nameless;
}

const struct kcs_owned *kcs_owners_find(const struct kcs_owners *t,
					const char *kind, const char *ns,
					size_t ns_len, const char *name,
					size_t name_len)
{
	struct oslot *s = slot_of(t, kind, ns, ns_len, name, name_len,
				  hash_key(kind, ns, ns_len, name, name_len));

	return s ? s->ent : NULL;
}

const struct kcs_owned *kcs_owners_next(const struct kcs_owners *t,
					size_t *pos)
{
	while (*pos < t->cap) {
		const struct kcs_owned *e = t->slots[(*pos)++].ent;

		if (e)
			return e;
	}
	return NULL;
}

enum kcs_err kcs_owners_mark_listed(struct kcs_owners *t, const char *kind,
				    struct kcs_error *err)
{
	if (kcs_owners_is_listed(t, kind))
		return KCS_OK;
	if (t->n_listed >= KCS_OWNERS_MAX_KINDS)
		return kcs_error_set(err, KCS_ERR_LIMIT,
				     "more than %d owner kinds listed",
				     KCS_OWNERS_MAX_KINDS);
	if (strlen(kind) > KCS_KIND_NAME_MAX)
		return kcs_error_set(err, KCS_ERR_LIMIT,
				     "owner kind longer than %d bytes",
				     KCS_KIND_NAME_MAX);
	snprintf(t->listed[t->n_listed++], sizeof(t->listed[0]), "%s", kind);
	return KCS_OK;
}

int kcs_owners_is_listed(const struct kcs_owners *t, const char *kind)
{
	size_t i;

	for (i = 0; i < t->n_listed; i++)
		if (!strcmp(t->listed[i], kind))
			return 1;
	return 0;
}

/* ---- the reader: schema ------------------------------------------------- */

enum slot {
	/* envelope (jsonsax.h) */
	S_SKIP = KCS_DOC_SKIP, S_DOC = KCS_DOC_ROOT, S_DOC_KIND = KCS_DOC_KIND,
	S_DOC_META = KCS_DOC_META, S_ITEMS = KCS_DOC_ITEMS,
	S_ITEM = KCS_DOC_ITEM, S_ITEM_KIND = KCS_DOC_ITEM_KIND,
	S_ITEM_META = KCS_DOC_ITEM_META, S_ST_CODE = KCS_DOC_ST_CODE,
	S_ST_REASON = KCS_DOC_ST_REASON, S_ST_MESSAGE = KCS_DOC_ST_MESSAGE,
	S_ST_STATUS = KCS_DOC_ST_STATUS, S_CONTINUE = KCS_DOC_CONTINUE,
	S_RV = KCS_DOC_RV, S_REMAINING = KCS_DOC_REMAINING,
	/* item */
	S_NAME = KCS_DOC_SLOTS, S_NAMESPACE, S_UID, S_OREFS, S_OREF,
	S_OR_KIND, S_OR_NAME, S_OR_UID, S_OR_CONTROLLER,
};

enum node { N_DOC, N_DOC_META, N_ITEMS, N_ITEM, N_META, N_OREFS, N_OREF };
#define N_NODES (N_OREF + 1)

#define K(n, k, s) KCS_JSONSAX_KEY(n, k, s)
static const struct kcs_jsonsax_key keys[] = {
	K(N_DOC, "kind", S_DOC_KIND),
	K(N_DOC, "metadata", S_DOC_META),
	K(N_DOC, "items", S_ITEMS),
	K(N_DOC, "code", S_ST_CODE),
	K(N_DOC, "reason", S_ST_REASON),
	K(N_DOC, "message", S_ST_MESSAGE),
	K(N_DOC, "status", S_ST_STATUS),
	K(N_DOC_META, "continue", S_CONTINUE),
	K(N_DOC_META, "resourceVersion", S_RV),
	K(N_DOC_META, "remainingItemCount", S_REMAINING),
	K(N_DOC_META, "name", S_NAME),
	K(N_DOC_META, "namespace", S_NAMESPACE),
	K(N_DOC_META, "uid", S_UID),
	K(N_DOC_META, "ownerReferences", S_OREFS),
	K(N_ITEM, "kind", S_ITEM_KIND),
	K(N_ITEM, "metadata", S_ITEM_META),
	K(N_META, "name", S_NAME),
	K(N_META, "namespace", S_NAMESPACE),
	K(N_META, "uid", S_UID),
	K(N_META, "ownerReferences", S_OREFS),
	K(N_OREF, "kind", S_OR_KIND),
	K(N_OREF, "name", S_OR_NAME),
	K(N_OREF, "uid", S_OR_UID),
	K(N_OREF, "controller", S_OR_CONTROLLER),
};
#undef K

/* The slot of an array's elements, by node (0: a map node). */
static const unsigned char elem_slot[N_NODES] = {
	[N_ITEMS] = S_ITEM,
	[N_OREFS] = S_OREF,
};

/* One ownerReference, or the controller found among them. */
struct oref {
	char kind[KCS_KIND_NAME_MAX + 1];
	struct kcs_name name;
	struct kcs_uid uid;
	unsigned char controller;
};

struct item {
	char kind[KCS_KIND_MAX + 1];
	unsigned char has_kind;
	unsigned char name_bad;   /* metadata.name of the wrong type */
	unsigned char malformed;  /* another field of the wrong type */
	struct kcs_name ns;
	struct kcs_name name;
	struct kcs_uid uid;
	unsigned char has_ctl;
	struct oref ctl;          /* the controller, if has_ctl */
	struct oref cur;          /* the ownerReference being read */
};

struct kcs_ownreader {
	struct kcs_jsonsax sax; /* first: it is yajl's ctx (jsonsax.h) */
	struct kcs_owners *t;
	char hint[KCS_KIND_NAME_MAX + 1];
	struct item item;
	struct kcs_doc_info info;
};
_Static_assert(offsetof(struct kcs_ownreader, sax) == 0 &&
	       N_NODES <= KCS_JSONSAX_MAX_NODES, "see jsonsax.h");

/* ---- the reader: helpers ------------------------------------------------ */

static int set_uid(struct kcs_ownreader *r, struct kcs_uid *u,
		   const unsigned char *s, size_t len)
{
	if (len > KCS_UID_MAX)
		return kcs_jsonsax_fail(&r->sax, KCS_ERR_LIMIT,
					"uid longer than %d bytes",
					KCS_UID_MAX);
	memcpy(u->s, s, len);
	u->s[len] = '\0';
	u->len = len;
	return 1;
}

/*
 * A kind of `max` bytes at most. One with a NUL byte is nobody's kind
 * ("?"), so "ReplicaSet\u0000" never passes for a ReplicaSet.
 */
static void set_kind(char *dst, size_t max, const unsigned char *s,
		     size_t len)
{
	if (memchr(s, '\0', len))
		len = max + 1; /* too long: "?" */
	kcs_jsonsax_set_kind(dst, max, s, len);
}

static int wrong_type(void *ctx, unsigned slot)
{
	struct kcs_ownreader *r = ctx;
	enum slot s = (enum slot)slot;

	switch (s) {
	case S_SKIP: case S_DOC: case S_ITEMS: case S_ITEM: case S_DOC_KIND:
	case S_ITEM_KIND: case S_CONTINUE: case S_RV: case S_REMAINING:
	case S_ST_CODE: case S_ST_REASON: case S_ST_MESSAGE: case S_ST_STATUS:
		return kcs_doc_wrong_type(&r->sax, s);
	case S_NAME:
		r->item.name_bad = 1;
		return 1;
	case S_DOC_META: case S_ITEM_META: case S_NAMESPACE: case S_UID:
	case S_OREFS: case S_OREF: case S_OR_KIND: case S_OR_NAME:
	case S_OR_UID: case S_OR_CONTROLLER:
		r->item.malformed = 1;
		return 1;
	}
	return 1;
}

/* ---- the reader: storing an item ---------------------------------------- */

/* The item's kind, or NULL if nothing tells it. */
static const char *item_kind(struct kcs_ownreader *r, char *buf)
{
	const char *lk = r->info.kind;
	size_t n = strlen(lk);

	if (r->item.has_kind && strcmp(r->item.kind, "PartialObjectMetadata"))
		return r->item.kind;
	if (r->info.is_list && n > 4 && !strcmp(lk + n - 4, "List") &&
	    strcmp(lk, "PartialObjectMetadataList") &&
	    n - 4 <= KCS_KIND_NAME_MAX) {
		memcpy(buf, lk, n - 4);
		buf[n - 4] = '\0';
		return buf;
	}
	return r->hint[0] ? r->hint : NULL;
}

static char *pack(char **p, const char *s, size_t len)
{
	char *d = *p;

	memcpy(d, s, len);
	d[len] = '\0';
	*p += len + 1;
	return d;
}

static int finish_item(struct kcs_ownreader *r)
{
	const struct item *it = &r->item;
	char kbuf[KCS_KIND_MAX + 1];
	const char *kind = item_kind(r, kbuf);
	const struct oref *c = &it->ctl;
	struct kcs_owned *e;
	size_t sz, klen;
	char *p;

	if (!kind)
		return kcs_jsonsax_fail(&r->sax, KCS_ERR_PARSE,
					"cannot tell the kind of an object: "
					"it has no 'kind', the list names "
					"none and no kind was given");
	if (!strcmp(kind, "?") || strlen(kind) > KCS_KIND_NAME_MAX) {
		kcs_doc_note_skipped(&r->info, "?");
		return 1;
	}
	if (it->name_bad || !it->name.len) {
		r->t->nameless++;
		return 1;
	}
	klen = strlen(kind);
	sz = sizeof(*e) + klen + 1 + it->ns.len + 1 + it->name.len + 1 +
	     it->uid.len + 1;
	if (it->has_ctl)
		sz += strlen(c->kind) + 1 + c->name.len + 1 + c->uid.len + 1;
	else
		sz += 3;
	e = kcs_calloc(1, sz);
	if (!e)
		return kcs_jsonsax_fail(&r->sax, KCS_ERR_NOMEM,
					"out of memory");
	p = (char *)(e + 1);
	e->kind = pack(&p, kind, klen);
	e->ns = pack(&p, it->ns.s, it->ns.len);
	e->ns_len = it->ns.len;
	e->name = pack(&p, it->name.s, it->name.len);
	e->name_len = it->name.len;
	e->uid = pack(&p, it->uid.s, it->uid.len);
	e->uid_len = it->uid.len;
	e->has_controller = it->has_ctl;
	e->ctl_kind = pack(&p, c->kind, it->has_ctl ? strlen(c->kind) : 0);
	e->ctl_name = pack(&p, c->name.s, it->has_ctl ? c->name.len : 0);
	e->ctl_name_len = it->has_ctl ? c->name.len : 0;
	e->ctl_uid = pack(&p, c->uid.s, it->has_ctl ? c->uid.len : 0);
	e->ctl_uid_len = it->has_ctl ? c->uid.len : 0;
	e->malformed = it->malformed;
	r->sax.rc = put(r->t, e, r->sax.err);
	return r->sax.rc == KCS_OK;
}

/* ---- the reader: yajl callbacks ----------------------------------------- */

static int cb_start_map(void *ctx)
{
	struct kcs_ownreader *r = ctx;
	enum slot s;

	if (r->sax.skip)
		return kcs_jsonsax_enter_skip(&r->sax);
	s = kcs_jsonsax_value(&r->sax);
	switch (s) {
	case S_DOC:
	case S_ITEM:
		memset(&r->item, 0, sizeof(r->item));
		return kcs_jsonsax_push(&r->sax, s == S_DOC ? N_DOC : N_ITEM, 0);
	case S_DOC_META:
		return kcs_jsonsax_push(&r->sax, N_DOC_META, 0);
	case S_ITEM_META:
		return kcs_jsonsax_push(&r->sax, N_META, 0);
	case S_OREF:
		memset(&r->item.cur, 0, sizeof(r->item.cur));
		return kcs_jsonsax_push(&r->sax, N_OREF, 0);
	case S_SKIP:
	case S_ST_STATUS:
		return kcs_jsonsax_enter_skip(&r->sax);
	default:
		return wrong_type(r, s) && kcs_jsonsax_enter_skip(&r->sax);
	}
}

static int cb_end_map(void *ctx)
{
	struct kcs_ownreader *r = ctx;

	switch (kcs_jsonsax_pop(&r->sax)) {
	case N_OREF:
		if (r->item.cur.controller && !r->item.has_ctl) {
			r->item.ctl = r->item.cur;
			r->item.has_ctl = 1;
		}
		return 1;
	case N_ITEM:
		return finish_item(r);
	case N_DOC: /* a single object: it is the one item */
		if (kcs_doc_closed(&r->sax, &r->info, r->item.kind,
				   &r->item.has_kind))
			return finish_item(r);
		return 1;
	default: /* -1: a skipped container */
		return 1;
	}
}

static int cb_start_array(void *ctx)
{
	struct kcs_ownreader *r = ctx;
	enum slot s;

	if (r->sax.skip)
		return kcs_jsonsax_enter_skip(&r->sax);
	s = kcs_jsonsax_value(&r->sax);
	switch (s) {
	case S_ITEMS:
		r->info.is_list = 1;
		return kcs_jsonsax_push(&r->sax, N_ITEMS, 0);
	case S_OREFS:
		/* A repeated list replaces the earlier one, as in Go. */
		r->item.has_ctl = 0;
		return kcs_jsonsax_push(&r->sax, N_OREFS, 0);
	case S_SKIP:
		return kcs_jsonsax_enter_skip(&r->sax);
	default:
		return wrong_type(r, s) && kcs_jsonsax_enter_skip(&r->sax);
	}
}

static int cb_string(void *ctx, const unsigned char *s, size_t len)
{
	struct kcs_ownreader *r = ctx;
	struct item *it = &r->item;
	enum slot slot;

	if (r->sax.skip)
		return 1;
	slot = kcs_jsonsax_value(&r->sax);
	switch (slot) {
	case S_SKIP:
		return 1;
	case S_DOC_KIND:
		set_kind(r->info.kind, KCS_KIND_MAX, s, len);
		return 1;
	case S_ITEM_KIND:
		it->has_kind = 1;
		set_kind(it->kind, KCS_KIND_MAX, s, len);
		return 1;
	case S_ST_REASON: case S_ST_MESSAGE: case S_ST_STATUS:
	case S_CONTINUE: case S_RV:
		return kcs_doc_string(&r->sax, &r->info, slot, s, len);
	case S_NAME:
		it->name_bad = 0;
		return kcs_jsonsax_set_name(&r->sax, &it->name, s, len,
					    "metadata.name");
	case S_NAMESPACE:
		return kcs_jsonsax_set_name(&r->sax, &it->ns, s, len,
					    "metadata.namespace");
	case S_UID:
		return set_uid(r, &it->uid, s, len);
	case S_OR_KIND:
		if (len > KCS_KIND_NAME_MAX)
			return kcs_jsonsax_fail(&r->sax, KCS_ERR_LIMIT,
						"ownerReference kind longer "
						"than 63 bytes");
		set_kind(it->cur.kind, KCS_KIND_NAME_MAX, s, len);
		return 1;
	case S_OR_NAME:
		return kcs_jsonsax_set_name(&r->sax, &it->cur.name, s, len,
					    "ownerReference name");
	case S_OR_UID:
		return set_uid(r, &it->cur.uid, s, len);
	default:
		return wrong_type(r, slot);
	}
}

static int cb_boolean(void *ctx, int b)
{
	struct kcs_ownreader *r = ctx;
	enum slot slot;

	if (r->sax.skip)
		return 1;
	slot = kcs_jsonsax_value(&r->sax);
	if (slot == S_OR_CONTROLLER) {
		r->item.cur.controller = b ? 1 : 0;
		return 1;
	}
	return slot == S_SKIP ? 1 : wrong_type(r, slot);
}

/* JSON null: absent for scalars; a null list clears it (Go). */
static int cb_null(void *ctx)
{
	struct kcs_ownreader *r = ctx;
	struct item *it = &r->item;
	enum slot slot;

	if (r->sax.skip)
		return 1;
	slot = kcs_jsonsax_value(&r->sax);
	switch (slot) {
	case S_DOC: case S_ITEMS: case S_ITEM:
		return kcs_doc_null(&r->sax, &r->info, slot);
	case S_NAME:
		it->name_bad = 0;
		it->name.len = 0;
		it->name.s[0] = '\0';
		return 1;
	case S_NAMESPACE:
		it->ns.len = 0;
		it->ns.s[0] = '\0';
		return 1;
	case S_UID:
		it->uid.len = 0;
		it->uid.s[0] = '\0';
		return 1;
	case S_OREFS:
		it->has_ctl = 0;
		return 1;
	case S_OREF:
		return 1; /* a null element: a zero reference, no controller */
	case S_OR_KIND:
		it->cur.kind[0] = '\0';
		return 1;
	case S_OR_NAME:
		it->cur.name.len = 0;
		it->cur.name.s[0] = '\0';
		return 1;
	case S_OR_UID:
		it->cur.uid.len = 0;
		it->cur.uid.s[0] = '\0';
		return 1;
	case S_OR_CONTROLLER:
		it->cur.controller = 0;
		return 1;
	default:
		return 1;
	}
}

/* ---- the reader: public API --------------------------------------------- */

static const struct kcs_jsonsax_schema schema = {
	.keys = keys,
	.n_keys = KCS_ARRAY_SIZE(keys),
	.elem_slot = elem_slot,
	.callbacks = KCS_DOC_CALLBACKS,
	.wrong_type = wrong_type,
};

struct kcs_ownreader *kcs_ownreader_new(struct kcs_owners *t,
					const char *kind_hint)
{
	struct kcs_ownreader *r;

	if (kind_hint && strlen(kind_hint) > KCS_KIND_NAME_MAX)
		return NULL;
	r = kcs_calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	r->t = t;
	if (kind_hint)
		snprintf(r->hint, sizeof(r->hint), "%s", kind_hint);
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

void kcs_ownreader_free(struct kcs_ownreader *r)
{
	if (!r)
		return;
	kcs_jsonsax_release(&r->sax);
	kcs_doc_info_release(&r->info);
	kcs_free(r);
}

enum kcs_err kcs_ownreader_restart(struct kcs_ownreader *r,
				   struct kcs_error *err)
{
	memset(&r->item, 0, sizeof(r->item));
	kcs_doc_info_reset(&r->info);
	return kcs_jsonsax_restart(&r->sax, err);
}

enum kcs_err kcs_ownreader_feed(struct kcs_ownreader *r, const void *data,
				size_t len, struct kcs_error *err)
{
	return kcs_jsonsax_feed(&r->sax, data, len, err);
}

enum kcs_err kcs_ownreader_finish(struct kcs_ownreader *r,
				  struct kcs_error *err)
{
	return kcs_jsonsax_finish(&r->sax, err);
}

unsigned long long kcs_ownreader_offset(const struct kcs_ownreader *r)
{
	return r->sax.fed;
}

const struct kcs_doc_info *kcs_ownreader_info(const struct kcs_ownreader *r)
{
	return &r->info;
}

/* ---- resolving a pod's workload ----------------------------------------- */

static void ref_set(struct kcs_objref *o, const char *kind, const char *name,
		    size_t name_len, const char *uid, size_t uid_len)
{
	memset(o, 0, sizeof(*o));
	o->present = 1;
	snprintf(o->kind, sizeof(o->kind), "%s", kind);
	/* Table and pod strings were bounded when read: these always fit. */
	if (name_len > KCS_NAME_MAX)
		name_len = KCS_NAME_MAX;
	memcpy(o->name.s, name, name_len);
	o->name.len = name_len;
	if (uid_len > KCS_UID_MAX)
		uid_len = KCS_UID_MAX;
	memcpy(o->uid.s, uid, uid_len);
	o->uid.len = uid_len;
}

static void pod_itself(const struct kcs_pod *pod, struct kcs_owner_top *w)
{
	ref_set(&w->ref, "Pod", pod->name.s, pod->name.len,
		pod->has_uid ? pod->uid.s : "",
		pod->has_uid ? pod->uid.len : 0);
}

/* The owner kinds followed one step further, and where to. */
static const char *next_kind(const char *kind)
{
	if (!strcmp(kind, "ReplicaSet"))
		return "Deployment";
	if (!strcmp(kind, "Job"))
		return "CronJob";
	return NULL;
}

void kcs_owners_resolve(const struct kcs_owners *t, const struct kcs_pod *pod,
			struct kcs_owner_top *w)
{
	const struct kcs_objref *o = &pod->owner;
	const struct kcs_owned *e = NULL;
	const char *up;

	memset(w, 0, sizeof(*w));
	w->resolved = 1;
	if (pod->source.kind[0]) {
		/* A manifest object is its own workload: nothing to follow. */
		w->how = KCS_OWN_MANIFEST;
		w->ref.present = 1;
		memcpy(w->ref.kind, pod->source.kind, sizeof(w->ref.kind));
		w->ref.name = pod->source.name;
		return;
	}
	if (!o->present || !o->kind[0]) {
		w->how = KCS_OWN_POD;
		pod_itself(pod, w);
		return;
	}
	if (!strcmp(o->kind, "Node")) {
		w->how = KCS_OWN_STATIC;
		pod_itself(pod, w);
		w->managed_by = *o;
		return;
	}
	/* From here on the direct owner is the answer unless we go up. */
	w->ref = *o;
	w->ref.present = 1;
	if (t)
		e = kcs_owners_find(t, o->kind, pod->ns.s, pod->ns.len,
				    o->name.s, o->name.len);
	if (e && o->uid.len && e->uid_len &&
	    (o->uid.len != e->uid_len ||
	     memcmp(o->uid.s, e->uid, e->uid_len) != 0)) {
		/* A recreated owner of the same name is another object. */
		if (next_kind(o->kind)) {
			w->how = KCS_OWN_UID_MISMATCH;
			w->resolved = 0;
		} else {
			w->how = KCS_OWN_DIRECT;
		}
		return;
	}
	up = next_kind(o->kind);
	if (!up) {
		w->how = KCS_OWN_DIRECT;
		if (e && !e->malformed && e->has_controller)
			ref_set(&w->managed_by, e->ctl_kind, e->ctl_name,
				e->ctl_name_len, e->ctl_uid, e->ctl_uid_len);
		return;
	}
	if (!e) {
		w->resolved = 0;
		w->how = t && kcs_owners_is_listed(t, o->kind)
				 ? KCS_OWN_OWNER_NOT_FOUND
				 : KCS_OWN_OWNER_NOT_READ;
		return;
	}
	if (e->malformed) {
		w->resolved = 0;
		w->how = KCS_OWN_OWNER_MALFORMED;
		return;
	}
	if (e->has_controller && !strcmp(e->ctl_kind, up)) {
		w->how = KCS_OWN_FOLLOWED;
		ref_set(&w->ref, e->ctl_kind, e->ctl_name, e->ctl_name_len,
			e->ctl_uid, e->ctl_uid_len);
		return;
	}
	w->how = KCS_OWN_TOP;
	if (e->has_controller)
		ref_set(&w->managed_by, e->ctl_kind, e->ctl_name,
			e->ctl_name_len, e->ctl_uid, e->ctl_uid_len);
}

int kcs_owners_workload(const struct kcs_pod *pod, struct kcs_objref *out,
			void *user)
{
	struct kcs_owner_top w;

	kcs_owners_resolve(user, pod, &w);
	*out = w.ref;
	if (w.how == KCS_OWN_OWNER_NOT_FOUND || w.how == KCS_OWN_UID_MISMATCH)
		return KCS_WL_OWNER_GONE;
	return w.resolved ? KCS_WL_RESOLVED : KCS_WL_UNRESOLVED;
}

const char *kcs_owner_how_name(enum kcs_owner_how h)
{
	switch (h) {
	case KCS_OWN_MANIFEST: return "MANIFEST";
	case KCS_OWN_POD: return "POD";
	case KCS_OWN_STATIC: return "STATIC";
	case KCS_OWN_DIRECT: return "DIRECT";
	case KCS_OWN_FOLLOWED: return "FOLLOWED";
	case KCS_OWN_TOP: return "TOP";
	case KCS_OWN_OWNER_NOT_READ: return "OWNER_NOT_READ";
	case KCS_OWN_OWNER_NOT_FOUND: return "OWNER_NOT_FOUND";
	case KCS_OWN_UID_MISMATCH: return "UID_MISMATCH";
	case KCS_OWN_OWNER_MALFORMED: return "OWNER_MALFORMED";
	}
	return "OWNER_NOT_READ";
}
