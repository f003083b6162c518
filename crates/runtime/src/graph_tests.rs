use super::*;
use crate::device::LocalDevice;
use ferroflow_framework::DType;
use ferroflow_framework::node_def::NodeDefBuilder;

const DEVICE: &str = "/job:w/replica:0/task:0/device:CPU:0";

fn n(name: &str, op: &str) -> NodeDefBuilder {
    NodeDefBuilder::new(name, op).device(DEVICE).attr_type("T", DType::Int32)
}

fn build(nodes: Vec<ferroflow_proto::NodeDef>) -> Result<Graph> {
    let devices = DeviceMgr::new(vec![LocalDevice::cpu("/job:w/replica:0/task:0", 0).unwrap()]);
    Graph::build(&GraphDef { node: nodes, ..Default::default() }, &ferroflow_kernels::registry(), &devices)
}

#[test]
fn frames_are_found_from_enters_and_exits_and_laid_out_per_frame() {
    let c = NodeDefBuilder::new("c", "Const")
        .device(DEVICE)
        .attr_type("dtype", DType::Int32)
        .attr_tensor("value", &ferroflow_framework::Tensor::scalar(1i32))
        .build();
    let g = build(vec![
        c,
        n("enter", "Enter").input("c").attr_str("frame_name", "loop").attr_int("parallel_iterations", 4).build(),
        n("merge", "Merge").input("enter").input("next").attr_int("N", 2).build(),
        n("body", "Identity").input("merge").build(),
        n("next", "NextIteration").input("body").build(),
        n("exit", "Exit").input("merge").build(),
        n("after", "Identity").input("exit").build(),
    ])
    .unwrap();
    assert_eq!(g.frames.len(), 2);
    assert_eq!((g.frames[1].name.as_str(), g.frames[1].parent, g.frames[1].num_enters, g.frames[1].parallel_iterations), ("loop", Some(0), 1, 4));
    let frame_of = |name: &str| g.nodes.iter().find(|x| &*x.name == name).unwrap().frame;
    assert_eq!([frame_of("c"), frame_of("enter"), frame_of("merge"), frame_of("body"), frame_of("exit"), frame_of("after")], [0, 0, 1, 1, 1, 0]);
    // The loop frame's table holds its own nodes' inputs only: merge (2), body, next, exit.
    assert_eq!(g.frames[1].num_input_slots, 5);
    let merge = g.nodes.iter().find(|x| &*x.name == "merge").unwrap();
    assert_eq!((merge.kind, merge.initial_pending), (NodeKind::Merge, 1));
    assert_eq!(g.roots, vec![0]);
}

#[test]
fn bad_inputs_are_refused_naming_the_node() {
    let e = build(vec![n("a", "Identity").input("a:3").build()]).err().unwrap();
    assert!(e.message.contains("Connecting to invalid output 3 of source node a"), "{}", e.message);
    let e = build(vec![n("a", "Identity").input("zz").build()]).err().unwrap();
    assert_eq!(e.message, "Node 'a': Unknown input node 'zz'");
}

#[test]
fn only_the_last_consumer_of_an_output_may_take_its_value() {
    let c = NodeDefBuilder::new("c", "Const")
        .device(DEVICE)
        .attr_type("dtype", DType::Int32)
        .attr_tensor("value", &ferroflow_framework::Tensor::scalar(1i32))
        .build();
    let g = build(vec![
        c,
        n("a", "Identity").input("c").build(),
        n("b", "Identity").input("c").build(),
        NodeDefBuilder::new("after", "NoOp").device(DEVICE).input("^c").build(),
        n("sum", "AddV2").input("a").input("b").build(),
    ])
    .unwrap();
    let node = |name: &str| g.nodes.iter().position(|x| &*x.name == name).unwrap();
    let edges = &g.nodes[node("c")].out_edges;
    let flags: Vec<(usize, bool)> = edges.iter().map(|e| (e.dst, e.last_use)).collect();
    // Two data consumers of output 0: only the later edge moves; a control edge never takes.
    let data: Vec<bool> = edges.iter().filter(|e| e.src_slot.is_some()).map(|e| e.last_use).collect();
    assert_eq!(data, vec![false, true], "{flags:?}");
    assert!(edges.iter().filter(|e| e.src_slot.is_none()).all(|e| !e.last_use), "{flags:?}");
    // Distinct outputs each have their own last use.
    assert!(g.nodes[node("a")].out_edges.iter().all(|e| e.last_use));
}
