"""End-to-end tests of issue 7's live features against the test API server
serving testdata/cluster7 (see its expected.md):

  * the admission probe (--probe-admission): dry-run creates only, verdicts
    per namespace, the prober's own exemption, missing RBAC;
  * runtime-aware exposure (--runtime-aware) on containerd, CRI-O, Docker,
    gVisor and Windows nodes, and without the right to read nodes;
  * owner chains (pods[].workload, workloads[]) and remediation, the
    kubectl patch applied with `kubectl patch --local` and scanned again;
  * drift (--baseline, --fail-on new) between a pair of reports;
  * a cross-check of manifest scanning (-f - with a YAML stream) against
    the live pods of the same workloads.

The oracle is testdata/cluster7/expected.json (written by hand), read
here; every report is validated with tests/tools/check_report.py.
"""
import copy
import json
import os
import re
import shlex
import shutil
import subprocess
import tempfile
import unittest
import urllib.parse

import kcs
from apiserver import Server

C7 = kcs.path("testdata", "cluster7")
with open(os.path.join(C7, "expected.json")) as _f:
    EXPECTED = json.load(_f)
EXP_NS = EXPECTED["namespaces"]
EXP_PODS = {(p["namespace"], p["name"]): p for p in EXPECTED["pods"]}
KUBECTL = shutil.which("kubectl")

POD_CREATE = re.compile(r"^/api/v1/namespaces/([^/]+)/pods$")
SSAR = "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews"
PROBES = ("control", "default", "add-net-raw")
# expected.json calls probe B "netRaw"
EXP_PROBE_KEY = {"default": "default", "add-net-raw": "netRaw"}
WORKLOAD_FILES = (("deployments.json", "Deployment", "apps/v1"),
                  ("statefulsets.json", "StatefulSet", "apps/v1"),
                  ("cronjobs.json", "CronJob", "batch/v1"))


def load_items(name, kind=None, api_version=None):
    """Items of a cluster7 list file, with kind/apiVersion put back (the
    list files leave them out, as kube-apiserver lists do)."""
    with open(os.path.join(C7, name)) as f:
        items = json.load(f)["items"]
    out = []
    for it in items:
        it = copy.deepcopy(it)
        if kind:
            it = dict([("apiVersion", api_version), ("kind", kind)] + list(it.items()))
        out.append(it)
    return out


def scan(srv, user, *args, want_rc=1):
    """kubecapscan -A -o json as `user`; checks the exit status, the
    report's schema and completeness; returns (report, stderr)."""
    e = srv.env(srv.file("kubeconfig-" + user if user != "admin" else "kubeconfig"))
    rc, out, err = kcs.run(["-A", "-o", "json"] + list(args), env=e, timeout=300)
    if rc != want_rc:
        raise AssertionError("kubecapscan %s as %s: exit %d, wanted %d: %s"
                             % (" ".join(args), user, rc, want_rc, err[-3000:]))
    kcs.check_report(out)
    rep = kcs.load(out)
    assert rep["complete"] is True, rep["errors"]
    assert rep["errors"] == [], rep["errors"]
    return rep, err


def pods_by_key(rep):
    got = {(p["namespace"], p["name"]): p for p in rep["pods"]}
    assert len(got) == len(rep["pods"])
    return got


def containers_by_key(pod):
    """{(type, name): container}"""
    return {(c["type"], c["name"]): c for c in pod["containers"]}


def ns_by_name(rep):
    return {n["name"]: n for n in rep["namespaces"]}


def workloads_by_key(rep):
    got = {(w["namespace"], w["kind"], w["name"]): w for w in rep["workloads"]}
    assert len(got) == len(rep["workloads"]), "duplicate workloads"
    return got


def pod_creates(requests):
    return [r for r in requests if r.get("method") == "POST" and POD_CREATE.match(r["path"])]


def expected_final(ns):
    """The namespace verdict with --probe-admission: observed admission,
    or the label reading when the probe could not decide."""
    e = EXP_NS[ns]
    if e["expectedVerdict"]["verdict"] == "UNKNOWN":
        return e["labelVerdict"]["verdict"], e["labelVerdict"]["reason"]
    return e["expectedVerdict"]["verdict"], e["expectedVerdict"]["reason"]


def expected_probe(desc):
    """expected.json's description of a probe -> (httpStatus, admitted,
    mutated)."""
    if desc[:3].isdigit():
        return int(desc[:3]), False, False
    assert desc.startswith("admitted"), desc
    return 201, True, "drop [ALL]" in desc


# ---------------------------------------------------------------------------
# 1. Admission probe
# ---------------------------------------------------------------------------

class Admission(unittest.TestCase):
    """-A --probe-admission as prober, on the cluster7 admission chain."""

    @classmethod
    def setUpClass(cls):
        with Server(data=C7) as srv:
            cls.rep, cls.err = scan(srv, "prober", "--probe-admission")
            cls.requests = srv.requests()
            cls.audit = [json.loads(x) for x in srv.read("audit.log").splitlines()]
            n = len(cls.requests)
            # the same server, without the option, then a plain listing
            # to show that nothing was stored
            cls.plain, _ = scan(srv, "prober")
            cls.plain_requests = srv.requests()[n:]
            cls.audit_after = srv.read("audit.log").splitlines()
        cls.ns = ns_by_name(cls.rep)

    def test_every_namespace_probed(self):
        self.assertEqual(sorted(self.ns), sorted(EXP_NS))
        for name, n in self.ns.items():
            self.assertIsNotNone(n["admission"], name)

    def test_admission_verdicts(self):
        for name, e in sorted(EXP_NS.items()):
            adm = self.ns[name]["admission"]
            self.assertEqual((adm["verdict"], adm["reason"]),
                             (e["expectedVerdict"]["verdict"], e["expectedVerdict"]["reason"]),
                             "%s: %s" % (name, adm["message"]))
            self.assertTrue(adm["message"], name)

    def test_label_reading_stays_next_to_it(self):
        for name, e in sorted(EXP_NS.items()):
            adm = self.ns[name]["admission"]
            self.assertEqual((adm["labelVerdict"], adm["labelReason"]),
                             (e["labelVerdict"]["verdict"], e["labelVerdict"]["reason"]), name)
            # and it is exactly what a scan without the probe says
            plain = ns_by_name(self.plain)[name]
            self.assertEqual((plain["verdict"], plain["reason"]),
                             (adm["labelVerdict"], adm["labelReason"]), name)

    def test_namespace_verdict_follows_admission(self):
        for name in EXP_NS:
            n = self.ns[name]
            self.assertEqual((n["verdict"], n["reason"]), expected_final(name), name)
        # spelled out: the cases the probe exists for
        self.assertEqual((self.ns["data-pipeline"]["verdict"], self.ns["data-pipeline"]["reason"]),
                         ("PASS", "ADMISSION_DENIES_NET_RAW"))       # labels said FAIL
        self.assertEqual((self.ns["ml-serving"]["verdict"], self.ns["ml-serving"]["reason"]),
                         ("PASS", "ADMISSION_DENIES_NET_RAW"))       # mutated
        # inconclusive probes keep the label verdict, never a PASS they
        # did not observe
        self.assertEqual((self.ns["checkout"]["verdict"], self.ns["checkout"]["reason"]),
                         ("PASS", "ENFORCE_RESTRICTED"))
        self.assertEqual((self.ns["mesh-demo"]["verdict"], self.ns["mesh-demo"]["reason"]),
                         ("FAIL", "UNLABELLED"))
        self.assertEqual((self.ns["legacy-apps"]["verdict"], self.ns["legacy-apps"]["reason"]),
                         ("FAIL", "ADMISSION_ADMITS_DEFAULT_NET_RAW"))

    def test_namespace_summary(self):
        finals = [expected_final(n)[0] for n in EXP_NS]
        s = self.rep["summary"]["namespaces"]
        self.assertEqual((s["total"], s["pass"], s["fail"], s["unknown"]),
                         (len(finals), finals.count("PASS"), finals.count("FAIL"),
                          finals.count("UNKNOWN")))

    def test_probes(self):
        for name, e in sorted(EXP_NS.items()):
            probes = {p["name"]: p for p in self.ns[name]["admission"]["probes"]}
            self.assertEqual(sorted(probes), sorted(PROBES), name)
            for kind, key in EXP_PROBE_KEY.items():
                status, admitted, mutated = expected_probe(e["probe"][key])
                p = probes[kind]
                what = "%s/%s: %s" % (name, kind, p)
                self.assertEqual(p["httpStatus"], status, what)
                self.assertIs(p["admitted"], admitted, what)
                self.assertIs(p["mutated"], mutated, what)
                self.assertTrue(p["podName"].startswith("kubecapscan-probe-%s-" % kind), what)
                if admitted:
                    # the returned object, evaluated with the rules
                    want = ("PASS", "DROP_ALL") if mutated else (
                        ("FAIL", "NO_SECURITY_CONTEXT") if kind == "default"
                        else ("FAIL", "ADD_NET_RAW"))
                    self.assertEqual((p["returnedVerdict"], p["returnedReason"]), want, what)
                    self.assertIsNone(p["message"], what)
                else:
                    self.assertIsNone(p["returnedVerdict"], what)
                    self.assertTrue(p["message"], what)

    def test_mutating_policy(self):
        probes = {p["name"]: p for p in self.ns["ml-serving"]["admission"]["probes"]}
        for kind in ("default", "add-net-raw"):
            self.assertEqual((probes[kind]["admitted"], probes[kind]["mutated"],
                              probes[kind]["returnedVerdict"], probes[kind]["returnedReason"]),
                             (True, True, "PASS", "DROP_ALL"), kind)

    def test_denials_name_the_policy(self):
        def msg(ns, kind):
            return {p["name"]: p for p in self.ns[ns]["admission"]["probes"]}[kind]["message"]
        self.assertIn('violates PodSecurity "restricted:latest"', msg("payments", "default"))
        self.assertIn('"NET_RAW" in securityContext.capabilities.add', msg("payments", "add-net-raw"))
        self.assertIn('violates PodSecurity "baseline:v1.29"', msg("team-baseline", "add-net-raw"))
        self.assertIn("require-drop-net-raw", msg("data-pipeline", "default"))
        self.assertIn("capabilities/add", msg("data-pipeline", "add-net-raw"))
        self.assertIn("verify-image-signatures", msg("checkout", "control"))
        self.assertIn("does not support dry run", msg("mesh-demo", "control"))
        self.assertIn("sidecar-injector.mesh.example.com", self.ns["mesh-demo"]["admission"]["message"])
        for n in self.ns.values():
            for p in n["admission"]["probes"]:
                self.assertNotRegex(p["message"] or "", r"[\x00-\x1f\x7f]")

    def test_only_dry_runs(self):
        creates = pod_creates(self.requests)
        self.assertEqual(len(creates), len(PROBES) * len(EXP_NS))
        for r in creates:
            q = urllib.parse.parse_qs(r.get("query") or "", keep_blank_values=True)
            self.assertEqual(q, {"dryRun": ["All"]}, r)
            self.assertEqual(r["user"], "prober", r)
        for r in self.requests:
            self.assertIn(r["method"], ("GET", "POST"), r)
            if r["method"] == "POST":
                self.assertTrue(POD_CREATE.match(r["path"]) or r["path"] == SSAR, r)
        per_ns = {}
        for r in creates:
            ns = POD_CREATE.match(r["path"]).group(1)
            per_ns[ns] = per_ns.get(ns, 0) + 1
        self.assertEqual(per_ns, {n: len(PROBES) for n in EXP_NS})

    def test_audit_log(self):
        """Every probe is in the audit log, as a dry run, with the name the
        report gives; nothing was created for real."""
        self.assertEqual(len(self.audit), len(PROBES) * len(EXP_NS))
        names = set()
        for a in self.audit:
            self.assertIs(a["dryRun"], True, a)
            self.assertEqual(a["user"], "prober", a)
            names.add((a["namespace"], a["name"], a["decision"] == "admitted"))
        reported = {(ns, p["podName"], p["admitted"])
                    for ns, n in self.ns.items() for p in n["admission"]["probes"]}
        self.assertEqual(names, reported)
        # the scan after it: no new audit entry, and the same 34 pods,
        # none of them a probe
        self.assertEqual(len(self.audit_after), len(self.audit))
        self.assertEqual(len(self.plain["pods"]), len(EXPECTED["pods"]))
        for p in self.plain["pods"]:
            self.assertFalse(p["name"].startswith("kubecapscan-probe-"), p["name"])

    def test_no_probe_without_the_option(self):
        self.assertEqual(pod_creates(self.plain_requests), [])
        self.assertEqual([r for r in self.plain_requests if r["path"] == SSAR], [])
        for n in self.plain["namespaces"]:
            self.assertIsNone(n["admission"], n["name"])

    def test_pod_verdicts_unchanged_by_probe(self):
        self.assertEqual(kcs.verdicts(self.rep)[0], kcs.verdicts(self.plain)[0])


class AdmissionIdentity(unittest.TestCase):
    """The probe answers for the prober's identity (docs/probe.md)."""

    def test_exempt_prober(self):
        with Server("--psa-exempt-users", "prober", data=C7) as srv:
            rep, _ = scan(srv, "prober", "--probe-admission")
            as_admin, _ = scan(srv, "admin", "--probe-admission")
            self.assertEqual({r["user"] for r in srv.requests()}, {"prober", "admin"})
        ns = ns_by_name(rep)
        pay = ns["payments"]
        # the caveat: labels say restricted, yet the prober's pods get in
        self.assertEqual((pay["admission"]["verdict"], pay["admission"]["reason"]),
                         ("FAIL", "ADMISSION_ADMITS_DEFAULT_NET_RAW"))
        self.assertEqual((pay["admission"]["labelVerdict"], pay["admission"]["labelReason"]),
                         ("PASS", "ENFORCE_RESTRICTED"))
        self.assertEqual((pay["verdict"], pay["reason"]), ("FAIL", "ADMISSION_ADMITS_DEFAULT_NET_RAW"))
        probes = {p["name"]: p for p in pay["admission"]["probes"]}
        self.assertEqual([probes[k]["httpStatus"] for k in PROBES], [201, 201, 201])
        # B is admitted in team-baseline too
        tb = {p["name"]: p for p in ns["team-baseline"]["admission"]["probes"]}
        self.assertEqual(tb["add-net-raw"]["httpStatus"], 201)
        # policies still apply to the exempt user
        self.assertEqual(ns["data-pipeline"]["admission"]["verdict"], "PASS")
        # another identity (admin) is not exempt: the 403 of the fixture
        adm = ns_by_name(as_admin)["payments"]["admission"]
        self.assertEqual((adm["verdict"], adm["reason"]), ("PASS", "ADMISSION_DENIES_NET_RAW"))

    def test_reader_cannot_probe(self):
        with Server(data=C7) as srv:
            plain, _ = scan(srv, "reader")
            n = len(srv.requests())
            # the exit status is the same as without the option (1)
            rep, _ = scan(srv, "reader", "--probe-admission", want_rc=1)
            requests = srv.requests()[n:]
            audit = srv.read("audit.log")
        self.assertEqual(pod_creates(requests), [])
        self.assertEqual(audit, "")
        pns = ns_by_name(plain)
        for name, n in ns_by_name(rep).items():
            adm = n["admission"]
            self.assertEqual((adm["verdict"], adm["reason"]),
                             ("UNKNOWN", "ADMISSION_PERMISSION_DENIED"), name)
            self.assertIn(name, adm["message"])
            self.assertIn("create", adm["message"])
            self.assertEqual(adm["probes"], [], name)
            # label fallback
            want = (EXP_NS[name]["labelVerdict"]["verdict"], EXP_NS[name]["labelVerdict"]["reason"])
            self.assertEqual((n["verdict"], n["reason"]), want, name)
            self.assertEqual((adm["labelVerdict"], adm["labelReason"]), want, name)
            self.assertEqual((pns[name]["verdict"], pns[name]["reason"]), want, name)
        self.assertEqual(kcs.verdicts(rep)[0], kcs.verdicts(plain)[0])
        self.assertEqual(rep["summary"], plain["summary"])

    def test_prober_limited_to_some_namespaces(self):
        with Server("--prober-namespaces", "payments,legacy-apps", data=C7) as srv:
            rep, _ = scan(srv, "prober", "--probe-admission")
            creates = pod_creates(srv.requests())
        self.assertEqual(sorted({POD_CREATE.match(r["path"]).group(1) for r in creates}),
                         ["legacy-apps", "payments"])
        ns = ns_by_name(rep)
        self.assertEqual(ns["payments"]["admission"]["reason"], "ADMISSION_DENIES_NET_RAW")
        self.assertEqual(ns["legacy-apps"]["admission"]["reason"], "ADMISSION_ADMITS_DEFAULT_NET_RAW")
        for name in set(EXP_NS) - {"payments", "legacy-apps"}:
            self.assertEqual(ns[name]["admission"]["reason"], "ADMISSION_PERMISSION_DENIED", name)
            self.assertEqual(ns[name]["verdict"], EXP_NS[name]["labelVerdict"]["verdict"], name)


# ---------------------------------------------------------------------------
# 2. Runtime-aware exposure
# ---------------------------------------------------------------------------

def exposure(rep, ns, pod, cname, ctype="container"):
    c = containers_by_key(pods_by_key(rep)[(ns, pod)])[(ctype, cname)]
    return c["verdict"], c["reason"], c["exposure"]["effective"], c["exposure"]["reason"]


class Runtime(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        with Server(data=C7) as srv:
            cls.plain, _ = scan(srv, "reader")
            n = len(srv.requests())
            cls.rt, _ = scan(srv, "reader", "--runtime-aware")
            cls.rt_requests = srv.requests()[n:]
            cls.plain_requests = srv.requests()[:n]
            cls.noown, cls.noown_err = scan(srv, "no-owners", "--runtime-aware")
            cls.noown_plain, _ = scan(srv, "no-owners")

    def test_cache_statefulset(self):
        """drop [CAP_NET_RAW]: the spec FAILs everywhere; the effect
        depends on the node's runtime."""
        want = {"cri-o": ("WARN", "DROP_PREFIXED_HONOURED"),
                "docker": ("WARN", "DROP_PREFIXED_HONOURED"),
                "containerd": ("EXPOSED", "DROP_PREFIXED_IGNORED")}
        seen = set()
        for i in range(3):
            pod = "cache-%d" % i
            rt = EXP_PODS[("legacy-apps", pod)]["runtime"].split("://")[0]
            seen.add(rt)
            self.assertEqual(exposure(self.rt, "legacy-apps", pod, "redis"),
                             ("FAIL", "DROP_PREFIXED_INEFFECTIVE") + want[rt], pod)
            self.assertEqual(pods_by_key(self.rt)[("legacy-apps", pod)]["verdict"], "FAIL")
        self.assertEqual(seen, set(want))

    def test_pods_placed_on_their_nodes(self):
        pods = pods_by_key(self.rt)
        self.assertEqual(set(pods), set(EXP_PODS))
        for key, e in EXP_PODS.items():
            p = pods[key]
            self.assertEqual(p["node"], e["node"], key)
            r = p["runtime"]
            self.assertEqual((r["node"], r["name"], r["version"], r["nodeOS"]),
                             ("KNOWN", e["runtime"].split("://")[0], e["runtime"], e["nodeOS"]), key)
            want_handler = EXPECTED["runtimeClasses"][e["runtimeClass"]] if e["runtimeClass"] else None
            self.assertEqual(r["handler"], want_handler, key)
            self.assertEqual(r["runtimeClassHandler"], "KNOWN" if want_handler else "DEFAULT", key)

    def test_crio_default_set(self):
        # web-frontend's app has no securityContext: on CRI-O its default
        # set decides, elsewhere NET_RAW is there
        for pod, node in ((p["name"], p["node"]) for p in EXPECTED["pods"]
                          if p["name"].startswith("web-frontend-")):
            got = exposure(self.rt, "legacy-apps", pod, "app")
            if node == "node-crio-1":
                self.assertEqual(got, ("FAIL", "NO_SECURITY_CONTEXT", "WARN",
                                       "CRIO_DEFAULT_EXCLUDES_NET_RAW"), pod)
            else:
                self.assertEqual(got, ("FAIL", "NO_SECURITY_CONTEXT", "EXPOSED",
                                       "RUNTIME_DEFAULT"), pod)
        # privileged and added NET_RAW hold on CRI-O too
        self.assertEqual(exposure(self.rt, "kube-system", "kube-proxy-r8vbn", "kube-proxy")[2:],
                         ("EXPOSED", "PRIVILEGED"))
        self.assertEqual(exposure(self.rt, "mesh-demo", "reviews-5c8d7f9b6-qj4tn", "istio-init",
                                  "initContainer")[2:], ("EXPOSED", "ADDED"))

    def test_gvisor(self):
        pod = [p for p in EXPECTED["pods"] if p["runtimeClass"] == "gvisor"]
        self.assertEqual(len(pod), 1)
        key = (pod[0]["namespace"], pod[0]["name"])
        p = pods_by_key(self.rt)[key]
        self.assertEqual((p["runtime"]["handler"], p["runtime"]["sandboxed"]), ("runsc", True))
        c = containers_by_key(p)[("container", "runner")]
        self.assertEqual((c["verdict"], c["reason"]), ("FAIL", "NO_SECURITY_CONTEXT"))
        self.assertEqual((c["exposure"]["effective"], c["exposure"]["reason"]), ("WARN", "SANDBOXED"))
        self.assertIn("SANDBOXED", c["exposure"]["flags"])
        # no other pod is sandboxed
        for q in self.rt["pods"]:
            if (q["namespace"], q["name"]) != key:
                self.assertIs(q["runtime"]["sandboxed"], False, q["name"])

    def test_windows(self):
        # no spec.os, on the Windows node: inferred
        iis = [p["name"] for p in EXPECTED["pods"] if p["name"].startswith("iis-site-")][0]
        self.assertEqual(exposure(self.rt, "legacy-apps", iis, "iis"),
                         ("FAIL", "NO_SECURITY_CONTEXT", "NOT_APPLICABLE", "WINDOWS_NODE"))
        c = containers_by_key(pods_by_key(self.rt)[("legacy-apps", iis)])[("container", "iis")]
        self.assertEqual(c["exposure"]["flags"], ["OS_INFERRED"])
        self.assertEqual(pods_by_key(self.rt)[("legacy-apps", iis)]["verdict"], "FAIL")
        # spec.os.name windows: the spec verdict itself is NOT_APPLICABLE
        self.assertEqual(exposure(self.rt, "kube-system", "kube-proxy-windows-q9wzt", "kube-proxy"),
                         ("NOT_APPLICABLE", "WINDOWS_POD", "NOT_APPLICABLE", "WINDOWS_POD"))

    def test_exposure_never_hides_a_failure(self):
        for p in self.rt["pods"]:
            for c in p["containers"]:
                x = c["exposure"]
                what = "%s/%s/%s: %s" % (p["namespace"], p["name"], c["name"], x)
                if c["verdict"] == "PASS":
                    self.assertEqual((x["effective"], x["reason"]), ("NOT_EXPOSED", "SPEC_DROPS"), what)
                else:
                    self.assertNotEqual(x["effective"], "NOT_EXPOSED", what)

    def test_spec_verdicts_unchanged(self):
        self.assertEqual(kcs.verdicts(self.rt), kcs.verdicts(self.plain))
        self.assertEqual(kcs.verdicts(self.noown), kcs.verdicts(self.noown_plain))
        self.assertEqual(kcs.verdicts(self.noown)[0], kcs.verdicts(self.rt)[0])
        # and they are the hand-derived ones
        for key, e in EXP_PODS.items():
            p = pods_by_key(self.rt)[key]
            self.assertEqual(p["verdict"], e["verdict"], key)
            self.assertEqual([(c["type"], c["name"], c["index"], c["verdict"], c["reason"])
                              for c in p["containers"]],
                             [(c["type"], c["name"], c["index"], c["verdict"], c["reason"])
                              for c in e["containers"]], key)

    def test_runtime_summary(self):
        counts = {}
        for node, r in EXPECTED["runtimes"].items():
            name, version = r["containerRuntimeVersion"].split("://")
            counts[(name, version)] = counts.get((name, version), 0) + 1
        s = self.rt["runtimes"]
        self.assertIs(s["nodesRead"], True)
        self.assertEqual({(n["runtime"], n["version"]): n["nodes"] for n in s["nodes"]}, counts)
        self.assertEqual(counts, {("containerd", "1.7.20"): 3, ("cri-o", "1.30.4"): 1,
                                  ("docker", "27.1.1"): 1})
        self.assertEqual(sorted((c["name"], c["handler"]) for c in s["runtimeClasses"]),
                         sorted(EXPECTED["runtimeClasses"].items()))

    def test_nothing_without_the_option(self):
        self.assertNotIn("runtimes", self.plain)
        for p in self.plain["pods"]:
            self.assertIsNone(p.get("runtime"), p["name"])
            for c in p["containers"]:
                self.assertIsNone(c.get("exposure"), c["name"])
        paths = {r["path"] for r in self.plain_requests}
        self.assertNotIn("/api/v1/nodes", paths)
        self.assertNotIn("/apis/node.k8s.io/v1/runtimeclasses", paths)
        paths = {r["path"] for r in self.rt_requests}
        self.assertIn("/api/v1/nodes", paths)
        self.assertIn("/apis/node.k8s.io/v1/runtimeclasses", paths)

    def test_nodes_unreadable(self):
        """no-owners may not list nodes: reported, not guessed."""
        rep = self.noown
        self.assertIs(rep["runtimes"]["nodesRead"], False)
        self.assertEqual(rep["runtimes"]["nodes"], [])
        warn = [w for w in rep["warnings"] if "/api/v1/nodes" in w]
        self.assertEqual(len(warn), 1, rep["warnings"])
        self.assertIn("403", warn[0])
        self.assertIn('cannot list resource "nodes"', warn[0])
        for p in rep["pods"]:
            self.assertEqual((p["runtime"]["node"], p["runtime"]["name"]), ("UNREADABLE", None), p["name"])
            for c in p["containers"]:
                x = c["exposure"]
                what = "%s/%s: %s %s %s" % (p["name"], c["name"], c["verdict"], c["reason"], x)
                if c["verdict"] == "PASS":
                    self.assertEqual(x["effective"], "NOT_EXPOSED", what)
                elif c["verdict"] == "NOT_APPLICABLE":
                    self.assertEqual((x["effective"], x["reason"]), ("NOT_APPLICABLE", "WINDOWS_POD"), what)
                elif p["runtime"]["sandboxed"]:
                    # RuntimeClasses unreadable too: gVisor is taken from
                    # the runtimeClassName (runtime.h), and says so
                    self.assertEqual((x["effective"], x["reason"]), ("WARN", "SANDBOXED"), what)
                    self.assertEqual(p["runtime"]["runtimeClassHandler"], "UNREADABLE", what)
                    self.assertIn("HANDLER_UNKNOWN", x["flags"], what)
                elif c["reason"] == "PRIVILEGED":
                    # every runtime grants it: no node needed
                    self.assertEqual((x["effective"], x["reason"]), ("EXPOSED", "PRIVILEGED"), what)
                elif c["reason"] == "ADD_NET_RAW":
                    self.assertEqual((x["effective"], x["reason"]), ("EXPOSED", "ADDED"), what)
                else:
                    self.assertEqual((x["effective"], x["reason"]), ("UNKNOWN", "NODES_UNREADABLE"), what)
        # the cases of test_cache_statefulset and test_windows, without nodes
        for pod in ("cache-0", "cache-1", "cache-2"):
            self.assertEqual(exposure(rep, "legacy-apps", pod, "redis")[2:], ("UNKNOWN", "NODES_UNREADABLE"))
        iis = [p["name"] for p in EXPECTED["pods"] if p["name"].startswith("iis-site-")][0]
        self.assertEqual(exposure(rep, "legacy-apps", iis, "iis"),
                         ("FAIL", "NO_SECURITY_CONTEXT", "UNKNOWN", "NODES_UNREADABLE"))


# ---------------------------------------------------------------------------
# 3. Owner chains and remediation
# ---------------------------------------------------------------------------

def workload_template(kind, name):
    files = {k: (f, av) for f, k, av in WORKLOAD_FILES}
    f, av = files[kind]
    [obj] = [o for o in load_items(f, kind, av) if o["metadata"]["name"] == name]
    return obj


def patch_argument(cmd, kind, name, ns):
    """Check the shape of a remediation's kubectl command; return -p's
    argument (a JSON patch, as text)."""
    argv = shlex.split(cmd)
    assert argv[:7] == ["kubectl", "patch", kind.lower(), name, "-n", ns, "--type=json"], argv
    assert argv[7] == "-p" and len(argv) == 9, argv
    return argv[8]


class Workloads(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        with Server(data=C7) as srv:
            cls.rep, _ = scan(srv, "reader")
            cls.noown, cls.noown_err = scan(srv, "no-owners")
        cls.wl = workloads_by_key(cls.rep)

    def test_pod_owners(self):
        pods = pods_by_key(self.rep)
        self.assertEqual(set(pods), set(EXP_PODS))
        for key, e in EXP_PODS.items():
            p = pods[key]
            self.assertEqual(p["owner"], e["owner"], key)
            self.assertEqual(p["workload"], e["workload"], key)
            self.assertEqual(p["node"], e["node"], key)
            self.assertIsNone(p["source"], key)

    def test_owner_chain_kinds(self):
        """Each chain the issue names, spelled out."""
        pods = pods_by_key(self.rep)
        def wl(ns, prefix):
            [p] = [p for k, p in pods.items() if k[0] == ns and k[1].startswith(prefix)][:1]
            return p["owner"]["kind"] if p["owner"] else None, p["workload"]
        self.assertEqual(wl("legacy-apps", "web-frontend-"),
                         ("ReplicaSet", {"kind": "Deployment", "name": "web-frontend", "resolved": True}))
        self.assertEqual(wl("data-pipeline", "nightly-etl-"),
                         ("Job", {"kind": "CronJob", "name": "nightly-etl", "resolved": True}))
        self.assertEqual(wl("data-pipeline", "backfill-"),
                         ("Job", {"kind": "Job", "name": "backfill-2024-06", "resolved": True}))
        self.assertEqual(wl("legacy-apps", "cache-"),
                         ("StatefulSet", {"kind": "StatefulSet", "name": "cache", "resolved": True}))
        self.assertEqual(wl("monitoring", "node-exporter-"),
                         ("DaemonSet", {"kind": "DaemonSet", "name": "node-exporter", "resolved": True}))
        self.assertEqual(wl("kube-system", "etcd-cp-1"),
                         ("Node", {"kind": "Pod", "name": "etcd-cp-1", "resolved": True}))
        self.assertEqual(wl("default", "debug-shell"),
                         (None, {"kind": "Pod", "name": "debug-shell", "resolved": True}))
        self.assertEqual(wl("legacy-apps", "orphan-worker-"),
                         ("ReplicaSet", {"kind": "ReplicaSet", "name": "orphan-worker-5f6d7c8b9",
                                         "resolved": False}))

    def test_workloads(self):
        want = {(w["namespace"], w["kind"], w["name"]): w for w in EXPECTED["workloads"]}
        self.assertEqual(sorted(self.wl), sorted(want))
        for key, e in want.items():
            w = self.wl[key]
            self.assertEqual((w["verdict"], w["resolved"], w["pods"]),
                             (e["verdict"], e["resolved"], e["pods"]), key)
            self.assertEqual(sorted((c["type"], c["name"], c["reason"]) for c in w["failingContainers"]),
                             sorted((c["type"], c["name"], c["reason"]) for c in e["failingContainers"]),
                             key)
            if w["verdict"] == "FAIL":
                self.assertIsNotNone(w["remediation"], key)
            else:
                self.assertIsNone(w["remediation"], key)
        # pods per workload add up to the pods of the report
        self.assertEqual(sum(w["pods"]["total"] for w in self.rep["workloads"]), len(self.rep["pods"]))

    def test_workload_summary(self):
        v = [w["verdict"] for w in EXPECTED["workloads"]]
        s = self.rep["summary"]["workloads"]
        self.assertEqual((s["total"], s["pass"], s["fail"], s["notApplicable"], s["unknown"]),
                         (len(v), v.count("PASS"), v.count("FAIL"), v.count("NOT_APPLICABLE"),
                          v.count("UNKNOWN")))

    def test_web_frontend_remediation(self):
        r = self.wl[("legacy-apps", "Deployment", "web-frontend")]["remediation"]
        ops = json.loads(patch_argument(r["kubectl"], "Deployment", "web-frontend", "legacy-apps"))
        self.assertEqual(ops, r["jsonPatch"])
        # exactly the offending container of the template: app, index 0
        self.assertEqual(sorted({"/".join(op["path"].split("/")[:6]) for op in ops}),
                         ["/spec/template/spec/containers/0"])
        self.assertIn({"op": "test", "path": "/spec/template/spec/containers/0/name", "value": "app"}, ops)
        # the ephemeral debugger is not in the template: a note, not a patch
        self.assertIs(r["automatic"], False)
        self.assertTrue(any("debugger-kx2lp" in n for n in r["notes"]), r["notes"])

    def apply_locally(self, kind, name, ns):
        """kubectl patch --local the workload's template with the report's
        patch, then kubecapscan -f the result; returns (before, after)
        container views."""
        r = self.wl[(ns, kind, name)]["remediation"]
        patch = patch_argument(r["kubectl"], kind, name, ns)
        obj = workload_template(kind, name)
        with tempfile.TemporaryDirectory(prefix="kcs-c7-patch-") as d:
            src = os.path.join(d, "obj.json")
            with open(src, "w") as f:
                json.dump(obj, f)
            env = dict(os.environ, HOME=d, KUBECONFIG=os.path.join(d, "none"))
            p = subprocess.run([KUBECTL, "patch", "--local", "-f", src, "--type=json", "-p", patch,
                                "-o", "json"], capture_output=True, text=True, env=env, timeout=120)
            self.assertEqual(p.returncode, 0, p.stderr)
            patched = json.loads(p.stdout)
            out = os.path.join(d, "patched.json")
            with open(out, "w") as f:
                json.dump(patched, f)
            views = []
            for path, want_rc in ((src, 1), (out, 0)):
                rc, text, err = kcs.run(["-f", path, "-o", "json"])
                self.assertEqual(rc, want_rc, err)
                kcs.check_report(text)
                [pod] = kcs.load(text)["pods"]
                views.append({(c["type"], c["name"]): (c["verdict"], c["reason"]) for c in pod["containers"]})
        # only the offending containers changed
        a, b = obj["spec"]["template"]["spec"], patched["spec"]["template"]["spec"]
        for field in ("initContainers", "containers"):
            for i, (x, y) in enumerate(zip(a.get(field, []), b.get(field, []))):
                if x != y:
                    self.assertEqual(views[0][(field[:-1] if field == "initContainers" else "container",
                                              x["name"])][0], "FAIL", x["name"])
                    self.assertEqual({k: v for k, v in x.items() if k != "securityContext"},
                                     {k: v for k, v in y.items() if k != "securityContext"})
        return views

    @unittest.skipUnless(KUBECTL, "kubectl is not installed")
    def test_patch_applied_passes(self):
        before, after = self.apply_locally("Deployment", "web-frontend", "legacy-apps")
        self.assertEqual(before, {("container", "app"): ("FAIL", "NO_SECURITY_CONTEXT"),
                                  ("container", "log-shipper"): ("PASS", "DROP_ALL")})
        self.assertEqual(after, {("container", "app"): ("PASS", "DROP_ALL"),
                                 ("container", "log-shipper"): ("PASS", "DROP_ALL")})
        before, after = self.apply_locally("StatefulSet", "cache", "legacy-apps")
        self.assertEqual((before, after), ({("container", "redis"): ("FAIL", "DROP_PREFIXED_INEFFECTIVE")},
                                           {("container", "redis"): ("PASS", "DROP_ALL")}))
        before, after = self.apply_locally("Deployment", "reporting", "team-baseline")
        self.assertEqual((before, after), ({("container", "app"): ("FAIL", "NO_MATCHING_DROP")},
                                           {("container", "app"): ("PASS", "DROP_ALL")}))

    def test_human_must_decide(self):
        # the mesh injected istio-init (not in the template), and it adds
        # NET_RAW on purpose: no automatic patch
        r = self.wl[("mesh-demo", "Deployment", "reviews")]["remediation"]
        self.assertEqual((r["automatic"], r["jsonPatch"], r["kubectl"]), (False, None, None))
        self.assertTrue(any("istio-init" in n for n in r["notes"]), r["notes"])
        r = self.wl[("kube-system", "DaemonSet", "kube-proxy")]["remediation"]
        self.assertEqual((r["automatic"], r["jsonPatch"], r["kubectl"]), (False, None, None))
        self.assertTrue(any("privileged" in n for n in r["notes"]), r["notes"])
        r = self.wl[("default", "Pod", "debug-shell")]["remediation"]
        self.assertEqual((r["automatic"], r["kubectl"]), (False, None))
        self.assertTrue(any("NET_RAW" in n and "shell" in n for n in r["notes"]), r["notes"])
        # the only workloads with a ready kubectl command and automatic:
        # true are the ones whose failing containers all sit in the template
        auto = sorted(k for k, w in self.wl.items() if w["remediation"] and w["remediation"]["automatic"])
        self.assertEqual(auto, [("legacy-apps", "Deployment", "iis-site"),
                                ("legacy-apps", "Deployment", "sandbox-runner"),
                                ("legacy-apps", "StatefulSet", "cache"),
                                ("team-baseline", "Deployment", "reporting")])

    def test_orphan_has_no_owner_to_patch(self):
        """Product bug (reported): the orphan's ReplicaSet does not exist
        (reader may list ReplicaSets), yet the remediation gives a kubectl
        patch for it and a note blaming RBAC. expected.md: "orphan-worker:
        no owner object to patch"."""
        r = self.wl[("legacy-apps", "ReplicaSet", "orphan-worker-5f6d7c8b9")]["remediation"]
        self.assertIs(r["automatic"], False)
        self.assertIsNone(r["kubectl"])
        self.assertFalse(any("RBAC" in n for n in r["notes"]), r["notes"])

    def test_no_owners(self):
        """Owners unreadable: workloads stop at the direct owner."""
        pods = pods_by_key(self.noown)
        want_wl = {}
        for key, e in EXP_PODS.items():
            got = pods[key]["workload"]
            if e["owner"] and e["owner"]["kind"] in ("ReplicaSet", "Job"):
                # the ReplicaSet or Job could not be read: stop there
                self.assertEqual(got, dict(e["owner"], resolved=False), key)
                w = e["owner"]
            else:
                # StatefulSet, DaemonSet: already the top (resolved is the
                # client's call); static and bare pods: the pod itself
                w = e["workload"]
                self.assertEqual((got["kind"], got["name"]), (w["kind"], w["name"]), key)
                if w["kind"] == "Pod":
                    self.assertIs(got["resolved"], True, key)
            t = want_wl.setdefault((key[0], w["kind"], w["name"]), [0, 0])
            t[0] += 1
            t[1] += e["verdict"] == "FAIL"
        got = workloads_by_key(self.noown)
        self.assertEqual({k: [w["pods"]["total"], w["pods"]["fail"]] for k, w in got.items()}, want_wl)
        self.assertEqual(got[("legacy-apps", "ReplicaSet", "web-frontend-6b7f9c8d4")]["resolved"], False)
        self.assertEqual(got[("data-pipeline", "Job", "nightly-etl-28650240")]["resolved"], False)
        # the 403s are reported
        for res in ("replicasets", "jobs"):
            self.assertTrue(any("cannot list %s" % res in w and "403" in w for w in self.noown["warnings"]),
                            self.noown["warnings"])
        # a patch of the ReplicaSet would be undone by its Deployment: said
        r = got[("legacy-apps", "ReplicaSet", "web-frontend-6b7f9c8d4")]["remediation"]
        self.assertIs(r["automatic"], False)
        self.assertTrue(any("top controller" in n for n in r["notes"]), r["notes"])
        # spec verdicts do not depend on owners
        self.assertEqual(kcs.verdicts(self.noown)[0], kcs.verdicts(self.rep)[0])


# ---------------------------------------------------------------------------
# 4. Drift
# ---------------------------------------------------------------------------

def failing_keys(rep):
    """Distinct failing drift keys of a report, computed here: one per
    namespace/workload/container, plus each failing namespace."""
    keys = set()
    for p in rep["pods"]:
        w = p["workload"]
        for c in p["containers"]:
            if c["verdict"] == "FAIL":
                keys.add((p["namespace"], w["kind"], w["name"], c["type"], c["name"]))
    for n in rep["namespaces"]:
        if n["verdict"] == "FAIL":
            keys.add((n["name"],))
    return keys


def item_key(item):
    if item["workload"] is None:
        return (item["namespace"],)
    c = item["container"]
    return (item["namespace"], item["workload"]["kind"], item["workload"]["name"], c["type"], c["name"])


def restart(pod, n):
    """Rename a pod as a restart by its controller would (new name and
    uid, same owner; its containers are kept, the ephemeral one too, so
    that every failure it had is still there under a new pod name)."""
    m = pod["metadata"]
    m["name"] = m["name"].rsplit("-", 1)[0] + "-r%04d" % n
    m["uid"] = "00000000-0000-4000-8000-%012d" % n


def mutate_data(dst, fix=True, brk=True, rename=True, namespaces=False):
    """A copy of cluster7 in dst with the changes of the drift scenario."""
    shutil.copytree(C7, dst)
    path = os.path.join(dst, "pods.json")
    with open(path) as f:
        pods = json.load(f)
    n = 0
    keep = []
    for p in pods["items"]:
        name, ns = p["metadata"]["name"], p["metadata"]["namespace"]
        if fix and name.startswith("reporting-"):
            # team-baseline/reporting: drop [MKNOD] -> drop [ALL]
            p["spec"]["containers"][0]["securityContext"]["capabilities"]["drop"] = ["ALL"]
        if brk and name.startswith("coredns-"):
            # kube-system/coredns: adds NET_RAW now
            p["spec"]["containers"][0]["securityContext"]["capabilities"]["add"].append("NET_RAW")
        if rename and (name.startswith("web-frontend-6b7f9c8d4-") or name.startswith("payments-api-")):
            n += 1
            restart(p, n)
        if namespaces and ns == "team-baseline":
            continue
        keep.append(p)
    pods["items"] = keep
    with open(path, "w") as f:
        json.dump(pods, f)
    if namespaces:
        path = os.path.join(dst, "namespaces.json")
        with open(path) as f:
            nss = json.load(f)
        nss["items"] = [x for x in nss["items"] if x["metadata"]["name"] != "team-baseline"]
        nss["items"].append({"metadata": {
            "name": "new-team", "uid": "00000000-0000-4000-8000-00000000beef",
            "resourceVersion": "73999", "creationTimestamp": "2024-06-21T08:00:00Z",
            "labels": {"kubernetes.io/metadata.name": "new-team",
                       "pod-security.kubernetes.io/enforce": "restricted"}},
            "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}})
        with open(path, "w") as f:
            json.dump(nss, f)


class Drift(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="kcs-c7-drift-")
        cls.base_path = os.path.join(cls.dir, "base.json")
        with Server(data=C7) as srv:
            cls.base, _ = scan(srv, "reader")
            with open(cls.base_path, "w") as f:
                json.dump(cls.base, f)
            # the unchanged cluster against its own baseline
            cls.same, _ = scan(srv, "reader", "--baseline", cls.base_path, "--fail-on", "new", want_rc=0)
            cls.same_any, _ = scan(srv, "reader", "--baseline", cls.base_path, want_rc=1)
        data = os.path.join(cls.dir, "changed")
        mutate_data(data)
        with Server(data=data) as srv:
            cls.changed, _ = scan(srv, "reader", "--baseline", cls.base_path, "--fail-on", "new", want_rc=1)
        data = os.path.join(cls.dir, "restarted")
        mutate_data(data, fix=False, brk=False)
        with Server(data=data) as srv:
            cls.restarted, _ = scan(srv, "reader", "--baseline", cls.base_path, "--fail-on", "new", want_rc=0)
        data = os.path.join(cls.dir, "namespaces")
        mutate_data(data, fix=False, brk=False, rename=False, namespaces=True)
        with Server(data=data) as srv:
            cls.nss, _ = scan(srv, "reader", "--baseline", cls.base_path, "--fail-on", "new", want_rc=0)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)

    def test_baseline_itself(self):
        self.assertIsNone(self.base["drift"])
        for rep in (self.same, self.changed, self.restarted, self.nss):
            b = rep["drift"]["baseline"]
            self.assertEqual((b["file"], b["finishedAt"], b["complete"]),
                             (self.base_path, self.base["finishedAt"], True))

    def test_new_and_fixed(self):
        d = self.changed["drift"]
        self.assertEqual(d["newFailures"], [{
            "namespace": "kube-system", "workload": {"kind": "Deployment", "name": "coredns"},
            "container": {"type": "container", "name": "coredns"}, "reason": "ADD_NET_RAW",
            "state": "regressed", "baselineVerdict": "PASS", "verdict": "FAIL"}])
        self.assertEqual(d["fixed"], [{
            "namespace": "team-baseline", "workload": {"kind": "Deployment", "name": "reporting"},
            "container": {"type": "container", "name": "app"}, "reason": "NO_MATCHING_DROP",
            "state": "fixed", "baselineVerdict": "FAIL", "verdict": "PASS"}])
        self.assertEqual((d["unknown"], d["newNamespaces"], d["removedNamespaces"]), ([], [], []))
        # everything else that failed still fails; computed independently
        base, now = failing_keys(self.base), failing_keys(self.changed)
        self.assertEqual(base - now, {item_key(d["fixed"][0])})
        self.assertEqual(now - base, {item_key(d["newFailures"][0])})
        self.assertEqual(d["stillFailing"], len(base & now))
        # the scan itself saw the restarted pods (renamed) and their
        # failures, which are not drift
        names = {p["name"] for p in self.changed["pods"]}
        renamed = sorted(n for n in names if re.fullmatch(r"web-frontend-6b7f9c8d4-r[0-9]{4}", n))
        self.assertEqual(len(renamed), 3, names)
        self.assertNotIn("web-frontend-6b7f9c8d4-fq7wd", names)

    def test_unchanged_cluster(self):
        for rep in (self.same, self.same_any):
            d = rep["drift"]
            self.assertEqual((d["newFailures"], d["fixed"], d["unknown"], d["newNamespaces"],
                              d["removedNamespaces"]), ([], [], [], [], []))
            self.assertEqual(d["stillFailing"], len(failing_keys(self.base)))

    def test_restarts_are_not_drift(self):
        d = self.restarted["drift"]
        self.assertEqual((d["newFailures"], d["fixed"], d["unknown"]), ([], [], []))
        self.assertEqual(d["stillFailing"], len(failing_keys(self.base)))
        names = {p["name"] for p in self.restarted["pods"]}
        self.assertEqual(len([n for n in names if re.search(r"-r[0-9]{4}$", n)]), 5)

    def test_namespaces(self):
        d = self.nss["drift"]
        self.assertEqual(d["newNamespaces"], ["new-team"])
        self.assertEqual(d["removedNamespaces"], ["team-baseline"])
        self.assertEqual(d["newFailures"], [])   # new-team enforces restricted
        # what failed in team-baseline is gone, which counts as fixed
        self.assertEqual(sorted((item_key(i), i["state"]) for i in d["fixed"]),
                         [(("team-baseline",), "gone"),
                          (("team-baseline", "Deployment", "reporting", "container", "app"), "gone")])

    def test_bad_baselines(self):
        bad = {
            "truncated.json": json.dumps(self.base)[:500],
            "not-json.json": "this is not JSON\n",
            "array.json": "[]",
            "wrong-schema.json": json.dumps(dict(self.base, schemaVersion="kubecapscan/v2")),
            "pod-list.json": json.dumps({"kind": "PodList", "apiVersion": "v1", "items": []}),
        }
        with Server(data=C7) as srv:
            env = srv.env(srv.file("kubeconfig-reader"))
            for name, text in sorted(bad.items()):
                path = os.path.join(self.dir, name)
                with open(path, "w") as f:
                    f.write(text)
                for extra in ([], ["--fail-on", "new"]):
                    rc, out, err = kcs.run(["-A", "-o", "json", "--baseline", path] + extra, env=env)
                    self.assertEqual(rc, 2, "%s: %s" % (name, err))
                    self.assertIn(path, err, name)
                    self.assertEqual(out, "", name)
            missing = os.path.join(self.dir, "missing.json")
            rc, out, err = kcs.run(["-A", "-o", "json", "--baseline", missing], env=env)
            self.assertEqual((rc, out), (2, ""), err)
            self.assertIn(missing, err)
            # --fail-on new needs a baseline
            rc, out, err = kcs.run(["-A", "-o", "json", "--fail-on", "new"], env=env)
            self.assertEqual(rc, 2, err)
            self.assertIn("--baseline", err)


# ---------------------------------------------------------------------------
# 5. Manifests versus live pods
# ---------------------------------------------------------------------------

def yaml_scalar(v):
    # JSON strings are YAML double-quoted scalars; numbers, true, false
    # and null mean the same in both
    assert not isinstance(v, float), v
    return json.dumps(v)


def yaml_inline(v):
    if isinstance(v, dict) and not v:
        return "{}"
    if isinstance(v, list) and not v:
        return "[]"
    if isinstance(v, (dict, list)):
        return None
    return yaml_scalar(v)


def yaml_block(v, indent):
    """A minimal block-style YAML emitter, for this test only."""
    sp = " " * indent
    lines = []
    if isinstance(v, dict):
        for k, x in v.items():
            s = yaml_inline(x)
            if s is not None:
                lines.append("%s%s: %s" % (sp, yaml_scalar(k), s))
            else:
                lines.append("%s%s:" % (sp, yaml_scalar(k)))
                lines += yaml_block(x, indent + 2)
    else:
        for x in v:
            s = yaml_inline(x)
            if s is not None:
                lines.append("%s- %s" % (sp, s))
            else:
                sub = yaml_block(x, indent + 2)
                lines.append("%s- %s" % (sp, sub[0].lstrip()))
                lines += sub[1:]
    return lines


def yaml_stream(objs):
    """-> (text, [line of each document's first key])."""
    lines, starts = ["# generated by test_cluster7.py"], []
    for o in objs:
        lines.append("---")
        starts.append(len(lines) + 1)
        lines += yaml_block(o, 0)
    return "\n".join(lines) + "\n", starts


def workload_objects():
    objs = []
    for f, kind, av in WORKLOAD_FILES:
        objs += load_items(f, kind, av)
    return objs


class ManifestsVersusLive(unittest.TestCase):
    # expected.md: pods that differ from their workload's template
    # ml-serving/inference: Kyverno mutated the live pod (drop ALL)
    # mesh-demo/reviews: istio-init and istio-proxy were injected
    MUTATED = {("ml-serving", "Deployment", "inference")}

    @classmethod
    def setUpClass(cls):
        with Server("--git-version", "v1.32.4", data=C7) as srv:
            cls.live, _ = scan(srv, "reader")
            cls.kubectl_yaml = None
            if KUBECTL:
                home = srv.file("home")
                os.makedirs(home, exist_ok=True)
                src = srv.file("workloads.json")
                with open(src, "w") as f:
                    json.dump({"apiVersion": "v1", "kind": "List", "items": workload_objects()}, f)
                p = subprocess.run([KUBECTL, "create", "--dry-run=client", "--validate=false",
                                    "-o", "yaml", "-f", src], capture_output=True, text=True,
                                   env=dict(os.environ, HOME=home,
                                            KUBECONFIG=srv.file("kubeconfig-reader")),
                                   timeout=120)
                if p.returncode != 0:
                    raise AssertionError("kubectl create --dry-run=client: " + p.stderr)
                cls.kubectl_yaml = p.stdout
        cls.objs = workload_objects()
        cls.yaml, cls.starts = yaml_stream(cls.objs)

    def scan_stdin(self, text):
        rc, out, err = kcs.run(["-f", "-", "-o", "json"], stdin=text.encode())
        self.assertEqual(rc, 1, err)
        kcs.check_report(out)
        rep = kcs.load(out)
        self.assertEqual((rep["complete"], rep["errors"]), (True, []))
        return rep

    def compare(self, rep):
        """Container verdicts of each manifest workload against every live
        pod of that workload."""
        live = {}
        for p in self.live["pods"]:
            w = p["workload"]
            live.setdefault((p["namespace"], w["kind"], w["name"]), []).append(p)
        self.assertEqual(len(rep["pods"]), len(self.objs))
        compared = 0
        for p in rep["pods"]:
            key = (p["namespace"], p["source"]["kind"], p["source"]["name"])
            self.assertEqual((p["workload"]["kind"], p["workload"]["name"]), key[1:])
            self.assertIn(key, live, key)
            mine = {(c["type"], c["name"]): (c["index"], c["verdict"], c["reason"]) for c in p["containers"]}
            for lp in live[key]:
                theirs = {(c["type"], c["name"]): (c["index"], c["verdict"], c["reason"])
                          for c in lp["containers"]}
                # every template container runs in the pod (live pods may
                # have more: injected or ephemeral ones)
                self.assertLessEqual(set(mine), set(theirs), lp["name"])
                for ck, v in mine.items():
                    if key in self.MUTATED:
                        # the difference expected.md describes, not a
                        # difference of rules
                        self.assertEqual((v[1], theirs[ck][1:]), ("FAIL", ("PASS", "DROP_ALL")), ck)
                    else:
                        self.assertEqual(v, theirs[ck], (lp["name"], ck))
                        compared += 1
                extra = set(theirs) - set(mine)
                if key == ("mesh-demo", "Deployment", "reviews"):
                    self.assertEqual(extra, {("initContainer", "istio-init"), ("container", "istio-proxy")})
                elif lp["name"] == "web-frontend-6b7f9c8d4-fq7wd":
                    self.assertEqual(extra, {("ephemeralContainer", "debugger-kx2lp")})
                else:
                    self.assertEqual(extra, set(), lp["name"])
        self.assertGreaterEqual(compared, 20)

    def test_hand_written_yaml(self):
        rep = self.scan_stdin(self.yaml)
        self.compare(rep)
        # source: the document's first line, as the YAML says
        want = {(o["metadata"]["namespace"], o["kind"], o["metadata"]["name"]): line
                for o, line in zip(self.objs, self.starts)}
        for p in rep["pods"]:
            s = p["source"]
            self.assertEqual(s["file"], "(standard input)")
            self.assertEqual(s["line"], want[(p["namespace"], s["kind"], s["name"])], s)

    def scan_json_list(self):
        with tempfile.TemporaryDirectory(prefix="kcs-c7-json-") as d:
            path = os.path.join(d, "workloads.json")
            with open(path, "w") as f:
                json.dump({"apiVersion": "v1", "kind": "List", "items": self.objs}, f, indent=1)
            rc, out, err = kcs.run(["-f", path, "-o", "json"])
        self.assertEqual(rc, 1, err)
        kcs.check_report(out)
        return kcs.load(out), path

    def test_json_list(self):
        """The same objects as JSON (kubectl get -o json): same verdicts."""
        rep, _ = self.scan_json_list()
        self.assertEqual(kcs.verdicts(rep), kcs.verdicts(self.scan_stdin(self.yaml)))

    def test_json_list_source(self):
        """Product bug (reported): workload objects read from a JSON file
        get "source": null, while the same objects in YAML get their
        file, kind and name (shared model: source is set for YAML/JSON
        manifests of workload kinds)."""
        rep, path = self.scan_json_list()
        for p in rep["pods"]:
            self.assertIsNotNone(p["source"], p["name"])
            self.assertEqual((p["source"]["file"], p["source"]["kind"], p["source"]["name"]),
                             (path, p["workload"]["kind"], p["workload"]["name"]))

    @unittest.skipUnless(KUBECTL, "kubectl is not installed")
    def test_kubectl_yaml(self):
        rep = self.scan_stdin(self.kubectl_yaml)
        self.compare(rep)
        # the same verdicts as the hand-written stream
        mine = self.scan_stdin(self.yaml)
        self.assertEqual(kcs.verdicts(rep), kcs.verdicts(mine))


if __name__ == "__main__":
    unittest.main(verbosity=2)
