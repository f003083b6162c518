//! Tests of the placer on hand-made graphs. Test-only, single-threaded.

use super::*;
use ferroflow_framework::Code;

const MASTER: &str = "/job:master/replica:0/task:0/device:CPU:0";
const W0: &str = "/job:worker/replica:0/task:0/device:CPU:0";
const W1: &str = "/job:worker/replica:0/task:1/device:CPU:0";

fn devices() -> Vec<String> {
    // Deliberately not sorted: the placer orders candidates itself.
    vec![W1.to_string(), MASTER.to_string(), W0.to_string()]
}

fn f32_node(name: &str, op: &str) -> NodeDefBuilder {
    NodeDefBuilder::new(name, op).attr_type("T", DType::Float)
}

fn constant(name: &str) -> NodeDefBuilder {
    NodeDefBuilder::new(name, "Const").attr_type("dtype", DType::Float)
}

fn graph(nodes: Vec<NodeDefBuilder>) -> GraphDef {
    GraphDef { node: nodes.into_iter().map(NodeDefBuilder::build).collect(), ..Default::default() }
}

fn placed(mut g: GraphDef) -> HashMap<String, String> {
    place(&mut g, &devices(), MASTER).unwrap();
    g.node.into_iter().map(|n| (n.name, n.device)).collect()
}

fn place_err(mut g: GraphDef) -> Error {
    place(&mut g, &devices(), MASTER).unwrap_err()
}

#[test]
fn full_partial_and_legacy_specs() {
    let p = placed(graph(vec![
        f32_node("full", "Neg").input("k").device(W1),
        f32_node("task", "Neg").input("k").device("/job:worker/task:1"),
        f32_node("job", "Neg").input("k").device("/job:worker"),
        f32_node("type", "Neg").input("k").device("/device:CPU:0"),
        f32_node("legacy", "Neg").input("k").device("/job:worker/replica:0/task:0/cpu:0"),
        f32_node("free", "Neg").input("k"),
        constant("k").device("/job:worker/task:0"),
    ]));
    assert_eq!(p["full"], W1);
    assert_eq!(p["task"], W1);
    // Several candidates: the first by name.
    assert_eq!(p["job"], W0);
    assert_eq!(p["type"], MASTER);
    assert_eq!(p["legacy"], W0);
    // Unconstrained and not covered by a heuristic: the first device by name, as TF's master.
    assert_eq!(p["free"], MASTER);
    assert_eq!(p["k"], W0);
}

#[test]
fn colocation_groups_follow_class_attrs() {
    let p = placed(graph(vec![
        constant("v").device("/job:worker/task:1"),
        colocate_with(f32_node("init", "Identity").input("v"), "v"),
        colocate_with(f32_node("a", "Neg").input("v"), "v").device("/job:worker"),
        colocate_with(f32_node("b", "Neg").input("a"), "a"),
    ]));
    assert_eq!((p["init"].as_str(), p["a"].as_str(), p["b"].as_str()), (W1, W1, W1));
}

#[test]
fn conflicting_colocation_is_an_error_unless_soft() {
    let g = graph(vec![
        constant("a").device("/job:worker/task:1"),
        colocate_with(f32_node("b", "Neg").input("a"), "a").device("/job:worker/task:0"),
    ]);
    let e = place_err(g.clone());
    assert_eq!(e.code, Code::InvalidArgument);
    assert_eq!(
        e.message,
        "Cannot colocate nodes {{colocation_node b}} and {{colocation_node a}}: Cannot merge devices with incompatible \
         tasks: '/job:worker/task:0' and '/job:worker/task:1'\n\t [[{{node b}}]]"
    );
    let mut soft = g;
    place_with_options(&mut soft, &devices(), MASTER, &PlacerOptions { allow_soft_placement: true }).unwrap();
    assert_eq!((soft.node[0].device.as_str(), soft.node[1].device.as_str()), (W1, W0));
}

#[test]
fn resource_consumers_go_to_the_resource() {
    let var = || NodeDefBuilder::new("v", "VarHandleOp").attr_type("dtype", DType::Float).device("/job:worker/task:1");
    let p = placed(graph(vec![
        var(),
        // Asked for elsewhere: the resource's device wins, as in TF.
        NodeDefBuilder::new("read", "ReadVariableOp").attr_type("dtype", DType::Float).input("v").device(W0),
        NodeDefBuilder::new("assign", "AssignVariableOp").attr_type("dtype", DType::Float).input("v").input("k"),
        constant("k"),
        f32_node("use", "Neg").input("read").device(W0),
        NodeDefBuilder::new("apply", "ResourceApplyGradientDescent")
            .attr_type("T", DType::Float)
            .input("v")
            .input("k")
            .input("use"),
    ]));
    assert_eq!(p["read"], W1);
    assert_eq!(p["assign"], W1);
    assert_eq!(p["apply"], W1);
    assert_eq!(p["use"], W0);
    // A generator whose consumers are all on one device joins them.
    assert_eq!(p["k"], W1);
}

#[test]
fn heuristics_for_generators_and_metadata_ops() {
    let p = placed(graph(vec![
        f32_node("x", "Neg").input("c").device("/job:worker/task:1"),
        NodeDefBuilder::new("shape", "Shape").attr_type("T", DType::Float).input("x"),
        f32_node("y", "Neg").input("x"),
        constant("c"),
        constant("shared"),
        f32_node("s0", "Neg").input("shared").device(W0),
        f32_node("s1", "Neg").input("shared").device(W1),
        constant("alone"),
    ]));
    assert_eq!(p["c"], W1);
    assert_eq!(p["shape"], W1);
    assert_eq!(p["y"], MASTER);
    assert_eq!(p["shared"], MASTER);
    assert_eq!(p["alone"], MASTER);
}

#[test]
fn client_terminated_transfers_default_to_the_client_device() {
    let recv = NodeDefBuilder::new("_recv_a_0", "_Recv")
        .attr_type("tensor_type", DType::Float)
        .attr_bool("client_terminated", true);
    let p = placed(graph(vec![recv, f32_node("n", "Neg").input("_recv_a_0").device(W1)]));
    assert_eq!(p["_recv_a_0"], MASTER);
}

#[test]
fn specs_matching_no_device_are_rejected() {
    let e = place_err(graph(vec![constant("n").device("/job:nope")]));
    assert_eq!(e.code, Code::InvalidArgument);
    assert_eq!(
        e.message,
        format!(
            "Cannot assign a device for operation n: {{{{node n}}}} was explicitly assigned to /job:nope but available \
             devices are [ {MASTER}, {W0}, {W1} ]. Make sure the device specification refers to a valid device.\n\t \
             [[{{{{node n}}}}]]"
        )
    );
    let gpu = graph(vec![constant("g").device("/job:worker/task:0/device:GPU:0")]);
    let e = place_err(gpu.clone());
    assert!(e.message.contains("was explicitly assigned to /job:worker/task:0/device:GPU:0"), "{}", e.message);
    let mut soft = gpu;
    place_with_options(&mut soft, &devices(), MASTER, &PlacerOptions { allow_soft_placement: true }).unwrap();
    assert_eq!(soft.node[0].device, W0);
}

#[test]
fn groups_whose_merged_spec_matches_nothing_name_the_group() {
    let e = place_err(graph(vec![
        constant("a").device("/job:worker"),
        colocate_with(f32_node("b", "Neg").input("a"), "a").device("/task:5"),
    ]));
    assert!(
        e.message.starts_with(
            "Cannot assign a device for operation b: Could not satisfy explicit device specification '/task:5' because \
             the node {{colocation_node b}} was colocated with a group of nodes that required incompatible device \
             '/job:worker/task:5'"
        ),
        "{}",
        e.message
    );
    assert!(e.message.contains("  a (Const) /job:worker\n"), "{}", e.message);
}

#[test]
fn malformed_specs_and_empty_device_lists() {
    let e = place_err(graph(vec![constant("m").device("worker")]));
    assert_eq!(e.code, Code::InvalidArgument);
    assert!(e.message.starts_with("Malformed device specification 'worker' in node"), "{}", e.message);
    let mut g = graph(vec![constant("m")]);
    assert_eq!(place(&mut g, &[], MASTER).unwrap_err().code, Code::FailedPrecondition);
}

#[test]
fn merge_specs_follows_tf() {
    let p = |s: &str| DeviceName::parse(s).unwrap();
    let m = merge_specs(&p("/job:worker"), &p("/task:1/device:CPU:0"), false).unwrap();
    assert_eq!(spec_string(&m), "/job:worker/task:1/device:CPU:0");
    let e = merge_specs(&p("/job:a"), &p("/job:b"), false).unwrap_err();
    assert_eq!(e, "Cannot merge devices with incompatible jobs: '/job:a' and '/job:b'");
    let soft = merge_specs(&p("/job:a/device:CPU:0"), &p("/device:GPU:0"), true).unwrap();
    assert_eq!(spec_string(&soft), "/job:a");
    assert!(compatible(&p("/job:a"), &p("/task:1")));
    assert!(!compatible(&p("/job:a/task:0"), &p("/task:1")));
}
