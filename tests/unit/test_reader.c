/*
 * test_reader.c - the streaming reader (reader.c, input.c).
 *
 * The heart of this file is the chunked-reader test: every fixture under
 * testdata/reader/ and testdata/demo/ (globbed at run time, so new fixtures
 * are picked up without editing this file) is parsed once whole to get a
 * reference trace, then again at every chunk size 1..64 and at 20 random
 * split sequences (testutil's chunk-split rig), and each trace must equal
 * the reference byte for byte.
 * A trace records everything the reader tells its caller: every pod (with
 * every container's bits, verdict, reason and flags) and every namespace
 * (with its raw PSA labels) in callback order, the document info (kind,
 * continue token, resourceVersion, skipped kinds, Status body), and the
 * result: error code, byte offset and message.
 *
 * Where a fixture has a `<name>.expected.json` oracle, the fixture is also
 * run through a real scan and the results are compared field by field with
 * the oracle (both sides flattened to "path=value" lines by a small yajl
 * callback parser; never yajl_tree).
 *
 * Random splits use a seed printed on failure; set KCS_TEST_SEED=<n> to
 * replay one.
 */
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_parse.h>

#include "kcs/alloc.h"
#include "kcs/buf.h"
#include "kcs/input.h"
#include "kcs/reader.h"
#include "kcs/scan.h"
#include "testutil.h"

/* ---- what the reader said: a trace, and an optional capture ---------- */

#define CAP_PODS 16
#define CAP_CTRS 16
#define CAP_NSS 16

/* A copy of one pod as on_pod saw it (small inputs only). */
struct cpod {
	struct kcs_pod pod;
	struct kcs_container c[CAP_CTRS];
};

struct trace {
	struct kcs_buf b;       /* the text trace */
	size_t n_pods, n_nss;   /* callbacks seen */
	struct cpod pods[CAP_PODS];
	struct kcs_nsobj nss[CAP_NSS];
	/* on_pod returns fail_rc at the fail_at-th pod (1-based), if set */
	size_t fail_at;
	enum kcs_err fail_rc;
};

static const char *flag_list(unsigned flags)
{
	static char buf[128];
	unsigned i;

	buf[0] = '\0';
	for (i = 0; i < KCS_F_COUNT; i++)
		if (flags & (1u << i)) {
			if (buf[0])
				strncat(buf, ",", sizeof(buf) - strlen(buf) - 1);
			strncat(buf, kcs_flag_name(1u << i),
				sizeof(buf) - strlen(buf) - 1);
		}
	if (flags >> KCS_F_COUNT)
		strncat(buf, ",?", sizeof(buf) - strlen(buf) - 1);
	return buf;
}

static enum kcs_err trace_pod(struct kcs_pod *pod, void *user,
			      struct kcs_error *err)
{
	struct trace *t = user;
	struct kcs_buf *b = &t->b;
	size_t i;

	kcs_buf_addstr(b, "pod ns=");
	tu_esc(b, pod->ns.s, pod->ns.len);
	kcs_buf_addstr(b, " name=");
	tu_esc(b, pod->name.s, pod->name.len);
	kcs_buf_addf(b, " has_uid=%d uid=", pod->has_uid);
	tu_esc(b, pod->uid.s, pod->uid.len);
	kcs_buf_addf(b, " windows=%d hostnet=%d malformed=%d verdict=%s reason=%s n=%zu\n",
		     pod->windows, pod->host_network, pod->malformed,
		     kcs_verdict_name(pod->verdict),
		     kcs_pod_reason_name(pod->reason) ? kcs_pod_reason_name(pod->reason) : "null",
		     pod->n);
	for (i = 0; i < pod->n; i++) {
		const struct kcs_container *c = &pod->containers[i];

		kcs_buf_addf(b, "  ctr type=%s name=", kcs_ctype_name(c->type));
		tu_esc(b, c->name.s, c->name.len);
		kcs_buf_addf(b, " add=%#x drop=%#x sc=%d caps=%d priv=%d malformed=%d verdict=%s reason=%s flags=%s\n",
			     c->add, c->drop, c->has_sc, c->has_caps,
			     c->privileged, c->malformed,
			     kcs_verdict_name(c->verdict),
			     kcs_reason_name(c->reason), flag_list(c->flags));
	}
	if (t->n_pods < CAP_PODS) {
		struct cpod *cp = &t->pods[t->n_pods];

		cp->pod = *pod;
		cr_assert(pod->n <= CAP_CTRS, "test pod too wide to capture");
		if (pod->n)
			memcpy(cp->c, pod->containers, pod->n * sizeof(cp->c[0]));
		cp->pod.containers = cp->c;
	}
	t->n_pods++;
	if (t->fail_at && t->n_pods == t->fail_at)
		return kcs_error_set(err, t->fail_rc, "test callback says stop");
	return KCS_OK;
}

static void trace_label(struct kcs_buf *b, const char *name,
			const struct kcs_label *l)
{
	kcs_buf_addf(b, " %s=", name);
	if (l->present)
		tu_esc(b, l->s, l->len);
	else
		kcs_buf_addstr(b, "-");
}

static enum kcs_err trace_ns(const struct kcs_nsobj *ns, void *user,
			     struct kcs_error *err)
{
	struct trace *t = user;
	struct kcs_buf *b = &t->b;

	(void)err;
	kcs_buf_addstr(b, "namespace name=");
	tu_esc(b, ns->name.s, ns->name.len);
	kcs_buf_addf(b, " has_uid=%d uid=", ns->has_uid);
	tu_esc(b, ns->uid.s, ns->uid.len);
	trace_label(b, "enforce", &ns->labels.enforce);
	trace_label(b, "enforce-version", &ns->labels.enforce_version);
	trace_label(b, "audit", &ns->labels.audit);
	trace_label(b, "audit-version", &ns->labels.audit_version);
	trace_label(b, "warn", &ns->labels.warn);
	trace_label(b, "warn-version", &ns->labels.warn_version);
	kcs_buf_addch(b, '\n');
	if (t->n_nss < CAP_NSS)
		t->nss[t->n_nss] = *ns;
	t->n_nss++;
	return KCS_OK;
}

/* Everything after the last callback: doc info and the result. */
static void trace_end(struct trace *t, struct kcs_reader *r, enum kcs_err rc,
		      const struct kcs_error *err)
{
	const struct kcs_doc_info *in = kcs_reader_info(r);
	struct kcs_buf *b = &t->b;
	size_t i;

	kcs_buf_addstr(b, "doc kind=");
	tu_esc(b, in->kind, strlen(in->kind));
	kcs_buf_addf(b, " is_list=%d continue=", in->is_list);
	tu_esc(b, in->continue_token.buf, in->continue_token.len);
	kcs_buf_addstr(b, " rv=");
	tu_esc(b, in->resource_version, strlen(in->resource_version));
	kcs_buf_addf(b, " remaining=%lld n_pods=%zu n_namespaces=%zu n_skipped=%zu kinds=[",
		     in->remaining_items, in->n_pods, in->n_namespaces,
		     in->n_skipped);
	for (i = 0; i < in->n_skipped_kinds; i++)
		tu_esc(b, in->skipped_kinds[i], strlen(in->skipped_kinds[i]));
	kcs_buf_addf(b, "] status=%d", in->status.present);
	if (in->status.present) {
		kcs_buf_addf(b, " code=%lld status=", in->status.code);
		tu_esc(b, in->status.status, strlen(in->status.status));
		kcs_buf_addstr(b, " reason=");
		tu_esc(b, in->status.reason, strlen(in->status.reason));
		kcs_buf_addstr(b, " message=");
		tu_esc(b, in->status.message, strlen(in->status.message));
	}
	kcs_buf_addf(b, "\nresult rc=%s code=%s offset=%lld", kcs_err_name(rc),
		     kcs_err_name(err->code), err->offset);
	/* Only positioned errors carry the reader's own message (see run_pieces). */
	if (err->offset >= 0) {
		kcs_buf_addstr(b, " msg=");
		tu_esc(b, err->msg, strlen(err->msg));
	}
	if (rc == KCS_OK)
		kcs_buf_addf(b, " fed=%llu", kcs_reader_offset(r));
	kcs_buf_addch(b, '\n');
}

static void trace_reset(struct trace *t)
{
	kcs_buf_reset(&t->b);
	t->n_pods = t->n_nss = 0;
}

/* One reader bound to one trace. */
struct rig {
	struct trace t;
	struct kcs_reader *r;
};

static struct rig *rig_new(enum kcs_reader_hint hint)
{
	struct rig *g = calloc(1, sizeof(*g));
	struct kcs_reader_cbs cbs;

	cr_assert(g != NULL);
	kcs_buf_init(&g->t.b, TU_TRACE_MAX);
	cbs.on_pod = trace_pod;
	cbs.on_namespace = trace_ns;
	cbs.user = &g->t;
	g->r = kcs_reader_new(&cbs, hint);
	cr_assert(g->r != NULL);
	return g;
}

static void rig_free(struct rig *g)
{
	if (!g)
		return;
	kcs_reader_free(g->r);
	kcs_buf_release(&g->t.b);
	free(g);
}

/* Parse with kcs_input_mem in chunks of `chunk` (0: whole). */
static enum kcs_err run_chunk(struct rig *g, const void *data, size_t len,
			      size_t chunk, struct kcs_error *err)
{
	enum kcs_err rc;

	kcs_error_clear(err);
	trace_reset(&g->t);
	rc = kcs_input_mem(g->r, data, len, chunk, err);
	trace_end(&g->t, g->r, rc, err);
	cr_assert(g->t.b.err == KCS_OK, "trace buffer overflow");
	return rc;
}

static enum kcs_err feed(void *r, const char *data, size_t len,
			 struct kcs_error *err)
{
	return kcs_reader_feed(r, data, len, err);
}

/*
 * Parse fed as the cut says, the way a libcurl write callback would feed
 * it, and finish as kcs_input_mem does: a Status body is an error without
 * an offset.
 */
static enum kcs_err run_pieces(struct rig *g, const struct tu_cut *cut,
			       struct kcs_error *err)
{
	enum kcs_err rc;

	kcs_error_clear(err);
	trace_reset(&g->t);
	rc = kcs_reader_restart(g->r, err);
	if (!rc)
		rc = tu_cut_feed(cut, feed, g->r, err);
	if (!rc)
		rc = kcs_reader_finish(g->r, err);
	if (!rc && kcs_reader_info(g->r)->status.present)
		rc = kcs_error_set(err, KCS_ERR_PARSE, "status");
	trace_end(&g->t, g->r, rc, err);
	cr_assert(g->t.b.err == KCS_OK, "trace buffer overflow");
	return rc;
}

/*
 * One parse for tu_split_check, by the reader of the struct rig `ctx`:
 * whole and fixed chunks through kcs_input_mem, random cuts piece by piece.
 */
static enum kcs_err rig_parse(void *ctx, const struct tu_cut *cut,
			      struct kcs_buf *trace, struct kcs_error *err)
{
	struct rig *g = ctx;
	enum kcs_err rc;

	if (cut->pieces)
		rc = run_pieces(g, cut, err);
	else
		rc = run_chunk(g, cut->data, cut->len, cut->chunk, err);
	kcs_buf_add(trace, g->t.b.buf, g->t.b.len);
	return rc;
}

/*
 * The chunked-reader check: whole, 1..64, random splits. Returns the
 * reference result; the reference trace and capture stay in *ref_rig.
 */
static enum kcs_err check_splits(const char *what, const void *data,
				 size_t len, enum kcs_reader_hint hint,
				 struct rig **ref_rig, struct kcs_error *ref_err)
{
	/* One reader for every split run: restart must forget everything. */
	struct rig *ref = rig_new(hint), *g = rig_new(hint);
	struct tu_split sp = { .what = what, .parse = rig_parse, .ref_ctx = ref,
			       .ctx = g, .pieces = tu_pieces_mixed };
	enum kcs_err rc = tu_split_check(&sp, data, len, ref_err);

	rig_free(g);
	if (ref_rig)
		*ref_rig = ref;
	else
		rig_free(ref);
	return rc;
}

/* ---- flattening JSON to "path=value" lines (oracle comparison) ------- */

struct lines {
	char **v;
	size_t n, cap;
};

static void lines_add(struct lines *l, const char *s)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 256;
		l->v = realloc(l->v, l->cap * sizeof(*l->v));
		cr_assert(l->v != NULL);
	}
	l->v[l->n] = strdup(s);
	cr_assert(l->v[l->n] != NULL);
	l->n++;
}

static void lines_free(struct lines *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

#define FLAT_DEPTH 64

struct flat {
	struct lines *out;
	char path[8192];
	size_t plen;
	int depth;
	size_t saved[FLAT_DEPTH]; /* plen before each open container */
	int is_array[FLAT_DEPTH];
	long idx[FLAT_DEPTH];
	char key[1024];           /* pending key, escaped */
};

static void flat_esc(char *dst, size_t size, const unsigned char *s,
		     size_t len)
{
	size_t i, o = 0;

	for (i = 0; i < len && o + 5 < size; i++) {
		unsigned char c = s[i];

		if (c > 0x20 && c < 0x7f && !strchr("\\\"=.[]#", c))
			dst[o++] = (char)c;
		else
			o += (size_t)snprintf(dst + o, size - o, "\\x%02x", c);
	}
	dst[o] = '\0';
}

/* Extend the path with the component of the value about to start. */
static size_t flat_begin(struct flat *f)
{
	size_t old = f->plen;
	int d = f->depth - 1;

	if (d >= 0 && f->is_array[d])
		f->plen += (size_t)snprintf(f->path + f->plen,
					    sizeof(f->path) - f->plen, "[%ld]",
					    f->idx[d]);
	else if (d >= 0)
		f->plen += (size_t)snprintf(f->path + f->plen,
					    sizeof(f->path) - f->plen, ".%s",
					    f->key);
	cr_assert(f->plen < sizeof(f->path) - 1, "JSON path too long");
	return old;
}

static void flat_done(struct flat *f, size_t old)
{
	f->plen = old;
	f->path[old] = '\0';
	if (f->depth > 0)
		f->idx[f->depth - 1]++;
}

static int flat_scalar(struct flat *f, const char *val)
{
	size_t old = flat_begin(f);
	char line[8192 + 600];

	snprintf(line, sizeof(line), "%s=%s", f->path, val);
	lines_add(f->out, line);
	flat_done(f, old);
	return 1;
}

static int fl_null(void *ctx)
{
	return flat_scalar(ctx, "null");
}

static int fl_bool(void *ctx, int b)
{
	return flat_scalar(ctx, b ? "true" : "false");
}

static int fl_number(void *ctx, const char *s, size_t len)
{
	char v[256];

	snprintf(v, sizeof(v), "%.*s", (int)len, s);
	return flat_scalar(ctx, v);
}

static int fl_string(void *ctx, const unsigned char *s, size_t len)
{
	char v[520];

	v[0] = '"';
	flat_esc(v + 1, sizeof(v) - 2, s, len);
	strncat(v, "\"", sizeof(v) - strlen(v) - 1);
	return flat_scalar(ctx, v);
}

static int fl_open(struct flat *f, int is_array)
{
	size_t old = flat_begin(f);

	cr_assert(f->depth < FLAT_DEPTH);
	f->saved[f->depth] = old;
	f->is_array[f->depth] = is_array;
	f->idx[f->depth] = 0;
	f->depth++;
	return 1;
}

static int fl_close(struct flat *f)
{
	char line[8192 + 64];
	int d = --f->depth;

	/* Lengths make "fewer elements" and "empty" visible. */
	snprintf(line, sizeof(line), "%s#%s=%ld", f->path,
		 f->is_array[d] ? "len" : "keys", f->idx[d]);
	lines_add(f->out, line);
	flat_done(f, f->saved[d]);
	return 1;
}

static int fl_start_map(void *ctx)
{
	return fl_open(ctx, 0);
}

static int fl_start_array(void *ctx)
{
	return fl_open(ctx, 1);
}

static int fl_end(void *ctx)
{
	return fl_close(ctx);
}

static int fl_key(void *ctx, const unsigned char *k, size_t len)
{
	struct flat *f = ctx;

	flat_esc(f->key, sizeof(f->key), k, len);
	return 1;
}

/* Flatten a JSON text; fails the test if it is not valid JSON. */
static void flatten(const char *what, const void *json, size_t len,
		    struct lines *out)
{
	static const yajl_callbacks cbs = {
		.yajl_null = fl_null,
		.yajl_boolean = fl_bool,
		.yajl_number = fl_number,
		.yajl_string = fl_string,
		.yajl_start_map = fl_start_map,
		.yajl_map_key = fl_key,
		.yajl_end_map = fl_end,
		.yajl_start_array = fl_start_array,
		.yajl_end_array = fl_end,
	};
	struct flat *f = calloc(1, sizeof(*f));
	yajl_handle h;
	yajl_status st;

	cr_assert(f != NULL);
	f->out = out;
	h = yajl_alloc(&cbs, NULL, f);
	cr_assert(h != NULL);
	st = yajl_parse(h, json, len);
	if (st == yajl_status_ok)
		st = yajl_complete_parse(h);
	if (st != yajl_status_ok) {
		unsigned char *m = yajl_get_error(h, 1, json, len);

		cr_assert_fail("%s is not valid JSON: %s", what, m);
	}
	yajl_free(h);
	free(f);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The top-level key of a flattened line (".pods[0].name=..." -> "pods"). */
static size_t top_key(const char *line, char *key, size_t size)
{
	size_t n = strcspn(line + 1, ".[#=");

	snprintf(key, size, "%.*s", (int)n, line + 1);
	return n;
}

/* Lines of `all` under top-level key `key`, sorted. */
static void select_key(const struct lines *all, const char *key,
		       struct lines *out)
{
	char k[256];
	size_t i;

	for (i = 0; i < all->n; i++) {
		top_key(all->v[i], k, sizeof(k));
		if (all->v[i][0] == '.' && strcmp(k, key) == 0)
			lines_add(out, all->v[i]);
	}
	if (out->n)
		qsort(out->v, out->n, sizeof(*out->v), cmp_str);
}

static void assert_same_lines(const char *what, const char *key,
			      const struct lines *want, const struct lines *got)
{
	size_t i, j;

	for (i = 0, j = 0; i < want->n || j < got->n;) {
		int c = i == want->n ? 1 : j == got->n ? -1
				: strcmp(want->v[i], got->v[j]);

		if (c < 0)
			cr_assert_fail("%s: oracle has %s but the scan does not (key '%s')",
				       what, want->v[i], key);
		if (c > 0)
			cr_assert_fail("%s: scan has %s but the oracle does not (key '%s')",
				       what, got->v[j], key);
		i++;
		j++;
	}
}

/* ---- a scan whose report records what the oracle shape needs ---------- */

struct recorder {
	struct kcs_report base; /* must be first */
	yajl_gen g;
};

static void gstr(yajl_gen g, const char *s)
{
	yajl_gen_string(g, (const unsigned char *)s, strlen(s));
}

static void gstrn(yajl_gen g, const char *s, size_t len)
{
	yajl_gen_string(g, (const unsigned char *)s, len);
}

static void gint(yajl_gen g, const char *k, unsigned long long v)
{
	gstr(g, k);
	yajl_gen_integer(g, (long long)v);
}

static enum kcs_err rec_begin(struct kcs_report *rep,
			      const struct kcs_scan_meta *meta,
			      struct kcs_error *err)
{
	struct recorder *x = (struct recorder *)rep;

	(void)meta;
	(void)err;
	yajl_gen_map_open(x->g);
	gstr(x->g, "pods");
	yajl_gen_array_open(x->g);
	return KCS_OK;
}

static enum kcs_err rec_pod(struct kcs_report *rep, const struct kcs_pod *pod,
			    struct kcs_error *err)
{
	struct recorder *x = (struct recorder *)rep;
	yajl_gen g = x->g;
	size_t i;
	unsigned b;

	(void)err;
	yajl_gen_map_open(g);
	gstr(g, "namespace");
	gstrn(g, pod->ns.s, pod->ns.len);
	gstr(g, "name");
	gstrn(g, pod->name.s, pod->name.len);
	gstr(g, "verdict");
	gstr(g, kcs_verdict_name(pod->verdict));
	gstr(g, "reason");
	if (kcs_pod_reason_name(pod->reason))
		gstr(g, kcs_pod_reason_name(pod->reason));
	else
		yajl_gen_null(g);
	gstr(g, "containers");
	yajl_gen_array_open(g);
	for (i = 0; i < pod->n; i++) {
		const struct kcs_container *c = &pod->containers[i];

		yajl_gen_map_open(g);
		gstr(g, "name");
		gstrn(g, c->name.s, c->name.len);
		gstr(g, "type");
		gstr(g, kcs_ctype_name(c->type));
		gstr(g, "verdict");
		gstr(g, kcs_verdict_name(c->verdict));
		gstr(g, "reason");
		gstr(g, kcs_reason_name(c->reason));
		gstr(g, "flags");
		yajl_gen_array_open(g);
		for (b = 0; b < KCS_F_COUNT; b++)
			if (c->flags & (1u << b))
				gstr(g, kcs_flag_name(1u << b));
		yajl_gen_array_close(g);
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
	yajl_gen_map_close(g);
	return KCS_OK;
}

static void rec_count(yajl_gen g, const char *key, const struct kcs_count *c,
		      int namespaces)
{
	gstr(g, key);
	yajl_gen_map_open(g);
	gint(g, "total", c->total);
	gint(g, "pass", c->pass);
	gint(g, "fail", c->fail);
	if (namespaces)
		gint(g, "unknown", c->unknown);
	else
		gint(g, "notApplicable", c->not_applicable);
	yajl_gen_map_close(g);
}

static enum kcs_err rec_end(struct kcs_report *rep,
			    const struct kcs_scan_result *res,
			    struct kcs_error *err)
{
	struct recorder *x = (struct recorder *)rep;
	yajl_gen g = x->g;
	size_t i;
	unsigned b;

	(void)err;
	yajl_gen_array_close(g);
	gstr(g, "namespaces");
	yajl_gen_array_open(g);
	for (i = 0; i < res->n_ns; i++) {
		const struct kcs_ns_entry *e = res->ns_sorted[i];

		yajl_gen_map_open(g);
		gstr(g, "name");
		gstrn(g, e->name.s, e->name.len);
		gstr(g, "verdict");
		gstr(g, kcs_verdict_name(e->result.verdict));
		gstr(g, "reason");
		gstr(g, kcs_ns_reason_name(e->result.reason));
		gstr(g, "flags");
		yajl_gen_array_open(g);
		for (b = 0; b < KCS_NF_COUNT; b++)
			if (e->result.flags & (1u << b))
				gstr(g, kcs_ns_flag_name(1u << b));
		yajl_gen_array_close(g);
		gstr(g, "pods");
		yajl_gen_map_open(g);
		gint(g, "total", e->pods_total);
		gint(g, "fail", e->pods_fail);
		yajl_gen_map_close(g);
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
	gstr(g, "summary");
	yajl_gen_map_open(g);
	rec_count(g, "namespaces", &res->namespaces, 1);
	rec_count(g, "pods", &res->pods, 0);
	rec_count(g, "containers", &res->containers, 0);
	yajl_gen_map_close(g);
	return KCS_OK;
}

static void rec_free(struct kcs_report *rep)
{
	(void)rep; /* owned by the test, freed after reading its output */
}

static const struct kcs_report_ops rec_ops = {
	.name = "recorder",
	.begin = rec_begin,
	.pod = rec_pod,
	.end = rec_end,
	.free = rec_free,
};

/*
 * Run `files` (in order) through one scan and one reader as main.c does,
 * and return the observed results flattened in the oracle's shape.
 */
static void observe(const char *const *files, size_t n, struct lines *out)
{
	struct recorder x = { { &rec_ops }, NULL };
	struct kcs_error err = KCS_ERROR_INIT, in_err = KCS_ERROR_INIT;
	struct kcs_scan *s = kcs_scan_new(NULL);
	struct kcs_reader *r;
	struct kcs_reader_cbs cbs;
	const unsigned char *buf;
	enum kcs_err rc = KCS_OK;
	size_t i, blen, n_skipped = 0;
	const struct kcs_doc_info *in = NULL;

	cr_assert(s != NULL);
	x.g = yajl_gen_alloc(NULL);
	cr_assert(x.g != NULL);
	cr_assert_eq(kcs_scan_attach_report(s, &x.base, &err), KCS_OK);
	cbs = kcs_scan_reader_cbs(s);
	r = kcs_reader_new(&cbs, KCS_HINT_NONE);
	cr_assert(r != NULL);
	cr_assert_eq(kcs_scan_begin(s, &err), KCS_OK);
	for (i = 0; i < n && !rc; i++) {
		size_t len;
		char *data = tu_read_file(files[i], &len);

		rc = kcs_input_mem(r, data, len, 0, &in_err);
		in = kcs_reader_info(r);
		n_skipped += in->n_skipped;
		free(data);
	}
	if (rc)
		kcs_scan_add_error(s, &in_err);
	cr_assert_eq(kcs_scan_finish(s, NULL, rc == KCS_OK, &err), KCS_OK,
		     "%s", err.msg);

	/* Fields the scan does not report, from the reader itself. */
	if (rc) {
		char lower[32];
		const char *name = kcs_err_name(rc);

		for (i = 0; name[i] && i < sizeof(lower) - 1; i++)
			lower[i] = (char)(name[i] >= 'A' && name[i] <= 'Z'
						  ? name[i] - 'A' + 'a' : name[i]);
		lower[i] = '\0';
		gstr(x.g, "error");
		gstr(x.g, in->status.present ? "status" : lower);
	}
	if (in && in->status.present) {
		gstr(x.g, "status");
		yajl_gen_map_open(x.g);
		gint(x.g, "code", (unsigned long long)in->status.code);
		gstr(x.g, "reason");
		gstr(x.g, in->status.reason);
		yajl_gen_map_close(x.g);
	}
	yajl_gen_map_close(x.g);
	yajl_gen_get_buf(x.g, &buf, &blen);
	flatten("observed results", buf, blen, out);

	/* skippedKinds: the reader counts kinds, not objects per kind. */
	if (in) {
		char line[256];

		for (i = 0; i < in->n_skipped_kinds; i++) {
			snprintf(line, sizeof(line), "=skippedKinds:%s",
				 in->skipped_kinds[i]);
			lines_add(out, line);
		}
		snprintf(line, sizeof(line), "=skippedTotal:%zu", n_skipped);
		lines_add(out, line);
	}
	kcs_reader_free(r);
	kcs_scan_free(s);
	yajl_gen_free(x.g);
}

/* Compare the scan of `files` with the oracle at `oracle_path`. */
static void check_oracle(const char *what, const char *oracle_path,
			 const char *const *files, size_t n)
{
	struct lines want = { 0 }, got = { 0 };
	size_t len, i;
	char *text = tu_read_file(oracle_path, &len);
	static const char *const keys[] = {
		"pods", "namespaces", "summary", "status", "error",
	};
	char k[256];
	int has_skipped = 0;

	flatten(oracle_path, text, len, &want);
	free(text);
	observe(files, n, &got);

	/* Every top-level key of the oracle must be one this test checks. */
	for (i = 0; i < want.n; i++) {
		size_t j;
		int known = 0;

		if (want.v[i][0] != '.')
			continue; /* the root's own #keys line */
		top_key(want.v[i], k, sizeof(k));
		for (j = 0; j < KCS_ARRAY_SIZE(keys); j++)
			known |= strcmp(k, keys[j]) == 0;
		known |= strcmp(k, "skippedKinds") == 0;
		cr_assert(known, "%s: oracle key '%s' is not checked by test_reader.c; extend observe()",
			  oracle_path, k);
		has_skipped |= strcmp(k, "skippedKinds") == 0;
	}
	for (i = 0; i < KCS_ARRAY_SIZE(keys); i++) {
		struct lines w = { 0 }, g = { 0 };

		select_key(&want, keys[i], &w);
		/* "error" is always compared: absent means "no error". */
		if (w.n > 0 || strcmp(keys[i], "error") == 0) {
			select_key(&got, keys[i], &g);
			assert_same_lines(what, keys[i], &w, &g);
		}
		lines_free(&w);
		lines_free(&g);
	}
	if (has_skipped) {
		/* Same set of kinds, and the per-kind counts add up. */
		unsigned long long total = 0, got_total = 0;
		size_t n_kinds = 0, n_got = 0;

		for (i = 0; i < want.n; i++) {
			const char *eq;
			char line[300];
			size_t j;
			int found = 0;

			if (strncmp(want.v[i], ".skippedKinds.", 14) != 0)
				continue;
			eq = strchr(want.v[i], '=');
			total += strtoull(eq + 1, NULL, 10);
			n_kinds++;
			snprintf(line, sizeof(line), "=skippedKinds:%.*s",
				 (int)(eq - want.v[i] - 14), want.v[i] + 14);
			for (j = 0; j < got.n; j++)
				found |= strcmp(got.v[j], line) == 0;
			cr_assert(found, "%s: oracle skips kind %s but the reader did not",
				  what, line + 14);
		}
		for (i = 0; i < got.n; i++) {
			if (!strncmp(got.v[i], "=skippedKinds:", 14))
				n_got++;
			if (!strncmp(got.v[i], "=skippedTotal:", 14))
				got_total = strtoull(got.v[i] + 14, NULL, 10);
		}
		cr_assert_eq(n_got, n_kinds, "%s: reader skipped %zu kinds, oracle %zu",
			     what, n_got, n_kinds);
		cr_assert_eq(got_total, total, "%s: reader skipped %llu objects, oracle %llu",
			     what, got_total, total);
	} else {
		for (i = 0; i < got.n; i++)
			cr_assert(strncmp(got.v[i], "=skippedKinds:", 14) != 0,
				  "%s: reader skipped kind %s; the oracle says none",
				  what, got.v[i] + 14);
	}
	lines_free(&want);
	lines_free(&got);
}

/* ---- the fixture-driven tests --------------------------------------- */

static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

static int is_oracle(const char *rel)
{
	const char *base = strrchr(rel, '/');

	base = base ? base + 1 : rel;
	return ends_with(rel, ".expected.json") || strcmp(base, "expected.json") == 0;
}

/* Relative paths matching `pattern` under the source tree. */
static size_t glob_rel(const char *pattern, glob_t *g)
{
	char abs[4096];

	snprintf(abs, sizeof(abs), "%s", tu_path(pattern));
	if (glob(abs, 0, NULL, g) != 0)
		g->gl_pathc = 0;
	return g->gl_pathc;
}

ParameterizedTestParameters(reader, chunked)
{
	static const char *const patterns[] = {
		"testdata/reader/*.json",
		"testdata/demo/*.json",
	};
	struct tu_fixture *fx = cr_malloc(1024 * sizeof(*fx));
	size_t n = 0, i, j, end;

	for (i = 0; i < KCS_ARRAY_SIZE(patterns); i++) {
		end = n + tu_fixtures(patterns[i], fx + n, 1024 - n);
		/* oracles are not inputs */
		for (j = n; j < end; j++)
			if (!is_oracle(fx[j].rel))
				memmove(&fx[n++], &fx[j], sizeof(fx[0]));
	}
	return cr_make_param_array(struct tu_fixture, fx, n, tu_free_params);
}

ParameterizedTest(struct tu_fixture *fx, reader, chunked)
{
	struct kcs_error err = KCS_ERROR_INIT;
	size_t len;
	char *data = tu_read_file(fx->rel, &len);
	char oracle[300];

	check_splits(fx->rel, data, len, KCS_HINT_NONE, NULL, &err);
	free(data);

	/* sibling oracle, if the fixture has one */
	snprintf(oracle, sizeof(oracle), "%.*s.expected.json",
		 (int)(strlen(fx->rel) - 5), fx->rel);
	if (access(tu_path(oracle), R_OK) == 0) {
		const char *files[] = { fx->rel };

		check_oracle(fx->rel, oracle, files, 1);
	}
}

/* The fixture glob must find the fixtures, or the test above checks nothing. */
Test(reader, fixtures_found)
{
	glob_t g;

	cr_assert_geq(glob_rel("testdata/reader/*.json", &g), 2);
	globfree(&g);
	cr_assert_geq(glob_rel("testdata/demo/*.json", &g), 2);
	globfree(&g);
}

/* An oracle without its fixture would silently check nothing. */
Test(reader, every_oracle_has_a_fixture)
{
	glob_t g;
	size_t i;

	glob_rel("testdata/reader/*.expected.json", &g);
	for (i = 0; i < g.gl_pathc; i++) {
		char in[4096];

		snprintf(in, sizeof(in), "%.*s.json",
			 (int)(strlen(g.gl_pathv[i]) - strlen(".expected.json")),
			 g.gl_pathv[i]);
		cr_expect(access(in, R_OK) == 0, "oracle %s has no fixture %s",
			  g.gl_pathv[i], in);
	}
	if (g.gl_pathc)
		globfree(&g);
}

/* The demo cluster: both files through one scan, against demo/expected.json. */
Test(reader, demo_oracle)
{
	const char *files[] = {
		"testdata/demo/namespaces.json",
		"testdata/demo/pods.json",
	};

	check_oracle("demo", "testdata/demo/expected.json", files, 2);
}

/* ---- targeted cases ------------------------------------------------- */

/*
 * Parse test JSON (written with ') through every split, and return the
 * reference rig (caller frees) and result.
 */
static enum kcs_err parse_q(const char *q, struct rig **rg,
			    struct kcs_error *err)
{
	size_t len;
	char *data = tu_jq(q, &len);
	enum kcs_err rc;

	kcs_error_clear(err);
	rc = check_splits(q, data, len, KCS_HINT_NONE, rg, err);
	free(data);
	return rc;
}

static enum kcs_err parse_raw(const char *what, const void *data, size_t len,
			      struct rig **rg, struct kcs_error *err)
{
	kcs_error_clear(err);
	return check_splits(what, data, len, KCS_HINT_NONE, rg, err);
}

#define POD_HEAD "{'kind':'Pod','metadata':{'name':'p','namespace':'n'},"
#define ONE_CTR(sc) POD_HEAD "'spec':{'containers':[{'name':'c'" sc "}]}}"

/* One container, one pod: its verdict and reason after every split. */
struct ctr_case {
	const char *why;
	const char *json;
	enum kcs_verdict verdict;
	enum kcs_reason reason;
	unsigned flags;
	size_t n; /* containers expected in the pod (default 1) */
};

static void run_ctr_cases(const struct ctr_case *cases, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		const struct ctr_case *t = &cases[i];
		struct kcs_error err = KCS_ERROR_INIT;
		struct rig *g = NULL;
		enum kcs_err rc = parse_q(t->json, &g, &err);
		const struct kcs_pod *pod = &g->t.pods[0].pod;
		const struct kcs_container *c;

		cr_assert_eq(rc, KCS_OK, "%s: %s", t->why, err.msg);
		cr_assert_eq(g->t.n_pods, 1, "%s", t->why);
		cr_assert_eq(pod->n, t->n ? t->n : 1, "%s: %zu containers", t->why,
			     pod->n);
		c = &pod->containers[pod->n - 1];
		cr_expect_eq(c->verdict, t->verdict, "%s: verdict %s", t->why,
			     kcs_verdict_name(c->verdict));
		cr_expect_eq(c->reason, t->reason, "%s: reason %s", t->why,
			     kcs_reason_name(c->reason));
		cr_expect_eq(c->flags, t->flags, "%s: flags %s", t->why,
			     flag_list(c->flags));
		rig_free(g);
	}
}

/* Duplicate keys decode as Go's encoding/json does (reader.c header). */
Test(reader, duplicate_keys)
{
	static const struct ctr_case cases[] = {
		/* drop twice: the last list wins, so [ALL] then [] fails */
		{ "drop [ALL] then drop []",
		  ONE_CTR(",'securityContext':{'capabilities':{'drop':['ALL'],'drop':[]}}"),
		  KCS_VERDICT_FAIL, KCS_R_NO_MATCHING_DROP, 0, 0 },
		{ "drop [] then drop [ALL]",
		  ONE_CTR(",'securityContext':{'capabilities':{'drop':[],'drop':['ALL']}}"),
		  KCS_VERDICT_PASS, KCS_R_DROP_ALL, 0, 0 },
		{ "drop [ALL] then drop null",
		  ONE_CTR(",'securityContext':{'capabilities':{'drop':['ALL'],'drop':null}}"),
		  KCS_VERDICT_FAIL, KCS_R_NO_MATCHING_DROP, 0, 0 },
		{ "drop [ALL] then drop [NET_RAW]: not a union",
		  ONE_CTR(",'securityContext':{'capabilities':{'drop':['all'],'drop':['NET_RAW']}}"),
		  KCS_VERDICT_PASS, KCS_R_DROP_NET_RAW, 0, 0 },
		{ "add [NET_RAW] then add [] with drop ALL",
		  ONE_CTR(",'securityContext':{'capabilities':{'add':['NET_RAW'],'drop':['ALL'],'add':[]}}"),
		  KCS_VERDICT_PASS, KCS_R_DROP_ALL, 0, 0 },
		{ "add [] then add [NET_RAW]",
		  ONE_CTR(",'securityContext':{'capabilities':{'add':[],'drop':['ALL'],'add':['NET_RAW']}}"),
		  KCS_VERDICT_FAIL, KCS_R_ADD_NET_RAW, 0, 0 },
		{ "privileged true then false",
		  ONE_CTR(",'securityContext':{'privileged':true,'capabilities':{'drop':['ALL']},'privileged':false}"),
		  KCS_VERDICT_PASS, KCS_R_DROP_ALL, 0, 0 },
		{ "privileged true then null",
		  ONE_CTR(",'securityContext':{'privileged':true,'capabilities':{'drop':['ALL']},'privileged':null}"),
		  KCS_VERDICT_PASS, KCS_R_DROP_ALL, 0, 0 },
		{ "privileged false then true",
		  ONE_CTR(",'securityContext':{'privileged':false,'capabilities':{'drop':['ALL']},'privileged':true}"),
		  KCS_VERDICT_FAIL, KCS_R_PRIVILEGED, 0, 0 },
		/* securityContext then securityContext: null: no context at all */
		{ "securityContext then null",
		  ONE_CTR(",'securityContext':{'capabilities':{'drop':['ALL']}},'securityContext':null"),
		  KCS_VERDICT_FAIL, KCS_R_NO_SECURITY_CONTEXT, 0, 0 },
		{ "privileged securityContext then null",
		  ONE_CTR(",'securityContext':{'privileged':true},'securityContext':null"),
		  KCS_VERDICT_FAIL, KCS_R_NO_SECURITY_CONTEXT, 0, 0 },
		{ "capabilities then null",
		  ONE_CTR(",'securityContext':{'capabilities':{'drop':['ALL']},'capabilities':null}"),
		  KCS_VERDICT_FAIL, KCS_R_NO_CAPABILITIES, 0, 0 },
		/* a repeated object is merged into the earlier one */
		{ "securityContext twice: merged",
		  ONE_CTR(",'securityContext':{'capabilities':{'drop':['ALL']}},'securityContext':{'privileged':true}"),
		  KCS_VERDICT_FAIL, KCS_R_PRIVILEGED, 0, 0 },
		{ "securityContext twice: drop survives the merge",
		  ONE_CTR(",'securityContext':{'capabilities':{'drop':['ALL']}},'securityContext':{'runAsUser':1}"),
		  KCS_VERDICT_PASS, KCS_R_DROP_ALL, 0, 0 },
		{ "capabilities twice: merged",
		  ONE_CTR(",'securityContext':{'capabilities':{'drop':['ALL']},'capabilities':{'add':['NET_RAW']}}"),
		  KCS_VERDICT_FAIL, KCS_R_ADD_NET_RAW, 0, 0 },
		/* a repeated spec merges: hostNetwork applies to earlier containers */
		{ "spec twice: merged",
		  POD_HEAD "'spec':{'containers':[{'name':'c','securityContext':{'capabilities':{'drop':['ALL']}}}]},'spec':{'hostNetwork':true}}",
		  KCS_VERDICT_PASS, KCS_R_DROP_ALL, KCS_F_HOST_NETWORK, 0 },
		{ "hostNetwork true then false",
		  POD_HEAD "'spec':{'hostNetwork':true,'containers':[{'name':'c'}],'hostNetwork':false}}",
		  KCS_VERDICT_FAIL, KCS_R_NO_SECURITY_CONTEXT, 0, 0 },
		{ "os windows then os null",
		  POD_HEAD "'spec':{'os':{'name':'windows'},'containers':[{'name':'c'}],'os':null}}",
		  KCS_VERDICT_FAIL, KCS_R_NO_SECURITY_CONTEXT, 0, 0 },
		{ "os.name windows then linux",
		  POD_HEAD "'spec':{'os':{'name':'windows','name':'linux'},'containers':[{'name':'c'}]}}",
		  KCS_VERDICT_FAIL, KCS_R_NO_SECURITY_CONTEXT, 0, 0 },
		{ "os.name linux then windows",
		  POD_HEAD "'spec':{'os':{'name':'linux','name':'windows'},'containers':[{'name':'c'}]}}",
		  KCS_VERDICT_NOT_APPLICABLE, KCS_R_WINDOWS_POD, 0, 0 },
	};

	run_ctr_cases(cases, KCS_ARRAY_SIZE(cases));
}

/* A repeated container list replaces the earlier list of that kind only. */
Test(reader, duplicate_container_lists)
{
	struct kcs_error err = KCS_ERROR_INIT;
	struct rig *g = NULL;
	const struct kcs_pod *pod;

	cr_assert_eq(parse_q(POD_HEAD "'spec':{"
			     "'initContainers':[{'name':'i','securityContext':{'capabilities':{'drop':['ALL']}}}],"
			     "'containers':[{'name':'a','securityContext':{'capabilities':{'drop':['ALL']}}}],"
			     "'containers':[{'name':'b'}]}}", &g, &err), KCS_OK, "%s", err.msg);
	pod = &g->t.pods[0].pod;
	cr_assert_eq(pod->n, 2);
	cr_expect_str_eq(pod->containers[0].name.s, "i");
	cr_expect_eq(pod->containers[0].type, KCS_CTYPE_INIT);
	cr_expect_str_eq(pod->containers[1].name.s, "b");
	cr_expect_eq(pod->containers[1].type, KCS_CTYPE_CONTAINER);
	cr_expect_eq(pod->containers[1].reason, KCS_R_NO_SECURITY_CONTEXT);
	cr_expect_eq(pod->verdict, KCS_VERDICT_FAIL);
	rig_free(g);

	/* the failing list replaced by a passing one: PASS */
	cr_assert_eq(parse_q(POD_HEAD "'spec':{"
			     "'containers':[{'name':'b'},{'name':'b2'}],"
			     "'containers':[{'name':'a','securityContext':{'capabilities':{'drop':['ALL']}}}]}}",
			     &g, &err), KCS_OK, "%s", err.msg);
	pod = &g->t.pods[0].pod;
	cr_assert_eq(pod->n, 1);
	cr_expect_str_eq(pod->containers[0].name.s, "a");
	cr_expect_eq(pod->verdict, KCS_VERDICT_PASS);
	rig_free(g);

	/* containers: null after a list removes it: no containers left */
	cr_assert_eq(parse_q(POD_HEAD "'spec':{'containers':[{'name':'a'}],'containers':null}}",
			     &g, &err), KCS_OK, "%s", err.msg);
	pod = &g->t.pods[0].pod;
	cr_expect_eq(pod->n, 0);
	cr_expect_eq(pod->verdict, KCS_VERDICT_FAIL);
	cr_expect_eq(pod->reason, KCS_PR_NO_CONTAINERS);
	rig_free(g);

	/* ephemeral list repeated; init and main lists kept, order by kind */
	cr_assert_eq(parse_q(POD_HEAD "'spec':{"
			     "'ephemeralContainers':[{'name':'e1'}],"
			     "'containers':[{'name':'m','securityContext':{'capabilities':{'drop':['ALL']}}}],"
			     "'ephemeralContainers':[{'name':'e2','securityContext':{'capabilities':{'drop':['NET_RAW']}}}]}}",
			     &g, &err), KCS_OK, "%s", err.msg);
	pod = &g->t.pods[0].pod;
	cr_assert_eq(pod->n, 2);
	cr_expect_str_eq(pod->containers[0].name.s, "m");
	cr_expect_str_eq(pod->containers[1].name.s, "e2");
	cr_expect_eq(pod->containers[1].type, KCS_CTYPE_EPHEMERAL);
	cr_expect_eq(pod->verdict, KCS_VERDICT_PASS);
	rig_free(g);
}

/* Only spec.os.name exactly "windows" makes a Windows pod. */
Test(reader, os_name_exact)
{
	static const struct ctr_case cases[] = {
		{ "windows", POD_HEAD "'spec':{'os':{'name':'windows'},'containers':[{'name':'c'}]}}",
		  KCS_VERDICT_NOT_APPLICABLE, KCS_R_WINDOWS_POD, 0, 0 },
		{ "Windows", POD_HEAD "'spec':{'os':{'name':'Windows'},'containers':[{'name':'c'}]}}",
		  KCS_VERDICT_FAIL, KCS_R_NO_SECURITY_CONTEXT, 0, 0 },
		{ "windows2", POD_HEAD "'spec':{'os':{'name':'windows2'},'containers':[{'name':'c'}]}}",
		  KCS_VERDICT_FAIL, KCS_R_NO_SECURITY_CONTEXT, 0, 0 },
		{ "'windows ' with a space", POD_HEAD "'spec':{'os':{'name':'windows '},'containers':[{'name':'c'}]}}",
		  KCS_VERDICT_FAIL, KCS_R_NO_SECURITY_CONTEXT, 0, 0 },
		{ "window", POD_HEAD "'spec':{'os':{'name':'window'},'containers':[{'name':'c'}]}}",
		  KCS_VERDICT_FAIL, KCS_R_NO_SECURITY_CONTEXT, 0, 0 },
		{ "windows with a NUL", POD_HEAD "'spec':{'os':{'name':'windows\\u0000'},'containers':[{'name':'c'}]}}",
		  KCS_VERDICT_FAIL, KCS_R_NO_SECURITY_CONTEXT, 0, 0 },
		{ "os.name at the wrong place (spec.name)", POD_HEAD "'spec':{'name':'windows','containers':[{'name':'c'}]}}",
		  KCS_VERDICT_FAIL, KCS_R_NO_SECURITY_CONTEXT, 0, 0 },
		{ "windows and hostNetwork", POD_HEAD "'spec':{'os':{'name':'windows'},'hostNetwork':true,'containers':[{'name':'c'}]}}",
		  KCS_VERDICT_NOT_APPLICABLE, KCS_R_WINDOWS_POD, KCS_F_HOST_NETWORK, 0 },
	};

	run_ctr_cases(cases, KCS_ARRAY_SIZE(cases));
}

/* Every container kind is read, typed and audited; any FAIL fails the pod. */
Test(reader, container_kinds)
{
	struct kcs_error err = KCS_ERROR_INIT;
	struct rig *g = NULL;
	const struct kcs_pod *pod;

	cr_assert_eq(parse_q(POD_HEAD "'spec':{"
			     "'initContainers':[{'name':'sidecar','restartPolicy':'Always','securityContext':{'capabilities':{'drop':['ALL']}}}],"
			     "'containers':[{'name':'app','securityContext':{'capabilities':{'drop':['ALL']}}}],"
			     "'ephemeralContainers':[{'name':'debug','securityContext':{'capabilities':{'add':['NET_RAW']}}}]}}",
			     &g, &err), KCS_OK, "%s", err.msg);
	pod = &g->t.pods[0].pod;
	cr_assert_eq(pod->n, 3);
	cr_expect_eq(pod->containers[0].type, KCS_CTYPE_INIT);
	cr_expect_eq(pod->containers[1].type, KCS_CTYPE_CONTAINER);
	cr_expect_eq(pod->containers[2].type, KCS_CTYPE_EPHEMERAL);
	cr_expect_eq(pod->containers[2].reason, KCS_R_ADD_NET_RAW);
	/* only the ephemeral container fails, and that fails the pod */
	cr_expect_eq(pod->verdict, KCS_VERDICT_FAIL);
	rig_free(g);

	/* a failing init container fails the pod too */
	cr_assert_eq(parse_q(POD_HEAD "'spec':{"
			     "'initContainers':[{'name':'i','securityContext':{'privileged':true}}],"
			     "'containers':[{'name':'app','securityContext':{'capabilities':{'drop':['ALL']}}}]}}",
			     &g, &err), KCS_OK, "%s", err.msg);
	pod = &g->t.pods[0].pod;
	cr_expect_eq(pod->containers[0].reason, KCS_R_PRIVILEGED);
	cr_expect_eq(pod->verdict, KCS_VERDICT_FAIL);
	rig_free(g);
}

/* Wrong JSON types: MALFORMED container or pod, never a PASS. */
Test(reader, wrong_types)
{
	static const struct {
		const char *why;
		const char *json;
		int pod_level; /* 1: pod MALFORMED, 0: container MALFORMED */
	} cases[] = {
		{ "drop is a string", ONE_CTR(",'securityContext':{'capabilities':{'drop':'ALL'}}"), 0 },
		{ "drop is an object", ONE_CTR(",'securityContext':{'capabilities':{'drop':{'ALL':1}}}"), 0 },
		{ "add is a string", ONE_CTR(",'securityContext':{'capabilities':{'add':'NET_RAW','drop':['ALL']}}"), 0 },
		{ "a number in add", ONE_CTR(",'securityContext':{'capabilities':{'add':[5],'drop':['ALL']}}"), 0 },
		{ "a bool in drop", ONE_CTR(",'securityContext':{'capabilities':{'drop':['ALL',true]}}"), 0 },
		{ "an object in drop", ONE_CTR(",'securityContext':{'capabilities':{'drop':['ALL',{}]}}"), 0 },
		{ "an array in drop", ONE_CTR(",'securityContext':{'capabilities':{'drop':['ALL',['x']]}}"), 0 },
		{ "privileged is a string", ONE_CTR(",'securityContext':{'privileged':'false','capabilities':{'drop':['ALL']}}"), 0 },
		{ "privileged is a number", ONE_CTR(",'securityContext':{'privileged':0,'capabilities':{'drop':['ALL']}}"), 0 },
		{ "capabilities is an array", ONE_CTR(",'securityContext':{'capabilities':[{'drop':['ALL']}]}"), 0 },
		{ "capabilities is a string", ONE_CTR(",'securityContext':{'capabilities':'none'}"), 0 },
		{ "securityContext is an array", ONE_CTR(",'securityContext':[]"), 0 },
		{ "securityContext is true", ONE_CTR(",'securityContext':true"), 0 },
		{ "container name is a number",
		  POD_HEAD "'spec':{'containers':[{'name':5,'securityContext':{'capabilities':{'drop':['ALL']}}}]}}", 0 },
		{ "hostNetwork is a string",
		  POD_HEAD "'spec':{'hostNetwork':'true','containers':[{'name':'c','securityContext':{'capabilities':{'drop':['ALL']}}}]}}", 1 },
		{ "os is a string",
		  POD_HEAD "'spec':{'os':'windows','containers':[{'name':'c','securityContext':{'capabilities':{'drop':['ALL']}}}]}}", 1 },
		{ "os.name is a number",
		  POD_HEAD "'spec':{'os':{'name':1},'containers':[{'name':'c','securityContext':{'capabilities':{'drop':['ALL']}}}]}}", 1 },
		{ "containers is an object",
		  POD_HEAD "'spec':{'containers':{'name':'c','securityContext':{'capabilities':{'drop':['ALL']}}}}}", 1 },
		{ "a container is a string",
		  POD_HEAD "'spec':{'containers':['c']}}", 1 },
		{ "a container is null among good ones",
		  POD_HEAD "'spec':{'containers':[{'name':'c','securityContext':{'capabilities':{'drop':['ALL']}}},null]}}", 1 },
		{ "initContainers is a string",
		  POD_HEAD "'spec':{'initContainers':'x','containers':[{'name':'c','securityContext':{'capabilities':{'drop':['ALL']}}}]}}", 1 },
		{ "spec is an array",
		  "{'kind':'Pod','metadata':{'name':'p','namespace':'n'},'spec':[]}", 1 },
		{ "metadata.name is a number",
		  "{'kind':'Pod','metadata':{'name':1,'namespace':'n'},'spec':{'containers':[{'name':'c','securityContext':{'capabilities':{'drop':['ALL']}}}]}}", 1 },
	};
	size_t i;

	for (i = 0; i < KCS_ARRAY_SIZE(cases); i++) {
		struct kcs_error err = KCS_ERROR_INIT;
		struct rig *g = NULL;
		const struct kcs_pod *pod;

		cr_assert_eq(parse_q(cases[i].json, &g, &err), KCS_OK, "%s: %s",
			     cases[i].why, err.msg);
		cr_assert_eq(g->t.n_pods, 1, "%s", cases[i].why);
		pod = &g->t.pods[0].pod;
		cr_expect_eq(pod->verdict, KCS_VERDICT_FAIL, "%s", cases[i].why);
		if (cases[i].pod_level) {
			cr_expect_eq(pod->reason, KCS_PR_MALFORMED, "%s", cases[i].why);
		} else {
			cr_assert_geq(pod->n, 1, "%s", cases[i].why);
			cr_expect_eq(pod->containers[0].reason, KCS_R_MALFORMED,
				     "%s: %s", cases[i].why,
				     kcs_reason_name(pod->containers[0].reason));
		}
		rig_free(g);
	}
}

/* Build "{'x':" + depth brackets + "}" with `open`/`close` characters. */
static char *nested(size_t levels, char open, char close, size_t *len)
{
	struct kcs_buf b = KCS_BUF_INIT(1 << 20);
	size_t i;
	char *p;

	kcs_buf_addstr(&b, "{\"kind\":\"PodList\",\"x\":");
	for (i = 0; i < levels; i++)
		kcs_buf_addstr(&b, open == '{' ? "{\"a\":" : "[");
	kcs_buf_addstr(&b, "1");
	for (i = 0; i < levels; i++)
		kcs_buf_addch(&b, close);
	kcs_buf_addstr(&b, ",\"items\":[]}");
	p = kcs_buf_detach(&b, len);
	cr_assert(p != NULL);
	return p;
}

/*
 * Nesting: the document object is level 1, so a skipped field may nest 63
 * more levels (64 in all, KCS_JSON_MAX_DEPTH); one more is KCS_ERR_LIMIT.
 */
Test(reader, depth_limit)
{
	static const struct {
		size_t levels;
		enum kcs_err want;
	} cases[] = {
		{ 60, KCS_OK },          /* comfortably inside */
		{ 63, KCS_OK },          /* exactly 64 levels in all */
		{ 64, KCS_ERR_LIMIT },   /* 65 levels: one too many */
		{ 65, KCS_ERR_LIMIT },   /* the brief's case */
		{ 10000, KCS_ERR_LIMIT }, /* hostile: must not recurse or grow */
	};
	size_t i;
	int k;

	for (k = 0; k < 2; k++) {
		for (i = 0; i < KCS_ARRAY_SIZE(cases); i++) {
			struct kcs_error err = KCS_ERROR_INIT;
			size_t len;
			char *doc = nested(cases[i].levels, k ? '{' : '[',
					   k ? '}' : ']', &len);
			char what[64];
			enum kcs_err rc;

			snprintf(what, sizeof(what), "%zu nested %s",
				 cases[i].levels, k ? "objects" : "arrays");
			rc = parse_raw(what, doc, len, NULL, &err);
			cr_expect_eq(rc, cases[i].want, "%s: got %s (%s)", what,
				     kcs_err_name(rc), err.msg);
			if (rc)
				cr_expect_gt(err.offset, 0, "%s: no offset", what);
			free(doc);
		}
	}
}

/* A string of `n` copies of `c`, JSON-escaped as \u00XX if `escaped`. */
static char *repeat(size_t n, char c, int escaped)
{
	char *p = malloc(n * 6 + 1);
	size_t i, o = 0;

	cr_assert(p != NULL);
	for (i = 0; i < n; i++) {
		if (escaped)
			o += (size_t)snprintf(p + o, 7, "\\u%04x", (unsigned char)c);
		else
			p[o++] = c;
	}
	p[o] = '\0';
	return p;
}

static enum kcs_err parse_fmt(const char *fmt, const char *arg,
			      struct rig **rg, struct kcs_error *err)
{
	size_t n = strlen(fmt) + strlen(arg) + 1;
	char *q = malloc(n), *doc;
	const char *at = strstr(fmt, "%s");
	enum kcs_err rc;
	size_t len;

	/* substitute the one "%s" (not printf: fmt is data here) */
	cr_assert(q != NULL && at != NULL);
	snprintf(q, n, "%.*s%s%s", (int)(at - fmt), fmt, arg, at + 2);
	doc = tu_jq(q, &len);
	kcs_error_clear(err);
	rc = check_splits(fmt, doc, len, KCS_HINT_NONE, rg, err);
	free(q);
	free(doc);
	return rc;
}

/* Names up to 253 bytes (decoded) are kept; longer ones are input errors. */
Test(reader, name_limits)
{
	static const struct {
		const char *why;
		const char *fmt;
	} where[] = {
		{ "pod name", "{'kind':'Pod','metadata':{'name':'%s','namespace':'n'},'spec':{'containers':[{'name':'c'}]}}" },
		{ "pod namespace", "{'kind':'Pod','metadata':{'name':'p','namespace':'%s'},'spec':{'containers':[{'name':'c'}]}}" },
		{ "container name", "{'kind':'Pod','metadata':{'name':'p','namespace':'n'},'spec':{'containers':[{'name':'%s'}]}}" },
		{ "namespace name", "{'kind':'Namespace','metadata':{'name':'%s'}}" },
	};
	size_t i;
	int escaped;

	for (i = 0; i < KCS_ARRAY_SIZE(where); i++) {
		for (escaped = 0; escaped < 2; escaped++) {
			struct kcs_error err = KCS_ERROR_INIT;
			struct rig *g = NULL;
			char *ok = repeat(KCS_NAME_MAX, 'x', escaped);
			char *bad = repeat(KCS_NAME_MAX + 1, 'x', escaped);
			enum kcs_err rc;

			rc = parse_fmt(where[i].fmt, ok, &g, &err);
			cr_expect_eq(rc, KCS_OK, "%s of 253 bytes (escaped %d): %s",
				     where[i].why, escaped, err.msg);
			if (!rc && i < 3) {
				const struct kcs_pod *pod = &g->t.pods[0].pod;
				const struct kcs_name *nm =
					i == 0 ? &pod->name : i == 1 ? &pod->ns
					: &pod->containers[0].name;

				cr_expect_eq(nm->len, KCS_NAME_MAX);
				cr_expect_eq(nm->s[0], 'x');
				cr_expect_eq(nm->s[KCS_NAME_MAX - 1], 'x');
			} else if (!rc) {
				cr_expect_eq(g->t.nss[0].name.len, KCS_NAME_MAX);
			}
			rig_free(g);
			g = NULL;
			rc = parse_fmt(where[i].fmt, bad, &g, &err);
			cr_expect_eq(rc, KCS_ERR_LIMIT, "%s of 254 bytes (escaped %d): %s",
				     where[i].why, escaped, kcs_err_name(rc));
			cr_expect_geq(err.offset, 0);
			/* the error never quotes the input */
			cr_expect(strstr(err.msg, "xxxx") == NULL, "%s", err.msg);
			rig_free(g);
			free(ok);
			free(bad);
		}
	}
}

Test(reader, uid_limit)
{
	struct kcs_error err = KCS_ERROR_INIT;
	struct rig *g = NULL;
	char *ok = repeat(KCS_UID_MAX, 'u', 0), *bad = repeat(KCS_UID_MAX + 1, 'u', 0);
	const char *fmt = "{'kind':'Pod','metadata':{'name':'p','namespace':'n','uid':'%s'},'spec':{'containers':[{'name':'c'}]}}";

	cr_assert_eq(parse_fmt(fmt, ok, &g, &err), KCS_OK, "%s", err.msg);
	cr_expect_eq(g->t.pods[0].pod.uid.len, KCS_UID_MAX);
	cr_expect_eq(g->t.pods[0].pod.has_uid, 1);
	rig_free(g);
	cr_expect_eq(parse_fmt(fmt, bad, NULL, &err), KCS_ERR_LIMIT);
	free(ok);
	free(bad);
}

/* PSA label values are at most 63 bytes (the API's limit). */
Test(reader, label_limits)
{
	static const char *const keys[] = {
		"pod-security.kubernetes.io/enforce",
		"pod-security.kubernetes.io/enforce-version",
		"pod-security.kubernetes.io/audit",
		"pod-security.kubernetes.io/audit-version",
		"pod-security.kubernetes.io/warn",
		"pod-security.kubernetes.io/warn-version",
	};
	size_t i;

	for (i = 0; i < KCS_ARRAY_SIZE(keys); i++) {
		struct kcs_error err = KCS_ERROR_INIT;
		struct rig *g = NULL;
		char fmt[512];
		char *ok = repeat(KCS_LABEL_MAX, 'v', 0);
		char *bad = repeat(KCS_LABEL_MAX + 1, 'v', 0);
		const struct kcs_label *got;

		snprintf(fmt, sizeof(fmt),
			 "{'kind':'Namespace','metadata':{'name':'n','labels':{'%s':'%%s'}}}",
			 keys[i]);
		cr_assert_eq(parse_fmt(fmt, ok, &g, &err), KCS_OK, "%s: %s",
			     keys[i], err.msg);
		cr_assert_eq(g->t.n_nss, 1);
		got = i == 0 ? &g->t.nss[0].labels.enforce
		      : i == 1 ? &g->t.nss[0].labels.enforce_version
		      : i == 2 ? &g->t.nss[0].labels.audit
		      : i == 3 ? &g->t.nss[0].labels.audit_version
		      : i == 4 ? &g->t.nss[0].labels.warn
			       : &g->t.nss[0].labels.warn_version;
		cr_expect_eq(got->present, 1, "%s", keys[i]);
		cr_expect_eq(got->len, KCS_LABEL_MAX, "%s", keys[i]);
		rig_free(g);
		cr_expect_eq(parse_fmt(fmt, bad, NULL, &err), KCS_ERR_LIMIT,
			     "%s of 64 bytes", keys[i]);
		free(ok);
		free(bad);
	}
}

/* Labels are read only from a namespace's own metadata.labels. */
Test(reader, labels_read_exactly)
{
	struct kcs_error err = KCS_ERROR_INIT;
	struct rig *g = NULL;
	const struct kcs_psa_labels *l;

	cr_assert_eq(parse_q("{'kind':'NamespaceList','items':[{'metadata':{'name':'a',"
			     "'annotations':{'pod-security.kubernetes.io/enforce':'privileged'},"
			     "'labels':{'pod-security.kubernetes.io/enforce':'restricted',"
			     "'Pod-Security.kubernetes.io/audit':'baseline',"
			     "'pod-security.kubernetes.io/warn':'',"
			     "'pod-security.kubernetes.io/enforce-version':'v1.22'}}},"
			     "{'metadata':{'name':'b','labels':null}}]}", &g, &err),
		     KCS_OK, "%s", err.msg);
	cr_assert_eq(g->t.n_nss, 2);
	l = &g->t.nss[0].labels;
	cr_expect_str_eq(l->enforce.s, "restricted");
	cr_expect_str_eq(l->enforce_version.s, "v1.22");
	/* keys are case-sensitive: a capitalised key is not a PSA label */
	cr_expect_eq(l->audit.present, 0);
	/* an empty value is present (and invalid), not missing */
	cr_expect_eq(l->warn.present, 1);
	cr_expect_eq(l->warn.len, 0);
	/* labels of the previous namespace do not leak into the next */
	cr_expect_eq(g->t.nss[1].labels.enforce.present, 0);
	cr_expect_eq(g->t.nss[1].labels.enforce_version.present, 0);
	rig_free(g);

	/* keys are compared after JSON decoding: an escaped '/' still matches */
	cr_assert_eq(parse_q("{'kind':'Namespace','metadata':{'name':'e','labels':"
			     "{'pod-security.kubernetes.io\\/enforce':'baseline',"
			     "'pod-security.kubernetes.io/enforce\\u002dversion':'v1.2\\u0035'}}}",
			     &g, &err), KCS_OK, "%s", err.msg);
	cr_expect_str_eq(g->t.nss[0].labels.enforce.s, "baseline");
	cr_expect_str_eq(g->t.nss[0].labels.enforce_version.s, "v1.25");
	rig_free(g);

	/* a label of the wrong type is an input error for a namespace */
	cr_expect_eq(parse_q("{'kind':'Namespace','metadata':{'name':'a','labels':{'pod-security.kubernetes.io/enforce':1}}}",
			     NULL, &err), KCS_ERR_PARSE);
	cr_expect_eq(parse_q("{'kind':'Namespace','metadata':{'name':'a','labels':{'pod-security.kubernetes.io/enforce':null}}}",
			     NULL, &err), KCS_ERR_PARSE);
	/* a namespace must have a name */
	cr_expect_eq(parse_q("{'kind':'Namespace','metadata':{'labels':{}}}", NULL, &err),
		     KCS_ERR_PARSE);
}

/* List metadata is captured wherever it appears in the object. */
Test(reader, list_metadata)
{
	static const char *const docs[] = {
		/* metadata before items */
		"{'kind':'PodList','metadata':{'continue':'tok-1','resourceVersion':'4711','remainingItemCount':7},"
		"'items':[{'metadata':{'name':'p','namespace':'n'},'spec':{'containers':[{'name':'c'}]}}]}",
		/* metadata after items */
		"{'kind':'PodList','items':[{'metadata':{'name':'p','namespace':'n'},'spec':{'containers':[{'name':'c'}]}}],"
		"'metadata':{'remainingItemCount':7,'resourceVersion':'4711','continue':'tok-1'}}",
		/* kind last, metadata first */
		"{'metadata':{'continue':'tok-1','resourceVersion':'4711','remainingItemCount':7},"
		"'items':[{'metadata':{'name':'p','namespace':'n'},'spec':{'containers':[{'name':'c'}]}}],'kind':'PodList'}",
	};
	size_t i;

	for (i = 0; i < KCS_ARRAY_SIZE(docs); i++) {
		struct kcs_error err = KCS_ERROR_INIT;
		struct rig *g = NULL;
		size_t len;
		char *doc = tu_jq(docs[i], &len);
		const struct kcs_doc_info *in;

		/* the rig's reader holds the reference run's info */
		cr_assert_eq(parse_raw(docs[i], doc, len, &g, &err), KCS_OK,
			     "%s", err.msg);
		in = kcs_reader_info(g->r);
		cr_expect_str_eq(in->kind, "PodList", "doc %zu", i);
		cr_expect_str_eq(in->continue_token.buf, "tok-1", "doc %zu", i);
		cr_expect_eq(in->continue_token.len, 5);
		cr_expect_str_eq(in->resource_version, "4711", "doc %zu", i);
		cr_expect_eq(in->remaining_items, 7, "doc %zu", i);
		cr_expect_eq(in->is_list, 1);
		cr_expect_eq(in->n_pods, 1);
		cr_expect_eq(g->t.n_pods, 1);
		rig_free(g);
		free(doc);
	}
}

/* A new document starts clean: no stale continue token (endless paging). */
Test(reader, restart_forgets_the_last_page)
{
	struct kcs_error err = KCS_ERROR_INIT;
	struct rig *g = rig_new(KCS_HINT_NONE);
	size_t l1, l2;
	char *p1 = tu_jq("{'kind':'PodList','metadata':{'continue':'next','resourceVersion':'9','remainingItemCount':3},'items':[]}", &l1);
	char *p2 = tu_jq("{'kind':'PodList','metadata':{},'items':[]}", &l2);
	const struct kcs_doc_info *in;

	cr_assert_eq(run_chunk(g, p1, l1, 0, &err), KCS_OK);
	cr_assert_str_eq(kcs_reader_info(g->r)->continue_token.buf, "next");
	cr_assert_eq(run_chunk(g, p2, l2, 0, &err), KCS_OK);
	in = kcs_reader_info(g->r);
	cr_expect_eq(in->continue_token.len, 0);
	cr_expect_str_eq(in->continue_token.buf, "");
	cr_expect_str_eq(in->resource_version, "");
	cr_expect_eq(in->remaining_items, -1);
	cr_expect_eq(kcs_reader_offset(g->r), l2);
	free(p1);
	free(p2);
	rig_free(g);
}

/* The continue token is bounded (KCS_CONTINUE_MAX). */
Test(reader, continue_limit)
{
	struct kcs_error err = KCS_ERROR_INIT;
	struct rig *g = NULL;
	char *ok = repeat(KCS_CONTINUE_MAX, 'c', 0);
	char *bad = repeat(KCS_CONTINUE_MAX + 1, 'c', 0);
	const char *fmt = "{'kind':'PodList','metadata':{'continue':'%s'},'items':[]}";

	cr_assert_eq(parse_fmt(fmt, ok, &g, &err), KCS_OK, "%s", err.msg);
	cr_expect_eq(kcs_reader_info(g->r)->continue_token.len, KCS_CONTINUE_MAX);
	rig_free(g);
	cr_expect_eq(parse_fmt(fmt, bad, NULL, &err), KCS_ERR_LIMIT);
	free(ok);
	free(bad);
}

/* A Status body is captured, and kcs_input_mem reports it as an error. */
Test(reader, status_body)
{
	struct kcs_error err = KCS_ERROR_INIT;
	struct rig *g = NULL;
	const struct kcs_doc_info *in;
	char *longmsg = repeat(3000, 'm', 0);

	cr_assert_eq(parse_q("{'kind':'Status','apiVersion':'v1','metadata':{},'status':'Failure',"
			     "'message':'pods is forbidden','reason':'Forbidden','details':{'kind':'pods'},'code':403}",
			     &g, &err), KCS_ERR_PARSE);
	in = kcs_reader_info(g->r);
	cr_expect_eq(in->status.present, 1);
	cr_expect_eq(in->status.code, 403);
	cr_expect_str_eq(in->status.reason, "Forbidden");
	cr_expect_str_eq(in->status.status, "Failure");
	cr_expect_str_eq(in->status.message, "pods is forbidden");
	cr_expect_eq(g->t.n_pods, 0);
	rig_free(g);

	/* code before kind; an over-long message is cut, not an error */
	cr_assert_eq(parse_fmt("{'code':410,'message':'%s','reason':'Expired','kind':'Status'}",
			       longmsg, &g, &err), KCS_ERR_PARSE);
	in = kcs_reader_info(g->r);
	cr_expect_eq(in->status.present, 1);
	cr_expect_eq(in->status.code, 410);
	cr_expect_str_eq(in->status.reason, "Expired");
	cr_expect_eq(strlen(in->status.message), KCS_STATUS_MSG_MAX);
	rig_free(g);
	free(longmsg);

	/* "status" of a pod (an object) is not a Status body */
	cr_assert_eq(parse_q("{'kind':'Pod','metadata':{'name':'p','namespace':'n'},'status':{'phase':'Running'},"
			     "'spec':{'containers':[{'name':'c'}]}}", &g, &err), KCS_OK, "%s", err.msg);
	cr_expect_eq(kcs_reader_info(g->r)->status.present, 0);
	cr_expect_eq(g->t.n_pods, 1);
	rig_free(g);
}

/* Every proper prefix of a valid document is a PARSE error at its end. */
Test(reader, truncated_everywhere)
{
	struct rig *g = rig_new(KCS_HINT_NONE);
	size_t len, k, last;
	char *data = tu_read_file("testdata/reader/single-pod.json", &len);

	last = (size_t)(strrchr(data, '}') - data);
	for (k = 0; k <= last; k++) {
		struct kcs_error err = KCS_ERROR_INIT;
		enum kcs_err rc = run_chunk(g, data, k, 0, &err);

		cr_assert_eq(rc, KCS_ERR_PARSE, "prefix of %zu bytes: %s", k,
			     kcs_err_name(rc));
		cr_assert_eq(err.offset, (long long)k, "prefix of %zu bytes: offset %lld",
			     k, err.offset);
		cr_assert(strstr(err.msg, "byte") != NULL, "%s", err.msg);
	}
	/* and the whole document parses */
	{
		struct kcs_error err = KCS_ERROR_INIT;

		cr_assert_eq(run_chunk(g, data, len, 0, &err), KCS_OK, "%s", err.msg);
		cr_assert_eq(g->t.n_pods, 1);
	}
	free(data);
	rig_free(g);
}

/* Documents that are not one JSON object: errors with an offset. */
Test(reader, not_one_object)
{
	static const struct {
		const char *why;
		const char *doc;
		long long min_off, max_off; /* where the error may be reported */
	} cases[] = {
		{ "trailing garbage", "{'kind':'PodList','items':[]} x", 29, 32 },
		{ "two documents", "{'kind':'PodList','items':[]}{'kind':'PodList','items':[]}", 29, 31 },
		{ "top-level array", "[{'kind':'Pod','metadata':{'name':'p','namespace':'n'},'spec':{'containers':[]}}]", 0, 1 },
		{ "top-level string", "'PodList'", 0, 9 },
		{ "top-level number", "42", 0, 2 },
		{ "top-level null", "null", 0, 4 },
		{ "top-level true", "true", 0, 4 },
		{ "empty input", "", 0, 0 },
		{ "only whitespace", " \n\t ", 4, 4 },
		{ "truncated", "{'kind':'PodList','items':[", 27, 27 },
		{ "items is an object", "{'kind':'PodList','items':{}}", 0, 27 },
		{ "items is a string", "{'kind':'PodList','items':'x'}", 0, 29 },
		{ "an item is a string", "{'kind':'PodList','items':['x']}", 0, 31 },
		{ "kind is a number", "{'kind':1,'items':[]}", 0, 9 },
		{ "kind is an object", "{'kind':{},'items':[]}", 0, 10 },
		{ "remainingItemCount is a float", "{'kind':'PodList','metadata':{'remainingItemCount':1.5},'items':[]}", 0, 60 },
		{ "remainingItemCount is huge", "{'kind':'PodList','metadata':{'remainingItemCount':1e400},'items':[]}", 0, 60 },
		{ "continue is a number", "{'kind':'PodList','metadata':{'continue':5},'items':[]}", 0, 50 },
		{ "a bare word", "{'kind':PodList}", 0, 16 },
		{ "unterminated string", "{'kind':'PodList", 16, 16 },
		{ "comment", "{/*c*/'kind':'PodList','items':[]}", 0, 6 },
	};
	size_t i;

	for (i = 0; i < KCS_ARRAY_SIZE(cases); i++) {
		struct kcs_error err = KCS_ERROR_INIT;
		enum kcs_err rc = parse_q(cases[i].doc, NULL, &err);

		cr_expect_eq(rc, KCS_ERR_PARSE, "%s: %s", cases[i].why,
			     kcs_err_name(rc));
		cr_expect(err.offset >= cases[i].min_off &&
			  err.offset <= cases[i].max_off,
			  "%s: offset %lld not in [%lld, %lld] (%s)", cases[i].why,
			  err.offset, cases[i].min_off, cases[i].max_off, err.msg);
		cr_expect(strstr(err.msg, "PodList") == NULL,
			  "%s: the message quotes the input: %s", cases[i].why, err.msg);
		/* git-style messages: one line, no full stop */
		cr_expect(strchr(err.msg, '\n') == NULL,
			  "%s: the message has a newline: \"%s\"", cases[i].why, err.msg);
		cr_expect(err.msg[0] && err.msg[strlen(err.msg) - 1] != '.',
			  "%s: the message ends with a full stop: \"%s\"", cases[i].why, err.msg);
	}
}

/* Trailing whitespace is not garbage. */
Test(reader, trailing_whitespace_ok)
{
	struct kcs_error err = KCS_ERROR_INIT;

	cr_expect_eq(parse_q("  {'kind':'PodList','items':[]}\n\r\n\t  ", NULL, &err), KCS_OK,
		     "%s", err.msg);
}

/* Invalid UTF-8 is rejected (reports re-emit names as JSON). */
Test(reader, invalid_utf8)
{
	static const char doc[] =
		"{\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\xff\",\"namespace\":\"n\"},"
		"\"spec\":{\"containers\":[{\"name\":\"c\"}]}}";
	static const char skipped[] =
		"{\"kind\":\"PodList\",\"x\":\"\xc3\x28\",\"items\":[]}";
	struct kcs_error err = KCS_ERROR_INIT;

	cr_expect_eq(parse_raw("invalid UTF-8 in a name", doc, sizeof(doc) - 1,
			       NULL, &err), KCS_ERR_PARSE);
	cr_expect_eq(parse_raw("invalid UTF-8 in a skipped field", skipped,
			       sizeof(skipped) - 1, NULL, &err), KCS_ERR_PARSE);
}

/* Numbers of any size or form are fine where we skip them. */
Test(reader, big_numbers_skipped)
{
	struct kcs_error err = KCS_ERROR_INIT;
	struct rig *g = NULL;

	cr_assert_eq(parse_q("{'kind':'PodList','metadata':{'resourceVersion':'1','x':1e400},"
			     "'items':[{'metadata':{'name':'p','namespace':'n','generation':123456789012345678901234567890},"
			     "'spec':{'priority':-1e-400,'terminationGracePeriodSeconds':1.7976931348623157e309,"
			     "'containers':[{'name':'c','ports':[{'containerPort':99999999999999999999999999999999}],"
			     "'securityContext':{'runAsUser':-0.0e-0,'capabilities':{'drop':['ALL']}}}]}}]}",
			     &g, &err), KCS_OK, "%s", err.msg);
	cr_expect_eq(g->t.n_pods, 1);
	cr_expect_eq(g->t.pods[0].pod.verdict, KCS_VERDICT_PASS);
	rig_free(g);

	/* a Status code that is not an int64 is ignored, not fatal */
	cr_assert_eq(parse_q("{'kind':'Status','code':1e400,'reason':'X'}", &g, &err),
		     KCS_ERR_PARSE);
	cr_expect_eq(kcs_reader_info(g->r)->status.present, 1);
	cr_expect_eq(kcs_reader_info(g->r)->status.code, 0);
	rig_free(g);
}

/* Pod and item state never leaks from one item to the next. */
Test(reader, items_do_not_leak)
{
	struct kcs_error err = KCS_ERROR_INIT;
	struct rig *g = NULL;
	struct kcs_buf b = KCS_BUF_INIT(1 << 20);
	const struct kcs_pod *p;
	char *q;
	size_t len;
	int i;

	/* a wide pod (past the first container-array growth), then small ones */
	kcs_buf_addstr(&b, "{'kind':'PodList','items':[{'metadata':{'name':'wide','namespace':'a','uid':'u1'},"
		       "'spec':{'hostNetwork':true,'containers':[");
	for (i = 0; i < 12; i++)
		kcs_buf_addf(&b, "%s{'name':'c%d','securityContext':{'privileged':true,'capabilities':{'add':['ALL'],'drop':['ALL']}}}",
			     i ? "," : "", i);
	kcs_buf_addstr(&b, "]}},"
		       "{'metadata':{'name':'win','namespace':'b'},'spec':{'os':{'name':'windows'},'containers':[{'name':'w'}]}},"
		       "{'metadata':{'name':'plain','namespace':'c'},'spec':{'containers':[{'name':'x'}]}},"
		       "{'metadata':{'name':'bad','namespace':'d'},'spec':{'hostNetwork':'yes','containers':[{'name':'y','securityContext':{'capabilities':{'drop':'ALL'}}}]}},"
		       "{'metadata':{'name':'after-bad'},'spec':{'containers':[{'name':'z','securityContext':{'capabilities':{}}}]}}"
		       "]}");
	cr_assert_eq(b.err, KCS_OK);
	q = tu_jq(b.buf, &len);
	cr_assert_eq(parse_raw("items_do_not_leak", q, len, &g, &err), KCS_OK, "%s", err.msg);
	cr_assert_eq(g->t.n_pods, 5);

	p = &g->t.pods[0].pod;
	cr_expect_eq(p->n, 12);
	cr_expect_eq(p->containers[11].reason, KCS_R_PRIVILEGED);
	cr_expect_str_eq(p->containers[11].name.s, "c11");
	cr_expect_eq(p->containers[11].flags, KCS_F_HOST_NETWORK);

	p = &g->t.pods[1].pod;
	cr_expect_eq(p->n, 1);
	cr_expect_eq(p->host_network, 0);
	cr_expect_eq(p->has_uid, 0);
	cr_expect_eq(p->verdict, KCS_VERDICT_NOT_APPLICABLE);

	p = &g->t.pods[2].pod;
	cr_expect_eq(p->n, 1);
	cr_expect_eq(p->windows, 0);
	cr_expect_str_eq(p->ns.s, "c");
	cr_expect_eq(p->containers[0].has_sc, 0);
	cr_expect_eq(p->containers[0].privileged, 0);
	cr_expect_eq(p->containers[0].add, 0);
	cr_expect_eq(p->containers[0].drop, 0);
	cr_expect_eq(p->containers[0].reason, KCS_R_NO_SECURITY_CONTEXT);
	cr_expect_eq(p->containers[0].flags, 0);

	p = &g->t.pods[3].pod;
	cr_expect_eq(p->reason, KCS_PR_MALFORMED);
	cr_expect_eq(p->containers[0].reason, KCS_R_MALFORMED);

	/* no namespace key: empty, not the previous pod's */
	p = &g->t.pods[4].pod;
	cr_expect_eq(p->ns.len, 0);
	cr_expect_eq(p->malformed, 0);
	cr_expect_eq(p->reason, KCS_PR_NONE);
	cr_expect_eq(p->containers[0].malformed, 0);
	cr_expect_eq(p->containers[0].reason, KCS_R_NO_MATCHING_DROP);
	free(q);
	kcs_buf_release(&b);
	rig_free(g);
}

/* A List skips other kinds, remembering up to 8 distinct kind names. */
Test(reader, skipped_kinds)
{
	struct kcs_error err = KCS_ERROR_INIT;
	struct rig *g = NULL;
	struct kcs_buf b = KCS_BUF_INIT(1 << 20);
	const struct kcs_doc_info *in;
	char *q;
	size_t len;
	int i;

	kcs_buf_addstr(&b, "{'kind':'List','items':[");
	for (i = 0; i < 12; i++)
		kcs_buf_addf(&b, "{'kind':'Kind%d','metadata':{'name':'x'},'spec':{'containers':[{'name':'c'}]}},"
			     "{'kind':'Kind%d','metadata':{'name':'y'}},", i, i);
	kcs_buf_addstr(&b, "{'kind':'Pod','metadata':{'name':'p','namespace':'n'},'spec':{'containers':[{'name':'c'}]}},"
		       "{'kind':'Namespace','metadata':{'name':'n'}}]}");
	q = tu_jq(b.buf, &len);
	cr_assert_eq(parse_raw("skipped_kinds", q, len, &g, &err), KCS_OK, "%s", err.msg);
	in = kcs_reader_info(g->r);
	cr_expect_eq(in->n_skipped, 24);
	cr_expect_eq(in->n_skipped_kinds, KCS_SKIPPED_KINDS_MAX);
	cr_expect_str_eq(in->skipped_kinds[0], "Kind0");
	cr_expect_str_eq(in->skipped_kinds[7], "Kind7");
	cr_expect_eq(in->n_pods, 1);
	cr_expect_eq(in->n_namespaces, 1);
	cr_expect_eq(g->t.n_pods, 1);
	cr_expect_eq(g->t.n_nss, 1);
	free(q);
	kcs_buf_release(&b);
	rig_free(g);
}

/* A callback's error stops the parse at once, with its code and an offset. */
Test(reader, callback_error_stops)
{
	struct rig *g = rig_new(KCS_HINT_NONE);
	struct kcs_error err = KCS_ERROR_INIT;
	size_t len;
	char *q = tu_jq("{'kind':'PodList','items':["
		     "{'metadata':{'name':'p1','namespace':'n'},'spec':{'containers':[{'name':'c'}]}},"
		     "{'metadata':{'name':'p2','namespace':'n'},'spec':{'containers':[{'name':'c'}]}},"
		     "{'metadata':{'name':'p3','namespace':'n'},'spec':{'containers':[{'name':'c'}]}}]}", &len);
	size_t chunk;

	for (chunk = 0; chunk <= 7; chunk++) {
		enum kcs_err rc;

		g->t.fail_at = 2;
		g->t.fail_rc = KCS_ERR_LIMIT;
		rc = run_chunk(g, q, len, chunk, &err);
		cr_expect_eq(rc, KCS_ERR_LIMIT, "chunk %zu: %s", chunk, kcs_err_name(rc));
		cr_expect_eq(err.code, KCS_ERR_LIMIT);
		cr_expect_eq(g->t.n_pods, 2, "chunk %zu: on_pod called %zu times",
			     chunk, g->t.n_pods);
		cr_expect_gt(err.offset, 0);
		cr_expect_lt(err.offset, (long long)len);
		cr_expect(strstr(err.msg, "test callback says stop") != NULL, "%s", err.msg);
		/* a failed reader refuses more input until restarted */
		cr_expect_eq(kcs_reader_feed(g->r, "{", 1, NULL), KCS_ERR_INTERNAL);
		cr_expect_eq(kcs_reader_finish(g->r, NULL), KCS_ERR_INTERNAL);
	}
	/* after a restart it reads normally again */
	g->t.fail_at = 0;
	cr_expect_eq(run_chunk(g, q, len, 3, &err), KCS_OK, "%s", err.msg);
	cr_expect_eq(g->t.n_pods, 3);
	free(q);
	rig_free(g);
}

/* Items without a kind of their own: the list kind or the hint decides. */
Test(reader, hints)
{
	struct kcs_error err = KCS_ERROR_INIT;
	struct rig *g;
	size_t len;
	/* a PartialObjectMetadataList of namespaces has no pod fields */
	char *q = tu_jq("{'kind':'PartialObjectMetadataList','items':[{'metadata':{'name':'a'}}]}", &len);

	g = rig_new(KCS_HINT_NAMESPACES);
	cr_expect_eq(run_chunk(g, q, len, 0, &err), KCS_OK, "%s", err.msg);
	cr_expect_eq(g->t.n_nss, 1);
	rig_free(g);
	g = rig_new(KCS_HINT_PODS);
	cr_expect_eq(run_chunk(g, q, len, 0, &err), KCS_OK, "%s", err.msg);
	cr_expect_eq(g->t.n_nss, 0);
	cr_expect_eq(kcs_reader_info(g->r)->n_skipped, 1);
	rig_free(g);
	free(q);

	/* a bare pod without kind: its containers say what it is */
	g = rig_new(KCS_HINT_NONE);
	q = tu_jq("{'metadata':{'name':'p','namespace':'n'},'spec':{'containers':[{'name':'c'}]}}", &len);
	cr_expect_eq(run_chunk(g, q, len, 0, &err), KCS_OK, "%s", err.msg);
	cr_expect_eq(g->t.n_pods, 1);
	free(q);
	rig_free(g);
}

/*
 * 2026-11-23: one string longer than KCS_JSON_MAX_STRING is refused once
 * yajl has to buffer more than that, whatever the split (for chunks up to
 * 64 KiB, as files and libcurl feed the reader), and the error names a byte
 * offset just past the limit, within one chunk of where it was crossed; a
 * string just under the limit is fine.
 */
static char *long_string_doc(size_t n, size_t *len)
{
	static const char head[] =
		"{\"kind\":\"PodList\",\"items\":[{\"metadata\":{\"name\":\"p\","
		"\"namespace\":\"n\",\"annotations\":{\"a\":\"";
	static const char tail[] =
		"\"}},\"spec\":{\"containers\":[{\"name\":\"c\"}]}}]}";
	char *d = malloc(sizeof(head) + n + sizeof(tail));

	cr_assert_not_null(d);
	memcpy(d, head, sizeof(head) - 1);
	memset(d + sizeof(head) - 1, 'x', n);
	memcpy(d + sizeof(head) - 1 + n, tail, sizeof(tail));
	*len = sizeof(head) - 1 + n + sizeof(tail) - 1;
	return d;
}

Test(reader, string_length_limit)
{
	static const size_t chunks[] = { 1000, 4096, 16384, 65536 };
	struct kcs_reader *r = kcs_reader_new(NULL, KCS_HINT_NONE);
	size_t len, i;
	/* yajl's buffer also holds the quotes and a NUL */
	char *ok = long_string_doc(KCS_JSON_MAX_STRING - 16, &len);
	char *bad;

	cr_assert_not_null(r);
	for (i = 0; i < KCS_ARRAY_SIZE(chunks); i++) {
		struct kcs_error err = KCS_ERROR_INIT;

		cr_expect_eq(kcs_input_mem(r, ok, len, chunks[i], &err), KCS_OK,
			     "chunk %zu: %s", chunks[i], err.msg);
		cr_expect_eq(kcs_reader_info(r)->n_pods, 1);
	}
	free(ok);
	bad = long_string_doc(KCS_JSON_MAX_STRING + 1, &len);
	for (i = 0; i < KCS_ARRAY_SIZE(chunks); i++) {
		struct kcs_error err = KCS_ERROR_INIT;

		cr_expect_eq(kcs_input_mem(r, bad, len, chunks[i], &err),
			     KCS_ERR_LIMIT, "chunk %zu", chunks[i]);
		cr_expect(strstr(err.msg, "string longer than") != NULL, "%s", err.msg);
		/* the string starts ~90 bytes in: past the limit, within a chunk */
		cr_expect_gt(err.offset, (long long)KCS_JSON_MAX_STRING,
			     "chunk %zu: offset %lld", chunks[i], err.offset);
		cr_expect_leq(err.offset, (long long)(KCS_JSON_MAX_STRING + 200 + chunks[i]),
			      "chunk %zu: offset %lld", chunks[i], err.offset);
	}
	free(bad);
	kcs_reader_free(r);
}

/* ---- fields for workloads, runtimes and remediation (issue 7) -------- */

/* The controller ownerReference, nodeName, runtimeClassName, os, has_drop. */
Test(reader, pod_context_fields)
{
	struct kcs_error err = KCS_ERROR_INIT;
	struct rig *g = NULL;
	const struct kcs_pod *pod;

	cr_assert_eq(parse_q("{'kind':'Pod','metadata':{'name':'web-1','namespace':'a',"
			     "'ownerReferences':[{'kind':'Node','name':'n0','uid':'u0'},"
			     "{'apiVersion':'apps/v1','kind':'ReplicaSet','name':'web-5d4f','uid':'u1','controller':true}]},"
			     "'spec':{'nodeName':'node-3','runtimeClassName':'gvisor','os':{'name':'linux'},"
			     "'containers':[{'name':'a','securityContext':{'capabilities':{'drop':[]}}},"
			     "{'name':'b','securityContext':{'capabilities':{}}}]}}",
			     &g, &err), KCS_OK, "%s", err.msg);
	pod = &g->t.pods[0].pod;
	cr_expect(pod->owner.present);
	cr_expect_str_eq(pod->owner.kind, "ReplicaSet");
	cr_expect_str_eq(pod->owner.name.s, "web-5d4f");
	cr_expect_str_eq(pod->owner.uid.s, "u1");
	cr_expect_str_eq(pod->node_name.s, "node-3");
	cr_expect_str_eq(pod->runtime_class.s, "gvisor");
	cr_expect(pod->os_set);
	cr_expect_eq(pod->containers[0].has_drop, 1);
	cr_expect_eq(pod->containers[1].has_drop, 0);
	cr_expect_eq(pod->containers[1].index, 1);
	cr_expect_null(pod->source.file);
	rig_free(g);

	/* no controller: no owner; a repeated list replaces the first */
	cr_assert_eq(parse_q("{'kind':'Pod','metadata':{'name':'p','namespace':'a',"
			     "'ownerReferences':[{'kind':'ReplicaSet','name':'x','controller':true}],"
			     "'ownerReferences':[{'kind':'ReplicaSet','name':'y','controller':false}]},"
			     "'spec':{'containers':[{'name':'c'}]}}",
			     &g, &err), KCS_OK, "%s", err.msg);
	pod = &g->t.pods[0].pod;
	cr_expect_not(pod->owner.present);
	cr_expect_not(pod->os_set);
	rig_free(g);
}

/* Workloads are audited as the pod their template makes. */
Test(reader, workload_templates)
{
	struct kcs_error err = KCS_ERROR_INIT;
	struct rig *g = NULL;
	const struct kcs_pod *pod;

	cr_assert_eq(parse_q("{'apiVersion':'v1','kind':'List','items':["
			     "{'kind':'Deployment','metadata':{'name':'web','namespace':'shop',"
			     "'annotations':{'kubecapscan.io/exempt-net-raw':'not for pods'}},"
			     "'spec':{'template':{'metadata':{'labels':{'a':'b'}},'spec':{"
			     "'initContainers':[{'name':'i','securityContext':{'capabilities':{'drop':['ALL']}}}],"
			     "'containers':[{'name':'a','securityContext':{'capabilities':{'drop':['ALL']}}},"
			     "{'name':'b'}]}}}},"
			     "{'kind':'CronJob','metadata':{'name':'backup','namespace':'db'},"
			     "'spec':{'jobTemplate':{'metadata':{'annotations':{'kubecapscan.io/exempt-net-raw':'job, not pod'}},"
			     "'spec':{'template':{'metadata':{'annotations':{'kubecapscan.io/exempt-net-raw':'pod'}},"
			     "'spec':{'containers':[{'name':'dump','securityContext':{'privileged':true}}]}}}}}},"
			     "{'kind':'PodTemplate','metadata':{'name':'pt','namespace':'x'},"
			     "'template':{'spec':{'containers':[{'name':'c','securityContext':{'capabilities':{'drop':['NET_RAW']}}}]}}},"
			     "{'kind':'Pod','metadata':{'name':'p','namespace':'x'},"
			     "'spec':{'containers':[{'name':'ok','securityContext':{'capabilities':{'drop':['ALL']}}}],"
			     "'template':{'spec':{'containers':[{'name':'ghost'}]}}}}"
			     "]}",
			     &g, &err), KCS_OK, "%s", err.msg);
	cr_assert_eq(g->t.n_pods, 4);
	pod = &g->t.pods[0].pod;
	cr_expect_str_eq(pod->source.kind, "Deployment");
	cr_expect_str_eq(pod->source.name.s, "web");
	cr_expect_str_eq(pod->name.s, "web");
	cr_expect_str_eq(pod->ns.s, "shop");
	cr_expect_eq(pod->n, 3);
	cr_expect_eq(pod->containers[2].index, 1);
	cr_expect_eq(pod->containers[2].reason, KCS_R_NO_SECURITY_CONTEXT);
	cr_expect_eq(pod->verdict, KCS_VERDICT_FAIL);
	/* the Deployment's own annotation does not reach its pods */
	cr_expect_not(pod->has_exempt_annotation);

	pod = &g->t.pods[1].pod;
	cr_expect_str_eq(pod->source.kind, "CronJob");
	cr_expect_eq(pod->containers[0].reason, KCS_R_PRIVILEGED);
	cr_expect(pod->has_exempt_annotation);
	cr_expect_str_eq(pod->exempt_annotation, "pod");

	pod = &g->t.pods[2].pod;
	cr_expect_str_eq(pod->source.kind, "PodTemplate");
	cr_expect_eq(pod->verdict, KCS_VERDICT_PASS);

	/* a Pod's spec.template is not the API's: never read */
	pod = &g->t.pods[3].pod;
	cr_expect_str_eq(pod->source.kind, "");
	cr_expect_eq(pod->n, 1);
	cr_expect_eq(pod->verdict, KCS_VERDICT_PASS);
	rig_free(g);

	/* a list kind names the items' kind */
	cr_assert_eq(parse_q("{'kind':'DaemonSetList','items':[{'metadata':{'name':'ds','namespace':'k'},"
			     "'spec':{'template':{'spec':{'containers':[{'name':'c'}]}}}}]}",
			     &g, &err), KCS_OK, "%s", err.msg);
	cr_assert_eq(g->t.n_pods, 1);
	cr_expect_str_eq(g->t.pods[0].pod.source.kind, "DaemonSet");
	rig_free(g);
}
