//! A graph ready to execute: nodes from a `GraphDef` with their kernels built, inputs resolved to
//! (node, output) pairs, and out-edges listed, after validation (unknown ops, bad attrs, unknown or
//! invalid inputs, devices of other tasks, cycles), each error INVALID_ARGUMENT or NOT_FOUND naming
//! the node as TF does.
//!
//! Immutable once built; shared by `Arc` among all steps that run it.

use crate::device::DeviceMgr;
use ferroflow_framework::{Error, Kernel, KernelRegistry, Result};
use ferroflow_proto::GraphDef;
use std::collections::HashMap;
use std::sync::Arc;

/// Where an output goes.
#[derive(Debug, Clone, Copy)]
pub struct OutEdge {
    /// Output slot of the source, `None` for a control edge.
    pub src_slot: Option<usize>,
    pub dst: usize,
    /// Input slot of the destination (unused for control edges).
    pub dst_slot: usize,
}

/// One executable node.
pub struct Node {
    pub name: Arc<str>,
    pub op: String,
    pub kernel: Kernel,
    /// Index of this node's first input in the step's flat input table.
    pub input_base: usize,
    pub num_inputs: usize,
    pub num_control_inputs: usize,
    pub out_edges: Vec<OutEdge>,
}

impl Node {
    /// Inputs plus control inputs: how many arrivals make the node ready.
    pub fn num_dependencies(&self) -> usize {
        self.num_inputs + self.num_control_inputs
    }
}

/// A validated graph with built kernels.
pub struct Graph {
    pub nodes: Vec<Node>,
    /// Nodes with no inputs at all: where execution starts.
    pub roots: Vec<usize>,
    /// Total input slots over all nodes.
    pub num_input_slots: usize,
    pub device_name: String,
}

/// Splits an input string into (node, output slot, is_control).
pub fn parse_input(input: &str) -> (&str, usize, bool) {
    if let Some(name) = input.strip_prefix('^') {
        return (name, 0, true);
    }
    match input.rsplit_once(':') {
        Some((name, slot)) if !slot.is_empty() && slot.bytes().all(|b| b.is_ascii_digit()) => {
            (name, slot.parse().unwrap_or(usize::MAX), false)
        }
        _ => (input, 0, false),
    }
}

impl Graph {
    /// Validates `def` and builds every node's kernel for the device of `devices` that the nodes name.
    pub fn build(def: &GraphDef, registry: &KernelRegistry, devices: &DeviceMgr) -> Result<Graph> {
        let mut index: HashMap<&str, usize> = HashMap::with_capacity(def.node.len());
        for (i, n) in def.node.iter().enumerate() {
            if n.name.is_empty() {
                return Err(Error::invalid_argument(format!("Node {i} has an empty name")));
            }
            if index.insert(n.name.as_str(), i).is_some() {
                return Err(Error::invalid_argument(format!("Node '{}' is not unique", n.name)));
            }
        }
        let mut device_name = String::new();
        let mut nodes = Vec::with_capacity(def.node.len());
        let mut input_base = 0;
        let mut edges: Vec<(usize, OutEdge)> = Vec::new();
        for (i, n) in def.node.iter().enumerate() {
            let device = devices.lookup(&n.device)?;
            if device_name.is_empty() {
                device_name = device.name().to_string();
            }
            let mut num_inputs = 0;
            let mut num_control = 0;
            let mut seen_control = false;
            for input in &n.input {
                let (src_name, slot, is_control) = parse_input(input);
                let src = *index.get(src_name).ok_or_else(|| {
                    Error::invalid_argument(format!("Node '{}': Unknown input node '{input}'", n.name))
                })?;
                if is_control {
                    seen_control = true;
                    edges.push((src, OutEdge { src_slot: None, dst: i, dst_slot: 0 }));
                    num_control += 1;
                } else {
                    if seen_control {
                        return Err(Error::invalid_argument(format!(
                            "Node '{}': Control dependencies must come after regular dependencies: input {input}",
                            n.name
                        )));
                    }
                    edges.push((src, OutEdge { src_slot: Some(slot), dst: i, dst_slot: num_inputs }));
                    num_inputs += 1;
                }
            }
            let kernel = registry.build(n, num_inputs)?;
            nodes.push(Node {
                name: n.name.as_str().into(),
                op: n.op.clone(),
                kernel,
                input_base,
                num_inputs,
                num_control_inputs: num_control,
                out_edges: Vec::new(),
            });
            input_base += num_inputs;
        }
        for (src, edge) in edges {
            if let Some(slot) = edge.src_slot
                && slot >= nodes[src].kernel.num_outputs
            {
                return Err(Error::invalid_argument(format!(
                    "Node '{}': Connecting to invalid output {slot} of source node {} which has {} outputs.",
                    nodes[edge.dst].name, nodes[src].name, nodes[src].kernel.num_outputs
                )));
            }
            nodes[src].out_edges.push(edge);
        }
        let roots: Vec<usize> = nodes.iter().enumerate().filter(|(_, n)| n.num_dependencies() == 0).map(|(i, _)| i).collect();
        let graph = Graph { nodes, roots, num_input_slots: input_base, device_name };
        graph.check_acyclic()?;
        Ok(graph)
    }

    /// Kahn's algorithm: every node must become ready from the roots.
    fn check_acyclic(&self) -> Result<()> {
        let mut pending: Vec<usize> = self.nodes.iter().map(Node::num_dependencies).collect();
        let mut ready = self.roots.clone();
        let mut visited = 0;
        while let Some(n) = ready.pop() {
            visited += 1;
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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inputs_parse_like_tensorflow() {
        assert_eq!(parse_input("a"), ("a", 0, false));
        assert_eq!(parse_input("a:1"), ("a", 1, false));
        assert_eq!(parse_input("^a"), ("a", 0, true));
        assert_eq!(parse_input("scope/a:12"), ("scope/a", 12, false));
    }
}
