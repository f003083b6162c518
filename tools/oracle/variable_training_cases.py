#!/usr/bin/env python3
"""Oracle cases for ferroflow's resource-variable and training kernels, computed by stock
TensorFlow 2.21.

Run with the TF virtualenv:

    /root/.cache/tfvenv-2.21/bin/python tools/oracle/variable_training_cases.py

It writes crates/kernels/testdata/training.json. Each case is a TF1-style graph run step by step
in one Session: resource variables are made with VarHandleOp (shared_name = the slot name,
container = default) and initialized with AssignVariableOp; every other input of the op under
test is a placeholder of unknown shape, so only TF's CPU kernel checks them. After each step every
variable is read back with ReadVariableOp. Grappler is disabled and oneDNN is off. Inputs come
from a fixed-seed generator: the file is reproducible byte for byte.

Schema: {"generator", "tf_version", "training": [TCASE...], "variables": [VCASE...]} with

    TCASE = {"name", "op", "dtype", "attrs": {name: bool},
             "slots": [resource input names, in input order],
             "init": {slot: TENSOR} (a slot absent here is never created),
             "args": [names of the other inputs, in input order],
             "steps": [{"args": {name: TENSOR},
                        then "after": {slot: TENSOR} or "error": ERROR}]}
    VCASE = {"name", "steps": [{"op": "Assign"|"AssignAdd"|"AssignSub"|"Read"|"IsInitialized"
                                      |"Shape"|"Destroy", "var": shared name, "dtype": str,
                                "value": TENSOR (Assign*), "out_type": str (Shape),
                                "ignore_lookup_error": bool (Destroy),
                                "validate_shape": bool (Assign),
                                then "output": TENSOR, "ok": true, or "error": ERROR}]}
    ERROR  = {"code": "INVALID_ARGUMENT", "message": TF's message without node context}
    TENSOR = {"dtype": "float32", "shape": [2, 2], "values": [flat row-major values]}
"""

import json
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ["TF_ENABLE_ONEDNN_OPTS"] = "0"

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

tf.compat.v1.disable_eager_execution()

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OUT = os.path.join(ROOT, "crates", "kernels", "testdata", "training.json")

RNG = np.random.default_rng(20240521)

CODE_NAMES = {
    1: "CANCELLED", 2: "UNKNOWN", 3: "INVALID_ARGUMENT", 4: "DEADLINE_EXCEEDED", 5: "NOT_FOUND",
    6: "ALREADY_EXISTS", 7: "PERMISSION_DENIED", 8: "RESOURCE_EXHAUSTED", 9: "FAILED_PRECONDITION",
    10: "ABORTED", 11: "OUT_OF_RANGE", 12: "UNIMPLEMENTED", 13: "INTERNAL", 14: "UNAVAILABLE",
    15: "DATA_LOSS", 16: "UNAUTHENTICATED",
}
DTYPES = {"float32": tf.float32, "float64": tf.float64, "int32": tf.int32, "int64": tf.int64,
          "bool": tf.bool}


def float_json(x, np_type):
    x = np_type(x)
    text = np.format_float_positional(x, unique=True, trim="-")
    v = float(text)
    if np_type(v) != x:
        v = float(x)
    if v == int(v) and abs(v) < 2**53 and not (v == 0 and np.signbit(x)):
        return int(v)
    return v


def tensor_json(a):
    a = np.asarray(a)
    name = a.dtype.name
    if name in ("float32", "float64"):
        t = np.float32 if name == "float32" else np.float64
        vals = [float_json(v, t) for v in a.ravel()]
    elif name == "bool":
        vals = [bool(v) for v in a.ravel()]
    else:
        vals = [int(v) for v in a.ravel()]
    return {"dtype": name, "shape": list(a.shape), "values": vals}


def error_json(e):
    msg = e.message.split("\n\t [[")[0]
    # Graph-mode messages start with where the node was defined; the kernel's text is the tail.
    if "\nNode: '" in msg:
        msg = msg.split("\nNode: '", 1)[1].split("\n", 1)[1]
    return {"code": CODE_NAMES[e.error_code], "message": msg}


def session_config():
    cfg = tf.compat.v1.ConfigProto()
    cfg.graph_options.rewrite_options.disable_meta_optimizer = True
    cfg.graph_options.optimizer_options.opt_level = tf.compat.v1.OptimizerOptions.L0
    return cfg


def rand(shape, dtype, lo=-1.0, hi=1.0):
    return RNG.uniform(lo, hi, size=shape).astype(dtype)


# ----------------------------------------------------------------------------------------------
# Training ops

OPS = {
    # op: (resource slots, other inputs in order)
    "ResourceApplyGradientDescent": (["var"], ["alpha", "delta"]),
    "ResourceApplyAdam": (["var", "m", "v"], ["beta1_power", "beta2_power", "lr", "beta1", "beta2", "epsilon", "grad"]),
    "ResourceApplyMomentum": (["var", "accum"], ["lr", "grad", "momentum"]),
    "ResourceApplyAdagrad": (["var", "accum"], ["lr", "grad"]),
    "ResourceApplyRMSProp": (["var", "ms", "mom"], ["lr", "rho", "momentum", "epsilon", "grad"]),
    "ResourceApplyAdamWithAmsgrad": (
        ["var", "m", "v", "vhat"], ["beta1_power", "beta2_power", "lr", "beta1", "beta2", "epsilon", "grad"]),
    "ResourceApplyAdadelta": (["var", "accum", "accum_update"], ["lr", "rho", "epsilon", "grad"]),
    "ResourceApplyProximalGradientDescent": (["var"], ["alpha", "l1", "l2", "delta"]),
    "ResourceApplyProximalAdagrad": (["var", "accum"], ["lr", "l1", "l2", "grad"]),
    "ResourceApplyCenteredRMSProp": (["var", "mg", "ms", "mom"], ["lr", "rho", "momentum", "epsilon", "grad"]),
    "ResourceApplyFtrl": (["var", "accum", "linear"], ["grad", "lr", "l1", "l2", "lr_power"]),
    "ResourceApplyFtrlV2": (["var", "accum", "linear"], ["grad", "lr", "l1", "l2", "l2_shrinkage", "lr_power"]),
    "ResourceSparseApplyAdagrad": (["var", "accum"], ["lr", "grad", "indices"]),
    "ResourceSparseApplyAdagradV2": (["var", "accum"], ["lr", "epsilon", "grad", "indices"]),
    "ResourceSparseApplyMomentum": (["var", "accum"], ["lr", "grad", "indices", "momentum"]),
    **{f"ResourceScatter{k}": (["resource"], ["indices", "updates"])
       for k in ("Add", "Sub", "Mul", "Div", "Min", "Max", "Update")},
}
GRAD = {"ResourceApplyGradientDescent": "delta"}


def run_training(name, op, dtype, attrs, init, step_args):
    slots, args = OPS[op]
    g = tf.Graph()
    with g.as_default():
        handles = {s: tf.raw_ops.VarHandleOp(container="", shared_name=s, dtype=DTYPES[dtype], shape=None, name=s)
                   for s in slots}
        inits = [tf.raw_ops.AssignVariableOp(resource=handles[s], value=tf.constant(init[s])) for s in slots if s in init]
        # Arguments take the dtype of their first step's value (indices are integers).
        phs = {a: tf.compat.v1.placeholder(tf.as_dtype(np.asarray(step_args[0][a]).dtype), shape=None, name=a)
               for a in args}
        kwargs = {s: handles[s] for s in slots}
        kwargs.update(phs)
        kwargs.update(attrs)
        apply = getattr(tf.raw_ops, op)(**kwargs)
        reads = {s: tf.raw_ops.ReadVariableOp(resource=handles[s], dtype=DTYPES[dtype]) for s in slots if s in init}
    steps = []
    with tf.compat.v1.Session(graph=g, config=session_config()) as sess:
        sess.run(inits)
        for sa in step_args:
            step = {"args": {a: tensor_json(v) for a, v in sa.items()}}
            try:
                sess.run(apply, {phs[a]: v for a, v in sa.items()})
                step["after"] = {s: tensor_json(v) for s, v in sess.run(reads).items()}
            except tf.errors.OpError as e:
                step["error"] = error_json(e)
            steps.append(step)
    return {"name": name, "op": op, "dtype": dtype, "attrs": attrs, "slots": slots,
            "init": {s: tensor_json(v) for s, v in init.items()}, "args": args, "steps": steps}


def sparse_cases():
    """The sparse optimizer updates and the scatters: rows updated in order, repeats, TF's errors."""
    cases = []
    for dtype in ("float32", "float64"):
        var, acc = rand([5, 3], dtype), rand([5, 3], dtype, 0.1, 1.0)
        idx = [np.array([0, 3], np.int32), np.array([4, 4, 1], np.int64), np.array([2], np.int32)]
        grads = [rand([len(i), 3], dtype) for i in idx]
        lr = scalar(0.1, dtype)
        for slots in (True, False):
            cases.append(run_training(f"sparse_adagrad_{dtype}_{'slots' if slots else 'noslots'}",
                                      "ResourceSparseApplyAdagrad", dtype, {"update_slots": slots},
                                      {"var": var, "accum": acc},
                                      [{"lr": lr, "grad": g, "indices": i} for g, i in zip(grads, idx)]))
        cases.append(run_training(f"sparse_adagrad_vector_{dtype}", "ResourceSparseApplyAdagrad", dtype, {},
                                  {"var": rand([6], dtype), "accum": rand([6], dtype, 0.1, 1.0)},
                                  [{"lr": lr, "grad": rand([3], dtype), "indices": np.array([5, 0, 2], np.int32)}]))
        cases.append(run_training(f"sparse_adagrad_v2_{dtype}", "ResourceSparseApplyAdagradV2", dtype, {},
                                  {"var": var, "accum": acc},
                                  [{"lr": lr, "epsilon": scalar(1e-3, dtype), "grad": g, "indices": i}
                                   for g, i in zip(grads, idx)]))
        for nesterov in (False, True):
            cases.append(run_training(f"sparse_momentum_{dtype}_{'nesterov' if nesterov else 'plain'}",
                                      "ResourceSparseApplyMomentum", dtype, {"use_nesterov": nesterov},
                                      {"var": var, "accum": acc},
                                      [{"lr": lr, "grad": g, "indices": i, "momentum": scalar(0.9, dtype)}
                                       for g, i in zip(grads, idx)]))
        for kind in ("Add", "Sub", "Mul", "Div", "Min", "Max", "Update"):
            steps = [{"indices": i, "updates": rand([len(i), 3], dtype, 0.5, 2.0)} for i in idx]
            steps.append({"indices": np.array([1, 2], np.int32), "updates": scalar(1.5, dtype)})
            cases.append(run_training(f"scatter_{kind.lower()}_{dtype}", f"ResourceScatter{kind}", dtype, {},
                                      {"resource": var}, steps))
    f = "float32"
    v53 = {"var": rand([5, 3], f), "accum": rand([5, 3], f, 0.1, 1.0)}
    bad = [
        ("index_out_of_range", {"grad": rand([2, 3], f), "indices": np.array([1, 5], np.int32)}),
        ("grad_rows", {"grad": rand([3, 3], f), "indices": np.array([1, 2], np.int32)}),
        ("grad_columns", {"grad": rand([2, 2], f), "indices": np.array([1, 2], np.int32)}),
        ("indices_matrix", {"grad": rand([2, 3], f), "indices": np.array([[1, 2]], np.int32)}),
        ("lr_vector", {"grad": rand([2, 3], f), "indices": np.array([1, 2], np.int32), "lr": np.ones(2, f)}),
    ]
    for name, args in bad:
        args = dict({"lr": scalar(0.1, f)}, **args)
        cases.append(run_training(f"sparse_adagrad_err_{name}", "ResourceSparseApplyAdagrad", f, {}, v53, [args]))
    cases.append(run_training("sparse_adagrad_err_accum_shape", "ResourceSparseApplyAdagrad", f, {},
                              {"var": rand([5, 3], f), "accum": rand([4, 3], f)},
                              [{"lr": scalar(0.1, f), "grad": rand([1, 3], f), "indices": np.array([0], np.int32)}]))
    cases.append(run_training("scatter_add_err_index", "ResourceScatterAdd", f, {}, {"resource": rand([4, 2], f)},
                              [{"indices": np.array([0, 4], np.int32), "updates": rand([2, 2], f)}]))
    # TF compares only the ranks here (an update of shape [2, 3] for rows of 2 is read as a
    # matrix and half used); ferroflow refuses every shape but indices.shape + rows' shape.
    cases.append(run_training("scatter_add_err_updates_rank", "ResourceScatterAdd", f, {},
                              {"resource": rand([4, 2], f)},
                              [{"indices": np.array([0, 1], np.int32), "updates": rand([2, 2, 1], f)}]))
    cases.append(run_training("scatter_div_int_by_zero", "ResourceScatterDiv", "int32", {},
                              {"resource": np.array([[4, 8], [6, 3]], np.int32)},
                              [{"indices": np.array([1], np.int32), "updates": np.array([[2, 0]], np.int32)}]))
    return cases


def scalar(x, dtype):
    return np.array(x, dtype=dtype)


def more_optimizer_cases():
    """Adadelta, the proximal methods, centered RMSProp and FTRL (with and without shrinkage, the
    square-root and the general learning-rate power), and their argument checks."""
    cases = []
    for dtype in ("float32", "float64"):
        for k, shape in enumerate([[2, 2], [7], []]):
            tag = f"{dtype}_{'x'.join(map(str, shape)) or 'scalar'}"
            grads = [rand(shape, dtype) for _ in range(3)]
            sc = lambda v: scalar(v, dtype)  # noqa: E731
            cases.append(run_training(
                f"adadelta_{tag}", "ResourceApplyAdadelta", dtype, {"use_locking": False},
                {"var": rand(shape, dtype), "accum": rand(shape, dtype, 0.0, 0.5), "accum_update": rand(shape, dtype, 0.0, 0.5)},
                [{"lr": sc(1.0), "rho": sc(0.95), "epsilon": sc(1e-6), "grad": grads[i]} for i in range(3)]))
            for l1 in (0.0, 0.05):
                cases.append(run_training(
                    f"proximal_gd_l1_{l1}_{tag}", "ResourceApplyProximalGradientDescent", dtype, {},
                    {"var": rand(shape, dtype)},
                    [{"alpha": sc(0.1), "l1": sc(l1), "l2": sc(0.01), "delta": grads[i]} for i in range(3)]))
                cases.append(run_training(
                    f"proximal_adagrad_l1_{l1}_{tag}", "ResourceApplyProximalAdagrad", dtype, {},
                    {"var": rand(shape, dtype), "accum": rand(shape, dtype, 0.1, 1.0)},
                    [{"lr": sc(0.1), "l1": sc(l1), "l2": sc(0.02), "grad": grads[i]} for i in range(3)]))
            cases.append(run_training(
                f"centered_rmsprop_{tag}", "ResourceApplyCenteredRMSProp", dtype, {},
                {"var": rand(shape, dtype), "mg": rand(shape, dtype, -0.1, 0.1), "ms": rand(shape, dtype, 0.2, 0.5),
                 "mom": rand(shape, dtype, -0.1, 0.1)},
                [{"lr": sc(0.01), "rho": sc(0.9), "momentum": sc(0.5 * (i % 2)), "epsilon": sc(1e-6), "grad": grads[i]}
                 for i in range(3)]))
            for lr_power in (-0.5, -0.7):
                init = {"var": rand(shape, dtype), "accum": rand(shape, dtype, 0.1, 1.0), "linear": rand(shape, dtype, -0.2, 0.2)}
                steps = [{"grad": grads[i], "lr": sc(0.1), "l1": sc(0.01 * k), "l2": sc(0.02), "lr_power": sc(lr_power)}
                         for i in range(3)]
                cases.append(run_training(f"ftrl_{-lr_power}_{tag}", "ResourceApplyFtrl", dtype, {}, init, steps))
                cases.append(run_training(f"ftrl_v2_{-lr_power}_{tag}", "ResourceApplyFtrlV2", dtype, {}, init,
                                          [dict(st, l2_shrinkage=sc(0.03)) for st in steps]))
    f = "float32"
    sc = lambda v: scalar(v, f)  # noqa: E731
    ftrl_init = {"var": rand([2], f), "accum": rand([2], f, 0.1, 1.0), "linear": rand([2], f)}
    ftrl_args = {"grad": rand([2], f), "lr": sc(0.1), "l1": sc(0.0), "l2": sc(0.0), "lr_power": sc(-0.5)}
    for name, bad in [("lr_negative", {"lr": sc(-0.1)}), ("l1_negative", {"l1": sc(-1.0)}), ("l2_vector", {"l2": rand([2], f)}),
                      ("power_positive", {"lr_power": sc(0.5)})]:
        cases.append(run_training(f"ftrl_err_{name}", "ResourceApplyFtrl", f, {}, ftrl_init, [dict(ftrl_args, **bad)]))
    cases.append(run_training("ftrl_v2_err_shrinkage_negative", "ResourceApplyFtrlV2", f, {}, ftrl_init,
                              [dict(ftrl_args, l2_shrinkage=sc(-0.1))]))
    cases.append(run_training("ftrl_err_linear_shape", "ResourceApplyFtrl", f, {}, dict(ftrl_init, linear=rand([3], f)), [ftrl_args]))
    cases.append(run_training("proximal_adagrad_err_lr_negative", "ResourceApplyProximalAdagrad", f, {},
                              {"var": rand([2], f), "accum": rand([2], f, 0.1, 1.0)},
                              [{"lr": sc(-0.1), "l1": sc(0.0), "l2": sc(0.0), "grad": rand([2], f)}]))
    cases.append(run_training("proximal_adagrad_err_l1_negative", "ResourceApplyProximalAdagrad", f, {},
                              {"var": rand([2], f), "accum": rand([2], f, 0.1, 1.0)},
                              [{"lr": sc(0.1), "l1": sc(-1.0), "l2": sc(0.0), "grad": rand([2], f)}]))
    cases.append(run_training("proximal_gd_err_l2_vector", "ResourceApplyProximalGradientDescent", f, {}, {"var": rand([2], f)},
                              [{"alpha": sc(0.1), "l1": sc(0.0), "l2": rand([2], f), "delta": rand([2], f)}]))
    cases.append(run_training("adadelta_err_rho_vector", "ResourceApplyAdadelta", f, {},
                              {"var": rand([2], f), "accum": rand([2], f), "accum_update": rand([2], f)},
                              [{"lr": sc(1.0), "rho": rand([2], f), "epsilon": sc(1e-6), "grad": rand([2], f)}]))
    cases.append(run_training("centered_rmsprop_err_mg_shape", "ResourceApplyCenteredRMSProp", f, {},
                              {"var": rand([2], f), "mg": rand([3], f), "ms": rand([2], f), "mom": rand([2], f)},
                              [{"lr": sc(0.01), "rho": sc(0.9), "momentum": sc(0.0), "epsilon": sc(1e-6), "grad": rand([2], f)}]))
    return cases


def training_cases():
    cases = []
    shapes = [[2, 2], [7], [], [3, 5]]
    for dtype in ("float32", "float64"):
        for k, shape in enumerate(shapes):
            tag = f"{dtype}_{'x'.join(map(str, shape)) or 'scalar'}"
            grads = [rand(shape, dtype) for _ in range(3)]

            # Gradient descent.
            cases.append(run_training(f"gd_{tag}", "ResourceApplyGradientDescent", dtype, {"use_locking": k % 2 == 0},
                                      {"var": rand(shape, dtype)},
                                      [{"alpha": scalar(0.1 * (i + 1), dtype), "delta": grads[i]} for i in range(3)]))

            # Adam and AMSGrad, with the beta powers advancing each step as the optimizers do.
            b1, b2, lr, eps = 0.9, 0.999, 0.01 * (k + 1), 1e-7
            adam_steps = [{"beta1_power": scalar(b1 ** (i + 1), dtype), "beta2_power": scalar(b2 ** (i + 1), dtype),
                           "lr": scalar(lr, dtype), "beta1": scalar(b1, dtype), "beta2": scalar(b2, dtype),
                           "epsilon": scalar(eps, dtype), "grad": grads[i]} for i in range(3)]
            for nesterov in (False, True):
                init = {"var": rand(shape, dtype), "m": rand(shape, dtype, -0.1, 0.1), "v": rand(shape, dtype, 0.0, 0.1)}
                cases.append(run_training(f"adam_{'nesterov_' if nesterov else ''}{tag}", "ResourceApplyAdam", dtype,
                                          {"use_locking": nesterov, "use_nesterov": nesterov}, init, adam_steps))
            init = {"var": rand(shape, dtype), "m": rand(shape, dtype, -0.1, 0.1), "v": rand(shape, dtype, 0.0, 0.1),
                    "vhat": rand(shape, dtype, 0.0, 0.1)}
            cases.append(run_training(f"amsgrad_{tag}", "ResourceApplyAdamWithAmsgrad", dtype, {"use_locking": True},
                                      init, adam_steps))

            # Momentum.
            for nesterov in (False, True):
                init = {"var": rand(shape, dtype), "accum": rand(shape, dtype, -0.5, 0.5)}
                cases.append(run_training(
                    f"momentum_{'nesterov_' if nesterov else ''}{tag}", "ResourceApplyMomentum", dtype,
                    {"use_locking": False, "use_nesterov": nesterov}, init,
                    [{"lr": scalar(0.05, dtype), "grad": grads[i], "momentum": scalar(0.9, dtype)} for i in range(3)]))

            # Adagrad.
            for update_slots in (True, False):
                init = {"var": rand(shape, dtype), "accum": rand(shape, dtype, 0.1, 1.0)}
                cases.append(run_training(
                    f"adagrad_{'' if update_slots else 'frozen_'}{tag}", "ResourceApplyAdagrad", dtype,
                    {"use_locking": True, "update_slots": update_slots}, init,
                    [{"lr": scalar(0.1, dtype), "grad": grads[i]} for i in range(3)]))

            # RMSProp.
            init = {"var": rand(shape, dtype), "ms": rand(shape, dtype, 0.0, 0.5), "mom": rand(shape, dtype, -0.1, 0.1)}
            cases.append(run_training(
                f"rmsprop_{tag}", "ResourceApplyRMSProp", dtype, {"use_locking": False}, init,
                [{"lr": scalar(0.01, dtype), "rho": scalar(0.9, dtype), "momentum": scalar(0.5 * (i % 2), dtype),
                  "epsilon": scalar(1e-6, dtype), "grad": grads[i]} for i in range(3)]))

    cases += more_optimizer_cases()

    # Errors: mismatched shapes, non-scalar hyperparameters, missing variables.
    f = "float32"
    v22 = {"var": rand([2, 2], f)}
    cases.append(run_training("gd_delta_shape", "ResourceApplyGradientDescent", f, {}, v22,
                              [{"alpha": scalar(0.1, f), "delta": rand([3], f)}]))
    cases.append(run_training("gd_alpha_not_scalar", "ResourceApplyGradientDescent", f, {}, v22,
                              [{"alpha": rand([1], f), "delta": rand([2, 2], f)}]))
    cases.append(run_training("gd_missing_var", "ResourceApplyGradientDescent", f, {}, {},
                              [{"alpha": scalar(0.1, f), "delta": rand([2, 2], f)}]))
    adam_init = {"var": rand([2, 2], f), "m": rand([2, 2], f), "v": rand([2, 2], f)}
    adam_args = {"beta1_power": scalar(0.9, f), "beta2_power": scalar(0.99, f), "lr": scalar(0.1, f),
                 "beta1": scalar(0.9, f), "beta2": scalar(0.99, f), "epsilon": scalar(1e-7, f)}
    cases.append(run_training("adam_grad_shape", "ResourceApplyAdam", f, {}, adam_init,
                              [dict(adam_args, grad=rand([3], f))]))
    cases.append(run_training("adam_lr_not_scalar", "ResourceApplyAdam", f, {}, adam_init,
                              [dict(adam_args, lr=rand([2], f), grad=rand([2, 2], f))]))
    cases.append(run_training("adam_m_shape", "ResourceApplyAdam", f, {}, dict(adam_init, m=rand([4], f)),
                              [dict(adam_args, grad=rand([2, 2], f))]))
    cases.append(run_training("adam_missing_v", "ResourceApplyAdam", f, {}, {"var": rand([2, 2], f), "m": rand([2, 2], f)},
                              [dict(adam_args, grad=rand([2, 2], f))]))
    cases.append(run_training("momentum_accum_shape", "ResourceApplyMomentum", f, {},
                              {"var": rand([2, 2], f), "accum": rand([2], f)},
                              [{"lr": scalar(0.1, f), "grad": rand([2, 2], f), "momentum": scalar(0.9, f)}]))
    cases.append(run_training("momentum_momentum_not_scalar", "ResourceApplyMomentum", f, {},
                              {"var": rand([2, 2], f), "accum": rand([2, 2], f)},
                              [{"lr": scalar(0.1, f), "grad": rand([2, 2], f), "momentum": rand([2], f)}]))
    cases.append(run_training("adagrad_grad_shape", "ResourceApplyAdagrad", f, {},
                              {"var": rand([2, 2], f), "accum": rand([2, 2], f)},
                              [{"lr": scalar(0.1, f), "grad": rand([2, 3], f)}]))
    cases.append(run_training("rmsprop_rho_not_scalar", "ResourceApplyRMSProp", f, {},
                              {"var": rand([2], f), "ms": rand([2], f), "mom": rand([2], f)},
                              [{"lr": scalar(0.1, f), "rho": rand([1, 1], f), "momentum": scalar(0.0, f),
                                "epsilon": scalar(1e-6, f), "grad": rand([2], f)}]))
    cases.append(run_training("amsgrad_v_shape", "ResourceApplyAdamWithAmsgrad", f, {},
                              {"var": rand([2], f), "m": rand([2], f), "v": rand([3], f), "vhat": rand([2], f)},
                              [dict(adam_args, grad=rand([2], f))]))
    return cases


# ----------------------------------------------------------------------------------------------
# Variable ops


def run_variable_case(name, steps):
    g = tf.Graph()
    fetches = []
    with g.as_default():
        dummy = tf.raw_ops.VarHandleOp(container="", shared_name="dummy", dtype=tf.float32, shape=[], name="dummy")
        # A first variable makes the default container exist (TF words lookups in a missing
        # container differently; ferroflow does not track containers).
        setup = tf.raw_ops.AssignVariableOp(resource=dummy, value=tf.constant(0.0))
        for i, s in enumerate(steps):
            dt = DTYPES[s["dtype"]]
            h = tf.raw_ops.VarHandleOp(container="", shared_name=s["var"], dtype=dt, shape=None, name=f"h{i}")
            op = s["op"]
            if op == "Assign":
                val = tf.compat.v1.placeholder(dt, shape=None)
                fetch = tf.raw_ops.AssignVariableOp(resource=h, value=val,
                                                    validate_shape=s.get("validate_shape", False))
                fetches.append((fetch, {val: s["value"]}))
            elif op in ("AssignAdd", "AssignSub"):
                val = tf.compat.v1.placeholder(dt, shape=None)
                fn = tf.raw_ops.AssignAddVariableOp if op == "AssignAdd" else tf.raw_ops.AssignSubVariableOp
                fetches.append((fn(resource=h, value=val), {val: s["value"]}))
            elif op == "Read":
                fetches.append((tf.raw_ops.ReadVariableOp(resource=h, dtype=dt), {}))
            elif op == "IsInitialized":
                fetches.append((tf.raw_ops.VarIsInitializedOp(resource=h), {}))
            elif op == "Shape":
                fetches.append((tf.raw_ops.VariableShape(input=h, out_type=DTYPES[s["out_type"]]), {}))
            elif op == "Destroy":
                fetches.append((tf.raw_ops.DestroyResourceOp(resource=h, ignore_lookup_error=s["ignore_lookup_error"]),
                                {}))
            else:
                raise ValueError(op)
    out_steps = []
    with tf.compat.v1.Session(graph=g, config=session_config()) as sess:
        sess.run(setup)
        for s, (fetch, feed) in zip(steps, fetches):
            rec = {k: (tensor_json(v) if k == "value" else v) for k, v in s.items()}
            try:
                r = sess.run(fetch, feed)
                if r is None:
                    rec["ok"] = True
                else:
                    rec["output"] = tensor_json(r)
            except tf.errors.OpError as e:
                rec["error"] = error_json(e)
            out_steps.append(rec)
    return {"name": name, "steps": out_steps}


def variable_cases():
    f32 = lambda x: np.array(x, dtype=np.float32)  # noqa: E731
    i32 = lambda x: np.array(x, dtype=np.int32)  # noqa: E731
    i64 = lambda x: np.array(x, dtype=np.int64)  # noqa: E731
    return [
        run_variable_case("lifecycle_float", [
            {"op": "IsInitialized", "var": "v", "dtype": "float32"},
            {"op": "Read", "var": "v", "dtype": "float32"},
            {"op": "AssignAdd", "var": "v", "dtype": "float32", "value": f32([1, 2])},
            {"op": "Shape", "var": "v", "dtype": "float32", "out_type": "int32"},
            {"op": "Assign", "var": "v", "dtype": "float32", "value": f32([1.5, -2.25])},
            {"op": "IsInitialized", "var": "v", "dtype": "float32"},
            {"op": "Read", "var": "v", "dtype": "float32"},
            {"op": "AssignAdd", "var": "v", "dtype": "float32", "value": f32([0.25, 1])},
            {"op": "AssignSub", "var": "v", "dtype": "float32", "value": f32([3, 3])},
            {"op": "Read", "var": "v", "dtype": "float32"},
            {"op": "Shape", "var": "v", "dtype": "float32", "out_type": "int64"},
            {"op": "AssignAdd", "var": "v", "dtype": "float32", "value": f32([1, 2, 3])},
            {"op": "Read", "var": "v", "dtype": "int32"},
            {"op": "Assign", "var": "v", "dtype": "int32", "value": i32([1, 2])},
            {"op": "AssignAdd", "var": "v", "dtype": "int32", "value": i32([1, 2])},
            {"op": "Assign", "var": "v", "dtype": "float32", "value": f32([[1, 2, 3], [4, 5, 6]])},
            {"op": "Shape", "var": "v", "dtype": "float32", "out_type": "int32"},
            {"op": "Assign", "var": "v", "dtype": "float32", "value": f32([1]), "validate_shape": True},
            {"op": "Destroy", "var": "v", "dtype": "float32", "ignore_lookup_error": False},
            {"op": "IsInitialized", "var": "v", "dtype": "float32"},
            {"op": "Read", "var": "v", "dtype": "float32"},
            {"op": "Destroy", "var": "v", "dtype": "float32", "ignore_lookup_error": True},
            {"op": "Destroy", "var": "v", "dtype": "float32", "ignore_lookup_error": False},
        ]),
        run_variable_case("integers_wrap", [
            {"op": "Assign", "var": "n", "dtype": "int32", "value": i32([2**31 - 1, -(2**31), 5])},
            {"op": "AssignAdd", "var": "n", "dtype": "int32", "value": i32([1, 0, -7])},
            {"op": "Read", "var": "n", "dtype": "int32"},
            {"op": "AssignSub", "var": "n", "dtype": "int32", "value": i32([1, 1, 1])},
            {"op": "Read", "var": "n", "dtype": "int32"},
            {"op": "Assign", "var": "w", "dtype": "int64", "value": i64([[2**40], [-3]])},
            {"op": "AssignSub", "var": "w", "dtype": "int64", "value": i64([[1], [2**62]])},
            {"op": "Read", "var": "w", "dtype": "int64"},
            {"op": "Shape", "var": "w", "dtype": "int64", "out_type": "int64"},
        ]),
        run_variable_case("scalars_and_bools", [
            {"op": "Assign", "var": "s", "dtype": "float32", "value": f32(3.5)},
            {"op": "AssignSub", "var": "s", "dtype": "float32", "value": f32(0.25)},
            {"op": "Read", "var": "s", "dtype": "float32"},
            {"op": "Shape", "var": "s", "dtype": "float32", "out_type": "int32"},
            {"op": "Assign", "var": "b", "dtype": "bool", "value": np.array([True, False])},
            {"op": "Read", "var": "b", "dtype": "bool"},
        ]),
    ]


def main():
    doc = {
        "generator": "tools/oracle/variable_training_cases.py",
        "tf_version": tf.__version__,
        "training": training_cases() + sparse_cases(),
        "variables": variable_cases(),
    }
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as fh:
        json.dump(doc, fh, separators=(",", ":"))
        fh.write("\n")
    n = len(doc["training"]) + len(doc["variables"])
    steps = sum(len(c["steps"]) for c in doc["training"] + doc["variables"])
    print(f"wrote {n} cases ({steps} steps) to {os.path.relpath(OUT, ROOT)}")


if __name__ == "__main__":
    main()
