#!/usr/bin/env python3
"""Oracle cases for ferroflow's `tf.sparse` basics, computed by stock TF 2.21: `SparseToDense`
(vector, matrix and scalar indices, scalar and per-entry values, int32 and int64 indices, several
dtypes, unsorted input with and without `validate_indices`), `SparseReshape` (inferred `-1`
dimensions, empty inputs), `SparseFillEmptyRows` (empty rows first, last and in between, unsorted
input, no entries at all) and `SparseFillEmptyRowsGrad`, with TF's errors.

Run with the TF virtualenv:

    ~/.cache/ferroflow/tfvenv-2.21/bin/python tools/oracle/sparse_cases.py

It writes crates/kernels/testdata/sparse.json, in the schema of array_cases.py (whose helpers
this script imports).
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from array_cases import Cases, b, np, rnd, ty, write_cases  # noqa: E402

I64 = np.int64


def _dtype(values):
    values = np.asarray(values)
    return "string" if values.dtype == object or values.dtype.kind in "SU" else values.dtype.name


def _to_dense(c, rng):
    def case(name, idx, shape, values, default, validate=None, ok=True):
        idx = np.asarray(idx)
        attrs = {"T": ty(_dtype(values)), "Tindices": ty(idx.dtype.name)}
        if validate is not None:
            attrs["validate_indices"] = b(validate)
        (c.err if name.startswith("err_") else c.ok)(f"to_dense_{name}", "SparseToDense", [idx, np.asarray(shape, idx.dtype), values, default], attrs)

    m = np.array([[0, 1], [1, 0], [2, 3]], I64)
    for dt in ("float32", "float64", "int32", "int64", "bool", "string"):
        vals = rnd(rng, [3], dt)
        case(f"matrix_{dt}", m, [3, 4], vals, rnd(rng, [], dt))
    case("matrix_int32_indices", m.astype(np.int32), [3, 4], rnd(rng, [3], "float32"), np.float32(-1))
    case("vector_indices", np.array([0, 3, 5], I64), [6], rnd(rng, [3], "float32"), np.float32(0))
    case("scalar_index", np.array(2, I64), [4], np.float32(7), np.float32(1))
    case("scalar_value_broadcast", m, [3, 4], np.float32(2.5), np.float32(0))
    case("rank3", np.array([[0, 0, 1], [1, 2, 0]], I64), [2, 3, 2], rnd(rng, [2], "int32"), np.int32(9))
    case("no_entries", np.zeros([0, 2], I64), [2, 3], np.zeros([0], np.float32), np.float32(4))
    unsorted = np.array([[1, 0], [0, 1]], I64)
    case("unsorted_unvalidated", unsorted, [2, 2], np.array([1.0, 2.0], np.float32), np.float32(0), validate=False)
    case("err_unsorted", unsorted, [2, 2], np.array([1.0, 2.0], np.float32), np.float32(0), ok=False)
    case("err_repeated", np.array([[0, 1], [0, 1]], I64), [2, 2], np.array([1.0, 2.0], np.float32), np.float32(0), ok=False)
    case("err_out_of_bounds", np.array([[0, 1], [2, 0]], I64), [2, 2], np.array([1.0, 2.0], np.float32), np.float32(0), ok=False)
    case("err_negative", np.array([[0, -1]], I64), [2, 2], np.array([1.0], np.float32), np.float32(0), ok=False)
    case("err_values_count", m, [3, 4], np.array([1.0, 2.0], np.float32), np.float32(0), ok=False)
    case("err_default_vector", m, [3, 4], rnd(rng, [3], "float32"), np.zeros([1], np.float32), ok=False)
    case("err_shape_rank", m, [3, 4, 5], rnd(rng, [3], "float32"), np.float32(0), ok=False)
    case("err_indices_rank3", np.zeros([1, 1, 2], I64), [3, 4], np.float32(1), np.float32(0), ok=False)
    case("err_shape_matrix", m, [[3, 4]], rnd(rng, [3], "float32"), np.float32(0), ok=False)


def _reshape(c):
    def case(name, idx, shape, new, ok=True):
        (c.err if name.startswith("err_") else c.ok)(f"reshape_{name}", "SparseReshape", [np.asarray(idx, I64), np.asarray(shape, I64), np.asarray(new, I64)], {})

    idx = [[0, 0, 1], [0, 2, 3], [1, 1, 0], [1, 2, 4]]
    case("flatten", idx, [2, 3, 5], [-1])
    case("to_matrix", idx, [2, 3, 5], [6, 5])
    case("infer_rows", idx, [2, 3, 5], [-1, 10])
    case("infer_middle", idx, [2, 3, 5], [3, -1, 2])
    case("up_rank", [[1], [7], [29]], [30], [2, 3, 5])
    case("same", idx, [2, 3, 5], [2, 3, 5])
    case("empty", np.zeros([0, 2], I64), [4, 6], [-1, 8])
    case("zero_dim", np.zeros([0, 2], I64), [0, 6], [3, 0, 4])
    case("err_zero_dim_infer", np.zeros([0, 2], I64), [0, 6], [3, 0, -1], ok=False)
    case("err_two_unknown", idx, [2, 3, 5], [-1, -1])
    case("err_size_mismatch", idx, [2, 3, 5], [7, 5])
    case("err_not_divisible", idx, [2, 3, 5], [-1, 7])
    case("err_negative", idx, [2, 3, 5], [-2, 15])
    case("err_indices_rank_mismatch", idx, [6, 5], [30])
    case("err_shape_not_vector", idx, [[2, 3, 5]], [30])


def _fill_empty_rows(c, rng):
    def case(name, idx, values, shape, default, ok=True):
        values = np.asarray(values)
        (c.err if name.startswith("err_") else c.ok)(f"fill_empty_rows_{name}", "SparseFillEmptyRows",
                                [np.asarray(idx, I64).reshape(-1, 2), values, np.asarray(shape, I64), default],
                                {"T": ty(_dtype(values))})

    case("middle_and_end", [[0, 1], [0, 3], [2, 0], [3, 1]], rnd(rng, [4], "float32"), [6, 5], np.float32(-1))
    case("first_rows", [[2, 0], [2, 3], [3, 1]], rnd(rng, [3], "float64"), [4, 4], np.float64(9))
    case("none_empty", [[0, 0], [1, 2], [2, 1]], rnd(rng, [3], "int64"), [3, 3], np.int64(0))
    case("all_empty", np.zeros([0, 2]), np.zeros([0], np.int32), [3, 2], np.int32(5))
    case("unsorted", [[3, 1], [0, 2], [3, 0], [1, 1]], rnd(rng, [4], "float32"), [5, 3], np.float32(0))
    case("strings", [[1, 0], [1, 1]], np.array(["a", "b"], dtype=object), [3, 2], np.array("zz", dtype=object))
    case("bool", [[0, 0]], np.array([True]), [2, 1], np.array(False))
    case("err_row_out_of_range", [[0, 0], [4, 1]], rnd(rng, [2], "float32"), [3, 2], np.float32(0), ok=False)
    case("err_negative_row", [[-1, 0]], rnd(rng, [1], "float32"), [3, 2], np.float32(0), ok=False)
    case("err_values_count", [[0, 0], [1, 1]], rnd(rng, [3], "float32"), [3, 2], np.float32(0), ok=False)
    case("err_default_vector", [[0, 0]], rnd(rng, [1], "float32"), [3, 2], np.zeros([1], np.float32), ok=False)
    case("err_dense_shape_empty", np.zeros([0, 2]), np.zeros([0], np.float32), np.zeros([0]), np.float32(0), ok=False)


def _fill_empty_rows_grad(c, rng):
    def case(name, reverse, grads, ok=True):
        grads = np.asarray(grads)
        (c.err if name.startswith("err_") else c.ok)(f"fill_empty_rows_grad_{name}", "SparseFillEmptyRowsGrad", [np.asarray(reverse, I64), grads],
                                {"T": ty(grads.dtype.name)})

    case("some_filled", [0, 1, 3, 5], rnd(rng, [7], "float32"))
    case("none_filled", [1, 0, 2], rnd(rng, [3], "float64"))
    case("all_filled", np.zeros([0], I64), rnd(rng, [3], "float32"))
    case("int64", [2, 0], rnd(rng, [4], "int64"))
    case("err_index_out_of_range", [0, 9], rnd(rng, [3], "float32"), ok=False)
    case("err_reverse_matrix", [[0, 1]], rnd(rng, [3], "float32"), ok=False)
    case("err_grad_matrix", [0], rnd(rng, [1, 3], "float32"), ok=False)


def main():
    rng = np.random.default_rng(5)
    c = Cases()
    _to_dense(c, rng)
    _reshape(c)
    _fill_empty_rows(c, rng)
    _fill_empty_rows_grad(c, rng)
    write_cases("crates/kernels/testdata/sparse.json", c.cases, "tools/oracle/sparse_cases.py")


if __name__ == "__main__":
    main()
