"""Shared fixtures of the interop tests: the all-TF reference cluster, each program's reference
result (computed once per run), and the comparison rule (floats within 1e-4 relative, the rest
exactly)."""
import math
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import programs  # noqa: E402
from cluster import Cluster  # noqa: E402

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
    elif isinstance(want, dict):
        assert isinstance(got, dict) and sorted(got) == sorted(want), f"{path}: {got!r} vs {want!r}"
        for k in want:
            assert_same(got[k], want[k], f"{path}[{k!r}]")
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


