#!/usr/bin/env python3
"""make-corpus.py - (re)build the seed corpora under fuzz/corpus/ from testdata/.

Usage: python3 fuzz/make-corpus.py

Deterministic: the same testdata/ gives the same files, so a rerun shows
in review only what testdata/ changed. Each target's directory is emptied
and refilled; fuzz/regressions/ is never touched. Seeds are kept small
(fuzzers run fastest on small inputs): demo pods are cut down to the fields
the reader keeps and packed a few per list, plus two full pods so the
skipping of big unknown subtrees (managedFields) is seeded too.
"""
import json
import os
import re
import shutil
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TESTDATA = os.path.join(ROOT, "testdata")
CORPUS = os.path.join(ROOT, "fuzz", "corpus")
# Keep each target's corpus well under this (the brief's ~1 MB).
MAX_CORPUS = 1024 * 1024


def read(*parts):
    with open(os.path.join(TESTDATA, *parts), "rb") as f:
        return f.read()


def compact(obj):
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode()


def strip_container(c):
    keep = {"name": c.get("name")}
    if "securityContext" in c:
        keep["securityContext"] = c["securityContext"]
    return keep


def strip_pod(p):
    """Only what the reader reads: metadata names and the spec's rules."""
    meta = p.get("metadata", {})
    spec = p.get("spec", {})
    out = {"metadata": {k: meta[k] for k in ("name", "namespace", "uid")
                        if k in meta}}
    s = {k: spec[k] for k in ("os", "hostNetwork") if k in spec}
    for k in ("initContainers", "containers", "ephemeralContainers"):
        if k in spec:
            s[k] = [strip_container(c) for c in spec[k]]
    out["spec"] = s
    return out


def strip_ns(n):
    meta = n.get("metadata", {})
    labels = {k: v for k, v in meta.get("labels", {}).items()
              if k.startswith("pod-security.kubernetes.io/")}
    m = {k: meta[k] for k in ("name", "uid") if k in meta}
    if labels:
        m["labels"] = labels
    return {"metadata": m}


def reader_fixtures():
    d = os.path.join(TESTDATA, "reader")
    for name in sorted(os.listdir(d)):
        if name.endswith(".json") and not name.endswith(".expected.json"):
            yield name[:-len(".json")], read("reader", name)


def demo_pod_lists(per_list=4):
    pods = json.loads(read("demo", "pods.json"))
    items = pods["items"]
    for i in range(0, len(items), per_list):
        doc = {"kind": "PodList", "apiVersion": "v1",
               "metadata": {"resourceVersion": str(1000 + i)},
               "items": [strip_pod(p) for p in items[i:i + per_list]]}
        yield "demo-pods-%02d" % (i // per_list), compact(doc)
    # Two full pods (managedFields and all), pretty as kubectl prints.
    for i in (0, len(items) // 2):
        doc = {"kind": "PodList", "apiVersion": "v1", "metadata": {},
               "items": [items[i]]}
        yield "demo-full-pod-%02d" % i, json.dumps(doc, indent=2).encode()


def demo_ns_lists(per_list=4):
    nss = json.loads(read("demo", "namespaces.json"))
    items = nss["items"]
    for i in range(0, len(items), per_list):
        doc = {"kind": "NamespaceList", "apiVersion": "v1", "metadata": {},
               "items": [strip_ns(n) for n in items[i:i + per_list]]}
        yield "demo-ns-%02d" % (i // per_list), compact(doc)


# Hand-written cases the fixtures do not cover.
EXTRA_PODS = {
    "null-bytes-in-names": b'{"kind":"PodList","items":[{"metadata":{"name":"a\\u0000b","namespace":"n\\u0000"},"spec":{"containers":[{"name":"c\\u0000","securityContext":{"capabilities":{"drop":["ALL"]}}}]}}]}',
    "surrogates": b'{"kind":"Pod","metadata":{"name":"\\ud83d\\ude00-\\udc80","namespace":"\\u00e9"},"spec":{"containers":[{"name":"x"}]}}',
    "duplicate-keys": b'{"kind":"Pod","metadata":{"name":"d","namespace":"n"},"spec":{"containers":[{"name":"c","securityContext":{"capabilities":{"drop":["ALL"],"drop":null},"privileged":false,"privileged":true}}],"containers":[{"name":"c2"}]}}',
    "windows-and-hostnet": b'{"kind":"PodList","items":[{"kind":"Pod","metadata":{"name":"w","namespace":"n"},"spec":{"os":{"name":"windows"},"hostNetwork":true,"containers":[{"name":"c"}]}},{"metadata":{"name":"h","namespace":"n"},"spec":{"hostNetwork":true,"initContainers":[{"name":"i","securityContext":{"capabilities":{"add":["NET_RAW"],"drop":["ALL"]}}}],"ephemeralContainers":[{"name":"e","securityContext":{"capabilities":{"drop":["CAP_NET_RAW","net_raw"]}}}],"containers":[{"name":"c","securityContext":{"capabilities":{"add":["all"],"drop":["all"]}}}]}}]}',
    "paged-list": b'{"kind":"PodList","apiVersion":"v1","metadata":{"continue":"eyJ2IjoibWV0YS5rOHMuaW8vdjEifQ","remainingItemCount":12,"resourceVersion":"77"},"items":[{"metadata":{"name":"p","namespace":"default"},"spec":{"containers":[{"name":"c","securityContext":null}]}}]}',
    "deep": b'{"kind":"PodList","items":[{"metadata":{"name":"x","namespace":"y","annotations":' + b'{"a":[' * 30 + b'1' + b']}' * 30 + b'},"spec":{"containers":[{"name":"c"}]}}]}',
}


def put(target, name, data):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def podlist_header(i):
    """Chunk size, spool flag and split seed, varied across seeds."""
    chunk = (0, 6, 63, 255)[i % 4]
    flags = i % 2
    seed = 0 if i % 3 == 0 else (i * 7919 + 1) & 0xFFFF or 1
    return bytes((chunk, flags, seed >> 8, seed & 0xFF))


def pod_docs():
    yield from reader_fixtures()
    yield from demo_pod_lists()
    yield from demo_ns_lists()
    yield from sorted(EXTRA_PODS.items())


def build_podlist():
    for i, (name, doc) in enumerate(pod_docs()):
        put("podlist", name, podlist_header(i) + doc)


def build_report_roundtrip():
    for name, doc in pod_docs():
        put("report_roundtrip", name, doc)


def build_nslist():
    for name, doc in demo_ns_lists(3):
        put("nslist", name, doc)
    for name in ("single-namespace", "partial-metadata-namespaces",
                 "v1-list-mixed"):
        put("nslist", name, read("reader", name + ".json"))
    put("nslist", "bare-items",
        b'{"items":[{"metadata":{"name":"a","labels":{'
        b'"pod-security.kubernetes.io/enforce":"restricted",'
        b'"pod-security.kubernetes.io/enforce-version":"v1.21",'
        b'"pod-security.kubernetes.io/audit":"baseline",'
        b'"pod-security.kubernetes.io/warn-version":"latest"}}},'
        b'{"metadata":{"name":"b","labels":{'
        b'"pod-security.kubernetes.io/enforce":"Restricted",'
        b'"pod-security.kubernetes.io/enforce-version":"v1.022"}}},'
        b'{"metadata":{"name":"c","labels":{'
        b'"pod-security.kubernetes.io/enforce-version":"v1.9223372036854775808"}}}]}')


STATUS = {
    "unauthorized": {"kind": "Status", "apiVersion": "v1", "metadata": {},
                     "status": "Failure", "message": "Unauthorized",
                     "reason": "Unauthorized", "code": 401},
    "expired": {"kind": "Status", "apiVersion": "v1", "metadata": {},
                "status": "Failure",
                "message": "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.",
                "reason": "Expired", "code": 410,
                "metadata": {"continue": "ENCODED_CONTINUE_TOKEN"}},
    "too-many-requests": {"kind": "Status", "apiVersion": "v1",
                          "metadata": {}, "status": "Failure",
                          "message": "Too many requests, please try again later.",
                          "reason": "TooManyRequests",
                          "details": {"retryAfterSeconds": 1}, "code": 429},
    "not-found": {"kind": "Status", "apiVersion": "v1", "metadata": {},
                  "status": "Failure",
                  "message": "namespaces \"nope\" not found",
                  "reason": "NotFound",
                  "details": {"name": "nope", "kind": "namespaces"},
                  "code": 404},
    "internal": {"kind": "Status", "apiVersion": "v1", "metadata": {},
                 "status": "Failure", "message": "etcdserver: request timed out",
                 "reason": "InternalError", "code": 500},
}


def build_status():
    put("status", "forbidden", read("reader", "status-forbidden.json"))
    for name, obj in sorted(STATUS.items()):
        put("status", name, compact(obj))
    put("status", "code-as-string",
        b'{"kind":"Status","code":"403","reason":["x"],"message":null}')
    put("status", "html-proxy",
        b"<html><head><title>502 Bad Gateway</title></head></html>\n")
    put("status", "empty-podlist", read("reader", "empty-podlist.json"))


def build_kubeconfig():
    d = os.path.join(TESTDATA, "kubeconfig")
    for name in sorted(os.listdir(d)):
        if name.endswith((".yaml", ".json")):
            put("kubeconfig", name, read("kubeconfig", name))
    put("kubeconfig", "home-config", read("kubeconfig", "home", ".kube",
                                          "config"))
    put("kubeconfig", "nested", read("kubeconfig", "sub", "nested.yaml"))
    # Two files merged through $KUBECONFIG, then --context and -n.
    a, b, c = (read("kubeconfig", n) for n in
               ("merge-a.yaml", "merge-b.yaml", "merge-c.yaml"))
    put("kubeconfig", "merge-ab", a + b"\0" + b)
    put("kubeconfig", "merge-cb-context", c + b"\0" + b + b"\0ctx-b\0ns-x")
    put("kubeconfig", "merge-basic-ctx", read("kubeconfig", "basic.yaml") +
        b"\0" + a + b"\0prod")
    put("kubeconfig", "relative-self",
        b"clusters:\n- name: c\n  cluster:\n    server: https://h\n"
        b"    certificate-authority: config-1\n"
        b"users:\n- name: u\n  user:\n    token-file: config-0\n"
        b"contexts:\n- name: x\n  context: {cluster: c, user: u}\n"
        b"current-context: x\n\0-----BEGIN CERTIFICATE-----\n")


def heredoc_json(script):
    m = re.search(rb"<<'JSON'\n(.*?)\nJSON", script, re.S)
    if m:
        return m.group(1)
    m = re.search(rb"echo '(\{.*\})'", script)
    return m.group(1) if m else None


def build_execcred():
    d = os.path.join(TESTDATA, "execcred")
    for name in sorted(os.listdir(d)):
        doc = heredoc_json(read("execcred", name))
        if doc:
            put("execcred", name[:-len(".sh")], doc)
    v1 = "client.authentication.k8s.io/v1"
    cases = {
        "cert-and-token": {"apiVersion": v1, "kind": "ExecCredential",
                           "status": {"token": "t",
                                      "clientCertificateData": "C",
                                      "clientKeyData": "K"}},
        "cert-only": {"apiVersion": v1, "kind": "ExecCredential",
                      "status": {"clientCertificateData": "C"}},
        "no-status": {"apiVersion": v1, "kind": "ExecCredential"},
        "wrong-kind": {"apiVersion": v1, "kind": "Secret",
                       "status": {"token": "t"}},
        "types": {"apiVersion": v1, "kind": "ExecCredential",
                  "status": {"token": 5, "expirationTimestamp": True}},
        "timestamps": {"apiVersion": v1, "kind": "ExecCredential",
                       "status": {"token": "t",
                                  "expirationTimestamp":
                                      "2024-02-29T23:59:60.999999999-23:59"}},
    }
    for name, obj in sorted(cases.items()):
        put("execcred", name, compact(obj))


OPTS = [
    ["-f", "pods.json"],
    ["-f", "pods.json", "-f", "namespaces.json", "-o", "json",
     "--output-file", "report.json"],
    ["-A", "--chunk-size", "100", "--request-timeout", "1m30s"],
    ["-n", "kube-system", "--context", "prod", "--kubeconfig",
     "/etc/kube.conf", "-v", "-v"],
    ["--psa-default-enforce", "restricted:v1.25", "-f", "-"],
    ["--psa-default-enforce=baseline", "--exec-plugins=deny", "-oyaml"],
    ["--help"],
    ["--version", "extra"],
    ["-Af", "x", "--", "-n"],
    ["--request-timeout=500ms", "--chunk-size=0", "--output"],
    ["--all-namespaces=1", "-x", "--unknown"],
]


def build_opts():
    for i, args in enumerate(OPTS):
        put("opts", "args-%02d" % i, b"\0".join(a.encode() for a in args))


def main():
    builders = {
        "podlist": build_podlist, "nslist": build_nslist,
        "status": build_status, "kubeconfig": build_kubeconfig,
        "execcred": build_execcred, "opts": build_opts,
        "report_roundtrip": build_report_roundtrip,
    }
    for target, build in builders.items():
        shutil.rmtree(os.path.join(CORPUS, target), ignore_errors=True)
        build()
        d = os.path.join(CORPUS, target)
        total = sum(os.path.getsize(os.path.join(d, n)) for n in os.listdir(d))
        print("%-18s %3d files %8d bytes" % (target, len(os.listdir(d)), total))
        if total > MAX_CORPUS:
            sys.exit("make-corpus.py: corpus '%s' is %d bytes, over %d"
                     % (target, total, MAX_CORPUS))


if __name__ == "__main__":
    main()
