"""Client programs of `tf.math` and `tf.linalg` basics (issue 10), split between two tasks: a
batched attention block (`tf.matmul` of 3-D tensors with broadcasting, softmax) and its gradients,
and element-wise math (trigonometry, softplus, erf, rounding, guarded divisions, clipping,
cumulative sums and products, finiteness checks) with gradients.
"""
import numpy as np
import tensorflow as tf

from programs import on, tolist

v1 = tf.compat.v1


def batched_attention_gradients(target, job):
    """softmax(Q K^T / sqrt(d)) V per batch with a broadcast projection, and d loss / d inputs."""
    g = tf.Graph()
    with g.as_default():
        q = v1.placeholder(tf.float32, [2, 5, 4])
        kv = v1.placeholder(tf.float32, [2, 6, 4])
        with on(job, 1):
            proj = tf.constant(np.linspace(-0.5, 0.5, 16, dtype=np.float32).reshape(1, 4, 4))
            keys = tf.matmul(kv, proj)
        with on(job, 0):
            scores = tf.matmul(q, keys, transpose_b=True) / 2.0
            attended = tf.matmul(tf.nn.softmax(scores), kv)
            loss = tf.reduce_sum(attended * attended)
            grads = tf.gradients(loss, [q, kv])
    rs = np.random.RandomState(8)
    feed = {q: rs.randn(2, 5, 4).astype(np.float32), kv: rs.randn(2, 6, 4).astype(np.float32)}
    with v1.Session(target, graph=g) as s:
        return [tolist(v) for v in s.run([attended, loss] + grads, feed)]


def elementwise_math_gradients(target, job):
    """Math functions on task 1, their gradients through a loss on task 0."""
    g = tf.Graph()
    with g.as_default():
        x = v1.placeholder(tf.float64, [8])
        with on(job, 1):
            a = tf.sin(x) * tf.cos(2.0 * x) + tf.math.softplus(x) - tf.math.softsign(x)
            b = tf.math.erf(x / 3.0) + tf.math.log1p(tf.abs(x)) + tf.math.expm1(-tf.abs(x)) + tf.atan2(x, 1.5)
            c = tf.math.divide_no_nan(x, tf.round(x)) + tf.math.xlogy(tf.abs(x), tf.abs(x) + 1.0)
            d = tf.clip_by_value(x, -1.0, 1.5) + tf.math.cumsum(x, exclusive=True) + tf.math.cumprod(x / 4.0, reverse=True)
        with on(job, 0):
            total = tf.reduce_sum(a * b + c * d + tf.math.ceil(x) + tf.math.rint(x) + tf.asinh(x) + tf.tanh(x))
            finite = tf.reduce_all(tf.math.is_finite(tf.stack([a, b, c, d])))
            grad = tf.gradients(total, x)[0]
    xs = np.array([-2.5, -1.2, -0.5, 0.0, 0.3, 0.5, 1.5, 3.7])
    with v1.Session(target, graph=g) as s:
        out = s.run([a, b, c, d, total, finite, grad], {x: xs})
    return [tolist(v) for v in out[:5]] + [bool(out[5]), tolist(out[6])]


def diagonals_and_bands_gradients(target, job):
    """`tf.linalg` diagonals and bands on task 1 (band_part, diag, diag_part, set_diag with a band
    `k` and an alignment, tensor_diag), a loss and its gradients on task 0."""
    g = tf.Graph()
    with g.as_default():
        m = v1.placeholder(tf.float32, [2, 4, 3])
        d = v1.placeholder(tf.float32, [2, 3])
        with on(job, 1):
            band = tf.linalg.band_part(m, 1, 0)
            parts = tf.linalg.diag_part(m, k=(-1, 1), padding_value=0.5, align="LEFT_RIGHT")
            built = tf.linalg.diag(d, k=1, num_rows=3, num_cols=5, padding_value=-1.0)
            replaced = tf.linalg.set_diag(m, tf.stack([d, 2.0 * d], axis=1), k=(-1, 0))
            full = tf.linalg.tensor_diag(d[0]) + tf.linalg.tensor_diag_part(tf.ones([3, 3]))
        with on(job, 0):
            loss = (tf.reduce_sum(band * band) + tf.reduce_sum(parts) + tf.reduce_sum(built * built)
                    + tf.reduce_sum(replaced * m) + tf.reduce_sum(full))
            grads = tf.gradients(loss, [m, d])
    rs = np.random.RandomState(4)
    feed = {m: rs.randn(2, 4, 3).astype(np.float32), d: rs.randn(2, 3).astype(np.float32)}
    with v1.Session(target, graph=g) as s:
        return [tolist(v) for v in s.run([band, parts, built, replaced, full, loss] + grads, feed)]


def special_functions_gradients(target, job):
    """`lgamma`, `digamma`, `zeta`, `polygamma` on task 1 with second derivatives (lgamma ->
    digamma -> polygamma), `selu` and `setdiff1d` on task 0."""
    g = tf.Graph()
    with g.as_default():
        x = v1.placeholder(tf.float64, [6])
        with on(job, 1):
            lg = tf.math.lgamma(x)
            dg = tf.math.digamma(x)
            z = tf.math.zeta(x + 1.5, x)
            pg = tf.math.polygamma(tf.constant(2.0, tf.float64), x)
            first = tf.gradients(tf.reduce_sum(lg), x)[0]
            second = tf.gradients(tf.reduce_sum(first), x)[0]
        with on(job, 0):
            sel = tf.nn.selu(3.0 * x - 4.0)
            loss = tf.reduce_sum(lg * dg) + tf.reduce_sum(z) + tf.reduce_sum(pg) + tf.reduce_sum(sel * sel)
            grads = tf.gradients(loss, [x])
            kept, where = tf.compat.v1.setdiff1d(tf.constant([5, 1, 9, 1, 4, 7]), tf.constant([1, 7, 8]))
    feed = {x: np.array([0.3, 1.0, 1.7, 2.5, 4.25, 9.0])}
    with v1.Session(target, graph=g) as s:
        return [tolist(v) for v in s.run([lg, dg, z, pg, first, second, sel, loss, kept, where] + grads, feed)]


def segment_max_min_prod_gradients(target, job):
    """Unsorted and sorted segment max, min and product on task 1 (a dropped id, an empty
    segment), a loss on task 0 and the gradients back through each reduction."""
    g = tf.Graph()
    with g.as_default():
        x = v1.placeholder(tf.float32, [6, 2])
        with on(job, 1):
            ids = tf.constant([0, 2, -1, 2, 0, 1])
            sorted_ids = tf.constant([0, 0, 1, 3, 3, 3])
            parts = [tf.math.unsorted_segment_max(x, ids, 4), tf.math.unsorted_segment_min(x, ids, 4),
                     tf.math.unsorted_segment_prod(x, ids, 4), tf.math.segment_max(x, sorted_ids),
                     tf.math.segment_min(x, sorted_ids), tf.math.segment_prod(x, sorted_ids)]
        with on(job, 0):
            # The empty unsorted segments hold the lowest/highest float: keep them out of the loss.
            loss = tf.add_n([tf.reduce_sum(p[:3] * p[:3]) for p in parts])
            grads = tf.gradients(loss, [x])
    feed = {x: np.random.RandomState(6).randn(6, 2).astype(np.float32)}
    with v1.Session(target, graph=g) as s:
        return [tolist(v) for v in s.run(parts + [loss] + grads, feed)]


PROGRAMS = {
    "segment_max_min_prod_gradients": segment_max_min_prod_gradients,
    "special_functions_gradients": special_functions_gradients,
    "diagonals_and_bands_gradients": diagonals_and_bands_gradients,
    "batched_attention_gradients": batched_attention_gradients,
    "elementwise_math_gradients": elementwise_math_gradients,
}
