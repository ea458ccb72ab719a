/*
 * jsonsax.h - the plumbing shared by the streaming yajl readers (reader.c,
 * owners.c, runtime.c, drift.c; execcred.c borrows the key table).
 *
 * Each reader is a yajl callback state machine over a small schema. What
 * they all need, and get here:
 *
 *   - a fixed frame stack (KCS_JSON_MAX_DEPTH) of the containers we track,
 *     and a skip counter that swallows every subtree we do not track; both
 *     together are bounded by a depth limit (KCS_ERR_LIMIT past it);
 *   - slots: a small number naming what the next value means. Slot 0
 *     (KCS_JSONSAX_SKIP) is "ignore it", slot 1 (KCS_JSONSAX_ROOT) the
 *     top-level value. A map key turns into a slot through the reader's key
 *     table (struct kcs_jsonsax_key, grouped by node); an array element's
 *     slot comes from the reader's elem_slot[] table;
 *   - a watched yajl allocator that notices a string longer than
 *     max_string (yajl grows a buffer for one; see jsonsax.c);
 *   - byte offsets for errors that do not move with the chunking (mark()),
 *     and the translation of a yajl status into a struct kcs_error that
 *     never quotes the input;
 *   - for readers of Kubernetes documents (reader, owners, runtime): the
 *     envelope (kind, metadata.continue, resourceVersion, a Status body,
 *     skipped kinds) into a struct kcs_doc_info, on shared slot numbers
 *     (enum kcs_doc_slot).
 *
 * A reader embeds struct kcs_jsonsax as the FIRST member of its own state,
 * which it passes to yajl as ctx (kcs_jsonsax_init); the shared callbacks
 * rely on that. The per-event helpers are static inline: reader.c is the
 * hot path of a large scan.
 *
 * Nothing here prints; errors go to the struct kcs_error the reader was
 * fed with (`err`, may be NULL) and the code to `rc`.
 */
#ifndef KCS_JSONSAX_H
#define KCS_JSONSAX_H

#include <stddef.h>
#include <yajl/yajl_parse.h>
#include "kcs/audit.h"
#include "kcs/compat.h"
#include "kcs/err.h"
#include "kcs/reader.h" /* KCS_JSON_MAX_*, struct kcs_doc_info */

/* Slot 0: a value nobody reads. Slot 1: the top-level value. */
#define KCS_JSONSAX_SKIP 0
#define KCS_JSONSAX_ROOT 1
/* Most node kinds a schema may have (node numbers are 0..this-1). */
#define KCS_JSONSAX_MAX_NODES 32

/* One key of the schema: in an open `node`, key `key` means `slot`. */
struct kcs_jsonsax_key {
	unsigned char node;
	unsigned char slot;
	unsigned char len;  /* strlen(key) */
	const char *key;
};
#define KCS_JSONSAX_KEY(n, k, s) { n, s, sizeof(k) - 1, k }

/*
 * A reader's schema, static const in its .c file. keys[] must be grouped
 * by node (all of a node's keys together); a key lookup then scans only
 * the open node's keys. elem_slot[node] is the slot of each element of an
 * array node (0 for map nodes, whose values take their key's slot). Nodes
 * are numbered from 0 to at most KCS_JSONSAX_MAX_NODES - 1.
 */
struct kcs_jsonsax_schema {
	const struct kcs_jsonsax_key *keys;
	size_t n_keys;
	const unsigned char *elem_slot; /* an entry per node */
	yajl_callbacks callbacks;       /* what yajl calls; ctx is the sax */
	unsigned flags;                 /* KCS_JSONSAX_FAST_SKIP */
	/*
	 * A value of the wrong JSON type for `slot` (ctx as for callbacks):
	 * return as a callback does. Used by the shared callbacks that take
	 * values (kcs_doc_cb_number); may be NULL if the reader has none.
	 */
	int (*wrong_type)(void *ctx, unsigned slot);
};

/*
 * The callbacks of a reader that names its own cb_null, cb_boolean,
 * cb_number (or takes the shared `number`), cb_string, cb_start_map,
 * cb_end_map and cb_start_array (all of ours do), with the shared key and
 * end-of-array callbacks; for struct kcs_jsonsax_schema's `callbacks`.
 */
#define KCS_JSONSAX_CALLBACKS_NUMBER(number)                       \
	{                                                          \
		.yajl_null = cb_null,                              \
		.yajl_boolean = cb_boolean,                        \
		.yajl_number = number,                             \
		.yajl_string = cb_string,                          \
		.yajl_start_map = cb_start_map,                    \
		.yajl_map_key = kcs_jsonsax_cb_map_key,            \
		.yajl_end_map = cb_end_map,                        \
		.yajl_start_array = cb_start_array,                \
		.yajl_end_array = kcs_jsonsax_cb_end_array,        \
	}
#define KCS_JSONSAX_CALLBACKS KCS_JSONSAX_CALLBACKS_NUMBER(cb_number)
/* For readers of Kubernetes documents: numbers only in the envelope. */
#define KCS_DOC_CALLBACKS KCS_JSONSAX_CALLBACKS_NUMBER(kcs_doc_cb_number)

/*
 * Inside a skipped subtree, clear the scalar and key callbacks, sparing
 * yajl decoding strings and numbers nobody reads (reader.c: most of a
 * pod's bytes). Only for readers whose scalar callbacks do nothing in
 * skip mode: yajl then also never copies an escaped string there, so a
 * long one in a skipped subtree no longer counts against max_string unless
 * it spans chunks (the readers that do not set it keep the older rule).
 */
#define KCS_JSONSAX_FAST_SKIP (1u << 0)

/* One open container we track. */
struct kcs_jsonsax_frame {
	unsigned char node; /* the reader's enum node */
	unsigned char aux;  /* the reader's own use (reader.c: list kind) */
};

/* Where a node's keys are in keys[]. */
struct kcs_jsonsax_range {
	unsigned char first, count;
};

struct kcs_jsonsax {
	yajl_handle h;
	yajl_callbacks callbacks;  /* what yajl calls; see FAST_SKIP */
	yajl_callbacks scalar_cbs; /* the full set, to restore after a skip */
	yajl_alloc_funcs afs;      /* kcs_yajl_alloc_funcs, watched */
	const struct kcs_jsonsax_key *keys;   /* the schema's */
	const unsigned char *elem_slot;       /* the schema's */
	unsigned flags;            /* the schema's */
	int (*wrong_type)(void *ctx, unsigned slot); /* the schema's */
	struct kcs_doc_info *info; /* a document reader's: kcs_doc_cb_number */
	unsigned max_depth;        /* <= KCS_JSON_MAX_DEPTH */
	size_t max_string;         /* see kcs_jsonsax_init() */
	struct kcs_jsonsax_range node_keys[KCS_JSONSAX_MAX_NODES];

	struct kcs_jsonsax_frame stack[KCS_JSON_MAX_DEPTH];
	size_t depth;               /* frames in use */
	size_t skip;                /* depth inside a skipped subtree, or 0 */
	unsigned char pending;      /* slot of the next value in a map */
	unsigned char done;         /* the top-level value has closed */
	unsigned char failed;       /* an error was returned; restart first */
	unsigned char too_long;     /* yajl grew a buffer past max_string */
	unsigned long long fed;     /* bytes fed before the current chunk */
	unsigned long long tok_end; /* end of the last token a callback saw */
	struct kcs_error *err;      /* where callbacks record errors */
	enum kcs_err rc;            /* code a callback stopped the parse with */
};

/*
 * Set up `s` (zeroed by the caller, as the first member of its reader) for
 * `schema`, which must outlive it: nesting deeper than `max_depth` levels
 * (at most KCS_JSON_MAX_DEPTH) and strings longer than `max_string` bytes
 * are KCS_ERR_LIMIT. No yajl handle yet: kcs_jsonsax_open().
 */
void kcs_jsonsax_init(struct kcs_jsonsax *s,
		      const struct kcs_jsonsax_schema *schema,
		      unsigned max_depth, size_t max_string);
/* Forget the document: empty stack, offsets 0, no error. Keeps the handle. */
void kcs_jsonsax_reset(struct kcs_jsonsax *s);
/* Allocate the yajl handle (KCS_ERR_NOMEM). */
enum kcs_err kcs_jsonsax_open(struct kcs_jsonsax *s,
			      struct kcs_error *err) KCS_WUR;
/* Free the yajl handle, if any; `s` may then be opened again. */
void kcs_jsonsax_release(struct kcs_jsonsax *s);
/* release + reset + open: ready for the next document. */
enum kcs_err kcs_jsonsax_restart(struct kcs_jsonsax *s,
				 struct kcs_error *err) KCS_WUR;

/*
 * Feed a chunk / declare the end, for readers whose errors go straight to
 * the caller's `err`: "invalid JSON after byte N: ..." for a syntax error,
 * the callback's message plus " at byte N" when a callback stopped the
 * parse, KCS_ERR_LIMIT for a string over max_string, "JSON document ends
 * early at byte N" for a truncated one; err->offset is N. After an error
 * the parser must be restarted.
 */
enum kcs_err kcs_jsonsax_feed(struct kcs_jsonsax *s, const void *data,
			      size_t len, struct kcs_error *err) KCS_WUR;
enum kcs_err kcs_jsonsax_finish(struct kcs_jsonsax *s,
				struct kcs_error *err) KCS_WUR;

/*
 * The pieces of the above, for a reader that words its errors itself
 * (drift.c). The offset a failed yajl status `st` is reported at (`chunk`
 * NULL after yajl_complete_parse): for a syntax error, the end of the last
 * token a callback saw (yajl's own offset depends on the chunking).
 */
unsigned long long kcs_jsonsax_error_offset(const struct kcs_jsonsax *s,
					    yajl_status st,
					    const unsigned char *chunk);
/* "invalid JSON after byte <off>: <yajl's words>" into buf[size]. */
void kcs_jsonsax_syntax_error(struct kcs_jsonsax *s,
			      const unsigned char *chunk, size_t len,
			      unsigned long long off, char *buf, size_t size);

/*
 * Record an error (the first one wins in s->err) and return 0, which tells
 * yajl to stop (client_canceled).
 */
int kcs_jsonsax_fail(struct kcs_jsonsax *s, enum kcs_err code,
		     const char *fmt, ...) KCS_PRINTF(3, 4);

/* The shared map-key and end-array callbacks (ctx is the sax). */
int kcs_jsonsax_cb_map_key(void *ctx, const unsigned char *k, size_t len);
int kcs_jsonsax_cb_end_array(void *ctx);

/*
 * The slot of key k[0..len) in `node` of a key table grouped by node, or
 * KCS_JSONSAX_SKIP; for a reader without a struct kcs_jsonsax (execcred.c).
 */
unsigned kcs_jsonsax_key_slot(const struct kcs_jsonsax_key *keys, size_t n,
			      unsigned node, const unsigned char *k,
			      size_t len);

/*
 * Copy a kind of at most `max` bytes into dst[max + 1]; a longer one is
 * nobody's kind and reads "?".
 */
void kcs_jsonsax_set_kind(char *dst, size_t max, const unsigned char *s,
			  size_t len);
/* Copy a name; longer than KCS_NAME_MAX: "<what> longer than 253 bytes". */
int kcs_jsonsax_set_name(struct kcs_jsonsax *s, struct kcs_name *n,
			 const unsigned char *v, size_t len,
			 const char *what);

/* ---- per event: inline, these run for every token -------------------- */

/*
 * Remember where the last token we handled ended. On a syntax error yajl
 * rewinds to the start of the bad token, but clamps that to the start of
 * the current chunk when the token began in an earlier one, which would
 * make the reported offset depend on how the input was split; this one
 * does not. Not updated inside skipped subtrees (there it would cost a
 * call per bracket), so an error there is placed at the subtree's edge.
 */
static inline void kcs_jsonsax_mark(struct kcs_jsonsax *s)
{
	s->tok_end = s->fed + yajl_get_bytes_consumed(s->h);
}

/* The innermost open container we track, or NULL at the top level. */
static inline struct kcs_jsonsax_frame *
kcs_jsonsax_top(struct kcs_jsonsax *s)
{
	return s->depth ? &s->stack[s->depth - 1] : NULL;
}

static inline int kcs_jsonsax_too_deep(struct kcs_jsonsax *s)
{
	return kcs_jsonsax_fail(s, KCS_ERR_LIMIT,
				"JSON nested deeper than %u levels",
				s->max_depth);
}

/* Open a container we track. 0 (stop) past the depth limit. */
static inline int kcs_jsonsax_push(struct kcs_jsonsax *s, unsigned node,
				   unsigned aux)
{
	if (s->depth + s->skip >= s->max_depth)
		return kcs_jsonsax_too_deep(s);
	s->stack[s->depth].node = (unsigned char)node;
	s->stack[s->depth].aux = (unsigned char)aux;
	s->depth++;
	return 1;
}

/*
 * yajl keeps a pointer to our callbacks struct, so clearing the scalar and
 * key callbacks there takes effect at once. Were yajl ever to copy the
 * struct instead, the callbacks still return at once in skip mode: only
 * speed is at stake, never correctness.
 */
static inline void kcs_jsonsax_set_skipping(struct kcs_jsonsax *s, int on)
{
	s->callbacks.yajl_null = on ? NULL : s->scalar_cbs.yajl_null;
	s->callbacks.yajl_boolean = on ? NULL : s->scalar_cbs.yajl_boolean;
	s->callbacks.yajl_number = on ? NULL : s->scalar_cbs.yajl_number;
	s->callbacks.yajl_string = on ? NULL : s->scalar_cbs.yajl_string;
	s->callbacks.yajl_map_key = on ? NULL : s->scalar_cbs.yajl_map_key;
}

/* Open a container nobody reads (or one more level inside one). */
static inline int kcs_jsonsax_enter_skip(struct kcs_jsonsax *s)
{
	if (s->depth + s->skip >= s->max_depth)
		return kcs_jsonsax_too_deep(s);
	if (s->skip++ == 0 && (s->flags & KCS_JSONSAX_FAST_SKIP))
		kcs_jsonsax_set_skipping(s, 1);
	return 1;
}

/*
 * A value starts (outside skip mode): mark it and return its slot, from
 * the open container: the top-level value's, an array element's, or the
 * pending key's (which it consumes).
 */
static inline unsigned kcs_jsonsax_value(struct kcs_jsonsax *s)
{
	unsigned slot, e;

	kcs_jsonsax_mark(s);
	if (!s->depth) {
		slot = s->done ? KCS_JSONSAX_SKIP : KCS_JSONSAX_ROOT;
	} else {
		e = s->elem_slot[s->stack[s->depth - 1].node];
		slot = e ? e : s->pending;
	}
	s->pending = KCS_JSONSAX_SKIP;
	return slot;
}

/*
 * A container closes. Returns the node of the tracked container it closed
 * (its frame is popped), or -1 if it closed a skipped one (nothing to do).
 */
static inline int kcs_jsonsax_pop(struct kcs_jsonsax *s)
{
	if (s->skip) {
		if (--s->skip == 0) {
			if (s->flags & KCS_JSONSAX_FAST_SKIP)
				kcs_jsonsax_set_skipping(s, 0);
			kcs_jsonsax_mark(s);
		}
		return -1;
	}
	kcs_jsonsax_mark(s);
	s->pending = KCS_JSONSAX_SKIP;
	return s->stack[--s->depth].node;
}

/* ---- the Kubernetes document envelope -------------------------------- */

/*
 * The slots every reader of a Kubernetes document shares, in this order,
 * as the first of its own (reader.c aliases them: S_DOC = KCS_DOC_ROOT).
 *
 *   document -> kind, metadata{continue, resourceVersion,
 *               remainingItemCount}, items[], code/reason/message/status
 *   items[]  -> item{kind, metadata}
 */
enum kcs_doc_slot {
	KCS_DOC_SKIP = KCS_JSONSAX_SKIP,
	KCS_DOC_ROOT = KCS_JSONSAX_ROOT, /* the document */
	KCS_DOC_KIND,       /* .kind */
	KCS_DOC_META,       /* .metadata */
	KCS_DOC_ITEMS,      /* .items */
	KCS_DOC_ITEM,       /* .items[] */
	KCS_DOC_ITEM_KIND,  /* .items[].kind */
	KCS_DOC_ITEM_META,  /* .items[].metadata */
	KCS_DOC_ST_CODE,    /* .code (a Status) */
	KCS_DOC_ST_REASON,  /* .reason */
	KCS_DOC_ST_MESSAGE, /* .message */
	KCS_DOC_ST_STATUS,  /* .status */
	KCS_DOC_CONTINUE,   /* .metadata.continue */
	KCS_DOC_RV,         /* .metadata.resourceVersion */
	KCS_DOC_REMAINING,  /* .metadata.remainingItemCount */
	KCS_DOC_SLOTS       /* a reader's own slots start here */
};

/* Set up / forget (keeping memory) / free a document's info. */
void kcs_doc_info_init(struct kcs_doc_info *in);
void kcs_doc_info_reset(struct kcs_doc_info *in);
void kcs_doc_info_release(struct kcs_doc_info *in);
/* Count a skipped item of `kind`, remembering a few distinct kinds. */
void kcs_doc_note_skipped(struct kcs_doc_info *in, const char *kind);

/*
 * Envelope values. _string takes the Status strings, continue and
 * resourceVersion; _number the Status code and remainingItemCount; _null
 * any envelope slot (null reads as absent; a null document or item is the
 * wrong type); _wrong_type any envelope slot but DOC_META and ITEM_META,
 * whose wrong type each reader judges itself. Return as a callback does.
 */
int kcs_doc_string(struct kcs_jsonsax *s, struct kcs_doc_info *in,
		   unsigned slot, const unsigned char *v, size_t len);
int kcs_doc_number(struct kcs_jsonsax *s, struct kcs_doc_info *in,
		   unsigned slot, const char *v, size_t len);
int kcs_doc_null(struct kcs_jsonsax *s, struct kcs_doc_info *in,
		 unsigned slot);
int kcs_doc_wrong_type(struct kcs_jsonsax *s, unsigned slot);
/*
 * The number callback of a document reader (KCS_DOC_CALLBACKS): the Status
 * code and remainingItemCount into s->info (which the reader points at its
 * info), any other tracked slot to the schema's wrong_type.
 */
int kcs_doc_cb_number(void *ctx, const char *v, size_t len);

/*
 * The document's top-level object closed: marks it done; notes a Status.
 * Returns 1 if it was a single object (no items array), which the reader
 * must now finish as its one item: its kind (item_kind[KCS_KIND_MAX + 1],
 * *has_kind) is then set to the document's.
 */
int kcs_doc_closed(struct kcs_jsonsax *s, struct kcs_doc_info *in,
		   char *item_kind, unsigned char *has_kind);

#endif /* KCS_JSONSAX_H */
