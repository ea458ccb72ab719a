"""End-to-end tests of YAML manifests (-f file.yaml, -f - from a pipe).

The fixtures in testdata/manifests/ are written in the style of `helm
template` output; testdata/manifests/expected.json is their hand-derived
oracle (verdicts, reasons, flags, and the line of each object's first key).
"""
import json
import os
import tempfile
import unittest

import kcs

DIR = kcs.path("testdata", "manifests")
with open(os.path.join(DIR, "expected.json")) as _f:
    ORACLE = json.load(_f)
FILES = sorted(ORACLE["files"])


def fixture(name):
    return os.path.join(DIR, name)


def pod_view(p):
    """What the oracle states about a pod (besides its source)."""
    return (p["namespace"], p["name"], p["verdict"], p.get("reason"),
            [(c["name"], c["type"], c["verdict"], c["reason"],
              sorted(c["flags"])) for c in p["containers"]])


def want_view(w):
    return (w["namespace"], w["name"], w["verdict"], None,
            [(c[0], c[1], c[2], c[3], sorted(c[4])) for c in w["containers"]])


class Manifests(unittest.TestCase):
    def scan(self, args, stdin=None, want_rc=1):
        rc, out, err = kcs.run(args + ["-o", "json"], stdin=stdin)
        self.assertEqual(rc, want_rc, err)
        kcs.check_report(out)
        rep = kcs.load(out)
        self.assertTrue(rep["complete"], rep["errors"])
        self.assertEqual(rep["errors"], [])
        return rep

    def check_source(self, pod, file, line, want):
        """pods[].source: {file, line, kind, name} of the manifest object."""
        self.assertIn("source", pod, "the JSON report has no pods[].source")
        src = pod["source"]
        self.assertIsNotNone(src, pod["name"])
        self.assertEqual(src["file"], file)
        self.assertEqual(src["line"], line, pod["name"])
        if want["kind"] == "Pod":
            # a bare Pod: the report may name it or leave kind/name null
            self.assertIn(src["kind"], ("Pod", None))
            self.assertIn(src["name"], (want["name"], None))
        else:
            self.assertEqual((src["kind"], src["name"]),
                             (want["kind"], want["name"]))

    def test_each_fixture_matches_the_oracle(self):
        for name in FILES:
            with self.subTest(fixture=name):
                want = ORACLE["files"][name]
                fails = any(p["verdict"] == "FAIL" for p in want["pods"]) or \
                    any(n["verdict"] == "FAIL" for n in want["namespaces"])
                rep = self.scan(["-f", fixture(name)],
                                want_rc=1 if fails else 0)
                self.assertEqual([pod_view(p) for p in rep["pods"]],
                                 [want_view(w) for w in want["pods"]])
                self.assertEqual(
                    [(n["name"], n["verdict"], n["reason"])
                     for n in rep["namespaces"]],
                    [(n["name"], n["verdict"], n["reason"])
                     for n in want["namespaces"]])

    def test_json_report_carries_the_source(self):
        for name in FILES:
            want = ORACLE["files"][name]
            if not want["pods"]:
                continue
            with self.subTest(fixture=name):
                rep = self.scan(["-f", fixture(name)])
                self.assertEqual(len(rep["pods"]), len(want["pods"]))
                for p, w in zip(rep["pods"], want["pods"]):
                    self.check_source(p, fixture(name), w["line"], w)

    def all_args(self):
        args = []
        for name in FILES:
            args += ["-f", fixture(name)]
        return args

    def check_all(self, rep):
        want = ORACLE["all"]
        self.assertEqual(
            [(n["name"], n["verdict"], n["reason"], n["pods"]["total"],
              n["pods"]["fail"]) for n in rep["namespaces"]],
            [(n["name"], n["verdict"], n["reason"], n["pods"]["total"],
              n["pods"]["fail"]) for n in want["namespaces"]])
        got = {k: v for k, v in rep["summary"]["pods"].items()
               if not (k == "exempt" and v == 0)}
        self.assertEqual(got, want["summary"]["pods"])

    def test_namespaces_in_the_manifests_are_evaluated(self):
        # namespaces.yaml labels the namespaces the other charts use
        self.check_all(self.scan(self.all_args()))

    def stream(self):
        """Every fixture in one stream, as `helm template` prints charts;
        returns the bytes and each fixture's first line in the stream."""
        parts, starts, line = [], {}, 1
        for name in FILES:
            with open(fixture(name)) as f:
                text = f.read()
            starts[name] = line
            parts.append(text)
            line += text.count("\n")
            parts.append("---\n")
            line += 1
        return "".join(parts).encode(), starts

    def test_stdin_multi_document_stream(self):
        data, starts = self.stream()
        rep = self.scan(["-f", "-"], stdin=data)
        self.check_all(rep)
        want = []
        for name in FILES:
            want += [(w, starts[name] - 1 + w["line"])
                     for w in ORACLE["files"][name]["pods"]]
        self.assertEqual([pod_view(p) for p in rep["pods"]],
                         [want_view(w) for w, _ in want])
        for p, (w, line) in zip(rep["pods"], want):
            self.check_source(p, "(standard input)", line, w)

    def test_helm_template_pipe_table(self):
        # the README example: helm template ./chart | kubecapscan -f -
        with open(fixture("migration-job.yaml"), "rb") as f:
            rc, out, err = kcs.run(["-f", "-"], stdin=f.read())
        self.assertEqual(rc, 1, err)
        self.assertIn("webshop-migrate", out)
        self.assertIn("privileged: true grants every capability", out)

    def test_yaml_and_json_files_together(self):
        rep = self.scan(["-f", kcs.path("testdata", "demo", "namespaces.json"),
                         "-f", fixture("list.yaml")])
        names = [p["name"] for p in rep["pods"]]
        self.assertEqual(names, ["debug-shell", "toolbox-5d8f7"])

    def test_yaml_1_1_booleans(self):
        base = ("apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: ns1}\n"
                "spec:\n  containers:\n  - name: c\n    securityContext:\n"
                "      capabilities: {drop: [ALL]}\n")
        for value, verdict, reason in (("yes", "FAIL", "PRIVILEGED"),
                                       ("ON", "FAIL", "PRIVILEGED"),
                                       ("'true'", "FAIL", "MALFORMED"),
                                       ("no", "PASS", "DROP_ALL"),
                                       ("off", "PASS", "DROP_ALL")):
            with self.subTest(privileged=value):
                text = base + "      privileged: %s\n" % value
                rep = self.scan(["-f", "-"], stdin=text.encode(),
                                want_rc=1 if verdict == "FAIL" else 0)
                c = rep["pods"][0]["containers"][0]
                self.assertEqual((c["verdict"], c["reason"]),
                                 (verdict, reason))

    def test_default_namespace_from_n(self):
        # kubectl apply -f -n team: objects without a namespace go there
        text = (b"kind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n"
                b"  - name: c\n")
        rep = self.scan(["-f", "-"], stdin=text)
        self.assertEqual(rep["pods"][0]["namespace"], "default")
        rep = self.scan(["-f", "-", "-n", "team"], stdin=text)
        self.assertEqual(rep["pods"][0]["namespace"], "team")

    def bad(self, text, *parts, name="bad.yaml"):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, name)
            with open(path, "wb") as f:
                f.write(text)
            rc, out, err = kcs.run(["-f", path, "-o", "json"])
        self.assertEqual(rc, 2, err)
        self.assertIn("'%s'" % path, err)
        for p in parts:
            self.assertIn(p, err)
        return err

    def test_errors_name_file_and_line(self):
        self.bad(b"---\nkind: Namespace\nmetadata: {name: a}\n---\n"
                 b"kind: Pod\nmetadata:\n  name: p\n  name: q\n",
                 "line 8: duplicate key 'name'")
        bomb = b"kind: Namespace\na0: &a0 [lol, lol]\n"
        for i in range(1, 10):
            bomb += ("a%d: &a%d [%s]\n" % (
                i, i, ", ".join(["*a%d" % (i - 1)] * 10))).encode()
        # a1..a5 expand to 333,330 nodes; a6 (line 8) crosses 1,048,576
        self.bad(bomb, "line 8: aliases expand to more than 1048576 nodes")
        self.bad(b"kind: Namespace\nmetadata:\n  name: a\n name: b\n",
                 "line 4: invalid YAML")
        self.bad(b"kind: Namespace\nv: .inf\n", "line 2: ")
        self.bad(b"---\n# nothing rendered\n---\n", "holds no objects")

    def test_errors_never_echo_input(self):
        secret = "hunter2-do-not-print"
        err = self.bad(("kind: Pod\nspec:\n  containers:\n  - name: c\n"
                        "    env: [{name: P, value: %s}]\n"
                        "    env: []\n" % secret).encode(),
                       "line 6: duplicate key 'env'")
        self.assertNotIn(secret, err)
        err = self.bad(("kind: Pod\nx: \"%s\n" % secret).encode(),
                       "invalid YAML")
        self.assertNotIn(secret, err)

    def test_stdin_error_names_standard_input(self):
        rc, out, err = kcs.run(["-f", "-"], stdin=b"kind: Pod\nkind: Pod\n")
        self.assertEqual(rc, 2, err)
        self.assertIn("'(standard input)': line 2: duplicate key 'kind'", err)


if __name__ == "__main__":
    unittest.main(verbosity=2)
