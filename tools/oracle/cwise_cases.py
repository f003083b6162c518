#!/usr/bin/env python3
"""Computes expected results of ferroflow's element-wise kernels with stock TensorFlow.

Runs each case through `tf.raw_ops.<Op>` (eager, CPU) and writes
crates/kernels/testdata/cwise.json, read by the tests in crates/kernels/src/cwise/tests.rs.

Usage (from the repository root, with TF 2.21 installed):
    /root/.cache/tfvenv-2.21/bin/python tools/oracle/cwise_cases.py

The output is deterministic (fixed seeds, no timestamps): rerunning it on the same TF version
reproduces the checked-in file byte for byte.

Case file schema:
    {"generator": ..., "tf_version": ..., "cases": [CASE, ...]}
    CASE = {"name": str, "op": str,
            "attrs": {NAME: {"type": DTYPE} | {"b": bool} | {"i": int}},
            "inputs": [TENSOR, ...],
            and either "outputs": [TENSOR, ...]
            or "error": {"code": "INVALID_ARGUMENT", "message": str, "match_message": bool}}
    TENSOR = {"dtype": "float32", "shape": [2, 2], "values": [...]}  (flat, row-major;
             NaN/inf as "nan"/"inf"/"-inf", strings as UTF-8 text)
`match_message` is true when ferroflow reproduces TF's message (errors raised while computing);
false for errors about attributes and kernel lookup, whose wording lists types ferroflow lacks.

The helpers here are also used by reduction_cases.py.
"""

import json
import math
import os
import re
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
TESTDATA = os.path.join(REPO, "crates", "kernels", "testdata")

FLOATS = ["float32", "float64"]
SIGNED = ["int8", "int16", "int32", "int64"]
UNSIGNED = ["uint8", "uint16", "uint32", "uint64"]
INTS = SIGNED + UNSIGNED
REAL = FLOATS + INTS

ERROR_CODES = [
    (tf.errors.InvalidArgumentError, "INVALID_ARGUMENT"),
    (tf.errors.NotFoundError, "NOT_FOUND"),
    (tf.errors.UnimplementedError, "UNIMPLEMENTED"),
    (tf.errors.InternalError, "INTERNAL"),
    (tf.errors.OutOfRangeError, "OUT_OF_RANGE"),
    (tf.errors.FailedPreconditionError, "FAILED_PRECONDITION"),
]


def enc_value(v, dtype):
    if dtype in FLOATS:
        v = float(v)
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return v
    if dtype == "bool":
        return bool(v)
    if dtype == "string":
        return v.decode("utf-8")
    return int(v)


def enc_tensor(t):
    """A tf.Tensor or numpy array as the JSON tensor form."""
    if isinstance(t, tf.Tensor):
        dtype = t.dtype.name
        arr = t.numpy()
    else:
        arr = np.asarray(t)
        dtype = tf.as_dtype(arr.dtype).name
    arr = np.asarray(arr)
    return {
        "dtype": dtype,
        "shape": [int(d) for d in arr.shape],
        "values": [enc_value(v, dtype) for v in arr.reshape(-1).tolist()],
    }


def clean_message(msg):
    """TF's eager error text without the function-node prefix and `[Op:...]` suffix."""
    msg = re.sub(r"^\{\{function_node [^}]*\}\}\s*", "", msg)
    msg = re.sub(r"\s*\[Op:[^\]]*\].*$", "", msg, flags=re.S)
    return msg.strip()


def error_code(e):
    for cls, code in ERROR_CODES:
        if isinstance(e, cls):
            return code
    raise e


class Cases:
    """Collects oracle cases; `add` runs the op through tf.raw_ops and records its result."""

    def __init__(self):
        self.cases = []
        self.names = set()

    def add(self, name, op, inputs, attrs=None, call_attrs=None, match_message=True):
        """inputs: list of (argument name, tf.Tensor); attrs: the node's attrs as JSON
        ({"T": {"type": "float32"}}); call_attrs: extra keyword arguments of the raw op."""
        if name in self.names:
            raise ValueError(f"duplicate case name {name}")
        self.names.add(name)
        case = {
            "name": name,
            "op": op,
            "attrs": attrs or {},
            "inputs": [enc_tensor(t) for _, t in inputs],
        }
        kwargs = {k: t for k, t in inputs}
        kwargs.update(call_attrs or {})
        try:
            out = getattr(tf.raw_ops, op)(**kwargs)
            outs = list(out) if isinstance(out, (list, tuple)) else [out]
            case["outputs"] = [enc_tensor(o) for o in outs]
        except (tf.errors.OpError, ValueError, TypeError) as e:
            if not isinstance(e, tf.errors.OpError):
                raise
            case["error"] = {
                "code": error_code(e),
                "message": clean_message(str(e.message)),
                "match_message": match_message,
            }
        self.cases.append(case)
        return case

    def write(self, filename, generator):
        os.makedirs(TESTDATA, exist_ok=True)
        path = os.path.join(TESTDATA, filename)
        with open(path, "w") as f:
            f.write("{\n")
            f.write(f'"generator": {json.dumps(generator)},\n')
            f.write(f'"tf_version": {json.dumps(tf.__version__)},\n')
            f.write('"cases": [\n')
            for i, c in enumerate(self.cases):
                sep = "," if i + 1 < len(self.cases) else ""
                f.write(json.dumps(c, sort_keys=True, allow_nan=False) + sep + "\n")
            f.write("]\n}\n")
        errors = sum(1 for c in self.cases if "error" in c)
        print(f"wrote {len(self.cases)} cases ({errors} errors) to {path}")


def t_attr(dtype):
    return {"type": dtype}


def const(values, dtype, shape=None):
    arr = np.asarray(values, dtype=tf.as_dtype(dtype).as_numpy_dtype if dtype != "string" else object)
    if shape is not None:
        arr = arr.reshape(shape)
    return tf.constant(arr, dtype=tf.as_dtype(dtype))


class Values:
    """Deterministic pseudo-random element values per dtype."""

    def __init__(self, seed):
        self.rng = np.random.RandomState(seed)

    def make(self, dtype, shape, kind="any"):
        n = int(np.prod(shape)) if len(shape) else 1
        r = self.rng
        if dtype in FLOATS:
            if kind == "positive":
                v = r.uniform(0.05, 8.0, n)
            elif kind == "unit":
                v = r.uniform(-0.95, 0.95, n)
            elif kind == "near_one":
                v = r.uniform(0.6, 1.5, n)
            else:
                v = r.uniform(-8.0, 8.0, n)
            v = np.round(v, 3)
        elif dtype == "bool":
            v = r.rand(n) < 0.5
        else:
            lo = 0 if dtype in UNSIGNED else -20
            hi = 21
            if kind == "small":
                lo, hi = (0 if dtype in UNSIGNED else -4), 5
            elif kind == "exponent":
                lo, hi = 0, 6
            v = r.randint(lo, hi, n)
            if kind == "nonzero":
                v = np.where(v == 0, 7, v)
        return const(v, dtype, shape)


F_SPECIAL = [float("nan"), float("inf"), float("-inf"), 0.0, -0.0, 1.0, -1.0, 0.5, -2.5, 3.0, 1e-30, 1e30]

BINARY_SHAPES = [
    ([], []),
    ([5], []),
    ([], [5]),
    ([2, 3], [3]),
    ([2, 3], [2, 1]),
    ([2, 1], [1, 3]),
    ([4, 1, 3], [2, 1]),
    ([3, 1, 2, 1], [1, 4, 1, 5]),
    ([2, 3, 4], [2, 3, 4]),
    ([1, 5], [5, 1]),
    ([0, 3], [3]),
    ([2, 0], [2, 1]),
    ([0], []),
]

# op -> (allowed dtypes, value kind for x, value kind for y)
ARITH = {
    "AddV2": (REAL, "any", "any"),
    "Sub": (REAL, "any", "any"),
    "Mul": (REAL, "any", "any"),
    "RealDiv": (FLOATS, "any", "nonzero"),
    "FloorDiv": (REAL, "any", "nonzero"),
    "TruncateDiv": (REAL, "any", "nonzero"),
    "FloorMod": (REAL, "any", "nonzero"),
    "Pow": (FLOATS + SIGNED, "small", "exponent"),
    "Maximum": (REAL, "any", "any"),
    "Minimum": (REAL, "any", "any"),
    "SquaredDifference": (FLOATS + ["int32", "int64"], "any", "any"),
}
COMPARE = {op: REAL for op in ["Less", "LessEqual", "Greater", "GreaterEqual"]}
COMPARE.update({"Equal": REAL + ["bool"], "NotEqual": REAL + ["bool"]})
UNARY = {
    "Neg": FLOATS + SIGNED,
    "Square": REAL,
    "Abs": FLOATS + SIGNED,
    "Sign": FLOATS + SIGNED,
    "Exp": FLOATS,
    "Log": FLOATS,
    "Sqrt": FLOATS,
    "Rsqrt": FLOATS,
    "Tanh": FLOATS,
    "Sigmoid": FLOATS,
    "Floor": FLOATS,
    "Reciprocal": FLOATS,
}
POSITIVE_UNARY = {"Log", "Sqrt", "Rsqrt"}
GRADS = ["TanhGrad", "SigmoidGrad", "RsqrtGrad", "SqrtGrad"]


def y_kind(op, dtype, kind):
    if kind == "nonzero" and dtype in FLOATS:
        return "positive"
    if kind == "exponent" and dtype in FLOATS:
        return "any"
    return kind


def x_kind(op, dtype, kind):
    if op == "Pow" and dtype in FLOATS:
        return "positive"
    return kind


def binary_cases(c, v):
    for op, (dtypes, xk, yk) in ARITH.items():
        for dt in dtypes:
            shapes = BINARY_SHAPES if dt in ("float32", "int32") else [([2, 3], [3]), ([4], []), ([], [2, 2])]
            for sx, sy in shapes:
                x = v.make(dt, sx, x_kind(op, dt, xk))
                y = v.make(dt, sy, y_kind(op, dt, yk))
                c.add(f"{op}/{dt}/{sx}x{sy}", op, [("x", x), ("y", y)], {"T": t_attr(dt)})
        # Special float values on both sides, all pairs.
        for dt in [d for d in dtypes if d in FLOATS]:
            x = const(F_SPECIAL, dt, [len(F_SPECIAL), 1])
            y = const(F_SPECIAL, dt, [len(F_SPECIAL)])
            c.add(f"{op}/{dt}/special", op, [("x", x), ("y", y)], {"T": t_attr(dt)})
        # Incompatible shapes.
        dt = dtypes[0]
        c.add(f"{op}/incompatible", op, [("x", v.make(dt, [2, 3])), ("y", v.make(dt, [4], "nonzero"))], {"T": t_attr(dt)})
    for op, dtypes in COMPARE.items():
        for dt in dtypes:
            shapes = BINARY_SHAPES if dt in ("float32", "int32") else [([2, 3], [3]), ([4], [])]
            for sx, sy in shapes:
                # Few distinct values so equal pairs occur.
                x = v.make(dt, sx, "small")
                y = v.make(dt, sy, "small")
                if dt in FLOATS:
                    x, y = tf.round(x), tf.round(y)
                c.add(f"{op}/{dt}/{sx}x{sy}", op, [("x", x), ("y", y)], {"T": t_attr(dt)})
        for dt in FLOATS:
            x = const(F_SPECIAL, dt, [len(F_SPECIAL), 1])
            y = const(F_SPECIAL, dt, [len(F_SPECIAL)])
            c.add(f"{op}/{dt}/special", op, [("x", x), ("y", y)], {"T": t_attr(dt)})
        c.add(f"{op}/incompatible", op, [("x", v.make("int32", [2, 3])), ("y", v.make("int32", [4]))], {"T": t_attr("int32")})
    for op in ["Equal", "NotEqual"]:
        for strict in [True, False]:
            attrs = {"T": t_attr("float32"), "incompatible_shape_error": {"b": strict}}
            c.add(f"{op}/incompatible_shape_error={strict}/incompatible", op,
                  [("x", v.make("float32", [2, 3], "small")), ("y", v.make("float32", [4], "small"))],
                  attrs, {"incompatible_shape_error": strict})
            c.add(f"{op}/incompatible_shape_error={strict}/compatible", op,
                  [("x", tf.round(v.make("float32", [2, 3], "small"))), ("y", tf.round(v.make("float32", [3], "small")))],
                  attrs, {"incompatible_shape_error": strict})
        c.add(f"{op}/string", op, [("x", const(["a", "b", "", "ab"], "string", [2, 2])), ("y", const(["a", "ab"], "string"))],
              {"T": t_attr("string")})
    for op in ["LogicalAnd", "LogicalOr"]:
        for sx, sy in [([4], [4]), ([2, 3], [3]), ([], [3]), ([2, 1], [1, 2]), ([0], [])]:
            c.add(f"{op}/{sx}x{sy}", op, [("x", v.make("bool", sx)), ("y", v.make("bool", sy))])
        c.add(f"{op}/incompatible", op, [("x", v.make("bool", [2])), ("y", v.make("bool", [3]))])


def edge_cases(c, v):
    """Integer edge behaviour: zero divisors, wrapping, negative exponents."""
    for op in ["FloorDiv", "FloorMod", "TruncateDiv"]:
        for dt in ["int32", "int64", "uint8", "int8"]:
            c.add(f"{op}/{dt}/zero_divisor", op, [("x", const([1, 2, 3], dt)), ("y", const([1, 0, 2], dt))], {"T": t_attr(dt)})
        c.add(f"{op}/int32/zero_divisor_empty_output", op,
              [("x", const(np.zeros([0, 2]), "int32")), ("y", const([1, 0], "int32"))], {"T": t_attr("int32")})
        c.add(f"{op}/int32/signs", op,
              [("x", const([7, -7, 7, -7, 0, -1, 1, -2147483648, 2147483647], "int32")),
               ("y", const([2, 2, -2, -2, -3, 3, -3, 3, -2], "int32"))], {"T": t_attr("int32")})
        c.add(f"{op}/float32/signs", op,
              [("x", const([5.5, -5.5, 5.5, -5.5, 0.0, -0.0, 1.0, 0.3, 7.0], "float32")),
               ("y", const([2.0, 2.0, -2.0, -2.0, -3.0, 3.0, 0.1, 0.1, -0.7], "float32"))], {"T": t_attr("float32")})
    for op in ["AddV2", "Sub", "Mul", "SquaredDifference"]:
        for dt in ["int32", "int64"]:
            info = np.iinfo(tf.as_dtype(dt).as_numpy_dtype)
            c.add(f"{op}/{dt}/wrapping", op,
                  [("x", const([info.max, info.min, info.max, 1 << 30], dt)), ("y", const([1, -1, info.max, -(1 << 30)], dt))],
                  {"T": t_attr(dt)})
    for op, dt, xs, ys in [("AddV2", "uint8", [250, 100, 0], [10, 200, 1]), ("AddV2", "uint16", [65535, 1], [1, 65535]),
                           ("AddV2", "int8", [127, -128, 100], [1, -1, 100]), ("Sub", "uint8", [0, 5, 255], [1, 10, 255]),
                           ("Mul", "uint32", [65536, 3], [65536, 1431655766]), ("Square", "uint8", [16, 17], None)]:
        args = [("x", const(xs, dt))] + ([("y", const(ys, dt))] if ys else [])
        c.add(f"{op}/{dt}/wrapping", op, args, {"T": t_attr(dt)})
    for dt in SIGNED:
        c.add(f"Pow/{dt}/negative_exponent", "Pow", [("x", const([2, 1], dt)), ("y", const([2, -1], dt))], {"T": t_attr(dt)})
        c.add(f"Pow/{dt}/wrapping", "Pow", [("x", const([3, -2, 2, 0, -1], dt)), ("y", const([5, 7, 9, 0, 3], dt))], {"T": t_attr(dt)})
    c.add("Pow/int32/negative_exponent_empty_output", "Pow", [("x", const(np.zeros([0]), "int32")), ("y", const(-2, "int32"))],
          {"T": t_attr("int32")})
    for op in ["Neg", "Abs", "Square", "Sign"]:
        for dt in SIGNED:
            info = np.iinfo(tf.as_dtype(dt).as_numpy_dtype)
            c.add(f"{op}/{dt}/extremes", op, [("x", const([info.min, info.min + 1, -1, 0, 1, info.max], dt))], {"T": t_attr(dt)})


def dtype_error_cases(c, v):
    rejected = [
        ("AddV2", "bool"), ("Sub", "bool"), ("Mul", "bool"), ("RealDiv", "int32"), ("RealDiv", "uint8"),
        ("FloorMod", "bool"), ("Less", "bool"), ("Maximum", "bool"), ("Pow", "uint8"), ("Pow", "uint32"),
        ("SquaredDifference", "int8"), ("SquaredDifference", "uint16"), ("TanhGrad", "int32"),
    ]
    for op, dt in rejected:
        args = [("y", v.make(dt, [2])), ("dy", v.make(dt, [2]))] if op.endswith("Grad") else [("x", v.make(dt, [2])), ("y", v.make(dt, [2]))]
        c.add(f"{op}/{dt}/rejected", op, args, {"T": t_attr(dt)}, match_message=False)
    for op, dt in [("Neg", "uint8"), ("Abs", "uint32"), ("Sign", "uint64"), ("Exp", "int32"), ("Floor", "int64"),
                   ("Reciprocal", "int32"), ("Reciprocal", "uint8"), ("Square", "bool"), ("Sigmoid", "int16")]:
        c.add(f"{op}/{dt}/rejected", op, [("x", v.make(dt, [2]))], {"T": t_attr(dt)}, match_message=False)


def unary_cases(c, v):
    for op, dtypes in UNARY.items():
        for dt in dtypes:
            kind = "positive" if op in POSITIVE_UNARY else "any"
            for shape in ([], [7], [2, 3, 2], [0, 4]):
                c.add(f"{op}/{dt}/{shape}", op, [("x", v.make(dt, shape, kind))], {"T": t_attr(dt)})
            if dt in FLOATS:
                special = F_SPECIAL + [88.0, -88.0, 100.0, -100.0, 710.0, -745.0, 20.0, -20.0, 1e-8]
                c.add(f"{op}/{dt}/special", op, [("x", const(special, dt))], {"T": t_attr(dt)})
    for shape in ([], [5], [2, 2], [0]):
        c.add(f"LogicalNot/{shape}", "LogicalNot", [("x", v.make("bool", shape))])
    for op in GRADS:
        for dt in FLOATS:
            kind = "positive" if op in ("RsqrtGrad", "SqrtGrad") else "unit"
            for shape in ([], [6], [2, 3]):
                c.add(f"{op}/{dt}/{shape}", op, [("y", v.make(dt, shape, kind)), ("dy", v.make(dt, shape))], {"T": t_attr(dt)})
            special = const(F_SPECIAL, dt)
            c.add(f"{op}/{dt}/special", op, [("y", special), ("dy", const(F_SPECIAL[::-1], dt))], {"T": t_attr(dt)})
        c.add(f"{op}/float32/same_count_other_shape", op,
              [("y", v.make("float32", [2, 3], "unit")), ("dy", v.make("float32", [3, 2]))], {"T": t_attr("float32")})
        c.add(f"{op}/float32/size_mismatch", op,
              [("y", v.make("float32", [2], "unit")), ("dy", v.make("float32", [3]))], {"T": t_attr("float32")})


def select_cases(c, v):
    for dt in ["float32", "int32", "float64", "int64", "uint8", "bool", "string"]:
        def vals(shape):
            if dt == "string":
                n = int(np.prod(shape)) if shape else 1
                return const([f"s{i}" for i in v.rng.randint(0, 100, n)], "string", shape)
            return v.make(dt, shape)
        attrs = {"T": t_attr(dt)}
        # Select (v1): scalar, row-vector and same-shape conditions.
        for cs, ts in [([], [2, 3]), ([2], [2, 3]), ([3], [3]), ([2, 3], [2, 3]), ([2], [2, 2, 2]), ([], [0])]:
            c.add(f"Select/{dt}/{cs}on{ts}", "Select", [("condition", v.make("bool", cs)), ("x", vals(ts)), ("y", vals(ts))], attrs)
        # SelectV2: everything broadcasts.
        for cs, ts, es in [([], [2, 3], [2, 3]), ([2, 1], [3], []), ([2, 3], [2, 3], [2, 3]), ([3], [2, 1], [1]), ([0, 2], [2], [])]:
            c.add(f"SelectV2/{dt}/{cs}on{ts}and{es}", "SelectV2",
                  [("condition", v.make("bool", cs)), ("t", vals(ts)), ("e", vals(es))], attrs)
    attrs = {"T": t_attr("int32")}
    bad_v1 = [
        ("then_else_mismatch", [2], [2, 2], [1, 2]),
        ("scalar_then_else_mismatch", [], [2], [3]),
        ("batch_mismatch", [3], [2, 2], [2, 2]),
        ("vector_cond_scalar_then", [1], [], []),
        ("shape_mismatch", [1, 2], [2, 2], [2, 2]),
        ("same_size_other_shape", [1, 2], [2], [2]),
        ("else_mismatch", [2], [2], [3]),
    ]
    for name, cs, ts, es in bad_v1:
        c.add(f"Select/int32/{name}", "Select",
              [("condition", v.make("bool", cs)), ("x", v.make("int32", ts)), ("y", v.make("int32", es))], attrs)
    for name, cs, ts, es in [("cond", [3], [2, 2], []), ("else", [2], [2, 2], [3])]:
        c.add(f"SelectV2/int32/incompatible_{name}", "SelectV2",
              [("condition", v.make("bool", cs)), ("t", v.make("int32", ts)), ("e", v.make("int32", es))], attrs)


def size_independent(vals, src, dst):
    """The values whose conversion TF computes the same alone (scalar code) and inside a large
    tensor (vectorized code); TF's out-of-range float->int results differ between the two."""
    keep = []
    for val in vals:
        one = tf.raw_ops.Cast(x=const([val], src), DstT=dst).numpy()
        big = tf.raw_ops.Cast(x=const([val] * 4096, src), DstT=dst).numpy()
        if all(np.array_equal(one.view(np.uint8), big[i:i + 1].view(np.uint8)) for i in (0, 4095)):
            keep.append(val)
    return keep


CAST_TYPES = REAL + ["bool"]


def float_sources(src, dst):
    """Values of a float source whose conversion to `dst` TF defines independently of size."""
    base = [0.0, -0.0, 1.0, -1.0, 2.7, -2.7, 0.49, -0.9, 100.5]
    if dst in ("int8", "int16"):
        return base + [126.9, -127.9] + ([32766.9, -32767.9] if dst == "int16" else [])
    if dst in ("uint8", "uint16"):
        return [0.0, -0.0, 0.9, -0.9, 1.0, 2.7, 100.5, 254.9] + ([65534.9] if dst == "uint16" else [])
    special = [float("nan"), float("inf"), float("-inf"), 1e10, -1e10, 3e9, 4294967296.0, 2147483648.0,
               2147483520.0, -2147483648.0, 1e20, 9.3e18, -9.3e18, 1e-40]
    if src == "float64":
        special += [2147483647.9, -2147483648.9, 1e300, -1e300, 1e-300, 1e-310, 0.1, 1.0 / 3.0, 32767.9]
    return base + special


def cast_cases(c, v):
    for src in CAST_TYPES:
        for dst in CAST_TYPES:
            if src in FLOATS:
                vals = float_sources(src, dst)
            elif src == "bool":
                vals = [True, False, True]
            else:
                info = np.iinfo(tf.as_dtype(src).as_numpy_dtype)
                cands = [-(1 << 63), -(1 << 31) - 1, -(1 << 31), -32769, -129, -128, -1, 0, 1, 127, 128, 255, 256,
                         32767, 65535, 65536, (1 << 24) + 1, (1 << 31) - 1, 1 << 31, (1 << 32) - 1, 1 << 32,
                         (1 << 53) + 1, (1 << 63) - 1, 1 << 63, (1 << 64) - 1]
                vals = [x for x in cands if info.min <= x <= info.max]
            if src in FLOATS and dst not in FLOATS + ["bool"]:
                vals = size_independent(vals, src, tf.as_dtype(dst))
            x = const(vals, src)
            attrs = {"SrcT": t_attr(src), "DstT": t_attr(dst), "Truncate": {"b": False}}
            c.add(f"Cast/{src}->{dst}", "Cast", [("x", x)], attrs, {"DstT": tf.as_dtype(dst), "Truncate": False})
    for src, dst in [("float64", "float32"), ("float32", "float64"), ("float64", "int32"), ("int32", "float32"), ("int64", "float64")]:
        vals = float_sources(src, dst) if src in FLOATS else [(1 << 24) + 1, (1 << 24) + 3, (1 << 31) - 1]
        if src in FLOATS and dst not in FLOATS:
            vals = size_independent(vals, src, tf.as_dtype(dst))
        if src == "int64":
            vals = [(1 << 53) + 1, (1 << 63) - 1, -(1 << 63)]
        attrs = {"SrcT": t_attr(src), "DstT": t_attr(dst), "Truncate": {"b": True}}
        c.add(f"Cast/{src}->{dst}/truncate", "Cast", [("x", const(vals, src))], attrs, {"DstT": tf.as_dtype(dst), "Truncate": True})
    c.add("Cast/int32->float32/matrix", "Cast", [("x", v.make("int32", [3, 4]))],
          {"SrcT": t_attr("int32"), "DstT": t_attr("float32")}, {"DstT": tf.float32})
    c.add("Cast/string->string", "Cast", [("x", const(["a", "bc"], "string"))],
          {"SrcT": t_attr("string"), "DstT": t_attr("string")}, {"DstT": tf.string})
    for src, dst in [("string", "int32"), ("int32", "string")]:
        x = const(["a"], "string") if src == "string" else const([1], "int32")
        c.add(f"Cast/{src}->{dst}/unsupported", "Cast", [("x", x)], {"SrcT": t_attr(src), "DstT": t_attr(dst)},
              {"DstT": tf.as_dtype(dst)})


def main():
    c = Cases()
    v = Values(20260101)
    binary_cases(c, v)
    edge_cases(c, v)
    dtype_error_cases(c, v)
    unary_cases(c, v)
    select_cases(c, v)
    cast_cases(c, v)
    c.write("cwise.json", "tools/oracle/cwise_cases.py")


if __name__ == "__main__":
    sys.exit(main())
