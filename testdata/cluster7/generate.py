#!/usr/bin/env python3
"""Writes the issue-7 fixture cluster (testdata/cluster7/*.json) next to this file.

Every object is spelled out below by hand; this script only expands the
repetitive parts (uids, timestamps, status blocks, pod-template-hash labels,
container statuses) so that the files stay self-consistent: each pod's
ownerReferences point at an object that exists with the same uid (except the
deliberately orphaned pod), each pod's spec.nodeName is a node, and each
containerID carries the runtime prefix of its node.

The expected verdicts in expected.json are written by hand in the POD_EXPECT
and NAMESPACE_EXPECT tables; they are not computed by any rule code.

    python3 testdata/cluster7/generate.py      # rewrites the JSON files
"""

import copy
import hashlib
import json
import os
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
RV = 73000


def uid(kind, ns, name):
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "kubecapscan/cluster7/%s/%s/%s" % (kind, ns, name)))


def hexid(*parts, n=64):
    return (hashlib.sha256("/".join(parts).encode()).hexdigest() * 2)[:n]


_rv = [RV]


def next_rv():
    _rv[0] += 7
    return str(_rv[0])


def ts(day, hour=8, minute=0):
    return "2024-06-%02dT%02d:%02d:00Z" % (day, hour, minute)


# --------------------------------------------------------------------------
# Nodes and runtime classes
# --------------------------------------------------------------------------

NODES = {
    # name: (runtime version, os, osImage, kernel, ip, extra labels)
    "cp-1": ("containerd://1.7.20", "linux", "Ubuntu 22.04.4 LTS", "5.15.0-113-generic", "10.0.0.10",
             {"node-role.kubernetes.io/control-plane": "", "node.kubernetes.io/exclude-from-external-load-balancers": ""}),
    "node-containerd-1": ("containerd://1.7.20", "linux", "Ubuntu 22.04.4 LTS", "5.15.0-113-generic", "10.0.1.11",
                          {"runtime/gvisor": "true", "node.kubernetes.io/instance-type": "m6i.xlarge"}),
    "node-crio-1": ("cri-o://1.30.4", "linux", "Fedora CoreOS 40.20240709.3.1", "6.9.9-200.fc40.x86_64",
                    "10.0.1.12", {"node.kubernetes.io/instance-type": "m6i.xlarge"}),
    "node-docker-1": ("docker://27.1.1", "linux", "Ubuntu 20.04.6 LTS", "5.4.0-189-generic", "10.0.1.13",
                      {"node.kubernetes.io/instance-type": "m5.large"}),
    "node-win-1": ("containerd://1.7.20", "windows", "Windows Server 2022 Datacenter", "10.0.20348.2582",
                   "10.0.1.14", {"node.kubernetes.io/windows-build": "10.0.20348",
                                 "node.kubernetes.io/instance-type": "m5.xlarge"}),
}
LINUX_NODES = ["cp-1", "node-containerd-1", "node-crio-1", "node-docker-1"]


def runtime_prefix(node):
    return NODES[node][0].split("://")[0]


def node_obj(name, k):
    rtv, os_, image, kernel, ip, extra = NODES[name]
    labels = {"beta.kubernetes.io/arch": "amd64", "beta.kubernetes.io/os": os_, "kubernetes.io/arch": "amd64",
              "kubernetes.io/hostname": name, "kubernetes.io/os": os_}
    labels.update(extra)
    md = {"name": name, "uid": uid("Node", "", name), "resourceVersion": next_rv(),
          "creationTimestamp": ts(1, 7, k), "labels": labels,
          "annotations": {"node.alpha.kubernetes.io/ttl": "0",
                          "volumes.kubernetes.io/controller-managed-attach-detach": "true"}}
    spec = {"podCIDR": "10.244.%d.0/24" % k, "podCIDRs": ["10.244.%d.0/24" % k],
            "providerID": "aws:///eu-west-1a/i-0%s" % hexid("node", name, n=16)}
    if name == "cp-1":
        spec["taints"] = [{"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"}]
    cap = {"cpu": "4", "ephemeral-storage": "101430960Ki", "memory": "16106088Ki", "pods": "110"}
    status = {
        "capacity": cap, "allocatable": dict(cap, memory="16003688Ki"),
        "conditions": [
            {"type": "MemoryPressure", "status": "False", "lastHeartbeatTime": ts(20, 9), "lastTransitionTime":
             ts(1, 7), "reason": "KubeletHasSufficientMemory", "message": "kubelet has sufficient memory available"},
            {"type": "DiskPressure", "status": "False", "lastHeartbeatTime": ts(20, 9), "lastTransitionTime":
             ts(1, 7), "reason": "KubeletHasNoDiskPressure", "message": "kubelet has no disk pressure"},
            {"type": "PIDPressure", "status": "False", "lastHeartbeatTime": ts(20, 9), "lastTransitionTime":
             ts(1, 7), "reason": "KubeletHasSufficientPID", "message": "kubelet has sufficient PID available"},
            {"type": "Ready", "status": "True", "lastHeartbeatTime": ts(20, 9), "lastTransitionTime": ts(1, 7, 2),
             "reason": "KubeletReady", "message": "kubelet is posting ready status"}],
        "addresses": [{"type": "InternalIP", "address": ip}, {"type": "Hostname", "address": name}],
        "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
        "nodeInfo": {"machineID": hexid("machine", name, n=32), "systemUUID": uid("sys", "", name).upper(),
                     "bootID": uid("boot", "", name), "kernelVersion": kernel, "osImage": image,
                     "containerRuntimeVersion": rtv, "kubeletVersion": "v1.30.4", "kubeProxyVersion": "v1.30.4",
                     "operatingSystem": os_, "architecture": "amd64"}}
    return {"metadata": md, "spec": spec, "status": status}


RUNTIME_CLASSES = [
    {"metadata": {"name": "gvisor", "uid": uid("RuntimeClass", "", "gvisor"), "resourceVersion": next_rv(),
                  "creationTimestamp": ts(1, 9), "labels": {"app.kubernetes.io/managed-by": "gvisor-installer"}},
     "handler": "runsc",
     "overhead": {"podFixed": {"cpu": "250m", "memory": "120Mi"}},
     "scheduling": {"nodeSelector": {"runtime/gvisor": "true"}}},
    {"metadata": {"name": "kata", "uid": uid("RuntimeClass", "", "kata"), "resourceVersion": next_rv(),
                  "creationTimestamp": ts(1, 9)},
     "handler": "kata-qemu",
     "overhead": {"podFixed": {"cpu": "250m", "memory": "160Mi"}}},
]

# --------------------------------------------------------------------------
# Namespaces
# --------------------------------------------------------------------------

E, EV = "pod-security.kubernetes.io/enforce", "pod-security.kubernetes.io/enforce-version"
W, WV = "pod-security.kubernetes.io/warn", "pod-security.kubernetes.io/warn-version"
A = "pod-security.kubernetes.io/audit"

NAMESPACES = [
    ("default", {}),
    ("kube-system", {}),
    ("payments", {E: "restricted", EV: "latest", W: "restricted", A: "restricted", "team": "payments"}),
    ("checkout", {E: "restricted", EV: "v1.30", "team": "storefront"}),
    ("data-pipeline", {"team": "data"}),
    ("ml-serving", {"team": "ml"}),
    ("legacy-apps", {}),
    ("mesh-demo", {"mesh.example.com/inject": "enabled"}),
    ("team-baseline", {E: "baseline", EV: "v1.29", W: "restricted", WV: "latest", "team": "reporting"}),
    ("monitoring", {E: "privileged", "team": "platform"}),
]


def ns_obj(name, labels, k):
    lab = {"kubernetes.io/metadata.name": name}
    lab.update(labels)
    return {"metadata": {"name": name, "uid": uid("Namespace", "", name), "resourceVersion": next_rv(),
                         "creationTimestamp": ts(1, 8, k), "labels": lab},
            "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}}


ADMISSION = [
    {"name": "verify-image-signatures", "type": "deny-all", "engine": "kyverno", "phase": "mutating",
     "rule": "verify-cosign-signature", "namespaces": ["checkout"],
     "description": "Kyverno verifyImages: every image must carry a cosign signature. It runs in Kyverno's "
                    "mutating webhook, so it rejects a pod before Pod Security is consulted, whatever its "
                    "capabilities."},
    {"name": "require-drop-net-raw", "type": "deny-net-raw", "engine": "kyverno", "rule": "require-drop-net-raw",
     "namespaces": ["data-pipeline"],
     "description": "Kyverno ClusterPolicy (Enforce): containers must drop ALL or NET_RAW, add neither, and not "
                    "be privileged."},
    {"name": "add-drop-all", "type": "mutate-drop-all", "engine": "kyverno", "rule": "add-drop-all",
     "namespaces": ["ml-serving"],
     "description": "Kyverno mutate policy: adds drop: [ALL] to every container and strips NET_RAW/ALL from add."},
    {"name": "sidecar-injector.mesh.example.com", "type": "no-dry-run", "phase": "mutating",
     "namespaces": ["mesh-demo"],
     "description": "A mutating webhook with sideEffects: Some (it registers each pod with a mesh control plane), "
                    "so kube-apiserver rejects every dry-run request it matches."},
]

# --------------------------------------------------------------------------
# Containers
# --------------------------------------------------------------------------

RESTRICTED_SC = {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}, "runAsNonRoot": True,
                 "seccompProfile": {"type": "RuntimeDefault"}}


def ctr(name, image, sc=None, ports=(), args=None, res=("100m", "128Mi"), env=None, mounts=None, **extra):
    c = {"name": name, "image": image}
    if args:
        c["args"] = list(args)
    if ports:
        c["ports"] = [{"name": pn, "containerPort": p, "protocol": "TCP"} for pn, p in ports]
    if env:
        c["env"] = [{"name": k, "value": v} for k, v in env]
    c["resources"] = {"requests": {"cpu": res[0], "memory": res[1]}, "limits": {"memory": res[1]}} if res else {}
    if mounts:
        c["volumeMounts"] = list(mounts)
    c["terminationMessagePath"] = "/dev/termination-log"
    c["terminationMessagePolicy"] = "File"
    c["imagePullPolicy"] = "IfNotPresent"
    if sc is not None:
        c["securityContext"] = copy.deepcopy(sc)
    c.update(extra)
    return c


def template_spec(containers, init=None, sa="default", pod_sc=None, **extra):
    spec = {}
    if init:
        spec["initContainers"] = init
    spec["containers"] = containers
    spec["restartPolicy"] = extra.pop("restartPolicy", "Always")
    spec["terminationGracePeriodSeconds"] = 30
    spec["dnsPolicy"] = extra.pop("dnsPolicy", "ClusterFirst")
    spec["serviceAccountName"] = sa
    spec["serviceAccount"] = sa
    spec["securityContext"] = pod_sc or {}
    spec["schedulerName"] = "default-scheduler"
    spec.update(extra)
    return spec


# --------------------------------------------------------------------------
# Workloads: (kind, namespace, name, template labels, template spec, extra)
# --------------------------------------------------------------------------

objects = {"Deployment": [], "ReplicaSet": [], "StatefulSet": [], "DaemonSet": [], "Job": [], "CronJob": []}
pods = []


def oref(kind, ns, name, api):
    return {"apiVersion": api, "kind": kind, "name": name, "uid": uid(kind, ns, name), "controller": True,
            "blockOwnerDeletion": True}


API = {"Deployment": "apps/v1", "ReplicaSet": "apps/v1", "StatefulSet": "apps/v1", "DaemonSet": "apps/v1",
       "Job": "batch/v1", "CronJob": "batch/v1", "Node": "v1"}


def meta(kind, ns, name, labels=None, annotations=None, owner=None, created=None, generate=None):
    md = {"name": name}
    if generate:
        md["generateName"] = generate
    md.update({"namespace": ns, "uid": uid(kind, ns, name), "resourceVersion": next_rv(),
               "generation": 1, "creationTimestamp": created or ts(3)})
    if kind == "Pod":
        del md["generation"]
    if labels:
        md["labels"] = dict(labels)
    if annotations:
        md["annotations"] = dict(annotations)
    if owner:
        md["ownerReferences"] = [owner]
    return md


def add_pod(ns, name, spec, node, labels, owner=None, annotations=None, generate=None, phase="Running",
            created=None, host_network=False, sa_volume=True):
    spec = copy.deepcopy(spec)
    spec["nodeName"] = node
    kaa = "kube-api-access-" + hexid("kaa", ns, name, n=5).translate(str.maketrans("0123456789abcdef",
                                                                                    "bcdfghjklmnpqrst"))
    if sa_volume:
        spec.setdefault("volumes", []).append({"name": kaa, "projected": {"defaultMode": 420, "sources": [
            {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
            {"configMap": {"name": "kube-root-ca.crt", "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
            {"downwardAPI": {"items": [{"path": "namespace", "fieldRef": {"apiVersion": "v1",
                                                                          "fieldPath": "metadata.namespace"}}]}}]}})
        for lst in ("initContainers", "containers"):
            for c in spec.get(lst, []):
                c.setdefault("volumeMounts", []).append({"name": kaa, "readOnly": True,
                                                         "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount"})
    spec.setdefault("tolerations", [
        {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300},
        {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute",
         "tolerationSeconds": 300}])
    spec.setdefault("priority", 0)
    spec["enableServiceLinks"] = True
    spec["preemptionPolicy"] = "PreemptLowerPriority"
    md = meta("Pod", ns, name, labels, annotations, owner, created or ts(10, 6), generate)
    rt = runtime_prefix(node)
    node_ip = NODES[node][4]
    k = len(pods)
    pod_ip = node_ip if host_network else "10.244.%d.%d" % (list(NODES).index(node), 20 + k)
    started = md["creationTimestamp"][:-3] + "04Z"
    done = phase == "Succeeded"

    def cstat(c, init=False):
        cid = "%s://%s" % (rt, hexid("cid", ns, name, c["name"]))
        if done or (init and c.get("restartPolicy") != "Always"):
            state = {"terminated": {"exitCode": 0, "reason": "Completed", "startedAt": started,
                                    "finishedAt": started, "containerID": cid}}
        else:
            state = {"running": {"startedAt": started}}
        img = c["image"] if "/" in c["image"].split(":")[0] else "docker.io/library/" + c["image"]
        return {"name": c["name"], "state": state, "lastState": {}, "ready": "running" in state,
                "restartCount": 0, "image": img, "imageID": img.split(":")[0] + "@sha256:" + hexid("img", img),
                "containerID": cid, "started": "running" in state}

    ready = "True" if not done else "False"
    status = {"phase": phase, "conditions": [
        {"type": "PodReadyToStartContainers", "status": "True", "lastProbeTime": None, "lastTransitionTime": started},
        {"type": "Initialized", "status": "True", "lastProbeTime": None, "lastTransitionTime": started},
        {"type": "Ready", "status": ready, "lastProbeTime": None, "lastTransitionTime": started},
        {"type": "ContainersReady", "status": ready, "lastProbeTime": None, "lastTransitionTime": started},
        {"type": "PodScheduled", "status": "True", "lastProbeTime": None, "lastTransitionTime":
         md["creationTimestamp"]}],
        "hostIP": node_ip, "hostIPs": [{"ip": node_ip}], "podIP": pod_ip, "podIPs": [{"ip": pod_ip}],
        "startTime": md["creationTimestamp"]}
    if spec.get("initContainers"):
        status["initContainerStatuses"] = [cstat(c, True) for c in spec["initContainers"]]
    status["containerStatuses"] = [cstat(c) for c in spec["containers"]]
    status["qosClass"] = "Burstable"
    if spec.get("ephemeralContainers"):
        status["ephemeralContainerStatuses"] = [cstat(c) for c in spec["ephemeralContainers"]]
    pod = {"metadata": md, "spec": spec, "status": status}
    pods.append(pod)
    return pod


def deployment(ns, name, labels, spec, rs_hash, pod_suffixes, nodes, replicas=None, old_rs_hash=None, day=3,
               pod_extra=None):
    sel = {"app.kubernetes.io/name": name}
    tlabels = dict(sel, **labels)
    dep = {"metadata": meta("Deployment", ns, name, tlabels, {"deployment.kubernetes.io/revision":
                                                                  "2" if old_rs_hash else "1"}, created=ts(day)),
           "spec": {"replicas": replicas if replicas is not None else len(pod_suffixes),
                    "selector": {"matchLabels": sel}, "template": {"metadata": {"labels": tlabels},
                                                                   "spec": spec},
                    "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "25%",
                                                                             "maxSurge": "25%"}},
                    "revisionHistoryLimit": 10, "progressDeadlineSeconds": 600},
           "status": {"observedGeneration": 1, "replicas": len(pod_suffixes), "updatedReplicas": len(pod_suffixes),
                      "readyReplicas": len(pod_suffixes), "availableReplicas": len(pod_suffixes)}}
    objects["Deployment"].append(dep)
    owner = oref("Deployment", ns, name, "apps/v1")
    for h, rev, n in ([(old_rs_hash, "1", 0)] if old_rs_hash else []) + [(rs_hash, "2" if old_rs_hash else "1",
                                                                            len(pod_suffixes))]:
        rs_name = "%s-%s" % (name, h)
        pl = dict(tlabels, **{"pod-template-hash": h})
        rs_spec = copy.deepcopy(spec)
        if h == old_rs_hash:  # the previous revision had an older image
            for c in rs_spec["containers"]:
                c["image"] = c["image"].rsplit(":", 1)[0] + ":previous"
        objects["ReplicaSet"].append({
            "metadata": meta("ReplicaSet", ns, rs_name, pl, {"deployment.kubernetes.io/desired-replicas": str(n),
                                                             "deployment.kubernetes.io/max-replicas": str(n + 1),
                                                             "deployment.kubernetes.io/revision": rev},
                             owner, ts(day if h == old_rs_hash else day + 1)),
            "spec": {"replicas": n, "selector": {"matchLabels": dict(sel, **{"pod-template-hash": h})},
                     "template": {"metadata": {"labels": pl}, "spec": rs_spec}},
            "status": {"replicas": n, "fullyLabeledReplicas": n, "readyReplicas": n, "availableReplicas": n,
                       "observedGeneration": 1}})
    rs_owner = oref("ReplicaSet", ns, "%s-%s" % (name, rs_hash), "apps/v1")
    out = []
    for suffix, node in zip(pod_suffixes, nodes):
        pname = "%s-%s-%s" % (name, rs_hash, suffix)
        pspec = copy.deepcopy(spec)
        ann = None
        if pod_extra:
            ann = pod_extra(pname, pspec)
        out.append(add_pod(ns, pname, pspec, node, dict(tlabels, **{"pod-template-hash": rs_hash}), rs_owner,
                           ann, generate="%s-%s-" % (name, rs_hash)))
    return out


def statefulset(ns, name, labels, spec, nodes, service):
    sel = {"app.kubernetes.io/name": name}
    tlabels = dict(sel, **labels)
    rev = "%s-%s" % (name, hexid("rev", ns, name, n=10).translate(str.maketrans("0123456789abcdef",
                                                                                 "bcdfghjklmnpqrst")))
    objects["StatefulSet"].append({
        "metadata": meta("StatefulSet", ns, name, tlabels, created=ts(3)),
        "spec": {"replicas": len(nodes), "selector": {"matchLabels": sel}, "serviceName": service,
                 "template": {"metadata": {"labels": tlabels}, "spec": spec}, "podManagementPolicy": "OrderedReady",
                 "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"partition": 0}},
                 "revisionHistoryLimit": 10, "persistentVolumeClaimRetentionPolicy": {
                     "whenDeleted": "Retain", "whenScaled": "Retain"}},
        "status": {"observedGeneration": 1, "replicas": len(nodes), "readyReplicas": len(nodes),
                   "currentReplicas": len(nodes), "updatedReplicas": len(nodes), "currentRevision": rev,
                   "updateRevision": rev, "collisionCount": 0, "availableReplicas": len(nodes)}})
    owner = oref("StatefulSet", ns, name, "apps/v1")
    for i, node in enumerate(nodes):
        pname = "%s-%d" % (name, i)
        pspec = copy.deepcopy(spec)
        pspec["hostname"] = pname
        pspec["subdomain"] = service
        add_pod(ns, pname, pspec, node, dict(tlabels, **{"apps.kubernetes.io/pod-index": str(i),
                                                         "controller-revision-hash": rev,
                                                         "statefulset.kubernetes.io/pod-name": pname}),
                owner, generate=name + "-")


def daemonset(ns, name, labels, spec, nodes, suffixes, host_network=False):
    sel = {"app.kubernetes.io/name": name}
    tlabels = dict(sel, **labels)
    rev = hexid("dsrev", ns, name, n=10).translate(str.maketrans("0123456789abcdef", "bcdfghjklmnpqrst"))
    objects["DaemonSet"].append({
        "metadata": meta("DaemonSet", ns, name, tlabels, {"deprecated.daemonset.template.generation": "1"},
                         created=ts(2)),
        "spec": {"selector": {"matchLabels": sel}, "template": {"metadata": {"labels": tlabels}, "spec": spec},
                 "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1,
                                                                               "maxSurge": 0}},
                 "revisionHistoryLimit": 10},
        "status": {"currentNumberScheduled": len(nodes), "numberMisscheduled": 0,
                   "desiredNumberScheduled": len(nodes), "numberReady": len(nodes), "observedGeneration": 1,
                   "updatedNumberScheduled": len(nodes), "numberAvailable": len(nodes)}})
    owner = oref("DaemonSet", ns, name, "apps/v1")
    for node, sfx in zip(nodes, suffixes):
        pspec = copy.deepcopy(spec)
        pspec["affinity"] = {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
            "nodeSelectorTerms": [{"matchFields": [{"key": "metadata.name", "operator": "In", "values": [node]}]}]}}}
        add_pod(ns, "%s-%s" % (name, sfx), pspec, node, dict(tlabels, **{"controller-revision-hash": rev,
                                                                       "pod-template-generation": "1"}),
                owner, generate=name + "-", created=ts(2, 7), host_network=host_network)


def job(ns, name, spec, node, suffix, cron=None, day=19):
    jl = {"batch.kubernetes.io/controller-uid": uid("Job", ns, name), "batch.kubernetes.io/job-name": name,
          "controller-uid": uid("Job", ns, name), "job-name": name}
    owner = oref("CronJob", ns, cron, "batch/v1") if cron else None
    objects["Job"].append({
        "metadata": meta("Job", ns, name, dict(jl) if not cron else dict(jl, **{"app.kubernetes.io/name": cron}),
                         {"batch.kubernetes.io/job-tracking": ""} if not cron else
                         {"batch.kubernetes.io/cronjob-scheduled-timestamp": ts(day, 2)}, owner, ts(day, 2)),
        "spec": {"parallelism": 1, "completions": 1, "backoffLimit": 6, "completionMode": "NonIndexed",
                 "suspend": False, "podReplacementPolicy": "TerminatingOrFailed",
                 "selector": {"matchLabels": {"batch.kubernetes.io/controller-uid": uid("Job", ns, name)}},
                 "template": {"metadata": {"labels": jl}, "spec": spec}},
        "status": {"startTime": ts(day, 2), "completionTime": ts(day, 2, 41), "succeeded": 1,
                   "uncountedTerminatedPods": {}, "ready": 0, "terminating": 0,
                   "conditions": [{"type": "Complete", "status": "True", "lastProbeTime": ts(day, 2, 41),
                                   "lastTransitionTime": ts(day, 2, 41)}]}})
    pname = "%s-%s" % (name, suffix)
    add_pod(ns, pname, spec, node, jl, oref("Job", ns, name, "batch/v1"), generate=name + "-",
            phase="Succeeded", created=ts(day, 6))


# ---- kube-system -----------------------------------------------------------

deployment("kube-system", "coredns", {"k8s-app": "kube-dns"}, template_spec([
    ctr("coredns", "registry.k8s.io/coredns/coredns:v1.11.1", args=["-conf", "/etc/coredns/Corefile"],
        ports=[("dns", 53), ("dns-tcp", 53), ("metrics", 9153)], res=("100m", "70Mi"),
        sc={"allowPrivilegeEscalation": False, "capabilities": {"add": ["NET_BIND_SERVICE"], "drop": ["ALL"]},
            "readOnlyRootFilesystem": True})], sa="coredns", dnsPolicy="Default",
    priorityClassName="system-cluster-critical", volumes=[
        {"name": "config-volume", "configMap": {"name": "coredns", "defaultMode": 420,
                                                "items": [{"key": "Corefile", "path": "Corefile"}]}}]),
    "7db6d8ff4d", ["2xk8p", "9lq4m"], ["cp-1", "node-containerd-1"], day=1)

daemonset("kube-system", "kube-proxy", {"k8s-app": "kube-proxy"}, template_spec([
    ctr("kube-proxy", "registry.k8s.io/kube-proxy:v1.30.4",
        args=None, res=None, sc={"privileged": True},
        command=["/usr/local/bin/kube-proxy", "--config=/var/lib/kube-proxy/config.conf",
                 "--hostname-override=$(NODE_NAME)"])],
    sa="kube-proxy", hostNetwork=True, priorityClassName="system-node-critical",
    nodeSelector={"kubernetes.io/os": "linux"},
    volumes=[{"name": "kube-proxy", "configMap": {"name": "kube-proxy", "defaultMode": 420}},
             {"name": "xtables-lock", "hostPath": {"path": "/run/xtables.lock", "type": "FileOrCreate"}},
             {"name": "lib-modules", "hostPath": {"path": "/lib/modules", "type": ""}}]),
    LINUX_NODES, ["7ktpz", "m4xqd", "r8vbn", "x2lhw"], host_network=True)

daemonset("kube-system", "kube-proxy-windows", {"k8s-app": "kube-proxy-windows"}, template_spec([
    ctr("kube-proxy", "sigwindowstools/kube-proxy:v1.30.4-calico-hostprocess", res=None,
        command=["%CONTAINER_SANDBOX_MOUNT_POINT%/kube-proxy/start.ps1"],
        sc={"windowsOptions": {"hostProcess": True, "runAsUserName": "NT AUTHORITY\\system"}})],
    sa="kube-proxy", hostNetwork=True, os={"name": "windows"}, nodeSelector={"kubernetes.io/os": "windows"},
    priorityClassName="system-node-critical"),
    ["node-win-1"], ["q9wzt"], host_network=True)


def static_pod(component, image, command, node="cp-1"):
    name = "%s-%s" % (component, node)
    chash = hexid("static", component, n=32)
    spec = template_spec([ctr(component, image, res=("250m", "256Mi"), command=command)], sa="", hostNetwork=True,
                         priorityClassName="system-node-critical", priority=2000001000,
                         securityContext={"seccompProfile": {"type": "RuntimeDefault"}},
                         volumes=[{"name": "k8s-certs", "hostPath": {"path": "/etc/kubernetes/pki",
                                                                     "type": "DirectoryOrCreate"}}])
    del spec["serviceAccountName"], spec["serviceAccount"]
    spec["enableServiceLinks"] = True
    spec["tolerations"] = [{"operator": "Exists", "effect": "NoExecute"}]
    node_owner = {"apiVersion": "v1", "kind": "Node", "name": node, "uid": uid("Node", "", node),
                  "controller": True}
    add_pod("kube-system", name, spec, node, {"component": component, "tier": "control-plane"}, node_owner,
            {"kubernetes.io/config.hash": chash, "kubernetes.io/config.mirror": chash,
             "kubernetes.io/config.seen": "2024-06-01T07:04:11.482911035Z", "kubernetes.io/config.source": "file"},
            created=ts(1, 7, 5), host_network=True, sa_volume=False)


static_pod("etcd", "registry.k8s.io/etcd:3.5.12-0",
           ["etcd", "--data-dir=/var/lib/etcd", "--listen-client-urls=https://127.0.0.1:2379,https://10.0.0.10:2379"])
static_pod("kube-apiserver", "registry.k8s.io/kube-apiserver:v1.30.4",
           ["kube-apiserver", "--advertise-address=10.0.0.10", "--enable-admission-plugins=NodeRestriction",
            "--admission-control-config-file=/etc/kubernetes/admission/podsecurity.yaml"])

# ---- monitoring (privileged) ------------------------------------------------

daemonset("monitoring", "node-exporter", {"app.kubernetes.io/part-of": "kube-prometheus"}, template_spec([
    ctr("node-exporter", "quay.io/prometheus/node-exporter:v1.8.1",
        args=["--path.rootfs=/host/root", "--web.listen-address=0.0.0.0:9100"], ports=[("metrics", 9100)],
        res=("102m", "180Mi"),
        sc={"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}, "readOnlyRootFilesystem": True},
        mounts=[{"name": "root", "mountPath": "/host/root", "readOnly": True, "mountPropagation": "HostToContainer"}])],
    sa="node-exporter", hostNetwork=True, hostPID=True, nodeSelector={"kubernetes.io/os": "linux"},
    pod_sc={"runAsNonRoot": True, "runAsUser": 65534, "runAsGroup": 65534},
    volumes=[{"name": "root", "hostPath": {"path": "/", "type": ""}}],
    tolerations=[{"operator": "Exists"}]),
    LINUX_NODES, ["5gk2w", "bn8qz", "hx4tl", "vm7pd"], host_network=True)

# ---- payments (restricted:latest) -------------------------------------------

deployment("payments", "payments-api", {"app.kubernetes.io/part-of": "payments"}, template_spec([
    ctr("api", "registry.internal.example.com/payments/api:4.12.0", ports=[("http", 8080)], res=("250m", "512Mi"),
        sc=dict(RESTRICTED_SC, readOnlyRootFilesystem=True))], sa="payments-api",
    pod_sc={"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}}),
    "5d8f7c9b6", ["k4vzr", "p9tq2"], ["node-containerd-1", "node-crio-1"])

statefulset("payments", "ledger-db", {"app.kubernetes.io/component": "database"}, template_spec(
    [ctr("postgres", "registry.internal.example.com/postgres:16.3", ports=[("postgres", 5432)], res=("500m", "1Gi"),
         sc=RESTRICTED_SC, env=[("PGDATA", "/var/lib/postgresql/data/pgdata")],
         mounts=[{"name": "data", "mountPath": "/var/lib/postgresql/data"}])],
    init=[ctr("init-permissions", "registry.internal.example.com/busybox:1.36", res=("10m", "16Mi"),
              command=["sh", "-c", "chmod 0700 /var/lib/postgresql/data/pgdata || true"], sc=RESTRICTED_SC,
              mounts=[{"name": "data", "mountPath": "/var/lib/postgresql/data"}])],
    sa="ledger-db", pod_sc={"fsGroup": 999, "runAsUser": 999, "runAsGroup": 999},
    volumes=[{"name": "data", "persistentVolumeClaim": {"claimName": "data-ledger-db"}}]),
    ["node-containerd-1", "node-docker-1"], "ledger-db")

# ---- checkout (restricted:v1.30 + Kyverno verifyImages) ---------------------

deployment("checkout", "checkout-web", {"app.kubernetes.io/part-of": "storefront"}, template_spec([
    ctr("web", "registry.internal.example.com/storefront/checkout@sha256:" + hexid("checkout-web"),
        ports=[("http", 8080)], res=("200m", "256Mi"), sc=RESTRICTED_SC)], sa="checkout-web",
    pod_sc={"runAsNonRoot": True, "runAsUser": 10001}),
    "6f9d7b8c5", ["d2kxm", "w7rl4"], ["node-crio-1", "node-docker-1"])

# ---- data-pipeline (Kyverno require-drop-net-raw) ---------------------------

ETL_SPEC = template_spec([
    ctr("etl", "registry.internal.example.com/data/etl:2024.06.1", args=["run", "--date=yesterday"],
        res=("1", "2Gi"), sc={"runAsNonRoot": True, "capabilities": {"drop": ["NET_RAW"]}})],
    sa="etl", restartPolicy="OnFailure")
objects["CronJob"].append({
    "metadata": meta("CronJob", "data-pipeline", "nightly-etl", {"app.kubernetes.io/name": "nightly-etl"},
                     created=ts(2)),
    "spec": {"schedule": "0 2 * * *", "timeZone": "Etc/UTC", "concurrencyPolicy": "Forbid", "suspend": False,
             "successfulJobsHistoryLimit": 3, "failedJobsHistoryLimit": 1,
             "jobTemplate": {"metadata": {"labels": {"app.kubernetes.io/name": "nightly-etl"}},
                             "spec": {"backoffLimit": 6, "template": {"spec": ETL_SPEC}}}},
    "status": {"lastScheduleTime": ts(19, 2), "lastSuccessfulTime": ts(19, 2, 41)}})
job("data-pipeline", "nightly-etl-28650240", ETL_SPEC, "node-crio-1", "h7x2q", cron="nightly-etl")

job("data-pipeline", "backfill-2024-06", template_spec([
    ctr("backfill", "registry.internal.example.com/data/backfill:0.9.3", args=["--from=2024-06-01"],
        res=("500m", "1Gi"))], sa="etl", restartPolicy="Never"), "node-containerd-1", "qz9rt", day=5)

# ---- ml-serving (Kyverno add-drop-all mutation) -----------------------------


def kyverno_mutated(pname, spec):
    for c in spec["containers"]:
        c.setdefault("securityContext", {}).setdefault("capabilities", {})["drop"] = ["ALL"]
    return {"policies.kyverno.io/last-applied-patches":
            "add-drop-all.add-drop-all.kyverno.io: added /spec/containers/0/securityContext/capabilities\n"}


deployment("ml-serving", "inference", {"app.kubernetes.io/part-of": "ml-platform"}, template_spec([
    ctr("model-server", "registry.internal.example.com/ml/triton:24.05-py3", ports=[("http", 8000), ("grpc", 8001)],
        res=("2", "8Gi"), sc={"runAsUser": 1000})], sa="inference"),
    "7b5c9d6f4", ["w8m2k"], ["node-crio-1"], pod_extra=kyverno_mutated)

# ---- legacy-apps (nothing) ----------------------------------------------------


def debug_container(pname, spec):
    if pname.endswith("-fq7wd"):
        spec["ephemeralContainers"] = [{
            "name": "debugger-kx2lp", "image": "nicolaka/netshoot:v0.13", "resources": {},
            "terminationMessagePath": "/dev/termination-log", "terminationMessagePolicy": "File",
            "imagePullPolicy": "IfNotPresent", "stdin": True, "tty": True, "targetContainerName": "app",
            "securityContext": {"capabilities": {"add": ["NET_ADMIN", "NET_RAW"]}}}]
    return None


deployment("legacy-apps", "web-frontend", {"tier": "frontend"}, template_spec([
    ctr("app", "nginx:1.25.5", ports=[("http", 80)], res=("100m", "128Mi")),
    ctr("log-shipper", "cr.fluentbit.io/fluent/fluent-bit:3.0.7", res=("50m", "64Mi"),
        sc={"capabilities": {"drop": ["ALL"]}, "readOnlyRootFilesystem": True})], sa="web-frontend"),
    "6b7f9c8d4", ["fq7wd", "j5nbx", "t2hzc"], ["node-containerd-1", "node-crio-1", "node-docker-1"],
    old_rs_hash="5d4c7b9f8", pod_extra=debug_container)

statefulset("legacy-apps", "cache", {"app.kubernetes.io/component": "cache"}, template_spec([
    ctr("redis", "redis:7.2.5", ports=[("redis", 6379)], res=("100m", "256Mi"),
        sc={"capabilities": {"drop": ["CAP_NET_RAW"]}})], sa="default"),
    ["node-crio-1", "node-containerd-1", "node-docker-1"], "cache")

deployment("legacy-apps", "iis-site", {"tier": "frontend"}, template_spec([
    ctr("iis", "mcr.microsoft.com/windows/servercore/iis:windowsservercore-ltsc2022", ports=[("http", 80)],
        res=("500m", "1Gi"))], sa="default", nodeSelector={"kubernetes.io/os": "windows"},
    tolerations=[{"key": "os", "operator": "Equal", "value": "windows", "effect": "NoSchedule"}]),
    "7c6b5d4f8", ["r2dxw"], ["node-win-1"])

deployment("legacy-apps", "sandbox-runner", {"tier": "batch"}, template_spec([
    ctr("runner", "registry.internal.example.com/ci/untrusted-runner:1.4.2", res=("500m", "512Mi"))],
    sa="sandbox-runner", runtimeClassName="gvisor", nodeSelector={"runtime/gvisor": "true"}),
    "84d9c7f6b", ["lz5mc"], ["node-containerd-1"],
    pod_extra=lambda pname, spec: spec.update(overhead={"cpu": "250m", "memory": "120Mi"}))  # RuntimeClass admission

# a pod whose ReplicaSet (and Deployment) were deleted with --cascade=orphan
add_pod("legacy-apps", "orphan-worker-5f6d7c8b9-zzq4r", template_spec([
    ctr("worker", "registry.internal.example.com/legacy/worker:3.1.0", res=("200m", "256Mi"))], sa="default"),
    "node-docker-1", {"app.kubernetes.io/name": "orphan-worker", "pod-template-hash": "5f6d7c8b9"},
    oref("ReplicaSet", "legacy-apps", "orphan-worker-5f6d7c8b9", "apps/v1"),
    generate="orphan-worker-5f6d7c8b9-", created=ts(4, 6))

# ---- mesh-demo (dry-run-rejecting webhook; injected sidecar) ----------------


def istio_injected(pname, spec):
    spec["initContainers"] = [ctr(
        "istio-init", "docker.io/istio/proxyv2:1.22.3", res=("10m", "40Mi"),
        args=["istio-iptables", "-p", "15001", "-z", "15006", "-u", "1337", "-m", "REDIRECT", "-i", "*"],
        sc={"allowPrivilegeEscalation": False, "capabilities": {"add": ["NET_ADMIN", "NET_RAW"], "drop": ["ALL"]},
            "privileged": False, "readOnlyRootFilesystem": False, "runAsGroup": 0, "runAsNonRoot": False,
            "runAsUser": 0})]
    spec["containers"].append(ctr(
        "istio-proxy", "docker.io/istio/proxyv2:1.22.3", res=("100m", "128Mi"),
        args=["proxy", "sidecar", "--domain", "$(POD_NAMESPACE).svc.cluster.local"],
        ports=[("http-envoy-prom", 15090)],
        sc={"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}, "privileged": False,
            "readOnlyRootFilesystem": True, "runAsGroup": 1337, "runAsNonRoot": True, "runAsUser": 1337}))
    return {"sidecar.istio.io/status": '{"initContainers":["istio-init"],"containers":["istio-proxy"],'
                                       '"volumes":["istio-envoy","istio-data"],"revision":"default"}',
            "kubectl.kubernetes.io/default-container": "reviews"}


deployment("mesh-demo", "reviews", {"version": "v1"}, template_spec([
    ctr("reviews", "docker.io/istio/examples-bookinfo-reviews-v1:1.20.1", ports=[("http", 9080)],
        res=("100m", "256Mi"), sc={"capabilities": {"drop": ["ALL"]}, "runAsUser": 1000})], sa="bookinfo-reviews"),
    "5c8d7f9b6", ["qj4tn"], ["node-crio-1"], pod_extra=istio_injected)

# ---- team-baseline (baseline:v1.29) -----------------------------------------

deployment("team-baseline", "reporting", {"tier": "backend"}, template_spec([
    ctr("app", "registry.internal.example.com/reporting/app:2.3.0", ports=[("http", 8080)], res=("250m", "512Mi"),
        sc={"runAsNonRoot": True, "capabilities": {"drop": ["MKNOD"]}})], sa="reporting"),
    "6d5f8b7c9", ["t6v8n"], ["node-docker-1"])

# ---- default: a bare debug pod ---------------------------------------------

add_pod("default", "debug-shell", template_spec([
    ctr("shell", "nicolaka/netshoot:v0.13", res=None, command=["sleep", "infinity"], stdin=True, tty=True,
        sc={"capabilities": {"add": ["NET_ADMIN", "NET_RAW"]}})], sa="default"),
    "node-docker-1", {"run": "debug-shell"}, created=ts(20, 7))

# --------------------------------------------------------------------------
# Expected results, by hand.
#   spec verdict/reason: docs/rules.md (per container, first matching rule)
#   exposure: issue 7 runtime-aware rules (containerd ignores "CAP_NET_RAW" in
#   drop, CRI-O and Docker honour it; gVisor and Windows are flagged)
# --------------------------------------------------------------------------

F, P, NA = "FAIL", "PASS", "NOT_APPLICABLE"

# pod name -> [(type, name, index, verdict, reason)]
POD_EXPECT = {
    "kube-system/coredns-7db6d8ff4d-2xk8p": [("container", "coredns", 0, P, "DROP_ALL")],
    "kube-system/coredns-7db6d8ff4d-9lq4m": [("container", "coredns", 0, P, "DROP_ALL")],
    "kube-system/kube-proxy-7ktpz": [("container", "kube-proxy", 0, F, "PRIVILEGED")],
    "kube-system/kube-proxy-m4xqd": [("container", "kube-proxy", 0, F, "PRIVILEGED")],
    "kube-system/kube-proxy-r8vbn": [("container", "kube-proxy", 0, F, "PRIVILEGED")],
    "kube-system/kube-proxy-x2lhw": [("container", "kube-proxy", 0, F, "PRIVILEGED")],
    "kube-system/kube-proxy-windows-q9wzt": [("container", "kube-proxy", 0, NA, "WINDOWS_POD")],
    "kube-system/etcd-cp-1": [("container", "etcd", 0, F, "NO_SECURITY_CONTEXT")],
    "kube-system/kube-apiserver-cp-1": [("container", "kube-apiserver", 0, F, "NO_SECURITY_CONTEXT")],
    "monitoring/node-exporter-5gk2w": [("container", "node-exporter", 0, P, "DROP_ALL")],
    "monitoring/node-exporter-bn8qz": [("container", "node-exporter", 0, P, "DROP_ALL")],
    "monitoring/node-exporter-hx4tl": [("container", "node-exporter", 0, P, "DROP_ALL")],
    "monitoring/node-exporter-vm7pd": [("container", "node-exporter", 0, P, "DROP_ALL")],
    "payments/payments-api-5d8f7c9b6-k4vzr": [("container", "api", 0, P, "DROP_ALL")],
    "payments/payments-api-5d8f7c9b6-p9tq2": [("container", "api", 0, P, "DROP_ALL")],
    "payments/ledger-db-0": [("initContainer", "init-permissions", 0, P, "DROP_ALL"),
                             ("container", "postgres", 0, P, "DROP_ALL")],
    "payments/ledger-db-1": [("initContainer", "init-permissions", 0, P, "DROP_ALL"),
                             ("container", "postgres", 0, P, "DROP_ALL")],
    "checkout/checkout-web-6f9d7b8c5-d2kxm": [("container", "web", 0, P, "DROP_ALL")],
    "checkout/checkout-web-6f9d7b8c5-w7rl4": [("container", "web", 0, P, "DROP_ALL")],
    "data-pipeline/nightly-etl-28650240-h7x2q": [("container", "etl", 0, P, "DROP_NET_RAW")],
    "data-pipeline/backfill-2024-06-qz9rt": [("container", "backfill", 0, F, "NO_SECURITY_CONTEXT")],
    "ml-serving/inference-7b5c9d6f4-w8m2k": [("container", "model-server", 0, P, "DROP_ALL")],
    "legacy-apps/web-frontend-6b7f9c8d4-fq7wd": [("container", "app", 0, F, "NO_SECURITY_CONTEXT"),
                                                 ("container", "log-shipper", 1, P, "DROP_ALL"),
                                                 ("ephemeralContainer", "debugger-kx2lp", 0, F, "ADD_NET_RAW")],
    "legacy-apps/web-frontend-6b7f9c8d4-j5nbx": [("container", "app", 0, F, "NO_SECURITY_CONTEXT"),
                                                 ("container", "log-shipper", 1, P, "DROP_ALL")],
    "legacy-apps/web-frontend-6b7f9c8d4-t2hzc": [("container", "app", 0, F, "NO_SECURITY_CONTEXT"),
                                                 ("container", "log-shipper", 1, P, "DROP_ALL")],
    "legacy-apps/cache-0": [("container", "redis", 0, F, "DROP_PREFIXED_INEFFECTIVE")],
    "legacy-apps/cache-1": [("container", "redis", 0, F, "DROP_PREFIXED_INEFFECTIVE")],
    "legacy-apps/cache-2": [("container", "redis", 0, F, "DROP_PREFIXED_INEFFECTIVE")],
    "legacy-apps/iis-site-7c6b5d4f8-r2dxw": [("container", "iis", 0, F, "NO_SECURITY_CONTEXT")],
    "legacy-apps/sandbox-runner-84d9c7f6b-lz5mc": [("container", "runner", 0, F, "NO_SECURITY_CONTEXT")],
    "legacy-apps/orphan-worker-5f6d7c8b9-zzq4r": [("container", "worker", 0, F, "NO_SECURITY_CONTEXT")],
    "mesh-demo/reviews-5c8d7f9b6-qj4tn": [("initContainer", "istio-init", 0, F, "ADD_NET_RAW"),
                                         ("container", "reviews", 0, P, "DROP_ALL"),
                                         ("container", "istio-proxy", 1, P, "DROP_ALL")],
    "team-baseline/reporting-6d5f8b7c9-t6v8n": [("container", "app", 0, F, "NO_MATCHING_DROP")],
    "default/debug-shell": [("container", "shell", 0, F, "ADD_NET_RAW")],
}

# runtime-aware exposure of the containers whose effective exposure differs from the spec verdict
EXPOSURE_EXPECT = {
    "legacy-apps/cache-0": ("WARN", "cri-o honours CAP_NET_RAW in drop (and its default set excludes NET_RAW)"),
    "legacy-apps/cache-1": ("FAIL", "containerd reads CAP_NET_RAW as CAP_CAP_NET_RAW: NET_RAW stays"),
    "legacy-apps/cache-2": ("WARN", "docker honours CAP_NET_RAW in drop"),
    "legacy-apps/sandbox-runner-84d9c7f6b-lz5mc": ("FAIL", "gVisor (runsc) sandbox: flagged, spec verdict kept"),
    "legacy-apps/iis-site-7c6b5d4f8-r2dxw": ("NOT_APPLICABLE",
                                             "spec.os unset, node-win-1 is Windows: inferred Windows pod"),
}

# probe pods as a client would send them: A has no securityContext, B adds NET_RAW; the control probe is
# restricted-compliant and is admitted everywhere except checkout (verifyImages) and mesh-demo (no dry run)
NAMESPACE_EXPECT = {
    "default": {"labels": ("FAIL", "UNLABELLED"), "probe": {
        "default": "admitted, returned object unchanged", "netRaw": "admitted"},
        "verdict": ("FAIL", "ADMISSION_ADMITS_DEFAULT_NET_RAW")},
    "kube-system": {"labels": ("FAIL", "UNLABELLED"), "probe": {
        "default": "admitted (denied neither; with --psa-exempt-namespaces kube-system nothing changes: it is "
                   "unlabelled anyway)", "netRaw": "admitted"},
        "verdict": ("FAIL", "ADMISSION_ADMITS_DEFAULT_NET_RAW")},
    "payments": {"labels": ("PASS", "ENFORCE_RESTRICTED"), "probe": {
        "default": '403 PodSecurity: pods "NAME" is forbidden: violates PodSecurity "restricted:latest": '
                   'allowPrivilegeEscalation != false (...), unrestricted capabilities (...), runAsNonRoot != '
                   'true (...), seccompProfile (...)',
        "netRaw": "403 PodSecurity restricted:latest, unrestricted capabilities names NET_RAW in add"},
        "verdict": ("PASS", "ADMISSION_DENIES_NET_RAW"),
        "withPsaExemptProber": ("FAIL", "ADMISSION_ADMITS_DEFAULT_NET_RAW: the prober's identity is exempt, "
                                        "labels still say ENFORCE_RESTRICTED")},
    "checkout": {"labels": ("PASS", "ENFORCE_RESTRICTED"), "probe": {
        "default": '400 from "mutate.kyverno.svc-fail" (policy verify-image-signatures, rule '
                   'verify-cosign-signature): failed to verify image ...; PodSecurity never ran',
        "netRaw": "400, same message"},
        "verdict": ("UNKNOWN", "ADMISSION_INCONCLUSIVE (every probe, the compliant control included, is denied "
                               "for a reason that does not concern capabilities; the label reading, PASS "
                               "ENFORCE_RESTRICTED, stays next to it)")},
    "data-pipeline": {"labels": ("FAIL", "UNLABELLED"), "probe": {
        "default": '400 from "validate.kyverno.svc-fail" (policy require-drop-net-raw, path '
                   '/spec/containers/0/securityContext/capabilities/drop/)',
        "netRaw": "400, same policy (path .../capabilities/add/)"},
        "verdict": ("PASS", "ADMISSION_DENIES_NET_RAW")},
    "ml-serving": {"labels": ("FAIL", "UNLABELLED"), "probe": {
        "default": "admitted; returned object has capabilities.drop [ALL] (mutated by add-drop-all)",
        "netRaw": "admitted; returned object has drop [ALL] and no add (NET_RAW stripped)"},
        "verdict": ("PASS", "ADMISSION_DENIES_NET_RAW (admitted objects come back without NET_RAW)")},
    "legacy-apps": {"labels": ("FAIL", "UNLABELLED"), "probe": {
        "default": "admitted unchanged", "netRaw": "admitted unchanged"},
        "verdict": ("FAIL", "ADMISSION_ADMITS_DEFAULT_NET_RAW (and ADMISSION_ADMITS_ADDED_NET_RAW)")},
    "mesh-demo": {"labels": ("FAIL", "UNLABELLED"), "probe": {
        "default": '400 BadRequest: admission webhook "sidecar-injector.mesh.example.com" does not support dry run',
        "netRaw": "400, same"},
        "verdict": ("UNKNOWN", "ADMISSION_PROBE_FAILED (dry run unsupported; the label reading, FAIL UNLABELLED, "
                               "stays next to it)")},
    "team-baseline": {"labels": ("FAIL", "ENFORCE_BASELINE"), "probe": {
        "default": "admitted (Warning: would violate PodSecurity \"restricted:latest\": ...)",
        "netRaw": '403 PodSecurity: violates PodSecurity "baseline:v1.29": non-default capabilities (container '
                  '"probe" must not include "NET_RAW" in securityContext.capabilities.add)'},
        "verdict": ("FAIL", "ADMISSION_ADMITS_DEFAULT_NET_RAW")},
    "monitoring": {"labels": ("FAIL", "ENFORCE_PRIVILEGED"), "probe": {
        "default": "admitted", "netRaw": "admitted"},
        "verdict": ("FAIL", "ADMISSION_ADMITS_DEFAULT_NET_RAW")},
}


def workload_of(pod, by_uid):
    """Top controller by hand-written rules of the shared model."""
    refs = [r for r in pod["metadata"].get("ownerReferences", []) if r.get("controller")]
    if not refs or refs[0]["kind"] == "Node":
        return {"kind": "Pod", "name": pod["metadata"]["name"], "resolved": True}
    ref = refs[0]
    obj = by_uid.get(ref["uid"])
    if obj is None:
        return {"kind": ref["kind"], "name": ref["name"], "resolved": False}
    up = [r for r in obj["metadata"].get("ownerReferences", []) if r.get("controller")]
    if up and up[0]["uid"] in by_uid:
        return {"kind": up[0]["kind"], "name": up[0]["name"], "resolved": True}
    return {"kind": ref["kind"], "name": ref["name"], "resolved": True}


def write(name, doc):
    with open(os.path.join(HERE, name), "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=1, ensure_ascii=False)
        f.write("\n")


def main():
    nodes = [node_obj(n, k) for k, n in enumerate(NODES)]
    nss = [ns_obj(n, lab, k) for k, (n, lab) in enumerate(NAMESPACES)]
    write("nodes.json", {"kind": "NodeList", "apiVersion": "v1", "metadata": {"resourceVersion": next_rv()},
                         "items": nodes})
    write("runtimeclasses.json", {"kind": "RuntimeClassList", "apiVersion": "node.k8s.io/v1",
                                  "metadata": {"resourceVersion": next_rv()}, "items": RUNTIME_CLASSES})
    write("namespaces.json", {"kind": "NamespaceList", "apiVersion": "v1", "metadata": {"resourceVersion":
                                                                                           next_rv()}, "items": nss})
    files = {"Deployment": ("deployments.json", "apps/v1"), "ReplicaSet": ("replicasets.json", "apps/v1"),
             "StatefulSet": ("statefulsets.json", "apps/v1"), "DaemonSet": ("daemonsets.json", "apps/v1"),
             "Job": ("jobs.json", "batch/v1"), "CronJob": ("cronjobs.json", "batch/v1")}
    for kind, (fn, api) in files.items():
        write(fn, {"kind": kind + "List", "apiVersion": api, "metadata": {"resourceVersion": next_rv()},
                   "items": objects[kind]})
    write("pods.json", {"kind": "PodList", "apiVersion": "v1", "metadata": {"resourceVersion": next_rv()},
                        "items": pods})
    with open(os.path.join(HERE, "admission.json"), "w", encoding="utf-8") as f:
        json.dump(ADMISSION, f, indent=1)
        f.write("\n")

    by_uid = {o["metadata"]["uid"]: o for objs in objects.values() for o in objs}
    by_uid.update({n["metadata"]["uid"]: n for n in nodes})
    exp_pods = []
    for p in pods:
        md, spec = p["metadata"], p["spec"]
        key = "%s/%s" % (md["namespace"], md["name"])
        refs = [r for r in md.get("ownerReferences", []) if r.get("controller")]
        cs = [{"type": t, "name": n, "index": i, "verdict": v, "reason": r} for t, n, i, v, r in POD_EXPECT[key]]
        verdicts = {c["verdict"] for c in cs}
        pv = F if F in verdicts else (NA if verdicts == {NA} else P)
        e = {"namespace": md["namespace"], "name": md["name"], "uid": md["uid"], "node": spec["nodeName"],
             "runtime": NODES[spec["nodeName"]][0], "nodeOS": NODES[spec["nodeName"]][1],
             "runtimeClass": spec.get("runtimeClassName"),
             "owner": {"kind": refs[0]["kind"], "name": refs[0]["name"]} if refs else None,
             "workload": workload_of(p, by_uid), "verdict": pv, "containers": cs}
        if key in EXPOSURE_EXPECT:
            e["exposure"] = {"effective": EXPOSURE_EXPECT[key][0], "note": EXPOSURE_EXPECT[key][1]}
        exp_pods.append(e)
    wl = {}
    for e in exp_pods:
        w = e["workload"]
        k = (e["namespace"], w["kind"], w["name"])
        d = wl.setdefault(k, {"namespace": k[0], "kind": k[1], "name": k[2], "resolved": w["resolved"],
                              "pods": {"total": 0, "fail": 0}, "failingContainers": []})
        d["pods"]["total"] += 1
        if e["verdict"] == F:
            d["pods"]["fail"] += 1
        for c in e["containers"]:
            item = {"type": c["type"], "name": c["name"], "reason": c["reason"]}
            if c["verdict"] == F and item not in d["failingContainers"]:
                d["failingContainers"].append(item)
    for d in wl.values():
        d["verdict"] = F if d["pods"]["fail"] else (NA if all(
            e["verdict"] == NA for e in exp_pods if (e["namespace"], e["workload"]["kind"], e["workload"]["name"])
            == (d["namespace"], d["kind"], d["name"])) else P)
    expected = {
        "about": "Hand-written expectations for testdata/cluster7 (see expected.md). Not an API list: this file "
                 "has no 'items' key, so kubeapi.py ignores it.",
        "probeDefaultPod": {"apiVersion": "v1", "kind": "Pod", "metadata": {"generateName": "kubecapscan-probe-"},
                            "spec": {"containers": [{"name": "probe", "image": "registry.k8s.io/pause:3.10"}]}},
        "probeControlPod": {"apiVersion": "v1", "kind": "Pod", "metadata": {"generateName": "kubecapscan-probe-"},
                            "spec": {"securityContext": {"runAsNonRoot": True, "runAsUser": 65534,
                                                         "seccompProfile": {"type": "RuntimeDefault"}},
                                     "containers": [{"name": "probe", "image": "registry.k8s.io/pause:3.10",
                                                     "securityContext": {"allowPrivilegeEscalation": False,
                                                                         "capabilities": {"drop": ["ALL"]}}}]}},
        "probeNetRawPod": {"apiVersion": "v1", "kind": "Pod", "metadata": {"generateName": "kubecapscan-probe-"},
                           "spec": {"containers": [{"name": "probe", "image": "registry.k8s.io/pause:3.10",
                                                    "securityContext": {"capabilities": {"add": ["NET_RAW"]}}}]}},
        "namespaces": {n: {"labelVerdict": {"verdict": v["labels"][0], "reason": v["labels"][1]},
                           "probe": v["probe"],
                           "expectedVerdict": {"verdict": v["verdict"][0],
                                               "reason": v["verdict"][1].split(" (")[0],
                                               "note": v["verdict"][1][len(v["verdict"][1].split(" (")[0]):]
                                               .strip().strip("()") or None},
                           **({"withPsaExemptProber": v["withPsaExemptProber"]} if "withPsaExemptProber" in v
                              else {})}
                       for n, v in NAMESPACE_EXPECT.items()},
        "runtimes": {n: {"containerRuntimeVersion": v[0], "os": v[1]} for n, v in NODES.items()},
        "runtimeClasses": {rc["metadata"]["name"]: rc["handler"] for rc in RUNTIME_CLASSES},
        "pods": exp_pods,
        "workloads": sorted(wl.values(), key=lambda d: (d["namespace"], d["kind"], d["name"])),
    }
    write("expected.json", expected)


if __name__ == "__main__":
    main()
