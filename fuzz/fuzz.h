/*
 * fuzz.h - what every fuzz target shares: the libFuzzer entry point's
 * prototype, an invariant check that crashes loudly, and a small FNV-1a
 * digest used to compare two parses of the same input.
 *
 * A target is one fuzz_<name>.c defining LLVMFuzzerTestOneInput. It is
 * linked twice (fuzz/CMakeLists.txt): with clang's -fsanitize=fuzzer when
 * KCS_FUZZ is on, and with replay_main.c (plain C, any compiler) always, so
 * the corpus and every crash ever found run in the normal test suite.
 */
#ifndef KCS_FUZZ_H
#define KCS_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* libFuzzer's entry point: must return 0; crashes are the findings. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * An invariant the code under test promised. On failure print where and
 * what, then abort(): libFuzzer records the input as a crash and the replay
 * runner dies with the file name already printed.
 */
#define FUZZ_CHECK(cond)                                                     \
	do {                                                                 \
		if (!(cond)) {                                               \
			fprintf(stderr, "%s:%d: invariant failed: %s\n",     \
				__FILE__, __LINE__, #cond);                  \
			abort();                                             \
		}                                                            \
	} while (0)

/* A running 64-bit FNV-1a digest (not for security: for comparing runs). */
struct fuzz_digest {
	uint64_t h;    /* the digest so far */
	uint64_t n;    /* values added, so "ab"+"c" differs from "a"+"bc" */
};

static inline void fuzz_digest_init(struct fuzz_digest *d)
{
	d->h = 14695981039346656037ull;
	d->n = 0;
}

static inline void fuzz_digest_bytes(struct fuzz_digest *d, const void *p,
				     size_t len)
{
	const unsigned char *s = p;
	size_t i;

	/* Length first, so value boundaries are part of the digest. */
	for (i = 0; i < sizeof(len); i++) {
		d->h ^= (unsigned char)(len >> (8 * i));
		d->h *= 1099511628211ull;
	}
	for (i = 0; i < len; i++) {
		d->h ^= s[i];
		d->h *= 1099511628211ull;
	}
	d->n++;
}

static inline void fuzz_digest_u64(struct fuzz_digest *d, uint64_t v)
{
	fuzz_digest_bytes(d, &v, sizeof(v));
}

#endif /* KCS_FUZZ_H */
