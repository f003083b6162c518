"""Census cases: array manipulation (shapes, slicing, gather/scatter, padding, concatenation,
masking, sorting), clipping, segment reductions, `tf.sparse`, random ops with seeds, and casts."""
import tensorflow as tf

from registry import add, case

v1 = tf.compat.v1

ARRAY = {
    "reshape_expand_squeeze": lambda c: [tf.reshape(c.ph([4, 3]), [2, -1]), tf.expand_dims(c.ph([4, 3]), 1),
                                         tf.squeeze(c.ph([4, 1, 3]), [1]), tf.reshape(c.ph([4, 3]), c.ph([2], tf.int32))],
    "shape_size_rank": lambda c: [tf.shape(c.ph([None, 3])), tf.size(c.ph([None, 3])), tf.rank(c.ph(None)),
                                  v1.shape_n([c.ph([None, 3]), c.ph([None])]), tf.shape(c.ph([None]), out_type=tf.int64)],
    "fill_zeros_ones_range": lambda c: [tf.zeros(c.ph([2], tf.int32)), tf.ones([2, 3]), tf.fill([2], c.ph([])),
                                        tf.zeros_like(c.ph([4, 3])), tf.ones_like(c.ph([4, 3])),
                                        tf.range(c.ph([], tf.int32)), tf.range(0.0, c.ph([]), 0.5),
                                        tf.linspace(0.0, c.ph([]), 5)],
    "meshgrid_broadcast": lambda c: [tf.meshgrid(c.ph([3]), c.ph([4])), tf.broadcast_to(c.ph([3]), [4, 3]),
                                     tf.broadcast_dynamic_shape(tf.shape(c.ph([None, 3])), [4, 1])],
    "slice_strided_slice": lambda c: [tf.slice(c.ph([4, 3]), [1, 0], [2, -1]), c.ph([4, 3])[1:, ::2],
                                      c.ph([4, 3])[c.ph([], tf.int32)], c.ph([2, 4, 3])[..., tf.newaxis, 1]],
    "one_hot": lambda c: [tf.one_hot(c.ph([4], tf.int32), 5), tf.one_hot(c.ph([4], tf.int64), 5, 2.0, -1.0, axis=0)],
    "gather": lambda c: [tf.gather(c.ph([5, 3]), c.ph([4], tf.int32)), tf.gather(c.ph([5, 3]), c.ph([2], tf.int64), axis=1),
                         tf.gather(c.ph([2, 5, 3]), c.ph([2, 4], tf.int32), batch_dims=1, axis=1),
                         v1.batch_gather(c.ph([2, 5]), c.ph([2, 3], tf.int32))],
    "gather_nd": lambda c: [tf.gather_nd(c.ph([5, 3]), c.ph([4, 2], tf.int32)),
                            tf.gather_nd(c.ph([2, 5, 3]), c.ph([2, 4, 1], tf.int64), batch_dims=1)],
    "scatter_nd": lambda c: tf.scatter_nd(c.ph([4, 1], tf.int32), c.ph([4, 3]), [6, 3]),
    "tensor_scatter_nd": lambda c: [tf.tensor_scatter_nd_update(c.ph([6, 3]), c.ph([2, 1], tf.int32), c.ph([2, 3])),
                                    tf.tensor_scatter_nd_add(c.ph([6, 3]), c.ph([2, 1], tf.int32), c.ph([2, 3])),
                                    tf.tensor_scatter_nd_sub(c.ph([6, 3]), c.ph([2, 1], tf.int32), c.ph([2, 3])),
                                    tf.tensor_scatter_nd_min(c.ph([6, 3]), c.ph([2, 1], tf.int32), c.ph([2, 3])),
                                    tf.tensor_scatter_nd_max(c.ph([6, 3]), c.ph([2, 1], tf.int32), c.ph([2, 3]))],
    "pad_constant": lambda c: [tf.pad(c.ph([4, 3]), [[1, 1], [0, 2]]), tf.pad(c.ph([4, 3]), [[1, 1], [0, 2]],
                                                                              constant_values=1.5)],
    "pad_reflect": lambda c: tf.pad(c.ph([4, 3]), [[1, 1], [0, 2]], mode="REFLECT"),
    "pad_symmetric": lambda c: tf.pad(c.ph([4, 3]), [[1, 1], [0, 2]], mode="SYMMETRIC"),
    "concat": lambda c: [tf.concat([c.ph([4, 3]), c.ph([2, 3])], 0), tf.concat([c.ph([4, 3]), c.ph([4, 1])], -1),
                         tf.concat([c.ph([4, 3]), c.ph([4, 3])], c.ph([], tf.int32))],
    "split": lambda c: [tf.split(c.ph([4, 6]), 3, axis=1), tf.split(c.ph([4, 6]), [1, 2, 3], axis=1),
                        tf.split(c.ph([4, 6]), [1, -1], axis=0)],
    "stack_unstack": lambda c: [tf.stack([c.ph([3]), c.ph([3])], axis=1), tf.unstack(c.ph([4, 3]), axis=1),
                                v1.parallel_stack([c.ph([3]), c.ph([3])])],
    "tile": lambda c: [tf.tile(c.ph([4, 3]), [2, 1]), tf.tile(c.ph([4, 3]), c.ph([2], tf.int32))],
    "repeat": lambda c: [tf.repeat(c.ph([4, 3]), 2, axis=0), tf.repeat(c.ph([4, 3]), c.ph([4], tf.int32), axis=0)],
    "reverse": lambda c: [tf.reverse(c.ph([4, 3]), [0]), tf.reverse_sequence(c.ph([4, 3]), c.ph([4], tf.int32), 1, 0)],
    "roll": lambda c: tf.roll(c.ph([4, 3]), shift=1, axis=0),
    "where": lambda c: [tf.where(c.ph([4, 3], tf.bool)), tf.where(c.ph([4, 3], tf.bool), c.ph([4, 3]), c.ph([4, 3])),
                        v1.where(c.ph([4], tf.bool), c.ph([4, 3]), c.ph([4, 3])),
                        tf.where(c.ph([4, 1], tf.bool), c.ph([4, 3]), c.ph([3]))],
    "boolean_mask": lambda c: [tf.boolean_mask(c.ph([4, 3]), c.ph([4], tf.bool)),
                               tf.boolean_mask(c.ph([4, 3]), c.ph([4, 3], tf.bool))],
    "sequence_mask": lambda c: tf.sequence_mask(c.ph([4], tf.int32), 6, dtype=tf.float32),
    "unique": lambda c: [tf.unique(c.ph([6], tf.int64)), tf.unique_with_counts(c.ph([6], tf.int32)),
                         tf.unique(c.ph([6], tf.string))],
    "setdiff1d_and_sets": lambda c: [v1.setdiff1d(c.ph([6], tf.int32), c.ph([3], tf.int32)),
                                     tf.sets.intersection(c.ph([2, 3], tf.int32), c.ph([2, 3], tf.int32))],
    "dynamic_partition_and_stitch": lambda c: tf.dynamic_stitch(
        [c.ph([2], tf.int32), c.ph([3], tf.int32)],
        tf.dynamic_partition(c.ph([5, 3]), c.ph([5], tf.int32), 2)),
    "identity_and_gradient_barriers": lambda c: [tf.identity(c.ph([4])), tf.stop_gradient(c.ph([4])),
                                                 tf.identity_n([c.ph([4]), c.ph([2])]), tf.ensure_shape(c.ph(None), [4]),
                                                 v1.placeholder_with_default([1.0, 2.0], [2]),
                                                 tf.grad_pass_through(tf.round)(c.ph([4]))],
    "searchsorted_histogram": lambda c: [tf.searchsorted(c.ph([2, 5]), c.ph([2, 3])),
                                         tf.histogram_fixed_width(c.ph([6]), [0.0, 1.0], nbins=4),
                                         tf.histogram_fixed_width_bins(c.ph([6]), [0.0, 1.0], nbins=4)],
    "unravel_index": lambda c: tf.unravel_index(c.ph([3], tf.int32), [4, 5]),
    "edit_distance": lambda c: tf.edit_distance(c.sparse_ph([2, 4], tf.int64), c.sparse_ph([2, 4], tf.int64)),
    "matrix_ops_v1_names": lambda c: [v1.matrix_band_part(c.ph([3, 3]), 0, -1), v1.matrix_set_diag(c.ph([3, 3]), c.ph([3])),
                                      v1.matrix_diag_part(c.ph([3, 3])), v1.diag(c.ph([3])), v1.diag_part(c.ph([3, 3]))],
    "extract_volume_patches": lambda c: v1.extract_volume_patches(c.ph([1, 4, 4, 4, 2]), [1, 2, 2, 2, 1],
                                                                  [1, 2, 2, 2, 1], "VALID"),
    "cast_and_bitcast": lambda c: [tf.cast(c.ph([4]), tf.int32), tf.cast(c.ph([4], tf.int64), tf.float64),
                                   tf.cast(c.ph([4], tf.bool), tf.float32), tf.saturate_cast(c.ph([4]), tf.uint8),
                                   tf.bitcast(c.ph([4]), tf.int32), tf.bitcast(c.ph([4], tf.int64), tf.int32),
                                   v1.to_float(c.ph([4], tf.int32)), tf.cast(c.ph([4], tf.float64), tf.float16)],
}
for _name, _fn in ARRAY.items():
    add("array", _name, _fn)


# ---- clipping ----

CLIPPING = {
    "clip_by_value": lambda c: [tf.clip_by_value(c.ph([4, 3]), -1.0, 1.0),
                                tf.clip_by_value(c.ph([4, 3]), c.ph([]), c.ph([]))],
    "clip_by_norm": lambda c: [tf.clip_by_norm(c.ph([4, 3]), 1.0), tf.clip_by_norm(c.ph([4, 3]), 1.0, axes=[1])],
    "clip_by_global_norm": lambda c: tf.clip_by_global_norm([c.ph([4, 3]), c.ph([2])], 1.0),
    "clip_by_average_norm": lambda c: v1.clip_by_average_norm(c.ph([4, 3]), 1.0),
}
for _name, _fn in CLIPPING.items():
    add("clip", _name, _fn)


@case("clip")
def clip_indexed_slices_by_global_norm(ctx):
    emb = ctx.var([10, 3], name="embedding")
    w = ctx.var([3, 2], name="w")
    loss = tf.reduce_sum(tf.matmul(tf.gather(emb, ctx.ph([4], tf.int32)), w))
    clipped, norm = tf.clip_by_global_norm(tf.gradients(loss, [emb, w]), 1.0)
    return [clipped[0].values, clipped[1], norm]


# ---- sorting and scans ----

SORTING = {
    "sort": lambda c: [tf.sort(c.ph([4, 5])), tf.sort(c.ph([4, 5]), direction="DESCENDING", axis=0)],
    "argsort": lambda c: [tf.argsort(c.ph([4, 5])), tf.argsort(c.ph([5]), direction="DESCENDING", stable=True)],
    "top_k": lambda c: [tf.math.top_k(c.ph([4, 5]), 2), tf.math.top_k(c.ph([4, 5]), c.ph([], tf.int32), sorted=False)],
    "approx_k": lambda c: [tf.math.approx_max_k(c.ph([4, 5]), 2), tf.math.approx_min_k(c.ph([4, 5]), 2)],
    "cumsum": lambda c: [tf.math.cumsum(c.ph([4, 3]), axis=1), tf.math.cumsum(c.ph([4, 3]), exclusive=True, reverse=True)],
    "cumprod": lambda c: tf.math.cumprod(c.ph([4, 3]), exclusive=True),
}
for _name, _fn in SORTING.items():
    add("sort_scan", _name, _fn)


# ---- segment reductions ----

for _name in ("segment_sum", "segment_mean", "segment_max", "segment_min", "segment_prod"):
    add("segment", _name, lambda c, n=_name: getattr(tf.math, n)(c.ph([6, 3]), c.ph([6], tf.int32)))
for _name in ("unsorted_segment_sum", "unsorted_segment_mean", "unsorted_segment_max", "unsorted_segment_min",
              "unsorted_segment_prod", "unsorted_segment_sqrt_n"):
    add("segment", _name, lambda c, n=_name: getattr(tf.math, n)(c.ph([6, 3]), c.ph([6], tf.int64), 4))


# ---- tf.sparse ----

SPARSE = {
    "SparseTensor_to_dense": lambda c: tf.sparse.to_dense(tf.SparseTensor(c.ph([3, 2], tf.int64), c.ph([3]), [4, 5])),
    "sparse_placeholder_to_dense": lambda c: [tf.sparse.to_dense(c.sparse_ph([4, 5])),
                                              v1.sparse_to_dense(c.ph([3, 2], tf.int64), [4, 5], c.ph([3]))],
    "from_dense": lambda c: tf.sparse.from_dense(c.ph([4, 5])).values,
    "reduce_sum": lambda c: [tf.sparse.reduce_sum(c.sparse_ph([4, 5]), axis=1),
                             tf.sparse.reduce_sum(c.sparse_ph([4, 5]), axis=1, output_is_sparse=True),
                             tf.sparse.reduce_max(c.sparse_ph([4, 5]), axis=0)],
    "sparse_dense_matmul": lambda c: [tf.sparse.sparse_dense_matmul(c.sparse_ph([4, 5]), c.ph([5, 3])),
                                      tf.sparse.sparse_dense_matmul(c.sparse_ph([5, 4]), c.ph([5, 3]), adjoint_a=True)],
    "add_sparse_sparse": lambda c: tf.sparse.add(c.sparse_ph([4, 5]), c.sparse_ph([4, 5])),
    "add_sparse_dense": lambda c: tf.sparse.add(c.sparse_ph([4, 5]), c.ph([4, 5])),
    "reshape": lambda c: tf.sparse.reshape(c.sparse_ph([4, 6]), [2, 12]),
    "fill_empty_rows": lambda c: tf.sparse.fill_empty_rows(c.sparse_ph([4, 5]), 0.0),
    "reorder_slice_concat": lambda c: [tf.sparse.reorder(c.sparse_ph([4, 5])),
                                       tf.sparse.slice(c.sparse_ph([4, 5]), [0, 0], [2, 5]),
                                       tf.sparse.concat(1, [c.sparse_ph([4, 5]), c.sparse_ph([4, 2])])],
    "retain_transpose_softmax": lambda c: [tf.sparse.retain(c.sparse_ph([4, 5]), c.ph([3], tf.bool)),
                                           tf.sparse.transpose(c.sparse_ph([4, 5])),
                                           tf.sparse.softmax(c.sparse_ph([4, 5]))],
    "maximum_minimum": lambda c: [tf.sparse.maximum(c.sparse_ph([4, 5]), c.sparse_ph([4, 5])),
                                  tf.sparse.minimum(c.sparse_ph([4, 5]), c.sparse_ph([4, 5]))],
    "to_indicator_and_split": lambda c: [tf.sparse.to_indicator(c.sparse_ph([4, 5], tf.int64), 6),
                                         tf.sparse.split(sp_input=c.sparse_ph([4, 6]), num_split=2, axis=1)],
    "sparse_cwise_dense": lambda c: [c.sparse_ph([4, 5]) * c.ph([4, 5]), c.sparse_ph([4, 5]) / c.ph([5])],
    "segment_ops": lambda c: [tf.sparse.segment_sum(c.ph([6, 3]), c.ph([4], tf.int32), c.ph([4], tf.int32)),
                              tf.sparse.segment_mean(c.ph([6, 3]), c.ph([4], tf.int32), c.ph([4], tf.int32)),
                              tf.sparse.segment_sqrt_n(c.ph([6, 3]), c.ph([4], tf.int64), c.ph([4], tf.int64)),
                              tf.sparse.segment_sum(c.ph([6, 3]), c.ph([4], tf.int32), c.ph([4], tf.int32),
                                                    num_segments=5)],
    "cross_hashed": lambda c: tf.sparse.cross_hashed([c.sparse_ph([2, 3], tf.string), c.ph([2, 1], tf.string)], 10),
    "serialize": lambda c: [tf.io.serialize_sparse(c.sparse_ph([4, 5])),
                            tf.io.deserialize_many_sparse(tf.io.serialize_many_sparse(c.sparse_ph([4, 5])), tf.float32)],
}
for _name, _fn in SPARSE.items():
    add("sparse", _name, _fn)


# ---- random ops, seeded ----

RANDOM = {
    "graph_seed_only": lambda c: (v1.set_random_seed(5), tf.random.normal([3]))[1],
    "normal": lambda c: tf.random.normal([4, 3], seed=1),
    "uniform": lambda c: [tf.random.uniform([4, 3], seed=1), tf.random.uniform([4], 0, 10, tf.int32, seed=2),
                          tf.random.uniform([4], maxval=10, dtype=tf.int64, seed=3)],
    "truncated_normal": lambda c: tf.random.truncated_normal([4, 3], seed=1),
    "shuffle": lambda c: tf.random.shuffle(c.ph([5, 3]), seed=1),
    "gamma": lambda c: tf.random.gamma([4], c.ph([2]), seed=1),
    "poisson": lambda c: tf.random.poisson([4], c.ph([2]), seed=1),
    "categorical": lambda c: [tf.random.categorical(c.ph([2, 5]), 3, seed=1), v1.multinomial(c.ph([2, 5]), 3, seed=2)],
    "v1_names": lambda c: [v1.random_normal([3], seed=1), v1.random_uniform([3], seed=1), v1.random_shuffle(c.ph([3]), seed=1),
                           v1.truncated_normal([3], seed=1), v1.random_gamma([3], 2.0, seed=1),
                           v1.random_poisson(2.0, [3], seed=1)],
    "candidate_samplers": lambda c: [tf.random.log_uniform_candidate_sampler(c.ph([4, 1], tf.int64), 1, 5, True, 20, seed=1),
                                     tf.random.uniform_candidate_sampler(c.ph([4, 1], tf.int64), 1, 5, True, 20, seed=1),
                                     tf.random.fixed_unigram_candidate_sampler(c.ph([4, 1], tf.int64), 1, 5, True, 4,
                                                                               unigrams=[1.0, 2.0, 3.0, 4.0], seed=1),
                                     tf.random.learned_unigram_candidate_sampler(c.ph([4, 1], tf.int64), 1, 5, True, 20,
                                                                                 seed=1),
                                     tf.random.all_candidate_sampler(c.ph([4, 1], tf.int64), 1, 5, True, seed=1)],
    "stateless": lambda c: [tf.random.stateless_normal([3], [1, 2]), tf.random.stateless_uniform([3], c.ph([2], tf.int64)),
                            tf.random.stateless_uniform([3], [1, 2], 0, 10, tf.int32),
                            tf.random.stateless_truncated_normal([3], [1, 2]),
                            tf.random.stateless_categorical(c.ph([2, 5]), 3, [1, 2]),
                            tf.random.stateless_gamma([3], [1, 2], alpha=c.ph([])),
                            tf.random.stateless_poisson([3], [1, 2], lam=c.ph([])),
                            tf.random.stateless_binomial([3], [1, 2], counts=5.0, probs=0.5),
                            tf.random.fold_in([1, 2], 3), tf.random.split([1, 2], 2)],
    "generator": lambda c: [tf.random.Generator.from_seed(1).normal([3]), tf.random.Generator.from_seed(2).uniform([3])],
    "random_index_shuffle": lambda c: v1.random_index_shuffle(c.ph([], tf.int64), [1, 2, 3], 10),
}
for _name, _fn in RANDOM.items():
    add("random", _name, _fn)
