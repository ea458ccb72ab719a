#!/usr/bin/env python3
"""kubeapi.py - a small kube-apiserver look-alike for kubecapscan's tests.

Python 3.11 standard library only, plus the `openssl` command-line tool to
generate certificates at start-up.  See README.md beside this file for the
start-up contract, the users and their rights, and the fault grammar.

It serves read-only pods, namespaces, nodes (and any other `XList` found in
the data directory) over HTTPS with client-certificate and static-token
authentication, kube-apiserver's Status bodies, list paging with consistent
snapshots and kube-apiserver's continue-token format, label and field
selectors, PartialObjectMetadataList and Table output, legacy discovery,
SelfSubjectAccessReview, gzip above 128 KiB and injectable faults.
"""

import argparse
import base64
import bisect
import csv
import datetime
import fnmatch
import gzip
import hashlib
import json
import os
import random
import re
import secrets
import shutil
import signal
import socket
import ssl
import struct
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

GZIP_THRESHOLD = 128 * 1024  # kube-apiserver's defaultGzipThresholdBytes
CA_CN = "kubeapi-test-ca"
OTHER_CA_CN = "kubeapi-other-ca"

EXPIRED_MSG = "The resourceVersion for the provided list is too old."
INCONSISTENT_CONTINUE_MSG = (
    "The provided continue parameter is too old to display a consistent list result. "
    "You can start a new list without the continue parameter, or use the continue token in this "
    "response to retrieve the remainder of the results. Continuing with the provided token results "
    "in an inconsistent list - objects that were created, modified, or deleted between the time the "
    "first chunk was returned and now may show up in the list.")

# code -> (reason, default message) as apimachinery's errors package builds them
STATUS_REASONS = {
    400: ("BadRequest", "the server rejected our request for an unknown reason"),
    401: ("Unauthorized", "Unauthorized"),
    403: ("Forbidden", "forbidden"),
    404: ("NotFound", "the server could not find the requested resource"),
    405: ("MethodNotAllowed", "the server does not allow this method on the requested resource"),
    406: ("NotAcceptable", "the server was unable to respond with a content type that the client supports"),
    409: ("Conflict", "the server reported a conflict"),
    410: ("Expired", EXPIRED_MSG),
    413: ("RequestEntityTooLarge", "the request entity is too large"),
    415: ("UnsupportedMediaType", "the server does not support the media type of the request"),
    422: ("Invalid", "the server rejected our request due to an error in our request"),
    429: ("TooManyRequests", "Too many requests, please try again later."),
    500: ("InternalError", "Internal error occurred: injected fault"),
    503: ("ServiceUnavailable", "the server is currently unable to handle the request"),
    504: ("Timeout", "the server was unable to return a response in the time allotted, "
                     "but may still be processing the request"),
}

HTTP_PHRASES = {200: "OK", 201: "Created", 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden",
                404: "Not Found", 405: "Method Not Allowed", 406: "Not Acceptable", 409: "Conflict",
                410: "Gone", 413: "Request Entity Too Large", 415: "Unsupported Media Type",
                422: "Unprocessable Entity", 429: "Too Many Requests", 500: "Internal Server Error",
                502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout"}


# --------------------------------------------------------------------------
# JSON the way Go's encoding/json writes it (compact, HTML characters escaped)
# --------------------------------------------------------------------------

def go_escape(s):
    if "<" in s or ">" in s or "&" in s or "\u2028" in s or "\u2029" in s:
        s = (s.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
             .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))
    return s


def go_json(obj):
    return go_escape(json.dumps(obj, separators=(",", ":"), ensure_ascii=False))


def status_obj(code, message=None, reason=None, details=None, list_meta=None):
    r, m = STATUS_REASONS.get(code, ("", ""))
    d = {"kind": "Status", "apiVersion": "v1", "metadata": list_meta or {}, "status": "Failure"}
    msg = m if message is None else message
    if msg:
        d["message"] = msg
    rs = r if reason is None else reason
    if rs:
        d["reason"] = rs
    if details is not None:
        d["details"] = details
    d["code"] = code
    return d


def rfc3339(ts):
    return datetime.datetime.fromtimestamp(int(ts), datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_rfc3339(s):
    try:
        return datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").replace(
            tzinfo=datetime.timezone.utc).timestamp()
    except (TypeError, ValueError):
        return None


def human_duration(secs):
    """kube's duration.HumanDuration, close enough."""
    secs = max(0, int(secs))
    if secs < 120:
        return "%ds" % secs
    m = secs // 60
    if m < 10:
        return "%dm%ds" % (m, secs % 60) if secs % 60 else "%dm" % m
    if m < 180:
        return "%dm" % m
    h = secs // 3600
    if h < 8:
        return "%dh%dm" % (h, m % 60) if m % 60 else "%dh" % h
    if h < 48:
        return "%dh" % h
    if h < 24 * 8:
        return "%dd%dh" % (h // 24, h % 24) if h % 24 else "%dd" % (h // 24)
    if h < 24 * 365 * 2:
        return "%dd" % (h // 24)
    if h < 24 * 365 * 8:
        return "%dy%dd" % (h // (24 * 365), (h // 24) % 365)
    return "%dy" % (h // (24 * 365))


# --------------------------------------------------------------------------
# Resource types
# --------------------------------------------------------------------------

POD_FIELDS = ("metadata.name", "metadata.namespace", "spec.nodeName", "spec.restartPolicy",
              "spec.schedulerName", "spec.serviceAccountName", "spec.hostNetwork", "status.phase",
              "status.podIP", "status.nominatedNodeName")
BOOL_FIELDS = {"spec.hostNetwork": "false", "spec.unschedulable": "false"}

ALL_VERBS = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]
NS_VERBS = ["create", "delete", "get", "list", "patch", "update", "watch"]

# (group, kind) -> (plural, namespaced, shortNames, categories, selectable fields, storageVersionHash)
KNOWN_KINDS = {
    ("", "Pod"): ("pods", True, ["po"], ["all"], POD_FIELDS, "xPOwRZ+Yhw8="),
    ("", "Namespace"): ("namespaces", False, ["ns"], [], ("metadata.name", "status.phase"), "Q3oi5N2YM8M="),
    ("", "Node"): ("nodes", False, ["no"], [], ("metadata.name", "spec.unschedulable"), "XwShjMxG9Fs="),
    ("", "Service"): ("services", True, ["svc"], ["all"], None, "0/CO1lhkEBI="),
    ("", "ConfigMap"): ("configmaps", True, ["cm"], [], None, "qFsyl6wFWjQ="),
    ("", "Secret"): ("secrets", True, [], [], ("metadata.name", "metadata.namespace", "type"), "S6u1pOWzb84="),
    ("", "ServiceAccount"): ("serviceaccounts", True, ["sa"], [], None, "pbx9ZvyFpBE="),
    ("", "Endpoints"): ("endpoints", True, ["ep"], [], None, "fWeeMqaN/OA="),
    ("", "Event"): ("events", True, ["ev"], [], None, "r2yiGXH7wu8="),
    ("", "PersistentVolume"): ("persistentvolumes", False, ["pv"], [], None, "HN/zwEC+JgM="),
    ("", "PersistentVolumeClaim"): ("persistentvolumeclaims", True, ["pvc"], [], None, "QWTyNDq0dC4="),
    ("", "ReplicationController"): ("replicationcontrollers", True, ["rc"], ["all"], None, "Jond2If31h0="),
    ("", "LimitRange"): ("limitranges", True, ["limits"], [], None, "EBKMFVe6cwo="),
    ("", "ResourceQuota"): ("resourcequotas", True, ["quota"], [], None, "8uhSgffRX6w="),
    ("apps", "Deployment"): ("deployments", True, ["deploy"], ["all"], None, "8aSe+NMegvE="),
    ("apps", "ReplicaSet"): ("replicasets", True, ["rs"], ["all"], None, "P1RzHs8/mWQ="),
    ("apps", "DaemonSet"): ("daemonsets", True, ["ds"], ["all"], None, "dd7pWHUlMKQ="),
    ("apps", "StatefulSet"): ("statefulsets", True, ["sts"], ["all"], None, "H+vl74LkKdo="),
    ("batch", "Job"): ("jobs", True, [], ["all"], None, "mudhfqk/qZY="),
    ("batch", "CronJob"): ("cronjobs", True, ["cj"], ["all"], None, "sd5LIXh4Fjs="),
    ("node.k8s.io", "RuntimeClass"): ("runtimeclasses", False, [], [], None, ""),
    ("", "PodTemplate"): ("podtemplates", True, [], [], None, ""),
}


def plural_of(kind):
    k = kind.lower()
    if k.endswith("s") or k.endswith("x") or k.endswith("ch") or k.endswith("sh"):
        return k + "es"
    if k.endswith("y") and len(k) > 1 and k[-2] not in "aeiou":
        return k[:-1] + "ies"
    return k + "s"


class RType:
    def __init__(self, group, version, kind, namespaced=None):
        self.group, self.version, self.kind = group, version, kind
        known = KNOWN_KINDS.get((group, kind))
        if known:
            self.name, ns, self.short, self.categories, fields, self.svh = known
            self.namespaced = ns if namespaced is None else namespaced
        else:
            self.name = plural_of(kind)
            self.namespaced = bool(namespaced)
            self.short, self.categories, fields, self.svh = [], [], None, ""
        if fields is None:
            fields = ("metadata.name", "metadata.namespace") if self.namespaced else ("metadata.name",)
        self.fields = set(fields)
        self.singular = kind.lower()
        self.verbs = NS_VERBS if self.name == "namespaces" else ALL_VERBS

    @property
    def gv(self):
        return self.version if not self.group else "%s/%s" % (self.group, self.version)

    @property
    def qualified(self):
        return self.name if not self.group else "%s.%s" % (self.name, self.group)


# --------------------------------------------------------------------------
# Items: one stored object.  key is the etcd key below /registry/<resource>/
# --------------------------------------------------------------------------

def walk_field(obj, path):
    cur = obj
    for p in path.split("."):
        if not isinstance(cur, dict):
            return None
        cur = cur.get(p)
    return cur


class DictItem:
    __slots__ = ("key", "ns", "name", "obj", "_full", "_meta")

    def __init__(self, obj, namespaced):
        md = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
        self.obj = obj
        self.name = str(md.get("name", ""))
        self.ns = str(md.get("namespace", "")) if namespaced else ""
        self.key = "%s/%s" % (self.ns, self.name) if namespaced else self.name
        self._full = None
        self._meta = None

    @property
    def labels(self):
        md = self.obj.get("metadata")
        lab = md.get("labels") if isinstance(md, dict) else None
        return lab if isinstance(lab, dict) else {}

    def field(self, path):
        v = walk_field(self.obj, path)
        if v is None:
            return BOOL_FIELDS.get(path, "")
        if isinstance(v, bool):
            return "true" if v else "false"
        return str(v)

    def full(self):
        if self._full is None:
            self._full = go_json(self.obj)
        return self._full

    def meta(self):
        if self._meta is None:
            self._meta = go_json(self.obj.get("metadata", {}))
        return self._meta

    def as_dict(self):
        return self.obj


class Snapshot:
    """An immutable, key-sorted view of one resource at one resourceVersion."""

    def __init__(self, rtype, rv, items):
        self.rtype = rtype
        self.rv = int(rv)
        items = sorted(items, key=lambda it: it.key.encode("utf-8"))
        self.items = items
        self.keys = [it.key for it in items]
        self.by_key = {it.key: it for it in items}
        self.created = time.monotonic()

    def ns_range(self, ns):
        if ns is None:
            return 0, len(self.keys)
        return bisect.bisect_left(self.keys, ns + "/"), bisect.bisect_left(self.keys, ns + "0")


# --------------------------------------------------------------------------
# Selectors
# --------------------------------------------------------------------------

class SelectorError(Exception):
    pass


_LABEL_NAME = re.compile(r"^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$")
_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")


def _check_key(k):
    prefix, _, name = k.rpartition("/")
    if "/" in k and (not prefix or len(prefix) > 253 or not _DNS_SUBDOMAIN.match(prefix)):
        raise SelectorError("unable to parse requirement: invalid label key %r: prefix part must be a "
                            "lowercase RFC 1123 subdomain" % k)
    if not name or len(name) > 63 or not _LABEL_NAME.match(name):
        raise SelectorError("unable to parse requirement: invalid label key %r: name part must consist of "
                            "alphanumeric characters, '-', '_' or '.', and must start and end with an "
                            "alphanumeric character" % k)


def _check_value(v):
    if v and (len(v) > 63 or not _LABEL_NAME.match(v)):
        raise SelectorError("unable to parse requirement: invalid label value: %r: a valid label must be an "
                            "empty string or consist of alphanumeric characters, '-', '_' or '.', and must "
                            "start and end with an alphanumeric character" % v)


_LTOK = re.compile(r"\s*(==|!=|=|\(|\)|,|!|>|<|[^\s=!(),<>]+)")


def parse_label_selector(s):
    """Returns a list of (key, op, values).  ops: =, !=, in, notin, exists, !, gt, lt."""
    toks = []
    pos = 0
    s = s or ""
    while pos < len(s):
        if s[pos:].strip() == "":
            break
        m = _LTOK.match(s, pos)
        if not m:
            raise SelectorError("unable to parse requirement: unexpected character at %d" % pos)
        toks.append(m.group(1))
        pos = m.end()
    reqs = []
    i = 0

    def expect_value(j):
        if j >= len(toks) or toks[j] in ("==", "!=", "=", "(", ")", ",", "!", ">", "<"):
            return "", j
        return toks[j], j + 1

    while i < len(toks):
        t = toks[i]
        if t == "!":
            if i + 1 >= len(toks) or toks[i + 1] in ("==", "!=", "=", "(", ")", ",", "!", ">", "<"):
                raise SelectorError("unable to parse requirement: found '%s', expected: identifier"
                                    % (toks[i + 1] if i + 1 < len(toks) else "end of string"))
            _check_key(toks[i + 1])
            reqs.append((toks[i + 1], "!", ()))
            i += 2
        elif t in ("==", "!=", "=", "(", ")", ",", ">", "<"):
            raise SelectorError("unable to parse requirement: found '%s', expected: !, identifier" % t)
        else:
            key = t
            _check_key(key)
            i += 1
            if i >= len(toks) or toks[i] == ",":
                reqs.append((key, "exists", ()))
            else:
                op = toks[i]
                if op in ("=", "=="):
                    v, i = expect_value(i + 1)
                    _check_value(v)
                    reqs.append((key, "=", (v,)))
                elif op == "!=":
                    v, i = expect_value(i + 1)
                    _check_value(v)
                    reqs.append((key, "!=", (v,)))
                elif op in (">", "<"):
                    v, i = expect_value(i + 1)
                    if not re.fullmatch(r"-?\d+", v):
                        raise SelectorError("unable to parse requirement: for 'Gt', 'Lt' operators, the value "
                                            "must be an integer")
                    reqs.append((key, "gt" if op == ">" else "lt", (int(v),)))
                elif op in ("in", "notin"):
                    i += 1
                    if i >= len(toks) or toks[i] != "(":
                        raise SelectorError("unable to parse requirement: found '%s', expected: '('"
                                            % (toks[i] if i < len(toks) else "end of string"))
                    i += 1
                    vals = []
                    while True:
                        v, i = expect_value(i)
                        _check_value(v)
                        vals.append(v)
                        if i < len(toks) and toks[i] == ",":
                            i += 1
                            continue
                        if i < len(toks) and toks[i] == ")":
                            i += 1
                            break
                        raise SelectorError("unable to parse requirement: found '%s', expected: ',', ')' or "
                                            "identifier" % (toks[i] if i < len(toks) else "end of string"))
                    reqs.append((key, op, tuple(vals)))
                else:
                    raise SelectorError("unable to parse requirement: found '%s', expected: in, notin, =, "
                                        "==, !=, gt, lt" % op)
        if i < len(toks):
            if toks[i] != ",":
                raise SelectorError("found '%s', expected: ',' or 'end of string'" % toks[i])
            i += 1
            if i >= len(toks):
                raise SelectorError("found 'end of string', expected: !, identifier")
    return reqs


def label_match(reqs, labels):
    for key, op, vals in reqs:
        has = key in labels
        v = labels.get(key)
        if op == "=":
            if not has or v != vals[0]:
                return False
        elif op == "!=":
            if has and v == vals[0]:
                return False
        elif op == "in":
            if not has or v not in vals:
                return False
        elif op == "notin":
            if has and v in vals:
                return False
        elif op == "exists":
            if not has:
                return False
        elif op == "!":
            if has:
                return False
        elif op in ("gt", "lt"):
            try:
                n = int(v) if has else None
            except (TypeError, ValueError):
                return False
            if n is None or (op == "gt" and not n > vals[0]) or (op == "lt" and not n < vals[0]):
                return False
    return True


def _split_unescaped(s, sep):
    out, cur, i = [], [], 0
    while i < len(s):
        ch = s[i]
        if ch == "\\" and i + 1 < len(s):
            cur.append(s[i:i + 2])
            i += 2
            continue
        if ch == sep:
            out.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
        i += 1
    out.append("".join(cur))
    return out


def _unescape_field(v):
    out, i = [], 0
    while i < len(v):
        if v[i] == "\\":
            if i + 1 < len(v) and v[i + 1] in "\\,=!":
                out.append(v[i + 1])
                i += 2
                continue
            raise SelectorError("invalid field selector value: unescaped backslash in %r" % v)
        out.append(v[i])
        i += 1
    return "".join(out)


def parse_field_selector(s, rtype):
    reqs = []
    if not s:
        return reqs
    for term in _split_unescaped(s, ","):
        if term == "":
            continue
        m = None
        for op in ("!=", "==", "="):
            idx = -1
            j = 0
            while j < len(term):
                if term[j] == "\\":
                    j += 2
                    continue
                if term.startswith(op, j):
                    idx = j
                    break
                j += 1
            if idx >= 0:
                m = (term[:idx], "!=" if op == "!=" else "=", term[idx + len(op):])
                break
        if m is None:
            raise SelectorError("invalid selector: '%s'; can't understand '%s'" % (s, term))
        field, op, val = m
        field = field.strip()
        if field not in rtype.fields:
            raise SelectorError("field label not supported: %s" % field)
        reqs.append((field, op, _unescape_field(val)))
    return reqs


def field_match(reqs, item):
    for field, op, val in reqs:
        got = item.field(field)
        if (got == val) != (op == "="):
            return False
    return True


# --------------------------------------------------------------------------
# Synthetic data (--generate-pods / --generate-namespaces)
#
# A few hundred pod "archetypes" are built once and serialized to templates
# with %(placeholder)s holes; each pod is rendered on demand from its
# archetype with a handful of per-pod values, so 150,000 pods cost little
# memory and a page of 500 renders in milliseconds.
# --------------------------------------------------------------------------

KUBE_ALNUM = "bcdfghjklmnpqrstvwxz2456789"

SC_VARIANTS = [  # (container securityContext or None for "absent", weight)
    (None, 18),
    ({}, 5),
    ({"runAsUser": 1000, "runAsNonRoot": True}, 8),
    ({"capabilities": {"drop": ["ALL"]}, "runAsNonRoot": True, "readOnlyRootFilesystem": True,
      "allowPrivilegeEscalation": False, "seccompProfile": {"type": "RuntimeDefault"}}, 25),
    ({"capabilities": {"drop": ["all"]}}, 3),
    ({"capabilities": {"drop": ["NET_RAW"]}}, 10),
    ({"capabilities": {"drop": ["CAP_NET_RAW"]}}, 3),
    ({"capabilities": {"drop": ["net_raw", "MKNOD"]}}, 2),
    ({"capabilities": {"drop": ["SYS_ADMIN", "MKNOD"]}}, 4),
    ({"capabilities": {}}, 2),
    ({"capabilities": {"add": ["NET_RAW"]}}, 3),
    ({"capabilities": {"add": ["NET_ADMIN", "NET_RAW"], "drop": ["ALL"]}}, 2),
    ({"capabilities": {"add": ["NET_BIND_SERVICE"], "drop": ["ALL"]}, "allowPrivilegeEscalation": False}, 6),
    ({"privileged": True}, 3),
    ({"capabilities": {"add": ["ALL"]}}, 1),
    ({"capabilities": {"add": ["ALL"], "drop": ["ALL"]}}, 1),
    ({"capabilities": {"add": ["SYS_ADMIN"]}, "allowPrivilegeEscalation": True}, 2),
]

APP_NAMES = ["api", "web", "frontend", "backend", "worker", "payments", "checkout", "cart", "catalog", "search",
             "auth", "gateway", "ingest", "billing", "notifier", "scheduler", "reporting", "metrics-exporter",
             "cache", "queue-consumer", "orders", "inventory", "shipping", "profile", "recommendations",
             "ledger", "audit", "mailer", "thumbnailer", "geo", "pricing", "fraud-check", "session", "cms"]
NS_WORDS = ["payments", "retail", "checkout", "search", "data", "ml", "platform", "identity", "growth",
            "ads", "media", "logistics", "finance", "support", "infra", "observability", "edge", "mobile"]
NS_PREFIX = ["team", "prod", "staging", "dev", "qa", "sandbox"]
IMAGES = ["registry.example.com/%s/%s:1.%d.%d", "ghcr.io/example/%s-%s:v2.%d.%d",
          "123456789012.dkr.ecr.eu-west-1.amazonaws.com/%s/%s:release-%d.%d"]
BASE_TIME = 1714521600  # 2024-05-01T00:00:00Z


def _kube_rand(rng, n):
    return "".join(rng.choice(KUBE_ALNUM) for _ in range(n))


def _h(*parts):
    return hashlib.md5(":".join(str(p) for p in parts).encode()).hexdigest()


def fields_v1(obj, depth=99):
    """A managedFields fieldsV1 set for obj, as the server-side apply machinery would write it."""
    if depth <= 0:
        return {}
    if isinstance(obj, dict):
        out = {".": {}} if obj else {}
        for k, v in obj.items():
            if isinstance(v, list) and v and all(isinstance(e, dict) for e in v):
                sub = {}
                for e in v:
                    kk = None
                    for keyf in ("name", "containerPort", "mountPath", "key"):
                        if keyf in e:
                            kk = "k:" + json.dumps({keyf: e[keyf]}, separators=(",", ":"))
                            if keyf == "containerPort":
                                kk = "k:" + json.dumps({"containerPort": e[keyf], "protocol": e.get(
                                    "protocol", "TCP")}, separators=(",", ":"))
                            break
                    if kk is None:
                        sub.setdefault(".", {})
                        continue
                    sub[kk] = fields_v1(e, depth - 1)
                out["f:" + k] = sub
            elif isinstance(v, dict):
                out["f:" + k] = fields_v1(v, depth - 1) if v else {}
            else:
                out["f:" + k] = {}
        return out
    return {}


def make_template(obj):
    """JSON text with "@@x@@" string holes -> %-format template; "@@!x@@" is an unquoted (raw) hole."""
    s = go_json(obj).replace("%", "%%")
    s = re.sub(r'"@@!(\w+)@@"', r"%(\1)s", s)
    return re.sub(r"@@(\w+)@@", r"%(\1)s", s)


class Archetype:
    """One pod shape: owner kind, containers, security contexts, volumes ... with holes for per-pod values."""

    def __init__(self, rng, idx, system=False, windows=False):
        self.idx = idx
        self.owner = rng.choices(["ReplicaSet", "StatefulSet", "DaemonSet", "Job", None],
                                 [70, 10, 8, 8, 4])[0]
        if system:
            self.owner = rng.choice(["ReplicaSet", "DaemonSet"])
        self.windows = windows
        self.host_network = (not windows) and (rng.random() < (0.5 if system else 0.03))
        ncont = rng.choices([1, 2, 3], [78, 19, 3])[0]
        names = ["app", "sidecar", "istio-proxy", "log-shipper", "metrics"]
        self.containers = []
        for ci in range(ncont):
            self.containers.append(self._container(rng, names[ci] if ci else "app", ci, system))
        self.init = []
        if rng.random() < 0.22 and not windows:
            self.init.append(self._container(rng, "init-config", 9, system, init=True))
        if rng.random() < 0.08 and not windows:
            c = self._container(rng, "proxy-sidecar", 8, system, init=True)
            c["restartPolicy"] = "Always"
            self.init.append(c)
        self.ephemeral = rng.random() < 0.02 and not windows
        self.labels = {"app.kubernetes.io/name": "@@app@@", "app": "@@app@@"}
        if rng.random() < 0.6:
            self.labels["tier"] = rng.choice(["frontend", "backend", "batch", "data"])
        if self.owner == "ReplicaSet":
            self.labels["pod-template-hash"] = "@@hash@@"
        elif self.owner in ("StatefulSet", "DaemonSet"):
            self.labels["controller-revision-hash"] = "@@app@@-@@hash@@"
            if self.owner == "StatefulSet":
                self.labels["statefulset.kubernetes.io/pod-name"] = "@@name@@"
            else:
                self.labels["pod-template-generation"] = "1"
        elif self.owner == "Job":
            self.labels["batch.kubernetes.io/job-name"] = "@@app@@-@@hash@@"
            self.labels["job-name"] = "@@app@@-@@hash@@"
            self.labels["batch.kubernetes.io/controller-uid"] = "@@ouid@@"
        self.annotations = None
        if rng.random() < 0.4:
            self.annotations = {"kubectl.kubernetes.io/restartedAt": "2024-06-0%dT12:00:00Z" % rng.randint(1, 9)}
            if rng.random() < 0.3:
                self.annotations["prometheus.io/scrape"] = "true"
                self.annotations["prometheus.io/port"] = "9090"
        self.templates = {}
        self.meta_tmpl = None
        self.owner_tmpl = None
        self._build_meta()

    def _container(self, rng, name, ci, system, init=False):
        img = rng.choice(IMAGES) % ("team", name, rng.randint(0, 30), rng.randint(0, 9))
        c = {"name": name, "image": img}
        if init:
            c["command"] = ["/bin/sh", "-c", "cp /config/* /work/ && echo done"]
        else:
            if rng.random() < 0.3:
                c["args"] = ["--port=8080", "--log-level=info"]
            c["ports"] = [{"name": "http", "containerPort": 8080 + ci, "protocol": "TCP"}]
            if rng.random() < 0.4:
                c["ports"].append({"name": "metrics", "containerPort": 9090 + ci, "protocol": "TCP"})
        env = [{"name": "POD_NAME", "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.name"}}},
               {"name": "POD_NAMESPACE", "valueFrom": {"fieldRef": {"apiVersion": "v1",
                                                                    "fieldPath": "metadata.namespace"}}}]
        for k in range(rng.randint(0, 5)):
            env.append({"name": "CONFIG_%s_%d" % (name.upper().replace("-", "_"), k),
                        "value": rng.choice(["true", "false", "info", "https://svc.internal:8443/v1",
                                             "30s", "%d" % rng.randint(1, 9999)])})
        if rng.random() < 0.3:
            env.append({"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "db-credentials",
                                                                              "key": "password"}}})
        c["env"] = env
        cpu = rng.choice(["50m", "100m", "250m", "500m", "1"])
        mem = rng.choice(["64Mi", "128Mi", "256Mi", "512Mi", "1Gi"])
        c["resources"] = {"limits": {"cpu": cpu, "memory": mem}, "requests": {"cpu": cpu, "memory": mem}} \
            if rng.random() < 0.5 else {"requests": {"cpu": cpu, "memory": mem}}
        c["volumeMounts"] = [{"name": "config", "mountPath": "/config", "readOnly": True},
                             {"name": "kube-api-access-@@kaa@@", "readOnly": True,
                              "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount"}]
        if not init:
            probe = {"httpGet": {"path": "/healthz", "port": 8080 + ci, "scheme": "HTTP"},
                     "initialDelaySeconds": 10, "timeoutSeconds": 1, "periodSeconds": 10,
                     "successThreshold": 1, "failureThreshold": 3}
            if rng.random() < 0.5:
                c["livenessProbe"] = probe
            if rng.random() < 0.7:
                r = dict(probe)
                r["httpGet"] = {"path": "/ready", "port": 8080 + ci, "scheme": "HTTP"}
                c["readinessProbe"] = r
        c["terminationMessagePath"] = "/dev/termination-log"
        c["terminationMessagePolicy"] = "File"
        c["imagePullPolicy"] = rng.choice(["IfNotPresent", "Always"])
        if self.windows:
            if rng.random() < 0.7:
                c["securityContext"] = {"windowsOptions": {"runAsUserName": "ContainerUser"}}
        else:
            sc = rng.choices([v for v, _ in SC_VARIANTS], [w for _, w in SC_VARIANTS])[0]
            if system and rng.random() < 0.4:
                sc = {"privileged": True}
            if sc is not None:
                c["securityContext"] = json.loads(json.dumps(sc))
        return c

    def _spec(self):
        spec = {"volumes": [
            {"name": "config", "configMap": {"name": "@@app@@-config", "defaultMode": 420}},
            {"name": "kube-api-access-@@kaa@@", "projected": {"sources": [
                {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
                {"configMap": {"name": "kube-root-ca.crt", "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
                {"downwardAPI": {"items": [{"path": "namespace", "fieldRef": {
                    "apiVersion": "v1", "fieldPath": "metadata.namespace"}}]}}], "defaultMode": 420}}]}
        if self.init:
            spec["initContainers"] = self.init
        spec["containers"] = self.containers
        if self.ephemeral:
            spec["ephemeralContainers"] = [{
                "name": "debugger-@@kaa@@", "image": "busybox:1.36", "resources": {},
                "terminationMessagePath": "/dev/termination-log", "terminationMessagePolicy": "File",
                "imagePullPolicy": "IfNotPresent", "stdin": True, "tty": True, "targetContainerName": "app"}]
        spec["restartPolicy"] = "OnFailure" if self.owner == "Job" else "Always"
        spec["terminationGracePeriodSeconds"] = 30
        spec["dnsPolicy"] = "ClusterFirstWithHostNet" if self.host_network else "ClusterFirst"
        if self.windows:
            spec["nodeSelector"] = {"kubernetes.io/os": "windows"}
        spec["serviceAccountName"] = "@@app@@"
        spec["serviceAccount"] = "@@app@@"
        spec["nodeName"] = "@@node@@"
        if self.host_network:
            spec["hostNetwork"] = True
        spec["securityContext"] = {"runAsNonRoot": True, "fsGroup": 2000} if len(self.labels) % 2 else {}
        spec["schedulerName"] = "default-scheduler"
        spec["tolerations"] = [
            {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute",
             "tolerationSeconds": 300},
            {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute",
             "tolerationSeconds": 300}]
        spec["priority"] = 0
        spec["enableServiceLinks"] = True
        spec["preemptionPolicy"] = "PreemptLowerPriority"
        if self.windows:
            spec["os"] = {"name": "windows"}
        return spec

    def _status(self, phase):
        running = phase == "Running"
        cond = lambda t, ok: {"type": t, "status": "True" if ok else "False", "lastProbeTime": None,
                              "lastTransitionTime": "@@started@@"}
        conds = [cond("PodReadyToStartContainers", phase != "Pending"), cond("Initialized", phase != "Pending"),
                 cond("Ready", running), cond("ContainersReady", running), cond("PodScheduled", True)]
        if phase == "Succeeded":
            conds[2]["reason"] = conds[3]["reason"] = "PodCompleted"

        def cstat(c, k, init=False):
            if phase == "Pending":
                state = {"waiting": {"reason": "ContainerCreating"}}
            elif phase == "Running" and not (init and c.get("restartPolicy") != "Always"):
                state = {"running": {"startedAt": "@@started@@"}}
            else:
                code = 1 if phase == "Failed" and not init else 0
                state = {"terminated": {"exitCode": code, "reason": "Error" if code else "Completed",
                                        "startedAt": "@@started@@", "finishedAt": "@@started@@",
                                        "containerID": "containerd://@@cid%d@@" % k}}
            st = {"name": c["name"], "state": state, "lastState": {}, "ready": running and "running" in state,
                  "restartCount": "@@!restarts@@" if k == 0 else 0, "image": c["image"],
                  "imageID": c["image"].split(":")[0] + "@sha256:" + _h(c["image"]) * 2}
            if phase != "Pending":
                st["containerID"] = "containerd://@@cid%d@@" % k
            st["started"] = "running" in state
            return st

        status = {"phase": phase, "conditions": conds, "hostIP": "@@hostip@@",
                  "hostIPs": [{"ip": "@@hostip@@"}]}
        if phase != "Pending":
            status["podIP"] = "@@hostip@@" if self.host_network else "@@podip@@"
            status["podIPs"] = [{"ip": status["podIP"]}]
        status["startTime"] = "@@started@@"
        if self.init:
            status["initContainerStatuses"] = [cstat(c, 5 + j, True) for j, c in enumerate(self.init)]
        status["containerStatuses"] = [cstat(c, j) for j, c in enumerate(self.containers)]
        status["qosClass"] = "Burstable"
        if self.ephemeral:
            status["ephemeralContainerStatuses"] = [{
                "name": "debugger-@@kaa@@", "state": {"terminated": {
                    "exitCode": 0, "reason": "Completed", "startedAt": "@@started@@", "finishedAt": "@@started@@",
                    "containerID": "containerd://@@cid9@@"}}, "lastState": {}, "ready": False,
                "restartCount": 0, "image": "docker.io/library/busybox:1.36",
                "imageID": "docker.io/library/busybox@sha256:" + _h("busybox") * 2,
                "containerID": "containerd://@@cid9@@", "started": False}]
        return status

    def _build_meta(self):
        md = {"name": "@@name@@"}
        if self.owner == "ReplicaSet":
            md["generateName"] = "@@app@@-@@hash@@-"
        elif self.owner in ("StatefulSet", "DaemonSet"):
            md["generateName"] = "@@app@@-"
        elif self.owner == "Job":
            md["generateName"] = "@@app@@-@@hash@@-"
        md.update({"namespace": "@@ns@@", "uid": "@@uid@@", "resourceVersion": "@@rv@@",
                   "creationTimestamp": "@@created@@", "labels": dict(self.labels)})
        if self.annotations:
            md["annotations"] = self.annotations
        if self.owner:
            api = "batch/v1" if self.owner == "Job" else "apps/v1"
            oname = "@@app@@" if self.owner in ("StatefulSet", "DaemonSet") else "@@app@@-@@hash@@"
            md["ownerReferences"] = [{"apiVersion": api, "kind": self.owner, "name": oname, "uid": "@@ouid@@",
                                      "controller": True, "blockOwnerDeletion": True}]
        spec = self._spec()
        meta_fields = {k: v for k, v in md.items() if k in ("generateName", "labels", "annotations",
                                                              "ownerReferences")}
        mgr = "kube-controller-manager" if self.owner else "kubectl-client-side-apply"
        md["managedFields"] = [
            {"manager": mgr, "operation": "Update", "apiVersion": "v1", "time": "@@created@@",
             "fieldsType": "FieldsV1", "fieldsV1": {"f:metadata": fields_v1(meta_fields), "f:spec": fields_v1(spec, 4)}},
            {"manager": "kubelet", "operation": "Update", "apiVersion": "v1", "time": "@@started@@",
             "fieldsType": "FieldsV1", "fieldsV1": {"f:status": fields_v1(self._status("Running"), 3)},
             "subresource": "status"}]
        self.meta_tmpl = make_template(md)
        self.spec_json = make_template(spec)

    def body_template(self, phase):
        t = self.templates.get(phase)
        if t is None:
            t = ',"spec":' + self.spec_json + ',"status":' + make_template(self._status(phase)) + "}"
            self.templates[phase] = t
        return t

    def _template_spec(self):
        """The pod template's spec: the pod's, less what the scheduler and admission add to pods."""
        spec = self._spec()
        kaa = "kube-api-access-@@kaa@@"
        spec["volumes"] = [v for v in spec["volumes"] if v["name"] != kaa]
        for key in ("initContainers", "containers"):
            if key in spec:
                spec[key] = [dict(c, volumeMounts=[m for m in c["volumeMounts"] if m["name"] != kaa])
                             for c in spec[key]]
        for key in ("ephemeralContainers", "nodeName", "tolerations", "priority", "preemptionPolicy"):
            spec.pop(key, None)
        return spec

    def owner_templates(self):
        """(metadata, body) templates of the ReplicaSet (of a Deployment) or Job (of a CronJob) that
        controls this shape's pods; holes: name ns app hash ouid topuid rv created, raw: replicas
        maxsurge revision status."""
        if self.owner not in ("ReplicaSet", "Job") or self.owner_tmpl is not None:
            return self.owner_tmpl
        rs = self.owner == "ReplicaSet"
        md = {"name": "@@app@@-@@hash@@", "namespace": "@@ns@@", "uid": "@@ouid@@", "resourceVersion": "@@rv@@",
              "generation": 1, "creationTimestamp": "@@created@@", "labels": dict(self.labels)}
        if rs:
            md["annotations"] = {"deployment.kubernetes.io/desired-replicas": "@@replicas@@",
                                 "deployment.kubernetes.io/max-replicas": "@@maxsurge@@",
                                 "deployment.kubernetes.io/revision": "@@revision@@"}
        else:
            md["annotations"] = {"batch.kubernetes.io/cronjob-scheduled-timestamp": "@@sched@@",
                                 "batch.kubernetes.io/job-tracking": ""}
        md["ownerReferences"] = [{"apiVersion": "apps/v1" if rs else "batch/v1",
                                  "kind": "Deployment" if rs else "CronJob", "name": "@@app@@",
                                  "uid": "@@topuid@@", "controller": True, "blockOwnerDeletion": True}]
        tmeta = {"creationTimestamp": None, "labels": dict(self.labels)}
        if self.annotations:
            tmeta["annotations"] = self.annotations
        tspec = self._template_spec()
        if rs:
            spec = {"replicas": "@@!replicas@@",
                    "selector": {"matchLabels": {"app.kubernetes.io/name": "@@app@@", "app": "@@app@@",
                                                 "pod-template-hash": "@@hash@@"}},
                    "template": {"metadata": tmeta, "spec": tspec}}
        else:
            spec = {"parallelism": "@@!replicas@@", "completions": "@@!replicas@@", "backoffLimit": 6,
                    "selector": {"matchLabels": {"batch.kubernetes.io/controller-uid": "@@ouid@@"}},
                    "manualSelector": False, "template": {"metadata": tmeta, "spec": tspec},
                    "completionMode": "NonIndexed", "suspend": False,
                    "podReplacementPolicy": "TerminatingOrFailed"}
        meta_fields = {k: v for k, v in md.items() if k in ("labels", "annotations", "ownerReferences")}
        api = "apps/v1" if rs else "batch/v1"
        md["managedFields"] = [
            {"manager": "kube-controller-manager", "operation": "Update", "apiVersion": api,
             "time": "@@created@@", "fieldsType": "FieldsV1",
             "fieldsV1": {"f:metadata": fields_v1(meta_fields), "f:spec": fields_v1(spec, 4)}},
            {"manager": "kube-controller-manager", "operation": "Update", "apiVersion": api,
             "time": "@@created@@", "fieldsType": "FieldsV1",
             "fieldsV1": {"f:status": {"f:observedGeneration": {}, "f:replicas": {}} if rs else
                          {"f:conditions": {}, "f:startTime": {}, "f:succeeded": {}}},
             "subresource": "status"}]
        self.owner_tmpl = (make_template(md),
                           ',"spec":' + make_template(spec) + ',"status":%(status)s}')
        return self.owner_tmpl


class Deployment:
    """One controller's group of generated pods (a Deployment's ReplicaSet, a StatefulSet, a Job ...);
    its pods are pod_items[first:first + replicas]."""
    __slots__ = ("ns", "app", "hash", "arch", "labels", "ouid", "replicas", "first")


class GenOwnerItem:
    """The generated ReplicaSet or Job of one Deployment (group of pods), rendered on demand."""
    __slots__ = ("key", "ns", "name", "dep", "k", "gen")

    def __init__(self, dep, k, gen):
        self.dep, self.k, self.gen = dep, k, gen
        self.ns, self.name = dep.ns, "%s-%s" % (dep.app, dep.hash)
        self.key = self.ns + "/" + self.name

    @property
    def labels(self):
        return self.dep.labels

    def field(self, path):
        if path == "metadata.name":
            return self.name
        if path == "metadata.namespace":
            return self.ns
        return ""

    @property
    def top_uid(self):
        """The uid of the Deployment or CronJob above (not served: kubecapscan never reads them)."""
        return str(uuid.UUID(hex=_h(self.gen.seed, "top", self.ns, self.dep.app), version=4))

    def _status(self, created):
        d = self.dep
        phases = [p.phase for p in self.gen.pod_items[d.first:d.first + d.replicas]]
        if d.arch.owner == "ReplicaSet":
            st = {"replicas": d.replicas, "fullyLabeledReplicas": d.replicas}
            ready = phases.count("Running")
            if ready:
                st["readyReplicas"] = st["availableReplicas"] = ready
            st["observedGeneration"] = 1
            return go_json(st)
        ok, bad = phases.count("Succeeded"), phases.count("Failed")
        st = {"conditions": [], "startTime": created}
        if bad:
            st["conditions"].append({"type": "Failed", "status": "True", "lastProbeTime": created,
                                     "lastTransitionTime": created, "reason": "BackoffLimitExceeded",
                                     "message": "Job has reached the specified backoff limit"})
        else:
            st["conditions"] += [{"type": t, "status": "True", "lastProbeTime": created,
                                  "lastTransitionTime": created, "reason": "CompletionsReached",
                                  "message": "Reached expected number of succeeded pods"}
                                 for t in ("SuccessCriteriaMet", "Complete")]
            st["completionTime"] = created
        if ok:
            st["succeeded"] = ok
        if bad:
            st["failed"] = bad
        st["terminating"] = 0
        st["uncountedTerminatedPods"] = {}
        st["ready"] = 0
        return go_json(st)

    def _vars(self, with_status):
        d = self.dep
        created = rfc3339(BASE_TIME + (d.first * 37) % 8000000 - 1)
        v = {"name": self.name, "ns": self.ns, "app": d.app, "hash": d.hash, "ouid": d.ouid,
             "topuid": self.top_uid, "rv": str(self.gen.rv_base // 2 + self.k), "created": created,
             "replicas": str(d.replicas), "maxsurge": str(d.replicas + (d.replicas + 3) // 4),
             "revision": str(1 + int(_h(self.gen.seed, "rev", self.key)[:4], 16) % 9)}
        if d.arch.owner == "Job":
            v["sched"] = rfc3339(int(d.hash) * 60)
        if with_status:
            v["status"] = self._status(created)
        return v

    def meta(self):
        return self.dep.arch.owner_templates()[0] % self._vars(False)

    def full(self):
        m, b = self.dep.arch.owner_templates()
        v = self._vars(True)
        return '{"metadata":' + m % v + b % v

    def as_dict(self):
        return json.loads(self.full())


class GenPodItem:
    __slots__ = ("key", "ns", "name", "dep", "i", "phase", "gen", "node")

    @property
    def labels(self):
        lab = self.dep.labels
        if "statefulset.kubernetes.io/pod-name" in lab:
            lab = dict(lab)
            lab["statefulset.kubernetes.io/pod-name"] = self.name
        return lab

    def field(self, path):
        if path == "metadata.name":
            return self.name
        if path == "metadata.namespace":
            return self.ns
        if path == "spec.nodeName":
            return self.node
        if path == "status.phase":
            return self.phase
        if path == "spec.hostNetwork":
            return "true" if self.dep.arch.host_network else "false"
        if path == "spec.restartPolicy":
            return "OnFailure" if self.dep.arch.owner == "Job" else "Always"
        if path == "spec.schedulerName":
            return "default-scheduler"
        if path == "spec.serviceAccountName":
            return self.dep.app
        if path == "status.podIP":
            return walk_field(self.as_dict(), "status.podIP") or ""
        return ""

    def _vars(self):
        i, d = self.i, self.dep
        h = _h(self.gen.seed, i)
        ip = int(h[:6], 16)
        v = {"name": self.name, "ns": self.ns, "app": d.app, "hash": d.hash, "ouid": d.ouid,
             "uid": "%s-%s-4%s-a%s-%s" % (h[:8], h[8:12], h[13:16], h[17:20], h[20:32]),
             "rv": str(self.gen.rv_base + i), "node": self.node,
             "created": rfc3339(BASE_TIME + (i * 37) % 8000000), "started": rfc3339(BASE_TIME + (i * 37) % 8000000 + 4),
             "podip": "10.%d.%d.%d" % (64 + (ip >> 16) % 64, (ip >> 8) & 255, 1 + ip % 254),
             "hostip": "10.0.%d.%d" % (int(self.node[-3:]) // 250, 1 + int(self.node[-3:]) % 250),
             "kaa": "".join(KUBE_ALNUM[int(c, 16) % len(KUBE_ALNUM)] for c in h[26:31]),
             "restarts": str(int(h[31], 16) % 4 if int(h[30], 16) < 3 else 0)}
        c = hashlib.sha256(h.encode()).hexdigest()
        for k in (0, 1, 2, 5, 6, 9):
            v["cid%d" % k] = c[k * 6:] + c[:k * 6]
        return v

    def meta(self):
        return self.dep.arch.meta_tmpl % self._vars()

    def full(self):
        v = self._vars()
        a = self.dep.arch
        return '{"metadata":' + a.meta_tmpl % v + a.body_template(self.phase) % v

    def as_dict(self):
        return json.loads(self.full())


class Generator:
    def __init__(self, npods, nns, seed=1):
        self.seed = seed
        rng = random.Random(seed)
        self.rv_base = 2000000
        self.rv = self.rv_base + npods + nns + 10
        nns = max(1, nns)
        names = ["default", "kube-node-lease", "kube-public", "kube-system"][:nns]
        used = set(names)
        while len(names) < nns:
            if len(used) < 400:
                n = "%s-%s" % (rng.choice(NS_PREFIX), rng.choice(NS_WORDS))
                if rng.random() < 0.3:
                    n += "-%d" % rng.randint(1, 9)
            else:
                n = "ns-%05d" % len(names)
            if n not in used:
                used.add(n)
                names.append(n)
        self.ns_objs = [self._namespace(rng, n, k) for k, n in enumerate(names)]
        self.archetypes = [Archetype(rng, k) for k in range(160)]
        self.archetypes += [Archetype(rng, 160 + k, windows=True) for k in range(6)]
        self.sys_archetypes = [Archetype(rng, 200 + k, system=True) for k in range(12)]
        nnodes = max(3, npods // 40)
        self.nodes = ["worker-%03d" % k for k in range(min(nnodes, 999))]
        # pods per namespace: kube-node-lease/kube-public get none, kube-system a few
        weights = []
        for n in names:
            if n in ("kube-node-lease", "kube-public"):
                weights.append(0.0)
            elif n == "kube-system":
                weights.append(3.0)
            elif n == "default":
                weights.append(1.0)
            else:
                weights.append(rng.paretovariate(1.3))
        if sum(weights) == 0:
            weights = [1.0] * len(names)
        tot = sum(weights)
        counts = [int(npods * w / tot) for w in weights]
        rest = npods - sum(counts)
        order = sorted(range(len(names)), key=lambda k: -weights[k])
        for k in range(rest):
            counts[order[k % len(order)]] += 1
        items = []
        # every pod's ReplicaSet (controlled by a Deployment) or Job (by a CronJob) exists, with the
        # name and uid of the pod's ownerReference; Deployments and CronJobs themselves are not served
        self.rs_items, self.job_items = [], []
        i = 0
        for nsname, cnt in zip(names, counts):
            apps_used = set()
            while cnt > 0:
                d = Deployment()
                d.ns = nsname
                arch = rng.choice(self.sys_archetypes if nsname == "kube-system" else self.archetypes)
                d.arch = arch
                app = rng.choice(APP_NAMES)
                while app in apps_used:
                    app = "%s-%s" % (rng.choice(APP_NAMES), _kube_rand(rng, 3))
                apps_used.add(app)
                d.app = app
                d.hash = _kube_rand(rng, 10) if arch.owner != "Job" else str(28000000 + rng.randint(0, 999999))
                d.ouid = str(uuid.UUID(int=rng.getrandbits(128), version=4))
                d.replicas = min(cnt, rng.choice([1, 1, 2, 2, 3, 3, 3, 5, 8, 12, 20, 40]))
                d.first = i
                d.labels = {}
                subst = {"app": d.app, "hash": d.hash, "ouid": d.ouid, "name": ""}
                for k, val in arch.labels.items():
                    d.labels[k] = re.sub(r"@@(\w+)@@", lambda m: subst[m.group(1)], val)
                seen = set()
                for r in range(d.replicas):
                    if arch.owner == "StatefulSet":
                        pname = "%s-%d" % (app, r)
                    elif arch.owner in ("DaemonSet", "Job"):
                        pname = "%s-%s" % (app if arch.owner == "DaemonSet" else app + "-" + d.hash,
                                           _kube_rand(rng, 5))
                    elif arch.owner is None:
                        pname = app if d.replicas == 1 else "%s-%d" % (app, r)
                    else:
                        pname = "%s-%s-%s" % (app, d.hash, _kube_rand(rng, 5))
                    while pname in seen:
                        pname += _kube_rand(rng, 1)
                    seen.add(pname)
                    it = GenPodItem()
                    it.ns, it.name, it.key, it.dep, it.i, it.gen = nsname, pname, nsname + "/" + pname, d, i, self
                    it.node = self.nodes[int(_h(seed, "node", i)[:6], 16) % len(self.nodes)]
                    ph = int(_h(seed, "phase", i)[:4], 16) % 100
                    if arch.owner == "Job":
                        it.phase = "Succeeded" if ph < 85 else "Failed"
                    else:
                        it.phase = "Running" if ph < 95 else "Pending"
                    items.append(it)
                    i += 1
                cnt -= d.replicas
                if arch.owner == "ReplicaSet":
                    self.rs_items.append(GenOwnerItem(d, len(self.rs_items) + len(self.job_items), self))
                elif arch.owner == "Job":
                    self.job_items.append(GenOwnerItem(d, len(self.rs_items) + len(self.job_items), self))
        self.pod_items = items

    def _namespace(self, rng, name, k):
        labels = {"kubernetes.io/metadata.name": name}
        E, V = "pod-security.kubernetes.io/enforce", "pod-security.kubernetes.io/enforce-version"
        if name not in ("default", "kube-node-lease", "kube-public", "kube-system"):
            r = rng.random()
            if r < 0.30:
                labels[E] = "restricted"
            elif r < 0.50:
                labels[E] = "baseline"
            elif r < 0.60:
                labels[E] = "privileged"
            elif r < 0.65:
                labels[E] = rng.choice(["Restricted", "strict", ""])
            if E in labels and rng.random() < 0.3:
                labels[V] = rng.choice(["latest", "v1.21", "v1.22", "v1.25", "v1.31", "1.25", "v1.x"])
            if rng.random() < 0.3:
                labels["pod-security.kubernetes.io/warn"] = "restricted"
                labels["pod-security.kubernetes.io/audit"] = "restricted"
            if rng.random() < 0.5:
                labels["team"] = name.split("-")[-1]
        ts = rfc3339(BASE_TIME - 86400 * 30 + k * 600)
        md = {"name": name, "uid": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
              "resourceVersion": str(self.rv_base - 1000 + k), "creationTimestamp": ts, "labels": labels,
              "managedFields": [{"manager": "kube-apiserver", "operation": "Update", "apiVersion": "v1", "time": ts,
                                 "fieldsType": "FieldsV1", "fieldsV1": {"f:metadata": {"f:labels": {
                                     ".": {}, "f:kubernetes.io/metadata.name": {}}}}}]}
        if len(labels) > 1:
            md["managedFields"].append({
                "manager": "kubectl-client-side-apply", "operation": "Update", "apiVersion": "v1", "time": ts,
                "fieldsType": "FieldsV1", "fieldsV1": {"f:metadata": {"f:labels": {
                    "f:" + l: {} for l in labels if l != "kubernetes.io/metadata.name"}}}})
        return {"metadata": md, "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}}


# --------------------------------------------------------------------------
# Store: current snapshot per resource plus old snapshots for continue tokens
# --------------------------------------------------------------------------

class Store:
    def __init__(self, data_dir, generator, keep_snapshots, log):
        self.lock = threading.Lock()
        self.data_dir = data_dir
        self.gen = generator
        self.keep = max(1, keep_snapshots)
        self.log = log
        self.types = {}       # (group, resource) -> RType
        self.current = {}     # (group, resource) -> Snapshot
        self.history = {}     # (group, resource) -> {rv: Snapshot}
        self.sig = None
        self.max_rv = 0
        self._base_types()
        self.reload(initial=True)

    # what the generator serves (in place of the same lists from --data): key -> its items
    GENERATED = {("", "pods"): lambda g: g.pod_items,
                 ("", "namespaces"): lambda g: [DictItem(o, False) for o in g.ns_objs],
                 ("apps", "replicasets"): lambda g: g.rs_items,
                 ("batch", "jobs"): lambda g: g.job_items}

    def _base_types(self):
        kinds = [("", "Pod"), ("", "Namespace"), ("", "Node")]
        if self.gen is not None:
            kinds += [("apps", "ReplicaSet"), ("batch", "Job")]
        for group, kind in kinds:
            t = RType(group, "v1", kind)
            self.types[(group, t.name)] = t

    def _signature(self):
        if not self.data_dir:
            return ()
        sig = []
        try:
            for fn in sorted(os.listdir(self.data_dir)):
                if fn.endswith(".json"):
                    st = os.stat(os.path.join(self.data_dir, fn))
                    sig.append((fn, st.st_mtime_ns, st.st_size))
        except OSError:
            pass
        return tuple(sig)

    def _load_files(self):
        """-> {(group, resource): (RType, rv or None, [DictItem])}"""
        out = {}
        if not self.data_dir:
            return out
        for fn in sorted(os.listdir(self.data_dir)):
            if not fn.endswith(".json"):
                continue
            path = os.path.join(self.data_dir, fn)
            try:
                with open(path, "rb") as f:
                    doc = json.loads(f.read().decode("utf-8"))
            except (OSError, ValueError) as e:
                self.log("kubeapi: skipping %s: %s" % (path, e))
                continue
            if not isinstance(doc, dict) or not isinstance(doc.get("items"), list):
                continue
            lkind = str(doc.get("kind", ""))
            items = doc["items"]
            kind = lkind[:-4] if lkind.endswith("List") and lkind != "List" else ""
            api = str(doc.get("apiVersion", "v1"))
            if not kind:  # kubectl's "kind: List": take kind/apiVersion from the items
                first = next((x for x in items if isinstance(x, dict) and x.get("kind")), None)
                if not first:
                    continue
                kind, api = first["kind"], first.get("apiVersion", "v1")
            group, _, version = api.rpartition("/")
            namespaced = any(isinstance(x, dict) and isinstance(x.get("metadata"), dict)
                             and x["metadata"].get("namespace") for x in items)
            rt = self.types.get((group, KNOWN_KINDS.get((group, kind), (plural_of(kind),))[0]))
            if rt is None:
                rt = RType(group, version or "v1", kind, None if (group, kind) in KNOWN_KINDS else namespaced)
            clean = []
            for x in items:
                if not isinstance(x, dict):
                    continue
                if "kind" in x or "apiVersion" in x:
                    x = {k: v for k, v in x.items() if k not in ("kind", "apiVersion")}
                clean.append(DictItem(x, rt.namespaced))
            rv = (doc.get("metadata") or {}).get("resourceVersion")
            try:
                rv = int(rv)
            except (TypeError, ValueError):
                rv = None
            out[(group, rt.name)] = (rt, rv, clean)
        return out

    def reload(self, initial=False):
        sig = self._signature()
        if not initial and sig == self.sig:
            return
        with self.lock:
            if not initial and sig == self.sig:
                return
            loaded = self._load_files()
            if self.gen is not None:
                for key, items_of in self.GENERATED.items():
                    if key not in self.current:
                        loaded[key] = (self.types[key], self.gen.rv, items_of(self.gen))
                    else:
                        loaded.pop(key, None)
            for k, t in list(self.types.items()):
                if k not in loaded and k not in self.current:
                    loaded[k] = (t, None, [])
            for key, (rt, rv, items) in loaded.items():
                old = self.current.get(key)
                if old is not None:
                    if [i.full() for i in old.items] == [i.full() for i in items]:
                        continue  # same content, same snapshot
                    if rv is None or rv <= old.rv:
                        rv = max(old.rv, self.max_rv) + 1
                elif rv is None:
                    rv = self.max_rv + 1 if self.max_rv else 1000
                self.max_rv = max(self.max_rv, rv)
                self.types[key] = rt
                snap = Snapshot(rt, rv, items)
                self.current[key] = snap
                hist = self.history.setdefault(key, {})
                hist[rv] = snap
                while len(hist) > self.keep:
                    del hist[min(hist)]
            self.sig = sig

    def find_type(self, group, version, resource):
        t = self.types.get((group, resource))
        if t is None or t.version != version:
            return None
        return t

    def snapshot(self, rt, rv=None):
        key = (rt.group, rt.name)
        if rv is None:
            return self.current[key]
        return self.history.get(key, {}).get(rv)

    def groups(self):
        gs = {}
        for (g, _), t in self.types.items():
            if g:
                gs.setdefault(g, set()).add(t.version)
        return gs


# --------------------------------------------------------------------------
# Users and authorization
# --------------------------------------------------------------------------

class User:
    def __init__(self, name, uid="", groups=(), via=""):
        self.name, self.uid, self.via = name, uid, via
        self.groups = [g for g in groups if g]
        if name != "system:anonymous" and "system:authenticated" not in self.groups:
            self.groups.append("system:authenticated")


DISCOVERY_PATHS = re.compile(r"^/(api|apis|openapi|version|healthz|livez|readyz)(/.*)?$|^/\.well-known/openid-configuration/?$")


class Authorizer:
    """Rights, as an RBAC setup would give them:
       system:masters              everything
       reader  / group test:readers     get, list, watch on every served resource, cluster-wide
       prober  / group test:probers     what reader may, plus create pods (every namespace, or only those of
                                        --prober-namespaces)
       no-owners / group test:no-owners get, list, watch pods and namespaces only, cluster-wide
       ns-reader / group test:ns-readers get, list, watch pods and get the namespace object, in NS only
       anyone authenticated         discovery, /version, health, SelfSubject{Access,Rules}Reviews
    """

    def __init__(self, store, ns_reader_ns, prober_namespaces=None):
        self.store = store
        self.nsr = ns_reader_ns
        self.prober_ns = prober_namespaces  # None: every namespace

    def role(self, user):
        if "system:masters" in user.groups:
            return "admin"
        if user.name == "prober" or "test:probers" in user.groups:
            return "prober"
        if user.name == "reader" or "test:readers" in user.groups:
            return "reader"
        if user.name == "no-owners" or "test:no-owners" in user.groups:
            return "no-owners"
        if user.name == "ns-reader" or "test:ns-readers" in user.groups:
            return "ns-reader"
        return "none"

    def prober_may_create(self, ns):
        if self.prober_ns is None:
            return True
        return bool(ns) and ns in self.prober_ns

    def resource(self, user, verb, group, resource, ns, name=""):
        role = self.role(user)
        if role == "admin":
            return True, ""
        if group == "authorization.k8s.io" and resource in ("selfsubjectaccessreviews",
                                                             "selfsubjectrulesreviews") and verb == "create":
            return True, 'RBAC: allowed by ClusterRoleBinding "system:basic-user" of ClusterRole ' \
                         '"system:basic-user" to Group "system:authenticated"'
        if role in ("reader", "prober") and verb in ("get", "list", "watch") and (group, resource) in self.store.types:
            return True, 'RBAC: allowed by ClusterRoleBinding "test-%s" of ClusterRole "test-reader" ' \
                         'to User "%s"' % (role, user.name)
        if role == "prober" and verb == "create" and group == "" and resource == "pods" and \
                self.prober_may_create(ns):
            if self.prober_ns is None:
                return True, 'RBAC: allowed by ClusterRoleBinding "test-prober-create" of ClusterRole ' \
                             '"kubecapscan-prober" to User "%s"' % user.name
            return True, 'RBAC: allowed by RoleBinding "test-prober-create/%s" of ClusterRole "kubecapscan-prober" ' \
                         'to User "%s"' % (ns, user.name)
        if role == "no-owners" and verb in ("get", "list", "watch") and group == "" and \
                resource in ("pods", "namespaces"):
            return True, 'RBAC: allowed by ClusterRoleBinding "test-no-owners" of ClusterRole "test-no-owners" ' \
                         'to User "%s"' % user.name
        if role == "ns-reader" and ns == self.nsr and ns and group == "" and (
                (resource == "pods" and verb in ("get", "list", "watch")) or
                (resource == "namespaces" and verb == "get" and (not name or name == self.nsr))):
            return True, 'RBAC: allowed by RoleBinding "test-ns-reader/%s" of Role "test-ns-reader" to ' \
                         'User "%s"' % (self.nsr, user.name)
        return False, ""

    def nonresource(self, user, verb, path):
        if self.role(user) == "admin":
            return True, ""
        if verb == "get" and DISCOVERY_PATHS.match(path):
            return True, 'RBAC: allowed by ClusterRoleBinding "system:discovery" of ClusterRole ' \
                         '"system:discovery" to Group "system:authenticated"'
        return False, ""

    def rules(self, user, ns):
        role = self.role(user)
        rr = [{"verbs": ["create"], "apiGroups": ["authorization.k8s.io"],
               "resources": ["selfsubjectaccessreviews", "selfsubjectrulesreviews"]}]
        nr = [{"verbs": ["get"], "nonResourceURLs": ["/api", "/api/*", "/apis", "/apis/*", "/healthz", "/livez",
                                                    "/openapi", "/openapi/*", "/readyz", "/version", "/version/"]}]
        if role == "admin":
            rr.insert(0, {"verbs": ["*"], "apiGroups": ["*"], "resources": ["*"]})
            nr.insert(0, {"verbs": ["*"], "nonResourceURLs": ["*"]})
        elif role in ("reader", "prober"):
            if role == "prober" and self.prober_may_create(ns):
                rr.append({"verbs": ["create"], "apiGroups": [""], "resources": ["pods"]})
            for g in sorted({g for g, _ in self.store.types}):
                rr.append({"verbs": ["get", "list", "watch"], "apiGroups": [g],
                           "resources": sorted(r for gg, r in self.store.types if gg == g)})
        elif role == "no-owners":
            rr.append({"verbs": ["get", "list", "watch"], "apiGroups": [""], "resources": ["namespaces", "pods"]})
        elif role == "ns-reader" and ns == self.nsr:
            rr.append({"verbs": ["get", "list", "watch"], "apiGroups": [""], "resources": ["pods"]})
            rr.append({"verbs": ["get"], "apiGroups": [""], "resources": ["namespaces"]})
        return rr, nr


def forbidden_status(user, verb, group, resource, ns, name, path=None):
    if path is not None:
        msg = 'forbidden: User "%s" cannot %s path "%s"' % (user.name, verb, path)
        return status_obj(403, msg, details={})
    qual = resource if not group else "%s.%s" % (resource, group)
    why = 'User "%s" cannot %s resource "%s" in API group "%s"' % (user.name, verb, resource, group)
    why += ' in the namespace "%s"' % ns if ns else " at the cluster scope"
    msg = ('%s "%s" is forbidden: %s' % (qual, name, why)) if name else "%s is forbidden: %s" % (qual, why)
    det = {}
    if name:
        det["name"] = name
    if group:
        det["group"] = group
    det["kind"] = resource
    return status_obj(403, msg, details=det)


# --------------------------------------------------------------------------
# Faults
# --------------------------------------------------------------------------

class Fault:
    KEYS = {"path", "query", "page", "times", "method", "status", "retry-after", "truncate", "reset", "slow", "hang",
            "html", "warning", "body", "message"}

    def __init__(self, spec):
        self.spec = spec
        kv = {}
        for part in spec.split(","):
            if not part.strip():
                continue
            k, eq, v = part.partition("=")
            k = k.strip()
            if not eq or k not in self.KEYS:
                raise ValueError("bad fault spec %r: %r is not key=value with a known key" % (spec, part))
            kv[k] = v
        self.path = re.compile(kv.get("path", ""))
        self.query = re.compile(kv["query"]) if "query" in kv else None
        self.page = int(kv["page"]) if "page" in kv else None
        self.times = int(kv.get("times", "1"))
        self.method = kv.get("method", "").upper() or None
        self.status = int(kv["status"]) if "status" in kv else None
        self.retry_after = kv.get("retry-after")
        self.truncate = int(kv["truncate"]) if "truncate" in kv else None
        self.reset = int(kv["reset"]) if "reset" in kv else None
        self.slow = int(kv["slow"]) if "slow" in kv else None
        self.hang = kv.get("hang") not in (None, "", "0")
        self.html = int(kv["html"]) if kv.get("html") not in (None, "", "0") else None
        if self.html == 1:
            self.html = 200
        self.warning = kv.get("warning")
        self.body = kv.get("body")
        self.message = kv.get("message")
        actions = [a for a in ("status", "truncate", "reset", "slow", "hang", "html", "warning") if a in kv]
        if not actions:
            raise ValueError("bad fault spec %r: no action (status, truncate, reset, slow, hang, html, warning)"
                             % spec)
        self.fired = 0

    def describe(self):
        return self.spec


class Faults:
    def __init__(self, specs):
        self.lock = threading.Lock()
        self.faults = [Fault(s) for s in specs]

    def match(self, method, path, query, page):
        with self.lock:
            for f in self.faults:
                if f.times and f.fired >= f.times:
                    continue
                if f.method and f.method != method:
                    continue
                if not f.path.search(path):
                    continue
                if f.query is not None and not f.query.search(query):
                    continue
                if f.page is not None and (method != "GET" or page != f.page):
                    continue
                f.fired += 1
                return f
        return None


# --------------------------------------------------------------------------
# Continue tokens: kube-apiserver's format, base64url(JSON{v, rv, start})
# --------------------------------------------------------------------------

class ContinueError(Exception):
    pass


def encode_continue(rv, start):
    raw = json.dumps({"v": "meta.k8s.io/v1", "rv": rv, "start": start}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode("utf-8")).decode("ascii").rstrip("=")


def decode_continue(token):
    try:
        pad = "=" * (-len(token) % 4)
        if re.search(r"[^A-Za-z0-9_-]", token):
            raise ValueError("illegal base64 data")
        data = base64.urlsafe_b64decode(token + pad)
        c = json.loads(data.decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as e:
        raise ContinueError("continue key is not valid: %s" % e)
    if not isinstance(c, dict) or c.get("v") != "meta.k8s.io/v1":
        raise ContinueError("continue key is not valid: server does not recognize this encoded version %s"
                            % (c.get("v") if isinstance(c, dict) else ""))
    rv = c.get("rv")
    if not isinstance(rv, int) or rv == 0:
        raise ContinueError("continue key is not valid: incorrect encoded start resourceVersion "
                            "(version meta.k8s.io/v1)")
    start = c.get("start")
    if not isinstance(start, str) or not start:
        raise ContinueError("continue key is not valid: encoded start key empty (version meta.k8s.io/v1)")
    key = start if start.startswith("/") else "/" + start
    segs = key.split("/")[1:]
    if any(s in ("", ".", "..") for s in segs):
        raise ContinueError("continue key is not valid: %s" % start)
    return rv, key[1:]


# --------------------------------------------------------------------------
# Admission for server-side dry-run pod creates
#
# kube-apiserver runs the admission chain in two phases over the ordered
# plugin list (pkg/kubeapiserver/options/plugins.go AllOrderedPlugins):
#   1. mutating:   NamespaceLifecycle ... MutatingAdmissionPolicy,
#                  MutatingAdmissionWebhook (webhooks one after the other)
#   2. object defaulting, name generation (generateName) and validation (422)
#   3. validating: NamespaceLifecycle ... PodSecurity ...
#                  ValidatingAdmissionPolicy, ValidatingAdmissionWebhook
# So PodSecurity denies a pod before any validating webhook or
# ValidatingAdmissionPolicy sees it, and a mutating webhook (or Kyverno's
# verifyImages, which runs in its mutating webhook) acts before PodSecurity.
# --------------------------------------------------------------------------

PSA_LEVELS = ("privileged", "baseline", "restricted")
PSA_MAX_MINOR = 33  # newest check version known here; newer versions behave like latest
PSA_ENFORCE = "pod-security.kubernetes.io/enforce"
PSA_ENFORCE_VERSION = "pod-security.kubernetes.io/enforce-version"
PSA_WARN = "pod-security.kubernetes.io/warn"
PSA_WARN_VERSION = "pod-security.kubernetes.io/warn-version"
BASELINE_CAPS = {"AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD",
                 "NET_BIND_SERVICE", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT"}
RESTRICTED_VOLUME_TYPES = {"configMap", "csi", "downwardAPI", "emptyDir", "ephemeral",
                           "persistentVolumeClaim", "projected", "secret"}
POLICY_TYPES = ("deny-net-raw", "mutate-drop-all", "deny-all", "no-dry-run")
POLICY_ENGINES = ("kyverno", "gatekeeper", "vap")


def parse_psa_version(v):
    """-> minor int, or None for latest; raises ValueError."""
    if v == "latest":
        return None
    m = re.fullmatch(r"v1\.(0|[1-9][0-9]*)", v or "")
    if not m or len(m.group(1)) > 18:
        raise ValueError(v)
    return int(m.group(1))


def parse_psa_default(s):
    """--psa-default-enforce LEVEL[:VERSION] -> (level, minor or None); raises ValueError."""
    level, _, version = (s or "").partition(":")
    if level not in PSA_LEVELS:
        raise ValueError("--psa-default-enforce: level must be one of %s" % ", ".join(PSA_LEVELS))
    try:
        return level, parse_psa_version(version or "latest")
    except ValueError:
        raise ValueError("--psa-default-enforce: version must be latest or v1.N")


def psa_policy_string(level, minor):
    return "%s:%s" % (level, "latest" if minor is None else "v1.%d" % minor)


def psa_enforce_policy(labels, default):
    """api.PolicyToEvaluate for the enforce mode: -> (level, minor or None).
    An invalid level fails closed (restricted); an invalid version is latest."""
    level, minor = default
    has_level = False
    if PSA_ENFORCE in labels:
        v = labels[PSA_ENFORCE]
        if v in PSA_LEVELS:
            level, has_level = v, True
        else:
            level = "restricted"
    if PSA_ENFORCE_VERSION in labels:
        try:
            minor = parse_psa_version(labels[PSA_ENFORCE_VERSION])
        except ValueError:
            minor = None
    elif has_level:
        minor = None
    return level, minor


def psa_warn_policy(labels):
    """The warn mode, only when labelled (an invalid warn level fails open)."""
    v = labels.get(PSA_WARN)
    if v not in ("baseline", "restricted"):
        return None
    try:
        minor = parse_psa_version(labels.get(PSA_WARN_VERSION, "latest"))
    except ValueError:
        minor = None
    return v, minor


def _pluralize(one, many, n):
    return one if n == 1 else many


def _join_quote(items):
    return ", ".join(json.dumps(x, ensure_ascii=False) for x in items)


def _visit_containers(spec):
    """(list name, index, container) for initContainers, containers, ephemeralContainers."""
    for lst in ("initContainers", "containers", "ephemeralContainers"):
        cs = spec.get(lst)
        if isinstance(cs, list):
            for i, c in enumerate(cs):
                if isinstance(c, dict):
                    yield lst, i, c


def _sc(c):
    sc = c.get("securityContext")
    return sc if isinstance(sc, dict) else None


def _caps(c):
    sc = _sc(c)
    caps = sc.get("capabilities") if sc else None
    return caps if isinstance(caps, dict) else None


def _cap_list(caps, key):
    v = caps.get(key) if caps else None
    return [str(x) for x in v] if isinstance(v, list) else []


def _cname(c):
    return str(c.get("name", ""))


# ---- Pod Security Standards checks (k8s.io/pod-security-admission/policy)
# Each returns None (allowed) or (forbidden reason, forbidden detail).

def psa_capabilities_baseline(md, spec):
    bad, caps = [], set()
    for _, _, c in _visit_containers(spec):
        added = [a for a in _cap_list(_caps(c), "add") if a not in BASELINE_CAPS]
        if added:
            bad.append(_cname(c))
            caps.update(added)
    if bad:
        return ("non-default capabilities", "%s %s must not include %s in securityContext.capabilities.add"
                % (_pluralize("container", "containers", len(bad)), _join_quote(bad), _join_quote(sorted(caps))))
    return None


def psa_host_namespaces(md, spec):
    bad = ["%s=true" % f for f in ("hostNetwork", "hostPID", "hostIPC") if spec.get(f) is True]
    return ("host namespaces", ", ".join(bad)) if bad else None


def psa_host_path_volumes(md, spec):
    bad = [str(v.get("name", "")) for v in spec.get("volumes") or [] if isinstance(v, dict) and "hostPath" in v]
    if bad:
        return ("hostPath volumes", "%s %s" % (_pluralize("volume", "volumes", len(bad)), _join_quote(bad)))
    return None


def psa_host_ports(md, spec):
    bad, ports = [], []
    for _, _, c in _visit_containers(spec):
        hp = [p.get("hostPort") for p in c.get("ports") or [] if isinstance(p, dict) and p.get("hostPort")]
        if hp:
            bad.append(_cname(c))
            ports += [str(p) for p in hp]
    if bad:
        return ("hostPort", "%s %s %s %s %s" % (
            _pluralize("container", "containers", len(bad)), _join_quote(bad),
            _pluralize("uses", "use", len(bad)), _pluralize("hostPort", "hostPorts", len(ports)), ", ".join(ports)))
    return None


def psa_privileged(md, spec):
    bad = [_cname(c) for _, _, c in _visit_containers(spec) if _sc(c) and _sc(c).get("privileged") is True]
    if bad:
        return ("privileged", "%s %s must not set securityContext.privileged=true"
                % (_pluralize("container", "containers", len(bad)), _join_quote(bad)))
    return None


def psa_seccomp_baseline(md, spec):
    setters = []
    psc = spec.get("securityContext") if isinstance(spec.get("securityContext"), dict) else {}
    if (psc.get("seccompProfile") or {}).get("type") == "Unconfined":
        setters.append("pod")
    bad = [_cname(c) for _, _, c in _visit_containers(spec)
           if _sc(c) and ((_sc(c).get("seccompProfile") or {}).get("type") == "Unconfined")]
    if bad:
        setters.append("%s %s" % (_pluralize("container", "containers", len(bad)), _join_quote(bad)))
    if setters:
        return ("seccompProfile", '%s must not set securityContext.seccompProfile.type to "Unconfined"'
                % " and ".join(setters))
    return None


def psa_allow_privilege_escalation(md, spec):
    bad = [_cname(c) for _, _, c in _visit_containers(spec)
           if not _sc(c) or _sc(c).get("allowPrivilegeEscalation") is not False]
    if bad:
        return ("allowPrivilegeEscalation != false", "%s %s must set securityContext.allowPrivilegeEscalation=false"
                % (_pluralize("container", "containers", len(bad)), _join_quote(bad)))
    return None


def psa_capabilities_restricted(md, spec):
    missing, adding, caps = [], [], set()
    for _, _, c in _visit_containers(spec):
        cp = _caps(c)
        if cp is None:
            missing.append(_cname(c))
            continue
        if "ALL" not in _cap_list(cp, "drop"):
            missing.append(_cname(c))
        extra = [a for a in _cap_list(cp, "add") if a != "NET_BIND_SERVICE"]
        if extra:
            adding.append(_cname(c))
            caps.update(extra)
    details = []
    if missing:
        details.append('%s %s must set securityContext.capabilities.drop=["ALL"]'
                       % (_pluralize("container", "containers", len(missing)), _join_quote(missing)))
    if adding:
        details.append("%s %s must not include %s in securityContext.capabilities.add"
                       % (_pluralize("container", "containers", len(adding)), _join_quote(adding),
                          _join_quote(sorted(caps))))
    return ("unrestricted capabilities", "; ".join(details)) if details else None


def psa_restricted_volumes(md, spec):
    bad, types = [], []
    for v in spec.get("volumes") or []:
        if not isinstance(v, dict):
            continue
        kinds = [k for k in v if k != "name"]
        t = kinds[0] if kinds else ""
        if t and t not in RESTRICTED_VOLUME_TYPES:
            bad.append(str(v.get("name", "")))
            if t not in types:
                types.append(t)
    if bad:
        return ("restricted volume types", "%s %s %s %s %s" % (
            _pluralize("volume", "volumes", len(bad)), _join_quote(bad), _pluralize("uses", "use", len(bad)),
            _pluralize("restricted volume type", "restricted volume types", len(types)), _join_quote(types)))
    return None


def psa_run_as_non_root(md, spec):
    setters, pod_ok = [], False
    psc = spec.get("securityContext") if isinstance(spec.get("securityContext"), dict) else {}
    if psc.get("runAsNonRoot") is False:
        setters.append("pod")
    elif psc.get("runAsNonRoot") is True:
        pod_ok = True
    explicit, implicit = [], []
    for _, _, c in _visit_containers(spec):
        sc = _sc(c)
        if sc and isinstance(sc.get("runAsNonRoot"), bool):
            if sc["runAsNonRoot"] is False:
                explicit.append(_cname(c))
        elif not pod_ok:
            implicit.append(_cname(c))
    if explicit:
        setters.append("%s %s" % (_pluralize("container", "containers", len(explicit)), _join_quote(explicit)))
    if setters:
        return ("runAsNonRoot != true", "%s must not set securityContext.runAsNonRoot=false" % " and ".join(setters))
    if implicit:
        return ("runAsNonRoot != true", "pod or %s %s must set securityContext.runAsNonRoot=true"
                % (_pluralize("container", "containers", len(implicit)), _join_quote(implicit)))
    return None


def psa_run_as_user(md, spec):
    setters = []
    psc = spec.get("securityContext") if isinstance(spec.get("securityContext"), dict) else {}
    if psc.get("runAsUser") == 0:
        setters.append("pod")
    bad = [_cname(c) for _, _, c in _visit_containers(spec) if _sc(c) and _sc(c).get("runAsUser") == 0]
    if bad:
        setters.append("%s %s" % (_pluralize("container", "containers", len(bad)), _join_quote(bad)))
    return ("runAsUser=0", "%s must not set runAsUser=0" % " and ".join(setters)) if setters else None


def psa_seccomp_restricted(md, spec):
    ok_types = ("RuntimeDefault", "Localhost")
    setters, values, pod_set = [], set(), False
    psc = spec.get("securityContext") if isinstance(spec.get("securityContext"), dict) else {}
    if isinstance(psc.get("seccompProfile"), dict):
        t = str(psc["seccompProfile"].get("type", ""))
        if t not in ok_types:
            setters.append("pod")
            values.add(t)
        else:
            pod_set = True
    explicit, implicit = [], []
    for _, _, c in _visit_containers(spec):
        sc = _sc(c)
        if sc and isinstance(sc.get("seccompProfile"), dict):
            t = str(sc["seccompProfile"].get("type", ""))
            if t not in ok_types:
                explicit.append(_cname(c))
                values.add(t)
        elif not pod_set:
            implicit.append(_cname(c))
    if explicit:
        setters.append("%s %s" % (_pluralize("container", "containers", len(explicit)), _join_quote(explicit)))
    if setters:
        return ("seccompProfile", "%s must not set securityContext.seccompProfile.type to %s"
                % (" and ".join(setters), _join_quote(sorted(values))))
    if implicit:
        return ("seccompProfile", 'pod or %s %s must set securityContext.seccompProfile.type to "RuntimeDefault" '
                'or "Localhost"' % (_pluralize("container", "containers", len(implicit)), _join_quote(implicit)))
    return None


# (id, level, minimum minor, overrides, linux only from v1.25, function); the registry orders
# baseline checks by id, then restricted checks by id (policy/registry.go).
PSA_CHECKS = [
    ("capabilities_baseline", "baseline", 0, None, False, psa_capabilities_baseline),
    ("hostNamespaces", "baseline", 0, None, False, psa_host_namespaces),
    ("hostPathVolumes", "baseline", 0, None, False, psa_host_path_volumes),
    ("hostPorts", "baseline", 0, None, False, psa_host_ports),
    ("privileged", "baseline", 0, None, False, psa_privileged),
    ("seccompProfile_baseline", "baseline", 19, None, False, psa_seccomp_baseline),
    ("allowPrivilegeEscalation", "restricted", 8, None, True, psa_allow_privilege_escalation),
    ("capabilities_restricted", "restricted", 22, "capabilities_baseline", True, psa_capabilities_restricted),
    ("restrictedVolumes", "restricted", 0, "hostPathVolumes", False, psa_restricted_volumes),
    ("runAsNonRoot", "restricted", 0, None, False, psa_run_as_non_root),
    ("runAsUser", "restricted", 23, None, False, psa_run_as_user),
    ("seccompProfile_restricted", "restricted", 19, "seccompProfile_baseline", True, psa_seccomp_restricted),
]


def psa_evaluate(level, minor, md, spec):
    """-> list of (reason, detail) in kube's order; empty when allowed."""
    if level == "privileged":
        return []
    v = PSA_MAX_MINOR if minor is None else min(minor, PSA_MAX_MINOR)
    windows = isinstance(spec.get("os"), dict) and spec["os"].get("name") == "windows"
    active = [c for c in PSA_CHECKS if v >= c[2] and (c[1] == "baseline" or level == "restricted")]
    overridden = {c[3] for c in active if c[3]}
    out = []
    for cid, _, _, _, linux_only, fn in active:
        if cid in overridden or (linux_only and windows and v >= 25):
            continue
        r = fn(md, spec)
        if r is not None:
            out.append(r)
    return out


def psa_detail(results):
    return ", ".join("%s (%s)" % (r, d) if d else r for r, d in results)


# ---- policies from admission.json

class PolicyError(Exception):
    pass


def _check_policy(p, i):
    if not isinstance(p, dict):
        raise PolicyError("entry %d is not an object" % i)
    name = p.get("name")
    if not isinstance(name, str) or not name:
        raise PolicyError("entry %d: name must be a non-empty string" % i)
    if p.get("type") not in POLICY_TYPES:
        raise PolicyError("policy %s: type must be one of %s" % (name, ", ".join(POLICY_TYPES)))
    nss = p.get("namespaces", ["*"])
    if not isinstance(nss, list) or not all(isinstance(x, str) for x in nss):
        raise PolicyError("policy %s: namespaces must be a list of glob strings" % name)
    ex = p.get("excludeUsers", [])
    if not isinstance(ex, list) or not all(isinstance(x, str) for x in ex):
        raise PolicyError("policy %s: excludeUsers must be a list of strings" % name)
    if "engine" in p and p["engine"] not in POLICY_ENGINES:
        raise PolicyError("policy %s: engine must be one of %s" % (name, ", ".join(POLICY_ENGINES)))
    if "phase" in p and p["phase"] not in ("mutating", "validating"):
        raise PolicyError("policy %s: phase must be mutating or validating" % name)
    for k in ("webhook", "rule", "message", "binding"):
        if k in p and not isinstance(p[k], str):
            raise PolicyError("policy %s: %s must be a string" % (name, k))
    unknown = set(p) - {"name", "type", "namespaces", "excludeUsers", "engine", "phase", "webhook", "rule",
                        "message", "binding", "description"}
    if unknown:
        raise PolicyError("policy %s: unknown keys %s" % (name, ", ".join(sorted(unknown))))


class Policy:
    def __init__(self, p):
        self.name = p["name"]
        self.type = p["type"]
        self.namespaces = p.get("namespaces", ["*"])
        self.exclude_users = set(p.get("excludeUsers", []))
        default_engine = {"deny-net-raw": "kyverno", "mutate-drop-all": "kyverno", "deny-all": "gatekeeper",
                          "no-dry-run": "webhook"}[self.type]
        self.engine = p.get("engine", default_engine)
        if self.type == "mutate-drop-all":
            self.phase = "mutating"
        elif self.engine == "vap":
            self.phase = "validating"
        else:
            self.phase = p.get("phase", "validating")
        if self.type == "no-dry-run":
            wh = self.name
        elif self.engine == "gatekeeper":
            wh = "validation.gatekeeper.sh"
        elif self.engine == "kyverno":
            wh = "mutate.kyverno.svc-fail" if self.phase == "mutating" else "validate.kyverno.svc-fail"
        else:
            wh = ""
        self.webhook = p.get("webhook", wh)
        self.rule = p.get("rule", {"deny-net-raw": "require-drop-net-raw", "mutate-drop-all": "add-drop-all",
                                   "deny-all": "check-image", "no-dry-run": ""}[self.type])
        self.message = p.get("message")
        self.binding = p.get("binding", self.name + "-binding")

    def matches(self, ns, user):
        if user in self.exclude_users:
            return False
        return any(fnmatch.fnmatchcase(ns, g) for g in self.namespaces)

    def describe(self):
        return {"name": self.name, "type": self.type, "engine": self.engine, "phase": self.phase,
                "webhook": self.webhook or None}


class Policies:
    """admission.json in the data directory (or --admission-file), re-read when it changes."""

    def __init__(self, path, log):
        self.path = path
        self.log = log
        self.lock = threading.Lock()
        self.sig = None
        self.items = []
        if path and os.path.exists(path):
            self.items = self._load()  # errors at start-up are fatal (PolicyError)
            self.sig = self._sig()

    def _sig(self):
        try:
            st = os.stat(self.path)
            return (st.st_mtime_ns, st.st_size)
        except OSError:
            return None

    def _load(self):
        with open(self.path, "rb") as f:
            try:
                doc = json.loads(f.read().decode("utf-8"))
            except (ValueError, UnicodeDecodeError) as e:
                raise PolicyError("%s: %s" % (self.path, e))
        if isinstance(doc, dict) and isinstance(doc.get("policies"), list):
            doc = doc["policies"]
        if not isinstance(doc, list):
            raise PolicyError("%s: expected a JSON array of policies" % self.path)
        for i, p in enumerate(doc):
            _check_policy(p, i)
        return [Policy(p) for p in doc]

    def current(self):
        if not self.path:
            return []
        sig = self._sig()
        if sig != self.sig:
            with self.lock:
                if sig != self.sig:
                    try:
                        self.items = self._load() if sig is not None else []
                    except (PolicyError, OSError) as e:
                        self.log("kubeapi: keeping the previous admission policies: %s" % e)
                    self.sig = sig
        return self.items


def _bad_container(pod_spec, pred):
    """-> (list name, index, container) of the first container for which pred is true, or None."""
    for lst, i, c in _visit_containers(pod_spec):
        if pred(c):
            return lst, i, c
    return None


def net_raw_violation(c):
    """deny-net-raw: privileged, add NET_RAW/CAP_NET_RAW/ALL, or drop without ALL/NET_RAW."""
    sc = _sc(c)
    if sc and sc.get("privileged") is True:
        return "privileged"
    caps = _caps(c)
    if any(a.upper() in ("NET_RAW", "CAP_NET_RAW", "ALL") for a in _cap_list(caps, "add")):
        return "add"
    if not any(d.upper() in ("ALL", "NET_RAW", "CAP_NET_RAW") for d in _cap_list(caps, "drop")):
        return "drop"
    return None


def mutate_drop_all(pod):
    """mutate-drop-all: drop ALL everywhere, remove NET_RAW/CAP_NET_RAW/ALL from add. -> list of patch notes."""
    notes = []
    spec = pod.get("spec") if isinstance(pod.get("spec"), dict) else {}
    for lst, i, c in _visit_containers(spec):
        path = "/spec/%s/%d/securityContext" % (lst, i)
        if not isinstance(c.get("securityContext"), dict):
            c["securityContext"] = {}
            notes.append("added " + path)
        sc = c["securityContext"]
        if not isinstance(sc.get("capabilities"), dict):
            sc["capabilities"] = {}
            notes.append("added %s/capabilities" % path)
        caps = sc["capabilities"]
        drop = caps.get("drop") if isinstance(caps.get("drop"), list) else []
        if "ALL" not in drop:
            caps["drop"] = drop + ["ALL"]
            notes.append("added %s/capabilities/drop" % path)
        add = caps.get("add")
        if isinstance(add, list):
            keep = [a for a in add if not (isinstance(a, str) and a.upper() in ("NET_RAW", "CAP_NET_RAW", "ALL"))]
            if len(keep) != len(add):
                notes.append("removed %s/capabilities/add" % path if not keep else
                             "replaced %s/capabilities/add" % path)
                if keep:
                    caps["add"] = keep
                else:
                    del caps["add"]
    return notes


def kyverno_message(pod_kind, ns, name, policy, rule, text):
    return ("\n\nresource %s/%s/%s was blocked due to the following policies \n\n%s:\n  %s: %s\n"
            % (pod_kind, ns, name, policy, rule, "'%s'" % text.replace("'", "''")))


class Denial(Exception):
    """An admission rejection: carries the Resp and who denied it."""

    def __init__(self, resp, by):
        super().__init__(by)
        self.resp = resp
        self.by = by


def webhook_denial(policy, ns, name, text, code=None):
    """The Status kube-apiserver builds from a webhook's rejection (webhookerrors.ToStatusErr)."""
    if policy.engine == "kyverno":
        msg = 'admission webhook "%s" denied the request: %s' % (
            policy.webhook, kyverno_message("Pod", ns, name, policy.name, policy.rule, text))
        # Kyverno sets neither code nor reason: kube-apiserver turns code 0 into 400
        return Resp(400, status_obj(400, msg, reason=""))
    if policy.engine == "gatekeeper":
        msg = 'admission webhook "%s" denied the request: [%s] %s' % (policy.webhook, policy.name, text)
        return Resp(403, status_obj(403, msg))
    # ValidatingAdmissionPolicy: admission.NewForbidden
    msg = "pods \"%s\" is forbidden: ValidatingAdmissionPolicy '%s' with binding '%s' denied request: %s" % (
        name, policy.name, policy.binding, text)
    return Resp(403, status_obj(403, msg, details={"name": name, "kind": "pods"}))


def apply_policy(policy, pod, ns, name, dry_run):
    """Runs one policy on pod (mutating it in place for mutate-drop-all). Raises Denial."""
    spec = pod.get("spec") if isinstance(pod.get("spec"), dict) else {}
    if policy.type == "no-dry-run":
        # webhook/errors.NewDryRunUnsupportedErr: the webhook has sideEffects Some or Unknown
        if dry_run:
            raise Denial(status_resp(400, 'admission webhook "%s" does not support dry run' % policy.webhook),
                         policy.name)
        return None
    if policy.type == "mutate-drop-all":
        notes = mutate_drop_all(pod)
        if notes and policy.engine == "kyverno":
            md = pod.setdefault("metadata", {})
            ann = md.get("annotations") if isinstance(md.get("annotations"), dict) else {}
            ann["policies.kyverno.io/last-applied-patches"] = "".join(
                "%s.%s.kyverno.io: %s\n" % (policy.rule, policy.name, n) for n in notes)
            md["annotations"] = ann
        return notes
    if policy.type == "deny-net-raw":
        bad = _bad_container(spec, net_raw_violation)
        if bad is None:
            return None
        lst, i, c = bad
        why = net_raw_violation(c)
        text = policy.message or ("Containers must drop ALL or NET_RAW, must not add NET_RAW or ALL, and must "
                                  "not be privileged")
        if policy.engine == "kyverno":
            field = {"privileged": "securityContext/privileged/", "add": "securityContext/capabilities/add/",
                     "drop": "securityContext/capabilities/drop/"}[why]
            text = "validation error: %s. rule %s failed at path /spec/%s/%d/%s" % (
                text.rstrip("."), policy.rule, lst, i, field)
        elif policy.engine == "gatekeeper":
            text = "container <%s> %s" % (_cname(c), {
                "privileged": "must not be privileged", "add": "must not add NET_RAW or ALL",
                "drop": "must drop ALL or NET_RAW"}[why]) if not policy.message else text
        else:
            text = text if policy.message else (
                "failed expression: object.spec.containers.all(c, has(c.securityContext) && "
                "has(c.securityContext.capabilities) && has(c.securityContext.capabilities.drop) && "
                "c.securityContext.capabilities.drop.exists(d, d in ['ALL', 'NET_RAW']))")
        raise Denial(webhook_denial(policy, ns, name, text), policy.name)
    # deny-all
    first = next((c for _, _, c in _visit_containers(spec)), {})
    image = str(first.get("image", ""))
    if policy.message:
        text = policy.message
    elif policy.engine == "kyverno" and policy.phase == "mutating":
        text = ("failed to verify image %s: .attestors[0].entries[0].keys: no signatures found" % image)
    elif policy.engine == "kyverno":
        text = ("validation error: images must come from registry.internal.example.com. rule %s failed at path "
                "/spec/containers/0/image/" % policy.rule)
    elif policy.engine == "gatekeeper":
        text = ('container <%s> has an invalid image repo <%s>, allowed repos are '
                '["registry.internal.example.com/"]' % (_cname(first), image))
    else:
        text = "failed expression: object.spec.containers.all(c, c.image.startsWith('registry.internal.example.com/'))"
    raise Denial(webhook_denial(policy, ns, name, text), policy.name)


_DNS1123_SUB = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")


def invalid_pod(name, causes):
    """422 as apierrors.NewInvalid builds it. causes: [(field, message)]."""
    msg = 'Pod "%s" is invalid: ' % name
    msg += causes[0][0] + ": " + causes[0][1] if len(causes) == 1 else "[" + ", ".join(
        "%s: %s" % c for c in causes) + "]"
    return status_resp(422, msg, details={"name": name, "kind": "Pod", "causes": [
        {"reason": "FieldValueRequired" if m.startswith("Required") else "FieldValueInvalid", "message": m,
         "field": f} for f, m in causes]})


def validate_pod(pod, name):
    causes = []
    if len(name) > 253 or not _DNS1123_SUB.match(name):
        causes.append(("metadata.name", 'Invalid value: "%s": a lowercase RFC 1123 subdomain must consist of lower '
                       "case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric "
                       "character (e.g. 'example.com', regex used for validation is "
                       "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')" % name))
    spec = pod.get("spec")
    if not isinstance(spec, dict) or not isinstance(spec.get("containers"), list) or not spec["containers"]:
        causes.append(("spec.containers", "Required value"))
    else:
        for lst in ("initContainers", "containers"):
            for i, c in enumerate(spec.get(lst) or []):
                if not isinstance(c, dict) or not c.get("name"):
                    causes.append(("spec.%s[%d].name" % (lst, i), "Required value"))
                if not isinstance(c, dict) or not c.get("image"):
                    causes.append(("spec.%s[%d].image" % (lst, i), "Required value"))
    return causes


SC_TYPES = {"capabilities": dict, "privileged": bool, "allowPrivilegeEscalation": bool, "runAsNonRoot": bool,
            "runAsUser": int, "seccompProfile": dict, "readOnlyRootFilesystem": bool}
POD_SC_TYPES = {"runAsNonRoot": bool, "runAsUser": int, "seccompProfile": dict}


def check_types(pod):
    """Raises TypeError for the fields admission reads when they have the wrong JSON type, as Go's decoder
    would (kube-apiserver answers 400 before admission)."""
    def want(v, t, path):
        if v is not None and (not isinstance(v, t) or (t is int and isinstance(v, bool))):
            raise TypeError("cannot unmarshal %s into %s of type %s" % (type(v).__name__, path, t.__name__))

    spec = pod.get("spec")
    want(spec, dict, "spec")
    spec = spec or {}
    for f in ("hostNetwork", "hostPID", "hostIPC"):
        want(spec.get(f), bool, "spec." + f)
    want(spec.get("securityContext"), dict, "spec.securityContext")
    for k, t in POD_SC_TYPES.items():
        want((spec.get("securityContext") or {}).get(k), t, "spec.securityContext." + k)
    for lst in ("initContainers", "containers", "ephemeralContainers", "volumes"):
        want(spec.get(lst), list, "spec." + lst)
        for i, c in enumerate(spec.get(lst) or []):
            want(c, dict, "spec.%s[%d]" % (lst, i))
    for lst, i, c in _visit_containers(spec):
        base = "spec.%s[%d].securityContext" % (lst, i)
        sc = c.get("securityContext")
        want(sc, dict, base)
        for k, t in SC_TYPES.items():
            want((sc or {}).get(k), t, base + "." + k)
        caps = (sc or {}).get("capabilities") or {}
        for k in ("add", "drop"):
            want(caps.get(k), list, "%s.capabilities.%s" % (base, k))
            for x in caps.get(k) or []:
                want(x, str, "%s.capabilities.%s[]" % (base, k))


def _qos_class(spec):
    res = [c.get("resources") or {} for _, _, c in _visit_containers(spec)]
    if not any(r.get("limits") or r.get("requests") for r in res if isinstance(r, dict)):
        return "BestEffort"
    return "Burstable"


# --------------------------------------------------------------------------
# The application: routing, lists, discovery, reviews
# --------------------------------------------------------------------------

# --------------------------------------------------------------------------
# Protobuf: kubectl 1.32+ POSTs SelfSubjectAccessReview as
# application/vnd.kubernetes.protobuf ("k8s\0" + runtime.Unknown envelope)
# --------------------------------------------------------------------------

def _pb_fields(buf):
    """Yields (field number, wire type, value) of a protobuf message; value is int or bytes."""
    i, n = 0, len(buf)

    def varint():
        nonlocal i
        shift = val = 0
        while True:
            if i >= n:
                raise ValueError("truncated varint")
            b = buf[i]
            i += 1
            val |= (b & 0x7F) << shift
            if not b & 0x80:
                return val
            shift += 7
    while i < n:
        key = varint()
        fn, wt = key >> 3, key & 7
        if wt == 0:
            yield fn, wt, varint()
        elif wt == 2:
            ln = varint()
            if i + ln > n:
                raise ValueError("truncated field")
            yield fn, wt, buf[i:i + ln]
            i += ln
        elif wt == 1:
            i += 8
        elif wt == 5:
            i += 4
        else:
            raise ValueError("unsupported wire type %d" % wt)


def _pb_strings(buf, names):
    out = {}
    for fn, wt, v in _pb_fields(buf):
        if wt == 2 and fn in names:
            out[names[fn]] = v.decode("utf-8")
    return out


def decode_k8s_protobuf(body):
    """-> (apiVersion, kind, raw message bytes) of a k8s protobuf envelope."""
    if body[:4] != b"k8s\x00":
        raise ValueError("missing k8s protobuf magic")
    tm, raw = b"", b""
    for fn, wt, v in _pb_fields(body[4:]):
        if fn == 1 and wt == 2:
            tm = v
        elif fn == 2 and wt == 2:
            raw = v
    t = _pb_strings(tm, {1: "apiVersion", 2: "kind"})
    return t.get("apiVersion", ""), t.get("kind", ""), raw


RA_PB = {1: "namespace", 2: "verb", 3: "group", 4: "version", 5: "resource", 6: "subresource", 7: "name"}


def ssar_from_protobuf(body):
    """SelfSubjectAccessReview protobuf -> the JSON-shaped dict the handler works on."""
    api, kind, raw = decode_k8s_protobuf(body)
    if kind != "SelfSubjectAccessReview":
        raise ValueError("unexpected kind %r" % kind)
    spec = {}
    for fn, wt, v in _pb_fields(raw):
        if fn == 2 and wt == 2:  # spec
            for sfn, swt, sv in _pb_fields(v):
                if sfn == 1 and swt == 2:
                    spec["resourceAttributes"] = _pb_strings(sv, RA_PB)
                elif sfn == 2 and swt == 2:
                    spec["nonResourceAttributes"] = _pb_strings(sv, {1: "path", 2: "verb"})
    return {"apiVersion": api, "kind": kind, "spec": spec}


def ssrr_from_protobuf(body):
    api, kind, raw = decode_k8s_protobuf(body)
    spec = {}
    for fn, wt, v in _pb_fields(raw):
        if fn == 2 and wt == 2:
            spec = _pb_strings(v, {1: "namespace"})
    return {"apiVersion": api, "kind": kind, "spec": spec}


class Resp:
    __slots__ = ("code", "body", "ctype", "headers", "page", "log")

    def __init__(self, code, body, ctype="application/json", headers=None):
        self.code = code
        self.body = body if isinstance(body, bytes) else (body if isinstance(body, str) else go_json(body)).encode("utf-8")
        self.ctype = ctype
        self.headers = headers or []
        self.page = None
        self.log = None  # extra request-log fields


def status_resp(code, message=None, reason=None, details=None, list_meta=None, headers=None):
    return Resp(code, status_obj(code, message, reason, details, list_meta), headers=headers)


def negotiate(accept, want_list, allow_partial, allow_table):
    """-> 'json' | 'partial' | 'table' | None (nothing acceptable)."""
    if not accept or not accept.strip():
        return "json"
    for part in accept.split(","):
        fields = [x.strip() for x in part.split(";")]
        mt = fields[0].lower()
        if mt not in ("application/json", "*/*", "application/*", "*"):
            continue
        params = {}
        for f in fields[1:]:
            k, _, v = f.partition("=")
            params[k.strip().lower()] = v.strip().strip('"')
        as_ = params.get("as")
        if not as_:
            return "json"
        g, v = params.get("g"), params.get("v")
        if as_ in ("PartialObjectMetadataList", "PartialObjectMetadata") and g == "meta.k8s.io" \
                and v in ("v1", "v1beta1"):
            if not allow_partial:
                return "json"
            if (as_ == "PartialObjectMetadataList") == want_list:
                return "partial:" + v
            continue
        if as_ == "Table" and g == "meta.k8s.io" and v in ("v1", "v1beta1"):
            return ("table:" + v) if allow_table else "json"
    return None


TABLE_NAME_COL = {"name": "Name", "type": "string", "format": "name", "description":
                  "Name must be unique within a namespace. Is required when creating resources, although some "
                  "resources may allow a client to request the generation of an appropriate name "
                  "automatically. Name is primarily intended for creation idempotence and configuration "
                  "definition. Cannot be updated. More info: "
                  "https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names",
                  "priority": 0}
TABLE_AGE_COL = {"name": "Age", "type": "string", "format": "", "description":
                 "CreationTimestamp is a timestamp representing the server time when this object was created. "
                 "It is not guaranteed to be set in happens-before order across separate operations. Clients "
                 "may not set this value. It is represented in RFC3339 form and is in UTC.", "priority": 0}


def _col(name, typ="string", prio=0, desc=""):
    return {"name": name, "type": typ, "format": "", "description": desc, "priority": prio}


def table_columns(rt):
    if rt.name == "pods":
        return [TABLE_NAME_COL, _col("Ready", desc="The aggregate readiness state of this pod for accepting "
                                     "traffic."),
                _col("Status", desc="The aggregate status of the containers in this pod."),
                _col("Restarts", desc="The number of times the containers in this pod have been restarted and "
                     "when the last container in this pod has restarted."),
                TABLE_AGE_COL, _col("IP", prio=1, desc="IP address allocated to the pod. Routable at least "
                                    "within the cluster. Empty if not yet allocated."),
                _col("Node", prio=1, desc="NodeName is a request to schedule this pod onto a specific node."),
                _col("Nominated Node", prio=1, desc="nominatedNodeName is set only when this pod preempts "
                     "other pods on the node."),
                _col("Readiness Gates", prio=1, desc="If specified, all readiness gates will be evaluated for "
                     "pod readiness.")]
    if rt.name == "namespaces":
        return [TABLE_NAME_COL, _col("Status", desc="The status of the namespace"), TABLE_AGE_COL]
    return [TABLE_NAME_COL, TABLE_AGE_COL]


def table_row(rt, obj, now):
    md = obj.get("metadata") or {}
    ts = parse_rfc3339(md.get("creationTimestamp"))
    age = human_duration(now - ts) if ts else "<unknown>"
    name = md.get("name", "")
    if rt.name == "pods":
        spec, st = obj.get("spec") or {}, obj.get("status") or {}
        cs = st.get("containerStatuses") or []
        total = len(spec.get("containers") or [])
        ready = sum(1 for c in cs if c.get("ready"))
        restarts = sum(int(c.get("restartCount") or 0) for c in cs)
        reason = st.get("reason") or st.get("phase") or ""
        for c in cs:
            s = c.get("state") or {}
            if "waiting" in s and s["waiting"].get("reason"):
                reason = s["waiting"]["reason"]
            elif "terminated" in s and s["terminated"].get("reason") and not (
                    reason == "Running" and c.get("ready")):
                reason = s["terminated"]["reason"]
        if md.get("deletionTimestamp"):
            reason = "Terminating"
        cells = [name, "%d/%d" % (ready, total), reason, restarts, age, st.get("podIP") or "<none>",
                 spec.get("nodeName") or "<none>", st.get("nominatedNodeName") or "<none>", "<none>"]
    elif rt.name == "namespaces":
        cells = [name, (obj.get("status") or {}).get("phase", ""), age]
    else:
        cells = [name, age]
    return cells


class App:
    def __init__(self, args, sdir, store, faults, authz, policies):
        self.args = args
        self.sdir = sdir
        self.store = store
        self.faults = faults
        self.authz = authz
        self.port = 0
        self.stopping = threading.Event()
        self.issued = {}           # continue token -> (monotonic issue time, page number it fetches)
        self.issued_lock = threading.Lock()
        self.log_lock = threading.Lock()
        self.req_log = open(args.request_log, "a", encoding="utf-8") if args.request_log else None
        self.tokens_path = os.path.join(sdir, "tokens.csv")
        self.flowschema_uid = str(uuid.uuid4())
        self.prioritylevel_uid = str(uuid.uuid4())
        self.audit_path = os.path.join(sdir, "audit.log")
        self.policies = policies
        split = lambda v: {x.strip() for x in (v or "").split(",") if x.strip()}
        self.psa_exempt = {"usernames": split(args.psa_exempt_users), "namespaces": split(args.psa_exempt_namespaces),
                           "runtimeClasses": split(args.psa_exempt_runtimeclasses)}
        self.psa_default = parse_psa_default(args.psa_default_enforce)

    # ---- logging
    def log_request(self, rec):
        if self.req_log is None:
            return
        line = json.dumps(rec, separators=(",", ":"), ensure_ascii=True)
        with self.log_lock:
            self.req_log.write(line + "\n")
            self.req_log.flush()

    def verbose(self, msg):
        if self.args.verbose:
            sys.stderr.write(msg + "\n")
            sys.stderr.flush()

    # ---- authentication
    def read_tokens(self):
        out = {}
        try:
            with open(self.tokens_path, newline="", encoding="utf-8") as f:
                for row in csv.reader(f):
                    if len(row) < 3 or not row[0].strip():
                        continue
                    groups = row[3].split(",") if len(row) > 3 else []
                    out[row[0].strip()] = (row[1].strip(), row[2].strip(), [g.strip() for g in groups])
        except (OSError, csv.Error, UnicodeDecodeError) as e:
            self.verbose("kubeapi: cannot read %s: %s" % (self.tokens_path, e))
        return out

    def authenticate(self, conn, headers):
        """-> (User or None, presented): x509 first, then bearer token, like kube-apiserver's union."""
        try:
            cert = conn.getpeercert()
        except (AttributeError, ValueError, ssl.SSLError):
            cert = None
        if cert:
            issuer = {k: v for rdn in cert.get("issuer", ()) for k, v in rdn}
            if issuer.get("commonName") == CA_CN:
                cn, orgs = "", []
                for rdn in cert.get("subject", ()):
                    for k, v in rdn:
                        if k == "commonName":
                            cn = v
                        elif k == "organizationName":
                            orgs.append(v)
                if cn:
                    return User(cn, "", orgs, "x509")
        auth = headers.get("Authorization")
        if auth:
            scheme, _, tok = auth.strip().partition(" ")
            tok = tok.strip()
            if scheme.lower() == "bearer" and tok:
                ent = self.read_tokens().get(tok)
                if ent:
                    return User(ent[0], ent[1], ent[2], "token")
        return None

    # ---- continue-token bookkeeping
    def remember_token(self, tok, page):
        with self.issued_lock:
            if len(self.issued) > 200000:
                for k in list(self.issued)[:100000]:
                    del self.issued[k]
            self.issued[tok] = (time.monotonic(), page)

    def page_of(self, q):
        tok = q.get("continue", "")
        if not tok:
            return 1
        with self.issued_lock:
            ent = self.issued.get(tok)
        return ent[1] if ent else None

    # ---- routing
    def route(self, method, path, q, body, user, headers):
        if path in ("/healthz", "/livez", "/readyz"):
            return self._nonres(user, method, path, lambda: Resp(200, b"ok", "text/plain; charset=utf-8"))
        if path in ("/version", "/version/"):
            return self._nonres(user, method, path, self.version_resp)
        if path == "/openapi/v3" or path.startswith("/openapi/v3/"):
            return self._nonres(user, method, path, lambda: self.openapi_v3(path[len("/openapi/v3"):].strip("/")))
        parts = [p for p in path.split("/") if p]
        if not parts or parts[0] not in ("api", "apis"):
            return self._nonres(user, method, path, self.not_found_text)
        if parts[0] == "api":
            if len(parts) == 1:
                return self._nonres(user, method, path, self.api_versions)
            group, version, rest = "", parts[1], parts[2:]
            if not rest:
                return self._nonres(user, method, path, lambda: self.resource_list("", version))
        else:
            if len(parts) == 1:
                return self._nonres(user, method, path, self.api_groups)
            if len(parts) == 2:
                return self._nonres(user, method, path, lambda: self.api_group(parts[1]))
            group, version, rest = parts[1], parts[2], parts[3:]
            if not rest:
                return self._nonres(user, method, path, lambda: self.resource_list(group, version))
        # resource request, as kube's RequestInfoFactory parses it
        ns = ""
        if rest[0] == "namespaces" and len(rest) > 1:
            ns = rest[1]
            if len(rest) > 2 and rest[2] not in ("status", "finalize"):
                rest = rest[2:]
        resource = rest[0]
        name = rest[1] if len(rest) > 1 else ""
        sub = "/".join(rest[2:]) if len(rest) > 2 else ""
        watch = q.get("watch", "") in ("1", "true", "True")
        verb = {"GET": "list" if not name else "get", "POST": "create", "PUT": "update", "PATCH": "patch",
                "DELETE": "delete" if name else "deletecollection", "HEAD": "get"}.get(method, method.lower())
        if watch and verb in ("list", "get"):
            verb = "watch"
        if resource == "namespaces" and ns and verb == "list" and not sub:
            verb = "get"
        ok, _ = self.authz.resource(user, verb, group, resource + ("/" + sub if sub else ""), ns, name)
        is_pod_create = (method == "POST" and group == "" and version == "v1" and resource == "pods" and ns
                         and not name and not sub)
        if not ok:
            resp = Resp(403, forbidden_status(user, verb, group, resource + ("/" + sub if sub else ""), ns, name))
            if is_pod_create:
                resp.log = {"dry-run": q.get("dryRun") == "All", "admission": "forbidden"}
                self.audit({"ts": round(time.time(), 3), "user": user.name, "groups": user.groups, "verb": "create",
                            "resource": "pods", "namespace": ns, "name": None, "dryRun": q.get("dryRun") == "All",
                            "code": 403, "decision": "forbidden", "by": "RBAC", "mutatedBy": [],
                            "message": json.loads(resp.body)["message"]})
            return resp
        if is_pod_create:
            return self.create_pod(ns, q, body, user, headers)
        if group == "authorization.k8s.io" and version == "v1" and resource in (
                "selfsubjectaccessreviews", "selfsubjectrulesreviews") and not name and not ns:
            if method != "POST":
                return status_resp(405, details={})
            return self.ssar(body, user, headers) if resource == "selfsubjectaccessreviews" \
                else self.ssrr(body, user, headers)
        rt = self.store.find_type(group, version, resource)
        if rt is None or sub:
            return status_resp(404, details={})
        if method not in ("GET", "HEAD"):
            return status_resp(405, details={})
        if watch:
            return status_resp(405, "watch is not supported by this test server", "MethodNotAllowed",
                               details={})
        if rt.name == "namespaces" and ns:
            name = ns
            ns = ""
        if rt.namespaced is False and ns:
            return status_resp(404, details={})
        accept = headers.get("Accept", "")
        mode = negotiate(accept, not name, not self.args.no_partial_metadata, not self.args.no_table)
        if mode is None:
            return status_resp(406, "only the following media types are accepted: application/json, "
                                    "application/json;as=Table;v=v1;g=meta.k8s.io, "
                                    "application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io",
                               details={})
        if name:
            return self.get_object(rt, ns, name, mode)
        return self.list_objects(rt, (ns or None) if rt.namespaced else None, q, mode)

    def _nonres(self, user, method, path, fn):
        verb = {"GET": "get", "HEAD": "head", "POST": "post", "PUT": "put", "DELETE": "delete",
                "PATCH": "patch"}.get(method, method.lower())
        ok, _ = self.authz.nonresource(user, verb, path)
        if not ok:
            return Resp(403, forbidden_status(user, verb, "", "", "", "", path=path))
        if method not in ("GET", "HEAD"):
            return status_resp(405, details={})
        return fn()

    def not_found_text(self):
        return Resp(404, b"404 page not found\n", "text/plain; charset=utf-8",
                    [("X-Content-Type-Options", "nosniff")])

    # ---- discovery
    def version_resp(self):
        gv = self.args.git_version
        m = re.match(r"v?(\d+)\.(\d+)", gv)
        return Resp(200, {"major": m.group(1) if m else "1", "minor": m.group(2) if m else "31",
                          "gitVersion": gv, "gitCommit": "0123456789abcdef0123456789abcdef01234567",
                          "gitTreeState": "clean", "buildDate": "2024-12-10T11:36:48Z", "goVersion": "go1.22.9",
                          "compiler": "gc", "platform": "linux/amd64"})

    def api_versions(self):
        return Resp(200, {"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": [
            {"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1:%d" % self.port}]})

    def _group_entries(self):
        groups = dict(self.store.groups())
        groups.setdefault("authorization.k8s.io", set()).add("v1")
        out = []
        for g in sorted(groups, key=lambda x: (x != "apps", x != "authorization.k8s.io", x)):
            vs = [{"groupVersion": "%s/%s" % (g, v), "version": v} for v in sorted(groups[g])]
            out.append({"name": g, "versions": vs, "preferredVersion": vs[0]})
        return out

    def api_groups(self):
        return Resp(200, {"kind": "APIGroupList", "apiVersion": "v1", "groups": self._group_entries()})

    def api_group(self, g):
        for e in self._group_entries():
            if e["name"] == g:
                d = {"kind": "APIGroup", "apiVersion": "v1"}
                d.update(e)
                return Resp(200, d)
        return status_resp(404, details={})

    def resource_list(self, group, version):
        res = []
        if group == "authorization.k8s.io" and version == "v1":
            for n, k, nsd in (("localsubjectaccessreviews", "LocalSubjectAccessReview", True),
                              ("selfsubjectaccessreviews", "SelfSubjectAccessReview", False),
                              ("selfsubjectrulesreviews", "SelfSubjectRulesReview", False),
                              ("subjectaccessreviews", "SubjectAccessReview", False)):
                res.append({"name": n, "singularName": k.lower(), "namespaced": nsd, "kind": k,
                            "verbs": ["create"]})
        else:
            types = sorted((t for (g, _), t in self.store.types.items() if g == group and t.version == version),
                           key=lambda t: t.name)
            if not types:
                return status_resp(404, details={})
            for t in types:
                e = {"name": t.name, "singularName": t.singular, "namespaced": t.namespaced, "kind": t.kind,
                     "verbs": t.verbs}
                if t.short:
                    e["shortNames"] = t.short
                if t.categories:
                    e["categories"] = t.categories
                if t.svh:
                    e["storageVersionHash"] = t.svh
                res.append(e)
                if t.name == "pods":
                    for sub, k, verbs in (("pods/log", "Pod", ["get"]), ("pods/status", "Pod",
                                                                       ["get", "patch", "update"])):
                        res.append({"name": sub, "singularName": "", "namespaced": True, "kind": k,
                                    "verbs": verbs})
        gv = version if not group else "%s/%s" % (group, version)
        return Resp(200, {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv, "resources": res})

    # ---- OpenAPI v3: just enough for kubectl's fieldValidation probe
    def _openapi_gvs(self):
        gvs = {}
        for (g, _), t in self.store.types.items():
            key = "api/%s" % t.version if not g else "apis/%s/%s" % (g, t.version)
            gvs.setdefault(key, []).append(t)
        return gvs

    def openapi_v3(self, sub):
        """kubectl (QueryParamVerifierV3) reads /openapi/v3/<gv> and looks for a PATCH operation tagged with the
        kind's x-kubernetes-group-version-kind that takes the fieldValidation query parameter; when it finds it,
        kubectl leaves validation to the server and does not need the full schema (which is not served)."""
        gvs = self._openapi_gvs()
        if not sub:
            return Resp(200, {"paths": {k: {"serverRelativeURL": "/openapi/v3/%s?hash=%s" % (
                k, hashlib.sha512(k.encode()).hexdigest()[:128].upper())} for k in sorted(gvs)}})
        types = gvs.get(sub)
        if not types:
            return self.not_found_text()
        paths = {}
        param = {"name": "fieldValidation", "in": "query", "description": "fieldValidation instructs the server "
                 "on how to handle objects in the request (POST/PUT/PATCH) containing unknown or duplicate "
                 "fields.", "schema": {"type": "string", "uniqueItems": True}}
        for t in sorted(types, key=lambda t: t.name):
            base = "/" + sub + ("/namespaces/{namespace}/" if t.namespaced else "/") + t.name
            gvk = {"group": t.group, "version": t.version, "kind": t.kind}
            paths[base + "/{name}"] = {"patch": {"tags": [sub.replace("/", "_")], "description": "partially update "
                                                 "the specified " + t.kind, "operationId": "patch" + t.kind,
                                                 "parameters": [param], "responses": {},
                                                 "x-kubernetes-action": "patch",
                                                 "x-kubernetes-group-version-kind": gvk}}
            paths[base] = {"post": {"description": "create a " + t.kind, "operationId": "create" + t.kind,
                                    "parameters": [param, {"name": "dryRun", "in": "query", "schema": {
                                        "type": "string", "uniqueItems": True}}], "responses": {},
                                    "x-kubernetes-action": "post", "x-kubernetes-group-version-kind": gvk}}
        return Resp(200, {"openapi": "3.0.0", "info": {"title": "Kubernetes", "version": self.args.git_version},
                          "paths": paths, "components": {}})

    # ---- objects
    def get_object(self, rt, ns, name, mode):
        self.store.reload()
        snap = self.store.snapshot(rt)
        it = snap.by_key.get("%s/%s" % (ns, name) if rt.namespaced else name)
        if it is None:
            det = {"name": name}
            if rt.group:
                det["group"] = rt.group
            det["kind"] = rt.name
            return status_resp(404, '%s "%s" not found' % (rt.qualified, name), details=det)
        if mode.startswith("partial"):
            return Resp(200, '{"kind":"PartialObjectMetadata","apiVersion":"meta.k8s.io/%s","metadata":%s}'
                        % (mode.split(":")[1], it.meta()))
        if mode.startswith("table"):
            return Resp(200, self._table([it], rt, {"resourceVersion": str(snap.rv)}, mode.split(":")[1]))
        full = it.full()
        head = '{"kind":"%s","apiVersion":"%s"' % (rt.kind, rt.gv)
        return Resp(200, head + ("," + full[1:] if full != "{}" else "}"))

    def _table(self, items, rt, list_meta, version):
        now = time.time()
        rows = []
        for it in items:
            obj = it.as_dict()
            rows.append('{"cells":%s,"object":{"kind":"PartialObjectMetadata","apiVersion":"meta.k8s.io/v1",'
                        '"metadata":%s}}' % (go_json(table_row(rt, obj, now)), it.meta()))
        return ('{"kind":"Table","apiVersion":"meta.k8s.io/%s","metadata":%s,"columnDefinitions":%s,"rows":[%s]}'
                % (version, go_json(list_meta), go_json(table_columns(rt)), ",".join(rows)))

    def list_objects(self, rt, ns, q, mode):
        try:
            limit = int(q.get("limit", "0") or "0")
        except ValueError:
            return status_resp(400, 'strconv.ParseInt: parsing "%s": invalid syntax' % q.get("limit"),
                               details={})
        try:
            lsel = parse_label_selector(q.get("labelSelector", ""))
            fsel = parse_field_selector(q.get("fieldSelector", ""), rt)
        except SelectorError as e:
            return status_resp(400, str(e))
        cont = q.get("continue", "")
        rvq = q.get("resourceVersion", "")
        page = 1
        ns_prefix = (ns + "/") if ns else ""
        start_key = None
        if cont:
            if rvq:
                return status_resp(400, "specifying resource version is not allowed when using continue")
            try:
                trv, start = decode_continue(cont)
            except ContinueError as e:
                return status_resp(400, "invalid continue token: %s" % e)
            start_key = ns_prefix + start
            info = None
            with self.issued_lock:
                info = self.issued.get(cont)
            page = info[1] if info else None
            if trv == -1:
                self.store.reload()
                snap = self.store.snapshot(rt)
            else:
                expired = self.args.always_expire_continue
                if not expired and self.args.expire_continue_after and info is not None:
                    expired = time.monotonic() - info[0] > self.args.expire_continue_after
                snap = None if expired else self.store.snapshot(rt, trv)
                if snap is None:
                    cur = self.store.snapshot(rt)
                    if not expired and trv > cur.rv:
                        return status_resp(504, "Too large resource version: %d, current: %d" % (trv, cur.rv),
                                           details={"causes": [{"reason": "ResourceVersionTooLarge",
                                                                "message": "Too large resource version"}],
                                                    "retryAfterSeconds": 1})
                    newtok = encode_continue(-1, start)
                    self.remember_token(newtok, page)
                    return status_resp(410, INCONSISTENT_CONTINUE_MSG, list_meta={"continue": newtok})
        else:
            self.store.reload()
            snap = self.store.snapshot(rt)
            if rvq == "0":
                limit = 0  # served from the watch cache, which ignores limit
        lo, hi = snap.ns_range(ns)
        j = lo if start_key is None else max(lo, bisect.bisect_left(snap.keys, start_key, lo, hi))
        out = []
        items = snap.items
        while j < hi:
            if limit > 0 and len(out) >= limit:
                break
            it = items[j]
            if (not lsel or label_match(lsel, it.labels)) and (not fsel or field_match(fsel, it)):
                out.append(it)
            j += 1
        lm = {"resourceVersion": str(snap.rv)}
        if limit > 0 and len(out) >= limit and j < hi:
            last = items[j - 1].key
            tok = encode_continue(snap.rv, (last[len(ns_prefix):] if ns_prefix else last) + "\x00")
            self.remember_token(tok, (page or 0) + 1 if page else None)
            lm["continue"] = tok
            if not lsel and not fsel:
                lm["remainingItemCount"] = hi - j
        if mode.startswith("table"):
            r = Resp(200, self._table(out, rt, lm, mode.split(":")[1]))
        elif mode.startswith("partial"):
            v = mode.split(":")[1]
            head = '{"kind":"PartialObjectMetadataList","apiVersion":"meta.k8s.io/%s","metadata":%s,"items":[' % (
                v, go_json(lm))
            pre = '{"kind":"PartialObjectMetadata","apiVersion":"meta.k8s.io/%s","metadata":' % v
            r = Resp(200, head + ",".join(pre + it.meta() + "}" for it in out) + "]}")
        else:
            head = '{"kind":"%sList","apiVersion":"%s","metadata":%s,"items":[' % (rt.kind, rt.gv, go_json(lm))
            r = Resp(200, head + ",".join(it.full() for it in out) + "]}")
        r.page = page
        return r

    # ---- server-side dry-run create of pods (admission)
    def audit(self, rec):
        """SDIR/audit.log: one JSON line per create attempt, whatever became of it."""
        line = json.dumps(rec, separators=(",", ":"), ensure_ascii=True)
        with self.log_lock:
            with open(self.audit_path, "a", encoding="utf-8") as f:
                f.write(line + "\n")

    def create_pod(self, ns, q, body, user, headers):
        out = {"name": None, "by": None, "mutatedBy": []}
        try:
            resp, decision = self._admit(ns, q, body, user, headers, out)
        except Denial as d:
            resp, decision, out["by"] = d.resp, "denied", d.by
        except (AttributeError, TypeError, KeyError, ValueError) as e:
            # a field of another type than check_types() knows: kube-apiserver would fail to decode the body
            resp, decision = status_resp(400, 'Pod in version "v1" cannot be handled as a Pod: json: %s' % e), \
                "invalid"
        dry = q.get("dryRun") == "All"
        resp.log = {"dry-run": dry, "admission": decision}
        if out["by"]:
            resp.log["admission-by"] = out["by"]
        self.audit({"ts": round(time.time(), 3), "user": user.name, "groups": user.groups, "verb": "create",
                    "resource": "pods", "namespace": ns, "name": out["name"], "dryRun": dry, "code": resp.code,
                    "decision": decision, "by": out["by"], "mutatedBy": out["mutatedBy"],
                    "message": None if resp.code < 300 else json.loads(resp.body).get("message")})
        return resp

    def _admit(self, ns, q, body, user, headers, out):
        if "dryRun" in q and q["dryRun"] != "All":
            return status_resp(422, 'CreateOptions.meta.k8s.io "" is invalid: dryRun: Unsupported value: '
                               '["%s"]: supported values: "All"' % q["dryRun"],
                               details={"group": "meta.k8s.io", "kind": "CreateOptions", "causes": [
                                   {"reason": "FieldValueNotSupported", "message": 'Unsupported value: ["%s"]: '
                                    'supported values: "All"' % q["dryRun"], "field": "dryRun"}]}), "invalid"
        if "dryRun" not in q:
            return status_resp(405, "create is refused: this test API server is read-only and serves pod "
                                    "creation only as a server-side dry run (dryRun=All)",
                               details={}), "refused"
        ctype = (headers.get("Content-Type") or "application/json").split(";")[0].strip().lower()
        if ctype not in ("application/json", "*/*", ""):
            return status_resp(415, 'the body of the request was in an unknown format - accepted media types '
                               'include: application/json', details={}), "invalid"
        try:
            pod = json.loads(body.decode("utf-8"))
        except (ValueError, UnicodeDecodeError) as e:
            return status_resp(400, "couldn't get version/kind; json parse error: %s" % e), "invalid"
        if not isinstance(pod, dict):
            return status_resp(400, "couldn't get version/kind; json parse error: expected an object"), "invalid"
        api, kind = pod.get("apiVersion", "v1"), pod.get("kind", "Pod")
        if api != "v1":
            return status_resp(400, "the API version in the data (%s) does not match the expected API version "
                                    "(v1)" % api), "invalid"
        if kind != "Pod":
            return status_resp(400, "the kind in the data (%s) does not match the expected kind (Pod)" % kind), \
                "invalid"
        md = pod.get("metadata")
        if md is None:
            md = pod["metadata"] = {}
        if not isinstance(md, dict):
            return status_resp(400, "metadata must be an object"), "invalid"
        out["name"] = md.get("name") or None
        try:
            check_types(pod)
        except TypeError as e:
            return status_resp(400, 'Pod in version "v1" cannot be handled as a Pod: json: %s' % e), "invalid"
        if md.get("namespace") not in (None, "", ns):
            return status_resp(400, "the namespace of the provided object does not match the namespace sent on "
                                    "the request"), "invalid"
        if md.get("resourceVersion"):
            return status_resp(400, "resourceVersion should not be set on objects to be created"), "invalid"
        # NamespaceLifecycle (first plugin of both phases)
        self.store.reload()
        nsobj = self.store.snapshot(self.store.types[("", "namespaces")]).by_key.get(ns)
        if nsobj is None:
            return status_resp(404, 'namespaces "%s" not found' % ns,
                               details={"name": ns, "kind": "namespaces"}), "invalid"
        nsd = nsobj.as_dict()
        rname = md.get("name") or ""
        if (nsd.get("status") or {}).get("phase") == "Terminating" or (nsd.get("metadata") or {}).get(
                "deletionTimestamp"):
            return Resp(403, status_obj(403, '%s is forbidden: unable to create new content in namespace %s because '
                                        'it is being terminated' % ('pods "%s"' % rname if rname else "pods", ns),
                                        details={"name": rname, "kind": "pods"} if rname else {"kind": "pods"})), \
                "denied"
        policies = [p for p in self.policies.current() if p.matches(ns, user.name)]
        # 1. mutating admission (MutatingAdmissionWebhook; Kyverno verifyImages runs here too)
        for p in policies:
            if p.phase == "mutating":
                # a generateName pod has no name yet: Kyverno reports "Pod/NS/"
                if apply_policy(p, pod, ns, rname, True):
                    out["mutatedBy"].append(p.name)
        # 2. name generation and validation
        md = pod["metadata"] if isinstance(pod.get("metadata"), dict) else {}
        name = md.get("name") or ""
        if not name:
            gen = md.get("generateName") or ""
            if not gen:
                return invalid_pod("", [("metadata.name", "Required value: name or generateName is required")]), \
                    "invalid"
            name = gen + "".join(random.choice(KUBE_ALNUM) for _ in range(5))
            md["name"] = name
        out["name"] = name
        causes = validate_pod(pod, name)
        if causes:
            return invalid_pod(name, causes), "invalid"
        md["namespace"] = ns
        md["uid"] = str(uuid.uuid4())
        md["creationTimestamp"] = rfc3339(time.time())
        spec = pod["spec"]
        # 3. validating admission: PodSecurity, then ValidatingAdmissionPolicy, then validating webhooks
        warnings = []
        labels = (nsd.get("metadata") or {}).get("labels") or {}
        rc = spec.get("runtimeClassName")
        exempt = (ns in self.psa_exempt["namespaces"] or user.name in self.psa_exempt["usernames"] or
                  (rc and rc in self.psa_exempt["runtimeClasses"]))
        if not exempt:
            level, minor = psa_enforce_policy(labels, self.psa_default)
            res = psa_evaluate(level, minor, md, spec)
            if res:
                msg = 'pods "%s" is forbidden: violates PodSecurity "%s": %s' % (
                    name, psa_policy_string(level, minor), psa_detail(res))
                raise Denial(Resp(403, status_obj(403, msg, details={"name": name, "kind": "pods"})), "PodSecurity")
            warn = psa_warn_policy(labels)
            if warn:
                wres = psa_evaluate(warn[0], warn[1], md, spec)
                if wres:
                    warnings.append('would violate PodSecurity "%s": %s' % (psa_policy_string(*warn),
                                                                             psa_detail(wres)))
        for p in sorted((p for p in policies if p.phase == "validating"), key=lambda p: p.engine != "vap"):
            apply_policy(p, pod, ns, name, True)
        obj = {"kind": "Pod", "apiVersion": "v1", "metadata": md, "spec": spec,
               "status": {"phase": "Pending", "qosClass": _qos_class(spec)}}
        hdrs = [("Warning", '299 - "%s"' % w.replace("\\", "\\\\").replace('"', '\\"')) for w in warnings]
        return Resp(201, obj, headers=hdrs), "admitted"

    # ---- reviews
    def _decode_body(self, body, headers, pbfunc):
        ctype = (headers.get("Content-Type") or "application/json").split(";")[0].strip().lower()
        if ctype == "application/vnd.kubernetes.protobuf":
            return pbfunc(body)
        if ctype not in ("application/json", "*/*", ""):
            raise TypeError(ctype)
        return json.loads(body.decode("utf-8") or "null")

    def ssar(self, body, user, headers):
        try:
            obj = self._decode_body(body, headers, ssar_from_protobuf)
        except TypeError as e:
            return status_resp(415, 'the body of the request was in an unknown format - accepted media types '
                               'include: application/json, application/yaml, application/vnd.kubernetes.protobuf',
                               details={})
        except (ValueError, UnicodeDecodeError) as e:
            return status_resp(400, "the object provided is unrecognized (%s)" % e, details={})
        if not isinstance(obj, dict):
            return status_resp(400, "the object provided is unrecognized", details={})
        spec = obj.get("spec") if isinstance(obj.get("spec"), dict) else {}
        ra, nra = spec.get("resourceAttributes"), spec.get("nonResourceAttributes")
        if bool(ra) == bool(nra):
            return status_resp(422, 'SelfSubjectAccessReview.authorization.k8s.io "" is invalid: '
                               'spec.resourceAttributes: Invalid value: "null": exactly one of '
                               'nonResourceAttributes or resourceAttributes must be specified',
                               details={"group": "authorization.k8s.io", "kind": "SelfSubjectAccessReview",
                                        "causes": [{"reason": "FieldValueInvalid",
                                                    "message": "Invalid value: \"null\": exactly one of "
                                                               "nonResourceAttributes or resourceAttributes "
                                                               "must be specified",
                                                    "field": "spec.resourceAttributes"}]})
        echo = {}
        if ra:
            ra = ra if isinstance(ra, dict) else {}
            order = ("namespace", "verb", "group", "version", "resource", "subresource", "name",
                     "fieldSelector", "labelSelector")
            echo["resourceAttributes"] = {k: ra[k] for k in order if ra.get(k)}
            res = str(ra.get("resource", ""))
            if ra.get("subresource"):
                res += "/" + str(ra["subresource"])
            ns = str(ra.get("namespace", ""))
            if res == "namespaces" and ra.get("name") and not ns:
                ns = str(ra["name"])
            allowed, reason = self.authz.resource(user, str(ra.get("verb", "")), str(ra.get("group", "")),
                                                  res, ns, str(ra.get("name", "")))
        else:
            nra = nra if isinstance(nra, dict) else {}
            echo["nonResourceAttributes"] = {k: nra[k] for k in ("path", "verb") if nra.get(k)}
            allowed, reason = self.authz.nonresource(user, str(nra.get("verb", "")), str(nra.get("path", "")))
        st = {"allowed": allowed}
        if reason:
            st["reason"] = reason
        return Resp(201, {"kind": "SelfSubjectAccessReview", "apiVersion": "authorization.k8s.io/v1",
                          "metadata": {"creationTimestamp": None}, "spec": echo, "status": st})

    def ssrr(self, body, user, headers):
        try:
            obj = self._decode_body(body, headers, ssrr_from_protobuf)
        except TypeError as e:
            return status_resp(415, 'the body of the request was in an unknown format - accepted media types '
                               'include: application/json, application/yaml, application/vnd.kubernetes.protobuf',
                               details={})
        except (ValueError, UnicodeDecodeError) as e:
            return status_resp(400, "the object provided is unrecognized (%s)" % e, details={})
        spec = obj.get("spec") if isinstance(obj, dict) and isinstance(obj.get("spec"), dict) else {}
        ns = str(spec.get("namespace", ""))
        rr, nr = self.authz.rules(user, ns)
        return Resp(201, {"kind": "SelfSubjectRulesReview", "apiVersion": "authorization.k8s.io/v1",
                          "metadata": {"creationTimestamp": None}, "spec": {"namespace": ns} if ns else {},
                          "status": {"resourceRules": rr, "nonResourceRules": nr, "incomplete": False}})


# --------------------------------------------------------------------------
# HTTP handler
# --------------------------------------------------------------------------

HTML_PAGE = (b"<!DOCTYPE html>\n<html>\n<head><title>Proxy Error</title></head>\n<body>\n"
             b"<h1>Bad Gateway</h1>\n<p>The proxy server received an invalid response from an upstream server."
             b"</p>\n<hr><address>corporate-proxy/2.4 at 127.0.0.1</address>\n</body>\n</html>\n")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 120  # idle keep-alive connections are dropped after this

    def setup(self):
        conn = self.request
        if isinstance(conn, ssl.SSLSocket):
            conn.settimeout(10)
            try:
                conn.do_handshake()
            except (ssl.SSLError, OSError) as e:
                self.server.app.log_request({"ts": round(time.time(), 3), "event": "tls_handshake_failed",
                                             "error": str(e)[:300]})
                raise
        super().setup()

    def log_message(self, fmt, *args):
        self.server.app.verbose("kubeapi: " + (fmt % args))

    def send_response(self, code, message=None):
        self.send_response_only(code, message)
        self.send_header("Date", self.date_time_string())

    def do_GET(self):
        self.handle_any("GET")

    def do_POST(self):
        self.handle_any("POST")

    def do_PUT(self):
        self.handle_any("PUT")

    def do_PATCH(self):
        self.handle_any("PATCH")

    def do_DELETE(self):
        self.handle_any("DELETE")

    def _read_body(self):
        te = self.headers.get("Transfer-Encoding", "")
        if "chunked" in te.lower():
            data = b""
            while True:
                line = self.rfile.readline(65537)
                n = int(line.split(b";")[0].strip() or b"0", 16)
                if n == 0:
                    while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                        pass
                    return data
                data += self.rfile.read(n)
                self.rfile.readline(65537)
        n = int(self.headers.get("Content-Length", "0") or "0")
        return self.rfile.read(n) if n > 0 else b""

    def handle_any(self, method):
        app = self.server.app
        t0 = time.monotonic()
        u = urlsplit(self.path)
        path = u.path or "/"
        q = {k: v[0] for k, v in parse_qs(u.query, keep_blank_values=True).items()}
        self._sent = {"status": 0, "bytes": 0, "content_encoding": "", "note": ""}
        user = None
        fault = None
        page = None
        try:
            body = self._read_body()
            page = app.page_of(q) if method == "GET" else None
            fault = app.faults.match(method, path, u.query, page)
            if fault is not None and (fault.hang or fault.html or fault.status or
                                      (fault.reset is not None and fault.reset < 0)):
                self._act_fault(fault, path, q, page)
            else:
                user = app.authenticate(self.connection, self.headers)
                if user is None:
                    resp = status_resp(401)
                else:
                    resp = app.route(method, path, q, body, user, self.headers)
                self.send_body(resp, fault)
        except (ConnectionError, ssl.SSLError, socket.timeout, BrokenPipeError) as e:
            self.close_connection = True
            self._sent["note"] = "client went away: %s" % type(e).__name__
        except Exception as e:  # an honest 500 rather than a dropped connection
            traceback.print_exc()
            try:
                self.send_body(status_resp(500, "Internal error occurred: %s" % e,
                                           details={"causes": [{"message": str(e)}]}), None)
            except Exception:
                self.close_connection = True
        rec = {"ts": round(time.time(), 3), "method": method, "path": path, "query": u.query,
               "status": self._sent["status"], "bytes": self._sent["bytes"],
               "user": user.name if user else None, "auth": user.via if user else None,
               "accept": self.headers.get("Accept"), "accept-encoding": self.headers.get("Accept-Encoding"),
               "content-encoding": self._sent["content_encoding"] or None,
               "user-agent": self.headers.get("User-Agent"),
               "authorization": "Authorization" in self.headers,
               "client-cert": bool(self._peer_cert()),
               "page": page, "fault": fault.describe() if fault else None,
               "ms": round((time.monotonic() - t0) * 1000, 1)}
        if self._sent["note"]:
            rec["note"] = self._sent["note"]
        if self._sent.get("log"):
            rec.update(self._sent["log"])
        app.log_request(rec)

    def _peer_cert(self):
        try:
            return self.connection.getpeercert(binary_form=True)
        except (AttributeError, ValueError, ssl.SSLError):
            return None

    def _act_fault(self, f, path, q, page):
        app = self.server.app
        if f.reset is not None and f.reset < 0:
            self._hard_reset()
            self._sent["note"] = "reset before response"
            return
        if f.hang:
            self._sent["note"] = "hang"
            self.close_connection = True
            conn = self.connection
            conn.settimeout(0.5)
            while not app.stopping.is_set():
                try:
                    if not conn.recv(4096):
                        break
                except socket.timeout:
                    continue
                except (OSError, ssl.SSLError):
                    break
            return
        if f.html:
            self.send_body(Resp(f.html, HTML_PAGE, "text/html; charset=utf-8"), f)
            return
        code = f.status
        hdrs = []
        if f.retry_after is not None:
            hdrs.append(("Retry-After", f.retry_after))
        if code == 410 and q.get("continue"):
            try:
                _, start = decode_continue(q["continue"])
                newtok = encode_continue(-1, start)
                app.remember_token(newtok, page)
                resp = status_resp(410, f.message or INCONSISTENT_CONTINUE_MSG, list_meta={"continue": newtok},
                                   headers=hdrs)
            except ContinueError:
                resp = status_resp(410, f.message, headers=hdrs)
        elif code == 429 and f.body != "status":
            # kube-apiserver's max-in-flight / APF filters answer with http.Error: plain text
            resp = Resp(429, (f.message or "Too many requests, please try again later.") + "\n",
                        "text/plain; charset=utf-8", hdrs + [("X-Content-Type-Options", "nosniff")])
        elif f.body == "text":
            resp = Resp(code, (f.message or HTTP_PHRASES.get(code, "error")) + "\n", "text/plain; charset=utf-8",
                        hdrs)
        elif f.body == "empty":
            resp = Resp(code, b"", "text/plain; charset=utf-8", hdrs)
        else:
            det = None
            if code == 429:
                det = {"retryAfterSeconds": int(f.retry_after or 1)}
                msg = f.message or "Too many requests, please try again later."
            elif code == 500:
                msg = f.message or "Internal error occurred: injected fault"
                det = {"causes": [{"message": "injected fault"}]}
            else:
                msg = f.message
            if code in (503, 504) and f.retry_after is not None:
                det = {"retryAfterSeconds": int(f.retry_after)}
            resp = status_resp(code, msg, details=det, headers=hdrs)
        self.send_body(resp, f)

    def _hard_reset(self):
        self.close_connection = True
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
        try:
            self.connection.close()
            self.rfile.close()
        except OSError:
            pass

    def send_body(self, resp, fault):
        app = self.server.app
        body = resp.body
        enc = ""
        ae = [x.split(";")[0].strip().lower() for x in (self.headers.get("Accept-Encoding") or "").split(",")]
        if "gzip" in ae and len(body) > GZIP_THRESHOLD and not app.args.no_gzip:
            body = gzip.compress(body, compresslevel=1, mtime=0)
            enc = "gzip"
        self.send_response(resp.code, HTTP_PHRASES.get(resp.code))
        self.send_header("Audit-Id", str(uuid.uuid4()))
        self.send_header("Cache-Control", "no-cache, private")
        self.send_header("Content-Type", resp.ctype)
        if enc:
            self.send_header("Content-Encoding", enc)
            self.send_header("Vary", "Accept-Encoding")
        for w in app.args.warning or []:
            self.send_header("Warning", '299 - "%s"' % w)
        if fault is not None and fault.warning:
            self.send_header("Warning", '299 - "%s"' % fault.warning)
        for k, v in resp.headers:
            self.send_header(k, v)
        if resp.ctype == "application/json":
            self.send_header("X-Kubernetes-Pf-Flowschema-Uid", app.flowschema_uid)
            self.send_header("X-Kubernetes-Pf-Prioritylevel-Uid", app.prioritylevel_uid)
        chunked = app.args.chunked
        if chunked:
            self.send_header("Transfer-Encoding", "chunked")
        else:
            self.send_header("Content-Length", str(len(body)))
        cut = None
        if fault is not None and fault.truncate is not None:
            cut = fault.truncate
        elif fault is not None and fault.reset is not None:
            cut = fault.reset
        self.end_headers()
        self._sent["status"] = resp.code
        self._sent["content_encoding"] = enc
        self._sent["log"] = resp.log
        data = body if cut is None else body[:cut]
        step = 4096 if (fault is not None and fault.slow) else 256 * 1024
        written = 0
        for off in range(0, len(data), step):
            piece = data[off:off + step]
            if chunked:
                self.wfile.write(b"%x\r\n" % len(piece) + piece + b"\r\n")
            else:
                self.wfile.write(piece)
            written += len(piece)
            self._sent["bytes"] = written
            if fault is not None and fault.slow and off + step < len(data):
                time.sleep(fault.slow / 1000.0)
        if cut is None:
            if chunked:
                self.wfile.write(b"0\r\n\r\n")
            return
        self._sent["note"] = "%s after %d of %d body bytes" % (
            "truncated" if fault.truncate is not None else "reset", written, len(body))
        if fault.truncate is not None:
            self.close_connection = True
            self.wfile.flush()
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        else:
            self._hard_reset()


class Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # idle keep-alive or hung connections must not hold up exit
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, addr, handler, app, ctx):
        self.app = app
        self.ctx = ctx
        super().__init__(addr, handler)

    def get_request(self):
        sock, addr = self.socket.accept()
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            pass
        if self.ctx is not None:
            sock = self.ctx.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        return sock, addr

    def handle_error(self, request, client_address):
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, ssl.SSLError, socket.timeout, OSError)):
            self.app.verbose("kubeapi: connection from %s: %s" % (client_address, exc))
            return
        super().handle_error(request, client_address)


# --------------------------------------------------------------------------
# Start-up: certificates, tokens, kubeconfigs
# --------------------------------------------------------------------------

CLIENT_CERTS = [  # file stem, subject
    ("admin", "/O=system:masters/CN=admin"),
    ("reader", "/CN=reader"),
    ("nobody", "/CN=nobody"),
    ("ns-reader", "/CN=ns-reader"),
    ("prober", "/CN=prober"),
    ("no-owners", "/CN=no-owners"),
]
TOKEN_USERS = [stem for stem, _ in CLIENT_CERTS]


def _openssl(*args, cwd=None):
    r = subprocess.run(["openssl"] + list(args), cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if r.returncode != 0:
        raise RuntimeError("openssl %s failed: %s" % (" ".join(args[:2]), r.stderr.decode(errors="replace")))


def _eckey(path):
    _openssl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", path)
    os.chmod(path, 0o600)


def _san(hosts):
    out = []
    for h in hosts:
        h = h.strip()
        if not h:
            continue
        if re.fullmatch(r"[0-9.]+", h) or ":" in h:
            out.append("IP:" + h)
        else:
            out.append("DNS:" + h)
    return ",".join(out)


def generate_certs(sdir, server_mode, server_hosts):
    j = lambda n: os.path.join(sdir, n)
    for ca, cn in (("ca", CA_CN), ("other-ca", OTHER_CA_CN)):
        _eckey(j(ca + ".key"))
        _openssl("req", "-x509", "-new", "-key", j(ca + ".key"), "-subj", "/CN=" + cn, "-days", "3650",
                 "-addext", "basicConstraints=critical,CA:TRUE",
                 "-addext", "keyUsage=critical,digitalSignature,keyEncipherment,keyCertSign",
                 "-out", j(ca + ".crt"))
    if server_hosts:
        hosts = server_hosts
    elif server_mode == "wrong-host":
        hosts = ["wrong.example"]
    else:
        hosts = ["localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc", "127.0.0.1", "::1"]
    srv_ext = ["subjectAltName=" + _san(hosts), "basicConstraints=critical,CA:FALSE",
               "keyUsage=critical,digitalSignature,keyEncipherment", "extendedKeyUsage=serverAuth"]
    _eckey(j("server.key"))
    if server_mode == "expired":
        # openssl 3.0's x509/req cannot back-date; `openssl ca` can
        work = tempfile.mkdtemp(prefix="ca-", dir=sdir)
        try:
            with open(os.path.join(work, "ca.cnf"), "w") as f:
                f.write("[ca]\ndefault_ca=d\n[d]\ndatabase=index.txt\nnew_certs_dir=.\nserial=serial\n"
                        "default_md=sha256\npolicy=p\nunique_subject=no\ncopy_extensions=none\n"
                        "[p]\ncommonName=supplied\n")
            open(os.path.join(work, "index.txt"), "w").close()
            with open(os.path.join(work, "serial"), "w") as f:
                f.write("%x\n" % (secrets.randbits(63) | 1 << 60))
            with open(os.path.join(work, "ext.cnf"), "w") as f:
                f.write("\n".join(srv_ext) + "\n")
            _openssl("req", "-new", "-key", j("server.key"), "-subj", "/CN=kube-apiserver", "-out", "s.csr",
                     cwd=work)
            now = time.time()
            fmt = lambda t: time.strftime("%Y%m%d%H%M%SZ", time.gmtime(t))
            _openssl("ca", "-batch", "-config", "ca.cnf", "-cert", j("ca.crt"), "-keyfile", j("ca.key"),
                     "-in", "s.csr", "-out", j("server.crt"), "-notext", "-extfile", "ext.cnf",
                     "-startdate", fmt(now - 30 * 86400), "-enddate", fmt(now - 86400), cwd=work)
        finally:
            shutil.rmtree(work, ignore_errors=True)
    else:
        args = ["req", "-new", "-x509", "-key", j("server.key"), "-CA", j("ca.crt"), "-CAkey", j("ca.key"),
                "-subj", "/CN=kube-apiserver", "-days", "365"]
        for e in srv_ext:
            args += ["-addext", e]
        _openssl(*(args + ["-out", j("server.crt")]))
    cli_ext = ["-addext", "basicConstraints=critical,CA:FALSE", "-addext",
               "keyUsage=critical,digitalSignature,keyEncipherment", "-addext", "extendedKeyUsage=clientAuth"]
    for stem, subj, ca in [(s, subj, "ca") for s, subj in CLIENT_CERTS] + \
            [("untrusted", "/O=system:masters/CN=admin", "other-ca")]:
        _eckey(j(stem + ".key"))
        _openssl("req", "-new", "-x509", "-key", j(stem + ".key"), "-CA", j(ca + ".crt"), "-CAkey", j(ca + ".key"),
                 "-subj", subj, "-days", "365", *cli_ext, "-out", j(stem + ".crt"))


def atomic_write(path, text, mode=0o644):
    d = os.path.dirname(path) or "."
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=d)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
    os.chmod(tmp, mode)
    os.replace(tmp, path)


def write_tokens(sdir):
    toks = {u: secrets.token_hex(16) for u in TOKEN_USERS}
    lines = ['%s,admin,uid-admin,"system:masters"' % toks["admin"]]
    lines += ["%s,%s,uid-%s" % (toks[u], u, u) for u in TOKEN_USERS if u != "admin"]
    atomic_write(os.path.join(sdir, "tokens.csv"), "\n".join(lines) + "\n", 0o600)
    return toks


def _yq(s):
    if re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._/:@+-]*", s) and s.lower() not in (
            "true", "false", "yes", "no", "on", "off", "null", "y", "n") and not re.fullmatch(r"[0-9.e+-]+", s):
        return s  # plain scalar, as kubectl itself writes it
    return json.dumps(s)  # a JSON string is a valid YAML double-quoted scalar


def kubeconfig_text(url, contexts, current, embed=None):
    """contexts: list of (context name, user name, user dict, namespace or None)."""
    out = ["apiVersion: v1", "kind: Config", "clusters:", "- name: kubeapi-test", "  cluster:",
           "    server: " + _yq(url)]
    if embed:
        out.append("    certificate-authority-data: " + embed["ca"])
    else:
        out.append("    certificate-authority: ca.crt")
    out.append("contexts:")
    for cname, uname, _, ns in contexts:
        out += ["- name: " + _yq(cname), "  context:", "    cluster: kubeapi-test", "    user: " + _yq(uname)]
        if ns:
            out.append("    namespace: " + _yq(ns))
    out.append("current-context: " + _yq(current))
    out.append("users:")
    seen = set()
    for _, uname, u, _ in contexts:
        if uname in seen:
            continue
        seen.add(uname)
        out += ["- name: " + _yq(uname), "  user:"]
        for k, v in u.items():
            out.append("    %s: %s" % (k, _yq(v)))
    out.append("preferences: {}")
    return "\n".join(out) + "\n"


def write_kubeconfigs(sdir, url, toks, nsr):
    cert = lambda s: {"client-certificate": s + ".crt", "client-key": s + ".key"}
    users = TOKEN_USERS + ["untrusted"]
    cert_ctx = [("test-" + u, u, cert(u), nsr if u == "ns-reader" else None) for u in users]
    tok_ctx = [("test-%s-token" % u, u + "-token", {"token": toks[u]}, nsr if u == "ns-reader" else None)
               for u in TOKEN_USERS]
    all_ctx = cert_ctx + tok_ctx
    w = lambda name, text: atomic_write(os.path.join(sdir, name), text, 0o600)
    w("kubeconfig", kubeconfig_text(url, all_ctx, "test-admin"))
    w("kubeconfig-token", kubeconfig_text(url, [c for c in tok_ctx if c[1] == "reader-token"], "test-reader-token"))
    for c in cert_ctx[1:]:
        w("kubeconfig-" + c[1], kubeconfig_text(url, [c], c[0]))
    b64 = lambda n: base64.b64encode(open(os.path.join(sdir, n), "rb").read()).decode()
    w("kubeconfig-embedded", kubeconfig_text(
        url, [("test-admin", "admin", {"client-certificate-data": b64("admin.crt"),
                                        "client-key-data": b64("admin.key")}, None)],
        "test-admin", embed={"ca": b64("ca.crt")}))


def write_users(sdir, toks, nsr, prober_ns=None):
    users = {
        "admin": {"groups": ["system:masters"], "rights": "everything"},
        "reader": {"groups": [], "rights": "get/list/watch every served resource, cluster-wide"},
        "ns-reader": {"groups": [], "namespace": nsr,
                      "rights": "get/list/watch pods and get the namespace object, in %s only" % nsr},
        "nobody": {"groups": [], "rights": "nothing but discovery, /version and self reviews"},
        "prober": {"groups": [], "rights": "what reader may, plus create pods (server-side dry run only) in %s"
                   % ("every namespace" if prober_ns is None else ", ".join(sorted(prober_ns)) or "no namespace")},
        "no-owners": {"groups": [], "rights": "get/list/watch pods and namespaces only, cluster-wide"},
    }
    for u, d in users.items():
        d["cert"], d["key"], d["token"] = u + ".crt", u + ".key", toks[u]
        d["kubeconfig"] = "kubeconfig-" + u if u != "admin" else "kubeconfig"
    users["untrusted"] = {"cert": "untrusted.crt", "key": "untrusted.key", "groups": ["system:masters"],
                          "rights": "none: signed by other-ca.crt, so it authenticates nobody (401)",
                          "kubeconfig": "kubeconfig-untrusted"}
    atomic_write(os.path.join(sdir, "users.json"), json.dumps(users, indent=2) + "\n", 0o600)


# --------------------------------------------------------------------------
# main
# --------------------------------------------------------------------------

def parse_args(argv):
    p = argparse.ArgumentParser(description="kube-apiserver look-alike for kubecapscan tests")
    p.add_argument("--data", help="directory of *.json XList files (namespaces.json, pods.json, ...); "
                                  "re-read when they change")
    p.add_argument("--state-dir", required=True, help="where certs, tokens, kubeconfigs and ready.json go")
    p.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0: any free port)")
    p.add_argument("--generate-pods", type=int, default=0, metavar="N")
    p.add_argument("--generate-namespaces", type=int, default=0, metavar="M")
    p.add_argument("--seed", type=int, default=1, help="seed for --generate-* (default 1)")
    p.add_argument("--server-cert", choices=["ok", "expired", "wrong-host"], default="ok")
    p.add_argument("--server-cert-hosts", default="", help="comma-separated SANs for the server cert")
    p.add_argument("--client-ca-strict", action="store_true",
                   help="trust only ca.crt during the TLS handshake (untrusted.crt then fails the handshake "
                        "instead of getting 401)")
    p.add_argument("--ns-reader-namespace", default=None,
                   help="namespace ns-reader may read (default: 'default' if it exists, else the first)")
    p.add_argument("--prober-namespaces", default=None, metavar="NS1,NS2",
                   help="namespaces where prober may create pods (default: every namespace)")
    p.add_argument("--admission-file", default=None, metavar="FILE",
                   help="admission policies (default: DATA/admission.json when it exists)")
    p.add_argument("--psa-exempt-users", default="", metavar="U1,U2",
                   help="Pod Security admission exemptions.usernames")
    p.add_argument("--psa-exempt-namespaces", default="", metavar="NS1,NS2",
                   help="Pod Security admission exemptions.namespaces")
    p.add_argument("--psa-exempt-runtimeclasses", default="", metavar="RC1,RC2",
                   help="Pod Security admission exemptions.runtimeClasses")
    p.add_argument("--psa-default-enforce", default="privileged:latest", metavar="LEVEL[:VERSION]",
                   help="Pod Security admission defaults.enforce[-version] for unlabelled namespaces")
    p.add_argument("--git-version", default="v1.31.4")
    p.add_argument("--max-lifetime", type=float, default=600.0, metavar="SECONDS")
    p.add_argument("--request-log", metavar="FILE")
    p.add_argument("--fault", action="append", default=[], metavar="SPEC")
    p.add_argument("--warning", action="append", default=[], metavar="TEXT",
                   help='add "Warning: 299 - \\"TEXT\\"" to every response (repeatable)')
    p.add_argument("--expire-continue-after", type=float, default=0.0, metavar="SECONDS")
    p.add_argument("--always-expire-continue", action="store_true")
    p.add_argument("--keep-snapshots", type=int, default=16)
    p.add_argument("--no-partial-metadata", action="store_true")
    p.add_argument("--no-table", action="store_true")
    p.add_argument("--no-gzip", action="store_true")
    p.add_argument("--chunked", action="store_true")
    p.add_argument("--verbose", action="store_true")
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    sdir = os.path.abspath(args.state_dir)
    os.makedirs(sdir, exist_ok=True)
    ready = os.path.join(sdir, "ready.json")
    try:
        os.unlink(ready)
    except FileNotFoundError:
        pass
    atomic_write(os.path.join(sdir, "audit.log"), "", 0o644)  # create attempts of this run only
    try:
        faults = Faults(args.fault)
    except ValueError as e:
        sys.exit("kubeapi: %s" % e)
    if not args.data and not args.generate_pods and not args.generate_namespaces:
        sys.exit("kubeapi: need --data DIR or --generate-pods/--generate-namespaces")
    if args.data and not os.path.isdir(args.data):
        sys.exit("kubeapi: --data %s is not a directory" % args.data)

    stop = threading.Event()
    hard_deadline = time.monotonic() + args.max_lifetime

    def watchdog():  # a leaked server always dies
        while not stop.wait(1.0):
            if time.monotonic() > hard_deadline + 10:
                os._exit(3)
    threading.Thread(target=watchdog, daemon=True).start()

    gen = None
    if args.generate_pods or args.generate_namespaces:
        gen = Generator(args.generate_pods, args.generate_namespaces or 1, args.seed)
    logf = lambda m: sys.stderr.write(m + "\n")
    store = Store(os.path.abspath(args.data) if args.data else None, gen, args.keep_snapshots, logf)
    ns_names = store.snapshot(store.types[("", "namespaces")]).keys
    nsr = args.ns_reader_namespace or ("default" if "default" in ns_names or not ns_names else ns_names[0])
    prober_ns = None
    if args.prober_namespaces is not None:
        prober_ns = {x.strip() for x in args.prober_namespaces.split(",") if x.strip()}
    authz = Authorizer(store, nsr, prober_ns)
    try:
        parse_psa_default(args.psa_default_enforce)
        adm_file = args.admission_file
        if adm_file is None and args.data:
            adm_file = os.path.join(os.path.abspath(args.data), "admission.json")
        policies = Policies(os.path.abspath(adm_file) if adm_file else None, logf)
    except (ValueError, PolicyError, OSError) as e:
        sys.exit("kubeapi: %s" % e)

    generate_certs(sdir, args.server_cert, [h for h in args.server_cert_hosts.split(",") if h.strip()])
    toks = write_tokens(sdir)
    app = App(args, sdir, store, faults, authz, policies)

    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(os.path.join(sdir, "server.crt"), os.path.join(sdir, "server.key"))
    ctx.verify_mode = ssl.CERT_OPTIONAL
    ctx.load_verify_locations(os.path.join(sdir, "ca.crt"))
    if not args.client_ca_strict:
        # kube-apiserver asks for a client cert without failing the handshake and lets its x509
        # authenticator judge it; trusting other-ca here gives the same "401, not a TLS error" result
        ctx.load_verify_locations(os.path.join(sdir, "other-ca.crt"))
    ctx.set_alpn_protocols(["http/1.1"])

    server = Server(("127.0.0.1", args.port), Handler, app, ctx)
    port = server.server_address[1]
    app.port = port
    url = "https://127.0.0.1:%d" % port
    write_kubeconfigs(sdir, url, toks, nsr)
    write_users(sdir, toks, nsr, prober_ns)

    def shutdown(*_):
        if not stop.is_set():
            stop.set()
            app.stopping.set()
            threading.Thread(target=server.shutdown, daemon=True).start()
    signal.signal(signal.SIGTERM, shutdown)
    signal.signal(signal.SIGINT, shutdown)
    timer = threading.Timer(args.max_lifetime, shutdown)
    timer.daemon = True
    timer.start()

    line = json.dumps({"port": port, "url": url, "pid": os.getpid()})
    atomic_write(ready, line + "\n")
    sys.stdout.write(line + "\n")
    sys.stdout.flush()
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        stop.set()
        app.stopping.set()
        server.server_close()
        try:
            os.unlink(ready)
        except FileNotFoundError:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
