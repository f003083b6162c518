#!/usr/bin/env python3
"""Oracle cases for ferroflow's TF 1 summary kernels, computed by stock TF 2.21: `ScalarSummary`,
`HistogramSummary`, `TensorSummaryV2`, `ImageSummary` (PNG), `AudioSummaryV2` (WAV) and
`MergeSummary`, whose outputs are serialized `Summary`
protos compared byte for byte, and their errors (shape mismatches, NaN and infinity in histograms,
duplicate tags) with TF's messages.

Run with the TF virtualenv:

    ~/.cache/ferroflow/tfvenv-2.21/bin/python tools/oracle/summary_cases.py

It writes crates/kernels/testdata/summary.json, in the schema of array_cases.py.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from array_cases import Cases, i, np, tensor, ty, write_cases  # noqa: E402
import tensorflow as tf  # noqa: E402


def st(*values, shape=None):
    a = np.array([v.encode() for v in values], dtype=object)
    return a.reshape(shape) if shape is not None else a


def serialized(fn):
    """A serialized Summary built by TF itself, to feed MergeSummary."""
    with tf.Graph().as_default(), tf.compat.v1.Session() as sess:
        return np.array([sess.run(fn())], dtype=object).reshape(())


def _scalar(c):
    c.ok("scalar_float", "ScalarSummary", [st("loss", shape=()), np.array(0.25, np.float32)], {"T": ty("float32")})
    c.ok("scalar_int64_vector", "ScalarSummary", [st("a", "b", "c"), np.array([1, -2, 3], np.int64)], {"T": ty("int64")})
    c.ok("scalar_double_matrix", "ScalarSummary", [st("a", "b", "c", "d", shape=(2, 2)),
                                                  np.array([[0.1, 1e30], [-3.5, 7]], np.float64)], {"T": ty("float64")})
    c.ok("scalar_uint8_nan_free", "ScalarSummary", [st("u", shape=()), np.array(200, np.uint8)], {"T": ty("uint8")})
    c.err("scalar_shape_mismatch", "ScalarSummary", [st("loss", shape=()), np.array([1.0, 2.0], np.float32)],
          {"T": ty("float32")})
    c.err("scalar_shape_mismatch_vector", "ScalarSummary", [st("a", "b"), np.array([1.0, 2.0, 3.0], np.float32)],
          {"T": ty("float32")})


def _histogram(c):
    c.ok("histogram_float", "HistogramSummary", [st("w", shape=()), np.array([0.5, -1.25, 3.0, 3.0, 0.0], np.float32)],
         {"T": ty("float32")})
    c.ok("histogram_int32_matrix", "HistogramSummary", [st("w", shape=()), np.arange(-6, 6, dtype=np.int32).reshape(3, 4)],
         {"T": ty("int32")})
    c.ok("histogram_double_wide", "HistogramSummary", [st("w", shape=()), np.array([1e-12, 1e12, -1e12, 5.5], np.float64)],
         {"T": ty("float64")})
    c.ok("histogram_empty", "HistogramSummary", [st("w", shape=()), np.zeros([0], np.float32)], {"T": ty("float32")})
    c.err("histogram_nan", "HistogramSummary", [st("w", shape=()), np.array([1.0, np.nan], np.float32)],
          {"T": ty("float32")}, node_name="hist")
    c.err("histogram_inf", "HistogramSummary", [st("w", shape=()), np.array([1.0, np.inf], np.float64)],
          {"T": ty("float64")}, node_name="hist")
    c.err("histogram_tag_not_scalar", "HistogramSummary", [st("w"), np.array([1.0], np.float32)], {"T": ty("float32")})


def _tensor_and_merge(c):
    meta = tf.compat.v1.SummaryMetadata(plugin_data=tf.compat.v1.SummaryMetadata.PluginData(plugin_name="text"))
    c.ok("tensor_summary_strings", "TensorSummaryV2",
         [st("t", shape=()), st("x", "y"), np.array(meta.SerializeToString(), dtype=object).reshape(())], {"T": ty("string")})
    c.ok("tensor_summary_float", "TensorSummaryV2",
         [st("t", shape=()), np.array([[1.5, 2.0]], np.float32), np.array(b"", dtype=object).reshape(())], {"T": ty("float32")})
    a = serialized(lambda: tf.raw_ops.ScalarSummary(tags="a", values=1.0))
    b2 = serialized(lambda: tf.raw_ops.HistogramSummary(tag="b", values=[1.0, 2.0]))
    dup = serialized(lambda: tf.raw_ops.ScalarSummary(tags="a", values=2.0))
    c.ok("merge_two", "MergeSummary", [a, b2], {"N": i(2)})
    c.ok("merge_vector_input", "MergeSummary", [np.array([a.item(), b2.item()], dtype=object)], {"N": i(1)})
    c.err("merge_duplicate_tag", "MergeSummary", [a, dup], {"N": i(2)})
    c.err("merge_not_a_summary", "MergeSummary", [np.array(b"\x01garbage", dtype=object).reshape(())], {"N": i(1)})


def _image_and_audio(c):
    rng = np.random.RandomState(3)
    tag = st("img", shape=())
    c.ok("image_uint8_rgb", "ImageSummary", [tag, rng.randint(0, 256, (2, 3, 4, 3)).astype(np.uint8)], {"T": ty("uint8")})
    c.ok("image_float_gray_max_one", "ImageSummary", [tag, rng.rand(3, 2, 5, 1).astype(np.float32)],
         {"T": ty("float32"), "max_images": i(1)})
    negative = rng.randn(1, 4, 4, 4)
    negative[0, 1, 2, 0] = np.nan
    negative[0, 3, 3, 2] = np.inf
    c.ok("image_double_rgba_negative_bad_pixels", "ImageSummary", [tag, negative], {"T": ty("float64")})
    c.ok("image_float_bad_color_custom", "ImageSummary", [tag, np.array([[[[np.nan, 1.0, 2.0]]]], np.float32)],
         {"T": ty("float32"), "bad_color": tensor(np.array([0, 255, 0], np.uint8))})
    c.err("image_wrong_rank", "ImageSummary", [tag, np.zeros([2, 2, 3], np.float32)], {"T": ty("float32")})
    c.err("image_two_channels", "ImageSummary", [tag, np.zeros([1, 2, 2, 2], np.float32)], {"T": ty("float32")})
    c.err("image_tag_not_scalar", "ImageSummary", [st("a", "b"), np.zeros([1, 2, 2, 1], np.float32)], {"T": ty("float32")})
    wave = np.sin(np.linspace(0, 20, 2 * 50 * 2)).astype(np.float32).reshape(2, 50, 2)
    c.ok("audio_stereo", "AudioSummaryV2", [st("snd", shape=()), wave, np.array(8000.0, np.float32)], {})
    c.ok("audio_mono_2d_max_one", "AudioSummaryV2", [st("snd", shape=()), wave[:, :, 0], np.array(16000.0, np.float32)],
         {"max_outputs": i(1)})
    c.err("audio_bad_rate", "AudioSummaryV2", [st("snd", shape=()), wave, np.array(-1.0, np.float32)], {})
    c.err("audio_wrong_rank", "AudioSummaryV2", [st("snd", shape=()), np.zeros([3], np.float32), np.array(8000.0, np.float32)], {})


def main():
    c = Cases()
    _image_and_audio(c)
    _scalar(c)
    _histogram(c)
    _tensor_and_merge(c)
    write_cases("crates/kernels/testdata/summary.json", c.cases, "tools/oracle/summary_cases.py")


if __name__ == "__main__":
    main()
