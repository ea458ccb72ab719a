/*
 * testutil.h - helpers shared by the unit tests.
 */
#ifndef KCS_TESTUTIL_H
#define KCS_TESTUTIL_H

#include <stddef.h>
#include <stdint.h>
#include <criterion/parameterized.h>

#include "kcs/buf.h"
#include "kcs/err.h"

/* Read a whole file under the source tree; abort the test if missing. */
char *tu_read_file(const char *relpath, size_t *len);
/* Absolute path of a file under the source tree (static buffer). */
const char *tu_path(const char *relpath);

/*
 * Compare output with a golden file under the source tree, naming the first
 * differing line; KCS_UPDATE_GOLDEN=1 rewrites the golden file instead.
 */
void tu_check_golden(const char *rel, const char *got, size_t len);

/*
 * Test JSON is written with ' for " so it stays readable in C: a heap copy
 * of `s` with every ' turned into " (caller frees); its length in *len
 * unless len is NULL.
 */
char *tu_jq(const char *s, size_t *len);

/*
 * Append `len` bytes quoted, every byte outside printable ASCII (and '"'
 * and '\\') as \xNN, so a trace shows any byte and one line cannot pass
 * for two.
 */
void tu_esc(struct kcs_buf *b, const char *s, size_t len);

/* ---- fixtures ------------------------------------------------------- */

/* One fixture file, relative to the source tree (a Criterion parameter). */
struct tu_fixture {
	char rel[256]; /* e.g. "testdata/owners/rs-basic.json" */
};

/*
 * Append the files matching the glob `pattern` (relative to the source
 * tree) to fx, at most `max` of them, in glob's sorted order; returns how
 * many were appended (0 when nothing matches).
 */
size_t tu_fixtures(const char *pattern, struct tu_fixture *fx, size_t max);
/* Criterion's cleanup for a parameter array allocated with cr_malloc. */
void tu_free_params(struct criterion_test_params *crp);

/* ---- the chunk-split rig -------------------------------------------- */

/*
 * Streaming parsers must give the same result however their input is cut
 * (yajl's run_tests.sh). The rig parses an input whole for a reference
 * trace, then cut at every chunk size 1..TU_MAX_CHUNK and at TU_N_RANDOM
 * random cuts, and fails with the first trace line that differs.
 *
 * Random cuts use a seed printed on failure: KCS_TEST_SEED=<n> replays.
 */
#define TU_MAX_CHUNK 64
#define TU_N_RANDOM 20
/* Most one trace may hold: the largest fixture's many times over. */
#define TU_TRACE_MAX (64u * 1024 * 1024)

/* An input and how one parse is to be fed it. */
struct tu_cut {
	const char *data;     /* the input */
	size_t len;           /* its length */
	size_t chunk;         /* > 0: pieces of this size, the last shorter */
	const size_t *pieces; /* else if not NULL: random cut, n lengths */
	size_t n;             /* (pieces may be 0; they add up to len) */
	/* chunk 0 and pieces NULL: the whole input in one piece */
};

/* Feed one piece to the parser `p`; returns its result. */
typedef enum kcs_err tu_feed_fn(void *p, const char *data, size_t len,
				struct kcs_error *err);

/*
 * Feed a cut input to `p` piece by piece, stopping at the first error,
 * which it returns (the caller finishes the document). A length-0 input
 * gets no feed at all.
 */
enum kcs_err tu_cut_feed(const struct tu_cut *cut, tu_feed_fn *feed, void *p,
			 struct kcs_error *err);

/*
 * One parse of a cut input by the parser under test, its context in ctx:
 * append everything the parser reported (its result and error included)
 * to `trace` and return its result, the error in *err.
 */
typedef enum kcs_err tu_parse_fn(void *ctx, const struct tu_cut *cut,
				 struct kcs_buf *trace, struct kcs_error *err);

/* A random cut of len bytes from *seed: n lengths in *out (caller frees). */
typedef size_t tu_pieces_fn(uint64_t *seed, size_t len, size_t **out);
/* Pieces of 1..97 bytes. */
size_t tu_pieces_small(uint64_t *seed, size_t len, size_t **out);
/*
 * Pieces as a network delivers them: empty, 1..8, 1..512 or 1..65536
 * bytes, the way a libcurl write callback may feed them.
 */
size_t tu_pieces_mixed(uint64_t *seed, size_t len, size_t **out);

/* What the rig runs. */
struct tu_split {
	const char *what;     /* the input, named in failure messages */
	tu_parse_fn *parse;   /* the parser under test */
	void *ref_ctx;        /* parse's ctx for the whole-input reference */
	void *ctx;            /* and for every cut parse (may be ref_ctx) */
	tu_pieces_fn *pieces; /* how random cuts are made */
	const char *golden;   /* the reference must equal it; NULL: none */
};

/*
 * Parse `data` whole, compare with the golden file if any, then at every
 * cut: each trace and result must equal the reference. Returns the
 * reference result, its error in *ref_err.
 */
enum kcs_err tu_split_check(const struct tu_split *sp, const char *data,
			    size_t len, struct kcs_error *ref_err);

/*
 * tu_split_check on the fixture file `rel` (a .json) with parse(ctx, ...)
 * for every parse and `<rel without .json>.golden` as its golden file.
 */
void tu_split_fixture(const char *rel, tu_parse_fn *parse, void *ctx,
		      tu_pieces_fn *pieces);

#endif
