"""Writes the TF-made checkpoint fixtures ferroflow's checkpoint tests read, with stock TF 2.21:

  checkpoints/dtypes/ckpt       SaveV2 of every dtype ferroflow has (strings with NUL and 0xff
                                bytes, bools, int64 extremes, float specials), scalars, empty tensors
  checkpoints/partitioned/ckpt  tf.compat.v1.train.Saver over variables split by
                                fixed_size_partitioner (along axis 0 and along axis 1)
  checkpoints/sharded/ckpt      Saver(sharded=True) over variables on two CPU devices (one
                                partitioned variable split across both), so MergeV2Checkpoints ran
  checkpoints/expected.json     every tensor as TF reads it back (tf.train.load_checkpoint):
                                dtype, shape, and raw little-endian bytes (hex) or strings (hex)

Run from anywhere: ~/.cache/ferroflow/tfvenv-2.21/bin/python crates/io/testdata/make_checkpoints.py
"""
import json
import os
import shutil

import numpy as np
import tensorflow as tf

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "checkpoints")


def dtypes_checkpoint(prefix):
    f32 = np.array([[1.5, -2.25, 3e-8], [np.inf, -np.inf, -0.0]], np.float32)
    named = [
        ("dense/kernel", f32),
        ("f64", np.array([np.pi, -1e300, 5e-324, np.nan], np.float64)),
        ("i8", np.array([-128, -1, 0, 127], np.int8)),
        ("i16", np.array([-32768, 7, 32767], np.int16)),
        ("i32", np.array([[-2147483648, 0], [1, 2147483647]], np.int32)),
        ("i64", np.array([-(2**63), -1, 0, 2**63 - 1], np.int64)),
        ("u8", np.array([0, 1, 255], np.uint8)),
        ("u16", np.array([0, 65535], np.uint16)),
        ("u32", np.array([0, 4294967295], np.uint32)),
        ("u64", np.array([0, 2**64 - 1], np.uint64)),
        ("flags", np.array([True, False, True, True])),
        ("words", np.array([[b"", b"hello"], [b"\x00\xff bytes", "ünï".encode()]], object)),
        ("scalar", np.float32(42.0)),
        ("scalar_word", np.array(b"solo", object)),
        ("empty", np.zeros([0], np.float32)),
        ("empty2d", np.zeros([2, 0], np.int32)),
        ("no_words", np.array([], object)),
    ]
    tensors = [tf.constant(v, dtype=tf.string if v.dtype == object else None) for _, v in named]
    tf.raw_ops.SaveV2(prefix=prefix, tensor_names=[n for n, _ in named],
                      shape_and_slices=[""] * len(named), tensors=tensors)


def initializer(full):
    """An initializer giving each partition its part of `full`."""
    def init(shape, dtype=None, partition_info=None):
        offsets = partition_info.var_offset if partition_info else [0] * len(shape)
        return tf.constant(full[tuple(slice(o, o + n) for o, n in zip(offsets, shape))], dtype)
    return init


def variable(name, full, **kwargs):
    dtype = tf.string if full.dtype == object else tf.as_dtype(full.dtype)
    return tf.compat.v1.get_variable(name, shape=full.shape, dtype=dtype, initializer=initializer(full), **kwargs)


def partitioned_checkpoint(prefix):
    g = tf.Graph()
    with g.as_default():
        part = tf.compat.v1.fixed_size_partitioner
        emb = variable("emb", np.arange(15, dtype=np.float32).reshape(5, 3) / 4, partitioner=part(3))
        wide = variable("wide", np.arange(8, dtype=np.int64).reshape(2, 4) * -3, partitioner=part(2, axis=1))
        bias = variable("bias", np.array([0.5, -0.5, 2.0], np.float64))
        saver = tf.compat.v1.train.Saver([emb, wide, bias])
        with tf.compat.v1.Session(graph=g) as s:
            s.run(tf.compat.v1.global_variables_initializer())
            saver.save(s, prefix, write_meta_graph=False, write_state=False)


def sharded_checkpoint(prefix):
    g = tf.Graph()
    with g.as_default():
        # Partition 1 of "split" and "other" live on CPU:1; everything else on CPU:0.
        def device(op):
            return "/device:CPU:1" if ("part_1" in op.name or op.name.startswith("other")) else "/device:CPU:0"

        with g.device(device):
            split = variable("split", np.arange(12, dtype=np.int32).reshape(4, 3),
                             partitioner=tf.compat.v1.fixed_size_partitioner(2))
            first = variable("first", np.array([1.0, 2.0], np.float32))
            other = variable("other", np.array([b"x", b"yz"], object))
        saver = tf.compat.v1.train.Saver([split, first, other], sharded=True)
        config = tf.compat.v1.ConfigProto(device_count={"CPU": 2})
        with tf.compat.v1.Session(graph=g, config=config) as s:
            s.run(tf.compat.v1.global_variables_initializer())
            saver.save(s, prefix, write_meta_graph=False, write_state=False)


def expected(prefix):
    reader = tf.train.load_checkpoint(prefix)
    out = {}
    for name, dtype in sorted(reader.get_variable_to_dtype_map().items()):
        value = np.asarray(reader.get_tensor(name))
        entry = {"dtype": dtype.name, "shape": list(value.shape)}
        if dtype == tf.string:
            entry["strings"] = [bytes(s).hex() for s in value.reshape(-1)]
        else:
            entry["hex"] = value.astype(value.dtype.newbyteorder("<")).tobytes().hex()
        out[name] = entry
    return out


def main():
    shutil.rmtree(OUT, ignore_errors=True)
    makers = {"dtypes": dtypes_checkpoint, "partitioned": partitioned_checkpoint, "sharded": sharded_checkpoint}
    result = {}
    for name, make in makers.items():
        os.makedirs(os.path.join(OUT, name))
        prefix = os.path.join(OUT, name, "ckpt")
        make(prefix)
        result[name] = expected(prefix)
    with open(os.path.join(OUT, "expected.json"), "w") as f:
        json.dump(result, f, indent=1, sort_keys=True)
        f.write("\n")
    for root, _, files in sorted(os.walk(OUT)):
        for f in sorted(files):
            print(os.path.relpath(os.path.join(root, f), OUT), os.path.getsize(os.path.join(root, f)))


if __name__ == "__main__":
    main()
