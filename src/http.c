/*
 * http.c - API transport on a libcurl multi handle (see http.h).
 *
 * Body bytes of a 2xx response go straight from libcurl's write callback
 * to the caller's sink (the streaming reader); nothing is buffered whole.
 * Error bodies (non-2xx) are kept, bounded, to read the API's Status.
 *
 * Two easy handles take turns: `cur` performs the request kcs_http_do()
 * was asked for, `pf` may carry the next request, sent early by
 * kcs_http_prefetch() while `cur` is still being read. Both live in one
 * multi handle (one connection cache, at most KCS_HTTP_MAX_CONNECTIONS to
 * the server) and share TLS sessions, so the second connection of HTTP/1.1
 * resumes the first one's session. A prefetched 2xx is paused at its first
 * body bytes (CURL_WRITEFUNC_PAUSE: libcurl keeps them and stops reading
 * the socket, so the server's send blocks) until kcs_http_do() adopts it
 * and the two handles swap roles.
 *
 * The loop in run() never spins: a paused transfer has no socket in
 * libcurl's poll set, and curl_multi_poll() sleeps until a socket is ready
 * or libcurl's own next timer, at most POLL_MAX_MS.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <curl/curl.h>
#include <openssl/crypto.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "kcs/alloc.h"
#include "kcs/buf.h"
#include "kcs/execcred.h"
#include "kcs/http.h"
#include "kcs/reader.h"
#include "kcs/version.h"
#include "kcs/banned.h"

/* Longest request URL (server + path). */
#define URL_MAX 8192
/* Longest Accept value sent, NUL included (longer ones are cut). */
#define ACCEPT_MAX 504
/*
 * Longest single wait in the transfer loop. libcurl's own timers (connect
 * and request timeouts, its retries) wake it earlier; this only bounds how
 * late our own deadline of an adopted prefetch can be noticed.
 */
#define POLL_MAX_MS 1000

/* One easy handle and the response it is reading. */
struct xfer {
	CURL *curl;
	struct kcs_http *h;              /* back pointer for the callbacks */
	/* Who gets a 2xx body: NULL while prefetched and not yet adopted
	 * (the body is then held: the transfer pauses at its first bytes). */
	const struct kcs_http_request *req;
	struct kcs_error *err;           /* the adopting call's error record */
	struct curl_slist *hdrs;         /* request headers, wiped at the end */
	int in_multi;                    /* added to h->multi and not done */
	int done;                        /* finished: result and status hold */
	int paused;                      /* prefetched: body held, unread */
	/* The current transfer was paused right after on_body asked for a
	 * prefetch, so that run() can send it before libcurl reads on: the
	 * first `skip` bytes handed over again after CURLPAUSE_CONT were
	 * consumed already. */
	int held;
	size_t skip;
	CURLcode result;                 /* of a finished transfer */
	/* CLOCK_MONOTONIC ms after which an adopted prefetch times out; 0: none
	 * (other requests use libcurl's CURLOPT_TIMEOUT_MS) */
	long long deadline;
	enum kcs_err sink_rc;            /* error from on_body */
	long status;                     /* status of the response being read */
	unsigned long long bytes;        /* body bytes delivered */
	struct kcs_buf error_body;       /* body of a non-2xx response */
	long retry_after;                /* seconds, -1 if absent */
	long new_conns;                  /* connections this transfer opened */
	char url[URL_MAX];               /* what it asked for (matching, -v) */
	char accept[ACCEPT_MAX];         /* its Accept value */
	char curl_err[CURL_ERROR_SIZE];
};

/* The state of the prefetch slot h->pf. */
enum pf_state {
	PF_NONE,   /* idle */
	PF_WANTED, /* asked for from a callback; sent once it returns */
	PF_SENT,   /* in h->multi, or finished there, waiting for adoption */
};

struct kcs_http {
	CURLM *multi;
	CURLSH *share;                   /* TLS sessions of both handles */
	struct xfer x[2];
	struct xfer *cur;                /* the request being performed */
	struct xfer *pf;                 /* the other one: prefetch or idle */
	enum pf_state pf_state;
	int in_do;                       /* inside kcs_http_do() */
	struct kcs_restconfig *cfg;      /* borrowed */
	struct kcs_http_settings set;
	struct kcs_credential cred;      /* from the exec plugin, if any */
	int have_cred;
	char user_agent[128];
	unsigned wait_scale;             /* percent; tests shrink waits */
	unsigned long waited_ms;
	unsigned long requests;          /* sent to the server */
	unsigned long connections;       /* opened */
};

/* Go's GOARCH spelling of this machine, for the User-Agent. */
static const char *go_arch(const char *m)
{
	if (!strcmp(m, "x86_64")) return "amd64";
	if (!strcmp(m, "aarch64")) return "arm64";
	if (!strncmp(m, "arm", 3)) return "arm";
	if (!strcmp(m, "i686") || !strcmp(m, "i386")) return "386";
	if (!strcmp(m, "ppc64le")) return "ppc64le";
	if (!strcmp(m, "s390x")) return "s390x";
	return m;
}

/* ---- TLS: tls-server-name via an OpenSSL context callback ----------- */

static int sni_ex_index = -1;

/* Set SNI on each connection's SSL before its ClientHello goes out. */
static void info_cb(const SSL *ssl, int where, int ret)
{
	SSL_CTX *ctx;
	const char *name;

	(void)ret;
	if (!(where & SSL_CB_HANDSHAKE_START))
		return;
	ctx = SSL_get_SSL_CTX(ssl);
	name = ctx ? SSL_CTX_get_ex_data(ctx, sni_ex_index) : NULL;
	if (name)
		SSL_set_tlsext_host_name((SSL *)ssl, name);
}

static CURLcode ssl_ctx_cb(CURL *curl, void *sslctx, void *user)
{
	SSL_CTX *ctx = sslctx;
	struct kcs_http *h = user;
	X509_VERIFY_PARAM *param = SSL_CTX_get0_param(ctx);

	(void)curl;
	/* The certificate must name tls-server-name, not the URL's host. */
	X509_VERIFY_PARAM_set_hostflags(param,
					X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
	if (!X509_VERIFY_PARAM_set1_host(param, h->cfg->tls_server_name, 0))
		return CURLE_SSL_CERTPROBLEM;
	if (sni_ex_index < 0)
		sni_ex_index = SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL, NULL);
	SSL_CTX_set_ex_data(ctx, sni_ex_index, h->cfg->tls_server_name);
	SSL_CTX_set_info_callback(ctx, info_cb);
	return CURLE_OK;
}

static void set_blob(CURL *c, CURLoption opt, const struct kcs_blob *b)
{
	struct curl_blob blob = {
		.data = b->data, .len = b->len, .flags = CURL_BLOB_NOCOPY, /* our memory, wiped by us; no copy */
	};
	curl_easy_setopt(c, opt, &blob);
}

static size_t write_cb(char *data, size_t size, size_t n, void *user);
static size_t header_cb(char *line, size_t size, size_t n, void *user);

/* Static TLS and transport settings of one easy handle. */
static void setup(struct kcs_http *h, struct xfer *x)
{
	CURL *c = x->curl;
	struct kcs_restconfig *cfg = h->cfg;

	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, write_cb);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, header_cb);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, x);
	curl_easy_setopt(c, CURLOPT_SHARE, h->share);
	curl_easy_setopt(c, CURLOPT_USERAGENT, h->user_agent);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, x->curl_err);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
	/* A second request waits for HTTP/2 to multiplex rather than open a
	 * connection of its own (HTTP/1.1 cannot, and does not wait). */
	curl_easy_setopt(c, CURLOPT_PIPEWAIT, 1L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https,http");
	curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "https");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
	if (!cfg->disable_compression)
		curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "gzip");
	if (h->set.timeout_ms > 0)
		curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, h->set.timeout_ms);
	if (cfg->proxy_url)
		curl_easy_setopt(c, CURLOPT_PROXY, cfg->proxy_url);

	if (cfg->insecure) {
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
	} else {
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
		if (cfg->ca.data)
			set_blob(c, CURLOPT_CAINFO_BLOB, &cfg->ca);
		if (cfg->tls_server_name) {
			/* OpenSSL checks the name (ssl_ctx_cb); curl must not
			 * check the URL host instead. Peer verification stays. */
			curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
			curl_easy_setopt(c, CURLOPT_SSL_CTX_FUNCTION, ssl_ctx_cb);
			curl_easy_setopt(c, CURLOPT_SSL_CTX_DATA, h);
		}
	}
	if (h->have_cred && h->cred.client_cert.data) {
		set_blob(c, CURLOPT_SSLCERT_BLOB, &h->cred.client_cert);
		curl_easy_setopt(c, CURLOPT_SSLCERTTYPE, "PEM");
		set_blob(c, CURLOPT_SSLKEY_BLOB, &h->cred.client_key);
		curl_easy_setopt(c, CURLOPT_SSLKEYTYPE, "PEM");
	} else if (cfg->client_cert.data) {
		set_blob(c, CURLOPT_SSLCERT_BLOB, &cfg->client_cert);
		curl_easy_setopt(c, CURLOPT_SSLCERTTYPE, "PEM");
		set_blob(c, CURLOPT_SSLKEY_BLOB, &cfg->client_key);
		curl_easy_setopt(c, CURLOPT_SSLKEYTYPE, "PEM");
	}
}

/* A fresh easy handle for slot x (after a cancelled transfer). */
static void renew(struct kcs_http *h, struct xfer *x)
{
	if (x->curl)
		curl_easy_cleanup(x->curl);
	x->curl = curl_easy_init();
	if (x->curl)
		setup(h, x);
}

/* ---- exec credentials ------------------------------------------------ */

/* Is the exec credential missing or expired (a plugin run is due)? */
static int exec_due(const struct kcs_http *h)
{
	return h->cfg->exec &&
	       (!h->have_cred ||
		(h->cred.expires && time(NULL) >= h->cred.expires));
}

static enum kcs_err refresh_exec(struct kcs_http *h, int force,
				 struct kcs_error *err)
{
	enum kcs_err rc;
	int i;

	if (!h->cfg->exec)
		return KCS_OK;
	if (!force && !exec_due(h))
		return KCS_OK;
	if (!h->set.exec_allowed)
		return kcs_error_set(err, KCS_ERR_AUTH,
				     "the kubeconfig asks to run exec plugin '%s', "
				     "and --exec-plugins=deny forbids it",
				     h->cfg->exec->command);
	kcs_credential_release(&h->cred);
	h->have_cred = 0;
	rc = kcs_exec_run(h->cfg, &h->cred, err);
	if (rc)
		return rc;
	if (h->cred.expires && time(NULL) >= h->cred.expires) {
		kcs_credential_release(&h->cred);
		return kcs_error_set(err, KCS_ERR_AUTH,
				     "exec plugin '%s' returned an expired credential",
				     h->cfg->exec->command);
	}
	h->have_cred = 1;
	/* Only called with no transfer under way: both handles are idle. */
	for (i = 0; i < 2; i++) {
		CURL *c = h->x[i].curl;

		if (!c || !h->cred.client_cert.data)
			continue;
		set_blob(c, CURLOPT_SSLCERT_BLOB, &h->cred.client_cert);
		curl_easy_setopt(c, CURLOPT_SSLCERTTYPE, "PEM");
		set_blob(c, CURLOPT_SSLKEY_BLOB, &h->cred.client_key);
		curl_easy_setopt(c, CURLOPT_SSLKEYTYPE, "PEM");
	}
	return KCS_OK;
}

static const char *bearer(const struct kcs_http *h)
{
	if (h->have_cred && h->cred.token)
		return h->cred.token;
	return h->cfg->token;
}

/* ---- callbacks ------------------------------------------------------- */

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static size_t write_cb(char *data, size_t size, size_t n, void *user)
{
	struct xfer *x = user;
	size_t len = size * n;

	if (!x->status)
		curl_easy_getinfo(x->curl, CURLINFO_RESPONSE_CODE, &x->status);
	if (x->status < 200 || x->status > 299) {
		/* Keep the start of an error body for its Status; drop the rest. */
		if (x->error_body.len < KCS_HTTP_MAX_ERROR_BODY) {
			size_t room = KCS_HTTP_MAX_ERROR_BODY - x->error_body.len;

			kcs_buf_add(&x->error_body, data, len < room ? len : room);
		}
		return len;
	}
	if (!x->req) {
		/* Prefetched, not yet adopted: libcurl keeps these bytes, stops
		 * reading, and hands them over again after CURLPAUSE_CONT. */
		x->paused = 1;
		return CURL_WRITEFUNC_PAUSE;
	}
	if (x->sink_rc)
		return 0;
	if (x->skip) {
		size_t done = len < x->skip ? len : x->skip;

		x->skip -= done;
		if (done == len)
			return len;
		data += done;
		len -= done;
	}
	if (x->bytes + len > KCS_HTTP_MAX_BODY) {
		x->sink_rc = kcs_error_set(x->err, KCS_ERR_LIMIT,
					   "response from '%s' is larger than %llu bytes",
					   x->h->cfg->server, KCS_HTTP_MAX_BODY);
		return 0;
	}
	x->bytes += len;
	if (x->req->on_body) {
		x->sink_rc = x->req->on_body(data, len, x->req->user, x->err);
		if (x->sink_rc)
			return 0; /* aborts the transfer */
	}
	if (x->h->pf_state == PF_WANTED && x == x->h->cur) {
		/*
		 * on_body asked for a prefetch. libcurl would otherwise read
		 * on, as long as the socket has data (a whole page), before
		 * run() can add it. Pausing returns to run() now; libcurl
		 * hands these bytes over again on CURLPAUSE_CONT.
		 */
		x->held = 1;
		x->skip = size * n;
		return CURL_WRITEFUNC_PAUSE;
	}
	return size * n;
}

/* Case-insensitive prefix match of a header line. */
static int header_is(const char *line, size_t len, const char *name)
{
	size_t n = strlen(name);

	return len > n && !strncasecmp(line, name, n) && line[n] == ':';
}

/* Copy a header's value, trimmed, with control bytes made safe. */
static void header_value(const char *line, size_t len, size_t skip, char *out,
			 size_t size)
{
	size_t i, o = 0;

	for (i = skip; i < len && (line[i] == ' ' || line[i] == '\t'); i++)
		;
	while (len > i && (line[len - 1] == '\r' || line[len - 1] == '\n' ||
			   line[len - 1] == ' '))
		len--;
	for (; i < len && o + 1 < size; i++) {
		unsigned char ch = (unsigned char)line[i];

		out[o++] = (ch < 0x20 || ch == 0x7f) ? '?' : (char)ch;
	}
	out[o] = '\0';
}

/*
 * Warning: 299 - "text" (RFC 7234, as apimachinery writes it): hand the
 * text to on_warning.
 */
static void handle_warning(struct kcs_http *h, const char *v)
{
	const char *q = strchr(v, '"');
	char text[1024];
	size_t n;

	if (!h->set.on_warning)
		return;
	if (q) {
		const char *e = strrchr(q + 1, '"');

		n = e && e > q ? (size_t)(e - q - 1) : strlen(q + 1);
		if (n >= sizeof(text))
			n = sizeof(text) - 1;
		memcpy(text, q + 1, n);
		text[n] = '\0';
	} else {
		snprintf(text, sizeof(text), "%s", v);
	}
	h->set.on_warning(text, h->set.user);
}

static size_t header_cb(char *line, size_t size, size_t n, void *user)
{
	struct xfer *x = user;
	size_t len = size * n;
	char v[1024];

	if (len >= 5 && !strncmp(line, "HTTP/", 5)) {
		/* A new response (after 100-continue or a retry): reset. */
		x->status = 0;
		x->retry_after = -1;
		return len;
	}
	if (header_is(line, len, "Warning")) {
		header_value(line, len, 8, v, sizeof(v));
		handle_warning(x->h, v);
	} else if (header_is(line, len, "Retry-After")) {
		char *end;
		long s;

		header_value(line, len, 12, v, sizeof(v));
		errno = 0;
		s = strtol(v, &end, 10);
		if (!errno && end != v && *end == '\0' && s >= 0)
			x->retry_after = s;
	}
	return len;
}

/* ---- Status bodies --------------------------------------------------- */

/* Read reason and message from an error body that is a Status. */
static void read_status(const struct xfer *x, struct kcs_http_response *resp)
{
	struct kcs_reader *r = kcs_reader_new(NULL, KCS_HINT_NONE);
	struct kcs_error e = KCS_ERROR_INIT;
	const struct kcs_doc_info *in;

	resp->status_reason[0] = resp->status_message[0] = '\0';
	resp->status_continue[0] = '\0';
	if (!r)
		return;
	if (!kcs_reader_feed(r, x->error_body.buf, x->error_body.len, &e) &&
	    !kcs_reader_finish(r, &e)) {
		in = kcs_reader_info(r);
		if (in->status.present) {
			snprintf(resp->status_reason, sizeof(resp->status_reason),
				 "%s", in->status.reason);
			snprintf(resp->status_message,
				 sizeof(resp->status_message), "%s",
				 in->status.message);
			/* A cut token is useless: keep it whole or not at all. */
			if (in->continue_token.len < sizeof(resp->status_continue))
				memcpy(resp->status_continue, in->continue_token.buf,
				       in->continue_token.len + 1);
		}
	}
	kcs_reader_free(r);
}

/* ---- transfers -------------------------------------------------------- */

static void logf_(struct kcs_http *h, const char *fmt, ...) KCS_PRINTF(2, 3);
static void logf_(struct kcs_http *h, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	if (!h->set.verbose || !h->set.on_log)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	h->set.on_log(line, h->set.user);
}

static void sleep_ms(struct kcs_http *h, unsigned long ms)
{
	struct timespec ts;

	ms = ms * h->wait_scale / 100;
	h->waited_ms += ms;
	ts.tv_sec = (time_t)(ms / 1000);
	ts.tv_nsec = (long)(ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/* Free a header list, wiping the Authorization line first. */
static void free_headers(struct curl_slist *hdrs)
{
	struct curl_slist *t;

	for (t = hdrs; t; t = t->next)
		if (!strncmp(t->data, "Authorization:", 14))
			OPENSSL_cleanse(t->data, strlen(t->data));
	curl_slist_free_all(hdrs);
}

/* The request headers of x (Accept, Content-Type, Authorization). */
static struct curl_slist *make_headers(struct kcs_http *h,
				       const struct xfer *x, int has_body)
{
	struct curl_slist *hdrs = NULL, *tmp;
	struct kcs_buf line = KCS_BUF_INIT(64 * 1024);
	const char *tok = bearer(h);

	kcs_buf_init_secret(&line, 64 * 1024);
	if (kcs_buf_addstr(&line, "Accept: ") ||
	    kcs_buf_addstr(&line, x->accept) ||
	    !(hdrs = curl_slist_append(NULL, line.buf)))
		goto fail;
	if (has_body) {
		if (!(tmp = curl_slist_append(hdrs, "Content-Type: application/json")))
			goto fail;
		hdrs = tmp;
	}
	if (tok) {
		kcs_buf_reset(&line);
		if (kcs_buf_addstr(&line, "Authorization: Bearer ") ||
		    kcs_buf_addstr(&line, tok))
			goto fail;
		if (!(tmp = curl_slist_append(hdrs, line.buf)))
			goto fail;
		hdrs = tmp;
	}
	kcs_buf_release(&line);
	return hdrs;
fail:
	free_headers(hdrs);
	kcs_buf_release(&line);
	return NULL;
}

/*
 * Send x->url with x->accept: a GET, or a POST of req's body (borrowed
 * until the transfer ends). `prefetch`: no libcurl timeout, see http.h.
 */
static CURLcode xfer_start(struct kcs_http *h, struct xfer *x,
			   const struct kcs_http_request *req, int prefetch)
{
	x->status = 0;
	x->bytes = 0;
	x->retry_after = -1;
	x->sink_rc = KCS_OK;
	x->curl_err[0] = '\0';
	x->done = x->paused = x->held = 0;
	x->skip = 0;
	x->new_conns = 0;
	x->deadline = 0;
	x->result = CURLE_OK;
	kcs_buf_reset(&x->error_body);
	if (!x->curl)
		return CURLE_OUT_OF_MEMORY;
	x->hdrs = make_headers(h, x, req->body != NULL);
	if (!x->hdrs)
		return CURLE_OUT_OF_MEMORY;
	curl_easy_setopt(x->curl, CURLOPT_URL, x->url);
	curl_easy_setopt(x->curl, CURLOPT_HTTPHEADER, x->hdrs);
	if (req->body) {
		curl_easy_setopt(x->curl, CURLOPT_POSTFIELDS, req->body);
		curl_easy_setopt(x->curl, CURLOPT_POSTFIELDSIZE, (long)req->body_len);
	} else {
		curl_easy_setopt(x->curl, CURLOPT_HTTPGET, 1L);
	}
	curl_easy_setopt(x->curl, CURLOPT_TIMEOUT_MS,
			 prefetch ? 0L : h->set.timeout_ms);
	if (curl_multi_add_handle(h->multi, x->curl) != CURLM_OK) {
		curl_easy_setopt(x->curl, CURLOPT_HTTPHEADER, NULL);
		free_headers(x->hdrs);
		x->hdrs = NULL;
		return CURLE_OUT_OF_MEMORY;
	}
	x->in_multi = 1;
	return CURLE_OK;
}

/* Take a finished (or abandoned) transfer out of the multi handle. */
static void xfer_end(struct kcs_http *h, struct xfer *x)
{
	long sent = 0, conns = 0;

	if (!x->in_multi)
		return;
	curl_easy_getinfo(x->curl, CURLINFO_RESPONSE_CODE, &x->status);
	curl_easy_getinfo(x->curl, CURLINFO_REQUEST_SIZE, &sent);
	curl_easy_getinfo(x->curl, CURLINFO_NUM_CONNECTS, &conns);
	if (sent > 0)
		h->requests++;
	h->connections += (unsigned long)conns;
	x->new_conns = conns;
	curl_multi_remove_handle(h->multi, x->curl);
	curl_easy_setopt(x->curl, CURLOPT_HTTPHEADER, NULL);
	free_headers(x->hdrs);
	x->hdrs = NULL;
	x->in_multi = 0;
	x->done = 1;
	if (x->paused || x->held) {
		/* Ended while paused (cancelled, or timed out): a fresh handle,
		 * so nothing of it (held bytes, pause state) reaches the next
		 * transfer. */
		renew(h, x);
		x->paused = x->held = 0;
	}
}

/* End x with `cc` and a message of ours (libcurl did not end it). */
static void xfer_fail(struct kcs_http *h, struct xfer *x, CURLcode cc,
		      const char *msg)
{
	xfer_end(h, x);
	x->result = cc;
	snprintf(x->curl_err, sizeof(x->curl_err), "%s", msg);
}

/* Collect the transfers libcurl has finished. */
static void reap(struct kcs_http *h)
{
	CURLMsg *m;
	int left;

	while ((m = curl_multi_info_read(h->multi, &left))) {
		struct xfer *x;
		CURLcode cc = m->data.result;

		if (m->msg != CURLMSG_DONE)
			continue;
		x = m->easy_handle == h->x[0].curl ? &h->x[0] : &h->x[1];
		xfer_end(h, x); /* m is invalid from here */
		x->result = cc;
	}
}

static void pf_start(struct kcs_http *h);

/* Resume a transfer held by write_cb (see struct xfer). */
static void resume(struct kcs_http *h, struct xfer *x)
{
	CURLcode cc;

	x->held = 0; /* write_cb may hold it again */
	cc = curl_easy_pause(x->curl, CURLPAUSE_CONT);
	if (cc != CURLE_OK && !x->done) {
		x->held = 1; /* in an unknown state: xfer_end renews it */
		xfer_end(h, x);
		x->result = cc;
	}
}

/*
 * How long run() may wait for x: POLL_MAX_MS, or less before x's own
 * deadline; 0 after it, when x has been ended as timed out.
 */
static long wait_for(struct kcs_http *h, struct xfer *x)
{
	long long left;
	char msg[96];

	if (!x->deadline)
		return POLL_MAX_MS;
	left = x->deadline - now_ms();
	if (left > 0)
		return left < POLL_MAX_MS ? (long)left : POLL_MAX_MS;
	snprintf(msg, sizeof(msg), "Operation timed out after %ld "
		 "milliseconds (prefetched request)", h->set.timeout_ms);
	xfer_fail(h, x, CURLE_OPERATION_TIMEDOUT, msg);
	return 0;
}

/*
 * Drive every transfer until x is done. A prefetch asked for meanwhile is
 * started as soon as the callback that asked has returned (libcurl takes
 * no new handles from inside its callbacks), and gets to send its request
 * before x goes on (see write_cb).
 */
static void run(struct kcs_http *h, struct xfer *x)
{
	int running;

	while (!x->done) {
		CURLMcode mc = curl_multi_perform(h->multi, &running);
		long wait;

		if (mc == CURLM_OK) {
			reap(h);
			if (h->pf_state == PF_WANTED) {
				pf_start(h);
				if (h->pf_state == PF_SENT &&
				    curl_multi_perform(h->multi, &running) ==
					    CURLM_OK)
					reap(h);
			}
			if (x->held)
				resume(h, x);
			if (x->done || !(wait = wait_for(h, x)))
				break;
			mc = curl_multi_poll(h->multi, NULL, 0, (int)wait, NULL);
		}
		if (mc != CURLM_OK) {
			xfer_fail(h, x, mc == CURLM_OUT_OF_MEMORY
					     ? CURLE_OUT_OF_MEMORY
					     : CURLE_FAILED_INIT,
				  curl_multi_strerror(mc));
			break;
		}
	}
}

/* ---- prefetch ---------------------------------------------------------- */

/* Send the request kcs_http_prefetch() put in h->pf. */
static void pf_start(struct kcs_http *h)
{
	static const struct kcs_http_request get = { .method = "GET" };
	struct xfer *x = h->pf;

	h->pf_state = PF_NONE;
	x->req = NULL;
	x->err = NULL;
	if (xfer_start(h, x, &get, 1) != CURLE_OK)
		return; /* nothing sent: the request will be made when due */
	h->pf_state = PF_SENT;
	logf_(h, "GET %s sent ahead (prefetch)", x->url);
}

/* Drop the prefetch; a transfer under way is abandoned with its handle. */
static void pf_cancel(struct kcs_http *h)
{
	struct xfer *x = h->pf;

	if (h->pf_state == PF_SENT) {
		/* Over HTTP/1.1 libcurl closes a connection whose answer was
		 * not read to its end; over HTTP/2 it resets the stream. */
		logf_(h, "prefetch of GET %s cancelled%s", x->url,
		      x->done     ? ""
		      : x->paused ? " (its answer was held)"
				  : " (under way)");
		xfer_end(h, x);
	}
	h->pf_state = PF_NONE;
}

/* The Accept value sent for req. */
static void accept_of(const struct kcs_http_request *req, char *out,
		      size_t size)
{
	snprintf(out, size, "%s", req->accept ? req->accept : "application/json");
}

/* Is the prefetch the request `req` to `url`? */
static int pf_matches(const struct xfer *x, const struct kcs_http_request *req,
		      const char *url)
{
	char accept[ACCEPT_MAX];

	if (strcmp(req->method, "GET") || req->body || strcmp(x->url, url))
		return 0;
	accept_of(req, accept, sizeof(accept));
	return !strcmp(accept, x->accept);
}

/*
 * Make the prefetch the current transfer, its body going to req's on_body.
 * A paused one resumes: libcurl hands the held bytes to write_cb at once,
 * from inside curl_easy_pause().
 */
static void adopt(struct kcs_http *h, const struct kcs_http_request *req,
		  struct kcs_error *err)
{
	struct xfer *x = h->pf;

	h->pf = h->cur;
	h->cur = x;
	h->pf_state = PF_NONE;
	x->req = req;
	x->err = err;
	if (x->done)
		return;
	if (h->set.timeout_ms > 0)
		x->deadline = now_ms() + h->set.timeout_ms;
	if (x->paused) {
		CURLcode cc;

		x->paused = 0;
		cc = curl_easy_pause(x->curl, CURLPAUSE_CONT);
		if (cc != CURLE_OK && !x->done) {
			x->paused = 1; /* in an unknown state: renew it */
			xfer_end(h, x);
			x->result = cc;
		}
	}
}

enum kcs_err kcs_http_prefetch(struct kcs_http *h,
			       const struct kcs_http_request *next,
			       struct kcs_error *err)
{
	struct xfer *x = h->pf;

	if (strcmp(next->method, "GET") || next->body)
		return kcs_error_set(err, KCS_ERR_INTERNAL,
				     "only a GET can be sent ahead");
	if (h->pf_state != PF_NONE || exec_due(h))
		return KCS_OK;
	if ((size_t)snprintf(x->url, sizeof(x->url), "%s%s", h->cfg->server,
			     next->path) >= sizeof(x->url))
		return KCS_OK; /* kcs_http_do() will say so */
	accept_of(next, x->accept, sizeof(x->accept));
	h->pf_state = PF_WANTED;
	if (!h->in_do)
		pf_start(h);
	return KCS_OK;
}

/* ---- the request loop ------------------------------------------------- */

/* One attempt of req on h->cur. Returns the curl result. */
static CURLcode attempt(struct kcs_http *h, const struct kcs_http_request *req,
			const char *url, struct kcs_error *err)
{
	struct xfer *x = h->cur;
	CURLcode cc;

	snprintf(x->url, sizeof(x->url), "%s", url);
	accept_of(req, x->accept, sizeof(x->accept));
	x->req = req;
	x->err = err;
	cc = xfer_start(h, x, req, 0);
	if (cc != CURLE_OK) {
		x->result = cc;
		return cc;
	}
	run(h, x);
	return x->result;
}

static int retryable_status(long s)
{
	return s == 429 || (s >= 500 && s <= 599);
}

/* Transport errors worth another try when no body byte was consumed. */
static int retryable_curl(CURLcode cc)
{
	return cc == CURLE_RECV_ERROR || cc == CURLE_SEND_ERROR ||
	       cc == CURLE_GOT_NOTHING || cc == CURLE_PARTIAL_FILE ||
	       cc == CURLE_HTTP2 || cc == CURLE_HTTP2_STREAM;
}

/*
 * Perform req with retries (see kcs_http_do). `adopted`: the first attempt
 * is the prefetched transfer now in h->cur.
 */
static enum kcs_err perform(struct kcs_http *h,
			    const struct kcs_http_request *req, const char *url,
			    int adopted, struct kcs_http_response *resp,
			    struct kcs_error *err)
{
	int tries = 0, auth_retried = 0;
	struct xfer *x;
	enum kcs_err rc;
	CURLcode cc;

	for (;;) {
		if (adopted) {
			x = h->cur;
			run(h, x);
			cc = x->result;
		} else {
			cc = attempt(h, req, url, err);
			x = h->cur;
		}
		resp->status = x->status;
		resp->bytes = x->bytes;
		logf_(h, "%s %s -> %ld (%llu bytes%s%s)%s%s", req->method, url,
		      x->status, x->bytes, adopted ? ", prefetched" : "",
		      x->new_conns ? ", new connection" : "", cc ? ": " : "",
		      cc ? curl_easy_strerror(cc) : "");
		adopted = 0;
		if (x->sink_rc)
			return x->sink_rc;
		if (cc == CURLE_OUT_OF_MEMORY)
			return kcs_error_set(err, KCS_ERR_NOMEM, "out of memory");
		if (cc != CURLE_OK) {
			if (x->bytes == 0 && retryable_curl(cc) &&
			    tries < KCS_HTTP_MAX_RETRIES) {
				sleep_ms(h, 250ul << tries);
				tries++;
				continue;
			}
			kcs_error_source(err, url);
			return kcs_error_set(err, KCS_ERR_HTTP,
					     "cannot get '%s': %s%s%s%s", url,
					     curl_easy_strerror(cc),
					     x->curl_err[0] ? " (" : "", x->curl_err,
					     x->curl_err[0] ? ")" : "");
		}
		if (x->status >= 200 && x->status <= 299)
			return KCS_OK;
		read_status(x, resp);
		if (x->status == 401 && !auth_retried) {
			/* Tokens rotate and exec credentials expire: refresh once. */
			auth_retried = 1;
			if (h->cfg->token_file) {
				rc = kcs_config_reload_token(h->cfg, err);
				if (!rc)
					continue;
			} else if (h->cfg->exec) {
				rc = refresh_exec(h, 1, err);
				if (rc)
					return rc;
				continue;
			}
		}
		if (retryable_status(x->status) && tries < KCS_HTTP_MAX_RETRIES) {
			long wait = x->retry_after >= 0 ? x->retry_after * 1000
							: 500L << tries;

			if (wait > KCS_HTTP_MAX_RETRY_WAIT_SEC * 1000L)
				wait = KCS_HTTP_MAX_RETRY_WAIT_SEC * 1000L;
			logf_(h, "retrying in %ld ms after HTTP %ld", wait, x->status);
			sleep_ms(h, (unsigned long)wait);
			tries++;
			continue;
		}
		break;
	}
	kcs_error_source(err, url);
	rc = x->status == 401 ? KCS_ERR_AUTH : KCS_ERR_API;
	kcs_error_set(err, rc, "'%s' answered HTTP %ld%s%s%s%s", url, x->status,
		      resp->status_reason[0] ? " " : "", resp->status_reason,
		      resp->status_message[0] ? ": " : "", resp->status_message);
	if (err)
		err->http_status = (int)x->status;
	return rc;
}

enum kcs_err kcs_http_do(struct kcs_http *h, const struct kcs_http_request *req,
			 struct kcs_http_response *resp, struct kcs_error *err)
{
	char url[URL_MAX];
	int adopted = 0;
	enum kcs_err rc;

	memset(resp, 0, sizeof(*resp));
	if ((size_t)snprintf(url, sizeof(url), "%s%s", h->cfg->server,
			     req->path) >= sizeof(url)) {
		pf_cancel(h);
		return kcs_error_set(err, KCS_ERR_LIMIT, "request URL too long");
	}
	if (h->pf_state == PF_SENT && pf_matches(h->pf, req, url))
		adopted = 1;
	else
		pf_cancel(h);
	h->in_do = 1;
	if (adopted) {
		adopt(h, req, err);
		rc = perform(h, req, url, 1, resp, err);
	} else {
		rc = refresh_exec(h, 0, err);
		if (!rc)
			rc = perform(h, req, url, 0, resp, err);
	}
	h->in_do = 0;
	/* A prefetch asked for by a body that then failed was never sent. */
	if (h->pf_state == PF_WANTED)
		h->pf_state = PF_NONE;
	return rc;
}

struct kcs_http *kcs_http_new(struct kcs_restconfig *cfg,
			      const struct kcs_http_settings *set,
			      struct kcs_error *err)
{
	struct kcs_http *h = kcs_calloc(1, sizeof(*h));
	struct utsname u;
	int i;

	if (!h) {
		kcs_error_set(err, KCS_ERR_NOMEM, "out of memory");
		return NULL;
	}
	h->cfg = cfg;
	if (set)
		h->set = *set;
	h->wait_scale = 100;
	if (uname(&u) == 0)
		snprintf(h->user_agent, sizeof(h->user_agent),
			 "kubecapscan/%s (linux/%s)", KCS_VERSION,
			 go_arch(u.machine));
	else
		snprintf(h->user_agent, sizeof(h->user_agent),
			 "kubecapscan/%s", KCS_VERSION);
	h->cur = &h->x[0];
	h->pf = &h->x[1];
	for (i = 0; i < 2; i++) {
		h->x[i].h = h;
		kcs_buf_init(&h->x[i].error_body, KCS_HTTP_MAX_ERROR_BODY);
	}
	h->multi = curl_multi_init();
	h->share = curl_share_init();
	if (!h->multi || !h->share ||
	    curl_share_setopt(h->share, CURLSHOPT_SHARE,
			      CURL_LOCK_DATA_SSL_SESSION) != CURLSHE_OK)
		goto fail;
	curl_multi_setopt(h->multi, CURLMOPT_MAX_HOST_CONNECTIONS,
			  (long)KCS_HTTP_MAX_CONNECTIONS);
	curl_multi_setopt(h->multi, CURLMOPT_PIPELINING, CURLPIPE_MULTIPLEX);
	for (i = 0; i < 2; i++) {
		h->x[i].curl = curl_easy_init();
		if (!h->x[i].curl)
			goto fail;
		setup(h, &h->x[i]);
	}
	return h;
fail:
	kcs_http_free(h);
	kcs_error_set(err, KCS_ERR_NOMEM, "cannot start libcurl");
	return NULL;
}

void kcs_http_free(struct kcs_http *h)
{
	int i;

	if (!h)
		return;
	for (i = 0; i < 2; i++) {
		struct xfer *x = &h->x[i];

		x->paused = x->held = 0; /* no fresh handle: it goes now */
		if (x->in_multi)
			xfer_end(h, x);
		if (x->curl)
			curl_easy_cleanup(x->curl);
		kcs_buf_release(&x->error_body);
	}
	if (h->multi)
		curl_multi_cleanup(h->multi);
	if (h->share)
		curl_share_cleanup(h->share);
	kcs_credential_release(&h->cred);
	kcs_free(h);
}

const char *kcs_http_server(const struct kcs_http *h)
{
	return h->cfg->server;
}

unsigned long kcs_http_waited_ms(const struct kcs_http *h)
{
	return h->waited_ms;
}

void kcs_http_set_wait_scale(struct kcs_http *h, unsigned percent)
{
	h->wait_scale = percent;
}

unsigned long kcs_http_requests(const struct kcs_http *h)
{
	return h->requests;
}

unsigned long kcs_http_connections(const struct kcs_http *h)
{
	return h->connections;
}
