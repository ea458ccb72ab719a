#!/usr/bin/env python3
"""Helpers for bench/live.sh (Python standard library only).

  live_helper.py curl-config LOG FROM TO SDIR URL [--compressed] [--pages-only]
      A curl -K config that replays the requests logged between byte offsets
      FROM and TO of the test server's request log, in order, over one
      connection, each with the Accept header kubecapscan sent (so that the
      owner lists come back metadata-only, as it asked). Default: every
      request, bodies to /dev/null, one write-out line per transfer
      ("num_connects http_code size_download"). With --pages-only: only the
      list pages (namespaces, owners, pods), bodies to standard output
      (decompressed with --compressed), no write-out.
  live_helper.py check-curl FILE LOG FROM TO
      Reads the write-out lines of a curl-config replay: fails unless every
      answer had the status the logged request had (kubecapscan's run) and
      curl opened exactly one connection.
  live_helper.py requests LOG FROM TO CASE TOOL
      One JSON line: the requests logged between FROM and TO, counted per
      kind (version, discovery, ssar, namespaces, owners: the ReplicaSet and
      Job lists of the owner lookups, pods, other), with body bytes, the page
      sizes (limit=) of the pod lists and the statuses.
  live_helper.py workloads REPORT CASE
      One JSON line: kubecapscan's JSON report's workloads counted per kind,
      how many are unresolved, and its warnings.
  live_helper.py report RAW OUT_MD
      The Markdown results block and the targets from live.sh's raw JSON
      lines; prints it and writes OUT_MD. Exit status 1 when kubecapscan's
      verdicts disagree with the jq check's.
  live_helper.py callgrind-objects ANNOTATE_SELF_TXT
      Sums callgrind_annotate's self costs per shared object (a Markdown
      table), since Debian's zlib, OpenSSL and yajl have no symbols.
"""
import json
import os
import re
import statistics
import sys
import urllib.parse

SSAR_BODY = {
    "pods": '{"kind":"SelfSubjectAccessReview","apiVersion":"authorization.k8s.io/v1",'
            '"spec":{"resourceAttributes":{"verb":"list","resource":"pods"}}}',
    "namespaces": '{"kind":"SelfSubjectAccessReview","apiVersion":"authorization.k8s.io/v1",'
                  '"spec":{"resourceAttributes":{"verb":"list","resource":"namespaces"}}}',
}


def read_log(path, start, end):
    with open(path, "rb") as f:
        f.seek(start)
        data = f.read(end - start)
    recs = []
    for line in data.decode("utf-8").splitlines():
        line = line.strip()
        if not line:
            continue
        r = json.loads(line)
        if "method" in r:  # skip tls_handshake_failed and other events
            recs.append(r)
    return recs


def kind_of(r):
    path = r["path"]
    if r["method"] == "POST" and path.startswith("/apis/authorization.k8s.io/"):
        return "ssar"
    if path == "/version":
        return "version"
    if re.fullmatch(r"/api/v1/pods|/api/v1/namespaces/[^/]+/pods(/[^/]+)?", path):
        return "pods"
    if re.fullmatch(r"/api/v1/namespaces(/[^/]+)?", path):
        return "namespaces"
    if re.fullmatch(r"/apis/apps/v1(/namespaces/[^/]+)?/replicasets|/apis/batch/v1(/namespaces/[^/]+)?/jobs",
                    path):
        return "owners"
    if re.fullmatch(r"/api(/v1)?|/apis(/[^/]+){0,2}|/openapi(/.*)?", path):
        return "discovery"  # /api, /api/v1, /apis, /apis/G, /apis/G/V
    return "other"


def q(s):
    """A double-quoted curl config string."""
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def cmd_curl_config(argv):
    log, start, end, sdir, url = argv[:5]
    compressed = "--compressed" in argv[5:]
    pages_only = "--pages-only" in argv[5:]
    recs = read_log(log, int(start), int(end))
    out = []
    nssar = 0
    for r in recs:
        k = kind_of(r)
        if pages_only and k not in ("namespaces", "owners", "pods"):
            continue
        if r["method"] != "GET" and k != "ssar":
            sys.stderr.write("live_helper: not replayed: %s %s\n" % (r["method"], r["path"]))
            continue
        if out:
            out.append("next")
        target = url + r["path"] + ("?" + r["query"] if r.get("query") else "")
        out.append("url = " + q(target))
        if r["method"] == "POST":
            body = SSAR_BODY["pods" if nssar == 0 else "namespaces"]
            nssar += 1
            out.append("data-binary = " + q(body))
            out.append('header = "Content-Type: application/json"')
        out.append("cacert = " + q(os.path.join(sdir, "ca.crt")))
        out.append("cert = " + q(os.path.join(sdir, "admin.crt")))
        out.append("key = " + q(os.path.join(sdir, "admin.key")))
        if r.get("accept"):
            out.append("header = " + q("Accept: " + r["accept"]))
        if compressed:
            out.append("compressed")
        if not pages_only:
            out.append('output = "/dev/null"')
            out.append('write-out = "%{num_connects} %{http_code} %{size_download}\\n"')
    if not out:
        sys.exit("live_helper: no requests between offsets %s and %s of %s" % (start, end, log))
    sys.stdout.write("\n".join(out) + "\n")


def cmd_check_curl(argv):
    """check-curl FILE LOG FROM TO: every answer has the status kubecapscan
    got for the same request (a 404 for a resource the server does not serve
    is replayed as a 404), and curl used one connection."""
    want = [str(r.get("status")) for r in read_log(argv[1], int(argv[2]), int(argv[3]))
            if r["method"] == "GET" or kind_of(r) == "ssar"]
    got, conns = [], 0
    with open(argv[0]) as f:
        for line in f:
            parts = line.split()
            if len(parts) != 3:
                continue
            conns += int(parts[0])
            got.append(parts[1])
    if got != want or conns != 1:
        bad = sum(1 for a, b in zip(got, want) if a != b)
        sys.exit("live_helper: curl replay: %d transfers (want %d), %d with another status "
                 "than kubecapscan got, %d connections (want 1)"
                 % (len(got), len(want), bad + abs(len(got) - len(want)), conns))


def cmd_workloads(argv):
    """workloads REPORT CASE: the workloads of kubecapscan's JSON report, per kind."""
    with open(argv[0]) as f:
        rep = json.load(f)
    kinds, unresolved = {}, 0
    for w in rep.get("workloads") or []:
        kinds[w["kind"]] = kinds.get(w["kind"], 0) + 1
        unresolved += 0 if w.get("resolved") else 1
    print(json.dumps({"type": "workloads", "case": argv[1], "kinds": kinds, "unresolved": unresolved,
                      "warnings": rep.get("warnings") or []}))


def cmd_requests(argv):
    log, start, end, case, tool = argv[:5]
    recs = read_log(log, int(start), int(end))
    counts = {k: 0 for k in ("version", "discovery", "ssar", "namespaces", "owners", "pods", "other")}
    nbytes = dict(counts)
    limits = set()
    statuses = {}
    enc = {}
    others = []
    for r in recs:
        k = kind_of(r)
        if k == "other":
            o = "%s %s -> %s" % (r["method"], r["path"], r.get("status"))
            if o not in others:
                others.append(o)
        counts[k] += 1
        nbytes[k] += int(r.get("bytes") or 0)
        statuses[str(r.get("status"))] = statuses.get(str(r.get("status")), 0) + 1
        if k == "pods" and r["method"] == "GET":
            qs = urllib.parse.parse_qs(r.get("query") or "")
            limits.add(qs.get("limit", ["none"])[0])
            e = r.get("content-encoding") or "identity"
            enc[e] = enc.get(e, 0) + 1
    print(json.dumps({"type": "requests", "case": case, "tool": tool, "counts": counts,
                      "bytes": nbytes, "total": len(recs),
                      "total_bytes": sum(nbytes.values()), "pod_limits": sorted(limits),
                      "pod_encodings": enc, "statuses": statuses, "other_paths": others}))


# ---------------------------------------------------------------------------
# report

TOOLS = [  # key, label
    ("kcs", "kubecapscan -A (gzip)"),
    ("kcs-identity", "kubecapscan -A (identity)"),
    ("kcs-no-owners", "kubecapscan -A, no owner lists (gzip)"),
    ("curl", "curl floor (gzip)"),
    ("curl-identity", "curl floor (identity)"),
    ("json_verify", "json_verify -s (parse floor)"),
    ("kubectl-cold", "kubectl + jq (cold cache)"),
    ("kubectl-warm", "kubectl + jq (warm cache)"),
]
LABEL = dict(TOOLS)


def load(raw):
    times, reqs, meta, checks, wl = {}, {}, {}, [], {}
    with open(raw) as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            r = json.loads(line)
            t = r["type"]
            if t == "time":
                times.setdefault((r["case"], r["tool"]), []).append(r)
            elif t == "requests":
                reqs[(r["case"], r["tool"])] = r
            elif t == "meta":
                meta[r["key"]] = r["value"]
            elif t == "check":
                checks.append(r)
            elif t == "workloads":
                wl[r["case"]] = r
    return times, reqs, meta, checks, wl


def med(runs, key):
    return statistics.median(float(r[key]) for r in runs)


def summary(runs):
    return {
        "n": len(runs),
        "wall": med(runs, "wall"),
        "cpu": statistics.median(float(r["user"]) + float(r["sys"]) for r in runs),
        "user": med(runs, "user"),
        "sys": med(runs, "sys"),
        "rss": med(runs, "rss") / 1024.0,
        "rss_max": max(float(r["rss"]) for r in runs) / 1024.0,
        "wall_min": min(float(r["wall"]) for r in runs),
        "wall_max": max(float(r["wall"]) for r in runs),
    }


def case_key(c):
    p, n = c.split("x")
    return (int(n), int(p))


def fmt(x, d=2):
    return "-" if x is None else ("%.*f" % (d, x))


def ratio(a, b):
    if a is None or b is None or b == 0:
        return None
    return a / b


def cmd_report(argv):
    raw, out_md = argv[:2]
    times, reqs, meta, checks, wl = load(raw)
    S = {k: summary(v) for k, v in times.items()}
    cases = sorted({c for c, _ in S} | {c for c, _ in reqs}, key=case_key)
    small, large = meta["small"], meta["large"]
    ns, many = meta["namespaces"], meta.get("many_namespaces", "0")
    cs, cl = "%sx%s" % (small, ns), "%sx%s" % (large, ns)
    L = []
    w = L.append
    w("## Live scans (issue 6): %s" % meta.get("date", ""))
    w("")
    w("- **Command**: `%s`" % meta.get("command", "bench/live.sh"))
    w("- **Commit**: `%s`%s" % (meta.get("commit", "?"), meta.get("dirty", "")))
    w("- **Machine**: %s CPUs, %s, %s; `%s`" % (meta.get("nproc"), meta.get("cpu"),
                                              meta.get("mem"), meta.get("uname")))
    w("- **Load**: shared machine (other people's jobs run too); load average at the "
      "start %s, at the end %s. Every number is the median of %s runs, the tools "
      "taking turns run by run." % (meta.get("load_start"), meta.get("load_end"),
                                    meta.get("runs")))
    w("- **Tools**: %s" % meta.get("versions", ""))
    w("- **Server**: `tests/apiserver/kubeapi.py --generate-pods N --generate-namespaces M "
      "--seed %s` (Python, one process, pages rendered on demand, gzip level 1 above "
      "128 KiB), on 127.0.0.1, HTTP/1.1 over TLS, client cert auth." % meta.get("seed"))
    w("- **kubectl**: %s" % meta.get("kubectl_note", ""))
    w("")
    w("### Times (median of %s runs)" % meta.get("runs"))
    w("")
    w("| pods | namespaces | tool | wall s | user+sys s | user s | sys s | peak RSS MiB | wall range s |")
    w("|---:|---:|---|---:|---:|---:|---:|---:|---:|")
    for c in cases:
        p, n = c.split("x")
        for t, lab in TOOLS:
            s = S.get((c, t))
            if not s:
                continue
            w("| %s | %s | %s | %.2f | %.2f | %.2f | %.2f | %.1f | %.2f-%.2f |" % (
                p, n, lab, s["wall"], s["cpu"], s["user"], s["sys"], s["rss"],
                s["wall_min"], s["wall_max"]))
    w("")

    # bytes
    w("### Bytes")
    w("")
    w("| pods | namespaces | JSON pages, decompressed MiB | on the wire, gzip MiB | on the wire, identity MiB | pod pages |")
    w("|---:|---:|---:|---:|---:|---:|")
    for c in cases:
        p, n = c.split("x")
        g = reqs.get((c, "kcs"))
        i = reqs.get((c, "kcs-identity"))
        pages = meta.get("pages_bytes_%s" % c)
        w("| %s | %s | %s | %s | %s | %s |" % (
            p, n, fmt(int(pages) / 1048576.0, 1) if pages else "-",
            fmt(g["total_bytes"] / 1048576.0, 1) if g else "-",
            fmt(i["total_bytes"] / 1048576.0, 1) if i else "-",
            g["counts"]["pods"] if g else "-"))
    w("")

    # requests
    w("### Requests to the API server (from its request log)")
    w("")
    w("| pods | namespaces | tool | version | discovery | SSAR | namespaces | owners | pods | other | total "
      "| pod page size |")
    w("|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for c in cases:
        p, n = c.split("x")
        for t in ("kcs", "kcs-identity", "kcs-no-owners", "kubectl-cold", "kubectl-warm"):
            r = reqs.get((c, t))
            if not r:
                continue
            k = r["counts"]
            w("| %s | %s | %s | %d | %d | %d | %d | %d | %d | %d | %d | %s |" % (
                p, n, LABEL[t].replace(" + jq", ""), k["version"], k["discovery"], k["ssar"],
                k["namespaces"], k.get("owners", 0), k["pods"], k["other"], r["total"],
                ",".join(r["pod_limits"])))
    others = []
    for (c, t), r in sorted(reqs.items()):
        for o in r.get("other_paths", []):
            if o not in others:
                others.append(o)
    if others:
        w("")
        w("\"other\": %s." % "; ".join("`%s`" % o for o in others))
    w("")

    # owner lookups
    w("### Owner lookups (ReplicaSets and Jobs, metadata only)")
    w("")
    w("kubecapscan lists ReplicaSets and Jobs (`PartialObjectMetadataList`) to name each pod's "
      "Deployment or CronJob. \"no owner lists\" is the same scan as the `no-owners` user, whom "
      "RBAC refuses those two lists (two 403s, workloads left at the ReplicaSet or Job).")
    w("")
    w("| pods | namespaces | owner requests | owner bytes on the wire (gzip) MiB | workloads "
      "(Deployment / CronJob / unresolved) | wall s, with / without | CPU s, with / without "
      "| peak RSS MiB, with / without |")
    w("|---:|---:|---:|---:|---|---|---|---|")
    for c in cases:
        p, n = c.split("x")
        r, x = reqs.get((c, "kcs")), wl.get(c)
        if not r:
            continue
        a, b = S.get((c, "kcs")), S.get((c, "kcs-no-owners"))
        wk = "-"
        if x:
            wk = "%d / %d / %d" % (x["kinds"].get("Deployment", 0), x["kinds"].get("CronJob", 0),
                                   x["unresolved"])
        pair = lambda key, d: "%.*f / %.*f (%+.*f)" % (d, a[key], d, b[key], d, a[key] - b[key]) \
            if a and b else ("%.*f / -" % (d, a[key]) if a else "-")
        w("| %s | %s | %d | %.2f | %s | %s | %s | %s |" % (
            p, n, r["counts"].get("owners", 0), r["bytes"].get("owners", 0) / 1048576.0, wk,
            pair("wall", 2), pair("cpu", 2), pair("rss", 1)))
    w("")

    # gzip vs identity
    w("### gzip against identity (same pages)")
    w("")
    w("| pods | namespaces | client | gzip wall s | identity wall s | gzip CPU s | identity CPU s | identity / gzip wall |")
    w("|---:|---:|---|---:|---:|---:|---:|---:|")
    for c in cases:
        p, n = c.split("x")
        for a, b, lab in (("kcs", "kcs-identity", "kubecapscan"), ("curl", "curl-identity", "curl")):
            sa, sb = S.get((c, a)), S.get((c, b))
            if not sa or not sb:
                continue
            w("| %s | %s | %s | %.2f | %.2f | %.2f | %.2f | %s |" % (
                p, n, lab, sa["wall"], sb["wall"], sa["cpu"], sb["cpu"],
                fmt(ratio(sb["wall"], sa["wall"]))))
    w("")

    # targets
    T = []
    miss = [0]

    def target(desc, ok):
        if ok is None:
            T.append("  n/a    %s" % desc)
            return
        T.append(("  met    " if ok else "  MISSED ") + desc)
        if not ok:
            miss[0] = 1

    def get(c, t):
        return S.get((c, t))

    k, cu = get(cs, "kcs"), get(cs, "curl")
    if k and cu:
        r = ratio(k["wall"], cu["wall"])
        target("%s pods: kubecapscan -A wall <= 1.2x the curl floor's (%.2f s / %.2f s = %.2fx)"
               % (small, k["wall"], cu["wall"], r), r <= 1.2)
    for c in (cs, cl):
        a, b = times.get((c, "kcs")), times.get((c, "curl"))
        if a and b and len(a) == len(b):
            rs = [float(x["wall"]) / float(y["wall"]) for x, y in zip(a, b) if float(y["wall"]) > 0]
            T.append("  info   %s pods: kubecapscan -A wall / curl floor's, run by run: %s "
                     "(median %.2fx; best runs %.2f s / %.2f s = %.2fx)"
                     % (c.split("x")[0], " ".join("%.2f" % x for x in rs), statistics.median(rs),
                        S[(c, "kcs")]["wall_min"], S[(c, "curl")]["wall_min"],
                        S[(c, "kcs")]["wall_min"] / S[(c, "curl")]["wall_min"]))
    kw = get(cs, "kubectl-warm")
    kc = get(cs, "kubectl-cold")
    if k and (kw or kc):
        runs = [(lab, x) for lab, x in (("warm cache", kw), ("cold cache", kc)) if x]
        runs.sort(key=lambda lx: lx[1]["wall"])
        r = ratio(runs[0][1]["wall"], k["wall"])
        desc = "; ".join("%s %.1fx" % (lab, ratio(x["wall"], k["wall"])) for lab, x in runs)
        target("%s pods: kubecapscan >= 5x faster than kubectl + jq, the faster first (%s)"
               % (small, desc), r >= 5)
    else:
        target("%s pods: kubecapscan >= 5x faster than kubectl + jq (kubectl not run)" % small, None)
    for c in (cs, cl):
        k, jv = get(c, "kcs"), get(c, "json_verify")
        if k and jv:
            r = ratio(k["cpu"], jv["cpu"])
            ki = get(c, "kcs-identity")
            extra = ""
            if ki:
                extra = "; identity %.2fx" % ratio(ki["cpu"], jv["cpu"])
            p = c.split("x")[0]
            target("%s pods: kubecapscan CPU <= 1.3x json_verify's on the same bytes "
                   "(%.2f s / %.2f s = %.2fx%s)" % (p, k["cpu"], jv["cpu"], r, extra), r <= 1.3)
    for c in (cs, cl):
        k, cu, jv = get(c, "kcs"), get(c, "curl"), get(c, "json_verify")
        p = c.split("x")[0]
        if k and cu and jv:
            T.append("  info   %s pods: kubecapscan CPU / (curl's + json_verify's CPU: TLS, inflate "
                     "and parsing) = %.2f s / %.2f s = %.2fx"
                     % (p, k["cpu"], cu["cpu"] + jv["cpu"], ratio(k["cpu"], cu["cpu"] + jv["cpu"])))
    for n in [ns] + ([many] if many not in ("0", "") else []):
        a, b = get("%sx%s" % (small, n), "kcs"), get("%sx%s" % (large, n), "kcs")
        if b:
            target("%s pods, %s namespaces: completes, peak RSS <= 16 MiB (%.1f MiB)"
                   % (large, n, b["rss"]), b["rss"] <= 16)
        if a and b:
            d = b["rss"] - a["rss"]
            target("%s namespaces: peak RSS at %s pods within 2 MiB of %s pods (%.1f - %.1f = %+.2f MiB)"
                   % (n, large, small, b["rss"], a["rss"], d), abs(d) <= 2)
    rk = reqs.get((cs, "kcs"))
    for t, lab in (("kubectl-cold", "cold"), ("kubectl-warm", "warm")):
        rc = reqs.get((cs, t))
        if rk and rc:
            # kubectl get pods does not look up owners: compare the listing itself
            own = rk["counts"].get("owners", 0)
            target("%s pods, %s namespaces: requests <= kubectl's, %s cache, for the same listing "
                   "(%d vs %d, not counting kubecapscan's %d owner lists; pod pages %d vs %d)"
                   % (small, ns, lab, rk["total"] - own, rc["total"], own, rk["counts"]["pods"],
                      rc["counts"]["pods"]), rk["total"] - own <= rc["total"])
    for c in cases:
        x = wl.get(c)
        if x:
            owner_warn = [m for m in x["warnings"] if "replicasets" in m or "jobs" in m]
            target("%s pods, %s namespaces: every workload resolved to its top controller "
                   "(%d Deployments, %d CronJobs; %d unresolved, %d owner-lookup warnings)"
                   % (c.split("x")[0], c.split("x")[1], x["kinds"].get("Deployment", 0),
                      x["kinds"].get("CronJob", 0), x["unresolved"], len(owner_warn)),
                   x["unresolved"] == 0 and not owner_warn and x["kinds"].get("Deployment", 0) > 0
                   and x["kinds"].get("CronJob", 0) > 0)
    if rk and not reqs.get((cs, "kubectl-cold")):
        target("requests <= kubectl's (kubectl not run)", None)
    limits = set()
    for (c, t), r in reqs.items():
        if t.startswith("kcs"):
            limits.update(r["pod_limits"])
    target("kubecapscan lists pods 500 at a time by default (limit=%s)" % ",".join(sorted(limits)),
           limits == {"500"})
    agree = True
    for ch in checks:
        ok = ch["agree"]
        agree = agree and ok
        target("%s: kubecapscan and the jq check agree (FAIL %s vs %s of %s/%s pods; %s pods differ)"
               % (ch["case"].replace("x", " pods, ") + " namespaces", ch["kcs_fail"], ch["jq_fail"],
                  ch["kcs_pods"], ch["jq_pods"], ch["diff"]), ok)
    if not checks:
        agree = False
        target("verdict check: not run", False)

    w("### Targets")
    w("")
    w("```")
    L.extend(T)
    w("```")
    w("")
    w("%s" % ("all targets met" if not miss[0] else "some targets missed"))
    w("")
    for key in sorted(meta):
        if key.startswith("note_"):
            w("- %s" % meta[key])
    for key in sorted(meta):
        if key.startswith("profile_"):
            L.extend(profile_section(key[len("profile_"):], meta[key]))
    text = "\n".join(L).rstrip() + "\n"
    with open(out_md, "w") as f:
        f.write(text)
    sys.stdout.write(text)
    return 0 if agree else 1


def top_inclusive(path, n):
    """The first n function lines of callgrind_annotate --inclusive=yes."""
    rows = []
    with open(path) as f:
        seen_header = False
        for line in f:
            if "file:function" in line:
                seen_header = True
                continue
            if not seen_header:
                continue
            m = LINE.match(line)
            if m:
                rows.append((int(m.group(1).replace(",", "")), m.group(2), m.group(3)))
            if len(rows) >= n:
                break
    return rows


def profile_section(case, base):
    p, n = case.split("x")
    out = ["", "### Profile: callgrind, %s pods, %s namespaces" % (p, n), ""]
    try:
        with open(base + ".kubecapscan.objects.md") as f:
            kobj = f.read().strip()
        with open(base + ".json_verify.objects.md") as f:
            jobj = f.read().strip()
    except OSError:
        return out + ["(profile files missing)"]
    out.append("`valgrind --tool=callgrind` on the same binary (instructions, Ir, repeatable). "
               "Self cost per shared object, kubecapscan:")
    out.append("")
    out.append(kobj)
    out.append("")
    out.append("json_verify -s over the same pages, decompressed:")
    out.append("")
    out.append(jobj)
    out.append("")
    out.append("Top of the inclusive profile of kubecapscan (`%s.kubecapscan.inclusive.txt`):"
               % os.path.basename(base))
    out.append("")
    out.append("| Ir (M), inclusive | % | function |")
    out.append("|---:|---:|---|")
    for ir, pct, fn in top_inclusive(base + ".kubecapscan.inclusive.txt", 45):
        if "below main" in fn or "__libc_start" in fn or "ld-linux" in fn or ":main " in fn:
            continue
        out.append("| %.1f | %s | `%s` |" % (ir / 1e6, pct, fn.replace("|", "\\|")))
    return out


# ---------------------------------------------------------------------------

LINE = re.compile(r"^\s*([\d,]+)\s+\(\s*([\d.]+)%\)\s+(.*?)\s*$")


def cmd_callgrind_objects(argv):
    """callgrind_annotate (self, --threshold=100) lines look like
       '1,234 (12.34%)  file:function [/path/obj.so]'"""
    tot = {}
    total = None
    with open(argv[0]) as f:
        for line in f:
            if total is None:
                m = re.match(r"^\s*([\d,]+)\s+\(100\.0%\)\s+PROGRAM TOTALS", line)
                if m:
                    total = int(m.group(1).replace(",", ""))
                continue
            m = LINE.match(line)
            if not m:
                continue
            ir = int(m.group(1).replace(",", ""))
            rest = m.group(3)
            mo = re.search(r"\[([^\]]+)\]\s*$", rest)
            obj = os.path.basename(mo.group(1)) if mo else "?"
            obj = re.sub(r"\.so[.\d]*$", "", obj)
            tot[obj] = tot.get(obj, 0) + ir
    if not total:
        sys.exit("live_helper: no PROGRAM TOTALS in %s" % argv[0])
    print("| object | Ir (M), self | % |")
    print("|---|---:|---:|")
    for obj, ir in sorted(tot.items(), key=lambda x: -x[1]):
        if ir * 1000 < total:
            continue
        print("| %s | %.1f | %.1f |" % (obj, ir / 1e6, 100.0 * ir / total))
    print("| **total** | %.1f | 100.0 |" % (total / 1e6))


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    cmd, argv = sys.argv[1], sys.argv[2:]
    if cmd == "curl-config":
        cmd_curl_config(argv)
    elif cmd == "check-curl":
        cmd_check_curl(argv)
    elif cmd == "requests":
        cmd_requests(argv)
    elif cmd == "workloads":
        cmd_workloads(argv)
    elif cmd == "report":
        return cmd_report(argv)
    elif cmd == "callgrind-objects":
        cmd_callgrind_objects(argv)
    else:
        sys.exit("live_helper: unknown command %r\n%s" % (cmd, __doc__))
    return 0


if __name__ == "__main__":
    sys.exit(main())
