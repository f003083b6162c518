"""Client programs run against a TensorFlow-protocol cluster by the interop tests.

Each program takes the session target (grpc://...) and the name of the job whose tasks 0 and 1
hold its ops, runs a TF1-style graph with `tf.compat.v1.Session`, and returns plain data (lists,
floats, ints, strings) so that results from two clusters can be compared. Programs of one area
(control flow, CNNs, ...) live in `programs_<area>.py` modules, found and merged here.
"""
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

tf.compat.v1.disable_eager_execution()
v1 = tf.compat.v1


def on(job, task):
    return tf.device(f"/job:{job}/task:{task}")


def fresh(target):
    """Drops variables left on the cluster's workers by an earlier program."""
    v1.Session.reset(target)


def tolist(x):
    return np.asarray(x).tolist()


def feed_matmul_chain(target, job):
    """A fed matrix multiplied on task 0, scaled and shifted on task 1, three times."""
    g = tf.Graph()
    with g.as_default():
        with on(job, 0):
            a = v1.placeholder(tf.float32, [2, 2], name="a")
            prod = tf.matmul(a, tf.constant([[1.0, 2.0], [3.0, 4.0]]))
        with on(job, 1):
            out = prod * 2.0 + 1.0
    with v1.Session(target, graph=g) as s:
        return [tolist(s.run(out, {a: np.eye(2, dtype=np.float32) * k})) for k in (1, 2, 3)]


def linear_regression_sgd(target, job):
    """Variables on task 1, a mean-squared-error model trained on task 0 by gradient descent."""
    fresh(target)
    g = tf.Graph()
    with g.as_default():
        with on(job, 1):
            w = v1.get_variable("lr_w", [4, 1], initializer=v1.zeros_initializer())
            b = v1.get_variable("lr_b", [1], initializer=v1.zeros_initializer())
        with on(job, 0):
            x = v1.placeholder(tf.float32, [None, 4])
            y = v1.placeholder(tf.float32, [None, 1])
            loss = tf.reduce_mean(tf.square(tf.matmul(x, w) + b - y))
            step = v1.train.GradientDescentOptimizer(0.1).minimize(loss)
        init = v1.global_variables_initializer()
    xs = np.random.RandomState(0).rand(8, 4).astype(np.float32)
    ys = xs.sum(axis=1, keepdims=True)
    with v1.Session(target, graph=g) as s:
        s.run(init)
        losses = [float(s.run([loss, step], {x: xs, y: ys})[0]) for _ in range(5)]
        return losses + [tolist(s.run(w)), tolist(s.run(b))]


def mlp_classifier_adam(target, job):
    """A two-layer ReLU network with seeded Glorot init, softmax loss, accuracy, Adam, global step."""
    fresh(target)
    g = tf.Graph()
    with g.as_default():
        with on(job, 1):
            w1 = v1.get_variable("mlp_w1", [8, 16], initializer=v1.glorot_uniform_initializer(seed=1))
            b1 = v1.get_variable("mlp_b1", [16], initializer=v1.zeros_initializer())
            w2 = v1.get_variable("mlp_w2", [16, 3], initializer=v1.glorot_uniform_initializer(seed=2))
            b2 = v1.get_variable("mlp_b2", [3], initializer=v1.zeros_initializer())
            global_step = v1.train.get_or_create_global_step()
        with on(job, 0):
            x = v1.placeholder(tf.float32, [None, 8])
            y = v1.placeholder(tf.int32, [None])
            hidden = tf.nn.relu(tf.matmul(x, w1) + b1)
            logits = tf.matmul(hidden, w2) + b2
            loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits))
            hits = tf.equal(tf.argmax(logits, 1, output_type=tf.int32), y)
            accuracy = tf.reduce_mean(tf.cast(hits, tf.float32))
            train = v1.train.AdamOptimizer(0.01).minimize(loss, global_step=global_step)
        init = v1.global_variables_initializer()
    rs = np.random.RandomState(0)
    xs = rs.rand(32, 8).astype(np.float32)
    ys = xs[:, :3].argmax(axis=1).astype(np.int32)
    with v1.Session(target, graph=g) as s:
        s.run(init)
        initial_w1 = tolist(s.run(w1))
        history = [[float(v) for v in s.run([loss, accuracy, train], {x: xs, y: ys})[:2]] for _ in range(5)]
        return [initial_w1, history, int(s.run(global_step))]


def partial_run_two_feeds(target, job):
    """A partial run: the first fetch needs only the first feed, the second needs both."""
    g = tf.Graph()
    with g.as_default():
        with on(job, 0):
            a = v1.placeholder(tf.float32, [])
            b = v1.placeholder(tf.float32, [])
            first = a + 1.0
        with on(job, 1):
            second = first * b
    with v1.Session(target, graph=g) as s:
        handle = s.partial_run_setup([first, second], [a, b])
        r1 = float(s.partial_run(handle, first, feed_dict={a: 2.0}))
        r2 = float(s.partial_run(handle, second, feed_dict={b: 5.0}))
        return [r1, r2]


def callable_sum_of_squares(target, job):
    """A callable made once and run twice with different feeds."""
    g = tf.Graph()
    with g.as_default():
        with on(job, 0):
            a = v1.placeholder(tf.float32, [3])
        with on(job, 1):
            total = tf.reduce_sum(a * a)
    with v1.Session(target, graph=g) as s:
        f = s.make_callable(total, [a])
        return [float(f(np.array([1.0, 2.0, 3.0], np.float32))), float(f(np.array([0.0, 1.0, 0.0], np.float32)))]


def list_devices_and_reset(target, job):
    """Device names the master reports, then a Reset of a named container."""
    with v1.Session(target, graph=tf.Graph()) as s:
        names = sorted(d.name for d in s.list_devices())
    v1.Session.reset(target, ["some_container"])
    return names


def errors_then_recovery(target, job):
    """A run-time shape error and a missing feed in a worker's partition, then a good step."""
    g = tf.Graph()
    with g.as_default():
        with on(job, 1):
            a = v1.placeholder(tf.float32, None)
            m = tf.matmul(tf.reshape(a, [1, -1]), tf.ones([3, 1]))
    out = []
    with v1.Session(target, graph=g) as s:
        for feed in ({a: np.ones(2, np.float32)}, {}):
            try:
                s.run(m, feed)
                out.append("ok")
            except tf.errors.OpError as e:
                out.append(type(e).__name__)
                out.append("node" in e.message or "{{" in e.message)
        out.append(tolist(s.run(m, {a: np.ones(3, np.float32)})))
    return out


def elementwise_and_reductions(target, job):
    """Element-wise math, comparisons, logic and reductions, split between both tasks."""
    g = tf.Graph()
    with g.as_default():
        with on(job, 0):
            x = v1.placeholder(tf.float32, [3, 4])
            y = v1.placeholder(tf.float32, [4])
            i = v1.placeholder(tf.int32, [3, 4])
            pos = tf.abs(x) + 0.5
            a = [tf.exp(x), tf.math.log(pos), tf.sqrt(pos), tf.math.rsqrt(pos), tf.pow(pos, y), tf.sign(x),
                 tf.maximum(x, y), tf.minimum(x, y), tf.floor(x * 3.0), tf.tanh(x), tf.sigmoid(x)]
        with on(job, 1):
            b = [tf.math.floordiv(i, 3), tf.truncatediv(i, 3), tf.math.floormod(i, 3),
                 tf.cast(tf.less(x, y), tf.int32), tf.cast(tf.less_equal(x, y), tf.int32),
                 tf.cast(tf.greater(x, y), tf.int32), tf.cast(tf.greater_equal(x, y), tf.int32),
                 tf.cast(tf.not_equal(x, y), tf.int32),
                 tf.cast(tf.logical_and(x > 0, y > 0), tf.int32), tf.cast(tf.logical_or(x > 0, y > 0), tf.int32),
                 tf.cast(tf.logical_not(x > 0), tf.int32),
                 tf.where(x > y, x, y), v1.where(x > 0.0, x, -x),
                 tf.reduce_max(x, 1), tf.reduce_min(x, 0), tf.reduce_prod(pos, 1, keepdims=True),
                 tf.reduce_sum(x), tf.reduce_mean(x, [0, 1]), tf.argmin(x, 1), tf.argmax(x, 0),
                 tf.nn.softmax(x), tf.nn.log_softmax(x), tf.nn.l2_loss(x), tf.math.reciprocal(pos),
                 tf.math.squared_difference(x, y)]
    rs = np.random.RandomState(1)
    feed = {x: rs.randn(3, 4).astype(np.float32), y: rs.randn(4).astype(np.float32),
            i: rs.randint(-10, 10, size=(3, 4)).astype(np.int32)}
    with v1.Session(target, graph=g) as s:
        return [tolist(v) for v in s.run(a + b, feed)]


def array_manipulation(target, job):
    """Shapes, slicing, joining, gathering and scattering ops, and their gradients."""
    g = tf.Graph()
    with g.as_default():
        with on(job, 0):
            x = v1.placeholder(tf.float32, [4, 3])
            idx = v1.placeholder(tf.int32, [2])
            parts = [tf.concat([x, x * 2.0], 0), tf.concat([x, x], 1), tf.slice(x, [1, 0], [2, 2]),
                     x[1:3, ::-1], x[:, 1], x[::2], tf.stack([x, x], axis=1), tf.transpose(x),
                     tf.squeeze(tf.reshape(x, [1, 4, 1, 3])), tf.expand_dims(x, 0), tf.tile(x, [2, 1]),
                     tf.gather(x, idx), tf.gather(x, idx, axis=1), tf.fill([2, 2], 7.0), tf.ones_like(x),
                     tf.zeros_like(x), tf.range(2, 11, 3), tf.size(x), tf.rank(x), tf.shape(x)]
        with on(job, 1):
            parts += list(tf.unstack(x, axis=0))
            parts.append(tf.dynamic_stitch([[0, 2], [1, 3]], [x[:2], x[2:]]))
            parts.append(tf.math.unsorted_segment_sum(x, [0, 1, 0, 2], num_segments=3))
            loss = tf.reduce_sum(tf.stop_gradient(x) * x[1:3, ::-1][0, 0]) + tf.reduce_sum(x[::2, 1:] * 3.0)
            parts.append(tf.gradients(loss, x)[0])
            parts.append(tf.gradients(tf.reduce_sum(tf.concat([x, x * x], 1)), x)[0])
            parts.append(tf.gradients(tf.reduce_sum(tf.maximum(x, 0.1) + tf.minimum(x, -0.1)), x)[0])
    rs = np.random.RandomState(2)
    feed = {x: rs.randn(4, 3).astype(np.float32), idx: np.array([2, 1], np.int32)}
    with v1.Session(target, graph=g) as s:
        return [tolist(v) for v in s.run(parts, feed)]


def optimizers_on_dense_net(target, job):
    """One tanh/sigmoid network with bias_add, dense softmax loss and L2 penalty, trained by
    Momentum (Nesterov), RMSProp with momentum and Adagrad, each on its own copy of the variables."""
    return _train_dense_net(target, job, {
        "momentum": lambda: v1.train.MomentumOptimizer(0.1, 0.9, use_nesterov=True),
        "rmsprop": lambda: v1.train.RMSPropOptimizer(0.01, momentum=0.5),
        "adagrad": lambda: v1.train.AdagradOptimizer(0.1),
    })


def more_optimizers_on_dense_net(target, job):
    """The same network trained by the other v1 optimizers: Adadelta, proximal gradient descent
    and proximal Adagrad (with L1 and L2), FTRL (square-root and general power, with shrinkage)
    and centered RMSProp."""
    return _train_dense_net(target, job, {
        "adadelta": lambda: v1.train.AdadeltaOptimizer(1.0, rho=0.9),
        "proximal_gd": lambda: v1.train.ProximalGradientDescentOptimizer(0.1, l1_regularization_strength=0.01,
                                                                          l2_regularization_strength=0.02),
        "proximal_adagrad": lambda: v1.train.ProximalAdagradOptimizer(0.1, l1_regularization_strength=0.01,
                                                                      l2_regularization_strength=0.02),
        "ftrl": lambda: v1.train.FtrlOptimizer(0.1, l1_regularization_strength=0.01, l2_regularization_strength=0.02),
        "ftrl_shrinkage": lambda: v1.train.FtrlOptimizer(0.1, learning_rate_power=-0.7, l2_regularization_strength=0.01,
                                                         l2_shrinkage_regularization_strength=0.05),
        "centered_rmsprop": lambda: v1.train.RMSPropOptimizer(0.01, momentum=0.5, centered=True),
    })


def _train_dense_net(target, job, makers):
    fresh(target)
    g = tf.Graph()
    steps = {}
    with g.as_default():
        x = None
        for name, make in makers.items():
            with on(job, 1):
                w1 = v1.get_variable(f"{name}_w1", [5, 6], initializer=v1.random_normal_initializer(seed=3))
                b1 = v1.get_variable(f"{name}_b1", [6], initializer=v1.constant_initializer(0.1))
                w2 = v1.get_variable(f"{name}_w2", [6, 3], initializer=v1.truncated_normal_initializer(seed=4))
            with on(job, 0):
                if x is None:
                    x = v1.placeholder(tf.float32, [None, 5])
                    labels = v1.placeholder(tf.float32, [None, 3])
                h = tf.tanh(tf.nn.bias_add(tf.matmul(x, w1), b1))
                logits = tf.matmul(tf.sigmoid(h), w2)
                loss = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(labels=labels, logits=logits))
                loss += 0.01 * tf.nn.l2_loss(w1)
                steps[name] = (loss, make().minimize(loss))
        init = v1.global_variables_initializer()
    rs = np.random.RandomState(3)
    xs = rs.randn(6, 5).astype(np.float32)
    ls = np.eye(3, dtype=np.float32)[rs.randint(0, 3, 6)]
    with v1.Session(target, graph=g) as s:
        s.run(init)
        out = {}
        for name, (loss, train) in steps.items():
            out[name] = [float(s.run([loss, train], {x: xs, labels: ls})[0]) for _ in range(3)]
        return [out[k] for k in sorted(out)]


def seeded_random_ops(target, job):
    """Seeded random ops must reproduce TF's numbers exactly, on first and second run."""
    g = tf.Graph()
    with g.as_default():
        with on(job, 1):
            ops = [v1.random_uniform([3, 5], seed=7), v1.random_normal([7], seed=8),
                   v1.truncated_normal([2, 3], seed=9, stddev=2.0),
                   v1.random_uniform([6], minval=-5, maxval=50, dtype=tf.int32, seed=10),
                   v1.random_uniform([5], minval=0, maxval=1000, dtype=tf.int64, seed=11),
                   v1.random_normal([3], dtype=tf.float64, seed=12)]
    with v1.Session(target, graph=g) as s:
        return [[tolist(v) for v in s.run(ops)] for _ in range(2)]


PROGRAMS = {
    "feed_matmul_chain": feed_matmul_chain,
    "linear_regression_sgd": linear_regression_sgd,
    "mlp_classifier_adam": mlp_classifier_adam,
    "partial_run_two_feeds": partial_run_two_feeds,
    "callable_sum_of_squares": callable_sum_of_squares,
    "list_devices_and_reset": list_devices_and_reset,
    "errors_then_recovery": errors_then_recovery,
    "elementwise_and_reductions": elementwise_and_reductions,
    "array_manipulation": array_manipulation,
    "optimizers_on_dense_net": optimizers_on_dense_net,
    "more_optimizers_on_dense_net": more_optimizers_on_dense_net,
    "seeded_random_ops": seeded_random_ops,
}


def _discover():
    """Programs of an area live in their own module, `programs_<area>.py`, each with a `PROGRAMS`
    dict; they join this one (a name defined twice is an error)."""
    import glob
    import importlib

    here = os.path.dirname(os.path.abspath(__file__))
    for path in sorted(glob.glob(os.path.join(here, "programs_*.py"))):
        module = importlib.import_module(os.path.basename(path)[:-3])
        for name, program in module.PROGRAMS.items():
            if name in PROGRAMS:
                raise RuntimeError(f"program {name} is defined twice")
            PROGRAMS[name] = program


_discover()
