"""Client programs of string ops, text summaries and checks (issue 9), split between two tasks:
numbers written as text and read back, `tf.strings.format`, regular-expression rewrites, splits,
substrings and joins, `tf.print` to a file, and `tf.debugging.check_numerics` passing and failing.
"""
import os
import tempfile

import numpy as np
import tensorflow as tf

from programs import on, tolist

v1 = tf.compat.v1


def texts(x):
    return [v.decode("utf-8", "backslashreplace") for v in np.ravel(np.asarray(x, dtype=object))]


def text_pipeline(target, job):
    """Numbers to text on task 0, edited and split, lengths and numbers read back on task 1."""
    g = tf.Graph()
    with g.as_default():
        x = v1.placeholder(tf.float32, [2, 3])
        with on(job, 0):
            y = x * 1.5 - 2.0
            fixed = tf.strings.as_string(y, precision=2)
            padded = tf.strings.as_string(tf.cast(y, tf.int64), width=5, fill="0")
            shortest = tf.strings.as_string(y / 7.0, shortest=True)
            summary = tf.strings.format("y={} sum={}", [y, tf.reduce_sum(y)], summarize=2)
            line = tf.strings.reduce_join(fixed, axis=1, separator=", ")
            renamed = tf.strings.regex_replace(line, r"(-?\d+)\.(\d+)", r"<\1|\2>")
            first = tf.strings.regex_replace(line, r"\d", "#", replace_global=False)
        with on(job, 1):
            parts = tf.strings.split(line, sep=", ")
            words = tf.strings.split(tf.constant(["a quick  brown fox", " jumps "]))
            back = tf.strings.to_number(fixed, out_type=tf.float64)
            heads = tf.strings.substr(fixed, 0, 3)
            lengths = tf.strings.length(tf.strings.join([fixed, padded], separator=":"))
            chars = tf.strings.length(tf.constant(["h\u00e9llo", "\u00e9"]), unit="UTF8_CHAR")
            checked = tf.debugging.check_numerics(back, "back is finite")
    feed = {x: np.arange(6, dtype=np.float32).reshape(2, 3) - 2.5}
    with v1.Session(target, graph=g) as s:
        out = s.run([fixed, padded, shortest, summary, line, renamed, first, parts.values, parts.row_splits, words.values,
                     words.row_splits,
                     back, heads, lengths, chars, checked], feed)
    return [texts(v) if np.asarray(v).dtype == object else tolist(v) for v in out]


def print_and_checks(target, job):
    """`tf.print` of a tensor to a file on task 1, then `check_numerics` failing on task 0."""
    with tempfile.TemporaryDirectory(prefix="ff-print-") as directory:
        path = os.path.join(directory, "printed.txt")
        g = tf.Graph()
        with g.as_default():
            x = v1.placeholder(tf.float32, [None])
            with on(job, 1):
                printed = tf.print("values:", x, "max:", tf.reduce_max(x), output_stream="file://" + path, summarize=2)
            with on(job, 0):
                with tf.control_dependencies([printed]):
                    checked = tf.debugging.check_numerics(tf.math.log(x), "log of x")
        out = []
        with v1.Session(target, graph=g) as s:
            out.append(tolist(s.run(checked, {x: [1.0, 2.0, 4.0, 8.0]})))
            for bad in ([1.0, 0.0], [-1.0, 2.0], [0.0, -1.0]):
                try:
                    s.run(checked, {x: bad})
                    out.append("ok")
                except tf.errors.OpError as e:
                    found = [w for w in ("-Inf, +Inf, and NaN", "-Inf and NaN", "+Inf and NaN", "-Inf and +Inf", "Inf and NaN", "+Inf", "-Inf", "Inf", "NaN") if f"Tensor had {w} values" in e.message]
                    out.append([type(e).__name__, "log of x" in e.message, found[:1]])
        with open(path) as f:
            out.append(f.read())
    return out


PROGRAMS = {
    "text_pipeline": text_pipeline,
    "print_and_checks": print_and_checks,
}
