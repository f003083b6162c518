"""Clusters of stock TensorFlow and ferroflow tasks on loopback, for the interop tests.

A cluster is a master task (job "master", task 0) and worker tasks 0 and 1 (job "worker"); each
task is a stock TF process (tf_task.py) or a `ferroflow server` process, as the layout says. Ports
are picked free on 127.0.0.1; a task counts as up once its port accepts connections.
"""
import json
import os
import socket
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def ferroflow_binary():
    path = os.environ.get("FERROFLOW_BIN", os.path.join(ROOT, "target", "release", "ferroflow"))
    if not os.path.exists(path):
        raise RuntimeError(f"ferroflow binary not found at {path}: build it (cargo build --release) or set FERROFLOW_BIN")
    return path


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port, proc, timeout=60.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"task on port {port} exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"task on port {port} did not come up in {timeout}s")


class Cluster:
    """Tasks started per `kinds`: {("master", 0): "tf"|"ff", ("worker", 0): ..., ("worker", 1): ...};
    `ff_args` adds command-line arguments to ferroflow tasks: {task: [arg, ...]}."""

    def __init__(self, kinds, log_dir, ff_args=None):
        self.kinds = dict(kinds)
        self.ff_args = dict(ff_args or {})
        self.ports = {task: free_port() for task in self.kinds}
        self.spec = {}
        for (job, index), port in sorted(self.ports.items()):
            self.spec.setdefault(job, []).append(f"127.0.0.1:{port}")
        self.procs = {}
        self.log_dir = log_dir
        os.makedirs(log_dir, exist_ok=True)
        try:
            for task in self.kinds:
                self.start(task)
            for task, proc in self.procs.items():
                wait_for_port(self.ports[task], proc)
        except Exception:
            self.stop()
            raise

    def command(self, task):
        job, index = task
        if self.kinds[task] == "tf":
            return [sys.executable, os.path.join(HERE, "tf_task.py"), job, str(index), json.dumps(self.spec)]
        cmd = [ferroflow_binary(), "server", "--job", job, "--task", str(index)]
        for name, addresses in self.spec.items():
            cmd += ["--cluster", f"{name}={','.join(addresses)}"]
        return cmd + list(self.ff_args.get(task, []))

    def start(self, task):
        job, index = task
        log = open(os.path.join(self.log_dir, f"{job}{index}-{self.kinds[task]}.log"), "ab")
        self.procs[task] = subprocess.Popen(self.command(task), stdout=log, stderr=subprocess.STDOUT)

    def restart(self, task):
        proc = self.procs.pop(task)
        proc.kill()
        proc.wait()
        self.start(task)
        wait_for_port(self.ports[task], self.procs[task])

    def signal(self, task, sig):
        """Sends `sig` to a task's process (SIGSTOP freezes it, SIGCONT resumes it)."""
        self.procs[task].send_signal(sig)

    @property
    def target(self):
        return f"grpc://127.0.0.1:{self.ports[('master', 0)]}"

    def stop(self):
        for proc in self.procs.values():
            proc.kill()
        for proc in self.procs.values():
            proc.wait()
        self.procs = {}
