/*
 * scan.c - one scan's state: namespace table, counters and report fan-out.
 *
 * The namespace table is an open-addressing hash (FNV-1a, linear probing,
 * kept under 50% full) of heap records, because a scan must be able to
 * answer "which namespace is this pod in" for every pod while keeping
 * memory proportional to namespaces only.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <errno.h>
#include <fnmatch.h>
#include <string.h>
#include <unistd.h>

#include "kcs/alloc.h"
#include "kcs/buf.h"
#include "kcs/scan.h"
#include "kcs/banned.h"

#define KCS_SCAN_MAX_REPORTS 16 /* -o reports plus the one --post-url sends */
/* Namespaces a scan will track; far above any real cluster (10k is big). */
#define KCS_SCAN_MAX_NAMESPACES (1u << 20)

struct kcs_scan {
	struct kcs_psa_default def;
	struct kcs_report *reports[KCS_SCAN_MAX_REPORTS];
	size_t n_reports;
	int begun;

	struct kcs_ns_entry **slots; /* hash table, NULL = empty */
	size_t n_slots;              /* power of two */
	size_t n_ns;
	struct kcs_ns_entry **sorted; /* built by finish */

	struct kcs_count pods, containers, namespaces;
	int any_fail;

	struct kcs_scan_error errors[KCS_SCAN_MAX_ERRORS];
	size_t n_errors;
	char *warnings[KCS_SCAN_MAX_WARNINGS];
	size_t n_warnings;

	size_t n_skipped;
	char skipped_kinds[KCS_SKIPPED_KINDS_MAX][KCS_KIND_MAX + 1];
	size_t n_skipped_kinds;
	char skipped_note[KCS_SKIPPED_KINDS_MAX * (KCS_KIND_MAX + 2) + 128];

	time_t started, finished;
	struct kcs_scan_meta meta;

	struct kcs_exemptions *exemptions; /* borrowed, or NULL */
	const char *const *excludes; /* --exclude-namespace globs */
	size_t n_excludes;
	unsigned long long excluded_pods;

	struct kcs_workloads *workloads;
	int runtime_aware;
	const struct kcs_nodes *nodes;
	const struct kcs_rtclasses *rtclasses;
	struct kcs_pod_runtime where;  /* of the pod being handed over */
	int probed, probing;
	struct kcs_drift *drift;      /* --baseline, borrowed */
	kcs_workload_fn workload_fn;
	void *workload_user;

	FILE *spool;          /* open listing transaction, or NULL */
	struct kcs_pod replay; /* pod rebuilt from the spool */
};

static unsigned long hash_name(const char *s, size_t len)
{
	unsigned long h = 2166136261u;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= (unsigned char)s[i];
		h *= 16777619u;
	}
	return h;
}

struct kcs_scan *kcs_scan_new(const struct kcs_psa_default *def)
{
	struct kcs_scan *s = kcs_calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	if (def)
		s->def = *def;
	else
		s->def = (struct kcs_psa_default)KCS_PSA_DEFAULT_INIT;
	s->n_slots = 64;
	s->slots = kcs_calloc(s->n_slots, sizeof(*s->slots));
	s->workloads = kcs_workloads_new();
	if (!s->slots || !s->workloads) {
		kcs_free(s->slots);
		kcs_workloads_free(s->workloads);
		kcs_free(s);
		return NULL;
	}
	s->workload_fn = kcs_workload_direct;
	s->started = time(NULL);
	s->meta.control = kcs_control_default();
	return s;
}

void kcs_scan_set_meta(struct kcs_scan *s, const struct kcs_control *control,
		       const char *cluster_name)
{
	if (control)
		s->meta.control = control;
	s->meta.cluster_name = cluster_name;
}

void kcs_scan_free(struct kcs_scan *s)
{
	size_t i;

	if (!s)
		return;
	for (i = 0; i < s->n_reports; i++)
		if (s->reports[i]->ops->free)
			s->reports[i]->ops->free(s->reports[i]);
	for (i = 0; i < s->n_slots; i++) {
		if (s->slots[i])
			kcs_free(s->slots[i]->admission);
		kcs_free(s->slots[i]);
	}
	kcs_free(s->slots);
	kcs_free(s->sorted);
	kcs_workloads_free(s->workloads);
	for (i = 0; i < s->n_warnings; i++)
		kcs_free(s->warnings[i]);
	if (s->spool)
		fclose(s->spool);
	kcs_pod_release(&s->replay);
	kcs_free(s);
}

enum kcs_err kcs_scan_attach_report(struct kcs_scan *s, struct kcs_report *rep,
				    struct kcs_error *err)
{
	if (s->n_reports == KCS_SCAN_MAX_REPORTS) {
		if (rep->ops->free)
			rep->ops->free(rep);
		return kcs_error_set(err, KCS_ERR_USAGE,
				     "at most %d reports per run",
				     KCS_SCAN_MAX_REPORTS);
	}
	s->reports[s->n_reports++] = rep;
	return KCS_OK;
}

enum kcs_err kcs_scan_begin(struct kcs_scan *s, struct kcs_error *err)
{
	size_t i;
	enum kcs_err rc;

	s->begun = 1;
	s->meta.started = s->started;
	for (i = 0; i < s->n_reports; i++) {
		rc = s->reports[i]->ops->begin(s->reports[i], &s->meta, err);
		if (rc)
			return rc;
	}
	return KCS_OK;
}

static enum kcs_err grow_table(struct kcs_scan *s, struct kcs_error *err)
{
	size_t n = s->n_slots * 2, i;
	struct kcs_ns_entry **slots = kcs_calloc(n, sizeof(*slots));

	if (!slots)
		return kcs_error_set(err, KCS_ERR_NOMEM, "out of memory");
	for (i = 0; i < s->n_slots; i++) {
		struct kcs_ns_entry *e = s->slots[i];
		size_t j;

		if (!e)
			continue;
		j = hash_name(e->name.s, e->name.len) & (n - 1);
		while (slots[j])
			j = (j + 1) & (n - 1);
		slots[j] = e;
	}
	kcs_free(s->slots);
	s->slots = slots;
	s->n_slots = n;
	return KCS_OK;
}

static size_t probe(const struct kcs_scan *s, const char *name, size_t len)
{
	size_t j = hash_name(name, len) & (s->n_slots - 1);

	while (s->slots[j] && !(s->slots[j]->name.len == len &&
				memcmp(s->slots[j]->name.s, name, len) == 0))
		j = (j + 1) & (s->n_slots - 1);
	return j;
}

const struct kcs_ns_entry *kcs_scan_find_ns(const struct kcs_scan *s,
					    const char *name, size_t len)
{
	return s->slots[probe(s, name, len)];
}

/* Find or create the record of namespace `name`. */
static struct kcs_ns_entry *ns_get(struct kcs_scan *s,
				   const struct kcs_name *name,
				   struct kcs_error *err)
{
	size_t j = probe(s, name->s, name->len);
	struct kcs_ns_entry *e = s->slots[j];

	if (e)
		return e;
	if (s->n_ns >= KCS_SCAN_MAX_NAMESPACES) {
		kcs_error_set(err, KCS_ERR_LIMIT, "more than %u namespaces",
			      KCS_SCAN_MAX_NAMESPACES);
		return NULL;
	}
	if ((s->n_ns + 1) * 2 > s->n_slots) {
		if (grow_table(s, err))
			return NULL;
		j = probe(s, name->s, name->len);
	}
	e = kcs_calloc(1, sizeof(*e));
	if (!e) {
		kcs_error_set(err, KCS_ERR_NOMEM, "out of memory");
		return NULL;
	}
	e->name = *name;
	s->slots[j] = e;
	s->n_ns++;
	return e;
}

static void count(struct kcs_count *c, enum kcs_verdict v)
{
	c->total++;
	switch (v) {
	case KCS_VERDICT_PASS: c->pass++; break;
	case KCS_VERDICT_FAIL: c->fail++; break;
	case KCS_VERDICT_NOT_APPLICABLE: c->not_applicable++; break;
	case KCS_VERDICT_UNKNOWN: c->unknown++; break;
	case KCS_VERDICT_EXEMPT: c->exempt++; break;
	}
}

/* ---- the listing spool --------------------------------------------- */

/* A spooled pod: this header, then the name bytes, then its containers. */
struct spool_pod {
	unsigned short ns_len, name_len, uid_len; /* uid_len 0xffff: no uid */
	unsigned char verdict, reason, host_network, windows;
	unsigned int n;
	/* then these names, each as a length and its bytes */
	unsigned char os_set, owner_present, workload_resolved, owner_gone;
	unsigned short node_len, rtclass_len, owner_name_len, wl_name_len;
	char owner_kind[KCS_KIND_NAME_MAX + 1];
	char wl_kind[KCS_KIND_NAME_MAX + 1];
};

struct spool_ctr {
	unsigned char type, verdict, reason, flags;
	unsigned char has_sc, has_caps, has_drop, privileged;
	unsigned char has_exposure, exposure, exposure_reason, exposure_flags;
	unsigned index;
	unsigned short name_len, exempt_reason_len;
	unsigned char exempt_source;
	char exempt_expires[11];
	unsigned long exempt_line;
};

static enum kcs_err spool_write(struct kcs_scan *s, const struct kcs_pod *pod,
				struct kcs_error *err)
{
	struct spool_pod h;
	size_t i;
	int bad;

	/* Zeroed whole: padding bytes are written to the spool too. */
	memset(&h, 0, sizeof(h));
	h.ns_len = (unsigned short)pod->ns.len;
	h.name_len = (unsigned short)pod->name.len;
	h.uid_len = pod->has_uid ? (unsigned short)pod->uid.len : 0xffff;
	h.verdict = (unsigned char)pod->verdict;
	h.reason = (unsigned char)pod->reason;
	h.host_network = pod->host_network;
	h.windows = pod->windows;
	h.n = (unsigned int)pod->n;
	h.os_set = pod->os_set;
	h.owner_present = pod->owner.present;
	h.workload_resolved = pod->workload_resolved;
	h.owner_gone = pod->workload_owner_gone;
	h.node_len = (unsigned short)pod->node_name.len;
	h.rtclass_len = (unsigned short)pod->runtime_class.len;
	h.owner_name_len = (unsigned short)pod->owner.name.len;
	h.wl_name_len = (unsigned short)pod->workload.name.len;
	memcpy(h.owner_kind, pod->owner.kind, sizeof(h.owner_kind));
	memcpy(h.wl_kind, pod->workload.kind, sizeof(h.wl_kind));
	bad = fwrite(&h, sizeof(h), 1, s->spool) != 1 ||
	      fwrite(pod->ns.s, 1, pod->ns.len, s->spool) != pod->ns.len ||
	      fwrite(pod->name.s, 1, pod->name.len, s->spool) != pod->name.len ||
	      (pod->has_uid &&
	       fwrite(pod->uid.s, 1, pod->uid.len, s->spool) != pod->uid.len) ||
	      fwrite(pod->node_name.s, 1, h.node_len, s->spool) != h.node_len ||
	      fwrite(pod->runtime_class.s, 1, h.rtclass_len, s->spool) !=
		      h.rtclass_len ||
	      fwrite(pod->owner.name.s, 1, h.owner_name_len, s->spool) !=
		      h.owner_name_len ||
	      fwrite(pod->workload.name.s, 1, h.wl_name_len, s->spool) !=
		      h.wl_name_len;
	for (i = 0; !bad && i < pod->n; i++) {
		const struct kcs_container *c = &pod->containers[i];
		struct spool_ctr ch;
		size_t rl = c->exempt_source ? strlen(c->exempt_reason) : 0;

		memset(&ch, 0, sizeof(ch));
		ch.type = (unsigned char)c->type;
		ch.verdict = (unsigned char)c->verdict;
		ch.reason = (unsigned char)c->reason;
		ch.flags = (unsigned char)c->flags;
		ch.has_sc = c->has_sc;
		ch.has_caps = c->has_caps;
		ch.has_drop = c->has_drop;
		ch.privileged = c->privileged;
		ch.has_exposure = c->has_exposure;
		ch.exposure = c->exposure;
		ch.exposure_reason = c->exposure_reason;
		ch.exposure_flags = c->exposure_flags;
		ch.index = c->index;
		ch.name_len = (unsigned short)c->name.len;
		ch.exempt_source = (unsigned char)c->exempt_source;
		ch.exempt_line = c->exempt_line;
		ch.exempt_reason_len = (unsigned short)rl;
		memcpy(ch.exempt_expires, c->exempt_expires, sizeof(ch.exempt_expires));
		bad = fwrite(&ch, sizeof(ch), 1, s->spool) != 1 ||
		      fwrite(c->name.s, 1, c->name.len, s->spool) != c->name.len ||
		      fwrite(c->exempt_reason, 1, rl, s->spool) != rl;
	}
	if (bad)
		return kcs_error_set(err, KCS_ERR_IO,
				     "cannot write the scan's temporary spool: %s",
				     strerror(errno));
	return KCS_OK;
}

static int read_exact(FILE *f, void *p, size_t n)
{
	return fread(p, 1, n, f) == n;
}

static int read_name(FILE *f, struct kcs_name *n, size_t len)
{
	if (!read_exact(f, n->s, len))
		return 0;
	n->s[len] = '\0';
	n->len = len;
	return 1;
}

static enum kcs_err spool_read(struct kcs_scan *s, struct kcs_pod *pod,
			       int *eof, struct kcs_error *err)
{
	struct spool_pod h;
	size_t i;

	*eof = 0;
	if (fread(&h, sizeof(h), 1, s->spool) != 1) {
		if (feof(s->spool)) {
			*eof = 1;
			return KCS_OK;
		}
		goto bad;
	}
	kcs_pod_reset(pod);
	if (h.ns_len > KCS_NAME_MAX || h.name_len > KCS_NAME_MAX ||
	    (h.uid_len != 0xffff && h.uid_len > KCS_UID_MAX))
		goto bad;
	if (!read_exact(s->spool, pod->ns.s, h.ns_len) ||
	    !read_exact(s->spool, pod->name.s, h.name_len))
		goto bad;
	pod->ns.len = h.ns_len;
	pod->ns.s[h.ns_len] = '\0';
	pod->name.len = h.name_len;
	pod->name.s[h.name_len] = '\0';
	if (h.uid_len != 0xffff) {
		if (!read_exact(s->spool, pod->uid.s, h.uid_len))
			goto bad;
		pod->uid.len = h.uid_len;
		pod->uid.s[h.uid_len] = '\0';
		pod->has_uid = 1;
	}
	pod->verdict = (enum kcs_verdict)h.verdict;
	pod->reason = (enum kcs_pod_reason)h.reason;
	pod->host_network = h.host_network;
	pod->windows = h.windows;
	pod->os_set = h.os_set;
	if (h.node_len > KCS_NAME_MAX || h.rtclass_len > KCS_NAME_MAX ||
	    h.owner_name_len > KCS_NAME_MAX || h.wl_name_len > KCS_NAME_MAX ||
	    !read_name(s->spool, &pod->node_name, h.node_len) ||
	    !read_name(s->spool, &pod->runtime_class, h.rtclass_len) ||
	    !read_name(s->spool, &pod->owner.name, h.owner_name_len) ||
	    !read_name(s->spool, &pod->workload.name, h.wl_name_len))
		goto bad;
	pod->owner.present = h.owner_present;
	memcpy(pod->owner.kind, h.owner_kind, sizeof(h.owner_kind));
	pod->owner.kind[KCS_KIND_NAME_MAX] = '\0';
	pod->workload.present = 1;
	memcpy(pod->workload.kind, h.wl_kind, sizeof(h.wl_kind));
	pod->workload.kind[KCS_KIND_NAME_MAX] = '\0';
	pod->workload_resolved = h.workload_resolved;
	pod->workload_owner_gone = h.owner_gone;
	for (i = 0; i < h.n; i++) {
		struct spool_ctr ch;
		struct kcs_container *c;

		if (!read_exact(s->spool, &ch, sizeof(ch)) ||
		    ch.name_len > KCS_NAME_MAX ||
		    ch.exempt_reason_len > KCS_EXEMPT_REASON_MAX)
			goto bad;
		c = kcs_pod_add_container(pod, (enum kcs_ctype)ch.type, err);
		if (!c)
			return err ? err->code : KCS_ERR_NOMEM;
		if (!read_exact(s->spool, c->name.s, ch.name_len))
			goto bad;
		c->name.len = ch.name_len;
		c->name.s[ch.name_len] = '\0';
		c->verdict = (enum kcs_verdict)ch.verdict;
		c->reason = (enum kcs_reason)ch.reason;
		c->flags = ch.flags;
		c->has_sc = ch.has_sc;
		c->has_caps = ch.has_caps;
		c->has_drop = ch.has_drop;
		c->privileged = ch.privileged;
		c->has_exposure = ch.has_exposure;
		c->exposure = ch.exposure;
		c->exposure_reason = ch.exposure_reason;
		c->exposure_flags = ch.exposure_flags;
		c->index = ch.index;
		c->exempt_source = (enum kcs_exempt_source)ch.exempt_source;
		c->exempt_line = ch.exempt_line;
		memcpy(c->exempt_expires, ch.exempt_expires, sizeof(ch.exempt_expires));
		c->exempt_expires[10] = '\0';
		if (!read_exact(s->spool, c->exempt_reason, ch.exempt_reason_len))
			goto bad;
		c->exempt_reason[ch.exempt_reason_len] = '\0';
	}
	return KCS_OK;
bad:
	return kcs_error_set(err, KCS_ERR_IO,
			     "cannot read back the scan's temporary spool");
}

/*
 * Hand a pod (of the final listing: spooled pods come here at commit) to
 * drift and to every report.
 */
static enum kcs_err deliver(struct kcs_scan *s, const struct kcs_pod *pod,
			    struct kcs_error *err)
{
	enum kcs_err rc;
	size_t i;

	if (s->drift) {
		int bare = !strcmp(pod->workload.kind, "Pod");

		rc = kcs_drift_pod(s->drift, pod, bare ? NULL : pod->workload.kind,
				   pod->workload.name.s, pod->workload.name.len,
				   err);
		if (rc)
			return rc;
	}
	for (i = 0; i < s->n_reports; i++) {
		rc = s->reports[i]->ops->pod(s->reports[i], pod, err);
		if (rc)
			return rc;
	}
	return KCS_OK;
}

enum kcs_err kcs_scan_listing_begin(struct kcs_scan *s, struct kcs_error *err)
{
	if (s->spool)
		return kcs_error_set(err, KCS_ERR_INTERNAL, "listing already open");
	s->spool = tmpfile();
	if (!s->spool)
		return kcs_error_set(err, KCS_ERR_IO,
				     "cannot create a temporary spool file: %s",
				     strerror(errno));
	return KCS_OK;
}

enum kcs_err kcs_scan_listing_rollback(struct kcs_scan *s,
				       struct kcs_error *err)
{
	size_t i;

	if (!s->spool)
		return kcs_error_set(err, KCS_ERR_INTERNAL, "no listing open");
	rewind(s->spool);
	if (ftruncate(fileno(s->spool), 0) != 0)
		return kcs_error_set(err, KCS_ERR_IO,
				     "cannot empty the temporary spool: %s",
				     strerror(errno));
	memset(&s->pods, 0, sizeof(s->pods));
	memset(&s->containers, 0, sizeof(s->containers));
	s->excluded_pods = 0;
	kcs_workloads_clear(s->workloads);
	/* Forget what pods told us (finish drops pod-only entries left empty). */
	for (i = 0; i < s->n_slots; i++) {
		struct kcs_ns_entry *e = s->slots[i];

		if (!e)
			continue;
		e->pods_total = e->pods_fail = 0;
	}
	return KCS_OK;
}

enum kcs_err kcs_scan_listing_commit(struct kcs_scan *s, struct kcs_error *err)
{
	enum kcs_err rc = KCS_OK;
	FILE *f = s->spool;
	int eof = 0;

	if (!f)
		return kcs_error_set(err, KCS_ERR_INTERNAL, "no listing open");
	if (fflush(f) != 0 || fseek(f, 0, SEEK_SET) != 0)
		rc = kcs_error_set(err, KCS_ERR_IO,
				   "cannot read back the temporary spool: %s",
				   strerror(errno));
	while (!rc) {
		rc = spool_read(s, &s->replay, &eof, err);
		if (rc || eof)
			break;
		if (s->runtime_aware) {
			kcs_runtime_pod(s->nodes, s->rtclasses, &s->replay,
					&s->where);
			s->replay.runtime = &s->where;
		}
		rc = deliver(s, &s->replay, err);
	}
	s->spool = NULL;
	fclose(f);
	return rc;
}

void kcs_scan_set_excludes(struct kcs_scan *s, const char *const *globs,
			   size_t n)
{
	s->excludes = globs;
	s->n_excludes = n;
}

void kcs_scan_set_runtime(struct kcs_scan *s, const struct kcs_nodes *nodes,
			  const struct kcs_rtclasses *classes)
{
	s->runtime_aware = 1;
	s->nodes = nodes;
	s->rtclasses = classes;
}

enum kcs_err kcs_scan_set_admission(struct kcs_scan *s, const char *name,
				    size_t len,
				    const struct kcs_probe_result *r,
				    struct kcs_error *err)
{
	struct kcs_ns_entry *e;
	struct kcs_name n;

	if (len > KCS_NAME_MAX)
		return kcs_error_set(err, KCS_ERR_LIMIT, "namespace name too long");
	memcpy(n.s, name, len);
	n.s[len] = '\0';
	n.len = len;
	e = ns_get(s, &n, err);
	if (!e)
		return err ? err->code : KCS_ERR_NOMEM;
	if (!e->admission && !(e->admission = kcs_malloc(sizeof(*r))))
		return kcs_error_set(err, KCS_ERR_NOMEM, "out of memory");
	*e->admission = *r;
	s->probed = 1;
	return KCS_OK;
}

static int is_excluded(const struct kcs_scan *s, const struct kcs_name *ns);

void kcs_scan_set_probing(struct kcs_scan *s, int on)
{
	s->probing = on;
}

int kcs_scan_probing(const struct kcs_scan *s)
{
	return s->probing;
}

enum kcs_err kcs_scan_each_ns(struct kcs_scan *s,
			      enum kcs_err (*fn)(struct kcs_ns_entry *e,
						 void *user,
						 struct kcs_error *err),
			      void *user, struct kcs_error *err)
{
	size_t i;
	enum kcs_err rc;

	for (i = 0; i < s->n_slots; i++) {
		if (!s->slots[i] || !s->slots[i]->present ||
		    is_excluded(s, &s->slots[i]->name))
			continue;
		if ((rc = fn(s->slots[i], user, err)))
			return rc;
	}
	return KCS_OK;
}

void kcs_scan_set_workload_fn(struct kcs_scan *s, kcs_workload_fn fn,
			      void *user)
{
	s->workload_fn = fn ? fn : kcs_workload_direct;
	s->workload_user = user;
}

void kcs_scan_set_exemptions(struct kcs_scan *s, struct kcs_exemptions *ex)
{
	s->exemptions = ex;
}

unsigned long long kcs_scan_excluded_pods(const struct kcs_scan *s)
{
	return s->excluded_pods;
}

/* Does an exclude glob match this namespace? (A name with a NUL never does.) */
static int is_excluded(const struct kcs_scan *s, const struct kcs_name *ns)
{
	size_t i;

	if (!s->n_excludes || memchr(ns->s, '\0', ns->len))
		return 0;
	for (i = 0; i < s->n_excludes; i++)
		if (fnmatch(s->excludes[i], ns->s, 0) == 0)
			return 1;
	return 0;
}

/* --runtime-aware: where the pod runs and what each container holds. */
static void apply_runtime(struct kcs_scan *s, struct kcs_pod *pod)
{
	size_t i;

	kcs_runtime_pod(s->nodes, s->rtclasses, pod, &s->where);
	pod->runtime = &s->where;
	for (i = 0; i < pod->n; i++) {
		struct kcs_container *c = &pod->containers[i];
		struct kcs_container_exposure x;

		kcs_runtime_exposure(pod, &s->where, c, &x);
		c->has_exposure = 1;
		c->exposure = (unsigned char)x.effective;
		c->exposure_reason = (unsigned char)x.reason;
		c->exposure_flags = (unsigned char)x.flags;
	}
}

enum kcs_err kcs_scan_pod(struct kcs_pod *pod, void *user,
			  struct kcs_error *err)
{
	struct kcs_scan *s = user;
	struct kcs_ns_entry *e;
	enum kcs_err rc;
	size_t i;

	if (is_excluded(s, &pod->ns)) {
		s->excluded_pods++;
		return KCS_OK;
	}
	if (s->exemptions)
		kcs_exemptions_apply(s->exemptions, pod, s->started);
	e = ns_get(s, &pod->ns, err);
	if (!e)
		return err ? err->code : KCS_ERR_NOMEM;
	{
		int r = s->workload_fn(pod, &pod->workload, s->workload_user);

		pod->workload_resolved = r == KCS_WL_RESOLVED;
		pod->workload_owner_gone = r == KCS_WL_OWNER_GONE;
	}
	pod->workload.present = 1;
	rc = kcs_workloads_add(s->workloads, pod, &pod->workload,
			       pod->workload_resolved, err);
	if (rc)
		return rc;
	if (s->runtime_aware)
		apply_runtime(s, pod);
	e->pods_total++;
	if (pod->verdict == KCS_VERDICT_FAIL)
		e->pods_fail++;
	count(&s->pods, pod->verdict);
	for (i = 0; i < pod->n; i++)
		count(&s->containers, pod->containers[i].verdict);
	if (s->spool)
		return spool_write(s, pod, err);
	return deliver(s, pod, err);
}

enum kcs_err kcs_scan_namespace(const struct kcs_nsobj *ns, void *user,
				struct kcs_error *err)
{
	struct kcs_scan *s = user;
	struct kcs_ns_entry *e = ns_get(s, &ns->name, err);

	if (!e)
		return err ? err->code : KCS_ERR_NOMEM;
	/* A namespace seen twice (two files, two snapshots): the last wins. */
	e->present = 1;
	e->uid = ns->uid;
	e->has_uid = ns->has_uid;
	e->labels = ns->labels;
	return KCS_OK;
}

struct kcs_reader_cbs kcs_scan_reader_cbs(struct kcs_scan *s)
{
	struct kcs_reader_cbs cbs = {
		.on_pod = kcs_scan_pod,
		.on_namespace = kcs_scan_namespace,
		.user = s,
	};
	return cbs;
}

void kcs_scan_add_error(struct kcs_scan *s, const struct kcs_error *e)
{
	struct kcs_scan_error *x;

	if (s->n_errors == KCS_SCAN_MAX_ERRORS)
		return;
	x = &s->errors[s->n_errors++];
	x->code = e->code ? e->code : KCS_ERR_INTERNAL;
	snprintf(x->message, sizeof(x->message), "%s", e->msg);
	snprintf(x->source, sizeof(x->source), "%s", e->source);
	x->http_status = e->http_status;
}

enum kcs_err kcs_scan_add_warning(struct kcs_scan *s, const char *fmt, ...)
{
	struct kcs_buf b = KCS_BUF_INIT(4096);
	va_list ap;
	char *w;

	if (s->n_warnings == KCS_SCAN_MAX_WARNINGS)
		return KCS_OK; /* bounded: later warnings are dropped */
	va_start(ap, fmt);
	kcs_buf_vaddf(&b, fmt, ap);
	va_end(ap);
	if (b.err == KCS_ERR_LIMIT) {
		b.err = KCS_OK;
		b.len = b.max;
		b.buf[b.len] = '\0';
	}
	w = kcs_buf_detach(&b, NULL);
	kcs_buf_release(&b);
	if (!w)
		return KCS_ERR_NOMEM;
	s->warnings[s->n_warnings++] = w;
	return KCS_OK;
}

void kcs_scan_note_skipped(struct kcs_scan *s, const struct kcs_doc_info *in)
{
	size_t i, j;

	s->n_skipped += in->n_skipped;
	for (i = 0; i < in->n_skipped_kinds; i++) {
		for (j = 0; j < s->n_skipped_kinds; j++)
			if (!strcmp(s->skipped_kinds[j], in->skipped_kinds[i]))
				break;
		if (j == s->n_skipped_kinds &&
		    s->n_skipped_kinds < KCS_SKIPPED_KINDS_MAX)
			snprintf(s->skipped_kinds[s->n_skipped_kinds++],
				 sizeof(s->skipped_kinds[0]), "%s",
				 in->skipped_kinds[i]);
	}
}

const char *kcs_scan_skipped_note(struct kcs_scan *s)
{
	size_t i, used;

	if (!s->n_skipped)
		return NULL;
	used = (size_t)snprintf(s->skipped_note, sizeof(s->skipped_note),
				"skipped %zu object%s of other kinds (",
				s->n_skipped, s->n_skipped == 1 ? "" : "s");
	for (i = 0; i < s->n_skipped_kinds && used < sizeof(s->skipped_note); i++)
		used += (size_t)snprintf(s->skipped_note + used,
					 sizeof(s->skipped_note) - used,
					 "%s%s", i ? ", " : "",
					 s->skipped_kinds[i]);
	if (used < sizeof(s->skipped_note))
		snprintf(s->skipped_note + used, sizeof(s->skipped_note) - used,
			 "%s)", s->n_skipped_kinds == KCS_SKIPPED_KINDS_MAX
					? ", ..." : "");
	return s->skipped_note;
}

static int cmp_ns(const void *a, const void *b)
{
	const struct kcs_ns_entry *x = *(struct kcs_ns_entry *const *)a;
	const struct kcs_ns_entry *y = *(struct kcs_ns_entry *const *)b;
	size_t n = x->name.len < y->name.len ? x->name.len : y->name.len;
	int c = memcmp(x->name.s, y->name.s, n);

	if (c)
		return c;
	return x->name.len < y->name.len ? -1 : x->name.len > y->name.len;
}

/*
 * A conclusive admission probe decides the namespace; an UNKNOWN one
 * leaves the label reading (the probe said nothing either way).
 */
static void follow_admission(struct kcs_ns_entry *e)
{
	const struct kcs_probe_result *a = e->admission;

	switch (a->reason) {
	case KCS_ADMISSION_DENIES_NET_RAW:
		e->result.reason = KCS_NR_ADMISSION_DENIES_NET_RAW;
		break;
	case KCS_ADMISSION_ADMITS_DEFAULT_NET_RAW:
		e->result.reason = KCS_NR_ADMISSION_ADMITS_DEFAULT_NET_RAW;
		break;
	case KCS_ADMISSION_ADMITS_ADDED_NET_RAW:
		e->result.reason = KCS_NR_ADMISSION_ADMITS_ADDED_NET_RAW;
		break;
	case KCS_ADMISSION_INJECTS_NET_RAW:
		e->result.reason = KCS_NR_ADMISSION_INJECTS_NET_RAW;
		break;
	default:
		return;
	}
	if (a->verdict != KCS_VERDICT_PASS && a->verdict != KCS_VERDICT_FAIL) {
		e->result = e->labels_result; /* never PASS on a doubt */
		return;
	}
	e->result.verdict = a->verdict;
}

/* The namespaces, then the verdicts of every drift key; its warnings. */
static enum kcs_err finish_drift(struct kcs_scan *s, size_t n_ns,
				 const struct kcs_source *src, int complete,
				 struct kcs_error *err)
{
	struct kcs_drift_scope scope = { 0 };
	const char *const *w;
	enum kcs_err rc;
	size_t i, n;

	for (i = 0; i < n_ns; i++) {
		const struct kcs_ns_entry *e = s->sorted[i];

		rc = kcs_drift_namespace(s->drift, e->name.s, e->name.len,
					 e->result.verdict,
					 kcs_ns_reason_name(e->result.reason), err);
		if (rc)
			return rc;
	}
	if (src && src->kind == KCS_SOURCE_CLUSTER) {
		scope.ns = src->namespace;
		scope.label_selector = src->label_selector;
		scope.field_selector = src->field_selector;
	}
	if (src) {
		scope.exclude_ns = src->exclude_ns;
		scope.n_exclude_ns = src->n_exclude_ns;
	}
	rc = kcs_drift_finish(s->drift, complete && s->n_errors == 0, &scope,
			      err);
	if (rc)
		return rc;
	w = kcs_drift_warnings(s->drift, &n);
	for (i = 0; i < n; i++)
		if (kcs_scan_add_warning(s, "drift: %s", w[i]))
			return kcs_error_set(err, KCS_ERR_NOMEM, "out of memory");
	return KCS_OK;
}

void kcs_scan_set_drift(struct kcs_scan *s, struct kcs_drift *d)
{
	s->drift = d;
}

enum kcs_err kcs_scan_finish(struct kcs_scan *s, const struct kcs_source *src,
			     int complete, struct kcs_error *err)
{
	struct kcs_scan_result res;
	enum kcs_err rc, first = KCS_OK;
	size_t i, k = 0;

	s->sorted = kcs_calloc(s->n_ns ? s->n_ns : 1, sizeof(*s->sorted));
	if (!s->sorted)
		return kcs_error_set(err, KCS_ERR_NOMEM, "out of memory");
	for (i = 0; i < s->n_slots; i++) {
		struct kcs_ns_entry *e = s->slots[i];

		/* Named only by pods of a rolled-back listing: not in this scan. */
		if (!e || (!e->present && !e->pods_total) || is_excluded(s, &e->name))
			continue;
		s->sorted[k++] = e;
		if (e->present) {
			kcs_psa_evaluate(&e->labels, &s->def, &e->result);
			e->labels_result = e->result;
			if (e->admission)
				follow_admission(e);
		} else {
			memset(&e->result, 0, sizeof(e->result));
			e->result.verdict = KCS_VERDICT_UNKNOWN;
			e->result.reason = KCS_NR_NAMESPACE_NOT_IN_INPUT;
		}
		count(&s->namespaces, e->result.verdict);
		if (e->result.verdict == KCS_VERDICT_FAIL)
			s->any_fail = 1;
	}
	qsort(s->sorted, k, sizeof(*s->sorted), cmp_ns);
	if ((rc = kcs_workloads_finish(s->workloads, err)))
		return rc;
	if (s->drift && (rc = finish_drift(s, k, src, complete, err)))
		return rc;
	if (!s->finished)
		s->finished = time(NULL);

	memset(&res, 0, sizeof(res));
	s->meta.started = s->started;
	res.meta = &s->meta;
	res.namespaces = s->namespaces;
	res.pods = s->pods;
	res.containers = s->containers;
	res.ns_sorted = s->sorted;
	res.n_ns = k;
	res.source = src;
	res.complete = complete && s->n_errors == 0;
	res.errors = s->errors;
	res.n_errors = s->n_errors;
	res.warnings = s->warnings;
	res.n_warnings = s->n_warnings;
	res.started = s->started;
	res.finished = s->finished;
	res.exemptions = s->exemptions;
	res.workloads = s->workloads;
	res.runtime_aware = s->runtime_aware;
	res.nodes = s->nodes;
	res.rtclasses = s->rtclasses;
	res.probed = s->probed;
	res.drift = s->drift;
	for (i = 0; i < s->n_reports; i++) {
		rc = s->reports[i]->ops->end(s->reports[i], &res, err);
		if (rc && !first)
			first = rc;
	}
	return first;
}

int kcs_scan_has_failures(const struct kcs_scan *s)
{
	return s->any_fail || s->pods.fail > 0;
}

const struct kcs_count *kcs_scan_pod_counts(const struct kcs_scan *s)
{
	return &s->pods;
}

void kcs_scan_set_times(struct kcs_scan *s, time_t started, time_t finished)
{
	s->started = started;
	s->finished = finished;
}
