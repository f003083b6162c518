"""Client programs of embedding models (issue 10): a vocabulary table partitioned over task 1
(`fixed_size_partitioner`, `embedding_lookup` with both partition strategies) looked up and trained
from task 0 with sparse gradients, under Adagrad, gradient descent, momentum and Adam; plus the
stateless pieces (`unique`, `dynamic_partition`, `dynamic_stitch`) on their own.
"""
import numpy as np
import tensorflow as tf

from programs import fresh, on, tolist

v1 = tf.compat.v1


def _embedding_model(job, optimizer, strategy):
    with on(job, 1):
        table = v1.get_variable("emb_table", [20, 4], initializer=v1.random_uniform_initializer(-1, 1, seed=21),
                                partitioner=v1.fixed_size_partitioner(3))
        w = v1.get_variable("emb_w", [4, 1], initializer=v1.glorot_uniform_initializer(seed=22))
        global_step = v1.train.get_or_create_global_step()
    with on(job, 0):
        ids = v1.placeholder(tf.int64, [None, 3])
        y = v1.placeholder(tf.float32, [None, 1])
        vectors = v1.nn.embedding_lookup(table, ids, partition_strategy=strategy)
        pooled = tf.reduce_mean(vectors, axis=1)
        loss = tf.reduce_mean(tf.square(tf.matmul(pooled, w) - y))
        train = optimizer.minimize(loss, global_step=global_step)
    return table, ids, y, loss, train, global_step


def _train_embedding(target, job, make_optimizer, strategy):
    fresh(target)
    g = tf.Graph()
    with g.as_default():
        table, ids, y, loss, train, step = _embedding_model(job, make_optimizer(), strategy)
        init = v1.global_variables_initializer()
    rs = np.random.RandomState(5)
    batches = [(rs.randint(0, 20, size=[6, 3]).astype(np.int64), rs.rand(6, 1).astype(np.float32)) for _ in range(4)]
    # Repeated ids within a batch exercise the optimizers' deduplication.
    batches[0][0][1] = batches[0][0][0]
    with v1.Session(target, graph=g) as s:
        s.run(init)
        losses = [float(s.run([loss, train], {ids: i, y: t})[0]) for i, t in batches]
        parts = [tolist(s.run(p)) for p in table]
        return [losses, parts, int(s.run(step))]


def embedding_adagrad_mod(target, job):
    return _train_embedding(target, job, lambda: v1.train.AdagradOptimizer(0.5), "mod")


def embedding_sgd_div(target, job):
    return _train_embedding(target, job, lambda: v1.train.GradientDescentOptimizer(0.5), "div")


def embedding_momentum_and_adam(target, job):
    return [_train_embedding(target, job, lambda: v1.train.MomentumOptimizer(0.3, 0.9, use_nesterov=True), "mod"),
            _train_embedding(target, job, lambda: v1.train.AdamOptimizer(0.05), "div")]


def unique_partition_stitch(target, job):
    """`unique`, `dynamic_partition` and `dynamic_stitch` across tasks, int and string data."""
    g = tf.Graph()
    with g.as_default():
        ids = v1.placeholder(tf.int64, [None])
        with on(job, 1):
            uniq, idx = tf.unique(ids)
            values, _, counts = tf.unique_with_counts(tf.constant(["b", "a", "b", "c", "a", "b"]))
            parts = tf.dynamic_partition(ids, tf.cast(ids % 3, tf.int32), 3)
        with on(job, 0):
            positions = tf.dynamic_partition(tf.range(tf.size(ids)), tf.cast(ids % 3, tf.int32), 3)
            back = tf.dynamic_stitch(positions, parts)
    with v1.Session(target, graph=g) as s:
        out = s.run([uniq, idx, values, counts, parts, back], {ids: [5, 3, 5, 9, 3, 3, 0, 7]})
    return [tolist(out[0]), tolist(out[1]), [v.decode() for v in out[2]], tolist(out[3]),
            [tolist(p) for p in out[4]], tolist(out[5])]


def embedding_lookup_sparse_combiners(target, job):
    """`embedding_lookup_sparse` with the sum, mean and sqrtn combiners over a partitioned table
    on task 1, a loss on task 0, trained with Adagrad; per-step losses and the table."""
    fresh(target)
    g = tf.Graph()
    with g.as_default():
        with on(job, 1):
            table = v1.get_variable("sparse_table", [12, 3], initializer=v1.random_uniform_initializer(-1, 1, seed=31),
                                    partitioner=v1.fixed_size_partitioner(2))
        with on(job, 0):
            sp_ids = tf.SparseTensor(indices=[[0, 0], [0, 1], [1, 0], [2, 0], [2, 1], [2, 2]],
                                     values=tf.constant([3, 7, 11, 0, 3, 5], tf.int64), dense_shape=[3, 3])
            sp_w = tf.SparseTensor(indices=sp_ids.indices, values=[1.0, 0.5, 2.0, 1.0, 1.0, 0.25], dense_shape=[3, 3])
            outs = [v1.nn.embedding_lookup_sparse(table, sp_ids, None, combiner=c) for c in ("sum", "mean", "sqrtn")]
            outs.append(v1.nn.embedding_lookup_sparse(table, sp_ids, sp_w, combiner="mean"))
            loss = tf.add_n([tf.reduce_sum(tf.square(o - 0.1)) for o in outs])
            train = v1.train.AdagradOptimizer(0.3).minimize(loss)
        init = v1.global_variables_initializer()
    with v1.Session(target, graph=g) as s:
        s.run(init)
        first = [tolist(v) for v in s.run(outs)]
        losses = [float(s.run([loss, train])[0]) for _ in range(3)]
        return [first, losses, [tolist(s.run(p)) for p in table]]


def safe_embedding_lookup_and_sparse_basics(target, job):
    """`safe_embedding_lookup_sparse` (empty rows filled with a default, invalid ids pruned, weights)
    over a partitioned table on task 1, trained with Adagrad from task 0; and the `tf.sparse`
    basics on their own: to_dense, reshape, fill_empty_rows."""
    fresh(target)
    g = tf.Graph()
    with g.as_default():
        with on(job, 1):
            table = v1.get_variable("safe_table", [10, 3], initializer=v1.random_uniform_initializer(-1, 1, seed=41),
                                    partitioner=v1.fixed_size_partitioner(2))
        with on(job, 0):
            # Row 1 is empty and row 3 holds only an invalid (negative) id.
            sp_ids = tf.SparseTensor(indices=[[0, 0], [0, 1], [2, 0], [3, 0], [4, 0], [4, 1]],
                                     values=tf.constant([3, 7, 9, -1, 0, 3], tf.int64), dense_shape=[5, 2])
            sp_w = tf.SparseTensor(indices=sp_ids.indices, values=[1.0, 0.5, 2.0, 1.0, 1.0, 0.25], dense_shape=[5, 2])
            looked = v1.nn.safe_embedding_lookup_sparse(table, sp_ids, sp_w, combiner="mean", default_id=1)
            plain = v1.nn.safe_embedding_lookup_sparse(table, sp_ids, None, combiner="sqrtn")
            loss = tf.reduce_sum(tf.square(looked - 0.2)) + tf.reduce_sum(plain)
            train = v1.train.AdagradOptimizer(0.3).minimize(loss)
        with on(job, 1):
            dense = tf.sparse.to_dense(sp_w, default_value=-1.0)
            reshaped = tf.sparse.reshape(sp_w, [2, -1])
            filled, empty = tf.sparse.fill_empty_rows(sp_ids, tf.constant(-5, tf.int64))
            basics = [dense, reshaped.indices, reshaped.dense_shape, filled.indices, filled.values, empty]
        init = v1.global_variables_initializer()
    with v1.Session(target, graph=g) as s:
        s.run(init)
        first = [tolist(v) for v in s.run([looked, plain] + basics)]
        losses = [float(s.run([loss, train])[0]) for _ in range(3)]
        return [first, losses, [tolist(s.run(p)) for p in table]]


PROGRAMS = {
    "safe_embedding_lookup_and_sparse_basics": safe_embedding_lookup_and_sparse_basics,
    "embedding_lookup_sparse_combiners": embedding_lookup_sparse_combiners,
    "embedding_adagrad_mod": embedding_adagrad_mod,
    "embedding_sgd_div": embedding_sgd_div,
    "embedding_momentum_and_adam": embedding_momentum_and_adam,
    "unique_partition_stitch": unique_partition_stitch,
}
