//! Spatial poolings over NHWC tensors and their gradients: `MaxPool`, `MaxPoolV2` (window and
//! strides as inputs), `MaxPoolGrad`, `AvgPool`, `AvgPoolGrad`, with TF 2.21's CPU semantics.
//!
//! Windows follow TF's padding rules (`SAME`, `VALID`, and `EXPLICIT` for the max poolings); padded
//! cells never take part: a max pooling takes the largest valid cell, an average pooling divides by
//! the number of valid cells. `MaxPoolGrad` routes each output's gradient to the cell TF's CPU
//! kernel picks: the first cell of the window in row-major order, replaced only by a strictly
//! larger one (so ties go to the first, and a NaN is kept only when it comes first).
//! `AvgPoolGrad` spreads each gradient evenly over the valid cells of its window.
//!
//! Concurrency: kernels are stateless (`Send + Sync`, attrs fixed at build time); images are
//! spread over rayon's global pool, each writing only its own slice of the output.

use super::window::{Padding, WindowDim, explicit_paddings, list4};
use crate::cwise::num::Num;
use crate::cwise::{REAL, pod_tensor, pod_values};
use ferroflow_framework::{
    Cost, DType, Error, Kernel, KernelInit, OpKernel, OpKernelContext, OpRegistry, Result, Tensor, TensorShape,
    dispatch,
};
use rayon::prelude::*;

pub(crate) fn register(reg: &mut OpRegistry) {
    reg.op("MaxPool")
        .input("input: T")
        .output("output: T")
        .attr("T: {half, bfloat16, float, double, int32, int64, uint8, int16, int8, uint16, qint8} = DT_FLOAT")
        .attr("ksize: list(int) >= 4")
        .attr("strides: list(int) >= 4")
        .attr("padding: {'SAME', 'VALID', 'EXPLICIT'}")
        .attr("explicit_paddings: list(int) = []")
        .attr("data_format: {'NHWC', 'NCHW', 'NCHW_VECT_C'} = 'NHWC'")
        .cost(Cost::InputElements)
        .kernel(|init| build(init, Kind::Max, REAL));
    reg.op("MaxPoolV2")
        .input("input: T")
        .input("ksize: int32")
        .input("strides: int32")
        .output("output: T")
        .attr("T: {half, bfloat16, float, double, int32, int64, uint8, int16, int8, uint16, qint8} = DT_FLOAT")
        .attr("padding: {'SAME', 'VALID'}")
        .attr("data_format: {'NHWC', 'NCHW', 'NCHW_VECT_C'} = 'NHWC'")
        .cost(Cost::InputElements)
        .kernel(|init| build(init, Kind::MaxV2, REAL));
    reg.op("MaxPoolGrad")
        .input("orig_input: T")
        .input("orig_output: T")
        .input("grad: T")
        .output("output: T")
        .attr("ksize: list(int) >= 4")
        .attr("strides: list(int) >= 4")
        .attr("padding: {'SAME', 'VALID', 'EXPLICIT'}")
        .attr("explicit_paddings: list(int) = []")
        .attr("data_format: {'NHWC', 'NCHW'} = 'NHWC'")
        .attr("T: {float, double, int32, uint8, int16, int8, int64, bfloat16, uint16, half, uint32, uint64} = DT_FLOAT")
        .cost(Cost::InputElements)
        .kernel(|init| build(init, Kind::MaxGrad, REAL));
    reg.op("AvgPool")
        .input("value: T")
        .output("output: T")
        .attr("ksize: list(int) >= 4")
        .attr("strides: list(int) >= 4")
        .attr("padding: {'SAME', 'VALID'}")
        .attr("data_format: {'NHWC', 'NCHW'} = 'NHWC'")
        .attr("T: {half, bfloat16, float, double}")
        .cost(Cost::InputElements)
        .kernel(|init| build(init, Kind::Avg, &[DType::Float, DType::Double]));
    reg.op("AvgPoolGrad")
        .input("orig_input_shape: int32")
        .input("grad: T")
        .output("output: T")
        .attr("ksize: list(int) >= 4")
        .attr("strides: list(int) >= 4")
        .attr("padding: {'SAME', 'VALID'}")
        .attr("data_format: {'NHWC', 'NCHW'} = 'NHWC'")
        .attr("T: {half, bfloat16, float, double}")
        .cost(Cost::InputElements)
        .kernel(|init| build(init, Kind::AvgGrad, &[DType::Float, DType::Double]));
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Max,
    MaxV2,
    MaxGrad,
    Avg,
    AvgGrad,
}

impl Kind {
    fn is_avg(self) -> bool {
        matches!(self, Kind::Avg | Kind::AvgGrad)
    }
}

/// Window, strides and padding of a pooling.
#[derive(Clone, Copy)]
struct PoolAttrs {
    ksize: [i64; 4],
    strides: [i64; 4],
    padding: Padding,
    explicit: [(i64, i64); 2],
}

impl PoolAttrs {
    fn check(ksize: [i64; 4], strides: [i64; 4], kind: Kind) -> Result<()> {
        if let Some(d) = ksize.iter().position(|&k| k <= 0) {
            return Err(Error::invalid_argument(format!("Sliding window ksize for dimension {d} was zero.")));
        }
        if ksize[0] != 1 || strides[0] != 1 {
            return Err(Error::unimplemented("Pooling is not yet supported on the batch dimension."));
        }
        if ksize[3] != 1 || strides[3] != 1 {
            return Err(Error::unimplemented(if kind.is_avg() {
                "Non-spatial pooling is not yet supported. Volunteers? :)"
            } else {
                "ferroflow pools over the spatial dimensions only; a window or stride over the depth is not \
                 implemented"
            }));
        }
        Ok(())
    }
}

/// The shapes of one pooling: NHWC input and output.
#[derive(Clone, Copy)]
struct Geometry {
    batch: usize,
    rows: WindowDim,
    cols: WindowDim,
    depth: usize,
}

impl Geometry {
    fn new(input: &[i64], a: &PoolAttrs) -> Result<Geometry> {
        let rows = WindowDim::new(input[1], a.ksize[1], 1, a.strides[1], a.padding, a.explicit[0])?;
        let cols = WindowDim::new(input[2], a.ksize[2], 1, a.strides[2], a.padding, a.explicit[1])?;
        Ok(Geometry { batch: input[0] as usize, rows, cols, depth: input[3] as usize })
    }

    fn input_image(&self) -> usize {
        self.rows.input * self.cols.input * self.depth
    }

    fn output_image(&self) -> usize {
        self.rows.output * self.cols.output * self.depth
    }

    fn output_dims(&self) -> Vec<i64> {
        [self.batch, self.rows.output, self.cols.output, self.depth].iter().map(|&d| d as i64).collect()
    }

    /// The valid input cells (offsets of their depth vectors within one image) of output (oy, ox),
    /// in row-major order.
    fn window(&self, oy: usize, ox: usize) -> impl Iterator<Item = usize> + '_ {
        let (ys, xs) = (span(&self.rows, oy), span(&self.cols, ox));
        ys.flat_map(move |sy| xs.clone().map(move |sx| (sy * self.cols.input + sx) * self.depth))
    }

    /// Runs `per_image(input image, output image)` for every image, in parallel.
    fn images<T: Copy + Send + Sync, U: Num>(
        &self,
        input: &[T],
        in_image: usize,
        out_image: usize,
        per_image: impl Fn(&[T], &mut [U]) + Send + Sync,
    ) -> Result<Vec<U>> {
        let len = self.batch.checked_mul(out_image).ok_or_else(|| Error::resource_exhausted("pooling output too large"))?;
        let mut out = Vec::new();
        out.try_reserve_exact(len).map_err(|_| {
            Error::resource_exhausted(format!("OOM when allocating a pooling output of {len} elements"))
        })?;
        out.resize(len, U::ZERO);
        if len == 0 {
            return Ok(out);
        }
        if in_image == 0 {
            // No input cells (a zero-sized spatial dimension padded explicitly): empty windows.
            out.par_chunks_mut(out_image).for_each(|o| per_image(&[], o));
            return Ok(out);
        }
        out.par_chunks_mut(out_image).zip(input.par_chunks(in_image)).for_each(|(o, i)| per_image(i, o));
        Ok(out)
    }
}

fn max_pool<T: Num>(x: &[T], g: &Geometry) -> Result<Vec<T>> {
    g.images(x, g.input_image(), g.output_image(), |img, out| {
        for (p, o) in out.chunks_exact_mut(g.depth).enumerate() {
            o.fill(T::MAX_IDENTITY);
            for at in g.window(p / g.cols.output, p % g.cols.output) {
                // A select rather than a conditional store, so the loop vectorizes.
                o.iter_mut().zip(&img[at..at + g.depth]).for_each(|(m, &v)| *m = if v > *m { v } else { *m });
            }
        }
    })
}

fn max_pool_grad<T: Num>(x: &[T], dy: &[T], g: &Geometry) -> Result<Vec<T>> {
    let (in_image, out_image) = (g.input_image(), g.output_image());
    // Images are paired by index: the input image and its output gradient.
    let pairs: Vec<(&[T], &[T])> = x.chunks(in_image.max(1)).zip(dy.chunks(out_image.max(1))).collect();
    let len = g.batch * in_image;
    let mut dx = Vec::new();
    dx.try_reserve_exact(len).map_err(|_| Error::resource_exhausted("OOM when allocating a pooling gradient"))?;
    dx.resize(len, T::ZERO);
    if len == 0 || out_image == 0 {
        return Ok(dx);
    }
    dx.par_chunks_mut(in_image).zip(pairs.par_iter()).for_each(|(dxi, &(img, dyi))| {
        // Per channel: the winning value and its offset, updated branch-free so it vectorizes.
        let mut value: Vec<T> = vec![T::ZERO; g.depth];
        let mut at_of: Vec<usize> = vec![0; g.depth];
        for (p, grads) in dyi.chunks_exact(g.depth).enumerate() {
            let mut cells = g.window(p / g.cols.output, p % g.cols.output);
            let Some(first) = cells.next() else { continue };
            // The first cell always wins at first, NaN or not, as in TF's kernel.
            value.copy_from_slice(&img[first..first + g.depth]);
            at_of.iter_mut().enumerate().for_each(|(c, a)| *a = first + c);
            for at in cells {
                for (c, ((v, a), &x)) in value.iter_mut().zip(at_of.iter_mut()).zip(&img[at..at + g.depth]).enumerate() {
                    let take = *v < x;
                    *v = if take { x } else { *v };
                    *a = if take { at + c } else { *a };
                }
            }
            for (&a, &d) in at_of.iter().zip(grads) {
                dxi[a] = dxi[a].add(d);
            }
        }
    });
    Ok(dx)
}

/// The input positions output `out` of a (dilation-1) window reads along one dimension.
fn span(d: &WindowDim, out: usize) -> std::ops::Range<usize> {
    let start = (out * d.stride) as i64 - d.pad_before as i64;
    let end = (start + d.filter as i64).min(d.input as i64);
    let start = start.max(0);
    if end <= start { 0..0 } else { start as usize..end as usize }
}

/// The number of valid cells of output (oy, ox)'s window.
fn valid_cells(g: &Geometry, oy: usize, ox: usize) -> usize {
    span(&g.rows, oy).len() * span(&g.cols, ox).len()
}

fn avg_pool<T: Num + crate::cwise::num::Float>(x: &[T], g: &Geometry) -> Result<Vec<T>> {
    g.images(x, g.input_image(), g.output_image(), |img, out| {
        for (p, o) in out.chunks_exact_mut(g.depth).enumerate() {
            let (oy, ox) = (p / g.cols.output, p % g.cols.output);
            o.fill(T::ZERO);
            for at in g.window(oy, ox) {
                o.iter_mut().zip(&img[at..at + g.depth]).for_each(|(s, &v)| *s = s.add(v));
            }
            let n = T::from_f64(valid_cells(g, oy, ox) as f64);
            o.iter_mut().for_each(|s| *s = s.div(n));
        }
    })
}

fn avg_pool_grad<T: Num + crate::cwise::num::Float>(dy: &[T], g: &Geometry) -> Result<Vec<T>> {
    let (in_image, out_image) = (g.input_image(), g.output_image());
    let len = g.batch * in_image;
    let mut dx = Vec::new();
    dx.try_reserve_exact(len).map_err(|_| Error::resource_exhausted("OOM when allocating a pooling gradient"))?;
    dx.resize(len, T::ZERO);
    if len == 0 || out_image == 0 {
        return Ok(dx);
    }
    dx.par_chunks_mut(in_image).zip(dy.par_chunks(out_image)).for_each(|(dxi, dyi)| {
        for (p, grads) in dyi.chunks_exact(g.depth).enumerate() {
            let (oy, ox) = (p / g.cols.output, p % g.cols.output);
            let n = T::from_f64(valid_cells(g, oy, ox) as f64);
            for at in g.window(oy, ox) {
                dxi[at..at + g.depth].iter_mut().zip(grads).for_each(|(d, &v)| *d = d.add(v.div(n)));
            }
        }
    });
    Ok(dx)
}

type PoolFn = fn(&PoolKernel, &mut OpKernelContext<'_>) -> Result<()>;

struct PoolKernel {
    kind: Kind,
    dtype: DType,
    /// None for MaxPoolV2, whose window and strides are inputs.
    attrs: Option<PoolAttrs>,
    padding: Padding,
    f: PoolFn,
}

fn four_d(t: &Tensor, what: &str) -> Result<[i64; 4]> {
    t.dims().try_into().map_err(|_| {
        if what == "input" {
            // TF's pooling parameters name the input's rank and the (NHWC) data format's number.
            Error::invalid_argument(format!("tensor_in_shape must have 2 spatial dimensions. {} 0", t.rank()))
        } else {
            Error::invalid_argument(format!("{what} must be 4-dimensional"))
        }
    })
}

/// A 4-element int32 operand (MaxPoolV2's window and strides, AvgPoolGrad's input shape).
fn operand4(t: &Tensor, what: &str) -> Result<[i64; 4]> {
    let v = t.to_i64_vec()?;
    v.as_slice().try_into().map_err(|_| Error::invalid_argument(format!("Sliding window {what} field must specify 4 dimensions")))
}

fn compute<T: Num>(k: &PoolKernel, ctx: &mut OpKernelContext<'_>) -> Result<()> {
    let attrs = match k.attrs {
        Some(a) => a,
        None => {
            let (ksize, strides) = (operand4(ctx.input(1), "ksize")?, operand4(ctx.input(2), "stride")?);
            PoolAttrs::check(ksize, strides, k.kind)?;
            PoolAttrs { ksize, strides, padding: k.padding, explicit: [(0, 0); 2] }
        }
    };
    let out = match k.kind {
        Kind::Max | Kind::MaxV2 => {
            let x = ctx.input(0);
            let g = Geometry::new(&four_d(x, "input")?, &attrs)?;
            pod_tensor(k.dtype, TensorShape::new(g.output_dims()), max_pool(&pod_values::<T>(x, k.dtype)?, &g)?)?
        }
        Kind::MaxGrad => {
            let (x, y, dy) = (ctx.input(0), ctx.input(1), ctx.input(2));
            let g = Geometry::new(&four_d(x, "orig_input")?, &attrs)?;
            four_d(y, "orig_output")?;
            let dyd = four_d(dy, "out_backprop")?;
            if dyd.as_slice() != g.output_dims().as_slice() {
                return Err(Error::invalid_argument(format!(
                    "Expected grad shape to be {}, but got {}",
                    TensorShape::new(g.output_dims()),
                    dy.shape()
                )));
            }
            let dx = max_pool_grad(&pod_values::<T>(x, k.dtype)?, &pod_values::<T>(dy, k.dtype)?, &g)?;
            pod_tensor(k.dtype, x.shape().clone(), dx)?
        }
        Kind::Avg | Kind::AvgGrad => return (avg_fn(k.dtype)?)(k, ctx, attrs),
    };
    ctx.set_output(0, out);
    Ok(())
}

type AvgFn = fn(&PoolKernel, &mut OpKernelContext<'_>, PoolAttrs) -> Result<()>;

fn avg_fn(dtype: DType) -> Result<AvgFn> {
    dispatch!(float, dtype, T => Ok(compute_avg::<T> as AvgFn), Err(Error::internal("average pooling of a non-float type")))
}

fn compute_avg<T: Num + crate::cwise::num::Float>(
    k: &PoolKernel,
    ctx: &mut OpKernelContext<'_>,
    attrs: PoolAttrs,
) -> Result<()> {
    let out = if k.kind == Kind::Avg {
        let x = ctx.input(0);
        let g = Geometry::new(&four_d(x, "input")?, &attrs)?;
        pod_tensor(k.dtype, TensorShape::new(g.output_dims()), avg_pool(&pod_values::<T>(x, k.dtype)?, &g)?)?
    } else {
        let (shape, dy) = (ctx.input(0), ctx.input(1));
        if shape.rank() != 1 || shape.num_elements() != 4 {
            return Err(Error::invalid_argument(format!(
                "orig_input_shape must be 1-dimensional and 4 elements"
            )));
        }
        let dims = operand4(shape, "orig_input_shape")?;
        if let Some(d) = dims.iter().find(|&&d| d < 0) {
            return Err(Error::invalid_argument(format!("Dimension {d} must be >= 0")));
        }
        let g = Geometry::new(&dims, &attrs)?;
        let dyd = four_d(dy, "out_backprop")?;
        if dyd.as_slice() != g.output_dims().as_slice() {
            return Err(Error::invalid_argument(format!(
                "Expected grad shape to be {}, but got {}",
                TensorShape::new(g.output_dims()),
                dy.shape()
            )));
        }
        pod_tensor(k.dtype, TensorShape::new(dims.to_vec()), avg_pool_grad(&pod_values::<T>(dy, k.dtype)?, &g)?)?
    };
    ctx.set_output(0, out);
    Ok(())
}

impl OpKernel for PoolKernel {
    fn compute(&self, ctx: &mut OpKernelContext<'_>) -> Result<()> {
        (self.f)(self, ctx)
    }
}

fn build(init: &KernelInit<'_>, kind: Kind, types: &[DType]) -> Result<Kernel> {
    let format = init.attrs.get_string_or("data_format", "NHWC")?;
    if format != "NHWC" {
        let op = if kind.is_avg() { "AvgPoolingOp" } else { "MaxPoolingOp" };
        return Err(Error::invalid_argument(format!("Default {op} only supports NHWC on device type CPU")));
    }
    let dtype = if init.attrs.has("T") { init.attrs.get_type_in("T", types)? } else { DType::Float };
    let padding = Padding::parse(init)?;
    let attrs = if kind == Kind::MaxV2 {
        None
    } else {
        let ksize = list4(init, "ksize", [1; 4])?;
        let strides = list4(init, "strides", [1; 4])
            .map_err(|_| Error::invalid_argument("Sliding window stride field must specify 4 dimensions"))?;
        PoolAttrs::check(ksize, strides, kind)?;
        let explicit = explicit_paddings(init, padding)?;
        for (pad, side, k) in [
            (explicit[0].0, "Top", ksize[1]),
            (explicit[0].1, "Bottom", ksize[1]),
            (explicit[1].0, "Left", ksize[2]),
            (explicit[1].1, "Right", ksize[2]),
        ] {
            if pad >= k {
                return Err(Error::invalid_argument(format!(
                    "{side} padding {pad} needs to be smaller than the window size {k}"
                )));
            }
        }
        Some(PoolAttrs { ksize, strides, padding, explicit })
    };
    let f = dispatch!(real, dtype, T => compute::<T> as PoolFn, return Err(Error::internal("unreachable dtype")));
    Ok(Kernel::sync(PoolKernel { kind, dtype, attrs, padding, f }, 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn geometry(input: [i64; 4], k: i64, s: i64, padding: Padding) -> Geometry {
        let a = PoolAttrs { ksize: [1, k, k, 1], strides: [1, s, s, 1], padding, explicit: [(0, 0); 2] };
        Geometry::new(&input, &a).unwrap()
    }

    #[test]
    fn same_windows_skip_padded_cells() {
        let g = geometry([1, 3, 3, 1], 2, 2, Padding::Same);
        let x: Vec<f32> = (1..=9).map(|v| v as f32).collect();
        assert_eq!(max_pool(&x, &g).unwrap(), vec![5.0, 6.0, 8.0, 9.0]);
        assert_eq!(avg_pool(&x, &g).unwrap(), vec![3.0, 4.5, 7.5, 9.0]);
    }

    #[test]
    fn max_gradient_goes_to_the_first_of_equal_cells() {
        let g = geometry([1, 2, 2, 1], 2, 2, Padding::Valid);
        let x = [1.0f32, 3.0, 3.0, 2.0];
        assert_eq!(max_pool_grad(&x, &[10.0], &g).unwrap(), vec![0.0, 10.0, 0.0, 0.0]);
        let x = [f32::NAN, 3.0, 4.0, 2.0];
        assert_eq!(max_pool_grad(&x, &[10.0], &g).unwrap()[0], 10.0);
    }

    #[test]
    fn average_gradient_spreads_over_valid_cells() {
        let g = geometry([1, 3, 3, 1], 2, 2, Padding::Same);
        let dx = avg_pool_grad(&[4.0f64, 2.0, 2.0, 1.0], &g).unwrap();
        assert_eq!(dx, vec![1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0]);
    }
}
