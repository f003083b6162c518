"""Census cases: `tf.nn` activations, convolutions, poolings, normalizations, dropout and
embedding lookups, `tf.compat.v1.layers`, and Keras layers called in graph mode."""
import tensorflow as tf

from registry import add, case

v1 = tf.compat.v1

# ---- activations ----

ACTIVATIONS = {
    "relu": tf.nn.relu, "relu6": tf.nn.relu6, "elu": tf.nn.elu, "selu": tf.nn.selu,
    "leaky_relu": lambda x: tf.nn.leaky_relu(x, 0.2), "softplus": tf.nn.softplus,
    "softsign": tf.nn.softsign, "sigmoid": tf.nn.sigmoid, "tanh": tf.nn.tanh,
    "gelu": tf.nn.gelu, "gelu_approximate": lambda x: tf.nn.gelu(x, approximate=True),
    "swish": tf.nn.swish, "silu_beta": lambda x: tf.nn.silu(x, beta=1.5), "crelu": tf.nn.crelu,
    "log_softmax": tf.nn.log_softmax, "softmax": tf.nn.softmax,
    "softmax_axis0": lambda x: tf.nn.softmax(x, axis=0), "bias_add": lambda x: tf.nn.bias_add(x, [1.0, 2.0, 3.0]),
    "relu_layer": lambda x: v1.nn.relu_layer(x, tf.ones([3, 2]), [1.0, 2.0]),
    "xw_plus_b": lambda x: v1.nn.xw_plus_b(x, tf.ones([3, 2]), [1.0, 2.0]),
}
for _name, _fn in ACTIVATIONS.items():
    add("nn.activations", _name, lambda ctx, f=_fn: f(ctx.ph([4, 3])))


# ---- convolutions (NHWC, as CPU programs write them) ----

def _img(ctx, shape=(2, 8, 8, 3)):
    return ctx.ph(list(shape))


CONVOLUTIONS = {
    "conv1d": lambda c: tf.nn.conv1d(c.ph([2, 10, 3]), c.var([3, 3, 4]), stride=2, padding="SAME"),
    "conv1d_dilated": lambda c: tf.nn.conv1d(c.ph([2, 10, 3]), c.var([3, 3, 4]), 1, "VALID", dilations=2),
    "conv1d_transpose": lambda c: tf.nn.conv1d_transpose(c.ph([2, 5, 4]), c.var([3, 3, 4]), [2, 10, 3], 2),
    "conv2d_same": lambda c: tf.nn.conv2d(_img(c), c.var([3, 3, 3, 4]), strides=1, padding="SAME"),
    "conv2d_valid_strided": lambda c: tf.nn.conv2d(_img(c), c.var([3, 3, 3, 4]), strides=2, padding="VALID"),
    "conv2d_explicit_padding": lambda c: tf.nn.conv2d(_img(c), c.var([3, 3, 3, 4]), 1,
                                                      [[0, 0], [1, 2], [2, 1], [0, 0]]),
    "conv2d_dilated": lambda c: tf.nn.conv2d(_img(c), c.var([3, 3, 3, 4]), 1, "SAME", dilations=2),
    "conv2d_v1": lambda c: v1.nn.conv2d(_img(c), c.var([3, 3, 3, 4]), [1, 1, 1, 1], "SAME"),
    "conv3d": lambda c: tf.nn.conv3d(c.ph([2, 6, 6, 6, 3]), c.var([3, 3, 3, 3, 4]), [1, 1, 1, 1, 1], "SAME"),
    "conv3d_transpose": lambda c: tf.nn.conv3d_transpose(c.ph([2, 3, 3, 3, 4]), c.var([3, 3, 3, 3, 4]),
                                                         [2, 6, 6, 6, 3], 2),
    "depthwise_conv2d": lambda c: tf.nn.depthwise_conv2d(_img(c), c.var([3, 3, 3, 2]), [1, 1, 1, 1], "SAME"),
    "depthwise_conv2d_dilated": lambda c: tf.nn.depthwise_conv2d(_img(c), c.var([3, 3, 3, 2]), [1, 1, 1, 1],
                                                                 "SAME", dilations=[2, 2]),
    "separable_conv2d": lambda c: tf.nn.separable_conv2d(_img(c), c.var([3, 3, 3, 2]), c.var([1, 1, 6, 4]),
                                                         [1, 1, 1, 1], "SAME"),
    "conv2d_transpose": lambda c: tf.nn.conv2d_transpose(c.ph([2, 4, 4, 4]), c.var([3, 3, 3, 4]),
                                                         [2, 8, 8, 3], 2, "SAME"),
    "atrous_conv2d": lambda c: tf.nn.atrous_conv2d(_img(c), c.var([3, 3, 3, 4]), 2, "SAME"),
    "atrous_conv2d_transpose": lambda c: tf.nn.atrous_conv2d_transpose(c.ph([2, 8, 8, 4]), c.var([3, 3, 3, 4]),
                                                                       [2, 8, 8, 3], 2, "SAME"),
    "convolution": lambda c: tf.nn.convolution(_img(c), c.var([3, 3, 3, 4]), padding="SAME", dilations=2),
    "space_to_depth_depth_to_space": lambda c: tf.nn.depth_to_space(tf.nn.space_to_depth(_img(c), 2), 2),
    "space_to_batch_batch_to_space": lambda c: tf.compat.v1.batch_to_space(
        tf.compat.v1.space_to_batch(_img(c), [[0, 0], [0, 0]], 2), [[0, 0], [0, 0]], 2),
    "extract_patches": lambda c: tf.image.extract_patches(_img(c), [1, 3, 3, 1], [1, 2, 2, 1], [1, 1, 1, 1], "VALID"),
}
for _name, _fn in CONVOLUTIONS.items():
    add("nn.conv", _name, _fn)


# ---- poolings ----

POOLINGS = {
    "max_pool": lambda c: tf.nn.max_pool(_img(c), 2, 2, "VALID"),
    "max_pool_v1": lambda c: v1.nn.max_pool(_img(c), [1, 3, 3, 1], [1, 2, 2, 1], "SAME"),
    "avg_pool": lambda c: tf.nn.avg_pool(_img(c), 3, 2, "SAME"),
    "avg_pool_v1": lambda c: v1.nn.avg_pool(_img(c), [1, 2, 2, 1], [1, 2, 2, 1], "VALID"),
    "max_pool1d": lambda c: tf.nn.max_pool1d(c.ph([2, 10, 3]), 2, 2, "VALID"),
    "avg_pool1d": lambda c: tf.nn.avg_pool1d(c.ph([2, 10, 3]), 2, 2, "VALID"),
    "max_pool_with_argmax": lambda c: tf.nn.max_pool_with_argmax(_img(c), 2, 2, "SAME"),
    "max_pool3d": lambda c: tf.nn.max_pool3d(c.ph([2, 6, 6, 6, 3]), 2, 2, "VALID"),
    "avg_pool3d": lambda c: tf.nn.avg_pool3d(c.ph([2, 6, 6, 6, 3]), 2, 2, "VALID"),
    "pool_max": lambda c: tf.nn.pool(_img(c), [2, 2], "MAX", strides=[2, 2], padding="SAME"),
    "pool_avg_dilated": lambda c: tf.nn.pool(_img(c), [2, 2], "AVG", padding="VALID", dilations=[2, 2]),
    "global_average": lambda c: tf.reduce_mean(_img(c), axis=[1, 2]),
}
for _name, _fn in POOLINGS.items():
    add("nn.pool", _name, _fn)


# ---- normalizations ----

@case("nn.norm")
def batch_normalization(ctx):
    x = _img(ctx)
    mean, var = tf.nn.moments(x, axes=[0, 1, 2])
    return tf.nn.batch_normalization(x, mean, var, ctx.var([3], name="offset"), ctx.var([3], name="scale"), 1e-3)


@case("nn.norm")
def fused_batch_norm_training(ctx):
    return v1.nn.fused_batch_norm(_img(ctx), ctx.var([3], name="scale"), ctx.var([3], name="offset"),
                                  epsilon=1e-3, is_training=True)


@case("nn.norm")
def fused_batch_norm_inference(ctx):
    return v1.nn.fused_batch_norm(_img(ctx), ctx.var([3], name="scale"), ctx.var([3], name="offset"),
                                  mean=ctx.ph([3]), variance=ctx.ph([3]), epsilon=1e-3, is_training=False)


@case("nn.norm")
def fused_batch_norm_exponential_average(ctx):
    return v1.nn.fused_batch_norm(_img(ctx), ctx.var([3], name="scale"), ctx.var([3], name="offset"),
                                  mean=ctx.ph([3]), variance=ctx.ph([3]), is_training=True,
                                  exponential_avg_factor=0.9)


@case("nn.norm")
def moments_and_weighted_moments(ctx):
    x = _img(ctx)
    return [tf.nn.moments(x, [0, 1, 2], keepdims=True), tf.nn.weighted_moments(x, [0], ctx.ph([2, 1, 1, 1])),
            tf.nn.normalize_moments(*tf.nn.sufficient_statistics(x, [0, 1, 2])[:3], shift=None)]


@case("nn.norm")
def l2_normalize(ctx):
    return [tf.nn.l2_normalize(ctx.ph([4, 3]), axis=1), tf.math.l2_normalize(ctx.ph([4, 3]), axis=[0, 1])]


@case("nn.norm")
def local_response_normalization(ctx):
    return tf.nn.local_response_normalization(_img(ctx), depth_radius=2, bias=1.0, alpha=1e-4, beta=0.75)


@case("nn.norm")
def batch_norm_with_global_normalization(ctx):
    return v1.nn.batch_norm_with_global_normalization(
        _img(ctx), ctx.ph([3]), ctx.ph([3]), ctx.var([3], name="beta"), ctx.var([3], name="gamma"), 1e-3, True)


@case("nn.norm")
def layer_norm_by_hand(ctx):
    """Layer normalization as TF1 models (BERT's `layer_norm`) write it with `tf.nn.moments`."""
    x = ctx.ph([4, 6])
    mean, variance = tf.nn.moments(x, [-1], keepdims=True)
    return tf.nn.batch_normalization(x, mean, variance, ctx.var([6], name="beta"), ctx.var([6], name="gamma"), 1e-12)


# ---- dropout ----

@case("nn.dropout")
def dropout_seeded(ctx):
    x = ctx.ph([4, 3])
    return [tf.nn.dropout(x, rate=0.5, seed=1), v1.nn.dropout(x, keep_prob=0.8, seed=2),
            tf.nn.dropout(x, rate=ctx.ph([]), noise_shape=[4, 1], seed=3)]


@case("nn.dropout")
def stateless_dropout(ctx):
    return tf.nn.experimental.stateless_dropout(ctx.ph([4, 3]), rate=0.5, seed=[1, 2])


# ---- embedding lookups ----

def _partitioned_table(ctx, rows=10, name="embedding"):
    return ctx.var([rows, 4], name=name, partitioner=v1.fixed_size_partitioner(3))


@case("nn.embedding")
def embedding_lookup_single(ctx):
    return tf.nn.embedding_lookup(ctx.var([10, 4], name="emb"), ctx.ph([5], tf.int64))


@case("nn.embedding")
def embedding_lookup_partitioned_mod(ctx):
    return v1.nn.embedding_lookup(list(_partitioned_table(ctx)), ctx.ph([5], tf.int64), partition_strategy="mod")


@case("nn.embedding")
def embedding_lookup_partitioned_div(ctx):
    return v1.nn.embedding_lookup(list(_partitioned_table(ctx)), ctx.ph([5], tf.int64), partition_strategy="div")


@case("nn.embedding")
def embedding_lookup_partitioned_variable(ctx):
    return v1.nn.embedding_lookup(_partitioned_table(ctx), ctx.ph([2, 3], tf.int32), max_norm=1.0)


@case("nn.embedding")
def embedding_lookup_sparse(ctx):
    table = list(_partitioned_table(ctx))
    ids = ctx.sparse_ph([3, 4], tf.int64)
    weights = ctx.sparse_ph([3, 4])
    return [v1.nn.embedding_lookup_sparse(table, ids, None, combiner="sum", partition_strategy="div"),
            v1.nn.embedding_lookup_sparse(table, ids, weights, combiner="mean"),
            tf.nn.embedding_lookup_sparse(ctx.var([10, 4], name="single"), ids, None, combiner="sqrtn")]


@case("nn.embedding")
def safe_embedding_lookup_sparse(ctx):
    table = list(_partitioned_table(ctx))
    ids = ctx.sparse_ph([3, 4], tf.int64)
    return [v1.nn.safe_embedding_lookup_sparse(table, ids, combiner="mean", default_id=0),
            tf.nn.safe_embedding_lookup_sparse(ctx.var([10, 4], name="single"), ids, ctx.sparse_ph([3, 4]),
                                               combiner="sqrtn")]


# ---- tf.compat.v1.layers (the public API), and Keras layers in graph mode ----

V1_LAYERS = {
    "dense": lambda c: v1.layers.dense(c.ph([4, 3]), 5, activation=tf.nn.relu),
    "conv2d": lambda c: v1.layers.conv2d(_img(c), 4, 3, padding="same"),
    "max_pooling2d": lambda c: v1.layers.max_pooling2d(_img(c), 2, 2),
    "batch_normalization": lambda c: v1.layers.batch_normalization(_img(c), training=True),
    "batch_normalization_training_placeholder": lambda c: v1.layers.batch_normalization(
        _img(c), training=c.ph([], tf.bool)),
    "dropout": lambda c: v1.layers.dropout(c.ph([4, 3]), 0.5, training=True, seed=1),
    "flatten": lambda c: v1.layers.flatten(_img(c)),
}
for _name, _fn in V1_LAYERS.items():
    add("layers.v1", _name, _fn)


def _keras_layer(make, input_shape, call_kwargs=None):
    def fn(ctx):
        layer = make()
        out = layer(ctx.ph(list(input_shape)), **(call_kwargs or {}))
        ctx.watch(*[w.value for w in layer.trainable_weights])
        return out
    return fn


KERAS_LAYERS = {
    "Dense": (lambda: tf.keras.layers.Dense(5, activation="relu"), (4, 3)),
    "Conv2D": (lambda: tf.keras.layers.Conv2D(4, 3, padding="same"), (2, 8, 8, 3)),
    "MaxPooling2D": (lambda: tf.keras.layers.MaxPooling2D(), (2, 8, 8, 3)),
    "BatchNormalization.training": (lambda: tf.keras.layers.BatchNormalization(), (2, 8, 8, 3), {"training": True}),
    "BatchNormalization.inference": (lambda: tf.keras.layers.BatchNormalization(), (2, 8, 8, 3), {"training": False}),
    "LayerNormalization": (lambda: tf.keras.layers.LayerNormalization(), (4, 6)),
    "Dropout": (lambda: tf.keras.layers.Dropout(0.5, seed=1), (4, 3), {"training": True}),
    "LSTM": (lambda: tf.keras.layers.LSTM(4), (2, 5, 3)),
    "GRU": (lambda: tf.keras.layers.GRU(4, return_sequences=True), (2, 5, 3)),
}
for _name, _spec in KERAS_LAYERS.items():
    add("layers.keras", _name, _keras_layer(*_spec))


@case("layers.keras")
def Embedding(ctx):
    layer = tf.keras.layers.Embedding(10, 4)
    out = layer(ctx.ph([3, 2], tf.int32))
    ctx.watch(*[w.value for w in layer.trainable_weights])
    return out


@case("layers.keras")
def MultiHeadAttention(ctx):
    layer = tf.keras.layers.MultiHeadAttention(num_heads=2, key_dim=4)
    x = ctx.ph([2, 5, 8])
    out = layer(x, x)
    ctx.watch(*[w.value for w in layer.trainable_weights])
    return out
