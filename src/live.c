/*
 * live.c - the live cluster scan (see live.h).
 */
#include <stdio.h>
#include <string.h>
#include <curl/curl.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_parse.h>

#include "kcs/alloc.h"
#include "kcs/buf.h"
#include "kcs/live.h"
#include "kcs/owners.h"
#include "kcs/probe.h"
#include "kcs/runtime.h"
#include "kcs/banned.h"

/* Copy a C string, cutting it to fit (display and identity fields). */
static void copy_str(char *dst, size_t size, const char *src)
{
	size_t n = strlen(src);

	if (n >= size)
		n = size - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* ---- small documents: /version, SSAR answers, one namespace's uid ---- */

/*
 * Grab the scalar at a fixed key path (e.g. {"status", "allowed"}) from a
 * small JSON document, with yajl callbacks. Paths are at most 3 keys deep.
 */
#define GRAB_MAX_DEPTH 3
struct grab {
	const char *path[GRAB_MAX_DEPTH]; /* keys from the top, NULL-ended */
	size_t path_len;
	size_t depth;        /* current map depth */
	size_t matched;      /* how many leading path keys the open maps match */
	int at_target;       /* the next value is the wanted one */
	int found;
	int boolean;         /* the value, if boolean */
	char str[256];       /* the value, if a string */
};

static int g_start_map(void *ctx)
{
	struct grab *g = ctx;

	if (g->at_target || g->matched != g->depth)
		g->at_target = 0;
	g->depth++;
	return 1;
}

static int g_end_map(void *ctx)
{
	struct grab *g = ctx;

	g->depth--;
	if (g->matched > g->depth)
		g->matched = g->depth;
	g->at_target = 0;
	return 1;
}

static int g_key(void *ctx, const unsigned char *k, size_t len)
{
	struct grab *g = ctx;
	const char *want;

	g->at_target = 0;
	if (g->matched + 1 < g->depth || g->depth > g->path_len)
		return 1;
	if (g->matched > g->depth - 1)
		g->matched = g->depth - 1;
	want = g->path[g->depth - 1];
	if (strlen(want) == len && !memcmp(want, k, len)) {
		if (g->depth == g->path_len)
			g->at_target = 1;
		else
			g->matched = g->depth;
	}
	return 1;
}

static int g_string(void *ctx, const unsigned char *s, size_t len)
{
	struct grab *g = ctx;

	if (g->at_target) {
		if (len >= sizeof(g->str))
			len = sizeof(g->str) - 1;
		memcpy(g->str, s, len);
		g->str[len] = '\0';
		g->found = 1;
	}
	g->at_target = 0;
	return 1;
}

static int g_bool(void *ctx, int b)
{
	struct grab *g = ctx;

	if (g->at_target) {
		g->boolean = b;
		g->found = 1;
	}
	g->at_target = 0;
	return 1;
}

static int g_other(void *ctx)
{
	((struct grab *)ctx)->at_target = 0;
	return 1;
}

static int g_number(void *ctx, const char *s, size_t l)
{
	(void)s;
	(void)l;
	return g_other(ctx);
}

static const yajl_callbacks grab_cbs = {
	.yajl_null = g_other,
	.yajl_boolean = g_bool,
	.yajl_number = g_number,
	.yajl_string = g_string,
	.yajl_start_map = g_start_map,
	.yajl_map_key = g_key,
	.yajl_end_map = g_end_map,
	.yajl_start_array = g_other,
	.yajl_end_array = g_other,
};

/* Body sink that collects a small document (bounded) for grabbing. */
static enum kcs_err collect(const void *data, size_t len, void *user,
			    struct kcs_error *err)
{
	struct kcs_buf *b = user;

	if (kcs_buf_add(b, data, len))
		return kcs_error_set(err, b->err,
				     "API answer larger than %zu bytes", b->max);
	return KCS_OK;
}

static int grab_run(struct grab *g, const struct kcs_buf *b)
{
	yajl_handle y = yajl_alloc(&grab_cbs, &kcs_yajl_alloc_funcs, g);
	int ok;

	if (!y)
		return 0;
	ok = yajl_parse(y, (const unsigned char *)b->buf, b->len) == yajl_status_ok &&
	     yajl_complete_parse(y) == yajl_status_ok;
	yajl_free(y);
	return ok && g->found;
}

/* GET a small JSON document and grab one value from it. */
static enum kcs_err get_small(struct kcs_http *h, const char *path,
			      const char *accept, struct grab *g,
			      struct kcs_http_response *resp,
			      struct kcs_error *err)
{
	struct kcs_buf b = KCS_BUF_INIT(1024 * 1024);
	struct kcs_http_request req = {
		.method = "GET", .path = path, .accept = accept,
		.on_body = collect, .user = &b,
	};
	enum kcs_err rc = kcs_http_do(h, &req, resp, err);

	if (!rc)
		grab_run(g, &b);
	kcs_buf_release(&b);
	return rc;
}

/* ---- SelfSubjectAccessReview ------------------------------------------ */

static void gstr(yajl_gen g, const char *s)
{
	yajl_gen_string(g, (const unsigned char *)s, strlen(s));
}

/*
 * Ask whether we may `verb` `resource` (in `ns`, NULL: cluster scope).
 * Sets *allowed to 1/0, or -1 when the API cannot answer (an old server, a
 * proxy): the scan then goes on and a denial shows up as a 403 instead.
 */
enum kcs_err kcs_live_may_i(struct kcs_http *h, const char *verb,
			    const char *resource, const char *ns,
			    const char *name, int *allowed, char *why,
			    size_t why_size, struct kcs_error *err)
{
	yajl_gen g = yajl_gen_alloc(&kcs_yajl_alloc_funcs);
	struct kcs_buf body = KCS_BUF_INIT(1024 * 1024);
	struct grab allowed_g = { .path = { "status", "allowed" }, .path_len = 2 };
	struct grab reason_g = { .path = { "status", "reason" }, .path_len = 2 };
	struct kcs_http_request req = { 0 };
	struct kcs_http_response resp;
	struct kcs_error e = KCS_ERROR_INIT;
	const unsigned char *doc;
	size_t doc_len;
	enum kcs_err rc = KCS_OK;

	*allowed = -1;
	why[0] = '\0';
	if (!g)
		return kcs_error_set(err, KCS_ERR_NOMEM, "out of memory");
	yajl_gen_map_open(g);
	gstr(g, "kind");
	gstr(g, "SelfSubjectAccessReview");
	gstr(g, "apiVersion");
	gstr(g, "authorization.k8s.io/v1");
	gstr(g, "spec");
	yajl_gen_map_open(g);
	gstr(g, "resourceAttributes");
	yajl_gen_map_open(g);
	gstr(g, "verb");
	gstr(g, verb);
	gstr(g, "resource");
	gstr(g, resource);
	if (ns) {
		gstr(g, "namespace");
		gstr(g, ns);
	}
	if (name) {
		gstr(g, "name");
		gstr(g, name);
	}
	yajl_gen_map_close(g);
	yajl_gen_map_close(g);
	yajl_gen_map_close(g);
	yajl_gen_get_buf(g, &doc, &doc_len);

	req.method = "POST";
	req.path = "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews";
	req.body = (const char *)doc;
	req.body_len = doc_len;
	req.on_body = collect;
	req.user = &body;
	rc = kcs_http_do(h, &req, &resp, &e);
	if (rc == KCS_ERR_AUTH || rc == KCS_ERR_HTTP || rc == KCS_ERR_NOMEM ||
	    rc == KCS_ERR_LIMIT) {
		/* Not an answer about RBAC: the cluster cannot be talked to. */
		*err = e;
		goto out;
	}
	rc = KCS_OK;
	if (e.code == KCS_OK && grab_run(&allowed_g, &body)) {
		*allowed = allowed_g.boolean;
		if (grab_run(&reason_g, &body))
			snprintf(why, why_size, "%s", reason_g.str);
	}
out:
	kcs_buf_release(&body);
	yajl_gen_free(g);
	return rc;
}

/*
 * Explain a 403 on a listing: which verb, resource and scope RBAC lacks.
 * Asked only after a denial, so a scan that is allowed costs the API
 * server no SelfSubjectAccessReviews. Returns KCS_ERR_AUTH with the
 * explanation, or KCS_OK when the reviews do not say (then the 403's own
 * Status message stands).
 */
static enum kcs_err preflight(struct kcs_http *h, const char *ns,
			      struct kcs_error *err)
{
	char why[256];
	int allowed;
	enum kcs_err rc;

	/* list pods, in the namespace or cluster-wide */
	rc = kcs_live_may_i(h, "list", "pods", ns, NULL, &allowed, why, sizeof(why), err);
	if (rc)
		return rc;
	if (allowed == 0 && ns)
		return kcs_error_set(err, KCS_ERR_AUTH,
				     "not allowed to list pods in namespace '%s' "
				     "(RBAC needs verb 'list' on resource 'pods' in "
				     "namespace '%s')%s%s", ns, ns,
				     why[0] ? ": " : "", why);
	if (allowed == 0)
		return kcs_error_set(err, KCS_ERR_AUTH,
				     "not allowed to list pods at the cluster scope "
				     "(RBAC needs verb 'list' on resource 'pods' "
				     "cluster-wide)%s%s", why[0] ? ": " : "", why);

	/*
	 * The namespace's labels: one namespace is a GET by name, which the
	 * API authorises "in" that namespace; all of them are a cluster list.
	 */
	rc = kcs_live_may_i(h, ns ? "get" : "list", "namespaces", ns, ns, &allowed, why,
		   sizeof(why), err);
	if (rc)
		return rc;
	if (allowed == 0 && ns)
		return kcs_error_set(err, KCS_ERR_AUTH,
				     "not allowed to get namespace '%s' (RBAC needs "
				     "verb 'get' on resource 'namespaces', name '%s')%s%s",
				     ns, ns, why[0] ? ": " : "", why);
	if (allowed == 0)
		return kcs_error_set(err, KCS_ERR_AUTH,
				     "not allowed to list namespaces at the cluster "
				     "scope (RBAC needs verb 'list' on resource "
				     "'namespaces' cluster-wide)%s%s",
				     why[0] ? ": " : "", why);
	return KCS_OK;
}

/*
 * After a listing failed with `rc`: if it was a 403, ask RBAC why and put
 * the answer in `err` in place of the bare Status message.
 */
static enum kcs_err explain_denial(struct kcs_http *h, const char *ns,
				   enum kcs_err rc, struct kcs_error *err)
{
	struct kcs_error why = KCS_ERROR_INIT;

	if (rc != KCS_ERR_API || !err || err->http_status != 403)
		return rc;
	if (preflight(h, ns, &why) != KCS_ERR_AUTH)
		return rc;
	why.http_status = 403;
	*err = why;
	kcs_error_source(err, kcs_http_server(h));
	return KCS_ERR_AUTH;
}

/* ---- paged listings ------------------------------------------------- */

/* Accept header asking for metadata only, as client-go's metadata client. */
#define KCS_ACCEPT_METADATA \
	"application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json"
#define KCS_ACCEPT_METADATA_ONE \
	"application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json"

/*
 * Where a listing's pages go: the pod and namespace reader, or the owner
 * and runtime table readers, which share its shape.
 */
struct page_sink {
	void *r;
	enum kcs_err (*restart)(void *r, struct kcs_error *err);
	enum kcs_err (*feed)(void *r, const void *data, size_t len,
			     struct kcs_error *err);
	enum kcs_err (*finish)(void *r, struct kcs_error *err);
	const struct kcs_doc_info *(*info)(const void *r);
};

#define SINK_WRAP(prefix, type)                                              \
	static enum kcs_err prefix##_restart(void *r, struct kcs_error *err)  \
	{                                                                     \
		return prefix##_restart_((type *)r, err);                     \
	}                                                                     \
	static enum kcs_err prefix##_feed(void *r, const void *d, size_t n,   \
					  struct kcs_error *err)              \
	{                                                                     \
		return prefix##_feed_((type *)r, d, n, err);                  \
	}                                                                     \
	static enum kcs_err prefix##_finish(void *r, struct kcs_error *err)   \
	{                                                                     \
		return prefix##_finish_((type *)r, err);                      \
	}                                                                     \
	static const struct kcs_doc_info *prefix##_info(const void *r)        \
	{                                                                     \
		return prefix##_info_((const type *)r);                       \
	}

#define reader_restart_ kcs_reader_restart
#define reader_feed_ kcs_reader_feed
#define reader_finish_ kcs_reader_finish
#define reader_info_ kcs_reader_info
SINK_WRAP(reader, struct kcs_reader)
#define own_restart_ kcs_ownreader_restart
#define own_feed_ kcs_ownreader_feed
#define own_finish_ kcs_ownreader_finish
#define own_info_ kcs_ownreader_info
SINK_WRAP(own, struct kcs_ownreader)
#define rt_restart_ kcs_rtreader_restart
#define rt_feed_ kcs_rtreader_feed
#define rt_finish_ kcs_rtreader_finish
#define rt_info_ kcs_rtreader_info
SINK_WRAP(rt, struct kcs_rtreader)

#define SINK(prefix, ptr) \
	{ (ptr), prefix##_restart, prefix##_feed, prefix##_finish, prefix##_info }

/* Build "/base?limit=N&continue=T" into b. */
static enum kcs_err page_path(struct kcs_buf *b, CURL *esc, const char *base,
			      unsigned long limit, const char *cont,
			      struct kcs_error *err)
{
	char sep = strchr(base, '?') ? '&' : '?';

	kcs_buf_reset(b);
	kcs_buf_addstr(b, base);
	if (limit) {
		kcs_buf_addf(b, "%climit=%lu", sep, limit);
		sep = '&';
	}
	if (cont && *cont) {
		char *e = curl_easy_escape(esc, cont, 0);

		if (!e)
			return kcs_error_set(err, KCS_ERR_NOMEM, "out of memory");
		kcs_buf_addf(b, "%ccontinue=%s", sep, e);
		curl_free(e);
	}
	if (b->err)
		return kcs_error_set(err, b->err, "request path too long");
	return KCS_OK;
}

/*
 * What a listing's kcs_http_do() feeds: the sink, and what it takes to
 * send the next page ahead (see feed_page).
 */
struct page_feed {
	struct page_sink *sink;
	struct kcs_http *h;
	CURL *esc;
	const char *base;
	const char *accept;
	unsigned long limit;
	struct kcs_buf ahead; /* path of the next page, once known */
	int asked;            /* the next page was sent ahead */
};

/*
 * Feed the sink. The API server writes metadata.continue before items, so
 * the next page is known while this one is still arriving: send it ahead,
 * so that the server renders it while this one is parsed. It is the path
 * list_all() builds next, and kcs_http_do() adopts it there.
 */
static enum kcs_err feed_page(const void *data, size_t len, void *user,
			      struct kcs_error *err)
{
	struct page_feed *f = user;
	const struct kcs_doc_info *in;
	struct kcs_error e = KCS_ERROR_INIT;
	struct kcs_http_request next = { .method = "GET" };
	enum kcs_err rc = f->sink->feed(f->sink->r, data, len, err);

	if (rc || f->asked)
		return rc;
	in = f->sink->info(f->sink->r);
	if (!in->continue_token.len)
		return KCS_OK;
	f->asked = 1;
	/* Only a shortcut: on any failure the page is asked for when due. */
	if (!page_path(&f->ahead, f->esc, f->base, f->limit,
		       in->continue_token.buf, &e)) {
		next.path = f->ahead.buf;
		next.accept = f->accept;
		if (kcs_http_prefetch(f->h, &next, &e))
			kcs_error_clear(&e);
	}
	return KCS_OK;
}

/* The list kinds we accept for each listing. */
static int kind_ok(const char *kind, const char *a, const char *b)
{
	return !strcmp(kind, a) || (b && !strcmp(kind, b));
}

/*
 * List `base` page by page into `reader`. A 410 on a continue token starts
 * the listing again once from a new snapshot (for the pod listing,
 * `spooled`, the scan's listing transaction is rolled back first;
 * namespaces are simply read again, which is idempotent); a second 410 goes
 * on with the server's new token and marks the snapshot inconsistent.
 */
static enum kcs_err list_all(struct kcs_http *h, struct kcs_scan *scan,
			     struct page_sink *sink, const char *base,
			     const char *accept, const char *kind_a,
			     const char *kind_b, unsigned long limit,
			     int spooled, struct kcs_live_result *res,
			     struct kcs_error *err)
{
	struct kcs_buf path = KCS_BUF_INIT(16 * 1024);
	struct kcs_buf cont = KCS_BUF_INIT(KCS_CONTINUE_MAX);
	struct page_feed feed = {
		.sink = sink, .h = h, .base = base, .accept = accept,
		.limit = limit, .ahead = KCS_BUF_INIT(16 * 1024),
	};
	struct kcs_http_request req = {
		.method = "GET", .accept = accept, .on_body = feed_page,
		.user = &feed,
	};
	struct kcs_http_response resp;
	const struct kcs_doc_info *in;
	CURL *esc = curl_easy_init();
	unsigned long page = 0;
	int first = 1, restarted = 0;
	enum kcs_err rc = KCS_OK;

	if (!esc)
		return kcs_error_set(err, KCS_ERR_NOMEM, "out of memory");
	feed.esc = esc;
	for (;;) {
		if (++page > KCS_LIVE_MAX_PAGES) {
			rc = kcs_error_set(err, KCS_ERR_LIMIT,
					   "listing '%s' exceeded %d pages", base,
					   KCS_LIVE_MAX_PAGES);
			break;
		}
		if ((rc = page_path(&path, esc, base, limit, cont.buf, err)) ||
		    (rc = sink->restart(sink->r, err)))
			break;
		req.path = path.buf;
		feed.asked = 0;
		rc = kcs_http_do(h, &req, &resp, err);
		if (rc == KCS_ERR_API && resp.status == 410 && cont.len) {
			kcs_error_clear(err);
			if (!restarted) {
				/* Start again from a new, consistent snapshot. */
				restarted = 1;
				res->restarts++;
				if (spooled &&
				    (rc = kcs_scan_listing_rollback(scan, err)))
					break;
				kcs_buf_reset(&cont);
				first = 1;
				page = 0;
				continue;
			}
			/* Expired again: finish with the server's token. */
			res->snapshot_consistent = 0;
			kcs_buf_reset(&cont);
			if (kcs_buf_addstr(&cont, resp.status_continue)) {
				rc = kcs_error_set(err, KCS_ERR_LIMIT,
						   "continue token too long");
				break;
			}
			if (!cont.len) {
				rc = kcs_error_set(err, KCS_ERR_API,
						   "'%s' expired the listing twice and "
						   "offered no continue token", base);
				break;
			}
			continue;
		}
		if (rc) {
			if (err && (err->code == KCS_ERR_PARSE ||
				    err->code == KCS_ERR_LIMIT)) {
				size_t used = strlen(err->msg);

				snprintf(err->msg + used, sizeof(err->msg) - used,
					 " (page %lu of '%s%s')", page,
					 kcs_http_server(h), base);
			}
			break;
		}
		if ((rc = sink->finish(sink->r, err))) {
			size_t used = strlen(err ? err->msg : "");

			if (err)
				snprintf(err->msg + used, sizeof(err->msg) - used,
					 " (page %lu of '%s%s')", page,
					 kcs_http_server(h), base);
			break;
		}
		in = sink->info(sink->r);
		if (!kind_ok(in->kind, kind_a, kind_b)) {
			rc = kcs_error_set(err, KCS_ERR_API,
					   "'%s%s' answered a '%s' where a %s was expected",
					   kcs_http_server(h), base,
					   in->kind[0] ? in->kind : "document without kind",
					   kind_a);
			break;
		}
		if (first && spooled)
			copy_str(res->resource_version,
				 sizeof(res->resource_version),
				 in->resource_version);
		first = 0;
		if (spooled)
			res->pages++;
		kcs_buf_reset(&cont);
		if (!in->continue_token.len)
			break;
		if (kcs_buf_add(&cont, in->continue_token.buf,
				in->continue_token.len)) {
			rc = kcs_error_set(err, KCS_ERR_LIMIT, "continue token too long");
			break;
		}
	}
	if (rc && err)
		kcs_error_source(err, kcs_http_server(h));
	curl_easy_cleanup(esc);
	kcs_buf_release(&path);
	kcs_buf_release(&cont);
	kcs_buf_release(&feed.ahead);
	return rc;
}

/* ---- what pods are judged with: owners, nodes, runtimes ---------------- */

/*
 * List one extra resource into a table. A 403 or any other failure is not
 * the scan's failure (no verdict depends on these lists): it becomes a
 * warning, and *ok says whether the table is complete.
 */
static enum kcs_err list_extra(struct kcs_http *h, struct kcs_scan *scan,
			       struct page_sink *sink, const char *base,
			       const char *accept, const char *kind,
			       const char *what, unsigned long limit, int *ok,
			       struct kcs_live_result *res,
			       struct kcs_error *err)
{
	struct kcs_error e = KCS_ERROR_INIT;
	char list_kind[KCS_KIND_NAME_MAX + 8];
	enum kcs_err rc;

	snprintf(list_kind, sizeof(list_kind), "%sList", kind);
	rc = list_all(h, scan, sink, base, accept, list_kind,
		      "PartialObjectMetadataList", limit, 0, res, &e);
	*ok = rc == KCS_OK;
	if (rc == KCS_ERR_NOMEM) {
		*err = e;
		return rc;
	}
	if (rc && kcs_scan_add_warning(scan, "cannot list %s (%s): %s",
				       what, base, e.msg))
		return kcs_error_set(err, KCS_ERR_NOMEM, "out of memory");
	return KCS_OK;
}

/* Owners of pods (workloads) and, with --runtime-aware, nodes and classes. */
static enum kcs_err read_context(struct kcs_http *h, struct kcs_scan *scan,
				 const struct kcs_live_settings *ls,
				 struct kcs_live_result *res,
				 struct kcs_error *err)
{
	static const struct {
		const char *kind, *group_version, *resource;
	} owners[] = {
		{ "ReplicaSet", "apps/v1", "replicasets" },
		{ "Job", "batch/v1", "jobs" },
	};
	struct kcs_buf path = KCS_BUF_INIT(4096);
	CURL *esc = NULL;
	char *ns_esc = NULL;
	enum kcs_err rc = KCS_OK;
	size_t i;
	int ok;

	if (ls->namespace) {
		if (!(esc = curl_easy_init()) ||
		    !(ns_esc = curl_easy_escape(esc, ls->namespace, 0))) {
			rc = kcs_error_set(err, KCS_ERR_NOMEM, "out of memory");
			goto out;
		}
	}
	for (i = 0; ls->owners && i < KCS_ARRAY_SIZE(owners); i++) {
		struct kcs_ownreader *r = kcs_ownreader_new(ls->owners,
							    owners[i].kind);
		struct page_sink sink = SINK(own, r);

		if (!r) {
			rc = kcs_error_set(err, KCS_ERR_NOMEM, "out of memory");
			goto out;
		}
		kcs_buf_reset(&path);
		if (ns_esc)
			kcs_buf_addf(&path, "/apis/%s/namespaces/%s/%s",
				     owners[i].group_version, ns_esc,
				     owners[i].resource);
		else
			kcs_buf_addf(&path, "/apis/%s/%s",
				     owners[i].group_version, owners[i].resource);
		rc = list_extra(h, scan, &sink, path.buf, KCS_ACCEPT_METADATA,
				owners[i].kind, owners[i].resource,
				ls->chunk_size, &ok, res, err);
		kcs_ownreader_free(r);
		if (rc)
			goto out;
		if (ok && (rc = kcs_owners_mark_listed(ls->owners,
						       owners[i].kind, err)))
			goto out;
	}
	if (ls->nodes) {
		struct kcs_rtreader *r = kcs_rtreader_new_nodes(ls->nodes);
		struct page_sink sink = SINK(rt, r);

		if (!r) {
			rc = kcs_error_set(err, KCS_ERR_NOMEM, "out of memory");
			goto out;
		}
		rc = list_extra(h, scan, &sink, "/api/v1/nodes",
				"application/json", "Node", "nodes",
				ls->chunk_size, &ok, res, err);
		kcs_rtreader_free(r);
		if (rc)
			goto out;
		res->nodes_read = ok;
	}
	if (ls->rtclasses) {
		struct kcs_rtreader *r = kcs_rtreader_new_classes(ls->rtclasses);
		struct page_sink sink = SINK(rt, r);

		if (!r) {
			rc = kcs_error_set(err, KCS_ERR_NOMEM, "out of memory");
			goto out;
		}
		rc = list_extra(h, scan, &sink,
				"/apis/node.k8s.io/v1/runtimeclasses",
				"application/json", "RuntimeClass",
				"runtimeclasses", ls->chunk_size, &ok, res, err);
		kcs_rtreader_free(r);
		if (rc)
			goto out;
		res->rtclasses_read = ok;
	}
out:
	curl_free(ns_esc);
	if (esc)
		curl_easy_cleanup(esc);
	kcs_buf_release(&path);
	return rc;
}

/* ---- --probe-admission ------------------------------------------------ */

struct prober {
	struct kcs_http *h;
	struct kcs_scan *scan;
	struct kcs_probe_result r;
	unsigned long probed;
};

static enum kcs_err probe_one(struct kcs_ns_entry *e, void *user,
			      struct kcs_error *err)
{
	struct prober *p = user;
	enum kcs_err rc;

	if (memchr(e->name.s, '\0', e->name.len))
		return KCS_OK; /* not a name the API could have */
	rc = kcs_probe_namespace(p->h, e->name.s, &p->r, err);
	if (rc)
		return rc;
	p->probed++;
	if (p->r.verdict == KCS_VERDICT_UNKNOWN &&
	    kcs_scan_add_warning(p->scan, "admission probe in namespace '%s' "
				 "is inconclusive (%s: %s); its verdict "
				 "follows its labels", e->name.s,
				 kcs_probe_reason_name(p->r.reason),
				 p->r.message))
		return kcs_error_set(err, KCS_ERR_NOMEM, "out of memory");
	return kcs_scan_set_admission(p->scan, e->name.s, e->name.len, &p->r,
				      err);
}

/*
 * Dry-run probes in every namespace listed. A probe pod that the server
 * stored for real (it ignored dryRun) stops probing with an error.
 */
static enum kcs_err probe_all(struct kcs_http *h, struct kcs_scan *scan,
			      struct kcs_live_result *res,
			      struct kcs_error *err)
{
	struct prober *p = kcs_calloc(1, sizeof(*p));
	enum kcs_err rc;

	if (!p)
		return kcs_error_set(err, KCS_ERR_NOMEM, "out of memory");
	if (res->server_version[0] &&
	    !kcs_probe_server_supports_dry_run(res->server_version)) {
		kcs_free(p);
		if (kcs_scan_add_warning(scan, "--probe-admission: the API server "
					 "(%s) predates server-side dry run "
					 "(v1.13): namespaces are judged by "
					 "their labels", res->server_version))
			return kcs_error_set(err, KCS_ERR_NOMEM, "out of memory");
		return KCS_OK;
	}
	p->h = h;
	p->scan = scan;
	kcs_scan_set_probing(scan, 1);
	rc = kcs_scan_each_ns(scan, probe_one, p, err);
	kcs_scan_set_probing(scan, 0);
	res->probed = p->probed;
	kcs_free(p);
	return rc;
}

/* ---- the scan --------------------------------------------------------- */

/* Append ?labelSelector=..&fieldSelector=.. (escaped) to the pod path. */
static enum kcs_err add_selectors(struct kcs_buf *path, CURL *esc,
				  const struct kcs_live_settings *ls,
				  struct kcs_error *err)
{
	const char *names[2] = { "labelSelector", "fieldSelector" };
	const char *values[2] = { ls->label_selector, ls->field_selector };
	char sep = '?';
	size_t i;

	for (i = 0; i < 2; i++) {
		char *e;

		if (!values[i])
			continue;
		e = curl_easy_escape(esc, values[i], 0);
		if (!e)
			return kcs_error_set(err, KCS_ERR_NOMEM, "out of memory");
		kcs_buf_addf(path, "%c%s=%s", sep, names[i], e);
		curl_free(e);
		sep = '&';
	}
	if (path->err)
		return kcs_error_set(err, KCS_ERR_LIMIT, "selector too long");
	return KCS_OK;
}

enum kcs_err kcs_live_scan(struct kcs_http *h, struct kcs_scan *scan,
			   const struct kcs_live_settings *ls,
			   struct kcs_live_result *res, struct kcs_error *err)
{
	struct kcs_reader_cbs cbs = kcs_scan_reader_cbs(scan);
	struct kcs_reader *ns_reader = NULL, *pod_reader = NULL;
	struct page_sink ns_sink, pod_sink;
	struct grab ver = { .path = { "gitVersion" }, .path_len = 1 };
	struct grab uid = { .path = { "metadata", "uid" }, .path_len = 2 };
	struct kcs_http_response resp;
	struct kcs_buf path = KCS_BUF_INIT(4096);
	const struct kcs_ns_entry *ks;
	CURL *esc = NULL;
	char *ns_esc = NULL;
	enum kcs_err rc;
	int listing = 0;

	memset(res, 0, sizeof(*res));
	res->snapshot_consistent = 1;

	/* Who is there (and do our credentials work at all)? */
	rc = get_small(h, "/version", NULL, &ver, &resp, err);
	if (rc == KCS_ERR_API && resp.status == 403) {
		kcs_error_clear(err);  /* /version hidden: not needed */
		rc = KCS_OK;
	}
	if (rc)
		goto out;
	copy_str(res->server_version, sizeof(res->server_version), ver.str);
	/* a 403 on a listing below is explained by explain_denial() */

	ns_reader = kcs_reader_new(&cbs, KCS_HINT_NAMESPACES);
	pod_reader = kcs_reader_new(&cbs, KCS_HINT_PODS);
	esc = curl_easy_init();
	if (!ns_reader || !pod_reader || !esc) {
		rc = kcs_error_set(err, KCS_ERR_NOMEM, "out of memory");
		goto out;
	}
	ns_sink = (struct page_sink)SINK(reader, ns_reader);
	pod_sink = (struct page_sink)SINK(reader, pod_reader);

	if (ls->namespace) {
		ns_esc = curl_easy_escape(esc, ls->namespace, 0);
		if (!ns_esc) {
			rc = kcs_error_set(err, KCS_ERR_NOMEM, "out of memory");
			goto out;
		}
		kcs_buf_addf(&path, "/api/v1/namespaces/%s", ns_esc);
		rc = list_all(h, scan, &ns_sink, path.buf,
			      KCS_ACCEPT_METADATA_ONE, "Namespace",
			      "PartialObjectMetadata", 0, 0, res, err);
		if (rc) {
			rc = explain_denial(h, ls->namespace, rc, err);
			goto out;
		}
		/* The cluster's identity: kube-system's UID, if we may read it. */
		if (!get_small(h, "/api/v1/namespaces/kube-system",
			       KCS_ACCEPT_METADATA_ONE, &uid, &resp, NULL))
			copy_str(res->cluster_id, sizeof(res->cluster_id), uid.str);
		kcs_buf_reset(&path);
		kcs_buf_addf(&path, "/api/v1/namespaces/%s/pods", ns_esc);
	} else {
		rc = list_all(h, scan, &ns_sink, "/api/v1/namespaces",
			      KCS_ACCEPT_METADATA, "NamespaceList",
			      "PartialObjectMetadataList", ls->chunk_size, 0, res,
			      err);
		if (rc) {
			rc = explain_denial(h, NULL, rc, err);
			goto out;
		}
		ks = kcs_scan_find_ns(scan, "kube-system", 11);
		if (ks && ks->has_uid)
			copy_str(res->cluster_id, sizeof(res->cluster_id), ks->uid.s);
		kcs_buf_addstr(&path, "/api/v1/pods");
	}
	if ((rc = add_selectors(&path, esc, ls, err)))
		goto out;
	if (path.err) {
		rc = kcs_error_set(err, KCS_ERR_LIMIT, "namespace name too long");
		goto out;
	}

	if ((rc = kcs_scan_listing_begin(scan, err)))
		goto out;
	listing = 1;
	if ((rc = read_context(h, scan, ls, res, err)))
		goto out;
	if (ls->nodes || ls->rtclasses)
		kcs_scan_set_runtime(scan, res->nodes_read ? ls->nodes : NULL,
				     res->rtclasses_read ? ls->rtclasses : NULL);
	if (ls->probe_admission && (rc = probe_all(h, scan, res, err)))
		goto out;

	rc = list_all(h, scan, &pod_sink, path.buf, "application/json",
		      "PodList", NULL, ls->chunk_size, 1, res, err);
	if (rc)
		rc = explain_denial(h, ls->namespace, rc, err);
out:
	if (listing) {
		/* Report what was seen even when incomplete (marked so). */
		struct kcs_error cerr = KCS_ERROR_INIT;
		enum kcs_err crc = kcs_scan_listing_commit(scan, &cerr);

		if (crc && !rc) {
			rc = crc;
			if (err)
				*err = cerr;
		}
	}
	curl_free(ns_esc);
	if (esc)
		curl_easy_cleanup(esc);
	kcs_buf_release(&path);
	kcs_reader_free(ns_reader);
	kcs_reader_free(pod_reader);
	return rc;
}
