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
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <yajl/yajl_parse.h>

#include "kcs/alloc.h"
#include "kcs/jsonsax.h"
#include "kcs/owners.h"
#include "kcs/workload.h"
#include "kcs/banned.h"

/* ---- the table ---------------------------------------------------------- */

/*
 * Memory grows with every ReplicaSet and Job in the cluster, so objects are
 * packed: records of a few dozen bytes in arena blocks, repeated strings
 * (kinds, namespaces) interned once, and canonical UUIDs kept as 16 bytes.
 * A record:
 *
 *   u32 kind id, u32 namespace id, u32 controller kind id (strings ids),
 *   u8 flags, u8 name length, u8 uid length, u8 controller name length,
 *   u8 controller uid length, then name NUL, uid, controller name NUL,
 *   controller uid (each uid as 16 bytes, or as text and NUL).
 *
 * find and next decode a record into the table's one view.
 */

#define REC_HDR 17
#define F_CONTROLLER 0x01
#define F_MALFORMED 0x02
#define F_UID_BIN 0x04
#define F_CTL_UID_BIN 0x08
#define ARENA_BLOCK 65536
#define UUID_TEXT 36

struct arena_block {
	struct arena_block *next;
	size_t used;
	unsigned char data[ARENA_BLOCK];
};

struct istr {
	const char *s;
	size_t len;
	size_t hash;
};

struct view {
	struct kcs_owned e;
	char uid[UUID_TEXT + 1];
	char ctl_uid[UUID_TEXT + 1];
};

struct kcs_owners {
	unsigned char **recs;       /* cap slots: a record, or NULL */
	uint32_t *hashes;           /* the low bits of each slot's hash */
	size_t cap;                 /* a power of two, or 0 */
	size_t n;                   /* slots in use */
	struct istr *strs;          /* interned strings, by id */
	size_t n_strs, strs_cap;
	uint32_t *str_slots;        /* id + 1, or 0 if free */
	size_t str_cap;
	struct arena_block *arena;
	struct view *view;          /* what find and next hand out */
	size_t nameless;            /* items skipped for want of a name */
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

static void *arena_alloc(struct kcs_owners *t, size_t len)
{
	struct arena_block *b = t->arena;
	void *p;

	if (len > ARENA_BLOCK)
		return NULL;
	if (!b || ARENA_BLOCK - b->used < len) {
		b = kcs_malloc(sizeof(*b));
		if (!b)
			return NULL;
		b->next = t->arena;
		b->used = 0;
		t->arena = b;
	}
	p = b->data + b->used;
	b->used += len;
	return p;
}

static uint32_t rd_u32(const unsigned char *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/* Put interned string `id` into a free slot of its open-addressed table. */
static void str_slot_put(uint32_t *slots, size_t cap, size_t h, size_t id)
{
	size_t i;

	for (i = h & (cap - 1); slots[i]; i = (i + 1) & (cap - 1))
		;
	slots[i] = (uint32_t)id + 1;
}

/* The id of an interned string, adding it if new; -1 on failure. */
static long intern(struct kcs_owners *t, const char *s, size_t len)
{
	size_t h = hash_part((size_t)14695981039346656037ULL, s, len), i, mask;
	struct istr *is;
	char *copy;

	if (t->str_cap) {
		mask = t->str_cap - 1;
		for (i = h & mask; t->str_slots[i]; i = (i + 1) & mask) {
			is = &t->strs[t->str_slots[i] - 1];
			if (is->hash == h && is->len == len &&
			    !memcmp(is->s, s, len))
				return (long)t->str_slots[i] - 1;
		}
	}
	if (t->n_strs >= KCS_OWNERS_MAX * 3)
		return -1;
	if ((t->n_strs + 1) * 2 > t->str_cap) {
		size_t cap = t->str_cap ? t->str_cap * 2 : 64, k;
		uint32_t *slots = kcs_calloc(cap, sizeof(*slots));

		if (!slots)
			return -1;
		for (k = 0; k < t->n_strs; k++)
			str_slot_put(slots, cap, t->strs[k].hash, k);
		kcs_free(t->str_slots);
		t->str_slots = slots;
		t->str_cap = cap;
	}
	if (t->n_strs == t->strs_cap) {
		size_t cap = t->strs_cap ? t->strs_cap * 2 : 32;
		struct istr *v = kcs_realloc(t->strs, cap * sizeof(*v));

		if (!v)
			return -1;
		t->strs = v;
		t->strs_cap = cap;
	}
	copy = arena_alloc(t, len + 1);
	if (!copy)
		return -1;
	memcpy(copy, s, len);
	copy[len] = '\0';
	is = &t->strs[t->n_strs];
	is->s = copy;
	is->len = len;
	is->hash = h;
	str_slot_put(t->str_slots, t->str_cap, h, t->n_strs);
	return (long)t->n_strs++;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* A canonical lowercase UUID as 16 bytes: 1, or 0 if `s` is not one. */
static int uuid_pack(const char *s, size_t len, unsigned char out[16])
{
	size_t i, k = 0;

	if (len != UUID_TEXT)
		return 0;
	for (i = 0; i < len;) {
		int hi, lo;

		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i++] != '-')
				return 0;
			continue;
		}
		hi = hexval(s[i]);
		lo = hexval(s[i + 1]);
		if (hi < 0 || lo < 0)
			return 0;
		out[k++] = (unsigned char)(hi << 4 | lo);
		i += 2;
	}
	return 1;
}

static void uuid_unpack(const unsigned char in[16], char out[UUID_TEXT + 1])
{
	static const char hex[] = "0123456789abcdef";
	size_t i, o = 0;

	for (i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[o++] = '-';
		out[o++] = hex[in[i] >> 4];
		out[o++] = hex[in[i] & 15];
	}
	out[o] = '\0';
}

/* Decode a record into the table's view. */
static const struct kcs_owned *view_of(const struct kcs_owners *t,
				       const unsigned char *rec)
{
	struct view *v = t->view;
	struct kcs_owned *e = &v->e;
	unsigned flags = rec[12];
	const unsigned char *p = rec + REC_HDR;

	e->kind = t->strs[rd_u32(rec)].s;
	e->ns = t->strs[rd_u32(rec + 4)].s;
	e->ns_len = t->strs[rd_u32(rec + 4)].len;
	e->has_controller = (flags & F_CONTROLLER) != 0;
	e->malformed = (flags & F_MALFORMED) != 0;
	e->ctl_kind = t->strs[rd_u32(rec + 8)].s;
	e->name = (const char *)p;
	e->name_len = rec[13];
	p += e->name_len + 1;
	if (flags & F_UID_BIN) {
		uuid_unpack(p, v->uid);
		e->uid = v->uid;
		e->uid_len = UUID_TEXT;
		p += 16;
	} else {
		e->uid = (const char *)p;
		e->uid_len = rec[14];
		p += e->uid_len + 1;
	}
	e->ctl_name = (const char *)p;
	e->ctl_name_len = rec[15];
	p += e->ctl_name_len + 1;
	if (flags & F_CTL_UID_BIN) {
		uuid_unpack(p, v->ctl_uid);
		e->ctl_uid = v->ctl_uid;
		e->ctl_uid_len = UUID_TEXT;
	} else {
		e->ctl_uid = (const char *)p;
		e->ctl_uid_len = rec[16];
	}
	return e;
}

static int same(const struct kcs_owners *t, const unsigned char *rec,
		const char *kind, const char *ns, size_t ns_len,
		const char *name, size_t name_len)
{
	const struct istr *k = &t->strs[rd_u32(rec)];
	const struct istr *n = &t->strs[rd_u32(rec + 4)];

	return rec[13] == name_len && n->len == ns_len &&
	       !memcmp(rec + REC_HDR, name, name_len) &&
	       !memcmp(n->s, ns, ns_len) && !strcmp(k->s, kind);
}

/* The slot holding kind/ns/name, or the free slot where it would go. */
static size_t slot_of(const struct kcs_owners *t, const char *kind,
		      const char *ns, size_t ns_len, const char *name,
		      size_t name_len, size_t h)
{
	size_t i, mask = t->cap - 1;

	for (i = h & mask;; i = (i + 1) & mask) {
		const unsigned char *rec = t->recs[i];

		if (!rec || (t->hashes[i] == (uint32_t)h &&
			     same(t, rec, kind, ns, ns_len, name, name_len)))
			return i;
	}
}

static enum kcs_err grow(struct kcs_owners *t)
{
	size_t cap = t->cap ? t->cap * 2 : 256, i, j, old_cap = t->cap;
	unsigned char **old = t->recs, **recs;
	uint32_t *old_h = t->hashes, *hashes;

	recs = kcs_calloc(cap, sizeof(*recs));
	hashes = kcs_calloc(cap, sizeof(*hashes));
	if (!recs || !hashes) {
		kcs_free(recs);
		kcs_free(hashes);
		return KCS_ERR_NOMEM;
	}
	for (i = 0; i < old_cap; i++) {
		if (!old[i])
			continue;
		/* the low 32 bits of the hash place it as before */
		for (j = old_h[i] & (cap - 1); recs[j]; j = (j + 1) & (cap - 1))
			;
		recs[j] = old[i];
		hashes[j] = old_h[i];
	}
	kcs_free(old);
	kcs_free(old_h);
	t->recs = recs;
	t->hashes = hashes;
	t->cap = cap;
	return KCS_OK;
}

/* The bytes a record takes (see the layout above). */
static size_t rec_size(const unsigned char *rec)
{
	return REC_HDR + rec[13] + 1u +
	       (rec[12] & F_UID_BIN ? 16u : rec[14] + 1u) + rec[15] + 1u +
	       (rec[12] & F_CTL_UID_BIN ? 16u : rec[16] + 1u);
}

/* The bytes a string field takes in a record, as 16-byte UUID or text. */
static size_t uid_size(const char *s, size_t len, unsigned char bin[16],
		       int *is_bin)
{
	*is_bin = uuid_pack(s, len, bin);
	return *is_bin ? 16 : len + 1;
}

static unsigned char *put_str(unsigned char *p, const char *s, size_t len)
{
	memcpy(p, s, len);
	p[len] = '\0';
	return p + len + 1;
}

/* Add an object, replacing its namesake (kind/ns/name). */
static enum kcs_err put(struct kcs_owners *t, const char *kind,
			const struct kcs_name *ns, const struct kcs_name *name,
			const struct kcs_uid *uid, int has_ctl,
			const char *ctl_kind, const struct kcs_name *ctl_name,
			const struct kcs_uid *ctl_uid, int malformed,
			struct kcs_error *err)
{
	unsigned char ubin[16], cbin[16], *rec, *p, flags = 0;
	size_t h = hash_key(kind, ns->s, ns->len, name->s, name->len), sz, i;
	size_t cn_len = has_ctl ? ctl_name->len : 0;
	size_t cu_len = has_ctl ? ctl_uid->len : 0;
	long kid, nid, cid;
	int ubin_ok, cbin_ok;
	uint32_t v;

	if (name->len > 255 || uid->len > 255 || cn_len > 255 || cu_len > 255)
		return kcs_error_set(err, KCS_ERR_INTERNAL,
				     "owner object field past its bound");
	i = t->cap ? slot_of(t, kind, ns->s, ns->len, name->s, name->len, h)
		   : 0;
	if (!t->cap || !t->recs[i]) {
		if (t->n >= KCS_OWNERS_MAX)
			return kcs_error_set(err, KCS_ERR_LIMIT,
					     "more than %d owner objects",
					     KCS_OWNERS_MAX);
		if ((t->n + 1) * 4 > t->cap * 3) {
			if (grow(t))
				return kcs_error_set(err, KCS_ERR_NOMEM,
						     "out of memory");
			i = slot_of(t, kind, ns->s, ns->len, name->s,
				    name->len, h);
		}
	}
	kid = intern(t, kind, strlen(kind));
	nid = kid < 0 ? -1 : intern(t, ns->s, ns->len);
	cid = nid < 0 ? -1 : intern(t, has_ctl ? ctl_kind : "",
				    has_ctl ? strlen(ctl_kind) : 0);
	if (cid < 0)
		return kcs_error_set(err, KCS_ERR_NOMEM, "out of memory");
	sz = REC_HDR + name->len + 1 + uid_size(uid->s, uid->len, ubin,
						 &ubin_ok) +
	     cn_len + 1 + uid_size(has_ctl ? ctl_uid->s : "", cu_len, cbin,
				   &cbin_ok);
	/*
	 * A namesake (the same list read again after a 410, or a repeated
	 * item) is rewritten in place when the new record fits, so reading
	 * an object again costs no memory; otherwise its old bytes stay in
	 * the arena, unreferenced.
	 */
	rec = t->recs[i] && rec_size(t->recs[i]) >= sz
		      ? t->recs[i]
		      : arena_alloc(t, sz);
	if (!rec)
		return kcs_error_set(err, KCS_ERR_NOMEM, "out of memory");
	flags = (unsigned char)((has_ctl ? F_CONTROLLER : 0) |
				(malformed ? F_MALFORMED : 0) |
				(ubin_ok ? F_UID_BIN : 0) |
				(cbin_ok ? F_CTL_UID_BIN : 0));
	v = (uint32_t)kid;
	memcpy(rec, &v, 4);
	v = (uint32_t)nid;
	memcpy(rec + 4, &v, 4);
	v = (uint32_t)cid;
	memcpy(rec + 8, &v, 4);
	rec[12] = flags;
	rec[13] = (unsigned char)name->len;
	rec[14] = (unsigned char)uid->len;
	rec[15] = (unsigned char)cn_len;
	rec[16] = (unsigned char)cu_len;
	p = put_str(rec + REC_HDR, name->s, name->len);
	if (ubin_ok) {
		memcpy(p, ubin, 16);
		p += 16;
	} else {
		p = put_str(p, uid->s, uid->len);
	}
	p = put_str(p, has_ctl ? ctl_name->s : "", cn_len);
	if (cbin_ok)
		memcpy(p, cbin, 16);
	else
		put_str(p, has_ctl ? ctl_uid->s : "", cu_len);

	if (!t->recs[i])
		t->n++;
	t->recs[i] = rec;
	t->hashes[i] = (uint32_t)h;
	return KCS_OK;
}

struct kcs_owners *kcs_owners_new(void)
{
	struct kcs_owners *t = kcs_calloc(1, sizeof(*t));

	if (t && !(t->view = kcs_calloc(1, sizeof(*t->view)))) {
		kcs_free(t);
		return NULL;
	}
	return t;
}

void kcs_owners_clear(struct kcs_owners *t)
{
	while (t->arena) {
		struct arena_block *b = t->arena;

		t->arena = b->next;
		kcs_free(b);
	}
	kcs_free(t->recs);
	kcs_free(t->hashes);
	kcs_free(t->strs);
	kcs_free(t->str_slots);
	t->recs = NULL;
	t->hashes = NULL;
	t->strs = NULL;
	t->str_slots = NULL;
	t->cap = t->n = t->n_strs = t->strs_cap = t->str_cap = 0;
	t->nameless = t->n_listed = 0;
}

void kcs_owners_free(struct kcs_owners *t)
{
	if (!t)
		return;
	kcs_owners_clear(t);
	kcs_free(t->view);
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
	size_t i;

	if (!t->cap)
		return NULL;
	i = slot_of(t, kind, ns, ns_len, name, name_len,
		    hash_key(kind, ns, ns_len, name, name_len));
	return t->recs[i] ? view_of(t, t->recs[i]) : NULL;
}

const struct kcs_owned *kcs_owners_next(const struct kcs_owners *t,
					size_t *pos)
{
	while (*pos < t->cap) {
		const unsigned char *rec = t->recs[(*pos)++];

		if (rec)
			return view_of(t, rec);
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

static int finish_item(struct kcs_ownreader *r)
{
	const struct item *it = &r->item;
	char kbuf[KCS_KIND_MAX + 1];
	const char *kind = item_kind(r, kbuf);
	const struct oref *c = &it->ctl;

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
	r->sax.rc = put(r->t, kind, &it->ns, &it->name, &it->uid, it->has_ctl,
			c->kind, &c->name, &c->uid, it->malformed, r->sax.err);
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
