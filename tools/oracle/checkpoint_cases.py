#!/usr/bin/env python3
"""Oracle cases for ferroflow's checkpoint kernels, computed by stock TF 2.21: the naming ops
(`ShardedFilename`, `ShardedFilespec`) and every input check of `SaveV2`, `RestoreV2` and
`MergeV2Checkpoints` with TF's messages, and `RestoreV2` of a prefix that holds no checkpoint
(NOT_FOUND). Round trips through real files are the kernels' own tests and the interop programs.

Run with the TF virtualenv:

    ~/.cache/ferroflow/tfvenv-2.21/bin/python tools/oracle/checkpoint_cases.py

It writes crates/kernels/testdata/checkpoint.json, in the schema of array_cases.py.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from array_cases import Cases, b, lt, np, write_cases  # noqa: E402

# A prefix no checkpoint is ever written to: restores from it fail with NOT_FOUND.
NO_CHECKPOINT = "/tmp/ferroflow-oracle-no-checkpoint/model.ckpt"


def st(*values, shape=None):
    a = np.array([v.encode() for v in values], dtype=object)
    return a.reshape(shape) if shape is not None else a


def _naming(c):
    for base, shard, num in [("model.ckpt_temp/part", 0, 2), ("/tmp/x/part", 7, 12), ("p", 123456, 3)]:
        c.ok("sharded_filename_%d_of_%d" % (shard, num), "ShardedFilename",
             [st(base, shape=()), np.array(shard, np.int32), np.array(num, np.int32)], {})
    for base, num in [("model.ckpt_temp/part", 2), ("/a/b", 100000)]:
        c.ok("sharded_filespec_%d" % num, "ShardedFilespec", [st(base, shape=()), np.array(num, np.int32)], {})


def _save(c):
    one = np.array([1.0, 2.0], np.float32)
    c.err("savev2_prefix_two_elements", "SaveV2",
          [st("a", "b"), st("v"), st(""), one], {"dtypes": lt(["float32"])})
    c.err("savev2_names_not_vector", "SaveV2",
          [st("p", shape=()), st("v", shape=()), st(""), one], {"dtypes": lt(["float32"])})
    c.err("savev2_names_and_slices_differ", "SaveV2",
          [st("p", shape=()), st("v"), st("", ""), one], {"dtypes": lt(["float32"])})
    c.err("savev2_fewer_tensors_than_names", "SaveV2",
          [st("p", shape=()), st("v", "w"), st("", ""), one], {"dtypes": lt(["float32"])})


def _restore(c):
    c.err("restorev2_names_and_dtypes_differ", "RestoreV2",
          [st(NO_CHECKPOINT, shape=()), st("v", "w"), st("", "")], {"dtypes": lt(["float32"])})
    c.err("restorev2_prefix_two_elements", "RestoreV2",
          [st("a", "b"), st("v"), st("")], {"dtypes": lt(["float32"])})
    c.err("restorev2_slices_not_vector", "RestoreV2",
          [st(NO_CHECKPOINT, shape=()), st("v"), st("", shape=())], {"dtypes": lt(["float32"])})
    c.err("restorev2_no_checkpoint", "RestoreV2",
          [st(NO_CHECKPOINT, shape=()), st("v"), st("")], {"dtypes": lt(["float32"])})


def _merge(c):
    c.err("mergev2_prefixes_not_vector", "MergeV2Checkpoints",
          [st("a", shape=()), st("d", shape=())], {})
    c.err("mergev2_destination_not_scalar", "MergeV2Checkpoints",
          [st("a"), st("d")], {})
    c.err("mergev2_missing_input", "MergeV2Checkpoints",
          [st(NO_CHECKPOINT + "_temp/part-00000-of-00001"), st(NO_CHECKPOINT, shape=())],
          {"delete_old_dirs": b(False)})


def main():
    c = Cases()
    _naming(c)
    _save(c)
    _restore(c)
    _merge(c)
    write_cases("crates/kernels/testdata/checkpoint.json", c.cases, "tools/oracle/checkpoint_cases.py")


if __name__ == "__main__":
    main()
