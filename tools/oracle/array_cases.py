#!/usr/bin/env python3
"""Oracle cases for ferroflow's array kernels, computed by stock TensorFlow 2.21.

Run with the TF virtualenv:

    /root/.cache/tfvenv-2.21/bin/python tools/oracle/array_cases.py

It writes crates/kernels/testdata/array.json. Every case is run as one node of a TF1-style graph
in a `Session` (the way ferroflow's runtime runs ops): each input is a placeholder of unknown
shape, so graph construction checks nothing and whatever error appears comes from TF's CPU
kernel. Grappler and the classic graph optimizer are disabled and oneDNN is off, so the kernels
exercised are exactly TF's stock CPU kernels. Inputs come from a fixed-seed generator: the
output file is reproducible byte for byte.

Case schema (the file holds {"generator", "tf_version", "cases": [...]}):

    {"name": str, "op": str, "node_name": str (optional, default "op"),
     "attrs": {attr: {"type": "float32"} | {"b": bool} | {"i": int} | {"f": float}
                     | {"s": str} | {"shape": [dims, -1 unknown] or null (unknown rank)}
                     | {"tensor": TENSOR} | {"list_i": [...]} | {"list_s": [...]}
                     | {"list_type": [...]}},
     "inputs": [TENSOR...],
     then either "outputs": [TENSOR...]
     or "error": {"code": "INVALID_ARGUMENT", "message": TF's message without node context}}

    TENSOR = {"dtype": "float32", "shape": [2, 2], "values": [flat row-major values]}
    (floats may be "nan", "inf", "-inf"; strings are UTF-8 text).

This module also holds the helpers matmul_nn_cases.py imports.
"""

import json
import os
import re
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ["TF_ENABLE_ONEDNN_OPTS"] = "0"

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from tensorflow.core.framework import attr_value_pb2  # noqa: E402

tf.compat.v1.disable_eager_execution()

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))

# ----------------------------------------------------------------------------------------------
# Tensors to JSON


def _float_json(x, np_type):
    x = np_type(x)
    if np.isnan(x):
        return "nan"
    if np.isinf(x):
        return "inf" if x > 0 else "-inf"
    # Shortest text that reads back to the same value through f64 -> f32/f64.
    text = np.format_float_positional(x, unique=True, trim="-")
    v = float(text)
    if np_type(v) != x:
        v = float(x)
    if v == int(v) and abs(v) < 2**53:
        return int(v) if v != 0 or not np.signbit(x) else -0.0
    return v


def _string_json(v):
    """A string element: its text, or {"hex": ...} for bytes that are not UTF-8 (serialized protos)."""
    if not isinstance(v, bytes):
        return str(v)
    try:
        return v.decode()
    except UnicodeDecodeError:
        return {"hex": v.hex()}


def tensor_json(a):
    # A string scalar comes back from a session as `bytes`; numpy's fixed-width bytes dtype would
    # drop its trailing NULs.
    a = np.array(a, dtype=object) if isinstance(a, bytes) else np.asarray(a)
    if a.dtype == object or a.dtype.kind in "SU":
        vals = [_string_json(v) for v in a.ravel()]
        return {"dtype": "string", "shape": list(a.shape), "values": vals}
    name = a.dtype.name
    if name == "bool":
        vals = [bool(v) for v in a.ravel()]
    elif name in ("float32", "float64"):
        t = np.float32 if name == "float32" else np.float64
        vals = [_float_json(v, t) for v in a.ravel()]
    else:
        vals = [int(v) for v in a.ravel()]
    return {"dtype": name, "shape": [int(d) for d in a.shape], "values": vals}


# ----------------------------------------------------------------------------------------------
# Attributes: each helper returns (json form, AttrValue proto)


def ty(name):
    return ({"type": name}, attr_value_pb2.AttrValue(type=tf.as_dtype(name).as_datatype_enum))


def b(v):
    return ({"b": bool(v)}, attr_value_pb2.AttrValue(b=bool(v)))


def i(v):
    return ({"i": int(v)}, attr_value_pb2.AttrValue(i=int(v)))


def f(v):
    return ({"f": float(np.float32(v))}, attr_value_pb2.AttrValue(f=float(v)))


def s(v):
    return ({"s": v}, attr_value_pb2.AttrValue(s=v.encode()))


def shape(dims):
    ts = tf.TensorShape(None if dims is None else [None if d == -1 else d for d in dims])
    return ({"shape": dims}, attr_value_pb2.AttrValue(shape=ts.as_proto()))


def tensor(a):
    a = np.asarray(a)
    return ({"tensor": tensor_json(a)}, attr_value_pb2.AttrValue(tensor=tf.make_tensor_proto(a)))


def li(v):
    lv = attr_value_pb2.AttrValue.ListValue(i=[int(x) for x in v])
    return ({"list_i": [int(x) for x in v]}, attr_value_pb2.AttrValue(list=lv))


def ls(v):
    lv = attr_value_pb2.AttrValue.ListValue(s=[x.encode() for x in v])
    return ({"list_s": list(v)}, attr_value_pb2.AttrValue(list=lv))


def lt(v):
    lv = attr_value_pb2.AttrValue.ListValue(type=[tf.as_dtype(x).as_datatype_enum for x in v])
    return ({"list_type": list(v)}, attr_value_pb2.AttrValue(list=lv))


# ----------------------------------------------------------------------------------------------
# Running one op in a session

_CODE_NAMES = {
    1: "CANCELLED", 2: "UNKNOWN", 3: "INVALID_ARGUMENT", 4: "DEADLINE_EXCEEDED", 5: "NOT_FOUND",
    6: "ALREADY_EXISTS", 7: "PERMISSION_DENIED", 8: "RESOURCE_EXHAUSTED", 9: "FAILED_PRECONDITION",
    10: "ABORTED", 11: "OUT_OF_RANGE", 12: "UNIMPLEMENTED", 13: "INTERNAL", 14: "UNAVAILABLE",
    15: "DATA_LOSS", 16: "UNAUTHENTICATED",
}


def _core_message(msg, node):
    """TF's kernel message without the session's traceback header and node suffix."""
    m = re.search(r"\nNode: '[^']*'\n(.*)$", msg, re.S)
    if m:
        msg = m.group(1)
    suffix = "\n\t [[{{node %s}}]]" % node
    at = msg.find(suffix)
    if at >= 0:
        msg = msg[:at]
    return msg


def _session_config():
    cfg = tf.compat.v1.ConfigProto()
    cfg.graph_options.rewrite_options.disable_meta_optimizer = True
    cfg.graph_options.optimizer_options.opt_level = tf.compat.v1.OptimizerOptions.L0
    cfg.graph_options.optimizer_options.do_constant_folding = False
    cfg.intra_op_parallelism_threads = 1
    cfg.inter_op_parallelism_threads = 1
    return cfg


def _as_array(x):
    if isinstance(x, np.ndarray):
        return x
    if isinstance(x, (bytes, str)) or (isinstance(x, list) and x and isinstance(np.ravel(np.array(x, dtype=object))[0], (bytes, str))):
        return np.array(x, dtype=object)
    return np.asarray(x)


def run_case(name, op, inputs, attrs, node_name=None, expect_error=None):
    """Runs `op` on `inputs` with `attrs` ({name: helper result}); returns the case dict.

    `expect_error` (True/False/None) asserts whether TF fails, catching typos in the case lists.
    """
    node = node_name or "op"
    inputs = [_as_array(x) for x in inputs]
    g = tf.Graph()
    with g.as_default():
        feed = {}
        phs = []
        for k, x in enumerate(inputs):
            dt = tf.string if x.dtype == object else tf.as_dtype(x.dtype)
            p = tf.compat.v1.placeholder(dt, shape=None, name="in%d" % k)
            phs.append(p)
            feed[p] = x
        o = g.create_op(op, phs, None, attrs={k: v[1] for k, v in attrs.items()}, name=node)
        case = {"name": name, "op": op}
        if node_name:
            case["node_name"] = node_name
        case["attrs"] = {k: v[0] for k, v in attrs.items()}
        case["inputs"] = [tensor_json(x) for x in inputs]
        with tf.compat.v1.Session(graph=g, config=_session_config()) as sess:
            try:
                if o.outputs:
                    outs = sess.run(o.outputs, feed)
                else:
                    sess.run(o, feed)
                    outs = []
                case["outputs"] = [tensor_json(x) for x in outs]
            except tf.errors.OpError as e:
                case["error"] = {"code": _CODE_NAMES.get(e.error_code, str(e.error_code)),
                                 "message": _core_message(e.message, node)}
    failed = "error" in case
    if expect_error is not None and failed != expect_error:
        raise SystemExit("case %s: expected %s, got %s" % (
            name, "an error" if expect_error else "success", case.get("error") or "success"))
    return case


def write_cases(rel_path, cases, generator):
    names = [c["name"] for c in cases]
    dup = {n for n in names if names.count(n) > 1}
    if dup:
        raise SystemExit("duplicate case names: %s" % sorted(dup))
    path = os.path.join(ROOT, rel_path)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    doc = {"generator": generator, "tf_version": tf.__version__, "cases": cases}
    with open(path, "w") as fh:
        fh.write("{\n")
        fh.write('"generator": %s,\n"tf_version": %s,\n"cases": [\n' % (json.dumps(doc["generator"]), json.dumps(doc["tf_version"])))
        for k, c in enumerate(cases):
            fh.write(json.dumps(c, separators=(",", ":")))
            fh.write(",\n" if k + 1 < len(cases) else "\n")
        fh.write("]}\n")
    errors = sum(1 for c in cases if "error" in c)
    print("wrote %d cases (%d errors) to %s" % (len(cases), errors, rel_path))


class Cases:
    """Collects cases; `ok` and `err` assert the expected outcome."""

    def __init__(self):
        self.cases = []

    def ok(self, name, op, inputs, attrs, node_name=None):
        self.cases.append(run_case(name, op, inputs, attrs, node_name, expect_error=False))

    def err(self, name, op, inputs, attrs, node_name=None):
        self.cases.append(run_case(name, op, inputs, attrs, node_name, expect_error=True))


def rnd(rng, shape_, dtype="float32", lo=-5, hi=5):
    """Deterministic test data: floats with two decimals, integers in [lo, hi)."""
    if dtype in ("float32", "float64"):
        return np.round(rng.uniform(lo, hi, size=shape_), 2).astype(dtype)
    if dtype == "bool":
        return rng.integers(0, 2, size=shape_).astype(bool)
    if dtype == "string":
        return np.array(["s%d" % v for v in rng.integers(0, 100, size=int(np.prod(shape_)))], dtype=object).reshape(shape_)
    return rng.integers(lo, hi, size=shape_).astype(dtype)


# ----------------------------------------------------------------------------------------------
# The array cases


def add_array_cases(c, rng):
    """Appends every array-op case to `c`, drawing data from `rng`."""
    _constants_and_identities(c, rng)
    _shapes_and_reshapes(c, rng)
    _tile_fill_gather(c, rng)
    _broadcast_gradient_args(c)
    _concat_pack_unpack(c, rng)
    _slices(c, rng)
    _transpose_range_pad(c, rng)


def _constants_and_identities(c, rng):
    for dt, sh in [("float32", [2, 3]), ("int32", []), ("int64", [0, 2]), ("float64", [3]),
                   ("bool", [2, 2]), ("string", [2]), ("uint8", [4]), ("int16", [2, 1])]:
        c.ok("const_%s_%s" % (dt, "x".join(map(str, sh)) or "scalar"), "Const", [],
             {"dtype": ty(dt), "value": tensor(rnd(rng, sh, dt))})
    c.err("const_dtype_mismatch", "Const", [], {"dtype": ty("int32"), "value": tensor(np.ones([2], np.float32))},
          node_name="c")

    for op in ["Identity", "Snapshot", "StopGradient"]:
        for dt, sh in [("float32", [2, 3]), ("int32", []), ("bool", [3]), ("string", [2, 1]),
                       ("float64", [0, 4]), ("int64", [5])]:
            if op == "Snapshot" and dt == "string":
                continue  # TF has no string Snapshot kernel
            c.ok("%s_%s_%s" % (op.lower(), dt, "x".join(map(str, sh)) or "scalar"), op, [rnd(rng, sh, dt)],
                 {"T": ty(dt)})
    c.ok("preventgradient_float32", "PreventGradient", [rnd(rng, [2, 2])],
         {"T": ty("float32"), "message": s("no gradient here")})
    c.ok("noop", "NoOp", [], {})
    c.ok("identityn", "IdentityN", [rnd(rng, [2]), rnd(rng, [], "int32"), rnd(rng, [1], "string")],
         {"T": lt(["float32", "int32", "string"])})

    c.err("placeholder_float_2x2", "Placeholder", [], {"dtype": ty("float32"), "shape": shape([2, 2])}, node_name="x")
    c.err("placeholder_unknown_rank", "Placeholder", [], {"dtype": ty("float32"), "shape": shape(None)},
          node_name="inputs/features")
    c.err("placeholder_partial", "Placeholder", [], {"dtype": ty("int32"), "shape": shape([-1, 3])}, node_name="batch")
    c.err("placeholder_scalar", "Placeholder", [], {"dtype": ty("int64"), "shape": shape([])}, node_name="step")
    c.err("placeholder_bool_vector", "Placeholder", [], {"dtype": ty("bool"), "shape": shape([4])}, node_name="mask")
    c.ok("placeholderwithdefault_float", "PlaceholderWithDefault", [rnd(rng, [2, 2])],
         {"dtype": ty("float32"), "shape": shape([2, 2])})
    c.ok("placeholderwithdefault_int_partial", "PlaceholderWithDefault", [rnd(rng, [3, 2], "int32")],
         {"dtype": ty("int32"), "shape": shape([-1, 2])})


def _shapes_and_reshapes(c, rng):
    for sh in [[2, 3, 4], [], [0, 5], [7]]:
        tag = "x".join(map(str, sh)) or "scalar"
        for out in ["int32", "int64"]:
            c.ok("shape_%s_%s" % (tag, out), "Shape", [rnd(rng, sh)], {"T": ty("float32"), "out_type": ty(out)})
            c.ok("size_%s_%s" % (tag, out), "Size", [rnd(rng, sh)], {"T": ty("float32"), "out_type": ty(out)})
        c.ok("rank_%s" % tag, "Rank", [rnd(rng, sh)], {"T": ty("float32")})
    c.ok("shape_string", "Shape", [rnd(rng, [3, 1], "string")], {"T": ty("string"), "out_type": ty("int32")})

    def reshape(name, x, sh, tshape="int32", dt="float32", fail=False):
        args = (name, "Reshape", [x, np.array(sh, dtype=tshape)], {"T": ty(dt), "Tshape": ty(tshape)})
        c.err(*args) if fail else c.ok(*args)

    x = rnd(rng, [2, 3])
    reshape("reshape_2x3_to_3x2", x, [3, 2])
    reshape("reshape_infer_flat", x, [-1])
    reshape("reshape_infer_first", x, [-1, 2])
    reshape("reshape_infer_last_int64", x, [3, -1], "int64")
    reshape("reshape_to_3d", rnd(rng, [2, 3], "int32"), [1, 2, 3], dt="int32")
    reshape("reshape_scalar_to_1x1", rnd(rng, []), [1, 1])
    reshape("reshape_1_to_scalar", rnd(rng, [1]), np.zeros([0], np.int32))
    reshape("reshape_empty_infer", rnd(rng, [0, 3]), [-1, 0])
    reshape("reshape_empty_infer_nonzero", rnd(rng, [0, 3]), [-1, 3])
    reshape("reshape_empty_infer_2", rnd(rng, [2, 0, 3]), [2, -1, 0])
    reshape("reshape_empty_plain", rnd(rng, [0, 3]), [3, 0, 5])
    reshape("reshape_string", rnd(rng, [4], "string"), [2, 2], dt="string")
    reshape("reshape_bool", rnd(rng, [2, 2], "bool"), [4], dt="bool")
    reshape("reshape_err_count", x, [4], fail=True)
    reshape("reshape_err_two_unknown", x, [-1, -1], fail=True)
    reshape("reshape_err_negative", x, [-2, 3], fail=True)
    reshape("reshape_err_not_vector", x, [[6]], fail=True)
    reshape("reshape_err_not_multiple", x, [4, -1], fail=True)
    reshape("reshape_err_empty_mismatch", rnd(rng, [0, 3]), [2, 2], fail=True)
    reshape("reshape_scalar_shape", rnd(rng, [2, 3]), 6)

    def expand(name, x, dim, tdim="int32", fail=False):
        args = (name, "ExpandDims", [x, np.array(dim, dtype=tdim)], {"T": ty(str(x.dtype)), "Tdim": ty(tdim)})
        c.err(*args) if fail else c.ok(*args)

    x = rnd(rng, [2, 3])
    for d in [0, 1, 2, -1, -2, -3]:
        expand("expanddims_2x3_axis%d" % d, x, d)
    expand("expanddims_scalar", rnd(rng, [], "int32"), 0)
    expand("expanddims_scalar_neg", rnd(rng, [], "int32"), -1)
    expand("expanddims_int64_dim", rnd(rng, [4], "int64"), np.int64(1), "int64")
    expand("expanddims_vector_dim", x, [1])
    expand("expanddims_err_high", x, 3, fail=True)
    expand("expanddims_err_low", x, -4, fail=True)
    expand("expanddims_err_two_dims", x, [0, 1], fail=True)

    def squeeze(name, x, dims=None, fail=False):
        attrs = {"T": ty(str(x.dtype) if x.dtype != object else "string")}
        if dims is not None:
            attrs["squeeze_dims"] = li(dims)
        args = (name, "Squeeze", [x], attrs)
        c.err(*args) if fail else c.ok(*args)

    y = rnd(rng, [1, 2, 1, 3, 1])
    squeeze("squeeze_all", y)
    squeeze("squeeze_listed", y, [0, -1])
    squeeze("squeeze_one", y, [2])
    squeeze("squeeze_scalar", rnd(rng, []))
    squeeze("squeeze_all_ones", rnd(rng, [1, 1], "int32"))
    squeeze("squeeze_empty", rnd(rng, [0, 1, 2]))
    squeeze("squeeze_err_not_one", y, [1], fail=True)
    squeeze("squeeze_err_range", y, [5], fail=True)
    squeeze("squeeze_err_range_neg", y, [-6], fail=True)


def _tile_fill_gather(c, rng):
    def tile(name, x, mult, tm="int32", fail=False):
        dt = "string" if x.dtype == object else str(x.dtype)
        args = (name, "Tile", [x, np.array(mult, dtype=tm)], {"T": ty(dt), "Tmultiples": ty(tm)})
        c.err(*args) if fail else c.ok(*args)

    x = rnd(rng, [2, 3])
    tile("tile_rows", x, [2, 1])
    tile("tile_cols", x, [1, 3])
    tile("tile_both_int64", x, [2, 2], "int64")
    tile("tile_identity", x, [1, 1])
    tile("tile_zero", x, [0, 2])
    tile("tile_scalar", rnd(rng, []), np.zeros([0], np.int32))
    tile("tile_3d_int32", rnd(rng, [2, 1, 3], "int32"), [1, 4, 2])
    tile("tile_vector_bool", rnd(rng, [3], "bool"), [3])
    tile("tile_string", rnd(rng, [2], "string"), [2])
    tile("tile_empty_input", rnd(rng, [0, 2]), [3, 2])
    tile("tile_double", rnd(rng, [2, 2], "float64"), [2, 3])
    tile("tile_err_len", x, [2], fail=True)
    tile("tile_err_negative", x, [1, -1], fail=True)
    tile("tile_err_matrix", x, [[1, 1]], fail=True)

    def fill(name, dims, value, it="int32", fail=False):
        v = np.asarray(value)
        args = (name, "Fill", [np.array(dims, dtype=it), v], {"T": ty(str(v.dtype)), "index_type": ty(it)})
        c.err(*args) if fail else c.ok(*args)

    fill("fill_float", [2, 3], np.float32(1.5))
    fill("fill_int64_index", [3], np.int32(7), "int64")
    fill("fill_scalar", np.zeros([0], np.int32), np.float64(2.25))
    fill("fill_empty", [0, 3], np.int64(4))
    fill("fill_bool", [2], np.bool_(True))
    fill("fill_err_value_not_scalar", [2], np.array([1.0, 2.0], np.float32), fail=True)
    fill("fill_err_dims_matrix", [[2]], np.float32(1), fail=True)
    fill("fill_err_negative", [2, -3], np.float32(1), fail=True)
    fill("fill_scalar_dims", np.int32(2), np.float32(3))
    fill("fill_vector1_value", [2], np.array([5], np.int64))
    fill("fill_err_matrix_value", [2], np.array([[5]], np.int64), fail=True)

    for op in ["ZerosLike", "OnesLike"]:
        for dt, sh in [("float32", [2, 3]), ("int32", [4]), ("int64", []), ("float64", [0, 2]), ("bool", [3])]:
            c.ok("%s_%s" % (op.lower(), dt), op, [rnd(rng, sh, dt)], {"T": ty(dt)})

    def gather(name, params, indices, axis, batch_dims=0, ti="int32", ta="int32", fail=False):
        dt = "string" if params.dtype == object else str(params.dtype)
        args = (name, "GatherV2", [params, np.array(indices, dtype=ti), np.array(axis, dtype=ta)],
                {"Tparams": ty(dt), "Tindices": ty(ti), "Taxis": ty(ta), "batch_dims": i(batch_dims)})
        c.err(*args) if fail else c.ok(*args)

    p = rnd(rng, [5, 3])
    gather("gather_axis0", p, [4, 0, 2], 0)
    gather("gather_axis1", p, [2, 2, 0, 1], 1)
    gather("gather_axis_neg", p, [1], -1)
    gather("gather_2d_indices", p, [[0, 1], [3, 4], [2, 2]], 0)
    gather("gather_scalar_index", p, 3, 0)
    gather("gather_scalar_index_axis1", p, 1, 1)
    gather("gather_int64_indices", rnd(rng, [4], "int64"), [3, 3, 0], 0, ti="int64", ta="int64")
    gather("gather_empty_indices", p, np.zeros([0], np.int32), 0)
    gather("gather_empty_indices_axis1", p, np.zeros([2, 0], np.int32), 1)
    gather("gather_3d_axis1", rnd(rng, [2, 4, 3], "int32"), [[3, 0], [1, 1]], 1)
    gather("gather_string", rnd(rng, [4], "string"), [1, 3], 0)
    gather("gather_bool", rnd(rng, [4, 2], "bool"), [0, 3], 0)
    gather("gather_batch_dims1", rnd(rng, [2, 5, 3]), [[0, 4, 1, 1], [2, 3, 0, 4]], 1, batch_dims=1)
    gather("gather_batch_dims1_axis2", rnd(rng, [2, 3, 4]), [[0, 3], [2, 1]], 2, batch_dims=1)
    gather("gather_batch_dims_neg", rnd(rng, [2, 5]), [[0, 4, 1], [2, 3, 3]], 1, batch_dims=-1)
    gather("gather_batch_dims2", rnd(rng, [2, 3, 4]), [[[0], [1], [3]], [[2], [2], [0]]], 2, batch_dims=2)
    gather("gather_err_index", rnd(rng, [3]), [0, 7], 0, fail=True)
    gather("gather_err_negative_index", rnd(rng, [3, 2]), [1, -1], 0, fail=True)
    gather("gather_err_index_axis1", p, [[0, 3]], 1, fail=True)
    gather("gather_err_axis", p, [0], 2, fail=True)
    gather("gather_err_axis_neg", p, [0], -3, fail=True)
    gather("gather_err_batch_dims", p, [0], 0, batch_dims=2, fail=True)
    gather("gather_err_batch_axis", rnd(rng, [2, 3]), [[0], [1]], 0, batch_dims=1, fail=True)
    gather("gather_err_batch_mismatch", rnd(rng, [2, 3]), [[0], [1], [2]], 1, batch_dims=1, fail=True)
    gather("gather_err_axis_not_scalar", p, [0], [0], fail=True)
    gather("gather_err_scalar_params", rnd(rng, []), [0], 0, fail=True)
    gather("gather_err_scalar_index", rnd(rng, [3]), 5, 0, fail=True)
    gather("gather_err_batch_rank", rnd(rng, [2, 3]), [[0, 1], [2, 2]], 1, batch_dims=2, fail=True)
    gather("gather_err_index_int64", rnd(rng, [3, 2]), [[0, 1], [5, 2]], 0, ti="int64", ta="int64", fail=True)
    for name, idx, fail in [("gather_v1", [[2, 0], [1, 1]], False), ("gather_v1_err", [3], True)]:
        args = (name, "Gather", [rnd(rng, [3, 2]), np.array(idx, np.int32)],
                {"Tparams": ty("float32"), "Tindices": ty("int32"), "validate_indices": b(True)})
        c.err(*args) if fail else c.ok(*args)


def _broadcast_gradient_args(c):
    def bga(name, s0, s1, dt="int32", fail=False):
        args = (name, "BroadcastGradientArgs", [np.array(s0, dtype=dt), np.array(s1, dtype=dt)], {"T": ty(dt)})
        c.err(*args) if fail else c.ok(*args)

    e = np.zeros([0], np.int32)
    bga("bga_vector_vs_3d", [2, 3, 5], [5])
    bga("bga_ones", [2, 1, 5], [2, 3, 1])
    bga("bga_scalar", e, [3, 4])
    bga("bga_scalar_both", e, e)
    bga("bga_same", [2, 3], [2, 3])
    bga("bga_same_with_ones", [1, 3, 1], [1, 3, 1])
    bga("bga_all_ones", [1, 1], [1])
    bga("bga_one_vs_one", [1], [1])
    bga("bga_one_vs_scalar", [1], e)
    bga("bga_leading_one", [1, 4], [3, 4])
    bga("bga_int64", [4, 1], [1, 5], "int64")
    bga("bga_zero_dim", [0, 3], [1, 3])
    bga("bga_zero_vs_one", [0], [1])
    bga("bga_rank4", [5, 1, 3, 1], [4, 1, 6])
    bga("bga_err_incompatible", [2, 3], [4], fail=True)
    bga("bga_err_zero_vs_two", [0], [2], fail=True)
    bga("bga_err_matrix", [[2, 3]], [3], fail=True)


def _concat_pack_unpack(c, rng):
    def concat(name, xs, axis, ti="int32", fail=False):
        dt = "string" if xs[0].dtype == object else str(xs[0].dtype)
        args = (name, "ConcatV2", list(xs) + [np.array(axis, dtype=ti)],
                {"N": i(len(xs)), "T": ty(dt), "Tidx": ty(ti)})
        c.err(*args) if fail else c.ok(*args)

    a, b2, b3 = rnd(rng, [2, 3]), rnd(rng, [1, 3]), rnd(rng, [2, 2])
    concat("concat_axis0", [a, b2], 0)
    concat("concat_axis1", [a, b3, a], 1)
    concat("concat_axis_neg", [a, b3], -1)
    concat("concat_int64_axis", [a, a], np.int64(0), "int64")
    concat("concat_vectors_int32", [rnd(rng, [3], "int32"), rnd(rng, [0], "int32"), rnd(rng, [2], "int32")], 0)
    concat("concat_3d_middle", [rnd(rng, [2, 1, 2]), rnd(rng, [2, 3, 2])], 1)
    concat("concat_empty_piece", [rnd(rng, [0, 3]), a], 0)
    concat("concat_all_empty", [rnd(rng, [2, 0]), rnd(rng, [2, 0])], 1)
    concat("concat_string", [rnd(rng, [2], "string"), rnd(rng, [1], "string")], 0)
    concat("concat_bool", [rnd(rng, [1, 2], "bool"), rnd(rng, [1, 2], "bool")], 1)
    concat("concat_err_scalar", [rnd(rng, []), rnd(rng, [])], 0, fail=True)
    concat("concat_err_shapes", [a, b3], 0, fail=True)
    concat("concat_err_rank", [a, rnd(rng, [3])], 0, fail=True)
    concat("concat_err_axis", [a, a], 2, fail=True)
    concat("concat_err_axis_neg", [a, a], -3, fail=True)
    concat("concat_vector_axis", [a, b2], [0])
    concat("concat_err_axis_vector2", [a, b2], [0, 1], fail=True)
    c.ok("concat_v1", "Concat", [np.array(1, np.int32), a, b3], {"N": i(2), "T": ty("float32")})

    def pack(name, xs, axis, fail=False):
        dt = "string" if xs[0].dtype == object else str(xs[0].dtype)
        args = (name, "Pack", list(xs), {"N": i(len(xs)), "T": ty(dt), "axis": i(axis)})
        c.err(*args) if fail else c.ok(*args)

    xs = [rnd(rng, [2, 3]) for _ in range(3)]
    pack("pack_axis0", xs, 0)
    pack("pack_axis1", xs, 1)
    pack("pack_axis2", xs, 2)
    pack("pack_axis_neg", xs, -1)
    pack("pack_scalars", [rnd(rng, [], "int32") for _ in range(4)], 0)
    pack("pack_single", [rnd(rng, [2], "int64")], 0)
    pack("pack_empty", [rnd(rng, [0, 2]), rnd(rng, [0, 2])], 1)
    pack("pack_string", [rnd(rng, [2], "string"), rnd(rng, [2], "string")], 1)
    pack("pack_err_shapes", [rnd(rng, [2]), rnd(rng, [3])], 0, fail=True)
    pack("pack_err_axis", xs, 3, fail=True)
    pack("pack_err_axis_neg", xs, -4, fail=True)

    def unpack(name, x, num, axis, fail=False):
        dt = "string" if x.dtype == object else str(x.dtype)
        args = (name, "Unpack", [x], {"num": i(num), "T": ty(dt), "axis": i(axis)})
        c.err(*args) if fail else c.ok(*args)

    x = rnd(rng, [3, 2, 4])
    unpack("unpack_axis0", x, 3, 0)
    unpack("unpack_axis1", x, 2, 1)
    unpack("unpack_axis2", x, 4, 2)
    unpack("unpack_axis_neg", x, 4, -1)
    unpack("unpack_vector", rnd(rng, [3], "int32"), 3, 0)
    unpack("unpack_empty", rnd(rng, [2, 0]), 2, 0)
    unpack("unpack_string", rnd(rng, [2, 2], "string"), 2, 1)
    unpack("unpack_err_num", x, 2, 0, fail=True)
    unpack("unpack_err_axis", x, 3, 3, fail=True)
    unpack("unpack_err_scalar", rnd(rng, []), 1, 0, fail=True)



def _slices(c, rng):
    def slc(name, x, begin, size, ti="int32", fail=False):
        dt = "string" if x.dtype == object else str(x.dtype)
        args = (name, "Slice", [x, np.array(begin, dtype=ti), np.array(size, dtype=ti)], {"T": ty(dt), "Index": ty(ti)})
        c.err(*args) if fail else c.ok(*args)

    x = rnd(rng, [2, 3, 4])
    slc("slice_3d", x, [0, 1, 1], [2, 2, 2])
    slc("slice_minus_one", x, [1, 0, 2], [-1, -1, -1])
    slc("slice_full", x, [0, 0, 0], [2, 3, 4])
    slc("slice_int64", x, [1, 2, 0], [1, 1, 4], "int64")
    slc("slice_empty", x, [1, 1, 1], [0, 2, 2])
    slc("slice_vector_int32", rnd(rng, [6], "int32"), [2], [3])
    slc("slice_scalar", rnd(rng, []), np.zeros([0], np.int32), np.zeros([0], np.int32))
    slc("slice_string", rnd(rng, [4], "string"), [1], [2])
    slc("slice_err_begin", x, [3, 0, 0], [1, 1, 1], fail=True)
    slc("slice_err_size", x, [1, 0, 0], [2, 1, 1], fail=True)
    slc("slice_err_negative_begin", x, [-1, 0, 0], [1, 1, 1], fail=True)
    slc("slice_err_len", x, [0, 0], [1, 1], fail=True)
    slc("slice_err_len_mismatch", x, [0, 0, 0], [1, 1], fail=True)
    slc("slice_zero_dim_minus_one", rnd(rng, [0, 3]), [0, 1], [-1, 2])
    slc("slice_zero_dim", rnd(rng, [0, 3]), [0, 1], [0, 2])
    slc("slice_err_zero_dim", rnd(rng, [0, 3]), [1, 1], [0, 2], fail=True)

    masks = ["begin_mask", "end_mask", "ellipsis_mask", "new_axis_mask", "shrink_axis_mask"]

    def ss(name, x, begin, end, strides, ti="int32", fail=False, grad=False, **kw):
        dt = "string" if x.dtype == object else str(x.dtype)
        attrs = {"T": ty(dt), "Index": ty(ti)}
        for m in masks:
            attrs[m] = i(kw.get(m, 0))
        idx = [np.array(begin, dtype=ti), np.array(end, dtype=ti), np.array(strides, dtype=ti)]
        args = (name, "StridedSlice", [x] + idx, attrs)
        c.err(*args) if fail else c.ok(*args)
        if grad and not fail:
            # The same slice's gradient: dy of the forward output's shape scattered into x's shape.
            fwd = c.cases[-1]["outputs"][0]["shape"]
            dy = rnd(rng, fwd, dt)
            c.ok(name.replace("stridedslice", "stridedslicegrad"), "StridedSliceGrad",
                 [np.array(x.shape, dtype=ti)] + idx + [dy], attrs)

    x = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    v = np.arange(10, dtype=np.int32)
    ss("stridedslice_basic", x, [0, 1, 1], [2, 3, 3], [1, 1, 1], grad=True)
    ss("stridedslice_partial_spec", x, [1], [2], [1], grad=True)
    ss("stridedslice_reverse", v, [0], [0], [-1], begin_mask=1, end_mask=1, grad=True)
    ss("stridedslice_reverse_range", v, [8], [2], [-2], grad=True)
    ss("stridedslice_step2", v, [1], [10], [2], grad=True)
    ss("stridedslice_step3_neg_idx", v, [-9], [-1], [3], grad=True)
    ss("stridedslice_clamp", v, [-100], [100], [1], grad=True)
    ss("stridedslice_clamp_reverse", v, [100], [-100], [-1], grad=True)
    ss("stridedslice_empty", v, [5], [2], [1], grad=True)
    ss("stridedslice_shrink", x, [1], [2], [1], shrink_axis_mask=1, grad=True)
    ss("stridedslice_shrink_neg", x, [0, -1], [0, 0], [1, 1], shrink_axis_mask=2, begin_mask=1, end_mask=1, grad=True)
    ss("stridedslice_shrink_all", x, [1, 2, 3], [2, 3, 4], [1, 1, 1], shrink_axis_mask=7, grad=True)
    ss("stridedslice_ellipsis", x, [0, 1], [0, 2], [1, 1], ellipsis_mask=1, shrink_axis_mask=2, grad=True)
    ss("stridedslice_ellipsis_middle", x, [1, 0, 1], [2, 0, 3], [1, 1, 1], ellipsis_mask=2, grad=True)
    ss("stridedslice_ellipsis_only", x, [0], [0], [1], ellipsis_mask=1, grad=True)
    ss("stridedslice_new_axis", x, [0, 0, 1], [0, 2, 3], [1, 1, 1], new_axis_mask=1, grad=True)
    ss("stridedslice_new_axis_middle", x, [0, 0, 0], [1, 0, 2], [1, 1, 1], new_axis_mask=2, grad=True)
    ss("stridedslice_new_axis_ellipsis", x, [0, 0], [0, 0], [1, 1], ellipsis_mask=1, new_axis_mask=2, grad=True)
    ss("stridedslice_masks", x, [1, 2, 3], [0, 0, 1], [1, -1, -1], begin_mask=2, end_mask=3, grad=True)
    ss("stridedslice_int64", x, [0, 0, -1], [2, 3, -5], [1, 2, -1], "int64", grad=True)
    ss("stridedslice_shrink_and_new", x, [1, 0, 2], [2, 0, 3], [1, 1, 1], shrink_axis_mask=5, new_axis_mask=2,
       grad=True)
    ss("stridedslice_scalar_ellipsis", np.float32(3.5), [0], [0], [1], ellipsis_mask=1)
    ss("stridedslice_string", rnd(rng, [4], "string"), [1], [4], [2])
    ss("stridedslice_empty_input", rnd(rng, [0, 3]), [0, 1], [0, 3], [1, 1], grad=True)
    ss("stridedslice_err_stride_zero", v, [0], [5], [0], fail=True)
    ss("stridedslice_err_shrink_range", v, [12], [13], [1], shrink_axis_mask=1, fail=True)
    ss("stridedslice_err_shrink_neg_range", v, [-11], [-10], [1], shrink_axis_mask=1, fail=True)
    ss("stridedslice_err_lengths", x, [0, 0], [1], [1], fail=True)
    ss("stridedslice_err_two_ellipses", x, [0, 0], [0, 0], [1, 1], ellipsis_mask=3, fail=True)
    ss("stridedslice_err_too_many", v, [0, 0], [1, 1], [1, 1], fail=True)
    ss("stridedslice_err_matrix_begin", v, [[0]], [[1]], [[1]], fail=True)
    ss("stridedslice_err_scalar_shrink", np.float32(1), [0], [1], [1], shrink_axis_mask=1, fail=True)
    ss("stridedslice_err_shrink_negative_stride", v, [3], [2], [-1], shrink_axis_mask=1, fail=True)
    ss("stridedslice_shrink_then_new_axes", x, [1, 0, 0, 0], [2, 0, 0, 0], [1, 1, 1, 1], shrink_axis_mask=1,
       new_axis_mask=10, grad=True)
    ss("stridedslice_ellipsis_new_after", x, [0, 0, 1], [0, 0, 3], [1, 1, 1], ellipsis_mask=1, new_axis_mask=2, grad=True)
    c.err("stridedslicegrad_err_dy_shape", "StridedSliceGrad",
          [np.array([2, 3, 4], np.int32), np.array([0, 1, 1], np.int32), np.array([2, 3, 3], np.int32),
           np.array([1, 1, 1], np.int32), rnd(rng, [2, 2, 3])],
          {"T": ty("float32"), "Index": ty("int32"), **{m: i(0) for m in masks}})


def _transpose_range_pad(c, rng):
    def transpose(name, x, perm, tp="int32", fail=False):
        dt = "string" if x.dtype == object else str(x.dtype)
        args = (name, "Transpose", [x, np.array(perm, dtype=tp)], {"T": ty(dt), "Tperm": ty(tp)})
        c.err(*args) if fail else c.ok(*args)

    transpose("transpose_2d", rnd(rng, [2, 3]), [1, 0])
    transpose("transpose_3d_201", rnd(rng, [2, 3, 4]), [2, 0, 1])
    transpose("transpose_3d_021_int64", rnd(rng, [2, 3, 4], "int64"), [0, 2, 1], "int64")
    transpose("transpose_4d", rnd(rng, [2, 3, 2, 3]), [3, 1, 0, 2])
    transpose("transpose_identity", rnd(rng, [3, 2], "int32"), [0, 1])
    transpose("transpose_scalar", rnd(rng, []), np.zeros([0], np.int32))
    transpose("transpose_empty", rnd(rng, [0, 3]), [1, 0])
    transpose("transpose_string", rnd(rng, [2, 2], "string"), [1, 0])
    transpose("transpose_bool", rnd(rng, [1, 3], "bool"), [1, 0])
    transpose("transpose_large", rnd(rng, [33, 47]), [1, 0])
    transpose("transpose_err_len", rnd(rng, [2, 3]), [1, 0, 2], fail=True)
    transpose("transpose_err_dup", rnd(rng, [2, 3]), [1, 1], fail=True)
    transpose("transpose_err_range", rnd(rng, [2, 3]), [0, 2], fail=True)
    transpose("transpose_err_matrix", rnd(rng, [2, 3]), [[1, 0]], fail=True)
    transpose("transpose_negative_perm", rnd(rng, [2, 3]), [-1, 0])
    transpose("transpose_negative_identity", rnd(rng, [2, 3], "int32"), [0, -1])
    transpose("transpose_err_negative_range", rnd(rng, [2, 3]), [-3, 0], fail=True)
    transpose("transpose_err_negative_dup", rnd(rng, [2, 3]), [-1, -1], fail=True)
    transpose("transpose_nhwc_to_nchw", rnd(rng, [2, 3, 4, 5]), [0, 3, 1, 2])
    transpose("transpose_nchw_to_nhwc_int64", rnd(rng, [2, 5, 3, 4], "int64"), [0, 2, 3, 1])
    transpose("transpose_batched_matrices", rnd(rng, [3, 40, 37]), [0, 2, 1])
    transpose("transpose_unit_dims", rnd(rng, [1, 5, 1, 3]), [3, 2, 1, 0])
    for name, perm, dt, fail in [("invertpermutation_int32", [2, 0, 3, 1], "int32", False),
                                 ("invertpermutation_int64", [0, 1], "int64", False),
                                 ("invertpermutation_empty", np.zeros([0], np.int32), "int32", False),
                                 ("invertpermutation_err_range", [0, 3], "int32", True),
                                 ("invertpermutation_err_dup", [1, 1], "int32", True),
                                 ("invertpermutation_err_rank", [[0]], "int32", True)]:
        args = (name, "InvertPermutation", [np.array(perm, dtype=dt)], {"T": ty(dt)})
        c.err(*args) if fail else c.ok(*args)

    def rng_op(name, start, limit, delta, dt, fail=False):
        args = (name, "Range", [np.array(start, dt), np.array(limit, dt), np.array(delta, dt)], {"Tidx": ty(dt)})
        c.err(*args) if fail else c.ok(*args)

    rng_op("range_int32", 0, 10, 3, "int32")
    rng_op("range_int32_neg", 10, 0, -3, "int32")
    rng_op("range_int64", -5, 5, 2, "int64")
    rng_op("range_float", 0, 1, 0.25, "float32")
    rng_op("range_float_inexact", 0.5, 2.1, 0.3, "float32")
    rng_op("range_double_neg", 1, -1, -0.5, "float64")
    rng_op("range_empty", 5, 5, 1, "int32")
    rng_op("range_err_delta_zero", 0, 5, 0, "int32", fail=True)
    rng_op("range_err_direction", 5, 0, 1, "int32", fail=True)
    rng_op("range_err_direction_neg", 0, 5, -1, "int64", fail=True)
    rng_op("range_vector1_start", [1], 3, 1, "int32")
    rng_op("range_double_big_step", 0, 10, 20, "float64")
    c.err("range_err_not_scalar", "Range", [np.array([0, 1], np.int32), np.array(5, np.int32), np.array(1, np.int32)],
          {"Tidx": ty("int32")})

    def pad(name, x, paddings, tp="int32", value=None, fail=False):
        dt = "string" if x.dtype == object else str(x.dtype)
        ins = [x, np.array(paddings, dtype=tp)]
        op = "Pad"
        if value is not None:
            op = "PadV2"
            ins.append(np.array(value, dtype=dt))
        args = (name, op, ins, {"T": ty(dt), "Tpaddings": ty(tp)})
        c.err(*args) if fail else c.ok(*args)

    pad("pad_2d", rnd(rng, [2, 3]), [[1, 2], [0, 1]])
    pad("pad_3d_int64", rnd(rng, [2, 1, 2], "int32"), [[0, 0], [2, 1], [1, 0]], "int64")
    pad("pad_zero", rnd(rng, [2, 2]), [[0, 0], [0, 0]])
    pad("pad_scalar", rnd(rng, []), np.zeros([0, 2], np.int32))
    pad("pad_empty_input", rnd(rng, [0, 2]), [[1, 1], [0, 0]])
    pad("pad_vector_double", rnd(rng, [3], "float64"), [[2, 3]])
    pad("padv2_value", rnd(rng, [2, 2]), [[1, 0], [0, 2]], value=-1.5)
    pad("padv2_int_value", rnd(rng, [3], "int64"), [[1, 1]], value=9)
    pad("pad_err_negative", rnd(rng, [2, 3]), [[-1, 0], [0, 0]], fail=True)
    pad("pad_err_shape", rnd(rng, [2, 3]), [[1, 0]], fail=True)
    pad("pad_err_cols", rnd(rng, [2]), [[1, 0, 1]], fail=True)
    pad("padv2_err_value", rnd(rng, [2]), [[1, 0]], value=[1.0, 2.0], fail=True)


def main():
    rng = np.random.default_rng(20260101)
    c = Cases()
    add_array_cases(c, rng)
    write_cases("crates/kernels/testdata/array.json", c.cases, "tools/oracle/array_cases.py")


if __name__ == "__main__":
    main()
