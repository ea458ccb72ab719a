#!/usr/bin/python3
"""Validate kubecapscan JSON reports (schemaVersion "kubecapscan/v1").

Usage:
    check_report.py [--schema PATH] REPORT.json [REPORT.json ...]
    check_report.py [--schema PATH] --self-test

Each report is checked in two passes:

1. the JSON Schema docs/schema/kubecapscan-v1.schema.json, with
   jsonschema.Draft202012Validator (Debian 12: python3-jsonschema 4.10);
2. consistency rules the schema cannot express (docs/rules.md): summary
   counts, pod verdict versus container verdicts, namespace pod counts,
   namespace label -> effective policy -> verdict/reason/flags derivation,
   pod namespaces present in namespaces[], complete/errors, and
   finishedAt >= startedAt.

Pass 2 runs only when pass 1 succeeds (it relies on the shapes the schema
guarantees). Reports are parsed strictly: duplicate object keys and the
non-standard constants NaN/Infinity are errors.

Prints "ok: FILE" per valid report, otherwise "error: FILE: $.json.path:
message" lines. Exit status: 0 when every report is valid, 1 otherwise
(2 for command-line usage errors, as argparse does).
"""

import argparse
import copy
import datetime
import decimal
import json
import os
import re
import sys

try:
    import jsonschema
    from jsonschema.exceptions import best_match
except ImportError:  # pragma: no cover - environment problem
    sys.stderr.write("check_report.py: python3-jsonschema is required "
                     "(Debian: apt-get install python3-jsonschema)\n")
    sys.exit(1)

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_SCHEMA = os.path.normpath(
    os.path.join(HERE, "..", "..", "docs", "schema", "kubecapscan-v1.schema.json"))
SAMPLE_REPORT = os.path.join(HERE, "sample-report.json")

INT64_MAX = 2 ** 63 - 1

# Python's re: use [0-9] (\d is Unicode-aware) and fullmatch (a "$" would
# accept a trailing newline).
TIMESTAMP_RE = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})(\.[0-9]+)?Z")
PSA_VERSION_RE = re.compile(r"v1\.([0-9]|[1-9][0-9]*)")
PSA_LEVELS = ("privileged", "baseline", "restricted")


# --------------------------------------------------------------------------
# helpers

def json_path(parts):
    """Render a path (sequence of keys/indexes) as a JSONPath string."""
    out = "$"
    for p in parts:
        if isinstance(p, int):
            out += "[%d]" % p
        elif re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", p):
            out += "." + p
        else:
            out += "[%s]" % json.dumps(p)
    return out


class StrictJSONError(ValueError):
    pass


def _no_duplicates(pairs):
    obj = {}
    for k, v in pairs:
        if k in obj:
            raise StrictJSONError("duplicate object key %s" % json.dumps(k))
        obj[k] = v
    return obj


def _no_constants(name):
    raise StrictJSONError("non-standard JSON constant %s" % name)


def load_json_strict(text):
    return json.loads(text, object_pairs_hook=_no_duplicates,
                      parse_constant=_no_constants)


def parse_timestamp(s):
    """Return (aware datetime without fraction, Decimal fraction) or None."""
    m = TIMESTAMP_RE.fullmatch(s)
    if not m:
        return None
    try:
        dt = datetime.datetime(int(m.group(1)), int(m.group(2)), int(m.group(3)),
                               int(m.group(4)), int(m.group(5)), int(m.group(6)),
                               tzinfo=datetime.timezone.utc)
    except ValueError:
        return None
    frac = decimal.Decimal("0" + m.group(7)) if m.group(7) else decimal.Decimal(0)
    return dt, frac


def psa_version_minor(v):
    """Minor of a valid "v1.N" label value, or None if not of that form."""
    m = PSA_VERSION_RE.fullmatch(v)
    if not m:
        return None
    n = int(m.group(1))
    return n if n <= INT64_MAX else None


def psa_version_valid(v):
    return v == "latest" or psa_version_minor(v) is not None


def restricted_passes(effective):
    if effective["level"] != "restricted":
        return False
    if effective["version"] == "latest":
        return True
    n = psa_version_minor(effective["version"])
    return n is not None and n >= 22


# --------------------------------------------------------------------------
# pass 1: schema

def _short(value, limit=80):
    text = json.dumps(value, sort_keys=True)
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _message(err):
    """jsonschema's message, made precise for the keywords whose default
    message hides what was expected, and with long instances abbreviated."""
    v, vv, inst = err.validator, err.validator_value, err.instance
    if v == "contains" and isinstance(vv, dict) and "const" in vv:
        return "%s must contain %s" % (_short(inst), json.dumps(vv["const"]))
    if v == "not" and isinstance(vv, dict) and isinstance(vv.get("contains"), dict) \
            and "const" in vv["contains"]:
        return "%s must not contain %s" % (_short(inst), json.dumps(vv["contains"]["const"]))
    if v == "maxItems" and isinstance(inst, list):
        return "has %d item(s), at most %d allowed" % (len(inst), vv)
    if v == "minItems" and isinstance(inst, list):
        return "has %d item(s), at least %d required" % (len(inst), vv)
    msg = err.message
    return msg if len(msg) <= 300 else msg[:297] + "..."


def _rule_description(schema, schema_path):
    """The "description" of the innermost allOf rule (if/then) that produced
    an error, following local "$ref"s along the schema path."""
    def resolve(ref):
        target = schema
        for part in ref[2:].split("/"):
            target = target[part]
        return target

    node, prev, found = schema, None, None
    try:
        for key in schema_path:
            # jsonschema 4.10 omits "$ref" from schema paths (newer versions
            # include it): follow a reference whenever the key is not here.
            while isinstance(node, dict) and key not in node and \
                    str(node.get("$ref", "")).startswith("#/"):
                node = resolve(node["$ref"])
            if key == "$ref":
                node = resolve(node["$ref"])
            else:
                node = node[key]
            if prev == "allOf" and isinstance(node, dict) and "description" in node:
                found = node["description"]
            prev = key
    except (KeyError, IndexError, TypeError):
        return found
    return found


def _leaf_errors(err):
    """oneOf/anyOf failures only say "is not valid under any of the given
    schemas". Descend into the branch the instance was meant for: drop
    branches that fail on a discriminator (a "const", or the instance's own
    "type"), then report every error of the most relevant remaining branch."""
    if not err.context:
        return [err]
    branches = {}
    for e in err.context:
        branches.setdefault(e.relative_schema_path[0], []).append(e)

    def mismatched(errs):
        return any(e.validator == "const" or
                   (e.validator == "type" and not e.relative_path) for e in errs)

    candidates = [b for b in branches.values() if not mismatched(b)]
    if len(candidates) != 1:
        return [best_match(err.context)] if not candidates else [err]
    out = []
    for e in candidates[0]:
        out.extend(_leaf_errors(e))
    return out

def schema_errors(validator, doc):
    out = []
    for err in validator.iter_errors(doc):
        for leaf in _leaf_errors(err):
            msg = "schema: " + _message(leaf)
            rule = _rule_description(validator.schema, leaf.absolute_schema_path)
            if rule:
                msg += " [rule: %s]" % rule
            out.append((list(leaf.absolute_path), msg))
    out.sort(key=lambda e: (json_path(e[0]), e[1]))
    return out


# --------------------------------------------------------------------------
# pass 2: consistency

def consistency_errors(doc):
    errs = []

    def err(path, msg):
        errs.append((list(path), msg))

    # -- timestamps
    started = parse_timestamp(doc["startedAt"])
    finished = parse_timestamp(doc["finishedAt"])
    if started is None:
        err(["startedAt"], "not a valid RFC 3339 UTC date-time: %s" % json.dumps(doc["startedAt"]))
    if finished is None:
        err(["finishedAt"], "not a valid RFC 3339 UTC date-time: %s" % json.dumps(doc["finishedAt"]))
    if started is not None and finished is not None and finished < started:
        err(["finishedAt"], "finishedAt %s is before startedAt %s"
            % (doc["finishedAt"], doc["startedAt"]))

    # -- complete / errors
    if doc["complete"] is False and not doc["errors"]:
        err(["errors"], "complete is false but errors is empty")

    # -- namespaces: unique names
    ns_index = {}
    for i, ns in enumerate(doc["namespaces"]):
        if ns["name"] in ns_index:
            err(["namespaces", i, "name"], "duplicate namespace %s (first at %s)"
                % (json.dumps(ns["name"]), json_path(["namespaces", ns_index[ns["name"]]])))
        else:
            ns_index[ns["name"]] = i

    # -- source scope
    src = doc["source"]
    scope = src.get("namespace") if src["kind"] == "cluster" else None
    if scope is not None:
        for i, ns in enumerate(doc["namespaces"]):
            if ns["name"] != scope:
                err(["namespaces", i, "name"], "namespace %s outside the scanned namespace %s"
                    % (json.dumps(ns["name"]), json.dumps(scope)))

    # -- pods
    ns_total = {}
    ns_fail = {}
    for i, pod in enumerate(doc["pods"]):
        p = ["pods", i]
        name = pod["namespace"]
        if name not in ns_index:
            err(p + ["namespace"], "pod namespace %s does not appear in namespaces[]"
                % json.dumps(name))
        if scope is not None and name != scope:
            err(p + ["namespace"], "pod namespace %s outside the scanned namespace %s"
                % (json.dumps(name), json.dumps(scope)))
        ns_total[name] = ns_total.get(name, 0) + 1
        if pod["verdict"] == "FAIL":
            ns_fail[name] = ns_fail.get(name, 0) + 1

        cverdicts = [c["verdict"] for c in pod["containers"]]
        windows = [c["reason"] == "WINDOWS_POD" for c in pod["containers"]]
        if any(windows) and not all(windows):
            j = windows.index(False) if windows[0] else windows.index(True)
            err(p + ["containers", j, "reason"],
                "WINDOWS_POD is a pod-wide condition: either every container of the "
                "pod has it or none does")

        for j, c in enumerate(pod["containers"]):
            if (c["verdict"] == "EXEMPT") != (c.get("exemption") is not None):
                err(p + ["containers", j, "exemption"],
                    "an exemption goes with verdict EXEMPT, and only with it")
        if pod["reason"] is not None:
            expected = "FAIL"
            why = "pod reason is %s" % pod["reason"]
        elif "FAIL" in cverdicts:
            expected = "FAIL"
            why = "container %d is FAIL" % cverdicts.index("FAIL")
        elif "EXEMPT" in cverdicts:
            expected = "EXEMPT"
            why = "container %d is EXEMPT and none FAILs" % cverdicts.index("EXEMPT")
        elif all(v == "NOT_APPLICABLE" for v in cverdicts):
            # rules.md: "NOT_APPLICABLE if all containers are NOT_APPLICABLE"
            # and "A Windows pod with no containers is NOT_APPLICABLE" (a
            # Linux pod with none carries reason NO_CONTAINERS, handled above).
            expected = "NOT_APPLICABLE"
            why = ("no containers and no pod reason (Windows pod)" if not cverdicts
                   else "every container is NOT_APPLICABLE")
        else:
            expected = "PASS"
            why = "no container FAIL and not all NOT_APPLICABLE"
        if pod["verdict"] != expected:
            err(p + ["verdict"], "pod verdict %s, expected %s (%s)"
                % (pod["verdict"], expected, why))

    # -- namespaces: counts and policy derivation
    for i, ns in enumerate(doc["namespaces"]):
        p = ["namespaces", i]
        name = ns["name"]
        if ns_index.get(name) != i:
            continue  # duplicate, already reported
        total = ns_total.get(name, 0)
        fail = ns_fail.get(name, 0)
        if ns["pods"]["total"] != total:
            err(p + ["pods", "total"], "is %d, but pods[] holds %d pod(s) in namespace %s"
                % (ns["pods"]["total"], total, json.dumps(name)))
        if ns["pods"]["fail"] != fail:
            err(p + ["pods", "fail"], "is %d, but pods[] holds %d FAIL pod(s) in namespace %s"
                % (ns["pods"]["fail"], fail, json.dumps(name)))
        errs.extend(namespace_policy_errors(ns, p, total, src))

    # -- summary
    def tally(items, keymap):
        counts = {k: 0 for k in keymap.values()}
        for it in items:
            counts[keymap[it["verdict"]]] += 1
        counts["total"] = len(items)
        return counts

    containers = [c for pod in doc["pods"] for c in pod["containers"]]
    recomputed = {
        "namespaces": tally(doc["namespaces"], {"PASS": "pass", "FAIL": "fail",
                                                "UNKNOWN": "unknown"}),
        "pods": tally(doc["pods"], {"PASS": "pass", "FAIL": "fail",
                                    "NOT_APPLICABLE": "notApplicable", "EXEMPT": "exempt"}),
        "containers": tally(containers, {"PASS": "pass", "FAIL": "fail",
                                         "NOT_APPLICABLE": "notApplicable",
                                         "EXEMPT": "exempt"}),
    }
    for section, counts in recomputed.items():
        have = doc["summary"][section]
        for key, want in counts.items():
            if key not in have:
                if want:  # only the optional "exempt" can be absent
                    err(["summary", section],
                        "has no %r count, but %d item(s) are %s"
                        % (key, want, key.upper()))
                continue
            if have[key] != want:
                err(["summary", section, key], "is %d, recomputed %d" % (have[key], want))
    return errs


def namespace_policy_errors(ns, p, pod_total, src):
    """rules.md "Namespaces": labels -> effective policy -> verdict/reason/flags."""
    errs = []

    def err(path, msg):
        errs.append((list(path), msg))

    ps = ns["podSecurity"]
    flags = set(ns["flags"])
    level = ps["enforce"]["level"]
    version = ps["enforce"]["version"]
    eff = ps["effective"]

    if ns["verdict"] == "UNKNOWN":
        # The namespace object was not in the input: only its name is known.
        if pod_total == 0:
            err(p, "UNKNOWN (NAMESPACE_NOT_IN_INPUT) namespace is not named by any pod")
        if ns["uid"] is not None:
            err(p + ["uid"], "namespace not in the input cannot have a uid")
        for mode in ("enforce", "audit", "warn"):
            for key in ("level", "version"):
                if ps[mode][key] is not None:
                    err(p + ["podSecurity", mode, key],
                        "namespace not in the input cannot have labels")
        return errs  # schema already forces reason, flags == [] and effective == null

    ep = p + ["podSecurity", "effective"]

    # level label
    if level is None:
        if "INVALID_LEVEL" in flags:
            err(p + ["flags"], "INVALID_LEVEL set but the enforce level label is missing")
    elif level in PSA_LEVELS:
        if "INVALID_LEVEL" in flags:
            err(p + ["flags"], "INVALID_LEVEL set but enforce level %s is valid" % json.dumps(level))
        if eff["level"] != level:
            err(ep + ["level"], "is %s, but the enforce level label is %s"
                % (json.dumps(eff["level"]), json.dumps(level)))
    else:
        if "INVALID_LEVEL" not in flags:
            err(p + ["flags"], "enforce level %s is invalid but INVALID_LEVEL is not set"
                % json.dumps(level))
        if eff["level"] != "restricted":
            err(ep + ["level"], "is %s, but an invalid enforce level counts as \"restricted\""
                % json.dumps(eff["level"]))

    # version label
    if version is None:
        if "INVALID_VERSION" in flags:
            err(p + ["flags"], "INVALID_VERSION set but the enforce-version label is missing")
    elif psa_version_valid(version):
        if "INVALID_VERSION" in flags:
            err(p + ["flags"], "INVALID_VERSION set but enforce-version %s is valid"
                % json.dumps(version))
        if eff["version"] != version:
            # shared/domain/semantics.md mentions clamping v1.N to the server
            # minor; rules.md does not. Tolerate a lower minor from a cluster.
            lab = psa_version_minor(version)
            got = psa_version_minor(eff["version"])
            clamped = (src["kind"] == "cluster" and lab is not None and got is not None
                       and got < lab)
            if not clamped:
                err(ep + ["version"], "is %s, but the enforce-version label is %s"
                    % (json.dumps(eff["version"]), json.dumps(version)))
    else:
        if "INVALID_VERSION" not in flags:
            err(p + ["flags"], "enforce-version %s is invalid but INVALID_VERSION is not set"
                % json.dumps(version))
        if eff["version"] != "latest":
            err(ep + ["version"], "is %s, but an invalid enforce-version counts as \"latest\""
                % json.dumps(eff["version"]))

    # DEFAULTED: level missing, or version missing and the default version is
    # not "latest" (then the effective version is that default).
    want_defaulted = level is None or (version is None and eff["version"] != "latest")
    if want_defaulted and "DEFAULTED" not in flags:
        err(p + ["flags"], "DEFAULTED not set, but %s"
            % ("the enforce level label is missing" if level is None else
               "enforce-version is missing and the effective version %s is not \"latest\""
               % json.dumps(eff["version"])))
    if not want_defaulted and "DEFAULTED" in flags:
        err(p + ["flags"], "DEFAULTED set, but the enforce level label is present and "
            "the version is not a non-latest default")

    # verdict and reason
    if restricted_passes(eff):
        want = ("PASS", "ENFORCE_RESTRICTED")
    elif level is None:
        want = ("FAIL", "UNLABELLED")
    elif eff["level"] == "restricted":
        want = ("FAIL", "RESTRICTED_BEFORE_V1_22")
    elif eff["level"] == "baseline":
        want = ("FAIL", "ENFORCE_BASELINE")
    else:
        want = ("FAIL", "ENFORCE_PRIVILEGED")
    got = (ns["verdict"], ns["reason"])
    adm = ns.get("admission")
    if adm is not None:
        # --probe-admission: the labels' reading is kept apart; a PASS or
        # FAIL probe decides the namespace, an UNKNOWN one leaves the labels
        label = (adm["labelVerdict"], adm["labelReason"])
        if adm["verdict"] in ("PASS", "FAIL"):
            if got != (adm["verdict"], adm["reason"]):
                err(p + ["verdict"], "verdict/reason %s/%s, but the admission probe says %s/%s"
                    % (got + (adm["verdict"], adm["reason"])))
        elif got != label:
            err(p + ["verdict"], "verdict/reason %s/%s, but an inconclusive probe must leave "
                "the label reading %s/%s" % (got + label))
        for pr in adm["probes"]:
            if pr["admitted"] != (pr["outcome"] == "ADMITTED"):
                err(p + ["admission"], "probe %s: admitted and outcome disagree" % pr["name"])
        if adm["verdict"] == "PASS" and any(
                pr["name"] == "control" and not pr["admitted"] for pr in adm["probes"]):
            err(p + ["admission"], "PASS although the compliant control probe was not admitted")
        got = label
    if got != want:
        err(p + ["verdict"], "verdict/reason %s/%s, expected %s/%s for effective policy %s:%s%s"
            % (got[0], got[1], want[0], want[1], eff["level"], eff["version"],
               " with the level label missing" if level is None else ""))
    return errs


def check_document(validator, doc):
    """All problems with one parsed report, as (path list, message) pairs."""
    errs = schema_errors(validator, doc)
    if errs:
        return errs
    return consistency_errors(doc)


def check_file(validator, path):
    try:
        if path == "-":
            text = sys.stdin.read()
        else:
            with open(path, "r", encoding="utf-8") as f:
                text = f.read()
    except (OSError, UnicodeDecodeError) as e:
        return [([], "cannot read: %s" % e)]
    try:
        doc = load_json_strict(text)
    except (ValueError, RecursionError) as e:
        return [([], "invalid JSON: %s" % e)]
    return check_document(validator, doc)


def load_validator(schema_path):
    with open(schema_path, "r", encoding="utf-8") as f:
        schema = json.load(f)
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


# --------------------------------------------------------------------------
# self-test

def _container(name, ctype, verdict, reason, flags=(), message=None):
    return {"name": name, "type": ctype, "verdict": verdict, "reason": reason,
            "flags": list(flags), "message": message or ("%s: %s" % (verdict, reason)),
            "exemption": None}


def _ns(name, verdict, reason, flags, enforce, effective, total, fail, uid="uid-" + "x"):
    return {"name": name, "uid": uid, "verdict": verdict, "reason": reason,
            "flags": list(flags),
            "podSecurity": {"enforce": {"level": enforce[0], "version": enforce[1]},
                            "audit": {"level": None, "version": None},
                            "warn": {"level": None, "version": None},
                            "effective": (None if effective is None else
                                          {"level": effective[0], "version": effective[1]})},
            "pods": {"total": total, "fail": fail}}


def base_report():
    """A small valid report covering each verdict (file source)."""
    pods = [
        {"namespace": "default", "name": "web", "uid": "u-web", "verdict": "PASS",
         "reason": None, "hostNetwork": False,
         "containers": [_container("init", "initContainer", "PASS", "DROP_ALL"),
                        _container("app", "container", "PASS", "DROP_NET_RAW",
                                   ["NON_CANONICAL_NAME"])]},
        {"namespace": "default", "name": "debug", "uid": "u-debug", "verdict": "FAIL",
         "reason": None, "hostNetwork": True,
         "containers": [_container("app", "container", "FAIL", "ADD_NET_RAW",
                                   ["HOST_NETWORK", "RUNTIME_DEPENDENT"]),
                        _container("dbg", "ephemeralContainer", "PASS", "DROP_ALL",
                                   ["HOST_NETWORK", "NON_CANONICAL_NAME",
                                    "PSA_RESTRICTED_REJECTS"])]},
        {"namespace": "win", "name": "iis", "uid": "u-iis", "verdict": "NOT_APPLICABLE",
         "reason": None, "hostNetwork": False,
         "containers": [_container("iis", "container", "NOT_APPLICABLE", "WINDOWS_POD")]},
        {"namespace": "gone", "name": "broken", "uid": None, "verdict": "FAIL",
         "reason": "MALFORMED", "hostNetwork": False, "containers": []},
    ]
    namespaces = [
        _ns("default", "FAIL", "UNLABELLED", ["DEFAULTED"], (None, None),
            ("privileged", "latest"), 2, 1),
        _ns("win", "PASS", "ENFORCE_RESTRICTED", ["INVALID_VERSION"],
            ("restricted", "v1.x"), ("restricted", "latest"), 1, 0),
        _ns("gone", "UNKNOWN", "NAMESPACE_NOT_IN_INPUT", [], (None, None), None, 1, 1,
            uid=None),
    ]
    return {
        "schemaVersion": "kubecapscan/v1",
        "tool": {"name": "kubecapscan", "version": "0.1.0"},
        "control": {"benchmark": "CIS Kubernetes Benchmark", "version": "v1.8.0",
                    "id": "5.2.8",
                    "title": "Minimize the admission of containers with the NET_RAW capability"},
        "startedAt": "2026-11-23T10:00:00Z",
        "source": {"kind": "file", "clusterName": None, "files": ["pods.json", "-"],
                   "excludeNamespaces": []},
        "pods": pods,
        "namespaces": namespaces,
        "summary": {"namespaces": {"total": 3, "pass": 1, "fail": 1, "unknown": 1},
                    "pods": {"total": 4, "pass": 1, "fail": 2, "notApplicable": 1,
                             "exempt": 0},
                    "containers": {"total": 5, "pass": 3, "fail": 1, "notApplicable": 1,
                                   "exempt": 0}},
        "exemptions": {"file": None, "allowAnnotations": False, "entries": [],
                       "annotations": {"applied": 0, "ignored": 0, "expired": 0,
                                       "invalid": 0}},
        "complete": True,
        "errors": [],
        "warnings": [],
        "finishedAt": "2026-11-23T10:00:01.25Z",
    }


def _cluster(r, namespace=None):
    r["source"] = {"kind": "cluster", "clusterName": "prod-eu",
                   "server": "https://10.0.0.1:6443", "context": "prod",
                   "serverVersion": "v1.31.2", "clusterId": None,
                   "resourceVersion": "12345", "snapshotConsistent": True,
                   "namespace": namespace, "excludeNamespaces": [],
                   "labelSelector": None, "fieldSelector": None}


def _win_empty(r):
    # Windows pod without containers: NOT_APPLICABLE (rules.md).
    r["pods"].append({"namespace": "win", "name": "empty", "uid": None,
                      "verdict": "NOT_APPLICABLE", "reason": None, "hostNetwork": False,
                      "containers": []})
    r["namespaces"][1]["pods"]["total"] = 2
    r["summary"]["pods"]["total"] = 5
    r["summary"]["pods"]["notApplicable"] = 2


def _exempt(r):
    c = r["pods"][1]["containers"][0]  # the FAIL container of the debug pod
    c["verdict"] = "EXEMPT"
    c["exemption"] = {"source": "file", "reason": "sniffer for SEC-1",
                      "expires": "2099-01-01", "line": 3}
    r["pods"][1]["verdict"] = "EXEMPT"
    r["namespaces"][0]["pods"]["fail"] = 0
    r["summary"]["pods"].update(fail=1, exempt=1)
    r["summary"]["containers"].update(fail=0, exempt=1)


def _set(path, value):
    def f(r):
        obj = r
        for k in path[:-1]:
            obj = obj[k]
        obj[path[-1]] = value
    return f


def _delete(path):
    def f(r):
        obj = r
        for k in path[:-1]:
            obj = obj[k]
        del obj[path[-1]]
    return f


def _all(*fs):
    def f(r):
        for g in fs:
            g(r)
    return f


VALID_CASES = [
    ("base", lambda r: None),
    ("cluster source, all namespaces", lambda r: _cluster(r)),
    ("incomplete with an error", _all(
        _set(["complete"], False),
        _set(["errors"], [{"code": "HTTP", "message": "GET /api/v1/pods: 503",
                           "source": "https://10.0.0.1:6443", "httpStatus": 503}]))),
    ("complete with a warning and equal timestamps", _all(
        _set(["warnings"], ["namespace gone not in input"]),
        _set(["finishedAt"], "2026-11-23T10:00:00.000Z"))),
    ("Windows pod with no containers", _win_empty),
    ("reserved EXEMPT with exempt counts", _exempt),
    ("restricted v1.22 passes", _all(
        _set(["namespaces", 1, "flags"], []),
        _set(["namespaces", 1, "podSecurity", "enforce", "version"], "v1.22"),
        _set(["namespaces", 1, "podSecurity", "effective", "version"], "v1.22"))),
    ("restricted v1.21 fails", _all(
        _set(["namespaces", 1, "flags"], []),
        _set(["namespaces", 1, "verdict"], "FAIL"),
        _set(["namespaces", 1, "reason"], "RESTRICTED_BEFORE_V1_22"),
        _set(["namespaces", 1, "podSecurity", "enforce", "version"], "v1.21"),
        _set(["namespaces", 1, "podSecurity", "effective", "version"], "v1.21"),
        _set(["summary", "namespaces", "pass"], 0),
        _set(["summary", "namespaces", "fail"], 2))),
    ("invalid level counts as restricted", _all(
        _set(["namespaces", 1, "flags"], ["INVALID_LEVEL", "INVALID_VERSION"]),
        _set(["namespaces", 1, "podSecurity", "enforce", "level"], "Restricted"))),
    ("defaulted version restricted:v1.25", _all(
        _set(["namespaces", 1, "flags"], ["DEFAULTED"]),
        _set(["namespaces", 1, "podSecurity", "enforce", "version"], None),
        _set(["namespaces", 1, "podSecurity", "effective", "version"], "v1.25"))),
]

INVALID_CASES = [
    # (name, mutation, substring expected in some error line)
    ("wrong schemaVersion", _set(["schemaVersion"], "kubecapscan/v2"), "$.schemaVersion"),
    ("extra top-level key", _set(["extra"], 1), "'extra' was unexpected"),
    ("extra container key", _set(["pods", 0, "containers", 0, "x"], 1),
     "$.pods[0].containers[0]: schema"),
    ("missing finishedAt", _delete(["finishedAt"]), "'finishedAt' is a required"),
    ("timestamp with offset", _set(["startedAt"], "2026-11-23T10:00:00+00:00"), "$.startedAt"),
    ("timestamp with trailing newline", _set(["startedAt"], "2026-11-23T10:00:00Z\n"),
     "$.startedAt"),
    ("impossible date", _set(["startedAt"], "2026-02-30T10:00:00Z"), "$.startedAt"),
    ("finished before started", _set(["finishedAt"], "2026-11-23T09:59:59.999Z"),
     "$.finishedAt: finishedAt"),
    ("unknown verdict", _set(["pods", 0, "verdict"], "OK"), "$.pods[0].verdict"),
    ("PASS container with FAIL reason", _set(["pods", 0, "containers", 0, "reason"],
                                             "PRIVILEGED"), "$.pods[0].containers[0].reason"),
    ("FAIL container with PASS reason", _set(["pods", 1, "containers", 0, "reason"],
                                             "DROP_ALL"), "$.pods[1].containers[0]"),
    ("NOT_APPLICABLE container with other reason",
     _set(["pods", 2, "containers", 0, "reason"], "DROP_ALL"), "$.pods[2].containers[0].reason"),
    ("duplicate flag", _set(["pods", 0, "containers", 1, "flags"],
                            ["NON_CANONICAL_NAME", "NON_CANONICAL_NAME"]),
     "$.pods[0].containers[1].flags"),
    ("unknown flag", _set(["pods", 0, "containers", 1, "flags"], ["WEIRD"]),
     "$.pods[0].containers[1].flags[0]"),
    ("HOST_NETWORK missing on hostNetwork pod",
     _set(["pods", 1, "containers", 0, "flags"], ["RUNTIME_DEPENDENT"]),
     "$.pods[1].containers[0].flags"),
    ("HOST_NETWORK on non-hostNetwork pod",
     _set(["pods", 0, "containers", 0, "flags"], ["HOST_NETWORK"]),
     "$.pods[0].containers[0].flags"),
    ("RUNTIME_DEPENDENT on PASS", _set(["pods", 0, "containers", 0, "flags"],
                                       ["RUNTIME_DEPENDENT"]), "$.pods[0].containers[0]"),
    ("PSA_RESTRICTED_REJECTS without NON_CANONICAL_NAME",
     _set(["pods", 1, "containers", 1, "flags"], ["HOST_NETWORK", "PSA_RESTRICTED_REJECTS"]),
     "$.pods[1].containers[1].flags"),
    ("pod reason with PASS verdict", _all(
        _set(["pods", 0, "reason"], "MALFORMED")), "$.pods[0].verdict"),
    ("NO_CONTAINERS with containers", _set(["pods", 0, "reason"], "NO_CONTAINERS"),
     "$.pods[0]"),
    ("negative count", _set(["summary", "pods", "fail"], -1), "$.summary.pods.fail"),
    ("non-integer count", _set(["summary", "pods", "fail"], 2.5), "$.summary.pods.fail"),
    ("unknown summary key", _set(["summary", "pods", "skipped"], 0), "'skipped' was unexpected"),
    ("bad error code", _set(["errors"], [{"code": "OOPS", "message": "x", "source": None,
                                          "httpStatus": None}]), "$.errors[0].code"),
    ("incomplete without errors", _set(["complete"], False), "$.errors"),
    ("cluster source missing field", _all(lambda r: _cluster(r),
                                          _delete(["source", "clusterId"])), "clusterId"),
    ("file source with cluster field", _set(["source", "server"], "https://x"), "$.source"),
    ("effective non-null on UNKNOWN", _set(["namespaces", 2, "podSecurity", "effective"],
                                           {"level": "privileged", "version": "latest"}),
     "$.namespaces[2].podSecurity.effective"),
    ("effective null on FAIL", _set(["namespaces", 0, "podSecurity", "effective"], None),
     "$.namespaces[0].podSecurity.effective"),
    ("PASS namespace with FAIL reason", _set(["namespaces", 1, "reason"], "ENFORCE_BASELINE"),
     "$.namespaces[1]"),
    # consistency pass
    ("summary pods.fail off by one", _set(["summary", "pods", "fail"], 3),
     "$.summary.pods.fail: is 3, recomputed 2"),
    ("summary pods.total off", _set(["summary", "pods", "total"], 5),
     "$.summary.pods.total"),
    ("summary containers.pass off", _set(["summary", "containers", "pass"], 2),
     "$.summary.containers.pass"),
    ("summary namespaces.unknown off", _set(["summary", "namespaces", "unknown"], 0),
     "$.summary.namespaces.unknown"),
    ("EXEMPT without exempt count", _all(_exempt, _delete(["summary", "pods", "exempt"])),
     "$.summary.pods: schema: 'exempt' is a required property"),
    ("pod PASS with a FAIL container", _all(
        _set(["pods", 1, "verdict"], "PASS"),
        _set(["namespaces", 0, "pods", "fail"], 0),
        _set(["summary", "pods", "pass"], 2), _set(["summary", "pods", "fail"], 1)),
     "$.pods[1].verdict: pod verdict PASS, expected FAIL"),
    ("pod FAIL without cause", _all(
        _set(["pods", 0, "verdict"], "FAIL"),
        _set(["namespaces", 0, "pods", "fail"], 2),
        _set(["summary", "pods", "pass"], 0), _set(["summary", "pods", "fail"], 3)),
     "$.pods[0].verdict: pod verdict FAIL, expected PASS"),
    ("pod PASS with only NOT_APPLICABLE containers", _all(
        _set(["pods", 2, "verdict"], "PASS"),
        _set(["summary", "pods", "pass"], 2), _set(["summary", "pods", "notApplicable"], 0)),
     "$.pods[2].verdict: pod verdict PASS, expected NOT_APPLICABLE"),
    ("WINDOWS_POD on only some containers", _all(
        lambda r: r["pods"][2]["containers"].append(
            _container("side", "container", "PASS", "DROP_ALL")),
        _set(["pods", 2, "verdict"], "PASS"),
        _set(["summary", "pods", "pass"], 2), _set(["summary", "pods", "notApplicable"], 0),
        _set(["summary", "containers", "total"], 6), _set(["summary", "containers", "pass"], 4)),
     "pod-wide condition"),
    ("namespace pods.total off", _set(["namespaces", 0, "pods", "total"], 3),
     "$.namespaces[0].pods.total"),
    ("namespace pods.fail off", _set(["namespaces", 0, "pods", "fail"], 0),
     "$.namespaces[0].pods.fail"),
    ("pod namespace not listed", _set(["pods", 3, "namespace"], "nowhere"),
     "$.pods[3].namespace: pod namespace \"nowhere\" does not appear"),
    ("duplicate namespace", lambda r: r["namespaces"].append(copy.deepcopy(r["namespaces"][0])),
     "$.namespaces[3].name: duplicate namespace"),
    ("UNKNOWN namespace without pods", _all(
        _set(["pods", 3, "namespace"], "default"),
        _set(["namespaces", 0, "pods", "total"], 3), _set(["namespaces", 0, "pods", "fail"], 2),
        _set(["namespaces", 2, "pods", "total"], 0), _set(["namespaces", 2, "pods", "fail"], 0)),
     "not named by any pod"),
    ("UNKNOWN namespace with labels",
     _set(["namespaces", 2, "podSecurity", "audit", "level"], "baseline"),
     "$.namespaces[2].podSecurity.audit.level"),
    ("cluster scope violated", lambda r: _cluster(r, "default"),
     "outside the scanned namespace"),
    ("UNLABELLED without DEFAULTED", _set(["namespaces", 0, "flags"], []),
     "$.namespaces[0].flags"),
    ("defaulted version without DEFAULTED", _all(
        _set(["namespaces", 1, "flags"], []),
        _set(["namespaces", 1, "podSecurity", "enforce", "version"], None),
        _set(["namespaces", 1, "podSecurity", "effective", "version"], "v1.25")),
     "$.namespaces[1].flags: DEFAULTED not set"),
    ("DEFAULTED without cause", _set(["namespaces", 1, "flags"],
                                     ["INVALID_VERSION", "DEFAULTED"]),
     "$.namespaces[1].flags: DEFAULTED set"),
    ("invalid version without flag", _set(["namespaces", 1, "flags"], []),
     "INVALID_VERSION is not set"),
    ("effective level differs from label", _all(
        _set(["namespaces", 1, "podSecurity", "enforce", "level"], "baseline")),
     "$.namespaces[1].podSecurity.effective.level"),
    ("version overflowing int64 is invalid", _all(
        _set(["namespaces", 1, "podSecurity", "enforce", "version"], "v1.9223372036854775808"),
        _set(["namespaces", 1, "flags"], [])),
     "INVALID_VERSION is not set"),
    ("unlabelled privileged reported as ENFORCE_PRIVILEGED",
     _set(["namespaces", 0, "reason"], "ENFORCE_PRIVILEGED"), "$.namespaces[0]"),
]


def self_test(validator):
    failures = 0

    def problems(doc):
        return ["%s: %s" % (json_path(p), m) for p, m in check_document(validator, doc)]

    for name, mutate in VALID_CASES:
        r = base_report()
        mutate(r)
        got = problems(r)
        if got:
            failures += 1
            print("FAIL valid case %r rejected:" % name)
            for line in got:
                print("    " + line)
    for name, mutate, expect in INVALID_CASES:
        r = base_report()
        mutate(r)
        got = problems(r)
        if not got:
            failures += 1
            print("FAIL invalid case %r accepted" % name)
        elif not any(expect in line for line in got):
            failures += 1
            print("FAIL invalid case %r rejected for another reason (wanted %r):"
                  % (name, expect))
            for line in got:
                print("    " + line)

    # strict JSON loading
    for name, text, expect in [
            ("duplicate key", '{"a": 1, "a": 2}', "duplicate object key"),
            ("NaN", '{"a": NaN}', "non-standard JSON constant")]:
        try:
            load_json_strict(text)
            failures += 1
            print("FAIL strict JSON case %r accepted" % name)
        except StrictJSONError as e:
            if expect not in str(e):
                failures += 1
                print("FAIL strict JSON case %r: %s" % (name, e))

    if os.path.exists(SAMPLE_REPORT):
        got = check_file(validator, SAMPLE_REPORT)
        if got:
            failures += 1
            print("FAIL sample report %s rejected:" % SAMPLE_REPORT)
            for p, m in got:
                print("    %s: %s" % (json_path(p), m))
        n_sample = 1
    else:
        n_sample = 0

    total = len(VALID_CASES) + len(INVALID_CASES) + 2 + n_sample
    if failures:
        print("self-test: %d of %d case(s) failed" % (failures, total))
        return 1
    print("self-test: ok (%d valid, %d invalid, 2 strict-JSON, %d sample)"
          % (len(VALID_CASES), len(INVALID_CASES), n_sample))
    return 0


# --------------------------------------------------------------------------

def main(argv=None):
    ap = argparse.ArgumentParser(
        description="Validate kubecapscan JSON reports against the v1 schema and "
                    "the consistency rules of docs/rules.md.")
    ap.add_argument("--schema", default=DEFAULT_SCHEMA,
                    help="schema file (default: %(default)s)")
    ap.add_argument("--self-test", action="store_true",
                    help="check the checker against built-in valid and invalid reports")
    ap.add_argument("reports", nargs="*", metavar="REPORT.json",
                    help='report files ("-" for standard input)')
    args = ap.parse_args(argv)
    if not args.self_test and not args.reports:
        ap.error("no report given (or use --self-test)")

    try:
        validator = load_validator(args.schema)
    except (OSError, ValueError, jsonschema.exceptions.SchemaError) as e:
        print("error: %s: cannot load schema: %s" % (args.schema, e))
        return 1

    status = 0
    if args.self_test:
        status = self_test(validator)
    for path in args.reports:
        errs = check_file(validator, path)
        if errs:
            status = 1
            for p, m in errs:
                print("error: %s: %s: %s" % (path, json_path(p), m))
        else:
            print("ok: %s" % path)
    return status


if __name__ == "__main__":
    sys.exit(main())
