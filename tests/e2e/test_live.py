"""End-to-end live scans against the test API server: every auth method,
kubeconfig loading, paging, and every failure the live-client issue names.
Live verdicts must equal those of -f on the same objects."""
import base64
import json
import os
import re
import socket
import stat
import textwrap
import unittest

import kcs
from apiserver import Server

DEMO_FILES = [kcs.path("testdata", "demo", "namespaces.json"),
              kcs.path("testdata", "demo", "pods.json")]


def offline_verdicts():
    rc, out, err = kcs.run(["-f", DEMO_FILES[0], "-f", DEMO_FILES[1], "-o", "json"])
    assert rc == 1, err
    return normalise(kcs.load(out))


def normalise(rep):
    """Verdicts keyed by identity, independent of listing order."""
    pods, nss, summary = kcs.verdicts(rep)
    return sorted(pods), sorted(nss), summary


def scan(env, *args, timeout=120):
    # -v always: the request log must never show a credential either
    return kcs.run(["-o", "json", "-v"] + list(args), env=env, timeout=timeout)


class Live(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.want = offline_verdicts()

    def assert_full_scan(self, rc, out, err, srv=None):
        self.assertEqual(rc, 1, err)
        kcs.check_report(out)
        rep = kcs.load(out)
        self.assertTrue(rep["complete"], rep["errors"])
        self.assertEqual(normalise(rep), self.want)
        src = rep["source"]
        self.assertEqual(src["kind"], "cluster")
        self.assertTrue(src["snapshotConsistent"])
        self.assertEqual(src["serverVersion"], "v1.31.4")
        with open(DEMO_FILES[0]) as f:
            ks = [n for n in json.load(f)["items"]
                  if n["metadata"]["name"] == "kube-system"][0]
        self.assertEqual(src["clusterId"], ks["metadata"]["uid"])
        self.assertTrue(src["resourceVersion"])
        if srv:
            self.assertEqual(src["server"], srv.url)
            self.assert_no_secrets(srv, out, err)
        return rep

    def assert_no_secrets(self, srv, *texts):
        for user, d in srv.users.items():
            tok = d.get("token")
            for t in texts:
                if tok:
                    self.assertNotIn(tok, t, "token of %s leaked" % user)
        key = srv.read("admin.key")
        body = "".join(key.splitlines()[1:-1])[:40]
        for t in texts:
            if body:
                self.assertNotIn(body, t)

    # ---- authentication methods ------------------------------------

    def test_client_cert_from_file(self):
        with Server() as srv:
            rc, out, err = scan(srv.env(srv.file("kubeconfig")), "-A", "-v")
            self.assert_full_scan(rc, out, err, srv)
            self.assertIn("GET " + srv.url + "/api/v1/pods?limit=500", err)
            self.assert_no_secrets(srv, out, err)
            self.assertEqual(srv.requests()[-1]["user"], "admin")

    def test_client_cert_from_data(self):
        with Server() as srv:
            rc, out, err = scan(srv.env(srv.file("kubeconfig-embedded")), "-A", "-v")
            self.assert_full_scan(rc, out, err, srv)
            self.assert_no_secrets(srv, out, err)

    def test_bearer_token(self):
        with Server() as srv:
            rc, out, err = scan(srv.env(srv.file("kubeconfig-token")), "-A", "-v")
            self.assert_full_scan(rc, out, err, srv)
            self.assert_no_secrets(srv, out, err)
            self.assertTrue(all(r["user"] == "reader" for r in srv.requests()
                                if r["path"].startswith("/api/v1/pods")))

    def kubeconfig_with_user(self, srv, user_yaml, name="kc-custom"):
        text = textwrap.dedent("""\
            apiVersion: v1
            kind: Config
            clusters:
            - name: test
              cluster:
                server: %s
                certificate-authority: ca.crt
            contexts:
            - name: test
              context: {cluster: test, user: u}
            current-context: test
            users:
            - name: u
              user:
            """) % srv.url
        text += textwrap.indent(textwrap.dedent(user_yaml), "    ")
        return srv.write(name, text)

    def test_token_file_relative_path_and_rotation(self):
        with Server() as srv:
            os.makedirs(srv.file("sub"), exist_ok=True)
            srv.write("sub/tok", srv.token("reader") + "\n")
            kc = self.kubeconfig_with_user(srv, "tokenFile: sub/tok\n")
            rc, out, err = scan(srv.env(kc), "-A")
            self.assert_full_scan(rc, out, err, srv)

    def exec_plugin(self, srv, api_version, user="reader", name="plugin.sh"):
        script = textwrap.dedent("""\
            #!/bin/sh
            # a test exec credential plugin: checks what client-go promises
            echo run >> "$(dirname "$0")/plugin-runs"
            case "$KUBERNETES_EXEC_INFO" in
              *'"apiVersion":"%s"'*) ;;
              *) echo "bad KUBERNETES_EXEC_INFO" >&2; exit 9 ;;
            esac
            [ "$PLUGIN_ENV" = "set-by-kubeconfig" ] || { echo "env missing" >&2; exit 8; }
            [ "$1" = "--flag" ] || { echo "args missing" >&2; exit 7; }
            printf '{"apiVersion":"%s","kind":"ExecCredential","status":{"token":"%s"}}\\n'
            """) % (api_version, api_version, srv.token(user))
        return srv.write(name, script, 0o700)

    def test_exec_plugin_v1(self):
        with Server() as srv:
            self.exec_plugin(srv, "client.authentication.k8s.io/v1")
            kc = self.kubeconfig_with_user(srv, """\
                exec:
                  apiVersion: client.authentication.k8s.io/v1
                  command: ./plugin.sh
                  args: ["--flag"]
                  env: [{name: PLUGIN_ENV, value: set-by-kubeconfig}]
                  interactiveMode: Never
                """)
            rc, out, err = scan(srv.env(kc), "-A", "-v")
            self.assert_full_scan(rc, out, err, srv)
            self.assert_no_secrets(srv, out, err)
            # the credential is cached for the whole scan: one run
            self.assertEqual(srv.read("plugin-runs").count("run"), 1)

    def test_exec_plugin_rerun_once_on_401(self):
        with Server("--fault", "path=^/api/v1/pods$,page=1,status=401,times=1") as srv:
            self.exec_plugin(srv, "client.authentication.k8s.io/v1")
            kc = self.kubeconfig_with_user(srv, """\
                exec:
                  apiVersion: client.authentication.k8s.io/v1
                  command: ./plugin.sh
                  args: ["--flag"]
                  env: [{name: PLUGIN_ENV, value: set-by-kubeconfig}]
                  interactiveMode: Never
                """)
            rc, out, err = scan(srv.env(kc), "-A")
            self.assert_full_scan(rc, out, err, srv)
            self.assertEqual(srv.read("plugin-runs").count("run"), 2)

    def test_token_file_reread_on_401(self):
        with Server("--fault", "path=^/api/v1/pods$,page=1,status=401,times=1") as srv:
            srv.write("tok", srv.token("reader"))
            kc = self.kubeconfig_with_user(srv, "tokenFile: tok\n")
            rc, out, err = scan(srv.env(kc), "-A", "-v")
            self.assert_full_scan(rc, out, err, srv)
            pods = [r for r in srv.requests() if r["path"] == "/api/v1/pods"]
            self.assertEqual([r["status"] for r in pods[:2]], [401, 200])

    def test_second_401_is_an_error(self):
        with Server("--fault", "path=^/api/v1/pods$,status=401,times=0") as srv:
            srv.write("tok", srv.token("reader"))
            kc = self.kubeconfig_with_user(srv, "tokenFile: tok\n")
            rc, out, err = scan(srv.env(kc), "-A")
            self.assert_incomplete(rc, out, err, "401")

    def test_reset_before_any_byte_is_retried(self):
        with Server("--fault", "path=^/api/v1/pods$,page=2,reset=-1,times=1") as srv:
            rc, out, err = scan(srv.env(srv.file("kubeconfig")), "-A",
                                "--chunk-size", "10")
            self.assert_full_scan(rc, out, err, srv)

    def test_exec_plugin_faults(self):
        # plugin scripts shared with the unit tests (testdata/execcred)
        cases = [("exit-3.sh", "exit"), ("garbage.sh", "ExecCredential"),
                 ("expired.sh", "expired"), ("wrong-api.sh", "apiVersion")]
        for script, needle in cases:
            with self.subTest(plugin=script), Server() as srv:
                kc = self.kubeconfig_with_user(srv, """\
                    exec:
                      apiVersion: client.authentication.k8s.io/v1
                      command: %s
                      interactiveMode: Never
                    """ % kcs.path("testdata", "execcred", script))
                rc, out, err = scan(srv.env(kc), "-A")
                rep = self.assert_incomplete(rc, out, err, script)
                self.assertIn(needle, err)
                self.assertEqual(rep["errors"][0]["code"], "AUTH")
                self.assertNotIn("expired-token", out + err)
                # nothing was listed with a bad credential
                self.assertFalse([r for r in srv.requests()
                                  if r["path"] == "/api/v1/pods"])

    @unittest.skipIf(kcs.VALGRIND, "takes the full 60 s plugin limit; once is enough")
    def test_exec_plugin_that_hangs_is_killed(self):
        with Server() as srv:
            kc = self.kubeconfig_with_user(srv, """\
                exec:
                  apiVersion: client.authentication.k8s.io/v1
                  command: %s
                  interactiveMode: Never
                """ % kcs.path("testdata", "execcred", "sleep-forever.sh"))
            rc, out, err = scan(srv.env(kc), "-A", timeout=150)
            rep = self.assert_incomplete(rc, out, err, "sleep-forever.sh", "60")
            self.assertEqual(rep["errors"][0]["code"], "AUTH")

    def test_persistent_503(self):
        with Server("--fault", "path=^/api/v1/pods$,status=503,times=0") as srv:
            rc, out, err = scan(srv.env(srv.file("kubeconfig")), "-A")
            rep = self.assert_incomplete(rc, out, err, "503", srv.url)
            self.assertEqual(rep["errors"][0]["httpStatus"], 503)
            pods = [r for r in srv.requests() if r["path"] == "/api/v1/pods"]
            self.assertEqual(len(pods), 6)  # the first try and 5 retries

    def test_exec_plugin_v1beta1(self):
        with Server() as srv:
            self.exec_plugin(srv, "client.authentication.k8s.io/v1beta1")
            kc = self.kubeconfig_with_user(srv, """\
                exec:
                  apiVersion: client.authentication.k8s.io/v1beta1
                  command: ./plugin.sh
                  args: ["--flag"]
                  env: [{name: PLUGIN_ENV, value: set-by-kubeconfig}]
                """)
            rc, out, err = scan(srv.env(kc), "-A")
            self.assert_full_scan(rc, out, err, srv)

    def test_exec_plugins_deny(self):
        with Server() as srv:
            self.exec_plugin(srv, "client.authentication.k8s.io/v1")
            kc = self.kubeconfig_with_user(srv, """\
                exec:
                  apiVersion: client.authentication.k8s.io/v1
                  command: ./plugin.sh
                  interactiveMode: Never
                """)
            rc, out, err = scan(srv.env(kc), "-A", "--exec-plugins", "deny")
            self.assertEqual(rc, 3, err)
            self.assertIn("--exec-plugins=deny", err)
            self.assertFalse(kcs.load(out)["complete"])

    @unittest.skipIf(kcs.VALGRIND, "valgrind cannot pass posix_spawn's exec error back")
    def test_exec_plugin_missing_shows_install_hint(self):
        with Server() as srv:
            kc = self.kubeconfig_with_user(srv, """\
                exec:
                  apiVersion: client.authentication.k8s.io/v1
                  command: kcs-no-such-plugin
                  installHint: "install it with: apt-get install kcs-plugin"
                  interactiveMode: Never
                """)
            rc, out, err = scan(srv.env(kc), "-A")
            self.assertEqual(rc, 3, err)
            self.assertIn("kcs-no-such-plugin", err)
            self.assertIn("apt-get install kcs-plugin", err)

    def test_in_cluster(self):
        with Server() as srv:
            sa = srv.file("sa")
            os.makedirs(sa)
            srv.write("sa/token", srv.token("reader"))
            srv.write("sa/namespace", "default")
            with open(srv.file("ca.crt")) as f:
                srv.write("sa/ca.crt", f.read())
            env = srv.env("", KUBECAPSCAN_SERVICEACCOUNT_DIR=sa,
                          KUBERNETES_SERVICE_HOST="127.0.0.1",
                          KUBERNETES_SERVICE_PORT=str(srv.port))
            env.pop("KUBECONFIG")
            env["KUBECONFIG"] = ""
            rc, out, err = scan(env, "-A")
            self.assert_full_scan(rc, out, err, srv)
            # without -A: the service account's namespace
            rc, out, err = scan(env)
            self.assertIn(rc, (0, 1), err)
            rep = kcs.load(out)
            self.assertEqual(rep["source"]["namespace"], "default")
            self.assertEqual({p["namespace"] for p in rep["pods"]}, {"default"})

    # ---- kubeconfig selection ----------------------------------------

    def test_kubeconfig_list_merge_and_context(self):
        with Server() as srv:
            # first file: only a context naming a user defined in the second
            first = srv.write("a.yaml", textwrap.dedent("""\
                apiVersion: v1
                kind: Config
                current-context: merged
                contexts:
                - name: merged
                  context: {cluster: kubeapi-test, user: reader-token}
                """))
            missing = srv.file("does-not-exist.yaml")
            env = srv.env(":".join([first, missing, srv.file("kubeconfig")]))
            rc, out, err = scan(env, "-A")
            self.assert_full_scan(rc, out, err, srv)
            self.assertEqual(kcs.load(out)["source"]["context"], "merged")
            self.assertTrue(all(r["user"] == "reader" for r in srv.requests()
                                if r["path"].startswith("/api/v1/pods")))
            # --context picks another context of the merged config
            rc, out, err = scan(env, "-A", "--context", "test-nobody")
            self.assertEqual(rc, 3, err)
            rc, out, err = scan(env, "-A", "--context", "no-such-context")
            self.assertEqual(rc, 3, err)
            self.assertIn("no-such-context", err)

    def test_kubeconfig_flag_missing_file(self):
        rc, out, err = kcs.run(["--kubeconfig", "/nonexistent/kc", "-A"])
        self.assertEqual(rc, 3, err)
        self.assertIn("/nonexistent/kc", err)

    def test_namespace_scope(self):
        with Server() as srv:
            rc, out, err = scan(srv.env(srv.file("kubeconfig")), "-n", "payments")
            self.assertIn(rc, (0, 1), err)
            kcs.check_report(out)
            rep = kcs.load(out)
            self.assertEqual([n["name"] for n in rep["namespaces"]], ["payments"])
            want = [p for p in self.want[0] if p[0] == "payments"]
            self.assertEqual(sorted(kcs.verdicts(rep)[0]), want)
            self.assertEqual(rep["source"]["namespace"], "payments")
            self.assertTrue(rep["source"]["clusterId"])

    def test_ns_reader_without_cluster_rights(self):
        with Server() as srv:
            kc = srv.file(srv.users["ns-reader"]["kubeconfig"])
            ns = srv.users["ns-reader"]["namespace"]
            rc, out, err = scan(srv.env(kc))  # the context's namespace
            self.assertIn(rc, (0, 1), err)
            self.assertEqual(kcs.load(out)["source"]["namespace"], ns)
            rc, out, err = scan(srv.env(kc), "-A")
            self.assertEqual(rc, 3)
            self.assertIn("list pods", err)
            self.assertIn("cluster", err)

    # ---- paging ------------------------------------------------------

    def test_small_chunks(self):
        for size in ("1", "3", "7"):
            with self.subTest(chunk=size), Server() as srv:
                rc, out, err = scan(srv.env(srv.file("kubeconfig")), "-A",
                                    "--chunk-size", size)
                rep = self.assert_full_scan(rc, out, err, srv)
                pages = [r for r in srv.requests() if r["path"] == "/api/v1/pods"]
                self.assertEqual(len(pages), -(-44 // int(size)))
                self.assertTrue(all("limit=%s" % size in r["query"] for r in pages))

    def test_selectors_go_to_the_server(self):
        with Server() as srv:
            rc, out, err = scan(srv.env(srv.file("kubeconfig")), "-A",
                                "-l", "app.kubernetes.io/name=ingress-nginx,tier!=x",
                                "--field-selector", "status.phase=Running")
            self.assertIn(rc, (0, 1), err)
            kcs.check_report(out)
            rep = kcs.load(out)
            self.assertEqual(rep["source"]["labelSelector"],
                             "app.kubernetes.io/name=ingress-nginx,tier!=x")
            self.assertEqual(rep["source"]["fieldSelector"], "status.phase=Running")
            pods = [r for r in srv.requests() if r["path"] == "/api/v1/pods"]
            self.assertIn("labelSelector=app.kubernetes.io%2Fname%3Dingress-nginx%2Ctier%21%3Dx",
                          pods[0]["query"])
            self.assertIn("fieldSelector=status.phase%3DRunning", pods[0]["query"])
            with open(DEMO_FILES[1]) as f:
                want = {(p["metadata"]["namespace"], p["metadata"]["name"])
                        for p in json.load(f)["items"]
                        if p["metadata"].get("labels", {}).get("app.kubernetes.io/name")
                        == "ingress-nginx" and p.get("status", {}).get("phase") == "Running"}
            self.assertEqual({(p["namespace"], p["name"]) for p in rep["pods"]}, want)

    def test_exemptions_survive_the_listing_spool(self):
        with Server("--fault", "path=^/api/v1/pods$,page=2,status=410") as srv:
            ex = srv.write("ex.yaml", "- {namespace: monitoring, pod: blackbox-exporter-*, "
                                      "reason: ICMP probes, expires: 2999-01-01}\n")
            rc, out, err = scan(srv.env(srv.file("kubeconfig")), "-A",
                                "--chunk-size", "10", "--exemptions", ex)
            self.assertEqual(rc, 1, err)
            kcs.check_report(out)
            rep = kcs.load(out)
            exempt = [(p["name"], c["name"], c["exemption"]["reason"])
                      for p in rep["pods"] for c in p["containers"]
                      if c["verdict"] == "EXEMPT"]
            self.assertEqual(len(exempt), 1)
            self.assertEqual(exempt[0][2], "ICMP probes")
            self.assertEqual(rep["exemptions"]["entries"][0]["matches"], 1)

    def test_gzip_is_asked_for(self):
        with Server() as srv:
            rc, out, err = scan(srv.env(srv.file("kubeconfig")), "-A",
                                "--chunk-size", "0")
            self.assert_full_scan(rc, out, err, srv)
            pods = [r for r in srv.requests() if r["path"] == "/api/v1/pods"]
            self.assertIn("gzip", pods[0]["accept-encoding"])
            self.assertEqual(pods[0]["content-encoding"], "gzip")
            self.assertRegex(pods[0]["user-agent"], r"^kubecapscan/\d+\.\d+\.\d+ \(linux/")

    def test_partial_metadata_and_full_list_fallback(self):
        for extra in ([], ["--no-partial-metadata"]):
            with self.subTest(extra=extra), Server(*extra) as srv:
                rc, out, err = scan(srv.env(srv.file("kubeconfig")), "-A")
                self.assert_full_scan(rc, out, err, srv)
                ns = [r for r in srv.requests() if r["path"] == "/api/v1/namespaces"]
                self.assertIn("PartialObjectMetadataList", ns[0]["accept"])

    def test_expired_continue_restarts_once(self):
        with Server("--fault", "path=^/api/v1/pods$,page=2,status=410") as srv:
            rc, out, err = scan(srv.env(srv.file("kubeconfig")), "-A",
                                "--chunk-size", "10")
            rep = self.assert_full_scan(rc, out, err, srv)
            self.assertEqual(len(rep["pods"]), 44)  # no duplicates

    def test_always_expired_continue_is_inconsistent(self):
        with Server("--always-expire-continue") as srv:
            rc, out, err = scan(srv.env(srv.file("kubeconfig")), "-A",
                                "--chunk-size", "10")
            self.assertEqual(rc, 1, err)
            rep = kcs.load(out)
            kcs.check_report(out)
            self.assertFalse(rep["source"]["snapshotConsistent"])
            self.assertEqual(normalise(rep), self.want)
            self.assertTrue(any("continue token expired" in w for w in rep["warnings"]))

    def test_429_retry_after(self):
        with Server("--fault", "path=^/api/v1/pods$,page=2,status=429,retry-after=1") as srv:
            rc, out, err = scan(srv.env(srv.file("kubeconfig")), "-A",
                                "--chunk-size", "20", "-v")
            self.assert_full_scan(rc, out, err, srv)
            self.assertIn("retrying in 1000 ms after HTTP 429", err)

    def test_transient_503_recovers(self):
        with Server("--fault", "path=^/api/v1/pods$,page=1,status=503,times=2") as srv:
            rc, out, err = scan(srv.env(srv.file("kubeconfig")), "-A")
            self.assert_full_scan(rc, out, err, srv)

    def test_warning_headers(self):
        with Server("--warning", "pods are deprecated in this test") as srv:
            rc, out, err = scan(srv.env(srv.file("kubeconfig")), "-A")
            self.assert_full_scan(rc, out, err, srv)
            self.assertIn("Warning: pods are deprecated in this test", err)

    # ---- failures: exit 3, named cause, complete:false ---------------

    def assert_incomplete(self, rc, out, err, *needles):
        self.assertEqual(rc, 3, err)
        for n in needles:
            self.assertIn(n, err)
        rep = kcs.load(out)
        kcs.check_report(out)
        self.assertFalse(rep["complete"])
        self.assertTrue(rep["errors"])
        return rep

    def test_connection_refused(self):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
        with Server() as srv:
            text = srv.read("kubeconfig").replace(srv.url, "https://127.0.0.1:%d" % port)
            kc = srv.write("kc-refused", text)
            rc, out, err = scan(srv.env(kc), "-A")
            self.assert_incomplete(rc, out, err, "127.0.0.1:%d" % port)

    def test_unknown_ca(self):
        with Server() as srv:
            text = srv.read("kubeconfig").replace("certificate-authority: ca.crt",
                                                  "certificate-authority: other-ca.crt")
            kc = srv.write("kc-other-ca", text)
            rc, out, err = scan(srv.env(kc), "-A")
            self.assert_incomplete(rc, out, err, srv.url)

    def test_wrong_host_and_tls_server_name(self):
        with Server("--server-cert", "wrong-host") as srv:
            rc, out, err = scan(srv.env(srv.file("kubeconfig")), "-A")
            self.assert_incomplete(rc, out, err, srv.url)
            text = srv.read("kubeconfig").replace(
                "    certificate-authority: ca.crt",
                "    certificate-authority: ca.crt\n    tls-server-name: wrong.example")
            kc = srv.write("kc-sni", text)
            rc, out, err = scan(srv.env(kc), "-A")
            self.assert_full_scan(rc, out, err, srv)

    def test_expired_server_cert(self):
        with Server("--server-cert", "expired") as srv:
            rc, out, err = scan(srv.env(srv.file("kubeconfig")), "-A")
            self.assert_incomplete(rc, out, err, srv.url)

    def test_insecure_warns_loudly(self):
        with Server("--server-cert", "wrong-host") as srv:
            text = srv.read("kubeconfig").replace("    certificate-authority: ca.crt",
                                                  "    insecure-skip-tls-verify: true")
            kc = srv.write("kc-insecure", text)
            rc, out, err = scan(srv.env(kc), "-A")
            self.assert_full_scan(rc, out, err, srv)
            self.assertIn("WARNING: TLS certificate checks are OFF", err)

    def test_rejected_client_cert_is_401(self):
        with Server() as srv:
            rc, out, err = scan(srv.env(srv.file("kubeconfig-untrusted")), "-A")
            self.assert_incomplete(rc, out, err, "401", "Unauthorized")

    def test_bad_token_is_401(self):
        with Server() as srv:
            kc = self.kubeconfig_with_user(srv, "token: not-a-valid-token\n")
            rc, out, err = scan(srv.env(kc), "-A")
            rep = self.assert_incomplete(rc, out, err, "401", "Unauthorized")
            self.assertEqual(rep["errors"][0]["httpStatus"], 401)
            self.assertNotIn("not-a-valid-token", out + err)

    def test_forbidden_user_is_named(self):
        with Server() as srv:
            rc, out, err = scan(srv.env(srv.file("kubeconfig-nobody")), "-A")
            self.assert_incomplete(rc, out, err, "list pods", "cluster")
            self.assertEqual(kcs.load(out)["pods"], [])

    def test_persistent_500(self):
        with Server("--fault", "path=^/api/v1/pods$,status=500,times=0") as srv:
            rc, out, err = scan(srv.env(srv.file("kubeconfig")), "-A")
            self.assert_incomplete(rc, out, err, "500", srv.url)

    def test_truncated_body(self):
        with Server("--fault", "path=^/api/v1/pods$,page=2,truncate=5000,times=0") as srv:
            rc, out, err = scan(srv.env(srv.file("kubeconfig")), "-A",
                                "--chunk-size", "10")
            rep = self.assert_incomplete(rc, out, err, srv.url)
            self.assertLess(len(rep["pods"]), 44)

    def test_reset_mid_page(self):
        with Server("--fault", "path=^/api/v1/pods$,page=2,reset=3000,times=0") as srv:
            rc, out, err = scan(srv.env(srv.file("kubeconfig")), "-A",
                                "--chunk-size", "10")
            self.assert_incomplete(rc, out, err, srv.url)

    def test_html_from_a_proxy(self):
        with Server("--fault", "path=^/api/v1/pods$,html=1,times=0") as srv:
            rc, out, err = scan(srv.env(srv.file("kubeconfig")), "-A")
            self.assert_incomplete(rc, out, err, srv.url)

    @unittest.skipIf(kcs.VALGRIND, "timing-sensitive: not under valgrind")
    def test_hang_bounded_by_request_timeout(self):
        with Server("--fault", "path=^/api/v1/pods$,hang=1,times=0") as srv:
            rc, out, err = scan(srv.env(srv.file("kubeconfig")), "-A",
                                "--request-timeout", "1s", timeout=60)
            self.assert_incomplete(rc, out, err, srv.url)

    def test_output_file_written_when_incomplete(self):
        with Server("--fault", "path=^/api/v1/pods$,status=500,times=0") as srv:
            target = srv.file("report.json")
            rc, out, err = kcs.run(["-A", "-o", "json", "--output-file", target],
                                   env=srv.env(srv.file("kubeconfig")))
            self.assertEqual(rc, 3)
            with open(target) as f:
                rep = json.load(f)
            self.assertFalse(rep["complete"])


    @unittest.skipIf(kcs.VALGRIND, "timing-sensitive: not under valgrind")
    def test_sigterm_mid_scan_leaves_no_half_written_file(self):
        import signal
        import subprocess
        import time
        with Server("--fault", "path=^/api/v1/pods$,slow=300,times=0") as srv:
            out_dir = srv.file("out")
            os.makedirs(out_dir)
            target = os.path.join(out_dir, "report.json")
            with open(target, "w") as f:
                f.write("previous report")
            env = dict(os.environ)
            env.update(srv.env(srv.file("kubeconfig")))
            p = subprocess.Popen([kcs.BIN, "-A", "--chunk-size", "2", "-o",
                                  "json=" + target, "-o", "table"],
                                 env=env, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.PIPE)
            deadline = time.time() + 30
            # wait until the scan is under way (its temporary file exists)
            while len(os.listdir(out_dir)) < 2 and time.time() < deadline:
                time.sleep(0.05)
            self.assertEqual(len(os.listdir(out_dir)), 2, "no temporary file seen")
            time.sleep(0.3)
            p.send_signal(signal.SIGTERM)
            p.wait(30)
            self.assertEqual(p.returncode, -signal.SIGTERM)
            self.assertEqual(os.listdir(out_dir), ["report.json"])
            with open(target) as f:
                self.assertEqual(f.read(), "previous report")


class Collector:
    """A tiny HTTPS endpoint for --post-url, using the test server's certs.
    `answers` is the list of statuses to give, the last one repeating."""

    def __init__(self, srv, answers=(200,)):
        import http.server
        import ssl
        import threading
        self.answers = list(answers)
        self.bodies, self.auth = [], []
        outer = self

        class H(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                n = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(n)
                outer.bodies.append(body)
                outer.auth.append(self.headers.get("Authorization"))
                code = outer.answers.pop(0) if len(outer.answers) > 1 else outer.answers[0]
                self.send_response(code)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *a):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(srv.file("server.crt"), srv.file("server.key"))
        self.httpd.socket = ctx.wrap_socket(self.httpd.socket, server_side=True)
        self.url = "https://127.0.0.1:%d/reports" % self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


class Post(unittest.TestCase):
    def test_report_is_posted_with_the_token(self):
        with Server() as srv, Collector(srv) as col:
            srv.write("post-token", "collector-secret-123\n")
            rc, out, err = kcs.run(["-A", "--post-url", col.url, "--post-token-file",
                                    srv.file("post-token"), "--post-ca-file",
                                    srv.file("ca.crt"), "-v"],
                                   env=srv.env(srv.file("kubeconfig")))
            self.assertEqual(rc, 1, err)  # findings; delivered
            self.assertIn("FAILING CONTAINERS", out)  # the table still on stdout
            self.assertEqual(len(col.bodies), 1)
            rep = json.loads(col.bodies[0])
            self.assertEqual(rep["schemaVersion"], "kubecapscan/v1")
            self.assertEqual(rep["summary"]["pods"]["total"], 44)
            self.assertEqual(col.auth, ["Bearer collector-secret-123"])
            self.assertNotIn("collector-secret-123", out + err)

    def test_delivery_retries_then_succeeds(self):
        with Server() as srv, Collector(srv, [503, 200]) as col:
            rc, out, err = kcs.run(["-f", DEMO_FILES[1], "--post-url", col.url,
                                    "--post-ca-file", srv.file("ca.crt")])
            self.assertEqual(rc, 1, err)
            self.assertEqual(len(col.bodies), 2)

    def test_failed_delivery_exits_3(self):
        with Server() as srv, Collector(srv, [500]) as col:
            rc, out, err = kcs.run(["-f", DEMO_FILES[1], "--post-url", col.url,
                                    "--post-ca-file", srv.file("ca.crt")],
                                   timeout=120)
            self.assertEqual(rc, 3, err)
            self.assertIn("cannot deliver the report to '%s': HTTP 500" % col.url, err)

    def test_tls_is_verified(self):
        with Server() as srv, Collector(srv) as col:
            # the collector's certificate is not signed by a trusted CA
            rc, out, err = kcs.run(["-f", DEMO_FILES[1], "--post-url", col.url,
                                    "--post-ca-file", srv.file("other-ca.crt")])
            self.assertEqual(rc, 3, err)
            self.assertEqual(col.bodies, [])
            self.assertIn("cannot deliver", err)

    def test_http_is_refused(self):
        rc, out, err = kcs.run(["-f", DEMO_FILES[1], "--post-url",
                                "http://127.0.0.1:9/reports"])
        self.assertEqual(rc, 2)
        self.assertIn("https://", err)


if __name__ == "__main__":
    unittest.main(verbosity=2)
