//! Gradients of math ops, TF's `math_grad.py` formulas: broadcasting binary ops reduce with
//! `Sum` + `Reshape` over the axes TF infers statically (`SmartBroadcastGradientArgs`) or over
//! `BroadcastGradientArgs`; reductions tile or broadcast back with TF's static-shape paths.

use super::{Grad, GradCtx, to_dense};
use crate::graph::Output;
use crate::ops::array as arr;
use crate::ops::math as m;
use crate::ops::nn::float_scalar;
use crate::scope::{OpBuilder, Scope};
use crate::shape::Shape;
use crate::shape_inference::constant_value;
use ferroflow_framework::{DType, Error, Result, Tensor};

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

/// TF's `_ShapesFullySpecifiedAndEqual`.
fn fully_specified_and_equal(x: &Output, y: &Output, g: &Output) -> bool {
    let (a, b, c) = (x.shape(), y.shape(), g.shape());
    a == b && a == c && a.is_fully_defined()
}

/// TF's `_InferGradientReductionAxes`: the axes each side was broadcast along, if known.
fn infer_reduction_axes(x: &Shape, y: &Shape) -> Option<(Vec<i64>, Vec<i64>)> {
    let (xd, yd) = (x.dims()?, y.dims()?);
    let rank = xd.len().max(yd.len());
    let (mut xa, mut ya) = (Vec::new(), Vec::new());
    for axis in 0..rank {
        let xdim = if axis < rank - xd.len() { Some(1) } else { xd[axis - (rank - xd.len())] };
        let ydim = if axis < rank - yd.len() { Some(1) } else { yd[axis - (rank - yd.len())] };
        if xdim == Some(1) && ydim != Some(1) {
            xa.push(axis as i64);
        } else if ydim == Some(1) && xdim != Some(1) {
            ya.push(axis as i64);
        } else if xdim.is_none() || ydim.is_none() {
            return None;
        }
    }
    Some((xa, ya))
}

enum Axes {
    Static(Vec<i64>),
    Dynamic(Output),
}

/// TF's `_ReduceGradientArgs` (with `SmartBroadcastGradientArgs`).
fn reduce_gradient_args(s: &Scope, x: &Output, y: &Output, gx: Option<Output>, gy: Option<Output>) -> Grads {
    if gx.is_none() && gy.is_none() {
        return Ok(vec![None, None]);
    }
    let x_shape = arr::shape(s, x, DType::Int32)?;
    let y_shape = arr::shape(s, y, DType::Int32)?;
    let (xa, ya, xr, yr) = match infer_reduction_axes(&x.shape(), &y.shape()) {
        Some((xa, ya)) => {
            let (rx, ry) = (x.shape().rank().unwrap_or(0), y.shape().rank().unwrap_or(0));
            let (xr, yr) = (!xa.is_empty() || rx < ry, !ya.is_empty() || ry < rx);
            (Axes::Static(xa), Axes::Static(ya), xr, yr)
        }
        None => {
            let op = OpBuilder::new(&s.op_scope("BroadcastGradientArgs")?, "BroadcastGradientArgs").named_as_scope().input(&x_shape).input(&y_shape).build()?;
            (Axes::Dynamic(op.output(0)), Axes::Dynamic(op.output(1)), true, true)
        }
    };
    let reduce = |g: Option<Output>, shape: &Output, axes: Axes, must: bool| -> Result<Option<Grad>> {
        let Some(g) = g else { return Ok(None) };
        if !must {
            return Ok(d(g));
        }
        let summed = match axes {
            Axes::Static(a) => m::reduce_sum(s, &g, a, true)?,
            Axes::Dynamic(a) => m::sum_over(s, &g, &a, true)?,
        };
        Ok(d(arr::reshape(s, &summed, shape)?))
    };
    Ok(vec![reduce(gx, &x_shape, xa, xr)?, reduce(gy, &y_shape, ya, yr)?])
}

pub fn add_grad(ctx: &GradCtx, g: &[Option<Grad>]) -> Grads {
    let (x, y) = (&ctx.inputs[0], &ctx.inputs[1]);
    let grad = dense(ctx, &g[0])?;
    if fully_specified_and_equal(x, y, &grad) {
        return Ok(vec![d(grad.clone()), d(grad)]);
    }
    reduce_gradient_args(ctx.scope, x, y, Some(grad.clone()), Some(grad))
}

pub fn sub_grad(ctx: &GradCtx, g: &[Option<Grad>]) -> Grads {
    let (x, y) = (&ctx.inputs[0], &ctx.inputs[1]);
    let grad = dense(ctx, &g[0])?;
    if fully_specified_and_equal(x, y, &grad) {
        let n = m::neg(ctx.scope, &grad)?;
        return Ok(vec![d(grad), d(n)]);
    }
    let n = m::neg(ctx.scope, &grad)?;
    reduce_gradient_args(ctx.scope, x, y, Some(grad), Some(n))
}

pub fn mul_grad(ctx: &GradCtx, g: &[Option<Grad>]) -> Grads {
    let (x, y) = (&ctx.inputs[0], &ctx.inputs[1]);
    let grad = dense(ctx, &g[0])?;
    if fully_specified_and_equal(x, y, &grad) && matches!(grad.dtype(), DType::Int32 | DType::Float) {
        let gx = m::mul(ctx.scope, &grad, y)?;
        let gy = m::mul(ctx.scope, &grad, x)?;
        return Ok(vec![d(gx), d(gy)]);
    }
    let gx = m::mul(ctx.scope, &grad, y)?;
    let gy = m::mul(ctx.scope, x, &grad)?;
    reduce_gradient_args(ctx.scope, x, y, Some(gx), Some(gy))
}

pub fn real_div_grad(ctx: &GradCtx, g: &[Option<Grad>]) -> Grads {
    let (x, y) = (&ctx.inputs[0], &ctx.inputs[1]);
    let grad = dense(ctx, &g[0])?;
    let s = ctx.scope;
    let gx = m::realdiv(s, &grad, y)?;
    let nx = m::neg(s, x)?;
    let q = m::realdiv(s, &nx, y)?;
    let q = m::realdiv(s, &q, y)?;
    let gy = m::op_mul(s, &grad, &q)?;
    reduce_gradient_args(s, x, y, Some(gx), Some(gy))
}

pub fn neg_grad(ctx: &GradCtx, g: &[Option<Grad>]) -> Grads {
    let grad = dense(ctx, &g[0])?;
    Ok(vec![d(m::neg(ctx.scope, &grad)?)])
}

pub fn mat_mul_grad(ctx: &GradCtx, g: &[Option<Grad>]) -> Grads {
    let grad = dense(ctx, &g[0])?;
    let (a, b) = (&ctx.inputs[0], &ctx.inputs[1]);
    let ta = ctx.op.attr_bool("transpose_a").unwrap_or(false);
    let tb = ctx.op.attr_bool("transpose_b").unwrap_or(false);
    let s = ctx.scope;
    let (ga, gb) = match (ta, tb) {
        (false, false) => (m::gen_mat_mul(s, &grad, b, false, true, true, false)?, m::gen_mat_mul(s, a, &grad, true, false, false, true)?),
        (false, true) => (m::gen_mat_mul(s, &grad, b, false, false, true, false)?, m::gen_mat_mul(s, &grad, a, true, false, false, true)?),
        (true, false) => (m::gen_mat_mul(s, b, &grad, false, true, true, false)?, m::gen_mat_mul(s, a, &grad, false, false, false, true)?),
        (true, true) => (m::gen_mat_mul(s, b, &grad, true, true, true, false)?, m::gen_mat_mul(s, &grad, a, true, true, false, true)?),
    };
    Ok(vec![d(ga), d(gb)])
}

/// TF's `math_ops.reduced_shape(input_shape, axes)`: the reduced shape with kept dims, folded to
/// a constant when both are constant.
pub(crate) fn reduced_shape(s: &Scope, input_shape: &Output, axes: &Output) -> Result<Output> {
    if let (Some(shape), Some(ax)) = (constant_value(input_shape), constant_value(axes)) {
        let mut dims = shape.to_i64_vec()?;
        let n = dims.len() as i64;
        for a in ax.to_i64_vec()? {
            let i = if a < 0 { a + n } else { a };
            if (0..n).contains(&i) {
                dims[i as usize] = 1;
            }
        }
        return arr::constant(s, &Tensor::from_vec(vec![n], dims.iter().map(|&v| v as i32).collect::<Vec<_>>())?);
    }
    let rank = arr::size(s, input_shape)?;
    let shifted = m::op_add(s, axes, &rank)?;
    let axes = m::op_mod(s, &shifted, &rank)?;
    let axes_shape = arr::shape(s, &axes, DType::Int32)?;
    let all = arr::range(s, 0i32, &rank, 1i32)?;
    let ones = arr::ones_dynamic(s, &axes_shape, input_shape.dtype())?;
    arr::dynamic_stitch(s, &[all, axes], &[input_shape.clone(), ones])
}

pub fn sum_grad(ctx: &GradCtx, g: &[Option<Grad>]) -> Grads {
    let s = ctx.scope;
    let grad = dense(ctx, &g[0])?;
    let x = &ctx.inputs[0];
    let x_shape = x.shape();
    if let (Some(dims), Some(axes)) = (x_shape.dims(), constant_value(&ctx.inputs[1]).and_then(|t| t.to_i64_vec().ok())) {
        let rank = dims.len();
        if axes == (0..rank as i64).collect::<Vec<_>>() {
            let grad = arr::reshape_to(s, &grad, &vec![1; rank])?;
            let input_shape = match x_shape.to_vec() {
                Some(v) => arr::constant(s, &Tensor::from_vec(vec![v.len() as i64], v.iter().map(|&d| d as i32).collect::<Vec<_>>())?)?,
                None => arr::shape(s, x, DType::Int32)?,
            };
            return Ok(vec![d(arr::tile(s, &grad, &input_shape)?), None]);
        }
        if let Some(full) = x_shape.to_vec() {
            let mut kept = full.clone();
            for a in &axes {
                let i = if *a < 0 { a + rank as i64 } else { *a };
                if (0..rank as i64).contains(&i) {
                    kept[i as usize] = 1;
                }
            }
            let scaling: Vec<i64> = full.iter().zip(&kept).map(|(f, k)| f / k.max(&1)).collect();
            let grad = arr::reshape_to(s, &grad, &kept)?;
            return Ok(vec![d(tile_const(s, &grad, &scaling)?), None]);
        }
    }
    let input_shape = arr::shape(s, x, DType::Int32)?;
    let mut grad = grad;
    if !ctx.op.attr_bool("keep_dims").unwrap_or(false) {
        let c = s.colocate_with(input_shape.op(), false);
        let kept = reduced_shape(&c, &input_shape, &ctx.inputs[1])?;
        grad = arr::reshape(s, &grad, &kept)?;
    }
    Ok(vec![d(arr::broadcast_to(s, &grad, &input_shape)?), None])
}

/// `array_ops.tile(x, [..])` with constant multiples (`Tile/multiples`).
fn tile_const(s: &Scope, x: &Output, multiples: &[i64]) -> Result<Output> {
    let t = s.op_scope("Tile")?;
    let m = arr::int_vector(&t, "multiples", multiples)?;
    OpBuilder::new(&t, "Tile").named_as_scope().input(x).input(&m).build_output()
}

pub fn mean_grad(ctx: &GradCtx, g: &[Option<Grad>]) -> Grads {
    let s = ctx.scope;
    let sum = sum_grad(ctx, g)?;
    let Some(Some(Grad::Dense(sum_grad))) = sum.into_iter().next() else { return Err(Error::internal("Sum gradient missing")) };
    let (xs, ys) = (ctx.inputs[0].shape(), ctx.outputs[0].shape());
    let factor = match (xs.num_elements(), ys.num_elements()) {
        (Some(i), Some(o)) => float_scalar(s, "Const", (i / o.max(1)) as f64, sum_grad.dtype())?,
        _ => {
            let input_shape = arr::shape(s, &ctx.inputs[0], DType::Int32)?;
            let rank = arr::size(s, &input_shape)?;
            let axes = arr::cast(s, &ctx.inputs[1], rank.dtype())?;
            let axes = m::op_add(s, &axes, &rank)?;
            let axes = m::op_mod(s, &axes, &rank)?;
            let picked = arr::gather(s, &input_shape, &axes, 0)?;
            m::reduce_prod(s, &picked, m::Axes::All, false)?
        }
    };
    let factor = arr::cast(s, &factor, sum_grad.dtype())?;
    Ok(vec![d(m::div(s, &sum_grad, &factor)?), None])
}

pub fn min_or_max_grad(ctx: &GradCtx, g: &[Option<Grad>]) -> Grads {
    let s = ctx.scope;
    let mut grad = dense(ctx, &g[0])?;
    let (x, axes) = (&ctx.inputs[0], &ctx.inputs[1]);
    let input_shape = arr::shape(s, x, DType::Int32)?;
    let mut y = ctx.outputs[0].clone();
    let kept = if !ctx.op.attr_bool("keep_dims").unwrap_or(false) {
        let kept = reduced_shape(s, &input_shape, axes)?;
        y = arr::reshape(s, &y, &kept)?;
        grad = arr::reshape(s, &grad, &kept)?;
        kept
    } else {
        arr::shape(s, &y, DType::Int32)?
    };
    let eq = m::equal(s, &y, x)?;
    let indicators = arr::cast(s, &eq, grad.dtype())?;
    let selected = m::sum_over(s, &indicators, axes, false)?;
    let selected = arr::reshape(s, &selected, &kept)?;
    let share = m::div(s, &indicators, &selected)?;
    Ok(vec![d(m::op_mul(s, &share, &grad)?), None])
}

pub fn cast_grad(ctx: &GradCtx, g: &[Option<Grad>]) -> Grads {
    let src = ctx.inputs[0].dtype();
    let Some(grad) = &g[0] else { return Ok(vec![None]) };
    if src.is_float() && grad.dtype().is_float() {
        let grad = to_dense(ctx.scope, grad)?;
        return Ok(vec![d(arr::cast(ctx.scope, &grad, src)?)]);
    }
    Ok(vec![None])
}

pub fn square_grad(ctx: &GradCtx, g: &[Option<Grad>]) -> Grads {
    let grad = dense(ctx, &g[0])?;
    let s = ctx.scope.with_control_dependencies(std::slice::from_ref(grad.op()));
    let two = float_scalar(&s, "Const", 2.0, ctx.inputs[0].dtype())?;
    let x2 = m::mul(&s, &ctx.inputs[0], &two)?;
    Ok(vec![d(m::mul(&s, &grad, &x2)?)])
}

pub fn add_n_grad(ctx: &GradCtx, g: &[Option<Grad>]) -> Grads {
    Ok(vec![g[0].clone(); ctx.inputs.len()])
}
