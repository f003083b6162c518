#!/usr/bin/env python3
"""Oracle cases for ferroflow's stateless random kernels, computed by stock TF 2.21: the seed
scrambling of `StatelessRandomGetKeyCounter`/`...Alg`/`GetAlg`, the V1 ops that take a seed
(`StatelessRandomUniform`, `StatelessRandomNormal`, `StatelessTruncatedNormal`,
`StatelessRandomUniformInt`, `StatelessRandomUniformFullInt`) and the V2 ops that take a key, a
counter and an algorithm (`StatelessRandomUniformV2`, `...NormalV2`, `StatelessTruncatedNormalV2`,
`StatelessRandomUniformIntV2`, `StatelessRandomUniformFullIntV2`): every dtype ferroflow has, int32
and int64 seeds and shapes, sizes that end inside a group and sizes large enough to be filled in
parallel, and TF's errors (seed, key, counter and algorithm shapes, unknown algorithms, empty ranges).
Values are compared bit for bit.

Run with the TF virtualenv:

    ~/.cache/ferroflow/tfvenv-2.21/bin/python tools/oracle/stateless_random_cases.py

It writes crates/kernels/testdata/stateless_random.json, in the schema of array_cases.py (whose
helpers this script imports).
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from array_cases import Cases, np, ty, write_cases  # noqa: E402

SEEDS = [np.array([1, 2], np.int64), np.array([-7, 2**40 + 3], np.int64), np.array([0, 0], np.int32),
         np.array([123456, -5], np.int32)]
SHAPES = [[], [3], [2, 5], [4, 1, 7], [0, 3]]


def key_counter(seed):
    """The key and counter TF's StatelessRandomGetKeyCounter makes of a seed (run eagerly-free, by a case)."""
    import tensorflow as tf

    g = tf.Graph()
    with g.as_default():
        k, c = tf.raw_ops.StatelessRandomGetKeyCounter(seed=tf.constant(seed))
        with tf.compat.v1.Session(graph=g) as s:
            return s.run([k, c])


def _key_counter_ops(c):
    for n, seed in enumerate(SEEDS):
        attrs = {"Tseed": ty(seed.dtype.name)}
        c.ok(f"get_key_counter_{n}", "StatelessRandomGetKeyCounter", [seed], attrs)
        c.ok(f"get_key_counter_alg_{n}", "StatelessRandomGetKeyCounterAlg", [seed], attrs)
    c.ok("get_alg", "StatelessRandomGetAlg", [], {})
    for name, seed in [("scalar", np.array(3, np.int64)), ("three", np.array([1, 2, 3], np.int64))]:
        c.err(f"get_key_counter_err_{name}", "StatelessRandomGetKeyCounter", [seed], {"Tseed": ty("int64")})


def _v1(c):
    for n, seed in enumerate(SEEDS):
        for shape in SHAPES:
            tag = f"{n}_{'x'.join(map(str, shape)) or 'scalar'}"
            for op in ("StatelessRandomUniform", "StatelessRandomNormal", "StatelessTruncatedNormal"):
                for dt in ("float32", "float64"):
                    attrs = {"dtype": ty(dt), "T": ty("int32"), "Tseed": ty(seed.dtype.name)}
                    c.ok(f"{op}_{dt}_{tag}".lower(), op, [np.array(shape, np.int32), seed], attrs)
            for dt, lo, hi in (("int32", -5, 17), ("int64", -(2**40), 2**41 + 7)):
                attrs = {"dtype": ty(dt), "T": ty("int64"), "Tseed": ty(seed.dtype.name)}
                c.ok(f"uniform_int_{dt}_{tag}", "StatelessRandomUniformInt",
                     [np.array(shape, np.int64), seed, np.array(lo, dt), np.array(hi, dt)], attrs)
            for dt in ("int32", "int64", "uint32", "uint64"):
                attrs = {"dtype": ty(dt), "T": ty("int32"), "Tseed": ty(seed.dtype.name)}
                c.ok(f"uniform_full_int_{dt}_{tag}", "StatelessRandomUniformFullInt", [np.array(shape, np.int32), seed], attrs)
    # Past 8,192 groups of four: filled in parallel, each task from its own offset.
    big = [np.array([33000], np.int32), SEEDS[1]]
    for op in ("StatelessRandomUniform", "StatelessTruncatedNormal"):
        c.ok(f"{op}_large".lower(), op, big, {"dtype": ty("float32"), "T": ty("int32"), "Tseed": ty("int64")})
    c.err("uniform_err_seed_shape", "StatelessRandomUniform", [np.array([2], np.int32), np.array([1, 2, 3], np.int64)],
          {"dtype": ty("float32"), "T": ty("int32"), "Tseed": ty("int64")})
    c.err("uniform_err_shape_negative", "StatelessRandomUniform", [np.array([2, -1], np.int32), SEEDS[0]],
          {"dtype": ty("float32"), "T": ty("int32"), "Tseed": ty("int64")})
    ints = {"dtype": ty("int32"), "T": ty("int32"), "Tseed": ty("int64")}
    c.err("uniform_int_err_empty_range", "StatelessRandomUniformInt",
          [np.array([2], np.int32), SEEDS[0], np.array(3, np.int32), np.array(3, np.int32)], ints)
    c.err("uniform_int_err_minval_vector", "StatelessRandomUniformInt",
          [np.array([2], np.int32), SEEDS[0], np.array([1], np.int32), np.array(3, np.int32)], ints)
    c.ok("uniform_int_empty_output_ignores_range", "StatelessRandomUniformInt",
         [np.array([0], np.int32), SEEDS[0], np.array(3, np.int32), np.array(3, np.int32)], ints)


def _v2(c):
    for n, seed in enumerate(SEEDS[:3]):
        key, counter = key_counter(seed)
        for shape in SHAPES:
            tag = f"{n}_{'x'.join(map(str, shape)) or 'scalar'}"
            for alg in (1, 3):
                inputs = [np.array(shape, np.int32), key, counter, np.array(alg, np.int32)]
                for op in ("StatelessRandomUniformV2", "StatelessRandomNormalV2", "StatelessTruncatedNormalV2"):
                    for dt in ("float32", "float64"):
                        c.ok(f"{op}_{dt}_alg{alg}_{tag}".lower(), op, inputs, {"dtype": ty(dt), "Tshape": ty("int32")})
                for dt, lo, hi in (("int32", -3, 1000), ("int64", 5, 2**33)):
                    c.ok(f"uniform_int_v2_{dt}_alg{alg}_{tag}", "StatelessRandomUniformIntV2",
                         inputs + [np.array(lo, dt), np.array(hi, dt)], {"dtype": ty(dt), "Tshape": ty("int32")})
                for dt in ("int32", "int64", "uint32", "uint64"):
                    c.ok(f"uniform_full_int_v2_{dt}_alg{alg}_{tag}", "StatelessRandomUniformFullIntV2", inputs,
                         {"dtype": ty(dt), "Tshape": ty("int32")})
    key, counter = key_counter(SEEDS[1])
    # A counter given by hand, with a high word that makes the block counter carry.
    c.ok("uniform_v2_counter_by_hand", "StatelessRandomUniformV2",
         [np.array([9], np.int64), np.array([0xDEADBEEF12345678], np.uint64), np.array([2**64 - 2, 5], np.uint64), np.array(1, np.int32)],
         {"dtype": ty("float32"), "Tshape": ty("int64")})
    c.ok("uniform_v2_large", "StatelessRandomUniformV2", [np.array([130, 130], np.int32), key, counter, np.array(1, np.int32)],
         {"dtype": ty("float64"), "Tshape": ty("int32")})
    c.ok("uniform_v2_longer_counter", "StatelessRandomUniformV2",
         [np.array([3], np.int32), key, np.concatenate([counter, np.array([77], np.uint64)]), np.array(1, np.int32)],
         {"dtype": ty("float32"), "Tshape": ty("int32")})
    f = {"dtype": ty("float32"), "Tshape": ty("int32")}
    shape = np.array([2], np.int32)
    for name, inputs in [
        ("alg_threefry", [shape, key, counter, np.array(2, np.int32)]),
        ("alg_unknown", [shape, key, counter, np.array(7, np.int32)]),
        ("alg_vector", [shape, key, counter, np.array([1], np.int32)]),
        ("key_two", [shape, np.array([1, 2], np.uint64), counter, np.array(1, np.int32)]),
        ("key_scalar", [shape, np.array(1, np.uint64), counter, np.array(1, np.int32)]),
        ("counter_matrix", [shape, key, np.array([[1, 2]], np.uint64), np.array(1, np.int32)]),
    ]:
        c.err(f"uniform_v2_err_{name}", "StatelessRandomUniformV2", inputs, f)
    c.err("uniform_int_v2_err_empty_range", "StatelessRandomUniformIntV2",
          [shape, key, counter, np.array(1, np.int32), np.array(4, np.int64), np.array(2, np.int64)],
          {"dtype": ty("int64"), "Tshape": ty("int32")})


def main():
    c = Cases()
    _key_counter_ops(c)
    _v1(c)
    _v2(c)
    write_cases("crates/kernels/testdata/stateless_random.json", c.cases, "tools/oracle/stateless_random_cases.py")
    print(len(c.cases), "cases")


if __name__ == "__main__":
    main()
