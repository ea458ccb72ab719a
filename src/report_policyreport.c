/*
 * report_policyreport.c - a wgpolicyk8s.io/v1alpha2 ClusterPolicyReport, the
 * Policy Report API of the Kubernetes Policy WG that Kyverno writes and
 * Kyverno's Policy Reporter shows, written with yajl_gen as JSON (which is
 * YAML too, and which kubectl apply accepts).
 *
 * Field names follow the CRD (kubernetes-sigs/wg-policy-prototypes,
 * policy-report/crd/v1alpha2) and Policy Reporter's reading of it
 * (kyverno/policy-reporter, pkg/crd/api/policyreport/v1alpha2): each result
 * names its source ("kubecapscan"), policy ("cis-5.2.8"), rule, category,
 * severity, result (pass, fail, skip, error), scored, timestamp {seconds,
 * nanos}, the checked resources, a message and string properties.
 *
 * Results stream out with the pods: one per container (rule
 * "drop-net-raw"; NOT_APPLICABLE containers are "skip", EXEMPT ones "warn") and one
 * per pod failing as a whole (rule "pod-spec"). At the end come one result
 * per namespace (rule "pod-security-restricted"; a namespace the input
 * lacks is "error": it could not be evaluated), one "error" result per scan
 * error, then the summary of all results and the metadata, whose
 * annotations carry the tool version, the scan time and the cluster
 * identity (JSON object order carries no meaning).
 *
 * Issue 7: container and pod results name their workload (properties
 * workloadKind, workloadName) and, with --runtime-aware, the effective
 * exposure; namespace results carry the admission probe next to the label
 * reading (--probe-admission) and the kubectl label fix; with --baseline a
 * result per drift item follows (rule "baseline-drift": fail for a new
 * failure, pass for a fixed or gone one, warn for an exempted one, error
 * for one the scan cannot judge) and the annotations carry the counts.
 *
 * Every result gets properties.resultID, which Policy Reporter uses as the
 * result's identity; without it two containers of one pod failing for the
 * same reason would hash alike and show as one.
 */
#include <stdio.h>
#include <string.h>

#include "kcs/alloc.h"
#include "kcs/buf.h"
#include "kcs/drift.h"
#include "kcs/exempt.h"
#include "kcs/probe.h"
#include "kcs/remediate.h"
#include "kcs/report.h"
#include "kcs/runtime.h"
#include "kcs/version.h"
#include "kcs/banned.h"

/* Policy Reporter's severities are critical, high, medium, low, info. */
#define PR_SEVERITY "medium"
#define PR_CATEGORY "CIS Kubernetes Benchmark"

struct pr_report {
	struct kcs_report base;   /* must be first */
	struct kcs_jsonout j;     /* the generator and its FILE */
	const struct kcs_scan_meta *meta; /* borrowed from the scan */
	char policy[32];          /* "cis-5.2.8" */
	/* result counts for the summary */
	unsigned long long pass, fail, warn, error, skip;
	struct kcs_buf msg;       /* one result's message */
};

/* A failed kcs_buf append: out of memory, or a message past its limit. */
static enum kcs_err buf_error(const struct kcs_buf *b, struct kcs_error *err)
{
	if (b->err == KCS_ERR_LIMIT)
		return kcs_error_set(err, KCS_ERR_LIMIT,
				     "a policy report message is longer than %zu bytes",
				     b->max);
	return kcs_error_set(err, KCS_ERR_NOMEM, "out of memory");
}

static void count(struct pr_report *p, const char *result)
{
	if (!strcmp(result, "pass"))
		p->pass++;
	else if (!strcmp(result, "fail"))
		p->fail++;
	else if (!strcmp(result, "skip"))
		p->skip++;
	else if (!strcmp(result, "warn"))
		p->warn++;
	else
		p->error++;
}

static enum kcs_err pr_begin(struct kcs_report *rep,
			     const struct kcs_scan_meta *meta,
			     struct kcs_error *err)
{
	struct pr_report *p = (struct pr_report *)rep;
	yajl_gen g = p->j.g;

	p->meta = meta;
	snprintf(p->policy, sizeof(p->policy), "cis-%s", meta->control->id);
	yajl_gen_map_open(g);
	kcs_json_kv(g, "apiVersion", "wgpolicyk8s.io/v1alpha2");
	kcs_json_kv(g, "kind", "ClusterPolicyReport");
	kcs_json_str(g, "results");
	if (yajl_gen_array_open(g) != yajl_gen_status_ok)
		return kcs_error_set(err, KCS_ERR_INTERNAL,
				     "policy report generator error");
	return KCS_OK;
}

/*
 * Open a result with the fields every result has; the caller adds
 * resources and properties (which must include resultID) and closes it.
 */
static void result_open(struct pr_report *p, const char *rule,
			const char *result, int scored)
{
	yajl_gen g = p->j.g;

	count(p, result);
	yajl_gen_map_open(g);
	kcs_json_kv(g, "source", "kubecapscan");
	kcs_json_kv(g, "policy", p->policy);
	kcs_json_kv(g, "rule", rule);
	kcs_json_kv(g, "category", PR_CATEGORY);
	kcs_json_kv(g, "severity", PR_SEVERITY);
	kcs_json_kv(g, "result", result);
	kcs_json_kbool(g, "scored", scored);
	kcs_json_str(g, "timestamp");
	yajl_gen_map_open(g);
	kcs_json_kint(g, "seconds", (long long)p->meta->started);
	kcs_json_kint(g, "nanos", 0);
	yajl_gen_map_close(g);
	kcs_json_str(g, "message");
	kcs_json_strn(g, p->msg.buf, p->msg.len);
}

/* FNV-1a 64 over one more field, with its length so fields cannot run on. */
static unsigned long long fnv(unsigned long long h, const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < sizeof(len); i++) {
		h ^= (unsigned char)(len >> (8 * i));
		h *= 1099511628211ull;
	}
	for (i = 0; i < len; i++) {
		h ^= (unsigned char)s[i];
		h *= 1099511628211ull;
	}
	return h;
}

/*
 * properties.resultID: the same object and rule give the same ID in every
 * scan (Policy Reporter tells new results from old ones by it), and two
 * containers of one pod never share one. `b` and `c` may be NULL.
 */
static void result_id(struct pr_report *p, const char *rule,
		      const struct kcs_name *a, const struct kcs_name *b,
		      const struct kcs_name *c)
{
	unsigned long long h = 14695981039346656037ull;
	char id[64];

	h = fnv(h, p->policy, strlen(p->policy));
	h = fnv(h, rule, strlen(rule));
	h = fnv(h, a->s, a->len);
	if (b)
		h = fnv(h, b->s, b->len);
	if (c)
		h = fnv(h, c->s, c->len);
	snprintf(id, sizeof(id), "kubecapscan-%016llx", h);
	kcs_json_kv(p->j.g, "resultID", id);
}

/* resultID over four names (drift items: namespace, key, workload, container). */
static void result_id4(struct pr_report *p, const char *rule,
		       const struct kcs_name *a, const struct kcs_name *b,
		       const struct kcs_name *c, const struct kcs_name *d)
{
	unsigned long long h = 14695981039346656037ull;
	char id[64];

	h = fnv(h, p->policy, strlen(p->policy));
	h = fnv(h, rule, strlen(rule));
	h = fnv(h, a->s, a->len);
	h = fnv(h, b->s, b->len);
	h = fnv(h, c->s, c->len);
	h = fnv(h, d->s, d->len);
	snprintf(id, sizeof(id), "kubecapscan-%016llx", h);
	kcs_json_kv(p->j.g, "resultID", id);
}

static void resource(yajl_gen g, const char *kind, const struct kcs_name *ns,
		     const struct kcs_name *name, const char *uid,
		     size_t uid_len)
{
	kcs_json_str(g, "resources");
	yajl_gen_array_open(g);
	yajl_gen_map_open(g);
	kcs_json_kv(g, "apiVersion", "v1");
	kcs_json_kv(g, "kind", kind);
	kcs_json_str(g, "name");
	kcs_json_strn(g, name->s, name->len);
	if (ns) {
		kcs_json_str(g, "namespace");
		kcs_json_strn(g, ns->s, ns->len);
	}
	if (uid) {
		kcs_json_str(g, "uid");
		kcs_json_strn(g, uid, uid_len);
	}
	yajl_gen_map_close(g);
	yajl_gen_array_close(g);
}

/*
 * An EXEMPT container is "warn": the Policy Report API's word for a
 * requirement not met by a result that is not scored.
 */
static const char *container_result(enum kcs_verdict v)
{
	switch (v) {
	case KCS_VERDICT_PASS: return "pass";
	case KCS_VERDICT_FAIL: return "fail";
	case KCS_VERDICT_NOT_APPLICABLE: return "skip";
	case KCS_VERDICT_EXEMPT: return "warn";
	case KCS_VERDICT_UNKNOWN: return "error";
	}
	return "error";
}

static enum kcs_err set_msg(struct pr_report *p, const char *what,
			    const struct kcs_name *name, const char *text,
			    struct kcs_error *err)
{
	kcs_buf_reset(&p->msg);
	kcs_buf_addf(&p->msg, "%s '", what);
	kcs_buf_add(&p->msg, name->s, name->len);
	kcs_buf_addf(&p->msg, "': %s", text);
	if (p->msg.err)
		return buf_error(&p->msg, err);
	return KCS_OK;
}

/* The pod's workload, as string properties. */
static void workload_props(yajl_gen g, const struct kcs_pod *pod)
{
	if (!pod->workload.present)
		return;
	kcs_json_kv(g, "workloadKind", pod->workload.kind);
	kcs_json_str(g, "workloadName");
	kcs_json_strn(g, pod->workload.name.s, pod->workload.name.len);
	kcs_json_kv(g, "workloadResolved",
		    pod->workload_resolved ? "true" : "false");
}

/* --runtime-aware: what the container holds on its node's runtime. */
static void exposure_props(yajl_gen g, const struct kcs_pod *pod,
			   const struct kcs_container *c)
{
	const struct kcs_pod_runtime *where = pod->runtime;

	if (!c->has_exposure)
		return;
	kcs_json_kv(g, "exposure", kcs_exposure_name((enum kcs_exposure)c->exposure));
	kcs_json_kv(g, "exposureReason", kcs_exposure_reason_name(
			(enum kcs_exposure_reason)c->exposure_reason));
	if (where && where->node)
		kcs_json_kv(g, "runtime", kcs_runtime_name(where->node->runtime));
}

static enum kcs_err container(struct pr_report *p, const struct kcs_pod *pod,
			      const struct kcs_container *c,
			      struct kcs_error *err)
{
	yajl_gen g = p->j.g;
	char flags[128];
	enum kcs_err rc;

	if ((rc = set_msg(p, kcs_ctype_name(c->type), &c->name,
			  kcs_reason_text(c->reason), err)))
		return rc;
	result_open(p, "drop-net-raw", container_result(c->verdict),
		    c->verdict != KCS_VERDICT_EXEMPT);
	resource(g, "Pod", &pod->ns, &pod->name,
		 pod->has_uid ? pod->uid.s : NULL, pod->uid.len);
	kcs_json_str(g, "properties");
	yajl_gen_map_open(g);
	result_id(p, "drop-net-raw", &pod->ns, &pod->name, &c->name);
	kcs_json_str(g, "container");
	kcs_json_strn(g, c->name.s, c->name.len);
	kcs_json_kv(g, "containerType", kcs_ctype_name(c->type));
	kcs_json_kv(g, "verdict", kcs_verdict_name(c->verdict));
	kcs_json_kv(g, "reason", kcs_reason_name(c->reason));
	kcs_report_flags(c->flags, ",", flags, sizeof(flags));
	kcs_json_kv(g, "flags", flags);
	kcs_json_kv(g, "controlId", p->meta->control->id);
	workload_props(g, pod);
	exposure_props(g, pod, c);
	if (c->verdict == KCS_VERDICT_EXEMPT) {
		char line[32];

		kcs_json_kv(g, "exemptionSource",
			    c->exempt_source == KCS_EXEMPT_FILE ? "file"
								: "annotation");
		kcs_json_kv(g, "exemptionReason", c->exempt_reason);
		if (c->exempt_expires[0])
			kcs_json_kv(g, "exemptionExpires", c->exempt_expires);
		if (c->exempt_line) {
			snprintf(line, sizeof(line), "%lu", c->exempt_line);
			kcs_json_kv(g, "exemptionLine", line);
		}
	}
	yajl_gen_map_close(g);
	yajl_gen_map_close(g);
	return KCS_OK;
}

static enum kcs_err pr_pod(struct kcs_report *rep, const struct kcs_pod *pod,
			   struct kcs_error *err)
{
	struct pr_report *p = (struct pr_report *)rep;
	yajl_gen g = p->j.g;
	enum kcs_err rc;
	size_t i;

	if (pod->reason != KCS_PR_NONE) {
		if ((rc = set_msg(p, "pod", &pod->name,
				  kcs_pod_reason_text(pod->reason), err)))
			return rc;
		result_open(p, "pod-spec", "fail", 1);
		resource(g, "Pod", &pod->ns, &pod->name,
			 pod->has_uid ? pod->uid.s : NULL, pod->uid.len);
		kcs_json_str(g, "properties");
		yajl_gen_map_open(g);
		result_id(p, "pod-spec", &pod->ns, &pod->name, NULL);
		kcs_json_kv(g, "verdict", kcs_verdict_name(pod->verdict));
		kcs_json_kv(g, "reason", kcs_pod_reason_name(pod->reason));
		kcs_json_kv(g, "controlId", p->meta->control->id);
		workload_props(g, pod);
		yajl_gen_map_close(g);
		yajl_gen_map_close(g);
	}
	for (i = 0; i < pod->n; i++)
		if ((rc = container(p, pod, &pod->containers[i], err)))
			return rc;
	return KCS_OK; /* write errors are sticky: checked at the end */
}

static const char *ns_result(enum kcs_verdict v)
{
	switch (v) {
	case KCS_VERDICT_PASS: return "pass";
	case KCS_VERDICT_FAIL: return "fail";
	default: return "error"; /* UNKNOWN: not in the input */
	}
}

/* --probe-admission: what the probe pods met, as string properties. */
static void admission_props(yajl_gen g, const struct kcs_ns_entry *e)
{
	const struct kcs_probe_result *a = e->admission;
	char key[64];
	size_t i;

	kcs_json_kv(g, "admissionVerdict", kcs_verdict_name(a->verdict));
	kcs_json_kv(g, "admissionReason", kcs_probe_reason_name(a->reason));
	if (a->message[0])
		kcs_json_kv(g, "admissionMessage", a->message);
	kcs_json_kv(g, "labelVerdict", kcs_verdict_name(e->labels_result.verdict));
	kcs_json_kv(g, "labelReason", kcs_ns_reason_name(e->labels_result.reason));
	for (i = 0; i < KCS_PROBE_KINDS; i++) {
		const struct kcs_probe *pr = &a->probes[i];

		if (pr->outcome == KCS_PROBE_NOT_SENT)
			continue;
		snprintf(key, sizeof(key), "probe.%s", kcs_probe_kind_name(pr->kind));
		kcs_json_kv(g, key, kcs_probe_outcome_name(pr->outcome));
	}
}

static enum kcs_err namespace(struct pr_report *p, const struct kcs_ns_entry *e,
			      struct kcs_error *err)
{
	yajl_gen g = p->j.g;
	char ver[32], flags[96];
	size_t used = 0;
	unsigned i;
	enum kcs_err rc;

	if ((rc = set_msg(p, "namespace", &e->name,
			  kcs_ns_reason_text(e->result.reason), err)))
		return rc;
	result_open(p, "pod-security-restricted", ns_result(e->result.verdict),
		    1);
	resource(g, "Namespace", NULL, &e->name, e->has_uid ? e->uid.s : NULL,
		 e->uid.len);
	kcs_json_str(g, "properties");
	yajl_gen_map_open(g);
	result_id(p, "pod-security-restricted", &e->name, NULL, NULL);
	kcs_json_kv(g, "verdict", kcs_verdict_name(e->result.verdict));
	kcs_json_kv(g, "reason", kcs_ns_reason_name(e->result.reason));
	flags[0] = '\0';
	for (i = 0; i < KCS_NF_COUNT && used < sizeof(flags); i++)
		if (e->result.flags & (1u << i))
			used += (size_t)snprintf(flags + used,
						 sizeof(flags) - used, "%s%s",
						 used ? "," : "",
						 kcs_ns_flag_name(1u << i));
	kcs_json_kv(g, "flags", flags);
	if (e->result.verdict != KCS_VERDICT_UNKNOWN) {
		kcs_psa_version_format(&e->result.version, ver, sizeof(ver));
		kcs_json_kv(g, "enforce", kcs_psa_level_name(e->result.level));
		kcs_json_kv(g, "enforceVersion", ver);
	}
	kcs_json_kv(g, "controlId", p->meta->control->id);
	if (e->admission)
		admission_props(g, e);
	if (e->result.verdict == KCS_VERDICT_FAIL && e->present) {
		struct kcs_remedy_ns fix = KCS_REMEDY_NS_INIT;

		if ((rc = kcs_remediate_namespace(e->name.s, e->name.len, &fix,
						  err)))
			return rc;
		if (fix.kubectl)
			kcs_json_kv(g, "fix", fix.kubectl);
		if (fix.dry_run)
			kcs_json_kv(g, "fixPreview", fix.dry_run);
		kcs_remedy_ns_release(&fix);
	}
	yajl_gen_map_close(g);
	yajl_gen_map_close(g);
	return KCS_OK;
}

/* The result of a drift item in `list`. */
static const char *drift_result(const struct kcs_drift_item *it,
				enum kcs_drift_list list)
{
	switch (list) {
	case KCS_DRIFT_NEW_FAILURES: return "fail";
	case KCS_DRIFT_UNKNOWN_ITEMS: return "error";
	default: return it->state == KCS_DRIFT_EXEMPTED ? "warn" : "pass";
	}
}

static enum kcs_err drift_item(struct pr_report *p,
			       const struct kcs_drift_item *it,
			       enum kcs_drift_list list, struct kcs_error *err)
{
	static const char rule[] = "baseline-drift";
	yajl_gen g = p->j.g;
	struct kcs_name ns, kind, name, ctr, key;
	const char *api;

	if (it->ns_len > KCS_NAME_MAX || it->workload_name_len > KCS_NAME_MAX ||
	    it->container_name_len > KCS_NAME_MAX ||
	    it->workload_kind_len > KCS_KIND_NAME_MAX)
		return kcs_error_set(err, KCS_ERR_INTERNAL,
				     "a drift item's name is too long");
	memcpy(ns.s, it->ns, it->ns_len);
	ns.len = it->ns_len;
	memcpy(kind.s, it->workload_kind, it->workload_kind_len);
	kind.s[it->workload_kind_len] = '\0';
	kind.len = it->workload_kind_len;
	memcpy(name.s, it->workload_name, it->workload_name_len);
	name.len = it->workload_name_len;
	memcpy(ctr.s, it->container_name, it->container_name_len);
	ctr.len = it->container_name_len;
	kcs_buf_reset(&p->msg);
	kcs_buf_addf(&p->msg, "%s since the baseline: ",
		     kcs_drift_state_name(it->state));
	if (it->level == KCS_DRIFT_LEVEL_NAMESPACE) {
		kcs_buf_addstr(&p->msg, "namespace");
	} else {
		kcs_buf_add(&p->msg, kind.s, kind.len);
		kcs_buf_addch(&p->msg, '/');
		kcs_buf_add(&p->msg, name.s, name.len);
		if (it->level == KCS_DRIFT_LEVEL_CONTAINER) {
			kcs_buf_addf(&p->msg, " %s '",
				     kcs_ctype_name(it->container_type));
			kcs_buf_add(&p->msg, ctr.s, ctr.len);
			kcs_buf_addch(&p->msg, '\'');
		} else {
			kcs_buf_addstr(&p->msg, " pod");
		}
	}
	if (it->reason[0])
		kcs_buf_addf(&p->msg, ": %s", it->reason);
	if (p->msg.err)
		return buf_error(&p->msg, err);
	result_open(p, rule, drift_result(it, list), 1);
	if (it->level == KCS_DRIFT_LEVEL_NAMESPACE) {
		resource(g, "Namespace", NULL, &ns, NULL, 0);
	} else {
		/* the workload; apiVersion only for a kind we know */
		api = kcs_report_kind_api_version(kind.s);
		kcs_json_str(g, "resources");
		yajl_gen_array_open(g);
		yajl_gen_map_open(g);
		if (api)
			kcs_json_kv(g, "apiVersion", api);
		kcs_json_str(g, "kind");
		kcs_json_strn(g, kind.s, kind.len);
		kcs_json_str(g, "name");
		kcs_json_strn(g, name.s, name.len);
		kcs_json_str(g, "namespace");
		kcs_json_strn(g, ns.s, ns.len);
		yajl_gen_map_close(g);
		yajl_gen_array_close(g);
	}
	kcs_json_str(g, "properties");
	yajl_gen_map_open(g);
	/* the item's key: namespace, kind and level, workload, container */
	key.len = (size_t)snprintf(key.s, sizeof(key.s), "%.*s/%d/%s",
				   (int)kind.len, kind.s, (int)it->level,
				   it->level == KCS_DRIFT_LEVEL_CONTAINER
				   ? kcs_ctype_name(it->container_type) : "");
	result_id4(p, rule, &ns, &key, &name, &ctr);
	kcs_json_kv(g, "driftState", kcs_drift_state_name(it->state));
	kcs_json_kv(g, "driftList", kcs_drift_list_name(list));
	if (it->reason[0])
		kcs_json_kv(g, "reason", it->reason);
	if (it->level != KCS_DRIFT_LEVEL_NAMESPACE) {
		kcs_json_str(g, "workloadKind");
		kcs_json_strn(g, kind.s, kind.len);
		kcs_json_str(g, "workloadName");
		kcs_json_strn(g, name.s, name.len);
	}
	if (it->level == KCS_DRIFT_LEVEL_CONTAINER) {
		kcs_json_str(g, "container");
		kcs_json_strn(g, ctr.s, ctr.len);
		kcs_json_kv(g, "containerType", kcs_ctype_name(it->container_type));
	}
	kcs_json_kv(g, "controlId", p->meta->control->id);
	yajl_gen_map_close(g);
	yajl_gen_map_close(g);
	return KCS_OK;
}

static enum kcs_err drift_results(struct pr_report *p,
				  const struct kcs_drift *d,
				  struct kcs_error *err)
{
	static const enum kcs_drift_list lists[] = {
		KCS_DRIFT_NEW_FAILURES, KCS_DRIFT_FIXED_ITEMS,
		KCS_DRIFT_UNKNOWN_ITEMS,
	};
	const struct kcs_drift_item *items;
	size_t i, j, n;
	enum kcs_err rc;

	for (i = 0; i < KCS_ARRAY_SIZE(lists); i++) {
		items = kcs_drift_items(d, lists[i], &n);
		for (j = 0; j < n; j++)
			if ((rc = drift_item(p, &items[j], lists[i], err)))
				return rc;
	}
	return KCS_OK;
}

static enum kcs_err scan_error(struct pr_report *p,
			       const struct kcs_scan_error *e, size_t n,
			       struct kcs_error *err)
{
	yajl_gen g = p->j.g;
	char id[64];

	kcs_buf_reset(&p->msg);
	kcs_buf_addf(&p->msg, "the scan is incomplete: %s", e->message);
	if (p->msg.err)
		return buf_error(&p->msg, err);
	result_open(p, "scan", "error", 1);
	kcs_json_str(g, "properties");
	yajl_gen_map_open(g);
	snprintf(id, sizeof(id), "kubecapscan-scan-error-%zu", n);
	kcs_json_kv(g, "resultID", id);
	kcs_json_kv(g, "code", kcs_err_name(e->code));
	kcs_json_kv(g, "controlId", p->meta->control->id);
	yajl_gen_map_close(g);
	yajl_gen_map_close(g);
	return KCS_OK;
}

static void kv_if(yajl_gen g, const char *key, const char *val)
{
	if (val)
		kcs_json_kv(g, key, val);
}

/* An RFC 1123 label, as namespace names are: [a-z0-9-], at most 63. */
static int is_dns_label(const char *s)
{
	size_t i, n = s ? strlen(s) : 0;

	if (!n || n > 63 || s[0] == '-' || s[n - 1] == '-')
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') ||
		      s[i] == '-'))
			return 0;
	return 1;
}

/* --baseline: the drift counts and the baseline, as annotations. */
static void drift_annotations(yajl_gen g, const struct kcs_drift *d)
{
	static const struct {
		const char *key;
		enum kcs_drift_list l;
	} counts[] = {
		{ "kubecapscan.io/drift-new-failures", KCS_DRIFT_NEW_FAILURES },
		{ "kubecapscan.io/drift-fixed", KCS_DRIFT_FIXED_ITEMS },
		{ "kubecapscan.io/drift-unknown", KCS_DRIFT_UNKNOWN_ITEMS },
		{ "kubecapscan.io/drift-still-failing",
		  KCS_DRIFT_STILL_FAILING_ITEMS },
		{ "kubecapscan.io/drift-new-namespaces", KCS_DRIFT_NEW_NAMESPACES },
		{ "kubecapscan.io/drift-removed-namespaces",
		  KCS_DRIFT_REMOVED_NAMESPACES },
	};
	const struct kcs_drift_baseline *b = kcs_drift_baseline(d);
	char num[32];
	size_t i;

	kcs_json_kv(g, "kubecapscan.io/baseline", b->file);
	if (b->finished_at[0])
		kcs_json_kv(g, "kubecapscan.io/baseline-finish-time",
			    b->finished_at);
	for (i = 0; i < KCS_ARRAY_SIZE(counts); i++) {
		snprintf(num, sizeof(num), "%zu", kcs_drift_count(d, counts[i].l));
		kcs_json_kv(g, counts[i].key, num);
	}
}

static void metadata(struct pr_report *p, const struct kcs_scan_result *res)
{
	const struct kcs_control *c = res->meta->control;
	yajl_gen g = p->j.g;
	struct kcs_identity id;
	char ts[32], name[128];

	kcs_report_identity(res, &id);
	/*
	 * A DNS subdomain (the ID's dots are allowed). A scan of one namespace
	 * (-n) names it too, so reports of several namespaces can coexist.
	 */
	if (res->source && res->source->kind == KCS_SOURCE_CLUSTER &&
	    is_dns_label(res->source->namespace))
		snprintf(name, sizeof(name), "kubecapscan-cis-%s-%s", c->id,
			 res->source->namespace);
	else
		snprintf(name, sizeof(name), "kubecapscan-cis-%s", c->id);
	kcs_json_str(g, "metadata");
	yajl_gen_map_open(g);
	kcs_json_kv(g, "name", name);
	kcs_json_str(g, "labels");
	yajl_gen_map_open(g);
	/* label values: at most 63 of [A-Za-z0-9._-], so no cluster name */
	kcs_json_kv(g, "app.kubernetes.io/managed-by", "kubecapscan");
	kcs_json_kv(g, "kubecapscan.io/control", c->id);
	kcs_json_kv(g, "kubecapscan.io/benchmark", c->name);
	yajl_gen_map_close(g);
	kcs_json_str(g, "annotations");
	yajl_gen_map_open(g);
	kcs_json_kv(g, "kubecapscan.io/version", KCS_VERSION);
	kcs_json_kv(g, "kubecapscan.io/benchmark-version", c->version);
	kcs_format_time(res->started, ts);
	kcs_json_kv(g, "kubecapscan.io/scan-time", ts);
	kcs_format_time(res->finished, ts);
	kcs_json_kv(g, "kubecapscan.io/finish-time", ts);
	kcs_json_kv(g, "kubecapscan.io/complete", res->complete ? "true" : "false");
	kcs_json_kv(g, "kubecapscan.io/source", id.source);
	kv_if(g, "kubecapscan.io/cluster-name", id.cluster_name);
	kv_if(g, "kubecapscan.io/server", id.server);
	kv_if(g, "kubecapscan.io/context", id.context);
	kv_if(g, "kubecapscan.io/server-version", id.server_version);
	kv_if(g, "kubecapscan.io/cluster-id", id.cluster_id);
	if (res->drift)
		drift_annotations(g, res->drift);
	yajl_gen_map_close(g);
	yajl_gen_map_close(g);
}

static enum kcs_err pr_end(struct kcs_report *rep,
			   const struct kcs_scan_result *res,
			   struct kcs_error *err)
{
	struct pr_report *p = (struct pr_report *)rep;
	yajl_gen g = p->j.g;
	enum kcs_err rc;
	size_t i;

	for (i = 0; i < res->n_ns; i++)
		if ((rc = namespace(p, res->ns_sorted[i], err)))
			return rc;
	for (i = 0; i < res->n_errors; i++)
		if ((rc = scan_error(p, &res->errors[i], i, err)))
			return rc;
	if (res->drift && (rc = drift_results(p, res->drift, err)))
		return rc;
	yajl_gen_array_close(g); /* results */
	kcs_json_str(g, "summary");
	yajl_gen_map_open(g);
	kcs_json_kint(g, "pass", (long long)p->pass);
	kcs_json_kint(g, "fail", (long long)p->fail);
	kcs_json_kint(g, "warn", (long long)p->warn);
	kcs_json_kint(g, "error", (long long)p->error);
	kcs_json_kint(g, "skip", (long long)p->skip);
	yajl_gen_map_close(g);
	metadata(p, res);
	yajl_gen_map_close(g);
	return kcs_jsonout_finish(&p->j, "the policy report", err);
}

static void pr_free(struct kcs_report *rep)
{
	struct pr_report *p = (struct pr_report *)rep;

	if (!p)
		return;
	kcs_jsonout_release(&p->j);
	kcs_buf_release(&p->msg);
	kcs_free(p);
}

static const struct kcs_report_ops pr_ops = {
	.name = "policyreport",
	.begin = pr_begin,
	.pod = pr_pod,
	.end = pr_end,
	.free = pr_free,
};

struct kcs_report *kcs_report_policyreport_new(FILE *out)
{
	struct pr_report *p = kcs_calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->base.ops = &pr_ops;
	/* a name and a reason text, or an error message (512 bytes) */
	kcs_buf_init(&p->msg, 4096);
	if (kcs_jsonout_init(&p->j, out)) {
		kcs_free(p);
		return NULL;
	}
	return &p->base;
}
