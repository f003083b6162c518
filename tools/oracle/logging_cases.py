#!/usr/bin/env python3
"""Oracle cases for ferroflow's logging kernels, computed by stock TF 2.21: `Assert` passing and
failing, with data tensors of several types and ranks and `summarize` limits (TF's
`SummarizeValue` text in the message); `PrintV2` to each stream and its errors (what it writes is
checked by the unit tests); `CheckNumerics` and `CheckNumericsV2` passing and naming what they
found.

Run with the TF virtualenv:

    ~/.cache/ferroflow/tfvenv-2.21/bin/python tools/oracle/logging_cases.py

It writes crates/kernels/testdata/logging.json, in the schema of array_cases.py (whose helpers this
script imports).
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from array_cases import Cases, f, i, lt, np, s, ty, write_cases  # noqa: E402


def _assert(c):
    def case(name, cond, data, summarize=None, ok=False):
        attrs = {"T": lt([d.dtype.name if d.dtype != object else "string" for d in data])}
        if summarize is not None:
            attrs["summarize"] = i(summarize)
        (c.ok if ok else c.err)(name, "Assert", [np.array(cond)] + data, attrs)

    case("assert_true", True, [np.array([1.0, 2.0], np.float32)], ok=True)
    case("assert_err_vector_cond", [True], [np.array(3, np.int32)])
    case("assert_false_message_and_values", False,
         [np.array([b"x must be positive:"], dtype=object), np.array([-1.5, 2.0, 0.25], np.float32)])
    case("assert_false_matrix_summarized", False, [np.arange(12, dtype=np.int32).reshape(3, 4)])
    case("assert_false_matrix_summarize_20", False, [np.arange(12, dtype=np.int64).reshape(3, 4)], summarize=20)
    case("assert_false_scalars", False, [np.array(7, np.int32), np.array(0.1, np.float64), np.array(True)])
    case("assert_false_3d", False, [np.arange(8, dtype=np.float32).reshape(2, 2, 2) / 3.0], summarize=5)
    case("assert_false_empty", False, [np.zeros([0, 2], np.float32)])
    case("assert_err_cond_matrix", [[True, False]], [np.array(3, np.int32)])
    case("assert_false_strings", False, [np.array([b"a", b"b\n", b"c", b"d"], dtype=object)], summarize=2)


def _print(c):
    msg = np.array(b"printed by the oracle", dtype=object)
    for stream in ["stderr", "stdout", "log(info)", "log(warning)", "log(error)"]:
        c.ok("print_" + stream.replace("(", "_").replace(")", ""), "PrintV2", [msg], {"output_stream": s(stream)})
    c.ok("print_default_end", "PrintV2", [msg], {})
    c.ok("print_custom_end", "PrintV2", [msg], {"end": s(" <end>\n")})
    c.err("print_err_stream", "PrintV2", [msg], {"output_stream": s("nowhere")})
    c.err("print_err_not_scalar", "PrintV2", [np.array([b"a", b"b"], dtype=object)], {})


def _check_numerics(c):
    def check(name, x, v2=False, ok=False):
        op = "CheckNumericsV2" if v2 else "CheckNumerics"
        (c.ok if ok else c.err)(("check_v2_" if v2 else "check_") + name, op, [x],
                                {"T": ty(x.dtype.name), "message": s("bad values")})

    for v2 in (False, True):
        check("finite", np.array([1.0, -2.5, 0.0], np.float32), v2, ok=True)
        check("finite_double", np.array([[1e300, -1e-300]], np.float64), v2, ok=True)
        check("empty", np.zeros([0, 3], np.float32), v2, ok=True)
        check("nan", np.array([1.0, np.nan], np.float32), v2)
        check("pos_inf", np.array([np.inf, 1.0], np.float64), v2)
        check("neg_inf", np.array([-np.inf], np.float32), v2)
        check("both_inf", np.array([-np.inf, np.inf], np.float32), v2)
        check("inf_nan", np.array([np.inf, np.nan], np.float32), v2)
        check("all", np.array([1.0, np.inf, -np.inf, np.nan], np.float64), v2)


def main():
    c = Cases()
    _assert(c)
    _print(c)
    _check_numerics(c)
    write_cases("crates/kernels/testdata/logging.json", c.cases, "tools/oracle/logging_cases.py")


if __name__ == "__main__":
    main()
