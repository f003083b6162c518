"""Census cases: queues and accumulators (and `SyncReplicasOptimizer`, which is built on them),
TF1 queue-runner input pipelines and readers, `tf.compat.v1.data` pipelines with their iterators,
`tf.io` parsing and decoding, lookup tables, and feature columns."""
import tensorflow as tf

from registry import add, case

v1 = tf.compat.v1


# ---- queues and accumulators ----

@case("queues")
def fifo_queue(ctx):
    q = v1.FIFOQueue(10, [tf.float32, tf.int32], shapes=[[3], []])
    x, n = ctx.ph([3]), ctx.ph([], tf.int32)
    return [q.enqueue([x, n]), q.enqueue_many([ctx.ph([2, 3]), ctx.ph([2], tf.int32)]), q.dequeue(),
            q.dequeue_many(2), q.dequeue_up_to(2), q.size(), q.close(), q.close(cancel_pending_enqueues=True),
            q.is_closed()]


@case("queues")
def random_shuffle_queue(ctx):
    q = v1.RandomShuffleQueue(10, 2, [tf.float32], shapes=[[3]], seed=1)
    return [q.enqueue(ctx.ph([3])), q.enqueue_many(ctx.ph([4, 3])), q.dequeue(), q.dequeue_many(2), q.size(), q.close()]


@case("queues")
def padding_fifo_queue(ctx):
    q = v1.PaddingFIFOQueue(10, [tf.float32], shapes=[[None]])
    return [q.enqueue(ctx.ph([None])), q.dequeue_many(2), q.dequeue_up_to(2), q.size(), q.close()]


@case("queues")
def priority_queue(ctx):
    q = v1.PriorityQueue(10, [tf.float32], shapes=[[3]])
    return [q.enqueue([ctx.ph([], tf.int64), ctx.ph([3])]), q.dequeue(), q.size()]


@case("queues")
def queue_from_list(ctx):
    queues = [v1.FIFOQueue(4, [tf.float32], shapes=[[]], shared_name=f"q{i}") for i in range(2)]
    q = v1.QueueBase.from_list(ctx.ph([], tf.int32), queues)
    return [q.enqueue(ctx.ph([])), q.dequeue()]


@case("queues")
def conditional_accumulator(ctx):
    acc = v1.ConditionalAccumulator(tf.float32, shape=[3], reduction_type="MEAN")
    sparse_acc = v1.SparseConditionalAccumulator(tf.float32, shape=[4, 3])
    step = ctx.ph([], tf.int64)
    return [acc.apply_grad(ctx.ph([3]), local_step=step), acc.take_grad(2), acc.num_accumulated(),
            acc.set_global_step(step),
            sparse_acc.apply_grad(ctx.ph([2], tf.int64), ctx.ph([2, 3]), local_step=step),
            sparse_acc.take_indexed_slices_grad(2).values, sparse_acc.num_accumulated()]


@case("queues")
def sync_replicas_optimizer(ctx):
    gs = v1.train.get_or_create_global_step()
    x = ctx.ph([8, 4])
    w = ctx.var([4, 3], name="w")
    emb = ctx.var([10, 3], name="emb")
    loss = tf.reduce_mean(tf.square(tf.matmul(x, w))) + tf.reduce_sum(tf.gather(emb, ctx.ph([4], tf.int32)))
    opt = v1.train.SyncReplicasOptimizer(v1.train.GradientDescentOptimizer(0.1), replicas_to_aggregate=2,
                                         total_num_replicas=2)
    train = opt.minimize(loss, global_step=gs)
    hook = opt.make_session_run_hook(is_chief=True, num_tokens=0)
    hook.begin()
    return [train, opt.get_init_tokens_op(), opt.chief_init_op, opt.ready_for_local_init_op,
            opt.local_step_init_op, opt.get_chief_queue_runner().enqueue_ops]


# ---- TF1 queue-runner input pipelines and readers ----

@case("input_v1")
def string_input_producer_and_readers(ctx):
    files = v1.train.string_input_producer([ctx.path("a.tfrecord"), ctx.path("b.tfrecord")], num_epochs=2,
                                           shuffle=True, seed=1)
    _, record = v1.TFRecordReader().read(files)
    lines = v1.TextLineReader(skip_header_lines=1).read_up_to(
        v1.train.string_input_producer([ctx.path("a.txt")], shuffle=False), 4)
    fixed = v1.FixedLengthRecordReader(8).read(v1.train.string_input_producer([ctx.path("a.bin")], shuffle=False))
    whole = v1.WholeFileReader().read(v1.train.string_input_producer([ctx.path("a.png")], shuffle=False))
    reader = v1.IdentityReader()
    return [record, lines, fixed, whole, reader.num_records_produced(), reader.reset()]


@case("input_v1")
def batch_and_shuffle_batch(ctx):
    x, label = ctx.ph([3]), ctx.ph([], tf.int64)
    batched = v1.train.batch([x, label], batch_size=4, num_threads=2, capacity=16)
    dynamic = v1.train.batch([ctx.ph([None])], batch_size=4, dynamic_pad=True, allow_smaller_final_batch=True)
    shuffled = v1.train.shuffle_batch([x, label], batch_size=4, capacity=16, min_after_dequeue=4, seed=1)
    joined = v1.train.shuffle_batch_join([[x, label], [x, label]], 4, 16, 4, seed=2)
    return [batched, dynamic, shuffled, joined]


@case("input_v1")
def slice_input_producer_and_limit_epochs(ctx):
    sliced = v1.train.slice_input_producer([ctx.ph([6, 3]), ctx.ph([6], tf.int32)], num_epochs=1, seed=1)
    limited = v1.train.limit_epochs(ctx.ph([3]), num_epochs=2)
    produced = v1.train.input_producer(ctx.ph([4, 3]), shuffle=False)
    return [sliced, limited, produced.dequeue(), v1.train.range_input_producer(10, shuffle=False).dequeue()]


@case("input_v1")
def match_filenames_once(ctx):
    return v1.io.match_filenames_once(ctx.path("*.tfrecord"))


# ---- tf.compat.v1.data pipelines ----

def _tensor_slices(ctx):
    return tf.data.Dataset.from_tensor_slices((ctx.ph([8, 3]), ctx.ph([8], tf.int64)))


def _one_shot(ds):
    return v1.data.make_one_shot_iterator(ds).get_next()


def _options():
    options = tf.data.Options()
    options.deterministic = False
    options.threading.private_threadpool_size = 2
    options.threading.max_intra_op_parallelism = 1
    return options


def _initializable_iterator(ctx):
    it = v1.data.make_initializable_iterator(_tensor_slices(ctx).shuffle(8, seed=1).batch(2))
    return [it.initializer, it.get_next()]


def _reinitializable_iterator(ctx):
    train, test = _tensor_slices(ctx).batch(2), _tensor_slices(ctx).batch(4)
    it = v1.data.Iterator.from_structure(v1.data.get_output_types(train), v1.data.get_output_shapes(train))
    return [it.make_initializer(train), it.make_initializer(test), it.get_next()]


def _feedable_string_handle(ctx):
    ds = tf.data.Dataset.range(10)
    handle = ctx.ph([], tf.string)
    it = v1.data.Iterator.from_string_handle(handle, v1.data.get_output_types(ds), v1.data.get_output_shapes(ds))
    one_shot = v1.data.make_one_shot_iterator(ds)
    return [it.get_next(), one_shot.string_handle()]


DATASETS = {
    "from_tensor_slices_one_shot": lambda c: _one_shot(tf.data.Dataset.from_tensor_slices(tf.range(10))),
    "from_tensors": lambda c: _one_shot(tf.data.Dataset.from_tensors(tf.constant([1.0, 2.0]))),
    "range_enumerate_unbatch": lambda c: _one_shot(tf.data.Dataset.range(10).batch(2).unbatch().enumerate()),
    "map": lambda c: _one_shot(tf.data.Dataset.range(10).map(lambda i: tf.cast(i, tf.float32) * 2.0)),
    "map_parallel": lambda c: _one_shot(tf.data.Dataset.range(10).map(
        lambda i: tf.square(i), num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)),
    "filter": lambda c: _one_shot(tf.data.Dataset.range(10).filter(lambda i: i % 2 == 0)),
    "flat_map": lambda c: _one_shot(tf.data.Dataset.range(4).flat_map(lambda i: tf.data.Dataset.range(i))),
    "interleave": lambda c: _one_shot(tf.data.Dataset.range(4).interleave(
        lambda i: tf.data.Dataset.range(i), cycle_length=2, block_length=1)),
    "interleave_parallel": lambda c: _one_shot(tf.data.Dataset.range(4).interleave(
        lambda i: tf.data.Dataset.range(i), cycle_length=2, num_parallel_calls=2)),
    "batch": lambda c: _one_shot(tf.data.Dataset.range(10).batch(3, drop_remainder=True)),
    "padded_batch": lambda c: _one_shot(tf.data.Dataset.range(5).map(lambda i: tf.range(i)).padded_batch(
        2, padded_shapes=[None], padding_values=tf.constant(-1, tf.int64))),
    "shuffle": lambda c: _one_shot(tf.data.Dataset.range(10).shuffle(5, seed=1, reshuffle_each_iteration=True)),
    "repeat_take_skip": lambda c: _one_shot(tf.data.Dataset.range(10).repeat(2).skip(3).take(5).repeat()),
    "zip_concatenate": lambda c: _one_shot(tf.data.Dataset.zip((tf.data.Dataset.range(3), tf.data.Dataset.range(3)))
                                           .concatenate(tf.data.Dataset.zip((tf.data.Dataset.range(2),
                                                                             tf.data.Dataset.range(2))))),
    "prefetch": lambda c: _one_shot(tf.data.Dataset.range(10).prefetch(2).prefetch(tf.data.AUTOTUNE)),
    "cache_memory_and_file": lambda c: _one_shot(tf.data.Dataset.range(10).cache().map(lambda i: i + 1)
                                                 .cache(c.path("cache"))),
    "tfrecord": lambda c: _one_shot(tf.data.TFRecordDataset([c.path("a.tfrecord")], compression_type="GZIP",
                                                            buffer_size=1024)),
    "tfrecord_parallel_files": lambda c: _one_shot(v1.data.TFRecordDataset(
        tf.data.Dataset.list_files(c.path("*.tfrecord"), shuffle=True, seed=1), num_parallel_reads=2)),
    "text_line": lambda c: _one_shot(v1.data.TextLineDataset([c.path("a.txt")]).skip(1)),
    "fixed_length_record": lambda c: _one_shot(v1.data.FixedLengthRecordDataset([c.path("a.bin")], 8, header_bytes=4)),
    "initializable_iterator": _initializable_iterator,
    "reinitializable_iterator": _reinitializable_iterator,
    "feedable_string_handle": _feedable_string_handle,
    "options_and_determinism": lambda c: _one_shot(tf.data.Dataset.range(10).map(lambda i: i * 2).with_options(
        _options())),
    "window_and_scan": lambda c: _one_shot(tf.data.Dataset.range(10).window(3, drop_remainder=True)
                                           .flat_map(lambda w: w.batch(3))),
    "take_while_unique_rejection": lambda c: _one_shot(tf.data.Dataset.range(10)
                                                       .take_while(lambda i: i < 8).unique()),
    "group_by_window": lambda c: _one_shot(tf.data.Dataset.range(10).group_by_window(
        lambda i: i % 2, lambda k, w: w.batch(2), window_size=2)),
    "bucket_by_sequence_length": lambda c: _one_shot(tf.data.Dataset.range(1, 6).map(lambda i: tf.range(i))
                                                     .bucket_by_sequence_length(lambda x: tf.cast(tf.size(x), tf.int32),
                                                                                [3], [2, 2])),
    "sample_from_datasets": lambda c: _one_shot(tf.data.Dataset.sample_from_datasets(
        [tf.data.Dataset.range(3), tf.data.Dataset.range(3)], seed=1)),
    "dataset_reduce": lambda c: tf.data.Dataset.range(10).reduce(tf.constant(0, tf.int64), lambda a, b: a + b),
    "ragged_batch": lambda c: _one_shot(tf.data.Dataset.range(5).map(lambda i: tf.range(i)).ragged_batch(2)).flat_values,
}


for _name, _fn in DATASETS.items():
    add("data", _name, _fn)


# ---- parsing and decoding ----

FEATURES = {
    "dense": tf.io.FixedLenFeature([3], tf.float32),
    "dense_default": tf.io.FixedLenFeature([], tf.int64, default_value=0),
    "label": tf.io.FixedLenFeature([], tf.string),
    "var": tf.io.VarLenFeature(tf.int64),
    "seq": tf.io.FixedLenSequenceFeature([2], tf.float32, allow_missing=True),
    "sparse": tf.io.SparseFeature(index_key="idx", value_key="val", dtype=tf.float32, size=10),
    "ragged": tf.io.RaggedFeature(tf.int64),
}


@case("parsing")
def parse_example(ctx):
    return tf.io.parse_example(ctx.ph([None], tf.string), FEATURES)


@case("parsing")
def parse_single_example(ctx):
    spec = {k: v for k, v in FEATURES.items() if k != "seq"}
    return v1.io.parse_single_example(ctx.ph([], tf.string), spec)


@case("parsing")
def parse_sequence_example(ctx):
    context = {"len": tf.io.FixedLenFeature([], tf.int64)}
    sequence = {"tokens": tf.io.FixedLenSequenceFeature([], tf.int64), "vals": tf.io.VarLenFeature(tf.float32)}
    return [tf.io.parse_single_sequence_example(ctx.ph([], tf.string), context, sequence),
            tf.io.parse_sequence_example(ctx.ph([None], tf.string), context, sequence)]


@case("parsing")
def parse_example_in_dataset_map(ctx):
    ds = tf.data.TFRecordDataset([ctx.path("a.tfrecord")]).batch(4).map(
        lambda s: tf.io.parse_example(s, {"x": tf.io.FixedLenFeature([3], tf.float32)}))
    return v1.data.make_one_shot_iterator(ds).get_next()


@case("parsing")
def decode_raw(ctx):
    return [tf.io.decode_raw(ctx.ph([2], tf.string), tf.uint8),
            tf.io.decode_raw(ctx.ph([2], tf.string), tf.float32, little_endian=True, fixed_length=12),
            v1.decode_raw(ctx.ph([], tf.string), tf.int16)]


@case("parsing")
def decode_csv(ctx):
    return tf.io.decode_csv(ctx.ph([4], tf.string), record_defaults=[[0.0], [0], [""], tf.constant([], tf.int64)],
                            field_delim=",", na_value="NA", select_cols=[0, 1, 2, 3])


@case("parsing")
def serialize_and_parse_tensor(ctx):
    return tf.io.parse_tensor(tf.io.serialize_tensor(ctx.ph([4, 3])), tf.float32)


@case("parsing")
def files(ctx):
    return [tf.io.read_file(ctx.path("a.txt")), tf.io.write_file(ctx.path("b.txt"), ctx.ph([], tf.string)),
            tf.io.matching_files(ctx.path("*.txt")), tf.io.decode_compressed(ctx.ph([], tf.string), "GZIP"),
            tf.io.decode_json_example(ctx.ph([], tf.string))]


# ---- lookup tables ----

@case("lookup")
def static_hash_table(ctx):
    table = tf.lookup.StaticHashTable(
        tf.lookup.KeyValueTensorInitializer(["a", "b", "c"], [0, 1, 2], value_dtype=tf.int64), default_value=-1)
    int_table = tf.lookup.StaticHashTable(tf.lookup.KeyValueTensorInitializer([1, 2], [0.5, 1.5]), -1.0)
    return [table.lookup(ctx.ph([4], tf.string)), table.size(), int_table.lookup(ctx.ph([3], tf.int32)),
            table.export()]


@case("lookup")
def static_vocabulary_table(ctx):
    table = tf.lookup.StaticVocabularyTable(
        tf.lookup.KeyValueTensorInitializer(["a", "b", "c"], tf.constant([0, 1, 2], tf.int64)), num_oov_buckets=3)
    return [table.lookup(ctx.ph([4], tf.string)), table.lookup(ctx.sparse_ph([2, 3], tf.string)).values]


@case("lookup")
def text_file_tables(ctx):
    path = ctx.path("vocab.txt")
    with open(path, "w", encoding="utf-8") as f:
        f.write("a\nb\nc\n")
    table = tf.lookup.StaticHashTable(tf.lookup.TextFileInitializer(
        path, tf.string, tf.lookup.TextFileIndex.WHOLE_LINE, tf.int64, tf.lookup.TextFileIndex.LINE_NUMBER), -1)
    vocab = v1.lookup.StaticVocabularyTable(tf.lookup.TextFileInitializer(
        path, tf.string, tf.lookup.TextFileIndex.WHOLE_LINE, tf.int64, tf.lookup.TextFileIndex.LINE_NUMBER), 1)
    return [table.lookup(ctx.ph([3], tf.string)), vocab.lookup(ctx.ph([3], tf.string))]


@case("lookup")
def mutable_hash_table(ctx):
    table = tf.lookup.experimental.MutableHashTable(tf.string, tf.int64, default_value=-1)
    keys = ctx.ph([2], tf.string)
    return [table.insert(keys, ctx.ph([2], tf.int64)), table.lookup(ctx.ph([3], tf.string)), table.size(),
            table.export(), table.remove(keys)]


@case("lookup")
def mutable_dense_hash_table(ctx):
    table = tf.lookup.experimental.DenseHashTable(tf.int64, tf.float32, default_value=-1.0, empty_key=0,
                                                  deleted_key=-1)
    keys = ctx.ph([2], tf.int64)
    return [table.insert(keys, ctx.ph([2])), table.lookup(ctx.ph([3], tf.int64)), table.size(), table.remove(keys)]


@case("lookup")
def index_table_from_tensor(ctx):
    from tensorflow.python.ops import lookup_ops
    table = lookup_ops.index_table_from_tensor(tf.constant(["a", "b", "c"]), num_oov_buckets=1, default_value=-1)
    reverse = lookup_ops.index_to_string_table_from_tensor(tf.constant(["a", "b", "c"]), default_value="UNK")
    return [table.lookup(ctx.ph([4], tf.string)), reverse.lookup(ctx.ph([4], tf.int64))]


# ---- feature columns ----

def _feature_columns(ctx):
    fc = v1.feature_column
    features = {"age": ctx.ph([None, 1]), "city": ctx.ph([None, 1], tf.string), "id": ctx.ph([None, 1], tf.int64),
                "tags": ctx.sparse_ph([None, 3], tf.string)}
    city_vocab = fc.categorical_column_with_vocabulary_list("city", ["a", "b", "c"], num_oov_buckets=1)
    city_hash = fc.categorical_column_with_hash_bucket("city", 10)
    ids = fc.categorical_column_with_identity("id", 5, default_value=0)
    tags = fc.categorical_column_with_hash_bucket("tags", 7)
    age = fc.numeric_column("age", normalizer_fn=lambda x: x / 100.0)
    return features, [age, fc.bucketized_column(age, [18, 30, 60]), fc.indicator_column(city_vocab),
                      fc.embedding_column(city_hash, 3, combiner="sqrtn"), fc.embedding_column(tags, 2),
                      fc.indicator_column(fc.crossed_column(["city", ids], 20)),
                      fc.embedding_column(fc.weighted_categorical_column(ids, "age"), 2)]


@case("feature_column")
def input_layer(ctx):
    features, columns = _feature_columns(ctx)
    return v1.feature_column.input_layer(features, columns)


@case("feature_column")
def linear_model(ctx):
    features, columns = _feature_columns(ctx)
    return v1.feature_column.linear_model(features, [c for c in columns if "embedding" not in c.name], units=2)


@case("feature_column")
def shared_embedding_columns(ctx):
    fc = v1.feature_column
    features = {"a": ctx.ph([None, 1], tf.int64), "b": ctx.ph([None, 1], tf.int64)}
    shared = fc.shared_embedding_columns([fc.categorical_column_with_identity("a", 5),
                                          fc.categorical_column_with_identity("b", 5)], 3)
    return fc.input_layer(features, shared)
