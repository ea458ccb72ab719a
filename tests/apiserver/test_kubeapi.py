#!/usr/bin/env python3
"""Tests for kubeapi.py, the project's kube-apiserver look-alike.

Plain unittest, standard library only:  python3 tests/apiserver/test_kubeapi.py
The kubectl tests run when `kubectl` is on PATH and are skipped (saying why) otherwise.
"""

import base64
import gzip
import http.client
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
SERVER = os.path.join(HERE, "kubeapi.py")
FIXTURES = os.path.join(HERE, "fixtures")
CLUSTER7 = os.path.join(os.path.dirname(os.path.dirname(HERE)), "testdata", "cluster7")
sys.path.insert(0, HERE)
import kubeapi  # noqa: E402  (for the in-process generator and selector tests)


def fixture(name):
    with open(os.path.join(FIXTURES, name), encoding="utf-8") as f:
        return json.load(f)


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def keyset(items):
    return {"%s/%s" % (i["metadata"].get("namespace", ""), i["metadata"]["name"]) for i in items}


def decode_token(tok):
    return json.loads(base64.urlsafe_b64decode(tok + "=" * (-len(tok) % 4)))


class Server:
    """One kubeapi.py process in its own temporary state directory."""

    def __init__(self, *extra, data=True, data_dir=FIXTURES):
        self.tmp = tempfile.mkdtemp(prefix="kubeapi-test-")
        self.sdir = os.path.join(self.tmp, "state")
        self.data = None
        args = [sys.executable, SERVER, "--state-dir", self.sdir, "--max-lifetime", "120",
                "--request-log", os.path.join(self.tmp, "requests.log")]
        if data:
            self.data = os.path.join(self.tmp, "data")
            shutil.copytree(data_dir, self.data, ignore=shutil.ignore_patterns("*.py", "*.md"))
            args += ["--data", self.data]
        args += list(extra)
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 20
        ready = os.path.join(self.sdir, "ready.json")
        while not os.path.exists(ready):
            if self.proc.poll() is not None:
                raise RuntimeError("kubeapi.py exited: %s" % self.proc.stderr.read().decode())
            if time.monotonic() > deadline:
                self.proc.kill()
                raise RuntimeError("kubeapi.py did not get ready")
            time.sleep(0.05)
        with open(ready) as f:
            self.ready = json.load(f)
        self.stdout_line = self.proc.stdout.readline().decode()
        self.port = self.ready["port"]
        self.tokens = self.read_tokens()

    def file(self, name):
        return os.path.join(self.sdir, name)

    def read_tokens(self):
        out = {}
        with open(self.file("tokens.csv")) as f:
            for line in f:
                parts = line.strip().split(",")
                if len(parts) >= 3:
                    out[parts[1]] = parts[0]
        return out

    def log(self):
        with open(os.path.join(self.tmp, "requests.log")) as f:
            lines = f.read().split("\n")
        # the server logs a request after answering it: the last line may still be being written.
        # Records without a method are events (a failed TLS handshake), not requests.
        recs = [json.loads(line) for line in lines[:-1] if line.strip()]
        return [r for r in recs if "method" in r]

    def wait_log(self, pred, timeout=10):
        """The request log once pred(records) holds (the server logs after it answers)."""
        deadline = time.monotonic() + timeout
        while True:
            recs = self.log()
            if pred(recs) or time.monotonic() > deadline:
                return recs
            time.sleep(0.05)

    def ctx(self, cert=None):
        c = ssl.create_default_context(cafile=self.file("ca.crt"))
        if cert:
            c.load_cert_chain(self.file(cert + ".crt"), self.file(cert + ".key"))
        return c

    def request(self, path, cert="admin", token=None, method="GET", headers=None, body=None, timeout=10,
                raw=False):
        conn = http.client.HTTPSConnection("127.0.0.1", self.port, context=self.ctx(cert), timeout=timeout)
        h = dict(headers or {})
        if token:
            h["Authorization"] = "Bearer " + token
        try:
            conn.request(method, path, body=body, headers=h)
            r = conn.getresponse()
            if raw:
                return conn, r
            data = r.read()
        except BaseException:
            conn.close()
            raise
        conn.close()
        return r.status, r.headers, data

    def json(self, path, **kw):
        st, hd, data = self.request(path, **kw)
        return st, hd, json.loads(data)

    def audit(self):
        with open(self.file("audit.log")) as f:
            return [json.loads(line) for line in f if line.strip()]

    def create(self, ns, pod, dry_run=True, **kw):
        """POST a pod (dict) to NS; -> (status, headers, decoded body)."""
        q = "?dryRun=All" if dry_run is True else ("?dryRun=" + dry_run if dry_run else "")
        kw.setdefault("cert", "prober")
        return self.json("/api/v1/namespaces/%s/pods%s" % (ns, q), method="POST", body=json.dumps(pod),
                         headers={"Content-Type": "application/json"}, **kw)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc.stdout.close()
        self.proc.stderr.close()
        shutil.rmtree(self.tmp, ignore_errors=True)
        return self.proc.returncode


# ---------------------------------------------------------------------------

class TestBasics(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        # v1.32.x so that gcloud's kubectl dispatcher (if that is what is installed) runs kubectl 1.32
        cls.s = Server("--git-version", "v1.32.4", "--warning", "global warning")
        cls.pods = fixture("pods.json")
        cls.nss = fixture("namespaces.json")

    @classmethod
    def tearDownClass(cls):
        rc = cls.s.stop()
        assert rc == 0, "server did not exit cleanly on SIGTERM: %r" % rc

    def test_startup_contract(self):
        s = self.s
        self.assertEqual(set(s.ready), {"port", "url", "pid"})
        self.assertEqual(s.ready["pid"], s.proc.pid)
        self.assertEqual(s.ready["url"], "https://127.0.0.1:%d" % s.port)
        self.assertEqual(json.loads(s.stdout_line), s.ready)
        for f in ("ca.crt", "ca.key", "server.crt", "server.key", "admin.crt", "admin.key", "reader.crt",
                  "reader.key", "nobody.crt", "nobody.key", "ns-reader.crt", "ns-reader.key", "other-ca.crt",
                  "other-ca.key", "untrusted.crt", "untrusted.key", "tokens.csv", "kubeconfig",
                  "kubeconfig-token", "kubeconfig-reader", "kubeconfig-nobody", "kubeconfig-ns-reader",
                  "kubeconfig-untrusted", "kubeconfig-embedded", "users.json", "prober.crt", "prober.key",
                  "no-owners.crt", "no-owners.key", "kubeconfig-prober", "kubeconfig-no-owners", "audit.log"):
            self.assertTrue(os.path.exists(s.file(f)), f)
        kc = read(s.file("kubeconfig"))
        self.assertIn("certificate-authority: ca.crt", kc)
        self.assertIn("client-certificate: admin.crt", kc)
        self.assertIn("current-context: test-admin", kc)
        self.assertIn("server: https://127.0.0.1:%d" % s.port, kc)
        self.assertEqual(set(s.tokens), {"admin", "reader", "nobody", "ns-reader", "prober", "no-owners"})
        users = json.loads(read(s.file("users.json")))
        self.assertEqual(users["ns-reader"]["namespace"], "default")

    def test_client_cert_list_pods(self):
        st, hd, d = self.s.json("/api/v1/pods")
        self.assertEqual(st, 200)
        self.assertEqual(list(d), ["kind", "apiVersion", "metadata", "items"])
        self.assertEqual((d["kind"], d["apiVersion"]), ("PodList", "v1"))
        self.assertEqual(d["metadata"], {"resourceVersion": "1200"})
        self.assertEqual(keyset(d["items"]), keyset(self.pods["items"]))
        self.assertTrue(all("kind" not in i for i in d["items"]))
        # etcd key order: "a-b/..." sorts before "a/..." ('-' < '/')
        self.assertEqual(d["items"][0]["metadata"]["namespace"], "a-b")
        self.assertEqual(hd["Content-Type"], "application/json")
        self.assertEqual(hd["Warning"], '299 - "global warning"')
        self.assertIsNotNone(hd["Audit-Id"])
        self.assertIsNone(hd["Server"])

    def test_go_style_json_escapes(self):
        st, _, data = self.s.request("/api/v1/namespaces/a/pods/web-2")
        self.assertEqual(st, 200)
        self.assertIn(b"\\u003cb\\u003ehtml \\u0026 unicode \xc3\xa9", data)
        d = json.loads(data)
        self.assertEqual(list(d)[:3], ["kind", "apiVersion", "metadata"])
        self.assertEqual(d["metadata"]["annotations"]["note"], "<b>html & unicode é ☃</b>")

    def test_token_auth_and_rotation(self):
        s = self.s
        st, _, d = s.json("/api/v1/namespaces", cert=None, token=s.tokens["reader"])
        self.assertEqual(st, 200)
        self.assertEqual(len(d["items"]), len(self.nss["items"]))
        path = s.file("tokens.csv")
        old = read(path)
        try:
            with open(path, "w") as f:
                f.write(old.replace(s.tokens["reader"], "rotated-reader-token"))
            st, _, _ = s.request("/api/v1/namespaces", cert=None, token=s.tokens["reader"])
            self.assertEqual(st, 401)
            st, _, _ = s.request("/api/v1/namespaces", cert=None, token="rotated-reader-token")
            self.assertEqual(st, 200)
        finally:
            with open(path, "w") as f:
                f.write(old)

    def test_401(self):
        want = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                "message": "Unauthorized", "reason": "Unauthorized", "code": 401}
        for kw in ({"cert": None}, {"cert": None, "token": "nope"}, {"cert": "untrusted"},
                   {"cert": None, "headers": {"Authorization": "Basic YWRtaW46YWRtaW4="}}):
            st, hd, d = self.s.json("/api/v1/pods", **kw)
            self.assertEqual((st, d), (401, want), kw)

    def test_403(self):
        s = self.s
        st, _, d = s.json("/api/v1/pods", cert="nobody")
        self.assertEqual(st, 403)
        self.assertEqual(d, {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                             "message": 'pods is forbidden: User "nobody" cannot list resource "pods" in API '
                                        'group "" at the cluster scope',
                             "reason": "Forbidden", "details": {"kind": "pods"}, "code": 403})
        st, _, d = s.json("/api/v1/namespaces/a/pods", cert="ns-reader")
        self.assertEqual(st, 403)
        self.assertEqual(d["message"], 'pods is forbidden: User "ns-reader" cannot list resource "pods" in API '
                                       'group "" in the namespace "a"')
        st, _, d = s.json("/api/v1/namespaces/prod", cert="nobody")
        self.assertEqual(d["message"], 'namespaces "prod" is forbidden: User "nobody" cannot get resource '
                                       '"namespaces" in API group "" in the namespace "prod"')
        self.assertEqual(d["details"], {"name": "prod", "kind": "namespaces"})
        st, _, d = s.json("/api/v1/namespaces/default/pods", cert="ns-reader")
        self.assertEqual((st, keyset(d["items"])),
                         (200, {k for k in keyset(self.pods["items"]) if k.startswith("default/")}))
        st, _, _ = s.request("/api/v1/namespaces/default", cert="ns-reader")
        self.assertEqual(st, 200)
        st, _, _ = s.request("/api/v1/namespaces", cert="ns-reader")
        self.assertEqual(st, 403)
        st, _, d = s.json("/metrics", cert="nobody")
        self.assertEqual((st, d["message"]), (403, 'forbidden: User "nobody" cannot get path "/metrics"'))
        st, _, _ = s.request("/api", cert="nobody")
        self.assertEqual(st, 200)

    def test_not_found(self):
        st, _, d = self.s.json("/api/v1/namespaces/a/pods/nope")
        self.assertEqual((st, d["reason"], d["message"], d["details"]),
                         (404, "NotFound", 'pods "nope" not found', {"name": "nope", "kind": "pods"}))
        st, _, d = self.s.json("/api/v1/widgets")
        self.assertEqual((st, d["reason"]), (404, "NotFound"))
        st, hd, data = self.s.request("/nope")
        self.assertEqual((st, data), (404, b"404 page not found\n"))
        st, _, d = self.s.json("/api/v1/namespaces/nope/pods")
        self.assertEqual((st, d["items"]), (200, []))

    def test_discovery(self):
        s = self.s
        st, _, d = s.json("/version")
        self.assertEqual((d["gitVersion"], d["major"], d["minor"]), ("v1.32.4", "1", "32"))
        st, _, d = s.json("/api")
        self.assertEqual((d["kind"], d["versions"]), ("APIVersions", ["v1"]))
        st, _, d = s.json("/api/v1")
        res = {r["name"]: r for r in d["resources"]}
        self.assertTrue(res["pods"]["namespaced"])
        self.assertFalse(res["namespaces"]["namespaced"])
        self.assertFalse(res["nodes"]["namespaced"])
        self.assertEqual(res["pods"]["shortNames"], ["po"])
        self.assertIn("list", res["pods"]["verbs"])
        st, _, d = s.json("/apis")
        self.assertIn("authorization.k8s.io", [g["name"] for g in d["groups"]])
        st, _, d = s.json("/apis/authorization.k8s.io/v1")
        self.assertIn("selfsubjectaccessreviews", [r["name"] for r in d["resources"]])
        st, _, _ = s.request("/openapi/v2")
        self.assertEqual(st, 404)

    def test_paging_consistent_snapshot(self):
        s = self.s
        seen, tok, pages = [], None, 0
        st, _, d = s.json("/api/v1/pods?limit=5")
        rv = d["metadata"]["resourceVersion"]
        self.assertEqual(list(d["metadata"]), ["resourceVersion", "continue", "remainingItemCount"])
        self.assertEqual(d["metadata"]["remainingItemCount"], len(self.pods["items"]) - 5)
        t = decode_token(d["metadata"]["continue"])
        self.assertEqual(set(t), {"v", "rv", "start"})
        self.assertEqual((t["v"], str(t["rv"])), ("meta.k8s.io/v1", rv))
        self.assertTrue(t["start"].endswith("\x00"))
        seen += d["items"]
        tok = d["metadata"]["continue"]
        # change the data between pages: the continue token must keep serving the old snapshot
        path = os.path.join(s.data, "pods.json")
        orig = read(path)
        changed = json.loads(orig)
        changed["metadata"]["resourceVersion"] = "1300"
        changed["items"] = changed["items"][1:-1]
        extra = json.loads(json.dumps(changed["items"][0]))
        extra["metadata"]["name"] = "zz-new-pod"
        extra["metadata"]["namespace"] = "team-x"
        changed["items"].append(extra)
        try:
            with open(path, "w", encoding="utf-8") as f:
                json.dump(changed, f)
            while tok:
                st, _, d = s.json("/api/v1/pods?limit=5&continue=" + tok)
                self.assertEqual(st, 200)
                self.assertEqual(d["metadata"]["resourceVersion"], rv)
                seen += d["items"]
                tok = d["metadata"].get("continue")
                pages += 1
                if tok:
                    self.assertIn("remainingItemCount", d["metadata"])
                else:
                    self.assertNotIn("remainingItemCount", d["metadata"])
            self.assertEqual(pages, 2)
            self.assertEqual(len(seen), len(self.pods["items"]))
            self.assertEqual(keyset(seen), keyset(self.pods["items"]))
            st, _, d = s.json("/api/v1/pods")
            self.assertEqual(d["metadata"]["resourceVersion"], "1300")
            self.assertEqual(keyset(d["items"]), keyset(changed["items"]))
        finally:
            with open(path, "w", encoding="utf-8") as f:
                f.write(orig)
        st, _, d = s.json("/api/v1/pods")
        self.assertEqual(keyset(d["items"]), keyset(self.pods["items"]))
        self.assertGreater(int(d["metadata"]["resourceVersion"]), 1300)

    def test_namespaced_paging(self):
        st, _, d = self.s.json("/api/v1/namespaces/default/pods?limit=2")
        t = decode_token(d["metadata"]["continue"])
        self.assertNotIn("/", t["start"])  # relative to /registry/pods/default/
        st, _, d2 = self.s.json("/api/v1/namespaces/default/pods?limit=2&continue=" + d["metadata"]["continue"])
        self.assertEqual(keyset(d["items"] + d2["items"]),
                         {k for k in keyset(self.pods["items"]) if k.startswith("default/")})

    def test_bad_continue(self):
        for tok in ("!!!", base64.urlsafe_b64encode(b'{"v":"x","rv":1,"start":"a"}').decode().rstrip("="),
                    base64.urlsafe_b64encode(b'{"v":"meta.k8s.io/v1","rv":5,"start":"../x"}').decode()
                    .rstrip("=")):
            st, _, d = self.s.json("/api/v1/pods?limit=2&continue=" + tok)
            self.assertEqual((st, d["reason"]), (400, "BadRequest"), tok)
            self.assertTrue(d["message"].startswith("invalid continue token"), d["message"])

    def test_selectors(self):
        s = self.s
        cases = {
            "labelSelector=tier%20in%20(frontend,backend),app!=api": {"a/web-1", "a/web-2", "prod/payments-0"},
            "labelSelector=!tier,app": None,
            "labelSelector=app%20notin%20(web,api),tier": {"prod/payments-0"},
            "labelSelector=k8s-app=kube-dns": {"kube-system/coredns-6f6b679f8f-abcde"},
            "fieldSelector=status.phase=Running,spec.nodeName!=worker-1": {"kube-system/kube-proxy-x7k2p",
                                                                          "prod/win-iis"},
            "fieldSelector=metadata.namespace==a": {"a/web-1", "a/web-2"},
            "fieldSelector=metadata.name=busybox": {"default/busybox"},
        }
        for q, want in cases.items():
            st, _, d = s.json("/api/v1/pods?" + q)
            self.assertEqual(st, 200, q)
            if want is None:
                want = keyset([p for p in self.pods["items"] if "tier" not in p["metadata"]["labels"]
                               and "app" in p["metadata"]["labels"]])
            self.assertEqual(keyset(d["items"]), want, q)
        st, _, d = s.json("/api/v1/pods?labelSelector=tier%3Dbackend&limit=1")
        self.assertIn("continue", d["metadata"])
        self.assertNotIn("remainingItemCount", d["metadata"])  # unknown with selectors, like etcd3 store
        for bad in ("labelSelector=a%20b", "labelSelector=x%20in%20(a", "labelSelector=-bad-=x",
                    "fieldSelector=spec.foo=bar", "fieldSelector=nonsense"):
            st, _, d = s.json("/api/v1/pods?" + bad)
            self.assertEqual((st, d["kind"], d["reason"], d["code"]), (400, "Status", "BadRequest", 400), bad)
        st, _, d = s.json("/api/v1/namespaces?fieldSelector=metadata.name%3Dprod")
        self.assertEqual([i["metadata"]["name"] for i in d["items"]], ["prod"])

    def test_partial_object_metadata(self):
        st, hd, d = self.s.json("/api/v1/pods?limit=3", headers={
            "Accept": "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json"})
        self.assertEqual((d["kind"], d["apiVersion"]), ("PartialObjectMetadataList", "meta.k8s.io/v1"))
        self.assertIn("continue", d["metadata"])
        for it in d["items"]:
            self.assertEqual(list(it), ["kind", "apiVersion", "metadata"])
            self.assertEqual((it["kind"], it["apiVersion"]), ("PartialObjectMetadata", "meta.k8s.io/v1"))
        st, _, d = self.s.json("/api/v1/namespaces/a/pods/web-1", headers={
            "Accept": "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1"})
        self.assertEqual((d["kind"], d["metadata"]["name"]), ("PartialObjectMetadata", "web-1"))
        st, _, d = self.s.json("/api/v1/pods", headers={
            "Accept": "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"})
        self.assertEqual(d["kind"], "Table")
        self.assertEqual(len(d["rows"]), len(self.pods["items"]))
        st, _, d = self.s.json("/api/v1/pods", headers={"Accept": "application/vnd.kubernetes.protobuf"})
        self.assertEqual((st, d["reason"]), (406, "NotAcceptable"))

    def ssar(self, verb, resource, ns=None, name=None, **kw):
        ra = {"verb": verb, "resource": resource}
        if ns:
            ra["namespace"] = ns
        if name:
            ra["name"] = name
        body = json.dumps({"kind": "SelfSubjectAccessReview", "apiVersion": "authorization.k8s.io/v1",
                           "spec": {"resourceAttributes": ra}})
        st, _, d = self.s.json("/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", method="POST",
                               body=body, headers={"Content-Type": "application/json"}, **kw)
        self.assertEqual(st, 201)
        self.assertEqual(d["kind"], "SelfSubjectAccessReview")
        return d["status"]["allowed"]

    def test_ssar(self):
        tok = self.s.tokens
        table = [  # (credentials, verb, resource, namespace, name, allowed)
            ({"cert": "admin"}, "list", "pods", None, None, True),
            ({"cert": "admin"}, "delete", "secrets", "x", None, True),
            ({"cert": "reader"}, "list", "pods", None, None, True),
            ({"cert": None, "token": tok["reader"]}, "list", "namespaces", None, None, True),
            ({"cert": "reader"}, "watch", "nodes", None, None, True),
            ({"cert": "reader"}, "delete", "pods", "a", None, False),
            ({"cert": "reader"}, "list", "secrets", None, None, False),
            ({"cert": "ns-reader"}, "list", "pods", "default", None, True),
            ({"cert": "ns-reader"}, "list", "pods", None, None, False),
            ({"cert": "ns-reader"}, "list", "pods", "a", None, False),
            ({"cert": "ns-reader"}, "get", "namespaces", None, "default", True),
            ({"cert": "ns-reader"}, "list", "namespaces", None, None, False),
            ({"cert": None, "token": tok["ns-reader"]}, "list", "pods", "default", None, True),
            ({"cert": "nobody"}, "list", "pods", None, None, False),
            ({"cert": "nobody"}, "get", "namespaces", None, "default", False),
        ]
        for creds, verb, res, ns, name, want in table:
            self.assertEqual(self.ssar(verb, res, ns, name, **creds), want, (creds, verb, res, ns, name))

    def test_ssar_protobuf(self):
        # what kubectl >= 1.32 sends: k8s protobuf envelope around a SelfSubjectAccessReview
        def ld(fn, b):
            return bytes([fn << 3 | 2, len(b)]) + b
        ra = ld(2, b"list") + ld(5, b"pods") + ld(1, b"default")
        raw = ld(1, b"") + ld(2, ld(1, ra))
        env = b"k8s\x00" + ld(1, ld(1, b"authorization.k8s.io/v1") + ld(2, b"SelfSubjectAccessReview")) + \
            ld(2, raw) + ld(3, b"") + ld(4, b"")
        for cert, want in (("ns-reader", True), ("nobody", False)):
            st, _, d = self.s.json("/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", method="POST",
                                   body=env, cert=cert,
                                   headers={"Content-Type": "application/vnd.kubernetes.protobuf",
                                            "Accept": "application/vnd.kubernetes.protobuf,application/json"})
            self.assertEqual((st, d["status"]["allowed"]), (201, want))
            self.assertEqual(d["spec"]["resourceAttributes"],
                             {"namespace": "default", "verb": "list", "resource": "pods"})

    def test_request_log(self):
        s = self.s
        s.request("/api/v1/pods", cert=None, token=s.tokens["admin"], headers={"Accept-Encoding": "gzip"})
        s.request("/api/v1/pods", cert=None, token="wrong-token-value-123")
        raw = read(os.path.join(s.tmp, "requests.log"))
        for t in list(s.tokens.values()) + ["wrong-token-value-123"]:
            self.assertNotIn(t, raw)
        recs = [r for r in s.log() if r.get("path") == "/api/v1/pods"]
        r = [x for x in recs if x.get("auth") == "token"][-1]
        for k in ("method", "path", "query", "status", "bytes", "user", "accept", "accept-encoding",
                  "content-encoding", "user-agent", "authorization"):
            self.assertIn(k, r)
        self.assertEqual((r["user"], r["authorization"], r["accept-encoding"], r["status"]),
                         ("admin", True, "gzip", 200))
        self.assertEqual([x["status"] for x in recs if x["user"] is None and x["authorization"]][-1], 401)

    # --- kubectl ----------------------------------------------------------
    def kubectl(self, *args, kubeconfig="kubeconfig", check=True):
        exe = shutil.which("kubectl")
        if not exe:
            print("\nkubectl not on PATH: skipping kubectl tests", file=sys.stderr)
            self.skipTest("kubectl not on PATH")
        env = dict(os.environ, HOME=self.s.tmp)
        env.pop("KUBECONFIG", None)
        r = subprocess.run([exe, "--kubeconfig", self.s.file(kubeconfig), "--cache-dir",
                            os.path.join(self.s.tmp, "kcache")] + list(args),
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, timeout=60)
        if check and r.returncode != 0:
            self.fail("kubectl %s failed (%d): %s" % (" ".join(args), r.returncode, r.stderr.decode()))
        return r

    def test_kubectl_get_pods(self):
        want = keyset(self.pods["items"])
        r = self.kubectl("get", "pods", "-A", "-o", "json")
        d = json.loads(r.stdout)
        self.assertEqual(keyset(d["items"]), want)
        self.assertEqual(d["items"][0]["kind"], "Pod")
        n0 = len([x for x in self.s.log() if "continue=" in x.get("query", "")])
        r = self.kubectl("get", "pods", "-A", "-o", "json", "--chunk-size", "2")
        self.assertEqual(keyset(json.loads(r.stdout)["items"]), want)
        n1 = len([x for x in self.s.log() if "continue=" in x.get("query", "")])
        self.assertEqual(n1 - n0, (len(want) + 1) // 2 - 1)
        r = self.kubectl("get", "pods", "-A")  # Table output
        self.assertIn(b"coredns-6f6b679f8f-abcde", r.stdout)

    def test_kubectl_get_ns_token(self):
        r = self.kubectl("get", "ns", "-o", "json", kubeconfig="kubeconfig-token")
        self.assertEqual(keyset(json.loads(r.stdout)["items"]), keyset(self.nss["items"]))
        recs = [x for x in self.s.log() if x.get("path") == "/api/v1/namespaces"]
        self.assertEqual((recs[-1]["user"], recs[-1]["auth"]), ("reader", "token"))

    def test_kubectl_auth_can_i(self):
        for kc, want in (("kubeconfig", 0), ("kubeconfig-reader", 0), ("kubeconfig-ns-reader", 0),
                         ("kubeconfig-nobody", 1)):
            r = self.kubectl("auth", "can-i", "list", "pods", kubeconfig=kc, check=False)
            self.assertEqual((r.returncode, r.stdout.strip()), (want, b"yes" if want == 0 else b"no"),
                             (kc, r.stderr))
        r = self.kubectl("auth", "can-i", "list", "pods", "-A", kubeconfig="kubeconfig-ns-reader", check=False)
        self.assertEqual(r.stdout.strip(), b"no")
        r = self.kubectl("get", "pods", "-A", kubeconfig="kubeconfig-nobody", check=False)
        self.assertIn(b'User "nobody" cannot list resource "pods"', r.stderr)


# ---------------------------------------------------------------------------

class TestFaults(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.s = Server(
            # long enough that paging in the other tests never expires under
            # load (a 1 s expiry made test_410 flaky on a busy machine)
            "--expire-continue-after", "3",
            "--fault", "path=^/api/v1/pods$,page=2,status=410",
            "--fault", "path=^/api/v1/nodes$,status=429,retry-after=3",
            "--fault", "path=^/api/v1/namespaces/default/pods$,truncate=100",
            "--fault", "path=^/api/v1/namespaces/a/pods$,reset=50",
            "--fault", "path=^/api/v1/namespaces/a-b/pods$,html=1",
            "--fault", "path=^/api/v1/namespaces/prod/pods$,status=503,retry-after=2",
            "--fault", "path=^/api/v1/namespaces/kube-system/pods$,hang=1",
            "--fault", "path=^/api/v1/namespaces/team-x/pods$,warning=be careful",
            "--fault", "path=^/api/v1/namespaces/a$,reset=-1",
            "--fault", "path=^/version$,status=500,times=0")
        cls.pods = fixture("pods.json")

    @classmethod
    def tearDownClass(cls):
        cls.s.stop()

    def test_410_expired_with_new_token(self):
        s = self.s
        st, _, d1 = s.json("/api/v1/pods?limit=4")
        self.assertEqual(st, 200)
        tok = d1["metadata"]["continue"]
        st, _, d = s.json("/api/v1/pods?limit=4&continue=" + tok)
        self.assertEqual(st, 410)
        self.assertEqual((d["kind"], d["status"], d["reason"], d["code"]), ("Status", "Failure", "Expired", 410))
        self.assertEqual(d["message"], kubeapi.INCONSISTENT_CONTINUE_MSG)
        new = d["metadata"]["continue"]
        self.assertEqual(decode_token(new)["rv"], -1)
        self.assertEqual(decode_token(new)["start"], decode_token(tok)["start"])
        seen = d1["items"]
        while new:
            st, _, d = s.json("/api/v1/pods?limit=4&continue=" + new)
            self.assertEqual(st, 200)
            seen += d["items"]
            new = d["metadata"].get("continue")
        self.assertEqual(keyset(seen), keyset(self.pods["items"]))

    def test_expire_continue_after(self):
        s = self.s
        st, _, d = s.json("/api/v1/namespaces?limit=2")
        time.sleep(3.3)
        st, _, d = s.json("/api/v1/namespaces?limit=2&continue=" + d["metadata"]["continue"])
        self.assertEqual((st, d["reason"]), (410, "Expired"))
        self.assertIn("continue", d["metadata"])

    def test_429_retry_after(self):
        st, hd, data = self.s.request("/api/v1/nodes")
        self.assertEqual((st, hd["Retry-After"]), (429, "3"))
        self.assertEqual(data, b"Too many requests, please try again later.\n")
        st, _, _ = self.s.request("/api/v1/nodes")
        self.assertEqual(st, 200)

    def test_5xx_status(self):
        st, hd, d = self.s.json("/api/v1/namespaces/prod/pods")
        self.assertEqual((st, d["kind"], d["reason"], d["code"], hd["Retry-After"]),
                         (503, "Status", "ServiceUnavailable", 503, "2"))
        st, _, d = self.s.json("/version")
        self.assertEqual((st, d["reason"]), (500, "InternalError"))
        st, _, d = self.s.json("/version")  # times=0: always
        self.assertEqual(st, 500)

    def test_truncate(self):
        conn, r = self.s.request("/api/v1/namespaces/default/pods", raw=True)
        self.assertEqual(r.status, 200)
        self.assertGreater(int(r.headers["Content-Length"]), 100)
        with self.assertRaises(http.client.IncompleteRead) as cm:
            r.read()
        self.assertEqual(len(cm.exception.partial), 100)
        conn.close()
        st, _, _ = self.s.request("/api/v1/namespaces/default/pods")
        self.assertEqual(st, 200)

    def test_reset(self):
        conn, r = self.s.request("/api/v1/namespaces/a/pods", raw=True)
        self.assertEqual(r.status, 200)
        with self.assertRaises((ConnectionResetError, ssl.SSLError, http.client.IncompleteRead)):
            r.read()
        conn.close()
        with self.assertRaises((ConnectionResetError, ssl.SSLError, http.client.RemoteDisconnected)):
            self.s.request("/api/v1/namespaces/a")
        log = [x for x in self.s.log() if x.get("path") == "/api/v1/namespaces/a/pods"]
        self.assertIn("reset after 50 of", log[0]["note"])

    def test_html(self):
        st, hd, data = self.s.request("/api/v1/namespaces/a-b/pods")
        self.assertEqual((st, hd["Content-Type"]), (200, "text/html; charset=utf-8"))
        self.assertTrue(data.startswith(b"<!DOCTYPE html>"))

    def test_hang(self):
        t0 = time.monotonic()
        with self.assertRaises((socket.timeout, TimeoutError)):
            self.s.request("/api/v1/namespaces/kube-system/pods", timeout=0.7)
        self.assertGreater(time.monotonic() - t0, 0.6)
        st, _, _ = self.s.request("/api/v1/namespaces/kube-system/pods")
        self.assertEqual(st, 200)

    def test_warning(self):
        st, hd, _ = self.s.request("/api/v1/namespaces/team-x/pods")
        self.assertEqual((st, hd["Warning"]), (200, '299 - "be careful"'))


# ---------------------------------------------------------------------------

class TestGenerated(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.s = Server("--generate-pods", "400", "--generate-namespaces", "12", "--always-expire-continue",
                       "--no-partial-metadata", "--chunked",
                       "--fault", "path=^/api/v1/pods$,query=^limit=7$,slow=20,times=0",
                       data=False)

        # the owner lists: partial metadata on, tokens that do not expire
        cls.m = Server("--generate-pods", "3000", "--generate-namespaces", "25", "--seed", "5", data=False)

    @classmethod
    def tearDownClass(cls):
        cls.s.stop()
        cls.m.stop()

    META = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json"

    def list_all(self, path, limit, accept=None, cert="admin"):
        """Every item of a list, page by page; -> (items, [page sizes], first page's document)."""
        items, sizes, first, tok = [], [], None, None
        while True:
            q = "?limit=%d" % limit + ("&continue=" + tok if tok else "")
            st, _, d = self.m.json(path + q, headers={"Accept": accept} if accept else {}, cert=cert)
            self.assertEqual(st, 200, d)
            first = first or d
            items += d["items"]
            sizes.append(len(d["items"]))
            tok = d["metadata"].get("continue")
            if not tok:
                return items, sizes, first

    def pod_owners(self):
        """{(namespace, kind, name): {uids}} of the pods' controller ownerReferences (RS and Job)."""
        st, _, d = self.m.json("/api/v1/pods", headers={"Accept": self.META})
        self.assertEqual((st, len(d["items"])), (200, 3000))
        want = {}
        for p in d["items"]:
            md = p["metadata"]
            for ref in md.get("ownerReferences", []):
                if ref.get("controller") and ref["kind"] in ("ReplicaSet", "Job"):
                    want.setdefault((md["namespace"], ref["kind"], ref["name"]), set()).add(ref["uid"])
        return want

    def test_owners_of_every_pod_served(self):
        want = self.pod_owners()
        kinds = {k for _, k, _ in want}
        self.assertEqual(kinds, {"ReplicaSet", "Job"})
        got = {}
        for path, kind, top, api in (("/apis/apps/v1/replicasets", "ReplicaSet", "Deployment", "apps/v1"),
                                     ("/apis/batch/v1/jobs", "Job", "CronJob", "batch/v1")):
            items, _, _ = self.list_all(path, 100, self.META)
            for it in items:
                md = it["metadata"]
                key = (md["namespace"], kind, md["name"])
                self.assertNotIn(key, got, "listed twice")
                got[key] = md["uid"]
                ctl = [r for r in md["ownerReferences"] if r.get("controller")]
                self.assertEqual([(r["kind"], r["apiVersion"], r["name"]) for r in ctl],
                                 [(top, api, md["name"].rsplit("-", 1)[0])])
                self.assertRegex(ctl[0]["uid"], r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-")
        for key, uids in want.items():
            self.assertEqual(len(uids), 1, key)
            self.assertIn(key, got, "the owner of a pod is not served")
            self.assertEqual(got[key], next(iter(uids)), key)
        # and no owner without pods: every ReplicaSet and Job served controls a generated pod
        self.assertEqual(set(got), set(want))
        # a Deployment's ReplicaSets and a CronJob's Jobs share their owner's uid, distinct owners do not
        tops = {}
        for path in ("/apis/apps/v1/replicasets", "/apis/batch/v1/jobs"):
            for it in self.list_all(path, 500, self.META)[0]:
                r = it["metadata"]["ownerReferences"][0]
                tops.setdefault(r["uid"], set()).add((it["metadata"]["namespace"], r["kind"], r["name"]))
        self.assertTrue(all(len(v) == 1 for v in tops.values()))

    def test_owner_metadata_only_and_full(self):
        for path, kind in (("/apis/apps/v1/replicasets", "ReplicaSet"), ("/apis/batch/v1/jobs", "Job")):
            st, _, meta = self.m.json(path + "?limit=20", headers={"Accept": self.META})
            self.assertEqual((st, meta["kind"], meta["apiVersion"]), (200, "PartialObjectMetadataList",
                                                                      "meta.k8s.io/v1"))
            st, _, full = self.m.json(path + "?limit=20")
            self.assertEqual((st, full["kind"], full["apiVersion"]), (200, kind + "List", path.split("/")[2] + "/v1"))
            self.assertEqual(len(meta["items"]), 20)
            for m, f in zip(meta["items"], full["items"]):
                self.assertEqual((m["kind"], m["apiVersion"]), ("PartialObjectMetadata", "meta.k8s.io/v1"))
                self.assertEqual(set(m), {"kind", "apiVersion", "metadata"})
                self.assertEqual(m["metadata"], f["metadata"])
                self.assertIn("managedFields", m["metadata"])
                tmpl = f["spec"]["template"]
                self.assertEqual(tmpl["metadata"]["labels"], f["metadata"]["labels"])
                self.assertTrue(tmpl["spec"]["containers"])
                self.assertNotIn("nodeName", tmpl["spec"])
                if kind == "ReplicaSet":
                    self.assertEqual(f["spec"]["replicas"], f["status"]["replicas"])
                    sel = f["spec"]["selector"]["matchLabels"]
                    self.assertEqual(sel["pod-template-hash"], f["metadata"]["name"].rsplit("-", 1)[1])
                else:
                    self.assertEqual(f["spec"]["selector"]["matchLabels"],
                                     {"batch.kubernetes.io/controller-uid": f["metadata"]["uid"]})
                    self.assertEqual(f["spec"]["completions"],
                                     f["status"].get("succeeded", 0) + f["status"].get("failed", 0))
            # one object, both ways
            md = full["items"][0]["metadata"]
            one = "%s/namespaces/%s/%s/%s" % (path.rsplit("/", 1)[0], md["namespace"], path.rsplit("/", 1)[1],
                                              md["name"])
            st, _, d = self.m.json(one)
            self.assertEqual((st, d["kind"], d["metadata"]), (200, kind, md))
            st, _, d = self.m.json(one, headers={
                "Accept": "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1"})
            self.assertEqual((st, d["kind"], d["metadata"]), (200, "PartialObjectMetadata", md))
        # the status of a ReplicaSet counts its pods
        st, _, rs = self.m.json("/apis/apps/v1/replicasets")
        st, _, pods = self.m.json("/api/v1/pods", headers={"Accept": self.META})
        n = {}
        for p in pods["items"]:
            for r in p["metadata"].get("ownerReferences", []):
                n[(p["metadata"]["namespace"], r["name"])] = n.get((p["metadata"]["namespace"], r["name"]), 0) + 1
        for it in rs["items"]:
            self.assertEqual(it["spec"]["replicas"], n[(it["metadata"]["namespace"], it["metadata"]["name"])])
        # kubecapscan's no-owners user may not list them (its scan then warns); reader may
        st, _, d = self.m.json("/apis/apps/v1/replicasets?limit=1", cert="no-owners")
        self.assertEqual((st, d["reason"]), (403, "Forbidden"))
        st, _, d = self.m.json("/apis/batch/v1/jobs?limit=1", cert="reader")
        self.assertEqual((st, len(d["items"])), (200, 1))
        # discovery lists them
        st, _, d = self.m.json("/apis/apps/v1")
        self.assertIn("replicasets", [r["name"] for r in d["resources"]])

    def test_owner_paging_and_gzip(self):
        for path in ("/apis/apps/v1/replicasets", "/apis/batch/v1/jobs"):
            st, hd, whole = self.m.json(path, headers={"Accept": self.META})
            self.assertEqual(st, 200)
            keys = [(i["metadata"]["namespace"], i["metadata"]["name"]) for i in whole["items"]]
            self.assertGreater(len(keys), 7)
            self.assertEqual(keys, sorted(keys, key=lambda k: (k[0] + "/" + k[1]).encode()))
            self.assertEqual(len(set(keys)), len(keys))
            items, sizes, first = self.list_all(path, 7, self.META)
            self.assertEqual([(i["metadata"]["namespace"], i["metadata"]["name"]) for i in items], keys)
            self.assertEqual(sizes[:-1], [7] * (len(sizes) - 1))
            self.assertEqual(first["metadata"]["remainingItemCount"], len(keys) - 7)
            self.assertEqual(first["metadata"]["resourceVersion"], whole["metadata"]["resourceVersion"])
            # per namespace: that namespace's items, paged the same way
            for ns in sorted({k[0] for k in keys})[:4]:
                nspath = "%s/namespaces/%s/%s" % (path.rsplit("/", 1)[0], ns, path.rsplit("/", 1)[1])
                items, _, _ = self.list_all(nspath, 3, self.META)
                self.assertEqual([(i["metadata"]["namespace"], i["metadata"]["name"]) for i in items],
                                 [k for k in keys if k[0] == ns])
            st, _, d = self.m.json(path.rsplit("/", 1)[0] + "/namespaces/no-such-ns/" + path.rsplit("/", 1)[1])
            self.assertEqual((st, d["items"]), (200, []))
        # full ReplicaSets are big: gzip above 128 KiB, identity below, as for pods
        st, hd, data = self.m.request("/apis/apps/v1/replicasets", headers={"Accept-Encoding": "gzip"})
        self.assertEqual((st, hd["Content-Encoding"]), (200, "gzip"))
        self.assertGreater(len(json.loads(gzip.decompress(data))["items"]), 100)
        st, hd, data = self.m.request("/apis/apps/v1/replicasets?limit=2", headers={"Accept-Encoding": "gzip"})
        self.assertIsNone(hd["Content-Encoding"])
        self.assertEqual(len(json.loads(data)["items"]), 2)
        # a label selector over the owners works, without remainingItemCount
        st, _, d = self.m.json("/apis/batch/v1/jobs?limit=500")
        name = d["items"][0]["metadata"]["name"]
        st, _, d = self.m.json("/apis/batch/v1/jobs?labelSelector=job-name%3D" + name)
        self.assertEqual([i["metadata"]["name"] for i in d["items"]], [name])

    def test_owners_deterministic_by_seed(self):
        def render(seed):
            g = kubeapi.Generator(5000, 30, seed=seed)
            return ["".join(it.full() for it in items) for items in (g.rs_items, g.job_items)], g
        (rs1, job1), g = render(7)
        (rs2, job2), _ = render(7)
        self.assertEqual((rs1, job1), (rs2, job2))
        (rs3, job3), _ = render(8)
        self.assertNotEqual(rs1, rs3)
        self.assertNotEqual(job1, job3)
        self.assertTrue(g.rs_items and g.job_items)
        # in process, larger: every pod's RS/Job owner is there, with its uid, metadata as in the full form
        owners = {}
        for it in g.rs_items + g.job_items:
            md = json.loads(it.meta())
            self.assertEqual(md, json.loads(it.full())["metadata"])
            owners[(md["namespace"], md["name"])] = md["uid"]
        self.assertEqual(len(owners), len(g.rs_items) + len(g.job_items))
        n = 0
        for p in g.pod_items:
            md = json.loads(p.meta())
            for r in md.get("ownerReferences", []):
                if r["kind"] in ("ReplicaSet", "Job"):
                    self.assertEqual(owners[(md["namespace"], r["name"])], r["uid"])
                    n += 1
        self.assertGreater(n, 5000 * 0.6)

    def test_gzip_only_above_128k(self):
        st, hd, data = self.s.request("/api/v1/pods?limit=5", headers={"Accept-Encoding": "gzip"})
        self.assertEqual(st, 200)
        self.assertLess(len(data), 128 * 1024)
        self.assertIsNone(hd["Content-Encoding"])
        self.assertEqual(hd["Transfer-Encoding"], "chunked")
        st, hd, data = self.s.request("/api/v1/pods", headers={"Accept-Encoding": "gzip"})
        self.assertEqual((hd["Content-Encoding"], hd["Vary"]), ("gzip", "Accept-Encoding"))
        d = json.loads(gzip.decompress(data))
        self.assertEqual(len(d["items"]), 400)
        self.assertGreater(len(gzip.decompress(data)), 128 * 1024)
        st, hd, data = self.s.request("/api/v1/pods")
        self.assertIsNone(hd["Content-Encoding"])
        self.assertEqual(len(json.loads(data)["items"]), 400)
        rec = [x for x in self.s.log() if x.get("content-encoding") == "gzip"]
        self.assertTrue(rec)

    def test_generated_pods_realistic(self):
        st, _, d = self.s.json("/api/v1/pods")
        items = d["items"]
        self.assertEqual(len(keyset(items)), 400)
        sizes = [len(json.dumps(i, separators=(",", ":"))) for i in items]
        self.assertGreater(sum(sizes) / len(sizes), 3000)
        scs = set()
        for p in items:
            self.assertIn("managedFields", p["metadata"])
            for c in p["spec"]["containers"]:
                scs.add(json.dumps(c.get("securityContext"), sort_keys=True))
        self.assertGreater(len(scs), 5)
        st, _, n = self.s.json("/api/v1/namespaces")
        self.assertEqual(len(n["items"]), 12)
        self.assertEqual(keyset(items) and {i["metadata"]["namespace"] for i in items} <=
                         {i["metadata"]["name"] for i in n["items"]}, True)

    def test_no_partial_metadata(self):
        st, _, d = self.s.json("/api/v1/pods?limit=2", headers={
            "Accept": "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1"})
        self.assertEqual(d["kind"], "PodList")
        self.assertIn("spec", d["items"][0])

    def test_always_expire_continue(self):
        st, _, d = self.s.json("/api/v1/pods?limit=150")
        seen = d["items"]
        st, _, d = self.s.json("/api/v1/pods?limit=150&continue=" + d["metadata"]["continue"])
        self.assertEqual((st, d["reason"]), (410, "Expired"))
        tok = d["metadata"]["continue"]
        self.assertEqual(decode_token(tok)["rv"], -1)
        expired = 0
        while tok:  # every token with a real rv expires; the rv=-1 ones it hands out make progress
            st, _, d = self.s.json("/api/v1/pods?limit=150&continue=" + tok)
            if st == 410:
                expired += 1
            else:
                self.assertEqual(st, 200)
                seen += d["items"]
            tok = d["metadata"].get("continue")
        self.assertEqual(expired, 1)
        self.assertEqual(len(seen), 400)
        self.assertEqual(len(keyset(seen)), 400)

    def test_slow(self):
        t0 = time.monotonic()
        st, _, data = self.s.request("/api/v1/pods?limit=7")
        self.assertEqual(st, 200)
        chunks = (len(data) + 4095) // 4096
        self.assertGreater(chunks, 3)
        self.assertGreater(time.monotonic() - t0, (chunks - 1) * 0.02 * 0.9)

    def test_generator_fast_and_deterministic(self):
        t0 = time.monotonic()
        g1 = kubeapi.Generator(20000, 50, seed=7)
        page = "".join(it.full() for it in g1.pod_items[:500])
        self.assertLess(time.monotonic() - t0, 10)
        g2 = kubeapi.Generator(20000, 50, seed=7)
        self.assertEqual(page, "".join(it.full() for it in g2.pod_items[:500]))
        self.assertEqual(len({it.key for it in g1.pod_items}), 20000)


class TestTLSFaults(unittest.TestCase):
    def test_expired_and_wrong_host(self):
        for mode, err in (("expired", "expired"), ("wrong-host", "match")):
            s = Server("--server-cert", mode)
            try:
                with self.assertRaises(ssl.SSLCertVerificationError) as cm:
                    s.request("/version")
                self.assertIn(err, str(cm.exception).lower())
            finally:
                s.stop()


class TestSelectorParser(unittest.TestCase):
    def test_parse(self):
        p = kubeapi.parse_label_selector
        self.assertEqual(p("a=b,c!=d"), [("a", "=", ("b",)), ("c", "!=", ("d",))])
        self.assertEqual(p("x in (a, b),!y,z"), [("x", "in", ("a", "b")), ("y", "!", ()), ("z", "exists", ())])
        self.assertEqual(p(""), [])
        for bad in ("a b", "a in b", "a=b,", "=b", "a in (b"):
            with self.assertRaises(kubeapi.SelectorError, msg=bad):
                p(bad)


# ---------------------------------------------------------------------------
# Issue 7: admission (server-side dry run), new resources, the cluster7 fixture
# ---------------------------------------------------------------------------

def c7(name):
    with open(os.path.join(CLUSTER7, name), encoding="utf-8") as f:
        return json.load(f)


def probe_pod(name=None, sc=None, generate="probe-", image="registry.k8s.io/pause:3.10", **spec_extra):
    md = {"name": name} if name else {"generateName": generate}
    c = {"name": "probe", "image": image}
    if sc is not None:
        c["securityContext"] = sc
    spec = {"containers": [c]}
    spec.update(spec_extra)
    return {"apiVersion": "v1", "kind": "Pod", "metadata": md, "spec": spec}


RESTRICTED_OK = {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}, "runAsNonRoot": True,
                 "seccompProfile": {"type": "RuntimeDefault"}}
PSA_RESTRICTED_DEFAULT = (
    'allowPrivilegeEscalation != false (container "probe" must set securityContext.allowPrivilegeEscalation=false)'
    ', unrestricted capabilities (container "probe" must set securityContext.capabilities.drop=["ALL"]), '
    'runAsNonRoot != true (pod or container "probe" must set securityContext.runAsNonRoot=true), seccompProfile '
    '(pod or container "probe" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")')
KYVERNO_NET_RAW = (
    'admission webhook "validate.kyverno.svc-fail" denied the request: \n\nresource Pod/data-pipeline/%s was '
    'blocked due to the following policies \n\nrequire-drop-net-raw:\n  require-drop-net-raw: \'validation error: '
    'Containers must drop ALL or NET_RAW, must not add NET_RAW or ALL, and must not be privileged. rule '
    'require-drop-net-raw failed at path /spec/%s/\'\n')


class KubectlMixin:
    def kubectl(self, *args, kubeconfig="kubeconfig", check=True):
        exe = shutil.which("kubectl")
        if not exe:
            print("\nkubectl not on PATH: skipping kubectl tests", file=sys.stderr)
            self.skipTest("kubectl not on PATH")
        env = dict(os.environ, HOME=self.s.tmp)
        env.pop("KUBECONFIG", None)
        r = subprocess.run([exe, "--kubeconfig", self.s.file(kubeconfig), "--cache-dir",
                            os.path.join(self.s.tmp, "kcache-" + kubeconfig)] + list(args),
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, timeout=60)
        if check and r.returncode != 0:
            self.fail("kubectl %s failed (%d): %s" % (" ".join(args), r.returncode, r.stderr.decode()))
        return r


class TestAdmission(KubectlMixin, unittest.TestCase):
    """Dry-run creates against testdata/cluster7 and its admission.json."""

    @classmethod
    def setUpClass(cls):
        cls.s = Server("--git-version", "v1.32.4", data_dir=CLUSTER7)
        cls.npods = len(c7("pods.json")["items"])

    @classmethod
    def tearDownClass(cls):
        s = cls.s
        try:
            # the server is read-only: nothing was ever created for real, and the pod list is unchanged
            real = [a for a in s.audit() if not a["dryRun"] and a["code"] < 300]
            st, _, d = s.json("/api/v1/pods")
            assert (real, st, len(d["items"])) == ([], 200, cls.npods), (real, st, len(d["items"]))
        finally:
            rc = s.stop()
        assert rc == 0, rc

    def test_rbac_create_forbidden(self):
        s = self.s
        for cert in ("reader", "nobody", "ns-reader", "no-owners"):
            st, _, d = s.create("legacy-apps", probe_pod(), cert=cert)
            self.assertEqual(st, 403, cert)
            self.assertEqual(d, {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                                 "message": 'pods is forbidden: User "%s" cannot create resource "pods" in API '
                                            'group "" in the namespace "legacy-apps"' % cert,
                                 "reason": "Forbidden", "details": {"kind": "pods"}, "code": 403})
        st, _, d = s.create("legacy-apps", probe_pod(), cert=None, token=s.tokens["reader"])
        self.assertEqual((st, d["message"]), (403, 'pods is forbidden: User "reader" cannot create resource "pods" '
                                                   'in API group "" in the namespace "legacy-apps"'))
        for kw in ({"cert": "prober"}, {"cert": None, "token": s.tokens["prober"]}, {"cert": "admin"}):
            st, _, d = s.create("legacy-apps", probe_pod(), **kw)
            self.assertEqual((st, d["kind"]), (201, "Pod"), kw)
        recs = [a for a in s.audit() if a["decision"] == "forbidden"]
        self.assertEqual({a["user"] for a in recs}, {"reader", "nobody", "ns-reader", "no-owners"})
        self.assertTrue(all(a["code"] == 403 and a["by"] == "RBAC" for a in recs))

    def test_ssar_create_pods(self):
        s = self.s
        for cert, want in (("prober", True), ("admin", True), ("reader", False), ("nobody", False),
                           ("no-owners", False), ("ns-reader", False)):
            body = json.dumps({"kind": "SelfSubjectAccessReview", "apiVersion": "authorization.k8s.io/v1",
                               "spec": {"resourceAttributes": {"namespace": "payments", "verb": "create",
                                                               "resource": "pods"}}})
            st, _, d = s.json("/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", method="POST", body=body,
                              cert=cert, headers={"Content-Type": "application/json"})
            self.assertEqual((st, d["status"]["allowed"]), (201, want), cert)
        body = json.dumps({"kind": "SelfSubjectRulesReview", "apiVersion": "authorization.k8s.io/v1",
                           "spec": {"namespace": "payments"}})
        st, _, d = s.json("/apis/authorization.k8s.io/v1/selfsubjectrulesreviews", method="POST", body=body,
                          cert="prober", headers={"Content-Type": "application/json"})
        self.assertIn({"verbs": ["create"], "apiGroups": [""], "resources": ["pods"]}, d["status"]["resourceRules"])
        st, _, d = s.json("/apis/authorization.k8s.io/v1/selfsubjectrulesreviews", method="POST", body=body,
                          cert="reader", headers={"Content-Type": "application/json"})
        self.assertFalse([r for r in d["status"]["resourceRules"] if "create" in r["verbs"] and "pods" in
                          r["resources"]])

    def test_non_dry_run_refused(self):
        s = self.s
        n0 = len(s.audit())
        for cert in ("prober", "admin"):
            st, _, d = s.create("legacy-apps", probe_pod(name="real-create"), dry_run=None, cert=cert)
            self.assertEqual((st, d["reason"], d["code"]), (405, "MethodNotAllowed", 405))
            self.assertIn("dryRun=All", d["message"])
        st, _, d = s.create("legacy-apps", probe_pod(name="x"), dry_run="Bogus")
        self.assertEqual((st, d["reason"]), (422, "Invalid"))
        self.assertIn('supported values: "All"', d["message"])
        new = s.audit()[n0:]
        self.assertEqual([(a["decision"], a["dryRun"], a["code"]) for a in new],
                         [("refused", False, 405), ("refused", False, 405), ("invalid", False, 422)])
        def refused(recs):
            return [r for r in recs if r["method"] == "POST" and r["path"] == "/api/v1/namespaces/legacy-apps/pods"
                    and (r["query"], r["status"], r.get("dry-run"), r.get("admission")) == ("", 405, False, "refused")]
        self.assertEqual(len(refused(s.wait_log(lambda recs: len(refused(recs)) >= 2))), 2)
        st, _, d = s.json("/api/v1/namespaces/legacy-apps/pods/real-create")
        self.assertEqual(st, 404)
        for method in ("PUT", "PATCH", "DELETE"):
            st, _, d = s.json("/api/v1/namespaces/legacy-apps/pods/cache-0?dryRun=All", method=method, body="{}",
                              cert="admin")
            self.assertEqual((st, d["reason"]), (405, "MethodNotAllowed"), method)

    def test_psa_restricted_denial(self):
        s = self.s
        st, hd, d = s.create("payments", probe_pod(name="probe-a"))
        self.assertEqual(st, 403)
        self.assertEqual(d, {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                             "message": 'pods "probe-a" is forbidden: violates PodSecurity "restricted:latest": '
                                        + PSA_RESTRICTED_DEFAULT,
                             "reason": "Forbidden", "details": {"name": "probe-a", "kind": "pods"}, "code": 403})
        st, _, d = s.create("payments", probe_pod(name="probe-b", sc={"capabilities": {"add": ["NET_RAW"]}}))
        self.assertEqual(st, 403)
        self.assertIn('unrestricted capabilities (container "probe" must set securityContext.capabilities.drop='
                      '["ALL"]; container "probe" must not include "NET_RAW" in securityContext.capabilities.add)',
                      d["message"])
        # generateName: the name is generated before validating admission, so the message names the pod
        st, _, d = s.create("payments", probe_pod(generate="kubecapscan-probe-"))
        self.assertRegex(d["message"], r'^pods "kubecapscan-probe-[a-z0-9]{5}" is forbidden: violates PodSecurity')
        self.assertEqual(d["details"]["name"], d["message"].split('"')[1])
        # drop "all" is not "ALL" for Pod Security; a compliant pod is admitted
        sc = dict(RESTRICTED_OK, capabilities={"drop": ["all"]})
        st, _, d = s.create("payments", probe_pod(name="probe-c", sc=sc))
        self.assertEqual(st, 403)
        self.assertIn('unrestricted capabilities (container "probe" must set securityContext.capabilities.drop=',
                      d["message"])
        st, _, d = s.create("payments", probe_pod(name="probe-d", sc=RESTRICTED_OK))
        self.assertEqual((st, d["metadata"]["name"], d["metadata"]["namespace"]), (201, "probe-d", "payments"))
        self.assertRegex(d["metadata"]["uid"], r"^[0-9a-f]{8}-[0-9a-f]{4}-")
        self.assertIn("creationTimestamp", d["metadata"])
        self.assertNotIn("resourceVersion", d["metadata"])
        self.assertEqual(list(d)[:3], ["kind", "apiVersion", "metadata"])
        a = [x for x in s.audit() if x["name"] == "probe-a"][-1]
        self.assertEqual((a["decision"], a["by"], a["dryRun"], a["user"]), ("denied", "PodSecurity", True, "prober"))

    def test_psa_baseline(self):
        s = self.s
        st, hd, d = s.create("team-baseline", probe_pod(name="probe-a"))
        self.assertEqual(st, 201)
        self.assertEqual(hd["Warning"], '299 - "would violate PodSecurity \\"restricted:latest\\": '
                         + PSA_RESTRICTED_DEFAULT.replace('"', '\\"') + '"')
        self.assertNotIn("securityContext", d["spec"]["containers"][0])
        st, hd, d = s.create("team-baseline", probe_pod(name="probe-b", sc={"capabilities": {"add": ["NET_RAW"]}}))
        self.assertEqual((st, d["message"]), (403, 'pods "probe-b" is forbidden: violates PodSecurity '
                                                   '"baseline:v1.29": non-default capabilities (container "probe" '
                                                   'must not include "NET_RAW" in securityContext.capabilities.add)'))
        # the baseline list is case-sensitive and has no NET_RAW; privileged and host namespaces are baseline too
        st, _, d = s.create("team-baseline", probe_pod(name="probe-c", sc={"privileged": True}, hostNetwork=True))
        self.assertEqual(d["message"], 'pods "probe-c" is forbidden: violates PodSecurity "baseline:v1.29": '
                                       'host namespaces (hostNetwork=true), privileged (container "probe" must not '
                                       'set securityContext.privileged=true)')
        st, _, d = s.create("team-baseline", probe_pod(name="probe-d", sc={"capabilities": {"add": ["CHOWN"]}}))
        self.assertEqual(st, 201)

    def test_kyverno_deny_net_raw(self):
        s = self.s
        st, _, d = s.create("data-pipeline", probe_pod(name="probe-a"))
        self.assertEqual(st, 400)
        self.assertEqual(d, {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                             "message": KYVERNO_NET_RAW % ("probe-a", "containers/0/securityContext/capabilities/"
                                                                      "drop"), "code": 400})
        st, _, d = s.create("data-pipeline", probe_pod(name="probe-b", sc={"capabilities": {
            "add": ["NET_RAW"], "drop": ["ALL"]}}))
        self.assertEqual((st, d["message"]), (400, KYVERNO_NET_RAW % (
            "probe-b", "containers/0/securityContext/capabilities/add")))
        st, _, d = s.create("data-pipeline", probe_pod(name="probe-c", sc={"privileged": True, "capabilities": {
            "drop": ["ALL"]}}))
        self.assertEqual((st, d["message"]), (400, KYVERNO_NET_RAW % (
            "probe-c", "containers/0/securityContext/privileged")))
        pod = probe_pod(name="probe-d", sc={"capabilities": {"drop": ["NET_RAW"]}})
        pod["spec"]["initContainers"] = [{"name": "init", "image": "busybox:1.36"}]
        st, _, d = s.create("data-pipeline", pod)
        self.assertEqual((st, d["message"]), (400, KYVERNO_NET_RAW % (
            "probe-d", "initContainers/0/securityContext/capabilities/drop")))
        for sc in ({"capabilities": {"drop": ["NET_RAW"]}}, {"capabilities": {"drop": ["ALL"]}}):
            st, _, d = s.create("data-pipeline", probe_pod(name="probe-e", sc=sc))
            self.assertEqual(st, 201, sc)
        a = [x for x in s.audit() if x["name"] == "probe-a" and x["namespace"] == "data-pipeline"][-1]
        self.assertEqual((a["decision"], a["by"], a["code"]), ("denied", "require-drop-net-raw", 400))

    def test_mutate_drop_all(self):
        s = self.s
        st, _, d = s.create("ml-serving", probe_pod(name="probe-a"))
        self.assertEqual(st, 201)
        self.assertEqual(d["spec"]["containers"][0]["securityContext"], {"capabilities": {"drop": ["ALL"]}})
        self.assertIn("add-drop-all.add-drop-all.kyverno.io: added /spec/containers/0/securityContext\n",
                      d["metadata"]["annotations"]["policies.kyverno.io/last-applied-patches"])
        st, _, d = s.create("ml-serving", probe_pod(name="probe-b", sc={"runAsUser": 1000, "capabilities": {
            "add": ["NET_ADMIN", "NET_RAW"], "drop": ["MKNOD"]}}))
        self.assertEqual((st, d["spec"]["containers"][0]["securityContext"]),
                         (201, {"runAsUser": 1000, "capabilities": {"add": ["NET_ADMIN"], "drop": ["MKNOD", "ALL"]}}))
        st, _, d = s.create("ml-serving", probe_pod(name="probe-c", sc={"capabilities": {"add": ["NET_RAW"]}}))
        self.assertEqual(d["spec"]["containers"][0]["securityContext"], {"capabilities": {"drop": ["ALL"]}})
        a = [x for x in s.audit() if x["name"] == "probe-c"][-1]
        self.assertEqual((a["decision"], a["mutatedBy"]), ("admitted", ["add-drop-all"]))

    def test_deny_all_runs_before_pod_security(self):
        s = self.s
        for pod in (probe_pod(name="probe-a"), probe_pod(name="probe-b", sc=RESTRICTED_OK),
                    probe_pod(generate="kubecapscan-probe-", sc={"capabilities": {"add": ["NET_RAW"]}})):
            st, _, d = s.create("checkout", pod)
            name = pod["metadata"].get("name", "")
            self.assertEqual((st, d["code"], "reason" in d), (400, 400, False))
            self.assertEqual(d["message"], 'admission webhook "mutate.kyverno.svc-fail" denied the request: \n\n'
                             'resource Pod/checkout/%s was blocked due to the following policies \n\n'
                             'verify-image-signatures:\n  verify-cosign-signature: \'failed to verify image '
                             'registry.k8s.io/pause:3.10: .attestors[0].entries[0].keys: no signatures found\'\n'
                             % name)

    def test_no_dry_run_webhook(self):
        st, _, d = self.s.create("mesh-demo", probe_pod(name="probe-a", sc=RESTRICTED_OK))
        self.assertEqual(d, {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                             "message": 'admission webhook "sidecar-injector.mesh.example.com" does not support '
                                        'dry run', "reason": "BadRequest", "code": 400})

    def test_unprotected_namespaces_admit(self):
        for ns in ("legacy-apps", "default", "kube-system", "monitoring"):
            st, _, d = self.s.create(ns, probe_pod(name="probe-a", sc={"capabilities": {"add": ["NET_RAW"]}}))
            self.assertEqual((st, d["spec"]["containers"][0]["securityContext"]),
                             (201, {"capabilities": {"add": ["NET_RAW"]}}), ns)
            self.assertEqual(d["status"]["phase"], "Pending")

    def test_fixture_probe_matrix(self):
        """expected.json's control/default/NET_RAW probes: A admitted, M admitted mutated, D denied."""
        exp = c7("expected.json")
        want = {"default": "AAA", "kube-system": "AAA", "payments": "ADD", "checkout": "DDD",
                "data-pipeline": "ADD", "ml-serving": "AMM", "legacy-apps": "AAA", "mesh-demo": "DDD",
                "team-baseline": "AAD", "monitoring": "AAA"}
        self.assertEqual(set(want), set(exp["namespaces"]))
        for ns, codes in want.items():
            got = ""
            for k in ("probeControlPod", "probeDefaultPod", "probeNetRawPod"):
                st, _, d = self.s.create(ns, exp[k])
                if st != 201:
                    got += "D"
                    continue
                self.assertEqual(d["kind"], "Pod")
                got += "M" if d["spec"]["containers"][0] != exp[k]["spec"]["containers"][0] else "A"
            self.assertEqual(got, codes, ns)

    def test_bad_requests(self):
        s = self.s
        st, _, d = s.create("nope", probe_pod(name="x"))
        self.assertEqual((st, d["message"], d["details"]), (404, 'namespaces "nope" not found',
                                                            {"name": "nope", "kind": "namespaces"}))
        pod = probe_pod(name="x")
        pod["metadata"]["namespace"] = "payments"
        st, _, d = s.create("legacy-apps", pod)
        self.assertEqual((st, d["message"]), (400, "the namespace of the provided object does not match the "
                                                   "namespace sent on the request"))
        st, _, d = s.create("legacy-apps", {"apiVersion": "v1", "kind": "Pod", "metadata": {},
                                            "spec": {"containers": [{"name": "a", "image": "b"}]}})
        self.assertEqual((st, d["reason"], d["message"]), (422, "Invalid", 'Pod "" is invalid: metadata.name: '
                                                           'Required value: name or generateName is required'))
        st, _, d = s.create("legacy-apps", probe_pod(name="Bad_Name"))
        self.assertEqual((st, d["details"]["causes"][0]["field"]), (422, "metadata.name"))
        st, _, d = s.create("legacy-apps", {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "x"},
                                            "spec": {"containers": []}})
        self.assertEqual((st, d["message"]), (422, 'Pod "x" is invalid: spec.containers: Required value'))
        st, _, d = s.json("/api/v1/namespaces/legacy-apps/pods?dryRun=All", method="POST", body="{not json",
                          cert="prober", headers={"Content-Type": "application/json"})
        self.assertEqual((st, d["reason"]), (400, "BadRequest"))
        st, _, d = s.create("legacy-apps", {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {
            "name": "x"}})
        self.assertEqual(st, 400)
        for sc in ({"seccompProfile": "RuntimeDefault"}, {"capabilities": {"drop": "ALL"}}):
            st, _, d = s.create("payments", probe_pod(name="x", sc=sc))
            self.assertEqual((st, d["reason"]), (400, "BadRequest"), sc)
            self.assertIn('cannot be handled as a Pod', d["message"])

    def test_new_resources(self):
        s = self.s
        want = {"nodes": ("", "v1", "nodes.json", False), "runtimeclasses": ("node.k8s.io", "v1",
                                                                             "runtimeclasses.json", False),
                "replicasets": ("apps", "v1", "replicasets.json", True),
                "deployments": ("apps", "v1", "deployments.json", True),
                "statefulsets": ("apps", "v1", "statefulsets.json", True),
                "daemonsets": ("apps", "v1", "daemonsets.json", True), "jobs": ("batch", "v1", "jobs.json", True),
                "cronjobs": ("batch", "v1", "cronjobs.json", True)}
        st, _, groups = s.json("/apis", cert="reader")
        names = [g["name"] for g in groups["groups"]]
        for g in ("apps", "batch", "node.k8s.io"):
            self.assertIn(g, names)
        for res, (g, v, fn, namespaced) in want.items():
            base = "/api/v1" if not g else "/apis/%s/%s" % (g, v)
            items = c7(fn)["items"]
            st, _, disc = s.json(base, cert="reader")
            ent = [r for r in disc["resources"] if r["name"] == res]
            self.assertEqual((st, len(ent)), (200, 1), res)
            self.assertEqual(ent[0]["namespaced"], namespaced, res)
            for cert in ("reader", "prober", "admin"):
                seen, tok, pages = [], "", 0
                while True:
                    st, _, d = s.json(base + "/" + res + "?limit=2" + ("&continue=" + tok if tok else ""), cert=cert)
                    self.assertEqual(st, 200, (res, cert))
                    seen += d["items"]
                    pages += 1
                    tok = d["metadata"].get("continue")
                    if not tok:
                        break
                self.assertEqual(keyset(seen), keyset(items), (res, cert))
                self.assertEqual(pages, max(1, (len(items) + 1) // 2), res)
            st, _, d = s.json(base + "/" + res, cert="reader", headers={
                "Accept": "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json"})
            self.assertEqual((d["kind"], d["apiVersion"]), ("PartialObjectMetadataList", "meta.k8s.io/v1"))
            self.assertEqual(keyset(d["items"]), keyset(items))
            self.assertEqual([i["metadata"]["uid"] for i in d["items"]],
                             [i["metadata"]["uid"] for i in sorted(items, key=lambda i: (
                                 "%s/%s" % (i["metadata"].get("namespace", ""), i["metadata"]["name"])
                                 if namespaced else i["metadata"]["name"]).encode())])
            if namespaced:
                ns = items[0]["metadata"]["namespace"]
                path = "%s/namespaces/%s/%s/%s" % (base, ns, res, items[0]["metadata"]["name"])
            else:
                path = "%s/%s/%s" % (base, res, items[0]["metadata"]["name"])
            st, _, d = s.json(path, cert="reader", headers={
                "Accept": "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1"})
            self.assertEqual((st, d["kind"], d["metadata"]["uid"]), (200, "PartialObjectMetadata",
                                                                     items[0]["metadata"]["uid"]))
            st, _, d = s.json(base + "/" + res, cert="no-owners")
            scope = " at the cluster scope"
            self.assertEqual((st, d["message"]), (403, '%s is forbidden: User "no-owners" cannot list resource "%s" '
                                                       'in API group "%s"%s' % (res if not g else res + "." + g, res,
                                                                                g, scope)), res)
            st, _, d = s.json(path, cert="no-owners")
            self.assertEqual(st, 403, path)
        for path in ("/api/v1/pods", "/api/v1/namespaces", "/api/v1/namespaces/legacy-apps/pods/cache-0",
                     "/api/v1/namespaces/payments"):
            st, _, d = s.json(path, cert="no-owners")
            self.assertEqual(st, 200, path)
        st, _, d = s.json("/apis/node.k8s.io/v1/runtimeclasses/gvisor", cert="reader")
        self.assertEqual((d["kind"], d["apiVersion"], d["handler"]), ("RuntimeClass", "node.k8s.io/v1", "runsc"))
        st, _, d = s.json("/api/v1/nodes", cert="reader")
        self.assertEqual({n["metadata"]["name"]: n["status"]["nodeInfo"]["containerRuntimeVersion"]
                          for n in d["items"]},
                         {"cp-1": "containerd://1.7.20", "node-containerd-1": "containerd://1.7.20",
                          "node-crio-1": "cri-o://1.30.4", "node-docker-1": "docker://27.1.1",
                          "node-win-1": "containerd://1.7.20"})

    # --- kubectl ----------------------------------------------------------
    def _pod_file(self, pod):
        path = os.path.join(self.s.tmp, "pod-%s.json" % pod["metadata"]["name"])
        with open(path, "w") as f:
            json.dump(pod, f)
        return path

    def test_kubectl_dry_run_server(self):
        f_default = self._pod_file(probe_pod(name="kubectl-a"))
        f_netraw = self._pod_file(probe_pod(name="kubectl-b", sc={"capabilities": {"add": ["NET_RAW"]}}))
        r = self.kubectl("create", "-f", f_default, "--dry-run=server", "-n", "legacy-apps",
                         kubeconfig="kubeconfig-prober")
        self.assertEqual(r.stdout.strip(), b"pod/kubectl-a created (server dry run)")
        r = self.kubectl("create", "-f", f_default, "--dry-run=server", "-n", "payments",
                         kubeconfig="kubeconfig-prober", check=False)
        self.assertEqual(r.returncode, 1)
        self.assertIn(('Error from server (Forbidden): error when creating "%s": pods "kubectl-a" is forbidden: '
                       'violates PodSecurity "restricted:latest": ' % f_default).encode()
                      + PSA_RESTRICTED_DEFAULT.encode(), r.stderr)
        r = self.kubectl("create", "-f", f_netraw, "--dry-run=server", "-n", "team-baseline",
                         kubeconfig="kubeconfig-prober", check=False)
        self.assertIn(b'violates PodSecurity "baseline:v1.29": non-default capabilities', r.stderr)
        r = self.kubectl("create", "-f", f_default, "--dry-run=server", "-n", "data-pipeline",
                         kubeconfig="kubeconfig-prober", check=False)
        self.assertIn(b'Error from server: error when creating', r.stderr)
        self.assertIn(b'admission webhook "validate.kyverno.svc-fail" denied the request', r.stderr)
        r = self.kubectl("create", "-f", f_default, "--dry-run=server", "-n", "mesh-demo",
                         kubeconfig="kubeconfig-prober", check=False)
        self.assertIn(b'admission webhook "sidecar-injector.mesh.example.com" does not support dry run', r.stderr)
        r = self.kubectl("create", "-f", f_netraw, "--dry-run=server", "-n", "ml-serving", "-o", "json",
                         kubeconfig="kubeconfig-prober")
        self.assertEqual(json.loads(r.stdout)["spec"]["containers"][0]["securityContext"],
                         {"capabilities": {"drop": ["ALL"]}})
        r = self.kubectl("create", "-f", f_default, "--dry-run=server", "-n", "legacy-apps",
                         kubeconfig="kubeconfig-reader", check=False)
        self.assertIn(b'pods is forbidden: User "reader" cannot create resource "pods" in API group "" in the '
                      b'namespace "legacy-apps"', r.stderr)
        for kc, want in (("kubeconfig-prober", b"yes"), ("kubeconfig-reader", b"no"), ("kubeconfig", b"yes")):
            r = self.kubectl("auth", "can-i", "create", "pods", "-n", "payments", kubeconfig=kc, check=False)
            self.assertEqual(r.stdout.strip(), want, kc)
        def posts_of(recs):
            return [x for x in recs if x["method"] == "POST" and x["path"].endswith("/pods")
                    and x["user-agent"] and x["user-agent"].startswith("kubectl")]
        posts = posts_of(self.s.wait_log(lambda recs: len(posts_of(recs)) >= 7))
        self.assertEqual(len(posts), 7)
        self.assertTrue(posts)
        self.assertTrue(all("dryRun=All" in x["query"] for x in posts), posts)

    def test_kubectl_get_workloads(self):
        r = self.kubectl("get", "deploy,rs,jobs,cronjobs,nodes,runtimeclasses,sts,ds", "-A", "-o", "json",
                         kubeconfig="kubeconfig-reader")
        got = {(i["kind"], i["metadata"].get("namespace", ""), i["metadata"]["name"])
               for i in json.loads(r.stdout)["items"]}
        want = set()
        for fn, kind in (("deployments.json", "Deployment"), ("replicasets.json", "ReplicaSet"),
                         ("jobs.json", "Job"), ("cronjobs.json", "CronJob"), ("nodes.json", "Node"),
                         ("runtimeclasses.json", "RuntimeClass"), ("statefulsets.json", "StatefulSet"),
                         ("daemonsets.json", "DaemonSet")):
            want |= {(kind, i["metadata"].get("namespace", ""), i["metadata"]["name"]) for i in c7(fn)["items"]}
        self.assertEqual(got, want)
        r = self.kubectl("get", "deploy,rs,jobs,cronjobs,nodes,runtimeclasses", "-A", kubeconfig="kubeconfig-reader")
        for name in (b"deployment.apps/web-frontend", b"replicaset.apps/web-frontend-6b7f9c8d4",
                     b"cronjob.batch/nightly-etl", b"node/node-crio-1", b"runtimeclass.node.k8s.io/gvisor"):
            self.assertIn(name, r.stdout)
        r = self.kubectl("get", "rs", "-A", kubeconfig="kubeconfig-no-owners", check=False)
        self.assertIn(b'replicasets.apps is forbidden: User "no-owners" cannot list resource "replicasets" in API '
                      b'group "apps" at the cluster scope', r.stderr)
        r = self.kubectl("get", "pods", "-A", "-o", "json", kubeconfig="kubeconfig-no-owners")
        self.assertEqual(len(json.loads(r.stdout)["items"]), self.npods)


class TestAdmissionConfig(KubectlMixin, unittest.TestCase):
    """PSA exemptions, --prober-namespaces, --psa-default-enforce and admission.json engines."""

    @classmethod
    def setUpClass(cls):
        cls.s = Server("--git-version", "v1.32.4", "--psa-exempt-users", "prober",
                       "--prober-namespaces", "payments,legacy-apps,checkout,data-pipeline",
                       "--psa-exempt-runtimeclasses", "gvisor", "--psa-default-enforce", "baseline:v1.28",
                       data_dir=CLUSTER7)

    @classmethod
    def tearDownClass(cls):
        assert cls.s.stop() == 0

    def write_policies(self, policies):
        path = os.path.join(self.s.data, "admission.json")
        with open(path + ".tmp", "w") as f:
            json.dump(policies, f)
        os.replace(path + ".tmp", path)

    def test_prober_exempt_from_psa(self):
        s = self.s
        st, _, d = s.create("payments", probe_pod(name="probe-a", sc={"capabilities": {"add": ["NET_RAW"]}}))
        self.assertEqual(st, 201)  # the prober's own identity is exempt
        st, _, d = s.create("payments", probe_pod(name="probe-a"), cert="admin")
        self.assertEqual((st, d["message"]), (403, 'pods "probe-a" is forbidden: violates PodSecurity '
                                                   '"restricted:latest": ' + PSA_RESTRICTED_DEFAULT))
        st, _, d = s.create("payments", probe_pod(name="probe-b", runtimeClassName="gvisor"), cert="admin")
        self.assertEqual(st, 201)  # exempt runtime class

    def test_prober_namespaces(self):
        s = self.s
        st, _, d = s.create("team-baseline", probe_pod(name="probe-a"))
        self.assertEqual((st, d["message"]), (403, 'pods is forbidden: User "prober" cannot create resource "pods" '
                                                   'in API group "" in the namespace "team-baseline"'))
        body = json.dumps({"kind": "SelfSubjectAccessReview", "apiVersion": "authorization.k8s.io/v1",
                           "spec": {"resourceAttributes": {"verb": "create", "resource": "pods"}}})
        for ns, want in (("payments", True), ("team-baseline", False), (None, False)):
            spec = json.loads(body)
            if ns:
                spec["spec"]["resourceAttributes"]["namespace"] = ns
            st, _, d = s.json("/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", method="POST",
                              body=json.dumps(spec), cert="prober", headers={"Content-Type": "application/json"})
            self.assertEqual(d["status"]["allowed"], want, ns)
        st, _, d = s.json("/api/v1/namespaces/team-baseline/pods", cert="prober")
        self.assertEqual(st, 200)  # still reads everything
        r = self.kubectl("auth", "can-i", "create", "pods", "-n", "team-baseline", kubeconfig="kubeconfig-prober",
                         check=False)
        self.assertEqual(r.stdout.strip(), b"no")

    def test_psa_default_enforce(self):
        # legacy-apps has no labels: the AdmissionConfiguration default (baseline:v1.28) applies
        st, _, d = self.s.create("legacy-apps", probe_pod(name="probe-a", sc={"capabilities": {"add": ["NET_RAW"]}}),
                                 cert="admin")
        self.assertEqual((st, d["message"]), (403, 'pods "probe-a" is forbidden: violates PodSecurity '
                                                   '"baseline:v1.28": non-default capabilities (container "probe" '
                                                   'must not include "NET_RAW" in securityContext.capabilities.add)'))

    def test_engines_and_order(self):
        s = self.s
        orig = read(os.path.join(s.data, "admission.json"))
        try:
            self.write_policies([
                {"name": "allowed-repos", "type": "deny-all", "namespaces": ["pay*"]},
                {"name": "net-raw-vap", "type": "deny-net-raw", "engine": "vap", "namespaces": ["legacy-*"],
                 "excludeUsers": ["admin"]},
                {"name": "gk-net-raw", "type": "deny-net-raw", "engine": "gatekeeper", "namespaces": ["legacy-*"]},
                {"name": "audit-hook.example.com", "type": "no-dry-run", "namespaces": ["data-pipeline"]},
                {"name": "vap-deny", "type": "deny-all", "engine": "vap", "namespaces": ["data-pipeline"],
                 "message": "no new pods here"}])
            # PodSecurity (validating) runs before a validating webhook: admin gets the PSA message ...
            st, _, d = s.create("payments", probe_pod(name="probe-a"), cert="admin")
            self.assertEqual((st, d["message"].split(":")[0]), (403, 'pods "probe-a" is forbidden'))
            self.assertIn("violates PodSecurity", d["message"])
            # ... and a compliant pod (or an exempt prober) reaches Gatekeeper
            for kw in ({"cert": "admin", "pod": probe_pod(name="probe-b", sc=RESTRICTED_OK)},
                       {"cert": "prober", "pod": probe_pod(name="probe-b")}):
                st, _, d = s.create("payments", kw["pod"], cert=kw["cert"])
                self.assertEqual(d, {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                                     "message": 'admission webhook "validation.gatekeeper.sh" denied the request: '
                                                '[allowed-repos] container <probe> has an invalid image repo '
                                                '<registry.k8s.io/pause:3.10>, allowed repos are '
                                                '["registry.internal.example.com/"]',
                                     "reason": "Forbidden", "code": 403})
            # ValidatingAdmissionPolicy runs before validating webhooks
            st, _, d = s.create("legacy-apps", probe_pod(name="probe-c"))
            self.assertEqual((st, d["details"]), (403, {"name": "probe-c", "kind": "pods"}))
            self.assertTrue(d["message"].startswith("pods \"probe-c\" is forbidden: ValidatingAdmissionPolicy "
                                                    "'net-raw-vap' with binding 'net-raw-vap-binding' denied "
                                                    "request: failed expression: "), d["message"])
            # excludeUsers: admin skips the VAP and meets Gatekeeper
            st, _, d = s.create("legacy-apps", probe_pod(name="probe-c"), cert="admin")
            self.assertEqual(d["message"], 'admission webhook "validation.gatekeeper.sh" denied the request: '
                                           '[gk-net-raw] container <probe> must drop ALL or NET_RAW')
            # a validating webhook with side effects: the VAP (earlier) denies first
            st, _, d = s.create("data-pipeline", probe_pod(name="probe-d"))
            self.assertEqual(d["message"], "pods \"probe-d\" is forbidden: ValidatingAdmissionPolicy 'vap-deny' "
                                           "with binding 'vap-deny-binding' denied request: no new pods here")
            self.write_policies([{"name": "audit-hook.example.com", "type": "no-dry-run",
                                  "namespaces": ["data-pipeline"]}])
            st, _, d = s.create("data-pipeline", probe_pod(name="probe-d"))
            self.assertEqual((st, d["message"]), (400, 'admission webhook "audit-hook.example.com" does not support '
                                                       'dry run'))
            # a broken file keeps the previous policies
            with open(os.path.join(s.data, "admission.json"), "w") as f:
                f.write("[{\"name\": 1}]")
            st, _, d = s.create("data-pipeline", probe_pod(name="probe-d"))
            self.assertEqual(st, 400)
            self.write_policies([])
            st, _, d = s.create("data-pipeline", probe_pod(name="probe-d"))
            self.assertEqual(st, 201)
        finally:
            with open(os.path.join(s.data, "admission.json"), "w") as f:
                f.write(orig)

    def test_bad_admission_file_fails_startup(self):
        tmp = tempfile.mkdtemp(prefix="kubeapi-bad-")
        try:
            shutil.copytree(FIXTURES, os.path.join(tmp, "data"))
            with open(os.path.join(tmp, "data", "admission.json"), "w") as f:
                json.dump([{"name": "x", "type": "deny-everything"}], f)
            r = subprocess.run([sys.executable, SERVER, "--state-dir", os.path.join(tmp, "st"), "--data",
                                os.path.join(tmp, "data"), "--max-lifetime", "5"], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, timeout=60)
            self.assertNotEqual(r.returncode, 0)
            self.assertIn(b"type must be one of", r.stderr)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


class TestPodSecurityChecks(unittest.TestCase):
    """kubeapi's Pod Security evaluation, in process."""

    def ev(self, level, minor, containers, **spec):
        spec = dict(spec, containers=containers)
        return kubeapi.psa_detail(kubeapi.psa_evaluate(level, minor, {}, spec))

    def test_versions_and_order(self):
        c = [{"name": "a", "securityContext": {"privileged": True}}, {"name": "b"}]
        self.assertEqual(self.ev("restricted", None, c),
                         'privileged (container "a" must not set securityContext.privileged=true), '
                         'allowPrivilegeEscalation != false (containers "a", "b" must set '
                         'securityContext.allowPrivilegeEscalation=false), unrestricted capabilities (containers '
                         '"a", "b" must set securityContext.capabilities.drop=["ALL"]), runAsNonRoot != true (pod or '
                         'containers "a", "b" must set securityContext.runAsNonRoot=true), seccompProfile (pod or '
                         'containers "a", "b" must set securityContext.seccompProfile.type to "RuntimeDefault" or '
                         '"Localhost")')
        add = [{"name": "a", "securityContext": dict(RESTRICTED_OK, capabilities={"add": ["NET_RAW"]})}]
        # before v1.22 restricted has no drop-ALL check, and the baseline capability check applies
        self.assertEqual(self.ev("restricted", 21, add), 'non-default capabilities (container "a" must not include '
                                                         '"NET_RAW" in securityContext.capabilities.add)')
        self.assertEqual(self.ev("restricted", 22, add), 'unrestricted capabilities (container "a" must set '
                                                         'securityContext.capabilities.drop=["ALL"]; container "a" '
                                                         'must not include "NET_RAW" in '
                                                         'securityContext.capabilities.add)')
        self.assertEqual(self.ev("baseline", None, [{"name": "a", "securityContext": {"capabilities": {
            "add": ["net_raw", "CHOWN", "ALL"]}}}]), 'non-default capabilities (container "a" must not include '
                                                     '"ALL", "net_raw" in securityContext.capabilities.add)')
        self.assertEqual(self.ev("baseline", None, [{"name": "a"}]), "")
        self.assertEqual(self.ev("privileged", None, c), "")

    def test_windows_exemption(self):
        c = [{"name": "w", "securityContext": {"runAsNonRoot": True}}]
        win = {"os": {"name": "windows"}}
        self.assertEqual(self.ev("restricted", None, c, **win), "")
        self.assertEqual(self.ev("restricted", 24, c, **win),
                         'allowPrivilegeEscalation != false (container "w" must set '
                         'securityContext.allowPrivilegeEscalation=false), unrestricted capabilities (container "w" '
                         'must set securityContext.capabilities.drop=["ALL"]), seccompProfile (pod or container "w" '
                         'must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")')
        # node OS and nodeSelector do not count, only spec.os
        self.assertIn("unrestricted capabilities", self.ev("restricted", None, c,
                                                           nodeSelector={"kubernetes.io/os": "windows"}))

    def test_label_parsing(self):
        p = kubeapi.psa_enforce_policy
        d = ("privileged", None)
        self.assertEqual(p({}, d), d)
        self.assertEqual(p({kubeapi.PSA_ENFORCE: "restricted"}, ("baseline", 20)), ("restricted", None))
        self.assertEqual(p({kubeapi.PSA_ENFORCE: "Restricted"}, d), ("restricted", None))  # fails closed
        self.assertEqual(p({kubeapi.PSA_ENFORCE: "baseline", kubeapi.PSA_ENFORCE_VERSION: "v1.x"}, d),
                         ("baseline", None))
        self.assertEqual(p({kubeapi.PSA_ENFORCE: "baseline", kubeapi.PSA_ENFORCE_VERSION: "v1.25"}, d),
                         ("baseline", 25))
        self.assertEqual(kubeapi.psa_policy_string("baseline", 25), "baseline:v1.25")
        with self.assertRaises(ValueError):
            kubeapi.parse_psa_default("strict")


# ---- the fixture itself ------------------------------------------------------

def rules_reason(pod, c):
    """docs/rules.md, written independently of the hand-made expectations, to cross-check them."""
    if ((pod["spec"].get("os") or {}).get("name")) == "windows":
        return "NOT_APPLICABLE", "WINDOWS_POD"
    sc = c.get("securityContext")
    if sc and sc.get("privileged") is True:
        return "FAIL", "PRIVILEGED"
    caps = (sc or {}).get("capabilities")
    add = [x.upper() for x in (caps or {}).get("add") or []]
    drop = [x.upper() for x in (caps or {}).get("drop") or []]
    if "NET_RAW" in add or "CAP_NET_RAW" in add:
        return "FAIL", "ADD_NET_RAW"
    if "ALL" in add:
        return "FAIL", "ADD_ALL"
    if "ALL" in drop:
        return "PASS", "DROP_ALL"
    if "NET_RAW" in drop:
        return "PASS", "DROP_NET_RAW"
    if "CAP_NET_RAW" in drop:
        return "FAIL", "DROP_PREFIXED_INEFFECTIVE"
    if sc is None:
        return "FAIL", "NO_SECURITY_CONTEXT"
    if caps is None:
        return "FAIL", "NO_CAPABILITIES"
    return "FAIL", "NO_MATCHING_DROP"


class TestCluster7Fixture(unittest.TestCase):
    def test_self_consistent(self):
        pods = c7("pods.json")["items"]
        nodes = {n["metadata"]["name"]: n for n in c7("nodes.json")["items"]}
        nss = {n["metadata"]["name"]: n for n in c7("namespaces.json")["items"]}
        owners = {}
        for fn in ("replicasets.json", "deployments.json", "statefulsets.json", "daemonsets.json", "jobs.json",
                   "cronjobs.json"):
            doc = c7(fn)
            for o in doc["items"]:
                self.assertIn(o["metadata"]["namespace"], nss)
                owners[o["metadata"]["uid"]] = (doc["kind"][:-4], o)
        for n in nodes.values():
            owners[n["metadata"]["uid"]] = ("Node", n)
        uids = [o["metadata"]["uid"] for o in pods] + list(owners)
        self.assertEqual(len(uids), len(set(uids)))
        orphans = []
        for p in pods:
            md, spec = p["metadata"], p["spec"]
            self.assertIn(md["namespace"], nss)
            self.assertIn(spec["nodeName"], nodes)
            rt = nodes[spec["nodeName"]]["status"]["nodeInfo"]["containerRuntimeVersion"].split(":")[0]
            for cs in p["status"].get("containerStatuses", []) + p["status"].get("initContainerStatuses", []):
                self.assertTrue(cs["containerID"].startswith(rt + "://"), (md["name"], cs["containerID"]))
            for ref in md.get("ownerReferences", []):
                self.assertTrue(ref["controller"])
                if ref["uid"] not in owners:
                    orphans.append(md["name"])
                    continue
                kind, o = owners[ref["uid"]]
                self.assertEqual((kind, o["metadata"]["name"]), (ref["kind"], ref["name"]))
                if kind != "Node":
                    self.assertEqual(o["metadata"]["namespace"], md["namespace"])
                    sel = o["spec"]["selector"]["matchLabels"]
                    self.assertTrue(all(md["labels"].get(k) == v for k, v in sel.items()), md["name"])
                else:
                    self.assertTrue(md["name"].endswith("-" + o["metadata"]["name"]))
                    self.assertIn("kubernetes.io/config.mirror", md["annotations"])
            if spec.get("runtimeClassName"):
                self.assertIn(spec["runtimeClassName"], {r["metadata"]["name"] for r in
                                                         c7("runtimeclasses.json")["items"]})
        self.assertEqual(orphans, ["orphan-worker-5f6d7c8b9-zzq4r"])
        for kind, o in owners.values():  # ReplicaSet -> Deployment, Job -> CronJob
            for ref in o["metadata"].get("ownerReferences", []):
                self.assertEqual(owners[ref["uid"]][1]["metadata"]["name"], ref["name"])
        policies = c7("admission.json")
        self.assertEqual({p["type"] for p in policies}, {"deny-net-raw", "mutate-drop-all", "deny-all",
                                                         "no-dry-run"})

    def test_expected_matches_rules(self):
        pods = {"%s/%s" % (p["metadata"]["namespace"], p["metadata"]["name"]): p for p in c7("pods.json")["items"]}
        exp = c7("expected.json")
        self.assertNotIn("items", exp)
        self.assertEqual({"%s/%s" % (e["namespace"], e["name"]) for e in exp["pods"]}, set(pods))
        lists = {"initContainer": "initContainers", "container": "containers",
                 "ephemeralContainer": "ephemeralContainers"}
        for e in exp["pods"]:
            p = pods["%s/%s" % (e["namespace"], e["name"])]
            self.assertEqual(e["uid"], p["metadata"]["uid"])
            n = sum(len(p["spec"].get(lst) or []) for lst in lists.values())
            self.assertEqual(len(e["containers"]), n, e["name"])
            for c in e["containers"]:
                spec_c = p["spec"][lists[c["type"]]][c["index"]]
                self.assertEqual(spec_c["name"], c["name"])
                self.assertEqual(rules_reason(p, spec_c), (c["verdict"], c["reason"]), (e["name"], c["name"]))
        self.assertEqual({n: v["labelVerdict"]["reason"] for n, v in exp["namespaces"].items()},
                         {"default": "UNLABELLED", "kube-system": "UNLABELLED", "payments": "ENFORCE_RESTRICTED",
                          "checkout": "ENFORCE_RESTRICTED", "data-pipeline": "UNLABELLED",
                          "ml-serving": "UNLABELLED", "legacy-apps": "UNLABELLED", "mesh-demo": "UNLABELLED",
                          "team-baseline": "ENFORCE_BASELINE", "monitoring": "ENFORCE_PRIVILEGED"})
        wl = {(w["namespace"], w["kind"], w["name"]): w for w in exp["workloads"]}
        self.assertEqual(wl[("legacy-apps", "Deployment", "web-frontend")]["pods"], {"total": 3, "fail": 3})
        self.assertFalse(wl[("legacy-apps", "ReplicaSet", "orphan-worker-5f6d7c8b9")]["resolved"])
        self.assertIn(("data-pipeline", "CronJob", "nightly-etl"), wl)
        self.assertIn(("kube-system", "Pod", "etcd-cp-1"), wl)
        self.assertIn(("default", "Pod", "debug-shell"), wl)


if __name__ == "__main__":
    unittest.main(verbosity=2)
