/*
 * exempt.c - exemptions from a YAML file and from pod annotations (see
 * exempt.h for the format and the rules).
 */
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <yaml.h>

#include "kcs/alloc.h"
#include "kcs/buf.h"
#include "kcs/exempt.h"
#include "kcs/banned.h"

/* ---- dates -------------------------------------------------------------- */

static int leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int kcs_parse_date(const char *s, size_t len, time_t *day_end)
{
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int y, m, d, i;
	struct tm tm;

	if (len != 10 || s[4] != '-' || s[7] != '-')
		return -1;
	for (i = 0; i < 10; i++)
		if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
			return -1;
	y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
	m = (s[5] - '0') * 10 + (s[6] - '0');
	d = (s[8] - '0') * 10 + (s[9] - '0');
	if (y < 1970 || m < 1 || m > 12 || d < 1 ||
	    d > mdays[m - 1] + (m == 2 && leap(y)))
		return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = m - 1;
	tm.tm_mday = d;
	tm.tm_hour = 23;
	tm.tm_min = 59;
	tm.tm_sec = 59;
	*day_end = timegm(&tm); /* valid through the whole day, UTC */
	return 0;
}

/* ---- the file ----------------------------------------------------------- */

static void entry_release(struct kcs_exemption *e)
{
	kcs_free(e->ns_glob);
	kcs_free(e->pod_glob);
	kcs_free(e->container_glob);
	kcs_free(e->reason);
}

void kcs_exemptions_release(struct kcs_exemptions *ex)
{
	size_t i;

	if (!ex)
		return;
	for (i = 0; i < ex->n; i++)
		entry_release(&ex->entries[i]);
	kcs_free(ex->entries);
	kcs_free(ex->path);
	memset(ex, 0, sizeof(*ex));
}

static enum kcs_err read_file(const char *path, struct kcs_buf *b,
			      struct kcs_error *err)
{
	char chunk[8192];
	FILE *f = fopen(path, "rb");
	size_t n;

	if (!f)
		return kcs_error_set(err, KCS_ERR_IO, "cannot open: %s", strerror(errno));
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if (kcs_buf_add(b, chunk, n)) {
			fclose(f);
			if (b->err == KCS_ERR_LIMIT)
				return kcs_error_set(err, KCS_ERR_LIMIT,
						     "larger than %d bytes",
						     KCS_EXEMPTIONS_FILE_MAX);
			return kcs_error_set(err, KCS_ERR_NOMEM, "out of memory");
		}
	}
	if (ferror(f)) {
		fclose(f);
		return kcs_error_set(err, KCS_ERR_IO, "cannot read: %s", strerror(errno));
	}
	fclose(f);
	return KCS_OK;
}

/* A scalar node's value as a new string; NULL if not a scalar. */
static char *scalar(yaml_node_t *n)
{
	if (!n || n->type != YAML_SCALAR_NODE)
		return NULL;
	return kcs_strndup((const char *)n->data.scalar.value, n->data.scalar.length);
}

static enum kcs_err bad(struct kcs_error *err, yaml_node_t *n, size_t idx,
			const char *what)
{
	return kcs_error_set(err, KCS_ERR_USAGE, "line %lu: entry %zu: %s",
			     n ? (unsigned long)n->start_mark.line + 1 : 0UL,
			     idx + 1, what);
}

/* Read one mapping of the sequence into e. */
static enum kcs_err read_entry(yaml_document_t *doc, yaml_node_t *map,
			       size_t idx, time_t now, struct kcs_exemption *e,
			       struct kcs_error *err)
{
	yaml_node_pair_t *p;

	if (map->type != YAML_MAPPING_NODE)
		return bad(err, map, idx, "is not a mapping (namespace, pod, container, reason, expires)");
	e->line = (unsigned long)map->start_mark.line + 1;
	for (p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(doc, p->key);
		yaml_node_t *v = yaml_document_get_node(doc, p->value);
		const char *key = k && k->type == YAML_SCALAR_NODE
					  ? (const char *)k->data.scalar.value : "";
		char **slot = NULL;
		char *val;

		if (!strcmp(key, "namespace"))
			slot = &e->ns_glob;
		else if (!strcmp(key, "pod"))
			slot = &e->pod_glob;
		else if (!strcmp(key, "container"))
			slot = &e->container_glob;
		else if (!strcmp(key, "reason"))
			slot = &e->reason;
		else if (strcmp(key, "expires"))
			return bad(err, k, idx, "unknown field (known: namespace, pod, container, reason, expires)");
		val = scalar(v);
		if (!val)
			return v && v->type != YAML_SCALAR_NODE
				       ? bad(err, v, idx, "a field is not a plain value")
				       : kcs_error_set(err, KCS_ERR_NOMEM, "out of memory");
		if (!slot) {
			time_t end;

			if (kcs_parse_date(val, strlen(val), &end)) {
				kcs_free(val);
				return bad(err, v, idx, "expires is not a date YYYY-MM-DD");
			}
			memcpy(e->expires, val, 10);
			e->expires[10] = '\0';
			e->expired = now > end;
			kcs_free(val);
			continue;
		}
		kcs_free(*slot);
		*slot = val;
	}
	if (!e->ns_glob || !*e->ns_glob)
		return bad(err, map, idx, "needs a namespace (a pattern; * for all)");
	if (!e->pod_glob || !*e->pod_glob)
		return bad(err, map, idx, "needs a pod (a pattern; * for all)");
	if (!e->reason || !*e->reason)
		return bad(err, map, idx, "needs a reason");
	return KCS_OK;
}

enum kcs_err kcs_exemptions_load(const char *path, time_t now,
				 struct kcs_exemptions *out,
				 struct kcs_error *err)
{
	struct kcs_buf b = KCS_BUF_INIT(KCS_EXEMPTIONS_FILE_MAX);
	yaml_parser_t parser;
	yaml_document_t doc;
	yaml_node_t *root;
	enum kcs_err rc = KCS_OK;
	int have_parser = 0, have_doc = 0;
	size_t i;

	memset(out, 0, sizeof(*out));
	if (!path)
		return KCS_OK;
	kcs_error_source(err, path);
	if ((rc = read_file(path, &b, err)))
		goto out;
	if (!(out->path = kcs_strdup(path))) {
		rc = kcs_error_set(err, KCS_ERR_NOMEM, "out of memory");
		goto out;
	}
	if (!yaml_parser_initialize(&parser)) {
		rc = kcs_error_set(err, KCS_ERR_NOMEM, "out of memory");
		goto out;
	}
	have_parser = 1;
	yaml_parser_set_input_string(&parser, (const unsigned char *)b.buf, b.len);
	if (!yaml_parser_load(&parser, &doc)) {
		rc = kcs_error_set(err, KCS_ERR_USAGE,
				   "line %lu, column %lu: invalid YAML: %s",
				   (unsigned long)parser.problem_mark.line + 1,
				   (unsigned long)parser.problem_mark.column + 1,
				   parser.problem ? parser.problem : "syntax error");
		goto out;
	}
	have_doc = 1;
	root = yaml_document_get_root_node(&doc);
	if (!root) /* an empty file: no exemptions */
		goto out;
	if (root->type != YAML_SEQUENCE_NODE) {
		rc = kcs_error_set(err, KCS_ERR_USAGE,
				   "the file must be a YAML sequence of exemptions");
		goto out;
	}
	out->n = (size_t)(root->data.sequence.items.top - root->data.sequence.items.start);
	if (out->n > KCS_EXEMPTIONS_MAX) {
		rc = kcs_error_set(err, KCS_ERR_LIMIT, "more than %d exemptions",
				   KCS_EXEMPTIONS_MAX);
		out->n = 0;
		goto out;
	}
	out->entries = kcs_calloc(out->n ? out->n : 1, sizeof(*out->entries));
	if (!out->entries) {
		out->n = 0;
		rc = kcs_error_set(err, KCS_ERR_NOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < out->n; i++) {
		yaml_node_t *n = yaml_document_get_node(&doc,
			root->data.sequence.items.start[i]);

		if ((rc = read_entry(&doc, n, i, now, &out->entries[i], err)))
			goto out;
	}
out:
	if (have_doc)
		yaml_document_delete(&doc);
	if (have_parser)
		yaml_parser_delete(&parser);
	kcs_buf_release(&b);
	if (rc)
		kcs_exemptions_release(out);
	return rc;
}

/* ---- applying ------------------------------------------------------------ */

/* Glob match of a counted name (a name with a NUL byte never matches). */
static int glob_match(const char *glob, const struct kcs_name *n)
{
	if (memchr(n->s, '\0', n->len))
		return 0;
	return fnmatch(glob, n->s, 0) == 0;
}

static void mark_exempt(struct kcs_container *c, enum kcs_exempt_source src,
		   const char *reason, size_t reason_len, const char *expires,
		   unsigned long line)
{
	size_t n = reason_len;

	c->verdict = KCS_VERDICT_EXEMPT;
	c->exempt_source = src;
	c->exempt_line = line;
	if (n > KCS_EXEMPT_REASON_MAX) {
		n = KCS_EXEMPT_REASON_MAX - 3;
		memcpy(c->exempt_reason, reason, n);
		memcpy(c->exempt_reason + n, "...", 4);
	} else {
		memcpy(c->exempt_reason, reason, n);
		c->exempt_reason[n] = '\0';
	}
	snprintf(c->exempt_expires, sizeof(c->exempt_expires), "%s", expires);
}

/* Trim ASCII spaces from both ends of [*s, *s + *len). */
static void trim(const char **s, size_t *len)
{
	while (*len && (**s == ' ' || **s == '\t')) {
		(*s)++;
		(*len)--;
	}
	while (*len && ((*s)[*len - 1] == ' ' || (*s)[*len - 1] == '\t'))
		(*len)--;
}

/* Is `name` in the comma-separated list [list, list + len)? */
static int in_list(const char *list, size_t len, const struct kcs_name *name)
{
	const char *p = list, *end = list + len;

	while (p <= end) {
		const char *q = memchr(p, ',', (size_t)(end - p));
		const char *item = p;
		size_t n;

		if (!q)
			q = end;
		n = (size_t)(q - p);
		trim(&item, &n);
		if (n == name->len && !memcmp(item, name->s, n))
			return 1;
		p = q + 1;
	}
	return 0;
}

/*
 * "<reason>[;expires=YYYY-MM-DD][;containers=a,b]". Returns 0 and applies
 * it, 1 if it has expired, -1 if it is malformed.
 */
static int apply_annotation(struct kcs_exemptions *ex, struct kcs_pod *pod,
			    time_t now)
{
	const char *a = pod->exempt_annotation, *end = a + pod->exempt_annotation_len;
	const char *reason = a, *ctrs = NULL, *semi;
	size_t reason_len, ctrs_len = 0, i;
	char expires[11] = "";

	if (pod->exempt_annotation_too_long ||
	    memchr(a, '\0', pod->exempt_annotation_len))
		return -1;
	semi = memchr(a, ';', (size_t)(end - a));
	reason_len = (size_t)((semi ? semi : end) - a);
	trim(&reason, &reason_len);
	if (!reason_len)
		return -1;
	while (semi) {
		const char *part = semi + 1, *next = memchr(part, ';', (size_t)(end - part));
		size_t n = (size_t)((next ? next : end) - part);

		trim(&part, &n);
		if (n > 8 && !memcmp(part, "expires=", 8)) {
			time_t day_end;

			if (kcs_parse_date(part + 8, n - 8, &day_end))
				return -1;
			memcpy(expires, part + 8, 10);
			expires[10] = '\0';
			if (now > day_end)
				return 1;
		} else if (n > 11 && !memcmp(part, "containers=", 11)) {
			ctrs = part + 11;
			ctrs_len = n - 11;
		} else if (n) {
			return -1;
		}
		semi = next;
	}
	for (i = 0; i < pod->n; i++) {
		struct kcs_container *c = &pod->containers[i];

		if (c->verdict != KCS_VERDICT_FAIL)
			continue;
		if (ctrs && !in_list(ctrs, ctrs_len, &c->name))
			continue;
		mark_exempt(c, KCS_EXEMPT_ANNOTATION, reason, reason_len, expires, 0);
		ex->annotated_applied++;
	}
	return 0;
}

void kcs_exemptions_apply(struct kcs_exemptions *ex, struct kcs_pod *pod,
			  time_t now)
{
	size_t i, j;

	if (!ex)
		return;
	for (j = 0; j < ex->n; j++) {
		struct kcs_exemption *e = &ex->entries[j];

		if (e->expired || !glob_match(e->ns_glob, &pod->ns) ||
		    !glob_match(e->pod_glob, &pod->name))
			continue;
		for (i = 0; i < pod->n; i++) {
			struct kcs_container *c = &pod->containers[i];

			if (c->verdict != KCS_VERDICT_FAIL ||
			    (e->container_glob && !glob_match(e->container_glob, &c->name)))
				continue;
			mark_exempt(c, KCS_EXEMPT_FILE, e->reason, strlen(e->reason),
			       e->expires, e->line);
			e->matches++;
		}
	}
	if (pod->has_exempt_annotation) {
		if (!ex->allow_annotations) {
			ex->annotated_ignored++;
		} else {
			int r = apply_annotation(ex, pod, now);

			if (r > 0)
				ex->annotated_expired++;
			else if (r < 0)
				ex->annotated_invalid++;
		}
	}
	kcs_audit_pod_verdict(pod);
}
