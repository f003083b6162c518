"""Client-level benchmark: one stock TF 2.21 client program run against an all-TF cluster and an
all-ferroflow cluster (master + two workers each) in the same run; prints the median step time of a
step crossing two workers and the throughput of fetching a 64 MiB tensor to the client, with the
ratios.

usage: python benches/client_bench.py   (the TF venv's python; FERROFLOW_BIN as for the interop tests)
"""
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


def median_seconds(fn, iters):
    fn()
    times = []
    for _ in range(iters):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return sorted(times)[len(times) // 2]


def measure(target):
    g = tf.Graph()
    with g.as_default():
        with tf.device("/job:worker/task:0"):
            a = v1.placeholder(tf.float32, [2, 2])
            b = tf.matmul(a, a)
        with tf.device("/job:worker/task:1"):
            c = b + 1.0
            big = tf.fill([16 * 1024 * 1024], 1.5)  # 64 MiB of float32
    feed = {a: np.eye(2, dtype=np.float32)}
    with v1.Session(target, graph=g) as s:
        step = median_seconds(lambda: s.run(c, feed), 300)
        fetch = median_seconds(lambda: s.run(big), 10)
    return step, (64 << 20) / fetch / 1e9


def main():
    results = {}
    for name, kind in (("tensorflow", "tf"), ("ferroflow", "ff")):
        cluster = Cluster({("master", 0): kind, ("worker", 0): kind, ("worker", 1): kind}, os.path.join(LOGS, name))
        try:
            results[name] = measure(cluster.target)
        finally:
            cluster.stop()
    (tf_step, tf_fetch), (ff_step, ff_fetch) = results["tensorflow"], results["ferroflow"]
    print(f"{'':36}{'ferroflow':>12}{'tensorflow':>12}{'ratio':>10}")
    print(f"{'step across two workers (us)':36}{ff_step * 1e6:12.0f}{tf_step * 1e6:12.0f}{ff_step / tf_step:9.2f}x")
    print(f"{'fetch 64 MiB to the client (GB/s)':36}{ff_fetch:12.2f}{tf_fetch:12.2f}{ff_fetch / tf_fetch:9.2f}x")


if __name__ == "__main__":
    main()
