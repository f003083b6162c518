"""Prints TF 2.21's signature of ops in the syntax of ferroflow's op definitions (TF's REGISTER_OP
strings, with `?` for an unknown-rank shape default), ready to paste into a kernel family's
`register` function, or as JSON for the op-definition test data.

    python tools/oracle/op_signatures.py rust Conv2D MaxPool ...     # builder lines
    python tools/oracle/op_signatures.py json OUT.json Conv2D ...     # {op: {inputs, outputs, attrs}}

Run with the TF venv's python. Reads `op_def_registry`, i.e. exactly what TF validates against.
"""
import json
import math
import os
import struct
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import tensorflow as tf  # noqa: E402,F401
from tensorflow.core.framework import types_pb2  # noqa: E402
from tensorflow.python.framework import op_def_registry  # noqa: E402

DTYPE_NAMES = {
    types_pb2.DT_FLOAT: "float", types_pb2.DT_DOUBLE: "double", types_pb2.DT_INT32: "int32",
    types_pb2.DT_UINT8: "uint8", types_pb2.DT_INT16: "int16", types_pb2.DT_INT8: "int8",
    types_pb2.DT_STRING: "string", types_pb2.DT_COMPLEX64: "complex64", types_pb2.DT_INT64: "int64",
    types_pb2.DT_BOOL: "bool", types_pb2.DT_QINT8: "qint8", types_pb2.DT_QUINT8: "quint8",
    types_pb2.DT_QINT32: "qint32", types_pb2.DT_BFLOAT16: "bfloat16", types_pb2.DT_QINT16: "qint16",
    types_pb2.DT_QUINT16: "quint16", types_pb2.DT_UINT16: "uint16", types_pb2.DT_COMPLEX128: "complex128",
    types_pb2.DT_HALF: "half", types_pb2.DT_RESOURCE: "resource", types_pb2.DT_VARIANT: "variant",
    types_pb2.DT_UINT32: "uint32", types_pb2.DT_UINT64: "uint64",
}
for name in ("DT_FLOAT8_E5M2", "DT_FLOAT8_E4M3FN", "DT_INT4", "DT_UINT4", "DT_INT2", "DT_UINT2",
             "DT_FLOAT8_E4M3FNUZ", "DT_FLOAT8_E4M3B11FNUZ", "DT_FLOAT8_E5M2FNUZ"):
    if hasattr(types_pb2, name):
        DTYPE_NAMES[getattr(types_pb2, name)] = name[3:].lower()


def enum_name(t):
    return types_pb2.DataType.Name(t)


def fmt_float(x):
    """The shortest decimal that reads back as the same f32."""
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    if math.isnan(x):
        return "nan"
    f32 = struct.unpack("f", struct.pack("f", x))[0]
    for digits in range(1, 18):
        s = f"{f32:.{digits}g}"
        if struct.unpack("f", struct.pack("f", float(s)))[0] == f32:
            if "e" not in s and "." not in s and "inf" not in s and "nan" not in s:
                s += ".0"
            return s
    return repr(f32)


def fmt_str(b):
    s = b.decode("utf-8") if isinstance(b, bytes) else b
    return "'" + s.replace("\\", "\\\\").replace("'", "\\'") + "'"


def fmt_shape(shape):
    if shape.unknown_rank:
        return "?"
    return "[" + ", ".join(str(d.size) for d in shape.dim) + "]"


def fmt_default(kind, v):
    which = v.WhichOneof("value")
    if kind == "type":
        return enum_name(v.type)
    if kind == "int":
        return str(v.i)
    if kind == "float":
        return fmt_float(v.f)
    if kind == "bool":
        return "true" if v.b else "false"
    if kind == "string":
        return fmt_str(v.s)
    if kind == "shape":
        return fmt_shape(v.shape)
    if kind.startswith("list("):
        inner = kind[5:-1]
        lv = v.list
        if inner == "type":
            items = [enum_name(t) for t in lv.type]
        elif inner == "int":
            items = [str(i) for i in lv.i]
        elif inner == "float":
            items = [fmt_float(f) for f in lv.f]
        elif inner == "bool":
            items = ["true" if b else "false" for b in lv.b]
        elif inner == "string":
            items = [fmt_str(s) for s in lv.s]
        elif inner == "shape":
            items = [fmt_shape(s) for s in lv.shape]
        else:
            raise ValueError(f"default of {kind}: {v}")
        return "[" + ", ".join(items) + "]"
    raise ValueError(f"default of kind {kind} ({which}) not supported")


def attr_spec(a):
    kind = a.type
    if a.HasField("allowed_values"):
        lv = a.allowed_values.list
        if kind == "type":
            kind = "{" + ", ".join(DTYPE_NAMES[t] for t in lv.type) + "}"
        elif kind == "list(type)":
            kind = "list({" + ", ".join(DTYPE_NAMES[t] for t in lv.type) + "})"
        elif kind == "string":
            kind = "{" + ", ".join(fmt_str(s) for s in lv.s) + "}"
        else:
            raise ValueError(f"allowed values of {a.type}")
    s = f"{a.name}: {kind}"
    if a.has_minimum:
        s += f" >= {a.minimum}"
    if a.HasField("default_value"):
        s += " = " + fmt_default(a.type, a.default_value)
    return s


def arg_spec(arg):
    if arg.type_list_attr:
        t = arg.type_list_attr
    else:
        t = arg.type_attr or DTYPE_NAMES[arg.type]
        if arg.number_attr:
            t = f"{arg.number_attr} * {t}"
    if arg.is_ref:
        t = f"Ref({t})"
    return f"{arg.name}: {t}"


def signature(name):
    op = op_def_registry.get(name)
    if op is None:
        raise SystemExit(f"TF has no op {name}")
    return {
        "inputs": [arg_spec(a) for a in op.input_arg],
        "outputs": [arg_spec(a) for a in op.output_arg],
        "attrs": [attr_spec(a) for a in op.attr],
        "stateful": op.is_stateful,
    }


def rust(name):
    s = signature(name)
    parts = [f'reg.op("{name}")']
    parts += [f'.input("{x}")' for x in s["inputs"]]
    parts += [f'.output("{x}")' for x in s["outputs"]]
    parts += [f'.attr("{x}")' for x in s["attrs"]]
    if s["stateful"]:
        parts.append(".stateful()")
    return "\n    ".join(parts)


if __name__ == "__main__":
    mode, *rest = sys.argv[1:]
    if mode == "rust":
        for n in rest:
            print(rust(n))
    elif mode == "json":
        out, *names = rest
        with open(out, "w") as f:
            json.dump({n: signature(n) for n in names}, f, indent=1, sort_keys=True)
    else:
        raise SystemExit(__doc__)
