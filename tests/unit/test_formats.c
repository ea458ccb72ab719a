/*
 * test_formats.c - the JUnit, SARIF, Prometheus and policy report writers
 * (report_junit.c, report_sarif.c, report_prometheus.c,
 * report_policyreport.c), the format registry (report.c) and the benchmark
 * table (control.c).
 *
 * Golden files: testdata/golden/demo.<format>.golden are the reports of
 * the demo cluster (testdata/demo/namespaces.json then pods.json) with
 * fixed start and finish times and the tool version masked as
 * @KCS_VERSION@. To rewrite them after an intended change, run this test
 * with KCS_UPDATE_GOLDEN=1 in the environment, then review the diff:
 *
 *   KCS_UPDATE_GOLDEN=1 ./build/tests/test_formats --filter 'formats/golden*'
 *
 * The goldens are not their own oracle: the counts in every format are
 * checked against the scan's own counters and the JSON report's, and
 * tests/e2e/test_formats.py validates each format with an independent
 * parser and schema.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <criterion/criterion.h>
#include <yajl/yajl_parse.h>

#include "kcs/alloc.h"
#include "kcs/buf.h"
#include "kcs/control.h"
#include "kcs/drift.h"
#include "kcs/exempt.h"
#include "kcs/input.h"
#include "kcs/report.h"
#include "kcs/scan.h"
#include "kcs/version.h"
#include "testutil.h"

/* 2025-06-02T10:00:00Z and five seconds later. */
#define T_START 1748858400
#define T_END 1748858405

/* The four formats under test, in registry order. */
static const enum kcs_format fmts[] = {
	KCS_FORMAT_JUNIT, KCS_FORMAT_SARIF, KCS_FORMAT_PROMETHEUS,
	KCS_FORMAT_POLICYREPORT,
};
#define N_FMTS 4
enum { JUNIT, SARIF, PROM, PR };

/* ---- a scan with every new format on memory streams ----------------- */

struct out {
	FILE *f;
	char *text;
	size_t len;
};

struct rig {
	struct kcs_scan *scan;
	struct kcs_reader *reader;
	struct out o[N_FMTS];
};

static void rig_open_with(struct rig *g, const struct kcs_control *control,
			  const char *cluster_name)
{
	struct kcs_error err = KCS_ERROR_INIT;
	struct kcs_reader_cbs cbs;
	size_t i;

	memset(g, 0, sizeof(*g));
	g->scan = kcs_scan_new(NULL);
	cr_assert_not_null(g->scan);
	for (i = 0; i < N_FMTS; i++) {
		struct kcs_report *rep;

		g->o[i].f = open_memstream(&g->o[i].text, &g->o[i].len);
		cr_assert_not_null(g->o[i].f);
		rep = kcs_report_new(fmts[i], g->o[i].f);
		cr_assert_not_null(rep, "%s", kcs_format_name(fmts[i]));
		cr_assert_str_eq(rep->ops->name, kcs_format_name(fmts[i]));
		cr_assert_eq(kcs_scan_attach_report(g->scan, rep, &err), KCS_OK);
	}
	cbs = kcs_scan_reader_cbs(g->scan);
	g->reader = kcs_reader_new(&cbs, KCS_HINT_NONE);
	cr_assert_not_null(g->reader);
	kcs_scan_set_meta(g->scan, control, cluster_name);
	kcs_scan_set_times(g->scan, T_START, T_END);
	cr_assert_eq(kcs_scan_begin(g->scan, &err), KCS_OK, "%s", err.msg);
}

static void rig_open(struct rig *g)
{
	rig_open_with(g, NULL, NULL);
}

static void rig_feed_file(struct rig *g, const char *rel)
{
	struct kcs_error err = KCS_ERROR_INIT;
	size_t len;
	char *data = tu_read_file(rel, &len);

	cr_assert_eq(kcs_input_mem(g->reader, data, len, 0, &err), KCS_OK,
		     "%s: %s", rel, err.msg);
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
	free(d);
}

static enum kcs_err rig_finish(struct rig *g, const struct kcs_source *src,
			       int complete)
{
	struct kcs_error err = KCS_ERROR_INIT;
	enum kcs_err rc = kcs_scan_finish(g->scan, src, complete, &err);
	size_t i;

	for (i = 0; i < N_FMTS; i++) {
		cr_assert_eq(fclose(g->o[i].f), 0);
		g->o[i].f = NULL;
	}
	return rc;
}

static void rig_close(struct rig *g)
{
	size_t i;

	kcs_reader_free(g->reader);
	kcs_scan_free(g->scan);
	for (i = 0; i < N_FMTS; i++)
		free(g->o[i].text);
}

static const char *const demo_files[] = {
	"testdata/demo/namespaces.json",
	"testdata/demo/pods.json",
};

static void run_demo_with(struct rig *g, const struct kcs_control *control)
{
	struct kcs_source src = { 0 };

	rig_open_with(g, control, NULL);
	rig_feed_file(g, demo_files[0]);
	rig_feed_file(g, demo_files[1]);
	src.kind = KCS_SOURCE_FILE;
	src.files = demo_files;
	src.n_files = 2;
	cr_assert_eq(rig_finish(g, &src, 1), KCS_OK);
}

static void run_demo(struct rig *g)
{
	run_demo_with(g, NULL);
}

/* ---- text helpers ------------------------------------------------------ */

static size_t count_str(const char *hay, size_t len, const char *needle)
{
	size_t n = 0, k = strlen(needle);
	const char *p = hay, *end = hay + len;

	while ((p = memmem(p, (size_t)(end - p), needle, k))) {
		n++;
		p += k;
	}
	return n;
}

static int has(const struct out *o, const char *needle)
{
	return memmem(o->text, o->len, needle, strlen(needle)) != NULL;
}

/* ---- JSON flattening (validity and field checks) ------------------- */

/*
 * Parse with yajl callbacks into "path=value" lines; fails the test if the
 * text is not one JSON value. Strings print bytes outside printable ASCII
 * as \xHH, so a line can be compared byte for byte.
 */
struct flat {
	struct kcs_buf lines; /* "path=value\n" lines */
	char path[2048];
	size_t plen;
	int depth;
	size_t saved[64];
	int is_array[64];
	long idx[64];
	char key[1100];
};

static void esc(char *dst, size_t size, const unsigned char *s, size_t len)
{
	size_t i, o = 0;

	for (i = 0; i < len && o + 5 < size; i++) {
		if (s[i] > 0x20 && s[i] < 0x7f && s[i] != '\\')
			dst[o++] = (char)s[i];
		else
			o += (size_t)snprintf(dst + o, size - o, "\\x%02x", s[i]);
	}
	dst[o] = '\0';
}

static size_t fl_enter(struct flat *f)
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
	cr_assert_lt(f->plen, sizeof(f->path) - 1);
	return old;
}

static void fl_leave(struct flat *f, size_t old)
{
	f->plen = old;
	f->path[old] = '\0';
	if (f->depth > 0)
		f->idx[f->depth - 1]++;
}

static int fl_scalar(struct flat *f, const char *val)
{
	size_t old = fl_enter(f);

	kcs_buf_addf(&f->lines, "%s=%s\n", f->path, val);
	fl_leave(f, old);
	return 1;
}

static int fl_null(void *ctx) { return fl_scalar(ctx, "null"); }
static int fl_bool(void *ctx, int b) { return fl_scalar(ctx, b ? "true" : "false"); }

static int fl_number(void *ctx, const char *s, size_t len)
{
	char v[64];

	snprintf(v, sizeof(v), "%.*s", (int)len, s);
	return fl_scalar(ctx, v);
}

static int fl_string(void *ctx, const unsigned char *s, size_t len)
{
	char v[1200];

	v[0] = '"';
	esc(v + 1, sizeof(v) - 3, s, len);
	memcpy(v + strlen(v), "\"", 2);
	return fl_scalar(ctx, v);
}

static int fl_open(struct flat *f, int is_array)
{
	size_t old = fl_enter(f);

	cr_assert_lt(f->depth, 64);
	f->saved[f->depth] = old;
	f->is_array[f->depth] = is_array;
	f->idx[f->depth] = 0;
	f->depth++;
	return 1;
}

static int fl_close(void *ctx)
{
	struct flat *f = ctx;
	int d = --f->depth;

	kcs_buf_addf(&f->lines, "%s#%s=%ld\n", f->path,
		     f->is_array[d] ? "len" : "keys", f->idx[d]);
	fl_leave(f, f->saved[d]);
	return 1;
}

static int fl_start_map(void *ctx) { return fl_open(ctx, 0); }
static int fl_start_array(void *ctx) { return fl_open(ctx, 1); }

static int fl_key(void *ctx, const unsigned char *k, size_t len)
{
	struct flat *f = ctx;

	esc(f->key, sizeof(f->key), k, len);
	return 1;
}

/* The flattened lines of `json`, newline-separated; caller frees. */
static char *flatten(const char *what, const char *json, size_t len)
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
	char *out;

	cr_assert_not_null(f);
	kcs_buf_init(&f->lines, 1 << 26);
	kcs_buf_addch(&f->lines, '\n');
	h = yajl_alloc(&cbs, NULL, f);
	cr_assert_not_null(h);
	st = yajl_parse(h, (const unsigned char *)json, len);
	if (st == yajl_status_ok)
		st = yajl_complete_parse(h);
	cr_assert_eq(st, yajl_status_ok, "%s is not valid JSON", what);
	yajl_free(h);
	cr_assert_eq(f->lines.err, KCS_OK);
	out = kcs_buf_detach(&f->lines, NULL);
	cr_assert_not_null(out);
	kcs_buf_release(&f->lines);
	free(f);
	return out;
}

/* Does the flattened text hold the line `line` exactly? */
static int flat_has(const char *flat, const char *line)
{
	char want[2048];

	snprintf(want, sizeof(want), "\n%s\n", line);
	return strstr(flat, want) != NULL;
}

/* ---- golden files ---------------------------------------------------- */


/* Replace every KCS_VERSION with @KCS_VERSION@, so releases do not churn
 * the goldens; the version must be there at least once. */
static void mask_version(const struct out *o, struct kcs_buf *b)
{
	const char *p = o->text, *end = o->text + o->len, *at;
	size_t k = strlen(KCS_VERSION), n = 0;

	while ((at = memmem(p, (size_t)(end - p), KCS_VERSION, k))) {
		kcs_buf_add(b, p, (size_t)(at - p));
		kcs_buf_addstr(b, "@KCS_VERSION@");
		p = at + k;
		n++;
	}
	kcs_buf_add(b, p, (size_t)(end - p));
	cr_assert_eq(b->err, KCS_OK);
	cr_assert_gt(n, 0, "no tool version %s in the report", KCS_VERSION);
}

static void golden(int which, const char *rel)
{
	struct kcs_buf b = KCS_BUF_INIT(1 << 24);
	struct rig g;

	run_demo(&g);
	mask_version(&g.o[which], &b);
	tu_check_golden(rel, b.buf, b.len);
	kcs_buf_release(&b);
	rig_close(&g);
}

Test(formats, golden_junit)
{
	golden(JUNIT, "testdata/golden/demo.junit.golden");
}

Test(formats, golden_sarif)
{
	golden(SARIF, "testdata/golden/demo.sarif.golden");
}

Test(formats, golden_prometheus)
{
	golden(PROM, "testdata/golden/demo.prometheus.golden");
}

Test(formats, golden_policyreport)
{
	golden(PR, "testdata/golden/demo.policyreport.golden");
}

/* ---- the counts agree with the scan's ------------------------------- */

/* Count the flattened lines ending in `suffix` whose path starts `prefix`. */
static size_t count_lines(const char *flat, const char *prefix,
			  const char *suffix)
{
	size_t n = 0, pl = strlen(prefix), sl = strlen(suffix);
	const char *p = flat;

	while ((p = strchr(p, '\n')) && p[1]) {
		const char *line = p + 1, *eol = strchr(line, '\n');
		size_t len = eol ? (size_t)(eol - line) : strlen(line);

		if (len >= pl + sl && !memcmp(line, prefix, pl) &&
		    !memcmp(line + len - sl, suffix, sl))
			n++;
		p = line;
	}
	return n;
}

Test(formats, demo_counts_agree)
{
	struct rig g;
	char *sarif, *pr, line[256];
	const struct kcs_count *pods;
	unsigned long long ns_fail = 8, ctr_fail = 34, pods_fail = 21;
	unsigned long long wl_total = 38, wl_fail = 17, wl_na = 2;

	run_demo(&g);
	pods = kcs_scan_pod_counts(g.scan);
	cr_assert_eq(pods->total, 44);
	cr_assert_eq(pods->fail, pods_fail);

	/* JUnit: a testcase per workload (38: 17 fail, 2 not applicable),
	 * per failing namespace, and the scan's */
	cr_expect_eq(count_str(g.o[JUNIT].text, g.o[JUNIT].len, "<testcase "),
		     wl_total + ns_fail + 1);
	cr_expect_eq(count_str(g.o[JUNIT].text, g.o[JUNIT].len, "<failure "),
		     wl_fail + ns_fail);
	cr_expect_eq(count_str(g.o[JUNIT].text, g.o[JUNIT].len, "<skipped "),
		     wl_na);
	cr_expect_eq(count_str(g.o[JUNIT].text, g.o[JUNIT].len, "<testsuite "),
		     15 + 1);
	snprintf(line, sizeof(line), "<testsuites name=\"kubecapscan CIS Kubernetes "
		 "Benchmark %s control 5.2.8\" tests=\"%llu\" failures=\"%llu\" "
		 "errors=\"0\" time=\"5\">\n",
		 kcs_control_default()->version, wl_total + ns_fail + 1,
		 wl_fail + ns_fail);
	cr_expect(has(&g.o[JUNIT], line), "%s", line);
	/* the pods of a workload are one testcase, saying how many fail */
	cr_expect(has(&g.o[JUNIT], "<testcase classname=\"default\" name=\"ReplicaSet/"
		      "nginx-deployment-7c79c4bf97\" time=\"0\">\n      <failure "
		      "type=\"NO_SECURITY_CONTEXT\" message=\"3 of 3 pods fail: "
		      "container 'nginx' (container): NO_SECURITY_CONTEXT: "), "%s",
		  g.o[JUNIT].text);
	cr_expect(has(&g.o[JUNIT], "\ncontainer 'nginx' (container): NO_SECURITY_CONTEXT: "
		      "no securityContext: the runtime's default capabilities include "
		      "NET_RAW (3 pods)\n"));
	cr_expect(has(&g.o[JUNIT], "\nfailing pods: nginx-deployment-7c79c4bf97-2lqdk, "
		      "nginx-deployment-7c79c4bf97-8vjxm, nginx-deployment-7c79c4bf97-qs5tn\n"));
	cr_expect(has(&g.o[JUNIT], "\nfix: kubectl patch replicaset "
		      "nginx-deployment-7c79c4bf97 -n default --type=json -p '"));
	/* a bare pod keeps its own name */
	cr_expect(has(&g.o[JUNIT], "<testcase classname=\"kube-system\" "
		      "name=\"etcd-k8s-cp-01\" time=\"0\">"));

	/* SARIF: a result per failing container and failing namespace */
	sarif = flatten("the SARIF report", g.o[SARIF].text, g.o[SARIF].len);
	snprintf(line, sizeof(line), ".runs[0].results#len=%llu", ctr_fail + ns_fail);
	cr_expect(flat_has(sarif, line), "%s", line);
	cr_expect_eq(count_lines(sarif, ".runs[0].results[", "].ruleId=\"CIS-5.2.8\""),
		     ctr_fail + ns_fail);
	cr_expect_eq(count_lines(sarif, ".runs[0].results[", "].kind=\"member\""),
		     ctr_fail);
	cr_expect_eq(count_lines(sarif, ".runs[0].results[", "].kind=\"namespace\""),
		     ns_fail);
	/* every container result names its workload, with a fingerprint */
	cr_expect_eq(count_lines(sarif, ".runs[0].results[", "].kind=\"resource\""),
		     ctr_fail);
	cr_expect_eq(count_lines(sarif, ".runs[0].results[",
				 "].partialFingerprints#keys=1"), ctr_fail);
	cr_expect(strstr(sarif, ".logicalLocations[1].fullyQualifiedName="
			 "\"default/ReplicaSet/nginx-deployment-7c79c4bf97\"\n"));
	/* the remediation of a patchable workload, as JSON */
	cr_expect(strstr(sarif, ".properties.remediation.jsonPatch[1].value.capabilities"
			 ".drop[0]=\"ALL\"\n"), "%s", sarif);
	cr_expect(strstr(sarif, ".properties.remediation.kubectl=\"kubectl\\x20patch\\x20"
			 "replicaset\\x20nginx-deployment-7c79c4bf97"));
	/* no baseline: no baselineState */
	cr_expect(!strstr(sarif, "baselineState"));
	cr_expect(flat_has(sarif, ".version=\"2.1.0\""));
	cr_expect(flat_has(sarif, ".runs#len=1"));
	cr_expect(flat_has(sarif, ".runs[0].tool.driver.name=\"kubecapscan\""));
	cr_expect(flat_has(sarif, ".runs[0].tool.driver.rules[0].id=\"CIS-5.2.8\""));
	cr_expect(flat_has(sarif, ".runs[0].invocations[0].executionSuccessful=true"));
	cr_expect(flat_has(sarif, ".runs[0].invocations[0].startTimeUtc=\"2025-06-02T10:00:00Z\""));
	cr_expect(flat_has(sarif, ".runs[0].properties.summary.containers.fail=34"));
	cr_expect(flat_has(sarif, ".runs[0].properties.summary.workloads.fail=17"));
	cr_expect(flat_has(sarif, ".runs[0].properties.cluster.source=\"file\""));

	/* policy report: a result per container and per namespace */
	pr = flatten("the policy report", g.o[PR].text, g.o[PR].len);
	cr_expect(flat_has(pr, ".apiVersion=\"wgpolicyk8s.io/v1alpha2\""));
	cr_expect(flat_has(pr, ".kind=\"ClusterPolicyReport\""));
	cr_expect(flat_has(pr, ".results#len=88"), "73 containers + 15 namespaces");
	cr_expect(flat_has(pr, ".summary.pass=42"), "36 containers + 6 namespaces");
	cr_expect(flat_has(pr, ".summary.fail=42"), "34 containers + 8 namespaces");
	cr_expect(flat_has(pr, ".summary.skip=3"));
	cr_expect(flat_has(pr, ".summary.error=1"), "the namespace not in the input");
	cr_expect(flat_has(pr, ".summary.warn=0"));
	cr_expect_eq(count_lines(pr, ".results[", "].result=\"fail\""), 42);
	cr_expect_eq(count_lines(pr, ".results[", "].source=\"kubecapscan\""), 88);
	cr_expect_eq(count_lines(pr, ".results[", "].policy=\"cis-5.2.8\""), 88);
	cr_expect_eq(count_lines(pr, ".results[", "].timestamp.seconds=1748858400"), 88);
	cr_expect_eq(count_str(pr, strlen(pr), "].properties.resultID=\"kubecapscan-"), 88);
	cr_expect(flat_has(pr, ".metadata.annotations.kubecapscan.io/scan-time=\"2025-06-02T10:00:00Z\""));

	/* Prometheus: the totals */
	cr_expect(has(&g.o[PROM], "\nkubecapscan_pods{verdict=\"fail\"} 21\n"));
	cr_expect(has(&g.o[PROM], "\nkubecapscan_containers{verdict=\"fail\"} 34\n"));
	cr_expect(has(&g.o[PROM], "\nkubecapscan_namespaces{verdict=\"fail\"} 8\n"));
	cr_expect(has(&g.o[PROM], "\nkubecapscan_scan_duration_seconds 5\n"));
	cr_expect(has(&g.o[PROM], "\nkubecapscan_scan_complete 1\n"));
	cr_expect(has(&g.o[PROM], "\nkubecapscan_last_success_timestamp_seconds 1748858405\n"));
	cr_expect_eq(count_str(g.o[PROM].text, g.o[PROM].len,
			       "\nkubecapscan_namespace_admission{"), 15);
	cr_expect(has(&g.o[PROM], "\nkubecapscan_workloads{verdict=\"fail\"} 17\n"
		      "kubecapscan_workloads{verdict=\"not_applicable\"} 2\n"));
	cr_expect(has(&g.o[PROM], "\nkubecapscan_workloads{verdict=\"pass\"} 19\n"));
	/* no drift, probe or runtime families without their options */
	cr_expect(!has(&g.o[PROM], "kubecapscan_drift_"));
	cr_expect(!has(&g.o[PROM], "kubecapscan_admission_probe"));
	cr_expect(!has(&g.o[PROM], "kubecapscan_container_exposure"));
	/* the policy report names every container's workload */
	cr_expect_eq(count_lines(pr, ".results[", "].properties.workloadKind=\"ReplicaSet\"") > 0, 1);
	cr_expect(flat_has(pr, ".results[6].properties.workloadKind=\"DaemonSet\""), "%s", pr);
	free(sarif);
	free(pr);
	rig_close(&g);
}

/* Policy Reporter tells results apart by resultID: never two alike. */
Test(formats, policyreport_result_ids_are_unique)
{
	struct rig g;
	char *pr, *p, **ids = NULL;
	size_t n = 0, i, j;

	run_demo(&g);
	pr = flatten("the policy report", g.o[PR].text, g.o[PR].len);
	for (p = pr; (p = strstr(p, ".properties.resultID=\"")); p++) {
		char *end = strchr(p, '\n');

		ids = realloc(ids, (n + 1) * sizeof(*ids));
		cr_assert_not_null(ids);
		ids[n++] = strndup(p, (size_t)(end - p));
	}
	cr_assert_eq(n, 88);
	for (i = 0; i < n; i++)
		for (j = i + 1; j < n; j++) {
			const char *a = strchr(ids[i], '='), *b = strchr(ids[j], '=');

			cr_expect_str_neq(a, b, "results %zu and %zu share %s", i, j, a);
		}
	for (i = 0; i < n; i++)
		free(ids[i]);
	free(ids);
	free(pr);
	rig_close(&g);
}

/* ---- the control ID and benchmark in force --------------------------- */

Test(formats, older_benchmark_numbering_in_every_format)
{
	const struct kcs_control *c = kcs_control_lookup("cis-1.6");
	struct rig g;
	char *sarif, *pr;

	cr_assert_not_null(c);
	run_demo_with(&g, c);
	cr_expect(has(&g.o[JUNIT], "<property name=\"control.id\" value=\"5.2.7\"/>"));
	cr_expect(has(&g.o[JUNIT], "<property name=\"benchmark.version\" value=\"v1.6.0\"/>"));
	cr_expect(!has(&g.o[JUNIT], "5.2.8"));
	sarif = flatten("the SARIF report", g.o[SARIF].text, g.o[SARIF].len);
	cr_expect(flat_has(sarif, ".runs[0].tool.driver.rules[0].id=\"CIS-5.2.7\""));
	cr_expect_eq(count_lines(sarif, ".runs[0].results[", "].ruleId=\"CIS-5.2.7\""), 42);
	cr_expect(!strstr(sarif, "5.2.8"));
	cr_expect(has(&g.o[PROM], "control=\"5.2.7\",benchmark=\"cis-1.6\",benchmark_version=\"v1.6.0\""));
	pr = flatten("the policy report", g.o[PR].text, g.o[PR].len);
	cr_expect_eq(count_lines(pr, ".results[", "].policy=\"cis-5.2.7\""), 88);
	cr_expect(flat_has(pr, ".metadata.name=\"kubecapscan-cis-5.2.7\""));
	cr_expect(!strstr(pr, "5.2.8"));
	free(sarif);
	free(pr);
	rig_close(&g);
}

/* Every row as kube-bench's cfg/cis-* policies.yaml numbers the check. */
Test(formats, benchmark_table)
{
	static const struct {
		const char *name, *id;
	} want[] = {
		{ "cis-1.5", "5.2.7" },  { "cis-1.6", "5.2.7" },
		{ "cis-1.20", "5.2.7" }, { "cis-1.23", "5.2.8" },
		{ "cis-1.24", "5.2.8" }, { "cis-1.7", "5.2.8" },
		{ "cis-1.8", "5.2.8" },  { "cis-1.9", "5.2.8" },
		{ "cis-1.10", "5.2.8" }, { "cis-1.11", "5.2.8" },
		{ "cis-1.12", "5.2.8" }, { "cis-2.0", "5.2.8" },
	};
	const struct kcs_control *all, *def = kcs_control_default();
	size_t n, i, newest = 0;
	char names[256] = "";

	all = kcs_control_all(&n);
	cr_assert_eq(n, KCS_ARRAY_SIZE(want));
	for (i = 0; i < n; i++) {
		const struct kcs_control *c = kcs_control_lookup(want[i].name);

		cr_assert_not_null(c, "%s", want[i].name);
		cr_expect_eq(c, &all[i], "%s out of order", want[i].name);
		cr_expect_str_eq(c->id, want[i].id, "%s", want[i].name);
		cr_expect_str_eq(c->benchmark, "CIS Kubernetes Benchmark");
		cr_expect_str_eq(c->title,
				 "Minimize the admission of containers with the NET_RAW capability");
		cr_expect_eq(c->version[0], 'v');
		if (!strcmp(c->id, "5.2.8"))
			newest = i;
		snprintf(names + strlen(names), sizeof(names) - strlen(names),
			 "%s%s", i ? ", " : "", want[i].name);
	}
	/* the default: the newest whose NET_RAW control is 5.2.8 */
	cr_expect_eq(def, &all[newest]);
	cr_expect_str_eq(def->name, "cis-2.0");
	cr_expect_str_eq(kcs_control_names(), names);
	cr_expect_null(kcs_control_lookup("cis-1.13"));
	cr_expect_null(kcs_control_lookup("CIS-1.8"));
	cr_expect_null(kcs_control_lookup(""));
}

Test(formats, registry)
{
	static const char *const names[] = { "table", "json", "junit", "sarif",
					     "prometheus", "policyreport" };
	enum kcs_format f;
	size_t i;

	cr_assert_eq(KCS_FORMAT_COUNT, KCS_ARRAY_SIZE(names));
	cr_expect_str_eq(kcs_format_names(),
			 "table, json, junit, sarif, prometheus, policyreport");
	for (i = 0; i < KCS_ARRAY_SIZE(names); i++) {
		struct kcs_report *rep;

		cr_assert_eq(kcs_format_parse(names[i], strlen(names[i]), &f), 0);
		cr_expect_eq((size_t)f, i);
		cr_expect_str_eq(kcs_format_name(f), names[i]);
		rep = kcs_report_new(f, stdout);
		cr_assert_not_null(rep);
		cr_expect_str_eq(rep->ops->name, names[i]);
		rep->ops->free(rep);
	}
	cr_expect_eq(kcs_format_parse("junitx", 6, &f), -1);
	cr_expect_eq(kcs_format_parse("juni", 4, &f), -1);
	cr_expect_eq(kcs_format_parse("JUNIT", 5, &f), -1);
	cr_expect_eq(kcs_format_parse("", 0, &f), -1);
	cr_expect_null(kcs_report_new(KCS_FORMAT_COUNT, stdout));
}

/* ---- identity --------------------------------------------------------- */

Test(formats, cluster_identity_in_every_format)
{
	struct kcs_source src = { 0 };
	struct rig g;
	char *sarif, *pr;

	rig_open_with(&g, kcs_control_lookup("cis-1.8"), "prod-eu");
	rig_feed_q(&g, "{'kind':'Pod','metadata':{'name':'p','namespace':'n','uid':'u-p'},"
		   "'spec':{'containers':[{'name':'c'}]}}");
	src.kind = KCS_SOURCE_CLUSTER;
	src.server = "https://10.0.0.1:6443";
	src.context = "prod";
	src.server_version = "v1.31.4";
	src.cluster_id = "0a1b-kube-system";
	src.snapshot_consistent = 1;
	cr_assert_eq(rig_finish(&g, &src, 1), KCS_OK);

	cr_expect(has(&g.o[JUNIT], " hostname=\"prod-eu\""));
	cr_expect(has(&g.o[JUNIT], "<property name=\"cluster.name\" value=\"prod-eu\"/>"));
	cr_expect(has(&g.o[JUNIT], "<property name=\"cluster.server\" value=\"https://10.0.0.1:6443\"/>"));
	cr_expect(has(&g.o[JUNIT], "<property name=\"cluster.context\" value=\"prod\"/>"));
	cr_expect(has(&g.o[JUNIT], "<property name=\"cluster.serverVersion\" value=\"v1.31.4\"/>"));
	cr_expect(has(&g.o[JUNIT], "<property name=\"cluster.id\" value=\"0a1b-kube-system\"/>"));
	cr_expect(has(&g.o[JUNIT], "<property name=\"scan.time\" value=\"2025-06-02T10:00:00Z\"/>"));
	cr_expect(has(&g.o[JUNIT], "<property name=\"kubecapscan.version\" value=\"" KCS_VERSION "\"/>"));

	sarif = flatten("the SARIF report", g.o[SARIF].text, g.o[SARIF].len);
	cr_expect(flat_has(sarif, ".runs[0].properties.cluster.name=\"prod-eu\""));
	cr_expect(flat_has(sarif, ".runs[0].properties.cluster.server=\"https://10.0.0.1:6443\""));
	cr_expect(flat_has(sarif, ".runs[0].properties.cluster.context=\"prod\""));
	cr_expect(flat_has(sarif, ".runs[0].properties.cluster.serverVersion=\"v1.31.4\""));
	cr_expect(flat_has(sarif, ".runs[0].properties.cluster.clusterId=\"0a1b-kube-system\""));
	cr_expect(flat_has(sarif, ".runs[0].properties.cluster.source=\"cluster\""));
	cr_expect(flat_has(sarif, ".runs[0].properties.scanTime=\"2025-06-02T10:00:00Z\""));
	cr_expect(flat_has(sarif, ".runs[0].automationDetails.id=\"kubecapscan/prod-eu/\""));
	cr_expect(flat_has(sarif, ".runs[0].tool.driver.version=\"" KCS_VERSION "\""));

	cr_expect(has(&g.o[PROM], "kubecapscan_info{cluster=\"prod-eu\",version=\"" KCS_VERSION
		      "\",control=\"5.2.8\",benchmark=\"cis-1.8\",benchmark_version=\"v1.8.0\","
		      "source=\"cluster\",server=\"https://10.0.0.1:6443\",context=\"prod\","
		      "server_version=\"v1.31.4\",cluster_id=\"0a1b-kube-system\"} 1\n"));
	/* with --cluster-name, every series has the cluster label */
	cr_expect(has(&g.o[PROM], "\nkubecapscan_pods{cluster=\"prod-eu\",verdict=\"fail\"} 1\n"));
	cr_expect(has(&g.o[PROM], "\nkubecapscan_scan_complete{cluster=\"prod-eu\"} 1\n"));
	cr_expect(has(&g.o[PROM], "\nkubecapscan_failing_containers{cluster=\"prod-eu\","
		      "namespace=\"n\",reason=\"NO_SECURITY_CONTEXT\"} 1\n"));

	pr = flatten("the policy report", g.o[PR].text, g.o[PR].len);
	cr_expect(strstr(pr, "cluster-name=\"prod-eu\"\n"), "%s", pr);
	cr_expect(strstr(pr, "/server=\"https://10.0.0.1:6443\"\n"));
	cr_expect(strstr(pr, "/context=\"prod\"\n"));
	cr_expect(strstr(pr, "/server-version=\"v1.31.4\"\n"));
	cr_expect(strstr(pr, "/cluster-id=\"0a1b-kube-system\"\n"));
	cr_expect(strstr(pr, "/version=\"" KCS_VERSION "\"\n"));
	cr_expect(flat_has(pr, ".results[0].resources[0].uid=\"u-p\""));
	free(sarif);
	free(pr);
	rig_close(&g);
}

/* A scan of one namespace names its policy report after it (-n), so the
 * reports of several namespaces can live side by side; never a name that
 * is not a DNS label. */
Test(formats, policyreport_name_of_a_namespace_scan)
{
	static const struct {
		const char *ns, *name;
	} cases[] = {
		{ NULL, "kubecapscan-cis-5.2.8" },
		{ "payments", "kubecapscan-cis-5.2.8-payments" },
		{ "kube-system", "kubecapscan-cis-5.2.8-kube-system" },
		{ "Bad_Name", "kubecapscan-cis-5.2.8" },
		{ "-x", "kubecapscan-cis-5.2.8" },
		{ "", "kubecapscan-cis-5.2.8" },
	};
	size_t i;

	for (i = 0; i < KCS_ARRAY_SIZE(cases); i++) {
		struct kcs_source src = { 0 };
		struct rig g;
		char *pr, want[128];

		rig_open(&g);
		src.kind = KCS_SOURCE_CLUSTER;
		src.server = "https://10.0.0.1:6443";
		src.namespace = cases[i].ns;
		cr_assert_eq(rig_finish(&g, &src, 1), KCS_OK);
		pr = flatten("the policy report", g.o[PR].text, g.o[PR].len);
		snprintf(want, sizeof(want), ".metadata.name=\"%s\"", cases[i].name);
		cr_expect(flat_has(pr, want), "namespace %s: want %s", cases[i].ns, want);
		free(pr);
		rig_close(&g);
	}
}

/* ---- exemptions: EXEMPT apart from PASS, with the reason, everywhere ---- */

Test(formats, exemptions_in_every_format)
{
	struct kcs_exemption entries[3];
	struct kcs_exemptions ex;
	struct rig g;
	char *sarif, *pr;

	memset(entries, 0, sizeof(entries));
	entries[0].ns_glob = "n";
	entries[0].pod_glob = "p1";
	entries[0].container_glob = "c";
	entries[0].reason = "probes <&> \"quoted\"";
	memcpy(entries[0].expires, "2099-12-31", 11);
	entries[0].line = 3;
	entries[1].ns_glob = "n";
	entries[1].pod_glob = "*";
	entries[1].reason = "old";
	memcpy(entries[1].expires, "2020-01-01", 11);
	entries[1].expired = 1;
	entries[1].line = 7;
	entries[2].ns_glob = "zzz";
	entries[2].pod_glob = "*";
	entries[2].reason = "nothing";
	entries[2].line = 11;
	memset(&ex, 0, sizeof(ex));
	ex.path = "ex.yaml";
	ex.entries = entries;
	ex.n = 3;

	rig_open(&g);
	kcs_scan_set_exemptions(g.scan, &ex);
	rig_feed_q(&g, "{'kind':'PodList','items':["
		   "{'metadata':{'name':'p1','namespace':'n'},'spec':{'containers':[{'name':'c'},"
		   "{'name':'d','securityContext':{'capabilities':{'drop':['ALL']}}}]}},"
		   "{'metadata':{'name':'p2','namespace':'n'},'spec':{'containers':[{'name':'c'}]}}]}");
	cr_assert_eq(rig_finish(&g, NULL, 1), KCS_OK);
	cr_assert_eq(entries[0].matches, 1);

	/* JUnit: the exempt pod is skipped, saying why */
	cr_expect(has(&g.o[JUNIT], "<testcase classname=\"n\" name=\"p1\" time=\"0\">\n"
		      "      <skipped type=\"EXEMPT\" message=\"container 'c' (container): "
		      "NO_SECURITY_CONTEXT: no securityContext: the runtime's default capabilities "
		      "include NET_RAW; EXEMPT by the exemptions file, line 3, until 2099-12-31: "
		      "probes &lt;&amp;&gt; &quot;quoted&quot;\"/>"), "%s", g.o[JUNIT].text);
	cr_expect(has(&g.o[JUNIT], "exemption: line 7 of ex.yaml expired on 2020-01-01 and no "
		      "longer applies: old\n"));
	cr_expect(has(&g.o[JUNIT], "exemption: line 11 of ex.yaml matched nothing: nothing\n"));
	cr_expect(has(&g.o[JUNIT], "skipped=\"1\""));

	/* SARIF: a suppressed result carrying the reason */
	sarif = flatten("the SARIF report", g.o[SARIF].text, g.o[SARIF].len);
	/* the exempt container and p2 (n is not in the input: UNKNOWN) */
	cr_expect(flat_has(sarif, ".runs[0].results#len=2"), "%s", sarif);
	cr_expect(flat_has(sarif, ".runs[0].results[0].suppressions[0].kind=\"external\""));
	cr_expect(flat_has(sarif, ".runs[0].results[0].suppressions[0].status=\"accepted\""));
	cr_expect(flat_has(sarif, ".runs[0].results[0].suppressions[0].justification="
			   "\"probes\\x20<&>\\x20\"quoted\"\""));
	cr_expect(flat_has(sarif, ".runs[0].results[0].properties.verdict=\"EXEMPT\""));
	cr_expect(flat_has(sarif, ".runs[0].results[0].properties.exemption.line=3"));
	cr_expect(flat_has(sarif, ".runs[0].results[0].properties.exemption.expires=\"2099-12-31\""));
	cr_expect(!strstr(sarif, ".runs[0].results[1].suppressions"));
	cr_expect(flat_has(sarif, ".runs[0].properties.summary.containers.exempt=1"));
	cr_expect(flat_has(sarif, ".runs[0].invocations[0].toolExecutionNotifications#len=2"));
	cr_expect(flat_has(sarif, ".runs[0].invocations[0].toolExecutionNotifications[0].properties.line=7"));

	/* Prometheus: exempt apart from pass */
	cr_expect(has(&g.o[PROM], "\nkubecapscan_containers{verdict=\"exempt\"} 1\n"));
	cr_expect(has(&g.o[PROM], "\nkubecapscan_containers{verdict=\"pass\"} 1\n"));
	cr_expect(has(&g.o[PROM], "\nkubecapscan_pods{verdict=\"exempt\"} 1\n"));
	cr_expect(has(&g.o[PROM], "\nkubecapscan_exempt_containers{namespace=\"n\"} 1\n"));
	cr_expect(has(&g.o[PROM], "\nkubecapscan_exemptions{state=\"active\"} 1\n"
		      "kubecapscan_exemptions{state=\"expired\"} 1\n"
		      "kubecapscan_exemptions{state=\"unused\"} 1\n"));

	/* policy report: warn, not scored, with the reason */
	pr = flatten("the policy report", g.o[PR].text, g.o[PR].len);
	cr_expect(flat_has(pr, ".results[0].result=\"warn\""), "%s", pr);
	cr_expect(flat_has(pr, ".results[0].scored=false"));
	cr_expect(flat_has(pr, ".results[0].properties.exemptionReason=\"probes\\x20<&>\\x20\"quoted\"\""));
	cr_expect(flat_has(pr, ".results[0].properties.exemptionLine=\"3\""));
	cr_expect(flat_has(pr, ".results[0].properties.exemptionSource=\"file\""));
	cr_expect(flat_has(pr, ".results[1].result=\"pass\""));
	cr_expect(flat_has(pr, ".results[2].result=\"fail\""));
	cr_expect(flat_has(pr, ".summary.warn=1"));
	free(sarif);
	free(pr);
	rig_close(&g);
}

/* ---- incomplete scans never look clean ---------------------------------- */

Test(formats, incomplete_scan)
{
	struct kcs_error e = KCS_ERROR_INIT;
	struct rig g;
	char *sarif, *pr;

	rig_open(&g);
	rig_feed_q(&g, "{'kind':'Pod','metadata':{'name':'p','namespace':'n'},'spec':{'containers':[{'name':'c',"
		   "'securityContext':{'capabilities':{'drop':['ALL']}}}]}}");
	kcs_error_set(&e, KCS_ERR_API, "cannot list pods: forbidden <&>");
	e.http_status = 403;
	kcs_scan_add_error(g.scan, &e);
	cr_assert_eq(kcs_scan_add_warning(g.scan, "a warning with <xml> & \"quotes\""), KCS_OK);
	cr_assert_eq(rig_finish(&g, NULL, 0), KCS_OK);

	cr_expect(has(&g.o[JUNIT], "errors=\"1\""));
	cr_expect(has(&g.o[JUNIT], "<error type=\"INCOMPLETE\" message=\"cannot list pods: forbidden &lt;&amp;&gt;\">"));
	/* text needs no &quot; (attributes do) */
	cr_expect(has(&g.o[JUNIT], "warning: a warning with &lt;xml&gt; &amp; \"quotes\""));
	cr_expect(has(&g.o[JUNIT], "<property name=\"scan.complete\" value=\"false\"/>"));
	sarif = flatten("the SARIF report", g.o[SARIF].text, g.o[SARIF].len);
	cr_expect(flat_has(sarif, ".runs[0].invocations[0].executionSuccessful=false"));
	cr_expect(flat_has(sarif, ".runs[0].invocations[0].toolExecutionNotifications[0].level=\"error\""));
	cr_expect(flat_has(sarif, ".runs[0].invocations[0].toolExecutionNotifications[0].properties.code=\"API\""));
	cr_expect(flat_has(sarif, ".runs[0].invocations[0].toolExecutionNotifications[1].level=\"warning\""));
	cr_expect(flat_has(sarif, ".runs[0].properties.complete=false"));
	cr_expect(has(&g.o[PROM], "\nkubecapscan_scan_complete 0\n"));
	cr_expect(!has(&g.o[PROM], "kubecapscan_last_success_timestamp_seconds"));
	pr = flatten("the policy report", g.o[PR].text, g.o[PR].len);
	/* namespace n is not in the input (error), and the scan error */
	cr_expect(flat_has(pr, ".summary.error=2"));
	cr_expect(flat_has(pr, ".results[1].result=\"error\""));
	cr_expect(flat_has(pr, ".results[2].rule=\"scan\""));
	cr_expect(flat_has(pr, ".results[2].result=\"error\""));
	cr_expect(flat_has(pr, ".results[2].properties.code=\"API\""));
	cr_expect(strstr(pr, "complete=\"false\"\n"));
	free(sarif);
	free(pr);
	rig_close(&g);
}

Test(formats, zero_pods)
{
	struct kcs_source src = { 0 };
	struct rig g;
	char *sarif, *pr;

	rig_open(&g);
	src.kind = KCS_SOURCE_FILE;
	cr_assert_eq(rig_finish(&g, &src, 1), KCS_OK);
	cr_expect(has(&g.o[JUNIT], " tests=\"1\" failures=\"0\" errors=\"0\" time=\"5\">\n"));
	cr_expect_eq(count_str(g.o[JUNIT].text, g.o[JUNIT].len, "<testsuite "), 1);
	sarif = flatten("the SARIF report", g.o[SARIF].text, g.o[SARIF].len);
	cr_expect(flat_has(sarif, ".runs[0].results#len=0"));
	pr = flatten("the policy report", g.o[PR].text, g.o[PR].len);
	cr_expect(flat_has(pr, ".results#len=0"));
	cr_expect(flat_has(pr, ".summary.pass=0"));
	cr_expect(has(&g.o[PROM], "# TYPE kubecapscan_failing_containers gauge\n# HELP kubecapscan_failing_pods"));
	free(sarif);
	free(pr);
	rig_close(&g);
}

/* ---- hostile names ------------------------------------------------------ */

static void set_name(struct kcs_name *n, const char *s, size_t len)
{
	cr_assert_leq(len, KCS_NAME_MAX);
	memcpy(n->s, s, len);
	n->s[len] = '\0';
	n->len = len;
}

/* NUL, quote, <, &, >, newline, backslash, tab, CR, ESC, a byte that is
 * not UTF-8, U+FFFE (not an XML character), a lone surrogate, and é. */
static const char pod_name[] = "a\0b\"<&>\nc\\x00\t\r\x1b\xff\xef\xbf\xbe\xed\xa0\x80\xc3\xa9";
static const char ctr_name[] = "c</failure>\"&amp;";
static const char ns_name[] = "ns\n\"},{x=\"1\\";

/* pod_name as the JSON formats carry it, flattened (U+FFFD for non-UTF-8) */
#define FFFD "\\xef\\xbf\\xbd"
#define HOSTILE_POD_FLAT "a\\x00b\"<&>\\x0ac\\x5cx00\\x09\\x0d\\x1b" FFFD \
	"\\xef\\xbf\\xbe" FFFD FFFD FFFD "\\xc3\\xa9"
#define HOSTILE_POD_JSON "\"" HOSTILE_POD_FLAT "\""

static void run_hostile(struct rig *g)
{
	struct kcs_error err = KCS_ERROR_INIT;
	struct kcs_pod pod;
	struct kcs_container *c;
	struct kcs_nsobj ns;

	rig_open(g);
	kcs_pod_init(&pod);
	set_name(&pod.name, pod_name, sizeof(pod_name) - 1);
	set_name(&pod.ns, ns_name, sizeof(ns_name) - 1);
	c = kcs_pod_add_container(&pod, KCS_CTYPE_CONTAINER, &err);
	cr_assert_not_null(c);
	set_name(&c->name, ctr_name, sizeof(ctr_name) - 1);
	kcs_audit_pod(&pod);
	cr_assert_eq(pod.verdict, KCS_VERDICT_FAIL);
	cr_assert_eq(kcs_scan_pod(&pod, g->scan, &err), KCS_OK);
	memset(&ns, 0, sizeof(ns));
	set_name(&ns.name, ns_name, sizeof(ns_name) - 1);
	cr_assert_eq(kcs_scan_namespace(&ns, g->scan, &err), KCS_OK);
	cr_assert_eq(rig_finish(g, NULL, 1), KCS_OK);
	kcs_pod_release(&pod);
}

Test(formats, hostile_names_junit)
{
	const struct out *o;
	struct rig g;
	size_t i;

	run_hostile(&g);
	o = &g.o[JUNIT];
	/* only characters XML 1.0 allows; tab and newline only in text */
	for (i = 0; i < o->len; i++) {
		unsigned char ch = (unsigned char)o->text[i];

		cr_assert(ch >= 0x20 || ch == '\n' || ch == '\t',
			  "raw byte %#x at %zu in the JUnit report", ch, i);
		cr_assert(ch != 0x7f && ch != 0xff, "raw byte %#x at %zu", ch, i);
	}
	cr_expect(!has(o, "\xef\xbf\xbe"), "U+FFFE is not an XML character");
	cr_expect(!has(o, "\xed\xa0\x80"), "surrogates are not UTF-8");
	/* attributes: every special character is an entity or an escape */
	cr_expect(has(o, " name=\"a\\x00b&quot;&lt;&amp;&gt;&#10;c\\\\x00&#9;&#13;\\x1b\\xff"
		      "\\xef\\xbf\\xbe\\xed\\xa0\\x80\xc3\xa9\""), "%s", o->text);
	cr_expect(has(o, " classname=\"ns&#10;&quot;},{x=&quot;1\\\\\""));
	cr_expect(has(o, "<testsuite name=\"ns&#10;&quot;},{x=&quot;1\\\\\""));
	/* text: the container name cannot close the element */
	cr_expect(has(o, "container 'c&lt;/failure&gt;&quot;&amp;amp;' (container)"));
	cr_expect_eq(count_str(o->text, o->len, "</failure>"), 2,
		     "one for the pod, one for the namespace");
	cr_expect_eq(count_str(o->text, o->len, "<testcase "), 3);
	rig_close(&g);
}

Test(formats, hostile_names_json_formats)
{
	struct rig g;
	char *sarif, *pr;

	run_hostile(&g);
	sarif = flatten("the SARIF report", g.o[SARIF].text, g.o[SARIF].len);
	pr = flatten("the policy report", g.o[PR].text, g.o[PR].len);
	/* the names decode back to the very same bytes */
	/* the names decode back to the same bytes, except that bytes which
	 * are not UTF-8 became U+FFFD (JSON must be UTF-8) */
	cr_expect(flat_has(sarif, ".runs[0].results[0].properties.pod=" HOSTILE_POD_JSON), "%s", sarif);
	cr_expect(flat_has(sarif, ".runs[0].results[0].properties.namespace=\"ns\\x0a\"},{x=\"1\\x5c\""));
	cr_expect(flat_has(sarif, ".runs[0].results[0].properties.container=\"c</failure>\"&amp;\""));
	cr_expect(flat_has(sarif, ".runs[0].results[0].locations[0].logicalLocations[0].fullyQualifiedName="
			   "\"ns\\x0a\"},{x=\"1\\x5c/" HOSTILE_POD_FLAT "/c</failure>\"&amp;\""));
	cr_expect(flat_has(pr, ".results[0].resources[0].name=" HOSTILE_POD_JSON));
	cr_expect(flat_has(pr, ".results[0].properties.container=\"c</failure>\"&amp;\""));
	cr_expect(flat_has(pr, ".results[1].resources[0].name=\"ns\\x0a\"},{x=\"1\\x5c\""));
	free(sarif);
	free(pr);
	rig_close(&g);
}

Test(formats, hostile_names_prometheus)
{
	const struct out *o;
	struct rig g;
	const char *p;

	run_hostile(&g);
	o = &g.o[PROM];
	/* backslash, quote and newline escaped: the name cannot end the
	 * label or the line, nor fake another label */
	cr_expect(has(o, "kubecapscan_failing_pods{namespace=\"ns\\n\\\"},{x=\\\"1\\\\\"} 1\n"),
		  "%s", o->text);
	cr_expect(has(o, "kubecapscan_failing_containers{namespace=\"ns\\n\\\"},{x=\\\"1\\\\\","
		      "reason=\"NO_SECURITY_CONTEXT\"} 1\n"));
	/* every line is a comment or a sample */
	for (p = o->text; p < o->text + o->len; p = strchr(p, '\n') + 1) {
		cr_assert(!strncmp(p, "# HELP kubecapscan_", 19) ||
			  !strncmp(p, "# TYPE kubecapscan_", 19) ||
			  !strncmp(p, "kubecapscan_", 12), "bad line: %.40s", p);
	}
	/* pod and container names never appear (cardinality) */
	cr_expect(!has(o, "failure>"));
	cr_expect(!has(o, "a\\x00b") && !memmem(o->text, o->len, "a\0b", 3));
	rig_close(&g);
}

/* The label escaper keeps the file UTF-8: invalid bytes become U+FFFD. */
Test(formats, prometheus_label_utf8)
{
	struct kcs_error err = KCS_ERROR_INIT;
	struct kcs_pod pod;
	struct kcs_container *c;
	struct rig g;
	static const char ns[] = "x\xff\xc3\xa9\xed\xa0\x80\xe2\x82";

	rig_open(&g);
	kcs_pod_init(&pod);
	set_name(&pod.name, "p", 1);
	set_name(&pod.ns, ns, sizeof(ns) - 1);
	c = kcs_pod_add_container(&pod, KCS_CTYPE_CONTAINER, &err);
	cr_assert_not_null(c);
	set_name(&c->name, "c", 1);
	kcs_audit_pod(&pod);
	cr_assert_eq(kcs_scan_pod(&pod, g.scan, &err), KCS_OK);
	cr_assert_eq(rig_finish(&g, NULL, 1), KCS_OK);
	cr_expect(has(&g.o[PROM], "namespace=\"x\xef\xbf\xbd\xc3\xa9\xef\xbf\xbd\xef\xbf\xbd"
		      "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\""), "%s", g.o[PROM].text);
	kcs_pod_release(&pod);
	rig_close(&g);
}

/* ---- JUnit grouping through the spool ------------------------------ */

/*
 * Pods of 7 namespaces, interleaved, with long names so the spool's
 * buffers fill many times: every link crosses a flush (pwrite), and every
 * suite must list its pods in input order.
 */
Test(formats, junit_groups_interleaved_pods_in_order)
{
	struct kcs_error err = KCS_ERROR_INIT;
	struct kcs_pod pod;
	struct kcs_container *c;
	struct rig g;
	char name[KCS_NAME_MAX + 1], want[300];
	const char *p;
	size_t i, k, n_pods = 3000, n_ns = 7;

	rig_open(&g);
	kcs_pod_init(&pod);
	for (i = 0; i < n_pods; i++) {
		kcs_pod_reset(&pod);
		snprintf(name, sizeof(name), "ns-%zu", (i * 5) % n_ns);
		set_name(&pod.ns, name, strlen(name));
		memset(name, 'p', 200);
		snprintf(name + 200, sizeof(name) - 200, "-%05zu", i);
		set_name(&pod.name, name, strlen(name));
		c = kcs_pod_add_container(&pod, KCS_CTYPE_CONTAINER, &err);
		cr_assert_not_null(c);
		set_name(&c->name, name, 150);
		if (i % 3 == 0) {
			c->has_sc = c->has_caps = 1;
			c->drop = KCS_CAP_ALL | KCS_CAP_ALL_EXACT;
		}
		kcs_audit_pod(&pod);
		cr_assert_eq(kcs_scan_pod(&pod, g.scan, &err), KCS_OK);
	}
	cr_assert_eq(rig_finish(&g, NULL, 1), KCS_OK);
	kcs_pod_release(&pod);

	p = g.o[JUNIT].text;
	for (k = 0; k < n_ns; k++) {
		size_t seen = 0;

		snprintf(want, sizeof(want), "<testsuite name=\"ns-%zu\"", k);
		p = strstr(p, want);
		cr_assert_not_null(p, "no suite ns-%zu", k);
		for (i = 0; i < n_pods; i++) {
			if ((i * 5) % n_ns != k)
				continue;
			snprintf(want, sizeof(want), "classname=\"ns-%zu\" name=\"%.200s-%05zu\"",
				 k, name, i);
			p = strstr(p, want);
			cr_assert_not_null(p, "pod %zu missing or out of order in ns-%zu", i, k);
			seen++;
		}
		cr_expect_gt(seen, 400);
	}
	cr_expect_eq(count_str(g.o[JUNIT].text, g.o[JUNIT].len, "<testcase "), n_pods + 1);
	cr_expect_eq(count_str(g.o[JUNIT].text, g.o[JUNIT].len, "<failure "), n_pods - n_pods / 3);
	rig_close(&g);
}

/* ---- the rows behind the grouping writers ------------------------- */

/* Bytewise, shorter first: the order rows must come back in. */
static int name_cmp(const char *a, size_t al, const char *b, size_t bl)
{
	int c = memcmp(a, b, al < bl ? al : bl);

	return c ? c : (al < bl ? -1 : al > bl);
}

/*
 * Pods of 13 namespaces and 50 workloads each, interleaved; every run of
 * the external sort (down to 1 KiB, merged two at a time: many runs and
 * merge passes) must give them back grouped by namespace, kind and name,
 * each row exactly once, each workload's pods in input order.
 */
Test(formats, rows_sort_across_runs_and_passes)
{
	static const struct {
		size_t run_bytes, fanin;
	} cfg[] = { { 0, 0 }, { 4096, 2 }, { 1024, 3 }, { 64 * 1024, 64 } };
	static const char *const kinds[] = { "Deployment", "StatefulSet", "Pod" };
	struct kcs_error err = KCS_ERROR_INIT;
	struct kcs_pod pod;
	struct kcs_container *c;
	char name[64];
	size_t k, i, n_pods = 2000;

	kcs_pod_init(&pod);
	for (k = 0; k < KCS_ARRAY_SIZE(cfg); k++) {
		struct kcs_rows *r = kcs_rows_new();
		const struct kcs_row *x;
		char prev_ns[64] = "", prev_kind[64] = "", prev_name[64] = "";
		size_t prev_ns_len = 0, prev_name_len = 0, pods = 0, ctrs = 0;
		size_t want_pods = 0, want_ctrs = 0;
		unsigned long long prev_seq = 0;
		int first = 1;

		cr_assert_not_null(r);
		kcs_rows_set_limits(r, cfg[k].run_bytes, cfg[k].fanin);
		for (i = 0; i < n_pods; i++) {
			kcs_pod_reset(&pod);
			snprintf(name, sizeof(name), "ns-%02zu", (i * 7) % 13);
			set_name(&pod.ns, name, strlen(name));
			snprintf(name, sizeof(name), "pod-%05zu", i);
			set_name(&pod.name, name, strlen(name));
			pod.workload.present = 1;
			snprintf(pod.workload.kind, sizeof(pod.workload.kind), "%s",
				 kinds[(i * 5) % 3]);
			snprintf(name, sizeof(name), "w-%02zu", (i * 11) % 50);
			set_name(&pod.workload.name, name, strlen(name));
			c = kcs_pod_add_container(&pod, KCS_CTYPE_CONTAINER, &err);
			cr_assert_not_null(c);
			set_name(&c->name, "app", 3);
			c = kcs_pod_add_container(&pod, KCS_CTYPE_INIT, &err);
			cr_assert_not_null(c);
			set_name(&c->name, "init", 4);
			if (i % 4 == 0) { /* the init container passes */
				c->has_sc = c->has_caps = 1;
				c->drop = KCS_CAP_ALL | KCS_CAP_ALL_EXACT;
			}
			kcs_audit_pod(&pod);
			want_pods++;
			want_ctrs += 1 + (i % 4 != 0);
			cr_assert_eq(kcs_rows_add_pod(r, &pod, &err), KCS_OK, "%s", err.msg);
		}
		cr_assert_eq(kcs_rows_sort(r, &err), KCS_OK, "%s", err.msg);
		for (;;) {
			int c1, same;

			cr_assert_eq(kcs_rows_next(r, &x, &err), KCS_OK, "%s", err.msg);
			if (!x)
				break;
			c1 = name_cmp(prev_ns, prev_ns_len, x->ns, x->ns_len);
			if (!c1)
				c1 = strcmp(prev_kind, x->wkind);
			if (!c1)
				c1 = name_cmp(prev_name, prev_name_len, x->wname,
					      x->wname_len);
			cr_assert(first || c1 <= 0, "config %zu: rows out of order", k);
			same = !first && c1 == 0;
			if (x->kind == KCS_ROW_POD) {
				cr_assert(!same || x->seq > prev_seq,
					  "config %zu: pods of a workload out of order", k);
				prev_seq = x->seq;
				pods++;
			} else if (x->kind == KCS_ROW_CONTAINER) {
				ctrs++;
			}
			first = 0;
			memcpy(prev_ns, x->ns, x->ns_len);
			prev_ns_len = x->ns_len;
			snprintf(prev_kind, sizeof(prev_kind), "%s", x->wkind);
			memcpy(prev_name, x->wname, x->wname_len);
			prev_name_len = x->wname_len;
		}
		cr_expect_eq(pods, want_pods, "config %zu", k);
		cr_expect_eq(ctrs, want_ctrs, "config %zu", k);
		/* the end stays the end */
		cr_assert_eq(kcs_rows_next(r, &x, &err), KCS_OK);
		cr_expect_null(x);
		kcs_rows_free(r);
	}
	kcs_pod_release(&pod);
}

/* A workload's rows gather into one group: distinct containers with their
 * pod counts, the failing pods, and nothing of another workload. */
Test(formats, wgroup_collapses_the_pods_of_a_template)
{
	struct kcs_error err = KCS_ERROR_INIT;
	struct kcs_rows *r = kcs_rows_new();
	struct kcs_wgroup g;
	struct kcs_pod pod;
	struct kcs_container *c;
	char name[32];
	size_t i;
	int more;

	cr_assert_not_null(r);
	kcs_rows_set_limits(r, 512, 2);
	kcs_wgroup_init(&g);
	kcs_pod_init(&pod);
	for (i = 0; i < 30; i++) {
		kcs_pod_reset(&pod);
		set_name(&pod.ns, "n", 1);
		snprintf(name, sizeof(name), "web-%02zu", i);
		set_name(&pod.name, name, strlen(name));
		pod.workload.present = 1;
		snprintf(pod.workload.kind, sizeof(pod.workload.kind), "%s",
			 i % 3 ? "Deployment" : "DaemonSet");
		set_name(&pod.workload.name, "web", 3);
		c = kcs_pod_add_container(&pod, KCS_CTYPE_CONTAINER, &err);
		cr_assert_not_null(c);
		set_name(&c->name, "app", 3);
		if (i % 2) /* half of them add NET_RAW instead */
			c->has_sc = c->has_caps = 1, c->add = KCS_CAP_NET_RAW;
		kcs_audit_pod(&pod);
		cr_assert_eq(kcs_rows_add_pod(r, &pod, &err), KCS_OK);
	}
	cr_assert_eq(kcs_rows_sort(r, &err), KCS_OK);
	/* DaemonSet/web: pods 0, 3, ..., 27 (10); Deployment/web: 20 */
	cr_assert_eq(kcs_wgroup_next(r, &g, &more, &err), KCS_OK);
	cr_assert(more);
	cr_expect_str_eq(g.kind, "DaemonSet");
	cr_expect_eq(g.known, 0, "no WORKLOAD row was added");
	cr_expect_eq(g.n_fail_pods, 10);
	cr_expect_eq(g.n_fail_pods_kept, KCS_WGROUP_MAX_PODS);
	cr_expect_eq(g.fail_pod_lens[0], 6);
	cr_expect(!memcmp(g.fail_pods[0], "web-00", 6));
	cr_assert_eq(g.n_rows, 2, "ADD_NET_RAW and NO_SECURITY_CONTEXT");
	cr_expect_eq(g.rows[0].pods + g.rows[1].pods, 10);
	cr_assert_eq(kcs_wgroup_next(r, &g, &more, &err), KCS_OK);
	cr_assert(more);
	cr_expect_str_eq(g.kind, "Deployment");
	cr_expect_eq(g.n_fail_pods, 20);
	cr_assert_eq(g.n_rows, 2);
	cr_expect_eq(g.rows[0].reason, KCS_R_ADD_NET_RAW);
	cr_expect_eq(g.rows[0].pods, 10);
	cr_expect_eq(g.rows[1].reason, KCS_R_NO_SECURITY_CONTEXT);
	cr_expect_eq(g.rows[1].pods, 10);
	cr_assert_eq(kcs_wgroup_next(r, &g, &more, &err), KCS_OK);
	cr_expect_eq(more, 0);
	kcs_wgroup_release(&g);
	kcs_rows_free(r);
	kcs_pod_release(&pod);
}

/* ---- drift (--baseline) in every format ------------------------------ */

/* The JSON report of a scan of `q` (quotes as '), as a baseline. */
static char *baseline_report(const char *q, size_t *len)
{
	struct kcs_error err = KCS_ERROR_INIT;
	struct kcs_scan *s = kcs_scan_new(NULL);
	struct kcs_reader_cbs cbs;
	struct kcs_reader *rd;
	struct kcs_report *rep;
	struct kcs_source src = { 0 };
	char *text = NULL, *d;
	size_t i, n = strlen(q);
	FILE *f;

	cr_assert_not_null(s);
	f = open_memstream(&text, len);
	cr_assert_not_null(f);
	rep = kcs_report_new(KCS_FORMAT_JSON, f);
	cr_assert_not_null(rep);
	cr_assert_eq(kcs_scan_attach_report(s, rep, &err), KCS_OK);
	cbs = kcs_scan_reader_cbs(s);
	rd = kcs_reader_new(&cbs, KCS_HINT_NONE);
	cr_assert_not_null(rd);
	kcs_scan_set_times(s, T_START - 7 * 86400, T_END - 7 * 86400);
	cr_assert_eq(kcs_scan_begin(s, &err), KCS_OK);
	d = malloc(n + 1);
	cr_assert_not_null(d);
	for (i = 0; i <= n; i++)
		d[i] = q[i] == '\'' ? '"' : q[i];
	cr_assert_eq(kcs_input_mem(rd, d, n, 0, &err), KCS_OK, "%s", err.msg);
	free(d);
	src.kind = KCS_SOURCE_FILE;
	cr_assert_eq(kcs_scan_finish(s, &src, 1, &err), KCS_OK, "%s", err.msg);
	cr_assert_eq(fclose(f), 0);
	kcs_reader_free(rd);
	kcs_scan_free(s);
	return text;
}

#define NS_N "{'kind':'Namespace','metadata':{'name':'n'}}"
#define NS_M "{'kind':'Namespace','metadata':{'name':'m'}}"
#define NS_OLD "{'kind':'Namespace','metadata':{'name':'old'}}"
#define DROP_ALL ",'securityContext':{'capabilities':{'drop':['ALL']}}"
#define POD(ns, name, ctr, extra) \
	"{'kind':'Pod','metadata':{'name':'" name "','namespace':'" ns "'}," \
	"'spec':{'containers':[{'name':'" ctr "'" extra "}]}}"
#define RS_POD(name, ctr, extra) \
	"{'kind':'Pod','metadata':{'name':'" name "','namespace':'n'," \
	"'ownerReferences':[{'apiVersion':'apps/v1','kind':'StatefulSet'," \
	"'name':'db','uid':'u-db','controller':true}]}," \
	"'spec':{'containers':[{'name':'" ctr "'" extra "}]}}"

/*
 * Last week: n (unlabelled: FAIL) with p1/c failing, p2/d passing,
 * StatefulSet db failing; old (FAIL, pod o failing). This week: p1 fixed,
 * p2 regressed, db still failing (another pod name), old deleted, m new
 * with q failing. New failures: m (namespace), m/Pod/q/c, n/Pod/p2/d;
 * fixed: n/Pod/p1/c (fixed), old (gone), old/Pod/o/c (gone); still
 * failing: n (namespace), n/StatefulSet/db/x.
 */
Test(formats, drift_in_every_format)
{
	struct kcs_error err = KCS_ERROR_INIT;
	struct kcs_source src = { 0 };
	struct kcs_drift *d = kcs_drift_new();
	struct rig g;
	char *base, *sarif, *pr;
	size_t len;

	base = baseline_report("{'kind':'List','items':[" NS_N "," NS_OLD ","
			       POD("n", "p1", "c", "") ","
			       POD("n", "p2", "d", DROP_ALL) ","
			       RS_POD("db-0", "x", "") ","
			       POD("old", "o", "c", "") "]}", &len);
	cr_assert_not_null(d);
	cr_assert_eq(kcs_drift_baseline_begin(d, "last-week.json", &err), KCS_OK);
	cr_assert_eq(kcs_drift_baseline_feed(d, base, len, &err), KCS_OK, "%s", err.msg);
	cr_assert_eq(kcs_drift_baseline_finish(d, &err), KCS_OK, "%s", err.msg);
	free(base);

	rig_open(&g);
	kcs_scan_set_drift(g.scan, d);
	rig_feed_q(&g, "{'kind':'List','items':[" NS_N "," NS_M ","
		   POD("n", "p1", "c", DROP_ALL) ","
		   POD("n", "p2", "d", "") ","
		   RS_POD("db-1", "x", "") ","
		   POD("m", "q", "c", "") "]}");
	src.kind = KCS_SOURCE_FILE;
	cr_assert_eq(rig_finish(&g, &src, 1), KCS_OK);
	cr_assert_eq(kcs_drift_count(d, KCS_DRIFT_NEW_FAILURES), 3);
	cr_assert_eq(kcs_drift_count(d, KCS_DRIFT_FIXED_ITEMS), 3);
	cr_assert_eq(kcs_drift_count(d, KCS_DRIFT_STILL_FAILING_ITEMS), 2);

	/* JUnit: a failing testcase per new failure, passing per fixed item */
	cr_expect(has(&g.o[JUNIT], "<testsuite name=\"kubecapscan drift\" tests=\"6\" "
		      "failures=\"3\" errors=\"0\" skipped=\"0\""), "%s", g.o[JUNIT].text);
	cr_expect(has(&g.o[JUNIT], "<testcase classname=\"n\" name=\"Pod/p2 container "
		      "'d' (container)\" time=\"0\">\n      <failure type=\"regressed\" "
		      "message=\"regressed since the baseline: NO_SECURITY_CONTEXT\"/>"));
	cr_expect(has(&g.o[JUNIT], "<testcase classname=\"m\" name=\"namespace\" time=\"0\">\n"
		      "      <failure type=\"new\""));
	cr_expect(has(&g.o[JUNIT], "<testcase classname=\"old\" name=\"namespace\" time=\"0\">\n"
		      "      <system-out>gone since the baseline"));
	cr_expect(has(&g.o[JUNIT], "<property name=\"drift.stillFailing\" value=\"2\"/>"));
	cr_expect(has(&g.o[JUNIT], "\nnew namespace: m\nremoved namespace: old</system-out>"));

	/* SARIF: baselineState on every result; fixed ones are absent */
	sarif = flatten("the SARIF report", g.o[SARIF].text, g.o[SARIF].len);
	cr_expect_eq(count_lines(sarif, ".runs[0].results[", "].baselineState=\"new\""), 3,
		     "%s", sarif);
	cr_expect_eq(count_lines(sarif, ".runs[0].results[", "].baselineState=\"unchanged\""), 2);
	cr_expect_eq(count_lines(sarif, ".runs[0].results[", "].baselineState=\"absent\""), 3);
	cr_expect_eq(count_lines(sarif, ".runs[0].results[", "].kind=\"pass\""), 3);
	cr_expect_eq(count_str(sarif, strlen(sarif), "].baselineState="), 8,
		     "every result has one");
	cr_expect(flat_has(sarif, ".runs[0].properties.drift.newFailures=3"));
	cr_expect(flat_has(sarif, ".runs[0].properties.drift.fixed=3"));
	cr_expect(flat_has(sarif, ".runs[0].properties.drift.stillFailing=2"));
	cr_expect(flat_has(sarif, ".runs[0].properties.drift.removedNamespaces[0]=\"old\""));
	cr_expect(flat_has(sarif, ".runs[0].properties.drift.baseline.file=\"last-week.json\""));

	/* Prometheus: the counts */
	cr_expect(has(&g.o[PROM], "\nkubecapscan_drift_new_failures 3\n"), "%s", g.o[PROM].text);
	cr_expect(has(&g.o[PROM], "\nkubecapscan_drift_fixed 3\n"));
	cr_expect(has(&g.o[PROM], "\nkubecapscan_drift_unknown 0\n"));
	cr_expect(has(&g.o[PROM], "\nkubecapscan_drift_still_failing 2\n"));
	cr_expect(has(&g.o[PROM], "\nkubecapscan_drift_new_namespaces 1\n"));
	cr_expect(has(&g.o[PROM], "\nkubecapscan_drift_removed_namespaces 1\n"));

	/* policy report: a result per item, the counts as annotations */
	pr = flatten("the policy report", g.o[PR].text, g.o[PR].len);
	cr_expect_eq(count_lines(pr, ".results[", "].rule=\"baseline-drift\""), 6, "%s", pr);
	cr_expect_eq(count_str(pr, strlen(pr), ".properties.driftList=\"newFailures\""), 3);
	cr_expect_eq(count_str(pr, strlen(pr), ".properties.driftState=\"gone\""), 2);
	cr_expect(strstr(pr, "/drift-new-failures=\"3\"\n"));
	cr_expect(strstr(pr, "/drift-still-failing=\"2\"\n"));
	cr_expect(strstr(pr, "/baseline=\"last-week.json\"\n"));
	free(sarif);
	free(pr);
	rig_close(&g);
	kcs_drift_free(d);
}

/* ---- failures --------------------------------------------------------- */

/* A full disk is an error of the report, not a silent truncation. */
Test(formats, write_errors)
{
	size_t k;

	for (k = 0; k < N_FMTS; k++) {
		struct kcs_error err = KCS_ERROR_INIT;
		struct kcs_scan *s = kcs_scan_new(NULL);
		FILE *f = fopen("/dev/full", "w");
		struct kcs_report *rep;
		enum kcs_err rc;

		cr_assert_not_null(s);
		cr_assert_not_null(f, "no /dev/full");
		setvbuf(f, NULL, _IONBF, 0);
		rep = kcs_report_new(fmts[k], f);
		cr_assert_not_null(rep);
		cr_assert_eq(kcs_scan_attach_report(s, rep, &err), KCS_OK);
		rc = kcs_scan_begin(s, &err);
		cr_expect(rc == KCS_OK || rc == KCS_ERR_IO, "%s", kcs_err_name(rc));
		kcs_error_clear(&err);
		cr_expect_eq(kcs_scan_finish(s, NULL, 1, &err), KCS_ERR_IO,
			     "%s report: %s", kcs_format_name(fmts[k]), err.msg);
		kcs_scan_free(s);
		fclose(f);
	}
}

/* Every allocation failure is a clean KCS_ERR_NOMEM, never a crash. */
Test(formats, out_of_memory)
{
	long n;
	size_t k;

	for (k = 0; k < N_FMTS; k++) {
		for (n = 0; n < 8; n++) {
			struct kcs_report *rep;

			kcs_alloc_fail_after(n);
			rep = kcs_report_new(fmts[k], stdout);
			kcs_alloc_fail_after(-1);
			if (rep) {
				rep->ops->free(rep);
				break;
			}
		}
		cr_expect_lt(n, 8, "%s never built", kcs_format_name(fmts[k]));
	}
	/* the per-namespace records of the grouping formats */
	for (k = 0; k < N_FMTS; k++) {
		struct kcs_error err = KCS_ERROR_INIT;
		struct kcs_report *rep = kcs_report_new(fmts[k], stdout);
		struct kcs_scan_meta meta = { T_START, kcs_control_default(), NULL };
		struct kcs_pod pod;
		enum kcs_err rc;

		cr_assert_not_null(rep);
		kcs_pod_init(&pod);
		set_name(&pod.ns, "n", 1);
		set_name(&pod.name, "p", 1);
		kcs_audit_pod(&pod);
		cr_assert_eq(rep->ops->begin(rep, &meta, &err), KCS_OK);
		kcs_alloc_fail_after(0);
		rc = rep->ops->pod(rep, &pod, &err);
		kcs_alloc_fail_after(-1);
		/* a namespace record, or the first growth of a message buffer */
		cr_expect_eq(rc, KCS_ERR_NOMEM, "%s: %s",
			     kcs_format_name(fmts[k]), err.msg);
		cr_expect_eq(err.code, KCS_ERR_NOMEM);
		rep->ops->free(rep);
		kcs_pod_release(&pod);
	}
}
