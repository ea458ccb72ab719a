/*
 * post.h - deliver the JSON report to an HTTPS endpoint (--post-url), for
 * CronJobs whose results must reach a collector. TLS is always verified
 * (system trust store, or --post-ca-file); a bearer token comes from
 * --post-token-file, is read just before sending, and is wiped after.
 */
#ifndef KCS_POST_H
#define KCS_POST_H

#include <stdio.h>
#include "kcs/compat.h"
#include "kcs/err.h"

/* Attempts per delivery (429, 5xx, connection failures), and longest wait. */
#define KCS_POST_MAX_TRIES 4
#define KCS_POST_MAX_WAIT_SEC 30

struct kcs_post_settings {
	const char *url;        /* https:// only */
	const char *token_file; /* NULL: no Authorization header */
	const char *ca_file;    /* NULL: the system trust store */
	long timeout_ms;        /* per attempt; 0: none */
	unsigned wait_scale;    /* percent of each retry wait (tests); 0 = 100 */
};

/*
 * POST the whole of `report` (read from its start) as application/json.
 * Returns KCS_OK on a 2xx answer; otherwise KCS_ERR_USAGE (bad URL),
 * KCS_ERR_AUTH (token file), KCS_ERR_HTTP or KCS_ERR_API with a message
 * naming the URL and the HTTP status.
 */
enum kcs_err kcs_post_report(const struct kcs_post_settings *set, FILE *report,
			     struct kcs_error *err) KCS_WUR;

#endif /* KCS_POST_H */
