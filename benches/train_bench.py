"""Training benchmark: the same stock TF 2.21 client training programs run against an all-TF cluster
and an all-ferroflow cluster (a ps job and a worker job, variables on the ps, compute on the worker)
in one run; prints each model's median step time on both and the ratio.

Models (issue 10):
  mlp        784-1024-1024-10, batch 256, Adam                        (target: at most 0.8x TF)
  cnn        two 3x3 conv layers (32, 64 channels), max-pooling, batch norm, 28x28x1, batch 64, Adam
                                                                      (target: at most 1.0x TF)
  embedding  vocabulary 100,000 x 64 partitioned over two ps tasks, batch 512 ids x 8, Adagrad
                                                                      (target: at most 0.7x TF)
  while      a 1,000-iteration tf.while_loop of scalar adds on one worker  (target: at most 1.0x TF)

usage: python benches/train_bench.py [--only mlp,cnn,...] [--steps N]
       (the TF venv's python; FERROFLOW_BIN as for the interop tests)
"""
import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "interop"))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from cluster import Cluster  # noqa: E402

tf.compat.v1.disable_eager_execution()
v1 = tf.compat.v1
LOGS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "target", "bench-logs")
PS = "/job:ps/task:0"
WORKER = "/job:worker/task:0"


def median_step(session, fetches, feed, steps):
    for _ in range(3):
        session.run(fetches, feed)
    times = []
    for _ in range(steps):
        t = time.perf_counter()
        session.run(fetches, feed)
        times.append(time.perf_counter() - t)
    return sorted(times)[len(times) // 2]


def mlp():
    rs = np.random.RandomState(0)
    with tf.device(PS):
        w1 = v1.get_variable("w1", [784, 1024], initializer=v1.glorot_uniform_initializer(seed=1))
        b1 = v1.get_variable("b1", [1024], initializer=v1.zeros_initializer())
        w2 = v1.get_variable("w2", [1024, 1024], initializer=v1.glorot_uniform_initializer(seed=2))
        b2 = v1.get_variable("b2", [1024], initializer=v1.zeros_initializer())
        w3 = v1.get_variable("w3", [1024, 10], initializer=v1.glorot_uniform_initializer(seed=3))
        b3 = v1.get_variable("b3", [10], initializer=v1.zeros_initializer())
    with tf.device(WORKER):
        x = v1.placeholder(tf.float32, [256, 784])
        y = v1.placeholder(tf.int32, [256])
        h = tf.nn.relu(tf.matmul(x, w1) + b1)
        h = tf.nn.relu(tf.matmul(h, w2) + b2)
        logits = tf.matmul(h, w3) + b3
        loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits))
        train = v1.train.AdamOptimizer(1e-3).minimize(loss)
    feed = {x: rs.rand(256, 784).astype(np.float32), y: rs.randint(0, 10, 256).astype(np.int32)}
    return [loss, train], feed


def cnn():
    rs = np.random.RandomState(0)
    with tf.device(PS):
        k1 = v1.get_variable("k1", [3, 3, 1, 32], initializer=v1.glorot_uniform_initializer(seed=1))
        k2 = v1.get_variable("k2", [3, 3, 32, 64], initializer=v1.glorot_uniform_initializer(seed=2))
        g1 = v1.get_variable("g1", [32], initializer=v1.ones_initializer())
        be1 = v1.get_variable("be1", [32], initializer=v1.zeros_initializer())
        g2 = v1.get_variable("g2", [64], initializer=v1.ones_initializer())
        be2 = v1.get_variable("be2", [64], initializer=v1.zeros_initializer())
        wd = v1.get_variable("wd", [7 * 7 * 64, 10], initializer=v1.glorot_uniform_initializer(seed=3))
    with tf.device(WORKER):
        x = v1.placeholder(tf.float32, [64, 28, 28, 1])
        y = v1.placeholder(tf.int32, [64])
        h = tf.nn.conv2d(x, k1, 1, "SAME")
        h, _, _ = v1.nn.fused_batch_norm(h, g1, be1, is_training=True)
        h = tf.nn.max_pool2d(tf.nn.relu(h), 2, 2, "VALID")
        h = tf.nn.conv2d(h, k2, 1, "SAME")
        h, _, _ = v1.nn.fused_batch_norm(h, g2, be2, is_training=True)
        h = tf.nn.max_pool2d(tf.nn.relu(h), 2, 2, "VALID")
        logits = tf.matmul(tf.reshape(h, [64, -1]), wd)
        loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits))
        train = v1.train.AdamOptimizer(1e-3).minimize(loss)
    feed = {x: rs.rand(64, 28, 28, 1).astype(np.float32), y: rs.randint(0, 10, 64).astype(np.int32)}
    return [loss, train], feed


def embedding():
    rs = np.random.RandomState(0)
    with v1.device(v1.train.replica_device_setter(ps_tasks=2, worker_device=WORKER)):
        table = v1.get_variable("table", [100_000, 64], initializer=v1.random_normal_initializer(seed=1, stddev=0.05),
                                partitioner=v1.fixed_size_partitioner(2))
        w = v1.get_variable("w", [64, 1], initializer=v1.glorot_uniform_initializer(seed=2))
    with tf.device(WORKER):
        ids = v1.placeholder(tf.int64, [512, 8])
        labels = v1.placeholder(tf.float32, [512, 1])
        emb = tf.reduce_mean(v1.nn.embedding_lookup(table, ids), axis=1)
        loss = tf.reduce_mean(tf.square(tf.matmul(emb, w) - labels))
        train = v1.train.AdagradOptimizer(0.1).minimize(loss)
    feed = {ids: rs.randint(0, 100_000, (512, 8)).astype(np.int64), labels: rs.rand(512, 1).astype(np.float32)}
    return [loss, train], feed


def while_loop():
    with tf.device(WORKER):
        out = tf.while_loop(lambda i, s: i < 1000, lambda i, s: (i + 1, s + 1.0), [tf.constant(0), tf.constant(0.0)])[1]
    return out, {}


MODELS = {"mlp": mlp, "cnn": cnn, "embedding": embedding, "while": while_loop}
TARGETS = {"mlp": 0.8, "cnn": 1.0, "embedding": 0.7, "while": 1.0}


def layout(kind, model):
    tasks = {("ps", 0): kind, ("worker", 0): kind}
    if model == "embedding":
        tasks[("ps", 1)] = kind
    return tasks


def run_model(model, kind, steps):
    cluster = Cluster(layout(kind, model), os.path.join(LOGS, f"{model}-{kind}"))
    try:
        target = f"grpc://127.0.0.1:{cluster.ports[('worker', 0)]}"
        g = tf.Graph()
        with g.as_default():
            fetches, feed = MODELS[model]()
            init = v1.global_variables_initializer()
        with v1.Session(target, graph=g) as s:
            s.run(init)
            return median_step(s, fetches, feed, steps)
    finally:
        cluster.stop()


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--only", default=",".join(MODELS), help="comma-separated models")
    p.add_argument("--steps", type=int, default=30)
    p.add_argument("--json", action="store_true")
    args = p.parse_args()
    rows = {}
    for model in args.only.split(","):
        tf_time = run_model(model, "tf", args.steps)
        ff_time = run_model(model, "ff", args.steps)
        rows[model] = {"ferroflow_ms": ff_time * 1e3, "tensorflow_ms": tf_time * 1e3, "ratio": ff_time / tf_time, "target": TARGETS[model]}
    if args.json:
        print(json.dumps(rows, indent=1))
        return
    print(f"{'model':12}{'ferroflow (ms)':>16}{'tensorflow (ms)':>17}{'ratio':>9}{'target':>9}")
    for model, r in rows.items():
        print(f"{model:12}{r['ferroflow_ms']:16.2f}{r['tensorflow_ms']:17.2f}{r['ratio']:8.2f}x{r['target']:8.1f}x")


if __name__ == "__main__":
    main()
