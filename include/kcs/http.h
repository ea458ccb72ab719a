/*
 * http.h - the Kubernetes API client transport: one libcurl multi handle
 * with two easy handles (keep-alive, HTTP/2 when offered), so that the
 * next page of a listing can be requested while this one is still read.
 *
 * TLS is verified unless the kubeconfig says insecure-skip-tls-verify; CA,
 * client certificate and key are handed to libcurl as in-memory blobs and
 * never touch the disk. tls-server-name is enforced through an OpenSSL
 * context callback (verified name and SNI). Bearer tokens come from the
 * kubeconfig, a token file (re-read on 401: tokens rotate) or an exec
 * plugin (cached until it expires, re-run once on 401). The Authorization
 * header is never logged.
 */
#ifndef KCS_HTTP_H
#define KCS_HTTP_H

#include <stddef.h>
#include "kcs/compat.h"
#include "kcs/config.h"
#include "kcs/err.h"

/* Largest response body accepted (one page of 500 pods is ~5 MiB). */
#define KCS_HTTP_MAX_BODY (512ull * 1024 * 1024)
/* Largest error body kept to read a Status message from. */
#define KCS_HTTP_MAX_ERROR_BODY (64 * 1024)
/* Retries of one request on 429/5xx/connection loss, and the longest wait. */
#define KCS_HTTP_MAX_RETRIES 5
#define KCS_HTTP_MAX_RETRY_WAIT_SEC 30

/*
 * Connections to the server at most: the request being read and one
 * prefetched request (HTTP/1.1; over HTTP/2 both share one connection).
 */
#define KCS_HTTP_MAX_CONNECTIONS 2

/* Called for each chunk of a 2xx body. Return KCS_OK or fill err. */
typedef enum kcs_err (*kcs_http_body_fn)(const void *data, size_t len,
					 void *user, struct kcs_error *err);
/* Called with each API Warning header's text and with -v log lines. */
typedef void (*kcs_http_note_fn)(const char *text, void *user);

struct kcs_http_settings {
	long timeout_ms;          /* per request; 0 = none */
	int exec_allowed;         /* --exec-plugins=allow */
	int verbose;              /* -v: log requests via on_log */
	kcs_http_note_fn on_warning; /* API Warning headers */
	kcs_http_note_fn on_log;     /* -v lines (never secrets) */
	void *user;
};

struct kcs_http_request {
	const char *method;       /* "GET" or "POST" */
	const char *path;         /* "/api/v1/pods?limit=500", already escaped */
	const char *accept;       /* Accept header; NULL: application/json */
	const char *body;         /* POST body (JSON), or NULL */
	size_t body_len;
	kcs_http_body_fn on_body; /* receives a 2xx body as it arrives */
	void *user;
};

struct kcs_http_response {
	long status;               /* HTTP status; 0 if none was received */
	unsigned long long bytes;  /* body bytes handed to on_body */
	/* From a non-2xx body, if it was a Status: */
	char status_reason[64];
	char status_message[1032]; /* >= KCS_STATUS_MSG_MAX + 1 */
	/* metadata.continue of that Status (a 410 Expired carries a new one) */
	char status_continue[4096];
};

struct kcs_http;

/*
 * Make a client for `cfg` (borrowed; must outlive the client, and the
 * client may update its token on rotation). Returns NULL and fills err.
 */
struct kcs_http *kcs_http_new(struct kcs_restconfig *cfg,
			      const struct kcs_http_settings *set,
			      struct kcs_error *err) KCS_WUR;
void kcs_http_free(struct kcs_http *h);

/*
 * Perform one request, with the retries described above. Returns KCS_OK for
 * a 2xx whose body was fully delivered. Otherwise fills err with a message
 * naming the server URL, the HTTP status and the API's Status message, and
 * returns KCS_ERR_HTTP (transport), KCS_ERR_AUTH (401, or credentials
 * unobtainable), KCS_ERR_API (other statuses) or the on_body error.
 * resp->status tells the status either way. A body that was partly handed
 * to on_body is never retried (the consumer has seen it).
 */
enum kcs_err kcs_http_do(struct kcs_http *h, const struct kcs_http_request *req,
			 struct kcs_http_response *resp,
			 struct kcs_error *err) KCS_WUR;

/*
 * Send `next` (a GET without body; borrowed, copied) now, on the second
 * easy handle, while the current kcs_http_do() is still delivering its
 * body: this may be called from inside an on_body callback (the transfer
 * then starts as soon as that callback returns). Over HTTP/1.1 it takes a
 * second connection (kept alive and reused: never more than
 * KCS_HTTP_MAX_CONNECTIONS); over HTTP/2 it is a second stream on the
 * same connection. The response's headers are read (status, Warning,
 * Retry-After), then the transfer is paused at its first body bytes, so
 * what waits is at most libcurl's receive buffer (decoded), never a page.
 *
 * The next kcs_http_do() with the same method, path and Accept adopts the
 * response and delivers its body to its own on_body; the response counts
 * as that call's first attempt, so everything after it is as if the
 * request had been sent then: a 2xx is streamed, a 410 is returned with
 * its Status, a 401 refreshes credentials and retries, a 429/5xx or a
 * lost connection (before any body byte) is retried after the usual wait.
 * A kcs_http_do() for any other request, or kcs_http_free(), cancels the
 * prefetch (if its answer was under way, HTTP/1.1 closes its connection,
 * HTTP/2 resets its stream). At most one prefetch at a time: a call while
 * one is pending is ignored.
 *
 * Timeouts: the per-request timeout of a prefetched request counts from
 * its adoption (the time it spent paused, or waiting for its turn, is the
 * caller's, not the server's), so it can take up to twice the timeout
 * from when it was sent, never longer; the connect timeout applies as for
 * any request.
 *
 * Returns KCS_OK also when nothing was sent (the request is ignored if
 * its URL is too long or exec credentials are due for renewal: the
 * adopting kcs_http_do() then does the request itself and reports any
 * error), KCS_ERR_INTERNAL for a request that is not a GET, or
 * KCS_ERR_NOMEM.
 */
enum kcs_err kcs_http_prefetch(struct kcs_http *h,
			       const struct kcs_http_request *next,
			       struct kcs_error *err) KCS_WUR;

/* Requests sent to the server so far, prefetches included (tests, -v). */
unsigned long kcs_http_requests(const struct kcs_http *h);

/* Connections opened so far (tests, -v). */
unsigned long kcs_http_connections(const struct kcs_http *h);

/* The server URL (for messages and reports). */
const char *kcs_http_server(const struct kcs_http *h);

/* Milliseconds slept in retry waits so far (tests, -v). */
unsigned long kcs_http_waited_ms(const struct kcs_http *h);

/* For tests: scale every retry wait by `percent` (100 = as told). */
void kcs_http_set_wait_scale(struct kcs_http *h, unsigned percent);

#endif /* KCS_HTTP_H */
