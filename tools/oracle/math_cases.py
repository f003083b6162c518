#!/usr/bin/env python3
"""Oracle cases for ferroflow's `tf.math` element-wise kernels (cwise/math.rs), computed by stock
TF 2.21: trigonometric, hyperbolic, log/exp variants, Erf/Erfc, rounding (ties to even), Softplus
(across its thresholds), Softsign and their gradients, IsFinite/IsNan/IsInf, the guarded
divisions and logs at zeros, Atan2 in every quadrant, ClipByValue with scalar and tensor bounds,
for float and double, with NaN and infinities.

Run with the TF virtualenv:

    ~/.cache/ferroflow/tfvenv-2.21/bin/python tools/oracle/math_cases.py

It writes crates/kernels/testdata/math.json, in the schema of array_cases.py (whose helpers this
script imports).
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from array_cases import Cases, np, ty, write_cases  # noqa: E402

INF, NAN = np.inf, np.nan
GENERAL = [-3.7, -1.0, -0.5, -1e-4, 0.0, 1e-4, 0.3, 0.5, 0.999, 1.0, 2.5, 7.25, 40.0, -40.0, INF, -INF, NAN]
UNIT = [-1.0, -0.75, -0.5, 0.0, 0.25, 0.5, 0.99, 1.0, 1.5, -2.0, NAN]
ROUNDING = [-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 3.49, -3.51, 1e7 + 0.5, 0.0, -0.0, INF, NAN]
SOFTPLUS = [-100.0, -20.0, -15.0, -13.0, -1.0, 0.0, 1e-3, 1.0, 13.0, 15.0, 16.0, 20.0, 40.0, 100.0, INF, -INF, NAN]


def _unary(c):
    for op, values in [("Sin", GENERAL), ("Cos", GENERAL), ("Tan", GENERAL), ("Asin", UNIT), ("Acos", UNIT),
                       ("Atan", GENERAL), ("Sinh", GENERAL[:-4] + [NAN]), ("Cosh", GENERAL[:-4] + [NAN]),
                       ("Asinh", GENERAL), ("Acosh", [1.0, 1.5, 2.0, 10.0, 1e4, 0.5, INF, NAN]), ("Atanh", UNIT),
                       ("Log1p", GENERAL + [-0.999999]), ("Expm1", GENERAL), ("Ceil", ROUNDING), ("Rint", ROUNDING),
                       ("Round", ROUNDING), ("Erf", GENERAL), ("Erfc", GENERAL), ("Softplus", SOFTPLUS),
                       ("Softsign", GENERAL), ("IsFinite", GENERAL), ("IsNan", GENERAL), ("IsInf", GENERAL)]:
        for dt in ("float32", "float64"):
            c.ok(f"{op.lower()}_{dt}", op, [np.array(values, dt)], {"T": ty(dt)})
    # Not checked: TF's CPU Round of int32 gives zeros; tf.round returns integer tensors without the
    # op, and ferroflow's Round of an integer is the integer.
    c.ok("sin_matrix", "Sin", [np.linspace(-7, 7, 24, dtype=np.float32).reshape(4, 6)], {"T": ty("float32")})


def _binary(c):
    xs = np.array([0.0, 0.0, 1.5, -2.0, 3.0, NAN, INF, 0.0, 2.0], np.float64)
    ys = np.array([0.0, 2.0, 0.0, 4.0, -0.5, 0.0, 0.0, NAN, INF], np.float64)
    for op in ("DivNoNan", "MulNoNan", "Xdivy", "Xlogy", "Xlog1py"):
        for dt in ("float32", "float64"):
            c.ok(f"{op.lower()}_{dt}", op, [xs.astype(dt), ys.astype(dt)], {"T": ty(dt)})
        c.ok(f"{op.lower()}_broadcast", op, [np.array([[1.0], [0.0], [2.0]], np.float32),
                                             np.array([0.0, 0.5, 3.0], np.float32)], {"T": ty("float32")})
    quad_y = np.array([1.0, 1.0, -1.0, -1.0, 0.0, 0.0, -0.0, 2.0, INF, NAN], np.float64)
    quad_x = np.array([1.0, -1.0, -1.0, 1.0, -1.0, 1.0, -1.0, 0.0, INF, 1.0], np.float64)
    for dt in ("float32", "float64"):
        c.ok(f"atan2_{dt}", "Atan2", [quad_y.astype(dt), quad_x.astype(dt)], {"T": ty(dt)})
        g = np.linspace(-2, 2, len(SOFTPLUS)).astype(dt)
        c.ok(f"softplusgrad_{dt}", "SoftplusGrad", [g, np.array(SOFTPLUS, dt)], {"T": ty(dt)})
        c.ok(f"softsigngrad_{dt}", "SoftsignGrad", [g, np.array(SOFTPLUS, dt)], {"T": ty(dt)})
    c.err("softplusgrad_err_shapes", "SoftplusGrad", [np.ones(3, np.float32), np.ones(2, np.float32)],
          {"T": ty("float32")})


def _clip(c):
    t = np.array([[-3.0, 0.5, 2.0], [NAN, 9.0, -0.5]], np.float32)
    c.ok("clip_scalar_bounds", "ClipByValue", [t, np.float32(-1.0), np.float32(1.0)], {"T": ty("float32")})
    c.ok("clip_tensor_bounds", "ClipByValue", [t, np.full([2, 3], -0.25, np.float32),
                                               np.array([[0, 1, 2], [3, 4, 5]], np.float32)], {"T": ty("float32")})
    c.ok("clip_int32", "ClipByValue", [np.array([-5, 0, 5, 10], np.int32), np.int32(0), np.int32(6)],
         {"T": ty("int32")})
    c.ok("clip_min_above_max", "ClipByValue", [np.array([1.0, 5.0], np.float64), np.float64(4.0), np.float64(2.0)],
         {"T": ty("float64")})
    c.err("clip_err_bound_shape", "ClipByValue", [t, np.zeros([3], np.float32), np.float32(1.0)],
          {"T": ty("float32")})


def main():
    c = Cases()
    _unary(c)
    _binary(c)
    _clip(c)
    write_cases("crates/kernels/testdata/math.json", c.cases, "tools/oracle/math_cases.py")


if __name__ == "__main__":
    main()
