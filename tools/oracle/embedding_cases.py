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


def main():
    c = Cases()
    _unique(c)
    _partition(c)
    _stitch(c)
    write_cases("crates/kernels/testdata/embedding.json", c.cases, "tools/oracle/embedding_cases.py")


if __name__ == "__main__":
    main()
