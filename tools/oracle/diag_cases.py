#!/usr/bin/env python3
"""Oracle cases for ferroflow's diagonal and band kernels, computed by stock TF 2.21: `MatrixDiag`,
`MatrixDiagPart`, `MatrixSetDiag` in their V1, V2 (left-left alignment) and V3 forms (`k` a single
offset or a band, every alignment, explicit and inferred `num_rows`/`num_cols`, padding values,
batches, non-square and empty matrices), `Diag` and `DiagPart` of ranks 1-3, `MatrixBandPart`
with negative (whole) and bounded bands, for several dtypes, and TF's errors.

Run with the TF virtualenv:

    ~/.cache/ferroflow/tfvenv-2.21/bin/python tools/oracle/diag_cases.py

It writes crates/kernels/testdata/diag.json, in the schema of array_cases.py (whose helpers this
script imports).
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from array_cases import Cases, np, rnd, s, ty, write_cases  # noqa: E402

ALIGNS = ["LEFT_RIGHT", "RIGHT_LEFT", "LEFT_LEFT", "RIGHT_RIGHT"]
I32 = np.int32


def _diag_v3(c, rng):
    # (name, diagonal shape, k, num_rows, num_cols)
    for name, dshape, k, rows, cols in [
        ("main", [3], 0, -1, -1),
        ("super1", [3], 1, -1, -1),
        ("sub2", [2], -2, -1, -1),
        ("band", [3, 4], [-1, 1], -1, -1),
        ("band_batch", [2, 3, 4], [-1, 1], -1, -1),
        ("upper_band", [2, 3], [1, 2], -1, -1),
        ("lower_band", [2, 3], [-2, -1], -1, -1),
        ("rect_rows", [3], 0, 5, -1),
        ("rect_cols", [3], 0, -1, 4),
        ("rect_both", [3], 1, 3, 4),
        ("band_rect", [3, 3], [-1, 1], 3, 4),
        ("band_rows_only", [3, 2], [-2, 0], 4, -1),
        ("k_vector_one", [3], [1], -1, -1),
        ("empty_diag", [0], 0, -1, -1),
    ]:
        d = rnd(rng, dshape, "float32")
        for align in ALIGNS:
            c.ok(f"diag_v3_{name}_{align.lower()}", "MatrixDiagV3",
                 [d, np.array(k, I32), I32(rows), I32(cols), np.float32(9.0)], {"T": ty("float32"), "align": s(align)})
    for dt in ("float64", "int32", "int64", "bool"):
        d = rnd(rng, [2, 2, 3], dt)
        c.ok(f"diag_v3_dtype_{dt}", "MatrixDiagV3", [d, np.array([-1, 0], I32), I32(-1), I32(-1), np.zeros([], dt)],
             {"T": ty(dt), "align": s("RIGHT_LEFT")})
    d = rnd(rng, [3, 4], "float32")
    c.ok("diag_v2_band", "MatrixDiagV2", [d, np.array([-1, 1], I32), I32(-1), I32(-1), np.float32(-1)], {"T": ty("float32")})
    c.ok("diag_v1_batch", "MatrixDiag", [rnd(rng, [2, 3], "float32")], {"T": ty("float32")})
    c.ok("diag_v1_int", "MatrixDiag", [rnd(rng, [4], "int32")], {"T": ty("int32")})
    f = {"T": ty("float32"), "align": s("RIGHT_LEFT")}
    for name, inputs in [
        ("k_reversed", [d, np.array([1, -1], I32), I32(-1), I32(-1), np.float32(0)]),
        ("k_three", [d, np.array([0, 1, 2], I32), I32(-1), I32(-1), np.float32(0)]),
        ("too_few_diags", [d, np.array([-2, 1], I32), I32(-1), I32(-1), np.float32(0)]),
        ("rows_inconsistent", [rnd(rng, [3], "float32"), I32(0), I32(2), I32(2), np.float32(0)]),
        ("padding_vector", [rnd(rng, [3], "float32"), I32(0), I32(-1), I32(-1), np.zeros([1], np.float32)]),
        ("scalar_diag", [np.float32(1), I32(0), I32(-1), I32(-1), np.float32(0)]),
        ("k_matrix", [d, np.zeros([1, 2], I32), I32(-1), I32(-1), np.float32(0)]),
    ]:
        c.err(f"diag_v3_err_{name}", "MatrixDiagV3", inputs, f)


def _diag_part_v3(c, rng):
    for name, shape_, k in [
        ("square_main", [4, 4], 0),
        ("square_super", [4, 4], 2),
        ("square_sub", [4, 4], -1),
        ("wide_band", [3, 5], [-1, 2]),
        ("tall_band", [5, 3], [-2, 1]),
        ("batch_band", [2, 3, 4], [-1, 1]),
        ("upper_only", [4, 3], [1, 2]),
        ("lower_only", [3, 4], [-2, -1]),
        ("empty_rows", [0, 3], 0),
        ("k_vector_one", [3, 3], [-1]),
    ]:
        x = rnd(rng, shape_, "float32")
        for align in ALIGNS:
            c.ok(f"diag_part_v3_{name}_{align.lower()}", "MatrixDiagPartV3", [x, np.array(k, I32), np.float32(7.0)],
                 {"T": ty("float32"), "align": s(align)})
    for dt in ("float64", "int32", "int64", "bool"):
        c.ok(f"diag_part_v3_dtype_{dt}", "MatrixDiagPartV3", [rnd(rng, [2, 3, 3], dt), np.array([-1, 1], I32), np.zeros([], dt)],
             {"T": ty(dt), "align": s("LEFT_RIGHT")})
    x = rnd(rng, [3, 4], "float32")
    c.ok("diag_part_v2_band", "MatrixDiagPartV2", [x, np.array([-1, 1], I32), np.float32(5)], {"T": ty("float32")})
    c.ok("diag_part_v1_batch", "MatrixDiagPart", [rnd(rng, [2, 3, 4], "float32")], {"T": ty("float32")})
    f = {"T": ty("float32"), "align": s("RIGHT_LEFT")}
    for name, inputs in [
        ("vector_input", [rnd(rng, [3], "float32"), I32(0), np.float32(0)]),
        ("k_out_of_range", [x, I32(4), np.float32(0)]),
        ("k_below_range", [x, I32(-3), np.float32(0)]),
        ("k_reversed", [x, np.array([1, 0], I32), np.float32(0)]),
        ("padding_vector", [x, I32(0), np.zeros([2], np.float32)]),
    ]:
        c.err(f"diag_part_v3_err_{name}", "MatrixDiagPartV3", inputs, f)


def _set_diag_v3(c, rng):
    for name, shape_, k, dshape in [
        ("main", [3, 3], 0, [3]),
        ("super", [3, 4], 1, [3]),
        ("band", [4, 3], [-1, 1], [3, 3]),
        ("batch_band", [2, 3, 4], [-2, 0], [2, 3, 3]),
        ("upper", [3, 5], [1, 3], [3, 3]),
    ]:
        x, d = rnd(rng, shape_, "float32"), rnd(rng, dshape, "float32")
        for align in ALIGNS:
            c.ok(f"set_diag_v3_{name}_{align.lower()}", "MatrixSetDiagV3", [x, d, np.array(k, I32)],
                 {"T": ty("float32"), "align": s(align)})
    c.ok("set_diag_v3_int64", "MatrixSetDiagV3", [rnd(rng, [3, 3], "int64"), rnd(rng, [2, 3], "int64"), np.array([0, 1], I32)],
         {"T": ty("int64"), "align": s("RIGHT_LEFT")})
    c.ok("set_diag_v2_band", "MatrixSetDiagV2", [rnd(rng, [3, 4], "float32"), rnd(rng, [3, 3], "float32"), np.array([-1, 1], I32)],
         {"T": ty("float32")})
    c.ok("set_diag_v1", "MatrixSetDiag", [rnd(rng, [2, 3, 2], "float32"), rnd(rng, [2, 2], "float32")], {"T": ty("float32")})
    f = {"T": ty("float32"), "align": s("RIGHT_LEFT")}
    for name, inputs in [
        ("diag_too_short", [rnd(rng, [3, 3], "float32"), rnd(rng, [2], "float32"), I32(0)]),
        ("diag_batch_mismatch", [rnd(rng, [2, 3, 3], "float32"), rnd(rng, [3, 3], "float32"), I32(0)]),
        ("band_rows_mismatch", [rnd(rng, [3, 3], "float32"), rnd(rng, [2, 3], "float32"), np.array([-2, 0], I32)]),
        ("vector_input", [rnd(rng, [3], "float32"), rnd(rng, [3], "float32"), I32(0)]),
    ]:
        c.err(f"set_diag_v3_err_{name}", "MatrixSetDiagV3", inputs, f)


def _diag_and_band(c, rng):
    for dt in ("float32", "float64", "int32", "int64"):
        for shape_ in ([3], [2, 3], [2, 1, 2]):
            c.ok(f"diag_{dt}_{'x'.join(map(str, shape_))}", "Diag", [rnd(rng, shape_, dt)], {"T": ty(dt)})
            full = rnd(rng, shape_ + shape_, dt)
            c.ok(f"diag_part_{dt}_{'x'.join(map(str, shape_))}", "DiagPart", [full], {"T": ty(dt)})
    c.ok("diag_empty", "Diag", [np.zeros([0], np.float32)], {"T": ty("float32")})
    c.err("diag_err_scalar", "Diag", [np.float32(1)], {"T": ty("float32")})
    c.err("diag_part_err_odd_rank", "DiagPart", [rnd(rng, [2, 2, 2], "float32")], {"T": ty("float32")})
    c.err("diag_part_err_mismatch", "DiagPart", [rnd(rng, [2, 3], "float32")], {"T": ty("float32")})
    for dt in ("float32", "int32", "bool"):
        for name, shape_ in [("square", [4, 4]), ("wide", [3, 5]), ("batch", [2, 4, 3])]:
            x = rnd(rng, shape_, dt)
            for lo, hi in [(-1, -1), (0, 0), (1, 0), (0, 2), (2, 1), (-1, 1), (1, -1), (3, 2)]:
                c.ok(f"band_{dt}_{name}_{lo}_{hi}".replace("-", "m"), "MatrixBandPart", [x, np.int64(lo), np.int64(hi)],
                     {"T": ty(dt), "Tindex": ty("int64")})
    c.ok("band_int32_index", "MatrixBandPart", [rnd(rng, [3, 3], "float32"), np.int32(1), np.int32(0)],
         {"T": ty("float32"), "Tindex": ty("int32")})
    b = {"T": ty("float32"), "Tindex": ty("int64")}
    c.err("band_err_vector", "MatrixBandPart", [rnd(rng, [3], "float32"), np.int64(0), np.int64(0)], b)
    c.err("band_err_lower_too_big", "MatrixBandPart", [rnd(rng, [3, 3], "float32"), np.int64(4), np.int64(0)], b)
    c.err("band_err_upper_too_big", "MatrixBandPart", [rnd(rng, [3, 2], "float32"), np.int64(0), np.int64(3)], b)
    c.err("band_err_lower_not_scalar", "MatrixBandPart", [rnd(rng, [3, 3], "float32"), np.array([1], np.int64), np.int64(0)], b)


def main():
    rng = np.random.default_rng(21)
    c = Cases()
    _diag_v3(c, rng)
    _diag_part_v3(c, rng)
    _set_diag_v3(c, rng)
    _diag_and_band(c, rng)
    write_cases("crates/kernels/testdata/diag.json", c.cases, "tools/oracle/diag_cases.py")


if __name__ == "__main__":
    main()
