//! Grouping and ordering ops as TF's `control_flow_ops` makes them: `no_op`, `group` (one `NoOp`
//! per device when its inputs sit on several), `tuple` and `with_dependencies` (an `Identity`
//! colocated with the tensor, after the gate).

use crate::graph::{Operation, Output};
use crate::scope::{OpBuilder, Scope};
use ferroflow_framework::{Error, Result};
use std::collections::BTreeMap;

/// `tf.no_op()`.
pub fn no_op(scope: &Scope) -> Result<Operation> {
    let name = scope.requested_name().unwrap_or("NoOp").to_string();
    OpBuilder::new(scope, "NoOp").name(&name).build()
}

fn no_op_exact(scope: &Scope) -> Result<Operation> {
    OpBuilder::new(scope, "NoOp").named_as_scope().build()
}

/// `tf.group(*ops)`: a `NoOp` that runs after all of `ops`.
pub fn group(scope: &Scope, ops: &[Operation]) -> Result<Operation> {
    let s = scope.op_scope("group_deps")?;
    if ops.is_empty() {
        return no_op_exact(&s);
    }
    let mut by_device: BTreeMap<String, Vec<Operation>> = BTreeMap::new();
    for op in ops {
        by_device.entry(op.device()).or_default().push(op.clone());
    }
    let group_on = |dev: &str, deps: &[Operation], exact: bool| -> Result<Operation> {
        let mut inner = s.with_control_dependencies(deps);
        if !dev.is_empty() {
            inner = inner.with_device(dev)?;
        }
        if exact { no_op_exact(&inner) } else { OpBuilder::new(&inner, "NoOp").build() }
    };
    if by_device.len() == 1 {
        let (dev, deps) = by_device.iter().next().ok_or_else(|| Error::internal("empty group"))?;
        return group_on(dev, deps, true);
    }
    let mut per_device = Vec::new();
    for (dev, deps) in &by_device {
        per_device.push(group_on(dev, deps, false)?);
    }
    no_op_exact(&s.with_control_dependencies(&per_device))
}

/// `control_flow_ops.with_dependencies(deps, t)`: `t` through an `Identity` that runs after
/// `deps`, colocated with `t`.
pub fn with_dependencies(scope: &Scope, deps: &[Operation], t: &Output) -> Result<Output> {
    let s = scope.op_scope("control_dependency")?;
    let inner = s.colocate_with(t.op(), false).with_control_dependencies(deps);
    OpBuilder::new(&inner, "Identity").named_as_scope().input(t).build_output()
}

/// `tf.compat.v1.tuple(tensors)`: each tensor gated on all of them (absent ones stay absent).
pub fn tuple(scope: &Scope, tensors: &[Option<Output>]) -> Result<Vec<Option<Output>>> {
    let s = scope.op_scope("tuple")?;
    let mut gating: Vec<Operation> = Vec::new();
    for t in tensors.iter().flatten() {
        if !gating.contains(t.op()) {
            gating.push(t.op().clone());
        }
    }
    if gating.is_empty() {
        return Err(Error::invalid_argument("'tensors' must have at least one Tensor."));
    }
    gating.sort_by_key(|op| op.index());
    let gate = group(&s, &gating)?;
    tensors.iter().map(|t| t.as_ref().map(|t| with_dependencies(&s, std::slice::from_ref(&gate), t)).transpose()).collect()
}
