#!/usr/bin/env python3
"""Oracle cases for ferroflow's TensorList, TensorArray, Stack and Optional kernels (and ZerosLike /
AddN of their variants), computed by stock TensorFlow 2.21.

Run with the TF virtualenv:

    ~/.cache/ferroflow/tfvenv-2.21/bin/python tools/oracle/list_cases.py

It writes crates/kernels/testdata/lists.json. These ops pass lists, optionals and resource handles
between them, so each case is a small program: a few nodes built with `tf.raw_ops` in a TF1-style
graph, run once in a `Session` with Grappler and the classic optimizer off. Every literal input is
a placeholder of unknown shape, fed at run time, so graph construction checks nothing and every
error comes from TF's CPU kernels. The node attributes in the file are read back from the nodes TF
built (so they are exactly what TF's Python layer puts in a graph).

Case schema (the file holds {"generator", "tf_version", "cases": [...]}):

    {"name": str,
     "feeds": [TENSOR...],
     "nodes": [{"name": str, "op": str, "attrs": {attr: ATTR}, "inputs": [REF...]}...]
               (in an order that runs: every input is a feed or an earlier node),
     "fetch": [REF...],
     then either "outputs": [TENSOR...]
     or "error": {"code": "INVALID_ARGUMENT", "message": TF's message without node context,
                  "node": the node that failed}}

    REF    = "feed:K" | "NODE:OUTPUT" | "^NODE" (a control input)
    ATTR   = {"type": "float32"} | {"b": bool} | {"i": int} | {"f": float} | {"s": str}
             | {"shape": [dims, -1 unknown] or null (unknown rank)} | {"list_type": [...]}
             | {"list_shape": [shape...]} | {"list_i": [...]}
    TENSOR = {"dtype": "float32", "shape": [2, 2], "values": [flat row-major values]}
"""

import os
import re
import sys

sys.path.insert(0, os.path.dirname(__file__))

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from tensorflow.python.framework import op_def_registry  # noqa: E402
from tensorflow.python.client import pywrap_tf_session  # noqa: E402
from tensorflow.python.ops import handle_data_util  # noqa: E402

from array_cases import _CODE_NAMES, _as_array, _session_config, tensor_json, write_cases  # noqa: E402

F32, I32, I64 = np.float32, np.int32, np.int64
UNKNOWN = np.array(-1, I32)  # the element_shape "unknown rank"


def forget_handle_data(t):
    """Clears what shape inference knows of the list or optional `t` holds."""
    empty = handle_data_util.cpp_shape_inference_pb2.CppShapeInferenceResult.HandleData(is_set=True)
    with t.graph._c_graph.get() as c_graph:
        pywrap_tf_session.SetHandleShapeAndType(c_graph, t._as_tf_output(), empty.SerializeToString())


def shape_json(s):
    if s.unknown_rank:
        return None
    return [int(d.size) for d in s.dim]


def attr_json(v):
    kind = v.WhichOneof("value")
    if kind == "type":
        return {"type": tf.as_dtype(v.type).name}
    if kind in ("b", "i"):
        return {kind: getattr(v, kind)}
    if kind == "f":
        return {"f": float(v.f)}
    if kind == "s":
        return {"s": v.s.decode()}
    if kind == "shape":
        return {"shape": shape_json(v.shape)}
    if kind == "list":
        if v.list.type:
            return {"list_type": [tf.as_dtype(t).name for t in v.list.type]}
        if v.list.shape:
            return {"list_shape": [shape_json(s) for s in v.list.shape]}
        return {"list_i": list(v.list.i)}
    raise SystemExit("attr kind %s not handled" % kind)


class Prog:
    """A program under construction: `op` adds a node whose inputs are literals (fed) or outputs
    of earlier nodes (`tf.Tensor`s it returned)."""

    def __init__(self, name):
        self.name = name
        self.g = tf.Graph()
        self.feeds = []
        self.feed_values = {}
        self.refs = {}
        self.nodes = []
        self.ops = []

    def _input(self, x):
        if isinstance(x, (tf.Tensor, tf.Operation)):
            return x
        a = _as_array(x)
        k = len(self.feeds)
        dt = tf.string if a.dtype == object else tf.as_dtype(a.dtype)
        p = tf.compat.v1.placeholder(dt, shape=None, name="feed%d" % k)
        self.feeds.append(tensor_json(a))
        self.feed_values[p] = a
        self.refs[p.name] = "feed:%d" % k
        return p

    def op(self, op, name, after=(), **kw):
        """Adds node `name` running `op`; `after` are nodes it must run after (control inputs)."""
        input_names = {a.name for a in op_def_registry.get(op).input_arg}
        with self.g.as_default(), self.g.control_dependencies(list(after)):
            args = {}
            for k, v in kw.items():
                if k in input_names:
                    args[k] = [self._input(x) for x in v] if isinstance(v, list) else self._input(v)
                else:
                    args[k] = v
            getattr(tf.raw_ops, op)(name=name, **args)
            o = self.g.get_operation_by_name(name)
        inputs = [self.refs[t.name] for t in o.inputs] + ["^" + c.name for c in o.control_inputs]
        attrs = {k: attr_json(v) for k, v in sorted(o.node_def.attr.items()) if not k.startswith("_")}
        self.nodes.append({"name": name, "op": op, "attrs": attrs, "inputs": inputs})
        for k, t in enumerate(o.outputs):
            self.refs[t.name] = "%s:%d" % (name, k)
            if t.dtype == tf.variant:
                # Forget what shape inference knows of the list, so that mismatches reach TF's kernels.
                forget_handle_data(t)
        self.ops.append(o)
        outs = o.outputs
        if not outs:
            return o
        return outs[0] if len(outs) == 1 else list(outs)

    def run(self, fetch, expect_error):
        fetch = list(fetch)
        consumed = {t.op.name for o in self.ops for t in o.inputs} | {c.name for o in self.ops for c in o.control_inputs}
        fetched = {t.op.name for t in fetch}
        targets = [o for o in self.ops if o.name not in consumed and o.name not in fetched]
        case = {"name": self.name, "feeds": self.feeds, "nodes": self.nodes, "fetch": [self.refs[t.name] for t in fetch]}
        with tf.compat.v1.Session(graph=self.g, config=_session_config()) as sess:
            try:
                outs = sess.run([fetch, targets], self.feed_values)[0]
                case["outputs"] = [tensor_json(x) for x in outs]
            except tf.errors.OpError as e:
                msg = e.message
                m = re.search(r"\nNode: '([^']*)'\n(.*)$", msg, re.S)
                node = e.op.name if e.op is not None else None
                if m:
                    node, msg = m.group(1), m.group(2)
                at = msg.find("\n\t [[{{node ")
                if at >= 0:
                    node = node or re.match(r"\n\t \[\[\{\{node ([^}]*)\}", msg[at:]).group(1)
                    msg = msg[:at]
                for o in self.ops:
                    if o.type in ("TensorArrayV3", "StackV2"):
                        # Names TF makes unique with a process-wide counter: written as NAME_#.
                        msg = re.sub(re.escape(o.name) + r"_\d+", o.name + "_#", msg)
                case["error"] = {"code": _CODE_NAMES.get(e.error_code, str(e.error_code)), "message": msg, "node": node}
        if ("error" in case) != expect_error:
            raise SystemExit("case %s: expected %s, got %s" % (
                self.name, "an error" if expect_error else "success", case.get("error") or "success"))
        return case


CASES = []


def case(expect_error=False):
    """Registers a case function `fn(p) -> fetches`, run as a program named after it."""
    def wrap(fn):
        def make():
            p = Prog(fn.__name__)
            print("case", fn.__name__, file=sys.stderr, flush=True)
            CASES.append(p.run(fn(p) or [], expect_error))
        make.__name__ = fn.__name__
        BUILDERS.append(make)
        return fn
    return wrap


BUILDERS = []
ok = case(False)
err = case(True)


def vals(shape, dtype=F32, start=1):
    n = int(np.prod(shape))
    if dtype == bool:
        return (np.arange(n) % 3 == 0).reshape(shape)
    if dtype == "string":
        return np.array(["s%d" % (start + k) for k in range(n)], dtype=object).reshape(shape)
    return (np.arange(n) + start).astype(dtype).reshape(shape) * (np.array(0.5, dtype) if dtype in (F32, np.float64) else 1)


def from_tensor(p, name, t, element_shape=UNKNOWN):
    return p.op("TensorListFromTensor", name, tensor=t, element_shape=element_shape)


# ---- TensorList: building, reading, length and element shape ----------------------------------

for _dt, _tag in [(F32, "float"), (I32, "int32"), (I64, "int64"), (np.float64, "double"), (bool, "bool"),
                  ("string", "string"), (np.uint8, "uint8")]:
    def _push_and_read(p, dt=_dt):
        tfdt = tf.string if dt == "string" else tf.as_dtype(dt)
        l0 = p.op("EmptyTensorList", "l0", element_shape=np.array([2], I32), max_num_elements=np.array(-1, I32),
                  element_dtype=tfdt)
        l1 = p.op("TensorListPushBack", "l1", input_handle=l0, tensor=vals([2], dt, 1))
        l2 = p.op("TensorListPushBack", "l2", input_handle=l1, tensor=vals([2], dt, 3))
        l3 = p.op("TensorListPushBack", "l3", input_handle=l2, tensor=vals([2], dt, 5))
        st = p.op("TensorListStack", "stack", input_handle=l3, element_shape=np.array([2], I32), element_dtype=tfdt)
        n = p.op("TensorListLength", "len", input_handle=l3)
        it = p.op("TensorListGetItem", "get", input_handle=l3, index=np.array(1, I32),
                  element_shape=np.array([-1], I32), element_dtype=tfdt)
        l4, last = p.op("TensorListPopBack", "pop", input_handle=l3, element_shape=UNKNOWN, element_dtype=tfdt)
        n4 = p.op("TensorListLength", "len4", input_handle=l4)
        es = p.op("TensorListElementShape", "es", input_handle=l3, shape_type=tf.int64)
        return [st, n, it, last, n4, es]
    _push_and_read.__name__ = "push_stack_get_pop_" + _tag
    ok(_push_and_read)


@ok
def element_shape_forms(p):
    lists = [("unknown", UNKNOWN), ("partial", np.array([-1, 3], I32)), ("full64", np.array([2, 3], I64)),
             ("scalar_elems", np.zeros([0], I32)), ("unknown64", np.array(-1, I64))]
    out = []
    for tag, es in lists:
        l = p.op("EmptyTensorList", "l_" + tag, element_shape=es, max_num_elements=np.array(5, I32), element_dtype=tf.float32)
        out.append(p.op("TensorListElementShape", "es32_" + tag, input_handle=l, shape_type=tf.int32))
        out.append(p.op("TensorListElementShape", "es64_" + tag, input_handle=l, shape_type=tf.int64))
    return out


@err
def element_shape_scalar_other_than_minus_one(p):
    p.op("EmptyTensorList", "l", element_shape=np.array(3, I32), max_num_elements=np.array(-1, I32), element_dtype=tf.float32)


@err
def element_shape_dim_below_minus_one(p):
    p.op("TensorListReserve", "l", element_shape=np.array([2, -2], I32), num_elements=np.array(2, I32),
         element_dtype=tf.float32)


@err
def element_shape_not_a_vector(p):
    p.op("TensorListFromTensor", "l", tensor=vals([2, 2]), element_shape=np.array([[2]], I32))


@err
def max_num_elements_not_scalar(p):
    p.op("EmptyTensorList", "l", element_shape=UNKNOWN, max_num_elements=np.array([3], I32), element_dtype=tf.float32)


@err
def push_into_full_list(p):
    l = p.op("EmptyTensorList", "l", element_shape=UNKNOWN, max_num_elements=np.array(1, I32), element_dtype=tf.float32)
    l = p.op("TensorListPushBack", "p1", input_handle=l, tensor=vals([3]))
    p.op("TensorListPushBack", "p2", input_handle=l, tensor=vals([3]))


@err
def push_wrong_dtype(p):
    l = p.op("EmptyTensorList", "l", element_shape=UNKNOWN, max_num_elements=np.array(-1, I32), element_dtype=tf.float32)
    p.op("TensorListPushBack", "push", input_handle=l, tensor=vals([3], I32))


@err
def push_incompatible_shape(p):
    l = p.op("EmptyTensorList", "l", element_shape=np.array([-1, 2], I32), max_num_elements=np.array(-1, I32),
             element_dtype=tf.float32)
    p.op("TensorListPushBack", "push", input_handle=l, tensor=vals([2, 3]))


@err
def list_input_not_a_scalar(p):
    l = p.op("EmptyTensorList", "l", element_shape=UNKNOWN, max_num_elements=np.array(-1, I32), element_dtype=tf.float32)
    l = p.op("TensorListPushBack", "push", input_handle=l, tensor=vals([3]))
    lists = p.op("TensorListFromTensor", "ll", tensor=p.op("Pack", "pack", values=[l, l]), element_shape=UNKNOWN)
    batch = p.op("TensorListStack", "batch", input_handle=lists, element_shape=UNKNOWN, element_dtype=tf.variant)
    p.op("TensorListLength", "len", input_handle=batch)


@err
def list_input_not_a_list(p):
    o = p.op("OptionalFromValue", "opt", components=[vals([2])])
    p.op("TensorListLength", "len", input_handle=o)


# ---- Reserve, SetItem, GetItem, uninitialized elements ----------------------------------------

@ok
def reserve_set_get_with_uninitialized(p):
    l = p.op("TensorListReserve", "l", element_shape=np.array([2], I32), num_elements=np.array(4, I32), element_dtype=tf.float32)
    l = p.op("TensorListSetItem", "set1", input_handle=l, index=np.array(1, I32), item=vals([2], F32, 7))
    l = p.op("TensorListSetItem", "set3", input_handle=l, index=np.array(3, I32), item=vals([2], F32, 9))
    g0 = p.op("TensorListGetItem", "get0", input_handle=l, index=np.array(0, I32), element_shape=UNKNOWN, element_dtype=tf.float32)
    g1 = p.op("TensorListGetItem", "get1", input_handle=l, index=np.array(1, I32), element_shape=UNKNOWN, element_dtype=tf.float32)
    st = p.op("TensorListStack", "stack", input_handle=l, element_shape=UNKNOWN, element_dtype=tf.float32)
    n = p.op("TensorListLength", "len", input_handle=l)
    return [g0, g1, st, n]


@ok
def uninitialized_shape_inferred_from_other_elements(p):
    l = p.op("TensorListReserve", "l", element_shape=UNKNOWN, num_elements=np.array(3, I32), element_dtype=tf.int32)
    l = p.op("TensorListSetItem", "set", input_handle=l, index=np.array(2, I32), item=vals([2, 2], I32))
    g = p.op("TensorListGetItem", "get", input_handle=l, index=np.array(0, I32), element_shape=UNKNOWN, element_dtype=tf.int32)
    gs = p.op("TensorListGetItem", "get_shaped", input_handle=l, index=np.array(1, I32),
              element_shape=np.array([-1, 2], I64), element_dtype=tf.int32)
    st = p.op("TensorListStack", "stack", input_handle=l, element_shape=UNKNOWN, element_dtype=tf.int32)
    return [g, gs, st]


@err
def get_uninitialized_without_shape(p):
    l = p.op("TensorListReserve", "l", element_shape=UNKNOWN, num_elements=np.array(3, I32), element_dtype=tf.float32)
    p.op("TensorListGetItem", "get", input_handle=l, index=np.array(0, I32), element_shape=UNKNOWN, element_dtype=tf.float32)


@err
def get_uninitialized_partial_shape(p):
    l = p.op("TensorListReserve", "l", element_shape=np.array([-1, 2], I32), num_elements=np.array(3, I32), element_dtype=tf.float32)
    p.op("TensorListGetItem", "get", input_handle=l, index=np.array(0, I32), element_shape=np.array([-1, -1], I32),
         element_dtype=tf.float32)


@err
def get_item_shape_conflicts_with_list(p):
    l = p.op("TensorListReserve", "l", element_shape=np.array([-1, 2], I32), num_elements=np.array(3, I32), element_dtype=tf.float32)
    p.op("TensorListGetItem", "get", input_handle=l, index=np.array(0, I32), element_shape=np.array([1, 3], I32),
         element_dtype=tf.float32)


@err
def get_item_out_of_range(p):
    l = from_tensor(p, "l", vals([3, 2]))
    p.op("TensorListGetItem", "get", input_handle=l, index=np.array(3, I32), element_shape=UNKNOWN, element_dtype=tf.float32)


@err
def get_item_negative_index(p):
    l = from_tensor(p, "l", vals([3, 2]))
    p.op("TensorListGetItem", "get", input_handle=l, index=np.array(-1, I32), element_shape=UNKNOWN, element_dtype=tf.float32)


@err
def get_item_wrong_dtype(p):
    l = from_tensor(p, "l", vals([3, 2]))
    p.op("TensorListGetItem", "get", input_handle=l, index=np.array(0, I32), element_shape=UNKNOWN, element_dtype=tf.int32)


@err
def set_item_out_of_range(p):
    l = p.op("TensorListReserve", "l", element_shape=UNKNOWN, num_elements=np.array(2, I32), element_dtype=tf.float32)
    p.op("TensorListSetItem", "set", input_handle=l, index=np.array(2, I32), item=vals([2]))


@err
def set_item_negative_index(p):
    l = p.op("TensorListReserve", "l", element_shape=UNKNOWN, num_elements=np.array(2, I32), element_dtype=tf.float32)
    p.op("TensorListSetItem", "set", input_handle=l, index=np.array(-1, I32), item=vals([2]))


@err
def set_item_incompatible_shape(p):
    l = p.op("TensorListReserve", "l", element_shape=np.array([3], I32), num_elements=np.array(2, I32), element_dtype=tf.float32)
    p.op("TensorListSetItem", "set", input_handle=l, index=np.array(0, I32), item=vals([2]))


@err
def set_item_wrong_dtype(p):
    l = p.op("TensorListReserve", "l", element_shape=UNKNOWN, num_elements=np.array(2, I32), element_dtype=tf.float32)
    p.op("TensorListSetItem", "set", input_handle=l, index=np.array(0, I32), item=vals([2], I32))


@ok
def set_item_resizes_when_asked(p):
    l = p.op("TensorListReserve", "l", element_shape=UNKNOWN, num_elements=np.array(1, I32), element_dtype=tf.float32)
    l = p.op("TensorListSetItem", "set", input_handle=l, index=np.array(3, I32), item=vals([2]),
             resize_if_index_out_of_bounds=True)
    n = p.op("TensorListLength", "len", input_handle=l)
    st = p.op("TensorListStack", "stack", input_handle=l, element_shape=np.array([2], I32), element_dtype=tf.float32)
    return [n, st]


@err
def reserve_negative(p):
    p.op("TensorListReserve", "l", element_shape=UNKNOWN, num_elements=np.array(-1, I32), element_dtype=tf.float32)


@ok
def reserve_zero_and_stack_fully_defined(p):
    l = p.op("TensorListReserve", "l", element_shape=np.array([2, 3], I32), num_elements=np.array(0, I32), element_dtype=tf.float64)
    return [p.op("TensorListStack", "stack", input_handle=l, element_shape=UNKNOWN, element_dtype=tf.float64)]


# ---- Stack, PopBack ----------------------------------------------------------------------------

@err
def stack_empty_list_undefined_shape(p):
    l = p.op("EmptyTensorList", "l", element_shape=np.array([-1], I32), max_num_elements=np.array(-1, I32), element_dtype=tf.float32)
    p.op("TensorListStack", "stack", input_handle=l, element_shape=UNKNOWN, element_dtype=tf.float32)


@ok
def stack_empty_list_shape_from_input(p):
    l = p.op("EmptyTensorList", "l", element_shape=np.array([-1], I32), max_num_elements=np.array(-1, I32), element_dtype=tf.float32)
    return [p.op("TensorListStack", "stack", input_handle=l, element_shape=np.array([4], I32), element_dtype=tf.float32)]


@err
def stack_only_uninitialized_undefined_shape(p):
    l = p.op("TensorListReserve", "l", element_shape=UNKNOWN, num_elements=np.array(2, I32), element_dtype=tf.float32)
    p.op("TensorListStack", "stack", input_handle=l, element_shape=UNKNOWN, element_dtype=tf.float32)


@err
def stack_num_elements_mismatch(p):
    l = from_tensor(p, "l", vals([3, 2]))
    p.op("TensorListStack", "stack", input_handle=l, element_shape=UNKNOWN, element_dtype=tf.float32, num_elements=2)


@err
def stack_mixed_shapes(p):
    l = p.op("EmptyTensorList", "l", element_shape=UNKNOWN, max_num_elements=np.array(-1, I32), element_dtype=tf.float32)
    l = p.op("TensorListPushBack", "p1", input_handle=l, tensor=vals([2]))
    l = p.op("TensorListPushBack", "p2", input_handle=l, tensor=vals([3]))
    p.op("TensorListStack", "stack", input_handle=l, element_shape=UNKNOWN, element_dtype=tf.float32)


@err
def stack_wrong_dtype(p):
    l = from_tensor(p, "l", vals([3, 2]))
    p.op("TensorListStack", "stack", input_handle=l, element_shape=UNKNOWN, element_dtype=tf.float64)


@ok
def stack_zero_size_elements(p):
    l = from_tensor(p, "l", vals([3, 0, 2]))
    return [p.op("TensorListStack", "stack", input_handle=l, element_shape=UNKNOWN, element_dtype=tf.float32)]


@err
def pop_from_empty_list(p):
    l = p.op("EmptyTensorList", "l", element_shape=UNKNOWN, max_num_elements=np.array(-1, I32), element_dtype=tf.float32)
    p.op("TensorListPopBack", "pop", input_handle=l, element_shape=UNKNOWN, element_dtype=tf.float32)


@ok
def pop_uninitialized_with_shape(p):
    l = p.op("TensorListReserve", "l", element_shape=np.array([-1, 2], I32), num_elements=np.array(2, I32), element_dtype=tf.float32)
    l1, t = p.op("TensorListPopBack", "pop", input_handle=l, element_shape=np.array([3, -1], I32), element_dtype=tf.float32)
    return [t, p.op("TensorListLength", "len", input_handle=l1)]


@err
def pop_uninitialized_without_shape(p):
    l = p.op("TensorListReserve", "l", element_shape=UNKNOWN, num_elements=np.array(2, I32), element_dtype=tf.float32)
    p.op("TensorListPopBack", "pop", input_handle=l, element_shape=UNKNOWN, element_dtype=tf.float32)


# ---- FromTensor, Split, Concat -----------------------------------------------------------------

@ok
def from_tensor_round_trips(p):
    out = []
    for k, (sh, dt) in enumerate([([3, 2], F32), ([4], I64), ([2, 2, 2], np.int16), ([0, 3], F32), ([2, 1], "string")]):
        tfdt = tf.string if dt == "string" else tf.as_dtype(dt)
        l = from_tensor(p, "l%d" % k, vals(sh, dt), np.array(sh[1:], I32))
        out.append(p.op("TensorListStack", "stack%d" % k, input_handle=l, element_shape=UNKNOWN, element_dtype=tfdt))
        out.append(p.op("TensorListLength", "len%d" % k, input_handle=l))
    return out


@err
def from_tensor_scalar(p):
    from_tensor(p, "l", np.array(1.0, F32))


@err
def from_tensor_incompatible_shape(p):
    from_tensor(p, "l", vals([3, 2]), np.array([3], I32))


@ok
def split_and_concat(p):
    l = p.op("TensorListSplit", "split", tensor=vals([5, 2]), element_shape=np.array([-1, 2], I32),
             lengths=np.array([2, 0, 3], I64))
    n = p.op("TensorListLength", "len", input_handle=l)
    g2 = p.op("TensorListGetItem", "get2", input_handle=l, index=np.array(2, I32), element_shape=UNKNOWN, element_dtype=tf.float32)
    c, lens = p.op("TensorListConcat", "concat", input_handle=l, element_dtype=tf.float32)
    c2, lens2 = p.op("TensorListConcatV2", "concat2", input_handle=l, element_shape=np.array([-1, 2], I64),
                     leading_dims=np.zeros([0], I64), element_dtype=tf.float32)
    return [n, g2, c, lens, c2, lens2]


@err
def split_lengths_do_not_cover(p):
    p.op("TensorListSplit", "split", tensor=vals([5, 2]), element_shape=UNKNOWN, lengths=np.array([2, 2], I64))


@err
def split_lengths_too_long(p):
    p.op("TensorListSplit", "split", tensor=vals([5, 2]), element_shape=UNKNOWN, lengths=np.array([4, 2], I64))


@err
def split_negative_length(p):
    p.op("TensorListSplit", "split", tensor=vals([5, 2]), element_shape=UNKNOWN, lengths=np.array([6, -1], I64))


@err
def split_scalar_tensor(p):
    p.op("TensorListSplit", "split", tensor=np.array(1.0, F32), element_shape=UNKNOWN, lengths=np.array([1], I64))


@err
def split_scalar_element_shape(p):
    p.op("TensorListSplit", "split", tensor=vals([2, 2]), element_shape=np.zeros([0], I32), lengths=np.array([2], I64))


@err
def split_incompatible_element_shape(p):
    p.op("TensorListSplit", "split", tensor=vals([2, 2]), element_shape=np.array([-1, 3], I32), lengths=np.array([2], I64))


@err
def split_lengths_not_vector(p):
    p.op("TensorListSplit", "split", tensor=vals([2, 2]), element_shape=UNKNOWN, lengths=np.array(2, I64))


@ok
def concat_v2_with_leading_dims_for_uninitialized(p):
    l = p.op("TensorListReserve", "l", element_shape=np.array([-1, 2], I32), num_elements=np.array(3, I32), element_dtype=tf.float32)
    l = p.op("TensorListSetItem", "set", input_handle=l, index=np.array(1, I32), item=vals([2, 2]))
    c, lens = p.op("TensorListConcatV2", "concat", input_handle=l, element_shape=np.array([-1, 2], I32),
                   leading_dims=np.array([1, 5, 3], I64), element_dtype=tf.float32)
    return [c, lens]


@ok
def concat_infers_first_dim_for_uninitialized(p):
    l = p.op("TensorListReserve", "l", element_shape=np.array([-1, 2], I32), num_elements=np.array(3, I32), element_dtype=tf.int32)
    l = p.op("TensorListSetItem", "set0", input_handle=l, index=np.array(0, I32), item=vals([2, 2], I32))
    l = p.op("TensorListSetItem", "set2", input_handle=l, index=np.array(2, I32), item=vals([2, 2], I32, 10))
    c, lens = p.op("TensorListConcatV2", "concat", input_handle=l, element_shape=UNKNOWN,
                   leading_dims=np.zeros([0], I64), element_dtype=tf.int32)
    return [c, lens]


@err
def concat_v1_uninitialized(p):
    l = p.op("TensorListReserve", "l", element_shape=np.array([-1, 2], I32), num_elements=np.array(2, I32), element_dtype=tf.float32)
    l = p.op("TensorListSetItem", "set0", input_handle=l, index=np.array(0, I32), item=vals([2, 2]))
    l = p.op("TensorListSetItem", "set1", input_handle=l, index=np.array(1, I32), item=vals([3, 2]))
    l = p.op("TensorListResize", "grow", input_handle=l, size=np.array(3, I32))
    p.op("TensorListConcat", "concat", input_handle=l, element_dtype=tf.float32)


@err
def concat_leading_dims_too_short(p):
    l = p.op("TensorListReserve", "l", element_shape=np.array([-1, 2], I32), num_elements=np.array(2, I32), element_dtype=tf.float32)
    l = p.op("TensorListSetItem", "set0", input_handle=l, index=np.array(0, I32), item=vals([2, 2]))
    l = p.op("TensorListSetItem", "set1", input_handle=l, index=np.array(1, I32), item=vals([3, 2]))
    l = p.op("TensorListResize", "grow", input_handle=l, size=np.array(3, I32))
    p.op("TensorListConcatV2", "concat", input_handle=l, element_shape=UNKNOWN, leading_dims=np.array([1], I64),
         element_dtype=tf.float32)


@err
def concat_scalars(p):
    l = from_tensor(p, "l", vals([3]))
    p.op("TensorListConcat", "concat", input_handle=l, element_dtype=tf.float32)


@err
def concat_v2_scalar_element_shape(p):
    l = from_tensor(p, "l", vals([3, 1]))
    p.op("TensorListConcatV2", "concat", input_handle=l, element_shape=np.zeros([0], I32), leading_dims=np.zeros([0], I64),
         element_dtype=tf.float32)


@err
def concat_mismatched_inner_dims(p):
    l = p.op("EmptyTensorList", "l", element_shape=UNKNOWN, max_num_elements=np.array(-1, I32), element_dtype=tf.float32)
    l = p.op("TensorListPushBack", "p1", input_handle=l, tensor=vals([1, 2]))
    l = p.op("TensorListPushBack", "p2", input_handle=l, tensor=vals([2, 1]))
    p.op("TensorListConcat", "concat", input_handle=l, element_dtype=tf.float32)


@err
def concat_first_dim_mismatch(p):
    l = p.op("EmptyTensorList", "l", element_shape=UNKNOWN, max_num_elements=np.array(-1, I32), element_dtype=tf.float32)
    l = p.op("TensorListPushBack", "p1", input_handle=l, tensor=vals([1, 2]))
    l = p.op("TensorListPushBack", "p2", input_handle=l, tensor=vals([2, 2]))
    p.op("TensorListConcatV2", "concat", input_handle=l, element_shape=np.array([1, 2], I32), leading_dims=np.zeros([0], I64),
         element_dtype=tf.float32)


@err
def concat_empty_list_undefined_shape(p):
    l = p.op("EmptyTensorList", "l", element_shape=UNKNOWN, max_num_elements=np.array(-1, I32), element_dtype=tf.float32)
    p.op("TensorListConcat", "concat", input_handle=l, element_dtype=tf.float32)


@ok
def concat_empty_list_with_shape_attr(p):
    l = p.op("EmptyTensorList", "l", element_shape=UNKNOWN, max_num_elements=np.array(-1, I32), element_dtype=tf.float32)
    c, lens = p.op("TensorListConcat", "concat", input_handle=l, element_dtype=tf.float32, element_shape=[None, 3])
    return [c, lens]


# ---- Gather, Scatter, Resize, ConcatLists, PushBackBatch ---------------------------------------

@ok
def gather_and_scatter(p):
    l = from_tensor(p, "l", vals([4, 2], I32))
    g = p.op("TensorListGather", "gather", input_handle=l, indices=np.array([3, 0, 3], I32), element_shape=UNKNOWN,
             element_dtype=tf.int32)
    ge = p.op("TensorListGather", "gather_none", input_handle=l, indices=np.zeros([0], I32), element_shape=np.array([2], I32),
              element_dtype=tf.int32)
    s = p.op("TensorListScatter", "scatter", tensor=vals([2, 3]), indices=np.array([4, 1], I32), element_shape=UNKNOWN)
    sn = p.op("TensorListLength", "scatter_len", input_handle=s)
    sg = p.op("TensorListGetItem", "scatter_get", input_handle=s, index=np.array(4, I32), element_shape=UNKNOWN,
              element_dtype=tf.float32)
    s2 = p.op("TensorListScatterV2", "scatter2", tensor=vals([2, 3]), indices=np.array([1, 0], I32),
              element_shape=np.array([3], I64), num_elements=np.array(5, I32))
    s2s = p.op("TensorListStack", "scatter2_stack", input_handle=s2, element_shape=UNKNOWN, element_dtype=tf.float32)
    e = p.op("TensorListScatterIntoExistingList", "into", input_handle=l, tensor=vals([2, 2], I32, 50),
             indices=np.array([5, 1], I32))
    en = p.op("TensorListLength", "into_len", input_handle=e)
    e5 = p.op("TensorListGetItem", "into_get5", input_handle=e, index=np.array(5, I32), element_shape=UNKNOWN,
              element_dtype=tf.int32)
    e1 = p.op("TensorListGetItem", "into_get1", input_handle=e, index=np.array(1, I32), element_shape=UNKNOWN,
              element_dtype=tf.int32)
    e0 = p.op("TensorListGetItem", "into_get0", input_handle=e, index=np.array(0, I32), element_shape=UNKNOWN,
              element_dtype=tf.int32)
    return [g, ge, sn, sg, s2s, en, e5, e1, e0]


@err
def scatter_into_existing_grows_with_empty_floats(p):
    l = from_tensor(p, "l", vals([1, 2], I32))
    e = p.op("TensorListScatterIntoExistingList", "into", input_handle=l, tensor=vals([1, 2], I32, 50), indices=np.array([2], I32))
    p.op("TensorListStack", "into_stack", input_handle=e, element_shape=UNKNOWN, element_dtype=tf.int32)


@err
def gather_out_of_range(p):
    l = from_tensor(p, "l", vals([4, 2], I32))
    p.op("TensorListGather", "gather", input_handle=l, indices=np.array([1, 4], I32), element_shape=UNKNOWN, element_dtype=tf.int32)


@err
def gather_negative_index(p):
    l = from_tensor(p, "l", vals([4, 2], I32))
    p.op("TensorListGather", "gather", input_handle=l, indices=np.array([-1], I32), element_shape=UNKNOWN, element_dtype=tf.int32)


@err
def gather_nothing_undefined_shape(p):
    l = from_tensor(p, "l", vals([4, 2], I32))
    p.op("TensorListGather", "gather", input_handle=l, indices=np.zeros([0], I32), element_shape=UNKNOWN, element_dtype=tf.int32)


@err
def gather_mixed_shapes(p):
    l = p.op("EmptyTensorList", "l", element_shape=UNKNOWN, max_num_elements=np.array(-1, I32), element_dtype=tf.float32)
    l = p.op("TensorListPushBack", "p1", input_handle=l, tensor=vals([1]))
    l = p.op("TensorListPushBack", "p2", input_handle=l, tensor=vals([2]))
    p.op("TensorListGather", "gather", input_handle=l, indices=np.array([0, 1], I32), element_shape=UNKNOWN, element_dtype=tf.float32)


@err
def scatter_negative_index(p):
    p.op("TensorListScatter", "scatter", tensor=vals([2, 3]), indices=np.array([0, -1], I32), element_shape=UNKNOWN)


@err
def scatter_rows_mismatch(p):
    p.op("TensorListScatter", "scatter", tensor=vals([2, 3]), indices=np.array([0, 1, 2], I32), element_shape=UNKNOWN)


@err
def scatter_v2_index_past_num_elements(p):
    p.op("TensorListScatterV2", "scatter", tensor=vals([2, 3]), indices=np.array([0, 5], I32), element_shape=UNKNOWN,
         num_elements=np.array(3, I32))


@err
def scatter_v2_num_elements_below_minus_one(p):
    p.op("TensorListScatterV2", "scatter", tensor=vals([2, 3]), indices=np.array([0, 1], I32), element_shape=UNKNOWN,
         num_elements=np.array(-2, I32))


@err
def scatter_into_existing_wrong_dtype(p):
    l = from_tensor(p, "l", vals([4, 2], I32))
    p.op("TensorListScatterIntoExistingList", "into", input_handle=l, tensor=vals([1, 2]), indices=np.array([0], I32))


# (TensorListScatterIntoExistingList with a negative index aborts TF's process: no oracle case;
# ferroflow's unit tests check it fails cleanly.)


@err
def scatter_into_existing_indices_not_vector(p):
    l = from_tensor(p, "l", vals([4, 2], I32))
    p.op("TensorListScatterIntoExistingList", "into", input_handle=l, tensor=vals([1, 2], I32), indices=np.array([[0]], I32))


@ok
def resize_grows_and_shrinks(p):
    l = from_tensor(p, "l", vals([3, 2]))
    big = p.op("TensorListResize", "grow", input_handle=l, size=np.array(5, I32))
    small = p.op("TensorListResize", "shrink", input_handle=l, size=np.array(1, I32))
    return [p.op("TensorListLength", "big_len", input_handle=big),
            p.op("TensorListStack", "big", input_handle=big, element_shape=np.array([2], I32), element_dtype=tf.float32),
            p.op("TensorListStack", "small", input_handle=small, element_shape=UNKNOWN, element_dtype=tf.float32)]


@err
def resize_negative(p):
    l = from_tensor(p, "l", vals([3, 2]))
    p.op("TensorListResize", "resize", input_handle=l, size=np.array(-1, I32))


def _batch_of_lists(p, prefix, parts, dtype=F32, element_shape=UNKNOWN):
    """A vector of lists: lists pushed into a list of lists, stacked (variant elements)."""
    outer = p.op("EmptyTensorList", prefix + "outer", element_shape=np.zeros([0], I32), max_num_elements=np.array(-1, I32),
                 element_dtype=tf.variant)
    for k, items in enumerate(parts):
        inner = p.op("EmptyTensorList", "%sl%d" % (prefix, k), element_shape=element_shape, max_num_elements=np.array(-1, I32),
                     element_dtype=tf.as_dtype(dtype))
        for j, t in enumerate(items):
            inner = p.op("TensorListPushBack", "%sl%d_%d" % (prefix, k, j), input_handle=inner, tensor=t)
        outer = p.op("TensorListPushBack", "%souter%d" % (prefix, k), input_handle=outer, tensor=inner)
    return p.op("TensorListStack", prefix + "batch", input_handle=outer, element_shape=np.zeros([0], I32),
                element_dtype=tf.variant)


def _unbatch(p, prefix, batch, n, dtype=tf.float32):
    outer = p.op("TensorListFromTensor", prefix + "unbatch", tensor=batch, element_shape=np.zeros([0], I32))
    out = []
    for k in range(n):
        inner = p.op("TensorListGetItem", "%sget%d" % (prefix, k), input_handle=outer, index=np.array(k, I32),
                     element_shape=np.zeros([0], I32), element_dtype=tf.variant)
        out.append(p.op("TensorListStack", "%sstack%d" % (prefix, k), input_handle=inner, element_shape=UNKNOWN, element_dtype=dtype))
    return out


@ok
def lists_of_lists_push_back_batch_and_concat_lists(p):
    a = _batch_of_lists(p, "a_", [[vals([2])], [vals([2], F32, 5), vals([2], F32, 7)]])
    b = _batch_of_lists(p, "b_", [[vals([2], F32, 20)], []])
    pushed = p.op("TensorListPushBackBatch", "pushed", input_handles=a, tensor=vals([2, 2], F32, 30))
    joined = p.op("TensorListConcatLists", "joined", input_a=a, input_b=b, element_dtype=tf.float32)
    return _unbatch(p, "p_", pushed, 2) + _unbatch(p, "j_", joined, 2)


@err
def push_back_batch_size_mismatch(p):
    a = _batch_of_lists(p, "a_", [[vals([2])], [vals([2])]])
    p.op("TensorListPushBackBatch", "pushed", input_handles=a, tensor=vals([3, 2]))


@err
def push_back_batch_scalar_tensor(p):
    a = _batch_of_lists(p, "a_", [[vals([2])]])
    p.op("TensorListPushBackBatch", "pushed", input_handles=a, tensor=np.array(1.0, F32))


@err
def concat_lists_shapes_not_identical(p):
    a = _batch_of_lists(p, "a_", [[vals([2])]], element_shape=np.array([2], I32))
    b = _batch_of_lists(p, "b_", [[vals([2])]])
    p.op("TensorListConcatLists", "joined", input_a=a, input_b=b, element_dtype=tf.float32)


@err
def concat_lists_wrong_dtype(p):
    a = _batch_of_lists(p, "a_", [[vals([2])]])
    b = _batch_of_lists(p, "b_", [[vals([2])]])
    p.op("TensorListConcatLists", "joined", input_a=a, input_b=b, element_dtype=tf.int32)


# ---- ZerosLike and AddN of lists (gradient accumulation) ---------------------------------------

@ok
def zeros_like_and_add_n_of_lists(p):
    a = p.op("TensorListReserve", "a", element_shape=np.array([2], I32), num_elements=np.array(3, I32), element_dtype=tf.float32)
    a = p.op("TensorListSetItem", "a0", input_handle=a, index=np.array(0, I32), item=vals([2]))
    a = p.op("TensorListSetItem", "a1", input_handle=a, index=np.array(1, I32), item=vals([2], F32, 3))
    b = p.op("TensorListReserve", "b", element_shape=np.array([-1], I32), num_elements=np.array(3, I32), element_dtype=tf.float32)
    b = p.op("TensorListSetItem", "b1", input_handle=b, index=np.array(1, I32), item=vals([2], F32, 10))
    b = p.op("TensorListSetItem", "b2", input_handle=b, index=np.array(2, I32), item=vals([2], F32, 20))
    z = p.op("ZerosLike", "zeros", x=a)
    s = p.op("AddN", "sum", inputs=[a, b, z])
    return [p.op("TensorListStack", "zeros_stack", input_handle=z, element_shape=UNKNOWN, element_dtype=tf.float32),
            p.op("TensorListLength", "zeros_len", input_handle=p.op("ZerosLike", "zeros_of_reserved", x=b)),
            p.op("TensorListStack", "sum_stack", input_handle=s, element_shape=UNKNOWN, element_dtype=tf.float32),
            p.op("TensorListElementShape", "sum_shape", input_handle=s, shape_type=tf.int32)]


@ok
def add_n_of_one_list_and_of_nested_lists(p):
    a = from_tensor(p, "a", vals([2, 2], I32))
    one = p.op("AddN", "one", inputs=[a])
    batch = _batch_of_lists(p, "n_", [[vals([1], I64)], [vals([1], I64, 4)]], dtype=I64)
    nested = p.op("TensorListFromTensor", "nested", tensor=batch, element_shape=np.zeros([0], I32))
    twice = p.op("AddN", "twice", inputs=[nested, nested])
    zeros = p.op("ZerosLike", "nested_zeros", x=nested)
    out = [p.op("TensorListStack", "one_stack", input_handle=one, element_shape=UNKNOWN, element_dtype=tf.int32)]
    for tag, l in (("twice_", twice), ("zeros_", zeros)):
        st = p.op("TensorListStack", tag + "st", input_handle=l, element_shape=np.zeros([0], I32), element_dtype=tf.variant)
        out += _unbatch(p, tag, st, 2, tf.int64)
    return out


@err
def add_n_lists_of_different_lengths(p):
    a = from_tensor(p, "a", vals([2, 2]))
    b = from_tensor(p, "b", vals([3, 2]))
    p.op("AddN", "sum", inputs=[a, b])


@err
def add_n_lists_of_different_dtypes(p):
    a = from_tensor(p, "a", vals([2, 2]))
    b = from_tensor(p, "b", vals([2, 2], np.float64))
    p.op("AddN", "sum", inputs=[a, b])


@err
def add_n_lists_with_incompatible_element_shapes(p):
    a = from_tensor(p, "a", vals([2, 2]), np.array([2], I32))
    b = from_tensor(p, "b", vals([2, 3]), np.array([3], I32))
    p.op("AddN", "sum", inputs=[a, b])


@err
def add_n_lists_with_elements_of_different_shapes(p):
    a = from_tensor(p, "a", vals([2, 2]))
    b = from_tensor(p, "b", vals([2, 3]))
    p.op("AddN", "sum", inputs=[a, b])


@err
def add_n_variant_vectors(p):
    a = _batch_of_lists(p, "a_", [[vals([2])]])
    p.op("AddN", "sum", inputs=[a, a])


@err
def zeros_like_variant_vector(p):
    a = _batch_of_lists(p, "a_", [[vals([2])]])
    p.op("ZerosLike", "zeros", x=a)


# ---- Optionals ---------------------------------------------------------------------------------

@ok
def optionals(p):
    o = p.op("OptionalFromValue", "some", components=[vals([2, 2]), vals([3], I64), np.array(["a", "bc"], dtype=object)])
    none = p.op("OptionalNone", "none")
    v = p.op("OptionalGetValue", "get", optional=o, output_types=[tf.float32, tf.int64, tf.string],
             output_shapes=[[2, 2], [None], [2]])
    z = p.op("ZerosLike", "zeros", x=p.op("OptionalFromValue", "some_numbers_too", components=[vals([2, 2]), vals([3], I64)]))
    zv = p.op("OptionalGetValue", "get_zeros", optional=z, output_types=[tf.float32, tf.int64], output_shapes=[[2, 2], [3]])
    sv = p.op("OptionalGetValue", "get_sum", optional=p.op("OptionalFromValue", "some_numbers", components=[vals([2]), vals([], I32)]),
              output_types=[tf.float32, tf.int32], output_shapes=[[2], []])
    both = p.op("AddN", "sum_numbers", inputs=[p.op("OptionalFromValue", "x", components=[vals([2]), vals([], I32)]),
                                               p.op("OptionalFromValue", "y", components=[vals([2], F32, 4), vals([], I32, 9)])])
    bv = p.op("OptionalGetValue", "get_both", optional=both, output_types=[tf.float32, tf.int32], output_shapes=[[2], []])
    nones = p.op("AddN", "sum_nones", inputs=[none, none])
    return v + zv + sv + bv + [p.op("OptionalHasValue", "has", optional=o), p.op("OptionalHasValue", "has_none", optional=none),
                               p.op("OptionalHasValue", "has_zeros_none", optional=p.op("ZerosLike", "zeros_none", x=none)),
                               p.op("OptionalHasValue", "has_sum_nones", optional=nones)]


@err
def zeros_like_optional_of_strings(p):
    o = p.op("OptionalFromValue", "some", components=[np.array(["a"], dtype=object)])
    p.op("ZerosLike", "zeros", x=o)


@err
def add_n_optionals_of_strings(p):
    o = p.op("OptionalFromValue", "some", components=[np.array(["a"], dtype=object)])
    p.op("AddN", "sum", inputs=[o, o])


@err
def optional_get_value_of_none(p):
    n = p.op("OptionalNone", "none")
    p.op("OptionalGetValue", "get", optional=n, output_types=[tf.float32], output_shapes=[[]])


@err
def optional_get_value_wrong_dtype(p):
    o = p.op("OptionalFromValue", "some", components=[vals([2])])
    p.op("OptionalGetValue", "get", optional=o, output_types=[tf.int32], output_shapes=[[2]])


@err
def optional_get_value_wrong_count(p):
    o = p.op("OptionalFromValue", "some", components=[vals([2])])
    p.op("OptionalGetValue", "get", optional=o, output_types=[tf.float32, tf.float32], output_shapes=[[2], [2]])


@err
def optional_get_value_wrong_shape(p):
    o = p.op("OptionalFromValue", "some", components=[vals([2])])
    p.op("OptionalGetValue", "get", optional=o, output_types=[tf.float32], output_shapes=[[3]])


@err
def optional_has_value_of_a_list(p):
    l = from_tensor(p, "l", vals([2]))
    p.op("OptionalHasValue", "has", optional=l)


@err
def add_n_optional_and_none(p):
    o = p.op("OptionalFromValue", "some", components=[vals([2])])
    n = p.op("OptionalNone", "none")
    p.op("AddN", "sum", inputs=[o, n])


@err
def add_n_optional_and_list(p):
    o = p.op("OptionalFromValue", "some", components=[vals([2])])
    l = from_tensor(p, "l", vals([2]))
    p.op("AddN", "sum", inputs=[o, l])


# ---- TensorArrays (v1 control flow) -------------------------------------------------------------

def ta(p, name, size, dtype=tf.float32, **kw):
    return p.op("TensorArrayV3", name, size=np.array(size, I32), dtype=dtype, **kw)


def write(p, name, handle, index, value, flow):
    return p.op("TensorArrayWriteV3", name, handle=handle, index=np.array(index, I32), value=value, flow_in=flow)


for _dt, _tag in [(F32, "float"), (I32, "int32"), (I64, "int64"), (bool, "bool"), ("string", "string")]:
    def _ta_basic(p, dt=_dt):
        tfdt = tf.string if dt == "string" else tf.as_dtype(dt)
        h, f = ta(p, "ta", 3, tfdt, clear_after_read=False, element_shape=[2])
        for k in range(3):
            f = write(p, "w%d" % k, h, k, vals([2], dt, 1 + 2 * k), f)
        r = p.op("TensorArrayReadV3", "read", handle=h, index=np.array(1, I32), flow_in=f, dtype=tfdt)
        r2 = p.op("TensorArrayReadV3", "read_again", handle=h, index=np.array(1, I32), flow_in=f, dtype=tfdt, after=[r.op])
        g = p.op("TensorArrayGatherV3", "gather", handle=h, indices=np.array([2, 0], I32), flow_in=f, dtype=tfdt,
                 after=[r2.op])
        c, lens = p.op("TensorArrayConcatV3", "concat", handle=h, flow_in=f, dtype=tfdt, after=[g.op])
        n = p.op("TensorArraySizeV3", "size", handle=h, flow_in=f)
        return [r, r2, g, c, lens, n]
    _ta_basic.__name__ = "tensor_array_write_read_gather_concat_" + _tag
    ok(_ta_basic)


@ok
def tensor_array_dynamic_size_and_unwritten_zeros(p):
    h, f = ta(p, "ta", 0, dynamic_size=True, element_shape=[2, 1])
    f = write(p, "w", h, 3, vals([2, 1]), f)
    n = p.op("TensorArraySizeV3", "size", handle=h, flow_in=f)
    r = p.op("TensorArrayReadV3", "read_unwritten", handle=h, index=np.array(1, I32), flow_in=f, dtype=tf.float32, after=[n.op])
    g = p.op("TensorArrayGatherV3", "gather", handle=h, indices=np.array([0, 3], I32), flow_in=f, dtype=tf.float32,
             element_shape=[2, 1], after=[r.op])
    return [n, r, g]


@ok
def tensor_array_scatter_and_split(p):
    h, f = ta(p, "ta", 4, tf.int32)
    f = p.op("TensorArrayScatterV3", "scatter", handle=h, indices=np.array([3, 0], I32), value=vals([2, 3], I32), flow_in=f)
    r3 = p.op("TensorArrayReadV3", "read3", handle=h, index=np.array(3, I32), flow_in=f, dtype=tf.int32)
    r0 = p.op("TensorArrayReadV3", "read0", handle=h, index=np.array(0, I32), flow_in=f, dtype=tf.int32)
    h2, f2 = ta(p, "ta2", 3, tf.float32, clear_after_read=False)
    f2 = p.op("TensorArraySplitV3", "split", handle=h2, value=vals([4, 2]), lengths=np.array([1, 0, 3], I64), flow_in=f2)
    c, lens = p.op("TensorArrayConcatV3", "concat", handle=h2, flow_in=f2, dtype=tf.float32)
    s1 = p.op("TensorArrayReadV3", "split_read1", handle=h2, index=np.array(1, I32), flow_in=f2, dtype=tf.float32, after=[c.op])
    h3, f3 = ta(p, "ta3", 0, tf.float32, dynamic_size=True)
    f3 = p.op("TensorArraySplitV3", "split_grows", handle=h3, value=vals([3, 1]), lengths=np.array([2, 1], I64), flow_in=f3)
    n3 = p.op("TensorArraySizeV3", "size3", handle=h3, flow_in=f3)
    return [r3, r0, c, lens, s1, n3]


@ok
def tensor_array_empty_gather_and_concat_with_shapes(p):
    h, f = ta(p, "ta", 0, element_shape=[3])
    g = p.op("TensorArrayGatherV3", "gather", handle=h, indices=np.zeros([0], I32), flow_in=f, dtype=tf.float32, element_shape=[3])
    c, lens = p.op("TensorArrayConcatV3", "concat", handle=h, flow_in=f, dtype=tf.float32, element_shape_except0=[2])
    return [g, c, lens]


@ok
def tensor_array_identical_element_shapes_fill_zeros(p):
    h, f = ta(p, "ta", 3, identical_element_shapes=True)
    f = write(p, "w", h, 0, vals([2, 2]), f)
    return [p.op("TensorArrayGatherV3", "gather", handle=h, indices=np.array([0, 1, 2], I32), flow_in=f, dtype=tf.float32)]


@ok
def tensor_array_gradients_aggregate(p):
    h, f = ta(p, "ta", 3, clear_after_read=False)
    f = write(p, "w0", h, 0, vals([2]), f)
    f = write(p, "w1", h, 1, vals([1, 3]), f)
    gh, gf = p.op("TensorArrayGradV3", "grad", handle=h, flow_in=f, source="gradients")
    gf = write(p, "gw0", gh, 0, vals([2], F32, 10), gf)
    gf = write(p, "gw0_again", gh, 0, vals([2], F32, 20), gf)
    same_h, same_f = p.op("TensorArrayGradV3", "grad_same_source", handle=h, flow_in=gf, source="gradients")
    r0 = p.op("TensorArrayReadV3", "gread0", handle=same_h, index=np.array(0, I32), flow_in=same_f, dtype=tf.float32)
    r1 = p.op("TensorArrayReadV3", "gread1", handle=gh, index=np.array(1, I32), flow_in=gf, dtype=tf.float32, after=[r0.op])
    n = p.op("TensorArraySizeV3", "gsize", handle=gh, flow_in=gf)
    wh, wf = p.op("TensorArrayGradWithShape", "grad_shaped", handle=h, flow_in=f, shape_to_prepend=np.array([2], I32),
                  source="gradients_1")
    w1 = p.op("TensorArrayReadV3", "wread1", handle=wh, index=np.array(1, I32), flow_in=wf, dtype=tf.float32)
    return [r0, r1, n, w1]


@err
def tensor_array_grad_read_unwritten_without_shape(p):
    h, f = ta(p, "ta", 2)
    f = write(p, "w0", h, 0, vals([2]), f)
    gh, gf = p.op("TensorArrayGradV3", "grad", handle=h, flow_in=f, source="gradients")
    p.op("TensorArrayReadV3", "gread1", handle=gh, index=np.array(1, I32), flow_in=gf, dtype=tf.float32)


@err
def tensor_array_grad_aggregate_shape_mismatch(p):
    h, f = ta(p, "ta", 2)
    f = write(p, "w0", h, 0, vals([2]), f)
    gh, gf = p.op("TensorArrayGradV3", "grad", handle=h, flow_in=f, source="gradients")
    gf = write(p, "gw0", gh, 0, vals([2]), gf)
    write(p, "gw0_again", gh, 0, vals([3]), gf)


@err
def tensor_array_write_out_of_bounds(p):
    h, f = ta(p, "ta", 2)
    write(p, "w", h, 2, vals([2]), f)


@err
def tensor_array_write_negative_index(p):
    h, f = ta(p, "ta", 2, dynamic_size=True)
    write(p, "w", h, -1, vals([2]), f)


@err
def tensor_array_write_twice(p):
    h, f = ta(p, "ta", 2)
    f = write(p, "w", h, 0, vals([2]), f)
    write(p, "w_again", h, 0, vals([2]), f)


@err
def tensor_array_write_after_read(p):
    h, f = ta(p, "ta", 2, clear_after_read=False)
    f = write(p, "w", h, 0, vals([2]), f)
    r = p.op("TensorArrayReadV3", "read", handle=h, index=np.array(0, I32), flow_in=f, dtype=tf.float32)
    p.op("TensorArrayWriteV3", "w_again", handle=h, index=np.array(0, I32), value=vals([2]), flow_in=f, after=[r.op])


@err
def tensor_array_read_twice_after_clear(p):
    h, f = ta(p, "ta", 2)
    f = write(p, "w", h, 0, vals([2]), f)
    r = p.op("TensorArrayReadV3", "read", handle=h, index=np.array(0, I32), flow_in=f, dtype=tf.float32)
    p.op("TensorArrayReadV3", "read_again", handle=h, index=np.array(0, I32), flow_in=f, dtype=tf.float32, after=[r.op])


@err
def tensor_array_read_unwritten_without_shape(p):
    h, f = ta(p, "ta", 2)
    p.op("TensorArrayReadV3", "read", handle=h, index=np.array(1, I32), flow_in=f, dtype=tf.float32)


@err
def tensor_array_read_out_of_range(p):
    h, f = ta(p, "ta", 2, element_shape=[1])
    p.op("TensorArrayReadV3", "read", handle=h, index=np.array(2, I32), flow_in=f, dtype=tf.float32)


@err
def tensor_array_write_wrong_dtype(p):
    h, f = ta(p, "ta", 2, tf.int32)
    write(p, "w", h, 0, vals([2]), f)


@err
def tensor_array_read_wrong_dtype(p):
    h, f = ta(p, "ta", 2, tf.int32)
    f = write(p, "w", h, 0, vals([2], I32), f)
    p.op("TensorArrayReadV3", "read", handle=h, index=np.array(0, I32), flow_in=f, dtype=tf.float32)


@err
def tensor_array_write_incompatible_shape(p):
    h, f = ta(p, "ta", 2, element_shape=[3])
    write(p, "w", h, 0, vals([2]), f)


@err
def tensor_array_identical_shapes_enforced(p):
    h, f = ta(p, "ta", 2, identical_element_shapes=True)
    f = write(p, "w0", h, 0, vals([2]), f)
    write(p, "w1", h, 1, vals([3]), f)


@err
def tensor_array_gather_nothing_undefined_shape(p):
    h, f = ta(p, "ta", 0)
    p.op("TensorArrayGatherV3", "gather", handle=h, indices=np.zeros([0], I32), flow_in=f, dtype=tf.float32)


@err
def tensor_array_gather_inconsistent_shapes(p):
    h, f = ta(p, "ta", 2)
    f = write(p, "w0", h, 0, vals([2]), f)
    f = write(p, "w1", h, 1, vals([3]), f)
    p.op("TensorArrayGatherV3", "gather", handle=h, indices=np.array([0, 1], I32), flow_in=f, dtype=tf.float32)


@err
def tensor_array_gather_shape_attr_mismatch(p):
    h, f = ta(p, "ta", 1)
    f = write(p, "w0", h, 0, vals([2]), f)
    p.op("TensorArrayGatherV3", "gather", handle=h, indices=np.array([0], I32), flow_in=f, dtype=tf.float32, element_shape=[3])


@err
def tensor_array_concat_scalars(p):
    h, f = ta(p, "ta", 1)
    f = write(p, "w0", h, 0, np.array(1.0, F32), f)
    p.op("TensorArrayConcatV3", "concat", handle=h, flow_in=f, dtype=tf.float32)


@err
def tensor_array_concat_inconsistent(p):
    h, f = ta(p, "ta", 2)
    f = write(p, "w0", h, 0, vals([1, 2]), f)
    f = write(p, "w1", h, 1, vals([1, 3]), f)
    p.op("TensorArrayConcatV3", "concat", handle=h, flow_in=f, dtype=tf.float32)


@err
def tensor_array_concat_empty_undefined_shape(p):
    h, f = ta(p, "ta", 0)
    p.op("TensorArrayConcatV3", "concat", handle=h, flow_in=f, dtype=tf.float32)


@err
def tensor_array_scatter_index_past_size(p):
    h, f = ta(p, "ta", 2)
    p.op("TensorArrayScatterV3", "scatter", handle=h, indices=np.array([0, 2], I32), value=vals([2, 1]), flow_in=f)


@err
def tensor_array_scatter_length_mismatch(p):
    h, f = ta(p, "ta", 3)
    p.op("TensorArrayScatterV3", "scatter", handle=h, indices=np.array([0, 1, 2], I32), value=vals([2, 1]), flow_in=f)


@err
def tensor_array_scatter_scalar(p):
    h, f = ta(p, "ta", 3)
    p.op("TensorArrayScatterV3", "scatter", handle=h, indices=np.zeros([0], I32), value=np.array(1.0, F32), flow_in=f)


@err
def tensor_array_split_size_mismatch(p):
    h, f = ta(p, "ta", 3)
    p.op("TensorArraySplitV3", "split", handle=h, value=vals([4, 2]), lengths=np.array([1, 3], I64), flow_in=f)


@err
def tensor_array_split_lengths_sum(p):
    h, f = ta(p, "ta", 2)
    p.op("TensorArraySplitV3", "split", handle=h, value=vals([4, 2]), lengths=np.array([1, 2], I64), flow_in=f)


@err
def tensor_array_negative_size(p):
    ta(p, "ta", -1)


@err
def tensor_array_size_not_scalar(p):
    p.op("TensorArrayV3", "ta", size=np.array([2], I32), dtype=tf.float32)


@err
def tensor_array_read_after_close(p):
    h, f = ta(p, "ta", 2)
    f = write(p, "w", h, 0, vals([2]), f)
    c = p.op("TensorArrayCloseV3", "close", handle=h, after=[f.op])
    p.op("TensorArrayReadV3", "read", handle=h, index=np.array(0, I32), flow_in=f, dtype=tf.float32, after=[c])


@err
def tensor_array_size_after_close(p):
    h, f = ta(p, "ta", 2)
    c = p.op("TensorArrayCloseV3", "close", handle=h)
    p.op("TensorArraySizeV3", "size", handle=h, flow_in=f, after=[c])


# ---- Stacks (v1 while-loop gradients) ----------------------------------------------------------

def stack(p, name, elem_type=tf.float32, max_size=-1):
    return p.op("StackV2", name, max_size=np.array(max_size, I32), elem_type=elem_type)


@ok
def stack_push_pop(p):
    h = stack(p, "stack")
    pushed = []
    for k in range(3):
        pushed.append(p.op("StackPushV2", "push%d" % k, handle=h, elem=vals([2], F32, 1 + 2 * k),
                           after=[pushed[-1].op] if pushed else []))
    pops = []
    for k in range(3):
        pops.append(p.op("StackPopV2", "pop%d" % k, handle=h, elem_type=tf.float32,
                         after=[pops[-1].op] if pops else [pushed[-1].op]))
    h2 = stack(p, "bounded", tf.int64, 2)
    q = p.op("StackPushV2", "push_int", handle=h2, elem=vals([], I64, 7), swap_memory=True)
    qp = p.op("StackPopV2", "pop_int", handle=h2, elem_type=tf.int64, after=[q.op])
    return pushed + pops + [q, qp]


@err
def stack_pop_empty(p):
    h = stack(p, "stack")
    p.op("StackPopV2", "pop", handle=h, elem_type=tf.float32)


@err
def stack_overflow(p):
    h = stack(p, "stack", max_size=1)
    a = p.op("StackPushV2", "push0", handle=h, elem=vals([2]))
    p.op("StackPushV2", "push1", handle=h, elem=vals([2]), after=[a.op])


@err
def stack_push_wrong_dtype(p):
    h = stack(p, "stack", tf.float32)
    p.op("StackPushV2", "push", handle=h, elem=vals([2], I32))


@err
def stack_push_after_close(p):
    h = stack(p, "stack")
    c = p.op("StackCloseV2", "close", handle=h)
    p.op("StackPushV2", "push", handle=h, elem=vals([2]), after=[c])


@err
def stack_max_size_not_scalar(p):
    p.op("StackV2", "stack", max_size=np.array([1], I32), elem_type=tf.float32)


def main():
    for build in BUILDERS:
        build()
    write_cases("crates/kernels/testdata/lists.json", CASES, "tools/oracle/list_cases.py")


if __name__ == "__main__":
    main()
