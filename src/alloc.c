/*
 * alloc.c - allocation wrappers with a fail-after-N hook for fault tests.
 *
 * The counter is process-global on purpose: the tool is single-threaded and
 * the hook must also catch allocations made inside yajl, which only sees the
 * function pointers in kcs_yajl_alloc_funcs.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <openssl/crypto.h>

#include "kcs/alloc.h"
#include "kcs/banned.h"

static long fail_after = -1;     /* allocations left before failing; -1: never */
static unsigned long n_allocs;   /* successful allocations so far */

void kcs_alloc_fail_after(long n)
{
	fail_after = n;
}

unsigned long kcs_alloc_count(void)
{
	return n_allocs;
}

/* Returns 1 when the next allocation must fail. */
static int should_fail(void)
{
	if (fail_after < 0)
		return 0;
	if (fail_after == 0)
		return 1;
	fail_after--;
	return 0;
}

void *kcs_malloc(size_t n)
{
	void *p;

	if (should_fail())
		return NULL;
	p = malloc(n ? n : 1);
	if (p)
		n_allocs++;
	return p;
}

void *kcs_calloc(size_t n, size_t size)
{
	void *p;

	if (should_fail())
		return NULL;
	p = calloc(n ? n : 1, size ? size : 1);
	if (p)
		n_allocs++;
	return p;
}

void *kcs_realloc(void *p, size_t n)
{
	void *q;

	if (should_fail())
		return NULL;
	q = realloc(p, n ? n : 1);
	if (q)
		n_allocs++;
	return q;
}

char *kcs_strndup(const char *s, size_t n)
{
	char *p = kcs_malloc(n + 1);

	if (!p)
		return NULL;
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *kcs_strdup(const char *s)
{
	return kcs_strndup(s, strlen(s));
}

void kcs_free(void *p)
{
	free(p);
}

void kcs_free_secret(void *p, size_t n)
{
	if (!p)
		return;
	OPENSSL_cleanse(p, n);
	free(p);
}

void kcs_free_secret_str(char *s)
{
	if (!s)
		return;
	kcs_free_secret(s, strlen(s));
}

/*
 * yajl 2.1 does not check what its allocator returns (yajl_buf, yajl_lex,
 * yajl_bs_push and yajl_alloc itself write through the pointer at once), so
 * returning NULL to it would crash. Its allocations therefore bypass the
 * fault hook and, if memory really runs out, the process stops here with a
 * clear message and the documented status for it, the one place outside
 * main.c that does.
 */
static void yajl_out_of_memory(void)
{
	static const char msg[] =
		"kubecapscan: out of memory in the JSON parser\n";

	if (write(STDERR_FILENO, msg, sizeof(msg) - 1) < 0)
		_exit(KCS_ALLOC_EXIT_NOMEM);
	_exit(KCS_ALLOC_EXIT_NOMEM);
}

static void *yajl_malloc_cb(void *ctx, size_t n)
{
	void *p;

	(void)ctx;
	p = malloc(n ? n : 1);
	if (!p)
		yajl_out_of_memory();
	return p; /* not counted: the fault hook never sees yajl's */
}

static void *yajl_realloc_cb(void *ctx, void *p, size_t n)
{
	void *q;

	(void)ctx;
	q = realloc(p, n ? n : 1);
	if (!q)
		yajl_out_of_memory();
	return q;
}

static void yajl_free_cb(void *ctx, void *p)
{
	(void)ctx;
	free(p);
}

yajl_alloc_funcs kcs_yajl_alloc_funcs = {
	.malloc = yajl_malloc_cb,
	.realloc = yajl_realloc_cb,
	.free = yajl_free_cb,
	.ctx = NULL,
};
