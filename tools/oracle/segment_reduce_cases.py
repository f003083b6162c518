#!/usr/bin/env python3
"""Oracle cases for ferroflow's max, min and product segment reductions, computed by stock TF 2.21:
`UnsortedSegmentMax`/`Min`/`Prod` (dropped negative ids, empty segments, multi-dimensional ids,
int32 and int64 ids and counts, NaN) and the sorted `SegmentMax`/`Min`/`Prod` (gaps, a trailing
row per id), for several dtypes, with TF's errors.

Run with the TF virtualenv:

    ~/.cache/ferroflow/tfvenv-2.21/bin/python tools/oracle/segment_reduce_cases.py

It writes crates/kernels/testdata/segment_reduce.json, in the schema of array_cases.py (whose
helpers this script imports).
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from array_cases import Cases, np, rnd, ty, write_cases  # noqa: E402


def _unsorted(c, rng):
    for op in ("UnsortedSegmentMax", "UnsortedSegmentMin", "UnsortedSegmentProd"):
        for dt in ("float32", "float64", "int32", "int64"):
            data = rnd(rng, [6, 3], dt, lo=-4, hi=5)
            ids = np.array([0, 2, -1, 2, 0, 4], np.int32)
            c.ok(f"{op}_{dt}".lower(), op, [data, ids, np.int32(5)],
                 {"T": ty(dt), "Tindices": ty("int32"), "Tnumsegments": ty("int32")})
        data = rnd(rng, [2, 3, 2], "float32")
        c.ok(f"{op}_matrix_ids".lower(), op, [data, np.array([[1, 0, 1], [3, -1, 0]], np.int64), np.int64(4)],
             {"T": ty("float32"), "Tindices": ty("int64"), "Tnumsegments": ty("int64")})
        c.ok(f"{op}_nan".lower(), op, [np.array([1.0, np.nan, 3.0, np.nan], np.float32), np.array([0, 0, 1, 1], np.int32), np.int32(2)],
             {"T": ty("float32"), "Tindices": ty("int32"), "Tnumsegments": ty("int32")})
        c.ok(f"{op}_no_segments".lower(), op, [rnd(rng, [3], "float32"), np.array([-1, -1, -1], np.int32), np.int32(0)],
             {"T": ty("float32"), "Tindices": ty("int32"), "Tnumsegments": ty("int32")})
        f = {"T": ty("float32"), "Tindices": ty("int32"), "Tnumsegments": ty("int32")}
        c.err(f"{op}_err_out_of_range".lower(), op, [rnd(rng, [3], "float32"), np.array([0, 3, 1], np.int32), np.int32(3)], f)
        c.err(f"{op}_err_shape_prefix".lower(), op, [rnd(rng, [3, 2], "float32"), np.array([0, 1], np.int32), np.int32(3)], f)
        c.err(f"{op}_err_num_segments_vector".lower(), op, [rnd(rng, [3], "float32"), np.array([0, 1, 1], np.int32),
                                                             np.array([3], np.int32)], f)
        c.err(f"{op}_err_negative_count".lower(), op, [rnd(rng, [3], "float32"), np.array([0, 1, 1], np.int32), np.int32(-2)], f)


def _sorted(c, rng):
    for op in ("SegmentMax", "SegmentMin", "SegmentProd"):
        for dt in ("float32", "float64", "int32", "int64"):
            data = rnd(rng, [6, 2], dt, lo=-4, hi=5)
            c.ok(f"{op}_{dt}".lower(), op, [data, np.array([0, 0, 1, 3, 3, 3], np.int32)], {"T": ty(dt), "Tindices": ty("int32")})
        c.ok(f"{op}_int64_ids".lower(), op, [rnd(rng, [4], "float32"), np.array([1, 1, 2, 5], np.int64)],
             {"T": ty("float32"), "Tindices": ty("int64")})
        c.ok(f"{op}_empty".lower(), op, [np.zeros([0, 3], np.float32), np.zeros([0], np.int32)], {"T": ty("float32"), "Tindices": ty("int32")})
        f = {"T": ty("float32"), "Tindices": ty("int32")}
        c.err(f"{op}_err_unsorted".lower(), op, [rnd(rng, [3], "float32"), np.array([0, 2, 1], np.int32)], f)
        c.err(f"{op}_err_negative".lower(), op, [rnd(rng, [3], "float32"), np.array([-1, 0, 1], np.int32)], f)
        c.err(f"{op}_err_size".lower(), op, [rnd(rng, [3], "float32"), np.array([0, 1], np.int32)], f)
        c.err(f"{op}_err_ids_matrix".lower(), op, [rnd(rng, [2, 2], "float32"), np.array([[0, 1], [1, 1]], np.int32)], f)


def main():
    rng = np.random.default_rng(9)
    c = Cases()
    _unsorted(c, rng)
    _sorted(c, rng)
    write_cases("crates/kernels/testdata/segment_reduce.json", c.cases, "tools/oracle/segment_reduce_cases.py")


if __name__ == "__main__":
    main()
