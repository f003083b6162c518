"""Session semantics a stock TF client relies on (issue 14), each scenario run on stock TF servers and
on ferroflow servers with the same client code, results and error classes compared — and checked
against what TF's own session tests expect of them:

- ClusterSpec propagation: a `ConfigProto.cluster_def` makes the session's cluster (placement on
  its tasks under its job names, step stats per device, `list_devices`, partial runs);
  sessions of a propagated cluster have state of their own.
- `isolate_session_state`: isolated sessions do not see each other's (or shared) variables.
- partial-run errors: feeds and fetches not named at setup, fetched twice, fed twice.
- clusters TF accepts: sparse task indices; start-up errors reported in one line.

Servers here are single-task "local" servers, as `tf.distribute.Server.create_local_server()`
makes them; a scenario takes a function starting N of them (all TF or all ferroflow).
"""
import json
import os
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

from cluster import HERE, ferroflow_binary, free_port, wait_for_port
from conftest import LOG_DIR, assert_same

v1 = tf.compat.v1
v1.disable_eager_execution()


class Server:
    """One task serving the master and worker services: stock TF (tf_task.py) or ferroflow."""

    def __init__(self, kind, log_dir, job="local", index=0, spec=None, port=None):
        self.kind = kind
        self.port = port or free_port()
        self.address = f"127.0.0.1:{self.port}"
        self.spec = spec or {job: [self.address]}
        self.job, self.index = job, index
        os.makedirs(log_dir, exist_ok=True)
        log = open(os.path.join(log_dir, f"{job}{index}-{kind}-{self.port}.log"), "ab")
        self.proc = subprocess.Popen(self.command(), stdout=log, stderr=subprocess.STDOUT)
        try:
            wait_for_port(self.port, self.proc)
        except Exception:
            self.stop()
            raise

    def command(self):
        if self.kind == "tf":
            return [sys.executable, os.path.join(HERE, "tf_task.py"), self.job, str(self.index), json.dumps(self.spec)]
        cmd = [ferroflow_binary(), "server", "--job", self.job, "--task", str(self.index)]
        for name, tasks in self.spec.items():
            if isinstance(tasks, dict):
                cmd += ["--cluster", f"{name}=" + ",".join(f"{i}:{a}" for i, a in tasks.items())]
            else:
                cmd += ["--cluster", f"{name}={','.join(tasks)}"]
        return cmd

    @property
    def target(self):
        return f"grpc://{self.address}"

    def stop(self):
        self.proc.kill()
        self.proc.wait()


@pytest.fixture()
def servers_of(request):
    """`servers_of(kind, n)`: n fresh local servers of one kind, stopped after the test."""
    started = []
    log_dir = os.path.join(LOG_DIR, "sessions", request.node.name)

    def start(kind, n):
        new = [Server(kind, log_dir) for _ in range(n)]
        started.extend(new)
        return new

    yield start
    for s in started:
        s.stop()


def on_both(servers_of, scenario, n):
    """The scenario's result on TF servers and on ferroflow servers: they must be equal."""
    results = {kind: scenario(servers_of(kind, n)) for kind in ("tf", "ff")}
    assert_same(results["ff"], results["tf"], scenario.__name__)
    return results["tf"]


def cluster_config(job, servers):
    cluster_def = tf.train.ClusterSpec({job: {i: s.address for i, s in enumerate(servers)}}).as_cluster_def()
    return v1.ConfigProto(cluster_def=cluster_def)


def error_name(fn):
    try:
        fn()
    except tf.errors.OpError as e:
        return type(e).__name__
    return "no error"


# ---------------------------------------------------------------------------------------------
# ClusterSpec propagation


def propagated_placement(servers):
    """Ops on each task of a propagated cluster (job 'renamed_worker'), traced: which device ran
    each Const, and the sum across tasks."""
    config = cluster_config("renamed_worker", servers)
    g = tf.Graph()
    with g.as_default():
        with tf.device("/job:renamed_worker/replica:0/task:1/device:CPU:0"):
            c1 = tf.constant(17.0, name="c1")
        with tf.device("/job:renamed_worker/task:0"):
            c0 = tf.constant(3.0, name="c0")
            total = c0 + c1
    options = v1.RunOptions(trace_level=v1.RunOptions.FULL_TRACE)
    metadata = v1.RunMetadata()
    with v1.Session(servers[0].target, graph=g, config=config) as s:
        out = [float(s.run(total, options=options, run_metadata=metadata)), float(s.run(c1))]
        ran_on = sorted((d.device, n.node_name) for d in metadata.step_stats.dev_stats for n in d.node_stats if n.node_name in ("c0", "c1"))
        devices = sorted(d.name for d in s.list_devices())
    return out + [ran_on, devices]


def test_clusterspec_propagation_places_on_the_session_cluster(servers_of):
    result = on_both(servers_of, propagated_placement, 2)
    assert result[:2] == [20.0, 17.0]
    assert result[2] == [
        ("/job:renamed_worker/replica:0/task:0/device:CPU:0", "c0"),
        ("/job:renamed_worker/replica:0/task:1/device:CPU:0", "c1"),
    ]
    assert result[3] == [f"/job:renamed_worker/replica:0/task:{i}/device:CPU:0" for i in (0, 1)]


def propagated_sessions_are_isolated(servers):
    """Two sessions of one propagated cluster: a variable initialized in one is not in the other."""
    config = cluster_config("worker", servers)
    g = tf.Graph()
    with g.as_default():
        init_value = v1.placeholder(tf.int32, [])
        v = v1.Variable(init_value, name="iso_v", use_resource=False)
        r = v1.Variable(init_value, name="iso_r", use_resource=True)
    s1 = v1.Session(servers[0].target, graph=g, config=config)
    s2 = v1.Session(servers[0].target, graph=g, config=config)
    out = [error_name(lambda: s1.run(v)), error_name(lambda: s2.run(v))]
    s1.run([v.initializer, r.initializer], {init_value: 37})
    out += [int(s1.run(v)), int(s1.run(r)), error_name(lambda: s2.run(v)), error_name(lambda: s2.run(r.read_value()))]
    s2.run(v.initializer, {init_value: 5})
    out += [int(s1.run(v)), int(s2.run(v))]
    s1.close()
    s2.close()
    return out


def test_propagated_sessions_have_their_own_state(servers_of):
    result = on_both(servers_of, propagated_sessions_are_isolated, 1)
    assert result == ["FailedPreconditionError"] * 2 + [37, 37, "FailedPreconditionError", "FailedPreconditionError", 37, 5]


def three_servers_two_clusters(servers):
    """Server 0 is the master of two clusters, each with another server as task 1: variables of the
    two sessions live on different servers and stay independent."""
    master, a, b = servers
    configs = [cluster_config("worker", [master, a]), cluster_config("worker", [master, b])]
    g = tf.Graph()
    with g.as_default():
        with tf.device("/job:worker/task:1"):
            var = v1.Variable(tf.zeros([2]), name="var", use_resource=False)
            feed = v1.placeholder(tf.float32, [2])
            update = v1.assign_add(var, feed)
    sessions = [v1.Session(master.target, graph=g, config=c) for c in configs]
    for s in sessions:
        s.run(var.initializer)
    ones = np.ones([2], np.float32)
    out = [tolist(sessions[0].run(update, {feed: ones})), tolist(sessions[0].run(update, {feed: ones}))]
    out += [tolist(sessions[1].run(var)), tolist(sessions[1].run(update, {feed: ones})), tolist(sessions[0].run(var))]
    for s in sessions:
        s.close()
    return out


def tolist(x):
    return np.asarray(x).tolist()


def test_three_servers_two_propagated_clusters(servers_of):
    assert on_both(servers_of, three_servers_two_clusters, 3) == [[1.0, 1.0], [2.0, 2.0], [0.0, 0.0], [1.0, 1.0], [2.0, 2.0]]


def propagated_partial_run(servers):
    """A partial run across both tasks of a propagated cluster, the master not task 0."""
    config = cluster_config("worker", [servers[1], servers[0]])
    g = tf.Graph()
    with g.as_default():
        with tf.device("/job:worker/task:1"):
            a = v1.placeholder(tf.float32, [])
        with tf.device("/job:worker/task:0"):
            b = v1.placeholder(tf.float32, [])
            c = v1.placeholder(tf.float32, [])
            r1 = a + b
        with tf.device("/job:worker/task:1"):
            r2 = r1 * c
    with v1.Session(servers[0].target, graph=g, config=config) as s:
        h = s.partial_run_setup([r1, r2], [a, b, c])
        return [float(s.partial_run(h, r1, {a: 1.0, b: 2.0})), float(s.partial_run(h, r2, {c: 3.0}))]


def test_partial_run_in_a_propagated_cluster(servers_of):
    assert on_both(servers_of, propagated_partial_run, 2) == [3.0, 9.0]


# ---------------------------------------------------------------------------------------------
# isolate_session_state


def isolated_and_shared_sessions(servers):
    """Two sharing and two isolated sessions on one server, one reference variable."""
    target = servers[0].target
    g = tf.Graph()
    with g.as_default():
        init_value = v1.placeholder(tf.int32)
        v = v1.Variable(init_value, validate_shape=False, name="v", use_resource=False)
    share = v1.ConfigProto(isolate_session_state=False)
    isolate = v1.ConfigProto(isolate_session_state=True)
    sessions = [v1.Session(target, graph=g, config=c) for c in (share, share, isolate, isolate)]
    read = lambda i: (lambda: tolist(sessions[i].run(v)))  # noqa: E731
    out = [error_name(read(i)) for i in range(4)]
    sessions[0].run(v.initializer, {init_value: 86})
    out += [tolist(sessions[1].run(v)), error_name(read(2)), error_name(read(3))]
    sessions[1].run(v.initializer, {init_value: [86, 99]})
    out += [tolist(sessions[0].run(v)), error_name(read(2))]
    sessions[2].run(v.initializer, {init_value: 37})
    sessions[3].run(v.initializer, {init_value: [19, 86]})
    out += [tolist(sessions[s].run(v)) for s in range(4)]
    for s in sessions:
        s.close()
    return out


def test_isolate_session_state(servers_of):
    fp = "FailedPreconditionError"
    assert on_both(servers_of, isolated_and_shared_sessions, 1) == [fp] * 4 + [86, fp, fp, [86, 99], fp, [86, 99], [86, 99], 37, [19, 86]]


# ---------------------------------------------------------------------------------------------
# Partial-run errors


def partial_run_errors(servers):
    """Each misuse of a partial run, then a good one: error class and message (TF's)."""
    g = tf.Graph()
    with g.as_default():
        a = v1.placeholder(tf.float32, [], name="a")
        b = v1.placeholder(tf.float32, [], name="b")
        c = v1.placeholder(tf.float32, [], name="c")
        r1 = tf.add(a, b, name="r1")
        r2 = tf.multiply(r1, c, name="r2")
        r3 = tf.multiply(a, c, name="r3")
    out = []
    with v1.Session(servers[0].target, graph=g) as s:
        def attempt(fn):
            try:
                return tolist(fn())
            except tf.errors.OpError as e:
                # The client puts its own lines around the master's message.
                lines = [line for line in e.message.split("\n") if line.startswith("The ")]
                return [type(e).__name__, lines[0] if lines else e.message]

        h = s.partial_run_setup([r1, r2], [a, b])
        out.append(attempt(lambda: s.partial_run(h, r1, {a: 1.0, b: 2.0, c: 3.0})))
        out.append(attempt(lambda: s.partial_run(h, r3, {a: 1.0})))
        h = s.partial_run_setup([r1, r2], [a, b, c])
        out.append(attempt(lambda: s.partial_run(h, r1, {a: 1.0, b: 2.0})))
        out.append(attempt(lambda: s.partial_run(h, r1, {c: 1.0})))
        out.append(attempt(lambda: s.partial_run(h, r2, {a: 1.0})))
        out.append(attempt(lambda: s.partial_run(h, r2, {c: 4.0})))
    return out


def test_partial_run_errors(servers_of):
    result = on_both(servers_of, partial_run_errors, 1)
    assert result == [
        ["InvalidArgumentError", "The feed c:0 was not specified in partial_run_setup."],
        ["InvalidArgumentError", "The fetch r3:0 was not specified in partial_run_setup."],
        3.0,
        ["InvalidArgumentError", "The fetch r1:0 has already been fetched."],
        ["InvalidArgumentError", "The feed a:0 has already been fed."],
        12.0,
    ]


# ---------------------------------------------------------------------------------------------
# Clusters TF accepts


def test_sparse_task_indices(servers_of, request):
    """A job whose only task has index 37 ({"local": {37: address}}), on both kinds of server."""
    log_dir = os.path.join(LOG_DIR, "sessions", request.node.name)
    results = {}
    for kind in ("tf", "ff"):
        port = free_port()
        server = Server(kind, log_dir, job="local", index=37, spec={"local": {"37": f"127.0.0.1:{port}"}}, port=port)
        try:
            g = tf.Graph()
            with g.as_default(), tf.device("/job:local/task:37"):
                x = tf.constant([1.0, 2.0]) * 3.0
            with v1.Session(server.target, graph=g) as s:
                results[kind] = [tolist(s.run(x)), sorted(d.name for d in s.list_devices())]
        finally:
            server.stop()
    assert results["ff"] == results["tf"]
    assert results["tf"] == [[3.0, 6.0], ["/job:local/replica:0/task:37/device:CPU:0"]]


@pytest.mark.parametrize(
    "args,env,says",
    [
        (["--cluster", "local=localhost", "--job", "local"], {}, "needs a port"),
        ([], {"TF_CONFIG": json.dumps({"cluster": {"local": ["localhost"]}, "task": {"type": "local", "index": 0}})}, "needs a port"),
        (["--cluster", "local=127.0.0.1:1", "--job", "local", "--task", "3"], {}, "task 3 of job 'local' is not in the cluster"),
    ],
)
def test_startup_errors_are_one_clear_line(args, env, says):
    proc = subprocess.run([ferroflow_binary(), "server", *args], env={**os.environ, **env}, capture_output=True, text=True, timeout=30)
    assert proc.returncode != 0
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("ferroflow: ") and says in lines[0], proc.stderr
    assert "panicked" not in proc.stderr and "backtrace" not in proc.stderr.lower()
