//! Gradients of neural-network ops, TF's `nn_grad.py` and `math_grad.py` formulas for them.

use super::{Grad, GradCtx, to_dense};
use crate::graph::Output;
use crate::ops::{array as arr, math as m, nn};
use ferroflow_framework::{Error, Result};

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

pub fn sigmoid_grad(ctx: &GradCtx, g: &[Option<Grad>]) -> Grads {
    let grad = dense(ctx, &g[0])?;
    let s = ctx.scope.with_control_dependencies(std::slice::from_ref(grad.op()));
    Ok(vec![d(nn::sigmoid_grad(&s, &ctx.outputs[0], &grad)?)])
}

pub fn tanh_grad(ctx: &GradCtx, g: &[Option<Grad>]) -> Grads {
    let grad = dense(ctx, &g[0])?;
    let s = ctx.scope.with_control_dependencies(std::slice::from_ref(grad.op()));
    Ok(vec![d(nn::tanh_grad(&s, &ctx.outputs[0], &grad)?)])
}

pub fn relu_grad(ctx: &GradCtx, g: &[Option<Grad>]) -> Grads {
    let grad = dense(ctx, &g[0])?;
    Ok(vec![d(nn::relu_grad(ctx.scope, &grad, &ctx.outputs[0])?)])
}

pub fn softmax_grad(ctx: &GradCtx, g: &[Option<Grad>]) -> Grads {
    let s = ctx.scope;
    let grad = dense(ctx, &g[0])?;
    let softmax = &ctx.outputs[0];
    let prod = m::op_mul(s, &grad, softmax)?;
    let sum = m::reduce_sum(s, &prod, -1i64, true)?;
    let diff = m::op_sub(s, &grad, &sum)?;
    Ok(vec![d(m::op_mul(s, &diff, softmax)?)])
}

pub fn bias_add_grad(ctx: &GradCtx, g: &[Option<Grad>]) -> Grads {
    let grad = dense(ctx, &g[0])?;
    let db = nn::bias_add_grad(ctx.scope, &grad)?;
    Ok(vec![d(grad), d(db)])
}

/// TF's `_BroadcastMul(vec, mat)`: `expand_dims(vec, -1) * mat`.
fn broadcast_mul(ctx: &GradCtx, vec: &Output, mat: &Output) -> Result<Output> {
    let v = arr::expand_dims(ctx.scope, vec, -1)?;
    m::op_mul(ctx.scope, &v, mat)
}

fn second_order_unsupported(ctx: &GradCtx, g: &Option<Grad>) -> Result<()> {
    match g {
        Some(gg) if !ctx.is_zeros(gg) => Err(Error::unimplemented(format!(
            "the gradient through the backprop output of {} needs BatchMatMulV2, which ferroflow does not implement",
            ctx.op.name()
        ))),
        _ => Ok(()),
    }
}

pub fn sparse_xent_grad(ctx: &GradCtx, g: &[Option<Grad>]) -> Grads {
    let loss_grad = dense(ctx, &g[0])?;
    let grad = broadcast_mul(ctx, &loss_grad, &ctx.outputs[1])?;
    second_order_unsupported(ctx, &g[1])?;
    Ok(vec![d(grad), None])
}

pub fn xent_grad(ctx: &GradCtx, g: &[Option<Grad>]) -> Grads {
    let loss_grad = dense(ctx, &g[0])?;
    let grad = broadcast_mul(ctx, &loss_grad, &ctx.outputs[1])?;
    second_order_unsupported(ctx, &g[1])?;
    let log_softmax = nn::log_softmax(ctx.scope, &ctx.inputs[0])?;
    let neg = m::neg(ctx.scope, &log_softmax)?;
    let labels_grad = broadcast_mul(ctx, &loss_grad, &neg)?;
    Ok(vec![d(grad), d(labels_grad)])
}
