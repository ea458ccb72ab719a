/*
 * execcred.c - exec credential plugins, run the way client-go runs them
 * (plugin/pkg/client/auth/exec/exec.go), see execcred.h.
 *
 * The plugin is a program named in a kubeconfig we may not have written, so
 * it is started with posix_spawnp and an argv array (never a shell), gets
 * only fds 0-2 (stdin is /dev/null unless it may prompt on our terminal),
 * and its environment is built for it alone in envp: the parent's, then the
 * kubeconfig's env entries, then KUBERNETES_EXEC_INFO, a later name
 * overriding an earlier one as Go's os/exec does. Its stdout is read through
 * a pipe into a bounded secret buffer while a deadline runs; stderr is ours,
 * for its prompts and diagnostics. The child is always reaped, on every
 * path, and a child that overstays is sent SIGTERM, then SIGKILL.
 *
 * The ExecCredential it prints is parsed with yajl callbacks into secret
 * buffers. Output, token and key are wiped before their memory is freed,
 * including the copies yajl makes while decoding escaped strings (the
 * parser gets an allocator that wipes). Error messages name the command and
 * the field at fault and never quote the output.
 */
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_parse.h>

#include "kcs/alloc.h"
#include "kcs/buf.h"
#include "kcs/execcred.h"
#include "kcs/jsonsax.h"
#include "kcs/banned.h"

#define API_V1 "client.authentication.k8s.io/v1"
#define API_V1BETA1 "client.authentication.k8s.io/v1beta1"
#define EXEC_INFO_ENV "KUBERNETES_EXEC_INFO"

/* Nesting accepted in the output; real ExecCredentials are 2 deep. */
#define MAX_DEPTH 64
/* Time a plugin gets between SIGTERM and SIGKILL. */
#define KILL_GRACE_MS 1000
/* How often we look for the child's exit while its stdout is still open
 * (a background grandchild may hold the pipe after the plugin exited). */
#define TICK_MS 50
/* The same once stdout reached EOF: the exit is due any moment. */
#define EOF_TICK_MS 2
/* Bytes read from the pipe at a time. */
#define CHUNK 16384
/* Largest KUBERNETES_EXEC_INFO accepted; the kernel's own limit for one
 * environment string (MAX_ARG_STRLEN, 128 KiB) is lower still. */
#define EXEC_INFO_MAX (4 * 1024 * 1024)
/* Room for the command and the install hint in messages (both cut). */
#define SHOWN_CMD_MAX 200
#define SHOWN_HINT_MAX 300

extern char **environ;

/* Run-time limit of the next plugins, see kcs_exec_set_timeout. */
static unsigned exec_timeout_sec = KCS_EXEC_TIMEOUT_SEC;

void kcs_exec_set_timeout(unsigned seconds)
{
	exec_timeout_sec = seconds ? seconds : KCS_EXEC_TIMEOUT_SEC;
}

/*
 * Copy `s` into `dst` for a message, escaping control characters (C0, DEL
 * and C1) so that kubeconfig text cannot drive the user's terminal.
 * `keep_lines` keeps newlines and tabs (an install hint is prose). Cuts to
 * fit `size`.
 */
static void escape_text(char *dst, size_t size, const char *s,
			int keep_lines)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = 0;
	char esc[8];
	size_t elen;

	for (; *p; p++) {
		if (keep_lines && (*p == '\n' || *p == '\t')) {
			esc[0] = (char)*p;
			elen = 1;
		} else if (*p < 0x20 || *p == 0x7f) {
			elen = (size_t)snprintf(esc, sizeof(esc), "\\x%02x",
						*p);
		} else if (*p == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) {
			/* U+0080..U+009F in UTF-8: the C1 controls */
			elen = (size_t)snprintf(esc, sizeof(esc), "\\u%04x",
						p[1]);
			p++;
		} else {
			esc[0] = (char)*p;
			elen = 1;
		}
		if (n + elen >= size)
			break;
		memcpy(dst + n, esc, elen);
		n += elen;
	}
	dst[n] = '\0';
}

/* ---- the ExecCredential parser ------------------------------------------- */

/* What a value in a given place means to us. */
enum slot {
	S_SKIP,        /* unknown field: ignored, whatever its type */
	S_API_VERSION, /* apiVersion */
	S_KIND,        /* kind */
	S_STATUS,      /* status */
	S_TOKEN,       /* status.token */
	S_CERT,        /* status.clientCertificateData */
	S_KEY,         /* status.clientKeyData */
	S_EXPIRY,      /* status.expirationTimestamp */
};

/* Field names for messages, by slot. */
static const char *const slot_name[] = {
	[S_SKIP] = "?",
	[S_API_VERSION] = "apiVersion",
	[S_KIND] = "kind",
	[S_STATUS] = "status",
	[S_TOKEN] = "status.token",
	[S_CERT] = "status.clientCertificateData",
	[S_KEY] = "status.clientKeyData",
	[S_EXPIRY] = "status.expirationTimestamp",
};

/* The object we are in (skipped subtrees are only counted). */
enum node {
	N_NONE,   /* before the top-level value, or after it closed */
	N_ROOT,   /* the ExecCredential object */
	N_STATUS, /* its status object */
};

/* Keys per node: the whole schema we read. */
#define K(n, k, s) KCS_JSONSAX_KEY(n, k, s)
static const struct kcs_jsonsax_key keys[] = {
	K(N_ROOT, "apiVersion", S_API_VERSION),
	K(N_ROOT, "kind", S_KIND),
	K(N_ROOT, "status", S_STATUS),
	K(N_STATUS, "token", S_TOKEN),
	K(N_STATUS, "clientCertificateData", S_CERT),
	K(N_STATUS, "clientKeyData", S_KEY),
	K(N_STATUS, "expirationTimestamp", S_EXPIRY),
};
#undef K

/* Parser state, passed to every callback as ctx. */
struct parser {
	const char *want_api;     /* apiVersion the plugin was asked for */
	enum node node;           /* object we are in */
	size_t skip;              /* depth in a skipped subtree, 0 if none */
	enum slot pending;        /* meaning of the next value in a map */
	unsigned char done;       /* the top-level object has closed */
	unsigned char has_api;    /* apiVersion was a non-empty string */
	unsigned char api_ok;     /* ... equal to want_api */
	unsigned char has_kind;   /* kind was a non-empty string */
	unsigned char kind_ok;    /* ... equal to "ExecCredential" */
	unsigned char has_status; /* status was an object (not null) */
	struct kcs_buf token;     /* secret */
	struct kcs_buf cert;      /* PEM; kept secret too, it is cheap */
	struct kcs_buf key;       /* PEM, secret */
	time_t expires;           /* 0 = none */
	struct kcs_error *err;    /* where callbacks record errors */
	enum kcs_err rc;          /* code a callback canceled the parse with */
};

static int fail(struct parser *p, enum kcs_err code, const char *fmt, ...)
	KCS_PRINTF(3, 4);

/* Record an error and tell yajl to stop (client_canceled). */
static int fail(struct parser *p, enum kcs_err code, const char *fmt, ...)
{
	char msg[KCS_ERROR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	p->rc = kcs_error_set(p->err, code, "%s", msg);
	return 0;
}

static int wrong_type(struct parser *p, enum slot s)
{
	if (s == S_STATUS)
		return fail(p, KCS_ERR_PARSE, "'%s' is not an object",
			    slot_name[s]);
	return fail(p, KCS_ERR_PARSE, "'%s' is not a string", slot_name[s]);
}

/* The slot of the value about to start; a map value consumes its key. */
static enum slot take_slot(struct parser *p)
{
	enum slot s = p->pending;

	p->pending = S_SKIP;
	return s;
}

static int enter_skip(struct parser *p)
{
	size_t depth = p->node == N_STATUS ? 2 : 1;

	if (depth + p->skip >= MAX_DEPTH) {
		p->rc = kcs_error_set(p->err, KCS_ERR_LIMIT,
				      "JSON nested deeper than %d levels",
				      MAX_DEPTH);
		return 0;
	}
	p->skip++;
	return 1;
}

static int is_digits(const unsigned char *s, size_t n, long *v)
{
	size_t i;

	*v = 0;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return 0;
		*v = *v * 10 + (s[i] - '0');
	}
	return 1;
}

static int days_in_month(long y, long m)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30,
				    31, 31, 30, 31, 30, 31 };
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 && leap ? 29 : days[m - 1];
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant). */
static long long days_from_civil(long y, long m, long d)
{
	long long era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/*
 * Parse an RFC 3339 date-time (YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM))
 * into seconds since the epoch, UTC. Fractions are dropped. Ranges are
 * checked as Go's time.Parse checks them (no leap second 60). Returns 0 on
 * success, -1 if `s` is not such a time.
 */
static int parse_rfc3339(const unsigned char *s, size_t len, time_t *out)
{
	long yr, mo, dd, hh, mi, ss, oh, om;
	long long off = 0, t;
	size_t i = 19, start;

	if (len < 20 || !is_digits(s, 4, &yr) || s[4] != '-' ||
	    !is_digits(s + 5, 2, &mo) || s[7] != '-' ||
	    !is_digits(s + 8, 2, &dd) || (s[10] != 'T' && s[10] != 't') ||
	    !is_digits(s + 11, 2, &hh) || s[13] != ':' ||
	    !is_digits(s + 14, 2, &mi) || s[16] != ':' ||
	    !is_digits(s + 17, 2, &ss))
		return -1;
	if (s[i] == '.') {
		start = ++i;
		while (i < len && s[i] >= '0' && s[i] <= '9')
			i++;
		if (i == start)
			return -1;
	}
	if (i < len && (s[i] == 'Z' || s[i] == 'z')) {
		i++;
	} else if (i < len && (s[i] == '+' || s[i] == '-')) {
		if (len - i != 6 || !is_digits(s + i + 1, 2, &oh) ||
		    s[i + 3] != ':' || !is_digits(s + i + 4, 2, &om) ||
		    oh > 23 || om > 59)
			return -1;
		off = (oh * 3600 + om * 60) * (s[i] == '-' ? -1 : 1);
		i += 6;
	} else {
		return -1;
	}
	if (i != len || mo < 1 || mo > 12 || dd < 1 ||
	    dd > days_in_month(yr, mo) || hh > 23 || mi > 59 || ss > 59)
		return -1;
	t = days_from_civil(yr, mo, dd) * 86400 + hh * 3600 + mi * 60 + ss;
	t -= off;
	/* 0 means "no expiry"; the epoch itself is long past either way. */
	*out = t == 0 ? (time_t)-1 : (time_t)t;
	return 0;
}

/* Store a string value in a secret buffer (last duplicate key wins). */
static int set_secret(struct parser *p, struct kcs_buf *b, enum slot s,
		      const unsigned char *v, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		/* A token goes into an HTTP header: no control bytes. PEM
		 * may hold newlines but never a NUL (we keep C strings). */
		if (v[i] == 0)
			return fail(p, KCS_ERR_PARSE,
				    "'%s' contains a NUL byte", slot_name[s]);
		if (s == S_TOKEN && (v[i] < 0x20 || v[i] == 0x7f))
			return fail(p, KCS_ERR_PARSE,
				    "'%s' contains a control character",
				    slot_name[s]);
	}
	kcs_buf_reset(b);
	if (kcs_buf_add(b, v, len) == KCS_ERR_NOMEM)
		return fail(p, KCS_ERR_NOMEM, "out of memory reading '%s'",
			    slot_name[s]);
	if (b->err) {
		p->rc = kcs_error_set(p->err, KCS_ERR_LIMIT,
				      "'%s' longer than %d bytes",
				      slot_name[s], KCS_EXEC_OUTPUT_MAX);
		return 0;
	}
	return 1;
}

static int equals(const unsigned char *s, size_t len, const char *want)
{
	return len == strlen(want) && memcmp(s, want, len) == 0;
}

static int cb_string(void *ctx, const unsigned char *s, size_t len)
{
	struct parser *p = ctx;
	enum slot slot;

	if (p->skip)
		return 1;
	if (p->node == N_NONE)
		return fail(p, KCS_ERR_PARSE, "%s is not a JSON object",
			    "ExecCredential");
	slot = take_slot(p);
	switch (slot) {
	case S_SKIP:
		return 1;
	case S_API_VERSION:
		p->has_api = len > 0;
		p->api_ok = equals(s, len, p->want_api);
		return 1;
	case S_KIND:
		p->has_kind = len > 0;
		p->kind_ok = equals(s, len, "ExecCredential");
		return 1;
	case S_TOKEN:
		return set_secret(p, &p->token, slot, s, len);
	case S_CERT:
		return set_secret(p, &p->cert, slot, s, len);
	case S_KEY:
		return set_secret(p, &p->key, slot, s, len);
	case S_EXPIRY:
		if (parse_rfc3339(s, len, &p->expires))
			return fail(p, KCS_ERR_PARSE,
				    "'%s' is not an RFC 3339 time",
				    slot_name[slot]);
		return 1;
	case S_STATUS:
		break;
	}
	return wrong_type(p, slot);
}

/* null clears a field, as Go's encoding/json does. */
static int cb_null(void *ctx)
{
	struct parser *p = ctx;
	enum slot slot;

	if (p->skip)
		return 1;
	if (p->node == N_NONE)
		return fail(p, KCS_ERR_PARSE, "%s is not a JSON object",
			    "ExecCredential");
	slot = take_slot(p);
	switch (slot) {
	case S_SKIP:
		break;
	case S_API_VERSION:
		p->has_api = p->api_ok = 0;
		break;
	case S_KIND:
		p->has_kind = p->kind_ok = 0;
		break;
	case S_STATUS:
		p->has_status = 0;
		kcs_buf_reset(&p->token);
		kcs_buf_reset(&p->cert);
		kcs_buf_reset(&p->key);
		p->expires = 0;
		break;
	case S_TOKEN:
		kcs_buf_reset(&p->token);
		break;
	case S_CERT:
		kcs_buf_reset(&p->cert);
		break;
	case S_KEY:
		kcs_buf_reset(&p->key);
		break;
	case S_EXPIRY:
		p->expires = 0;
		break;
	}
	return 1;
}

/* Booleans and numbers: fine where unknown, wrong anywhere we look. */
static int cb_other_scalar(struct parser *p)
{
	enum slot slot;

	if (p->skip)
		return 1;
	if (p->node == N_NONE)
		return fail(p, KCS_ERR_PARSE, "%s is not a JSON object",
			    "ExecCredential");
	slot = take_slot(p);
	return slot == S_SKIP ? 1 : wrong_type(p, slot);
}

static int cb_boolean(void *ctx, int v)
{
	(void)v;
	return cb_other_scalar(ctx);
}

static int cb_number(void *ctx, const char *s, size_t len)
{
	(void)s;
	(void)len;
	return cb_other_scalar(ctx);
}

static int cb_start_map(void *ctx)
{
	struct parser *p = ctx;
	enum slot slot;

	if (p->skip)
		return enter_skip(p);
	if (p->node == N_NONE) {
		p->node = N_ROOT;
		return 1;
	}
	slot = take_slot(p);
	if (slot == S_SKIP)
		return enter_skip(p);
	if (slot != S_STATUS)
		return wrong_type(p, slot);
	/* A repeated status merges into the first, as in Go. */
	p->node = N_STATUS;
	p->has_status = 1;
	return 1;
}

static int cb_map_key(void *ctx, const unsigned char *s, size_t len)
{
	struct parser *p = ctx;

	if (p->skip)
		return 1;
	p->pending = (enum slot)kcs_jsonsax_key_slot(keys, KCS_ARRAY_SIZE(keys),
						     p->node, s, len);
	return 1;
}

static int cb_end_map(void *ctx)
{
	struct parser *p = ctx;

	if (p->skip) {
		p->skip--;
	} else if (p->node == N_STATUS) {
		p->node = N_ROOT;
	} else {
		p->node = N_NONE;
		p->done = 1;
	}
	return 1;
}

static int cb_start_array(void *ctx)
{
	struct parser *p = ctx;
	enum slot slot;

	if (p->skip)
		return enter_skip(p);
	if (p->node == N_NONE)
		return fail(p, KCS_ERR_PARSE, "%s is not a JSON object",
			    "ExecCredential");
	slot = take_slot(p);
	return slot == S_SKIP ? enter_skip(p) : wrong_type(p, slot);
}

static int cb_end_array(void *ctx)
{
	struct parser *p = ctx;

	/* We only ever enter arrays in skip mode. */
	p->skip--;
	return 1;
}

static const yajl_callbacks parser_callbacks = {
	.yajl_null = cb_null,
	.yajl_boolean = cb_boolean,
	.yajl_number = cb_number,
	.yajl_string = cb_string,
	.yajl_start_map = cb_start_map,
	.yajl_map_key = cb_map_key,
	.yajl_end_map = cb_end_map,
	.yajl_start_array = cb_start_array,
	.yajl_end_array = cb_end_array,
};

/*
 * The allocator we give yajl, for two reasons. yajl copies the strings it
 * un-escapes into buffers of its own, so a token written with a \u escape
 * would outlive the parse in freed memory: every block yajl gives back is
 * wiped (its whole usable size, as yajl does not say how much it used).
 * And yajl 2.1 dereferences a NULL from its allocator (yajl_alloc,
 * yajl_buf), so these blocks bypass kcs_malloc's fault hook: allocation
 * failure tests then exercise our paths instead of crashing inside yajl.
 */
static void *yajl_wipe_malloc(void *ctx, size_t n)
{
	(void)ctx;
	return malloc(n ? n : 1);
}

static void yajl_wipe_free(void *ctx, void *ptr)
{
	(void)ctx;
	if (ptr)
		kcs_free_secret(ptr, malloc_usable_size(ptr));
}

static void *yajl_wipe_realloc(void *ctx, void *ptr, size_t n)
{
	size_t old;
	void *q;

	if (!ptr)
		return yajl_wipe_malloc(ctx, n);
	q = yajl_wipe_malloc(ctx, n);
	if (!q)
		return NULL;
	old = malloc_usable_size(ptr);
	memcpy(q, ptr, old < n ? old : n);
	yajl_wipe_free(ctx, ptr);
	return q;
}

static yajl_alloc_funcs yajl_funcs = {
	.malloc = yajl_wipe_malloc,
	.realloc = yajl_wipe_realloc,
	.free = yajl_wipe_free,
	.ctx = NULL,
};

static void parser_init(struct parser *p, const char *want_api,
			struct kcs_error *err)
{
	memset(p, 0, sizeof(*p));
	p->want_api = want_api;
	p->node = N_NONE;
	p->pending = S_SKIP;
	kcs_buf_init_secret(&p->token, KCS_EXEC_OUTPUT_MAX);
	kcs_buf_init_secret(&p->cert, KCS_EXEC_OUTPUT_MAX);
	kcs_buf_init_secret(&p->key, KCS_EXEC_OUTPUT_MAX);
	p->err = err;
}

static void parser_release(struct parser *p)
{
	kcs_buf_release(&p->token);
	kcs_buf_release(&p->cert);
	kcs_buf_release(&p->key);
}

/* Turn a failed yajl status into our error, naming the byte offset. */
static enum kcs_err yajl_failure(struct parser *p, yajl_handle h,
				 yajl_status st, const unsigned char *data,
				 size_t len, size_t off, struct kcs_error *err)
{
	unsigned char *msg;
	size_t n;

	if (st == yajl_status_client_canceled) {
		if (err && err->offset < 0)
			err->offset = (long long)off;
		return p->rc ? p->rc : KCS_ERR_INTERNAL;
	}
	/* verbose=0: yajl's message then never quotes the input. */
	msg = yajl_get_error(h, 0, data, len);
	n = msg ? strlen((const char *)msg) : 0;
	while (n && msg[n - 1] == '\n')
		msg[--n] = '\0';
	kcs_error_set(err, KCS_ERR_PARSE, "invalid JSON at byte %zu: %s", off,
		      msg ? (const char *)msg : "parse error");
	if (err && err->offset < 0)
		err->offset = (long long)off;
	if (msg)
		yajl_free_error(h, msg);
	return KCS_ERR_PARSE;
}

/* What client-go checks once the document is decoded (exec.go). */
static enum kcs_err check_document(const struct parser *p,
				   struct kcs_error *err)
{
	if (!p->has_kind)
		return kcs_error_set(err, KCS_ERR_PARSE,
				     "ExecCredential has no 'kind'");
	if (!p->kind_ok)
		return kcs_error_set(err, KCS_ERR_PARSE,
				     "'kind' is not 'ExecCredential'");
	if (!p->has_api)
		return kcs_error_set(err, KCS_ERR_PARSE,
				     "ExecCredential has no 'apiVersion'");
	if (!p->api_ok)
		return kcs_error_set(err, KCS_ERR_PARSE,
				     "'apiVersion' is not the requested '%s'",
				     p->want_api);
	if (!p->has_status)
		return kcs_error_set(err, KCS_ERR_PARSE,
				     "ExecCredential has no 'status'");
	if (!p->token.len && !p->cert.len && !p->key.len)
		return kcs_error_set(err, KCS_ERR_PARSE,
				     "'status' has neither a token nor a client certificate and key");
	if (!p->cert.len != !p->key.len)
		return kcs_error_set(err, KCS_ERR_PARSE,
				     "'status' has only one of 'clientCertificateData' and 'clientKeyData'");
	return KCS_OK;
}

static enum kcs_err take_blob(struct kcs_buf *b, struct kcs_blob *out)
{
	size_t len;

	if (!b->len)
		return KCS_OK;
	out->data = (unsigned char *)kcs_buf_detach(b, &len);
	if (!out->data)
		return KCS_ERR_NOMEM;
	out->len = len;
	return KCS_OK;
}

static enum kcs_err take_fields(struct parser *p, struct kcs_credential *out,
				struct kcs_error *err)
{
	if (p->token.len) {
		out->token = kcs_buf_detach(&p->token, NULL);
		if (!out->token)
			goto nomem;
	}
	if (take_blob(&p->cert, &out->client_cert) ||
	    take_blob(&p->key, &out->client_key))
		goto nomem;
	out->expires = p->expires;
	return KCS_OK;
nomem:
	kcs_credential_release(out);
	return kcs_error_set(err, KCS_ERR_NOMEM, "out of memory");
}

enum kcs_err kcs_exec_parse(const char *api_version, const void *data,
			    size_t len, struct kcs_credential *out,
			    struct kcs_error *err)
{
	struct parser p;
	yajl_handle h = NULL;
	yajl_status st;
	size_t off;
	enum kcs_err rc;

	memset(out, 0, sizeof(*out));
	parser_init(&p, api_version ? api_version : "", err);
	if (!api_version || !*api_version) {
		rc = kcs_error_set(err, KCS_ERR_INTERNAL,
				   "no apiVersion to check an ExecCredential against");
		goto out;
	}
	if (!len) {
		rc = kcs_error_set(err, KCS_ERR_PARSE, "output is empty");
		goto out;
	}
	h = yajl_alloc(&parser_callbacks, &yajl_funcs, &p);
	if (!h) {
		rc = kcs_error_set(err, KCS_ERR_NOMEM, "out of memory");
		goto out;
	}
	st = yajl_parse(h, data, len);
	off = yajl_get_bytes_consumed(h);
	if (st == yajl_status_ok) {
		st = yajl_complete_parse(h);
		off = len;
	}
	if (st != yajl_status_ok) {
		rc = yajl_failure(&p, h, st, data, len, off, err);
		goto out;
	}
	if (!p.done) {
		rc = kcs_error_set(err, KCS_ERR_PARSE,
				   "invalid JSON at byte %zu: document ends early",
				   len);
		goto out;
	}
	rc = check_document(&p, err);
	if (!rc)
		rc = take_fields(&p, out, err);
out:
	if (h)
		yajl_free(h);
	parser_release(&p);
	return rc;
}

void kcs_credential_release(struct kcs_credential *c)
{
	if (!c)
		return;
	kcs_free_secret_str(c->token);
	c->token = NULL;
	kcs_blob_release(&c->client_cert); /* wipes the cert too: uniform */
	kcs_blob_release(&c->client_key);
	c->expires = 0;
}

/* ---- KUBERNETES_EXEC_INFO ------------------------------------------------ */

/* A yajl generator with a sticky status: calls after a failure do nothing. */
struct gen {
	yajl_gen g;
	yajl_gen_status st;
};

static void gen_str(struct gen *g, const char *s)
{
	if (g->st == yajl_gen_status_ok)
		g->st = yajl_gen_string(g->g, (const unsigned char *)s,
					strlen(s));
}

static void gen_kv_str(struct gen *g, const char *key, const char *val)
{
	gen_str(g, key);
	gen_str(g, val);
}

static void gen_kv_bool(struct gen *g, const char *key, int val)
{
	gen_str(g, key);
	if (g->st == yajl_gen_status_ok)
		g->st = yajl_gen_bool(g->g, val);
}

static void gen_open(struct gen *g, const char *key)
{
	if (key)
		gen_str(g, key);
	if (g->st == yajl_gen_status_ok)
		g->st = yajl_gen_map_open(g->g);
}

static void gen_close(struct gen *g)
{
	if (g->st == yajl_gen_status_ok)
		g->st = yajl_gen_map_close(g->g);
}

/* spec.cluster, with client-go's omitempty fields left out when empty. */
static enum kcs_err gen_cluster(struct gen *g,
				const struct kcs_restconfig *cfg)
{
	char *ca64 = NULL;
	size_t n;

	gen_open(g, "cluster");
	gen_kv_str(g, "server", cfg->server ? cfg->server : "");
	if (cfg->tls_server_name && *cfg->tls_server_name)
		gen_kv_str(g, "tls-server-name", cfg->tls_server_name);
	if (cfg->insecure)
		gen_kv_bool(g, "insecure-skip-tls-verify", 1);
	if (cfg->ca.data && cfg->ca.len) {
		if (cfg->ca.len > KCS_CREDFILE_MAX)
			return KCS_ERR_LIMIT;
		/* base64 like Go's []byte: 4 bytes per 3, no newlines */
		n = 4 * ((cfg->ca.len + 2) / 3) + 1;
		ca64 = kcs_malloc(n);
		if (!ca64)
			return KCS_ERR_NOMEM;
		EVP_EncodeBlock((unsigned char *)ca64, cfg->ca.data,
				(int)cfg->ca.len);
		gen_kv_str(g, "certificate-authority-data", ca64);
		kcs_free(ca64);
	}
	if (cfg->proxy_url && *cfg->proxy_url)
		gen_kv_str(g, "proxy-url", cfg->proxy_url);
	if (cfg->disable_compression)
		gen_kv_bool(g, "disable-compression", 1);
	gen_close(g);
	return KCS_OK;
}

/*
 * Build "KUBERNETES_EXEC_INFO=<ExecCredential JSON>" into `info`, as
 * client-go encodes it: kind, apiVersion, spec.interactive and, only with
 * provideClusterInfo, spec.cluster.
 */
static enum kcs_err build_exec_info(const struct kcs_restconfig *cfg,
				    int interactive, struct kcs_buf *info,
				    const char *cmd, struct kcs_error *err)
{
	struct gen g = { NULL, yajl_gen_status_ok };
	const unsigned char *json;
	size_t len;
	enum kcs_err rc = KCS_OK;

	g.g = yajl_gen_alloc(&yajl_funcs);
	if (!g.g)
		return kcs_error_set(err, KCS_ERR_NOMEM, "out of memory");
	yajl_gen_config(g.g, yajl_gen_validate_utf8, 1);
	gen_open(&g, NULL);
	gen_kv_str(&g, "kind", "ExecCredential");
	gen_kv_str(&g, "apiVersion", cfg->exec->api_version);
	gen_open(&g, "spec");
	if (cfg->exec->provide_cluster_info)
		rc = gen_cluster(&g, cfg);
	gen_kv_bool(&g, "interactive", interactive);
	gen_close(&g);
	gen_close(&g);
	if (rc == KCS_ERR_NOMEM) {
		rc = kcs_error_set(err, rc, "out of memory");
		goto out;
	}
	if (rc) {
		rc = kcs_error_set(err, rc,
				   "exec plugin '%s': certificate authority larger than %d bytes",
				   cmd, KCS_CREDFILE_MAX);
		goto out;
	}
	if (g.st == yajl_gen_invalid_string) {
		rc = kcs_error_set(err, KCS_ERR_CONFIG,
				   "exec plugin '%s': cluster info for %s is not valid UTF-8",
				   cmd, EXEC_INFO_ENV);
		goto out;
	}
	if (g.st != yajl_gen_status_ok) {
		rc = kcs_error_set(err, KCS_ERR_INTERNAL,
				   "exec plugin '%s': cannot encode %s (yajl_gen status %d)",
				   cmd, EXEC_INFO_ENV, (int)g.st);
		goto out;
	}
	yajl_gen_get_buf(g.g, &json, &len);
	kcs_buf_addstr(info, EXEC_INFO_ENV "=");
	if (kcs_buf_add(info, json, len) == KCS_ERR_NOMEM)
		rc = kcs_error_set(err, KCS_ERR_NOMEM, "out of memory");
	else if (info->err)
		rc = kcs_error_set(err, KCS_ERR_LIMIT,
				   "exec plugin '%s': %s longer than %d bytes",
				   cmd, EXEC_INFO_ENV, EXEC_INFO_MAX);
out:
	yajl_gen_free(g.g);
	return rc;
}

/* ---- argv, envp, interactivity ------------------------------------------- */

/* Entries in a NULL-terminated list, at most `n`. */
static size_t list_len(char *const *list, size_t n)
{
	size_t i = 0;

	while (list && i < n && list[i])
		i++;
	return i;
}

/* Length of the name in a "NAME=value" entry. */
static size_t env_name_len(const char *e)
{
	const char *eq = strchr(e, '=');

	return eq ? (size_t)(eq - e) : strlen(e);
}

static int env_same_name(const char *a, const char *b)
{
	size_t n = env_name_len(a);

	return n == env_name_len(b) && memcmp(a, b, n) == 0;
}

/* True if entries[from..n) or `last` set the variable `e` sets. */
static int env_overridden(const char *e, char *const *entries, size_t from,
			  size_t n, const char *last)
{
	size_t i;

	for (i = from; i < n; i++)
		if (env_same_name(e, entries[i]))
			return 1;
	return env_same_name(e, last);
}

/*
 * The child's environment: our environ, then the exec config's entries,
 * then `info`; for a name set more than once the last setting wins (Go's
 * dedupEnv). The array belongs to the caller, the strings are borrowed.
 */
static char **build_envp(const struct kcs_exec_config *x, char *info)
{
	size_t n_parent = 0, n_env = list_len(x->env, x->n_env);
	size_t i, n = 0;
	char **envp;

	while (environ && environ[n_parent])
		n_parent++;
	envp = kcs_calloc(n_parent + n_env + 2, sizeof(*envp));
	if (!envp)
		return NULL;
	for (i = 0; i < n_parent; i++)
		if (!env_overridden(environ[i], x->env, 0, n_env, info))
			envp[n++] = environ[i];
	for (i = 0; i < n_env; i++)
		if (!env_overridden(x->env[i], x->env, i + 1, n_env, info))
			envp[n++] = x->env[i];
	envp[n++] = info;
	envp[n] = NULL;
	return envp;
}

/* command, then args; the array belongs to the caller, strings borrowed. */
static char **build_argv(const struct kcs_exec_config *x)
{
	size_t n_args = list_len(x->args, x->n_args), i;
	char **argv = kcs_calloc(n_args + 2, sizeof(*argv));

	if (!argv)
		return NULL;
	argv[0] = x->command;
	for (i = 0; i < n_args; i++)
		argv[i + 1] = x->args[i];
	argv[n_args + 1] = NULL;
	return argv;
}

/*
 * client-go's isInteractive (exec.go): stdin goes to the plugin only in
 * IfAvailable or Always mode and only if it is a terminal; Always without
 * one is an error. v1 requires the mode, v1beta1 defaults to IfAvailable.
 */
static enum kcs_err decide_interactive(const struct kcs_exec_config *x,
				       const char *cmd, int *interactive,
				       struct kcs_error *err)
{
	const char *mode = x->interactive_mode;
	char shown[64];

	*interactive = 0;
	if (!mode || !*mode) {
		if (strcmp(x->api_version, API_V1) == 0)
			return kcs_error_set(err, KCS_ERR_CONFIG,
					     "exec plugin '%s': interactiveMode must be set for %s",
					     cmd, API_V1);
		mode = "IfAvailable";
	}
	if (strcmp(mode, "Never") == 0)
		return KCS_OK;
	if (strcmp(mode, "IfAvailable") == 0) {
		*interactive = isatty(STDIN_FILENO) ? 1 : 0;
		return KCS_OK;
	}
	if (strcmp(mode, "Always") == 0) {
		if (!isatty(STDIN_FILENO))
			return kcs_error_set(err, KCS_ERR_AUTH,
					     "exec plugin '%s': interactiveMode Always but standard input is not a terminal",
					     cmd);
		*interactive = 1;
		return KCS_OK;
	}
	escape_text(shown, sizeof(shown), mode, 0);
	return kcs_error_set(err, KCS_ERR_CONFIG,
			     "exec plugin '%s': unknown interactiveMode '%s' (want Never, IfAvailable or Always)",
			     cmd, shown);
}

/* Command (escaped into `cmd` for messages) and apiVersion are usable. */
static enum kcs_err check_config(const struct kcs_restconfig *cfg, char *cmd,
				 size_t size, struct kcs_error *err)
{
	const struct kcs_exec_config *x = cfg ? cfg->exec : NULL;
	char shown[64];

	cmd[0] = '\0';
	if (!x || !x->command || !*x->command)
		return kcs_error_set(err, KCS_ERR_CONFIG,
				     "exec plugin has no command");
	escape_text(cmd, size, x->command, 0);
	if (x->api_version && (strcmp(x->api_version, API_V1) == 0 ||
			       strcmp(x->api_version, API_V1BETA1) == 0))
		return KCS_OK;
	escape_text(shown, sizeof(shown), x->api_version ? x->api_version : "",
		    0);
	return kcs_error_set(err, KCS_ERR_CONFIG,
			     "exec plugin '%s': unsupported apiVersion '%s' (want %s or %s)",
			     cmd, shown, API_V1, API_V1BETA1);
}

/* ---- running the plugin -------------------------------------------------- */

/* The plugin process while it runs. */
struct child {
	pid_t pid;     /* the plugin; 0 before it started */
	int fd;        /* read end of its stdout pipe; -1 when closed */
	int own_group; /* it leads its own process group: signal the group */
	int reaped;    /* waitpid collected it (or it is gone, see lost) */
	int lost;      /* waitpid failed (SIGCHLD ignored?): status unknown */
	int status;    /* waitpid status once reaped */
};

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Collect the child if it ended (`block`: wait for it). 1 once reaped. */
static int reap(struct child *c, int block)
{
	pid_t r;

	if (c->reaped)
		return 1;
	do
		r = waitpid(c->pid, &c->status, block ? 0 : WNOHANG);
	while (r < 0 && errno == EINTR);
	if (r == 0)
		return 0;
	if (r < 0)
		c->lost = 1;
	c->reaped = 1;
	return 1;
}

static void signal_child(const struct child *c, int sig)
{
	/* The group exists while its leader does; the fallback is belt
	 * and braces, a plugin we cannot stop would hang us for ever. */
	if (!c->own_group || kill(-c->pid, sig) < 0)
		kill(c->pid, sig);
}

/*
 * Stop a plugin we gave up on: SIGTERM, KILL_GRACE_MS to exit, then
 * SIGKILL; always reaped. A non-interactive plugin leads its own process
 * group, so helpers it started (a sleep under sh) are stopped with it.
 */
static void terminate(struct child *c)
{
	long long until;

	if (!c->reaped) {
		signal_child(c, SIGTERM);
		until = now_ms() + KILL_GRACE_MS;
		while (!reap(c, 0) && now_ms() < until)
			poll(NULL, 0, 10);
		if (!c->reaped) {
			signal_child(c, SIGKILL);
			reap(c, 1);
		}
	}
	if (c->own_group)
		kill(-c->pid, SIGKILL); /* stragglers that ignored SIGTERM */
}

/*
 * Start argv with envp: stdin /dev/null unless interactive, stdout into a
 * pipe whose read end lands in c->fd, stderr shared, no other fd, default
 * signal dispositions and an empty signal mask.
 */
static enum kcs_err spawn(struct child *c, char **argv, char **envp,
			  int interactive, const char *install_hint,
			  const char *cmd, struct kcs_error *err)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t none, all;
	short flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF;
	int pipefd[2] = { -1, -1 };
	int have_fa = 0, have_attr = 0, e = 0;
	char hint[SHOWN_HINT_MAX];
	enum kcs_err rc = KCS_OK;

	if (pipe2(pipefd, O_CLOEXEC)) {
		rc = kcs_error_set(err, KCS_ERR_IO,
				   "cannot create a pipe for exec plugin '%s': %s",
				   cmd, strerror(errno));
		goto out;
	}
	e = posix_spawn_file_actions_init(&fa);
	have_fa = !e;
	if (!e) {
		e = posix_spawnattr_init(&attr);
		have_attr = !e;
	}
	if (!e && !interactive)
		e = posix_spawn_file_actions_addopen(&fa, STDIN_FILENO,
						     "/dev/null", O_RDONLY, 0);
	if (!e)
		e = posix_spawn_file_actions_adddup2(&fa, pipefd[1],
						     STDOUT_FILENO);
	if (!e) /* fds we opened without O_CLOEXEC stay ours */
		e = posix_spawn_file_actions_addclosefrom_np(&fa,
							     STDERR_FILENO + 1);
	if (!e) {
		sigemptyset(&none);
		sigfillset(&all);
		e = posix_spawnattr_setsigmask(&attr, &none);
	}
	if (!e)
		e = posix_spawnattr_setsigdefault(&attr, &all);
	if (!e && !interactive) {
		/* Its own group, so a timeout stops its helpers too. An
		 * interactive one stays in ours: it must read the TTY. */
		flags |= POSIX_SPAWN_SETPGROUP;
		e = posix_spawnattr_setpgroup(&attr, 0);
	}
	if (!e)
		e = posix_spawnattr_setflags(&attr, flags);
	if (e) {
		rc = kcs_error_set(err, e == ENOMEM ? KCS_ERR_NOMEM
						     : KCS_ERR_INTERNAL,
				   "cannot set up exec plugin '%s': %s", cmd,
				   strerror(e));
		goto out;
	}
	e = posix_spawnp(&c->pid, argv[0], &fa, &attr, argv, envp);
	if (e == ENOENT && install_hint && *install_hint) {
		escape_text(hint, sizeof(hint), install_hint, 1);
		rc = kcs_error_set(err, KCS_ERR_AUTH,
				   "exec plugin '%s' not found\n\n%s", cmd,
				   hint);
	} else if (e == ENOENT) {
		rc = kcs_error_set(err, KCS_ERR_AUTH,
				   "exec plugin '%s' not found", cmd);
	} else if (e) {
		rc = kcs_error_set(err, KCS_ERR_AUTH,
				   "cannot run exec plugin '%s': %s", cmd,
				   strerror(e));
	}
	if (e)
		c->pid = 0;
	else
		c->own_group = !interactive;
out:
	if (have_attr)
		posix_spawnattr_destroy(&attr);
	if (have_fa)
		posix_spawn_file_actions_destroy(&fa);
	if (pipefd[1] >= 0)
		close(pipefd[1]);
	if (rc && pipefd[0] >= 0)
		close(pipefd[0]);
	else
		c->fd = pipefd[0];
	return rc;
}

/* Outcome of one read from the pipe. */
enum rd {
	RD_DATA,  /* bytes were added */
	RD_EOF,   /* every writer closed the pipe */
	RD_AGAIN, /* nothing there now (non-blocking drain) */
	RD_FAIL,  /* read error or limit: *rc and err are set */
};

static enum rd read_some(struct child *c, struct kcs_buf *out,
			 unsigned char *chunk, const char *cmd,
			 enum kcs_err *rc, struct kcs_error *err)
{
	ssize_t n;

	do
		n = read(c->fd, chunk, CHUNK);
	while (n < 0 && errno == EINTR);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return RD_AGAIN;
	if (n < 0) {
		*rc = kcs_error_set(err, KCS_ERR_IO,
				    "cannot read the output of exec plugin '%s': %s",
				    cmd, strerror(errno));
		return RD_FAIL;
	}
	if (n == 0)
		return RD_EOF;
	if (kcs_buf_add(out, chunk, (size_t)n) == KCS_OK)
		return RD_DATA;
	if (out->err == KCS_ERR_NOMEM)
		*rc = kcs_error_set(err, KCS_ERR_NOMEM, "out of memory");
	else
		*rc = kcs_error_set(err, KCS_ERR_LIMIT,
				    "exec plugin '%s' printed more than %d bytes",
				    cmd, KCS_EXEC_OUTPUT_MAX);
	return RD_FAIL;
}

static int min_ms(long long a, long long b)
{
	return (int)(a < b ? a : b);
}

/*
 * Read the plugin's stdout into `out` until it exits or the deadline
 * passes. We stop when the plugin has exited, not at EOF: a background
 * process it left behind may hold the pipe open for ever. On error the
 * child may still run; the caller terminates it.
 */
static enum kcs_err collect(struct child *c, struct kcs_buf *out,
			    const char *cmd, struct kcs_error *err)
{
	unsigned char chunk[CHUNK];
	struct pollfd pfd;
	long long deadline = now_ms() + (long long)exec_timeout_sec * 1000;
	long long left;
	enum kcs_err rc = KCS_OK;
	enum rd r;
	int eof = 0;

	while (!reap(c, 0)) {
		left = deadline - now_ms();
		if (left <= 0) {
			rc = kcs_error_set(err, KCS_ERR_AUTH,
					   "exec plugin '%s' timed out after %u second%s",
					   cmd, exec_timeout_sec,
					   exec_timeout_sec == 1 ? "" : "s");
			goto out;
		}
		if (eof) {
			poll(NULL, 0, min_ms(left, EOF_TICK_MS));
			continue;
		}
		pfd.fd = c->fd;
		pfd.events = POLLIN;
		pfd.revents = 0;
		if (poll(&pfd, 1, min_ms(left, TICK_MS)) <= 0)
			continue; /* tick, EINTR */
		r = read_some(c, out, chunk, cmd, &rc, err);
		if (r == RD_FAIL)
			goto out;
		eof = r == RD_EOF;
	}
	if (eof)
		goto out;
	/* It exited: take what is already in the pipe, without waiting. */
	if (fcntl(c->fd, F_SETFL, O_NONBLOCK) < 0) {
		rc = kcs_error_set(err, KCS_ERR_IO,
				   "cannot read the output of exec plugin '%s': %s",
				   cmd, strerror(errno));
		goto out;
	}
	do
		r = read_some(c, out, chunk, cmd, &rc, err);
	while (r == RD_DATA);
out:
	OPENSSL_cleanse(chunk, sizeof(chunk));
	return rc;
}

static enum kcs_err check_exit(const struct child *c, const char *cmd,
			       struct kcs_error *err)
{
	int sig;

	if (c->lost)
		return kcs_error_set(err, KCS_ERR_INTERNAL,
				     "cannot get the exit status of exec plugin '%s' (is SIGCHLD ignored?)",
				     cmd);
	if (WIFEXITED(c->status) && WEXITSTATUS(c->status) == 0)
		return KCS_OK;
	if (WIFEXITED(c->status))
		return kcs_error_set(err, KCS_ERR_AUTH,
				     "exec plugin '%s' failed with exit code %d",
				     cmd, WEXITSTATUS(c->status));
	if (WIFSIGNALED(c->status)) {
		sig = WTERMSIG(c->status);
		return kcs_error_set(err, KCS_ERR_AUTH,
				     "exec plugin '%s' was killed by signal %d (%s)",
				     cmd, sig, strsignal(sig));
	}
	return kcs_error_set(err, KCS_ERR_AUTH,
			     "exec plugin '%s' ended with wait status %d", cmd,
			     c->status);
}

/* Parse the output; its errors are reported as the plugin's. */
static enum kcs_err parse_output(const struct kcs_exec_config *x,
				 const struct kcs_buf *output,
				 struct kcs_credential *out, const char *cmd,
				 struct kcs_error *err)
{
	struct kcs_error perr = KCS_ERROR_INIT;
	enum kcs_err rc;

	rc = kcs_exec_parse(x->api_version, output->buf, output->len, out,
			    &perr);
	if (!rc)
		return KCS_OK;
	if (rc == KCS_ERR_NOMEM)
		return kcs_error_set(err, rc, "out of memory");
	rc = kcs_error_set(err, rc == KCS_ERR_PARSE ? KCS_ERR_AUTH : rc,
			   "exec plugin '%s' returned an invalid ExecCredential: %s",
			   cmd, perr.msg);
	if (err && err->offset < 0)
		err->offset = perr.offset;
	return rc;
}

enum kcs_err kcs_exec_run(const struct kcs_restconfig *cfg,
			  struct kcs_credential *out, struct kcs_error *err)
{
	struct child c = { 0, -1, 0, 0, 0, 0 };
	struct kcs_buf info, output;
	char cmd[SHOWN_CMD_MAX];
	char **argv = NULL, **envp = NULL;
	int interactive = 0;
	enum kcs_err rc;

	memset(out, 0, sizeof(*out));
	kcs_buf_init(&info, EXEC_INFO_MAX);
	kcs_buf_init_secret(&output, KCS_EXEC_OUTPUT_MAX);
	rc = check_config(cfg, cmd, sizeof(cmd), err);
	if (rc)
		goto out;
	rc = decide_interactive(cfg->exec, cmd, &interactive, err);
	if (rc)
		goto out;
	rc = build_exec_info(cfg, interactive, &info, cmd, err);
	if (rc)
		goto out;
	argv = build_argv(cfg->exec);
	envp = build_envp(cfg->exec, info.buf);
	if (!argv || !envp) {
		rc = kcs_error_set(err, KCS_ERR_NOMEM, "out of memory");
		goto out;
	}
	rc = spawn(&c, argv, envp, interactive, cfg->exec->install_hint, cmd,
		   err);
	if (rc)
		goto out;
	rc = collect(&c, &output, cmd, err);
	if (rc)
		goto out;
	rc = check_exit(&c, cmd, err);
	if (rc)
		goto out;
	rc = parse_output(cfg->exec, &output, out, cmd, err);
out:
	if (c.pid > 0 && !c.reaped)
		terminate(&c);
	if (c.fd >= 0)
		close(c.fd);
	kcs_free(argv);
	kcs_free(envp);
	kcs_buf_release(&info);
	kcs_buf_release(&output);
	return rc;
}
