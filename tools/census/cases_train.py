"""Census cases: every `tf.compat.v1.train` optimizer (dense and sparse gradients, resource and ref
variables), variable updates, every `tf.compat.v1.losses` loss and the `tf.nn` ones training code
calls, every initializer with a seed, and the pieces of a training step around the optimizer
(learning-rate schedules, moving averages, gradient clipping, loss scaling)."""
import tensorflow as tf

from registry import DEFAULT, REF, add, case

v1 = tf.compat.v1


def _global_step():
    return v1.train.get_or_create_global_step()


OPTIMIZERS = {
    "GradientDescent": lambda gs: v1.train.GradientDescentOptimizer(0.1),
    "Momentum": lambda gs: v1.train.MomentumOptimizer(0.1, 0.9),
    "Momentum_nesterov": lambda gs: v1.train.MomentumOptimizer(0.1, 0.9, use_nesterov=True),
    "Adam": lambda gs: v1.train.AdamOptimizer(0.001),
    "Adagrad": lambda gs: v1.train.AdagradOptimizer(0.1),
    "AdagradDA": lambda gs: v1.train.AdagradDAOptimizer(0.1, gs, l1_regularization_strength=0.01,
                                                         l2_regularization_strength=0.01),
    "Adadelta": lambda gs: v1.train.AdadeltaOptimizer(1.0),
    "RMSProp": lambda gs: v1.train.RMSPropOptimizer(0.01),
    "RMSProp_centered": lambda gs: v1.train.RMSPropOptimizer(0.01, centered=True),
    "RMSProp_momentum": lambda gs: v1.train.RMSPropOptimizer(0.01, momentum=0.9),
    "RMSProp_centered_momentum": lambda gs: v1.train.RMSPropOptimizer(0.01, momentum=0.9, centered=True),
    "Ftrl": lambda gs: v1.train.FtrlOptimizer(0.1, l1_regularization_strength=0.01,
                                              l2_regularization_strength=0.01),
    "Ftrl_l2_shrinkage": lambda gs: v1.train.FtrlOptimizer(0.1, l1_regularization_strength=0.01,
                                                           l2_shrinkage_regularization_strength=0.01),
    "ProximalGradientDescent": lambda gs: v1.train.ProximalGradientDescentOptimizer(
        0.1, l1_regularization_strength=0.01, l2_regularization_strength=0.01),
    "ProximalAdagrad": lambda gs: v1.train.ProximalAdagradOptimizer(
        0.1, l1_regularization_strength=0.01, l2_regularization_strength=0.01),
}


def _dense_step(make):
    def fn(ctx):
        gs = _global_step()
        x = ctx.ph([8, 4])
        w, b = ctx.var([4, 3], name="w"), ctx.var([3], name="b", initializer=v1.zeros_initializer())
        loss = tf.reduce_mean(tf.square(tf.matmul(x, w) + b))
        return make(gs).minimize(loss, global_step=gs)
    return fn


def _sparse_step(make):
    def fn(ctx):
        gs = _global_step()
        ids = ctx.ph([5], tf.int32)
        emb = ctx.var([10, 3], name="embedding")
        loss = tf.reduce_sum(tf.square(tf.gather(emb, ids)))
        return make(gs).minimize(loss, global_step=gs)
    return fn


for _mode, _area in ((DEFAULT, "optimizers.resource"), (REF, "optimizers.ref")):
    for _name, _make in OPTIMIZERS.items():
        add(_area, f"{_name}.dense", _dense_step(_make), _mode)
        add(_area, f"{_name}.sparse", _sparse_step(_make), _mode)


# ---- variables: reads, assignments, scatter updates, partitioning ----

def _assignments(ctx):
    v = ctx.var([4], name="v")
    x = ctx.ph([4])
    outs = [v1.assign(v, x), v1.assign_add(v, x), v1.assign_sub(v, x), v.read_value(), v.value(),
            v1.is_variable_initialized(v), v.assign(x, read_value=False)]
    if not v1.resource_variables_enabled():  # TF 2.21 implements it for ref variables only
        outs.append(v.initialized_value())
    return outs


def _scatters(ctx):
    v = ctx.var([6, 3], name="table")
    idx = ctx.ph([2], tf.int32)
    upd = ctx.ph([2, 3])
    nd_idx = ctx.ph([2, 1], tf.int32)
    return [v1.scatter_update(v, idx, upd), v1.scatter_add(v, idx, upd), v1.scatter_sub(v, idx, upd),
            v1.scatter_mul(v, idx, upd), v1.scatter_div(v, idx, upd), v1.scatter_min(v, idx, upd),
            v1.scatter_max(v, idx, upd), v1.scatter_nd_update(v, nd_idx, upd),
            v1.scatter_nd_add(v, nd_idx, upd), v1.scatter_nd_sub(v, nd_idx, upd),
            v1.batch_scatter_update(ctx.var([2, 4], name="batch"), ctx.ph([2, 1], tf.int32), ctx.ph([2, 1]))]


def _count_up_to(ctx):
    counter = ctx.var([], tf.int64, name="counter", initializer=v1.zeros_initializer(), trainable=False)
    return v1.count_up_to(counter, 10)


def _sparse_read(ctx):
    v = ctx.var([6, 3], name="table")
    idx = ctx.ph([2], tf.int32)
    outs = [tf.gather(v, idx), tf.nn.embedding_lookup(v, idx)]
    if v1.resource_variables_enabled():  # ref variables have no sparse_read
        outs.append(v.sparse_read(idx))
    return outs


def _partitioned(ctx):
    v = ctx.var([10, 4], name="partitioned", partitioner=v1.fixed_size_partitioner(3))
    w = ctx.var([12, 4], name="min_max", partitioner=v1.min_max_variable_partitioner(max_partitions=3, min_slice_size=16))
    u = ctx.var([12, 4], name="axis_size", partitioner=v1.variable_axis_size_partitioner(max_shard_bytes=64))
    return [tf.convert_to_tensor(v), tf.convert_to_tensor(w), tf.convert_to_tensor(u)]


def _local_and_untrainable(ctx):
    loc = v1.get_local_variable("local", [3], initializer=v1.zeros_initializer())
    frozen = ctx.var([3], name="frozen", trainable=False)
    return [loc.assign_add(frozen), v1.local_variables_initializer(),
            v1.variables_initializer([frozen]), v1.assert_variables_initialized([frozen])]


def _variable_classes(ctx):
    a = tf.Variable(tf.zeros([3]), name="v2_variable")
    b = v1.Variable(tf.ones([3]), name="v1_variable")
    c = v1.Variable(tf.ones([3]), name="explicit_resource", use_resource=True)
    return [a + b + c, a.assign_add(b)]


for _mode, _area in ((DEFAULT, "variables.resource"), (REF, "variables.ref")):
    for _name, _fn in (("assign", _assignments), ("scatter", _scatters), ("count_up_to", _count_up_to),
                       ("sparse_read", _sparse_read), ("partitioned", _partitioned),
                       ("local_and_untrainable", _local_and_untrainable), ("variable_classes", _variable_classes)):
        add(_area, _name, _fn, _mode)


# ---- losses ----

def _loss_case(name, build):
    add("losses", name, build)


def _regression(ctx):
    return ctx.ph([4, 3]), ctx.ph([4, 3]), ctx.ph([4, 1])


_loss_case("absolute_difference", lambda c: v1.losses.absolute_difference(*_regression(c)))
_loss_case("mean_squared_error", lambda c: v1.losses.mean_squared_error(*_regression(c)))
_loss_case("huber_loss", lambda c: v1.losses.huber_loss(*_regression(c), delta=0.5))
_loss_case("log_loss", lambda c: v1.losses.log_loss(*_regression(c)))
_loss_case("hinge_loss", lambda c: v1.losses.hinge_loss(*_regression(c)))
_loss_case("mean_pairwise_squared_error", lambda c: v1.losses.mean_pairwise_squared_error(*_regression(c)))
_loss_case("cosine_distance", lambda c: v1.losses.cosine_distance(
    tf.nn.l2_normalize(c.ph([4, 3]), 1), tf.nn.l2_normalize(c.ph([4, 3]), 1), axis=1))
_loss_case("sigmoid_cross_entropy", lambda c: v1.losses.sigmoid_cross_entropy(
    c.ph([4, 3]), c.ph([4, 3]), weights=c.ph([4, 1]), label_smoothing=0.1))
_loss_case("softmax_cross_entropy", lambda c: v1.losses.softmax_cross_entropy(
    c.ph([4, 3]), c.ph([4, 3]), weights=c.ph([4]), label_smoothing=0.1))
_loss_case("sparse_softmax_cross_entropy", lambda c: v1.losses.sparse_softmax_cross_entropy(
    c.ph([4], tf.int64), c.ph([4, 3]), weights=c.ph([4])))
_loss_case("compute_weighted_loss", lambda c: v1.losses.compute_weighted_loss(c.ph([4, 3]), c.ph([4, 1])))
for _reduction in ("NONE", "SUM", "MEAN", "SUM_OVER_BATCH_SIZE", "SUM_OVER_NONZERO_WEIGHTS", "SUM_BY_NONZERO_WEIGHTS"):
    _loss_case(f"reduction_{_reduction}", lambda c, r=_reduction: v1.losses.mean_squared_error(
        *_regression(c), reduction=getattr(v1.losses.Reduction, r)))


@case("losses")
def regularization_and_total_loss(ctx):
    w = ctx.var([4, 3], name="w", regularizer=lambda t: 0.01 * tf.nn.l2_loss(t))
    v1.losses.add_loss(tf.reduce_sum(tf.square(w)))
    return [v1.losses.get_regularization_loss(), v1.losses.get_total_loss(),
            tf.add_n(v1.losses.get_regularization_losses())]


@case("losses")
def nn_cross_entropies(ctx):
    logits, labels = ctx.ph([4, 3]), ctx.ph([4, 3])
    return [tf.nn.sigmoid_cross_entropy_with_logits(labels=labels, logits=logits),
            v1.nn.softmax_cross_entropy_with_logits(labels=labels, logits=logits),
            tf.nn.softmax_cross_entropy_with_logits(labels=labels, logits=logits),
            tf.nn.sparse_softmax_cross_entropy_with_logits(labels=ctx.ph([4], tf.int32), logits=logits),
            tf.nn.weighted_cross_entropy_with_logits(labels, logits, pos_weight=2.0),
            tf.nn.log_poisson_loss(labels, logits), tf.nn.l2_loss(logits)]


@case("losses")
def nce_loss(ctx):
    weights, biases = ctx.var([20, 8], name="nce_w"), ctx.var([20], name="nce_b")
    labels = ctx.ph([4, 1], tf.int64)
    sampled = tf.random.log_uniform_candidate_sampler(labels, 1, 5, True, 20, seed=3)
    return tf.nn.nce_loss(weights, biases, labels=labels, inputs=ctx.ph([4, 8]), num_sampled=5, num_classes=20,
                          sampled_values=sampled, remove_accidental_hits=True)


@case("losses")
def sampled_softmax_loss(ctx):
    weights, biases = ctx.var([20, 8], name="softmax_w"), ctx.var([20], name="softmax_b")
    return tf.nn.sampled_softmax_loss(weights, biases, labels=ctx.ph([4, 1], tf.int64), inputs=ctx.ph([4, 8]),
                                      num_sampled=5, num_classes=20, seed=3)


@case("losses")
def ctc_loss(ctx):
    logits = ctx.ph([6, 2, 5])  # time-major
    labels = ctx.sparse_ph([2, 3], tf.int32)
    return [v1.nn.ctc_loss(labels, logits, sequence_length=ctx.ph([2], tf.int32)),
            tf.nn.ctc_loss(ctx.ph([2, 3], tf.int32), logits, label_length=ctx.ph([2], tf.int32),
                           logit_length=ctx.ph([2], tf.int32), blank_index=0)]


# ---- initializers, all seeded ----

V1_INITIALIZERS = {
    "constant_initializer": lambda: v1.constant_initializer(0.5),
    "zeros_initializer": lambda: v1.zeros_initializer(),
    "ones_initializer": lambda: v1.ones_initializer(),
    "random_normal_initializer": lambda: v1.random_normal_initializer(0.0, 0.1, seed=1),
    "random_uniform_initializer": lambda: v1.random_uniform_initializer(-0.1, 0.1, seed=1),
    "truncated_normal_initializer": lambda: v1.truncated_normal_initializer(0.0, 0.1, seed=1),
    "uniform_unit_scaling_initializer": lambda: v1.uniform_unit_scaling_initializer(seed=1),
    "glorot_normal_initializer": lambda: v1.glorot_normal_initializer(seed=1),
    "glorot_uniform_initializer": lambda: v1.glorot_uniform_initializer(seed=1),
    "orthogonal_initializer": lambda: v1.orthogonal_initializer(seed=1),
    "variance_scaling_initializer.truncated_normal": lambda: v1.variance_scaling_initializer(
        2.0, "fan_in", "truncated_normal", seed=1),
    "variance_scaling_initializer.untruncated_normal": lambda: v1.variance_scaling_initializer(
        1.0, "fan_out", "untruncated_normal", seed=1),
    "variance_scaling_initializer.uniform": lambda: v1.variance_scaling_initializer(
        1.0, "fan_avg", "uniform", seed=1),
    "initializers.he_normal": lambda: v1.initializers.he_normal(seed=1),
    "initializers.he_uniform": lambda: v1.initializers.he_uniform(seed=1),
    "initializers.lecun_normal": lambda: v1.initializers.lecun_normal(seed=1),
    "initializers.lecun_uniform": lambda: v1.initializers.lecun_uniform(seed=1),
    "initializers.identity": lambda: v1.initializers.identity(),
}
KERAS_INITIALIZERS = {
    "Constant": lambda k: k.Constant(0.5), "Zeros": lambda k: k.Zeros(), "Ones": lambda k: k.Ones(),
    "RandomNormal": lambda k: k.RandomNormal(seed=1), "RandomUniform": lambda k: k.RandomUniform(seed=1),
    "TruncatedNormal": lambda k: k.TruncatedNormal(seed=1), "GlorotNormal": lambda k: k.GlorotNormal(seed=1),
    "GlorotUniform": lambda k: k.GlorotUniform(seed=1), "HeNormal": lambda k: k.HeNormal(seed=1),
    "HeUniform": lambda k: k.HeUniform(seed=1), "LecunNormal": lambda k: k.LecunNormal(seed=1),
    "LecunUniform": lambda k: k.LecunUniform(seed=1), "Orthogonal": lambda k: k.Orthogonal(seed=1),
    "Identity": lambda k: k.Identity(), "VarianceScaling": lambda k: k.VarianceScaling(seed=1),
}


def _initialized(make, shape=(4, 4)):
    def fn(ctx):
        return ctx.var(list(shape), name="w", initializer=make()).read_value()
    return fn


for _name, _make in V1_INITIALIZERS.items():
    add("initializers", _name, _initialized(_make))
for _name, _make in KERAS_INITIALIZERS.items():
    add("initializers", f"keras.initializers.{_name}", _initialized(lambda m=_make: m(v1.keras.initializers)))


@case("initializers")
def integer_and_conv_shapes(ctx):
    return [ctx.var([3], tf.int64, name="ints", initializer=v1.zeros_initializer()).read_value(),
            ctx.var([3, 3, 2, 4], name="kernel", initializer=v1.glorot_uniform_initializer(seed=1)).read_value(),
            ctx.var([3, 3, 4, 4], name="orth", initializer=v1.orthogonal_initializer(seed=1)).read_value(),
            v1.get_variable("from_value", initializer=tf.constant([1.0, 2.0])).read_value()]


# ---- the training step around the optimizer ----

@case("training")
def learning_rate_schedules(ctx):
    gs = _global_step()
    return [v1.train.exponential_decay(0.1, gs, 100, 0.96, staircase=True),
            v1.train.piecewise_constant(gs, [100, 200], [0.1, 0.01, 0.001]),
            v1.train.polynomial_decay(0.1, gs, 1000, 0.001, power=0.5, cycle=True),
            v1.train.natural_exp_decay(0.1, gs, 100, 0.5),
            v1.train.inverse_time_decay(0.1, gs, 100, 0.5),
            v1.train.cosine_decay(0.1, gs, 1000),
            v1.train.cosine_decay_restarts(0.1, gs, 100),
            v1.train.linear_cosine_decay(0.1, gs, 1000),
            v1.train.noisy_linear_cosine_decay(0.1, gs, 1000)]


@case("training")
def clipped_gradients_and_scheduled_rate(ctx):
    gs = _global_step()
    x = ctx.ph([8, 4])
    w = ctx.var([4, 3], name="w")
    loss = tf.reduce_mean(tf.square(tf.matmul(x, w)))
    opt = v1.train.MomentumOptimizer(v1.train.exponential_decay(0.1, gs, 100, 0.9), 0.9)
    grads, variables = zip(*opt.compute_gradients(loss))
    clipped, norm = tf.clip_by_global_norm(grads, 5.0)
    return [opt.apply_gradients(zip(clipped, variables), global_step=gs), norm]


@case("training")
def exponential_moving_average(ctx):
    gs = _global_step()
    w = ctx.var([4, 3], name="w")
    ema = v1.train.ExponentialMovingAverage(0.99, num_updates=gs, zero_debias=True)
    update = ema.apply([w])
    restore = ema.variables_to_restore()
    return [update, ema.average(w).read_value(), len(restore)]


@case("training")
def mixed_precision_loss_scale_optimizer(ctx):
    gs = _global_step()
    x = ctx.ph([8, 4])
    w = ctx.var([4, 3], name="w")
    loss = tf.reduce_mean(tf.square(tf.matmul(x, w)))
    opt = v1.train.experimental.MixedPrecisionLossScaleOptimizer(
        v1.train.GradientDescentOptimizer(0.1), loss_scale="dynamic")
    return opt.minimize(loss, global_step=gs)


@case("training")
def update_ops_dependency_and_group(ctx):
    gs = _global_step()
    x = ctx.ph([8, 4])
    w = ctx.var([4, 3], name="w")
    moving = ctx.var([3], name="moving", trainable=False)
    y = tf.matmul(x, w)
    v1.add_to_collection(v1.GraphKeys.UPDATE_OPS, v1.assign(moving, tf.reduce_mean(y, 0)))
    with tf.control_dependencies(v1.get_collection(v1.GraphKeys.UPDATE_OPS)):
        train = v1.train.AdamOptimizer(0.01).minimize(tf.reduce_mean(tf.square(y)), global_step=gs)
    return tf.group(train, v1.assign_add(gs, 0))
