/*
 * manifest.c - YAML manifests to JSON objects for the reader (manifest.h).
 *
 * Three stages per YAML document:
 *
 *   load     libyaml events -> a compact node tree. Scalars' bytes go to
 *            one pool; a collection's children are a slice of one kids
 *            array; an alias stays a reference to its anchored node, so a
 *            billion-laughs document costs what it weighs, not what it
 *            expands to. Input bytes per document, nodes, nesting and
 *            scalar length are bounded here.
 *   resolve  each scalar is typed as go-yaml v2 types it (resolve.go, the
 *            copy vendored in sigs.k8s.io/yaml: see resolve_plain()).
 *   emit     the tree (or, for a list, each item) is written with yajl_gen,
 *            mapping keys sorted and checked for duplicates, merge keys
 *            expanded, the default namespace filled in. What aliases and
 *            merges repeat is charged to an expansion budget. Output is
 *            flushed to the sink every 64 KiB, so the JSON is never held
 *            whole.
 *
 * Why not libyaml's document API (kubeconfig.c uses it): it gives every
 * untagged plain scalar the tag !!str, so `!!str yes` (a string) and `yes`
 * (a boolean) could not be told apart, and it has no limits.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_gen.h>
#include <yaml.h>

#include "kcs/alloc.h"
#include "kcs/manifest.h"
#include "kcs/banned.h"

/* Flush the generated JSON to the sink once this much is buffered. */
#define FLUSH_AT (64u * 1024)
/* Longest key name quoted in an error (printable ASCII only). */
#define KEY_SHOWN_MAX 63
/* Non-decimal integers wider than 64 bits are converted up to this many
 * digits (the conversion is quadratic); longer ones are refused. */
#define BIG_DIGITS_MAX 1024

/* ---- the node tree ---------------------------------------------------- */

enum ntype { T_SCALAR, T_SEQ, T_MAP, T_ALIAS };

/* A scalar's explicit tag, as far as typing cares. */
enum tagc {
	G_NONE, G_STR, G_BOOL, G_INT, G_FLOAT, G_NULL, G_TIMESTAMP, G_BINARY,
	G_MERGE, G_OTHER,
};

#define F_PLAIN 1 /* plain scalar: typed by its text */
#define F_DONE 2  /* collection closed: aliases may refer to it */

struct node {
	unsigned char type;  /* enum ntype */
	unsigned char tag;   /* enum tagc (scalars) */
	unsigned char flags; /* F_* */
	uint32_t line;       /* 1-based line where the node starts */
	uint32_t a, b;       /* scalar: pool offset, length; collection: first
			      * kid, kid count (a map: key, value, ...);
			      * alias: target node */
};

/* Anchor name -> node, open addressing; `node` 0 marks an empty slot. */
struct anchor {
	uint32_t off, len; /* name in the pool */
	uint32_t node;     /* node index + 1 */
};

/* An open collection while loading. */
struct open {
	uint32_t node;     /* its node */
	size_t stack_base; /* where its children start on the kid stack */
};

struct doc {
	struct node *nodes;
	size_t n_nodes, cap_nodes;
	uint32_t *kids;       /* children slices of closed collections */
	size_t n_kids, cap_kids;
	uint32_t *stack;      /* children of open collections */
	size_t n_stack, cap_stack;
	struct open open[KCS_JSON_MAX_DEPTH];
	size_t depth;
	struct kcs_buf pool;  /* scalar bytes and anchor names */
	struct anchor *anchors;
	size_t cap_anchors, n_anchors; /* cap: a power of two, or 0 */
	uint32_t root;
	unsigned char has_root;
};

/* ---- conversion state ------------------------------------------------- */

/* Where the JSON objects go (the reader, or a test buffer). */
struct sink {
	enum kcs_err (*begin)(void *u, unsigned long line,
			      struct kcs_error *err);
	enum kcs_err (*write)(void *u, const void *p, size_t n,
			      struct kcs_error *err);
	enum kcs_err (*end)(void *u, struct kcs_error *err);
	void *u;
};

/* Special entry values: filled in, not read from the document. */
#define VAL_NS UINT32_MAX         /* the default namespace */
#define VAL_META (UINT32_MAX - 1) /* {"namespace": default namespace} */
#define VAL_KIND (UINT32_MAX - 2) /* the list's item kind */

/* How a mapping is emitted: what to fill in. */
enum mode { M_PLAIN, M_ROOT, M_META };

/* One key of a mapping being written. */
struct entry {
	const unsigned char *k; /* key bytes in the pool, or NULL: sk */
	uint32_t klen;
	uint32_t val;           /* value node, or VAL_* */
	uint32_t line;          /* the key's line */
	unsigned char mode;     /* enum mode for the value */
	unsigned char adepth;   /* alias depth the value was reached at */
	char sk[40];            /* a key made a string (int, bool, float) */
};

struct conv {
	const char *ns;          /* default namespace */
	struct sink sink;
	struct kcs_error *err;
	struct doc d;
	yajl_gen g;
	struct entry *ents;      /* a stack: each open mapping's keys */
	size_t n_ents, cap_ents;
	struct kcs_buf scratch;  /* a number's text */
	size_t exp_nodes, exp_bytes; /* alias expansion spent */
	unsigned long alias_line; /* the outermost alias being expanded */
	char item_kind[KCS_KIND_MAX + 1]; /* for items without a kind */
	unsigned char kind_ns;   /* the object is a Namespace (no default) */
	size_t n_objects;        /* objects handed to the sink */
	size_t n_docs;           /* documents that were not empty */
	/* input */
	kcs_manifest_read_fn rd;
	void *rd_ctx;
	unsigned long long handed;   /* bytes handed to libyaml */
	unsigned long long doc_base; /* `handed` when the document began */
	unsigned char too_big;       /* the read handler refused: too big */
	unsigned char rd_failed;     /* the input callback failed */
};

/* ---- errors ----------------------------------------------------------- */

static enum kcs_err at(struct conv *c, enum kcs_err code, unsigned long line,
		       const char *fmt, ...) KCS_PRINTF(4, 5);

static enum kcs_err at(struct conv *c, enum kcs_err code, unsigned long line,
		       const char *fmt, ...)
{
	char msg[KCS_ERROR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return kcs_error_set(c->err, code, "line %lu: %s", line, msg);
}

static enum kcs_err nomem(struct conv *c)
{
	return kcs_error_set(c->err, KCS_ERR_NOMEM, "out of memory");
}

/* A key for an error message: short printable ASCII, else nothing. */
static const char *shown_key(const struct entry *e, char *buf, size_t size)
{
	const unsigned char *k = e->k ? e->k : (const unsigned char *)e->sk;
	size_t i;

	if (e->klen > KEY_SHOWN_MAX || e->klen >= size)
		return "";
	for (i = 0; i < e->klen; i++)
		if (k[i] < 0x21 || k[i] > 0x7e || k[i] == '\'')
			return "";
	memcpy(buf, k, e->klen);
	buf[e->klen] = '\0';
	return buf;
}

/* ---- growable arrays -------------------------------------------------- */

static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
	size_t n = *cap ? *cap : 64;
	void *q;

	if (need <= *cap)
		return 0;
	while (n < need)
		n *= 2;
	q = kcs_realloc(*p, n * elem);
	if (!q)
		return -1;
	*p = q;
	*cap = n;
	return 0;
}

static void doc_reset(struct doc *d)
{
	d->n_nodes = d->n_kids = d->n_stack = d->depth = 0;
	d->has_root = 0;
	kcs_buf_reset(&d->pool);
	if (d->n_anchors)
		memset(d->anchors, 0, d->cap_anchors * sizeof(*d->anchors));
	d->n_anchors = 0;
}

static void doc_release(struct doc *d)
{
	kcs_free(d->nodes);
	kcs_free(d->kids);
	kcs_free(d->stack);
	kcs_free(d->anchors);
	kcs_buf_release(&d->pool);
}

/* ---- load: events to nodes -------------------------------------------- */

static enum tagc tag_class(const yaml_char_t *tag)
{
	static const struct {
		const char *name;
		enum tagc c;
	} tags[] = {
		{ "tag:yaml.org,2002:str", G_STR },
		{ "tag:yaml.org,2002:bool", G_BOOL },
		{ "tag:yaml.org,2002:int", G_INT },
		{ "tag:yaml.org,2002:float", G_FLOAT },
		{ "tag:yaml.org,2002:null", G_NULL },
		{ "tag:yaml.org,2002:timestamp", G_TIMESTAMP },
		{ "tag:yaml.org,2002:binary", G_BINARY },
		{ "tag:yaml.org,2002:merge", G_MERGE },
	};
	size_t i;

	if (!tag)
		return G_NONE;
	for (i = 0; i < KCS_ARRAY_SIZE(tags); i++)
		if (!strcmp((const char *)tag, tags[i].name))
			return tags[i].c;
	return G_OTHER;
}

static uint32_t name_hash(const unsigned char *s, size_t len)
{
	uint32_t h = 2166136261u;
	size_t i;

	for (i = 0; i < len; i++)
		h = (h ^ s[i]) * 16777619u;
	return h;
}

static struct anchor *anchor_slot(struct doc *d, const unsigned char *name,
				  size_t len)
{
	size_t mask = d->cap_anchors - 1, i = name_hash(name, len) & mask;

	for (;; i = (i + 1) & mask) {
		struct anchor *a = &d->anchors[i];

		if (!a->node || (a->len == len &&
				 !memcmp(d->pool.buf + a->off, name, len)))
			return a;
	}
}

/* Remember (or redefine, as YAML allows) an anchor. */
static enum kcs_err anchor_set(struct conv *c, const yaml_char_t *name,
			       uint32_t node)
{
	struct doc *d = &c->d;
	size_t len = strlen((const char *)name), off, i;
	struct anchor *a;

	if (2 * (d->n_anchors + 1) > d->cap_anchors) {
		struct anchor *old = d->anchors;
		size_t old_cap = d->cap_anchors;
		size_t cap = old_cap ? 2 * old_cap : 64;

		d->anchors = kcs_calloc(cap, sizeof(*d->anchors));
		if (!d->anchors) {
			d->anchors = old;
			return nomem(c);
		}
		d->cap_anchors = cap;
		for (i = 0; i < old_cap; i++)
			if (old[i].node) {
				const unsigned char *n = (const unsigned char *)
					d->pool.buf + old[i].off;

				*anchor_slot(d, n, old[i].len) = old[i];
			}
		kcs_free(old);
	}
	a = anchor_slot(d, name, len);
	if (a->node) {
		a->node = node + 1;
		return KCS_OK;
	}
	off = d->pool.len;
	if (kcs_buf_add(&d->pool, name, len))
		return d->pool.err == KCS_ERR_NOMEM ? nomem(c) :
			kcs_error_set(c->err, KCS_ERR_LIMIT,
				      "document larger than %u bytes",
				      KCS_MANIFEST_MAX_DOC);
	a->off = (uint32_t)off;
	a->len = (uint32_t)len;
	a->node = node + 1;
	d->n_anchors++;
	return KCS_OK;
}

static enum kcs_err new_node(struct conv *c, const yaml_event_t *ev,
			     enum ntype type, uint32_t *out)
{
	struct doc *d = &c->d;
	struct node *n;

	if (d->n_nodes >= KCS_MANIFEST_MAX_NODES)
		return at(c, KCS_ERR_LIMIT, ev->start_mark.line + 1,
			  "document has more than %u nodes",
			  KCS_MANIFEST_MAX_NODES);
	if (grow((void **)&d->nodes, &d->cap_nodes, d->n_nodes + 1,
		 sizeof(*d->nodes)))
		return nomem(c);
	n = &d->nodes[d->n_nodes];
	memset(n, 0, sizeof(*n));
	n->type = (unsigned char)type;
	n->line = (uint32_t)(ev->start_mark.line + 1);
	*out = (uint32_t)d->n_nodes++;
	return KCS_OK;
}

/* A finished node becomes its parent's next child, or the root. */
static enum kcs_err attach(struct conv *c, uint32_t node)
{
	struct doc *d = &c->d;

	if (!d->depth) {
		d->root = node;
		d->has_root = 1;
		return KCS_OK;
	}
	if (grow((void **)&d->stack, &d->cap_stack, d->n_stack + 1,
		 sizeof(*d->stack)))
		return nomem(c);
	d->stack[d->n_stack++] = node;
	return KCS_OK;
}

static enum kcs_err load_scalar(struct conv *c, const yaml_event_t *ev)
{
	struct doc *d = &c->d;
	size_t len = ev->data.scalar.length;
	enum kcs_err rc;
	struct node *n;
	uint32_t id = 0;

	if (len > KCS_JSON_MAX_STRING)
		return at(c, KCS_ERR_LIMIT, ev->start_mark.line + 1,
			  "scalar longer than %u bytes", KCS_JSON_MAX_STRING);
	if ((rc = new_node(c, ev, T_SCALAR, &id)))
		return rc;
	n = &d->nodes[id];
	n->tag = (unsigned char)tag_class(ev->data.scalar.tag);
	if (!ev->data.scalar.tag && ev->data.scalar.plain_implicit)
		n->flags |= F_PLAIN;
	n->a = (uint32_t)d->pool.len;
	n->b = (uint32_t)len;
	if (kcs_buf_add(&d->pool, ev->data.scalar.value, len))
		return d->pool.err == KCS_ERR_NOMEM ? nomem(c) :
			at(c, KCS_ERR_LIMIT, ev->start_mark.line + 1,
			   "document larger than %u bytes",
			   KCS_MANIFEST_MAX_DOC);
	if (ev->data.scalar.anchor &&
	    (rc = anchor_set(c, ev->data.scalar.anchor, id)))
		return rc;
	return attach(c, id);
}

static enum kcs_err load_alias(struct conv *c, const yaml_event_t *ev)
{
	struct doc *d = &c->d;
	const yaml_char_t *name = ev->data.alias.anchor;
	struct anchor *a = NULL;
	enum kcs_err rc;
	uint32_t id = 0;

	if (d->cap_anchors)
		a = anchor_slot(d, name, strlen((const char *)name));
	if (!a || !a->node)
		return at(c, KCS_ERR_PARSE, ev->start_mark.line + 1,
			  "alias to an unknown anchor");
	if (d->nodes[a->node - 1].type != T_SCALAR &&
	    !(d->nodes[a->node - 1].flags & F_DONE))
		return at(c, KCS_ERR_PARSE, ev->start_mark.line + 1,
			  "alias inside the node it refers to");
	if ((rc = new_node(c, ev, T_ALIAS, &id)))
		return rc;
	d->nodes[id].a = a->node - 1;
	return attach(c, id);
}

static enum kcs_err load_open(struct conv *c, const yaml_event_t *ev,
			      enum ntype type)
{
	struct doc *d = &c->d;
	const yaml_char_t *anchor = type == T_MAP ?
		ev->data.mapping_start.anchor : ev->data.sequence_start.anchor;
	enum kcs_err rc;
	uint32_t id = 0;

	if (d->depth >= KCS_JSON_MAX_DEPTH)
		return at(c, KCS_ERR_LIMIT, ev->start_mark.line + 1,
			  "nesting deeper than %d levels", KCS_JSON_MAX_DEPTH);
	if ((rc = new_node(c, ev, type, &id)))
		return rc;
	if (anchor && (rc = anchor_set(c, anchor, id)))
		return rc;
	d->open[d->depth].node = id;
	d->open[d->depth].stack_base = d->n_stack;
	d->depth++;
	return KCS_OK;
}

static enum kcs_err load_close(struct conv *c)
{
	struct doc *d = &c->d;
	struct open *o = &d->open[--d->depth];
	size_t n = d->n_stack - o->stack_base;
	struct node *node = &d->nodes[o->node];

	if (grow((void **)&d->kids, &d->cap_kids, d->n_kids + n,
		 sizeof(*d->kids)))
		return nomem(c);
	if (n)
		memcpy(d->kids + d->n_kids, d->stack + o->stack_base,
		       n * sizeof(*d->kids));
	node->a = (uint32_t)d->n_kids;
	node->b = (uint32_t)n;
	node->flags |= F_DONE;
	d->n_kids += n;
	d->n_stack = o->stack_base;
	return attach(c, o->node);
}

/* ---- resolve: go-yaml v2's typing of scalars -------------------------- */

enum rkind { R_NULL, R_BOOL, R_INT, R_UINT, R_BIG, R_FLOAT, R_STR, R_BAD };

struct res {
	enum rkind kind;
	int b;                /* R_BOOL */
	long long i;          /* R_INT */
	unsigned long long u; /* R_UINT */
	double f;             /* R_FLOAT */
	int base, neg;        /* R_BIG: digits (in c->scratch) in base */
	const char *digits;
	size_t n_digits;
};

static int in_list(const unsigned char *s, size_t len,
		   const char *const *list)
{
	for (; *list; list++)
		if (strlen(*list) == len && !memcmp(*list, s, len))
			return 1;
	return 0;
}

static int is_digit_in(int ch, int base, int *val)
{
	int v;

	if (ch >= '0' && ch <= '9')
		v = ch - '0';
	else if (ch >= 'a' && ch <= 'z')
		v = ch - 'a' + 10;
	else if (ch >= 'A' && ch <= 'Z')
		v = ch - 'A' + 10;
	else
		return 0;
	*val = v;
	return v < base;
}

/*
 * Go's strconv.ParseInt(s, 0, 64) and ParseUint(s, 0, 64) on text without
 * underscores: an optional sign (ParseInt only), then 0x/0o/0b or a
 * leading 0 (octal), else decimal. Returns 0 if the text is not such an
 * integer at all; otherwise fills r: R_INT, R_UINT (unsigned, over int64)
 * or R_BIG (well formed but wider than 64 bits).
 */
static int parse_go_int(const char *s, size_t len, struct res *r)
{
	unsigned long long v = 0;
	int base = 10, neg = 0, signed_ = 0, over = 0, d;
	size_t i = 0;

	if (len && (s[0] == '+' || s[0] == '-')) {
		neg = s[0] == '-';
		signed_ = 1;
		i = 1;
	}
	if (i == len)
		return 0;
	if (s[i] == '0') {
		char x = len - i >= 3 ? (char)(s[i + 1] | 0x20) : 0;

		if (x == 'b' || x == 'o' || x == 'x') {
			base = x == 'b' ? 2 : x == 'o' ? 8 : 16;
			i += 2;
		} else {
			base = 8;
			i += 1;
		}
	}
	r->digits = s + i;
	r->n_digits = len - i;
	for (; i < len; i++) {
		if (!is_digit_in((unsigned char)s[i], base, &d))
			return 0;
		if (v > (~0ULL - (unsigned)d) / (unsigned)base)
			over = 1;
		else
			v = v * (unsigned)base + (unsigned)d;
	}
	r->base = base;
	r->neg = neg;
	if (!over && !neg && v <= 0x7fffffffffffffffULL) {
		r->kind = R_INT;
		r->i = (long long)v;
	} else if (!over && neg && v <= 0x8000000000000000ULL) {
		r->kind = R_INT;
		r->i = v == 0x8000000000000000ULL ? (-0x7fffffffffffffffLL - 1)
						  : -(long long)v;
	} else if (!over && !signed_) {
		r->kind = R_UINT;
		r->u = v;
	} else {
		r->kind = R_BIG;
	}
	return 1;
}

/*
 * go-yaml's yamlStyleFloat:
 * [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?
 */
static int yaml_style_float(const char *s, size_t len)
{
	size_t i = 0, n;

	if (i < len && (s[i] == '+' || s[i] == '-'))
		i++;
	if (i < len && s[i] == '.') {
		for (n = 0, i++; i < len && s[i] >= '0' && s[i] <= '9'; i++)
			n++;
		if (!n)
			return 0;
	} else {
		for (n = 0; i < len && s[i] >= '0' && s[i] <= '9'; i++)
			n++;
		if (!n)
			return 0;
		if (i < len && s[i] == '.')
			for (i++; i < len && s[i] >= '0' && s[i] <= '9'; i++)
				;
	}
	if (i < len && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < len && (s[i] == '+' || s[i] == '-'))
			i++;
		for (n = 0; i < len && s[i] >= '0' && s[i] <= '9'; i++)
			n++;
		if (!n)
			return 0;
	}
	return i == len;
}

/* strconv.ParseFloat on text yaml_style_float() accepted: overflow fails. */
static int parse_float(const char *s, double *out)
{
	char *end;
	double f;

	errno = 0;
	f = strtod(s, &end);
	if (isinf(f) || *end)
		return 0;
	*out = f;
	return 1;
}

/*
 * resolve() of go-yaml v2 for a plain scalar (or one with a resolvable
 * tag): the first byte picks what to try, as its resolveTable does.
 */
static void resolve_plain(struct conv *c, const unsigned char *s, size_t len,
			  struct res *r)
{
	static const char *const trues[] = {
		"y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE",
		"on", "On", "ON", NULL };
	static const char *const falses[] = {
		"n", "N", "no", "No", "NO", "false", "False", "FALSE",
		"off", "Off", "OFF", NULL };
	static const char *const nulls[] = {
		"~", "null", "Null", "NULL", NULL };
	static const char *const nans[] = { ".nan", ".NaN", ".NAN", NULL };
	static const char *const pinfs[] = {
		".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", NULL };
	static const char *const ninfs[] = { "-.inf", "-.Inf", "-.INF", NULL };
	unsigned char h = len ? s[0] : 'N';
	struct kcs_buf *p = &c->scratch;
	size_t i;

	r->kind = R_STR;
	if (!len || in_list(s, len, nulls)) {
		r->kind = R_NULL;
	} else if (in_list(s, len, trues) || in_list(s, len, falses)) {
		r->kind = R_BOOL;
		r->b = in_list(s, len, trues);
	} else if (in_list(s, len, nans) || in_list(s, len, pinfs) ||
		   in_list(s, len, ninfs)) {
		r->kind = R_FLOAT;
		r->f = in_list(s, len, nans) ? NAN :
		       in_list(s, len, ninfs) ? -INFINITY : INFINITY;
	} else if (h == '.') {
		kcs_buf_reset(p);
		if (kcs_buf_add(p, s, len) == KCS_OK &&
		    yaml_style_float(p->buf, p->len) &&
		    parse_float(p->buf, &r->f))
			r->kind = R_FLOAT;
	} else if (h == '+' || h == '-' || (h >= '0' && h <= '9')) {
		/* Underscores are dropped everywhere first, as v2 does. */
		kcs_buf_reset(p);
		for (i = 0; i < len; i++)
			if (s[i] != '_')
				kcs_buf_addch(p, (char)s[i]);
		if (p->err) {
			r->kind = R_BAD;
			return;
		}
		if (parse_go_int(p->buf, p->len, r) && r->kind != R_BIG)
			return;
		if (yaml_style_float(p->buf, p->len) &&
		    parse_float(p->buf, &r->f)) {
			r->kind = R_FLOAT;
			return;
		}
		if (!parse_go_int(p->buf, p->len, r))
			r->kind = R_STR;
	}
}

/* Does a timestamp-tagged value look like one (YYYY-...)? */
static int looks_like_timestamp(const unsigned char *s, size_t len)
{
	size_t i;

	for (i = 0; i < 4; i++)
		if (i >= len || s[i] < '0' || s[i] > '9')
			return 0;
	return len > 4 && s[4] == '-';
}

/* Type a scalar node. Returns 0, or -1 when its tag does not fit it. */
static int resolve(struct conv *c, const struct node *n, struct res *r)
{
	const unsigned char *s = (const unsigned char *)c->d.pool.buf + n->a;
	enum tagc t = (enum tagc)n->tag;

	memset(r, 0, sizeof(*r));
	r->kind = R_STR;
	switch (t) {
	case G_NONE:
		if (n->flags & F_PLAIN)
			resolve_plain(c, s, n->b, r);
		return r->kind == R_BAD ? -1 : 0;
	case G_STR:
	case G_MERGE:
	case G_OTHER:
		return 0;
	case G_BINARY:
		return -1;
	case G_TIMESTAMP:
		return looks_like_timestamp(s, n->b) ? 0 : -1;
	default:
		break;
	}
	resolve_plain(c, s, n->b, r);
	if (t == G_BOOL)
		return r->kind == R_BOOL ? 0 : -1;
	if (t == G_NULL)
		return r->kind == R_NULL ? 0 : -1;
	if (t == G_INT)
		return r->kind == R_INT || r->kind == R_UINT ||
		       r->kind == R_BIG ? 0 : -1;
	/* G_FLOAT: an int fitting int64 is made a float, as v2 does. */
	if (r->kind == R_INT) {
		r->kind = R_FLOAT;
		r->f = (double)r->i;
	}
	return r->kind == R_FLOAT ? 0 : -1;
}

/* ---- number text ------------------------------------------------------ */

/*
 * A finite float as Go's encoding/json writes it (what kubectl sends):
 * the shortest digits that read back as `f`, in plain notation unless
 * |f| < 1e-6 or |f| >= 1e21, and then as 1e+21, 1e-7.
 */
static void fmt_double(double f, char *out, size_t size)
{
	char e[40], digits[24];
	const char *m;
	size_t nd = 0, o = 0, i;
	double a = fabs(f);
	int p, x;

	for (p = 1; p < 17; p++) {
		snprintf(e, sizeof(e), "%.*e", p - 1, f);
		if (strtod(e, NULL) == f)
			break;
	}
	snprintf(e, sizeof(e), "%.*e", p - 1, f);
	if (a != 0 && (a < 1e-6 || a >= 1e21)) {
		char *ex = strchr(e, 'e');

		/* e-07 -> e-7, as Go's encoder cleans it up */
		if (ex && ex[1] == '-' && ex[2] == '0' && ex[3] && !ex[4])
			memmove(ex + 2, ex + 3, 2);
		snprintf(out, size, "%s", e);
		return;
	}
	m = e[0] == '-' ? e + 1 : e;
	for (i = 0; m[i] && m[i] != 'e' && nd < sizeof(digits) - 1; i++)
		if (m[i] != '.')
			digits[nd++] = m[i];
	digits[nd] = '\0';
	x = m[i] == 'e' ? (int)strtol(m + i + 1, NULL, 10) : 0;
	if (signbit(f))
		out[o++] = '-';
	if (a == 0) {
		snprintf(out + o, size - o, "0");
		return;
	}
	if (x < 0) {
		/* 0.000ddd */
		o += (size_t)snprintf(out + o, size - o, "0.");
		for (i = 0; i < (size_t)(-x - 1) && o + 1 < size; i++)
			out[o++] = '0';
		snprintf(out + o, size - o, "%s", digits);
	} else if ((size_t)x + 1 >= nd) {
		/* ddd000 */
		o += (size_t)snprintf(out + o, size - o, "%s", digits);
		for (i = nd; i < (size_t)x + 1 && o + 1 < size; i++)
			out[o++] = '0';
		out[o] = '\0';
	} else {
		/* dd.ddd */
		snprintf(out + o, size - o, "%.*s.%s", x + 1, digits,
			 digits + x + 1);
	}
}

/*
 * strconv.FormatFloat(f, 'g', -1, 32), with go-yaml's .inf/-.inf/.nan:
 * how sigs.k8s.io/yaml makes a float key a string.
 */
static void fmt_float_key(double v, char *out, size_t size)
{
	float f = (float)v;
	char e[32]; /* "%.8e" of a float: at most 16 bytes */
	int p, x;

	if (isnan(v)) {
		snprintf(out, size, ".nan");
		return;
	}
	if (isinf(f)) {
		snprintf(out, size, "%s", f < 0 ? "-.inf" : ".inf");
		return;
	}
	for (p = 1; p < 9; p++) {
		snprintf(e, sizeof(e), "%.*e", p - 1, (double)f);
		if (strtof(e, NULL) == f)
			break;
	}
	snprintf(e, sizeof(e), "%.*e", p - 1, (double)f);
	x = (int)strtol(strchr(e, 'e') + 1, NULL, 10);
	if (f == 0)
		x = 0;
	if (x < -4 || x >= 6)
		snprintf(out, size, "%s", e);
	else
		snprintf(out, size, "%.*f", p - 1 - x > 0 ? p - 1 - x : 0,
			 (double)f);
}

/* A non-decimal integer over 64 bits, in decimal (into c->scratch). */
static enum kcs_err big_to_decimal(struct conv *c, const struct res *r,
				   unsigned long line)
{
	struct kcs_buf *b = &c->scratch;
	unsigned char *dec;
	size_t n = 0, i, j;
	int d = 0;

	if (r->n_digits > BIG_DIGITS_MAX)
		return at(c, KCS_ERR_LIMIT, line,
			  "integer longer than %d digits", BIG_DIGITS_MAX);
	/* Decimal digits, least significant first; base^n < 10^(n*2). */
	dec = kcs_calloc(2 * r->n_digits + 2, 1);
	if (!dec)
		return nomem(c);
	for (i = 0; i < r->n_digits; i++) {
		unsigned carry;

		(void)is_digit_in((unsigned char)r->digits[i], r->base, &d);
		carry = (unsigned)d;
		for (j = 0; j < n || carry; j++) {
			unsigned v = (j < n ? dec[j] : 0) * (unsigned)r->base +
				     carry;

			dec[j] = (unsigned char)(v % 10);
			carry = v / 10;
			if (j >= n)
				n = j + 1;
		}
	}
	kcs_buf_reset(b);
	if (r->neg && n)
		kcs_buf_addch(b, '-');
	if (!n)
		kcs_buf_addch(b, '0');
	while (n--)
		kcs_buf_addch(b, (char)('0' + dec[n]));
	kcs_free(dec);
	return b->err == KCS_OK ? KCS_OK : nomem(c);
}

/* ---- emit ------------------------------------------------------------- */

static enum kcs_err flush(struct conv *c, int force)
{
	const unsigned char *buf;
	size_t len;
	enum kcs_err rc;

	if (yajl_gen_get_buf(c->g, &buf, &len) != yajl_gen_status_ok)
		return kcs_error_set(c->err, KCS_ERR_INTERNAL,
				     "cannot read the generated JSON");
	if (!len || (!force && len < FLUSH_AT))
		return KCS_OK;
	rc = c->sink.write(c->sink.u, buf, len, c->err);
	yajl_gen_clear(c->g);
	return rc;
}

static enum kcs_err gen_status(struct conv *c, yajl_gen_status st,
			       unsigned long line)
{
	if (st == yajl_gen_status_ok)
		return KCS_OK;
	if (st == yajl_gen_invalid_string)
		return at(c, KCS_ERR_PARSE, line, "text is not valid UTF-8");
	/* yajl_gen allocates through kcs_yajl_alloc_funcs and aborts on
	 * failure only in yajl's own code paths; anything else is a bug. */
	return kcs_error_set(c->err, KCS_ERR_INTERNAL,
			     "JSON generator failed (%d) at line %lu", (int)st,
			     line);
}

/* Charge what an alias repeated to the document's budget. */
static enum kcs_err charge(struct conv *c, unsigned adepth, size_t bytes)
{
	unsigned long line = c->alias_line;

	if (!adepth)
		return KCS_OK;
	if (++c->exp_nodes > KCS_MANIFEST_MAX_EXPANDED_NODES)
		return at(c, KCS_ERR_LIMIT, line,
			  "aliases expand to more than %u nodes",
			  KCS_MANIFEST_MAX_EXPANDED_NODES);
	c->exp_bytes += bytes;
	if (c->exp_bytes > KCS_MANIFEST_MAX_EXPANDED_BYTES)
		return at(c, KCS_ERR_LIMIT, line,
			  "aliases expand to more than %u bytes",
			  KCS_MANIFEST_MAX_EXPANDED_BYTES);
	return KCS_OK;
}

/* Follow an alias (charging the budget); returns the real node. */
static enum kcs_err deref(struct conv *c, uint32_t *id, unsigned *adepth)
{
	const struct node *n = &c->d.nodes[*id];

	if (n->type != T_ALIAS)
		return KCS_OK;
	if (!*adepth)
		c->alias_line = n->line;
	if (++*adepth > KCS_MANIFEST_MAX_ALIAS_DEPTH)
		return at(c, KCS_ERR_LIMIT, n->line,
			  "aliases nested deeper than %d",
			  KCS_MANIFEST_MAX_ALIAS_DEPTH);
	*id = n->a;
	return KCS_OK;
}

static enum kcs_err emit(struct conv *c, uint32_t id, unsigned depth,
			 unsigned adepth, enum mode mode);

static enum kcs_err emit_scalar(struct conv *c, const struct node *n)
{
	const unsigned char *s = (const unsigned char *)c->d.pool.buf + n->a;
	char num[64];
	struct res r;
	enum kcs_err rc;

	if (resolve(c, n, &r))
		return n->tag == G_BINARY ?
			at(c, KCS_ERR_PARSE, n->line,
			   "!!binary values are not supported") :
			at(c, KCS_ERR_PARSE, n->line,
			   "value does not fit its tag");
	switch (r.kind) {
	case R_NULL:
		return gen_status(c, yajl_gen_null(c->g), n->line);
	case R_BOOL:
		return gen_status(c, yajl_gen_bool(c->g, r.b), n->line);
	case R_INT:
		snprintf(num, sizeof(num), "%lld", r.i);
		break;
	case R_UINT:
		snprintf(num, sizeof(num), "%llu", r.u);
		break;
	case R_FLOAT:
		if (!isfinite(r.f))
			return at(c, KCS_ERR_PARSE, n->line,
				  ".inf and .nan have no JSON form (kubectl refuses them too)");
		fmt_double(r.f, num, sizeof(num));
		break;
	case R_BIG:
		if ((rc = big_to_decimal(c, &r, n->line)))
			return rc;
		return gen_status(c, yajl_gen_number(c->g, c->scratch.buf,
						     c->scratch.len), n->line);
	default:
		return gen_status(c, yajl_gen_string(c->g, s, n->b), n->line);
	}
	return gen_status(c, yajl_gen_number(c->g, num, strlen(num)), n->line);
}

static enum kcs_err push_entry(struct conv *c, struct entry **out)
{
	if (grow((void **)&c->ents, &c->cap_ents, c->n_ents + 1,
		 sizeof(*c->ents)))
		return nomem(c);
	*out = &c->ents[c->n_ents++];
	memset(*out, 0, sizeof(**out));
	return KCS_OK;
}

/* A key node as the string kubectl makes of it. */
static enum kcs_err key_string(struct conv *c, uint32_t kid, unsigned adepth,
			       struct entry *e)
{
	const struct node *k;
	struct res r;
	enum kcs_err rc;

	if ((rc = deref(c, &kid, &adepth)))
		return rc;
	k = &c->d.nodes[kid];
	e->line = k->line;
	if ((rc = charge(c, adepth, k->b)))
		return rc;
	if (k->type != T_SCALAR)
		return at(c, KCS_ERR_PARSE, k->line,
			  "a mapping key must be a scalar, not a %s",
			  k->type == T_MAP ? "mapping" : "sequence");
	if (resolve(c, k, &r))
		return at(c, KCS_ERR_PARSE, k->line,
			  "key does not fit its tag");
	switch (r.kind) {
	case R_STR:
		e->k = (const unsigned char *)c->d.pool.buf + k->a;
		e->klen = k->b;
		return KCS_OK;
	case R_NULL:
		return at(c, KCS_ERR_PARSE, k->line, "a mapping key is null");
	case R_BOOL:
		snprintf(e->sk, sizeof(e->sk), "%s", r.b ? "true" : "false");
		break;
	case R_INT:
		snprintf(e->sk, sizeof(e->sk), "%lld", r.i);
		break;
	case R_FLOAT:
		fmt_float_key(r.f, e->sk, sizeof(e->sk));
		break;
	default:
		return at(c, KCS_ERR_PARSE, k->line,
			  "a mapping key is an integer outside the int64 range");
	}
	e->klen = (uint32_t)strlen(e->sk);
	return KCS_OK;
}

static int is_merge_key(const struct node *k, const char *pool)
{
	return k->type == T_SCALAR && k->b == 2 &&
	       !memcmp(pool + k->a, "<<", 2) &&
	       ((k->flags & F_PLAIN) || k->tag == G_MERGE);
}

static enum kcs_err collect(struct conv *c, uint32_t map, unsigned adepth);

/* `<<: value`: a mapping, or a sequence of mappings, maybe aliased. */
static enum kcs_err merge(struct conv *c, uint32_t v, unsigned adepth)
{
	unsigned long line = c->d.nodes[v].line;
	const struct node *n;
	enum kcs_err rc;
	uint32_t i;

	if ((rc = deref(c, &v, &adepth)))
		return rc;
	n = &c->d.nodes[v];
	if (n->type == T_MAP)
		return collect(c, v, adepth);
	if (n->type != T_SEQ)
		return at(c, KCS_ERR_PARSE, line,
			  "a merge key needs a mapping or a list of mappings");
	for (i = 0; i < n->b; i++) {
		uint32_t m = c->d.kids[n->a + i];
		unsigned ad = adepth;

		if ((rc = deref(c, &m, &ad)))
			return rc;
		if (c->d.nodes[m].type != T_MAP)
			return at(c, KCS_ERR_PARSE, line,
				  "a merge key needs a mapping or a list of mappings");
		if ((rc = collect(c, m, ad)))
			return rc;
	}
	return KCS_OK;
}

/* Push a mapping's keys (merges expanded) onto the entry stack. */
static enum kcs_err collect(struct conv *c, uint32_t map, unsigned adepth)
{
	const struct node *n = &c->d.nodes[map];
	enum kcs_err rc;
	uint32_t i;

	for (i = 0; i + 1 < n->b; i += 2) {
		uint32_t k = c->d.kids[n->a + i], v = c->d.kids[n->a + i + 1];
		struct entry *e = NULL;

		/* v2's isMerge: the plain (or !!merge) scalar <<, not an
		 * alias to one. */
		if (is_merge_key(&c->d.nodes[k], c->d.pool.buf)) {
			if ((rc = merge(c, v, adepth)))
				return rc;
			continue;
		}
		if ((rc = push_entry(c, &e)))
			return rc;
		if ((rc = key_string(c, k, adepth, e)))
			return rc;
		e->val = v;
		e->adepth = (unsigned char)adepth;
	}
	return KCS_OK;
}

static const unsigned char *ekey(const struct entry *e)
{
	return e->k ? e->k : (const unsigned char *)e->sk;
}

static int cmp_entry(const void *pa, const void *pb)
{
	const struct entry *a = pa, *b = pb;
	size_t n = a->klen < b->klen ? a->klen : b->klen;
	int d = memcmp(ekey(a), ekey(b), n);

	if (d)
		return d;
	return a->klen < b->klen ? -1 : a->klen > b->klen;
}

static struct entry *find(struct conv *c, size_t base, const char *key)
{
	size_t i, len = strlen(key);

	for (i = base; i < c->n_ents; i++)
		if (c->ents[i].klen == len &&
		    !memcmp(ekey(&c->ents[i]), key, len))
			return &c->ents[i];
	return NULL;
}

/* The value of an entry as a real node, or NULL (VAL_*). */
static const struct node *entry_node(struct conv *c, const struct entry *e)
{
	uint32_t v = e->val;
	unsigned ad = 0;

	if (v >= VAL_KIND)
		return NULL;
	while (c->d.nodes[v].type == T_ALIAS &&
	       ad++ < KCS_MANIFEST_MAX_ALIAS_DEPTH)
		v = c->d.nodes[v].a;
	return &c->d.nodes[v];
}

/* Is this entry's value null, or (with `empty`) the empty string? */
static int entry_is_null(struct conv *c, const struct entry *e, int empty)
{
	const struct node *n = entry_node(c, e);
	struct res r;

	if (!n || n->type != T_SCALAR || resolve(c, n, &r))
		return 0;
	return r.kind == R_NULL || (empty && r.kind == R_STR && !n->b);
}

/* Is this entry's value the string `s`? */
static int entry_is_str(struct conv *c, const struct entry *e, const char *s)
{
	const struct node *n = entry_node(c, e);
	struct res r;

	if (!n || n->type != T_SCALAR || resolve(c, n, &r) || r.kind != R_STR)
		return 0;
	return n->b == strlen(s) && !memcmp(c->d.pool.buf + n->a, s, n->b);
}

static enum kcs_err add_special(struct conv *c, const char *key, uint32_t val)
{
	struct entry *e = NULL;
	enum kcs_err rc = push_entry(c, &e);

	if (rc)
		return rc;
	snprintf(e->sk, sizeof(e->sk), "%s", key);
	e->klen = (uint32_t)strlen(key);
	e->val = val;
	return KCS_OK;
}

/*
 * What kubectl fills in: the item kind of a split list, and the default
 * namespace (metadata.namespace missing, null or "").
 */
static enum kcs_err fill_in(struct conv *c, size_t base, enum mode mode)
{
	struct entry *e = NULL;
	enum kcs_err rc;

	if (mode == M_ROOT) {
		e = find(c, base, "kind");
		c->kind_ns = e && entry_is_str(c, e, "Namespace");
		if (c->item_kind[0] && (!e || entry_is_null(c, e, 0))) {
			if (e)
				e->val = VAL_KIND;
			else if ((rc = add_special(c, "kind", VAL_KIND)))
				return rc;
			c->kind_ns = !strcmp(c->item_kind, "Namespace");
		}
		if (c->kind_ns)
			return KCS_OK;
		e = find(c, base, "metadata");
		if (!e)
			return add_special(c, "metadata", VAL_META);
		if (entry_is_null(c, e, 0))
			e->val = VAL_META;
		else
			e->mode = M_META;
		return KCS_OK;
	}
	e = find(c, base, "namespace");
	if (!e)
		return add_special(c, "namespace", VAL_NS);
	if (entry_is_null(c, e, 1))
		e->val = VAL_NS;
	return KCS_OK;
}

static enum kcs_err emit_special(struct conv *c, uint32_t val)
{
	const char *s = val == VAL_KIND ? c->item_kind : c->ns;
	yajl_gen_status st;

	if (val != VAL_META)
		return gen_status(c, yajl_gen_string(c->g,
			(const unsigned char *)s, strlen(s)), 0);
	st = yajl_gen_map_open(c->g);
	if (st == yajl_gen_status_ok)
		st = yajl_gen_string(c->g,
				     (const unsigned char *)"namespace", 9);
	if (st == yajl_gen_status_ok)
		st = yajl_gen_string(c->g, (const unsigned char *)c->ns,
				     strlen(c->ns));
	if (st == yajl_gen_status_ok)
		st = yajl_gen_map_close(c->g);
	return gen_status(c, st, 0);
}

static enum kcs_err emit_map(struct conv *c, uint32_t id, unsigned depth,
			     unsigned adepth, enum mode mode)
{
	size_t base = c->n_ents, i;
	char k1[KEY_SHOWN_MAX + 1];
	enum kcs_err rc;

	if ((rc = collect(c, id, adepth)))
		goto out;
	if (c->n_ents > base) /* c->ents is NULL until a first entry */
		qsort(c->ents + base, c->n_ents - base, sizeof(*c->ents),
		      cmp_entry);
	for (i = base + 1; i < c->n_ents; i++)
		if (!cmp_entry(&c->ents[i - 1], &c->ents[i])) {
			struct entry *a = &c->ents[i - 1], *b = &c->ents[i];

			rc = at(c, KCS_ERR_PARSE,
				a->line > b->line ? a->line : b->line,
				"duplicate key '%s' in a mapping (first at line %lu)",
				shown_key(b, k1, sizeof(k1)),
				(unsigned long)(a->line < b->line ? a->line
								  : b->line));
			goto out;
		}
	if (mode != M_PLAIN) {
		if ((rc = fill_in(c, base, mode)))
			goto out;
		if (c->n_ents > base)
			qsort(c->ents + base, c->n_ents - base,
			      sizeof(*c->ents), cmp_entry);
	}
	if ((rc = gen_status(c, yajl_gen_map_open(c->g), c->d.nodes[id].line)))
		goto out;
	for (i = base; i < c->n_ents; i++) {
		/* c->ents may move as values push their own keys. */
		struct entry e = c->ents[i];

		rc = gen_status(c, yajl_gen_string(c->g, ekey(&c->ents[i]),
						   e.klen), e.line);
		if (rc)
			goto out;
		if (e.val >= VAL_KIND)
			rc = emit_special(c, e.val);
		else
			rc = emit(c, e.val, depth + 1, e.adepth,
				  (enum mode)e.mode);
		if (rc)
			goto out;
	}
	rc = gen_status(c, yajl_gen_map_close(c->g), c->d.nodes[id].line);
out:
	c->n_ents = base;
	return rc;
}

static enum kcs_err emit(struct conv *c, uint32_t id, unsigned depth,
			 unsigned adepth, enum mode mode)
{
	const struct node *n;
	enum kcs_err rc;
	uint32_t i;

	if ((rc = deref(c, &id, &adepth)))
		return rc;
	n = &c->d.nodes[id];
	if ((rc = charge(c, adepth, n->type == T_SCALAR ? n->b : 0)))
		return rc;
	if (depth > KCS_JSON_MAX_DEPTH)
		return at(c, KCS_ERR_LIMIT, n->line,
			  "nesting deeper than %d levels", KCS_JSON_MAX_DEPTH);
	if (n->type == T_SCALAR) {
		rc = emit_scalar(c, n);
	} else if (n->type == T_MAP) {
		rc = emit_map(c, id, depth, adepth, mode);
	} else {
		rc = gen_status(c, yajl_gen_array_open(c->g), n->line);
		for (i = 0; !rc && i < n->b; i++)
			rc = emit(c, c->d.kids[n->a + i], depth + 1, adepth,
				  M_PLAIN);
		if (!rc)
			rc = gen_status(c, yajl_gen_array_close(c->g), n->line);
	}
	return rc ? rc : flush(c, 0);
}

/* ---- objects ---------------------------------------------------------- */

/* One object (a document's root mapping, or a list item) to the sink. */
static enum kcs_err emit_object(struct conv *c, uint32_t id, unsigned adepth)
{
	enum kcs_err rc;

	yajl_gen_reset(c->g, NULL);
	yajl_gen_clear(c->g);
	c->n_objects++;
	if ((rc = c->sink.begin(c->sink.u, c->d.nodes[id].line, c->err)))
		return rc;
	if ((rc = emit(c, id, 1, adepth, M_ROOT)))
		return rc;
	if ((rc = flush(c, 1)))
		return rc;
	return c->sink.end(c->sink.u, c->err);
}

/* Is a node null (an empty document, a null list item)? */
static int is_null_node(struct conv *c, const struct node *n)
{
	struct res r;

	return n->type == T_SCALAR && !resolve(c, n, &r) && r.kind == R_NULL;
}

/* The item kind of a list: "PodList" -> "Pod"; "List" -> none. */
static void set_item_kind(struct conv *c, const struct entry *kind)
{
	const struct node *n = kind ? entry_node(c, kind) : NULL;
	struct res r;

	c->item_kind[0] = '\0';
	if (!n || n->type != T_SCALAR || resolve(c, n, &r) || r.kind != R_STR)
		return;
	if (n->b > 4 && n->b - 4 <= KCS_KIND_MAX &&
	    !memcmp(c->d.pool.buf + n->a + n->b - 4, "List", 4)) {
		memcpy(c->item_kind, c->d.pool.buf + n->a, n->b - 4);
		c->item_kind[n->b - 4] = '\0';
	}
}

/* A whole document: skip it, split it, or hand it over as one object. */
static enum kcs_err emit_doc(struct conv *c)
{
	uint32_t root = c->d.root, items_id, i;
	const struct node *n, *items;
	unsigned adepth = 0;
	struct entry *e = NULL;
	enum kcs_err rc;
	size_t base;

	c->exp_nodes = c->exp_bytes = 0;
	c->item_kind[0] = '\0';
	if (!c->d.has_root)
		return KCS_OK;
	n = &c->d.nodes[root];
	if (is_null_node(c, n))
		return KCS_OK;
	if (n->type != T_MAP)
		return at(c, KCS_ERR_PARSE, n->line,
			  "a document must be an object (a mapping), not a %s",
			  n->type == T_SEQ ? "sequence" : "scalar");
	c->n_docs++;
	base = c->n_ents;
	if ((rc = collect(c, root, 0)))
		goto out;
	e = find(c, base, "items");
	items = e ? entry_node(c, e) : NULL;
	if (!items || (items->type != T_SEQ && !is_null_node(c, items))) {
		c->n_ents = base;
		return emit_object(c, root, 0);
	}
	/* A list: every item is an object of its own. */
	set_item_kind(c, find(c, base, "kind"));
	if (items->type != T_SEQ)
		goto out;
	adepth = e->adepth;
	items_id = e->val;
	(void)deref(c, &items_id, &adepth);
	c->n_ents = base;
	for (i = 0; i < items->b; i++) {
		uint32_t it = c->d.kids[items->a + i];
		unsigned ad = adepth;
		const struct node *in;

		if ((rc = deref(c, &it, &ad)))
			return rc;
		in = &c->d.nodes[it];
		if ((rc = charge(c, ad, 0)))
			return rc;
		if (is_null_node(c, in))
			continue;
		if (in->type != T_MAP)
			return at(c, KCS_ERR_PARSE, in->line,
				  "a list item must be an object (a mapping)");
		if ((rc = emit_object(c, it, ad)))
			return rc;
	}
	return KCS_OK;
out:
	c->n_ents = base;
	return rc;
}

/* ---- the stream ------------------------------------------------------- */

/*
 * libyaml's input: bounded per document. libyaml reads ahead a little, so
 * the bound counts from what had been handed over when the document began.
 */
static int read_handler(void *data, unsigned char *buf, size_t size,
			size_t *got)
{
	struct conv *c = data;
	unsigned long long room;

	*got = 0;
	room = c->doc_base + KCS_MANIFEST_MAX_DOC + FLUSH_AT;
	if (c->handed >= room) {
		c->too_big = 1;
		return 0;
	}
	if (size > room - c->handed)
		size = (size_t)(room - c->handed);
	if (!c->rd(c->rd_ctx, buf, size, got)) {
		c->rd_failed = 1;
		return 0;
	}
	c->handed += *got;
	return 1;
}

static enum kcs_err parser_error(struct conv *c, yaml_parser_t *p,
				 unsigned long doc_line)
{
	if (c->too_big)
		return at(c, KCS_ERR_LIMIT, doc_line,
			  "document larger than %u bytes",
			  KCS_MANIFEST_MAX_DOC);
	if (c->rd_failed)
		return kcs_error_set(c->err, KCS_ERR_IO, "cannot read: %s",
				     strerror(errno));
	if (p->error == YAML_MEMORY_ERROR)
		return nomem(c);
	if (c->err && !c->err->code)
		c->err->offset = (long long)p->problem_mark.index;
	if (p->error == YAML_READER_ERROR)
		return kcs_error_set(c->err, KCS_ERR_PARSE,
				     "invalid YAML text after byte %zu: %s",
				     p->problem_offset,
				     p->problem ? p->problem : "bad encoding");
	return at(c, KCS_ERR_PARSE, (unsigned long)p->problem_mark.line + 1,
		  "invalid YAML: %s%s%s",
		  p->problem ? p->problem : "syntax error",
		  p->context ? " " : "", p->context ? p->context : "");
}

/* One event: build the tree, or hand a finished document over. */
static enum kcs_err on_event(struct conv *c, const yaml_event_t *ev)
{
	switch (ev->type) {
	case YAML_DOCUMENT_START_EVENT:
		doc_reset(&c->d);
		c->doc_base = c->handed;
		return KCS_OK;
	case YAML_DOCUMENT_END_EVENT:
		return emit_doc(c);
	case YAML_ALIAS_EVENT:
		return load_alias(c, ev);
	case YAML_SCALAR_EVENT:
		return load_scalar(c, ev);
	case YAML_SEQUENCE_START_EVENT:
		return load_open(c, ev, T_SEQ);
	case YAML_MAPPING_START_EVENT:
		return load_open(c, ev, T_MAP);
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		return load_close(c);
	default:
		return KCS_OK;
	}
}

static enum kcs_err run(struct conv *c)
{
	yaml_parser_t p;
	yaml_event_t ev;
	enum kcs_err rc = KCS_OK;
	unsigned long doc_line = 1;
	int done = 0;

	if (!yaml_parser_initialize(&p))
		return nomem(c);
	yaml_parser_set_input(&p, read_handler, c);
	c->g = yajl_gen_alloc(&kcs_yajl_alloc_funcs);
	if (!c->g) {
		rc = nomem(c);
		goto out;
	}
	yajl_gen_config(c->g, yajl_gen_validate_utf8, 1);
	while (!rc && !done) {
		if (!yaml_parser_parse(&p, &ev)) {
			rc = parser_error(c, &p, doc_line);
			break;
		}
		if (ev.type == YAML_DOCUMENT_START_EVENT)
			doc_line = ev.start_mark.line + 1;
		done = ev.type == YAML_STREAM_END_EVENT;
		rc = on_event(c, &ev);
		yaml_event_delete(&ev);
	}
out:
	if (c->g)
		yajl_gen_free(c->g);
	c->g = NULL;
	yaml_parser_delete(&p);
	return rc;
}

static void conv_init(struct conv *c, const char *ns, struct kcs_error *err)
{
	memset(c, 0, sizeof(*c));
	c->ns = ns && ns[0] ? ns : "default";
	c->err = err;
	kcs_buf_init(&c->d.pool, 2 * (size_t)KCS_MANIFEST_MAX_DOC);
	kcs_buf_init(&c->scratch, KCS_JSON_MAX_STRING);
}

static void conv_release(struct conv *c)
{
	doc_release(&c->d);
	kcs_free(c->ents);
	kcs_buf_release(&c->scratch);
}

/* ---- sinks ------------------------------------------------------------ */

/* Into the reader: one JSON document per object. */
struct reader_sink {
	struct kcs_reader *r;
	const struct kcs_manifest_opts *o;
	unsigned long line;    /* of the object being fed */
	struct kcs_error local; /* the reader's error, given a line after */
};

/* The reader's message with our line; its byte offsets are not the input's. */
static enum kcs_err reader_failed(struct reader_sink *s, enum kcs_err rc,
				  struct kcs_error *err)
{
	char *msg = s->local.msg, *p = strstr(msg, " at byte ");

	if (p && p[9] >= '0' && p[9] <= '9' &&
	    p[9 + strspn(p + 9, "0123456789")] == '\0')
		*p = '\0';
	rc = kcs_error_set(err, rc, "line %lu: %s", s->line, msg);
	kcs_error_clear(&s->local);
	return rc;
}

static enum kcs_err rs_begin(void *u, unsigned long line,
			     struct kcs_error *err)
{
	struct reader_sink *s = u;

	s->line = line;
	kcs_reader_set_source(s->r, s->o->name, line);
	if (kcs_reader_restart(s->r, &s->local))
		return reader_failed(s, s->local.code, err);
	return KCS_OK;
}

static enum kcs_err rs_write(void *u, const void *p, size_t n,
			     struct kcs_error *err)
{
	struct reader_sink *s = u;

	if (kcs_reader_feed(s->r, p, n, &s->local))
		return reader_failed(s, s->local.code, err);
	return KCS_OK;
}

static enum kcs_err rs_end(void *u, struct kcs_error *err)
{
	struct reader_sink *s = u;

	if (kcs_reader_finish(s->r, &s->local) ||
	    (s->o->on_doc && s->o->on_doc(s->r, s->o->user, &s->local)))
		return reader_failed(s, s->local.code ? s->local.code
						      : KCS_ERR_INTERNAL, err);
	return KCS_OK;
}

enum kcs_err kcs_manifest_read(struct kcs_reader *r, kcs_manifest_read_fn rd,
			       void *ctx, const struct kcs_manifest_opts *o,
			       struct kcs_error *err)
{
	struct reader_sink s = { r, o, 0, KCS_ERROR_INIT };
	struct conv c;
	enum kcs_err rc;

	kcs_error_source(err, o->name);
	conv_init(&c, o->default_namespace, err);
	c.sink.begin = rs_begin;
	c.sink.write = rs_write;
	c.sink.end = rs_end;
	c.sink.u = &s;
	c.rd = rd;
	c.rd_ctx = ctx;
	rc = run(&c);
	if (!rc && !c.n_docs)
		rc = kcs_error_set(err, KCS_ERR_PARSE,
				   "holds no objects (only empty YAML documents)");
	conv_release(&c);
	kcs_reader_set_source(r, NULL, 0);
	return rc;
}

/* Reading from memory. */
struct mem_src {
	const unsigned char *p;
	size_t len, off;
};

static int mem_read(void *ctx, unsigned char *buf, size_t size, size_t *got)
{
	struct mem_src *m = ctx;
	size_t n = m->len - m->off < size ? m->len - m->off : size;

	if (n)
		memcpy(buf, m->p + m->off, n);
	m->off += n;
	*got = n;
	return 1;
}

enum kcs_err kcs_manifest_mem(struct kcs_reader *r, const void *data,
			      size_t len, const struct kcs_manifest_opts *o,
			      struct kcs_error *err)
{
	struct mem_src m = { data, len, 0 };

	return kcs_manifest_read(r, mem_read, &m, o, err);
}

/* Into a buffer, for tests: "<line> <json>\n" per object. */
static enum kcs_err bs_check(struct kcs_buf *b, struct kcs_error *err)
{
	if (!b->err)
		return KCS_OK;
	return kcs_error_set(err, b->err, "output buffer: %s",
			     kcs_err_name(b->err));
}

static enum kcs_err bs_begin(void *u, unsigned long line,
			     struct kcs_error *err)
{
	kcs_buf_addf(u, "%lu ", line);
	return bs_check(u, err);
}

static enum kcs_err bs_write(void *u, const void *p, size_t n,
			     struct kcs_error *err)
{
	kcs_buf_add(u, p, n);
	return bs_check(u, err);
}

static enum kcs_err bs_end(void *u, struct kcs_error *err)
{
	kcs_buf_addch(u, '\n');
	return bs_check(u, err);
}

enum kcs_err kcs_manifest_to_json(const void *data, size_t len,
				  const char *default_namespace,
				  struct kcs_buf *out, struct kcs_error *err)
{
	struct mem_src m = { data, len, 0 };
	struct conv c;
	enum kcs_err rc;

	conv_init(&c, default_namespace, err);
	c.sink.begin = bs_begin;
	c.sink.write = bs_write;
	c.sink.end = bs_end;
	c.sink.u = out;
	c.rd = mem_read;
	c.rd_ctx = &m;
	rc = run(&c);
	conv_release(&c);
	return rc;
}
