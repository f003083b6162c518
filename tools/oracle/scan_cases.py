#!/usr/bin/env python3
"""Oracle cases for ferroflow's scan kernels, computed by stock TF 2.21: `Cumsum`, `Cumprod` and
`CumulativeLogsumexp` over every axis of inputs of several ranks and types, with `exclusive` and
`reverse` in all four combinations, int64 axes, negative axes, empty inputs, wrapping integer
products, NaN and infinities, and TF's errors for non-scalar and out-of-range axes.

Run with the TF virtualenv:

    ~/.cache/ferroflow/tfvenv-2.21/bin/python tools/oracle/scan_cases.py

It writes crates/kernels/testdata/scan.json, in the schema of array_cases.py (whose helpers this
script imports).
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from array_cases import Cases, b, np, rnd, ty, write_cases  # noqa: E402


def case(c, name, op, x, axis, exclusive=None, reverse=None, ok=True):
    attrs = {"T": ty(x.dtype.name), "Tidx": ty(np.asarray(axis).dtype.name)}
    if exclusive is not None:
        attrs["exclusive"] = b(exclusive)
    if reverse is not None:
        attrs["reverse"] = b(reverse)
    (c.ok if ok else c.err)(name, op, [x, np.asarray(axis)], attrs)


def _shapes(c):
    rng = np.random.default_rng(11)
    for op, dtypes in [("Cumsum", ["float32", "float64", "int32", "int64", "uint8", "int16"]),
                       ("Cumprod", ["float32", "float64", "int32", "int64"]),
                       ("CumulativeLogsumexp", ["float32", "float64"])]:
        for dt in dtypes:
            x = rnd(rng, [2, 3, 4], dt, lo=-3, hi=4) if dt != "uint8" else rnd(rng, [2, 3, 4], dt, lo=0, hi=9)
            for axis in range(-3, 3):
                for exclusive in (False, True):
                    for reverse in (False, True):
                        name = f"{op}_{dt}_axis{axis}_{'ex' if exclusive else 'in'}_{'rev' if reverse else 'fwd'}"
                        case(c, name.lower(), op, x, np.int32(axis), exclusive, reverse)
        case(c, f"{op}_vector_defaults".lower(), op, np.array([0.5, 1.5, -2.0, 4.0], np.float32), np.int32(0))
        case(c, f"{op}_int64_axis".lower(), op, rnd(rng, [3, 2], "float64"), np.int64(-1), True, False)
        case(c, f"{op}_empty_axis".lower(), op, np.zeros([2, 0, 3], np.float32), np.int32(1), True, True)
        case(c, f"{op}_empty_other".lower(), op, np.zeros([0, 4], np.float64), np.int32(1))
        case(c, f"{op}_long_line".lower(), op, rnd(rng, [3, 700], "float32", lo=-1, hi=1), np.int32(1))
        case(c, f"{op}_err_axis_vector".lower(), op, np.ones([2, 2], np.float32), np.array([0], np.int32), ok=False)
        case(c, f"{op}_err_axis_high".lower(), op, np.ones([2, 2], np.float32), np.int32(2), ok=False)
        case(c, f"{op}_err_axis_low".lower(), op, np.ones([2, 2], np.float32), np.int32(-3), ok=False)
        case(c, f"{op}_err_scalar".lower(), op, np.array(5.0, np.float32), np.int32(0), ok=False)


def _special_values(c):
    inf, nan = np.inf, np.nan
    special = np.array([[1.0, inf, -inf, nan], [-inf, -inf, 2.0, inf], [inf, inf, 0.0, -1.0]], np.float32)
    for op in ("Cumsum", "Cumprod", "CumulativeLogsumexp"):
        case(c, f"{op}_special_rows".lower(), op, special, np.int32(1))
        case(c, f"{op}_special_cols_ex_rev".lower(), op, special, np.int32(0), True, True)
    case(c, "cumprod_int32_wraps", "Cumprod", np.array([65536, 65536, 3, 7], np.int32), np.int32(0))
    case(c, "cumsum_int8_wraps", "Cumsum", np.array([100, 100, -50, 7], np.int8), np.int32(0))
    case(c, "cumsum_uint64", "Cumsum", np.array([2**63, 2**63, 5], np.uint64), np.int32(0))


def main():
    c = Cases()
    _shapes(c)
    _special_values(c)
    write_cases("crates/kernels/testdata/scan.json", c.cases, "tools/oracle/scan_cases.py")


if __name__ == "__main__":
    main()
