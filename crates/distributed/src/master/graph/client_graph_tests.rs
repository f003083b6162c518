//! Tests of the client-graph builder on hand-made graphs. Test-only, single-threaded.

use super::*;
use ferroflow_framework::node_def::NodeDefBuilder;
use ferroflow_framework::{Attrs, Code};

const CLIENT: &str = "/job:master/replica:0/task:0/device:CPU:0";

fn f32_node(name: &str, op: &str) -> NodeDefBuilder {
    NodeDefBuilder::new(name, op).attr_type("T", DType::Float)
}

/// TF's `simple` capture: d = (a @ Const) * 2 + 1, with `a` a placeholder.
fn simple() -> GraphDef {
    GraphDef {
        node: vec![
            NodeDefBuilder::new("a", "Placeholder")
                .attr_type("dtype", DType::Float)
                .device("/job:worker/task:0")
                .build(),
            NodeDefBuilder::new("Const", "Const").attr_type("dtype", DType::Float).build(),
            f32_node("c", "MatMul").input("a").input("Const").build(),
            NodeDefBuilder::new("mul/y", "Const").attr_type("dtype", DType::Float).build(),
            f32_node("mul", "Mul").input("c").input("mul/y").build(),
            NodeDefBuilder::new("d/y", "Const").attr_type("dtype", DType::Float).build(),
            f32_node("d", "AddV2").input("mul").input("d/y").build(),
            f32_node("unrelated", "Neg").input("Const").build(),
        ],
        versions: Some(ferroflow_proto::VersionDef { producer: 2474, ..Default::default() }),
        ..Default::default()
    }
}

fn s(v: &[&str]) -> Vec<String> {
    v.iter().map(|x| x.to_string()).collect()
}

fn names(g: &GraphDef) -> Vec<&str> {
    g.node.iter().map(|n| n.name.as_str()).collect()
}

fn node<'a>(g: &'a GraphDef, name: &str) -> &'a NodeDef {
    g.node.iter().find(|n| n.name == name).unwrap_or_else(|| panic!("no node {name}"))
}

fn build(g: &GraphDef, feeds: &[&str], fetches: &[&str], targets: &[&str]) -> Result<(GraphDef, ClientGraphNames)> {
    build_client_graph(g, &s(feeds), &s(fetches), &s(targets), CLIENT)
}

#[test]
fn feeds_become_client_recvs_and_fetches_client_sends() {
    let (g, n) = build(&simple(), &["a:0"], &["d:0"], &[]).unwrap();
    assert_eq!(names(&g), ["Const", "c", "mul/y", "mul", "d/y", "d", "_recv_a_0", "_send_d_0"]);
    assert_eq!(node(&g, "c").input, ["_recv_a_0", "Const"]);
    assert_eq!(g.versions.as_ref().unwrap().producer, 2474);

    let recv = Attrs::new(node(&g, "_recv_a_0"));
    assert_eq!(node(&g, "_recv_a_0").op, "_Recv");
    assert_eq!(node(&g, "_recv_a_0").device, CLIENT);
    assert_eq!(recv.get_type("tensor_type").unwrap(), DType::Float);
    assert_eq!(recv.get_string("tensor_name").unwrap(), "a:0");
    assert_eq!(recv.get_string("send_device").unwrap(), CLIENT);
    assert_eq!(recv.get_string("recv_device").unwrap(), CLIENT);
    assert!(recv.get_bool("client_terminated").unwrap());
    assert_eq!(recv.get_int("send_device_incarnation").unwrap(), 0);

    let send = node(&g, "_send_d_0");
    assert_eq!((send.op.as_str(), send.input.clone(), send.device.as_str()), ("_Send", s(&["d"]), CLIENT));
    assert_eq!(Attrs::new(send).get_type("T").unwrap(), DType::Float);
    assert_eq!(Attrs::new(send).get_string("tensor_name").unwrap(), "d:0");

    assert_eq!(n.feeds, vec![("a:0".to_string(), "a:0".to_string())]);
    assert_eq!(n.fetches, vec![("d:0".to_string(), "d:0".to_string())]);
    assert_eq!((n.feed_types.clone(), n.fetch_types.clone()), (vec![DType::Float], vec![DType::Float]));
    assert!(n.unused_feeds.is_empty());
}

#[test]
fn fetching_other_outputs_and_targets() {
    let g = GraphDef {
        node: vec![
            NodeDefBuilder::new("x", "Const").attr_type("dtype", DType::Float).build(),
            NodeDefBuilder::new("u", "Unpack").attr_type("T", DType::Float).attr_int("num", 2).input("x").build(),
            NodeDefBuilder::new("side", "NoOp").build(),
            NodeDefBuilder::new("train", "NoOp").input("^side").build(),
        ],
        ..Default::default()
    };
    let (out, n) = build(&g, &[], &["u:1"], &["train"]).unwrap();
    assert_eq!(names(&out), ["x", "u", "side", "train", "_send_u_1"]);
    assert_eq!(node(&out, "_send_u_1").input, ["u:1"]);
    assert_eq!(n.fetches, vec![("u:1".to_string(), "u:1".to_string())]);
    // A target alone runs just what it needs.
    let (out, n) = build(&g, &[], &[], &["train"]).unwrap();
    assert_eq!(names(&out), ["side", "train"]);
    assert!(n.fetches.is_empty());
}

#[test]
fn a_feed_cuts_the_graph_above_it_but_not_control_paths() {
    let g = GraphDef {
        node: vec![
            NodeDefBuilder::new("x", "Const").attr_type("dtype", DType::Float).build(),
            f32_node("y", "Neg").input("x").build(),
            f32_node("z", "Square").input("y").build(),
            f32_node("w", "Identity").input("x").input("^y").build(),
        ],
        ..Default::default()
    };
    // z needs only y, which is fed: x and y go.
    let (out, _) = build(&g, &["y:0"], &["z:0"], &[]).unwrap();
    assert_eq!(names(&out), ["z", "_recv_y_0", "_send_z_0"]);
    assert_eq!(node(&out, "z").input, ["_recv_y_0"]);
    // w still waits on y itself (a control edge from a non-placeholder stays), so y and x stay.
    let (out, _) = build(&g, &["y:0"], &["w:0"], &[]).unwrap();
    assert_eq!(names(&out), ["x", "y", "w", "_send_w_0"]);
    assert_eq!(node(&out, "w").input, ["x", "^y"]);
}

#[test]
fn control_edges_from_a_fed_placeholder_move_to_its_recv() {
    let g = GraphDef {
        node: vec![
            NodeDefBuilder::new("p", "Placeholder").attr_type("dtype", DType::Int32).build(),
            NodeDefBuilder::new("k", "Const").attr_type("dtype", DType::Int32).input("^p").build(),
        ],
        ..Default::default()
    };
    let (out, n) = build(&g, &["p:0"], &["k:0"], &[]).unwrap();
    assert_eq!(names(&out), ["k", "_recv_p_0", "_send_k_0"]);
    assert_eq!(node(&out, "k").input, ["^_recv_p_0"]);
    assert_eq!(n.feed_types, vec![DType::Int32]);
}

#[test]
fn unneeded_feeds_are_pruned_and_reported() {
    let (out, n) = build(&simple(), &["a:0"], &["unrelated:0"], &[]).unwrap();
    assert_eq!(names(&out), ["Const", "unrelated", "_send_unrelated_0"]);
    assert_eq!(n.unused_feeds, vec!["a:0".to_string()]);
    assert_eq!(n.feeds.len(), 1);
}

#[test]
fn bad_names_are_rejected_with_tf_messages() {
    let g = simple();
    let err = |feeds: &[&str], fetches: &[&str], targets: &[&str]| build(&g, feeds, fetches, targets).unwrap_err();
    let e = err(&[], &[], &[]);
    assert_eq!(
        (e.code, e.message.as_str()),
        (Code::InvalidArgument, "Must specify at least one target to fetch or execute.")
    );
    let e = err(&["a:0", "a:0"], &["d:0"], &[]);
    assert_eq!((e.code, e.message.as_str()), (Code::InvalidArgument, "Endpoint \"a:0\" fed more than once."));
    let e = err(&["a:0"], &["a:0"], &[]);
    assert_eq!((e.code, e.message.as_str()), (Code::InvalidArgument, "a:0 is both fed and fetched."));
    let e = err(&["nope:0"], &["d:0"], &[]);
    assert_eq!((e.code, e.message.as_str()), (Code::NotFound, "FeedInputs: unable to find feed output nope:0"));
    let e = err(&["a:1"], &["d:0"], &[]);
    assert_eq!((e.code, e.message.as_str()), (Code::InvalidArgument, "FeedInputs: a:1 should have output index < 1"));
    let e = err(&[], &["x:0"], &[]);
    assert_eq!((e.code, e.message.as_str()), (Code::NotFound, "FetchOutputs node x:0: not found"));
    let e = err(&[], &["d:3"], &[]);
    assert_eq!(
        (e.code, e.message.as_str()),
        (Code::InvalidArgument, "FetchOutputs d:3: output index too large, must be < 1")
    );
    let e = err(&[], &["d:0"], &["t1", "t2"]);
    assert_eq!((e.code, e.message.as_str()), (Code::NotFound, "PruneForTargets: Some target nodes not found: t1 t2 "));

    let with_noop = GraphDef { node: vec![NodeDefBuilder::new("train", "NoOp").build()], ..Default::default() };
    let e = build(&with_noop, &[], &["train:0"], &[]).unwrap_err();
    assert_eq!(e.code, Code::InvalidArgument);
    assert!(e.message.starts_with("Tried to fetch data for 'train:0', which produces no output."), "{}", e.message);

    let odd = GraphDef { node: vec![NodeDefBuilder::new("o", "Mystery").build()], ..Default::default() };
    let e = build(&odd, &[], &["o:0"], &[]).unwrap_err();
    assert_eq!(e.code, Code::Unimplemented);
    assert!(e.message.contains("'Mystery'"), "{}", e.message);

    let broken =
        GraphDef { node: vec![NodeDefBuilder::new("i", "Identity").input("gone").build()], ..Default::default() };
    let e = build(&broken, &[], &[], &["i"]).unwrap_err();
    assert_eq!((e.code, e.message.as_str()), (Code::InvalidArgument, "Node 'i': Unknown input node 'gone'"));
}
