"""End-to-end: the junit, sarif, prometheus and policyreport reports.

One run writes every format (-o FORMAT=PATH, repeatable); each report is
validated by tests/tools/check_formats.py (an XML parser and the JUnit
structure, the official SARIF 2.1.0 schema, the exposition grammar and
python3-prometheus-client's parser, the PolicyReport CRD schema) and
cross-checked against the JSON report of the same run. Hostile names,
the benchmark numbering, live scans' cluster identity, incomplete scans,
bounded memory and the docs are covered too."""
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import unittest
import xml.etree.ElementTree as ET

import kcs
from apiserver import Server

sys.path.insert(0, kcs.path("tests", "tools"))
import check_formats  # noqa: E402

DEMO = ["-f", kcs.path("testdata", "demo", "namespaces.json"),
        "-f", kcs.path("testdata", "demo", "pods.json")]
FORMATS = ("junit", "sarif", "prometheus", "policyreport")


def run_all(args, env=None, want_rc=1, timeout=120):
    """Run once with every format to a file and JSON on stdout; returns
    (json report, {format: bytes}, stderr)."""
    with tempfile.TemporaryDirectory(prefix="kcs-formats-") as d:
        paths = {f: os.path.join(d, "report." + f) for f in FORMATS}
        outs = []
        for f in FORMATS:
            outs += ["-o", "%s=%s" % (f, paths[f])]
        rc, out, err = kcs.run(list(args) + outs + ["-o", "json"], env=env,
                               timeout=timeout)
        assert rc == want_rc, "exit %d, want %d: %s" % (rc, want_rc, err)
        data = {}
        for f in FORMATS:
            with open(paths[f], "rb") as fh:
                data[f] = fh.read()
    return kcs.load(out), data, err


def assert_valid(test, data):
    for f in FORMATS:
        with test.subTest(format=f):
            errs = check_formats.check(f, data[f])
            test.assertEqual(errs, [], "%s report invalid:\n%s" % (f, "\n".join(errs[:20])))


def junit_suites(xml_bytes):
    root = ET.fromstring(xml_bytes)
    suites = {}
    for s in root.findall("testsuite"):
        props = {p.get("name"): p.get("value") for p in s.iter("property")}
        suites[s.get("name")] = (s, props)
    return root, suites


def prom_families(data):
    errors, fams = check_formats.prometheus_parse(data)
    assert not errors, errors
    return fams


class Formats(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.rep, cls.data, _ = run_all(DEMO)

    def test_every_format_is_valid(self):
        kcs.check_report(json.dumps(self.rep))
        assert_valid(self, self.data)

    def test_junit_matches_the_json_report(self):
        root, suites = junit_suites(self.data["junit"])
        self.assertEqual(set(suites) - {"kubecapscan"},
                         {n["name"] for n in self.rep["namespaces"]})
        for ns in self.rep["namespaces"]:
            with self.subTest(namespace=ns["name"]):
                suite, props = suites[ns["name"]]
                cases = suite.findall("testcase")
                pods = [p for p in self.rep["pods"] if p["namespace"] == ns["name"]]
                ns_case = [c for c in cases
                           if c.get("name") == "namespace admission (Pod Security)"]
                self.assertEqual(len(ns_case), ns["verdict"] == "FAIL")
                pod_cases = [c for c in cases if c not in ns_case]
                # input order within the namespace
                self.assertEqual([c.get("name") for c in pod_cases],
                                 [p["name"] for p in pods])
                for c, p in zip(pod_cases, pods):
                    self.assertEqual(c.get("classname"), ns["name"])
                    outcome = [x.tag for x in c if x.tag != "system-out"]
                    want = {"FAIL": ["failure"], "PASS": [],
                            "NOT_APPLICABLE": ["skipped"]}[p["verdict"]]
                    self.assertEqual(outcome, want, p["name"])
                    if p["verdict"] == "FAIL":
                        fail = c.find("failure")
                        bad = [x for x in p["containers"] if x["verdict"] == "FAIL"]
                        for x in bad:  # every failing container, in words
                            self.assertIn("container '%s' (%s): %s: %s"
                                          % (x["name"], x["type"], x["reason"],
                                             x["message"]), fail.get("message"))
                        self.assertEqual(fail.get("type"),
                                         p["reason"] or bad[0]["reason"])
                self.assertEqual(props["namespace.verdict"], ns["verdict"])
                self.assertEqual(props["control.id"], self.rep["control"]["id"])
                self.assertEqual(props["benchmark.version"], self.rep["control"]["version"])
                self.assertEqual(props["kubecapscan.version"], self.rep["tool"]["version"])
                self.assertEqual(props["scan.time"], self.rep["startedAt"])
                self.assertEqual(suite.get("timestamp"), self.rep["startedAt"])
        s = self.rep["summary"]
        self.assertEqual(int(root.get("failures")), s["pods"]["fail"] + s["namespaces"]["fail"])

    def test_sarif_matches_the_json_report(self):
        doc = json.loads(self.data["sarif"])
        run = doc["runs"][0]
        self.assertEqual(run["tool"]["driver"]["rules"][0]["id"],
                         "CIS-" + self.rep["control"]["id"])
        self.assertEqual(run["tool"]["driver"]["version"], self.rep["tool"]["version"])
        got = sorted(ll["fullyQualifiedName"]
                     for r in run["results"] for l in r["locations"]
                     for ll in l["logicalLocations"] if ll["kind"] == "member")
        want = sorted("%s/%s/%s" % (p["namespace"], p["name"], c["name"])
                      for p in self.rep["pods"] for c in p["containers"]
                      if c["verdict"] == "FAIL")
        self.assertEqual(got, want)
        got_ns = sorted(ll["fullyQualifiedName"]
                        for r in run["results"] for l in r["locations"]
                        for ll in l["logicalLocations"] if ll["kind"] == "namespace")
        self.assertEqual(got_ns, sorted(n["name"] for n in self.rep["namespaces"]
                                        if n["verdict"] == "FAIL"))
        for r in run["results"]:
            self.assertEqual(r["level"], "error")
            if "reason" in r["properties"] and "container" in r["properties"]:
                self.assertIn(r["properties"]["reason"], (
                    "MALFORMED", "PRIVILEGED", "ADD_NET_RAW", "ADD_ALL",
                    "DROP_PREFIXED_INEFFECTIVE", "NO_SECURITY_CONTEXT",
                    "NO_CAPABILITIES", "NO_MATCHING_DROP"))
        inv = run["invocations"][0]
        self.assertTrue(inv["executionSuccessful"])
        self.assertEqual(inv["startTimeUtc"], self.rep["startedAt"])
        self.assertEqual(run["properties"]["summary"], self.rep["summary"])

    def test_prometheus_matches_the_json_report(self):
        fams = prom_families(self.data["prometheus"])
        s = self.rep["summary"]

        def by(name, label):
            return {l[label]: v for l, v in fams[name]["samples"]}
        self.assertEqual(by("kubecapscan_pods", "verdict"),
                         {"pass": s["pods"]["pass"], "fail": s["pods"]["fail"],
                          "not_applicable": s["pods"]["notApplicable"], "exempt": 0})
        self.assertEqual(by("kubecapscan_containers", "verdict")["fail"], s["containers"]["fail"])
        self.assertEqual(by("kubecapscan_namespaces", "verdict"),
                         {"pass": s["namespaces"]["pass"], "fail": s["namespaces"]["fail"],
                          "unknown": s["namespaces"]["unknown"]})
        want = {}
        for p in self.rep["pods"]:
            for c in p["containers"]:
                if c["verdict"] == "FAIL":
                    k = (p["namespace"], c["reason"])
                    want[k] = want.get(k, 0) + 1
            if p["reason"]:
                k = (p["namespace"], p["reason"])
                want[k] = want.get(k, 0) + 1
        got = {(l["namespace"], l["reason"]): v
               for l, v in fams["kubecapscan_failing_containers"]["samples"]}
        self.assertEqual(got, want)
        info = fams["kubecapscan_info"]["samples"][0][0]
        self.assertEqual(info["control"], self.rep["control"]["id"])
        self.assertEqual(info["version"], self.rep["tool"]["version"])
        self.assertEqual(info["benchmark_version"], self.rep["control"]["version"])
        self.assertEqual(fams["kubecapscan_scan_complete"]["samples"][0][1], 1)
        self.assertIn("kubecapscan_last_success_timestamp_seconds", fams)
        # low cardinality: no pod or container name in any label
        text = self.data["prometheus"].decode()
        for p in self.rep["pods"]:
            self.assertNotIn('"%s"' % p["name"], text)

    def test_policyreport_matches_the_json_report(self):
        doc = json.loads(self.data["policyreport"])
        want = {}
        for p in self.rep["pods"]:
            for c in p["containers"]:
                want[(p["namespace"], p["name"], c["name"])] = {
                    "PASS": "pass", "FAIL": "fail", "NOT_APPLICABLE": "skip"}[c["verdict"]]
        got = {}
        for r in doc["results"]:
            self.assertEqual(r["source"], "kubecapscan")
            self.assertEqual(r["policy"], "cis-" + self.rep["control"]["id"])
            if r["rule"] == "drop-net-raw":
                res = r["resources"][0]
                self.assertEqual((res["apiVersion"], res["kind"]), ("v1", "Pod"))
                pod = [p for p in self.rep["pods"] if p["namespace"] == res["namespace"]
                       and p["name"] == res["name"]][0]
                self.assertEqual(res["uid"], pod["uid"])
                got[(res["namespace"], res["name"], r["properties"]["container"])] = r["result"]
        self.assertEqual(got, want)
        ns = {r["resources"][0]["name"]: r["result"] for r in doc["results"]
              if r["rule"] == "pod-security-restricted"}
        self.assertEqual(ns, {n["name"]: {"PASS": "pass", "FAIL": "fail",
                                          "UNKNOWN": "error"}[n["verdict"]]
                              for n in self.rep["namespaces"]})
        ann = doc["metadata"]["annotations"]
        self.assertEqual(ann["kubecapscan.io/scan-time"], self.rep["startedAt"])
        self.assertEqual(ann["kubecapscan.io/version"], self.rep["tool"]["version"])

    def test_older_benchmark_numbering(self):
        rep, data, _ = run_all(DEMO + ["--benchmark", "cis-1.6"])
        assert_valid(self, data)
        self.assertEqual(rep["control"]["id"], "5.2.7")
        _, suites = junit_suites(data["junit"])
        self.assertEqual(suites["default"][1]["control.id"], "5.2.7")
        sarif = json.loads(data["sarif"])["runs"][0]
        self.assertEqual(sarif["tool"]["driver"]["rules"][0]["id"], "CIS-5.2.7")
        self.assertEqual({r["ruleId"] for r in sarif["results"]}, {"CIS-5.2.7"})
        info = prom_families(data["prometheus"])["kubecapscan_info"]["samples"][0][0]
        self.assertEqual((info["control"], info["benchmark"]), ("5.2.7", "cis-1.6"))
        pr = json.loads(data["policyreport"])
        self.assertEqual({r["policy"] for r in pr["results"]}, {"cis-5.2.7"})
        for f in FORMATS:
            self.assertNotIn(b"5.2.8", data[f], f)

    def test_default_benchmark_is_the_newest_5_2_8(self):
        self.assertEqual(self.rep["control"]["id"], "5.2.8")
        rc, out, err = kcs.run(["--benchmark", "nope", "-f", "-"], stdin=b"")
        self.assertEqual(rc, 2)
        known = re.search(r"known: ([^)]*)\)", err).group(1).split(", ")
        self.assertEqual(known[-1], "cis-2.0")
        self.assertEqual(self.rep["control"]["version"], "v2.0")


class Exemptions(unittest.TestCase):
    """An EXEMPT container is counted apart from PASS, with its reason, in
    every format; expired and unused entries are reported."""

    def test_exemptions(self):
        with tempfile.TemporaryDirectory(prefix="kcs-ex-") as d:
            path = os.path.join(d, "exemptions.yaml")
            with open(path, "w") as f:
                f.write("- namespace: monitoring\n"
                        "  pod: blackbox-exporter-*\n"
                        "  container: blackbox-exporter\n"
                        "  reason: \"ICMP probes need raw sockets (SEC-123) <&>\"\n"
                        "  expires: 2099-01-31\n"
                        "- namespace: calico-system\n"
                        "  pod: \"*\"\n"
                        "  reason: CNI\n"
                        "  expires: 2020-01-01\n"
                        "- namespace: nowhere\n"
                        "  pod: \"*\"\n"
                        "  reason: unused\n")
            rep, data, _ = run_all(DEMO + ["--exemptions", path])
        assert_valid(self, data)
        self.assertEqual(rep["summary"]["containers"]["exempt"], 1)
        self.assertEqual(rep["summary"]["pods"]["exempt"], 1)
        why = "ICMP probes need raw sockets (SEC-123) <&>"

        _, suites = junit_suites(data["junit"])
        case = [c for c in suites["monitoring"][0].findall("testcase")
                if c.get("name").startswith("blackbox-exporter-")][0]
        sk = case.find("skipped")
        self.assertEqual(sk.get("type"), "EXEMPT")
        self.assertIn("ADD_NET_RAW", sk.get("message"))
        self.assertIn("EXEMPT by the exemptions file, line 1, until 2099-01-31: " + why,
                      sk.get("message"))
        notes = suites["kubecapscan"][0].find("system-out").text
        self.assertIn("line 6 of %s expired on 2020-01-01" % path, notes)
        self.assertIn("line 10 of %s matched nothing" % path, notes)

        run = json.loads(data["sarif"])["runs"][0]
        sup = [r for r in run["results"] if r.get("suppressions")]
        self.assertEqual(len(sup), 1)
        self.assertEqual(sup[0]["suppressions"][0]["justification"], why)
        self.assertEqual(sup[0]["properties"]["exemption"]["line"], 1)
        self.assertEqual(run["properties"]["summary"], rep["summary"])
        texts = [n["message"]["text"] for n in
                 run["invocations"][0]["toolExecutionNotifications"]]
        self.assertIn("exemption at line 6 expired on 2020-01-01 and no longer applies", texts)
        self.assertIn("exemption at line 10 matched nothing", texts)

        fams = prom_families(data["prometheus"])
        by = {l["verdict"]: v for l, v in fams["kubecapscan_containers"]["samples"]}
        self.assertEqual((by["exempt"], by["fail"]), (1, rep["summary"]["containers"]["fail"]))
        self.assertEqual(fams["kubecapscan_exempt_containers"]["samples"],
                         [({"namespace": "monitoring"}, 1)])
        self.assertEqual({l["state"]: v for l, v in fams["kubecapscan_exemptions"]["samples"]},
                         {"active": 1, "expired": 1, "unused": 1})

        pr = json.loads(data["policyreport"])
        warn = [r for r in pr["results"] if r["result"] == "warn"]
        self.assertEqual(len(warn), 1)
        self.assertFalse(warn[0]["scored"])
        self.assertEqual(warn[0]["properties"]["exemptionReason"], why)
        self.assertEqual(warn[0]["properties"]["exemptionExpires"], "2099-01-31")
        self.assertEqual(pr["summary"]["warn"], 1)


HOSTILE_NS = "ns\u0000\"<&>'\n\\x\t\u00e9"
HOSTILE_POD = "pod\r\n\"/><x a='1'>&amp;\u0001\u001b[31m\\\u2028\ufffe"
HOSTILE_CTR = "c]]><!--\"\u0000"


def junit_escaped(s):
    """A name as the JUnit writer writes it, once the XML is parsed: a
    backslash doubled, control characters and the non-characters U+FFFE
    and U+FFFF as \\xHH of their UTF-8 bytes (XML cannot carry them);
    tab, newline and carriage return survive as character references."""
    out = []
    for c in s:
        if c == "\\":
            out.append("\\\\")
        elif (ord(c) < 0x20 and c not in "\t\n\r") or ord(c) == 0x7f \
                or c in "\ufffe\uffff":
            out.append("".join("\\x%02x" % b for b in c.encode()))
        else:
            out.append(c)
    return "".join(out)


class Hostile(unittest.TestCase):
    """Names that try to break out of every format."""

    @classmethod
    def setUpClass(cls):
        objs = {"kind": "List", "items": [
            {"kind": "Namespace", "metadata": {"name": HOSTILE_NS, "uid": "u-ns"}},
            {"kind": "Pod", "metadata": {"name": HOSTILE_POD, "namespace": HOSTILE_NS,
                                         "uid": "u-pod"},
             "spec": {"containers": [{"name": HOSTILE_CTR}]}}]}
        fd, cls.path = tempfile.mkstemp(suffix=".json")
        with os.fdopen(fd, "w") as f:
            json.dump(objs, f)
        cls.rep, cls.data, _ = run_all(["-f", cls.path, "--cluster-name", "a\"b\\c\nd"])

    @classmethod
    def tearDownClass(cls):
        os.unlink(cls.path)

    def test_valid(self):
        self.assertEqual(self.rep["pods"][0]["name"], HOSTILE_POD)
        assert_valid(self, self.data)

    def test_junit_escapes(self):
        _, suites = junit_suites(self.data["junit"])
        esc = junit_escaped
        ns = esc(HOSTILE_NS)
        self.assertIn(ns, suites)
        case = [c for c in suites[ns][0].findall("testcase")
                if c.get("name") != "namespace admission (Pod Security)"][0]
        # U+FFFE is no XML character: its UTF-8 bytes are escaped one by one
        self.assertEqual(case.get("name"), esc(HOSTILE_POD))
        self.assertTrue(case.get("name").endswith("\\xef\\xbf\\xbe"))
        self.assertIn("container '%s'" % esc(HOSTILE_CTR), case.find("failure").get("message"))
        self.assertEqual(suites[ns][1]["cluster.name"], "a\"b\\\\c\nd")

    def test_json_formats_keep_the_names(self):
        sarif = json.loads(self.data["sarif"])["runs"][0]
        r = sarif["results"][0]
        self.assertEqual(r["properties"]["pod"], HOSTILE_POD)
        self.assertEqual(r["properties"]["container"], HOSTILE_CTR)
        self.assertEqual(r["locations"][0]["logicalLocations"][0]["fullyQualifiedName"],
                         "/".join((HOSTILE_NS, HOSTILE_POD, HOSTILE_CTR)))
        self.assertEqual(sarif["automationDetails"]["id"], "kubecapscan/a\"b\\c\nd/")
        pr = json.loads(self.data["policyreport"])
        self.assertEqual(pr["results"][0]["resources"][0]["name"], HOSTILE_POD)
        self.assertEqual(pr["results"][0]["resources"][0]["namespace"], HOSTILE_NS)
        self.assertEqual(pr["metadata"]["annotations"]["kubecapscan.io/cluster-name"],
                         "a\"b\\c\nd")

    def test_prometheus_labels(self):
        fams = prom_families(self.data["prometheus"])
        (labels, v), = fams["kubecapscan_failing_pods"]["samples"]
        self.assertEqual(labels, {"cluster": "a\"b\\c\nd", "namespace": HOSTILE_NS})
        self.assertEqual(v, 1)
        self.assertNotIn(HOSTILE_POD.encode(), self.data["prometheus"])


class Live(unittest.TestCase):
    """A live scan carries the cluster's identity in every format."""

    def test_identity(self):
        with open(kcs.path("testdata", "demo", "namespaces.json")) as f:
            ks_uid = [n for n in json.load(f)["items"]
                      if n["metadata"]["name"] == "kube-system"][0]["metadata"]["uid"]
        with Server() as srv:
            rep, data, _ = run_all(["-A", "--cluster-name", "prod-eu"],
                                   env=srv.env(srv.file("kubeconfig")))
            url = srv.url
        assert_valid(self, data)
        src = rep["source"]
        self.assertEqual((src["server"], src["serverVersion"], src["clusterId"]),
                         (url, "v1.31.4", ks_uid))
        want = {"server": url, "serverVersion": "v1.31.4", "clusterId": ks_uid,
                "context": src["context"], "name": "prod-eu"}
        self.assertTrue(src["context"])

        _, suites = junit_suites(data["junit"])
        for name, (suite, props) in suites.items():
            self.assertEqual(suite.get("hostname"), "prod-eu")
            self.assertEqual({k: props.get("cluster." + k) for k in
                              ("server", "serverVersion", "context", "name")},
                             {k: want[k] for k in ("server", "serverVersion", "context", "name")})
            self.assertEqual(props["cluster.id"], ks_uid)
            self.assertEqual(props["cluster.source"], "cluster")
        cl = json.loads(data["sarif"])["runs"][0]["properties"]["cluster"]
        self.assertEqual({k: cl[k] for k in want}, want)
        info = prom_families(data["prometheus"])["kubecapscan_info"]["samples"][0][0]
        self.assertEqual((info["cluster"], info["server"], info["context"],
                          info["server_version"], info["cluster_id"], info["source"]),
                         ("prod-eu", url, src["context"], "v1.31.4", ks_uid, "cluster"))
        ann = json.loads(data["policyreport"])["metadata"]["annotations"]
        self.assertEqual((ann["kubecapscan.io/cluster-name"], ann["kubecapscan.io/server"],
                          ann["kubecapscan.io/context"], ann["kubecapscan.io/server-version"],
                          ann["kubecapscan.io/cluster-id"]),
                         ("prod-eu", url, src["context"], "v1.31.4", ks_uid))

    def test_incomplete_scan_never_looks_clean(self):
        with Server("--fault", "path=^/api/v1/pods$,status=500,times=0") as srv:
            rep, data, _ = run_all(["-A"], env=srv.env(srv.file("kubeconfig")),
                                   want_rc=3)
        self.assertFalse(rep["complete"])
        assert_valid(self, data)
        root, suites = junit_suites(data["junit"])
        self.assertEqual(root.get("errors"), "1")
        err = suites["kubecapscan"][0].find("testcase").find("error")
        self.assertEqual(err.get("type"), "INCOMPLETE")
        self.assertIn("500", err.get("message"))
        run = json.loads(data["sarif"])["runs"][0]
        self.assertFalse(run["invocations"][0]["executionSuccessful"])
        self.assertEqual(run["invocations"][0]["toolExecutionNotifications"][0]["level"], "error")
        fams = prom_families(data["prometheus"])
        self.assertEqual(fams["kubecapscan_scan_complete"]["samples"][0][1], 0)
        self.assertNotIn("kubecapscan_last_success_timestamp_seconds", fams)
        pr = json.loads(data["policyreport"])
        self.assertGreaterEqual(pr["summary"]["error"], 1)
        self.assertIn("scan", {r["rule"] for r in pr["results"]})


def make_pods(path, n_pods, n_ns):
    """A PodList of n_pods pods spread round-robin over n_ns namespaces."""
    with open(path, "w") as f:
        f.write('{"kind":"PodList","items":[')
        for i in range(n_pods):
            f.write("%s{\"metadata\":{\"name\":\"pod-%07d\",\"namespace\":\"ns-%04d\"},"
                    "\"spec\":{\"containers\":[{\"name\":\"c\"},{\"name\":\"d\","
                    "\"securityContext\":{\"capabilities\":{\"drop\":[\"ALL\"]}}}]}}"
                    % ("," if i else "", i, i % n_ns))
        f.write("]}")


def max_rss_kib(args):
    """Peak RSS of one kubecapscan run, via a child that reports it."""
    code = ("import resource,subprocess,sys;"
            "r=subprocess.run(sys.argv[1:],stdout=subprocess.DEVNULL,stderr=subprocess.DEVNULL);"
            "print(r.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    p = subprocess.run([sys.executable, "-c", code, kcs.BIN] + args,
                       capture_output=True, text=True, timeout=300)
    rc, rss = p.stdout.split()
    return int(rc), int(rss)


class Memory(unittest.TestCase):
    """The grouping formats spool to disk: 10x the pods, not 10x the memory."""

    def test_memory_does_not_grow_with_pods(self):
        with tempfile.TemporaryDirectory(prefix="kcs-mem-") as d:
            small, big = os.path.join(d, "small.json"), os.path.join(d, "big.json")
            make_pods(small, 5000, 200)
            make_pods(big, 50000, 200)
            rss = {}
            for name, path in (("small", small), ("big", big)):
                args = ["-f", path]
                for f in FORMATS:
                    if f != "policyreport":  # one result per container: big by design
                        args += ["-o", "%s=%s" % (f, os.path.join(d, name + "." + f))]
                args += ["-o", "table=" + os.path.join(d, name + ".txt")]
                rc, rss[name] = max_rss_kib(args)
                self.assertEqual(rc, 1)
            with open(os.path.join(d, "big.junit"), "rb") as fh:
                big_junit = fh.read()
        self.assertEqual(check_formats.check("junit", big_junit), [])
        # namespaces not in the input are UNKNOWN: no admission testcase
        self.assertEqual(big_junit.count(b"<testcase "), 50000 + 1)
        self.assertEqual(big_junit.count(b"<testsuite "), 200 + 1)
        # 45,000 more pods (about 4 MB of spool): a bounded writer stays
        # within a few hundred KiB of the small run
        self.assertLess(rss["big"] - rss["small"], 2048,
                        "peak RSS %d KiB for 50,000 pods vs %d KiB for 5,000"
                        % (rss["big"], rss["small"]))


class Docs(unittest.TestCase):
    """--help, README.md and the man page name every format."""

    def test_every_format_is_documented(self):
        rc, helptext, _ = kcs.run(["--help"])
        self.assertEqual(rc, 0)
        rc, _, err = kcs.run(["-o", "nope", "-f", "-"], stdin=b"")
        self.assertEqual(rc, 2)
        names = re.search(r"unknown output format 'nope' \(use ([^)]*)\)", err).group(1)
        formats = names.split(", ")
        self.assertEqual(formats, ["table", "json"] + list(FORMATS))
        with open(kcs.path("README.md")) as f:
            readme = f.read()
        with open(kcs.path("man", "kubecapscan.1")) as f:
            man = f.read()
        reports = readme[readme.index("\n## Reports"):]
        reports = reports[:reports.index("\n## ", 1)]
        oline = [l for l in helptext.splitlines() if "--output FORMAT" in l][0]
        for f in formats:
            with self.subTest(format=f):
                self.assertTrue("`-o %s" % f in reports,
                                "`-o %s` missing from README.md's Reports section" % f)
                self.assertTrue(f in oline, "%s missing from --help's -o line" % f)
                self.assertTrue(re.search(r"\n\.B %s\n" % f, man),
                                "%s missing from the man page's -o entry" % f)

    def test_checker_self_test(self):
        p = subprocess.run([sys.executable, kcs.path("tests", "tools", "check_formats.py"),
                            "--self-test"], capture_output=True, text=True)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)


if __name__ == "__main__":
    if check_formats.prometheus_client_parser() is None:
        print("note: python3-prometheus-client is not installed: the Prometheus "
              "reports are checked with our own grammar only", file=sys.stderr)
    unittest.main(verbosity=2)
