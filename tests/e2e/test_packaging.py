"""Packaging: the in-cluster manifests (packaging/kubernetes/), the container
recipe (packaging/container/Containerfile), the bash completion, the licence
and the Debian package (packaging/install.cmake, `cpack -G DEB`).

Reading the manifests. They are YAML, which the standard library cannot
parse, and kubecapscan does not read YAML objects. So they are read by
  * kubectl, when it is on PATH: `kubectl apply --dry-run=client -o json`
    against the test API server, which also checks that every kind maps to
    a served resource of the right scope (kubectl finds it by discovery).
    The test server serves no OpenAPI, so kubectl's schema validation is off
    (--validate=false); the field names that matter are checked below
    against the Kubernetes API's own field lists instead;
  * PyYAML (python3-yaml), when it is installed;
and when both are there, they must read the same objects. With neither, the
manifest tests are skipped and say why.

Tools that may be missing (kubectl, cpack, dpkg-deb, dpkg, ldd, readelf,
pkg-config) make the tests that need them skip, printing the reason.
"""
import copy
import glob
import gzip
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile
import unittest

import kcs
from apiserver import Server, DEMO

K8S_DIR = kcs.path("packaging", "kubernetes")
OPTIONAL_DIR = os.path.join(K8S_DIR, "optional")
CONTAINERFILE = kcs.path("packaging", "container", "Containerfile")
COMPLETION = kcs.path("packaging", "completion", "kubecapscan.bash")
PLUGIN_COMPLETION = kcs.path("packaging", "completion", "kubectl_complete-capscan")
NS = "kubecapscan"

# What `kubectl apply -f packaging/kubernetes/` creates, and the optional extra.
WANT_MAIN = {("Namespace", None, NS), ("ServiceAccount", NS, NS),
             ("ClusterRole", None, NS), ("ClusterRoleBinding", None, NS),
             ("CronJob", NS, NS), ("Job", NS, "kubecapscan-once")}
WANT_OPTIONAL = {("NetworkPolicy", NS, "kubecapscan-egress"),
                 ("ClusterRole", None, "kubecapscan-probe"),
                 ("ClusterRoleBinding", None, "kubecapscan-probe"),
                 ("ClusterRole", None, "kubecapscan-runtime"),
                 ("ClusterRoleBinding", None, "kubecapscan-runtime")}

# Scope of each kind the manifests use, for the test server's discovery.
SCOPES = {("v1", "Namespace"): False, ("v1", "ServiceAccount"): True,
          ("rbac.authorization.k8s.io/v1", "ClusterRole"): False,
          ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"): False,
          ("batch/v1", "CronJob"): True, ("batch/v1", "Job"): True,
          ("networking.k8s.io/v1", "NetworkPolicy"): True}

# Field names of the Kubernetes API (v1.32) where a typo would silently
# weaken the job: the server drops unknown fields under non-strict
# validation, and kubectl here cannot validate (no OpenAPI).
KNOWN_FIELDS = {
    "CronJobSpec": {"concurrencyPolicy", "failedJobsHistoryLimit", "jobTemplate", "schedule",
                    "startingDeadlineSeconds", "successfulJobsHistoryLimit", "suspend", "timeZone"},
    "JobSpec": {"activeDeadlineSeconds", "backoffLimit", "backoffLimitPerIndex", "completionMode",
                "completions", "managedBy", "manualSelector", "maxFailedIndexes", "parallelism",
                "podFailurePolicy", "podReplacementPolicy", "selector", "successPolicy", "suspend",
                "template", "ttlSecondsAfterFinished"},
    "PodSpec": {"activeDeadlineSeconds", "affinity", "automountServiceAccountToken", "containers",
                "dnsConfig", "dnsPolicy", "enableServiceLinks", "ephemeralContainers", "hostAliases",
                "hostIPC", "hostNetwork", "hostPID", "hostUsers", "hostname", "imagePullSecrets",
                "initContainers", "nodeName", "nodeSelector", "os", "overhead", "preemptionPolicy",
                "priority", "priorityClassName", "readinessGates", "resourceClaims", "resources",
                "restartPolicy", "runtimeClassName", "schedulerName", "schedulingGates",
                "securityContext", "serviceAccount", "serviceAccountName", "setHostnameAsFQDN",
                "shareProcessNamespace", "subdomain", "terminationGracePeriodSeconds", "tolerations",
                "topologySpreadConstraints", "volumes"},
    "PodSecurityContext": {"appArmorProfile", "fsGroup", "fsGroupChangePolicy", "runAsGroup",
                           "runAsNonRoot", "runAsUser", "seLinuxChangePolicy", "seLinuxOptions",
                           "seccompProfile", "supplementalGroups", "supplementalGroupsPolicy",
                           "sysctls", "windowsOptions"},
    "Container": {"args", "command", "env", "envFrom", "image", "imagePullPolicy", "lifecycle",
                  "livenessProbe", "name", "ports", "readinessProbe", "resizePolicy", "resources",
                  "restartPolicy", "securityContext", "startupProbe", "stdin", "stdinOnce",
                  "terminationMessagePath", "terminationMessagePolicy", "tty", "volumeDevices",
                  "volumeMounts", "workingDir"},
    "SecurityContext": {"allowPrivilegeEscalation", "appArmorProfile", "capabilities", "privileged",
                        "procMount", "readOnlyRootFilesystem", "runAsGroup", "runAsNonRoot",
                        "runAsUser", "seLinuxOptions", "seccompProfile", "windowsOptions"},
    "Capabilities": {"add", "drop"},
    "ResourceRequirements": {"claims", "limits", "requests"},
    "VolumeMount": {"mountPath", "mountPropagation", "name", "readOnly", "recursiveReadOnly",
                    "subPath", "subPathExpr"},
}

# Pod Security Standards, restricted profile (latest), as the
# pod-security-admission library checks it.
RESTRICTED_VOLUME_TYPES = {"configMap", "csi", "downwardAPI", "emptyDir", "ephemeral",
                           "persistentVolumeClaim", "projected", "secret"}
SAFE_SYSCTLS = {"kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range",
                "net.ipv4.ip_unprivileged_port_start", "net.ipv4.tcp_syncookies",
                "net.ipv4.ping_group_range", "net.ipv4.ip_local_reserved_ports",
                "net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout",
                "net.ipv4.tcp_keepalive_intvl", "net.ipv4.tcp_keepalive_probes"}
SELINUX_TYPES = {"", "container_t", "container_init_t", "container_kvm_t", "container_engine_t"}


def skip(test, reason):
    print("\n%s: skipped: %s" % (test.id(), reason), file=sys.stderr)
    test.skipTest(reason)


def sh(args, **kw):
    kw.setdefault("capture_output", True)
    kw.setdefault("text", True)
    kw.setdefault("timeout", 300)
    return subprocess.run(args, **kw)


# ---------------------------------------------------------------------------
# Reading the manifests
# ---------------------------------------------------------------------------

def manifest_files(optional=True):
    files = sorted(glob.glob(os.path.join(K8S_DIR, "*.yaml")))
    if optional:
        files += sorted(glob.glob(os.path.join(OPTIONAL_DIR, "*.yaml")))
    return files


def top_level_kinds(files):
    """(apiVersion, kind) of each document, from its unindented lines: only
    to give the test server the resource types; kubectl does the parsing."""
    out = set()
    for fn in files:
        with open(fn) as f:
            for doc in re.split(r"(?m)^---\s*$", f.read()):
                api = re.search(r"(?m)^apiVersion:\s*(\S+)\s*$", doc)
                kind = re.search(r"(?m)^kind:\s*(\S+)\s*$", doc)
                if api and kind:
                    out.add((api.group(1).strip("\"'"), kind.group(1).strip("\"'")))
    return out


def read_with_kubectl(files):
    """Objects as `kubectl apply --dry-run=client` would send them, or a
    reason why kubectl cannot be used."""
    exe = shutil.which("kubectl")
    if not exe:
        return None, "kubectl is not on PATH"
    data = tempfile.mkdtemp(prefix="kcs-pkg-data-")
    try:
        for fn in ("namespaces.json", "pods.json"):
            shutil.copy(os.path.join(DEMO, fn), data)
        for api, kind in sorted(top_level_kinds(files)):
            if kind in ("Namespace", "Pod"):
                continue
            if (api, kind) not in SCOPES:
                raise AssertionError("%s %s: add its scope to SCOPES in %s"
                                     % (api, kind, __file__))
            items = []
            if SCOPES[(api, kind)]:
                # the test server learns that a kind is namespaced from an item
                items = [{"metadata": {"name": "kcs-test-placeholder", "namespace": "default"}}]
            with open(os.path.join(data, kind.lower() + "list.json"), "w") as f:
                json.dump({"apiVersion": api, "kind": kind + "List",
                           "metadata": {"resourceVersion": "1"}, "items": items}, f)
        # v1.32.x: gcloud's kubectl dispatcher, if that is what is installed,
        # then runs the kubectl 1.32 it bundles
        with Server("--git-version", "v1.32.4", data=data) as srv:
            home = os.path.join(srv.dir, "home")
            os.makedirs(home)
            args = [exe, "--kubeconfig", srv.file("kubeconfig"), "--cache-dir",
                    os.path.join(home, "cache"), "apply", "--dry-run=client",
                    "--validate=false", "-o", "json"]
            for fn in files:
                args += ["-f", fn]
            env = dict(os.environ, HOME=home)
            env.pop("KUBECONFIG", None)
            p = sh(args, env=env, timeout=120)
            if p.returncode != 0:
                raise AssertionError("kubectl apply --dry-run=client failed (%d):\n%s"
                                     % (p.returncode, p.stderr))
            doc = json.loads(p.stdout)
    finally:
        shutil.rmtree(data, ignore_errors=True)
    objs = doc["items"] if doc.get("kind") == "List" else [doc]
    for o in objs:  # kubectl adds the last-applied annotation; drop it
        ann = o.get("metadata", {}).get("annotations", {})
        ann.pop("kubectl.kubernetes.io/last-applied-configuration", None)
        if not ann:
            o["metadata"].pop("annotations", None)
    return objs, None


def read_with_pyyaml(files):
    try:
        import yaml
    except ImportError:
        return None, "PyYAML (python3-yaml) is not installed"
    objs = []
    for fn in files:
        with open(fn) as f:
            objs += [d for d in yaml.safe_load_all(f) if d is not None]
    return objs, None


_CACHE = {}


def manifests(test, optional=True):
    """The parsed objects, read once per module run; skips the test when
    neither kubectl nor PyYAML is available."""
    key = "all" if optional else "main"
    if key not in _CACHE:
        files = manifest_files(optional)
        k, kwhy = read_with_kubectl(files)
        y, ywhy = read_with_pyyaml(files)
        _CACHE[key] = (k, kwhy, y, ywhy)
    k, kwhy, y, ywhy = _CACHE[key]
    if k is None and y is None:
        skip(test, "cannot read YAML: %s, and %s" % (kwhy, ywhy))
    return k if k is not None else y


def find(objs, kind, name=None):
    hits = [o for o in objs if o["kind"] == kind and (name is None or o["metadata"]["name"] == name)]
    if len(hits) != 1:
        raise AssertionError("want exactly one %s%s in %s, found %d" % (
            kind, " " + name if name else "", K8S_DIR, len(hits)))
    return hits[0]


def pod_templates(objs):
    """{"CronJob": template, "Job": template}"""
    cj = find(objs, "CronJob")
    job = find(objs, "Job")
    return {"CronJob": cj["spec"]["jobTemplate"]["spec"]["template"],
            "Job": job["spec"]["template"]}


def as_pod(kind, template):
    """Wrap a pod template as the Pod its controller would create."""
    md = copy.deepcopy(template.get("metadata", {}))
    md.update({"name": "kubecapscan-" + kind.lower(), "namespace": NS})
    return {"apiVersion": "v1", "kind": "Pod", "metadata": md,
            "spec": copy.deepcopy(template["spec"])}


def unknown_fields(obj, schema, where):
    return ["%s.%s" % (where, k) for k in obj if k not in KNOWN_FIELDS[schema]]


def all_containers(spec):
    for key in ("initContainers", "containers", "ephemeralContainers"):
        for c in spec.get(key) or []:
            yield key, c


# ---------------------------------------------------------------------------
# Pod Security "restricted", and what this project adds to it
# ---------------------------------------------------------------------------

def restricted_violations(spec):
    """Violations of Pod Security Standards "restricted" (latest) by a pod
    spec (annotations aside: the templates carry none)."""
    v = []
    psc = spec.get("securityContext") or {}
    for k in ("hostNetwork", "hostPID", "hostIPC"):
        if spec.get(k):
            v.append("%s: true" % k)
    if (psc.get("windowsOptions") or {}).get("hostProcess"):
        v.append("pod windowsOptions.hostProcess")
    for vol in spec.get("volumes") or []:
        types = set(vol) - {"name"}
        if not types <= RESTRICTED_VOLUME_TYPES:
            v.append("volume %s: type %s" % (vol.get("name"), sorted(types - RESTRICTED_VOLUME_TYPES)))
    for s in psc.get("sysctls") or []:
        if s.get("name") not in SAFE_SYSCTLS:
            v.append("sysctl %s" % s.get("name"))

    def bad_selinux(o, where):
        se = o.get("seLinuxOptions") or {}
        if se.get("type", "") not in SELINUX_TYPES or se.get("user") or se.get("role"):
            v.append("%s seLinuxOptions" % where)

    def bad_apparmor(o, where):
        aa = o.get("appArmorProfile")
        if aa and aa.get("type") not in ("RuntimeDefault", "Localhost"):
            v.append("%s appArmorProfile %s" % (where, aa.get("type")))

    bad_selinux(psc, "pod")
    bad_apparmor(psc, "pod")
    pod_seccomp = (psc.get("seccompProfile") or {}).get("type")
    if pod_seccomp is not None and pod_seccomp not in ("RuntimeDefault", "Localhost"):
        v.append("pod seccompProfile %s" % pod_seccomp)
    if psc.get("runAsUser") == 0:
        v.append("pod runAsUser 0")
    for key, c in all_containers(spec):
        w = "%s[%s]" % (key, c.get("name"))
        sc = c.get("securityContext") or {}
        if sc.get("privileged"):
            v.append(w + " privileged")
        if (sc.get("windowsOptions") or {}).get("hostProcess"):
            v.append(w + " windowsOptions.hostProcess")
        caps = sc.get("capabilities") or {}
        if set(caps.get("add") or []) - {"NET_BIND_SERVICE"}:
            v.append(w + " capabilities.add %s" % caps.get("add"))
        if "ALL" not in (caps.get("drop") or []):
            v.append(w + " capabilities.drop lacks ALL")
        for p in c.get("ports") or []:
            if p.get("hostPort"):
                v.append(w + " hostPort")
        if sc.get("procMount", "Default") != "Default":
            v.append(w + " procMount")
        if sc.get("allowPrivilegeEscalation") is not False:
            v.append(w + " allowPrivilegeEscalation not false")
        nonroot = sc.get("runAsNonRoot", psc.get("runAsNonRoot"))
        if nonroot is not True:
            v.append(w + " runAsNonRoot not true")
        if sc.get("runAsUser") == 0:
            v.append(w + " runAsUser 0")
        seccomp = (sc.get("seccompProfile") or {}).get("type", pod_seccomp)
        if seccomp not in ("RuntimeDefault", "Localhost"):
            v.append(w + " seccompProfile %s" % seccomp)
        bad_selinux(sc, w)
        bad_apparmor(sc, w)
    return v


def project_violations(spec):
    """What kubecapscan's own job asks beyond "restricted"."""
    v = []
    psc = spec.get("securityContext") or {}
    for vol in spec.get("volumes") or []:
        if "hostPath" in vol:
            v.append("volume %s: hostPath" % vol.get("name"))
    tmp_vols = {vol["name"] for vol in spec.get("volumes") or [] if "emptyDir" in vol}
    for key, c in all_containers(spec):
        w = "%s[%s]" % (key, c.get("name"))
        sc = c.get("securityContext") or {}
        if sc.get("readOnlyRootFilesystem") is not True:
            v.append(w + " readOnlyRootFilesystem not true")
        for f in ("runAsUser", "runAsGroup"):
            val = sc.get(f, psc.get(f))
            if not isinstance(val, int) or isinstance(val, bool) or val <= 0:
                v.append(w + " %s not a numeric non-root id: %r" % (f, val))
        res = c.get("resources") or {}
        for part in ("requests", "limits"):
            for r in ("cpu", "memory"):
                if r not in (res.get(part) or {}):
                    v.append(w + " resources.%s.%s missing" % (part, r))
        mounts = {m.get("mountPath"): m.get("name") for m in c.get("volumeMounts") or []}
        if mounts.get("/tmp") not in tmp_vols:
            v.append(w + " /tmp is not an emptyDir (the scan spools there)")
    return v


# ---------------------------------------------------------------------------
# RBAC: request -> attributes, as kube-apiserver's RequestInfoFactory does
# ---------------------------------------------------------------------------

# Allowed to every authenticated user by the default ClusterRoles
# system:basic-user, system:discovery and system:public-info-viewer.
EVERYONE_RESOURCES = {("create", "authorization.k8s.io", "selfsubjectaccessreviews"),
                      ("create", "authorization.k8s.io", "selfsubjectrulesreviews"),
                      ("create", "authentication.k8s.io", "selfsubjectreviews")}
EVERYONE_PATHS = re.compile(r"^/(version/?|healthz|livez|readyz|api|apis|openapi)(/.*)?$")


def request_attributes(method, path, query):
    """(verb, group, resource), or None for a non-resource request."""
    parts = [p for p in path.split("/") if p]
    if not parts or parts[0] not in ("api", "apis"):
        return None
    if parts[0] == "api":
        group, rest = "", parts[2:]
    else:
        if len(parts) < 3:
            return None
        group, rest = parts[1], parts[3:]
    if not rest:
        return None  # /api/v1, /apis/G/V: discovery
    if rest[0] == "namespaces" and len(rest) >= 3:
        rest = rest[2:]  # namespaced resource
    resource = rest[0]
    named = len(rest) >= 2
    if len(rest) >= 3:
        resource += "/" + rest[2]
    verbs = {"POST": "create", "PUT": "update", "PATCH": "patch",
             "DELETE": "delete" if named else "deletecollection"}
    if method == "GET":
        verb = "get" if named else ("watch" if re.search(r"(^|&)watch=(true|1)", query) else "list")
    else:
        verb = verbs.get(method, method.lower())
    return verb, group, resource


def granted(role):
    out = set()
    for r in role.get("rules", []):
        for g in r.get("apiGroups", []):
            for res in r.get("resources", []):
                for verb in r.get("verbs", []):
                    out.add((verb, g, res))
    return out


def in_cluster_env(srv, user, sa_namespace=NS):
    """The environment a pod of the CronJob gets, pointed at the test server:
    KUBERNETES_SERVICE_HOST/PORT and the service-account files."""
    sa = os.path.join(srv.dir, "serviceaccount")
    os.makedirs(sa, exist_ok=True)
    srv.write("serviceaccount/token", srv.token(user))
    srv.write("serviceaccount/namespace", sa_namespace)
    shutil.copy(srv.file("ca.crt"), os.path.join(sa, "ca.crt"))
    home = os.path.join(srv.dir, "pod-home")
    os.makedirs(home, exist_ok=True)
    return {"KUBECONFIG": "", "HOME": home, "KUBERNETES_SERVICE_HOST": "127.0.0.1",
            "KUBERNETES_SERVICE_PORT": str(srv.port),
            "KUBECAPSCAN_SERVICEACCOUNT_DIR": sa}


def container_argv(template):
    c = template["spec"]["containers"][0]
    return list(c.get("command") or []), list(c.get("args") or [])


# ---------------------------------------------------------------------------
# Containerfile
# ---------------------------------------------------------------------------

def containerfile_stages(path=CONTAINERFILE):
    """[(from line, [(INSTRUCTION, value), ...]), ...] with continuation lines
    joined and comments dropped."""
    with open(path) as f:
        text = f.read()
    lines, cur = [], ""
    for raw in text.splitlines():
        s = raw.strip()
        if s.startswith("#") or (not s and not cur):
            continue
        if s.endswith("\\"):
            cur += s[:-1] + " "
            continue
        cur += s
        lines.append(cur)
        cur = ""
    if cur:
        lines.append(cur)
    stages = []
    for ln in lines:
        ins, _, val = ln.partition(" ")
        ins = ins.upper()
        if ins == "FROM":
            stages.append((val.strip(), []))
        elif stages:
            stages[-1][1].append((ins, val.strip()))
        elif ins not in ("ARG",):
            raise AssertionError("%s: %s before the first FROM" % (path, ins))
    return stages


def apt_installed(stage):
    """Packages named on the stage's `apt-get install` lines."""
    pkgs = []
    for ins, val in stage[1]:
        if ins != "RUN":
            continue
        for seg in re.split(r"&&|\|\||;|\bthen\b|\belse\b", val):
            toks = seg.split()
            for i in range(len(toks) - 1):
                if toks[i] in ("apt-get", "apt") and "install" in toks[i + 1:]:
                    j = toks.index("install", i + 1)
                    pkgs += [t for t in toks[j + 1:] if not t.startswith("-")]
                    break
    return pkgs


def dpkg_owner(path):
    """The package holding a file, trying the /usr-merged spellings."""
    cands = [path, os.path.realpath(path)]
    for c in list(cands):
        cands.append(c[4:] if c.startswith("/usr/") else "/usr" + c)
    for c in cands:
        p = sh(["dpkg-query", "-S", c])
        if p.returncode == 0:
            first = p.stdout.splitlines()[0]
            if first.startswith("diversion"):
                continue
            return first.rsplit(": ", 1)[0].split(",")[0].strip().split(":")[0]
    return None


def dependency_closure(pkgs):
    """Installed packages the given ones need, through Depends/Pre-Depends."""
    seen, todo = set(), list(pkgs)
    while todo:
        pkg = todo.pop()
        if pkg in seen:
            continue
        p = sh(["dpkg-query", "-W", "-f", "${db:Status-Abbrev}|${Depends}, ${Pre-Depends}", pkg])
        if p.returncode != 0 or not p.stdout.startswith("ii"):
            continue
        seen.add(pkg)
        for alt in p.stdout.split("|", 1)[1].split(","):
            for a in alt.split("|"):
                name = a.strip().split(" ")[0].split(":")[0]
                if name:
                    todo.append(name)
    return seen


# ---------------------------------------------------------------------------
# Tests
# ---------------------------------------------------------------------------

class Manifests(unittest.TestCase):
    def test_kubectl_and_pyyaml_read_the_set_of_objects(self):
        objs = manifests(self)
        k, kwhy, y, ywhy = _CACHE["all"]
        if k is not None and y is not None:
            self.assertEqual(k, y, "kubectl and PyYAML read the manifests differently")
        else:
            print("\nonly one reader available (%s)" % (kwhy or ywhy), file=sys.stderr)
        got = {(o["kind"], o["metadata"].get("namespace"), o["metadata"]["name"]) for o in objs}
        self.assertEqual(got, WANT_MAIN | WANT_OPTIONAL)
        main = manifests(self, optional=False)
        got = {(o["kind"], o["metadata"].get("namespace"), o["metadata"]["name"]) for o in main}
        self.assertEqual(got, WANT_MAIN, "`kubectl apply -f packaging/kubernetes/` installs these")
        for o in objs:
            self.assertEqual(o["metadata"]["labels"].get("app.kubernetes.io/name"), "kubecapscan",
                             "%s %s" % (o["kind"], o["metadata"]["name"]))

    def test_namespace_enforces_restricted(self):
        labels = find(manifests(self), "Namespace")["metadata"]["labels"]
        for mode in ("enforce", "audit", "warn"):
            self.assertEqual(labels.get("pod-security.kubernetes.io/" + mode), "restricted", mode)
            self.assertEqual(labels.get("pod-security.kubernetes.io/%s-version" % mode), "latest", mode)

    def test_field_names_are_kubernetes_fields(self):
        objs = manifests(self)
        bad = unknown_fields(find(objs, "CronJob")["spec"], "CronJobSpec", "CronJob.spec")
        bad += unknown_fields(find(objs, "CronJob")["spec"]["jobTemplate"]["spec"], "JobSpec",
                              "CronJob.spec.jobTemplate.spec")
        bad += unknown_fields(find(objs, "Job")["spec"], "JobSpec", "Job.spec")
        for kind, t in pod_templates(objs).items():
            spec = t["spec"]
            bad += unknown_fields(spec, "PodSpec", kind + " pod")
            bad += unknown_fields(spec.get("securityContext", {}), "PodSecurityContext",
                                  kind + " pod securityContext")
            for key, c in all_containers(spec):
                w = "%s %s[%s]" % (kind, key, c["name"])
                bad += unknown_fields(c, "Container", w)
                sc = c.get("securityContext", {})
                bad += unknown_fields(sc, "SecurityContext", w + ".securityContext")
                bad += unknown_fields(sc.get("capabilities", {}), "Capabilities", w + ".capabilities")
                bad += unknown_fields(c.get("resources", {}), "ResourceRequirements", w + ".resources")
                for m in c.get("volumeMounts", []):
                    bad += unknown_fields(m, "VolumeMount", w + ".volumeMounts")
        self.assertEqual(bad, [], "not Kubernetes API fields (typos?)")

    def test_schedule_and_limits(self):
        objs = manifests(self)
        cj = find(objs, "CronJob")["spec"]
        minute, hour, dom, month, dow = cj["schedule"].split()
        self.assertTrue(minute.isdigit() and hour.isdigit() and (dom, month, dow) == ("*", "*", "*"),
                        "daily schedule: %s" % cj["schedule"])
        self.assertEqual(cj["concurrencyPolicy"], "Forbid")
        self.assertIn(cj["successfulJobsHistoryLimit"], range(1, 6))
        self.assertIn(cj["failedJobsHistoryLimit"], range(1, 6))
        self.assertGreater(cj["startingDeadlineSeconds"], 0)
        for name, js in (("CronJob", cj["jobTemplate"]["spec"]), ("Job", find(objs, "Job")["spec"])):
            self.assertIn(js.get("backoffLimit"), (0, 1), name)
            self.assertGreater(js.get("activeDeadlineSeconds", 0), 0, name)
            self.assertLessEqual(js["activeDeadlineSeconds"], 3600, name)
        self.assertGreater(find(objs, "Job")["spec"].get("ttlSecondsAfterFinished", 0), 0)

    def test_job_and_cronjob_run_the_same_pod(self):
        t = pod_templates(manifests(self))
        self.assertEqual(t["CronJob"], t["Job"])

    def test_containers_run_the_live_json_scan(self):
        for kind, t in pod_templates(manifests(self)).items():
            self.assertEqual(len(t["spec"]["containers"]), 1, kind)
            self.assertFalse(t["spec"].get("initContainers"), kind)
            cmd, args = container_argv(t)
            self.assertEqual(cmd, ["kubecapscan"], kind)
            self.assertIn("-A", args, kind)
            i = args.index("-o")
            self.assertEqual(args[i + 1], "json", kind + ": the report is one JSON document on stdout")
            self.assertEqual(sum(1 for a in args if a in ("-o", "--output")), 1, kind)
            self.assertNotIn("--output-file", args, kind)
            self.assertFalse([a for a in args if a.startswith("--post-url")], kind)
            self.assertEqual(t["spec"]["restartPolicy"], "Never", kind)

    def test_pods_meet_pod_security_restricted(self):
        for kind, t in pod_templates(manifests(self)).items():
            self.assertEqual(restricted_violations(t["spec"]), [], kind)
            self.assertEqual(project_violations(t["spec"]), [], kind)

    def test_restricted_checker_catches_violations(self):
        """The checker above must be able to fail."""
        base = pod_templates(manifests(self))["CronJob"]["spec"]
        c = ("containers", 0, "securityContext")

        def mutate(fn):
            s = copy.deepcopy(base)
            fn(s)
            return restricted_violations(s) + project_violations(s)

        cases = {
            "hostNetwork": lambda s: s.update(hostNetwork=True),
            "hostPath": lambda s: s["volumes"].append({"name": "h", "hostPath": {"path": "/"}}),
            "privileged": lambda s: s[c[0]][c[1]][c[2]].update(privileged=True),
            "add NET_RAW": lambda s: s[c[0]][c[1]][c[2]]["capabilities"].update(add=["NET_RAW"]),
            "no drop": lambda s: s[c[0]][c[1]][c[2]]["capabilities"].pop("drop", None),
            "escalation": lambda s: s[c[0]][c[1]][c[2]].pop("allowPrivilegeEscalation", None),
            "root": lambda s: (s[c[0]][c[1]][c[2]].pop("runAsNonRoot", None),
                               s["securityContext"].pop("runAsNonRoot", None)),
            "uid 0": lambda s: s[c[0]][c[1]][c[2]].update(runAsUser=0),
            "named user": lambda s: (s[c[0]][c[1]][c[2]].pop("runAsGroup", None),
                                     s["securityContext"].update(runAsGroup="nogroup")),
            "unconfined": lambda s: s[c[0]][c[1]][c[2]].update(seccompProfile={"type": "Unconfined"}),
            "writable root": lambda s: s[c[0]][c[1]][c[2]].pop("readOnlyRootFilesystem", None),
            "no limits": lambda s: s[c[0]][c[1]]["resources"].pop("limits", None),
            "no /tmp": lambda s: s[c[0]][c[1]].pop("volumeMounts", None),
            "sysctl": lambda s: s["securityContext"].update(sysctls=[{"name": "net.core.somaxconn",
                                                                        "value": "1"}]),
        }
        for name, fn in cases.items():
            self.assertNotEqual(mutate(fn), [], name)

    def scan_pods(self, objs, templates):
        ns = find(objs, "Namespace")
        items = [ns] + [as_pod(k, t) for k, t in sorted(templates.items())]
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
            json.dump({"apiVersion": "v1", "kind": "List", "items": items}, f)
        try:
            return kcs.run(["-f", f.name, "-o", "json"])
        finally:
            os.unlink(f.name)

    def test_pods_pass_kubecapscan(self):
        objs = manifests(self)
        rc, out, err = self.scan_pods(objs, pod_templates(objs))
        self.assertEqual(rc, 0, err)
        kcs.check_report(out)
        rep = kcs.load(out)
        self.assertEqual(len(rep["pods"]), 2)
        for p in rep["pods"]:
            self.assertEqual(p["verdict"], "PASS", p)
            for c in p["containers"]:
                self.assertEqual(c["verdict"], "PASS", c)
        [n] = rep["namespaces"]
        self.assertEqual((n["name"], n["verdict"], n["reason"]), (NS, "PASS", "ENFORCE_RESTRICTED"))
        self.assertEqual(rep["summary"]["containers"]["fail"], 0)

    def test_kubecapscan_check_can_fail(self):
        objs = manifests(self)
        t = copy.deepcopy(pod_templates(objs))
        for tt in t.values():
            tt["spec"]["containers"][0]["securityContext"]["capabilities"] = {"drop": ["CHOWN"]}
        rc, out, err = self.scan_pods(objs, t)
        self.assertEqual(rc, 1, err)
        self.assertEqual(kcs.load(out)["summary"]["containers"]["fail"], 2)

    def test_service_account_and_binding(self):
        objs = manifests(self)
        sa = find(objs, "ServiceAccount")
        self.assertIs(sa.get("automountServiceAccountToken"), False,
                      "the token is mounted only where a pod asks for it")
        crb = find(objs, "ClusterRoleBinding", NS)
        self.assertEqual(crb["roleRef"], {"apiGroup": "rbac.authorization.k8s.io",
                                          "kind": "ClusterRole", "name": NS})
        self.assertEqual(crb["subjects"], [{"kind": "ServiceAccount", "name": NS, "namespace": NS}])
        for kind, t in pod_templates(objs).items():
            self.assertEqual(t["spec"]["serviceAccountName"], NS, kind)
            self.assertIs(t["spec"].get("automountServiceAccountToken"), True, kind)

    def test_clusterrole_grants_only_reads(self):
        """Reads of pods and namespaces, and lists of the owners that name
        workloads (ReplicaSets, Jobs): never a write, a watch or a secret."""
        role = find(manifests(self), "ClusterRole", NS)
        self.assertNotIn("aggregationRule", role)
        for r in role["rules"]:
            self.assertEqual(set(r) - {"apiGroups", "resources", "verbs"}, set(),
                             "no nonResourceURLs or resourceNames: %s" % r)
        g = granted(role)
        allowed = {("", "pods"), ("", "namespaces"), ("apps", "replicasets"),
                   ("batch", "jobs")}
        for verb, group, res in g:
            self.assertNotIn("*", (verb, group, res))
            self.assertIn((group, res), allowed)
            self.assertIn(verb, ("get", "list"))

    def test_rbac_covers_exactly_what_the_scan_calls(self):
        """Run the CronJob's own command as its pod would (in-cluster config
        from the service-account files), once as shipped (-A) and once for
        one namespace (-n), and map each request to RBAC attributes."""
        objs = manifests(self)
        t = pod_templates(objs)["CronJob"]
        _, args = container_argv(t)
        with open(os.path.join(DEMO, "namespaces.json")) as f:
            one_ns = sorted(n["metadata"]["name"] for n in json.load(f)["items"])[0]
        i = args.index("-A")
        variants = {"as shipped": args, "one namespace": args[:i] + ["-n", one_ns] + args[i + 1:]}
        used = set()
        for what, argv in variants.items():
            with Server() as srv:
                rc, out, err = kcs.run(argv, env=in_cluster_env(srv, "reader"))
                self.assertEqual(rc, 0 if "--exit-zero" in argv else 1, "%s: %s" % (what, err))
                rep = kcs.load(out)
                self.assertTrue(rep["complete"], rep["errors"])
                self.assertEqual(rep["source"]["kind"], "cluster")
                reqs = srv.requests()
            self.assertTrue(reqs)
            for r in reqs:
                self.assertEqual((r["user"], r["auth"]), ("reader", "token"),
                                 "%s: every request uses the service-account token" % what)
                self.assertLess(r["status"], 300, "%s: %s" % (what, r))
                a = request_attributes(r["method"], r["path"], r["query"] or "")
                if a is None:
                    self.assertRegex(r["path"], EVERYONE_PATHS, "non-resource request")
                elif a not in EVERYONE_RESOURCES:
                    used.add(a)
        self.assertEqual(used, granted(find(objs, "ClusterRole", NS)),
                         "the ClusterRole must grant exactly what the scan calls")

    def test_scan_needs_no_grant_for_selfsubjectaccessreviews(self):
        """The ClusterRole leaves out selfsubjectaccessreviews: a scan that is
        allowed sends none (they only explain a 403), so where a cluster
        denies them the shipped command still completes."""
        t = pod_templates(manifests(self))["CronJob"]
        _, args = container_argv(t)
        with Server("--fault", "path=selfsubjectaccessreviews,status=403,times=0") as srv:
            rc, out, err = kcs.run(args, env=in_cluster_env(srv, "reader"))
            ssar = [r for r in srv.requests() if r["path"].endswith("/selfsubjectaccessreviews")]
        self.assertEqual(ssar, [])
        self.assertEqual(rc, 0 if "--exit-zero" in args else 1, err)
        self.assertTrue(kcs.load(out)["complete"])

    def test_network_policy_allows_only_the_api_server_ports(self):
        objs = manifests(self)
        np = find(objs, "NetworkPolicy")["spec"]
        self.assertEqual(sorted(np["policyTypes"]), ["Egress", "Ingress"])
        self.assertEqual(np.get("ingress"), [])
        sel = np["podSelector"]["matchLabels"]
        for kind, t in pod_templates(objs).items():
            labels = t["metadata"]["labels"]
            self.assertTrue(all(labels.get(k) == v for k, v in sel.items()), kind)
        ports = set()
        for rule in np["egress"]:
            for p in rule["ports"]:
                ports.add((p.get("protocol", "TCP"), p["port"]))
        self.assertEqual(ports, {("TCP", 443), ("TCP", 6443)})


class Container(unittest.TestCase):
    def test_stages(self):
        stages = containerfile_stages()
        self.assertGreaterEqual(len(stages), 2, "multi-stage")
        self.assertRegex(stages[0][0], r"(^|/)debian:12 +AS +build$")
        self.assertRegex(stages[-1][0], r"(^|/)debian:12-slim$")
        self.assertIn("cmake", apt_installed(stages[0]))

    def test_runtime_user_and_entrypoint(self):
        ins = containerfile_stages()[-1][1]
        users = [v for i, v in ins if i == "USER"]
        self.assertTrue(users, "the runtime stage sets USER")
        m = re.fullmatch(r"(\d+):(\d+)", users[-1])
        self.assertTrue(m, "USER must be numeric uid:gid, not %r" % users[-1])
        self.assertNotIn("0", (m.group(1), m.group(2)))
        for name in ("ENTRYPOINT", "CMD"):
            for v in [v for i, v in ins if i == name]:
                try:
                    form = json.loads(v)
                except ValueError:
                    form = None
                self.assertIsInstance(form, list, "%s must be in exec (JSON) form: %s" % (name, v))
        ep = json.loads([v for i, v in ins if i == "ENTRYPOINT"][-1])
        self.assertEqual(ep, ["kubecapscan"])
        copies = [v for i, v in ins if i == "COPY" and v.startswith("--from=build ")]
        self.assertTrue(any(c.split()[-1] == "/usr/bin/kubecapscan" for c in copies), copies)

    def test_build_stage_has_every_pkg_config_module(self):
        for tool in ("pkg-config", "dpkg-query"):
            if not shutil.which(tool):
                skip(self, tool + " is not installed")
        with open(kcs.path("CMakeLists.txt")) as f:
            mods = re.findall(r"pkg_check_modules\(\w+ REQUIRED IMPORTED_TARGET ([\w.+-]+)", f.read())
        self.assertTrue(mods)
        build = set(apt_installed(containerfile_stages()[0]))
        for mod in mods:
            p = sh(["pkg-config", "--variable=pcfiledir", mod])
            self.assertEqual(p.returncode, 0, p.stderr)
            owner = dpkg_owner(os.path.join(p.stdout.strip(), mod + ".pc"))
            self.assertIsNotNone(owner, mod)
            self.assertIn(owner, build, "pkg-config module %s comes from %s" % (mod, owner))

    def test_runtime_stage_provides_every_library(self):
        for tool in ("ldd", "dpkg-query", "readelf"):
            if not shutil.which(tool):
                skip(self, tool + " is not installed")
        if not os.path.exists("/var/lib/dpkg/status"):
            skip(self, "not a dpkg-based system")
        if "libasan" in sh(["ldd", kcs.BIN]).stdout:
            skip(self, "a sanitizer build links its runtime; the image ships a "
                 "Release build, which the normal test run checks")
        runtime = apt_installed(containerfile_stages()[-1])
        self.assertTrue(runtime)
        base = {"libc6"}  # in debian:12-slim already
        closure = dependency_closure(runtime + sorted(base))
        for pkg in runtime:
            self.assertIn(pkg, closure, "%s is not an installed package here" % pkg)
        p = sh(["ldd", kcs.BIN])
        self.assertEqual(p.returncode, 0, p.stderr)
        libs = {}
        for line in p.stdout.splitlines():
            line = line.strip()
            self.assertNotIn("not found", line)
            m = re.match(r"(\S+) => (/\S+)", line) or re.match(r"((/\S+))", line)
            if m:
                libs[os.path.basename(m.group(1))] = m.group(2)
        self.assertIn("libc.so.6", libs)
        sanitizer = sorted(n for n in libs if re.match(r"lib(a|ub|t|l)san", n))
        if sanitizer:
            print("\nsanitizer build: not checking %s (the image is a Release build)"
                  % sanitizer, file=sys.stderr)
        p = sh(["readelf", "-d", kcs.BIN])
        needed = set(re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", p.stdout))
        self.assertTrue(needed)
        for name, path in sorted(libs.items()):
            if name in sanitizer:
                continue
            owner = dpkg_owner(path)
            self.assertIsNotNone(owner, "no package holds %s" % path)
            self.assertIn(owner, closure, "%s (%s) is not installed by the runtime stage" % (path, owner))
            if name in needed:
                self.assertIn(owner, set(runtime) | base,
                              "%s, linked directly, comes from %s: name it in the runtime stage"
                              % (name, owner))


# ---------------------------------------------------------------------------
# Completion, licence, Debian package
# ---------------------------------------------------------------------------

def help_options():
    rc, out, err = kcs.run(["--help"])
    assert rc == 0, err
    longs, shorts = set(), set()
    for m in re.finditer(r"(?m)^\s+(?:(-[A-Za-z]), )?(--[a-z][a-z0-9-]*)", out):
        longs.add(m.group(2))
        if m.group(1):
            shorts.add(m.group(1))
    fm = re.search(r"(?m)^\s+-o, --output \S+\s+report format \(([^)]*)\)", out)
    formats = set(re.split(r",\s*", fm.group(1))) if fm else None
    return longs, shorts, formats, out


def complete(words, cwd=None, env=None):
    """COMPREPLY of _kubecapscan for COMP_WORDS=words (the last is the one
    being completed)."""
    script = ('source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); '
              '_kubecapscan; printf "%s\\n" "${COMPREPLY[@]}"')
    e = dict(os.environ)
    e.update(env or {})
    p = sh(["bash", "--norc", "--noprofile", "-c", script, "bash", COMPLETION] + list(words),
           cwd=cwd, env=e)
    assert p.returncode == 0, p.stderr
    return [w for w in p.stdout.splitlines() if w]


class Completion(unittest.TestCase):
    def setUp(self):
        if not shutil.which("bash"):
            skip(self, "bash is not installed")

    def test_syntax(self):
        p = sh(["bash", "-n", COMPLETION])
        self.assertEqual(p.returncode, 0, p.stderr)

    def test_options_match_help(self):
        longs, shorts, formats, text = help_options()
        self.assertGreater(len(longs), 5, text)
        self.assertEqual(set(complete(["kubecapscan", "--"])), longs,
                         "packaging/completion/kubecapscan.bash and --help list different options")
        self.assertEqual(set(complete(["kubecapscan", "-"])), longs | shorts)
        self.assertIsNotNone(formats, "--help no longer lists the -o formats as "
                             "'report format (a, b)': update help_options()")
        self.assertEqual(set(complete(["kubecapscan", "-o", ""])), formats)
        self.assertEqual(set(complete(["kubectl-capscan", "--output", "=", ""])), formats)

    def test_every_offered_value_is_accepted(self):
        pods = os.path.join(DEMO, "pods.json")
        for opt in ("-o", "--benchmark", "--exec-plugins", "--psa-default-enforce"):
            vals = complete(["kubecapscan", opt, ""])
            self.assertTrue(vals, opt)
            for v in vals:
                rc, out, err = kcs.run([opt, v, "-f", pods, "-o", "json"] if opt != "-o"
                                       else ["-o", v, "-f", pods])
                self.assertIn(rc, (0, 1), "%s %s: %s" % (opt, v, err))
        rc, _, err = kcs.run(["--benchmark", "cis-0.0", "-f", pods])
        self.assertEqual(rc, 2, "an unknown value must be refused, or this test proves nothing")

    def test_files_for_file_options(self):
        d = tempfile.mkdtemp(prefix="kcs-compl-")
        try:
            for n in ("pods.json", "kube.conf"):
                open(os.path.join(d, n), "w").close()
            for opt in ("-f", "--filename", "--kubeconfig", "--output-file"):
                self.assertEqual(set(complete(["kubecapscan", opt, ""], cwd=d)) - {"-"},
                                 {"pods.json", "kube.conf"}, opt)
            self.assertIn("-", complete(["kubecapscan", "-f", ""], cwd=d))
            self.assertEqual(complete(["kubecapscan", "-o", "json", "=", "po"], cwd=d), ["pods.json"])
            self.assertEqual(complete(["kubecapscan", "--kubeconfig", "=", "k"], cwd=d), ["kube.conf"])
        finally:
            shutil.rmtree(d)

    def test_contexts_and_namespaces_from_kubectl(self):
        if not shutil.which("kubectl"):
            skip(self, "kubectl is not on PATH")
        with Server("--git-version", "v1.32.4") as srv:
            env = {"KUBECONFIG": srv.file("kubeconfig"), "HOME": os.path.join(srv.dir, "home")}
            os.makedirs(env["HOME"])
            self.assertIn("test-reader", complete(["kubecapscan", "--context", "test-r"], env=env))
            with open(os.path.join(DEMO, "namespaces.json")) as f:
                names = {n["metadata"]["name"] for n in json.load(f)["items"]}
            self.assertEqual(set(complete(["kubecapscan", "-n", ""], env=env)), names)
            self.assertEqual(complete(["kubecapscan", "-n", "kube-sy"], env=env), ["kube-system"])


def kubectl_complete(bindir, words):
    """What `kubectl capscan WORDS<TAB>` offers, with bindir first on PATH
    (kubectl finds kubectl-capscan and kubectl_complete-capscan there)."""
    home = tempfile.mkdtemp(prefix="kcs-kc-home-")
    try:
        kc = os.path.join(home, "config")
        open(kc, "w").close()
        env = dict(os.environ, HOME=home, KUBECONFIG=kc,
                   PATH=bindir + os.pathsep + os.environ.get("PATH", ""))
        p = sh(["kubectl", "__complete", "capscan"] + list(words), env=env, timeout=60)
    finally:
        shutil.rmtree(home)
    assert p.returncode == 0, p.stderr
    return p.stdout.splitlines()


class PluginCompletion(unittest.TestCase):
    """kubectl_complete-capscan: `kubectl capscan <TAB>` (kubectl >= 1.26)."""

    def driver(self, exe, *words):
        p = sh([exe] + list(words))
        self.assertEqual(p.returncode, 0, p.stderr)
        return p.stdout.splitlines()

    def test_driver_speaks_cobras_protocol(self):
        longs, _, formats, _ = help_options()
        self.assertEqual(self.driver(PLUGIN_COMPLETION, "--out"), ["--output", "--output-file", ":4"])
        self.assertEqual(set(self.driver(PLUGIN_COMPLETION, "-o", "")), formats | {":4"})
        self.assertEqual(set(self.driver(PLUGIN_COMPLETION, "-A", "--")), longs | {":4"})
        self.assertEqual(self.driver(PLUGIN_COMPLETION, "-f", ""), [":0"],
                         "file names are left to the shell")

    def test_kubectl_runs_the_driver(self):
        if not shutil.which("kubectl"):
            skip(self, "kubectl is not on PATH")
        d = tempfile.mkdtemp(prefix="kcs-plugin-")
        try:
            os.symlink(kcs.BIN, os.path.join(d, "kubectl-capscan"))
            os.symlink(PLUGIN_COMPLETION, os.path.join(d, "kubectl_complete-capscan"))
            out = kubectl_complete(d, ["--exec-p"])
            self.assertEqual(out, ["--exec-plugins", ":4"])
            out = kubectl_complete(d, ["--exec-plugins", ""])
            self.assertEqual(out, ["allow", "deny", ":4"])
        finally:
            shutil.rmtree(d)


class License(unittest.TestCase):
    def test_apache_2(self):
        with open(kcs.path("LICENSE")) as f:
            text = f.read()
        self.assertTrue(text.lstrip().startswith("Apache License"))
        self.assertIn("Version 2.0, January 2004", text)
        self.assertIn("END OF TERMS AND CONDITIONS", text)
        common = "/usr/share/common-licenses/Apache-2.0"
        if os.path.exists(common):
            with open(common) as f:
                self.assertEqual(text, f.read(), "LICENSE is not the standard Apache-2.0 text")


def project_version():
    with open(kcs.path("CMakeLists.txt")) as f:
        return re.search(r"project\(kubecapscan VERSION ([0-9.]+)", f.read()).group(1)


class DebianPackage(unittest.TestCase):
    def test_deb_builds_unpacks_and_runs(self):
        for tool in ("cpack", "dpkg-deb"):
            if not shutil.which(tool):
                skip(self, tool + " is not installed")
        bdir = os.path.dirname(os.path.realpath(kcs.BIN))
        cfg = os.path.join(bdir, "CPackConfig.cmake")
        self.assertTrue(os.path.exists(cfg), "%s is missing: the top-level CMakeLists.txt must "
                        "include(packaging/install.cmake)" % cfg)
        work = tempfile.mkdtemp(prefix="kcs-deb-")
        try:
            p = sh(["cpack", "-G", "DEB", "--config", cfg, "-B", work], cwd=work, timeout=600)
            self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
            debs = glob.glob(os.path.join(work, "*.deb"))
            self.assertEqual(len(debs), 1, p.stdout)
            self.check_deb(debs[0], os.path.join(work, "root"))
        finally:
            shutil.rmtree(work, ignore_errors=True)

    def check_deb(self, deb, root):
        ver = project_version()
        f = lambda field: sh(["dpkg-deb", "-f", deb, field]).stdout.strip()
        self.assertEqual(f("Package"), "kubecapscan")
        self.assertTrue(f("Version").startswith(ver + "-"), f("Version"))
        deps = {d.strip().split(" ")[0] for d in f("Depends").split(",")}
        self.assertLessEqual({"libc6", "libcurl4", "libssl3", "libyajl2", "libyaml-0-2"}, deps)
        self.assertTrue(f("Maintainer") and f("Description"))

        # the exact contents, owners and modes
        p = sh(["dpkg-deb", "-c", deb])
        self.assertEqual(p.returncode, 0, p.stderr)
        entries = {}
        for line in p.stdout.splitlines():
            mode, owner, _size, _date, _time, name = line.split(None, 5)
            entries[name.split(" -> ")[0].lstrip(".")] = (mode, owner)
        files = {n for n, (m, _) in entries.items() if not m.startswith("d")}
        want = {"/usr/bin/kubecapscan", "/usr/bin/kubectl-capscan", "/usr/bin/kubectl_complete-capscan",
                "/usr/share/man/man1/kubecapscan.1.gz", "/usr/share/man/man1/kubectl-capscan.1.gz",
                "/usr/share/bash-completion/completions/kubecapscan",
                "/usr/share/bash-completion/completions/kubectl-capscan",
                "/usr/share/doc/kubecapscan/README.md", "/usr/share/doc/kubecapscan/LICENSE",
                "/usr/share/doc/kubecapscan/copyright"}
        self.assertEqual(files, want)
        for name, (mode, owner) in entries.items():
            self.assertEqual(owner, "root/root", name)
            if mode.startswith("-"):
                self.assertEqual(mode, "-rwxr-xr-x" if name.startswith("/usr/bin/")
                                 else "-rw-r--r--", name)

        p = sh(["dpkg-deb", "-x", deb, root])
        self.assertEqual(p.returncode, 0, p.stderr)
        r = lambda path: os.path.join(root, path.lstrip("/"))
        for link, target in (("/usr/bin/kubectl-capscan", "kubecapscan"),
                             ("/usr/share/man/man1/kubectl-capscan.1.gz", "kubecapscan.1.gz"),
                             ("/usr/share/bash-completion/completions/kubectl-capscan",
                              "kubecapscan")):
            self.assertTrue(os.path.islink(r(link)), link)
            self.assertEqual(os.readlink(r(link)), target, link)

        exe = r("/usr/bin/kubecapscan")
        self.assertTrue(os.stat(exe).st_mode & stat.S_IXUSR)
        p = sh([exe, "--version"])
        self.assertEqual((p.returncode, p.stdout.strip()), (0, "kubecapscan " + ver), p.stderr)
        p = sh([r("/usr/bin/kubectl-capscan"), "--help"])
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("Usage: kubectl capscan ", p.stdout)
        self.assertNotIn("kubecapscan -f", p.stdout)
        demo = [os.path.join(DEMO, "namespaces.json"), os.path.join(DEMO, "pods.json")]
        p = sh([exe, "-f", demo[0], "-f", demo[1], "-o", "json"])
        self.assertEqual(p.returncode, 1, p.stderr)
        kcs.check_report(p.stdout)

        with gzip.open(r("/usr/share/man/man1/kubecapscan.1.gz"), "rb") as g, \
                open(kcs.path("man", "kubecapscan.1"), "rb") as m:
            self.assertEqual(g.read(), m.read())
        for name in ("kubecapscan", "kubectl-capscan"):
            comp = r("/usr/share/bash-completion/completions/" + name)
            with open(comp) as a, open(COMPLETION) as b:
                self.assertEqual(a.read(), b.read())
            p = sh(["bash", "-n", comp])
            self.assertEqual(p.returncode, 0, p.stderr)
        # `kubectl capscan <TAB>`: the installed driver finds the installed script
        p = sh([r("/usr/bin/kubectl_complete-capscan"), "--exit"])
        self.assertEqual(p.stdout.splitlines(), ["--exit-zero", ":4"], p.stderr)
        if shutil.which("kubectl"):
            self.assertEqual(kubectl_complete(r("/usr/bin"), ["--exit"]), ["--exit-zero", ":4"])
        for doc, src in (("README.md", kcs.path("README.md")), ("LICENSE", kcs.path("LICENSE"))):
            with open(r("/usr/share/doc/kubecapscan/" + doc)) as a, open(src) as b:
                self.assertEqual(a.read(), b.read(), doc)
        with open(r("/usr/share/doc/kubecapscan/copyright")) as c:
            text = c.read()
        self.assertTrue(text.startswith("Format: https://www.debian.org/doc/packaging-manuals/"
                                        "copyright-format/1.0/"))
        self.assertIn("License: Apache-2.0", text)


if __name__ == "__main__":
    unittest.main(verbosity=2)
