//! A TensorFlow graph under construction: nodes in creation order with their output dtypes and
//! static shapes, TF's unique-naming rule, the graph-level random seed, collections and the
//! variables made in it. `Operation` and `Output` are handles into it.
//!
//! Concurrency: a `Graph` is a cheap clone of an `Arc`; its state sits behind one mutex, held only
//! for the duration of a single read or insertion, so graphs may be built and read from several
//! threads (ops are appended atomically; names stay unique).

use crate::op_defs;
use crate::shape::Shape;
use crate::variables::Variable;
use ferroflow_framework::{DType, Error, Result};
use ferroflow_proto::attr_value::Value;
use ferroflow_proto::{AttrValue, CollectionDef, GraphDef, NodeDef, OpDef, VersionDef};
use parking_lot::Mutex;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// TF 2.21's GraphDef producer version (what its Python writes in `versions.producer`).
pub const PRODUCER_VERSION: i32 = 2474;

/// A graph; clones share the same graph.
#[derive(Clone)]
pub struct Graph {
    shared: Arc<Shared>,
}

struct Shared {
    id: u64,
    state: Mutex<GraphState>,
}

pub(crate) struct NodeEntry {
    pub def: NodeDef,
    pub op_def: Arc<OpDef>,
    pub output_types: Vec<DType>,
    pub output_shapes: Vec<Shape>,
}

#[derive(Default)]
pub(crate) struct GraphState {
    pub nodes: Vec<NodeEntry>,
    pub by_name: HashMap<String, usize>,
    /// Names (lower-cased, as TF compares them) and how often each was asked for.
    pub names_in_use: HashMap<String, u64>,
    pub seed: Option<i64>,
    pub op_seed_counter: i64,
    pub collections: BTreeMap<String, CollectionDef>,
    pub extra_op_defs: HashMap<String, Arc<OpDef>>,
    pub variables: Vec<Variable>,
    pub versions: Option<VersionDef>,
}

impl GraphState {
    /// TF's `Graph.unique_name(name)`: `name`, else `name_1`, `name_2`, ... (case-insensitive).
    pub fn unique_name(&mut self, name: &str, mark_as_used: bool) -> String {
        let key = name.to_lowercase();
        let i = self.names_in_use.get(&key).copied().unwrap_or(0);
        if mark_as_used {
            self.names_in_use.insert(key.clone(), i + 1);
        }
        if i == 0 {
            return name.to_string();
        }
        let mut i = i;
        let mut candidate = key.clone();
        while self.names_in_use.contains_key(&candidate) {
            candidate = format!("{key}_{i}");
            i += 1;
        }
        if mark_as_used {
            self.names_in_use.insert(candidate, 1);
        }
        format!("{name}_{}", i - 1)
    }

    pub fn op_def(&self, op_type: &str) -> Result<Arc<OpDef>> {
        if let Some(op) = op_defs::built_in().get(op_type) {
            return Ok(op.clone());
        }
        self.extra_op_defs.get(op_type).cloned().ok_or_else(|| op_defs::not_registered(op_type))
    }
}

static NEXT_GRAPH_ID: AtomicU64 = AtomicU64::new(1);

impl Default for Graph {
    fn default() -> Self {
        Graph::new()
    }
}

impl Graph {
    pub fn new() -> Graph {
        let id = NEXT_GRAPH_ID.fetch_add(1, Ordering::Relaxed);
        Graph { shared: Arc::new(Shared { id, state: Mutex::new(GraphState::default()) }) }
    }

    pub fn id(&self) -> u64 {
        self.shared.id
    }

    pub(crate) fn with<R>(&self, f: impl FnOnce(&mut GraphState) -> R) -> R {
        f(&mut self.shared.state.lock())
    }

    /// The root scope for building ops in this graph.
    pub fn scope(&self) -> crate::scope::Scope {
        crate::scope::Scope::new(self)
    }

    /// Sets the graph-level seed (`tf.compat.v1.set_random_seed`).
    pub fn set_random_seed(&self, seed: i64) {
        self.with(|s| s.seed = Some(seed));
    }

    pub fn random_seed(&self) -> Option<i64> {
        self.with(|s| s.seed)
    }

    pub fn num_nodes(&self) -> usize {
        self.with(|s| s.nodes.len())
    }

    pub(crate) fn operation_at(&self, index: usize) -> Operation {
        let name = self.with(|s| Arc::<str>::from(s.nodes[index].def.name.as_str()));
        Operation { graph: self.clone(), index, name }
    }

    /// The operation called `name`.
    pub fn operation(&self, name: &str) -> Result<Operation> {
        let index = self.with(|s| s.by_name.get(name).copied());
        let index = index.ok_or_else(|| Error::not_found(format!("The name '{name}' refers to an Operation not in the graph.")))?;
        Ok(self.operation_at(index))
    }

    /// The tensor called `name` (`node:index`, or `node` for output 0).
    pub fn output(&self, name: &str) -> Result<Output> {
        let (node, index) = match name.rsplit_once(':') {
            Some((n, i)) if i.parse::<usize>().is_ok() => (n, i.parse::<usize>().unwrap_or(0)),
            _ => (name, 0),
        };
        let op = self.operation(node)?;
        let n = op.num_outputs();
        if index >= n {
            return Err(Error::invalid_argument(format!(
                "The name '{name}' refers to a Tensor which does not exist. The operation, '{node}', exists but only has {n} outputs."
            )));
        }
        Ok(op.output(index))
    }

    /// Every operation in creation order.
    pub fn operations(&self) -> Vec<Operation> {
        (0..self.num_nodes()).map(|i| self.operation_at(i)).collect()
    }

    /// The graph as a `GraphDef` (nodes in creation order).
    pub fn to_graph_def(&self) -> GraphDef {
        self.graph_def_from(0)
    }

    /// The nodes created since the first `start` ones (for `ExtendSession`).
    pub fn graph_def_from(&self, start: usize) -> GraphDef {
        self.with(|s| GraphDef {
            node: s.nodes.iter().skip(start).map(|n| n.def.clone()).collect(),
            versions: Some(s.versions.clone().unwrap_or(VersionDef { producer: PRODUCER_VERSION, ..Default::default() })),
            version: 0,
            library: None,
        })
    }

    pub(crate) fn set_versions(&self, v: Option<VersionDef>) {
        self.with(|s| s.versions = v);
    }

    /// Adds the names of `items` (operations or tensors) to collection `name`.
    pub fn add_to_collection(&self, name: &str, item: &str) {
        use ferroflow_proto::collection_def::{Kind, NodeList};
        self.with(|s| {
            let c = s.collections.entry(name.to_string()).or_insert(CollectionDef { kind: Some(Kind::NodeList(NodeList::default())) });
            if let Some(Kind::NodeList(list)) = &mut c.kind {
                list.value.push(item.to_string());
            }
        });
    }

    /// A collection by name, as a MetaGraphDef stores it.
    pub fn collection(&self, name: &str) -> Option<CollectionDef> {
        self.with(|s| s.collections.get(name).cloned())
    }

    pub fn collection_names(&self) -> Vec<String> {
        self.with(|s| s.collections.keys().cloned().collect())
    }

    pub(crate) fn set_collection(&self, name: &str, c: CollectionDef) {
        self.with(|s| s.collections.insert(name.to_string(), c));
    }

    /// The operations or tensors listed in a node-list collection.
    pub fn collection_nodes(&self, name: &str) -> Result<Vec<String>> {
        use ferroflow_proto::collection_def::Kind;
        match self.collection(name).and_then(|c| c.kind) {
            Some(Kind::NodeList(l)) => Ok(l.value),
            None => Ok(Vec::new()),
            Some(_) => Err(Error::invalid_argument(format!("Collection '{name}' is not a list of nodes"))),
        }
    }

    /// Global variables in creation order (`tf.compat.v1.global_variables()`).
    pub fn global_variables(&self) -> Vec<Variable> {
        self.with(|s| s.variables.clone())
    }

    /// Trainable variables in creation order (`tf.compat.v1.trainable_variables()`).
    pub fn trainable_variables(&self) -> Vec<Variable> {
        self.with(|s| s.variables.iter().filter(|v| v.trainable()).cloned().collect())
    }

    pub(crate) fn register_variable(&self, v: Variable) {
        self.with(|s| s.variables.push(v));
    }

    /// Adds op definitions (from an imported `MetaGraphDef`) for ops the built-in table lacks.
    pub fn add_op_defs(&self, ops: impl IntoIterator<Item = OpDef>) {
        self.with(|s| {
            for op in ops {
                if !op_defs::built_in().contains_key(&op.name) {
                    s.extra_op_defs.insert(op.name.clone(), Arc::new(op));
                }
            }
        });
    }

    pub(crate) fn shape_of(&self, o: &Output) -> Shape {
        self.with(|s| s.nodes[o.op.index].output_shapes[o.index].clone())
    }

    /// Refines the static shape of `o` (TF's `Tensor.set_shape`): INVALID_ARGUMENT if incompatible.
    pub fn set_shape(&self, o: &Output, shape: &Shape) -> Result<()> {
        self.with(|s| {
            let slot = &mut s.nodes[o.op.index].output_shapes[o.index];
            *slot = slot.merge(shape).map_err(|e| e.context(format!("set_shape on {}: ", o.name())))?;
            Ok(())
        })
    }

    pub(crate) fn node_def(&self, index: usize) -> NodeDef {
        self.with(|s| s.nodes[index].def.clone())
    }

    pub(crate) fn set_attr(&self, index: usize, name: &str, value: AttrValue) {
        self.with(|s| s.nodes[index].def.attr.insert(name.to_string(), value));
    }
}

impl std::fmt::Debug for Graph {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Graph#{} ({} nodes)", self.id(), self.num_nodes())
    }
}

/// A node of a graph.
#[derive(Clone)]
pub struct Operation {
    graph: Graph,
    index: usize,
    name: Arc<str>,
}

impl Operation {
    pub fn graph(&self) -> &Graph {
        &self.graph
    }

    pub(crate) fn index(&self) -> usize {
        self.index
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn op_type(&self) -> String {
        self.graph.with(|s| s.nodes[self.index].def.op.clone())
    }

    pub fn device(&self) -> String {
        self.graph.with(|s| s.nodes[self.index].def.device.clone())
    }

    pub fn num_outputs(&self) -> usize {
        self.graph.with(|s| s.nodes[self.index].output_types.len())
    }

    /// Output `index` (panics if out of range, like indexing).
    pub fn output(&self, index: usize) -> Output {
        let dtype = self.graph.with(|s| s.nodes[self.index].output_types[index]);
        Output { op: self.clone(), index, dtype }
    }

    pub fn outputs(&self) -> Vec<Output> {
        (0..self.num_outputs()).map(|i| self.output(i)).collect()
    }

    /// TF's definition of the op.
    pub fn op_def(&self) -> Arc<OpDef> {
        self.graph.with(|s| s.nodes[self.index].op_def.clone())
    }

    /// The node as it will be sent.
    pub fn node_def(&self) -> NodeDef {
        self.graph.node_def(self.index)
    }

    pub fn attr(&self, name: &str) -> Option<AttrValue> {
        self.graph.with(|s| s.nodes[self.index].def.attr.get(name).cloned())
    }

    pub fn attr_bool(&self, name: &str) -> Option<bool> {
        match self.attr(name)?.value? {
            Value::B(b) => Some(b),
            _ => None,
        }
    }

    pub fn attr_int(&self, name: &str) -> Option<i64> {
        match self.attr(name)?.value? {
            Value::I(i) => Some(i),
            _ => None,
        }
    }

    pub fn attr_string(&self, name: &str) -> Option<String> {
        match self.attr(name)?.value? {
            Value::S(s) => Some(String::from_utf8_lossy(&s).into_owned()),
            _ => None,
        }
    }

    /// The data inputs (control inputs excluded), resolved to outputs of this graph.
    pub fn inputs(&self) -> Result<Vec<Output>> {
        let names: Vec<String> = self.graph.with(|s| s.nodes[self.index].def.input.iter().filter(|i| !i.starts_with('^')).cloned().collect());
        names.iter().map(|n| self.graph.output(n)).collect()
    }

    /// The control inputs.
    pub fn control_inputs(&self) -> Result<Vec<Operation>> {
        let names: Vec<String> =
            self.graph.with(|s| s.nodes[self.index].def.input.iter().filter_map(|i| i.strip_prefix('^').map(str::to_string)).collect());
        names.iter().map(|n| self.graph.operation(n)).collect()
    }

    /// TF's `colocation_groups()`: the `_class` list, else `loc:@<own name>`.
    pub fn colocation_groups(&self) -> Vec<String> {
        match self.attr("_class").and_then(|a| a.value) {
            Some(Value::List(l)) if !l.s.is_empty() => l.s.iter().map(|s| String::from_utf8_lossy(s).into_owned()).collect(),
            _ => vec![format!("loc:@{}", self.name)],
        }
    }
}

impl PartialEq for Operation {
    fn eq(&self, other: &Self) -> bool {
        self.graph.id() == other.graph.id() && self.index == other.index
    }
}
impl Eq for Operation {}
impl std::hash::Hash for Operation {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        (self.graph.id(), self.index).hash(h)
    }
}

impl std::fmt::Debug for Operation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "<Operation '{}' type={}>", self.name, self.op_type())
    }
}

/// One output tensor of an operation.
#[derive(Clone)]
pub struct Output {
    pub(crate) op: Operation,
    pub(crate) index: usize,
    pub(crate) dtype: DType,
}

impl Output {
    pub fn op(&self) -> &Operation {
        &self.op
    }

    pub fn index(&self) -> usize {
        self.index
    }

    pub fn dtype(&self) -> DType {
        self.dtype
    }

    pub fn graph(&self) -> &Graph {
        &self.op.graph
    }

    /// `node:index`, as feeds and fetches name tensors.
    pub fn name(&self) -> String {
        format!("{}:{}", self.op.name, self.index)
    }

    /// How consumers name it in `NodeDef.input`: `node` for output 0, else `node:index`.
    pub fn input_name(&self) -> String {
        if self.index == 0 { self.op.name.to_string() } else { self.name() }
    }

    /// The static shape.
    pub fn shape(&self) -> Shape {
        self.op.graph.shape_of(self)
    }
}

impl PartialEq for Output {
    fn eq(&self, other: &Self) -> bool {
        self.op == other.op && self.index == other.index
    }
}
impl Eq for Output {}
impl std::hash::Hash for Output {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        (&self.op, self.index).hash(h)
    }
}

impl std::fmt::Debug for Output {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "<Tensor '{}' shape={} dtype={}>", self.name(), self.shape(), self.dtype)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unique_names_follow_tf() {
        let mut s = GraphState::default();
        assert_eq!(s.unique_name("foo", true), "foo");
        assert_eq!(s.unique_name("foo", true), "foo_1");
        assert_eq!(s.unique_name("Foo", true), "Foo_2");
        assert_eq!(s.unique_name("foo_1", true), "foo_1_1");
        assert_eq!(s.unique_name("bar", false), "bar");
        assert_eq!(s.unique_name("bar", true), "bar");
        // `foo_3` taken explicitly is skipped when `foo` comes again.
        assert_eq!(s.unique_name("foo_3", true), "foo_3");
        assert_eq!(s.unique_name("foo", true), "foo_4");
    }
}
