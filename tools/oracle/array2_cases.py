#!/usr/bin/env python3
"""Oracle cases for ferroflow's second set of array kernels (issue 10's census), computed by stock
TF 2.21: Bitcast, BroadcastArgs, Bincount, DenseBincount, Empty, EnsureShape, GatherNd,
HistogramFixedWidth, LowerBound, UpperBound, OneHot, ParallelConcat, ReverseSequence, ReverseV2,
Reverse, Roll, ScatterNd, TensorScatter{Update,Add,Sub,Max,Min}, Split, SplitV, TopKV2, TopK,
ApproxTopK, InTopKV2, UnravelIndex and Where.

Run with the TF virtualenv:

    ~/.cache/ferroflow/tfvenv-2.21/bin/python tools/oracle/array2_cases.py

It writes crates/kernels/testdata/array2.json. The case schema, the way each op is run (one node in
a session, inputs fed through placeholders of unknown shape, oneDNN and graph rewrites off) and the
data generator are those of array_cases.py, whose helpers this script imports.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from array_cases import Cases, b, f, i, li, np, rnd, s, shape, ty, write_cases  # noqa: E402,F401

I32 = np.int32
I64 = np.int64


def _bitcast(c, rng):
    x = rnd(rng, [2, 4], "float32")
    c.ok("bitcast_f32_i32", "Bitcast", [x], {"T": ty("float32"), "type": ty("int32")})
    c.ok("bitcast_f32_u8", "Bitcast", [x], {"T": ty("float32"), "type": ty("uint8")})
    c.ok("bitcast_u8_f32", "Bitcast", [rnd(rng, [3, 4], "uint8", 0, 255)], {"T": ty("uint8"), "type": ty("float32")})
    c.ok("bitcast_i64_i32", "Bitcast", [np.array([1, -2, 1 << 40], I64)], {"T": ty("int64"), "type": ty("int32")})
    c.ok("bitcast_i16_u16", "Bitcast", [np.array([[-1, 5]], np.int16)], {"T": ty("int16"), "type": ty("uint16")})
    c.ok("bitcast_f64_u64", "Bitcast", [np.array([1.5, -0.25], np.float64)], {"T": ty("float64"), "type": ty("uint64")})
    c.ok("bitcast_i8_i16_scalarless", "Bitcast", [np.array([[1, 2], [3, 4]], np.int8)], {"T": ty("int8"), "type": ty("int16")})
    c.ok("bitcast_empty", "Bitcast", [np.zeros([0, 4], np.uint8)], {"T": ty("uint8"), "type": ty("int32")})
    c.err("bitcast_err_last_dim", "Bitcast", [np.zeros([3], np.uint8)], {"T": ty("uint8"), "type": ty("int32")})
    c.err("bitcast_err_scalar", "Bitcast", [np.uint8(3)], {"T": ty("uint8"), "type": ty("int16")})


def _broadcast_args(c):
    for dt in ["int32", "int64"]:
        c.ok("broadcast_args_%s" % dt, "BroadcastArgs", [np.array([2, 1, 3], dt), np.array([4, 1], dt)], {"T": ty(dt)})
    c.ok("broadcast_args_scalar", "BroadcastArgs", [np.array([], I32), np.array([5, 2], I32)], {"T": ty("int32")})
    c.ok("broadcast_args_zero", "BroadcastArgs", [np.array([0, 1], I32), np.array([1, 3], I32)], {"T": ty("int32")})
    c.err("broadcast_args_err_incompatible", "BroadcastArgs", [np.array([2, 3], I32), np.array([4], I32)], {"T": ty("int32")})
    c.err("broadcast_args_err_rank", "BroadcastArgs", [np.array([[2]], I32), np.array([4], I32)], {"T": ty("int32")})


def _bincount(c, rng):
    arr = np.array([1, 1, 2, 5, 0, 3, 3, 3], I32)
    for dt in ["int32", "int64", "float32", "float64"]:
        w = rnd(rng, [8], dt, 0, 5)
        c.ok("bincount_%s" % dt, "Bincount", [arr, I32(6), w], {"T": ty(dt)})
        c.ok("bincount_%s_noweights" % dt, "Bincount", [arr, I32(4), np.zeros([0], dt)], {"T": ty(dt)})
    c.ok("bincount_empty", "Bincount", [np.zeros([0], I32), I32(3), np.zeros([0], np.float32)], {"T": ty("float32")})
    c.ok("bincount_2d", "Bincount", [np.array([[0, 1], [1, 4]], I32), I32(3), np.zeros([0], np.float32)], {"T": ty("float32")})
    c.err("bincount_err_negative_size", "Bincount", [arr, I32(-1), np.zeros([0], np.float32)], {"T": ty("float32")})
    c.err("bincount_err_negative_value", "Bincount", [np.array([1, -1], I32), I32(3), np.zeros([0], np.float32)], {"T": ty("float32")})
    c.err("bincount_err_weights_shape", "Bincount", [arr, I32(3), np.ones([3], np.float32)], {"T": ty("float32")})
    c.err("bincount_err_size_rank", "Bincount", [arr, np.array([3], I32), np.zeros([0], np.float32)], {"T": ty("float32")})

    for tidx in ["int32", "int64"]:
        for dt in ["int32", "float32", "float64", "int64"]:
            x = np.array([[1, 2, 2, 0], [3, 3, 1, 7]], tidx)
            c.ok("dense_bincount_%s_%s_2d" % (tidx, dt), "DenseBincount", [x, np.array(5, tidx), rnd(rng, [2, 4], dt, 0, 4)],
                 {"Tidx": ty(tidx), "T": ty(dt)})
        c.ok("dense_bincount_%s_1d_noweights" % tidx, "DenseBincount", [np.array([0, 4, 4, 2], tidx), np.array(4, tidx),
             np.zeros([0], np.float32)], {"Tidx": ty(tidx), "T": ty("float32")})
        c.ok("dense_bincount_%s_binary" % tidx, "DenseBincount", [np.array([[1, 1, 0], [2, 2, 2]], tidx), np.array(3, tidx),
             np.zeros([0], np.int32)], {"Tidx": ty(tidx), "T": ty("int32"), "binary_output": b(True)})
    c.ok("dense_bincount_binary_weights_1d", "DenseBincount", [np.array([1, 1, 0], I32), I32(3), np.array([2, 3, 4], np.float32)],
         {"Tidx": ty("int32"), "T": ty("float32"), "binary_output": b(True)})
    c.ok("dense_bincount_empty", "DenseBincount", [np.zeros([0], I32), I32(2), np.zeros([0], np.float32)],
         {"Tidx": ty("int32"), "T": ty("float32")})
    c.ok("dense_bincount_empty_rows", "DenseBincount", [np.zeros([0, 3], I32), I32(2), np.zeros([0], np.float32)],
         {"Tidx": ty("int32"), "T": ty("float32")})
    c.err("dense_bincount_err_negative", "DenseBincount", [np.array([1, -2], I32), I32(3), np.zeros([0], np.float32)],
          {"Tidx": ty("int32"), "T": ty("float32")})
    c.err("dense_bincount_err_rank3", "DenseBincount", [np.zeros([1, 1, 1], I32), I32(3), np.zeros([0], np.float32)],
          {"Tidx": ty("int32"), "T": ty("float32")})
    c.err("dense_bincount_err_size", "DenseBincount", [np.array([1], I32), I32(-3), np.zeros([0], np.float32)],
          {"Tidx": ty("int32"), "T": ty("float32")})
    c.err("dense_bincount_err_weights", "DenseBincount", [np.array([1, 2], I32), I32(3), np.ones([3], np.float32)],
          {"Tidx": ty("int32"), "T": ty("float32")})
    c.err("dense_bincount_err_size_shape", "DenseBincount", [np.array([1, 2], I32), np.array([3], I32), np.zeros([0], np.float32)],
          {"Tidx": ty("int32"), "T": ty("float32")})


def _empty_ensure_shape(c, rng):
    for dt in ["float32", "int64", "bool", "uint8", "float64"]:
        c.ok("empty_init_%s" % dt, "Empty", [np.array([2, 3], I32)], {"dtype": ty(dt), "init": b(True)})
    c.ok("empty_zero_dims", "Empty", [np.array([0, 3], I32)], {"dtype": ty("float32")})
    c.ok("empty_scalar_init", "Empty", [np.array([], I32)], {"dtype": ty("int32"), "init": b(True)})
    c.err("empty_err_rank", "Empty", [np.array([[2]], I32)], {"dtype": ty("float32")})
    c.err("empty_err_negative", "Empty", [np.array([2, -1], I32)], {"dtype": ty("float32")})

    x = rnd(rng, [2, 3])
    c.ok("ensure_shape_exact", "EnsureShape", [x], {"T": ty("float32"), "shape": shape([2, 3])})
    c.ok("ensure_shape_partial", "EnsureShape", [x], {"T": ty("float32"), "shape": shape([-1, 3])})
    c.ok("ensure_shape_unknown_rank", "EnsureShape", [np.array(["a"], object)], {"T": ty("string"), "shape": shape(None)})
    c.err("ensure_shape_err_dim", "EnsureShape", [x], {"T": ty("float32"), "shape": shape([2, 4])})
    c.err("ensure_shape_err_rank", "EnsureShape", [x], {"T": ty("float32"), "shape": shape([6])})


def _gather_nd(c, rng):
    p = rnd(rng, [3, 4, 2])
    for tdt in ["int32", "int64", "int16"]:
        c.ok("gather_nd_%s_elements" % tdt, "GatherNd", [p, np.array([[0, 1, 1], [2, 3, 0]], tdt)],
             {"Tparams": ty("float32"), "Tindices": ty(tdt)})
    c.ok("gather_nd_slices", "GatherNd", [p, np.array([[1], [0], [2]], I32)], {"Tparams": ty("float32"), "Tindices": ty("int32")})
    c.ok("gather_nd_batched", "GatherNd", [p, np.array([[[0, 1]], [[2, 2]]], I64)], {"Tparams": ty("float32"), "Tindices": ty("int64")})
    c.ok("gather_nd_empty_index", "GatherNd", [p, np.zeros([2, 0], I32)], {"Tparams": ty("float32"), "Tindices": ty("int32")})
    c.ok("gather_nd_no_indices", "GatherNd", [p, np.zeros([0, 2], I32)], {"Tparams": ty("float32"), "Tindices": ty("int32")})
    c.ok("gather_nd_strings", "GatherNd", [np.array([["a", "b"], ["c", "d"]], object), np.array([[1, 0], [0, 1]], I32)],
         {"Tparams": ty("string"), "Tindices": ty("int32")})
    c.ok("gather_nd_bool", "GatherNd", [np.array([[True, False], [False, True]]), np.array([[1], [0]], I32)],
         {"Tparams": ty("bool"), "Tindices": ty("int32")})
    c.ok("gather_nd_int64", "GatherNd", [rnd(rng, [5], "int64"), np.array([[4], [0], [4]], I32)],
         {"Tparams": ty("int64"), "Tindices": ty("int32")})
    c.ok("gather_nd_1d_index", "GatherNd", [p, np.array([2, 1], I32)], {"Tparams": ty("float32"), "Tindices": ty("int32")})
    c.err("gather_nd_err_out_of_range", "GatherNd", [p, np.array([[0, 1], [3, 0]], I32)],
          {"Tparams": ty("float32"), "Tindices": ty("int32")})
    c.err("gather_nd_err_negative", "GatherNd", [p, np.array([[-1]], I32)], {"Tparams": ty("float32"), "Tindices": ty("int32")})
    c.err("gather_nd_err_too_deep", "GatherNd", [p, np.array([[0, 0, 0, 0]], I32)],
          {"Tparams": ty("float32"), "Tindices": ty("int32")})
    c.err("gather_nd_err_scalar_params", "GatherNd", [np.float32(1), np.array([[0]], I32)],
          {"Tparams": ty("float32"), "Tindices": ty("int32")})
    c.err("gather_nd_err_scalar_indices", "GatherNd", [p, I32(0)], {"Tparams": ty("float32"), "Tindices": ty("int32")})


def _histogram(c, rng):
    for dt in ["float32", "float64", "int32", "int64"]:
        v = rnd(rng, [12], dt, -2, 8)
        for odt in ["int32", "int64"]:
            c.ok("histogram_%s_%s" % (dt, odt), "HistogramFixedWidth", [v, np.array([0, 5], dt), I32(5)],
                 {"T": ty(dt), "dtype": ty(odt)})
    c.ok("histogram_2d", "HistogramFixedWidth", [rnd(rng, [3, 4], "float32", -1, 2), np.array([-1, 1], np.float32), I32(3)],
         {"T": ty("float32"), "dtype": ty("int32")})
    c.ok("histogram_empty", "HistogramFixedWidth", [np.zeros([0], np.float32), np.array([0, 1], np.float32), I32(4)],
         {"T": ty("float32"), "dtype": ty("int32")})
    c.ok("histogram_edges", "HistogramFixedWidth", [np.array([0, 1, 2, 3, 4, 5, -7, 9, 4.999], np.float32),
         np.array([0, 5], np.float32), I32(5)], {"T": ty("float32"), "dtype": ty("int32")})
    c.err("histogram_err_nan", "HistogramFixedWidth", [np.array([0, np.nan], np.float32), np.array([0, 5], np.float32), I32(5)],
          {"T": ty("float32"), "dtype": ty("int32")})
    c.err("histogram_err_nbins", "HistogramFixedWidth", [np.ones([2], np.float32), np.array([0, 1], np.float32), I32(0)],
          {"T": ty("float32"), "dtype": ty("int32")})
    c.err("histogram_err_range", "HistogramFixedWidth", [np.ones([2], np.float32), np.array([1, 1], np.float32), I32(2)],
          {"T": ty("float32"), "dtype": ty("int32")})
    c.err("histogram_err_range_shape", "HistogramFixedWidth", [np.ones([2], np.float32), np.array([0, 1, 2], np.float32), I32(2)],
          {"T": ty("float32"), "dtype": ty("int32")})
    c.err("histogram_err_nbins_shape", "HistogramFixedWidth", [np.ones([2], np.float32), np.array([0, 1], np.float32),
          np.array([2], I32)], {"T": ty("float32"), "dtype": ty("int32")})


def _bounds(c, rng):
    for op in ["LowerBound", "UpperBound"]:
        key = op.lower()
        for dt in ["float32", "int32", "int64", "float64", "uint8"]:
            srt = np.sort(rnd(rng, [3, 6], dt, 0, 9), axis=1)
            vals = rnd(rng, [3, 4], dt, -1, 10)
            for odt in ["int32", "int64"]:
                c.ok("%s_%s_%s" % (key, dt, odt), op, [srt, vals], {"T": ty(dt), "out_type": ty(odt)})
        c.ok("%s_empty_values" % key, op, [np.array([[1, 2]], np.float32), np.zeros([1, 0], np.float32)],
             {"T": ty("float32"), "out_type": ty("int32")})
        c.ok("%s_empty_sorted" % key, op, [np.zeros([2, 0], np.float32), np.ones([2, 3], np.float32)],
             {"T": ty("float32"), "out_type": ty("int32")})
        c.err("%s_err_1d" % key, op, [np.array([1, 3, 3, 5], I32), np.array([0, 3, 6], I32)], {"T": ty("int32"), "out_type": ty("int32")})
        c.err("%s_err_3d" % key, op, [np.sort(rnd(rng, [2, 2, 5]), axis=-1), rnd(rng, [2, 2, 3])], {"T": ty("float32"), "out_type": ty("int64")})
        c.err("%s_err_batch" % key, op, [np.ones([2, 3], np.float32), np.ones([3, 3], np.float32)],
              {"T": ty("float32"), "out_type": ty("int32")})
        c.err("%s_err_rank" % key, op, [np.float32(1), np.float32(1)], {"T": ty("float32"), "out_type": ty("int32")})


def _one_hot(c, rng):
    idx = np.array([0, 2, -1, 1, 5], I64)
    for dt in ["float32", "int32", "float64", "bool", "int64", "uint8"]:
        on, off = (np.array(True), np.array(False)) if dt == "bool" else (np.array(5, dt), np.array(-1 if dt != "uint8" else 1, dt))
        c.ok("one_hot_%s" % dt, "OneHot", [idx, I32(3), on, off], {"T": ty(dt), "TI": ty("int64")})
    for ti in ["int32", "uint8", "int8"]:
        c.ok("one_hot_ti_%s" % ti, "OneHot", [np.array([[0, 1], [2, 3]], ti), I32(3), np.float32(1), np.float32(0)],
             {"T": ty("float32"), "TI": ty(ti)})
    m = np.array([[0, 2], [1, -1]], I32)
    for ax in [-1, 0, 1, 2]:
        c.ok("one_hot_axis_%d" % ax, "OneHot", [m, I32(3), np.float32(1), np.float32(0)], {"T": ty("float32"), "TI": ty("int32"), "axis": i(ax)})
    c.ok("one_hot_scalar_index", "OneHot", [I32(1), I32(4), np.float32(1), np.float32(0)], {"T": ty("float32"), "TI": ty("int32")})
    c.ok("one_hot_depth0", "OneHot", [idx, I32(0), np.float32(1), np.float32(0)], {"T": ty("float32"), "TI": ty("int64")})
    c.ok("one_hot_empty", "OneHot", [np.zeros([0], I32), I32(3), np.float32(1), np.float32(0)], {"T": ty("float32"), "TI": ty("int32")})
    c.ok("one_hot_string", "OneHot", [np.array([1, 0], I32), I32(2), np.array("y", object), np.array("n", object)],
         {"T": ty("string"), "TI": ty("int32")})
    c.err("one_hot_err_depth", "OneHot", [idx, I32(-1), np.float32(1), np.float32(0)], {"T": ty("float32"), "TI": ty("int64")})
    c.err("one_hot_err_axis", "OneHot", [m, I32(3), np.float32(1), np.float32(0)], {"T": ty("float32"), "TI": ty("int32"), "axis": i(3)})
    c.err("one_hot_err_on_shape", "OneHot", [m, I32(3), np.ones([1], np.float32), np.float32(0)], {"T": ty("float32"), "TI": ty("int32")})
    c.err("one_hot_err_off_shape", "OneHot", [m, I32(3), np.float32(1), np.ones([2], np.float32)], {"T": ty("float32"), "TI": ty("int32")})
    c.err("one_hot_err_depth_shape", "OneHot", [m, np.array([3], I32), np.float32(1), np.float32(0)], {"T": ty("float32"), "TI": ty("int32")})


def _with_known_shapes(fn):
    """Runs `fn` with placeholders of the fed inputs' own shapes (for ops whose graph construction
    needs fully defined input shapes)."""
    import array_cases
    real = array_cases.tf.compat.v1.placeholder
    fed = []

    def placeholder(dt, shape=None, name=None):
        return real(dt, shape=fed.pop(0).shape, name=name)

    def wrapped(c, *args):
        orig = array_cases.run_case

        def run(name, op, inputs, attrs, node_name=None, expect_error=None):
            fed[:] = [array_cases._as_array(x) for x in inputs]
            return orig(name, op, inputs, attrs, node_name, expect_error)
        array_cases.tf.compat.v1.placeholder = placeholder
        c_ok, c_err = c.ok, c.err
        c.ok = lambda *a, **k: c.cases.append(run(*a, **k, expect_error=False))
        c.err = lambda *a, **k: c.cases.append(run(*a, **k, expect_error=True))
        try:
            fn(c, *args)
        finally:
            array_cases.tf.compat.v1.placeholder = real
            c.ok, c.err = c_ok, c_err
    return wrapped


@_with_known_shapes
def _parallel_concat(c, rng):
    a, bb = rnd(rng, [1, 3]), rnd(rng, [1, 3])
    c.ok("parallel_concat_f32", "ParallelConcat", [a, bb], {"T": ty("float32"), "N": i(2), "shape": shape([2, 3])})
    c.ok("parallel_concat_i64_3", "ParallelConcat", [rnd(rng, [1], "int64"), rnd(rng, [1], "int64"), rnd(rng, [1], "int64")],
         {"T": ty("int64"), "N": i(3), "shape": shape([3])})
    c.ok("parallel_concat_one", "ParallelConcat", [np.array([["x", "y"]], object)], {"T": ty("string"), "N": i(1), "shape": shape([1, 2])})


def _reverse(c, rng):
    x = rnd(rng, [2, 3, 4])
    for tidx in ["int32", "int64"]:
        c.ok("reverse_v2_%s_axis1" % tidx, "ReverseV2", [x, np.array([1], tidx)], {"T": ty("float32"), "Tidx": ty(tidx)})
    c.ok("reverse_v2_neg_axes", "ReverseV2", [x, np.array([-1, 0], I32)], {"T": ty("float32"), "Tidx": ty("int32")})
    c.ok("reverse_v2_all", "ReverseV2", [x, np.array([0, 1, 2], I32)], {"T": ty("float32"), "Tidx": ty("int32")})
    c.ok("reverse_v2_none", "ReverseV2", [x, np.zeros([0], I32)], {"T": ty("float32"), "Tidx": ty("int32")})
    for dt in ["int64", "bool", "string", "uint8", "float64", "int16"]:
        c.ok("reverse_v2_%s" % dt, "ReverseV2", [rnd(rng, [3, 2], dt), np.array([0], I32)], {"T": ty(dt), "Tidx": ty("int32")})
    c.ok("reverse_v2_scalar", "ReverseV2", [np.float32(3), np.zeros([0], I32)], {"T": ty("float32"), "Tidx": ty("int32")})
    c.ok("reverse_v2_empty", "ReverseV2", [np.zeros([0, 3], np.float32), np.array([1], I32)], {"T": ty("float32"), "Tidx": ty("int32")})
    c.err("reverse_v2_err_dup", "ReverseV2", [x, np.array([1, -2], I32)], {"T": ty("float32"), "Tidx": ty("int32")})
    c.err("reverse_v2_err_range", "ReverseV2", [x, np.array([3], I32)], {"T": ty("float32"), "Tidx": ty("int32")})
    c.err("reverse_v2_err_rank", "ReverseV2", [x, np.array([[0]], I32)], {"T": ty("float32"), "Tidx": ty("int32")})

    c.ok("reverse_v1", "Reverse", [x, np.array([True, False, True])], {"T": ty("float32")})
    c.ok("reverse_v1_int32", "Reverse", [rnd(rng, [4], "int32"), np.array([True])], {"T": ty("int32")})
    c.ok("reverse_v1_scalar", "Reverse", [np.float32(2), np.zeros([0], bool)], {"T": ty("float32")})
    c.err("reverse_v1_err_len", "Reverse", [x, np.array([True])], {"T": ty("float32")})

    seq = rnd(rng, [3, 5, 2])
    for tlen in ["int32", "int64"]:
        c.ok("reverse_sequence_%s" % tlen, "ReverseSequence", [seq, np.array([2, 5, 0], tlen)],
             {"T": ty("float32"), "Tlen": ty(tlen), "seq_dim": i(1), "batch_dim": i(0)})
    c.ok("reverse_sequence_batch_last", "ReverseSequence", [rnd(rng, [4, 2, 3], "int32"), np.array([1, 3, 2], I64)],
         {"T": ty("int32"), "Tlen": ty("int64"), "seq_dim": i(0), "batch_dim": i(2)})
    c.ok("reverse_sequence_strings", "ReverseSequence", [rnd(rng, [2, 3], "string"), np.array([3, 2], I64)],
         {"T": ty("string"), "Tlen": ty("int64"), "seq_dim": i(1), "batch_dim": i(0)})
    c.err("reverse_sequence_err_len", "ReverseSequence", [seq, np.array([2, 6, 0], I64)],
          {"T": ty("float32"), "Tlen": ty("int64"), "seq_dim": i(1), "batch_dim": i(0)})
    c.err("reverse_sequence_err_negative", "ReverseSequence", [seq, np.array([2, -1, 0], I64)],
          {"T": ty("float32"), "Tlen": ty("int64"), "seq_dim": i(1), "batch_dim": i(0)})
    c.err("reverse_sequence_err_same_dim", "ReverseSequence", [seq, np.array([2, 1, 0], I64)],
          {"T": ty("float32"), "Tlen": ty("int64"), "seq_dim": i(0), "batch_dim": i(0)})
    c.err("reverse_sequence_err_count", "ReverseSequence", [seq, np.array([2, 1], I64)],
          {"T": ty("float32"), "Tlen": ty("int64"), "seq_dim": i(1), "batch_dim": i(0)})
    c.err("reverse_sequence_err_seq_dim", "ReverseSequence", [seq, np.array([2, 1, 0], I64)],
          {"T": ty("float32"), "Tlen": ty("int64"), "seq_dim": i(3), "batch_dim": i(0)})


def _roll(c, rng):
    x = rnd(rng, [3, 4])
    for ts, ta in [("int32", "int32"), ("int64", "int64"), ("int32", "int64")]:
        c.ok("roll_%s_%s" % (ts, ta), "Roll", [x, np.array([1, -3], ts), np.array([0, 1], ta)],
             {"T": ty("float32"), "Tshift": ty(ts), "Taxis": ty(ta)})
    c.ok("roll_scalar_shift", "Roll", [rnd(rng, [5], "int64"), I32(7), I32(0)], {"T": ty("int64"), "Tshift": ty("int32"), "Taxis": ty("int32")})
    c.ok("roll_same_axis_twice", "Roll", [x, np.array([1, 2], I32), np.array([1, -1], I32)],
         {"T": ty("float32"), "Tshift": ty("int32"), "Taxis": ty("int32")})
    c.ok("roll_strings", "Roll", [rnd(rng, [2, 3], "string"), np.array([1], I32), np.array([1], I32)],
         {"T": ty("string"), "Tshift": ty("int32"), "Taxis": ty("int32")})
    c.ok("roll_bool", "Roll", [rnd(rng, [4], "bool"), I32(-1), I32(0)], {"T": ty("bool"), "Tshift": ty("int32"), "Taxis": ty("int32")})
    c.ok("roll_empty", "Roll", [np.zeros([0, 3], np.float32), np.array([1], I32), np.array([1], I32)],
         {"T": ty("float32"), "Tshift": ty("int32"), "Taxis": ty("int32")})
    c.err("roll_err_axis", "Roll", [x, np.array([1], I32), np.array([2], I32)], {"T": ty("float32"), "Tshift": ty("int32"), "Taxis": ty("int32")})
    c.err("roll_err_len", "Roll", [x, np.array([1, 2], I32), np.array([0], I32)], {"T": ty("float32"), "Tshift": ty("int32"), "Taxis": ty("int32")})
    c.err("roll_err_scalar_input", "Roll", [np.float32(1), I32(1), I32(0)], {"T": ty("float32"), "Tshift": ty("int32"), "Taxis": ty("int32")})
    c.err("roll_err_shift_rank", "Roll", [x, np.array([[1]], I32), np.array([0], I32)], {"T": ty("float32"), "Tshift": ty("int32"), "Taxis": ty("int32")})


def _scatter(c, rng):
    for tdt in ["int32", "int64"]:
        for dt in ["float32", "int32", "float64", "int64"]:
            c.ok("scatter_nd_%s_%s" % (tdt, dt), "ScatterNd", [np.array([[4], [3], [1], [7], [3]], tdt), rnd(rng, [5], dt),
                 np.array([8], tdt)], {"T": ty(dt), "Tindices": ty(tdt)})
    c.ok("scatter_nd_slices", "ScatterNd", [np.array([[0], [2]], I32), rnd(rng, [2, 4, 4]), np.array([4, 4, 4], I32)],
         {"T": ty("float32"), "Tindices": ty("int32")})
    c.ok("scatter_nd_2d_index", "ScatterNd", [np.array([[0, 1], [1, 0], [0, 1]], I64), rnd(rng, [3, 2]), np.array([2, 2, 2], I64)],
         {"T": ty("float32"), "Tindices": ty("int64")})
    c.ok("scatter_nd_empty", "ScatterNd", [np.zeros([0, 1], I32), np.zeros([0], np.float32), np.array([3], I32)],
         {"T": ty("float32"), "Tindices": ty("int32")})
    c.ok("scatter_nd_bool", "ScatterNd", [np.array([[1]], I32), np.array([True]), np.array([3], I32)],
         {"T": ty("bool"), "Tindices": ty("int32")})
    c.err("scatter_nd_err_out_of_range", "ScatterNd", [np.array([[4], [8]], I32), np.ones([2], np.float32), np.array([8], I32)],
          {"T": ty("float32"), "Tindices": ty("int32")})
    c.err("scatter_nd_err_updates_shape", "ScatterNd", [np.array([[4], [5]], I32), np.ones([3], np.float32), np.array([8], I32)],
          {"T": ty("float32"), "Tindices": ty("int32")})
    c.err("scatter_nd_err_shape_rank", "ScatterNd", [np.array([[1]], I32), np.ones([1], np.float32), np.array([[8]], I32)],
          {"T": ty("float32"), "Tindices": ty("int32")})
    c.err("scatter_nd_err_negative_shape", "ScatterNd", [np.array([[1]], I32), np.ones([1], np.float32), np.array([-8], I32)],
          {"T": ty("float32"), "Tindices": ty("int32")})
    c.err("scatter_nd_err_index_depth", "ScatterNd", [np.array([[1, 1]], I32), np.ones([1], np.float32), np.array([8], I32)],
          {"T": ty("float32"), "Tindices": ty("int32")})

    base = rnd(rng, [4, 3])
    idx = np.array([[1], [3], [1]], I32)
    upd = rnd(rng, [3, 3])
    for op in ["TensorScatterUpdate", "TensorScatterAdd", "TensorScatterSub", "TensorScatterMax", "TensorScatterMin"]:
        key = op[len("TensorScatter"):].lower()
        c.ok("tensor_scatter_%s_rows" % key, op, [base, idx, upd], {"T": ty("float32"), "Tindices": ty("int32")})
        c.ok("tensor_scatter_%s_elements_int64" % key, op, [rnd(rng, [2, 3], "int64"), np.array([[0, 2], [1, 1], [0, 2]], I64),
             rnd(rng, [3], "int64")], {"T": ty("int64"), "Tindices": ty("int64")})
        c.ok("tensor_scatter_%s_int32" % key, op, [rnd(rng, [5], "int32"), np.array([[0], [4]], I32), rnd(rng, [2], "int32")],
             {"T": ty("int32"), "Tindices": ty("int32")})
        c.ok("tensor_scatter_%s_double" % key, op, [rnd(rng, [5], "float64"), np.array([[2], [2]], I32), rnd(rng, [2], "float64")],
             {"T": ty("float64"), "Tindices": ty("int32")})
        c.ok("tensor_scatter_%s_empty" % key, op, [base, np.zeros([0, 1], I32), np.zeros([0, 3], np.float32)],
             {"T": ty("float32"), "Tindices": ty("int32")})
        c.err("tensor_scatter_%s_err_range" % key, op, [base, np.array([[4]], I32), np.ones([1, 3], np.float32)],
              {"T": ty("float32"), "Tindices": ty("int32")})
        c.err("tensor_scatter_%s_err_shape" % key, op, [base, idx, np.ones([3, 2], np.float32)],
              {"T": ty("float32"), "Tindices": ty("int32")})
    c.ok("tensor_scatter_update_strings", "TensorScatterUpdate", [np.array(["a", "b", "c"], object), np.array([[2]], I32),
         np.array(["z"], object)], {"T": ty("string"), "Tindices": ty("int32")})
    c.ok("tensor_scatter_update_bool", "TensorScatterUpdate", [np.array([False, False]), np.array([[1]], I64), np.array([True])],
         {"T": ty("bool"), "Tindices": ty("int64")})
    c.err("tensor_scatter_update_err_scalar", "TensorScatterUpdate", [np.float32(1), np.array([[0]], I32), np.ones([1], np.float32)],
          {"T": ty("float32"), "Tindices": ty("int32")})


def _split(c, rng):
    x = rnd(rng, [4, 6])
    for n, d in [(2, 0), (3, 1), (1, 0), (6, -1)]:
        c.ok("split_%d_dim%d" % (n, d), "Split", [I32(d), x], {"T": ty("float32"), "num_split": i(n)})
    for dt in ["int64", "bool", "string", "uint8"]:
        c.ok("split_%s" % dt, "Split", [I32(0), rnd(rng, [4, 2], dt)], {"T": ty(dt), "num_split": i(2)})
    c.ok("split_empty", "Split", [I32(1), np.zeros([0, 4], np.float32)], {"T": ty("float32"), "num_split": i(2)})
    c.ok("split_zero_dim", "Split", [I32(0), np.zeros([0, 4], np.float32)], {"T": ty("float32"), "num_split": i(2)})
    c.err("split_err_uneven", "Split", [I32(1), x], {"T": ty("float32"), "num_split": i(4)})
    c.err("split_err_dim", "Split", [I32(2), x], {"T": ty("float32"), "num_split": i(2)})
    c.err("split_err_scalar", "Split", [I32(0), np.float32(1)], {"T": ty("float32"), "num_split": i(1)})

    for tl in ["int32", "int64", "int8"]:
        c.ok("splitv_%s" % tl, "SplitV", [x, np.array([1, 3, 2], tl), I32(1)], {"T": ty("float32"), "Tlen": ty(tl), "num_split": i(3)})
    c.ok("splitv_inferred", "SplitV", [x, np.array([1, -1], I64), I32(0)], {"T": ty("float32"), "Tlen": ty("int64"), "num_split": i(2)})
    c.ok("splitv_zero_size", "SplitV", [x, np.array([0, 6, 0], I32), I32(-1)], {"T": ty("float32"), "Tlen": ty("int32"), "num_split": i(3)})
    c.ok("splitv_one", "SplitV", [rnd(rng, [3], "int64"), np.array([3], I32), I32(0)], {"T": ty("int64"), "Tlen": ty("int32"), "num_split": i(1)})
    c.ok("splitv_strings", "SplitV", [rnd(rng, [2, 3], "string"), np.array([2, 1], I32), I32(1)],
         {"T": ty("string"), "Tlen": ty("int32"), "num_split": i(2)})
    c.err("splitv_err_sum", "SplitV", [x, np.array([1, 2], I32), I32(1)], {"T": ty("float32"), "Tlen": ty("int32"), "num_split": i(2)})
    c.err("splitv_err_two_inferred", "SplitV", [x, np.array([-1, -1], I32), I32(1)], {"T": ty("float32"), "Tlen": ty("int32"), "num_split": i(2)})
    c.err("splitv_err_count", "SplitV", [x, np.array([1, 5], I32), I32(1)], {"T": ty("float32"), "Tlen": ty("int32"), "num_split": i(3)})
    c.err("splitv_err_dim", "SplitV", [x, np.array([1, 5], I32), I32(2)], {"T": ty("float32"), "Tlen": ty("int32"), "num_split": i(2)})
    c.err("splitv_err_negative", "SplitV", [x, np.array([-2, 8], I32), I32(1)], {"T": ty("float32"), "Tlen": ty("int32"), "num_split": i(2)})


def _top_k(c, rng):
    for dt in ["float32", "float64", "int32", "int64", "uint8", "int16"]:
        x = rnd(rng, [3, 7], dt, 0, 6)
        c.ok("topkv2_%s" % dt, "TopKV2", [x, I32(3)], {"T": ty(dt)})
    x = np.array([[1, 3, 3, 2, 3, 0], [5, 5, 5, 5, 5, 5]], np.float32)
    c.ok("topkv2_ties", "TopKV2", [x, I32(4)], {"T": ty("float32")})
    c.ok("topkv2_unsorted", "TopKV2", [rnd(rng, [2, 9]), I32(4)], {"T": ty("float32"), "sorted": b(False)})
    c.ok("topkv2_k0", "TopKV2", [rnd(rng, [2, 4]), I32(0)], {"T": ty("float32")})
    c.ok("topkv2_k_all", "TopKV2", [rnd(rng, [3, 2, 5]), I32(5)], {"T": ty("float32")})
    c.ok("topkv2_1d", "TopKV2", [rnd(rng, [10]), I32(1)], {"T": ty("float32")})
    c.ok("topkv2_nan", "TopKV2", [np.array([1, np.nan, 3, -np.inf, np.inf], np.float32), I32(3)], {"T": ty("float32")})
    c.ok("topkv2_k_int64_index_int64", "TopKV2", [rnd(rng, [2, 5]), I64(2)], {"T": ty("float32"), "Tk": ty("int64"), "index_type": ty("int64")})
    c.ok("topkv2_index_int16", "TopKV2", [rnd(rng, [2, 5]), I32(2)], {"T": ty("float32"), "index_type": ty("int16")})
    c.ok("topkv2_empty_rows", "TopKV2", [np.zeros([0, 5], np.float32), I32(2)], {"T": ty("float32")})
    c.ok("topkv2_large", "TopKV2", [rnd(rng, [2, 300]), I32(40)], {"T": ty("float32")})
    c.err("topkv2_err_k_large", "TopKV2", [rnd(rng, [2, 3]), I32(4)], {"T": ty("float32")})
    c.err("topkv2_err_k_negative", "TopKV2", [rnd(rng, [2, 3]), I32(-1)], {"T": ty("float32")})
    c.err("topkv2_err_scalar", "TopKV2", [np.float32(1), I32(1)], {"T": ty("float32")})
    c.err("topkv2_err_k_shape", "TopKV2", [rnd(rng, [2, 3]), np.array([1], I32)], {"T": ty("float32")})
    _approx_top_k(c, rng)

    pred = rnd(rng, [4, 5])
    for t in ["int32", "int64"]:
        c.ok("in_top_k_%s" % t, "InTopKV2", [pred, np.array([0, 4, 2, 1], t), np.array(2, t)], {"T": ty(t)})
    c.ok("in_top_k_ties", "InTopKV2", [np.array([[1, 1, 1, 0]], np.float32), np.array([2], I32), I32(1)], {"T": ty("int32")})
    c.ok("in_top_k_nonfinite", "InTopKV2", [np.array([[1, np.nan, 0], [np.inf, 1, 0]], np.float32), np.array([0, 0], I32), I32(2)], {"T": ty("int32")})
    c.ok("in_top_k_out_of_range_target", "InTopKV2", [pred, np.array([0, 5, -1, 1], I32), I32(3)], {"T": ty("int32")})
    c.ok("in_top_k_k0", "InTopKV2", [pred, np.array([0, 1, 2, 3], I32), I32(0)], {"T": ty("int32")})
    c.err("in_top_k_err_targets", "InTopKV2", [pred, np.array([0, 1], I32), I32(1)], {"T": ty("int32")})
    c.err("in_top_k_err_rank", "InTopKV2", [rnd(rng, [4]), np.array([0], I32), I32(1)], {"T": ty("int32")})
    c.err("in_top_k_err_k_shape", "InTopKV2", [pred, np.array([0, 1, 2, 3], I32), np.array([1], I32)], {"T": ty("int32")})


@_with_known_shapes
def _approx_top_k(c, rng):
    c.ok("approx_topk_max", "ApproxTopK", [rnd(rng, [3, 8])], {"T": ty("float32"), "k": i(3)})
    # TF's CPU kernel is exact top-k along the last dimension (other attrs have no CPU kernel).
    c.ok("approx_topk_ties", "ApproxTopK", [np.array([[1, 3, 3, 2], [0, 0, 1, 0]], np.float32)], {"T": ty("float32"), "k": i(2)})
    c.ok("approx_topk_3d", "ApproxTopK", [rnd(rng, [2, 2, 5])], {"T": ty("float32"), "k": i(5)})


def _unravel(c):
    for dt in ["int32", "int64"]:
        c.ok("unravel_%s_vector" % dt, "UnravelIndex", [np.array([22, 41, 37], dt), np.array([7, 6], dt)], {"Tidx": ty(dt)})
        c.ok("unravel_%s_scalar" % dt, "UnravelIndex", [np.array(1621, dt), np.array([6, 7, 8, 9], dt)], {"Tidx": ty(dt)})
    c.err("unravel_err_matrix", "UnravelIndex", [np.array([[1, 5], [3, 0]], I32), np.array([2, 3], I32)], {"Tidx": ty("int32")})
    c.err("unravel_err_empty", "UnravelIndex", [np.zeros([0], I32), np.array([2, 3], I32)], {"Tidx": ty("int32")})
    c.err("unravel_err_range", "UnravelIndex", [np.array([6], I32), np.array([2, 3], I32)], {"Tidx": ty("int32")})
    c.ok("unravel_negative", "UnravelIndex", [np.array([-1], I32), np.array([2, 3], I32)], {"Tidx": ty("int32")})
    c.err("unravel_err_dims_rank", "UnravelIndex", [np.array([1], I32), np.array(3, I32)], {"Tidx": ty("int32")})
    c.err("unravel_err_dims_negative", "UnravelIndex", [np.array([1], I32), np.array([3, -1], I32)], {"Tidx": ty("int32")})


def _where(c):
    c.ok("where_bool_matrix", "Where", [np.array([[True, False, True], [False, False, True]])], {"T": ty("bool")})
    c.err("where_err_scalar_true", "Where", [np.array(True)], {"T": ty("bool")})
    c.ok("where_bool_empty", "Where", [np.zeros([2, 0, 3], bool)], {"T": ty("bool")})
    c.ok("where_bool_none", "Where", [np.zeros([4], bool)], {"T": ty("bool")})
    c.ok("where_float_signed_zero_nan", "Where", [np.array([0.0, -0.0, 1.5, np.nan, -2.0], np.float32)], {"T": ty("float32")})
    c.ok("where_double_3d", "Where", [np.array([[[0.0, 1.0]], [[-0.0, -3.0]]], np.float64)], {"T": ty("float64")})
    for dt in ["int32", "int64", "uint8", "int8", "int16", "uint16", "uint32", "uint64"]:
        c.ok("where_%s" % dt, "Where", [np.array([[0, 3], [1, 0], [0, 0]], dt)], {"T": ty(dt)})


def main():
    rng = np.random.default_rng(20261202)
    c = Cases()
    _bitcast(c, rng)
    _broadcast_args(c)
    _bincount(c, rng)
    _empty_ensure_shape(c, rng)
    _gather_nd(c, rng)
    _histogram(c, rng)
    _bounds(c, rng)
    _one_hot(c, rng)
    _parallel_concat(c, rng)
    _reverse(c, rng)
    _roll(c, rng)
    _scatter(c, rng)
    _split(c, rng)
    _top_k(c, rng)
    _unravel(c)
    _where(c)
    for case in c.cases:
        if case["op"] == "EnsureShape":
            # EnsureShape names its input as the graph does; the session feeds placeholder in0
            # through this argument node.
            case["input_names"] = ["_arg_in0_0_0"]
    write_cases("crates/kernels/testdata/array2.json", c.cases, "tools/oracle/array2_cases.py")


if __name__ == "__main__":
    main()
