/*
 * test_jsonsax.c - the shared yajl plumbing (jsonsax.c) under a toy
 * schema, fed whole and at every chunk size: traces, error words and byte
 * offsets must not depend on the chunking. The real readers' own tests
 * (test_reader.c, test_owners.c, test_runtime.c, test_drift.c) cover the
 * plumbing again through their schemas.
 *
 *   {"a": "x", "list": ["p", "q"], anything else skipped}
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <criterion/criterion.h>

#include "kcs/jsonsax.h"

enum slot { S_SKIP = KCS_JSONSAX_SKIP, S_ROOT = KCS_JSONSAX_ROOT, S_A,
	    S_LIST, S_ELEM };
enum node { N_ROOT, N_LIST, N_NODES };

static const struct kcs_jsonsax_key keys[] = {
	KCS_JSONSAX_KEY(N_ROOT, "a", S_A),
	KCS_JSONSAX_KEY(N_ROOT, "list", S_LIST),
};
static const unsigned char elem_slot[N_NODES] = { [N_LIST] = S_ELEM };

struct toy {
	struct kcs_jsonsax sax; /* first: yajl's ctx */
	char trace[512];
	int saw_cleared;        /* a container opened with scalars cleared */
};

static void add(struct toy *t, const char *what, const unsigned char *s,
		size_t len)
{
	size_t used = strlen(t->trace);

	snprintf(t->trace + used, sizeof(t->trace) - used, "%s=%.*s ", what,
		 (int)len, (const char *)s);
}

static int cb_string(void *ctx, const unsigned char *s, size_t len)
{
	struct toy *t = ctx;

	if (t->sax.skip)
		return 1;
	switch (kcs_jsonsax_value(&t->sax)) {
	case S_A:
		add(t, "a", s, len);
		return 1;
	case S_ELEM:
		add(t, "e", s, len);
		return 1;
	case S_SKIP:
		return 1;
	default:
		return kcs_jsonsax_fail(&t->sax, KCS_ERR_PARSE, "bad string");
	}
}

static int cb_scalar(void *ctx)
{
	struct toy *t = ctx;

	if (t->sax.skip)
		return 1;
	return kcs_jsonsax_value(&t->sax) == S_SKIP
		       ? 1
		       : kcs_jsonsax_fail(&t->sax, KCS_ERR_PARSE, "bad type");
}

static int cb_null(void *ctx)
{
	return cb_scalar(ctx);
}

static int cb_boolean(void *ctx, int b)
{
	(void)b;
	return cb_scalar(ctx);
}

static int cb_number(void *ctx, const char *s, size_t len)
{
	(void)s;
	(void)len;
	return cb_scalar(ctx);
}

static int cb_start_map(void *ctx)
{
	struct toy *t = ctx;

	if (t->sax.skip) {
		if (!t->sax.callbacks.yajl_string)
			t->saw_cleared = 1;
		return kcs_jsonsax_enter_skip(&t->sax);
	}
	if (kcs_jsonsax_value(&t->sax) == S_ROOT)
		return kcs_jsonsax_push(&t->sax, N_ROOT, 0);
	return kcs_jsonsax_enter_skip(&t->sax);
}

static int cb_start_array(void *ctx)
{
	struct toy *t = ctx;

	if (t->sax.skip)
		return kcs_jsonsax_enter_skip(&t->sax);
	if (kcs_jsonsax_value(&t->sax) == S_LIST)
		return kcs_jsonsax_push(&t->sax, N_LIST, 0);
	return kcs_jsonsax_enter_skip(&t->sax);
}

static int cb_end_map(void *ctx)
{
	struct toy *t = ctx;

	if (kcs_jsonsax_pop(&t->sax) == N_ROOT)
		t->sax.done = 1;
	return 1;
}

static const struct kcs_jsonsax_schema schema = {
	.keys = keys,
	.n_keys = KCS_ARRAY_SIZE(keys),
	.elem_slot = elem_slot,
	.callbacks = KCS_JSONSAX_CALLBACKS,
	.flags = KCS_JSONSAX_FAST_SKIP,
};

/* Parse `doc` fed `chunk` bytes at a time; the trace, then the error. */
static void run(const char *doc, size_t chunk, size_t max_string,
		char *out, size_t size)
{
	struct toy t;
	struct kcs_error err = KCS_ERROR_INIT;
	size_t len = strlen(doc), off = 0;
	enum kcs_err rc = KCS_OK;

	memset(&t, 0, sizeof(t));
	kcs_jsonsax_init(&t.sax, &schema, KCS_JSON_MAX_DEPTH, max_string);
	cr_assert_eq(kcs_jsonsax_open(&t.sax, NULL), KCS_OK);
	while (!rc && off < len) {
		size_t n = len - off < chunk ? len - off : chunk;

		rc = kcs_jsonsax_feed(&t.sax, doc + off, n, &err);
		off += n;
	}
	if (!rc)
		rc = kcs_jsonsax_finish(&t.sax, &err);
	snprintf(out, size, "%.300s| %d %lld %.300s", t.trace, rc, err.offset,
		 err.msg);
	kcs_jsonsax_release(&t.sax);
}

/*
 * The same result at every chunk size; returns it. (yajl's buffers start
 * at 2 KiB: a smaller max_string would fail any string split in two.)
 */
static const char *same_at_every_chunking(const char *doc)
{
	const size_t max = KCS_JSON_MAX_STRING;
	static char want[1024];
	char got[1024];
	size_t chunk;

	run(doc, strlen(doc) + 1, max, want, sizeof(want));
	for (chunk = 1; chunk <= strlen(doc); chunk++) {
		run(doc, chunk, max, got, sizeof(got));
		cr_assert_str_eq(got, want, "chunk %zu: [%s] [%s]", chunk, got,
				 want);
	}
	return want;
}

Test(jsonsax, reads_the_schema_and_skips_the_rest)
{
	cr_expect_str_eq(same_at_every_chunking(
				 "{\"z\":{\"a\":\"no\",\"b\":[1,{}]},\"a\":\"x\","
				 "\"list\":[\"p\",\"q\"],\"n\":null}"),
			 "a=x e=p e=q | 0 -1 ");
}

Test(jsonsax, error_offsets_do_not_move_with_the_chunks)
{
	/* a syntax error: after the last token seen (the '[' ends at 19) */
	cr_expect_str_eq(same_at_every_chunking("{\"a\":\"x\", \"list\": [tru]}"),
			 "a=x | 8 19 invalid JSON after byte 19: lexical error: "
			 "invalid string in json text");
	/* a callback's error: where the bad token ended */
	cr_expect_str_eq(same_at_every_chunking("{\"a\": 12}"),
			 "| 8 8 bad type at byte 8");
	/* a truncated document: yajl's words */
	cr_expect_str_eq(same_at_every_chunking("{\"a\":\"x\""),
			 "a=x | 8 8 invalid JSON after byte 8: parse error: "
			 "premature EOF");
	/* valid JSON whose top-level value never closed for the reader */
	cr_expect_str_eq(same_at_every_chunking("[]"),
			 "| 8 2 JSON document ends early at byte 2");
}

Test(jsonsax, depth_is_bounded_inside_skipped_subtrees_too)
{
	char doc[256], *p = doc;
	int i;

	/* 63 levels: the root, then 62 skipped */
	p += sprintf(p, "{\"z\":");
	for (i = 0; i < 62; i++)
		*p++ = '[';
	for (i = 0; i < 62; i++)
		*p++ = ']';
	sprintf(p, "}");
	cr_expect_str_eq(same_at_every_chunking(doc), "| 0 -1 ");

	p = doc + sprintf(doc, "{\"z\":");
	for (i = 0; i < 64; i++)
		*p++ = '[';
	for (i = 0; i < 64; i++)
		*p++ = ']';
	sprintf(p, "}");
	/* a callback's error in a skipped subtree: after its bracket */
	cr_expect_str_eq(same_at_every_chunking(doc),
			 "| 9 69 JSON nested deeper than 64 levels at byte 69");
}

Test(jsonsax, long_strings_are_a_limit_error)
{
	static char doc[5100];
	char got[1024];

	/* yajl buffers a string split across chunks, doubling from 2 KiB */
	memset(doc, 'x', sizeof(doc) - 1);
	memcpy(doc, "{\"a\":\"", 6);
	memcpy(doc + 5006, "\"}", 3);
	run(doc, 1000, 4096, got, sizeof(got));
	cr_expect_str_eq(got, "| 9 5000 a JSON string longer than 4096 bytes "
			      "ends at or before byte 5000");
	/* fed whole, yajl copies nothing: the string is read */
	run(doc, 8192, 4096, got, sizeof(got));
	cr_expect(strncmp(got, "a=xxx", 5) == 0, "%s", got);
	cr_expect(strstr(got, "| 0 -1 ") != NULL, "%s", got);
}

Test(jsonsax, fast_skip_clears_the_scalar_callbacks)
{
	struct toy t;
	struct kcs_error err = KCS_ERROR_INIT;
	const char *doc = "{\"z\":{\"y\":{}},\"a\":\"x\"}";

	memset(&t, 0, sizeof(t));
	kcs_jsonsax_init(&t.sax, &schema, KCS_JSON_MAX_DEPTH, 1024);
	cr_assert_eq(kcs_jsonsax_open(&t.sax, NULL), KCS_OK);
	cr_assert_eq(kcs_jsonsax_feed(&t.sax, doc, strlen(doc), &err), KCS_OK);
	cr_assert_eq(kcs_jsonsax_finish(&t.sax, &err), KCS_OK);
	cr_expect(t.saw_cleared);
	cr_expect(t.sax.callbacks.yajl_string != NULL, "restored");
	cr_expect_str_eq(t.trace, "a=x ");
	/* restart: a new document on the same state */
	cr_assert_eq(kcs_jsonsax_restart(&t.sax, &err), KCS_OK);
	cr_expect_eq(t.sax.fed, 0);
	cr_assert_eq(kcs_jsonsax_feed(&t.sax, doc, strlen(doc), &err), KCS_OK);
	cr_assert_eq(kcs_jsonsax_finish(&t.sax, &err), KCS_OK);
	cr_expect_str_eq(t.trace, "a=x a=x ");
	kcs_jsonsax_release(&t.sax);
}

Test(jsonsax, keys_kinds_and_skipped_kinds)
{
	struct kcs_doc_info in;
	char kind[8];
	size_t i;

	cr_expect_eq(kcs_jsonsax_key_slot(keys, KCS_ARRAY_SIZE(keys), N_ROOT,
					  (const unsigned char *)"list", 4),
		     S_LIST);
	cr_expect_eq(kcs_jsonsax_key_slot(keys, KCS_ARRAY_SIZE(keys), N_LIST,
					  (const unsigned char *)"list", 4),
		     S_SKIP);
	cr_expect_eq(kcs_jsonsax_key_slot(keys, KCS_ARRAY_SIZE(keys), N_ROOT,
					  (const unsigned char *)"lis", 3),
		     S_SKIP);

	kcs_jsonsax_set_kind(kind, 7, (const unsigned char *)"Pod", 3);
	cr_expect_str_eq(kind, "Pod");
	kcs_jsonsax_set_kind(kind, 7, (const unsigned char *)"LongKind", 8);
	cr_expect_str_eq(kind, "?");

	kcs_doc_info_init(&in);
	cr_expect_eq(in.remaining_items, -1);
	for (i = 0; i < 2 * KCS_SKIPPED_KINDS_MAX; i++) {
		char k[16];

		snprintf(k, sizeof(k), "K%zu", i % (KCS_SKIPPED_KINDS_MAX + 2));
		kcs_doc_note_skipped(&in, k);
	}
	cr_expect_eq(in.n_skipped, 2 * KCS_SKIPPED_KINDS_MAX);
	cr_expect_eq(in.n_skipped_kinds, KCS_SKIPPED_KINDS_MAX);
	cr_expect_str_eq(in.skipped_kinds[0], "K0");
	kcs_doc_info_reset(&in);
	cr_expect_eq(in.n_skipped, 0);
	cr_expect_eq(in.remaining_items, -1);
	kcs_doc_info_release(&in);
}
