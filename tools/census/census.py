"""The op census: which op types real TF programs put in the graphs a client sends, and which of
them ferroflow has no kernel for.

    ~/.cache/ferroflow/tfvenv-2.21/bin/python tools/census/census.py [--out-dir DIR] [--verbose]

Builds every case registered by the `cases_*` modules (graph construction only, through the public
`tf.compat.v1` API, each in its own `tf.Graph`), with the gradient of a scalar loss through every
floating output, and collects the op types of each graph's `GraphDef` including its function
library. Writes `census.json` (`{area: sorted op types}`) and `missing.md` (every op type ferroflow
lacks, with the areas that need it, most-needed first, then the cases TF 2.21 cannot build) into
the output directory (default: this directory) and prints, per area, the op types ferroflow lacks.

What ferroflow has is read from `docs/compatibility.md`, which a test keeps equal to the kernel
registry. Op types that only TF's master adds when it partitions a graph (`_Send`, `_Recv`, ...)
never appear in a client's graph, so the census never asks for them.

Single-threaded: TF's behaviour toggles (resource variables, control flow v2) are process globals.
"""
import argparse
import json
import os
import re
import shutil
import sys
import tempfile
import warnings

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import tensorflow as tf  # noqa: E402

tf.get_logger().setLevel("ERROR")
warnings.simplefilter("ignore")  # deprecation chatter from the TF1 APIs the census calls on purpose
tf.compat.v1.disable_eager_execution()

import registry  # noqa: E402
from report import ferroflow_ops, missing_markdown  # noqa: E402
import cases_array  # noqa: E402,F401
import cases_control  # noqa: E402,F401
import cases_io  # noqa: E402,F401
import cases_loop  # noqa: E402,F401
import cases_math  # noqa: E402,F401
import cases_nn  # noqa: E402,F401
import cases_train  # noqa: E402,F401

v1 = tf.compat.v1
HERE = os.path.dirname(os.path.abspath(__file__))
# A node whose op is the name of a function in the graph's library (a direct call, as
# `tf.compat.v1` `Defun`-style callers and gradient functions write them) is counted as this entry.
FUNCTION_CALL = "(call of a library function by name)"


def graph_op_types(graph):
    """Every op type in the graph's GraphDef, its function library's bodies included."""
    gd = graph.as_graph_def()
    functions = {f.signature.name for f in gd.library.function}
    types = {n.op for n in gd.node}
    for f in gd.library.function:
        types.update(n.op for n in f.node_def)
    if types & functions:
        types = (types - functions) | {FUNCTION_CALL}
    return types


def floating_outputs(outs):
    flat = tf.nest.flatten(outs, expand_composites=True)
    return [t for t in flat if isinstance(t, tf.Tensor) and t.dtype.is_floating]


def build(case, tmpdir, grad_only=None):
    """Builds the case's graph; differentiates every floating output (or those in `grad_only`).
    Returns the graph and the number of floating outputs."""
    graph = tf.Graph()
    with registry.behaviour(case.mode), graph.as_default():
        ctx = registry.Ctx(tmpdir)
        outs = case.fn(ctx)
        ys = floating_outputs(outs)
        chosen = ys if grad_only is None else [ys[i] for i in grad_only]
        seen = {id(x) for x in ctx.inputs}  # by identity: `==` on tensors builds an op
        xs = ctx.inputs + [v for v in v1.trainable_variables() if id(v) not in seen]
        if chosen and xs:
            v1.gradients([tf.reduce_sum(y) for y in chosen], xs)
        v1.global_variables_initializer()
        v1.local_variables_initializer()
        v1.tables_initializer()
    return graph, len(ys)


def describe(err, tmpdir):
    first = (str(err).strip().splitlines() or [""])[0]
    first = first.replace(tmpdir, "<tmp>")
    first = re.sub(r"0x[0-9a-f]+", "0x…", first)
    return f"{type(err).__name__}: {first[:240]}"


def run_case(case, tmpdir):
    """Returns (op types, build error or None, notes about outputs TF cannot differentiate)."""
    try:
        graph, _ = build(case, tmpdir)
        return graph_op_types(graph), None, []
    except Exception as err:  # noqa: BLE001 - a case TF cannot build is reported, not fatal
        first_err = err
    # Either the forward graph or a gradient failed: find out which, output by output, in fresh
    # graphs so a half-built gradient leaves no ops behind.
    try:
        graph, n = build(case, tmpdir, grad_only=[])
    except Exception as err:  # noqa: BLE001
        return set(), describe(err, tmpdir), []
    ok, notes = [], []
    for i in range(n):
        try:
            build(case, tmpdir, grad_only=[i])
            ok.append(i)
        except Exception as err:  # noqa: BLE001
            notes.append(f"output {i}: {describe(err, tmpdir)}")
    if not notes:  # every output differentiates alone, but not together
        return set(), describe(first_err, tmpdir), []
    graph, _ = build(case, tmpdir, grad_only=ok)
    return graph_op_types(graph), None, notes


def run_census(verbose=False):
    """Returns ({area: set of op types}, [(area, case, error)], [(area, case, gradient note)])."""
    tmpdir = tempfile.mkdtemp(prefix="ferroflow-census-")
    areas, failures, notes = {}, [], []
    try:
        for case in registry.CASES:
            ops, err, case_notes = run_case(case, tmpdir)
            areas.setdefault(case.area, set()).update(ops)
            if err:
                failures.append((case.area, case.name, err))
            notes.extend((case.area, case.name, n) for n in case_notes)
            if verbose:
                print(f"  {case.area}/{case.name}: {len(ops)} ops{' FAILED ' + err if err else ''}", file=sys.stderr)
    finally:
        shutil.rmtree(tmpdir, ignore_errors=True)
    return areas, failures, notes


def census_json(areas):
    return json.dumps({a: sorted(ops) for a, ops in areas.items()}, indent=1, sort_keys=False) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out-dir", default=HERE, help="where census.json and missing.md go")
    parser.add_argument("--verbose", action="store_true", help="print every case as it is built")
    args = parser.parse_args()
    areas, failures, notes = run_census(args.verbose)
    have = ferroflow_ops()
    os.makedirs(args.out_dir, exist_ok=True)
    with open(os.path.join(args.out_dir, "census.json"), "w", encoding="utf-8") as f:
        f.write(census_json(areas))
    with open(os.path.join(args.out_dir, "missing.md"), "w", encoding="utf-8") as f:
        f.write(missing_markdown(areas, have, failures))
    total = set().union(*areas.values())
    for area, ops in areas.items():
        lacking = sorted(ops - have)
        print(f"{area}: {len(ops)} op types, {len(lacking)} missing" + (": " + " ".join(lacking) if lacking else ""))
    for area, name, err in failures:
        print(f"NOT BUILT in TF 2.21: {area}/{name}: {err}")
    if args.verbose:
        for area, name, note in notes:
            print(f"no gradient: {area}/{name}: {note}")
    print(f"{len(registry.CASES)} cases, {len(areas)} areas, {len(total)} op types, "
          f"{len(total - have)} missing, {len(failures)} cases not built")


if __name__ == "__main__":
    main()
