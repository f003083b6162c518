#!/usr/bin/env python3
"""Oracle cases for ferroflow's batched matrix products, computed by stock TF 2.21:
`BatchMatMul`, `BatchMatMulV2` and `BatchMatMulV3` with every adjoint combination, broadcast batch
dimensions (missing, size 1, several), empty batches and matrices, float/double/int32/int64, and
TF's shape errors.

Run with the TF virtualenv:

    ~/.cache/ferroflow/tfvenv-2.21/bin/python tools/oracle/batch_matmul_cases.py

It writes crates/kernels/testdata/batch_matmul.json, in the schema of array_cases.py (whose
helpers this script imports).
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from array_cases import Cases, b, np, rnd, ty, write_cases  # noqa: E402

RNG = np.random.default_rng(9)


def shape_of(batch, rows, cols, adj):
    return list(batch) + ([cols, rows] if adj else [rows, cols])


def main():
    c = Cases()
    geos = [("plain", [3], [3], 2, 4, 5), ("broadcast_x", [1], [4], 3, 2, 2), ("broadcast_missing", [], [2, 3], 2, 3, 4),
            ("broadcast_both", [2, 1], [1, 3], 2, 2, 3), ("big", [4], [4], 33, 17, 29), ("empty_batch", [0], [0], 2, 2, 2),
            ("empty_k", [2], [2], 3, 0, 2)]
    for name, bx, by, m, k, n in geos:
        for dt in ("float32", "float64", "int32", "int64"):
            for ax in (False, True):
                for ay in (False, True):
                    if dt.startswith("int") and (ax or ay) and name != "plain":
                        continue
                    x = rnd(RNG, shape_of(bx, m, k, ax), dt, -3, 3)
                    y = rnd(RNG, shape_of(by, k, n, ay), dt, -3, 3)
                    attrs = {"T": ty(dt), "adj_x": b(ax), "adj_y": b(ay)}
                    tag = f"{name}_{dt}_{'a' if ax else 'n'}{'a' if ay else 'n'}"
                    c.ok(f"v2_{tag}", "BatchMatMulV2", [x, y], attrs)
                    if bx == by and dt in ("float32", "int64"):
                        c.ok(f"v1_{tag}", "BatchMatMul", [x, y], attrs)
    x, y = rnd(RNG, [2, 3, 4], "float32"), rnd(RNG, [2, 4, 5], "float32")
    c.ok("v3_float", "BatchMatMulV3", [x, y], {"Ta": ty("float32"), "Tb": ty("float32"), "Tout": ty("float32")})
    c.err("v2_err_k", "BatchMatMulV2", [x, rnd(RNG, [2, 5, 5], "float32")], {"T": ty("float32")})
    c.err("v2_err_batch", "BatchMatMulV2", [x, rnd(RNG, [3, 4, 5], "float32")], {"T": ty("float32")})
    c.err("v2_err_rank", "BatchMatMulV2", [rnd(RNG, [4], "float32"), y], {"T": ty("float32")})
    c.err("v1_err_ndims", "BatchMatMul", [x, rnd(RNG, [1, 2, 4, 5], "float32")], {"T": ty("float32")})
    c.err("v1_err_batch", "BatchMatMul", [x, rnd(RNG, [1, 4, 5], "float32")], {"T": ty("float32")})
    write_cases("crates/kernels/testdata/batch_matmul.json", c.cases, "tools/oracle/batch_matmul_cases.py")


if __name__ == "__main__":
    main()
