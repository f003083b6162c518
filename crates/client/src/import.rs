//! Graphs exported by TF: a `GraphDef`, or a `MetaGraphDef` from
//! `tf.compat.v1.train.export_meta_graph` (binary), loaded into a [`Graph`] that can be run and
//! extended from Rust. A `MetaGraphDef` brings its op definitions (`stripped_op_list`, so ops the
//! built-in table lacks still load), its collections by name, and its variables: TF stores
//! `variables` and `trainable_variables` as serialized `VariableDef`s naming each variable's handle,
//! initializer (`NAME/Assign`), initial value and snapshot; `global_variables_initializer()` is
//! the `NoOp` named `init` in the graph, `train_op` a node-list collection.
//!
//! Wire input: files are decoded with prost (bounded by their size); node names, inputs and attrs
//! are checked before anything is added, and a bad file is INVALID_ARGUMENT or DATA_LOSS.

use crate::graph::{Graph, NodeEntry, Operation, Output};
use crate::op_defs;
use crate::shape::Shape;
use crate::shape_inference;
use crate::variables::Variable;
use ferroflow_framework::{Attrs, Error, Result};
use ferroflow_proto::attr_value::Value;
use ferroflow_proto::collection_def::Kind;
use ferroflow_proto::{GraphDef, MetaGraphDef};
use prost::Message;
use std::collections::{HashMap, VecDeque};
use std::path::Path;

/// TF's `VariableDef` (variable.proto), as the `variables` collections hold it.
#[derive(Clone, PartialEq, prost::Message)]
pub struct VariableDef {
    #[prost(string, tag = "1")]
    pub variable_name: String,
    #[prost(string, tag = "6")]
    pub initial_value_name: String,
    #[prost(string, tag = "2")]
    pub initializer_name: String,
    #[prost(string, tag = "3")]
    pub snapshot_name: String,
    #[prost(bool, tag = "5")]
    pub is_resource: bool,
    #[prost(bool, tag = "7")]
    pub trainable: bool,
}

fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| Error::not_found(format!("{}: {e}", path.display())))
}

/// Loads a binary `GraphDef` file.
pub fn load_graph_def(path: impl AsRef<Path>) -> Result<Graph> {
    let bytes = read(path.as_ref())?;
    let def = GraphDef::decode(bytes.as_slice()).map_err(|e| Error::data_loss(format!("{} is not a GraphDef: {e}", path.as_ref().display())))?;
    let graph = Graph::new();
    import_graph_def(&graph, &def)?;
    Ok(graph)
}

/// Loads a binary `MetaGraphDef` file (`export_meta_graph`).
pub fn load_meta_graph(path: impl AsRef<Path>) -> Result<Graph> {
    let bytes = read(path.as_ref())?;
    let meta = MetaGraphDef::decode(bytes.as_slice()).map_err(|e| Error::data_loss(format!("{} is not a MetaGraphDef: {e}", path.as_ref().display())))?;
    import_meta_graph(&meta)
}

/// A graph from a `MetaGraphDef`, with its op definitions, collections and variables.
pub fn import_meta_graph(meta: &MetaGraphDef) -> Result<Graph> {
    let graph = Graph::new();
    if let Some(ops) = meta.meta_info_def.as_ref().and_then(|m| m.stripped_op_list.as_ref()) {
        graph.add_op_defs(ops.op.iter().cloned());
    }
    let def = meta.graph_def.clone().unwrap_or_default();
    import_graph_def(&graph, &def)?;
    for (name, c) in &meta.collection_def {
        graph.set_collection(name, c.clone());
    }
    let trainable: Vec<String> = variable_defs(meta, "trainable_variables")?.into_iter().map(|v| v.variable_name).collect();
    for v in variable_defs(meta, "variables")? {
        let is_trainable = v.trainable || trainable.contains(&v.variable_name);
        graph.register_variable(variable_from_def(&graph, &v, is_trainable)?);
    }
    Ok(graph)
}

fn variable_defs(meta: &MetaGraphDef, collection: &str) -> Result<Vec<VariableDef>> {
    let Some(c) = meta.collection_def.get(collection) else { return Ok(Vec::new()) };
    match &c.kind {
        Some(Kind::BytesList(list)) => list
            .value
            .iter()
            .map(|b| VariableDef::decode(b.as_ref()).map_err(|e| Error::data_loss(format!("collection {collection} holds a bad VariableDef: {e}"))))
            .collect(),
        _ => Err(Error::invalid_argument(format!("collection {collection} is not a list of VariableDefs"))),
    }
}

fn variable_from_def(graph: &Graph, v: &VariableDef, trainable: bool) -> Result<Variable> {
    let handle = graph.output(&v.variable_name)?;
    if !v.is_resource || handle.op().op_type() != "VarHandleOp" {
        return Err(Error::unimplemented(format!("variable {} is not a resource variable (ref variables are not supported)", v.variable_name)));
    }
    let node = handle.op().node_def();
    let attrs = Attrs::new(&node);
    let dtype = attrs.get_type("dtype")?;
    let shape = attrs.get_shape("shape")?.map(|d| Shape::from_dims(&d)).unwrap_or_default();
    let opt_op = |n: &str| if n.is_empty() { Ok(None) } else { graph.operation(n).map(Some) };
    let opt_out = |n: &str| if n.is_empty() { Ok(None) } else { graph.output(n).map(Some) };
    Ok(Variable::from_parts(handle, dtype, shape, opt_op(&v.initializer_name)?, opt_out(&v.initial_value_name)?, opt_out(&v.snapshot_name)?, trainable))
}

fn input_node(input: &str) -> &str {
    let s = input.strip_prefix('^').unwrap_or(input);
    match s.rsplit_once(':') {
        Some((n, i)) if i.parse::<usize>().is_ok() => n,
        _ => s,
    }
}

/// Adds the nodes of `def` to `graph` (whose names they must not clash with), in an order where
/// each node follows its inputs; defaults are filled in for attrs the file left out.
pub fn import_graph_def(graph: &Graph, def: &GraphDef) -> Result<()> {
    let mut index: HashMap<&str, usize> = HashMap::new();
    for (i, n) in def.node.iter().enumerate() {
        if n.name.is_empty() || index.insert(n.name.as_str(), i).is_some() {
            return Err(Error::invalid_argument(format!("Duplicate or empty node name in GraphDef: '{}'", n.name)));
        }
    }
    let mut pending = vec![0usize; def.node.len()];
    let mut consumers: Vec<Vec<usize>> = vec![Vec::new(); def.node.len()];
    for (i, n) in def.node.iter().enumerate() {
        for input in &n.input {
            let src = *index.get(input_node(input)).ok_or_else(|| {
                Error::invalid_argument(format!("Node '{}': Unknown input node '{input}'", n.name))
            })?;
            pending[i] += 1;
            consumers[src].push(i);
        }
    }
    let mut ready: VecDeque<usize> = (0..def.node.len()).filter(|&i| pending[i] == 0).collect();
    let mut order = Vec::with_capacity(def.node.len());
    while let Some(i) = ready.pop_front() {
        order.push(i);
        for &c in &consumers[i] {
            pending[c] -= 1;
            if pending[c] == 0 {
                ready.push_back(c);
            }
        }
    }
    if order.len() != def.node.len() {
        return Err(Error::invalid_argument("GraphDef has a cycle (control flow loops are not supported)"));
    }
    graph.set_versions(def.versions.clone());
    for i in order {
        add_node(graph, def.node[i].clone())?;
    }
    Ok(())
}

fn add_node(graph: &Graph, mut node: ferroflow_proto::NodeDef) -> Result<Operation> {
    let op_def = graph.with(|g| g.op_def(&node.op))?;
    for attr in &op_def.attr {
        if !node.attr.contains_key(&attr.name)
            && let Some(v) = &attr.default_value
        {
            node.attr.insert(attr.name.clone(), v.clone());
        }
    }
    let output_types = op_defs::output_types(&op_def, &node)?;
    let inputs: Vec<Output> = node.input.iter().filter(|i| !i.starts_with('^')).map(|i| graph.output(i)).collect::<Result<_>>()?;
    let shapes: Vec<Shape> = inputs.iter().map(Output::shape).collect();
    let mut output_shapes = shape_inference::infer(graph, &node, &inputs, &shapes, output_types.len())?;
    if let Some(Value::List(l)) = node.attr.get("_output_shapes").and_then(|a| a.value.as_ref())
        && l.shape.len() == output_shapes.len()
    {
        for (s, p) in output_shapes.iter_mut().zip(&l.shape) {
            *s = s.merge(&Shape::from_proto(p)).unwrap_or_else(|_| Shape::from_proto(p));
        }
    }
    let index = graph.with(|g| {
        if g.by_name.contains_key(&node.name) {
            return Err(Error::invalid_argument(format!("Duplicate node name in graph: '{}'", node.name)));
        }
        g.unique_name(&node.name, true);
        let index = g.nodes.len();
        g.by_name.insert(node.name.clone(), index);
        g.nodes.push(NodeEntry { def: node, op_def, output_types, output_shapes });
        Ok(index)
    })?;
    Ok(graph.operation_at(index))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::{array, math};
    use ferroflow_framework::{DType, Tensor};

    #[test]
    fn a_graph_round_trips_through_its_graph_def_in_any_node_order() {
        let g = Graph::new();
        let s = g.scope();
        let x = array::placeholder(&s.named("x"), DType::Float, [2]).unwrap();
        let y = math::op_mul(&s, &x, Tensor::from_vec(vec![2], vec![1.0f32, 2.0]).unwrap()).unwrap();
        let mut def = g.to_graph_def();
        def.node.reverse();
        let h = Graph::new();
        import_graph_def(&h, &def).unwrap();
        let y2 = h.output(&y.name()).unwrap();
        assert_eq!(y2.dtype(), DType::Float);
        assert_eq!(y2.shape(), Shape::from_dims(&[2]));
        // New ops get names the imported ones do not have.
        let z = math::op_mul(&h.scope(), &y2, 2.0f32).unwrap();
        assert_eq!(z.op().name(), "mul_1");
    }

    #[test]
    fn unknown_inputs_and_ops_are_refused() {
        let g = Graph::new();
        let bad = GraphDef { node: vec![ferroflow_proto::NodeDef { name: "a".into(), op: "Identity".into(), input: vec!["nope".into()], ..Default::default() }], ..Default::default() };
        assert_eq!(import_graph_def(&g, &bad).unwrap_err().code, ferroflow_framework::Code::InvalidArgument);
        let unknown = GraphDef { node: vec![ferroflow_proto::NodeDef { name: "a".into(), op: "NoSuchOp".into(), ..Default::default() }], ..Default::default() };
        assert_eq!(import_graph_def(&g, &unknown).unwrap_err().code, ferroflow_framework::Code::NotFound);
    }
}
