"""ferroflow-client (the pure-Rust TF client) against stock TensorFlow, through its example binary
`client_oracle` (crates/client/examples/client_oracle.rs):

- a MetaGraphDef exported by TF (`export_meta_graph`: an MLP, Adam, collections) is loaded and
  trained from Rust on an all-TF cluster and on an all-ferroflow cluster, with the same results
  (and the same as TF's own client);
- the graphs the Rust builder makes equal the ones TF's Python makes for the same calls, node by
  node (names, op types, inputs, devices, attrs);
- gradients of a model built in Rust equal TF's `tf.gradients` of the same model (1e-5 relative).
"""
import json
import os
import subprocess

import numpy as np
import pytest
import tensorflow as tf
from tensorflow.core.framework import graph_pb2

from cluster import ROOT, Cluster
from conftest import LOG_DIR

v1 = tf.compat.v1
ALL_FF = {("master", 0): "ff", ("worker", 0): "ff", ("worker", 1): "ff"}


def oracle_binary():
    path = os.environ.get("FERROFLOW_CLIENT_ORACLE", os.path.join(ROOT, "target", "release", "examples", "client_oracle"))
    if not os.path.exists(path):
        raise RuntimeError(f"client_oracle not found at {path}: cargo build --release -p ferroflow-client --examples")
    return path


def oracle(*args):
    out = subprocess.run([oracle_binary(), *map(str, args)], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, f"client_oracle {args[0]} failed:\n{out.stderr}"
    return out.stdout


def tensor_json(a):
    a = np.asarray(a)
    return {"dtype": str(a.dtype), "shape": list(a.shape), "values": a.reshape(-1).tolist()}


def close(got, want, rel):
    got = np.asarray(got["values"], dtype=np.float64).reshape(got["shape"])
    want = np.asarray(want, dtype=np.float64)
    assert got.shape == want.shape, f"{got.shape} vs {want.shape}"
    np.testing.assert_allclose(got, want, rtol=rel, atol=rel * max(1.0, float(np.abs(want).max(initial=0.0))))


@pytest.fixture()
def ff_cluster(request):
    c = Cluster(ALL_FF, os.path.join(LOG_DIR, request.node.name))
    yield c
    c.stop()


def mlp_data():
    rng = np.random.RandomState(0)
    x = rng.rand(16, 6).astype(np.float32)
    y = (x[:, 0] * 3).astype(np.int64) % 3
    return x, y


def export_mlp(path):
    g = tf.Graph()
    with g.as_default():
        v1.set_random_seed(5)
        x = v1.placeholder(tf.float32, [None, 6], name="x")
        y = v1.placeholder(tf.int64, [None], name="y")
        with tf.device("/job:worker/task:1"):
            with v1.variable_scope("hidden"):
                w1 = v1.get_variable("w", [6, 8], initializer=v1.glorot_uniform_initializer())
                b1 = v1.get_variable("b", [8], initializer=v1.zeros_initializer())
            with v1.variable_scope("out"):
                w2 = v1.get_variable("w", [8, 3], initializer=v1.truncated_normal_initializer(stddev=0.3))
                b2 = v1.get_variable("b", [3], initializer=v1.zeros_initializer())
        with tf.device("/job:worker/task:0"):
            h = tf.nn.relu(tf.nn.bias_add(tf.matmul(x, w1), b1))
            logits = tf.nn.bias_add(tf.matmul(h, w2), b2)
            loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits))
        train = v1.train.AdamOptimizer(0.05).minimize(loss)
        v1.global_variables_initializer()
        g.add_to_collection("fetches", loss)
        v1.train.export_meta_graph(filename=path, graph=g)
    return g, x, y, loss, train


def run_in_tf(target, g, x, y, loss, train, steps):
    xs, ys = mlp_data()
    with v1.Session(target, graph=g) as s:
        s.run(g.get_operation_by_name("init"))
        losses = [s.run([loss, train], {x: xs, y: ys})[0] for _ in range(steps)]
        return losses, s.run(g.get_collection("trainable_variables"))


def test_a_tf_meta_graph_trains_from_rust_on_tf_and_ferroflow_masters(tmp_path, reference_cluster, ff_cluster):
    meta = tmp_path / "mlp.meta"
    g, x, y, loss, train = export_mlp(str(meta))
    xs, ys = mlp_data()
    feeds = tmp_path / "feeds.json"
    feeds.write_text(json.dumps({"x:0": tensor_json(xs), "y:0": tensor_json(ys)}))
    steps = 8
    want_losses, want_vars = run_in_tf(reference_cluster.target, g, x, y, loss, train, steps)
    results = {}
    for name, target in [("tf", reference_cluster.target), ("ferroflow", ff_cluster.target)]:
        results[name] = json.loads(oracle("run-meta", target, meta, feeds, steps))
    for name, got in results.items():
        assert {"train_op", "variables", "trainable_variables", "fetches"} <= set(got["collections"]), name
        names = [v["name"] for v in got["variables"]]
        assert names[:4] == ["hidden/w", "hidden/b", "out/w", "out/b"] and "beta1_power" in names, (name, names)
        assert [v["name"] for v in got["variables"] if v["trainable"]] == ["hidden/w", "hidden/b", "out/w", "out/b"], name
        for step, (fetched, want) in enumerate(zip(got["steps"], want_losses)):
            close(fetched[0], want, 1e-4)
        assert want_losses[-1] < want_losses[0]
        for got_v, want_v in zip(got["trainable_values"], want_vars):
            close(got_v, want_v, 1e-4)


def build_forward():
    """The same calls as `build_forward` in client_oracle.rs."""
    with tf.name_scope("forward"):
        x = v1.placeholder(tf.float32, [None, 3], name="x")
        u = v1.placeholder(tf.float32, name="u")
        labels = v1.placeholder(tf.int64, [None], name="labels")
        dense_labels = v1.placeholder(tf.float32, [None, 4], name="dense_labels")
        with tf.device("/job:ps/task:0"):
            with v1.variable_scope("forward/layer"):
                w = v1.get_variable("w", [3, 4], initializer=v1.glorot_uniform_initializer(seed=3))
                b = v1.get_variable("b", [4], initializer=v1.zeros_initializer())
                v1.get_variable("n", [2, 2], initializer=v1.random_normal_initializer(0.5, 2.0, seed=5))
                v1.get_variable("t", [2], initializer=v1.truncated_normal_initializer(0.0, 0.1))
        h = tf.nn.bias_add(tf.matmul(x, w), b)
        a = tf.add(h, 1.0)
        d = tf.subtract(tf.multiply(tf.tanh(a), tf.sigmoid(a)), tf.divide(tf.nn.relu(a), tf.square(a)))
        sm = tf.nn.softmax(d)
        c = tf.concat([d, sm], axis=1)
        r = tf.reshape(c, [-1, 2])
        gth = tf.gather(r, np.array([1, 0], dtype=np.int32))
        tf.reduce_sum(gth)
        tf.reduce_sum(gth, axis=1)
        tf.reduce_mean(gth, axis=[0], keepdims=True)
        tf.reduce_max(gth, axis=-1)
        tf.reduce_sum(u)
        am = tf.argmax(d, axis=1)
        tf.equal(am, labels)
        tf.cast(am, tf.float32)
        tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=d)
        tf.nn.softmax_cross_entropy_with_logits(labels=dense_labels, logits=d)
        tf.constant([[1.0, 2.0], [3.0, 4.0]])
        tf.constant(7, dtype=tf.int64)
        with tf.control_dependencies([am]):
            x * 3.0


def build_train():
    with tf.name_scope("train"):
        x = v1.placeholder(tf.float32, [None, 4], name="x")
        y = v1.placeholder(tf.int64, [None], name="y")
    with v1.variable_scope("train/dense"):
        w = v1.get_variable("w", [4, 3], initializer=v1.glorot_uniform_initializer())
        b = v1.get_variable("b", [3], initializer=v1.zeros_initializer())
    logits = tf.nn.bias_add(tf.matmul(x, w), b)
    loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits))
    v1.train.AdamOptimizer(0.01).minimize(loss)
    v1.global_variables_initializer()


def nodes_of(graph_def):
    out = {}
    for n in graph_def.node:
        out[n.name] = (n.op, list(n.input), n.device, {k: n.attr[k].SerializeToString(deterministic=True) for k in n.attr})
    return out


def test_rust_built_graphs_match_tf_python_node_for_node(tmp_path):
    path = tmp_path / "rust.pb"
    oracle("build-graph", path)
    got = graph_pb2.GraphDef()
    got.ParseFromString(path.read_bytes())
    g = tf.Graph()
    with g.as_default():
        build_forward()
        build_train()
    want = nodes_of(g.as_graph_def())
    got_nodes = nodes_of(got)
    assert [n.name for n in got.node] == [n.name for n in g.as_graph_def().node]
    for name, (op, inputs, device, attrs) in want.items():
        gop, ginputs, gdevice, gattrs = got_nodes[name]
        assert gop == op, f"{name}: op {gop} vs {op}"
        assert ginputs == inputs, f"{name}: inputs {ginputs} vs {inputs}"
        assert gdevice == device, f"{name}: device {gdevice!r} vs {device!r}"
        assert sorted(gattrs) == sorted(attrs), f"{name}: attrs {sorted(gattrs)} vs {sorted(attrs)}"
        for k in attrs:
            a, b = tf.compat.v1.AttrValue(), tf.compat.v1.AttrValue()
            a.ParseFromString(gattrs[k])
            b.ParseFromString(attrs[k])
            assert a == b, f"{name}.{k}: {a} vs {b}"


def gradient_model():
    """The same model as `gradient_model` in client_oracle.rs."""
    v1.set_random_seed(11)
    x = v1.placeholder(tf.float32, [4, 3], name="x")
    labels = v1.placeholder(tf.int64, [4], name="labels")
    dense = v1.placeholder(tf.float32, [4, 5], name="dense")
    w = v1.get_variable("w", [3, 5], initializer=v1.glorot_uniform_initializer())
    b = v1.get_variable("b", [5], initializer=v1.random_normal_initializer(0.0, 0.5))
    h = tf.nn.bias_add(tf.matmul(x, w), b)
    a = tf.tanh(h) * tf.sigmoid(h) - tf.nn.relu(h) / (tf.square(h) + 1.0)
    c = tf.concat([a, tf.nn.softmax(a)], axis=1)
    r = tf.reshape(tf.gather(c, np.array([2, 0, 3, 0], dtype=np.int32)), [-1, 5])
    m = tf.reduce_max(r, axis=1)
    l1 = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=a))
    l2 = tf.reduce_sum(tf.nn.softmax_cross_entropy_with_logits(labels=dense, logits=a))
    l3 = tf.reduce_mean(m)
    row = tf.reduce_sum(x * tf.reshape(tf.cast(labels, tf.float32), [4, 1]), axis=[0], keepdims=True)
    l4 = tf.reduce_sum(row * 0.1)
    loss = tf.math.add_n([l1, l2, l3, l4])
    return x, labels, dense, loss, [x, w, b]


def test_gradients_of_a_rust_built_model_equal_tf_gradients(tmp_path, ff_cluster):
    rng = np.random.RandomState(3)
    xs = rng.randn(4, 3).astype(np.float32)
    labels = np.array([0, 4, 2, 1], dtype=np.int64)
    dense = rng.rand(4, 5).astype(np.float32)
    dense /= dense.sum(axis=1, keepdims=True)
    g = tf.Graph()
    with g.as_default():
        x, lab, den, loss, wrt = gradient_model()
        grads = tf.gradients(loss, wrt)
        with v1.Session(graph=g) as s:
            s.run(v1.global_variables_initializer())
            want_loss, *want = s.run([loss] + grads, {x: xs, lab: labels, den: dense})
    feeds = tmp_path / "feeds.json"
    feeds.write_text(json.dumps({"x:0": tensor_json(xs), "labels:0": tensor_json(labels), "dense:0": tensor_json(dense)}))
    got = json.loads(oracle("gradients", ff_cluster.target, feeds))
    close(got["loss"], want_loss, 1e-5)
    assert len(got["grads"]) == 3
    for gg, ww in zip(got["grads"], want):
        close(gg, ww, 1e-5)
