/*
 * test_remediate.c - JSON patches, kubectl commands and notes for failing
 * workloads and namespaces (remediate.c).
 *
 * Three kinds of checks:
 *
 * - exact expected strings for a table of workloads (kinds, securityContext
 *   shapes, dedupe, conflicts, manual reasons) and namespaces;
 * - every produced command is run by /bin/sh (and bash) with `kubectl`
 *   defined as a shell function that prints its arguments NUL-separated:
 *   the argv the shell hands over must be exactly the intended one, for
 *   hostile names with quotes, spaces, $(...), backquotes and newlines;
 * - every produced patch goes to tests/tools/check_remediate.py, which
 *   applies it to a template of that kind with its own RFC 6902 applier
 *   (and kubectl patch --local when installed) and checks the offending
 *   containers drop ALL, nothing else changed, and a template of another
 *   order makes the patch fail as a whole.
 */
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <criterion/criterion.h>
#include <yajl/yajl_gen.h>

#include "kcs/alloc.h"
#include "kcs/buf.h"
#include "kcs/remediate.h"
#include "kcs/report.h"
#include "testutil.h"

extern char **environ;

/* ---- building inputs ------------------------------------------------- */

/* securityContext shapes, as check_remediate.py builds them */
enum shape { S_NONE, S_NULL, S_SC, S_CAPS, S_DROPNULL, S_DROP };

static const char *shape_name(enum shape s)
{
	static const char *n[] = { "none", "null", "sc", "caps", "dropnull",
				   "drop" };
	return n[s];
}

static struct kcs_container ctr_n(enum kcs_ctype t, unsigned idx,
				  const char *name, size_t len,
				  enum kcs_reason r, enum shape s)
{
	struct kcs_container c;

	memset(&c, 0, sizeof(c));
	c.type = t;
	c.index = idx;
	cr_assert_leq(len, KCS_NAME_MAX);
	memcpy(c.name.s, name, len);
	c.name.len = len;
	c.has_sc = s >= S_SC;
	c.has_caps = s >= S_CAPS;
	c.has_drop = s == S_DROP;
	c.privileged = r == KCS_R_PRIVILEGED;
	c.malformed = r == KCS_R_MALFORMED;
	c.verdict = KCS_VERDICT_FAIL;
	c.reason = r;
	return c;
}

static struct kcs_container ctr(enum kcs_ctype t, unsigned idx,
				const char *name, enum kcs_reason r,
				enum shape s)
{
	return ctr_n(t, idx, name, strlen(name), r, s);
}

/* The reason the rules give a container of that shape with no drop. */
static enum kcs_reason shape_reason(enum shape s)
{
	return s <= S_NULL ? KCS_R_NO_SECURITY_CONTEXT
	     : s == S_SC   ? KCS_R_NO_CAPABILITIES
			   : KCS_R_NO_MATCHING_DROP;
}

static struct kcs_remedy_workload wl(const char *kind, const char *ns,
				     const char *name)
{
	struct kcs_remedy_workload w;

	memset(&w, 0, sizeof(w));
	w.kind = kind;
	w.ns = ns;
	w.ns_len = strlen(ns);
	w.name = name;
	w.name_len = strlen(name);
	w.resolved = 1;
	return w;
}

static void remedy(const struct kcs_remedy_workload *w,
		   const struct kcs_container *cs, size_t n,
		   struct kcs_remedy *r)
{
	struct kcs_error err = KCS_ERROR_INIT;
	struct kcs_remedy init = KCS_REMEDY_INIT;

	*r = init;
	cr_assert_eq(kcs_remediate_workload(w, cs, n, r, &err), KCS_OK, "%s",
		     err.msg);
}

static int has_note(const struct kcs_remedy *r, const char *part)
{
	size_t i;

	for (i = 0; i < r->n_notes; i++)
		if (strstr(r->notes[i], part))
			return 1;
	return 0;
}

static void expect_note(const struct kcs_remedy *r, const char *part)
{
	size_t i;

	if (has_note(r, part))
		return;
	for (i = 0; i < r->n_notes; i++)
		cr_log_error("note %zu: %s", i, r->notes[i]);
	cr_expect_fail("no note holds \"%s\"", part);
}

#define GITOPS "undone by the next helm upgrade or GitOps sync"

/* ---- running commands ------------------------------------------------ */

/*
 * Run argv and return its exit status; with `out`, capture its stdout (up
 * to 1 MiB, caller frees).
 */
static int run(char *const argv[], char **out, size_t *out_len)
{
	posix_spawn_file_actions_t fa;
	int fds[2], status = -1;
	pid_t pid;
	size_t cap = 1 << 20, len = 0;
	ssize_t got;
	char *buf = malloc(cap + 1);

	cr_assert_not_null(buf);
	if (!out) { /* output goes to the test's own stdout */
		free(buf);
		cr_assert_eq(posix_spawnp(&pid, argv[0], NULL, NULL, argv,
					  environ), 0,
			     "cannot run %s", argv[0]);
		cr_assert_eq(waitpid(pid, &status, 0), pid);
		return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
	}
	cr_assert_eq(pipe(fds), 0);
	cr_assert_eq(posix_spawn_file_actions_init(&fa), 0);
	posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
	posix_spawn_file_actions_addclose(&fa, fds[0]);
	cr_assert_eq(posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ), 0,
		     "cannot run %s", argv[0]);
	posix_spawn_file_actions_destroy(&fa);
	close(fds[1]);
	while (len < cap && (got = read(fds[0], buf + len, cap - len)) > 0)
		len += (size_t)got;
	close(fds[0]);
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	buf[len] = '\0';
	*out = buf;
	*out_len = len;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

/* Run argv with stdout and stderr on /dev/null; return the exit status. */
static int run_quiet(char *const argv[])
{
	posix_spawn_file_actions_t fa;
	int status = -1;
	pid_t pid;

	cr_assert_eq(posix_spawn_file_actions_init(&fa), 0);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	cr_assert_eq(posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ), 0,
		     "cannot run %s", argv[0]);
	posix_spawn_file_actions_destroy(&fa);
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

/*
 * `kubectl` as a shell function printing each argument and a NUL byte
 * (printf's \000), so arguments holding newlines come back intact. A
 * canary file shows whether anything in the command was executed.
 */
#define SHELL_PRELUDE \
	"kubectl() { for a in \"$@\"; do printf '%s' \"$a\"; " \
	"printf '\\000'; done; }\n"

static void expect_argv_in(const char *shell, const char *cmd,
			   const char *const *want, size_t n_want)
{
	struct kcs_buf script = KCS_BUF_INIT(1 << 24);
	char *out, *p, *argv[4];
	size_t len, i;
	int rc;

	kcs_buf_addstr(&script, SHELL_PRELUDE);
	kcs_buf_addstr(&script, cmd);
	kcs_buf_addch(&script, '\n');
	cr_assert_eq(script.err, KCS_OK);
	argv[0] = (char *)shell;
	argv[1] = "-c";
	argv[2] = script.buf;
	argv[3] = NULL;
	rc = run(argv, &out, &len);
	cr_assert_eq(rc, 0, "%s exited %d for: %s", shell, rc, cmd);
	p = out;
	for (i = 0; i < n_want; i++) {
		size_t l = strnlen(p, (size_t)(out + len - p));

		cr_assert_lt(p + l, out + len, "%s: only %zu arguments, want "
			     "%zu: %s", shell, i, n_want, cmd);
		cr_expect_str_eq(p, want[i], "%s: argument %zu", shell, i);
		p += l + 1;
	}
	cr_expect_eq(p, out + len, "%s: more arguments than %zu: %s", shell,
		     n_want, cmd);
	free(out);
	kcs_buf_release(&script);
}

/* The canary a successful injection would create. */
static const char *canary(void)
{
	static char path[256];

	if (!path[0])
		snprintf(path, sizeof(path), "/tmp/kcs-remediate-canary.%ld",
			 (long)getpid());
	return path;
}

static void expect_argv(const char *cmd, const char *const *want, size_t n)
{
	cr_assert(strncmp(cmd, "kubectl ", 8) == 0, "not kubectl: %s", cmd);
	unlink(canary());
	expect_argv_in("/bin/sh", cmd, want, n);
	if (access("/bin/bash", X_OK) == 0)
		expect_argv_in("/bin/bash", cmd, want, n);
	else
		cr_log_warn("no /bin/bash: checked with /bin/sh only");
	cr_expect_neq(access(canary(), F_OK), 0, "the command ran code: %s",
		      cmd);
	unlink(canary());
}

/* ---- the Python check ------------------------------------------------ */

/* Cases for check_remediate.py, gathered by the tests that make them. */
struct py_case {
	const char *id;
	const char *kind;
	const char *ns, *name;
	const struct kcs_container *cs;
	const enum shape *shapes;  /* per container */
	const unsigned char *covered; /* per container: patch must fix it */
	size_t n;
};

static void py_write_case(yajl_gen g, const struct py_case *pc,
			  const struct kcs_remedy *r)
{
	static const char *lists[] = { "initContainers", "containers",
				       "ephemeralContainers" };
	size_t i;

	yajl_gen_map_open(g);
	kcs_json_kv(g, "id", pc->id);
	kcs_json_kv(g, "kind", pc->kind);
	kcs_json_kv(g, "namespace", pc->ns);
	kcs_json_kv(g, "name", pc->name);
	kcs_json_str(g, "containers");
	yajl_gen_array_open(g);
	for (i = 0; i < pc->n; i++) {
		yajl_gen_map_open(g);
		kcs_json_kv(g, "type", lists[pc->cs[i].type]);
		kcs_json_kint(g, "index", pc->cs[i].index);
		kcs_json_str(g, "name");
		kcs_json_strn(g, pc->cs[i].name.s, pc->cs[i].name.len);
		kcs_json_kv(g, "shape", shape_name(pc->shapes[i]));
		kcs_json_kbool(g, "patched", pc->covered[i]);
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
	kcs_json_str(g, "patch");
	kcs_remedy_gen_patch(r, g);
	yajl_gen_map_close(g);
}

/* ---- helpers: shell words and pointers ------------------------------ */

static void expect_quote(const char *in, size_t len, const char *want)
{
	struct kcs_buf b = KCS_BUF_INIT(4096);

	cr_assert_eq(kcs_remediate_shell_quote(&b, in, len), KCS_OK);
	cr_expect_str_eq(b.buf, want);
	kcs_buf_release(&b);
}

Test(remediate, shell_quote_words)
{
	struct kcs_buf b = KCS_BUF_INIT(4096);

	expect_quote("web", 3, "web");
	expect_quote("a-b_c.d/e:f=g@h%i+j,k", 21, "a-b_c.d/e:f=g@h%i+j,k");
	expect_quote("", 0, "''");
	expect_quote("a b", 3, "'a b'");
	expect_quote("it's", 4, "'it'\\''s'");
	expect_quote("'", 1, "''\\'''");
	expect_quote("$(id)", 5, "'$(id)'");
	expect_quote("`id`", 4, "'`id`'");
	expect_quote("~root", 5, "'~root'");
	expect_quote("*", 1, "'*'");
	expect_quote("a\nb", 3, "'a\nb'");
	expect_quote("\\", 1, "'\\'");
	expect_quote("caf\xc3\xa9", 5, "'caf\xc3\xa9'");
	/* a NUL cannot be in a shell word: refused, nothing appended */
	kcs_buf_addstr(&b, "x");
	cr_expect_eq(kcs_remediate_shell_quote(&b, "a\0b", 3), KCS_ERR_PARSE);
	cr_expect_str_eq(b.buf, "x");
	cr_expect_eq(b.err, KCS_OK);
	kcs_buf_release(&b);
}

Test(remediate, shell_quote_roundtrip)
{
	static const char *hostile[] = {
		"plain", "", " ", "a b", "it's", "''", "'\\''", "\"dq\"",
		"$(touch /tmp/kcs-remediate-canary.PID)", "`touch x`",
		"${HOME}", "$HOME", "a;b", "a|b", "a&b", "<x>", "#c", "\\",
		"line1\nline2", "\n", "tab\there", "*", "?", "[a]", "~",
		"!x", "-n", "--kubeconfig=/tmp/x", "{a,b}", "\xff\xfe",
	};
	const char *want[1 + KCS_ARRAY_SIZE(hostile)];
	struct kcs_buf cmd = KCS_BUF_INIT(1 << 20);
	char canary_cmd[300];
	size_t i;

	snprintf(canary_cmd, sizeof(canary_cmd), "$(touch %s)", canary());
	hostile[8] = canary_cmd;
	kcs_buf_addstr(&cmd, "kubectl");
	want[0] = "x";
	for (i = 0; i < KCS_ARRAY_SIZE(hostile); i++) {
		kcs_buf_addch(&cmd, ' ');
		cr_assert_eq(kcs_remediate_shell_quote(&cmd, hostile[i],
						       strlen(hostile[i])),
			     KCS_OK);
		want[i] = hostile[i];
	}
	expect_argv(cmd.buf, want, KCS_ARRAY_SIZE(hostile));
	kcs_buf_release(&cmd);
}

Test(remediate, pointer_tokens)
{
	struct kcs_buf b = KCS_BUF_INIT(4096);

	cr_assert_eq(kcs_remediate_pointer_add(&b, "spec", 4), KCS_OK);
	cr_assert_eq(kcs_remediate_pointer_add(&b, "a/b~c~1", 7), KCS_OK);
	cr_assert_eq(kcs_remediate_pointer_add(&b, "", 0), KCS_OK);
	cr_assert_eq(kcs_remediate_pointer_add(&b, "-", 1), KCS_OK);
	cr_expect_str_eq(b.buf, "/spec/a~1b~0c~01//-");
	kcs_buf_release(&b);
}

/* ---- workloads: exact output ---------------------------------------- */

#define T(path, name) \
	"{\"op\":\"test\",\"path\":\"" path "/name\",\"value\":\"" name "\"}"
#define ADD(path, value) \
	"{\"op\":\"add\",\"path\":\"" path "\",\"value\":" value "}"
#define V_SC "{\"capabilities\":{\"drop\":[\"ALL\"]}}"
#define V_CAPS "{\"drop\":[\"ALL\"]}"
#define V_DROP "[\"ALL\"]"
#define V_ALL "\"ALL\""
#define TPL "/spec/template/spec"

Test(remediate, deployment_no_security_context)
{
	struct kcs_remedy_workload w = wl("Deployment", "shop", "web");
	struct kcs_container c = ctr(KCS_CTYPE_CONTAINER, 0, "app",
				     KCS_R_NO_SECURITY_CONTEXT, S_NONE);
	struct kcs_remedy r;
	const char *patch =
		"[" T(TPL "/containers/0", "app") ","
		ADD(TPL "/containers/0/securityContext", V_SC) "]";

	remedy(&w, &c, 1, &r);
	cr_expect_eq(r.failing, 1);
	cr_expect_eq(r.automatic, 1);
	cr_expect_eq(r.n_ops, 2);
	cr_expect_str_eq(r.json_patch, patch);
	cr_assert_not_null(r.kubectl);
	cr_expect_str_eq(r.kubectl,
		"kubectl patch deployment web -n shop --type=json -p '[{\"op\":"
		"\"test\",\"path\":\"/spec/template/spec/containers/0/name\","
		"\"value\":\"app\"},{\"op\":\"add\",\"path\":\"/spec/template/"
		"spec/containers/0/securityContext\",\"value\":{\"capabilities"
		"\":{\"drop\":[\"ALL\"]}}}]'");
	cr_expect_eq(r.n_notes, 2);
	expect_note(&r, "the patch starts a rollout");
	expect_note(&r, GITOPS);
	kcs_remedy_release(&r);
	cr_expect_eq(r.n_ops, 0);
	cr_expect_null(r.json_patch);
	kcs_remedy_release(&r); /* twice is fine */
	kcs_remedy_release(NULL);
}

/* Each securityContext shape gets the add at the deepest existing level. */
Test(remediate, shapes_pick_the_add)
{
	static const struct {
		enum shape s;
		enum kcs_reason r;
		const char *add;
	} t[] = {
		{ S_NONE, KCS_R_NO_SECURITY_CONTEXT,
		  ADD(TPL "/containers/3/securityContext", V_SC) },
		{ S_NULL, KCS_R_NO_SECURITY_CONTEXT,
		  ADD(TPL "/containers/3/securityContext", V_SC) },
		{ S_SC, KCS_R_NO_CAPABILITIES,
		  ADD(TPL "/containers/3/securityContext/capabilities",
		      V_CAPS) },
		{ S_CAPS, KCS_R_NO_MATCHING_DROP,
		  ADD(TPL "/containers/3/securityContext/capabilities/drop",
		      V_DROP) },
		{ S_DROPNULL, KCS_R_NO_MATCHING_DROP,
		  ADD(TPL "/containers/3/securityContext/capabilities/drop",
		      V_DROP) },
		{ S_DROP, KCS_R_NO_MATCHING_DROP,
		  ADD(TPL "/containers/3/securityContext/capabilities/drop/-",
		      V_ALL) },
		{ S_DROP, KCS_R_DROP_PREFIXED_INEFFECTIVE,
		  ADD(TPL "/containers/3/securityContext/capabilities/drop/-",
		      V_ALL) },
	};
	size_t i;

	for (i = 0; i < KCS_ARRAY_SIZE(t); i++) {
		struct kcs_remedy_workload w = wl("StatefulSet", "db", "pg");
		struct kcs_container c = ctr(KCS_CTYPE_CONTAINER, 3, "pg",
					     t[i].r, t[i].s);
		struct kcs_remedy r;
		char want[1024];

		snprintf(want, sizeof(want), "[%s,%s]",
			 T(TPL "/containers/3", "pg"), t[i].add);
		remedy(&w, &c, 1, &r);
		cr_expect_str_eq(r.json_patch, want, "case %zu", i);
		cr_expect_eq(r.automatic, 1, "case %zu", i);
		cr_expect(strncmp(r.kubectl, "kubectl patch statefulset pg -n "
				  "db --type=json -p '", 47) == 0,
			  "case %zu: %s", i, r.kubectl);
		if (t[i].r == KCS_R_DROP_PREFIXED_INEFFECTIVE)
			expect_note(&r, "drops CAP_NET_RAW");
		kcs_remedy_release(&r);
	}
}

Test(remediate, template_paths_per_kind)
{
	static const struct {
		const char *kind, *resource, *base;
	} t[] = {
		{ "Deployment", "deployment", "/spec/template/spec" },
		{ "StatefulSet", "statefulset", "/spec/template/spec" },
		{ "DaemonSet", "daemonset", "/spec/template/spec" },
		{ "ReplicaSet", "replicaset", "/spec/template/spec" },
		{ "ReplicationController", "replicationcontroller",
		  "/spec/template/spec" },
		{ "CronJob", "cronjob",
		  "/spec/jobTemplate/spec/template/spec" },
		{ "PodTemplate", "podtemplate", "/template/spec" },
	};
	size_t i;

	for (i = 0; i < KCS_ARRAY_SIZE(t); i++) {
		struct kcs_remedy_workload w = wl(t[i].kind, "ns1", "obj");
		struct kcs_container c = ctr(KCS_CTYPE_INIT, 1, "init",
					     KCS_R_NO_SECURITY_CONTEXT, S_NONE);
		struct kcs_remedy r;
		char want[1024], cmd[300];

		snprintf(want, sizeof(want),
			 "[{\"op\":\"test\",\"path\":\"%s/initContainers/1/"
			 "name\",\"value\":\"init\"},{\"op\":\"add\",\"path\":"
			 "\"%s/initContainers/1/securityContext\",\"value\":"
			 V_SC "}]", t[i].base, t[i].base);
		snprintf(cmd, sizeof(cmd), "kubectl patch %s obj -n ns1 "
			 "--type=json -p '", t[i].resource);
		remedy(&w, &c, 1, &r);
		cr_expect_str_eq(r.json_patch, want, "%s", t[i].kind);
		cr_assert_not_null(r.kubectl, "%s", t[i].kind);
		cr_expect(strncmp(r.kubectl, cmd, strlen(cmd)) == 0, "%s: %s",
			  t[i].kind, r.kubectl);
		cr_expect_eq(r.automatic, 1, "%s", t[i].kind);
		expect_note(&r, GITOPS);
		kcs_remedy_release(&r);
	}
}

/* Three pods report the same two containers: each is patched once. */
Test(remediate, dedupe_across_pods)
{
	struct kcs_remedy_workload w = wl("DaemonSet", "kube-system", "agent");
	struct kcs_container cs[9];
	struct kcs_remedy r;
	size_t i;

	for (i = 0; i < 3; i++) {
		cs[3 * i] = ctr(KCS_CTYPE_CONTAINER, 1, "sidecar",
				KCS_R_NO_CAPABILITIES, S_SC);
		cs[3 * i + 1] = ctr(KCS_CTYPE_CONTAINER, 0, "main",
				    KCS_R_DROP_ALL, S_DROP);
		cs[3 * i + 1].verdict = KCS_VERDICT_PASS;
		cs[3 * i + 2] = ctr(KCS_CTYPE_INIT, 0, "setup",
				    KCS_R_NO_SECURITY_CONTEXT, S_NONE);
	}
	remedy(&w, cs, 9, &r);
	cr_expect_eq(r.failing, 2);
	cr_expect_str_eq(r.json_patch,
		"[" T(TPL "/initContainers/0", "setup") ","
		ADD(TPL "/initContainers/0/securityContext", V_SC) ","
		T(TPL "/containers/1", "sidecar") ","
		ADD(TPL "/containers/1/securityContext/capabilities", V_CAPS)
		"]");
	cr_expect_eq(r.automatic, 1);
	kcs_remedy_release(&r);
}

/* Pods of two revisions disagree: those containers stay out. */
Test(remediate, conflicting_pods_are_left_out)
{
	struct kcs_remedy_workload w = wl("Deployment", "shop", "web");
	struct kcs_container cs[] = {
		ctr(KCS_CTYPE_CONTAINER, 0, "app", KCS_R_NO_SECURITY_CONTEXT,
		    S_NONE),
		/* same index, another name */
		ctr(KCS_CTYPE_CONTAINER, 0, "app2", KCS_R_NO_SECURITY_CONTEXT,
		    S_NONE),
		/* same name and index, another shape */
		ctr(KCS_CTYPE_CONTAINER, 2, "log", KCS_R_NO_SECURITY_CONTEXT,
		    S_NONE),
		ctr(KCS_CTYPE_CONTAINER, 2, "log", KCS_R_NO_CAPABILITIES, S_SC),
		/* same name, another index */
		ctr(KCS_CTYPE_INIT, 0, "init", KCS_R_NO_SECURITY_CONTEXT,
		    S_NONE),
		ctr(KCS_CTYPE_INIT, 1, "init", KCS_R_NO_SECURITY_CONTEXT,
		    S_NONE),
		/* a name shared across lists is no conflict */
		ctr(KCS_CTYPE_CONTAINER, 5, "init", KCS_R_NO_SECURITY_CONTEXT,
		    S_NONE),
	};
	struct kcs_remedy r;

	remedy(&w, cs, KCS_ARRAY_SIZE(cs), &r);
	cr_expect_eq(r.failing, 4);
	cr_expect_str_eq(r.json_patch,
		"[" T(TPL "/containers/5", "init") ","
		ADD(TPL "/containers/5/securityContext", V_SC) "]");
	cr_expect_eq(r.automatic, 0);
	expect_note(&r, "initContainers[0] 'init': pods of this workload "
		    "disagree");
	expect_note(&r, "containers[0] 'app': pods of this workload disagree");
	expect_note(&r, "containers[2] 'log': pods of this workload disagree");
	cr_expect_not_null(r.kubectl);
	kcs_remedy_release(&r);
}

Test(remediate, manual_reasons_get_notes)
{
	struct kcs_remedy_workload w = wl("Deployment", "shop", "web");
	struct kcs_container cs[] = {
		ctr(KCS_CTYPE_CONTAINER, 0, "app", KCS_R_NO_SECURITY_CONTEXT,
		    S_NONE),
		ctr(KCS_CTYPE_CONTAINER, 1, "priv", KCS_R_PRIVILEGED, S_SC),
		ctr(KCS_CTYPE_CONTAINER, 2, "pinger", KCS_R_ADD_NET_RAW,
		    S_CAPS),
		ctr(KCS_CTYPE_CONTAINER, 3, "god", KCS_R_ADD_ALL, S_CAPS),
		ctr(KCS_CTYPE_CONTAINER, 4, "bad", KCS_R_MALFORMED, S_SC),
		ctr(KCS_CTYPE_EPHEMERAL, 0, "debugger",
		    KCS_R_NO_SECURITY_CONTEXT, S_NONE),
		ctr(KCS_CTYPE_EPHEMERAL, 0, "debugger",
		    KCS_R_NO_SECURITY_CONTEXT, S_NONE),
	};
	struct kcs_remedy r;

	remedy(&w, cs, KCS_ARRAY_SIZE(cs), &r);
	cr_expect_eq(r.failing, 6);
	cr_expect_eq(r.automatic, 0);
	/* the automatic container is still patched */
	cr_expect_str_eq(r.json_patch,
		"[" T(TPL "/containers/0", "app") ","
		ADD(TPL "/containers/0/securityContext", V_SC) "]");
	cr_expect_not_null(r.kubectl);
	expect_note(&r, "containers[1] 'priv' is privileged: privileged "
		    "containers get every capability whatever they drop; "
		    "decide whether it needs privileged");
	expect_note(&r, "containers[2] 'pinger' adds NET_RAW: remove NET_RAW "
		    "from capabilities.add after checking the app does not "
		    "need raw sockets (e.g. ping)");
	expect_note(&r, "containers[3] 'god' adds ALL: remove ALL from "
		    "capabilities.add");
	expect_note(&r, "containers[4] 'bad': a securityContext field has the "
		    "wrong type");
	expect_note(&r, "ephemeralContainers[0] 'debugger' is an ephemeral "
		    "container");
	expect_note(&r, "kubectl debug --profile=restricted");
	expect_note(&r, GITOPS);
	/* 5 container notes (the ephemeral one once), rollout, GitOps */
	cr_expect_eq(r.n_notes, 7);
	kcs_remedy_release(&r);
}

Test(remediate, only_manual_means_no_patch)
{
	struct kcs_remedy_workload w = wl("Deployment", "shop", "web");
	struct kcs_container c = ctr(KCS_CTYPE_CONTAINER, 0, "priv",
				     KCS_R_PRIVILEGED, S_SC);
	struct kcs_remedy r;

	remedy(&w, &c, 1, &r);
	cr_expect_eq(r.failing, 1);
	cr_expect_eq(r.automatic, 0);
	cr_expect_eq(r.n_ops, 0);
	cr_expect_null(r.json_patch);
	cr_expect_null(r.kubectl);
	cr_expect_eq(r.n_notes, 1);
	expect_note(&r, "is privileged");
	kcs_remedy_release(&r);
}

Test(remediate, nothing_failing_is_no_remedy)
{
	struct kcs_remedy_workload w = wl("Deployment", "shop", "web");
	struct kcs_container cs[] = {
		ctr(KCS_CTYPE_CONTAINER, 0, "ok", KCS_R_DROP_ALL, S_DROP),
		ctr(KCS_CTYPE_CONTAINER, 1, "exempt", KCS_R_NO_SECURITY_CONTEXT,
		    S_NONE),
		ctr(KCS_CTYPE_CONTAINER, 2, "win", KCS_R_WINDOWS_POD, S_NONE),
	};
	struct kcs_remedy r;

	cs[0].verdict = KCS_VERDICT_PASS;
	cs[1].verdict = KCS_VERDICT_EXEMPT;
	cs[2].verdict = KCS_VERDICT_NOT_APPLICABLE;
	remedy(&w, cs, KCS_ARRAY_SIZE(cs), &r);
	cr_expect_eq(r.failing, 0);
	cr_expect_eq(r.automatic, 0);
	cr_expect_eq(r.n_ops, 0);
	cr_expect_eq(r.n_notes, 0);
	cr_expect_null(r.kubectl);
	kcs_remedy_release(&r);
	remedy(&w, NULL, 0, &r);
	cr_expect_eq(r.failing, 0);
	kcs_remedy_release(&r);
}

Test(remediate, bare_pod_patch_for_the_manifest)
{
	struct kcs_remedy_workload w = wl("Pod", "shop", "oneoff");
	struct kcs_container c = ctr(KCS_CTYPE_CONTAINER, 0, "app",
				     KCS_R_NO_SECURITY_CONTEXT, S_NONE);
	struct kcs_remedy r;

	remedy(&w, &c, 1, &r);
	cr_expect_eq(r.automatic, 0);
	cr_expect_str_eq(r.json_patch,
		"[" T("/spec/containers/0", "app") ","
		ADD("/spec/containers/0/securityContext", V_SC) "]");
	cr_expect_null(r.kubectl);
	expect_note(&r, "a Pod's containers cannot be changed once it exists");
	cr_expect(!has_note(&r, GITOPS));
	kcs_remedy_release(&r);
}

Test(remediate, static_pod_names_the_node)
{
	struct kcs_remedy_workload w = wl("Pod", "kube-system",
					  "etcd-node1");
	struct kcs_container c = ctr(KCS_CTYPE_CONTAINER, 0, "etcd",
				     KCS_R_NO_SECURITY_CONTEXT, S_NONE);
	struct kcs_remedy r;

	w.owner_kind = "Node";
	w.owner_name = "node1";
	w.owner_name_len = 5;
	remedy(&w, &c, 1, &r);
	cr_expect_eq(r.automatic, 0);
	cr_expect_null(r.kubectl);
	cr_expect_not_null(r.json_patch);
	expect_note(&r, "static pod: the kubelet on node 'node1' runs it");
	expect_note(&r, "/etc/kubernetes/manifests");
	kcs_remedy_release(&r);
}

Test(remediate, bare_job_is_immutable)
{
	struct kcs_remedy_workload w = wl("Job", "batch", "migrate");
	struct kcs_container c = ctr(KCS_CTYPE_CONTAINER, 0, "m",
				     KCS_R_NO_SECURITY_CONTEXT, S_NONE);
	struct kcs_remedy r;

	remedy(&w, &c, 1, &r);
	cr_expect_eq(r.automatic, 0);
	cr_expect_null(r.kubectl);
	cr_expect_str_eq(r.json_patch,
		"[" T(TPL "/containers/0", "m") ","
		ADD(TPL "/containers/0/securityContext", V_SC) "]");
	expect_note(&r, "a Job's spec.template cannot be changed");
	kcs_remedy_release(&r);
}

Test(remediate, unknown_kind_gets_no_patch)
{
	struct kcs_remedy_workload w = wl("Rollout", "shop", "canary");
	struct kcs_container c = ctr(KCS_CTYPE_CONTAINER, 0, "app",
				     KCS_R_NO_SECURITY_CONTEXT, S_NONE);
	struct kcs_remedy r;

	remedy(&w, &c, 1, &r);
	cr_expect_eq(r.failing, 1);
	cr_expect_eq(r.automatic, 0);
	cr_expect_eq(r.n_ops, 0);
	cr_expect_null(r.json_patch);
	cr_expect_null(r.kubectl);
	expect_note(&r, "Rollout 'canary' is managed by a controller "
		    "kubecapscan does not know");
	expect_note(&r, "containers[0] 'app': add drop: [\"ALL\"]");
	/* kinds are matched exactly, as the API spells them */
	w.kind = "deployment";
	kcs_remedy_release(&r);
	remedy(&w, &c, 1, &r);
	cr_expect_eq(r.n_ops, 0);
	kcs_remedy_release(&r);
}

Test(remediate, unresolved_owner_is_not_automatic)
{
	struct kcs_remedy_workload w = wl("ReplicaSet", "shop", "web-5d4f");
	struct kcs_container c = ctr(KCS_CTYPE_CONTAINER, 0, "app",
				     KCS_R_NO_SECURITY_CONTEXT, S_NONE);
	struct kcs_remedy r;

	w.resolved = 0;
	remedy(&w, &c, 1, &r);
	cr_expect_eq(r.automatic, 0);
	cr_expect_not_null(r.kubectl);
	expect_note(&r, "the controllers above ReplicaSet 'web-5d4f' could "
		    "not be read");
	expect_note(&r, "does not replace running pods");
	kcs_remedy_release(&r);
}

Test(remediate, manifest_gets_patch_not_kubectl)
{
	struct kcs_remedy_workload w = wl("Deployment", "", "web");
	struct kcs_container c = ctr(KCS_CTYPE_CONTAINER, 0, "app",
				     KCS_R_NO_CAPABILITIES, S_SC);
	struct kcs_remedy r;

	w.source_file = "charts/web.yaml";
	w.source_line = 12;
	remedy(&w, &c, 1, &r);
	cr_expect_eq(r.automatic, 1);
	cr_expect_null(r.kubectl);
	cr_expect_not_null(r.json_patch);
	expect_note(&r, "read from charts/web.yaml line 12: apply the JSON "
		    "patch to Deployment 'web' there");
	cr_expect(!has_note(&r, GITOPS));
	kcs_remedy_release(&r);
	/* a bare Pod in a manifest is fixed by editing the file */
	w.kind = "Pod";
	remedy(&w, &c, 1, &r);
	cr_expect_eq(r.automatic, 1);
	cr_expect_str_eq(r.json_patch,
		"[" T("/spec/containers/0", "app") ","
		ADD("/spec/containers/0/securityContext/capabilities",
		    V_CAPS) "]");
	kcs_remedy_release(&r);
}

Test(remediate, names_kubectl_would_misread)
{
	static const char *names[] = { "-x", "--kubeconfig=/tmp/k", "" };
	struct kcs_container c = ctr(KCS_CTYPE_CONTAINER, 0, "app",
				     KCS_R_NO_SECURITY_CONTEXT, S_NONE);
	struct kcs_remedy_workload w;
	struct kcs_remedy r;
	size_t i;

	for (i = 0; i < KCS_ARRAY_SIZE(names); i++) {
		w = wl("Deployment", "shop", names[i]);
		remedy(&w, &c, 1, &r);
		cr_expect_null(r.kubectl, "%s", names[i]);
		cr_expect_not_null(r.json_patch);
		cr_expect_eq(r.automatic, 0);
		expect_note(&r, "no kubectl command");
		kcs_remedy_release(&r);
	}
	w = wl("Deployment", "shop", "web");
	w.name = "we\0b";
	w.name_len = 4;
	remedy(&w, &c, 1, &r);
	cr_expect_null(r.kubectl);
	kcs_remedy_release(&r);
	w = wl("Deployment", "", "web");
	remedy(&w, &c, 1, &r);
	cr_expect_null(r.kubectl);
	expect_note(&r, "the namespace is not known");
	kcs_remedy_release(&r);
	/* a namespace beginning with '-' is the value of -n: fine */
	w = wl("Deployment", "-ns", "web");
	remedy(&w, &c, 1, &r);
	cr_expect_not_null(r.kubectl);
	kcs_remedy_release(&r);
}

Test(remediate, notes_hide_control_bytes)
{
	struct kcs_remedy_workload w = wl("Rollout", "shop", "a\nb\x1b[31m");
	struct kcs_container c = ctr(KCS_CTYPE_CONTAINER, 0, "c\td",
				     KCS_R_PRIVILEGED, S_SC);
	struct kcs_remedy r;

	remedy(&w, &c, 1, &r);
	expect_note(&r, "Rollout 'a?b?[31m'");
	expect_note(&r, "containers[0] 'c?d' is privileged");
	kcs_remedy_release(&r);
}

/* ---- hostile names: the command through the shell ------------------ */

Test(remediate, hostile_names_through_the_shell)
{
	static const char *names[] = {
		"web", "it's", "a b", "$(touch CANARY)", "`touch CANARY`",
		"x\ny", "'; touch CANARY; '", "\"q\"", "\\", "caf\xc3\xa9",
		"*", "~", "a'\n'b",
	};
	size_t i;

	for (i = 0; i < KCS_ARRAY_SIZE(names); i++) {
		char name[200], cname[208];
		struct kcs_remedy_workload w;
		struct kcs_container c;
		struct kcs_remedy r;
		const char *want[8];
		const char *p;
		size_t o = 0;

		/* substitute the real canary path for CANARY */
		for (p = names[i]; *p && o < sizeof(name) - 64;) {
			if (strncmp(p, "CANARY", 6) == 0) {
				o += (size_t)snprintf(name + o,
						      sizeof(name) - o, "%s",
						      canary());
				p += 6;
			} else {
				name[o++] = *p++;
			}
		}
		name[o] = '\0';
		snprintf(cname, sizeof(cname), "c-%s", name);
		w = wl("Deployment", name, name);
		c = ctr(KCS_CTYPE_CONTAINER, 0, cname,
			KCS_R_NO_SECURITY_CONTEXT, S_NONE);
		remedy(&w, &c, 1, &r);
		cr_assert_not_null(r.kubectl, "%s", name);
		want[0] = "patch";
		want[1] = "deployment";
		want[2] = name;
		want[3] = "-n";
		want[4] = name;
		want[5] = "--type=json";
		want[6] = "-p";
		want[7] = r.json_patch;
		expect_argv(r.kubectl, want, 8);
		kcs_remedy_release(&r);
	}
}

/* ---- namespaces ------------------------------------------------------ */

Test(remediate, namespace_commands)
{
	struct kcs_remedy_ns r = KCS_REMEDY_NS_INIT;
	struct kcs_error err = KCS_ERROR_INIT;
	const char *want[] = {
		"label", "--overwrite", "namespace", "shop",
		"pod-security.kubernetes.io/enforce=restricted",
		"pod-security.kubernetes.io/enforce-version=latest",
	};
	const char *want_dry[] = {
		"label", "--dry-run=server", "--overwrite", "namespace", "shop",
		"pod-security.kubernetes.io/enforce=restricted",
		"pod-security.kubernetes.io/enforce-version=latest",
	};

	cr_assert_eq(kcs_remediate_namespace("shop", 4, &r, &err), KCS_OK);
	cr_expect_str_eq(r.kubectl,
		"kubectl label --overwrite namespace shop "
		"pod-security.kubernetes.io/enforce=restricted "
		"pod-security.kubernetes.io/enforce-version=latest");
	cr_expect_str_eq(r.dry_run,
		"kubectl label --dry-run=server --overwrite namespace shop "
		"pod-security.kubernetes.io/enforce=restricted "
		"pod-security.kubernetes.io/enforce-version=latest");
	cr_expect_null(r.note);
	expect_argv(r.kubectl, want, KCS_ARRAY_SIZE(want));
	expect_argv(r.dry_run, want_dry, KCS_ARRAY_SIZE(want_dry));
	kcs_remedy_ns_release(&r);
	kcs_remedy_ns_release(&r);
	kcs_remedy_ns_release(NULL);
}

Test(remediate, namespace_hostile_and_misread_names)
{
	static const char *ok[] = { "it's", "a b", "$(id)", "x\ny", "" };
	static const char *bad[] = { "-n", "a=b", "team-", "" };
	struct kcs_error err = KCS_ERROR_INIT;
	size_t i;

	for (i = 0; i + 1 < KCS_ARRAY_SIZE(ok); i++) {
		struct kcs_remedy_ns r = KCS_REMEDY_NS_INIT;
		const char *want[] = {
			"label", "--dry-run=server", "--overwrite",
			"namespace", ok[i],
			"pod-security.kubernetes.io/enforce=restricted",
			"pod-security.kubernetes.io/enforce-version=latest",
		};

		cr_assert_eq(kcs_remediate_namespace(ok[i], strlen(ok[i]), &r,
						     &err), KCS_OK);
		cr_assert_not_null(r.dry_run);
		expect_argv(r.dry_run, want, KCS_ARRAY_SIZE(want));
		kcs_remedy_ns_release(&r);
	}
	for (i = 0; i < KCS_ARRAY_SIZE(bad); i++) {
		struct kcs_remedy_ns r = KCS_REMEDY_NS_INIT;

		cr_assert_eq(kcs_remediate_namespace(bad[i], strlen(bad[i]),
						     &r, &err), KCS_OK);
		cr_expect_null(r.kubectl, "%s", bad[i]);
		cr_expect_null(r.dry_run, "%s", bad[i]);
		cr_expect_not_null(r.note, "%s", bad[i]);
		kcs_remedy_ns_release(&r);
	}
	{
		struct kcs_remedy_ns r = KCS_REMEDY_NS_INIT;

		cr_assert_eq(kcs_remediate_namespace("a\0b", 3, &r, &err),
			     KCS_OK);
		cr_expect_null(r.kubectl);
		kcs_remedy_ns_release(&r);
	}
}

/* ---- the report objects --------------------------------------------- */

static char *gen_to_string(void (*fn)(const void *, yajl_gen), const void *x)
{
	yajl_gen g = yajl_gen_alloc(NULL);
	const unsigned char *s;
	size_t len;
	char *out;

	cr_assert_not_null(g);
	fn(x, g);
	cr_assert_eq(yajl_gen_get_buf(g, &s, &len), yajl_gen_status_ok);
	out = strndup((const char *)s, len);
	yajl_gen_free(g);
	return out;
}

static void gen_remedy(const void *r, yajl_gen g)
{
	kcs_remedy_gen(r, g);
}

static void gen_ns(const void *r, yajl_gen g)
{
	kcs_remedy_ns_gen(r, g);
}

Test(remediate, report_objects)
{
	struct kcs_remedy_workload w = wl("Deployment", "shop", "web");
	struct kcs_container cs[] = {
		ctr(KCS_CTYPE_CONTAINER, 0, "app", KCS_R_NO_MATCHING_DROP,
		    S_DROP),
		ctr(KCS_CTYPE_CONTAINER, 1, "priv", KCS_R_PRIVILEGED, S_SC),
	};
	struct kcs_remedy r, empty = KCS_REMEDY_INIT;
	struct kcs_remedy_ns nr = KCS_REMEDY_NS_INIT;
	struct kcs_error err = KCS_ERROR_INIT;
	char *s, want[4096];

	remedy(&w, cs, 2, &r);
	snprintf(want, sizeof(want),
		 "{\"automatic\":false,\"jsonPatch\":%s,\"kubectl\":\"%s\","
		 "\"notes\":[\"%s\",\"%s\",\"%s\"]}",
		 r.json_patch, "kubectl patch deployment web -n shop "
		 "--type=json -p '[{\\\"op\\\":\\\"test\\\",\\\"path\\\":"
		 "\\\"/spec/template/spec/containers/0/name\\\",\\\"value\\\":"
		 "\\\"app\\\"},{\\\"op\\\":\\\"add\\\",\\\"path\\\":\\\"/spec/"
		 "template/spec/containers/0/securityContext/capabilities/drop"
		 "/-\\\",\\\"value\\\":\\\"ALL\\\"}]'",
		 r.notes[0], r.notes[1], r.notes[2]);
	s = gen_to_string(gen_remedy, &r);
	cr_expect_str_eq(s, want);
	free(s);
	s = gen_to_string(gen_remedy, &empty);
	cr_expect_str_eq(s, "{\"automatic\":false,\"jsonPatch\":null,"
			 "\"kubectl\":null,\"notes\":[]}");
	free(s);
	kcs_remedy_release(&r);

	cr_assert_eq(kcs_remediate_namespace("shop", 4, &nr, &err), KCS_OK);
	s = gen_to_string(gen_ns, &nr);
	cr_expect_str_eq(s, "{\"kubectl\":\"kubectl label --overwrite "
		"namespace shop pod-security.kubernetes.io/enforce=restricted "
		"pod-security.kubernetes.io/enforce-version=latest\","
		"\"dryRun\":\"kubectl label --dry-run=server --overwrite "
		"namespace shop pod-security.kubernetes.io/enforce=restricted "
		"pod-security.kubernetes.io/enforce-version=latest\"}");
	free(s);
	kcs_remedy_ns_release(&nr);
	cr_assert_eq(kcs_remediate_namespace("-x", 2, &nr, &err), KCS_OK);
	s = gen_to_string(gen_ns, &nr);
	cr_expect(strncmp(s, "{\"kubectl\":null,\"dryRun\":null,\"note\":"
			  "\"no kubectl command", 54) == 0, "%s", s);
	free(s);
	kcs_remedy_ns_release(&nr);
}

/* ---- allocation failures --------------------------------------------- */

Test(remediate, out_of_memory_is_clean)
{
	struct kcs_remedy_workload w = wl("Deployment", "shop", "web");
	struct kcs_container cs[] = {
		ctr(KCS_CTYPE_INIT, 0, "init", KCS_R_NO_SECURITY_CONTEXT,
		    S_NONE),
		ctr(KCS_CTYPE_CONTAINER, 0, "app", KCS_R_NO_MATCHING_DROP,
		    S_DROP),
		ctr(KCS_CTYPE_CONTAINER, 1, "priv", KCS_R_PRIVILEGED, S_SC),
	};
	long n;
	int done = 0;

	for (n = 0; n < 1000 && !done; n++) {
		struct kcs_remedy r = KCS_REMEDY_INIT;
		struct kcs_remedy_ns nr = KCS_REMEDY_NS_INIT;
		struct kcs_error err = KCS_ERROR_INIT;
		enum kcs_err rc, rc2;

		kcs_alloc_fail_after(n);
		rc = kcs_remediate_workload(&w, cs, 3, &r, &err);
		rc2 = kcs_remediate_namespace("shop", 4, &nr, &err);
		kcs_alloc_fail_after(-1);
		if (rc == KCS_OK && rc2 == KCS_OK) {
			cr_expect_not_null(r.kubectl);
			cr_expect_not_null(nr.dry_run);
			done = 1;
		} else {
			cr_expect(rc == KCS_OK || rc == KCS_ERR_NOMEM,
				  "n=%ld rc=%d", n, rc);
			cr_expect(rc2 == KCS_OK || rc2 == KCS_ERR_NOMEM);
			if (rc) {
				cr_expect_eq(r.n_ops, 0);
				cr_expect_null(r.notes);
				cr_expect_null(r.json_patch);
			}
			if (rc2)
				cr_expect_null(nr.kubectl);
		}
		kcs_remedy_release(&r);
		kcs_remedy_ns_release(&nr);
	}
	cr_expect(done, "never succeeded");
	cr_expect_gt(n, 5, "too few allocations to be a real test: %ld", n);
}

/* ---- every patch, applied by check_remediate.py --------------------- */

Test(remediate, patches_apply_and_fix)
{
	static const char *kinds[] = {
		"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet",
		"ReplicationController", "CronJob", "PodTemplate", "Job",
		"Pod",
	};
	static const enum shape shapes[] = { S_NONE, S_NULL, S_SC, S_CAPS,
					     S_DROPNULL, S_DROP };
	static const char *hostile = "it's $(x) \"q\"\n\\ caf\xc3\xa9 ~/";
	char path[] = "/tmp/kcs-remediate-cases.XXXXXX";
	yajl_gen g = yajl_gen_alloc(NULL);
	const unsigned char *doc;
	size_t doc_len, k, s;
	int fd, rc;
	char *argv[4];
	char ids[64][64];
	size_t n_ids = 0;

	cr_assert_not_null(g);
	yajl_gen_map_open(g);
	kcs_json_str(g, "cases");
	yajl_gen_array_open(g);
	for (k = 0; k < KCS_ARRAY_SIZE(kinds); k++) {
		for (s = 0; s < KCS_ARRAY_SIZE(shapes); s++) {
			/*
			 * Per case: an init container and two containers of
			 * the shape, one privileged (not covered), and the
			 * same failing containers once more from a second pod.
			 */
			struct kcs_container cs[8];
			enum shape sh[8];
			unsigned char cov[8];
			struct py_case pc;
			struct kcs_remedy_workload w;
			struct kcs_remedy r;
			enum kcs_reason why = shape_reason(shapes[s]);
			size_t n = 0, i;

			cs[n] = ctr(KCS_CTYPE_INIT, 0, "init-a", why,
				    shapes[s]);
			sh[n] = shapes[s];
			cov[n++] = 1;
			cs[n] = ctr(KCS_CTYPE_CONTAINER, 2, hostile,
				    why, shapes[s]);
			sh[n] = shapes[s];
			cov[n++] = 1;
			cs[n] = ctr(KCS_CTYPE_CONTAINER, 0, "app", why,
				    shapes[s]);
			sh[n] = shapes[s];
			cov[n++] = 1;
			cs[n] = ctr(KCS_CTYPE_CONTAINER, 1, "priv",
				    KCS_R_PRIVILEGED, S_SC);
			sh[n] = S_SC;
			cov[n++] = 0;
			w = wl(kinds[k], "ns-x", "obj-x");
			/* the duplicate pod's containers, for the dedupe */
			for (i = 0; i < 4; i++)
				cs[4 + i] = cs[i];
			remedy(&w, cs, 8, &r);
			cr_assert_eq(r.n_ops, 6, "%s shape %zu", kinds[k], s);
			cr_assert_lt(n_ids, KCS_ARRAY_SIZE(ids));
			snprintf(ids[n_ids], sizeof(ids[0]), "%s/%s", kinds[k],
				 shape_name(shapes[s]));
			pc.id = ids[n_ids++];
			pc.kind = kinds[k];
			pc.ns = "ns-x";
			pc.name = "obj-x";
			pc.cs = cs;
			pc.shapes = sh;
			pc.covered = cov;
			pc.n = n;
			py_write_case(g, &pc, &r);
			kcs_remedy_release(&r);
		}
	}
	yajl_gen_array_close(g);
	yajl_gen_map_close(g);
	cr_assert_eq(yajl_gen_get_buf(g, &doc, &doc_len), yajl_gen_status_ok);
	fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, doc, doc_len), (ssize_t)doc_len);
	cr_assert_eq(close(fd), 0);
	yajl_gen_free(g);

	argv[0] = "python3";
	argv[1] = (char *)tu_path("tests/tools/check_remediate.py");
	argv[2] = path;
	argv[3] = NULL;
	rc = run(argv, NULL, NULL);
	unlink(path);
	cr_expect_eq(rc, 0, "check_remediate.py failed (exit %d)", rc);
}

/* The Python check must be able to fail: a wrong patch is caught. */
Test(remediate, python_check_catches_a_wrong_patch)
{
	static const char *bad[] = {
		/* adds to another container than it tests */
		"[{\"op\":\"test\",\"path\":\"/spec/template/spec/containers/"
		"0/name\",\"value\":\"app\"},{\"op\":\"add\",\"path\":\"/spec/"
		"template/spec/containers/1/securityContext\",\"value\":"
		"{\"capabilities\":{\"drop\":[\"ALL\"]}}}]",
		/* replaces the whole securityContext: runAsUser is lost */
		"[{\"op\":\"test\",\"path\":\"/spec/template/spec/containers/"
		"0/name\",\"value\":\"app\"},{\"op\":\"add\",\"path\":\"/spec/"
		"template/spec/containers/0/securityContext\",\"value\":"
		"{\"capabilities\":{\"drop\":[\"ALL\"]}}}]",
		/* no test op */
		"[{\"op\":\"add\",\"path\":\"/spec/template/spec/containers/"
		"0/securityContext/capabilities\",\"value\":{\"drop\":"
		"[\"ALL\"]}}]",
		/* drops NET_RAW, not ALL */
		"[{\"op\":\"test\",\"path\":\"/spec/template/spec/containers/"
		"0/name\",\"value\":\"app\"},{\"op\":\"add\",\"path\":\"/spec/"
		"template/spec/containers/0/securityContext/capabilities\","
		"\"value\":{\"drop\":[\"NET_RAW\"]}}]",
	};
	size_t i;

	for (i = 0; i < KCS_ARRAY_SIZE(bad); i++) {
		char path[] = "/tmp/kcs-remediate-bad.XXXXXX";
		char *argv[4];
		FILE *f;
		int fd = mkstemp(path), rc;

		cr_assert_geq(fd, 0);
		f = fdopen(fd, "w");
		cr_assert_not_null(f);
		fprintf(f, "{\"cases\":[{\"id\":\"bad%zu\",\"kind\":"
			"\"Deployment\",\"namespace\":\"n\",\"name\":\"d\","
			"\"containers\":[{\"type\":\"containers\",\"index\":0,"
			"\"name\":\"app\",\"shape\":\"sc\",\"patched\":true}],"
			"\"patch\":%s}]}", i, bad[i]);
		cr_assert_eq(fclose(f), 0);
		argv[0] = "python3";
		argv[1] = (char *)tu_path("tests/tools/check_remediate.py");
		argv[2] = path;
		argv[3] = NULL;
		rc = run_quiet(argv);
		unlink(path);
		cr_expect_eq(rc, 1, "bad patch %zu passed the check", i);
	}
}
