/*
 * buf.c - growable, bounded, NUL-terminated byte buffer (see buf.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <openssl/crypto.h>

#include "kcs/alloc.h"
#include "kcs/buf.h"
#include "kcs/banned.h"

/* The shared empty string a fresh buffer points at; never written. */
char kcs_buf_empty[1];

void kcs_buf_init(struct kcs_buf *b, size_t max)
{
	b->buf = kcs_buf_empty;
	b->len = 0;
	b->alloc = 0;
	b->max = max;
	b->err = KCS_OK;
	b->secret = 0;
}

void kcs_buf_init_secret(struct kcs_buf *b, size_t max)
{
	kcs_buf_init(b, max);
	b->secret = 1;
}

void kcs_buf_release(struct kcs_buf *b)
{
	if (!b)
		return;
	if (b->alloc) {
		if (b->secret)
			kcs_free_secret(b->buf, b->alloc);
		else
			kcs_free(b->buf);
	}
	b->buf = kcs_buf_empty;
	b->len = 0;
	b->alloc = 0;
	b->err = KCS_OK;
}

void kcs_buf_reset(struct kcs_buf *b)
{
	if (b->alloc) {
		if (b->secret)
			OPENSSL_cleanse(b->buf, b->len);
		b->buf[0] = '\0';
	}
	b->len = 0;
	b->err = KCS_OK;
}

/* Make room for `extra` more bytes plus the NUL. */
static enum kcs_err grow(struct kcs_buf *b, size_t extra)
{
	size_t want, cap;
	char *p;

	if (b->err)
		return b->err;
	if (extra > b->max - b->len || b->len > b->max)
		return b->err = KCS_ERR_LIMIT;
	want = b->len + extra + 1;
	if (want <= b->alloc)
		return KCS_OK;
	cap = b->alloc ? b->alloc : 64;
	while (cap < want)
		cap = cap > ((size_t)-1) / 2 ? want : cap * 2;
	/* Never more than max + 1 (careful: max may be SIZE_MAX). */
	if (b->max < (size_t)-1 && cap > b->max + 1)
		cap = b->max + 1;
	if (cap < want)
		cap = want;
	if (b->secret) {
		/* Never leave a copy of a secret behind in freed memory. */
		p = kcs_malloc(cap);
		if (!p)
			return b->err = KCS_ERR_NOMEM;
		memcpy(p, b->buf, b->len + 1);
		if (b->alloc)
			kcs_free_secret(b->buf, b->alloc);
	} else {
		p = kcs_realloc(b->alloc ? b->buf : NULL, cap);
		if (!p)
			return b->err = KCS_ERR_NOMEM;
		if (!b->alloc)
			p[0] = '\0';
	}
	b->buf = p;
	b->alloc = cap;
	return KCS_OK;
}

enum kcs_err kcs_buf_add(struct kcs_buf *b, const void *data, size_t n)
{
	if (grow(b, n))
		return b->err;
	if (n)
		memcpy(b->buf + b->len, data, n);
	b->len += n;
	b->buf[b->len] = '\0';
	return KCS_OK;
}

enum kcs_err kcs_buf_addstr(struct kcs_buf *b, const char *s)
{
	return kcs_buf_add(b, s, strlen(s));
}

enum kcs_err kcs_buf_addch(struct kcs_buf *b, char c)
{
	/* the common case, room already there: no call to grow() */
	if (!b->err && b->len + 1 < b->alloc && b->len < b->max) {
		b->buf[b->len++] = c;
		b->buf[b->len] = '\0';
		return KCS_OK;
	}
	return kcs_buf_add(b, &c, 1);
}

enum kcs_err kcs_buf_vaddf(struct kcs_buf *b, const char *fmt, va_list ap)
{
	va_list cp;
	int n;

	if (b->err)
		return b->err;
	va_copy(cp, ap);
	n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (n < 0)
		return b->err = KCS_ERR_INTERNAL;
	if (grow(b, (size_t)n))
		return b->err;
	vsnprintf(b->buf + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
	return KCS_OK;
}

enum kcs_err kcs_buf_addf(struct kcs_buf *b, const char *fmt, ...)
{
	va_list ap;
	enum kcs_err rc;

	va_start(ap, fmt);
	rc = kcs_buf_vaddf(b, fmt, ap);
	va_end(ap);
	return rc;
}

char *kcs_buf_detach(struct kcs_buf *b, size_t *len)
{
	char *p;

	if (b->err)
		return NULL;
	if (!b->alloc) {
		p = kcs_strndup("", 0);
		if (!p)
			return NULL;
	} else {
		p = b->buf;
	}
	if (len)
		*len = b->len;
	b->buf = kcs_buf_empty;
	b->len = 0;
	b->alloc = 0;
	return p;
}
