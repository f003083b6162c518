//! Resource variables as TF2's `tf.compat.v1.get_variable` makes them (`VarHandleOp` named after
//! the variable, its initializer under `NAME/Initializer` colocated with it through `_class`,
//! `NAME/IsInitialized/VarIsInitializedOp`, `NAME/Assign`, `NAME/Read/ReadVariableOp`), the v1
//! initializers with TF's constants and seeds (`init_ops.py`), reads, assignments and
//! `global_variables_initializer`.
//!
//! A `Variable` is a handle to nodes of its graph: cheap to clone, immutable.

use crate::graph::{Operation, Output};
use crate::ops::{array, control, random, Input, convert};
use crate::scope::{OpBuilder, Scope};
use crate::shape::Shape;
use ferroflow_framework::{DType, Error, Result, Tensor};
use ferroflow_proto::AttrValue;
use ferroflow_proto::attr_value::{ListValue, Value};
use std::sync::Arc;

/// An initializer, as `tf.compat.v1.*_initializer` (v1 `init_ops`) computes it.
#[derive(Debug, Clone)]
pub enum Initializer {
    /// `zeros_initializer()`.
    Zeros,
    /// `ones_initializer()`.
    Ones,
    /// `constant_initializer(value)`.
    Constant(f64),
    /// `glorot_uniform_initializer(seed)`: uniform in +-sqrt(6 / (fan_in + fan_out)).
    GlorotUniform { seed: Option<i64> },
    /// `random_normal_initializer(mean, stddev, seed)`.
    RandomNormal { mean: f64, stddev: f64, seed: Option<i64> },
    /// `truncated_normal_initializer(mean, stddev, seed)`.
    TruncatedNormal { mean: f64, stddev: f64, seed: Option<i64> },
    /// An initial value (`initializer=tensor`; the variable takes its shape).
    Value(Tensor),
}

/// TF's `_compute_fans` of v1 `init_ops`.
pub fn compute_fans(shape: &[i64]) -> (f64, f64) {
    match shape.len() {
        0 => (1.0, 1.0),
        1 => (shape[0] as f64, shape[0] as f64),
        2 => (shape[0] as f64, shape[1] as f64),
        n => {
            let field: i64 = shape[..n - 2].iter().product();
            ((shape[n - 2] * field) as f64, (shape[n - 1] * field) as f64)
        }
    }
}

impl Initializer {
    /// The initial value's tensor, made in `scope` (the variable's `Initializer` scope).
    fn initial_value(&self, scope: &Scope, shape: &[i64], dtype: DType) -> Result<Output> {
        match self {
            Initializer::Zeros => array::zeros(scope, shape, dtype),
            Initializer::Ones => array::ones(scope, shape, dtype),
            Initializer::Constant(v) => array::constant_fill(scope, Some("Const"), &crate::ops::scalar_tensor(*v, dtype)?, shape),
            Initializer::GlorotUniform { seed } => {
                let (fan_in, fan_out) = compute_fans(shape);
                let scale = 1.0 / f64::max(1.0, (fan_in + fan_out) / 2.0);
                let limit = (3.0 * scale).sqrt();
                random::random_uniform(scope, shape, -limit, limit, dtype, *seed)
            }
            Initializer::RandomNormal { mean, stddev, seed } => random::random_normal(scope, shape, *mean, *stddev, dtype, *seed),
            Initializer::TruncatedNormal { mean, stddev, seed } => random::truncated_normal(scope, shape, *mean, *stddev, dtype, *seed),
            Initializer::Value(t) => array::constant(&scope.named("initial_value"), t),
        }
    }
}

struct VariableNodes {
    name: String,
    handle: Output,
    dtype: DType,
    shape: Shape,
    initializer: Option<Operation>,
    initial_value: Option<Output>,
    snapshot: Option<Output>,
    trainable: bool,
}

/// A resource variable of a graph.
#[derive(Clone)]
pub struct Variable {
    nodes: Arc<VariableNodes>,
}

impl std::fmt::Debug for Variable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "<Variable '{}:0' shape={} dtype={}>", self.nodes.name, self.nodes.shape, self.nodes.dtype)
    }
}

impl Variable {
    /// A variable over existing nodes (an imported graph's `VariableDef`).
    pub(crate) fn from_parts(
        handle: Output,
        dtype: DType,
        shape: Shape,
        initializer: Option<Operation>,
        initial_value: Option<Output>,
        snapshot: Option<Output>,
        trainable: bool,
    ) -> Variable {
        let name = handle.op().name().to_string();
        Variable { nodes: Arc::new(VariableNodes { name, handle, dtype, shape, initializer, initial_value, snapshot, trainable }) }
    }

    /// The variable's name (its `VarHandleOp`'s).
    pub fn name(&self) -> &str {
        &self.nodes.name
    }

    /// The resource handle (what gradients are taken with respect to).
    pub fn handle(&self) -> &Output {
        &self.nodes.handle
    }

    pub fn dtype(&self) -> DType {
        self.nodes.dtype
    }

    pub fn shape(&self) -> &Shape {
        &self.nodes.shape
    }

    pub fn trainable(&self) -> bool {
        self.nodes.trainable
    }

    /// The op that assigns the initial value (`NAME/Assign`).
    pub fn initializer(&self) -> Option<&Operation> {
        self.nodes.initializer.as_ref()
    }

    pub fn initial_value(&self) -> Option<&Output> {
        self.nodes.initial_value.as_ref()
    }

    /// The value read when the variable was made (`NAME/Read/ReadVariableOp`), what fetching the
    /// variable in TF's Python session returns.
    pub fn value(&self) -> Result<Output> {
        self.nodes.snapshot.clone().ok_or_else(|| Error::failed_precondition(format!("Variable {} has no snapshot read", self.name())))
    }

    /// A new read (`ReadVariableOp`) in `scope`, without colocation, as `ResourceVariable.value()`.
    pub fn read_in(&self, scope: &Scope) -> Result<Output> {
        let s = scope.without_colocation();
        OpBuilder::new(&s, "ReadVariableOp").input(&self.nodes.handle).attr_type("dtype", self.nodes.dtype).build_output()
    }

    /// `var.assign(value)`: an `AssignVariableOp` in `scope`; with `read_value`, also the read TF
    /// makes after it (a `ReadVariableOp` gated on the assignment), returned second.
    pub fn assign(&self, scope: &Scope, value: impl Into<Input>, read_value: bool) -> Result<(Operation, Option<Output>)> {
        self.assign_op(scope, "AssignVariableOp", value, read_value)
    }

    /// `var.assign_add(delta)`.
    pub fn assign_add(&self, scope: &Scope, delta: impl Into<Input>, read_value: bool) -> Result<(Operation, Option<Output>)> {
        self.assign_op(scope, "AssignAddVariableOp", delta, read_value)
    }

    /// `var.assign_sub(delta)`.
    pub fn assign_sub(&self, scope: &Scope, delta: impl Into<Input>, read_value: bool) -> Result<(Operation, Option<Output>)> {
        self.assign_op(scope, "AssignSubVariableOp", delta, read_value)
    }

    fn assign_op(&self, scope: &Scope, op_type: &str, value: impl Into<Input>, read_value: bool) -> Result<(Operation, Option<Output>)> {
        let value = convert(scope, value, "value", Some(self.nodes.dtype))?;
        if !self.nodes.shape.is_compatible_with(&value.shape()) {
            return Err(Error::invalid_argument(format!("Shapes {} and {} are incompatible", self.nodes.shape, value.shape())));
        }
        let mut b = OpBuilder::new(scope, op_type).input(&self.nodes.handle).input(&value).attr_type("dtype", self.nodes.dtype);
        if op_type == "AssignVariableOp" {
            b = b.attr_bool("validate_shape", self.nodes.shape.is_fully_defined());
        }
        let op = b.build()?;
        let read = if read_value {
            let s = scope.with_control_dependencies(std::slice::from_ref(&op));
            Some(OpBuilder::new(&s, "ReadVariableOp").input(&self.nodes.handle).attr_type("dtype", self.nodes.dtype).build_output()?)
        } else {
            None
        };
        Ok((op, read))
    }
}

impl From<Variable> for Input {
    fn from(v: Variable) -> Input {
        Input::Variable(v)
    }
}

/// What `get_variable` makes.
#[derive(Debug, Clone)]
pub struct VariableOptions {
    pub dtype: DType,
    pub initializer: Initializer,
    pub trainable: bool,
}

impl Default for VariableOptions {
    fn default() -> Self {
        VariableOptions { dtype: DType::Float, initializer: Initializer::GlorotUniform { seed: None }, trainable: true }
    }
}

/// `tf.compat.v1.get_variable(name, shape, dtype, initializer, trainable)` with resource variables:
/// the variable is named after the scope's name stack plus `name` (variable names ignore name-scope
/// uniquification, as in TF), made outside control dependencies, on the scope's device.
pub fn get_variable(scope: &Scope, name: &str, shape: &[i64], options: VariableOptions) -> Result<Variable> {
    let full = if scope.name_stack().is_empty() { name.to_string() } else { format!("{}/{name}", scope.name_stack()) };
    let exists = scope.graph().global_variables().iter().any(|v| v.name() == full);
    if exists {
        return Err(Error::already_exists(format!(
            "Variable {full} already exists, disallowed. Did you mean to set reuse=True or reuse=tf.AUTO_REUSE in VarScope?"
        )));
    }
    let shape = match &options.initializer {
        Initializer::Value(t) => t.dims().to_vec(),
        _ => shape.to_vec(),
    };
    let root = scope.name_scope("")?.without_control_dependencies();
    make_variable(&root, &full, &shape, options.dtype, &options.initializer, options.trainable)
}

/// A variable named `name` (made unique) from `root` (a scope at the root name scope): TF's
/// `ResourceVariable._init_from_args`.
pub(crate) fn make_variable(root: &Scope, name: &str, shape: &[i64], dtype: DType, init: &Initializer, trainable: bool) -> Result<Variable> {
    let s = root.name_scope(name)?;
    let handle_name = s.name_stack().to_string();
    let class = AttrValue { value: Some(Value::List(ListValue { s: vec![format!("loc:@{handle_name}").into_bytes()], ..Default::default() })) };
    let with_class = s.with_attr("_class", class);
    let init_scope = with_class.name_scope("Initializer")?.without_device();
    let initial_value = init.initial_value(&init_scope, shape, dtype)?;
    if initial_value.dtype() != dtype {
        return Err(Error::invalid_argument(format!("Initializer for variable {handle_name} gives {}, not {dtype}", initial_value.dtype())));
    }
    let handle = OpBuilder::new(&with_class, "VarHandleOp")
        .named_as_scope()
        .attr_string("shared_name", &handle_name)
        .attr_shape("shape", &Shape::from_dims(shape))
        .attr_type("dtype", dtype)
        .attr_string("debug_name", &format!("{handle_name}/"))
        .attr_string("container", "")
        .attr("allowed_devices", Value::List(ListValue::default()))
        .build_output()?;
    let device = handle.op().device();
    let on_device = |sc: Scope| -> Result<Scope> { if device.is_empty() { Ok(sc) } else { sc.with_device(&device) } };
    let is_init = s.name_scope("IsInitialized")?;
    OpBuilder::new(&is_init, "VarIsInitializedOp").input(&handle).build()?;
    let assign_scope = on_device(s.name_scope("Assign")?.without_colocation())?;
    let assign = OpBuilder::new(&assign_scope, "AssignVariableOp")
        .named_as_scope()
        .input(&handle)
        .input(&initial_value)
        .attr_type("dtype", dtype)
        .attr_bool("validate_shape", false)
        .build()?;
    let read_scope = on_device(s.name_scope("Read")?)?;
    let snapshot = OpBuilder::new(&read_scope, "ReadVariableOp").input(&handle).attr_type("dtype", dtype).build_output()?;
    root.graph().set_shape(&snapshot, &Shape::from_dims(shape))?;
    let v = Variable::from_parts(handle, dtype, Shape::from_dims(shape), Some(assign), Some(initial_value), Some(snapshot), trainable);
    root.graph().register_variable(v.clone());
    Ok(v)
}

/// `tf.compat.v1.variables_initializer(vars, name)`: a group of their initializers (a `NoOp`
/// named `name` when there are none).
pub fn variables_initializer(scope: &Scope, vars: &[Variable], name: &str) -> Result<Operation> {
    let inits: Vec<Operation> = vars.iter().filter_map(|v| v.initializer().cloned()).collect();
    if inits.is_empty() {
        return control::no_op(&scope.named(name));
    }
    control::group(&scope.named(name), &inits)
}

/// `tf.compat.v1.global_variables_initializer()`: node `init`.
pub fn global_variables_initializer(scope: &Scope) -> Result<Operation> {
    variables_initializer(scope, &scope.graph().global_variables(), "init")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fans_follow_init_ops() {
        assert_eq!(compute_fans(&[]), (1.0, 1.0));
        assert_eq!(compute_fans(&[5]), (5.0, 5.0));
        assert_eq!(compute_fans(&[4, 3]), (4.0, 3.0));
        assert_eq!(compute_fans(&[3, 3, 8, 16]), (72.0, 144.0));
    }
}
