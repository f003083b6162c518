#!/usr/bin/env python3
"""Oracle cases for the stateless ops of embedding lookups, computed by stock TF 2.21: `Unique`
and `UniqueWithCounts` (ints, floats with -0.0 and NaN, strings; int32/int64 indices),
`DynamicPartition` (vector and matrix partitions, empty partitions, errors) and
`ParallelDynamicStitch`.

Run with the TF virtualenv:

    ~/.cache/ferroflow/tfvenv-2.21/bin/python tools/oracle/embedding_cases.py

It writes crates/kernels/testdata/embedding.json, in the schema of array_cases.py (whose helpers
this script imports).
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from array_cases import Cases, i, np, ty, write_cases  # noqa: E402


def _unique(c):
    for name, x in [("int64", np.array([7, 3, 7, 7, 1, 3, 9], np.int64)),
                    ("int32", np.array([0, -2, 5, -2, 0], np.int32)),
                    ("float", np.array([1.5, -0.0, 0.0, 2.0, 1.5], np.float32)),
                    ("string", np.array([b"b", b"a", b"b", b"", b"a"], dtype=object)),
                    ("empty", np.zeros([0], np.int64))]:
        dt = "string" if x.dtype == object else x.dtype.name
        for out in ("int32", "int64"):
            c.ok(f"unique_{name}_{out}", "Unique", [x], {"T": ty(dt), "out_idx": ty(out)})
        c.ok(f"unique_with_counts_{name}", "UniqueWithCounts", [x], {"T": ty(dt), "out_idx": ty("int32")})
    c.err("unique_err_matrix", "Unique", [np.zeros([2, 2], np.int32)], {"T": ty("int32"), "out_idx": ty("int32")})


def _partition(c):
    data = np.arange(24, dtype=np.float32).reshape(6, 4)
    c.ok("partition_rows", "DynamicPartition", [data, np.array([1, 0, 2, 1, 1, 0], np.int32)],
         {"T": ty("float32"), "num_partitions": i(3)})
    c.ok("partition_with_empty", "DynamicPartition", [data, np.array([0, 0, 3, 3, 0, 0], np.int32)],
         {"T": ty("float32"), "num_partitions": i(4)})
    c.ok("partition_matrix", "DynamicPartition", [data.reshape(2, 3, 4), np.array([[1, 0, 1], [0, 0, 1]], np.int32)],
         {"T": ty("float32"), "num_partitions": i(2)})
    c.ok("partition_ids_mod", "DynamicPartition", [np.array([10, 11, 12, 13, 14], np.int64),
                                                   np.array([0, 1, 0, 1, 0], np.int32)],
         {"T": ty("int64"), "num_partitions": i(2)})
    c.ok("partition_strings", "DynamicPartition", [np.array([b"x", b"y", b"z"], dtype=object),
                                                   np.array([1, 1, 0], np.int32)],
         {"T": ty("string"), "num_partitions": i(2)})
    c.err("partition_err_range", "DynamicPartition", [data, np.array([1, 0, 2, 1, 5, 0], np.int32)],
          {"T": ty("float32"), "num_partitions": i(3)})
    c.err("partition_err_shape", "DynamicPartition", [data, np.array([1, 0, 2], np.int32)],
          {"T": ty("float32"), "num_partitions": i(3)})


def _stitch(c):
    c.ok("parallel_stitch", "ParallelDynamicStitch",
         [np.array([0, 2], np.int32), np.array([1, 3], np.int32),
          np.array([[1, 2], [5, 6]], np.float32), np.array([[3, 4], [7, 8]], np.float32)],
         {"T": ty("float32"), "N": i(2)})


def _sparse_segments(c):
    data = np.arange(20, dtype=np.float32).reshape(5, 4) / 4.0
    idx = np.array([0, 2, 2, 4, 1, 3], np.int32)
    ids = np.array([0, 0, 1, 3, 3, 3], np.int32)
    for op in ("Sum", "Mean", "SqrtN"):
        for dt in ("float32", "float64"):
            attrs = {"T": ty(dt), "Tidx": ty("int32"), "Tsegmentids": ty("int32")}
            c.ok(f"sparse_segment_{op.lower()}_{dt}", f"SparseSegment{op}", [data.astype(dt), idx, ids], attrs)
            c.ok(f"sparse_segment_{op.lower()}_n_{dt}", f"SparseSegment{op}WithNumSegments",
                 [data.astype(dt), idx, ids, np.int32(6)], dict(attrs, Tnumsegments=ty("int32")))
            grad = np.arange(16, dtype=dt).reshape(4, 4) - 5.0
            c.ok(f"sparse_segment_{op.lower()}_grad_{dt}", f"SparseSegment{op}Grad",
                 [grad, idx, ids, np.int32(5)], attrs)
        c.ok(f"sparse_segment_{op.lower()}_int64_ids", f"SparseSegment{op}",
             [data, idx.astype(np.int64), ids.astype(np.int64)],
             {"T": ty("float32"), "Tidx": ty("int64"), "Tsegmentids": ty("int64")})
        c.ok(f"sparse_segment_{op.lower()}_empty", f"SparseSegment{op}",
             [data, np.zeros(0, np.int32), np.zeros(0, np.int32)], {"T": ty("float32")})
    attrs = {"T": ty("float32")}
    for op in ("Sum", "Mean"):
        c.ok(f"segment_{op.lower()}", f"Segment{op}", [data, np.array([0, 0, 2, 2, 3], np.int64)],
             {"T": ty("float32"), "Tindices": ty("int64")})
    c.err("segment_sum_err_size", "SegmentSum", [data, np.array([0, 1], np.int32)],
          {"T": ty("float32"), "Tindices": ty("int32")})
    c.ok("sparse_segment_sum_int32_data", "SparseSegmentSum", [np.arange(6, dtype=np.int32).reshape(3, 2),
                                                               np.array([2, 0], np.int32), np.array([0, 1], np.int32)],
         {"T": ty("int32")})
    c.err("sparse_segment_sum_err_index", "SparseSegmentSum", [data, np.array([0, 7], np.int32), np.array([0, 1], np.int32)], attrs)
    c.err("sparse_segment_sum_err_unsorted", "SparseSegmentSum", [data, np.array([0, 1, 2], np.int32),
                                                                  np.array([1, 0, 2], np.int32)], attrs)
    c.err("sparse_segment_sum_err_sizes", "SparseSegmentSum", [data, np.array([0, 1], np.int32), np.array([0], np.int32)], attrs)
    c.err("sparse_segment_sum_err_num_segments", "SparseSegmentSumWithNumSegments",
          [data, np.array([0, 1], np.int32), np.array([0, 3], np.int32), np.int32(2)], attrs)
    c.err("sparse_segment_mean_grad_err_index", "SparseSegmentMeanGrad",
          [np.ones([2, 4], np.float32), np.array([0, 9], np.int32), np.array([0, 1], np.int32), np.int32(5)], attrs)


def main():
    c = Cases()
    _unique(c)
    _partition(c)
    _stitch(c)
    _sparse_segments(c)
    write_cases("crates/kernels/testdata/embedding.json", c.cases, "tools/oracle/embedding_cases.py")


if __name__ == "__main__":
    main()
