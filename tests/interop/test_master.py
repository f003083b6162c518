"""The ferroflow master under load and failure: two clients running sessions on one all-ferroflow
cluster at once, and a worker killed in the middle of a step — the client must get an error within
10 seconds (UNAVAILABLE or ABORTED), and once the worker is back (a new incarnation) the next
session must work.
"""
import os
import threading
import time

import numpy as np
import pytest
import tensorflow as tf

import programs
from cluster import Cluster
from conftest import LOG_DIR, assert_same

v1 = tf.compat.v1
ALL_FF = {("master", 0): "ff", ("worker", 0): "ff", ("worker", 1): "ff"}


@pytest.fixture()
def ff_cluster(request):
    c = Cluster(ALL_FF, os.path.join(LOG_DIR, request.node.name))
    yield c
    c.stop()


def test_two_clients_at_once(ff_cluster, reference_results):
    names = ["feed_matmul_chain", "partial_run_two_feeds", "callable_sum_of_squares", "elementwise_and_reductions"]
    failures = []

    def client(order):
        try:
            for _ in range(3):
                for name in order:
                    assert_same(programs.PROGRAMS[name](ff_cluster.target, "worker"), reference_results(name), name)
        except Exception as e:  # reported below, with the thread's program order
            failures.append((order, repr(e)))

    threads = [threading.Thread(target=client, args=(names,)), threading.Thread(target=client, args=(names[::-1],))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert not any(t.is_alive() for t in threads), "a client hung"
    assert not failures, failures


def long_step_graph():
    g = tf.Graph()
    with g.as_default():
        with tf.device("/job:worker/task:0"):
            x = tf.random.uniform([1024, 1024], seed=1)
        with tf.device("/job:worker/task:1"):
            y = x
            for _ in range(400):
                y = tf.matmul(y, x) * 1e-3
            out = tf.reduce_sum(y)
    return g, out


def test_worker_killed_mid_step_then_restarted(ff_cluster, reference_results):
    g, out = long_step_graph()
    result = {}

    def run():
        started = time.time()
        try:
            with v1.Session(ff_cluster.target, graph=g) as s:
                s.run(out)
            result["outcome"] = "ok"
        except tf.errors.OpError as e:
            result["outcome"] = type(e).__name__
        result["seconds"] = time.time() - started

    t = threading.Thread(target=run)
    t.start()
    time.sleep(1.5)
    killed_at = time.time()
    ff_cluster.procs[("worker", 1)].kill()
    t.join(timeout=30)
    assert not t.is_alive(), "the client never got an answer"
    assert result["outcome"] in ("UnavailableError", "AbortedError"), result
    assert time.time() - killed_at < 10.0

    ff_cluster.restart(("worker", 1))
    assert_same(programs.PROGRAMS["feed_matmul_chain"](ff_cluster.target, "worker"), reference_results("feed_matmul_chain"))
