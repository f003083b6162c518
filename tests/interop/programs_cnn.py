"""Client programs of convolutional networks (issue 10), variables on task 1 and compute on task 0:
a small CNN trained with Adam (two convolutions, one of two concatenated branches, fused batch
normalization, max and average pooling, a dense softmax layer), and a batch-norm network in
inference mode with its running statistics fed back.
"""
import numpy as np
import tensorflow as tf

from programs import fresh, on, tolist

v1 = tf.compat.v1


def cnn_classifier_adam(target, job):
    """Conv 3x3 -> fused batch norm -> ReLU -> max pool -> two conv branches concatenated ->
    avg pool -> dense -> softmax cross-entropy, Adam; losses, accuracy and trained filters."""
    fresh(target)
    g = tf.Graph()
    with g.as_default():
        with on(job, 1):
            init = v1.glorot_uniform_initializer
            k1 = v1.get_variable("cnn_k1", [3, 3, 1, 8], initializer=init(seed=11))
            gamma = v1.get_variable("cnn_gamma", [8], initializer=v1.ones_initializer())
            beta = v1.get_variable("cnn_beta", [8], initializer=v1.zeros_initializer())
            k2a = v1.get_variable("cnn_k2a", [3, 3, 8, 6], initializer=init(seed=12))
            k2b = v1.get_variable("cnn_k2b", [1, 1, 8, 4], initializer=init(seed=13))
            w = v1.get_variable("cnn_w", [3 * 3 * 10, 3], initializer=init(seed=14))
            b = v1.get_variable("cnn_b", [3], initializer=v1.zeros_initializer())
            global_step = v1.train.get_or_create_global_step()
        with on(job, 0):
            x = v1.placeholder(tf.float32, [None, 12, 12, 1])
            y = v1.placeholder(tf.int32, [None])
            h = tf.nn.conv2d(x, k1, strides=1, padding="SAME")
            h, batch_mean, batch_var = tf.compat.v1.nn.fused_batch_norm(h, gamma, beta, is_training=True)
            h = tf.nn.max_pool2d(tf.nn.relu(h), ksize=2, strides=2, padding="VALID")
            a = tf.nn.conv2d(h, k2a, strides=[1, 1, 1, 1], padding="SAME")
            c = tf.nn.conv2d(h, k2b, strides=1, padding="VALID")
            h = tf.nn.relu(tf.concat([a, c], axis=3))
            h = tf.nn.avg_pool2d(h, ksize=3, strides=2, padding="SAME")
            logits = tf.matmul(tf.reshape(h, [-1, 3 * 3 * 10]), w) + b
            loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits))
            hits = tf.equal(tf.argmax(logits, 1, output_type=tf.int32), y)
            accuracy = tf.reduce_mean(tf.cast(hits, tf.float32))
            train = v1.train.AdamOptimizer(0.01).minimize(loss, global_step=global_step)
        initialize = v1.global_variables_initializer()
    rs = np.random.RandomState(3)
    xs = rs.rand(16, 12, 12, 1).astype(np.float32)
    ys = (xs.reshape(16, -1)[:, :3].argmax(axis=1)).astype(np.int32)
    with v1.Session(target, graph=g) as s:
        s.run(initialize)
        history = []
        for _ in range(4):
            l, acc, m, v, _ = s.run([loss, accuracy, batch_mean, batch_var, train], {x: xs, y: ys})
            history.append([float(l), float(acc), tolist(m), tolist(v)])
        return [history, tolist(s.run(k1)), tolist(s.run(k2b)), int(s.run(global_step))]


def batch_norm_inference_and_gradients(target, job):
    """Inference-mode fused batch norm with given statistics on task 1, gradients of a loss
    through it, a strided conv and both poolings computed on task 0."""
    g = tf.Graph()
    with g.as_default():
        x = v1.placeholder(tf.float32, [2, 7, 7, 3])
        with on(job, 1):
            scale = tf.constant([1.5, 0.5, 2.0])
            offset = tf.constant([0.1, -0.2, 0.0])
            mean = tf.constant([0.4, 0.5, 0.6])
            var = tf.constant([0.09, 0.1, 0.2])
            y, _, _ = tf.compat.v1.nn.fused_batch_norm(x, scale, offset, mean=mean, variance=var, is_training=False)
        with on(job, 0):
            # Double from here on: the gradients sum terms that cancel, where float's rounding
            # differs between any two summation orders by more than the comparison allows.
            k = tf.constant(np.linspace(-1, 1, 3 * 3 * 3 * 4, dtype=np.float64).reshape(3, 3, 3, 4))
            z = tf.nn.conv2d(tf.cast(y, tf.float64), k, strides=2, padding="SAME")
            p = tf.nn.max_pool2d(z, ksize=3, strides=1, padding="SAME") + tf.nn.avg_pool2d(z, 2, 1, "VALID")[:, :1, :1]
            total = tf.reduce_sum(p * p)
            grads = tf.gradients(total, [x, k])
    xs = np.random.RandomState(4).rand(2, 7, 7, 3).astype(np.float32)
    with v1.Session(target, graph=g) as s:
        out = s.run([y, z, p, total] + grads, {x: xs})
    return [tolist(v) for v in out]


PROGRAMS = {
    "cnn_classifier_adam": cnn_classifier_adam,
    "batch_norm_inference_and_gradients": batch_norm_inference_and_gradients,
}
