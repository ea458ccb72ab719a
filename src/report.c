/*
 * report.c - the registry of report formats behind -o, and the small
 * helpers the writers share: a namespace map, the cluster identity, and a
 * buffered yajl_gen printing to a FILE.
 */
#include <stdio.h>
#include <string.h>

#include "kcs/alloc.h"
#include "kcs/report.h"
#include "kcs/workload.h"
#include "kcs/banned.h"

static const struct {
	const char *name;
	struct kcs_report *(*make)(FILE *out);
} formats[KCS_FORMAT_COUNT] = {
	[KCS_FORMAT_TABLE] = { "table", kcs_report_table_new },
	[KCS_FORMAT_JSON] = { "json", kcs_report_json_new },
	[KCS_FORMAT_JUNIT] = { "junit", kcs_report_junit_new },
	[KCS_FORMAT_SARIF] = { "sarif", kcs_report_sarif_new },
	[KCS_FORMAT_PROMETHEUS] = { "prometheus", kcs_report_prometheus_new },
	[KCS_FORMAT_POLICYREPORT] = { "policyreport",
				      kcs_report_policyreport_new },
};

int kcs_format_parse(const char *name, size_t len, enum kcs_format *out)
{
	size_t i;

	for (i = 0; i < KCS_FORMAT_COUNT; i++)
		if (strlen(formats[i].name) == len &&
		    !memcmp(formats[i].name, name, len)) {
			*out = (enum kcs_format)i;
			return 0;
		}
	return -1;
}

const char *kcs_format_name(enum kcs_format f)
{
	return (unsigned)f < KCS_FORMAT_COUNT ? formats[f].name : "table";
}

const char *kcs_format_names(void)
{
	/* Built once from the table, so the list cannot drift from it. */
	static char names[128];
	size_t i, used = 0;

	if (names[0])
		return names;
	for (i = 0; i < KCS_FORMAT_COUNT && used < sizeof(names); i++)
		used += (size_t)snprintf(names + used, sizeof(names) - used,
					 "%s%s", i ? ", " : "", formats[i].name);
	return names;
}

struct kcs_report *kcs_report_new(enum kcs_format f, FILE *out)
{
	if ((unsigned)f >= KCS_FORMAT_COUNT)
		return NULL;
	return formats[f].make(out);
}

/* ---- namespace map -------------------------------------------------- */

struct nsmap_entry {
	struct kcs_name name;
	/* the writer's record follows, aligned for any type */
	_Alignas(max_align_t) unsigned char rec[];
};

struct kcs_nsmap {
	struct nsmap_entry **slots; /* NULL = empty */
	size_t n_slots;             /* a power of two */
	size_t n;                   /* entries in use */
	size_t rec_size;            /* bytes of each writer record */
};

/* FNV-1a, as the scan's own namespace table. */
static size_t nsmap_hash(const char *s, size_t len)
{
	unsigned long h = 2166136261u;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= (unsigned char)s[i];
		h *= 16777619u;
	}
	return (size_t)h;
}

static size_t nsmap_probe(const struct kcs_nsmap *m, const char *s, size_t len)
{
	size_t j = nsmap_hash(s, len) & (m->n_slots - 1);

	while (m->slots[j] && !(m->slots[j]->name.len == len &&
				!memcmp(m->slots[j]->name.s, s, len)))
		j = (j + 1) & (m->n_slots - 1);
	return j;
}

struct kcs_nsmap *kcs_nsmap_new(size_t rec_size)
{
	struct kcs_nsmap *m = kcs_calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	m->n_slots = 64;
	m->rec_size = rec_size;
	m->slots = kcs_calloc(m->n_slots, sizeof(*m->slots));
	if (!m->slots) {
		kcs_free(m);
		return NULL;
	}
	return m;
}

void kcs_nsmap_free(struct kcs_nsmap *m)
{
	size_t i;

	if (!m)
		return;
	for (i = 0; i < m->n_slots; i++)
		kcs_free(m->slots[i]);
	kcs_free(m->slots);
	kcs_free(m);
}

static int nsmap_grow(struct kcs_nsmap *m)
{
	size_t n = m->n_slots * 2, i;
	struct nsmap_entry **slots = kcs_calloc(n, sizeof(*slots));

	if (!slots)
		return -1;
	for (i = 0; i < m->n_slots; i++) {
		struct nsmap_entry *e = m->slots[i];
		size_t j;

		if (!e)
			continue;
		j = nsmap_hash(e->name.s, e->name.len) & (n - 1);
		while (slots[j])
			j = (j + 1) & (n - 1);
		slots[j] = e;
	}
	kcs_free(m->slots);
	m->slots = slots;
	m->n_slots = n;
	return 0;
}

void *kcs_nsmap_get(struct kcs_nsmap *m, const char *name, size_t len,
		    struct kcs_error *err)
{
	size_t j;
	struct nsmap_entry *e;

	if (len > KCS_NAME_MAX) {
		kcs_error_set(err, KCS_ERR_LIMIT, "namespace name longer than %d bytes",
			      KCS_NAME_MAX);
		return NULL;
	}
	j = nsmap_probe(m, name, len);
	if (m->slots[j])
		return m->slots[j]->rec;
	if (m->n >= KCS_NSMAP_MAX) {
		kcs_error_set(err, KCS_ERR_LIMIT, "more than %u namespaces",
			      KCS_NSMAP_MAX);
		return NULL;
	}
	if ((m->n + 1) * 2 > m->n_slots) {
		if (nsmap_grow(m)) {
			kcs_error_set(err, KCS_ERR_NOMEM, "out of memory");
			return NULL;
		}
		j = nsmap_probe(m, name, len);
	}
	e = kcs_calloc(1, sizeof(*e) + m->rec_size);
	if (!e) {
		kcs_error_set(err, KCS_ERR_NOMEM, "out of memory");
		return NULL;
	}
	memcpy(e->name.s, name, len);
	e->name.s[len] = '\0';
	e->name.len = len;
	m->slots[j] = e;
	m->n++;
	return e->rec;
}

void *kcs_nsmap_find(const struct kcs_nsmap *m, const char *name, size_t len)
{
	struct nsmap_entry *e;

	if (len > KCS_NAME_MAX)
		return NULL;
	e = m->slots[nsmap_probe(m, name, len)];
	return e ? e->rec : NULL;
}

/* ---- identity ------------------------------------------------------- */

void kcs_report_identity(const struct kcs_scan_result *res,
			 struct kcs_identity *id)
{
	const struct kcs_source *src = res->source;

	memset(id, 0, sizeof(*id));
	id->cluster_name = res->meta->cluster_name;
	if (!src || src->kind == KCS_SOURCE_FILE) {
		id->source = "file";
		return;
	}
	id->source = "cluster";
	id->server = src->server && src->server[0] ? src->server : NULL;
	id->context = src->context;
	id->server_version = src->server_version;
	id->cluster_id = src->cluster_id;
}

/* ---- buffered yajl_gen ------------------------------------------------ */

static void jsonout_flush(struct kcs_jsonout *j)
{
	if (j->used && !j->io_error &&
	    fwrite(j->pending, 1, j->used, j->out) != j->used)
		j->io_error = 1;
	j->used = 0;
}

static void jsonout_print(void *ctx, const char *s, size_t len)
{
	struct kcs_jsonout *j = ctx;

	if (len > sizeof(j->pending) - j->used) {
		jsonout_flush(j);
		if (len > sizeof(j->pending)) {
			if (!j->io_error && fwrite(s, 1, len, j->out) != len)
				j->io_error = 1;
			return;
		}
	}
	memcpy(j->pending + j->used, s, len);
	j->used += len;
}

enum kcs_err kcs_jsonout_init(struct kcs_jsonout *j, FILE *out)
{
	j->out = out;
	j->io_error = 0;
	j->used = 0;
	j->g = yajl_gen_alloc(&kcs_yajl_alloc_funcs);
	if (!j->g)
		return KCS_ERR_NOMEM;
	yajl_gen_config(j->g, yajl_gen_beautify, 1);
	yajl_gen_config(j->g, yajl_gen_indent_string, "  ");
	yajl_gen_config(j->g, yajl_gen_print_callback, jsonout_print, j);
	return KCS_OK;
}

void kcs_jsonout_release(struct kcs_jsonout *j)
{
	if (j && j->g) {
		yajl_gen_free(j->g);
		j->g = NULL;
	}
}

enum kcs_err kcs_jsonout_finish(struct kcs_jsonout *j, const char *what,
				struct kcs_error *err)
{
	/* A closed top-level value leaves the generator "complete". */
	yajl_gen_status st = yajl_gen_null(j->g);

	jsonout_print(j, "\n", 1);
	jsonout_flush(j);
	if (j->io_error || fflush(j->out) != 0 || ferror(j->out))
		return kcs_error_set(err, KCS_ERR_IO, "cannot write %s", what);
	if (st != yajl_gen_generation_complete)
		return kcs_error_set(err, KCS_ERR_INTERNAL,
				     "%s: JSON generator left in state %d", what,
				     (int)st);
	return KCS_OK;
}

void kcs_json_str(yajl_gen g, const char *s)
{
	kcs_json_strn(g, s, strlen(s));
}

size_t kcs_utf8_char(const char *s, size_t len, unsigned long *cp)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n, k;
	unsigned long c;

	if (p[0] < 0x80) {
		*cp = p[0];
		return 1;
	}
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		n = 2;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		n = 3;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		n = 4;
	else
		return 0;
	if (n > len)
		return 0;
	c = p[0] & (0xffu >> (n + 1));
	for (k = 1; k < n; k++) {
		if ((p[k] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (p[k] & 0x3f);
	}
	if ((n == 3 && c < 0x800) || (n == 4 && c < 0x10000) || c > 0x10ffff ||
	    (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return n;
}

/* Strings longer than this are repaired on the heap, not the stack. */
#define KCS_JSON_FIX_STACK 1024

void kcs_json_strn(yajl_gen g, const char *s, size_t len)
{
	unsigned char stack[3 * KCS_JSON_FIX_STACK], *fix;
	unsigned long cp;
	size_t i = 0, o = 0, n;

	while (i < len && (n = kcs_utf8_char(s + i, len - i, &cp)))
		i += n;
	if (i == len) { /* the usual case: valid already */
		yajl_gen_string(g, (const unsigned char *)s, len);
		return;
	}
	/* each byte grows to at most the 3 bytes of U+FFFD */
	fix = len <= KCS_JSON_FIX_STACK ? stack : kcs_malloc(3 * len);
	if (!fix) {
		yajl_gen_string(g, (const unsigned char *)"\xef\xbf\xbd", 3);
		return;
	}
	for (i = 0; i < len;) {
		n = kcs_utf8_char(s + i, len - i, &cp);
		if (n) {
			memcpy(fix + o, s + i, n);
			o += n;
			i += n;
		} else {
			memcpy(fix + o, "\xef\xbf\xbd", 3);
			o += 3;
			i++;
		}
	}
	yajl_gen_string(g, fix, o);
	if (fix != stack)
		kcs_free(fix);
}

void kcs_json_kv(yajl_gen g, const char *key, const char *val)
{
	kcs_json_str(g, key);
	if (val)
		kcs_json_str(g, val);
	else
		yajl_gen_null(g);
}

void kcs_json_kint(yajl_gen g, const char *key, long long val)
{
	kcs_json_str(g, key);
	yajl_gen_integer(g, val);
}

void kcs_json_kbool(yajl_gen g, const char *key, int val)
{
	kcs_json_str(g, key);
	yajl_gen_bool(g, val);
}

void kcs_report_flags(unsigned flags, const char *sep, char *buf, size_t size)
{
	size_t used = 0;
	unsigned i;

	buf[0] = '\0';
	for (i = 0; i < KCS_F_COUNT && used < size; i++)
		if (flags & (1u << i))
			used += (size_t)snprintf(buf + used, size - used, "%s%s",
						 used ? sep : "",
						 kcs_flag_name(1u << i));
}

static void summary_count(yajl_gen g, const char *key,
			  const struct kcs_count *c, int namespaces)
{
	kcs_json_str(g, key);
	yajl_gen_map_open(g);
	kcs_json_kint(g, "total", (long long)c->total);
	kcs_json_kint(g, "pass", (long long)c->pass);
	kcs_json_kint(g, "fail", (long long)c->fail);
	if (namespaces) {
		kcs_json_kint(g, "unknown", (long long)c->unknown);
	} else {
		kcs_json_kint(g, "notApplicable", (long long)c->not_applicable);
		kcs_json_kint(g, "exempt", (long long)c->exempt);
	}
	yajl_gen_map_close(g);
}

void kcs_json_summary(yajl_gen g, const struct kcs_scan_result *res)
{
	yajl_gen_map_open(g);
	summary_count(g, "namespaces", &res->namespaces, 1);
	summary_count(g, "pods", &res->pods, 0);
	summary_count(g, "containers", &res->containers, 0);
	if (res->workloads) {
		unsigned long long by[5];

		kcs_workloads_counts(res->workloads, by);
		kcs_json_str(g, "workloads");
		yajl_gen_map_open(g);
		kcs_json_kint(g, "total",
			      (long long)kcs_workloads_count(res->workloads));
		kcs_json_kint(g, "pass", (long long)by[KCS_VERDICT_PASS]);
		kcs_json_kint(g, "fail", (long long)by[KCS_VERDICT_FAIL]);
		kcs_json_kint(g, "notApplicable",
			      (long long)by[KCS_VERDICT_NOT_APPLICABLE]);
		kcs_json_kint(g, "unknown", (long long)by[KCS_VERDICT_UNKNOWN]);
		kcs_json_kint(g, "exempt", (long long)by[KCS_VERDICT_EXEMPT]);
		yajl_gen_map_close(g);
	}
	yajl_gen_map_close(g);
}
