/*
 * report_junit.c - JUnit XML, as the test reporters of Jenkins, GitLab and
 * GitHub read it (the element and attribute set of Jenkins' junit-10.xsd).
 *
 * <testsuites> holds one <testsuite> for the scan itself ("scan complete",
 * an <error> when the scan is incomplete), one per namespace, in name
 * order, and with --baseline one named "kubecapscan drift".
 *
 * A namespace's suite holds a <testcase> per workload (classname the
 * namespace), sorted by kind and name: a pod without controller is named
 * by the pod, as before workloads existed, any other workload
 * "Kind/name" ("Deployment/web"). CI tools keep a test's history by its
 * name, and a workload's name survives the rollouts that rename its pods.
 * A failing workload's <failure> names every distinct failing container's
 * reason in words and says how many of its pods fail; the body lists the
 * failing pods, the effective exposure (--runtime-aware) and the fix. A
 * NOT_APPLICABLE or EXEMPT workload is <skipped/>. The suite also holds a
 * testcase "namespace admission (Pod Security)" when the namespace FAILs,
 * and with --probe-admission for every probed namespace, with what the
 * probe pods met in its system-out. The drift suite holds a failing
 * testcase per new failure, a passing one per fixed item and a skipped
 * one per item that cannot be judged. Every suite's <properties> carry
 * the tool version, the control and benchmark, the scan time and the
 * cluster identity.
 *
 * Grouping must not hold the pods in memory (a scan of 150,000 pods runs
 * in a few MiB): pods become rows of a struct kcs_rows, which sorts them
 * by workload through a temporary file (report.c); what stays in memory
 * is one counter record per namespace and the workload being written.
 *
 * XML 1.0 cannot carry NUL or most control characters at all, not even as
 * character references, so those bytes, bytes that are not UTF-8 and the
 * noncharacters U+FFFE/U+FFFF are written as \xHH, and a backslash as \\,
 * which keeps the escape unambiguous. &, <, >, " are entities; tab, newline
 * and carriage return in attributes are character references, so attribute
 * normalisation cannot eat them.
 */
#include <stdio.h>
#include <string.h>

#include "kcs/alloc.h"
#include "kcs/drift.h"
#include "kcs/exempt.h"
#include "kcs/probe.h"
#include "kcs/remediate.h"
#include "kcs/report.h"
#include "kcs/runtime.h"
#include "kcs/version.h"
#include "kcs/banned.h"

/* The name of the drift suite: a space, so no namespace can have it. */
#define DRIFT_SUITE "kubecapscan drift"
/* The name of the namespace testcase. */
#define NS_CASE "namespace admission (Pod Security)"

/* What the writer keeps per namespace: its workloads' outcomes. */
struct junit_ns {
	unsigned long long tests;    /* workloads */
	unsigned long long failures; /* failing workloads */
	unsigned long long skipped;  /* NOT_APPLICABLE, EXEMPT, UNKNOWN */
};

struct junit_report {
	struct kcs_report base; /* must be first */
	FILE *out;              /* borrowed */
	struct kcs_nsmap *ns;   /* namespace name -> struct junit_ns */
	struct kcs_rows *rows;  /* the pods, sorted by workload at the end */
	struct kcs_wgroup g;    /* the workload being written */
	int have_g;             /* g holds a workload not yet written */
	int rows_done;          /* every workload was read */
};

/* ---- XML text --------------------------------------------------------- */

/* Length of the valid UTF-8 XML Char at p[0..len), or 0 if there is none. */
static size_t xml_char_len(const unsigned char *p, size_t len)
{
	unsigned long cp;
	size_t n = kcs_utf8_char((const char *)p, len, &cp);

	if (!n || cp == 0xfffe || cp == 0xffff)
		return 0;
	return n;
}

/* Write `len` bytes as XML character data; `attr`: inside an attribute. */
static void xml_put(FILE *f, const char *s, size_t len, int attr)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, n;

	while (i < len) {
		unsigned char c = p[i];

		switch (c) {
		case '&': fputs("&amp;", f); i++; continue;
		case '<': fputs("&lt;", f); i++; continue;
		case '>': fputs("&gt;", f); i++; continue;
		case '"':
			/* only attributes need it; text keeps JSON readable */
			fputs(attr ? "&quot;" : "\"", f);
			i++;
			continue;
		case '\\': fputs("\\\\", f); i++; continue;
		case '\r': fputs("&#13;", f); i++; continue;
		case '\t':
		case '\n':
			if (attr)
				fprintf(f, "&#%d;", c);
			else
				fputc(c, f);
			i++;
			continue;
		default:
			break;
		}
		if (c < 0x20 || c == 0x7f || !(n = xml_char_len(p + i, len - i))) {
			fprintf(f, "\\x%02x", c);
			i++;
			continue;
		}
		fwrite(p + i, 1, n, f);
		i += n;
	}
}

static void xml_putz(FILE *f, const char *s, int attr)
{
	xml_put(f, s, strlen(s), attr);
}

/* ` key="value"` */
static void attr(FILE *f, const char *key, const char *val, size_t len)
{
	fprintf(f, " %s=\"", key);
	xml_put(f, val, len, 1);
	fputc('"', f);
}

static void attrz(FILE *f, const char *key, const char *val)
{
	attr(f, key, val, strlen(val));
}

static void attr_num(FILE *f, const char *key, unsigned long long v)
{
	fprintf(f, " %s=\"%llu\"", key, v);
}

/* ---- the report ----------------------------------------------------------- */

/* Properties every suite carries: tool, control, scan time, cluster. */
static void property(FILE *f, const char *name, const char *val)
{
	if (!val)
		return;
	fputs("      <property", f);
	attrz(f, "name", name);
	attrz(f, "value", val);
	fputs("/>\n", f);
}

static void common_properties(FILE *f, const struct kcs_scan_result *res)
{
	const struct kcs_control *c = res->meta->control;
	struct kcs_identity id;
	char ts[32];

	kcs_report_identity(res, &id);
	kcs_format_time(res->started, ts);
	property(f, "kubecapscan.version", KCS_VERSION);
	property(f, "control.id", c->id);
	property(f, "control.title", c->title);
	property(f, "benchmark", c->benchmark);
	property(f, "benchmark.name", c->name);
	property(f, "benchmark.version", c->version);
	property(f, "scan.time", ts);
	property(f, "scan.complete", res->complete ? "true" : "false");
	property(f, "cluster.source", id.source);
	property(f, "cluster.name", id.cluster_name);
	property(f, "cluster.server", id.server);
	property(f, "cluster.context", id.context);
	property(f, "cluster.serverVersion", id.server_version);
	property(f, "cluster.id", id.cluster_id);
}

static const char *hostname(const struct kcs_scan_result *res)
{
	struct kcs_identity id;

	kcs_report_identity(res, &id);
	if (id.cluster_name)
		return id.cluster_name;
	return id.server ? id.server : "unknown";
}

static void suite_open(FILE *f, const struct kcs_scan_result *res,
		       const char *name, size_t name_len, size_t idx,
		       unsigned long long tests, unsigned long long failures,
		       unsigned long long errors, unsigned long long skipped)
{
	char ts[32];

	kcs_format_time(res->started, ts);
	fputs("  <testsuite", f);
	attr(f, "name", name, name_len);
	attr_num(f, "tests", tests);
	attr_num(f, "failures", failures);
	attr_num(f, "errors", errors);
	attr_num(f, "skipped", skipped);
	fputs(" time=\"0\"", f);
	attrz(f, "timestamp", ts);
	attrz(f, "hostname", hostname(res));
	attr_num(f, "id", idx);
	fputs(">\n    <properties>\n", f);
	common_properties(f, res);
}

static void testcase_open(FILE *f, const char *cls, size_t cls_len,
			  const char *name, size_t name_len)
{
	fputs("    <testcase", f);
	attr(f, "classname", cls, cls_len);
	attr(f, "name", name, name_len);
	fputs(" time=\"0\"", f);
}

/*
 * Exemptions file entries that expired or matched nothing, one line each;
 * with f NULL only counts them.
 */
static size_t exemption_notes(const struct kcs_scan_result *res, FILE *f)
{
	const struct kcs_exemptions *ex = res->exemptions;
	size_t i, n = 0;

	for (i = 0; ex && i < ex->n; i++) {
		const struct kcs_exemption *e = &ex->entries[i];

		if (!e->expired && e->matches)
			continue;
		n++;
		if (!f)
			continue;
		fprintf(f, "exemption: line %lu of ", e->line);
		xml_putz(f, ex->path ? ex->path : "the exemptions file", 0);
		if (e->expired)
			fprintf(f, " expired on %s and no longer applies: ", e->expires);
		else
			fputs(" matched nothing: ", f);
		xml_putz(f, e->reason ? e->reason : "", 0);
		fputc('\n', f);
	}
	return n;
}

/* The scan's own suite: one testcase, an <error> when incomplete. */
static void scan_suite(FILE *f, const struct kcs_scan_result *res)
{
	size_t i;

	suite_open(f, res, "kubecapscan", 11, 0, 1, 0, !res->complete, 0);
	fputs("    </properties>\n", f);
	testcase_open(f, "kubecapscan", 11, "scan complete", 13);
	if (res->complete) {
		fputs("/>\n", f);
	} else {
		fputs(">\n      <error type=\"INCOMPLETE\" message=\"", f);
		if (res->n_errors)
			xml_putz(f, res->errors[0].message, 1);
		else
			fputs("the scan could not see everything", f);
		fputs("\">the scan could not see everything; do not read it "
		      "as a pass", f);
		for (i = 0; i < res->n_errors; i++) {
			fputs("\nerror: ", f);
			xml_putz(f, res->errors[i].message, 0);
		}
		fputs("</error>\n    </testcase>\n", f);
	}
	if (res->n_warnings || exemption_notes(res, NULL)) {
		fputs("    <system-out>", f);
		for (i = 0; i < res->n_warnings; i++) {
			fputs("warning: ", f);
			xml_putz(f, res->warnings[i], 0);
			fputc('\n', f);
		}
		exemption_notes(res, f);
		fputs("</system-out>\n", f);
	}
	fputs("  </testsuite>\n", f);
}

/* ---- pods -------------------------------------------------------------- */

static enum kcs_err junit_begin(struct kcs_report *rep,
				const struct kcs_scan_meta *meta,
				struct kcs_error *err)
{
	(void)rep;
	(void)meta;
	(void)err;
	return KCS_OK; /* nothing can be written before the namespaces are known */
}

static enum kcs_err junit_pod(struct kcs_report *rep, const struct kcs_pod *pod,
			      struct kcs_error *err)
{
	struct junit_report *j = (struct junit_report *)rep;

	return kcs_rows_add_pod(j->rows, pod, err);
}

/* Count every workload in its namespace and spool its WORKLOAD row. */
static enum kcs_err count_workload(const struct kcs_workload *w, void *user,
				   struct kcs_error *err)
{
	struct junit_report *j = user;
	struct junit_ns *n = kcs_nsmap_get(j->ns, w->ns, w->ns_len, err);

	if (!n)
		return err ? err->code : KCS_ERR_NOMEM;
	n->tests++;
	if (w->verdict == KCS_VERDICT_FAIL)
		n->failures++;
	else if (w->verdict != KCS_VERDICT_PASS)
		n->skipped++;
	return kcs_rows_add_workload(j->rows, w, err);
}

/* ---- namespaces ----------------------------------------------------------- */

/* Does namespace `e` get its own testcase, and how does it end? */
static int ns_case(const struct kcs_ns_entry *e)
{
	return e->result.verdict == KCS_VERDICT_FAIL || e->admission;
}

static int ns_case_skipped(const struct kcs_ns_entry *e)
{
	return ns_case(e) && e->result.verdict == KCS_VERDICT_UNKNOWN;
}

/* What the admission probe pods met, one line each. */
static void probe_lines(FILE *f, const struct kcs_ns_entry *e)
{
	const struct kcs_probe_result *a = e->admission;
	size_t i;

	fprintf(f, "admission probe: %s %s: ", kcs_verdict_name(a->verdict),
		kcs_probe_reason_name(a->reason));
	xml_putz(f, a->message[0] ? a->message
				  : kcs_probe_reason_text(a->reason), 0);
	fprintf(f, "\nlabels: %s %s: ",
		kcs_verdict_name(e->labels_result.verdict),
		kcs_ns_reason_name(e->labels_result.reason));
	xml_putz(f, kcs_ns_reason_text(e->labels_result.reason), 0);
	fputc('\n', f);
	for (i = 0; i < KCS_PROBE_KINDS; i++) {
		const struct kcs_probe *p = &a->probes[i];

		if (p->outcome == KCS_PROBE_NOT_SENT)
			continue;
		fprintf(f, "probe %s (", kcs_probe_kind_name(p->kind));
		xml_putz(f, p->name, 0);
		fprintf(f, "): %s", kcs_probe_outcome_name(p->outcome));
		if (p->http_status)
			fprintf(f, " %ld", p->http_status);
		if (p->outcome == KCS_PROBE_ADMITTED)
			fprintf(f, ", returned pod %s%s",
				kcs_verdict_name(p->returned_verdict),
				p->mutated ? " (mutated)" : "");
		if (p->message[0]) {
			fputs(": ", f);
			xml_putz(f, p->message, 0);
		}
		fputc('\n', f);
	}
}

static void namespace_testcase(FILE *f, const struct kcs_ns_entry *e)
{
	const struct kcs_probe_result *a = e->admission;
	struct kcs_remedy_ns fix = KCS_REMEDY_NS_INIT;
	char ver[32];
	unsigned i;

	testcase_open(f, e->name.s, e->name.len, NS_CASE, strlen(NS_CASE));
	kcs_psa_version_format(&e->result.version, ver, sizeof(ver));
	if (e->result.verdict == KCS_VERDICT_FAIL) {
		fputs(">\n      <failure", f);
		attrz(f, "type", kcs_ns_reason_name(e->result.reason));
		fputs(" message=\"", f);
		fprintf(f, "%s: ", kcs_ns_reason_name(e->result.reason));
		xml_putz(f, kcs_ns_reason_text(e->result.reason), 1);
		if (a && a->verdict == KCS_VERDICT_FAIL)
			fprintf(f, " (admission probe; labels: %s %s)",
				kcs_verdict_name(e->labels_result.verdict),
				kcs_ns_reason_name(e->labels_result.reason));
		fprintf(f, "\">Pod Security enforce policy in effect: %s:%s",
			kcs_psa_level_name(e->result.level), ver);
		for (i = 0; i < KCS_NF_COUNT; i++)
			if (e->result.flags & (1u << i))
				fprintf(f, " [%s]", kcs_ns_flag_name(1u << i));
		/* the fix; a name kubectl would misread has none */
		if (e->present && !kcs_remediate_namespace(e->name.s,
							   e->name.len, &fix,
							   NULL)) {
			if (fix.dry_run) {
				fputs("\npreview: ", f);
				xml_putz(f, fix.dry_run, 0);
			}
			if (fix.kubectl) {
				fputs("\nfix: ", f);
				xml_putz(f, fix.kubectl, 0);
			}
			kcs_remedy_ns_release(&fix);
		}
		fputs("</failure>\n", f);
	} else if (e->result.verdict == KCS_VERDICT_UNKNOWN) {
		fputs(">\n      <skipped type=\"UNKNOWN\" message=\"", f);
		fprintf(f, "%s: ", kcs_ns_reason_name(e->result.reason));
		xml_putz(f, kcs_ns_reason_text(e->result.reason), 1);
		fputs("\"/>\n", f);
	} else {
		fputs(">\n", f);
	}
	if (a) {
		fputs("      <system-out>", f);
		probe_lines(f, e);
		fputs("</system-out>\n", f);
	}
	fputs("    </testcase>\n", f);
}

/* ---- workloads ----------------------------------------------------------- */

/*
 * "container 'a' (initContainer): PRIVILEGED: <text>", and for an exempt
 * one "; EXEMPT by the exemptions file, line 3, until 2027-01-31: <why>";
 * a pod-level row reads "pod 'p': NO_CONTAINERS: <text>".
 */
static void row_words(FILE *f, const struct kcs_wg_row *w, int attr_ctx)
{
	if (w->pod_level) {
		fputs("pod '", f);
		xml_put(f, w->name, w->name_len, attr_ctx);
		fprintf(f, "': %s: ",
			kcs_pod_reason_name((enum kcs_pod_reason)w->reason));
		xml_putz(f, kcs_pod_reason_text((enum kcs_pod_reason)w->reason),
			 attr_ctx);
		return;
	}
	fputs("container '", f);
	xml_put(f, w->name, w->name_len, attr_ctx);
	fprintf(f, "' (%s): %s: ", kcs_ctype_name(w->ctype),
		kcs_reason_name((enum kcs_reason)w->reason));
	xml_putz(f, kcs_reason_text((enum kcs_reason)w->reason), attr_ctx);
	if (w->verdict != KCS_VERDICT_EXEMPT)
		return;
	if (w->exempt_source == KCS_EXEMPT_FILE)
		fprintf(f, "; EXEMPT by the exemptions file, line %lu",
			w->exempt_line);
	else
		fputs("; EXEMPT by its pod's annotation", f);
	if (w->exempt_expires[0])
		fprintf(f, ", until %.10s", w->exempt_expires);
	fputs(": ", f);
	xml_putz(f, w->exempt_reason, attr_ctx);
}

/* The rows of verdict `v` (FAIL or EXEMPT), once per container, "; "-joined. */
static void rows_message(FILE *f, const struct kcs_wgroup *g,
			 enum kcs_verdict v)
{
	size_t i, shown = 0;

	for (i = 0; i < g->n_rows; i++) {
		const struct kcs_wg_row *w = &g->rows[i];

		if (w->same_container || w->verdict != v)
			continue;
		if (shown++)
			fputs("; ", f);
		row_words(f, w, 1);
	}
}

/* The pods of row i and of the rows after it for the same container. */
static unsigned long long row_pods(const struct kcs_wgroup *g, size_t i)
{
	unsigned long long n = g->rows[i].pods;

	while (++i < g->n_rows && g->rows[i].same_container)
		n += g->rows[i].pods;
	return n;
}

/* The body: a line per row, its exposure, the failing pods, the fix. */
static void rows_body(FILE *f, const struct kcs_wgroup *g)
{
	char flags[128];
	const char *n;
	size_t i;

	for (i = 0; i < g->n_rows; i++) {
		const struct kcs_wg_row *w = &g->rows[i];
		unsigned long long pods;

		if (!w->same_container) {
			pods = row_pods(g, i);
			fputc('\n', f);
			row_words(f, w, 0);
			kcs_report_flags(w->flags, ", ", flags, sizeof(flags));
			if (flags[0] && !w->pod_level)
				fprintf(f, " [%s]", flags);
			fprintf(f, " (%llu pod%s)", pods, pods == 1 ? "" : "s");
		}
		if (!w->has_exposure)
			continue;
		fprintf(f, "\n  exposure: %s %s",
			kcs_exposure_name((enum kcs_exposure)w->exposure),
			kcs_exposure_reason_name(
				(enum kcs_exposure_reason)w->exposure_reason));
		if (w->node_known)
			fprintf(f, " on %s",
				kcs_runtime_name((enum kcs_runtime)w->runtime));
		fprintf(f, " (%llu pod%s)", w->pods, w->pods == 1 ? "" : "s");
	}
	if (g->rows_cut)
		fprintf(f, "\n... and %llu more distinct rows", g->rows_cut);
	if (g->n_fail_pods) {
		fputs("\nfailing pods: ", f);
		for (i = 0; i < g->n_fail_pods_kept; i++) {
			if (i)
				fputs(", ", f);
			xml_put(f, g->fail_pods[i], g->fail_pod_lens[i], 0);
		}
		if (g->n_fail_pods > g->n_fail_pods_kept)
			fprintf(f, " and %llu more",
				g->n_fail_pods - g->n_fail_pods_kept);
	}
	if (!g->has_fix)
		return;
	if (g->kubectl) {
		fputs("\nfix: ", f);
		xml_putz(f, g->kubectl, 0);
	} else if (g->json_patch) {
		fputs("\nfix (JSON patch for its manifest): ", f);
		xml_putz(f, g->json_patch, 0);
	}
	for (i = 0, n = g->notes; n && i < g->n_notes; i++, n += strlen(n) + 1) {
		fputs("\nnote: ", f);
		xml_putz(f, n, 0);
	}
}

/* The type of a failure: its first pod-level reason, else container's. */
static const char *failure_type(const struct kcs_wgroup *g)
{
	size_t i;

	for (i = 0; i < g->n_rows; i++)
		if (g->rows[i].pod_level)
			return kcs_pod_reason_name(
				(enum kcs_pod_reason)g->rows[i].reason);
	for (i = 0; i < g->n_rows; i++)
		if (g->rows[i].verdict == KCS_VERDICT_FAIL)
			return kcs_reason_name(
				(enum kcs_reason)g->rows[i].reason);
	return "FAIL";
}

static void workload_testcase(FILE *f, const struct kcs_wgroup *g)
{
	char name[KCS_KIND_NAME_MAX + 2 + KCS_NAME_MAX];
	size_t len;
	int exempt = 0;
	size_t i;

	/* a pod is named by itself; a controller "Kind/name" */
	if (!strcmp(g->kind, "Pod")) {
		memcpy(name, g->name, g->name_len);
		len = g->name_len;
	} else {
		len = strlen(g->kind);
		memcpy(name, g->kind, len);
		name[len++] = '/';
		memcpy(name + len, g->name, g->name_len);
		len += g->name_len;
	}
	testcase_open(f, g->ns, g->ns_len, name, len);
	for (i = 0; i < g->n_rows; i++)
		exempt |= g->rows[i].verdict == KCS_VERDICT_EXEMPT;
	switch (g->verdict) {
	case KCS_VERDICT_FAIL:
		fputs(">\n      <failure", f);
		attrz(f, "type", failure_type(g));
		fprintf(f, " message=\"%llu of %llu pods fail: ", g->pods_fail,
			g->pods_total);
		rows_message(f, g, KCS_VERDICT_FAIL);
		fprintf(f, "\">%llu of %llu pods fail", g->pods_fail,
			g->pods_total);
		if (!g->resolved)
			fputs("; its controller's own owner could not be read:"
			      " it may belong to a higher one", f);
		rows_body(f, g);
		fputs("</failure>\n    </testcase>\n", f);
		return;
	case KCS_VERDICT_PASS:
		if (!exempt) {
			fputs("/>\n", f);
			return;
		}
		fputs(">\n      <system-out>", f);
		rows_body(f, g);
		fputs("\n</system-out>\n    </testcase>\n", f);
		return;
	case KCS_VERDICT_EXEMPT:
		fputs(">\n      <skipped type=\"EXEMPT\" message=\"", f);
		rows_message(f, g, KCS_VERDICT_EXEMPT);
		fputs("\"/>\n    </testcase>\n", f);
		return;
	default: /* NOT_APPLICABLE (Windows pods), UNKNOWN */
		fprintf(f, ">\n      <skipped type=\"%s\" message=\"%s: ",
			kcs_verdict_name(g->verdict),
			kcs_verdict_name(g->verdict));
		xml_putz(f, g->verdict == KCS_VERDICT_NOT_APPLICABLE
				    ? kcs_reason_text(KCS_R_WINDOWS_POD)
				    : "the workload could not be judged", 1);
		fputs("\"/>\n    </testcase>\n", f);
		return;
	}
}

/* Write the workloads of namespace `e`, reading groups as they come. */
static enum kcs_err namespace_workloads(struct junit_report *j,
					const struct kcs_ns_entry *e,
					struct kcs_error *err)
{
	enum kcs_err rc;
	int more;

	for (;;) {
		if (!j->have_g && !j->rows_done) {
			if ((rc = kcs_wgroup_next(j->rows, &j->g, &more, err)))
				return rc;
			j->have_g = more;
			j->rows_done = !more;
		}
		if (!j->have_g)
			return KCS_OK;
		if (kcs_report_ns_cmp(j->g.ns, j->g.ns_len, e->name.s,
				      e->name.len) > 0)
			return KCS_OK; /* a later namespace's */
		/* an earlier one (never expected) is dropped */
		if (kcs_wgroup_in_ns(&j->g, e->name.s, e->name.len))
			workload_testcase(j->out, &j->g);
		j->have_g = 0;
	}
}

static enum kcs_err namespace_suite(struct junit_report *j,
				    const struct kcs_scan_result *res,
				    size_t idx, struct kcs_error *err)
{
	const struct kcs_ns_entry *e = res->ns_sorted[idx];
	const struct junit_ns *n = kcs_nsmap_find(j->ns, e->name.s, e->name.len);
	int has_case = ns_case(e);
	int ns_fail = e->result.verdict == KCS_VERDICT_FAIL;
	FILE *f = j->out;
	char ver[32];
	enum kcs_err rc;

	suite_open(f, res, e->name.s, e->name.len, idx + 1,
		   (n ? n->tests : 0) + has_case,
		   (n ? n->failures : 0) + ns_fail, 0,
		   (n ? n->skipped : 0) + ns_case_skipped(e));
	property(f, "namespace.verdict", kcs_verdict_name(e->result.verdict));
	property(f, "namespace.reason", kcs_ns_reason_name(e->result.reason));
	if (e->result.verdict != KCS_VERDICT_UNKNOWN) {
		kcs_psa_version_format(&e->result.version, ver, sizeof(ver));
		property(f, "namespace.enforce", kcs_psa_level_name(e->result.level));
		property(f, "namespace.enforceVersion", ver);
	}
	if (e->admission) {
		property(f, "namespace.admission.verdict",
			 kcs_verdict_name(e->admission->verdict));
		property(f, "namespace.admission.reason",
			 kcs_probe_reason_name(e->admission->reason));
		property(f, "namespace.labels.verdict",
			 kcs_verdict_name(e->labels_result.verdict));
		property(f, "namespace.labels.reason",
			 kcs_ns_reason_name(e->labels_result.reason));
	}
	fputs("    </properties>\n", f);
	if (has_case)
		namespace_testcase(f, e);
	if ((rc = namespace_workloads(j, e, err)))
		return rc;
	fputs("  </testsuite>\n", f);
	return KCS_OK;
}

/* ---- drift ------------------------------------------------------------------ */

/* "Kind/name container 'c' (type)", "Kind/name pod", or "namespace". */
static void drift_case_name(FILE *f, const struct kcs_drift_item *it)
{
	if (it->level == KCS_DRIFT_LEVEL_NAMESPACE) {
		fputs("namespace", f);
		return;
	}
	xml_put(f, it->workload_kind, it->workload_kind_len, 1);
	fputc('/', f);
	xml_put(f, it->workload_name, it->workload_name_len, 1);
	if (it->level == KCS_DRIFT_LEVEL_POD) {
		fputs(" pod", f);
		return;
	}
	fputs(" container '", f);
	xml_put(f, it->container_name, it->container_name_len, 1);
	fprintf(f, "' (%s)", kcs_ctype_name(it->container_type));
}

static void drift_case(FILE *f, const struct kcs_drift_item *it,
		       enum kcs_drift_list l)
{
	const char *state = kcs_drift_state_name(it->state);

	fputs("    <testcase classname=\"", f);
	xml_put(f, it->ns, it->ns_len, 1);
	fputs("\" name=\"", f);
	drift_case_name(f, it);
	fputs("\" time=\"0\"", f);
	switch (l) {
	case KCS_DRIFT_NEW_FAILURES:
		fprintf(f, ">\n      <failure type=\"%s\" message=\"%s since the "
			"baseline: ", state, state);
		xml_putz(f, it->reason, 1);
		fputs("\"/>\n    </testcase>\n", f);
		return;
	case KCS_DRIFT_UNKNOWN_ITEMS:
		fprintf(f, ">\n      <skipped type=\"%s\" message=\"failed in the "
			"baseline (", state);
		xml_putz(f, it->reason, 1);
		fputs("); this scan cannot tell whether it still does\"/>\n"
		      "    </testcase>\n", f);
		return;
	default: /* fixed, exempted, gone */
		fprintf(f, ">\n      <system-out>%s since the baseline, which "
			"failed it: ", state);
		xml_putz(f, it->reason, 0);
		fputs("</system-out>\n    </testcase>\n", f);
		return;
	}
}

static const enum kcs_drift_list drift_lists[] = {
	KCS_DRIFT_NEW_FAILURES, KCS_DRIFT_FIXED_ITEMS, KCS_DRIFT_UNKNOWN_ITEMS,
};

static void drift_suite(struct junit_report *j,
			const struct kcs_scan_result *res, size_t idx)
{
	const struct kcs_drift *d = res->drift;
	const struct kcs_drift_baseline *b = kcs_drift_baseline(d);
	const struct kcs_drift_item *items;
	FILE *f = j->out;
	char num[32];
	size_t i, k, n, tests = 0;

	for (i = 0; i < KCS_ARRAY_SIZE(drift_lists); i++)
		tests += kcs_drift_count(d, drift_lists[i]);
	suite_open(f, res, DRIFT_SUITE, strlen(DRIFT_SUITE), idx, tests,
		   kcs_drift_count(d, KCS_DRIFT_NEW_FAILURES), 0,
		   kcs_drift_count(d, KCS_DRIFT_UNKNOWN_ITEMS));
	property(f, "drift.baseline.file", b->file);
	property(f, "drift.baseline.finishedAt",
		 b->finished_at[0] ? b->finished_at : NULL);
	property(f, "drift.baseline.complete", b->complete ? "true" : "false");
	snprintf(num, sizeof(num), "%zu",
		 kcs_drift_count(d, KCS_DRIFT_STILL_FAILING_ITEMS));
	property(f, "drift.stillFailing", num);
	fputs("    </properties>\n", f);
	for (i = 0; i < KCS_ARRAY_SIZE(drift_lists); i++) {
		items = kcs_drift_items(d, drift_lists[i], &n);
		for (k = 0; k < n; k++)
			drift_case(f, &items[k], drift_lists[i]);
	}
	fputs("    <system-out>", f);
	fprintf(f, "%zu still failing", kcs_drift_count(
				d, KCS_DRIFT_STILL_FAILING_ITEMS));
	items = kcs_drift_items(d, KCS_DRIFT_NEW_NAMESPACES, &n);
	for (k = 0; k < n; k++) {
		fputs("\nnew namespace: ", f);
		xml_put(f, items[k].ns, items[k].ns_len, 0);
	}
	items = kcs_drift_items(d, KCS_DRIFT_REMOVED_NAMESPACES, &n);
	for (k = 0; k < n; k++) {
		fputs("\nremoved namespace: ", f);
		xml_put(f, items[k].ns, items[k].ns_len, 0);
	}
	fputs("</system-out>\n  </testsuite>\n", f);
}

/* ---- the document ----------------------------------------------------------- */

static enum kcs_err junit_end(struct kcs_report *rep,
			      const struct kcs_scan_result *res,
			      struct kcs_error *err)
{
	struct junit_report *j = (struct junit_report *)rep;
	FILE *f = j->out;
	unsigned long long tests = 1, failures = 0;
	char dur[32];
	size_t i;
	enum kcs_err rc;

	if (res->workloads &&
	    (rc = kcs_workloads_each(res->workloads, count_workload, j, err)))
		return rc;
	if ((rc = kcs_rows_sort(j->rows, err)))
		return rc;
	for (i = 0; i < res->n_ns; i++) {
		const struct kcs_ns_entry *e = res->ns_sorted[i];
		const struct junit_ns *n =
			kcs_nsmap_find(j->ns, e->name.s, e->name.len);

		tests += (n ? n->tests : 0) + ns_case(e);
		failures += (n ? n->failures : 0) +
			    (e->result.verdict == KCS_VERDICT_FAIL);
	}
	if (res->drift) {
		for (i = 0; i < KCS_ARRAY_SIZE(drift_lists); i++)
			tests += kcs_drift_count(res->drift, drift_lists[i]);
		failures += kcs_drift_count(res->drift, KCS_DRIFT_NEW_FAILURES);
	}
	snprintf(dur, sizeof(dur), "%lld",
		 res->finished > res->started
			 ? (long long)(res->finished - res->started) : 0LL);
	fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites", f);
	fprintf(f, " name=\"kubecapscan %s %s control %s\"",
		res->meta->control->benchmark, res->meta->control->version,
		res->meta->control->id);
	/* junit-10.xsd allows no skipped or timestamp here: the suites
	 * carry them */
	attr_num(f, "tests", tests);
	attr_num(f, "failures", failures);
	attr_num(f, "errors", !res->complete);
	fprintf(f, " time=\"%s\">\n", dur);
	scan_suite(f, res);
	for (i = 0; i < res->n_ns; i++)
		if ((rc = namespace_suite(j, res, i, err)))
			return rc;
	if (res->drift)
		drift_suite(j, res, res->n_ns + 1);
	fputs("</testsuites>\n", f);
	if (ferror(f))
		return kcs_error_set(err, KCS_ERR_IO, "cannot write the JUnit report");
	return KCS_OK;
}

static void junit_free(struct kcs_report *rep)
{
	struct junit_report *j = (struct junit_report *)rep;

	if (!j)
		return;
	kcs_rows_free(j->rows);
	kcs_wgroup_release(&j->g);
	kcs_nsmap_free(j->ns);
	kcs_free(j);
}

static const struct kcs_report_ops junit_ops = {
	.name = "junit",
	.begin = junit_begin,
	.pod = junit_pod,
	.end = junit_end,
	.free = junit_free,
};

struct kcs_report *kcs_report_junit_new(FILE *out)
{
	struct junit_report *j = kcs_calloc(1, sizeof(*j));

	if (!j)
		return NULL;
	j->base.ops = &junit_ops;
	j->out = out;
	kcs_wgroup_init(&j->g);
	j->ns = kcs_nsmap_new(sizeof(struct junit_ns));
	j->rows = kcs_rows_new();
	if (!j->ns || !j->rows) {
		kcs_nsmap_free(j->ns);
		kcs_rows_free(j->rows);
		kcs_free(j);
		return NULL;
	}
	return &j->base;
}
