#!/usr/bin/env python3
"""check_remediate.py - apply the JSON patches kubecapscan's remediation
module (src/remediate.c) produced to pod templates, and check the result.

Usage: check_remediate.py CASES.json    (written by tests/unit/test_remediate.c)
       check_remediate.py --self-test   (the RFC 6902 applier alone)

Each case names a workload kind, its failing containers (list, index, name,
the shape of their securityContext, whether the patch must cover them) and
the patch produced. For each case this script:

1. builds an object of that kind whose pod template holds the containers
   at their indexes, with filler containers around them and other
   securityContext fields that must survive;
2. applies the patch with a minimal RFC 6902 applier written here (test
   code: no library is assumed) and compares the result with the object
   changed by hand, independently of the C code: every covered container
   drops ALL, nothing else changed;
3. checks that the patch fails as a whole when the template's order is not
   the pod's (a sidecar injected at index 0, a renamed container);
4. when kubectl is installed, applies the same patch with
   `kubectl patch --local` (the API server's own JSON patch code) and
   expects the same result and the same failures.

Exit status 0 when every check passed, 1 otherwise.
"""
import copy
import json
import os
import shutil
import subprocess
import sys
import tempfile

# Where each kind keeps its pod spec, and its apiVersion. Written from the
# Kubernetes API reference, not from remediate.c.
KINDS = {
    "Deployment": ("apps/v1", ["spec", "template", "spec"]),
    "StatefulSet": ("apps/v1", ["spec", "template", "spec"]),
    "DaemonSet": ("apps/v1", ["spec", "template", "spec"]),
    "ReplicaSet": ("apps/v1", ["spec", "template", "spec"]),
    "ReplicationController": ("v1", ["spec", "template", "spec"]),
    "Job": ("batch/v1", ["spec", "template", "spec"]),
    "CronJob": ("batch/v1",
                ["spec", "jobTemplate", "spec", "template", "spec"]),
    "PodTemplate": ("v1", ["template", "spec"]),
    "Pod": ("v1", ["spec"]),
}


class PatchError(Exception):
    pass


# ---- a minimal RFC 6902 applier (RFC 6901 pointers) ----------------------

def parse_pointer(ptr):
    if ptr == "":
        return []
    if not ptr.startswith("/"):
        raise PatchError("pointer %r does not start with /" % ptr)
    return [t.replace("~1", "/").replace("~0", "~")
            for t in ptr[1:].split("/")]


def array_index(tok, length, allow_end):
    if tok == "-" and allow_end:
        return length
    if not tok.isdigit() or (len(tok) > 1 and tok[0] == "0"):
        raise PatchError("bad array index %r" % tok)
    i = int(tok)
    if i > length or (i == length and not allow_end):
        raise PatchError("array index %d out of range" % i)
    return i


def resolve(doc, toks):
    cur = doc
    for t in toks:
        if isinstance(cur, dict):
            if t not in cur:
                raise PatchError("member %r missing" % t)
            cur = cur[t]
        elif isinstance(cur, list):
            cur = cur[array_index(t, len(cur), False)]
        else:
            raise PatchError("cannot descend into a scalar at %r" % t)
    return cur


def json_equal(a, b):
    # Python's == takes True for 1; JSON does not.
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(json_equal(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(map(json_equal, a, b))
    return a == b


def apply_patch(doc, patch):
    """Apply `patch` to a copy of `doc`; all or nothing (RFC 6902 sec. 5)."""
    if not isinstance(patch, list):
        raise PatchError("a patch is an array")
    doc = copy.deepcopy(doc)
    for op in patch:
        kind = op.get("op")
        toks = parse_pointer(op["path"])
        if kind == "test":
            if "value" not in op:
                raise PatchError("test without value")
            if not json_equal(resolve(doc, toks), op["value"]):
                raise PatchError("test failed at %s" % op["path"])
        elif kind == "add":
            if "value" not in op:
                raise PatchError("add without value")
            value = copy.deepcopy(op["value"])
            if not toks:
                doc = value
                continue
            parent = resolve(doc, toks[:-1])
            if isinstance(parent, dict):
                parent[toks[-1]] = value
            elif isinstance(parent, list):
                parent.insert(array_index(toks[-1], len(parent), True), value)
            else:
                raise PatchError("add into a scalar")
        elif kind in ("remove", "replace"):
            parent = resolve(doc, toks[:-1])
            if isinstance(parent, dict):
                if toks[-1] not in parent:
                    raise PatchError("%s of a missing member" % kind)
                if kind == "remove":
                    del parent[toks[-1]]
                else:
                    parent[toks[-1]] = copy.deepcopy(op["value"])
            elif isinstance(parent, list):
                i = array_index(toks[-1], len(parent), False)
                if kind == "remove":
                    del parent[i]
                else:
                    parent[i] = copy.deepcopy(op["value"])
            else:
                raise PatchError("%s in a scalar" % kind)
        else:
            raise PatchError("op %r not supported by this test applier"
                             % kind)
    return doc


def self_test():
    doc = {"foo": ["bar", "baz"], "a/b": 1, "m~n": 2}
    ok = apply_patch(doc, [{"op": "add", "path": "/foo/1", "value": "qux"}])
    assert ok["foo"] == ["bar", "qux", "baz"], ok
    ok = apply_patch(doc, [{"op": "add", "path": "/foo/-", "value": "z"}])
    assert ok["foo"] == ["bar", "baz", "z"], ok
    ok = apply_patch(doc, [{"op": "test", "path": "/a~1b", "value": 1},
                           {"op": "test", "path": "/m~0n", "value": 2},
                           {"op": "add", "path": "/n", "value": None}])
    assert ok["n"] is None
    ok = apply_patch({"x": None}, [{"op": "add", "path": "/x",
                                    "value": {"y": 1}}])
    assert ok == {"x": {"y": 1}}
    for bad in ([{"op": "test", "path": "/a~1b", "value": True}],
                [{"op": "test", "path": "/foo/0", "value": "nope"}],
                [{"op": "add", "path": "/missing/x", "value": 1}],
                [{"op": "add", "path": "/foo/3", "value": 1}],
                [{"op": "add", "path": "/foo/01", "value": 1}],
                [{"op": "add", "path": "/n", "value": 1},
                 {"op": "test", "path": "/n", "value": 2}]):
        try:
            apply_patch(doc, bad)
        except PatchError:
            continue
        raise AssertionError("applied a bad patch: %r" % bad)
    assert "n" not in doc, "the applier changed its input"


# ---- objects -------------------------------------------------------------

def container(name, shape):
    c = {"name": name, "image": "registry.example/app:1"}
    if shape == "none":
        return c
    if shape == "null":
        c["securityContext"] = None
        return c
    sc = {"runAsUser": 1000}
    c["securityContext"] = sc
    if shape == "sc":
        return c
    sc["capabilities"] = {"add": ["CHOWN"]}
    if shape == "caps":
        return c
    if shape == "dropnull":
        sc["capabilities"]["drop"] = None
        return c
    if shape == "drop":
        sc["capabilities"]["drop"] = ["CAP_NET_RAW"]
        return c
    raise ValueError("unknown shape %r" % shape)


def build(case):
    api, path = KINDS[case["kind"]]
    spec = {"restartPolicy": "Always", "securityContext": {"fsGroup": 2000}}
    for c in case["containers"]:
        lst = spec.setdefault(c["type"], [])
        while len(lst) <= c["index"] + 1:
            lst.append({"name": "filler-%s-%d" % (c["type"], len(lst)),
                        "image": "busybox"})
        lst[c["index"]] = container(c["name"], c["shape"])
    obj = {"apiVersion": api, "kind": case["kind"],
           "metadata": {"name": case["name"], "namespace": case["namespace"]}}
    node = obj
    for key in path[:-1]:
        node = node.setdefault(key, {})
    node[path[-1]] = spec
    return obj


def pod_spec(obj, kind):
    return resolve(obj, KINDS[kind][1])


def fixed_by_hand(obj, case):
    want = copy.deepcopy(obj)
    spec = pod_spec(want, case["kind"])
    for c in case["containers"]:
        if not c["patched"]:
            continue
        ct = spec[c["type"]][c["index"]]
        if not isinstance(ct.get("securityContext"), dict):
            ct["securityContext"] = {}
        sc = ct["securityContext"]
        if not isinstance(sc.get("capabilities"), dict):
            sc["capabilities"] = {}
        caps = sc["capabilities"]
        if not isinstance(caps.get("drop"), list):
            caps["drop"] = []
        caps["drop"].append("ALL")
    return want


def drops_all(ct):
    sc = ct.get("securityContext") or {}
    caps = sc.get("capabilities") or {}
    return "ALL" in (caps.get("drop") or [])


# ---- kubectl, the real JSON patch code -----------------------------------

def kubectl_apply(obj, patch):
    """Returns the patched object, or None if kubectl refused the patch."""
    with tempfile.TemporaryDirectory() as d:
        f = os.path.join(d, "obj.json")
        with open(f, "w", encoding="utf-8") as fh:
            json.dump(obj, fh)
        # a private HOME and cache: other kubectl runs on the machine
        # must not share (and race on) ~/.kube/cache
        empty = os.path.join(d, "kubeconfig")
        open(empty, "w").close()
        env = dict(os.environ, KUBECONFIG=empty, HOME=d)
        p = subprocess.run(["kubectl", "patch", "--local", "-f", f,
                            "--cache-dir", os.path.join(d, "cache"),
                            "--type=json", "-p", json.dumps(patch),
                            "-o", "json"],
                           capture_output=True, env=env, timeout=60)
    if p.returncode != 0:
        sys.stderr.write("check_remediate: kubectl said: %s\n"
                         % p.stderr.decode("utf-8", "replace").strip()[:300])
        return None
    return json.loads(p.stdout)


# ---- the checks ----------------------------------------------------------

def check_case(case, use_kubectl):
    errs = []
    cid = case["id"]
    patch = case["patch"]
    obj = build(case)
    want = fixed_by_hand(obj, case)
    covered = [c for c in case["containers"] if c["patched"]]

    if len(patch) != 2 * len(covered):
        errs.append("%s: %d ops for %d covered containers"
                    % (cid, len(patch), len(covered)))
    for i in range(0, len(patch) - 1, 2):
        t, a = patch[i], patch[i + 1]
        if t.get("op") != "test" or not t["path"].endswith("/name"):
            errs.append("%s: op %d is not a name test" % (cid, i))
            continue
        prefix = t["path"][:-len("/name")]
        if a.get("op") != "add" or not a["path"].startswith(
                prefix + "/securityContext"):
            errs.append("%s: op %d does not add to the tested container"
                        % (cid, i + 1))
    try:
        got = apply_patch(obj, patch)
    except PatchError as e:
        errs.append("%s: patch does not apply: %s" % (cid, e))
        return errs
    if not json_equal(got, want):
        errs.append("%s: patched object differs from the one fixed by "
                    "hand:\n got %s\nwant %s"
                    % (cid, json.dumps(got, sort_keys=True),
                       json.dumps(want, sort_keys=True)))
    spec = pod_spec(got, case["kind"])
    for c in covered:
        if not drops_all(spec[c["type"]][c["index"]]):
            errs.append("%s: %s[%d] does not drop ALL after the patch"
                        % (cid, c["type"], c["index"]))

    # The template's order is not the pod's: the patch must change nothing.
    shifted = []
    for c in covered:
        moved = copy.deepcopy(obj)
        pod_spec(moved, case["kind"])[c["type"]].insert(
            0, {"name": "injected-sidecar", "image": "proxy"})
        shifted.append(moved)
        renamed = copy.deepcopy(obj)
        pod_spec(renamed, case["kind"])[c["type"]][c["index"]]["name"] += "x"
        shifted.append(renamed)
    for bad in shifted:
        try:
            apply_patch(bad, patch)
        except PatchError:
            continue
        errs.append("%s: patch applied to a template of another order"
                    % cid)

    if use_kubectl and patch:
        kgot = kubectl_apply(obj, patch)
        if kgot is None:
            errs.append("%s: kubectl patch --local refused the patch" % cid)
        elif not json_equal(pod_spec(kgot, case["kind"]),
                            pod_spec(want, case["kind"])):
            errs.append("%s: kubectl's result differs:\n got %s\nwant %s"
                        % (cid, json.dumps(kgot, sort_keys=True),
                           json.dumps(want, sort_keys=True)))
        for bad in shifted[:2]:
            if kubectl_apply(bad, patch) is not None:
                errs.append("%s: kubectl applied the patch to a template "
                            "of another order" % cid)
    return errs


def main(argv):
    self_test()
    if argv[1:] == ["--self-test"]:
        print("check_remediate: applier self-test passed")
        return 0
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    with open(argv[1], encoding="utf-8") as fh:
        cases = json.load(fh)["cases"]
    use_kubectl = shutil.which("kubectl") is not None
    if not use_kubectl:
        print("check_remediate: kubectl not installed: the kubectl "
              "cross-check is skipped, the applier checks still ran")
    errs = []
    for case in cases:
        errs += check_case(case, use_kubectl)
    for e in errs:
        print("check_remediate: " + e, file=sys.stderr)
    print("check_remediate: %d cases, %d failures%s"
          % (len(cases), len(errs),
             " (also checked with kubectl patch --local)"
             if use_kubectl else ""))
    if not cases:
        print("check_remediate: no cases", file=sys.stderr)
        return 1
    return 1 if errs else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
