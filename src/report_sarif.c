/*
 * report_sarif.c - SARIF 2.1.0 (OASIS Static Analysis Results Interchange
 * Format), written with yajl_gen, for code-scanning dashboards.
 *
 * One run, one rule: CIS-<ID>, the NET_RAW control under the benchmark
 * version in force (CIS-5.2.8, or CIS-5.2.7 under the older benchmarks).
 * Results stream out with the pods: one per failing container, one per pod
 * failing as a whole (no containers, malformed), then at the end one per
 * namespace whose Pod Security admission policy FAILs. An EXEMPT container
 * is a result carrying a suppression, as SARIF marks accepted findings.
 *
 * Kubernetes objects have no source file, so results carry logical
 * locations only: fullyQualifiedName "namespace/pod/container" of kind
 * "member" for a container, "namespace/pod" of kind "object" for a pod,
 * "namespace" of kind "namespace" for a namespace. The scan time, the
 * cluster identity and the counts go into the run's invocation and
 * properties, which follow the results (JSON object order carries no
 * meaning).
 */
#include <stdio.h>
#include <string.h>

#include "kcs/alloc.h"
#include "kcs/buf.h"
#include "kcs/exempt.h"
#include "kcs/report.h"
#include "kcs/version.h"
#include "kcs/banned.h"

#define SARIF_SCHEMA "https://json.schemastore.org/sarif-2.1.0.json"

struct sarif_report {
	struct kcs_report base;   /* must be first */
	struct kcs_jsonout j;     /* the generator and its FILE */
	char rule_id[32];         /* "CIS-5.2.8" */
	unsigned long long results; /* results written so far */
	/* "ns/pod/container" for one location; names are at most 253 bytes */
	struct kcs_buf fqn;
	struct kcs_buf msg;       /* one result's message */
};

/* A failed kcs_buf append: out of memory, or a message past its limit. */
static enum kcs_err buf_error(const struct kcs_buf *b, struct kcs_error *err)
{
	if (b->err == KCS_ERR_LIMIT)
		return kcs_error_set(err, KCS_ERR_LIMIT,
				     "a SARIF message is longer than %zu bytes",
				     b->max);
	return kcs_error_set(err, KCS_ERR_NOMEM, "out of memory");
}

static void text_obj(yajl_gen g, const char *key, const char *text)
{
	kcs_json_str(g, key);
	yajl_gen_map_open(g);
	kcs_json_kv(g, "text", text);
	yajl_gen_map_close(g);
}

static void write_rule(yajl_gen g, const struct sarif_report *s,
		       const struct kcs_control *c)
{
	char full[768];

	snprintf(full, sizeof(full),
		 "%s %s, control %s: every container must drop ALL or NET_RAW "
		 "(the container runtimes grant NET_RAW by default, and it lets "
		 "a process craft raw packets: ARP and DNS spoofing, sniffing), "
		 "and every namespace's Pod Security admission must enforce "
		 "restricted at v1.22 or later.",
		 c->benchmark, c->version, c->id);
	yajl_gen_map_open(g);
	kcs_json_kv(g, "id", s->rule_id);
	kcs_json_kv(g, "name", "MinimizeAdmissionOfContainersWithNetRaw");
	text_obj(g, "shortDescription", c->title);
	text_obj(g, "fullDescription", full);
	kcs_json_kv(g, "helpUri", KCS_CONTROL_HELP_URI);
	text_obj(g, "help",
		 "Set securityContext.capabilities.drop: [\"ALL\"] (or "
		 "[\"NET_RAW\"]) on every container, init and ephemeral "
		 "containers included, never privileged: true or "
		 "capabilities.add of NET_RAW or ALL; label each namespace "
		 "pod-security.kubernetes.io/enforce=restricted.");
	kcs_json_str(g, "defaultConfiguration");
	yajl_gen_map_open(g);
	kcs_json_kv(g, "level", "error");
	yajl_gen_map_close(g);
	kcs_json_str(g, "properties");
	yajl_gen_map_open(g);
	kcs_json_kv(g, "benchmark", c->benchmark);
	kcs_json_kv(g, "benchmarkName", c->name);
	kcs_json_kv(g, "benchmarkVersion", c->version);
	kcs_json_kv(g, "controlId", c->id);
	kcs_json_kv(g, "precision", "very-high");
	kcs_json_str(g, "tags");
	yajl_gen_array_open(g);
	kcs_json_str(g, "security");
	kcs_json_str(g, "kubernetes");
	kcs_json_str(g, "CIS");
	yajl_gen_array_close(g);
	yajl_gen_map_close(g);
	yajl_gen_map_close(g);
}

static enum kcs_err sarif_begin(struct kcs_report *rep,
				const struct kcs_scan_meta *meta,
				struct kcs_error *err)
{
	struct sarif_report *s = (struct sarif_report *)rep;
	const struct kcs_control *c = meta->control;
	yajl_gen g = s->j.g;

	snprintf(s->rule_id, sizeof(s->rule_id), "CIS-%s", c->id);
	yajl_gen_map_open(g);
	kcs_json_kv(g, "$schema", SARIF_SCHEMA);
	kcs_json_kv(g, "version", "2.1.0");
	kcs_json_str(g, "runs");
	yajl_gen_array_open(g);
	yajl_gen_map_open(g);
	kcs_json_str(g, "tool");
	yajl_gen_map_open(g);
	kcs_json_str(g, "driver");
	yajl_gen_map_open(g);
	kcs_json_kv(g, "name", "kubecapscan");
	kcs_json_kv(g, "version", KCS_VERSION);
	kcs_json_kv(g, "semanticVersion", KCS_VERSION);
	kcs_json_str(g, "rules");
	yajl_gen_array_open(g);
	write_rule(g, s, c);
	yajl_gen_array_close(g);
	yajl_gen_map_close(g); /* driver */
	yajl_gen_map_close(g); /* tool */
	kcs_json_str(g, "results");
	if (yajl_gen_array_open(g) != yajl_gen_status_ok)
		return kcs_error_set(err, KCS_ERR_INTERNAL,
				     "SARIF generator error");
	return KCS_OK;
}

/* fqn = ns[/pod[/container]]; the names are bounded, so this cannot fail
 * short of memory, which the buffer's sticky error reports. */
static enum kcs_err set_fqn(struct sarif_report *s, const struct kcs_name *ns,
			    const struct kcs_name *pod,
			    const struct kcs_name *ctr, struct kcs_error *err)
{
	kcs_buf_reset(&s->fqn);
	kcs_buf_add(&s->fqn, ns->s, ns->len);
	if (pod) {
		kcs_buf_addch(&s->fqn, '/');
		kcs_buf_add(&s->fqn, pod->s, pod->len);
	}
	if (ctr) {
		kcs_buf_addch(&s->fqn, '/');
		kcs_buf_add(&s->fqn, ctr->s, ctr->len);
	}
	if (s->fqn.err)
		return buf_error(&s->fqn, err);
	return KCS_OK;
}

/* message = "<prefix>'<name>'<middle>: <text>", names verbatim. */
static enum kcs_err set_msg(struct sarif_report *s, const char *prefix,
			    const struct kcs_name *name, const char *middle,
			    const char *text, struct kcs_error *err)
{
	kcs_buf_reset(&s->msg);
	kcs_buf_addstr(&s->msg, prefix);
	kcs_buf_addch(&s->msg, '\'');
	kcs_buf_add(&s->msg, name->s, name->len);
	kcs_buf_addch(&s->msg, '\'');
	kcs_buf_addstr(&s->msg, middle);
	kcs_buf_addstr(&s->msg, ": ");
	kcs_buf_addstr(&s->msg, text);
	if (s->msg.err)
		return buf_error(&s->msg, err);
	return KCS_OK;
}

static void location(yajl_gen g, const char *name, size_t name_len,
		     const struct kcs_buf *fqn, const char *kind)
{
	kcs_json_str(g, "locations");
	yajl_gen_array_open(g);
	yajl_gen_map_open(g);
	kcs_json_str(g, "logicalLocations");
	yajl_gen_array_open(g);
	yajl_gen_map_open(g);
	kcs_json_str(g, "name");
	kcs_json_strn(g, name, name_len);
	kcs_json_str(g, "fullyQualifiedName");
	kcs_json_strn(g, fqn->buf, fqn->len);
	kcs_json_kv(g, "kind", kind);
	yajl_gen_map_close(g);
	yajl_gen_array_close(g);
	yajl_gen_map_close(g);
	yajl_gen_array_close(g);
}

/* Open a result: ruleId, level, message. The caller adds the rest. */
static void result_open(struct sarif_report *s, const char *kind)
{
	yajl_gen g = s->j.g;

	yajl_gen_map_open(g);
	kcs_json_kv(g, "ruleId", s->rule_id);
	kcs_json_kint(g, "ruleIndex", 0);
	kcs_json_kv(g, "kind", kind);
	kcs_json_kv(g, "level", "error");
	kcs_json_str(g, "message");
	yajl_gen_map_open(g);
	kcs_json_str(g, "text");
	kcs_json_strn(g, s->msg.buf, s->msg.len);
	yajl_gen_map_close(g);
	s->results++;
}

static void pod_props(yajl_gen g, const struct kcs_pod *pod)
{
	kcs_json_str(g, "namespace");
	kcs_json_strn(g, pod->ns.s, pod->ns.len);
	kcs_json_str(g, "pod");
	kcs_json_strn(g, pod->name.s, pod->name.len);
	kcs_json_str(g, "podUid");
	if (pod->has_uid)
		kcs_json_strn(g, pod->uid.s, pod->uid.len);
	else
		yajl_gen_null(g);
}

static enum kcs_err container_result(struct sarif_report *s,
				     const struct kcs_pod *pod,
				     const struct kcs_container *c,
				     struct kcs_error *err)
{
	yajl_gen g = s->j.g;
	char middle[64];
	unsigned i;
	enum kcs_err rc;

	snprintf(middle, sizeof(middle), " (%s)", kcs_ctype_name(c->type));
	if ((rc = set_fqn(s, &pod->ns, &pod->name, &c->name, err)) ||
	    (rc = set_msg(s, "container ", &c->name, middle,
			  kcs_reason_text(c->reason), err)))
		return rc;
	result_open(s, "fail");
	location(g, c->name.s, c->name.len, &s->fqn, "member");
	if (c->verdict == KCS_VERDICT_EXEMPT) {
		/* inSource: the pod's own annotation; external: the file */
		kcs_json_str(g, "suppressions");
		yajl_gen_array_open(g);
		yajl_gen_map_open(g);
		kcs_json_kv(g, "kind", c->exempt_source == KCS_EXEMPT_ANNOTATION
					       ? "inSource" : "external");
		kcs_json_kv(g, "status", "accepted");
		kcs_json_kv(g, "justification", c->exempt_reason);
		yajl_gen_map_close(g);
		yajl_gen_array_close(g);
	}
	kcs_json_str(g, "properties");
	yajl_gen_map_open(g);
	pod_props(g, pod);
	kcs_json_str(g, "container");
	kcs_json_strn(g, c->name.s, c->name.len);
	kcs_json_kv(g, "containerType", kcs_ctype_name(c->type));
	kcs_json_kv(g, "verdict", kcs_verdict_name(c->verdict));
	kcs_json_kv(g, "reason", kcs_reason_name(c->reason));
	kcs_json_str(g, "flags");
	yajl_gen_array_open(g);
	for (i = 0; i < KCS_F_COUNT; i++)
		if (c->flags & (1u << i))
			kcs_json_str(g, kcs_flag_name(1u << i));
	yajl_gen_array_close(g);
	kcs_json_kbool(g, "hostNetwork", pod->host_network);
	if (c->verdict == KCS_VERDICT_EXEMPT) {
		kcs_json_str(g, "exemption");
		yajl_gen_map_open(g);
		kcs_json_kv(g, "source", c->exempt_source == KCS_EXEMPT_FILE
						 ? "file" : "annotation");
		kcs_json_kv(g, "reason", c->exempt_reason);
		kcs_json_kv(g, "expires",
			    c->exempt_expires[0] ? c->exempt_expires : NULL);
		if (c->exempt_line)
			kcs_json_kint(g, "line", (long long)c->exempt_line);
		yajl_gen_map_close(g);
	}
	yajl_gen_map_close(g);
	yajl_gen_map_close(g);
	return KCS_OK;
}

static enum kcs_err sarif_pod(struct kcs_report *rep, const struct kcs_pod *pod,
			      struct kcs_error *err)
{
	struct sarif_report *s = (struct sarif_report *)rep;
	yajl_gen g = s->j.g;
	enum kcs_err rc;
	size_t i;

	if (pod->reason != KCS_PR_NONE) {
		if ((rc = set_fqn(s, &pod->ns, &pod->name, NULL, err)) ||
		    (rc = set_msg(s, "pod ", &pod->name, "",
				  kcs_pod_reason_text(pod->reason), err)))
			return rc;
		result_open(s, "fail");
		location(g, pod->name.s, pod->name.len, &s->fqn, "object");
		kcs_json_str(g, "properties");
		yajl_gen_map_open(g);
		pod_props(g, pod);
		kcs_json_kv(g, "verdict", kcs_verdict_name(pod->verdict));
		kcs_json_kv(g, "reason", kcs_pod_reason_name(pod->reason));
		yajl_gen_map_close(g);
		yajl_gen_map_close(g);
	}
	for (i = 0; i < pod->n; i++) {
		const struct kcs_container *c = &pod->containers[i];

		if (c->verdict != KCS_VERDICT_FAIL &&
		    c->verdict != KCS_VERDICT_EXEMPT)
			continue;
		if ((rc = container_result(s, pod, c, err)))
			return rc;
	}
	return KCS_OK; /* write errors are sticky: checked at the end */
}

static enum kcs_err namespace_result(struct sarif_report *s,
				     const struct kcs_ns_entry *e,
				     struct kcs_error *err)
{
	yajl_gen g = s->j.g;
	enum kcs_err rc;
	unsigned i;

	if ((rc = set_fqn(s, &e->name, NULL, NULL, err)) ||
	    (rc = set_msg(s, "namespace ", &e->name,
			  " admits containers that keep NET_RAW",
			  kcs_ns_reason_text(e->result.reason), err)))
		return rc;
	result_open(s, "fail");
	location(g, e->name.s, e->name.len, &s->fqn, "namespace");
	kcs_json_str(g, "properties");
	yajl_gen_map_open(g);
	kcs_json_str(g, "namespace");
	kcs_json_strn(g, e->name.s, e->name.len);
	kcs_json_str(g, "namespaceUid");
	if (e->has_uid)
		kcs_json_strn(g, e->uid.s, e->uid.len);
	else
		yajl_gen_null(g);
	kcs_json_kv(g, "verdict", kcs_verdict_name(e->result.verdict));
	kcs_json_kv(g, "reason", kcs_ns_reason_name(e->result.reason));
	kcs_json_str(g, "flags");
	yajl_gen_array_open(g);
	for (i = 0; i < KCS_NF_COUNT; i++)
		if (e->result.flags & (1u << i))
			kcs_json_str(g, kcs_ns_flag_name(1u << i));
	yajl_gen_array_close(g);
	kcs_json_kv(g, "enforce", kcs_psa_level_name(e->result.level));
	yajl_gen_map_close(g);
	yajl_gen_map_close(g);
	return KCS_OK;
}

/* Exemptions file entries that expired or matched nothing: warnings. */
static void exemption_notes(yajl_gen g, const struct kcs_exemptions *ex)
{
	char text[128];
	size_t i;

	for (i = 0; ex && i < ex->n; i++) {
		const struct kcs_exemption *e = &ex->entries[i];

		if (!e->expired && e->matches)
			continue;
		if (e->expired)
			snprintf(text, sizeof(text), "exemption at line %lu expired "
				 "on %s and no longer applies", e->line, e->expires);
		else
			snprintf(text, sizeof(text), "exemption at line %lu "
				 "matched nothing", e->line);
		yajl_gen_map_open(g);
		kcs_json_kv(g, "level", "warning");
		text_obj(g, "message", text);
		kcs_json_str(g, "properties");
		yajl_gen_map_open(g);
		kcs_json_kv(g, "exemptionsFile", ex->path);
		kcs_json_kint(g, "line", (long long)e->line);
		kcs_json_kv(g, "reason", e->reason);
		yajl_gen_map_close(g);
		yajl_gen_map_close(g);
	}
}

static void invocation(yajl_gen g, const struct kcs_scan_result *res)
{
	char ts[32];
	size_t i;

	kcs_json_str(g, "invocations");
	yajl_gen_array_open(g);
	yajl_gen_map_open(g);
	kcs_json_kbool(g, "executionSuccessful", res->complete);
	kcs_format_time(res->started, ts);
	kcs_json_kv(g, "startTimeUtc", ts);
	kcs_format_time(res->finished, ts);
	kcs_json_kv(g, "endTimeUtc", ts);
	kcs_json_str(g, "toolExecutionNotifications");
	yajl_gen_array_open(g);
	for (i = 0; i < res->n_errors; i++) {
		yajl_gen_map_open(g);
		kcs_json_kv(g, "level", "error");
		text_obj(g, "message", res->errors[i].message);
		kcs_json_str(g, "properties");
		yajl_gen_map_open(g);
		kcs_json_kv(g, "code", kcs_err_name(res->errors[i].code));
		yajl_gen_map_close(g);
		yajl_gen_map_close(g);
	}
	for (i = 0; i < res->n_warnings; i++) {
		yajl_gen_map_open(g);
		kcs_json_kv(g, "level", "warning");
		text_obj(g, "message", res->warnings[i]);
		yajl_gen_map_close(g);
	}
	exemption_notes(g, res->exemptions);
	yajl_gen_array_close(g);
	yajl_gen_map_close(g);
	yajl_gen_array_close(g);
}

static void run_properties(yajl_gen g, const struct kcs_scan_result *res)
{
	const struct kcs_control *c = res->meta->control;
	struct kcs_identity id;
	char ts[32];
	size_t i;

	kcs_report_identity(res, &id);
	kcs_json_str(g, "properties");
	yajl_gen_map_open(g);
	kcs_json_str(g, "control");
	yajl_gen_map_open(g);
	kcs_json_kv(g, "benchmark", c->benchmark);
	kcs_json_kv(g, "name", c->name);
	kcs_json_kv(g, "version", c->version);
	kcs_json_kv(g, "id", c->id);
	kcs_json_kv(g, "title", c->title);
	yajl_gen_map_close(g);
	kcs_format_time(res->started, ts);
	kcs_json_kv(g, "scanTime", ts);
	kcs_json_str(g, "cluster");
	yajl_gen_map_open(g);
	kcs_json_kv(g, "source", id.source);
	kcs_json_kv(g, "name", id.cluster_name);
	kcs_json_kv(g, "server", id.server);
	kcs_json_kv(g, "context", id.context);
	kcs_json_kv(g, "serverVersion", id.server_version);
	kcs_json_kv(g, "clusterId", id.cluster_id);
	if (res->source && res->source->kind == KCS_SOURCE_FILE) {
		kcs_json_str(g, "files");
		yajl_gen_array_open(g);
		for (i = 0; i < res->source->n_files; i++)
			kcs_json_str(g, res->source->files[i]);
		yajl_gen_array_close(g);
	}
	yajl_gen_map_close(g);
	kcs_json_kbool(g, "complete", res->complete);
	kcs_json_str(g, "summary");
	kcs_json_summary(g, res);
	yajl_gen_map_close(g);
}

static enum kcs_err sarif_end(struct kcs_report *rep,
			      const struct kcs_scan_result *res,
			      struct kcs_error *err)
{
	struct sarif_report *s = (struct sarif_report *)rep;
	yajl_gen g = s->j.g;
	enum kcs_err rc;
	size_t i;

	for (i = 0; i < res->n_ns; i++)
		if (res->ns_sorted[i]->result.verdict == KCS_VERDICT_FAIL &&
		    (rc = namespace_result(s, res->ns_sorted[i], err)))
			return rc;
	yajl_gen_array_close(g); /* results */
	invocation(g, res);
	if (res->meta->cluster_name) {
		/* GitHub code scanning keeps one category per automation id. */
		kcs_json_str(g, "automationDetails");
		yajl_gen_map_open(g);
		kcs_buf_reset(&s->msg);
		kcs_buf_addf(&s->msg, "kubecapscan/%s/", res->meta->cluster_name);
		if (s->msg.err)
			return buf_error(&s->msg, err);
		kcs_json_kv(g, "id", s->msg.buf);
		yajl_gen_map_close(g);
	}
	kcs_json_kv(g, "columnKind", "unicodeCodePoints");
	run_properties(g, res);
	yajl_gen_map_close(g); /* run */
	yajl_gen_array_close(g); /* runs */
	yajl_gen_map_close(g);
	return kcs_jsonout_finish(&s->j, "the SARIF report", err);
}

static void sarif_free(struct kcs_report *rep)
{
	struct sarif_report *s = (struct sarif_report *)rep;

	if (!s)
		return;
	kcs_jsonout_release(&s->j);
	kcs_buf_release(&s->fqn);
	kcs_buf_release(&s->msg);
	kcs_free(s);
}

static const struct kcs_report_ops sarif_ops = {
	.name = "sarif",
	.begin = sarif_begin,
	.pod = sarif_pod,
	.end = sarif_end,
	.free = sarif_free,
};

struct kcs_report *kcs_report_sarif_new(FILE *out)
{
	struct sarif_report *s = kcs_calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->base.ops = &sarif_ops;
	/* three names of at most KCS_NAME_MAX bytes and two slashes */
	kcs_buf_init(&s->fqn, 3 * KCS_NAME_MAX + 2);
	/* a name, the longest reason text and some words: 4 KiB is ample;
	 * --cluster-name is bounded by the command line, so allow more */
	kcs_buf_init(&s->msg, 64 * 1024);
	if (kcs_jsonout_init(&s->j, out)) {
		kcs_free(s);
		return NULL;
	}
	return &s->base;
}
