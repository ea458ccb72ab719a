/*
 * testutil.c - helpers shared by the unit tests: files under the source
 * tree, golden files, test JSON, and the chunk-split rig every streaming
 * parser's test runs its fixtures through (see testutil.h).
 */
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <criterion/criterion.h>

#include "testutil.h"

const char *tu_path(const char *relpath)
{
	static char buf[4096];

	snprintf(buf, sizeof(buf), "%s/%s", KCS_SOURCE_DIR, relpath);
	return buf;
}

char *tu_read_file(const char *relpath, size_t *len)
{
	FILE *f = fopen(tu_path(relpath), "rb");
	char *data;
	long n;

	cr_assert(f != NULL, "cannot open %s", relpath);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	data = malloc((size_t)n + 1);
	cr_assert(data != NULL);
	cr_assert(fread(data, 1, (size_t)n, f) == (size_t)n);
	data[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return data;
}

/*
 * Compare `len` bytes of output with the golden file `rel`; with
 * KCS_UPDATE_GOLDEN=1 in the environment, rewrite the golden file instead.
 */
void tu_check_golden(const char *rel, const char *got, size_t len)
{
	const char *update = getenv("KCS_UPDATE_GOLDEN");
	size_t wlen, i, line = 1;
	char *want;

	if (update && !strcmp(update, "1")) {
		FILE *f = fopen(tu_path(rel), "wb");

		cr_assert_not_null(f, "cannot write %s", rel);
		cr_assert_eq(fwrite(got, 1, len, f), len);
		cr_assert_eq(fclose(f), 0);
		cr_log_warn("rewrote %s: review the diff before committing", rel);
		return;
	}
	want = tu_read_file(rel, &wlen);
	for (i = 0; i < len && i < wlen && got[i] == want[i]; i++)
		if (got[i] == '\n')
			line++;
	if (i < len || i < wlen) {
		const char *g0 = got + i, *w0 = want + i;

		while (g0 > got && g0[-1] != '\n')
			g0--;
		while (w0 > want && w0[-1] != '\n')
			w0--;
		cr_assert_fail("%s differs at byte %zu (line %zu); KCS_UPDATE_GOLDEN=1 rewrites it\n"
			       "  golden: %.*s\n  output: %.*s",
			       rel, i, line, (int)strcspn(w0, "\n"), w0,
			       (int)strcspn(g0, "\n"), g0);
	}
	free(want);
}

char *tu_jq(const char *s, size_t *len)
{
	size_t i, n = strlen(s);
	char *p = malloc(n + 1);

	cr_assert(p != NULL);
	for (i = 0; i <= n; i++)
		p[i] = s[i] == '\'' ? '"' : s[i];
	if (len)
		*len = n;
	return p;
}

void tu_esc(struct kcs_buf *b, const char *s, size_t len)
{
	size_t i;

	kcs_buf_addch(b, '"');
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c >= 0x20 && c < 0x7f && c != '\\' && c != '"')
			kcs_buf_addch(b, (char)c);
		else
			kcs_buf_addf(b, "\\x%02x", c);
	}
	kcs_buf_addch(b, '"');
}

/* ---- fixtures ------------------------------------------------------- */

size_t tu_fixtures(const char *pattern, struct tu_fixture *fx, size_t max)
{
	size_t prefix = strlen(tu_path("")), n = 0, j;
	char abs[4096];
	glob_t g;

	snprintf(abs, sizeof(abs), "%s", tu_path(pattern));
	if (glob(abs, 0, NULL, &g) != 0)
		return 0;
	for (j = 0; j < g.gl_pathc && n < max; j++)
		snprintf(fx[n++].rel, sizeof(fx[0].rel), "%s",
			 g.gl_pathv[j] + prefix);
	globfree(&g);
	return n;
}

void tu_free_params(struct criterion_test_params *crp)
{
	cr_free(crp->params);
}

/* ---- the chunk-split rig -------------------------------------------- */

/* xorshift64*: small, fast, and the same on every platform. */
static uint64_t rnd_next(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ULL;
}

/* KCS_TEST_SEED, or one seed per process from the clock and the pid. */
static uint64_t base_seed(void)
{
	static uint64_t seed;
	const char *e;

	if (seed)
		return seed;
	e = getenv("KCS_TEST_SEED");
	if (e && *e)
		seed = strtoull(e, NULL, 10);
	else
		seed = ((uint64_t)time(NULL) << 20) ^ (uint64_t)getpid();
	if (!seed)
		seed = 1;
	return seed;
}

enum kcs_err tu_cut_feed(const struct tu_cut *cut, tu_feed_fn *feed, void *p,
			 struct kcs_error *err)
{
	size_t off = 0, i, n;
	enum kcs_err rc = KCS_OK;

	if (cut->pieces) {
		for (i = 0; !rc && i < cut->n; i++) {
			rc = feed(p, cut->data + off, cut->pieces[i], err);
			off += cut->pieces[i];
		}
		cr_assert(rc || off == cut->len,
			  "pieces do not cover the input");
		return rc;
	}
	while (!rc && off < cut->len) {
		n = cut->len - off;
		if (cut->chunk && n > cut->chunk)
			n = cut->chunk;
		rc = feed(p, cut->data + off, n, err);
		off += n;
	}
	return rc;
}

/* Append one piece length to *p (n of them, room for *cap). */
static void piece_add(size_t **p, size_t *n, size_t *cap, size_t len)
{
	if (*n == *cap) {
		size_t *q = realloc(*p, 2 * *cap * sizeof(**p));

		cr_assert(q != NULL);
		*p = q;
		*cap *= 2;
	}
	(*p)[(*n)++] = len;
}

size_t tu_pieces_small(uint64_t *seed, size_t len, size_t **out)
{
	size_t n = 0, cap = 64, off = 0;
	size_t *p = malloc(cap * sizeof(*p));

	cr_assert(p != NULL);
	while (off < len) {
		size_t want = (size_t)(rnd_next(seed) % 97) + 1;

		if (want > len - off)
			want = len - off;
		piece_add(&p, &n, &cap, want);
		off += want;
	}
	*out = p;
	return n;
}

size_t tu_pieces_mixed(uint64_t *seed, size_t len, size_t **out)
{
	size_t n = 0, cap = 64, off = 0;
	size_t *p = malloc(cap * sizeof(*p));

	cr_assert(p != NULL);
	while (off < len) {
		uint64_t x = rnd_next(seed);
		size_t want;

		switch (x % 8) {
		case 0: want = 0; break;                          /* empty feed */
		case 1: case 2: case 3: want = 1 + (x >> 8) % 8; break;
		case 4: case 5: want = 1 + (x >> 8) % 512; break;
		default: want = 1 + (x >> 8) % 65536; break;
		}
		if (want > len - off)
			want = len - off;
		piece_add(&p, &n, &cap, want);
		off += want;
	}
	*out = p;
	return n;
}

/* Fail with the first line where two traces differ. */
static void assert_same_trace(const char *ref, const char *got,
			      const char *what, const char *how)
{
	const char *a = ref, *b = got;
	size_t line = 1;

	if (strcmp(ref, got) == 0)
		return;
	for (;;) {
		const char *ea = strchr(a, '\n'), *eb = strchr(b, '\n');
		size_t la = ea ? (size_t)(ea - a) : strlen(a);
		size_t lb = eb ? (size_t)(eb - b) : strlen(b);

		if (la != lb || memcmp(a, b, la) != 0 || !ea || !eb) {
			cr_assert_fail("%s: %s differs from the whole-input "
				       "parse at trace line %zu:\n"
				       "  whole: %.*s\n  split: %.*s",
				       what, how, line, (int)la, a, (int)lb, b);
		}
		a = ea + 1;
		b = eb + 1;
		line++;
	}
}

/* One parse, its trace alone in `trace`. */
static enum kcs_err parse_one(const struct tu_split *sp, void *ctx,
			      const struct tu_cut *cut, struct kcs_buf *trace,
			      struct kcs_error *err)
{
	enum kcs_err rc;

	kcs_buf_reset(trace);
	kcs_error_clear(err);
	rc = sp->parse(ctx, cut, trace, err);
	cr_assert(trace->err == KCS_OK, "%s: trace buffer overflow", sp->what);
	return rc;
}

/* One cut parse against the reference trace and result. */
static void check_cut(const struct tu_split *sp, const struct tu_cut *cut,
		      const struct kcs_buf *ref, enum kcs_err ref_rc,
		      struct kcs_buf *part, const char *how)
{
	struct kcs_error err = KCS_ERROR_INIT;
	enum kcs_err rc = parse_one(sp, sp->ctx, cut, part, &err);

	assert_same_trace(ref->buf, part->buf, sp->what, how);
	cr_assert_eq(rc, ref_rc, "%s: %s: %s, whole: %s", sp->what, how,
		     kcs_err_name(rc), kcs_err_name(ref_rc));
}

enum kcs_err tu_split_check(const struct tu_split *sp, const char *data,
			    size_t len, struct kcs_error *ref_err)
{
	struct kcs_buf ref = KCS_BUF_INIT(TU_TRACE_MAX);
	struct kcs_buf part = KCS_BUF_INIT(TU_TRACE_MAX);
	struct kcs_error own_err = KCS_ERROR_INIT;
	struct tu_cut cut = { .data = data, .len = len };
	uint64_t seed = base_seed();
	enum kcs_err rc;
	char how[128];
	int i;

	if (!ref_err)
		ref_err = &own_err;
	rc = parse_one(sp, sp->ref_ctx, &cut, &ref, ref_err);
	if (sp->golden)
		tu_check_golden(sp->golden, ref.buf, ref.len);
	for (cut.chunk = 1; cut.chunk <= TU_MAX_CHUNK; cut.chunk++) {
		snprintf(how, sizeof(how), "chunk size %zu", cut.chunk);
		check_cut(sp, &cut, &ref, rc, &part, how);
	}
	cut.chunk = 0;
	for (i = 0; i < TU_N_RANDOM; i++) {
		uint64_t s = seed + (uint64_t)i * 0x9e3779b97f4a7c15ULL;
		size_t *pieces;

		if (!s)
			s = 1;
		cut.n = sp->pieces(&s, len, &pieces);
		cut.pieces = pieces;
		snprintf(how, sizeof(how),
			 "random split %d of %zu pieces (KCS_TEST_SEED=%llu)",
			 i, cut.n, (unsigned long long)seed);
		check_cut(sp, &cut, &ref, rc, &part, how);
		free(pieces);
	}
	kcs_buf_release(&ref);
	kcs_buf_release(&part);
	return rc;
}

void tu_split_fixture(const char *rel, tu_parse_fn *parse, void *ctx,
		      tu_pieces_fn *pieces)
{
	size_t n = strlen(rel), len;
	char golden[300];
	struct tu_split sp = { .what = rel, .parse = parse, .ref_ctx = ctx,
			       .ctx = ctx, .pieces = pieces, .golden = golden };
	char *data;

	cr_assert(n > 5 && strcmp(rel + n - 5, ".json") == 0,
		  "fixture %s is not a .json file", rel);
	snprintf(golden, sizeof(golden), "%.*s.golden", (int)(n - 5), rel);
	data = tu_read_file(rel, &len);
	(void)tu_split_check(&sp, data, len, NULL);
	free(data);
}
