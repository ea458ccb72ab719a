/*
 * buf.h - growable byte buffer with a hard maximum and a sticky error.
 *
 * Invariants (git's strbuf): `buf` is never NULL and always NUL-terminated,
 * even for a fresh KCS_BUF_INIT buffer and after a failed append. A buffer
 * never grows past `max` bytes of content (curl's dynbuf). The first failed
 * append sets `err` (KCS_ERR_NOMEM or KCS_ERR_LIMIT) and every later append
 * is a no-op, so a chain of appends is checked once (SQLite's StrAccum).
 */
#ifndef KCS_BUF_H
#define KCS_BUF_H

#include <stdarg.h>
#include <stddef.h>
#include "kcs/compat.h"
#include "kcs/err.h"

struct kcs_buf {
	char *buf;        /* content, NUL-terminated; never NULL */
	size_t len;       /* bytes of content, excluding the NUL */
	size_t alloc;     /* bytes allocated for buf, 0 while it is the static "" */
	size_t max;       /* content may never exceed this many bytes */
	enum kcs_err err; /* KCS_OK, or the first failure; sticky */
	int secret;       /* wipe with OPENSSL_cleanse on growth and release */
};

extern char kcs_buf_empty[];
#define KCS_BUF_INIT(maxlen) { kcs_buf_empty, 0, 0, (maxlen), KCS_OK, 0 }

void kcs_buf_init(struct kcs_buf *b, size_t max);
/* Like kcs_buf_init, for tokens and keys: wiped before any free. */
void kcs_buf_init_secret(struct kcs_buf *b, size_t max);
/* Free the memory and return to the KCS_BUF_INIT state (max kept). */
void kcs_buf_release(struct kcs_buf *b);
/* Empty the content but keep the memory and clear the error. */
void kcs_buf_reset(struct kcs_buf *b);

/* Appends: return the buffer's err (KCS_OK on success). */
enum kcs_err kcs_buf_add(struct kcs_buf *b, const void *data, size_t n);
enum kcs_err kcs_buf_addstr(struct kcs_buf *b, const char *s);
enum kcs_err kcs_buf_addch(struct kcs_buf *b, char c);
enum kcs_err kcs_buf_addf(struct kcs_buf *b, const char *fmt, ...)
	KCS_PRINTF(2, 3);
enum kcs_err kcs_buf_vaddf(struct kcs_buf *b, const char *fmt, va_list ap)
	KCS_PRINTF(2, 0);

/*
 * Take the content out as a heap string the caller frees with kcs_free (or
 * kcs_free_secret_str for secret buffers); the buffer is left empty.
 * Returns NULL if the buffer's err is set or on allocation failure.
 */
char *kcs_buf_detach(struct kcs_buf *b, size_t *len) KCS_WUR;

#endif /* KCS_BUF_H */
