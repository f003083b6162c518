#!/usr/bin/env python3
"""Computes expected results of ferroflow's reduction kernels with stock TensorFlow.

Runs Sum, Mean, Prod, Max, Min, All, Any, ArgMax and ArgMin through `tf.raw_ops` (eager, CPU) and
writes crates/kernels/testdata/reduction.json, read by crates/kernels/src/reduction/tests.rs.
Same case schema and helpers as cwise_cases.py (see its docstring).

Usage (from the repository root, with TF 2.21 installed):
    /root/.cache/tfvenv-2.21/bin/python tools/oracle/reduction_cases.py

Deterministic: fixed seeds, so reruns on the same TF version reproduce the file exactly.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from cwise_cases import FLOATS, INTS, REAL, SIGNED, Cases, Values, const, t_attr  # noqa: E402

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

REDUCERS = ["Sum", "Mean", "Prod", "Max", "Min"]

# Axis arguments tried on a [2, 3, 4] input.
ALL_AXES = [[], 0, 1, 2, -1, -3, [0, 2], [2, 0], [1, 2], [0, 1], [0, 1, 2], [[0], [2]]]
FEW_AXES = [[], 1, [0, 2], [0, 1, 2]]


def value_kind(op, dtype):
    if op == "Prod":
        return "near_one" if dtype in FLOATS else "small"
    return "any"


def big_values(v, dtype, shape):
    """Values that overflow narrow accumulators: sums wrap, means need wide accumulation."""
    info = np.iinfo(tf.as_dtype(dtype).as_numpy_dtype)
    n = int(np.prod(shape))
    lo = max(info.min, -(1 << 40))
    hi = min(info.max, 1 << 40)
    return const(v.rng.randint(lo // 2 if lo < 0 else 0, hi // 2 + 1, n, dtype=np.int64).astype(
        tf.as_dtype(dtype).as_numpy_dtype), dtype, shape)


def attrs(dtype, tidx="int32", keep_dims=False):
    return {"T": t_attr(dtype), "Tidx": t_attr(tidx), "keep_dims": {"b": keep_dims}}


def reduce_case(c, name, op, x, axis, tidx="int32", keep_dims=False):
    a = const(axis, tidx)
    c.add(name, op, [("input", x), ("axis", a)], attrs(x.dtype.name, tidx, keep_dims), {"keep_dims": keep_dims})


def reducer_cases(c, v):
    for op in REDUCERS:
        for dt in REAL:
            full = dt in ("float32", "int32")
            for axis in ALL_AXES if full else FEW_AXES:
                for keep in ([False, True] if full else [False]):
                    x = v.make(dt, [2, 3, 4], value_kind(op, dt))
                    reduce_case(c, f"{op}/{dt}/axis={axis}/keep={keep}", op, x, axis, keep_dims=keep)
            if not full:
                reduce_case(c, f"{op}/{dt}/axis=1/keep=True", op, v.make(dt, [2, 3, 4], value_kind(op, dt)), 1, keep_dims=True)
            reduce_case(c, f"{op}/{dt}/tidx=int64", op, v.make(dt, [3, 5], value_kind(op, dt)), [-1], "int64")
        # Longer runs, so lane accumulation and column loops are exercised.
        for dt in ["float32", "float64", "int32", "int64"]:
            for shape, axis in [([3, 37], 1), ([37, 5], 0), ([2, 19, 3], [0, 2]), ([5, 2, 3, 7], [1, 3]), ([130], 0),
                                ([4, 1, 33], [1, 2]), ([1, 1], [0])]:
                reduce_case(c, f"{op}/{dt}/{shape}/axis={axis}", op, v.make(dt, shape, value_kind(op, dt)), axis)
        # Empty inputs: reducing nothing gives the identity.
        for dt in ["float32", "int32", "uint8", "float64"]:
            for shape, axis, keep in [([0, 3], 0, False), ([0, 3], 1, False), ([0, 3], [0, 1], True), ([2, 0], 1, False),
                                      ([0], 0, False)]:
                reduce_case(c, f"{op}/{dt}/empty{shape}/axis={axis}", op, v.make(dt, shape), axis, keep_dims=keep)
        # Scalars.
        reduce_case(c, f"{op}/float32/scalar", op, v.make("float32", []), [])
        # Special float values.
        for dt in FLOATS:
            nan, inf = float("nan"), float("inf")
            x = const([[1.0, nan, 3.0], [inf, -inf, 1.0], [inf, 2.0, inf], [-0.0, 0.0, -1.0], [0.0, inf, 2.0]], dt)
            reduce_case(c, f"{op}/{dt}/special/axis=1", op, x, 1)
            reduce_case(c, f"{op}/{dt}/special/axis=0", op, x, 0)
        # Wrapping and wide accumulation of integers.
        for dt in INTS:
            reduce_case(c, f"{op}/{dt}/large_values", op, big_values(v, dt, [4, 6]), 1)
            info = np.iinfo(tf.as_dtype(dt).as_numpy_dtype)
            reduce_case(c, f"{op}/{dt}/extremes", op, const([[info.max, info.max, info.max], [info.min, info.min, 1]], dt), 1)
        # Bad axes.
        for axis in [2, -3, [1, -1], [0, 0], [1, 1, 5], [5, 1, 1]]:
            reduce_case(c, f"{op}/float32/bad_axis={axis}", op, v.make("float32", [2, 3]), axis)
        reduce_case(c, f"{op}/float32/scalar_axis_0", op, v.make("float32", []), 0)
        reduce_case(c, f"{op}/float32/bad_axis_int64", op, v.make("float32", [2, 3]), [3], "int64")
    for dt in ["int8", "int16", "int32", "uint8", "uint16", "uint32"]:
        # Means of values whose sum overflows the element type.
        info = np.iinfo(tf.as_dtype(dt).as_numpy_dtype)
        x = const([[info.max] * 5 + [info.max - 3], [info.min] * 3 + [info.min + 1] * 3], dt)
        reduce_case(c, f"Mean/{dt}/wide_accumulation", "Mean", x, 1)
    for dt in SIGNED:
        reduce_case(c, f"Mean/{dt}/truncates_toward_zero", "Mean", const([[-3, -4], [3, 4], [-7, 0], [7, 0]], dt), 1)
    for op, dt in [("Sum", "bool"), ("Max", "bool"), ("Mean", "bool")]:
        reduce_case(c, f"{op}/{dt}/rejected", op, v.make(dt, [2]), 0)
        c.cases[-1]["error"]["match_message"] = False


def logical_cases(c, v):
    for op in ["All", "Any"]:
        for shape, axis, keep in [([2, 3], 1, False), ([2, 3], 0, True), ([2, 3], [0, 1], False), ([2, 3], [], False),
                                  ([4, 5, 6], [0, 2], False), ([3, 40], 1, False), ([0, 2], 0, False), ([2, 0], 1, True),
                                  ([], [], False)]:
            x = v.make("bool", shape)
            c.add(f"{op}/{shape}/axis={axis}/keep={keep}", op, [("input", x), ("axis", const(axis, "int32"))],
                  {"Tidx": t_attr("int32"), "keep_dims": {"b": keep}}, {"keep_dims": keep})
        for fill in [True, False]:
            x = const(np.full([3, 4], fill), "bool")
            c.add(f"{op}/uniform_{fill}", op, [("input", x), ("axis", const([1], "int64"))],
                  {"Tidx": t_attr("int64"), "keep_dims": {"b": False}})
        c.add(f"{op}/bad_axis", op, [("input", v.make("bool", [2])), ("axis", const(1, "int32"))],
              {"Tidx": t_attr("int32"), "keep_dims": {"b": False}})


def arg_case(c, name, op, x, dim, out=None, tidx="int32"):
    a = {"T": t_attr(x.dtype.name), "Tidx": t_attr(tidx)}
    call = {}
    if out:
        a["output_type"] = t_attr(out)
        call["output_type"] = tf.as_dtype(out)
    c.add(name, op, [("input", x), ("dimension", const(dim, tidx))], a, call)


def arg_cases(c, v):
    for op in ["ArgMax", "ArgMin"]:
        for dt in REAL + ["bool"]:
            x = v.make(dt, [2, 3, 4], "small")
            for dim in ([0, 1, 2, -1] if dt in ("float32", "int32") else [1, -1]):
                arg_case(c, f"{op}/{dt}/dim={dim}", op, x, dim)
        for out in ["int32", "int64"] + (["int16", "uint16"] if op == "ArgMax" else []):
            arg_case(c, f"{op}/float32/output_type={out}", op, v.make("float32", [3, 5]), 1, out)
        arg_case(c, f"{op}/float32/tidx=int64", op, v.make("float32", [3, 5]), 0, tidx="int64")
        for shape, dim in [([70], 0), ([3, 37], 1), ([37, 3], 0), ([2, 17, 3], 1), ([1], 0), ([3, 0], 0)]:
            arg_case(c, f"{op}/float32/{shape}/dim={dim}", op, v.make("float32", shape), dim)
        nan, inf = float("nan"), float("inf")
        for dt in FLOATS:
            x = const([[nan, 1.0, 2.0], [2.0, nan, 1.0], [0.5, 0.5, nan], [nan, nan, nan], [-inf, -inf, -inf],
                       [inf, inf, 1.0], [1.0, -inf, inf]], dt)
            arg_case(c, f"{op}/{dt}/special/dim=1", op, x, 1)
            arg_case(c, f"{op}/{dt}/special/dim=0", op, x, 0)
        x = const([[1, 3, 3, 1], [2, 2, 2, 2]], "int32")
        arg_case(c, f"{op}/int32/ties", op, x, 1)
        for dt in ["int32", "int64", "uint8", "int8"]:
            info = np.iinfo(tf.as_dtype(dt).as_numpy_dtype)
            arg_case(c, f"{op}/{dt}/extremes", op, const([[info.min, info.min], [info.max, info.max]], dt), 1)
        for name, shape, dim in [("out_of_range", [3, 2], 2), ("out_of_range_negative", [3, 2], -3), ("scalar_input", [], 0),
                                 ("empty_axis", [0, 3], 0), ("empty_axis_empty_output", [0, 0], 0),
                                 ("empty_axis_inner", [3, 0], 1)]:
            arg_case(c, f"{op}/float32/{name}", op, v.make("float32", shape), dim)
        arg_case(c, f"{op}/float32/vector_dimension", op, v.make("float32", [2, 2]), [1])


def main():
    c = Cases()
    v = Values(20260102)
    reducer_cases(c, v)
    logical_cases(c, v)
    arg_cases(c, v)
    c.write("reduction.json", "tools/oracle/reduction_cases.py")


if __name__ == "__main__":
    sys.exit(main())
