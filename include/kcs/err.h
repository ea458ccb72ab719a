/*
 * err.h - error codes and the error record every fallible call fills.
 *
 * Module code never prints and never exits: it fills a struct kcs_error and
 * returns its code. Only main.c reports and picks the exit status.
 */
#ifndef KCS_ERR_H
#define KCS_ERR_H

#include <stddef.h>
#include "kcs/compat.h"

/* Error classes. Their names appear in the JSON report's errors[].code. */
enum kcs_err {
	KCS_OK = 0,
	KCS_ERR_NOMEM,    /* an allocation failed */
	KCS_ERR_IO,       /* reading or writing a file or stream failed */
	KCS_ERR_USAGE,    /* bad command line */
	KCS_ERR_CONFIG,   /* kubeconfig / in-cluster configuration unusable */
	KCS_ERR_AUTH,     /* credentials missing, rejected or unobtainable */
	KCS_ERR_HTTP,     /* transport: connect, TLS, timeout, bad HTTP */
	KCS_ERR_API,      /* the API server answered with an error status */
	KCS_ERR_PARSE,    /* input is not the JSON/YAML we expect */
	KCS_ERR_LIMIT,    /* a documented limit was exceeded */
	KCS_ERR_INTERNAL, /* a bug: an invariant did not hold */
};

/* Size of the message buffer; longer messages are cut (never overflow). */
#define KCS_ERROR_MSG_MAX 512

/*
 * The error record. `offset` is the byte offset into the input where a parse
 * error was found, or -1. `http_status` is the HTTP status of a failed API
 * call, or 0. `source` names the file or URL at fault ("" when none).
 * Messages never quote input bytes: pod specs can hold secrets.
 */
struct kcs_error {
	enum kcs_err code;
	char msg[KCS_ERROR_MSG_MAX];
	char source[256];
	long long offset;
	int http_status;
};

#define KCS_ERROR_INIT { KCS_OK, "", "", -1, 0 }

/* Reset to KCS_OK with empty message, source and no offset. */
void kcs_error_clear(struct kcs_error *err);

/*
 * Record an error and return `code`, so callers can write
 * `return kcs_error_set(err, KCS_ERR_IO, "cannot open '%s'", path);`.
 * `err` may be NULL (the code is still returned). The first error wins: a
 * record that already holds an error is left as it is, so the innermost,
 * most precise cause survives the unwinding.
 */
enum kcs_err kcs_error_set(struct kcs_error *err, enum kcs_err code,
			   const char *fmt, ...) KCS_PRINTF(3, 4);

/* Set the file or URL the error refers to, unless one is already set. */
void kcs_error_source(struct kcs_error *err, const char *source);

/* Stable upper-case name of a code ("PARSE"), for reports. */
const char *kcs_err_name(enum kcs_err code);

#endif /* KCS_ERR_H */
