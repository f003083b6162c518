//! Test helpers: the captured TF requests in `testdata/tf_captures`, decoded with the project's own
//! message types (fields we do not declare, such as function libraries, are skipped), and
//! structural checks on partitions. Test-only; plain functions.

use ferroflow_framework::Attrs;
use ferroflow_proto::{CreateSessionRequest, GraphDef, NodeDef, RegisterGraphRequest};
use prost::Message;
use std::collections::BTreeMap;
use std::path::PathBuf;

fn capture_dir(scenario: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("testdata/tf_captures").join(scenario)
}

/// The graph of a captured `CreateSessionRequest` (its field 1).
pub fn session_graph(scenario: &str) -> GraphDef {
    let bytes = std::fs::read(capture_dir(scenario).join("create_session.req")).expect("capture file");
    let request = CreateSessionRequest::decode(bytes.as_slice()).expect("a CreateSessionRequest");
    request.graph_def.expect("CreateSessionRequest without a graph")
}

/// The graph of a captured `RegisterGraphRequest` (its field 2), by file name.
pub fn registered_graph(scenario: &str, file: &str) -> GraphDef {
    let bytes = std::fs::read(capture_dir(scenario).join(file)).expect("capture file");
    let request = RegisterGraphRequest::decode(bytes.as_slice()).expect("a RegisterGraphRequest");
    request.graph_def.expect("RegisterGraphRequest without a graph")
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
