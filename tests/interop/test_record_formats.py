"""Files written by ferroflow (crates/io, through its `write_formats` example) read by stock TF:
TFRecords in every compression through `tf.data.TFRecordDataset`, and event files through
`tf.compat.v1.train.summary_iterator`, whose summaries must equal what TF's own kernels build from
the same inputs: scalars, tensors and WAV bytes exactly, histograms (TF's bucket limits and
counts) as parsed protos, images as the pixels `tf.io.decode_png` decodes."""
import glob
import os
import subprocess

import numpy as np
import tensorflow as tf
from tensorflow.python.ops import gen_logging_ops as logging_ops
from tensorflow.python.ops import gen_summary_ops as summary_ops

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def example_binary():
    ferroflow = os.environ.get("FERROFLOW_BIN", os.path.join(ROOT, "target", "release", "ferroflow"))
    path = os.path.join(os.path.dirname(ferroflow), "examples", "write_formats")
    if not os.path.exists(path):
        raise RuntimeError(f"{path} not found: build it (cargo build --release -p ferroflow-io --examples)")
    return path


def run(fetches):
    with tf.compat.v1.Session() as s:
        return s.run(fetches)


def cases():
    """(kind, params, inputs) of each summary case; TF and ferroflow both build a summary of each."""
    rng = np.random.RandomState(11)
    hist = np.concatenate([rng.randn(200) * 10, rng.randn(50) * 1e-6, [0.0, 0.0, 3e30, -7e-11]])
    img = rng.randn(3, 4, 5, 3).astype(np.float32)
    img[0, 0, 0, 1] = np.nan
    img[2, 3, 4, 0] = -np.inf
    return [
        ("scalar", {}, [np.array("loss"), np.array(0.125, np.float32)]),
        ("scalar", {}, [np.array(["a", "b", "c"]), np.array([1, -2, 3], np.int64)]),
        ("histogram", {"node": "H64"}, [np.array("h64"), hist]),
        ("histogram", {"node": "H32"}, [np.array("h32"), hist.astype(np.float32)]),
        ("histogram", {"node": "Hint"}, [np.array("hint"), rng.randint(-1000, 1000, size=64).astype(np.int32)]),
        ("histogram", {"node": "Hempty"}, [np.array("hempty"), np.zeros([0], np.float32)]),
        ("image", {"max_images": "2", "bad_color": "1,2,3,4"}, [np.array("img"), img]),
        ("image", {"max_images": "1"}, [np.array("pos"), np.abs(rng.randn(2, 3, 3, 1)) * 50]),
        ("image", {"max_images": "5"}, [np.array("u8"), rng.randint(0, 256, size=(2, 3, 2, 4)).astype(np.uint8)]),
        ("audio", {"max_outputs": "2"}, [np.array("mono"), (rng.randn(3, 40) * 0.6).astype(np.float32), np.array(16000.0, np.float32)]),
        ("audio", {"max_outputs": "1"}, [np.array("st"), (rng.randn(1, 9, 2) * 2).astype(np.float32), np.array(44100.0, np.float32)]),
        ("tensor", {}, [np.array("t"), np.array([[1.5, 2.5]], np.float64), np.array(b"\x0a\x04\x0a\x02pp")]),
        ("tensor", {}, [np.array("s"), np.array([b"x", b"yz"]), np.array(b"")]),
    ]


def tf_summary(kind, params, inputs):
    """TF's own kernel output for a case, parsed (built in a graph of its own)."""
    with tf.Graph().as_default():
        return tf.compat.v1.Summary.FromString(run(tf_summary_op(kind, params, inputs)))


def tf_summary_op(kind, params, inputs):
    t = [tf.constant(x) for x in inputs]
    if kind == "scalar":
        op = logging_ops.scalar_summary(*t)
    elif kind == "histogram":
        # The Python API's histogram: a HistogramSummary tagged with its (unique) scope name.
        op = tf.compat.v1.summary.histogram(inputs[0].item(), t[1])
    elif kind == "image":
        kw = {}
        if "bad_color" in params:
            colors = np.array([int(c) for c in params["bad_color"].split(",")], np.uint8)
            kw["bad_color"] = tf.make_tensor_proto(colors)
        op = logging_ops.image_summary(*t, max_images=int(params["max_images"]), **kw)
    elif kind == "audio":
        op = logging_ops.audio_summary_v2(*t, max_outputs=int(params["max_outputs"]))
    else:
        op = logging_ops.tensor_summary_v2(*t)
    return op


def case_record(kind, params, inputs):
    s = tf.compat.v1.Summary()
    for j, x in enumerate(inputs):
        v = s.value.add()
        v.tag = f"arg{j}"
        v.tensor.CopyFrom(tf.make_tensor_proto(x))
    s.value[0].metadata.display_name = kind
    s.value[0].metadata.summary_description = ";".join(f"{k}={v}" for k, v in params.items())
    return s.SerializeToString()


def read_records(path, compression):
    it = tf.compat.v1.data.make_one_shot_iterator(tf.data.TFRecordDataset(path, compression_type=compression)).get_next()
    out = []
    with tf.compat.v1.Session() as s:
        while True:
            try:
                out.append(s.run(it))
            except tf.errors.OutOfRangeError:
                return out


def assert_same_images(ours, theirs):
    assert [v.tag for v in ours.value] == [v.tag for v in theirs.value]
    assert len(ours.value) > 0
    for o, t in zip(ours.value, theirs.value):
        assert (o.image.height, o.image.width, o.image.colorspace) == (t.image.height, t.image.width, t.image.colorspace)
        po, pt = run([tf.io.decode_png(o.image.encoded_image_string), tf.io.decode_png(t.image.encoded_image_string)])
        assert po.shape == (t.image.height, t.image.width, t.image.colorspace)
        np.testing.assert_array_equal(po, pt, err_msg=o.tag)


def test_ferroflow_written_records_and_events_read_back_in_tf(tmp_path):
    all_cases = cases()
    records = [case_record(*c) for c in all_cases]
    inputs = str(tmp_path / "inputs.tfrecord")
    with tf.io.TFRecordWriter(inputs) as w:
        for r in records:
            w.write(r)
    out = tmp_path / "out"
    out.mkdir()
    done = subprocess.run([example_binary(), inputs, str(out)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr

    for name, compression in [("records.tfrecord", ""), ("records.tfrecord.gz", "GZIP"), ("records.tfrecord.zlib", "ZLIB")]:
        assert read_records(str(out / name), compression) == records, name
    with open(out / "records.tfrecord", "rb") as f, open(inputs, "rb") as g:
        assert f.read() == g.read(), "uncompressed TFRecords are byte-identical to TF's"

    (v1_file,) = glob.glob(str(out / "v1" / "events.out.tfevents.*"))
    events = list(tf.compat.v1.train.summary_iterator(v1_file))
    assert events[0].file_version == "brain.Event:2"
    assert events[0].source_metadata.writer == "tensorflow.core.util.events_writer"
    assert [e.step for e in events[1:]] == list(range(len(all_cases)))
    for (kind, params, inputs_), e in zip(all_cases, events[1:]):
        theirs = tf_summary(kind, params, inputs_)
        if kind == "image":
            assert_same_images(e.summary, theirs)
        else:
            assert e.summary == theirs, f"{kind} {params}: {e.summary} vs {theirs}"


def test_v2_writer_files_match_tf_v2_writer(tmp_path):
    all_cases = [c for c in cases() if c[0] in ("scalar", "histogram") and c[2][0].shape == ()]
    inputs = str(tmp_path / "inputs.tfrecord")
    with tf.io.TFRecordWriter(inputs) as w:
        for c in all_cases:
            w.write(case_record(*c))
    out = tmp_path / "out"
    out.mkdir()
    done = subprocess.run([example_binary(), inputs, str(out)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    (ours_file,) = glob.glob(str(out / "v2" / "events.out.tfevents.*.v2"))
    ours = list(tf.compat.v1.train.summary_iterator(ours_file))

    writer = summary_ops.summary_writer()
    logdir = str(tmp_path / "tf_v2")
    ops = [summary_ops.create_summary_file_writer(writer, logdir, 100, 120000, ".v2")]
    for step, (kind, _, (tag, values)) in enumerate(all_cases):
        with tf.control_dependencies(ops[-1:]):
            write = summary_ops.write_scalar_summary if kind == "scalar" else summary_ops.write_histogram_summary
            ops.append(write(writer, step, tag, values))
    with tf.control_dependencies(ops[-1:]):
        ops.append(summary_ops.flush_summary_writer(writer))
    run(ops)
    (theirs_file,) = glob.glob(os.path.join(logdir, "events.out.tfevents.*.v2"))
    theirs = list(tf.compat.v1.train.summary_iterator(theirs_file))
    assert len(ours) == len(theirs) == 1 + len(all_cases)
    assert ours[0].file_version == theirs[0].file_version
    for o, t in zip(ours[1:], theirs[1:]):
        assert (o.step, o.summary) == (t.step, t.summary)
