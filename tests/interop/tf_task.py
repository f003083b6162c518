"""Runs one stock TensorFlow 2.21 task (master and worker services on one port) and blocks.

usage: tf_task.py JOB TASK CLUSTER_JSON
  CLUSTER_JSON: {"master": ["127.0.0.1:P"], "worker": ["127.0.0.1:Q", "127.0.0.1:R"]}, or a job as
  {"37": "127.0.0.1:S"} for tasks with indices of their own
"""
import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import tensorflow as tf  # noqa: E402


def main():
    job, task, cluster = sys.argv[1], int(sys.argv[2]), json.loads(sys.argv[3])
    # A job given as {"37": "host:port"} has sparse task indices (JSON keys are strings).
    cluster = {j: ({int(k): a for k, a in t.items()} if isinstance(t, dict) else t) for j, t in cluster.items()}
    server = tf.distribute.Server(tf.train.ClusterSpec(cluster), job_name=job, task_index=task, start=True)
    print("tf task up", job, task, server.target, flush=True)
    server.join()


if __name__ == "__main__":
    main()
