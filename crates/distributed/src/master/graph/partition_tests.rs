//! Tests of the partitioner on hand-made placed graphs. Test-only, single-threaded.

use super::*;
use crate::master::graph::test_util::check_pairs;
use ferroflow_framework::Code;

const MASTER: &str = "/job:master/replica:0/task:0/device:CPU:0";
const W0: &str = "/job:worker/replica:0/task:0/device:CPU:0";
const W1: &str = "/job:worker/replica:0/task:1/device:CPU:0";

fn incarnations() -> HashMap<String, u64> {
    [(MASTER, 0x8000_0000_0000_0001u64), (W0, 10), (W1, 11)].into_iter().map(|(d, i)| (d.to_string(), i)).collect()
}

fn f32_node(name: &str, op: &str, device: &str) -> NodeDefBuilder {
    NodeDefBuilder::new(name, op).attr_type("T", DType::Float).device(device)
}

fn graph(nodes: Vec<NodeDefBuilder>) -> GraphDef {
    GraphDef {
        node: nodes.into_iter().map(NodeDefBuilder::build).collect(),
        versions: Some(ferroflow_proto::VersionDef { producer: 2474, ..Default::default() }),
        ..Default::default()
    }
}

fn node<'a>(g: &'a GraphDef, name: &str) -> &'a NodeDef {
    g.node.iter().find(|n| n.name == name).unwrap_or_else(|| panic!("no node {name}"))
}

fn ops(g: &GraphDef) -> Vec<(&str, &str)> {
    g.node.iter().map(|n| (n.name.as_str(), n.op.as_str())).collect()
}

#[test]
fn data_edges_become_one_send_recv_pair_per_destination_device() {
    let g = graph(vec![
        NodeDefBuilder::new("x", "Const")
            .attr_type("dtype", DType::Float)
            .device(W0)
            .attr_list_str("_class", &["loc:@x"]),
        f32_node("a", "Neg", W1).input("x"),
        f32_node("b", "Square", W1).input("x").attr_bool("_XlaHasReferenceVars", false),
        f32_node("c", "Neg", MASTER).input("x"),
        f32_node("d", "AddV2", W0).input("x").input("x"),
    ]);
    let parts = partition(&g, &incarnations()).unwrap();
    check_pairs(&parts);
    assert_eq!(parts.keys().collect::<Vec<_>>(), [MASTER, W0, W1]);
    assert_eq!(ops(&parts[W0]), [("x", "Const"), ("x_S0", "_Send"), ("x_S2", "_Send"), ("d", "AddV2")]);
    assert_eq!(ops(&parts[W1]), [("a", "Neg"), ("x_S1", "_Recv"), ("b", "Square")]);
    assert_eq!(ops(&parts[MASTER]), [("c", "Neg"), ("x_S3", "_Recv")]);
    assert_eq!(node(&parts[W1], "a").input, ["x_S1"]);
    assert_eq!(node(&parts[W1], "b").input, ["x_S1"]);
    assert_eq!(node(&parts[W0], "d").input, ["x", "x"]);
    // Attributes survive the copy; versions are kept.
    assert!(node(&parts[W0], "x").attr.contains_key("_class"));
    assert!(node(&parts[W1], "b").attr.contains_key("_XlaHasReferenceVars"));
    assert_eq!(parts[W1].versions.as_ref().unwrap().producer, 2474);

    let send = Attrs::new(node(&parts[W0], "x_S0"));
    assert_eq!(send.get_string("tensor_name").unwrap(), "edge_0_x");
    assert_eq!(send.get_string("send_device").unwrap(), W0);
    assert_eq!(send.get_string("recv_device").unwrap(), W1);
    assert_eq!(send.get_int("send_device_incarnation").unwrap(), 10);
    assert_eq!(send.get_type("T").unwrap(), DType::Float);
    assert_eq!(send.get_string("_src").unwrap(), "x");
    assert_eq!(send.get_string("_dst").unwrap(), "a");
    assert_eq!(node(&parts[W0], "x_S0").input, ["x"]);
    let recv = Attrs::new(node(&parts[W1], "x_S1"));
    assert_eq!(recv.get_type("tensor_type").unwrap(), DType::Float);
    assert!(!recv.get_bool_or("client_terminated", false).unwrap());
}

#[test]
fn outputs_other_than_zero_keep_their_slot() {
    let g = graph(vec![
        NodeDefBuilder::new("s", "Const").attr_type("dtype", DType::Int32).device(W0),
        NodeDefBuilder::new("bga", "BroadcastGradientArgs").input("s").input("s").device(W0),
        NodeDefBuilder::new("sum", "Sum").attr_type("T", DType::Int32).input("bga:1").input("bga").device(W1),
    ]);
    let parts = partition(&g, &incarnations()).unwrap();
    check_pairs(&parts);
    assert_eq!(node(&parts[W0], "bga_S0").input, ["bga:1"]);
    assert_eq!(node(&parts[W1], "sum").input, ["bga_S1", "bga_S3"]);
    assert_eq!(Attrs::new(node(&parts[W1], "bga_S1")).get_type("tensor_type").unwrap(), DType::Int32);
}

#[test]
fn control_edges_across_devices_send_a_dummy_tensor() {
    let g = graph(vec![
        NodeDefBuilder::new("update", "NoOp").device(W1),
        f32_node("after", "Neg", W0).input("k").input("^update"),
        f32_node("after2", "Neg", W0).input("k").input("^update"),
        NodeDefBuilder::new("k", "Const").attr_type("dtype", DType::Float).device(W0),
        NodeDefBuilder::new("local", "NoOp").device(W0).input("^k"),
    ]);
    let parts = partition(&g, &incarnations()).unwrap();
    check_pairs(&parts);
    assert_eq!(ops(&parts[W1]), [("update", "NoOp"), ("update/ctrl_S0", "Const"), ("update_S1", "_Send")]);
    let dummy = node(&parts[W1], "update/ctrl_S0");
    assert_eq!(dummy.input, ["^update"]);
    assert_eq!(Attrs::new(dummy).get_type("dtype").unwrap(), DType::Float);
    assert_eq!(Attrs::new(dummy).get_tensor("value").unwrap().shape().dims(), &[0]);
    assert_eq!(node(&parts[W1], "update_S1").input, ["update/ctrl_S0"]);
    // One transfer serves both consumers; each waits on the Identity of the _Recv.
    assert_eq!(node(&parts[W0], "after").input, ["k", "^update_S3"]);
    assert_eq!(node(&parts[W0], "after2").input, ["k", "^update_S3"]);
    assert_eq!(
        (node(&parts[W0], "update_S2").op.as_str(), node(&parts[W0], "update_S3").op.as_str()),
        ("_Recv", "Identity")
    );
    assert_eq!(node(&parts[W0], "update_S3").input, ["update_S2"]);
    assert_eq!(node(&parts[W0], "local").input, ["^k"]);
}

#[test]
fn client_terminated_transfers_get_the_client_incarnation() {
    let client = Transfer {
        dtype: DType::Float,
        tensor_name: "a:0",
        send_device: MASTER,
        send_device_incarnation: 0,
        recv_device: MASTER,
        client_terminated: true,
    };
    let g = GraphDef {
        node: vec![client.recv_node("_recv_a_0").build(), f32_node("n", "Neg", W1).input("_recv_a_0").build()],
        ..Default::default()
    };
    let parts = partition(&g, &incarnations()).unwrap();
    check_pairs(&parts);
    let recv = Attrs::new(node(&parts[MASTER], "_recv_a_0"));
    assert_eq!(recv.get_int("send_device_incarnation").unwrap(), 0x8000_0000_0000_0001u64 as i64);
    assert_eq!(recv.get_string("tensor_name").unwrap(), "a:0");
    let send = Attrs::new(node(&parts[MASTER], "_recv_a_0_S0"));
    assert_eq!(send.get_string("tensor_name").unwrap(), "edge_0__recv_a_0");
    assert_eq!(send.get_int("send_device_incarnation").unwrap(), 0x8000_0000_0000_0001u64 as i64);
}

#[test]
fn the_name_counter_continues_across_calls() {
    let g = graph(vec![
        NodeDefBuilder::new("x", "Const").attr_type("dtype", DType::Float).device(W0),
        f32_node("a", "Neg", W1).input("x"),
    ]);
    let mut next = 30;
    let parts = partition_with_counter(&g, &incarnations(), &mut next).unwrap();
    assert_eq!(next, 32);
    assert_eq!(node(&parts[W1], "a").input, ["x_S31"]);
}

#[test]
fn errors_name_the_node_or_op() {
    let unknown = graph(vec![NodeDefBuilder::new("m", "Mystery").device(W0), f32_node("a", "Neg", W1).input("m")]);
    let e = partition(&unknown, &incarnations()).unwrap_err();
    assert_eq!(e.code, Code::Unimplemented);
    assert!(e.message.contains("Cannot send m to 'a'") && e.message.contains("'Mystery'"), "{}", e.message);

    let unplaced =
        graph(vec![NodeDefBuilder::new("x", "Const").attr_type("dtype", DType::Float).device("/job:worker")]);
    let e = partition(&unplaced, &incarnations()).unwrap_err();
    assert!(e.message.contains("Node 'x' is not placed"), "{}", e.message);

    let g = graph(vec![
        NodeDefBuilder::new("x", "Const").attr_type("dtype", DType::Float).device(W0),
        f32_node("a", "Neg", "/job:other/replica:0/task:0/device:CPU:0").input("x"),
    ]);
    let e = partition(&g, &HashMap::new()).unwrap_err();
    assert!(e.message.contains(W0), "{}", e.message);
}
