#!/usr/bin/env python3
"""Oracle cases for ferroflow's CNN kernels, computed by stock TF 2.21 on the CPU: `Conv2D` and its
two backprops (SAME/VALID/EXPLICIT padding, strides, dilations, grouped filters, 1x1 filters,
float and double, TF's errors), `MaxPool`/`MaxPoolV2`/`MaxPoolGrad` and `AvgPool`/`AvgPoolGrad`
(windows over the padding, ties and NaN, errors), `FusedBatchNorm`/`V3` and their gradients in
training and inference (NHWC and NCHW, running averages), and `ShapeN`.

Run with the TF virtualenv:

    ~/.cache/ferroflow/tfvenv-2.21/bin/python tools/oracle/cnn_cases.py

It writes crates/kernels/testdata/cnn.json, in the schema of array_cases.py (whose helpers this
script imports).
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from array_cases import Cases, b, f, i, li, np, rnd, s, ty, write_cases  # noqa: E402

RNG = np.random.default_rng(5)


def conv_attrs(dt="float32", strides=(1, 1, 1, 1), padding="SAME", dilations=None, explicit=None, fmt=None):
    a = {"T": ty(dt), "strides": li(strides), "padding": s(padding)}
    if dilations is not None:
        a["dilations"] = li(dilations)
    if explicit is not None:
        a["explicit_paddings"] = li(explicit)
    if fmt is not None:
        a["data_format"] = s(fmt)
    return a


def out_size(n, k, st, pad, d=1, explicit=(0, 0)):
    eff = (k - 1) * d + 1
    if pad == "VALID":
        return (n - eff + st) // st
    if pad == "EXPLICIT":
        return (n + explicit[0] + explicit[1] - eff + st) // st
    return (n + st - 1) // st


def _conv(c):
    geos = [
        ("same_3x3", [2, 6, 5, 3], [3, 3, 3, 4], (1, 1, 1, 1), "SAME", None, None),
        ("valid_3x3", [2, 6, 5, 3], [3, 3, 3, 4], (1, 1, 1, 1), "VALID", None, None),
        ("same_stride2", [1, 7, 8, 2], [3, 3, 2, 5], (1, 2, 2, 1), "SAME", None, None),
        ("valid_stride_2x3", [2, 9, 10, 3], [2, 4, 3, 2], (1, 2, 3, 1), "VALID", None, None),
        ("pointwise", [2, 4, 4, 6], [1, 1, 6, 5], (1, 1, 1, 1), "VALID", None, None),
        ("pointwise_stride2", [1, 5, 5, 3], [1, 1, 3, 4], (1, 2, 2, 1), "SAME", None, None),
        ("same_5x5_even_input", [1, 8, 8, 4], [5, 5, 4, 3], (1, 1, 1, 1), "SAME", None, None),
        ("filter_larger_than_input_same", [1, 3, 3, 2], [5, 5, 2, 2], (1, 1, 1, 1), "SAME", None, None),
        ("explicit", [2, 5, 6, 3], [3, 2, 3, 4], (1, 1, 2, 1), "EXPLICIT", None, [0, 0, 1, 2, 0, 3, 0, 0]),
        ("grouped", [2, 5, 5, 4], [3, 3, 2, 6], (1, 1, 1, 1), "SAME", None, None),
        ("depth_one", [3, 4, 4, 1], [2, 2, 1, 1], (1, 1, 1, 1), "VALID", None, None),
        ("mnist_like", [4, 14, 14, 8], [3, 3, 8, 16], (1, 1, 1, 1), "SAME", None, None),
        ("empty_batch", [0, 5, 5, 3], [3, 3, 3, 2], (1, 1, 1, 1), "SAME", None, None),
    ]
    for name, xs, ws, st, pad, dil, ex in geos:
        for dt in ("float32", "float64"):
            x, w = rnd(RNG, xs, dt, -2, 2), rnd(RNG, ws, dt, -1, 1)
            c.ok(f"conv2d_{name}_{dt}", "Conv2D", [x, w], conv_attrs(dt, st, pad, dil, ex))
            ex2 = (ex[2], ex[3]) if ex else (0, 0)
            ex3 = (ex[4], ex[5]) if ex else (0, 0)
            oh, ow = out_size(xs[1], ws[0], st[1], pad, 1, ex2), out_size(xs[2], ws[1], st[2], pad, 1, ex3)
            dy = rnd(RNG, [xs[0], oh, ow, ws[3]], dt, -1, 1)
            if name == "grouped":
                continue  # TF's CPU backprops take ungrouped filters only (see the error cases)
            c.ok(f"conv2d_backprop_input_{name}_{dt}", "Conv2DBackpropInput",
                 [np.array(xs, np.int32), w, dy], conv_attrs(dt, st, pad, dil, ex))
            c.ok(f"conv2d_backprop_filter_{name}_{dt}", "Conv2DBackpropFilter",
                 [x, np.array(ws, np.int32), dy], conv_attrs(dt, st, pad, dil, ex))
    x, w = rnd(RNG, [2, 9, 9, 3], "float32", -2, 2), rnd(RNG, [3, 3, 3, 2], "float32", -1, 1)
    c.ok("conv2d_dilated", "Conv2D", [x, w], conv_attrs(dilations=(1, 2, 2, 1)))
    c.ok("conv2d_dilated_valid_strided", "Conv2D", [x, w],
         conv_attrs(strides=(1, 2, 1, 1), padding="VALID", dilations=(1, 3, 2, 1)))
    c.ok("conv2d_output_empty", "Conv2D", [x[:, :2, :2], w], conv_attrs(padding="VALID"))
    c.err("conv2d_err_nchw", "Conv2D", [x, w], conv_attrs(fmt="NCHW"))
    c.err("conv2d_err_depth", "Conv2D", [x, w[:, :, :2]], conv_attrs())
    c.err("conv2d_err_batch_stride", "Conv2D", [x, w], conv_attrs(strides=(2, 1, 1, 1)))
    c.err("conv2d_err_depth_dilation", "Conv2D", [x, w], conv_attrs(dilations=(1, 1, 1, 2)))
    c.err("conv2d_err_input_rank", "Conv2D", [x[0], w], conv_attrs())
    c.err("conv2d_err_filter_rank", "Conv2D", [x, w[0]], conv_attrs())
    c.err("conv2d_err_negative_output", "Conv2D", [x[:, :1, :1], w], conv_attrs(padding="VALID"))
    c.err("conv2d_err_groups_out", "Conv2D", [rnd(RNG, [1, 3, 3, 4], "float32"), rnd(RNG, [1, 1, 2, 3], "float32")],
          conv_attrs())
    dy = rnd(RNG, [2, 9, 9, 2], "float32")
    c.err("conv2d_backprop_input_err_dilation", "Conv2DBackpropInput", [np.array([2, 9, 9, 3], np.int32), w, dy],
          conv_attrs(dilations=(1, 2, 2, 1)))
    c.err("conv2d_backprop_input_err_size", "Conv2DBackpropInput", [np.array([2, 8, 9, 3], np.int32), w, dy],
          conv_attrs(padding="VALID"))
    c.err("conv2d_backprop_input_err_nchw", "Conv2DBackpropInput", [np.array([2, 3, 9, 9], np.int32), w, dy],
          conv_attrs(fmt="NCHW"))
    c.err("conv2d_backprop_input_err_batch", "Conv2DBackpropInput", [np.array([3, 9, 9, 3], np.int32), w, dy],
          conv_attrs())
    c.err("conv2d_backprop_input_err_sizes_rank", "Conv2DBackpropInput", [np.array([[2, 9, 9, 3]], np.int32), w, dy],
          conv_attrs())
    c.err("conv2d_backprop_input_err_grouped", "Conv2DBackpropInput",
          [np.array([2, 9, 9, 4], np.int32), rnd(RNG, [3, 3, 2, 2], "float32"), dy], conv_attrs())
    c.err("conv2d_backprop_filter_err_dilation", "Conv2DBackpropFilter", [x, np.array([3, 3, 3, 2], np.int32), dy],
          conv_attrs(dilations=(1, 2, 2, 1)))
    c.err("conv2d_backprop_filter_err_out_depth", "Conv2DBackpropFilter", [x, np.array([3, 3, 3, 4], np.int32), dy],
          conv_attrs())
    c.err("conv2d_backprop_filter_err_grouped", "Conv2DBackpropFilter",
          [rnd(RNG, [2, 9, 9, 4], "float32"), np.array([3, 3, 2, 2], np.int32), dy], conv_attrs())


def pool_attrs(k=(1, 2, 2, 1), st=(1, 2, 2, 1), padding="SAME", dt="float32", explicit=None, fmt=None):
    a = {"T": ty(dt), "ksize": li(k), "strides": li(st), "padding": s(padding)}
    if explicit is not None:
        a["explicit_paddings"] = li(explicit)
    if fmt is not None:
        a["data_format"] = s(fmt)
    return a


def _pool(c):
    geos = [
        ("2x2_s2_same", [2, 5, 5, 3], (1, 2, 2, 1), (1, 2, 2, 1), "SAME"),
        ("2x2_s2_valid", [2, 5, 5, 3], (1, 2, 2, 1), (1, 2, 2, 1), "VALID"),
        ("3x3_s1_same", [1, 4, 5, 2], (1, 3, 3, 1), (1, 1, 1, 1), "SAME"),
        ("3x3_s2_same", [2, 7, 6, 4], (1, 3, 3, 1), (1, 2, 2, 1), "SAME"),
        ("3x2_s_2x1_valid", [1, 6, 5, 2], (1, 3, 2, 1), (1, 2, 1, 1), "VALID"),
        ("window_bigger_than_input", [1, 3, 3, 2], (1, 5, 5, 1), (1, 1, 1, 1), "SAME"),
    ]
    for name, xs, k, st, pad in geos:
        for dt in ("float32", "float64"):
            x = rnd(RNG, xs, dt, -3, 3)
            oh, ow = out_size(xs[1], k[1], st[1], pad), out_size(xs[2], k[2], st[2], pad)
            dy = rnd(RNG, [xs[0], oh, ow, xs[3]], dt, -1, 1)
            c.ok(f"maxpool_{name}_{dt}", "MaxPool", [x], pool_attrs(k, st, pad, dt))
            c.ok(f"avgpool_{name}_{dt}", "AvgPool", [x], pool_attrs(k, st, pad, dt))
            y = c.cases[-2]["outputs"][0]
            c.ok(f"maxpoolgrad_{name}_{dt}", "MaxPoolGrad", [x, np.array(y["values"], dt).reshape(y["shape"]), dy],
                 pool_attrs(k, st, pad, dt))
            c.ok(f"avgpoolgrad_{name}_{dt}", "AvgPoolGrad", [np.array(xs, np.int32), dy], pool_attrs(k, st, pad, dt))
    x = rnd(RNG, [2, 5, 5, 3], "float32", -3, 3)
    for dt in ("int32", "int64", "uint8", "int16"):
        xi = rnd(RNG, [2, 5, 5, 3], dt, 0, 9)
        c.ok(f"maxpool_{dt}", "MaxPool", [xi], pool_attrs(dt=dt))
    c.ok("maxpool_explicit", "MaxPool", [x], pool_attrs(padding="EXPLICIT", explicit=[0, 0, 1, 1, 1, 0, 0, 0]))
    c.ok("maxpoolgrad_explicit", "MaxPoolGrad", [x, np.zeros([2, 3, 3, 3], np.float32), rnd(RNG, [2, 3, 3, 3], "float32")],
         pool_attrs(padding="EXPLICIT", explicit=[0, 0, 1, 1, 1, 0, 0, 0]))
    c.err("maxpool_err_explicit_left", "MaxPool", [x], pool_attrs(padding="EXPLICIT", explicit=[0, 0, 1, 1, 2, 0, 0, 0]))
    c.err("maxpool_err_explicit_right", "MaxPool", [x], pool_attrs(padding="EXPLICIT", explicit=[0, 0, 1, 2, 0, 0, 0, 0]))
    ties = np.array([[1, 3, 3, 2], [3, 0, 1, 3], [2, 2, 2, 2], [np.nan, 1, 5, np.nan]], np.float32).reshape(1, 4, 4, 1)
    c.ok("maxpool_ties_and_nan", "MaxPool", [ties], pool_attrs(padding="VALID"))
    c.ok("maxpoolgrad_ties_and_nan", "MaxPoolGrad", [ties, np.zeros([1, 2, 2, 1], np.float32),
                                                     np.array([1, 2, 3, 4], np.float32).reshape(1, 2, 2, 1)],
         pool_attrs(padding="VALID"))
    c.ok("maxpoolv2", "MaxPoolV2", [x, np.array([1, 3, 2, 1], np.int32), np.array([1, 2, 1, 1], np.int32)],
         {"T": ty("float32"), "padding": s("SAME")})
    c.ok("maxpool_empty_output", "MaxPool", [x[:, :1]], pool_attrs(padding="VALID"))
    c.err("maxpool_err_nchw", "MaxPool", [x], pool_attrs(k=(1, 1, 2, 2), st=(1, 1, 2, 2), fmt="NCHW"))
    c.err("maxpool_err_batch", "MaxPool", [x], pool_attrs(k=(2, 1, 1, 1), st=(1, 1, 1, 1)))
    c.err("maxpool_err_rank", "MaxPool", [x[0]], pool_attrs())
    c.err("avgpool_err_depth", "AvgPool", [x], pool_attrs(k=(1, 1, 1, 3), st=(1, 1, 1, 3)))
    c.err("avgpool_err_nchw", "AvgPool", [x], pool_attrs(k=(1, 1, 2, 2), st=(1, 1, 2, 2), fmt="NCHW"))
    c.err("maxpoolv2_err_batch", "MaxPoolV2", [x, np.array([2, 1, 1, 1], np.int32), np.array([1, 1, 1, 1], np.int32)],
          {"T": ty("float32"), "padding": s("SAME")})


def bn_attrs(training=True, fmt=None, factor=None, eps=None, v1=False):
    a = {"T": ty("float32")}
    if not v1:
        a["U"] = ty("float32")
    a["is_training"] = b(training)
    if fmt:
        a["data_format"] = s(fmt)
    if factor is not None:
        a["exponential_avg_factor"] = f(factor)
    if eps is not None:
        a["epsilon"] = f(eps)
    return a


def _batch_norm(c):
    for fmt, shape in (("NHWC", [2, 4, 3, 5]), ("NCHW", [2, 5, 4, 3])):
        x = rnd(RNG, shape, "float32", -3, 3)
        ch = 5
        scale, offset = rnd(RNG, [ch], "float32", 0.5, 2), rnd(RNG, [ch], "float32", -1, 1)
        mean, var = rnd(RNG, [ch], "float32", -1, 1), rnd(RNG, [ch], "float32", 0.5, 2)
        for op in ("FusedBatchNormV3", "FusedBatchNorm"):
            v1 = op == "FusedBatchNorm"
            low = op.lower()
            c.ok(f"{low}_train_{fmt}", op, [x, scale, offset, np.zeros(0, np.float32), np.zeros(0, np.float32)],
                 bn_attrs(True, fmt, v1=v1))
            c.ok(f"{low}_train_avg_{fmt}", op, [x, scale, offset, mean, var], bn_attrs(True, fmt, 0.25, 0.001, v1=v1))
            c.ok(f"{low}_infer_{fmt}", op, [x, scale, offset, mean, var], bn_attrs(False, fmt, v1=v1))
            # TF's CPU kernel leaves the reserve spaces of inference unwritten.
            c.cases[-1]["unwritten_outputs"] = [3, 4] + ([5] if op.endswith("V3") else [])
        dy = rnd(RNG, shape, "float32", -1, 1)
        axes = (0, 1, 2) if fmt == "NHWC" else (0, 2, 3)
        bmean, bvar = x.mean(axis=axes).astype(np.float32), x.var(axis=axes).astype(np.float32)
        for op in ("FusedBatchNormGradV3", "FusedBatchNormGrad"):
            extra = [np.zeros(0, np.float32)] if op.endswith("V3") else []
            v1 = op == "FusedBatchNormGrad"
            c.ok(f"{op.lower()}_train_{fmt}", op, [dy, x, scale, bmean, bvar] + extra, bn_attrs(True, fmt, v1=v1))
            (c.ok if fmt == "NHWC" else c.err)(f"{op.lower()}_infer_{fmt}", op, [dy, x, scale, mean, var] + extra, bn_attrs(False, fmt, v1=v1))
    x = rnd(RNG, [2, 3, 3, 4], "float32", -3, 3)
    c4 = np.ones(4, np.float32)
    c.ok("fusedbatchnormv3_single_element_channels", "FusedBatchNormV3",
         [x[:1, :1, :1], c4, c4, np.zeros(0, np.float32), np.zeros(0, np.float32)], bn_attrs())
    c.err("fusedbatchnormv3_err_scale", "FusedBatchNormV3", [x, c4[:3], c4, c4, c4], bn_attrs())
    c.err("fusedbatchnormv3_err_rank", "FusedBatchNormV3", [x[0], c4, c4, c4, c4], bn_attrs())
    c.err("fusedbatchnormv3_err_mean_infer", "FusedBatchNormV3",
          [x, c4, c4, np.zeros(0, np.float32), np.zeros(0, np.float32)], bn_attrs(False))
    c.err("fusedbatchnormv3_err_scale_rank", "FusedBatchNormV3", [x, c4.reshape(2, 2), c4, c4, c4], bn_attrs())


def _shape_n(c):
    a, bb = np.zeros([2, 3], np.float32), np.zeros([4], np.float32)
    c.ok("shapen_int32", "ShapeN", [a, bb, np.float32(1)], {"N": i(3), "T": ty("float32"), "out_type": ty("int32")})
    c.ok("shapen_int64", "ShapeN", [a, bb], {"N": i(2), "T": ty("float32"), "out_type": ty("int64")})


def main():
    c = Cases()
    _conv(c)
    _pool(c)
    _batch_norm(c)
    _shape_n(c)
    write_cases("crates/kernels/testdata/cnn.json", c.cases, "tools/oracle/cnn_cases.py")


if __name__ == "__main__":
    main()
