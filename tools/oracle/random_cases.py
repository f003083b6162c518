#!/usr/bin/env python3
"""Oracle cases for ferroflow's random kernels, computed by stock TensorFlow 2.21.

Run with the TF virtualenv:

    /root/.cache/tfvenv-2.21/bin/python tools/oracle/random_cases.py

It writes crates/kernels/testdata/random.json. Every case builds one random op node (through
tf.raw_ops, so the `seed`/`seed2` attrs are exactly the ones given) in a TF1-style graph and runs
that same node twice in one Session: the second run shows how the kernel's generator continues
after the samples the first run reserved. Everything is seeded, so the file is reproducible byte
for byte.

Schema: {"generator", "tf_version", "cases": [CASE...]} with

    CASE = {"name": str, "op": str, "dtype": "float32"|"float64"|"int32"|"int64",
            "seed": int, "seed2": int, "shape": TENSOR (the shape input, int32 or int64),
            "minval": TENSOR, "maxval": TENSOR (RandomUniformInt only),
            "runs": [TENSOR, TENSOR] (outputs of the first and second run)}
    TENSOR = {"dtype": "float32", "shape": [2, 2], "values": [flat row-major values]}

Float values are written as the shortest decimal that reads back to the same float; float64
tensors also carry "bits": the IEEE bit patterns as 16-digit hex strings, so comparisons can be
bit-exact whatever the JSON reader's rounding.
"""

import json
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ["TF_ENABLE_ONEDNN_OPTS"] = "0"

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

tf.compat.v1.disable_eager_execution()

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OUT = os.path.join(ROOT, "crates", "kernels", "testdata", "random.json")


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
    else:
        vals = [int(v) for v in a.ravel()]
    t = {"dtype": name, "shape": list(a.shape), "values": vals}
    if name == "float64":
        # serde_json's default number parsing may be off by an ulp for 17-digit doubles; the exact
        # bit patterns let tests compare bit for bit anyway.
        t["bits"] = ["%016x" % v for v in a.ravel().view(np.uint64)]
    return t


def session_config():
    cfg = tf.compat.v1.ConfigProto()
    cfg.graph_options.rewrite_options.disable_meta_optimizer = True
    cfg.graph_options.optimizer_options.opt_level = tf.compat.v1.OptimizerOptions.L0
    return cfg


DTYPES = {"float32": tf.float32, "float64": tf.float64, "int32": tf.int32, "int64": tf.int64}


def run_case(op, dtype, seed, seed2, shape, shape_dtype="int32", minval=None, maxval=None):
    shape_np = np.array(shape, dtype=shape_dtype)
    g = tf.Graph()
    with g.as_default():
        # Placeholders keep the shape (and bounds) out of constant folding and shape inference.
        shape_ph = tf.compat.v1.placeholder(DTYPES[shape_dtype], shape=None)
        feeds = {shape_ph: shape_np}
        if op == "RandomUniformInt":
            lo_ph = tf.compat.v1.placeholder(DTYPES[dtype], shape=None)
            hi_ph = tf.compat.v1.placeholder(DTYPES[dtype], shape=None)
            feeds[lo_ph] = np.array(minval, dtype=dtype)
            feeds[hi_ph] = np.array(maxval, dtype=dtype)
            out = tf.raw_ops.RandomUniformInt(shape=shape_ph, minval=lo_ph, maxval=hi_ph, seed=seed, seed2=seed2)
        else:
            fn = getattr(tf.raw_ops, op)
            out = fn(shape=shape_ph, dtype=DTYPES[dtype], seed=seed, seed2=seed2)
    with tf.compat.v1.Session(graph=g, config=session_config()) as sess:
        runs = [sess.run(out, feeds), sess.run(out, feeds)]
    case = {
        "name": f"{op}_{dtype}_s{seed}_{seed2}_{'x'.join(map(str, shape)) or 'scalar'}",
        "op": op,
        "dtype": dtype,
        "seed": seed,
        "seed2": seed2,
        "shape": tensor_json(shape_np),
        "runs": [tensor_json(r) for r in runs],
    }
    if op == "RandomUniformInt":
        case["name"] += f"_{minval}_{maxval}"
        case["minval"] = tensor_json(np.array(minval, dtype=dtype))
        case["maxval"] = tensor_json(np.array(maxval, dtype=dtype))
    return case


SEEDS = [(1, 2), (87654321, 0), (0, 7), (-5, 123456789012), (2**40 + 3, -(2**33) - 1)]
SHAPES = [[7], [2, 3], [4], [1], [], [3, 5, 3], [0, 3], [2, 1, 9]]


def main():
    cases = []
    for op in ("RandomUniform", "RandomStandardNormal", "TruncatedNormal"):
        for dtype in ("float32", "float64"):
            for i, (seed, seed2) in enumerate(SEEDS):
                # Each seed pair sees a rotating subset of shapes, all shapes over the seeds.
                for j, shape in enumerate(SHAPES):
                    if (i + j) % 2 == 0 or shape in ([7], [3, 5, 3]):
                        shape_dtype = "int64" if (i + j) % 3 == 0 else "int32"
                        cases.append(run_case(op, dtype, seed, seed2, shape, shape_dtype))
        # Larger outputs, several of TF's worker shards (results must not depend on them).
        cases.append(run_case(op, "float32", 4242, 99, [1031]))
        cases.append(run_case(op, "float64", 4242, 99, [517]))
    bounds = {
        "int32": [(0, 10), (-7, 3), (-(2**31), 2**31 - 1), (5, 6), (-100, 1000003)],
        "int64": [(0, 10), (-7, 3), (-(2**63), 2**63 - 1), (5, 6), (-(2**40), 2**45 + 17)],
    }
    for dtype, pairs in bounds.items():
        for i, (lo, hi) in enumerate(pairs):
            seed, seed2 = SEEDS[i % len(SEEDS)]
            for shape in ([7], [2, 3], [5, 5], []):
                cases.append(run_case("RandomUniformInt", dtype, seed, seed2, shape, "int32", lo, hi))
    cases.append(run_case("RandomUniformInt", "int32", 4242, 99, [1031], "int64", -50, 50))
    doc = {
        "generator": "tools/oracle/random_cases.py",
        "tf_version": tf.__version__,
        "cases": cases,
    }
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        json.dump(doc, f, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {len(cases)} cases to {os.path.relpath(OUT, ROOT)}")


if __name__ == "__main__":
    main()
