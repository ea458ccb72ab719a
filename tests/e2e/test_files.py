"""End-to-end tests of offline scans (-f) with the built binary."""
import json
import os
import stat
import subprocess
import tempfile
import textwrap
import unittest

import kcs

DEMO = [kcs.path("testdata", "demo", "namespaces.json"),
        kcs.path("testdata", "demo", "pods.json")]


class DemoCluster(unittest.TestCase):
    def test_json_matches_hand_derived_oracle(self):
        rc, out, err = kcs.run(["-f", DEMO[0], "-f", DEMO[1], "-o", "json"])
        self.assertEqual(rc, 1, err)  # the demo has failures
        kcs.check_report(out)
        got = kcs.load(out)
        with open(kcs.path("testdata", "demo", "expected.json")) as f:
            want = json.load(f)
        g_pods, g_ns, g_sum = kcs.verdicts(got)
        w_pods, w_ns, w_sum = kcs.verdicts(want)
        self.assertEqual(len(g_pods), len(w_pods))
        for g, w in zip(g_pods, w_pods):
            self.assertEqual(g, w)
        self.assertEqual(g_ns, w_ns)
        self.assertEqual(g_sum, w_sum)
        self.assertEqual(got["source"], {"kind": "file", "clusterName": None,
                                         "files": DEMO, "excludeNamespaces": []})
        self.assertTrue(got["complete"])
        self.assertEqual(got["errors"], [])

    def test_file_order_does_not_matter(self):
        rc1, a, _ = kcs.run(["-f", DEMO[0], "-f", DEMO[1], "-o", "json"])
        rc2, b, _ = kcs.run(["-f", DEMO[1], "-f", DEMO[0], "-o", "json"])
        self.assertEqual((rc1, rc2), (1, 1))
        self.assertEqual(kcs.verdicts(kcs.load(a)), kcs.verdicts(kcs.load(b)))

    def test_stdin(self):
        with open(DEMO[1], "rb") as f:
            rc, out, err = kcs.run(["-f", "-", "-o", "json"], stdin=f.read())
        self.assertEqual(rc, 1, err)
        rep = kcs.load(out)
        kcs.check_report(out)
        self.assertEqual(rep["summary"]["pods"]["total"], 44)
        # no namespace objects: every namespace is UNKNOWN
        self.assertTrue(all(n["verdict"] == "UNKNOWN" for n in rep["namespaces"]))

    def test_table_lists_failing_containers_then_namespaces_then_summary(self):
        rc, out, err = kcs.run(["-f", DEMO[0], "-f", DEMO[1]])
        self.assertEqual(rc, 1, err)
        i_fail = out.index("FAILING CONTAINERS")
        i_ns = out.index("NAMESPACES")
        i_sum = out.index("SUMMARY")
        self.assertLess(i_fail, i_ns)
        self.assertLess(i_ns, i_sum)
        self.assertIn("kube-proxy", out)
        self.assertIn("privileged: true grants every capability", out)
        self.assertIn("pods        44 total, 20 pass, 21 fail, 3 not applicable", out)
        self.assertIn("result      FAIL", out)
        # passing containers are not listed as failing rows
        fail_rows = out[i_fail:i_ns]
        self.assertNotIn("coredns", fail_rows)

    def test_all_pass_exits_zero(self):
        pod = {"apiVersion": "v1", "kind": "Pod",
               "metadata": {"name": "p", "namespace": "ok"},
               "spec": {"containers": [{"name": "c", "securityContext": {
                   "capabilities": {"drop": ["ALL"]}}}]}}
        ns = {"apiVersion": "v1", "kind": "Namespace", "metadata": {
            "name": "ok", "labels": {
                "pod-security.kubernetes.io/enforce": "restricted"}}}
        lst = {"apiVersion": "v1", "kind": "List", "items": [ns, pod]}
        rc, out, err = kcs.run(["-f", "-"], stdin=json.dumps(lst).encode())
        self.assertEqual(rc, 0, out + err)
        self.assertIn("result      PASS", out)

    def test_namespace_fail_alone_exits_one(self):
        ns = {"apiVersion": "v1", "kind": "Namespace", "metadata": {
            "name": "b", "labels": {
                "pod-security.kubernetes.io/enforce": "baseline"}}}
        rc, out, err = kcs.run(["-f", "-", "-o", "json"],
                               stdin=json.dumps(ns).encode())
        self.assertEqual(rc, 1, err)
        self.assertEqual(kcs.load(out)["namespaces"][0]["reason"],
                         "ENFORCE_BASELINE")

    def test_psa_default_enforce(self):
        ns = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "u"}}
        rc, out, _ = kcs.run(["-f", "-", "-o", "json",
                              "--psa-default-enforce", "restricted:latest"],
                             stdin=json.dumps(ns).encode())
        self.assertEqual(rc, 0)
        n = kcs.load(out)["namespaces"][0]
        self.assertEqual((n["verdict"], n["reason"], n["flags"]),
                         ("PASS", "ENFORCE_RESTRICTED", ["DEFAULTED"]))


class ReaderFixtures(unittest.TestCase):
    """Every reader fixture through the binary, against its oracle."""

    def test_fixtures(self):
        d = kcs.path("testdata", "reader")
        names = sorted(n for n in os.listdir(d)
                       if n.endswith(".json") and not n.endswith(".expected.json"))
        self.assertGreater(len(names), 10)
        for name in names:
            with self.subTest(fixture=name):
                with open(os.path.join(d, name[:-5] + ".expected.json")) as f:
                    want = json.load(f)
                rc, out, err = kcs.run(["-f", os.path.join(d, name), "-o", "json"])
                if "error" in want:
                    self.assertEqual(rc, 2, err)
                    self.assertIn(name, err)  # the message names the file
                    rep = kcs.load(out)      # stdout still holds valid JSON
                    self.assertFalse(rep["complete"])
                    self.assertTrue(rep["errors"])
                    kcs.check_report(out)
                    continue
                self.assertIn(rc, (0, 1), err)
                kcs.check_report(out)
                rep = kcs.load(out)
                g_pods, g_ns, g_sum = kcs.verdicts(rep)
                w_pods, w_ns, w_sum = kcs.verdicts(want)
                self.assertEqual(g_pods, w_pods)
                if "namespaces" in want:
                    present = [n for n in g_ns if n[1] != "UNKNOWN"] \
                        if not any(n[1] == "UNKNOWN" for n in w_ns) else g_ns
                    self.assertEqual(present, w_ns)
                if "skippedKinds" in want:
                    self.assertIn("skipped", err)
                    for kind in want["skippedKinds"]:
                        self.assertIn(kind, err)
                if w_sum:
                    self.assertEqual(g_sum, w_sum)


class Errors(unittest.TestCase):
    def test_missing_file(self):
        rc, out, err = kcs.run(["-f", "/nonexistent/x.json"])
        self.assertEqual(rc, 2)
        self.assertIn("/nonexistent/x.json", err)

    def test_invalid_json_names_offset_and_never_echoes_input(self):
        secret = "hunter2-SECRET-VALUE"
        doc = '{"kind":"PodList","items":[{"spec":{"containers":[{"env":[{"value":"%s"' \
              % secret + ',]}]}}]}'
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
            f.write(doc)
        try:
            rc, out, err = kcs.run(["-f", f.name, "-o", "json"])
        finally:
            os.unlink(f.name)
        self.assertEqual(rc, 2)
        self.assertIn(f.name, err)
        self.assertIn("byte", err)
        self.assertNotIn(secret, err)
        self.assertNotIn(secret, out)

    def test_usage_errors(self):
        for args in (["-o", "yaml", "-f", DEMO[0]], ["--bogus"], ["-f"],
                     ["-f", DEMO[0], "-A"], ["-A", "-n", "x"],
                     ["--psa-default-enforce", "strict", "-f", DEMO[0]],
                     ["--request-timeout", "soon"], ["--chunk-size", "-1"],
                     ["--exec-plugins", "maybe"], ["stray"]):
            with self.subTest(args=args):
                rc, out, err = kcs.run(args)
                self.assertEqual(rc, 2, err)
                self.assertTrue(err.startswith("kubecapscan: "), err)

    def test_help_and_version(self):
        rc, out, _ = kcs.run(["--help"])
        self.assertEqual(rc, 0)
        self.assertIn("Exit status:", out)
        rc, out, _ = kcs.run(["--version"])
        self.assertEqual(rc, 0)
        self.assertRegex(out, r"^kubecapscan \d+\.\d+\.\d+\n$")


class OutputFile(unittest.TestCase):
    def test_atomic_write_and_untouched_on_error(self):
        with tempfile.TemporaryDirectory() as d:
            target = os.path.join(d, "report.json")
            rc, out, err = kcs.run(["-f", DEMO[0], "-f", DEMO[1], "-o", "json",
                                    "--output-file", target])
            self.assertEqual(rc, 1, err)
            self.assertEqual(out, "")
            kcs.check_report(target)
            mode = stat.S_IMODE(os.stat(target).st_mode)
            self.assertEqual(mode & 0o044, 0o044 & ~_umask())
            with open(target, "rb") as f:
                before = f.read()
            rc, out, err = kcs.run(["-f", kcs.path("testdata", "reader",
                                                   "invalid-truncated.json"),
                                    "-o", "json", "--output-file", target])
            self.assertEqual(rc, 2)
            with open(target, "rb") as f:
                self.assertEqual(f.read(), before)
            self.assertEqual(sorted(os.listdir(d)), ["report.json"])

    def test_devices_and_fifos_are_written_in_place(self):
        """--output-file /dev/null must not rename a temporary file over the
        device (as root that replaces /dev/null with a regular file)."""
        rc, out, err = kcs.run(["-f", DEMO[0], "-f", DEMO[1], "-o", "json",
                                "--output-file", "/dev/null"])
        self.assertEqual(rc, 1, err)
        self.assertTrue(stat.S_ISCHR(os.stat("/dev/null").st_mode),
                        "/dev/null is no longer a device")
        self.assertEqual(os.listdir("/dev").count(".null"), 0)
        with tempfile.TemporaryDirectory() as d:
            fifo = os.path.join(d, "report.fifo")
            os.mkfifo(fifo)
            p = subprocess.Popen([kcs.BIN, "-f", DEMO[0], "-f", DEMO[1],
                                  "-o", "json", "--output-file", fifo],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            with open(fifo, "rb") as f:
                data = f.read()
            p.wait(60)
            self.assertEqual(p.returncode, 1, p.stderr.read())
            kcs.check_report(data.decode())
            self.assertTrue(stat.S_ISFIFO(os.stat(fifo).st_mode))
            self.assertEqual(sorted(os.listdir(d)), ["report.fifo"])
        rc, out, err = kcs.run(["-f", DEMO[0], "--output-file", "/tmp"])
        self.assertEqual(rc, 2, err)
        self.assertIn("is a directory", err)

    def test_unwritable_directory(self):
        rc, out, err = kcs.run(["-f", DEMO[0], "--output-file",
                                "/nonexistent-dir/r.json"])
        self.assertEqual(rc, 4)
        self.assertIn("/nonexistent-dir/r.json", err)

    def test_full_disk_is_an_error(self):
        if not os.path.exists("/dev/full"):
            self.skipTest("no /dev/full on this system")
        with open("/dev/full", "w") as full:
            p = subprocess.run([kcs.BIN, "-f", DEMO[1], "-o", "json"],
                               stdout=full, stderr=subprocess.PIPE)
        self.assertEqual(p.returncode, 4, p.stderr)
        self.assertIn(b"cannot write", p.stderr)


class Options(unittest.TestCase):
    def test_several_reports_in_one_run(self):
        with tempfile.TemporaryDirectory() as d:
            j = os.path.join(d, "r.json")
            rc, out, err = kcs.run(["-f", DEMO[0], "-f", DEMO[1], "-o", "table",
                                    "-o", "json=" + j])
            self.assertEqual(rc, 1, err)
            self.assertIn("FAILING CONTAINERS", out)  # the table on stdout
            kcs.check_report(j)
            with open(j) as f:
                self.assertEqual(json.load(f)["summary"]["pods"]["total"], 44)

    def test_reports_untouched_when_input_fails(self):
        with tempfile.TemporaryDirectory() as d:
            j, t = os.path.join(d, "r.json"), os.path.join(d, "r.txt")
            for p in (j, t):
                with open(p, "w") as f:
                    f.write("old")
            rc, _, _ = kcs.run(["-f", kcs.path("testdata", "reader",
                                               "invalid-truncated.json"),
                                "-o", "json=" + j, "-o", "table=" + t])
            self.assertEqual(rc, 2)
            for p in (j, t):
                with open(p) as f:
                    self.assertEqual(f.read(), "old")
            self.assertEqual(sorted(os.listdir(d)), ["r.json", "r.txt"])

    def test_exit_zero(self):
        rc, out, err = kcs.run(["-f", DEMO[1], "--exit-zero"])
        self.assertEqual(rc, 0, err)
        self.assertIn("result      FAIL", out)  # findings are still reported
        rc, _, _ = kcs.run(["-f", "/nonexistent", "--exit-zero"])
        self.assertEqual(rc, 2)  # errors still fail

    def test_benchmark_and_cluster_name(self):
        rc, out, err = kcs.run(["-f", DEMO[1], "-o", "json", "--benchmark",
                                "cis-1.6", "--cluster-name", "prod-eu"])
        self.assertEqual(rc, 1, err)
        kcs.check_report(out)
        rep = kcs.load(out)
        self.assertEqual(rep["control"]["id"], "5.2.7")
        self.assertEqual(rep["control"]["version"], "v1.6.0")
        self.assertEqual(rep["source"]["clusterName"], "prod-eu")
        rc, out, err = kcs.run(["-f", DEMO[1], "--cluster-name", "prod-eu"])
        self.assertIn("control 5.2.8) cluster prod-eu", out)


class Filters(unittest.TestCase):
    def test_exclude_namespace(self):
        rc, out, err = kcs.run(["-f", DEMO[0], "-f", DEMO[1], "-o", "json",
                                "--exclude-namespace", "kube-*",
                                "--exclude-namespace", "calico-system"])
        self.assertEqual(rc, 1, err)
        kcs.check_report(out)
        rep = kcs.load(out)
        names = {n["name"] for n in rep["namespaces"]}
        self.assertFalse(any(n.startswith("kube-") for n in names))
        self.assertNotIn("calico-system", names)
        self.assertIn("default", names)
        self.assertFalse([p for p in rep["pods"]
                          if p["namespace"].startswith("kube-")
                          or p["namespace"] == "calico-system"])
        left_out = 44 - rep["summary"]["pods"]["total"]
        self.assertEqual(left_out, 8 + 4)  # kube-system 8, calico-system 4
        self.assertIn("left out 12 pods", " ".join(rep["warnings"]))
        self.assertEqual(rep["source"]["excludeNamespaces"],
                         ["kube-*", "calico-system"])

    def test_selectors_need_a_live_scan(self):
        for opt in (["-l", "app=web"], ["--field-selector", "status.phase=Running"]):
            rc, out, err = kcs.run(["-f", DEMO[1]] + opt)
            self.assertEqual(rc, 2, err)
            self.assertIn("live scans", err)


def _pod(ns, name, caps=None, annotation=None, containers=("app",)):
    meta = {"name": name, "namespace": ns}
    if annotation is not None:
        meta["annotations"] = {"kubecapscan.io/exempt-net-raw": annotation}
    ctrs = []
    for c in containers:
        ctr = {"name": c}
        if caps is not None:
            ctr["securityContext"] = {"capabilities": caps}
        ctrs.append(ctr)
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta,
            "spec": {"containers": ctrs}}


def _ns(name):
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {
        "name": name, "labels": {"pod-security.kubernetes.io/enforce": "restricted"}}}


class Exemptions(unittest.TestCase):
    def scan(self, items, *args):
        doc = json.dumps({"apiVersion": "v1", "kind": "List", "items": items})
        rc, out, err = kcs.run(["-f", "-", "-o", "json"] + list(args),
                               stdin=doc.encode())
        if out:
            kcs.check_report(out)
        return rc, (kcs.load(out) if out else None), err

    def write(self, d, text):
        p = os.path.join(d, "exemptions.yaml")
        with open(p, "w") as f:
            f.write(text)
        return p

    def test_file_exemption_applies_expires_and_is_audited(self):
        items = [_ns("mon"), _pod("mon", "probe-1", {"add": ["NET_RAW"]},
                                  containers=("probe", "sidecar")),
                 _ns("app"), _pod("app", "web", {"drop": ["ALL"]})]
        with tempfile.TemporaryDirectory() as d:
            ex = self.write(d, textwrap.dedent("""\
                - namespace: mon
                  pod: probe-*
                  container: probe
                  reason: ICMP probes (SEC-1)
                  expires: 2999-12-31
                - namespace: app
                  pod: "*"
                  reason: expired long ago
                  expires: 2001-02-03
                - namespace: nowhere
                  pod: "*"
                  reason: matches nothing
                """))
            rc, rep, err = self.scan(items, "--exemptions", ex)
            self.assertEqual(rc, 1, err)  # the sidecar still FAILs
            pod = rep["pods"][0]
            self.assertEqual(pod["verdict"], "FAIL")
            probe, sidecar = pod["containers"]
            self.assertEqual((probe["verdict"], probe["reason"]), ("EXEMPT", "ADD_NET_RAW"))
            self.assertEqual(probe["exemption"], {"source": "file",
                                                  "reason": "ICMP probes (SEC-1)",
                                                  "expires": "2999-12-31", "line": 1})
            self.assertEqual(sidecar["verdict"], "FAIL")
            self.assertIsNone(sidecar["exemption"])
            status = [(e["line"], e["status"], e["matches"])
                      for e in rep["exemptions"]["entries"]]
            self.assertEqual(status, [(1, "active", 1), (6, "expired", 0),
                                      (10, "unused", 0)])
            self.assertEqual(rep["summary"]["containers"]["exempt"], 1)
            # the same with every container exempted: nothing FAILs, exit 0
            ex2 = self.write(d, "- {namespace: mon, pod: probe-1, reason: all of it}\n")
            rc, rep, err = self.scan(items, "--exemptions", ex2)
            self.assertEqual(rc, 0, err)
            self.assertEqual(rep["pods"][0]["verdict"], "EXEMPT")
            self.assertEqual(rep["summary"]["pods"]["exempt"], 1)

    def test_annotations_only_when_allowed(self):
        items = [_ns("mon"),
                 _pod("mon", "a", {"add": ["NET_RAW"]}, "pinger; containers=app"),
                 _pod("mon", "b", None, "old;expires=2001-01-01"),
                 _pod("mon", "c", None, "   "),
                 _pod("mon", "d", None, "no scope; color=blue")]
        rc, rep, err = self.scan(items)
        self.assertEqual(rc, 1)
        self.assertEqual(rep["exemptions"]["annotations"]["ignored"], 4)
        self.assertFalse([p for p in rep["pods"] if p["verdict"] == "EXEMPT"])
        rc, rep, err = self.scan(items, "--allow-annotation-exemptions")
        verdicts = {p["name"]: p["verdict"] for p in rep["pods"]}
        self.assertEqual(verdicts, {"a": "EXEMPT", "b": "FAIL", "c": "FAIL", "d": "FAIL"})
        self.assertEqual(rep["pods"][0]["containers"][0]["exemption"],
                         {"source": "annotation", "reason": "pinger",
                          "expires": None, "line": None})
        a = rep["exemptions"]["annotations"]
        self.assertEqual((a["applied"], a["expired"], a["invalid"]), (1, 1, 2))

    def test_table_shows_exemptions(self):
        items = [_ns("mon"), _pod("mon", "p", {"add": ["NET_RAW"]})]
        with tempfile.TemporaryDirectory() as d:
            ex = self.write(d, "- {namespace: mon, pod: p, reason: needed, expires: 2999-01-01}\n"
                               "- {namespace: x, pod: y, reason: stale}\n")
            doc = json.dumps({"apiVersion": "v1", "kind": "List", "items": items})
            rc, out, err = kcs.run(["-f", "-", "--exemptions", ex], stdin=doc.encode())
            self.assertEqual(rc, 0, err)
            self.assertIn("EXEMPT  ADD_NET_RAW", out)
            self.assertIn("exempted by the exemptions file, line 1: needed (until 2999-01-01)", out)
            self.assertIn("exemption   line 2 (x/y) matched nothing", out)

    def test_bad_exemption_files(self):
        cases = [("- namespace: a\n  pod: b\n", "line 1: entry 1: needs a reason"),
                 ("- {namespace: a, pod: b, reason: r, expire: 2030-01-01}\n",
                  "unknown field"),
                 ("- {namespace: a, pod: b, reason: r, expires: 2030-02-30}\n",
                  "expires is not a date"),
                 ("namespace: a\n", "must be a YAML sequence"),
                 ("- [unclosed\n", "invalid YAML")]
        with tempfile.TemporaryDirectory() as d:
            for text, needle in cases:
                with self.subTest(text=text):
                    ex = self.write(d, text)
                    rc, out, err = kcs.run(["-f", DEMO[1], "--exemptions", ex])
                    self.assertEqual(rc, 2, err)
                    self.assertIn(ex, err)
                    self.assertIn(needle, err)
            rc, out, err = kcs.run(["-f", DEMO[1], "--exemptions", "/nonexistent.yaml"])
            self.assertEqual(rc, 2)
            self.assertIn("/nonexistent.yaml", err)


def _umask():
    m = os.umask(0)
    os.umask(m)
    return m


if __name__ == "__main__":
    unittest.main(verbosity=2)
