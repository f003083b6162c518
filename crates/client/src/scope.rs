//! Where new ops go and what they get, as TF's Python graph contexts decide it: the name scope
//! (`ops.name_scope`, unique names `name`, `name_1`, ...), the device stack (`tf.device`, inner
//! specs overriding outer ones field by field, `None` cutting off outer ones), colocation
//! (`ops.colocate_with`: a `_class` attr and the other op's device), control dependencies
//! (`tf.control_dependencies`, skipped for ops whose inputs were made inside the same context), and
//! attr scopes. [`OpBuilder`] makes one node under a scope.
//!
//! Concurrency: a `Scope` is an immutable value (clone it to derive another); the graph it builds
//! into serializes insertions.

use crate::graph::{Graph, NodeEntry, Operation, Output};
use crate::op_defs::{self, ArgValue};
use crate::shape::Shape;
use crate::shape_inference;
use ferroflow_framework::device_name::DeviceName;
use ferroflow_framework::{DType, Error, Result};
use ferroflow_proto::attr_value::{ListValue, Value};
use ferroflow_proto::{AttrValue, NodeDef};
use parking_lot::Mutex;
use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

/// One `control_dependencies` context: its ops, and the ops created inside it.
struct ControlFrame {
    ops: Vec<Operation>,
    created: Mutex<HashSet<usize>>,
}

/// A context for building ops.
#[derive(Clone)]
pub struct Scope {
    graph: Graph,
    stack: String,
    /// Device specs, outermost first; `None` is `tf.device(None)`.
    devices: Vec<Option<DeviceName>>,
    colocation: Vec<Operation>,
    control: Vec<Arc<ControlFrame>>,
    attrs: BTreeMap<String, AttrValue>,
    /// The name the next op function gives its op (its `name=` argument).
    op_name: Option<String>,
}

impl Scope {
    pub fn new(graph: &Graph) -> Scope {
        Scope {
            graph: graph.clone(),
            stack: String::new(),
            devices: Vec::new(),
            colocation: Vec::new(),
            control: Vec::new(),
            attrs: BTreeMap::new(),
            op_name: None,
        }
    }

    pub fn graph(&self) -> &Graph {
        &self.graph
    }

    /// The current name scope (`""` at the root), without a trailing `/`.
    pub fn name_stack(&self) -> &str {
        &self.stack
    }

    fn full(&self, name: &str) -> String {
        if self.stack.is_empty() { name.to_string() } else { format!("{}/{name}", self.stack) }
    }

    /// `with tf.name_scope(name)`: a new scope `name` (made unique: `name_1`, ...) inside this one.
    /// A name ending in `/` re-enters that exact scope.
    pub fn name_scope(&self, name: &str) -> Result<Scope> {
        let mut s = self.clone();
        s.op_name = None;
        if name.is_empty() {
            s.stack = String::new();
        } else if let Some(exact) = name.strip_suffix('/') {
            s.stack = exact.to_string();
        } else {
            check_scope_name(name, self.stack.is_empty())?;
            let full = self.full(name);
            s.stack = self.graph.with(|g| g.unique_name(&full, true));
        }
        Ok(s)
    }

    /// The scope an op function opens for itself: the caller's `name` if one was set with
    /// [`Scope::named`], else `default` (TF's `ops.name_scope(name, default)`).
    pub fn op_scope(&self, default: &str) -> Result<Scope> {
        let name = self.op_name.clone().unwrap_or_else(|| default.to_string());
        self.name_scope(&name)
    }

    /// This scope with `name` as the name of the next op an op function makes.
    pub fn named(&self, name: &str) -> Scope {
        let mut s = self.clone();
        s.op_name = Some(name.to_string());
        s
    }

    /// The name an op function was asked to use, if any.
    pub fn requested_name(&self) -> Option<&str> {
        self.op_name.as_deref()
    }

    /// `with tf.device(spec)`.
    pub fn with_device(&self, spec: &str) -> Result<Scope> {
        let mut s = self.clone();
        s.devices.push(Some(DeviceName::parse(spec)?));
        Ok(s)
    }

    /// `with tf.device(None)`: outer device specs no longer apply.
    pub fn without_device(&self) -> Scope {
        let mut s = self.clone();
        s.devices.push(None);
        s
    }

    /// `with ops.colocate_with(op)`: new ops get `op`'s colocation groups as `_class` and its
    /// device; device scopes opened outside no longer apply. With `ignore_existing`, outer
    /// colocations are dropped.
    pub fn colocate_with(&self, op: &Operation, ignore_existing: bool) -> Scope {
        let mut s = self.clone();
        s.devices.clear();
        if ignore_existing {
            s.colocation.clear();
        }
        s.colocation.push(op.clone());
        s
    }

    /// `with ops.colocate_with(None, ignore_existing=True)`: no colocation.
    pub fn without_colocation(&self) -> Scope {
        let mut s = self.clone();
        s.colocation.clear();
        s
    }

    /// `with tf.control_dependencies(ops)`: ops made in the new scope run after `ops` (unless one of
    /// their inputs already comes from inside this context). Marks each dependency with
    /// `_has_manual_control_dependencies`, as TF does.
    pub fn with_control_dependencies(&self, ops: &[Operation]) -> Scope {
        let current: HashSet<&Operation> = self.control.iter().flat_map(|f| f.ops.iter()).collect();
        let mut fresh = Vec::new();
        for op in ops {
            if !current.contains(op) && !fresh.contains(op) {
                self.graph.set_attr(op.index(), "_has_manual_control_dependencies", AttrValue { value: Some(Value::B(true)) });
                fresh.push(op.clone());
            }
        }
        let mut s = self.clone();
        s.control.push(Arc::new(ControlFrame { ops: fresh, created: Mutex::new(HashSet::new()) }));
        s
    }

    /// `with tf.control_dependencies(None)`: no control dependencies.
    pub fn without_control_dependencies(&self) -> Scope {
        let mut s = self.clone();
        s.control.clear();
        s
    }

    /// `with graph._attr_scope({name: value})`: ops made here get the attr unless they set it.
    pub fn with_attr(&self, name: &str, value: AttrValue) -> Scope {
        let mut s = self.clone();
        s.attrs.insert(name.to_string(), value);
        s
    }

    /// The device a new op gets from the device stack.
    fn device(&self) -> String {
        let mut merged = DeviceName::default();
        for spec in self.devices.iter().rev() {
            let Some(spec) = spec else { break };
            merged = DeviceName {
                job: merged.job.or_else(|| spec.job.clone()),
                replica: merged.replica.or(spec.replica),
                task: merged.task.or(spec.task),
                device_type: merged.device_type.clone().or_else(|| spec.device_type.clone()),
                id: merged.id.or(spec.id),
            };
        }
        device_string(&merged)
    }

    fn control_inputs_for(&self, inputs: &[Output]) -> Vec<Operation> {
        let mut out: Vec<Operation> = Vec::new();
        for frame in &self.control {
            let created = frame.created.lock();
            if inputs.iter().any(|i| created.contains(&i.op().index())) {
                continue;
            }
            for op in &frame.ops {
                if !inputs.iter().any(|i| i.op() == op) && !out.contains(op) {
                    out.push(op.clone());
                }
            }
        }
        out
    }
}

/// TF's `DeviceSpec.to_string()`.
pub fn device_string(d: &DeviceName) -> String {
    let mut s = String::new();
    if let Some(j) = &d.job {
        s.push_str(&format!("/job:{j}"));
    }
    if let Some(r) = d.replica {
        s.push_str(&format!("/replica:{r}"));
    }
    if let Some(t) = d.task {
        s.push_str(&format!("/task:{t}"));
    }
    if let Some(t) = &d.device_type {
        s.push_str(&format!("/device:{t}:{}", d.id.map(|i| i.to_string()).unwrap_or_else(|| "*".into())));
    }
    s
}

/// TF's name rules: `[A-Za-z0-9.][A-Za-z0-9_.\-/>]*` at the root, `[A-Za-z0-9_.\-/>]*` inside a scope.
fn check_scope_name(name: &str, at_root: bool) -> Result<()> {
    let ok_rest = |c: char| c.is_ascii_alphanumeric() || "_.-/>".contains(c);
    let first_ok = name.chars().next().is_some_and(|c| if at_root { c.is_ascii_alphanumeric() || c == '.' } else { ok_rest(c) || c == '\\' });
    if first_ok && name.chars().skip(1).all(ok_rest) {
        Ok(())
    } else {
        Err(Error::invalid_argument(format!("'{name}' is not a valid scope name")))
    }
}

/// Builds one node: name, inputs, attrs, then TF's defaults and inferred attrs from the op's
/// definition, the scope's device, colocation, control dependencies and attr scope.
pub struct OpBuilder {
    scope: Scope,
    op_type: String,
    name: Option<String>,
    exact_name: Option<String>,
    args: Vec<ArgValue>,
    attrs: Vec<(String, AttrValue)>,
    control_inputs: Vec<Operation>,
}

impl OpBuilder {
    pub fn new(scope: &Scope, op_type: &str) -> OpBuilder {
        OpBuilder {
            scope: scope.clone(),
            op_type: op_type.to_string(),
            name: None,
            exact_name: None,
            args: Vec::new(),
            attrs: Vec::new(),
            control_inputs: Vec::new(),
        }
    }

    /// The node's name within the scope (made unique); the op type by default.
    pub fn name(mut self, name: &str) -> Self {
        self.name = Some(name.to_string());
        self
    }

    /// The node gets exactly the scope's own name (an op function that opened a scope for itself).
    pub fn named_as_scope(mut self) -> Self {
        self.exact_name = Some(self.scope.stack.clone());
        self
    }

    pub fn input(mut self, o: &Output) -> Self {
        self.args.push(ArgValue::One(o.clone()));
        self
    }

    pub fn input_list(mut self, os: &[Output]) -> Self {
        self.args.push(ArgValue::List(os.to_vec()));
        self
    }

    pub fn control_input(mut self, op: &Operation) -> Self {
        self.control_inputs.push(op.clone());
        self
    }

    pub fn attr(mut self, name: &str, value: Value) -> Self {
        self.attrs.push((name.to_string(), AttrValue { value: Some(value) }));
        self
    }

    pub fn attr_type(self, name: &str, t: DType) -> Self {
        self.attr(name, Value::Type(t.to_proto()))
    }

    pub fn attr_bool(self, name: &str, b: bool) -> Self {
        self.attr(name, Value::B(b))
    }

    pub fn attr_int(self, name: &str, i: i64) -> Self {
        self.attr(name, Value::I(i))
    }

    pub fn attr_float(self, name: &str, f: f32) -> Self {
        self.attr(name, Value::F(f))
    }

    pub fn attr_string(self, name: &str, s: &str) -> Self {
        self.attr(name, Value::S(s.as_bytes().to_vec()))
    }

    pub fn attr_shape(self, name: &str, shape: &Shape) -> Self {
        self.attr(name, Value::Shape(shape.to_proto()))
    }

    pub fn attr_list_strings(self, name: &str, values: &[String]) -> Self {
        self.attr(name, Value::List(ListValue { s: values.iter().map(|s| s.as_bytes().to_vec()).collect(), ..Default::default() }))
    }

    /// Adds the node and returns it.
    pub fn build(self) -> Result<Operation> {
        let scope = self.scope;
        let graph = scope.graph.clone();
        let op_def = graph.with(|g| g.op_def(&self.op_type))?;
        let data_inputs: Vec<Output> = self.args.iter().flat_map(|a| a.outputs().to_vec()).collect();
        for i in &data_inputs {
            if i.graph().id() != graph.id() {
                return Err(Error::invalid_argument(format!("Tensor {} must be from the same graph as the new {} op", i.name(), self.op_type)));
            }
        }
        let mut control = scope.control_inputs_for(&data_inputs);
        for c in self.control_inputs {
            if !control.contains(&c) {
                control.push(c);
            }
        }
        let mut node = NodeDef { op: self.op_type.clone(), ..Default::default() };
        for (k, v) in self.attrs {
            node.attr.insert(k, v);
        }
        op_defs::complete_attrs(&op_def, &mut node, &self.args)?;
        for (k, v) in &scope.attrs {
            node.attr.entry(k.clone()).or_insert_with(|| v.clone());
        }
        node.device = scope.device();
        if !scope.colocation.is_empty() {
            let mut groups: Vec<String> = scope.colocation.iter().flat_map(|op| op.colocation_groups()).collect();
            groups.sort();
            groups.dedup();
            if let Some(d) = scope.colocation.iter().rev().map(|op| op.device()).find(|d| !d.is_empty()) {
                node.device = d;
            }
            let list = ListValue { s: groups.into_iter().map(|g| g.into_bytes()).collect(), ..Default::default() };
            node.attr.insert("_class".into(), AttrValue { value: Some(Value::List(list)) });
        }
        let output_types = op_defs::output_types(&op_def, &node)?;
        node.input = data_inputs.iter().map(Output::input_name).collect();
        control.sort_by(|a, b| a.name().cmp(b.name()));
        node.input.extend(control.iter().map(|c| format!("^{}", c.name())));
        let input_shapes: Vec<Shape> = data_inputs.iter().map(Output::shape).collect();
        let output_shapes = shape_inference::infer(&graph, &node, &data_inputs, &input_shapes, output_types.len())?;
        let index = graph.with(|g| {
            let name = match &self.exact_name {
                Some(n) => n.clone(),
                None => {
                    let base = self.name.clone().unwrap_or_else(|| self.op_type.clone());
                    let full = if scope.stack.is_empty() { base } else { format!("{}/{base}", scope.stack) };
                    g.unique_name(&full, true)
                }
            };
            if g.by_name.contains_key(&name) {
                return Err(Error::invalid_argument(format!("Duplicate node name in graph: '{name}'")));
            }
            node.name = name.clone();
            let index = g.nodes.len();
            g.nodes.push(NodeEntry { def: node, op_def, output_types, output_shapes });
            g.by_name.insert(name, index);
            Ok(index)
        })?;
        for frame in &scope.control {
            frame.created.lock().insert(index);
        }
        Ok(graph.operation_at(index))
    }

    /// Adds the node and returns its first output.
    pub fn build_output(self) -> Result<Output> {
        let op_type = self.op_type.clone();
        let op = self.build()?;
        if op.num_outputs() == 0 {
            return Err(Error::internal(format!("{op_type} has no outputs")));
        }
        Ok(op.output(0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inner_device_specs_override_outer_ones_field_by_field() {
        let g = Graph::new();
        let s = g.scope().with_device("/job:ps/task:0").unwrap().with_device("/device:CPU:0").unwrap();
        assert_eq!(s.device(), "/job:ps/task:0/device:CPU:0");
        let s2 = s.with_device("/job:worker").unwrap();
        assert_eq!(s2.device(), "/job:worker/task:0/device:CPU:0");
        assert_eq!(s2.without_device().device(), "");
        assert_eq!(g.scope().with_device("/cpu:0").unwrap().device(), "/device:CPU:0");
    }

    #[test]
    fn scope_names_are_checked() {
        assert!(check_scope_name("dense", true).is_ok());
        assert!(check_scope_name("_x", true).is_err());
        assert!(check_scope_name("_x", false).is_ok());
        assert!(check_scope_name("a b", false).is_err());
    }
}
