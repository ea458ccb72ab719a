/*
 * fuzz_report_roundtrip.c - pods in, JSON report out, report parsed back.
 *
 * The input is a pod document (as -f reads it). It is scanned with the
 * JSON report on a memory stream, and the report is then parsed back with
 * a yajl callback parser (never yajl_tree) that checks:
 *   - it is one valid JSON document (UTF-8 validated, so names holding
 *     invalid UTF-8 or NUL bytes must have been escaped properly);
 *   - its top level holds each key docs/schema/kubecapscan-v1.schema.json
 *     requires exactly once (read from the schema at run time, and at
 *     least schemaVersion, pods, namespaces, summary, complete, errors),
 *     no key the schema does not declare, and schemaVersion is ours;
 *   - pods[] holds exactly the pods the reader handed over, in order, with
 *     the same namespace and name bytes (a digest of both sides);
 *   - summary.pods.total equals that number and pass + fail +
 *     notApplicable add up to it, each matching the verdicts in pods[];
 *   - complete is true exactly when the input was read without error, and
 *     errors[] then is empty (else it holds the one input error).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_parse.h>

#include "kcs/audit.h"
#include "kcs/input.h"
#include "kcs/reader.h"
#include "kcs/report.h"
#include "kcs/scan.h"
#include "fuzz.h"
#include "kcs/banned.h"

/* Deepest report nesting accepted (the schema's is 5). */
#define MAX_DEPTH 16
/* Longest key remembered; the keys we look for are shorter. */
#define KEY_MAX 31

/*
 * The schema the report must follow, read once from docs/schema (its path
 * is compiled in as KCS_SCHEMA_PATH) so the check follows the schema as it
 * grows: the top level's "required" keys must each appear exactly once,
 * and with "additionalProperties": false no other key may.
 */
#ifndef KCS_SCHEMA_PATH
#error "KCS_SCHEMA_PATH must name docs/schema/kubecapscan-v1.schema.json"
#endif
/* Most top-level keys the schema may declare. */
#define MAX_TOP 64
/* Keys the report must have whatever the schema says (the fuzz brief). */
static const char *const must_keys[] = {
	"schemaVersion", "pods", "namespaces", "summary", "complete", "errors",
};

struct schema {
	char required[MAX_TOP][KEY_MAX + 1]; /* top-level "required" */
	size_t n_required;
	char allowed[MAX_TOP][KEY_MAX + 1];  /* top-level "properties" keys */
	size_t n_allowed;
	int closed;               /* "additionalProperties": false */
	size_t depth;             /* while reading the schema */
	char key[KEY_MAX + 1];    /* current top-level key of the schema */
};

static struct schema schema;

/* The pods summary counters we read back, by key. */
enum { C_TOTAL, C_PASS, C_FAIL, C_NA, C_N };
static const char *const count_keys[C_N] = {
	"total", "pass", "fail", "notApplicable",
};

/* One open map or array of the report. */
struct frame {
	int is_map;
	char key[KEY_MAX + 1]; /* the map's current key ("" when too long) */
};

/* A name as read back from the report. */
/*
 * A name as the report carries it: up to KCS_NAME_MAX input bytes, each of
 * which may have become the 3 bytes of U+FFFD if it was not valid UTF-8.
 */
#define REPORTED_NAME_MAX (3 * KCS_NAME_MAX)
struct bytes {
	size_t len;
	char s[REPORTED_NAME_MAX + 1];
	int seen;
};

/* Everything the parse-back learns. */
struct back {
	struct frame stack[MAX_DEPTH];
	size_t depth;
	size_t top_seen[MAX_TOP];   /* times each required key appeared */
	char top_keys[MAX_TOP][KEY_MAX + 1]; /* every top-level key, once */
	size_t n_top;
	int dup_top;                /* a top-level key appeared twice */
	int unknown_top;            /* a top-level key not in the schema */
	int schema_ok;              /* schemaVersion is ours */
	int complete;               /* -1 absent, else the boolean */
	size_t n_pods, n_errors;    /* elements of pods[] and errors[] */
	long long count[C_N];       /* summary.pods.*, -1 if absent */
	size_t verdicts[C_N];       /* PASS/FAIL/NOT_APPLICABLE in pods[] */
	struct bytes ns, name;      /* of the pod being read */
	struct fuzz_digest d;       /* (namespace, name) of every pod */
	int bad;                    /* a value where the schema has none */
};

/* What the scan handed the report. */
struct sent {
	struct kcs_scan *scan;
	struct fuzz_digest d;
	size_t n_pods;
};

static int key_is(const struct frame *f, const char *k)
{
	return strcmp(f->key, k) == 0;
}

/* Is the value about to start at pods[i].<key>? */
static int in_pod(const struct back *b, const char *key)
{
	return b->depth == 3 && key_is(&b->stack[0], "pods") &&
	       !b->stack[1].is_map && key_is(&b->stack[2], key);
}

static int in_summary_pods(const struct back *b)
{
	return b->depth == 3 && key_is(&b->stack[0], "summary") &&
	       key_is(&b->stack[1], "pods");
}

static int on_open(struct back *b, int is_map)
{
	if (b->depth == 2 && !b->stack[1].is_map) {
		if (key_is(&b->stack[0], "pods")) {
			b->n_pods++;
			b->ns.seen = b->name.seen = 0;
		} else if (key_is(&b->stack[0], "errors")) {
			b->n_errors++;
		}
	}
	if (b->depth == MAX_DEPTH)
		return 0;
	b->stack[b->depth].is_map = is_map;
	b->stack[b->depth].key[0] = '\0';
	b->depth++;
	return 1;
}

static int cb_start_map(void *ctx)
{
	return on_open(ctx, 1);
}

static int cb_start_array(void *ctx)
{
	return on_open(ctx, 0);
}

static int cb_end(void *ctx)
{
	struct back *b = ctx;

	b->depth--;
	/* A pod object of pods[] closed: digest what it named. */
	if (b->depth == 2 && key_is(&b->stack[0], "pods") &&
	    !b->stack[1].is_map) {
		if (!b->ns.seen || !b->name.seen)
			b->bad = 1;
		fuzz_digest_bytes(&b->d, b->ns.s, b->ns.len);
		fuzz_digest_bytes(&b->d, b->name.s, b->name.len);
	}
	return 1;
}

static int cb_key(void *ctx, const unsigned char *k, size_t len)
{
	struct back *b = ctx;
	struct frame *f = &b->stack[b->depth - 1];
	size_t i;

	if (len > KEY_MAX)
		len = 0;
	memcpy(f->key, k, len);
	f->key[len] = '\0';
	if (b->depth != 1)
		return 1;
	for (i = 0; i < b->n_top; i++)
		if (key_is(f, b->top_keys[i]))
			b->dup_top = 1;
	if (b->n_top < MAX_TOP)
		memcpy(b->top_keys[b->n_top++], f->key, len + 1);
	for (i = 0; i < schema.n_required; i++)
		if (len && key_is(f, schema.required[i]))
			b->top_seen[i]++;
	for (i = 0; i < schema.n_allowed; i++)
		if (len && key_is(f, schema.allowed[i]))
			return 1;
	if (schema.closed)
		b->unknown_top = 1;
	return 1;
}

static void keep(struct back *b, struct bytes *dst, const unsigned char *s,
		 size_t len)
{
	if (len > REPORTED_NAME_MAX) {
		b->bad = 1;
		len = 0;
	}
	memcpy(dst->s, s, len);
	dst->len = len;
	dst->seen = 1;
}

static int cb_string(void *ctx, const unsigned char *s, size_t len)
{
	struct back *b = ctx;
	size_t i;

	if (b->depth == 1 && key_is(&b->stack[0], "schemaVersion"))
		b->schema_ok = len == strlen(KCS_SCHEMA_VERSION) &&
			       !memcmp(s, KCS_SCHEMA_VERSION, len);
	if (in_pod(b, "namespace"))
		keep(b, &b->ns, s, len);
	if (in_pod(b, "name"))
		keep(b, &b->name, s, len);
	if (in_pod(b, "verdict")) {
		static const char *const names[C_N] = {
			"", "PASS", "FAIL", "NOT_APPLICABLE",
		};

		for (i = C_PASS; i < C_N; i++)
			if (len == strlen(names[i]) &&
			    !memcmp(s, names[i], len))
				b->verdicts[i]++;
	}
	return 1;
}

static int cb_number(void *ctx, const char *s, size_t len)
{
	struct back *b = ctx;
	char num[32];
	size_t i;

	if (!in_summary_pods(b))
		return 1;
	if (len >= sizeof(num)) {
		b->bad = 1;
		return 1;
	}
	memcpy(num, s, len);
	num[len] = '\0';
	for (i = 0; i < C_N; i++)
		if (key_is(&b->stack[2], count_keys[i]))
			b->count[i] = strtoll(num, NULL, 10);
	return 1;
}

static int cb_boolean(void *ctx, int v)
{
	struct back *b = ctx;

	if (b->depth == 1 && key_is(&b->stack[0], "complete"))
		b->complete = v;
	return 1;
}

static int cb_null(void *ctx)
{
	struct back *b = ctx;

	if (in_pod(b, "namespace") || in_pod(b, "name"))
		b->bad = 1;
	return 1;
}

static const yajl_callbacks back_callbacks = {
	.yajl_null = cb_null,
	.yajl_boolean = cb_boolean,
	.yajl_number = cb_number,
	.yajl_string = cb_string,
	.yajl_start_map = cb_start_map,
	.yajl_map_key = cb_key,
	.yajl_end_map = cb_end,
	.yajl_start_array = cb_start_array,
	.yajl_end_array = cb_end,
};

/* ---- reading the schema (once) ---------------------------------------- */

static int sc_open(void *ctx)
{
	struct schema *sc = ctx;

	sc->depth++;
	return 1;
}

static int sc_close(void *ctx)
{
	struct schema *sc = ctx;

	if (--sc->depth == 1)
		sc->key[0] = '\0';
	return 1;
}

static void sc_add(char (*list)[KEY_MAX + 1], size_t *n,
		   const unsigned char *s, size_t len)
{
	FUZZ_CHECK(*n < MAX_TOP && len > 0 && len <= KEY_MAX);
	memcpy(list[*n], s, len);
	list[*n][len] = '\0';
	(*n)++;
}

static int sc_key(void *ctx, const unsigned char *k, size_t len)
{
	struct schema *sc = ctx;

	if (sc->depth == 1) {
		if (len > KEY_MAX)
			len = 0;
		memcpy(sc->key, k, len);
		sc->key[len] = '\0';
	} else if (sc->depth == 2 && !strcmp(sc->key, "properties")) {
		sc_add(sc->allowed, &sc->n_allowed, k, len);
	}
	return 1;
}

static int sc_string(void *ctx, const unsigned char *s, size_t len)
{
	struct schema *sc = ctx;

	if (sc->depth == 2 && !strcmp(sc->key, "required"))
		sc_add(sc->required, &sc->n_required, s, len);
	return 1;
}

static int sc_boolean(void *ctx, int v)
{
	struct schema *sc = ctx;

	if (sc->depth == 1 && !strcmp(sc->key, "additionalProperties"))
		sc->closed = !v;
	return 1;
}

static const yajl_callbacks schema_callbacks = {
	.yajl_boolean = sc_boolean,
	.yajl_string = sc_string,
	.yajl_start_map = sc_open,
	.yajl_map_key = sc_key,
	.yajl_end_map = sc_close,
	.yajl_start_array = sc_open,
	.yajl_end_array = sc_close,
};

static int is_required(const char *k)
{
	size_t i;

	for (i = 0; i < schema.n_required; i++)
		if (!strcmp(schema.required[i], k))
			return 1;
	return 0;
}

static void load_schema(void)
{
	static unsigned char buf[256 * 1024];
	FILE *f;
	size_t len, i;
	yajl_handle h;

	if (schema.n_required)
		return;
	f = fopen(KCS_SCHEMA_PATH, "rb");
	if (!f)
		fprintf(stderr, "cannot open '%s'\n", KCS_SCHEMA_PATH);
	FUZZ_CHECK(f != NULL);
	len = fread(buf, 1, sizeof(buf), f);
	FUZZ_CHECK(!ferror(f) && feof(f));
	fclose(f);
	h = yajl_alloc(&schema_callbacks, NULL, &schema);
	FUZZ_CHECK(h != NULL);
	FUZZ_CHECK(yajl_parse(h, buf, len) == yajl_status_ok &&
		   yajl_complete_parse(h) == yajl_status_ok);
	yajl_free(h);
	/* Not vacuous: the schema names at least what the brief asks for. */
	for (i = 0; i < KCS_ARRAY_SIZE(must_keys); i++)
		FUZZ_CHECK(is_required(must_keys[i]));
	FUZZ_CHECK(!schema.closed || schema.n_allowed >= schema.n_required);
}

/* ---- the report and the run -------------------------------------------- */

static void parse_back(const char *report, size_t len, struct back *b)
{
	yajl_handle h;
	size_t i;

	memset(b, 0, sizeof(*b));
	b->complete = -1;
	for (i = 0; i < C_N; i++)
		b->count[i] = -1;
	fuzz_digest_init(&b->d);
	h = yajl_alloc(&back_callbacks, NULL, b);
	FUZZ_CHECK(h != NULL);
	if (yajl_parse(h, (const unsigned char *)report, len) !=
		    yajl_status_ok ||
	    yajl_complete_parse(h) != yajl_status_ok) {
		unsigned char *msg = yajl_get_error(h, 1,
			(const unsigned char *)report, len);

		fprintf(stderr, "report is not valid JSON: %s\n", msg);
		yajl_free_error(h, msg);
		FUZZ_CHECK(!"the JSON report parses");
	}
	yajl_free(h);
}

/*
 * Digest a name as the report must carry it: valid UTF-8 as it is, each
 * byte of an invalid sequence as U+FFFD (kcs_json_strn's repair; a lone
 * surrogate escape such as \udc80 decodes to invalid UTF-8).
 */
static void digest_as_reported(struct fuzz_digest *d, const char *s, size_t len)
{
	char out[REPORTED_NAME_MAX + 1];
	unsigned long cp;
	size_t i = 0, o = 0, n;

	while (i < len) {
		n = kcs_utf8_char(s + i, len - i, &cp);
		if (n) {
			memcpy(out + o, s + i, n);
			o += n;
			i += n;
		} else {
			memcpy(out + o, "\xef\xbf\xbd", 3);
			o += 3;
			i++;
		}
	}
	fuzz_digest_bytes(d, out, o); /* one call: the digest counts them */
}

static enum kcs_err on_pod(struct kcs_pod *pod, void *user,
			   struct kcs_error *err)
{
	struct sent *s = user;

	digest_as_reported(&s->d, pod->ns.s, pod->ns.len);
	digest_as_reported(&s->d, pod->name.s, pod->name.len);
	s->n_pods++;
	return kcs_scan_pod(pod, s->scan, err);
}

static enum kcs_err on_ns(const struct kcs_nsobj *ns, void *user,
			  struct kcs_error *err)
{
	struct sent *s = user;

	return kcs_scan_namespace(ns, s->scan, err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const files[] = { "fuzz-input" };
	struct sent sent = { 0 };
	struct kcs_reader_cbs cbs = { on_pod, on_ns, &sent };
	struct kcs_error err = KCS_ERROR_INIT, ferr = KCS_ERROR_INIT;
	struct kcs_source src = { 0 };
	struct kcs_report *rep;
	struct kcs_reader *r;
	struct back *b;
	char *report = NULL;
	size_t report_len = 0, i;
	enum kcs_err rc;
	FILE *out;

	load_schema();
	fuzz_digest_init(&sent.d);
	sent.scan = kcs_scan_new(NULL);
	r = kcs_reader_new(&cbs, KCS_HINT_NONE);
	out = open_memstream(&report, &report_len);
	b = malloc(sizeof(*b));
	FUZZ_CHECK(sent.scan && r && out && b);
	rep = kcs_report_json_new(out);
	FUZZ_CHECK(rep && !kcs_scan_attach_report(sent.scan, rep, &ferr));
	FUZZ_CHECK(!kcs_scan_begin(sent.scan, &ferr));

	rc = kcs_input_mem(r, data, size, 0, &err);
	if (rc)
		kcs_scan_add_error(sent.scan, &err);
	src.kind = KCS_SOURCE_FILE;
	src.files = files;
	src.n_files = 1;
	FUZZ_CHECK(!kcs_scan_finish(sent.scan, &src, rc == KCS_OK, &ferr));
	kcs_reader_free(r);
	kcs_scan_free(sent.scan);
	FUZZ_CHECK(!ferror(out) && fclose(out) == 0);

	parse_back(report, report_len, b);
	for (i = 0; i < schema.n_required; i++) {
		if (b->top_seen[i] != 1)
			fprintf(stderr, "top-level '%s' seen %zu times\n",
				schema.required[i], b->top_seen[i]);
		FUZZ_CHECK(b->top_seen[i] == 1);
	}
	FUZZ_CHECK(!b->unknown_top && !b->dup_top);
	FUZZ_CHECK(b->schema_ok && !b->bad);
	FUZZ_CHECK(b->n_pods == sent.n_pods);
	FUZZ_CHECK(b->d.h == sent.d.h && b->d.n == sent.d.n);
	FUZZ_CHECK(b->count[C_TOTAL] == (long long)sent.n_pods);
	FUZZ_CHECK(b->count[C_PASS] + b->count[C_FAIL] + b->count[C_NA] ==
		   b->count[C_TOTAL]);
	for (i = C_PASS; i < C_N; i++)
		FUZZ_CHECK(b->count[i] == (long long)b->verdicts[i]);
	FUZZ_CHECK(b->complete == (rc == KCS_OK));
	FUZZ_CHECK(b->n_errors == (rc == KCS_OK ? 0 : 1));
	free(b);
	free(report);
	return 0;
}
