"""Stock TensorFlow 2.21 (master and, where the layout says, workers) runs the client programs on
clusters where some or all workers are ferroflow tasks, and must get what an all-TF cluster gets:
floats within 1e-4 relative, everything else exactly.
"""
import math
import os

import pytest
import tensorflow as tf

import programs
from cluster import Cluster

LAYOUTS = {
    "ff_worker0": {("master", 0): "tf", ("worker", 0): "ff", ("worker", 1): "tf"},
    "ff_worker1": {("master", 0): "tf", ("worker", 0): "tf", ("worker", 1): "ff"},
    "ff_both": {("master", 0): "tf", ("worker", 0): "ff", ("worker", 1): "ff"},
}
ALL_TF = {("master", 0): "tf", ("worker", 0): "tf", ("worker", 1): "tf"}
LOG_DIR = os.environ.get("FERROFLOW_INTEROP_LOGS", os.path.join(os.path.dirname(__file__), "..", "..", "target", "interop-logs"))


def assert_same(got, want, path="result"):
    if isinstance(want, float) or isinstance(got, float):
        assert isinstance(got, (int, float)) and not isinstance(got, bool), f"{path}: {got!r} vs {want!r}"
        if math.isnan(want):
            assert math.isnan(got), f"{path}: {got} vs NaN"
        else:
            assert math.isclose(got, want, rel_tol=1e-4, abs_tol=1e-6), f"{path}: {got} vs {want}"
    elif isinstance(want, (list, tuple)):
        assert isinstance(got, (list, tuple)) and len(got) == len(want), f"{path}: {got!r} vs {want!r}"
        for i, (g, w) in enumerate(zip(got, want)):
            assert_same(g, w, f"{path}[{i}]")
    else:
        assert got == want, f"{path}: {got!r} vs {want!r}"


@pytest.fixture(scope="session")
def reference_cluster():
    c = Cluster(ALL_TF, os.path.join(LOG_DIR, "all_tf"))
    yield c
    c.stop()


@pytest.fixture(scope="session")
def reference_results(reference_cluster):
    cache = {}

    def get(name):
        if name not in cache:
            cache[name] = programs.PROGRAMS[name](reference_cluster.target, "worker")
        return cache[name]

    return get


@pytest.fixture(scope="session", params=sorted(LAYOUTS))
def mixed_cluster(request):
    c = Cluster(LAYOUTS[request.param], os.path.join(LOG_DIR, request.param))
    yield c
    c.stop()


@pytest.mark.parametrize("program", sorted(programs.PROGRAMS))
def test_program_matches_all_tf_cluster(mixed_cluster, reference_results, program):
    want = reference_results(program)
    got = programs.PROGRAMS[program](mixed_cluster.target, "worker")
    assert_same(got, want)


def test_missing_op_fails_at_registration_with_not_found(mixed_cluster):
    """An op ferroflow lacks, placed on a ferroflow worker, fails as an unregistered op does in TF."""
    ff_tasks = [index for (job, index), kind in mixed_cluster.kinds.items() if job == "worker" and kind == "ff"]
    task = ff_tasks[0]
    g = tf.Graph()
    with g.as_default():
        with tf.device(f"/job:worker/task:{task}"):
            m = tf.compat.v1.placeholder(tf.float32, [2, 2])
            det = tf.linalg.det(m)
    with tf.compat.v1.Session(mixed_cluster.target, graph=g) as s:
        with pytest.raises(tf.errors.NotFoundError) as e:
            s.run(det, {m: [[1.0, 2.0], [3.0, 4.0]]})
    assert "MatrixDeterminant" in e.value.message
