#!/usr/bin/env python3
"""Oracle cases for ferroflow's special functions and set difference, computed by stock TF 2.21:
`Lgamma`, `Digamma`, `Zeta`, `Polygamma` in float and double over positive, negative and tiny
arguments, poles, infinities and NaN; `ListDiff` (`tf.compat.v1.setdiff1d`) of ints, floats
(signed zeros, NaN) and strings with int32 and int64 indices, and its errors; the `Selu`
activation and `SeluGrad`.

Run with the TF virtualenv:

    ~/.cache/ferroflow/tfvenv-2.21/bin/python tools/oracle/special_cases.py

It writes crates/kernels/testdata/special.json, in the schema of array_cases.py (whose helpers
this script imports).
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from array_cases import Cases, np, ty, write_cases  # noqa: E402

X = [0.001, 0.1, 0.5, 1.0, 1.5, 2.0, 3.7, 9.5, 10.0, 25.25, 170.5, 1e6, -0.5, -1.3, -2.5, -7.25, 0.0, -1.0, -3.0,
     np.inf, -np.inf, np.nan]


def _unary(c):
    for op in ("Lgamma", "Digamma"):
        for dt in ("float32", "float64"):
            c.ok(f"{op}_{dt}".lower(), op, [np.array(X, dt)], {"T": ty(dt)})


def _binary(c):
    xs = [1.5, 2.0, 3.0, 4.5, 10.0, 30.0, 1.0, 0.5, 3.0, 3.5, 2.0, np.nan]
    qs = [1.0, 0.5, 2.5, 10.0, 1.25, 3.0, 2.0, 1.0, -2.0, -1.5, -1.5, 1.0]
    ns = [0.0, 1.0, 2.0, 3.0, 4.0, 1.0, 2.0, 1.5, -1.0, 0.0, 5.0, np.nan]
    px = [2.5, 0.5, 1.25, 3.0, 10.0, -1.5, -2.5, 1.0, 1.0, 0.0, 40.0, 1.0]
    for dt in ("float32", "float64"):
        c.ok(f"zeta_{dt}", "Zeta", [np.array(xs, dt), np.array(qs, dt)], {"T": ty(dt)})
        c.ok(f"polygamma_{dt}", "Polygamma", [np.array(ns, dt), np.array(px, dt)], {"T": ty(dt)})
        c.ok(f"zeta_broadcast_{dt}", "Zeta", [np.array([[2.0], [3.0]], dt), np.array([1.0, 2.0, 5.5], dt)], {"T": ty(dt)})
        c.ok(f"polygamma_broadcast_{dt}", "Polygamma", [np.array(1.0, dt), np.array([0.25, 1.0, 4.0, 100.0], dt)], {"T": ty(dt)})


def _list_diff(c):
    def case(name, x, y, idx="int32"):
        x, y = np.asarray(x), np.asarray(y)
        dt = "string" if x.dtype == object else x.dtype.name
        (c.err if name.startswith("err_") else c.ok)(f"list_diff_{name}", "ListDiff", [x, y], {"T": ty(dt), "out_idx": ty(idx)})

    case("ints", np.array([1, 2, 3, 4, 5, 6], np.int32), np.array([1, 3, 5], np.int32))
    case("int64_idx64", np.array([7, 7, 8, 9, 7], np.int64), np.array([8], np.int64), "int64")
    case("nothing_removed", np.array([1, 2], np.int32), np.array([], np.int32))
    case("all_removed", np.array([4, 4], np.int32), np.array([4, 9], np.int32))
    case("empty_x", np.array([], np.float32), np.array([1.0], np.float32))
    case("floats", np.array([0.0, -0.0, 1.5, np.nan, 2.0], np.float32), np.array([0.0, np.nan, 2.0], np.float32))
    case("doubles", np.array([-0.0, 3.25, 1.0], np.float64), np.array([0.0], np.float64), "int64")
    case("strings", np.array(["a", "b", "c", "b"], dtype=object), np.array(["b", "z"], dtype=object))
    case("err_x_matrix", np.array([[1, 2]], np.int32), np.array([1], np.int32))
    case("err_y_scalar", np.array([1, 2], np.int32), np.array(1, np.int32))


def _selu(c):
    xs = [-20.0, -3.0, -1.0, -0.5, -1e-3, -1e-6, 0.0, 1e-6, 0.25, 1.0, 7.5, np.inf, -np.inf, np.nan]
    for dt in ("float32", "float64"):
        x = np.array(xs, dt)
        c.ok(f"selu_{dt}", "Selu", [x], {"T": ty(dt)})
        y = np.where(x < 0, 1.7580993408473768 * (np.exp(np.nan_to_num(x)) - 1), 1.0507009873554805 * x).astype(dt)
        g = np.linspace(-2, 2, len(xs)).astype(dt)
        c.ok(f"selu_grad_{dt}", "SeluGrad", [g, y], {"T": ty(dt)})


def main():
    c = Cases()
    _selu(c)
    _unary(c)
    _binary(c)
    _list_diff(c)
    write_cases("crates/kernels/testdata/special.json", c.cases, "tools/oracle/special_cases.py")


if __name__ == "__main__":
    main()
