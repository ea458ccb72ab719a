/*
 * test_kubeconfig.c - loading kubeconfig and in-cluster configuration
 * (config.h): precedence, KUBECONFIG merging, context selection, path
 * resolution, *-data decoding, refusals, exec parsing, token rotation,
 * error messages and limits.
 *
 * Fixtures live in testdata/kubeconfig/; their PEM files are obviously
 * fake (this module never parses X.509). Tests that need files that change
 * (service-account directories, rotating tokens, oversize files) build
 * them in a fresh mkdtemp directory.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <criterion/criterion.h>

#include "kcs/alloc.h"
#include "kcs/config.h"
#include "testutil.h"

#define FX "testdata/kubeconfig/"

/* Absolute path of a fixture; a ring of buffers so several can coexist. */
static const char *fx(const char *name)
{
	static char ring[8][4096];
	static int next;
	char *b = ring[next++ % 8];

	snprintf(b, sizeof(ring[0]), "%s/" FX "%s", KCS_SOURCE_DIR, name);
	return b;
}

/* A request with nothing set; no real service-account dir is consulted. */
static struct kcs_config_request req_empty(void)
{
	struct kcs_config_request r;

	memset(&r, 0, sizeof(r));
	r.sa_dir = "/nonexistent/kcs-test-serviceaccount";
	return r;
}

static struct kcs_config_request req_file(const char *name)
{
	struct kcs_config_request r = req_empty();

	r.kubeconfig = fx(name);
	return r;
}

/* Load and expect success; print the error otherwise. */
static void load_ok(const struct kcs_config_request *r,
		    struct kcs_restconfig *c)
{
	struct kcs_error err = KCS_ERROR_INIT;
	enum kcs_err rc = kcs_config_load(r, c, &err);

	cr_assert_eq(rc, KCS_OK, "load failed: %s: %s", kcs_err_name(rc),
		     err.msg);
	cr_assert_eq(err.code, KCS_OK);
}

/* Load and expect `code`; `out` is checked to be left zeroed. */
static void load_fail(const struct kcs_config_request *r, enum kcs_err code,
		      struct kcs_error *err)
{
	struct kcs_restconfig c;
	static const struct kcs_restconfig zero;
	enum kcs_err rc;

	memset(&c, 0x5a, sizeof(c));
	rc = kcs_config_load(r, &c, err);
	cr_assert_eq(rc, code, "expected %s, got %s: %s", kcs_err_name(code),
		     kcs_err_name(rc), err->msg);
	cr_assert_eq(err->code, code);
	cr_assert(memcmp(&c, &zero, sizeof(c)) == 0,
		  "a failed load must leave the config zeroed");
}

/* Expect the file fixture `name` to fail with `code` and `needle` in msg. */
static void fail_with(const char *name, enum kcs_err code,
		      const char *needle)
{
	struct kcs_config_request r = req_file(name);
	struct kcs_error err = KCS_ERROR_INIT;

	load_fail(&r, code, &err);
	cr_assert(strstr(err.msg, needle), "%s: '%s' not in: %s", name,
		  needle, err.msg);
	/* every kubeconfig error names its file */
	cr_assert(strstr(err.msg, name), "%s: file not named in: %s", name,
		  err.msg);
	cr_assert(strstr(err.source, name), "source '%s'", err.source);
}

/* The blob holds exactly the fixture file's bytes. */
static void assert_blob_is(const struct kcs_blob *b, const char *fixture)
{
	size_t len;
	char *want = tu_read_file(fixture, &len);

	cr_assert_not_null(b->data, "%s: blob empty", fixture);
	cr_assert_eq(b->len, len, "%s: %zu bytes, want %zu", fixture, b->len,
		     len);
	cr_assert(memcmp(b->data, want, len) == 0, "%s: content differs",
		  fixture);
	cr_assert_eq(b->data[b->len], '\0', "blobs are NUL-terminated");
	free(want);
}

/* ---- temporary directories ---------------------------------------------- */

struct tmp {
	char dir[64];        /* mkdtemp result */
	char files[8][128];  /* created names, for cleanup */
	int n;
};

static void tmp_init(struct tmp *t)
{
	memset(t, 0, sizeof(*t));
	snprintf(t->dir, sizeof(t->dir), "/tmp/kcs-kubeconfig-XXXXXX");
	cr_assert_not_null(mkdtemp(t->dir));
}

static const char *tmp_path(struct tmp *t, const char *name)
{
	static char b[4][256];
	static int next;
	char *p = b[next++ % 4];

	snprintf(p, sizeof(b[0]), "%s/%s", t->dir, name);
	return p;
}

static void tmp_write(struct tmp *t, const char *name, const char *content)
{
	FILE *f = fopen(tmp_path(t, name), "w");
	int i;

	cr_assert_not_null(f);
	cr_assert_eq(fputs(content, f) >= 0, 1);
	cr_assert_eq(fclose(f), 0);
	for (i = 0; i < t->n; i++)
		if (strcmp(t->files[i], name) == 0)
			return;
	cr_assert(t->n < 8);
	snprintf(t->files[t->n++], sizeof(t->files[0]), "%s", name);
}

/* A sparse file of `size` bytes, or `size` bytes of text if `text`. */
static void tmp_sized(struct tmp *t, const char *name, off_t size,
		      const char *head)
{
	int fd = open(tmp_path(t, name), O_WRONLY | O_CREAT | O_TRUNC, 0600);

	cr_assert(fd >= 0);
	if (head)
		cr_assert_eq(write(fd, head, strlen(head)),
			     (ssize_t)strlen(head));
	cr_assert_eq(ftruncate(fd, size), 0);
	cr_assert_eq(close(fd), 0);
	snprintf(t->files[t->n++], sizeof(t->files[0]), "%s", name);
}

static void tmp_cleanup(struct tmp *t)
{
	int i;

	for (i = 0; i < t->n; i++)
		unlink(tmp_path(t, t->files[i]));
	rmdir(t->dir);
}

/* A service-account directory with the files a pod gets. */
static void sa_setup(struct tmp *t, int with_ca, int with_ns)
{
	tmp_init(t);
	tmp_write(t, "token", "  sa-token-1\n");
	if (with_ca)
		tmp_write(t, "ca.crt", "-----BEGIN FAKE CERTIFICATE-----\n"
				       "in-cluster test CA\n"
				       "-----END FAKE CERTIFICATE-----\n");
	if (with_ns)
		tmp_write(t, "namespace", "kube-system\n");
}

/* ---- precedence --------------------------------------------------------- */

Test(kubeconfig, explicit_file_beats_env_and_home)
{
	struct kcs_config_request r = req_file("basic.yaml");
	struct kcs_restconfig c;
	char env[8192];

	snprintf(env, sizeof(env), "%s", fx("merge-a.yaml"));
	r.env_kubeconfig = env;
	r.env_home = fx("home");
	load_ok(&r, &c);
	cr_assert_str_eq(c.context, "dev");
	cr_assert_str_eq(c.config_path, fx("basic.yaml"));
	kcs_restconfig_release(&c);
}

Test(kubeconfig, explicit_file_missing_is_an_error)
{
	struct kcs_config_request r = req_file("no-such-file.yaml");
	struct kcs_error err = KCS_ERROR_INIT;
	char env[8192];

	/* even though KUBECONFIG and HOME would work */
	snprintf(env, sizeof(env), "%s", fx("merge-a.yaml"));
	r.env_kubeconfig = env;
	r.env_home = fx("home");
	load_fail(&r, KCS_ERR_IO, &err);
	cr_assert(strstr(err.msg, "cannot read kubeconfig '"), "%s", err.msg);
	cr_assert(strstr(err.msg, "no-such-file.yaml"), "%s", err.msg);
	cr_assert(strstr(err.msg, strerror(ENOENT)), "%s", err.msg);
}

Test(kubeconfig, kubeconfig_env_beats_home)
{
	struct kcs_config_request r = req_empty();
	struct kcs_restconfig c;
	char env[8192];

	snprintf(env, sizeof(env), "%s", fx("merge-a.yaml"));
	r.env_kubeconfig = env;
	r.env_home = fx("home");
	load_ok(&r, &c);
	cr_assert_str_eq(c.context, "ctx-a");
	kcs_restconfig_release(&c);
}

Test(kubeconfig, home_config_when_no_env)
{
	struct kcs_config_request r = req_empty();
	struct kcs_restconfig c;

	r.env_home = fx("home");
	load_ok(&r, &c);
	cr_assert_str_eq(c.context, "home");
	cr_assert_str_eq(c.cluster_name, "home-cluster");
	cr_assert_str_eq(c.server, "https://home.example.test");
	cr_assert_str_eq(c.config_path, fx("home/.kube/config"));
	/* a context without a user is anonymous */
	cr_assert_null(c.user_name);
	cr_assert_null(c.token);
	cr_assert_null(c.exec);
	cr_assert_eq(c.in_cluster, 0);
	kcs_restconfig_release(&c);
}

Test(kubeconfig, kubeconfig_env_of_missing_files_does_not_fall_back_to_home)
{
	struct kcs_config_request r = req_empty();
	struct kcs_error err = KCS_ERROR_INIT;

	r.env_kubeconfig = "/nonexistent/a.yaml:/nonexistent/b.yaml";
	r.env_home = fx("home");
	load_fail(&r, KCS_ERR_CONFIG, &err);
	cr_assert(strstr(err.msg, "no kubeconfig found and not running in a "
				  "cluster"), "%s", err.msg);
	cr_assert(strstr(err.msg, "KUBECONFIG"), "%s", err.msg);
}

Test(kubeconfig, nothing_configured_says_what_to_do)
{
	struct kcs_config_request r = req_empty();
	struct kcs_error err = KCS_ERROR_INIT;

	load_fail(&r, KCS_ERR_CONFIG, &err);
	cr_assert(strstr(err.msg, "no kubeconfig found and not running in a "
				  "cluster"), "%s", err.msg);
	cr_assert(strstr(err.msg, "--kubeconfig"), "%s", err.msg);
	cr_assert(strstr(err.msg, "KUBECONFIG"), "%s", err.msg);
	cr_assert(strstr(err.msg, "~/.kube/config"), "%s", err.msg);
	cr_assert(strstr(err.msg, "KUBERNETES_SERVICE_HOST"), "%s", err.msg);
}

Test(kubeconfig, home_without_config_file_is_nothing_configured)
{
	struct kcs_config_request r = req_empty();
	struct kcs_error err = KCS_ERROR_INIT;

	r.env_home = fx("pki"); /* exists, has no .kube/config */
	load_fail(&r, KCS_ERR_CONFIG, &err);
	cr_assert(strstr(err.msg, "~/.kube/config does not exist"), "%s",
		  err.msg);
}

/* ---- KUBECONFIG merging ------------------------------------------------- */

Test(kubeconfig, merge_first_file_wins_entries_and_current_context)
{
	struct kcs_config_request r = req_empty();
	struct kcs_restconfig c;
	char env[8192];

	snprintf(env, sizeof(env), "%s:%s", fx("merge-a.yaml"),
		 fx("merge-b.yaml"));
	r.env_kubeconfig = env;
	load_ok(&r, &c);
	cr_assert_str_eq(c.context, "ctx-a");
	cr_assert_str_eq(c.server, "https://a.example.test");
	/* b's "shared" cluster is not merged in field by field */
	cr_assert_null(c.tls_server_name);
	cr_assert_null(c.ca.data);
	cr_assert_null(c.ca_source);
	cr_assert_str_eq(c.token, "token-from-a");
	cr_assert_null(c.client_cert.data);
	cr_assert_str_eq(c.namespace, "ns-a");
	cr_assert_str_eq(c.config_path, fx("merge-a.yaml"));
	kcs_restconfig_release(&c);
}

Test(kubeconfig, merge_context_of_second_file_uses_first_files_user)
{
	struct kcs_config_request r = req_empty();
	struct kcs_restconfig c;
	char env[8192];

	snprintf(env, sizeof(env), "%s:%s", fx("merge-a.yaml"),
		 fx("merge-b.yaml"));
	r.env_kubeconfig = env;
	r.context = "ctx-b";
	load_ok(&r, &c);
	cr_assert_str_eq(c.cluster_name, "b-only");
	cr_assert_str_eq(c.server, "https://b-only.example.test");
	/* b-only is b's: its CA resolves against b's directory */
	assert_blob_is(&c.ca, FX "pki/ca.crt");
	cr_assert_str_eq(c.ca_source, fx("pki/ca.crt"));
	/* shared-user is a's: a's token, no certificate from b */
	cr_assert_str_eq(c.user_name, "shared-user");
	cr_assert_str_eq(c.token, "token-from-a");
	cr_assert_null(c.client_cert.data);
	cr_assert_null(c.client_key.data);
	cr_assert_str_eq(c.config_path, fx("merge-a.yaml"));
	cr_assert_str_eq(c.namespace, "default");
	kcs_restconfig_release(&c);
}

Test(kubeconfig, merge_in_reverse_order_reverses_the_winner)
{
	struct kcs_config_request r = req_empty();
	struct kcs_restconfig c;
	char env[8192];

	snprintf(env, sizeof(env), "%s:%s", fx("merge-b.yaml"),
		 fx("merge-a.yaml"));
	r.env_kubeconfig = env;
	load_ok(&r, &c);
	cr_assert_str_eq(c.context, "ctx-b");
	kcs_restconfig_release(&c);

	r.context = "ctx-a";
	load_ok(&r, &c);
	cr_assert_str_eq(c.server, "https://b.example.test");
	cr_assert_str_eq(c.tls_server_name, "b.example.test");
	assert_blob_is(&c.ca, FX "pki/ca.crt");
	cr_assert_str_eq(c.token, "token-from-b");
	assert_blob_is(&c.client_cert, FX "pki/client.crt");
	assert_blob_is(&c.client_key, FX "pki/client.key");
	cr_assert_str_eq(c.config_path, fx("merge-b.yaml"));
	/* the context itself is a's */
	cr_assert_str_eq(c.namespace, "ns-a");
	kcs_restconfig_release(&c);
}

Test(kubeconfig, merge_skips_missing_files_and_empty_elements)
{
	struct kcs_config_request r = req_empty();
	struct kcs_restconfig c;
	char env[8192];

	/* merge-c sets no current-context: merge-b's is taken */
	snprintf(env, sizeof(env), ":/nonexistent/x.yaml::%s:%s:",
		 fx("merge-c.yaml"), fx("merge-b.yaml"));
	r.env_kubeconfig = env;
	load_ok(&r, &c);
	cr_assert_str_eq(c.context, "ctx-b");
	kcs_restconfig_release(&c);

	/* b-user's tokenFile resolves against merge-b's directory */
	r.context = "ctx-b2";
	load_ok(&r, &c);
	cr_assert_str_eq(c.token, "file-token-0123");
	cr_assert_str_eq(c.token_file, fx("tokens/token.txt"));
	kcs_restconfig_release(&c);
}

Test(kubeconfig, merge_names_all_files_when_context_unknown)
{
	struct kcs_config_request r = req_empty();
	struct kcs_error err = KCS_ERROR_INIT;
	char env[8192];

	snprintf(env, sizeof(env), "%s:/nonexistent/x.yaml:%s",
		 fx("merge-a.yaml"), fx("merge-c.yaml"));
	r.env_kubeconfig = env;
	r.context = "nope";
	load_fail(&r, KCS_ERR_CONFIG, &err);
	cr_assert(strstr(err.msg, "context 'nope' not found"), "%s", err.msg);
	cr_assert(strstr(err.msg, "merge-a.yaml"), "%s", err.msg);
	cr_assert(strstr(err.msg, "merge-c.yaml"), "%s", err.msg);
	cr_assert_null(strstr(err.msg, "/nonexistent/x.yaml"), "%s", err.msg);
}

/* ---- context selection and namespace ------------------------------------ */

Test(kubeconfig, context_flag_overrides_current_context)
{
	struct kcs_config_request r = req_file("basic.yaml");
	struct kcs_restconfig c;

	r.context = "prod";
	load_ok(&r, &c);
	cr_assert_str_eq(c.context, "prod");
	cr_assert_str_eq(c.cluster_name, "prod-cluster");
	cr_assert_str_eq(c.user_name, "prod-user");
	cr_assert_str_eq(c.server, "https://prod.example.test");
	cr_assert_eq(c.insecure, 1);
	cr_assert_str_eq(c.token, "inline-token-abc");
	cr_assert_null(c.token_file);
	cr_assert_null(c.ca.data);
	kcs_restconfig_release(&c);
}

Test(kubeconfig, unknown_context_flag_names_it_and_the_file)
{
	struct kcs_config_request r = req_file("basic.yaml");
	struct kcs_error err = KCS_ERROR_INIT;

	r.context = "staging";
	load_fail(&r, KCS_ERR_CONFIG, &err);
	cr_assert(strstr(err.msg, "context 'staging' not found in '"), "%s",
		  err.msg);
	cr_assert(strstr(err.msg, fx("basic.yaml")), "%s", err.msg);
}

Test(kubeconfig, unknown_current_context)
{
	fail_with("unknown-current.yaml", KCS_ERR_CONFIG,
		  "context 'gone' not found");
}

Test(kubeconfig, no_current_context_needs_context_flag)
{
	struct kcs_config_request r = req_file("no-current.yaml");
	struct kcs_restconfig c;

	fail_with("no-current.yaml", KCS_ERR_CONFIG, "--context");
	r.context = "ctx";
	load_ok(&r, &c);
	cr_assert_str_eq(c.context, "ctx");
	kcs_restconfig_release(&c);
}

Test(kubeconfig, context_cluster_and_user_must_exist)
{
	fail_with("missing-cluster.yaml", KCS_ERR_CONFIG,
		  "contexts[0].context.cluster: cluster 'nowhere' of context "
		  "'ctx' not found");
	fail_with("missing-user.yaml", KCS_ERR_CONFIG,
		  "contexts[0].context.user: user 'nobody' of context 'ctx' "
		  "not found");
}

Test(kubeconfig, namespace_precedence)
{
	struct kcs_config_request r = req_file("basic.yaml");
	struct kcs_restconfig c;

	load_ok(&r, &c); /* the context's */
	cr_assert_str_eq(c.namespace, "team-a");
	kcs_restconfig_release(&c);

	r.namespace = "override";
	load_ok(&r, &c); /* -n wins */
	cr_assert_str_eq(c.namespace, "override");
	kcs_restconfig_release(&c);

	r.namespace = NULL;
	r.context = "prod";
	load_ok(&r, &c); /* context without namespace */
	cr_assert_str_eq(c.namespace, "default");
	kcs_restconfig_release(&c);
}

/* ---- clusters ----------------------------------------------------------- */

Test(kubeconfig, cluster_fields_and_relative_paths)
{
	struct kcs_config_request r = req_file("basic.yaml");
	struct kcs_restconfig c;

	load_ok(&r, &c);
	cr_assert_str_eq(c.server, "https://dev.example.test:6443");
	cr_assert_str_eq(c.cluster_name, "dev-cluster");
	cr_assert_str_eq(c.user_name, "dev-user");
	assert_blob_is(&c.ca, FX "pki/ca.crt");
	cr_assert_str_eq(c.ca_source, fx("pki/ca.crt"));
	cr_assert_eq(c.insecure, 0);
	cr_assert_str_eq(c.tls_server_name, "api.dev.example.test");
	cr_assert_str_eq(c.proxy_url, "socks5://proxy.example.test:1080");
	cr_assert_eq(c.disable_compression, 1);
	assert_blob_is(&c.client_cert, FX "pki/client.crt");
	assert_blob_is(&c.client_key, FX "pki/client.key");
	cr_assert_null(c.token);
	cr_assert_null(c.exec);
	kcs_restconfig_release(&c);
}

Test(kubeconfig, relative_paths_resolve_against_the_files_directory)
{
	struct kcs_config_request r = req_file("sub/nested.yaml");
	struct kcs_restconfig c;

	load_ok(&r, &c);
	assert_blob_is(&c.ca, FX "pki/ca.crt");
	cr_assert_str_eq(c.ca_source, fx("sub/../pki/ca.crt"));
	cr_assert_str_eq(c.token, "file-token-0123");
	cr_assert_str_eq(c.token_file, fx("sub/../tokens/token.txt"));
	kcs_restconfig_release(&c);

	/* an exec command with a '/' is relative to the file too */
	r.context = "nested-exec";
	load_ok(&r, &c);
	cr_assert_not_null(c.exec);
	cr_assert_str_eq(c.exec->command, fx("sub/plugins/get-token"));
	kcs_restconfig_release(&c);
}

Test(kubeconfig, relative_kubeconfig_path_resolves_against_cwd)
{
	struct kcs_config_request r = req_empty();
	struct kcs_restconfig c;
	char cwd[4096], want[8192];

	cr_assert_eq(chdir(KCS_SOURCE_DIR), 0);
	cr_assert_not_null(getcwd(cwd, sizeof(cwd)));
	r.kubeconfig = FX "basic.yaml";
	load_ok(&r, &c);
	snprintf(want, sizeof(want), "%s/" FX "pki/ca.crt", cwd);
	cr_assert_str_eq(c.ca_source, want);
	assert_blob_is(&c.ca, FX "pki/ca.crt");
	kcs_restconfig_release(&c);
}

Test(kubeconfig, server_must_be_an_http_url)
{
	struct kcs_config_request r = req_file("http-server.yaml");
	struct kcs_restconfig c;

	fail_with("no-server.yaml", KCS_ERR_CONFIG,
		  "clusters[0].cluster.server: cluster 'cl' has no server");
	fail_with("ftp-server.yaml", KCS_ERR_CONFIG,
		  "is not an https:// or http:// URL");
	fail_with("no-host.yaml", KCS_ERR_CONFIG, "has no host");
	load_ok(&r, &c); /* plain http (kubectl proxy) is allowed */
	cr_assert_str_eq(c.server, "http://127.0.0.1:8001");
	kcs_restconfig_release(&c);
}

Test(kubeconfig, insecure_with_ca_is_an_error)
{
	fail_with("insecure-ca.yaml", KCS_ERR_CONFIG,
		  "clusters[0].cluster: specifying a root certificates file "
		  "with the insecure flag is not allowed");
	fail_with("insecure-ca-data.yaml", KCS_ERR_CONFIG,
		  "specifying a root certificates file with the insecure flag "
		  "is not allowed");
}

Test(kubeconfig, proxy_scheme_checked_without_quoting_the_url)
{
	struct kcs_config_request r = req_file("bad-proxy.yaml");
	struct kcs_error err = KCS_ERROR_INIT;

	fail_with("bad-proxy.yaml", KCS_ERR_CONFIG,
		  "clusters[0].cluster.proxy-url: unsupported proxy scheme");
	load_fail(&r, KCS_ERR_CONFIG, &err);
	cr_assert_null(strstr(err.msg, "pw@"), "%s", err.msg);
}

Test(kubeconfig, json_kubeconfig)
{
	struct kcs_config_request r = req_file("config.json");
	struct kcs_restconfig c;

	load_ok(&r, &c);
	cr_assert_str_eq(c.server, "https://json.example.test");
	cr_assert_str_eq(c.token, "json-token");
	cr_assert_str_eq(c.namespace, "json-ns");
	cr_assert_eq(c.insecure, 1);
	kcs_restconfig_release(&c);
}

/* ---- *-data fields ------------------------------------------------------ */

Test(kubeconfig, data_fields_are_decoded_and_win_over_files)
{
	struct kcs_config_request r = req_file("data.yaml");
	struct kcs_restconfig c;

	load_ok(&r, &c);
	/* the certificate-authority file does not exist: data wins */
	assert_blob_is(&c.ca, FX "pki/ca.crt");
	cr_assert_str_eq(c.ca_source, "certificate-authority-data");
	/* literal block: line-wrapped with newlines */
	assert_blob_is(&c.client_cert, FX "pki/client.crt");
	/* plain multi-line scalar: line breaks folded into spaces */
	assert_blob_is(&c.client_key, FX "pki/client.key");
	kcs_restconfig_release(&c);
}

Test(kubeconfig, invalid_base64_is_rejected_without_quoting_it)
{
	struct kcs_config_request r = req_file("bad-base64.yaml");
	struct kcs_error err = KCS_ERROR_INIT;

	fail_with("bad-base64.yaml", KCS_ERR_CONFIG,
		  "users[0].user.client-certificate-data: invalid base64");
	load_fail(&r, KCS_ERR_CONFIG, &err);
	cr_assert_null(strstr(err.msg, "LS0t"), "%s", err.msg);
	/* '=' before the end */
	fail_with("bad-padding.yaml", KCS_ERR_CONFIG,
		  "users[0].user.client-key-data: invalid base64");
	/* missing padding */
	fail_with("unpadded.yaml", KCS_ERR_CONFIG,
		  "users[0].user.client-key-data: invalid base64");
}

/* ---- users -------------------------------------------------------------- */

Test(kubeconfig, client_certificate_and_key_come_together)
{
	fail_with("cert-no-key.yaml", KCS_ERR_CONFIG,
		  "users[0].user: client-certificate given without client-key");
	fail_with("key-no-cert.yaml", KCS_ERR_CONFIG,
		  "users[0].user: client-key given without client-certificate");
}

Test(kubeconfig, unreadable_key_file_names_field_and_path)
{
	struct kcs_config_request r = req_file("missing-key-file.yaml");
	struct kcs_error err = KCS_ERROR_INIT;
	char want[8192];

	load_fail(&r, KCS_ERR_IO, &err);
	snprintf(want, sizeof(want),
		 "'%s': users[0].user.client-key: cannot read '%s': %s",
		 fx("missing-key-file.yaml"), fx("pki/missing.key"),
		 strerror(ENOENT));
	cr_assert_str_eq(err.msg, want);
}

Test(kubeconfig, auth_provider_is_refused)
{
	fail_with("auth-provider.yaml", KCS_ERR_CONFIG,
		  "users[0].user.auth-provider: auth-provider 'gcp' is not "
		  "supported; use an exec credential plugin");
}

Test(kubeconfig, basic_auth_is_refused_without_quoting_the_password)
{
	struct kcs_config_request r = req_file("basic-auth.yaml");
	struct kcs_error err = KCS_ERROR_INIT;

	fail_with("basic-auth.yaml", KCS_ERR_CONFIG,
		  "basic authentication (username/password) is not supported");
	load_fail(&r, KCS_ERR_CONFIG, &err);
	cr_assert_null(strstr(err.msg, "hunter2"), "%s", err.msg);
}

Test(kubeconfig, impersonation_is_refused)
{
	fail_with("impersonate.yaml", KCS_ERR_CONFIG,
		  "impersonation (as, as-uid, as-groups, as-user-extra) is not "
		  "supported");
}

Test(kubeconfig, unused_entries_are_type_checked_but_not_resolved)
{
	struct kcs_config_request r = req_file("basic.yaml");
	struct kcs_restconfig c;

	/* a broken type anywhere fails the file, as Go's decoder does */
	fail_with("type-user.yaml", KCS_ERR_CONFIG,
		  "users[1].user.token: expected a string, got a mapping");
	/* but refusals only concern the chosen user: basic.yaml's prod
	 * user is fine, and its dev user's files are read only for dev */
	r.context = "prod";
	load_ok(&r, &c);
	cr_assert_null(c.client_key.data);
	kcs_restconfig_release(&c);
}

Test(kubeconfig, token_file_is_read_at_load_and_kept)
{
	struct kcs_config_request r = req_file("token-file.yaml");
	struct kcs_restconfig c;

	load_ok(&r, &c);
	cr_assert_str_eq(c.token, "file-token-0123"); /* newline trimmed */
	cr_assert_str_eq(c.token_file, fx("tokens/token.txt"));
	kcs_restconfig_release(&c);

	/* an inline token is used as it is; the file is for re-reading */
	r = req_file("token-and-file.yaml");
	load_ok(&r, &c);
	cr_assert_str_eq(c.token, "inline-wins");
	cr_assert_str_eq(c.token_file, fx("tokens/token.txt"));
	kcs_restconfig_release(&c);

	fail_with("token-file-missing.yaml", KCS_ERR_IO,
		  "users[0].user.tokenFile: cannot read '");
}

/* ---- exec --------------------------------------------------------------- */

Test(kubeconfig, exec_v1_parsed)
{
	struct kcs_config_request r = req_file("exec-v1.yaml");
	struct kcs_restconfig c;
	struct kcs_exec_config *x;

	load_ok(&r, &c);
	x = c.exec;
	cr_assert_not_null(x);
	cr_assert_str_eq(x->api_version, "client.authentication.k8s.io/v1");
	cr_assert_str_eq(x->command, fx("bin/get-token"));
	cr_assert_eq(x->n_args, 3);
	cr_assert_str_eq(x->args[0], "--cluster");
	cr_assert_str_eq(x->args[1], "dev");
	cr_assert_str_eq(x->args[2], "");
	cr_assert_null(x->args[3]);
	cr_assert_eq(x->n_env, 2);
	cr_assert_str_eq(x->env[0], "AWS_PROFILE=dev");
	cr_assert_str_eq(x->env[1], "EMPTY=");
	cr_assert_null(x->env[2]);
	cr_assert_str_eq(x->install_hint,
			 "install get-token from example.test");
	cr_assert_eq(x->provide_cluster_info, 1);
	cr_assert_str_eq(x->interactive_mode, "Never");
	cr_assert_null(c.token);
	kcs_restconfig_release(&c);
}

Test(kubeconfig, exec_v1beta1_defaults)
{
	struct kcs_config_request r = req_file("exec-v1beta1.yaml");
	struct kcs_restconfig c;

	load_ok(&r, &c);
	cr_assert_not_null(c.exec);
	cr_assert_str_eq(c.exec->command, "aws"); /* bare name: PATH */
	cr_assert_eq(c.exec->n_args, 0);
	cr_assert_not_null(c.exec->args);
	cr_assert_null(c.exec->args[0]);
	cr_assert_eq(c.exec->n_env, 0);
	cr_assert_not_null(c.exec->env);
	cr_assert_null(c.exec->env[0]);
	cr_assert_null(c.exec->interactive_mode);
	cr_assert_null(c.exec->install_hint);
	cr_assert_eq(c.exec->provide_cluster_info, 0);
	kcs_restconfig_release(&c);

	r = req_file("exec-abs.yaml");
	load_ok(&r, &c);
	cr_assert_str_eq(c.exec->command, "/usr/local/bin/get-token");
	kcs_restconfig_release(&c);
}

Test(kubeconfig, exec_v1_requires_interactive_mode)
{
	fail_with("exec-v1-no-mode.yaml", KCS_ERR_CONFIG,
		  "users[0].user.exec.interactiveMode: missing (required for "
		  "client.authentication.k8s.io/v1");
}

Test(kubeconfig, exec_fields_validated)
{
	fail_with("exec-bad-mode.yaml", KCS_ERR_CONFIG,
		  "users[0].user.exec.interactiveMode: 'Sometimes' is not one "
		  "of Never, IfAvailable, Always");
	fail_with("exec-bad-version.yaml", KCS_ERR_CONFIG,
		  "users[0].user.exec.apiVersion: "
		  "'client.authentication.k8s.io/v1alpha1' is not supported");
	fail_with("exec-no-command.yaml", KCS_ERR_CONFIG,
		  "users[0].user.exec.command: missing");
	fail_with("exec-env-no-name.yaml", KCS_ERR_CONFIG,
		  "users[0].user.exec.env[0].name: missing");
	fail_with("exec-args-type.yaml", KCS_ERR_CONFIG,
		  "users[0].user.exec.args[1]: expected a string, got a "
		  "mapping");
}

Test(kubeconfig, exec_too_many_args_is_a_limit)
{
	struct tmp t;
	char *doc;
	size_t i, n = 0, cap = 64 * (KCS_EXEC_MAX_ARGS + 1) + 1024;
	struct kcs_config_request r = req_empty();
	struct kcs_error err = KCS_ERROR_INIT;

	doc = malloc(cap);
	cr_assert_not_null(doc);
	n += (size_t)snprintf(doc + n, cap - n,
			      "current-context: c\n"
			      "clusters: [{name: c, cluster: {server: "
			      "https://x.test}}]\n"
			      "contexts: [{name: c, context: {cluster: c, "
			      "user: u}}]\n"
			      "users:\n- name: u\n  user:\n    exec:\n"
			      "      apiVersion: "
			      "client.authentication.k8s.io/v1beta1\n"
			      "      command: x\n      args:\n");
	for (i = 0; i <= KCS_EXEC_MAX_ARGS; i++)
		n += (size_t)snprintf(doc + n, cap - n, "      - a%zu\n", i);
	tmp_init(&t);
	tmp_write(&t, "config", doc);
	free(doc);
	r.kubeconfig = tmp_path(&t, "config");
	load_fail(&r, KCS_ERR_LIMIT, &err);
	cr_assert(strstr(err.msg, "users[0].user.exec.args: more than"), "%s",
		  err.msg);
	tmp_cleanup(&t);
}

Test(kubeconfig, token_wins_over_exec)
{
	struct kcs_config_request r = req_file("exec-with-token.yaml");
	struct kcs_restconfig c;

	load_ok(&r, &c);
	cr_assert_str_eq(c.token, "static");
	cr_assert_null(c.exec);
	kcs_restconfig_release(&c);
}

/* ---- in-cluster --------------------------------------------------------- */

Test(kubeconfig, in_cluster_ipv4)
{
	struct kcs_config_request r = req_empty();
	struct kcs_restconfig c;
	struct tmp t;

	sa_setup(&t, 1, 1);
	r.sa_dir = t.dir;
	r.env_service_host = "10.96.0.1";
	r.env_service_port = "443";
	load_ok(&r, &c);
	cr_assert_eq(c.in_cluster, 1);
	cr_assert_str_eq(c.server, "https://10.96.0.1:443");
	cr_assert_str_eq(c.token, "sa-token-1");
	cr_assert_str_eq(c.token_file, tmp_path(&t, "token"));
	cr_assert_str_eq(c.ca_source, tmp_path(&t, "ca.crt"));
	cr_assert_not_null(c.ca.data);
	cr_assert(strstr((const char *)c.ca.data, "in-cluster test CA"));
	cr_assert_str_eq(c.namespace, "kube-system");
	cr_assert_null(c.context);
	cr_assert_null(c.cluster_name);
	cr_assert_null(c.user_name);
	cr_assert_null(c.config_path);
	cr_assert_null(c.exec);
	kcs_restconfig_release(&c);
	tmp_cleanup(&t);
}

Test(kubeconfig, in_cluster_ipv6_and_defaults)
{
	struct kcs_config_request r = req_empty();
	struct kcs_restconfig c;
	struct tmp t;

	sa_setup(&t, 0, 0);
	r.sa_dir = t.dir;
	r.env_service_host = "fd00::1";
	r.env_service_port = "6443";
	load_ok(&r, &c);
	cr_assert_str_eq(c.server, "https://[fd00::1]:6443");
	cr_assert_str_eq(c.namespace, "default"); /* no namespace file */
	cr_assert_null(c.ca.data); /* no ca.crt: system trust store */
	cr_assert_null(c.ca_source);
	kcs_restconfig_release(&c);

	r.namespace = "mine";
	load_ok(&r, &c);
	cr_assert_str_eq(c.namespace, "mine");
	kcs_restconfig_release(&c);
	tmp_cleanup(&t);
}

Test(kubeconfig, in_cluster_only_without_kubeconfig)
{
	struct kcs_config_request r = req_empty();
	struct kcs_restconfig c;
	struct tmp t;

	sa_setup(&t, 1, 1);
	r.sa_dir = t.dir;
	r.env_service_host = "10.96.0.1";
	r.env_service_port = "443";
	r.env_home = fx("home");
	load_ok(&r, &c);
	cr_assert_eq(c.in_cluster, 0);
	cr_assert_str_eq(c.context, "home");
	kcs_restconfig_release(&c);

	/* an empty kubeconfig counts as none, listed or explicit */
	r.env_kubeconfig = fx("empty.yaml");
	load_ok(&r, &c);
	cr_assert_eq(c.in_cluster, 1);
	kcs_restconfig_release(&c);
	r.env_kubeconfig = NULL;
	r.kubeconfig = fx("empty.yaml");
	load_ok(&r, &c);
	cr_assert_eq(c.in_cluster, 1);
	kcs_restconfig_release(&c);

	/* --context never means in-cluster */
	{
		struct kcs_error err = KCS_ERROR_INIT;

		r.context = "some-context";
		load_fail(&r, KCS_ERR_CONFIG, &err);
		cr_assert(strstr(err.msg, "context 'some-context' not found"),
			  "%s", err.msg);
	}
	tmp_cleanup(&t);
}

Test(kubeconfig, in_cluster_needs_a_token_file)
{
	struct kcs_config_request r = req_empty();
	struct kcs_error err = KCS_ERROR_INIT;
	struct tmp t;

	tmp_init(&t); /* no token in it */
	r.sa_dir = t.dir;
	r.env_service_host = "10.96.0.1";
	r.env_service_port = "443";
	load_fail(&r, KCS_ERR_CONFIG, &err);
	cr_assert(strstr(err.msg, "not running in a cluster"), "%s", err.msg);
	cr_assert(strstr(err.msg, tmp_path(&t, "token")), "%s", err.msg);
	tmp_cleanup(&t);
}

Test(kubeconfig, in_cluster_rejects_a_bad_port)
{
	struct kcs_config_request r = req_empty();
	struct kcs_error err = KCS_ERROR_INIT;
	struct tmp t;

	sa_setup(&t, 0, 0);
	r.sa_dir = t.dir;
	r.env_service_host = "10.96.0.1";
	r.env_service_port = "https";
	load_fail(&r, KCS_ERR_CONFIG, &err);
	cr_assert(strstr(err.msg, "KUBERNETES_SERVICE_PORT 'https'"), "%s",
		  err.msg);
	tmp_cleanup(&t);
}

Test(kubeconfig, empty_kubeconfig_and_not_in_cluster)
{
	fail_with("empty.yaml", KCS_ERR_CONFIG,
		  "is empty and not running in a cluster");
}

/* ---- token rotation ----------------------------------------------------- */

Test(kubeconfig, token_reload_rotates_and_keeps_old_on_failure)
{
	struct kcs_config_request r = req_empty();
	struct kcs_error err = KCS_ERROR_INIT;
	struct kcs_restconfig c;
	struct tmp t;

	sa_setup(&t, 0, 0);
	r.sa_dir = t.dir;
	r.env_service_host = "10.0.0.1";
	r.env_service_port = "443";
	load_ok(&r, &c);
	cr_assert_str_eq(c.token, "sa-token-1");

	tmp_write(&t, "token", "sa-token-2\n");
	cr_assert_eq(kcs_config_reload_token(&c, &err), KCS_OK);
	cr_assert_str_eq(c.token, "sa-token-2");

	/* the file vanishes: the old token stays, no error recorded */
	cr_assert_eq(unlink(tmp_path(&t, "token")), 0);
	cr_assert_eq(kcs_config_reload_token(&c, &err), KCS_OK);
	cr_assert_str_eq(c.token, "sa-token-2");
	cr_assert_eq(err.code, KCS_OK);

	/* an empty file is no token either */
	tmp_write(&t, "token", "\n");
	cr_assert_eq(kcs_config_reload_token(&c, &err), KCS_OK);
	cr_assert_str_eq(c.token, "sa-token-2");

	tmp_write(&t, "token", "sa-token-3");
	cr_assert_eq(kcs_config_reload_token(&c, &err), KCS_OK);
	cr_assert_str_eq(c.token, "sa-token-3");
	kcs_restconfig_release(&c);
	tmp_cleanup(&t);
}

Test(kubeconfig, token_reload_without_any_token_fails)
{
	struct kcs_error err = KCS_ERROR_INIT;
	struct kcs_restconfig c;

	memset(&c, 0, sizeof(c));
	cr_assert_eq(kcs_config_reload_token(&c, &err), KCS_ERR_AUTH);
	kcs_error_clear(&err);
	c.token_file = kcs_strdup("/nonexistent/kcs-token");
	cr_assert_not_null(c.token_file);
	cr_assert_eq(kcs_config_reload_token(&c, &err), KCS_ERR_AUTH);
	cr_assert(strstr(err.msg, "cannot read '/nonexistent/kcs-token'"),
		  "%s", err.msg);
	cr_assert_null(c.token);
	kcs_restconfig_release(&c);
	cr_assert_null(c.token_file);
}

/* ---- YAML and type errors ----------------------------------------------- */

Test(kubeconfig, yaml_syntax_error_names_file_line_and_column)
{
	struct kcs_config_request r = req_file("syntax-error.yaml");
	struct kcs_error err = KCS_ERROR_INIT;

	load_fail(&r, KCS_ERR_CONFIG, &err);
	cr_assert(strstr(err.msg, fx("syntax-error.yaml")), "%s", err.msg);
	/* the bad indentation is on line 5 */
	cr_assert(strstr(err.msg, "invalid yaml at line 5, column "), "%s",
		  err.msg);
	cr_assert(err.offset > 0);
}

Test(kubeconfig, type_errors_name_the_field_path)
{
	fail_with("server-type.yaml", KCS_ERR_CONFIG,
		  "clusters[0].cluster.server: expected a string, got a list");
	fail_with("bool-type.yaml", KCS_ERR_CONFIG,
		  "clusters[0].cluster.insecure-skip-tls-verify: expected true "
		  "or false");
	fail_with("type-clusters.yaml", KCS_ERR_CONFIG,
		  "clusters: expected a list, got a mapping");
	fail_with("top-list.yaml", KCS_ERR_CONFIG,
		  "expected a mapping at the top level, got a list");
	fail_with("duplicate.yaml", KCS_ERR_CONFIG,
		  "clusters[1].name: duplicate cluster name 'cl'");
	fail_with("no-name.yaml", KCS_ERR_CONFIG, "clusters[0].name: missing");
}

/* ---- limits ------------------------------------------------------------- */

Test(kubeconfig, kubeconfig_size_limit)
{
	struct kcs_config_request r = req_empty();
	struct kcs_error err = KCS_ERROR_INIT;
	struct tmp t;

	tmp_init(&t);
	/* one byte over: refused */
	tmp_sized(&t, "big", (off_t)KCS_KUBECONFIG_MAX + 1, NULL);
	r.kubeconfig = tmp_path(&t, "big");
	load_fail(&r, KCS_ERR_LIMIT, &err);
	cr_assert(strstr(err.msg, tmp_path(&t, "big")), "%s", err.msg);
	cr_assert(strstr(err.msg, "larger than"), "%s", err.msg);

	/* exactly at the limit: read (a long comment, then an empty map) */
	kcs_error_clear(&err);
	tmp_sized(&t, "max", (off_t)KCS_KUBECONFIG_MAX, "{}\n#");
	{
		int fd = open(tmp_path(&t, "max"), O_WRONLY);
		char *fill = malloc(KCS_KUBECONFIG_MAX);

		cr_assert(fd >= 0 && fill);
		memset(fill, 'x', KCS_KUBECONFIG_MAX);
		cr_assert_eq(pwrite(fd, fill, KCS_KUBECONFIG_MAX - 4, 4),
			     KCS_KUBECONFIG_MAX - 4);
		free(fill);
		close(fd);
	}
	r.kubeconfig = tmp_path(&t, "max");
	load_fail(&r, KCS_ERR_CONFIG, &err);
	cr_assert(strstr(err.msg, "is empty"), "%s", err.msg);
	tmp_cleanup(&t);
}

Test(kubeconfig, credential_file_size_limit)
{
	struct kcs_config_request r = req_empty();
	struct kcs_error err = KCS_ERROR_INIT;
	struct tmp t;

	tmp_init(&t);
	tmp_sized(&t, "huge.crt", (off_t)KCS_CREDFILE_MAX + 1, "x");
	tmp_write(&t, "config",
		  "current-context: c\n"
		  "clusters: [{name: c, cluster: {server: https://x.test, "
		  "certificate-authority: huge.crt}}]\n"
		  "contexts: [{name: c, context: {cluster: c}}]\n");
	r.kubeconfig = tmp_path(&t, "config");
	load_fail(&r, KCS_ERR_LIMIT, &err);
	cr_assert(strstr(err.msg,
			 "clusters[0].cluster.certificate-authority: "),
		  "%s", err.msg);
	cr_assert(strstr(err.msg, "larger than"), "%s", err.msg);
	tmp_cleanup(&t);
}

/* ---- environment, release, allocation failures -------------------------- */

Test(kubeconfig, request_from_env)
{
	struct kcs_config_request r;

	memset(&r, 0, sizeof(r));
	setenv("KUBECONFIG", "/a:/b", 1);
	setenv("HOME", "/home/tester", 1);
	setenv("KUBERNETES_SERVICE_HOST", "10.0.0.1", 1);
	setenv("KUBERNETES_SERVICE_PORT", "443", 1);
	setenv("KUBECAPSCAN_SERVICEACCOUNT_DIR", "/tmp/sa", 1);
	kcs_config_request_from_env(&r);
	cr_assert_str_eq(r.env_kubeconfig, "/a:/b");
	cr_assert_str_eq(r.env_home, "/home/tester");
	cr_assert_str_eq(r.env_service_host, "10.0.0.1");
	cr_assert_str_eq(r.env_service_port, "443");
	cr_assert_str_eq(r.sa_dir, "/tmp/sa");
	cr_assert_null(r.kubeconfig);
	unsetenv("KUBECAPSCAN_SERVICEACCOUNT_DIR");
	unsetenv("KUBECONFIG");
	kcs_config_request_from_env(&r);
	cr_assert_str_eq(r.sa_dir, KCS_SA_DIR);
	cr_assert_null(r.env_kubeconfig);
}

Test(kubeconfig, release_is_null_safe_and_idempotent)
{
	struct kcs_config_request r = req_file("data.yaml");
	struct kcs_restconfig c;
	struct kcs_blob b = { NULL, 0 };

	kcs_restconfig_release(NULL);
	kcs_blob_release(NULL);
	kcs_blob_release(&b);
	load_ok(&r, &c);
	kcs_restconfig_release(&c);
	cr_assert_null(c.server);
	cr_assert_null(c.client_key.data);
	cr_assert_eq(c.client_key.len, 0);
	kcs_restconfig_release(&c);
}

/* Every allocation failure gives a clean NOMEM (valgrind checks leaks). */
static void oom_loop(const struct kcs_config_request *r)
{
	struct kcs_restconfig c;
	struct kcs_error err;
	enum kcs_err rc;
	long n;

	for (n = 0; n < 10000; n++) {
		kcs_error_clear(&err);
		kcs_alloc_fail_after(n);
		rc = kcs_config_load(r, &c, &err);
		kcs_alloc_fail_after(-1);
		if (rc == KCS_OK)
			break;
		cr_assert_eq(rc, KCS_ERR_NOMEM, "n=%ld: %s: %s", n,
			     kcs_err_name(rc), err.msg);
		cr_assert_null(c.server);
	}
	cr_assert_eq(rc, KCS_OK);
	cr_assert_gt(n, 5, "the load should allocate more than that");
	kcs_restconfig_release(&c);
}

Test(kubeconfig, allocation_failures_are_clean)
{
	struct kcs_config_request r = req_file("exec-v1.yaml");
	struct tmp t;
	char env[8192];

	oom_loop(&r);
	r = req_file("data.yaml");
	oom_loop(&r);
	r = req_empty();
	snprintf(env, sizeof(env), "%s:%s", fx("merge-b.yaml"),
		 fx("merge-a.yaml"));
	r.env_kubeconfig = env;
	r.context = "ctx-a";
	oom_loop(&r);

	sa_setup(&t, 1, 1);
	r = req_empty();
	r.sa_dir = t.dir;
	r.env_service_host = "fd00::1";
	r.env_service_port = "443";
	oom_loop(&r);
	tmp_cleanup(&t);
}
