//! A read-only index over a `GraphDef` shared by the client-graph builder, the placer and the
//! partitioner: every node's inputs resolved to (source, slot) edges (by the framework's
//! `GraphIndex`, which the worker's graph builder uses too), the
//! reverse (consumer) lists, and the deterministic topological order TF's graph importer uses.
//! Also the small name helpers (tensor names, device specs) those passes share.
//!
//! Pure functions over borrowed data; nothing here is shared between threads.

use ferroflow_framework::device_name::DeviceName;
use ferroflow_framework::Result;
use ferroflow_proto::GraphDef;
use ferroflow_framework::graph_def::{GraphIndex, parse_input};
use std::collections::BTreeSet;

pub(crate) use ferroflow_framework::graph_def::InEdge;

/// One outgoing edge of a node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct OutEdge {
    pub dst: usize,
    /// Output slot of the source; `None` for a control edge.
    pub slot: Option<usize>,
    /// Input position of the destination among its data inputs (0 for control edges).
    pub dst_slot: usize,
}

/// Names, edges and consumers of a `GraphDef`, by node index.
pub(crate) struct GraphView<'a> {
    pub def: &'a GraphDef,
    /// Per node: data inputs in slot order, then control inputs.
    pub inputs: Vec<Vec<InEdge>>,
    /// Per node: its consumers, in graph order.
    pub outputs: Vec<Vec<OutEdge>>,
}

impl<'a> GraphView<'a> {
    /// Indexes `def`; INVALID_ARGUMENT (TF's graph-import wording) for duplicate names, unknown
    /// inputs, or a data input after a control input.
    pub fn new(def: &'a GraphDef) -> Result<GraphView<'a>> {
        let index = GraphIndex::new(def)?;
        let mut outputs = vec![Vec::new(); def.node.len()];
        for (i, edges) in index.inputs.iter().enumerate() {
            let mut data = 0;
            for e in edges {
                outputs[e.src].push(OutEdge { dst: i, slot: e.slot, dst_slot: if e.slot.is_some() { data } else { 0 } });
                if e.slot.is_some() {
                    data += 1;
                }
            }
        }
        Ok(GraphView { def, inputs: index.inputs, outputs })
    }

    pub fn len(&self) -> usize {
        self.def.node.len()
    }

    pub fn name(&self, i: usize) -> &'a str {
        &self.def.node[i].name
    }

    /// Number of data (non-control) inputs of node `i`.
    pub fn num_data_inputs(&self, i: usize) -> usize {
        self.inputs[i].iter().filter(|e| e.slot.is_some()).count()
    }

    /// The order in which TF's importer adds nodes: repeatedly the ready node (all inputs, data
    /// and control, already added) that comes first in the `GraphDef`. Nodes on a cycle, which the
    /// importer would reject unless they form a loop, follow in `GraphDef` order.
    pub fn topo_order(&self) -> Vec<usize> {
        let n = self.len();
        let mut pending: Vec<usize> = self.inputs.iter().map(|e| e.len()).collect();
        let mut ready: BTreeSet<usize> = (0..n).filter(|&i| pending[i] == 0).collect();
        let mut order = Vec::with_capacity(n);
        let mut done = vec![false; n];
        while let Some(i) = ready.pop_first() {
            order.push(i);
            done[i] = true;
            for e in &self.outputs[i] {
                pending[e.dst] -= 1;
                if pending[e.dst] == 0 {
                    ready.insert(e.dst);
                }
            }
        }
        order.extend((0..n).filter(|&i| !done[i]));
        order
    }
}

/// The input string naming `(src, slot)`: `src` for slot 0, `src:k` otherwise, `^src` for control.
pub(crate) fn input_string(src: &str, slot: Option<usize>) -> String {
    match slot {
        None => format!("^{src}"),
        Some(0) => src.to_string(),
        Some(k) => format!("{src}:{k}"),
    }
}

/// Splits a tensor name as TF's `ParseTensorName`: `node:k` -> (node, Some(k)), `node` ->
/// (node, Some(0)), `^node` -> (node, None).
pub(crate) fn parse_tensor_name(name: &str) -> (&str, Option<usize>) {
    let (node, slot, control) = parse_input(name);
    if control { (node, None) } else { (node, Some(slot)) }
}

/// TF's `ParsedNameToString`: the parts of a (possibly partial) device spec that are set.
pub(crate) fn spec_string(d: &DeviceName) -> String {
    let mut s = String::new();
    if let Some(job) = &d.job {
        s.push_str(&format!("/job:{job}"));
    }
    if let Some(r) = d.replica {
        s.push_str(&format!("/replica:{r}"));
    }
    if let Some(t) = d.task {
        s.push_str(&format!("/task:{t}"));
    }
    match (&d.device_type, d.id) {
        (Some(t), Some(id)) => s.push_str(&format!("/device:{t}:{id}")),
        (Some(t), None) => s.push_str(&format!("/device:{t}:*")),
        (None, Some(id)) => s.push_str(&format!("/device:*:{id}")),
        (None, None) => {}
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferroflow_framework::node_def::NodeDefBuilder;

    #[test]
    fn indexes_edges_and_orders_topologically() {
        let g = GraphDef {
            node: vec![
                NodeDefBuilder::new("c", "AddV2").input("a").input("b:1").input("^d").build(),
                NodeDefBuilder::new("a", "Const").build(),
                NodeDefBuilder::new("b", "Unpack").input("a").build(),
                NodeDefBuilder::new("d", "NoOp").build(),
            ],
            ..Default::default()
        };
        let v = GraphView::new(&g).unwrap();
        assert_eq!(
            v.inputs[0],
            vec![InEdge { src: 1, slot: Some(0) }, InEdge { src: 2, slot: Some(1) }, InEdge { src: 3, slot: None }]
        );
        assert_eq!(v.num_data_inputs(0), 2);
        assert_eq!(v.outputs[2], vec![OutEdge { dst: 0, slot: Some(1), dst_slot: 1 }]);
        assert_eq!(v.topo_order(), vec![1, 2, 3, 0]);
    }

    #[test]
    fn rejects_bad_graphs_with_tf_wording() {
        let dup = GraphDef { node: vec![NodeDefBuilder::new("a", "NoOp").build(); 2], ..Default::default() };
        assert_eq!(GraphView::new(&dup).err().unwrap().message, "Node 'a' is not unique");
        let unknown =
            GraphDef { node: vec![NodeDefBuilder::new("a", "Identity").input("zz:1").build()], ..Default::default() };
        assert_eq!(GraphView::new(&unknown).err().unwrap().message, "Node 'a': Unknown input node 'zz:1'");
    }

    #[test]
    fn name_helpers() {
        assert_eq!(input_string("x", Some(0)), "x");
        assert_eq!(input_string("x", Some(2)), "x:2");
        assert_eq!(input_string("x", None), "^x");
        assert_eq!(parse_tensor_name("a/b:1"), ("a/b", Some(1)));
        assert_eq!(parse_tensor_name("a"), ("a", Some(0)));
        assert_eq!(parse_tensor_name("^a"), ("a", None));
        let d = DeviceName::parse("/job:worker/task:1/cpu:0").unwrap();
        assert_eq!(spec_string(&d), "/job:worker/task:1/device:CPU:0");
        assert_eq!(spec_string(&DeviceName::parse("/device:CPU:*").unwrap()), "/device:CPU:*");
    }
}
