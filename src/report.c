/*
 * report.c - the registry of report formats behind -o, and the helpers the
 * writers share: a namespace map, the cluster identity, a buffered yajl_gen
 * printing to a FILE, and the rows the grouping writers (table, JUnit,
 * SARIF) spool and read back sorted by workload through an external merge
 * sort, so that grouping never holds the pods in memory.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <yajl/yajl_parse.h>

#include "kcs/alloc.h"
#include "kcs/remediate.h"
#include "kcs/report.h"
#include "kcs/runtime.h"
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

/* Whether s is valid UTF-8 throughout, ASCII runs taken at a stride. */
static int utf8_valid(const char *s, size_t len)
{
	unsigned long cp;
	size_t i = 0, n;

	for (;;) {
		while (i < len && (unsigned char)s[i] < 0x80)
			i++;
		if (i == len)
			return 1;
		if (!(n = kcs_utf8_char(s + i, len - i, &cp)))
			return 0;
		i += n;
	}
}

/* Strings longer than this are repaired on the heap, not the stack. */
#define KCS_JSON_FIX_STACK 1024

void kcs_json_strn(yajl_gen g, const char *s, size_t len)
{
	unsigned char stack[3 * KCS_JSON_FIX_STACK], *fix;
	unsigned long cp;
	size_t i = 0, o = 0, n;

	if (!len || utf8_valid(s, len)) { /* the usual case */
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

/* ---- the external sort behind struct kcs_rows ------------------------- */

/*
 * A record, in memory and in the spool: u32 total length (these 8 header
 * bytes included), u32 key length, the key, then the payload. Keys are
 * built so that memcmp orders them (enc_str below), so the sort needs no
 * knowledge of rows. Lengths are native-endian: the spool never leaves
 * this process.
 */
#define REC_HDR 8
/* Bytes staged before one pwrite, and a merge reader's first buffer. */
#define SORT_WBUF (64 * 1024)
#define SORT_RBUF (4 * 1024)

struct sort_run {
	unsigned long long off, len;   /* where in the spool */
};

/* One run being merged, read through its own buffer. */
struct sort_rd {
	unsigned long long off, end;   /* next byte to read, end of the run */
	unsigned char *buf;
	size_t cap, lo, hi;            /* buf[lo..hi) holds unread bytes */
	const unsigned char *rec;      /* current record (at buf + lo), or NULL */
};

struct kcs_rows {
	/* the run being gathered */
	unsigned char *run;
	size_t run_used, run_cap;
	size_t *idx, *tmp;             /* record offsets in run, merge space */
	size_t n, idx_cap;
	/* the spool */
	FILE *f;
	int fd;
	int io;                        /* errno of the first failure; sticky */
	unsigned long long fend;       /* bytes in the spool */
	unsigned char *wb;             /* SORT_WBUF bytes staged at wb_off */
	size_t wb_len;
	unsigned long long wb_off;
	struct sort_run *runs;
	size_t n_runs, runs_cap;
	/* reading */
	int reading;                   /* 0: adding; 1: memory; 2: merging */
	size_t mem_pos;
	struct sort_rd *rd;
	size_t n_rd;
	size_t *heap;                  /* indexes into rd, by current record */
	size_t n_heap;
	int consumed;                  /* the current record was handed out */
	size_t run_bytes, fanin;       /* KCS_ROWS_RUN_BYTES, KCS_ROWS_FANIN */
	/* encoding scratch and the decoded row */
	struct kcs_buf key, pay;
	unsigned long long seq;
	/* the decoded row, and the record it was decoded from */
	struct kcs_row row;
	const unsigned char *decoded;
	char wkind_buf[KCS_KIND_NAME_MAX + 1];
	struct kcs_buf strs;           /* its NUL-terminated long strings */
	size_t str_off[4];
};

static unsigned rd32(const unsigned char *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static int rec_cmp(const unsigned char *a, const unsigned char *b)
{
	size_t la = rd32(a + 4), lb = rd32(b + 4);
	int c = memcmp(a + REC_HDR, b + REC_HDR, la < lb ? la : lb);

	if (c)
		return c;
	return la < lb ? -1 : la > lb;
}

static enum kcs_err rows_io_error(const struct kcs_rows *r,
				  struct kcs_error *err)
{
	return kcs_error_set(err, KCS_ERR_IO,
			     "cannot use a report's temporary spool: %s",
			     strerror(r->io ? r->io : EIO));
}

static int pwrite_all(int fd, const void *p, size_t n, unsigned long long off)
{
	const unsigned char *b = p;

	while (n) {
		ssize_t w = pwrite(fd, b, n, (off_t)off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return w < 0 ? errno : EIO;
		b += w;
		n -= (size_t)w;
		off += (unsigned long long)w;
	}
	return 0;
}

static void wb_flush(struct kcs_rows *r)
{
	if (r->wb_len && !r->io)
		r->io = pwrite_all(r->fd, r->wb, r->wb_len, r->wb_off);
	r->wb_off += r->wb_len;
	r->wb_len = 0;
}

/* Append n bytes at the spool's end through the staging buffer. */
static void wb_put(struct kcs_rows *r, const void *p, size_t n)
{
	if (r->wb_len + n > SORT_WBUF)
		wb_flush(r);
	if (n > SORT_WBUF) {
		if (!r->io)
			r->io = pwrite_all(r->fd, p, n, r->wb_off);
		r->wb_off += n;
	} else {
		memcpy(r->wb + r->wb_len, p, n);
		r->wb_len += n;
	}
	r->fend += n;
}

static enum kcs_err spool_open(struct kcs_rows *r, struct kcs_error *err)
{
	if (r->f)
		return KCS_OK;
	r->wb = kcs_malloc(SORT_WBUF);
	if (!r->wb)
		return kcs_error_set(err, KCS_ERR_NOMEM, "out of memory");
	r->f = tmpfile();
	if (!r->f)
		return kcs_error_set(err, KCS_ERR_IO,
				     "cannot create a temporary spool file "
				     "for a report: %s", strerror(errno));
	r->fd = fileno(r->f);
	r->wb_off = r->fend = 0;
	return KCS_OK;
}

static enum kcs_err add_run(struct kcs_rows *r, unsigned long long off,
			    unsigned long long len, struct kcs_error *err)
{
	if (r->n_runs == r->runs_cap) {
		size_t cap = r->runs_cap ? 2 * r->runs_cap : 16;
		struct sort_run *v = kcs_realloc(r->runs, cap * sizeof(*v));

		if (!v)
			return kcs_error_set(err, KCS_ERR_NOMEM, "out of memory");
		r->runs = v;
		r->runs_cap = cap;
	}
	r->runs[r->n_runs].off = off;
	r->runs[r->n_runs].len = len;
	r->n_runs++;
	return KCS_OK;
}

/* Sort the run's record offsets (a stable bottom-up merge sort). */
static void sort_run(struct kcs_rows *r)
{
	size_t w, i, *a = r->idx, *b = r->tmp, *t;

	for (w = 1; w < r->n; w *= 2) {
		for (i = 0; i < r->n; i += 2 * w) {
			size_t lo = i, mid = i + w < r->n ? i + w : r->n;
			size_t hi = i + 2 * w < r->n ? i + 2 * w : r->n;
			size_t x = lo, y = mid, k = lo;

			while (x < mid && y < hi)
				b[k++] = rec_cmp(r->run + a[y], r->run + a[x]) < 0
					 ? a[y++] : a[x++];
			while (x < mid)
				b[k++] = a[x++];
			while (y < hi)
				b[k++] = a[y++];
		}
		t = a;
		a = b;
		b = t;
	}
	if (a != r->idx)
		memcpy(r->idx, a, r->n * sizeof(*a));
}

/* Write the gathered run, sorted, to the spool. */
static enum kcs_err spill(struct kcs_rows *r, struct kcs_error *err)
{
	unsigned long long start;
	size_t i;
	enum kcs_err rc;

	if (!r->n)
		return KCS_OK;
	if ((rc = spool_open(r, err)))
		return rc;
	sort_run(r);
	start = r->fend;
	for (i = 0; i < r->n; i++)
		wb_put(r, r->run + r->idx[i], rd32(r->run + r->idx[i]));
	r->n = 0;
	r->run_used = 0;
	if (r->io)
		return rows_io_error(r, err);
	return add_run(r, start, r->fend - start, err);
}

/* Add one record made of the key and payload buffers. */
static enum kcs_err sort_add(struct kcs_rows *r, struct kcs_error *err)
{
	size_t len = REC_HDR + r->key.len + r->pay.len;
	uint32_t v;
	enum kcs_err rc;

	if (r->key.err || r->pay.err || len > UINT32_MAX)
		return kcs_error_set(err, r->key.err == KCS_ERR_NOMEM ||
					  r->pay.err == KCS_ERR_NOMEM
					  ? KCS_ERR_NOMEM : KCS_ERR_LIMIT,
				     "a report row is too large");
	if (r->reading)
		return kcs_error_set(err, KCS_ERR_INTERNAL,
				     "report rows added after sorting");
	if (r->n && r->run_used + len > r->run_bytes && (rc = spill(r, err)))
		return rc;
	if (r->run_used + len > r->run_cap) {
		size_t cap = r->run_used + len > r->run_bytes
			     ? r->run_used + len : r->run_bytes;
		unsigned char *p = kcs_realloc(r->run, cap);

		if (!p)
			return kcs_error_set(err, KCS_ERR_NOMEM, "out of memory");
		r->run = p;
		r->run_cap = cap;
	}
	if (r->n == r->idx_cap) {
		size_t cap = r->idx_cap ? 2 * r->idx_cap : 256;
		size_t *a = kcs_realloc(r->idx, cap * sizeof(*a));

		if (!a)
			return kcs_error_set(err, KCS_ERR_NOMEM, "out of memory");
		r->idx = a;
		a = kcs_realloc(r->tmp, cap * sizeof(*a));
		if (!a)
			return kcs_error_set(err, KCS_ERR_NOMEM, "out of memory");
		r->tmp = a;
		r->idx_cap = cap;
	}
	r->idx[r->n++] = r->run_used;
	v = (uint32_t)len;
	memcpy(r->run + r->run_used, &v, 4);
	v = (uint32_t)r->key.len;
	memcpy(r->run + r->run_used + 4, &v, 4);
	memcpy(r->run + r->run_used + REC_HDR, r->key.buf, r->key.len);
	memcpy(r->run + r->run_used + REC_HDR + r->key.len, r->pay.buf,
	       r->pay.len);
	r->run_used += len;
	return KCS_OK;
}

/* Make the reader's next record current; 0 or an errno. */
static int rd_load(struct sort_rd *d, int fd)
{
	size_t need = 4;

	d->rec = NULL;
	for (;;) {
		size_t avail = d->hi - d->lo;

		if (avail >= 4 && need == 4) {
			need = rd32(d->buf + d->lo);
			if (need < REC_HDR)
				return EIO;
		}
		if (avail >= need && need != 4) {
			d->rec = d->buf + d->lo;
			return 0;
		}
		if (!avail && d->off == d->end)
			return 0; /* end of the run */
		if (d->off == d->end)
			return EIO; /* a record cut short */
		if (d->lo) {
			memmove(d->buf, d->buf + d->lo, avail);
			d->hi = avail;
			d->lo = 0;
		}
		if (need > d->cap) {
			unsigned char *p = kcs_realloc(d->buf, need);

			if (!p)
				return ENOMEM;
			d->buf = p;
			d->cap = need;
		}
		{
			size_t want = d->cap - d->hi;
			ssize_t got;

			if (want > d->end - d->off)
				want = (size_t)(d->end - d->off);
			do
				got = pread(fd, d->buf + d->hi, want,
					    (off_t)d->off);
			while (got < 0 && errno == EINTR);
			if (got <= 0)
				return got < 0 ? errno : EIO;
			d->hi += (size_t)got;
			d->off += (unsigned long long)got;
		}
	}
}

static void rd_release(struct kcs_rows *r)
{
	size_t i;

	for (i = 0; i < r->n_rd; i++)
		kcs_free(r->rd[i].buf);
	kcs_free(r->rd);
	kcs_free(r->heap);
	r->rd = NULL;
	r->heap = NULL;
	r->n_rd = r->n_heap = 0;
}

static int heap_less(const struct kcs_rows *r, size_t a, size_t b)
{
	return rec_cmp(r->rd[r->heap[a]].rec, r->rd[r->heap[b]].rec) < 0;
}

static void heap_down(struct kcs_rows *r, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, m = i, t;

		if (l < r->n_heap && heap_less(r, l, m))
			m = l;
		if (l + 1 < r->n_heap && heap_less(r, l + 1, m))
			m = l + 1;
		if (m == i)
			return;
		t = r->heap[i];
		r->heap[i] = r->heap[m];
		r->heap[m] = t;
		i = m;
	}
}

/* Start merging runs [first, first + n). */
static enum kcs_err merge_open(struct kcs_rows *r, size_t first, size_t n,
			       struct kcs_error *err)
{
	size_t i;
	int e;

	r->rd = kcs_calloc(n ? n : 1, sizeof(*r->rd));
	r->heap = kcs_calloc(n ? n : 1, sizeof(*r->heap));
	if (!r->rd || !r->heap) {
		rd_release(r);
		return kcs_error_set(err, KCS_ERR_NOMEM, "out of memory");
	}
	r->n_rd = n;
	for (i = 0; i < n; i++) {
		struct sort_rd *d = &r->rd[i];

		d->off = r->runs[first + i].off;
		d->end = d->off + r->runs[first + i].len;
		d->buf = kcs_malloc(SORT_RBUF);
		if (!d->buf)
			return kcs_error_set(err, KCS_ERR_NOMEM, "out of memory");
		d->cap = SORT_RBUF;
		if ((e = rd_load(d, r->fd))) {
			r->io = e;
			return e == ENOMEM
			       ? kcs_error_set(err, KCS_ERR_NOMEM, "out of memory")
			       : rows_io_error(r, err);
		}
		if (d->rec)
			r->heap[r->n_heap++] = i;
	}
	for (i = r->n_heap; i-- > 0;)
		heap_down(r, i);
	return KCS_OK;
}

/* Drop the smallest record and bring its reader's next one in. */
static enum kcs_err merge_advance(struct kcs_rows *r, struct kcs_error *err)
{
	struct sort_rd *d = &r->rd[r->heap[0]];
	int e;

	d->lo += rd32(d->rec);
	if ((e = rd_load(d, r->fd))) {
		r->io = e;
		return e == ENOMEM
		       ? kcs_error_set(err, KCS_ERR_NOMEM, "out of memory")
		       : rows_io_error(r, err);
	}
	if (!d->rec)
		r->heap[0] = r->heap[--r->n_heap];
	if (r->n_heap)
		heap_down(r, 0);
	return KCS_OK;
}

/* Merge runs KCS_ROWS_FANIN at a time until at most that many remain. */
static enum kcs_err merge_passes(struct kcs_rows *r, struct kcs_error *err)
{
	enum kcs_err rc;

	while (r->n_runs > r->fanin) {
		unsigned long long start = r->fend;
		size_t left = r->n_runs - r->fanin;

		if ((rc = merge_open(r, 0, r->fanin, err)))
			return rc;
		while (r->n_heap) {
			const unsigned char *p = r->rd[r->heap[0]].rec;

			wb_put(r, p, rd32(p));
			if ((rc = merge_advance(r, err)))
				return rc;
		}
		rd_release(r);
		wb_flush(r);
		if (r->io)
			return rows_io_error(r, err);
		memmove(r->runs, r->runs + r->fanin, left * sizeof(*r->runs));
		r->n_runs = left;
		if ((rc = add_run(r, start, r->fend - start, err)))
			return rc;
	}
	return KCS_OK;
}

enum kcs_err kcs_rows_sort(struct kcs_rows *r, struct kcs_error *err)
{
	enum kcs_err rc;

	if (r->reading)
		return KCS_OK;
	if (!r->n_runs) {
		/* everything fits in memory: no spool at all */
		sort_run(r);
		r->reading = 1;
		r->mem_pos = 0;
		return KCS_OK;
	}
	if ((rc = spill(r, err)))
		return rc;
	kcs_free(r->run);
	kcs_free(r->idx);
	kcs_free(r->tmp);
	r->run = NULL;
	r->idx = r->tmp = NULL;
	r->run_cap = r->idx_cap = 0;
	wb_flush(r);
	if (r->io)
		return rows_io_error(r, err);
	if ((rc = merge_passes(r, err)))
		return rc;
	kcs_free(r->wb);
	r->wb = NULL;
	r->reading = 2;
	return merge_open(r, 0, r->n_runs, err);
}

/* The current record, consuming the one handed out before; NULL at end. */
static enum kcs_err sort_top(struct kcs_rows *r, const unsigned char **rec,
			     struct kcs_error *err)
{
	enum kcs_err rc;

	*rec = NULL;
	if (!r->reading)
		return kcs_error_set(err, KCS_ERR_INTERNAL,
				     "report rows read before sorting");
	if (r->consumed)
		r->decoded = NULL; /* a merge buffer may reuse the address */
	if (r->reading == 1) {
		if (r->consumed && r->mem_pos < r->n)
			r->mem_pos++;
		r->consumed = 0;
		if (r->mem_pos < r->n)
			*rec = r->run + r->idx[r->mem_pos];
		return KCS_OK;
	}
	if (r->consumed && r->n_heap && (rc = merge_advance(r, err)))
		return rc;
	r->consumed = 0;
	if (r->n_heap)
		*rec = r->rd[r->heap[0]].rec;
	return KCS_OK;
}

/* ---- rows: encoding ----------------------------------------------------- */

/*
 * Key parts sort as memcmp sorts bytes: a string is its bytes with 0x00
 * written 0x00 0xff, then 0x00 0x00 (so a prefix sorts first and no
 * string can run into the next part); numbers are big-endian.
 */
static void enc_str(struct kcs_buf *b, const char *s, size_t len)
{
	size_t i, from = 0;

	for (i = 0; i < len; i++)
		if (!s[i]) {
			kcs_buf_add(b, s + from, i - from + 1);
			kcs_buf_addch(b, (char)0xff);
			from = i + 1;
		}
	kcs_buf_add(b, s + from, len - from);
	kcs_buf_add(b, "\0\0", 2);
}

static void enc_num(struct kcs_buf *b, unsigned long long v, int bytes)
{
	unsigned char p[8];
	int i;

	for (i = 0; i < bytes; i++)
		p[i] = (unsigned char)(v >> (8 * (bytes - 1 - i)));
	kcs_buf_add(b, p, (size_t)bytes);
}

/* The fixed part of a row's payload; the strings follow, in this order. */
enum { S_NS, S_WKIND, S_WNAME, S_POD, S_UID, S_CNAME, S_EXEMPT, S_KUBECTL,
       S_PATCH, S_NOTES, S_COUNT };

struct row_fixed {
	unsigned long long seq, pods_total, pods_fail;
	const char *source_file;
	unsigned long source_line, exempt_line;
	unsigned index, flags;
	uint32_t len[S_COUNT];
	unsigned char has[S_COUNT]; /* the string is present (not NULL) */
	unsigned char kind, resolved, wverdict, has_fix, automatic;
	unsigned char pod_verdict, pod_reason, host_network, node_known;
	unsigned char runtime, ctype, verdict, reason, has_exposure;
	unsigned char exposure, exposure_reason, exposure_flags;
	unsigned char exempt_source;
	unsigned short n_notes;
	char exempt_expires[11];
};

/* Build the payload of `x` with the strings given (NULL: absent). */
static void enc_payload(struct kcs_rows *r, const struct kcs_row *x,
			const char *const str[S_COUNT],
			const size_t len[S_COUNT])
{
	struct row_fixed f;
	size_t i;

	memset(&f, 0, sizeof(f));
	f.seq = x->seq;
	f.pods_total = x->pods_total;
	f.pods_fail = x->pods_fail;
	f.source_file = x->source_file;
	f.source_line = x->source_line;
	f.exempt_line = x->exempt_line;
	f.index = x->index;
	f.flags = x->flags;
	f.kind = (unsigned char)x->kind;
	f.resolved = x->resolved;
	f.wverdict = (unsigned char)x->wverdict;
	f.has_fix = x->has_fix;
	f.automatic = x->automatic;
	f.pod_verdict = (unsigned char)x->pod_verdict;
	f.pod_reason = (unsigned char)x->pod_reason;
	f.host_network = x->host_network;
	f.node_known = x->node_known;
	f.runtime = x->runtime;
	f.ctype = (unsigned char)x->ctype;
	f.verdict = (unsigned char)x->verdict;
	f.reason = (unsigned char)x->reason;
	f.has_exposure = x->has_exposure;
	f.exposure = x->exposure;
	f.exposure_reason = x->exposure_reason;
	f.exposure_flags = x->exposure_flags;
	f.exempt_source = (unsigned char)x->exempt_source;
	f.n_notes = (unsigned short)x->n_notes;
	memcpy(f.exempt_expires, x->exempt_expires, sizeof(f.exempt_expires));
	for (i = 0; i < S_COUNT; i++) {
		f.has[i] = str[i] != NULL;
		f.len[i] = str[i] ? (uint32_t)len[i] : 0;
	}
	kcs_buf_reset(&r->pay);
	kcs_buf_add(&r->pay, &f, sizeof(f));
	for (i = 0; i < S_COUNT; i++)
		if (str[i])
			kcs_buf_add(&r->pay, str[i], len[i]);
}

static void enc_key_head(struct kcs_rows *r, const struct kcs_row *x)
{
	kcs_buf_reset(&r->key);
	enc_str(&r->key, x->ns, x->ns_len);
	enc_str(&r->key, x->wkind, strlen(x->wkind));
	enc_str(&r->key, x->wname, x->wname_len);
	enc_num(&r->key, (unsigned)x->kind, 1);
}

/* Add row `x` (strings from its pointer fields). */
static enum kcs_err add_row(struct kcs_rows *r, const struct kcs_row *x,
			    size_t notes_len, struct kcs_error *err)
{
	const char *str[S_COUNT];
	size_t len[S_COUNT];

	str[S_NS] = x->ns, len[S_NS] = x->ns_len;
	str[S_WKIND] = x->wkind, len[S_WKIND] = strlen(x->wkind);
	str[S_WNAME] = x->wname, len[S_WNAME] = x->wname_len;
	str[S_POD] = x->pod, len[S_POD] = x->pod_len;
	str[S_UID] = x->uid, len[S_UID] = x->uid_len;
	str[S_CNAME] = x->cname, len[S_CNAME] = x->cname_len;
	str[S_EXEMPT] = x->exempt_reason;
	len[S_EXEMPT] = x->exempt_reason ? strlen(x->exempt_reason) : 0;
	str[S_KUBECTL] = x->kubectl;
	len[S_KUBECTL] = x->kubectl ? strlen(x->kubectl) : 0;
	str[S_PATCH] = x->json_patch;
	len[S_PATCH] = x->json_patch ? strlen(x->json_patch) : 0;
	str[S_NOTES] = x->notes, len[S_NOTES] = notes_len;
	enc_key_head(r, x);
	switch (x->kind) {
	case KCS_ROW_WORKLOAD:
		break;
	case KCS_ROW_POD:
		enc_num(&r->key, x->seq, 8);
		break;
	case KCS_ROW_POD_FAIL:
		enc_num(&r->key, (unsigned)x->pod_reason, 1);
		enc_num(&r->key, x->seq, 8);
		break;
	case KCS_ROW_CONTAINER:
		/* same container, same result, same exposure: adjacent */
		enc_num(&r->key, (unsigned)x->ctype, 1);
		enc_num(&r->key, x->index, 4);
		enc_str(&r->key, x->cname, x->cname_len);
		enc_num(&r->key, (unsigned)x->verdict, 1);
		enc_num(&r->key, (unsigned)x->reason, 1);
		enc_num(&r->key, x->flags, 4);
		enc_num(&r->key, (unsigned)x->exempt_source, 1);
		enc_num(&r->key, x->exempt_line, 8);
		enc_str(&r->key, x->exempt_expires, strlen(x->exempt_expires));
		enc_str(&r->key, str[S_EXEMPT] ? str[S_EXEMPT] : "",
			len[S_EXEMPT]);
		enc_num(&r->key, x->has_exposure, 1);
		enc_num(&r->key, x->exposure, 1);
		enc_num(&r->key, x->exposure_reason, 1);
		enc_num(&r->key, x->node_known, 1);
		enc_num(&r->key, x->runtime, 1);
		enc_num(&r->key, x->seq, 8);
		break;
	}
	enc_payload(r, x, str, len);
	return sort_add(r, err);
}

struct kcs_rows *kcs_rows_new(void)
{
	struct kcs_rows *r = kcs_calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->fd = -1;
	r->run_bytes = KCS_ROWS_RUN_BYTES;
	r->fanin = KCS_ROWS_FANIN;
	/* a row holds a few names; a remediation at most its text limit */
	kcs_buf_init(&r->key, 64 * 1024);
	kcs_buf_init(&r->pay, KCS_REMEDY_TEXT_MAX + 64 * 1024);
	kcs_buf_init(&r->strs, KCS_REMEDY_TEXT_MAX + 64 * 1024);
	return r;
}

void kcs_rows_set_limits(struct kcs_rows *r, size_t run_bytes, size_t fanin)
{
	if (run_bytes)
		r->run_bytes = run_bytes;
	if (fanin >= 2)
		r->fanin = fanin;
}

void kcs_rows_free(struct kcs_rows *r)
{
	if (!r)
		return;
	rd_release(r);
	if (r->f)
		fclose(r->f);
	kcs_free(r->wb);
	kcs_free(r->run);
	kcs_free(r->idx);
	kcs_free(r->tmp);
	kcs_free(r->runs);
	kcs_buf_release(&r->key);
	kcs_buf_release(&r->pay);
	kcs_buf_release(&r->strs);
	kcs_free(r);
}

/* The fields every row of `pod` shares. */
static void pod_row(const struct kcs_pod *pod, unsigned long long seq,
		    struct kcs_row *x)
{
	const struct kcs_pod_runtime *where = pod->runtime;

	memset(x, 0, sizeof(*x));
	x->ns = pod->ns.s;
	x->ns_len = pod->ns.len;
	if (pod->workload.present) {
		x->wkind = pod->workload.kind;
		x->wname = pod->workload.name.s;
		x->wname_len = pod->workload.name.len;
	} else {
		x->wkind = "Pod";
		x->wname = pod->name.s;
		x->wname_len = pod->name.len;
	}
	x->resolved = pod->workload_resolved;
	x->seq = seq;
	x->pod = pod->name.s;
	x->pod_len = pod->name.len;
	if (pod->has_uid) {
		x->uid = pod->uid.s;
		x->uid_len = pod->uid.len;
	}
	x->pod_verdict = pod->verdict;
	x->pod_reason = pod->reason;
	x->host_network = pod->host_network;
	/* a manifest object, not a pod of a saved `kubectl get` listing */
	if (pod->source.file && (pod->source.kind[0] || pod->source.line)) {
		x->source_file = pod->source.file;
		x->source_line = pod->source.line;
	}
	if (where && where->node) {
		x->node_known = 1;
		x->runtime = (unsigned char)where->node->runtime;
	}
	x->exempt_reason = "";
}

enum kcs_err kcs_rows_add_pod(struct kcs_rows *r, const struct kcs_pod *pod,
			      struct kcs_error *err)
{
	unsigned long long seq = r->seq++;
	struct kcs_row x;
	enum kcs_err rc;
	size_t i;

	if (pod->verdict == KCS_VERDICT_FAIL ||
	    pod->verdict == KCS_VERDICT_EXEMPT) {
		pod_row(pod, seq, &x);
		x.kind = KCS_ROW_POD;
		if ((rc = add_row(r, &x, 0, err)))
			return rc;
	}
	if (pod->reason != KCS_PR_NONE) {
		pod_row(pod, seq, &x);
		x.kind = KCS_ROW_POD_FAIL;
		if ((rc = add_row(r, &x, 0, err)))
			return rc;
	}
	for (i = 0; i < pod->n; i++) {
		const struct kcs_container *c = &pod->containers[i];

		if (c->verdict != KCS_VERDICT_FAIL &&
		    c->verdict != KCS_VERDICT_EXEMPT)
			continue;
		pod_row(pod, seq, &x);
		x.kind = KCS_ROW_CONTAINER;
		x.ctype = c->type;
		x.index = c->index;
		x.cname = c->name.s;
		x.cname_len = c->name.len;
		x.verdict = c->verdict;
		x.reason = c->reason;
		x.flags = c->flags;
		x.has_exposure = c->has_exposure;
		x.exposure = c->exposure;
		x.exposure_reason = c->exposure_reason;
		x.exposure_flags = c->exposure_flags;
		if (!c->has_exposure)
			x.node_known = x.runtime = 0;
		if (c->verdict == KCS_VERDICT_EXEMPT) {
			x.exempt_source = c->exempt_source;
			x.exempt_reason = c->exempt_reason;
			memcpy(x.exempt_expires, c->exempt_expires,
			       sizeof(x.exempt_expires));
			x.exempt_expires[10] = '\0';
			x.exempt_line = c->exempt_line;
		}
		if ((rc = add_row(r, &x, 0, err)))
			return rc;
	}
	return KCS_OK;
}

enum kcs_err kcs_rows_add_workload(struct kcs_rows *r,
				   const struct kcs_workload *w,
				   struct kcs_error *err)
{
	struct kcs_remedy fix = KCS_REMEDY_INIT;
	struct kcs_buf notes = KCS_BUF_INIT(KCS_REMEDY_TEXT_MAX);
	struct kcs_row x;
	enum kcs_err rc;
	size_t i;

	memset(&x, 0, sizeof(x));
	x.kind = KCS_ROW_WORKLOAD;
	x.ns = w->ns;
	x.ns_len = w->ns_len;
	x.wkind = w->kind;
	x.wname = w->name;
	x.wname_len = w->name_len;
	x.resolved = w->resolved;
	x.wverdict = (enum kcs_verdict)w->verdict;
	x.pods_total = w->pods_total;
	x.pods_fail = w->pods_fail;
	x.source_file = w->source_file;
	x.source_line = w->source_line;
	x.exempt_reason = "";
	if ((rc = kcs_report_remedy(w, &fix, err)))
		return rc;
	if (fix.failing) {
		x.has_fix = 1;
		x.automatic = fix.automatic;
		x.kubectl = fix.kubectl;
		x.json_patch = fix.json_patch;
		for (i = 0; i < fix.n_notes; i++)
			kcs_buf_add(&notes, fix.notes[i], strlen(fix.notes[i]) + 1);
		x.notes = notes.buf;
		x.n_notes = fix.n_notes;
	}
	if (notes.err)
		rc = kcs_error_set(err, notes.err, "remediation notes too long");
	else
		rc = add_row(r, &x, notes.len, err);
	kcs_buf_release(&notes);
	kcs_remedy_release(&fix);
	return rc;
}

static enum kcs_err add_workload_cb(const struct kcs_workload *w, void *user,
				    struct kcs_error *err)
{
	return kcs_rows_add_workload(user, w, err);
}

enum kcs_err kcs_rows_add_workloads(struct kcs_rows *r,
				    struct kcs_workloads *t,
				    struct kcs_error *err)
{
	if (!t)
		return KCS_OK;
	return kcs_workloads_each(t, add_workload_cb, r, err);
}

/* ---- rows: decoding ------------------------------------------------------ */

static enum kcs_err decode(struct kcs_rows *r, const unsigned char *rec,
			   struct kcs_error *err)
{
	struct kcs_row *x = &r->row;
	struct row_fixed f;
	const char *str[S_COUNT];
	size_t total = rd32(rec), off = REC_HDR + rd32(rec + 4), i;

	if (off + sizeof(f) > total)
		goto bad;
	memcpy(&f, rec + off, sizeof(f));
	off += sizeof(f);
	for (i = 0; i < S_COUNT; i++) {
		if (f.len[i] > total - off)
			goto bad;
		str[i] = f.has[i] ? (const char *)rec + off : NULL;
		off += f.len[i];
	}
	memset(x, 0, sizeof(*x));
	x->kind = (enum kcs_row_kind)f.kind;
	x->ns = str[S_NS];
	x->ns_len = f.len[S_NS];
	x->wname = str[S_WNAME];
	x->wname_len = f.len[S_WNAME];
	x->pod = str[S_POD];
	x->pod_len = f.len[S_POD];
	x->uid = str[S_UID];
	x->uid_len = f.len[S_UID];
	x->cname = str[S_CNAME];
	x->cname_len = f.len[S_CNAME];
	/* NUL-terminated strings are copied into the row's own buffers */
	if (f.len[S_WKIND] >= sizeof(r->wkind_buf) || !str[S_NS] ||
	    !str[S_WKIND] || !str[S_WNAME])
		goto bad;
	memcpy(r->wkind_buf, str[S_WKIND], f.len[S_WKIND]);
	r->wkind_buf[f.len[S_WKIND]] = '\0';
	x->wkind = r->wkind_buf;
	x->seq = f.seq;
	x->resolved = f.resolved;
	x->wverdict = (enum kcs_verdict)f.wverdict;
	x->pods_total = f.pods_total;
	x->pods_fail = f.pods_fail;
	x->has_fix = f.has_fix;
	x->automatic = f.automatic;
	x->n_notes = f.n_notes;
	x->pod_verdict = (enum kcs_verdict)f.pod_verdict;
	x->pod_reason = (enum kcs_pod_reason)f.pod_reason;
	x->host_network = f.host_network;
	x->source_file = f.source_file;
	x->source_line = f.source_line;
	x->node_known = f.node_known;
	x->runtime = f.runtime;
	x->ctype = (enum kcs_ctype)f.ctype;
	x->index = f.index;
	x->verdict = (enum kcs_verdict)f.verdict;
	x->reason = (enum kcs_reason)f.reason;
	x->flags = f.flags;
	x->has_exposure = f.has_exposure;
	x->exposure = f.exposure;
	x->exposure_reason = f.exposure_reason;
	x->exposure_flags = f.exposure_flags;
	x->exempt_source = (enum kcs_exempt_source)f.exempt_source;
	x->exempt_line = f.exempt_line;
	memcpy(x->exempt_expires, f.exempt_expires, sizeof(x->exempt_expires));
	x->exempt_expires[10] = '\0';
	/* the long strings: terminated copies in a scratch buffer */
	kcs_buf_reset(&r->strs);
	r->str_off[0] = r->strs.len;
	kcs_buf_add(&r->strs, str[S_EXEMPT] ? str[S_EXEMPT] : "",
		    f.len[S_EXEMPT]);
	kcs_buf_addch(&r->strs, '\0');
	r->str_off[1] = r->strs.len;
	kcs_buf_add(&r->strs, str[S_KUBECTL] ? str[S_KUBECTL] : "",
		    f.len[S_KUBECTL]);
	kcs_buf_addch(&r->strs, '\0');
	r->str_off[2] = r->strs.len;
	kcs_buf_add(&r->strs, str[S_PATCH] ? str[S_PATCH] : "",
		    f.len[S_PATCH]);
	kcs_buf_addch(&r->strs, '\0');
	r->str_off[3] = r->strs.len;
	kcs_buf_add(&r->strs, str[S_NOTES] ? str[S_NOTES] : "",
		    f.len[S_NOTES]);
	kcs_buf_addch(&r->strs, '\0');
	if (r->strs.err)
		return kcs_error_set(err, r->strs.err, "out of memory");
	x->exempt_reason = r->strs.buf + r->str_off[0];
	x->kubectl = str[S_KUBECTL] ? r->strs.buf + r->str_off[1] : NULL;
	x->json_patch = str[S_PATCH] ? r->strs.buf + r->str_off[2] : NULL;
	x->notes = str[S_NOTES] ? r->strs.buf + r->str_off[3] : NULL;
	return KCS_OK;
bad:
	r->io = EIO;
	return rows_io_error(r, err);
}

enum kcs_err kcs_rows_peek(struct kcs_rows *r, const struct kcs_row **row,
			   struct kcs_error *err)
{
	const unsigned char *rec;
	enum kcs_err rc;

	*row = NULL;
	if ((rc = sort_top(r, &rec, err)))
		return rc;
	if (!rec)
		return KCS_OK;
	if (rec != r->decoded) {
		r->decoded = NULL;
		if ((rc = decode(r, rec, err)))
			return rc;
		r->decoded = rec;
	}
	*row = &r->row;
	return KCS_OK;
}

enum kcs_err kcs_rows_next(struct kcs_rows *r, const struct kcs_row **row,
			   struct kcs_error *err)
{
	enum kcs_err rc = kcs_rows_peek(r, row, err);

	if (!rc && *row)
		r->consumed = 1;
	return rc;
}

int kcs_row_is_workload(const struct kcs_row *x, const char *ns,
			size_t ns_len, const char *kind, const char *name,
			size_t name_len)
{
	return x->ns_len == ns_len && !memcmp(x->ns, ns, ns_len) &&
	       !strcmp(x->wkind, kind) && x->wname_len == name_len &&
	       !memcmp(x->wname, name, name_len);
}

int kcs_report_ns_cmp(const char *a, size_t al, const char *b, size_t bl)
{
	int c = memcmp(a, b, al < bl ? al : bl);

	if (c)
		return c;
	return al < bl ? -1 : al > bl;
}

/* ---- one workload's rows, gathered ------------------------------------ */

void kcs_wgroup_init(struct kcs_wgroup *g)
{
	memset(g, 0, sizeof(*g));
	/* names, the exemption reasons of at most 64 rows, a remediation */
	kcs_buf_init(&g->text, 2 * KCS_REMEDY_TEXT_MAX);
}

void kcs_wgroup_release(struct kcs_wgroup *g)
{
	if (g)
		kcs_buf_release(&g->text);
}

static size_t wg_keep(struct kcs_wgroup *g, const char *s, size_t len)
{
	size_t off = g->text.len;

	kcs_buf_add(&g->text, s, len);
	kcs_buf_addch(&g->text, '\0');
	return off;
}

/* The first row of a workload starts the group. */
static void wg_start(struct kcs_wgroup *g, const struct kcs_row *x)
{
	struct kcs_buf keep = g->text;

	memset(g, 0, offsetof(struct kcs_wgroup, text));
	g->text = keep;
	kcs_buf_reset(&g->text);
	g->ns_off = wg_keep(g, x->ns, x->ns_len);
	g->ns_len = x->ns_len;
	snprintf(g->kind, sizeof(g->kind), "%s", x->wkind);
	g->name_off = wg_keep(g, x->wname, x->wname_len);
	g->name_len = x->wname_len;
	g->resolved = x->resolved;
	g->verdict = KCS_VERDICT_NOT_APPLICABLE;
	g->kubectl_off = g->patch_off = g->notes_off = (size_t)-1;
}

static void wg_workload(struct kcs_wgroup *g, const struct kcs_row *x)
{
	size_t i, n = 0;

	g->known = 1;
	g->resolved = x->resolved;
	g->verdict = x->wverdict;
	g->pods_total = x->pods_total;
	g->pods_fail = x->pods_fail;
	g->source_file = x->source_file;
	g->source_line = x->source_line;
	g->has_fix = x->has_fix;
	g->automatic = x->automatic;
	if (x->kubectl)
		g->kubectl_off = wg_keep(g, x->kubectl, strlen(x->kubectl));
	if (x->json_patch)
		g->patch_off = wg_keep(g, x->json_patch, strlen(x->json_patch));
	if (x->notes) {
		for (i = 0; i < x->n_notes; i++)
			n += strlen(x->notes + n) + 1;
		g->notes_off = g->text.len;
		kcs_buf_add(&g->text, x->notes, n);
		g->n_notes = x->n_notes;
	}
}

/* Is row x the same as the group's last row, or the same container? */
static int wg_same(const struct kcs_wgroup *g, const struct kcs_wg_row *w,
		   const struct kcs_row *x, int exposure_too)
{
	if (w->pod_level)
		return x->kind == KCS_ROW_POD_FAIL &&
		       w->reason == (unsigned)x->pod_reason;
	if (x->kind != KCS_ROW_CONTAINER || w->ctype != x->ctype ||
	    w->index != x->index || w->name_len != x->cname_len ||
	    memcmp(g->text.buf + w->name_off, x->cname, x->cname_len) ||
	    w->verdict != x->verdict || w->reason != (unsigned)x->reason ||
	    w->flags != x->flags || w->exempt_source != x->exempt_source ||
	    w->exempt_line != x->exempt_line ||
	    strcmp(w->exempt_expires, x->exempt_expires) ||
	    strcmp(g->text.buf + w->exempt_off, x->exempt_reason))
		return 0;
	return !exposure_too ||
	       (w->has_exposure == x->has_exposure &&
		w->exposure == x->exposure &&
		w->exposure_reason == x->exposure_reason &&
		w->node_known == x->node_known && w->runtime == x->runtime);
}

static void wg_row(struct kcs_wgroup *g, const struct kcs_row *x)
{
	struct kcs_wg_row *w = g->n_rows ? &g->rows[g->n_rows - 1] : NULL;
	int same_ctr;

	if (w && wg_same(g, w, x, 1)) {
		w->pods++;
		return;
	}
	same_ctr = w && !w->pod_level && wg_same(g, w, x, 0);
	if (g->n_rows == KCS_WGROUP_MAX_ROWS) {
		g->rows_cut++;
		return;
	}
	w = &g->rows[g->n_rows++];
	memset(w, 0, sizeof(*w));
	w->pods = 1;
	if (x->kind == KCS_ROW_POD_FAIL) {
		w->pod_level = 1;
		w->verdict = KCS_VERDICT_FAIL;
		w->reason = (unsigned)x->pod_reason;
		w->name_off = wg_keep(g, x->pod, x->pod_len);
		w->name_len = x->pod_len;
		w->exempt_off = wg_keep(g, "", 0);
		return;
	}
	w->same_container = (unsigned char)same_ctr;
	w->ctype = x->ctype;
	w->index = x->index;
	w->name_off = wg_keep(g, x->cname, x->cname_len);
	w->name_len = x->cname_len;
	w->verdict = x->verdict;
	w->reason = (unsigned)x->reason;
	w->flags = x->flags;
	w->exempt_source = x->exempt_source;
	w->exempt_off = wg_keep(g, x->exempt_reason, strlen(x->exempt_reason));
	memcpy(w->exempt_expires, x->exempt_expires, sizeof(w->exempt_expires));
	w->exempt_line = x->exempt_line;
	w->has_exposure = x->has_exposure;
	w->exposure = x->exposure;
	w->exposure_reason = x->exposure_reason;
	w->node_known = x->node_known;
	w->runtime = x->runtime;
}

/* Offsets become pointers once the text no longer moves. */
static void wg_fix_pointers(struct kcs_wgroup *g)
{
	const char *t = g->text.buf;
	size_t i;

	g->ns = t + g->ns_off;
	g->name = t + g->name_off;
	g->kubectl = g->kubectl_off == (size_t)-1 ? NULL : t + g->kubectl_off;
	g->json_patch = g->patch_off == (size_t)-1 ? NULL : t + g->patch_off;
	g->notes = g->notes_off == (size_t)-1 ? NULL : t + g->notes_off;
	for (i = 0; i < g->n_rows; i++) {
		g->rows[i].name = t + g->rows[i].name_off;
		g->rows[i].exempt_reason = t + g->rows[i].exempt_off;
	}
	for (i = 0; i < g->n_fail_pods_kept; i++)
		g->fail_pods[i] = t + g->pod_offs[i];
}

enum kcs_err kcs_wgroup_next(struct kcs_rows *r, struct kcs_wgroup *g,
			     int *more, struct kcs_error *err)
{
	const struct kcs_row *x;
	enum kcs_err rc;

	*more = 0;
	if ((rc = kcs_rows_next(r, &x, err)) || !x)
		return rc;
	wg_start(g, x);
	for (;;) {
		switch (x->kind) {
		case KCS_ROW_WORKLOAD:
			wg_workload(g, x);
			break;
		case KCS_ROW_POD:
			if (x->pod_verdict != KCS_VERDICT_FAIL)
				break;
			if (g->n_fail_pods_kept < KCS_WGROUP_MAX_PODS) {
				size_t k = g->n_fail_pods_kept++;

				g->pod_offs[k] = wg_keep(g, x->pod, x->pod_len);
				g->fail_pod_lens[k] = x->pod_len;
			}
			g->n_fail_pods++;
			break;
		case KCS_ROW_POD_FAIL:
		case KCS_ROW_CONTAINER:
			wg_row(g, x);
			break;
		}
		if (g->text.err)
			break; /* the offsets point nowhere: reported below */
		if ((rc = kcs_rows_peek(r, &x, err)))
			return rc;
		if (!x || !kcs_row_is_workload(x, g->text.buf + g->ns_off,
					       g->ns_len, g->kind,
					       g->text.buf + g->name_off,
					       g->name_len))
			break;
		if ((rc = kcs_rows_next(r, &x, err)))
			return rc;
	}
	if (g->text.err)
		return kcs_error_set(err, g->text.err,
				     "a workload's report rows are too large");
	if (!g->known) {
		/* no record in the workload table (never expected): judge
		 * from the rows, never better than they say */
		g->pods_fail = g->n_fail_pods;
		g->pods_total = g->n_fail_pods;
		g->verdict = g->n_fail_pods ? KCS_VERDICT_FAIL
					    : KCS_VERDICT_EXEMPT;
	}
	wg_fix_pointers(g);
	*more = 1;
	return KCS_OK;
}

int kcs_wgroup_in_ns(const struct kcs_wgroup *g, const char *ns, size_t len)
{
	return g->ns_len == len && !memcmp(g->ns, ns, len);
}

/* ---- remediation ------------------------------------------------------- */

enum kcs_err kcs_report_remedy(const struct kcs_workload *w,
			       struct kcs_remedy *out, struct kcs_error *err)
{
	struct kcs_remedy_workload rw;
	struct kcs_container *cs = NULL;
	size_t n = 0;
	enum kcs_err rc;

	if (!w->n_failing)
		return KCS_OK;
	/* as report_json.c's json_workload() builds it */
	memset(&rw, 0, sizeof(rw));
	rw.ns = w->ns;
	rw.ns_len = w->ns_len;
	rw.kind = w->kind;
	rw.name = w->name;
	rw.name_len = w->name_len;
	rw.owner_kind = w->owner_kind;
	rw.owner_name = w->owner_name;
	rw.owner_name_len = w->owner_name ? strlen(w->owner_name) : 0;
	rw.resolved = w->resolved;
	rw.owner_gone = w->owner_gone;
	rw.source_file = w->source_file;
	rw.source_line = w->source_line;
	rc = kcs_workload_containers(w, &cs, &n, err);
	if (!rc)
		rc = kcs_remediate_workload(&rw, cs, n, out, err);
	kcs_free(cs);
	return rc;
}

const char *kcs_report_kind_api_version(const char *kind)
{
	static const struct {
		const char *kind, *api;
	} kinds[] = {
		{ "CronJob", "batch/v1" },      { "DaemonSet", "apps/v1" },
		{ "Deployment", "apps/v1" },    { "Job", "batch/v1" },
		{ "Pod", "v1" },                { "PodTemplate", "v1" },
		{ "ReplicaSet", "apps/v1" },    { "ReplicationController", "v1" },
		{ "StatefulSet", "apps/v1" },
	};
	size_t i;

	for (i = 0; i < KCS_ARRAY_SIZE(kinds); i++)
		if (!strcmp(kinds[i].kind, kind))
			return kinds[i].api;
	return NULL;
}

/* ---- embedding JSON text ------------------------------------------------ */

static int em_null(void *g)
{
	return yajl_gen_null(g) == yajl_gen_status_ok;
}

static int em_bool(void *g, int b)
{
	return yajl_gen_bool(g, b) == yajl_gen_status_ok;
}

static int em_number(void *g, const char *s, size_t len)
{
	return yajl_gen_number(g, s, len) == yajl_gen_status_ok;
}

static int em_string(void *g, const unsigned char *s, size_t len)
{
	kcs_json_strn(g, (const char *)s, len);
	return 1;
}

static int em_map_open(void *g)
{
	return yajl_gen_map_open(g) == yajl_gen_status_ok;
}

static int em_map_close(void *g)
{
	return yajl_gen_map_close(g) == yajl_gen_status_ok;
}

static int em_array_open(void *g)
{
	return yajl_gen_array_open(g) == yajl_gen_status_ok;
}

static int em_array_close(void *g)
{
	return yajl_gen_array_close(g) == yajl_gen_status_ok;
}

enum kcs_err kcs_json_embed(yajl_gen g, const char *s, size_t len,
			    struct kcs_error *err)
{
	static const yajl_callbacks cbs = {
		.yajl_null = em_null,
		.yajl_boolean = em_bool,
		.yajl_number = em_number,
		.yajl_string = em_string,
		.yajl_start_map = em_map_open,
		.yajl_map_key = em_string,
		.yajl_end_map = em_map_close,
		.yajl_start_array = em_array_open,
		.yajl_end_array = em_array_close,
	};
	yajl_handle h = yajl_alloc(&cbs, &kcs_yajl_alloc_funcs, g);
	yajl_status st;

	if (!h)
		return kcs_error_set(err, KCS_ERR_NOMEM, "out of memory");
	st = yajl_parse(h, (const unsigned char *)s, len);
	if (st == yajl_status_ok)
		st = yajl_complete_parse(h);
	yajl_free(h);
	if (st != yajl_status_ok)
		return kcs_error_set(err, KCS_ERR_PARSE,
				     "a report's embedded JSON is invalid");
	return KCS_OK;
}

enum kcs_err kcs_json_runtime_nodes(yajl_gen g,
				    const struct kcs_scan_result *res,
				    struct kcs_error *err)
{
	struct kcs_runtime_count *rows = NULL;
	size_t n = 0, i;
	enum kcs_err rc;

	kcs_json_kbool(g, "nodesRead", res->nodes != NULL);
	kcs_json_str(g, "nodes");
	yajl_gen_array_open(g);
	if (res->nodes) {
		if ((rc = kcs_nodes_summary(res->nodes, &rows, &n, err)))
			return rc;
		for (i = 0; i < n; i++) {
			yajl_gen_map_open(g);
			kcs_json_kv(g, "runtime", kcs_runtime_name(rows[i].runtime));
			kcs_json_kv(g, "version", rows[i].version);
			kcs_json_kint(g, "nodes", (long long)rows[i].nodes);
			yajl_gen_map_close(g);
		}
		kcs_free(rows);
	}
	yajl_gen_array_close(g);
	return KCS_OK;
}

void kcs_json_drift_namespaces(yajl_gen g, const struct kcs_drift *d)
{
	static const struct {
		const char *key;
		enum kcs_drift_list list;
	} lists[] = {
		{ "newNamespaces", KCS_DRIFT_NEW_NAMESPACES },
		{ "removedNamespaces", KCS_DRIFT_REMOVED_NAMESPACES },
	};
	const struct kcs_drift_item *items;
	size_t i, j, n;

	for (i = 0; i < KCS_ARRAY_SIZE(lists); i++) {
		kcs_json_str(g, lists[i].key);
		yajl_gen_array_open(g);
		items = kcs_drift_items(d, lists[i].list, &n);
		for (j = 0; j < n; j++)
			kcs_json_strn(g, items[j].ns, items[j].ns_len);
		yajl_gen_array_close(g);
	}
}
