//! Gradients of array ops, TF's `array_grad.py` formulas (gather's gradient as indexed slices,
//! concat's as slices at `ConcatOffset` offsets), and `strided_slice_1d`, the `t[i]` / `t[i:]`
//! slicing those formulas use.

use super::{Grad, GradCtx, to_dense};
use crate::graph::Output;
use crate::ops::{array as arr, math as m};
use crate::scope::{OpBuilder, Scope};
use crate::shape_inference::constant_value;
use ferroflow_framework::{DType, Error, Result};

type Grads = Result<Vec<Option<Grad>>>;

fn dense(ctx: &GradCtx, g: &Option<Grad>) -> Result<Output> {
    match g {
        Some(g) => to_dense(ctx.scope, g),
        None => Err(Error::internal(format!("gradient of {} called without an incoming gradient", ctx.op.name()))),
    }
}

fn d(o: Output) -> Option<Grad> {
    Some(Grad::Dense(o))
}

/// Python's `t[begin]` (`shrink`) or `t[begin:end]` (`end_mask` for an open end) on a vector, as
/// TF's `_slice_helper` makes it (`strided_slice/stack*` constants, `StridedSlice`).
pub fn strided_slice_1d(scope: &Scope, t: &Output, begin: i64, end: i64, open_end: bool, shrink: bool) -> Result<Output> {
    let s = scope.op_scope("strided_slice")?;
    let b = arr::int_vector(&s, "stack", &[begin])?;
    let e = arr::int_vector(&s, "stack_1", &[end])?;
    let st = arr::int_vector(&s, "stack_2", &[1])?;
    OpBuilder::new(&s, "StridedSlice")
        .named_as_scope()
        .input(t)
        .input(&b)
        .input(&e)
        .input(&st)
        .attr_int("begin_mask", 0)
        .attr_int("end_mask", if open_end { 1 } else { 0 })
        .attr_int("ellipsis_mask", 0)
        .attr_int("new_axis_mask", 0)
        .attr_int("shrink_axis_mask", if shrink { 1 } else { 0 })
        .build_output()
}

pub fn identity_grad(_ctx: &GradCtx, g: &[Option<Grad>]) -> Grads {
    Ok(vec![g[0].clone()])
}

pub fn fill_grad(ctx: &GradCtx, g: &[Option<Grad>]) -> Grads {
    let grad = dense(ctx, &g[0])?;
    Ok(vec![None, d(m::reduce_sum(ctx.scope, &grad, m::Axes::All, false)?)])
}

pub fn reshape_grad(ctx: &GradCtx, g: &[Option<Grad>]) -> Grads {
    let s = ctx.scope;
    let grad = dense(ctx, &g[0])?;
    let x = &ctx.inputs[0];
    let shape = x.shape();
    if let Some(dims) = shape.dims()
        && !shape.is_fully_defined()
    {
        let unknown: Vec<usize> = dims.iter().enumerate().filter(|(_, v)| v.is_none()).map(|(i, _)| i).collect();
        if unknown.len() == 1 && !dims.contains(&Some(0)) {
            let list: Vec<i64> = dims.iter().map(|v| v.unwrap_or(-1)).collect();
            return Ok(vec![d(arr::reshape_to(s, &grad, &list)?), None]);
        }
    }
    let to = arr::shape(s, x, DType::Int32)?;
    Ok(vec![d(arr::reshape(s, &grad, &to)?), None])
}

/// ExpandDims and Squeeze: the gradient reshaped to the input's shape.
pub fn reshape_to_input_grad(ctx: &GradCtx, g: &[Option<Grad>]) -> Grads {
    let grad = dense(ctx, &g[0])?;
    let to = arr::shape(ctx.scope, &ctx.inputs[0], DType::Int32)?;
    let mut out = vec![d(arr::reshape(ctx.scope, &grad, &to)?)];
    out.resize(ctx.inputs.len(), None);
    Ok(out)
}

/// TF's `_ConcatGradHelper` for dense gradients: slices of the gradient at the `ConcatOffset`
/// offsets. (TF uses `ShapeN` for shapes not known statically; ferroflow has no `ShapeN`
/// kernel, so each input gets its own `Shape`, with the same values.)
pub fn concat_v2_grad(ctx: &GradCtx, g: &[Option<Grad>]) -> Grads {
    let s = ctx.scope;
    let n = ctx.inputs.len() - 1;
    if n == 1 {
        return Ok(vec![g[0].clone(), None]);
    }
    let grad = dense(ctx, &g[0])?;
    let values = &ctx.inputs[..n];
    let dim = &ctx.inputs[n];
    let rank = arr::rank(s, &values[0])?;
    let non_neg = m::op_mod(s, dim, &rank)?;
    let sizes: Vec<Output> = values.iter().map(|v| arr::shape(s, v, DType::Int32)).collect::<Result<_>>()?;
    let offsets = arr::concat_offset(s, &non_neg, &sizes)?;
    let mut out = Vec::with_capacity(n + 1);
    for (begin, size) in offsets.iter().zip(&sizes) {
        out.push(d(arr::slice(s, &grad, begin, size)?));
    }
    out.push(None);
    Ok(out)
}

/// TF's `_GatherV2Grad` for axis 0 and no batch dims: indexed slices of the params' shape.
pub fn gather_v2_grad(ctx: &GradCtx, g: &[Option<Grad>]) -> Grads {
    let s = ctx.scope;
    let (params, indices, axis) = (&ctx.inputs[0], &ctx.inputs[1], &ctx.inputs[2]);
    let params_shape = arr::shape(&s.colocate_with(params.op(), false), params, DType::Int32)?;
    let size = arr::size(s, indices)?;
    let indices_size = arr::expand_dims(s, &size, 0)?;
    let axis_static = constant_value(axis).and_then(|t| t.to_i64_vec().ok()).and_then(|v| v.first().copied());
    let batch_dims = ctx.op.attr_int("batch_dims").unwrap_or(0);
    if axis_static != Some(0) || batch_dims != 0 {
        return Err(Error::unimplemented(format!(
            "ferroflow-client differentiates GatherV2 along axis 0 without batch dims only ({} has axis {axis_static:?}, batch_dims {batch_dims})",
            ctx.op.name()
        )));
    }
    let tail = strided_slice_1d(s, &params_shape, 1, 0, true, false)?;
    let values_shape = arr::concat(s, vec![indices_size.clone().into(), tail.into()], 0)?;
    let grad = dense(ctx, &g[0])?;
    let values = arr::reshape(s, &grad, &values_shape)?;
    let flat_indices = arr::reshape(s, indices, &indices_size)?;
    Ok(vec![Some(Grad::Slices { values, indices: flat_indices, dense_shape: params_shape }), None, None])
}
