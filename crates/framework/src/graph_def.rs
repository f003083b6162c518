//! Reading a `GraphDef`'s structure: node names to indices and every node's inputs resolved to
//! (source node, output slot) edges, with TF's graph-import errors (empty or duplicate names, unknown
//! inputs, a data input after a control input). What the worker's graph builder and the master's
//! graph passes both start from.
//!
//! Pure functions over borrowed data.

use crate::error::{Error, Result};
use ferroflow_proto::GraphDef;
use std::collections::HashMap;

/// Splits an input string into (node, output slot, is_control): `a`, `a:1`, `^a`.
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

/// One incoming edge of a node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InEdge {
    pub src: usize,
    /// Output slot of the source; `None` for a control edge.
    pub slot: Option<usize>,
}

/// A `GraphDef`'s nodes by name and their resolved inputs.
pub struct GraphIndex<'a> {
    pub def: &'a GraphDef,
    pub by_name: HashMap<&'a str, usize>,
    /// Per node: data inputs in slot order, then control inputs.
    pub inputs: Vec<Vec<InEdge>>,
    /// Per node: how many of its inputs are data inputs.
    pub num_data_inputs: Vec<usize>,
}

impl<'a> GraphIndex<'a> {
    /// Indexes `def`; INVALID_ARGUMENT with TF's wording for an empty or duplicate name, an unknown
    /// input, or a data input after a control input.
    pub fn new(def: &'a GraphDef) -> Result<GraphIndex<'a>> {
        let mut by_name = HashMap::with_capacity(def.node.len());
        for (i, n) in def.node.iter().enumerate() {
            if n.name.is_empty() {
                return Err(Error::invalid_argument(format!("Node {i} has an empty name")));
            }
            if by_name.insert(n.name.as_str(), i).is_some() {
                return Err(Error::invalid_argument(format!("Node '{}' is not unique", n.name)));
            }
        }
        let mut inputs = Vec::with_capacity(def.node.len());
        let mut num_data_inputs = Vec::with_capacity(def.node.len());
        for n in &def.node {
            let mut edges = Vec::with_capacity(n.input.len());
            let mut seen_control = false;
            let mut data = 0;
            for input in &n.input {
                let (src_name, slot, control) = parse_input(input);
                let src = *by_name.get(src_name).ok_or_else(|| {
                    Error::invalid_argument(format!("Node '{}': Unknown input node '{input}'", n.name))
                })?;
                if control {
                    seen_control = true;
                    edges.push(InEdge { src, slot: None });
                } else {
                    if seen_control {
                        return Err(Error::invalid_argument(format!(
                            "Node '{}': Control dependencies must come after regular dependencies: input {input}",
                            n.name
                        )));
                    }
                    edges.push(InEdge { src, slot: Some(slot) });
                    data += 1;
                }
            }
            inputs.push(edges);
            num_data_inputs.push(data);
        }
        Ok(GraphIndex { def, by_name, inputs, num_data_inputs })
    }

    pub fn len(&self) -> usize {
        self.def.node.len()
    }

    pub fn is_empty(&self) -> bool {
        self.def.node.is_empty()
    }
}

/// One frame of a graph: the root frame (index 0, name "") or a while loop's body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrameDef {
    pub name: String,
    /// The enclosing frame; `None` for the root.
    pub parent: Option<usize>,
    /// The `Enter` nodes leading into the frame.
    pub enters: Vec<usize>,
    /// How many iterations may run at once (its first `Enter`'s `parallel_iterations`).
    pub parallel_iterations: i64,
}

/// Which frame each node of a graph runs in.
#[derive(Debug, Clone)]
pub struct ControlFlowInfo {
    pub frames: Vec<FrameDef>,
    /// Per node: its frame (index into `frames`).
    pub frame_of: Vec<usize>,
}

fn is_op(op: &str, names: &[&str]) -> bool {
    names.contains(&op)
}

/// TF's `BuildControlFlowInfo`: walking from the nodes without inputs, the consumers of an `Enter`
/// are in the frame it names (child of the Enter's frame), those of an `Exit` in its frame's parent,
/// everyone else's in their producer's. INVALID_ARGUMENT (TF's wording) for a node fed from two
/// frames, an `Exit` in the root frame, or `Enter`s of one frame in different parent frames.
pub fn control_flow_info(index: &GraphIndex<'_>) -> Result<ControlFlowInfo> {
    let nodes = &index.def.node;
    let mut outputs: Vec<Vec<usize>> = vec![Vec::new(); nodes.len()];
    for (dst, edges) in index.inputs.iter().enumerate() {
        for e in edges {
            outputs[e.src].push(dst);
        }
    }
    let mut frames = vec![FrameDef { name: String::new(), parent: None, enters: Vec::new(), parallel_iterations: 1 }];
    let mut by_name: HashMap<String, usize> = HashMap::new();
    let mut frame_of: Vec<Option<usize>> = vec![None; nodes.len()];
    let mut queue = std::collections::VecDeque::new();
    for (i, inputs) in index.inputs.iter().enumerate() {
        if inputs.is_empty() {
            frame_of[i] = Some(0);
            queue.push_back(i);
        }
    }
    while let Some(src) = queue.pop_front() {
        let src_frame = frame_of[src].unwrap_or(0);
        let node = &nodes[src];
        let out_frame = if is_op(&node.op, &["Enter", "RefEnter"]) {
            let attrs = crate::Attrs::new(node);
            let name = attrs.get_string("frame_name")?;
            let frame = match by_name.get(&name) {
                Some(&f) => f,
                None => {
                    let parallel_iterations = attrs.get_int_or("parallel_iterations", 10)?;
                    frames.push(FrameDef { name: name.clone(), parent: Some(src_frame), enters: Vec::new(), parallel_iterations });
                    by_name.insert(name.clone(), frames.len() - 1);
                    frames.len() - 1
                }
            };
            if frames[frame].parent != Some(src_frame) {
                return Err(Error::invalid_argument(format!(
                    "Node '{}' enters frame '{name}' from a different parent frame than its other Enter nodes",
                    node.name
                )));
            }
            frames[frame].enters.push(src);
            frame
        } else if is_op(&node.op, &["Exit", "RefExit"]) {
            frames[src_frame].parent.ok_or_else(|| Error::invalid_argument(format!("Node '{}' is an Exit in the root frame", node.name)))?
        } else {
            src_frame
        };
        for &dst in &outputs[src] {
            match frame_of[dst] {
                None => {
                    frame_of[dst] = Some(out_frame);
                    queue.push_back(dst);
                }
                Some(f) if f != out_frame => {
                    return Err(Error::invalid_argument(format!(
                        "Node '{}' has inputs from different frames. The input '{}' is in frame '{}'. The node is in frame '{}'.",
                        nodes[dst].name, node.name, frames[out_frame].name, frames[f].name
                    )));
                }
                Some(_) => {}
            }
        }
    }
    Ok(ControlFlowInfo { frames, frame_of: frame_of.into_iter().map(|f| f.unwrap_or(0)).collect() })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::node_def::NodeDefBuilder;

    #[test]
    fn frames_follow_enters_and_exits() {
        let enter = |name: &str, input: &str, frame: &str| {
            NodeDefBuilder::new(name, "Enter").input(input).attr_str("frame_name", frame).attr_int("parallel_iterations", 3).build()
        };
        let g = GraphDef {
            node: vec![
                NodeDefBuilder::new("c", "Const").build(),
                enter("e", "c", "outer"),
                NodeDefBuilder::new("m", "Merge").input("e").input("n").build(),
                enter("e2", "m", "inner"),
                NodeDefBuilder::new("body", "Identity").input("e2").build(),
                NodeDefBuilder::new("x2", "Exit").input("body").build(),
                NodeDefBuilder::new("n", "NextIteration").input("x2").build(),
                NodeDefBuilder::new("x", "Exit").input("m").build(),
                NodeDefBuilder::new("after", "Identity").input("x").build(),
            ],
            ..Default::default()
        };
        let cf = control_flow_info(&GraphIndex::new(&g).unwrap()).unwrap();
        let names: Vec<&str> = cf.frame_of.iter().map(|&f| cf.frames[f].name.as_str()).collect();
        assert_eq!(names, vec!["", "", "outer", "outer", "inner", "inner", "outer", "outer", ""]);
        assert_eq!(cf.frames[1], FrameDef { name: "outer".into(), parent: Some(0), enters: vec![1], parallel_iterations: 3 });
        assert_eq!(cf.frames[2].parent, Some(1));
        let bad = GraphDef {
            node: vec![
                NodeDefBuilder::new("c", "Const").build(),
                enter("e", "c", "f"),
                NodeDefBuilder::new("mix", "AddV2").input("e").input("c").build(),
            ],
            ..Default::default()
        };
        let e = control_flow_info(&GraphIndex::new(&bad).unwrap()).unwrap_err();
        assert!(e.message.contains("'mix' has inputs from different frames"), "{}", e.message);
    }

    #[test]
    fn inputs_parse_like_tensorflow() {
        assert_eq!(parse_input("a"), ("a", 0, false));
        assert_eq!(parse_input("a:1"), ("a", 1, false));
        assert_eq!(parse_input("^a"), ("a", 0, true));
        assert_eq!(parse_input("scope/a:12"), ("scope/a", 12, false));
        assert_eq!(parse_input("a:b"), ("a:b", 0, false));
    }

    #[test]
    fn indexes_and_rejects_with_tensorflow_wording() {
        let g = GraphDef {
            node: vec![
                NodeDefBuilder::new("c", "AddV2").input("a").input("b:1").input("^a").build(),
                NodeDefBuilder::new("a", "Const").build(),
                NodeDefBuilder::new("b", "Unpack").input("a").build(),
            ],
            ..Default::default()
        };
        let ix = GraphIndex::new(&g).unwrap();
        assert_eq!(ix.inputs[0], vec![InEdge { src: 1, slot: Some(0) }, InEdge { src: 2, slot: Some(1) }, InEdge { src: 1, slot: None }]);
        assert_eq!(ix.num_data_inputs, vec![2, 0, 1]);
        let dup = GraphDef { node: vec![NodeDefBuilder::new("a", "NoOp").build(); 2], ..Default::default() };
        assert_eq!(GraphIndex::new(&dup).err().unwrap().message, "Node 'a' is not unique");
        let unknown = GraphDef { node: vec![NodeDefBuilder::new("a", "Identity").input("zz:1").build()], ..Default::default() };
        assert_eq!(GraphIndex::new(&unknown).err().unwrap().message, "Node 'a': Unknown input node 'zz:1'");
        let late = GraphDef {
            node: vec![NodeDefBuilder::new("a", "NoOp").build(), NodeDefBuilder::new("b", "Identity").input("^a").input("a").build()],
            ..Default::default()
        };
        assert!(GraphIndex::new(&late).err().unwrap().message.contains("Control dependencies must come after regular dependencies"));
        let empty = GraphDef { node: vec![NodeDefBuilder::new("", "NoOp").build()], ..Default::default() };
        assert_eq!(GraphIndex::new(&empty).err().unwrap().message, "Node 0 has an empty name");
    }
}
