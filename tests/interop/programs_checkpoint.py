"""Checkpoints and summaries (issue 9): `tf.compat.v1.train.Saver` saving and restoring variables
of both kinds across tasks, sharded over two tasks with a partitioned variable, and
`MonitoredTrainingSession` saving checkpoints and summaries, stopping, and resuming from its
checkpoint. Checkpoints are written by the tasks (`SaveV2` runs where the variables live) and read
back by TF's own readers in the client (`tf.train.list_variables`, `load_variable`,
`summary_iterator`), so a ferroflow task's files are checked against TF's format too. Each program
writes into a fresh temporary directory and returns values, never paths.
"""
import glob
import os
import shutil
import tempfile

import numpy as np
import tensorflow as tf

from programs import fresh, on, tolist, v1


def _checkpoint_files(directory):
    """The names in a checkpoint directory, temporary files excluded, with the numbers TF puts in
    event file names (time, host, pid) masked."""
    names = []
    for path in sorted(glob.glob(os.path.join(directory, "*"))):
        name = os.path.basename(path)
        if name.startswith("events.out.tfevents."):
            name = "events.out.tfevents.*"
        names.append(name)
    return sorted(names)


def _plain(x):
    """Values with strings as text, for comparison and printing."""
    if isinstance(x, list):
        return [_plain(v) for v in x]
    return x.decode() if isinstance(x, bytes) else x


def _variables_in(prefix):
    """`[name, shape, values]` of every tensor in a checkpoint, read by TF's reader."""
    return [[name, shape, _plain(tolist(tf.train.load_variable(prefix, name)))] for name, shape in tf.train.list_variables(prefix)]


def _error_class(fn):
    try:
        fn()
        return None
    except tf.errors.OpError as e:
        return type(e).__name__


def saver_save_restore_across_tasks(target, job):
    """A resource variable on task 1 and a reference variable on task 0 saved by a `Saver` on task 0
    at three steps (keeping two), overwritten, restored from the middle checkpoint, and a restore
    from a prefix with no checkpoint."""
    fresh(target)
    with tempfile.TemporaryDirectory(prefix="ff-saver-", ignore_cleanup_errors=True) as directory:
        g = tf.Graph()
        with g.as_default():
            with on(job, 1):
                w = v1.get_variable("sv_w", initializer=np.arange(6, dtype=np.float32).reshape(2, 3), use_resource=True)
                names = v1.Variable([b"alpha", b"beta"], name="sv_names", use_resource=True)
            with on(job, 0):
                b = v1.Variable([0.5, -0.5], name="sv_b", use_resource=False)
                steps = v1.Variable(0, dtype=tf.int64, name="sv_steps", use_resource=False)
                bump = tf.group(w.assign_add(tf.ones([2, 3])), v1.assign(b, b * 2.0), v1.assign_add(steps, 1))
                clobber = tf.group(w.assign(tf.zeros([2, 3])), v1.assign(b, [9.0, 9.0]), v1.assign(steps, 100),
                                   names.assign([b"x", b"y"]))
                saver = v1.train.Saver(max_to_keep=2)
                # A restore of a prefix that holds nothing, past the Python-side checks of `Saver`.
                missing_prefix = v1.placeholder(tf.string, [])
                restore_missing = tf.raw_ops.RestoreV2(prefix=missing_prefix, tensor_names=["sv_w"],
                                                       shape_and_slices=[""], dtypes=[tf.float32])
            init = v1.global_variables_initializer()
        with v1.Session(target, graph=g) as s:
            s.run(init)
            saved = []
            for step in (1, 2, 3):
                s.run(bump)
                saved.append(saver.save(s, os.path.join(directory, "model.ckpt"), global_step=step))
            files = _checkpoint_files(directory)
            latest = os.path.basename(tf.train.latest_checkpoint(directory))
            on_disk = _variables_in(saved[1])
            s.run(clobber)
            saver.restore(s, saved[1])
            restored = [tolist(s.run(w)), tolist(s.run(b)), int(s.run(steps)), [x.decode() for x in s.run(names)]]
            missing = _error_class(lambda: s.run(restore_missing, {missing_prefix: os.path.join(directory, "no-such.ckpt")}))
        return [files, latest, on_disk, restored, missing]


def sharded_saver_with_partitioned_variable(target, job):
    """Variables spread over tasks 0 and 1 by `replica_device_setter`, one of them partitioned in
    three (`fixed_size_partitioner`), trained two steps, saved by a sharded `Saver` (one `SaveV2`
    per task, then `MergeV2Checkpoints`), and restored after being overwritten."""
    fresh(target)
    with tempfile.TemporaryDirectory(prefix="ff-sharded-", ignore_cleanup_errors=True) as directory:
        g = tf.Graph()
        with g.as_default():
            setter = v1.train.replica_device_setter(ps_tasks=2, ps_device=f"/job:{job}", worker_device=f"/job:{job}/task:0")
            with v1.device(setter):
                emb = v1.get_variable("sh_emb", [6, 4], initializer=v1.glorot_uniform_initializer(seed=3),
                                      partitioner=v1.fixed_size_partitioner(3))
                dense = v1.get_variable("sh_dense", [4, 2], initializer=v1.glorot_uniform_initializer(seed=4))
                rows = v1.placeholder(tf.float32, [3, 6])
                loss = tf.reduce_sum(tf.square(tf.matmul(tf.matmul(rows, emb.as_tensor()), dense)))
                train = v1.train.GradientDescentOptimizer(0.05).minimize(loss)
                saver = v1.train.Saver(sharded=True)
                zero = [v.assign(tf.zeros_like(v)) for v in list(emb) + [dense]]
            init = v1.global_variables_initializer()
        feed = {rows: np.random.RandomState(1).rand(3, 6).astype(np.float32)}
        with v1.Session(target, graph=g) as s:
            s.run(init)
            losses = [float(s.run([loss, train], feed)[0]) for _ in range(2)]
            prefix = saver.save(s, os.path.join(directory, "model.ckpt"), global_step=2)
            files = _checkpoint_files(directory)
            on_disk = _variables_in(prefix)
            s.run(zero)
            saver.restore(s, prefix)
            restored = [tolist(s.run(emb.as_tensor())), tolist(s.run(dense)), float(s.run(loss, feed))]
        return [losses, files, on_disk, restored]


def _summary_values(directory):
    """`(step, tag, value)` of every scalar and histogram summary in a directory's event files,
    timing-dependent ones (`global_step/sec`) left out."""
    values = []
    for path in sorted(glob.glob(os.path.join(directory, "events.out.tfevents.*"))):
        for event in v1.train.summary_iterator(path):
            for v in event.summary.value:
                if v.tag == "global_step/sec":
                    continue
                kind = v.WhichOneof("value")
                if kind == "simple_value":
                    values.append((event.step, v.tag, float(v.simple_value)))
                elif kind == "histo":
                    values.append((event.step, v.tag, [v.histo.num, v.histo.sum, v.histo.min, v.histo.max]))
    return sorted(values, key=lambda x: (x[0], x[1]))


def monitored_training_session_resumes(target, job):
    """`MonitoredTrainingSession` as a chief: checkpoints every 3 steps and summaries every 2 into
    `checkpoint_dir`, `StopAtStepHook` at step 5; then a second session on a new graph restores the
    latest checkpoint and trains to step 8. Variables live on task 1, the model on task 0."""
    fresh(target)
    xs = np.random.RandomState(2).rand(16, 3).astype(np.float32)
    ys = (xs @ np.array([[1.0], [-2.0], [0.5]], np.float32)).astype(np.float32)

    def run_until(last_step):
        g = tf.Graph()
        with g.as_default():
            with on(job, 1):
                w = v1.get_variable("mts_w", [3, 1], initializer=v1.zeros_initializer())
                global_step = v1.train.get_or_create_global_step()
            with on(job, 0):
                x = tf.constant(xs)
                loss = tf.reduce_mean(tf.square(tf.matmul(x, w) - ys))
                v1.summary.scalar("loss", loss)
                v1.summary.histogram("weights", w)
                train = v1.train.GradientDescentOptimizer(0.1).minimize(loss, global_step=global_step)
            hooks = [v1.train.StopAtStepHook(last_step=last_step)]
            seen = []
            with v1.train.MonitoredTrainingSession(
                master=target, is_chief=True, checkpoint_dir=directory, save_checkpoint_steps=3,
                save_summaries_steps=2, log_step_count_steps=None, hooks=hooks,
            ) as sess:
                while not sess.should_stop():
                    _, step_loss, step = sess.run([train, loss, global_step])
                    seen.append([int(step), float(step_loss)])
            return seen

    # `run_until` reads `directory` when it is called, inside this block.
    with tempfile.TemporaryDirectory(prefix="ff-mts-", ignore_cleanup_errors=True) as directory:
        first = run_until(5)
        after_first = _checkpoint_files(directory)
        second = run_until(8)
        files = _checkpoint_files(directory)
        latest = tf.train.latest_checkpoint(directory)
        state = [os.path.basename(latest), tolist(tf.train.load_variable(latest, "mts_w")),
                 int(tf.train.load_variable(latest, "global_step"))]
        return [first, after_first, second, files, state, _summary_values(directory)]


def _damaged_copy(prefix, new_prefix, damage):
    """Copies the files of checkpoint `prefix` to `new_prefix`, then calls `damage(new_prefix)`."""
    for path in glob.glob(prefix + ".*"):
        shutil.copyfile(path, new_prefix + path[len(prefix):])
    damage(new_prefix)
    return new_prefix


def _truncate_index(prefix):
    path = prefix + ".index"
    with open(path, "r+b") as f:
        f.truncate(os.path.getsize(path) // 2)


def _flip_data_byte(prefix):
    (path,) = glob.glob(prefix + ".data-*")
    with open(path, "r+b") as f:
        first = f.read(1)
        f.seek(0)
        f.write(bytes([first[0] ^ 0x40]))


def damaged_checkpoints_fail_and_leave_variables_untouched(target, job):
    """A checkpoint of variables on two tasks restored after damage: its `.index` truncated or a
    byte of its `.data` flipped. Each restore fails (DataLossError in TF) and leaves every variable
    as it was. A checkpoint holding the resource variable `dm_w` with another shape restores
    without error in TF, the variable taking the saved shape; so it must here too. For the ref
    variable `dm_r` another shape is an error (its restore is an `Assign` that validates the
    shape: InvalidArgumentError), and what the restore left of the other variable is compared."""
    fresh(target)
    with tempfile.TemporaryDirectory(prefix="ff-damaged-", ignore_cleanup_errors=True) as directory:
        g = tf.Graph()
        with g.as_default():
            with on(job, 1):
                w = v1.get_variable("dm_w", initializer=np.arange(6, dtype=np.float32).reshape(2, 3), use_resource=True)
            with on(job, 0):
                b = v1.Variable([0.5, -0.5], name="dm_b", use_resource=False)
                clobber = tf.group(w.assign(tf.fill([2, 3], 7.0)), v1.assign(b, [9.0, 9.0]))
                saver = v1.train.Saver([w, b])
                other_w = v1.get_variable("dm_other", initializer=np.ones([4], np.float32), use_resource=True)
                # `dm_w` of shape [4] (and `dm_b` as it is), saved under the names `saver` restores.
                other_saver = v1.train.Saver({"dm_w": other_w, "dm_b": b})
            with on(job, 1):
                r = v1.Variable(np.full([2, 3], 0.25, np.float32), name="dm_r", use_resource=False)
                other_r = v1.Variable(np.full([5], 3.0, np.float32), name="dm_other_r", use_resource=False)
            with on(job, 0):
                b2 = v1.Variable([1.5, 2.5], name="dm_b2", use_resource=False)
                ref_saver = v1.train.Saver([r, b2])
                # `dm_r` of shape [5] beside a `dm_b2` of other values, under the names `ref_saver` restores.
                other_b2 = v1.Variable([8.0, 8.0], name="dm_other_b2", use_resource=False)
                other_ref_saver = v1.train.Saver({"dm_r": other_r, "dm_b2": other_b2})
            init = v1.global_variables_initializer()
        with v1.Session(target, graph=g) as s:
            s.run(init)
            good = saver.save(s, os.path.join(directory, "good.ckpt"))
            other = other_saver.save(s, os.path.join(directory, "other.ckpt"))
            s.run(clobber)
            outcomes = []
            for name, damage in (("truncated_index", _truncate_index), ("flipped_data_byte", _flip_data_byte)):
                prefix = _damaged_copy(good, os.path.join(directory, name + ".ckpt"), damage)
                outcomes.append([name, _error_class(lambda: saver.restore(s, prefix)), tolist(s.run(w)), tolist(s.run(b))])
            outcomes.append(["other_shape", _error_class(lambda: saver.restore(s, other)), tolist(s.run(w)), tolist(s.run(b))])
            other_ref = other_ref_saver.save(s, os.path.join(directory, "other_ref.ckpt"))
            outcomes.append(["ref_other_shape", _error_class(lambda: ref_saver.restore(s, other_ref)), tolist(s.run(r)), tolist(s.run(b2))])
            saver.restore(s, good)
            outcomes.append(["good", None, tolist(s.run(w)), tolist(s.run(b))])
        return outcomes


PROGRAMS = {
    "saver_save_restore_across_tasks": saver_save_restore_across_tasks,
    "sharded_saver_with_partitioned_variable": sharded_saver_with_partitioned_variable,
    "monitored_training_session_resumes": monitored_training_session_resumes,
    "damaged_checkpoints_fail_and_leave_variables_untouched": damaged_checkpoints_fail_and_leave_variables_untouched,
}
