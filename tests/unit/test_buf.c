/*
 * test_buf.c - struct kcs_buf (buf.c) and allocation-failure tests
 * (alloc.c's fail-after-N hook, SQLite faultsim / curl torture style).
 *
 * The fault loop builds a whole scan (both reports, a reader) and reads a
 * small fixture with every allocation failing in turn; each run must end
 * in a clean KCS_ERR_NOMEM (or succeed once past the last allocation), and
 * free what it took (run under valgrind to see leaks).
 *
 * yajl 2.1.0 does not check its allocator's results (yajl_alloc,
 * yajl_buf_alloc, yajl_bs_push, yajl_lex_alloc, yajl_buf_ensure_available
 * dereference NULL), so kcs_yajl_alloc_funcs bypass the fault hook (and
 * stop the process with a message on real exhaustion): every allocation
 * the hook counts is ours, and each one must fail cleanly.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <criterion/criterion.h>

#include "kcs/alloc.h"
#include "kcs/buf.h"
#include "kcs/input.h"
#include "kcs/report.h"
#include "kcs/scan.h"
#include "testutil.h"

/* The invariants of buf.h, checked after every operation. */
static void check_inv(const struct kcs_buf *b)
{
	cr_assert(b->buf != NULL, "buf is NULL");
	cr_assert_eq(b->buf[b->len], '\0', "not NUL-terminated at len %zu", b->len);
	cr_assert_leq(b->len, b->max, "len %zu past max %zu", b->len, b->max);
	if (b->alloc)
		cr_assert_lt(b->len, b->alloc);
	else
		cr_assert_eq(b->buf, kcs_buf_empty);
	cr_assert_eq(kcs_buf_empty[0], '\0', "the shared empty string was written");
}

Test(buf, init_state)
{
	struct kcs_buf a = KCS_BUF_INIT(10), b;

	check_inv(&a);
	cr_expect_eq(a.len, 0);
	cr_expect_eq(a.alloc, 0);
	cr_expect_eq(a.max, 10);
	cr_expect_eq(a.err, KCS_OK);
	cr_expect_eq(a.secret, 0);
	cr_expect_str_eq(a.buf, "");
	memset(&b, 0xff, sizeof(b));
	kcs_buf_init(&b, 10);
	cr_expect_eq(memcmp(&a, &b, sizeof(a)), 0, "KCS_BUF_INIT != kcs_buf_init");
	kcs_buf_init_secret(&b, 7);
	cr_expect_eq(b.secret, 1);
	cr_expect_eq(b.max, 7);
	check_inv(&b);
	kcs_buf_release(&a);
	kcs_buf_release(&b);
}

Test(buf, add_variants)
{
	struct kcs_buf b = KCS_BUF_INIT(1 << 20);

	cr_assert_eq(kcs_buf_add(&b, "", 0), KCS_OK);
	check_inv(&b);
	cr_expect_eq(b.len, 0);
	cr_assert_eq(kcs_buf_add(&b, "ab\0cd", 5), KCS_OK);
	check_inv(&b);
	cr_expect_eq(b.len, 5, "NUL bytes count");
	cr_expect_eq(memcmp(b.buf, "ab\0cd", 5), 0);
	cr_assert_eq(kcs_buf_addstr(&b, "ef"), KCS_OK);
	cr_assert_eq(kcs_buf_addch(&b, 'g'), KCS_OK);
	cr_assert_eq(kcs_buf_addch(&b, '\0'), KCS_OK);
	cr_assert_eq(kcs_buf_addf(&b, "%d-%s-%c", 42, "x", 'y'), KCS_OK);
	check_inv(&b);
	cr_expect_eq(b.len, 5 + 2 + 1 + 1 + 6);
	cr_expect_eq(memcmp(b.buf, "ab\0cdefg\0" "42-x-y", b.len), 0);
	kcs_buf_release(&b);
}

/* Many small appends and one big formatted one: growth keeps the content. */
Test(buf, growth)
{
	struct kcs_buf b = KCS_BUF_INIT(1 << 20);
	size_t i;
	char big[3000];

	for (i = 0; i < 10000; i++) {
		cr_assert_eq(kcs_buf_addch(&b, (char)('a' + i % 26)), KCS_OK);
		check_inv(&b);
	}
	for (i = 0; i < 10000; i++)
		cr_assert_eq(b.buf[i], (char)('a' + i % 26), "byte %zu", i);
	kcs_buf_reset(&b);
	memset(big, 'z', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	cr_assert_eq(kcs_buf_addf(&b, "<%s>", big), KCS_OK);
	check_inv(&b);
	cr_expect_eq(b.len, sizeof(big) + 1);
	cr_expect_eq(b.buf[0], '<');
	cr_expect_eq(b.buf[b.len - 1], '>');
	cr_expect_eq(b.buf[1500], 'z');
	kcs_buf_release(&b);
}

/* The maximum: content never exceeds it; the error is sticky. */
Test(buf, max_limit_sticky)
{
	struct kcs_buf b = KCS_BUF_INIT(5);

	cr_assert_eq(kcs_buf_add(&b, "abc", 3), KCS_OK);
	cr_expect_eq(kcs_buf_add(&b, "def", 3), KCS_ERR_LIMIT);
	check_inv(&b);
	cr_expect_eq(b.err, KCS_ERR_LIMIT);
	cr_expect_str_eq(b.buf, "abc", "a failed append changes nothing");
	/* sticky: even appends that would fit now fail */
	cr_expect_eq(kcs_buf_addch(&b, 'x'), KCS_ERR_LIMIT);
	cr_expect_eq(kcs_buf_add(&b, "", 0), KCS_ERR_LIMIT);
	cr_expect_eq(kcs_buf_addstr(&b, "y"), KCS_ERR_LIMIT);
	cr_expect_eq(kcs_buf_addf(&b, "%s", "z"), KCS_ERR_LIMIT);
	cr_expect_str_eq(b.buf, "abc");
	/* detach refuses a failed buffer */
	cr_expect_null(kcs_buf_detach(&b, NULL));
	cr_expect_str_eq(b.buf, "abc");
	/* reset clears content and error */
	kcs_buf_reset(&b);
	check_inv(&b);
	cr_expect_eq(b.err, KCS_OK);
	cr_expect_eq(b.len, 0);
	/* exactly max is fine, one more is not */
	cr_expect_eq(kcs_buf_add(&b, "12345", 5), KCS_OK);
	cr_expect_leq(b.alloc, b.max + 1, "allocated %zu for max %zu", b.alloc, b.max);
	cr_expect_eq(kcs_buf_addch(&b, '6'), KCS_ERR_LIMIT);
	cr_expect_str_eq(b.buf, "12345");
	check_inv(&b);
	/* a formatted append past max fails whole */
	kcs_buf_reset(&b);
	cr_expect_eq(kcs_buf_addf(&b, "%d", 123456), KCS_ERR_LIMIT);
	cr_expect_eq(b.len, 0);
	check_inv(&b);
	kcs_buf_release(&b);
	/* release clears the error and keeps max */
	cr_expect_eq(b.err, KCS_OK);
	cr_expect_eq(b.max, 5);
}

Test(buf, max_zero)
{
	struct kcs_buf b = KCS_BUF_INIT(0);

	cr_expect_eq(kcs_buf_add(&b, "", 0), KCS_OK);
	check_inv(&b);
	cr_expect_eq(kcs_buf_addch(&b, 'a'), KCS_ERR_LIMIT);
	check_inv(&b);
	kcs_buf_release(&b);
}

/* A huge append must not wrap around size_t. */
Test(buf, huge_append)
{
	struct kcs_buf b = KCS_BUF_INIT((size_t)-1);

	cr_assert_eq(kcs_buf_add(&b, "abc", 3), KCS_OK);
	cr_expect_neq(kcs_buf_add(&b, "x", (size_t)-2), KCS_OK);
	check_inv(&b);
	cr_expect_str_eq(b.buf, "abc");
	kcs_buf_release(&b);
}

Test(buf, detach)
{
	struct kcs_buf b = KCS_BUF_INIT(100);
	size_t len = 99;
	char *p;

	/* a fresh buffer detaches as a heap "" */
	p = kcs_buf_detach(&b, &len);
	cr_assert_not_null(p);
	cr_expect_str_eq(p, "");
	cr_expect_eq(len, 0);
	cr_expect_neq(p, kcs_buf_empty);
	kcs_free(p);

	cr_assert_eq(kcs_buf_add(&b, "hello\0x", 7), KCS_OK);
	p = kcs_buf_detach(&b, &len);
	cr_assert_not_null(p);
	cr_expect_eq(len, 7);
	cr_expect_eq(memcmp(p, "hello\0x", 8), 0);
	/* the buffer is empty again and usable */
	check_inv(&b);
	cr_expect_eq(b.len, 0);
	cr_expect_eq(b.alloc, 0);
	cr_expect_eq(b.max, 100);
	cr_expect_eq(kcs_buf_addstr(&b, "again"), KCS_OK);
	cr_expect_str_eq(b.buf, "again");
	cr_expect_neq(b.buf, p, "detached memory reused");
	kcs_free(p);
	p = kcs_buf_detach(&b, NULL); /* len may be NULL */
	cr_expect_str_eq(p, "again");
	kcs_free(p);
	kcs_buf_release(&b);
}

Test(buf, reset_keeps_memory)
{
	struct kcs_buf b = KCS_BUF_INIT(1000);
	char *mem;
	size_t alloc;

	cr_assert_eq(kcs_buf_addstr(&b, "some content"), KCS_OK);
	mem = b.buf;
	alloc = b.alloc;
	kcs_buf_reset(&b);
	check_inv(&b);
	cr_expect_eq(b.buf, mem);
	cr_expect_eq(b.alloc, alloc);
	cr_expect_eq(b.len, 0);
	cr_expect_str_eq(b.buf, "");
	/* reset on a fresh buffer leaves the shared "" alone */
	kcs_buf_release(&b);
	kcs_buf_reset(&b);
	check_inv(&b);
	kcs_buf_release(&b);
	kcs_buf_release(&b); /* twice */
	kcs_buf_release(NULL);
}

/* Secret buffers: content survives growth, reset wipes the old bytes. */
Test(buf, secret)
{
	struct kcs_buf b;
	size_t i, old;

	kcs_buf_init_secret(&b, 1 << 16);
	for (i = 0; i < 1000; i++)
		cr_assert_eq(kcs_buf_addch(&b, (char)('A' + i % 26)), KCS_OK);
	check_inv(&b);
	for (i = 0; i < 1000; i++)
		cr_assert_eq(b.buf[i], (char)('A' + i % 26));
	cr_expect_eq(b.secret, 1);
	old = b.len;
	kcs_buf_reset(&b);
	/* the memory is kept, and every byte of the token is gone */
	for (i = 0; i < old; i++)
		cr_assert_eq(b.buf[i], '\0', "secret byte %zu survived reset", i);
	cr_expect_eq(b.secret, 1, "reset keeps the secret mark");
	kcs_buf_release(&b);
	cr_expect_eq(b.secret, 1, "release keeps the secret mark");
	cr_expect_eq(kcs_buf_addstr(&b, "tok"), KCS_OK);
	check_inv(&b);
	kcs_buf_release(&b);
}

Test(buf, nomem)
{
	struct kcs_buf b = KCS_BUF_INIT(1 << 20), s;
	char big[200];

	/* first allocation fails: still "" and NUL-terminated, sticky */
	kcs_alloc_fail_after(0);
	cr_expect_eq(kcs_buf_addstr(&b, "x"), KCS_ERR_NOMEM);
	kcs_alloc_fail_after(-1);
	check_inv(&b);
	cr_expect_eq(b.err, KCS_ERR_NOMEM);
	cr_expect_eq(kcs_buf_addstr(&b, "x"), KCS_ERR_NOMEM, "not sticky");
	kcs_buf_reset(&b);
	cr_expect_eq(kcs_buf_addstr(&b, "0123456789"), KCS_OK);

	/* growth fails: the old content stays intact */
	memset(big, 'q', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	kcs_alloc_fail_after(0);
	cr_expect_eq(kcs_buf_addstr(&b, big), KCS_ERR_NOMEM);
	cr_expect_eq(kcs_buf_addf(&b, "%s", big), KCS_ERR_NOMEM);
	kcs_alloc_fail_after(-1);
	check_inv(&b);
	cr_expect_str_eq(b.buf, "0123456789");
	cr_expect_null(kcs_buf_detach(&b, NULL));
	kcs_buf_release(&b);

	/* the same for a secret buffer (malloc + copy + wipe path) */
	kcs_buf_init_secret(&s, 1 << 20);
	cr_expect_eq(kcs_buf_addstr(&s, "0123456789"), KCS_OK);
	kcs_alloc_fail_after(0);
	cr_expect_eq(kcs_buf_addstr(&s, big), KCS_ERR_NOMEM);
	kcs_alloc_fail_after(-1);
	check_inv(&s);
	cr_expect_str_eq(s.buf, "0123456789");
	kcs_buf_release(&s);

	/* detach of a fresh buffer under OOM: NULL, buffer still sane */
	kcs_alloc_fail_after(0);
	cr_expect_null(kcs_buf_detach(&b, NULL));
	kcs_alloc_fail_after(-1);
	check_inv(&b);
}

/* The hook itself: exactly N successes, then failures until turned off. */
Test(alloc, fail_after_counts)
{
	unsigned long before = kcs_alloc_count();
	void *p[4];
	char *d;
	int i;

	kcs_alloc_fail_after(3);
	p[0] = kcs_malloc(8);
	p[1] = kcs_calloc(2, 8);
	p[2] = kcs_realloc(NULL, 8);
	p[3] = kcs_malloc(8);
	d = kcs_strdup("x");
	kcs_alloc_fail_after(-1);
	for (i = 0; i < 3; i++)
		cr_expect_not_null(p[i], "allocation %d of 3 failed", i);
	cr_expect_null(p[3]);
	cr_expect_null(d);
	cr_expect_eq(kcs_alloc_count() - before, 3);
	for (i = 0; i < 4; i++)
		kcs_free(p[i]);
	d = kcs_strndup("hello", 3);
	cr_expect_str_eq(d, "hel");
	kcs_free(d);
	kcs_free(NULL);
	kcs_free_secret(NULL, 3);
	kcs_free_secret_str(NULL);
	d = kcs_strdup("secret");
	kcs_free_secret_str(d);
}

/* ---- the fault loop ------------------------------------------------- */

#define MAX_ALLOCS 4096
static unsigned long dry_base;

struct outcome {
	enum kcs_err rc;   /* first error, or KCS_OK */
	char *table, *json; /* the reports, when rc == KCS_OK */
	size_t table_len, json_len;
};

/*
 * main.c's pipeline on one fixture: scan, table + JSON reports, reader,
 * input, a warning, finish. Every owned pointer is freed on every path.
 */
static void pipeline(const char *data, size_t len, size_t chunk,
		     struct outcome *o)
{
	struct kcs_error err = KCS_ERROR_INIT, in_err = KCS_ERROR_INIT;
	struct kcs_scan *s = NULL;
	struct kcs_reader *r = NULL;
	struct kcs_report *rep;
	struct kcs_reader_cbs cbs;
	FILE *tf, *jf;
	enum kcs_err rc;

	memset(o, 0, sizeof(*o));
	tf = open_memstream(&o->table, &o->table_len);
	jf = open_memstream(&o->json, &o->json_len);
	cr_assert(tf && jf);
	s = kcs_scan_new(NULL);
	if (!s) {
		rc = KCS_ERR_NOMEM;
		goto out;
	}
	rep = kcs_report_table_new(tf);
	if (!rep) {
		rc = KCS_ERR_NOMEM;
		goto out;
	}
	if ((rc = kcs_scan_attach_report(s, rep, &err)))
		goto out;
	rep = kcs_report_json_new(jf);
	if (!rep) {
		rc = KCS_ERR_NOMEM;
		goto out;
	}
	if ((rc = kcs_scan_attach_report(s, rep, &err)))
		goto out;
	cbs = kcs_scan_reader_cbs(s);
	r = kcs_reader_new(&cbs, KCS_HINT_NONE);
	if (!r) {
		rc = KCS_ERR_NOMEM;
		goto out;
	}
	kcs_scan_set_times(s, 1748858400, 1748858405);
	if ((rc = kcs_scan_begin(s, &err)))
		goto out;
	rc = kcs_input_mem(r, data, len, chunk, &in_err);
	if (rc) {
		/* an input error is recorded in the report, as main.c does */
		kcs_scan_add_error(s, &in_err);
		cr_assert_eq(rc, in_err.code);
	}
	kcs_scan_note_skipped(s, kcs_reader_info(r));
	if (!rc && kcs_scan_skipped_note(s))
		rc = kcs_scan_add_warning(s, "%s", kcs_scan_skipped_note(s));
	{
		enum kcs_err rc2 = kcs_scan_finish(s, NULL, rc == KCS_OK, &err);

		if (!rc)
			rc = rc2;
	}
out:
	kcs_reader_free(r);
	kcs_scan_free(s);
	cr_assert_eq(fclose(tf), 0);
	cr_assert_eq(fclose(jf), 0);
	o->rc = rc;
}

static void outcome_free(struct outcome *o)
{
	free(o->table);
	free(o->json);
}

static void fault_loop(const char *fixture, size_t chunk)
{
	struct outcome ref, o;
	size_t len;
	char *data = tu_read_file(fixture, &len);
	unsigned long total, n, tested = 0;

	/* dry run: count the allocations (yajl's are not counted) */
	dry_base = kcs_alloc_count();
	pipeline(data, len, chunk, &ref);
	total = kcs_alloc_count() - dry_base;
	cr_assert_eq(ref.rc, KCS_OK, "%s: the pipeline fails without faults", fixture);
	cr_assert_lt(total, MAX_ALLOCS);
	cr_assert_gt(ref.table_len, 100);
	cr_assert_gt(ref.json_len, 100);

	for (n = 0; n <= total; n++) {
		kcs_alloc_fail_after((long)n);
		pipeline(data, len, chunk, &o);
		kcs_alloc_fail_after(-1);
		tested++;
		if (n < total) {
			/* an allocation failed: it must be reported, as NOMEM */
			cr_expect_eq(o.rc, KCS_ERR_NOMEM,
				     "%s: allocation %lu of %lu failing gives %s, not NOMEM",
				     fixture, n, total, kcs_err_name(o.rc));
		} else {
			/* past the last allocation: the same reports as the dry run */
			cr_expect_eq(o.rc, KCS_OK);
			cr_expect_eq(o.table_len, ref.table_len);
			cr_expect_eq(o.json_len, ref.json_len);
			cr_expect(o.table_len == ref.table_len &&
				  memcmp(o.table, ref.table, o.table_len) == 0);
			cr_expect(o.json_len == ref.json_len &&
				  memcmp(o.json, ref.json, o.json_len) == 0);
		}
		outcome_free(&o);
	}
	cr_log_info("%s (chunk %zu): %lu allocations, each failed in turn",
		    fixture, chunk, total);
	/* the loop must exercise the scan, reports and reader */
	cr_expect_geq(tested, 6, "only %lu allocations tested", tested);
	outcome_free(&ref);
	free(data);
}

Test(alloc, fault_loop_pods)
{
	fault_loop("testdata/reader/single-pod.json", 0);
}

Test(alloc, fault_loop_list)
{
	/* namespaces, pods and skipped kinds; fed in chunks of 1000 bytes */
	fault_loop("testdata/reader/v1-list-mixed.json", 1000);
}

Test(alloc, yajl_bypasses_the_fault_hook)
{
	/* yajl cannot survive NULL: its allocations must not be failed. */
	void *p;

	kcs_alloc_fail_after(0);
	cr_expect_null(kcs_malloc(16));
	p = kcs_yajl_alloc_funcs.malloc(kcs_yajl_alloc_funcs.ctx, 16);
	kcs_alloc_fail_after(-1);
	cr_assert_not_null(p);
	kcs_yajl_alloc_funcs.free(kcs_yajl_alloc_funcs.ctx, p);
}
