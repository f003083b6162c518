"""One worker's client process of a between-graph replicated TF1 training program (issue 9), as
users write them: `replica_device_setter` puts the variables on the ps job, each worker builds the
same graph and runs `MonitoredTrainingSession` against its own task; the chief (worker 0)
initializes, saves checkpoints and summaries, and the other worker waits for it.

usage: training_worker.py CLUSTER_JSON TASK CHECKPOINT_DIR STEPS OUT_JSON

The loss is linear in the weights (`sum(w * x)`), so each step's update `-lr * x` does not depend
on how the two workers' steps interleave: the final weights and global step are the same on every
run, which lets results of two clusters be compared although the workers train asynchronously.
Worker TASK feeds batches `x = rows(TASK, k)` for k < STEPS. The chief waits for the global step
to reach 2 * STEPS before it leaves, so its final checkpoint holds both workers' steps.
"""
import json
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

tf.compat.v1.disable_eager_execution()
v1 = tf.compat.v1

LEARNING_RATE = 0.1


def rows(task, k):
    return np.random.RandomState(100 * task + k).rand(4, 3).astype(np.float32)


def poll_readiness_fast():
    """The non-chief polls for the chief's initialization every `recovery_wait_secs`, 30 s unless
    given, and `MonitoredTrainingSession` gives none: half a second keeps the test short."""
    from tensorflow.python.training import session_manager

    init = session_manager.SessionManager.__init__

    def with_short_wait(self, *args, **kwargs):
        kwargs.setdefault("recovery_wait_secs", 0.5)
        init(self, *args, **kwargs)

    session_manager.SessionManager.__init__ = with_short_wait


def build_graph(task):
    setter = v1.train.replica_device_setter(ps_tasks=1, worker_device=f"/job:worker/task:{task}")
    with v1.device(setter):
        w = v1.get_variable("w", [4, 3], initializer=v1.constant_initializer(0.5))
        global_step = v1.train.get_or_create_global_step()
        x = v1.placeholder(tf.float32, [4, 3])
        loss = tf.reduce_sum(w * x)
        # Summaries of the variables only: the chief's hooks also run them in steps without a feed.
        v1.summary.scalar("w_sum", tf.reduce_sum(w))
        v1.summary.histogram("w", w)
        v1.summary.image("w_image", tf.reshape(w, [1, 4, 3, 1]))
        train = v1.train.GradientDescentOptimizer(LEARNING_RATE).minimize(loss, global_step=global_step)
        with tf.control_dependencies([train]):
            # The step a training step ends at (a read ordered after the update, never racing it).
            trained_step = tf.identity(global_step.read_value())
    return w, global_step, x, trained_step, train


def main():
    cluster, task, directory, steps, out = json.loads(sys.argv[1]), int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), sys.argv[5]
    is_chief = task == 0
    poll_readiness_fast()
    target = "grpc://" + cluster["worker"][task]
    w, global_step, x, _, train = build_graph(task)
    started = time.time()
    done = []
    with v1.train.MonitoredTrainingSession(
        master=target, is_chief=is_chief, checkpoint_dir=directory if is_chief else None,
        save_checkpoint_steps=2, save_summaries_steps=1, log_step_count_steps=None,
        hooks=[v1.train.StopAtStepHook(last_step=1000)],
    ) as sess:
        for k in range(steps):
            sess.run(train, {x: rows(task, k)})
            done.append(k)
        if is_chief:
            while sess.run(global_step) < 2 * steps:
                if time.time() - started > 120:
                    raise SystemExit("the other worker did not finish its steps")
                time.sleep(0.05)
            final = {"w": np.asarray(sess.run(w)).tolist(), "global_step": int(sess.run(global_step))}
        else:
            final = {}
    with open(out, "w") as f:
        json.dump(dict(final, steps=len(done)), f)


if __name__ == "__main__":
    main()
