"""Writes the OpDefs that ferroflow-client builds graphs from: TF 2.21's own definitions (inputs,
outputs, attrs with their defaults) of every op with a ferroflow CPU kernel, as listed in
docs/compatibility.md, as a binary `OpList` with the documentation text removed.

    python tools/oracle/client_op_defs.py        # writes crates/client/src/op_defs.pb

Run with the TF venv's python from the repository root; re-run when kernels are added. The client
fills in default attrs and infers type attrs from these exactly as TF's `_apply_op_helper` does.
"""
import os
import re

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import tensorflow as tf  # noqa: E402,F401
from tensorflow.core.framework import op_def_pb2  # noqa: E402
from tensorflow.python.framework import op_def_registry  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def kernel_ops():
    text = open(os.path.join(ROOT, "docs", "compatibility.md")).read()
    table = text.split("### Ops with CPU kernels", 1)[1]
    return re.findall(r"^\| `([A-Za-z0-9_]+)` \| implemented", table, re.M)


def main():
    ops = op_def_pb2.OpList()
    for name in sorted(kernel_ops()):
        registered = op_def_registry.get(name)
        if registered is None:  # ferroflow-internal kernels TF registers no OpDef for
            continue
        op = ops.op.add()
        op.CopyFrom(registered)
        op.ClearField("summary")
        op.ClearField("description")
        for arg in list(op.input_arg) + list(op.output_arg):
            arg.ClearField("description")
        for attr in op.attr:
            attr.ClearField("description")
    out = os.path.join(ROOT, "crates", "client", "src", "op_defs.pb")
    with open(out, "wb") as f:
        f.write(ops.SerializeToString())
    print(f"{len(ops.op)} ops, {os.path.getsize(out)} bytes -> {out}")


if __name__ == "__main__":
    main()
