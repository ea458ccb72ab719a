/*
 * workload.c - pods grouped by workload (see workload.h).
 *
 * Records and their strings live in an arena of 64 KiB blocks, so a
 * workload costs its record, its name and a hash slot: no allocation per
 * workload except for the failing containers of failing ones.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kcs/alloc.h"
#include "kcs/workload.h"
#include "kcs/banned.h"

#define ARENA_BLOCK (64 * 1024)

struct block {
	struct block *next;
	size_t used;
	max_align_t align[]; /* the bytes */
};

/* A set of namespace names (the ones already spooled). */
struct nsset {
	struct nsname **slots;
	size_t n_slots, n;
};

struct nsname {
	struct nsname *next;
	unsigned char reopened; /* pods came back after it was spooled */
	size_t len;
	char s[];
};

struct kcs_workloads {
	struct block *blocks;        /* the current namespace's records */
	struct kcs_workload **slots; /* chained hash, power of two */
	size_t n_slots, n;
	char cur_ns[KCS_NAME_MAX + 1]; /* namespace of the records */
	size_t cur_ns_len;
	int have_cur;
	struct nsset spooled;
	size_t n_reopened;
	FILE *spool;                 /* flushed namespaces, or NULL */
	unsigned long long total, by_verdict[5];
	int finished;
};

static void *arena_alloc(struct kcs_workloads *t, size_t n)
{
	struct block *b = t->blocks;
	size_t cap = ARENA_BLOCK - sizeof(struct block);
	void *p;

	n = (n + sizeof(max_align_t) - 1) & ~(sizeof(max_align_t) - 1);
	if (n > cap)
		return NULL; /* callers bound their sizes far below this */
	if (!b || b->used + n > cap) {
		b = kcs_malloc(ARENA_BLOCK);
		if (!b)
			return NULL;
		b->next = t->blocks;
		b->used = 0;
		t->blocks = b;
	}
	p = (char *)b->align + b->used;
	b->used += n;
	return p;
}

static const char *arena_str(struct kcs_workloads *t, const char *s,
			     size_t len)
{
	char *p = arena_alloc(t, len + 1);

	if (!p)
		return NULL;
	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

static uint64_t hash_bytes(uint64_t h, const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
	return (h ^ 0xff) * 1099511628211ull;
}

static uint64_t hash3(const char *a, size_t al, const char *b,
		      const char *c, size_t cl)
{
	uint64_t h = 1469598103934665603ull;

	h = hash_bytes(h, a, al);
	h = hash_bytes(h, b, strlen(b));
	return hash_bytes(h, c, cl);
}

/* ---- the set of spooled namespaces ------------------------------------ */

static struct nsname *nsset_find(const struct nsset *set, const char *s,
				 size_t len)
{
	struct nsname *e;

	if (!set->n_slots)
		return NULL;
	e = set->slots[hash_bytes(0, s, len) & (set->n_slots - 1)];
	for (; e; e = e->next)
		if (e->len == len && !memcmp(e->s, s, len))
			return e;
	return NULL;
}

static int nsset_add(struct nsset *set, const char *s, size_t len)
{
	struct nsname *e;
	size_t j;

	if (set->n + 1 > set->n_slots / 2) {
		size_t n = set->n_slots ? set->n_slots * 2 : 64, i;
		struct nsname **slots = kcs_calloc(n, sizeof(*slots));

		if (!slots)
			return -1;
		for (i = 0; i < set->n_slots; i++) {
			struct nsname *x = set->slots[i], *next;

			for (; x; x = next) {
				next = x->next;
				j = hash_bytes(0, x->s, x->len) & (n - 1);
				x->next = slots[j];
				slots[j] = x;
			}
		}
		kcs_free(set->slots);
		set->slots = slots;
		set->n_slots = n;
	}
	e = kcs_malloc(sizeof(*e) + len + 1);
	if (!e)
		return -1;
	e->reopened = 0;
	e->len = len;
	memcpy(e->s, s, len);
	e->s[len] = '\0';
	j = hash_bytes(0, s, len) & (set->n_slots - 1);
	e->next = set->slots[j];
	set->slots[j] = e;
	set->n++;
	return 0;
}

static void nsset_release(struct nsset *set)
{
	size_t i;

	for (i = 0; i < set->n_slots; i++) {
		struct nsname *e = set->slots[i], *next;

		for (; e; e = next) {
			next = e->next;
			kcs_free(e);
		}
	}
	kcs_free(set->slots);
	memset(set, 0, sizeof(*set));
}

/* ---- the table ------------------------------------------------------- */

struct kcs_workloads *kcs_workloads_new(void)
{
	struct kcs_workloads *t = kcs_calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->n_slots = 256;
	t->slots = kcs_calloc(t->n_slots, sizeof(*t->slots));
	if (!t->slots) {
		kcs_free(t);
		return NULL;
	}
	return t;
}

/* Forget the records in memory (not the spool). */
static void drop_records(struct kcs_workloads *t)
{
	size_t i;

	for (i = 0; i < t->n_slots; i++) {
		struct kcs_workload *w;

		for (w = t->slots[i]; w; w = w->next)
			kcs_free(w->failing);
		t->slots[i] = NULL;
	}
	while (t->blocks) {
		struct block *b = t->blocks;

		t->blocks = b->next;
		kcs_free(b);
	}
	t->n = 0;
}

void kcs_workloads_clear(struct kcs_workloads *t)
{
	drop_records(t);
	nsset_release(&t->spooled);
	if (t->spool)
		fclose(t->spool);
	t->spool = NULL;
	t->have_cur = 0;
	t->n_reopened = 0;
	t->total = 0;
	memset(t->by_verdict, 0, sizeof(t->by_verdict));
	t->finished = 0;
}

void kcs_workloads_free(struct kcs_workloads *t)
{
	if (!t)
		return;
	kcs_workloads_clear(t);
	kcs_free(t->slots);
	kcs_free(t);
}

static int grow(struct kcs_workloads *t)
{
	size_t n = t->n_slots * 2, i;
	struct kcs_workload **slots = kcs_calloc(n, sizeof(*slots));

	if (!slots)
		return -1;
	for (i = 0; i < t->n_slots; i++) {
		struct kcs_workload *w = t->slots[i], *next;

		for (; w; w = next) {
			size_t j = hash3(w->ns, w->ns_len, w->kind, w->name,
					 w->name_len) & (n - 1);

			next = w->next;
			w->next = slots[j];
			slots[j] = w;
		}
	}
	kcs_free(t->slots);
	t->slots = slots;
	t->n_slots = n;
	return 0;
}

int kcs_workload_direct(const struct kcs_pod *pod, struct kcs_objref *out,
			void *user)
{
	(void)user;
	memset(out, 0, sizeof(*out));
	out->present = 1;
	if (pod->source.kind[0]) {
		memcpy(out->kind, pod->source.kind, sizeof(out->kind));
		out->name = pod->source.name;
		return 1;
	}
	if (!pod->owner.present || !strcmp(pod->owner.kind, "Node")) {
		snprintf(out->kind, sizeof(out->kind), "Pod");
		out->name = pod->name;
		out->uid = pod->uid;
		return 1;
	}
	*out = pod->owner;
	return strcmp(out->kind, "ReplicaSet") != 0 &&
	       strcmp(out->kind, "Job") != 0;
}

/* The verdict of a workload from its pods': see kcs_workloads_add(). */
static int rank(enum kcs_verdict v)
{
	switch (v) {
	case KCS_VERDICT_FAIL: return 4;
	case KCS_VERDICT_UNKNOWN: return 3;
	case KCS_VERDICT_PASS: return 2;
	case KCS_VERDICT_EXEMPT: return 1;
	case KCS_VERDICT_NOT_APPLICABLE: return 0;
	}
	return 3;
}

static int same_ctr(const struct kcs_wl_container *x,
		    const struct kcs_wl_container *c)
{
	return x->type == c->type && x->index == c->index &&
	       x->reason == c->reason && x->has_sc == c->has_sc &&
	       x->has_caps == c->has_caps && x->has_drop == c->has_drop &&
	       x->privileged == c->privileged &&
	       x->name_len == c->name_len &&
	       memcmp(x->name, c->name, c->name_len) == 0;
}

static enum kcs_err add_failing(struct kcs_workloads *t,
				struct kcs_workload *w,
				const struct kcs_wl_container *c,
				struct kcs_error *err)
{
	struct kcs_wl_container *x;
	size_t i;

	for (i = 0; i < w->n_failing; i++)
		if (same_ctr(&w->failing[i], c))
			return KCS_OK;
	if (w->n_failing == KCS_WORKLOAD_MAX_FAILING) {
		w->failing_cut = 1;
		return KCS_OK;
	}
	if (!(w->n_failing & (w->n_failing - 1))) {
		size_t cap = w->n_failing ? (size_t)w->n_failing * 2 : 1;

		x = kcs_realloc(w->failing, cap * sizeof(*x));
		if (!x)
			return kcs_error_set(err, KCS_ERR_NOMEM, "out of memory");
		w->failing = x;
	}
	x = &w->failing[w->n_failing];
	*x = *c;
	x->name = arena_str(t, c->name, c->name_len);
	if (!x->name)
		return kcs_error_set(err, KCS_ERR_NOMEM, "out of memory");
	w->n_failing++;
	return KCS_OK;
}

/* Find or make the record of (ns, kind, name). */
static struct kcs_workload *get(struct kcs_workloads *t, const char *ns,
				size_t ns_len, const char *kind,
				const char *name, size_t name_len,
				struct kcs_error *err)
{
	uint64_t h = hash3(ns, ns_len, kind, name, name_len);
	struct kcs_workload *w;
	size_t j = h & (t->n_slots - 1);

	for (w = t->slots[j]; w; w = w->next)
		if (w->ns_len == ns_len && w->name_len == name_len &&
		    !strcmp(w->kind, kind) && !memcmp(w->ns, ns, ns_len) &&
		    !memcmp(w->name, name, name_len))
			return w;
	if (t->n >= KCS_WORKLOADS_MAX) {
		kcs_error_set(err, KCS_ERR_LIMIT, "more than %u workloads",
			      KCS_WORKLOADS_MAX);
		return NULL;
	}
	if (t->n + 1 > t->n_slots && grow(t))
		goto nomem;
	j = h & (t->n_slots - 1);
	w = arena_alloc(t, sizeof(*w));
	if (!w)
		goto nomem;
	memset(w, 0, sizeof(*w));
	w->ns = arena_str(t, ns, ns_len);
	w->kind = arena_str(t, kind, strlen(kind));
	w->name = arena_str(t, name, name_len);
	if (!w->ns || !w->kind || !w->name)
		goto nomem;
	w->ns_len = (unsigned short)ns_len;
	w->name_len = (unsigned short)name_len;
	w->resolved = 1;
	w->verdict = KCS_VERDICT_NOT_APPLICABLE;
	w->next = t->slots[j];
	t->slots[j] = w;
	t->n++;
	return w;
nomem:
	kcs_error_set(err, KCS_ERR_NOMEM, "out of memory");
	return NULL;
}

/* Fold `src` (one pod's view, or a spooled record) into `w`. */
static enum kcs_err merge(struct kcs_workloads *t, struct kcs_workload *w,
			  const struct kcs_workload *src,
			  struct kcs_error *err)
{
	size_t i;
	enum kcs_err rc;

	if (!src->resolved)
		w->resolved = 0;
	if (src->owner_gone)
		w->owner_gone = 1;
	if (rank((enum kcs_verdict)src->verdict) >
	    rank((enum kcs_verdict)w->verdict))
		w->verdict = src->verdict;
	w->pods_total += src->pods_total;
	w->pods_fail += src->pods_fail;
	if (!w->owner_kind && src->owner_kind) {
		w->owner_kind = "Node";
		w->owner_name = arena_str(t, src->owner_name,
					  strlen(src->owner_name));
		if (!w->owner_name)
			return kcs_error_set(err, KCS_ERR_NOMEM, "out of memory");
	}
	if (!w->source_file) {
		w->source_file = src->source_file;
		w->source_line = src->source_line;
	}
	if (src->failing_cut)
		w->failing_cut = 1;
	for (i = 0; i < src->n_failing; i++)
		if ((rc = add_failing(t, w, &src->failing[i], err)))
			return rc;
	return KCS_OK;
}

/* ---- the spool ---------------------------------------------------------- */

/* A spooled record: this header, then ns, kind, name, owner name, ctrs. */
struct spool_wl {
	unsigned short ns_len, kind_len, name_len, owner_len;
	unsigned char resolved, verdict, failing_cut, has_owner, owner_gone;
	unsigned pods_total, pods_fail;
	unsigned short n_failing;
	const char *source_file;    /* borrowed pointer: same process */
	unsigned long source_line;
};

struct spool_wc {
	unsigned short name_len;
	unsigned char type, reason, has_sc, has_caps, has_drop, privileged;
	unsigned index;
};

static int wr(FILE *f, const void *p, size_t n)
{
	return fwrite(p, 1, n, f) == n;
}

static int cmp_wl(const void *pa, const void *pb)
{
	const struct kcs_workload *a = *(struct kcs_workload *const *)pa;
	const struct kcs_workload *b = *(struct kcs_workload *const *)pb;
	size_t n;
	int c = strcmp(a->kind, b->kind);

	if (c)
		return c;
	n = a->name_len < b->name_len ? a->name_len : b->name_len;
	c = memcmp(a->name, b->name, n);
	if (c)
		return c;
	return a->name_len < b->name_len ? -1 : a->name_len > b->name_len;
}

/* The records in memory, sorted; *out is allocated (kcs_free). */
static enum kcs_err sorted(struct kcs_workloads *t,
			   struct kcs_workload ***out, struct kcs_error *err)
{
	struct kcs_workload **v = kcs_calloc(t->n ? t->n : 1, sizeof(*v));
	size_t i, k = 0;

	if (!v)
		return kcs_error_set(err, KCS_ERR_NOMEM, "out of memory");
	for (i = 0; i < t->n_slots; i++) {
		struct kcs_workload *w;

		for (w = t->slots[i]; w; w = w->next)
			v[k++] = w;
	}
	qsort(v, k, sizeof(*v), cmp_wl);
	*out = v;
	return KCS_OK;
}

static enum kcs_err spool_write(FILE *f, const struct kcs_workload *w,
				struct kcs_error *err)
{
	struct spool_wl h;
	size_t i;
	int ok;

	memset(&h, 0, sizeof(h)); /* padding is written too */
	h.ns_len = w->ns_len;
	h.kind_len = (unsigned short)strlen(w->kind);
	h.name_len = w->name_len;
	h.has_owner = w->owner_kind != NULL;
	h.owner_len = h.has_owner ? (unsigned short)strlen(w->owner_name) : 0;
	h.resolved = w->resolved;
	h.owner_gone = w->owner_gone;
	h.verdict = w->verdict;
	h.failing_cut = w->failing_cut;
	h.pods_total = w->pods_total;
	h.pods_fail = w->pods_fail;
	h.n_failing = w->n_failing;
	h.source_file = w->source_file;
	h.source_line = w->source_line;
	ok = wr(f, &h, sizeof(h)) && wr(f, w->ns, h.ns_len) &&
	     wr(f, w->kind, h.kind_len) && wr(f, w->name, h.name_len) &&
	     (!h.has_owner || wr(f, w->owner_name, h.owner_len));
	for (i = 0; ok && i < w->n_failing; i++) {
		const struct kcs_wl_container *c = &w->failing[i];
		struct spool_wc ch;

		memset(&ch, 0, sizeof(ch));
		ch.name_len = c->name_len;
		ch.type = c->type;
		ch.reason = c->reason;
		ch.has_sc = c->has_sc;
		ch.has_caps = c->has_caps;
		ch.has_drop = c->has_drop;
		ch.privileged = c->privileged;
		ch.index = c->index;
		ok = wr(f, &ch, sizeof(ch)) && wr(f, c->name, c->name_len);
	}
	if (!ok)
		return kcs_error_set(err, KCS_ERR_IO,
				     "cannot write the workloads' temporary spool: %s",
				     strerror(errno));
	return KCS_OK;
}

/*
 * A record read back from the spool, in buffers of its own (valid until
 * the next read).
 */
struct rec {
	struct kcs_workload w;
	char ns[KCS_NAME_MAX + 1], kind[KCS_NAME_MAX + 1];
	char name[KCS_NAME_MAX + 1], owner[KCS_NAME_MAX + 1];
	struct kcs_wl_container failing[KCS_WORKLOAD_MAX_FAILING];
	char cnames[KCS_WORKLOAD_MAX_FAILING][KCS_NAME_MAX + 1];
};

static int rd(FILE *f, void *p, size_t n)
{
	return fread(p, 1, n, f) == n;
}

static int rd_str(FILE *f, char *buf, size_t len)
{
	if (len > KCS_NAME_MAX || !rd(f, buf, len))
		return 0;
	buf[len] = '\0';
	return 1;
}

/* Read the next record; *eof at the end. */
static enum kcs_err spool_read(FILE *f, struct rec *r, int *eof,
			       struct kcs_error *err)
{
	struct spool_wl h;
	size_t i;

	*eof = 0;
	if (!rd(f, &h, sizeof(h))) {
		if (feof(f)) {
			*eof = 1;
			return KCS_OK;
		}
		goto bad;
	}
	memset(&r->w, 0, sizeof(r->w));
	if (h.n_failing > KCS_WORKLOAD_MAX_FAILING ||
	    !rd_str(f, r->ns, h.ns_len) || !rd_str(f, r->kind, h.kind_len) ||
	    !rd_str(f, r->name, h.name_len) ||
	    (h.has_owner && !rd_str(f, r->owner, h.owner_len)))
		goto bad;
	r->w.ns = r->ns;
	r->w.ns_len = h.ns_len;
	r->w.kind = r->kind;
	r->w.name = r->name;
	r->w.name_len = h.name_len;
	r->w.resolved = h.resolved;
	r->w.owner_gone = h.owner_gone;
	r->w.verdict = h.verdict;
	r->w.failing_cut = h.failing_cut;
	r->w.pods_total = h.pods_total;
	r->w.pods_fail = h.pods_fail;
	r->w.owner_kind = h.has_owner ? "Node" : NULL;
	r->w.owner_name = h.has_owner ? r->owner : NULL;
	r->w.source_file = h.source_file;
	r->w.source_line = h.source_line;
	r->w.failing = r->failing;
	r->w.n_failing = h.n_failing;
	for (i = 0; i < h.n_failing; i++) {
		struct spool_wc ch;
		struct kcs_wl_container *c = &r->failing[i];

		if (!rd(f, &ch, sizeof(ch)) ||
		    !rd_str(f, r->cnames[i], ch.name_len))
			goto bad;
		c->name = r->cnames[i];
		c->name_len = ch.name_len;
		c->type = ch.type;
		c->reason = ch.reason;
		c->has_sc = ch.has_sc;
		c->has_caps = ch.has_caps;
		c->has_drop = ch.has_drop;
		c->privileged = ch.privileged;
		c->index = ch.index;
	}
	return KCS_OK;
bad:
	return kcs_error_set(err, KCS_ERR_IO,
			     "cannot read back the workloads' temporary spool");
}

/* Write the current namespace's records to the spool and forget them. */
static enum kcs_err flush(struct kcs_workloads *t, struct kcs_error *err)
{
	struct kcs_workload **v = NULL;
	enum kcs_err rc;
	size_t i;

	if (!t->have_cur)
		return KCS_OK;
	if (!t->spool) {
		t->spool = tmpfile();
		if (!t->spool)
			return kcs_error_set(err, KCS_ERR_IO,
					     "cannot create a temporary spool file: %s",
					     strerror(errno));
	}
	if ((rc = sorted(t, &v, err)))
		return rc;
	for (i = 0; !rc && i < t->n; i++)
		rc = spool_write(t->spool, v[i], err);
	kcs_free(v);
	if (rc)
		return rc;
	if (!nsset_find(&t->spooled, t->cur_ns, t->cur_ns_len) &&
	    nsset_add(&t->spooled, t->cur_ns, t->cur_ns_len))
		return kcs_error_set(err, KCS_ERR_NOMEM, "out of memory");
	drop_records(t);
	t->have_cur = 0;
	return KCS_OK;
}

enum kcs_err kcs_workloads_add(struct kcs_workloads *t,
			       const struct kcs_pod *pod,
			       const struct kcs_objref *wr_, int resolved,
			       struct kcs_error *err)
{
	struct kcs_workload one, *w;
	struct kcs_wl_container ctrs[KCS_WORKLOAD_MAX_FAILING];
	size_t i;
	enum kcs_err rc;

	if (t->finished)
		return kcs_error_set(err, KCS_ERR_INTERNAL,
				     "workloads added after the end");
	if (!t->have_cur || t->cur_ns_len != pod->ns.len ||
	    memcmp(t->cur_ns, pod->ns.s, pod->ns.len)) {
		struct nsname *seen;

		if ((rc = flush(t, err)))
			return rc;
		seen = nsset_find(&t->spooled, pod->ns.s, pod->ns.len);
		if (seen && !seen->reopened) {
			seen->reopened = 1;
			t->n_reopened++;
		}
		memcpy(t->cur_ns, pod->ns.s, pod->ns.len);
		t->cur_ns[pod->ns.len] = '\0';
		t->cur_ns_len = pod->ns.len;
		t->have_cur = 1;
	}
	if (t->n >= KCS_WORKLOADS_IN_MEMORY) {
		/*
		 * One namespace with very many workloads: spool what we have
		 * and merge it again at the end, as for input out of order.
		 */
		struct nsname *seen;

		if ((rc = flush(t, err)))
			return rc;
		seen = nsset_find(&t->spooled, t->cur_ns, t->cur_ns_len);
		if (seen && !seen->reopened) {
			seen->reopened = 1;
			t->n_reopened++;
		}
		t->have_cur = 1;
	}
	w = get(t, pod->ns.s, pod->ns.len, wr_->kind, wr_->name.s,
		wr_->name.len, err);
	if (!w)
		return err ? err->code : KCS_ERR_NOMEM;

	memset(&one, 0, sizeof(one));
	one.resolved = resolved ? 1 : 0;
	one.owner_gone = pod->workload_owner_gone;
	one.verdict = (unsigned char)pod->verdict;
	one.pods_total = 1;
	one.pods_fail = pod->verdict == KCS_VERDICT_FAIL;
	if (pod->owner.present && !strcmp(pod->owner.kind, "Node")) {
		one.owner_kind = "Node";
		one.owner_name = pod->owner.name.s;
	}
	/* a manifest object; not a pod of a saved `kubectl get` listing */
	if (pod->source.kind[0] || pod->source.line) {
		one.source_file = pod->source.file;
		one.source_line = pod->source.line;
	}
	one.failing = ctrs;
	for (i = 0; i < pod->n; i++) {
		const struct kcs_container *c = &pod->containers[i];
		struct kcs_wl_container *x;

		if (c->verdict != KCS_VERDICT_FAIL)
			continue;
		if (one.n_failing == KCS_WORKLOAD_MAX_FAILING) {
			one.failing_cut = 1;
			break;
		}
		x = &ctrs[one.n_failing++];
		x->name = c->name.s;
		x->name_len = (unsigned short)c->name.len;
		x->type = (unsigned char)c->type;
		x->reason = (unsigned char)c->reason;
		x->index = c->index;
		x->has_sc = c->has_sc;
		x->has_caps = c->has_caps;
		x->has_drop = c->has_drop;
		x->privileged = c->privileged;
	}
	return merge(t, w, &one, err);
}

static void tally(struct kcs_workloads *t, const struct kcs_workload *w)
{
	t->total++;
	if (w->verdict < 5)
		t->by_verdict[w->verdict]++;
}

/* Records of a reopened namespace merged in memory per bucket file. */
#define BUCKET_RECORDS 4096
#define MAX_BUCKETS 256

/* Merge every record of `f` in memory and hand them over, sorted. */
static enum kcs_err merge_file(struct kcs_workloads *t, FILE *f,
			       struct rec *r, kcs_workload_each_fn fn,
			       void *user, struct kcs_error *err)
{
	struct kcs_workload **v = NULL;
	enum kcs_err rc = KCS_OK;
	size_t i;
	int eof = 0;

	if (fflush(f) || fseek(f, 0, SEEK_SET))
		return kcs_error_set(err, KCS_ERR_IO,
				     "cannot read back a workloads' spool: %s",
				     strerror(errno));
	while (!rc) {
		struct kcs_workload *w;

		rc = spool_read(f, r, &eof, err);
		if (rc || eof)
			break;
		w = get(t, r->ns, r->w.ns_len, r->kind, r->name, r->w.name_len,
			err);
		rc = w ? merge(t, w, &r->w, err)
		       : (err ? err->code : KCS_ERR_NOMEM);
	}
	if (!rc && t->n) {
		if (!(rc = sorted(t, &v, err)))
			for (i = 0; !rc && i < t->n; i++)
				rc = fn(v[i], user, err);
		kcs_free(v);
	}
	drop_records(t);
	return rc;
}

/*
 * Walk everything: spooled records of namespaces that never came back
 * straight from the spool; those of namespaces that did (input not grouped
 * by namespace) are spread over bucket files by hash, each small enough to
 * merge in memory, so even the worst order keeps memory bounded.
 */
static enum kcs_err walk(struct kcs_workloads *t, kcs_workload_each_fn fn,
			 void *user, struct kcs_error *err)
{
	FILE *buckets[MAX_BUCKETS] = { NULL };
	size_t n_buckets = 1, i;
	struct rec *r = NULL;
	enum kcs_err rc = KCS_OK;
	int eof = 0;

	drop_records(t);
	if (!t->spool)
		return KCS_OK;
	if (t->n_reopened) {
		/* size the buckets from the spool's size: records are ~100 B */
		long size;

		if (fseek(t->spool, 0, SEEK_END) || (size = ftell(t->spool)) < 0)
			return kcs_error_set(err, KCS_ERR_IO,
					     "cannot size the workloads' spool: %s",
					     strerror(errno));
		n_buckets = (size_t)size / (BUCKET_RECORDS * 64) + 1;
		if (n_buckets > MAX_BUCKETS)
			n_buckets = MAX_BUCKETS;
	}
	r = kcs_malloc(sizeof(*r));
	if (!r)
		return kcs_error_set(err, KCS_ERR_NOMEM, "out of memory");
	if (fflush(t->spool) || fseek(t->spool, 0, SEEK_SET))
		rc = kcs_error_set(err, KCS_ERR_IO,
				   "cannot read back the workloads' spool: %s",
				   strerror(errno));
	while (!rc) {
		const struct nsname *ns;
		size_t b;

		rc = spool_read(t->spool, r, &eof, err);
		if (rc || eof)
			break;
		ns = nsset_find(&t->spooled, r->ns, r->w.ns_len);
		if (!ns || !ns->reopened) {
			rc = fn(&r->w, user, err);
			continue;
		}
		b = hash3(r->ns, r->w.ns_len, r->kind, r->name,
			  r->w.name_len) % n_buckets;
		if (!buckets[b] && !(buckets[b] = tmpfile())) {
			rc = kcs_error_set(err, KCS_ERR_IO,
					   "cannot create a temporary spool file: %s",
					   strerror(errno));
			break;
		}
		rc = spool_write(buckets[b], &r->w, err);
	}
	if (!rc && fseek(t->spool, 0, SEEK_END))
		rc = kcs_error_set(err, KCS_ERR_IO,
				   "cannot seek the workloads' spool: %s",
				   strerror(errno));
	for (i = 0; i < n_buckets; i++) {
		if (!buckets[i])
			continue;
		if (!rc)
			rc = merge_file(t, buckets[i], r, fn, user, err);
		fclose(buckets[i]);
	}
	kcs_free(r);
	return rc;
}

static enum kcs_err count_one(const struct kcs_workload *w, void *user,
			      struct kcs_error *err)
{
	(void)err;
	tally(user, w);
	return KCS_OK;
}

enum kcs_err kcs_workloads_finish(struct kcs_workloads *t,
				  struct kcs_error *err)
{
	enum kcs_err rc;

	if (t->finished)
		return KCS_OK;
	if ((rc = flush(t, err)))
		return rc;
	t->finished = 1;
	t->total = 0;
	memset(t->by_verdict, 0, sizeof(t->by_verdict));
	return walk(t, count_one, t, err);
}

enum kcs_err kcs_workloads_each(struct kcs_workloads *t,
				kcs_workload_each_fn fn, void *user,
				struct kcs_error *err)
{
	if (!t->finished)
		return kcs_error_set(err, KCS_ERR_INTERNAL,
				     "workloads walked before the end");
	return walk(t, fn, user, err);
}

unsigned long long kcs_workloads_count(const struct kcs_workloads *t)
{
	return t->total;
}

void kcs_workloads_counts(const struct kcs_workloads *t,
			  unsigned long long by_verdict[5])
{
	memcpy(by_verdict, t->by_verdict, 5 * sizeof(by_verdict[0]));
}

enum kcs_err kcs_workload_containers(const struct kcs_workload *w,
				     struct kcs_container **out, size_t *n,
				     struct kcs_error *err)
{
	struct kcs_container *cs;
	size_t i;

	*out = NULL;
	*n = 0;
	if (!w->n_failing)
		return KCS_OK;
	cs = kcs_calloc(w->n_failing, sizeof(*cs));
	if (!cs)
		return kcs_error_set(err, KCS_ERR_NOMEM, "out of memory");
	for (i = 0; i < w->n_failing; i++) {
		const struct kcs_wl_container *x = &w->failing[i];
		struct kcs_container *c = &cs[i];

		c->type = (enum kcs_ctype)x->type;
		c->index = x->index;
		memcpy(c->name.s, x->name, x->name_len);
		c->name.s[x->name_len] = '\0';
		c->name.len = x->name_len;
		c->has_sc = x->has_sc;
		c->has_caps = x->has_caps;
		c->has_drop = x->has_drop;
		c->privileged = x->privileged;
		c->verdict = KCS_VERDICT_FAIL;
		c->reason = (enum kcs_reason)x->reason;
	}
	*out = cs;
	*n = w->n_failing;
	return KCS_OK;
}
