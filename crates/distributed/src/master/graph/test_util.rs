//! Test helpers: a small protobuf wire-format reader for the captured TF requests in
//! `testdata/tf_captures` (this crate does not depend on `prost`, so the captures are decoded here;
//! function libraries, debug info and the rarer tensor fields are skipped), and structural checks
//! on partitions. Test-only; plain functions.

use ferroflow_framework::Attrs;
use ferroflow_proto::attr_value::{ListValue, Value};
use ferroflow_proto::{AttrValue, GraphDef, NodeDef, TensorProto, TensorShapeProto, VersionDef, tensor_shape_proto};
use std::collections::BTreeMap;
use std::path::PathBuf;

enum Wire<'a> {
    Varint(u64),
    Fixed64,
    Bytes(&'a [u8]),
    Fixed32(u32),
}

fn varint(buf: &[u8], pos: &mut usize) -> u64 {
    let mut v = 0u64;
    let mut shift = 0;
    loop {
        let b = buf[*pos];
        *pos += 1;
        v |= u64::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            return v;
        }
        shift += 7;
    }
}

/// The fields of one message, in wire order.
fn fields(buf: &[u8]) -> Vec<(u64, Wire<'_>)> {
    let mut pos = 0;
    let mut out = Vec::new();
    while pos < buf.len() {
        let key = varint(buf, &mut pos);
        let wire = match key & 7 {
            0 => Wire::Varint(varint(buf, &mut pos)),
            1 => {
                pos += 8;
                Wire::Fixed64
            }
            2 => {
                let len = varint(buf, &mut pos) as usize;
                pos += len;
                Wire::Bytes(&buf[pos - len..pos])
            }
            5 => {
                pos += 4;
                Wire::Fixed32(u32::from_le_bytes(buf[pos - 4..pos].try_into().unwrap()))
            }
            t => panic!("unsupported wire type {t}"),
        };
        out.push((key >> 3, wire));
    }
    out
}

fn string(b: &[u8]) -> String {
    String::from_utf8(b.to_vec()).expect("utf-8 string field")
}

/// Repeated varints, packed or not.
fn varints(w: &Wire<'_>, out: &mut Vec<u64>) {
    match w {
        Wire::Varint(v) => out.push(*v),
        Wire::Bytes(b) => {
            let mut pos = 0;
            while pos < b.len() {
                out.push(varint(b, &mut pos));
            }
        }
        _ => panic!("not a varint field"),
    }
}

/// Repeated floats, packed or not.
fn floats(w: &Wire<'_>, out: &mut Vec<f32>) {
    match w {
        Wire::Fixed32(v) => out.push(f32::from_bits(*v)),
        Wire::Bytes(b) => out.extend(b.chunks(4).map(|c| f32::from_le_bytes(c.try_into().unwrap()))),
        _ => panic!("not a float field"),
    }
}

fn shape(buf: &[u8]) -> TensorShapeProto {
    let mut s = TensorShapeProto::default();
    for (f, w) in fields(buf) {
        match (f, w) {
            (2, Wire::Bytes(b)) => {
                let mut d = tensor_shape_proto::Dim::default();
                for (f, w) in fields(b) {
                    match (f, w) {
                        (1, Wire::Varint(v)) => d.size = v as i64,
                        (2, Wire::Bytes(n)) => d.name = string(n),
                        _ => {}
                    }
                }
                s.dim.push(d);
            }
            (3, Wire::Varint(v)) => s.unknown_rank = v != 0,
            _ => {}
        }
    }
    s
}

fn tensor(buf: &[u8]) -> TensorProto {
    let mut t = TensorProto::default();
    for (f, w) in fields(buf) {
        match (f, &w) {
            (1, Wire::Varint(v)) => t.dtype = *v as i32,
            (2, Wire::Bytes(b)) => t.tensor_shape = Some(shape(b)),
            (4, Wire::Bytes(b)) => t.tensor_content = b.to_vec().into(),
            (5, _) => floats(&w, &mut t.float_val),
            (7, _) => {
                let mut v = Vec::new();
                varints(&w, &mut v);
                t.int_val.extend(v.into_iter().map(|x| x as i32));
            }
            (10, _) => {
                let mut v = Vec::new();
                varints(&w, &mut v);
                t.int64_val.extend(v.into_iter().map(|x| x as i64));
            }
            (11, _) => {
                let mut v = Vec::new();
                varints(&w, &mut v);
                t.bool_val.extend(v.into_iter().map(|x| x != 0));
            }
            _ => {}
        }
    }
    t
}

fn list(buf: &[u8]) -> ListValue {
    let mut l = ListValue::default();
    for (f, w) in fields(buf) {
        match (f, &w) {
            (2, Wire::Bytes(b)) => l.s.push(b.to_vec()),
            (3, _) => {
                let mut v = Vec::new();
                varints(&w, &mut v);
                l.i.extend(v.into_iter().map(|x| x as i64));
            }
            (4, _) => floats(&w, &mut l.f),
            (5, _) => {
                let mut v = Vec::new();
                varints(&w, &mut v);
                l.b.extend(v.into_iter().map(|x| x != 0));
            }
            (6, _) => {
                let mut v = Vec::new();
                varints(&w, &mut v);
                l.r#type.extend(v.into_iter().map(|x| x as i32));
            }
            (7, Wire::Bytes(b)) => l.shape.push(shape(b)),
            (8, Wire::Bytes(b)) => l.tensor.push(tensor(b)),
            _ => {}
        }
    }
    l
}

fn attr_value(buf: &[u8]) -> AttrValue {
    let mut value = None;
    for (f, w) in fields(buf) {
        value = match (f, w) {
            (1, Wire::Bytes(b)) => Some(Value::List(list(b))),
            (2, Wire::Bytes(b)) => Some(Value::S(b.to_vec())),
            (3, Wire::Varint(v)) => Some(Value::I(v as i64)),
            (4, Wire::Fixed32(v)) => Some(Value::F(f32::from_bits(v))),
            (5, Wire::Varint(v)) => Some(Value::B(v != 0)),
            (6, Wire::Varint(v)) => Some(Value::Type(v as i32)),
            (7, Wire::Bytes(b)) => Some(Value::Shape(shape(b))),
            (8, Wire::Bytes(b)) => Some(Value::Tensor(tensor(b))),
            (9, Wire::Bytes(b)) => Some(Value::Placeholder(string(b))),
            _ => value,
        };
    }
    AttrValue { value }
}

fn node_def(buf: &[u8]) -> NodeDef {
    let mut n = NodeDef::default();
    for (f, w) in fields(buf) {
        let Wire::Bytes(b) = w else { continue };
        match f {
            1 => n.name = string(b),
            2 => n.op = string(b),
            3 => n.input.push(string(b)),
            4 => n.device = string(b),
            5 => {
                let (mut key, mut value) = (String::new(), AttrValue::default());
                for (f, w) in fields(b) {
                    match (f, w) {
                        (1, Wire::Bytes(k)) => key = string(k),
                        (2, Wire::Bytes(v)) => value = attr_value(v),
                        _ => {}
                    }
                }
                n.attr.insert(key, value);
            }
            _ => {}
        }
    }
    n
}

fn graph_def(buf: &[u8]) -> GraphDef {
    let mut g = GraphDef::default();
    for (f, w) in fields(buf) {
        match (f, w) {
            (1, Wire::Bytes(b)) => g.node.push(node_def(b)),
            (3, Wire::Varint(v)) => g.version = v as i32,
            (4, Wire::Bytes(b)) => {
                let mut v = VersionDef::default();
                for (f, w) in fields(b) {
                    if let (1, Wire::Varint(p)) = (f, w) {
                        v.producer = p as i32;
                    }
                }
                g.versions = Some(v);
            }
            _ => {}
        }
    }
    g
}

fn capture_dir(scenario: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("testdata/tf_captures").join(scenario)
}

/// The graph of a captured `CreateSessionRequest` (its field 1).
pub fn session_graph(scenario: &str) -> GraphDef {
    let bytes = std::fs::read(capture_dir(scenario).join("create_session.req")).expect("capture file");
    let graph = fields(&bytes).into_iter().find_map(|(f, w)| match (f, w) {
        (1, Wire::Bytes(b)) => Some(graph_def(b)),
        _ => None,
    });
    graph.expect("CreateSessionRequest without a graph")
}

/// The graph of a captured `RegisterGraphRequest` (its field 2), by file name.
pub fn registered_graph(scenario: &str, file: &str) -> GraphDef {
    let bytes = std::fs::read(capture_dir(scenario).join(file)).expect("capture file");
    let graph = fields(&bytes).into_iter().find_map(|(f, w)| match (f, w) {
        (2, Wire::Bytes(b)) => Some(graph_def(b)),
        _ => None,
    });
    graph.expect("RegisterGraphRequest without a graph")
}

pub fn is_transfer(n: &NodeDef) -> bool {
    n.op == "_Send" || n.op == "_Recv"
}

/// A transfer's (tensor_name, send_device, incarnation, recv_device, dtype).
fn transfer_key(n: &NodeDef) -> (String, String, i64, String, &'static str) {
    let a = Attrs::new(n);
    let dtype = if n.op == "_Send" { a.get_type("T") } else { a.get_type("tensor_type") };
    (
        a.get_string("tensor_name").unwrap(),
        a.get_string("send_device").unwrap(),
        a.get_int("send_device_incarnation").unwrap(),
        a.get_string("recv_device").unwrap(),
        dtype.unwrap().name(),
    )
}

/// Checks that every cross-device `_Send` has exactly one matching `_Recv` (same key and type) in
/// the receiving device's partition and the other way round, that each sits on the right device,
/// and that every node of a partition is placed on that partition's device.
pub fn check_pairs(parts: &BTreeMap<String, GraphDef>) {
    let mut sends = Vec::new();
    let mut recvs = Vec::new();
    for (device, g) in parts {
        for n in &g.node {
            assert_eq!(&n.device, device, "node {} in the partition of {device}", n.name);
            if !is_transfer(n) || Attrs::new(n).get_bool_or("client_terminated", false).unwrap() {
                continue;
            }
            let key = transfer_key(n);
            if n.op == "_Send" {
                assert_eq!(&key.1, device, "_Send {} not on its send device", n.name);
                sends.push(key);
            } else {
                assert_eq!(&key.3, device, "_Recv {} not on its recv device", n.name);
                recvs.push(key);
            }
        }
    }
    sends.sort();
    recvs.sort();
    assert_eq!(sends, recvs, "unpaired transfers");
    let mut dedup = sends.clone();
    dedup.dedup();
    assert_eq!(dedup.len(), sends.len(), "duplicate transfer keys");
}
