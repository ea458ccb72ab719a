/*
 * report_json.c - the kubecapscan/v1 JSON report, written with yajl_gen.
 *
 * Pods stream out as they are audited, so "pods" comes before
 * "namespaces" and "summary" in the object (JSON object order carries no
 * meaning; the schema fixes names, not order). yajl_gen escapes control
 * characters and NUL bytes in names.
 */
#include <string.h>
#include <yajl/yajl_gen.h>

#include "kcs/alloc.h"
#include "kcs/report.h"
#include "kcs/drift.h"
#include "kcs/probe.h"
#include "kcs/remediate.h"
#include "kcs/runtime.h"
#include "kcs/workload.h"
#include "kcs/version.h"
#include "kcs/banned.h"

struct json_report {
	struct kcs_report base; /* must be first */
	struct kcs_jsonout o;   /* buffered yajl_gen on the report stream */
	yajl_gen g;             /* o.g */
};

/* Little wrappers so the writer below reads like the schema. */
static void str(yajl_gen g, const char *s)
{
	yajl_gen_string(g, (const unsigned char *)s, strlen(s));
}

/* Names and label values: invalid UTF-8 is repaired, never passed on. */
static void strn(yajl_gen g, const char *s, size_t len)
{
	kcs_json_strn(g, s, len);
}

static void kv(yajl_gen g, const char *k, const char *v)
{
	str(g, k);
	if (v)
		str(g, v);
	else
		yajl_gen_null(g);
}

static void kint(yajl_gen g, const char *k, unsigned long long v)
{
	str(g, k);
	yajl_gen_integer(g, (long long)v);
}


static enum kcs_err json_begin(struct kcs_report *rep,
			       const struct kcs_scan_meta *meta,
			       struct kcs_error *err)
{
	struct json_report *j = (struct json_report *)rep;
	yajl_gen g = j->g;
	char ts[32];

	yajl_gen_map_open(g);
	kv(g, "schemaVersion", KCS_SCHEMA_VERSION);
	str(g, "tool");
	yajl_gen_map_open(g);
	kv(g, "name", "kubecapscan");
	kv(g, "version", KCS_VERSION);
	yajl_gen_map_close(g);
	str(g, "control");
	yajl_gen_map_open(g);
	kv(g, "benchmark", meta->control->benchmark);
	kv(g, "version", meta->control->version);
	kv(g, "id", meta->control->id);
	kv(g, "title", meta->control->title);
	yajl_gen_map_close(g);
	kcs_format_time(meta->started, ts);
	kv(g, "startedAt", ts);
	str(g, "pods");
	if (yajl_gen_array_open(g) != yajl_gen_status_ok)
		return kcs_error_set(err, KCS_ERR_INTERNAL, "JSON generator error");
	return KCS_OK;
}

static void flags_array(yajl_gen g, unsigned flags,
			const char *(*name)(unsigned), unsigned n)
{
	unsigned i;

	yajl_gen_array_open(g);
	for (i = 0; i < n; i++)
		if (flags & (1u << i))
			str(g, name(1u << i));
	yajl_gen_array_close(g);
}

/* {"kind","name"} of a reference (with "resolved" when >= 0), or null. */
static void objref(yajl_gen g, const struct kcs_objref *r, int resolved)
{
	if (!r->present) {
		yajl_gen_null(g);
		return;
	}
	yajl_gen_map_open(g);
	kv(g, "kind", r->kind);
	str(g, "name");
	strn(g, r->name.s, r->name.len);
	if (resolved >= 0) {
		str(g, "resolved");
		yajl_gen_bool(g, resolved);
	}
	yajl_gen_map_close(g);
}

/* --runtime-aware: where the pod runs. */
static void pod_runtime(yajl_gen g, const void *p)
{
	const struct kcs_pod_runtime *w = p;

	str(g, "runtime");
	yajl_gen_map_open(g);
	kv(g, "node", kcs_node_state_name(w->node_state));
	if (w->node) {
		kv(g, "name", kcs_runtime_name(w->node->runtime));
		kv(g, "version", w->node->runtime_text);
		kv(g, "nodeOS", kcs_node_os_name(w->node->os));
	} else {
		kv(g, "name", NULL);
		kv(g, "version", NULL);
		kv(g, "nodeOS", NULL);
	}
	kv(g, "runtimeClassHandler", kcs_handler_state_name(w->handler_state));
	kv(g, "handler", w->handler);
	str(g, "sandboxed");
	yajl_gen_bool(g, w->sandboxed);
	yajl_gen_map_close(g);
}

/* --runtime-aware: what the container really holds on that runtime. */
static void exposure(yajl_gen g, const struct kcs_container *c)
{
	str(g, "exposure");
	yajl_gen_map_open(g);
	kv(g, "effective", kcs_exposure_name((enum kcs_exposure)c->exposure));
	kv(g, "reason", kcs_exposure_reason_name(
				(enum kcs_exposure_reason)c->exposure_reason));
	kv(g, "message", kcs_exposure_reason_text(
				 (enum kcs_exposure_reason)c->exposure_reason));
	str(g, "flags");
	flags_array(g, c->exposure_flags, kcs_exposure_flag_name, KCS_XF_COUNT);
	yajl_gen_map_close(g);
}

/* --probe-admission: what admission did with the probe pods. */
static void admission(yajl_gen g, const struct kcs_ns_entry *e)
{
	const struct kcs_probe_result *a = e->admission;
	size_t i;

	str(g, "admission");
	if (!a) {
		yajl_gen_null(g);
		return;
	}
	yajl_gen_map_open(g);
	kv(g, "verdict", kcs_verdict_name(a->verdict));
	kv(g, "reason", kcs_probe_reason_name(a->reason));
	kv(g, "message", a->message);
	kv(g, "labelVerdict", kcs_verdict_name(e->labels_result.verdict));
	kv(g, "labelReason", kcs_ns_reason_name(e->labels_result.reason));
	str(g, "probes");
	yajl_gen_array_open(g);
	for (i = 0; i < KCS_PROBE_KINDS; i++) {
		const struct kcs_probe *p = &a->probes[i];

		if (p->outcome == KCS_PROBE_NOT_SENT)
			continue;
		yajl_gen_map_open(g);
		kv(g, "name", kcs_probe_kind_name(p->kind));
		kv(g, "podName", p->name);
		kv(g, "outcome", kcs_probe_outcome_name(p->outcome));
		str(g, "admitted");
		yajl_gen_bool(g, p->outcome == KCS_PROBE_ADMITTED);
		str(g, "httpStatus");
		if (p->http_status)
			yajl_gen_integer(g, p->http_status);
		else
			yajl_gen_null(g);
		kv(g, "reason", p->reason[0] ? p->reason : NULL);
		kv(g, "message", p->message[0] ? p->message : NULL);
		str(g, "mutated");
		yajl_gen_bool(g, p->mutated);
		if (p->outcome == KCS_PROBE_ADMITTED) {
			kv(g, "returnedVerdict",
			   kcs_verdict_name(p->returned_verdict));
			kv(g, "returnedReason", p->has_returned_reason
				? kcs_reason_name(p->returned_reason) : NULL);
		} else {
			kv(g, "returnedVerdict", NULL);
			kv(g, "returnedReason", NULL);
		}
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
	yajl_gen_map_close(g);
}

static enum kcs_err json_pod(struct kcs_report *rep, const struct kcs_pod *pod,
			     struct kcs_error *err)
{
	struct json_report *j = (struct json_report *)rep;
	yajl_gen g = j->g;
	size_t i;

	yajl_gen_map_open(g);
	str(g, "namespace");
	strn(g, pod->ns.s, pod->ns.len);
	str(g, "name");
	strn(g, pod->name.s, pod->name.len);
	str(g, "uid");
	if (pod->has_uid)
		strn(g, pod->uid.s, pod->uid.len);
	else
		yajl_gen_null(g);
	kv(g, "verdict", kcs_verdict_name(pod->verdict));
	kv(g, "reason", kcs_pod_reason_name(pod->reason));
	str(g, "hostNetwork");
	yajl_gen_bool(g, pod->host_network);
	str(g, "node");
	if (pod->node_name.len)
		strn(g, pod->node_name.s, pod->node_name.len);
	else
		yajl_gen_null(g);
	str(g, "owner");
	objref(g, &pod->owner, -1);
	str(g, "workload");
	objref(g, &pod->workload, pod->workload_resolved);
	str(g, "source");
	if (pod->source.file && (pod->source.kind[0] || pod->source.line)) {
		yajl_gen_map_open(g);
		kv(g, "file", pod->source.file);
		str(g, "line");
		if (pod->source.line)
			yajl_gen_integer(g, (long long)pod->source.line);
		else
			yajl_gen_null(g);
		kv(g, "kind", pod->source.kind[0] ? pod->source.kind : "Pod");
		str(g, "name");
		if (pod->source.kind[0])
			strn(g, pod->source.name.s, pod->source.name.len);
		else
			strn(g, pod->name.s, pod->name.len);
		yajl_gen_map_close(g);
	} else {
		yajl_gen_null(g);
	}
	if (pod->runtime)
		pod_runtime(g, pod->runtime);
	str(g, "containers");
	yajl_gen_array_open(g);
	for (i = 0; i < pod->n; i++) {
		const struct kcs_container *c = &pod->containers[i];

		yajl_gen_map_open(g);
		str(g, "name");
		strn(g, c->name.s, c->name.len);
		kv(g, "type", kcs_ctype_name(c->type));
		kint(g, "index", c->index);
		kv(g, "verdict", kcs_verdict_name(c->verdict));
		kv(g, "reason", kcs_reason_name(c->reason));
		str(g, "flags");
		flags_array(g, c->flags, kcs_flag_name, KCS_F_COUNT);
		kv(g, "message", kcs_reason_text(c->reason));
		str(g, "exemption");
		if (c->exempt_source == KCS_EXEMPT_NONE) {
			yajl_gen_null(g);
		} else {
			yajl_gen_map_open(g);
			kv(g, "source", c->exempt_source == KCS_EXEMPT_FILE
						? "file" : "annotation");
			kv(g, "reason", c->exempt_reason);
			kv(g, "expires", c->exempt_expires[0] ? c->exempt_expires : NULL);
			str(g, "line");
			if (c->exempt_line)
				yajl_gen_integer(g, (long long)c->exempt_line);
			else
				yajl_gen_null(g);
			yajl_gen_map_close(g);
		}
		if (c->has_exposure)
			exposure(g, c);
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
	if (yajl_gen_map_close(g) != yajl_gen_status_ok)
		return kcs_error_set(err, KCS_ERR_INTERNAL, "JSON generator error");
	return KCS_OK; /* write errors are sticky: checked at the end */
}

static void label_pair(yajl_gen g, const char *key, const struct kcs_label *lv,
		       const struct kcs_label *vv)
{
	str(g, key);
	yajl_gen_map_open(g);
	str(g, "level");
	if (lv->present)
		strn(g, lv->s, lv->len);
	else
		yajl_gen_null(g);
	str(g, "version");
	if (vv->present)
		strn(g, vv->s, vv->len);
	else
		yajl_gen_null(g);
	yajl_gen_map_close(g);
}

static enum kcs_err json_namespace(yajl_gen g, const struct kcs_ns_entry *e,
				   struct kcs_error *err)
{
	struct kcs_remedy_ns fix = KCS_REMEDY_NS_INIT;
	enum kcs_err rc;
	const struct kcs_psa_labels *l = &e->labels;
	char ver[32];

	yajl_gen_map_open(g);
	str(g, "name");
	strn(g, e->name.s, e->name.len);
	str(g, "uid");
	if (e->has_uid)
		strn(g, e->uid.s, e->uid.len);
	else
		yajl_gen_null(g);
	kv(g, "verdict", kcs_verdict_name(e->result.verdict));
	kv(g, "reason", kcs_ns_reason_name(e->result.reason));
	str(g, "flags");
	flags_array(g, e->result.flags, kcs_ns_flag_name, KCS_NF_COUNT);
	str(g, "podSecurity");
	yajl_gen_map_open(g);
	label_pair(g, "enforce", &l->enforce, &l->enforce_version);
	label_pair(g, "audit", &l->audit, &l->audit_version);
	label_pair(g, "warn", &l->warn, &l->warn_version);
	str(g, "effective");
	if (e->result.verdict == KCS_VERDICT_UNKNOWN) {
		yajl_gen_null(g);
	} else {
		yajl_gen_map_open(g);
		kv(g, "level", kcs_psa_level_name(e->result.level));
		kcs_psa_version_format(&e->result.version, ver, sizeof(ver));
		kv(g, "version", ver);
		yajl_gen_map_close(g);
	}
	yajl_gen_map_close(g);
	str(g, "pods");
	yajl_gen_map_open(g);
	kint(g, "total", e->pods_total);
	kint(g, "fail", e->pods_fail);
	yajl_gen_map_close(g);
	admission(g, e);
	str(g, "remediation");
	if (e->result.verdict != KCS_VERDICT_FAIL || !e->present) {
		yajl_gen_null(g);
	} else {
		rc = kcs_remediate_namespace(e->name.s, e->name.len, &fix, err);
		if (rc)
			return rc;
		kcs_remedy_ns_gen(&fix, g);
		kcs_remedy_ns_release(&fix);
	}
	yajl_gen_map_close(g);
	return KCS_OK;
}

/* One workload: its pods, failing containers and the fix. */
static enum kcs_err json_workload(const struct kcs_workload *w, void *user,
				  struct kcs_error *err)
{
	yajl_gen g = user;
	struct kcs_remedy fix = KCS_REMEDY_INIT;
	size_t i;
	enum kcs_err rc;

	yajl_gen_map_open(g);
	str(g, "namespace");
	strn(g, w->ns, w->ns_len);
	kv(g, "kind", w->kind);
	str(g, "name");
	strn(g, w->name, w->name_len);
	str(g, "resolved");
	yajl_gen_bool(g, w->resolved);
	str(g, "ownerMissing");
	yajl_gen_bool(g, w->owner_gone);
	kv(g, "verdict", kcs_verdict_name((enum kcs_verdict)w->verdict));
	str(g, "pods");
	yajl_gen_map_open(g);
	kint(g, "total", w->pods_total);
	kint(g, "fail", w->pods_fail);
	yajl_gen_map_close(g);
	str(g, "failingContainers");
	yajl_gen_array_open(g);
	for (i = 0; i < w->n_failing; i++) {
		const struct kcs_wl_container *c = &w->failing[i];

		yajl_gen_map_open(g);
		str(g, "name");
		strn(g, c->name, c->name_len);
		kv(g, "type", kcs_ctype_name((enum kcs_ctype)c->type));
		kint(g, "index", c->index);
		kv(g, "reason", kcs_reason_name((enum kcs_reason)c->reason));
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
	str(g, "remediation");
	if (!w->n_failing) {
		yajl_gen_null(g);
		yajl_gen_map_close(g);
		return KCS_OK;
	}
	rc = kcs_report_remedy(w, &fix, err);
	if (rc) {
		kcs_remedy_release(&fix);
		return rc;
	}
	kcs_remedy_gen(&fix, g);
	kcs_remedy_release(&fix);
	yajl_gen_map_close(g);
	return KCS_OK;
}

static void drift_item(yajl_gen g, const struct kcs_drift_item *it)
{
	yajl_gen_map_open(g);
	str(g, "namespace");
	strn(g, it->ns, it->ns_len);
	str(g, "workload");
	if (it->level == KCS_DRIFT_LEVEL_NAMESPACE) {
		yajl_gen_null(g);
	} else {
		yajl_gen_map_open(g);
		str(g, "kind");
		strn(g, it->workload_kind, it->workload_kind_len);
		str(g, "name");
		strn(g, it->workload_name, it->workload_name_len);
		yajl_gen_map_close(g);
	}
	str(g, "container");
	if (it->level != KCS_DRIFT_LEVEL_CONTAINER) {
		yajl_gen_null(g);
	} else {
		yajl_gen_map_open(g);
		kv(g, "type", kcs_ctype_name(it->container_type));
		str(g, "name");
		strn(g, it->container_name, it->container_name_len);
		yajl_gen_map_close(g);
	}
	kv(g, "reason", it->reason[0] ? it->reason : NULL);
	kv(g, "state", kcs_drift_state_name(it->state));
	kv(g, "baselineVerdict", it->in_baseline
			? kcs_verdict_name(it->baseline_verdict) : NULL);
	kv(g, "verdict", it->seen ? kcs_verdict_name(it->verdict) : NULL);
	yajl_gen_map_close(g);
}

/* --baseline: what changed since the previous report. */
static void json_drift(yajl_gen g, const struct kcs_drift *d)
{
	static const enum kcs_drift_list lists[] = {
		KCS_DRIFT_NEW_FAILURES, KCS_DRIFT_FIXED_ITEMS,
		KCS_DRIFT_UNKNOWN_ITEMS,
	};
	const struct kcs_drift_baseline *b;
	const struct kcs_drift_item *items;
	size_t i, j, n;

	str(g, "drift");
	if (!d) {
		yajl_gen_null(g);
		return;
	}
	b = kcs_drift_baseline(d);
	yajl_gen_map_open(g);
	str(g, "baseline");
	yajl_gen_map_open(g);
	kv(g, "file", b->file);
	kv(g, "finishedAt", b->finished_at[0] ? b->finished_at : NULL);
	str(g, "complete");
	yajl_gen_bool(g, b->complete);
	yajl_gen_map_close(g);
	for (i = 0; i < KCS_ARRAY_SIZE(lists); i++) {
		str(g, kcs_drift_list_name(lists[i]));
		yajl_gen_array_open(g);
		items = kcs_drift_items(d, lists[i], &n);
		for (j = 0; j < n; j++)
			drift_item(g, &items[j]);
		yajl_gen_array_close(g);
	}
	kint(g, "stillFailing",
	     kcs_drift_count(d, KCS_DRIFT_STILL_FAILING_ITEMS));
	kcs_json_drift_namespaces(g, d);
	yajl_gen_map_close(g);
}

/* --runtime-aware: nodes per container runtime and version. */
static enum kcs_err runtimes(yajl_gen g, const struct kcs_scan_result *res,
			     struct kcs_error *err)
{
	enum kcs_err rc;

	str(g, "runtimes");
	yajl_gen_map_open(g);
	if ((rc = kcs_json_runtime_nodes(g, res, err)))
		return rc;
	str(g, "runtimeClasses");
	if (res->rtclasses) {
		const struct kcs_rtclass *c;
		size_t pos = 0;

		yajl_gen_array_open(g);
		while ((c = kcs_rtclasses_next(res->rtclasses, &pos))) {
			yajl_gen_map_open(g);
			str(g, "name");
			strn(g, c->name, c->name_len);
			kv(g, "handler", c->handler);
			yajl_gen_map_close(g);
		}
		yajl_gen_array_close(g);
	} else {
		yajl_gen_null(g);
	}
	yajl_gen_map_close(g);
	return KCS_OK;
}

/* The exemption audit: what each entry did, and the annotations seen. */
static void json_exemptions(yajl_gen g, const struct kcs_exemptions *ex)
{
	size_t i;

	str(g, "exemptions");
	yajl_gen_map_open(g);
	kv(g, "file", ex ? ex->path : NULL);
	str(g, "allowAnnotations");
	yajl_gen_bool(g, ex && ex->allow_annotations);
	str(g, "entries");
	yajl_gen_array_open(g);
	for (i = 0; ex && i < ex->n; i++) {
		const struct kcs_exemption *e = &ex->entries[i];

		yajl_gen_map_open(g);
		kint(g, "line", e->line);
		kv(g, "namespace", e->ns_glob);
		kv(g, "pod", e->pod_glob);
		kv(g, "container", e->container_glob);
		kv(g, "reason", e->reason);
		kv(g, "expires", e->expires[0] ? e->expires : NULL);
		kv(g, "status", e->expired ? "expired" : e->matches ? "active" : "unused");
		kint(g, "matches", e->matches);
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
	str(g, "annotations");
	yajl_gen_map_open(g);
	kint(g, "applied", ex ? ex->annotated_applied : 0);
	kint(g, "ignored", ex ? ex->annotated_ignored : 0);
	kint(g, "expired", ex ? ex->annotated_expired : 0);
	kint(g, "invalid", ex ? ex->annotated_invalid : 0);
	yajl_gen_map_close(g);
	yajl_gen_map_close(g);
}

static void json_excludes(yajl_gen g, const struct kcs_source *src)
{
	size_t i;

	str(g, "excludeNamespaces");
	yajl_gen_array_open(g);
	for (i = 0; src && i < src->n_exclude_ns; i++)
		str(g, src->exclude_ns[i]);
	yajl_gen_array_close(g);
}

static void json_source(yajl_gen g, const struct kcs_source *src,
			const char *cluster_name)
{
	size_t i;

	str(g, "source");
	yajl_gen_map_open(g);
	if (!src || src->kind == KCS_SOURCE_FILE) {
		kv(g, "kind", "file");
		kv(g, "clusterName", cluster_name);
		str(g, "files");
		yajl_gen_array_open(g);
		for (i = 0; src && i < src->n_files; i++)
			str(g, src->files[i]);
		yajl_gen_array_close(g);
		json_excludes(g, src);
	} else {
		kv(g, "kind", "cluster");
		kv(g, "clusterName", cluster_name);
		kv(g, "server", src->server ? src->server : "");
		kv(g, "context", src->context);
		kv(g, "serverVersion", src->server_version);
		kv(g, "clusterId", src->cluster_id);
		kv(g, "resourceVersion", src->resource_version);
		str(g, "snapshotConsistent");
		yajl_gen_bool(g, src->snapshot_consistent);
		kv(g, "namespace", src->namespace);
		json_excludes(g, src);
		kv(g, "labelSelector", src->label_selector);
		kv(g, "fieldSelector", src->field_selector);
	}
	yajl_gen_map_close(g);
}

static enum kcs_err json_end(struct kcs_report *rep,
			     const struct kcs_scan_result *res,
			     struct kcs_error *err)
{
	struct json_report *j = (struct json_report *)rep;
	yajl_gen g = j->g;
	char ts[32];
	size_t i;
	enum kcs_err rc;

	yajl_gen_array_close(g); /* pods */
	str(g, "namespaces");
	yajl_gen_array_open(g);
	for (i = 0; i < res->n_ns; i++)
		if ((rc = json_namespace(g, res->ns_sorted[i], err)))
			return rc;
	yajl_gen_array_close(g);
	str(g, "workloads");
	yajl_gen_array_open(g);
	if (res->workloads &&
	    (rc = kcs_workloads_each(res->workloads, json_workload, g, err)))
		return rc;
	yajl_gen_array_close(g);
	str(g, "summary");
	kcs_json_summary(g, res);
	if (res->runtime_aware && (rc = runtimes(g, res, err)))
		return rc;
	json_drift(g, res->drift);
	json_source(g, res->source, res->meta->cluster_name);
	json_exemptions(g, res->exemptions);
	str(g, "complete");
	yajl_gen_bool(g, res->complete);
	str(g, "errors");
	yajl_gen_array_open(g);
	for (i = 0; i < res->n_errors; i++) {
		const struct kcs_scan_error *e = &res->errors[i];

		yajl_gen_map_open(g);
		kv(g, "code", kcs_err_name(e->code));
		kv(g, "message", e->message);
		kv(g, "source", e->source[0] ? e->source : NULL);
		str(g, "httpStatus");
		if (e->http_status)
			yajl_gen_integer(g, e->http_status);
		else
			yajl_gen_null(g);
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
	str(g, "warnings");
	yajl_gen_array_open(g);
	for (i = 0; i < res->n_warnings; i++)
		str(g, res->warnings[i]);
	yajl_gen_array_close(g);
	kcs_format_time(res->finished, ts);
	kv(g, "finishedAt", ts);
	yajl_gen_map_close(g);
	return kcs_jsonout_finish(&j->o, "the JSON report", err);
}

static void json_free(struct kcs_report *rep)
{
	struct json_report *j = (struct json_report *)rep;

	if (!j)
		return;
	kcs_jsonout_release(&j->o);
	kcs_free(j);
}

static const struct kcs_report_ops json_ops = {
	.name = "json",
	.begin = json_begin,
	.pod = json_pod,
	.end = json_end,
	.free = json_free,
};

struct kcs_report *kcs_report_json_new(FILE *out)
{
	struct json_report *j = kcs_calloc(1, sizeof(*j));

	if (!j)
		return NULL;
	j->base.ops = &json_ops;
	if (kcs_jsonout_init(&j->o, out)) {
		kcs_free(j);
		return NULL;
	}
	j->g = j->o.g;
	return &j->base;
}

void kcs_format_time(time_t t, char buf[32])
{
	struct tm tm;

	if (!gmtime_r(&t, &tm) || !strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm))
		memcpy(buf, "1970-01-01T00:00:00Z", 21);
}
