#!/usr/bin/env python3
"""Generate a realistic `kubectl get pods -A -o json` document for benchmarks.

The output has the shape kubectl prints: a `v1 List` whose keys are sorted
(kubectl marshals unstructured objects, so Go sorts every map's keys) and
indented by four spaces:

    {"apiVersion": "v1", "items": [...], "kind": "List",
     "metadata": {"resourceVersion": ""}}

Each item is a Pod of roughly 4-8 KB as the API server returns it: labels,
annotations, ownerReferences, managedFields whose fieldsV1 mirror the object
several levels deep, 1-3 containers plus sometimes init and ephemeral
containers, env, ports, resources, probes, volume mounts, the projected
service-account volume, tolerations, affinity, and a status with conditions
and container statuses.

Security contexts follow a mix drawn from real clusters (one profile per
workload, below, so these are the shares of pods on average):

    40%  drop ALL (restricted-style)      10%  drop NET_RAW
    25%  no securityContext at all         5%  privileged
     5%  add NET_RAW                      15%  the rest: drop "all"
         (lower case), drop "CAP_NET_RAW", runAsNonRoot only, Windows pods,
         add ALL, drop "net_raw", empty capabilities

Init containers usually share the pod's profile but sometimes have none, an
istio-init style init container adds NET_ADMIN and NET_RAW, and about 1% of
pods carry a `kubectl debug` ephemeral container (general, netadmin, sysadmin
or restricted profile).

Pods come in workloads, as in a real cluster: Deployments (ReplicaSet owner
`app-<hash>`, pods `app-<hash>-<suffix>`), StatefulSets (pods `name-0` to
`name-(n-1)`), DaemonSets (one pod per node) and Jobs (usually one pod),
about 4.5 pods per workload on average (1 to 40). The replicas of a
workload share its namespace, app, image, labels, annotations, containers
and securityContext profile (one pod template), and each has its own
name, uid, service-account volume, node, IPs and status; about 1% of pods
carry the debug container. The securityContext mix above is drawn per
workload, so it holds per pod on average but varies more between small
files (2k pods are only about 450 workloads).

Pod indices are cut into blocks of 256, and each block into workloads of
consecutive indices by a generator seeded with (--seed, block); a pod's
template comes from a generator seeded with its workload, the rest from one
seeded with (--seed, index). So a pod is found from its index alone: the
output is deterministic for a seed whatever --jobs is, a smaller file is a
prefix of a larger one (same seed and --namespaces), and pods are written
one at a time: 150k pods (about 1 GB) never sit in memory at once.

Python 3 standard library only.
"""

import argparse
import bisect
import functools
import hashlib
import json
import multiprocessing
import os
import random
import sys

# ---- fixed vocabulary ------------------------------------------------------

SYSTEM_NAMESPACES = [
    "kube-system", "kube-public", "kube-node-lease", "default", "monitoring",
    "ingress-nginx", "cert-manager", "istio-system", "logging", "argocd",
]
TEAMS = [
    "payments", "checkout", "catalog", "search", "identity", "billing",
    "shipping", "analytics", "ml", "platform", "notifications", "reviews",
    "inventory", "pricing", "fraud", "growth", "support", "data",
]
ENVS = ["prod", "staging", "dev", "qa", "perf", "sandbox"]

# name, image, ports, workload kind, host network
APPS = [
    ("api", "ghcr.io/acme/api", [8080, 9090], "Deployment", False),
    ("web", "ghcr.io/acme/web-frontend", [3000], "Deployment", False),
    ("worker", "ghcr.io/acme/worker", [9090], "Deployment", False),
    ("gateway", "ghcr.io/acme/gateway", [8443, 9901], "Deployment", False),
    ("redis", "docker.io/bitnami/redis", [6379], "StatefulSet", False),
    ("postgres", "docker.io/bitnami/postgresql", [5432], "StatefulSet", False),
    ("kafka", "docker.io/bitnami/kafka", [9092, 9093], "StatefulSet", False),
    ("nginx", "docker.io/library/nginx", [80, 443], "Deployment", False),
    ("grpc-server", "ghcr.io/acme/grpc-server", [50051], "Deployment", False),
    ("scheduler", "ghcr.io/acme/scheduler", [8081], "Deployment", False),
    ("consumer", "ghcr.io/acme/consumer", [8080], "Deployment", False),
    ("node-exporter", "quay.io/prometheus/node-exporter", [9100], "DaemonSet", True),
    ("fluent-bit", "cr.fluentbit.io/fluent/fluent-bit", [2020], "DaemonSet", False),
    ("kube-proxy", "registry.k8s.io/kube-proxy", [10249], "DaemonSet", True),
    ("coredns", "registry.k8s.io/coredns/coredns", [53, 9153], "Deployment", False),
    ("migrate", "ghcr.io/acme/migrate", [], "Job", False),
    ("report", "ghcr.io/acme/report-cron", [], "Job", False),
]
SIDECARS = [
    ("istio-proxy", "docker.io/istio/proxyv2:1.22.3", [15090]),
    ("cloud-sql-proxy", "gcr.io/cloud-sql-connectors/cloud-sql-proxy:2.11.0", [9801]),
    ("vault-agent", "hashicorp/vault:1.17.2", []),
    ("log-shipper", "cr.fluentbit.io/fluent/fluent-bit:3.1.4", [2020]),
]
ENV_NAMES = [
    "LOG_LEVEL", "PORT", "GOMAXPROCS", "JAVA_OPTS", "OTEL_EXPORTER_OTLP_ENDPOINT",
    "DATABASE_HOST", "REDIS_URL", "FEATURE_FLAGS", "REGION", "TZ",
    "HTTP_PROXY", "NO_PROXY", "SENTRY_DSN", "CACHE_TTL",
]
NAME_CHARS = "bcdfghjklmnpqrstvwxz2456789"  # k8s rand.String alphabet
HEX = "0123456789abcdef"

PROFILES = [  # (name, weight in percent)
    ("drop_all", 40), ("drop_net_raw", 10), ("none", 25), ("privileged", 5),
    ("add_net_raw", 5), ("drop_all_lower", 3), ("drop_cap_net_raw", 3),
    ("run_as_non_root_only", 3), ("windows", 3), ("add_all", 1),
    ("drop_net_raw_lower", 1), ("empty_capabilities", 1),
]
PROFILE_NAMES = [p for p, _ in PROFILES]
PROFILE_CUM = []
_acc = 0
for _p, _w in PROFILES:
    _acc += _w
    PROFILE_CUM.append(_acc)
assert _acc == 100

# ---- workloads -------------------------------------------------------------
#
# Pods come in workloads: the replicas of one controller share its pod
# template (namespace, app, image, containers, securityContext profile) and
# differ in name, uid, node, IPs and status. Pod indices are cut into fixed
# blocks of BLOCK consecutive indices, and each block into workloads of
# consecutive indices by a generator seeded with (--seed, block), so a pod
# finds its workload from its index alone (parallel generation by index
# range still works) and a workload never crosses a block (its last one is
# cut at the block's end).

BLOCK = 256

# Workload kinds, per mille of workloads, tuned so that pods split about
# 58% Deployment, 17% StatefulSet, 20% DaemonSet, 5% Job with a mean of
# about 4.5 pods per workload (tests/apiserver/kubeapi.py: about 6).
KINDS = [("Deployment", 495), ("StatefulSet", 261), ("DaemonSet", 51),
         ("Job", 193)]
# Pods per workload, (count, weight): a Deployment's replicas, a
# StatefulSet's ordinals 0..n-1, a DaemonSet's nodes, a Job's pods (usually
# one; a second or third is a retry or a parallel pod).
SIZES = {
    "Deployment": [(1, 10), (2, 18), (3, 22), (4, 10), (5, 10), (6, 8),
                   (8, 7), (10, 5), (12, 4), (16, 3), (24, 2), (40, 1)],
    "StatefulSet": [(1, 20), (2, 10), (3, 50), (5, 15), (7, 5)],
    "DaemonSet": [(n, 1) for n in range(4, 33)],
    "Job": [(1, 85), (2, 10), (3, 5)],
}

TS = "2025-06-%02dT%02d:%02d:%02dZ"


# ---- small helpers -----------------------------------------------------------

def rand_str(rng, n):
    return "".join(rng.choice(NAME_CHARS) for _ in range(n))


def rand_hex(rng, n):
    return "".join(rng.choice(HEX) for _ in range(n))


def uuid4(rng):
    h = "%032x" % rng.getrandbits(128)
    h = h[:12] + "4" + h[13:16] + "89ab"[rng.randrange(4)] + h[17:]
    return "%s-%s-%s-%s-%s" % (h[:8], h[8:12], h[12:16], h[16:20], h[20:])


def timestamp(rng):
    return TS % (rng.randint(1, 28), rng.randrange(24), rng.randrange(60),
                 rng.randrange(60))


def image_digest(image):
    """The same image has the same digest in every pod that runs it."""
    return hashlib.sha256(image.encode()).hexdigest()


def unique_suffix(index):
    """Five characters unique for every index below 27**5 (14.3M)."""
    n = (index * 7919 + 104729) % (27 ** 5)
    out = []
    for _ in range(5):
        n, d = divmod(n, 27)
        out.append(NAME_CHARS[d])
    return "".join(out)


# Levels of fieldsV1 kept below its root, a keyed list entry counting two
# (f:spec > f:containers > k:{"name":..} > f:env > k:{"name":..} > f:valueFrom),
# so the deepest keys sit 12 levels below the document's root.
FIELDS_DEPTH = 6


def fields_v1(obj, keyed, depth=FIELDS_DEPTH):
    """fieldsV1 for an object, as server-side apply records it.

    Below `depth` levels a field is recorded as a leaf ({}), which keeps
    pods near the 4-8 KB of the brief while still nesting several levels.
    """
    out = {}
    for k, v in obj.items():
        fk = "f:" + k
        if depth <= 1:
            out[fk] = {}
        elif isinstance(v, dict):
            sub = fields_v1(v, keyed, depth - 1) if v else {}
            if sub and depth < FIELDS_DEPTH:
                sub = dict(sub)
                sub["."] = {}
            out[fk] = sub
        elif isinstance(v, list) and v and isinstance(v[0], dict) and k in keyed:
            sub = {}
            for el in v:
                key = {kk: el[kk] for kk in keyed[k] if kk in el}
                entry = fields_v1(el, keyed, depth - 2)
                entry["."] = {}
                sub["k:" + json.dumps(key, separators=(",", ":"),
                                      sort_keys=True)] = entry
            out[fk] = sub
        else:
            out[fk] = {}
    return out


SPEC_KEYS = {
    "containers": ["name"], "initContainers": ["name"],
    "ephemeralContainers": ["name"], "env": ["name"],
    "ports": ["containerPort", "protocol"], "volumeMounts": ["mountPath"],
    "volumes": ["name"], "conditions": ["type"], "podIPs": ["ip"],
    "hostIPs": ["ip"],
}


# Spec fields the controller's managedFields entry records here.
MANAGED_SPEC = ("containers", "initContainers", "restartPolicy",
                "volumes")


# ---- security contexts ---------------------------------------------------------

def security_context(rng, profile):
    """A container securityContext for a profile; None means leave it out."""
    seccomp = {"type": "RuntimeDefault"}
    if profile == "drop_all":
        sc = {"allowPrivilegeEscalation": False,
              "capabilities": {"drop": ["ALL"]},
              "runAsNonRoot": True, "seccompProfile": seccomp}
        if rng.random() < 0.5:
            sc["readOnlyRootFilesystem"] = True
            sc["runAsUser"] = rng.choice([1000, 10001, 65532])
        if rng.random() < 0.1:
            sc["capabilities"]["add"] = ["NET_BIND_SERVICE"]
        return sc
    if profile == "drop_net_raw":
        drop = ["NET_RAW"]
        if rng.random() < 0.4:
            drop = ["NET_RAW", "SYS_ADMIN", "MKNOD"]
        return {"allowPrivilegeEscalation": False,
                "capabilities": {"drop": drop}}
    if profile == "none":
        return None
    if profile == "privileged":
        sc = {"privileged": True}
        if rng.random() < 0.3:
            sc["capabilities"] = {"drop": ["ALL"]}  # privileged beats drop
        if rng.random() < 0.5:
            sc["runAsUser"] = 0
        return sc
    if profile == "add_net_raw":
        caps = {"add": ["NET_RAW"]}
        if rng.random() < 0.5:
            caps = {"add": ["NET_ADMIN", "NET_RAW"], "drop": ["ALL"]}
        return {"capabilities": caps, "runAsUser": 0}
    if profile == "drop_all_lower":
        return {"allowPrivilegeEscalation": False,
                "capabilities": {"drop": [rng.choice(["all", "All"])]}}
    if profile == "drop_cap_net_raw":
        return {"capabilities": {"drop": [rng.choice(["CAP_NET_RAW",
                                                      "cap_net_raw"])]}}
    if profile == "run_as_non_root_only":
        return {"runAsNonRoot": True, "runAsUser": 1000}
    if profile == "windows":
        return {"windowsOptions": {"runAsUserName": "ContainerUser"}}
    if profile == "add_all":
        return {"capabilities": {"add": ["ALL"]}}
    if profile == "drop_net_raw_lower":
        return {"capabilities": {"drop": ["net_raw"]}}
    if profile == "empty_capabilities":
        return {"capabilities": rng.choice([{}, {"drop": None}, {"drop": []}])}
    raise ValueError(profile)


# ---- one container ------------------------------------------------------------

def probe(rng, port):
    p = {"failureThreshold": 3, "periodSeconds": rng.choice([5, 10, 15]),
         "successThreshold": 1, "timeoutSeconds": rng.choice([1, 3, 5])}
    kind = rng.randrange(3) if port else 2
    if kind == 0:
        p["httpGet"] = {"path": rng.choice(["/healthz", "/ready", "/livez",
                                            "/actuator/health"]),
                        "port": port, "scheme": "HTTP"}
    elif kind == 1:
        p["tcpSocket"] = {"port": port}
    else:
        p["exec"] = {"command": ["/bin/sh", "-c", "test -f /tmp/healthy"]}
    if rng.random() < 0.5:
        p["initialDelaySeconds"] = rng.choice([5, 10, 30])
    return p


def container(rng, name, image, ports, sc, sa_volume, lean=False):
    c = {"name": name, "image": image,
         "imagePullPolicy": rng.choice(["IfNotPresent", "Always"]),
         "terminationMessagePath": "/dev/termination-log",
         "terminationMessagePolicy": "File"}
    if rng.random() < 0.25:
        c["args"] = ["--config=/etc/%s/config.yaml" % name.split("-")[0],
                     "--log-format=json",
                     "--metrics-addr=:%d" % (ports[-1] if ports else 9090)]
    if rng.random() < 0.2:
        c["command"] = ["/usr/local/bin/" + name.split("-")[0]]
    env = []
    for ename in rng.sample(ENV_NAMES, rng.randint(0 if lean else 1,
                                                   1 if lean else 3)):
        if rng.random() < 0.2:
            env.append({"name": ename, "valueFrom": {"secretKeyRef": {
                "key": ename.lower(), "name": name + "-secrets"}}})
        else:
            env.append({"name": ename, "value": rand_str(rng, rng.randint(3, 24))})
    if not lean and rng.random() < 0.3:
        env.append({"name": "POD_NAME", "valueFrom": {"fieldRef": {
            "apiVersion": "v1", "fieldPath": "metadata.name"}}})
        env.append({"name": "POD_IP", "valueFrom": {"fieldRef": {
            "apiVersion": "v1", "fieldPath": "status.podIP"}}})
    if env:
        c["env"] = env
    if ports:
        c["ports"] = [{"containerPort": p, "name": ("http", "metrics", "grpc",
                                                    "admin")[i % 4],
                       "protocol": "UDP" if p == 53 and i == 0 else "TCP"}
                      for i, p in enumerate(ports)]
    cpu = rng.choice(["50m", "100m", "250m", "500m", "1"])
    mem = rng.choice(["64Mi", "128Mi", "256Mi", "512Mi", "1Gi", "2Gi"])
    c["resources"] = {"requests": {"cpu": cpu, "memory": mem}}
    if rng.random() < 0.7:
        c["resources"]["limits"] = {"cpu": rng.choice(["500m", "1", "2"]),
                                    "memory": mem}
    if not lean and ports and rng.random() < 0.5:
        c["livenessProbe"] = probe(rng, ports[0])
        c["readinessProbe"] = probe(rng, ports[0])
        if rng.random() < 0.2:
            c["startupProbe"] = probe(rng, ports[0])
    mounts = [{"mountPath": "/var/run/secrets/kubernetes.io/serviceaccount",
               "name": sa_volume, "readOnly": True}]
    if not lean:
        mounts.insert(0, {"mountPath": "/etc/" + name.split("-")[0],
                          "name": "config"})
        if rng.random() < 0.2:
            mounts.insert(0, {"mountPath": "/tmp", "name": "tmp"})
    c["volumeMounts"] = mounts
    if sc is not None:
        c["securityContext"] = sc
    return c


# ---- one pod ------------------------------------------------------------------

class Cluster:
    """Namespaces and their workloads, derived from the seed alone."""

    def __init__(self, seed, n_namespaces, n_pods):
        rng = random.Random("cluster:%d" % seed)
        self.n_pods = max(n_pods, 1)
        names = list(SYSTEM_NAMESPACES[:n_namespaces])
        i = 0
        while len(names) < n_namespaces:
            team = TEAMS[i % len(TEAMS)]
            env = ENVS[(i // len(TEAMS)) % len(ENVS)]
            gen = i // (len(TEAMS) * len(ENVS))
            names.append("%s-%s" % (team, env) + ("-%d" % gen if gen else ""))
            i += 1
        self.namespaces = names
        # Skewed sizes: a few big namespaces, a long tail of small ones.
        weights = [1.0 / (r + 1) ** 0.8 for r in range(len(names))]
        rng.shuffle(weights)
        for i, n in enumerate(names):  # these never run pods
            if n in ("kube-public", "kube-node-lease") and len(names) > 2:
                weights[i] = 0.0
        self.ns_uid = {n: uuid4(rng) for n in names}
        # The API server lists pods in key order, namespace by namespace
        # (kubectl -A prints them so too), and kubecapscan's workload table
        # relies on that: each namespace takes a run of pod indices in name
        # order, as long as its share of the weight.
        order = sorted(range(len(names)), key=lambda k: names[k])
        self.by_name = [names[k] for k in order]
        self.cum = []
        acc = 0.0
        for k in order:
            acc += weights[k]
            self.cum.append(acc)
        self.total = acc

    def namespace_at(self, index):
        """The namespace whose run of indices holds pod `index`."""
        x = (index + 0.5) / self.n_pods * self.total
        return self.by_name[min(bisect.bisect_left(self.cum, x),
                                len(self.by_name) - 1)]


def pick_profile(rng):
    return PROFILE_NAMES[bisect.bisect_right(PROFILE_CUM, rng.randrange(100))]


def _cumulative(pairs):
    values, cum, acc = [], [], 0
    for v, w in pairs:
        acc += w
        values.append(v)
        cum.append(acc)
    return values, cum


def _pick(rng, table):
    values, cum = table
    return values[bisect.bisect_right(cum, rng.random() * cum[-1])]


KIND_TABLE = _cumulative(KINDS)
SIZE_TABLES = {k: _cumulative(v) for k, v in SIZES.items()}
APPS_BY_KIND = {k: [i for i, a in enumerate(APPS) if a[3] == k]
                for k, _ in KINDS}


@functools.lru_cache(maxsize=8)
def block_workloads(seed, block):
    """A block's workloads: (first index, pod count, index in APPS) each,
    and the tuple of their first indices."""
    rng = random.Random("block:%d:%d" % (seed, block))
    out = []
    off = 0
    while off < BLOCK:
        kind = _pick(rng, KIND_TABLE)
        app = rng.choice(APPS_BY_KIND[kind])
        n = min(_pick(rng, SIZE_TABLES[kind]), BLOCK - off)
        out.append((block * BLOCK + off, n, app))
        off += n
    return tuple(out), tuple(w[0] for w in out)


def workload_of(seed, index):
    """(block, workload number in it, first index, pod count, app) of a pod."""
    block = index // BLOCK
    wls, firsts = block_workloads(seed, block)
    j = bisect.bisect_right(firsts, index) - 1
    return (block, j) + wls[j]


def make_pod(cluster, seed, index):
    """Pod `index`: its workload's template with its own identity and state.

    Two generators: `w`, seeded with the workload, draws everything in the
    pod template (so every replica draws the same values in the same
    order), and `rng`, seeded with (seed, index), whatever is the pod's own
    (uid, name suffix, service-account volume, node, IPs, status, debug
    container). No draw from `w` may depend on a draw from `rng`.
    """
    block, wnum, first, _, app_i = workload_of(seed, index)
    w = random.Random("workload:%d:%d:%d" % (seed, block, wnum))
    rng = random.Random("pod:%d:%d" % (seed, index))
    ns = cluster.namespace_at(first)
    w.random()  # the draw that once picked the namespace: the rest stay put
    app, image, ports, wkind, host_net = APPS[app_i]
    profile = pick_profile(w)
    windows = profile == "windows"
    tag = "%d.%d.%d" % (w.randint(1, 4), w.randint(0, 30), w.randint(0, 9))
    image = "%s:%s" % (image, tag)
    owner_uid = uuid4(w)
    rs_hash = rand_str(w, 10)
    uid = uuid4(rng)
    # unique_suffix() is unique per index: the first pod's index names the
    # workload, the pod's own index names the pod, so names never collide.
    wsuffix = unique_suffix(first)
    suffix = unique_suffix(index)
    if wkind == "Deployment":
        name = "%s-%s-%s" % (app, rs_hash, suffix)
        owner = {"apiVersion": "apps/v1", "kind": "ReplicaSet",
                 "name": "%s-%s" % (app, rs_hash)}
        labels = {"app.kubernetes.io/name": app, "pod-template-hash": rs_hash}
    elif wkind == "StatefulSet":
        sts = "%s-%s" % (app, wsuffix)
        name = "%s-%d" % (sts, index - first)
        owner = {"apiVersion": "apps/v1", "kind": "StatefulSet", "name": sts}
        labels = {"app.kubernetes.io/name": app,
                  "apps.kubernetes.io/pod-index": str(index - first),
                  "controller-revision-hash": "%s-%s" % (sts, rs_hash),
                  "statefulset.kubernetes.io/pod-name": name}
    elif wkind == "DaemonSet":
        ds = "%s-%s" % (app, wsuffix)
        name = "%s-%s" % (ds, suffix)
        owner = {"apiVersion": "apps/v1", "kind": "DaemonSet", "name": ds}
        labels = {"app.kubernetes.io/name": app,
                  "controller-revision-hash": rs_hash,
                  "pod-template-generation": str(w.randint(1, 9))}
    else:
        job = "%s-%d" % (app, 28900000 + first)
        name = "%s-%s" % (job, suffix)
        owner = {"apiVersion": "batch/v1", "kind": "Job", "name": job}
        labels = {"app.kubernetes.io/name": app, "job-name": job,
                  "batch.kubernetes.io/job-name": job,
                  "batch.kubernetes.io/controller-uid": owner_uid}
    owner.update({"uid": owner_uid, "controller": True,
                  "blockOwnerDeletion": True})
    labels["app.kubernetes.io/instance"] = "%s-%s" % (app, ns)
    if w.random() < 0.6:
        labels["app.kubernetes.io/part-of"] = ns.split("-")[0]
        labels["app.kubernetes.io/version"] = tag
    istio = not windows and not host_net and w.random() < 0.12
    if istio:
        labels["security.istio.io/tlsMode"] = "istio"
        labels["service.istio.io/canonical-name"] = app
    annotations = {"kubectl.kubernetes.io/restartedAt": timestamp(w)}
    if w.random() < 0.5:
        annotations["prometheus.io/scrape"] = "true"
        annotations["prometheus.io/port"] = str(ports[-1] if ports else 9090)
    if w.random() < 0.3:
        annotations["checksum/config"] = rand_hex(w, 64)
    if istio:
        annotations["sidecar.istio.io/status"] = json.dumps(
            {"initContainers": ["istio-init"], "containers": ["istio-proxy"],
             "volumes": ["istio-envoy", "istio-data", "istio-podinfo",
                         "istio-token", "istiod-ca-cert"],
             "revision": "default"}, separators=(",", ":"))

    # The service-account volume is added per pod by admission: its name
    # is the pod's own, in a template otherwise the same for every replica.
    sa_volume = "kube-api-access-" + rand_str(rng, 5)
    sc = security_context(w, profile)
    containers = [container(w, app, image, ports, sc, sa_volume)]
    if not windows and w.random() < 0.35:
        sname, simage, sports = w.choice(SIDECARS)
        if istio:
            sname, simage, sports = SIDECARS[0]
        ssc = {"allowPrivilegeEscalation": False,
               "capabilities": {"drop": ["ALL"]}, "privileged": False,
               "readOnlyRootFilesystem": True, "runAsNonRoot": True,
               "runAsUser": 1337} if sname == "istio-proxy" \
            else security_context(w, profile)
        containers.append(container(w, sname, simage, sports, ssc,
                                    sa_volume, lean=True))
    if windows and w.random() < 0.3:
        containers.append(container(w, "iis-exporter",
                                    "ghcr.io/acme/iis-exporter:1.0.2",
                                    [9182], security_context(w, profile),
                                    sa_volume, lean=True))

    init = []
    if istio:
        init.append(container(w, "istio-init", SIDECARS[0][1], [],
                              {"allowPrivilegeEscalation": False,
                               "capabilities": {"add": ["NET_ADMIN",
                                                        "NET_RAW"],
                                                "drop": ["ALL"]},
                               "privileged": False,
                               "readOnlyRootFilesystem": False,
                               "runAsGroup": 0, "runAsNonRoot": False,
                               "runAsUser": 0}, sa_volume, lean=True))
    elif w.random() < 0.15:
        isc = sc if windows or w.random() < 0.7 else None
        init.append(container(w, "init-" + w.choice(["db", "config",
                                                      "perms"]),
                              "docker.io/library/busybox:1.36", [], isc,
                              sa_volume, lean=True))

    eph = []
    if not windows and rng.random() < 0.01:
        dprof = rng.choice(["general", "netadmin", "sysadmin", "restricted"])
        esc = {"general": None,
               "netadmin": {"capabilities": {"add": ["NET_ADMIN", "NET_RAW"]}},
               "sysadmin": {"privileged": True},
               "restricted": {"allowPrivilegeEscalation": False,
                              "capabilities": {"drop": ["ALL"]},
                              "runAsNonRoot": True,
                              "seccompProfile": {"type": "RuntimeDefault"}},
               }[dprof]
        e = {"name": "debugger-" + rand_str(rng, 5),
             "image": "docker.io/library/busybox:1.36",
             "imagePullPolicy": "IfNotPresent", "stdin": True, "tty": True,
             "targetContainerName": app,
             "terminationMessagePath": "/dev/termination-log",
             "terminationMessagePolicy": "File"}
        if esc is not None:
            e["securityContext"] = esc
        eph.append(e)

    node = "ip-10-%d-%d-%d.ec2.internal" % (rng.randrange(256),
                                             rng.randrange(256),
                                             rng.randrange(256))
    spec = {"containers": containers, "dnsPolicy": "ClusterFirst",
            "enableServiceLinks": True, "nodeName": node,
            "preemptionPolicy": "PreemptLowerPriority", "priority": 0,
            "restartPolicy": "OnFailure" if wkind == "Job" else "Always",
            "schedulerName": "default-scheduler",
            "securityContext": {},
            "serviceAccount": app if w.random() < 0.6 else "default",
            "terminationGracePeriodSeconds": 30}
    spec["serviceAccountName"] = spec["serviceAccount"]
    if init:
        spec["initContainers"] = init
    if eph:
        spec["ephemeralContainers"] = eph
    if w.random() < 0.3:
        spec["securityContext"] = {"fsGroup": 2000, "runAsNonRoot": True,
                                   "seccompProfile": {"type": "RuntimeDefault"}}
    if windows:
        spec["os"] = {"name": "windows"}
        spec["nodeSelector"] = {"kubernetes.io/os": "windows"}
    elif w.random() < 0.2:
        spec["os"] = {"name": "linux"}
    if host_net:
        spec["hostNetwork"] = True
        spec["dnsPolicy"] = "ClusterFirstWithHostNet"
    tolerations = [
        {"effect": "NoExecute", "key": "node.kubernetes.io/not-ready",
         "operator": "Exists", "tolerationSeconds": 300},
        {"effect": "NoExecute", "key": "node.kubernetes.io/unreachable",
         "operator": "Exists", "tolerationSeconds": 300},
    ]
    if wkind == "DaemonSet":
        tolerations = [{"operator": "Exists"}] + tolerations
    elif w.random() < 0.2:
        tolerations.append({"effect": "NoSchedule", "key": "dedicated",
                            "operator": "Equal", "value": ns.split("-")[0]})
    spec["tolerations"] = tolerations
    if wkind in ("Deployment", "StatefulSet") and w.random() < 0.6:
        spec["affinity"] = {"podAntiAffinity": {
            "preferredDuringSchedulingIgnoredDuringExecution": [{
                "podAffinityTerm": {
                    "labelSelector": {"matchExpressions": [{
                        "key": "app.kubernetes.io/name", "operator": "In",
                        "values": [app]}]},
                    "topologyKey": "kubernetes.io/hostname"},
                "weight": 100}]}}
        if w.random() < 0.3:
            spec["affinity"]["nodeAffinity"] = {
                "requiredDuringSchedulingIgnoredDuringExecution": {
                    "nodeSelectorTerms": [{"matchExpressions": [{
                        "key": "topology.kubernetes.io/zone", "operator": "In",
                        "values": ["us-east-1a", "us-east-1b"]}]}]}}
    volumes = [{"configMap": {"defaultMode": 420, "name": app + "-config"},
                "name": "config"},
               {"emptyDir": {}, "name": "tmp"},
               {"name": sa_volume, "projected": {"defaultMode": 420, "sources": [
                   {"serviceAccountToken": {"expirationSeconds": 3607,
                                            "path": "token"}},
                   {"configMap": {"items": [{"key": "ca.crt", "path": "ca.crt"}],
                                  "name": "kube-root-ca.crt"}},
                   {"downwardAPI": {"items": [{"fieldRef": {
                       "apiVersion": "v1", "fieldPath": "metadata.namespace"},
                       "path": "namespace"}]}}]}}]
    spec["volumes"] = volumes

    started = timestamp(rng)
    pod_ip = "10.%d.%d.%d" % (rng.randrange(256), rng.randrange(256),
                              rng.randrange(1, 255))
    host_ip = "10.0.%d.%d" % (rng.randrange(256), rng.randrange(1, 255))
    conds = [{"lastProbeTime": None, "lastTransitionTime": started,
              "status": "True", "type": t}
             for t in ("PodReadyToStartContainers", "Initialized", "Ready",
                       "ContainersReady", "PodScheduled")]

    def cstatus(c, running=True):
        s = {"containerID": "containerd://" + rand_hex(rng, 64),
             "image": c["image"],
             "imageID": (c["image"].split(":")[0] + "@sha256:" +
                         image_digest(c["image"])),
             "lastState": {}, "name": c["name"], "ready": running,
             "restartCount": rng.choice([0, 0, 0, 1, 2, 7]),
             "started": running}
        if running:
            s["state"] = {"running": {"startedAt": started}}
        else:
            s["state"] = {"terminated": {
                "containerID": s["containerID"], "exitCode": 0,
                "finishedAt": started, "reason": "Completed",
                "startedAt": started}}
        return s

    status = {"conditions": conds,
              "containerStatuses": [cstatus(c) for c in containers],
              "hostIP": host_ip, "hostIPs": [{"ip": host_ip}],
              "phase": "Running", "podIP": pod_ip, "podIPs": [{"ip": pod_ip}],
              "qosClass": "Burstable", "startTime": started}
    if init:
        status["initContainerStatuses"] = [cstatus(c, False) for c in init]
    if eph:
        status["ephemeralContainerStatuses"] = [cstatus(c) for c in eph]

    meta = {"annotations": annotations, "creationTimestamp": started,
            "labels": labels, "name": name, "namespace": ns,
            "ownerReferences": [owner],
            "resourceVersion": str(rng.randint(10 ** 6, 10 ** 9)), "uid": uid}
    if wkind == "Deployment":
        meta["generateName"] = "%s-%s-" % (app, rs_hash)
    managed_spec = {"metadata": {k: meta[k] for k in ("labels",
                                                      "ownerReferences")},
                    "spec": {k: spec[k] for k in MANAGED_SPEC if k in spec}}
    managed_status = {"status": {k: status[k] for k in ("conditions", "hostIP",
                                                        "phase", "podIP",
                                                        "podIPs", "startTime")}}
    managed_status["status"]["containerStatuses"] = {}
    meta["managedFields"] = [
        {"apiVersion": "v1", "fieldsType": "FieldsV1",
         "fieldsV1": fields_v1(managed_spec, SPEC_KEYS),
         "manager": "kube-controller-manager", "operation": "Update",
         "time": started},
        {"apiVersion": "v1", "fieldsType": "FieldsV1",
         "fieldsV1": fields_v1(managed_status, SPEC_KEYS),
         "manager": "kubelet", "operation": "Update", "subresource": "status",
         "time": started},
    ]
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec,
            "status": status}


# ---- output -------------------------------------------------------------------

def encode(item, indent):
    """One list item as kubectl prints it (sorted keys, nested two levels)."""
    if indent:
        text = json.dumps(item, indent=indent, sort_keys=True,
                          ensure_ascii=False)
        pad = " " * (2 * indent)
        return pad + text.replace("\n", "\n" + pad)
    return json.dumps(item, separators=(",", ":"), sort_keys=True,
                      ensure_ascii=False)


class Writer:
    """Writes a v1 List item by item."""

    def __init__(self, f, indent):
        self.f = f
        self.indent = indent
        self.n = 0

    def begin(self):
        if self.indent:
            self.f.write('{\n%s"apiVersion": "v1",\n%s"items": [' %
                         (" " * self.indent, " " * self.indent))
        else:
            self.f.write('{"apiVersion":"v1","items":[')

    def item(self, text):
        if self.indent:
            self.f.write(",\n" if self.n else "\n")
        elif self.n:
            self.f.write(",")
        self.f.write(text)
        self.n += 1

    def end(self):
        if self.indent:
            i = " " * self.indent
            close = ("\n" + i + "]") if self.n else "]"
            self.f.write('%s,\n%s"kind": "List",\n%s"metadata": {\n%s%s'
                         '"resourceVersion": ""\n%s}\n}\n' %
                         (close, i, i, i, i, i))
        else:
            self.f.write('],"kind":"List","metadata":{"resourceVersion":""}}\n')


_WORKER = {}


def _init_worker(seed, n_namespaces, n_pods, indent):
    _WORKER["cluster"] = Cluster(seed, n_namespaces, n_pods)
    _WORKER["seed"] = seed
    _WORKER["indent"] = indent


def _gen_range(bounds):
    lo, hi = bounds
    c, s, ind = _WORKER["cluster"], _WORKER["seed"], _WORKER["indent"]
    return [(encode(p, ind), p["spec"].get("os", {}).get("name"))
            for p in (make_pod(c, s, i) for i in range(lo, hi))]


def make_namespace(cluster, seed, name):
    rng = random.Random("ns:%d:%s" % (seed, name))
    labels = {"kubernetes.io/metadata.name": name}
    r = rng.random()
    version = rng.choice(["latest", "latest", "v1.29", "v1.25", "v1.21", None])
    if r < 0.30:
        labels["pod-security.kubernetes.io/enforce"] = "restricted"
        if version:
            labels["pod-security.kubernetes.io/enforce-version"] = version
    elif r < 0.50:
        labels["pod-security.kubernetes.io/enforce"] = "baseline"
    elif r < 0.60:
        labels["pod-security.kubernetes.io/enforce"] = "privileged"
    if rng.random() < 0.3:
        labels["pod-security.kubernetes.io/warn"] = "restricted"
        labels["pod-security.kubernetes.io/audit"] = "restricted"
    if rng.random() < 0.3:
        labels["istio-injection"] = "enabled"
    ts = timestamp(rng)
    return {"apiVersion": "v1", "kind": "Namespace",
            "metadata": {"creationTimestamp": ts, "labels": labels,
                         "managedFields": [{
                             "apiVersion": "v1", "fieldsType": "FieldsV1",
                             "fieldsV1": fields_v1({"metadata": {
                                 "labels": labels}}, {}),
                             "manager": "kubectl-create", "operation": "Update",
                             "time": ts}],
                         "name": name,
                         "resourceVersion": str(rng.randint(100, 10 ** 6)),
                         "uid": cluster.ns_uid[name]},
            "spec": {"finalizers": ["kubernetes"]},
            "status": {"phase": "Active"}}


def open_out(path):
    if path == "-":
        return sys.stdout
    return open(path, "w", encoding="utf-8", buffering=1 << 20)


def main(argv=None):
    ap = argparse.ArgumentParser(
        description="Write a realistic `kubectl get pods -A -o json` list.")
    ap.add_argument("-n", "--pods", type=int, default=1000,
                    help="number of pods (default 1000)")
    ap.add_argument("-m", "--namespaces", type=int, default=0,
                    help="number of namespaces (default: pods/100, 10..2000)")
    ap.add_argument("-s", "--seed", type=int, default=1,
                    help="random seed; same seed, same bytes (default 1)")
    ap.add_argument("-o", "--output", default="-",
                    help="pod list file, '-' for stdout (default)")
    ap.add_argument("--namespaces-out", metavar="FILE",
                    help="also write the namespaces as `kubectl get ns -o json`")
    ap.add_argument("-f", "--format", choices=("kubectl", "compact"),
                    default="kubectl",
                    help="kubectl: indented by 4 as `kubectl get -o json` "
                    "prints it (default; ~3x the bytes); compact: no "
                    "whitespace, as the API server sends it")
    ap.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 1,
                    help="worker processes (output does not depend on it)")
    args = ap.parse_args(argv)
    if args.pods < 0 or args.pods >= 27 ** 5:
        ap.error("--pods must be between 0 and %d" % (27 ** 5 - 1))
    m = args.namespaces or max(10, min(2000, args.pods // 100))
    indent = 0 if args.format == "compact" else 4
    cluster = Cluster(args.seed, m, args.pods)

    if args.namespaces_out:
        with open_out(args.namespaces_out) as f:
            w = Writer(f, indent)
            w.begin()
            for name in cluster.namespaces:
                w.item(encode(make_namespace(cluster, args.seed, name), indent))
            w.end()

    batch = 200
    ranges = [(lo, min(lo + batch, args.pods))
              for lo in range(0, args.pods, batch)]
    n_win = 0
    f = open_out(args.output)
    try:
        w = Writer(f, indent)
        w.begin()
        if args.jobs > 1 and len(ranges) > 1:
            ctx = multiprocessing.get_context("fork")
            with ctx.Pool(args.jobs, _init_worker,
                          (args.seed, m, args.pods, indent)) as pool:
                # A bounded window of batches at a time, in order, so
                # memory stays flat however many pods are asked for.
                win = 4 * args.jobs
                for g in range(0, len(ranges), win):
                    for chunk in pool.map(_gen_range, ranges[g:g + win], 1):
                        for text, osname in chunk:
                            w.item(text)
                            n_win += osname == "windows"
        else:
            _init_worker(args.seed, m, args.pods, indent)
            for r in ranges:
                for text, osname in _gen_range(r):
                    w.item(text)
                    n_win += osname == "windows"
        w.end()
    finally:
        if f is not sys.stdout:
            f.close()
        else:
            f.flush()
    print("gen_pods: %d pods (%d Windows) in %d namespaces, seed %d -> %s" %
          (args.pods, n_win, m, args.seed, args.output), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
