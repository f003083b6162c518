"""Census cases: what a training loop adds around the model: `Saver` (sharded and not, resource
and ref variables), `Scaffold` and the hooks `MonitoredTrainingSession` runs, summaries (v1 ops and
tf.summary v2 with a file writer, in graph mode), `tf.debugging` asserts, `tf.print`, and
`tf.strings` basics."""
import tensorflow as tf

from registry import DEFAULT, REF, add, case

v1 = tf.compat.v1


def _model(ctx):
    gs = v1.train.get_or_create_global_step()
    x = ctx.ph([8, 4])
    w = ctx.var([4, 3], name="w")
    emb = ctx.var([10, 4], name="emb", partitioner=v1.fixed_size_partitioner(2))
    loss = tf.reduce_mean(tf.square(tf.matmul(x + tf.reduce_sum(emb), w)))
    train = v1.train.GradientDescentOptimizer(0.1).minimize(loss, global_step=gs)
    return gs, loss, train


def _saver(sharded):
    def fn(ctx):
        _model(ctx)
        saver = v1.train.Saver(sharded=sharded, max_to_keep=3)
        saver_def = saver.as_saver_def()
        g = tf.compat.v1.get_default_graph()
        return [g.get_tensor_by_name(saver_def.save_tensor_name), g.get_operation_by_name(
            saver_def.restore_op_name.split(":")[0])]
    return fn


def _saver_var_list_and_restore_subset(ctx):
    _model(ctx)
    w = [v for v in v1.global_variables() if v.op.name == "w"][0]
    saver = v1.train.Saver({"renamed_w": w}, write_version=v1.train.SaverDef.V2)
    return saver.as_saver_def().filename_tensor_name


for _mode, _area in ((DEFAULT, "checkpoint.resource"), (REF, "checkpoint.ref")):
    add(_area, "saver", _saver(False), _mode)
    add(_area, "saver_sharded", _saver(True), _mode)
    add(_area, "saver_var_list", _saver_var_list_and_restore_subset, _mode)


def _scaffold_and_hooks(ctx):
    """What `MonitoredTrainingSession(checkpoint_dir=..., hooks=...)` adds to the graph before it
    finalizes it: the Scaffold's init/ready/local-init ops, summary and saver, and each hook's
    `begin()`."""
    gs, loss, train = _model(ctx)
    v1.summary.scalar("loss", loss)
    scaffold = v1.train.Scaffold()
    checkpoint_dir = ctx.path("monitored")
    hooks = [v1.train.StopAtStepHook(last_step=10),
             v1.train.StepCounterHook(output_dir=checkpoint_dir, every_n_steps=5),
             v1.train.CheckpointSaverHook(checkpoint_dir, save_steps=5, scaffold=scaffold),
             v1.train.SummarySaverHook(save_steps=5, output_dir=checkpoint_dir, scaffold=scaffold),
             v1.train.NanTensorHook(loss),
             v1.train.LoggingTensorHook({"loss": loss, "step": gs}, every_n_iter=5),
             v1.train.GlobalStepWaiterHook(0),
             v1.train.FinalOpsHook({"loss": loss})]
    for hook in hooks:  # MonitoredSession begins the hooks, then finalizes the scaffold
        hook.begin()
    scaffold.finalize()  # this finalizes the graph too; the census still adds initializers to it
    tf.compat.v1.get_default_graph()._unsafe_unfinalize()
    return [scaffold.init_op, scaffold.ready_op, scaffold.ready_for_local_init_op, scaffold.local_init_op,
            scaffold.summary_op, train]


@case("checkpoint.resource")
def scaffold_and_monitored_session_hooks(ctx):
    return _scaffold_and_hooks(ctx)


@case("checkpoint.ref", mode=REF)
def scaffold_and_monitored_session_hooks_ref(ctx):
    return _scaffold_and_hooks(ctx)


@case("checkpoint.resource")
def report_uninitialized_variables(ctx):
    _model(ctx)
    return [v1.report_uninitialized_variables(), v1.report_uninitialized_variables(v1.local_variables()),
            v1.assert_variables_initialized()]


# ---- summaries ----

@case("summary")
def v1_summaries(ctx):
    x = ctx.ph([4, 3])
    v1.summary.scalar("mean", tf.reduce_mean(x))
    v1.summary.histogram("values", x)
    v1.summary.image("images", ctx.ph([2, 8, 8, 3]), max_outputs=2)
    v1.summary.audio("audio", ctx.ph([2, 100]), 8000, max_outputs=1)
    v1.summary.text("text", ctx.ph([], tf.string))
    v1.summary.tensor_summary("tensor", x)
    merged = v1.summary.merge([v1.summary.scalar("extra", tf.reduce_max(x))])
    return [v1.summary.merge_all(), merged]


def _v2_writer_case(write):
    def fn(ctx):
        gs = v1.train.get_or_create_global_step()
        writer = tf.summary.create_file_writer(ctx.path("v2"), max_queue=5, flush_millis=100)
        x = ctx.ph([4, 3])
        with writer.as_default(step=gs), tf.summary.record_if(lambda: tf.equal(gs % 10, 0)):
            write(ctx, x)
        return [writer.init(), writer.flush(), v1.summary.all_v2_summary_ops()]
    return fn


V2_SUMMARIES = {
    "write": lambda c, x: tf.summary.write("raw", x),
    "scalar": lambda c, x: tf.summary.scalar("mean", tf.reduce_mean(x)),
    "histogram": lambda c, x: tf.summary.histogram("values", x),
    "image": lambda c, x: tf.summary.image("images", c.ph([2, 8, 8, 3])),
    "audio": lambda c, x: tf.summary.audio("audio", c.ph([2, 100, 1]), 8000),
    "text": lambda c, x: tf.summary.text("text", c.ph([], tf.string)),
}
for _name, _write in V2_SUMMARIES.items():
    add("summary", f"v2_file_writer.{_name}", _v2_writer_case(_write))


@case("summary")
def v2_noop_writer_and_should_record(ctx):
    writer = tf.summary.create_noop_writer()
    with writer.as_default(step=0):
        recorded = tf.summary.should_record_summaries()
    return [recorded, writer.flush()]


# ---- tf.debugging, tf.print ----

@case("debug")
def asserts(ctx):
    x, y = ctx.ph([4, 3]), ctx.ph([4, 3])
    n = ctx.ph([4], tf.int32)
    deps = [tf.debugging.assert_equal(x, y), tf.debugging.assert_none_equal(x, y), tf.debugging.assert_less(x, y),
            tf.debugging.assert_less_equal(x, y), tf.debugging.assert_greater(x, y),
            tf.debugging.assert_greater_equal(x, y), tf.debugging.assert_positive(x),
            tf.debugging.assert_negative(x), tf.debugging.assert_non_negative(x),
            tf.debugging.assert_non_positive(x), tf.debugging.assert_near(x, y),
            tf.debugging.assert_rank(ctx.ph(None), 2), tf.debugging.assert_rank_at_least(ctx.ph(None), 1),
            tf.debugging.assert_rank_in(ctx.ph(None), [1, 2]), tf.debugging.assert_scalar(ctx.ph([])),
            tf.debugging.assert_integer(n), tf.debugging.assert_type(n, tf.int32),
            tf.debugging.assert_shapes([(ctx.ph(None), ("N", 3)), (ctx.ph(None), ("N",))]),
            tf.debugging.Assert(tf.reduce_all(x > 0.0), [x, n], summarize=3),
            v1.assert_equal(n, 0, message="n must be zero")]
    with tf.control_dependencies([d for d in deps if d is not None]):
        return tf.identity(x)


@case("debug")
def check_numerics(ctx):
    x = ctx.ph([4, 3])
    return [tf.debugging.check_numerics(x, "bad x"), tf.debugging.assert_all_finite(x, "bad x"),
            v1.verify_tensor_all_finite(x, "bad x")]


@case("debug")
def add_check_numerics_ops(ctx):
    x = ctx.ph([4, 3])
    y = tf.nn.relu(x) * 2.0
    return [y, v1.add_check_numerics_ops()]


@case("debug")
def print_ops(ctx):
    x = ctx.ph([4, 3])
    printed = tf.print("x:", x, "sum:", tf.reduce_sum(x), summarize=5, output_stream="file://" + ctx.path("log"))
    with tf.control_dependencies([printed, tf.print(x)]):
        y = tf.identity(x)
    return [y, v1.Print(x, [x, tf.shape(x)], "x: ", summarize=4), tf.strings.format("x={}", x)]


@case("debug")
def timestamp_and_no_op(ctx):
    return [tf.timestamp(), tf.no_op(), tf.group(tf.no_op(), tf.no_op())]


# ---- tf.strings ----

STRINGS = {
    "join": lambda c: [tf.strings.join([c.ph([3], tf.string), c.ph([3], tf.string)], separator="-"),
                       v1.string_join([c.ph([3], tf.string), "x"])],
    "reduce_join": lambda c: tf.strings.reduce_join(c.ph([2, 3], tf.string), axis=1, separator=","),
    "split": lambda c: tf.strings.split(c.ph([3], tf.string), sep=",").to_sparse(),
    "split_v1": lambda c: v1.string_split(c.ph([3], tf.string), delimiter=" "),
    "bytes_split": lambda c: tf.strings.bytes_split(c.ph([3], tf.string)).flat_values,
    "substr": lambda c: [tf.strings.substr(c.ph([3], tf.string), 1, 2), v1.substr(c.ph([3], tf.string), 0, 1)],
    "length": lambda c: [tf.strings.length(c.ph([3], tf.string)), tf.strings.length(c.ph([3], tf.string), "UTF8_CHAR")],
    "lower_upper_strip": lambda c: [tf.strings.lower(c.ph([3], tf.string)), tf.strings.upper(c.ph([3], tf.string)),
                                    tf.strings.strip(c.ph([3], tf.string))],
    "regex": lambda c: [tf.strings.regex_replace(c.ph([3], tf.string), "[0-9]+", "#"),
                        tf.strings.regex_replace(c.ph([3], tf.string), c.ph([], tf.string), "#"),
                        tf.strings.regex_full_match(c.ph([3], tf.string), "a.*")],
    "to_number_as_string": lambda c: [tf.strings.to_number(c.ph([3], tf.string)),
                                      tf.strings.to_number(c.ph([3], tf.string), tf.int64),
                                      tf.strings.as_string(c.ph([3]), precision=2), tf.strings.as_string(c.ph([3], tf.int64))],
    "format": lambda c: tf.strings.format("{} and {}", [c.ph([3]), c.ph([], tf.string)]),
    "hash_buckets": lambda c: [tf.strings.to_hash_bucket_fast(c.ph([3], tf.string), 10),
                               tf.strings.to_hash_bucket_strong(c.ph([3], tf.string), 10, [1, 2]),
                               tf.strings.to_hash_bucket(c.ph([3], tf.string), 10)],
    "ngrams": lambda c: tf.strings.ngrams(tf.strings.split(c.ph([2], tf.string)), 2).flat_values,
    "unicode": lambda c: [tf.strings.unicode_decode(c.ph([2], tf.string), "UTF-8").flat_values,
                          tf.strings.unicode_encode(tf.ragged.constant([[104, 105]]), "UTF-8"),
                          tf.strings.unicode_split(c.ph([2], tf.string), "UTF-8").flat_values],
    "compare_and_unique": lambda c: [tf.equal(c.ph([3], tf.string), "a"), tf.unique(c.ph([3], tf.string))],
    "base64": lambda c: tf.io.decode_base64(tf.io.encode_base64(c.ph([3], tf.string))),
    "fingerprint": lambda c: tf.fingerprint(c.ph([3], tf.string)),
}
for _name, _fn in STRINGS.items():
    add("strings", _name, _fn)
