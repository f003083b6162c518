"""Reference variables (issue 14): what TF1 programs and `tf.compat.v1.disable_resource_variables()`
make — `VariableV2` with `Assign`/`AssignAdd`/`AssignSub`, `IsVariableInitialized`,
`report_uninitialized_variables`, `CountUpTo`, the ref forms of the optimizers (`ApplyAdam`, ...),
and references passed through TF1 control flow (`RefSwitch`, `RefMerge`, `RefEnter`). Variables
live on task 1, the model on task 0, so references and their values cross tasks.
"""
import numpy as np
import tensorflow as tf

from programs import fresh, on, tolist, v1
from programs_control_flow import control_flow_mode


def ref_var(name, value, dtype=tf.float32):
    """A reference variable (`VariableV2`), whatever the process's default."""
    return v1.Variable(value, name=name, dtype=dtype, use_resource=False)


def outcome(s, fetch, feed=None):
    """A fetch's value, or the class name of the error it raised."""
    try:
        return tolist(s.run(fetch, feed))
    except tf.errors.OpError as e:
        return type(e).__name__


def ref_variable_state_ops(target, job):
    """Reads and updates of reference variables before and after initialization."""
    fresh(target)
    g = tf.Graph()
    with g.as_default():
        with on(job, 1):
            v = ref_var("rv_v", [1.0, 2.0, 3.0])
            c = ref_var("rv_c", 0, tf.int32)
        with on(job, 0):
            doubled = v * 2.0
            is_init = v1.is_variable_initialized(v)
            uninit = v1.report_uninitialized_variables()
            assign = v1.assign(v, [5.0, 6.0, 7.0])
            add = v1.assign_add(v, [1.0, 1.0, 1.0])
            sub = v1.assign_sub(v, [0.5, 0.5, 0.5])
            count = v1.count_up_to(c, 2)
        # A read ordered after an update sits with the variable: read on another task, the value a
        # `_Send` of a reference carries aliases the variable's buffer, and which update it sees
        # depends on when the receiving task asks for it (TF orders that `_Recv` after the reader's
        # other inputs, graph_partition.cc's ref_recvs x ref_control_inputs).
        with on(job, 1):
            with tf.control_dependencies([add]):
                after_add = tf.identity(v.read_value()) + 0.0
        init = v1.global_variables_initializer()
    with v1.Session(target, graph=g) as s:
        out = [outcome(s, doubled), outcome(s, is_init), sorted(x.decode() for x in s.run(uninit)), outcome(s, add)]
        s.run(init)
        out += [outcome(s, is_init), tolist(s.run(uninit)), outcome(s, doubled)]
        out += [outcome(s, assign), outcome(s, add), outcome(s, sub), outcome(s, after_add), outcome(s, doubled)]
        out += [outcome(s, count) for _ in range(3)]
        out.append(outcome(s, c))
    return out


def ref_variable_optimizers(target, job):
    """One linear model per v1 optimizer, its reference variables on task 1, three steps each."""
    fresh(target)
    optimizers = {
        "sgd": lambda: v1.train.GradientDescentOptimizer(0.1),
        "momentum": lambda: v1.train.MomentumOptimizer(0.1, 0.9),
        "nesterov": lambda: v1.train.MomentumOptimizer(0.1, 0.9, use_nesterov=True),
        "adagrad": lambda: v1.train.AdagradOptimizer(0.2),
        "rmsprop": lambda: v1.train.RMSPropOptimizer(0.05, momentum=0.5),
        "adam": lambda: v1.train.AdamOptimizer(0.05),
    }
    g = tf.Graph()
    models = {}
    with g.as_default():
        x = v1.placeholder(tf.float32, [None, 3])
        y = v1.placeholder(tf.float32, [None, 1])
        for name, make in optimizers.items():
            with on(job, 1):
                w = ref_var(f"ro_{name}_w", [[0.1], [-0.2], [0.3]])
                b = ref_var(f"ro_{name}_b", [0.0])
            with on(job, 0):
                loss = tf.reduce_mean(tf.square(tf.matmul(x, w) + b - y))
                step = make().minimize(loss, var_list=[w, b])
            models[name] = (loss, step, w, b)
        init = v1.global_variables_initializer()
    xs = np.random.RandomState(3).rand(6, 3).astype(np.float32)
    ys = (xs @ np.array([[1.0], [2.0], [-1.0]], np.float32) + 0.5).astype(np.float32)
    out = {}
    with v1.Session(target, graph=g) as s:
        s.run(init)
        for name, (loss, step, w, b) in models.items():
            losses = [float(s.run([loss, step], {x: xs, y: ys})[0]) for _ in range(3)]
            out[name] = losses + [tolist(s.run(w)), tolist(s.run(b))]
    return [out[k] for k in optimizers]


def ref_variable_control_flow(target, job):
    """TF1 control flow over a reference variable: a conditional update (`RefSwitch`) and a loop
    whose body updates the variable every iteration (`RefEnter`)."""
    fresh(target)
    with control_flow_mode(False):
        g = tf.Graph()
        with g.as_default():
            with on(job, 1):
                v = ref_var("rc_v", 10.0)
            with on(job, 0):
                p = v1.placeholder(tf.bool, [])
                updated = tf.cond(p, lambda: v1.assign_add(v, 1.0), lambda: v1.assign_sub(v, 3.0))

                def body(i):
                    with tf.control_dependencies([v1.assign_add(v, 2.0)]):
                        return i + 1

                loop = v1.while_loop(lambda i: i < 4, body, [tf.constant(0)], parallel_iterations=1)
            with on(job, 1):
                with tf.control_dependencies([loop]):
                    after_loop = tf.identity(v.read_value())
            init = v1.global_variables_initializer()
        with v1.Session(target, graph=g) as s:
            s.run(init)
            out = [outcome(s, updated, {p: True}), outcome(s, updated, {p: False}), outcome(s, v)]
            out += [outcome(s, after_loop), outcome(s, v)]
    return out


PROGRAMS = {
    "ref_variable_state_ops": ref_variable_state_ops,
    "ref_variable_optimizers": ref_variable_optimizers,
    "ref_variable_control_flow": ref_variable_control_flow,
}
