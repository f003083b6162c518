"""Client programs of stateless random numbers (issue 10), split between two tasks: what
`tf.random.stateless_*` and `tf.nn.experimental.stateless_dropout` emit in graph mode (seeds
scrambled by `StatelessRandomGetKeyCounter`, the V2 ops on its key and counter), used as an
initializer, as noise and as a dropout mask in a step with gradients; the same seeds give the
same values on every task and in every run, as on TF.
"""
import numpy as np
import tensorflow as tf

from programs import on, tolist

v1 = tf.compat.v1


def stateless_init_noise_and_dropout(target, job):
    """Weights drawn on task 1 from a seed, noise and a dropout mask on task 0, a loss and its
    gradient through both; two runs give the same values."""
    g = tf.Graph()
    with g.as_default():
        x = v1.placeholder(tf.float32, [6, 4])
        with on(job, 1):
            w = 0.5 * tf.random.stateless_truncated_normal([4, 3], seed=[7, 11])
            bias = tf.random.stateless_uniform([3], seed=[1, 2], minval=-0.1, maxval=0.1)
            picks = tf.random.stateless_uniform([5], seed=[3, 4], minval=0, maxval=10, dtype=tf.int32)
            bits = tf.random.stateless_uniform([3], seed=[5, 6], minval=None, maxval=None, dtype=tf.int64)
        with on(job, 0):
            noisy = x + 0.01 * tf.random.stateless_normal([6, 4], seed=[9, 9], dtype=tf.float32)
            dropped = tf.nn.experimental.stateless_dropout(noisy, rate=0.5, seed=[2, 3])
            y = tf.matmul(dropped, w) + bias
            loss = tf.reduce_sum(y * y)
            grads = tf.gradients(loss, [x])
            doubles = tf.random.stateless_normal([4], seed=[1, 1], dtype=tf.float64)
    feed = {x: np.random.RandomState(5).rand(6, 4).astype(np.float32)}
    fetches = [w, bias, picks, bits, dropped, loss, doubles] + grads
    with v1.Session(target, graph=g) as s:
        first = s.run(fetches, feed)
        second = s.run(fetches, feed)
    assert all(np.array_equal(a, b) for a, b in zip(first, second)), "stateless values changed between runs"
    return [tolist(v) for v in first]


PROGRAMS = {
    "stateless_init_noise_and_dropout": stateless_init_noise_and_dropout,
}
