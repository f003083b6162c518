"""Census cases: control flow (`tf.cond`, `tf.while_loop`, `tf.map_fn`, `tf.scan`, `tf.case`,
`tf.switch_case`, `dynamic_rnn` with an LSTM cell, `TensorArray`), once under TF 2.21's default
behaviour (functional `If`/`While` with their branches in the function library) and once under
`tf.compat.v1.disable_control_flow_v2()` (Switch/Merge/Enter/Exit/NextIteration); and functions
(`tf.function` called from a graph, `tf.compat.v1.wrap_function`, `tf.custom_gradient`)."""
import tensorflow as tf

from registry import CF_V1, DEFAULT, add, case

v1 = tf.compat.v1


def _cond(ctx):
    x = ctx.ph([4, 3])
    pred = ctx.ph([], tf.bool)
    return [tf.cond(pred, lambda: tf.square(x), lambda: tf.sin(x)),
            tf.cond(tf.reduce_sum(x) > 0.0, lambda: (x * 2.0, x + 1.0), lambda: (x, x))]


def _cond_with_variable(ctx):
    w = ctx.var([3], name="w")
    pred = ctx.ph([], tf.bool)
    return tf.cond(pred, lambda: w * 2.0, lambda: tf.identity(w))


def _while_loop(ctx):
    x = ctx.ph([3])
    n = ctx.ph([], tf.int32)
    _, y = tf.while_loop(lambda i, acc: i < n, lambda i, acc: (i + 1, acc * 1.5 + x), (tf.constant(0), x))
    _, z = tf.while_loop(lambda i, acc: i < 4, lambda i, acc: (i + 1, tf.tanh(acc)), (0, x),
                         maximum_iterations=10, parallel_iterations=1)
    return [y, z]


def _while_loop_shape_invariants(ctx):
    x = ctx.ph([1, 3])
    _, y = tf.while_loop(lambda i, acc: i < 3, lambda i, acc: (i + 1, tf.concat([acc, acc], 0)), (0, x),
                         shape_invariants=(tf.TensorShape([]), tf.TensorShape([None, 3])))
    return tf.reduce_sum(y)


def _nested_while_in_cond(ctx):
    x = ctx.ph([3])
    pred = ctx.ph([], tf.bool)
    def loop():
        return tf.while_loop(lambda i, a: i < 3, lambda i, a: (i + 1, a * x), (0, x))[1]
    return tf.cond(pred, loop, lambda: x)


def _map_fn(ctx):
    x = ctx.ph([4, 3])
    return [tf.map_fn(lambda r: tf.reduce_sum(tf.square(r)), x),
            tf.map_fn(lambda r: (r * 2.0, tf.argmax(r)), x, fn_output_signature=(tf.float32, tf.int64))]


def _scan(ctx):
    x = ctx.ph([5, 3])
    return [tf.scan(lambda acc, r: acc * 0.9 + r, x), tf.scan(lambda acc, r: acc + r, x, reverse=True),
            tf.foldl(lambda acc, r: acc + r, x), tf.foldr(lambda acc, r: acc * r, x)]


def _case(ctx):
    x = ctx.ph([3])
    i = ctx.ph([], tf.int32)
    return tf.case([(tf.equal(i, 0), lambda: x * 2.0), (tf.equal(i, 1), lambda: x + 1.0)], default=lambda: -x,
                   exclusive=True)


def _switch_case(ctx):
    x = ctx.ph([3])
    return tf.switch_case(ctx.ph([], tf.int32), [lambda: x * 2.0, lambda: x + 1.0, lambda: tf.exp(x)])


def _lstm_cell(units, public):
    if public:
        return v1.nn.rnn_cell.LSTMCell(units)
    # `tf.compat.v1.nn.rnn_cell` needs the legacy Keras (tf_keras); TF 2.21 bundles the same
    # legacy cell implementation, which `tf.compat.v1.nn.dynamic_rnn` accepts as is.
    from tensorflow.python.keras.layers.legacy_rnn import rnn_cell_impl
    return rnn_cell_impl.LSTMCell(units, initializer=v1.glorot_uniform_initializer(seed=1))


def _dynamic_rnn(public):
    def fn(ctx):
        x = ctx.ph([2, 5, 3])
        lengths = ctx.ph([2], tf.int32)
        outputs, state = v1.nn.dynamic_rnn(_lstm_cell(4, public), x, sequence_length=lengths, dtype=tf.float32)
        return [outputs, state.c, state.h]
    return fn


def _tensor_array(ctx):
    x = ctx.ph([5, 3])
    ta = tf.TensorArray(tf.float32, size=5, clear_after_read=False)
    ta = ta.unstack(x)
    out = tf.TensorArray(tf.float32, size=0, dynamic_size=True)
    def body(i, out):
        return i + 1, out.write(i, ta.read(i) * 2.0)
    _, out = tf.while_loop(lambda i, _: i < 5, body, (0, out))
    scattered = tf.TensorArray(tf.float32, size=5, element_shape=[3]).scatter([4, 3, 2, 1, 0], x)
    split = tf.TensorArray(tf.float32, size=2).split(x, [2, 3])
    return [out.stack(), out.gather([0, 2]), scattered.concat(), split.read(1), out.size(), ta.read(4)]


CONTROL_FLOW = {
    "cond": _cond, "cond_with_variable": _cond_with_variable, "while_loop": _while_loop,
    "while_loop_shape_invariants": _while_loop_shape_invariants, "while_in_cond": _nested_while_in_cond,
    "map_fn": _map_fn, "scan_foldl_foldr": _scan, "case": _case, "switch_case": _switch_case,
    "dynamic_rnn_lstm.public_rnn_cell": _dynamic_rnn(True), "dynamic_rnn_lstm.bundled_legacy_cell": _dynamic_rnn(False),
    "tensor_array": _tensor_array,
}
for _mode, _area in ((DEFAULT, "control_flow.v2"), (CF_V1, "control_flow.v1")):
    for _name, _fn in CONTROL_FLOW.items():
        add(_area, _name, _fn, _mode)


# ---- functions ----

@case("functions")
def tf_function_called_in_graph(ctx):
    @tf.function
    def f(a, b):
        return tf.matmul(a, b) + 1.0
    return f(ctx.ph([4, 3]), ctx.ph([3, 2]))


@case("functions")
def tf_function_with_variable(ctx):
    w = ctx.var([3, 2], name="w")
    @tf.function
    def f(a):
        w.assign_add(tf.ones([3, 2]))
        return tf.matmul(a, w)
    return f(ctx.ph([4, 3]))


@case("functions")
def tf_function_nested_with_control_flow(ctx):
    @tf.function
    def inner(a):
        return tf.cond(tf.reduce_sum(a) > 0.0, lambda: a * 2.0, lambda: a)
    @tf.function
    def outer(a):
        return inner(a) + inner(a * 3.0)
    return outer(ctx.ph([4, 3]))


@case("functions")
def wrap_function(ctx):
    def f(a):
        return tf.nn.relu(a) * 2.0
    wrapped = v1.wrap_function(f, [tf.TensorSpec([4, 3], tf.float32)])
    return wrapped(ctx.ph([4, 3]))


@case("functions")
def custom_gradient(ctx):
    @tf.custom_gradient
    def clip_grad(a):
        return tf.identity(a), lambda dy: tf.clip_by_value(dy, -1.0, 1.0)
    return clip_grad(ctx.ph([4, 3])) * 2.0


@case("functions")
def recompute_grad(ctx):
    w = ctx.var([3, 3], name="w")
    return tf.recompute_grad(lambda a: tf.matmul(a, w))(ctx.ph([4, 3]))
