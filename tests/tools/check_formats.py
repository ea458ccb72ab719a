#!/usr/bin/python3
"""Validate kubecapscan's junit, sarif, prometheus and policyreport reports.

Usage:
    check_formats.py FORMAT REPORT [REPORT ...]
    check_formats.py --self-test

FORMAT is junit, sarif, prometheus or policyreport. Prints "ok: FILE" per
valid report, otherwise "error: FILE: message" lines; exit status 0 when
every report is valid, 1 otherwise, 2 for usage errors.

What each check is, and where its rules come from:

junit
    Python's xml.etree (expat) must parse the file: well-formed XML 1.0,
    which also rejects NUL and the other characters XML cannot carry.
    Then a structural check of the JUnit XML that Jenkins, GitLab and
    GitHub read, written for these tests from Jenkins' junit-10.xsd
    (jenkinsci/xunit-plugin, src/main/resources/org/jenkinsci/plugins/xunit/
    types/model/xsd/junit-10.xsd): the elements and attributes it allows
    where it allows them, its required attributes, and stricter types than
    its xs:string (counts are non-negative integers, time is SUREFIRE_TIME,
    timestamps are ISO 8601), plus consistency: each suite's tests,
    failures, errors and skipped equal its testcases' outcomes and the
    root's totals are the sums. No Debian package ships a JUnit XSD, so
    this checker stands in for xmllint --schema.

sarif
    The official SARIF 2.1.0 JSON Schema (schemas/sarif-2.1.0-rtm.5.json,
    see schemas/PROVENANCE.md), with jsonschema's Draft4Validator, then:
    one run, unique rule ids, every result's ruleId and ruleIndex naming a
    rule, and every result located by a logical location.

prometheus
    A strict line grammar of the text exposition format 0.0.4 of our own
    (names, label syntax, only the \\\\ \\" \\n escapes, HELP and TYPE once
    per family and before its samples, a family's samples together, no
    duplicate series, no timestamps, which the textfile collector rejects,
    valid UTF-8, a final newline), then, when python3-prometheus-client
    is installed, its parser (prometheus_client.parser) must read the same
    families and samples.

policyreport
    schemas/wgpolicyk8s-v1alpha2-policyreport.schema.json, written from the
    v1alpha2 CRD's openAPIV3Schema (see that file's description), with
    jsonschema's Draft7Validator, then: the summary counts the results.
"""

import argparse
import json
import math
import os
import re
import sys
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
SCHEMAS = os.path.join(HERE, "schemas")
SARIF_SCHEMA = os.path.join(SCHEMAS, "sarif-2.1.0-rtm.5.json")
POLICYREPORT_SCHEMA = os.path.join(SCHEMAS,
                                   "wgpolicyk8s-v1alpha2-policyreport.schema.json")


class Invalid(Exception):
    pass


def strict_json(text):
    """json.loads that rejects duplicate keys and NaN/Infinity."""
    def pairs(items):
        d = {}
        for k, v in items:
            if k in d:
                raise Invalid("duplicate key %r" % k)
            d[k] = v
        return d

    def bad_constant(c):
        raise Invalid("non-standard JSON constant %s" % c)
    try:
        return json.loads(text, object_pairs_hook=pairs,
                          parse_constant=bad_constant)
    except ValueError as e:
        raise Invalid("not JSON: %s" % e)


def schema_errors(validator_cls, schema_path, doc):
    import jsonschema  # noqa: F401 (python3-jsonschema)
    with open(schema_path) as f:
        schema = json.load(f)
    v = validator_cls(schema)
    errs = sorted(v.iter_errors(doc), key=lambda e: list(e.absolute_path))
    return ["$%s: %s" % ("".join("[%r]" % p for p in e.absolute_path),
                         e.message[:300]) for e in errs]


# ---------------------------------------------------------------- junit

# junit-10.xsd: the attributes each element may carry; required ones.
JUNIT_ATTRS = {
    "testsuites": ({"name", "time", "tests", "failures", "errors"}, set()),
    "testsuite": ({"name", "tests", "failures", "errors", "group", "time",
                   "skipped", "timestamp", "hostname", "id", "package",
                   "file", "log", "url"},
                  {"name", "tests", "failures", "errors"}),
    "properties": (set(), set()),
    "property": ({"name", "value"}, {"name", "value"}),
    "testcase": ({"name", "time", "classname", "group"}, {"name"}),
    "failure": ({"type", "message"}, set()),
    "error": ({"type", "message"}, set()),
    "skipped": ({"type", "message"}, set()),
    "system-out": (set(), set()),
    "system-err": (set(), set()),
}
JUNIT_CHILDREN = {
    "testsuites": {"testsuite"},
    "testsuite": {"testsuite", "properties", "testcase", "system-out",
                  "system-err"},
    "properties": {"property"},
    "testcase": {"skipped", "error", "failure", "system-out", "system-err"},
}
SUREFIRE_TIME = re.compile(r"(([0-9]{0,3},)*[0-9]{3}|[0-9]{0,3})*(\.[0-9]*)?")
ISO8601 = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}"
                     r"(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})?")
COUNT = re.compile(r"0|[1-9][0-9]*")


def junit_errors(data):
    try:
        root = ET.fromstring(data)
    except ET.ParseError as e:
        return ["not well-formed XML: %s" % e]
    errors = []

    def walk(el, where):
        allowed, required = JUNIT_ATTRS.get(el.tag, (None, None))
        if allowed is None:
            errors.append("%s: element <%s> is not in the JUnit schema"
                          % (where, el.tag))
            return
        for a in el.attrib:
            if a not in allowed:
                errors.append("%s: <%s> has no attribute %r" % (where, el.tag, a))
        for a in required:
            if a not in el.attrib:
                errors.append("%s: <%s> lacks %r" % (where, el.tag, a))
        for a in ("tests", "failures", "errors", "skipped"):
            if a in el.attrib and not COUNT.fullmatch(el.attrib[a]):
                errors.append("%s: %s=%r is not a count" % (where, a, el.attrib[a]))
        if "time" in el.attrib and not SUREFIRE_TIME.fullmatch(el.attrib["time"]):
            errors.append("%s: time=%r" % (where, el.attrib["time"]))
        if "timestamp" in el.attrib and not ISO8601.fullmatch(el.attrib["timestamp"]):
            errors.append("%s: timestamp=%r" % (where, el.attrib["timestamp"]))
        kids = JUNIT_CHILDREN.get(el.tag, set())
        if el.tag not in JUNIT_CHILDREN and el.tag not in (
                "failure", "error", "skipped", "system-out", "system-err"):
            kids = set()
        for i, c in enumerate(el):
            if c.tag not in kids:
                errors.append("%s: <%s> inside <%s>" % (where, c.tag, el.tag))
                continue
            walk(c, "%s/%s[%d]" % (where, c.tag, i))
        if el.tag in ("property", "properties", "testsuites") and (el.text or "").strip():
            errors.append("%s: text inside <%s>" % (where, el.tag))

    if root.tag != "testsuites":
        return ["root element is <%s>, not <testsuites>" % root.tag]
    walk(root, "/testsuites")
    if errors:
        return errors
    totals = {"tests": 0, "failures": 0, "errors": 0}
    for i, suite in enumerate(root):
        got = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
        seen = set()
        for tc in suite.iter("testcase"):
            got["tests"] += 1
            # CI tools key a test's history by class and name: one each
            key = (tc.get("classname"), tc.get("name"))
            if key in seen:
                errors.append("suite %r: testcase %r twice" % (suite.get("name"), key))
            seen.add(key)
            outcomes = [c.tag for c in tc if c.tag in ("failure", "error", "skipped")]
            if len(outcomes) > 1:
                errors.append("suite %d testcase %r: %s" % (i, tc.get("name"), outcomes))
            for o, key in (("failure", "failures"), ("error", "errors"),
                           ("skipped", "skipped")):
                got[key] += o in outcomes
        for key, n in got.items():
            if key in suite.attrib and int(suite.attrib[key]) != n:
                errors.append("suite %r: %s=%s but %d testcases say so"
                              % (suite.get("name"), key, suite.attrib[key], n))
        for key in totals:
            totals[key] += got[key]
    for key, n in totals.items():
        if key in root.attrib and int(root.attrib[key]) != n:
            errors.append("testsuites: %s=%s but the suites add up to %d"
                          % (key, root.attrib[key], n))
    return errors


# ---------------------------------------------------------------- sarif

def sarif_errors(data):
    import jsonschema
    try:
        doc = strict_json(data.decode("utf-8"))
    except (Invalid, UnicodeDecodeError) as e:
        return [str(e)]
    errors = schema_errors(jsonschema.Draft4Validator, SARIF_SCHEMA, doc)
    if errors:
        return errors
    if doc.get("version") != "2.1.0" or len(doc.get("runs", [])) != 1:
        return ["want version 2.1.0 and one run"]
    run = doc["runs"][0]
    rules = run["tool"]["driver"].get("rules", [])
    ids = [r["id"] for r in rules]
    if len(set(ids)) != len(ids):
        errors.append("duplicate rule ids %s" % ids)
    for i, res in enumerate(run.get("results", [])):
        rid, idx = res.get("ruleId"), res.get("ruleIndex")
        if rid not in ids:
            errors.append("results[%d]: ruleId %r names no rule" % (i, rid))
        elif idx is not None and (idx >= len(ids) or ids[idx] != rid):
            errors.append("results[%d]: ruleIndex %r is not %r" % (i, idx, rid))
        locs = res.get("locations", [])
        if not locs or not all(l.get("logicalLocations") and
                               all(ll.get("fullyQualifiedName")
                                   for ll in l["logicalLocations"])
                               for l in locs):
            errors.append("results[%d]: no logical location" % i)
        # SARIF 2.1.0 3.27.10: a result that is not kind "fail" has level
        # "none"; a fixed finding must never read as an error
        if res.get("kind", "fail") != "fail" and res.get("level", "none") != "none":
            errors.append("results[%d]: kind %r with level %r"
                          % (i, res.get("kind"), res.get("level")))
        if res.get("baselineState") == "absent" and res.get("kind") != "pass":
            errors.append("results[%d]: absent from this run but kind %r"
                          % (i, res.get("kind")))
        for l in locs:
            uri = l.get("physicalLocation", {}).get("artifactLocation", {}).get("uri")
            if uri is not None and not URI_REFERENCE.fullmatch(uri):
                errors.append("results[%d]: %r is not a URI reference" % (i, uri))
    # a run compared with a baseline says so for every unsuppressed result
    states = [r.get("baselineState") for r in run.get("results", [])
              if not r.get("suppressions")]
    if any(states) and not all(states):
        errors.append("baselineState on some results but not on others")
    return errors


# the characters RFC 3986 allows in a URI reference, escapes well-formed
URI_REFERENCE = re.compile(r"(?:[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=]|%[0-9A-Fa-f]{2})+")


# ----------------------------------------------------------- prometheus

METRIC_NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LABEL_NAME = r"[a-zA-Z_][a-zA-Z0-9_]*"
LABEL_VALUE = r'"(?:[^"\\\n]|\\[\\"n])*"'
LABEL = r"(%s)=(%s)" % (LABEL_NAME, LABEL_VALUE)
VALUE = r"[+-]?(?:[0-9]+(?:\.[0-9]*)?(?:[eE][+-]?[0-9]+)?|\.[0-9]+(?:[eE][+-]?[0-9]+)?|Inf|NaN)"
LABEL_NC = r"%s=%s" % (LABEL_NAME, LABEL_VALUE)
SAMPLE = re.compile(r"(?P<name>%s)(?:\{(?P<labels>%s(?:,%s)*,?)?\})? "
                    r"(?P<value>%s)(?P<ts> -?[0-9]+)?"
                    % (METRIC_NAME, LABEL_NC, LABEL_NC, VALUE))
LABEL_ITER = re.compile(LABEL)
HELP = re.compile(r"# HELP (%s) ((?:[^\\\n]|\\[\\n])*)" % METRIC_NAME)
TYPE = re.compile(r"# TYPE (%s) (counter|gauge|histogram|summary|untyped)"
                  % METRIC_NAME)


def unescape_label(v):
    return re.sub(r"\\(.)", lambda m: {"n": "\n"}.get(m.group(1), m.group(1)),
                  v[1:-1])


def prometheus_parse(data):
    """Our strict reading: {family: (help, type, [(labels, value)])}."""
    errors, fams, order = [], {}, []
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        return ["not UTF-8: %s" % e], None
    if not text.endswith("\n"):
        errors.append("no final newline")
    current, closed, series = None, set(), set()
    for n, line in enumerate(text.split("\n")[:-1], 1):
        where = "line %d" % n
        m = HELP.fullmatch(line) or TYPE.fullmatch(line)
        if m:
            name = m.group(1)
            fam = fams.setdefault(name, {"help": None, "type": None, "samples": []})
            key = "help" if line.startswith("# HELP") else "type"
            if fam[key] is not None:
                errors.append("%s: second %s for %s" % (where, key.upper(), name))
            if fam["samples"]:
                errors.append("%s: %s of %s after its samples" % (where, key.upper(), name))
            fam[key] = m.group(2)
            if name != current:
                if name in closed:
                    errors.append("%s: family %s split" % (where, name))
                if current:
                    closed.add(current)
                current = name
                order.append(name)
            continue
        if line.startswith("#") or not line:
            errors.append("%s: stray comment or blank line %r" % (where, line[:60]))
            continue
        m = SAMPLE.fullmatch(line)
        if not m:
            errors.append("%s: not a sample: %r" % (where, line[:80]))
            continue
        name, labels, value, ts = (m.group("name"), m.group("labels"),
                                   m.group("value"), m.group("ts"))
        if ts:
            errors.append("%s: sample timestamp (the textfile collector rejects them)" % where)
        if name != current:
            errors.append("%s: sample of %s outside its family" % (where, name))
            continue
        lab = {}
        for lm in LABEL_ITER.finditer(labels or ""):
            if lm.group(1) in lab:
                errors.append("%s: label %s twice" % (where, lm.group(1)))
            lab[lm.group(1)] = unescape_label(lm.group(2))
        key = (name, tuple(sorted(lab.items())))
        if key in series:
            errors.append("%s: duplicate series %s" % (where, key))
        series.add(key)
        fams[name]["samples"].append((lab, float(value)))
    for name, fam in fams.items():
        if fam["type"] is None or fam["help"] is None:
            errors.append("family %s lacks HELP or TYPE" % name)
    return errors, fams


def prometheus_client_parser():
    """prometheus_client's parser, or None. Debian's python3-prometheus-client
    installs into /usr/lib/python3/dist-packages, which a Python other than
    /usr/bin/python3 (pyenv, venv) does not search: look there too."""
    try:
        from prometheus_client.parser import text_string_to_metric_families
        return text_string_to_metric_families
    except ImportError:
        pass
    deb = "/usr/lib/python3/dist-packages"
    if os.path.isdir(os.path.join(deb, "prometheus_client")) and deb not in sys.path:
        sys.path.append(deb)
        try:
            from prometheus_client.parser import text_string_to_metric_families
            return text_string_to_metric_families
        except ImportError:
            pass
    return None


# labels whose values grow with pods: never allowed (cardinality)
PER_POD_LABELS = {"pod", "container", "uid", "pod_name", "container_name"}


def prometheus_errors(data, require_client=False):
    errors, fams = prometheus_parse(data)
    if errors:
        return errors
    for name, fam in fams.items():
        if fam["type"] != "gauge":
            errors.append("%s: type %s (kubecapscan writes gauges)" % (name, fam["type"]))
        for lab, v in fam["samples"]:
            if v < 0 or math.isnan(v) or v != int(v):
                errors.append("%s%s: value %r is not a count" % (name, lab, v))
            if PER_POD_LABELS & set(lab):
                errors.append("%s%s: a per-pod label" % (name, lab))
    parse = prometheus_client_parser()
    if parse is None:
        if require_client:
            errors.append("python3-prometheus-client is not installed")
        return errors
    try:
        theirs = {f.name: f for f in parse(data.decode("utf-8"))}
    except Exception as e:  # the parser raises ValueError and others
        return ["prometheus_client cannot parse it: %r" % e]
    if sorted(theirs) != sorted(fams):
        errors.append("prometheus_client reads families %s, we read %s"
                      % (sorted(theirs), sorted(fams)))
        return errors
    for name, fam in fams.items():
        ours = sorted((sorted(l.items()), v) for l, v in fam["samples"])
        got = sorted((sorted(s.labels.items()), s.value) for s in theirs[name].samples)
        if ours != got:
            errors.append("%s: prometheus_client reads %s, we read %s"
                          % (name, got[:3], ours[:3]))
        if theirs[name].type != fam["type"]:
            errors.append("%s: type %s vs %s" % (name, theirs[name].type, fam["type"]))
    return errors


# --------------------------------------------------------- policyreport

def policyreport_errors(data):
    import jsonschema
    try:
        doc = strict_json(data.decode("utf-8"))
    except (Invalid, UnicodeDecodeError) as e:
        return [str(e)]
    errors = schema_errors(jsonschema.Draft7Validator, POLICYREPORT_SCHEMA, doc)
    if errors:
        return errors
    want = {k: 0 for k in ("pass", "fail", "warn", "error", "skip")}
    for r in doc.get("results", []):
        want[r["result"]] += 1
    if doc.get("summary") != want:
        errors.append("summary %s, but the results count %s" % (doc.get("summary"), want))
    return errors


CHECKS = {
    "junit": junit_errors,
    "sarif": sarif_errors,
    "prometheus": prometheus_errors,
    "policyreport": policyreport_errors,
}


def check(fmt, data):
    """Errors of report bytes `data` in format `fmt` ([] when valid)."""
    return CHECKS[fmt](data)


# ------------------------------------------------------------ self-test

GOOD_JUNIT = b"""<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="x" tests="2" failures="1" errors="0" time="1">
  <testsuite name="ns" tests="2" failures="1" errors="0" skipped="0" time="0"
             timestamp="2025-06-02T10:00:00Z" hostname="h" id="1">
    <properties><property name="a" value="b"/></properties>
    <testcase classname="ns" name="p" time="0"/>
    <testcase classname="ns" name="q" time="0"><failure type="T" message="m">x</failure></testcase>
  </testsuite>
</testsuites>
"""

GOOD_PROM = (b"# HELP a_b Help \\\\ text.\n# TYPE a_b gauge\n"
             b'a_b{namespace="x\\"y\\\\z\\n",reason="R"} 3\na_b{namespace="w"} 0\n'
             b"# HELP c Plain.\n# TYPE c gauge\nc 1\n")


def self_test():
    """Each checker accepts a known-good document and rejects each defect."""
    bad = 0

    def expect(fmt, data, ok, what):
        nonlocal bad
        errs = check(fmt, data)
        if bool(errs) == ok:
            bad += 1
            print("self-test FAILED: %s %s: %s" % (fmt, what, errs or "accepted"))

    expect("junit", GOOD_JUNIT, True, "good")
    for what, old, new in (
            ("NUL", b'name="p"', b'name="p\x00"'),
            ("unescaped <", b'message="m"', b'message="<"'),
            ("unknown attribute", b'hostname="h"', b'hostname="h" color="red"'),
            ("unknown element", b"<properties>", b"<properties><foo/>"),
            ("count mismatch", b'tests="2" failures="1" errors="0" skipped',
             b'tests="3" failures="1" errors="0" skipped'),
            ("total mismatch", b'<testsuites name="x" tests="2"',
             b'<testsuites name="x" tests="5"'),
            ("bad count", b'skipped="0"', b'skipped="-1"'),
            ("bad timestamp", b"2025-06-02T10:00:00Z", b"yesterday"),
            ("testcase without name", b'<testcase classname="ns" name="p"',
             b'<testcase classname="ns"'),
            ("two outcomes", b'<failure type="T" message="m">x</failure>',
             b'<failure type="T" message="m">x</failure><skipped/>'),
            ("testcase twice", b'name="q" time="0"><failure', b'name="p" time="0"><failure'),
            ("wrong root", b"<testsuites ", b"<testsuitez ")):
        data = GOOD_JUNIT.replace(old, new)
        if what == "wrong root":
            data = data.replace(b"</testsuites>", b"</testsuitez>")
        assert data != GOOD_JUNIT, what
        expect("junit", data, False, what)

    expect("prometheus", GOOD_PROM, True, "good")
    for what, old, new in (
            ("bad escape", b'x\\"y', b"x\\ty"),
            ("raw newline in value", b"z\\n", b"z\n"),
            ("timestamp", b"c 1\n", b"c 1 1700000000000\n"),
            ("duplicate series", b'a_b{namespace="w"} 0\n',
             b'a_b{namespace="w"} 0\na_b{namespace="w"} 0\n'),
            ("split family", b"c 1\n", b"c 1\na_b{x=\"1\"} 1\n"),
            ("TYPE after samples", b"c 1\n", b"c 1\n# TYPE c gauge\n"),
            ("no HELP", b"# HELP c Plain.\n", b""),
            ("bad name", b"c 1\n", b"c-d 1\n"),
            ("no final newline", b"c 1\n", b"c 1"),
            ("not a count", b"c 1\n", b"c 1.5\n"),
            ("bad label name", b'reason="R"', b'1reason="R"'),
            ("not UTF-8", b"Plain.", b"Pl\xffain."),
            ("per-pod label", b'reason="R"', b'pod="p-1"')):
        data = GOOD_PROM.replace(old, new)
        assert data != GOOD_PROM, what
        expect("prometheus", data, False, what)

    good_sarif = {
        "version": "2.1.0",
        "runs": [{"tool": {"driver": {"name": "t", "rules": [{"id": "CIS-5.2.8"}]}},
                  "results": [{"ruleId": "CIS-5.2.8", "ruleIndex": 0,
                               "level": "error", "message": {"text": "m"},
                               "locations": [{"logicalLocations": [
                                   {"fullyQualifiedName": "a/b/c", "kind": "member"}]}]}]}]}
    enc = lambda d: json.dumps(d).encode()  # noqa: E731
    expect("sarif", enc(good_sarif), True, "good")
    for what, mutate in (
            ("wrong version", lambda d: d.update(version="2.0.0")),
            ("bad level", lambda d: d["runs"][0]["results"][0].update(level="fatal")),
            ("unknown result property", lambda d: d["runs"][0]["results"][0].update(x=1)),
            ("no message", lambda d: d["runs"][0]["results"][0].pop("message")),
            ("unknown rule", lambda d: d["runs"][0]["results"][0].update(ruleId="CIS-9")),
            ("bad ruleIndex", lambda d: d["runs"][0]["results"][0].update(ruleIndex=1)),
            ("no location", lambda d: d["runs"][0]["results"][0].pop("locations")),
            ("no tool name", lambda d: d["runs"][0]["tool"]["driver"].pop("name")),
            ("pass at level error", lambda d: d["runs"][0]["results"][0].update(kind="pass")),
            ("absent but failing",
             lambda d: d["runs"][0]["results"][0].update(baselineState="absent")),
            ("baselineState on some results", lambda d: d["runs"][0]["results"].append(
                dict(d["runs"][0]["results"][0], baselineState="new"))),
            ("bad uri", lambda d: d["runs"][0]["results"][0]["locations"][0].update(
                physicalLocation={"artifactLocation": {"uri": "a b.yaml"}}))):
        d = json.loads(json.dumps(good_sarif))
        mutate(d)
        expect("sarif", enc(d), False, what)
    expect("sarif", b'{"version": "2.1.0", "version": "2.1.0", "runs": []}', False,
           "duplicate key")

    good_pr = {
        "apiVersion": "wgpolicyk8s.io/v1alpha2", "kind": "ClusterPolicyReport",
        "metadata": {"name": "kubecapscan-cis-5.2.8",
                     "labels": {"kubecapscan.io/control": "5.2.8"},
                     "annotations": {"kubecapscan.io/cluster-name": "any text"}},
        "results": [{"source": "kubecapscan", "policy": "cis-5.2.8", "rule": "r",
                     "result": "fail", "severity": "medium", "scored": True,
                     "timestamp": {"seconds": 1, "nanos": 0},
                     "resources": [{"apiVersion": "v1", "kind": "Pod", "name": "p"}],
                     "properties": {"reason": "X"}}],
        "summary": {"pass": 0, "fail": 1, "warn": 0, "error": 0, "skip": 0}}
    expect("policyreport", enc(good_pr), True, "good")
    for what, mutate in (
            ("bad result", lambda d: d["results"][0].update(result="failed")),
            ("bad severity", lambda d: d["results"][0].update(severity="severe")),
            ("no policy", lambda d: d["results"][0].pop("policy")),
            ("non-string property", lambda d: d["results"][0]["properties"].update(n=1)),
            ("no nanos", lambda d: d["results"][0]["timestamp"].pop("nanos")),
            ("unknown field", lambda d: d["results"][0].update(status="fail")),
            ("bad name", lambda d: d["metadata"].update(name="Kubecapscan_X")),
            ("bad label value", lambda d: d["metadata"]["labels"].update(x="a b")),
            ("wrong summary", lambda d: d["summary"].update(fail=2)),
            ("wrong apiVersion", lambda d: d.update(apiVersion="wgpolicyk8s.io/v1beta1"))):
        d = json.loads(json.dumps(good_pr))
        mutate(d)
        expect("policyreport", enc(d), False, what)
    if bad:
        return 1
    print("self-test ok")
    return 0


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--self-test", action="store_true")
    ap.add_argument("format", nargs="?", choices=sorted(CHECKS))
    ap.add_argument("reports", nargs="*")
    a = ap.parse_args(argv)
    if a.self_test:
        return self_test()
    if not a.format or not a.reports:
        ap.error("give a FORMAT and at least one REPORT")
    status = 0
    for path in a.reports:
        with open(path, "rb") as f:
            errs = check(a.format, f.read())
        for e in errs:
            print("error: %s: %s" % (path, e))
        if errs:
            status = 1
        else:
            print("ok: %s" % path)
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
