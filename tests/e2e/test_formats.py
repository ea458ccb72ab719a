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
import urllib.parse
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


CONTAINER_REASONS = ("MALFORMED", "PRIVILEGED", "ADD_NET_RAW", "ADD_ALL",
                     "DROP_PREFIXED_INEFFECTIVE", "NO_SECURITY_CONTEXT",
                     "NO_CAPABILITIES", "NO_MATCHING_DROP")
NS_CASE = "namespace admission (Pod Security)"


def wl_key(p):
    """A JSON pod's workload key: (namespace, kind, name)."""
    return (p["namespace"], p["workload"]["kind"], p["workload"]["name"])


def case_name(w):
    """A workload's JUnit testcase name: a bare pod by itself."""
    return w["name"] if w["kind"] == "Pod" else "%s/%s" % (w["kind"], w["name"])


def check_junit(test, rep, xml_bytes):
    """Every namespace a suite, every workload of it a testcase, as the JSON
    report says (verdicts, pods failing of total, failing containers,
    remediation); a namespace testcase when it FAILs or was probed."""
    root, suites = junit_suites(xml_bytes)
    test.assertEqual(set(suites) - {"kubecapscan", "kubecapscan drift"},
                     {n["name"] for n in rep["namespaces"]})
    pods_of = {}
    for p in rep["pods"]:
        pods_of.setdefault(wl_key(p), []).append(p)
    failures = 0
    for ns in rep["namespaces"]:
        with test.subTest(namespace=ns["name"]):
            suite, props = suites[ns["name"]]
            cases = suite.findall("testcase")
            ns_case = [c for c in cases if c.get("name") == NS_CASE]
            test.assertEqual(len(ns_case),
                             int(ns["verdict"] == "FAIL" or ns.get("admission") is not None))
            wls = sorted((w for w in rep["workloads"] if w["namespace"] == ns["name"]),
                         key=lambda w: (w["kind"].encode(), w["name"].encode()))
            wl_cases = [c for c in cases if c not in ns_case]
            # one testcase per workload, sorted by kind and name
            test.assertEqual([c.get("name") for c in wl_cases], [case_name(w) for w in wls])
            test.assertEqual(int(suite.get("tests")), len(cases))
            for c, w in zip(wl_cases, wls):
                test.assertEqual(c.get("classname"), ns["name"])
                outcome = [x.tag for x in c if x.tag != "system-out"]
                want = {"FAIL": ["failure"], "PASS": [], "NOT_APPLICABLE": ["skipped"],
                        "EXEMPT": ["skipped"], "UNKNOWN": ["skipped"]}[w["verdict"]]
                test.assertEqual(outcome, want, case_name(w))
                if w["verdict"] != "FAIL":
                    continue
                failures += 1
                fail = c.find("failure")
                msg, body = fail.get("message"), fail.text
                test.assertTrue(msg.startswith("%d of %d pods fail: " % (
                    w["pods"]["fail"], w["pods"]["total"])), msg)
                pods = pods_of[(w["namespace"], w["kind"], w["name"])]
                bad = [x for p in pods for x in p["containers"] if x["verdict"] == "FAIL"]
                for x in bad:  # every failing container, in words, once
                    phrase = "container '%s' (%s): %s: %s" % (
                        x["name"], x["type"], x["reason"], x["message"])
                    test.assertEqual(msg.count(phrase), 1, phrase)
                pod_reasons = [p["reason"] for p in pods if p["reason"]]
                test.assertIn(fail.get("type"), pod_reasons + [x["reason"] for x in bad])
                failing = [p["name"] for p in pods if p["verdict"] == "FAIL"]
                for name in failing[:8]:
                    test.assertIn(name, body)
                fix = w["remediation"]
                if fix and fix["kubectl"]:
                    test.assertIn("\nfix: " + fix["kubectl"], body)
                for note in (fix or {}).get("notes", []):
                    test.assertIn("\nnote: " + note, body)
            if ns_case:
                failures += ns["verdict"] == "FAIL"
            test.assertEqual(props["namespace.verdict"], ns["verdict"])
            test.assertEqual(props["control.id"], rep["control"]["id"])
            test.assertEqual(props["benchmark.version"], rep["control"]["version"])
            test.assertEqual(props["kubecapscan.version"], rep["tool"]["version"])
            test.assertEqual(props["scan.time"], rep["startedAt"])
            test.assertEqual(suite.get("timestamp"), rep["startedAt"])
    s = rep["summary"]
    test.assertEqual(failures, s["workloads"]["fail"] + s["namespaces"]["fail"])
    drift = rep.get("drift")
    want = failures + (len(drift["newFailures"]) if drift else 0)
    test.assertEqual(int(root.get("failures")), want)


def check_sarif_workloads(test, rep, run):
    """Every container result names its pod's workload, and carries the
    workload's remediation as the JSON report has it."""
    pods = {(p["namespace"], p["name"]): p for p in rep["pods"]}
    wls = {(w["namespace"], w["kind"], w["name"]): w for w in rep["workloads"]}
    for r in run["results"]:
        props = r["properties"]
        if "container" not in props or r.get("baselineState") == "absent":
            continue
        p = pods[(props["namespace"], props["pod"])]
        key = wl_key(p)
        lls = r["locations"][0]["logicalLocations"]
        test.assertEqual(lls[1], {"name": key[2], "fullyQualifiedName": "/".join(key),
                                  "kind": "resource"})
        test.assertEqual(props["workload"]["kind"], key[1])
        test.assertIn("kubecapscanWorkload/v1", r["partialFingerprints"])
        fix = wls[key]["remediation"]
        if props["verdict"] == "FAIL":
            test.assertEqual(props.get("remediation"), fix, "/".join(key))
        c = [x for x in p["containers"] if x["name"] == props["container"]][0]
        if "exposure" in c:
            test.assertEqual(props["exposure"]["effective"], c["exposure"]["effective"])
            test.assertEqual(props["exposure"]["reason"], c["exposure"]["reason"])
        else:
            test.assertNotIn("exposure", props)
        if p.get("source"):
            loc = r["locations"][0]["physicalLocation"]
            test.assertEqual(urllib.parse.unquote(loc["artifactLocation"]["uri"]),
                             ("file://" if p["source"]["file"].startswith("/") else "")
                             + p["source"]["file"])
            test.assertEqual(loc["region"]["startLine"], p["source"]["line"])


def drift_key(item):
    """A drift item (JSON) as (namespace, kind, name, container type, name)."""
    w, c = item["workload"], item["container"]
    return (item["namespace"], w and w["kind"], w and w["name"],
            c and c["type"], c and c["name"])


def check_drift(test, rep, data, table):
    """Every format carries the JSON report's drift: the same items in the
    same lists, and the same counts."""
    d = rep["drift"]
    new, fixed, unknown = d["newFailures"], d["fixed"], d["unknown"]

    # JUnit: a failing testcase per new failure, a passing one per fixed
    _, suites = junit_suites(data["junit"])
    suite, props = suites["kubecapscan drift"]
    cases = suite.findall("testcase")
    test.assertEqual(int(suite.get("tests")), len(new) + len(fixed) + len(unknown))
    test.assertEqual(int(suite.get("failures")), len(new))
    test.assertEqual(int(suite.get("skipped")), len(unknown))
    test.assertEqual(len([c for c in cases if c.find("failure") is not None]), len(new))
    test.assertEqual(props["drift.stillFailing"], str(d["stillFailing"]))
    test.assertEqual(props["drift.baseline.file"], d["baseline"]["file"])
    names = [(c.get("classname"), c.get("name")) for c in cases]
    for it in new + fixed + unknown:
        k = drift_key(it)
        if k[1] is None:
            want = (k[0], "namespace")
        elif k[3] is None:
            want = (k[0], "%s/%s pod" % (k[1], k[2]))
        else:
            want = (k[0], "%s/%s container '%s' (%s)" % (k[1], k[2], k[4], k[3]))
        test.assertIn(want, names)

    # SARIF: new / unchanged on the results, absent for fixed and gone
    run = json.loads(data["sarif"])["runs"][0]
    pods = {(p["namespace"], p["name"]): p for p in rep["pods"]}

    def result_key(r):
        props = r["properties"]
        if r["locations"][0]["logicalLocations"][0]["kind"] == "namespace":
            return (props["namespace"], None, None, None, None)
        if r.get("baselineState") == "absent":
            w = props["workload"]
            return (props["namespace"], w["kind"], w["name"],
                    props.get("containerType"), props.get("container"))
        p = pods[(props["namespace"], props["pod"])]
        if "container" in props:
            return wl_key(p) + (props["containerType"], props["container"])
        return wl_key(p) + (None, None)
    states = {}
    for r in run["results"]:
        states.setdefault(r.get("baselineState"), set()).add(result_key(r))
    test.assertEqual(states.get("new", set()), {drift_key(i) for i in new})
    test.assertEqual(states.get("absent", set()),
                     {drift_key(i) for i in fixed if i["state"] != "exempted"})
    test.assertEqual(states.get("updated", set()),
                     {drift_key(i) for i in fixed if i["state"] == "exempted"})
    test.assertEqual(len(states.get("unchanged", set())), d["stillFailing"])
    test.assertNotIn(None, {r.get("baselineState") for r in run["results"]
                            if not r.get("suppressions")})
    for r in run["results"]:
        if r.get("baselineState") == "absent":
            test.assertEqual((r["kind"], r["level"]), ("pass", "none"))
    rd = run["properties"]["drift"]
    test.assertEqual((rd["newFailures"], rd["fixed"], rd["unknown"], rd["stillFailing"]),
                     (len(new), len(fixed), len(unknown), d["stillFailing"]))
    test.assertEqual(rd["newNamespaces"], d["newNamespaces"])
    test.assertEqual(rd["removedNamespaces"], d["removedNamespaces"])

    # Prometheus: the counts
    fams = prom_families(data["prometheus"])

    def gauge(name):
        (labels, v), = fams[name]["samples"]
        return v
    test.assertEqual(gauge("kubecapscan_drift_new_failures"), len(new))
    test.assertEqual(gauge("kubecapscan_drift_fixed"), len(fixed))
    test.assertEqual(gauge("kubecapscan_drift_unknown"), len(unknown))
    test.assertEqual(gauge("kubecapscan_drift_still_failing"), d["stillFailing"])
    test.assertEqual(gauge("kubecapscan_drift_new_namespaces"), len(d["newNamespaces"]))
    test.assertEqual(gauge("kubecapscan_drift_removed_namespaces"),
                     len(d["removedNamespaces"]))

    # policy report: a result per item, in its list
    pr = json.loads(data["policyreport"])
    got = {}
    for r in pr["results"]:
        if r["rule"] != "baseline-drift":
            continue
        props = r["properties"]
        ref = r["resources"][0]
        if ref["kind"] == "Namespace":
            k = (ref["name"], None, None, None, None)
        else:
            k = (ref["namespace"], props["workloadKind"], props["workloadName"],
                 props.get("containerType"), props.get("container"))
        got.setdefault(props["driftList"], []).append((k, r["result"]))
    want = {"newFailures": [(drift_key(i), "fail") for i in new],
            "fixed": [(drift_key(i), "warn" if i["state"] == "exempted" else "pass")
                      for i in fixed],
            "unknown": [(drift_key(i), "error") for i in unknown]}
    test.assertEqual(got, {k: v for k, v in want.items() if v})
    ann = pr["metadata"]["annotations"]
    test.assertEqual(ann["kubecapscan.io/drift-new-failures"], str(len(new)))
    test.assertEqual(ann["kubecapscan.io/drift-still-failing"], str(d["stillFailing"]))

    # table: the DRIFT section and the summary line
    test.assertIn("\nDRIFT since %s" % d["baseline"]["file"], table)
    test.assertIn("\nnew failures       %d\n" % len(new), table)
    test.assertIn("\nfixed              %d\n" % len(fixed), table)
    test.assertIn("\nstill failing      %d\n" % d["stillFailing"], table)
    test.assertIn("\ndrift       %d new failure%s, %d fixed, %d unknown, %d still failing\n"
                  % (len(new), "" if len(new) == 1 else "s", len(fixed), len(unknown),
                     d["stillFailing"]), table)
    for it in new:
        test.assertIn(" (%s)\n" % it["state"], table)


def check_table_workloads(test, rep, table):
    """The table's FAILING CONTAINERS section: a line per workload with
    failing containers, its pods failing of total, and rows whose pod
    counts add up to the failing containers of its pods."""
    sec = table[table.index("FAILING CONTAINERS\n"):table.index("\nNAMESPACES\n")]
    lines = sec.splitlines()[2:]
    pods_of = {}
    for p in rep["pods"]:
        pods_of.setdefault(wl_key(p), []).append(p)
    groups, cur = {}, None
    for line in lines:
        if line.startswith("* "):
            continue
        if not line.startswith(" "):
            ns, wl, verdict, n, _, total = line.split()
            kind, name = wl.rstrip("*").split("/", 1)
            cur = (ns, kind, name)
            groups[cur] = [verdict, int(n), int(total), 0]
        elif line.startswith("  ") and not line.startswith("   "):
            groups[cur][3] += int(line.split()[-2])
    want = {}
    for w in rep["workloads"]:
        k = (w["namespace"], w["kind"], w["name"])
        bad = sum(1 for p in pods_of.get(k, []) for c in p["containers"]
                  if c["verdict"] in ("FAIL", "EXEMPT")) + \
            sum(1 for p in pods_of.get(k, []) if p["reason"])
        if bad:
            want[k] = [w["verdict"], w["pods"]["fail"], w["pods"]["total"], bad]
    test.assertEqual(groups, want)
    s = rep["summary"]["workloads"]
    test.assertIn("\nworkloads   %d total, %d pass, %d fail, %d not applicable"
                  % (s["total"], s["pass"], s["fail"], s["notApplicable"]), table)
    for w in rep["workloads"]:
        fix = w["remediation"]
        if fix and fix["kubectl"]:
            test.assertIn("\n  " + fix["kubectl"] + "\n", table)


class Formats(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.rep, cls.data, _ = run_all(DEMO)
        rc, cls.table, err = kcs.run(DEMO + ["-o", "table"])
        assert rc == 1, err

    def test_table_matches_the_json_report(self):
        check_table_workloads(self, self.rep, self.table)
        # every line fits a 100-column terminal, commands aside
        for line in self.table.splitlines():
            if "kubectl " not in line and "JSON patch" not in line:
                self.assertLessEqual(len(line), 100, line)

    def test_every_format_is_valid(self):
        kcs.check_report(json.dumps(self.rep))
        assert_valid(self, self.data)

    def test_junit_matches_the_json_report(self):
        check_junit(self, self.rep, self.data["junit"])

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
        check_sarif_workloads(self, self.rep, run)
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
        w = s["workloads"]
        self.assertEqual(by("kubecapscan_workloads", "verdict"),
                         {"pass": w["pass"], "fail": w["fail"], "unknown": w["unknown"],
                          "not_applicable": w["notApplicable"], "exempt": w["exempt"]})
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
                self.assertEqual((r["properties"]["workloadKind"], r["properties"]["workloadName"]),
                                 (pod["workload"]["kind"], pod["workload"]["name"]))
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
        # the exempt pod's workload (a ReplicaSet, its owner unread)
        case = [c for c in suites["monitoring"][0].findall("testcase")
                if c.get("name").startswith("ReplicaSet/blackbox-exporter-")][0]
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


def run_table(args, env=None):
    rc, out, err = kcs.run(list(args) + ["-o", "table"], env=env)
    assert rc in (0, 1), "exit %d: %s" % (rc, err)
    return out


class Drift(unittest.TestCase):
    """--baseline: the JSON report of the demo files is the baseline; the
    inputs then change (a workload fixed, one regressed, a namespace
    deleted, one added), and every format carries the same drift."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="kcs-drift-")
        d = cls.tmp.name
        base = os.path.join(d, "baseline.json")
        rc, out, err = kcs.run(DEMO + ["-o", "json"])
        assert rc == 1, err
        with open(base, "w") as f:
            f.write(out)
        with open(kcs.path("testdata", "demo", "pods.json")) as f:
            pods = json.load(f)
        with open(kcs.path("testdata", "demo", "namespaces.json")) as f:
            nss = json.load(f)
        fixed = regressed = 0
        for p in pods["items"]:
            name = p["metadata"]["name"]
            if name.startswith("nginx-deployment-"):  # fixed
                for c in p["spec"]["containers"]:
                    c["securityContext"] = {"capabilities": {"drop": ["ALL"]}}
                fixed += 1
            if name.startswith("payments-api-"):  # regressed
                for c in p["spec"]["containers"]:
                    c.pop("securityContext", None)
                regressed += 1
        assert fixed and regressed
        nss["items"] = [n for n in nss["items"] if n["metadata"]["name"] != "kube-public"]
        nss["items"].append({"apiVersion": "v1", "kind": "Namespace",
                             "metadata": {"name": "brand-new", "uid": "u-brand-new"}})
        args = []
        for name, obj in (("namespaces.json", nss), ("pods.json", pods)):
            path = os.path.join(d, name)
            with open(path, "w") as f:
                json.dump(obj, f)
            args += ["-f", path]
        args += ["--baseline", base]
        cls.rep, cls.data, _ = run_all(args)
        cls.table = run_table(args)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_valid(self):
        kcs.check_report(json.dumps(self.rep))
        assert_valid(self, self.data)

    def test_the_drift_is_what_changed(self):
        d = self.rep["drift"]
        self.assertEqual(d["newNamespaces"], ["brand-new"])
        self.assertEqual(d["removedNamespaces"], ["kube-public"])
        new = {drift_key(i) for i in d["newFailures"]}
        self.assertIn(("brand-new", None, None, None, None), new)
        self.assertTrue(any(k[2] and k[2].startswith("payments-api-") for k in new), new)
        fixed = {drift_key(i): i["state"] for i in d["fixed"]}
        self.assertEqual(fixed[("default", "ReplicaSet", "nginx-deployment-7c79c4bf97",
                                "container", "nginx")], "fixed")
        self.assertEqual(fixed[("kube-public", None, None, None, None)], "gone")
        self.assertGreater(d["stillFailing"], 10)

    def test_every_format_carries_the_drift(self):
        check_drift(self, self.rep, self.data, self.table)

    def test_workloads_still_match(self):
        check_junit(self, self.rep, self.data["junit"])
        check_sarif_workloads(self, self.rep, json.loads(self.data["sarif"])["runs"][0])
        check_table_workloads(self, self.rep, self.table)


class Manifests(unittest.TestCase):
    """Manifests (-f YAML): SARIF results point at the file and line of
    the object, as a URI reference (a space in the path is escaped)."""

    def test_physical_locations(self):
        with tempfile.TemporaryDirectory(prefix="kcs-man ") as d:
            args = []
            for name in ("ingress-nginx.yaml", "postgres.yaml", "backup-cronjob.yaml"):
                dst = os.path.join(d, "my " + name)
                with open(kcs.path("testdata", "manifests", name)) as f, \
                        open(dst, "w") as g:
                    g.write(f.read())
                args += ["-f", dst]
            rep, data, _ = run_all(args)
        assert_valid(self, data)
        run = json.loads(data["sarif"])["runs"][0]
        check_sarif_workloads(self, rep, run)
        phys = [r["locations"][0]["physicalLocation"] for r in run["results"]
                if "physicalLocation" in r["locations"][0]]
        self.assertEqual(len(phys), sum(1 for r in run["results"] if "pod" in r["properties"]))
        self.assertGreater(len(phys), 0)
        for ph in phys:
            self.assertTrue(ph["artifactLocation"]["uri"].startswith("file:///"))
            self.assertIn("/my%20", ph["artifactLocation"]["uri"])
        # the JUnit testcases are the manifests' objects
        check_junit(self, rep, data["junit"])


def cluster7_copy(d, change):
    """testdata/cluster7 copied to d, its pods changed by change(pods)."""
    src = kcs.path("testdata", "cluster7")
    for name in os.listdir(src):
        if name.endswith(".json"):
            with open(os.path.join(src, name)) as f:
                text = f.read()
            if name == "pods.json":
                pods = json.loads(text)
                change(pods)
                text = json.dumps(pods)
            with open(os.path.join(d, name), "w") as f:
                f.write(text)
    return d


class Cluster7(unittest.TestCase):
    """The live cluster7 fixture with -A --probe-admission --runtime-aware
    and --baseline (last run's JSON report, before a fix, a regression and
    a deleted pod): every format carries the workloads, the admission
    probe, the exposure and the drift, with the JSON report's counts."""

    ARGS = ["-A", "--probe-admission", "--runtime-aware"]

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="kcs-c7-")
        base = os.path.join(cls.tmp.name, "baseline.json")
        with Server(data=kcs.path("testdata", "cluster7")) as srv:
            rc, out, err = kcs.run(cls.ARGS + ["-o", "json"],
                                   env=srv.env(srv.file("kubeconfig-prober")))
        assert rc == 1, err
        with open(base, "w") as f:
            f.write(out)

        def change(pods):
            keep = []
            for p in pods["items"]:
                name = p["metadata"]["name"]
                if name == "debug-shell":  # deleted: gone
                    continue
                if name.startswith("cache-"):  # fixed
                    for c in p["spec"]["containers"]:
                        c["securityContext"] = {"capabilities": {"drop": ["ALL"]}}
                if name.startswith("payments-api-"):  # regressed
                    for c in p["spec"]["containers"]:
                        c.pop("securityContext", None)
                keep.append(p)
            pods["items"] = keep
        data = os.path.join(cls.tmp.name, "data")
        os.makedirs(data)
        cluster7_copy(data, change)
        args = cls.ARGS + ["--baseline", base]
        with Server(data=data) as srv:
            env = srv.env(srv.file("kubeconfig-prober"))
            cls.rep, cls.data, _ = run_all(args, env=env)
            cls.table = run_table(args, env=env)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_valid(self):
        kcs.check_report(json.dumps(self.rep))
        assert_valid(self, self.data)
        self.assertTrue(self.rep["complete"])

    def test_the_drift(self):
        d = self.rep["drift"]
        new = {drift_key(i) for i in d["newFailures"]}
        self.assertIn(("payments", "Deployment", "payments-api", "container", "api"), new)
        fixed = {drift_key(i): i["state"] for i in d["fixed"]}
        self.assertEqual(fixed[("legacy-apps", "StatefulSet", "cache", "container", "redis")],
                         "fixed")
        self.assertEqual(fixed[("default", "Pod", "debug-shell", "container", "shell")], "gone")
        check_drift(self, self.rep, self.data, self.table)

    def test_workloads(self):
        check_junit(self, self.rep, self.data["junit"])
        run = json.loads(self.data["sarif"])["runs"][0]
        check_sarif_workloads(self, self.rep, run)
        check_table_workloads(self, self.rep, self.table)
        fams = prom_families(self.data["prometheus"])
        w = self.rep["summary"]["workloads"]
        self.assertEqual({l["verdict"]: v for l, v in fams["kubecapscan_workloads"]["samples"]},
                         {"pass": w["pass"], "fail": w["fail"], "unknown": w["unknown"],
                          "not_applicable": w["notApplicable"], "exempt": w["exempt"]})
        self.assertEqual(run["properties"]["summary"], self.rep["summary"])

    def test_admission(self):
        probed = {n["name"]: n for n in self.rep["namespaces"] if n["admission"]}
        self.assertEqual(len(probed), len(self.rep["namespaces"]))
        # JUnit: a namespace testcase per probed namespace, the probes in it
        _, suites = junit_suites(self.data["junit"])
        for name, n in probed.items():
            suite, props = suites[name]
            a = n["admission"]
            self.assertEqual(props["namespace.admission.verdict"], a["verdict"])
            self.assertEqual(props["namespace.admission.reason"], a["reason"])
            self.assertEqual(props["namespace.labels.verdict"], a["labelVerdict"])
            case = [c for c in suite.findall("testcase") if c.get("name") == NS_CASE][0]
            out = case.find("system-out").text
            self.assertIn("admission probe: %s %s" % (a["verdict"], a["reason"]), out)
            self.assertIn("labels: %s %s" % (a["labelVerdict"], a["labelReason"]), out)
            for pr in a["probes"]:
                self.assertIn("probe %s (%s): %s" % (pr["name"], pr["podName"], pr["outcome"]),
                              out)
            outcome = [x.tag for x in case if x.tag != "system-out"]
            self.assertEqual(outcome, {"FAIL": ["failure"], "PASS": [],
                                       "UNKNOWN": ["skipped"]}[n["verdict"]], name)
        # SARIF: failing namespaces carry the probe
        run = json.loads(self.data["sarif"])["runs"][0]
        for r in run["results"]:
            if r["locations"][0]["logicalLocations"][0]["kind"] != "namespace" or \
                    r.get("baselineState") == "absent":
                continue
            a = probed[r["properties"]["namespace"]]["admission"]
            self.assertEqual(r["properties"]["admission"]["verdict"], a["verdict"])
            self.assertEqual(r["properties"]["admission"]["labelReason"], a["labelReason"])
            self.assertEqual(len(r["properties"]["admission"]["probes"]), len(a["probes"]))
        # Prometheus: one series per probed namespace
        fams = prom_families(self.data["prometheus"])
        self.assertEqual({l["namespace"]: (l["verdict"], l["reason"])
                          for l, v in fams["kubecapscan_admission_probe"]["samples"]},
                         {k: (n["admission"]["verdict"], n["admission"]["reason"])
                          for k, n in probed.items()})
        # policy report: the namespace results
        pr = json.loads(self.data["policyreport"])
        got = {r["resources"][0]["name"]: r["properties"] for r in pr["results"]
               if r["rule"] == "pod-security-restricted"}
        for name, n in probed.items():
            a = n["admission"]
            self.assertEqual((got[name]["admissionVerdict"], got[name]["admissionReason"],
                              got[name]["labelVerdict"]),
                             (a["verdict"], a["reason"], a["labelVerdict"]))
            for p in a["probes"]:
                self.assertEqual(got[name]["probe." + p["name"]], p["outcome"])
        # table: the probe next to the labels
        for name, n in probed.items():
            a = n["admission"]
            self.assertIn("admission probe: %s %s; labels: %s %s" % (
                a["verdict"], a["reason"], a["labelVerdict"], a["labelReason"]), self.table)
        by = {}
        for n in probed.values():
            by[n["admission"]["verdict"]] = by.get(n["admission"]["verdict"], 0) + 1
        self.assertIn("\nadmission   %d namespaces probed: %d deny NET_RAW, %d admit it, "
                      "%d unknown\n" % (len(probed), by.get("PASS", 0), by.get("FAIL", 0),
                                        by.get("UNKNOWN", 0)), self.table)

    def test_exposure(self):
        ctrs = [(p, c) for p in self.rep["pods"] for c in p["containers"]]
        self.assertTrue(all("exposure" in c for _, c in ctrs))
        fams = prom_families(self.data["prometheus"])
        want = {}
        for _, c in ctrs:
            e = c["exposure"]["effective"].lower()
            want[e] = want.get(e, 0) + 1
        got = {l["effective"]: v for l, v in fams["kubecapscan_container_exposure"]["samples"]}
        self.assertEqual({k: v for k, v in got.items() if v}, want)
        self.assertEqual(set(got), {"exposed", "warn", "unknown", "not_exposed",
                                    "not_applicable"})
        nodes = {}
        for r in self.rep["runtimes"]["nodes"]:
            nodes[r["runtime"]] = nodes.get(r["runtime"], 0) + r["nodes"]
        got = {l["runtime"]: v for l, v in fams["kubecapscan_nodes"]["samples"]}
        self.assertEqual({k: v for k, v in got.items() if v}, nodes)
        run = json.loads(self.data["sarif"])["runs"][0]
        self.assertEqual(run["properties"]["runtimes"]["nodes"], self.rep["runtimes"]["nodes"])
        # policy report: every container result has the pod's exposure
        pods = {(p["namespace"], p["name"]): p for p in self.rep["pods"]}
        n = 0
        for r in json.loads(self.data["policyreport"])["results"]:
            if r["rule"] != "drop-net-raw":
                continue
            res = r["resources"][0]
            c = [x for x in pods[(res["namespace"], res["name"])]["containers"]
                 if x["name"] == r["properties"]["container"]][0]
            self.assertEqual((r["properties"]["exposure"], r["properties"]["exposureReason"]),
                             (c["exposure"]["effective"], c["exposure"]["reason"]))
            n += 1
        self.assertEqual(n, len(ctrs))
        # JUnit and the table: each failing container's exposure and runtime
        _, suites = junit_suites(self.data["junit"])
        for p, c in ctrs:
            if c["verdict"] != "FAIL":
                continue
            rt = p["runtime"]["name"]
            line = "exposure: %s %s%s" % (c["exposure"]["effective"], c["exposure"]["reason"],
                                          " on " + rt if p["runtime"]["node"] == "KNOWN" else "")
            self.assertIn(line, self.table)
            w = p["workload"]
            case = [x for x in suites[p["namespace"]][0].findall("testcase")
                    if x.get("name") == case_name(dict(w, namespace=p["namespace"]))][0]
            self.assertIn("\n  " + line, case.find("failure").text)
        self.assertIn("exposure: WARN CRIO_DEFAULT_EXCLUDES_NET_RAW on cri-o", self.table)
        rts = ", ".join("%s %s (%d node%s)" % (r["runtime"], r["version"], r["nodes"],
                                               "" if r["nodes"] == 1 else "s")
                        for r in self.rep["runtimes"]["nodes"])
        self.assertIn("\nruntimes    %s\n" % rts, self.table)


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

    @unittest.skipIf(os.environ.get("KCS_SANITIZED"),
                     "peak RSS under AddressSanitizer measures its quarantine of "
                     "freed memory (up to 256 MB), not kubecapscan; the same test "
                     "runs on the Release build in the same CI run")
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
