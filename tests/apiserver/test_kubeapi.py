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

    def __init__(self, *extra, data=True):
        self.tmp = tempfile.mkdtemp(prefix="kubeapi-test-")
        self.sdir = os.path.join(self.tmp, "state")
        self.data = None
        args = [sys.executable, SERVER, "--state-dir", self.sdir, "--max-lifetime", "120",
                "--request-log", os.path.join(self.tmp, "requests.log")]
        if data:
            self.data = os.path.join(self.tmp, "data")
            shutil.copytree(FIXTURES, self.data)
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
            return [json.loads(line) for line in f if line.strip()]

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
                  "kubeconfig-untrusted", "kubeconfig-embedded", "users.json"):
            self.assertTrue(os.path.exists(s.file(f)), f)
        kc = read(s.file("kubeconfig"))
        self.assertIn("certificate-authority: ca.crt", kc)
        self.assertIn("client-certificate: admin.crt", kc)
        self.assertIn("current-context: test-admin", kc)
        self.assertIn("server: https://127.0.0.1:%d" % s.port, kc)
        self.assertEqual(set(s.tokens), {"admin", "reader", "nobody", "ns-reader"})
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

    @classmethod
    def tearDownClass(cls):
        cls.s.stop()

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


if __name__ == "__main__":
    unittest.main(verbosity=2)
