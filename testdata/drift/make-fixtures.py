#!/usr/bin/env python3
"""make-fixtures.py - (re)write the drift fixtures in testdata/drift/.

Usage: KUBECAPSCAN=build/kubecapscan python3 testdata/drift/make-fixtures.py

Builds two weeks of one cluster as kubectl would print them (a NamespaceList
and a PodList per week, in a temporary directory), scans each with the
kubecapscan binary (-f ... -o json, this week with an exemptions file), then
makes each report look like a weekly CronJob's run (fixed times, a cluster
source scanning every namespace) and writes:

  last-week.json, this-week.json
      the reports as an older kubecapscan wrote them: pods without
      "workload" (any such field the binary now writes is stripped), pod
      names unchanged between the weeks;
  workloads-last-week.json, workloads-this-week.json
      the same weeks as the new kubecapscan writes them (pods with owner,
      workload, node, source; containers with index), and this week's pods
      restarted (new names) and scaled (two web and two node-agent pods).
      Owner, workload, node and source are set from the generated pods
      as a live scan resolves them (a scan of files cannot read the
      ReplicaSets and Jobs, so the binary stops at the direct owner).

Deterministic for a given binary; the report format still changes with
issue 7, so rerunning it may change more than the scenario. Check the files
with python3 tests/tools/check_report.py testdata/drift/*.json, then run
test_drift (its expectations mirror this scenario).
"""
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
BIN = os.environ.get("KUBECAPSCAN", os.path.join(ROOT, "build", "kubecapscan"))
OUT = tempfile.mkdtemp(prefix="kcs-drift-")
NEW_POD_FIELDS = ("owner", "workload", "node", "source", "runtime")
NEW_CONTAINER_FIELDS = ("index", "exposure")
NEW_TOP_FIELDS = ("workloads", "drift")

def uid(s):
    h = hashlib.sha1(s.encode()).hexdigest()
    return "%s-%s-4%s-8%s-%s" % (h[:8], h[8:12], h[13:16], h[17:20], h[20:32])

def ns(name, enforce=None, version=None):
    labels = {"kubernetes.io/metadata.name": name}
    if enforce:
        labels["pod-security.kubernetes.io/enforce"] = enforce
        if version:
            labels["pod-security.kubernetes.io/enforce-version"] = version
    return {"apiVersion": "v1", "kind": "Namespace",
            "metadata": {"name": name, "uid": uid("ns/" + name), "labels": labels},
            "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}}

def ctr(name, image, sc=None):
    c = {"name": name, "image": image, "imagePullPolicy": "IfNotPresent",
         "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}}}
    if sc is not None:
        c["securityContext"] = sc
    return c

DROP_ALL = {"allowPrivilegeEscalation": False, "runAsNonRoot": True,
            "capabilities": {"drop": ["ALL"]}, "seccompProfile": {"type": "RuntimeDefault"}}

def pod(nsn, name, owner, node, containers, init=None, eph=None, host_network=False):
    okind, oname = owner
    meta = {"name": name, "namespace": nsn, "uid": uid("pod/%s/%s" % (nsn, name)),
            "labels": {"app.kubernetes.io/name": oname}}
    if okind:
        meta["ownerReferences"] = [{"apiVersion": "apps/v1" if okind != "Job" else "batch/v1",
                                    "kind": okind, "name": oname, "uid": uid("owner/%s/%s" % (nsn, oname)),
                                    "controller": True, "blockOwnerDeletion": True}]
    spec = {"containers": containers, "nodeName": node, "restartPolicy": "Always",
            "serviceAccountName": "default"}
    if init: spec["initContainers"] = init
    if eph: spec["ephemeralContainers"] = eph
    if host_network: spec["hostNetwork"] = True
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec,
            "status": {"phase": "Running"}}

def week(last):
    nss = [ns("payments", "restricted", "v1.30"),
           ns("shop") if last else ns("shop", "restricted", "latest"),
           ns("monitoring", "baseline", "latest"),
           ns("legacy-apps", "restricted", "latest") if last else ns("legacy-apps"),
           ns("kube-system", "privileged", "latest")]
    nss.append(ns("batch") if last else ns("ml"))
    api = "api-7d9f8c6b5-x2k4q"
    pods = [
        pod("payments", api, ("ReplicaSet", "api-7d9f8c6b5"), "node-a",
            [ctr("api", "registry.example.com/payments/api:2.14.0", DROP_ALL)],
            init=[ctr("migrate", "registry.example.com/payments/migrate:2.14.0", DROP_ALL)],
            eph=None if last else [{"name": "debugger-7xk2p", "image": "busybox:1.36", "targetContainerName": "api"}]),
        pod("shop", "web-6b8d9c7f5-2mz8p", ("ReplicaSet", "web-6b8d9c7f5"), "node-b",
            [ctr("web", "registry.example.com/shop/web:5.2.1"),
             ctr("envoy", "envoyproxy/envoy:v1.30.1", {"capabilities": {"drop": ["ALL"]}})]),
        pod("shop", "db-0", ("StatefulSet", "db"), "node-c",
            [ctr("postgres", "postgres:16.3",
                 {"capabilities": {"add": ["NET_RAW"]}} if last else DROP_ALL)]),
        pod("kube-system", "node-agent-5tq7z", ("DaemonSet", "node-agent"), "node-a",
            [ctr("agent", "registry.example.com/infra/node-agent:1.9.0", {"privileged": True})],
            host_network=True),
        pod("kube-system", "coredns-5d78c9869d-h2xkp", ("ReplicaSet", "coredns-5d78c9869d"), "node-b",
            [ctr("coredns", "registry.k8s.io/coredns/coredns:v1.11.1",
                 {"capabilities": {"add": ["NET_BIND_SERVICE"], "drop": ["ALL"]}, "readOnlyRootFilesystem": True})]),
        pod("monitoring", "blackbox-exporter-0", ("StatefulSet", "blackbox-exporter"), "node-c",
            [ctr("blackbox", "prom/blackbox-exporter:v0.25.0", {"capabilities": {"add": ["NET_RAW"], "drop": ["ALL"]}})]),
        pod("legacy-apps", "tool-0", ("StatefulSet", "tool"), "node-a",
            [ctr("tool", "registry.example.com/legacy/tool:0.9",
                 {"capabilities": {"drop": ["NET_RAW"]}} if last else {"capabilities": {"drop": ["CHOWN"]}})]),
    ]
    if last:
        pods.append(pod("batch", "report-28374650-abcde", ("Job", "report-28374650"), "node-b",
                        [ctr("report", "registry.example.com/batch/report:1.0", {"runAsNonRoot": True})]))
    else:
        pods.append(pod("ml", "trainer-0", ("StatefulSet", "trainer"), "node-c",
                        [ctr("trainer", "registry.example.com/ml/trainer:0.3")]))
    return ({"apiVersion": "v1", "kind": "NamespaceList", "metadata": {"resourceVersion": "48240001"}, "items": nss},
            {"apiVersion": "v1", "kind": "PodList", "metadata": {"resourceVersion": "48240073"}, "items": pods})

EXEMPT = """- namespace: monitoring
  pod: blackbox-exporter-*
  container: blackbox
  reason: "ICMP probes need NET_RAW (SEC-1234)"
  expires: 2099-12-31
"""

def run(last):
    tag = "last" if last else "this"
    nsl, pl = week(last)
    nf, pf = "%s/%s-ns.json" % (OUT, tag), "%s/%s-pods.json" % (OUT, tag)
    json.dump(nsl, open(nf, "w"), indent=2)
    json.dump(pl, open(pf, "w"), indent=2)
    args = [BIN, "-f", nf, "-f", pf, "-o", "json"]
    if not last:
        open(OUT + "/exempt.yaml", "w").write(EXEMPT)
        args += ["--exemptions", OUT + "/exempt.yaml"]
    r = subprocess.run(args, capture_output=True, text=True)
    if r.returncode not in (0, 1):
        sys.exit("kubecapscan failed: " + r.stderr)
    rep = json.loads(r.stdout)
    strip_new(rep)
    # a weekly CronJob scanning the cluster with -A
    day = "2026-11-16" if last else "2026-11-23"
    rep["startedAt"] = day + "T02:00:00Z"
    rep["finishedAt"] = day + "T02:00:03.214Z"
    rep["source"] = {"kind": "cluster", "clusterName": "prod-eu-1",
                     "server": "https://10.0.0.1:6443", "context": "prod-eu-1",
                     "serverVersion": "v1.30.4", "clusterId": uid("cluster"),
                     "resourceVersion": "48240073" if last else "49912210",
                     "snapshotConsistent": True, "namespace": None,
                     "excludeNamespaces": [], "labelSelector": None, "fieldSelector": None}
    if not last:
        rep["exemptions"]["file"] = "/etc/kubecapscan/exemptions.yaml"
    return rep

def strip_new(rep):
    """An older report: none of the fields issue 7 adds."""
    for k in NEW_TOP_FIELDS:
        rep.pop(k, None)
    for p in rep["pods"]:
        for k in NEW_POD_FIELDS:
            p.pop(k, None)
        for c in p["containers"]:
            for k in NEW_CONTAINER_FIELDS:
                c.pop(k, None)
    for n in rep["namespaces"]:
        n.pop("admission", None)
        n.pop("remediation", None)
    rep["summary"].pop("workloads", None)


for last, name in ((True, "last-week.json"), (False, "this-week.json")):
    rep = run(last)
    with open(os.path.join(HERE, name), "w") as f:
        json.dump(rep, f, indent=2)
        f.write("\n")

# ---- the same two weeks, as the new kubecapscan writes them (workload keys),
# with pod churn this week: web and api restarted (new pod names), web and
# node-agent run two pods.
TOP = {("ReplicaSet", "api-7d9f8c6b5"): ("Deployment", "api"),
       ("ReplicaSet", "web-6b8d9c7f5"): ("Deployment", "web"),
       ("ReplicaSet", "coredns-5d78c9869d"): ("Deployment", "coredns"),
       ("Job", "report-28374650"): ("CronJob", "report")}

def churn(pl):
    items = pl["items"]
    out = []
    for p in items:
        n = p["metadata"]["name"]
        if n == "web-6b8d9c7f5-2mz8p":
            for new in ("web-6b8d9c7f5-q7w4t", "web-6b8d9c7f5-zx81c"):
                q = json.loads(json.dumps(p))
                q["metadata"]["name"] = new
                q["metadata"]["uid"] = uid("pod/shop/" + new)
                out.append(q)
            continue
        if n == "api-7d9f8c6b5-x2k4q":
            p["metadata"]["name"] = "api-7d9f8c6b5-8hx2n"
            p["metadata"]["uid"] = uid("pod/payments/api-7d9f8c6b5-8hx2n")
        out.append(p)
        if n == "node-agent-5tq7z":
            q = json.loads(json.dumps(p))
            q["metadata"]["name"] = "node-agent-k9d2c"
            q["metadata"]["uid"] = uid("pod/kube-system/node-agent-k9d2c")
            q["spec"]["nodeName"] = "node-b"
            out.append(q)
    pl["items"] = out

def add_fields(rep, pl):
    """Owner, workload, node and source as a live scan that can read the
    owners resolves them (a scan of files stops at the direct owner), and
    each container's index, from the generated pods."""
    byname = {(p["metadata"]["namespace"], p["metadata"]["name"]): p for p in pl["items"]}
    for rp in rep["pods"]:
        src = byname[(rp["namespace"], rp["name"])]
        o = src["metadata"]["ownerReferences"][0]
        owner = {"kind": o["kind"], "name": o["name"]}
        wk, wn = TOP.get((o["kind"], o["name"]), (o["kind"], o["name"]))
        new = {}
        for k in NEW_POD_FIELDS[:4]:
            rp.pop(k, None)
        for k, v in rp.items():
            new[k] = v
            if k == "hostNetwork":
                new["owner"] = owner
                new["workload"] = {"kind": wk, "name": wn, "resolved": True}
                new["node"] = src["spec"]["nodeName"]
                new["source"] = None
        idx = {}
        for c in rp["containers"]:
            c.pop("index", None)
            c2 = {}
            for k, v in c.items():
                c2[k] = v
                if k == "type":
                    c2["index"] = idx.get(v, 0)
                    idx[v] = idx.get(v, 0) + 1
            c.clear(); c.update(c2)
        rp.clear(); rp.update(new)

for last, name in ((True, "workloads-last-week.json"), (False, "workloads-this-week.json")):
    nsl, pl = week(last)
    if not last:
        churn(pl)
    tag = "wl-last" if last else "wl-this"
    nf, pf = "%s/%s-ns.json" % (OUT, tag), "%s/%s-pods.json" % (OUT, tag)
    json.dump(nsl, open(nf, "w"), indent=2)
    json.dump(pl, open(pf, "w"), indent=2)
    args = [BIN, "-f", nf, "-f", pf, "-o", "json"]
    if not last:
        args += ["--exemptions", OUT + "/exempt.yaml"]
    r = subprocess.run(args, capture_output=True, text=True)
    if r.returncode not in (0, 1):
        sys.exit("kubecapscan failed: " + r.stderr)
    rep = json.loads(r.stdout)
    day = "2026-11-16" if last else "2026-11-23"
    rep["startedAt"] = day + "T02:00:00Z"
    rep["finishedAt"] = day + "T02:00:03.214Z"
    rep["source"] = {"kind": "cluster", "clusterName": "prod-eu-1",
                     "server": "https://10.0.0.1:6443", "context": "prod-eu-1",
                     "serverVersion": "v1.30.4", "clusterId": uid("cluster"),
                     "resourceVersion": "48240073" if last else "49912210",
                     "snapshotConsistent": True, "namespace": None,
                     "excludeNamespaces": [], "labelSelector": None, "fieldSelector": None}
    if not last:
        rep["exemptions"]["file"] = "/etc/kubecapscan/exemptions.yaml"
    add_fields(rep, pl)
    with open(os.path.join(HERE, name), "w") as f:
        json.dump(rep, f, indent=2)
        f.write("\n")

shutil.rmtree(OUT)
