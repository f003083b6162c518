"""Writes proto3 declarations of TensorFlow messages from stock TF's own descriptors, and the
descriptor set the proto crate's test checks every declared field against.

    python tools/oracle/proto_decls.py decl OUT.proto PACKAGE_FILE:Message[,Message...] ...
    python tools/oracle/proto_decls.py fds OUT.fds.pb tensorflow/core/util/event.proto ...

`decl` prints the named messages (with their nested types) of the named TF .proto files as proto3
text: names, numbers, types and labels only, which is all the wire needs. `fds` writes a
FileDescriptorSet of the named files and everything they import. Run with the TF venv's python.
"""
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
from google.protobuf import descriptor_pb2, descriptor_pool  # noqa: E402
import tensorflow  # noqa: E402,F401  (registers TF's descriptors in the default pool)
from tensorflow.core.protobuf import meta_graph_pb2, saver_pb2, tensor_bundle_pb2  # noqa: E402,F401
from tensorflow.core.framework import function_pb2, summary_pb2, tensor_slice_pb2  # noqa: E402,F401
from tensorflow.core.util import event_pb2  # noqa: E402,F401
from tensorflow.core.example import example_pb2, feature_pb2  # noqa: E402,F401

POOL = descriptor_pool.Default()
F = descriptor_pb2.FieldDescriptorProto
SCALARS = {
    F.TYPE_DOUBLE: "double", F.TYPE_FLOAT: "float", F.TYPE_INT64: "int64", F.TYPE_UINT64: "uint64",
    F.TYPE_INT32: "int32", F.TYPE_FIXED64: "fixed64", F.TYPE_FIXED32: "fixed32", F.TYPE_BOOL: "bool",
    F.TYPE_STRING: "string", F.TYPE_BYTES: "bytes", F.TYPE_UINT32: "uint32", F.TYPE_SFIXED32: "sfixed32",
    F.TYPE_SFIXED64: "sfixed64", F.TYPE_SINT32: "sint32", F.TYPE_SINT64: "sint64",
}


def file_proto(name):
    fd = POOL.FindFileByName(name)
    p = descriptor_pb2.FileDescriptorProto()
    fd.CopyToProto(p)
    return p


def type_name(f):
    if f.type in (F.TYPE_MESSAGE, F.TYPE_ENUM):
        return f.type_name.lstrip(".").removeprefix("tensorflow.")
    return SCALARS[f.type]


def emit_enum(e, indent, out):
    out.append(f"{indent}enum {e.name} {{")
    for v in e.value:
        out.append(f"{indent}  {v.name} = {v.number};")
    out.append(f"{indent}}}")


def emit_message(m, indent, out):
    out.append(f"{indent}message {m.name} {{")
    maps = {n.name: n for n in m.nested_type if n.options.map_entry}
    for n in m.nested_type:
        if not n.options.map_entry:
            emit_message(n, indent + "  ", out)
    for e in m.enum_type:
        emit_enum(e, indent + "  ", out)
    real_oneofs = {i for i, o in enumerate(m.oneof_decl)}
    synthetic = {f.oneof_index for f in m.field if f.HasField("oneof_index") and f.proto3_optional}
    emitted_oneofs = set()
    for f in m.field:
        if f.HasField("oneof_index") and f.oneof_index not in synthetic:
            if f.oneof_index in emitted_oneofs:
                continue
            emitted_oneofs.add(f.oneof_index)
            out.append(f"{indent}  oneof {m.oneof_decl[f.oneof_index].name} {{")
            for g in m.field:
                if g.HasField("oneof_index") and g.oneof_index == f.oneof_index:
                    out.append(f"{indent}    {type_name(g)} {g.name} = {g.number};")
            out.append(f"{indent}  }}")
            continue
        entry = maps.get(f.type_name.rsplit(".", 1)[-1]) if f.type == F.TYPE_MESSAGE else None
        if entry is not None and f.label == F.LABEL_REPEATED:
            k, v = entry.field[0], entry.field[1]
            out.append(f"{indent}  map<{type_name(k)}, {type_name(v)}> {f.name} = {f.number};")
            continue
        label = "repeated " if f.label == F.LABEL_REPEATED else ("optional " if f.proto3_optional else "")
        out.append(f"{indent}  {label}{type_name(f)} {f.name} = {f.number};")
    del real_oneofs
    out.append(f"{indent}}}")


def decl(specs):
    out = []
    for spec in specs:
        fname, names = spec.split(":")
        p = file_proto(fname)
        out.append(f"// ---- from {fname}")
        wanted = names.split(",")
        by_name = {m.name: m for m in p.message_type}
        enums = {e.name: e for e in p.enum_type}
        for n in wanted:
            if n in by_name:
                emit_message(by_name[n], "", out)
            elif n in enums:
                emit_enum(enums[n], "", out)
            else:
                raise SystemExit(f"{n} is not in {fname}")
            out.append("")
    return "\n".join(out)


def fds(names):
    seen, order = set(), []

    def add(name):
        if name in seen:
            return
        seen.add(name)
        p = file_proto(name)
        for d in p.dependency:
            add(d)
        order.append(p)

    for n in names:
        add(n)
    s = descriptor_pb2.FileDescriptorSet()
    s.file.extend(order)
    return s.SerializeToString()


if __name__ == "__main__":
    mode, out_path, *args = sys.argv[1:]
    if mode == "decl":
        text = decl(args)
        if out_path == "-":
            print(text)
        else:
            open(out_path, "w").write(text)
    elif mode == "fds":
        open(out_path, "wb").write(fds(args))
    else:
        raise SystemExit(__doc__)
