#!/usr/bin/env python3
"""Oracle cases for ferroflow's string kernels, computed by stock TF 2.21: `StringJoin` (scalars
broadcast, separators, no inputs, mismatched shapes), `StaticRegexFullMatch` and `RegexFullMatch`
(anchoring, alternation, classes, repetition, bytes that are not UTF-8, a non-scalar pattern).

Run with the TF virtualenv:

    ~/.cache/ferroflow/tfvenv-2.21/bin/python tools/oracle/strings_cases.py

It writes crates/kernels/testdata/strings.json, in the schema of array_cases.py.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from array_cases import Cases, i, np, s, write_cases  # noqa: E402


def st(*values, shape=None):
    a = np.array([v if isinstance(v, bytes) else v.encode() for v in values], dtype=object)
    return a.reshape(shape) if shape is not None else a


def _join(c):
    c.ok("join_scalars", "StringJoin", [st("/tmp/ckpt", shape=()), st("_temp/part", shape=())], {"N": i(2)})
    c.ok("join_broadcast_separator", "StringJoin",
         [st("x", shape=()), st("a", "b", "c", "d", shape=(2, 2)), st("1", "2", "3", "4", shape=(2, 2))],
         {"N": i(3), "separator": s(", ")})
    c.ok("join_one_input", "StringJoin", [st("a", "", "c")], {"N": i(1), "separator": s("-")})
    c.ok("join_empty_vector", "StringJoin", [st(shape=(0,)), st("z", shape=())], {"N": i(2)})
    c.err("join_shapes_differ", "StringJoin", [st("a", "b"), st("a", "b", "c")], {"N": i(2)})
    c.err("join_shapes_differ_rank", "StringJoin", [st("a", "b"), st("a", "b", shape=(2, 1))], {"N": i(2)})


def _full_match(c):
    inputs = st("s3://bucket/model.ckpt", "/tmp/model.ckpt", "gs://b/x", "", b"\xff\xfebytes", "S3://upper")
    for name, pattern in [("s3_prefix", "^s3://.*"), ("any", ".*"), ("alternation", "s3://.*|gs://.*"),
                          ("class_repeat", "[a-z0-9]+://[a-z]+/.+"), ("empty_only", ""),
                          ("case_insensitive", "(?i)s3://.*"), ("bytes_suffix", ".*bytes")]:
        c.ok("static_full_match_" + name, "StaticRegexFullMatch", [inputs], {"pattern": s(pattern)})
        c.ok("full_match_" + name, "RegexFullMatch", [inputs, st(pattern, shape=())], {})
    c.ok("static_full_match_matrix", "StaticRegexFullMatch", [st("ab", "abab", "aba", "", shape=(2, 2))],
         {"pattern": s("(ab)*")})
    c.err("full_match_pattern_not_scalar", "RegexFullMatch", [st("a"), st("a", "b")], {})


def main():
    c = Cases()
    _join(c)
    _full_match(c)
    write_cases("crates/kernels/testdata/strings.json", c.cases, "tools/oracle/strings_cases.py")


if __name__ == "__main__":
    main()
