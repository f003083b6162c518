#!/usr/bin/env python3
"""Oracle cases for ferroflow's MatMul and neural-network kernels, computed by stock TF 2.21.

Run with the TF virtualenv:

    /root/.cache/tfvenv-2.21/bin/python tools/oracle/matmul_nn_cases.py

It writes crates/kernels/testdata/matmul_nn.json. The case schema, the way each op is run (one
node in a session, inputs fed through placeholders of unknown shape, oneDNN and graph rewrites
off) and the data generator are those of array_cases.py, whose helpers this script imports.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from array_cases import Cases, b, f, i, li, ls, np, rnd, s, ty, write_cases  # noqa: E402,F401


def add_matmul_cases(c, rng):
    def mm(name, a, bm, ta=False, tb=False, fail=False):
        dt = str(a.dtype)
        args = (name, "MatMul", [a, bm], {"T": ty(dt), "transpose_a": b(ta), "transpose_b": b(tb)})
        c.err(*args) if fail else c.ok(*args)

    for dt in ["float32", "float64", "int32", "int64"]:
        lo, hi = (-5, 5) if dt.startswith("float") else (-20, 20)
        mm("matmul_%s_2x3x4" % dt, rnd(rng, [2, 3], dt, lo, hi), rnd(rng, [3, 4], dt, lo, hi))
        mm("matmul_%s_ta" % dt, rnd(rng, [3, 2], dt, lo, hi), rnd(rng, [3, 4], dt, lo, hi), ta=True)
        mm("matmul_%s_tb" % dt, rnd(rng, [2, 3], dt, lo, hi), rnd(rng, [4, 3], dt, lo, hi), tb=True)
        mm("matmul_%s_ta_tb" % dt, rnd(rng, [3, 2], dt, lo, hi), rnd(rng, [4, 3], dt, lo, hi), ta=True, tb=True)
        mm("matmul_%s_odd_17x33x9" % dt, rnd(rng, [17, 33], dt, lo, hi), rnd(rng, [33, 9], dt, lo, hi))
        mm("matmul_%s_k0" % dt, rnd(rng, [2, 0], dt), rnd(rng, [0, 3], dt))
        mm("matmul_%s_m0" % dt, rnd(rng, [0, 4], dt), rnd(rng, [4, 3], dt))
    mm("matmul_float32_1x1", rnd(rng, [1, 1]), rnd(rng, [1, 1]))
    mm("matmul_float32_vec_row", rnd(rng, [1, 64]), rnd(rng, [64, 1]))
    mm("matmul_float32_outer", rnd(rng, [5, 1]), rnd(rng, [1, 7]))
    mm("matmul_float32_n0", rnd(rng, [3, 4]), rnd(rng, [4, 0]))
    mm("matmul_float32_64_ta_tb", rnd(rng, [48, 64]), rnd(rng, [40, 48]), ta=True, tb=True)
    mm("matmul_float32_big", rnd(rng, [70, 90]), rnd(rng, [90, 65]))
    mm("matmul_float64_tb_big", rnd(rng, [33, 70], "float64"), rnd(rng, [31, 70], "float64"), tb=True)
    mm("matmul_float32_inf_nan", np.array([[1, np.inf], [np.nan, 2]], np.float32), np.array([[1, 0], [2, 3]], np.float32))
    mm("matmul_int32_overflow", np.array([[2**30, 2**30]], np.int32), np.array([[4], [4]], np.int32))
    mm("matmul_err_incompatible", rnd(rng, [1, 2]), rnd(rng, [3, 1]), fail=True)
    mm("matmul_err_incompatible_ta", rnd(rng, [2, 3]), rnd(rng, [2, 1]), ta=True, tb=True, fail=True)
    mm("matmul_err_rank1", rnd(rng, [2]), rnd(rng, [3, 1]), fail=True)
    mm("matmul_err_rank1_both", rnd(rng, [2]), rnd(rng, [2]), fail=True)
    mm("matmul_err_rank3", rnd(rng, [2, 2, 2]), rnd(rng, [2, 2, 3]), fail=True)
    mm("matmul_err_rank_mismatch", rnd(rng, [2, 2], "int32"), rnd(rng, [2, 2, 2], "int32"), fail=True)

    def fused(name, a, bm, bias, ops, ta=False, tb=False, alpha=None, num_args=1, extra=(), fail=False):
        dt = str(a.dtype)
        attrs = {"T": ty(dt), "transpose_a": b(ta), "transpose_b": b(tb), "fused_ops": ls(ops),
                 "num_args": i(num_args), "epsilon": f(0.0001)}
        if alpha is not None:
            attrs["leakyrelu_alpha"] = f(alpha)
        args = (name, "_FusedMatMul", [a, bm, bias] + list(extra), attrs)
        c.err(*args) if fail else c.ok(*args)

    for dt in ["float32"]:  # TF's op def allows only float (and half types) here
        for ops in [["BiasAdd"], ["BiasAdd", "Relu"], ["BiasAdd", "Relu6"], ["BiasAdd", "Elu"],
                    ["BiasAdd", "LeakyRelu"], ["BiasAdd", "Tanh"], ["BiasAdd", "Sigmoid"]]:
            tag = "_".join(o.lower() for o in ops)
            a = rnd(rng, [4, 3], dt)
            w = rnd(rng, [3, 5], dt)
            fused("fused_%s_%s" % (dt, tag), a, w, rnd(rng, [5], dt), ops, alpha=0.2 if "LeakyRelu" in ops else None)
    fused("fused_float32_relu_ta_tb", rnd(rng, [3, 4]), rnd(rng, [5, 3]), rnd(rng, [5]), ["BiasAdd", "Relu"],
          ta=True, tb=True)
    fused("fused_float32_relu6_big", rnd(rng, [20, 40], lo=-1, hi=1), rnd(rng, [40, 30], lo=-1, hi=1),
          rnd(rng, [30], lo=-3, hi=3), ["BiasAdd", "Relu6"])
    fused("fused_float32_leakyrelu_default_alpha", rnd(rng, [2, 2]), rnd(rng, [2, 3]), rnd(rng, [3]),
          ["BiasAdd", "LeakyRelu"])
    fused("fused_float32_m0", rnd(rng, [0, 2]), rnd(rng, [2, 3]), rnd(rng, [3]), ["BiasAdd"])
    fused("fused_float32_k0", rnd(rng, [2, 0]), rnd(rng, [0, 3]), rnd(rng, [3]), ["BiasAdd", "Relu"])
    fused("fused_err_relu_only", rnd(rng, [2, 2]), rnd(rng, [2, 3]), rnd(rng, [3]), ["Relu"], fail=True)
    fused("fused_err_unknown", rnd(rng, [2, 2]), rnd(rng, [2, 3]), rnd(rng, [3]), ["BiasAdd", "Add"], fail=True)
    fused("fused_err_bias_rank", rnd(rng, [2, 2]), rnd(rng, [2, 3]), rnd(rng, [1, 3]), ["BiasAdd"], fail=True)
    fused("fused_err_incompatible", rnd(rng, [2, 2]), rnd(rng, [3, 3]), rnd(rng, [3]), ["BiasAdd"], fail=True)
    fused("fused_err_rank1", rnd(rng, [2]), rnd(rng, [2, 3]), rnd(rng, [3]), ["BiasAdd"], fail=True)
    fused("fused_err_num_args", rnd(rng, [2, 2]), rnd(rng, [2, 3]), rnd(rng, [3]), ["BiasAdd"], num_args=2,
          extra=[rnd(rng, [3])], fail=True)


def add_activation_cases(c, rng):
    special = np.array([-2.5, -0.0, 0.0, 0.5, 5.99, 6.0, 7.25, -1e-3, np.inf, -np.inf, np.nan], np.float32)
    for op in ["Relu", "Relu6", "Elu"]:
        dts = ["float32", "float64"] + (["int32", "int64"] if op != "Elu" else [])
        for dt in dts:
            lo, hi = (-9, 9)
            c.ok("%s_%s" % (op.lower(), dt), op, [rnd(rng, [3, 4], dt, lo, hi)], {"T": ty(dt)})
        c.ok("%s_special" % op.lower(), op, [special], {"T": ty("float32")})
        c.ok("%s_empty" % op.lower(), op, [rnd(rng, [0, 3])], {"T": ty("float32")})
    c.ok("leakyrelu_float32", "LeakyRelu", [rnd(rng, [2, 5])], {"T": ty("float32"), "alpha": f(0.1)})
    c.ok("leakyrelu_default_alpha", "LeakyRelu", [rnd(rng, [5], "float64")], {"T": ty("float64")})

    for op in ["ReluGrad", "Relu6Grad", "EluGrad", "LeakyReluGrad"]:
        for dt in ["float32", "float64"]:
            feats = rnd(rng, [3, 4], dt, -8, 8)
            if op == "EluGrad":
                feats = np.where(feats > 0, feats, np.expm1(feats)).astype(dt)  # EluGrad takes Elu's outputs
            attrs = {"T": ty(dt)}
            if op == "LeakyReluGrad":
                attrs["alpha"] = f(0.3)
            c.ok("%s_%s" % (op.lower(), dt), op, [rnd(rng, [3, 4], dt), feats], attrs)
    c.ok("relugrad_int32", "ReluGrad", [rnd(rng, [4], "int32"), rnd(rng, [4], "int32")], {"T": ty("int32")})
    c.ok("relugrad_zero_feature", "ReluGrad", [np.ones([3], np.float32), np.array([-1, 0, 1], np.float32)],
         {"T": ty("float32")})
    c.ok("relu6grad_edges", "Relu6Grad", [np.ones([4], np.float32), np.array([0, 3, 6, 7], np.float32)],
         {"T": ty("float32")})
    c.err("relugrad_err_shape", "ReluGrad", [rnd(rng, [3]), rnd(rng, [2])], {"T": ty("float32")})


def add_bias_cases(c, rng):
    def bias_add(name, x, bias, fmt=None, fail=False):
        dt = str(x.dtype)
        attrs = {"T": ty(dt)}
        if fmt:
            attrs["data_format"] = s(fmt)
        args = (name, "BiasAdd", [x, bias], attrs)
        c.err(*args) if fail else c.ok(*args)

    bias_add("biasadd_2d", rnd(rng, [2, 3]), rnd(rng, [3]))
    bias_add("biasadd_4d_nhwc", rnd(rng, [2, 2, 3, 4]), rnd(rng, [4]), "NHWC")
    bias_add("biasadd_double", rnd(rng, [3, 2], "float64"), rnd(rng, [2], "float64"))
    bias_add("biasadd_int32", rnd(rng, [2, 2], "int32"), rnd(rng, [2], "int32"))
    bias_add("biasadd_int64", rnd(rng, [1, 3], "int64"), rnd(rng, [3], "int64"))
    bias_add("biasadd_empty", rnd(rng, [0, 3]), rnd(rng, [3]))
    bias_add("biasadd_nchw_4d", rnd(rng, [2, 3, 2, 2]), rnd(rng, [3]), "NCHW")
    bias_add("biasadd_nchw_3d", rnd(rng, [2, 3, 4]), rnd(rng, [3]), "NCHW")
    bias_add("biasadd_nchw_2d", rnd(rng, [2, 3]), rnd(rng, [3]), "NCHW")
    bias_add("biasadd_err_bias_rank", rnd(rng, [2, 3]), rnd(rng, [1, 3]), fail=True)
    bias_add("biasadd_err_input_rank", rnd(rng, [3]), rnd(rng, [3]), fail=True)
    bias_add("biasadd_err_size", rnd(rng, [2, 2]), rnd(rng, [3]), fail=True)
    bias_add("biasadd_err_size_nchw", rnd(rng, [2, 2, 3]), rnd(rng, [3]), "NCHW", fail=True)
    c.ok("biasaddv1", "BiasAddV1", [rnd(rng, [2, 3]), rnd(rng, [3])], {"T": ty("float32")})

    def bias_grad(name, dy, fmt=None, fail=False):
        dt = str(dy.dtype)
        attrs = {"T": ty(dt)}
        if fmt:
            attrs["data_format"] = s(fmt)
        args = (name, "BiasAddGrad", [dy], attrs)
        c.err(*args) if fail else c.ok(*args)

    bias_grad("biasaddgrad_2d", rnd(rng, [4, 3]))
    bias_grad("biasaddgrad_4d", rnd(rng, [2, 3, 2, 5]), "NHWC")
    bias_grad("biasaddgrad_double", rnd(rng, [3, 2], "float64"))
    bias_grad("biasaddgrad_int32", rnd(rng, [3, 2], "int32"))
    bias_grad("biasaddgrad_empty_batch", rnd(rng, [0, 3]))
    bias_grad("biasaddgrad_nchw", rnd(rng, [2, 3, 2, 2]), "NCHW")
    bias_grad("biasaddgrad_nchw_2d", rnd(rng, [2, 3]), "NCHW")
    bias_grad("biasaddgrad_tall", rnd(rng, [300, 7]))
    bias_grad("biasaddgrad_err_rank", rnd(rng, [3]), fail=True)


def add_softmax_cases(c, rng):
    for op in ["Softmax", "LogSoftmax"]:
        low = op.lower()
        for dt in ["float32", "float64"]:
            c.ok("%s_%s" % (low, dt), op, [rnd(rng, [3, 5], dt)], {"T": ty(dt)})
        c.ok("%s_1d" % low, op, [rnd(rng, [4])], {"T": ty("float32")})
        c.ok("%s_3d" % low, op, [rnd(rng, [2, 3, 4])], {"T": ty("float32")})
        c.ok("%s_large" % low, op, [np.array([[1000, 1001, 999], [-1000, -1002, -1001]], np.float32)],
             {"T": ty("float32")})
        c.ok("%s_neg_inf" % low, op, [np.array([[0, -np.inf, 1]], np.float32)], {"T": ty("float32")})
        c.ok("%s_single_class" % low, op, [rnd(rng, [3, 1])], {"T": ty("float32")})
        c.ok("%s_empty" % low, op, [rnd(rng, [0, 4])], {"T": ty("float32")})
        c.ok("%s_wide" % low, op, [rnd(rng, [2, 257], lo=-30, hi=30)], {"T": ty("float32")})
        c.err("%s_err_scalar" % low, op, [np.float32(1)], {"T": ty("float32")})

    def sparse(name, feats, labels, fail=False):
        lt_ = str(np.asarray(labels).dtype)
        args = (name, "SparseSoftmaxCrossEntropyWithLogits", [feats, np.asarray(labels)],
                {"T": ty(str(feats.dtype)), "Tlabels": ty(lt_)})
        c.err(*args) if fail else c.ok(*args)

    sparse("sparse_xent_int32", rnd(rng, [3, 4]), np.array([0, 3, 1], np.int32))
    sparse("sparse_xent_int64", rnd(rng, [2, 5]), np.array([4, 2], np.int64))
    sparse("sparse_xent_double", rnd(rng, [2, 3], "float64"), np.array([1, 1], np.int32))
    sparse("sparse_xent_large_logits", np.array([[1000, 0, -1000], [50, 51, 52]], np.float32),
           np.array([2, 0], np.int32))
    sparse("sparse_xent_one_class", rnd(rng, [3, 1]), np.array([0, 0, 0], np.int32))
    sparse("sparse_xent_empty_batch", rnd(rng, [0, 3]), np.zeros([0], np.int32))
    sparse("sparse_xent_wide", rnd(rng, [2, 300], lo=-20, hi=20), np.array([299, 17], np.int32))
    sparse("sparse_xent_err_label", np.ones([2, 3], np.float32), np.array([1, 5], np.int32), fail=True)
    sparse("sparse_xent_err_negative", np.ones([3, 3], np.float32), np.array([-1, 0, 2], np.int64), fail=True)
    sparse("sparse_xent_err_features_rank", rnd(rng, [3]), np.array([1], np.int32), fail=True)
    sparse("sparse_xent_err_labels_rank", rnd(rng, [2, 3]), np.array([[1], [0]], np.int32), fail=True)
    sparse("sparse_xent_err_batch", rnd(rng, [2, 3]), np.array([1, 2, 0], np.int32), fail=True)
    sparse("sparse_xent_err_no_class", rnd(rng, [2, 0]), np.array([0, 0], np.int32), fail=True)

    def dense(name, feats, labels, fail=False):
        args = (name, "SoftmaxCrossEntropyWithLogits", [feats, labels], {"T": ty(str(feats.dtype))})
        c.err(*args) if fail else c.ok(*args)

    def probs(shape_, dt="float32"):
        p = rng.uniform(0, 1, size=shape_)
        return np.round(p / p.sum(axis=-1, keepdims=True), 3).astype(dt)

    dense("xent_float32", rnd(rng, [3, 4]), probs([3, 4]))
    dense("xent_double", rnd(rng, [2, 5], "float64"), probs([2, 5], "float64"))
    dense("xent_large_logits", np.array([[1000, 0, -1000]], np.float32), np.array([[0.2, 0.3, 0.5]], np.float32))
    dense("xent_broadcast_labels", rnd(rng, [3, 4]), probs([1, 4]))
    dense("xent_broadcast_logits", rnd(rng, [1, 4]), probs([3, 4]))
    dense("xent_empty_batch", rnd(rng, [0, 3]), probs([0, 3]))
    dense("xent_err_shapes", rnd(rng, [2, 3]), probs([2, 2]), fail=True)
    dense("xent_err_rank", rnd(rng, [3]), probs([3]), fail=True)

    for dt in ["float32", "float64"]:
        c.ok("l2loss_%s" % dt, "L2Loss", [rnd(rng, [3, 4], dt)], {"T": ty(dt)})
    c.ok("l2loss_scalar", "L2Loss", [np.float32(3)], {"T": ty("float32")})
    c.ok("l2loss_empty", "L2Loss", [rnd(rng, [0, 2])], {"T": ty("float32")})
    c.ok("l2loss_long", "L2Loss", [rnd(rng, [1000], lo=-1, hi=1)], {"T": ty("float32")})


def main():
    rng = np.random.default_rng(20260102)
    c = Cases()
    add_matmul_cases(c, rng)
    add_activation_cases(c, rng)
    add_bias_cases(c, rng)
    add_softmax_cases(c, rng)
    write_cases("crates/kernels/testdata/matmul_nn.json", c.cases, "tools/oracle/matmul_nn_cases.py")


if __name__ == "__main__":
    main()
