"""End-to-end tests of offline scans (-f) with the built binary."""
import json
import os
import stat
import subprocess
import tempfile
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


def _umask():
    m = os.umask(0)
    os.umask(m)
    return m


if __name__ == "__main__":
    unittest.main(verbosity=2)
