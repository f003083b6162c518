"""A stock TensorFlow 2.21 client runs the client programs on clusters mixing stock TF and
ferroflow tasks, and must get what an all-TF cluster gets: floats within 1e-4 relative, everything
else exactly. Layouts: a TF master with ferroflow worker 0, worker 1, or both; and a ferroflow
master with two ferroflow workers or with two stock TF workers.
"""
import math
import os

import pytest
import tensorflow as tf

import programs
from cluster import Cluster
from conftest import LOG_DIR, assert_same

LAYOUTS = {
    "ff_worker0": {("master", 0): "tf", ("worker", 0): "ff", ("worker", 1): "tf"},
    "ff_worker1": {("master", 0): "tf", ("worker", 0): "tf", ("worker", 1): "ff"},
    "ff_both": {("master", 0): "tf", ("worker", 0): "ff", ("worker", 1): "ff"},
    "ff_master_ff_workers": {("master", 0): "ff", ("worker", 0): "ff", ("worker", 1): "ff"},
    "ff_master_tf_workers": {("master", 0): "ff", ("worker", 0): "tf", ("worker", 1): "tf"},
}
@pytest.fixture(scope="session", params=sorted(LAYOUTS))
def mixed_cluster(request):
    c = Cluster(LAYOUTS[request.param], os.path.join(LOG_DIR, request.param))
    c.layout = request.param
    yield c
    c.stop()


# Known failures that hang rather than fail, so they are not run (each noted on its issue).
@pytest.mark.parametrize("program", sorted(programs.PROGRAMS))
def test_program_matches_all_tf_cluster(mixed_cluster, reference_results, program):
    want = reference_results(program)
    got = programs.PROGRAMS[program](mixed_cluster.target, "worker")
    assert_same(got, want)


def test_missing_op_fails_at_registration_with_not_found(mixed_cluster):
    """An op ferroflow lacks fails on a ferroflow worker as an unregistered op does in TF (NOT_FOUND
    naming the op, before anything runs); on a stock TF worker it runs."""
    for task in (0, 1):
        g = tf.Graph()
        with g.as_default():
            with tf.device(f"/job:worker/task:{task}"):
                m = tf.compat.v1.placeholder(tf.float32, [2, 2])
                det = tf.linalg.det(m)
        with tf.compat.v1.Session(mixed_cluster.target, graph=g) as s:
            if mixed_cluster.kinds[("worker", task)] == "ff":
                with pytest.raises(tf.errors.NotFoundError) as e:
                    s.run(det, {m: [[1.0, 2.0], [3.0, 4.0]]})
                assert "MatrixDeterminant" in e.value.message
            else:
                assert math.isclose(float(s.run(det, {m: [[1.0, 2.0], [3.0, 4.0]]})), -2.0, rel_tol=1e-5)


def test_cluster_stays_usable_after_errors(mixed_cluster, reference_results):
    """Errors in one step (bad shape, missing feed) leave the cluster serving the next programs."""
    programs.PROGRAMS["errors_then_recovery"](mixed_cluster.target, "worker")
    assert_same(programs.PROGRAMS["feed_matmul_chain"](mixed_cluster.target, "worker"), reference_results("feed_matmul_chain"))
