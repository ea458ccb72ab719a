/*
 * drift.c - drift against a baseline report (see drift.h for the states).
 *
 * Two halves. The baseline reader is a yajl callback state machine over the
 * part of a kubecapscan/v1 report drift needs:
 *
 *   report    -> schemaVersion, finishedAt, complete, source, pods[],
 *                namespaces[]
 *   source    -> namespace, labelSelector, fieldSelector,
 *                excludeNamespaces[]
 *   pods[]    -> namespace, name, verdict, reason, workload{kind, name},
 *                containers[]{name, type, verdict, reason}
 *   namespaces[] -> name, verdict, reason
 *
 * Everything else (messages, flags, workloads[], a previous drift) is
 * skipped with one counter. A pod's keys may come in any order, so its
 * containers wait in a small per-pod array (reused: memory for the widest
 * pod only) until the pod closes and its workload is known.
 *
 * The key table is an open-addressing hash (FNV-1a, linear probing, kept
 * under half full) over an array of entries, one per distinct key, each
 * remembering the baseline's verdict and the current one, both merged over
 * the pods sharing the key (FAIL beats UNKNOWN beats EXEMPT beats PASS
 * beats NOT_APPLICABLE; equal verdicts keep the alphabetically first
 * reason), so the result does not depend on the order pods arrive in.
 * Reason names are interned in a small table (an entry holds a byte).
 *
 * kcs_drift_finish() sorts the entries once and deals each to its list.
 */
#include <errno.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_parse.h>

#include "kcs/alloc.h"
#include "kcs/buf.h"
#include "kcs/drift.h"
#include "kcs/jsonsax.h"
#include "kcs/banned.h"

/* Bytes read from a baseline file at a time. */
#define CHUNK (64 * 1024)
/* Longest warning built (they name a file and a few scope strings). */
#define WARNING_MAX 2048
/* Most warnings: scope, this scan incomplete, baseline incomplete, legacy. */
#define MAX_WARNINGS 4
/* Longest value quoted from the input in a message (sanitised). */
#define QUOTE_MAX 64
/* Index meaning "no entry" in the hash slots. */
#define NONE ((uint32_t)0)

/* ---- the key table ---------------------------------------------------- */

/* One distinct key and what the baseline and the current scan said. */
struct entry {
	char *key;                  /* ns, kind, wname, cname; each + NUL */
	uint64_t hash;
	unsigned short ns_len, kind_len, wname_len, cname_len;
	unsigned char level;        /* enum kcs_drift_level */
	unsigned char ctype;        /* enum kcs_ctype (container level) */
	unsigned char legacy;       /* from a baseline pod without workload */
	unsigned char in_base;      /* the baseline had the key */
	unsigned char base_v;       /* merged baseline verdict */
	unsigned char base_reason;  /* interned reason id */
	unsigned char seen;         /* the current scan fed the key */
	unsigned char seen_direct;  /* ... under this very key (not by name) */
	unsigned char cur_v;        /* merged current verdict */
	unsigned char cur_reason;   /* interned reason id */
	/*
	 * What an older baseline said about this key's pods under their own
	 * names (legacy keys matched by pod name), merged.
	 */
	unsigned char has_lb, lb_v, lb_reason;
};

/* A key being looked up (borrowed strings). */
struct key {
	unsigned char level, ctype;
	const char *ns, *kind, *wname, *cname;
	size_t ns_len, kind_len, wname_len, cname_len;
};

/* ---- the baseline reader's state -------------------------------------- */

enum slot {
	S_SKIP = KCS_JSONSAX_SKIP,
	S_ROOT = KCS_JSONSAX_ROOT,
	S_SCHEMA, S_FINISHED, S_COMPLETE, S_SOURCE, S_PODS, S_NSS,
	S_SRC_NS, S_SRC_LABEL, S_SRC_FIELD, S_SRC_EXCL, S_EXCL,
	S_POD, S_P_NS, S_P_NAME, S_P_VERDICT, S_P_REASON, S_P_WL, S_P_CONTS,
	S_W_KIND, S_W_NAME,
	S_CONT, S_C_NAME, S_C_TYPE, S_C_VERDICT, S_C_REASON,
	S_NS, S_N_NAME, S_N_VERDICT, S_N_REASON,
	S_COUNT
};

enum node {
	N_ROOT, N_SOURCE, N_EXCL, N_PODS, N_POD, N_WL, N_CONTS, N_CONT,
	N_NSS, N_NS,
};
#define N_NODES (N_NS + 1)

#define K(n, k, s) KCS_JSONSAX_KEY(n, k, s)
static const struct kcs_jsonsax_key keys[] = {
	K(N_ROOT, "schemaVersion", S_SCHEMA),
	K(N_ROOT, "finishedAt", S_FINISHED),
	K(N_ROOT, "complete", S_COMPLETE),
	K(N_ROOT, "source", S_SOURCE),
	K(N_ROOT, "pods", S_PODS),
	K(N_ROOT, "namespaces", S_NSS),
	K(N_SOURCE, "namespace", S_SRC_NS),
	K(N_SOURCE, "labelSelector", S_SRC_LABEL),
	K(N_SOURCE, "fieldSelector", S_SRC_FIELD),
	K(N_SOURCE, "excludeNamespaces", S_SRC_EXCL),
	K(N_POD, "namespace", S_P_NS),
	K(N_POD, "name", S_P_NAME),
	K(N_POD, "verdict", S_P_VERDICT),
	K(N_POD, "reason", S_P_REASON),
	K(N_POD, "workload", S_P_WL),
	K(N_POD, "containers", S_P_CONTS),
	K(N_WL, "kind", S_W_KIND),
	K(N_WL, "name", S_W_NAME),
	K(N_CONT, "name", S_C_NAME),
	K(N_CONT, "type", S_C_TYPE),
	K(N_CONT, "verdict", S_C_VERDICT),
	K(N_CONT, "reason", S_C_REASON),
	K(N_NS, "name", S_N_NAME),
	K(N_NS, "verdict", S_N_VERDICT),
	K(N_NS, "reason", S_N_REASON),
};
#undef K

/* The slot of an array's elements, by node (0: a map node). */
static const unsigned char elem_slot[N_NODES] = {
	[N_EXCL] = S_EXCL,
	[N_PODS] = S_POD,
	[N_CONTS] = S_CONT,
	[N_NSS] = S_NS,
};

/* Where each slot is, for messages ("pods[].workload.kind"). */
static const char *const slot_path[S_COUNT] = {
	[S_SKIP] = "a value",
	[S_ROOT] = "the report",
	[S_SCHEMA] = "schemaVersion",
	[S_FINISHED] = "finishedAt",
	[S_COMPLETE] = "complete",
	[S_SOURCE] = "source",
	[S_PODS] = "pods",
	[S_NSS] = "namespaces",
	[S_SRC_NS] = "source.namespace",
	[S_SRC_LABEL] = "source.labelSelector",
	[S_SRC_FIELD] = "source.fieldSelector",
	[S_SRC_EXCL] = "source.excludeNamespaces",
	[S_EXCL] = "source.excludeNamespaces[]",
	[S_POD] = "pods[]",
	[S_P_NS] = "pods[].namespace",
	[S_P_NAME] = "pods[].name",
	[S_P_VERDICT] = "pods[].verdict",
	[S_P_REASON] = "pods[].reason",
	[S_P_WL] = "pods[].workload",
	[S_P_CONTS] = "pods[].containers",
	[S_W_KIND] = "pods[].workload.kind",
	[S_W_NAME] = "pods[].workload.name",
	[S_CONT] = "pods[].containers[]",
	[S_C_NAME] = "pods[].containers[].name",
	[S_C_TYPE] = "pods[].containers[].type",
	[S_C_VERDICT] = "pods[].containers[].verdict",
	[S_C_REASON] = "pods[].containers[].reason",
	[S_NS] = "namespaces[]",
	[S_N_NAME] = "namespaces[].name",
	[S_N_VERDICT] = "namespaces[].verdict",
	[S_N_REASON] = "namespaces[].reason",
};

/* One container of the baseline pod being read. */
struct bcont {
	struct kcs_name name;
	unsigned char type, verdict, reason;
	unsigned char has_name, has_type, has_verdict;
};

/* The baseline pod being read. */
struct bpod {
	struct kcs_name ns, name, wname;
	char wkind[KCS_DRIFT_KIND_MAX + 1];
	size_t wkind_len;
	unsigned char has_ns, has_name, has_verdict, verdict, reason;
	unsigned char has_wl, has_wkind, has_wname;
	struct bcont *c;            /* containers, reused from pod to pod */
	size_t n, cap;
};

/* The baseline namespace being read. */
struct bns {
	struct kcs_name name;
	unsigned char has_name, has_verdict, verdict, reason;
};

struct parser {
	struct kcs_jsonsax sax;      /* first: it is yajl's ctx (jsonsax.h) */
	struct kcs_drift *d;         /* the drift being loaded */
	struct kcs_error e;          /* why a callback stopped the parse */
	struct bpod pod;
	struct bns ns;
};
_Static_assert(offsetof(struct parser, sax) == 0 &&
	       N_NODES <= KCS_JSONSAX_MAX_NODES, "see jsonsax.h");
_Static_assert(KCS_DRIFT_MAX_DEPTH <= KCS_JSON_MAX_DEPTH, "frame stack");

enum phase { P_NEW, P_LOADING, P_READY, P_DONE, P_FAILED };

struct kcs_drift {
	enum phase phase;
	struct kcs_drift_limits lim;
	struct parser *p;            /* while loading */

	/* the baseline's own fields */
	char *file;
	char finished_at[KCS_DRIFT_TIME_MAX + 1];
	unsigned char complete, has_schema;
	char *src_ns, *src_label, *src_field;
	char *src_excl[KCS_DRIFT_MAX_EXCLUDES];
	size_t n_src_excl;
	struct kcs_drift_baseline info;

	/* keys */
	struct entry *v;
	size_t n, cap;
	uint32_t *slots;             /* entry index + 1, NONE = empty */
	size_t n_slots;              /* power of two */
	size_t n_legacy;             /* entries with legacy set */

	/* interned reason names; id 0 is "" */
	char reasons[KCS_DRIFT_MAX_REASONS + 1][KCS_DRIFT_REASON_MAX + 1];
	size_t n_reasons;

	/* results */
	struct kcs_drift_item *items[KCS_DRIFT_LIST_COUNT];
	size_t n_items[KCS_DRIFT_LIST_COUNT];
	char *warnings[MAX_WARNINGS];
	size_t n_warnings;
};

/* ---- small helpers ---------------------------------------------------- */

static int verdict_rank(enum kcs_verdict v)
{
	switch (v) {
	case KCS_VERDICT_FAIL: return 4;
	case KCS_VERDICT_UNKNOWN: return 3;
	case KCS_VERDICT_EXEMPT: return 2;
	case KCS_VERDICT_PASS: return 1;
	case KCS_VERDICT_NOT_APPLICABLE: return 0;
	}
	return 3;
}

static int parse_verdict(const unsigned char *s, size_t len,
			 enum kcs_verdict *out)
{
	static const enum kcs_verdict all[] = {
		KCS_VERDICT_PASS, KCS_VERDICT_FAIL, KCS_VERDICT_NOT_APPLICABLE,
		KCS_VERDICT_UNKNOWN, KCS_VERDICT_EXEMPT,
	};
	size_t i;

	for (i = 0; i < KCS_ARRAY_SIZE(all); i++) {
		const char *n = kcs_verdict_name(all[i]);

		if (strlen(n) == len && memcmp(n, s, len) == 0) {
			*out = all[i];
			return 0;
		}
	}
	return -1;
}

static int parse_ctype(const unsigned char *s, size_t len,
		       enum kcs_ctype *out)
{
	static const enum kcs_ctype all[] = {
		KCS_CTYPE_INIT, KCS_CTYPE_CONTAINER, KCS_CTYPE_EPHEMERAL,
	};
	size_t i;

	for (i = 0; i < KCS_ARRAY_SIZE(all); i++) {
		const char *n = kcs_ctype_name(all[i]);

		if (strlen(n) == len && memcmp(n, s, len) == 0) {
			*out = all[i];
			return 0;
		}
	}
	return -1;
}

/* Copy at most QUOTE_MAX bytes of input for a message, '?' for the odd. */
static void quote(char *dst, size_t size, const unsigned char *s, size_t len)
{
	size_t i, n = len < size - 1 ? len : size - 1;

	if (n > QUOTE_MAX)
		n = QUOTE_MAX;
	for (i = 0; i < n; i++)
		dst[i] = s[i] >= 0x20 && s[i] < 0x7f && s[i] != '"' ? (char)s[i]
								 : '?';
	dst[n] = '\0';
}

static int bytes_eq(const char *a, size_t alen, const char *b, size_t blen)
{
	return alen == blen && memcmp(a, b, alen) == 0;
}

/* Does one of the globs match this namespace? (A name with a NUL: never.) */
static int excluded(const char *const *globs, size_t n, const char *ns,
		    size_t ns_len)
{
	size_t i;

	if (memchr(ns, '\0', ns_len))
		return 0;
	for (i = 0; i < n; i++)
		if (fnmatch(globs[i], ns, 0) == 0)
			return 1;
	return 0;
}

/* ---- reasons ---------------------------------------------------------- */

/*
 * The id of reason `s` (interned on first use); 0 for "". Returns -1 when
 * the table is full. Callers have checked the length.
 */
static int intern(struct kcs_drift *d, const char *s, size_t len)
{
	size_t i;

	if (!len)
		return 0;
	for (i = 1; i < d->n_reasons; i++)
		if (strlen(d->reasons[i]) == len &&
		    memcmp(d->reasons[i], s, len) == 0)
			return (int)i;
	if (d->n_reasons > KCS_DRIFT_MAX_REASONS)
		return -1;
	memcpy(d->reasons[d->n_reasons], s, len);
	d->reasons[d->n_reasons][len] = '\0';
	return (int)d->n_reasons++;
}

/*
 * Merge verdict v (reason r) into (*cv, *cr): the higher rank wins; on a
 * tie, the alphabetically first non-empty reason, so the result does not
 * depend on the order pods arrive in.
 */
static void merge(const struct kcs_drift *d, unsigned char *cv,
		  unsigned char *cr, int first, enum kcs_verdict v,
		  unsigned char r)
{
	int a, b;

	if (first) {
		*cv = (unsigned char)v;
		*cr = r;
		return;
	}
	a = verdict_rank((enum kcs_verdict)*cv);
	b = verdict_rank(v);
	if (b > a) {
		*cv = (unsigned char)v;
		*cr = r;
	} else if (b == a && r != *cr &&
		   (!*cr ||
		    (r && strcmp(d->reasons[r], d->reasons[*cr]) < 0))) {
		*cr = r;
	}
}

/* ---- the key table ---------------------------------------------------- */

static void hash_part(uint64_t *h, const char *s, size_t len)
{
	size_t i;

	*h ^= (unsigned char)len;
	*h *= 1099511628211ull;
	*h ^= (unsigned char)(len >> 8);
	*h *= 1099511628211ull;
	for (i = 0; i < len; i++) {
		*h ^= (unsigned char)s[i];
		*h *= 1099511628211ull;
	}
}

static uint64_t hash_key(const struct key *k)
{
	uint64_t h = 14695981039346656037ull;

	h ^= k->level;
	h *= 1099511628211ull;
	h ^= k->ctype;
	h *= 1099511628211ull;
	hash_part(&h, k->ns, k->ns_len);
	hash_part(&h, k->kind, k->kind_len);
	hash_part(&h, k->wname, k->wname_len);
	hash_part(&h, k->cname, k->cname_len);
	return h;
}

static const char *e_ns(const struct entry *e)
{
	return e->key;
}

static const char *e_kind(const struct entry *e)
{
	return e->key + e->ns_len + 1;
}

static const char *e_wname(const struct entry *e)
{
	return e_kind(e) + e->kind_len + 1;
}

static const char *e_cname(const struct entry *e)
{
	return e_wname(e) + e->wname_len + 1;
}

static int key_is(const struct entry *e, uint64_t h, const struct key *k)
{
	return e->hash == h && e->level == k->level && e->ctype == k->ctype &&
	       bytes_eq(e_ns(e), e->ns_len, k->ns, k->ns_len) &&
	       bytes_eq(e_kind(e), e->kind_len, k->kind, k->kind_len) &&
	       bytes_eq(e_wname(e), e->wname_len, k->wname, k->wname_len) &&
	       bytes_eq(e_cname(e), e->cname_len, k->cname, k->cname_len);
}

/* Index of k's slot: its entry's, or the empty one where it would go. */
static size_t find_slot(const struct kcs_drift *d, const struct key *k,
			uint64_t h)
{
	size_t mask = d->n_slots - 1, i = (size_t)h & mask;

	while (d->slots[i] != NONE && !key_is(&d->v[d->slots[i] - 1], h, k))
		i = (i + 1) & mask;
	return i;
}

/* The entry of k, or NULL. */
static struct entry *lookup(struct kcs_drift *d, const struct key *k)
{
	size_t i;

	if (!d->n_slots)
		return NULL;
	i = find_slot(d, k, hash_key(k));
	return d->slots[i] ? &d->v[d->slots[i] - 1] : NULL;
}

static enum kcs_err grow_slots(struct kcs_drift *d, struct kcs_error *err)
{
	size_t n = d->n_slots ? d->n_slots * 2 : 1024, i, mask = n - 1;
	uint32_t *s = kcs_calloc(n, sizeof(*s));

	if (!s)
		return kcs_error_set(err, KCS_ERR_NOMEM, "out of memory");
	for (i = 0; i < d->n; i++) {
		size_t j = (size_t)d->v[i].hash & mask;

		while (s[j] != NONE)
			j = (j + 1) & mask;
		s[j] = (uint32_t)(i + 1);
	}
	kcs_free(d->slots);
	d->slots = s;
	d->n_slots = n;
	return KCS_OK;
}

/*
 * The entry of k, created (zeroed but for the key) if new. Returns NULL
 * and fills err past the key limit or when out of memory. The pointer is
 * valid until the next call (the array may move).
 */
static struct entry *get(struct kcs_drift *d, const struct key *k,
			 struct kcs_error *err)
{
	uint64_t h = hash_key(k);
	struct entry *e;
	size_t i, total;
	char *p;

	if (d->n_slots) {
		i = find_slot(d, k, h);
		if (d->slots[i])
			return &d->v[d->slots[i] - 1];
	}
	if (d->n >= d->lim.max_keys) {
		kcs_error_set(err, KCS_ERR_LIMIT,
			      "more than %zu distinct namespace/workload/"
			      "container keys", d->lim.max_keys);
		return NULL;
	}
	if ((d->n + 1) * 2 > d->n_slots && grow_slots(d, err))
		return NULL;
	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 256;
		struct entry *v = kcs_realloc(d->v, cap * sizeof(*v));

		if (!v) {
			kcs_error_set(err, KCS_ERR_NOMEM, "out of memory");
			return NULL;
		}
		d->v = v;
		d->cap = cap;
	}
	total = k->ns_len + k->kind_len + k->wname_len + k->cname_len + 4;
	p = kcs_malloc(total);
	if (!p) {
		kcs_error_set(err, KCS_ERR_NOMEM, "out of memory");
		return NULL;
	}
	e = &d->v[d->n];
	memset(e, 0, sizeof(*e));
	e->key = p;
	e->hash = h;
	e->level = k->level;
	e->ctype = k->ctype;
	e->ns_len = (unsigned short)k->ns_len;
	e->kind_len = (unsigned short)k->kind_len;
	e->wname_len = (unsigned short)k->wname_len;
	e->cname_len = (unsigned short)k->cname_len;
	memcpy(p, k->ns, k->ns_len);
	p[k->ns_len] = '\0';
	p += k->ns_len + 1;
	memcpy(p, k->kind, k->kind_len);
	p[k->kind_len] = '\0';
	p += k->kind_len + 1;
	memcpy(p, k->wname, k->wname_len);
	p[k->wname_len] = '\0';
	p += k->wname_len + 1;
	memcpy(p, k->cname, k->cname_len);
	p[k->cname_len] = '\0';
	d->n++;
	d->slots[find_slot(d, k, h)] = (uint32_t)d->n;
	return e;
}

/* Record what the baseline said about key k. */
static enum kcs_err base_add(struct kcs_drift *d, const struct key *k,
			     enum kcs_verdict v, unsigned char reason,
			     int legacy, struct kcs_error *err)
{
	struct entry *e = get(d, k, err);

	if (!e)
		return err && err->code ? err->code : KCS_ERR_NOMEM;
	merge(d, &e->base_v, &e->base_reason, !e->in_base, v, reason);
	e->in_base = 1;
	if (legacy && !e->legacy) {
		e->legacy = 1;
		d->n_legacy++;
	}
	return KCS_OK;
}

/* ---- the baseline reader ---------------------------------------------- */

/* Stop the parse: record code and words; yajl then says client_canceled. */
static int stop(struct parser *p, enum kcs_err code, const char *fmt, ...)
	KCS_PRINTF(3, 4);

static int stop(struct parser *p, enum kcs_err code, const char *fmt, ...)
{
	char why[KCS_ERROR_MSG_MAX / 2];
	va_list ap;

	if (p->sax.rc != KCS_OK)
		return 0;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	return kcs_jsonsax_fail(&p->sax, code, "%s", why);
}

/* A key-table error (limit, memory) as a stop. */
static int stop_err(struct parser *p, const struct kcs_error *e)
{
	return stop(p, e->code ? e->code : KCS_ERR_NOMEM, "%s",
		    e->code ? e->msg : "out of memory");
}

static int wrong_type(struct parser *p, enum slot s, const char *what)
{
	return stop(p, KCS_ERR_PARSE, "%s is not %s", slot_path[s], what);
}

static int too_long(struct parser *p, enum slot s, int max)
{
	return stop(p, KCS_ERR_LIMIT, "%s is longer than %d bytes",
		    slot_path[s], max);
}

static int set_name(struct parser *p, enum slot s, struct kcs_name *n,
		    const unsigned char *v, size_t len)
{
	if (len > KCS_NAME_MAX)
		return too_long(p, s, KCS_NAME_MAX);
	memcpy(n->s, v, len);
	n->s[len] = '\0';
	n->len = len;
	return 1;
}

/* A heap copy of a scope string (no NUL bytes: compared as C strings). */
static int set_scope(struct parser *p, enum slot s, char **dst,
		     const unsigned char *v, size_t len)
{
	char *c;

	if (len > KCS_DRIFT_SELECTOR_MAX)
		return too_long(p, s, KCS_DRIFT_SELECTOR_MAX);
	if (memchr(v, '\0', len))
		return stop(p, KCS_ERR_PARSE, "%s holds a NUL byte",
			    slot_path[s]);
	c = kcs_strndup((const char *)v, len);
	if (!c)
		return stop(p, KCS_ERR_NOMEM, "out of memory");
	kcs_free(*dst);
	*dst = c;
	return 1;
}

/* Intern a reason read from the baseline into *out. */
static int set_reason(struct kcs_drift *d, enum slot s, unsigned char *out,
		      const unsigned char *v, size_t len)
{
	struct parser *p = d->p;
	size_t i;
	int id;

	if (len > KCS_DRIFT_REASON_MAX)
		return too_long(p, s, KCS_DRIFT_REASON_MAX);
	/* reasons are upper-case names; this keeps messages and tables clean */
	for (i = 0; i < len; i++)
		if (!((v[i] >= 'A' && v[i] <= 'Z') ||
		      (v[i] >= '0' && v[i] <= '9') || v[i] == '_'))
			return stop(p, KCS_ERR_PARSE,
				    "%s is not a reason name (A-Z, 0-9, _)",
				    slot_path[s]);
	id = intern(d, (const char *)v, len);
	if (id < 0)
		return stop(p, KCS_ERR_LIMIT, "more than %d distinct reasons",
			    KCS_DRIFT_MAX_REASONS);
	*out = (unsigned char)id;
	return 1;
}

static int set_verdict(struct parser *p, enum slot s, unsigned char *out,
		       unsigned char *has, const unsigned char *v, size_t len)
{
	enum kcs_verdict vd;

	if (parse_verdict(v, len, &vd))
		return stop(p, KCS_ERR_PARSE,
			    "%s is not PASS, FAIL, NOT_APPLICABLE, UNKNOWN or "
			    "EXEMPT", slot_path[s]);
	*out = (unsigned char)vd;
	*has = 1;
	return 1;
}

static int check_schema(struct kcs_drift *d, const unsigned char *s,
			size_t len)
{
	static const char want[] = "kubecapscan/v1";
	char q[QUOTE_MAX + 1];

	if (bytes_eq((const char *)s, len, want, sizeof(want) - 1)) {
		d->has_schema = 1;
		return 1;
	}
	quote(q, sizeof(q), s, len);
	return stop(d->p, KCS_ERR_PARSE,
		    "not a kubecapscan/v1 report: schemaVersion is \"%s\"%s", q,
		    len > QUOTE_MAX ? "..." : "");
}

static int check_time(struct kcs_drift *d, const unsigned char *s,
		      size_t len)
{
	size_t i;

	if (len > KCS_DRIFT_TIME_MAX)
		return stop(d->p, KCS_ERR_LIMIT, "finishedAt is longer than %d "
			    "bytes", KCS_DRIFT_TIME_MAX);
	for (i = 0; i < len; i++)
		if (s[i] < 0x20 || s[i] >= 0x7f)
			return stop(d->p, KCS_ERR_PARSE,
				    "finishedAt is not a timestamp");
	memcpy(d->finished_at, s, len);
	d->finished_at[len] = '\0';
	return 1;
}

/* What a slot holds, for a wrong-type message. */
static const char *expected(enum slot s)
{
	switch (s) {
	case S_ROOT: case S_SOURCE: case S_POD: case S_CONT: case S_NS:
	case S_P_WL:
		return "an object";
	case S_PODS: case S_NSS: case S_SRC_EXCL: case S_P_CONTS:
		return "an array";
	case S_COMPLETE:
		return "a boolean";
	default:
		return "a string";
	}
}

static int cb_string(void *ctx, const unsigned char *s, size_t len)
{
	struct parser *p = ctx;
	struct kcs_drift *d = p->d;
	struct bpod *pod = &p->pod;
	struct bcont *c = pod->n ? &pod->c[pod->n - 1] : NULL;
	enum slot slot;
	enum kcs_ctype t;

	if (p->sax.skip)
		return 1;
	slot = kcs_jsonsax_value(&p->sax);
	switch (slot) {
	case S_SKIP:
		return 1;
	case S_SCHEMA:
		return check_schema(d, s, len);
	case S_FINISHED:
		return check_time(d, s, len);
	case S_SRC_NS:
		if (len > KCS_NAME_MAX)
			return too_long(p, slot, KCS_NAME_MAX);
		return set_scope(p, slot, &d->src_ns, s, len);
	case S_SRC_LABEL:
		return set_scope(p, slot, &d->src_label, s, len);
	case S_SRC_FIELD:
		return set_scope(p, slot, &d->src_field, s, len);
	case S_EXCL:
		if (d->n_src_excl >= KCS_DRIFT_MAX_EXCLUDES)
			return stop(p, KCS_ERR_LIMIT,
				    "%s has more than %d entries",
				    slot_path[S_SRC_EXCL],
				    KCS_DRIFT_MAX_EXCLUDES);
		d->src_excl[d->n_src_excl] = NULL;
		if (!set_scope(p, slot, &d->src_excl[d->n_src_excl], s, len))
			return 0;
		d->n_src_excl++;
		return 1;
	case S_P_NS:
		pod->has_ns = 1;
		return set_name(p, slot, &pod->ns, s, len);
	case S_P_NAME:
		pod->has_name = 1;
		return set_name(p, slot, &pod->name, s, len);
	case S_P_VERDICT:
		return set_verdict(p, slot, &pod->verdict, &pod->has_verdict, s,
				   len);
	case S_P_REASON:
		return set_reason(d, slot, &pod->reason, s, len);
	case S_W_KIND:
		if (len > KCS_DRIFT_KIND_MAX)
			return too_long(p, slot, KCS_DRIFT_KIND_MAX);
		memcpy(pod->wkind, s, len);
		pod->wkind[len] = '\0';
		pod->wkind_len = len;
		pod->has_wkind = 1;
		return 1;
	case S_W_NAME:
		pod->has_wname = 1;
		return set_name(p, slot, &pod->wname, s, len);
	case S_C_NAME:
		c->has_name = 1;
		return set_name(p, slot, &c->name, s, len);
	case S_C_TYPE:
		if (parse_ctype(s, len, &t))
			return stop(p, KCS_ERR_PARSE,
				    "%s is not initContainer, container or "
				    "ephemeralContainer", slot_path[slot]);
		c->type = (unsigned char)t;
		c->has_type = 1;
		return 1;
	case S_C_VERDICT:
		return set_verdict(p, slot, &c->verdict, &c->has_verdict, s,
				   len);
	case S_C_REASON:
		return set_reason(d, slot, &c->reason, s, len);
	case S_N_NAME:
		p->ns.has_name = 1;
		return set_name(p, slot, &p->ns.name, s, len);
	case S_N_VERDICT:
		return set_verdict(p, slot, &p->ns.verdict, &p->ns.has_verdict,
				   s, len);
	case S_N_REASON:
		return set_reason(d, slot, &p->ns.reason, s, len);
	default:
		return wrong_type(p, slot, expected(slot));
	}
}

static int cb_null(void *ctx)
{
	struct parser *p = ctx;
	struct kcs_drift *d = p->d;
	enum slot slot;

	if (p->sax.skip)
		return 1;
	slot = kcs_jsonsax_value(&p->sax);
	switch (slot) {
	case S_SKIP:
	case S_FINISHED: case S_COMPLETE: case S_SOURCE: case S_PODS:
	case S_NSS: case S_P_CONTS:
	case S_P_REASON: case S_C_REASON: case S_N_REASON:
		return 1; /* null reads as absent */
	case S_SRC_NS:
		kcs_free(d->src_ns);
		d->src_ns = NULL;
		return 1;
	case S_SRC_LABEL:
		kcs_free(d->src_label);
		d->src_label = NULL;
		return 1;
	case S_SRC_FIELD:
		kcs_free(d->src_field);
		d->src_field = NULL;
		return 1;
	case S_P_WL:
		p->pod.has_wl = 0;
		return 1;
	case S_SCHEMA:
		return stop(p, KCS_ERR_PARSE, "not a kubecapscan/v1 report: "
			    "schemaVersion is null");
	default:
		return wrong_type(p, slot, expected(slot));
	}
}

static int cb_boolean(void *ctx, int b)
{
	struct parser *p = ctx;
	struct kcs_drift *d = p->d;
	enum slot slot;

	if (p->sax.skip)
		return 1;
	slot = kcs_jsonsax_value(&p->sax);
	if (slot == S_SKIP)
		return 1;
	if (slot == S_COMPLETE) {
		d->complete = b ? 1 : 0;
		return 1;
	}
	return wrong_type(p, slot, expected(slot));
}

static int cb_number(void *ctx, const char *s, size_t len)
{
	struct parser *p = ctx;
	enum slot slot;

	(void)s;
	(void)len;
	if (p->sax.skip)
		return 1;
	slot = kcs_jsonsax_value(&p->sax);
	if (slot == S_SKIP)
		return 1;
	return wrong_type(p, slot, expected(slot));
}

static int add_container(struct parser *p)
{
	struct bpod *pod = &p->pod;

	if (pod->n >= KCS_DRIFT_MAX_CONTAINERS)
		return stop(p, KCS_ERR_LIMIT,
			    "a pod has more than %d containers",
			    KCS_DRIFT_MAX_CONTAINERS);
	if (pod->n == pod->cap) {
		size_t cap = pod->cap ? pod->cap * 2 : 8;
		struct bcont *c = kcs_realloc(pod->c, cap * sizeof(*c));

		if (!c)
			return stop(p, KCS_ERR_NOMEM, "out of memory");
		pod->c = c;
		pod->cap = cap;
	}
	memset(&pod->c[pod->n++], 0, sizeof(pod->c[0]));
	return 1;
}

static void reset_pod(struct bpod *pod)
{
	struct bcont *c = pod->c;
	size_t cap = pod->cap;

	memset(pod, 0, sizeof(*pod));
	pod->c = c;
	pod->cap = cap;
}

static int cb_start_map(void *ctx)
{
	struct parser *p = ctx;
	enum slot s;

	if (p->sax.skip)
		return kcs_jsonsax_enter_skip(&p->sax);
	s = kcs_jsonsax_value(&p->sax);
	switch (s) {
	case S_ROOT:
		return kcs_jsonsax_push(&p->sax, N_ROOT, 0);
	case S_SOURCE:
		return kcs_jsonsax_push(&p->sax, N_SOURCE, 0);
	case S_POD:
		reset_pod(&p->pod);
		return kcs_jsonsax_push(&p->sax, N_POD, 0);
	case S_P_WL:
		p->pod.has_wl = 1;
		p->pod.has_wkind = p->pod.has_wname = 0;
		return kcs_jsonsax_push(&p->sax, N_WL, 0);
	case S_CONT:
		return add_container(p) && kcs_jsonsax_push(&p->sax, N_CONT, 0);
	case S_NS:
		memset(&p->ns, 0, sizeof(p->ns));
		return kcs_jsonsax_push(&p->sax, N_NS, 0);
	case S_SKIP:
		return kcs_jsonsax_enter_skip(&p->sax);
	default:
		return wrong_type(p, s, expected(s));
	}
}

static int cb_start_array(void *ctx)
{
	struct parser *p = ctx;
	struct kcs_drift *d = p->d;
	enum slot s;
	size_t i;

	if (p->sax.skip)
		return kcs_jsonsax_enter_skip(&p->sax);
	s = kcs_jsonsax_value(&p->sax);
	switch (s) {
	case S_PODS:
		return kcs_jsonsax_push(&p->sax, N_PODS, 0);
	case S_NSS:
		return kcs_jsonsax_push(&p->sax, N_NSS, 0);
	case S_P_CONTS:
		p->pod.n = 0; /* a repeated list replaces the earlier one */
		return kcs_jsonsax_push(&p->sax, N_CONTS, 0);
	case S_SRC_EXCL:
		for (i = 0; i < d->n_src_excl; i++)
			kcs_free(d->src_excl[i]);
		d->n_src_excl = 0;
		return kcs_jsonsax_push(&p->sax, N_EXCL, 0);
	case S_SKIP:
		return kcs_jsonsax_enter_skip(&p->sax);
	default:
		return wrong_type(p, s, expected(s));
	}
}

static int end_container(struct parser *p)
{
	struct bcont *c = &p->pod.c[p->pod.n - 1];

	if (!c->has_name)
		return stop(p, KCS_ERR_PARSE, "a container has no name");
	if (!c->has_type)
		return stop(p, KCS_ERR_PARSE, "a container has no type");
	if (!c->has_verdict)
		return stop(p, KCS_ERR_PARSE, "a container has no verdict");
	return 1;
}

static int end_pod(struct kcs_drift *d)
{
	struct parser *p = d->p;
	struct bpod *pod = &p->pod;
	struct kcs_error e = KCS_ERROR_INIT;
	struct key k;
	size_t i;
	int legacy = !pod->has_wl;

	if (!pod->has_ns || !pod->has_name || !pod->has_verdict)
		return stop(p, KCS_ERR_PARSE, "a pod has no %s",
			    !pod->has_ns     ? "namespace"
			    : !pod->has_name ? "name"
					     : "verdict");
	/* the schema lets a name be "" (an odd ownerReference), not a kind */
	if (pod->has_wl &&
	    (!pod->has_wkind || !pod->wkind_len || !pod->has_wname))
		return stop(p, KCS_ERR_PARSE,
			    "a pod's workload has no kind or no name");
	memset(&k, 0, sizeof(k));
	k.ns = pod->ns.s;
	k.ns_len = pod->ns.len;
	k.kind = legacy ? "Pod" : pod->wkind;
	k.kind_len = legacy ? 3 : pod->wkind_len;
	k.wname = legacy ? pod->name.s : pod->wname.s;
	k.wname_len = legacy ? pod->name.len : pod->wname.len;
	k.cname = "";
	d->info.pods++;
	if (legacy)
		d->info.legacy_pods++;
	if (pod->reason) {
		/* a pod-level reason (MALFORMED, NO_CONTAINERS) */
		k.level = KCS_DRIFT_LEVEL_POD;
		if (base_add(d, &k, (enum kcs_verdict)pod->verdict, pod->reason,
			     legacy, &e))
			return stop_err(p, &e);
	}
	k.level = KCS_DRIFT_LEVEL_CONTAINER;
	for (i = 0; i < pod->n; i++) {
		struct bcont *c = &pod->c[i];

		k.ctype = c->type;
		k.cname = c->name.s;
		k.cname_len = c->name.len;
		if (base_add(d, &k, (enum kcs_verdict)c->verdict, c->reason,
			     legacy, &e))
			return stop_err(p, &e);
	}
	return 1;
}

static int end_ns(struct kcs_drift *d)
{
	struct parser *p = d->p;
	struct kcs_error e = KCS_ERROR_INIT;
	struct key k;

	if (!p->ns.has_name || !p->ns.name.len)
		return stop(p, KCS_ERR_PARSE, "a namespace has no name");
	if (!p->ns.has_verdict)
		return stop(p, KCS_ERR_PARSE, "a namespace has no verdict");
	memset(&k, 0, sizeof(k));
	k.level = KCS_DRIFT_LEVEL_NAMESPACE;
	k.ns = p->ns.name.s;
	k.ns_len = p->ns.name.len;
	k.kind = k.wname = k.cname = "";
	d->info.namespaces++;
	if (base_add(d, &k, (enum kcs_verdict)p->ns.verdict, p->ns.reason, 0,
		     &e))
		return stop_err(p, &e);
	return 1;
}

static int cb_end_map(void *ctx)
{
	struct parser *p = ctx;
	struct kcs_drift *d = p->d;

	switch (kcs_jsonsax_pop(&p->sax)) {
	case N_ROOT:
		p->sax.done = 1;
		return 1;
	case N_POD:
		return end_pod(d);
	case N_CONT:
		return end_container(p);
	case N_NS:
		return end_ns(d);
	default:
		return 1;
	}
}

static void parser_free(struct parser *p)
{
	if (!p)
		return;
	kcs_jsonsax_release(&p->sax);
	kcs_free(p->pod.c);
	kcs_free(p);
}

/* Fail the load: the message names the file and, if known, the offset. */
static enum kcs_err load_error(struct kcs_drift *d, enum kcs_err code,
			       long long off, const char *why,
			       struct kcs_error *err)
{
	d->phase = P_FAILED;
	if (d->p)
		d->p->sax.failed = 1;
	if (code == KCS_ERR_NOMEM)
		kcs_error_set(err, code, "out of memory reading baseline '%s'",
			      d->file);
	else if (off >= 0)
		kcs_error_set(err, code, "baseline '%s': %s at byte %lld",
			      d->file, why, off);
	else
		kcs_error_set(err, code, "baseline '%s': %s", d->file, why);
	kcs_error_source(err, d->file);
	if (err && err->offset < 0 && off >= 0)
		err->offset = off;
	return code;
}

/* Turn a yajl status into our error. */
static enum kcs_err check(struct kcs_drift *d, yajl_status st,
			  const unsigned char *chunk, size_t len,
			  struct kcs_error *err)
{
	struct parser *p = d->p;
	char why[KCS_ERROR_MSG_MAX / 2];
	unsigned long long off;

	if (st == yajl_status_ok)
		return KCS_OK;
	off = kcs_jsonsax_error_offset(&p->sax, st, chunk);
	if (st == yajl_status_client_canceled)
		return load_error(d, p->sax.rc ? p->sax.rc : KCS_ERR_INTERNAL,
				  (long long)off,
				  p->sax.rc ? p->e.msg : "reader stopped", err);
	kcs_jsonsax_syntax_error(&p->sax, chunk, len, off, why, sizeof(why));
	load_error(d, KCS_ERR_PARSE, -1, why, err);
	if (err && err->offset < 0)
		err->offset = (long long)off;
	return KCS_ERR_PARSE;
}

static const struct kcs_jsonsax_schema schema = {
	.keys = keys,
	.n_keys = KCS_ARRAY_SIZE(keys),
	.elem_slot = elem_slot,
	.callbacks = KCS_JSONSAX_CALLBACKS,
};

enum kcs_err kcs_drift_baseline_begin(struct kcs_drift *d, const char *name,
				      struct kcs_error *err)
{
	if (d->phase != P_NEW)
		return kcs_error_set(err, KCS_ERR_INTERNAL,
				     "drift: baseline loaded twice");
	d->file = kcs_strdup(name ? name : "-");
	d->p = kcs_calloc(1, sizeof(*d->p));
	if (!d->file || !d->p) {
		d->phase = P_FAILED;
		return kcs_error_set(err, KCS_ERR_NOMEM, "out of memory");
	}
	d->info.file = d->file;
	d->p->d = d;
	kcs_error_clear(&d->p->e);
	kcs_jsonsax_init(&d->p->sax, &schema, KCS_DRIFT_MAX_DEPTH,
			 d->lim.max_string);
	d->p->sax.err = &d->p->e;
	if (kcs_jsonsax_open(&d->p->sax, NULL)) {
		d->phase = P_FAILED;
		return kcs_error_set(err, KCS_ERR_NOMEM, "out of memory");
	}
	d->phase = P_LOADING;
	return KCS_OK;
}

enum kcs_err kcs_drift_baseline_feed(struct kcs_drift *d, const void *data,
				     size_t len, struct kcs_error *err)
{
	struct parser *p = d->p;
	yajl_status st;
	enum kcs_err rc;

	if (d->phase != P_LOADING)
		return kcs_error_set(err, KCS_ERR_INTERNAL,
				     "drift: baseline fed out of order");
	if (len > d->lim.max_bytes - p->sax.fed) {
		char why[96];

		snprintf(why, sizeof(why), "larger than %llu bytes",
			 d->lim.max_bytes);
		return load_error(d, KCS_ERR_LIMIT, -1, why, err);
	}
	p->sax.rc = KCS_OK;
	st = yajl_parse(p->sax.h, data, len);
	rc = check(d, st, data, len, err);
	p->sax.fed += len;
	if (!rc && p->sax.too_long) {
		char why[128];

		snprintf(why, sizeof(why), "a JSON string longer than %zu "
			 "bytes ends at or before", d->lim.max_string);
		return load_error(d, KCS_ERR_LIMIT, (long long)p->sax.fed, why,
				  err);
	}
	return rc;
}

/* The baseline's scope, exposed through info. */
static void fill_info(struct kcs_drift *d)
{
	d->info.finished_at = d->finished_at;
	d->info.complete = d->complete;
	d->info.ns = d->src_ns;
	d->info.label_selector = d->src_label;
	d->info.field_selector = d->src_field;
	d->info.exclude_ns = (const char *const *)d->src_excl;
	d->info.n_exclude_ns = d->n_src_excl;
}

enum kcs_err kcs_drift_baseline_finish(struct kcs_drift *d,
				       struct kcs_error *err)
{
	struct parser *p = d->p;
	yajl_status st;
	enum kcs_err rc;

	if (d->phase != P_LOADING)
		return kcs_error_set(err, KCS_ERR_INTERNAL,
				     "drift: baseline finished out of order");
	p->sax.rc = KCS_OK;
	st = yajl_complete_parse(p->sax.h);
	/* yajl calls a cut document a syntax error ("premature EOF") */
	if (st == yajl_status_error && !p->sax.done && !p->sax.fed)
		return load_error(d, KCS_ERR_PARSE, -1,
				  "the file is empty", err);
	if (st == yajl_status_error && !p->sax.done)
		return load_error(d, KCS_ERR_PARSE, (long long)p->sax.fed,
				  "the JSON document ends early", err);
	if ((rc = check(d, st, NULL, 0, err)))
		return rc;
	if (!p->sax.done) {
		if (!p->sax.fed)
			return load_error(d, KCS_ERR_PARSE, -1,
					  "the file is empty", err);
		return load_error(d, KCS_ERR_PARSE, (long long)p->sax.fed,
				  "the JSON document ends early", err);
	}
	if (!d->has_schema)
		return load_error(d, KCS_ERR_PARSE, -1,
				  "not a kubecapscan report: it has no "
				  "schemaVersion", err);
	parser_free(p);
	d->p = NULL;
	fill_info(d);
	d->phase = P_READY;
	return KCS_OK;
}

enum kcs_err kcs_drift_load_baseline(struct kcs_drift *d, const char *path,
				     struct kcs_error *err)
{
	enum kcs_err rc;
	char *buf = NULL;
	FILE *f = NULL;
	size_t n;

	if ((rc = kcs_drift_baseline_begin(d, path, err)))
		goto out;
	f = fopen(path, "rb");
	if (!f) {
		kcs_error_set(err, KCS_ERR_IO, "cannot open baseline '%s': %s",
			      path, strerror(errno));
		kcs_error_source(err, path);
		d->phase = P_FAILED;
		rc = KCS_ERR_IO;
		goto out;
	}
	buf = kcs_malloc(CHUNK);
	if (!buf) {
		rc = load_error(d, KCS_ERR_NOMEM, -1, "", err);
		goto out;
	}
	while ((n = fread(buf, 1, CHUNK, f)) > 0)
		if ((rc = kcs_drift_baseline_feed(d, buf, n, err)))
			goto out;
	if (ferror(f)) {
		kcs_error_set(err, KCS_ERR_IO, "cannot read baseline '%s': %s",
			      path, strerror(errno));
		kcs_error_source(err, path);
		d->phase = P_FAILED;
		rc = KCS_ERR_IO;
		goto out;
	}
	rc = kcs_drift_baseline_finish(d, err);
out:
	kcs_free(buf);
	if (f)
		fclose(f);
	return rc;
}

/* ---- the current scan ------------------------------------------------- */

static enum kcs_err ready(const struct kcs_drift *d, struct kcs_error *err)
{
	if (d->phase != P_READY)
		return kcs_error_set(err, KCS_ERR_INTERNAL,
				     "drift: the current scan is fed before "
				     "the baseline is loaded or after finish");
	return KCS_OK;
}

static enum kcs_err reason_id(struct kcs_drift *d, const char *s,
			      unsigned char *out, struct kcs_error *err)
{
	size_t len = s ? strlen(s) : 0;
	int id;

	if (len > KCS_DRIFT_REASON_MAX)
		return kcs_error_set(err, KCS_ERR_LIMIT,
				     "drift: a reason name is longer than %d "
				     "bytes", KCS_DRIFT_REASON_MAX);
	id = intern(d, s, len);
	if (id < 0)
		return kcs_error_set(err, KCS_ERR_LIMIT,
				     "drift: more than %d distinct reasons",
				     KCS_DRIFT_MAX_REASONS);
	*out = (unsigned char)id;
	return KCS_OK;
}

static enum kcs_err check_key(const struct key *k, struct kcs_error *err)
{
	if (k->ns_len > KCS_NAME_MAX || k->wname_len > KCS_NAME_MAX ||
	    k->cname_len > KCS_NAME_MAX)
		return kcs_error_set(err, KCS_ERR_LIMIT,
				     "drift: a name is longer than %d bytes",
				     KCS_NAME_MAX);
	if (k->kind_len > KCS_DRIFT_KIND_MAX || !k->kind_len)
		return kcs_error_set(err, KCS_ERR_LIMIT,
				     "drift: a workload kind is empty or "
				     "longer than %d bytes",
				     KCS_DRIFT_KIND_MAX);
	return KCS_OK;
}

static void cur_merge(const struct kcs_drift *d, struct entry *e,
		      enum kcs_verdict v, unsigned char r)
{
	merge(d, &e->cur_v, &e->cur_reason, !e->seen, v, r);
	e->seen = 1;
}

/*
 * Record what the current scan says about key k, for a container (or the
 * pod level) of pod `pod`. A key the baseline lacks is only created when it
 * FAILs now: passing keys new to the baseline are not drift, and skipping
 * them keeps memory to the keys that matter.
 *
 * With an older baseline, the same container under the pod's own name (a
 * legacy key) gets the verdict too, and k inherits that key's baseline
 * verdict: if it FAILed, k's failure was known. k is then created whatever
 * its verdict, so the outcome does not depend on which pod came first.
 */
static enum kcs_err add_current(struct kcs_drift *d, const struct key *k,
				enum kcs_verdict v, unsigned char r,
				const char *pod, size_t pod_len,
				struct kcs_error *err)
{
	struct entry *e;
	int bridged = 0;
	unsigned char lv = 0, lr = 0;

	if (d->n_legacy && pod &&
	    !(bytes_eq(k->kind, k->kind_len, "Pod", 3) &&
	      bytes_eq(k->wname, k->wname_len, pod, pod_len))) {
		struct key lk = *k;
		struct entry *l;

		lk.kind = "Pod";
		lk.kind_len = 3;
		lk.wname = pod;
		lk.wname_len = pod_len;
		l = lookup(d, &lk);
		if (l && l->legacy && l->in_base) {
			cur_merge(d, l, v, r);
			bridged = 1;
			lv = l->base_v;
			lr = l->base_reason;
		}
	}
	if (v == KCS_VERDICT_FAIL || bridged) {
		e = get(d, k, err);
		if (!e)
			return err && err->code ? err->code : KCS_ERR_NOMEM;
	} else {
		e = lookup(d, k);
	}
	if (e) {
		cur_merge(d, e, v, r);
		e->seen_direct = 1;
		if (bridged) {
			merge(d, &e->lb_v, &e->lb_reason, !e->has_lb,
			      (enum kcs_verdict)lv, lr);
			e->has_lb = 1;
		}
	}
	return KCS_OK;
}

enum kcs_err kcs_drift_pod(struct kcs_drift *d, const struct kcs_pod *pod,
			   const char *wkind, const char *wname,
			   size_t wname_len, struct kcs_error *err)
{
	const char *pr = kcs_pod_reason_name(pod->reason);
	struct key k;
	unsigned char r;
	enum kcs_err rc;
	size_t i;

	if ((rc = ready(d, err)))
		return rc;
	if (!wkind) {
		wkind = "Pod";
		wname = pod->name.s;
		wname_len = pod->name.len;
	}
	memset(&k, 0, sizeof(k));
	k.level = KCS_DRIFT_LEVEL_POD;
	k.ns = pod->ns.s;
	k.ns_len = pod->ns.len;
	k.kind = wkind;
	k.kind_len = strlen(wkind);
	k.wname = wname;
	k.wname_len = wname_len;
	k.cname = "";
	if ((rc = check_key(&k, err)) || (rc = reason_id(d, pr, &r, err)))
		return rc;
	rc = add_current(d, &k, pr ? KCS_VERDICT_FAIL : KCS_VERDICT_PASS, r,
			 pod->name.s, pod->name.len, err);
	k.level = KCS_DRIFT_LEVEL_CONTAINER;
	for (i = 0; !rc && i < pod->n; i++) {
		const struct kcs_container *c = &pod->containers[i];

		k.ctype = (unsigned char)c->type;
		k.cname = c->name.s;
		k.cname_len = c->name.len;
		rc = reason_id(d, kcs_reason_name(c->reason), &r, err);
		if (!rc)
			rc = add_current(d, &k, c->verdict, r, pod->name.s,
					 pod->name.len, err);
	}
	return rc;
}

enum kcs_err kcs_drift_container(struct kcs_drift *d, const char *ns,
				 size_t ns_len, const char *wkind,
				 const char *wname, size_t wname_len,
				 enum kcs_ctype type, const char *cname,
				 size_t cname_len, enum kcs_verdict v,
				 enum kcs_reason reason, struct kcs_error *err)
{
	struct key k;
	unsigned char r;
	enum kcs_err rc;

	if ((rc = ready(d, err)))
		return rc;
	memset(&k, 0, sizeof(k));
	k.level = KCS_DRIFT_LEVEL_CONTAINER;
	k.ctype = (unsigned char)type;
	k.ns = ns;
	k.ns_len = ns_len;
	k.kind = wkind ? wkind : "";
	k.kind_len = strlen(k.kind);
	k.wname = wname;
	k.wname_len = wname_len;
	k.cname = cname;
	k.cname_len = cname_len;
	if ((rc = check_key(&k, err)) ||
	    (rc = reason_id(d, kcs_reason_name(reason), &r, err)))
		return rc;
	return add_current(d, &k, v, r, NULL, 0, err);
}

enum kcs_err kcs_drift_namespace(struct kcs_drift *d, const char *name,
				 size_t len, enum kcs_verdict v,
				 const char *reason, struct kcs_error *err)
{
	struct entry *e;
	struct key k;
	unsigned char r;
	enum kcs_err rc;

	if ((rc = ready(d, err)) || (rc = reason_id(d, reason, &r, err)))
		return rc;
	if (len > KCS_NAME_MAX)
		return kcs_error_set(err, KCS_ERR_LIMIT,
				     "drift: a name is longer than %d bytes",
				     KCS_NAME_MAX);
	memset(&k, 0, sizeof(k));
	k.level = KCS_DRIFT_LEVEL_NAMESPACE;
	k.ns = name;
	k.ns_len = len;
	k.kind = k.wname = k.cname = "";
	e = get(d, &k, err);
	if (!e)
		return err && err->code ? err->code : KCS_ERR_NOMEM;
	cur_merge(d, e, v, r);
	e->seen_direct = 1;
	return KCS_OK;
}

/* ---- deciding --------------------------------------------------------- */

/* What decides whether a key not seen now is gone or unknown. */
struct judge {
	const struct kcs_drift_scope *cur;
	int complete;        /* the current scan is complete */
	int selectors_cover; /* its selectors select all the baseline's did */
};

static int cmp_bytes(const char *a, size_t alen, const char *b, size_t blen)
{
	int c = memcmp(a, b, alen < blen ? alen : blen);

	if (c)
		return c;
	return alen < blen ? -1 : alen > blen;
}

/* Key order: see drift.h. */
static int cmp_entries(const void *pa, const void *pb)
{
	const struct entry *a = *(const struct entry *const *)pa;
	const struct entry *b = *(const struct entry *const *)pb;
	int c;

	if ((c = cmp_bytes(e_ns(a), a->ns_len, e_ns(b), b->ns_len)))
		return c;
	if ((a->level == KCS_DRIFT_LEVEL_NAMESPACE) !=
	    (b->level == KCS_DRIFT_LEVEL_NAMESPACE))
		return a->level == KCS_DRIFT_LEVEL_NAMESPACE ? -1 : 1;
	if ((c = cmp_bytes(e_kind(a), a->kind_len, e_kind(b), b->kind_len)))
		return c;
	if ((c = cmp_bytes(e_wname(a), a->wname_len, e_wname(b),
			   b->wname_len)))
		return c;
	if (a->level != b->level)
		return a->level < b->level ? -1 : 1;
	if (a->ctype != b->ctype)
		return a->ctype < b->ctype ? -1 : 1;
	return cmp_bytes(e_cname(a), a->cname_len, e_cname(b), b->cname_len);
}

static int str_eq_null(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	return strcmp(a, b) == 0;
}

/* Does selector `cur` select everything `base` did? (Only if equal/none.) */
static int selector_covers(const char *cur, const char *base)
{
	return !cur || str_eq_null(cur, base);
}

/* Is the key's namespace in the current scan's scope (and selectors)? */
static int in_cur_scope(const struct judge *j, const struct entry *e)
{
	const struct kcs_drift_scope *s = j->cur;

	if (s->ns && !bytes_eq(e_ns(e), e->ns_len, s->ns, strlen(s->ns)))
		return 0;
	if (excluded(s->exclude_ns, s->n_exclude_ns, e_ns(e), e->ns_len))
		return 0;
	return j->selectors_cover;
}

/* Is the namespace in the baseline's namespace scope? */
static int in_base_scope(const struct kcs_drift *d, const struct entry *e)
{
	if (d->src_ns && !bytes_eq(e_ns(e), e->ns_len, d->src_ns,
				   strlen(d->src_ns)))
		return 0;
	return !excluded((const char *const *)d->src_excl, d->n_src_excl,
			 e_ns(e), e->ns_len);
}

/* One placement of an entry: which list, in which state. */
struct place {
	enum kcs_drift_list list;
	enum kcs_drift_state state;
};

/* The failure side of a key: new, still, fixed, ... Returns 0 or 1. */
static int judge_failure(const struct judge *j, const struct entry *e,
			 struct place *out)
{
	int base_fail = e->in_base && e->base_v == KCS_VERDICT_FAIL;
	int lb_fail = e->has_lb && e->lb_v == KCS_VERDICT_FAIL;
	int now_fail = e->seen && e->cur_v == KCS_VERDICT_FAIL;

	/*
	 * What the key's own baseline entry says decides fixed/gone/unknown;
	 * its pods' legacy entries (which are listed themselves when fixed)
	 * only decide whether a failure now was known.
	 */
	if (now_fail) {
		/* a legacy key matched only by pod name: its pod's workload
		 * key carries the failure */
		if (e->legacy && !e->seen_direct)
			return 0;
		if (base_fail || lb_fail) {
			out->list = KCS_DRIFT_STILL_FAILING_ITEMS;
			out->state = KCS_DRIFT_STILL_FAILING;
			return 1;
		}
		out->list = KCS_DRIFT_NEW_FAILURES;
		out->state = e->in_base || e->has_lb ? KCS_DRIFT_REGRESSED
						     : KCS_DRIFT_NEW;
		return 1;
	}
	if (!base_fail)
		return 0;
	out->list = KCS_DRIFT_FIXED_ITEMS;
	if (e->seen) {
		switch ((enum kcs_verdict)e->cur_v) {
		case KCS_VERDICT_EXEMPT:
			out->state = KCS_DRIFT_EXEMPTED;
			return 1;
		case KCS_VERDICT_PASS:
		case KCS_VERDICT_NOT_APPLICABLE:
			out->state = KCS_DRIFT_FIXED;
			return 1;
		default:
			break; /* UNKNOWN: never call it fixed */
		}
	} else if (j->complete && in_cur_scope(j, e)) {
		out->state = KCS_DRIFT_GONE;
		return 1;
	}
	out->list = KCS_DRIFT_UNKNOWN_ITEMS;
	out->state = KCS_DRIFT_UNKNOWN;
	return 1;
}

/* Every placement of an entry (a namespace can be added and FAIL). */
static size_t judge(const struct kcs_drift *d, const struct judge *j,
		    const struct entry *e, struct place out[2])
{
	size_t n = judge_failure(j, e, &out[0]);

	if (e->level != KCS_DRIFT_LEVEL_NAMESPACE)
		return n;
	if (e->seen && !e->in_base && in_base_scope(d, e)) {
		out[n].list = KCS_DRIFT_NEW_NAMESPACES;
		out[n++].state = KCS_DRIFT_ADDED;
	} else if (e->in_base && !e->seen && j->complete &&
		   in_cur_scope(j, e)) {
		out[n].list = KCS_DRIFT_REMOVED_NAMESPACES;
		out[n++].state = KCS_DRIFT_REMOVED;
	}
	return n;
}

static void fill_item(const struct kcs_drift *d, const struct entry *e,
		      enum kcs_drift_state st, struct kcs_drift_item *it)
{
	memset(it, 0, sizeof(*it));
	it->state = st;
	it->level = (enum kcs_drift_level)e->level;
	it->ns = e_ns(e);
	it->ns_len = e->ns_len;
	it->workload_kind = e_kind(e);
	it->workload_kind_len = e->kind_len;
	it->workload_name = e_wname(e);
	it->workload_name_len = e->wname_len;
	it->container_type = (enum kcs_ctype)e->ctype;
	it->container_name = e_cname(e);
	it->container_name_len = e->cname_len;
	it->seen = e->seen;
	it->verdict = e->seen ? (enum kcs_verdict)e->cur_v
			      : KCS_VERDICT_UNKNOWN;
	it->now_reason = d->reasons[e->seen ? e->cur_reason : 0];
	it->in_baseline = e->in_base || e->has_lb;
	it->baseline_verdict = KCS_VERDICT_UNKNOWN;
	it->baseline_reason = "";
	if (it->in_baseline) {
		unsigned char v = e->base_v, r = e->base_reason;

		if (e->has_lb)
			merge(d, &v, &r, !e->in_base, (enum kcs_verdict)e->lb_v,
			      e->lb_reason);
		it->baseline_verdict = (enum kcs_verdict)v;
		it->baseline_reason = d->reasons[r];
	}
	it->legacy = e->legacy;
	switch (st) {
	case KCS_DRIFT_NEW: case KCS_DRIFT_REGRESSED:
	case KCS_DRIFT_STILL_FAILING:
		it->reason = it->now_reason;
		break;
	case KCS_DRIFT_FIXED: case KCS_DRIFT_EXEMPTED: case KCS_DRIFT_GONE:
	case KCS_DRIFT_UNKNOWN:
		it->reason = it->baseline_reason;
		break;
	case KCS_DRIFT_ADDED: case KCS_DRIFT_REMOVED:
		it->reason = "";
		break;
	}
}

/* Append s in single quotes, odd bytes as '?', long ones cut. */
static void add_quoted(struct kcs_buf *b, const char *s)
{
	size_t i, n = strlen(s);

	kcs_buf_addch(b, '\'');
	for (i = 0; i < n && i < 200; i++)
		kcs_buf_addch(b, (unsigned char)s[i] >= 0x20 &&
					 (unsigned char)s[i] < 0x7f
				 ? s[i] : '?');
	if (n > 200)
		kcs_buf_addstr(b, "...");
	kcs_buf_addch(b, '\'');
}

static void add_scope_part(struct kcs_buf *b, int *first, const char *what,
			   const char *base, const char *cur,
			   const char *none)
{
	kcs_buf_addstr(b, *first ? " (" : "; ");
	*first = 0;
	kcs_buf_addf(b, "%s: ", what);
	if (base)
		add_quoted(b, base);
	else
		kcs_buf_addstr(b, none);
	kcs_buf_addstr(b, " in the baseline, ");
	if (cur)
		add_quoted(b, cur);
	else
		kcs_buf_addstr(b, none);
	kcs_buf_addstr(b, " now");
}

static int same_globs(const char *const *a, size_t na, const char *const *b,
		      size_t nb)
{
	size_t i, k;

	for (i = 0; i < na; i++) {
		for (k = 0; k < nb && strcmp(a[i], b[k]); k++)
			;
		if (k == nb)
			return 0;
	}
	for (i = 0; i < nb; i++) {
		for (k = 0; k < na && strcmp(b[i], a[k]); k++)
			;
		if (k == na)
			return 0;
	}
	return 1;
}

static enum kcs_err warn(struct kcs_drift *d, struct kcs_buf *b,
			 struct kcs_error *err)
{
	char *s;

	if (b->err == KCS_ERR_NOMEM) {
		kcs_buf_release(b);
		return kcs_error_set(err, KCS_ERR_NOMEM, "out of memory");
	}
	b->err = KCS_OK; /* a cut warning is still a warning */
	s = kcs_buf_detach(b, NULL);
	kcs_buf_release(b);
	if (!s)
		return kcs_error_set(err, KCS_ERR_NOMEM, "out of memory");
	d->warnings[d->n_warnings++] = s;
	return KCS_OK;
}

static enum kcs_err scope_warning(struct kcs_drift *d,
				  const struct kcs_drift_scope *s,
				  struct kcs_error *err)
{
	struct kcs_buf b = KCS_BUF_INIT(WARNING_MAX);
	int first = 1;

	kcs_buf_addstr(&b, "this scan's scope differs from baseline ");
	add_quoted(&b, d->file);
	if (!str_eq_null(s->ns, d->src_ns))
		add_scope_part(&b, &first, "namespace", d->src_ns, s->ns,
			       "all");
	if (!str_eq_null(s->label_selector, d->src_label))
		add_scope_part(&b, &first, "label selector", d->src_label,
			       s->label_selector, "none");
	if (!str_eq_null(s->field_selector, d->src_field))
		add_scope_part(&b, &first, "field selector", d->src_field,
			       s->field_selector, "none");
	if (!same_globs(s->exclude_ns, s->n_exclude_ns,
			(const char *const *)d->src_excl, d->n_src_excl)) {
		kcs_buf_addstr(&b, first ? " (" : "; ");
		first = 0;
		kcs_buf_addstr(&b, "excluded namespaces differ");
	}
	if (first) {
		kcs_buf_release(&b);
		return KCS_OK;
	}
	kcs_buf_addstr(&b, "): baseline failures outside this scan's scope "
			   "are unknown, never gone, and failures outside "
			   "the baseline's scope count as new");
	return warn(d, &b, err);
}

static enum kcs_err warnings(struct kcs_drift *d, const struct judge *j,
			     struct kcs_error *err)
{
	struct kcs_buf b = KCS_BUF_INIT(WARNING_MAX);
	enum kcs_err rc;

	if ((rc = scope_warning(d, j->cur, err)))
		return rc;
	if (!j->complete) {
		kcs_buf_addstr(&b, "this scan is incomplete: baseline "
				   "failures it did not see are listed as "
				   "unknown, never fixed or gone, and no "
				   "namespace is called removed");
		if ((rc = warn(d, &b, err)))
			return rc;
	}
	if (!d->complete) {
		kcs_buf_addstr(&b, "baseline ");
		add_quoted(&b, d->file);
		kcs_buf_addstr(&b, " is incomplete: failures it missed count "
				   "as new");
		if ((rc = warn(d, &b, err)))
			return rc;
	}
	if (d->info.legacy_pods) {
		kcs_buf_addstr(&b, "baseline ");
		add_quoted(&b, d->file);
		kcs_buf_addf(&b, " has %llu pods without a workload "
			     "(written by an older kubecapscan): they are "
			     "matched by pod name, so pods replaced since "
			     "then show as new failures of their workload "
			     "and as gone pods",
			     d->info.legacy_pods);
		if ((rc = warn(d, &b, err)))
			return rc;
	}
	return KCS_OK;
}

enum kcs_err kcs_drift_finish(struct kcs_drift *d, int current_complete,
			      const struct kcs_drift_scope *scope,
			      struct kcs_error *err)
{
	static const struct kcs_drift_scope all;
	struct entry **order = NULL;
	size_t i, l, k, fill[KCS_DRIFT_LIST_COUNT] = { 0 };
	struct place pl[2];
	struct judge j;
	enum kcs_err rc;

	if ((rc = ready(d, err)))
		return rc;
	j.cur = scope ? scope : &all;
	j.complete = current_complete != 0;
	j.selectors_cover =
		selector_covers(j.cur->label_selector, d->src_label) &&
		selector_covers(j.cur->field_selector, d->src_field);
	order = kcs_malloc((d->n ? d->n : 1) * sizeof(*order));
	if (!order)
		return kcs_error_set(err, KCS_ERR_NOMEM, "out of memory");
	for (i = 0; i < d->n; i++)
		order[i] = &d->v[i];
	qsort(order, d->n, sizeof(*order), cmp_entries);
	for (i = 0; i < d->n; i++)
		for (k = judge(d, &j, order[i], pl); k-- > 0;)
			d->n_items[pl[k].list]++;
	for (l = 0; l < KCS_DRIFT_LIST_COUNT; l++) {
		if (!d->n_items[l])
			continue;
		d->items[l] = kcs_calloc(d->n_items[l], sizeof(*d->items[l]));
		if (!d->items[l]) {
			rc = kcs_error_set(err, KCS_ERR_NOMEM, "out of memory");
			goto out;
		}
	}
	for (i = 0; i < d->n; i++) {
		size_t n = judge(d, &j, order[i], pl);

		for (k = 0; k < n; k++)
			fill_item(d, order[i], pl[k].state,
				  &d->items[pl[k].list][fill[pl[k].list]++]);
	}
	rc = warnings(d, &j, err);
out:
	kcs_free(order);
	if (rc) {
		for (l = 0; l < KCS_DRIFT_LIST_COUNT; l++) {
			kcs_free(d->items[l]);
			d->items[l] = NULL;
			d->n_items[l] = 0;
		}
		d->phase = P_FAILED;
		return rc;
	}
	d->phase = P_DONE;
	return KCS_OK;
}

/* ---- lifecycle and results -------------------------------------------- */

struct kcs_drift *kcs_drift_new(void)
{
	struct kcs_drift *d = kcs_calloc(1, sizeof(*d));

	if (!d)
		return NULL;
	d->lim.max_keys = KCS_DRIFT_MAX_KEYS;
	d->lim.max_bytes = KCS_DRIFT_MAX_BYTES;
	d->lim.max_string = KCS_DRIFT_MAX_STRING;
	d->n_reasons = 1; /* id 0 is "" */
	d->info.file = "";
	d->info.finished_at = "";
	return d;
}

void kcs_drift_set_limits(struct kcs_drift *d,
			  const struct kcs_drift_limits *lim)
{
	if (lim->max_keys && lim->max_keys < KCS_DRIFT_MAX_KEYS)
		d->lim.max_keys = lim->max_keys;
	if (lim->max_bytes && lim->max_bytes < KCS_DRIFT_MAX_BYTES)
		d->lim.max_bytes = lim->max_bytes;
	if (lim->max_string && lim->max_string < KCS_DRIFT_MAX_STRING)
		d->lim.max_string = lim->max_string;
	if (d->p)
		d->p->sax.max_string = d->lim.max_string;
}

void kcs_drift_free(struct kcs_drift *d)
{
	size_t i;

	if (!d)
		return;
	parser_free(d->p);
	for (i = 0; i < d->n; i++)
		kcs_free(d->v[i].key);
	kcs_free(d->v);
	kcs_free(d->slots);
	for (i = 0; i < KCS_DRIFT_LIST_COUNT; i++)
		kcs_free(d->items[i]);
	for (i = 0; i < d->n_warnings; i++)
		kcs_free(d->warnings[i]);
	for (i = 0; i < d->n_src_excl; i++)
		kcs_free(d->src_excl[i]);
	kcs_free(d->src_ns);
	kcs_free(d->src_label);
	kcs_free(d->src_field);
	kcs_free(d->file);
	kcs_free(d);
}

const struct kcs_drift_item *kcs_drift_items(const struct kcs_drift *d,
					     enum kcs_drift_list list,
					     size_t *n)
{
	if ((unsigned)list >= KCS_DRIFT_LIST_COUNT || d->phase != P_DONE) {
		*n = 0;
		return NULL;
	}
	*n = d->n_items[list];
	return d->items[list];
}

size_t kcs_drift_count(const struct kcs_drift *d, enum kcs_drift_list list)
{
	size_t n;

	(void)kcs_drift_items(d, list, &n);
	return n;
}

int kcs_drift_has_new_failures(const struct kcs_drift *d)
{
	return kcs_drift_count(d, KCS_DRIFT_NEW_FAILURES) > 0;
}

const char *const *kcs_drift_warnings(const struct kcs_drift *d, size_t *n)
{
	*n = d->n_warnings;
	return (const char *const *)d->warnings;
}

const struct kcs_drift_baseline *kcs_drift_baseline(const struct kcs_drift *d)
{
	return &d->info;
}

const char *kcs_drift_state_name(enum kcs_drift_state s)
{
	switch (s) {
	case KCS_DRIFT_NEW: return "new";
	case KCS_DRIFT_REGRESSED: return "regressed";
	case KCS_DRIFT_STILL_FAILING: return "stillFailing";
	case KCS_DRIFT_FIXED: return "fixed";
	case KCS_DRIFT_EXEMPTED: return "exempted";
	case KCS_DRIFT_GONE: return "gone";
	case KCS_DRIFT_UNKNOWN: return "unknown";
	case KCS_DRIFT_ADDED: return "added";
	case KCS_DRIFT_REMOVED: return "removed";
	}
	return "unknown";
}

const char *kcs_drift_list_name(enum kcs_drift_list l)
{
	switch (l) {
	case KCS_DRIFT_NEW_FAILURES: return "newFailures";
	case KCS_DRIFT_FIXED_ITEMS: return "fixed";
	case KCS_DRIFT_UNKNOWN_ITEMS: return "unknown";
	case KCS_DRIFT_STILL_FAILING_ITEMS: return "stillFailing";
	case KCS_DRIFT_NEW_NAMESPACES: return "newNamespaces";
	case KCS_DRIFT_REMOVED_NAMESPACES: return "removedNamespaces";
	case KCS_DRIFT_LIST_COUNT: break;
	}
	return "";
}
