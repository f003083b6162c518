"""Control flow and functions (issue 8): conditionals and while loops under TF2's default behaviour
(functional ops the master lowers) and under `disable_control_flow_v2()` (TF1's Switch/Merge/Enter
graphs), nested loops, a loop with a conditional inside, a loop whose body spans both tasks, and a
`tf.function` called from a graph. Each program runs in both control-flow modes and returns both
results.
"""
import contextlib

import numpy as np
import tensorflow as tf

from programs import on, tolist, v1
from tensorflow.python.ops import control_flow_util


@contextlib.contextmanager
def control_flow_mode(v2):
    """TF's global switch between functional (v2) and Switch/Merge (v1) control flow."""
    before = control_flow_util.ENABLE_CONTROL_FLOW_V2
    if v2:
        v1.enable_control_flow_v2()
    else:
        v1.disable_control_flow_v2()
    try:
        yield
    finally:
        control_flow_util.ENABLE_CONTROL_FLOW_V2 = before


def nested(x):
    """Plain data from a (nested) fetch result."""
    if isinstance(x, (list, tuple)):
        return [nested(v) for v in x]
    return tolist(x)


def both_modes(build_and_run):
    def program(target, job):
        out = []
        for v2 in (True, False):
            with control_flow_mode(v2):
                out.append(build_and_run(target, job))
        return out

    program.__doc__ = build_and_run.__doc__
    return program


@both_modes
def cond_both_branches(target, job):
    """A tf.cond on a fed predicate, taking each branch in turn; each branch has its own constants."""
    g = tf.Graph()
    with g.as_default():
        with on(job, 0):
            x = v1.placeholder(tf.float32, [3])
            p = v1.placeholder(tf.bool, [])
            y = tf.cond(p, lambda: tf.reduce_sum(x * 2.0) + 1.0, lambda: tf.reduce_prod(x - 1.0))
            z = tf.cond(p, lambda: (x, x * x), lambda: (x + 1.0, -x))
    with v1.Session(target, graph=g) as s:
        xs = np.array([1.0, 2.0, 4.0], np.float32)
        return [nested(s.run([y, z], {x: xs, p: pred})) for pred in (True, False)]


@both_modes
def while_loop_counts_and_sums(target, job):
    """A while loop with two loop variables and a loop-invariant input, and one with
    maximum_iterations."""
    g = tf.Graph()
    with g.as_default():
        with on(job, 0):
            n = v1.placeholder(tf.int32, [])
            step = v1.placeholder(tf.float32, [])
            start = [tf.constant(0), tf.constant(0.0)]
            _, total = tf.while_loop(lambda i, s: i < n, lambda i, s: [i + 1, s + tf.cast(i, tf.float32) * step], start)
            capped = tf.while_loop(lambda i: i < 1000, lambda i: (i * 2 + 1,), (tf.constant(1),), maximum_iterations=6)[0]
    with v1.Session(target, graph=g) as s:
        return [nested(s.run([total, capped], {n: k, step: 0.5})) for k in (0, 1, 10)]


@both_modes
def nested_loops_with_cond(target, job):
    """An outer loop running an inner loop per iteration, with a conditional in the outer body."""
    g = tf.Graph()
    with g.as_default():
        with on(job, 0):
            limit = v1.placeholder(tf.int32, [])

            def outer_body(i, acc):
                inner = tf.while_loop(lambda j, a: j < i, lambda j, a: (j + 1, a + j), [0, acc])[1]
                return i + 1, tf.cond(tf.equal(i % 2, 0), lambda: inner * 2, lambda: inner - 1)

            out = tf.while_loop(lambda i, acc: i < limit, outer_body, [0, 1])[1]
    with v1.Session(target, graph=g) as s:
        return [int(s.run(out, {limit: k})) for k in (0, 3, 6)]


@both_modes
def loop_on_the_untaken_branch(target, job):
    """A conditional whose true branch runs a loop: both predicates, so the loop's frame is dead once."""
    g = tf.Graph()
    with g.as_default():
        with on(job, 0):
            x = v1.placeholder(tf.float32, [])
            y = tf.cond(x > 0, lambda: tf.while_loop(lambda v: v < 100.0, lambda v: v * 3.0, [x])[0], lambda: x - 1.0)
    with v1.Session(target, graph=g) as s:
        return [float(s.run(y, {x: v})) for v in (2.0, -2.0)]


@both_modes
def loop_spanning_both_tasks(target, job):
    """A loop whose body has nodes on both tasks: the loop variable travels between them every
    iteration (a control loop on the task without the predicate)."""
    g = tf.Graph()
    with g.as_default():
        with on(job, 0):
            x0 = v1.placeholder(tf.float32, [2, 2])
            w = tf.constant([[0.5, 0.1], [0.2, 0.3]])

            def body(i, x):
                with on(job, 1):
                    y = tf.matmul(x, w) + 1.0
                with on(job, 0):
                    return i + 1, tf.tanh(y) * 2.0

            _, out = tf.while_loop(lambda i, x: i < 5, body, [0, x0])
    with v1.Session(target, graph=g) as s:
        return tolist(s.run(out, {x0: np.eye(2, dtype=np.float32)}))


@both_modes
def loop_failing_on_the_other_task(target, job):
    """A loop whose body fails on task 1 in its fourth iteration (an integer division by zero) while
    task 0 drives the loop: the step ends with the kernel's error (a step timeout turns a hang into a
    different error), and the session still runs steps afterwards."""
    g = tf.Graph()
    with g.as_default():
        with on(job, 0):
            limit = v1.placeholder(tf.int32, [])

            def body(i, acc):
                with on(job, 1):
                    q = tf.math.floordiv(12, 3 - i)
                with on(job, 0):
                    return i + 1, acc + q

            _, out = tf.while_loop(lambda i, acc: i < limit, body, [0, 0])
    options = v1.RunOptions(timeout_in_ms=20_000)
    with v1.Session(target, graph=g) as s:
        try:
            s.run(out, {limit: 6}, options=options)
            failed = None
        except tf.errors.OpError as e:
            failed = [type(e).__name__, "division by zero" in e.message]
        return [failed, tolist(s.run(out, {limit: 3}, options=options))]


@both_modes
def asserts_pass_and_fail(target, job):
    """`tf.debugging` assertions and a plain `tf.Assert` on fed values (TF wraps larger data in a
    conditional): passing, then failing with TF's error class and message text."""
    g = tf.Graph()
    with g.as_default():
        with on(job, 1):
            x = v1.placeholder(tf.float32, [None])
            checks = [
                tf.debugging.assert_positive(x, message="x must be positive"),
                v1.Assert(tf.reduce_all(x < 10.0), ["x too large:", x], summarize=4),
            ]
        with on(job, 0):
            with tf.control_dependencies(checks):
                y = tf.reduce_sum(x) * 2.0
    out = []
    with v1.Session(target, graph=g) as s:
        for xs in ([1.0, 2.0, 3.0], [1.0, -2.0, 3.0], [1.0, 20.0, 3.0, 4.0, 5.0]):
            try:
                out.append(tolist(s.run(y, {x: np.array(xs, np.float32)})))
            except tf.errors.OpError as e:
                at = e.message.find("assertion failed")
                out.append([type(e).__name__, e.message[at:].split("\n")[0] if at >= 0 else e.message])
    return out


def function_called_from_a_graph(target, job):
    """A tf.function with a control-flow body, called twice from a TF1 graph, one call per task."""
    g = tf.Graph()
    with g.as_default():
        @tf.function
        def poly(a, b):
            r = a * b + 1.0
            if_r = tf.cond(tf.reduce_sum(r) > 10.0, lambda: r / 2.0, lambda: r * 2.0)
            return if_r, tf.stack([a, b])

        with on(job, 0):
            a = v1.placeholder(tf.float32, [2])
            first = poly(a, tf.constant([3.0, 4.0]))
        with on(job, 1):
            second = poly(first[0], a)
    with v1.Session(target, graph=g) as s:
        return [tolist(v) for v in s.run(list(first) + list(second), {a: np.array([1.0, 2.0], np.float32)})]


@both_modes
def rnn_trained_through_a_loop(target, job):
    """An RNN cell unrolled by tf.while_loop over fed sequences, trained with gradient descent:
    gradients through the loop (its stacks or TensorLists)."""
    v1.Session.reset(target)
    g = tf.Graph()
    with g.as_default():
        with on(job, 1):
            wx = v1.get_variable("rnn_wx", [3, 4], initializer=v1.glorot_uniform_initializer(seed=5))
            wh = v1.get_variable("rnn_wh", [4, 4], initializer=v1.glorot_uniform_initializer(seed=6))
        with on(job, 0):
            xs = v1.placeholder(tf.float32, [5, 2, 3])
            target_h = v1.placeholder(tf.float32, [2, 4])
            # The weights are read once, before the loop: a v1 loop reading a variable of another
            # task inside its body cannot be placed, by TF either (the gradient's stack must sit
            # with the read, which must sit with the variable).
            wx_t, wh_t = tf.identity(wx), tf.identity(wh)

            def body(t, h):
                return t + 1, tf.tanh(tf.matmul(xs[t], wx_t) + tf.matmul(h, wh_t))

            _, h = tf.while_loop(lambda t, h: t < 5, body, [0, tf.zeros([2, 4])])
            loss = tf.reduce_mean(tf.square(h - target_h))
            train = v1.train.GradientDescentOptimizer(0.5).minimize(loss)
        init = v1.global_variables_initializer()
    rs = np.random.RandomState(4)
    feed = {xs: rs.randn(5, 2, 3).astype(np.float32), target_h: rs.rand(2, 4).astype(np.float32)}
    with v1.Session(target, graph=g) as s:
        s.run(init)
        losses = [float(s.run([loss, train], feed)[0]) for _ in range(4)]
        return losses + [tolist(s.run(wh))]


PROGRAMS = {
    "cond_both_branches": cond_both_branches,
    "while_loop_counts_and_sums": while_loop_counts_and_sums,
    "nested_loops_with_cond": nested_loops_with_cond,
    "loop_on_the_untaken_branch": loop_on_the_untaken_branch,
    "loop_spanning_both_tasks": loop_spanning_both_tasks,
    "loop_failing_on_the_other_task": loop_failing_on_the_other_task,
    "asserts_pass_and_fail": asserts_pass_and_fail,
    "function_called_from_a_graph": function_called_from_a_graph,
    "rnn_trained_through_a_loop": rnn_trained_through_a_loop,
}
