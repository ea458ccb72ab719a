/*
 * test_execcred.c - exec credential plugins: the ExecCredential parser on
 * strings, and kcs_exec_run against the small sh plugins in
 * testdata/execcred/ (environment, cluster info, stdin, exit status,
 * signals, timeout, output limit, fd and zombie hygiene).
 *
 * Criterion runs every test in a forked child, so tests that redirect
 * stdin, set environment variables or the timeout do not disturb others.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <criterion/criterion.h>
#include <openssl/evp.h>

#include "kcs/alloc.h"
#include "kcs/execcred.h"
#include "testutil.h"

#define V1 "client.authentication.k8s.io/v1"
#define V1BETA1 "client.authentication.k8s.io/v1beta1"

/* ---- helpers ------------------------------------------------------------ */

/* A restconfig with an exec section, all in one place for a test. */
struct plug {
	struct kcs_restconfig rc;
	struct kcs_exec_config x;
	char *args[8];
	char *env[8];
	char cmd[4096];
};

/* `script`: a file in testdata/execcred/, an absolute path, or "@name"
 * for a bare name looked up on PATH. */
static void plug_init(struct plug *p, const char *script, const char *api,
		      const char *mode)
{
	memset(p, 0, sizeof(*p));
	if (script[0] == '@')
		snprintf(p->cmd, sizeof(p->cmd), "%s", script + 1);
	else if (script[0] == '/')
		snprintf(p->cmd, sizeof(p->cmd), "%s", script);
	else
		snprintf(p->cmd, sizeof(p->cmd), "%s/%s",
			 tu_path("testdata/execcred"), script);
	p->x.api_version = (char *)api;
	p->x.command = p->cmd;
	p->x.args = p->args;
	p->x.env = p->env;
	p->x.interactive_mode = (char *)mode;
	p->rc.server = "https://kube.example.test:6443";
	p->rc.exec = &p->x;
}

static void plug_arg(struct plug *p, const char *a)
{
	cr_assert(p->x.n_args < 7);
	p->args[p->x.n_args++] = (char *)a;
}

static void plug_env(struct plug *p, const char *e)
{
	cr_assert(p->x.n_env < 7);
	p->env[p->x.n_env++] = (char *)e;
}

static enum kcs_err run(struct plug *p, struct kcs_credential *c,
			struct kcs_error *e)
{
	kcs_error_clear(e);
	return kcs_exec_run(&p->rc, c, e);
}

static enum kcs_err parse(const char *api, const char *json,
			  struct kcs_credential *c, struct kcs_error *e)
{
	kcs_error_clear(e);
	return kcs_exec_parse(api, json, strlen(json), c, e);
}

static void stdin_from(const char *path)
{
	int fd = open(path, O_RDONLY);

	cr_assert(fd >= 0, "cannot open %s", path);
	cr_assert_eq(dup2(fd, STDIN_FILENO), STDIN_FILENO);
	close(fd);
}

/* Make stdin a terminal: the slave of a new pseudo-terminal. The master
 * stays open (and is returned) so that the slave does not hang up. */
static int stdin_from_pty(void)
{
	int m = posix_openpt(O_RDWR | O_NOCTTY);
	int s;

	cr_assert(m >= 0, "posix_openpt: %s", strerror(errno));
	cr_assert_eq(grantpt(m), 0);
	cr_assert_eq(unlockpt(m), 0);
	s = open(ptsname(m), O_RDWR | O_NOCTTY);
	cr_assert(s >= 0);
	cr_assert_eq(dup2(s, STDIN_FILENO), STDIN_FILENO);
	close(s);
	cr_assert(isatty(STDIN_FILENO));
	return m;
}

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *ent;
	int n = 0;

	cr_assert(d != NULL);
	while ((ent = readdir(d)) != NULL)
		if (ent->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

/* No child of ours is left, running or zombie. */
static void assert_no_children(void)
{
	int st;
	pid_t r;

	errno = 0;
	r = waitpid(-1, &st, WNOHANG);
	cr_assert_eq(r, -1, "a child process (%d) was left behind", (int)r);
	cr_assert_eq(errno, ECHILD);
}

static long long mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void assert_msg_has(const struct kcs_error *e, const char *s)
{
	cr_assert(strstr(e->msg, s) != NULL, "message '%s' lacks '%s'", e->msg,
		  s);
}

static void assert_msg_lacks(const struct kcs_error *e, const char *s)
{
	cr_assert(strstr(e->msg, s) == NULL, "message '%s' has '%s'", e->msg,
		  s);
}

static void assert_empty(const struct kcs_credential *c)
{
	cr_assert_null(c->token);
	cr_assert_null(c->client_cert.data);
	cr_assert_null(c->client_key.data);
	cr_assert_eq(c->expires, 0);
}

/* ---- kcs_exec_parse ----------------------------------------------------- */

Test(execcred, parse_v1_token)
{
	struct kcs_credential c;
	struct kcs_error e = KCS_ERROR_INIT;

	cr_assert_eq(parse(V1, "{\"apiVersion\":\"" V1 "\",\"kind\":\"ExecCredential\","
			   "\"status\":{\"token\":\"abc.def\",\"expirationTimestamp\":\"2024-01-02T03:04:05Z\"}}",
			   &c, &e), KCS_OK, "%s", e.msg);
	cr_assert_str_eq(c.token, "abc.def");
	cr_assert_eq(c.expires, (time_t)1704164645);
	cr_assert_null(c.client_cert.data);
	cr_assert_null(c.client_key.data);
	kcs_credential_release(&c);
	assert_empty(&c);
}

Test(execcred, parse_v1beta1_and_order_of_fields)
{
	struct kcs_credential c;
	struct kcs_error e = KCS_ERROR_INIT;

	cr_assert_eq(parse(V1BETA1, "{\"status\":{\"token\":\"t\"},\"kind\":\"ExecCredential\","
			   "\"apiVersion\":\"" V1BETA1 "\"}", &c, &e), KCS_OK, "%s", e.msg);
	cr_assert_str_eq(c.token, "t");
	cr_assert_eq(c.expires, 0);
	kcs_credential_release(&c);
}

Test(execcred, parse_client_cert_and_key)
{
	struct kcs_credential c;
	struct kcs_error e = KCS_ERROR_INIT;
	const char *cert = "-----BEGIN CERTIFICATE-----\nAAA\n-----END CERTIFICATE-----\n";
	const char *key = "-----BEGIN EC PRIVATE KEY-----\nBBB\n-----END EC PRIVATE KEY-----\n";

	cr_assert_eq(parse(V1, "{\"apiVersion\":\"" V1 "\",\"kind\":\"ExecCredential\",\"status\":{"
			   "\"clientCertificateData\":\"-----BEGIN CERTIFICATE-----\\nAAA\\n-----END CERTIFICATE-----\\n\","
			   "\"clientKeyData\":\"-----BEGIN EC PRIVATE KEY-----\\nBBB\\n-----END EC PRIVATE KEY-----\\n\"}}",
			   &c, &e), KCS_OK, "%s", e.msg);
	cr_assert_null(c.token);
	cr_assert_eq(c.client_cert.len, strlen(cert));
	cr_assert_str_eq((char *)c.client_cert.data, cert);
	cr_assert_eq(c.client_key.len, strlen(key));
	cr_assert_str_eq((char *)c.client_key.data, key);
	kcs_credential_release(&c);
	assert_empty(&c);
}

Test(execcred, parse_token_and_cert_together)
{
	struct kcs_credential c;
	struct kcs_error e = KCS_ERROR_INIT;

	cr_assert_eq(parse(V1, "{\"apiVersion\":\"" V1 "\",\"kind\":\"ExecCredential\",\"status\":{"
			   "\"token\":\"tok\",\"clientCertificateData\":\"C\",\"clientKeyData\":\"K\"}}",
			   &c, &e), KCS_OK, "%s", e.msg);
	cr_assert_str_eq(c.token, "tok");
	cr_assert_str_eq((char *)c.client_cert.data, "C");
	cr_assert_str_eq((char *)c.client_key.data, "K");
	kcs_credential_release(&c);
}

Test(execcred, parse_escapes_and_duplicates)
{
	struct kcs_credential c;
	struct kcs_error e = KCS_ERROR_INIT;

	/* \u escapes are decoded; the last of repeated keys wins (Go) */
	cr_assert_eq(parse(V1, "{\"apiVersion\":\"" V1 "\",\"kind\":\"ExecCredential\",\"status\":{"
			   "\"token\":\"first\",\"token\":\"\\u0041b\\/c\",\"expirationTimestamp\":null}}",
			   &c, &e), KCS_OK, "%s", e.msg);
	cr_assert_str_eq(c.token, "Ab/c");
	cr_assert_eq(c.expires, 0);
	kcs_credential_release(&c);
}

Test(execcred, parse_unknown_fields_ignored)
{
	struct kcs_credential c;
	struct kcs_error e = KCS_ERROR_INIT;

	cr_assert_eq(parse(V1, "{\"metadata\":{\"x\":[1,2,{\"y\":[true,null,1.5e3]}]},"
			   "\"apiVersion\":\"" V1 "\",\"spec\":{\"interactive\":false,\"cluster\":{\"server\":\"s\"}},"
			   "\"kind\":\"ExecCredential\",\"status\":{\"foo\":{\"token\":5},"
			   "\"bar\":[\"token\"],\"big\":123456789012345678901234567890,\"token\":\"ok\"},"
			   "\"Status\":7,\"TOKEN\":false}",
			   &c, &e), KCS_OK, "%s", e.msg);
	cr_assert_str_eq(c.token, "ok");
	kcs_credential_release(&c);
}

Test(execcred, parse_null_fields_mean_absent)
{
	struct kcs_credential c;
	struct kcs_error e = KCS_ERROR_INIT;

	cr_assert_eq(parse(V1, "{\"apiVersion\":\"" V1 "\",\"kind\":\"ExecCredential\","
			   "\"status\":{\"token\":\"t\",\"clientCertificateData\":null,\"clientKeyData\":null}}",
			   &c, &e), KCS_OK, "%s", e.msg);
	cr_assert_str_eq(c.token, "t");
	cr_assert_null(c.client_cert.data);
	kcs_credential_release(&c);

	/* a later null status wipes the earlier one */
	cr_assert_eq(parse(V1, "{\"apiVersion\":\"" V1 "\",\"kind\":\"ExecCredential\","
			   "\"status\":{\"token\":\"t\"},\"status\":null}", &c, &e), KCS_ERR_PARSE);
	assert_msg_has(&e, "no 'status'");
	assert_empty(&c);
}

/* Documents that fail, and what the message must say. */
struct bad_doc {
	const char *json;
	enum kcs_err code;
	const char *msg;
};

#define HEAD "{\"apiVersion\":\"" V1 "\",\"kind\":\"ExecCredential\","
static const struct bad_doc bad_docs[] = {
	/* shape and required fields, as client-go checks them */
	{ HEAD "\"spec\":{}}", KCS_ERR_PARSE, "no 'status'" },
	{ HEAD "\"status\":null}", KCS_ERR_PARSE, "no 'status'" },
	{ HEAD "\"status\":{}}", KCS_ERR_PARSE, "neither a token nor" },
	{ HEAD "\"status\":{\"token\":\"\"}}", KCS_ERR_PARSE, "neither a token nor" },
	{ HEAD "\"status\":{\"clientCertificateData\":\"C\"}}", KCS_ERR_PARSE, "only one of" },
	{ HEAD "\"status\":{\"token\":\"t\",\"clientKeyData\":\"K\"}}", KCS_ERR_PARSE, "only one of" },
	{ "{\"apiVersion\":\"" V1BETA1 "\",\"kind\":\"ExecCredential\",\"status\":{\"token\":\"t\"}}",
	  KCS_ERR_PARSE, "'apiVersion' is not the requested '" V1 "'" },
	{ "{\"kind\":\"ExecCredential\",\"status\":{\"token\":\"t\"}}", KCS_ERR_PARSE, "no 'apiVersion'" },
	{ "{\"apiVersion\":\"" V1 "\",\"status\":{\"token\":\"t\"}}", KCS_ERR_PARSE, "no 'kind'" },
	{ "{\"apiVersion\":\"" V1 "\",\"kind\":\"Status\",\"status\":{\"token\":\"t\"}}",
	  KCS_ERR_PARSE, "'kind' is not 'ExecCredential'" },
	/* wrong JSON types */
	{ HEAD "\"status\":{\"token\":123}}", KCS_ERR_PARSE, "'status.token' is not a string" },
	{ HEAD "\"status\":{\"token\":{\"a\":1}}}", KCS_ERR_PARSE, "'status.token' is not a string" },
	{ HEAD "\"status\":{\"token\":true}}", KCS_ERR_PARSE, "'status.token' is not a string" },
	{ HEAD "\"status\":{\"clientKeyData\":[\"K\"]}}", KCS_ERR_PARSE, "'status.clientKeyData' is not a string" },
	{ HEAD "\"status\":{\"clientCertificateData\":1}}", KCS_ERR_PARSE, "'status.clientCertificateData' is not a string" },
	{ HEAD "\"status\":{\"token\":\"t\",\"expirationTimestamp\":1700000000}}",
	  KCS_ERR_PARSE, "'status.expirationTimestamp' is not a string" },
	{ HEAD "\"status\":[]}", KCS_ERR_PARSE, "'status' is not an object" },
	{ HEAD "\"status\":\"ok\"}", KCS_ERR_PARSE, "'status' is not an object" },
	{ "{\"apiVersion\":1,\"kind\":\"ExecCredential\",\"status\":{\"token\":\"t\"}}",
	  KCS_ERR_PARSE, "'apiVersion' is not a string" },
	{ "{\"apiVersion\":\"" V1 "\",\"kind\":{},\"status\":{\"token\":\"t\"}}",
	  KCS_ERR_PARSE, "'kind' is not a string" },
	/* values we refuse */
	{ HEAD "\"status\":{\"token\":\"a\\nb\"}}", KCS_ERR_PARSE, "'status.token' contains a control character" },
	{ HEAD "\"status\":{\"token\":\"a\\u0000b\"}}", KCS_ERR_PARSE, "'status.token' contains a NUL byte" },
	{ HEAD "\"status\":{\"clientKeyData\":\"K\\u0000\",\"clientCertificateData\":\"C\"}}",
	  KCS_ERR_PARSE, "'status.clientKeyData' contains a NUL byte" },
	{ HEAD "\"status\":{\"token\":\"t\",\"expirationTimestamp\":\"tomorrow\"}}",
	  KCS_ERR_PARSE, "'status.expirationTimestamp' is not an RFC 3339 time" },
	/* not an object, not JSON */
	{ "[]", KCS_ERR_PARSE, "ExecCredential is not a JSON object" },
	{ "\"ExecCredential\"", KCS_ERR_PARSE, "ExecCredential is not a JSON object" },
	{ "null", KCS_ERR_PARSE, "ExecCredential is not a JSON object" },
	{ "", KCS_ERR_PARSE, "output is empty" },
	{ "   \n", KCS_ERR_PARSE, "invalid JSON" },
	{ "token: abc", KCS_ERR_PARSE, "invalid JSON at byte" },
	{ HEAD "\"status\":{\"token\":\"t\"}", KCS_ERR_PARSE, "invalid JSON" },
	{ HEAD "\"status\":{\"token\":\"t\"}} {}", KCS_ERR_PARSE, "invalid JSON" },
	{ HEAD "\"status\":{\"token\":\"t\"},}", KCS_ERR_PARSE, "invalid JSON" },
	{ HEAD "\"status\":{\"token\":\"\xff\"}}", KCS_ERR_PARSE, "invalid JSON" },
};

Test(execcred, parse_rejects_bad_documents)
{
	struct kcs_credential c;
	struct kcs_error e = KCS_ERROR_INIT;
	size_t i;

	for (i = 0; i < KCS_ARRAY_SIZE(bad_docs); i++) {
		enum kcs_err rc = parse(V1, bad_docs[i].json, &c, &e);

		cr_assert_eq(rc, bad_docs[i].code, "doc %zu: got %d (%s)", i,
			     (int)rc, e.msg);
		cr_assert_eq(e.code, rc, "doc %zu", i);
		assert_msg_has(&e, bad_docs[i].msg);
		assert_empty(&c);
	}
}

Test(execcred, parse_errors_never_quote_the_input)
{
	static const char *const docs[] = {
		HEAD "\"status\":{\"token\":\"SECRETTOKEN\",\"clientKeyData\":\"SECRETKEY\"}}",
		HEAD "\"status\":{\"token\":\"SECRETTOKEN\",\"expirationTimestamp\":\"SECRETTIME\"}}",
		"{\"SECRETTOKEN\":\"SECRETTOKEN\" SECRETTOKEN}",
		"SECRETTOKEN",
		HEAD "\"status\":{\"token\":\"SECRETTOKEN\\n\"}}",
		"{\"apiVersion\":\"SECRETTOKEN\",\"kind\":\"ExecCredential\",\"status\":{\"token\":\"t\"}}",
	};
	struct kcs_credential c;
	struct kcs_error e = KCS_ERROR_INIT;
	size_t i;

	for (i = 0; i < KCS_ARRAY_SIZE(docs); i++) {
		cr_assert_neq(parse(V1, docs[i], &c, &e), KCS_OK, "doc %zu", i);
		assert_msg_lacks(&e, "SECRET");
	}
}

Test(execcred, parse_syntax_error_offset)
{
	struct kcs_credential c;
	struct kcs_error e = KCS_ERROR_INIT;

	cr_assert_eq(parse(V1, "{\"apiVersion\": x}", &c, &e), KCS_ERR_PARSE);
	cr_assert_gt(e.offset, 0);
	cr_assert_leq(e.offset, 16);
	cr_assert_eq(e.msg[strlen(e.msg) - 1] != '\n', 1, "trailing newline");
}

Test(execcred, parse_depth_limit)
{
	static char doc[512];
	struct kcs_credential c;
	struct kcs_error e = KCS_ERROR_INIT;
	size_t n = 0;
	int i;

	n += (size_t)snprintf(doc + n, sizeof(doc) - n, "{\"x\":");
	for (i = 0; i < 100; i++)
		doc[n++] = '[';
	for (i = 0; i < 100; i++)
		doc[n++] = ']';
	snprintf(doc + n, sizeof(doc) - n, "}");
	cr_assert_eq(parse(V1, doc, &c, &e), KCS_ERR_LIMIT, "%s", e.msg);
	assert_msg_has(&e, "nested deeper than 64");
	assert_empty(&c);

	/* 60 levels is fine */
	n = (size_t)snprintf(doc, sizeof(doc), HEAD "\"status\":{\"token\":\"t\"},\"x\":");
	for (i = 0; i < 60; i++)
		doc[n++] = '[';
	for (i = 0; i < 60; i++)
		doc[n++] = ']';
	snprintf(doc + n, sizeof(doc) - n, "}");
	cr_assert_eq(parse(V1, doc, &c, &e), KCS_OK, "%s", e.msg);
	kcs_credential_release(&c);
}

Test(execcred, parse_needs_requested_version)
{
	struct kcs_credential c;
	struct kcs_error e = KCS_ERROR_INIT;

	cr_assert_eq(kcs_exec_parse(NULL, "{}", 2, &c, &e), KCS_ERR_INTERNAL);
	assert_empty(&c);
}

/* expirationTimestamp values and their UTC epoch seconds. */
struct ts_case {
	const char *ts;
	long long want; /* LLONG_MIN: must be rejected */
};

#define BAD_TS (-0x7fffffffffffffffLL - 1)
static const struct ts_case ts_cases[] = {
	{ "2024-01-02T03:04:05Z", 1704164645LL },
	{ "2024-01-02T03:04:05.123456789Z", 1704164645LL },
	{ "2024-01-02T03:04:05.5Z", 1704164645LL },
	{ "2024-01-02T03:04:05+02:00", 1704157445LL },
	{ "2024-01-02T03:04:05.25+02:00", 1704157445LL },
	{ "2024-01-02T03:04:05-05:30", 1704184445LL },
	{ "2024-01-02T03:04:05+00:00", 1704164645LL },
	{ "2024-01-02t03:04:05z", 1704164645LL },
	{ "2024-02-29T23:59:59Z", 1709251199LL },  /* leap day */
	{ "2000-02-29T00:00:00Z", 951782400LL },   /* 400-year leap */
	{ "1969-12-31T23:59:59Z", -1LL },
	{ "1970-01-01T00:00:00Z", -1LL },          /* 0 means "never" */
	{ "9999-12-31T23:59:59Z", 253402300799LL },
	{ "0000-01-01T00:00:00Z", -62167219200LL },
	{ "2023-02-29T00:00:00Z", BAD_TS },        /* not a leap year */
	{ "1900-02-29T00:00:00Z", BAD_TS },
	{ "2024-13-01T00:00:00Z", BAD_TS },
	{ "2024-00-01T00:00:00Z", BAD_TS },
	{ "2024-04-31T00:00:00Z", BAD_TS },
	{ "2024-01-01T24:00:00Z", BAD_TS },
	{ "2024-01-01T00:60:00Z", BAD_TS },
	{ "2024-01-01T00:00:60Z", BAD_TS },        /* Go rejects leap seconds */
	{ "2024-01-01T00:00:00", BAD_TS },         /* no zone */
	{ "2024-01-01 00:00:00Z", BAD_TS },
	{ "2024-01-01T00:00:00.Z", BAD_TS },
	{ "2024-01-01T00:00:00+24:00", BAD_TS },
	{ "2024-01-01T00:00:00+02:60", BAD_TS },
	{ "2024-01-01T00:00:00+0200", BAD_TS },
	{ "2024-01-01T00:00:00+02:00:00", BAD_TS },
	{ "2024-01-01T00:00:00Zjunk", BAD_TS },
	{ "2024-1-01T00:00:00Z", BAD_TS },
	{ "+2024-01-01T00:00:00Z", BAD_TS },
	{ "2024-01-01", BAD_TS },
	{ "", BAD_TS },
};

Test(execcred, parse_timestamps)
{
	char doc[256];
	struct kcs_credential c;
	struct kcs_error e = KCS_ERROR_INIT;
	size_t i;

	for (i = 0; i < KCS_ARRAY_SIZE(ts_cases); i++) {
		enum kcs_err rc;

		snprintf(doc, sizeof(doc), HEAD "\"status\":{\"token\":\"t\","
			 "\"expirationTimestamp\":\"%s\"}}", ts_cases[i].ts);
		rc = parse(V1, doc, &c, &e);
		if (ts_cases[i].want == BAD_TS) {
			cr_assert_eq(rc, KCS_ERR_PARSE, "'%s' accepted",
				     ts_cases[i].ts);
			assert_msg_has(&e, "RFC 3339");
			continue;
		}
		cr_assert_eq(rc, KCS_OK, "'%s': %s", ts_cases[i].ts, e.msg);
		cr_assert_eq((long long)c.expires, ts_cases[i].want,
			     "'%s': got %lld", ts_cases[i].ts,
			     (long long)c.expires);
		kcs_credential_release(&c);
	}
}

Test(execcred, parse_expired_credential_is_returned)
{
	struct kcs_credential c;
	struct kcs_error e = KCS_ERROR_INIT;

	cr_assert_eq(parse(V1, HEAD "\"status\":{\"token\":\"old\","
			   "\"expirationTimestamp\":\"2001-02-03T04:05:06+02:00\"}}",
			   &c, &e), KCS_OK, "%s", e.msg);
	cr_assert_str_eq(c.token, "old");
	cr_assert_eq(c.expires, (time_t)981165906);
	cr_assert_lt(c.expires, time(NULL));
	kcs_credential_release(&c);
}

Test(execcred, parse_token_limit)
{
	size_t n = KCS_EXEC_OUTPUT_MAX + 100;
	char *doc = malloc(n + 200);
	struct kcs_credential c;
	struct kcs_error e = KCS_ERROR_INIT;
	size_t len;

	cr_assert_not_null(doc);
	len = (size_t)snprintf(doc, 200, HEAD "\"status\":{\"token\":\"");
	memset(doc + len, 'a', n);
	len += n;
	len += (size_t)snprintf(doc + len, 200, "\"}}");
	cr_assert_eq(kcs_exec_parse(V1, doc, len, &c, &e), KCS_ERR_LIMIT,
		     "%s", e.msg);
	assert_msg_has(&e, "'status.token' longer than 1048576 bytes");
	assert_empty(&c);
	free(doc);
}

Test(execcred, parse_survives_allocation_failures)
{
	const char *doc = HEAD "\"status\":{\"token\":\"t\\u0041k\","
		"\"clientCertificateData\":\"C\",\"clientKeyData\":\"K\","
		"\"expirationTimestamp\":\"2099-01-01T00:00:00Z\"}}";
	struct kcs_credential c;
	struct kcs_error e = KCS_ERROR_INIT;
	enum kcs_err rc = KCS_ERR_NOMEM;
	long n;

	for (n = 0; n < 100 && rc == KCS_ERR_NOMEM; n++) {
		kcs_alloc_fail_after(n);
		rc = parse(V1, doc, &c, &e);
		kcs_alloc_fail_after(-1);
		if (rc == KCS_ERR_NOMEM)
			assert_empty(&c);
	}
	cr_assert_eq(rc, KCS_OK, "after %ld allocations: %s", n, e.msg);
	cr_assert_gt(n, 1, "no allocation was ever failed");
	cr_assert_str_eq(c.token, "tAk");
	kcs_credential_release(&c);
}

Test(execcred, credential_release_is_null_safe)
{
	struct kcs_credential c;

	memset(&c, 0, sizeof(c));
	kcs_credential_release(NULL);
	kcs_credential_release(&c);
	kcs_credential_release(&c);
	assert_empty(&c);
}

/* ---- kcs_exec_run: success ---------------------------------------------- */

Test(execcred, run_v1_token)
{
	struct plug p;
	struct kcs_credential c;
	struct kcs_error e = KCS_ERROR_INIT;

	plug_init(&p, "token-v1.sh", V1, "Never");
	cr_assert_eq(run(&p, &c, &e), KCS_OK, "%s", e.msg);
	cr_assert_str_eq(c.token, "v1-token-abc");
	cr_assert_eq(c.expires, (time_t)4071006245LL);
	kcs_credential_release(&c);
	assert_no_children();
}

Test(execcred, run_v1beta1_defaults_to_if_available)
{
	struct plug p;
	struct kcs_credential c;
	struct kcs_error e = KCS_ERROR_INIT;

	stdin_from("/dev/zero"); /* not a terminal */
	plug_init(&p, "token-v1beta1.sh", V1BETA1, NULL);
	cr_assert_eq(run(&p, &c, &e), KCS_OK, "%s", e.msg);
	cr_assert_str_eq(c.token, "v1beta1-token");
	kcs_credential_release(&c);
}

Test(execcred, run_client_cert)
{
	struct plug p;
	struct kcs_credential c;
	struct kcs_error e = KCS_ERROR_INIT;

	plug_init(&p, "cert-v1.sh", V1, "IfAvailable");
	stdin_from("/dev/null");
	cr_assert_eq(run(&p, &c, &e), KCS_OK, "%s", e.msg);
	cr_assert_null(c.token);
	cr_assert_str_eq((char *)c.client_cert.data,
			 "-----BEGIN CERTIFICATE-----\nMIIBcert\n-----END CERTIFICATE-----\n");
	cr_assert_str_eq((char *)c.client_key.data,
			 "-----BEGIN PRIVATE KEY-----\nMIIBkey\n-----END PRIVATE KEY-----\n");
	cr_assert_eq(c.client_key.len, strlen((char *)c.client_key.data));
	cr_assert_eq(c.expires, (time_t)4086496800LL);
	kcs_credential_release(&c);
}

static const char test_ca[] =
	"-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n";

static void plug_cluster(struct plug *p)
{
	p->rc.tls_server_name = "kube.internal";
	p->rc.ca.data = (unsigned char *)test_ca;
	p->rc.ca.len = sizeof(test_ca) - 1;
	p->rc.proxy_url = "socks5://proxy.example.test:1080";
	p->x.provide_cluster_info = 1;
}

Test(execcred, run_env_and_cluster_info)
{
	struct plug p;
	struct kcs_credential c;
	struct kcs_error e = KCS_ERROR_INIT;

	cr_assert_eq(setenv("KCS_TEST_PARENT", "from-parent", 1), 0);
	cr_assert_eq(setenv("KCS_TEST_OVERRIDE", "from-parent", 1), 0);
	unsetenv("KUBERNETES_EXEC_INFO");
	plug_init(&p, "check-env.sh", V1, "Never");
	plug_env(&p, "KCS_TEST_OVERRIDE=overridden-later");
	plug_env(&p, "KCS_TEST_EXTRA=extra value; with $pecial *chars*");
	plug_env(&p, "KCS_TEST_OVERRIDE=from-exec");
	plug_env(&p, "KUBERNETES_EXEC_INFO=must-be-replaced");
	plug_cluster(&p);
	cr_assert_eq(run(&p, &c, &e), KCS_OK, "%s", e.msg);
	cr_assert_str_eq(c.token, "env-ok");
	kcs_credential_release(&c);

	/* the parent's environment is untouched */
	cr_assert_null(getenv("KUBERNETES_EXEC_INFO"));
	cr_assert_null(getenv("KCS_TEST_EXTRA"));
	cr_assert_str_eq(getenv("KCS_TEST_OVERRIDE"), "from-parent");
}

Test(execcred, run_env_check_fails_without_cluster_info)
{
	struct plug p;
	struct kcs_credential c;
	struct kcs_error e = KCS_ERROR_INIT;

	/* the same plugin refuses when what it checks is missing */
	cr_assert_eq(setenv("KCS_TEST_PARENT", "from-parent", 1), 0);
	plug_init(&p, "check-env.sh", V1, "Never");
	plug_env(&p, "KCS_TEST_OVERRIDE=from-exec");
	plug_env(&p, "KCS_TEST_EXTRA=extra value; with $pecial *chars*");
	plug_cluster(&p);
	p.x.provide_cluster_info = 0;
	cr_assert_eq(run(&p, &c, &e), KCS_ERR_AUTH);
	assert_msg_has(&e, "failed with exit code 1");
	assert_empty(&c);
}

/* Run echo-info.sh and return the KUBERNETES_EXEC_INFO it saw. */
static void exec_info_of(struct plug *p, char *out, size_t size)
{
	struct kcs_credential c;
	struct kcs_error e = KCS_ERROR_INIT;
	unsigned char dec[2048];
	int n;

	plug_arg(p, p->x.api_version);
	cr_assert_eq(run(p, &c, &e), KCS_OK, "%s", e.msg);
	cr_assert_lt(strlen(c.token), sizeof(dec) * 3 / 4);
	n = EVP_DecodeBlock(dec, (unsigned char *)c.token, (int)strlen(c.token));
	cr_assert_geq(n, 0);
	dec[n] = '\0';
	snprintf(out, size, "%s", (char *)dec);
	kcs_credential_release(&c);
}

Test(execcred, run_exec_info_exact)
{
	struct plug p;
	char info[2048];

	plug_init(&p, "echo-info.sh", V1, "Never");
	exec_info_of(&p, info, sizeof(info));
	cr_assert_str_eq(info, "{\"kind\":\"ExecCredential\",\"apiVersion\":\"" V1 "\","
			 "\"spec\":{\"interactive\":false}}");

	plug_init(&p, "echo-info.sh", V1, "Never");
	plug_cluster(&p);
	p.rc.disable_compression = 1;
	exec_info_of(&p, info, sizeof(info));
	cr_assert_str_eq(info, "{\"kind\":\"ExecCredential\",\"apiVersion\":\"" V1 "\","
			 "\"spec\":{\"cluster\":{\"server\":\"https://kube.example.test:6443\","
			 "\"tls-server-name\":\"kube.internal\","
			 "\"certificate-authority-data\":\"LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUJmYWtlCi0tLS0tRU5EIENFUlRJRklDQVRFLS0tLS0K\","
			 "\"proxy-url\":\"socks5://proxy.example.test:1080\","
			 "\"disable-compression\":true},\"interactive\":false}}");

	/* omitempty fields stay out; insecure shows */
	stdin_from("/dev/null");
	plug_init(&p, "echo-info.sh", V1BETA1, NULL);
	p.x.provide_cluster_info = 1;
	p.rc.insecure = 1;
	p.rc.server = "https://10.0.0.1:6443";
	exec_info_of(&p, info, sizeof(info));
	cr_assert_str_eq(info, "{\"kind\":\"ExecCredential\",\"apiVersion\":\"" V1BETA1 "\","
			 "\"spec\":{\"cluster\":{\"server\":\"https://10.0.0.1:6443\","
			 "\"insecure-skip-tls-verify\":true},\"interactive\":false}}");
}

Test(execcred, run_args_passed_without_shell)
{
	struct plug p;
	struct kcs_credential c;
	struct kcs_error e = KCS_ERROR_INIT;

	plug_init(&p, "args-check.sh", V1, "Never");
	plug_arg(&p, "a b");
	plug_arg(&p, "$(exit 7); *");
	plug_arg(&p, "");
	cr_assert_eq(run(&p, &c, &e), KCS_OK, "%s", e.msg);
	cr_assert_str_eq(c.token, "args-ok");
	kcs_credential_release(&c);

	/* and it does fail when they differ */
	plug_init(&p, "args-check.sh", V1, "Never");
	plug_arg(&p, "a b");
	cr_assert_eq(run(&p, &c, &e), KCS_ERR_AUTH);
}

Test(execcred, run_path_lookup)
{
	struct plug p;
	struct kcs_credential c;
	struct kcs_error e = KCS_ERROR_INIT;
	char path[8192];

	snprintf(path, sizeof(path), "%s:%s", tu_path("testdata/execcred"),
		 getenv("PATH") ? getenv("PATH") : "/usr/bin:/bin");
	cr_assert_eq(setenv("PATH", path, 1), 0);
	plug_init(&p, "@token-v1.sh", V1, "Never");
	cr_assert_str_eq(p.x.command, "token-v1.sh");
	cr_assert_eq(run(&p, &c, &e), KCS_OK, "%s", e.msg);
	cr_assert_str_eq(c.token, "v1-token-abc");
	kcs_credential_release(&c);
}

Test(execcred, run_expired_credential_is_returned)
{
	struct plug p;
	struct kcs_credential c;
	struct kcs_error e = KCS_ERROR_INIT;

	plug_init(&p, "expired.sh", V1, "Never");
	cr_assert_eq(run(&p, &c, &e), KCS_OK, "%s", e.msg);
	cr_assert_str_eq(c.token, "expired-token");
	cr_assert_eq(c.expires, (time_t)981165906);
	cr_assert_lt(c.expires, time(NULL));
	kcs_credential_release(&c);
}

Test(execcred, run_background_child_keeps_stdout_open, .timeout = 20)
{
	struct plug p;
	struct kcs_credential c;
	struct kcs_error e = KCS_ERROR_INIT;
	long long t0 = mono_ms();

	plug_init(&p, "bg-holder.sh", V1, "Never");
	cr_assert_eq(run(&p, &c, &e), KCS_OK, "%s", e.msg);
	cr_assert_str_eq(c.token, "bg-token");
	cr_assert_lt(mono_ms() - t0, 3000, "waited for the background sleep");
	kcs_credential_release(&c);
	assert_no_children();
}

Test(execcred, run_stderr_reaches_ours)
{
	struct plug p;
	struct kcs_credential c;
	struct kcs_error e = KCS_ERROR_INIT;
	char tmpl[] = "/tmp/kcs-execcred-stderr-XXXXXX";
	char got[256];
	int fd = mkstemp(tmpl), saved = dup(STDERR_FILENO);
	ssize_t n;

	cr_assert(fd >= 0 && saved >= 0);
	unlink(tmpl);
	cr_assert_eq(dup2(fd, STDERR_FILENO), STDERR_FILENO);
	plug_init(&p, "stderr-msg.sh", V1, "Never");
	cr_assert_eq(run(&p, &c, &e), KCS_OK, "%s", e.msg);
	dup2(saved, STDERR_FILENO);
	close(saved);
	cr_assert_str_eq(c.token, "stderr-ok");
	kcs_credential_release(&c);
	n = pread(fd, got, sizeof(got) - 1, 0);
	close(fd);
	cr_assert_gt(n, 0);
	got[n] = '\0';
	cr_assert_str_eq(got, "stderr-msg.sh: touch your security key\n");
}

/* ---- kcs_exec_run: stdin and interactive mode --------------------------- */

static void expect_stdin(const char *mode, const char *token)
{
	struct plug p;
	struct kcs_credential c;
	struct kcs_error e = KCS_ERROR_INIT;

	plug_init(&p, "stdin-check.sh", V1, mode);
	cr_assert_eq(run(&p, &c, &e), KCS_OK, "%s: %s", mode, e.msg);
	cr_assert_str_eq(c.token, token, "mode %s", mode);
	kcs_credential_release(&c);
}

Test(execcred, run_stdin_is_dev_null_without_tty)
{
	stdin_from("/dev/zero");
	expect_stdin("Never", "stdin:/dev/null;interactive:false");
	expect_stdin("IfAvailable", "stdin:/dev/null;interactive:false");
}

Test(execcred, run_stdin_piped_data_not_shared)
{
	int fds[2];

	/* our stdin is a pipe with data (kubectl ... | kubecapscan): the
	 * plugin must not get it */
	cr_assert_eq(pipe(fds), 0);
	cr_assert_eq(write(fds[1], "{}", 2), 2);
	cr_assert_eq(dup2(fds[0], STDIN_FILENO), STDIN_FILENO);
	close(fds[0]);
	expect_stdin("IfAvailable", "stdin:/dev/null;interactive:false");
	close(fds[1]);
}

Test(execcred, run_always_without_tty_fails)
{
	struct plug p;
	struct kcs_credential c;
	struct kcs_error e = KCS_ERROR_INIT;

	stdin_from("/dev/zero");
	plug_init(&p, "stdin-check.sh", V1, "Always");
	cr_assert_eq(run(&p, &c, &e), KCS_ERR_AUTH);
	assert_msg_has(&e, "interactiveMode Always but standard input is not a terminal");
	assert_msg_has(&e, "stdin-check.sh");
	assert_empty(&c);
	assert_no_children();
}

Test(execcred, run_tty_is_passed_when_allowed)
{
	int m = stdin_from_pty();
	char want[128];
	char *name = ttyname(STDIN_FILENO);

	cr_assert_not_null(name);
	snprintf(want, sizeof(want), "stdin:%s;interactive:true", name);
	expect_stdin("Always", want);
	expect_stdin("IfAvailable", want);
	expect_stdin("Never", "stdin:/dev/null;interactive:false");
	close(m);
}

Test(execcred, run_interactive_mode_config_errors)
{
	struct plug p;
	struct kcs_credential c;
	struct kcs_error e = KCS_ERROR_INIT;

	plug_init(&p, "token-v1.sh", V1, NULL);
	cr_assert_eq(run(&p, &c, &e), KCS_ERR_CONFIG);
	assert_msg_has(&e, "interactiveMode must be set for " V1);

	plug_init(&p, "token-v1.sh", V1, "Sometimes\x1b[2J");
	cr_assert_eq(run(&p, &c, &e), KCS_ERR_CONFIG);
	assert_msg_has(&e, "unknown interactiveMode 'Sometimes\\x1b[2J'");
	assert_empty(&c);
}

Test(execcred, run_unsupported_api_version)
{
	struct plug p;
	struct kcs_credential c;
	struct kcs_error e = KCS_ERROR_INIT;

	plug_init(&p, "token-v1.sh", "client.authentication.k8s.io/v1alpha1", "Never");
	cr_assert_eq(run(&p, &c, &e), KCS_ERR_CONFIG);
	assert_msg_has(&e, "unsupported apiVersion 'client.authentication.k8s.io/v1alpha1'");

	plug_init(&p, "token-v1.sh", NULL, "Never");
	cr_assert_eq(run(&p, &c, &e), KCS_ERR_CONFIG);

	plug_init(&p, "@", V1, "Never");
	cr_assert_str_eq(p.x.command, "");
	cr_assert_eq(run(&p, &c, &e), KCS_ERR_CONFIG);
	assert_msg_has(&e, "has no command");
	assert_no_children();
}

/* ---- kcs_exec_run: failures --------------------------------------------- */

Test(execcred, run_not_found_with_install_hint)
{
	struct plug p;
	struct kcs_credential c;
	struct kcs_error e = KCS_ERROR_INIT;

	plug_init(&p, "@kcs-no-such-plugin-4711", V1, "Never");
	p.x.install_hint = "install it:\n\tapt install kcs-auth\x1b]0;pwned\x07 \xc2\x9b" "31m";
	cr_assert_eq(run(&p, &c, &e), KCS_ERR_AUTH);
	assert_msg_has(&e, "exec plugin 'kcs-no-such-plugin-4711' not found");
	assert_msg_has(&e, "install it:\n\tapt install kcs-auth\\x1b]0;pwned\\x07 \\u009b31m");
	cr_assert_null(strchr(e.msg, '\x1b'));
	cr_assert_null(strchr(e.msg, '\x07'));
	cr_assert_null(strstr(e.msg, "\xc2\x9b"));
	assert_empty(&c);

	plug_init(&p, "/nonexistent/dir/kcs-plugin", V1, "Never");
	cr_assert_eq(run(&p, &c, &e), KCS_ERR_AUTH);
	cr_assert_str_eq(e.msg, "exec plugin '/nonexistent/dir/kcs-plugin' not found");
	assert_no_children();
}

Test(execcred, run_not_executable)
{
	struct plug p;
	struct kcs_credential c;
	struct kcs_error e = KCS_ERROR_INIT;

	/* a directory cannot be run */
	plug_init(&p, "/tmp", V1, "Never");
	cr_assert_eq(run(&p, &c, &e), KCS_ERR_AUTH);
	assert_msg_has(&e, "cannot run exec plugin '/tmp'");
	assert_empty(&c);
}

Test(execcred, run_exit_status)
{
	struct plug p;
	struct kcs_credential c;
	struct kcs_error e = KCS_ERROR_INIT;

	plug_init(&p, "exit-3.sh", V1, "Never");
	cr_assert_eq(run(&p, &c, &e), KCS_ERR_AUTH);
	assert_msg_has(&e, "exec plugin '");
	assert_msg_has(&e, "exit-3.sh' failed with exit code 3");
	assert_msg_lacks(&e, "secret");
	assert_empty(&c);
	assert_no_children();
}

Test(execcred, run_killed_by_signal)
{
	struct plug p;
	struct kcs_credential c;
	struct kcs_error e = KCS_ERROR_INIT;

	plug_init(&p, "kill-self.sh", V1, "Never");
	cr_assert_eq(run(&p, &c, &e), KCS_ERR_AUTH);
	assert_msg_has(&e, "kill-self.sh' was killed by signal 9");
	assert_empty(&c);
}

Test(execcred, run_garbage_output)
{
	struct plug p;
	struct kcs_credential c;
	struct kcs_error e = KCS_ERROR_INIT;

	plug_init(&p, "garbage.sh", V1, "Never");
	cr_assert_eq(run(&p, &c, &e), KCS_ERR_AUTH);
	assert_msg_has(&e, "garbage.sh' returned an invalid ExecCredential: invalid JSON at byte");
	assert_msg_lacks(&e, "secret");
	assert_msg_lacks(&e, "this is not");
	cr_assert_geq(e.offset, 0);
	assert_empty(&c);
}

Test(execcred, run_wrong_api_version)
{
	struct plug p;
	struct kcs_credential c;
	struct kcs_error e = KCS_ERROR_INIT;

	plug_init(&p, "wrong-api.sh", V1, "Never");
	cr_assert_eq(run(&p, &c, &e), KCS_ERR_AUTH);
	assert_msg_has(&e, "'apiVersion' is not the requested '" V1 "'");
	assert_msg_lacks(&e, "wrong-api-token");
	assert_empty(&c);
}

Test(execcred, run_output_limit, .timeout = 30)
{
	struct plug p;
	struct kcs_credential c;
	struct kcs_error e = KCS_ERROR_INIT;
	int before = count_fds();

	plug_init(&p, "big-output.sh", V1, "Never");
	cr_assert_eq(run(&p, &c, &e), KCS_ERR_LIMIT);
	assert_msg_has(&e, "big-output.sh' printed more than 1048576 bytes");
	assert_empty(&c);
	cr_assert_eq(count_fds(), before);
	assert_no_children();
}

Test(execcred, run_timeout, .timeout = 30)
{
	struct plug p;
	struct kcs_credential c;
	struct kcs_error e = KCS_ERROR_INIT;
	long long t0;
	int before = count_fds();

	kcs_exec_set_timeout(1);
	plug_init(&p, "sleep-forever.sh", V1, "Never");
	t0 = mono_ms();
	cr_assert_eq(run(&p, &c, &e), KCS_ERR_AUTH);
	cr_assert_geq(mono_ms() - t0, 1000);
	cr_assert_lt(mono_ms() - t0, 5000);
	assert_msg_has(&e, "sleep-forever.sh' timed out after 1 second");
	assert_empty(&c);
	cr_assert_eq(count_fds(), before);
	assert_no_children();
	kcs_exec_set_timeout(0);
}

Test(execcred, run_timeout_escalates_to_sigkill, .timeout = 30)
{
	struct plug p;
	struct kcs_credential c;
	struct kcs_error e = KCS_ERROR_INIT;
	long long t0;

	kcs_exec_set_timeout(1);
	plug_init(&p, "ignore-term.sh", V1, "Never");
	t0 = mono_ms();
	cr_assert_eq(run(&p, &c, &e), KCS_ERR_AUTH);
	/* 1 s timeout + 1 s grace before SIGKILL */
	cr_assert_geq(mono_ms() - t0, 2000);
	cr_assert_lt(mono_ms() - t0, 6000);
	assert_msg_has(&e, "timed out after 1 second");
	assert_no_children();
}

/* 1 if `pid` still runs (a zombie waiting for init counts as gone). */
static int still_running(pid_t pid)
{
	char path[64], stat[256];
	const char *close_paren;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	n = fread(stat, 1, sizeof(stat) - 1, f);
	fclose(f);
	stat[n] = '\0';
	close_paren = strrchr(stat, ')');
	return close_paren && close_paren[1] == ' ' && close_paren[2] != 'Z' &&
	       close_paren[2] != 'X';
}

Test(execcred, run_timeout_stops_the_plugins_helpers, .timeout = 30)
{
	struct plug p;
	struct kcs_credential c;
	struct kcs_error e = KCS_ERROR_INIT;
	char pidfile[] = "/tmp/kcs-execcred-pid-XXXXXX";
	char env[128];
	long long until;
	FILE *f;
	int fd = mkstemp(pidfile), helper = 0, alive;

	cr_assert(fd >= 0);
	close(fd);
	snprintf(env, sizeof(env), "KCS_TEST_PIDFILE=%s", pidfile);
	kcs_exec_set_timeout(1);
	plug_init(&p, "group-helper.sh", V1, "Never");
	plug_env(&p, env);
	cr_assert_eq(run(&p, &c, &e), KCS_ERR_AUTH);
	assert_msg_has(&e, "timed out");
	f = fopen(pidfile, "r");
	cr_assert_not_null(f);
	cr_assert_eq(fscanf(f, "%d", &helper), 1);
	fclose(f);
	unlink(pidfile);
	cr_assert_gt(helper, 1);
	until = mono_ms() + 2000;
	while ((alive = still_running(helper)) && mono_ms() < until)
		usleep(20000);
	if (alive)
		kill(helper, SIGKILL); /* do not leave it behind */
	cr_assert(!alive, "the plugin's background helper survived");
}

/* ---- hygiene ------------------------------------------------------------ */

Test(execcred, run_leaks_no_fds_and_no_zombies, .timeout = 30)
{
	static const char *const scripts[] = {
		"token-v1.sh", "cert-v1.sh", "exit-3.sh", "garbage.sh",
		"wrong-api.sh", "kill-self.sh", "@kcs-no-such-plugin-4711",
		"sleep-forever.sh",
	};
	struct plug p;
	struct kcs_credential c;
	struct kcs_error e = KCS_ERROR_INIT;
	int before, i;
	size_t k;

	kcs_exec_set_timeout(1);
	before = count_fds();
	for (i = 0; i < 2; i++) {
		for (k = 0; k < KCS_ARRAY_SIZE(scripts); k++) {
			plug_init(&p, scripts[k], V1, "Never");
			(void)run(&p, &c, &e);
			kcs_credential_release(&c);
			cr_assert_eq(count_fds(), before, "after %s", scripts[k]);
			assert_no_children();
		}
	}
}

Test(execcred, run_passes_only_std_fds)
{
	struct plug p;
	struct kcs_credential c;
	struct kcs_error e = KCS_ERROR_INIT;
	char env[64];
	int fd = open("/dev/null", O_RDONLY); /* no O_CLOEXEC on purpose */
	int high = fcntl(fd, F_DUPFD, 50);

	cr_assert(fd >= 0 && high >= 50);
	snprintf(env, sizeof(env), "KCS_TEST_FD=%d", high);
	plug_init(&p, "fd-check.sh", V1, "Never");
	plug_env(&p, env);
	cr_assert_eq(run(&p, &c, &e), KCS_OK, "%s", e.msg);
	cr_assert_str_eq(c.token, "fd-ok");
	kcs_credential_release(&c);

	/* the check itself works: an fd it can see fails it */
	snprintf(env, sizeof(env), "KCS_TEST_FD=2");
	plug_init(&p, "fd-check.sh", V1, "Never");
	plug_env(&p, env);
	cr_assert_eq(run(&p, &c, &e), KCS_ERR_AUTH);
	close(fd);
	close(high);
}

Test(execcred, run_survives_allocation_failures, .timeout = 60)
{
	struct plug p;
	struct kcs_credential c;
	struct kcs_error e = KCS_ERROR_INIT;
	enum kcs_err rc = KCS_ERR_NOMEM;
	int before = count_fds();
	long n;

	plug_init(&p, "cert-v1.sh", V1, "Never");
	plug_cluster(&p);
	for (n = 0; n < 200 && rc == KCS_ERR_NOMEM; n++) {
		kcs_alloc_fail_after(n);
		rc = run(&p, &c, &e);
		kcs_alloc_fail_after(-1);
		if (rc == KCS_ERR_NOMEM) {
			assert_msg_has(&e, "out of memory");
			assert_empty(&c);
		}
		cr_assert_eq(count_fds(), before);
		assert_no_children();
	}
	cr_assert_eq(rc, KCS_OK, "after %ld allocations: %s", n, e.msg);
	cr_assert_gt(n, 3, "no allocation was ever failed");
	kcs_credential_release(&c);
}
