/*
 * report_prometheus.c - Prometheus text exposition format 0.0.4, for the
 * node-exporter textfile collector or a Pushgateway.
 *
 * Everything is printed at the end: the exposition groups every sample of
 * a metric family under one HELP/TYPE pair, and the per-namespace counts
 * are only known then. Pods are counted as they pass, into one small record
 * per namespace, so memory grows with namespaces, never with pods. Labels
 * carry no pod or container names (cardinality): only namespace, reason
 * and verdict, plus cluster when --cluster-name is given, so the reports of
 * several clusters can share one textfile directory or Pushgateway.
 *
 * Issue 7 adds workloads by verdict; with --runtime-aware containers by
 * effective exposure and nodes by runtime; with --probe-admission one
 * series per probed namespace; with --baseline the drift counts. Their
 * labels are bounded the same way (namespace, verdict, reason, runtime).
 *
 * No sample carries a timestamp: the textfile collector rejects them.
 * kubecapscan_last_success_timestamp_seconds is printed only for a
 * complete scan, so a Pushgateway POST (which replaces only the families a
 * push contains) keeps the previous success; with the textfile collector,
 * max_over_time() over the series recovers it (see README, Reports).
 */
#include <string.h>

#include "kcs/alloc.h"
#include "kcs/drift.h"
#include "kcs/exempt.h"
#include "kcs/probe.h"
#include "kcs/report.h"
#include "kcs/runtime.h"
#include "kcs/version.h"
#include "kcs/banned.h"

/* Failure reasons counted per namespace: container reasons, then pod ones. */
#define N_POD_REASONS 2 /* KCS_PR_MALFORMED, KCS_PR_NO_CONTAINERS */
#define N_REASONS (KCS_R_COUNT + N_POD_REASONS)

/* What one namespace's pods added up to. */
struct prom_ns {
	unsigned long long fail[N_REASONS]; /* failing containers per reason */
	unsigned long long pods_fail;       /* failing pods */
	unsigned long long ctr_exempt;      /* exempt containers */
};

struct prom_report {
	struct kcs_report base;    /* must be first */
	FILE *out;                 /* borrowed */
	struct kcs_nsmap *ns;      /* namespace name -> struct prom_ns */
	const char *cluster;       /* --cluster-name, or NULL: no cluster label */
	/* --runtime-aware: containers by effective exposure (enum kcs_exposure) */
	unsigned long long exposure[5];
};

/*
 * A label value: UTF-8 with backslash, double quote and newline escaped,
 * the only escapes the format has. Bytes that are not valid UTF-8 (they
 * cannot come from JSON input, but a name is never trusted) become U+FFFD,
 * so the file stays valid UTF-8.
 */
static void put_label_value(FILE *f, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	while (i < len) {
		unsigned char c = p[i];
		unsigned long cp;
		size_t n;

		if (c == '\\' || c == '"') {
			fputc('\\', f);
			fputc(c, f);
			i++;
			continue;
		}
		if (c == '\n') {
			fputs("\\n", f);
			i++;
			continue;
		}
		if (c < 0x80) {
			fputc(c, f);
			i++;
			continue;
		}
		n = kcs_utf8_char(s + i, len - i, &cp);
		if (n) {
			fwrite(p + i, 1, n, f);
			i += n;
			continue;
		}
		fputs("\xef\xbf\xbd", f); /* U+FFFD */
		i++;
	}
}

static void put_label_z(FILE *f, const char *s)
{
	put_label_value(f, s, strlen(s));
}

static void family(FILE *f, const char *name, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s gauge\n", name, help, name);
}

/* Start a sample: name{cluster="..." and the caller's labels follow. */
static void sample_open(struct prom_report *p, const char *name)
{
	fputs(name, p->out);
	fputc('{', p->out);
	if (p->cluster) {
		fputs("cluster=\"", p->out);
		put_label_z(p->out, p->cluster);
		fputs("\",", p->out);
	}
}

/* name{[cluster]} value, for a family with no labels of its own. */
static void sample_plain(struct prom_report *p, const char *name,
			 unsigned long long v)
{
	if (p->cluster) {
		fprintf(p->out, "%s{cluster=\"", name);
		put_label_z(p->out, p->cluster);
		fprintf(p->out, "\"} %llu\n", v);
	} else {
		fprintf(p->out, "%s %llu\n", name, v);
	}
}

/* name{[cluster,]label="value"} v */
static void sample_verdict_label(struct prom_report *p, const char *name,
				 const char *label, const char *value,
				 unsigned long long v)
{
	sample_open(p, name);
	fprintf(p->out, "%s=\"%s\"} %llu\n", label, value, v);
}

static void sample_verdict(struct prom_report *p, const char *name,
			   const char *verdict, unsigned long long v)
{
	sample_verdict_label(p, name, "verdict", verdict, v);
}

static enum kcs_err prom_begin(struct kcs_report *rep,
			       const struct kcs_scan_meta *meta,
			       struct kcs_error *err)
{
	struct prom_report *p = (struct prom_report *)rep;

	(void)err;
	p->cluster = meta->cluster_name;
	return KCS_OK;
}

static enum kcs_err prom_pod(struct kcs_report *rep, const struct kcs_pod *pod,
			     struct kcs_error *err)
{
	struct prom_report *p = (struct prom_report *)rep;
	struct prom_ns *n = kcs_nsmap_get(p->ns, pod->ns.s, pod->ns.len, err);
	size_t i;

	if (!n)
		return err ? err->code : KCS_ERR_NOMEM;
	if (pod->verdict == KCS_VERDICT_FAIL)
		n->pods_fail++;
	if (pod->reason == KCS_PR_MALFORMED)
		n->fail[KCS_R_COUNT]++;
	else if (pod->reason == KCS_PR_NO_CONTAINERS)
		n->fail[KCS_R_COUNT + 1]++;
	for (i = 0; i < pod->n; i++) {
		const struct kcs_container *c = &pod->containers[i];

		if (c->verdict == KCS_VERDICT_FAIL &&
		    (unsigned)c->reason < KCS_R_COUNT)
			n->fail[c->reason]++;
		else if (c->verdict == KCS_VERDICT_EXEMPT)
			n->ctr_exempt++;
		if (c->has_exposure && c->exposure < 5)
			p->exposure[c->exposure]++;
	}
	return KCS_OK;
}

static const char *reason_name(size_t r)
{
	if (r < KCS_R_COUNT)
		return kcs_reason_name((enum kcs_reason)r);
	return kcs_pod_reason_name(r == KCS_R_COUNT ? KCS_PR_MALFORMED
						    : KCS_PR_NO_CONTAINERS);
}

static void print_info(struct prom_report *p, const struct kcs_scan_result *res)
{
	const struct kcs_control *c = res->meta->control;
	struct kcs_identity id;
	const char *keys[] = { "source", "server", "context", "server_version",
			       "cluster_id" };
	const char *vals[5];
	size_t i;

	kcs_report_identity(res, &id);
	vals[0] = id.source;
	vals[1] = id.server;
	vals[2] = id.context;
	vals[3] = id.server_version;
	vals[4] = id.cluster_id;
	family(p->out, "kubecapscan_info",
	       "Which tool, control and cluster this scan is about (always 1).");
	sample_open(p, "kubecapscan_info");
	fprintf(p->out, "version=\"%s\",control=\"%s\",benchmark=\"%s\","
		"benchmark_version=\"%s\"", KCS_VERSION, c->id, c->name,
		c->version);
	for (i = 0; i < KCS_ARRAY_SIZE(keys); i++) {
		fprintf(p->out, ",%s=\"", keys[i]);
		if (vals[i])
			put_label_z(p->out, vals[i]);
		fputc('"', p->out);
	}
	fputs("} 1\n", p->out);
}

/* Workloads by verdict (the workload table's; zero without pods). */
static void print_workloads(struct prom_report *p,
			    const struct kcs_scan_result *res)
{
	static const struct {
		enum kcs_verdict v;
		const char *label;
	} vs[] = {
		{ KCS_VERDICT_PASS, "pass" },
		{ KCS_VERDICT_FAIL, "fail" },
		{ KCS_VERDICT_NOT_APPLICABLE, "not_applicable" },
		{ KCS_VERDICT_UNKNOWN, "unknown" },
		{ KCS_VERDICT_EXEMPT, "exempt" },
	};
	unsigned long long by[5] = { 0 };
	size_t i;

	if (res->workloads)
		kcs_workloads_counts(res->workloads, by);
	family(p->out, "kubecapscan_workloads",
	       "Workloads (top controllers, or bare pods) by verdict.");
	for (i = 0; i < KCS_ARRAY_SIZE(vs); i++)
		sample_verdict(p, "kubecapscan_workloads", vs[i].label,
			       by[vs[i].v]);
}

static void print_counts(struct prom_report *p,
			 const struct kcs_scan_result *res)
{
	family(p->out, "kubecapscan_namespaces",
	       "Namespaces by the verdict of their Pod Security admission policy.");
	sample_verdict(p, "kubecapscan_namespaces", "pass", res->namespaces.pass);
	sample_verdict(p, "kubecapscan_namespaces", "fail", res->namespaces.fail);
	sample_verdict(p, "kubecapscan_namespaces", "unknown",
		       res->namespaces.unknown);
	family(p->out, "kubecapscan_pods", "Pods by verdict.");
	sample_verdict(p, "kubecapscan_pods", "pass", res->pods.pass);
	sample_verdict(p, "kubecapscan_pods", "fail", res->pods.fail);
	sample_verdict(p, "kubecapscan_pods", "not_applicable",
		       res->pods.not_applicable);
	sample_verdict(p, "kubecapscan_pods", "exempt", res->pods.exempt);
	family(p->out, "kubecapscan_containers", "Containers by verdict.");
	sample_verdict(p, "kubecapscan_containers", "pass", res->containers.pass);
	sample_verdict(p, "kubecapscan_containers", "fail", res->containers.fail);
	sample_verdict(p, "kubecapscan_containers", "not_applicable",
		       res->containers.not_applicable);
	sample_verdict(p, "kubecapscan_containers", "exempt",
		       res->containers.exempt);
	print_workloads(p, res);
}

static void print_namespaces(struct prom_report *p,
			     const struct kcs_scan_result *res)
{
	size_t i, r;

	family(p->out, "kubecapscan_failing_containers",
	       "Containers that keep NET_RAW, by namespace and reason "
	       "(pod-level reasons count the pod).");
	for (i = 0; i < res->n_ns; i++) {
		const struct kcs_ns_entry *e = res->ns_sorted[i];
		const struct prom_ns *n =
			kcs_nsmap_find(p->ns, e->name.s, e->name.len);

		for (r = 0; n && r < N_REASONS; r++) {
			if (!n->fail[r])
				continue;
			sample_open(p, "kubecapscan_failing_containers");
			fputs("namespace=\"", p->out);
			put_label_value(p->out, e->name.s, e->name.len);
			fprintf(p->out, "\",reason=\"%s\"} %llu\n",
				reason_name(r), n->fail[r]);
		}
	}
	family(p->out, "kubecapscan_failing_pods", "Failing pods by namespace.");
	for (i = 0; i < res->n_ns; i++) {
		const struct kcs_ns_entry *e = res->ns_sorted[i];
		const struct prom_ns *n =
			kcs_nsmap_find(p->ns, e->name.s, e->name.len);

		sample_open(p, "kubecapscan_failing_pods");
		fputs("namespace=\"", p->out);
		put_label_value(p->out, e->name.s, e->name.len);
		fprintf(p->out, "\"} %llu\n", n ? n->pods_fail : 0);
	}
	family(p->out, "kubecapscan_exempt_containers",
	       "Containers that keep NET_RAW under an exemption, by namespace.");
	for (i = 0; i < res->n_ns; i++) {
		const struct kcs_ns_entry *e = res->ns_sorted[i];
		const struct prom_ns *n =
			kcs_nsmap_find(p->ns, e->name.s, e->name.len);

		if (!n || !n->ctr_exempt)
			continue;
		sample_open(p, "kubecapscan_exempt_containers");
		fputs("namespace=\"", p->out);
		put_label_value(p->out, e->name.s, e->name.len);
		fprintf(p->out, "\"} %llu\n", n->ctr_exempt);
	}
	family(p->out, "kubecapscan_namespace_admission",
	       "One series per namespace: the verdict and reason of its Pod "
	       "Security admission policy (always 1).");
	for (i = 0; i < res->n_ns; i++) {
		const struct kcs_ns_entry *e = res->ns_sorted[i];

		sample_open(p, "kubecapscan_namespace_admission");
		fputs("namespace=\"", p->out);
		put_label_value(p->out, e->name.s, e->name.len);
		fprintf(p->out, "\",verdict=\"%s\",reason=\"%s\"} 1\n",
			kcs_verdict_name(e->result.verdict),
			kcs_ns_reason_name(e->result.reason));
	}
}

/* --probe-admission: what the probe pods met, per probed namespace. */
static void print_admission(struct prom_report *p,
			    const struct kcs_scan_result *res)
{
	size_t i;

	family(p->out, "kubecapscan_admission_probe",
	       "One series per namespace probed with dry-run pods "
	       "(--probe-admission): the verdict and reason of what admission "
	       "did (always 1).");
	for (i = 0; i < res->n_ns; i++) {
		const struct kcs_ns_entry *e = res->ns_sorted[i];

		if (!e->admission)
			continue;
		sample_open(p, "kubecapscan_admission_probe");
		fputs("namespace=\"", p->out);
		put_label_value(p->out, e->name.s, e->name.len);
		fprintf(p->out, "\",verdict=\"%s\",reason=\"%s\"} 1\n",
			kcs_verdict_name(e->admission->verdict),
			kcs_probe_reason_name(e->admission->reason));
	}
}

/* --runtime-aware: containers by effective exposure, nodes by runtime. */
static enum kcs_err print_runtime(struct prom_report *p,
				  const struct kcs_scan_result *res,
				  struct kcs_error *err)
{
	static const struct {
		enum kcs_exposure x;
		const char *label;
	} xs[] = {
		{ KCS_X_EXPOSED, "exposed" },
		{ KCS_X_WARN, "warn" },
		{ KCS_X_UNKNOWN, "unknown" },
		{ KCS_X_NOT_EXPOSED, "not_exposed" },
		{ KCS_X_NOT_APPLICABLE, "not_applicable" },
	};
	static const enum kcs_runtime rts[] = {
		KCS_RT_CONTAINERD, KCS_RT_CRIO, KCS_RT_DOCKER, KCS_RT_OTHER,
		KCS_RT_UNKNOWN,
	};
	struct kcs_runtime_count *rows = NULL;
	unsigned long long nodes[5] = { 0 };
	size_t n = 0, i, k;
	enum kcs_err rc;

	family(p->out, "kubecapscan_container_exposure",
	       "Containers by effective exposure to NET_RAW on their node's "
	       "runtime (--runtime-aware).");
	for (i = 0; i < KCS_ARRAY_SIZE(xs); i++)
		sample_verdict_label(p, "kubecapscan_container_exposure",
				     "effective", xs[i].label,
				     p->exposure[xs[i].x]);
	if (!res->nodes)
		return KCS_OK; /* the nodes could not be listed */
	if ((rc = kcs_nodes_summary(res->nodes, &rows, &n, err)))
		return rc;
	for (i = 0; i < n; i++)
		for (k = 0; k < KCS_ARRAY_SIZE(rts); k++)
			if (rows[i].runtime == rts[k])
				nodes[k] += rows[i].nodes;
	kcs_free(rows);
	family(p->out, "kubecapscan_nodes",
	       "Nodes by container runtime (--runtime-aware).");
	for (k = 0; k < KCS_ARRAY_SIZE(rts); k++)
		sample_verdict_label(p, "kubecapscan_nodes", "runtime",
				     kcs_runtime_name(rts[k]), nodes[k]);
	return KCS_OK;
}

/* --baseline: what changed since the previous report. */
static void print_drift(struct prom_report *p, const struct kcs_drift *d)
{
	static const struct {
		const char *name, *help;
		enum kcs_drift_list l;
	} fams[] = {
		{ "kubecapscan_drift_new_failures",
		  "Failures new since the baseline report (new or regressed).",
		  KCS_DRIFT_NEW_FAILURES },
		{ "kubecapscan_drift_fixed",
		  "Failures of the baseline report fixed, exempted or gone since.",
		  KCS_DRIFT_FIXED_ITEMS },
		{ "kubecapscan_drift_unknown",
		  "Failures of the baseline report this scan cannot judge.",
		  KCS_DRIFT_UNKNOWN_ITEMS },
		{ "kubecapscan_drift_still_failing",
		  "Failures of the baseline report that still fail.",
		  KCS_DRIFT_STILL_FAILING_ITEMS },
		{ "kubecapscan_drift_new_namespaces",
		  "Namespaces not in the baseline report.",
		  KCS_DRIFT_NEW_NAMESPACES },
		{ "kubecapscan_drift_removed_namespaces",
		  "Namespaces of the baseline report gone since.",
		  KCS_DRIFT_REMOVED_NAMESPACES },
	};
	size_t i;

	for (i = 0; i < KCS_ARRAY_SIZE(fams); i++) {
		family(p->out, fams[i].name, fams[i].help);
		sample_plain(p, fams[i].name, kcs_drift_count(d, fams[i].l));
	}
}

static enum kcs_err prom_end(struct kcs_report *rep,
			     const struct kcs_scan_result *res,
			     struct kcs_error *err)
{
	struct prom_report *p = (struct prom_report *)rep;
	long long dur = (long long)(res->finished - res->started);
	enum kcs_err rc;

	print_info(p, res);
	print_counts(p, res);
	print_namespaces(p, res);
	if (res->exemptions && res->exemptions->n) {
		unsigned long long st[3] = { 0, 0, 0 };
		size_t i;

		for (i = 0; i < res->exemptions->n; i++) {
			const struct kcs_exemption *e = &res->exemptions->entries[i];

			st[e->expired ? 1 : e->matches ? 0 : 2]++;
		}
		family(p->out, "kubecapscan_exemptions",
		       "Entries of the exemptions file: active (matched), "
		       "expired, unused (matched nothing).");
		sample_verdict_label(p, "kubecapscan_exemptions", "state",
				     "active", st[0]);
		sample_verdict_label(p, "kubecapscan_exemptions", "state",
				     "expired", st[1]);
		sample_verdict_label(p, "kubecapscan_exemptions", "state",
				     "unused", st[2]);
	}
	if (res->probed)
		print_admission(p, res);
	if (res->runtime_aware && (rc = print_runtime(p, res, err)))
		return rc;
	if (res->drift)
		print_drift(p, res->drift);
	family(p->out, "kubecapscan_scan_duration_seconds",
	       "How long the scan took.");
	sample_plain(p, "kubecapscan_scan_duration_seconds",
		     dur > 0 ? (unsigned long long)dur : 0);
	family(p->out, "kubecapscan_scan_complete",
	       "1 if the scan saw everything it was asked to, 0 if not "
	       "(then do not read the counts as a pass).");
	sample_plain(p, "kubecapscan_scan_complete", res->complete ? 1 : 0);
	family(p->out, "kubecapscan_scan_start_timestamp_seconds",
	       "When the scan started, in seconds since the Unix epoch.");
	sample_plain(p, "kubecapscan_scan_start_timestamp_seconds",
		     (unsigned long long)res->started);
	if (res->complete) {
		family(p->out, "kubecapscan_last_success_timestamp_seconds",
		       "When the last complete scan finished, in seconds since "
		       "the Unix epoch (absent from incomplete scans).");
		sample_plain(p, "kubecapscan_last_success_timestamp_seconds",
			     (unsigned long long)res->finished);
	}
	if (ferror(p->out))
		return kcs_error_set(err, KCS_ERR_IO,
				     "cannot write the Prometheus report");
	return KCS_OK;
}

static void prom_free(struct kcs_report *rep)
{
	struct prom_report *p = (struct prom_report *)rep;

	if (!p)
		return;
	kcs_nsmap_free(p->ns);
	kcs_free(p);
}

static const struct kcs_report_ops prom_ops = {
	.name = "prometheus",
	.begin = prom_begin,
	.pod = prom_pod,
	.end = prom_end,
	.free = prom_free,
};

struct kcs_report *kcs_report_prometheus_new(FILE *out)
{
	struct prom_report *p = kcs_calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->base.ops = &prom_ops;
	p->out = out;
	p->ns = kcs_nsmap_new(sizeof(struct prom_ns));
	if (!p->ns) {
		kcs_free(p);
		return NULL;
	}
	return &p->base;
}
