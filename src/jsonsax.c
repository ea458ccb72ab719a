/*
 * jsonsax.c - the plumbing shared by the streaming yajl readers (see
 * jsonsax.h): the watched allocator, the parser's lifecycle, turning a
 * yajl status into our error, the shared callbacks, and the Kubernetes
 * document envelope. The per-token helpers are inline in the header.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <yajl/yajl_parse.h>

#include "kcs/alloc.h"
#include "kcs/buf.h"
#include "kcs/jsonsax.h"
#include "kcs/banned.h"

/* ---- the parser ------------------------------------------------------- */

/*
 * The string-length limit, at no cost per byte: yajl copies a string only
 * when it spans chunks (its lexer buffer) or holds escapes (its decode
 * buffer), growing a buffer by doubling. So the first request for more
 * than max_string bytes means a longer string; it is allowed (yajl cannot
 * survive a refusal) and the feed that caused it fails right after. Files
 * are fed 64 KiB at a time and libcurl hands over at most 16 KiB, so
 * memory stays within twice the limit.
 */
static void *watch_malloc(void *ctx, size_t n)
{
	struct kcs_jsonsax *s = ctx;

	if (n > s->max_string)
		s->too_long = 1;
	return kcs_yajl_alloc_funcs.malloc(kcs_yajl_alloc_funcs.ctx, n);
}

static void *watch_realloc(void *ctx, void *p, size_t n)
{
	struct kcs_jsonsax *s = ctx;

	if (n > s->max_string)
		s->too_long = 1;
	return kcs_yajl_alloc_funcs.realloc(kcs_yajl_alloc_funcs.ctx, p, n);
}

static void watch_free(void *ctx, void *p)
{
	(void)ctx;
	kcs_yajl_alloc_funcs.free(kcs_yajl_alloc_funcs.ctx, p);
}

void kcs_jsonsax_init(struct kcs_jsonsax *s,
		      const struct kcs_jsonsax_schema *schema,
		      unsigned max_depth, size_t max_string)
{
	size_t i;

	s->callbacks = schema->callbacks;
	s->scalar_cbs = schema->callbacks;
	s->keys = schema->keys;
	s->elem_slot = schema->elem_slot;
	s->flags = schema->flags;
	s->wrong_type = schema->wrong_type;
	s->max_depth = max_depth < KCS_JSON_MAX_DEPTH ? max_depth
						      : KCS_JSON_MAX_DEPTH;
	s->max_string = max_string;
	memset(s->node_keys, 0, sizeof(s->node_keys));
	/* keys[] is grouped by node: note where each node's keys start. */
	for (i = schema->n_keys; i-- > 0;) {
		unsigned node = schema->keys[i].node;

		s->node_keys[node].first = (unsigned char)i;
		s->node_keys[node].count++;
	}
	kcs_jsonsax_reset(s);
}

void kcs_jsonsax_reset(struct kcs_jsonsax *s)
{
	s->depth = s->skip = 0;
	if (s->flags & KCS_JSONSAX_FAST_SKIP)
		kcs_jsonsax_set_skipping(s, 0);
	s->pending = KCS_JSONSAX_SKIP;
	s->done = s->failed = 0;
	s->fed = s->tok_end = 0;
	s->too_long = 0;
	s->rc = KCS_OK;
}

enum kcs_err kcs_jsonsax_open(struct kcs_jsonsax *s, struct kcs_error *err)
{
	s->afs.malloc = watch_malloc;
	s->afs.realloc = watch_realloc;
	s->afs.free = watch_free;
	s->afs.ctx = s;
	/* ctx: the sax, which is also its reader (the first member) */
	s->h = yajl_alloc(&s->callbacks, &s->afs, s);
	if (!s->h)
		return kcs_error_set(err, KCS_ERR_NOMEM, "out of memory");
	return KCS_OK;
}

void kcs_jsonsax_release(struct kcs_jsonsax *s)
{
	if (s->h)
		yajl_free(s->h);
	s->h = NULL;
}

enum kcs_err kcs_jsonsax_restart(struct kcs_jsonsax *s, struct kcs_error *err)
{
	kcs_jsonsax_release(s);
	kcs_jsonsax_reset(s);
	return kcs_jsonsax_open(s, err);
}

/* ---- errors ----------------------------------------------------------- */

int kcs_jsonsax_fail(struct kcs_jsonsax *s, enum kcs_err code,
		     const char *fmt, ...)
{
	char msg[KCS_ERROR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	s->rc = kcs_error_set(s->err, code, "%s", msg);
	return 0; /* tells yajl to stop: client_canceled */
}

unsigned long long kcs_jsonsax_error_offset(const struct kcs_jsonsax *s,
					    yajl_status st,
					    const unsigned char *chunk)
{
	/*
	 * yajl rewinds a syntax error's offset to the start of the bad token,
	 * but clamps it to the current chunk when the token began in an
	 * earlier one; the end of the last token we saw does not move with
	 * the chunking.
	 */
	if (st == yajl_status_error && chunk)
		return s->tok_end;
	return s->fed + (chunk ? yajl_get_bytes_consumed(s->h) : 0);
}

void kcs_jsonsax_syntax_error(struct kcs_jsonsax *s,
			      const unsigned char *chunk, size_t len,
			      unsigned long long off, char *buf, size_t size)
{
	/* verbose=0: yajl's message then never quotes the input. */
	unsigned char *msg = yajl_get_error(s->h, 0, chunk, len);
	size_t n = msg ? strlen((char *)msg) : 0;

	/* yajl ends its text with ".\n" or "\n": we say where instead. */
	while (n && (msg[n - 1] == '\n' || msg[n - 1] == ' ' ||
		     msg[n - 1] == '.'))
		msg[--n] = '\0';
	snprintf(buf, size, "invalid JSON after byte %llu: %s", off,
		 n ? (const char *)msg : "parse error");
	if (msg)
		yajl_free_error(s->h, msg);
}

/* Turn a yajl status into our error, naming the byte offset. */
static enum kcs_err check(struct kcs_jsonsax *s, yajl_status st,
			  const unsigned char *chunk, size_t len,
			  struct kcs_error *err)
{
	char why[KCS_ERROR_MSG_MAX];
	unsigned long long off;

	if (st == yajl_status_ok)
		return KCS_OK;
	s->failed = 1;
	off = kcs_jsonsax_error_offset(s, st, chunk);
	if (st == yajl_status_client_canceled) {
		if (err && err->code == KCS_OK)
			kcs_error_set(err, s->rc ? s->rc : KCS_ERR_INTERNAL,
				      "reader stopped without a reason");
		if (err && err->offset < 0) {
			size_t used = strlen(err->msg);

			err->offset = (long long)off;
			snprintf(err->msg + used, sizeof(err->msg) - used,
				 " at byte %llu", off);
		}
		return s->rc ? s->rc : KCS_ERR_INTERNAL;
	}
	kcs_jsonsax_syntax_error(s, chunk, len, off, why, sizeof(why));
	kcs_error_set(err, KCS_ERR_PARSE, "%s", why);
	if (err && err->offset < 0)
		err->offset = (long long)off;
	return KCS_ERR_PARSE;
}

enum kcs_err kcs_jsonsax_feed(struct kcs_jsonsax *s, const void *data,
			      size_t len, struct kcs_error *err)
{
	yajl_status st;
	enum kcs_err rc;

	if (s->failed)
		return kcs_error_set(err, KCS_ERR_INTERNAL,
				     "reader fed after an error");
	s->err = err;
	s->rc = KCS_OK;
	st = yajl_parse(s->h, data, len);
	rc = check(s, st, data, len, err);
	s->fed += len;
	if (!rc && s->too_long) {
		s->failed = 1;
		kcs_error_set(err, KCS_ERR_LIMIT,
			      "a JSON string longer than %zu bytes ends at or "
			      "before byte %llu",
			      s->max_string, s->fed);
		if (err)
			err->offset = (long long)s->fed;
		return KCS_ERR_LIMIT;
	}
	return rc;
}

enum kcs_err kcs_jsonsax_finish(struct kcs_jsonsax *s, struct kcs_error *err)
{
	yajl_status st;
	enum kcs_err rc;

	if (s->failed)
		return kcs_error_set(err, KCS_ERR_INTERNAL,
				     "reader finished after an error");
	s->err = err;
	s->rc = KCS_OK;
	st = yajl_complete_parse(s->h);
	rc = check(s, st, NULL, 0, err);
	if (rc)
		return rc;
	if (!s->done) {
		s->failed = 1;
		kcs_error_set(err, KCS_ERR_PARSE,
			      "JSON document ends early at byte %llu", s->fed);
		if (err)
			err->offset = (long long)s->fed;
		return KCS_ERR_PARSE;
	}
	return KCS_OK;
}

/* ---- keys and values -------------------------------------------------- */

int kcs_jsonsax_cb_map_key(void *ctx, const unsigned char *k, size_t len)
{
	struct kcs_jsonsax *s = ctx;
	const struct kcs_jsonsax_range *kr;
	const struct kcs_jsonsax_key *key, *end;

	if (s->skip)
		return 1;
	kcs_jsonsax_mark(s);
	kr = &s->node_keys[s->stack[s->depth - 1].node];
	s->pending = KCS_JSONSAX_SKIP;
	for (key = s->keys + kr->first, end = key + kr->count; key < end;
	     key++) {
		if (key->len == len && memcmp(key->key, k, len) == 0) {
			s->pending = key->slot;
			break;
		}
	}
	return 1;
}

int kcs_jsonsax_cb_end_array(void *ctx)
{
	(void)kcs_jsonsax_pop(ctx);
	return 1;
}

unsigned kcs_jsonsax_key_slot(const struct kcs_jsonsax_key *keys, size_t n,
			      unsigned node, const unsigned char *k,
			      size_t len)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (keys[i].node == node && keys[i].len == len &&
		    memcmp(keys[i].key, k, len) == 0)
			return keys[i].slot;
	return KCS_JSONSAX_SKIP;
}

void kcs_jsonsax_set_kind(char *dst, size_t max, const unsigned char *s,
			  size_t len)
{
	if (len > max) {
		snprintf(dst, max + 1, "?");
		return;
	}
	memcpy(dst, s, len);
	dst[len] = '\0';
}

int kcs_jsonsax_set_name(struct kcs_jsonsax *s, struct kcs_name *n,
			 const unsigned char *v, size_t len, const char *what)
{
	if (len > KCS_NAME_MAX)
		return kcs_jsonsax_fail(s, KCS_ERR_LIMIT,
					"%s longer than %d bytes", what,
					KCS_NAME_MAX);
	memcpy(n->s, v, len);
	n->s[len] = '\0';
	n->len = len;
	return 1;
}

/* ---- the Kubernetes document envelope --------------------------------- */

void kcs_doc_info_init(struct kcs_doc_info *in)
{
	memset(in, 0, sizeof(*in));
	kcs_buf_init(&in->continue_token, KCS_CONTINUE_MAX);
	in->remaining_items = -1;
}

void kcs_doc_info_reset(struct kcs_doc_info *in)
{
	struct kcs_buf keep = in->continue_token;

	memset(in, 0, sizeof(*in));
	in->continue_token = keep;
	kcs_buf_reset(&in->continue_token);
	in->remaining_items = -1;
}

void kcs_doc_info_release(struct kcs_doc_info *in)
{
	kcs_buf_release(&in->continue_token);
}

void kcs_doc_note_skipped(struct kcs_doc_info *in, const char *kind)
{
	size_t i;

	in->n_skipped++;
	for (i = 0; i < in->n_skipped_kinds; i++)
		if (!strcmp(in->skipped_kinds[i], kind))
			return;
	if (in->n_skipped_kinds < KCS_SKIPPED_KINDS_MAX)
		snprintf(in->skipped_kinds[in->n_skipped_kinds++],
			 sizeof(in->skipped_kinds[0]), "%s", kind);
}

/* Copy into a fixed buffer, cutting (display-only fields). */
static void copy_cut(char *dst, size_t size, const unsigned char *s,
		     size_t len)
{
	if (len >= size)
		len = size - 1;
	memcpy(dst, s, len);
	dst[len] = '\0';
}

int kcs_doc_string(struct kcs_jsonsax *s, struct kcs_doc_info *in,
		   unsigned slot, const unsigned char *v, size_t len)
{
	struct kcs_status *st = &in->status;

	switch (slot) {
	case KCS_DOC_ST_REASON:
		copy_cut(st->reason, sizeof(st->reason), v, len);
		return 1;
	case KCS_DOC_ST_MESSAGE:
		copy_cut(st->message, sizeof(st->message), v, len);
		return 1;
	case KCS_DOC_ST_STATUS:
		copy_cut(st->status, sizeof(st->status), v, len);
		return 1;
	case KCS_DOC_CONTINUE:
		kcs_buf_reset(&in->continue_token);
		if (kcs_buf_add(&in->continue_token, v, len))
			return kcs_jsonsax_fail(
				s,
				in->continue_token.err == KCS_ERR_LIMIT
					? KCS_ERR_LIMIT : KCS_ERR_NOMEM,
				"continue token too long or out of memory");
		return 1;
	case KCS_DOC_RV:
		if (len > KCS_RV_MAX)
			return kcs_jsonsax_fail(s, KCS_ERR_LIMIT,
						"resourceVersion too long");
		copy_cut(in->resource_version, sizeof(in->resource_version),
			 v, len);
		return 1;
	default:
		return kcs_doc_wrong_type(s, slot);
	}
}

/* Parse a JSON integer's text; returns -1 if it is not a plain int64. */
static int parse_int(const char *s, size_t len, long long *out)
{
	long long v = 0;
	size_t i = 0;
	int neg = 0;

	if (len && s[0] == '-') {
		neg = 1;
		i = 1;
	}
	if (i == len)
		return -1;
	for (; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		if (v > (0x7fffffffffffffffLL - (s[i] - '0')) / 10)
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = neg ? -v : v;
	return 0;
}

int kcs_doc_number(struct kcs_jsonsax *s, struct kcs_doc_info *in,
		   unsigned slot, const char *v, size_t len)
{
	long long n;

	switch (slot) {
	case KCS_DOC_ST_CODE:
		if (parse_int(v, len, &n) == 0)
			in->status.code = n;
		return 1;
	case KCS_DOC_REMAINING:
		if (parse_int(v, len, &n))
			return kcs_jsonsax_fail(s, KCS_ERR_PARSE,
						"remainingItemCount is not an "
						"integer");
		in->remaining_items = n;
		return 1;
	default:
		return kcs_doc_wrong_type(s, slot);
	}
}

int kcs_doc_cb_number(void *ctx, const char *v, size_t len)
{
	struct kcs_jsonsax *s = ctx;
	unsigned slot;

	if (s->skip)
		return 1;
	slot = kcs_jsonsax_value(s);
	switch (slot) {
	case KCS_DOC_SKIP:
		return 1;
	case KCS_DOC_ST_CODE:
	case KCS_DOC_REMAINING:
		return kcs_doc_number(s, s->info, slot, v, len);
	default:
		return s->wrong_type(ctx, slot);
	}
}

int kcs_doc_null(struct kcs_jsonsax *s, struct kcs_doc_info *in,
		 unsigned slot)
{
	switch (slot) {
	case KCS_DOC_ROOT:
	case KCS_DOC_ITEM:
		return kcs_doc_wrong_type(s, slot);
	case KCS_DOC_ITEMS:
		in->is_list = 1;
		return 1;
	default:
		return 1; /* null reads as absent */
	}
}

int kcs_doc_wrong_type(struct kcs_jsonsax *s, unsigned slot)
{
	switch (slot) {
	case KCS_DOC_ROOT:
		return kcs_jsonsax_fail(s, KCS_ERR_PARSE,
					"the top-level JSON value is not an "
					"object");
	case KCS_DOC_ITEMS:
		return kcs_jsonsax_fail(s, KCS_ERR_PARSE,
					"'items' is not an array");
	case KCS_DOC_ITEM:
		return kcs_jsonsax_fail(s, KCS_ERR_PARSE,
					"an element of 'items' is not an "
					"object");
	case KCS_DOC_KIND:
	case KCS_DOC_ITEM_KIND:
		return kcs_jsonsax_fail(s, KCS_ERR_PARSE,
					"'kind' is not a string");
	case KCS_DOC_CONTINUE:
	case KCS_DOC_RV:
	case KCS_DOC_REMAINING:
		return kcs_jsonsax_fail(s, KCS_ERR_PARSE,
					"list metadata has a field of the "
					"wrong type");
	default:
		return 1; /* Status fields: only meaningful in a Status */
	}
}

int kcs_doc_closed(struct kcs_jsonsax *s, struct kcs_doc_info *in,
		   char *item_kind, unsigned char *has_kind)
{
	s->done = 1;
	if (!strcmp(in->kind, "Status")) {
		in->status.present = 1;
		return 0;
	}
	if (in->is_list)
		return 0;
	*has_kind = in->kind[0] != '\0';
	memcpy(item_kind, in->kind, sizeof(in->kind));
	return 1;
}
