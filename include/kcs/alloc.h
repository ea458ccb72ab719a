/*
 * alloc.h - the one allocator every module uses, with a fault hook.
 *
 * All heap memory, including yajl's (through kcs_yajl_alloc_funcs), goes
 * through these wrappers so that allocation-failure tests can make the Nth
 * allocation fail (SQLite's faultsim, curl's torture tests) and check that
 * every path reports KCS_ERR_NOMEM cleanly and frees what it took.
 */
#ifndef KCS_ALLOC_H
#define KCS_ALLOC_H

#include <stddef.h>
#include <yajl/yajl_common.h>
#include "kcs/compat.h"

/* malloc/calloc/realloc/strdup that return NULL on failure (never abort). */
void *kcs_malloc(size_t n) KCS_WUR;
void *kcs_calloc(size_t n, size_t size) KCS_WUR;
void *kcs_realloc(void *p, size_t n) KCS_WUR;
char *kcs_strdup(const char *s) KCS_WUR;
char *kcs_strndup(const char *s, size_t n) KCS_WUR;
/* free(); NULL is fine. */
void kcs_free(void *p);
/* Wipe `n` bytes with OPENSSL_cleanse, then free. For tokens and keys. */
void kcs_free_secret(void *p, size_t n);
/* Wipe a NUL-terminated secret string, then free it. NULL is fine. */
void kcs_free_secret_str(char *s);

/*
 * yajl allocator hooks. yajl 2.1 cannot survive a NULL from its allocator,
 * so these bypass the fault hook, and on real exhaustion print a message
 * and _exit(KCS_ALLOC_EXIT_NOMEM) (the exit status for "out of memory").
 */
extern yajl_alloc_funcs kcs_yajl_alloc_funcs;
#define KCS_ALLOC_EXIT_NOMEM 4

/*
 * Fault injection for tests: after `n` more successful allocations every
 * allocation fails, until kcs_alloc_fail_after(-1) turns it off.
 * kcs_alloc_count() returns how many allocations succeeded since start.
 */
void kcs_alloc_fail_after(long n);
unsigned long kcs_alloc_count(void);

#endif /* KCS_ALLOC_H */
