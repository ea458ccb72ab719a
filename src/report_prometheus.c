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
 * No sample carries a timestamp: the textfile collector rejects them.
 * kubecapscan_last_success_timestamp_seconds is printed only for a
 * complete scan, so a Pushgateway POST (which replaces only the families a
 * push contains) keeps the previous success; with the textfile collector,
 * max_over_time() over the series recovers it (see README, Reports).
 */
#include <string.h>

#include "kcs/alloc.h"
#include "kcs/exempt.h"
#include "kcs/report.h"
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

static enum kcs_err prom_end(struct kcs_report *rep,
			     const struct kcs_scan_result *res,
			     struct kcs_error *err)
{
	struct prom_report *p = (struct prom_report *)rep;
	long long dur = (long long)(res->finished - res->started);

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
