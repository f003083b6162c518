//! Fused batch normalization: `FusedBatchNorm`, `FusedBatchNormV2`, `FusedBatchNormV3` and their
//! gradients (`FusedBatchNormGrad`, `...V2`, `...V3`), float, in training and in inference, over
//! NHWC/NCHW (and 5-d NDHWC/NCDHW) inputs, with TF 2.21's CPU semantics and messages.
//!
//! Training normalizes with the batch's statistics per channel: `y = (x - mean) *
//! rsqrt(var + epsilon) * scale + offset`, where `var` is the biased variance. The `batch_mean` and
//! `batch_variance` outputs are the running statistics: the batch's (the variance Bessel-corrected)
//! when `exponential_avg_factor` is 1, else blended into the given ones. The reserve spaces carry
//! the batch mean and the biased variance to the gradient. Inference normalizes with the given
//! estimates and passes them through. Channel sums accumulate in f64 and are split over rayon's
//! pool by rows for large inputs.
//!
//! Concurrency: kernels are stateless (`Send + Sync`, attrs fixed at build time).

use crate::broadcast::PARALLEL_THRESHOLD;
use ferroflow_framework::{
    Cost, DType, Error, Kernel, KernelInit, OpKernel, OpKernelContext, OpRegistry, Result, Tensor,
};
use rayon::prelude::*;

pub(crate) fn register(reg: &mut OpRegistry) {
    reg.op("FusedBatchNorm")
        .input("x: T")
        .input("scale: T")
        .input("offset: T")
        .input("mean: T")
        .input("variance: T")
        .output("y: T")
        .output("batch_mean: T")
        .output("batch_variance: T")
        .output("reserve_space_1: T")
        .output("reserve_space_2: T")
        .attr("T: {float}")
        .attr("epsilon: float = 0.0001")
        .attr("exponential_avg_factor: float = 1.0")
        .attr("data_format: {'NHWC', 'NCHW'} = 'NHWC'")
        .attr("is_training: bool = true")
        .cost(Cost::InputElements)
        .kernel(|init| build(init, false, false));
    reg.op("FusedBatchNormV2")
        .input("x: T")
        .input("scale: U")
        .input("offset: U")
        .input("mean: U")
        .input("variance: U")
        .output("y: T")
        .output("batch_mean: U")
        .output("batch_variance: U")
        .output("reserve_space_1: U")
        .output("reserve_space_2: U")
        .attr("T: {half, bfloat16, float}")
        .attr("U: {float}")
        .attr("epsilon: float = 0.0001")
        .attr("exponential_avg_factor: float = 1.0")
        .attr("data_format: {'NHWC', 'NCHW'} = 'NHWC'")
        .attr("is_training: bool = true")
        .cost(Cost::InputElements)
        .kernel(|init| build(init, false, false));
    reg.op("FusedBatchNormV3")
        .input("x: T")
        .input("scale: U")
        .input("offset: U")
        .input("mean: U")
        .input("variance: U")
        .output("y: T")
        .output("batch_mean: U")
        .output("batch_variance: U")
        .output("reserve_space_1: U")
        .output("reserve_space_2: U")
        .output("reserve_space_3: U")
        .attr("T: {half, bfloat16, float}")
        .attr("U: {bfloat16, float}")
        .attr("epsilon: float = 0.0001")
        .attr("exponential_avg_factor: float = 1.0")
        .attr("data_format: {'NHWC', 'NCHW', 'NDHWC', 'NCDHW'} = 'NHWC'")
        .attr("is_training: bool = true")
        .cost(Cost::InputElements)
        .kernel(|init| build(init, true, false));
    reg.op("FusedBatchNormGrad")
        .input("y_backprop: T")
        .input("x: T")
        .input("scale: T")
        .input("reserve_space_1: T")
        .input("reserve_space_2: T")
        .output("x_backprop: T")
        .output("scale_backprop: T")
        .output("offset_backprop: T")
        .output("reserve_space_3: T")
        .output("reserve_space_4: T")
        .attr("T: {float}")
        .attr("epsilon: float = 0.0001")
        .attr("data_format: {'NHWC', 'NCHW'} = 'NHWC'")
        .attr("is_training: bool = true")
        .cost(Cost::InputElements)
        .kernel(|init| build(init, false, true));
    reg.op("FusedBatchNormGradV2")
        .input("y_backprop: T")
        .input("x: T")
        .input("scale: float")
        .input("reserve_space_1: U")
        .input("reserve_space_2: U")
        .output("x_backprop: T")
        .output("scale_backprop: U")
        .output("offset_backprop: U")
        .output("reserve_space_3: U")
        .output("reserve_space_4: U")
        .attr("T: {half, bfloat16, float}")
        .attr("U: {float}")
        .attr("epsilon: float = 0.0001")
        .attr("data_format: {'NHWC', 'NCHW'} = 'NHWC'")
        .attr("is_training: bool = true")
        .cost(Cost::InputElements)
        .kernel(|init| build(init, false, true));
    reg.op("FusedBatchNormGradV3")
        .input("y_backprop: T")
        .input("x: T")
        .input("scale: float")
        .input("reserve_space_1: U")
        .input("reserve_space_2: U")
        .input("reserve_space_3: U")
        .output("x_backprop: T")
        .output("scale_backprop: U")
        .output("offset_backprop: U")
        .output("reserve_space_4: U")
        .output("reserve_space_5: U")
        .attr("T: {half, bfloat16, float}")
        .attr("U: {float}")
        .attr("epsilon: float = 0.0001")
        .attr("data_format: {'NHWC', 'NCHW', 'NDHWC', 'NCDHW'} = 'NHWC'")
        .attr("is_training: bool = true")
        .cost(Cost::InputElements)
        .kernel(|init| build(init, true, true));
}

/// How channels sit in the input: `x` is `[outer, channels, inner]` (NHWC: inner 1).
#[derive(Clone, Copy, Debug)]
struct Layout {
    outer: usize,
    channels: usize,
    inner: usize,
}

impl Layout {
    fn of(x: &Tensor, channels_last: bool) -> Result<Layout> {
        let d = x.dims();
        if d.len() != 4 && d.len() != 5 {
            return Err(Error::invalid_argument(format!("input must be 4 or 5-dimensional{}", x.shape())));
        }
        let us = |v: &[i64]| v.iter().product::<i64>() as usize;
        Ok(if channels_last {
            Layout { outer: us(&d[..d.len() - 1]), channels: d[d.len() - 1] as usize, inner: 1 }
        } else {
            Layout { outer: d[0] as usize, channels: d[1] as usize, inner: us(&d[2..]) }
        })
    }

    /// Elements per channel (`N*H*W`).
    fn rest(&self) -> usize {
        self.outer * self.inner
    }

    /// Per-channel sums of `term(x, y, center[channel])` over every element, in f64. The loops
    /// run over contiguous rows (NHWC: a row holds every channel once; NCHW: a run of one
    /// channel), so they vectorize.
    fn channel_sums(&self, x: &[f32], y: &[f32], center: &[f32], term: impl Fn(f32, f32, f32) -> f64 + Sync) -> Vec<f64> {
        let (c, inner) = (self.channels, self.inner);
        let block = c * inner;
        let sum_rows = |rows: std::ops::Range<usize>| {
            let mut s = vec![0.0f64; c];
            let (xs, ys) = (&x[rows.start * block..rows.end * block], &y[rows.start * block..rows.end * block]);
            if inner == 1 {
                for (xr, yr) in xs.chunks_exact(c.max(1)).zip(ys.chunks_exact(c.max(1))) {
                    for (((acc, &a), &b), &m) in s.iter_mut().zip(xr).zip(yr).zip(center) {
                        *acc += term(a, b, m);
                    }
                }
            } else {
                for (xr, yr) in xs.chunks_exact(block.max(1)).zip(ys.chunks_exact(block.max(1))) {
                    for (ch, acc) in s.iter_mut().enumerate() {
                        let (xc, yc) = (&xr[ch * inner..(ch + 1) * inner], &yr[ch * inner..(ch + 1) * inner]);
                        *acc += xc.iter().zip(yc).map(|(&a, &b)| term(a, b, center[ch])).sum::<f64>();
                    }
                }
            }
            s
        };
        if self.outer * block < PARALLEL_THRESHOLD {
            return sum_rows(0..self.outer);
        }
        let per = self.outer.div_ceil(rayon::current_num_threads() * 4).max(1);
        (0..self.outer.div_ceil(per))
            .into_par_iter()
            .map(|k| sum_rows(k * per..((k + 1) * per).min(self.outer)))
            .reduce(|| vec![0.0; c], |a, b| a.iter().zip(&b).map(|(x, y)| x + y).collect())
    }

    /// `out = f(x, y, p[channel], q[channel], r[channel], s[channel])` for every element, over
    /// contiguous rows as in [`Layout::channel_sums`].
    #[allow(clippy::too_many_arguments)]
    fn map(
        &self,
        out: &mut [f32],
        x: &[f32],
        y: &[f32],
        coefs: [&[f32]; 4],
        f: impl Fn(f32, f32, f32, f32, f32, f32) -> f32 + Sync,
    ) {
        let (c, inner) = (self.channels, self.inner);
        let block = (c * inner).max(1);
        let [p, q, r, s] = coefs;
        let fill = |o: &mut [f32], xr: &[f32], yr: &[f32]| {
            if inner == 1 {
                for (((((v, &a), &b), &p), &q), (&r, &s)) in
                    o.iter_mut().zip(xr).zip(yr).zip(p).zip(q).zip(r.iter().zip(s))
                {
                    *v = f(a, b, p, q, r, s);
                }
            } else {
                for ch in 0..c {
                    let span = ch * inner..(ch + 1) * inner;
                    let (pc, qc, rc, sc) = (p[ch], q[ch], r[ch], s[ch]);
                    for ((v, &a), &b) in o[span.clone()].iter_mut().zip(&xr[span.clone()]).zip(&yr[span]) {
                        *v = f(a, b, pc, qc, rc, sc);
                    }
                }
            }
        };
        if out.len() < PARALLEL_THRESHOLD {
            out.chunks_mut(block).zip(x.chunks(block)).zip(y.chunks(block)).for_each(|((o, a), b)| fill(o, a, b));
        } else {
            out.par_chunks_mut(block)
                .zip(x.par_chunks(block))
                .zip(y.par_chunks(block))
                .for_each(|((o, a), b)| fill(o, a, b));
        }
    }
}

struct BatchNormKernel {
    epsilon: f32,
    average_factor: f32,
    channels_last: bool,
    is_training: bool,
    v3: bool,
    grad: bool,
}

fn vector(t: &Tensor, name: &str, channels: usize) -> Result<Vec<f32>> {
    if t.rank() != 1 {
        return Err(Error::invalid_argument(format!("{name} must be 1-dimensional{}", t.shape())));
    }
    if t.num_elements() != channels {
        return Err(Error::invalid_argument(format!(
            "{name} must have the same number of elements as the channels of x, got {} and {channels}",
            t.num_elements()
        )));
    }
    Ok(t.values::<f32>()?.into_owned())
}

fn vec_tensor(v: Vec<f32>) -> Result<Tensor> {
    let n = v.len() as i64;
    Tensor::from_vec(vec![n], v)
}

impl BatchNormKernel {
    fn forward(&self, ctx: &mut OpKernelContext<'_>) -> Result<()> {
        let x = ctx.input(0);
        let l = Layout::of(x, self.channels_last)?;
        let c = l.channels;
        for (k, name) in [(1, "scale"), (2, "offset"), (3, "estimated_mean"), (4, "estimated_variance")] {
            if ctx.input(k).rank() != 1 {
                return Err(Error::invalid_argument(format!("{name} must be 1-dimensional{}", ctx.input(k).shape())));
            }
        }
        let scale = vector(ctx.input(1), "scale", c)?;
        let offset = vector(ctx.input(2), "offset", c)?;
        let uses_estimates = !self.is_training || self.average_factor != 1.0;
        let (est_mean, est_var) = if uses_estimates {
            for (k, name) in [(3, "mean"), (4, "variance")] {
                if ctx.input(k).num_elements() != c {
                    let when = if self.is_training { "exponential_avg_factor != 1" } else { "is_training=false" };
                    return Err(Error::invalid_argument(format!(
                        "When {when}, {name} must have the same number of elements as the channels of x, got {} and \
                         {c}",
                        ctx.input(k).num_elements()
                    )));
                }
            }
            (ctx.input(3).values::<f32>()?.into_owned(), ctx.input(4).values::<f32>()?.into_owned())
        } else {
            (vec![0.0; c], vec![0.0; c])
        };
        let xs = x.values::<f32>()?;
        let (mean, var) = if self.is_training {
            let rest = l.rest() as f64;
            let zeros = vec![0.0f32; c];
            let sums = l.channel_sums(&xs, &xs, &zeros, |a, _, _| a as f64);
            let mean: Vec<f32> = sums.iter().map(|s| (s / rest) as f32).collect();
            let exact: Vec<f64> = sums.iter().map(|s| s / rest).collect();
            // Deviations from the mean rounded to float, as the channel sums then see them.
            let var: Vec<f64> = l
                .channel_sums(&xs, &xs, &mean, |a, _, m| {
                    let d = a as f64 - m as f64;
                    d * d
                })
                .iter()
                .zip(&exact)
                .zip(&mean)
                .map(|((s, &e), &m)| {
                    // Correct for the rounding of the mean: sum (x - e)^2 = sum (x - m)^2 - n (m - e)^2.
                    let shift = m as f64 - e;
                    (s / rest - shift * shift).max(0.0)
                })
                .collect();
            (mean, var.iter().map(|&v| v as f32).collect::<Vec<_>>())
        } else {
            (est_mean.clone(), est_var.clone())
        };
        let factor: Vec<f32> = (0..c).map(|ch| scale[ch] / (var[ch] + self.epsilon).sqrt()).collect();
        let mut y = Vec::new();
        y.try_reserve_exact(xs.len()).map_err(|_| Error::resource_exhausted("OOM when allocating batch norm output"))?;
        y.resize(xs.len(), 0.0f32);
        let unused = vec![0.0f32; c];
        l.map(&mut y, &xs, &xs, [&mean, &factor, &offset, &unused], |a, _, m, k, o, _| (a - m) * k + o);
        let (batch_mean, batch_var) = if self.is_training {
            let rest = l.rest();
            let adjust = rest as f32 / (if rest > 1 { rest - 1 } else { 1 }) as f32;
            let f = self.average_factor;
            let blend = |old: f32, new: f32| if f == 1.0 { new } else { (1.0 - f) * old + f * new };
            (
                (0..c).map(|ch| blend(est_mean[ch], mean[ch])).collect(),
                (0..c).map(|ch| blend(est_var[ch], var[ch] * adjust)).collect(),
            )
        } else {
            (est_mean.clone(), est_var.clone())
        };
        ctx.set_output(0, Tensor::from_vec(x.shape().clone(), y)?);
        ctx.set_output(1, vec_tensor(batch_mean)?);
        ctx.set_output(2, vec_tensor(batch_var)?);
        ctx.set_output(3, vec_tensor(mean)?);
        ctx.set_output(4, vec_tensor(var)?);
        if self.v3 {
            // TF's CPU kernel allocates this reserve as a scalar and leaves it unused.
            ctx.set_output(5, Tensor::from_vec(Vec::<i64>::new(), vec![0.0f32])?);
        }
        Ok(())
    }

    fn backward(&self, ctx: &mut OpKernelContext<'_>) -> Result<()> {
        let (dy, x) = (ctx.input(0), ctx.input(1));
        let l = Layout::of(x, self.channels_last)?;
        if dy.shape() != x.shape() {
            return Err(Error::invalid_argument(format!(
                "x and y_backprop must have same shape, but x has shape {} and y_backprop has shape {}",
                x.shape(),
                dy.shape()
            )));
        }
        if !self.is_training && !self.channels_last {
            return Err(Error::invalid_argument(
                "The implementation of FusedBatchNormGrad with is_training=False only support NHWC tensor format for now.",
            ));
        }
        let c = l.channels;
        let scale = vector(ctx.input(2), "scale", c)?;
        let mean = vector(ctx.input(3), "reserve_space_1 (mean)", c)?;
        let var = vector(ctx.input(4), "reserve_space_2 (variance)", c)?;
        let (xs, dys) = (x.values::<f32>()?, dy.values::<f32>()?);
        let coef0: Vec<f64> = var.iter().map(|&v| 1.0 / ((v + self.epsilon) as f64).sqrt()).collect();
        let zeros = vec![0.0f32; c];
        let sum_dy = l.channel_sums(&dys, &dys, &zeros, |a, _, _| a as f64);
        let sum_dy_xc = l.channel_sums(&xs, &dys, &mean, |a, b, m| b as f64 * (a as f64 - m as f64));
        let mut dx = Vec::new();
        dx.try_reserve_exact(xs.len()).map_err(|_| Error::resource_exhausted("OOM when allocating batch norm gradient"))?;
        dx.resize(xs.len(), 0.0f32);
        if self.is_training {
            let rest = l.rest().max(1) as f64;
            // dx = scale * k * (dy - mean(dy) - (x - mean) * k^2 * mean(dy * (x - mean))).
            let p: Vec<f32> = (0..c).map(|ch| (scale[ch] as f64 * coef0[ch]) as f32).collect();
            let q: Vec<f32> = sum_dy.iter().map(|s| (s / rest) as f32).collect();
            let s: Vec<f32> = (0..c).map(|ch| (coef0[ch] * coef0[ch] * sum_dy_xc[ch] / rest) as f32).collect();
            l.map(&mut dx, &xs, &dys, [&p, &q, &mean, &s], |a, b, p, q, m, s| p * (b - q - (a - m) * s));
        } else {
            let p: Vec<f32> = (0..c).map(|ch| (scale[ch] as f64 * coef0[ch]) as f32).collect();
            l.map(&mut dx, &xs, &dys, [&p, &zeros, &zeros, &zeros], |_, b, p, _, _, _| b * p);
        }
        let scale_backprop: Vec<f32> = (0..c).map(|ch| (sum_dy_xc[ch] * coef0[ch]) as f32).collect();
        let offset_backprop: Vec<f32> = sum_dy.iter().map(|&s| s as f32).collect();
        ctx.set_output(0, Tensor::from_vec(x.shape().clone(), dx)?);
        ctx.set_output(1, vec_tensor(scale_backprop)?);
        ctx.set_output(2, vec_tensor(offset_backprop)?);
        // TF's CPU kernels leave the last two outputs empty.
        ctx.set_output(3, vec_tensor(Vec::new())?);
        ctx.set_output(4, vec_tensor(Vec::new())?);
        Ok(())
    }
}

impl OpKernel for BatchNormKernel {
    fn compute(&self, ctx: &mut OpKernelContext<'_>) -> Result<()> {
        if self.grad { self.backward(ctx) } else { self.forward(ctx) }
    }
}

fn build(init: &KernelInit<'_>, v3: bool, grad: bool) -> Result<Kernel> {
    init.expect_inputs(if grad { 5 + v3 as usize } else { 5 })?;
    init.attrs.get_type_in("T", &[DType::Float])?;
    if init.attrs.has("U") {
        init.attrs.get_type_in("U", &[DType::Float])?;
    }
    let format = init.attrs.get_string_or("data_format", "NHWC")?;
    let channels_last = match format.as_str() {
        "NHWC" | "NDHWC" => true,
        "NCHW" | "NCDHW" => false,
        other => return Err(Error::invalid_argument(format!("Invalid data format: {other}"))),
    };
    let kernel = BatchNormKernel {
        epsilon: init.attrs.get_float_or("epsilon", 1e-4)?,
        average_factor: if grad { 1.0 } else { init.attrs.get_float_or("exponential_avg_factor", 1.0)? },
        channels_last,
        is_training: init.attrs.get_bool_or("is_training", true)?,
        v3,
        grad,
    };
    Ok(Kernel::sync(kernel, if grad { 5 } else { 5 + v3 as usize }))
}
