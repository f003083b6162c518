//! Loops that span devices, as TF's partitioner prepares them (`AddControlFlow` in TF's
//! `graph_partition.cc`): every device that runs part of a while loop's body but not the loop's
//! predicate gets a *control loop* of its own — `Enter` -> `Merge` -> `Switch` on the predicate
//! (received from the device that computes it, the frame's leader) -> `NextIteration` back to the
//! merge — whose merge fires once per iteration there. Every cross-device edge inside the frame then
//! gets a control input from that merge, which the partitioner moves onto the edge's `_Recv`, so the
//! receive runs in the right frame and iteration and learns of the loop's end. Nested loops stack
//! their control loops (the outer merge feeds the inner enter); the outermost enter is fed by an
//! empty constant in the root frame. Before that, control-flow nodes are colocated as TF does
//! (`OptimizeControlFlowColocation`): a `Switch` and an `Exit` with their data input, an `Enter` and a
//! `NextIteration` with their first data consumer.
//!
//! Pure function on a placed graph; new node names come from the partitioner's counter.

use super::view::{GraphView, input_string};
use ferroflow_framework::graph_def::{ControlFlowInfo, GraphIndex, control_flow_info};
use ferroflow_framework::node_def::NodeDefBuilder;
use ferroflow_framework::{DType, Error, Result};
use ferroflow_proto::attr_value::Value;
use ferroflow_proto::{AttrValue, GraphDef, NodeDef, TensorProto, TensorShapeProto, tensor_shape_proto};
use std::collections::HashMap;

/// Names of control-loop nodes start with this (TF's `_cloop` prefix).
pub const CONTROL_LOOP_PREFIX: &str = "_cloop";

/// True for the merge of a control loop: a control input from it goes to the node's receives.
pub fn is_control_loop_merge(node: &NodeDef) -> bool {
    node.op == "Merge" && node.name.starts_with(CONTROL_LOOP_PREFIX)
}

struct ControlLoop {
    enter: usize,
    merge: usize,
}

fn is(op: &str, ops: &[&str]) -> bool {
    ops.contains(&op)
}

/// The frame a node's outputs are in: an `Enter`'s child frame, an `Exit`'s parent frame.
fn output_frame(graph: &GraphDef, cf: &ControlFlowInfo, node: usize) -> usize {
    let n = &graph.node[node];
    let f = cf.frame_of[node];
    if is(&n.op, &["Enter", "RefEnter"]) {
        cf.frames.iter().position(|fr| fr.enters.contains(&node)).unwrap_or(f)
    } else if is(&n.op, &["Exit", "RefExit"]) {
        cf.frames[f].parent.unwrap_or(0)
    } else {
        f
    }
}

/// Adds the control loops a placed `graph` needs (see the module doc); `new_name` makes node names.
pub fn add_control_flow(graph: &mut GraphDef, new_name: &mut dyn FnMut(&str) -> String) -> Result<()> {
    if !graph.node.iter().any(|n| is(&n.op, &["Enter", "RefEnter"])) {
        return Ok(());
    }
    colocate_control_flow(graph)?;
    let cf = control_flow_info(&GraphIndex::new(graph)?)?;
    let mut loop_cond: HashMap<usize, usize> = HashMap::new();
    for (i, n) in graph.node.iter().enumerate() {
        if n.op == "LoopCond" {
            loop_cond.insert(cf.frame_of[i], i);
        }
    }
    let edges = cross_device_frame_edges(graph, &cf)?;
    let mut loops: HashMap<(usize, String), ControlLoop> = HashMap::new();
    for &(_, dst, frame) in &edges {
        let device = graph.node[dst].device.clone();
        let dst_name = graph.node[dst].name.clone();
        let mut child: Option<usize> = None;
        let mut f = frame;
        loop {
            if f == 0 {
                if let Some(enter) = child {
                    let c = empty_const(&new_name(&dst_name), &device);
                    graph.node[enter].input[0] = c.name.clone();
                    graph.node.push(c);
                }
                break;
            }
            if let Some(existing) = loops.get(&(f, device.clone())) {
                if let Some(enter) = child {
                    graph.node[enter].input[0] = graph.node[existing.merge].name.clone();
                }
                break;
            }
            let cond = *loop_cond
                .get(&f)
                .ok_or_else(|| Error::invalid_argument(format!("A cross-device loop must have a pivot predicate: {}", cf.frames[f].name)))?;
            let cond_name = graph.node[cond].name.clone();
            let new = add_control_loop(graph, &cf, f, &device, &cond_name, &dst_name, new_name);
            if let Some(enter) = child {
                graph.node[enter].input[0] = graph.node[new.merge].name.clone();
            }
            child = Some(new.enter);
            loops.insert((f, device.clone()), new);
            f = cf.frames[f].parent.unwrap_or(0);
        }
    }
    // Every cross-device edge in a frame (the control loops' own ones included) waits on its
    // device's control loop.
    let cf = control_flow_info(&GraphIndex::new(graph)?)?;
    for (_, dst, frame) in cross_device_frame_edges(graph, &cf)? {
        let device = graph.node[dst].device.clone();
        let merge = loops.get(&(frame, device)).ok_or_else(|| {
            Error::internal(format!("no control loop for frame {} on the device of {}", cf.frames[frame].name, graph.node[dst].name))
        })?;
        let name = graph.node[merge.merge].name.clone();
        graph.node[dst].input.push(format!("^{name}"));
    }
    Ok(())
}

/// (src, dst, frame) of every edge between devices whose ends are in the same non-root frame.
fn cross_device_frame_edges(graph: &GraphDef, cf: &ControlFlowInfo) -> Result<Vec<(usize, usize, usize)>> {
    let view = GraphView::new(graph)?;
    let mut out = Vec::new();
    for (dst, edges) in view.inputs.iter().enumerate() {
        for e in edges {
            if graph.node[e.src].device == graph.node[dst].device {
                continue;
            }
            let src_frame = output_frame(graph, cf, e.src);
            let dst_frame = cf.frame_of[dst];
            if src_frame != 0 && src_frame == dst_frame {
                out.push((e.src, dst, dst_frame));
            }
        }
    }
    Ok(out)
}

fn ty(d: DType) -> AttrValue {
    AttrValue { value: Some(Value::Type(d.to_proto())) }
}

fn empty_const(name: &str, device: &str) -> NodeDef {
    let empty = TensorProto {
        dtype: DType::Float.to_proto(),
        tensor_shape: Some(TensorShapeProto { dim: vec![tensor_shape_proto::Dim { size: 0, ..Default::default() }], ..Default::default() }),
        ..Default::default()
    };
    NodeDefBuilder::new(name, "Const")
        .device(device)
        .attr_type("dtype", DType::Float)
        .attr_value("value", AttrValue { value: Some(Value::Tensor(empty)) })
        .build()
}

/// Enter -> Merge(enter, next) -> Switch(merge, cond) -> NextIteration(switch:1) on `device`; the
/// enter's input is set by the caller (an outer merge, or a root-frame constant).
fn add_control_loop(
    graph: &mut GraphDef,
    cf: &ControlFlowInfo,
    frame: usize,
    device: &str,
    cond: &str,
    dst: &str,
    new_name: &mut dyn FnMut(&str) -> String,
) -> ControlLoop {
    let mut name = || format!("{CONTROL_LOOP_PREFIX}{}", new_name(dst));
    let (enter, merge, switch, next) = (name(), name(), name(), name());
    let info = &cf.frames[frame];
    let f = DType::Float;
    let nodes = [
        NodeDefBuilder::new(&enter, "Enter")
            .device(device)
            .input("")
            .attr_type("T", f)
            .attr_str("frame_name", &info.name)
            .attr_bool("is_constant", false)
            .attr_int("parallel_iterations", info.parallel_iterations),
        NodeDefBuilder::new(&merge, "Merge").device(device).input(&enter).input(&next).attr_type("T", f).attr_int("N", 2),
        NodeDefBuilder::new(&switch, "Switch").device(device).input(&merge).input(cond).attr_value("T", ty(f)),
        NodeDefBuilder::new(&next, "NextIteration").device(device).input(&input_string(&switch, Some(1))).attr_type("T", f),
    ];
    let base = graph.node.len();
    graph.node.extend(nodes.into_iter().map(NodeDefBuilder::build));
    ControlLoop { enter: base, merge: base + 1 }
}

/// TF's `OptimizeControlFlowColocation`, in depth-first order from the graph's roots.
fn colocate_control_flow(graph: &mut GraphDef) -> Result<()> {
    let view = GraphView::new(graph)?;
    let inputs = view.inputs.clone();
    let outputs = view.outputs.clone();
    let mut seen = vec![false; graph.node.len()];
    let mut stack: Vec<usize> = (0..graph.node.len()).filter(|&i| inputs[i].is_empty()).rev().collect();
    let mut order = Vec::with_capacity(graph.node.len());
    while let Some(n) = stack.pop() {
        if std::mem::replace(&mut seen[n], true) {
            continue;
        }
        order.push(n);
        stack.extend(outputs[n].iter().rev().map(|e| e.dst).filter(|&d| !seen[d]));
    }
    for n in order {
        let op = graph.node[n].op.clone();
        let device = if is(&op, &["Switch", "RefSwitch"]) {
            inputs[n].iter().find(|e| e.slot.is_some()).map(|e| graph.node[e.src].device.clone())
        } else if is(&op, &["Exit", "RefExit"]) {
            inputs[n].iter().find(|e| e.slot.is_some()).map(|e| graph.node[e.src].device.clone())
        } else if is(&op, &["Enter", "NextIteration"]) {
            outputs[n].iter().find(|e| e.slot.is_some()).map(|e| graph.node[e.dst].device.clone())
        } else {
            None
        };
        if let Some(d) = device {
            graph.node[n].device = d;
        }
    }
    Ok(())
}
