"""End-to-end admission probe (--probe-admission; src/probe.c,
docs/probe.md) against the test API server's dry-run admission: Pod
Security from namespace labels, policies from admission.json (deny-net-raw
as Kyverno, Gatekeeper and ValidatingAdmissionPolicy, mutate-drop-all,
deny-all, no-dry-run), Pod Security exemptions, RBAC for `create pods`, and
faults.

The probes run through `kubecapscan -A --probe-admission -o json`, and
each namespace's result is namespaces[i].admission = {"verdict", "reason",
"message", "labelVerdict", "labelReason", "probes": [{"name", "podName",
"outcome", "admitted", "httpStatus", "reason", "message", "mutated",
"returnedVerdict", "returnedReason"}]}.

Every test also checks the server's request log: every POST to pods
carries dryRun=All and nothing else, and the server's audit log: every
create was a dry run, with a unique kubecapscan-probe-<kind>-<hex> name.
"""
import json
import os
import re
import shutil
import tempfile
import unittest
import urllib.parse

import kcs
from apiserver import Server

POD_CREATE = re.compile(r"^/api/v1/namespaces/([^/]+)/pods$")
NAME = re.compile(r"^kubecapscan-probe-(control|default|add-net-raw)-[0-9a-f]{10}$")
KINDS = ["control", "default", "add-net-raw"]
RESTRICTED = {"pod-security.kubernetes.io/enforce": "restricted"}
BASELINE = {"pod-security.kubernetes.io/enforce": "baseline"}

# name -> (labels, admission.json policies for it)
NAMESPACES = {
    "kube-system": ({}, []),
    "restricted": (RESTRICTED, []),
    "baseline": (BASELINE, []),
    "unlabelled": ({}, []),
    "kyverno-deny": ({}, [{"type": "deny-net-raw"}]),
    "gatekeeper-deny": (BASELINE, [{"type": "deny-net-raw", "engine": "gatekeeper"}]),
    "vap-deny": ({}, [{"type": "deny-net-raw", "engine": "vap"}]),
    "mutated": ({}, [{"type": "mutate-drop-all"}]),
    "mutated-restricted": (RESTRICTED, [{"type": "mutate-drop-all"}]),
    "deny-all": ({}, [{"type": "deny-all"}]),
    "deny-all-verify-images": (BASELINE, [{"type": "deny-all", "engine": "kyverno",
                                           "phase": "mutating"}]),
    "no-dry-run": ({}, [{"type": "no-dry-run", "webhook": "sidecar-injector.example.com"}]),
    # labelled restricted, but exempt in the AdmissionConfiguration (server flag)
    "exempt-ns": (RESTRICTED, []),
    # a policy that excludes the prober's identity
    "excludes-prober": ({}, [{"type": "deny-net-raw", "excludeUsers": ["prober"]}]),
}

# name -> (verdict, reason, {probe: (admitted, mutated, returnedVerdict)});
# None for a probe: denied (or not admitted), checked separately.
PASS, FAIL, UNKNOWN = "PASS", "FAIL", "UNKNOWN"
A_PASS, A_FAIL = (True, False, "PASS"), (True, False, "FAIL")
MUT_PASS = (True, True, "PASS")
DENIED = (False, False, None)
EXPECT = {
    "kube-system": (FAIL, "ADMISSION_ADMITS_DEFAULT_NET_RAW", (A_PASS, A_FAIL, A_FAIL)),
    "restricted": (PASS, "ADMISSION_DENIES_NET_RAW", (A_PASS, DENIED, DENIED)),
    "baseline": (FAIL, "ADMISSION_ADMITS_DEFAULT_NET_RAW", (A_PASS, A_FAIL, DENIED)),
    "unlabelled": (FAIL, "ADMISSION_ADMITS_DEFAULT_NET_RAW", (A_PASS, A_FAIL, A_FAIL)),
    "kyverno-deny": (PASS, "ADMISSION_DENIES_NET_RAW", (A_PASS, DENIED, DENIED)),
    "gatekeeper-deny": (PASS, "ADMISSION_DENIES_NET_RAW", (A_PASS, DENIED, DENIED)),
    "vap-deny": (PASS, "ADMISSION_DENIES_NET_RAW", (A_PASS, DENIED, DENIED)),
    "mutated": (PASS, "ADMISSION_DENIES_NET_RAW", (A_PASS, MUT_PASS, MUT_PASS)),
    # the mutation removes add NET_RAW, Pod Security then admits add-net-raw;
    # default gets drop ALL but still lacks runAsNonRoot etc.: denied
    "mutated-restricted": (PASS, "ADMISSION_DENIES_NET_RAW", (A_PASS, DENIED, MUT_PASS)),
    "deny-all": (UNKNOWN, "ADMISSION_INCONCLUSIVE", (DENIED, DENIED, DENIED)),
    "deny-all-verify-images": (UNKNOWN, "ADMISSION_INCONCLUSIVE", (DENIED, DENIED, DENIED)),
    "no-dry-run": (UNKNOWN, "ADMISSION_PROBE_FAILED", (DENIED, DENIED, DENIED)),
    "exempt-ns": (FAIL, "ADMISSION_ADMITS_DEFAULT_NET_RAW", (A_PASS, A_FAIL, A_FAIL)),
    "excludes-prober": (FAIL, "ADMISSION_ADMITS_DEFAULT_NET_RAW", (A_PASS, A_FAIL, A_FAIL)),
}
# The label reading of each namespace (psa default privileged:latest).
LABEL_VERDICT = {n: (PASS if labels == RESTRICTED else FAIL) for n, (labels, _) in NAMESPACES.items()}


def make_data(dirname, namespaces=NAMESPACES):
    items, policies = [], []
    for name, (labels, pols) in sorted(namespaces.items()):
        lab = {"kubernetes.io/metadata.name": name}
        lab.update(labels)
        items.append({"metadata": {"name": name, "uid": "uid-" + name, "resourceVersion": "1",
                                   "labels": lab}, "status": {"phase": "Active"}})
        for i, p in enumerate(pols):
            q = dict(p)
            q.setdefault("name", "%s-%s-%d" % (p["type"], name, i))
            q["namespaces"] = [name]
            policies.append(q)
    with open(os.path.join(dirname, "namespaces.json"), "w") as f:
        json.dump({"kind": "NamespaceList", "apiVersion": "v1",
                   "metadata": {"resourceVersion": "10"}, "items": items}, f)
    with open(os.path.join(dirname, "pods.json"), "w") as f:
        json.dump({"kind": "PodList", "apiVersion": "v1",
                   "metadata": {"resourceVersion": "10"}, "items": []}, f)
    with open(os.path.join(dirname, "admission.json"), "w") as f:
        json.dump(policies, f, indent=1)


def run_probe(srv, kubeconfig, namespaces=NAMESPACES, extra=()):
    """kubecapscan -A --probe-admission -o json ->
    (exit status, {ns: admission}, {ns: namespace entry}, stderr).
    `namespaces` are the ones the fixture holds: the report has exactly
    those."""
    rc, out, err = kcs.run(["-A", "--probe-admission", "-o", "json"] + list(extra),
                           env=srv.env(kubeconfig), timeout=300)
    if rc not in (0, 1):
        raise AssertionError("kubecapscan --probe-admission failed (%d): %s" % (rc, err))
    kcs.check_report(out)
    rep = kcs.load(out)
    if not rep["complete"] or rep["errors"]:
        raise AssertionError("incomplete scan: %s" % rep["errors"])
    nss = {n["name"]: n for n in rep["namespaces"]}
    if sorted(nss) != sorted(namespaces):
        raise AssertionError("namespaces %s, wanted %s" % (sorted(nss), sorted(namespaces)))
    return rc, {name: n["admission"] for name, n in nss.items()}, nss, err


def probes_by_name(adm):
    got = {p["name"]: p for p in adm["probes"]}
    assert len(got) == len(adm["probes"]), adm
    return got


class DryRunChecks:
    def assert_only_dry_runs(self, srv=None, requests=None, audit=None):
        """Every POST to pods is a dry run with a probe's name; returns how
        many POSTs to pods there were."""
        if srv is not None:
            requests, audit = srv.requests(), srv.read("audit.log")
        posts = 0
        for r in requests:
            if r.get("method") != "POST":
                self.assertNotRegex(r.get("path", ""), POD_CREATE)
                continue
            if POD_CREATE.match(r["path"]):
                posts += 1
                q = urllib.parse.parse_qs(r.get("query") or "", keep_blank_values=True)
                self.assertEqual(q, {"dryRun": ["All"]}, r)
            else:
                self.assertEqual(r["path"], "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", r)
        names = []
        for line in audit.splitlines():
            a = json.loads(line)
            self.assertIs(a["dryRun"], True, a)
            if a["name"] is not None:
                self.assertRegex(a["name"], NAME)
                names.append(a["name"])
        self.assertEqual(len(names), len(set(names)), "probe names are unique")
        return posts

    def posts_to(self, srv, ns):
        return [r for r in srv.requests() if r.get("method") == "POST" and
                r["path"] == "/api/v1/namespaces/%s/pods" % ns]


class Probe(unittest.TestCase, DryRunChecks):
    @classmethod
    def setUpClass(cls):
        cls.data = tempfile.mkdtemp(prefix="kcs-probe-data-")
        make_data(cls.data)
        with Server("--psa-exempt-namespaces", "exempt-ns", data=cls.data) as srv:
            cls.rc, cls.adm, cls.nss, cls.err = run_probe(srv, srv.file("kubeconfig-prober"))
            cls.audit_text = srv.read("audit.log")
            cls.audit = [json.loads(x) for x in cls.audit_text.splitlines()]
            cls.requests = srv.requests()

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.data, ignore_errors=True)

    def test_only_dry_runs(self):
        self.assertEqual(self.assert_only_dry_runs(requests=self.requests, audit=self.audit_text),
                         3 * len(NAMESPACES))

    def test_verdicts_and_probes(self):
        self.assertEqual(sorted(self.adm), sorted(NAMESPACES))
        for ns, (verdict, reason, probes) in sorted(EXPECT.items()):
            adm = self.adm[ns]
            self.assertEqual((adm["verdict"], adm["reason"]), (verdict, reason), "%s: %s" % (ns, adm))
            self.assertTrue(adm["message"], ns)
            got = probes_by_name(adm)
            self.assertEqual(sorted(got), sorted(KINDS), ns)
            for kind, (admitted, mutated, returned) in zip(KINDS, probes):
                p = got[kind]
                what = "%s/%s: %s" % (ns, kind, p)
                self.assertRegex(p["podName"], NAME, what)
                self.assertTrue(p["podName"].startswith("kubecapscan-probe-%s-" % kind), what)
                self.assertIs(p["admitted"], admitted, what)
                self.assertIs(p["mutated"], mutated, what)
                self.assertEqual(p["returnedVerdict"], returned, what)
                if admitted:
                    self.assertEqual(p["httpStatus"], 201, what)
                    self.assertIsNone(p["message"], what)
                else:
                    self.assertGreaterEqual(p["httpStatus"], 400, what)
                    self.assertTrue(p["message"], what)

    def test_returned_reasons(self):
        got = probes_by_name(self.adm["unlabelled"])
        self.assertEqual(got["control"]["returnedReason"], "DROP_ALL")
        self.assertEqual(got["default"]["returnedReason"], "NO_SECURITY_CONTEXT")
        self.assertEqual(got["add-net-raw"]["returnedReason"], "ADD_NET_RAW")
        # the mutating policy's drop ALL is what the rules saw
        got = probes_by_name(self.adm["mutated"])
        self.assertEqual(got["default"]["returnedReason"], "DROP_ALL")
        self.assertEqual(got["add-net-raw"]["returnedReason"], "DROP_ALL")

    def test_denials_name_the_policy(self):
        def msg(ns, kind):
            return probes_by_name(self.adm[ns])[kind]["message"]
        self.assertIn('violates PodSecurity "restricted:latest"', msg("restricted", "default"))
        self.assertIn('violates PodSecurity "baseline:latest"', msg("baseline", "add-net-raw"))
        self.assertIn("validate.kyverno.svc", msg("kyverno-deny", "default"))
        self.assertIn("deny-net-raw-kyverno-deny-0", msg("kyverno-deny", "add-net-raw"))
        self.assertIn("validation.gatekeeper.sh", msg("gatekeeper-deny", "default"))
        self.assertIn("ValidatingAdmissionPolicy 'deny-net-raw-vap-deny-0'", msg("vap-deny", "add-net-raw"))
        self.assertIn("deny-all", msg("deny-all", "control"))
        self.assertIn("does not support dry run", msg("no-dry-run", "control"))
        self.assertIn("sidecar-injector.example.com", self.adm["no-dry-run"]["message"])
        self.assertIn("control", self.adm["deny-all"]["message"])
        # display-safe: no control characters (Kyverno's start with newlines)
        for adm in self.adm.values():
            for p in adm["probes"]:
                self.assertNotRegex(p["message"] or "", r"[\x00-\x1f\x7f]")
                self.assertEqual((p["message"] or "").strip(), p["message"] or "")

    def test_http_status_of_denials(self):
        st = lambda ns, kind: probes_by_name(self.adm[ns])[kind]["httpStatus"]
        self.assertEqual(st("restricted", "default"), 403)       # Pod Security
        self.assertEqual(st("kyverno-deny", "default"), 400)     # webhook, code 0
        self.assertEqual(st("gatekeeper-deny", "default"), 403)
        self.assertEqual(st("vap-deny", "default"), 403)
        self.assertEqual(st("no-dry-run", "control"), 400)

    def test_three_dry_run_posts_per_namespace(self):
        per_ns = {}
        for a in self.audit:
            per_ns.setdefault(a["namespace"], []).append(a["name"].rsplit("-", 1)[0])
        for ns in NAMESPACES:
            self.assertEqual(per_ns.get(ns), ["kubecapscan-probe-" + k for k in KINDS], ns)
        # one SSAR per namespace, before its probes
        ssar = [r for r in self.requests if r["path"].endswith("/selfsubjectaccessreviews")]
        self.assertGreaterEqual(len(ssar), len(NAMESPACES))
        for r in self.requests:
            self.assertEqual(r["user"], "prober", r)

    def test_label_reading_stays_next_to_it(self):
        for ns, n in self.nss.items():
            adm = n["admission"]
            self.assertEqual(adm["labelVerdict"], LABEL_VERDICT[ns], ns)
            # the namespace verdict follows observed admission, and falls
            # back to the labels when the probe could not decide
            if adm["verdict"] != UNKNOWN:
                want = (adm["verdict"], adm["reason"])
            else:
                want = (adm["labelVerdict"], adm["labelReason"])
            self.assertEqual((n["verdict"], n["reason"]), want, ns)
        self.assertEqual(self.rc, 1)
        # the probe's reason to exist: labels say PASS, admission admits
        self.assertEqual(self.nss["exempt-ns"]["admission"]["labelVerdict"], PASS)
        self.assertEqual(self.nss["exempt-ns"]["verdict"], FAIL)


class Identity(unittest.TestCase, DryRunChecks):
    """Results are for the prober's identity (docs/probe.md, Caveats)."""

    def test_psa_exempt_user(self):
        nss = {k: NAMESPACES[k] for k in ("restricted", "kyverno-deny")}
        with tempfile.TemporaryDirectory(prefix="kcs-probe-") as d:
            make_data(d, nss)
            with Server("--psa-exempt-users", "prober", data=d) as srv:
                rc, adm, _, err = run_probe(srv, srv.file("kubeconfig-prober"), nss)
                self.assert_only_dry_runs(srv)
        self.assertEqual((adm["restricted"]["verdict"], adm["restricted"]["reason"]),
                         (FAIL, "ADMISSION_ADMITS_DEFAULT_NET_RAW"))
        # the policy still applies to the exempt user
        self.assertEqual(adm["kyverno-deny"]["verdict"], PASS)

    def test_permission_per_namespace(self):
        nss = {k: NAMESPACES[k] for k in ("restricted", "baseline", "unlabelled")}
        with tempfile.TemporaryDirectory(prefix="kcs-probe-") as d:
            make_data(d, nss)
            with Server("--prober-namespaces", "baseline", data=d) as srv:
                rc, adm, _, err = run_probe(srv, srv.file("kubeconfig-prober"), nss)
                self.assert_only_dry_runs(srv)
                for ns in ("restricted", "unlabelled"):
                    self.assertEqual(self.posts_to(srv, ns), [], "%s: no probe without RBAC" % ns)
                self.assertEqual(len(self.posts_to(srv, "baseline")), 3)
        self.assertEqual(adm["baseline"]["verdict"], FAIL)
        for ns in ("restricted", "unlabelled"):
            self.assertEqual((adm[ns]["verdict"], adm[ns]["reason"]),
                             (UNKNOWN, "ADMISSION_PERMISSION_DENIED"), ns)
            self.assertIn("'create'", adm[ns]["message"])
            self.assertIn(ns, adm[ns]["message"])
            self.assertEqual(adm[ns]["probes"], [], ns)

    def test_reader_cannot_probe(self):
        nss = {k: NAMESPACES[k] for k in ("restricted", "unlabelled")}
        with tempfile.TemporaryDirectory(prefix="kcs-probe-") as d:
            make_data(d, nss)
            with Server(data=d) as srv:
                rc, adm, _, err = run_probe(srv, srv.file("kubeconfig-reader"), nss)
                self.assertEqual(self.assert_only_dry_runs(srv), 0)
        for ns in nss:
            self.assertEqual(adm[ns]["reason"], "ADMISSION_PERMISSION_DENIED", ns)

    def test_unanswered_review_then_rbac_403(self):
        """SSARs denied (a hardened cluster): the probe goes on, and RBAC's
        own 403 on the first create is a permission problem, not a denial
        by admission; the other two probes are not sent."""
        nss = {k: NAMESPACES[k] for k in ("restricted", "unlabelled")}
        with tempfile.TemporaryDirectory(prefix="kcs-probe-") as d:
            make_data(d, nss)
            with Server("--fault", "path=selfsubjectaccessreviews,status=403,times=0",
                        data=d) as srv:
                rc, adm, _, err = run_probe(srv, srv.file("kubeconfig-reader"), nss)
                self.assert_only_dry_runs(srv)
                for ns in nss:
                    self.assertEqual(len(self.posts_to(srv, ns)), 1, ns)
        for ns in nss:
            self.assertEqual((adm[ns]["verdict"], adm[ns]["reason"]),
                             (UNKNOWN, "ADMISSION_PERMISSION_DENIED"), ns)
            [p] = adm[ns]["probes"]
            self.assertEqual((p["name"], p["httpStatus"], p["admitted"]), ("control", 403, False))
            self.assertIn("cannot create resource", p["message"])


class Failures(unittest.TestCase, DryRunChecks):
    def test_server_error_stops_the_namespace(self):
        nss = {k: NAMESPACES[k] for k in ("restricted", "unlabelled")}
        with tempfile.TemporaryDirectory(prefix="kcs-probe-") as d:
            make_data(d, nss)
            fault = ("path=^/api/v1/namespaces/restricted/pods$,method=POST,status=500,"
                     "retry-after=0,times=0")
            with Server("--fault", fault, data=d) as srv:
                rc, adm, _, err = run_probe(srv, srv.file("kubeconfig-prober"), nss)
                self.assert_only_dry_runs(srv)
                self.assertGreaterEqual(len(self.posts_to(srv, "restricted")), 1)
        a = adm["restricted"]
        self.assertEqual((a["verdict"], a["reason"]), (UNKNOWN, "ADMISSION_PROBE_FAILED"))
        [p] = a["probes"]   # stopped after the control
        self.assertEqual((p["name"], p["httpStatus"], p["admitted"]), ("control", 500, False))
        # other namespaces are unaffected
        self.assertEqual(adm["unlabelled"]["verdict"], FAIL)

    def test_namespace_gone(self):
        """A namespace deleted between the listing and the probe (the
        creates get kube-apiserver's 404): not a denial, which would read
        as PASS; the namespace keeps its label verdict."""
        nss = {k: NAMESPACES[k] for k in ("restricted", "unlabelled")}
        with tempfile.TemporaryDirectory(prefix="kcs-probe-") as d:
            make_data(d, nss)
            fault = ("path=^/api/v1/namespaces/restricted/pods$,method=POST,status=404,"
                     "message=namespaces \"restricted\" not found,times=0")
            with Server("--fault", fault, data=d) as srv:
                rc, adm, ns, err = run_probe(srv, srv.file("kubeconfig-prober"), nss)
                self.assert_only_dry_runs(srv)
                self.assertEqual(len(self.posts_to(srv, "restricted")), 1)
        self.assertEqual((adm["restricted"]["verdict"], adm["restricted"]["reason"]),
                         (UNKNOWN, "ADMISSION_PROBE_FAILED"))
        self.assertEqual([(p["name"], p["httpStatus"], p["admitted"])
                          for p in adm["restricted"]["probes"]], [("control", 404, False)])
        self.assertEqual((ns["restricted"]["verdict"], ns["restricted"]["reason"]),
                         (PASS, "ENFORCE_RESTRICTED"))
        self.assertEqual(adm["unlabelled"]["verdict"], FAIL)

    def test_no_probe_without_the_option(self):
        with tempfile.TemporaryDirectory(prefix="kcs-probe-") as d:
            make_data(d)
            with Server(data=d) as srv:
                rc, out, err = kcs.run(["-A", "-o", "json"],
                                       env=srv.env(srv.file("kubeconfig-prober")))
                self.assertEqual(self.assert_only_dry_runs(srv), 0)
        self.assertEqual(rc, 1, err)
        for n in kcs.load(out)["namespaces"]:
            self.assertIsNone(n.get("admission"), n["name"])


class Manifest(unittest.TestCase):
    """packaging/kubernetes/optional/rbac-probe.yaml grants exactly what the
    probe needs beyond the main ClusterRole: create pods."""

    def test_probe_role(self):
        try:
            import yaml
        except ImportError:
            self.skipTest("PyYAML (python3-yaml) is not installed")
        with open(kcs.path("packaging", "kubernetes", "optional", "rbac-probe.yaml")) as f:
            objs = [o for o in yaml.safe_load_all(f) if o]
        kinds = sorted((o["kind"], o["metadata"]["name"]) for o in objs)
        self.assertEqual(kinds, [("ClusterRole", "kubecapscan-probe"),
                                 ("ClusterRoleBinding", "kubecapscan-probe")])
        role = [o for o in objs if o["kind"] == "ClusterRole"][0]
        self.assertEqual(role["rules"], [{"apiGroups": [""], "resources": ["pods"],
                                          "verbs": ["create"]}])
        crb = [o for o in objs if o["kind"] == "ClusterRoleBinding"][0]
        self.assertEqual(crb["roleRef"], {"apiGroup": "rbac.authorization.k8s.io",
                                          "kind": "ClusterRole", "name": "kubecapscan-probe"})
        self.assertEqual(crb["subjects"], [{"kind": "ServiceAccount", "name": "kubecapscan",
                                            "namespace": "kubecapscan"}])
        for o in objs:
            self.assertEqual(o["metadata"]["labels"]["app.kubernetes.io/name"], "kubecapscan")


if __name__ == "__main__":
    unittest.main(verbosity=2)
