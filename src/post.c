/*
 * post.c - POST the JSON report to a collector (see post.h).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <curl/curl.h>
#include <openssl/crypto.h>

#include "kcs/alloc.h"
#include "kcs/buf.h"
#include "kcs/post.h"
#include "kcs/version.h"
#include "kcs/banned.h"

/* Largest token file read. */
#define KCS_POST_TOKEN_MAX (64 * 1024)

static size_t read_cb(char *buf, size_t size, size_t n, void *user)
{
	FILE *f = user;
	size_t got = fread(buf, 1, size * n, f);

	if (!got && ferror(f))
		return CURL_READFUNC_ABORT;
	return got;
}

static size_t discard_cb(char *p, size_t size, size_t n, void *user)
{
	(void)p;
	(void)user;
	return size * n;
}

/* Read the token file into a secret buffer, trimmed of surrounding space. */
static enum kcs_err read_token(const char *path, struct kcs_buf *tok,
			       struct kcs_error *err)
{
	char chunk[4096];
	FILE *f = fopen(path, "rb");
	size_t n;
	enum kcs_err rc = KCS_OK;

	if (!f)
		return kcs_error_set(err, KCS_ERR_AUTH,
				     "cannot read --post-token-file '%s': %s", path,
				     strerror(errno));
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		if (kcs_buf_add(tok, chunk, n))
			break;
	OPENSSL_cleanse(chunk, sizeof(chunk));
	if (tok->err)
		rc = kcs_error_set(err, KCS_ERR_AUTH,
				   "--post-token-file '%s' is larger than %d bytes",
				   path, KCS_POST_TOKEN_MAX);
	else if (ferror(f))
		rc = kcs_error_set(err, KCS_ERR_AUTH,
				   "cannot read --post-token-file '%s'", path);
	fclose(f);
	while (!rc && tok->len && (tok->buf[tok->len - 1] == '\n' ||
				   tok->buf[tok->len - 1] == '\r' ||
				   tok->buf[tok->len - 1] == ' '))
		tok->buf[--tok->len] = '\0';
	if (!rc && (!tok->len || strpbrk(tok->buf, "\r\n")))
		rc = kcs_error_set(err, KCS_ERR_AUTH,
				   "--post-token-file '%s' holds no single-line token",
				   path);
	return rc;
}

static void wait_ms(unsigned long ms, unsigned scale)
{
	struct timespec ts;

	ms = ms * (scale ? scale : 100) / 100;
	ts.tv_sec = (time_t)(ms / 1000);
	ts.tv_nsec = (long)(ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

enum kcs_err kcs_post_report(const struct kcs_post_settings *set, FILE *report,
			     struct kcs_error *err)
{
	struct kcs_buf tok = KCS_BUF_INIT(KCS_POST_TOKEN_MAX);
	struct kcs_buf auth = KCS_BUF_INIT(KCS_POST_TOKEN_MAX + 64);
	struct curl_slist *hdrs = NULL, *tmp;
	char ua[96], errbuf[CURL_ERROR_SIZE];
	CURL *c = NULL;
	CURLcode cc = CURLE_OK;
	long status = 0, size;
	int attempt;
	enum kcs_err rc = KCS_OK;

	kcs_buf_init_secret(&tok, KCS_POST_TOKEN_MAX);
	kcs_buf_init_secret(&auth, KCS_POST_TOKEN_MAX + 64);
	if (strncmp(set->url, "https://", 8) != 0)
		return kcs_error_set(err, KCS_ERR_USAGE,
				     "--post-url '%s' must be an https:// URL", set->url);
	if (fseek(report, 0, SEEK_END) != 0 || (size = ftell(report)) < 0)
		return kcs_error_set(err, KCS_ERR_IO, "cannot read back the report to post");
	if (set->token_file) {
		if ((rc = read_token(set->token_file, &tok, err)))
			goto out;
		kcs_buf_addstr(&auth, "Authorization: Bearer ");
		kcs_buf_addstr(&auth, tok.buf);
		if (auth.err) {
			rc = kcs_error_set(err, KCS_ERR_NOMEM, "out of memory");
			goto out;
		}
	}
	hdrs = curl_slist_append(NULL, "Content-Type: application/json");
	if (hdrs && auth.len) {
		tmp = curl_slist_append(hdrs, auth.buf);
		if (!tmp) {
			curl_slist_free_all(hdrs);
			hdrs = NULL;
		} else {
			hdrs = tmp;
		}
	}
	c = curl_easy_init();
	if (!hdrs || !c) {
		rc = kcs_error_set(err, KCS_ERR_NOMEM, "out of memory");
		goto out;
	}
	snprintf(ua, sizeof(ua), "kubecapscan/%s", KCS_VERSION);
	curl_easy_setopt(c, CURLOPT_URL, set->url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_USERAGENT, ua);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
	if (set->ca_file)
		curl_easy_setopt(c, CURLOPT_CAINFO, set->ca_file);
	if (set->timeout_ms > 0)
		curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, set->timeout_ms);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(c, CURLOPT_POST, 1L);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)size);
	curl_easy_setopt(c, CURLOPT_READFUNCTION, read_cb);
	curl_easy_setopt(c, CURLOPT_READDATA, report);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard_cb);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);

	for (attempt = 1;; attempt++) {
		errbuf[0] = '\0';
		status = 0;
		rewind(report);
		cc = curl_easy_perform(c);
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
		if (cc == CURLE_OK && status >= 200 && status <= 299)
			break;
		/* Retry what may pass: the network, 429 and 5xx. Never a 4xx. */
		if (attempt < KCS_POST_MAX_TRIES &&
		    ((cc != CURLE_OK && cc != CURLE_PEER_FAILED_VERIFICATION &&
		      cc != CURLE_SSL_CACERT_BADFILE && cc != CURLE_URL_MALFORMAT) ||
		     status == 429 || status >= 500)) {
			unsigned long ms = 1000ul << (attempt - 1);

			if (ms > KCS_POST_MAX_WAIT_SEC * 1000ul)
				ms = KCS_POST_MAX_WAIT_SEC * 1000ul;
			wait_ms(ms, set->wait_scale);
			continue;
		}
		kcs_error_source(err, set->url);
		if (cc != CURLE_OK)
			rc = kcs_error_set(err, KCS_ERR_HTTP,
					   "cannot deliver the report to '%s': %s%s%s%s",
					   set->url, curl_easy_strerror(cc),
					   errbuf[0] ? " (" : "", errbuf, errbuf[0] ? ")" : "");
		else
			rc = kcs_error_set(err, KCS_ERR_API,
					   "cannot deliver the report to '%s': HTTP %ld",
					   set->url, status);
		if (err && cc == CURLE_OK)
			err->http_status = (int)status;
		break;
	}
out:
	for (tmp = hdrs; tmp; tmp = tmp->next)
		if (!strncmp(tmp->data, "Authorization:", 14))
			OPENSSL_cleanse(tmp->data, strlen(tmp->data));
	curl_slist_free_all(hdrs);
	if (c)
		curl_easy_cleanup(c);
	kcs_buf_release(&tok);
	kcs_buf_release(&auth);
	return rc;
}
