/*
 * alloc.c - allocation wrappers with a fail-after-N hook for fault tests.
 *
 * The counter is process-global on purpose: the tool is single-threaded and
 * the hook must also catch allocations made inside yajl, which only sees the
 * function pointers in kcs_yajl_alloc_funcs.
 */
#include <stdlib.h>
#include <string.h>
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

static void *yajl_malloc_cb(void *ctx, size_t n)
{
	(void)ctx;
	return kcs_malloc(n);
}

static void *yajl_realloc_cb(void *ctx, void *p, size_t n)
{
	(void)ctx;
	return kcs_realloc(p, n);
}

static void yajl_free_cb(void *ctx, void *p)
{
	(void)ctx;
	kcs_free(p);
}

yajl_alloc_funcs kcs_yajl_alloc_funcs = {
	.malloc = yajl_malloc_cb,
	.realloc = yajl_realloc_cb,
	.free = yajl_free_cb,
	.ctx = NULL,
};
