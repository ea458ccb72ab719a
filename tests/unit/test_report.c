/*
 * test_report.c - the scan (scan.c) and its table and JSON reports
 * (report_table.c, report_json.c).
 *
 * Golden files: testdata/golden/demo.table.golden and demo.json.golden are
 * the reports of the demo cluster (testdata/demo/namespaces.json then
 * pods.json) with fixed start and finish times. To rewrite them after an
 * intended change, run this test with KCS_UPDATE_GOLDEN=1 in the
 * environment, then review the diff by eye before committing:
 *
 *   KCS_UPDATE_GOLDEN=1 ./build/tests/test_report --filter 'report/golden*'
 *
 * The JSON golden is also checked against the independent oracle
 * testdata/demo/expected.json, so a golden file rewritten from wrong output
 * still fails.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <criterion/criterion.h>
#include <yajl/yajl_parse.h>

#include "kcs/buf.h"
#include "kcs/input.h"
#include "kcs/report.h"
#include "kcs/scan.h"
#include "kcs/version.h"
#include "testutil.h"

/* 2025-06-02T10:00:00Z and five seconds later. */
#define T_START 1748858400
#define T_END 1748858405

/* ---- a scan with both reports on memory streams -------------------- */

struct rig {
	struct kcs_scan *scan;
	struct kcs_reader *reader;
	FILE *tf, *jf;
	char *table, *json;
	size_t table_len, json_len;
};

static void rig_open(struct rig *g, const struct kcs_psa_default *def)
{
	struct kcs_error err = KCS_ERROR_INIT;
	struct kcs_report *rep;
	struct kcs_reader_cbs cbs;

	memset(g, 0, sizeof(*g));
	g->scan = kcs_scan_new(def);
	cr_assert_not_null(g->scan);
	g->tf = open_memstream(&g->table, &g->table_len);
	g->jf = open_memstream(&g->json, &g->json_len);
	cr_assert(g->tf && g->jf);
	rep = kcs_report_table_new(g->tf);
	cr_assert_not_null(rep);
	cr_assert_eq(kcs_scan_attach_report(g->scan, rep, &err), KCS_OK);
	rep = kcs_report_json_new(g->jf);
	cr_assert_not_null(rep);
	cr_assert_eq(kcs_scan_attach_report(g->scan, rep, &err), KCS_OK);
	cbs = kcs_scan_reader_cbs(g->scan);
	g->reader = kcs_reader_new(&cbs, KCS_HINT_NONE);
	cr_assert_not_null(g->reader);
	kcs_scan_set_times(g->scan, T_START, T_END);
	cr_assert_eq(kcs_scan_begin(g->scan, &err), KCS_OK);
}

static void rig_feed_file(struct rig *g, const char *rel)
{
	struct kcs_error err = KCS_ERROR_INIT;
	size_t len;
	char *data = tu_read_file(rel, &len);

	cr_assert_eq(kcs_input_mem(g->reader, data, len, 0, &err), KCS_OK,
		     "%s: %s", rel, err.msg);
	kcs_scan_note_skipped(g->scan, kcs_reader_info(g->reader));
	free(data);
}

static void rig_feed_q(struct rig *g, const char *q)
{
	struct kcs_error err = KCS_ERROR_INIT;
	size_t i, len = strlen(q);
	char *d = malloc(len + 1);

	cr_assert_not_null(d);
	for (i = 0; i <= len; i++)
		d[i] = q[i] == '\'' ? '"' : q[i];
	cr_assert_eq(kcs_input_mem(g->reader, d, len, 0, &err), KCS_OK, "%s", err.msg);
	kcs_scan_note_skipped(g->scan, kcs_reader_info(g->reader));
	free(d);
}

/* Finish the scan and close the streams; the reports are then in g. */
static enum kcs_err rig_finish(struct rig *g, const struct kcs_source *src,
			       int complete)
{
	struct kcs_error err = KCS_ERROR_INIT;
	enum kcs_err rc = kcs_scan_finish(g->scan, src, complete, &err);

	cr_assert_eq(fclose(g->tf), 0);
	cr_assert_eq(fclose(g->jf), 0);
	g->tf = g->jf = NULL;
	return rc;
}

static void rig_close(struct rig *g)
{
	kcs_reader_free(g->reader);
	kcs_scan_free(g->scan);
	free(g->table);
	free(g->json);
}

/* ---- JSON flattening (validity and field checks) -------------------- */

struct lines {
	char **v;
	size_t n, cap;
};

static void lines_add(struct lines *l, const char *s)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 256;
		l->v = realloc(l->v, l->cap * sizeof(*l->v));
		cr_assert_not_null(l->v);
	}
	l->v[l->n] = strdup(s);
	cr_assert_not_null(l->v[l->n]);
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

static int lines_has(const struct lines *l, const char *s)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (!strcmp(l->v[i], s))
			return 1;
	return 0;
}

#define FLAT_DEPTH 64

struct flat {
	struct lines *out;
	char path[4096];
	size_t plen;
	int depth;
	size_t saved[FLAT_DEPTH];
	int is_array[FLAT_DEPTH];
	long idx[FLAT_DEPTH];
	char key[1024];
};

/* Bytes outside printable ASCII (and path syntax) as \xHH. */
static void flat_esc(char *dst, size_t size, const unsigned char *s, size_t len)
{
	size_t i, o = 0;

	for (i = 0; i < len && o + 5 < size; i++) {
		if (s[i] > 0x20 && s[i] < 0x7f && !strchr("\\\"=.[]#", s[i]))
			dst[o++] = (char)s[i];
		else
			o += (size_t)snprintf(dst + o, size - o, "\\x%02x", s[i]);
	}
	dst[o] = '\0';
}

static size_t flat_begin(struct flat *f)
{
	size_t old = f->plen;
	int d = f->depth - 1;

	if (d >= 0 && f->is_array[d])
		f->plen += (size_t)snprintf(f->path + f->plen, sizeof(f->path) - f->plen,
					    "[%ld]", f->idx[d]);
	else if (d >= 0)
		f->plen += (size_t)snprintf(f->path + f->plen, sizeof(f->path) - f->plen,
					    ".%s", f->key);
	cr_assert_lt(f->plen, sizeof(f->path) - 1);
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
	char line[4096 + 600];

	snprintf(line, sizeof(line), "%s=%s", f->path, val);
	lines_add(f->out, line);
	flat_done(f, old);
	return 1;
}

static int fl_null(void *ctx) { return flat_scalar(ctx, "null"); }
static int fl_bool(void *ctx, int b) { return flat_scalar(ctx, b ? "true" : "false"); }

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

	cr_assert_lt(f->depth, FLAT_DEPTH);
	f->saved[f->depth] = old;
	f->is_array[f->depth] = is_array;
	f->idx[f->depth] = 0;
	f->depth++;
	return 1;
}

static int fl_close(void *ctx)
{
	struct flat *f = ctx;
	char line[4096 + 64];
	int d = --f->depth;

	snprintf(line, sizeof(line), "%s#%s=%ld", f->path,
		 f->is_array[d] ? "len" : "keys", f->idx[d]);
	lines_add(f->out, line);
	flat_done(f, f->saved[d]);
	return 1;
}

static int fl_start_map(void *ctx) { return fl_open(ctx, 0); }
static int fl_start_array(void *ctx) { return fl_open(ctx, 1); }

static int fl_key(void *ctx, const unsigned char *k, size_t len)
{
	struct flat *f = ctx;

	flat_esc(f->key, sizeof(f->key), k, len);
	return 1;
}

/* Parse with yajl callbacks; fails the test if it is not one JSON value. */
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
		.yajl_end_map = fl_close,
		.yajl_start_array = fl_start_array,
		.yajl_end_array = fl_close,
	};
	struct flat *f = calloc(1, sizeof(*f));
	yajl_handle h;
	yajl_status st;

	cr_assert_not_null(f);
	f->out = out;
	h = yajl_alloc(&cbs, NULL, f);
	cr_assert_not_null(h);
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

/* ---- golden files ---------------------------------------------------- */


static const char *const demo_files[] = {
	"testdata/demo/namespaces.json",
	"testdata/demo/pods.json",
};

static void run_demo(struct rig *g)
{
	struct kcs_source src = { 0 };

	rig_open(g, NULL);
	rig_feed_file(g, demo_files[0]);
	rig_feed_file(g, demo_files[1]);
	src.kind = KCS_SOURCE_FILE;
	src.files = demo_files;
	src.n_files = 2;
	cr_assert_eq(rig_finish(g, &src, 1), KCS_OK);
}

Test(report, golden_table)
{
	struct rig g;

	run_demo(&g);
	tu_check_golden("testdata/golden/demo.table.golden", g.table, g.table_len);
	rig_close(&g);
}

/* The tool's version is masked, so a release does not churn the golden. */
#define VERSION_FIELD "\"version\": \""
#define VERSION_MASK VERSION_FIELD "@KCS_VERSION@\""

Test(report, golden_json)
{
	struct kcs_buf b = KCS_BUF_INIT(1 << 24);
	const char *want = VERSION_FIELD KCS_VERSION "\"";
	char *at;
	struct rig g;

	run_demo(&g);
	at = strstr(g.json, want);
	cr_assert_not_null(at, "no tool version %s in the JSON report", KCS_VERSION);
	cr_assert_eq(kcs_buf_add(&b, g.json, (size_t)(at - g.json)), KCS_OK);
	cr_assert_eq(kcs_buf_addstr(&b, VERSION_MASK), KCS_OK);
	cr_assert_eq(kcs_buf_addstr(&b, at + strlen(want)), KCS_OK);
	tu_check_golden("testdata/golden/demo.json.golden", b.buf, b.len);
	kcs_buf_release(&b);
	rig_close(&g);
}

/*
 * The JSON report agrees with the hand-checked oracle on every field the
 * oracle has (pods, containers, namespaces, summary), in order.
 */
Test(report, json_matches_demo_oracle)
{
	struct lines want = { 0 }, got = { 0 };
	struct rig g;
	size_t len, i;
	char *oracle = tu_read_file("testdata/demo/expected.json", &len);

	run_demo(&g);
	flatten("demo/expected.json", oracle, len, &want);
	flatten("the JSON report", g.json, g.json_len, &got);
	for (i = 0; i < want.n; i++) {
		/* the report's objects have more keys than the oracle's */
		if (strstr(want.v[i], "#keys="))
			continue;
		cr_expect(lines_has(&got, want.v[i]), "the JSON report lacks %s", want.v[i]);
	}
	/* and the schema's fixed parts */
	cr_expect(lines_has(&got, ".schemaVersion=\"kubecapscan/v1\""));
	cr_expect(lines_has(&got, ".tool.name=\"kubecapscan\""));
	cr_expect(lines_has(&got, ".control.id=\"5\\x2e2\\x2e8\""));
	cr_expect(lines_has(&got, ".control.benchmark=\"CIS\\x20Kubernetes\\x20Benchmark\""));
	cr_expect(lines_has(&got, ".startedAt=\"2025-06-02T10:00:00Z\""));
	cr_expect(lines_has(&got, ".finishedAt=\"2025-06-02T10:00:05Z\""));
	cr_expect(lines_has(&got, ".source.kind=\"file\""));
	cr_expect(lines_has(&got, ".source.files[0]=\"testdata/demo/namespaces\\x2ejson\""));
	cr_expect(lines_has(&got, ".source.files[1]=\"testdata/demo/pods\\x2ejson\""));
	cr_expect(lines_has(&got, ".source.files#len=2"));
	cr_expect(lines_has(&got, ".complete=true"));
	cr_expect(lines_has(&got, ".errors#len=0"));
	free(oracle);
	lines_free(&want);
	lines_free(&got);
	rig_close(&g);
}

/*
 * Every failing container appears in the table, grouped by workload: the
 * pod counts of the container and pod rows ("  TYPE NAME VERDICT REASON
 * N pods") add up to the failing containers of the JSON report.
 */
Test(report, table_lists_exactly_the_failing_containers)
{
	struct lines got = { 0 };
	struct rig g;
	size_t i, fails = 0, rows = 0, lines = 0;
	const char *p;

	run_demo(&g);
	flatten("the JSON report", g.json, g.json_len, &got);
	for (i = 0; i < got.n; i++)
		if (strstr(got.v[i], ".containers[") && strstr(got.v[i], "].verdict=\"FAIL\""))
			fails++;
	for (i = 0; i < got.n; i++)
		if (strstr(got.v[i], ".reason=\"NO_CONTAINERS\"") ||
		    (strncmp(got.v[i], ".pods[", 6) == 0 && strstr(got.v[i], "].reason=\"MALFORMED\"") &&
		     !strstr(got.v[i], "containers")))
			fails++;
	/* lines between the header and the blank line before NAMESPACES */
	p = strstr(g.table, "FAILING CONTAINERS\nNAMESPACE");
	cr_assert_not_null(p, "no failing-containers header");
	p = strchr(p + 19, '\n') + 1;
	while (*p && *p != '\n') {
		const char *eol = strchr(p, '\n'), *w;

		cr_assert_not_null(eol);
		/* a row: two spaces, then its type; sub-lines are deeper */
		if (p[0] == ' ' && p[1] == ' ' && p[2] != ' ') {
			for (w = eol; w > p && w[-1] != ' '; w--)
				;
			cr_assert(!strncmp(w, "pod", 3), "row without pods: %.*s",
				  (int)(eol - p), p);
			while (w > p && w[-1] == ' ')
				w--;
			while (w > p && w[-1] >= '0' && w[-1] <= '9')
				w--;
			rows += strtoul(w, NULL, 10);
			lines++;
		}
		p = eol + 1;
	}
	cr_expect_eq(rows, fails, "table rows count %zu pods, failing containers %zu",
		     rows, fails);
	cr_expect_gt(lines, 10);
	cr_expect_lt(lines, fails, "the pods of a template are one row");
	lines_free(&got);
	rig_close(&g);
}

/* ---- escaping of hostile names ------------------------------------- */

static void set_name(struct kcs_name *n, const char *s, size_t len)
{
	cr_assert_leq(len, KCS_NAME_MAX);
	memcpy(n->s, s, len);
	n->s[len] = '\0';
	n->len = len;
}

Test(report, hostile_names_are_escaped)
{
	static const char pod_name[] = "a\0b\x01" "c\x1b[31mred\x7f\n" "fake row\\x00\xc3\xa9";
	static const char ctr_name[] = "tab\there\r";
	static const char ns_name[] = "ns\x1b]0;title\x07";
	struct kcs_error err = KCS_ERROR_INIT;
	struct kcs_pod pod;
	struct kcs_container *c;
	struct kcs_nsobj ns;
	struct lines got = { 0 };
	struct rig g;
	size_t i;

	rig_open(&g, NULL);
	kcs_pod_init(&pod);
	set_name(&pod.name, pod_name, sizeof(pod_name) - 1);
	set_name(&pod.ns, ns_name, sizeof(ns_name) - 1);
	c = kcs_pod_add_container(&pod, KCS_CTYPE_CONTAINER, &err);
	cr_assert_not_null(c);
	set_name(&c->name, ctr_name, sizeof(ctr_name) - 1);
	kcs_audit_pod(&pod);
	cr_assert_eq(pod.verdict, KCS_VERDICT_FAIL);
	cr_assert_eq(kcs_scan_pod(&pod, g.scan, &err), KCS_OK);
	memset(&ns, 0, sizeof(ns));
	set_name(&ns.name, ns_name, sizeof(ns_name) - 1);
	cr_assert_eq(kcs_scan_namespace(&ns, g.scan, &err), KCS_OK);
	cr_assert_eq(rig_finish(&g, NULL, 1), KCS_OK);

	/* JSON: valid, and the names decode back to the very same bytes */
	flatten("the JSON report", g.json, g.json_len, &got);
	cr_expect(lines_has(&got, ".pods[0].name=\"a\\x00b\\x01c\\x1b\\x5b31mred\\x7f\\x0afake\\x20row\\x5cx00\\xc3\\xa9\""),
		  "pod name not round-tripped");
	cr_expect(lines_has(&got, ".pods[0].containers[0].name=\"tab\\x09here\\x0d\""));
	cr_expect(lines_has(&got, ".pods[0].namespace=\"ns\\x1b\\x5d0;title\\x07\""));
	cr_expect(lines_has(&got, ".namespaces[0].name=\"ns\\x1b\\x5d0;title\\x07\""));
	cr_expect_not_null(memmem(g.json, g.json_len, "a\\u0000b\\u0001c\\u001", 19),
			   "NUL and control bytes not \\u-escaped in JSON");
	/* no raw control byte in the JSON text (newlines of the layout aside) */
	for (i = 0; i < g.json_len; i++)
		cr_expect((unsigned char)g.json[i] >= 0x20 || g.json[i] == '\n',
			  "raw byte %#x at %zu in the JSON report", (unsigned char)g.json[i], i);

	/* table: only printable ASCII and newlines, names escaped */
	for (i = 0; i < g.table_len; i++) {
		unsigned char ch = (unsigned char)g.table[i];

		cr_assert((ch >= 0x20 && ch < 0x7f) || ch == '\n',
			  "raw byte %#x at %zu in the table", ch, i);
	}
	cr_expect_not_null(strstr(g.table, "a\\x00b\\x01c\\x1b[31mred\\x7f\\x0afake row\\\\x00\\xc3\\xa9"),
			   "pod name not escaped in the table:\n%s", g.table);
	cr_expect_not_null(strstr(g.table, "tab\\x09here\\x0d"));
	cr_expect_not_null(strstr(g.table, "ns\\x1b]0;title\\x07"));
	/* the newline in the name did not start a row: one failing row only */
	cr_expect_eq(memmem(g.table, g.table_len, "\nfake row", 9), NULL);
	lines_free(&got);
	kcs_pod_release(&pod);
	rig_close(&g);
}

/* ---- small scans ------------------------------------------------------ */

Test(report, zero_pods)
{
	struct lines got = { 0 };
	struct rig g;
	struct kcs_source src = { 0 };

	rig_open(&g, NULL);
	src.kind = KCS_SOURCE_FILE;
	cr_assert_eq(rig_finish(&g, &src, 1), KCS_OK);
	cr_expect_str_eq(g.table,
			 "FAILING CONTAINERS\n"
			 "(none)\n"
			 "\n"
			 "NAMESPACES\n"
			 "NAMESPACE           VERDICT PODS  FAILING ENFORCE             REASON\n"
			 "(none)\n"
			 "\n"
			 "SUMMARY (CIS Kubernetes Benchmark v2.0, control 5.2.8)\n"
			 "namespaces  0 total, 0 pass, 0 fail, 0 unknown\n"
			 "pods        0 total, 0 pass, 0 fail, 0 not applicable\n"
			 "containers  0 total, 0 pass, 0 fail, 0 not applicable\n"
			 "result      PASS\n");
	flatten("the JSON report", g.json, g.json_len, &got);
	cr_expect(lines_has(&got, ".pods#len=0"));
	cr_expect(lines_has(&got, ".namespaces#len=0"));
	cr_expect(lines_has(&got, ".summary.pods.total=0"));
	cr_expect(lines_has(&got, ".summary.namespaces.total=0"));
	cr_expect(lines_has(&got, ".summary.containers.notApplicable=0"));
	cr_expect(lines_has(&got, ".complete=true"));
	cr_expect(lines_has(&got, ".errors#len=0"));
	cr_expect(lines_has(&got, ".warnings#len=0"));
	cr_expect(lines_has(&got, ".source.files#len=0"));
	cr_expect_eq(kcs_scan_has_failures(g.scan), 0);
	lines_free(&got);
	rig_close(&g);
}

/* An input error makes the scan incomplete in both formats. */
Test(report, incomplete_with_errors)
{
	struct kcs_error e = KCS_ERROR_INIT;
	struct lines got = { 0 };
	struct rig g;

	rig_open(&g, NULL);
	rig_feed_q(&g, "{'kind':'Pod','metadata':{'name':'p','namespace':'n'},'spec':{'containers':[{'name':'c',"
		   "'securityContext':{'capabilities':{'drop':['ALL']}}}]}}");
	kcs_error_set(&e, KCS_ERR_PARSE, "invalid JSON at byte 12");
	kcs_error_source(&e, "broken.json");
	kcs_scan_add_error(g.scan, &e);
	kcs_error_clear(&e);
	kcs_error_set(&e, KCS_ERR_API, "cannot list pods: forbidden");
	e.http_status = 403;
	kcs_scan_add_error(g.scan, &e);
	/* complete=1, but recorded errors make it incomplete anyway */
	cr_assert_eq(rig_finish(&g, NULL, 1), KCS_OK);

	flatten("the JSON report", g.json, g.json_len, &got);
	cr_expect(lines_has(&got, ".complete=false"));
	cr_expect(lines_has(&got, ".errors#len=2"));
	cr_expect(lines_has(&got, ".errors[0].code=\"PARSE\""));
	cr_expect(lines_has(&got, ".errors[0].message=\"invalid\\x20JSON\\x20at\\x20byte\\x2012\""));
	cr_expect(lines_has(&got, ".errors[0].source=\"broken\\x2ejson\""));
	cr_expect(lines_has(&got, ".errors[0].httpStatus=null"));
	cr_expect(lines_has(&got, ".errors[1].code=\"API\""));
	cr_expect(lines_has(&got, ".errors[1].source=null"));
	cr_expect(lines_has(&got, ".errors[1].httpStatus=403"));
	/* the table says INCOMPLETE, never PASS, and lists the errors */
	cr_expect_not_null(strstr(g.table, "result      INCOMPLETE"), "%s", g.table);
	cr_expect_null(strstr(g.table, "result      PASS"));
	cr_expect_null(strstr(g.table, "result      FAIL"));
	cr_expect_not_null(strstr(g.table, "error       invalid JSON at byte 12\n"));
	cr_expect_not_null(strstr(g.table, "error       cannot list pods: forbidden\n"));
	lines_free(&got);
	rig_close(&g);

	/* complete=0 without an error: still incomplete */
	rig_open(&g, NULL);
	cr_assert_eq(rig_finish(&g, NULL, 0), KCS_OK);
	flatten("the JSON report", g.json, g.json_len, &got);
	cr_expect(lines_has(&got, ".complete=false"));
	cr_expect(lines_has(&got, ".errors#len=0"));
	cr_expect_not_null(strstr(g.table, "result      INCOMPLETE"));
	lines_free(&got);
	rig_close(&g);
}

/* PASS and FAIL results; UNKNOWN namespaces; warnings. */
Test(report, results_and_namespaces)
{
	struct lines got = { 0 };
	struct rig g;
	const struct kcs_ns_entry *e;

	/* all pass: a restricted namespace with a passing pod */
	rig_open(&g, NULL);
	rig_feed_q(&g, "{'kind':'List','items':[{'kind':'Namespace','metadata':{'name':'ok','uid':'u-1',"
		   "'labels':{'pod-security.kubernetes.io/enforce':'restricted','pod-security.kubernetes.io/warn':'baseline'}}},"
		   "{'kind':'Pod','metadata':{'name':'p','namespace':'ok','uid':'u-2'},'spec':{'containers':[{'name':'c',"
		   "'securityContext':{'capabilities':{'drop':['ALL']}}}]}},"
		   "{'kind':'Service','metadata':{'name':'s'}}]}");
	cr_assert_eq(kcs_scan_add_warning(g.scan, "%s", kcs_scan_skipped_note(g.scan)), KCS_OK);
	cr_assert_eq(rig_finish(&g, NULL, 1), KCS_OK);
	cr_expect_str_eq(kcs_scan_skipped_note(g.scan), "skipped 1 object of other kinds (Service)");
	cr_expect_not_null(strstr(g.table, "result      PASS\n"), "%s", g.table);
	cr_expect_not_null(strstr(g.table, "warning: skipped 1 object of other kinds (Service)\n"));
	cr_expect_not_null(strstr(g.table, "FAILING CONTAINERS\n(none)\n"));
	cr_expect_eq(kcs_scan_has_failures(g.scan), 0);
	flatten("the JSON report", g.json, g.json_len, &got);
	cr_expect(lines_has(&got, ".namespaces[0].verdict=\"PASS\""));
	cr_expect(lines_has(&got, ".namespaces[0].uid=\"u-1\""));
	cr_expect(lines_has(&got, ".namespaces[0].podSecurity.enforce.level=\"restricted\""));
	cr_expect(lines_has(&got, ".namespaces[0].podSecurity.enforce.version=null"));
	cr_expect(lines_has(&got, ".namespaces[0].podSecurity.warn.level=\"baseline\""));
	cr_expect(lines_has(&got, ".namespaces[0].podSecurity.audit.level=null"));
	cr_expect(lines_has(&got, ".namespaces[0].podSecurity.effective.level=\"restricted\""));
	cr_expect(lines_has(&got, ".namespaces[0].podSecurity.effective.version=\"latest\""));
	cr_expect(lines_has(&got, ".pods[0].uid=\"u-2\""));
	cr_expect(lines_has(&got, ".pods[0].verdict=\"PASS\""));
	cr_expect(lines_has(&got, ".pods[0].reason=null"));
	cr_expect(lines_has(&got, ".warnings[0]=\"skipped\\x201\\x20object\\x20of\\x20other\\x20kinds\\x20(Service)\""));
	lines_free(&got);
	rig_close(&g);

	/* a failing pod in a namespace missing from the input: UNKNOWN */
	rig_open(&g, NULL);
	rig_feed_q(&g, "{'kind':'PodList','items':[{'metadata':{'name':'p','namespace':'ghost'},'spec':{'containers':[{'name':'c'}]}},"
		   "{'metadata':{'name':'q','namespace':'ghost'},'spec':{'os':{'name':'windows'},'containers':[{'name':'w'}]}}]}");
	cr_assert_eq(rig_finish(&g, NULL, 1), KCS_OK);
	cr_expect_eq(kcs_scan_has_failures(g.scan), 1);
	e = kcs_scan_find_ns(g.scan, "ghost", 5);
	cr_assert_not_null(e);
	cr_expect_eq(e->present, 0);
	cr_expect_eq(e->result.verdict, KCS_VERDICT_UNKNOWN);
	cr_expect_eq(e->result.reason, KCS_NR_NAMESPACE_NOT_IN_INPUT);
	cr_expect_eq(e->pods_total, 2);
	cr_expect_eq(e->pods_fail, 1);
	cr_expect_null(kcs_scan_find_ns(g.scan, "ghos", 4));
	cr_expect_eq(kcs_scan_pod_counts(g.scan)->not_applicable, 1);
	cr_expect_not_null(strstr(g.table, "result      FAIL\n"));
	cr_expect_not_null(strstr(g.table, "ghost               UNKNOWN 2     1       -                   NAMESPACE_NOT_IN_INPUT"),
			   "%s", g.table);
	flatten("the JSON report", g.json, g.json_len, &got);
	cr_expect(lines_has(&got, ".namespaces[0].verdict=\"UNKNOWN\""));
	cr_expect(lines_has(&got, ".namespaces[0].podSecurity.effective=null"));
	cr_expect(lines_has(&got, ".namespaces[0].uid=null"));
	cr_expect(lines_has(&got, ".summary.namespaces.unknown=1"));
	cr_expect(lines_has(&got, ".summary.pods.notApplicable=1"));
	cr_expect(lines_has(&got, ".summary.containers.fail=1"));
	lines_free(&got);
	rig_close(&g);
}

/* A failing namespace alone fails the run; namespaces come out sorted. */
Test(report, failing_namespace_and_order)
{
	struct lines got = { 0 };
	struct rig g;
	struct kcs_psa_default def;

	cr_assert_eq(kcs_psa_parse_default("baseline", &def), 0);
	rig_open(&g, &def);
	rig_feed_q(&g, "{'kind':'NamespaceList','items':[{'metadata':{'name':'zeta'}},"
		   "{'metadata':{'name':'alpha','labels':{'pod-security.kubernetes.io/enforce':'restricted'}}},"
		   "{'metadata':{'name':'Beta','labels':{'pod-security.kubernetes.io/enforce':'restricted'}}},"
		   "{'metadata':{'name':'alpha','labels':{'pod-security.kubernetes.io/enforce':'privileged'}}}]}");
	cr_assert_eq(rig_finish(&g, NULL, 1), KCS_OK);
	cr_expect_eq(kcs_scan_has_failures(g.scan), 1);
	flatten("the JSON report", g.json, g.json_len, &got);
	/* byte order; a namespace seen twice keeps the last object */
	cr_expect(lines_has(&got, ".namespaces[0].name=\"Beta\""));
	cr_expect(lines_has(&got, ".namespaces[1].name=\"alpha\""));
	cr_expect(lines_has(&got, ".namespaces[1].reason=\"ENFORCE_PRIVILEGED\""));
	cr_expect(lines_has(&got, ".namespaces[2].name=\"zeta\""));
	cr_expect(lines_has(&got, ".namespaces[2].reason=\"UNLABELLED\""));
	cr_expect(lines_has(&got, ".namespaces[2].podSecurity.effective.level=\"baseline\""));
	cr_expect(lines_has(&got, ".namespaces[2].flags[0]=\"DEFAULTED\""));
	cr_expect(lines_has(&got, ".namespaces#len=3"));
	cr_expect(lines_has(&got, ".summary.namespaces.fail=2"));
	cr_expect_not_null(strstr(g.table, "result      FAIL\n"));
	/* reason names in the rows, their words once under REASONS */
	cr_expect_not_null(strstr(g.table, "zeta                FAIL    0     0       baseline:latest     UNLABELLED [DEFAULTED]\n"),
			   "%s", g.table);
	cr_expect_not_null(strstr(g.table, "\n  UNLABELLED: no enforce label: "));
	cr_expect_not_null(strstr(g.table, " [DEFAULTED]\n"));
	lines_free(&got);
	rig_close(&g);
}

/* The cluster source block of the JSON report. */
Test(report, cluster_source)
{
	struct lines got = { 0 };
	struct rig g;
	struct kcs_source src = { 0 };

	rig_open(&g, NULL);
	src.kind = KCS_SOURCE_CLUSTER;
	src.server = "https://10.0.0.1:6443";
	src.context = "prod";
	src.resource_version = "4711";
	src.snapshot_consistent = 1;
	cr_assert_eq(rig_finish(&g, &src, 1), KCS_OK);
	flatten("the JSON report", g.json, g.json_len, &got);
	cr_expect(lines_has(&got, ".source.kind=\"cluster\""));
	cr_expect(lines_has(&got, ".source.context=\"prod\""));
	cr_expect(lines_has(&got, ".source.resourceVersion=\"4711\""));
	cr_expect(lines_has(&got, ".source.snapshotConsistent=true"));
	cr_expect(lines_has(&got, ".source.namespace=null"));
	cr_expect(lines_has(&got, ".source.serverVersion=null"));
	lines_free(&got);
	rig_close(&g);
}

/* A full disk is an error of the report, not a silent truncation. */
Test(report, write_errors)
{
	static const char *const kinds[] = { "table", "json" };
	size_t k;

	for (k = 0; k < 2; k++) {
		struct kcs_error err = KCS_ERROR_INIT;
		struct kcs_scan *s = kcs_scan_new(NULL);
		FILE *f = fopen("/dev/full", "w");
		struct kcs_report *rep;
		enum kcs_err rc;

		cr_assert_not_null(s);
		cr_assert_not_null(f, "no /dev/full");
		setvbuf(f, NULL, _IONBF, 0); /* every write reaches the device */
		rep = k ? kcs_report_json_new(f) : kcs_report_table_new(f);
		cr_assert_not_null(rep);
		cr_assert_eq(kcs_scan_attach_report(s, rep, &err), KCS_OK);
		rc = kcs_scan_begin(s, &err);
		/* the JSON writer may see the error at once; then at the end */
		cr_expect(rc == KCS_OK || rc == KCS_ERR_IO, "%s", kcs_err_name(rc));
		kcs_error_clear(&err);
		cr_expect_eq(kcs_scan_finish(s, NULL, 1, &err), KCS_ERR_IO,
			     "%s report: %s", kinds[k], err.msg);
		kcs_scan_free(s);
		fclose(f);
	}
}

Test(report, format_time)
{
	char buf[32];

	kcs_format_time(0, buf);
	cr_expect_str_eq(buf, "1970-01-01T00:00:00Z");
	kcs_format_time(T_START, buf);
	cr_expect_str_eq(buf, "2025-06-02T10:00:00Z");
	kcs_format_time(951782400, buf); /* a leap day */
	cr_expect_str_eq(buf, "2000-02-29T00:00:00Z");
}
