"""Shared helpers for the end-to-end tests (standard library only)."""
import json
import os
import subprocess
import sys

SRC = os.environ.get("KCS_SOURCE_DIR") or os.path.abspath(
    os.path.join(os.path.dirname(__file__), "..", ".."))
BIN = os.environ.get("KUBECAPSCAN") or os.path.join(SRC, "build", "kubecapscan")
CHECKER = os.path.join(SRC, "tests", "tools", "check_report.py")


def path(*parts):
    return os.path.join(SRC, *parts)


# KCS_E2E_VALGRIND=1 runs every kubecapscan under valgrind memcheck; any
# memory error or leak makes it exit 97, which no test expects.
VALGRIND = os.environ.get("KCS_E2E_VALGRIND") == "1"
WRAPPER = ["valgrind", "--quiet", "--error-exitcode=97", "--leak-check=full",
           "--show-leak-kinds=definite,indirect",
           "--errors-for-leak-kinds=definite,indirect",
           "--trace-children=no"] if VALGRIND else []


def run(args, stdin=None, env=None, timeout=120, cwd=None):
    """Run kubecapscan; returns (exit status, stdout text, stderr text)."""
    e = dict(os.environ)
    if env:
        e.update(env)
    if VALGRIND:
        timeout *= 10
    p = subprocess.run(WRAPPER + [BIN] + list(args), input=stdin, capture_output=True,
                       env=e, timeout=timeout, cwd=cwd)
    if p.returncode == 97:
        raise AssertionError("valgrind found memory errors or leaks:\n"
                             + p.stderr.decode("utf-8", "replace")[-4000:])
    return p.returncode, p.stdout.decode("utf-8", "replace"), \
        p.stderr.decode("utf-8", "replace")


def check_report(text_or_path):
    """Validate a JSON report with the schema checker; raise on failure."""
    if os.path.exists(text_or_path):
        target = text_or_path
        tmp = None
    else:
        import tempfile
        fd, tmp = tempfile.mkstemp(suffix=".json")
        with os.fdopen(fd, "w") as f:
            f.write(text_or_path)
        target = tmp
    try:
        p = subprocess.run([sys.executable, CHECKER, target],
                           capture_output=True, text=True)
        if p.returncode != 0:
            raise AssertionError("report fails the schema/consistency "
                                 "checker:\n" + p.stdout + p.stderr)
    finally:
        if tmp:
            os.unlink(tmp)


def verdicts(report):
    """Comparable view of a report: pods, containers, namespaces, summary."""
    pods = [(p["namespace"], p["name"], p["verdict"], p.get("reason"),
             [(c["name"], c["type"], c["verdict"], c["reason"],
               sorted(c["flags"])) for c in p["containers"]])
            for p in report["pods"]]
    nss = [(n["name"], n["verdict"], n["reason"], sorted(n["flags"]),
            n["pods"]["total"], n["pods"]["fail"])
           for n in report.get("namespaces", [])]
    summary = report.get("summary")
    if summary:
        # the hand-derived oracles predate EXEMPT: an exempt count of 0 is
        # what they mean, and any other value must show up as a difference
        # workloads are compared by their own tests (the oracles count
        # pods, containers and namespaces)
        summary = {k: {c: n for c, n in v.items() if not (c == "exempt" and n == 0)}
                   for k, v in summary.items() if k != "workloads"}
    return pods, nss, summary


def load(text):
    return json.loads(text)
