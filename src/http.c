/*
 * http.c - API transport on one libcurl easy handle (see http.h).
 *
 * Body bytes of a 2xx response go straight from libcurl's write callback
 * to the caller's sink (the streaming reader); nothing is buffered whole.
 * Error bodies (non-2xx) are kept, bounded, to read the API's Status.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <curl/curl.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "kcs/alloc.h"
#include "kcs/buf.h"
#include "kcs/execcred.h"
#include "kcs/http.h"
#include "kcs/reader.h"
#include "kcs/version.h"
#include "kcs/banned.h"

struct kcs_http {
	CURL *curl;
	struct kcs_restconfig *cfg;      /* borrowed */
	struct kcs_http_settings set;
	struct kcs_credential cred;      /* from the exec plugin, if any */
	int have_cred;
	char user_agent[128];
	unsigned wait_scale;             /* percent; tests shrink waits */
	unsigned long waited_ms;

	/* per request */
	const struct kcs_http_request *req;
	struct kcs_error *err;
	enum kcs_err sink_rc;            /* error from on_body */
	long status;                     /* status of the response being read */
	unsigned long long bytes;        /* body bytes delivered */
	struct kcs_buf error_body;       /* body of a non-2xx response */
	long retry_after;                /* seconds, -1 if absent */
	char curl_err[CURL_ERROR_SIZE];
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

/* Static TLS and transport settings, once per handle. */
static enum kcs_err setup(struct kcs_http *h, struct kcs_error *err)
{
	CURL *c = h->curl;
	struct kcs_restconfig *cfg = h->cfg;
	struct utsname u;

	if (uname(&u) == 0)
		snprintf(h->user_agent, sizeof(h->user_agent),
			 "kubecapscan/%s (linux/%s)", KCS_VERSION,
			 go_arch(u.machine));
	else
		snprintf(h->user_agent, sizeof(h->user_agent),
			 "kubecapscan/%s", KCS_VERSION);
	curl_easy_setopt(c, CURLOPT_USERAGENT, h->user_agent);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, h->curl_err);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https,http");
	curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "https");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
	if (!cfg->disable_compression)
		curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "gzip");
	if (h->set.timeout_ms > 0) {
		curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, h->set.timeout_ms);
		curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, h->set.timeout_ms);
	}
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
	if (cfg->client_cert.data) {
		set_blob(c, CURLOPT_SSLCERT_BLOB, &cfg->client_cert);
		curl_easy_setopt(c, CURLOPT_SSLCERTTYPE, "PEM");
		set_blob(c, CURLOPT_SSLKEY_BLOB, &cfg->client_key);
		curl_easy_setopt(c, CURLOPT_SSLKEYTYPE, "PEM");
	}
	(void)err;
	return KCS_OK;
}

/* ---- exec credentials ------------------------------------------------ */

static enum kcs_err refresh_exec(struct kcs_http *h, int force,
				 struct kcs_error *err)
{
	enum kcs_err rc;

	if (!h->cfg->exec)
		return KCS_OK;
	if (h->have_cred && !force &&
	    (!h->cred.expires || time(NULL) < h->cred.expires))
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
	if (h->cred.client_cert.data) {
		set_blob(h->curl, CURLOPT_SSLCERT_BLOB, &h->cred.client_cert);
		curl_easy_setopt(h->curl, CURLOPT_SSLCERTTYPE, "PEM");
		set_blob(h->curl, CURLOPT_SSLKEY_BLOB, &h->cred.client_key);
		curl_easy_setopt(h->curl, CURLOPT_SSLKEYTYPE, "PEM");
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

static size_t write_cb(char *data, size_t size, size_t n, void *user)
{
	struct kcs_http *h = user;
	size_t len = size * n;

	if (!h->status)
		curl_easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, &h->status);
	if (h->status < 200 || h->status > 299) {
		/* Keep the start of an error body for its Status; drop the rest. */
		if (h->error_body.len < KCS_HTTP_MAX_ERROR_BODY) {
			size_t room = KCS_HTTP_MAX_ERROR_BODY - h->error_body.len;

			kcs_buf_add(&h->error_body, data, len < room ? len : room);
		}
		return len;
	}
	if (h->bytes + len > KCS_HTTP_MAX_BODY) {
		h->sink_rc = kcs_error_set(h->err, KCS_ERR_LIMIT,
					   "response from '%s' is larger than %llu bytes",
					   h->cfg->server, KCS_HTTP_MAX_BODY);
		return 0;
	}
	h->bytes += len;
	if (h->req->on_body) {
		h->sink_rc = h->req->on_body(data, len, h->req->user, h->err);
		if (h->sink_rc)
			return 0; /* aborts the transfer */
	}
	return len;
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
	struct kcs_http *h = user;
	size_t len = size * n;
	char v[1024];

	if (len >= 5 && !strncmp(line, "HTTP/", 5)) {
		/* A new response (after 100-continue or a retry): reset. */
		h->status = 0;
		h->retry_after = -1;
		return len;
	}
	if (header_is(line, len, "Warning")) {
		header_value(line, len, 8, v, sizeof(v));
		handle_warning(h, v);
	} else if (header_is(line, len, "Retry-After")) {
		char *end;
		long s;

		header_value(line, len, 12, v, sizeof(v));
		errno = 0;
		s = strtol(v, &end, 10);
		if (!errno && end != v && *end == '\0' && s >= 0)
			h->retry_after = s;
	}
	return len;
}

/* ---- Status bodies --------------------------------------------------- */

/* Read reason and message from an error body that is a Status. */
static void read_status(struct kcs_http *h, struct kcs_http_response *resp)
{
	struct kcs_reader *r = kcs_reader_new(NULL, KCS_HINT_NONE);
	struct kcs_error e = KCS_ERROR_INIT;
	const struct kcs_doc_info *in;

	resp->status_reason[0] = resp->status_message[0] = '\0';
	resp->status_continue[0] = '\0';
	if (!r)
		return;
	if (!kcs_reader_feed(r, h->error_body.buf, h->error_body.len, &e) &&
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

/* ---- the request loop ------------------------------------------------- */

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

/* One attempt. Returns the curl result; fills h->status. */
static CURLcode attempt(struct kcs_http *h, const struct kcs_http_request *req,
			const char *url)
{
	struct curl_slist *hdrs = NULL, *tmp;
	struct kcs_buf auth = KCS_BUF_INIT(64 * 1024);
	const char *tok = bearer(h);
	char accept[512];
	CURLcode cc = CURLE_OUT_OF_MEMORY;

	kcs_buf_init_secret(&auth, 64 * 1024);
	snprintf(accept, sizeof(accept), "Accept: %s",
		 req->accept ? req->accept : "application/json");
	if (!(hdrs = curl_slist_append(NULL, accept)))
		goto out;
	if (req->body) {
		if (!(tmp = curl_slist_append(hdrs, "Content-Type: application/json")))
			goto out;
		hdrs = tmp;
	}
	if (tok) {
		if (kcs_buf_addstr(&auth, "Authorization: Bearer ") ||
		    kcs_buf_addstr(&auth, tok))
			goto out;
		if (!(tmp = curl_slist_append(hdrs, auth.buf)))
			goto out;
		hdrs = tmp;
	}
	h->status = 0;
	h->bytes = 0;
	h->retry_after = -1;
	h->sink_rc = KCS_OK;
	h->curl_err[0] = '\0';
	kcs_buf_reset(&h->error_body);
	curl_easy_setopt(h->curl, CURLOPT_URL, url);
	curl_easy_setopt(h->curl, CURLOPT_HTTPHEADER, hdrs);
	if (req->body) {
		curl_easy_setopt(h->curl, CURLOPT_POSTFIELDS, req->body);
		curl_easy_setopt(h->curl, CURLOPT_POSTFIELDSIZE, (long)req->body_len);
	} else {
		curl_easy_setopt(h->curl, CURLOPT_HTTPGET, 1L);
	}
	cc = curl_easy_perform(h->curl);
	curl_easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, &h->status);
	curl_easy_setopt(h->curl, CURLOPT_HTTPHEADER, NULL);
out:
	/* libcurl copied the header strings; wipe ours and its list's. */
	for (tmp = hdrs; tmp; tmp = tmp->next)
		if (!strncmp(tmp->data, "Authorization:", 14))
			OPENSSL_cleanse(tmp->data, strlen(tmp->data));
	curl_slist_free_all(hdrs);
	kcs_buf_release(&auth);
	return cc;
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

enum kcs_err kcs_http_do(struct kcs_http *h, const struct kcs_http_request *req,
			 struct kcs_http_response *resp, struct kcs_error *err)
{
	char url[8192];
	int tries = 0, auth_retried = 0;
	enum kcs_err rc;
	CURLcode cc;

	memset(resp, 0, sizeof(*resp));
	if ((size_t)snprintf(url, sizeof(url), "%s%s", h->cfg->server,
			     req->path) >= sizeof(url))
		return kcs_error_set(err, KCS_ERR_LIMIT, "request URL too long");
	h->req = req;
	h->err = err;
	rc = refresh_exec(h, 0, err);
	if (rc)
		return rc;
	for (;;) {
		cc = attempt(h, req, url);
		resp->status = h->status;
		resp->bytes = h->bytes;
		logf_(h, "%s %s -> %ld (%llu bytes)%s%s", req->method, url,
		      h->status, h->bytes, cc ? ": " : "",
		      cc ? curl_easy_strerror(cc) : "");
		if (h->sink_rc)
			return h->sink_rc;
		if (cc == CURLE_OUT_OF_MEMORY)
			return kcs_error_set(err, KCS_ERR_NOMEM, "out of memory");
		if (cc != CURLE_OK) {
			if (h->bytes == 0 && retryable_curl(cc) &&
			    tries < KCS_HTTP_MAX_RETRIES) {
				sleep_ms(h, 250ul << tries);
				tries++;
				continue;
			}
			kcs_error_source(err, url);
			return kcs_error_set(err, KCS_ERR_HTTP,
					     "cannot get '%s': %s%s%s%s", url,
					     curl_easy_strerror(cc),
					     h->curl_err[0] ? " (" : "", h->curl_err,
					     h->curl_err[0] ? ")" : "");
		}
		if (h->status >= 200 && h->status <= 299)
			return KCS_OK;
		read_status(h, resp);
		if (h->status == 401 && !auth_retried) {
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
		if (retryable_status(h->status) && tries < KCS_HTTP_MAX_RETRIES) {
			long wait = h->retry_after >= 0 ? h->retry_after * 1000
							: 500L << tries;

			if (wait > KCS_HTTP_MAX_RETRY_WAIT_SEC * 1000L)
				wait = KCS_HTTP_MAX_RETRY_WAIT_SEC * 1000L;
			logf_(h, "retrying in %ld ms after HTTP %ld", wait, h->status);
			sleep_ms(h, (unsigned long)wait);
			tries++;
			continue;
		}
		break;
	}
	kcs_error_source(err, url);
	rc = h->status == 401 ? KCS_ERR_AUTH : KCS_ERR_API;
	kcs_error_set(err, rc, "'%s' answered HTTP %ld%s%s%s%s", url, h->status,
		      resp->status_reason[0] ? " " : "", resp->status_reason,
		      resp->status_message[0] ? ": " : "", resp->status_message);
	if (err)
		err->http_status = (int)h->status;
	return rc;
}

struct kcs_http *kcs_http_new(struct kcs_restconfig *cfg,
			      const struct kcs_http_settings *set,
			      struct kcs_error *err)
{
	struct kcs_http *h = kcs_calloc(1, sizeof(*h));

	if (!h) {
		kcs_error_set(err, KCS_ERR_NOMEM, "out of memory");
		return NULL;
	}
	h->cfg = cfg;
	if (set)
		h->set = *set;
	h->wait_scale = 100;
	kcs_buf_init(&h->error_body, KCS_HTTP_MAX_ERROR_BODY);
	h->curl = curl_easy_init();
	if (!h->curl) {
		kcs_free(h);
		kcs_error_set(err, KCS_ERR_NOMEM, "cannot start libcurl");
		return NULL;
	}
	curl_easy_setopt(h->curl, CURLOPT_WRITEFUNCTION, write_cb);
	curl_easy_setopt(h->curl, CURLOPT_WRITEDATA, h);
	curl_easy_setopt(h->curl, CURLOPT_HEADERFUNCTION, header_cb);
	curl_easy_setopt(h->curl, CURLOPT_HEADERDATA, h);
	if (setup(h, err)) {
		kcs_http_free(h);
		return NULL;
	}
	return h;
}

void kcs_http_free(struct kcs_http *h)
{
	if (!h)
		return;
	if (h->curl)
		curl_easy_cleanup(h->curl);
	kcs_credential_release(&h->cred);
	kcs_buf_release(&h->error_body);
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
