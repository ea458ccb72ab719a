/*
 * test_probe.c - the admission probe's offline parts (probe.c;
 * docs/probe.md): probe names and bodies, the dry-run path guard, the
 * classification of API answers, the reading of returned pods, and the
 * decision table, all with canned answers and no HTTP. The live probe is
 * tested end to end in tests/e2e/test_probe.py.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <criterion/criterion.h>

#include "kcs/alloc.h"
#include "kcs/buf.h"
#include "kcs/probe.h"

/* Test JSON is written with ' for " so it stays readable in C. */
static char *jq(const char *s)
{
	size_t i, n = strlen(s);
	char *p = malloc(n + 1);

	cr_assert(p != NULL);
	for (i = 0; i <= n; i++)
		p[i] = s[i] == '\'' ? '"' : s[i];
	return p;
}

/* ---- names --------------------------------------------------------------- */

Test(probe, make_name)
{
	static const unsigned char rnd[] = { 0x00, 0x9f, 0xa0, 0xff, 0x5c };
	unsigned char many[40] = { 0 };
	char name[KCS_PROBE_NAME_MAX + 1];
	struct kcs_error err = KCS_ERROR_INIT;

	cr_assert_eq(kcs_probe_make_name(KCS_PROBE_CONTROL, rnd, sizeof(rnd),
					 name, &err), KCS_OK);
	cr_expect_str_eq(name, "kubecapscan-probe-control-009fa0ff5c");
	cr_assert_eq(kcs_probe_make_name(KCS_PROBE_DEFAULT, rnd, 2, name, &err),
		     KCS_OK);
	cr_expect_str_eq(name, "kubecapscan-probe-default-009f");
	cr_assert_eq(kcs_probe_make_name(KCS_PROBE_ADD_NET_RAW, rnd,
					 KCS_PROBE_RANDOM_BYTES, name, &err),
		     KCS_OK);
	cr_expect_str_eq(name, "kubecapscan-probe-add-net-raw-009fa0ff5c");
	/* the longest real name fits a DNS label (63) with room to spare */
	cr_expect_leq(strlen(name), 63);
	/* too many random bytes: refused, never cut */
	cr_expect_eq(kcs_probe_make_name(KCS_PROBE_ADD_NET_RAW, many,
					 sizeof(many), name, &err),
		     KCS_ERR_LIMIT);
	cr_expect_str_eq(name, "");
}

Test(probe, reason_and_kind_names)
{
	static const char *const want[KCS_ADMISSION_REASONS] = {
		[KCS_ADMISSION_DENIES_NET_RAW] = "ADMISSION_DENIES_NET_RAW",
		[KCS_ADMISSION_ADMITS_DEFAULT_NET_RAW] =
			"ADMISSION_ADMITS_DEFAULT_NET_RAW",
		[KCS_ADMISSION_ADMITS_ADDED_NET_RAW] =
			"ADMISSION_ADMITS_ADDED_NET_RAW",
		[KCS_ADMISSION_INJECTS_NET_RAW] = "ADMISSION_INJECTS_NET_RAW",
		[KCS_ADMISSION_INCONCLUSIVE] = "ADMISSION_INCONCLUSIVE",
		[KCS_ADMISSION_PROBE_FAILED] = "ADMISSION_PROBE_FAILED",
		[KCS_ADMISSION_PERMISSION_DENIED] =
			"ADMISSION_PERMISSION_DENIED",
	};
	size_t i;

	for (i = 0; i < KCS_ADMISSION_REASONS; i++) {
		cr_expect_str_eq(kcs_probe_reason_name(i), want[i], "reason %zu", i);
		cr_expect_neq(kcs_probe_reason_text(i)[0], '\0', "reason %zu", i);
	}
	cr_expect_str_eq(kcs_probe_kind_name(KCS_PROBE_CONTROL), "control");
	cr_expect_str_eq(kcs_probe_kind_name(KCS_PROBE_DEFAULT), "default");
	cr_expect_str_eq(kcs_probe_kind_name(KCS_PROBE_ADD_NET_RAW), "add-net-raw");
	cr_expect_str_eq(kcs_probe_outcome_name(KCS_PROBE_ADMITTED), "ADMITTED");
	cr_expect_str_eq(kcs_probe_outcome_name(KCS_PROBE_DENIED), "DENIED");
	cr_expect_str_eq(kcs_probe_outcome_name(KCS_PROBE_FORBIDDEN), "FORBIDDEN");
}

/* ---- bodies ----------------------------------------------------------------- */

#define META(kind) \
	"{'apiVersion':'v1','kind':'Pod','metadata':{" \
	"'name':'kubecapscan-probe-" kind "-0123456789','namespace':'team-a'," \
	"'labels':{'app.kubernetes.io/name':'kubecapscan-probe'}," \
	"'annotations':{'kubecapscan.io/probe':'admission probe (kubecapscan " \
	"--probe-admission): a server-side dry run (dryRun=All), never " \
	"stored'}},'spec':{'containers':[{'name':'probe'," \
	"'image':'registry.k8s.io/pause:3.10'"
#define RESTRICTED(add) \
	",'securityContext':{'allowPrivilegeEscalation':false," \
	"'capabilities':{" add "'drop':['ALL']},'runAsNonRoot':true," \
	"'runAsUser':65535,'seccompProfile':{'type':'RuntimeDefault'}}"

/*
 * The exact bodies: the three pods differ only where they should
 * (issue 7: control restricted-compliant, default without any
 * securityContext, add-net-raw = control + add [NET_RAW]).
 */
Test(probe, bodies)
{
	static const struct {
		enum kcs_probe_kind kind;
		const char *want;
		enum kcs_verdict sent;
		enum kcs_reason reason;
	} cases[] = {
		{ KCS_PROBE_CONTROL, META("control") RESTRICTED("") "}]}}",
		  KCS_VERDICT_PASS, KCS_R_DROP_ALL },
		{ KCS_PROBE_DEFAULT, META("default") "}]}}",
		  KCS_VERDICT_FAIL, KCS_R_NO_SECURITY_CONTEXT },
		{ KCS_PROBE_ADD_NET_RAW,
		  META("add-net-raw") RESTRICTED("'add':['NET_RAW'],") "}]}}",
		  KCS_VERDICT_FAIL, KCS_R_ADD_NET_RAW },
	};
	size_t i;

	for (i = 0; i < KCS_ARRAY_SIZE(cases); i++) {
		struct kcs_buf b = KCS_BUF_INIT(1 << 16);
		struct kcs_error err = KCS_ERROR_INIT;
		struct kcs_probe p = { .kind = cases[i].kind };
		char *want = jq(cases[i].want);
		char name[KCS_PROBE_NAME_MAX + 1];

		snprintf(name, sizeof(name), "kubecapscan-probe-%s-0123456789",
			 kcs_probe_kind_name(cases[i].kind));
		cr_assert_eq(kcs_probe_body(cases[i].kind, "team-a", name, &b,
					    &err), KCS_OK, "%s", err.msg);
		cr_expect_str_eq(b.buf, want, "%s", kcs_probe_kind_name(cases[i].kind));

		/* what the rules make of the pod as sent (probe.c does this
		 * too, to fill sent_verdict) */
		snprintf(p.name, sizeof(p.name), "%s", name);
		cr_assert_eq(kcs_probe_read_returned(&p, 201, b.buf, b.len, &err),
			     KCS_OK);
		cr_expect_eq(p.outcome, KCS_PROBE_ADMITTED, "%s", p.message);
		cr_expect_eq(p.returned_verdict, cases[i].sent);
		cr_expect(p.has_returned_reason);
		cr_expect_eq(p.returned_reason, cases[i].reason);
		cr_expect_str_eq(p.returned_container.s, "probe");
		free(want);
		kcs_buf_release(&b);
	}
}

Test(probe, body_refuses_invalid_utf8)
{
	struct kcs_buf b = KCS_BUF_INIT(1 << 16);
	struct kcs_error err = KCS_ERROR_INIT;

	cr_expect_eq(kcs_probe_body(KCS_PROBE_CONTROL, "bad\xff", "x", &b, &err),
		     KCS_ERR_PARSE);
	cr_expect_eq(b.len, 0);
	kcs_buf_release(&b);
}

/* ---- the dry-run guard ---------------------------------------------------- */

Test(probe, path_always_dry_run)
{
	struct kcs_buf b = KCS_BUF_INIT(4096);
	struct kcs_error err = KCS_ERROR_INIT;

	cr_assert_eq(kcs_probe_path("team-a", &b, &err), KCS_OK);
	cr_expect_str_eq(b.buf, "/api/v1/namespaces/team-a/pods?dryRun=All");
	cr_expect(kcs_probe_path_is_dry_run(b.buf));
	/* a hostile -n value cannot add a query or a path */
	cr_assert_eq(kcs_probe_path("a/b?dryRun=&x#", &b, &err), KCS_OK);
	cr_expect_str_eq(b.buf, "/api/v1/namespaces/a%2Fb%3FdryRun%3D%26x%23"
				"/pods?dryRun=All");
	cr_expect(kcs_probe_path_is_dry_run(b.buf));
	kcs_buf_release(&b);
}

Test(probe, path_is_dry_run)
{
	static const struct {
		const char *path;
		int want;
	} cases[] = {
		{ "/api/v1/namespaces/a/pods?dryRun=All", 1 },
		{ "/api/v1/namespaces/a/pods?fieldManager=x&dryRun=All", 1 },
		{ "/api/v1/namespaces/a/pods?dryRun=All&fieldValidation=Strict", 1 },
		{ "/api/v1/namespaces/a/pods", 0 },
		{ "/api/v1/namespaces/a/pods?", 0 },
		{ "/api/v1/namespaces/a/pods?dryRun=all", 0 },     /* case matters */
		{ "/api/v1/namespaces/a/pods?dryRun=", 0 },
		{ "/api/v1/namespaces/a/pods?dryRun=All2", 0 },
		{ "/api/v1/namespaces/a/pods?xdryRun=All", 0 },
		{ "/api/v1/namespaces/a/pods?dryRun=All&dryRun=", 0 }, /* twice */
		{ "/api/v1/namespaces/a/pods?dryRun=All&dryRun=All", 0 },
		{ "/api/v1/namespaces/a/pods?dryRun=All#x", 0 },
		{ "/api/v1/namespaces/dryRun=All/pods", 0 },      /* not the query */
		{ "/api/v1/namespaces/a/pods?dryRun%3DAll", 0 },
	};
	size_t i;

	for (i = 0; i < KCS_ARRAY_SIZE(cases); i++)
		cr_expect_eq(kcs_probe_path_is_dry_run(cases[i].path),
			     cases[i].want, "%s", cases[i].path);
}

Test(probe, server_supports_dry_run)
{
	cr_expect(kcs_probe_server_supports_dry_run("v1.31.4"));
	cr_expect(kcs_probe_server_supports_dry_run("v1.13.0"));
	cr_expect(kcs_probe_server_supports_dry_run("v1.29.3+k3s1"));
	cr_expect(kcs_probe_server_supports_dry_run("v2.0.0"));
	cr_expect_not(kcs_probe_server_supports_dry_run("v1.12.10"));
	cr_expect_not(kcs_probe_server_supports_dry_run("v1.9.0"));
	cr_expect_not(kcs_probe_server_supports_dry_run("v0.99"));
	/* unknown: allowed; the resourceVersion check still guards */
	cr_expect(kcs_probe_server_supports_dry_run(""));
	cr_expect(kcs_probe_server_supports_dry_run(NULL));
	cr_expect(kcs_probe_server_supports_dry_run("weird"));
}

/* ---- classifying answers ---------------------------------------------------- */

Test(probe, classify)
{
	static const struct {
		long status;
		const char *reason;
		const char *message;
		enum kcs_probe_outcome want;
		const char *why;
	} cases[] = {
		{ 403, "Forbidden", "pods \"kubecapscan-probe-default-00\" is "
		  "forbidden: violates PodSecurity \"restricted:latest\": "
		  "allowPrivilegeEscalation != false", KCS_PROBE_DENIED,
		  "Pod Security" },
		{ 403, "Forbidden", "pods \"kubecapscan-probe-default-00\" is "
		  "forbidden: User \"prober\" cannot create resource \"pods\" in "
		  "API group \"\" in the namespace \"a\"", KCS_PROBE_FORBIDDEN,
		  "RBAC" },
		{ 403, "Forbidden", "pods is forbidden: User \"system:serviceaccount"
		  ":kubecapscan:kubecapscan\" cannot create resource \"pods\" in "
		  "API group \"\" in the namespace \"a\"", KCS_PROBE_FORBIDDEN,
		  "RBAC, service account" },
		{ 403, "Forbidden", "admission webhook \"validate.kyverno.svc\" "
		  "denied the request: ... cannot create resource \"pods\" with "
		  "NET_RAW", KCS_PROBE_DENIED, "not RBAC's wording" },
		{ 400, "BadRequest", "admission webhook \"no-dry-run.example.com\" "
		  "does not support dry run", KCS_PROBE_ERROR, "no dry run" },
		{ 400, "", "admission webhook \"deny-net-raw.example.com\" denied "
		  "the request: NET_RAW is not allowed", KCS_PROBE_DENIED,
		  "webhook default code" },
		{ 422, "Invalid", "pods \"x\" is invalid: ValidatingAdmissionPolicy "
		  "'deny-net-raw' with binding 'b' denied request", KCS_PROBE_DENIED,
		  "VAP Invalid" },
		{ 413, "RequestEntityTooLarge", "x", KCS_PROBE_DENIED, "VAP 413" },
		{ 404, "NotFound", "namespaces \"gone\" not found", KCS_PROBE_ERROR,
		  "namespace deleted meanwhile" },
		{ 409, "AlreadyExists", "pods \"x\" already exists", KCS_PROBE_ERROR,
		  "name taken" },
		{ 500, "InternalError", "Internal error occurred: failed calling "
		  "webhook", KCS_PROBE_ERROR, "webhook down" },
		{ 503, "ServiceUnavailable", "", KCS_PROBE_ERROR, "5xx" },
		{ 429, "TooManyRequests", "", KCS_PROBE_ERROR, "throttled" },
		{ 401, "Unauthorized", "Unauthorized", KCS_PROBE_ERROR, "401" },
		{ 0, NULL, "cannot get 'https://x/': Couldn't connect",
		  KCS_PROBE_ERROR, "transport" },
		{ 201, NULL, NULL, KCS_PROBE_ERROR, "2xx is not classified here" },
		{ 302, NULL, NULL, KCS_PROBE_ERROR, "redirect" },
	};
	size_t i;

	for (i = 0; i < KCS_ARRAY_SIZE(cases); i++) {
		struct kcs_probe p = { .kind = KCS_PROBE_DEFAULT };

		kcs_probe_classify(&p, cases[i].status, cases[i].reason,
				   cases[i].message);
		cr_expect_eq(p.outcome, cases[i].want, "case %zu (%s): %s", i,
			     cases[i].why, kcs_probe_outcome_name(p.outcome));
		cr_expect_eq(p.http_status, cases[i].status);
		cr_expect_str_eq(p.reason, cases[i].reason ? cases[i].reason : "");
		cr_expect_neq(p.message[0], '\0', "case %zu: a message", i);
		if (cases[i].message && cases[i].message[0])
			cr_expect_str_eq(p.message, cases[i].message);
	}
}

Test(probe, classify_message_is_display_safe)
{
	struct kcs_probe p = { .kind = KCS_PROBE_DEFAULT };
	char *big = malloc(4000);
	size_t i, n;

	kcs_probe_classify(&p, 400, "Bad\nReason",
			   "\n\ndenied:\n\x1b[31mred\x1b[0m\tdone\x7f\n");
	cr_expect_str_eq(p.message, "denied:  [31mred [0m done");
	cr_expect_str_eq(p.reason, "Bad Reason");
	/* cut at the limit, and never inside a UTF-8 sequence: 0, 1 or 2
	 * ASCII bytes before a run of 2-byte e-acutes put the limit on
	 * either byte of a sequence */
	cr_assert(big != NULL);
	for (n = 0; n < 3; n++) {
		for (i = 0; i < n; i++)
			big[i] = 'x';
		for (; i + 2 < 4000; i += 2)
			memcpy(big + i, "\xc3\xa9", 2);
		big[i] = '\0';
		kcs_probe_classify(&p, 400, NULL, big);
		i = strlen(p.message);
		cr_expect_leq(i, KCS_PROBE_MSG_MAX, "lead %zu", n);
		cr_expect_geq(i, KCS_PROBE_MSG_MAX - 1, "lead %zu", n);
		cr_expect_eq((i - n) % 2, 0, "lead %zu: cut inside a sequence", n);
		cr_expect_eq((unsigned char)p.message[i - 1], 0xa9, "lead %zu", n);
	}
	free(big);
}

/* ---- reading the returned pod ------------------------------------------------ */

#define NAME "kubecapscan-probe-default-0123456789"

static struct kcs_probe read_canned(const char *json, long status,
				    enum kcs_verdict sent)
{
	struct kcs_probe p = { .kind = KCS_PROBE_DEFAULT, .sent_verdict = sent };
	struct kcs_error err = KCS_ERROR_INIT;
	char *body = jq(json);

	snprintf(p.name, sizeof(p.name), "%s", NAME);
	cr_assert_eq(kcs_probe_read_returned(&p, status, body, strlen(body), &err),
		     KCS_OK, "%s", err.msg);
	free(body);
	return p;
}

Test(probe, returned_unchanged)
{
	struct kcs_probe p = read_canned(
		"{'kind':'Pod','apiVersion':'v1','metadata':{'name':'" NAME "',"
		"'namespace':'a','creationTimestamp':'2025-01-01T00:00:00Z'},"
		"'spec':{'containers':[{'name':'probe','image':'x',"
		"'resources':{}}],'restartPolicy':'Always'},"
		"'status':{'phase':'Pending','qosClass':'BestEffort'}}",
		201, KCS_VERDICT_FAIL);

	cr_expect_eq(p.outcome, KCS_PROBE_ADMITTED, "%s", p.message);
	cr_expect_eq(p.http_status, 201);
	cr_expect_eq(p.returned_verdict, KCS_VERDICT_FAIL);
	cr_expect_eq(p.returned_reason, KCS_R_NO_SECURITY_CONTEXT);
	cr_expect_eq(p.returned_containers, 1);
	cr_expect_not(p.mutated);
	cr_expect_not(p.persisted);
}

Test(probe, returned_mutated_to_drop_all)
{
	/* a mutating policy added drop: [ALL] (issue 7: evaluate the
	 * RETURNED object) */
	struct kcs_probe p = read_canned(
		"{'kind':'Pod','apiVersion':'v1','metadata':{'name':'" NAME "'},"
		"'spec':{'containers':[{'name':'probe','image':'x',"
		"'securityContext':{'capabilities':{'drop':['ALL']}}}]}}",
		201, KCS_VERDICT_FAIL);

	cr_expect_eq(p.outcome, KCS_PROBE_ADMITTED);
	cr_expect_eq(p.returned_verdict, KCS_VERDICT_PASS);
	cr_expect_eq(p.returned_reason, KCS_R_DROP_ALL);
	cr_expect(p.mutated);
}

Test(probe, returned_with_injected_container)
{
	/* a mesh's init container adds NET_RAW to an otherwise passing pod:
	 * the pod fails and the container that fails it is named */
	struct kcs_probe p = read_canned(
		"{'kind':'Pod','metadata':{'name':'" NAME "'},'spec':{"
		"'initContainers':[{'name':'mesh-init','securityContext':"
		"{'capabilities':{'add':['NET_ADMIN','NET_RAW'],'drop':['ALL']}}}],"
		"'containers':[{'name':'probe','securityContext':"
		"{'capabilities':{'drop':['ALL']}}}]}}",
		201, KCS_VERDICT_PASS);

	cr_expect_eq(p.outcome, KCS_PROBE_ADMITTED);
	cr_expect_eq(p.returned_verdict, KCS_VERDICT_FAIL);
	cr_expect_eq(p.returned_reason, KCS_R_ADD_NET_RAW);
	cr_expect_str_eq(p.returned_container.s, "mesh-init");
	cr_expect_eq(p.returned_containers, 2);
	cr_expect(p.mutated);
}

Test(probe, returned_persisted)
{
	/* a resourceVersion means the server stored the pod */
	struct kcs_probe p = read_canned(
		"{'kind':'Pod','metadata':{'name':'" NAME "',"
		"'resourceVersion':'12345','uid':'u'},"
		"'spec':{'containers':[{'name':'probe'}]}}", 201, KCS_VERDICT_FAIL);

	cr_expect_eq(p.outcome, KCS_PROBE_ERROR);
	cr_expect(p.persisted);
	cr_expect(strstr(p.message, "stored") != NULL, "%s", p.message);
}

Test(probe, returned_not_the_probe)
{
	static const char *const bodies[] = {
		/* another pod */
		"{'kind':'Pod','metadata':{'name':'other'},'spec':{'containers':"
		"[{'name':'probe'}]}}",
		/* a list */
		"{'kind':'PodList','items':[{'metadata':{'name':'" NAME "'},"
		"'spec':{'containers':[{'name':'probe'}]}}]}",
		/* a Status */
		"{'kind':'Status','status':'Success','code':201}",
		/* another kind */
		"{'kind':'Namespace','metadata':{'name':'" NAME "'}}",
		/* not JSON, truncated, empty */
		"<html>proxy</html>",
		"{'kind':'Pod','metadata':{'name':'" NAME "'},'spec':{'contai",
		"",
	};
	size_t i;

	for (i = 0; i < KCS_ARRAY_SIZE(bodies); i++) {
		struct kcs_probe p = read_canned(bodies[i], 201, KCS_VERDICT_FAIL);

		cr_expect_eq(p.outcome, KCS_PROBE_ERROR, "body %zu", i);
		cr_expect_neq(p.message[0], '\0', "body %zu", i);
		cr_expect_not(p.persisted, "body %zu", i);
	}
}

Test(probe, returned_out_of_memory)
{
	long n;
	int saw_ok = 0;

	for (n = 0; n < 64 && !saw_ok; n++) {
		struct kcs_probe p = { .kind = KCS_PROBE_DEFAULT };
		struct kcs_error err = KCS_ERROR_INIT;
		char *body = jq("{'kind':'Pod','metadata':{'name':'" NAME "'},"
				"'spec':{'containers':[{'name':'a'},{'name':'b'}]}}");
		enum kcs_err rc;

		snprintf(p.name, sizeof(p.name), "%s", NAME);
		kcs_alloc_fail_after(n);
		rc = kcs_probe_read_returned(&p, 201, body, strlen(body), &err);
		kcs_alloc_fail_after(-1);
		free(body);
		if (rc == KCS_OK) {
			saw_ok = 1;
			cr_expect_eq(p.outcome, KCS_PROBE_ADMITTED);
		} else {
			cr_expect_eq(rc, KCS_ERR_NOMEM, "n=%ld", n);
			cr_expect_eq(err.code, KCS_ERR_NOMEM, "n=%ld", n);
		}
	}
	cr_expect(saw_ok);
}

/* ---- the decision table --------------------------------------------------- */

/*
 * A probe in one letter: P/F/N admitted, returned PASS/FAIL/NOT_APPLICABLE;
 * D denied; E error; X forbidden (RBAC); - not sent.
 */
static void set_probe(struct kcs_probe *p, char c)
{
	p->outcome = c == 'D' ? KCS_PROBE_DENIED
		     : c == 'E' ? KCS_PROBE_ERROR
		     : c == 'X' ? KCS_PROBE_FORBIDDEN
		     : c == '-' ? KCS_PROBE_NOT_SENT
				: KCS_PROBE_ADMITTED;
	p->returned_verdict = c == 'P' ? KCS_VERDICT_PASS
			      : c == 'F' ? KCS_VERDICT_FAIL
			      : c == 'N' ? KCS_VERDICT_NOT_APPLICABLE
					 : KCS_VERDICT_UNKNOWN;
	if (c == 'P' || c == 'F') {
		p->has_returned_reason = 1;
		p->returned_reason = c == 'P' ? KCS_R_DROP_ALL : KCS_R_ADD_NET_RAW;
		snprintf(p->returned_container.s, sizeof(p->returned_container.s),
			 "probe");
	}
	snprintf(p->message, sizeof(p->message), "canned %c", c);
}

static struct kcs_probe_result decide(const char *abc, int ssar)
{
	struct kcs_probe_result r;
	size_t i;

	kcs_probe_result_init(&r);
	r.ssar_allowed = ssar;
	for (i = 0; i < KCS_PROBE_KINDS; i++)
		set_probe(&r.probes[i], abc[i]);
	kcs_probe_decide(&r);
	return r;
}

#define PASS_ KCS_VERDICT_PASS
#define FAIL_ KCS_VERDICT_FAIL
#define UNKN_ KCS_VERDICT_UNKNOWN

Test(probe, decision_table)
{
	/* probes in order control, default, add-net-raw */
	static const struct {
		const char *abc;
		int ssar;
		enum kcs_verdict v;
		enum kcs_admission_reason why;
		const char *note;
	} rows[] = {
		{ "PDD", 1, PASS_, KCS_ADMISSION_DENIES_NET_RAW, "restricted" },
		{ "PPP", 1, PASS_, KCS_ADMISSION_DENIES_NET_RAW,
		  "mutate-drop-all: admitted only without NET_RAW" },
		{ "PPD", -1, PASS_, KCS_ADMISSION_DENIES_NET_RAW, "mixed" },
		{ "PDP", 1, PASS_, KCS_ADMISSION_DENIES_NET_RAW, "mixed" },
		{ "PFF", 1, FAIL_, KCS_ADMISSION_ADMITS_DEFAULT_NET_RAW,
		  "privileged level" },
		{ "PFD", 1, FAIL_, KCS_ADMISSION_ADMITS_DEFAULT_NET_RAW,
		  "policy that checks add only" },
		{ "PDF", 1, FAIL_, KCS_ADMISSION_ADMITS_ADDED_NET_RAW,
		  "baseline-like: add NET_RAW allowed" },
		{ "PPF", 1, FAIL_, KCS_ADMISSION_ADMITS_ADDED_NET_RAW,
		  "mutation adds drop ALL but keeps add" },
		{ "FDD", 1, FAIL_, KCS_ADMISSION_INJECTS_NET_RAW,
		  "a webhook injects a NET_RAW container" },
		{ "FFF", 1, FAIL_, KCS_ADMISSION_ADMITS_DEFAULT_NET_RAW,
		  "default first" },
		{ "DDD", 1, UNKN_, KCS_ADMISSION_INCONCLUSIVE, "deny-all" },
		{ "DFD", 1, FAIL_, KCS_ADMISSION_ADMITS_DEFAULT_NET_RAW,
		  "an observed NET_RAW admission beats a denied control" },
		{ "DDF", 1, FAIL_, KCS_ADMISSION_ADMITS_ADDED_NET_RAW,
		  "an observed NET_RAW admission beats a denied control" },
		{ "DPP", 1, UNKN_, KCS_ADMISSION_INCONCLUSIVE,
		  "control denied: never PASS" },
		{ "EDD", 1, UNKN_, KCS_ADMISSION_PROBE_FAILED, "control error" },
		{ "PED", 1, UNKN_, KCS_ADMISSION_PROBE_FAILED, "no-dry-run" },
		{ "PDE", 1, UNKN_, KCS_ADMISSION_PROBE_FAILED, "5xx" },
		{ "PFE", 1, FAIL_, KCS_ADMISSION_ADMITS_DEFAULT_NET_RAW,
		  "an observed admission beats a later error" },
		{ "PD-", 1, UNKN_, KCS_ADMISSION_PROBE_FAILED, "not sent" },
		{ "E--", 1, UNKN_, KCS_ADMISSION_PROBE_FAILED, "stopped early" },
		{ "---", 0, UNKN_, KCS_ADMISSION_PERMISSION_DENIED, "SSAR no" },
		{ "---", -1, UNKN_, KCS_ADMISSION_PROBE_FAILED, "nothing sent" },
		{ "X--", -1, UNKN_, KCS_ADMISSION_PERMISSION_DENIED,
		  "SSAR unanswered, RBAC 403" },
		{ "PDX", 1, UNKN_, KCS_ADMISSION_PERMISSION_DENIED, "403 later" },
		{ "DED", 1, UNKN_, KCS_ADMISSION_PROBE_FAILED,
		  "an error is reported before inconclusive" },
		{ "NDD", 1, UNKN_, KCS_ADMISSION_INCONCLUSIVE,
		  "control came back NOT_APPLICABLE (mutated to Windows)" },
		{ "PND", 1, UNKN_, KCS_ADMISSION_INCONCLUSIVE,
		  "default came back NOT_APPLICABLE" },
		{ "PDN", 1, UNKN_, KCS_ADMISSION_INCONCLUSIVE,
		  "add-net-raw came back NOT_APPLICABLE" },
	};
	size_t i;

	for (i = 0; i < KCS_ARRAY_SIZE(rows); i++) {
		struct kcs_probe_result r = decide(rows[i].abc, rows[i].ssar);

		cr_expect_eq(r.verdict, rows[i].v, "%s ssar %d (%s): verdict %s",
			     rows[i].abc, rows[i].ssar, rows[i].note,
			     kcs_verdict_name(r.verdict));
		cr_expect_eq(r.reason, rows[i].why, "%s ssar %d (%s): reason %s",
			     rows[i].abc, rows[i].ssar, rows[i].note,
			     kcs_probe_reason_name(r.reason));
		cr_expect_neq(r.message[0], '\0', "%s: a message", rows[i].abc);
	}
}

/* The message names the probe and what came back. */
Test(probe, decision_messages)
{
	struct kcs_probe_result r = decide("PFD", 1);

	cr_expect(strstr(r.message, "'default'") != NULL, "%s", r.message);
	cr_expect(strstr(r.message, "ADD_NET_RAW") != NULL, "%s", r.message);
	r = decide("PED", 1);
	cr_expect(strstr(r.message, "canned E") != NULL, "%s", r.message);
	r = decide("DDD", 1);
	cr_expect(strstr(r.message, "'control'") != NULL, "%s", r.message);
}

/*
 * Every combination of the seven letters, with every SSAR answer: the
 * verdict is never PASS unless all three probes were answered by
 * admission, the control was admitted and passes, and no probe came back
 * failing; it is FAIL exactly when an admitted probe came back failing.
 */
Test(probe, decision_never_wrongly_passes)
{
	static const char letters[] = "PFNDEX-";
	size_t a, b, c;
	int s;

	for (a = 0; a < 7; a++)
		for (b = 0; b < 7; b++)
			for (c = 0; c < 7; c++)
				for (s = -1; s <= 1; s++) {
					char abc[4] = { letters[a], letters[b],
							letters[c], 0 };
					struct kcs_probe_result r = decide(abc, s);
					int any_f = strchr(abc, 'F') != NULL;
					int pass_ok = abc[0] == 'P' &&
						      strspn(abc + 1, "PD") == 2 &&
						      s != 0;

					cr_expect_eq(r.verdict == FAIL_, any_f,
						     "%s ssar %d", abc, s);
					if (r.verdict == PASS_)
						cr_expect(pass_ok, "%s ssar %d: wrong PASS",
							  abc, s);
					else if (!any_f)
						cr_expect_eq(r.verdict, UNKN_,
							     "%s ssar %d", abc, s);
					if (pass_ok)
						cr_expect_eq(r.verdict, PASS_,
							     "%s ssar %d", abc, s);
				}
}
