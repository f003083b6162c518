//! A graph ready to execute: the nodes of a `GraphDef` with their kernels built, inputs resolved to
//! (node, output) edges, out-edges listed, and the control-flow structure the executor needs —
//! which frame (while-loop body) each node runs in, as TF's `BuildControlFlowInfo` finds it: the
//! consumers of an `Enter` are in the frame it names, those of an `Exit` in its frame's parent,
//! everyone else's in their producer's. Validation rejects what TF rejects (unknown ops, bad attrs,
//! unknown or invalid inputs, devices of other tasks, edges that cross frames other than through
//! `Enter`/`Exit`, cycles other than a loop's `NextIteration` back-edges), each error naming the node.
//!
//! Each frame lays out its nodes' pending counts and input slots in one table of its own; an
//! iteration of the frame holds one copy of that table.
//!
//! Immutable once built; shared by `Arc` among all steps that run it.

use crate::device::DeviceMgr;
use ferroflow_framework::graph_def::{GraphIndex, control_flow_info};
use ferroflow_framework::{Attrs, Error, Kernel, OpRegistry, Result};
use ferroflow_proto::GraphDef;

pub use ferroflow_framework::graph_def::parse_input;

/// Where an output goes.
#[derive(Debug, Clone, Copy)]
pub struct OutEdge {
    /// Output slot of the source, `None` for a control edge.
    pub src_slot: Option<usize>,
    pub dst: usize,
    /// Input slot of the destination (unused for control edges).
    pub dst_slot: usize,
    /// No later out-edge of the source reads the same output: its value can move, not be copied.
    pub last_use: bool,
}

/// What the executor does specially with a node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeKind {
    Normal,
    /// Fires on its first live data input (or, dead, once every data input is dead).
    Merge,
    /// Carries a value into the frame `frame` (an index into `Graph::frames`); a constant enter's
    /// value reaches every iteration.
    Enter { frame: usize, is_constant: bool },
    /// Carries a value out of its frame, to the frame's parent.
    Exit,
    /// Carries a value to the next iteration of its frame.
    NextIteration,
    /// Runs even when its inputs are dead, and its outputs are live.
    ControlTrigger,
}

/// One executable node.
pub struct Node {
    pub name: std::sync::Arc<str>,
    pub op: String,
    pub kernel: Kernel,
    pub kind: NodeKind,
    /// The frame the node runs in (index into `Graph::frames`; 0 is the root frame).
    pub frame: usize,
    /// The node's index among its frame's nodes (its pending-count slot).
    pub local_id: usize,
    /// Index of the node's first input in its frame's input table.
    pub input_base: usize,
    pub num_inputs: usize,
    pub num_control_inputs: usize,
    /// The count that makes the node ready when it reaches 0 (a merge: 1 + 2 x control inputs; its
    /// low bit stands for "no live data input yet").
    pub initial_pending: u32,
    pub out_edges: Vec<OutEdge>,
    /// Per data input: true where the op takes a reference (`Ref(T)`). Empty when none does.
    pub ref_inputs: Vec<bool>,
    /// Per output: true where the op gives a reference. Empty when none does.
    pub ref_outputs: Vec<bool>,
    /// The op may take references to uninitialized variables (`Assign`, `IsVariableInitialized`, ...).
    pub allows_uninitialized_input: bool,
    /// The data inputs as the `NodeDef` writes them (`v`, `x:1`), for messages naming them.
    pub input_names: Vec<Box<str>>,
}

impl Node {
    /// True if data input `i` takes a reference.
    pub fn input_is_ref(&self, i: usize) -> bool {
        self.ref_inputs.get(i).copied().unwrap_or(false)
    }

    /// True if output `i` gives a reference.
    pub fn output_is_ref(&self, i: usize) -> bool {
        self.ref_outputs.get(i).copied().unwrap_or(false)
    }

    /// Data input `i` as the graph names it.
    pub fn input_name(&self, i: usize) -> &str {
        self.input_names.get(i).map(|s| &**s).unwrap_or("")
    }

    /// Inputs plus control inputs: how many arrivals make a normal node ready.
    pub fn num_dependencies(&self) -> usize {
        self.num_inputs + self.num_control_inputs
    }
}

/// One frame of the graph: the root frame (index 0, name "") or a while loop's body.
#[derive(Debug, Clone)]
pub struct FrameInfo {
    pub name: String,
    /// The enclosing frame (none for the root).
    pub parent: Option<usize>,
    /// The nodes in the frame, by local id.
    pub nodes: Vec<usize>,
    pub num_input_slots: usize,
    /// How many `Enter` nodes lead into the frame: an instance of it is not done before all have run.
    pub num_enters: usize,
    /// How many iterations may run at once (the `parallel_iterations` of its `Enter`s).
    pub parallel_iterations: usize,
}

/// A validated graph with built kernels.
pub struct Graph {
    pub nodes: Vec<Node>,
    /// Nodes with no inputs at all: where execution starts (all in the root frame).
    pub roots: Vec<usize>,
    pub frames: Vec<FrameInfo>,
    pub device_name: String,
}

impl Graph {
    /// Validates `def` and builds every node's kernel for the device of `devices` that the nodes name.
    pub fn build(def: &GraphDef, registry: &OpRegistry, devices: &DeviceMgr) -> Result<Graph> {
        let index = GraphIndex::new(def)?;
        let mut device_name = String::new();
        let mut nodes = Vec::with_capacity(def.node.len());
        for (i, n) in def.node.iter().enumerate() {
            let device = devices.lookup(&n.device)?;
            if device_name.is_empty() {
                device_name = device.name().to_string();
            }
            let num_inputs = index.num_data_inputs[i];
            let kernel = registry.build(n, num_inputs)?;
            let (ref_inputs, ref_outputs) = ref_args(registry, n)?;
            let input_names = n.input.iter().filter(|i| !i.starts_with('^')).map(|i| i.as_str().into()).collect();
            let kind = match n.op.as_str() {
                "Merge" | "RefMerge" => NodeKind::Merge,
                "Enter" | "RefEnter" => NodeKind::Enter { frame: 0, is_constant: Attrs::new(n).get_bool_or("is_constant", false)? },
                "Exit" | "RefExit" => NodeKind::Exit,
                "NextIteration" | "RefNextIteration" => NodeKind::NextIteration,
                "ControlTrigger" => NodeKind::ControlTrigger,
                _ => NodeKind::Normal,
            };
            let num_control_inputs = index.inputs[i].len() - num_inputs;
            let initial_pending = match kind {
                NodeKind::Merge => 1 + 2 * num_control_inputs as u32,
                _ => (num_inputs + num_control_inputs) as u32,
            };
            nodes.push(Node {
                name: n.name.as_str().into(),
                op: n.op.clone(),
                kernel,
                kind,
                frame: 0,
                local_id: 0,
                input_base: 0,
                num_inputs,
                num_control_inputs,
                initial_pending,
                out_edges: Vec::new(),
                ref_inputs,
                ref_outputs,
                allows_uninitialized_input: registry.get(&n.op).is_some_and(|d| d.allows_uninitialized_input),
                input_names,
            });
        }
        for (dst, edges) in index.inputs.iter().enumerate() {
            let mut dst_slot = 0;
            for e in edges {
                if let Some(slot) = e.slot {
                    if slot >= nodes[e.src].kernel.num_outputs {
                        return Err(Error::invalid_argument(format!(
                            "Node '{}': Connecting to invalid output {slot} of source node {} which has {} outputs.",
                            nodes[dst].name, nodes[e.src].name, nodes[e.src].kernel.num_outputs
                        )));
                    }
                    if nodes[dst].input_is_ref(dst_slot) && !nodes[e.src].output_is_ref(slot) {
                        let dtype = registry.input_types(&def.node[dst]).ok().and_then(|t| t.get(dst_slot).copied());
                        let name = dtype.map(|t| t.to_string()).unwrap_or_default();
                        return Err(Error::invalid_argument(format!(
                            "Input {dst_slot} of node {} was passed {name} from {}:{slot} incompatible with expected {name}_ref.",
                            nodes[dst].name, nodes[e.src].name
                        )));
                    }
                    nodes[e.src].out_edges.push(OutEdge { src_slot: Some(slot), dst, dst_slot, last_use: false });
                    dst_slot += 1;
                } else {
                    nodes[e.src].out_edges.push(OutEdge { src_slot: None, dst, dst_slot: 0, last_use: false });
                }
            }
        }
        for n in nodes.iter_mut() {
            let mut seen = std::collections::HashSet::new();
            for e in n.out_edges.iter_mut().rev() {
                e.last_use = e.src_slot.is_some_and(|s| seen.insert(s));
            }
        }
        let roots: Vec<usize> = nodes.iter().enumerate().filter(|(_, n)| n.num_dependencies() == 0).map(|(i, _)| i).collect();
        let mut graph = Graph { nodes, roots, frames: Vec::new(), device_name };
        graph.check_acyclic()?;
        graph.assign_frames(&index)?;
        Ok(graph)
    }

    /// Kahn's algorithm with `NextIteration` out-edges (a loop's back-edges) left out: every node
    /// must become ready from the roots.
    fn check_acyclic(&self) -> Result<()> {
        let mut pending: Vec<usize> = self.nodes.iter().map(Node::num_dependencies).collect();
        for n in &self.nodes {
            if n.kind == NodeKind::NextIteration {
                for e in &n.out_edges {
                    pending[e.dst] -= 1;
                }
            }
        }
        let mut ready: Vec<usize> = (0..self.nodes.len()).filter(|&i| pending[i] == 0).collect();
        let mut visited = 0;
        while let Some(n) = ready.pop() {
            visited += 1;
            if self.nodes[n].kind == NodeKind::NextIteration {
                continue;
            }
            for e in &self.nodes[n].out_edges {
                pending[e.dst] -= 1;
                if pending[e.dst] == 0 {
                    ready.push(e.dst);
                }
            }
        }
        if visited == self.nodes.len() {
            return Ok(());
        }
        let in_cycle: Vec<&str> = pending.iter().enumerate().filter(|(_, p)| **p > 0).map(|(i, _)| &*self.nodes[i].name).take(5).collect();
        Err(Error::invalid_argument(format!(
            "Graph is invalid, contains a cycle with {} nodes, including: {}",
            self.nodes.len() - visited,
            in_cycle.join(", ")
        )))
    }

    /// Assigns every node its frame (TF's `BuildControlFlowInfo`, shared with the master's
    /// partitioner) and lays out each frame's pending counts and input slots.
    fn assign_frames(&mut self, index: &GraphIndex<'_>) -> Result<()> {
        let cf = control_flow_info(index)?;
        let mut frames: Vec<FrameInfo> = cf
            .frames
            .iter()
            .map(|f| FrameInfo {
                name: f.name.clone(),
                parent: f.parent,
                nodes: Vec::new(),
                num_input_slots: 0,
                num_enters: f.enters.len(),
                parallel_iterations: f.parallel_iterations.clamp(1, 1 << 20) as usize,
            })
            .collect();
        for (f, def) in cf.frames.iter().enumerate() {
            for &enter in &def.enters {
                if let NodeKind::Enter { frame, .. } = &mut self.nodes[enter].kind {
                    *frame = f;
                }
            }
        }
        for (i, node) in self.nodes.iter_mut().enumerate() {
            let f = cf.frame_of[i];
            let info = &mut frames[f];
            node.frame = f;
            node.local_id = info.nodes.len();
            node.input_base = info.num_input_slots;
            info.nodes.push(i);
            info.num_input_slots += node.num_inputs;
        }
        self.frames = frames;
        Ok(())
    }
}

/// Which inputs and outputs of a node are references (each list empty when none is).
fn ref_args(registry: &OpRegistry, node: &ferroflow_proto::NodeDef) -> Result<(Vec<bool>, Vec<bool>)> {
    let Some(def) = registry.get(&node.op) else { return Ok((Vec::new(), Vec::new())) };
    if !def.inputs.iter().chain(def.outputs.iter()).any(|a| a.is_ref) {
        return Ok((Vec::new(), Vec::new()));
    }
    let node = def.with_defaults(node);
    Ok((def.input_refs(&node)?, def.output_refs(&node)?))
}

#[cfg(test)]
#[path = "graph_tests.rs"]
mod tests;
