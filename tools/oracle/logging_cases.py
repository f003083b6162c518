#!/usr/bin/env python3
"""Oracle cases for ferroflow's logging kernels, computed by stock TF 2.21: `Assert` passing and
failing, with data tensors of several types and ranks and `summarize` limits (TF's
`SummarizeValue` text in the message).

Run with the TF virtualenv:

    ~/.cache/ferroflow/tfvenv-2.21/bin/python tools/oracle/logging_cases.py

It writes crates/kernels/testdata/logging.json, in the schema of array_cases.py (whose helpers this
script imports).
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from array_cases import Cases, i, lt, np, write_cases  # noqa: E402


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


def main():
    c = Cases()
    _assert(c)
    write_cases("crates/kernels/testdata/logging.json", c.cases, "tools/oracle/logging_cases.py")


if __name__ == "__main__":
    main()
