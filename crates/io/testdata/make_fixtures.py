"""Writes the TF-made fixtures that ferroflow-io's tests read (crates/io/tests/tf_fixtures.rs).

Run with stock TF 2.21 (the project's venv) from this directory:
    ~/.cache/ferroflow/tfvenv-2.21/bin/python make_fixtures.py

Everything is deterministic except event wall times and the gzip member's header; the files are
kept tiny. cases.json says what each file holds and what TF's readers returned for it.
"""
import gzip
import json
import os

import numpy as np
import tensorflow as tf
from tensorflow.python.ops import gen_logging_ops as logging_ops

tf.compat.v1.disable_eager_execution()
HERE = os.path.dirname(os.path.abspath(__file__))
RECORDS = [b"", b"a", bytes(range(256)), b"x" * 300]


def path(name):
    return os.path.join(HERE, name)


def run(fetch):
    with tf.compat.v1.Session() as s:
        return s.run(fetch)


def write_records():
    for name, compression in [("records.tfrecord", ""), ("records.tfrecord.gz", "GZIP"), ("records.tfrecord.zlib", "ZLIB")]:
        with tf.io.TFRecordWriter(path(name), tf.io.TFRecordOptions(compression_type=compression)) as w:
            for r in RECORDS:
                w.write(r)
    return [r.hex() for r in RECORDS]


def read_dataset(ds):
    it = tf.compat.v1.data.make_one_shot_iterator(ds).get_next()
    out = []
    with tf.compat.v1.Session() as s:
        while True:
            try:
                out.append(s.run(it).hex())
            except tf.errors.OutOfRangeError:
                return out


def write_text_and_fixed():
    text = b"first\r\nsecond\rline\n\nlast without newline\r"
    with open(path("lines.txt.gz"), "wb") as f:
        f.write(gzip.compress(text, mtime=0))
    lines = read_dataset(tf.data.TextLineDataset(path("lines.txt.gz"), compression_type="GZIP"))
    with open(path("fixed.bin.zlib"), "wb") as f:
        import zlib
        f.write(zlib.compress(bytes(range(40))))
    fixed = read_dataset(tf.data.FixedLengthRecordDataset(path("fixed.bin.zlib"), 6, header_bytes=5, footer_bytes=5, compression_type="ZLIB"))
    return {"lines_gz": lines, "fixed_zlib": {"header_bytes": 5, "record_bytes": 6, "footer_bytes": 5, "records": fixed}}


def summary_cases():
    """(kind, params, inputs, TF's summary op) for each case."""
    rng = np.random.RandomState(7)
    hist_f32 = np.concatenate([rng.randn(30) * 3, [0.0, 1e-13, -1e-13, 1e15, -2.5e9]]).astype(np.float32)
    hist_i32 = np.array([-5, 0, 0, 3, 7, 7, 7, 1000000], np.int32)
    img_f32 = rng.randn(2, 2, 3, 3).astype(np.float32)
    img_f32[0, 1, 1, 2] = np.nan
    img_f32[1, 0, 0, 0] = np.inf
    img_f64 = np.abs(rng.randn(1, 2, 2, 1)) * 100
    img_u8 = rng.randint(0, 256, size=(3, 2, 2, 4)).astype(np.uint8)
    audio_2d = (rng.randn(2, 5) * 0.7).astype(np.float32)
    audio_3d = np.array([[[0.1, -1.5], [2.0, -0.25], [0.5, 0.0], [1e-5, -1.0]]], np.float32)
    bad_color = tf.make_tensor_proto(np.array([10, 20, 30, 40], np.uint8))
    return [
        ("scalar", {}, [np.array(["loss", "acc"]), np.array([0.25, 1e10], np.float64)],
         lambda t, v: logging_ops.scalar_summary(t, v)),
        ("histogram", {"node": "HistF32"}, [np.array("weights"), hist_f32],
         lambda t, v: logging_ops.histogram_summary(t, v, name="HistF32")),
        ("histogram", {"node": "HistI32"}, [np.array("counts"), hist_i32],
         lambda t, v: logging_ops.histogram_summary(t, v, name="HistI32")),
        ("image", {"max_images": 3, "bad_color": [10, 20, 30, 40]}, [np.array("img"), img_f32],
         lambda t, v: logging_ops.image_summary(t, v, max_images=3, bad_color=bad_color)),
        ("image", {"max_images": 1}, [np.array("dbl"), img_f64], lambda t, v: logging_ops.image_summary(t, v, max_images=1)),
        ("image", {"max_images": 2}, [np.array("rgba"), img_u8], lambda t, v: logging_ops.image_summary(t, v, max_images=2)),
        ("audio", {"max_outputs": 3}, [np.array("clip"), audio_2d, np.array(8000.0, np.float32)],
         lambda t, v, r: logging_ops.audio_summary_v2(t, v, r, max_outputs=3)),
        ("audio", {"max_outputs": 1}, [np.array("stereo"), audio_3d, np.array(22050.5, np.float32)],
         lambda t, v, r: logging_ops.audio_summary_v2(t, v, r, max_outputs=1)),
        ("tensor", {}, [np.array("t"), np.array([[1, 2], [3, 4]], np.int64), np.array(b"\x0a\x05\x0a\x03pfx")],
         lambda t, v, m: logging_ops.tensor_summary_v2(t, v, m)),
    ]


def write_events():
    """For case i: step 2i holds each input as a tensor summary, step 2i+1 TF's summary of them."""
    logdir = path("events")
    os.makedirs(logdir, exist_ok=True)
    for f in os.listdir(logdir):
        os.remove(os.path.join(logdir, f))
    writer = tf.compat.v1.summary.FileWriter(logdir)
    cases = []
    for i, (kind, params, inputs, op) in enumerate(summary_cases()):
        tensors = [tf.constant(x) for x in inputs]
        inputs_summary = tf.compat.v1.Summary()
        for j, x in enumerate(inputs):
            v = inputs_summary.value.add()
            v.tag = f"input/{j}"
            v.tensor.CopyFrom(tf.make_tensor_proto(x))
        writer.add_summary(inputs_summary, global_step=2 * i)
        writer.add_summary(run(op(*tensors)), global_step=2 * i + 1)
        cases.append({"kind": kind, "params": params})
    merged = run(logging_ops.merge_summary([logging_ops.scalar_summary("m1", 1.0), logging_ops.scalar_summary("m2", 2.0)]))
    writer.add_summary(merged, global_step=1000)
    writer.close()
    (name,) = os.listdir(logdir)
    os.replace(os.path.join(logdir, name), path("events.tfevents"))
    os.rmdir(logdir)
    return cases


def main():
    cases = {"records": write_records(), **write_text_and_fixed(), "summaries": write_events()}
    with open(path("cases.json"), "w") as f:
        json.dump(cases, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
