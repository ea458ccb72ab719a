/*
 * probe.c - the admission probe (see probe.h and docs/probe.md).
 *
 * Why three probes: a denial alone says nothing about NET_RAW. Admission
 * may deny pods for reasons of its own (an image registry policy, a quota
 * that wants limits, a namespace being deleted), so the `control` pod,
 * which every NET_RAW rule admits, tells whether denials can be read as
 * being about NET_RAW at all. `default` (no securityContext) and
 * `add-net-raw` (the control plus add: [NET_RAW]) are the two ways a pod
 * gets NET_RAW. An admitted probe's returned object, not the one sent, is
 * audited: a mutating policy may have added drop: [ALL], or injected a
 * container that adds NET_RAW.
 *
 * Safety: nothing is ever created. Every POST path is checked for
 * dryRun=All just before it is sent, and an answer carrying a
 * resourceVersion (which dry runs never have: KEP 576, "Generated values")
 * is reported as a stored pod and stops the probe run.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <curl/curl.h>
#include <openssl/rand.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_parse.h>

#include "kcs/alloc.h"
#include "kcs/live.h"
#include "kcs/probe.h"
#include "kcs/reader.h"
#include "kcs/banned.h"

/* Largest probe body (a few hundred bytes) and SSAR answer we accept. */
#define PROBE_BODY_MAX (64 * 1024)

/* ---- names ----------------------------------------------------------- */

const char *kcs_probe_kind_name(enum kcs_probe_kind k)
{
	switch (k) {
	case KCS_PROBE_CONTROL: return "control";
	case KCS_PROBE_DEFAULT: return "default";
	case KCS_PROBE_ADD_NET_RAW: return "add-net-raw";
	case KCS_PROBE_KINDS: break;
	}
	return "unknown";
}

const char *kcs_probe_outcome_name(enum kcs_probe_outcome o)
{
	switch (o) {
	case KCS_PROBE_NOT_SENT: return "NOT_SENT";
	case KCS_PROBE_ADMITTED: return "ADMITTED";
	case KCS_PROBE_DENIED: return "DENIED";
	case KCS_PROBE_ERROR: return "ERROR";
	case KCS_PROBE_FORBIDDEN: return "FORBIDDEN";
	}
	return "ERROR";
}

static const struct {
	const char *name;
	const char *text;
} reasons[KCS_ADMISSION_REASONS] = {
	[KCS_ADMISSION_DENIES_NET_RAW] = { "ADMISSION_DENIES_NET_RAW",
		"admission denied the probe pods that have NET_RAW, or admitted "
		"them only after a mutation removed it" },
	[KCS_ADMISSION_ADMITS_DEFAULT_NET_RAW] = {
		"ADMISSION_ADMITS_DEFAULT_NET_RAW",
		"admission admitted a pod without securityContext, which keeps "
		"the runtime's default NET_RAW" },
	[KCS_ADMISSION_ADMITS_ADDED_NET_RAW] = {
		"ADMISSION_ADMITS_ADDED_NET_RAW",
		"admission admitted a pod that adds NET_RAW" },
	[KCS_ADMISSION_INJECTS_NET_RAW] = { "ADMISSION_INJECTS_NET_RAW",
		"admission admitted a compliant pod but returned it with NET_RAW "
		"(a mutating webhook adds it)" },
	[KCS_ADMISSION_INCONCLUSIVE] = { "ADMISSION_INCONCLUSIVE",
		"admission denied even the compliant control pod, so its denials "
		"say nothing about NET_RAW" },
	[KCS_ADMISSION_PROBE_FAILED] = { "ADMISSION_PROBE_FAILED",
		"a probe got no usable answer" },
	[KCS_ADMISSION_PERMISSION_DENIED] = { "ADMISSION_PERMISSION_DENIED",
		"not allowed to create pods in the namespace (RBAC needs verb "
		"'create' on resource 'pods')" },
};

const char *kcs_probe_reason_name(enum kcs_admission_reason r)
{
	return (unsigned)r < KCS_ADMISSION_REASONS ? reasons[r].name
						   : "ADMISSION_PROBE_FAILED";
}

const char *kcs_probe_reason_text(enum kcs_admission_reason r)
{
	return (unsigned)r < KCS_ADMISSION_REASONS ? reasons[r].text : "";
}

void kcs_probe_result_init(struct kcs_probe_result *r)
{
	size_t i;

	memset(r, 0, sizeof(*r));
	r->verdict = KCS_VERDICT_UNKNOWN;
	r->reason = KCS_ADMISSION_PROBE_FAILED;
	r->ssar_allowed = -1;
	for (i = 0; i < KCS_PROBE_KINDS; i++) {
		r->probes[i].kind = (enum kcs_probe_kind)i;
		r->probes[i].outcome = KCS_PROBE_NOT_SENT;
		r->probes[i].sent_verdict = KCS_VERDICT_UNKNOWN;
		r->probes[i].returned_verdict = KCS_VERDICT_UNKNOWN;
	}
}

/* ---- display text ---------------------------------------------------- */

/*
 * Copy `src` for display into dst (size > 0): C0 controls and DEL become
 * spaces (a Status message goes to terminals), leading and trailing
 * spaces go (Kyverno's messages start with two newlines), and a cut never
 * splits a UTF-8 sequence.
 */
static void copy_display(char *dst, size_t size, const char *src)
{
	size_t n, i;

	while (src && *src && ((unsigned char)*src <= 0x20 ||
			       (unsigned char)*src == 0x7f))
		src++;
	n = src ? strlen(src) : 0;
	while (n > 0 && ((unsigned char)src[n - 1] <= 0x20 ||
			 (unsigned char)src[n - 1] == 0x7f))
		n--;
	if (n >= size) {
		n = size - 1;
		/* back up over continuation bytes to the start of a sequence */
		while (n > 0 && ((unsigned char)src[n] & 0xC0) == 0x80)
			n--;
	}
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)src[i];

		dst[i] = c < 0x20 || c == 0x7f ? ' ' : (char)c;
	}
	dst[n] = '\0';
}

/* ---- the probe pods -------------------------------------------------- */

enum kcs_err kcs_probe_make_name(enum kcs_probe_kind k,
				 const unsigned char *rnd, size_t n,
				 char out[KCS_PROBE_NAME_MAX + 1],
				 struct kcs_error *err)
{
	static const char hex[] = "0123456789abcdef";
	int used;
	size_t i, at;

	used = snprintf(out, KCS_PROBE_NAME_MAX + 1, "kubecapscan-probe-%s-",
			kcs_probe_kind_name(k));
	at = (size_t)used;
	if (used < 0 || at + 2 * n > KCS_PROBE_NAME_MAX || n == 0) {
		out[0] = '\0';
		return kcs_error_set(err, KCS_ERR_LIMIT,
				     "probe name would exceed %d bytes",
				     KCS_PROBE_NAME_MAX);
	}
	for (i = 0; i < n; i++) {
		out[at++] = hex[rnd[i] >> 4];
		out[at++] = hex[rnd[i] & 15];
	}
	out[at] = '\0';
	return KCS_OK;
}

/* yajl_gen with a sticky status, so a long chain is checked once. */
struct gen {
	yajl_gen g;
	yajl_gen_status st;
};

static void g_str(struct gen *g, const char *s)
{
	if (g->st == yajl_gen_status_ok)
		g->st = yajl_gen_string(g->g, (const unsigned char *)s,
					strlen(s));
}

static void g_open(struct gen *g)
{
	if (g->st == yajl_gen_status_ok)
		g->st = yajl_gen_map_open(g->g);
}

static void g_close(struct gen *g)
{
	if (g->st == yajl_gen_status_ok)
		g->st = yajl_gen_map_close(g->g);
}

static void g_bool(struct gen *g, int b)
{
	if (g->st == yajl_gen_status_ok)
		g->st = yajl_gen_bool(g->g, b);
}

static void g_int(struct gen *g, long long v)
{
	if (g->st == yajl_gen_status_ok)
		g->st = yajl_gen_integer(g->g, v);
}

/* "key": ["value"] */
static void g_list1(struct gen *g, const char *key, const char *value)
{
	g_str(g, key);
	if (g->st == yajl_gen_status_ok)
		g->st = yajl_gen_array_open(g->g);
	g_str(g, value);
	if (g->st == yajl_gen_status_ok)
		g->st = yajl_gen_array_close(g->g);
}

/*
 * The container securityContext of `control` and `add-net-raw`: what Pod
 * Security "restricted" (latest) asks of a container, and nothing more.
 */
static void g_restricted_sc(struct gen *g, int add_net_raw)
{
	g_str(g, "securityContext");
	g_open(g);
	g_str(g, "allowPrivilegeEscalation");
	g_bool(g, 0);
	g_str(g, "capabilities");
	g_open(g);
	if (add_net_raw)
		g_list1(g, "add", "NET_RAW");
	g_list1(g, "drop", "ALL");
	g_close(g);
	g_str(g, "runAsNonRoot");
	g_bool(g, 1);
	g_str(g, "runAsUser");
	g_int(g, 65535);
	g_str(g, "seccompProfile");
	g_open(g);
	g_str(g, "type");
	g_str(g, "RuntimeDefault");
	g_close(g);
	g_close(g);
}

enum kcs_err kcs_probe_body(enum kcs_probe_kind k, const char *ns,
			    const char *name, struct kcs_buf *out,
			    struct kcs_error *err)
{
	struct gen g = { NULL, yajl_gen_status_ok };
	const unsigned char *doc;
	size_t len;
	enum kcs_err rc = KCS_OK;

	if ((unsigned)k >= KCS_PROBE_KINDS)
		return kcs_error_set(err, KCS_ERR_INTERNAL, "no probe kind %d",
				     (int)k);
	g.g = yajl_gen_alloc(&kcs_yajl_alloc_funcs);
	if (!g.g)
		return kcs_error_set(err, KCS_ERR_NOMEM, "out of memory");
	yajl_gen_config(g.g, yajl_gen_validate_utf8, 1);
	g_open(&g);
	g_str(&g, "apiVersion");
	g_str(&g, "v1");
	g_str(&g, "kind");
	g_str(&g, "Pod");
	g_str(&g, "metadata");
	g_open(&g);
	g_str(&g, "name");
	g_str(&g, name);
	g_str(&g, "namespace");
	g_str(&g, ns);
	g_str(&g, "labels");
	g_open(&g);
	g_str(&g, "app.kubernetes.io/name");
	g_str(&g, KCS_PROBE_LABEL);
	g_close(&g);
	/* for whoever reads the audit or webhook logs */
	g_str(&g, "annotations");
	g_open(&g);
	g_str(&g, "kubecapscan.io/probe");
	g_str(&g, "admission probe (kubecapscan --probe-admission): a "
		  "server-side dry run (dryRun=All), never stored");
	g_close(&g);
	g_close(&g);
	g_str(&g, "spec");
	g_open(&g);
	g_str(&g, "containers");
	if (g.st == yajl_gen_status_ok)
		g.st = yajl_gen_array_open(g.g);
	g_open(&g);
	g_str(&g, "name");
	g_str(&g, "probe");
	g_str(&g, "image");
	g_str(&g, KCS_PROBE_IMAGE);
	if (k != KCS_PROBE_DEFAULT)
		g_restricted_sc(&g, k == KCS_PROBE_ADD_NET_RAW);
	g_close(&g);
	if (g.st == yajl_gen_status_ok)
		g.st = yajl_gen_array_close(g.g);
	g_close(&g);
	g_close(&g);
	if (g.st != yajl_gen_status_ok) {
		rc = kcs_error_set(err, g.st == yajl_gen_invalid_string
					    ? KCS_ERR_PARSE : KCS_ERR_INTERNAL,
				   "cannot write the probe pod%s",
				   g.st == yajl_gen_invalid_string
				   ? ": a name is not valid UTF-8" : "");
		goto out;
	}
	yajl_gen_get_buf(g.g, &doc, &len);
	if (kcs_buf_add(out, doc, len))
		rc = kcs_error_set(err, out->err, "probe pod too large");
out:
	yajl_gen_free(g.g);
	return rc;
}

enum kcs_err kcs_probe_path(const char *ns, struct kcs_buf *out,
			    struct kcs_error *err)
{
	CURL *esc = curl_easy_init();
	char *e = NULL;
	enum kcs_err rc = KCS_OK;

	kcs_buf_reset(out);
	if (!esc || !(e = curl_easy_escape(esc, ns, 0))) {
		rc = kcs_error_set(err, KCS_ERR_NOMEM, "out of memory");
		goto out;
	}
	if (kcs_buf_addf(out, "/api/v1/namespaces/%s/pods?dryRun=All", e))
		rc = kcs_error_set(err, out->err, "namespace name too long");
out:
	curl_free(e);
	if (esc)
		curl_easy_cleanup(esc);
	return rc;
}

int kcs_probe_path_is_dry_run(const char *path)
{
	const char *q = strchr(path, '?');
	int all = 0, other = 0;

	if (!q)
		return 0;
	/* a '#' would end the query: never in our paths */
	if (strchr(path, '#'))
		return 0;
	for (q++; *q;) {
		size_t n = strcspn(q, "&");

		if (n == 10 && !memcmp(q, "dryRun=All", 10))
			all++;
		else if (n >= 6 && !memcmp(q, "dryRun", 6))
			other++;
		q += n;
		if (*q == '&')
			q++;
	}
	return all == 1 && !other;
}

int kcs_probe_server_supports_dry_run(const char *v)
{
	unsigned long major = 0, minor = 0;
	int digits = 0;

	if (!v || *v++ != 'v')
		return 1;
	while (*v >= '0' && *v <= '9' && digits < 6) {
		major = major * 10 + (unsigned long)(*v++ - '0');
		digits++;
	}
	if (!digits || *v++ != '.')
		return 1;
	digits = 0;
	while (*v >= '0' && *v <= '9' && digits < 6) {
		minor = minor * 10 + (unsigned long)(*v++ - '0');
		digits++;
	}
	if (!digits)
		return 1;
	return major > 1 || (major == 1 && minor >= 13);
}

/* ---- answers ----------------------------------------------------------- */

/* Whether `hay` contains `needle`. */
static int has(const char *hay, const char *needle)
{
	return hay && strstr(hay, needle) != NULL;
}

void kcs_probe_classify(struct kcs_probe *p, long status, const char *reason,
			const char *message)
{
	p->http_status = status;
	copy_display(p->reason, sizeof(p->reason), reason);
	copy_display(p->message, sizeof(p->message), message);
	if (!p->message[0])
		snprintf(p->message, sizeof(p->message),
			 status ? "HTTP %ld without a Status message"
				: "no answer", status);
	if (status == 403 && has(message, "User \"") &&
	    has(message, " cannot create resource \"pods\""))
		/* RBAC's own wording (authorization's forbidden message) */
		p->outcome = KCS_PROBE_FORBIDDEN;
	else if (status == 400 && has(message, "does not support dry run"))
		/* a webhook with sideEffects Some/Unknown: no answer for us */
		p->outcome = KCS_PROBE_ERROR;
	else if (status == 400 || status == 403 || status == 413 ||
		 status == 422)
		/*
		 * Webhook denials default to 400, Pod Security and Gatekeeper
		 * answer 403, ValidatingAdmissionPolicy 403/422/413, and
		 * field validation 422. Anything else (404 namespace gone, 409,
		 * 401, 5xx, no answer) is not a decision of admission.
		 */
		p->outcome = KCS_PROBE_DENIED;
	else
		p->outcome = KCS_PROBE_ERROR;
}

/* What the reader saw of one returned (or sent) pod document. */
struct returned {
	struct kcs_probe *p;
	size_t pods;       /* pods the document held */
	int name_ok;       /* the first pod is named p->name */
};

static enum kcs_err on_returned_pod(struct kcs_pod *pod, void *user,
				    struct kcs_error *err)
{
	struct returned *ret = user;
	struct kcs_probe *p = ret->p;
	size_t i;

	(void)err;
	if (ret->pods++)
		return KCS_OK;
	ret->name_ok = pod->name.len == strlen(p->name) &&
		       !memcmp(pod->name.s, p->name, pod->name.len);
	p->returned_verdict = pod->verdict;
	p->returned_pod_reason = pod->reason;
	p->returned_containers = pod->n;
	p->has_returned_reason = 0;
	memset(&p->returned_container, 0, sizeof(p->returned_container));
	for (i = 0; i < pod->n; i++) {
		if (pod->containers[i].verdict != pod->verdict)
			continue;
		p->has_returned_reason = 1;
		p->returned_reason = pod->containers[i].reason;
		p->returned_container = pod->containers[i].name;
		break;
	}
	return KCS_OK;
}

static void probe_error(struct kcs_probe *p, long status, const char *fmt,
			...) KCS_PRINTF(3, 4);

static void probe_error(struct kcs_probe *p, long status, const char *fmt,
			...)
{
	char msg[KCS_PROBE_MSG_MAX + 1];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	p->outcome = KCS_PROBE_ERROR;
	p->http_status = status;
	p->reason[0] = '\0';
	copy_display(p->message, sizeof(p->message), msg);
}

/*
 * Judge the document the reader has just been fed (feed_rc/feed_err: how
 * feeding went) as the answer to probe p, with HTTP status `status`.
 */
static enum kcs_err judge_returned(struct kcs_probe *p, long status,
				   struct kcs_reader *rd, struct returned *ret,
				   enum kcs_err feed_rc,
				   const struct kcs_error *feed_err)
{
	struct kcs_error e = KCS_ERROR_INIT;
	const struct kcs_doc_info *in;

	if (!feed_rc)
		feed_rc = kcs_reader_finish(rd, &e);
	else
		e = *feed_err;
	if (feed_rc == KCS_ERR_NOMEM)
		return feed_rc;
	if (feed_rc) {
		probe_error(p, status, "cannot read the returned pod: %s",
			    e.msg);
		return KCS_OK;
	}
	in = kcs_reader_info(rd);
	if (in->resource_version[0]) {
		/* only a stored object has one: dryRun was ignored */
		p->persisted = 1;
		probe_error(p, status,
			    "the server stored probe pod '%s' although the "
			    "request said dryRun=All", p->name);
		return KCS_OK;
	}
	if (in->status.present || in->is_list ||
	    (in->kind[0] && strcmp(in->kind, "Pod")) || ret->pods != 1) {
		probe_error(p, status, "the answer is not the probe pod");
		return KCS_OK;
	}
	if (!ret->name_ok) {
		probe_error(p, status, "the returned pod is not '%s'", p->name);
		return KCS_OK;
	}
	p->outcome = KCS_PROBE_ADMITTED;
	p->http_status = status;
	p->reason[0] = p->message[0] = '\0';
	p->mutated = p->returned_verdict != p->sent_verdict;
	return KCS_OK;
}

/* Ready `rd` for one document whose pod goes to `ret`. */
static enum kcs_err returned_begin(struct kcs_reader **rd,
				   struct returned *ret, struct kcs_probe *p,
				   struct kcs_error *err)
{
	struct kcs_reader_cbs cbs = { .on_pod = on_returned_pod, .user = ret };

	memset(ret, 0, sizeof(*ret));
	ret->p = p;
	kcs_reader_free(*rd);
	*rd = kcs_reader_new(&cbs, KCS_HINT_PODS);
	if (!*rd)
		return kcs_error_set(err, KCS_ERR_NOMEM, "out of memory");
	return KCS_OK;
}

enum kcs_err kcs_probe_read_returned(struct kcs_probe *p, long status,
				     const void *body, size_t len,
				     struct kcs_error *err)
{
	struct kcs_reader *rd = NULL;
	struct returned ret;
	struct kcs_error e = KCS_ERROR_INIT;
	enum kcs_err rc;

	if ((rc = returned_begin(&rd, &ret, p, err)))
		return rc;
	rc = kcs_reader_feed(rd, body, len, &e);
	rc = judge_returned(p, status, rd, &ret, rc, &e);
	if (rc)
		kcs_error_set(err, rc, "out of memory");
	kcs_reader_free(rd);
	return rc;
}

/* ---- the decision -------------------------------------------------------- */

static const struct kcs_probe *
admitted_failing(const struct kcs_probe_result *r, enum kcs_probe_kind k)
{
	const struct kcs_probe *p = &r->probes[k];

	return p->outcome == KCS_PROBE_ADMITTED &&
	       p->returned_verdict == KCS_VERDICT_FAIL ? p : NULL;
}

static void decided(struct kcs_probe_result *r, enum kcs_verdict v,
		    enum kcs_admission_reason why, const struct kcs_probe *p)
{
	char msg[KCS_PROBE_MSG_MAX + 64];

	r->verdict = v;
	r->reason = why;
	if (!p) {
		copy_display(r->message, sizeof(r->message),
			     kcs_probe_reason_text(why));
		return;
	}
	if (p->outcome == KCS_PROBE_ADMITTED)
		snprintf(msg, sizeof(msg),
			 "%s: probe '%s' was admitted and its returned pod "
			 "is %s (%s%s%s%s)", kcs_probe_reason_text(why),
			 kcs_probe_kind_name(p->kind),
			 kcs_verdict_name(p->returned_verdict),
			 p->has_returned_reason
			 ? kcs_reason_name(p->returned_reason)
			 : p->returned_pod_reason
			 ? kcs_pod_reason_name(p->returned_pod_reason) : "-",
			 p->has_returned_reason ? ", container '" : "",
			 p->has_returned_reason ? p->returned_container.s : "",
			 p->has_returned_reason ? "'" : "");
	else
		snprintf(msg, sizeof(msg), "%s: probe '%s': %s",
			 kcs_probe_reason_text(why),
			 kcs_probe_kind_name(p->kind), p->message);
	copy_display(r->message, sizeof(r->message), msg);
}

void kcs_probe_decide(struct kcs_probe_result *r)
{
	static const struct {
		enum kcs_probe_kind kind;
		enum kcs_admission_reason why;
	} fails[] = {
		{ KCS_PROBE_DEFAULT, KCS_ADMISSION_ADMITS_DEFAULT_NET_RAW },
		{ KCS_PROBE_ADD_NET_RAW, KCS_ADMISSION_ADMITS_ADDED_NET_RAW },
		{ KCS_PROBE_CONTROL, KCS_ADMISSION_INJECTS_NET_RAW },
	};
	const struct kcs_probe *p;
	size_t i;

	/* 1. observed admission of a pod with NET_RAW */
	for (i = 0; i < KCS_ARRAY_SIZE(fails); i++)
		if ((p = admitted_failing(r, fails[i].kind))) {
			decided(r, KCS_VERDICT_FAIL, fails[i].why, p);
			return;
		}
	/* 2., 3. a probe without a decision of admission */
	if (r->ssar_allowed == 0) {
		decided(r, KCS_VERDICT_UNKNOWN, KCS_ADMISSION_PERMISSION_DENIED,
			NULL);
		return;
	}
	for (i = 0; i < KCS_PROBE_KINDS; i++)
		if (r->probes[i].outcome == KCS_PROBE_FORBIDDEN) {
			decided(r, KCS_VERDICT_UNKNOWN,
				KCS_ADMISSION_PERMISSION_DENIED, &r->probes[i]);
			return;
		}
	for (i = 0; i < KCS_PROBE_KINDS; i++) {
		p = &r->probes[i];
		if (p->outcome == KCS_PROBE_ERROR) {
			decided(r, KCS_VERDICT_UNKNOWN,
				KCS_ADMISSION_PROBE_FAILED, p);
			return;
		}
		if (p->outcome == KCS_PROBE_NOT_SENT) {
			r->verdict = KCS_VERDICT_UNKNOWN;
			r->reason = KCS_ADMISSION_PROBE_FAILED;
			snprintf(r->message, sizeof(r->message),
				 "%s: probe '%s' was not sent",
				 kcs_probe_reason_text(r->reason),
				 kcs_probe_kind_name(p->kind));
			return;
		}
	}
	/* 4. admission denies even a compliant pod */
	p = &r->probes[KCS_PROBE_CONTROL];
	if (p->outcome != KCS_PROBE_ADMITTED) {
		decided(r, KCS_VERDICT_UNKNOWN, KCS_ADMISSION_INCONCLUSIVE, p);
		return;
	}
	/* 5. a returned pod the rules could not call PASS or FAIL */
	for (i = 0; i < KCS_PROBE_KINDS; i++) {
		p = &r->probes[i];
		if (p->outcome == KCS_PROBE_ADMITTED &&
		    p->returned_verdict != KCS_VERDICT_PASS) {
			decided(r, KCS_VERDICT_UNKNOWN,
				KCS_ADMISSION_INCONCLUSIVE, p);
			return;
		}
	}
	/* 6. NET_RAW kept out: denied, or admitted only without it */
	decided(r, KCS_VERDICT_PASS, KCS_ADMISSION_DENIES_NET_RAW, NULL);
}

/* ---- SelfSubjectAccessReview ------------------------------------------- */

/*
 * May we create pods in `ns`? *allowed: 1, 0, or -1 when the API gave no
 * usable answer (a hardened cluster may deny SSARs; the probes then show
 * an RBAC denial as a 403). Returns an error only when the cluster cannot
 * be talked to (transport, credentials) or on NOMEM; *e then says why.
 */
static enum kcs_err may_create_pods(struct kcs_http *h, const char *ns,
				    int *allowed, char *why, size_t why_size,
				    struct kcs_error *e)
{
	return kcs_live_may_i(h, "create", "pods", ns, NULL, allowed, why,
			      why_size, e);
}

/* ---- the live probe -------------------------------------------------- */

struct stream {
	struct kcs_reader *rd;
};

static enum kcs_err feed(const void *data, size_t len, void *user,
			 struct kcs_error *err)
{
	return kcs_reader_feed(((struct stream *)user)->rd, data, len, err);
}

/* The rules' reading of the pod we send: it tests our own bodies. */
static enum kcs_err read_sent(struct kcs_probe *p, const struct kcs_buf *body,
			      struct kcs_error *err)
{
	struct kcs_probe tmp = *p;
	enum kcs_err rc;

	tmp.sent_verdict = KCS_VERDICT_UNKNOWN;
	rc = kcs_probe_read_returned(&tmp, 0, body->buf, body->len, err);
	if (rc)
		return rc;
	if (tmp.outcome != KCS_PROBE_ADMITTED)
		return kcs_error_set(err, KCS_ERR_INTERNAL,
				     "cannot read our own probe pod '%s': %s",
				     p->name, tmp.message);
	p->sent_verdict = tmp.returned_verdict;
	return KCS_OK;
}

/* Send one probe and record its answer in p. */
static enum kcs_err send_probe(struct kcs_http *h, const char *ns,
			       const char *path, struct kcs_probe *p,
			       struct kcs_reader **rd, struct kcs_error *err)
{
	struct kcs_buf body = KCS_BUF_INIT(PROBE_BODY_MAX);
	unsigned char rnd[KCS_PROBE_RANDOM_BYTES];
	struct kcs_http_request req = { 0 };
	struct kcs_http_response resp;
	struct kcs_error he = KCS_ERROR_INIT;
	struct returned ret;
	struct stream s;
	enum kcs_err rc;

	if (RAND_bytes(rnd, sizeof(rnd)) != 1)
		return kcs_error_set(err, KCS_ERR_INTERNAL,
				     "no random bytes for a probe name");
	if ((rc = kcs_probe_make_name(p->kind, rnd, sizeof(rnd), p->name,
				      err)) ||
	    (rc = kcs_probe_body(p->kind, ns, p->name, &body, err)) ||
	    (rc = read_sent(p, &body, err)) ||
	    (rc = returned_begin(rd, &ret, p, err)))
		goto out;
	/* the one place a POST to pods is made: never without dryRun=All */
	if (!kcs_probe_path_is_dry_run(path)) {
		rc = kcs_error_set(err, KCS_ERR_INTERNAL,
				   "refusing to send probe pod '%s' without "
				   "dryRun=All", p->name);
		goto out;
	}
	s.rd = *rd;
	req.method = "POST";
	req.path = path;
	req.body = body.buf;
	req.body_len = body.len;
	req.on_body = feed;
	req.user = &s;
	rc = kcs_http_do(h, &req, &resp, &he);
	if (rc == KCS_ERR_NOMEM) {
		*err = he;
		goto out;
	}
	if (resp.status >= 200 && resp.status <= 299 &&
	    (rc == KCS_OK || resp.bytes))
		/* the body (or part of it) went to the reader */
		rc = judge_returned(p, resp.status, *rd, &ret, rc, &he);
	else if (rc == KCS_ERR_API) {
		kcs_probe_classify(p, resp.status, resp.status_reason,
				   resp.status_message);
		rc = KCS_OK;
	} else {
		kcs_probe_classify(p, resp.status, NULL, he.msg);
		if (p->outcome != KCS_PROBE_ERROR)
			p->outcome = KCS_PROBE_ERROR;
		rc = KCS_OK;
	}
	if (rc == KCS_ERR_NOMEM)
		kcs_error_set(err, rc, "out of memory");
out:
	kcs_buf_release(&body);
	return rc;
}

/* Whether probing this namespace further is pointless after p. */
static int stop_after(const struct kcs_probe *p)
{
	if (p->persisted || p->outcome == KCS_PROBE_FORBIDDEN)
		return 1;
	/* no answer, credentials, no such namespace, or a server/webhook
	 * failure that the client already retried */
	return p->outcome == KCS_PROBE_ERROR &&
	       (p->http_status == 0 || p->http_status == 401 ||
		p->http_status == 404 || p->http_status >= 500);
}

enum kcs_err kcs_probe_namespace(struct kcs_http *h, const char *ns,
				 struct kcs_probe_result *out,
				 struct kcs_error *err)
{
	struct kcs_buf path = KCS_BUF_INIT(4096);
	struct kcs_reader *rd = NULL;
	struct kcs_error e = KCS_ERROR_INIT;
	char why[256];
	size_t i;
	enum kcs_err rc;

	kcs_probe_result_init(out);
	if (!ns || !*ns)
		return kcs_error_set(err, KCS_ERR_INTERNAL,
				     "admission probe without a namespace");
	rc = may_create_pods(h, ns, &out->ssar_allowed, why, sizeof(why), &e);
	if (rc == KCS_ERR_NOMEM) {
		*err = e;
		goto out;
	}
	if (rc) {
		/* the cluster could not be asked: a result, not an error */
		out->verdict = KCS_VERDICT_UNKNOWN;
		out->reason = KCS_ADMISSION_PROBE_FAILED;
		copy_display(out->message, sizeof(out->message), e.msg);
		rc = KCS_OK;
		goto out;
	}
	if (out->ssar_allowed == 0) {
		char msg[KCS_PROBE_MSG_MAX + 1];

		snprintf(msg, sizeof(msg),
			 "not allowed to create pods in namespace '%s' (RBAC "
			 "needs verb 'create' on resource 'pods' there; see "
			 "packaging/kubernetes/optional/rbac-probe.yaml)%s%s",
			 ns, why[0] ? ": " : "", why);
		out->verdict = KCS_VERDICT_UNKNOWN;
		out->reason = KCS_ADMISSION_PERMISSION_DENIED;
		copy_display(out->message, sizeof(out->message), msg);
		goto out;
	}
	if ((rc = kcs_probe_path(ns, &path, err)))
		goto out;
	for (i = 0; i < KCS_PROBE_KINDS; i++) {
		struct kcs_probe *p = &out->probes[i];

		if ((rc = send_probe(h, ns, path.buf, p, &rd, err)))
			goto out;
		if (p->persisted) {
			kcs_probe_decide(out);
			rc = kcs_error_set(err, KCS_ERR_API,
				"'%s' stored admission probe pod '%s' in "
				"namespace '%s' although the request said "
				"dryRun=All; delete it (kubectl -n '%s' delete "
				"pod '%s') and do not probe this server",
				kcs_http_server(h), p->name, ns, ns, p->name);
			goto out;
		}
		if (stop_after(p))
			break;
	}
	kcs_probe_decide(out);
out:
	kcs_reader_free(rd);
	kcs_buf_release(&path);
	return rc;
}
