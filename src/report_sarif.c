/*
 * report_sarif.c - SARIF 2.1.0 (OASIS Static Analysis Results Interchange
 * Format), written with yajl_gen, for code-scanning dashboards.
 *
 * One run, one rule: CIS-<ID>, the NET_RAW control under the benchmark
 * version in force (CIS-5.2.8, or CIS-5.2.7 under the older benchmarks).
 * Results: one per failing container of every pod, one per pod failing as
 * a whole (no containers, malformed), then one per namespace whose
 * admission FAILs. An EXEMPT container is a result carrying a suppression,
 * as SARIF marks accepted findings. Pods are spooled as rows (report.c)
 * and the results written at the end, grouped by workload, because two
 * things are only known then: the workload's remediation and, with
 * --baseline, the drift.
 *
 * Locations. Cluster objects have no source file, so results carry logical
 * locations: fullyQualifiedName "namespace/pod/container" of kind "member"
 * for a container, "namespace/pod" of kind "object" for a pod, "namespace"
 * of kind "namespace" for a namespace, and the workload as a second one,
 * "namespace/Kind/name" of kind "resource". A pod read from a manifest
 * (-f chart.yaml) also gets a physicalLocation: the file and the line of
 * the object. partialFingerprints carry a hash of the workload key, so a
 * dashboard keeps one finding across the rollouts that rename pods.
 *
 * Fixes. SARIF's fixes[] are edits of artifact files, which cluster
 * objects are not: the remediation (JSON patch, kubectl command, notes)
 * goes into result.properties.remediation, as the JSON report has it.
 *
 * Drift (--baseline). Every result gets a baselineState: "new" (a new or
 * regressed failure), "unchanged" (still failing), "updated" (failing
 * before, exempted now); a failure fixed or gone since the baseline is a
 * result of kind "pass", level "none", baselineState "absent". Items the
 * scan cannot judge (unknown) are never "absent": they are listed in the
 * run's properties.drift with the counts.
 *
 * The scan time, the cluster identity and the counts go into the run's
 * invocation and properties, which follow the results (JSON object order
 * carries no meaning).
 */
#include <stdio.h>
#include <string.h>

#include "kcs/alloc.h"
#include "kcs/buf.h"
#include "kcs/drift.h"
#include "kcs/exempt.h"
#include "kcs/input.h"
#include "kcs/probe.h"
#include "kcs/remediate.h"
#include "kcs/report.h"
#include "kcs/runtime.h"
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
	struct kcs_rows *rows;    /* the pods, sorted by workload at the end */
	/* the remediation of the workload being written (from its row) */
	struct kcs_buf fix;       /* kubectl, then patch, then notes */
	int has_fix, fix_automatic, fix_has_kubectl, fix_has_patch;
	struct kcs_name fix_ns, fix_name; /* whose remediation it is */
	char fix_kind[KCS_KIND_NAME_MAX + 1];
	size_t fix_patch_off, fix_notes_off, fix_n_notes;
	/* --baseline: drift items by key (an open-addressing hash) */
	const struct kcs_drift_item **dmap;
	unsigned char *dlist;     /* the list of each entry */
	size_t dmap_slots;
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

/* ---- drift lookups ------------------------------------------------------ */

/* The key of a drift item, or of a result about to be written. */
struct dkey {
	enum kcs_drift_level level;
	const char *ns, *kind, *name, *cname;
	size_t ns_len, kind_len, name_len, cname_len;
	enum kcs_ctype ctype;
};

static unsigned long long fnv(unsigned long long h, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
	return (h ^ 0xff) * 1099511628211ull; /* ends the field */
}

static unsigned long long dkey_hash(const struct dkey *k)
{
	unsigned long long h = 14695981039346656037ull;
	char lv[2] = { (char)k->level, (char)k->ctype };

	h = fnv(h, lv, 2);
	h = fnv(h, k->ns, k->ns_len);
	h = fnv(h, k->kind, k->kind_len);
	h = fnv(h, k->name, k->name_len);
	return fnv(h, k->cname, k->cname_len);
}

static void item_key(const struct kcs_drift_item *it, struct dkey *k)
{
	k->level = it->level;
	k->ns = it->ns;
	k->ns_len = it->ns_len;
	k->kind = it->workload_kind;
	k->kind_len = it->workload_kind_len;
	k->name = it->workload_name;
	k->name_len = it->workload_name_len;
	k->cname = it->container_name;
	k->cname_len = it->container_name_len;
	k->ctype = it->level == KCS_DRIFT_LEVEL_CONTAINER ? it->container_type
							  : KCS_CTYPE_INIT;
}

static int dkey_eq(const struct dkey *a, const struct dkey *b)
{
	return a->level == b->level && a->ctype == b->ctype &&
	       a->ns_len == b->ns_len && !memcmp(a->ns, b->ns, a->ns_len) &&
	       a->kind_len == b->kind_len &&
	       !memcmp(a->kind, b->kind, a->kind_len) &&
	       a->name_len == b->name_len &&
	       !memcmp(a->name, b->name, a->name_len) &&
	       a->cname_len == b->cname_len &&
	       !memcmp(a->cname, b->cname, a->cname_len);
}

/* Index the items that current results refer to. */
static enum kcs_err drift_index(struct sarif_report *s, const struct kcs_drift *d,
				struct kcs_error *err)
{
	static const enum kcs_drift_list lists[] = {
		KCS_DRIFT_NEW_FAILURES, KCS_DRIFT_STILL_FAILING_ITEMS,
		KCS_DRIFT_FIXED_ITEMS,
	};
	size_t total = 0, i, j, n;

	for (i = 0; i < KCS_ARRAY_SIZE(lists); i++)
		total += kcs_drift_count(d, lists[i]);
	for (s->dmap_slots = 16; s->dmap_slots < 2 * total + 1;)
		s->dmap_slots *= 2;
	s->dmap = kcs_calloc(s->dmap_slots, sizeof(*s->dmap));
	s->dlist = kcs_calloc(s->dmap_slots, 1);
	if (!s->dmap || !s->dlist)
		return kcs_error_set(err, KCS_ERR_NOMEM, "out of memory");
	for (i = 0; i < KCS_ARRAY_SIZE(lists); i++) {
		const struct kcs_drift_item *items = kcs_drift_items(d, lists[i], &n);

		for (j = 0; j < n; j++) {
			struct dkey k;
			size_t at;

			item_key(&items[j], &k);
			at = (size_t)dkey_hash(&k) & (s->dmap_slots - 1);
			while (s->dmap[at])
				at = (at + 1) & (s->dmap_slots - 1);
			s->dmap[at] = &items[j];
			s->dlist[at] = (unsigned char)lists[i];
		}
	}
	return KCS_OK;
}

/*
 * The baselineState of a current result with key `k` and verdict `v`, or
 * NULL to leave it out (no baseline, or nothing the drift can say).
 */
static const char *baseline_state(const struct sarif_report *s,
				  const struct dkey *k, enum kcs_verdict v)
{
	size_t at;

	if (!s->dmap)
		return NULL;
	for (at = (size_t)dkey_hash(k) & (s->dmap_slots - 1); s->dmap[at];
	     at = (at + 1) & (s->dmap_slots - 1)) {
		struct dkey o;

		item_key(s->dmap[at], &o);
		if (!dkey_eq(k, &o))
			continue;
		switch (s->dlist[at]) {
		case KCS_DRIFT_NEW_FAILURES:
			return v == KCS_VERDICT_FAIL ? "new" : NULL;
		case KCS_DRIFT_STILL_FAILING_ITEMS:
			return v == KCS_VERDICT_FAIL ? "unchanged" : NULL;
		default:
			return s->dmap[at]->state == KCS_DRIFT_EXEMPTED &&
					       v == KCS_VERDICT_EXEMPT
				       ? "updated" : NULL;
		}
	}
	return NULL;
}

/* ---- results --------------------------------------------------------------- */

/* A hash of the workload key: the same finding across pod renames. */
static void fingerprint(yajl_gen g, const struct kcs_row *x, const char *what,
			size_t what_len, unsigned reason)
{
	unsigned long long h = 14695981039346656037ull;
	char id[32], r[16];

	snprintf(r, sizeof(r), "%u", reason);
	h = fnv(h, x->ns, x->ns_len);
	h = fnv(h, x->wkind, strlen(x->wkind));
	h = fnv(h, x->wname, x->wname_len);
	h = fnv(h, what, what_len);
	h = fnv(h, r, strlen(r));
	snprintf(id, sizeof(id), "%016llx", h);
	kcs_json_str(g, "partialFingerprints");
	yajl_gen_map_open(g);
	kcs_json_kv(g, "kubecapscanWorkload/v1", id);
	yajl_gen_map_close(g);
}

/*
 * A file path as a URI reference: unreserved bytes and '/' as they are,
 * everything else percent-encoded; an absolute path becomes file://.
 */
static void file_uri(struct kcs_buf *b, const char *path)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p = (const unsigned char *)path;

	kcs_buf_reset(b);
	if (*p == '/')
		kcs_buf_addstr(b, "file://");
	for (; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr("-._~/", *p)) {
			kcs_buf_addch(b, (char)*p);
		} else {
			kcs_buf_addch(b, '%');
			kcs_buf_addch(b, hex[*p >> 4]);
			kcs_buf_addch(b, hex[*p & 15]);
		}
	}
}

/* locations[0]: the object, its workload, and the manifest if any. */
static enum kcs_err row_location(struct sarif_report *s,
				 const struct kcs_row *x, const char *name,
				 size_t name_len, const char *kind,
				 struct kcs_error *err)
{
	yajl_gen g = s->j.g;

	kcs_json_str(g, "locations");
	yajl_gen_array_open(g);
	yajl_gen_map_open(g);
	if (x->source_file && strcmp(x->source_file, KCS_INPUT_STDIN_NAME)) {
		file_uri(&s->msg, x->source_file);
		if (s->msg.err)
			return buf_error(&s->msg, err);
		kcs_json_str(g, "physicalLocation");
		yajl_gen_map_open(g);
		kcs_json_str(g, "artifactLocation");
		yajl_gen_map_open(g);
		kcs_json_kv(g, "uri", s->msg.buf);
		yajl_gen_map_close(g);
		if (x->source_line) {
			kcs_json_str(g, "region");
			yajl_gen_map_open(g);
			kcs_json_kint(g, "startLine", (long long)x->source_line);
			yajl_gen_map_close(g);
		}
		yajl_gen_map_close(g);
	}
	kcs_json_str(g, "logicalLocations");
	yajl_gen_array_open(g);
	yajl_gen_map_open(g);
	kcs_json_str(g, "name");
	kcs_json_strn(g, name, name_len);
	kcs_json_str(g, "fullyQualifiedName");
	kcs_json_strn(g, s->fqn.buf, s->fqn.len);
	kcs_json_kv(g, "kind", kind);
	yajl_gen_map_close(g);
	/* the workload: namespace/Kind/name */
	kcs_buf_reset(&s->fqn);
	kcs_buf_add(&s->fqn, x->ns, x->ns_len);
	kcs_buf_addch(&s->fqn, '/');
	kcs_buf_addstr(&s->fqn, x->wkind);
	kcs_buf_addch(&s->fqn, '/');
	kcs_buf_add(&s->fqn, x->wname, x->wname_len);
	if (s->fqn.err)
		return buf_error(&s->fqn, err);
	yajl_gen_map_open(g);
	kcs_json_str(g, "name");
	kcs_json_strn(g, x->wname, x->wname_len);
	kcs_json_str(g, "fullyQualifiedName");
	kcs_json_strn(g, s->fqn.buf, s->fqn.len);
	kcs_json_kv(g, "kind", "resource");
	yajl_gen_map_close(g);
	yajl_gen_array_close(g);
	yajl_gen_map_close(g);
	yajl_gen_array_close(g);
	return KCS_OK;
}

static void row_pod_props(yajl_gen g, const struct kcs_row *x)
{
	kcs_json_str(g, "namespace");
	kcs_json_strn(g, x->ns, x->ns_len);
	kcs_json_str(g, "pod");
	kcs_json_strn(g, x->pod, x->pod_len);
	kcs_json_str(g, "podUid");
	if (x->uid)
		kcs_json_strn(g, x->uid, x->uid_len);
	else
		yajl_gen_null(g);
	kcs_json_str(g, "workload");
	yajl_gen_map_open(g);
	kcs_json_kv(g, "kind", x->wkind);
	kcs_json_str(g, "name");
	kcs_json_strn(g, x->wname, x->wname_len);
	kcs_json_kbool(g, "resolved", x->resolved);
	yajl_gen_map_close(g);
	if (x->source_file) {
		kcs_json_str(g, "source");
		yajl_gen_map_open(g);
		kcs_json_kv(g, "file", x->source_file);
		kcs_json_kint(g, "line", (long long)x->source_line);
		yajl_gen_map_close(g);
	}
}

/* The workload's remediation, as the JSON report writes it. */
static enum kcs_err remediation_props(struct sarif_report *s,
				      const struct kcs_row *x,
				      struct kcs_error *err)
{
	yajl_gen g = s->j.g;
	const char *n;
	size_t i;
	enum kcs_err rc;

	if (!s->has_fix)
		return KCS_OK;
	if (!kcs_row_is_workload(x, s->fix_ns.s, s->fix_ns.len, s->fix_kind,
				 s->fix_name.s, s->fix_name.len))
		return KCS_OK; /* no WORKLOAD row came (never expected) */
	kcs_json_str(g, "remediation");
	yajl_gen_map_open(g);
	kcs_json_kbool(g, "automatic", s->fix_automatic);
	kcs_json_str(g, "jsonPatch");
	if (s->fix_has_patch) {
		n = s->fix.buf + s->fix_patch_off;
		if ((rc = kcs_json_embed(g, n, strlen(n), err)))
			return rc;
	} else {
		yajl_gen_null(g);
	}
	kcs_json_kv(g, "kubectl", s->fix_has_kubectl ? s->fix.buf : NULL);
	kcs_json_str(g, "notes");
	yajl_gen_array_open(g);
	for (i = 0, n = s->fix.buf + s->fix_notes_off; i < s->fix_n_notes;
	     i++, n += strlen(n) + 1)
		kcs_json_str(g, n);
	yajl_gen_array_close(g);
	yajl_gen_map_close(g);
	return KCS_OK;
}

/* Keep the WORKLOAD row's remediation for the results that follow it. */
static enum kcs_err keep_fix(struct sarif_report *s, const struct kcs_row *x,
			     struct kcs_error *err)
{
	size_t i, len = 0;

	kcs_buf_reset(&s->fix);
	s->has_fix = 0;
	if (x->ns_len > KCS_NAME_MAX || x->wname_len > KCS_NAME_MAX)
		return KCS_OK;
	memcpy(s->fix_ns.s, x->ns, x->ns_len);
	s->fix_ns.len = x->ns_len;
	memcpy(s->fix_name.s, x->wname, x->wname_len);
	s->fix_name.len = x->wname_len;
	snprintf(s->fix_kind, sizeof(s->fix_kind), "%s", x->wkind);
	s->has_fix = x->has_fix;
	s->fix_automatic = x->automatic;
	s->fix_has_kubectl = x->kubectl != NULL;
	s->fix_has_patch = x->json_patch != NULL;
	s->fix_n_notes = x->notes ? x->n_notes : 0;
	kcs_buf_add(&s->fix, x->kubectl ? x->kubectl : "",
		    x->kubectl ? strlen(x->kubectl) + 1 : 1);
	s->fix_patch_off = s->fix.len;
	kcs_buf_add(&s->fix, x->json_patch ? x->json_patch : "",
		    x->json_patch ? strlen(x->json_patch) + 1 : 1);
	s->fix_notes_off = s->fix.len;
	for (i = 0; i < s->fix_n_notes; i++)
		len += strlen(x->notes + len) + 1;
	kcs_buf_add(&s->fix, x->notes ? x->notes : "", len);
	if (s->fix.err)
		return buf_error(&s->fix, err);
	return KCS_OK;
}

static void exposure_props(yajl_gen g, const struct kcs_row *x)
{
	if (!x->has_exposure)
		return;
	kcs_json_str(g, "exposure");
	yajl_gen_map_open(g);
	kcs_json_kv(g, "effective", kcs_exposure_name((enum kcs_exposure)x->exposure));
	kcs_json_kv(g, "reason", kcs_exposure_reason_name(
			(enum kcs_exposure_reason)x->exposure_reason));
	kcs_json_kv(g, "runtime", x->node_known
			? kcs_runtime_name((enum kcs_runtime)x->runtime) : NULL);
	yajl_gen_map_close(g);
}

static enum kcs_err container_result(struct sarif_report *s,
				     const struct kcs_row *x,
				     struct kcs_error *err)
{
	yajl_gen g = s->j.g;
	struct kcs_name ns, pod, ctr;
	struct dkey k;
	const char *bs;
	char middle[64];
	unsigned i;
	enum kcs_err rc;

	/* the names as struct kcs_name, as set_fqn and set_msg take them */
	if (x->ns_len > KCS_NAME_MAX || x->pod_len > KCS_NAME_MAX ||
	    x->cname_len > KCS_NAME_MAX)
		return kcs_error_set(err, KCS_ERR_INTERNAL, "a spooled name is too long");
	memcpy(ns.s, x->ns, x->ns_len);
	ns.len = x->ns_len;
	memcpy(pod.s, x->pod, x->pod_len);
	pod.len = x->pod_len;
	memcpy(ctr.s, x->cname, x->cname_len);
	ctr.len = x->cname_len;
	snprintf(middle, sizeof(middle), " (%s)", kcs_ctype_name(x->ctype));
	if ((rc = set_fqn(s, &ns, &pod, &ctr, err)) ||
	    (rc = set_msg(s, "container ", &ctr, middle,
			  kcs_reason_text(x->reason), err)))
		return rc;
	result_open(s, "fail");
	if ((rc = row_location(s, x, x->cname, x->cname_len, "member", err)))
		return rc;
	fingerprint(g, x, x->cname, x->cname_len, (unsigned)x->reason);
	memset(&k, 0, sizeof(k));
	k.level = KCS_DRIFT_LEVEL_CONTAINER;
	k.ns = x->ns, k.ns_len = x->ns_len;
	k.kind = x->wkind, k.kind_len = strlen(x->wkind);
	k.name = x->wname, k.name_len = x->wname_len;
	k.cname = x->cname, k.cname_len = x->cname_len;
	k.ctype = x->ctype;
	if ((bs = baseline_state(s, &k, x->verdict)))
		kcs_json_kv(g, "baselineState", bs);
	if (x->verdict == KCS_VERDICT_EXEMPT) {
		/* inSource: the pod's own annotation; external: the file */
		kcs_json_str(g, "suppressions");
		yajl_gen_array_open(g);
		yajl_gen_map_open(g);
		kcs_json_kv(g, "kind", x->exempt_source == KCS_EXEMPT_ANNOTATION
					       ? "inSource" : "external");
		kcs_json_kv(g, "status", "accepted");
		kcs_json_kv(g, "justification", x->exempt_reason);
		yajl_gen_map_close(g);
		yajl_gen_array_close(g);
	}
	kcs_json_str(g, "properties");
	yajl_gen_map_open(g);
	row_pod_props(g, x);
	kcs_json_str(g, "container");
	kcs_json_strn(g, x->cname, x->cname_len);
	kcs_json_kv(g, "containerType", kcs_ctype_name(x->ctype));
	kcs_json_kint(g, "containerIndex", x->index);
	kcs_json_kv(g, "verdict", kcs_verdict_name(x->verdict));
	kcs_json_kv(g, "reason", kcs_reason_name(x->reason));
	kcs_json_str(g, "flags");
	yajl_gen_array_open(g);
	for (i = 0; i < KCS_F_COUNT; i++)
		if (x->flags & (1u << i))
			kcs_json_str(g, kcs_flag_name(1u << i));
	yajl_gen_array_close(g);
	kcs_json_kbool(g, "hostNetwork", x->host_network);
	exposure_props(g, x);
	if (x->verdict == KCS_VERDICT_EXEMPT) {
		kcs_json_str(g, "exemption");
		yajl_gen_map_open(g);
		kcs_json_kv(g, "source", x->exempt_source == KCS_EXEMPT_FILE
						 ? "file" : "annotation");
		kcs_json_kv(g, "reason", x->exempt_reason);
		kcs_json_kv(g, "expires",
			    x->exempt_expires[0] ? x->exempt_expires : NULL);
		if (x->exempt_line)
			kcs_json_kint(g, "line", (long long)x->exempt_line);
		yajl_gen_map_close(g);
	} else if ((rc = remediation_props(s, x, err))) {
		return rc;
	}
	yajl_gen_map_close(g);
	yajl_gen_map_close(g);
	return KCS_OK;
}

static enum kcs_err pod_result(struct sarif_report *s, const struct kcs_row *x,
			       struct kcs_error *err)
{
	yajl_gen g = s->j.g;
	struct kcs_name ns, pod;
	struct dkey k;
	const char *bs;
	enum kcs_err rc;

	if (x->ns_len > KCS_NAME_MAX || x->pod_len > KCS_NAME_MAX)
		return kcs_error_set(err, KCS_ERR_INTERNAL, "a spooled name is too long");
	memcpy(ns.s, x->ns, x->ns_len);
	ns.len = x->ns_len;
	memcpy(pod.s, x->pod, x->pod_len);
	pod.len = x->pod_len;
	if ((rc = set_fqn(s, &ns, &pod, NULL, err)) ||
	    (rc = set_msg(s, "pod ", &pod, "",
			  kcs_pod_reason_text(x->pod_reason), err)))
		return rc;
	result_open(s, "fail");
	if ((rc = row_location(s, x, x->pod, x->pod_len, "object", err)))
		return rc;
	fingerprint(g, x, "", 0, 100u + (unsigned)x->pod_reason);
	memset(&k, 0, sizeof(k));
	k.level = KCS_DRIFT_LEVEL_POD;
	k.ns = x->ns, k.ns_len = x->ns_len;
	k.kind = x->wkind, k.kind_len = strlen(x->wkind);
	k.name = x->wname, k.name_len = x->wname_len;
	k.cname = "";
	if ((bs = baseline_state(s, &k, KCS_VERDICT_FAIL)))
		kcs_json_kv(g, "baselineState", bs);
	kcs_json_str(g, "properties");
	yajl_gen_map_open(g);
	row_pod_props(g, x);
	kcs_json_kv(g, "verdict", kcs_verdict_name(x->pod_verdict));
	kcs_json_kv(g, "reason", kcs_pod_reason_name(x->pod_reason));
	yajl_gen_map_close(g);
	yajl_gen_map_close(g);
	return KCS_OK;
}

static enum kcs_err sarif_pod(struct kcs_report *rep, const struct kcs_pod *pod,
			      struct kcs_error *err)
{
	struct sarif_report *s = (struct sarif_report *)rep;

	return kcs_rows_add_pod(s->rows, pod, err);
}

/* Every pod's results, workload by workload. */
static enum kcs_err pod_results(struct sarif_report *s,
				const struct kcs_scan_result *res,
				struct kcs_error *err)
{
	const struct kcs_row *x;
	enum kcs_err rc;

	if ((rc = kcs_rows_add_workloads(s->rows, res->workloads, err)) ||
	    (rc = kcs_rows_sort(s->rows, err)))
		return rc;
	for (;;) {
		if ((rc = kcs_rows_next(s->rows, &x, err)))
			return rc;
		if (!x)
			return KCS_OK;
		switch (x->kind) {
		case KCS_ROW_WORKLOAD:
			rc = keep_fix(s, x, err);
			break;
		case KCS_ROW_POD:
			break;
		case KCS_ROW_POD_FAIL:
			rc = pod_result(s, x, err);
			break;
		case KCS_ROW_CONTAINER:
			rc = container_result(s, x, err);
			break;
		}
		if (rc)
			return rc;
	}
}

/* --probe-admission: what admission did, next to the label reading. */
static void admission_props(yajl_gen g, const struct kcs_ns_entry *e)
{
	const struct kcs_probe_result *a = e->admission;
	size_t i;

	kcs_json_str(g, "admission");
	yajl_gen_map_open(g);
	kcs_json_kv(g, "verdict", kcs_verdict_name(a->verdict));
	kcs_json_kv(g, "reason", kcs_probe_reason_name(a->reason));
	kcs_json_kv(g, "message", a->message[0] ? a->message : NULL);
	kcs_json_kv(g, "labelVerdict", kcs_verdict_name(e->labels_result.verdict));
	kcs_json_kv(g, "labelReason", kcs_ns_reason_name(e->labels_result.reason));
	kcs_json_str(g, "probes");
	yajl_gen_array_open(g);
	for (i = 0; i < KCS_PROBE_KINDS; i++) {
		const struct kcs_probe *p = &a->probes[i];

		if (p->outcome == KCS_PROBE_NOT_SENT)
			continue;
		yajl_gen_map_open(g);
		kcs_json_kv(g, "name", kcs_probe_kind_name(p->kind));
		kcs_json_kv(g, "outcome", kcs_probe_outcome_name(p->outcome));
		if (p->http_status)
			kcs_json_kint(g, "httpStatus", p->http_status);
		kcs_json_kv(g, "message", p->message[0] ? p->message : NULL);
		kcs_json_kbool(g, "mutated", p->mutated);
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
	yajl_gen_map_close(g);
}

static enum kcs_err namespace_result(struct sarif_report *s,
				     const struct kcs_ns_entry *e,
				     struct kcs_error *err)
{
	struct kcs_remedy_ns fix = KCS_REMEDY_NS_INIT;
	yajl_gen g = s->j.g;
	struct dkey k;
	const char *bs;
	enum kcs_err rc;
	unsigned i;

	if ((rc = set_fqn(s, &e->name, NULL, NULL, err)) ||
	    (rc = set_msg(s, "namespace ", &e->name,
			  " admits containers that keep NET_RAW",
			  kcs_ns_reason_text(e->result.reason), err)))
		return rc;
	result_open(s, "fail");
	location(g, e->name.s, e->name.len, &s->fqn, "namespace");
	memset(&k, 0, sizeof(k));
	k.level = KCS_DRIFT_LEVEL_NAMESPACE;
	k.ns = e->name.s, k.ns_len = e->name.len;
	k.kind = k.name = k.cname = "";
	if ((bs = baseline_state(s, &k, KCS_VERDICT_FAIL)))
		kcs_json_kv(g, "baselineState", bs);
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
	if (e->admission)
		admission_props(g, e);
	if (e->present) {
		if ((rc = kcs_remediate_namespace(e->name.s, e->name.len, &fix,
						  err)))
			return rc;
		kcs_json_str(g, "remediation");
		kcs_remedy_ns_gen(&fix, g);
		kcs_remedy_ns_release(&fix);
	}
	yajl_gen_map_close(g);
	yajl_gen_map_close(g);
	return KCS_OK;
}

/* A failure of the baseline fixed or gone since: kind pass, "absent". */
static enum kcs_err absent_result(struct sarif_report *s,
				  const struct kcs_drift_item *it,
				  struct kcs_error *err)
{
	yajl_gen g = s->j.g;

	kcs_buf_reset(&s->fqn);
	kcs_buf_add(&s->fqn, it->ns, it->ns_len);
	if (it->level != KCS_DRIFT_LEVEL_NAMESPACE) {
		kcs_buf_addch(&s->fqn, '/');
		kcs_buf_add(&s->fqn, it->workload_kind, it->workload_kind_len);
		kcs_buf_addch(&s->fqn, '/');
		kcs_buf_add(&s->fqn, it->workload_name, it->workload_name_len);
	}
	kcs_buf_reset(&s->msg);
	kcs_buf_addf(&s->msg, "%s since the baseline, which failed it: %s",
		     kcs_drift_state_name(it->state), it->reason);
	if (s->fqn.err)
		return buf_error(&s->fqn, err);
	if (s->msg.err)
		return buf_error(&s->msg, err);
	yajl_gen_map_open(g);
	kcs_json_kv(g, "ruleId", s->rule_id);
	kcs_json_kint(g, "ruleIndex", 0);
	kcs_json_kv(g, "kind", "pass");
	kcs_json_kv(g, "level", "none");
	kcs_json_str(g, "message");
	yajl_gen_map_open(g);
	kcs_json_str(g, "text");
	kcs_json_strn(g, s->msg.buf, s->msg.len);
	yajl_gen_map_close(g);
	s->results++;
	if (it->level == KCS_DRIFT_LEVEL_NAMESPACE)
		location(g, it->ns, it->ns_len, &s->fqn, "namespace");
	else
		location(g, it->workload_name, it->workload_name_len, &s->fqn,
			 "resource");
	kcs_json_kv(g, "baselineState", "absent");
	kcs_json_str(g, "properties");
	yajl_gen_map_open(g);
	kcs_json_str(g, "namespace");
	kcs_json_strn(g, it->ns, it->ns_len);
	if (it->level != KCS_DRIFT_LEVEL_NAMESPACE) {
		kcs_json_str(g, "workload");
		yajl_gen_map_open(g);
		kcs_json_str(g, "kind");
		kcs_json_strn(g, it->workload_kind, it->workload_kind_len);
		kcs_json_str(g, "name");
		kcs_json_strn(g, it->workload_name, it->workload_name_len);
		yajl_gen_map_close(g);
	}
	if (it->level == KCS_DRIFT_LEVEL_CONTAINER) {
		kcs_json_str(g, "container");
		kcs_json_strn(g, it->container_name, it->container_name_len);
		kcs_json_kv(g, "containerType", kcs_ctype_name(it->container_type));
	}
	kcs_json_kv(g, "driftState", kcs_drift_state_name(it->state));
	kcs_json_kv(g, "baselineReason", it->reason);
	yajl_gen_map_close(g);
	yajl_gen_map_close(g);
	return KCS_OK;
}

static enum kcs_err absent_results(struct sarif_report *s,
				   const struct kcs_drift *d,
				   struct kcs_error *err)
{
	const struct kcs_drift_item *items;
	size_t n, i;
	enum kcs_err rc;

	items = kcs_drift_items(d, KCS_DRIFT_FIXED_ITEMS, &n);
	for (i = 0; i < n; i++)
		if (items[i].state != KCS_DRIFT_EXEMPTED && /* still a result */
		    (rc = absent_result(s, &items[i], err)))
			return rc;
	return KCS_OK;
}

/* run.properties.drift: the counts, the lists a result cannot carry. */
static void drift_props(yajl_gen g, const struct kcs_drift *d)
{
	const struct kcs_drift_baseline *b = kcs_drift_baseline(d);
	const struct kcs_drift_item *items;
	size_t n, i;

	kcs_json_str(g, "drift");
	yajl_gen_map_open(g);
	kcs_json_str(g, "baseline");
	yajl_gen_map_open(g);
	kcs_json_kv(g, "file", b->file);
	kcs_json_kv(g, "finishedAt", b->finished_at[0] ? b->finished_at : NULL);
	kcs_json_kbool(g, "complete", b->complete);
	yajl_gen_map_close(g);
	kcs_json_kint(g, "newFailures",
		      (long long)kcs_drift_count(d, KCS_DRIFT_NEW_FAILURES));
	kcs_json_kint(g, "fixed",
		      (long long)kcs_drift_count(d, KCS_DRIFT_FIXED_ITEMS));
	kcs_json_kint(g, "unknown",
		      (long long)kcs_drift_count(d, KCS_DRIFT_UNKNOWN_ITEMS));
	kcs_json_kint(g, "stillFailing",
		      (long long)kcs_drift_count(d, KCS_DRIFT_STILL_FAILING_ITEMS));
	kcs_json_str(g, "unknownItems");
	yajl_gen_array_open(g);
	items = kcs_drift_items(d, KCS_DRIFT_UNKNOWN_ITEMS, &n);
	for (i = 0; i < n; i++) {
		yajl_gen_map_open(g);
		kcs_json_str(g, "namespace");
		kcs_json_strn(g, items[i].ns, items[i].ns_len);
		kcs_json_str(g, "workload");
		if (items[i].level == KCS_DRIFT_LEVEL_NAMESPACE) {
			yajl_gen_null(g);
		} else {
			yajl_gen_map_open(g);
			kcs_json_str(g, "kind");
			kcs_json_strn(g, items[i].workload_kind,
				      items[i].workload_kind_len);
			kcs_json_str(g, "name");
			kcs_json_strn(g, items[i].workload_name,
				      items[i].workload_name_len);
			yajl_gen_map_close(g);
		}
		kcs_json_str(g, "container");
		if (items[i].level == KCS_DRIFT_LEVEL_CONTAINER)
			kcs_json_strn(g, items[i].container_name,
				      items[i].container_name_len);
		else
			yajl_gen_null(g);
		kcs_json_kv(g, "reason", items[i].reason);
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
	kcs_json_drift_namespaces(g, d);
	yajl_gen_map_close(g);
}

/* run.properties.runtimes: nodes per container runtime. */
static enum kcs_err runtime_props(yajl_gen g, const struct kcs_scan_result *res,
				  struct kcs_error *err)
{
	enum kcs_err rc;

	kcs_json_str(g, "runtimes");
	yajl_gen_map_open(g);
	if ((rc = kcs_json_runtime_nodes(g, res, err)))
		return rc;
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

static enum kcs_err run_properties(yajl_gen g,
				   const struct kcs_scan_result *res,
				   struct kcs_error *err)
{
	enum kcs_err rc;
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
	if (res->runtime_aware && (rc = runtime_props(g, res, err)))
		return rc;
	if (res->drift)
		drift_props(g, res->drift);
	yajl_gen_map_close(g);
	return KCS_OK;
}

static enum kcs_err sarif_end(struct kcs_report *rep,
			      const struct kcs_scan_result *res,
			      struct kcs_error *err)
{
	struct sarif_report *s = (struct sarif_report *)rep;
	yajl_gen g = s->j.g;
	enum kcs_err rc;
	size_t i;

	if (res->drift && (rc = drift_index(s, res->drift, err)))
		return rc;
	if ((rc = pod_results(s, res, err)))
		return rc;
	for (i = 0; i < res->n_ns; i++)
		if (res->ns_sorted[i]->result.verdict == KCS_VERDICT_FAIL &&
		    (rc = namespace_result(s, res->ns_sorted[i], err)))
			return rc;
	if (res->drift && (rc = absent_results(s, res->drift, err)))
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
	if ((rc = run_properties(g, res, err)))
		return rc;
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
	kcs_buf_release(&s->fix);
	kcs_rows_free(s->rows);
	kcs_free(s->dmap);
	kcs_free(s->dlist);
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
	kcs_buf_init(&s->fix, 3 * KCS_REMEDY_TEXT_MAX);
	s->rows = kcs_rows_new();
	if (!s->rows || kcs_jsonout_init(&s->j, out)) {
		kcs_rows_free(s->rows);
		kcs_free(s);
		return NULL;
	}
	return &s->base;
}
