"""Writes GraphDefs with functional ops (TF2 graph mode: StatelessIf, StatelessWhile, Case,
PartitionedCall) built by stock TF 2.21, with the values TF computes for their fetches, for the
runtime's lowering tests.

    python tools/oracle/functional_graphs.py   # writes crates/runtime/testdata/functional.json

Every graph is built from constants only (no feeds); each case lists the tensors to fetch and TF's
values for them (from a Session run of the same graph).
"""
import json
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

tf.compat.v1.disable_eager_execution()
OUT = os.path.join(os.path.dirname(__file__), "..", "..", "crates", "runtime", "testdata", "functional.json")


def cond_cases():
    for x in (3.0, -2.0):
        def build(x=x):
            v = tf.constant(x)
            return [tf.cond(v > 0, lambda: v * 2.0, lambda: -v)]
        yield f"cond_{'pos' if x > 0 else 'neg'}", build


def while_sum():
    i = tf.constant(0)
    s = tf.constant(0.0)
    _, total = tf.while_loop(lambda i, s: i < 10, lambda i, s: (i + 1, s + tf.cast(i, tf.float32)), [i, s])
    return [total]


def while_max_iterations():
    r = tf.while_loop(lambda i: i < 100, lambda i: i + 3, [tf.constant(1)], maximum_iterations=5)
    return [r]


def while_invariant_update():
    """A body whose update reads only loop invariants (a variable's handle and a tensor from outside,
    both passed through unchanged): it must run once per iteration, not in the leaving one too."""
    h = tf.raw_ops.VarHandleOp(dtype=tf.float32, shape=[], shared_name="invariant_update_v")
    init = tf.raw_ops.AssignVariableOp(resource=h, value=tf.constant(0.0))
    delta = tf.constant(2.0)
    with tf.control_dependencies([init]):
        start = tf.identity(tf.constant(0))

    def body(i):
        update = tf.raw_ops.AssignAddVariableOp(resource=h, value=delta)
        with tf.control_dependencies([update]):
            return i + 1

    (r,) = tf.while_loop(lambda i: i < 3, body, [start])
    with tf.control_dependencies([r]):
        value = tf.raw_ops.ReadVariableOp(resource=h, dtype=tf.float32)
    return [r, value]


def nested():
    def body(i, acc):
        inner = tf.while_loop(lambda j, a: j < i, lambda j, a: (j + 1, a + 1), [tf.constant(0), acc])[1]
        return i + 1, tf.cond(tf.equal(i % 2, 0), lambda: inner * 2, lambda: inner)
    return [tf.while_loop(lambda i, acc: i < 4, body, [tf.constant(0), tf.constant(1)])[1]]


def cond_with_loop():
    x = tf.constant(5)
    return [tf.cond(x > 2, lambda: tf.while_loop(lambda i: i < 50, lambda i: i * 2, [x])[0], lambda: x - 1)]


def function_call():
    @tf.function
    def f(a, b):
        return a * b + 1.0, tf.stack([a, b])
    return list(f(tf.constant(2.0), tf.constant(4.0)))


def switch_case():
    outs = []
    for k in (0, 1, 7):
        idx = tf.constant(k)
        outs.append(tf.switch_case(idx, [lambda: tf.constant(10), lambda: tf.constant(20), lambda: tf.constant(30)]))
    return outs


CASES = list(cond_cases()) + [
    ("while_sum", while_sum),
    ("while_max_iterations", while_max_iterations),
    ("while_invariant_update", while_invariant_update),
    ("nested_loops_and_conds", nested),
    ("cond_with_loop", cond_with_loop),
    ("function_call", function_call),
    ("switch_case", switch_case),
]


def main():
    cases = []
    for name, build in CASES:
        g = tf.Graph()
        with g.as_default():
            fetches = tf.nest.flatten(build())
        with tf.compat.v1.Session(graph=g) as s:
            values = s.run(fetches)
        cases.append({
            "name": name,
            "graph": g.as_graph_def().SerializeToString().hex(),
            "fetches": [t.name for t in fetches],
            "values": [np.asarray(v).tolist() for v in values],
        })
    with open(OUT, "w") as f:
        json.dump({"generator": "tools/oracle/functional_graphs.py", "tf_version": tf.__version__, "cases": cases}, f, indent=1)


if __name__ == "__main__":
    main()
