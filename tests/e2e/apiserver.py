"""Start and stop the project's test API server (tests/apiserver/kubeapi.py)
for end-to-end tests."""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import kcs

SERVER = kcs.path("tests", "apiserver", "kubeapi.py")
DEMO = kcs.path("testdata", "demo")


class Server:
    """A running test API server; use as a context manager."""

    def __init__(self, *args, data=DEMO, log=True):
        self.args = list(args)
        self.data = data
        self.dir = tempfile.mkdtemp(prefix="kcs-e2e-")
        self.log = os.path.join(self.dir, "requests.log") if log else None
        self.proc = None

    def __enter__(self):
        cmd = [sys.executable, SERVER, "--state-dir", self.dir, "--port", "0",
               "--max-lifetime", "300"]
        if self.data:
            cmd += ["--data", self.data]
        if self.log:
            cmd += ["--request-log", self.log]
        cmd += self.args
        self.stderr = open(os.path.join(self.dir, "server.stderr"), "w")
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL,
                                     stderr=self.stderr)
        ready = os.path.join(self.dir, "ready.json")
        deadline = time.time() + 30
        while not os.path.exists(ready):
            if self.proc.poll() is not None or time.time() > deadline:
                self.__exit__(None, None, None)
                raise RuntimeError("test API server did not start: "
                                   + self.read("server.stderr"))
            time.sleep(0.02)
        with open(ready) as f:
            info = json.load(f)
        self.port = info["port"]
        self.url = info["url"]
        with open(os.path.join(self.dir, "users.json")) as f:
            self.users = json.load(f)
        return self

    def __exit__(self, *exc):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if getattr(self, "stderr", None):
            self.stderr.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def file(self, name):
        return os.path.join(self.dir, name)

    def read(self, name):
        try:
            with open(self.file(name)) as f:
                return f.read()
        except OSError:
            return ""

    def requests(self):
        """The request log as a list of dicts: HTTP requests only.

        The server logs a request after answering it, so a last line without its newline is
        still being written; records without a method are events (a failed TLS handshake)."""
        lines = self.read("requests.log").split("\n")
        recs = [json.loads(line) for line in lines[:-1] if line.strip()]
        return [r for r in recs if "method" in r]

    def token(self, user):
        return self.users[user]["token"]

    def write(self, name, text, mode=0o600):
        p = self.file(name)
        with open(p, "w") as f:
            f.write(text)
        os.chmod(p, mode)
        return p

    def env(self, kubeconfig, **extra):
        """Environment for kubecapscan: only this kubeconfig, a clean HOME."""
        home = os.path.join(self.dir, "home")
        os.makedirs(home, exist_ok=True)
        e = {"KUBECONFIG": kubeconfig, "HOME": home,
             "KUBERNETES_SERVICE_HOST": "", "KUBERNETES_SERVICE_PORT": ""}
        e.update(extra)
        return e
