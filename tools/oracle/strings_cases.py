#!/usr/bin/env python3
"""Oracle cases for ferroflow's string kernels, computed by stock TF 2.21: `StringJoin` (scalars
broadcast, separators, no inputs, mismatched shapes), `StaticRegexFullMatch` and `RegexFullMatch`
(anchoring, alternation, classes, repetition, bytes that are not UTF-8, a non-scalar pattern),
`RegexReplace`/`StaticRegexReplace` (groups, empty matches, first match only, bad rewrites),
`AsString` (every attr, every dtype, TF's attr errors), `StringFormat` (`print_v2` summaries of
each rank), `StringToNumber` (each out_type, whitespace, hex, infinities, overflow), `StringSplitV2`,
`Substr` (bytes and UTF-8 characters, broadcasting, positions out of range), `StringLength` and
`ReduceJoin` (orders of several dimensions, keep_dims, bad dimensions).

Run with the TF virtualenv:

    ~/.cache/ferroflow/tfvenv-2.21/bin/python tools/oracle/strings_cases.py

It writes crates/kernels/testdata/strings.json, in the schema of array_cases.py.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from array_cases import Cases, b, i, lt, np, s, ty, write_cases  # noqa: E402


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


def _replace(c):
    inputs = st("hello world", "aaa", "abc", "", "h\u00e9llo", "x.y.z", shape=(2, 3))
    for name, pattern, rewrite in [("word_swap", r"(\w+) (\w+)", r"\2 \1 \0 \\"), ("empty_matches", "a*", "-"),
                                   ("empty_pattern", "", "_"), ("literal_dot", r"\.", "/"), ("class", "[aeiou]", "<\\0>"),
                                   ("missing_group", r"(\w+)", r"\3"), ("bad_escape", r"(\w+)", r"x\y"),
                                   ("utf8_empty", "z*", "|"), ("dollar_literal", "l", "$1"), ("anchored", "^h", "H")]:
        for glob in (True, False):
            tag = name + ("" if glob else "_first")
            c.ok("static_replace_" + tag, "StaticRegexReplace", [inputs],
                 {"pattern": s(pattern), "rewrite": s(rewrite), "replace_global": b(glob)})
            c.ok("replace_" + tag, "RegexReplace", [inputs, st(pattern, shape=()), st(rewrite, shape=())],
                 {"replace_global": b(glob)})
    c.err("replace_pattern_not_scalar", "RegexReplace", [st("a"), st("a", "b"), st("x", shape=())], {})
    c.err("replace_rewrite_not_scalar", "RegexReplace", [st("a"), st("a", shape=()), st("x", "y")], {})
    c.err("static_replace_bad_pattern", "StaticRegexReplace", [st("a")], {"pattern": s("(a"), "rewrite": s("b")})


def _as_string(c):
    floats = np.array([1.5, 2.25, -3.0, 1.0 / 3, 1e20, 1e-7, 0.0, -0.0, 12345.678], np.float32)
    c.ok("as_string_float", "AsString", [floats], {"T": ty("float32")})
    c.ok("as_string_double", "AsString", [floats.astype(np.float64) / 7], {"T": ty("float64")})
    c.ok("as_string_nonfinite", "AsString", [np.array([np.nan, np.inf, -np.inf], np.float32)], {"T": ty("float32")})
    c.ok("as_string_nonfinite_width", "AsString", [np.array([np.nan, -np.inf], np.float32)],
         {"T": ty("float32"), "width": i(6), "fill": s("0")})
    for fill in ["0", " ", "-", "+", "#", ""]:
        tag = {"0": "zero", " ": "space", "-": "minus", "+": "plus", "#": "hash", "": "none"}[fill]
        c.ok("as_string_width_fill_" + tag, "AsString", [floats], {"T": ty("float32"), "width": i(12), "fill": s(fill)})
        c.ok("as_string_int_fill_" + tag, "AsString", [np.array([5, -5, 0, 123456], np.int64)],
             {"T": ty("int64"), "width": i(5), "fill": s(fill)})
        c.ok("as_string_shortest_fill_" + tag, "AsString", [floats], {"T": ty("float32"), "shortest": b(True), "fill": s(fill)})
    for p in [0, 1, 3, 10]:
        c.ok("as_string_precision_%d" % p, "AsString", [floats], {"T": ty("float32"), "precision": i(p)})
        c.ok("as_string_scientific_%d" % p, "AsString", [floats.astype(np.float64)],
             {"T": ty("float64"), "precision": i(p), "scientific": b(True)})
        c.ok("as_string_shortest_%d" % p, "AsString", [floats], {"T": ty("float32"), "precision": i(p), "shortest": b(True)})
    c.ok("as_string_scientific_hash_0", "AsString", [floats], {"T": ty("float32"), "precision": i(0), "scientific": b(True), "fill": s("#")})
    c.ok("as_string_fixed_hash_0", "AsString", [floats], {"T": ty("float32"), "precision": i(0), "fill": s("#")})
    for dt, vals in [("int8", [-128, 127]), ("int16", [-3, 300]), ("int32", [0, -2147483648]), ("uint8", [0, 255]),
                     ("uint16", [65535, 1]), ("uint32", [4294967295, 0]), ("uint64", [18446744073709551615, 7])]:
        c.ok("as_string_" + dt, "AsString", [np.array(vals, dt)], {"T": ty(dt), "width": i(4)})
    c.ok("as_string_bool", "AsString", [np.array([[True, False]])], {"T": ty("bool"), "width": i(8)})
    c.ok("as_string_string", "AsString", [st("a", "b c")], {"T": ty("string"), "width": i(8)})
    for fill in ["0", "-", "+"]:
        c.ok("as_string_string_fill_" + {"0": "zero", "-": "minus", "+": "plus"}[fill], "AsString", [st("a", "long string")],
             {"T": ty("string"), "width": i(4), "fill": s(fill)})
    c.err("as_string_err_fill_x", "AsString", [floats], {"T": ty("float32"), "width": i(8), "fill": s("x")})
    c.err("as_string_err_fill_two", "AsString", [floats], {"T": ty("float32"), "fill": s("ab")})
    c.err("as_string_err_int_precision", "AsString", [np.array([1], np.int32)], {"T": ty("int32"), "precision": i(2)})
    c.err("as_string_err_int_scientific", "AsString", [np.array([1], np.int32)], {"T": ty("int32"), "scientific": b(True)})
    c.err("as_string_err_both", "AsString", [floats], {"T": ty("float32"), "scientific": b(True), "shortest": b(True)})


def _format(c):
    def fmt(name, template, xs, summarize=None, placeholder=None):
        attrs = {"T": lt([x.dtype.name if x.dtype != object else "string" for x in xs]), "template": s(template)}
        if summarize is not None:
            attrs["summarize"] = i(summarize)
        if placeholder is not None:
            attrs["placeholder"] = s(placeholder)
        c.ok("format_" + name, "StringFormat", xs, attrs)

    fmt("row_and_scalar", "x=%s y=%s", [np.arange(1, 8, dtype=np.int32).reshape(1, 7), st("s", shape=())])
    fmt("cube_summarize_1", "%s", [np.arange(24, dtype=np.int64).reshape(2, 3, 4)], summarize=1)
    fmt("cube_all", "<%s>", [np.arange(24, dtype=np.float32).reshape(2, 3, 4) / 4], summarize=-1)
    fmt("empty_matrix", "%s", [np.zeros([2, 0], np.float32)])
    fmt("empty_vector", "%s", [np.zeros([0], np.int32)])
    fmt("bools", "%s", [np.array([True, False])])
    fmt("floats", "%s", [np.array([1.5, 1e10, 1 / 3.0, np.nan, -np.inf], np.float32)], summarize=-1)
    fmt("doubles", "%s", [np.array([0.1, 1 / 3.0, 2.0 ** 60], np.float64)])
    fmt("strings_escaped", "%s", [st("a\"b", "c\nd", "\u00e9", "\x01", shape=(2, 2))])
    fmt("summarize_0", "%s", [np.arange(7, dtype=np.int64)], summarize=0)
    fmt("placeholder_braces", "a{}b{}", [np.array(1, np.int32), np.array([2], np.int32)], placeholder="{}")
    fmt("no_inputs", "just text", [])
    fmt("long_vector", "%s", [np.arange(100, dtype=np.int32)])


def _to_number(c):
    floats = st("1.5", "  2", "1e3", "0x10", "inf", "-nan", "NaN", "-INF", "infinity", "1.5 ", ".5", "5.", "1e+2",
                "  +3.5e-2  ", "-0x1p3", "0X1A", "\t1\n", "1" * 40, "3.4028236e38", "1e-50")
    c.ok("to_number_float", "StringToNumber", [floats], {"out_type": ty("float32")})
    c.ok("to_number_double", "StringToNumber", [floats], {"out_type": ty("float64")})
    c.ok("to_number_default_type", "StringToNumber", [st("2.5", shape=())], {})
    c.ok("to_number_int32", "StringToNumber", [st("12", " 3 ", "-7", "+8", "012", "-2147483648", shape=(2, 3))],
         {"out_type": ty("int32")})
    c.ok("to_number_int64", "StringToNumber", [st("9223372036854775807", "-1")], {"out_type": ty("int64")})
    c.ok("to_number_uint32", "StringToNumber", [st("4294967295", "0")], {"out_type": ty("uint32")})
    c.ok("to_number_uint64", "StringToNumber", [st("18446744073709551615")], {"out_type": ty("uint64")})
    for name, v, t in [("float_junk", "1.5abc", "float32"), ("float_infin", "infin", "float32"), ("float_empty", "", "float32"),
                       ("float_comma", "1,5", "float64"), ("float_signs", "+-1", "float32"), ("float_exp", "1e", "float32"),
                       ("float_0x", "0x", "float32"), ("int_float", "1.5", "int32"), ("int_hex", "0x10", "int32"),
                       ("int_overflow", "2147483648", "int32"), ("int_exp", "1e2", "int64"), ("uint_negative", "-1", "uint32"),
                       ("uint_minus_zero", "-0", "uint64"), ("uint64_overflow", "18446744073709551616", "uint64")]:
        c.err("to_number_err_" + name, "StringToNumber", [st("1", v)], {"out_type": ty(t)})


def _split(c):
    def split(name, xs, sep, maxsplit=None, fail=False):
        attrs = {} if maxsplit is None else {"maxsplit": i(maxsplit)}
        (c.err if fail else c.ok)("split_" + name, "StringSplitV2", [xs, st(sep, shape=())], attrs)

    split("whitespace", st("a b  c", " x ", "", "  ", "a\tb\nc\x0bd"), "")
    split("comma", st("a,b,,c", "", ",", "x"), ",")
    split("comma_max_1", st("a,b,,c", ""), ",", 1)
    split("whitespace_max_1", st("a b  c d", "a ", ""), "", 1)
    split("max_0", st("a b", " c "), "", 0)
    split("multi_byte_sep", st("a<>b<>", "<><>"), "<>")
    split("empty_input", st(shape=(0,)), ",")
    c.err("split_err_sep_vector", "StringSplitV2", [st("a"), st(",", ";")], {})
    c.err("split_err_input_matrix", "StringSplitV2", [st("a", "b", shape=(1, 2)), st(",", shape=())], {})


def _substr(c):
    words = st("hello", "hi", "", "world")
    def sub(name, xs, pos, ln, unit=None, t="int32", fail=False):
        attrs = {"T": ty(t)}
        if unit:
            attrs["unit"] = s(unit)
        (c.err if fail else c.ok)("substr_" + name, "Substr", [xs, np.array(pos, t), np.array(ln, t)], attrs)

    sub("scalar", st("hello", "hi"), 1, 3)
    sub("scalar_negative_pos", st("hello", "hi"), -2, 3)
    sub("negative_len", st("hello", "hi"), 1, -1, t="int64")
    sub("at_end", st("hello"), 5, 1)
    sub("elementwise", words, [1, 0, 0, 2], [3, 5, 0, 10])
    sub("broadcast_row", st("hello", "hi", "abc", "xyz", shape=(2, 2)), [1, 0], [2, 1])
    sub("broadcast_column", st("hello", "hi", "abc", "xyz", shape=(2, 2)), [[1], [0]], [[2], [1]])
    sub("utf8", st("h\u00e9llo", "\u00e9\u00e9\u00e9"), 1, 2, unit="UTF8_CHAR")
    sub("utf8_negative", st("h\u00e9llo", "ab"), -1, 2, unit="UTF8_CHAR")
    sub("utf8_negative_len", st("h\u00e9llo", "ab"), 1, -1, unit="UTF8_CHAR")
    sub("utf8_elementwise", st("h\u00e9llo", "\u00e9a"), [4, 0], [1, 1], unit="UTF8_CHAR")
    sub("err_pos_past_end", st("hello"), 6, 1, fail=True)
    sub("err_negative_past_start", st("hello", "hi"), -3, 1, fail=True)
    sub("err_elementwise_past_end", st("hello", "hi"), [1, 3], [3, 1], fail=True)
    sub("err_utf8_past_end", st("h\u00e9llo"), 6, 2, unit="UTF8_CHAR", fail=True)
    sub("err_pos_len_shapes", st("hello", "hi"), [1, 1], 2, fail=True)
    c.ok("length_bytes", "StringLength", [st("h\u00e9llo", "", "ab", "\xff", shape=(2, 2))], {})
    c.ok("length_utf8", "StringLength", [st("h\u00e9llo", "", "ab", "\u00e9\u00e9", shape=(2, 2))], {"unit": s("UTF8_CHAR")})


def _reduce_join(c):
    m = st("a", "b", "c", "d", shape=(2, 2))
    cube = st(*[str(k) for k in range(24)], shape=(2, 3, 4))
    def rj(name, x, dims, keep=None, sep=None, fail=False):
        attrs = {}
        if keep is not None:
            attrs["keep_dims"] = b(keep)
        if sep is not None:
            attrs["separator"] = s(sep)
        (c.err if fail else c.ok)("reduce_join_" + name, "ReduceJoin", [x, np.array(dims, np.int32)], attrs)

    rj("rows", m, [0], sep="-")
    rj("last_keep", m, [-1], keep=True)
    rj("none", m, [], keep=True)
    rj("scalar_dim", m, 1)
    rj("all", m, [0, 1], sep=",")
    rj("all_reversed", m, [1, 0], sep=",")
    rj("cube_0_2", cube, [0, 2], sep=",")
    rj("cube_2_0_keep", cube, [2, 0], sep=",", keep=True)
    rj("cube_1_2_0", cube, [1, 2, 0], sep=" ")
    rj("cube_0_1_2", cube, [0, 1, 2], sep=" ")
    rj("empty_dim", np.zeros([2, 0], dtype=object), [1], sep="|")
    rj("empty_dim_other", np.zeros([2, 0], dtype=object), [0], sep="|")
    rj("scalar_input", st("x", shape=()), [])
    rj("err_duplicate", m, [0, 0], fail=True)
    rj("err_duplicate_negative", m, [1, -1], fail=True)
    rj("err_too_large", m, [2], fail=True)
    rj("err_too_small", m, [-3], fail=True)


def main():
    c = Cases()
    _join(c)
    _full_match(c)
    _replace(c)
    _as_string(c)
    _format(c)
    _to_number(c)
    _split(c)
    _substr(c)
    _reduce_join(c)
    write_cases("crates/kernels/testdata/strings.json", c.cases, "tools/oracle/strings_cases.py")


if __name__ == "__main__":
    main()
